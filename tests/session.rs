//! The FIX 4.4 session rules of `fixrail::session`, one test per rule, run
//! deterministically: a virtual clock moved by hand, a scripted counterparty
//! writing messages as text, no sockets and no sleeps (see
//! `tests/session/harness.rs`). Where the FIX specification leaves room, the
//! expected behaviour is QuickFIX's, as its acceptance scripts in
//! `../shared/conformance/quickfix-at/fix44` show it; tests that mirror a
//! script name it.

mod common;
#[path = "session/harness.rs"]
mod harness;
#[allow(dead_code)] // shared with tests/acceptance.rs; only part of it is used here
#[path = "acceptance/script.rs"]
mod script;

use fixrail::session::{
    DisconnectReason, EchoApplication, Event, Ignored, JournalStore, MemoryStore, MsgTypeKey,
    NoApplication, Role, SendError, SeqTooLowPolicy, SessionStore, State, Text,
};
use harness::{acceptor_config, fmt_time, Harness, Recorder};
use std::io::ErrorKind;

/// The body of a valid NewOrderSingle from the counterparty.
const ORDER: &str = "11=ID|21=3|40=1|54=1|55=INTC|60=<TIME>|";

/// Header fields a PossDup resend from the counterparty carries.
const RESENT: &str = "43=Y|122=<TIME>|";

fn both_roles(test: impl Fn(Harness)) {
    test(Harness::acceptor(|_| {}));
    test(Harness::initiator(|_| {}));
}

fn key(t: &str) -> MsgTypeKey {
    MsgTypeKey::new(t.as_bytes()).unwrap()
}

// ---- Logon ------------------------------------------------------------

/// An acceptor answers a valid Logon with its own Logon, taking the
/// counterparty's HeartBtInt whatever its own setting (1a).
#[test]
fn acceptor_answers_logon_with_the_counterpartys_heartbeat_interval() {
    let mut h = Harness::acceptor(|c| c.heartbeat_secs = 30);
    h.connect();
    h.expect_none();
    assert_eq!(h.session.state(), State::AwaitingLogon);
    h.send("A", "98=0|108=6|");
    let logon = h.expect_exact("35=A|34=1|49=ISLD|52=*|56=TW44|98=0|108=6|");
    assert_eq!(
        logon.field(52),
        "20260102-10:00:00.000",
        "SendingTime in ms"
    );
    h.expect_none();
    assert_eq!(h.session.state(), State::Active);
    assert_eq!(h.session.heartbeat_secs(), 6);
    assert_eq!(
        h.take_events(),
        [Event::LoggedOn {
            reset: false,
            heartbeat_secs: 6
        }]
    );
    assert_eq!((h.store.next_out(), h.store.next_in()), (2, 2));
    assert_eq!(h.session.counters().logons, 1);
}

/// An initiator sends its Logon, with its own HeartBtInt, as soon as the
/// connection is up, and is logged on when the answer comes; it keeps its
/// own interval for its heartbeats.
#[test]
fn initiator_sends_logon_on_connect_and_keeps_its_heartbeat_interval() {
    let mut h = Harness::initiator(|c| c.heartbeat_secs = 15);
    h.connect();
    h.expect_exact("35=A|34=1|49=TW44|52=*|56=ISLD|98=0|108=15|");
    assert_eq!(h.session.state(), State::AwaitingLogon);
    h.send("A", "98=0|108=15|");
    h.expect_none();
    assert_eq!(h.session.state(), State::Active);
    assert!(h.events.contains(&Event::LoggedOn {
        reset: false,
        heartbeat_secs: 15
    }));
    assert_eq!((h.store.next_out(), h.store.next_in()), (2, 2));
    h.advance(14);
    h.expect_none();
    h.advance(1);
    h.expect("35=0|34=2|");
}

/// A Logon with ResetSeqNumFlag=Y resets both of the acceptor's counters,
/// and the answer carries 141=Y and MsgSeqNum 1.
#[test]
fn acceptor_resets_on_reset_seq_num_flag_and_answers_with_it() {
    let mut h = Harness::new(
        acceptor_config(),
        MemoryStore::with_seqs(50, 40),
        Recorder::default(),
    );
    h.connect();
    h.send("A", "98=0|108=30|141=Y|");
    h.expect_exact("35=A|34=1|49=ISLD|52=*|56=TW44|98=0|108=30|141=Y|");
    assert_eq!((h.store.next_out(), h.store.next_in()), (2, 2));
    assert_eq!(h.store.changes, ["reset: Logon with reset"]);
    assert!(h.events.contains(&Event::LoggedOn {
        reset: true,
        heartbeat_secs: 30
    }));
}

/// An initiator with `reset_on_logon` resets before its Logon, sends
/// 141=Y with MsgSeqNum 1, and does not reset a second time when the
/// counterparty's answer carries 141=Y.
#[test]
fn initiator_reset_on_logon_sends_reset_seq_num_flag() {
    let mut cfg = harness::initiator_config();
    cfg.reset_on_logon = true;
    let mut h = Harness::new(cfg, MemoryStore::with_seqs(50, 40), Recorder::default());
    h.connect();
    h.expect_exact("35=A|34=1|49=TW44|52=*|56=ISLD|98=0|108=30|141=Y|");
    h.send("A", "98=0|108=30|141=Y|");
    h.expect_none();
    assert_eq!(h.session.state(), State::Active);
    assert_eq!((h.store.next_out(), h.store.next_in()), (2, 2));
    assert_eq!(h.store.changes, ["reset: reset_on_logon"]);
    // The event says the numbers were reset, as on the acceptor's side
    // (regression: it said `reset: false` when the initiator reset).
    assert!(
        h.events.contains(&Event::LoggedOn {
            reset: true,
            heartbeat_secs: 30
        }),
        "{:?}",
        h.events
    );
}

/// A Logon with 141=Y in the middle of a session resets it: the answer is
/// a Logon with MsgSeqNum 1 and the session goes on from 2 (SessionReset).
#[test]
fn mid_session_logon_with_reset_flag_starts_again_at_one() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    for _ in 0..8 {
        h.send("0", "");
    }
    h.send("1", "112=1|");
    h.expect("35=0|34=2|112=1|");
    h.peer.next_seq = 1;
    h.send("A", "98=0|108=30|141=Y|");
    h.expect_exact("35=A|34=1|49=ISLD|52=*|56=TW44|98=0|108=30|141=Y|");
    h.send("1", "112=1|");
    h.expect("35=0|34=2|112=1|");
    h.expect_connected();
}

/// With `send_next_expected_seq_num`, an initiator's Logon carries 789 =
/// its next expected inbound number; a counterparty answering with a 789
/// that matches needs no resend.
#[test]
fn initiator_logon_carries_next_expected_msg_seq_num() {
    let mut cfg = harness::initiator_config();
    cfg.send_next_expected_seq_num = true;
    let mut h = Harness::new(cfg, MemoryStore::with_seqs(7, 12), Recorder::default());
    h.peer.next_seq = 12;
    h.connect();
    h.expect_exact("35=A|34=7|49=TW44|52=*|56=ISLD|98=0|108=30|789=12|");
    h.send("A", "98=0|108=30|789=8|");
    h.expect_none();
    assert_eq!(h.session.state(), State::Active);
    assert_eq!((h.store.next_out(), h.store.next_in()), (8, 13));
}

