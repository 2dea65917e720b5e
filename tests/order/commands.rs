//! Commands: what is sent, what is refused locally (and never reaches the
//! venue), slot allocation and reuse, ClOrdID round trips, event
//! back-pressure.

use crate::harness::*;
use fixrail::order::{ClOrdIdFormat, ClOrdIdParts, OrderConfig, SLOTS_MAX};
use fixrail::risk::RiskView;
use fixrail::strategy::{
    Command, Event, InstrumentId, OrdType, OrderId, OrderState, Qty, RejectReason, Side,
    TimeInForce,
};
use proptest::prelude::*;

fn new_order(tag: u64, qty: i64, price: &str) -> Command {
    Command::NewOrder {
        tag,
        instrument: EURUSD,
        side: Side::Buy,
        ord_type: OrdType::Limit,
        tif: TimeInForce::Day,
        price: px(price),
        qty: Qty(qty),
    }
}

fn rejected(tag: u64, reason: RejectReason) -> Event {
    Event::Rejected {
        tag,
        order: None,
        reason,
    }
}

#[test]
fn a_new_order_single_carries_what_the_venue_needs() {
    let mut h = H::with(OrderConfig {
        max_orders: 8,
        account: Some("ACC-1".into()),
        ..OrderConfig::default()
    });
    let x = h.place(42, AAPL, Side::Sell, TimeInForce::Gtc, 300, "187.50");
    assert_eq!(
        (x.slot, x.generation),
        (0, 1),
        "first slot, first generation"
    );
    let w = &mut h.wire;
    assert_eq!(w.msg_type(-1), "D");
    assert_eq!(w.field(-1, 11).as_deref(), Some("FR0.1.0"));
    assert_eq!(w.field(-1, 1).as_deref(), Some("ACC-1"));
    assert_eq!(w.field(-1, 21).as_deref(), Some("1"));
    assert_eq!(w.field(-1, 38).as_deref(), Some("300"));
    assert_eq!(w.field(-1, 40).as_deref(), Some("2"));
    assert_eq!(
        w.field(-1, 44).as_deref(),
        Some("187.5"),
        "no trailing zeros"
    );
    assert_eq!(w.field(-1, 54).as_deref(), Some("2"));
    assert_eq!(w.field(-1, 55).as_deref(), Some("AAPL"));
    assert_eq!(w.field(-1, 59).as_deref(), Some("1"));
    assert_eq!(
        w.field(-1, 60).as_deref(),
        Some("20260302-09:30:00.000"),
        "TransactTime is `now`"
    );
    assert!(h.om.tag_in_use(42));
    assert_eq!(h.om.open_orders(), 1);
    assert_eq!(h.om.open_qty(AAPL), (Qty(0), Qty(300)));
    // Cancel, replace and status carry the account too.
    h.cancel(x);
    assert_eq!(h.wire.field(-1, 1).as_deref(), Some("ACC-1"));
    h.cmd(Command::Status { order: x });
    assert_eq!(h.wire.field(-1, 1).as_deref(), Some("ACC-1"));
    h.cmd(Command::MassStatus);
    assert_eq!(h.wire.field(-1, 1).as_deref(), Some("ACC-1"));
}

#[test]
fn a_market_order_has_no_price_nor_has_its_replace() {
    let mut h = H::new();
    h.cmd(Command::NewOrder {
        tag: 1,
        instrument: EURUSD,
        side: Side::Buy,
        ord_type: OrdType::Market,
        tif: TimeInForce::Ioc,
        price: px("0"),
        qty: Qty(100),
    });
    let Event::OrderSent { order, .. } = h.events()[0] else {
        panic!("not sent")
    };
    assert_eq!(h.wire.field(-1, 40).as_deref(), Some("1"));
    assert_eq!(h.wire.field(-1, 44), None);
    h.replace(order, "0", 50);
    assert_eq!(h.wire.msg_type(-1), "G");
    assert_eq!(h.wire.field(-1, 44), None);
    assert_eq!(h.wire.field(-1, 38).as_deref(), Some("50"));
}

