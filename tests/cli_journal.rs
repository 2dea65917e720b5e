//! `fixrail journal dump|verify|stats` read a journal without changing it:
//! dump prints and filters records with named tags and no passwords, verify
//! names the file, offset and problem of any damage, stats replays the
//! sequence state, and bad paths or filters are refused with exit code 2.

mod common;
use common::TempDir;

use fixrail::codec::testing::fix;
use fixrail::codec::UtcTimestamp;
use fixrail::journal::record::{flags, Kind};
use fixrail::journal::{Entry, Journal, JournalConfig, Position};
use fixrail::session::{JournalStore, SessionStore};
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixrail(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fixrail"))
        .args(args)
        .output()
        .expect("the binary starts");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// 2026-11-22T10:00:00.123456789Z plus `secs`.
fn t(secs: i64) -> UtcTimestamp {
    let base = UtcTimestamp::from_parts(2026, 11, 22, 10, 0, 0, 123_456_789).unwrap();
    UtcTimestamp::from_unix_nanos(base.unix_nanos() + secs * 1_000_000_000)
}

fn config(dir: &TempDir) -> JournalConfig {
    common::journal_config(dir.path(), 64 * 1024, 4, 8)
}

/// What the test wrote, to compute what each filter must select.
#[derive(Clone, Debug)]
struct Written {
    position: Position,
    session: u32,
    kind: Kind,
    seq: u64,
    msg_type: &'static str,
}

impl Written {
    fn pos(&self) -> String {
        format!("{}:{}", self.position.segment(), self.position.offset())
    }
}

/// Two sessions' traffic: logons carrying passwords, orders, a report, a
/// PossDup resend, a heartbeat, a sequence reset of session 0 and an audit
/// note on session 1. Returns the records in journal order.
fn write_traffic(j: &mut Journal) -> Vec<Written> {
    let mut written = Vec::new();
    let mut add = |j: &mut Journal,
                   session: u32,
                   kind: Kind,
                   seq: u64,
                   msg_type: &'static str,
                   flags: u16,
                   secs: i64,
                   payload: &[u8]| {
        let position = j
            .append(&Entry {
                kind,
                session,
                seq_num: seq,
                msg_type: msg_type.as_bytes(),
                flags,
                timestamp: t(secs),
                payload,
            })
            .unwrap();
        written.push(Written {
            position,
            session,
            kind,
            seq,
            msg_type,
        });
    };
    use Kind::{Audit, Inbound as In, Outbound as Out};
    let adv = flags::ADVANCES_IN;
    add(j, 0, In, 1, "A", adv, 0, &fix("8=FIX.4.4|35=A|34=1|49=LP|52=20261122-10:00:00.123|56=TW|98=0|108=30|553=trader|554=secret|"));
    add(j, 0, Out, 1, "A", 0, 1, &fix("8=FIX.4.4|35=A|34=1|49=TW|52=20261122-10:00:01.123|56=LP|98=0|108=30|554=secret|925=newsecret|"));
    add(j, 0, Out, 2, "D", 0, 2, &fix("8=FIX.4.4|35=D|34=2|49=TW|52=20261122-10:00:02.123|56=LP|11=ord-1|21=1|55=EURUSD|54=1|60=20261122-10:00:02.123|38=1000000|40=1|"));
    add(j, 0, In, 2, "8", adv, 3, &fix("8=FIX.4.4|35=8|34=2|49=LP|52=20261122-10:00:03.123|56=TW|37=x1|11=ord-1|17=e1|150=0|39=0|55=EURUSD|54=1|151=1000000|14=0|6=0|"));
    add(j, 0, Out, 2, "D", flags::POSS_DUP, 4, &fix("8=FIX.4.4|35=D|34=2|43=Y|49=TW|52=20261122-10:00:04.123|56=LP|122=20261122-10:00:02.123|11=ord-1|21=1|55=EURUSD|54=1|60=20261122-10:00:02.123|38=1000000|40=1|"));
    add(j, 1, Out, 1, "D", 0, 5, &fix("8=FIX.4.4|35=D|34=1|49=TW2|52=20261122-10:00:05.123|56=LP2|11=ord-2|21=1|55=USDJPY|54=2|60=20261122-10:00:05.123|38=500000|40=1|"));
    add(
        j,
        1,
        In,
        1,
        "0",
        adv,
        6,
        &fix("8=FIX.4.4|35=0|34=1|49=LP2|52=20261122-10:00:06.123|56=TW2|"),
    );
    let reset_at = j.position();
    JournalStore::new(j, 0)
        .unwrap()
        .reset(t(7), "ResetSeqNumFlag")
        .unwrap();
    written.push(Written {
        position: reset_at,
        session: 0,
        kind: Kind::SeqChange,
        seq: 1,
        msg_type: "",
    });
    let mut add = |j: &mut Journal, w: Written, flags: u16, secs: i64, payload: &[u8]| {
        let p = j
            .append(&Entry {
                kind: w.kind,
                session: w.session,
                seq_num: w.seq,
                msg_type: b"",
                flags,
                timestamp: t(secs),
                payload,
            })
            .unwrap();
        assert_eq!(p, w.position);
        written.push(w);
    };
    let audit = Written {
        position: j.position(),
        session: 1,
        kind: Audit,
        seq: 5,
        msg_type: "",
    };
    add(j, audit, 0, 8, b"MsgSeqNum too low: expected 7, got 5");
    written
}

/// A closed journal with [`write_traffic`] in it; returns the records and
/// the end position.
fn journal(dir: &TempDir) -> (Vec<Written>, Position) {
    let (mut j, _) = Journal::open(config(dir), t(0)).unwrap();
    let written = write_traffic(&mut j);
    let end = j.position();
    drop(j);
    (written, end)
}

fn segment0(dir: &TempDir) -> PathBuf {
    dir.0.join("0000000000000000.seg")
}

/// The positions (first word) of dump's lines.
fn positions(out: &str) -> Vec<&str> {
    out.lines()
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect()
}

fn select(written: &[Written], keep: impl Fn(&Written) -> bool) -> Vec<String> {
    written
        .iter()
        .filter(|w| keep(w))
        .map(Written::pos)
        .collect()
}

#[test]
fn dump_prints_each_record_readably_and_never_a_password() {
    // One line per record with position, UTC time, session, direction, seq,
    // MsgType, flags and the message with named tags; control records show
    // their flags and text; 554 and 925 are redacted with or without names.
    let dir = TempDir::new("dump");
    let (w, _) = journal(&dir);
    let (code, out, err) = fixrail(&["journal", "dump", dir.arg()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err, "");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), w.len(), "{out}");
    assert_eq!(positions(&out), select(&w, |_| true));
    let logon = fix("8=FIX.4.4|35=A|34=1|49=LP|52=20261122-10:00:00.123|56=TW|98=0|108=30|553=trader|554=secret|");
    let body_length = String::from_utf8_lossy(&logon[12..14]).into_owned();
    let checksum = String::from_utf8_lossy(&logon[logon.len() - 4..logon.len() - 1]).into_owned();
    assert_eq!(
        lines[0],
        format!(
            "0:64 2026-11-22T10:00:00.123456789Z session=0 in seq=1 type=A flags=advances-in \
             8(BeginString)=FIX.4.4|9(BodyLength)={body_length}|35(MsgType)=A|34(MsgSeqNum)=1|\
             49(SenderCompID)=LP|52(SendingTime)=20261122-10:00:00.123|56(TargetCompID)=TW|\
             98(EncryptMethod)=0|108(HeartBtInt)=30|553(Username)=trader|\
             554(Password)=<redacted>|10(CheckSum)={checksum}|"
        )
    );
    assert!(
        lines[1].starts_with(&format!(
            "{} 2026-11-22T10:00:01.123456789Z session=0 out seq=1 type=A 8(BeginString)=FIX.4.4|",
            w[1].pos()
        )),
        "{}",
        lines[1]
    );
    assert!(
        lines[1].contains("|554(Password)=<redacted>|925(NewPassword)=<redacted>|10(CheckSum)="),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains(" session=0 out seq=2 type=D 8(BeginString)=FIX.4.4|")
            && lines[2].contains("|11(ClOrdID)=ord-1|21(HandlInst)=1|55(Symbol)=EURUSD|"),
        "{}",
        lines[2]
    );
    assert!(
        lines[4].contains(" session=0 out seq=2 type=D flags=possdup ")
            && lines[4].contains("|43(PossDupFlag)=Y|"),
        "{}",
        lines[4]
    );
    assert_eq!(
        lines[7],
        format!(
            "{} 2026-11-22T10:00:07.123456789Z session=0 seq to=1 flags=reset text=\"ResetSeqNumFlag\"",
            w[7].pos()
        )
    );
    assert_eq!(
        lines[8],
        format!(
            "{} 2026-11-22T10:00:08.123456789Z session=1 audit seq=5 \
             text=\"MsgSeqNum too low: expected 7, got 5\"",
            w[8].pos()
        )
    );
    assert!(!out.contains("secret"), "{out}");

    let (code, plain, _) = fixrail(&["journal", "dump", "--no-names", dir.arg()]);
    assert_eq!(code, 0);
    let first = plain.lines().next().unwrap();
    assert!(
        first.ends_with(&format!(
            " 8=FIX.4.4|9={body_length}|35=A|34=1|49=LP|52=20261122-10:00:00.123|56=TW|98=0|\
             108=30|553=trader|554=<redacted>|10={checksum}|"
        )),
        "{first}"
    );
    assert!(
        !plain.contains("secret") && !plain.contains("(MsgType)"),
        "{plain}"
    );
}

