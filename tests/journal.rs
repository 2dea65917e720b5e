//! The journal keeps every record, rebuilds sequence state and the resend
//! index from disk, cuts what it cannot verify, and prunes only what no resend
//! can need.

mod common;
use common::TempDir;

use fixrail::codec::UtcTimestamp;
use fixrail::journal::record::{flags, Kind};
use fixrail::journal::{
    list_segments, Durability, Entry, Journal, JournalConfig, JournalReader, Position, Retention,
    Scanned,
};
use fixrail::session::{JournalStore, SessionStore};
use std::path::PathBuf;
use std::time::Duration;

fn t(secs: i64) -> UtcTimestamp {
    UtcTimestamp::from_unix_nanos(1_790_000_000_000_000_000 + secs * 1_000_000_000)
}

fn config(dir: &TempDir) -> JournalConfig {
    common::journal_config(dir.path(), 64 * 1024, 4, 8)
}

fn msg(seq: u64) -> Vec<u8> {
    format!("8=FIX.4.4|35=D|34={seq}|49=A|56=B|11=ord-{seq}|").into_bytes()
}

fn out<'a>(session: u32, seq: u64, payload: &'a [u8]) -> Entry<'a> {
    Entry {
        kind: Kind::Outbound,
        session,
        seq_num: seq,
        msg_type: b"D",
        flags: 0,
        timestamp: t(seq as i64),
        payload,
    }
}

fn inbound<'a>(session: u32, seq: u64, advances: bool, payload: &'a [u8]) -> Entry<'a> {
    Entry {
        kind: Kind::Inbound,
        session,
        seq_num: seq,
        msg_type: b"8",
        flags: if advances { flags::ADVANCES_IN } else { 0 },
        timestamp: t(seq as i64),
        payload,
    }
}

#[test]
fn reopening_rebuilds_sequence_state_across_segment_rollovers() {
    // 2,000 records over 64 KiB segments roll over several times; after a
    // reopen every record reads back in order and both counters continue.
    let dir = TempDir::new("reopen");
    let (mut j, report) = Journal::open(config(&dir), t(0)).unwrap();
    assert_eq!(report.records, 0);
    for seq in 1..=1000 {
        j.append(&out(0, seq, &msg(seq))).unwrap();
        j.append(&inbound(0, seq, true, &msg(seq))).unwrap();
    }
    assert!(
        j.position().segment() >= 2,
        "rolled over twice: {}",
        j.position()
    );
    let end = j.position();
    drop(j);
    let (j, report) = Journal::open(config(&dir), t(0)).unwrap();
    assert_eq!(report.records, 2000);
    assert!(
        report.corrupt.is_empty() && report.torn_tail.is_none(),
        "{report:?}"
    );
    assert_eq!(report.end, end);
    let s = j.session(0).unwrap();
    assert_eq!((s.next_out, s.next_in), (1001, 1001));
    let reader = JournalReader::open(&dir.0).unwrap();
    let seqs: Vec<(Kind, u64)> = reader
        .iter_from(Position::default())
        .records()
        .map(|r| (r.kind, r.header.seq_num))
        .collect();
    let expected: Vec<(Kind, u64)> = (1..=1000)
        .flat_map(|s| [(Kind::Outbound, s), (Kind::Inbound, s)])
        .collect();
    assert_eq!(seqs, expected);
}

#[test]
fn the_session_store_journals_every_change_that_a_message_does_not_imply() {
    // Resets, manual sets and a message processed after a gap fill survive a
    // reopen; a message queued behind a gap does not advance the counter.
    let dir = TempDir::new("seqstore");
    {
        let (mut j, _) = Journal::open(config(&dir), t(0)).unwrap();
        j.append(&inbound(1, 1, true, b"x")).unwrap();
        j.append(&inbound(1, 3, false, b"queued behind a gap"))
            .unwrap();
        assert_eq!(j.session(1).unwrap().next_in, 2);
        let mut store = JournalStore::new(&mut j, 1).unwrap();
        assert_eq!(store.next_out(), 1);
        assert_eq!(store.next_in(), 2);
        store
            .set_next_in(3, t(2), "gap filled by SequenceReset")
            .unwrap();
        store
            .set_next_in(4, t(3), "held message processed")
            .unwrap();
        assert_eq!(store.next_in(), 4);
        store
            .set_next_out(1083, t(4), "counterparty expects 1083")
            .unwrap();
        assert_eq!(store.next_out(), 1083);
    }
    {
        let (mut j, report) = Journal::open(config(&dir), t(5)).unwrap();
        assert_eq!(report.records, 5, "2 messages + 3 seq changes");
        let s = j.session(1).unwrap();
        assert_eq!((s.next_out, s.next_in), (1083, 4));
        JournalStore::new(&mut j, 1)
            .unwrap()
            .reset(t(6), "ResetSeqNumFlag")
            .unwrap();
    }
    let (j, _) = Journal::open(config(&dir), t(7)).unwrap();
    let s = j.session(1).unwrap();
    assert_eq!((s.next_out, s.next_in), (1, 1));
    assert!(s.last_reset.is_some());
    let reader = JournalReader::open(&dir.0).unwrap();
    let reasons: Vec<String> = reader
        .iter_from(Position::default())
        .records()
        .filter(|r| r.kind == Kind::SeqChange)
        .map(|r| String::from_utf8_lossy(r.payload).into_owned())
        .collect();
    assert_eq!(
        reasons,
        [
            "gap filled by SequenceReset",
            "held message processed",
            "counterparty expects 1083",
            "ResetSeqNumFlag"
        ]
    );
}

