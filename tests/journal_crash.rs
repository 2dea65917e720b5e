//! A writer killed with SIGKILL at any point loses at most the record it was
//! writing: the journal reopens with every record it had published intact and
//! its sequence numbers continuous.
//!
//! The random-kill test re-executes this test binary as the writer (see
//! [`crash_child`]): the child appends at full speed to a journal with small
//! segments, and the parent kills it after a random delay, then reopens the
//! journal and checks every record byte for byte. Set `FIXRAIL_CRASH_SEED` to
//! replay a run; the seed is printed when a check fails.

mod common;
use common::TempDir;

use fixrail::clock::{Clock, SystemClock};
use fixrail::codec::UtcTimestamp;
use fixrail::journal::record::{Kind, SEGMENT_END};
use fixrail::journal::{
    list_segments, segment_path, Entry, Journal, JournalConfig, JournalReader, Position, Scanned,
};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Set in the child: the directory holding `journal/` and `progress`.
const CHILD_ENV: &str = "FIXRAIL_CRASH_CHILD_DIR";
/// The child's test function, run with `--exact`.
const CHILD_TEST: &str = "crash_child";
/// Small segments, so that a run of a few milliseconds rolls over.
const SEGMENT_SIZE: u64 = 256 * 1024;
/// The child reports its progress on stdout every this many records.
const REPORT_EVERY: u64 = 64;
/// A child that was never killed stops after this many records.
const CHILD_MAX_RECORDS: u64 = 2_000_000;

/// Held by the random-kill test while it spawns a child, and by the other
/// tests here for their whole run. A child forked while a test of this
/// process has a journal open holds a copy of the journal's lock file
/// descriptor until it execs, and the test's next open would find the
/// journal locked.
static SPAWNING: Mutex<()> = Mutex::new(());

fn no_spawning() -> MutexGuard<'static, ()> {
    SPAWNING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn t(nanos: i64) -> UtcTimestamp {
    UtcTimestamp::from_unix_nanos(1_790_000_000_000_000_000 + nanos)
}

fn config(dir: &Path) -> JournalConfig {
    common::journal_config(dir, SEGMENT_SIZE, 2, 1024)
}

fn entry(seq: u64, payload: &[u8]) -> Entry<'_> {
    Entry {
        kind: Kind::Outbound,
        session: 0,
        seq_num: seq,
        msg_type: b"D",
        flags: 0,
        timestamp: t(seq as i64),
        payload,
    }
}

/// Two words in a small shared file that the child updates around every
/// append: `[0]` the seq being appended, `[1]` the last seq whose append
/// returned. They are in the page cache when the kill lands, as the journal is.
struct Progress {
    map: memmap2::MmapMut,
}

impl Progress {
    /// The parent, before spawning a child: a fresh, zeroed 4096-byte file.
    fn create(path: &Path) -> Progress {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)
            .unwrap();
        file.set_len(4096).unwrap();
        Progress::map(&file)
    }

    /// The child: the parent's file as it is. (Re-creating it here would
    /// truncate it, and a kill between the truncation and the re-sizing left
    /// the parent's mapping over an empty file: a SIGBUS in the parent.)
    fn open(path: &Path) -> Progress {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .unwrap();
        assert_eq!(file.metadata().unwrap().len(), 4096, "the parent sized it");
        Progress::map(&file)
    }

    fn map(file: &std::fs::File) -> Progress {
        // SAFETY: the file is private to this test and keeps its 4096 bytes
        // while mapped: only the parent truncates it, in `create`, before it
        // spawns a child, and after the previous mapping was dropped.
        let map = unsafe { memmap2::MmapMut::map_mut(file) }.unwrap();
        Progress { map }
    }

    fn word(&self, i: usize) -> &AtomicU64 {
        assert!(i < 2);
        // SAFETY: the map is page-aligned and 4096 bytes long, so words 0 and
        // 1 are in bounds and 8-aligned; every access to them goes through
        // this atomic view, and the view does not outlive `self.map`.
        unsafe { AtomicU64::from_ptr(self.map.as_ptr().cast::<u64>().add(i).cast_mut()) }
    }

    fn set(&self, i: usize, v: u64) {
        self.word(i).store(v, Ordering::SeqCst);
    }

    fn get(&self, i: usize) -> u64 {
        self.word(i).load(Ordering::SeqCst)
    }
}

