//! Subscription lifecycle end to end: staleness on a quiet instrument, and
//! re-subscribing a live book with other parameters under the flow.

use super::harness::{Rig, Setup, Sub, EURUSD, GBPUSD, USDJPY};
use fixrail::md::SubState;
use fixrail::strategy::{Event, MdEntryTypes, Price, Qty, Side, StaleCause, TimeInForce};

const TICK: i64 = 1_000;
const LOT: i64 = 1_000;

/// GBP/USD (`stale_after_ms = 200`) has no flow: only the strategy's
/// orders move it. Its live book goes `BookStale { NoUpdates }` after
/// 200 ms without an update and keeps its levels (mirror and engine
/// alike); the next update (the strategy's own order) makes it live again.
#[test]
fn a_quiet_book_goes_stale_keeps_its_levels_and_turns_live_on_the_next_update() {
    let mut rig = Rig::new(Setup {
        name: "md-e2e-stale",
        no_flow: &["GBP/USD"],
        ..Setup::default()
    });
    rig.until("session up", |e| matches!(e, Event::SessionUp { .. }));
    let px = 127_000_000;
    rig.order(GBPUSD, 1, Side::Buy, TimeInForce::Day, px, 2 * LOT);
    rig.until("bid accepted", |e| matches!(e, Event::Accepted { .. }));
    rig.subscribe(
        GBPUSD,
        Sub {
            depth: 5,
            aggregated: true,
            entries: MdEntryTypes::BOOK,
        },
    );
    let g = usize::from(GBPUSD.0);
    rig.wait("GBP/USD live", |r| r.mirrors[g].live);
    let (e, _) = rig.until("stale", |e| matches!(e, Event::BookStale { .. }));
    assert_eq!(
        e,
        Event::BookStale {
            instrument: GBPUSD,
            cause: StaleCause::NoUpdates
        }
    );
    assert_eq!(
        rig.md().state(GBPUSD),
        Some(SubState::Stale(StaleCause::NoUpdates))
    );
    assert_eq!(rig.md().counters().stale_no_updates, 1);
    // The book is kept: one turn compares mirror and engine again.
    rig.turn();
    assert_eq!(rig.mirrors[g].side(0), vec![(Price(px), Qty(2 * LOT), 1)]);
    assert_eq!(rig.md().book(GBPUSD).unwrap().bids().len(), 1);

    rig.order(
        GBPUSD,
        2,
        Side::Sell,
        TimeInForce::Day,
        px + 5 * TICK,
        3 * LOT,
    );
    rig.until("live again", |e| {
        *e == Event::BookLive { instrument: GBPUSD }
    });
    rig.quiesce();
    let top = rig.mirrors[g].top;
    assert_eq!(
        (top.bid, top.ask, top.ask_qty, top.spread),
        (
            Price(px),
            Price(px + 5 * TICK),
            Qty(3 * LOT),
            Price(5 * TICK)
        )
    );
    assert_eq!(rig.mirrors[g].lives, 2);
}

/// A live EUR/USD book is subscribed again under the flow with other
/// parameters (depth 5 by price → depth 3 order by order → depth 5 by
/// price): each time the old MDReqID is unsubscribed at the venue, the
/// mirror is cleared by events down to the new depth, and the new book
/// matches the engine's and the venue's.
#[test]
fn re_subscribing_a_live_book_with_other_parameters_rebuilds_it() {
    let mut rig = Rig::new(Setup {
        name: "md-e2e-resub",
        flow_seed: 53,
        ..Setup::default()
    });
    rig.until("session up", |e| matches!(e, Event::SessionUp { .. }));
    let agg5 = Sub {
        depth: 5,
        aggregated: true,
        entries: MdEntryTypes::BOOK,
    };
    let e = usize::from(EURUSD.0);
    rig.subscribe(EURUSD, agg5);
    rig.subscribe(USDJPY, Sub { depth: 1, ..agg5 });
    rig.wait("live", |r| r.mirrors[e].live);
    rig.run_for(300);
    rig.quiesce();
    for sub in [
        Sub {
            depth: 3,
            aggregated: false,
            ..agg5
        },
        agg5,
    ] {
        rig.resume();
        rig.run_for(100);
        let old = rig.md().req_id(EURUSD).unwrap();
        let unsubs = rig.md().counters().unsubscribes_sent;
        let lives = rig.mirrors[e].lives;
        rig.subscribe(EURUSD, sub);
        rig.wait("live with the new subscription", |r| {
            r.mirrors[e].lives > lives
        });
        assert_ne!(rig.md().req_id(EURUSD).unwrap(), old);
        assert_eq!(rig.md().counters().unsubscribes_sent, unsubs + 1);
        rig.run_for(200);
        rig.quiesce();
        assert_eq!(
            rig.venue.borrow().md_subscriptions("VENUE"),
            2,
            "the old subscription ended at the venue"
        );
    }
    let md = *rig.md().counters();
    assert_eq!(md.bad_updates, 0, "{md:?}");
}