#[test]
fn each_dump_filter_keeps_exactly_the_matching_records() {
    // Session, direction, seq (N, FROM..TO, FROM.., ..TO) and MsgType
    // filters, repeated, comma-listed and combined, select exactly the
    // records the test computes from what it wrote.
    let dir = TempDir::new("filters");
    let (w, _) = journal(&dir);
    let is_msg = |x: &Written| matches!(x.kind, Kind::Inbound | Kind::Outbound);
    let cases: Vec<(Vec<&str>, Vec<String>)> = vec![
        (vec!["--session", "1"], select(&w, |x| x.session == 1)),
        (vec!["--session", "0,1"], select(&w, |_| true)),
        (vec!["--session", "3"], vec![]),
        (
            vec!["--direction", "out"],
            select(&w, |x| x.kind == Kind::Outbound),
        ),
        (
            vec!["--direction", "in", "--direction", "audit"],
            select(&w, |x| matches!(x.kind, Kind::Inbound | Kind::Audit)),
        ),
        (
            vec!["--direction", "seq"],
            select(&w, |x| x.kind == Kind::SeqChange),
        ),
        (vec!["--seq", "2"], select(&w, |x| x.seq == 2)),
        (
            vec!["--seq", "2..5"],
            select(&w, |x| (2..=5).contains(&x.seq)),
        ),
        (vec!["--seq", "2.."], select(&w, |x| x.seq >= 2)),
        (vec!["--seq", "..1"], select(&w, |x| x.seq <= 1)),
        (
            vec!["--msg-type", "D"],
            select(&w, |x| is_msg(x) && x.msg_type == "D"),
        ),
        (
            vec!["--msg-type", "A,8", "--msg-type", "0"],
            select(&w, |x| is_msg(x) && ["A", "8", "0"].contains(&x.msg_type)),
        ),
        (
            vec![
                "--session",
                "0",
                "--direction",
                "out",
                "--seq",
                "2..2",
                "--msg-type",
                "D",
            ],
            select(&w, |x| {
                x.session == 0 && x.kind == Kind::Outbound && x.seq == 2 && x.msg_type == "D"
            }),
        ),
    ];
    for (filter, expected) in cases {
        let mut args = vec!["journal", "dump"];
        args.extend(&filter);
        args.push(dir.arg());
        let (code, out, err) = fixrail(&args);
        assert_eq!(code, 0, "{filter:?}: {err}");
        assert_eq!(positions(&out), expected, "{filter:?}:\n{out}");
    }
    // Sanity: the cases are not vacuous.
    assert_eq!(
        select(&w, |x| x.session == 0
            && x.kind == Kind::Outbound
            && x.seq == 2)
        .len(),
        2
    );
}

