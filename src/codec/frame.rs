//! Framing: finds whole FIX messages in a byte stream.
//!
//! Owns the rules for message boundaries: BeginString first, BodyLength second,
//! MsgType third, CheckSum last and correct. It reads bytes and reports one of
//! three outcomes; it never copies, allocates or waits for more than
//! `message_size_max` bytes. It does not know about sessions or dictionaries.
//!
//! A message that breaks one of those rules is *garbled*: the FIX session
//! protocol says it is ignored (no Reject, no sequence number consumed) and the
//! stream resumes at the next message. Where the next message starts follows
//! QuickFIX, so that both engines agree on what was lost:
//! - a wrong BodyLength: the frame runs to the next `<SOH>10=...<SOH>` at or
//!   after the declared end (a too-long BodyLength swallows what it covers);
//! - a wrong or malformed CheckSum: the frame is dropped whole;
//! - anything before a BeginString, or a header that cannot be read: skip to
//!   the next `8=FIX`, wherever it is, keeping a trailing `8=FI`-like partial
//!   match, so what survives never depends on where the reads happened to end.
//!
//! Searching for a CheckSum field after a wrong BodyLength resumes where the
//! last call stopped while the buffer still holds the same message (checked),
//! so a garbled message trickled in byte by byte costs linear, not quadratic,
//! time.

use super::SOH;

/// Framing limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramerConfig {
    /// The largest BodyLength accepted. A larger one is garbled at once, so an
    /// absurd length never makes the reader buffer or wait for it.
    pub message_size_max: usize,
}

impl Default for FramerConfig {
    fn default() -> Self {
        FramerConfig {
            message_size_max: 64 * 1024,
        }
    }
}

/// The longest BeginString value accepted (`FIXT.1.1` is 8).
pub(crate) const BEGIN_STRING_MAX: usize = 16;
/// The most BodyLength digits accepted.
pub(crate) const BODY_LENGTH_DIGITS_MAX: usize = 9;
/// `10=` + three digits + SOH.
pub(crate) const TRAILER_LEN: usize = 7;

/// What the framer found at the start of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame {
    /// `buf[..len]` is one whole message whose BeginString, BodyLength, MsgType
    /// position and CheckSum are right.
    Message(MessageFrame),
    /// The buffer holds the start of a message (or nothing); read more.
    NeedMore,
    /// `buf[..skip]` must be dropped: it is garbled for `reason`.
    Garbled {
        /// Bytes to drop from the front of the buffer (at least 1).
        skip: usize,
        /// What was wrong.
        reason: Garbled,
    },
}

/// Where the parts of a framed message are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageFrame {
    /// Length of the whole message, through the CheckSum's SOH.
    pub len: usize,
    /// End of the BeginString value: the offset of its SOH (the value starts at 2).
    pub begin_string_end: usize,
    /// Offset of the first byte after `9=<n><SOH>`: where BodyLength counts from.
    pub body_start: usize,
    /// Offset of `10=`.
    pub trailer_start: usize,
}

impl MessageFrame {
    /// The BeginString value, e.g. `FIX.4.4`.
    pub fn begin_string<'a>(&self, msg: &'a [u8]) -> &'a [u8] {
        &msg[2..self.begin_string_end]
    }
}

/// Why bytes were dropped as garbled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Garbled {
    /// Bytes before the next `8=`: not the start of a message.
    NoBeginString,
    /// BeginString is not `FIX.`/`FIXT.` followed by a version, or has no SOH.
    BadBeginString,
    /// BodyLength is not the second field or is not a number.
    BadBodyLength,
    /// BodyLength is above `message_size_max`.
    BodyLengthTooLarge,
    /// The CheckSum field is not where BodyLength says it is.
    BodyLengthMismatch,
    /// MsgType is not the third field.
    MsgTypeNotThird,
    /// CheckSum is not three digits.
    BadCheckSumFormat,
    /// CheckSum does not match the bytes.
    CheckSumMismatch,
}

