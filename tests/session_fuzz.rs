//! Random and mutated counterparty byte streams into framer + session, on
//! stable Rust: never a panic, and every answer a well-formed, valid,
//! correctly numbered message (the invariants are in
//! `tests/fuzz/session_harness.rs`, shared with the `session` cargo-fuzz
//! target). Seeded, so a failure names a seed that reproduces it.

mod common;

#[path = "fuzz/session_harness.rs"]
mod session_harness;

use common::Rng;
use fixrail::codec::testing::fix;

/// A plausible counterparty message with sequence number `seq`.
fn message(rng: &mut Rng, seq: u64) -> Vec<u8> {
    let t = "20260921-14:13:20.000";
    let h = |ty: &str| format!("8=FIX.4.4|35={ty}|34={seq}|49=TW|52={t}|56=ISLD|");
    let text = match rng.below(14) {
        0 => h("0"),
        1 => format!("{}112=T{seq}|", h("1")),
        2 => format!("{}7={}|16={}|", h("2"), 1 + rng.below(seq as usize + 3), rng.below(4)),
        3 => format!("{}123=Y|36={}|", h("4"), seq + rng.below(5) as u64),
        4 => format!("{}36={}|", h("4"), rng.below(seq as usize + 5)),
        5 => format!("{}45={}|", h("3"), rng.below(9)),
        6 | 7 => format!(
            "{}11=ID{seq}|21=1|38=100|40=1|54=1|55=INTC|60={t}|",
            h("D")
        ),
        8 => format!(
            "8=FIX.4.4|35=D|34={seq}|43=Y|49=TW|52={t}|56=ISLD|122={t}|11=ID{seq}|21=1|38=100|40=1|54=1|55=INTC|60={t}|"
        ),
        9 => format!("8=FIX.4.4|35=D|34={seq}|49=TW|52={t}|56=ISLD|97=Y|11=ID1|21=1|40=1|54=1|55=INTC|60={t}|"),
        10 => format!("{}37=X|17=Y|150=0|39=0|55=WLRI|54=1|151=100|14=0|6=0|", h("8")),
        11 => format!("{}22=8|55=TBS|167=CS|320=R1|322=R2|323=6|336=ONE|454=0|", h("d")),
        12 => format!("{}58=bye|", h("5")),
        _ => format!("{}999=HI|", h("0")),
    };
    fix(&text)
}

fn mutate(rng: &mut Rng, stream: &mut Vec<u8>) {
    for _ in 0..rng.below(4) {
        if stream.is_empty() {
            return;
        }
        let at = rng.below(stream.len());
        match rng.below(6) {
            0 => stream[at] = rng.next() as u8,
            1 => stream[at] = b"\x01=0123456789|8FIX"[rng.below(17)],
            2 => {
                let end = (at + 1 + rng.below(40)).min(stream.len());
                stream.drain(at..end);
            }
            3 => {
                let end = (at + 1 + rng.below(60)).min(stream.len());
                let copy = stream[at..end].to_vec();
                let to = rng.below(stream.len());
                stream.splice(to..to, copy);
            }
            4 => stream.insert(at, rng.next() as u8),
            _ => stream.truncate(at),
        }
    }
}

#[test]
fn mutated_session_streams_get_the_specs_answers_and_never_a_panic() {
    let cases = 3_000;
    let mut total = session_harness::Stats::default();
    for case in 0..cases {
        let seed = 0x5E55_1011_0000_0000 + case;
        let mut rng = Rng(seed);
        let mut seq = 2u64;
        let mut stream = Vec::new();
        for _ in 0..1 + rng.below(30) {
            // Mostly in order; sometimes a gap, a repeat or a step back.
            match rng.below(10) {
                0 => seq += 1 + rng.below(4) as u64,
                1 => seq = seq.saturating_sub(1 + rng.below(3) as u64).max(1),
                _ => {}
            }
            stream.extend_from_slice(&message(&mut rng, seq));
            seq += 1;
        }
        if case % 2 == 1 {
            mutate(&mut rng, &mut stream);
        }
        let chunk = [0u8, 1, 7, 64, 255][rng.below(5)];
        let mut input = vec![chunk];
        input.extend_from_slice(&stream);
        let r = std::panic::catch_unwind(|| session_harness::fuzz_session(&input));
        if let Ok(stats) = &r {
            for (k, v) in &stats.sent {
                *total.sent.entry(k.clone()).or_default() += v;
            }
            total.poss_dup += stats.poss_dup;
            total.disconnects += stats.disconnects;
        }
        if let Err(e) = r {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "seed {seed:#x} (case {case}) broke an invariant: {msg}\ninput: {}",
                fixrail::codec::testing::show(&input[1..])
            );
        }
    }
    // The streams reach every kind of answer, so the invariants were checked
    // on all of them.
    eprintln!("{total:?}");
    for t in ["A", "0", "2", "3", "5", "D", "d", "j"] {
        assert!(
            total.sent.get(t).copied().unwrap_or(0) > 10,
            "no {t} answers: {total:?}"
        );
    }
    assert!(total.poss_dup > 10, "no resends: {total:?}");
    assert!(total.disconnects > 10, "no disconnects: {total:?}");
}

#[test]
fn random_bytes_after_logon_never_panic() {
    for case in 0..2_000u64 {
        let mut rng = Rng(0xB17E_5000 + case);
        let len = rng.below(600);
        let mut input: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if !input.is_empty() {
            input[0] = [0u8, 1, 13][rng.below(3)];
        }
        session_harness::fuzz_session(&input);
    }
}
