//! Books built from the venue's flow: aggregated by price, aggregated by
//! position, and order by order; and the strategy's own orders moving the
//! book and trading (trades against fills).

use super::harness::{Rig, Setup, Sub, EURUSD, EURUSD_LOT, EURUSD_TICK, SYMBOLS, USDJPY};
use fixrail::strategy::{Command, Event, MdEntryTypes, OrderId, Price, Qty, Side, TimeInForce};
use fixrail::venue::book::Side as VenueSide;
use std::time::{Duration, Instant};

const DEPTH5_TRADES: Sub = Sub {
    depth: 5,
    aggregated: true,
    entries: MdEntryTypes::BOOK_AND_TRADES,
};
const TOP_ONLY: Sub = Sub {
    depth: 1,
    aggregated: true,
    entries: MdEntryTypes::BOOK,
};

/// Logs on, subscribes, waits for every subscribed book to be live.
fn start(rig: &mut Rig, subs: &[(fixrail::strategy::InstrumentId, Sub)]) {
    rig.until("session up", |e| matches!(e, Event::SessionUp { .. }));
    for &(i, s) in subs {
        rig.subscribe(i, s);
    }
    let ids: Vec<usize> = subs.iter().map(|(i, _)| usize::from(i.0)).collect();
    rig.wait("every book live", |r| {
        ids.iter().all(|&i| r.mirrors[i].live)
    });
}

/// Runs the flow in `rounds` stretches of `ms`, each ending quiescent
/// (the three books compared).
fn flow_rounds(rig: &mut Rig, rounds: usize, ms: u64) {
    for _ in 0..rounds {
        rig.resume();
        rig.run_for(ms);
        rig.quiesce();
    }
}

fn order_of(e: &Event, tag: u64) -> Option<OrderId> {
    match *e {
        Event::OrderSent { tag: t, order } if t == tag => Some(order),
        Event::Rejected { tag: t, .. } if t == tag => panic!("order {tag} refused: {e:?}"),
        _ => None,
    }
}

fn send_order(rig: &mut Rig, tag: u64, side: Side, tif: TimeInForce, px: i64, qty: i64) -> OrderId {
    rig.limit(tag, side, tif, px, qty);
    let (e, _) = rig.until("order sent", |e| order_of(e, tag).is_some());
    order_of(&e, tag).unwrap()
}

/// Aggregated by price: a depth-5 EUR/USD book with trades and a top-only
/// USD/JPY book follow the venue's seeded flow exactly (mirror = engine
/// after every turn, engine = venue at every quiescent point); the
/// strategy's own passive order shows in the top of book at its price and
/// size and goes again on cancel; its aggressive order's fills are exactly
/// the trades the strategy is told of, and the levels it swept are gone.
#[test]
fn aggregated_books_follow_the_venues_flow_and_the_strategys_own_orders() {
    let mut rig = Rig::new(Setup {
        name: "md-e2e-price",
        ..Setup::default()
    });
    start(&mut rig, &[(EURUSD, DEPTH5_TRADES), (USDJPY, TOP_ONLY)]);
    flow_rounds(&mut rig, 4, 300);
    let eur = &rig.mirrors[usize::from(EURUSD.0)];
    assert!(
        eur.tops >= 50,
        "too few tops to prove anything: {}",
        eur.tops
    );
    assert!(!eur.trades.is_empty(), "the flow's marketable orders trade");
    assert!(rig.mirrors[usize::from(USDJPY.0)].tops >= 10);
    assert!(rig.mirrors[usize::from(USDJPY.0)].trades.is_empty());
    let md = rig.md().counters();
    assert_eq!(md.bad_updates, 0, "{md:?}");
    assert!(md.updates_applied > 200, "{md:?}");

    // The clock is paused: only the strategy moves the book now.
    let bids = rig.venue_levels(SYMBOLS[0], VenueSide::Buy, 5);
    let asks = rig.venue_levels(SYMBOLS[0], VenueSide::Sell, 5);
    assert!(bids.len() >= 2 && !asks.is_empty(), "{bids:?} {asks:?}");
    let (best_bid, best_ask) = (bids[0].0 .0, asks[0].0 .0);

    // A passive bid: inside the spread if there is room, else joining.
    let px = if best_ask - best_bid >= 2 * EURUSD_TICK {
        best_bid + EURUSD_TICK
    } else {
        best_bid
    };
    let resting_before = if px == best_bid { bids[0].1 .0 } else { 0 };
    let bid = send_order(&mut rig, 1, Side::Buy, TimeInForce::Day, px, 3 * EURUSD_LOT);
    rig.until("bid accepted", |e| *e == Event::Accepted { order: bid });
    rig.quiesce();
    let top = rig.mirrors[usize::from(EURUSD.0)].top;
    assert_eq!(
        (top.bid, top.bid_qty),
        (Price(px), Qty(resting_before + 3 * EURUSD_LOT)),
        "{top:?}"
    );
    assert_eq!(top.spread, Price(best_ask - px));

    rig.h.send(Command::Cancel { order: bid }).unwrap();
    rig.until("bid canceled", |e| *e == Event::Canceled { order: bid });
    rig.quiesce();
    let top = rig.mirrors[usize::from(EURUSD.0)].top;
    assert_eq!((top.bid, top.bid_qty), (bids[0].0, bids[0].1), "{top:?}");

    // An aggressive IOC sell through the best levels (all but the last
    // taken whole, one lot of the last).
    let n = bids.len().min(3);
    let limit = bids[n - 1].0 .0;
    let swept: i64 = bids[..n - 1].iter().map(|l| l.1 .0).sum();
    let qty = swept + EURUSD_LOT;
    let trades_before = rig.mirrors[usize::from(EURUSD.0)].trades.len();
    let others_before = rig.others.len();
    let sell = send_order(&mut rig, 2, Side::Sell, TimeInForce::Ioc, limit, qty);
    rig.until(
        "sell filled",
        |e| matches!(e, Event::Fill { order, .. } if *order == sell),
    );
    rig.quiesce();
    let mut fills: Vec<(Price, Qty)> = rig.others[others_before..]
        .iter()
        .filter_map(|e| match *e {
            Event::PartialFill {
                order,
                last_px,
                last_qty,
                ..
            }
            | Event::Fill {
                order,
                last_px,
                last_qty,
                ..
            } if order == sell => Some((last_px, last_qty)),
            _ => None,
        })
        .collect();
    let mut trades = rig.mirrors[usize::from(EURUSD.0)].trades[trades_before..].to_vec();
    fills.sort();
    trades.sort();
    assert!(trades.len() >= n, "one trade per resting order: {trades:?}");
    assert_eq!(trades, fills, "the trades told are the order's fills");
    assert_eq!(trades.iter().map(|t| t.1 .0).sum::<i64>(), qty);
    let top = rig.mirrors[usize::from(EURUSD.0)].top;
    assert_eq!(
        (top.bid, top.bid_qty),
        (bids[n - 1].0, Qty(bids[n - 1].1 .0 - EURUSD_LOT)),
        "the swept levels are gone: {top:?}"
    );

    // And the flow again.
    flow_rounds(&mut rig, 2, 200);
    let c = rig.checks;
    assert!(c.engine_vs_venue >= 9, "{c:?}");
    assert!(c.mirror_vs_engine >= 100, "{c:?}");
    assert_eq!(rig.md().counters().bad_updates, 0);
}

