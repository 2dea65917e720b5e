//! Reading records out of segments: one scanner for recovery, readers and the
//! `fixrail journal` tools.
//!
//! At each record offset the scanner loads the length word (acquire), then
//! checks the version, kind, bounds and CRC. A record that fails is *corrupt*:
//! the scanner looks ahead, 8 bytes at a time, for the next record that
//! passes every check; if there is one, the bytes between are reported as a
//! corrupt region and the scan goes on; if there is none, the rest of the
//! segment is a torn tail. Nothing unverified is ever returned as a record.

use super::record::{
    record_crc, record_span, Kind, RecordHeader, RECORD_ALIGN, RECORD_HEADER_LEN, RECORD_VERSION,
    SEGMENT_END, SEGMENT_HEADER_LEN,
};
use super::segment::ReadableSegment;
use super::Position;

/// A verified record inside a mapped segment.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    /// Where it starts.
    pub position: Position,
    /// Its header.
    pub header: RecordHeader,
    /// What kind of record it is.
    pub kind: Kind,
    /// The payload (a whole FIX message for Inbound/Outbound).
    pub payload: &'a [u8],
}

impl RecordRef<'_> {
    /// The position just after this record.
    pub fn end(&self) -> Position {
        Position::new(
            self.position.segment(),
            self.position.offset() + record_span(self.payload.len()) as u32,
        )
    }
}

/// What the scanner found at an offset.
#[derive(Debug)]
pub enum Scanned<'a> {
    /// A verified record.
    Record(RecordRef<'a>),
    /// Bytes `[offset, next)` are corrupt; a verified record starts at `next`.
    Corrupt {
        /// Start of the bad bytes.
        offset: usize,
        /// Where the next good record starts.
        next: usize,
        /// What was wrong with the first record.
        what: &'static str,
    },
    /// Bytes from `offset` to the end of the segment are not a record: a
    /// torn or corrupt tail. (`what` says why.)
    TornTail {
        /// Start of the tail.
        offset: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// Nothing published at `offset`: the end of what was written.
    End {
        /// The offset.
        offset: usize,
    },
    /// The writer closed this segment at `offset`; read on in the next one.
    SegmentEnd {
        /// The offset.
        offset: usize,
    },
}

/// Checks the record at `offset`, without looking past it.
fn check(seg: &ReadableSegment, offset: usize) -> Result<Option<RecordRef<'_>>, &'static str> {
    let Some(length) = seg.load_length(offset) else {
        return Ok(None);
    };
    if length == 0 || length == SEGMENT_END {
        return Ok(None);
    }
    if offset + RECORD_HEADER_LEN > seg.len() {
        return Err("record header runs past the segment end");
    }
    let head = seg.bytes(offset, offset + RECORD_HEADER_LEN);
    let header = RecordHeader::read(head);
    if header.version != RECORD_VERSION {
        return Err("unknown record version");
    }
    let Some(kind) = Kind::from_u8(header.kind) else {
        return Err("unknown record kind");
    };
    let payload_len = header.payload_len();
    if offset + record_span(payload_len) > seg.len() {
        return Err("record length runs past the segment end");
    }
    let payload = seg.bytes(
        offset + RECORD_HEADER_LEN,
        offset + RECORD_HEADER_LEN + payload_len,
    );
    if record_crc(head, payload) != header.crc {
        return Err("CRC mismatch");
    }
    Ok(Some(RecordRef {
        position: Position::new(seg.index, offset as u32),
        header,
        kind,
        payload,
    }))
}

/// Scans the record at `offset` (see the module doc). `look_ahead` allows
/// the search past a corrupt record for the next good one; it reads bytes
/// past the published end, so it is only for segments no writer in this
/// process may still be appending to (recovery under the lock, closed
/// segments, offline tools). Without it a corrupt record is reported as a
/// torn tail at its offset.
pub fn scan_at(seg: &ReadableSegment, offset: usize, look_ahead: bool) -> Scanned<'_> {
    match check(seg, offset) {
        Ok(Some(r)) => Scanned::Record(r),
        Ok(None) => match seg.load_length(offset) {
            Some(SEGMENT_END) => Scanned::SegmentEnd { offset },
            _ => Scanned::End { offset },
        },
        Err(what) if !look_ahead => Scanned::TornTail { offset, what },
        Err(what) => {
            let mut next = offset + RECORD_ALIGN;
            while next + RECORD_HEADER_LEN <= seg.len() {
                if let Ok(Some(_)) = check(seg, next) {
                    return Scanned::Corrupt { offset, next, what };
                }
                next += RECORD_ALIGN;
            }
            Scanned::TornTail { offset, what }
        }
    }
}

/// The first record offset of a segment.
pub const FIRST_RECORD: usize = SEGMENT_HEADER_LEN;
