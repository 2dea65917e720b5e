//! Heartbeats when idle, TestRequests after silence, the heartbeat timeout.

use super::*;

/// With nothing sent for HeartBtInt seconds a session sends a Heartbeat;
/// anything it sends postpones the next one (4a), in both roles.
#[test]
fn heartbeat_when_idle() {
    for role in [Role::Acceptor, Role::Initiator] {
        let mut h = match role {
            Role::Acceptor => Harness::acceptor(|_| {}),
            Role::Initiator => Harness::initiator(|c| c.heartbeat_secs = 6),
        };
        h.establish(6);
        h.advance_ms(5_900);
        h.expect_none();
        h.advance_ms(100);
        let hb = h.expect("35=0|34=2|");
        assert_eq!(
            hb.get(112),
            None,
            "an unsolicited Heartbeat has no TestReqID"
        );
        h.send("0", "");
        h.advance(3); // t = 9
        h.send_app("D", &[(11, "X")]);
        h.expect("35=D|34=3|");
        h.advance(3); // t = 12: 3 s since our last message
        h.expect_none();
        h.send("0", "");
        h.advance(2); // t = 14
        h.expect_none();
        h.advance(1); // t = 15: 6 s since the order
        h.expect("35=0|34=4|");
        h.expect_connected();
    }
}

/// Silence from the counterparty for HeartBtInt × 1.2 brings a TestRequest;
/// no Heartbeat follows while it is outstanding, and silence for twice that
/// drops the connection without a Logout (6_SendTestRequest), in both roles.
#[test]
fn test_request_after_silence_then_disconnect_after_twice_that() {
    for role in [Role::Acceptor, Role::Initiator] {
        let mut h = match role {
            Role::Acceptor => Harness::acceptor(|_| {}),
            Role::Initiator => Harness::initiator(|c| c.heartbeat_secs = 10),
        };
        h.establish(10);
        h.advance(10);
        h.expect("35=0|34=2|");
        h.advance_ms(1_900); // t = 11.9
        h.expect_none();
        h.advance_ms(100); // t = 12 = 10 × 1.2
        h.expect("35=1|34=3|112=TEST|");
        h.advance_ms(11_900); // t = 23.9
        h.expect_none();
        h.expect_connected();
        h.advance_ms(100); // t = 24 = 2 × 12
        h.expect_none();
        h.expect_disconnect(DisconnectReason::HeartbeatTimeout);
    }
}

/// An answered TestRequest (any message resets the silence) keeps the
/// session; the next TestRequest comes only after another full silence.
#[test]
fn answered_test_request_keeps_the_session() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(10);
    h.advance(12);
    h.expect("35=0|34=2|");
    h.expect("35=1|34=3|112=TEST|");
    h.send("0", "112=TEST|");
    h.advance(10); // t = 22: heartbeat due again (10 s since the TestRequest)
    h.expect("35=0|34=4|");
    h.advance_ms(1_900);
    h.expect_none();
    h.advance_ms(100); // t = 24: 12 s of silence since the answer
    h.expect("35=1|34=5|112=TEST|");
    h.expect_connected();
}

/// A TestRequest is answered at once with a Heartbeat carrying its
/// TestReqID (4b).
#[test]
fn test_request_is_answered_with_its_id() {
    both_roles(|mut h| {
        h.establish(30);
        h.send("1", "112=HELLO|");
        let hb = h.expect("35=0|34=2|112=HELLO|");
        assert_eq!(hb.tags(), [8, 9, 35, 34, 49, 52, 56, 112, 10]);
    });
}
