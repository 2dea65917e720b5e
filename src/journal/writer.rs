//! The journal writer: recovery at open, append, segment roll-over, the
//! durability ladder, resend lookups and retention.

use super::reader::JournalReader;
use super::record::{
    pack_msg_type, record_crc, record_span, Kind, RecordHeader, RECORD_HEADER_LEN, RECORD_VERSION,
    SEGMENT_END, SEGMENT_HEADER_LEN,
};
use super::scan::{scan_at, RecordRef, Scanned, FIRST_RECORD};
use super::segment::{
    list_segments, segment_path, DirLock, ReadableSegment, SyncMap, WritableSegment,
};
use super::sessions::SessionSeqs;
use super::{Durability, JournalConfig, JournalError, Position};
use crate::codec::UtcTimestamp;
use crossbeam_channel::{bounded, Receiver, Sender, TryRecvError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// How many leading bytes of `bytes` hold everything not zero (0 if all
/// are zero). Reads page-sized chunks from the end, OR-folded so that the
/// compiler vectorises the common all-zero case.
fn nonzero_len(bytes: &[u8]) -> usize {
    let mut end = bytes.len();
    for chunk in bytes.rchunks(4096) {
        if chunk.iter().fold(0, |acc, &b| acc | b) != 0 {
            let last = chunk
                .iter()
                .rposition(|&b| b != 0)
                .expect("a non-zero byte");
            return end - chunk.len() + last + 1;
        }
        end -= chunk.len();
    }
    0
}

/// One record to append.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// What it is.
    pub kind: Kind,
    /// The session it belongs to (below `sessions_max`).
    pub session: u32,
    /// MsgSeqNum, or the new value for a SeqChange.
    pub seq_num: u64,
    /// MsgType (empty for control records).
    pub msg_type: &'a [u8],
    /// [`super::record::flags`].
    pub flags: u16,
    /// When it happened.
    pub timestamp: UtcTimestamp,
    /// The raw FIX message, or a control record's text.
    pub payload: &'a [u8],
}

/// A run of bytes recovery or a reader could not trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// Where it starts.
    pub position: Position,
    /// How many bytes (to the next good record, or to the segment end).
    pub len: u64,
    /// What was wrong with the first record in it.
    pub what: &'static str,
}

/// What recovery found when the journal was opened.
#[derive(Debug, Clone, Default)]
pub struct RecoveryReport {
    /// Segment files scanned.
    pub segments: usize,
    /// Verified records.
    pub records: u64,
    /// Corrupt runs skipped (a good record followed each).
    pub corrupt: Vec<Region>,
    /// A torn tail that was cut (the writer resumes where it starts).
    pub torn_tail: Option<Region>,
    /// Empty trailing segments (prepared ahead, never written) removed.
    pub removed_empty_segments: usize,
    /// Where appending resumes.
    pub end: Position,
}

/// What [`Journal::prune`] may remove.
#[derive(Debug, Clone, Default)]
pub struct Retention {
    /// Segments whose newest record is older than this are candidates.
    pub max_age: Option<Duration>,
    /// Outbound messages older than this will be gap-filled rather than
    /// resent, so they no longer keep a segment alive. `None`: every message
    /// since the session's last reset may be resent.
    pub resend_window: Option<Duration>,
    /// Move pruned segments here instead of deleting them.
    pub archive_dir: Option<PathBuf>,
}

/// What [`Journal::prune`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// Segment indexes removed (or archived), oldest first.
    pub removed: Vec<u64>,
    /// The first segment kept, and why it had to stay.
    pub kept_because: Option<(u64, &'static str)>,
}

/// How often the preparer looks for work (it has half a segment of headroom).
const PREPARER_POLL: Duration = Duration::from_micros(500);

enum PrepRequest {
    Create { index: u64, created_ns: i64 },
    Retire(WritableSegment),
}