/// The child: append consecutive outbound records for session 0 until killed.
fn run_child(dir: &Path) {
    let parent = std::os::unix::process::parent_id();
    let progress = Progress::open(&dir.join("progress"));
    let (mut j, _) = Journal::open(config(&dir.join("journal")), t(0)).unwrap();
    let first = j.session(0).unwrap().next_out;
    progress.set(0, first - 1);
    progress.set(1, first - 1);
    println!("CRASH-CHILD ready {first}");
    let mut payload = Vec::with_capacity(512);
    for seq in first..first + CHILD_MAX_RECORDS {
        common::payload_into(seq, b"CRASH", &mut payload);
        progress.set(0, seq);
        j.append(&entry(seq, &payload)).unwrap();
        progress.set(1, seq);
        if seq % REPORT_EVERY == 0 {
            println!("CRASH-CHILD appended {seq}");
            // An orphan (the parent test died) stops rather than fill the disk.
            if std::os::unix::process::parent_id() != parent {
                return;
            }
        }
    }
}

#[test]
fn crash_child() {
    // As the child of the random-kill test, appends until killed; run on its
    // own, proves the child's loop in-process: what it appends reads back
    // byte for byte and a second writer resumes at the next seq.
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        run_child(Path::new(&dir));
        return;
    }
    let _guard = no_spawning();
    let dir = TempDir::new("child-inproc");
    let journal = dir.0.join("journal");
    let mut payload = Vec::new();
    for round in 0..2u64 {
        let (mut j, _) = Journal::open(config(&journal), t(0)).unwrap();
        let first = j.session(0).unwrap().next_out;
        assert_eq!(first, 1 + round * 3000);
        for seq in first..first + 3000 {
            common::payload_into(seq, b"CRASH", &mut payload);
            j.append(&entry(seq, &payload)).unwrap();
        }
    }
    let check = verify(&journal, 0);
    assert_eq!(check.records, 6000);
    assert!(
        check.segments >= 5,
        "rolled over: {} segments",
        check.segments
    );
}

/// What a reopened journal holds, after every check passed.
struct Verified {
    records: u64,
    segments: usize,
}

/// Reopens the journal (recovery), and checks it holds exactly outbound
/// 1..=N of session 0, each payload intact, with next_out = N + 1 and N at
/// least `at_least`.
fn verify(journal: &Path, at_least: u64) -> Verified {
    let (j, report) = Journal::open(config(journal), t(0)).unwrap();
    assert!(report.corrupt.is_empty(), "corrupt regions: {report:?}");
    assert!(report.torn_tail.is_none(), "torn tail: {report:?}");
    let n = report.records;
    assert!(n >= at_least, "{n} records, at least {at_least} expected");
    assert_eq!(j.session(0).unwrap().next_out, n + 1);
    drop(j);
    let reader = JournalReader::open(journal).unwrap();
    let mut expected = 1;
    let mut payload = Vec::new();
    for scanned in reader.iter_from(Position::default()) {
        let Scanned::Record(r) = scanned else {
            panic!("not a record at seq {expected}: {scanned:?}");
        };
        assert_eq!(r.header.seq_num, expected, "at {}", r.position);
        assert_eq!((r.kind, r.header.session), (Kind::Outbound, 0));
        common::payload_into(expected, b"CRASH", &mut payload);
        assert!(r.payload == payload.as_slice(), "payload of {expected}");
        expected += 1;
    }
    assert_eq!(expected - 1, n, "the reader and recovery agree");
    Verified {
        records: n,
        segments: reader.segments().len(),
    }
}

