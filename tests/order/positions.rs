//! Positions, average cost and realised P&L from fills, and the RiskView
//! the risk checks read.

use crate::harness::*;
use fixrail::risk::RiskView;
use fixrail::strategy::{Price, Qty, Side, TimeInForce};

const U: i128 = Price::SCALE as i128;

/// Fills `qty` of the order in one report at `price` (the whole order).
fn filled(h: &mut H, id: fixrail::strategy::OrderId, side: Side, qty: i64, price: &str) {
    let cl = h.cl(id, 0);
    let side = side.fix() as char;
    h.er(&format!("11={cl}|150=0|39=0|14=0|151={qty}|54={side}"));
    h.er(&format!(
        "11={cl}|150=F|39=2|14={qty}|151=0|32={qty}|31={price}|6={price}|54={side}"
    ));
    h.events();
}

#[test]
fn average_cost_and_realised_pnl_per_instrument() {
    // EUR/USD: buy 100 at 10, buy 100 at 12 (average 11), sell 150 at 13
    // (realises 150 x 2), sell 100 at 9 (closes 50 at a loss of 2 each,
    // opens 50 short at 9). AAPL is untouched by all that.
    let mut h = H::new();
    let a = h.buy(1, 100, "10");
    filled(&mut h, a, Side::Buy, 100, "10");
    let b = h.buy(2, 100, "12");
    filled(&mut h, b, Side::Buy, 100, "12");
    let p = *h.om.position_of(EURUSD).unwrap();
    assert_eq!((p.qty, p.avg_cost()), (Qty(200), Some(px("11"))));
    let c = h.place(3, EURUSD, Side::Sell, TimeInForce::Day, 150, "13");
    filled(&mut h, c, Side::Sell, 150, "13");
    let p = *h.om.position_of(EURUSD).unwrap();
    assert_eq!((p.qty, p.realised), (Qty(50), 300 * U));
    assert_eq!(p.avg_cost(), Some(px("11")));
    let d = h.place(4, EURUSD, Side::Sell, TimeInForce::Day, 100, "9");
    filled(&mut h, d, Side::Sell, 100, "9");
    let p = *h.om.position_of(EURUSD).unwrap();
    assert_eq!(p.qty, Qty(-50));
    assert_eq!(p.realised, 300 * U - 100 * U);
    assert_eq!(p.avg_cost(), Some(px("9")));
    assert_eq!(p.unrealised(px("8")), 50 * U);
    assert_eq!((p.bought, p.sold), (Qty(200), Qty(250)));
    assert_eq!(h.om.position(EURUSD), Qty(-50));
    assert_eq!(h.om.market_price(EURUSD), Some(px("9")));
    assert_eq!(h.om.position(AAPL), Qty(0));
    assert_eq!(h.om.market_price(AAPL), None);
    let all: Vec<_> = h.om.positions().map(|(i, p)| (i, p.qty)).collect();
    assert_eq!(all, [(EURUSD, Qty(-50)), (AAPL, Qty(0))]);
}

#[test]
fn open_quantities_follow_orders_by_side_and_instrument() {
    let mut h = H::new();
    let a = h.buy(1, 100, "1.1");
    let b = h.place(2, EURUSD, Side::Sell, TimeInForce::Day, 70, "1.2");
    let _c = h.place(3, AAPL, Side::Sell, TimeInForce::Gtc, 5, "190");
    assert_eq!(h.om.open_orders(), 3);
    assert_eq!(h.om.open_qty(EURUSD), (Qty(100), Qty(70)));
    assert_eq!(h.om.open_qty(AAPL), (Qty(0), Qty(5)));
    let aid = h.cl(a, 0);
    h.er(&format!("11={aid}|150=F|39=1|14=30|151=70|32=30|31=1.1"));
    assert_eq!(h.om.open_qty(EURUSD), (Qty(70), Qty(70)));
    // A pending replace counts at the larger of now and after.
    h.replace(b, "1.2", 120);
    assert_eq!(h.om.open_qty(EURUSD), (Qty(70), Qty(120)));
    let (bid, b1) = (h.cl(b, 0), h.cl(b, 1));
    h.ocr(&format!("11={b1}|41={bid}|39=0|434=2|102=0"));
    assert_eq!(h.om.open_qty(EURUSD), (Qty(70), Qty(70)));
    h.er(&format!("11={aid}|150=4|39=4|14=30|151=0"));
    assert_eq!(h.om.open_qty(EURUSD), (Qty(0), Qty(70)));
    assert_eq!(h.om.open_orders(), 2);
    let open: Vec<_> = h.om.open_order_views().map(|v| v.tag).collect();
    assert_eq!(open, [Some(2), Some(3)]);
}

#[test]
fn money_is_exact_at_eight_decimals() {
    // 3 x 1.00000001 + 1 x 0.99999999, then all 4 sold at 1: the P&L is
    // -2 units of 1e-8 exactly.
    let mut h = H::new();
    let a = h.buy(1, 3, "1.00000001");
    filled(&mut h, a, Side::Buy, 3, "1.00000001");
    let b = h.buy(2, 1, "0.99999999");
    filled(&mut h, b, Side::Buy, 1, "0.99999999");
    let c = h.place(3, EURUSD, Side::Sell, TimeInForce::Day, 4, "1");
    filled(&mut h, c, Side::Sell, 4, "1");
    let p = *h.om.position_of(EURUSD).unwrap();
    assert_eq!((p.qty, p.cost, p.realised), (Qty(0), 0, -2));
}
