//! Logon in both roles: answers, HeartBtInt, ResetSeqNumFlag,
//! NextExpectedMsgSeqNum (789), credentials, timeouts and refusals.

use super::*;

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