/// Aggregated by position (`md_keying = "position"`, 290 on every
/// entry): the same three-way agreement under the flow.
#[test]
fn position_keyed_books_follow_the_venues_flow() {
    let mut rig = Rig::new(Setup {
        name: "md-e2e-position",
        keying: "position",
        flow_seed: 11,
        ..Setup::default()
    });
    start(
        &mut rig,
        &[
            (EURUSD, DEPTH5_TRADES),
            (
                USDJPY,
                Sub {
                    depth: 3,
                    ..TOP_ONLY
                },
            ),
        ],
    );
    flow_rounds(&mut rig, 4, 300);
    let md = *rig.md().counters();
    assert_eq!(md.bad_updates, 0, "{md:?}");
    assert!(md.updates_applied > 200, "{md:?}");
    assert!(rig.mirrors[usize::from(EURUSD.0)].tops >= 50);
    assert!(rig.checks.engine_vs_venue >= 4);
}

/// Order by order (266=N: the venue keys entries by OrderID in W and
/// MDEntryID in X): the engine's aggregated book equals the venue's best
/// orders summed per price, and every level but the last (which may hold
/// orders beyond the depth) equals the venue's own level.
#[test]
fn order_by_order_books_follow_the_venues_flow() {
    let mut rig = Rig::new(Setup {
        name: "md-e2e-orders",
        flow_seed: 23,
        ..Setup::default()
    });
    let by_order = |depth| Sub {
        depth,
        aggregated: false,
        entries: MdEntryTypes::BOOK,
    };
    start(&mut rig, &[(EURUSD, by_order(10)), (USDJPY, by_order(4))]);
    for _ in 0..4 {
        rig.resume();
        rig.run_for(300);
        rig.quiesce();
        for (sym, n) in [(SYMBOLS[0], 10), (SYMBOLS[1], 4)] {
            for side in [VenueSide::Buy, VenueSide::Sell] {
                let agg = rig.venue_order_levels(sym, side, n);
                let whole = rig.venue_levels(sym, side, agg.len());
                let k = agg.len().saturating_sub(1);
                assert_eq!(agg[..k], whole[..k], "{sym} {side:?}");
            }
        }
    }
    let md = *rig.md().counters();
    assert_eq!(md.bad_updates, 0, "{md:?}");
    assert!(md.updates_applied > 200, "{md:?}");
    assert!(rig.mirrors[usize::from(EURUSD.0)].tops >= 50);
}

/// A slow strategy (a 64-slot ring it reads every 10 ms): book events are
/// coalesced (counted), nothing is dropped, and whenever the stage has
/// caught up the mirror built from the coalesced events still equals the
/// engine's book, and at quiescence the venue's.
#[test]
fn a_slow_strategy_gets_coalesced_books_that_still_match() {
    let mut rig = Rig::new(Setup {
        name: "md-e2e-slow",
        ring_capacity: 64,
        flow_rate_per_sec: 4000,
        flow_seed: 41,
        ..Setup::default()
    });
    let depth5 = Sub {
        depth: 5,
        aggregated: true,
        entries: MdEntryTypes::BOOK,
    };
    start(&mut rig, &[(EURUSD, depth5), (USDJPY, depth5)]);
    let checks_before = rig.checks.mirror_vs_engine;
    for _ in 0..4 {
        rig.resume();
        let end = Instant::now() + Duration::from_millis(300);
        while Instant::now() < end {
            let read_at = Instant::now() + Duration::from_millis(10);
            while Instant::now() < read_at {
                rig.turn_unread();
            }
            rig.turn();
        }
        rig.quiesce();
    }
    let md = *rig.md().counters();
    assert!(md.coalesced > 0, "the ring never filled: {md:?}");
    assert_eq!((md.events_dropped, md.bad_updates), (0, 0), "{md:?}");
    assert!(rig.checks.mirror_vs_engine > checks_before + 20);
}