#[test]
fn bad_filter_values_name_the_argument_and_what_it_expects() {
    // clap refuses them before the journal is read, with exit code 2.
    let dir = TempDir::new("badargs");
    journal(&dir);
    let cases = [
        (
            vec!["--seq", "abc"],
            "invalid value 'abc' for '--seq <FROM..TO>': expected a sequence number N, \
             or a range FROM..TO, FROM.. or ..TO",
        ),
        (
            vec!["--seq", "9..3"],
            "invalid value '9..3' for '--seq <FROM..TO>': FROM (9) is greater than TO (3)",
        ),
        (
            vec!["--direction", "sideways"],
            "invalid value 'sideways' for '--direction <DIRECTION>'",
        ),
        (
            vec!["--direction", "sideways"],
            "[possible values: in, out, seq, audit]",
        ),
        (
            vec!["--session", "x"],
            "invalid value 'x' for '--session <ID>'",
        ),
        (
            vec!["--msg-type", "D=1"],
            "invalid value 'D=1' for '--msg-type <TYPE>': expected a MsgType such as D or 8",
        ),
    ];
    for (filter, expected) in cases {
        let mut args = vec!["journal", "dump"];
        args.extend(&filter);
        args.push(dir.arg());
        let (code, out, err) = fixrail(&args);
        assert_eq!(code, 2, "{filter:?}");
        assert_eq!(out, "", "{filter:?}");
        assert!(err.contains(expected), "{filter:?}: {err}");
    }
}