impl Garbled {
    /// A short description for logs and counters.
    pub const fn as_str(self) -> &'static str {
        match self {
            Garbled::NoBeginString => "bytes before BeginString",
            Garbled::BadBeginString => "bad BeginString",
            Garbled::BadBodyLength => "bad BodyLength",
            Garbled::BodyLengthTooLarge => "BodyLength above message_size_max",
            Garbled::BodyLengthMismatch => "BodyLength does not match the message",
            Garbled::MsgTypeNotThird => "MsgType is not the third field",
            Garbled::BadCheckSumFormat => "CheckSum is not three digits",
            Garbled::CheckSumMismatch => "CheckSum does not match",
        }
    }

    /// Every reason, for counters indexed by reason.
    pub const ALL: [Garbled; 8] = [
        Garbled::NoBeginString,
        Garbled::BadBeginString,
        Garbled::BadBodyLength,
        Garbled::BodyLengthTooLarge,
        Garbled::BodyLengthMismatch,
        Garbled::MsgTypeNotThird,
        Garbled::BadCheckSumFormat,
        Garbled::CheckSumMismatch,
    ];
}

/// Finds message boundaries; holds its limits and where an unfinished search
/// for a CheckSum field stopped.
#[derive(Debug, Clone, Copy, Default)]
pub struct Framer {
    config: FramerConfig,
    scan: Option<ScanMemo>,
}

/// How far the search for `<SOH>10=` got in the message at the front of the
/// buffer, and enough of that buffer to recognise it on the next call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ScanMemo {
    body_start: usize,
    body_len: usize,
    /// Nothing in `[.., searched_to)` starts a CheckSum field.
    searched_to: usize,
    /// The 8 bytes before `searched_to`.
    tail: u64,
}

impl Framer {
    /// A framer with the given limits.
    pub fn new(config: FramerConfig) -> Framer {
        Framer { config, scan: None }
    }

    /// The limits in force.
    pub fn config(&self) -> &FramerConfig {
        &self.config
    }

    /// Looks at the front of `buf` and says whether it holds a whole message,
    /// needs more bytes, or starts with bytes to drop.
    pub fn frame(&mut self, buf: &[u8]) -> Frame {
        let outcome = self.frame_inner(buf);
        if self.scan.is_some() && !matches!(outcome, Frame::NeedMore) {
            self.scan = None;
        }
        outcome
    }

