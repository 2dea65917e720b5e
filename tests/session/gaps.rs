//! Inbound gaps: ResendRequests (whole or chunked), the hold queue, duplicates.

use super::*;

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