#[test]
fn verify_passes_a_clean_journal_with_a_summary() {
    // Exit 0 and one line: segments, records and where the next record goes.
    let dir = TempDir::new("clean");
    let (w, end) = journal(&dir);
    let (code, out, err) = fixrail(&["journal", "verify", dir.arg()]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!(
            "{}: clean: 1 segment, {} records, end 0:{}\n",
            dir.arg(),
            w.len(),
            end.offset()
        )
    );
}

#[test]
fn the_tools_read_a_journal_while_its_writer_has_it_open() {
    // No lock is needed: verify, dump and stats run beside a live Journal
    // (which holds the directory lock) and see records appended after they
    // were first run.
    let dir = TempDir::new("live");
    let (mut j, _) = Journal::open(config(&dir), t(0)).unwrap();
    let w = write_traffic(&mut j);
    let (code, out, err) = fixrail(&["journal", "verify", dir.arg()]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        format!(
            "{}: clean: 1 segment, {} records, end 0:{}\n",
            dir.arg(),
            w.len(),
            j.position().offset()
        )
    );
    let (code, out, _) = fixrail(&["journal", "dump", dir.arg()]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), w.len());
    let more = fix("8=FIX.4.4|35=0|34=2|49=LP2|52=20261122-10:00:09.123|56=TW2|");
    let p = j
        .append(&Entry {
            kind: Kind::Inbound,
            session: 1,
            seq_num: 2,
            msg_type: b"0",
            flags: flags::ADVANCES_IN,
            timestamp: t(9),
            payload: &more,
        })
        .unwrap();
    let (code, out, _) = fixrail(&["journal", "dump", "--session", "1", "--seq", "2", dir.arg()]);
    assert_eq!(code, 0);
    assert_eq!(positions(&out), [format!("{}:{}", p.segment(), p.offset())]);
    let (code, out, _) = fixrail(&["journal", "stats", dir.arg()]);
    assert_eq!(code, 0);
    assert!(
        out.contains("  session 1: next out 2, next in 3, never reset\n"),
        "{out}"
    );
    // The writer still owns the journal: a second writer is refused.
    assert!(Journal::open(config(&dir), t(0)).is_err());
}

#[test]
fn verify_names_the_segment_offset_and_problem_of_damage_and_changes_nothing() {
    // A flipped payload byte in the middle is a corrupt record, zeroed bytes
    // in the last record a torn tail: exit 1, one line each with the segment
    // file and offset, and the file is byte-for-byte unchanged afterwards.
    // dump and stats still work, skipping the damage with a warning.
    let dir = TempDir::new("damage");
    let (w, _) = journal(&dir);
    let seg = segment0(&dir);
    let mut bytes = std::fs::read(&seg).unwrap();
    let nos = w[2].position.offset() as usize;
    bytes[nos + 40 + 30] ^= 0x20; // inside the NewOrderSingle's payload
    let last = w[8].position.offset() as usize;
    bytes[last + 44..last + 60].fill(0); // the audit record's text
    std::fs::write(&seg, &bytes).unwrap();

    let (code, out, err) = fixrail(&["journal", "verify", dir.arg()]);
    assert_eq!((code, err.as_str()), (1, ""), "{out}");
    let seg_name = seg.display();
    assert_eq!(
        out,
        format!(
            "{seg_name}: offset {nos}: corrupt record (CRC mismatch): {} bytes skipped to the \
             next good record at offset {}\n\
             {seg_name}: offset {last}: torn tail (CRC mismatch): the last {} bytes of the \
             segment hold no verifiable record (a writer opening the journal cuts them)\n\
             {}: DAMAGED: 2 problems; 1 segment, 7 records verified, end 0:{last}\n",
            w[3].position.offset() as usize - nos,
            w[3].position.offset(),
            64 * 1024 - last,
            dir.arg(),
        )
    );
    assert!(
        std::fs::read(&seg).unwrap() == bytes,
        "verify must not change the segment (no torn-tail cut)"
    );

    let (code, out, err) = fixrail(&["journal", "dump", dir.arg()]);
    assert_eq!(code, 0);
    let kept: Vec<String> = [0, 1, 3, 4, 5, 6, 7].iter().map(|&i| w[i].pos()).collect();
    assert_eq!(positions(&out), kept);
    assert_eq!(
        err.lines().collect::<Vec<_>>(),
        [
            format!("fixrail: warning: {seg_name}: offset {nos}: corrupt record (CRC mismatch): {} bytes skipped to the next good record at offset {}", w[3].position.offset() as usize - nos, w[3].position.offset()),
            format!("fixrail: warning: {seg_name}: offset {last}: torn tail (CRC mismatch): the last {} bytes of the segment hold no verifiable record (a writer opening the journal cuts them)", 64 * 1024 - last),
        ]
    );
    let (code, out, _) = fixrail(&["journal", "stats", dir.arg()]);
    assert_eq!(code, 0);
    assert_eq!(
        out.lines().next().unwrap(),
        format!(
            "{}: 1 segment, 7 records, 2 sessions, end 0:{last} \
             (2 damaged regions skipped; see `fixrail journal verify`)",
            dir.arg()
        )
    );
    assert_eq!(std::fs::read(&seg).unwrap(), bytes);
}

