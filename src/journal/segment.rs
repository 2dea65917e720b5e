//! Segment files: creation (pre-allocated on disk and pre-faulted in memory),
//! opening, and the two memory accesses that need atomics.
//!
//! This is the only module of the journal with `unsafe`: mapping a file is
//! unsafe in Rust because another process could change the file under the
//! mapping, and publishing a record's length word needs an atomic store into
//! mapped memory. The invariants are written at each block.

#![allow(unsafe_code)]

use super::record::{SegmentHeader, SEGMENT_HEADER_LEN};
use super::JournalError;
use memmap2::{Mmap, MmapMut, MmapOptions};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// The file name of segment `index`: sorts in index order.
pub fn segment_path(dir: &Path, index: u64) -> PathBuf {
    dir.join(format!("{index:016}.seg"))
}

/// The index of a segment file name, if it is one.
pub fn segment_index(path: &Path) -> Option<u64> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".seg")?;
    if stem.len() == 16 && stem.bytes().all(|b| b.is_ascii_digit()) {
        stem.parse().ok()
    } else {
        None
    }
}

/// Every segment in `dir`, in index order.
pub fn list_segments(dir: &Path) -> Result<Vec<(u64, PathBuf)>, JournalError> {
    let mut out = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| JournalError::io(dir, "cannot list", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io(dir, "cannot list", e))?;
        let path = entry.path();
        if let Some(index) = segment_index(&path) {
            out.push((index, path));
        }
    }
    out.sort();
    Ok(out)
}

/// A segment mapped for writing.
#[derive(Debug)]
pub struct WritableSegment {
    /// Position of the segment in the journal.
    pub index: u64,
    /// The whole file, mapped shared and writable.
    pub map: MmapMut,
}

impl WritableSegment {
    /// Creates segment `index` of `size` bytes: reserves the disk blocks (so a
    /// full disk is an error now, not a SIGBUS later), maps it and touches
    /// every page so that appending never page-faults. Runs on the control
    /// thread, ahead of need.
    pub fn create(
        dir: &Path,
        index: u64,
        size: u64,
        created_ns: i64,
    ) -> Result<WritableSegment, JournalError> {
        let path = segment_path(dir, index);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| JournalError::io(&path, "cannot create segment", e))?;
        allocate(&file, size)
            .map_err(|e| JournalError::io(&path, "cannot reserve disk space for segment", e))?;
        let mut map = map_writable(&file, &path, false)?;
        prefault(&mut map, 0);
        // The new file's name must survive a power loss too (sync mode).
        sync_dir(dir).map_err(|e| JournalError::io(dir, "cannot sync journal directory", e))?;
        SegmentHeader {
            index,
            size,
            created_ns,
        }
        .write(&mut map[..SEGMENT_HEADER_LEN]);
        Ok(WritableSegment { index, map })
    }

    /// Opens an existing segment for appending (after recovery).
    /// Opens an existing segment for appending from `resume` (after
    /// recovery), pre-faulting the pages from there on.
    pub fn open(path: &Path, index: u64, resume: usize) -> Result<WritableSegment, JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| JournalError::io(path, "cannot open segment", e))?;
        let mut map = map_writable(&file, path, false)?;
        prefault(&mut map, resume);
        Ok(WritableSegment { index, map })
    }

    /// Publishes a record by storing its length word with release ordering:
    /// every byte written before becomes visible to a reader that loads the
    /// word with acquire ordering and sees it non-zero.
    #[inline]
    pub fn publish_length(&mut self, offset: usize, value: u32) {
        assert!(
            offset % 4 == 0 && offset + 4 <= self.map.len(),
            "length word in bounds and aligned"
        );
        // SAFETY: the pointer is inside the mapping (checked above) and
        // 4-aligned (the mapping is page-aligned and offset is a multiple of
        // 4). Every concurrent access to this word, by this writer or by a
        // reader mapping the same file, is atomic (`publish_length` here,
        // `load_length` there), so there is no data race on it. `&mut self`
        // means no Rust reference into this part of the map is live.
        let word = unsafe { AtomicU32::from_ptr(self.map.as_mut_ptr().add(offset).cast::<u32>()) };
        word.store(value, Ordering::Release);
    }
}

/// Touches every page from `from` on, so that appending there never faults:
/// one write fault per page maps it writable and dirty, off the hot path.
/// (MAP_POPULATE would map pages read-only first, and the write would fault
/// again: twice the time.) Writes zeros, so only where nothing is published.
fn prefault(map: &mut MmapMut, from: usize) {
    let first_page = (from.div_ceil(4096) * 4096).min(map.len());
    for page in map[first_page..].chunks_mut(4096) {
        page[0] = 0;
    }
}

/// Makes the directory entries of `dir` durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Maps a segment shared and writable, with MAP_POPULATE if `populate`.
fn map_writable(file: &File, path: &Path, populate: bool) -> Result<MmapMut, JournalError> {
    let mut options = MmapOptions::new();
    if populate {
        options.populate();
    }
    // SAFETY: the journal directory belongs to this process (one writer per
    // journal, by the lock file); nothing else truncates or rewrites the file
    // while it is mapped. Readers only map it read-only.
    unsafe { options.map_mut(file) }.map_err(|e| JournalError::io(path, "cannot map segment", e))
}