/// An acceptor's Logon answer carries 789 = the number it expects after
/// the counterparty's Logon; a 789 equal to the number of that answer asks
/// for nothing, so nothing is resent (regression: our own Logon answer was
/// gap-filled after every Logon carrying 789).
#[test]
fn acceptor_logon_answer_carries_789_and_resends_nothing_when_in_sync() {
    let mut cfg = acceptor_config();
    cfg.send_next_expected_seq_num = true;
    let mut h = Harness::new(cfg, MemoryStore::with_seqs(5, 3), Recorder::default());
    h.peer.next_seq = 3;
    h.connect();
    h.send("A", "98=0|108=30|789=5|");
    h.expect_exact("35=A|34=5|49=ISLD|52=*|56=TW44|98=0|108=30|789=4|");
    h.expect_none();
    assert_eq!(h.session.counters().gap_fills_sent, 0);
}

/// Messages sent and never received, then a new connection: sends 2..4 of ours
/// that the counterparty missed, with the connection dropped before it read them.
fn missed_three_orders(h: &mut Harness) -> Vec<String> {
    h.establish(30);
    let mut times = Vec::new();
    for i in 2..=4 {
        h.advance_ms(250);
        let seq = h.send_app("D", &[(11, &format!("ORD{i}")), (55, "IBM")]);
        assert_eq!(seq, i);
        times.push(h.expect("35=D|").field(52).to_string());
    }
    h.drop_connection(DisconnectReason::Io(ErrorKind::ConnectionReset));
    h.expect_disconnect(DisconnectReason::Io(ErrorKind::ConnectionReset));
    h.advance(5);
    times
}

/// A Logon whose 789 is lower than our next outbound number makes us
/// resend what the counterparty missed, after our Logon answer and without
/// gap-filling that answer (acceptor).
#[test]
fn acceptor_resends_what_a_lower_789_says_is_missing() {
    let mut h = Harness::acceptor(|c| c.send_next_expected_seq_num = true);
    let times = missed_three_orders(&mut h);
    h.connect();
    h.send("A", "98=0|108=30|789=2|");
    h.expect("35=A|34=5|789=3|");
    for (i, t) in (2..=4).zip(&times) {
        let ord = format!("ORD{i}");
        h.expect_exact(&format!(
            "35=D|34={i}|43=Y|49=ISLD|52=*|56=TW44|122={t}|11={ord}|55=IBM|"
        ));
    }
    h.expect_none();
    assert!(h.events.contains(&Event::ResendServed {
        begin: 2,
        end: 4,
        resent: 3,
        gap_fills: 0
    }));
}

/// The same rule for an initiator: the counterparty's Logon answer says
/// with 789 which of ours it missed, and they are resent (not our Logon).
#[test]
fn initiator_resends_what_a_lower_789_says_is_missing() {
    let mut h = Harness::initiator(|c| c.send_next_expected_seq_num = true);
    missed_three_orders(&mut h);
    h.connect();
    h.expect("35=A|34=5|789=2|");
    h.send("A", "98=0|108=30|789=2|");
    for i in 2..=4 {
        h.expect(&format!("35=D|34={i}|43=Y|"));
    }
    h.expect_none();
}

/// An acceptor configured with a username and password accepts only a
/// Logon carrying both; anything else is dropped without an answer.
#[test]
fn acceptor_checks_username_and_password() {
    let creds = |c: &mut fixrail::session::SessionConfig| {
        c.username = Some("alice".into());
        c.password = Some("s3cret".into());
    };
    for bad in [
        "",
        "553=alice|",
        "553=alice|554=wrong|",
        "553=bob|554=s3cret|",
        "554=s3cret|",
    ] {
        let mut h = Harness::acceptor(creds);
        h.connect();
        h.send("A", &format!("98=0|108=30|{bad}"));
        h.expect_none();
        h.expect_disconnect(DisconnectReason::AuthenticationFailed);
    }
    let mut h = Harness::acceptor(creds);
    h.connect();
    h.send("A", "98=0|108=30|553=alice|554=s3cret|");
    let answer = h.expect("35=A|34=1|");
    assert!(
        answer.get(553).is_none() && answer.get(554).is_none(),
        "credentials are not echoed"
    );
    assert_eq!(h.session.state(), State::Active);
}

/// An initiator sends its configured username and password on its Logon.
#[test]
fn initiator_sends_username_and_password() {
    let mut h = Harness::initiator(|c| {
        c.username = Some("alice".into());
        c.password = Some("s3cret".into());
    });
    h.connect();
    h.expect_exact("35=A|34=1|49=TW44|52=*|56=ISLD|98=0|108=30|553=alice|554=s3cret|");
}

/// No Logon exchanged within `logon_timeout_secs` drops the connection, in
/// both roles (an acceptor waiting for one, an initiator for the answer).
#[test]
fn logon_timeout() {
    both_roles(|mut h| {
        h.connect();
        h.take_output();
        h.advance_ms(9_900);
        h.expect_connected();
        h.advance_ms(100);
        h.expect_none();
        h.expect_disconnect(DisconnectReason::LogonTimeout);
    });
}

/// A Logon that cannot be accepted is not answered; the connection is
/// dropped with a reason saying why (no HeartBtInt; 1c, 1d, 1e).
#[test]
fn unacceptable_first_messages_drop_the_connection() {
    let cases: [(&str, DisconnectReason); 6] = [
        (
            "8=FIX.4.4|35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|",
            DisconnectReason::BadLogon("invalid Logon message"),
        ),
        (
            "8=FIX.4.4|35=A|34=1|49=WT|52=<TIME>|56=ISLD|98=0|108=30|",
            DisconnectReason::BadLogon("CompID problem"),
        ),
        (
            "8=FIX.4.4|35=A|34=1|49=TW44|52=<TIME>|56=DLSI|98=0|108=30|",
            DisconnectReason::BadLogon("CompID problem"),
        ),
        (
            "8=FIX.4.4|35=A|34=1|49=TW44|52=20010101-00:00:00|56=ISLD|98=0|108=30|",
            DisconnectReason::BadLogon("SendingTime accuracy problem"),
        ),
        (
            "8=FIX.3.9|35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|108=30|",
            DisconnectReason::IncorrectBeginString,
        ),
        (
            "8=FIX.4.4|35=0|34=1|49=TW44|52=<TIME>|56=DLSI|",
            DisconnectReason::NotLogon,
        ),
    ];
    for (text, reason) in cases {
        let mut h = Harness::acceptor(|_| {});
        h.connect();
        h.recv(text);
        h.expect_none();
        h.expect_disconnect(reason);
        assert_eq!(h.store.next_in(), 1, "nothing accepted: {text}");
    }
}

/// Garbled data before the Logon (here a Logon with a wrong BodyLength)
/// drops the connection (1d_InvalidLogonLengthInvalid).
#[test]
fn garbled_before_logon_disconnects() {
    let mut h = Harness::acceptor(|_| {});
    h.connect();
    h.recv("8=FIX.4.4|9=40|35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|108=30|");
    h.expect_none();
    h.expect_disconnect(DisconnectReason::Garbled);
    assert!(h.events.contains(&Event::Ignored(Ignored::Garbled)));
}

/// A Logon numbered above what we expect is answered, then the gap is
/// asked for from the expected number (1a_ValidLogonMsgSeqNumTooHigh).
#[test]
fn logon_with_msg_seq_num_too_high_is_answered_then_resend_requested() {
    let mut h = Harness::acceptor(|_| {});
    h.connect();
    h.send_at(5, "A", "98=0|108=30|");
    h.expect_exact("35=A|34=1|49=ISLD|52=*|56=TW44|98=0|108=30|");
    h.expect_exact("35=2|34=2|49=ISLD|52=*|56=TW44|7=1|16=0|");
    assert!(h.events.contains(&Event::GapDetected {
        expected: 1,
        received: 5
    }));
    h.send("5", "");
    h.expect_exact("35=5|34=3|49=ISLD|52=*|56=TW44|");
}

