//! Snapshots and incrementals into TopOfBook, BookLevel and Trade events;
//! the strategy's mirror; coalescing when the ring is full.

use super::harness::*;
use fixrail::strategy::{
    Command, Event, MdEntryTypes, OrdType, Price, Qty, Side, TimeInForce, TopOfBook,
};

const SNAPSHOT: &str = "268=6|269=0|270=1.08340|271=1000000|269=0|270=1.08330|271=2000000|\
    269=0|270=1.08320|271=500000|269=1|270=1.08350|271=3000000|269=1|270=1.08360|271=1000000|\
    269=1|270=1.08370|271=250000|";

fn level(side: Side, level: u16, price: &str, qty: i64, orders: u32) -> Event {
    Event::BookLevel {
        instrument: EURUSD,
        side,
        level,
        price: if price.is_empty() {
            Price(0)
        } else {
            px(price)
        },
        qty: Qty(qty),
        orders,
    }
}

/// Subscribed and live on EUR/USD with the snapshot above; returns the id.
fn live(h: &mut H, entries: MdEntryTypes) -> String {
    h.logon();
    h.cmd(subscribe(EURUSD, 0, entries));
    let id = h.last_req_id();
    h.venue("W", &format!("262={id}|55=EUR/USD|{SNAPSHOT}"));
    id
}

/// The snapshot gives BookLive, every level, then TopOfBook with spread and
/// imbalance; an incremental gives the changed levels (a new best offer
/// shifts every offer) and TopOfBook; a delete gives the emptied level
/// (qty 0) and TopOfBook. The mirror built from these events equals the
/// engine's book after each message.
#[test]
fn snapshot_and_incrementals_give_levels_then_top_of_book() {
    let mut h = H::new(256);
    let id = live(&mut h, MdEntryTypes::BOOK);
    let mut mirror = Mirror::default();
    let ev = h.events();
    ev.iter().for_each(|e| mirror.apply(e));
    assert_eq!(
        ev,
        [
            Event::BookLive { instrument: EURUSD },
            level(Side::Buy, 0, "1.0834", 1_000_000, 1),
            level(Side::Buy, 1, "1.0833", 2_000_000, 1),
            level(Side::Buy, 2, "1.0832", 500_000, 1),
            level(Side::Sell, 0, "1.0835", 3_000_000, 1),
            level(Side::Sell, 1, "1.0836", 1_000_000, 1),
            level(Side::Sell, 2, "1.0837", 250_000, 1),
            Event::TopOfBook(TopOfBook {
                instrument: EURUSD,
                bid: px("1.0834"),
                bid_qty: Qty(1_000_000),
                ask: px("1.0835"),
                ask_qty: Qty(3_000_000),
                spread: px("0.0001"),
                imbalance: -500_000,
                seq: 0,
            }),
        ]
    );
    assert_mirrors(&h, &mirror, EURUSD);

    h.venue(
        "X",
        &format!(
            "262={id}|268=2|279=1|269=0|55=EUR/USD|270=1.08340|271=1500000|\
             279=0|269=1|270=1.08345|271=100000|"
        ),
    );
    let ev = h.events();
    ev.iter().for_each(|e| mirror.apply(e));
    assert_eq!(
        ev,
        [
            level(Side::Buy, 0, "1.0834", 1_500_000, 1),
            level(Side::Sell, 0, "1.08345", 100_000, 1),
            level(Side::Sell, 1, "1.0835", 3_000_000, 1),
            level(Side::Sell, 2, "1.0836", 1_000_000, 1),
            level(Side::Sell, 3, "1.0837", 250_000, 1),
            Event::TopOfBook(TopOfBook {
                instrument: EURUSD,
                bid: px("1.0834"),
                bid_qty: Qty(1_500_000),
                ask: px("1.08345"),
                ask_qty: Qty(100_000),
                spread: px("0.00005"),
                imbalance: 875_000,
                seq: 2,
            }),
        ]
    );
    assert_mirrors(&h, &mirror, EURUSD);

    // No 262 and no 55: nothing to attribute it to. Then a delete.
    h.venue("X", "268=1|279=2|269=0|270=1.08320|");
    assert!(h.events().is_empty());
    h.venue("X", "268=1|279=2|269=0|55=EUR/USD|270=1.08320|");
    let ev = h.events();
    ev.iter().for_each(|e| mirror.apply(e));
    assert_eq!(ev[0], level(Side::Buy, 2, "", 0, 0));
    assert!(matches!(ev[1], Event::TopOfBook(t) if t.seq == 3 && t.bid_qty == Qty(1_500_000)));
    assert_eq!(ev.len(), 2);
    assert_mirrors(&h, &mirror, EURUSD);
    let c = *h.app.market_data().counters();
    assert_eq!(
        (c.snapshots, c.updates_applied, c.ignored_entries),
        (1, 9, 1)
    );
}

