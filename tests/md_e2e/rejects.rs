//! MarketDataRequestReject (Y) end to end.

use super::harness::{Rig, Setup, Sub, EURUSD, GBPUSD};
use fixrail::md::SubState;
use fixrail::strategy::{Command, Event, InstrumentId, MdEntryTypes};

/// GBP/USD is in the engine's instrument table but the venue does not
/// list it: the venue's Y (281=0, unknown symbol) reaches the strategy as
/// MarketDataRejected with reason 0 and ends the subscription, while
/// EUR/USD on the same session is live and correct. An instrument the
/// engine itself does not know is refused locally with the same reason.
#[test]
fn a_symbol_the_venue_does_not_list_is_rejected_with_reason_0() {
    let mut rig = Rig::new(Setup {
        name: "md-e2e-reject",
        venue_lacks: &["GBP/USD"],
        ..Setup::default()
    });
    rig.until("session up", |e| matches!(e, Event::SessionUp { .. }));
    let book = Sub {
        depth: 5,
        aggregated: true,
        entries: MdEntryTypes::BOOK,
    };
    rig.subscribe(GBPUSD, book);
    rig.subscribe(EURUSD, book);
    let (e, _) = rig.until("the venue's reject", |e| {
        matches!(e, Event::MarketDataRejected { .. })
    });
    assert_eq!(
        e,
        Event::MarketDataRejected {
            instrument: GBPUSD,
            reason: 0
        }
    );
    assert_eq!(rig.md().state(GBPUSD), Some(SubState::Unsubscribed));
    assert_eq!(rig.md().wanted(GBPUSD), None);
    assert_eq!(rig.md().req_id(GBPUSD), None);
    assert_eq!(rig.venue.borrow().counters().md_rejects, 1);

    rig.wait("EUR/USD live", |r| r.mirrors[usize::from(EURUSD.0)].live);
    rig.run_for(300);
    rig.quiesce();
    let gbp = &rig.mirrors[usize::from(GBPUSD.0)];
    assert_eq!(gbp.rejects, vec![0]);
    assert_eq!(
        (gbp.lives, gbp.tops),
        (0, 0),
        "nothing shown for a refused book: {gbp:?}"
    );

    // Unknown to the engine: refused without asking the venue.
    let sent = rig.md().counters().requests_sent;
    rig.h
        .send(Command::Subscribe {
            instrument: InstrumentId(9),
            depth: 1,
            entries: MdEntryTypes::BOOK,
            updates: true,
            aggregated: true,
        })
        .unwrap();
    let (e, _) = rig.until("the engine's reject", |e| {
        matches!(e, Event::MarketDataRejected { .. })
    });
    assert_eq!(
        e,
        Event::MarketDataRejected {
            instrument: InstrumentId(9),
            reason: 0
        }
    );
    assert_eq!(rig.md().counters().requests_sent, sent);
    assert_eq!(rig.venue.borrow().counters().md_rejects, 1);
}
