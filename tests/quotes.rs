//! The quote desk (`src/md/quotes.rs`): QuoteRequest out, Quote,
//! QuoteCancel and QuoteRequestReject in, expiry on a manual clock, orders
//! on quotes through risk and the order stage, every local refusal, stale
//! ids, disconnects, QuoteReqIDs across restarts; then the desk behind a
//! real session in `TradingApplication` (`tests/quotes/trading.rs`).
//! Every message encoded or fed here is validated against the FIX 4.4
//! dictionary.

mod common;
#[path = "quotes/e2e.rs"]
mod e2e;
#[path = "quotes/harness.rs"]
mod harness;
#[path = "order/harness.rs"]
#[allow(dead_code)]
mod order_harness;
#[path = "quotes/trading.rs"]
mod trading;

use fixrail::md::quotes::{
    QuoteConfig, QuoteCounter, REQUEST_REJECT_BAD_QTY, REQUEST_REJECT_DISCONNECTED,
    REQUEST_REJECT_SESSION_DOWN, REQUEST_REJECT_TABLE_FULL, REQUEST_REJECT_TIMED_OUT,
    REQUEST_REJECT_UNKNOWN_INSTRUMENT,
};
use fixrail::order::{Direction, OrderConfig, OrderManager};
use fixrail::risk::KillReason;
use fixrail::strategy::{Command, Event, InstrumentId, Qty, QuoteId, RejectReason, Side};
use harness::{px, AAPL, EURUSD, Q};

