//! The journal: one append-only, memory-mapped log of every message in and
//! out, and the source of truth for sequence numbers.
//!
//! Owns the segment files under `journal_dir`, the record format
//! ([`record`]), recovery at open, per-session sequence state and the resend
//! index, the durability ladder, readers and retention (the session layer's
//! view of it is `crate::session::JournalStore`). It knows FIX only as far as a record's
//! header needs (MsgSeqNum, MsgType, PossDup); it owns no socket and reads no
//! clock (callers pass `now`).
//!
//! Threads: [`Journal`] (the writer) lives on the engine thread and never
//! allocates, locks or makes a system call when appending in `page-cache` or
//! `async` mode. Two control threads help it: the *preparer* creates and
//! pre-faults the next segment before the current one fills (and unmaps
//! retired ones), and in `async` mode the *flusher* syncs written records in
//! batches and publishes the durable position.

mod reader;
pub mod record;
mod scan;
mod segment;
mod sessions;
mod writer;

pub use reader::{JournalReader, RecordIter};
pub use scan::{RecordRef, Scanned};
pub use segment::{list_segments, segment_index, segment_path};
pub use sessions::SessionSeqs;
pub use writer::{Entry, Journal, PruneReport, RecoveryReport, Region, Retention};

use std::fmt;
use std::path::{Path, PathBuf};

/// Where a record starts: segment index (high 32 bits) and byte offset (low 32).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position(pub u64);

impl Position {
    /// From parts.
    pub const fn new(segment: u64, offset: u32) -> Position {
        Position((segment << 32) | offset as u64)
    }

    /// The segment index.
    pub const fn segment(self) -> u64 {
        self.0 >> 32
    }

    /// The byte offset within the segment.
    pub const fn offset(self) -> u32 {
        self.0 as u32
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "segment {} offset {}", self.segment(), self.offset())
    }
}

/// When a written record is on stable storage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// In the page cache: survives a process crash (kill -9), not a power
    /// loss. Nothing on the hot path.
    #[default]
    PageCache,
    /// A flusher thread syncs in batches (group commit) and publishes the
    /// durable position; the hot path only stores a position.
    Async,
    /// Synced before `append` returns: durable before the message is sent.
    Sync,
}

impl Durability {
    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Durability::PageCache => "page-cache",
            Durability::Async => "async",
            Durability::Sync => "sync",
        }
    }

    /// From the config spelling.
    pub fn from_name(name: &str) -> Option<Durability> {
        Some(match name {
            "page-cache" => Durability::PageCache,
            "async" => Durability::Async,
            "sync" => Durability::Sync,
            _ => return None,
        })
    }
}

/// Journal settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalConfig {
    /// The directory holding the segment files.
    pub dir: PathBuf,
    /// Size of each segment file in bytes (at most 4 GiB).
    pub segment_size_bytes: u64,
    /// Durability mode.
    pub durability: Durability,
    /// In `async` mode, how long the flusher waits between syncs.
    pub flush_interval_us: u64,
    /// Session ids run from 0 to `sessions_max - 1`.
    pub sessions_max: u32,
    /// Resend index capacity per session (rounded up to a power of two).
    pub resend_index_entries: usize,
}

impl JournalConfig {
    /// Defaults for a directory: 64 MiB segments, page-cache durability.
    pub fn new(dir: impl Into<PathBuf>) -> JournalConfig {
        JournalConfig {
            dir: dir.into(),
            segment_size_bytes: 64 << 20,
            durability: Durability::PageCache,
            flush_interval_us: 200,
            sessions_max: 64,
            resend_index_entries: 1 << 16,
        }
    }
}

/// A journal operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// A file system call failed.
    #[error("{path}: {what}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        what: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// Another process has the journal open.
    #[error("{dir}: journal is locked by another process")]
    Locked {
        /// The directory.
        dir: PathBuf,
    },
    /// A segment file is not a journal segment.
    #[error("{path}: {what}")]
    BadSegment {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// A record larger than a segment can hold.
    #[error("record of {len} bytes does not fit a segment of {segment_size} bytes")]
    RecordTooLarge {
        /// Payload bytes.
        len: usize,
        /// Segment size.
        segment_size: u64,
    },
    /// A session id at or above `sessions_max`.
    #[error("session id {session} is not below sessions_max ({sessions_max})")]
    UnknownSession {
        /// The id.
        session: u32,
        /// The limit.
        sessions_max: u32,
    },
    /// A configuration value out of range.
    #[error("journal config: {0}")]
    Config(String),
}

impl JournalError {
    pub(crate) fn io(path: &Path, what: &'static str, source: std::io::Error) -> JournalError {
        JournalError::Io {
            path: path.to_path_buf(),
            what,
            source,
        }
    }
}