/// A Logon numbered below what we expect (without a reset) is refused
/// with a Logout saying so, in both roles.
#[test]
fn logon_with_msg_seq_num_too_low_is_refused() {
    for role in [Role::Acceptor, Role::Initiator] {
        let cfg = match role {
            Role::Acceptor => acceptor_config(),
            Role::Initiator => harness::initiator_config(),
        };
        let mut h = Harness::new(cfg, MemoryStore::with_seqs(1, 10), Recorder::default());
        h.connect();
        if role == Role::Initiator {
            h.expect("35=A|34=1|");
        }
        h.send_at(3, "A", "98=0|108=30|");
        h.expect("35=5|58=MsgSeqNum too low, expecting 10 but received 3|");
        h.expect_none();
        h.expect_disconnect(DisconnectReason::SeqTooLow {
            expected: 10,
            received: 3,
        });
    }
}

// ---- Heartbeats and TestRequests ----------------------------------------

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

// ---- Inbound gaps --------------------------------------------------------

/// A message numbered above the expected one is held and a ResendRequest
/// (7 = expected, 16 = 0) sent once; later messages are held too; when the
/// resent messages fill the gap, everything held is processed in order,
/// each once (2b), in both roles.
#[test]
fn inbound_gap_is_requested_held_and_processed_in_order() {
    both_roles(|mut h| {
        h.establish(30);
        h.send("D", ORDER); // 2
        h.send("D", ORDER); // 3
        h.send_at(6, "D", ORDER);
        h.expect("35=2|34=2|7=4|16=0|");
        assert!(h.events.contains(&Event::GapDetected {
            expected: 4,
            received: 6
        }));
        h.send("1", "112=HELD|"); // 7: held, no second request
        h.expect_none();
        assert_eq!(h.app.seqs(), [2, 3]);
        assert_eq!(h.session.counters().queued, 2);
        h.send_at(4, "D", &format!("{RESENT}{ORDER}"));
        assert_eq!(h.app.seqs(), [2, 3, 4]);
        h.expect_none();
        h.send_at(5, "D", &format!("{RESENT}{ORDER}"));
        assert_eq!(h.app.seqs(), [2, 3, 4, 5, 6]);
        assert_eq!(h.app.poss_dup, [false, false, true, true, false]);
        h.expect("35=0|34=3|112=HELD|");
        h.expect_none();
        h.expect_connected();
        assert_eq!(h.store.next_in(), 8);
        h.send("D", ORDER);
        assert_eq!(h.app.seqs(), [2, 3, 4, 5, 6, 8]);
        h.expect_none();
        h.expect_connected();
        assert_eq!(h.session.counters().resend_requests_sent, 1);
    });
}

/// Heartbeats fill a gap the same way (2b_MsgSeqNumTooHigh): after the
/// gap 5..9 is filled the held 10 is processed and the Logout answered.
#[test]
fn gap_of_heartbeats_then_logout() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    for _ in 2..=4 {
        h.send("0", "");
    }
    h.send_at(10, "0", "");
    h.expect_exact("35=2|34=2|49=ISLD|52=*|56=TW44|7=5|16=0|");
    for seq in 5..=9 {
        h.send_at(seq, "0", "");
    }
    h.expect_none();
    h.expect_connected();
    h.send_at(11, "5", "");
    h.expect_exact("35=5|34=3|49=ISLD|52=*|56=TW44|");
    h.expect_disconnect(DisconnectReason::PeerLogout(Text::new(b"")));
}

/// A SequenceReset-GapFill answering our ResendRequest moves the expected
/// number and releases the held messages.
#[test]
fn gap_fill_releases_held_messages() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    h.send_at(5, "1", "112=T5|");
    h.expect("35=2|34=2|7=2|16=0|");
    h.send_at(2, "4", "43=Y|122=<TIME>|36=5|123=Y|");
    h.expect("35=0|34=3|112=T5|");
    assert!(h.events.contains(&Event::SequenceReset {
        new_seq: 5,
        gap_fill: true
    }));
    assert_eq!(h.store.next_in(), 6);
    h.send("1", "112=T6|");
    h.expect("35=0|34=4|112=T6|");
    h.expect_connected();
}

/// A second gap found while the first is being filled is asked for once
/// the first request is complete, from the first number still missing.
#[test]
fn second_gap_is_requested_after_the_first_is_filled() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    h.send_at(4, "D", ORDER); // 2..3 missing
    h.expect("35=2|34=2|7=2|16=0|");
    h.send_at(7, "D", ORDER); // 5..6 missing too: held, no request yet
    h.expect_none();
    h.send_at(2, "D", &format!("{RESENT}{ORDER}"));
    h.send_at(3, "D", &format!("{RESENT}{ORDER}"));
    // 4 is processed from the hold; 7 is still ahead of 5.
    h.expect("35=2|34=3|7=5|16=0|");
    assert_eq!(h.app.seqs(), [2, 3, 4]);
    h.send_at(4, "D", &format!("{RESENT}{ORDER}")); // a copy: ignored
    h.send_at(5, "D", &format!("{RESENT}{ORDER}"));
    h.send_at(6, "D", &format!("{RESENT}{ORDER}"));
    assert_eq!(h.app.seqs(), [2, 3, 4, 5, 6, 7]);
    h.expect_none();
    assert_eq!(h.store.next_in(), 8);
    h.expect_connected();
}

/// A message with PossDupFlag=Y and a number already processed is ignored
/// silently (2e_PossDupAlreadyReceived); the application sees it once.
#[test]
fn poss_dup_duplicates_are_ignored() {
    both_roles(|mut h| {
        h.establish(30);
        h.send("D", ORDER); // 2
        h.send_at(2, "D", &format!("{RESENT}{ORDER}"));
        h.send_at(2, "0", "43=Y|122=<TIME>|");
        h.expect_none();
        assert_eq!(h.app.seqs(), [2]);
        assert_eq!(h.session.counters().duplicates, 2);
        assert!(h.events.contains(&Event::Ignored(Ignored::Duplicate)));
        h.send("1", "112=X|");
        h.expect("35=0|34=2|112=X|");
        h.expect_connected();
    });
}

/// With `resend.request_chunk` set, a large gap is asked for in chunks:
/// each next chunk once the previous one is filled; a remainder that fits
/// in one chunk is asked with EndSeqNo 0, as without chunking (QuickFIX/Go
/// does the same).
#[test]
fn chunked_resend_requests() {
    let mut h = Harness::acceptor(|c| c.resend.request_chunk = 3);
    h.establish(30);
    h.send_at(10, "D", ORDER);
    h.expect("35=2|34=2|7=2|16=4|");
    for seq in 2..=3 {
        h.send_at(seq, "D", &format!("{RESENT}{ORDER}"));
        h.expect_none();
    }
    h.send_at(4, "D", &format!("{RESENT}{ORDER}"));
    h.expect("35=2|34=3|7=5|16=7|");
    // The second chunk is answered by a GapFill.
    h.send_at(5, "4", "43=Y|122=<TIME>|36=8|123=Y|");
    h.expect("35=2|34=4|7=8|16=0|");
    h.send_at(8, "D", &format!("{RESENT}{ORDER}"));
    h.expect_none();
    h.send_at(9, "D", &format!("{RESENT}{ORDER}"));
    h.expect_none();
    assert_eq!(h.app.seqs(), [2, 3, 4, 8, 9, 10]);
    assert_eq!(h.store.next_in(), 11);
    assert_eq!(h.session.counters().resend_requests_sent, 3);
    h.expect_connected();
}

