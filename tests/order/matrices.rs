//! FIX 4.4 Volume 4, Appendix D: the order-state-change matrices, as the
//! buy side sees them. Each test is named after its matrix (A.1.a ...) and
//! plays the sell side's messages in the matrix's order, checking the
//! order's state and the events the strategy gets after each step. Where a
//! matrix has an "if rejected" branch, the branch is a test of its own.
//!
//! Not expressible, by design: D.2.a and D.2.b (a second cancel/replace
//! while one is pending — the stage refuses it locally, see
//! `d_2_chaining_is_refused_locally`), E.1.a's telephoned order itself (no
//! ClOrdID of ours: an unknown report), and J's corrections and busts
//! (counted and not applied).

use crate::harness::*;
use fixrail::order::Outcome;
use fixrail::risk::RiskView;
use fixrail::strategy::{Event, OrderState, Qty, RejectReason, Side, TimeInForce};

fn partial(order: fixrail::strategy::OrderId, last: (i64, &str), cum: i64, leaves: i64) -> Event {
    Event::PartialFill {
        order,
        last_px: px(last.1),
        last_qty: Qty(last.0),
        cum_qty: Qty(cum),
        leaves_qty: Qty(leaves),
    }
}

fn fill(order: fixrail::strategy::OrderId, last: (i64, &str), cum: i64) -> Event {
    Event::Fill {
        order,
        last_px: px(last.1),
        last_qty: Qty(last.0),
        cum_qty: Qty(cum),
    }
}

fn status(order: fixrail::strategy::OrderId, state: OrderState, cum: i64, leaves: i64) -> Event {
    Event::Status {
        order,
        state,
        cum_qty: Qty(cum),
        leaves_qty: Qty(leaves),
    }
}

// ---------------------------------------------------------------- A Vanilla

#[test]
fn a_1_a_filled_order() {
    // New, two partial fills, the completing fill: Accepted, PartialFill x2,
    // Fill; the order is finished and the position holds all of it.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    assert_eq!(h.state(x), OrderState::PendingNew);
    assert_eq!(
        h.er(&format!("11={xid}|150=0|39=0|38=10000|14=0|151=10000|6=0")),
        Outcome::Applied
    );
    assert_eq!(h.events(), [Event::Accepted { order: x }]);
    assert_eq!(h.state(x), OrderState::New);
    h.er(&format!(
        "11={xid}|150=F|39=1|38=10000|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [partial(x, (1000, "1.1"), 1000, 9000)]);
    assert_eq!(h.state(x), OrderState::PartiallyFilled);
    h.er(&format!(
        "11={xid}|150=F|39=1|38=10000|14=3000|151=7000|32=2000|31=1.09|6=1.09333"
    ));
    assert_eq!(h.events(), [partial(x, (2000, "1.09"), 3000, 7000)]);
    h.er(&format!(
        "11={xid}|150=F|39=2|38=10000|14=10000|151=0|32=7000|31=1.1|6=1.098"
    ));
    assert_eq!(h.events(), [fill(x, (7000, "1.1"), 10000)]);
    assert_eq!(h.state(x), OrderState::Filled);
    assert_eq!(h.om.open_orders(), 0);
    assert_eq!(h.om.position(EURUSD), Qty(10000));
    assert_eq!(h.om.open_qty(EURUSD), (Qty(0), Qty(0)));
    assert_eq!(h.om.market_price(EURUSD), Some(px("1.1")));
}

#[test]
fn a_1_a_filled_order_if_rejected() {
    // The "if order is rejected" row: Rejected with the venue's OrdRejReason.
    let mut h = H::new();
    let x = h.buy(7, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!(
        "11={xid}|150=8|39=8|103=3|38=10000|14=0|151=0|58=limit"
    ));
    assert_eq!(
        h.events(),
        [Event::Rejected {
            tag: 7,
            order: Some(x),
            reason: RejectReason::Venue(3)
        }]
    );
    assert_eq!(h.state(x), OrderState::Rejected);
    assert_eq!(h.om.open_orders(), 0);
    assert!(!h.om.tag_in_use(7));
}

#[test]
fn a_1_b_part_filled_day_order_done_for_day() {
    // A day order partly filled, then done for the day: it expires.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=2000|151=8000|32=2000|31=1.1|6=1.1"
    ));
    h.events();
    h.er(&format!("11={xid}|150=3|39=3|14=2000|151=0|6=1.1"));
    assert_eq!(h.events(), [Event::Expired { order: x }]);
    assert_eq!(h.state(x), OrderState::Expired);
    assert_eq!(h.om.position(EURUSD), Qty(2000));
    assert_eq!(h.om.open_qty(EURUSD), (Qty(0), Qty(0)));
}

// ----------------------------------------------------------------- B Cancel