    fn frame_inner(&mut self, buf: &[u8]) -> Frame {
        // 1. BeginString: "8=" then FIX./FIXT. then SOH.
        if buf.len() < 2 {
            return if b"8=".starts_with(buf) {
                Frame::NeedMore
            } else {
                garbled(resync(buf), Garbled::NoBeginString)
            };
        }
        // Slice patterns compare bytes in place (no `memcmp` call).
        if !matches!(buf, [b'8', b'=', ..]) {
            return garbled(resync(buf), Garbled::NoBeginString);
        }
        let bs_limit = buf.len().min(2 + BEGIN_STRING_MAX + 1);
        let Some(bs_end) = find_soh(&buf[2..bs_limit]).map(|i| i + 2) else {
            return if buf.len() < 2 + BEGIN_STRING_MAX + 1 {
                Frame::NeedMore
            } else {
                garbled(resync(buf), Garbled::BadBeginString)
            };
        };
        let bs = &buf[2..bs_end];
        if !matches!(
            bs,
            [b'F', b'I', b'X', b'.', ..] | [b'F', b'I', b'X', b'T', b'.', ..]
        ) {
            return garbled(resync(buf), Garbled::BadBeginString);
        }

        // 2. BodyLength: "9=" digits SOH, right after BeginString.
        let bl_start = bs_end + 1;
        let bl_limit = buf.len().min(bl_start + 2 + BODY_LENGTH_DIGITS_MAX + 1);
        let head = &buf[bl_start..bl_limit];
        if !matches!(head, [] | [b'9'] | [b'9', b'=', ..]) {
            return garbled(resync(buf), Garbled::BadBodyLength);
        }
        let Some(bl_soh) = find_soh(head).map(|i| i + bl_start) else {
            return if bl_limit < bl_start + 2 + BODY_LENGTH_DIGITS_MAX + 1 {
                Frame::NeedMore
            } else {
                garbled(resync(buf), Garbled::BadBodyLength)
            };
        };
        // `head` starts with "9=" here, so the SOH is at least two bytes in.
        let digits = &buf[bl_start + 2..bl_soh];
        if digits.is_empty() {
            return garbled(resync(buf), Garbled::BadBodyLength);
        }
        // At most nine digits (the search above is bounded), so no overflow.
        let mut body_len = 0usize;
        for &c in digits {
            let d = c.wrapping_sub(b'0');
            if d > 9 {
                return garbled(resync(buf), Garbled::BadBodyLength);
            }
            body_len = body_len * 10 + d as usize;
        }
        if body_len > self.config.message_size_max {
            return garbled(resync(buf), Garbled::BodyLengthTooLarge);
        }
        let body_start = bl_soh + 1;
        let body_end = body_start + body_len;

        // 3. Wait for the whole body and `10=`, then find the CheckSum field.
        if buf.len() < body_end + 3 {
            return Frame::NeedMore;
        }
        let (trailer_start, len, length_ok) = if body_len > 0 && at_checksum(buf, body_end) {
            match find_soh(&buf[body_end + 3..]) {
                Some(i) => (body_end, body_end + 3 + i + 1, true),
                None => return self.wait_or_resync(buf, body_start),
            }
        } else {
            // QuickFIX-compatible recovery: the frame ends at the next CheckSum
            // field after the declared end; the whole run is garbled.
            let mut from = body_end.saturating_sub(1).max(body_start);
            let search_end = buf.len().min(body_start + self.config.message_size_max + 1);
            if let Some(m) = self.scan {
                let same = m.body_start == body_start
                    && m.body_len == body_len
                    && m.searched_to >= 8
                    && m.searched_to <= buf.len()
                    && word_from(buf, m.searched_to - 8) == m.tail;
                if same {
                    // A CheckSum field may straddle where the last search stopped.
                    from = from.max(m.searched_to.saturating_sub(3));
                }
            }
            match find_checksum_field(&buf[from..search_end.max(from)]) {
                Some(i) => {
                    let t = from + i + 1;
                    match find_soh(&buf[t + 3..]) {
                        Some(j) => (t, t + 3 + j + 1, false),
                        None => return self.wait_or_resync(buf, body_start),
                    }
                }
                None => {
                    if search_end >= 8 {
                        self.scan = Some(ScanMemo {
                            body_start,
                            body_len,
                            searched_to: search_end,
                            tail: word_from(buf, search_end - 8),
                        });
                    }
                    return self.wait_or_resync(buf, body_start);
                }
            }
        };
        if !length_ok {
            return garbled(len, Garbled::BodyLengthMismatch);
        }

        // 4. MsgType must be the third field.
        if !matches!(&buf[body_start..], [b'3', b'5', b'=', ..])
            || find_soh(&buf[body_start..trailer_start]).is_none()
        {
            return garbled(len, Garbled::MsgTypeNotThird);
        }

        // 5. CheckSum: exactly three digits equal to the byte sum mod 256.
        let cs = &buf[trailer_start + 3..len - 1];
        if cs.len() != 3 || !cs.iter().all(u8::is_ascii_digit) {
            return garbled(len, Garbled::BadCheckSumFormat);
        }
        let declared =
            (cs[0] - b'0') as u32 * 100 + (cs[1] - b'0') as u32 * 10 + (cs[2] - b'0') as u32;
        if declared != checksum(&buf[..trailer_start]) as u32 {
            return garbled(len, Garbled::CheckSumMismatch);
        }
        Frame::Message(MessageFrame {
            len,
            begin_string_end: bs_end,
            body_start,
            trailer_start,
        })
    }

