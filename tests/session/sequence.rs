//! SequenceReset in both modes, the PossDup rules, MsgSeqNum too low.

use super::*;

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
