//! The journal's on-disk record and segment layouts.
//!
//! A segment file is a 64-byte segment header followed by records, each
//! aligned to 8 bytes:
//!
//! ```text
//! record (40-byte header, then the raw FIX bytes, then padding to 8)
//!
//!  0               4               8       9       10              12
//!  +---------------+---------------+-------+-------+---------------+
//!  | length (u32)  | crc32c (u32)  |version| kind  | flags (u16)   |
//!  +---------------+---------------+-------+-------+---------------+
//!  12              16                              24
//!  +---------------+-------------------------------+
//!  | session (u32) | seq_num (u64)                 |
//!  +---------------+-------------------------------+
//!  24                              32              36              40
//!  +-------------------------------+---------------+---------------+
//!  | timestamp_ns (i64)            | msg_type [4]  | reserved (u32)|
//!  +-------------------------------+---------------+---------------+
//!  40
//!  +--------------------------------------- ... --+--- pad to 8 ---+
//!  | payload: `length` bytes (a whole FIX message, or a control body)|
//!  +--------------------------------------- ... --+-----------------+
//! ```
//!
//! - `length` is the payload length **plus one**, written last with release
//!   ordering: 0 means "nothing here yet" (the writer has not published the
//!   record, or the segment ends), so a reader never sees a half-written
//!   record, and an empty payload is still a published record.
//!   [`SEGMENT_END`] marks the rest of the segment unused: read on in the next.
//! - `crc32c` covers header bytes 8..40 and the payload: a torn or corrupted
//!   record is detected at recovery and cut, never trusted.
//! - `version` is [`RECORD_VERSION`] from day one.

/// Size of [`RecordHeader`] on disk.
pub const RECORD_HEADER_LEN: usize = 40;
/// Records start on multiples of this.
pub const RECORD_ALIGN: usize = 8;
/// The record format version written by this code.
pub const RECORD_VERSION: u8 = 1;
/// A `length` word that says: the rest of this segment is unused.
pub const SEGMENT_END: u32 = u32::MAX;

/// Size of the segment header.
pub const SEGMENT_HEADER_LEN: usize = 64;
/// First bytes of every segment file.
pub const SEGMENT_MAGIC: [u8; 8] = *b"FIXRAILJ";
/// The segment header format version.
pub const SEGMENT_VERSION: u32 = 1;

/// What a record holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Kind {
    /// A FIX message received.
    Inbound = 1,
    /// A FIX message sent.
    Outbound = 2,
    /// A sequence number change (reset or manual set): `seq_num` is the new
    /// value, `flags` says which counters, the payload says why (text).
    SeqChange = 3,
    /// A free-text audit note (e.g. the "MsgSeqNum too low" recovery).
    Audit = 4,
}

impl Kind {
    /// The kind for a stored byte.
    pub fn from_u8(v: u8) -> Option<Kind> {
        Some(match v {
            1 => Kind::Inbound,
            2 => Kind::Outbound,
            3 => Kind::SeqChange,
            4 => Kind::Audit,
            _ => return None,
        })
    }

    /// A short name for tools.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Inbound => "in",
            Kind::Outbound => "out",
            Kind::SeqChange => "seq",
            Kind::Audit => "audit",
        }
    }
}

/// Record flags.
pub mod flags {
    /// A message sent or received with PossDupFlag=Y (a resend).
    pub const POSS_DUP: u16 = 1 << 0;
    /// SeqChange: the next outbound sequence number is `seq_num`.
    pub const SET_NEXT_OUT: u16 = 1 << 1;
    /// SeqChange: the next expected inbound sequence number is `seq_num`.
    pub const SET_NEXT_IN: u16 = 1 << 2;
    /// SeqChange: a sequence reset (both counters back to `seq_num`), which
    /// also starts a new resend history.
    pub const RESET: u16 = 1 << 3;
    /// The MsgType did not fit the 4-byte field and is truncated.
    pub const MSG_TYPE_TRUNCATED: u16 = 1 << 4;
    /// Inbound: the session processed this message in order, so the next
    /// expected inbound sequence number is its seq + 1.
    pub const ADVANCES_IN: u16 = 1 << 5;
}