/// Reserves `size` bytes of disk for `file` (and sets its length).
fn allocate(file: &File, size: u64) -> std::io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let len = libc::off_t::try_from(size)
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    // SAFETY: plain FFI call on a file descriptor we own for the duration of the call.
    let rc = unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, len) };
    match rc {
        0 => Ok(()),
        // Filesystems without fallocate: fall back to a sparse length.
        libc::EOPNOTSUPP | libc::ENOSYS | libc::EINVAL => file.set_len(size),
        errno => Err(std::io::Error::from_raw_os_error(errno)),
    }
}

/// A mapping of a segment used only to sync a byte range of it (the `async`
/// flusher): `msync` writes back just that range's dirty pages.
#[derive(Debug)]
pub struct SyncMap {
    map: MmapMut,
}

impl SyncMap {
    /// Maps the segment at `path` for syncing.
    pub fn open(path: &Path) -> Result<SyncMap, JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| JournalError::io(path, "cannot open segment", e))?;
        // SAFETY: as for `map_writable`; nothing is ever written through
        // this mapping, it only names the range `msync` writes back.
        let map = unsafe { MmapOptions::new().map_mut(&file) }
            .map_err(|e| JournalError::io(path, "cannot map segment", e))?;
        Ok(SyncMap { map })
    }

    /// Writes back `[from, to)` (to the end when `to` is `None`) and waits.
    pub fn sync(&self, from: usize, to: Option<usize>) -> std::io::Result<()> {
        let to = to.unwrap_or(self.map.len()).min(self.map.len());
        if to <= from {
            return Ok(());
        }
        self.map.flush_range(from, to - from)
    }
}

/// A segment mapped read-only, for recovery, readers and tools.
#[derive(Debug)]
pub struct ReadableSegment {
    /// Position of the segment in the journal.
    pub index: u64,
    /// The file's path.
    pub path: PathBuf,
    map: Mmap,
}

impl ReadableSegment {
    /// Maps a segment file read-only.
    pub fn open(path: &Path, index: u64) -> Result<ReadableSegment, JournalError> {
        let file =
            File::open(path).map_err(|e| JournalError::io(path, "cannot open segment", e))?;
        // SAFETY: see `map_writable`; the only writer of the file is this
        // journal's writer, which changes bytes past the published records
        // only, and publishes each record's length word atomically last.
        let map = unsafe { Mmap::map(&file) }
            .map_err(|e| JournalError::io(path, "cannot map segment", e))?;
        Ok(ReadableSegment {
            index,
            path: path.to_path_buf(),
            map,
        })
    }

    /// The segment's size.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True for an empty file.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Loads a record's length word with acquire ordering (see
    /// [`WritableSegment::publish_length`]); `None` past the end.
    #[inline]
    pub fn load_length(&self, offset: usize) -> Option<u32> {
        if offset % 4 != 0 || offset + 4 > self.map.len() {
            return None;
        }
        // SAFETY: in bounds and 4-aligned (checked above; the map is
        // page-aligned). Every access to a length word that can race with the
        // writer is atomic: readers only read words at record offsets they
        // reached through published records, or in closed segments (see
        // scan.rs). The map is read-only; a relaxed load does not write.
        let word =
            unsafe { AtomicU32::from_ptr(self.map.as_ptr().add(offset).cast::<u32>().cast_mut()) };
        // A relaxed load (the only atomic access std allows on read-only
        // memory), then an acquire fence: together they synchronise with the
        // writer's release store as an acquire load would.
        let value = word.load(Ordering::Relaxed);
        std::sync::atomic::fence(Ordering::Acquire);
        Some(value)
    }

    /// Bytes of the segment. Only ranges of published records (or a segment
    /// no writer has open) may be read: the writer never changes them again.
    pub fn bytes(&self, from: usize, to: usize) -> &[u8] {
        assert!(
            from <= to && to <= self.map.len(),
            "byte range in the segment"
        );
        // SAFETY: in bounds (checked). The slice covers only `from..to`, not
        // the whole mapping, so no reference spans bytes the writer may still
        // be changing, provided the caller keeps to published records (above).
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(from), to - from) }
    }
}

/// Keeps other writers out of a journal directory while it is open.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

impl DirLock {
    /// Takes the exclusive lock on `dir/LOCK`, or says who has it.
    pub fn acquire(dir: &Path) -> Result<DirLock, JournalError> {
        use std::os::unix::io::AsRawFd;
        let path = dir.join("LOCK");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| JournalError::io(&path, "cannot open lock file", e))?;
        // SAFETY: plain FFI call on a descriptor we own.
        let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            return Err(JournalError::Locked {
                dir: dir.to_path_buf(),
            });
        }
        Ok(DirLock { _file: file })
    }
}
