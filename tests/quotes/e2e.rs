//! End to end over loopback with `fixrail`'s own venue in the same engine
//! (`tests/common::trading_engine`): a strategy asks the venue for a quote,
//! trades on it, and gets the fill at the quoted price; a side the venue
//! cannot quote comes back as a QuoteRequestReject.

use crate::common::{trading_engine, TempDir};
use fixrail::clock::SystemClock;
use fixrail::engine::Engine;
use fixrail::md::quotes::QuoteCounter;
use fixrail::strategy::{Command, Event, OrdType, Price, Qty, Side, StrategyHandle, TimeInForce};
use std::time::{Duration, Instant};

use super::harness::EURUSD;

/// Turns the engine until an event matching `want` arrives.
#[allow(clippy::disallowed_methods)] // test deadlines are wall-clock by nature
fn until(
    engine: &mut Engine<SystemClock>,
    h: &mut StrategyHandle,
    what: &str,
    want: impl Fn(&Event) -> bool,
) -> Event {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        engine.do_work().unwrap();
        while let Some(e) = h.poll() {
            if want(&e) {
                return e;
            }
            seen.push(e);
        }
        assert!(Instant::now() < deadline, "never saw {what}; saw {seen:?}");
    }
}

#[test]
fn a_strategy_trades_on_a_quote_from_fixrails_venue_at_the_quoted_price() {
    let dir = TempDir::new("quotes-e2e");
    let (mut engine, mut h) = trading_engine(&dir);
    until(&mut engine, &mut h, "session up", |e| {
        matches!(e, Event::SessionUp { .. })
    });
    // An offer on the venue's book for it to price a quote from.
    h.send(Command::NewOrder {
        tag: 1,
        instrument: EURUSD,
        side: Side::Sell,
        ord_type: OrdType::Limit,
        tif: TimeInForce::Day,
        price: Price(108_510_000),
        qty: Qty(5_000),
    })
    .unwrap();
    until(&mut engine, &mut h, "offer accepted", |e| {
        matches!(e, Event::Accepted { .. })
    });

    // No bids: a seller cannot be quoted (QuoteRequestReject, no market).
    h.send(Command::QuoteRequest {
        tag: 9,
        instrument: EURUSD,
        qty: Qty(2_000),
        side: Some(Side::Sell),
    })
    .unwrap();
    let e = until(&mut engine, &mut h, "quote request rejected", |e| {
        matches!(e, Event::QuoteRequestRejected { tag: 9, .. })
    });
    assert_eq!(e, Event::QuoteRequestRejected { tag: 9, reason: 8 });

    // A buyer is quoted the offer, firm, with a validity.
    h.send(Command::QuoteRequest {
        tag: 10,
        instrument: EURUSD,
        qty: Qty(2_000),
        side: Some(Side::Buy),
    })
    .unwrap();
    let e = until(&mut engine, &mut h, "quote", |e| {
        matches!(e, Event::Quote { tag: 10, .. })
    });
    let Event::Quote {
        quote,
        offer,
        offer_qty,
        valid_until_ns,
        firm,
        ..
    } = e
    else {
        unreachable!()
    };
    assert!(firm, "{e:?}");
    assert_eq!(offer, Price(108_510_000), "{e:?}");
    assert!(offer_qty >= Qty(2_000), "{e:?}");
    assert!(valid_until_ns > 0, "{e:?}");

    // Trade on it: the fill comes at the quoted price.
    h.send(Command::OrderOnQuote {
        tag: 11,
        quote,
        side: Side::Buy,
        qty: Qty(2_000),
    })
    .unwrap();
    let e = until(&mut engine, &mut h, "order on the quote sent", |e| {
        matches!(
            e,
            Event::OrderSent { tag: 11, .. } | Event::Rejected { tag: 11, .. }
        )
    });
    let Event::OrderSent { order, .. } = e else {
        panic!("the order on the quote was refused: {e:?}");
    };
    let e = until(
        &mut engine,
        &mut h,
        "fill on the quote",
        |e| matches!(e, Event::Fill { order: o, .. } | Event::Rejected { order: Some(o), .. } if *o == order),
    );
    assert_eq!(
        e,
        Event::Fill {
            order,
            last_px: offer,
            last_qty: Qty(2_000),
            cum_qty: Qty(2_000)
        }
    );
    let desk = engine.trading("DESK").unwrap().quotes();
    assert_eq!(desk.counters().get(QuoteCounter::OrdersOnQuotes), 1);
    assert_eq!(desk.busy(), 0, "the quote is used up");
}
