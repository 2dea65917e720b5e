//! Session and business rejects: the dictionary's reasons, CompID, SendingTime,
//! BeginString, garbled input, reversed routing.

use super::*;

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