#[test]
fn b_1_a_cancel_request_issued_for_a_zero_filled_order() {
    // F names the order by OrigClOrdID and carries a new ClOrdID; pending
    // cancel, then canceled.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.events();
    h.cancel(x);
    assert_eq!(h.wire.msg_type(-1), "F");
    assert_eq!(h.wire.field(-1, 11), Some(yid.clone()));
    assert_eq!(h.wire.field(-1, 41), Some(xid.clone()));
    assert_eq!(
        h.wire.field(-1, 37).as_deref(),
        Some("V1"),
        "the venue's OrderID"
    );
    assert_eq!(h.wire.field(-1, 38).as_deref(), Some("10000"));
    assert_eq!(h.wire.field(-1, 54).as_deref(), Some("1"));
    assert_eq!(h.wire.field(-1, 55).as_deref(), Some("EUR/USD"));
    assert!(h.wire.field(-1, 60).is_some());
    assert_eq!(h.events(), []);
    assert_eq!(h.state(x), OrderState::PendingCancel);
    h.er(&format!("11={yid}|41={xid}|150=6|39=6|14=0|151=10000"));
    assert_eq!(h.events(), []);
    assert_eq!(h.state(x), OrderState::PendingCancel);
    h.er(&format!("11={yid}|41={xid}|150=4|39=4|14=0|151=0"));
    assert_eq!(h.events(), [Event::Canceled { order: x }]);
    assert_eq!(h.state(x), OrderState::Canceled);
    assert_eq!(h.om.open_orders(), 0);
}

#[test]
fn b_1_a_cancel_request_issued_for_a_zero_filled_order_if_rejected() {
    // Rejected before and after the pending-cancel acknowledgement: the
    // order is New again, and the next request still names the ClOrdID the
    // venue accepted (X), with a ClOrdID never used before.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.events();
    h.cancel(x);
    assert_eq!(
        h.ocr(&format!("11={yid}|41={xid}|39=0|434=1|102=2")),
        Outcome::Applied
    );
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: x,
            reason: RejectReason::VenueCancelReject(2)
        }]
    );
    assert_eq!(h.state(x), OrderState::New);
    h.cancel(x);
    let zid = h.cl(x, 2);
    assert_eq!(h.wire.field(-1, 11), Some(zid.clone()));
    assert_eq!(h.wire.field(-1, 41), Some(xid.clone()));
    h.er(&format!("11={zid}|41={xid}|150=6|39=6|14=0|151=10000"));
    h.ocr(&format!("11={zid}|41={xid}|39=0|434=1|102=0"));
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: x,
            reason: RejectReason::VenueCancelReject(0)
        }]
    );
    assert_eq!(h.state(x), OrderState::New);
}

#[test]
fn b_1_b_cancel_request_issued_for_a_part_filled_order_executions_occur_whilst_cancel_request_is_active(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=2000|151=8000|32=2000|31=1.1|6=1.1"
    ));
    h.events();
    h.cancel(x);
    // This execution passes the cancel request on the connection.
    h.er(&format!(
        "11={xid}|150=F|39=1|14=5000|151=5000|32=3000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [partial(x, (3000, "1.1"), 5000, 5000)]);
    assert_eq!(h.state(x), OrderState::PendingCancel);
    h.er(&format!("11={yid}|41={xid}|150=6|39=6|14=5000|151=5000"));
    // Execution whilst pending cancel: "pending cancel" takes precedence.
    h.er(&format!(
        "11={xid}|150=F|39=6|14=6000|151=4000|32=1000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [partial(x, (1000, "1.1"), 6000, 4000)]);
    assert_eq!(h.state(x), OrderState::PendingCancel);
    assert_eq!(h.om.open_qty(EURUSD), (Qty(4000), Qty(0)));
    h.er(&format!("11={yid}|41={xid}|150=4|39=4|14=6000|151=0"));
    assert_eq!(h.events(), [Event::Canceled { order: x }]);
    assert_eq!(h.om.position(EURUSD), Qty(6000));
    assert_eq!(h.om.open_qty(EURUSD), (Qty(0), Qty(0)));
}

#[test]
fn b_1_b_if_rejected_the_part_filled_order_works_on() {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=2000|151=8000|32=2000|31=1.1|6=1.1"
    ));
    h.cancel(x);
    h.events();
    h.ocr(&format!("11={yid}|41={xid}|39=1|434=1|102=0"));
    assert_eq!(h.state(x), OrderState::PartiallyFilled);
    assert_eq!(h.om.order(x).unwrap().leaves_qty, Qty(8000));
}

#[test]
fn b_1_c_cancel_request_issued_for_an_order_that_becomes_filled_before_cancel_request_can_be_accepted(
) {
    // The fill completes the order while the cancel is pending; the venue's
    // "too late to cancel" still answers the request, after the Fill.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=2000|151=8000|32=2000|31=1.1|6=1.1"
    ));
    h.cancel(x);
    h.er(&format!(
        "11={xid}|150=F|39=1|14=5000|151=5000|32=3000|31=1.1|6=1.1"
    ));
    h.er(&format!("11={yid}|41={xid}|150=6|39=6|14=5000|151=5000"));
    h.events();
    h.er(&format!(
        "11={xid}|150=F|39=6|14=10000|151=0|32=5000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [fill(x, (5000, "1.1"), 10000)]);
    assert_eq!(h.state(x), OrderState::Filled);
    assert_eq!(h.om.open_orders(), 0);
    assert_eq!(
        h.ocr(&format!("11={yid}|41={xid}|39=2|434=1|102=0")),
        Outcome::Applied
    );
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: x,
            reason: RejectReason::VenueCancelReject(0)
        }]
    );
    assert_eq!(h.state(x), OrderState::Filled);
    assert_eq!(h.om.position(EURUSD), Qty(10000));
}

