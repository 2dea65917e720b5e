//! The venue application driven through real sessions (see `harness.rs`):
//! new orders, partial fills and fills to both parties across sessions,
//! cancels, replaces, rejects, status and mass status, and the delivery of
//! reports to a session that was not the one being served.

use crate::harness::Sim;
use fixrail::codec::Fixed;
use fixrail::venue::{Instrument, VenueSpec};

const C1: usize = 0;
const C2: usize = 1;
const T: &str = "20260105-09:00:00";

/// FXR: tick 0.01, lot 1, at most 1,000,000; EUR/USD: tick 0.00001, lot
/// 1,000, at most 5,000,000.
fn spec() -> VenueSpec {
    VenueSpec {
        instruments: vec![
            Instrument {
                symbol: "FXR".into(),
                tick_size: Fixed::new(1, 2),
                lot_size: Fixed::new(1, 0),
                max_order_qty: Some(Fixed::new(1_000_000, 0)),
                reference_price: None,
            },
            Instrument {
                symbol: "EUR/USD".into(),
                tick_size: Fixed::new(1, 5),
                lot_size: Fixed::new(1000, 0),
                max_order_qty: Some(Fixed::new(5_000_000, 0)),
                reference_price: None,
            },
        ],
        max_resting_orders_per_instrument: 100,
        max_remembered_orders: 1_000,
        max_queued_reports_per_session: 100,
        market_data: Default::default(),
        flow: Default::default(),
    }
}

fn sim() -> Sim {
    Sim::new(spec(), &["C1", "C2"])
}

/// A NewOrderSingle body: FXR limit Day.
fn limit(cl: &str, side: u8, qty: &str, px: &str) -> String {
    format!("11={cl}|55=FXR|54={side}|60={T}|38={qty}|40=2|44={px}|")
}

fn with_tif(cl: &str, side: u8, qty: &str, px: &str, tif: char) -> String {
    format!("11={cl}|55=FXR|54={side}|60={T}|38={qty}|40=2|44={px}|59={tif}|")
}

fn market(cl: &str, side: u8, qty: &str) -> String {
    format!("11={cl}|55=FXR|54={side}|60={T}|38={qty}|40=1|")
}

fn cancel(cl: &str, orig: &str, side: u8) -> String {
    format!("41={orig}|11={cl}|55=FXR|54={side}|60={T}|38=1|")
}

fn replace(cl: &str, orig: &str, side: u8, qty: &str, px: &str) -> String {
    format!("41={orig}|11={cl}|55=FXR|54={side}|60={T}|38={qty}|40=2|44={px}|")
}

#[test]
fn a_limit_order_is_acknowledged_with_every_field() {
    // A resting order gets one ExecutionReport New carrying its terms.
    let mut s = sim();
    s.send(C1, "D", &limit("A1", 2, "100", "100.25"));
    let new = s.expect(
        C1,
        "35=8|150=0|39=0|11=A1|55=FXR|54=2|40=2|44=100.25|38=100|59=0|14=0|151=100|6=0|41=!|31=!",
    );
    assert!(new.field(37).ends_with("-1"), "OrderID {:?}", new.field(37));
    assert!(new.get(60).is_some() && new.get(17).is_some());
    s.expect_none(C1);
    s.expect_none(C2);
    assert_eq!(
        s.venue
            .borrow()
            .book("FXR")
            .unwrap()
            .best(fixrail::venue::book::Side::Sell),
        Some((10025, 100))
    );
}

#[test]
fn a_cross_session_match_reports_fills_to_both_parties() {
    // C1's resting sell is hit by C2's buy: C2 (the taker) gets its New and
    // fill at once; C1's fill was queued for C1 and goes out in the engine's
    // turn. Then C2 takes the rest with a market order: C1 is filled.
    let mut s = sim();
    s.send(C1, "D", &limit("S1", 2, "100", "100.25"));
    let s1 = s.expect(C1, "150=0|11=S1");
    s.send_only(C2, "D", &limit("B1", 1, "40", "100.50"));
    s.expect(C2, "150=0|39=0|11=B1");
    s.expect(
        C2,
        "150=F|39=2|11=B1|31=100.25|32=40|14=40|151=0|6=100.25|44=100.50|38=40",
    );
    s.expect_none(C2);
    s.expect_none(C1);
    assert_eq!(s.venue.borrow().queued_reports("C1"), 1);
    s.engine_turn();
    let f = s.expect(
        C1,
        "35=8|150=F|39=1|11=S1|31=100.25|32=40|14=40|151=60|6=100.25|54=2|38=100",
    );
    assert_eq!(f.field(37), s1.field(37), "same OrderID");
    s.send(C2, "D", &market("B2", 1, "60"));
    s.expect(C2, "150=0|11=B2|40=1|44=!");
    s.expect(C2, "150=F|39=2|11=B2|31=100.25|32=60|14=60|151=0");
    s.expect(C1, "150=F|39=2|11=S1|32=60|14=100|151=0|6=100.25");
    s.expect_none(C1);
    s.expect_none(C2);
    let v = s.venue.borrow();
    assert_eq!(v.counters().trades, 2);
    assert!(v.book("FXR").unwrap().is_empty());
}

