//! A reader beside the writer sees every record exactly once, in order and
//! whole, while segments roll over under it: it never sees a partial record
//! and never skips one.

mod common;
use common::TempDir;

use fixrail::codec::UtcTimestamp;
use fixrail::journal::record::Kind;
use fixrail::journal::{
    segment_path, Entry, Journal, JournalConfig, JournalReader, Position, Scanned,
};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

fn t(nanos: i64) -> UtcTimestamp {
    UtcTimestamp::from_unix_nanos(1_790_000_000_000_000_000 + nanos)
}

/// The smallest segments the journal allows: a roll-over every ~270 records.
fn config(dir: &Path) -> JournalConfig {
    common::journal_config(dir, 64 * 1024, 2, 1024)
}

fn entry(seq: u64, payload: &[u8]) -> Entry<'_> {
    Entry {
        kind: Kind::Outbound,
        session: 1,
        seq_num: seq,
        msg_type: b"8",
        flags: 0,
        timestamp: t(seq as i64),
        payload,
    }
}

/// Polls `dir` until it has read records 1..=`total`: refresh, read on from
/// where the last poll stopped, sleep a little when there was nothing new.
/// Checks each record as it comes and publishes the last seq read in `seen`;
/// returns the segment of the last record.
fn read_live(dir: &Path, total: u64, seen: &AtomicU64) -> u64 {
    let mut reader = JournalReader::open(dir).unwrap();
    let mut at = Position::default();
    let mut next = 1;
    let mut payload = Vec::new();
    let mut idle = 0;
    let mut last_segment = 0;
    while next <= total {
        reader.refresh().unwrap();
        let mut records = reader.iter_from(at);
        let before = next;
        for scanned in records.by_ref() {
            let Scanned::Record(r) = scanned else {
                panic!("expected record {next}, found {scanned:?}");
            };
            assert_eq!(r.header.seq_num, next, "at {}", r.position);
            assert_eq!((r.kind, r.header.session), (Kind::Outbound, 1));
            common::payload_into(next, b"LIVE", &mut payload);
            assert!(r.payload == payload.as_slice(), "payload of {next}");
            last_segment = r.position.segment();
            next += 1;
        }
        at = records.position();
        seen.store(next - 1, Ordering::Release);
        if next == before {
            idle += 1;
            assert!(
                idle < 100_000,
                "no new record in 100,000 naps; next is {next} at {at}"
            );
            std::thread::sleep(Duration::from_micros(50));
        } else {
            idle = 0;
        }
    }
    last_segment
}

/// Sleeps until the reader has read `seq` (and stops if the reader did).
fn wait_for_reader<T>(seen: &AtomicU64, seq: u64, reader: &JoinHandle<T>) {
    for _ in 0..100_000 {
        if seen.load(Ordering::Acquire) >= seq {
            return;
        }
        assert!(!reader.is_finished(), "the reader stopped before {seq}");
        std::thread::sleep(Duration::from_micros(50));
    }
    panic!("the reader did not reach {seq} in 100,000 naps");
}

#[test]
fn a_reader_polling_beside_the_writer_sees_every_record_once_in_order_and_whole() {
    // The writer appends 30,000 records over 64 KiB segments (100+
    // roll-overs), in bursts with short pauses; near each segment's end it
    // lets the reader catch up, so that the reader is polling the live end
    // when the writer fills the segment and rolls over. A reader thread
    // polling the directory reads seq 1..=30,000 exactly once each, in
    // order, payloads intact, and nothing but verified records.
    const TOTAL: u64 = 30_000;
    let dir = TempDir::new("live");
    let (mut j, _) = Journal::open(config(&dir.0), t(0)).unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    let reader = {
        let (dir, seen) = (dir.0.clone(), seen.clone());
        std::thread::spawn(move || read_live(&dir, TOTAL, &seen))
    };
    let segment_size = config(&dir.0).segment_size_bytes as u32;
    let mut payload = Vec::new();
    let mut burst_left = 0;
    let mut caught_up_at_segment_end = 0;
    let mut waited_in = u64::MAX;
    for seq in 1..=TOTAL {
        if burst_left == 0 {
            std::thread::sleep(Duration::from_micros(200));
            burst_left = 1 + seq * 7919 % 400;
        }
        burst_left -= 1;
        common::payload_into(seq, b"LIVE", &mut payload);
        j.append(&entry(seq, &payload)).unwrap();
        let end = j.position();
        // Room for one more record at most: the next append or the one after
        // fills this segment and rolls over.
        if segment_size - end.offset() < 600 && waited_in != end.segment() {
            waited_in = end.segment();
            wait_for_reader(&seen, seq, &reader);
            caught_up_at_segment_end += 1;
            // Resume at a different point of the reader's polling each time.
            std::thread::sleep(Duration::from_micros(seq * 13 % 120));
        }
    }
    let last_segment = reader.join().unwrap();
    assert!(last_segment >= 100, "rolled over 100 times: {last_segment}");
    assert_eq!(last_segment, j.position().segment());
    assert!(
        caught_up_at_segment_end >= 100,
        "{caught_up_at_segment_end}"
    );
}

