//! Reconnects, gaps, staleness and bad updates: the book heals itself.

use super::harness::*;
use fixrail::md::SubState;
use fixrail::strategy::{Event, MdEntryTypes, StaleCause};

const SNAPSHOT: &str =
    "55=EUR/USD|268=4|269=0|270=1.08340|271=1000000|269=0|270=1.08330|271=2000000|\
    269=1|270=1.08350|271=3000000|269=1|270=1.08360|271=1000000|";

fn live(h: &mut H) -> String {
    h.logon();
    h.cmd(subscribe(EURUSD, 0, MdEntryTypes::BOOK));
    let id = h.last_req_id();
    h.venue("W", &format!("262={id}|{SNAPSHOT}"));
    id
}

fn stale(cause: StaleCause) -> Event {
    Event::BookStale {
        instrument: EURUSD,
        cause,
    }
}

/// A disconnect clears the book and marks it stale (the strategy's mirror
/// is emptied by the batch that follows); the next logon asks again with a
/// new MDReqID; a W for the old id (a venue that lags) is ignored; the W
/// for the new id rebuilds the book and makes it live.
#[test]
fn a_reconnect_restores_the_subscription_with_a_new_id() {
    let mut h = H::new(256);
    let old = live(&mut h);
    let mut mirror = Mirror::default();
    h.events().iter().for_each(|e| mirror.apply(e));
    h.disconnect();
    let ev = h.events();
    // The strategy hears of the session first, then of its books.
    assert!(matches!(ev[0], Event::SessionDown { .. }), "{ev:?}");
    assert_eq!(ev[1], stale(StaleCause::Disconnect));
    ev.iter().for_each(|e| mirror.apply(e));
    assert!(mirror.bids.is_empty() && mirror.asks.is_empty());
    assert_mirrors(&h, &mirror, EURUSD);
    assert_eq!(
        h.app.market_data().state(EURUSD),
        Some(SubState::Stale(StaleCause::Disconnect))
    );
    let sent = h.requests().len();
    h.poll();
    assert_eq!(h.requests().len(), sent, "nothing is sent while down");

    // Reconnect (the venue's numbers continue).
    h.logon();
    let v = h.requests();
    assert_eq!(v.len(), sent + 1, "one new V, no unsubscribe of the old id");
    let new = v.last().unwrap()[&262][0].clone();
    assert_ne!(new, old);
    assert_eq!(v.last().unwrap()[&263][0], "1");
    h.venue("W", &format!("262={old}|{SNAPSHOT}"));
    assert!(h
        .events()
        .iter()
        .all(|e| !matches!(e, Event::BookLive { .. })));
    assert_eq!(h.app.market_data().counters().ignored, 1);
    h.venue("W", &format!("262={new}|{SNAPSHOT}"));
    let ev = h.events();
    assert!(ev.contains(&Event::BookLive { instrument: EURUSD }));
    ev.iter().for_each(|e| mirror.apply(e));
    assert_eq!(mirror.bids.len(), 2);
    assert_mirrors(&h, &mirror, EURUSD);
    assert_eq!(h.app.market_data().state(EURUSD), Some(SubState::Live));
}

/// A sequence gap clears the book and marks it stale; the next turn
/// unsubscribes the old id and asks again with a new one; the resent
/// incrementals of the old id are ignored, and the next snapshot rebuilds
/// the book.
#[test]
fn a_gap_clears_the_book_and_resubscribes() {
    let mut h = H::new(256);
    let old = live(&mut h);
    let mut mirror = Mirror::default();
    h.events().iter().for_each(|e| mirror.apply(e));
    let gap_at = h.venue_seq + 1;
    // Message gap_at is lost; gap_at + 1 reveals the gap (held).
    h.venue_at(
        gap_at + 1,
        "X",
        &format!("262={old}|268=1|279=2|269=0|55=EUR/USD|270=1.08330|"),
    );
    assert!(h
        .session_events
        .iter()
        .any(|e| matches!(e, fixrail::session::Event::GapDetected { .. })));
    let ev = h.events();
    assert_eq!(ev[0], stale(StaleCause::Gap));
    ev.iter().for_each(|e| mirror.apply(e));
    assert!(h.app.market_data().book(EURUSD).unwrap().bids().is_empty());
    assert_mirrors(&h, &mirror, EURUSD);
    h.poll();
    let v = h.requests();
    let (unsub, sub) = (&v[v.len() - 2], &v[v.len() - 1]);
    assert_eq!(
        (unsub[&263][0].as_str(), unsub[&262][0].as_str()),
        ("2", old.as_str())
    );
    assert_eq!(sub[&263][0], "1");
    let new = sub[&262][0].clone();
    assert_ne!(new, old);
    // The venue resends the lost message; the held one follows. Both are
    // the old subscription's: ignored.
    h.venue_resend(
        gap_at,
        "X",
        &format!("262={old}|268=1|279=0|269=0|55=EUR/USD|270=1.08345|271=10|"),
    );
    assert!(h.events().is_empty());
    assert!(h.app.market_data().book(EURUSD).unwrap().bids().is_empty());
    assert_eq!(h.app.market_data().counters().ignored, 2);
    // The new snapshot.
    h.venue("W", &format!("262={new}|{SNAPSHOT}"));
    let ev = h.events();
    assert_eq!(ev[0], Event::BookLive { instrument: EURUSD });
    ev.iter().for_each(|e| mirror.apply(e));
    assert_mirrors(&h, &mirror, EURUSD);
    assert_eq!(mirror.bids.len(), 2);
}