#[test]
fn b_1_d_cancel_request_issued_for_an_order_that_has_not_yet_been_acknowledged() {
    // FIX 4.4 lets a cancel go out for an order still pending new, so the
    // stage sends it. The venue's pending-cancel report is its first sign it
    // holds the order: Accepted, and the cancel is still pending.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=A|39=A|14=0|151=10000"));
    assert_eq!(h.events(), []);
    h.cancel(x);
    assert_eq!(h.wire.msg_type(-1), "F");
    assert_eq!(h.wire.field(-1, 41), Some(xid.clone()));
    assert_eq!(
        h.wire.field(-1, 37).as_deref(),
        Some("V1"),
        "the pending-new report named the venue's OrderID"
    );
    assert_eq!(h.state(x), OrderState::PendingCancel);
    h.er(&format!("11={yid}|41={xid}|150=6|39=6|14=0|151=10000"));
    assert_eq!(h.events(), [Event::Accepted { order: x }]);
    assert_eq!(h.state(x), OrderState::PendingCancel);
    h.er(&format!("11={yid}|41={xid}|150=4|39=4|14=0|151=0"));
    assert_eq!(h.events(), [Event::Canceled { order: x }]);
}

#[test]
fn b_1_e_cancel_request_issued_for_an_order_that_has_not_yet_been_acknowledged_the_acknowledgment_and_the_cancel_request_cross(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.cancel(x);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    assert_eq!(h.events(), [Event::Accepted { order: x }]);
    assert_eq!(h.state(x), OrderState::PendingCancel, "still pending");
    h.er(&format!("11={yid}|41={xid}|150=6|39=6|14=0|151=10000"));
    h.er(&format!("11={yid}|41={xid}|150=4|39=4|14=0|151=0"));
    assert_eq!(h.events(), [Event::Canceled { order: x }]);
}

#[test]
fn b_1_f_cancel_request_issued_for_an_unknown_order() {
    // The venue does not know the order yet (its NewOrderSingle is behind
    // the cancel): "unknown order", OrdStatus Rejected, OrderID NONE. Only
    // the request is refused: the order stays pending new, and is then
    // acknowledged. (A cancel for an id the stage never issued is refused
    // locally and never sent: see commands.rs.)
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.cancel(x);
    h.ocr(&format!("37=NONE|11={yid}|41={xid}|39=8|434=1|102=1"));
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: x,
            reason: RejectReason::VenueCancelReject(1)
        }]
    );
    assert_eq!(h.state(x), OrderState::PendingNew);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    assert_eq!(h.events(), [Event::Accepted { order: x }]);
    h.cancel(x);
    assert_eq!(h.wire.field(-1, 11), Some(h.cl(x, 2)));
    assert_eq!(h.wire.field(-1, 41), Some(xid));
    assert_eq!(h.wire.field(-1, 37).as_deref(), Some("V1"), "not NONE");
}

// ------------------------------------------------ C Cancel/Replace quantity

#[test]
fn c_1_a_zero_filled_order_cancel_replace_request_issued_to_increase_order_qty() {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.events();
    h.replace(x, "1.1", 11000);
    assert_eq!(h.wire.msg_type(-1), "G");
    assert_eq!(h.wire.field(-1, 11), Some(yid.clone()));
    assert_eq!(h.wire.field(-1, 41), Some(xid.clone()));
    assert_eq!(h.wire.field(-1, 38).as_deref(), Some("11000"));
    assert_eq!(h.wire.field(-1, 44).as_deref(), Some("1.1"));
    assert_eq!(h.wire.field(-1, 40).as_deref(), Some("2"));
    assert_eq!(h.wire.field(-1, 59).as_deref(), Some("0"));
    assert_eq!(h.state(x), OrderState::PendingReplace);
    // Risk sees the larger of now and after.
    assert_eq!(h.om.open_qty(EURUSD), (Qty(11000), Qty(0)));
    h.er(&format!(
        "11={yid}|41={xid}|150=E|39=E|38=10000|14=0|151=10000"
    ));
    assert_eq!(h.events(), []);
    h.er(&format!(
        "11={yid}|41={xid}|150=5|39=0|38=11000|44=1.1|14=0|151=11000"
    ));
    assert_eq!(
        h.events(),
        [Event::Replaced {
            order: x,
            price: px("1.1"),
            qty: Qty(11000)
        }]
    );
    assert_eq!(h.state(x), OrderState::New);
    assert_eq!(h.om.cl_ord_id(x).unwrap().as_str(), yid);
    assert_eq!(h.om.open_qty(EURUSD), (Qty(11000), Qty(0)));
    h.er(&format!(
        "11={yid}|150=F|39=1|38=11000|14=1000|151=10000|32=1000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [partial(x, (1000, "1.1"), 1000, 10000)]);
}

#[test]
fn c_1_a_if_rejected_the_order_keeps_its_quantity() {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.replace(x, "1.1", 11000);
    h.events();
    h.ocr(&format!("11={yid}|41={xid}|39=0|434=2|102=3"));
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: x,
            reason: RejectReason::VenueCancelReject(3)
        }]
    );
    let v = h.om.order(x).unwrap();
    assert_eq!((v.state, v.qty), (OrderState::New, Qty(10000)));
    assert_eq!(h.om.open_qty(EURUSD), (Qty(10000), Qty(0)));
    assert_eq!(h.om.cl_ord_id(x).unwrap().as_str(), xid);
}