#[test]
fn a_segment_file_listed_before_its_space_was_reserved_is_read_once_complete() {
    // The preparer creates the next segment's file, then reserves its space.
    // A reader that refreshes in between sees an empty file; it must not keep
    // that empty view and skip the segment's records once the writer is in it.
    let dir = TempDir::new("creating");
    let (mut j, _) = Journal::open(config(&dir.0), t(0)).unwrap();
    let mut payload = Vec::new();
    for seq in 1..=10 {
        common::payload_into(seq, b"LIVE", &mut payload);
        j.append(&entry(seq, &payload)).unwrap();
    }
    let mut reader = JournalReader::open(&dir.0).unwrap();
    // What a refresh sees in that window (the file is removed again before
    // the preparer makes the real one, which the reader has then seen empty).
    let next = segment_path(&dir.0, 1);
    std::fs::File::create(&next).unwrap();
    reader.refresh().unwrap();
    std::fs::remove_file(&next).unwrap();
    for seq in 11..=1000 {
        common::payload_into(seq, b"LIVE", &mut payload);
        j.append(&entry(seq, &payload)).unwrap();
    }
    assert!(j.position().segment() >= 3);
    reader.refresh().unwrap();
    let mut next = 1;
    for r in reader.iter_from(Position::default()).records() {
        assert_eq!(r.header.seq_num, next, "at {}", r.position);
        next += 1;
    }
    assert_eq!(next, 1001, "read all 1000");
}

#[test]
fn a_reader_at_the_live_end_reads_a_segments_last_record_before_the_next_segment() {
    // 3,000 times the reader is polling the live end one record short of a
    // segment's end when the writer appends that last record and then one
    // that opens the next segment: the reader reads the last record first,
    // every time, rather than taking the end it saw for a torn one and
    // skipping to the next segment.
    const SEGMENTS: u64 = 3_000;
    let dir = TempDir::new("segment-end");
    let (mut j, _) = Journal::open(config(&dir.0), t(0)).unwrap();
    let seen = Arc::new(AtomicU64::new(0));
    // Each segment: a small record, a big one, a small one that ends exactly
    // at the segment's end; the next small record opens the next segment.
    let small = vec![b's'; 8];
    let big = vec![b'b'; 65_336];
    let total = SEGMENTS * 3;
    let reader = {
        let (dir, seen) = (dir.0.clone(), seen.clone());
        let (small, big) = (small.clone(), big.clone());
        std::thread::spawn(move || {
            let mut reader = JournalReader::open(&dir).unwrap();
            let mut at = Position::default();
            let mut next = 1;
            while next <= total {
                reader.refresh().unwrap();
                let mut records = reader.iter_from(at);
                for scanned in records.by_ref() {
                    let Scanned::Record(r) = scanned else {
                        panic!("expected record {next}, found {scanned:?}");
                    };
                    assert_eq!(r.header.seq_num, next, "at {}", r.position);
                    let expected = if next % 3 == 2 { &big } else { &small };
                    assert!(r.payload == expected.as_slice(), "payload of {next}");
                    next += 1;
                }
                at = records.position();
                seen.store(next - 1, Ordering::Release);
                std::thread::sleep(Duration::from_micros(20));
            }
        })
    };
    let retention = fixrail::journal::Retention {
        max_age: Some(Duration::ZERO),
        resend_window: Some(Duration::ZERO),
        archive_dir: None,
    };
    for n in 0..SEGMENTS {
        let seq = n * 3 + 1;
        let at = j.append(&entry(seq, &small)).unwrap();
        assert_eq!((at.segment(), at.offset()), (n, 64));
        j.append(&entry(seq + 1, &big)).unwrap();
        wait_for_reader(&seen, seq + 1, &reader);
        if n % 64 == 63 {
            // Keep the disk use small: the reader is in this segment.
            j.prune(&retention, t(i64::MAX / 2)).unwrap();
        }
        std::thread::sleep(Duration::from_micros(n * 7 % 60));
        j.append(&entry(seq + 2, &small)).unwrap();
        assert_eq!(j.position().offset(), 64 * 1024, "the segment is full");
    }
    reader.join().unwrap();
}