/// No update within `stale_after_ms` (1 s for EUR/USD, on the harness's
/// manual clock) raises BookStale{NoUpdates} once and counts it; the book
/// is kept; the next update makes it live again (BookLive, then its batch).
#[test]
fn staleness_follows_the_manual_clock() {
    let mut h = H::new(256);
    let id = live(&mut h);
    h.events();
    h.advance_ms(999);
    h.poll();
    assert!(h.events().is_empty());
    h.advance_ms(1);
    h.poll();
    assert_eq!(h.events(), [stale(StaleCause::NoUpdates)]);
    h.advance_ms(5000);
    h.poll();
    assert!(h.events().is_empty(), "raised once");
    assert_eq!(h.app.market_data().book(EURUSD).unwrap().bids().len(), 2);
    assert_eq!(h.app.market_data().counters().stale_no_updates, 1);
    h.venue(
        "X",
        &format!("262={id}|268=1|279=1|269=0|55=EUR/USD|270=1.08340|271=5|"),
    );
    let ev = h.events();
    assert_eq!(ev[0], Event::BookLive { instrument: EURUSD });
    assert!(matches!(ev.last(), Some(Event::TopOfBook(t)) if t.bid_qty.0 == 5));
    // The deadline moves with each update.
    h.advance_ms(600);
    h.venue(
        "X",
        &format!("262={id}|268=1|279=1|269=0|55=EUR/USD|270=1.08340|271=6|"),
    );
    h.advance_ms(600);
    h.poll();
    assert!(!h.events().contains(&stale(StaleCause::NoUpdates)));
    h.advance_ms(400);
    h.poll();
    assert_eq!(h.events(), [stale(StaleCause::NoUpdates)]);
    assert_eq!(h.app.market_data().counters().stale_no_updates, 2);
}

/// An update the book cannot apply (a delete of a price it does not hold)
/// clears the book, marks it stale, and asks for a new snapshot under a new
/// id (the old one unsubscribed); the snapshot heals it.
#[test]
fn a_bad_update_clears_the_book_and_asks_for_a_new_snapshot() {
    let mut h = H::new(256);
    let old = live(&mut h);
    let mut mirror = Mirror::default();
    h.events().iter().for_each(|e| mirror.apply(e));
    let before = h.requests().len();
    h.venue(
        "X",
        &format!("262={old}|268=1|279=2|269=0|55=EUR/USD|270=1.07000|"),
    );
    h.poll();
    let ev = h.events();
    assert_eq!(ev[0], stale(StaleCause::BadUpdate));
    ev.iter().for_each(|e| mirror.apply(e));
    assert!(mirror.bids.is_empty());
    assert_mirrors(&h, &mirror, EURUSD);
    let v = h.requests();
    assert_eq!(
        v.len(),
        before + 2,
        "unsubscribe the old id, subscribe anew"
    );
    assert_eq!(v[before][&263][0], "2");
    let new = v[before + 1][&262][0].clone();
    assert_ne!(new, old);
    assert_eq!(h.app.market_data().counters().bad_updates, 1);
    // A bad value (size with decimals) on the new subscription's snapshot
    // is a bad update too; then a good snapshot heals the book.
    h.venue(
        "W",
        &format!("262={new}|55=EUR/USD|268=1|269=0|270=1.08|271=1.5|"),
    );
    h.poll();
    assert!(h.events().contains(&stale(StaleCause::BadUpdate)));
    let newer = h.last_req_id();
    assert_ne!(newer, new);
    h.venue("W", &format!("262={newer}|{SNAPSHOT}"));
    let ev = h.events();
    assert_eq!(ev[0], Event::BookLive { instrument: EURUSD });
    ev.iter().for_each(|e| mirror.apply(e));
    assert_mirrors(&h, &mirror, EURUSD);
    assert_eq!(h.app.market_data().counters().bad_updates, 2);
}
