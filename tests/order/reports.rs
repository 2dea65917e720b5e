//! Reports the state machine must survive: unknown and stale ClOrdIDs,
//! repeats, out-of-order CumQty, reports for finished orders, malformed
//! fields. None of them panics, each is counted, none invents an event.

use crate::harness::*;
use fixrail::order::{OrderConfig, Outcome};
use fixrail::risk::RiskView;
use fixrail::strategy::{Event, OrderState, Qty};

#[test]
fn unknown_clordids_are_counted_and_produce_no_event() {
    // Another engine's prefix, an id never issued (generation or version
    // beyond what was sent), a slot beyond the table, garbage, no id at all.
    let mut h = H::new();
    let x = h.buy(1, 100, "1.1");
    h.events();
    let slot = x.slot;
    for id in [
        "XX0.1.0".to_string(),
        format!("FR{:02}.2.0", slot),
        format!("FR{:02}.1.1", slot),
        "FRZZ.1.0".to_string(),
        "FR00.1".to_string(),
        "hello".to_string(),
    ] {
        assert_eq!(
            h.er(&format!("11={id}|150=F|39=1|14=1|151=99|32=1|31=1.1")),
            Outcome::Unknown,
            "{id}"
        );
        assert_eq!(
            h.ocr(&format!("11={id}|41={id}|39=0|434=1")),
            Outcome::Unknown
        );
    }
    assert_eq!(h.er("150=0|39=0|14=0|151=0"), Outcome::Unknown);
    assert_eq!(h.events(), []);
    let c = h.om.counters();
    assert_eq!((c.unknown_reports, c.unknown_fills), (13, 6));
    assert_eq!(h.om.position(EURUSD), Qty(0));
    assert_eq!(h.state(x), OrderState::PendingNew);
}

#[test]
fn a_report_for_an_earlier_occupant_of_a_reused_slot_is_stale() {
    let mut h = H::with(OrderConfig {
        max_orders: 1,
        ..OrderConfig::default()
    });
    let a = h.buy(1, 100, "1.1");
    let aid = h.cl(a, 0);
    h.er(&format!("11={aid}|150=0|39=0|14=0|151=100"));
    h.er(&format!("11={aid}|150=4|39=4|14=0|151=0"));
    h.events();
    let b = h.buy(2, 100, "1.1");
    assert_eq!((b.slot, b.generation), (a.slot, a.generation + 1));
    assert_eq!(
        h.er(&format!("11={aid}|150=F|39=1|14=10|151=90|32=10|31=1.1")),
        Outcome::Stale
    );
    assert_eq!(
        h.ocr(&format!("11={}|41={aid}|39=4|434=1", h.cl(a, 1))),
        Outcome::Stale
    );
    assert_eq!(h.events(), []);
    assert_eq!(h.om.counters().stale_reports, 2);
    assert_eq!(h.om.counters().unknown_fills, 1);
    assert_eq!(h.state(b), OrderState::PendingNew);
    assert_eq!(h.om.position(EURUSD), Qty(0));
}

#[test]
fn a_repeated_exec_id_changes_nothing() {
    let mut h = H::new();
    let x = h.buy(1, 100, "1.1");
    let xid = h.cl(x, 0);
    let ack = format!("17=A|11={xid}|150=0|39=0|14=0|151=100");
    let trade = format!("17=B|11={xid}|150=F|39=1|14=40|151=60|32=40|31=1.1");
    assert_eq!(h.er(&ack), Outcome::Applied);
    assert_eq!(h.er(&trade), Outcome::Applied);
    assert_eq!(h.er(&trade), Outcome::Duplicate);
    assert_eq!(h.er(&ack), Outcome::Duplicate);
    assert_eq!(h.events().len(), 2);
    assert_eq!(h.om.position(EURUSD), Qty(40));
    assert_eq!(h.om.counters().duplicate_reports, 2);
}

#[test]
fn cum_qty_never_goes_backwards() {
    // A trade with a fresh ExecID but a CumQty already booked (an earlier
    // fill arriving late, a resend the ExecID ring forgot) books nothing;
    // a later report with a lower CumQty does not lower it.
    let mut h = H::new();
    let x = h.buy(1, 100, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=100"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=60|151=40|32=60|31=1.1|6=1.1"
    ));
    h.events();
    assert_eq!(
        h.er(&format!(
            "11={xid}|150=F|39=1|14=30|151=70|32=30|31=1.1|6=1.1"
        )),
        Outcome::Duplicate
    );
    assert_eq!(h.events(), []);
    h.er(&format!("17=0|11={xid}|150=I|39=1|14=30|151=70"));
    let v = h.om.order(x).unwrap();
    assert_eq!((v.cum_qty, v.leaves_qty), (Qty(60), Qty(40)));
    assert_eq!(h.om.position(EURUSD), Qty(60));
}

#[test]
fn a_status_report_showing_more_filled_books_the_gap_at_the_implied_price() {
    // 100 seen at 1.1; the venue's status says 300 at an average of 1.3, so
    // 200 were filled at 1.4. When those fills arrive after all, they are
    // already booked.
    let mut h = H::new();
    let x = h.buy(1, 1000, "1.5");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=1000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=100|151=900|32=100|31=1.1|6=1.1"
    ));
    h.events();
    h.er(&format!("17=0|11={xid}|150=I|39=1|14=300|151=700|6=1.3"));
    assert_eq!(
        h.events(),
        [Event::Status {
            order: x,
            state: OrderState::PartiallyFilled,
            cum_qty: Qty(300),
            leaves_qty: Qty(700)
        }]
    );
    let p = *h.om.position_of(EURUSD).unwrap();
    assert_eq!(p.qty, Qty(300));
    assert_eq!(p.cost, 390 * fixrail::strategy::Price::SCALE as i128);
    assert_eq!(h.om.order(x).unwrap().avg_px, Some(px("1.3")));
    for (cum, last) in [(200, 100), (300, 100)] {
        assert_eq!(
            h.er(&format!(
                "11={xid}|150=F|39=1|14={cum}|151={}|32={last}|31=1.4|6=1.3",
                1000 - cum
            )),
            Outcome::Duplicate
        );
    }
    assert_eq!(h.om.position(EURUSD), Qty(300));
    assert_eq!(h.events(), []);
}