/// When the hold queue (`resend.queue_capacity`) is full, a further
/// message is dropped (counted, `Ignored::QueueFull`); the counterparty's
/// resend, which runs to its last message (EndSeqNo 0), brings it again,
/// and the copies of what was already processed are ignored.
#[test]
fn full_hold_queue_drops_and_the_resend_brings_it_again() {
    let mut h = Harness::acceptor(|c| c.resend.queue_capacity = 2);
    h.establish(30);
    h.send_at(5, "D", ORDER);
    h.expect("35=2|7=2|16=0|");
    h.send("D", ORDER); // 6: held
    h.send("D", ORDER); // 7: no room
    h.expect_none();
    assert!(h.events.contains(&Event::Ignored(Ignored::QueueFull)));
    assert_eq!(h.session.counters().queue_overflows, 1);
    for seq in 2..=7 {
        h.send_at(seq, "D", &format!("{RESENT}{ORDER}"));
    }
    h.expect_none();
    assert_eq!(h.app.seqs(), [2, 3, 4, 5, 6, 7]);
    assert_eq!(h.session.counters().duplicates, 2, "5 and 6 came twice");
    assert_eq!(h.store.next_in(), 8);
    h.expect_connected();
}

/// A ResendRequest that itself reveals a gap is served first, then the
/// gap is asked for.
#[test]
fn resend_request_above_the_expected_number_is_served_then_the_gap_asked() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    h.send_app("D", &[(11, "a")]); // 2
    h.take_output();
    h.send_at(4, "2", "7=2|16=0|");
    h.expect("35=D|34=2|43=Y|11=a|");
    h.expect("35=2|34=3|7=2|16=0|");
    h.expect_none();
    h.send_at(2, "4", "43=Y|122=<TIME>|36=5|123=Y|");
    assert_eq!(h.store.next_in(), 5);
    h.send("1", "112=ok|");
    h.expect("35=0|34=4|112=ok|");
    h.expect_connected();
}

/// A session Reject from the counterparty is counted and reported, not
/// answered (7_ReceiveRejectMessage).
#[test]
fn received_reject_is_reported() {
    both_roles(|mut h| {
        h.establish(30);
        h.send("3", "45=1|");
        h.expect_none();
        assert!(h.events.contains(&Event::RejectReceived { ref_seq: 1 }));
        assert_eq!(h.session.counters().rejects_received, 1);
        assert_eq!(h.store.next_in(), 3);
        h.send("5", "");
        h.expect("35=5|34=2|");
    });
}

// ---- Serving ResendRequests ----------------------------------------------

/// Application messages are resent with PossDupFlag=Y, OrigSendingTime =
/// their original SendingTime, a new SendingTime and their own MsgSeqNum
/// and body (8_OnlyApplicationMessages); the copies are not stored again.
#[test]
fn resend_request_resends_application_messages_with_poss_dup() {
    both_roles(|mut h| {
        h.establish(30);
        let mut sent = Vec::new();
        for i in 2..=4 {
            h.advance(1);
            h.send_app("D", &[(11, &format!("ORD{i}")), (55, "IBM")]);
            sent.push(h.expect("35=D|"));
        }
        h.advance(2);
        h.send("2", "7=2|16=4|");
        let now = fmt_time(h.now, fixrail::codec::TimePrecision::Millis);
        for orig in &sent {
            let again = h.expect("35=D|43=Y|");
            assert_eq!(again.seq(), orig.seq());
            assert_eq!(again.get(122), orig.get(52), "OrigSendingTime");
            assert_eq!(again.field(52), now, "a new SendingTime");
            assert_eq!(again.get(11), orig.get(11));
            assert_eq!(again.get(55), orig.get(55));
            assert_eq!(
                again.tags(),
                [8, 9, 35, 34, 43, 49, 52, 56, 122, 11, 55, 10]
            );
        }
        h.expect_none();
        assert!(h.events.contains(&Event::ResendServed {
            begin: 2,
            end: 4,
            resent: 3,
            gap_fills: 0
        }));
        assert_eq!(h.store.next_out(), 5, "resends take no new numbers");
        assert_eq!(h.store.sent().len(), 4, "copies are not stored");
        assert_eq!(h.session.counters().resent, 3);
    });
}

/// A resent copy keeps the original's other header fields (here
/// DeliverToCompID and PossResend) and its body byte for byte.
#[test]
fn resent_copy_keeps_other_header_fields_and_the_body() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    let seq = h
        .session
        .send(
            h.now,
            &mut h.store,
            &mut fixrail::session::Outbox::default(),
            b"D",
            &[(97, b"Y"), (128, b"DESK")],
            &mut |w: &mut fixrail::codec::MessageWriter<'_>| {
                w.str(11, b"X1").str(38, b"100").str(58, b"two words");
            },
        )
        .unwrap();
    assert_eq!(seq, 2);
    let original = h.store.sent().last().unwrap().1.clone();
    h.advance(3);
    h.send("2", "7=2|16=2|");
    let again = h.expect("35=D|34=2|43=Y|97=Y|128=DESK|");
    assert_eq!(
        again.tags(),
        [8, 9, 35, 34, 43, 49, 52, 56, 97, 122, 128, 11, 38, 58, 10]
    );
    let body = |raw: &[u8]| {
        let s = String::from_utf8_lossy(raw).into_owned();
        s[s.find("\u{1}11=").unwrap()..s.find("\u{1}10=").unwrap()].to_string()
    };
    assert_eq!(body(&again.raw), body(&original));
}

/// Admin messages are never resent: a run of them becomes one
/// SequenceReset-GapFill (8_OnlyAdminMessages).
#[test]
fn admin_messages_are_replaced_by_one_gap_fill() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    for _ in 2..=4 {
        h.send("1", "112=HELLO|");
        h.expect("35=0|112=HELLO|");
    }
    h.send("2", "7=1|16=4|");
    h.expect_exact("35=4|34=1|43=Y|49=ISLD|52=*|56=TW44|122=*|36=5|123=Y|");
    h.expect_none();
    h.send("1", "112=HELLO|");
    h.expect("35=0|34=5|");
    h.send("2", "7=1|16=0|");
    h.expect_exact("35=4|34=1|43=Y|49=ISLD|52=*|56=TW44|122=*|36=6|123=Y|");
    h.expect_none();
}

/// A range mixing both kinds: each run of admin messages becomes one
/// GapFill pointing at the next resent message; EndSeqNo 0 means up to
/// the last message sent.
#[test]
fn mixed_range_interleaves_gap_fills_and_resends() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30); // A 1
    h.send_app("D", &[(11, "a")]); // D 2
    h.send("1", "112=x|"); // 0 3
    h.send("1", "112=y|"); // 0 4
    h.send_app("D", &[(11, "b")]); // D 5
    h.send("1", "112=z|"); // 0 6
    h.take_output();
    h.send("2", "7=1|16=0|");
    h.expect("35=4|34=1|43=Y|36=2|123=Y|");
    h.expect("35=D|34=2|43=Y|11=a|");
    h.expect("35=4|34=3|43=Y|36=5|123=Y|");
    h.expect("35=D|34=5|43=Y|11=b|");
    h.expect("35=4|34=6|43=Y|36=7|123=Y|");
    h.expect_none();
    assert!(h.events.contains(&Event::ResendServed {
        begin: 1,
        end: 6,
        resent: 2,
        gap_fills: 3
    }));
}

/// Types in `never_resend` are gap-filled instead of resent.
#[test]
fn never_resend_types_are_gap_filled() {
    let mut h = Harness::acceptor(|c| c.resend.never_resend = vec![key("D")]);
    h.establish(30);
    h.send_app("D", &[(11, "a")]); // 2
    h.send_app("D", &[(11, "b")]); // 3
    h.send_app("8", &[(37, "o1")]); // 4
    h.take_output();
    h.send("2", "7=2|16=0|");
    h.expect_exact("35=4|34=2|43=Y|49=ISLD|52=*|56=TW44|122=*|36=4|123=Y|");
    h.expect("35=8|34=4|43=Y|37=o1|");
    h.expect_none();
}

