//! A dropped TCP connection in the middle of the flow: the books go stale
//! and empty, the engine logs on again by itself, restores every
//! subscription under a new MDReqID, and the books heal to the venue's.

use super::harness::{Rig, Setup, Sub, EURUSD, USDJPY};
use fixrail::md::SubState;
use fixrail::strategy::{Event, MdEntryTypes, StaleCause};

/// The connection between DESK and VENUE is cut (through a proxy) while
/// the flow runs: the strategy sees SessionDown and BookStale{Disconnect}
/// for each book and its mirrors are empty (so is the engine's book);
/// after the engine reconnects, each subscription is asked again with a
/// new MDReqID, BookLive follows, and mirror, engine and venue agree
/// again — twice over.
#[test]
fn books_go_stale_on_a_disconnect_and_heal_after_the_reconnect() {
    let mut rig = Rig::new(Setup {
        name: "md-e2e-reconnect",
        proxy: true,
        flow_seed: 31,
        ..Setup::default()
    });
    rig.until("session up", |e| matches!(e, Event::SessionUp { .. }));
    rig.subscribe(
        EURUSD,
        Sub {
            depth: 5,
            aggregated: true,
            entries: MdEntryTypes::BOOK_AND_TRADES,
        },
    );
    rig.subscribe(
        USDJPY,
        Sub {
            depth: 1,
            aggregated: true,
            entries: MdEntryTypes::BOOK,
        },
    );
    let both = [usize::from(EURUSD.0), usize::from(USDJPY.0)];
    rig.wait("books live", |r| both.iter().all(|&i| r.mirrors[i].live));
    rig.run_for(300);
    rig.quiesce();

    for round in 0..2 {
        rig.resume();
        rig.run_for(150);
        let ids = [
            rig.md().req_id(EURUSD).unwrap(),
            rig.md().req_id(USDJPY).unwrap(),
        ];
        let lives = [rig.mirrors[both[0]].lives, rig.mirrors[both[1]].lives];
        let sent = rig.md().counters().requests_sent;
        let count = |r: &Rig, up: bool| {
            r.others
                .iter()
                .filter(|e| match e {
                    Event::SessionUp { .. } => up,
                    Event::SessionDown { .. } => !up,
                    _ => false,
                })
                .count()
        };
        let (ups, downs) = (count(&rig, true), count(&rig, false));

        if round == 1 {
            // This time what the venue sends before the cut is lost: the
            // engine finds the gap at the next logon and the venue resends
            // (incrementals under the old MDReqIDs, to be ignored).
            rig.proxy.as_ref().unwrap().lose_downstream();
            rig.run_for(100);
        }
        rig.proxy.as_ref().unwrap().cut();
        rig.wait("session down", |r| count(r, false) > downs);
        rig.wait("both books stale", |r| {
            both.iter().all(|&i| {
                r.mirrors[i].stale.last() == Some(&StaleCause::Disconnect) && !r.mirrors[i].live
            })
        });
        for (k, &i) in both.iter().enumerate() {
            let id = [EURUSD, USDJPY][k];
            let m = &rig.mirrors[i];
            assert!(
                m.side(0).is_empty() && m.side(1).is_empty(),
                "round {round}: {m:?}"
            );
            assert_eq!(
                rig.md().state(id),
                Some(SubState::Stale(StaleCause::Disconnect))
            );
            let book = rig.md().book(id).unwrap();
            assert!(book.bids().is_empty() && book.asks().is_empty());
        }

        rig.wait("session up again", |r| count(r, true) > ups);
        rig.wait("books live again", |r| {
            both.iter()
                .enumerate()
                .all(|(k, &i)| r.mirrors[i].lives > lives[k])
        });
        for (k, id) in [EURUSD, USDJPY].into_iter().enumerate() {
            let new = rig.md().req_id(id).unwrap();
            assert_ne!(
                new, ids[k],
                "round {round}: a new MDReqID after the reconnect"
            );
        }
        assert!(rig.md().counters().requests_sent >= sent + 2);
        for &i in &both {
            let stale = &rig.mirrors[i].stale;
            if round == 0 {
                assert_eq!(stale[..], [StaleCause::Disconnect]);
            } else {
                // Down, then at the logon a gap (the lost messages): the
                // book stays stale until the new snapshot.
                assert_eq!(stale[1..], [StaleCause::Disconnect, StaleCause::Gap]);
                assert!(rig.md().counters().ignored > 0, "old-id resends ignored");
            }
        }
        rig.run_for(200);
        rig.quiesce();
        assert_eq!(rig.venue.borrow().md_subscriptions("VENUE"), 2);
    }
    let md = *rig.md().counters();
    assert_eq!(md.bad_updates, 0, "{md:?}");
    assert!(rig.checks.engine_vs_venue >= 3);
}