#[test]
fn a_fill_that_skips_books_the_whole_step() {
    // LastQty 100 but CumQty up by 300: the other 200 (a report lost or
    // taken for a repeat) are booked at the price AvgPx implies.
    let mut h = H::new();
    let x = h.buy(1, 1000, "2");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=1000"));
    h.events();
    h.er(&format!(
        "11={xid}|150=F|39=1|14=300|151=700|32=100|31=2|6=1.5"
    ));
    assert_eq!(
        h.events(),
        [Event::PartialFill {
            order: x,
            last_px: px("2"),
            last_qty: Qty(100),
            cum_qty: Qty(300),
            leaves_qty: Qty(700)
        }]
    );
    let p = *h.om.position_of(EURUSD).unwrap();
    assert_eq!(p.qty, Qty(300));
    assert_eq!(p.cost, 450 * fixrail::strategy::Price::SCALE as i128);
}

#[test]
fn reports_for_a_finished_order_are_late() {
    // The order is done and its slot not yet reused: a repeated ack or
    // status changes nothing; a fill beyond CumQty is real and booked.
    let mut h = H::new();
    let x = h.buy(1, 100, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=100"));
    h.er(&format!("11={xid}|150=4|39=4|14=0|151=0"));
    h.events();
    assert_eq!(
        h.er(&format!("11={xid}|150=0|39=0|14=0|151=100")),
        Outcome::Late
    );
    assert_eq!(
        h.ocr(&format!("11={}|41={xid}|39=4|434=1", h.cl(x, 0))),
        Outcome::Duplicate,
        "no request pending"
    );
    assert_eq!(
        h.er(&format!("11={xid}|150=F|39=4|14=10|151=0|32=10|31=1.1")),
        Outcome::Applied
    );
    assert_eq!(
        h.events(),
        [Event::PartialFill {
            order: x,
            last_px: px("1.1"),
            last_qty: Qty(10),
            cum_qty: Qty(10),
            leaves_qty: Qty(0)
        }]
    );
    assert_eq!(h.state(x), OrderState::Canceled);
    assert_eq!(h.om.position(EURUSD), Qty(10));
    let c = h.om.counters();
    assert_eq!((c.late_reports, c.late_fills), (1, 1));
}

#[test]
fn an_old_replace_report_does_not_undo_a_newer_one() {
    let mut h = H::new();
    let x = h.buy(1, 100, "1.1");
    let (xid, yid, zid) = (h.cl(x, 0), h.cl(x, 1), h.cl(x, 2));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=100"));
    h.replace(x, "1.2", 90);
    let first = format!("11={yid}|41={xid}|150=5|39=0|38=90|44=1.2|14=0|151=90");
    h.er(&first);
    h.replace(x, "1.3", 80);
    h.er(&format!(
        "11={zid}|41={yid}|150=5|39=0|38=80|44=1.3|14=0|151=80"
    ));
    h.events();
    // Both replaces again, with other ExecIDs (resends past the ring).
    assert_eq!(h.er(&first), Outcome::Duplicate);
    assert_eq!(
        h.er(&format!(
            "11={zid}|41={yid}|150=5|39=0|38=80|44=1.3|14=0|151=80"
        )),
        Outcome::Duplicate
    );
    assert_eq!(h.events(), []);
    let v = h.om.order(x).unwrap();
    assert_eq!((v.qty, v.price), (Qty(80), px("1.3")));
}

#[test]
fn malformed_reports_are_counted() {
    let mut h = H::new();
    let x = h.buy(1, 100, "1.1");
    let xid = h.cl(x, 0);
    h.events();
    for body in [
        format!("11={xid}|39=0|14=0|151=100"),
        format!("11={xid}|150=0|14=0|151=100"),
        format!("11={xid}|150=F|39=1|14=1.5|151=98.5|32=1.5|31=1.1"),
        format!("11={xid}|150=F|39=1|14=x|151=1|32=1|31=1.1"),
        format!("11={xid}|150=0|39=Z|14=0|151=100"),
        format!("11={xid}|150=00|39=0|14=0|151=100"),
    ] {
        assert_eq!(h.er(&body), Outcome::Malformed, "{body}");
    }
    assert_eq!(
        h.ocr(&format!("11={}|41={xid}|39=0|434=1|102=x", h.cl(x, 1))),
        Outcome::Malformed
    );
    assert_eq!(h.events(), []);
    assert_eq!(h.om.counters().malformed_reports, 7);
    assert_eq!(h.state(x), OrderState::PendingNew);
}

#[test]
fn other_messages_are_not_the_order_stages() {
    let mut h = H::new();
    let mut p = fixrail::codec::Parser::default();
    let m = fixrail::codec::testing::fix(
        "8=FIX.4.4|35=j|34=2|49=VENUE|52=20260302-09:30:00|56=BUY|45=1|380=3|",
    );
    let msg = p.parse(&m).unwrap();
    assert_eq!(
        h.om.on_message(t0(), &msg, &mut h.sink),
        Outcome::NotOrderMessage
    );
    assert_eq!(h.om.counters().reports, 0);
}