/// A top-of-book subscription (depth 1) gets TopOfBook only, and only when
/// the best bid or offer changes; a one-sided book has spread 0 and
/// imbalance ±1,000,000.
#[test]
fn top_of_book_subscriptions_see_only_top_changes() {
    let mut h = H::new(256);
    h.logon();
    h.cmd(subscribe(AAPL, 1, MdEntryTypes::BOOK));
    let id = h.last_req_id();
    h.venue(
        "W",
        &format!("262={id}|55=AAPL|268=2|269=0|270=190.10|271=300|269=0|270=190.05|271=100|"),
    );
    let ev = h.events();
    assert_eq!(ev[0], Event::BookLive { instrument: AAPL });
    let Event::TopOfBook(t) = ev[1] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (t.bid, t.bid_qty, t.ask, t.spread, t.imbalance),
        (px("190.10"), Qty(300), Price(0), Price(0), 1_000_000)
    );
    assert_eq!(ev.len(), 2);
    // Below the top: nothing.
    h.venue("X", "268=1|279=1|269=0|55=AAPL|270=190.05|271=700|");
    assert!(h.events().is_empty());
    // An offer arrives: the top changed.
    h.venue("X", "268=1|279=0|269=1|55=AAPL|270=190.20|271=100|");
    let ev = h.events();
    assert_eq!(ev.len(), 1);
    let Event::TopOfBook(t) = ev[0] else {
        panic!("{ev:?}")
    };
    assert_eq!(
        (t.ask, t.ask_qty, t.spread, t.imbalance, t.seq),
        (px("190.20"), Qty(100), px("0.10"), 500_000, 2)
    );
}

/// Trades (269=2) become Trade events when the subscription asked for
/// them, and touch no book level.
#[test]
fn trades_reach_the_strategy_when_asked_for() {
    let mut h = H::new(256);
    let id = live(&mut h, MdEntryTypes::BOOK_AND_TRADES);
    h.events();
    h.venue(
        "X",
        &format!("262={id}|268=1|279=0|269=2|55=EUR/USD|270=1.08350|271=250000|"),
    );
    assert_eq!(
        h.events(),
        [Event::Trade {
            instrument: EURUSD,
            price: px("1.0835"),
            qty: Qty(250_000)
        }]
    );
    let mut h = H::new(256);
    let id = live(&mut h, MdEntryTypes::BOOK);
    h.events();
    h.venue(
        "X",
        &format!("262={id}|268=1|279=0|269=2|55=EUR/USD|270=1.08350|271=250000|"),
    );
    assert!(h.events().is_empty());
}