/// A small deterministic generator (SplitMix64): the run is replayable from
/// its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

/// What the files of a journal looked like right after a kill (read raw,
/// before recovery touches them).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct DiskState {
    /// Segments holding at least one published record.
    written_segments: usize,
    /// A trailing segment file still empty of records (prepared ahead, or
    /// rolled into with its first record not yet published).
    trailing_unwritten: bool,
    /// The last written segment ends with a SEGMENT_END mark.
    last_written_closed: bool,
    /// A trailing segment file shorter than a segment header (its creation
    /// was cut before its space was reserved).
    trailing_short: bool,
}

fn disk_state(journal: &Path) -> DiskState {
    use fixrail::journal::record::{record_span, SEGMENT_HEADER_LEN};
    let mut state = DiskState::default();
    for (_, path) in list_segments(journal).unwrap() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.len() < SEGMENT_HEADER_LEN + 4 {
            state.trailing_short = true;
            continue;
        }
        let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
        let mut at = SEGMENT_HEADER_LEN;
        let mut records = 0;
        let mut closed = false;
        while at + 4 <= bytes.len() {
            match word(at) {
                0 => break,
                SEGMENT_END => {
                    closed = true;
                    break;
                }
                len => {
                    records += 1;
                    at += record_span(len as usize - 1);
                }
            }
        }
        if records > 0 {
            state.written_segments += 1;
            state.trailing_unwritten = false;
            state.last_written_closed = closed;
        } else {
            state.trailing_unwritten = true;
        }
    }
    state
}

#[derive(Debug, Default)]
struct Stats {
    cycles: u32,
    /// Kills aimed at the child's start-up (exec, recovery) rather than its appending.
    early_kills: u32,
    /// Kills that found the child appending (it had reported ready).
    appending_kills: u32,
    /// Cycles in which the journal gained a segment (a roll-over happened).
    rolled: u32,
    /// Kills between a roll-over and the first record of the new segment.
    mid_roll: u32,
    /// Kills while a prepared-ahead, unwritten segment was on disk.
    prepared_waiting: u32,
    /// Kills while a segment file was being created (shorter than a header).
    creating: u32,
    /// Kills that landed inside `append` (between the progress words).
    in_flight: u32,
    /// Of those, how many records were published anyway, and how many lost.
    in_flight_kept: u32,
    in_flight_lost: u32,
    lost_min: u64,
    lost_max: u64,
    records_min: u64,
    records_max: u64,
    appended: u64,
}

const CYCLES: u32 = 120;
/// A fresh journal every this many cycles, so recovery and the full check
/// stay short in a debug build.
const EPOCH: u32 = 5;