/// The fixed part of a record, as laid out on disk (little-endian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
pub struct RecordHeader {
    /// Payload length + 1; 0 = unpublished; [`SEGMENT_END`] = segment end.
    pub length: u32,
    /// CRC32C of header bytes 8..40 and the payload.
    pub crc: u32,
    /// [`RECORD_VERSION`].
    pub version: u8,
    /// A [`Kind`] byte.
    pub kind: u8,
    /// [`flags`].
    pub flags: u16,
    /// The session the record belongs to.
    pub session: u32,
    /// MsgSeqNum (messages) or the new value (SeqChange).
    pub seq_num: u64,
    /// When the record was written, nanoseconds since the Unix epoch.
    pub timestamp_ns: i64,
    /// MsgType bytes, zero-padded.
    pub msg_type: [u8; 4],
    /// Zero; room for later versions.
    pub reserved: u32,
}

impl RecordHeader {
    /// Serialises bytes 4..40 (everything but `length`) into `out`.
    pub fn write_tail(&self, out: &mut [u8]) {
        out[4..8].copy_from_slice(&self.crc.to_le_bytes());
        out[8] = self.version;
        out[9] = self.kind;
        out[10..12].copy_from_slice(&self.flags.to_le_bytes());
        out[12..16].copy_from_slice(&self.session.to_le_bytes());
        out[16..24].copy_from_slice(&self.seq_num.to_le_bytes());
        out[24..32].copy_from_slice(&self.timestamp_ns.to_le_bytes());
        out[32..36].copy_from_slice(&self.msg_type);
        out[36..40].copy_from_slice(&self.reserved.to_le_bytes());
    }

    /// Reads a header from 40 bytes.
    pub fn read(b: &[u8]) -> RecordHeader {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        RecordHeader {
            length: u32_at(0),
            crc: u32_at(4),
            version: b[8],
            kind: b[9],
            flags: u16::from_le_bytes([b[10], b[11]]),
            session: u32_at(12),
            seq_num: u64_at(16),
            timestamp_ns: u64_at(24) as i64,
            msg_type: [b[32], b[33], b[34], b[35]],
            reserved: u32_at(36),
        }
    }

    /// The payload length, for a published record.
    pub fn payload_len(&self) -> usize {
        self.length as usize - 1
    }

    /// The MsgType without its zero padding.
    pub fn msg_type(&self) -> &[u8] {
        let n = self.msg_type.iter().position(|&b| b == 0).unwrap_or(4);
        &self.msg_type[..n]
    }
}

/// MsgType bytes for the header; sets the truncation flag when needed.
pub fn pack_msg_type(msg_type: &[u8], flags: &mut u16) -> [u8; 4] {
    let mut out = [0u8; 4];
    let n = msg_type.len().min(4);
    out[..n].copy_from_slice(&msg_type[..n]);
    if msg_type.len() > 4 {
        *flags |= flags::MSG_TYPE_TRUNCATED;
    }
    out
}

/// The CRC32C a record carries: header bytes 8..40, then the payload.
#[inline]
pub fn record_crc(header_tail: &[u8], payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&header_tail[8..RECORD_HEADER_LEN]), payload)
}

/// Bytes a record with `payload_len` bytes occupies, padding included.
#[inline]
pub const fn record_span(payload_len: usize) -> usize {
    (RECORD_HEADER_LEN + payload_len + RECORD_ALIGN - 1) & !(RECORD_ALIGN - 1)
}

/// The segment header.
///
/// ```text
///  0               8               12              16
///  +---------------+---------------+---------------+
///  | magic FIXRAILJ| version (u32) | reserved (u32)|
///  +---------------+---------------+---------------+
///  16                              24                              32
///  +-------------------------------+-------------------------------+
///  | segment index (u64)           | segment size in bytes (u64)   |
///  +-------------------------------+-------------------------------+
///  32                              40                              64
///  +-------------------------------+-------------------------------+
///  | created, ns since epoch (i64) | reserved (zero)               |
///  +-------------------------------+-------------------------------+
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentHeader {
    /// Position of the segment in the journal, from 0.
    pub index: u64,
    /// The file's size, header included.
    pub size: u64,
    /// When the segment was prepared.
    pub created_ns: i64,
}