#[test]
fn price_then_time_priority_across_sessions_and_avg_px() {
    // Better price first, then arrival, whoever owns the orders; the
    // taker's AvgPx is the quantity-weighted price of its fills.
    let mut s = sim();
    s.send(C1, "D", &limit("C1-101", 2, "10", "101"));
    s.send(C2, "D", &limit("C2-100", 2, "10", "100"));
    s.send(C1, "D", &limit("C1-100", 2, "10", "100"));
    s.take(C1);
    s.take(C2);
    s.send(C2, "D", &limit("BUY", 1, "25", "101"));
    s.expect(C2, "150=0|11=BUY");
    s.expect(C2, "150=F|11=BUY|31=100.00|32=10|39=1|14=10|151=15");
    s.expect(C2, "150=F|11=C2-100|31=100.00|32=10|39=2");
    s.expect(C2, "150=F|11=BUY|31=100.00|32=10|39=1|14=20|151=5");
    s.expect(C2, "150=F|11=BUY|31=101.00|32=5|39=2|14=25|151=0|6=100.20");
    s.expect_none(C2);
    s.expect(C1, "150=F|11=C1-100|31=100.00|32=10|39=2");
    s.expect(C1, "150=F|11=C1-101|31=101.00|32=5|39=1|14=5|151=5");
    s.expect_none(C1);
}

#[test]
fn cancel_then_too_late_then_unknown() {
    // A cancel answers 150=4 with the new ClOrdID and OrigClOrdID; a second
    // cancel of the same order is too late (102=0); an unknown one is
    // 102=1 with OrderID NONE and OrdStatus Rejected.
    let mut s = sim();
    s.send(C1, "D", &limit("A1", 1, "100", "99"));
    let new = s.expect(C1, "150=0");
    s.send(C1, "F", &cancel("A2", "A1", 1));
    let c = s.expect(C1, "35=8|150=4|39=4|11=A2|41=A1|14=0|151=0|38=100");
    assert_eq!(c.field(37), new.field(37));
    s.send(C1, "F", &cancel("A3", "A1", 1));
    s.expect(
        C1,
        "35=9|11=A3|41=A1|434=1|102=0|39=4|58=Too late to cancel",
    );
    s.send(C1, "F", &cancel("A4", "NOPE", 1));
    s.expect(
        C1,
        "35=9|11=A4|41=NOPE|434=1|102=1|39=8|37=NONE|58=Unknown order",
    );
    // A status request by the cancel's ClOrdID finds the cancelled order.
    s.send(C1, "H", "11=A2|55=FXR|54=1|");
    s.expect(C1, "150=I|39=4|11=A2|151=0");
    s.expect_none(C1);
    assert!(s.venue.borrow().book("FXR").unwrap().is_empty());
}

#[test]
fn a_filled_order_is_too_late_to_cancel_or_replace() {
    // Once filled, a cancel is refused with 102=0 and 434=1, a replace with
    // 102=0 and 434=2, both with OrdStatus Filled.
    let mut s = sim();
    s.send(C1, "D", &limit("S", 2, "5", "100"));
    s.send(C2, "D", &limit("B", 1, "5", "100"));
    s.take(C1);
    s.take(C2);
    s.send(C1, "F", &cancel("S2", "S", 2));
    s.expect(C1, "35=9|434=1|102=0|39=2|41=S|11=S2");
    s.send(C1, "G", &replace("S3", "S", 2, "10", "100"));
    s.expect(
        C1,
        "35=9|434=2|102=0|39=2|41=S|11=S3|58=Too late to replace",
    );
    s.send(C1, "G", &replace("S4", "GHOST", 2, "10", "100"));
    s.expect(C1, "35=9|434=2|102=1|39=8|37=NONE");
    s.expect_none(C1);
}

