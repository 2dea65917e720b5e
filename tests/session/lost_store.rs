//! The counterparty says our numbers are too low: the `alert` and `auto` policies.

use super::*;

/// Our initiator lost its store (fresh at 1) while the counterparty
/// expects 1083: it answers our Logon with "MsgSeqNum too low, expecting
/// 1083 but received 1". Policy `alert`: an alert with both numbers, no
/// answer, the connection closes, and our next number is left alone for a
/// person to decide.
#[test]
fn lost_store_with_alert_policy_raises_an_alert() {
    let mut h = Harness::initiator(|c| c.seq_too_low_policy = SeqTooLowPolicy::Alert);
    h.peer.next_seq = 499;
    h.connect();
    h.expect("35=A|34=1|");
    h.send("5", "58=MsgSeqNum too low, expecting 1083 but received 1|");
    h.expect_none();
    assert!(h.events.contains(&Event::SeqTooLowAlert {
        expected: 1083,
        received: 1
    }));
    h.expect_disconnect(DisconnectReason::PeerSaysSeqTooLow {
        expected: 1083,
        received: 1,
    });
    assert_eq!(h.store.next_out(), 2, "unchanged");
    assert!(h.store.changes.is_empty());
    assert!(!h
        .events
        .iter()
        .any(|e| matches!(e, Event::SeqTooLowRecovered { .. })));
}

/// The same with policy `auto`: our next number becomes 1083 (an audited
/// change in the store); after reconnecting our Logon goes out as 1083,
/// and the counterparty's Logon answer, numbered 500, makes us ask for
/// 1..499 (7=1, 16=0), which its GapFill then completes.
#[test]
fn lost_store_with_auto_policy_continues_at_the_expected_number() {
    let mut h = Harness::initiator(|c| c.seq_too_low_policy = SeqTooLowPolicy::Auto);
    h.peer.next_seq = 499;
    h.connect();
    h.expect("35=A|34=1|");
    h.send("5", "58=MsgSeqNum too low, expecting 1083 but received 1|");
    h.expect_none();
    assert!(h
        .events
        .contains(&Event::SeqTooLowRecovered { from: 2, to: 1083 }));
    h.expect_disconnect(DisconnectReason::PeerSaysSeqTooLow {
        expected: 1083,
        received: 1,
    });
    assert_eq!(h.store.next_out(), 1083);
    assert_eq!(h.store.changes.len(), 1);
    assert!(
        h.store.changes[0].starts_with("next_out=1083: seq_too_low_policy=auto"),
        "{:?}",
        h.store.changes
    );

    h.advance(5);
    h.connect();
    h.expect_exact("35=A|34=1083|49=TW44|52=*|56=ISLD|98=0|108=30|");
    h.send("A", "98=0|108=30|");
    assert_eq!(h.peer.next_seq, 501);
    h.expect_exact("35=2|34=1084|49=TW44|52=*|56=ISLD|7=1|16=0|");
    assert_eq!(h.session.state(), State::Active);
    assert!(h.events.contains(&Event::GapDetected {
        expected: 1,
        received: 500
    }));
    h.send_at(1, "4", "43=Y|122=<TIME>|36=501|123=Y|");
    assert_eq!(h.store.next_in(), 501);
    h.send_at(501, "1", "112=back|");
    h.expect("35=0|34=1085|112=back|");
    h.expect_connected();
}