#[test]
fn mass_status_asks_for_all_orders_with_a_fresh_id_each_time() {
    let mut h = H::new();
    h.cmd(Command::MassStatus);
    h.cmd(Command::MassStatus);
    assert_eq!(h.wire.msg_type(-1), "AF");
    assert_eq!(h.wire.field(-2, 584).as_deref(), Some("FRM1"));
    assert_eq!(h.wire.field(-1, 584).as_deref(), Some("FRM2"));
    assert_eq!(h.wire.field(-1, 585).as_deref(), Some("7"));
    assert_eq!(h.om.counters().mass_status_sent, 2);
}

#[test]
fn a_new_order_is_refused_locally_with_a_reason_and_nothing_is_sent() {
    let mut h = H::with(OrderConfig {
        max_orders: 2,
        ..OrderConfig::default()
    });
    h.wire.up = false;
    h.cmd(new_order(1, 100, "1.1"));
    h.wire.up = true;
    h.cmd(Command::NewOrder {
        tag: 2,
        instrument: InstrumentId(9),
        side: Side::Buy,
        ord_type: OrdType::Limit,
        tif: TimeInForce::Day,
        price: px("1"),
        qty: Qty(1),
    });
    h.cmd(new_order(3, 0, "1.1"));
    h.cmd(new_order(4, 100, "0"));
    h.cmd(new_order(5, 100, "-1"));
    assert_eq!(h.wire.sent.len(), 0);
    assert_eq!(
        h.events(),
        [
            rejected(1, RejectReason::SessionDown),
            rejected(2, RejectReason::UnknownInstrument),
            rejected(3, RejectReason::BadQty),
            rejected(4, RejectReason::BadPrice),
            rejected(5, RejectReason::BadPrice),
        ]
    );
    assert_eq!(h.om.counters().local_rejects, 5);
    // No slot was used up: the table still holds two orders.
    let a = h.buy(6, 1, "1");
    let b = h.buy(7, 1, "1");
    assert_eq!((a.slot, a.generation, b.slot, b.generation), (0, 1, 1, 1));
    h.cmd(new_order(8, 1, "1"));
    assert_eq!(h.events(), [rejected(8, RejectReason::NoOrderSlot)]);
    assert!(!h.om.tag_in_use(8));
}

#[test]
fn a_failed_send_refuses_the_order_and_returns_its_slot() {
    // The session refuses the message (here: logged out between the check
    // and the send, as a journal failure would): SessionDown, no slot lost.
    struct Refusing;
    impl fixrail::order::OrderSender for Refusing {
        fn send(
            &mut self,
            _: &[u8],
            _: &mut dyn FnMut(&mut fixrail::codec::MessageWriter<'_>),
        ) -> Result<u64, fixrail::session::SendError> {
            Err(fixrail::session::SendError::NotLoggedOn)
        }
        fn is_up(&self) -> bool {
            true
        }
    }
    let mut h = H::new();
    h.om.on_command(t0(), &new_order(1, 100, "1.1"), &mut Refusing, &mut h.sink);
    assert_eq!(h.events(), [rejected(1, RejectReason::SessionDown)]);
    assert_eq!(h.om.counters().send_not_logged_on, 1);
    assert_eq!(h.om.open_orders(), 0);
    let x = h.buy(2, 100, "1.1");
    assert_eq!((x.slot, x.generation), (0, 1));
    h.om.on_command(
        t0(),
        &Command::Cancel { order: x },
        &mut Refusing,
        &mut h.sink,
    );
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: x,
            reason: RejectReason::SessionDown
        }]
    );
    assert_eq!(h.state(x), OrderState::PendingNew, "nothing pending");
}