#[test]
fn damage_in_a_middle_segment_is_named_by_that_segment_file() {
    // Across segment roll-overs: a corrupt record and a torn end in segment 1
    // are attributed to 0000000000000001.seg, every record of the later
    // segments is still read, filters work across segment boundaries, and a
    // missing segment is reported.
    let dir = TempDir::new("segments");
    let (mut j, _) = Journal::open(config(&dir), t(0)).unwrap();
    let appended: Vec<Position> = (1..=2000u64)
        .map(|seq| {
            let m = fix(&format!("8=FIX.4.4|35=0|34={seq}|49=TW|56=LP|"));
            j.append(&Entry {
                kind: Kind::Outbound,
                session: 2,
                seq_num: seq,
                msg_type: b"0",
                flags: 0,
                timestamp: t(seq as i64),
                payload: &m,
            })
            .unwrap()
        })
        .collect();
    let end = j.position();
    drop(j);
    assert!(end.segment() >= 2, "the test needs three segments");
    let segments = fixrail::journal::list_segments(&dir.0).unwrap().len();
    let in_seg1: Vec<usize> = (0..appended.len())
        .filter(|&i| appended[i].segment() == 1)
        .collect();
    let (mid, last) = (in_seg1[in_seg1.len() / 2], *in_seg1.last().unwrap());
    let seg1 = dir.0.join("0000000000000001.seg");
    let mut bytes = std::fs::read(&seg1).unwrap();
    let at = |i: usize| appended[i].offset() as usize;
    bytes[at(mid) + 16] ^= 0x01; // the header's seq_num
    bytes[at(last) + 44..at(last) + 56].fill(0);
    std::fs::write(&seg1, &bytes).unwrap();

    let (code, out, _) = fixrail(&["journal", "verify", dir.arg()]);
    assert_eq!(code, 1, "{out}");
    let seg1 = seg1.display();
    assert_eq!(
        out,
        format!(
            "{seg1}: offset {}: corrupt record (CRC mismatch): {} bytes skipped to the next \
             good record at offset {}\n\
             {seg1}: offset {}: torn tail (CRC mismatch): the last {} bytes of the segment \
             hold no verifiable record\n\
             {}: DAMAGED: 2 problems; {segments} segments, 1998 records verified, end {}:{}\n",
            at(mid),
            at(mid + 1) - at(mid),
            at(mid + 1),
            at(last),
            64 * 1024 - at(last),
            dir.arg(),
            end.segment(),
            end.offset(),
        )
    );
    let (code, out, _) = fixrail(&[
        "journal",
        "dump",
        "--seq",
        &format!("{}..{}", last, last + 2),
        dir.arg(),
    ]);
    assert_eq!(code, 0);
    // seq = index + 1: seq `last + 1` is the torn record, so only two remain.
    let expected: Vec<String> = [last - 1, last + 1]
        .iter()
        .map(|&i| format!("{}:{}", appended[i].segment(), appended[i].offset()))
        .collect();
    assert_eq!(positions(&out), expected, "{out}");
    // A segment missing in the middle is named too.
    std::fs::remove_file(dir.0.join("0000000000000001.seg")).unwrap();
    let (code, out, _) = fixrail(&["journal", "verify", dir.arg()]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out.lines().next().unwrap(),
        format!(
            "{}: segment 1 is missing before it",
            dir.0.join("0000000000000002.seg").display()
        )
    );
}