/// The control thread that creates segments ahead of need and unmaps old ones.
struct Preparer {
    requests: Option<Sender<PrepRequest>>,
    ready: Receiver<Result<WritableSegment, JournalError>>,
    thread: Option<JoinHandle<()>>,
}

impl Preparer {
    fn start(dir: PathBuf, size: u64) -> Result<Preparer, JournalError> {
        let (req_tx, req_rx) = bounded::<PrepRequest>(4);
        let (ready_tx, ready_rx) = bounded(1);
        let thread = std::thread::Builder::new()
            .name("fixrail-journal-prep".into())
            .spawn(move || {
                // Polled, never blocked in `recv`: a receiver blocked on the
                // channel would make the writer's `try_send` take the
                // channel's lock and wake it with a system call, on the hot
                // path. Polling keeps `append` free of both.
                loop {
                    match req_rx.try_recv() {
                        Ok(PrepRequest::Create { index, created_ns }) => {
                            let made = WritableSegment::create(&dir, index, size, created_ns);
                            if ready_tx.send(made).is_err() {
                                return;
                            }
                        }
                        Ok(PrepRequest::Retire(segment)) => drop(segment),
                        Err(crossbeam_channel::TryRecvError::Empty) => {
                            std::thread::sleep(PREPARER_POLL)
                        }
                        Err(crossbeam_channel::TryRecvError::Disconnected) => return,
                    }
                }
            })
            .map_err(|e| {
                JournalError::io(Path::new("fixrail-journal-prep"), "cannot start thread", e)
            })?;
        Ok(Preparer {
            requests: Some(req_tx),
            ready: ready_rx,
            thread: Some(thread),
        })
    }

    fn send(&self, request: PrepRequest) -> Result<(), PrepRequest> {
        match &self.requests {
            Some(tx) => tx.try_send(request).map_err(|e| e.into_inner()),
            None => Err(request),
        }
    }
}