#[test]
fn replace_lowering_quantity_keeps_priority() {
    // C1's sell arrived first; lowering its quantity keeps it first, so the
    // next buy fills it before C2's.
    let mut s = sim();
    s.send(C1, "D", &limit("A", 2, "10", "100"));
    s.send(C2, "D", &limit("B", 2, "10", "100"));
    s.take(C1);
    s.take(C2);
    s.send(C1, "G", &replace("A2", "A", 2, "6", "100"));
    s.expect(C1, "35=8|150=5|39=0|11=A2|41=A|38=6|151=6|44=100.00");
    s.send(C2, "D", &limit("X", 1, "6", "100"));
    s.expect(C2, "150=0|11=X");
    s.expect(C2, "150=F|11=X|32=6|39=2");
    s.expect_none(C2);
    s.expect(C1, "150=F|11=A2|32=6|39=2|38=6|14=6");
}

#[test]
fn replace_raising_quantity_or_changing_price_loses_priority() {
    // More quantity puts C1's order behind C2's at the same price; a price
    // change does too (and a price back to the level puts it last).
    let mut s = sim();
    s.send(C1, "D", &limit("A", 2, "10", "100"));
    s.send(C2, "D", &limit("B", 2, "10", "100"));
    s.take(C1);
    s.take(C2);
    s.send(C1, "G", &replace("A2", "A", 2, "12", "100"));
    s.expect(C1, "150=5|11=A2|41=A|38=12|151=12");
    s.send(C2, "D", &limit("X", 1, "10", "100"));
    s.expect(C2, "150=0|11=X");
    s.expect(C2, "150=F|11=X|32=10");
    s.expect(C2, "150=F|11=B|32=10|39=2");
    s.expect_none(C1);
    s.send(C2, "D", &limit("Y", 2, "5", "100"));
    s.expect(C2, "150=0|11=Y");
    // C1 moves away and back: now behind Y.
    s.send(C1, "G", &replace("A3", "A2", 2, "12", "100.01"));
    s.expect(C1, "150=5|11=A3|41=A2|44=100.01");
    s.send(C1, "G", &replace("A4", "A3", 2, "12", "100"));
    s.expect(C1, "150=5|11=A4|44=100.00");
    s.send(C1, "D", &limit("Z", 1, "5", "100"));
    s.expect(C1, "150=0|11=Z");
    s.expect(C1, "150=F|11=Z|32=5|39=2");
    s.expect_none(C1);
    s.expect(C2, "150=F|11=Y|32=5|39=2");
}

#[test]
fn a_replace_that_crosses_trades_at_once() {
    // Repricing a buy through the best offer: 150=5 first, then the fills,
    // with CumQty counting the earlier partial fill.
    let mut s = sim();
    s.send(C1, "D", &limit("BUY", 1, "10", "99"));
    s.send(C2, "D", &limit("S1", 2, "3", "99"));
    s.send(C2, "D", &limit("S2", 2, "20", "100"));
    s.take(C1);
    s.take(C2);
    s.send(C1, "G", &replace("BUY2", "BUY", 1, "10", "100"));
    s.expect(C1, "150=5|39=1|11=BUY2|41=BUY|14=3|151=7|44=100.00");
    s.expect(C1, "150=F|39=2|11=BUY2|31=100.00|32=7|14=10|151=0|6=99.70");
    s.expect_none(C1);
    s.expect(C2, "150=F|11=S2|32=7|39=1|151=13");
    // A replace down to what was executed finishes the order.
    s.send(C2, "G", &replace("S2b", "S2", 2, "7", "100"));
    s.expect(C2, "150=5|39=2|11=S2b|41=S2|38=7|14=7|151=0");
    s.send(C2, "G", &replace("S2c", "S2b", 2, "5", "100"));
    s.expect(C2, "35=9|434=2|102=0");
    s.expect_none(C2);
    assert!(s.venue.borrow().book("FXR").unwrap().is_empty());
}