impl SegmentHeader {
    /// Serialises into the first 64 bytes of a segment.
    pub fn write(&self, out: &mut [u8]) {
        out[..SEGMENT_HEADER_LEN].fill(0);
        out[0..8].copy_from_slice(&SEGMENT_MAGIC);
        out[8..12].copy_from_slice(&SEGMENT_VERSION.to_le_bytes());
        out[16..24].copy_from_slice(&self.index.to_le_bytes());
        out[24..32].copy_from_slice(&self.size.to_le_bytes());
        out[32..40].copy_from_slice(&self.created_ns.to_le_bytes());
    }

    /// Reads and checks a segment header.
    pub fn read(b: &[u8]) -> Result<SegmentHeader, &'static str> {
        if b.len() < SEGMENT_HEADER_LEN {
            return Err("file shorter than a segment header");
        }
        if b[0..8] != SEGMENT_MAGIC {
            return Err("not a fixrail journal segment (bad magic)");
        }
        let version = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
        if version != SEGMENT_VERSION {
            return Err("unsupported segment version");
        }
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        Ok(SegmentHeader {
            index: u64_at(16),
            size: u64_at(24),
            created_ns: u64_at(32) as i64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn the_header_layout_matches_the_diagram() {
        assert_eq!(size_of::<RecordHeader>(), RECORD_HEADER_LEN);
        assert_eq!(offset_of!(RecordHeader, length), 0);
        assert_eq!(offset_of!(RecordHeader, crc), 4);
        assert_eq!(offset_of!(RecordHeader, version), 8);
        assert_eq!(offset_of!(RecordHeader, kind), 9);
        assert_eq!(offset_of!(RecordHeader, flags), 10);
        assert_eq!(offset_of!(RecordHeader, session), 12);
        assert_eq!(offset_of!(RecordHeader, seq_num), 16);
        assert_eq!(offset_of!(RecordHeader, timestamp_ns), 24);
        assert_eq!(offset_of!(RecordHeader, msg_type), 32);
        assert_eq!(offset_of!(RecordHeader, reserved), 36);
        // No padding: the fields add up to the size.
        assert_eq!(4 + 4 + 1 + 1 + 2 + 4 + 8 + 8 + 4 + 4, RECORD_HEADER_LEN);
    }

    #[test]
    fn headers_round_trip_through_bytes_at_the_documented_offsets() {
        let mut flags = flags::POSS_DUP;
        let h = RecordHeader {
            length: 201,
            crc: 0xdead_beef,
            version: RECORD_VERSION,
            kind: Kind::Outbound as u8,
            flags,
            session: 7,
            seq_num: 1083,
            timestamp_ns: -5,
            msg_type: pack_msg_type(b"AF", &mut flags),
            reserved: 0,
        };
        let mut b = [0u8; RECORD_HEADER_LEN];
        b[0..4].copy_from_slice(&h.length.to_le_bytes());
        h.write_tail(&mut b);
        assert_eq!(RecordHeader::read(&b), h);
        assert_eq!(&b[16..24], &1083u64.to_le_bytes());
        assert_eq!(&b[32..36], b"AF\0\0");
        assert_eq!(h.msg_type(), b"AF");
        let mut f = 0;
        assert_eq!(pack_msg_type(b"LONGER", &mut f), *b"LONG");
        assert_eq!(f, flags::MSG_TYPE_TRUNCATED);
    }

    #[test]
    fn spans_are_aligned_and_segment_headers_are_checked() {
        assert_eq!(record_span(0), 40);
        assert_eq!(record_span(1), 48);
        assert_eq!(record_span(8), 48);
        assert_eq!(record_span(200), 240);
        let s = SegmentHeader {
            index: 3,
            size: 1 << 20,
            created_ns: 42,
        };
        let mut b = [0xffu8; SEGMENT_HEADER_LEN];
        s.write(&mut b);
        assert_eq!(SegmentHeader::read(&b), Ok(s));
        b[0] = b'X';
        assert!(SegmentHeader::read(&b).is_err());
    }
}
