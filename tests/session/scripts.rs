//! QuickFIX's FIX 4.4 acceptance scripts played against the session in process.

use super::*;

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