#[test]
fn replace_refusals_name_the_problem() {
    // A replace must keep Side, Symbol, OrdType and TimeInForce, not go
    // below CumQty, use a fresh ClOrdID and valid numbers.
    let mut s = sim();
    s.send(C1, "D", &limit("A", 1, "10", "99"));
    s.send(C2, "D", &limit("S", 2, "4", "99"));
    s.take(C1);
    s.take(C2);
    let cases = [
        (
            replace("R1", "A", 2, "10", "99"),
            "102=99|58=Symbol or Side does not match the order",
        ),
        (
            replace("A", "A", 1, "10", "99"),
            "102=6|58=Duplicate ClOrdID",
        ),
        (
            replace("R2", "A", 1, "3", "99"),
            "102=99|58=OrderQty is below the quantity already executed (CumQty)",
        ),
        (replace("R3", "A", 1, "10", "99.001"), "102=99"),
        (replace("R4", "A", 1, "10.5", "99"), "102=99"),
        (
            format!("41=A|11=R5|55=FXR|54=1|60={T}|38=10|40=1|"),
            "102=99|58=OrdType cannot change",
        ),
        (
            format!("41=A|11=R6|55=FXR|54=1|60={T}|38=10|40=2|44=99|59=3|"),
            "102=99|58=TimeInForce cannot change",
        ),
        (
            format!("41=A|11=R7|55=EUR/USD|54=1|60={T}|38=10|40=2|44=99|"),
            "102=99",
        ),
    ];
    for (body, want) in cases {
        s.send(C1, "G", &body);
        s.expect(C1, &format!("35=9|434=2|39=1|41=A|{want}"));
    }
    s.expect_none(C1);
    // Nothing changed.
    s.send(C1, "H", "11=A|55=FXR|54=1|");
    s.expect(C1, "150=I|39=1|38=10|14=4|151=6|44=99.00");
}

#[test]
fn invalid_orders_are_rejected_with_a_reason() {
    // Every refusal is 150=8/39=8 with OrderID NONE, an OrdRejReason and a
    // Text; the order's own values are echoed.
    let mut s = sim();
    let cases = [
        (
            format!("11=R1|55=NOPE|54=1|60={T}|38=1|40=2|44=1|"),
            "103=1|55=NOPE|58=Unknown symbol",
        ),
        (
            format!("11=R2|54=1|60={T}|38=1|40=2|44=1|"),
            "103=1|55=[N/A]",
        ),
        (limit("R3", 1, "10.5", "100"), "103=13|38=10.5"),
        (limit("R4", 1, "0", "100"), "103=13"),
        (limit("R5", 1, "2000000", "100"), "103=3"),
        (limit("R6", 1, "10", "100.001"), "103=99|44=100.001"),
        (
            limit("R7", 1, "10", "-1"),
            "103=99|58=Price must be more than zero",
        ),
        (
            format!("11=R8|55=FXR|54=1|60={T}|38=1|40=2|"),
            "103=99|58=Price (44) is required for a limit order",
        ),
        (
            format!("11=R9|55=FXR|54=1|60={T}|38=1|40=3|99=5|"),
            "103=11|40=3",
        ),
        (with_tif("R10", 1, "10", "100", '6'), "103=11|59=6"),
        (limit("R11", 5, "10", "100"), "103=11|54=5"),
        (
            format!("11=R12|55=EUR/USD|54=1|60={T}|38=1500|40=2|44=1.085|"),
            "103=13",
        ),
        (
            format!("11={}|55=FXR|54=1|60={T}|38=1|40=2|44=1|", "X".repeat(65)),
            "103=99",
        ),
    ];
    for (body, want) in cases {
        s.send(C1, "D", &body);
        s.expect(C1, &format!("35=8|150=8|39=8|37=NONE|14=0|151=0|{want}"));
    }
    s.expect_none(C1);
    assert_eq!(s.venue.borrow().counters().orders_rejected, 13);
    assert_eq!(s.venue.borrow().open_orders("C1"), 0);
}

#[test]
fn duplicate_cl_ord_ids_are_rejected_per_session() {
    // A ClOrdID is unique per session, across replaces and cancels; another
    // session may use the same one; a PossResend repeat gets the status.
    let mut s = sim();
    s.send(C1, "D", &limit("A", 1, "10", "90"));
    s.expect(C1, "150=0|11=A");
    s.send(C1, "D", &limit("A", 1, "10", "90"));
    s.expect(C1, "150=8|103=6|11=A|58=Duplicate ClOrdID");
    s.send(C2, "D", &limit("A", 1, "10", "90"));
    s.expect(C2, "150=0|11=A");
    s.send(C1, "G", &replace("A2", "A", 1, "10", "91"));
    s.expect(C1, "150=5|11=A2");
    s.send(C1, "D", &limit("A", 1, "10", "90"));
    s.expect(C1, "150=8|103=6|11=A");
    s.send(C1, "D", &limit("A2", 1, "10", "90"));
    s.expect(C1, "150=8|103=6|11=A2");
    s.send(C1, "D", &format!("97=Y|{}", limit("A2", 1, "10", "90")));
    s.expect(C1, "150=I|39=0|11=A2|44=91.00");
    // C2 cannot touch C1's orders.
    s.send(C2, "F", &cancel("X", "A2", 1));
    s.expect(C2, "35=9|102=1");
    s.expect_none(C1);
    s.expect_none(C2);
}