/// Types in `gap_fill_older_than` are resent only while younger than the
/// limit; older ones are gap-filled (a stale order must not arrive late).
#[test]
fn gap_fill_older_than_policy() {
    let mut h = Harness::acceptor(|c| c.resend.gap_fill_older_than = vec![(key("D"), 60)]);
    h.establish(0); // HeartBtInt 0: no timers while the clock jumps
    h.send_app("D", &[(11, "old")]); // 2 at t = 0
    h.advance(100);
    h.send_app("D", &[(11, "young")]); // 3 at t = 100
    h.send_app("8", &[(37, "er")]); // 4 at t = 100 (no policy for 8)
    h.take_output();
    h.advance(20); // the old order is 120 s old, the young one 20 s
    h.send("2", "7=2|16=0|");
    h.expect("35=4|34=2|43=Y|36=3|123=Y|");
    h.expect("35=D|34=3|43=Y|11=young|");
    h.expect("35=8|34=4|43=Y|");
    h.expect_none();
}

/// One ResendRequest is served up to `serve_max` messages; the rest is
/// left to the counterparty's next request. EndSeqNo past our last message
/// means our last message.
#[test]
fn serve_max_caps_one_resend() {
    let mut h = Harness::acceptor(|c| c.resend.serve_max = 2);
    h.establish(30);
    for i in 2..=5 {
        h.send_app("D", &[(11, &format!("o{i}"))]);
    }
    h.take_output();
    h.send("2", "7=2|16=0|");
    h.expect("35=D|34=2|43=Y|");
    h.expect("35=D|34=3|43=Y|");
    h.expect_none();
    assert!(h.events.contains(&Event::ResendServed {
        begin: 2,
        end: 3,
        resent: 2,
        gap_fills: 0
    }));
    h.send("2", "7=4|16=99|");
    h.expect("35=D|34=4|43=Y|");
    h.expect("35=D|34=5|43=Y|");
    h.expect_none();
}

// ---- SequenceReset ---------------------------------------------------------

/// SequenceReset-Reset ignores its own MsgSeqNum and sets the next expected
/// number (11a_NewSeqNoGreater); NewSeqNo equal to it changes nothing
/// (11b_NewSeqNoEqual).
#[test]
fn sequence_reset_reset_mode() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    h.recv("8=FIX.4.4|35=4|34=0|49=TW44|52=<TIME>|56=ISLD|36=25|");
    h.expect_none();
    assert_eq!(h.store.next_in(), 25);
    assert!(h.events.contains(&Event::SequenceReset {
        new_seq: 25,
        gap_fill: false
    }));
    h.send_at(25, "1", "112=HELLO|");
    h.expect("35=0|34=2|112=HELLO|");
    h.recv("8=FIX.4.4|35=4|34=0|49=TW44|52=<TIME>|56=ISLD|36=26|123=N|");
    h.expect_none();
    assert_eq!(h.store.next_in(), 26);
    h.send_at(26, "1", "112=AGAIN|");
    h.expect("35=0|34=3|112=AGAIN|");
    h.expect_connected();
}

/// A SequenceReset-GapFill in sequence moves the expected number to NewSeqNo.
#[test]
fn sequence_reset_gap_fill_mode() {
    both_roles(|mut h| {
        h.establish(30);
        h.send_at(2, "4", "36=5|123=Y|");
        h.expect_none();
        assert_eq!(h.store.next_in(), 5);
        h.send_at(5, "1", "112=A|");
        h.expect("35=0|34=2|112=A|");
        h.expect_connected();
    });
}

/// A SequenceReset whose NewSeqNo is below the expected number is
/// rejected: 373=5 (value incorrect) on 371=36, in both modes; the expected
/// number does not move.
#[test]
fn sequence_reset_to_a_lower_number_is_rejected() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    for _ in 2..=4 {
        h.send("0", "");
    }
    h.recv("8=FIX.4.4|35=4|34=0|49=TW44|52=<TIME>|56=ISLD|36=3|");
    h.expect_exact(
        "35=3|34=2|49=ISLD|52=*|56=TW44|45=0|58=Value is incorrect (out of range) for this tag|371=36|372=4|373=5|",
    );
    assert_eq!(h.store.next_in(), 5);
    h.send_at(5, "4", "36=3|123=Y|");
    h.expect_exact(
        "35=3|34=3|49=ISLD|52=*|56=TW44|45=5|58=Value is incorrect (out of range) for this tag|371=36|372=4|373=5|",
    );
    assert_eq!(h.store.next_in(), 5);
    h.send_at(5, "1", "112=ok|");
    h.expect("35=0|34=4|112=ok|");
    h.expect_connected();
}

// ---- PossDup checks ---------------------------------------------------------

/// PossDupFlag=Y without OrigSendingTime is rejected with 373=1 on 371=122
/// and the session goes on (2g_PossDupNoOrigSendingTime).
#[test]
fn poss_dup_without_orig_sending_time_is_rejected() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    h.send("D", ORDER); // 2
    h.send("D", ORDER); // 3
    h.send_at(2, "D", &format!("43=Y|{ORDER}"));
    h.expect_exact(
        "35=3|34=2|49=ISLD|52=*|56=TW44|45=2|58=Required tag missing|371=122|372=D|373=1|",
    );
    h.send("1", "112=HELLO|"); // 4
    h.expect("35=0|34=3|112=HELLO|");
    assert_eq!(h.app.seqs(), [2, 3]);
    // In sequence, the same rule (FIX test case 2g): rejected, not delivered,
    // and its number is used up.
    h.send("D", &format!("43=Y|{ORDER}")); // 5
    h.expect("35=3|34=4|45=5|371=122|373=1|");
    assert_eq!(h.app.seqs(), [2, 3]);
    assert_eq!(h.store.next_in(), 6);
    h.expect_connected();
}

/// OrigSendingTime later than SendingTime is rejected with 373=10 and the
/// session logs out (FIX test case 2f), for a duplicate and for a message
/// in sequence.
#[test]
fn orig_sending_time_after_sending_time_rejects_and_logs_out() {
    for dup in [true, false] {
        let mut h = Harness::acceptor(|_| {});
        h.establish(30);
        h.send("D", ORDER); // 2
        let seq = if dup { 2 } else { 3 };
        h.send_at(seq, "D", &format!("43=Y|122=<TIME+5>|{ORDER}"));
        h.expect_exact(&format!(
            "35=3|34=2|49=ISLD|52=*|56=TW44|45={seq}|58=SendingTime accuracy problem|372=D|373=10|"
        ));
        h.expect_exact("35=5|34=3|49=ISLD|52=*|56=TW44|");
        assert_eq!(h.session.state(), State::LogoutSent);
        assert_eq!(h.app.seqs(), [2]);
        h.send("5", "");
        h.expect_none();
        h.expect_disconnect(DisconnectReason::LocalLogout);
    }
}

// ---- MsgSeqNum too low ------------------------------------------------------

/// A number below the expected one without PossDupFlag is fatal: Logout
/// "MsgSeqNum too low, expecting X but received Y" and disconnect
/// (2c_MsgSeqNumTooLow), in both roles.
#[test]
fn msg_seq_num_too_low_without_poss_dup_logs_out() {
    both_roles(|mut h| {
        h.establish(30);
        for _ in 2..=4 {
            h.send("0", "");
        }
        h.send_at(2, "0", "");
        let logout = h.expect("35=5|34=2|58=MsgSeqNum too low, expecting 5 but received 2|");
        assert_eq!(logout.tags(), [8, 9, 35, 34, 49, 52, 56, 58, 10]);
        h.expect_none();
        h.expect_disconnect(DisconnectReason::SeqTooLow {
            expected: 5,
            received: 2,
        });
    });
}