    /// The CheckSum field was not (yet) found: wait while the message could
    /// still be within `message_size_max`, else give up on this header.
    fn wait_or_resync(&self, buf: &[u8], body_start: usize) -> Frame {
        if buf.len() <= body_start + self.config.message_size_max + TRAILER_LEN {
            Frame::NeedMore
        } else {
            garbled(resync(buf), Garbled::BodyLengthMismatch)
        }
    }
}

#[inline]
fn garbled(skip: usize, reason: Garbled) -> Frame {
    Frame::Garbled {
        skip: skip.max(1),
        reason,
    }
}

/// Is `<SOH>10=` at `pos - 1`?
#[inline]
fn at_checksum(buf: &[u8], pos: usize) -> bool {
    matches!(buf[pos - 1..pos + 3], [SOH, b'1', b'0', b'='])
}

/// Offset of the SOH that starts the first `<SOH>10=` in `buf`.
pub(crate) fn find_checksum_field(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\x0110=")
}

/// How many bytes to drop to reach the next `8=FIX` (at offset 1 or later),
/// keeping a trailing partial match (`8`, `8=`, `8=F`, `8=FI`) that the next
/// read may complete. The answer depends only on bytes that are certainly not
/// part of a message start, so it is the same however the stream was split.
fn resync(buf: &[u8]) -> usize {
    const START: &[u8] = b"8=FIX";
    let mut i = 1;
    while i < buf.len() {
        if buf[i] == b'8' {
            let rest = &buf[i..];
            if rest.starts_with(START) || START.starts_with(rest) {
                return i;
            }
        }
        i += 1;
    }
    buf.len()
}

/// Offset of the first SOH in `buf`.
#[inline]
pub(crate) fn find_soh(buf: &[u8]) -> Option<usize> {
    find_byte(buf, SOH)
}

/// `0x01` in every byte lane of a word.
const LANES_LO: u64 = 0x0101_0101_0101_0101;
/// `0x80` in every byte lane of a word.
const LANES_HI: u64 = 0x8080_8080_8080_8080;

/// The little-endian word of the eight bytes at `buf[at..]`, if there are eight.
#[inline(always)]
pub(crate) fn word_at(buf: &[u8], at: usize) -> Option<u64> {
    match buf.get(at..at.wrapping_add(8)) {
        Some(&[a, b, c, d, e, f, g, h]) => Some(u64::from_le_bytes([a, b, c, d, e, f, g, h])),
        _ => None,
    }
}

/// The eight bytes at `buf[at..]` as a little-endian word, zero-filled past
/// the end of `buf` (a zero byte is never SOH, `=` or a digit). `at` must be
/// below `buf.len()`. Near the end it reads the last eight bytes and shifts.
#[inline(always)]
pub(crate) fn word_from(buf: &[u8], at: usize) -> u64 {
    if let Some(w) = word_at(buf, at) {
        return w;
    }
    let n = buf.len();
    debug_assert!(at < n);
    match n.checked_sub(8).and_then(|last| word_at(buf, last)) {
        // `at + 8 - n` is 1..=7 bytes before `at` to drop.
        Some(w) => w >> (8 * (at + 8 - n)),
        None => short_word(buf.get(at..).unwrap_or(&[])),
    }
}

/// The little-endian `u32` at `buf[at..at + 4]`.
#[inline(always)]
pub(crate) fn u32_at(buf: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&buf[at..at + 4]);
    u32::from_le_bytes(w)
}

/// Up to eight bytes as a little-endian word, zero-filled.
#[cold]
fn short_word(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    let n = bytes.len().min(8);
    word[..n].copy_from_slice(&bytes[..n]);
    u64::from_le_bytes(word)
}