#[test]
fn ioc_fok_and_market_orders_never_rest() {
    // IOC fills what it can and cancels the rest; FOK fills all or
    // nothing; a market order with no liquidity is cancelled.
    let mut s = sim();
    s.send(C2, "D", &limit("S", 2, "10", "100"));
    s.take(C2);
    s.send(C1, "D", &with_tif("IOC", 1, "15", "100", '3'));
    s.expect(C1, "150=0|11=IOC|59=3");
    s.expect(C1, "150=F|11=IOC|32=10|39=1|151=5");
    s.expect(
        C1,
        "150=4|39=4|11=IOC|14=10|151=0|58=Immediate or cancel: unfilled quantity canceled",
    );
    s.expect_none(C1);
    s.take(C2);
    s.send(C2, "D", &limit("S2", 2, "10", "100"));
    s.take(C2);
    s.send(C1, "D", &with_tif("FOK1", 1, "11", "100", '4'));
    s.expect(C1, "150=0|11=FOK1");
    s.expect(
        C1,
        "150=4|39=4|11=FOK1|14=0|58=Fill or kill: the whole quantity could not be filled",
    );
    s.expect_none(C2);
    s.send(C1, "D", &with_tif("FOK2", 1, "10", "100", '4'));
    s.expect(C1, "150=0|11=FOK2");
    s.expect(C1, "150=F|11=FOK2|32=10|39=2");
    s.take(C2);
    s.send(C1, "D", &market("MKT", 2, "5"));
    s.expect(C1, "150=0|11=MKT");
    s.expect(C1, "150=4|39=4|11=MKT|14=0|151=0");
    s.expect_none(C1);
    assert!(s.venue.borrow().book("FXR").unwrap().is_empty());
}

#[test]
fn status_requests_answer_with_the_order_state() {
    // H answers 150=I with the current state and echoes OrdStatusReqID;
    // an unknown ClOrdID gets OrdStatus Rejected with OrdRejReason 5.
    let mut s = sim();
    s.send(C1, "D", &limit("A", 1, "10", "100"));
    s.send(C2, "D", &limit("S", 2, "4", "100"));
    s.take(C1);
    s.take(C2);
    s.send(C1, "H", "11=A|55=FXR|54=1|790=Q1|");
    s.expect(
        C1,
        "35=8|150=I|39=1|11=A|790=Q1|14=4|151=6|6=100.00|38=10|44=100.00",
    );
    s.send(C1, "H", "11=NOPE|55=FXR|54=1|");
    s.expect(C1, "35=8|150=I|39=8|11=NOPE|37=NONE|103=5|58=Unknown order");
    s.send(C2, "H", "11=S|55=FXR|54=2|");
    s.expect(C2, "150=I|39=2|14=4|151=0");
    s.expect_none(C1);
    s.expect_none(C2);
}