// ---- Invalid messages -----------------------------------------------------

/// A message the dictionary refuses is answered with a session Reject
/// carrying RefSeqNum (45), the reason's text (58), RefTagID (371) when a
/// tag is at fault, RefMsgType (372) and the reason (373); its number is
/// used up and the session goes on (14a–14h, 2q).
#[test]
fn invalid_messages_are_rejected_from_the_dictionary() {
    let cases: &[(&str, &str)] = &[
        (
            "35=0|{H}999=HI|",
            "58=Invalid tag number|371=999|372=0|373=0",
        ),
        ("35=0|{H}0=HI|", "58=Invalid tag number|371=0|372=0|373=0"),
        ("35=0|{H}-1=HI|", "58=Invalid tag number|371=-1|372=0|373=0"),
        (
            "35=0|{H}5000=HI|",
            "58=Invalid tag number|371=5000|372=0|373=0",
        ),
        (
            "35=0|34={S}|49=TW44|52=<TIME>|",
            "58=Required tag missing|371=56|372=0|373=1",
        ),
        (
            "35=D|{H}21=3|40=1|54=1|55=INTC|60=<TIME>|",
            "58=Required tag missing|371=11|372=D|373=1",
        ),
        (
            "35=0|{H}55=MSFT|",
            "58=Tag not defined for this message type|371=55|372=0|373=2",
        ),
        (
            "35=0|34={S}|49=TW44|52=<TIME>|56=|",
            "58=Tag specified without a value|371=56|372=0|373=4",
        ),
        (
            "35=D|{H}11=ID|21=4|40=1|54=1|38=002000.00|55=INTC|60=<TIME>|",
            "58=Value is incorrect (out of range) for this tag|371=21|372=D|373=5",
        ),
        (
            "35=D|{H}11=ID|21=1|40=1|54=1|38=+200.00|55=INTC|60=<TIME>|",
            "58=Incorrect data format for value|371=38|372=D|373=6",
        ),
        (
            "35=D|{H}11=ID|21=1|40=1|40=2|54=1|38=200.00|55=INTC|60=<TIME>|",
            "58=Tag appears more than once|371=40|372=D|373=13",
        ),
        (
            "35=D|11=id|21=3|40=1|54=1|55=MSFT|60=<TIME>|{H}",
            "58=Tag specified out of required order|371=34|372=D|373=14",
        ),
        ("35=*|{H}", "58=Invalid MsgType|372=*|373=11"),
    ];
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    for (i, (body, reject)) in cases.iter().enumerate() {
        let seq = h.peer.next_seq;
        h.peer.next_seq += 1;
        let header = format!("34={seq}|49=TW44|52=<TIME>|56=ISLD|");
        let text = format!(
            "8=FIX.4.4|{}",
            body.replace("{H}", &header)
                .replace("{S}", &seq.to_string())
        );
        h.recv(&text);
        h.expect_exact(&format!(
            "35=3|34={}|49=ISLD|52=*|56=TW44|45={seq}|{reject}|",
            i + 2
        ));
        h.expect_none();
        assert_eq!(h.store.next_in(), seq + 1, "{body}: number used up");
    }
    assert!(h.app.delivered.is_empty(), "nothing invalid was delivered");
    h.send("1", "112=still here|");
    h.expect("35=0|112=still here|");
    h.expect_connected();
    assert_eq!(h.session.counters().rejects_sent, cases.len() as u64);
}

/// An application message the application does not handle is answered
/// with a Business Message Reject, 380=3 "Unsupported Message Type"
/// (2r_UnregisteredMsgType); an application's own refusal carries its
/// reason and text.
#[test]
fn unsupported_application_message_gets_business_reject() {
    let mut h = Harness::new(acceptor_config(), MemoryStore::default(), NoApplication);
    h.establish(30);
    h.send(
        "8",
        "37=id|17=id|150=0|39=0|55=WLRI|54=1|151=100|14=0|6=0.0|",
    );
    h.expect_exact("35=j|34=2|49=ISLD|52=*|56=TW44|45=2|58=Unsupported Message Type|372=8|380=3|");
    h.expect_connected();

    let mut h = Harness::acceptor(|_| {});
    h.app.unsupported.push("D");
    h.app.rejected.push("8");
    h.establish(30);
    h.send("D", ORDER);
    h.expect("35=j|45=2|58=Unsupported Message Type|372=D|380=3|");
    h.send(
        "8",
        "37=id|17=id|150=0|39=0|55=WLRI|54=1|151=100|14=0|6=0.0|",
    );
    h.expect("35=j|45=3|58=not today|372=8|380=0|");
    assert_eq!(h.session.counters().business_rejects_sent, 2);
    h.expect_connected();
}

/// A message with the wrong SenderCompID or TargetCompID is rejected
/// (373=9) and the session logs out (2k_CompIDDoesNotMatchProfile).
#[test]
fn comp_id_problem_rejects_and_logs_out() {
    for (sender, target) in [("WT", "ISLD"), ("TW44", "DLSI"), ("WT", "DLSI")] {
        let mut h = Harness::acceptor(|_| {});
        h.establish(30);
        h.recv(&format!(
            "8=FIX.4.4|35=D|34=2|49={sender}|52=<TIME>|56={target}|{ORDER}"
        ));
        h.expect_exact("35=3|34=2|49=ISLD|52=*|56=TW44|45=2|58=CompID problem|372=D|373=9|");
        h.expect_exact("35=5|34=3|49=ISLD|52=*|56=TW44|");
        assert!(h.app.delivered.is_empty());
        h.send_at(3, "5", "");
        h.expect_none();
        h.expect_disconnect(DisconnectReason::LocalLogout);
    }
}

/// A SendingTime more than `max_latency_secs` from our clock, either way,
/// is rejected (373=10) and the session logs out (2o).
#[test]
fn sending_time_out_of_range_rejects_and_logs_out() {
    for offset in ["<TIME-121>", "<TIME+121>"] {
        let mut h = Harness::acceptor(|_| {});
        h.establish(30);
        h.recv(&format!("8=FIX.4.4|35=0|34=2|49=TW44|52={offset}|56=ISLD|"));
        h.expect_exact(
            "35=3|34=2|49=ISLD|52=*|56=TW44|45=2|58=SendingTime accuracy problem|372=0|373=10|",
        );
        h.expect_exact("35=5|34=3|49=ISLD|52=*|56=TW44|");
        h.advance(2);
        h.expect_disconnect(DisconnectReason::LogoutTimeout);
    }
    // 120 s is still accurate.
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    h.recv("8=FIX.4.4|35=1|34=2|49=TW44|52=<TIME-120>|56=ISLD|112=ok|");
    h.expect("35=0|112=ok|");
}

/// The CompID and SendingTime checks apply to an initiator as well.
#[test]
fn comp_id_and_sending_time_checks_in_both_roles() {
    for bad in [
        "49=WT|52=<TIME>|56={us}|",
        "49={them}|52=<TIME-121>|56={us}|",
    ] {
        both_roles(|mut h| {
            h.establish(30);
            let header = bad
                .replace("{us}", &h.peer.target)
                .replace("{them}", &h.peer.comp_id);
            h.recv(&format!("8=FIX.4.4|35=1|34=2|{header}112=x|"));
            let reject = h.expect("35=3|34=2|45=2|372=1|");
            assert!(matches!(reject.field(373), "9" | "10"), "{reject:?}");
            h.expect("35=5|34=3|");
            h.expect_none();
            assert_eq!(h.session.state(), State::LogoutSent);
        });
    }
}

