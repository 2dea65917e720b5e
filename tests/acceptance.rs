//! The QuickFIX acceptance-script runner, checked against the real scripts
//! in `../shared/conformance/quickfix-at`: the core (every script parses,
//! substitutions follow the README to the byte, comparison is literal except
//! where `fields.fmt` says otherwise, fixrail's framer agrees with the
//! runner's framing), and the scripts themselves run over TCP against an
//! acceptor: `fixrail run` by default, or QuickFIX C++ with
//! `FIXRAIL_AT_TARGET=quickfix` (the reference that proves the runner right).
//!
//! `FIXRAIL_AT_TARGET=quickfix cargo test --test acceptance -- --nocapture`

mod common;

mod acceptance {
    pub mod runner;
    pub mod script;
    pub mod target;
    pub mod wire;
}

use acceptance::runner::{report, run_all};
use acceptance::script::{compare, data_dir, load_scripts, parse, substitute, FieldFormats, Step};
use acceptance::target::{fixrail_config, log_tail, Acceptor, Target};
use acceptance::wire::{check_length_and_checksum, message_end, monotonic};
use common::TempDir;
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

#[test]
fn the_runner_reads_one_message_by_body_length_and_checks_its_trailer() {
    // A message ends BodyLength bytes after its 9= field, through the next
    // SOH, whatever follows; a wrong BodyLength or CheckSum is named.
    let soh = |s: &str| s.replace('|', "\u{1}").into_bytes();
    let one = soh("8=FIX.4.4|9=5|35=0|10=163|");
    let mut two = one.clone();
    two.extend_from_slice(&soh("8=FIX.4.4|9=5|35=0|"));
    assert_eq!(message_end(&two), Ok(Some(one.len())));
    assert_eq!(
        message_end(&one[..one.len() - 1]),
        Ok(None),
        "no SOH after 10= yet"
    );
    assert_eq!(message_end(&soh("8=FIX.4.4|9=5|35")), Ok(None));
    assert!(message_end(&soh("8=FIX.4.4|9=x5|35=0|10=163|")).is_err());
    assert_eq!(check_length_and_checksum(&one), Ok(()));
    let bad_sum = soh("8=FIX.4.4|9=5|35=0|10=164|");
    assert!(check_length_and_checksum(&bad_sum)
        .unwrap_err()
        .starts_with("CheckSum 164 is wrong: the bytes before it sum to 163"));
    let two_digit = soh("8=FIX.4.4|9=5|35=0|10=63|");
    assert!(check_length_and_checksum(&two_digit).is_err());
    // BodyLength one short: the message read ends at the SOH after "35=0",
    // whose next field is not 10=.
    let short = soh("8=FIX.4.4|9=4|35=0|10=163|");
    let end = message_end(&short).unwrap().unwrap();
    assert!(check_length_and_checksum(&short[..end])
        .unwrap_err()
        .starts_with("BodyLength 4 is wrong"));
}

#[test]
fn the_fixrail_acceptor_config_is_the_readmes_settings_in_the_schema() {
    // Three acceptor sessions from ISLD on one address (TW44, TW, and
    // NO_CHECK_FIELDS_HAVE_VALUES without the fields-have-values check),
    // each resetting on logon, echoing, 120 s latency, milliseconds.
    let addr = "127.0.0.1:5001".parse().unwrap();
    let config: toml::Table = fixrail_config(addr).parse().expect("valid TOML");
    assert_eq!(config["engine"]["journal_dir"].as_str(), Some("journal"));
    let sessions = config["session"].as_array().expect("[[session]]");
    let targets: Vec<&str> = sessions
        .iter()
        .map(|s| s["target_comp_id"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["TW44", "TW", "NO_CHECK_FIELDS_HAVE_VALUES"]);
    for s in sessions {
        assert_eq!(s["role"].as_str(), Some("acceptor"));
        assert_eq!(s["sender_comp_id"].as_str(), Some("ISLD"));
        assert_eq!(s["listen"].as_str(), Some("127.0.0.1:5001"));
        assert_eq!(s["reset_on_logon"].as_bool(), Some(true));
        assert_eq!(s["application"].as_str(), Some("echo"));
        assert_eq!(s["max_latency_secs"].as_integer(), Some(120));
        assert_eq!(s["timestamp_precision"].as_str(), Some("ms"));
        let checks = s["target_comp_id"].as_str() != Some("NO_CHECK_FIELDS_HAVE_VALUES");
        assert_eq!(s["validate_fields_have_values"].as_bool(), Some(checks));
    }
}

#[test]
fn every_script_passes_against_the_acceptor() {
    // Runs fix44/*.def in name order, then validate/*.def, sequentially
    // against one acceptor process (one long-lived session per CompID,
    // ResetOnLogon), and requires every script to pass and the acceptor to
    // exit 0 on SIGTERM. Missing scripts fail (data_dir), never skip.
    let dir = data_dir();
    let formats = FieldFormats::load(&dir);
    let fix44 = load_scripts(&dir, "fix44");
    let validate = load_scripts(&dir, "validate");
    let scripts: Vec<(&str, &acceptance::script::Script)> = fix44
        .iter()
        .map(|s| ("fix44", s))
        .chain(validate.iter().map(|s| ("validate", s)))
        .collect();
    let target = Target::from_env().unwrap_or_else(|e| panic!("{e}"));
    let tmp = TempDir::new("acceptance");
    let starting = monotonic();
    let mut acceptor = match Acceptor::start(target, tmp.path()) {
        Ok(acceptor) => acceptor,
        // The acceptor's own words are in its log.
        Err(e) => panic!("{e}\n{}", log_tail(&tmp.path().join("acceptor.log"), 80)),
    };
    eprintln!(
        "running {} scripts against {} on {} (listening {:.1} s after start)",
        scripts.len(),
        target.name(),
        acceptor.addr(),
        monotonic().duration_since(starting).as_secs_f64()
    );
    let started = monotonic();
    let outcomes = run_all(&scripts, acceptor.addr(), &formats);
    let total = monotonic().duration_since(started);
    let alive = acceptor.running();
    let stopping = monotonic();
    let stopped = acceptor.stop();
    let table = report(&outcomes, total);
    eprintln!(
        "\n{table}stopped {:.1} s after SIGTERM",
        monotonic().duration_since(stopping).as_secs_f64()
    );
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    if failed > 0 || stopped.is_err() {
        eprintln!("{}", acceptor.log_tail(80));
    }
    assert!(alive, "{} died during the run", target.name());
    assert_eq!(
        failed,
        0,
        "{failed} of {} scripts failed against {}",
        outcomes.len(),
        target.name()
    );
    if let Err(e) = stopped {
        panic!("stopping {}: {e}", target.name());
    }
}