#[test]
fn resends_come_from_the_journal_in_order_even_past_the_ring_index() {
    // The ring index holds 8 entries; a resend of 1..=20 finds the older
    // ones by scanning, skips PossDup copies and other sessions, in order.
    let dir = TempDir::new("resend");
    let (mut j, _) = Journal::open(config(&dir), t(0)).unwrap();
    for seq in 1..=20 {
        j.append(&out(2, seq, &msg(seq))).unwrap();
        j.append(&out(3, seq, b"other session")).unwrap();
        if seq == 5 {
            let dup = Entry {
                flags: flags::POSS_DUP,
                ..out(2, 3, b"a resend of 3")
            };
            j.append(&dup).unwrap();
        }
    }
    let mut got = Vec::new();
    j.outbound_range(2, 1, 20, |r| {
        got.push((r.header.seq_num, r.payload.to_vec()))
    })
    .unwrap();
    assert_eq!(got.len(), 20);
    for (i, (seq, payload)) in got.iter().enumerate() {
        assert_eq!(*seq, i as u64 + 1);
        assert_eq!(payload, &msg(*seq));
    }
    // A range past what was sent is capped; an empty one calls nothing.
    let mut n = 0;
    j.outbound_range(2, 18, 1_000_000, |_| n += 1).unwrap();
    assert_eq!(n, 3);
    j.outbound_range(2, 21, 30, |_| n += 1).unwrap();
    assert_eq!(n, 3);
}

/// Appends `n` records, closes, and returns (segment file path, record positions).
fn journal_with(dir: &TempDir, n: u64) -> (PathBuf, Vec<Position>) {
    let (mut j, _) = Journal::open(config(dir), t(0)).unwrap();
    let positions = (1..=n)
        .map(|seq| j.append(&out(0, seq, &msg(seq))).unwrap())
        .collect();
    drop(j);
    (list_segments(&dir.0).unwrap()[0].1.clone(), positions)
}

#[test]
fn a_torn_tail_is_cut_and_appending_resumes_in_its_place() {
    // Truncating the file mid-record (a torn write) loses only that record;
    // the journal reopens, reports it, and the next append takes its place.
    let dir = TempDir::new("torn");
    let (path, positions) = journal_with(&dir, 10);
    let last = positions[9].offset() as u64;
    // Simulate the tail of the last record never reaching the page cache.
    let bytes = std::fs::read(&path).unwrap();
    let mut torn = bytes.clone();
    for b in &mut torn[last as usize + 44..last as usize + 60] {
        *b = 0;
    }
    std::fs::write(&path, &torn).unwrap();
    let (mut j, report) = Journal::open(config(&dir), t(0)).unwrap();
    assert_eq!(report.records, 9);
    let tail = report.torn_tail.expect("torn tail reported");
    assert_eq!(tail.position, positions[9]);
    assert_eq!(tail.what, "CRC mismatch");
    assert_eq!(
        j.session(0).unwrap().next_out,
        10,
        "seq 10 is lost with its record"
    );
    assert_eq!(j.append(&out(0, 10, &msg(10))).unwrap(), positions[9]);
    drop(j);
    let (_, report) = Journal::open(config(&dir), t(0)).unwrap();
    assert_eq!((report.records, report.torn_tail), (10, None));
}

