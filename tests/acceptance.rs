//! The QuickFIX acceptance-script runner's core, checked against the real
//! scripts in `../shared/conformance/quickfix-at` and against fixrail's own
//! framer: every script parses, substitutions follow the README to the byte,
//! and comparison is literal except where `fields.fmt` says otherwise.
//! (Running the scripts against `fixrail run` over TCP comes with the session
//! layer; this is the part that does not need it.)

mod acceptance {
    pub mod script;
}

use acceptance::script::{compare, data_dir, load_scripts, parse, substitute, FieldFormats, Step};
use fixrail::codec::{Frame, Framer, Garbled, UtcTimestamp};

fn now() -> UtcTimestamp {
    UtcTimestamp::from_parts(2026, 11, 22, 10, 0, 0, 0).unwrap()
}

#[test]
fn every_script_parses_into_steps() {
    // 51 FIX 4.4 scripts and the validate script; each opens a connection,
    // sends, expects, and ends expecting the acceptor to disconnect.
    let dir = data_dir();
    let fix44 = load_scripts(&dir, "fix44");
    let validate = load_scripts(&dir, "validate");
    assert_eq!((fix44.len(), validate.len()), (51, 1));
    let mut sends = 0;
    let mut expects = 0;
    for s in fix44.iter().chain(&validate) {
        assert!(
            matches!(s.steps.first(), Some((_, Step::Connect(_)))),
            "{} starts with a connect",
            s.name
        );
        assert!(
            s.steps
                .iter()
                .any(|(_, st)| matches!(st, Step::ExpectDisconnect(_))),
            "{} expects a disconnect",
            s.name
        );
        for (_, st) in &s.steps {
            match st {
                Step::Send(c, _)
                | Step::Expect(c, _)
                | Step::Connect(c)
                | Step::Disconnect(c)
                | Step::ExpectDisconnect(c) => {
                    assert!((1..=2).contains(c), "{}: connection {c}", s.name)
                }
            }
            sends += usize::from(matches!(st, Step::Send(..)));
            expects += usize::from(matches!(st, Step::Expect(..)));
        }
    }
    // Counted independently: grep of the .def files gives 237 + 2 + 1 + 1 I lines, 189 + 2 E lines.
    assert_eq!((sends, expects), (241, 191), "the scripts' I and E lines");
    assert!(parse("bad", "X nonsense").is_err());
    let two = parse("two", "i2,CONNECT\nI2,8=FIX.4.4|35=0|\ne2,DISCONNECT\n").unwrap();
    assert_eq!(two.steps[1].1, Step::Send(2, "8=FIX.4.4|35=0|".into()));
}

#[test]
fn substitution_follows_the_readme_to_the_byte() {
    // <TIME> and <TIME±N>, BodyLength inserted after the first field and
    // counted to the SOH before 10=, CheckSum appended; given 9= and 10=
    // values kept; text not starting with 8= sent verbatim.
    let soh = |s: &str| s.replace('|', "\u{1}");
    let m = substitute(&soh("8=FIX.4.4|35=0|34=2|49=TW|52=<TIME>|56=ISLD|"), now());
    let body = "35=0|34=2|49=TW|52=20261122-10:00:00|56=ISLD|";
    let head = format!("8=FIX.4.4|9={}|{body}", body.len());
    let sum = soh(&head).bytes().map(u32::from).sum::<u32>() % 256;
    assert_eq!(m, soh(&format!("{head}10={sum:03}|")).into_bytes());
    assert!(matches!(Framer::default().frame(&m), Frame::Message(f) if f.len == m.len()));

    let t = substitute("52=<TIME+121>|122=<TIME-121>|60=<TIME-1>", now());
    assert_eq!(
        t,
        b"52=20261122-10:02:01|122=20261122-09:57:59|60=20261122-09:59:59"
    );
    let given = substitute(&soh("8=FIX.4.4|9=30|35=0|10=256|"), now());
    assert_eq!(given, soh("8=FIX.4.4|9=30|35=0|10=256|").into_bytes());
    let verbatim = substitute(&soh("35=0|8=FIX.4.4|9=29|"), now());
    assert_eq!(verbatim, soh("35=0|8=FIX.4.4|9=29|").into_bytes());
}