#[test]
fn c_1_b_part_filled_order_followed_by_cancel_replace_request_to_increase_order_qty_execution_occurs_whilst_order_is_pending_replace(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    h.events();
    h.replace(x, "1.1", 12000);
    h.er(&format!(
        "11={yid}|41={xid}|150=E|39=E|38=10000|14=1000|151=9000"
    ));
    h.er(&format!(
        "11={xid}|150=F|39=E|38=10000|14=1100|151=8900|32=100|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [partial(x, (100, "1.1"), 1100, 8900)]);
    assert_eq!(h.state(x), OrderState::PendingReplace);
    h.er(&format!(
        "11={yid}|41={xid}|150=5|39=1|38=12000|44=1.1|14=1100|151=10900"
    ));
    assert_eq!(
        h.events(),
        [Event::Replaced {
            order: x,
            price: px("1.1"),
            qty: Qty(12000)
        }]
    );
    assert_eq!(h.state(x), OrderState::PartiallyFilled);
    assert_eq!(h.om.open_qty(EURUSD), (Qty(10900), Qty(0)));
    h.er(&format!(
        "11={yid}|150=F|39=2|38=12000|14=12000|151=0|32=10900|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [fill(x, (10900, "1.1"), 12000)]);
    assert_eq!(h.om.position(EURUSD), Qty(12000));
}

#[test]
fn c_1_c_filled_order_followed_by_cancel_replace_request_to_increase_order_quantity() {
    // As the matrix has it (the fill first, then the request), the stage
    // refuses the request: a filled order can no longer be replaced.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=2|14=10000|151=0|32=10000|31=1.1|6=1.1"
    ));
    h.events();
    let sent = h.wire.sent.len();
    h.replace(x, "1.1", 12000);
    assert_eq!(h.wire.sent.len(), sent, "nothing sent");
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: x,
            reason: RejectReason::NotCancelable
        }]
    );
}