/// Index (0..8) of the first byte of little-endian word `w` equal to `b`.
///
/// The classic "has zero byte" test on `w ^ b...b`: the borrow it relies on
/// can only set lanes *above* a real zero lane, so the lowest set bit is exact.
#[inline(always)]
pub(crate) fn first_in_word(w: u64, b: u8) -> Option<usize> {
    let x = w ^ (LANES_LO * b as u64);
    let z = x.wrapping_sub(LANES_LO) & !x & LANES_HI;
    if z == 0 {
        None
    } else {
        Some((z.trailing_zeros() / 8) as usize)
    }
}

/// Offset of the first `b` in `buf`, eight bytes per step (SWAR): FIX values
/// are short, so a word-at-a-time scan with no set-up beats a SIMD `memchr`
/// call, and it needs no `unsafe`.
#[inline(always)]
pub(crate) fn find_byte(buf: &[u8], b: u8) -> Option<usize> {
    let mut chunks = buf.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        if let Some(i) = first_in_word(u64::from_le_bytes(word), b) {
            return Some(base + i);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&c| c == b)
        .map(|i| base + i)
}

/// The FIX CheckSum of `bytes`: their sum modulo 256.
// Never inlined: inside a large caller (the encoder) LLVM leaves the lanes
// scalar, 16 byte-adds per 16 bytes; on its own it is one vector add.
#[inline(never)]
pub fn checksum(bytes: &[u8]) -> u8 {
    // Only the sum mod 256 matters, so sixteen wrapping byte lanes are exact.
    let mut lanes = [0u8; 16];
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        for (lane, &b) in lanes.iter_mut().zip(chunk) {
            *lane = lane.wrapping_add(b);
        }
    }
    let mut sum = chunks
        .remainder()
        .iter()
        .fold(0u8, |s, &b| s.wrapping_add(b));
    for lane in lanes {
        sum = sum.wrapping_add(lane);
    }
    sum
}