#[test]
fn every_send_line_the_runner_completes_is_framed_as_intended() {
    // Where the runner computes 9= and 10=, fixrail's framer agrees with
    // them: a message is either accepted, or garbled only for a reason the
    // script built in on purpose (MsgType not third), never for a length or
    // checksum the runner got wrong.
    let dir = data_dir();
    let mut completed = 0;
    for s in load_scripts(&dir, "fix44")
        .iter()
        .chain(&load_scripts(&dir, "validate"))
    {
        for (line, step) in &s.steps {
            let Step::Send(_, template) = step else {
                continue;
            };
            let has_given = template.contains("\u{1}9=") || template.contains("\u{1}10=");
            if has_given || !template.starts_with("8=") {
                continue;
            }
            let m = substitute(template, now());
            completed += 1;
            match Framer::default().frame(&m) {
                Frame::Message(f) => assert_eq!(f.len, m.len(), "{}:{line}", s.name),
                Frame::Garbled {
                    reason: Garbled::MsgTypeNotThird,
                    ..
                } => {}
                other => panic!(
                    "{}:{line}: {other:?} for {:?}",
                    s.name,
                    String::from_utf8_lossy(&m)
                ),
            }
        }
    }
    assert!(
        completed > 200,
        "{completed} send lines completed by the runner"
    );
}

#[test]
fn comparison_is_literal_except_where_fields_fmt_says() {
    // An expected line matches a received message whose SendingTime,
    // CheckSum and other fields.fmt fields differ in value but fit their
    // pattern; any other difference is named by field.
    let formats = FieldFormats::load(&data_dir());
    let soh = |s: &str| s.replace('|', "\u{1}").into_bytes();
    let expected = substitute(
        "8=FIX.4.4\u{1}9=63\u{1}35=A\u{1}34=1\u{1}49=ISLD\u{1}52=00000000-00:00:00.000\u{1}56=TW44\u{1}98=0\u{1}108=30\u{1}10=0\u{1}",
        now(),
    );
    let received = soh(
        "8=FIX.4.4|9=63|35=A|34=1|49=ISLD|52=20261122-10:00:00.123|56=TW44|98=0|108=30|10=175|",
    );
    assert_eq!(compare(&expected, &received, &formats), Ok(()));
    let wrong_seq = soh(
        "8=FIX.4.4|9=63|35=A|34=2|49=ISLD|52=20261122-10:00:00.123|56=TW44|98=0|108=30|10=175|",
    );
    assert_eq!(
        compare(&expected, &wrong_seq, &formats),
        Err("field 3: expected 34=1 but received 34=2".into())
    );
    let bad_time =
        soh("8=FIX.4.4|9=63|35=A|34=1|49=ISLD|52=2026-11-22|56=TW44|98=0|108=30|10=175|");
    assert!(compare(&expected, &bad_time, &formats)
        .unwrap_err()
        .starts_with("field 5:"));
    let extra = soh("8=FIX.4.4|9=63|35=A|34=1|49=ISLD|52=20261122-10:00:00.123|56=TW44|98=0|108=30|141=Y|10=175|");
    assert!(compare(&expected, &extra, &formats)
        .unwrap_err()
        .starts_with("10 fields expected, 11 received"));
    let reordered = soh(
        "8=FIX.4.4|9=63|35=A|34=1|49=ISLD|52=20261122-10:00:00.123|56=TW44|108=30|98=0|10=175|",
    );
    assert_eq!(
        compare(&expected, &reordered, &formats),
        Err("field 7: expected 98=0 but received 108=30".into())
    );
    // BodyLength is compared literally: the scripts assume milliseconds.
    let seconds_only =
        soh("8=FIX.4.4|9=59|35=A|34=1|49=ISLD|52=20261122-10:00:00|56=TW44|98=0|108=30|10=175|");
    assert_eq!(
        compare(&expected, &seconds_only, &formats),
        Err("field 1: expected 9=63 but received 9=59".into())
    );
}