#[test]
fn mass_status_lists_the_sessions_open_orders() {
    // AF type 7 lists this session's open orders only, oldest first, with
    // TotNumReports and LastRptRequested=Y on the last; type 1 narrows to
    // a symbol; Side narrows further; nothing open is one Rejected report.
    let mut s = sim();
    s.send(C1, "D", &limit("A", 1, "10", "90"));
    s.send(C1, "D", &limit("B", 2, "10", "110"));
    s.send(
        C1,
        "D",
        &format!("11=E|55=EUR/USD|54=1|60={T}|38=1000|40=2|44=1.08|"),
    );
    s.send(C1, "D", &limit("DONE", 2, "1", "120"));
    s.send(C1, "F", &cancel("DONE2", "DONE", 2));
    s.send(C2, "D", &limit("OTHER", 1, "10", "90"));
    s.take(C1);
    s.take(C2);
    s.send(C1, "AF", "584=M1|585=7|");
    s.expect(C1, "150=I|584=M1|911=3|912=N|11=A|39=0");
    s.expect(C1, "150=I|584=M1|911=3|912=N|11=B");
    s.expect(
        C1,
        "150=I|584=M1|911=3|912=Y|11=E|55=EUR/USD|38=1000|44=1.08000",
    );
    s.expect_none(C1);
    s.send(C1, "AF", "584=M2|585=1|55=FXR|54=2|");
    s.expect(C1, "150=I|584=M2|911=1|912=Y|11=B");
    s.send(C1, "AF", "584=M3|585=1|55=NOPE|");
    s.expect(
        C1,
        "150=I|39=8|584=M3|911=0|912=Y|37=NONE|58=Unknown symbol",
    );
    s.send(C1, "AF", "584=M4|585=3|");
    s.expect(C1, "150=I|39=8|584=M4|911=0|912=Y");
    s.expect_none(C1);
    s.send(C2, "F", &cancel("OTHER2", "OTHER", 1));
    s.take(C2);
    s.send(C2, "AF", "584=M5|585=7|");
    s.expect(
        C2,
        "150=I|39=8|584=M5|911=0|912=Y|58=No open orders match|55=[N/A]|54=7",
    );
    s.expect_none(C2);
}

#[test]
fn fills_for_a_logged_off_session_wait_for_its_logon() {
    // C1 is offline when its order is hit: the report waits in C1's queue
    // and goes out after C1 logs on again, in order.
    let mut s = sim();
    s.send(C1, "D", &limit("S", 2, "10", "100"));
    s.take(C1);
    s.disconnect(C1);
    s.send(C2, "D", &limit("B1", 1, "4", "100"));
    s.send(C2, "D", &limit("B2", 1, "6", "100"));
    s.take(C2);
    assert_eq!(s.venue.borrow().queued_reports("C1"), 2);
    s.engine_turn();
    s.expect_none(C1);
    s.logon(C1);
    s.engine_turn();
    s.expect(C1, "150=F|11=S|32=4|39=1|14=4");
    s.expect(C1, "150=F|11=S|32=6|39=2|14=10");
    s.expect_none(C1);
    assert_eq!(s.venue.borrow().queued_reports("C1"), 0);
}

#[test]
fn queued_reports_go_out_before_the_answer_to_the_sessions_next_message() {
    // C1's order is filled by C2 and, before the engine's turn, C1 asks to
    // cancel it: C1 sees the fill first, then the refusal (too late).
    let mut s = sim();
    s.send(C1, "D", &limit("S", 2, "10", "100"));
    s.take(C1);
    s.send_only(C2, "D", &limit("B", 1, "10", "100"));
    s.send_only(C1, "F", &cancel("S2", "S", 2));
    s.expect(C1, "150=F|11=S|39=2");
    s.expect(C1, "35=9|102=0|39=2");
    s.expect_none(C1);
}

#[test]
fn an_order_crossing_its_own_sessions_order_reports_both_sides_there() {
    // No self-trade prevention: both fills go to the one session, the
    // taker's first.
    let mut s = sim();
    s.send(C1, "D", &limit("S", 2, "10", "100"));
    s.send(C1, "D", &limit("B", 1, "10", "100"));
    s.expect(C1, "150=0|11=S");
    s.expect(C1, "150=0|11=B");
    s.expect(C1, "150=F|11=B|39=2");
    s.expect(C1, "150=F|11=S|39=2");
    s.expect_none(C1);
    s.expect_none(C2);
}

#[test]
fn quantities_and_prices_use_the_instruments_increments() {
    // EUR/USD trades in lots of 1,000 at 0.00001: reports write back the
    // exact decimals.
    let mut s = sim();
    s.send(
        C1,
        "D",
        &format!("11=E1|55=EUR/USD|54=2|60={T}|38=1000000|40=2|44=1.08505|"),
    );
    s.send(
        C2,
        "D",
        &format!("11=E2|55=EUR/USD|54=1|60={T}|38=250000|40=2|44=1.09|"),
    );
    s.expect(C1, "150=0|38=1000000|44=1.08505|151=1000000");
    s.expect(C2, "150=0|38=250000|44=1.09000");
    s.expect(C2, "150=F|31=1.08505|32=250000|6=1.08505|14=250000|151=0");
    s.expect(C1, "150=F|31=1.08505|32=250000|14=250000|151=750000|39=1");
}