/// True if `bytes` holds an SOH: whole words, the last one overlapping the
/// one before, so there is no byte-at-a-time tail.
#[inline(always)]
pub(crate) fn contains_soh(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n >= 8 {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            if first_in_word(u64::from_le_bytes(w), SOH).is_some() {
                return true;
            }
        }
        !chunks.remainder().is_empty()
            && word_at(bytes, n - 8).is_some_and(|w| first_in_word(w, SOH).is_some())
    } else if n >= 4 {
        // The first and last four bytes, tested as one word.
        let (first, last) = (u32_at(bytes, 0), u32_at(bytes, n - 4));
        first_in_word(u64::from(first) | u64::from(last) << 32, SOH).is_some()
    } else {
        // Up to three bytes: the first, middle and last cover them.
        n > 0 && (bytes[0] == SOH || bytes[n / 2] == SOH || bytes[n - 1] == SOH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::testing::fix;

    fn framer() -> Framer {
        Framer::new(FramerConfig {
            message_size_max: 256,
        })
    }

    #[test]
    fn a_whole_message_is_framed_with_its_parts() {
        let m = fix("8=FIX.4.4|35=0|34=2|49=A|56=B|52=20261122-10:00:00|");
        match framer().frame(&m) {
            Frame::Message(f) => {
                assert_eq!(f.len, m.len());
                assert_eq!(f.begin_string(&m), b"FIX.4.4");
                assert_eq!(&m[f.body_start..f.body_start + 5], b"35=0\x01");
                assert_eq!(&m[f.trailer_start..f.trailer_start + 3], b"10=");
            }
            other => panic!("expected a message, got {other:?}"),
        }
    }

    #[test]
    fn every_proper_prefix_needs_more() {
        let m = fix("8=FIX.4.4|35=0|34=2|49=A|56=B|52=20261122-10:00:00|");
        for n in 0..m.len() {
            assert_eq!(
                framer().frame(&m[..n]),
                Frame::NeedMore,
                "prefix of {n} bytes"
            );
        }
    }

    #[test]
    fn a_wrong_checksum_drops_the_whole_message() {
        let mut m = fix("8=FIX.4.4|35=0|34=2|49=A|56=B|");
        let n = m.len();
        m[n - 2] = if m[n - 2] == b'9' { b'0' } else { m[n - 2] + 1 };
        assert_eq!(
            framer().frame(&m),
            Frame::Garbled {
                skip: n,
                reason: Garbled::CheckSumMismatch
            }
        );
    }

    #[test]
    fn a_short_body_length_runs_to_the_checksum_field() {
        // QuickFIX 2m: 9=30 on a longer message; the message is garbled whole.
        let m = fix("8=FIX.4.4|9=30|35=D|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|21=3|");
        assert_eq!(
            framer().frame(&m),
            Frame::Garbled {
                skip: m.len(),
                reason: Garbled::BodyLengthMismatch
            }
        );
    }

    #[test]
    fn a_long_body_length_swallows_what_it_covers() {
        // QuickFIX 2m: 9=111 on a 99-byte body: it waits for more bytes, then
        // the frame ends at the next message's CheckSum.
        let first = fix("8=FIX.4.4|9=111|35=D|34=4|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|21=3|40=1|54=1|55=INTC|");
        let second = fix("8=FIX.4.4|35=D|34=5|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|21=3|40=1|54=1|55=INTC|");
        assert_eq!(framer().frame(&first), Frame::NeedMore);
        let mut both = first.clone();
        both.extend_from_slice(&second);
        assert_eq!(
            framer().frame(&both),
            Frame::Garbled {
                skip: both.len(),
                reason: Garbled::BodyLengthMismatch
            }
        );
    }

    #[test]
    fn an_absurd_body_length_is_garbled_at_once() {
        let m = b"8=FIX.4.4\x019=999999999\x0135=0\x01";
        assert_eq!(
            framer().frame(m),
            Frame::Garbled {
                skip: m.len(),
                reason: Garbled::BodyLengthTooLarge
            }
        );
        let m = b"8=FIX.4.4\x019=9999999999";
        assert!(matches!(
            framer().frame(m),
            Frame::Garbled {
                reason: Garbled::BadBodyLength,
                ..
            }
        ));
    }

    #[test]
    fn a_missing_checksum_field_is_given_up_after_the_size_limit() {
        let mut m = b"8=FIX.4.4\x019=10\x0135=0\x01".to_vec();
        m.resize(m.len() + 300, b'x');
        assert!(matches!(
            framer().frame(&m),
            Frame::Garbled {
                reason: Garbled::BodyLengthMismatch,
                ..
            }
        ));
    }

    #[test]
    fn leading_garbage_is_skipped_to_the_next_begin_string() {
        let m = fix("8=FIX.4.4|35=0|34=2|49=A|56=B|");
        let mut buf = b"35=0\x01".to_vec();
        buf.extend_from_slice(&m);
        assert_eq!(
            framer().frame(&buf),
            Frame::Garbled {
                skip: 5,
                reason: Garbled::NoBeginString
            }
        );
        assert!(matches!(framer().frame(&buf[5..]), Frame::Message(_)));
        // Garbage with no begin string in sight goes whole; a trailing
        // partial "8=FIX" is kept for the next read to complete.
        assert_eq!(
            framer().frame(b"xyz\x01"),
            Frame::Garbled {
                skip: 4,
                reason: Garbled::NoBeginString
            }
        );
        assert_eq!(
            framer().frame(b"xyz\x018=FI"),
            Frame::Garbled {
                skip: 4,
                reason: Garbled::NoBeginString
            }
        );
        // A begin string right after garbage is found without an SOH before it.
        assert_eq!(
            framer().frame(b"junk8=FIX.4.4\x01"),
            Frame::Garbled {
                skip: 4,
                reason: Garbled::NoBeginString
            }
        );
    }

    #[test]
    fn a_garbled_message_trickled_in_byte_by_byte_is_scanned_once() {
        // Regression: with a wrong BodyLength, every call rescanned the whole
        // buffer for the CheckSum field (quadratic in the message size).
        let mut body = String::from("8=FIX.4.4|9=10|35=0|58=");
        body.push_str(&"x".repeat(60_000));
        body.push('|');
        let m = fix(&body);
        let mut f = Framer::new(FramerConfig {
            message_size_max: 64 * 1024,
        });
        let mut scanned_to = 0;
        for n in 1..m.len() {
            assert_eq!(f.frame(&m[..n]), Frame::NeedMore, "prefix {n}");
            if let Some(memo) = f.scan {
                assert!(memo.searched_to >= scanned_to, "the search never goes back");
                scanned_to = memo.searched_to;
            }
        }
        assert!(scanned_to > 60_000, "the memo followed the reads");
        assert_eq!(
            f.frame(&m),
            Frame::Garbled {
                skip: m.len(),
                reason: Garbled::BodyLengthMismatch
            }
        );
        assert_eq!(f.scan, None, "forgotten once the message is decided");
        // A different buffer with the same header is not fooled by the memo.
        let other = fix("8=FIX.4.4|9=10|35=0|58=yy|");
        assert_eq!(f.frame(&m[..m.len() - 8]), Frame::NeedMore);
        assert_eq!(
            f.frame(&other),
            Frame::Garbled {
                skip: other.len(),
                reason: Garbled::BodyLengthMismatch
            }
        );
    }

    #[test]
    fn msg_type_must_be_third() {
        let m = fix("8=FIX.4.4|34=3|35=0|49=TW44|56=ISLD|");
        assert_eq!(
            framer().frame(&m),
            Frame::Garbled {
                skip: m.len(),
                reason: Garbled::MsgTypeNotThird
            }
        );
    }

    #[test]
    fn checksum_must_be_three_digits() {
        let m = b"8=FIX.4.4\x019=5\x0135=0\x0110=0\x01";
        assert_eq!(
            framer().frame(m),
            Frame::Garbled {
                skip: m.len(),
                reason: Garbled::BadCheckSumFormat
            }
        );
    }

    #[test]
    fn find_byte_finds_the_first_match_at_every_offset_and_length() {
        for len in 0..40 {
            for at in 0..=len {
                // Bytes just above and below SOH, and a second SOH later on,
                // exercise the borrow in the word-at-a-time test.
                let mut buf: Vec<u8> = (0..len).map(|i| [0x00, 0x02, 0x81, 0xff][i % 4]).collect();
                if at < len {
                    buf[at] = SOH;
                    if at + 3 < len {
                        buf[at + 3] = SOH;
                    }
                }
                let want = buf.iter().position(|&b| b == SOH);
                assert_eq!(find_soh(&buf), want, "len {len} at {at}");
                assert_eq!(find_byte(&buf, b'='), None);
            }
        }
    }

    #[test]
    fn contains_soh_sees_every_position_and_length() {
        for len in 0..40 {
            let clean: Vec<u8> = (0..len).map(|i| [0x00, 0x02, 0x81, b'='][i % 4]).collect();
            assert!(!contains_soh(&clean), "len {len}");
            for at in 0..len {
                let mut buf = clean.clone();
                buf[at] = SOH;
                assert!(contains_soh(&buf), "len {len} at {at}");
            }
        }
    }

    #[test]
    fn checksum_is_the_byte_sum_mod_256() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let expected = bytes.iter().map(|&b| b as u32).sum::<u32>() % 256;
        for n in [0, 1, 15, 16, 17, 999, 1000] {
            let want = bytes[..n].iter().map(|&b| b as u32).sum::<u32>() % 256;
            assert_eq!(checksum(&bytes[..n]) as u32, want);
        }
        assert_eq!(checksum(&bytes) as u32, expected);
    }
}