#[test]
fn c_1_c_with_the_request_crossing_the_fill_the_replaced_order_lives_again() {
    // The race the matrix implies: the increase crosses the completing fill
    // and the venue applies it, so the finished order works again.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.replace(x, "1.1", 12000);
    h.er(&format!(
        "11={xid}|150=F|39=2|14=10000|151=0|32=10000|31=1.1|6=1.1"
    ));
    h.events();
    assert_eq!(h.state(x), OrderState::Filled);
    assert_eq!(h.om.open_orders(), 0);
    h.er(&format!(
        "11={yid}|41={xid}|150=E|39=E|38=10000|14=10000|151=0"
    ));
    assert_eq!(h.events(), []);
    h.er(&format!(
        "11={yid}|41={xid}|150=5|39=1|38=12000|44=1.1|14=10000|151=2000"
    ));
    assert_eq!(
        h.events(),
        [Event::Replaced {
            order: x,
            price: px("1.1"),
            qty: Qty(12000)
        }]
    );
    assert_eq!(h.state(x), OrderState::PartiallyFilled);
    assert_eq!(h.om.open_orders(), 1);
    assert_eq!(h.om.counters().reopened, 1);
    assert_eq!(h.om.open_qty(EURUSD), (Qty(2000), Qty(0)));
    assert!(h.om.tag_in_use(1));
    h.er(&format!(
        "11={yid}|150=F|39=2|38=12000|14=12000|151=0|32=2000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [fill(x, (2000, "1.1"), 12000)]);
    assert_eq!(h.om.open_orders(), 0);
    // The slot's old free-list entry is skipped, not handed out twice.
    let a = h.buy(2, 1, "1.1");
    let b = h.buy(3, 1, "1.1");
    assert_ne!(a.slot, b.slot);
}

#[test]
fn c_2_a_cancel_replace_request_not_for_quantity_change_is_rejected_as_a_fill_has_occurred() {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    h.events();
    h.replace(x, "1.09", 10000);
    assert_eq!(h.wire.field(-1, 44).as_deref(), Some("1.09"));
    h.er(&format!(
        "11={xid}|150=F|39=2|14=10000|151=0|32=9000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [fill(x, (9000, "1.1"), 10000)]);
    h.ocr(&format!("11={yid}|41={xid}|39=2|434=2|102=0"));
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: x,
            reason: RejectReason::VenueCancelReject(0)
        }]
    );
    let v = h.om.order(x).unwrap();
    assert_eq!((v.state, v.price), (OrderState::Filled, px("1.1")));
}

#[test]
fn c_3_a_replace_sent_whilst_execution_is_being_reported_requested_qty_exceeds_cum_qty_order_is_replaced_then_filled(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.events();
    h.replace(x, "1.1", 8000);
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [partial(x, (1000, "1.1"), 1000, 9000)]);
    // Exposure while pending: the larger of now (9000) and after (7000).
    assert_eq!(h.om.open_qty(EURUSD), (Qty(9000), Qty(0)));
    h.er(&format!(
        "11={yid}|41={xid}|150=E|39=E|38=10000|14=1000|151=9000"
    ));
    h.er(&format!(
        "11={yid}|41={xid}|150=5|39=1|38=8000|44=1.1|14=1000|151=7000"
    ));
    assert_eq!(
        h.events(),
        [Event::Replaced {
            order: x,
            price: px("1.1"),
            qty: Qty(8000)
        }]
    );
    assert_eq!(h.om.open_qty(EURUSD), (Qty(7000), Qty(0)));
    h.er(&format!(
        "11={yid}|150=F|39=2|38=8000|14=8000|151=0|32=7000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [fill(x, (7000, "1.1"), 8000)]);
}

#[test]
fn c_3_b_replace_sent_whilst_execution_is_being_reported_requested_qty_equals_cum_qty_order_qty_is_amended_to_cum_qty(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.replace(x, "1.1", 7000);
    h.er(&format!(
        "11={xid}|150=F|39=1|14=7000|151=3000|32=7000|31=1.1|6=1.1"
    ));
    h.events();
    h.er(&format!(
        "11={yid}|41={xid}|150=5|39=2|38=7000|44=1.1|14=7000|151=0"
    ));
    assert_eq!(
        h.events(),
        [
            Event::Replaced {
                order: x,
                price: px("1.1"),
                qty: Qty(7000)
            },
            status(x, OrderState::Filled, 7000, 0)
        ]
    );
    assert_eq!(h.om.open_orders(), 0);
}

#[test]
fn c_3_c_replace_sent_whilst_execution_is_being_reported_requested_qty_is_below_cum_qty_order_qty_is_amended_to_cum_qty(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.replace(x, "1.1", 7000);
    h.er(&format!(
        "11={xid}|150=F|39=1|14=8000|151=2000|32=8000|31=1.1|6=1.1"
    ));
    h.events();
    h.er(&format!(
        "11={yid}|41={xid}|150=5|39=2|38=8000|44=1.1|14=8000|151=0"
    ));
    assert_eq!(
        h.events(),
        [
            Event::Replaced {
                order: x,
                price: px("1.1"),
                qty: Qty(8000)
            },
            status(x, OrderState::Filled, 8000, 0)
        ]
    );
    assert_eq!(h.om.order(x).unwrap().qty, Qty(8000));
}

// ------------------------------------ D Cancel/Replace sequencing, chaining

#[test]
fn d_1_a_one_cancel_replace_request_is_issued_which_is_accepted_another_one_is_issued_which_is_also_accepted(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid, zid) = (h.cl(x, 0), h.cl(x, 1), h.cl(x, 2));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    h.replace(x, "1.1", 8000);
    h.er(&format!(
        "11={yid}|41={xid}|150=E|39=E|38=10000|14=1000|151=9000"
    ));
    h.er(&format!(
        "11={xid}|150=F|39=E|38=10000|14=1500|151=8500|32=500|31=1.1|6=1.1"
    ));
    h.er(&format!(
        "11={yid}|41={xid}|150=5|39=1|38=8000|44=1.1|14=1500|151=6500"
    ));
    h.er(&format!(
        "11={yid}|150=F|39=1|38=8000|14=3500|151=4500|32=2000|31=1.1|6=1.1"
    ));
    h.events();
    h.replace(x, "1.1", 6000);
    assert_eq!(h.wire.field(-1, 11), Some(zid.clone()));
    assert_eq!(h.wire.field(-1, 41), Some(yid.clone()), "the last accepted");
    h.er(&format!(
        "11={zid}|41={yid}|150=E|39=E|38=8000|14=3500|151=4500"
    ));
    h.er(&format!(
        "11={zid}|41={yid}|150=5|39=1|38=6000|44=1.1|14=3500|151=2500"
    ));
    assert_eq!(
        h.events(),
        [Event::Replaced {
            order: x,
            price: px("1.1"),
            qty: Qty(6000)
        }]
    );
    h.er(&format!(
        "11={zid}|150=F|39=2|38=6000|14=6000|151=0|32=2500|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [fill(x, (2500, "1.1"), 6000)]);
    assert_eq!(h.om.position(EURUSD), Qty(6000));
}

#[test]
fn d_1_b_one_cancel_replace_request_is_issued_which_is_rejected_before_order_becomes_pending_replace_then_another_one_is_issued_which_is_accepted(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid, zid) = (h.cl(x, 0), h.cl(x, 1), h.cl(x, 2));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    h.replace(x, "1.1", 8000);
    h.ocr(&format!("11={yid}|41={xid}|39=1|434=2|102=0"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1500|151=8500|32=500|31=1.1|6=1.1"
    ));
    h.events();
    h.replace(x, "1.1", 6000);
    assert_eq!(h.wire.field(-1, 11), Some(zid.clone()), "never reused");
    assert_eq!(h.wire.field(-1, 41), Some(xid.clone()), "X: Y was rejected");
    h.er(&format!(
        "11={zid}|41={xid}|150=E|39=E|38=10000|14=1500|151=8500"
    ));
    h.er(&format!(
        "11={zid}|41={xid}|150=5|39=1|38=6000|44=1.1|14=1500|151=4500"
    ));
    assert_eq!(
        h.events(),
        [Event::Replaced {
            order: x,
            price: px("1.1"),
            qty: Qty(6000)
        }]
    );
    assert_eq!(h.om.order(x).unwrap().leaves_qty, Qty(4500));
}

#[test]
fn d_1_c_one_cancel_replace_request_is_issued_which_is_rejected_after_it_is_in_pending_replace_then_another_one_is_issued_which_is_accepted(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let (xid, yid, zid) = (h.cl(x, 0), h.cl(x, 1), h.cl(x, 2));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    h.replace(x, "1.1", 8000);
    h.er(&format!(
        "11={yid}|41={xid}|150=E|39=E|38=10000|14=1000|151=9000"
    ));
    h.er(&format!(
        "11={xid}|150=F|39=E|14=1500|151=8500|32=500|31=1.1|6=1.1"
    ));
    h.events();
    h.ocr(&format!("11={yid}|41={xid}|39=1|434=2|102=99"));
    assert_eq!(
        h.events(),
        [Event::CancelRejected {
            order: x,
            reason: RejectReason::VenueCancelReject(99)
        }]
    );
    assert_eq!(h.state(x), OrderState::PartiallyFilled);
    h.er(&format!(
        "11={xid}|150=F|39=1|14=3500|151=6500|32=2000|31=1.1|6=1.1"
    ));
    h.replace(x, "1.1", 6000);
    assert_eq!(h.wire.field(-1, 41), Some(xid.clone()));
    h.er(&format!(
        "11={zid}|41={xid}|150=E|39=E|38=10000|14=3500|151=6500"
    ));
    h.er(&format!(
        "11={zid}|41={xid}|150=5|39=1|38=6000|44=1.1|14=3500|151=2500"
    ));
    h.er(&format!(
        "11={zid}|150=F|39=1|38=6000|14=5000|151=1000|32=1500|31=1.1|6=1.1"
    ));
    assert_eq!(
        h.events(),
        [
            partial(x, (2000, "1.1"), 3500, 6500),
            Event::Replaced {
                order: x,
                price: px("1.1"),
                qty: Qty(6000)
            },
            partial(x, (1500, "1.1"), 5000, 1000)
        ]
    );
}

#[test]
fn d_2_chaining_is_refused_locally() {
    // D.2.a/D.2.b chain a second request onto a pending one. The stage keeps
    // one request per order in flight, so it refuses the second itself and
    // the venue never has to.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.events();
    h.replace(x, "1.1", 8000);
    let sent = h.wire.sent.len();
    h.replace(x, "1.1", 7000);
    h.cancel(x);
    assert_eq!(h.wire.sent.len(), sent);
    let refused = Event::CancelRejected {
        order: x,
        reason: RejectReason::NotCancelable,
    };
    assert_eq!(h.events(), [refused, refused]);
    assert_eq!(h.om.counters().local_cancel_rejects, 2);
}

// ----------------------------------------- E Unsolicited / reinstatement

#[test]
fn e_1_a_telephoned_order() {
    // An order placed by phone carries no ClOrdID of ours: counted, no event.
    let mut h = H::new();
    assert_eq!(
        h.er("37=PHONE1|150=0|39=0|38=10000|14=0|151=10000"),
        Outcome::Unknown
    );
    assert_eq!(
        h.er("37=PHONE1|150=F|39=1|38=10000|14=1000|151=9000|32=1000|31=1.1"),
        Outcome::Unknown
    );
    assert_eq!(h.events(), []);
    assert_eq!(h.om.counters().unknown_reports, 2);
    assert_eq!(h.om.counters().unknown_fills, 1);
    assert_eq!(h.om.position(EURUSD), Qty(0));
}

#[test]
fn e_1_b_unsolicited_cancel_of_a_part_filled_order() {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    h.events();
    h.er(&format!("11={xid}|150=4|39=4|14=1000|151=0|378=5"));
    assert_eq!(h.events(), [Event::Canceled { order: x }]);
    assert_eq!(h.om.position(EURUSD), Qty(1000));
}

#[test]
fn e_1_c_unsolicited_replacement_of_a_part_filled_order() {
    // The sell side restates the order with a larger quantity.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    h.events();
    h.er(&format!(
        "11={xid}|150=D|39=1|38=12000|14=1000|151=11000|378=4"
    ));
    assert_eq!(
        h.events(),
        [status(x, OrderState::PartiallyFilled, 1000, 11000)]
    );
    assert_eq!(h.om.order(x).unwrap().qty, Qty(12000));
    assert_eq!(h.om.open_qty(EURUSD), (Qty(11000), Qty(0)));
}

#[test]
fn e_1_d_unsolicited_reduction_of_order_quantity_by_sell_side() {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    h.events();
    h.er(&format!(
        "11={xid}|150=D|39=1|38=8000|14=1000|151=7000|378=3"
    ));
    assert_eq!(
        h.events(),
        [status(x, OrderState::PartiallyFilled, 1000, 7000)]
    );
    assert_eq!(h.om.open_qty(EURUSD), (Qty(7000), Qty(0)));
}

#[test]
fn e_1_e_unsolicited_cancel_of_a_cancel_if_not_best_order() {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!("11={xid}|150=4|39=4|14=0|151=0|378=7"));
    assert_eq!(
        h.events(),
        [Event::Accepted { order: x }, Event::Canceled { order: x }]
    );
}

// ------------------------------------------------------------ F Rejects

#[test]
fn f_1_a_order_rejected_due_to_duplicate_clordid() {
    // The venue refuses a second message with a ClOrdID it holds; its
    // OrdStatus is that of the live order, which works on.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.events();
    h.er(&format!("11={xid}|150=8|39=0|103=6|14=0|151=10000"));
    assert_eq!(h.events(), []);
    assert_eq!(h.state(x), OrderState::New);
    assert_eq!(h.om.counters().request_rejects, 1);
}

#[test]
fn f_1_b_poss_resend_of_an_execution_report() {
    // A resent report (PossDupFlag, the same ExecID) changes nothing.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    let fill = format!("17=T1|11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1");
    assert_eq!(h.er(&fill), Outcome::Applied);
    assert_eq!(h.er(&format!("{fill}|97=Y")), Outcome::Duplicate);
    assert_eq!(h.events().len(), 2, "Accepted and one PartialFill");
    assert_eq!(h.om.position(EURUSD), Qty(1000));
}

// ------------------------------------------------------------- G Status

#[test]
fn g_1_a_order_status_request_rejected_for_unknown_order() {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.cmd(fixrail::strategy::Command::Status { order: x });
    assert_eq!(h.wire.msg_type(-1), "H");
    assert_eq!(h.wire.field(-1, 11), Some(xid.clone()));
    assert_eq!(h.wire.field(-1, 54).as_deref(), Some("1"));
    assert_eq!(h.wire.field(-1, 55).as_deref(), Some("EUR/USD"));
    h.er(&format!(
        "37=NONE|17=0|11={xid}|150=I|39=8|103=5|14=0|151=0|6=0"
    ));
    assert_eq!(
        h.events(),
        [
            Event::Rejected {
                tag: 1,
                order: Some(x),
                reason: RejectReason::Venue(5)
            },
            status(x, OrderState::Rejected, 0, 0)
        ]
    );
    assert_eq!(h.om.open_orders(), 0);
}

#[test]
fn g_1_c_order_sent_immediately_followed_by_a_status_request_subsequent_status_requests_sent_during_life_of_order(
) {
    // Status reports all carry ExecID 0 and are never taken for repeats.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    let ask = fixrail::strategy::Command::Status { order: x };
    h.cmd(ask);
    h.er(&format!("17=0|11={xid}|150=I|39=A|14=0|151=10000"));
    assert_eq!(h.events(), [status(x, OrderState::PendingNew, 0, 10000)]);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.cmd(ask);
    h.er(&format!("17=0|11={xid}|150=I|39=0|14=0|151=10000"));
    assert_eq!(
        h.events(),
        [
            Event::Accepted { order: x },
            status(x, OrderState::New, 0, 10000)
        ]
    );
    h.er(&format!(
        "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
    ));
    h.cmd(ask);
    h.er(&format!("17=0|11={xid}|150=I|39=1|14=1000|151=9000|6=1.1"));
    assert_eq!(
        h.events(),
        [
            partial(x, (1000, "1.1"), 1000, 9000),
            status(x, OrderState::PartiallyFilled, 1000, 9000)
        ]
    );
    assert_eq!(h.om.counters().status_sent, 3);
}

// ------------------------------------------------------- H GT orders

#[test]
fn h_1_a_gtc_order_partially_filled_restated_renewed_and_partially_filled_the_following_day() {
    // Done for day does not end a GTC order; the next day's restatement
    // (renewal) and fill carry on.
    let mut h = H::new();
    let x = h.place(1, EURUSD, Side::Buy, TimeInForce::Gtc, 10000, "1.1");
    let xid = h.cl(x, 0);
    assert_eq!(h.wire.field(-1, 59).as_deref(), Some("1"));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=2000|151=8000|32=2000|31=1.1|6=1.1"
    ));
    h.events();
    h.er(&format!("11={xid}|150=3|39=3|14=2000|151=8000|6=1.1"));
    assert_eq!(h.events(), []);
    assert_eq!(h.state(x), OrderState::PartiallyFilled);
    h.er(&format!("11={xid}|150=D|39=1|14=2000|151=8000|378=1|6=1.1"));
    assert_eq!(
        h.events(),
        [status(x, OrderState::PartiallyFilled, 2000, 8000)]
    );
    h.er(&format!(
        "11={xid}|150=F|39=1|14=3000|151=7000|32=1000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [partial(x, (1000, "1.1"), 3000, 7000)]);
}

#[test]
fn h_1_c_gtc_order_partially_filled_restated_renewed_and_canceled_the_following_day() {
    let mut h = H::new();
    let x = h.place(1, EURUSD, Side::Buy, TimeInForce::Gtc, 10000, "1.1");
    let (xid, yid) = (h.cl(x, 0), h.cl(x, 1));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "11={xid}|150=F|39=1|14=2000|151=8000|32=2000|31=1.1|6=1.1"
    ));
    h.er(&format!("11={xid}|150=3|39=3|14=2000|151=8000"));
    h.er(&format!("11={xid}|150=D|39=1|14=2000|151=8000|378=1"));
    h.events();
    h.cancel(x);
    h.er(&format!("11={yid}|41={xid}|150=6|39=6|14=2000|151=8000"));
    h.er(&format!("11={yid}|41={xid}|150=4|39=4|14=2000|151=0"));
    assert_eq!(h.events(), [Event::Canceled { order: x }]);
}

