//! Reading the journal: by position, and in order from a position, safely
//! from any thread while the writer appends (each record is read only after
//! its length word is seen published).

use super::record::{record_span, SEGMENT_HEADER_LEN};
use super::scan::{scan_at, RecordRef, Scanned, FIRST_RECORD};
use super::segment::{list_segments, ReadableSegment};
use super::{JournalError, Position};
use std::path::{Path, PathBuf};

/// Maps a journal's segments read-only.
#[derive(Debug)]
pub struct JournalReader {
    dir: PathBuf,
    /// Look past a corrupt record even in a segment that may be live.
    offline: bool,
    /// Mapped segments, sorted by index.
    segments: Vec<ReadableSegment>,
}

impl JournalReader {
    /// Maps every segment in `dir`, for reading beside a writer in this
    /// process: past a corrupt record it looks ahead only in closed segments.
    pub fn open(dir: &Path) -> Result<JournalReader, JournalError> {
        JournalReader::open_with(dir, false)
    }

    /// Maps every segment in `dir` for a tool in another process: past a
    /// corrupt record it always looks for the next good one. Bytes a writer
    /// elsewhere may be changing can be read by that search; nothing is
    /// trusted before its CRC verifies.
    pub fn open_offline(dir: &Path) -> Result<JournalReader, JournalError> {
        JournalReader::open_with(dir, true)
    }

    fn open_with(dir: &Path, offline: bool) -> Result<JournalReader, JournalError> {
        let mut r = JournalReader {
            offline,
            dir: dir.to_path_buf(),
            segments: Vec::new(),
        };
        r.refresh()?;
        Ok(r)
    }

    /// Maps segments created since the last call, and forgets removed ones.
    ///
    /// A file too short for a segment header is still being created (the
    /// preparer makes the file, then reserves its space): it is left for a
    /// later call, as a mapping made now would stay empty for good. The
    /// writer never enters a segment before it is complete.
    pub fn refresh(&mut self) -> Result<(), JournalError> {
        let listed = list_segments(&self.dir)?;
        self.segments
            .retain(|s| listed.iter().any(|(i, _)| *i == s.index));
        for (index, path) in listed {
            if self.segments.iter().all(|s| s.index != index) {
                let segment = ReadableSegment::open(&path, index)?;
                if segment.len() >= SEGMENT_HEADER_LEN {
                    self.segments.push(segment);
                }
            }
        }
        self.segments.sort_by_key(|s| s.index);
        Ok(())
    }

    /// Drops the mapping of segment `index` (before it is removed).
    pub fn forget(&mut self, index: u64) {
        self.segments.retain(|s| s.index != index);
    }

    /// The oldest segment's index (0 for an empty journal).
    pub fn first_segment(&self) -> u64 {
        self.segments.first().map_or(0, |s| s.index)
    }

    /// The mapped segments, oldest first.
    pub fn segments(&self) -> &[ReadableSegment] {
        &self.segments
    }

    fn segment(&self, index: u64) -> Option<&ReadableSegment> {
        self.segments
            .binary_search_by_key(&index, |s| s.index)
            .ok()
            .map(|i| &self.segments[i])
    }

    /// The verified record at `position`, if one starts there.
    pub fn record_at(&self, position: Position) -> Option<RecordRef<'_>> {
        let seg = self.segment(position.segment())?;
        match scan_at(seg, position.offset() as usize, false) {
            Scanned::Record(r) => Some(r),
            _ => None,
        }
    }

    /// Everything from `position` on, in journal order.
    pub fn iter_from(&self, position: Position) -> RecordIter<'_> {
        let n = self
            .segments
            .iter()
            .position(|s| s.index >= position.segment())
            .unwrap_or(self.segments.len());
        let offset = match self.segments.get(n) {
            Some(s) if s.index == position.segment() => {
                (position.offset() as usize).max(FIRST_RECORD)
            }
            _ => FIRST_RECORD,
        };
        RecordIter {
            reader: self,
            n,
            offset,
        }
    }
}

/// Iterates records, corrupt regions and torn tails in journal order.
#[derive(Debug)]
pub struct RecordIter<'a> {
    reader: &'a JournalReader,
    /// Index into `reader.segments`.
    n: usize,
    offset: usize,
}

impl<'a> RecordIter<'a> {
    /// Only the verified records (corrupt bytes are skipped).
    pub fn records(self) -> impl Iterator<Item = RecordRef<'a>> {
        self.filter_map(|s| match s {
            Scanned::Record(r) => Some(r),
            _ => None,
        })
    }

    /// Where the iteration stands: the next record would start here.
    pub fn position(&self) -> Position {
        match self.reader.segments.get(self.n) {
            Some(s) => Position::new(s.index, self.offset as u32),
            None => Position::new(
                self.reader.segments.last().map_or(0, |s| s.index + 1),
                FIRST_RECORD as u32,
            ),
        }
    }

    fn next_segment(&mut self) {
        self.n += 1;
        self.offset = FIRST_RECORD;
    }

    /// Does a later segment hold a record? (Then an unfinished end here was
    /// torn by a crash, not still being written.)
    fn later_segment_has_records(&self) -> bool {
        self.reader.segments[self.n + 1..]
            .iter()
            .any(|s| !matches!(scan_at(s, FIRST_RECORD, false), Scanned::End { .. }))
    }
}

impl<'a> Iterator for RecordIter<'a> {
    type Item = Scanned<'a>;

    fn next(&mut self) -> Option<Scanned<'a>> {
        loop {
            let seg = self.reader.segments.get(self.n)?;
            let mut scanned = scan_at(seg, self.offset, false);
            if matches!(scanned, Scanned::TornTail { .. })
                && (self.reader.offline || self.later_segment_has_records())
            {
                // Closed (or offline): safe to look for the next good record.
                scanned = scan_at(seg, self.offset, true);
            }
            match scanned {
                Scanned::Record(r) => {
                    self.offset += record_span(r.payload.len());
                    return Some(Scanned::Record(r));
                }
                Scanned::Corrupt { offset, next, what } => {
                    self.offset = next;
                    return Some(Scanned::Corrupt { offset, next, what });
                }
                Scanned::TornTail { offset, what } => {
                    self.next_segment();
                    return Some(Scanned::TornTail { offset, what });
                }
                Scanned::SegmentEnd { .. } => self.next_segment(),
                Scanned::End { offset } => {
                    let exact_end = offset + super::record::RECORD_HEADER_LEN > seg.len();
                    if exact_end {
                        self.next_segment();
                    } else if self.later_segment_has_records() {
                        // The end was loaded before the later record was
                        // seen, and a live writer may have filled this
                        // segment and rolled over in between. It publishes
                        // all of a segment before the next one, so now that
                        // a later record is seen (acquire) whatever it put
                        // here is visible: look again before taking this end
                        // for one torn by a crash.
                        if seg.load_length(offset) == Some(0) {
                            self.next_segment();
                        }
                    } else {
                        return None;
                    }
                }
            }
        }
    }
}