/// With a tiny ring the strategy does not drain, book batches are
/// coalesced (counted) instead of queued, and the order stage's events
/// still get through. When the strategy drains, it ends with exactly the
/// engine's latest book, from far fewer events than the updates.
#[test]
fn a_full_ring_coalesces_book_events_without_losing_order_events() {
    let mut h = H::new(16);
    let id = live(&mut h, MdEntryTypes::BOOK);
    h.cmd(Command::NewOrder {
        tag: 7,
        instrument: EURUSD,
        side: Side::Buy,
        ord_type: OrdType::Limit,
        tif: TimeInForce::Day,
        price: px("1.08300"),
        qty: Qty(1000),
    });
    let d = h.sent.last().unwrap().clone();
    let text = fixrail::codec::testing::show(&d);
    let cl = text
        .split('|')
        .find_map(|f| f.strip_prefix("11="))
        .unwrap()
        .to_string();
    for n in 0..200 {
        h.venue(
            "X",
            &format!(
                "262={id}|268=2|279=1|269=0|55=EUR/USD|270=1.08340|271={}|279=1|269=1|270=1.08360|271={}|",
                1_000_000 + n,
                2_000_000 - n
            ),
        );
        if n == 100 {
            h.venue(
                "8",
                &format!(
                    "37=V1|11={cl}|17=E1|150=0|39=0|54=1|55=EUR/USD|38=1000|151=1000|14=0|6=0|"
                ),
            );
        }
        h.poll();
    }
    let md = h.app.market_data().counters();
    assert!(md.coalesced >= 190, "{md:?}");
    // Drain: the strategy sees the order's events and the latest book.
    let mut mirror = Mirror::default();
    let mut all = Vec::new();
    loop {
        let ev = h.events();
        if ev.is_empty() && h.app.market_data().dirty() == 0 {
            break;
        }
        ev.iter().for_each(|e| mirror.apply(e));
        all.extend(ev);
        h.poll();
    }
    assert!(all
        .iter()
        .any(|e| matches!(e, Event::OrderSent { tag: 7, .. })));
    assert!(
        all.iter().any(|e| matches!(e, Event::Accepted { .. })),
        "{all:?}"
    );
    assert_mirrors(&h, &mirror, EURUSD);
    let top = mirror.top.unwrap();
    assert_eq!(
        (top.bid_qty, top.ask_qty, top.seq),
        (Qty(1_000_199), Qty(3_000_000), 400)
    );
    assert_eq!(mirror.asks[1].1, Qty(1_999_801));
    assert!(all.len() < 40, "{} events for 200 updates", all.len());
}

/// Seeded random price-keyed updates on both sides, with the strategy
/// draining only now and then through a small ring: after every drain the
/// mirror built from events alone equals the engine's visible book.
#[test]
fn the_mirror_built_from_events_equals_the_book_under_random_updates() {
    let mut h = H::new(24);
    let id = live(&mut h, MdEntryTypes::BOOK);
    let mut mirror = Mirror::default();
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Prices in ticks: bids 108000..108340, asks 108350..108700 (so the
    // sides never cross); the reference keeps what is on each side.
    let mut sides: [Vec<i64>; 2] = [
        vec![108_340, 108_330, 108_320],
        vec![108_350, 108_360, 108_370],
    ];
    let mut drains = 0;
    for step in 0..3000 {
        let mut body = String::new();
        let n = 1 + next() % 3;
        let mut count = 0;
        for _ in 0..n {
            let s = (next() % 2) as usize;
            let price = if s == 0 {
                108_000 + (next() % 35) as i64 * 10
            } else {
                108_350 + (next() % 35) as i64 * 10
            };
            let have = sides[s].contains(&price);
            let (action, size) = if have && next() % 3 == 0 {
                (2, 0)
            } else if sides[s].len() >= 8 && !have {
                continue;
            } else {
                (if have { 1 } else { 0 }, 1 + next() % 1000)
            };
            if action == 2 {
                sides[s].retain(|&p| p != price);
            } else if !have {
                sides[s].push(price);
            }
            let px = format!("{}.{:05}", price / 100_000, price % 100_000);
            body.push_str(&format!("279={action}|269={s}|55=EUR/USD|270={px}|"));
            if action != 2 {
                body.push_str(&format!("271={size}|"));
            }
            count += 1;
        }
        if count == 0 {
            continue;
        }
        h.venue("X", &format!("262={id}|268={count}|{body}"));
        h.poll();
        if next() % 10 == 0 || step == 2999 {
            loop {
                let ev = h.events();
                if ev.is_empty() && h.app.market_data().dirty() == 0 {
                    break;
                }
                ev.iter().for_each(|e| mirror.apply(e));
                h.poll();
            }
            assert_mirrors(&h, &mirror, EURUSD);
            drains += 1;
        }
    }
    let c = h.app.market_data().counters();
    assert_eq!(c.bad_updates, 0, "{c:?}");
    assert!(c.coalesced > 0 && drains > 100, "{c:?}, {drains} drains");
}