impl Drop for Preparer {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Writes back the journal bytes in `[from, to)` and waits: only that range
/// of each segment (msync through a mapping of it), not whole files. The
/// preparer has dirtied every page of a new segment; writing those zero pages
/// back would cost a segment's worth of I/O and write-protect pages the writer
/// is about to use. `cache` keeps the last segment's mapping between calls.
fn sync_written(
    dir: &Path,
    from: Position,
    to: Position,
    cache: &mut Option<(u64, SyncMap)>,
) -> Result<(), JournalError> {
    for segment in from.segment()..=to.segment() {
        if cache.as_ref().map(|(i, _)| *i) != Some(segment) {
            *cache = Some((segment, SyncMap::open(&segment_path(dir, segment))?));
        }
        let start = if segment == from.segment() {
            from.offset() as usize
        } else {
            0
        };
        let end = (segment == to.segment()).then_some(to.offset() as usize);
        if let Some((_, map)) = cache.as_ref() {
            map.sync(start, end)
                .map_err(|e| JournalError::io(&segment_path(dir, segment), "cannot sync", e))?;
        }
    }
    Ok(())
}

/// The `async` mode's flusher thread.
struct Flusher {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    fn start(
        dir: PathBuf,
        written: Arc<AtomicU64>,
        durable: Arc<AtomicU64>,
        errors: Arc<AtomicU64>,
        interval: Duration,
    ) -> Result<Flusher, JournalError> {
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("fixrail-journal-flush".into())
            .spawn(move || {
                // Only the written range is synced (msync through a mapping
                // of the segment), not the whole file: the preparer has
                // dirtied every page of a new segment, and writing those
                // zero pages back would cost a segment's worth of I/O per
                // sync and write-protect pages the writer is about to use.
                let mut open: Option<(u64, SyncMap)> = None;
                loop {
                    let stopping = stop_flag.load(Ordering::Acquire);
                    let w = Position(written.load(Ordering::Acquire));
                    let d = Position(durable.load(Ordering::Acquire));
                    if w > d {
                        let ok = sync_written(&dir, d, w, &mut open).is_ok();
                        if !ok {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        if ok {
                            durable.fetch_max(w.0, Ordering::AcqRel);
                        }
                    }
                    if stopping {
                        return;
                    }
                    std::thread::park_timeout(interval);
                }
            })
            .map_err(|e| {
                JournalError::io(Path::new("fixrail-journal-flush"), "cannot start thread", e)
            })?;
        Ok(Flusher {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Flusher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// The journal writer (see the module doc of [`super`]).
pub struct Journal {
    config: JournalConfig,
    current: WritableSegment,
    offset: usize,
    next_requested: bool,
    sessions: Vec<SessionSeqs>,
    written: Arc<AtomicU64>,
    durable: Arc<AtomicU64>,
    flush_errors: Arc<AtomicU64>,
    stalls: u64,
    reader: JournalReader,
    // Drop order: threads first (they may hold segments), the lock last.
    _flusher: Option<Flusher>,
    preparer: Preparer,
    _lock: DirLock,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.config.dir)
            .field("position", &self.position())
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// Opens (or creates) the journal in `config.dir`, recovering sequence
    /// state and the resend index from it, cutting a torn tail.
    pub fn open(
        config: JournalConfig,
        now: UtcTimestamp,
    ) -> Result<(Journal, RecoveryReport), JournalError> {
        let size = config.segment_size_bytes;
        if !(64 * 1024..=u32::MAX as u64).contains(&size) || size % 4096 != 0 {
            return Err(JournalError::Config(format!(
                "segment_size_bytes = {size}: must be a multiple of 4096 between 65536 and {}",
                u32::MAX as u64 / 4096 * 4096
            )));
        }
        if config.sessions_max == 0 {
            return Err(JournalError::Config(
                "sessions_max must be at least 1".into(),
            ));
        }
        std::fs::create_dir_all(&config.dir)
            .map_err(|e| JournalError::io(&config.dir, "cannot create journal directory", e))?;
        let lock = DirLock::acquire(&config.dir)?;
        let mut sessions: Vec<SessionSeqs> = (0..config.sessions_max)
            .map(|_| SessionSeqs::new(config.resend_index_entries))
            .collect();
        let mut report = RecoveryReport::default();

        // Prepared-ahead segments that were never written are not part of
        // the journal: remove them so the last segment is the last written.
        // Nor is a file too short to hold a segment header, even the only
        // one: a crash cut its creation before its space was reserved, and
        // the writer never writes to a segment before it is complete.
        let mut segments = list_segments(&config.dir)?;
        while let Some((_, path)) = segments.last() {
            let seg = ReadableSegment::open(path, 0)?;
            let cut_short = seg.len() < SEGMENT_HEADER_LEN + 4;
            if cut_short || (segments.len() > 1 && seg.load_length(FIRST_RECORD) == Some(0)) {
                drop(seg);
                std::fs::remove_file(path)
                    .map_err(|e| JournalError::io(path, "cannot remove empty segment", e))?;
                segments.pop();
                report.removed_empty_segments += 1;
            } else {
                break;
            }
        }

        let mut resume: Option<(u64, usize, bool)> = None; // (segment, offset, closed)
        for (n, (index, path)) in segments.iter().enumerate() {
            if n > 0 && *index != segments[n - 1].0 + 1 {
                return Err(JournalError::BadSegment {
                    path: path.clone(),
                    what: format!("segment {} is missing before it", segments[n - 1].0 + 1),
                });
            }
            let seg = ReadableSegment::open(path, *index)?;
            let header =
                super::record::SegmentHeader::read(seg.bytes(0, SEGMENT_HEADER_LEN.min(seg.len())))
                    .map_err(|what| JournalError::BadSegment {
                        path: path.clone(),
                        what: what.into(),
                    })?;
            if header.index != *index {
                return Err(JournalError::BadSegment {
                    path: path.clone(),
                    what: format!(
                        "header says segment {}, file name says {index}",
                        header.index
                    ),
                });
            }
            report.segments += 1;
            let last = n + 1 == segments.len();
            let mut offset = FIRST_RECORD;
            let closed = loop {
                match scan_at(&seg, offset, true) {
                    Scanned::Record(r) => {
                        let s = sessions.get_mut(r.header.session as usize).ok_or(
                            JournalError::UnknownSession {
                                session: r.header.session,
                                sessions_max: config.sessions_max,
                            },
                        )?;
                        s.apply(&r.header, r.kind, r.position);
                        report.records += 1;
                        offset += record_span(r.payload.len());
                    }
                    Scanned::Corrupt {
                        offset: at,
                        next,
                        what,
                    } => {
                        report.corrupt.push(Region {
                            position: Position::new(*index, at as u32),
                            len: (next - at) as u64,
                            what,
                        });
                        offset = next;
                    }
                    Scanned::TornTail { offset: at, what } => {
                        let region = Region {
                            position: Position::new(*index, at as u32),
                            len: (seg.len() - at) as u64,
                            what,
                        };
                        if last {
                            report.torn_tail = Some(region);
                        } else {
                            report.corrupt.push(region);
                        }
                        offset = at;
                        break false;
                    }
                    Scanned::End { offset: at } => {
                        offset = at;
                        break false;
                    }
                    Scanned::SegmentEnd { offset: at } => {
                        offset = at;
                        break true;
                    }
                }
            };
            if last {
                resume = Some((*index, offset, closed));
            }
        }

        let preparer = Preparer::start(config.dir.clone(), size)?;
        let (current, mut offset) = match resume {
            None => (
                WritableSegment::create(&config.dir, 0, size, now.unix_nanos())?,
                FIRST_RECORD,
            ),
            Some((index, offset, closed)) => {
                let mut seg =
                    WritableSegment::open(&segment_path(&config.dir, index), index, offset)?;
                // Cut: nothing past the last good record is ever trusted.
                // Only what is not zero yet is cleared, and only the records
                // and the cut are synced: the zero pages after them are not
                // dirtied nor written back (written back, they would be
                // write-protected and fault on the hot path).
                let len = seg.map.len();
                let from = offset.min(len);
                let to = from + nonzero_len(&seg.map[from..]);
                seg.map[from..to].fill(0);
                let roll_on = closed || offset + RECORD_HEADER_LEN > len;
                if roll_on && offset + 4 <= len {
                    // The segment is done (it was closed, or is full): mark
                    // it closed again, since the cut above cleared the mark.
                    seg.publish_length(offset, SEGMENT_END);
                }
                seg.map
                    .flush_range(0, to.max((offset + 4).min(len)))
                    .map_err(|e| {
                        JournalError::io(&config.dir, "cannot sync the recovered segment", e)
                    })?;
                if roll_on {
                    let next =
                        WritableSegment::create(&config.dir, index + 1, size, now.unix_nanos())?;
                    (next, FIRST_RECORD)
                } else {
                    (seg, offset)
                }
            }
        };
        if offset <= FIRST_RECORD {
            // A new segment: its header is on disk before any record. (Not
            // the whole segment: its pages stay dirty and writable, so that
            // appending does not fault.)
            current
                .map
                .flush_range(0, SEGMENT_HEADER_LEN)
                .map_err(|e| JournalError::io(&config.dir, "cannot sync the new segment", e))?;
        }
        if offset < FIRST_RECORD {
            offset = FIRST_RECORD;
        }
        let end = Position::new(current.index, offset as u32);
        report.end = end;
        let written = Arc::new(AtomicU64::new(end.0));
        let durable = Arc::new(AtomicU64::new(end.0));
        let flush_errors = Arc::new(AtomicU64::new(0));
        let flusher = match config.durability {
            Durability::Async => Some(Flusher::start(
                config.dir.clone(),
                written.clone(),
                durable.clone(),
                flush_errors.clone(),
                Duration::from_micros(config.flush_interval_us),
            )?),
            _ => None,
        };
        let reader = JournalReader::open(&config.dir)?;
        Ok((
            Journal {
                config,
                current,
                offset,
                next_requested: false,
                sessions,
                written,
                durable,
                flush_errors,
                stalls: 0,
                reader,
                _flusher: flusher,
                preparer,
                _lock: lock,
            },
            report,
        ))
    }

    /// The configuration in force.
    pub fn config(&self) -> &JournalConfig {
        &self.config
    }

    /// Appends one record; returns where it starts. In `page-cache` and
    /// `async` mode this writes to mapped memory only: no allocation, lock or
    /// system call (a segment roll-over takes the segment prepared ahead).
    pub fn append(&mut self, e: &Entry<'_>) -> Result<Position, JournalError> {
        if e.session >= self.config.sessions_max {
            return Err(JournalError::UnknownSession {
                session: e.session,
                sessions_max: self.config.sessions_max,
            });
        }
        let span = record_span(e.payload.len());
        if span + SEGMENT_HEADER_LEN + 4 > self.current.map.len() {
            return Err(JournalError::RecordTooLarge {
                len: e.payload.len(),
                segment_size: self.config.segment_size_bytes,
            });
        }
        if self.offset + span > self.current.map.len() {
            self.roll(e.timestamp)?;
        }
        let off = self.offset;
        let mut flags = e.flags;
        let msg_type = pack_msg_type(e.msg_type, &mut flags);
        let mut header = RecordHeader {
            length: e.payload.len() as u32 + 1,
            crc: 0,
            version: RECORD_VERSION,
            kind: e.kind as u8,
            flags,
            session: e.session,
            seq_num: e.seq_num,
            timestamp_ns: e.timestamp.unix_nanos(),
            msg_type,
            reserved: 0,
        };
        let map = &mut self.current.map;
        header.write_tail(&mut map[off..off + RECORD_HEADER_LEN]);
        map[off + RECORD_HEADER_LEN..off + RECORD_HEADER_LEN + e.payload.len()]
            .copy_from_slice(e.payload);
        header.crc = record_crc(&map[off..off + RECORD_HEADER_LEN], e.payload);
        map[off + 4..off + 8].copy_from_slice(&header.crc.to_le_bytes());
        self.current.publish_length(off, header.length);
        self.offset += span;
        let position = Position::new(self.current.index, off as u32);
        self.sessions[e.session as usize].apply(&header, e.kind, position);
        self.written.store(
            Position::new(self.current.index, self.offset as u32).0,
            Ordering::Release,
        );
        if self.config.durability == Durability::Sync {
            self.current
                .map
                .flush_range(off, span)
                .map_err(|err| JournalError::io(&self.config.dir, "cannot sync record", err))?;
            self.durable
                .store(self.written.load(Ordering::Relaxed), Ordering::Release);
        }
        if !self.next_requested && self.offset > self.current.map.len() / 2 {
            let request = PrepRequest::Create {
                index: self.current.index + 1,
                created_ns: e.timestamp.unix_nanos(),
            };
            self.next_requested = self.preparer.send(request).is_ok();
        }
        Ok(position)
    }

    /// Closes the current segment and continues in the next one.
    fn roll(&mut self, now: UtcTimestamp) -> Result<(), JournalError> {
        if self.offset + 4 <= self.current.map.len() {
            self.current.publish_length(self.offset, SEGMENT_END);
        }
        let next_index = self.current.index + 1;
        let next = if self.next_requested {
            match self.preparer.ready.try_recv() {
                Ok(made) => made?,
                Err(TryRecvError::Empty) => {
                    self.stalls += 1;
                    self.preparer
                        .ready
                        .recv()
                        .map_err(|_| JournalError::Config("segment preparer stopped".into()))??
                }
                Err(TryRecvError::Disconnected) => {
                    return Err(JournalError::Config("segment preparer stopped".into()))
                }
            }
        } else {
            self.stalls += 1;
            WritableSegment::create(
                &self.config.dir,
                next_index,
                self.config.segment_size_bytes,
                now.unix_nanos(),
            )?
        };
        let old = std::mem::replace(&mut self.current, next);
        if self.config.durability == Durability::Sync {
            old.map
                .flush()
                .map_err(|e| JournalError::io(&self.config.dir, "cannot sync segment", e))?;
        }
        if let Err(PrepRequest::Retire(old)) = self.preparer.send(PrepRequest::Retire(old)) {
            drop(old);
        }
        self.offset = FIRST_RECORD;
        self.next_requested = false;
        self.written.store(
            Position::new(self.current.index, self.offset as u32).0,
            Ordering::Release,
        );
        Ok(())
    }

    /// Where the next record will go (the end of what is written).
    pub fn position(&self) -> Position {
        Position::new(self.current.index, self.offset as u32)
    }

    /// The end of what is known to be on stable storage (`async` and `sync`
    /// modes; in `page-cache` mode, what was there at open or last `sync`).
    pub fn durable_position(&self) -> Position {
        Position(self.durable.load(Ordering::Acquire))
    }

    /// A shared handle on the durable position, for an application that
    /// waits for durability off the engine thread.
    pub fn durable_position_handle(&self) -> Arc<AtomicU64> {
        self.durable.clone()
    }

    /// Syncs everything written so far (shutdown, admin command).
    pub fn sync(&mut self) -> Result<(), JournalError> {
        let to = self.position();
        let from = self.durable_position();
        sync_written(&self.config.dir, from, to, &mut None)?;
        self.durable.fetch_max(to.0, Ordering::AcqRel);
        Ok(())
    }

    /// Is the next segment prepared and waiting? (A roll-over now would not
    /// stall.) Cheap: a look at the preparer's channel.
    pub fn prepared_ahead(&self) -> bool {
        !self.preparer.ready.is_empty()
    }

    /// Times a roll-over found no prepared segment and had to wait or create
    /// one. A stall blocks and may allocate (it is the one path of `append`
    /// that does); it means the preparer fell behind the writer.
    pub fn stalls(&self) -> u64 {
        self.stalls
    }

    /// Failed syncs of the `async` flusher (the durable position stops).
    pub fn flush_errors(&self) -> u64 {
        self.flush_errors.load(Ordering::Relaxed)
    }

    /// Sequence state of a session.
    pub fn session(&self, session: u32) -> Option<&SessionSeqs> {
        self.sessions.get(session as usize)
    }

    /// The journal's directory.
    pub fn dir(&self) -> &Path {
        &self.config.dir
    }

    /// Calls `f` with each outbound message of `session` from `from` to `to`
    /// (inclusive, capped at the last one sent) that the journal holds, in
    /// sequence order, to answer a ResendRequest. Sequence numbers with no
    /// record (history before a reset, or in a pruned segment) are skipped;
    /// the caller gap-fills them. Runs on the resend path, not the order path:
    /// it may map segments and, when the ring index has been overwritten,
    /// scan the history since the last reset once.
    pub fn outbound_range(
        &mut self,
        session: u32,
        from: u64,
        to: u64,
        mut f: impl FnMut(RecordRef<'_>),
    ) -> Result<(), JournalError> {
        let Some(state) = self.sessions.get(session as usize) else {
            return Err(JournalError::UnknownSession {
                session,
                sessions_max: self.config.sessions_max,
            });
        };
        let to = to.min(state.next_out.saturating_sub(1));
        if from == 0 || from > to {
            return Ok(());
        }
        self.reader.refresh()?;
        let reader = &self.reader;
        let is_original = |r: &RecordRef<'_>, seq: u64| {
            r.kind == Kind::Outbound
                && r.header.session == session
                && r.header.seq_num == seq
                && r.header.flags & super::record::flags::POSS_DUP == 0
        };
        let mut positions: Vec<Option<Position>> = (from..=to)
            .map(|seq| {
                state
                    .indexed_out(seq)
                    .filter(|&p| reader.record_at(p).is_some_and(|r| is_original(&r, seq)))
            })
            .collect();
        if positions.iter().any(Option::is_none) {
            let start = state
                .last_reset
                .unwrap_or(Position::new(reader.first_segment(), FIRST_RECORD as u32));
            for r in reader.iter_from(start).records() {
                let seq = r.header.seq_num;
                if (from..=to).contains(&seq) && is_original(&r, seq) {
                    // Journal order: the last original wins (after a rewind, the newest).
                    positions[(seq - from) as usize] = Some(r.position);
                }
            }
        }
        for p in positions.into_iter().flatten() {
            if let Some(r) = reader.record_at(p) {
                f(r);
            }
        }
        Ok(())
    }

    /// Removes (or archives) the oldest segments that retention allows and
    /// no resend can need. Never touches the current segment.
    pub fn prune(
        &mut self,
        retention: &Retention,
        now: UtcTimestamp,
    ) -> Result<PruneReport, JournalError> {
        self.reader.refresh()?;
        let mut report = PruneReport::default();
        let segments = list_segments(&self.config.dir)?;
        for (index, path) in segments {
            if index >= self.current.index {
                report.kept_because = Some((index, "the segment being written"));
                break;
            }
            let seg = ReadableSegment::open(&path, index)?;
            let mut newest_ns = i64::MIN;
            let mut all_before_reset = true;
            let mut needed = false;
            let mut offset = FIRST_RECORD;
            loop {
                match scan_at(&seg, offset, true) {
                    Scanned::Record(r) => {
                        newest_ns = newest_ns.max(r.header.timestamp_ns);
                        let s = &self.sessions[r.header.session as usize];
                        let before_reset = s.last_reset.is_some_and(|p| r.position < p);
                        all_before_reset &= before_reset;
                        let in_window = retention.resend_window.is_none_or(|w| {
                            r.header.timestamp_ns >= now.unix_nanos() - w.as_nanos() as i64
                        });
                        if r.kind == Kind::Outbound && !before_reset && in_window {
                            needed = true;
                        }
                        offset += record_span(r.payload.len());
                    }
                    Scanned::Corrupt { next, .. } => offset = next,
                    _ => break,
                }
            }
            let old = retention
                .max_age
                .is_some_and(|a| newest_ns < now.unix_nanos() - a.as_nanos() as i64);
            if needed {
                report.kept_because = Some((index, "holds messages a resend may need"));
                break;
            }
            if !(all_before_reset || old) {
                report.kept_because = Some((
                    index,
                    "neither older than max_age nor before the last reset",
                ));
                break;
            }
            drop(seg);
            self.reader.forget(index);
            match &retention.archive_dir {
                Some(archive) => {
                    std::fs::create_dir_all(archive).map_err(|e| {
                        JournalError::io(archive, "cannot create archive directory", e)
                    })?;
                    let to = segment_path(archive, index);
                    std::fs::rename(&path, &to)
                        .map_err(|e| JournalError::io(&path, "cannot archive segment", e))?;
                }
                None => std::fs::remove_file(&path)
                    .map_err(|e| JournalError::io(&path, "cannot remove segment", e))?,
            }
            report.removed.push(index);
        }
        Ok(report)
    }

    /// A reader over this journal (for rebuilding state and replay).
    pub fn reader(&mut self) -> Result<&JournalReader, JournalError> {
        self.reader.refresh()?;
        Ok(&self.reader)
    }
}