fn order_on(quote: QuoteId, tag: u64, side: Side, qty: i64) -> Command {
    Command::OrderOnQuote {
        tag,
        quote,
        side,
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
fn a_quote_request_is_encoded_as_fix_44_wants_it() {
    // One side: 131, the 146 group with 55, 54 and 38 (the wire validates
    // the whole message against the dictionary).
    let mut q = Q::new();
    let id = q.request(7, EURUSD, 1_000_000, Some(Side::Sell));
    assert!(id.starts_with("FRQ"), "{id}");
    assert_eq!(q.wire.field(-1, 146).as_deref(), Some("1"));
    assert_eq!(q.wire.field(-1, 55).as_deref(), Some("EUR/USD"));
    assert_eq!(q.wire.field(-1, 54).as_deref(), Some("2"));
    assert_eq!(q.wire.field(-1, 38).as_deref(), Some("1000000"));
    // Two-way: no side; each request gets its own id.
    let id2 = q.request(8, AAPL, 300, None);
    assert_ne!(id, id2);
    assert_eq!(q.wire.field(-1, 54), None);
    assert_eq!(q.wire.field(-1, 55).as_deref(), Some("AAPL"));
    assert_eq!(q.desk.busy(), 2);
    assert_eq!(q.desk.counters().get(QuoteCounter::RequestsSent), 2);
}

#[test]
fn a_quote_becomes_an_event_with_every_field() {
    let mut q = Q::new();
    let req = q.request(42, EURUSD, 1_000_000, None);
    let until = q.at_ms(5_000);
    assert!(q.inbound(
        "S",
        &format!(
            "131={req}|117=VQ-1|537=1|55=EUR/USD|132=1.08|133=1.0801|134=500000|135=700000|62={until}"
        ),
    ));
    let events = q.events();
    let [Event::Quote {
        tag,
        quote,
        instrument,
        bid,
        bid_qty,
        offer,
        offer_qty,
        valid_until_ns,
        firm,
    }] = events.as_slice()
    else {
        panic!("expected one Quote, got {events:?}");
    };
    assert_eq!(*tag, 42);
    assert_eq!(*instrument, EURUSD);
    assert_eq!((*bid, *bid_qty), (px("1.08"), Qty(500_000)));
    assert_eq!((*offer, *offer_qty), (px("1.0801"), Qty(700_000)));
    assert_eq!(*valid_until_ns, q.now.unix_nanos() + 5_000_000_000);
    assert!(*firm);
    assert_ne!(quote.generation, 0);
    assert_eq!(q.desk.venue_quote_id(*quote), Some(&b"VQ-1"[..]));
    assert_eq!(q.desk.quote(*quote).unwrap().tag, 42);
    assert_eq!(q.desk.counters().get(QuoteCounter::Quotes), 1);
}

#[test]
fn quotes_are_indicative_unless_quote_type_says_tradeable() {
    // 537=0 and an absent 537 (FIX 4.4's default) are indicative, and so
    // is 2 (restricted tradeable); only 1 is firm. Without sizes, a priced
    // side's size is the quote's OrderQty, else the requested quantity.
    let mut q = Q::new();
    for (tag, quote_type, firm) in [
        (1, "537=0|", false),
        (2, "", false),
        (3, "537=2|", false),
        (4, "537=1|", true),
    ] {
        let req = q.request(tag, EURUSD, 1_000, None);
        q.inbound(
            "S",
            &format!("131={req}|117=V{tag}|{quote_type}55=EUR/USD|132=1.08|133=1.09"),
        );
        match q.events().as_slice() {
            [Event::Quote {
                firm: f,
                bid_qty,
                offer_qty,
                valid_until_ns,
                ..
            }] => {
                assert_eq!(*f, firm, "{quote_type}");
                assert_eq!((*bid_qty, *offer_qty), (Qty(1_000), Qty(1_000)));
                assert_eq!(*valid_until_ns, 0);
            }
            other => panic!("{other:?}"),
        }
    }
    let req = q.request(5, EURUSD, 1_000, None);
    q.inbound("S", &format!("131={req}|117=V5|55=EUR/USD|38=400|133=1.09"));
    match q.events().as_slice() {
        [Event::Quote {
            bid,
            bid_qty,
            offer_qty,
            ..
        }] => assert_eq!((*bid, *bid_qty, *offer_qty), (px("0"), Qty(0), Qty(400))),
        other => panic!("{other:?}"),
    }
    // An order on an indicative quote is refused locally.
    let req = q.request(6, EURUSD, 1_000, None);
    q.inbound(
        "S",
        &format!("131={req}|117=V6|537=0|55=EUR/USD|132=1.08|133=1.09"),
    );
    let quote = q.quote_event();
    let sent = q.wire.sent.len();
    q.cmd(order_on(quote, 60, Side::Buy, 100));
    assert_eq!(q.events(), [rejected(60, RejectReason::QuoteNotFirm)]);
    assert_eq!(q.wire.sent.len(), sent, "nothing sent");
}

#[test]
fn unsolicited_and_malformed_quotes_are_counted_and_ignored() {
    let mut q = Q::new();
    let req = q.request(1, EURUSD, 1_000, None);
    // No QuoteReqID, another engine's, a number this slot never had.
    q.inbound("S", "117=X1|537=1|55=EUR/USD|132=1.08");
    q.inbound("S", "131=OTHER-7|117=X2|537=1|55=EUR/USD|132=1.08");
    let wrong_n = format!("{}Z", req);
    q.inbound(
        "S",
        &format!("131={wrong_n}|117=X3|537=1|55=EUR/USD|132=1.08"),
    );
    assert_eq!(q.desk.counters().get(QuoteCounter::Unknown), 3);
    // Another symbol than the request's; a QuoteID past 48 bytes.
    q.inbound("S", &format!("131={req}|117=X4|537=1|55=AAPL|132=1.08"));
    let long = "L".repeat(49);
    q.inbound(
        "S",
        &format!("131={req}|117={long}|537=1|55=EUR/USD|132=1.08"),
    );
    assert_eq!(q.desk.counters().get(QuoteCounter::Malformed), 2);
    assert_eq!(q.events(), []);
    // The request is still outstanding: a good quote is taken.
    q.firm_quote(&req, "X5");
}

#[test]
fn a_second_quote_for_a_request_replaces_the_first() {
    let mut q = Q::new();
    let req = q.request(9, EURUSD, 1_000, None);
    let first = q.firm_quote(&req, "A");
    let until = q.at_ms(1_000);
    q.inbound(
        "S",
        &format!("131={req}|117=B|537=1|55=EUR/USD|132=1.07|133=1.08|62={until}"),
    );
    let events = q.events();
    assert_eq!(events[0], Event::QuoteCanceled { quote: first });
    let Event::Quote {
        tag: 9,
        quote: second,
        bid,
        ..
    } = events[1]
    else {
        panic!("{events:?}");
    };
    assert_eq!(events.len(), 2);
    assert_eq!(second.slot, first.slot);
    assert_ne!(second.generation, first.generation);
    assert_eq!(bid, px("1.07"));
    q.cmd(order_on(first, 1, Side::Buy, 10));
    assert_eq!(q.events(), [rejected(1, RejectReason::UnknownQuote)]);
    assert_eq!(q.desk.busy(), 1);
    assert_eq!(q.desk.counters().get(QuoteCounter::QuotesReplaced), 1);
}

#[test]
fn quote_cancel_by_quote_id_by_symbol_and_all() {
    let mut q = Q::new();
    let mut quotes = Vec::new();
    for (tag, ins, sym) in [
        (1, EURUSD, "EUR/USD"),
        (2, EURUSD, "EUR/USD"),
        (3, AAPL, "AAPL"),
        (4, AAPL, "AAPL"),
    ] {
        let req = q.request(tag, ins, 100, None);
        q.inbound(
            "S",
            &format!("131={req}|117=Q{tag}|537=1|55={sym}|132=1.08|133=1.09"),
        );
        quotes.push(q.quote_event());
    }
    // By QuoteID.
    q.inbound("Z", "117=Q2|298=1");
    assert_eq!(q.events(), [Event::QuoteCanceled { quote: quotes[1] }]);
    // Unknown QuoteID: nothing, counted.
    q.inbound("Z", "117=NOPE|298=1");
    assert_eq!(q.events(), []);
    assert_eq!(q.desk.counters().get(QuoteCounter::Unknown), 1);
    // A QuoteID with 298=1 and its symbol (as `fixrail venue` withdraws
    // one quote): only that quote.
    q.inbound("Z", "117=Q4|298=1|295=1|55=AAPL");
    assert_eq!(q.events(), [Event::QuoteCanceled { quote: quotes[3] }]);
    // By symbol (298=1 with the QuoteEntries group, 117 naming none).
    q.inbound("Z", "117=*|298=1|295=1|55=AAPL");
    assert_eq!(q.events(), [Event::QuoteCanceled { quote: quotes[2] }]);
    // All.
    let req = q.request(5, AAPL, 100, None);
    q.inbound("S", &format!("131={req}|117=Q5|537=1|55=AAPL|132=1.08"));
    let q5 = q.quote_event();
    q.inbound("Z", "117=*|298=4");
    assert_eq!(
        q.events(),
        [
            Event::QuoteCanceled { quote: quotes[0] },
            Event::QuoteCanceled { quote: q5 }
        ]
    );
    assert_eq!(q.desk.busy(), 0);
    assert_eq!(q.desk.counters().get(QuoteCounter::QuotesCanceled), 5);
    q.cmd(order_on(quotes[0], 6, Side::Buy, 10));
    assert_eq!(q.events(), [rejected(6, RejectReason::UnknownQuote)]);
}

#[test]
fn quote_request_reject_answers_the_request() {
    let mut q = Q::new();
    let req = q.request(77, EURUSD, 1_000, Some(Side::Buy));
    q.inbound(
        "AG",
        &format!("131={req}|658=8|146=1|55=EUR/USD|58=no market"),
    );
    assert_eq!(
        q.events(),
        [Event::QuoteRequestRejected { tag: 77, reason: 8 }]
    );
    assert_eq!(q.desk.busy(), 0);
    // A second AG, or one for a quoted request: counted, ignored.
    q.inbound("AG", &format!("131={req}|658=8|146=1|55=EUR/USD"));
    let req2 = q.request(78, EURUSD, 1_000, None);
    let quote = q.firm_quote(&req2, "Q");
    q.inbound("AG", &format!("131={req2}|658=99|146=1|55=EUR/USD"));
    assert_eq!(q.events(), []);
    assert!(q.desk.quote(quote).is_some(), "the quote stands");
    assert_eq!(q.desk.counters().get(QuoteCounter::Unknown), 2);
    assert_eq!(q.desk.counters().get(QuoteCounter::RequestRejects), 1);
}

#[test]
fn a_quote_expires_at_its_valid_until_time_on_the_manual_clock() {
    let mut q = Q::new();
    let req = q.request(1, EURUSD, 1_000, None);
    let until = q.at_ms(2_000);
    q.inbound(
        "S",
        &format!("131={req}|117=E|537=1|55=EUR/USD|132=1.08|133=1.09|62={until}"),
    );
    let quote = q.quote_event();
    q.advance_ms(1_999);
    q.poll();
    assert_eq!(q.events(), []);
    assert!(q.desk.quote(quote).is_some());
    // At ValidUntilTime the quote is no longer valid: an order is refused
    // even before the desk's poll frees it, then poll frees it.
    q.advance_ms(1);
    q.cmd(order_on(quote, 2, Side::Buy, 10));
    assert_eq!(q.events(), [rejected(2, RejectReason::QuoteExpired)]);
    q.poll();
    assert_eq!(q.events(), [Event::QuoteCanceled { quote }]);
    assert_eq!(q.desk.busy(), 0);
    assert_eq!(q.desk.counters().get(QuoteCounter::QuotesExpired), 1);
    // Afterwards too, the strategy hears why.
    q.cmd(order_on(quote, 3, Side::Buy, 10));
    assert_eq!(q.events(), [rejected(3, RejectReason::QuoteExpired)]);
}

#[test]
fn an_unanswered_request_times_out() {
    let mut q = Q::with(QuoteConfig {
        slots_max: 4,
        request_timeout_ms: 500,
    });
    let req = q.request(5, EURUSD, 1_000, None);
    q.advance_ms(499);
    q.poll();
    assert_eq!(q.events(), []);
    q.advance_ms(1);
    q.poll();
    assert_eq!(
        q.events(),
        [Event::QuoteRequestRejected {
            tag: 5,
            reason: REQUEST_REJECT_TIMED_OUT
        }]
    );
    // The late answer is unknown.
    q.inbound(
        "S",
        &format!("131={req}|117=LATE|537=1|55=EUR/USD|132=1.08"),
    );
    assert_eq!(q.events(), []);
    assert_eq!(q.desk.counters().get(QuoteCounter::RequestsTimedOut), 1);
    assert_eq!(q.desk.counters().get(QuoteCounter::Unknown), 1);
}

#[test]
fn an_order_on_a_quote_is_a_fok_limit_at_the_quoted_price_with_the_quote_id() {
    let mut q = Q::new();
    let req = q.request(1, EURUSD, 1_000_000, None);
    let quote = q.firm_quote(&req, "VQ-77");
    let passed = q.risk.counters().new_passed();
    q.cmd(order_on(quote, 100, Side::Buy, 800_000));
    let order = match q.events().as_slice() {
        [Event::OrderSent { tag: 100, order }] => *order,
        other => panic!("{other:?}"),
    };
    assert_eq!(q.risk.counters().new_passed(), passed + 1, "risk judged it");
    assert_eq!(q.wire.msg_type(-1), "D");
    assert_eq!(q.wire.field(-1, 117).as_deref(), Some("VQ-77"));
    assert_eq!(q.wire.field(-1, 40).as_deref(), Some("2"));
    assert_eq!(q.wire.field(-1, 44).as_deref(), Some("1.0801"), "the offer");
    assert_eq!(q.wire.field(-1, 59).as_deref(), Some("4"), "FOK");
    assert_eq!(q.wire.field(-1, 54).as_deref(), Some("1"));
    assert_eq!(q.wire.field(-1, 38).as_deref(), Some("800000"));
    let view = q.om.order(order).unwrap();
    assert_eq!((view.price, view.qty), (px("1.0801"), Qty(800_000)));
    // The quote is used up.
    assert_eq!(q.desk.quote(quote), None);
    assert_eq!(q.desk.busy(), 0);
    q.cmd(order_on(quote, 101, Side::Buy, 1));
    assert_eq!(q.events(), [rejected(101, RejectReason::UnknownQuote)]);
    // The order's life goes on: the venue fills it at the quoted price.
    let cl = q.om.cl_ord_id(order).unwrap().as_str().to_string();
    q.er(&format!(
        "11={cl}|150=F|39=2|54=1|55=EUR/USD|38=800000|31=1.0801|32=800000|14=800000|151=0|6=1.0801|60=20260302-09:30:00.000"
    ));
    assert_eq!(
        q.events(),
        [
            Event::Accepted { order },
            Event::Fill {
                order,
                last_px: px("1.0801"),
                last_qty: Qty(800_000),
                cum_qty: Qty(800_000)
            }
        ]
    );
    // A sell on a fresh quote goes at the bid.
    let req = q.request(2, EURUSD, 1_000_000, None);
    let quote = q.firm_quote(&req, "VQ-78");
    q.cmd(order_on(quote, 102, Side::Sell, 1_000_000));
    assert!(matches!(
        q.events().as_slice(),
        [Event::OrderSent { tag: 102, .. }]
    ));
    assert_eq!(q.wire.field(-1, 44).as_deref(), Some("1.08"));
    assert_eq!(q.wire.field(-1, 54).as_deref(), Some("2"));
    assert_eq!(q.desk.counters().get(QuoteCounter::OrdersOnQuotes), 2);
}

#[test]
fn every_local_refusal_of_an_order_on_a_quote() {
    let mut q = Q::new();
    let sent_before = q.wire.sent.len();
    // Never issued: a slot past the table, generation 0.
    q.cmd(order_on(
        QuoteId {
            slot: 9999,
            generation: 1,
        },
        1,
        Side::Buy,
        1,
    ));
    q.cmd(order_on(QuoteId::default(), 2, Side::Buy, 1));
    assert_eq!(
        q.events(),
        [
            rejected(1, RejectReason::UnknownQuote),
            rejected(2, RejectReason::UnknownQuote),
        ]
    );
    // One-sided (bid only): a buy has no offer to take.
    let req = q.request(3, EURUSD, 1_000, Some(Side::Sell));
    q.inbound(
        "S",
        &format!("131={req}|117=OS|537=1|55=EUR/USD|132=1.08|134=1000"),
    );
    let one_sided = q.quote_event();
    q.cmd(order_on(one_sided, 3, Side::Buy, 1));
    // More than the quoted size.
    q.cmd(order_on(one_sided, 4, Side::Sell, 1_001));
    assert_eq!(
        q.events(),
        [
            rejected(3, RejectReason::QuoteSide),
            rejected(4, RejectReason::QuoteSize),
        ]
    );
    assert_eq!(q.wire.sent.len(), sent_before + 1, "only the R was sent");
    // Counted by the desk and in the risk table beside risk's own reasons.
    assert_eq!(q.desk.counters().get(QuoteCounter::OrdersRefused), 4);
    let risk = q.risk.counters();
    assert_eq!(risk.rejects(RejectReason::UnknownQuote), 2);
    assert_eq!(risk.rejects(RejectReason::QuoteSide), 1);
    assert_eq!(risk.rejects(RejectReason::QuoteSize), 1);
    // Risk refuses (kill switch): the quote stays live.
    q.risk.engage(KillReason::Admin);
    q.cmd(order_on(one_sided, 5, Side::Sell, 1_000));
    assert_eq!(q.events(), [rejected(5, RejectReason::KillSwitch)]);
    q.risk.release();
    assert!(q.desk.quote(one_sided).is_some());
    // The order stage refuses (session down): the quote stays live too.
    q.wire.up = false;
    q.cmd(order_on(one_sided, 6, Side::Sell, 1_000));
    assert_eq!(q.events(), [rejected(6, RejectReason::SessionDown)]);
    assert!(q.desk.quote(one_sided).is_some());
    q.wire.up = true;
    q.cmd(order_on(one_sided, 7, Side::Sell, 1_000));
    assert!(matches!(
        q.events().as_slice(),
        [Event::OrderSent { tag: 7, .. }]
    ));
}

#[test]
fn local_refusals_of_a_quote_request() {
    let mut q = Q::with(QuoteConfig {
        slots_max: 2,
        request_timeout_ms: 0,
    });
    let bad = |tag, reason| Event::QuoteRequestRejected { tag, reason };
    q.cmd(Command::QuoteRequest {
        tag: 1,
        instrument: InstrumentId(99),
        qty: Qty(1),
        side: None,
    });
    q.cmd(Command::QuoteRequest {
        tag: 2,
        instrument: EURUSD,
        qty: Qty(0),
        side: None,
    });
    q.wire.up = false;
    q.cmd(Command::QuoteRequest {
        tag: 3,
        instrument: EURUSD,
        qty: Qty(1),
        side: None,
    });
    q.wire.up = true;
    assert_eq!(
        q.events(),
        [
            bad(1, REQUEST_REJECT_UNKNOWN_INSTRUMENT),
            bad(2, REQUEST_REJECT_BAD_QTY),
            bad(3, REQUEST_REJECT_SESSION_DOWN)
        ]
    );
    q.request(4, EURUSD, 1, None);
    q.request(5, EURUSD, 1, None);
    q.cmd(Command::QuoteRequest {
        tag: 6,
        instrument: EURUSD,
        qty: Qty(1),
        side: None,
    });
    assert_eq!(q.events(), [bad(6, REQUEST_REJECT_TABLE_FULL)]);
    assert_eq!(q.desk.counters().get(QuoteCounter::RequestsRefused), 4);
    assert_eq!(q.wire.sent.len(), 2);
    // With request_timeout_ms = 0 nothing ever times out.
    q.advance_ms(86_400_000);
    q.poll();
    assert_eq!(q.events(), []);
}

#[test]
fn a_stale_quote_id_is_refused_after_its_slot_is_reused() {
    // One slot: every request reuses it; each quote gets a new generation.
    let mut q = Q::with(QuoteConfig {
        slots_max: 1,
        request_timeout_ms: 0,
    });
    let req = q.request(1, EURUSD, 1_000, None);
    let old = q.firm_quote(&req, "OLD");
    q.inbound("Z", "117=OLD|298=1");
    assert_eq!(q.events(), [Event::QuoteCanceled { quote: old }]);
    let req2 = q.request(2, EURUSD, 1_000, None);
    assert_ne!(req, req2, "a new QuoteReqID for the reused slot");
    // An answer to the old request is not taken for the new one.
    q.inbound(
        "S",
        &format!("131={req}|117=GHOST|537=1|55=EUR/USD|132=1.08"),
    );
    assert_eq!(q.events(), []);
    let new = q.firm_quote(&req2, "NEW");
    assert_eq!(new.slot, old.slot);
    q.cmd(order_on(old, 3, Side::Buy, 10));
    assert_eq!(q.events(), [rejected(3, RejectReason::UnknownQuote)]);
    q.cmd(order_on(new, 4, Side::Buy, 10));
    assert!(matches!(
        q.events().as_slice(),
        [Event::OrderSent { tag: 4, .. }]
    ));
    assert_eq!(q.wire.field(-1, 117).as_deref(), Some("NEW"));
}

#[test]
fn a_disconnect_answers_requests_and_cancels_quotes() {
    let mut q = Q::new();
    let _pending = q.request(1, EURUSD, 1_000, None);
    let req = q.request(2, EURUSD, 1_000, None);
    let quote = q.firm_quote(&req, "LIVE");
    q.desk.on_disconnect(&mut q.sink);
    assert_eq!(
        q.events(),
        [
            Event::QuoteRequestRejected {
                tag: 1,
                reason: REQUEST_REJECT_DISCONNECTED
            },
            Event::QuoteCanceled { quote }
        ]
    );
    assert_eq!(q.desk.busy(), 0);
    assert_eq!(q.desk.counters().get(QuoteCounter::DroppedAtDisconnect), 2);
    q.cmd(order_on(quote, 3, Side::Buy, 1));
    assert_eq!(q.events(), [rejected(3, RejectReason::UnknownQuote)]);
}

#[test]
fn events_wait_in_the_desk_while_the_ring_is_full() {
    let mut q = Q::new();
    let req = q.request(1, EURUSD, 1_000, None);
    q.sink.room = 0;
    q.inbound("S", &format!("131={req}|117=W|537=1|55=EUR/USD|132=1.08"));
    assert_eq!(q.desk.events_pending(), 1);
    q.sink.room = usize::MAX;
    assert_eq!(q.poll(), 1);
    assert!(matches!(
        q.events().as_slice(),
        [Event::Quote { tag: 1, .. }]
    ));
}

#[test]
fn quote_request_ids_stay_unique_across_a_restart_on_the_same_journal() {
    // The first desk sends three requests; a desk built after a restart
    // replays those messages (as it replays the journal's outbound R
    // records) and numbers on after the highest.
    let mut a = Q::new();
    let ids: Vec<String> = (0..3).map(|t| a.request(t, EURUSD, 1, None)).collect();
    let mut b = Q::new();
    let seen = b.desk.replay(a.wire.sent.iter().map(|m| m.as_slice()));
    assert_eq!(seen, 3);
    assert_eq!(b.desk.next_request_number(), a.desk.next_request_number());
    for t in 0..3 {
        let id = b.request(t, EURUSD, 1, None);
        assert!(!ids.contains(&id), "{id} was already used: {ids:?}");
    }
    // Messages of other kinds and other prefixes do not count.
    let mut other = Q::new();
    let foreign = fixrail::codec::testing::fix(
        "8=FIX.4.4|35=R|34=1|49=X|52=20260302-09:30:00|56=Y|131=ZZQ0.ZZZZ|146=1|55=EUR/USD|38=1|",
    );
    assert_eq!(other.desk.replay([foreign.as_slice()]), 0);
    assert_eq!(other.desk.next_request_number(), 1);
}

#[test]
fn a_new_order_single_with_a_quote_id_replays_as_an_order() {
    // The order stage's journal replay reads a D with 117 as any D.
    let mut q = Q::new();
    let req = q.request(1, EURUSD, 1_000, None);
    let quote = q.firm_quote(&req, "RQ");
    q.cmd(order_on(quote, 9, Side::Buy, 1_000));
    let order = match q.events().as_slice() {
        [Event::OrderSent { order, .. }] => *order,
        other => panic!("{other:?}"),
    };
    let d = q.wire.sent.last().unwrap().clone();
    let mut om = OrderManager::new(
        OrderConfig {
            max_orders: 64,
            ..OrderConfig::default()
        },
        order_harness::instruments(),
    )
    .unwrap();
    let report = om.replay([(Direction::Out, d.as_slice())]);
    assert_eq!(report.orders, 1, "{report:?}");
    let view = om.order(order).unwrap();
    assert_eq!(
        (view.price, view.qty, view.open),
        (px("1.0801"), Qty(1_000), true)
    );
}
