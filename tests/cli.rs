//! The `fixrail` binary's tools answer good and bad input with the right exit
//! code and a message that names the file, line and problem.

use std::io::Write;
use std::process::{Command, Stdio};

fn fixrail(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fixrail"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn decode_names_fields_and_says_how_a_session_would_reject() {
    // One valid heartbeat, one NOS with HandlInst=4, one with a wrong checksum.
    let input = "8=FIX.4.4|35=0|34=3|49=TW44|52=20261122-10:00:00|56=ISLD|\n\
                 8=FIX.4.4|35=D|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|21=4|40=1|54=1|38=100|55=INTC|60=20261122-10:00:00|\n\
                 8=FIX.4.4|35=0|34=4|49=TW44|52=20261122-10:00:00|56=ISLD|10=000|\n";
    let (code, out, _) = fixrail(&["decode"], input);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("   35 MsgType                  D  NEW_ORDER_SINGLE"),
        "{out}"
    );
    assert!(
        out.contains("=> reject 373=5 371=21 (Value is incorrect (out of range) for this tag)"),
        "{out}"
    );
    let bad_len = fixrail::codec::testing::fix(
        "8=FIX.4.4|35=0|34=4|49=TW44|52=20261122-10:00:00|56=ISLD|10=000|",
    )
    .len();
    assert!(
        out.contains(&format!(
            "garbled, {bad_len} bytes ignored: CheckSum does not match"
        )),
        "{out}"
    );
    assert!(out.ends_with("1 valid, 2 invalid\n"), "{out}");
    let (code, out, _) = fixrail(
        &["decode", "-"],
        "8=FIX.4.4|35=0|34=3|49=TW44|52=20261122-10:00:00|56=ISLD|554=secret|\n",
    );
    assert_eq!(code, 1, "554 is not defined for a heartbeat");
    assert!(
        out.contains("<redacted>") && !out.contains("secret"),
        "{out}"
    );
}

#[test]
fn a_broken_dictionary_is_named_with_its_line() {
    let dir = std::env::temp_dir().join(format!("fixrail-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lp.xml");
    std::fs::write(&path, "<fix major='4' minor='4'>\n<header/>\n<trailer/>\n<fields>\n<field number='1' name='Account' type='NOPE'/>\n</fields></fix>").unwrap();
    let (code, _, err) = fixrail(&["dictionary", "check", path.to_str().unwrap()], "");
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        format!(
            "fixrail: {}:5: field 'Account' has unknown type 'NOPE'",
            path.display()
        )
    );
    let (code, out, _) = fixrail(
        &["dictionary", "check", "config/dictionaries/FIX44.xml"],
        "",
    );
    assert_eq!(code, 0);
    assert!(
        out.contains("FIX.4.4 with 912 fields, 93 messages (8 admin)"),
        "{out}"
    );
    let (code, _, err) = fixrail(&["decode", "--dictionary", "/no/such.xml"], "");
    assert_eq!(code, 2);
    assert!(err.contains("/no/such.xml: cannot read"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn unknown_arguments_are_refused_with_usage() {
    let (code, _, err) = fixrail(&["decode", "--bogus"], "");
    assert_eq!(code, 2);
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
}

#[test]
fn demo_trades_against_the_venue_and_reports_latency() {
    // Backing off, so the test never spins the machine's two cores.
    let (code, out, err) = fixrail(
        &["demo", "--orders", "300", "--warmup", "30", "--no-spin"],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("order-to-ack round trip"), "{out}");
    assert!(out.contains("p50 ") && out.contains("p99.99 "), "{out}");
    // Every measured order is paired with its stage stamps.
    assert!(
        out.contains("stage strategy ring → write()") && out.contains("stage read() → event ring"),
        "{out}"
    );
    assert_eq!(out.matches("(300 samples)").count(), 2, "{out}");
    assert!(
        out.contains("300 orders measured") && out.contains("330 fills, 0 rejects"),
        "{out}"
    );
    let (code, _, err) = fixrail(&["demo", "--orders", "0"], "");
    assert_eq!(code, 2);
    assert!(err.contains("--orders: must be at least 1"), "{err}");
}

#[test]
fn bench_throughput_counts_every_inbound_message() {
    // One busy thread (the engine) and a writing client: within the cores.
    let (code, out, err) = fixrail(&["bench", "--throughput", "2000"], "");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("inbound, one write per message: 2000 messages in"),
        "{out}"
    );
    assert!(
        out.contains("inbound, coalesced writes: 2000 messages in"),
        "{out}"
    );
}
