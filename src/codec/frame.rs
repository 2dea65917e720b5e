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
//!   the next `<SOH>8=`.

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
const BEGIN_STRING_MAX: usize = 16;
/// The most BodyLength digits accepted.
const BODY_LENGTH_DIGITS_MAX: usize = 9;
/// `10=` + three digits + SOH.
const TRAILER_LEN: usize = 7;

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
    /// Start of the BeginString value (always 2).
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

/// Finds message boundaries; holds only its limits.
#[derive(Debug, Clone, Copy, Default)]
pub struct Framer {
    config: FramerConfig,
}

impl Framer {
    /// A framer with the given limits.
    pub fn new(config: FramerConfig) -> Framer {
        Framer { config }
    }

    /// The limits in force.
    pub fn config(&self) -> &FramerConfig {
        &self.config
    }

    /// Looks at the front of `buf` and says whether it holds a whole message,
    /// needs more bytes, or starts with bytes to drop.
    pub fn frame(&self, buf: &[u8]) -> Frame {
        // 1. BeginString: "8=" then FIX./FIXT. then SOH.
        if buf.len() < 2 {
            return if b"8=".starts_with(buf) {
                Frame::NeedMore
            } else {
                garbled(resync(buf), Garbled::NoBeginString)
            };
        }
        if &buf[..2] != b"8=" {
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
        if !(bs.starts_with(b"FIX.") || bs.starts_with(b"FIXT.")) {
            return garbled(resync(buf), Garbled::BadBeginString);
        }

        // 2. BodyLength: "9=" digits SOH, right after BeginString.
        let bl_start = bs_end + 1;
        let bl_limit = buf.len().min(bl_start + 2 + BODY_LENGTH_DIGITS_MAX + 1);
        let head = &buf[bl_start..bl_limit];
        if !b"9=".starts_with(&head[..head.len().min(2)]) {
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
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return garbled(resync(buf), Garbled::BadBodyLength);
        }
        let body_len = digits
            .iter()
            .fold(0usize, |n, d| n * 10 + (d - b'0') as usize);
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
            let from = body_end.saturating_sub(1).max(body_start);
            let search_end = buf.len().min(body_start + self.config.message_size_max + 1);
            match find_checksum_field(&buf[from..search_end]) {
                Some(i) => {
                    let t = from + i + 1;
                    match find_soh(&buf[t + 3..]) {
                        Some(j) => (t, t + 3 + j + 1, false),
                        None => return self.wait_or_resync(buf, body_start),
                    }
                }
                None => return self.wait_or_resync(buf, body_start),
            }
        };
        if !length_ok {
            return garbled(len, Garbled::BodyLengthMismatch);
        }

        // 4. MsgType must be the third field.
        if !buf[body_start..].starts_with(b"35=")
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
    buf[pos - 1] == SOH && &buf[pos..pos + 3] == b"10="
}

/// Offset of the SOH that starts the first `<SOH>10=` in `buf`.
fn find_checksum_field(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\x0110=")
}

/// How many bytes to drop to reach the next `<SOH>8=`, keeping a trailing
/// `<SOH>` or `<SOH>8` that may be the start of one.
fn resync(buf: &[u8]) -> usize {
    let mut i = 1;
    while i < buf.len() {
        if buf[i - 1] == SOH && buf[i] == b'8' {
            match buf.get(i + 1) {
                Some(b'=') => return i,
                None => return i - 1,
                Some(_) => {}
            }
        }
        i += 1;
    }
    if buf.last() == Some(&SOH) {
        buf.len() - 1
    } else {
        buf.len()
    }
}

#[inline]
fn find_soh(buf: &[u8]) -> Option<usize> {
    buf.iter().position(|&b| b == SOH)
}

/// The FIX CheckSum of `bytes`: their sum modulo 256.
#[inline]
pub fn checksum(bytes: &[u8]) -> u8 {
    // Sum in independent u32 lanes so the compiler vectorises the loop.
    let mut lanes = [0u32; 16];
    let mut chunks = bytes.chunks_exact(16);
    for chunk in &mut chunks {
        for (lane, &b) in lanes.iter_mut().zip(chunk) {
            *lane += b as u32;
        }
    }
    let mut sum: u32 = chunks.remainder().iter().map(|&b| b as u32).sum();
    for lane in lanes {
        sum = sum.wrapping_add(lane);
    }
    sum as u8
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
        // The trailing SOH is kept: it may precede the next "8=".
        assert_eq!(
            framer().frame(m),
            Frame::Garbled {
                skip: m.len() - 1,
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
        // Garbage with no begin string in sight keeps a trailing SOH.
        assert_eq!(
            framer().frame(b"xyz\x01"),
            Frame::Garbled {
                skip: 3,
                reason: Garbled::NoBeginString
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