#[test]
fn a_writer_killed_at_random_points_loses_at_most_the_record_in_flight() {
    // 120 times, a child process appends at full speed and is SIGKILLed after
    // a random delay (1-30 ms of appending; every tenth time 0-15 ms after
    // spawn, to land in start-up or recovery); each time the journal reopens
    // with no corrupt bytes, exactly records 1..=N with intact payloads,
    // every record the child saw appended among them, next_out = N + 1, and
    // roll-overs were among the cycles.
    let seed = match std::env::var("FIXRAIL_CRASH_SEED") {
        Ok(s) => s.parse().expect("FIXRAIL_CRASH_SEED is a u64"),
        Err(_) => SystemClock.now().unix_nanos() as u64,
    };
    eprintln!("FIXRAIL_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let dir = TempDir::new("random-kill");
    let journal = dir.0.join("journal");
    let exe = std::env::current_exe().unwrap();
    let mut stats = Stats {
        lost_min: u64::MAX,
        records_min: u64::MAX,
        ..Stats::default()
    };
    let mut prev_n = 0;
    let mut prev_segments = 0;
    for cycle in 0..CYCLES {
        if cycle % EPOCH == 0 {
            let _ = std::fs::remove_dir_all(&journal);
            prev_n = 0;
            prev_segments = 0;
        }
        let progress = Progress::create(&dir.0.join("progress"));
        let guard = no_spawning();
        let mut child = Command::new(&exe)
            .args(["--exact", CHILD_TEST, "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &dir.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(guard);
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let lines = std::thread::spawn(move || {
            let mut last_reported = 0;
            for line in BufReader::new(stdout).lines() {
                let line = line.unwrap();
                let Some(at) = line.find("CRASH-CHILD ") else {
                    continue;
                };
                let mut words = line[at..].split_whitespace().skip(1);
                match (
                    words.next(),
                    words.next().map(|n| n.parse::<u64>().unwrap()),
                ) {
                    (Some("ready"), Some(first)) => {
                        let _ = ready_tx.send(first);
                    }
                    (Some("appended"), Some(seq)) => last_reported = seq,
                    _ => panic!("unexpected child line {line:?}"),
                }
            }
            last_reported
        });
        let early = cycle % 10 == 9;
        if early {
            stats.early_kills += 1;
            std::thread::sleep(Duration::from_micros(rng.between(0, 15_000)));
        } else {
            stats.appending_kills += 1;
            let first = ready_rx.recv_timeout(Duration::from_secs(30));
            if first.is_err() {
                let _ = child.kill();
                let mut err = String::new();
                let _ = stderr.read_to_string(&mut err);
                panic!("seed {seed}, cycle {cycle}: the child never got ready: {err}");
            }
            assert_eq!(first.unwrap(), prev_n + 1, "the child resumes after N");
            std::thread::sleep(Duration::from_micros(rng.between(1_000, 30_000)));
        }
        child.kill().unwrap(); // SIGKILL on unix
        let status = child.wait().unwrap();
        let last_reported = lines.join().unwrap();
        let mut err = String::new();
        stderr.read_to_string(&mut err).unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(libc::SIGKILL),
            "seed {seed}, cycle {cycle}: the child ended before the kill ({status}): {err}"
        );

        let state = disk_state(&journal);
        let (attempting, done) = match (progress.get(0), progress.get(1)) {
            (0, 0) => (prev_n, prev_n), // killed before it appended anything
            words => words,
        };
        drop(progress);
        let check = verify(&journal, prev_n.max(last_reported).max(done));
        let n = check.records;
        assert!(
            (done..=attempting).contains(&n),
            "seed {seed}, cycle {cycle}: {n} records; the child had appended {done} and was \
             appending {attempting}"
        );

        stats.cycles += 1;
        stats.appended += n - prev_n;
        stats.records_min = stats.records_min.min(n - prev_n);
        stats.records_max = stats.records_max.max(n - prev_n);
        if state.written_segments > prev_segments {
            stats.rolled += 1;
        }
        if state.trailing_unwritten && state.last_written_closed {
            stats.mid_roll += 1;
        } else if state.trailing_unwritten {
            stats.prepared_waiting += 1;
        }
        if state.trailing_short {
            stats.creating += 1;
        }
        let lost = attempting - n;
        stats.lost_min = stats.lost_min.min(lost);
        stats.lost_max = stats.lost_max.max(lost);
        if attempting > done {
            stats.in_flight += 1;
            if lost == 0 {
                stats.in_flight_kept += 1;
            } else {
                stats.in_flight_lost += 1;
            }
        }
        prev_n = n;
        prev_segments = state.written_segments;
    }
    eprintln!("{stats:#?}");
    assert_eq!(stats.cycles, CYCLES);
    assert!(stats.lost_max <= 1, "{stats:?}");
    assert!(
        stats.rolled >= CYCLES / 4,
        "too few cycles rolled over: {stats:?}"
    );
    assert!(stats.appended > 0);
}

/// Appends outbound 1..=n to a fresh journal and closes it.
fn journal_with(journal: &Path, n: u64) {
    let (mut j, _) = Journal::open(config(journal), t(0)).unwrap();
    let mut payload = Vec::new();
    for seq in 1..=n {
        common::payload_into(seq, b"CRASH", &mut payload);
        j.append(&entry(seq, &payload)).unwrap();
    }
}

#[test]
fn a_segment_file_whose_creation_was_cut_short_does_not_stop_recovery() {
    // A kill between creating a segment file and reserving its space leaves
    // an empty file at the end of the journal (the next segment, or the very
    // first one): recovery removes it like any never-written segment and the
    // writer goes on.
    let _guard = no_spawning();
    let dir = TempDir::new("short-segment");
    let journal = dir.0.join("journal");
    journal_with(&journal, 100);
    let last = list_segments(&journal).unwrap().last().unwrap().0;
    std::fs::File::create(segment_path(&journal, last + 1)).unwrap();
    let (mut j, report) = Journal::open(config(&journal), t(0)).unwrap();
    assert_eq!(report.records, 100);
    assert_eq!(report.removed_empty_segments, 1);
    assert_eq!(j.session(0).unwrap().next_out, 101);
    let mut payload = Vec::new();
    common::payload_into(101, b"CRASH", &mut payload);
    j.append(&entry(101, &payload)).unwrap();
    drop(j);
    assert_eq!(verify(&journal, 101).records, 101);

    let first = dir.0.join("first");
    std::fs::create_dir_all(&first).unwrap();
    std::fs::File::create(segment_path(&first, 0)).unwrap();
    let (j, report) = Journal::open(config(&first), t(0)).unwrap();
    assert_eq!((report.records, report.removed_empty_segments), (0, 1));
    assert_eq!(j.session(0).unwrap().next_out, 1);
}

#[test]
fn a_kill_between_a_roll_over_and_the_next_segments_first_record_loses_only_that_record() {
    // The writer has closed segment 0 and moved to segment 1 but not yet
    // published its first record (its bytes are written, its length word is
    // not): recovery drops the empty segment, keeps every record of segment
    // 0, and a writer reopening continues with the lost seq; twice in a row.
    let _guard = no_spawning();
    let dir = TempDir::new("mid-roll");
    let journal = dir.0.join("journal");
    let mut next = 1;
    for round in 0..2u64 {
        let (mut j, _) = Journal::open(config(&journal), t(0)).unwrap();
        assert_eq!(j.session(0).unwrap().next_out, next);
        let start = j.position().segment();
        let mut payload = Vec::new();
        let first_in_next = loop {
            common::payload_into(next, b"CRASH", &mut payload);
            let at = j.append(&entry(next, &payload)).unwrap();
            next += 1;
            if at.segment() > start {
                break at;
            }
        };
        drop(j);
        // Undo the publication of the new segment's first record.
        let path = segment_path(&journal, first_in_next.segment());
        let mut bytes = std::fs::read(&path).unwrap();
        let at = first_in_next.offset() as usize;
        bytes[at..at + 4].fill(0);
        std::fs::write(&path, &bytes).unwrap();
        next -= 1;

        let (_, report) = Journal::open(config(&journal), t(0)).unwrap();
        assert_eq!(
            report.removed_empty_segments, 1,
            "round {round}: {report:?}"
        );
        assert_eq!(report.records, next - 1);
        assert_eq!(verify(&journal, next - 1).records, next - 1);
    }
    // Appending goes on across the old segment ends, and reads back whole.
    let (mut j, _) = Journal::open(config(&journal), t(0)).unwrap();
    let mut payload = Vec::new();
    for seq in next..next + 2000 {
        common::payload_into(seq, b"CRASH", &mut payload);
        j.append(&entry(seq, &payload)).unwrap();
    }
    drop(j);
    assert_eq!(verify(&journal, 0).records, next + 1999);
}
