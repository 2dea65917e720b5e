//! The order path end to end in one process, over real loopback sockets: a
//! strategy's ring → risk → order stage → session → journal → socket →
//! `fixrail`'s own venue (an acceptor session in the same engine) → back to
//! the strategy's event ring.

// Test deadlines are wall-clock by nature.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{trading_engine, TempDir};
use fixrail::clock::SystemClock;
use fixrail::engine::Engine;
use fixrail::strategy::{
    Command, Event, InstrumentId, OrdType, OrderId, Price, Qty, RejectReason, Side, StrategyHandle,
    TimeInForce,
};
use std::time::{Duration, Instant};

/// Turns the engine until an event matching `want` arrives (other events
/// are collected and returned too).
fn until(
    engine: &mut Engine<SystemClock>,
    h: &mut StrategyHandle,
    what: &str,
    want: impl Fn(&Event) -> bool,
) -> (Event, Vec<Event>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        engine.do_work().unwrap();
        while let Some(e) = h.poll() {
            if want(&e) {
                return (e, seen);
            }
            seen.push(e);
        }
        assert!(Instant::now() < deadline, "never saw {what}; saw {seen:?}");
    }
}

const EURUSD: InstrumentId = InstrumentId(0);

fn limit(tag: u64, side: Side, price: i64, qty: i64) -> Command {
    Command::NewOrder {
        tag,
        instrument: EURUSD,
        side,
        ord_type: OrdType::Limit,
        tif: TimeInForce::Day,
        price: Price(price),
        qty: Qty(qty),
    }
}

fn sent(e: &Event, tag: u64) -> Option<OrderId> {
    match *e {
        Event::OrderSent { tag: t, order } if t == tag => Some(order),
        _ => None,
    }
}

#[test]
fn a_strategy_trades_against_the_venue_through_the_whole_path() {
    let dir = TempDir::new("trading-e2e");
    let (mut engine, mut h) = trading_engine(&dir);
    until(&mut engine, &mut h, "session up", |e| {
        matches!(e, Event::SessionUp { .. })
    });

    // A buy rests, a sell crosses it: both fill.
    h.send(limit(1, Side::Buy, 108_500_000, 1_000)).unwrap();
    let (e, _) = until(&mut engine, &mut h, "buy sent", |e| sent(e, 1).is_some());
    let buy = sent(&e, 1).unwrap();
    until(&mut engine, &mut h, "buy accepted", |e| {
        *e == Event::Accepted { order: buy }
    });
    h.send(limit(2, Side::Sell, 108_500_000, 1_000)).unwrap();
    let (e, _) = until(&mut engine, &mut h, "sell sent", |e| sent(e, 2).is_some());
    let sell = sent(&e, 2).unwrap();
    let mut filled = Vec::new();
    while filled.len() < 2 {
        let (e, _) = until(&mut engine, &mut h, "fills", |e| {
            matches!(e, Event::Fill { .. })
        });
        if let Event::Fill {
            order,
            last_px,
            last_qty,
            cum_qty,
        } = e
        {
            assert_eq!(
                (last_px, last_qty, cum_qty),
                (Price(108_500_000), Qty(1_000), Qty(1_000))
            );
            filled.push(order);
        }
    }
    filled.sort_by_key(|o| o.slot);
    let mut both = vec![buy, sell];
    both.sort_by_key(|o| o.slot);
    assert_eq!(filled, both);

    // Replace then cancel a resting order.
    h.send(limit(3, Side::Buy, 108_000_000, 2_000)).unwrap();
    let (e, _) = until(&mut engine, &mut h, "resting sent", |e| {
        sent(e, 3).is_some()
    });
    let resting = sent(&e, 3).unwrap();
    until(&mut engine, &mut h, "resting accepted", |e| {
        *e == Event::Accepted { order: resting }
    });
    h.send(Command::Replace {
        order: resting,
        price: Price(108_100_000),
        qty: Qty(3_000),
    })
    .unwrap();
    let (e, _) = until(&mut engine, &mut h, "replaced", |e| {
        matches!(e, Event::Replaced { .. })
    });
    assert_eq!(
        e,
        Event::Replaced {
            order: resting,
            price: Price(108_100_000),
            qty: Qty(3_000)
        }
    );
    h.send(Command::Cancel { order: resting }).unwrap();
    until(&mut engine, &mut h, "canceled", |e| {
        *e == Event::Canceled { order: resting }
    });

    // Risk refuses locally, with the reason: off-tick price, odd lot.
    h.send(limit(4, Side::Buy, 108_000_001, 1_000)).unwrap();
    let (e, _) = until(&mut engine, &mut h, "risk reject", |e| {
        matches!(e, Event::Rejected { tag: 4, .. })
    });
    assert_eq!(
        e,
        Event::Rejected {
            tag: 4,
            order: None,
            reason: RejectReason::BadPrice
        }
    );
    h.send(limit(5, Side::Buy, 108_000_000, 1_500)).unwrap();
    let (e, _) = until(&mut engine, &mut h, "lot reject", |e| {
        matches!(e, Event::Rejected { tag: 5, .. })
    });
    assert!(matches!(
        e,
        Event::Rejected {
            reason: RejectReason::BadQty,
            ..
        }
    ));
    // A cancel of a finished order is refused locally, never sent.
    h.send(Command::Cancel { order: buy }).unwrap();
    let (e, _) = until(&mut engine, &mut h, "local cancel reject", |e| {
        matches!(e, Event::CancelRejected { .. })
    });
    assert_eq!(
        e,
        Event::CancelRejected {
            order: buy,
            reason: RejectReason::NotCancelable
        }
    );
}