/// A message with another BeginString after Logon is answered with Logout
/// "Incorrect BeginString"; the connection closes when the Logout is
/// answered or times out (2i_BeginStringValueUnexpected).
#[test]
fn wrong_begin_string_after_logon_logs_out() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    h.recv("8=FIX.4.1|35=1|34=2|49=TW44|52=<TIME>|56=ISLD|112=id|");
    h.expect_exact("35=5|34=2|49=ISLD|52=*|56=TW44|58=Incorrect BeginString|");
    h.expect_none();
    h.advance_ms(1_900);
    h.expect_connected();
    h.advance_ms(100);
    h.expect_disconnect(DisconnectReason::LogoutTimeout);

    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    h.recv("8=FIX.4.1|35=1|34=2|49=TW44|52=<TIME>|56=ISLD|112=id|");
    h.expect("35=5|58=Incorrect BeginString|");
    h.send_at(3, "5", "");
    h.expect_none();
    h.expect_disconnect(DisconnectReason::LocalLogout);
}

/// Garbled messages after Logon are ignored, not answered; the number they
/// carried is then missing and asked for (3b_InvalidChecksum).
#[test]
fn garbled_after_logon_is_ignored_and_the_gap_recovered() {
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    h.recv("8=FIX.4.4|35=0|34=2|49=TW44|52=<TIME>|56=ISLD|10=256|");
    h.expect_none();
    h.expect_connected();
    h.recv("8=FIX.4.4|35=0|34=2|49=TW44|52=<TIME>|56=ISLD|");
    h.recv("8=FIX.4.4|35=D|34=3|49=TW44|52=<TIME>|56=ISLD|11=ID|21=3|40=1|54=1|55=INTC|10=256|");
    h.recv("8=FIX.4.4|35=0|34=4|49=TW44|52=<TIME>|56=ISLD|");
    h.expect_exact("35=2|34=2|49=ISLD|52=*|56=TW44|7=3|16=0|");
    h.recv(&format!(
        "8=FIX.4.4|35=D|34=3|49=TW44|52=<TIME>|56=ISLD|{RESENT}{ORDER}"
    ));
    assert_eq!(h.app.seqs(), [3]);
    assert_eq!(h.store.next_in(), 5);
    assert_eq!(h.session.counters().garbled, 2);
    h.expect_none();
    h.expect_connected();
}

// ---- Logout -----------------------------------------------------------

/// The counterparty's Logout is answered with ours and the connection
/// closes (13b_UnsolicitedLogoutMessage), in both roles.
#[test]
fn counterparty_logout_is_answered() {
    both_roles(|mut h| {
        h.establish(30);
        h.send("5", "58=bye|");
        let logout = h.expect("35=5|34=2|");
        assert_eq!(logout.get(58), None);
        h.expect_none();
        h.expect_disconnect(DisconnectReason::PeerLogout(Text::new(b"bye")));
    });
}

/// Our Logout waits for the counterparty's; its answer closes the
/// connection; nothing can be sent meanwhile, in both roles.
#[test]
fn our_logout_completes_when_answered() {
    both_roles(|mut h| {
        h.establish(30);
        h.logout(Some("end of day"));
        h.expect("35=5|34=2|58=end of day|");
        assert_eq!(h.session.state(), State::LogoutSent);
        let r = h.session.send(
            h.now,
            &mut h.store,
            &mut fixrail::session::Outbox::default(),
            b"D",
            &[],
            &mut |_: &mut fixrail::codec::MessageWriter<'_>| {},
        );
        assert!(matches!(r, Err(SendError::NotLoggedOn)));
        h.send("5", "");
        h.expect_none();
        h.expect_disconnect(DisconnectReason::LocalLogout);
    });
}

/// Without an answer to our Logout, the connection closes after
/// `logout_timeout_secs`, in both roles.
#[test]
fn our_logout_times_out() {
    both_roles(|mut h| {
        h.establish(30);
        h.logout(None);
        h.expect("35=5|34=2|");
        h.advance_ms(1_900);
        h.expect_connected();
        h.advance_ms(100);
        h.expect_none();
        h.expect_disconnect(DisconnectReason::LogoutTimeout);
    });
}

/// A Logout asked for before the Logon is exchanged just closes the
/// connection.
#[test]
fn logout_before_logon_closes() {
    both_roles(|mut h| {
        h.connect();
        h.take_output();
        h.logout(Some("shutting down"));
        h.expect_none();
        h.expect_disconnect(DisconnectReason::Shutdown);
    });
}

/// `reset_on_logout` resets both counters after a completed Logout;
/// `reset_on_disconnect` after any disconnect.
#[test]
fn reset_on_logout_and_on_disconnect() {
    let mut h = Harness::acceptor(|c| c.reset_on_logout = true);
    h.establish(30);
    h.send("5", "");
    h.expect("35=5|");
    assert_eq!((h.store.next_out(), h.store.next_in()), (1, 1));
    assert_eq!(h.store.changes, ["reset: reset_on_logout"]);

    let mut h = Harness::acceptor(|c| c.reset_on_disconnect = true);
    h.establish(30);
    h.drop_connection(DisconnectReason::Io(ErrorKind::UnexpectedEof));
    assert_eq!((h.store.next_out(), h.store.next_in()), (1, 1));
    assert_eq!(h.store.changes, ["reset: reset_on_disconnect"]);
}

// ---- Routing ---------------------------------------------------------------

/// Rejects carry the rejected message's routing fields reversed
/// (OnBehalfOf ↔ DeliverTo, SubIDs, LocationIDs), in ascending tag order
/// in the header (ReverseRoute).
#[test]
fn rejects_reverse_the_routing_fields() {
    // (routing fields in, our header after 35 with them reversed and merged
    // in ascending tag order)
    let cases = [
        ("115=JCD|", "49=ISLD|52=*|56=TW44|128=JCD|"),
        ("128=JCD|", "49=ISLD|52=*|56=TW44|115=JCD|"),
        ("115=JCD|116=CS|", "49=ISLD|52=*|56=TW44|128=JCD|129=CS|"),
        ("128=JCD|129=CS|", "49=ISLD|52=*|56=TW44|115=JCD|116=CS|"),
        (
            "115=JCD|116=CS|144=CHI|",
            "49=ISLD|52=*|56=TW44|128=JCD|129=CS|145=CHI|",
        ),
        (
            "128=JCD|129=CS|145=CHI|",
            "49=ISLD|52=*|56=TW44|115=JCD|116=CS|144=CHI|",
        ),
        ("50=TRADER|", "49=ISLD|52=*|56=TW44|57=TRADER|"),
        ("57=DESK|142=NY|", "49=ISLD|50=DESK|52=*|56=TW44|143=NY|"),
    ];
    let mut h = Harness::acceptor(|_| {});
    h.establish(30);
    for (i, (route, header)) in cases.iter().enumerate() {
        let seq = h.peer.next_seq;
        h.send(
            "D",
            &format!("{route}11=ID|21=3|38=100|40=w|54=1|55=INTC|60=<TIME>|"),
        );
        h.expect_exact(&format!(
            "35=3|34={}|{header}45={seq}|58=Value is incorrect (out of range) for this tag|371=40|372=D|373=5|",
            i + 2
        ));
    }
    // A Business Message Reject too.
    let mut h = Harness::acceptor(|_| {});
    h.app.unsupported.push("D");
    h.establish(30);
    h.send("D", &format!("115=JCD|{ORDER}"));
    h.expect_exact(
        "35=j|34=2|49=ISLD|52=*|56=TW44|128=JCD|45=2|58=Unsupported Message Type|372=D|380=3|",
    );
}