#[test]
fn cancel_and_replace_are_refused_locally_when_the_venue_could_only_say_no() {
    // Finished orders, unknown ids, a request already pending, bad values,
    // the session down: a local CancelRejected, no F or G on the wire.
    let mut h = H::new();
    let x = h.buy(1, 100, "1.1");
    let y = h.buy(2, 100, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=8|39=8|103=0|14=0|151=0"));
    h.events();
    let sent = h.wire.sent.len();
    let never = OrderId {
        slot: 5,
        generation: 3,
    };
    let out_of_range = OrderId {
        slot: 10_000,
        generation: 1,
    };
    h.cancel(x);
    h.replace(x, "1.2", 100);
    h.cancel(never);
    h.cancel(out_of_range);
    h.cancel(OrderId::default());
    h.replace(y, "1.2", 0);
    h.replace(y, "0", 100);
    h.wire.up = false;
    h.cancel(y);
    h.wire.up = true;
    assert_eq!(h.wire.sent.len(), sent, "nothing sent");
    let refused = |order, reason| Event::CancelRejected { order, reason };
    assert_eq!(
        h.events(),
        [
            refused(x, RejectReason::NotCancelable),
            refused(x, RejectReason::NotCancelable),
            refused(never, RejectReason::UnknownOrder),
            refused(out_of_range, RejectReason::UnknownOrder),
            refused(OrderId::default(), RejectReason::UnknownOrder),
            refused(y, RejectReason::BadQty),
            refused(y, RejectReason::BadPrice),
            refused(y, RejectReason::SessionDown),
        ]
    );
    assert_eq!(h.state(y), OrderState::PendingNew);
    assert_eq!(h.om.counters().local_cancel_rejects, 8);
}

#[test]
fn a_status_request_is_answered_locally_when_the_venue_cannot_be_asked() {
    let mut h = H::new();
    let x = h.buy(1, 100, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=100"));
    h.events();
    // Session down: our own view.
    h.wire.up = false;
    h.cmd(Command::Status { order: x });
    h.wire.up = true;
    // Finished: our own view, nothing sent.
    h.er(&format!("11={xid}|150=4|39=4|14=0|151=0"));
    let sent = h.wire.sent.len();
    h.cmd(Command::Status { order: x });
    let never = OrderId {
        slot: 3,
        generation: 9,
    };
    h.cmd(Command::Status { order: never });
    assert_eq!(h.wire.sent.len(), sent);
    assert_eq!(
        h.events(),
        [
            Event::Status {
                order: x,
                state: OrderState::New,
                cum_qty: Qty(0),
                leaves_qty: Qty(100)
            },
            Event::Canceled { order: x },
            Event::Status {
                order: x,
                state: OrderState::Canceled,
                cum_qty: Qty(0),
                leaves_qty: Qty(0)
            },
            Event::Rejected {
                tag: 0,
                order: Some(never),
                reason: RejectReason::UnknownOrder
            },
        ]
    );
}

#[test]
fn market_data_and_quote_commands_are_not_the_order_stages() {
    let mut h = H::new();
    h.cmd(Command::Subscribe {
        instrument: EURUSD,
        depth: 5,
        entries: fixrail::strategy::MdEntryTypes::BOOK,
        updates: true,
        aggregated: true,
    });
    h.cmd(Command::Unsubscribe { instrument: EURUSD });
    h.cmd(Command::QuoteRequest {
        tag: 1,
        instrument: EURUSD,
        qty: Qty(1),
        side: None,
    });
    assert!(h.wire.sent.is_empty());
    assert_eq!(h.events(), []);
    assert_eq!(h.om.counters().commands_ignored, 3);
}

#[test]
fn slots_are_reused_first_in_first_out_with_a_new_generation() {
    // A finished order's slot goes to the back of the free list; when it is
    // reused the generation moves on, so the old id is refused as finished.
    let mut h = H::with(OrderConfig {
        max_orders: 3,
        ..OrderConfig::default()
    });
    let a = h.buy(1, 1, "1");
    let b = h.buy(2, 1, "1");
    let aid = h.cl(a, 0);
    h.er(&format!("11={aid}|150=4|39=4|14=0|151=0"));
    h.events();
    let c = h.buy(3, 1, "1");
    assert_eq!(c.slot, 2, "the never-used slot before the freed one");
    let d = h.buy(4, 1, "1");
    assert_eq!((d.slot, d.generation), (a.slot, 2));
    assert_ne!(b.slot, d.slot);
    assert!(h.om.order(a).is_none(), "forgotten once its slot is reused");
    assert!(!h.om.tag_in_use(1));
    h.events();
    h.cancel(a);
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: a,
            reason: RejectReason::NotCancelable
        }]
    );
}