#[test]
fn a_flipped_byte_is_detected_and_only_that_record_is_skipped() {
    // A bit flip in a payload, then in a header, in the middle of the
    // journal: each costs exactly its own record, everything after is kept.
    for (name, byte_in_record) in [("payload", 50usize), ("header", 18usize)] {
        let dir = TempDir::new(&format!("flip-{name}"));
        let (path, positions) = journal_with(&dir, 10);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[positions[4].offset() as usize + byte_in_record] ^= 0x10;
        std::fs::write(&path, &bytes).unwrap();
        let (j, report) = Journal::open(config(&dir), t(0)).unwrap();
        assert_eq!(report.records, 9, "{name}");
        assert_eq!(report.corrupt.len(), 1, "{name}: {report:?}");
        assert_eq!(report.corrupt[0].position, positions[4]);
        assert_eq!(
            report.corrupt[0].len as u32,
            positions[5].offset() - positions[4].offset()
        );
        assert!(report.torn_tail.is_none());
        assert_eq!(j.session(0).unwrap().next_out, 11);
        let kinds_of = |reader: &JournalReader| -> Vec<&'static str> {
            reader
                .iter_from(Position::default())
                .map(|s| match s {
                    Scanned::Record(_) => "record",
                    Scanned::Corrupt { .. } => "corrupt",
                    Scanned::TornTail { .. } => "torn",
                    _ => "other",
                })
                .collect()
        };
        // Beside a live writer in this process, a reader does not read past
        // the corrupt record (that would read bytes the writer may be writing).
        let live = kinds_of(&JournalReader::open(&dir.0).unwrap());
        assert_eq!(
            live,
            ["record", "record", "record", "record", "torn"],
            "{name}"
        );
        drop(j);
        // A tool reading offline skips just that record.
        let kinds = kinds_of(&JournalReader::open_offline(&dir.0).unwrap());
        assert_eq!(kinds.iter().filter(|k| **k == "record").count(), 9);
        assert_eq!(kinds[4], "corrupt", "{name}");
    }
}

