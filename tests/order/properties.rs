//! Any sequence of commands and venue reports — in any order, with any
//! ExecType, OrdStatus and quantities, repeated or made up — leaves the
//! stage consistent and never panics: the position is exactly the CumQty
//! of the orders, CumQty never goes down, a terminal state is final (but
//! for the one documented reopening), and the RiskView agrees with the
//! orders.

use crate::harness::*;
use fixrail::order::{OrderConfig, Outcome};
use fixrail::risk::RiskView;
use fixrail::strategy::{Command, OrderId, OrderState, Qty, Side, TimeInForce};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    New { sell: bool, qty: i64 },
    Cancel { order: usize },
    Replace { order: usize, qty: i64 },
    Status { order: usize },
    Report(Report),
    CancelReject { order: usize, version: u32 },
}

#[derive(Debug, Clone)]
struct Report {
    order: usize,
    version: u32,
    exec_type: char,
    ord_status: char,
    cum: i64,
    leaves: i64,
    last_qty: i64,
    exec_id: u8,
    order_qty: Option<i64>,
}

fn step() -> impl Strategy<Value = Step> {
    let report = (
        0usize..6,
        0u32..4,
        prop::sample::select(vec![
            '0', '4', '5', '6', '8', 'A', 'C', 'D', 'E', 'F', 'F', 'F', 'I', '3', 'H',
        ]),
        prop::sample::select(vec!['0', '1', '2', '3', '4', '6', '8', 'A', 'C', 'E', '7']),
        -5i64..250,
        -5i64..250,
        -5i64..120,
        0u8..40,
        prop::option::of(1i64..250),
    )
        .prop_map(
            |(order, version, exec_type, ord_status, cum, leaves, last_qty, exec_id, order_qty)| {
                Step::Report(Report {
                    order,
                    version,
                    exec_type,
                    ord_status,
                    cum,
                    leaves,
                    last_qty,
                    exec_id,
                    order_qty,
                })
            },
        );
    prop_oneof![
        2 => (any::<bool>(), 1i64..200).prop_map(|(sell, qty)| Step::New { sell, qty }),
        1 => (0usize..6).prop_map(|order| Step::Cancel { order }),
        1 => (0usize..6, 1i64..250).prop_map(|(order, qty)| Step::Replace { order, qty }),
        1 => (0usize..6).prop_map(|order| Step::Status { order }),
        1 => (0usize..6, 0u32..4).prop_map(|(order, version)| Step::CancelReject { order, version }),
        8 => report,
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_sequence_of_commands_and_reports_keeps_the_books_consistent(
        steps in prop::collection::vec(step(), 1..80)
    ) {
        // Enough slots that none is reused: every order stays inspectable.
        let mut h = H::with(OrderConfig { max_orders: 128, ..OrderConfig::default() });
        let mut orders: Vec<(OrderId, Side)> = Vec::new();
        let mut cum_seen: Vec<i64> = Vec::new();
        let mut finished: Vec<Option<OrderState>> = Vec::new();
        let mut reopened = 0;
        for (n, s) in steps.into_iter().enumerate() {
            let pick = |i: usize| orders.get(i % orders.len().max(1)).copied();
            match s {
                Step::New { sell, qty } => {
                    let side = if sell { Side::Sell } else { Side::Buy };
                    let id = h.place(n as u64, EURUSD, side, TimeInForce::Day, qty, "1.1");
                    orders.push((id, side));
                    cum_seen.push(0);
                    finished.push(None);
                }
                Step::Cancel { order } => {
                    if let Some((id, _)) = pick(order) {
                        h.cmd(Command::Cancel { order: id });
                    }
                }
                Step::Replace { order, qty } => {
                    if let Some((id, _)) = pick(order) {
                        h.cmd(Command::Replace { order: id, price: px("1.2"), qty: Qty(qty) });
                    }
                }
                Step::Status { order } => {
                    if let Some((id, _)) = pick(order) {
                        h.cmd(Command::Status { order: id });
                    }
                }
                Step::CancelReject { order, version } => {
                    if let Some((id, _)) = pick(order) {
                        let (cl, orig) = (h.cl(id, version), h.cl(id, 0));
                        h.ocr(&format!("11={cl}|41={orig}|39=0|434=1|102=0"));
                    }
                }
                Step::Report(r) => {
                    let Some((id, side)) = pick(r.order) else { continue };
                    let cl = h.cl(id, r.version);
                    let side = if side == Side::Sell { 2 } else { 1 };
                    let qty = r.order_qty.map(|q| format!("|38={q}")).unwrap_or_default();
                    let outcome = h.er(&format!(
                        "17=X{}|11={cl}|150={}|39={}|14={}|151={}|32={}|31=1.1|6=1.1|54={side}{qty}",
                        r.exec_id, r.exec_type, r.ord_status, r.cum, r.leaves, r.last_qty
                    ));
                    prop_assert!(outcome != Outcome::NotOrderMessage);
                }
            }
            h.events();
            // The books agree with the orders.
            let mut position = 0i64;
            let mut open = 0u32;
            for (k, &(id, side)) in orders.iter().enumerate() {
                let v = h.om.order(id).expect("no slot is reused here");
                prop_assert!(v.cum_qty.0 >= cum_seen[k], "CumQty went down");
                cum_seen[k] = v.cum_qty.0;
                position += side.sign() * v.cum_qty.0;
                prop_assert_eq!(v.open, !v.state.is_terminal());
                if v.open {
                    open += 1;
                    prop_assert!(v.leaves_qty.0 >= 0);
                } else {
                    prop_assert_eq!(v.leaves_qty, Qty(0));
                }
                // Terminal is final, but for a crossing replace that
                // reopens the order (counted): the replaced order may then
                // work again, or end at once in another terminal state when
                // the same report says it is done (leaves 0).
                let reopened_now = h.om.counters().reopened > reopened;
                match finished[k] {
                    Some(end) if v.open => prop_assert!(
                        h.om.counters().reopened > 0,
                        "{:?} reopened from {:?}", id, end
                    ),
                    Some(end) if !v.open && !reopened_now => prop_assert_eq!(v.state, end),
                    _ => {}
                }
                finished[k] = (!v.open).then_some(v.state);
            }
            reopened = h.om.counters().reopened;
            prop_assert_eq!(h.om.position(EURUSD), Qty(position));
            prop_assert_eq!(h.om.open_orders(), open);
            let (buy, sell) = h.om.open_qty(EURUSD);
            prop_assert!(buy.0 >= 0 && sell.0 >= 0);
            if open == 0 {
                prop_assert_eq!((buy, sell), (Qty(0), Qty(0)));
            }
            for &(id, _) in &orders {
                let v = h.om.order(id).unwrap();
                prop_assert_eq!(h.om.tag_in_use(v.tag.unwrap()), v.open, "tag of {:?}", id);
            }
        }
    }
}