// ---- The lost store -----------------------------------------------------------

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

// ---- JournalStore -----------------------------------------------------------

/// End to end on the production store: messages go to the journal, a
/// ResendRequest is served from it, and after reopening the journal the
/// counters are recovered and the next Logon continues from them.
#[test]
fn journal_store_end_to_end() {
    use fixrail::journal::Journal;
    let dir = common::TempDir::new("session-journal-store");
    let config = common::journal_config(dir.path(), 1 << 20, 4, 1024);
    let (orders, next_in) = {
        let (mut journal, _) = Journal::open(config.clone(), harness::t0()).unwrap();
        let store = JournalStore::new(&mut journal, 1).unwrap();
        let mut h = Harness::new(acceptor_config(), store, Recorder::default());
        h.establish(30); // our 1
        let mut orders = Vec::new();
        for i in 2..=4 {
            h.advance(1);
            h.send_app("D", &[(11, &format!("J{i}")), (55, "IBM")]);
            orders.push(h.expect("35=D|"));
        }
        h.send("1", "112=ping|"); // our 5
        h.expect("35=0|34=5|");
        // An inbound gap, held and filled, goes through the journal too.
        h.send_at(5, "1", "112=held|");
        h.expect("35=2|34=6|7=3|16=0|");
        h.send_at(3, "4", "43=Y|122=<TIME>|36=5|123=Y|");
        h.expect("35=0|34=7|112=held|");
        h.send("2", "7=1|16=0|");
        h.expect_exact("35=4|34=1|43=Y|49=ISLD|52=*|56=TW44|122=*|36=2|123=Y|");
        for o in &orders {
            let again = h.expect("35=D|43=Y|");
            assert_eq!(again.seq(), o.seq());
            assert_eq!(again.get(122), o.get(52));
            assert_eq!(again.get(11), o.get(11));
        }
        h.expect_exact("35=4|34=5|43=Y|49=ISLD|52=*|56=TW44|122=*|36=8|123=Y|");
        h.expect_none();
        assert_eq!(h.store.next_out(), 8);
        let next_in = h.store.next_in();
        assert_eq!(next_in, h.peer.next_seq);
        h.drop_connection(DisconnectReason::Io(ErrorKind::ConnectionReset));
        (orders, next_in)
    };
    let (mut journal, _) = Journal::open(config, harness::t0()).unwrap();
    let seqs = journal.session(1).unwrap();
    assert_eq!((seqs.next_out, seqs.next_in), (8, next_in));
    let store = JournalStore::new(&mut journal, 1).unwrap();
    let mut h = Harness::new(acceptor_config(), store, Recorder::default());
    h.peer.next_seq = next_in;
    h.connect();
    h.send("A", "98=0|108=30|");
    h.expect("35=A|34=8|");
    h.send("2", "7=2|16=4|");
    for o in &orders {
        let again = h.expect("35=D|43=Y|");
        assert_eq!(
            again.get(122),
            o.get(52),
            "served from the reopened journal"
        );
    }
    h.expect_none();
}

// ---- QuickFIX's acceptance scripts, in process ------------------------------

/// Plays one script against an acceptor set up as the conformance README
/// says (ISLD, ResetOnLogon, the echo application), on the virtual clock:
/// `I` lines go through the decoder into the session; an `E` line takes the
/// next message written, moving the clock (ticking) up to 60 s while none
/// is there, and compares it literally but for `fields.fmt`; `eDISCONNECT`
/// waits up to 10 s for the session to close with nothing written first.
fn play(script: &script::Script, formats: &script::FieldFormats) -> Result<(), String> {
    use script::Step;
    let mut cfg = acceptor_config();
    cfg.reset_on_logon = true;
    let mut h = Harness::new(cfg, MemoryStore::default(), EchoApplication::default());
    for (line, step) in &script.steps {
        let at = |e: String| format!("{} line {line}: {e}", script.name);
        match step {
            Step::Connect(_) => h.connect(),
            Step::Disconnect(_) => {
                h.drop_connection(DisconnectReason::Io(ErrorKind::ConnectionAborted))
            }
            Step::Send(_, text) => {
                let bytes = script::substitute(text, h.now);
                h.feed(&bytes);
            }
            Step::Expect(_, text) => {
                let mut waited = 0;
                let got = loop {
                    if let Some(got) = h.next_output() {
                        break got;
                    }
                    if h.disconnect.is_some() || waited >= 60_000 {
                        return Err(at(format!(
                            "nothing written after {waited} ms (disconnect: {:?})",
                            h.disconnect
                        )));
                    }
                    h.advance_ms(100);
                    waited += 100;
                };
                let want = script::substitute(text, h.now);
                script::compare(&want, &got.raw, formats).map_err(at)?;
            }
            Step::ExpectDisconnect(_) => {
                let mut waited = 0;
                while h.disconnect.is_none() && waited < 10_000 {
                    if let Some(extra) = h.next_output() {
                        return Err(at(format!("wrote {extra:?} instead of disconnecting")));
                    }
                    h.advance_ms(100);
                    waited += 100;
                }
                if h.disconnect.is_none() {
                    return Err(at("still connected after 10 s".into()));
                }
                if let Some(extra) = h.next_output() {
                    return Err(at(format!("wrote {extra:?} before disconnecting")));
                }
            }
        }
    }
    Ok(())
}

/// Every FIX 4.4 acceptance script of QuickFIX passes literally against
/// the session in process, except AlreadyLoggedOn, which needs a second
/// connection to the same session (the runtime's job, not the session's).
#[test]
fn quickfix_acceptance_scripts_pass_in_process() {
    let dir = script::data_dir();
    let formats = script::FieldFormats::load(&dir);
    let scripts = script::load_scripts(&dir, "fix44");
    assert_eq!(scripts.len(), 51);
    let mut failures = Vec::new();
    let mut played = 0;
    for s in &scripts {
        if s.name == "AlreadyLoggedOn" {
            continue;
        }
        played += 1;
        if let Err(e) = play(s, &formats) {
            failures.push(e);
        }
    }
    assert_eq!(played, 50);
    // The runner does fail: a wrong field, a message that never comes
    // (HeartBtInt 0: no timers), output where a disconnect is expected.
    let logon = "I8=FIX.4.4|35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|108=30|";
    let answer =
        "E8=FIX.4.4|9=63|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW44|98=0|108=30|10=0|";
    for (bad, why) in [
        (
            format!("{logon}\n{}", answer.replace("34=1", "34=2")),
            "expected 34=2 but received 34=1",
        ),
        (
            "I8=FIX.4.4|35=A|34=1|49=TW44|52=<TIME>|56=ISLD|98=0|108=0|\n\
             E8=FIX.4.4|9=62|35=A|34=1|49=ISLD|52=00000000-00:00:00.000|56=TW44|98=0|108=0|10=0|\n\
             E8=FIX.4.4|35=0|"
                .to_string(),
            "nothing written after 60000 ms",
        ),
        (
            format!("{logon}\n{answer}\nI8=FIX.4.4|35=1|34=2|49=TW44|52=<TIME>|56=ISLD|112=X|\neDISCONNECT"),
            "instead of disconnecting",
        ),
    ] {
        let text = format!("iCONNECT\n{bad}\n").replace('|', "\u{1}");
        let s = script::parse("negative", &text).unwrap();
        let err = play(&s, &formats).expect_err(&bad);
        assert!(err.contains(why), "{why:?} in {err}");
    }
    assert!(
        failures.is_empty(),
        "{} of {played} scripts failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
