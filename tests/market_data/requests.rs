//! Subscribe and Unsubscribe on the wire, and Y.

use super::harness::*;
use fixrail::strategy::{Command, Event, MdEntryTypes};

/// A Subscribe before logon waits; at logon it goes out as a V that the
/// FIX 4.4 dictionary accepts (the harness validates every message), with
/// 262 in the engine's format, 263=1, 264 the visible depth, 265=1, 266,
/// the 267/269 group and one 146/55. Unsubscribe sends 263=2 with the same
/// MDReqID.
#[test]
fn subscribe_and_unsubscribe_send_valid_market_data_requests() {
    let mut h = H::new(256);
    h.cmd(subscribe(EURUSD, 0, MdEntryTypes::BOOK_AND_TRADES));
    assert!(h.requests().is_empty(), "nothing is sent while logged off");
    h.logon();
    let v = h.requests();
    assert_eq!(v.len(), 1);
    let v = &v[0];
    let one = |t: u32| v[&t][0].as_str();
    // FR (the ClOrdID prefix) M <instrument 0> . <MsgSeqNum 2> . <secs>
    assert!(one(262).starts_with("FRM0.2."), "{}", one(262));
    assert_eq!(one(263), "1");
    assert_eq!(one(264), "5", "depth 0 asks for the configured depth");
    assert_eq!(one(265), "1");
    assert_eq!(one(266), "Y");
    assert_eq!(one(267), "3");
    assert_eq!(v[&269], ["0", "1", "2"]);
    assert_eq!(one(146), "1");
    assert_eq!(one(55), "EUR/USD");
    let id = one(262).to_string();

    // Top of book only, per order, snapshot only, on the other instrument.
    h.cmd(Command::Subscribe {
        instrument: AAPL,
        depth: 1,
        entries: MdEntryTypes::BOOK,
        updates: false,
        aggregated: false,
    });
    let v = h.requests();
    let v = v.last().unwrap();
    assert!(v[&262][0].starts_with("FRM1.3."));
    assert_eq!(
        (
            v[&263][0].as_str(),
            v[&264][0].as_str(),
            v[&266][0].as_str()
        ),
        ("0", "1", "N")
    );
    assert!(!v.contains_key(&265), "265 only with updates");
    assert_eq!(v[&269], ["0", "1"]);

    h.cmd(Command::Unsubscribe { instrument: EURUSD });
    let v = h.requests();
    let v = v.last().unwrap();
    assert_eq!(v[&263][0], "2");
    assert_eq!(v[&262][0], id, "an unsubscribe names the subscription");
    assert_eq!(v[&55][0], "EUR/USD");
    assert_eq!(h.app.market_data().counters().unsubscribes_sent, 1);
    // Updates for it now are ignored, and nothing reaches the strategy.
    h.events();
    h.venue(
        "X",
        &format!("262={id}|268=1|279=0|269=0|55=EUR/USD|270=1.1|271=5|"),
    );
    assert!(h.events().is_empty());
    assert_eq!(h.app.market_data().counters().ignored, 1);
}

/// A Y for the current request reaches the strategy with its reason (281,
/// or 255 without one), ends the subscription, and a later W for the
/// refused id is ignored. A Subscribe for an instrument the engine does not
/// know is refused locally (reason 0, unknown symbol).
#[test]
fn a_reject_reaches_the_strategy_with_its_reason_and_ends_the_subscription() {
    let mut h = H::new(256);
    h.logon();
    h.cmd(subscribe(EURUSD, 0, MdEntryTypes::BOOK));
    let id = h.last_req_id();
    h.venue("Y", &format!("262={id}|281=5|58=depth not supported|"));
    assert_eq!(
        h.events(),
        [Event::MarketDataRejected {
            instrument: EURUSD,
            reason: 5
        }]
    );
    assert_eq!(h.app.market_data().wanted(EURUSD), None);
    h.venue(
        "W",
        &format!("262={id}|55=EUR/USD|268=1|269=0|270=1.08|271=100|"),
    );
    assert!(h.events().is_empty());
    assert!(h.app.market_data().book(EURUSD).unwrap().bids().is_empty());

    h.cmd(subscribe(AAPL, 0, MdEntryTypes::BOOK));
    let id = h.last_req_id();
    h.venue("Y", &format!("262={id}|"));
    assert_eq!(
        h.events(),
        [Event::MarketDataRejected {
            instrument: AAPL,
            reason: 255
        }]
    );
    // A Y for an id that is not current: ignored.
    h.venue("Y", "262=SOMEONE-ELSE|281=0|");
    assert!(h.events().is_empty());

    h.cmd(subscribe(
        fixrail::strategy::InstrumentId(9),
        0,
        MdEntryTypes::BOOK,
    ));
    assert_eq!(
        h.events(),
        [Event::MarketDataRejected {
            instrument: fixrail::strategy::InstrumentId(9),
            reason: 0
        }]
    );
    let c = h.app.market_data().counters();
    assert_eq!((c.rejects, c.ignored), (3, 2));
}