#[test]
fn verify_reports_a_truncated_segment_file() {
    // A segment cut short mid-record: the file size no longer matches its
    // header, and the record running past the end is a torn tail.
    let dir = TempDir::new("truncated");
    let (w, _) = journal(&dir);
    let seg = segment0(&dir);
    let cut = w[5].position.offset() as u64 + 20;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(cut)
        .unwrap();
    let (code, out, _) = fixrail(&["journal", "verify", dir.arg()]);
    assert_eq!(code, 1, "{out}");
    let seg_name = seg.display();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "{seg_name}: the file is {cut} bytes but its header says 65536 (truncated or extended)"
        )
    );
    assert_eq!(
        lines[1],
        format!(
            "{seg_name}: offset {}: torn tail (record header runs past the segment end): the \
             last 20 bytes of the segment hold no verifiable record (a writer opening the \
             journal cuts them)",
            w[5].position.offset()
        )
    );
    assert_eq!(
        lines[2],
        format!(
            "{}: DAMAGED: 2 problems; 1 segment, 5 records verified, end 0:{}",
            dir.arg(),
            w[5].position.offset()
        )
    );
    assert_eq!(lines.len(), 3);
}

#[test]
fn stats_counts_records_and_replays_sequence_state() {
    // Per direction, session and MsgType, and the counters recovery would
    // rebuild: session 0 was reset (next out 1), session 1 was not.
    let dir = TempDir::new("stats");
    let (w, end) = journal(&dir);
    let (code, out, err) = fixrail(&["journal", "stats", dir.arg()]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out,
        format!(
            "{}: 1 segment, 9 records, 2 sessions, end 0:{}\n\
             by direction: in 3, out 4, seq 1, audit 1\n\
             by session:\n  \
               session 0: 6 records (in 2, out 3, seq 1, audit 0)\n  \
               session 1: 3 records (in 1, out 1, seq 0, audit 1)\n\
             by MsgType:\n  \
               0 Heartbeat: 1 (in 1, out 0)\n  \
               8 ExecutionReport: 1 (in 1, out 0)\n  \
               A Logon: 2 (in 1, out 1)\n  \
               D NewOrderSingle: 3 (in 0, out 3)\n\
             sequence state (as recovery rebuilds it):\n  \
               session 0: next out 1, next in 1, last reset at {}\n  \
               session 1: next out 2, next in 2, never reset\n",
            dir.arg(),
            end.offset(),
            w[7].pos()
        )
    );
    // The same state the writer recovers when it reopens the journal.
    let (j, _) = Journal::open(config(&dir), t(100)).unwrap();
    let s0 = j.session(0).unwrap();
    assert_eq!(
        (s0.next_out, s0.next_in, s0.last_reset),
        (1, 1, Some(w[7].position))
    );
    let s1 = j.session(1).unwrap();
    assert_eq!((s1.next_out, s1.next_in, s1.last_reset), (2, 2, None));
}

#[test]
fn a_path_that_is_not_a_journal_is_named_with_the_problem() {
    // Missing, a file, or a directory without segments: exit 2 with the path;
    // nothing is created.
    let dir = TempDir::new("notajournal");
    let missing = dir.0.join("missing");
    let missing = missing.to_str().unwrap();
    for tool in ["dump", "verify", "stats"] {
        let (code, out, err) = fixrail(&["journal", tool, missing]);
        assert_eq!((code, out.as_str()), (2, ""), "{tool}");
        assert_eq!(
            err,
            format!(
                "fixrail: {missing}: cannot open journal directory: \
                 No such file or directory (os error 2)\n"
            ),
            "{tool}"
        );
    }
    assert!(!Path::new(missing).exists());
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join("file.txt");
    std::fs::write(&file, "x").unwrap();
    let (code, _, err) = fixrail(&["journal", "verify", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!(
            "fixrail: {}: not a journal directory (it is a file",
            file.display()
        )),
        "{err}"
    );
    let (code, _, err) = fixrail(&["journal", "dump", dir.arg()]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        format!(
            "fixrail: {}: not a journal directory: no segment files \
             (0000000000000000.seg ...) in it\n",
            dir.arg()
        )
    );
}