// ------------------------------------------------- I TimeInForce

#[test]
fn i_1_a_fill_or_kill_order_cannot_be_filled() {
    let mut h = H::new();
    let x = h.place(1, EURUSD, Side::Sell, TimeInForce::Fok, 10000, "1.1");
    let xid = h.cl(x, 0);
    assert_eq!(h.wire.field(-1, 59).as_deref(), Some("4"));
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000|54=2"));
    h.er(&format!("11={xid}|150=C|39=C|14=0|151=0|54=2"));
    assert_eq!(
        h.events(),
        [Event::Accepted { order: x }, Event::Expired { order: x }]
    );
    assert_eq!(h.om.open_qty(EURUSD), (Qty(0), Qty(0)));
}

#[test]
fn i_1_b_immediate_or_cancel_order_that_cannot_be_immediately_hit() {
    // Partly hit, the rest expires (some venues cancel it instead: 150=4,
    // which ends as Canceled).
    for (exec_type, end) in [('C', OrderState::Expired), ('4', OrderState::Canceled)] {
        let mut h = H::new();
        let x = h.place(1, EURUSD, Side::Buy, TimeInForce::Ioc, 10000, "1.1");
        let xid = h.cl(x, 0);
        assert_eq!(h.wire.field(-1, 59).as_deref(), Some("3"));
        h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
        h.er(&format!(
            "11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1.1|6=1.1"
        ));
        h.events();
        h.er(&format!(
            "11={xid}|150={exec_type}|39={exec_type}|14=1000|151=0"
        ));
        let ended = match end {
            OrderState::Expired => Event::Expired { order: x },
            _ => Event::Canceled { order: x },
        };
        assert_eq!(h.events(), [ended]);
        assert_eq!(h.state(x), end);
        assert_eq!(h.om.position(EURUSD), Qty(1000));
    }
}