#[test]
fn tags_in_use_follow_open_orders() {
    let mut h = H::new();
    let x = h.buy(11, 100, "1.1");
    let y = h.buy(11, 100, "1.1");
    assert!(h.om.tag_in_use(11));
    let (xid, yid) = (h.cl(x, 0), h.cl(y, 0));
    h.er(&format!("11={xid}|150=4|39=4|14=0|151=0"));
    assert!(h.om.tag_in_use(11), "y still carries it");
    h.er(&format!("11={yid}|150=8|39=8|14=0|151=0"));
    assert!(!h.om.tag_in_use(11));
    assert!(!h.om.tag_in_use(12));
}

#[test]
fn events_wait_in_order_while_the_sink_is_full_and_overflow_is_counted() {
    let mut h = H::with(OrderConfig {
        max_orders: 16,
        events_pending_max: 6,
        ..OrderConfig::default()
    });
    h.sink.room = 0;
    for tag in 0..3 {
        h.cmd(new_order(tag, 1, "1"));
    }
    assert!(h.sink.events.is_empty());
    assert_eq!(h.om.events_pending(), 3);
    assert!(!h.om.ready(), "3 + 4 > 6");
    // Room for two: they come out first, in order.
    h.sink.room = 2;
    assert_eq!(h.om.flush_events(&mut h.sink), 2);
    assert_eq!(h.om.events_pending(), 1);
    assert!(h.om.ready());
    // The next input flushes before it adds; what does not fit waits.
    h.sink.room = 3;
    h.cmd(new_order(3, 1, "1"));
    let tags: Vec<u64> = h
        .events()
        .iter()
        .map(|e| match e {
            Event::OrderSent { tag, .. } => *tag,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(tags, [0, 1, 2]);
    assert_eq!(h.om.events_pending(), 1);
    h.sink.room = 0;
    for tag in 4..12 {
        h.cmd(new_order(tag, 1, "1"));
    }
    assert_eq!(h.om.events_pending(), 6);
    assert_eq!(h.om.counters().events_dropped, 3);
    h.sink.room = usize::MAX;
    h.om.flush_events(&mut h.sink);
    let tags: Vec<u64> = h
        .events()
        .iter()
        .map(|e| match e {
            Event::OrderSent { tag, .. } => *tag,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(tags, [3, 4, 5, 6, 7, 8], "the oldest kept, in order");
}

#[test]
fn a_bad_configuration_is_named() {
    use fixrail::order::{OrderConfigError, OrderManager};
    let bad = |c: OrderConfig| OrderManager::new(c, instruments()).unwrap_err();
    let e = bad(OrderConfig {
        clordid_prefix: "NINEBYTES".into(),
        ..OrderConfig::default()
    });
    assert!(matches!(e, OrderConfigError::PrefixTooLong { len: 9, .. }));
    assert!(
        e.to_string().contains("clordid_prefix \"NINEBYTES\""),
        "{e}"
    );
    assert!(matches!(
        bad(OrderConfig {
            max_orders: 0,
            ..OrderConfig::default()
        }),
        OrderConfigError::MaxOrders(0)
    ));
    assert!(matches!(
        bad(OrderConfig {
            account: Some("a\u{1}b".into()),
            ..OrderConfig::default()
        }),
        OrderConfigError::Account(_)
    ));
    assert!(matches!(
        bad(OrderConfig {
            events_pending_max: 3,
            ..OrderConfig::default()
        }),
        OrderConfigError::EventsPendingMax(3)
    ));
}

proptest! {
    /// Every id the format writes parses back to its parts.
    #[test]
    fn clordids_round_trip(
        prefix in "[!-~]{0,8}",
        slots in 1u32..=SLOTS_MAX,
        slot_seed in any::<u32>(),
        generation in any::<u32>(),
        version in any::<u32>(),
    ) {
        let f = ClOrdIdFormat::new(&prefix, slots).unwrap();
        let parts = ClOrdIdParts { slot: slot_seed % slots, generation, version };
        let id = f.write(parts);
        prop_assert!(id.as_bytes().len() <= fixrail::order::CL_ORD_ID_MAX);
        prop_assert!(id.as_bytes().starts_with(prefix.as_bytes()));
        prop_assert_eq!(f.parse(id.as_bytes()), Some(parts));
    }

    /// Anything that parses is exactly what the format writes for its
    /// parts: one spelling per order version, so foreign ids cannot alias.
    #[test]
    fn only_canonical_ids_parse(
        slots in 1u32..5000,
        text in "FR[0-9A-Z.a-z]{0,14}",
    ) {
        let f = ClOrdIdFormat::new("FR", slots).unwrap();
        if let Some(parts) = f.parse(text.as_bytes()) {
            prop_assert!(parts.slot < slots);
            let id = f.write(parts);
            prop_assert_eq!(id.as_str(), text.as_str());
        }
    }

    /// Bytes of any kind never panic the parser.
    #[test]
    fn arbitrary_bytes_are_refused_or_parsed(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let f = ClOrdIdFormat::new("", 36).unwrap();
        if let Some(parts) = f.parse(&bytes) {
            let id = f.write(parts);
            prop_assert_eq!(id.as_bytes(), &bytes[..]);
        }
    }
}

#[test]
fn every_message_the_stage_encodes_validates_against_the_fix44_dictionary() {
    // The harness's sender validates each message before keeping it (and
    // panics naming the SessionRejectReason otherwise); this drives every
    // kind and shape the stage writes through it: D (limit and market, with
    // and without Account), F and G (before and after the venue's OrderID is
    // known), H, AF.
    for account in [None, Some("ACC-1".to_string())] {
        let mut h = H::with(OrderConfig {
            max_orders: 8,
            account,
            ..OrderConfig::default()
        });
        let x = h.buy(1, 100, "1.23456789");
        h.cmd(Command::NewOrder {
            tag: 2,
            instrument: AAPL,
            side: Side::Sell,
            ord_type: OrdType::Market,
            tif: TimeInForce::Ioc,
            price: px("0"),
            qty: Qty(5),
        });
        let Event::OrderSent { order: m, .. } = h.events()[0] else {
            panic!("market order not sent")
        };
        h.replace(m, "0", 4);
        h.cancel(x);
        let (xid, x1) = (h.cl(x, 0), h.cl(x, 1));
        // Unknown to the venue yet: OrderID NONE, which is not kept.
        h.ocr(&format!("37=NONE|11={x1}|41={xid}|39=0|434=1|102=1"));
        h.er(&format!(
            "37=VENUE-ORDER-7|11={xid}|150=0|39=0|14=0|151=100"
        ));
        h.replace(x, "1.2", 90);
        h.cmd(Command::Status { order: x });
        h.cmd(Command::Status { order: m });
        h.cmd(Command::MassStatus);
        let types: Vec<String> = (0..h.wire.sent.len() as isize)
            .map(|i| h.wire.msg_type(i))
            .collect();
        assert_eq!(types, ["D", "D", "G", "F", "G", "H", "H", "AF"]);
        assert_eq!(h.wire.field(4, 37).as_deref(), Some("VENUE-ORDER-7"));
    }
}

#[test]
fn the_stage_can_move_to_its_pinned_thread() {
    // The runtime builds the stage on the control thread and moves it.
    fn send<T: Send>() {}
    send::<fixrail::order::OrderManager>();
}
