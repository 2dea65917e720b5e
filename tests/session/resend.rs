//! Serving the counterparty's ResendRequests: PossDup resends, coalesced
//! GapFills, the resend policies.

use super::*;

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