// ------------------------------------- J Execution cancels and corrects

#[test]
fn j_1_a_filled_order_followed_by_correction_and_cancellation_of_executions_are_counted_not_applied(
) {
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.er(&format!(
        "17=C|11={xid}|150=F|39=1|14=1000|151=9000|32=1000|31=1|6=1"
    ));
    h.events();
    assert_eq!(
        h.er(&format!(
            "17=E|19=C|11={xid}|150=H|39=0|14=0|151=10000|32=0|31=0"
        )),
        Outcome::Unsupported
    );
    assert_eq!(
        h.er(&format!(
            "17=F|19=C|11={xid}|150=G|39=1|14=1000|151=9000|32=1000|31=0.9"
        )),
        Outcome::Unsupported
    );
    assert_eq!(h.events(), []);
    assert_eq!(h.om.counters().trade_corrections, 2);
    assert_eq!(h.om.position(EURUSD), Qty(1000));
    assert_eq!(h.state(x), OrderState::PartiallyFilled);
}

// ----------------------------------------------------- L Miscellaneous

#[test]
fn l_1_a_transmitting_a_guarantee_of_execution_prior_to_execution_stopped() {
    // A stopped order still works: no event until it trades.
    let mut h = H::new();
    let x = h.buy(1, 10000, "1.1");
    let xid = h.cl(x, 0);
    h.er(&format!("11={xid}|150=0|39=0|14=0|151=10000"));
    h.events();
    h.er(&format!("11={xid}|150=7|39=7|14=0|151=10000"));
    assert_eq!(h.events(), []);
    assert_eq!(h.state(x), OrderState::New);
    h.er(&format!(
        "11={xid}|150=F|39=2|14=10000|151=0|32=10000|31=1.1|6=1.1"
    ));
    assert_eq!(h.events(), [fill(x, (10000, "1.1"), 10000)]);
}