#[test]
fn a_second_writer_is_refused_and_bad_config_is_named() {
    let dir = TempDir::new("lock");
    let (_j, _) = Journal::open(config(&dir), t(0)).unwrap();
    let err = Journal::open(config(&dir), t(0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: journal is locked by another process", dir.0.display())
    );
    let other = TempDir::new("badcfg");
    let err = Journal::open(
        JournalConfig {
            segment_size_bytes: 1000,
            ..config(&other)
        },
        t(0),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("segment_size_bytes = 1000: must be a multiple of 4096"),
        "{err}"
    );
}

#[test]
fn pruning_keeps_what_a_resend_may_need() {
    // Segments before a session's reset go; segments holding messages that
    // may still be resent stay, unless they are outside the resend window
    // and older than max_age.
    let dir = TempDir::new("prune");
    let (mut j, _) = Journal::open(config(&dir), t(0)).unwrap();
    for seq in 1..=2000 {
        j.append(&out(0, seq, &msg(seq))).unwrap();
    }
    let before_reset = j.position().segment();
    assert!(before_reset >= 2);
    let nothing = j.prune(&Retention::default(), t(10_000)).unwrap();
    assert!(nothing.removed.is_empty());
    assert_eq!(
        nothing.kept_because,
        Some((0, "holds messages a resend may need"))
    );
    JournalStore::new(&mut j, 0)
        .unwrap()
        .reset(t(2001), "new day")
        .unwrap();
    for seq in 1..=1000 {
        j.append(&out(0, seq, &msg(seq))).unwrap();
    }
    let report = j.prune(&Retention::default(), t(10_000)).unwrap();
    assert_eq!(report.removed, (0..before_reset).collect::<Vec<_>>());
    assert_eq!(
        report.kept_because.map(|k| k.1),
        Some("holds messages a resend may need")
    );
    // The messages since the reset can still be resent.
    let mut n = 0;
    j.outbound_range(0, 1, 1000, |_| n += 1).unwrap();
    assert_eq!(n, 1000);
    // With a resend window and max_age that both exclude them, they go too
    // (except the segment being written).
    let archive = TempDir::new("archive");
    let all = Retention {
        max_age: Some(Duration::from_secs(60)),
        resend_window: Some(Duration::from_secs(60)),
        archive_dir: Some(archive.0.clone()),
    };
    let report = j.prune(&all, t(100_000)).unwrap();
    assert!(!report.removed.is_empty());
    assert_eq!(
        report.kept_because.map(|k| k.1),
        Some("the segment being written")
    );
    assert_eq!(
        list_segments(&archive.0).unwrap().len(),
        report.removed.len()
    );
}

#[test]
fn async_durability_publishes_a_durable_position() {
    // The flusher syncs in the background and the durable position catches
    // up with what was written.
    let dir = TempDir::new("async");
    let (mut j, _) = Journal::open(
        JournalConfig {
            durability: Durability::Async,
            ..config(&dir)
        },
        t(0),
    )
    .unwrap();
    for seq in 1..=100 {
        j.append(&out(0, seq, &msg(seq))).unwrap();
    }
    let target = j.position();
    let handle = j.durable_position_handle();
    let mut waited = 0;
    while Position(handle.load(std::sync::atomic::Ordering::Acquire)) < target {
        std::thread::sleep(Duration::from_millis(1));
        waited += 1;
        assert!(waited < 5_000, "the flusher never caught up");
    }
    assert_eq!(j.flush_errors(), 0);
    let dir2 = TempDir::new("sync");
    let (mut j, _) = Journal::open(
        JournalConfig {
            durability: Durability::Sync,
            ..config(&dir2)
        },
        t(0),
    )
    .unwrap();
    j.append(&out(0, 1, &msg(1))).unwrap();
    assert_eq!(
        j.durable_position(),
        j.position(),
        "sync mode is durable on return"
    );
}

#[test]
fn reopening_after_a_roll_over_keeps_the_closed_segments_end_mark() {
    // Regression: recovery cleared the SEGMENT_END mark of a closed segment
    // when it resumed in the next one; a reader then had to guess that the
    // segment was torn rather than closed.
    let dir = TempDir::new("endmark");
    let (mut j, _) = Journal::open(config(&dir), t(0)).unwrap();
    let mut last_in_first = Position::default();
    let mut seq = 1;
    while j.position().segment() == 0 {
        let p = j.append(&out(0, seq, &msg(seq))).unwrap();
        if p.segment() == 0 {
            last_in_first = p;
        }
        seq += 1;
    }
    drop(j);
    // As if the crash came right after the roll-over: segment 0 closed,
    // segment 1 gone (or empty, which recovery removes). Recovery resumes in
    // a fresh segment 1.
    std::fs::remove_file(&list_segments(&dir.0).unwrap()[1].1).unwrap();
    let (j, report) = Journal::open(config(&dir), t(0)).unwrap();
    assert_eq!(report.records, seq - 2, "all of segment 0");
    assert_eq!(j.position().segment(), 1);
    let segment0 = std::fs::read(&list_segments(&dir.0).unwrap()[0].1).unwrap();
    let reader = JournalReader::open(&dir.0).unwrap();
    let end = reader.record_at(last_in_first).unwrap().end().offset() as usize;
    let mark = u32::from_le_bytes(segment0[end..end + 4].try_into().unwrap());
    assert_eq!(mark, fixrail::journal::record::SEGMENT_END);
}

#[test]
fn resends_after_a_rewind_or_a_reset_serve_the_newest_originals() {
    // Regression: after set_next_out rewound a session, the scan fallback
    // served the first (stale) original of a seq; and a reset must make
    // pre-reset index entries invisible without clearing the ring.
    let dir = TempDir::new("rewind");
    let (mut j, _) = Journal::open(config(&dir), t(0)).unwrap();
    for seq in 1..=20 {
        j.append(&out(0, seq, format!("old{seq}").as_bytes()))
            .unwrap();
    }
    JournalStore::new(&mut j, 0)
        .unwrap()
        .set_next_out(5, t(21), "rewind")
        .unwrap();
    for seq in 5..=20 {
        j.append(&out(0, seq, format!("new{seq}").as_bytes()))
            .unwrap();
    }
    let mut got = Vec::new();
    j.outbound_range(0, 1, 20, |r| {
        got.push(String::from_utf8_lossy(r.payload).into_owned())
    })
    .unwrap();
    let expected: Vec<String> = (1..=4)
        .map(|s| format!("old{s}"))
        .chain((5..=20).map(|s| format!("new{s}")))
        .collect();
    assert_eq!(got, expected);

    JournalStore::new(&mut j, 0)
        .unwrap()
        .reset(t(22), "new day")
        .unwrap();
    for seq in 1..=3 {
        j.append(&out(0, seq, format!("day2-{seq}").as_bytes()))
            .unwrap();
    }
    got.clear();
    j.outbound_range(0, 1, 20, |r| {
        got.push(String::from_utf8_lossy(r.payload).into_owned())
    })
    .unwrap();
    assert_eq!(got, ["day2-1", "day2-2", "day2-3"]);
    // Slot 20 mod 8 holds only a pre-reset entry (seq 20): it is not served.
    assert!(
        j.session(0).unwrap().indexed_out(20).is_none(),
        "pre-reset entries are invisible"
    );
}
