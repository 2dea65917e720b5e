//! Encoding into a pre-allocated buffer.
//!
//! Owns the wire layout of outgoing messages: `8`, `9`, `35`, then the rest
//! of the standard header in ascending tag order, then the body as the caller
//! writes it, then `10`. The body is written after room reserved for
//! `8=...<SOH>9=...<SOH>`; `finish` writes BeginString and BodyLength
//! right-aligned in front of it (no memmove, no zero-padding) and appends the
//! CheckSum. SendingTime and other timestamps come from a per-second cached
//! date prefix, so the hot path formats only the sub-second digits.
//! Nothing here allocates after [`Encoder::new`].

use super::frame::{checksum, contains_soh, first_in_word, u32_at};
use super::tags::{self, Tag};
use super::value::{
    copy_short, digit_count, write_fraction, write_padded, write_second_prefix, Fixed,
    TimePrecision, UtcTimestamp,
};
use super::SOH;
use std::fmt;

// The framer's limits, so the encoder never writes what the framer refuses.
use super::frame::{BEGIN_STRING_MAX, BODY_LENGTH_DIGITS_MAX, TRAILER_LEN};

/// Room reserved in front of the body for `8=<BeginString><SOH>9=<len><SOH>`.
const PREFIX_ROOM: usize = LEAD_MAX + BODY_LENGTH_DIGITS_MAX + 1;
/// `8=` + the longest BeginString + SOH + `9=`.
const LEAD_MAX: usize = 2 + BEGIN_STRING_MAX + 1 + 2;

/// Why a message could not be encoded. Nothing partial is ever returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The message does not fit `message_size_max`.
    BufferFull {
        /// The configured capacity.
        message_size_max: usize,
    },
    /// A non-data field's value contains SOH, which would garble the message.
    SohInValue {
        /// The field's tag.
        tag: Tag,
    },
    /// The BeginString is longer than 16 bytes.
    BeginStringTooLong,
    /// `raw_fields` was given bytes that are not whole `tag=value<SOH>` fields.
    BadRawFields,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::BufferFull { message_size_max } => {
                write!(
                    f,
                    "message larger than message_size_max ({message_size_max} bytes)"
                )
            }
            EncodeError::SohInValue { tag } => write!(f, "value of tag {tag} contains SOH"),
            EncodeError::BeginStringTooLong => f.write_str("BeginString longer than 16 bytes"),
            EncodeError::BadRawFields => {
                f.write_str("raw fields are not whole tag=value<SOH> fields")
            }
        }
    }
}

impl std::error::Error for EncodeError {}

/// The standard header of an outgoing message. Fields the engine fills on
/// every message are typed; anything else goes in `extra`.
#[derive(Debug, Clone, Copy)]
pub struct Header<'h> {
    /// MsgType (35).
    pub msg_type: &'h [u8],
    /// MsgSeqNum (34).
    pub seq_num: u64,
    /// SenderCompID (49).
    pub sender_comp_id: &'h [u8],
    /// TargetCompID (56).
    pub target_comp_id: &'h [u8],
    /// SendingTime (52), written at the encoder's precision.
    pub sending_time: UtcTimestamp,
    /// PossDupFlag (43=Y) when true; omitted when false.
    pub poss_dup: bool,
    /// PossResend (97=Y) when true; omitted when false.
    pub poss_resend: bool,
    /// OrigSendingTime (122), as text (a resend copies the original's 52).
    pub orig_sending_time: Option<&'h [u8]>,
    /// Other header fields (SenderSubID, OnBehalfOfCompID, ...), in ascending
    /// tag order; they are merged in order with the fields above.
    pub extra: &'h [(Tag, &'h [u8])],
}

impl<'h> Header<'h> {
    /// A header with just the required fields.
    pub fn new(
        msg_type: &'h [u8],
        seq_num: u64,
        sender_comp_id: &'h [u8],
        target_comp_id: &'h [u8],
        sending_time: UtcTimestamp,
    ) -> Header<'h> {
        Header {
            msg_type,
            seq_num,
            sender_comp_id,
            target_comp_id,
            sending_time,
            poss_dup: false,
            poss_resend: false,
            orig_sending_time: None,
            extra: &[],
        }
    }
}

/// Encoder settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderConfig {
    /// BeginString, e.g. `FIX.4.4`.
    pub begin_string: &'static str,
    /// Capacity of the buffer: the largest message this encoder writes.
    pub message_size_max: usize,
    /// Sub-second digits of SendingTime and other timestamps.
    pub timestamp_precision: TimePrecision,
}

impl Default for EncoderConfig {
    fn default() -> Self {
        EncoderConfig {
            begin_string: "FIX.4.4",
            message_size_max: 64 * 1024,
            timestamp_precision: TimePrecision::Millis,
        }
    }
}

/// Writes messages into one buffer allocated at construction.
#[derive(Debug)]
pub struct Encoder {
    buf: Box<[u8]>,
    /// `8=<BeginString><SOH>9=`, written in front of every message.
    lead: [u8; LEAD_MAX],
    lead_len: usize,
    precision: TimePrecision,
    message_size_max: usize,
    cached_second: i64,
    cached_prefix: [u8; 17],
}

impl Encoder {
    /// An encoder with its buffer allocated.
    pub fn new(config: EncoderConfig) -> Result<Encoder, EncodeError> {
        let bs = config.begin_string.as_bytes();
        if bs.len() > 16 {
            return Err(EncodeError::BeginStringTooLong);
        }
        let mut lead = [0u8; LEAD_MAX];
        let lead_len = 2 + bs.len() + 1 + 2;
        lead[..2].copy_from_slice(b"8=");
        lead[2..2 + bs.len()].copy_from_slice(bs);
        lead[2 + bs.len()..lead_len].copy_from_slice(b"\x019=");
        let mut cached_prefix = [0u8; 17];
        write_second_prefix(0, &mut cached_prefix);
        Ok(Encoder {
            buf: vec![0u8; PREFIX_ROOM + config.message_size_max + TRAILER_LEN].into_boxed_slice(),
            lead,
            lead_len,
            precision: config.timestamp_precision,
            message_size_max: config.message_size_max,
            cached_second: 0,
            cached_prefix,
        })
    }

    /// The timestamp precision in force.
    pub fn precision(&self) -> TimePrecision {
        self.precision
    }

    /// Starts a message: writes MsgType and the standard header in order.
    pub fn start<'e>(&'e mut self, header: &Header<'_>) -> MessageWriter<'e> {
        let limit = PREFIX_ROOM + self.message_size_max;
        let mut w = MessageWriter {
            enc: self,
            pos: PREFIX_ROOM,
            limit,
            error: None,
        };
        w.str(tags::MSG_TYPE, header.msg_type);
        // The typed fields in tag order, each preceded by the extra fields
        // that sort before it. (Skipping the merge for an absent field writes
        // the same bytes: those extras go out before the next present one.)
        let mut extra = header.extra;
        w.extra_below(&mut extra, tags::MSG_SEQ_NUM)
            .uint(tags::MSG_SEQ_NUM, header.seq_num);
        if header.poss_dup {
            w.extra_below(&mut extra, tags::POSS_DUP_FLAG)
                .str(tags::POSS_DUP_FLAG, b"Y");
        }
        w.extra_below(&mut extra, tags::SENDER_COMP_ID)
            .str(tags::SENDER_COMP_ID, header.sender_comp_id)
            .extra_below(&mut extra, tags::SENDING_TIME)
            .timestamp(tags::SENDING_TIME, header.sending_time)
            .extra_below(&mut extra, tags::TARGET_COMP_ID)
            .str(tags::TARGET_COMP_ID, header.target_comp_id);
        if header.poss_resend {
            w.extra_below(&mut extra, tags::POSS_RESEND)
                .str(tags::POSS_RESEND, b"Y");
        }
        if let Some(orig) = header.orig_sending_time {
            w.extra_below(&mut extra, tags::ORIG_SENDING_TIME)
                .str(tags::ORIG_SENDING_TIME, orig);
        }
        for &(t, v) in extra {
            w.str(t, v);
        }
        w
    }
}

/// Writes one message's fields; [`MessageWriter::finish`] completes it.
/// Errors are kept and reported by `finish`, so calls chain.
#[derive(Debug)]
pub struct MessageWriter<'e> {
    enc: &'e mut Encoder,
    pos: usize,
    /// Where the body must end: `PREFIX_ROOM + message_size_max`, or 0 once
    /// an error is recorded, so one comparison per field covers both.
    limit: usize,
    error: Option<EncodeError>,
}

impl<'e> MessageWriter<'e> {
    /// Reserves `n` bytes, or records `BufferFull`.
    #[inline(always)]
    fn room(&mut self, n: usize) -> Option<usize> {
        let at = self.pos;
        if at + n > self.limit {
            self.fail(EncodeError::BufferFull {
                message_size_max: self.enc.message_size_max,
            });
            return None;
        }
        self.pos = at + n;
        Some(at)
    }

    /// Records `error` unless one is already recorded; nothing more is written.
    #[cold]
    fn fail(&mut self, error: EncodeError) {
        self.error.get_or_insert(error);
        self.limit = 0;
    }

    /// Writes the leading `extra` header fields whose tags sort before `tag`.
    #[inline]
    fn extra_below(&mut self, extra: &mut &[(Tag, &[u8])], tag: Tag) -> &mut Self {
        while let [(t, v), rest @ ..] = *extra {
            if *t >= tag {
                break;
            }
            self.str(*t, v);
            *extra = rest;
        }
        self
    }

    /// Reserves a field with a `value_len`-byte value, writes its `tag=` and
    /// closing SOH, and returns the value's slot.
    #[inline(always)]
    fn field(&mut self, tag: Tag, value_len: usize) -> Option<&mut [u8]> {
        let tag_len = digit_count(tag as u64);
        let at = self.room(tag_len + 1 + value_len + 1)?;
        Some(self.frame_field(at, tag, tag_len, value_len))
    }

    /// Writes `tag=` at `at` and the SOH after `value_len` bytes; returns the
    /// value's slot. With a constant tag (the usual case, once inlined) the
    /// tag's digits are constant stores.
    #[inline(always)]
    fn frame_field(&mut self, at: usize, tag: Tag, tag_len: usize, value_len: usize) -> &mut [u8] {
        let field = &mut self.enc.buf[at..at + tag_len + 1 + value_len + 1];
        let (tag_text, rest) = field.split_at_mut(tag_len);
        write_padded(tag_text, tag as u64);
        let (eq, rest) = rest.split_at_mut(1);
        eq[0] = b'=';
        let (value, soh) = rest.split_at_mut(value_len);
        soh[0] = SOH;
        value
    }

    /// A text or other pre-formatted value. A value containing SOH is refused.
    #[inline(always)]
    pub fn str(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        let tag_len = digit_count(tag as u64);
        let len = tag_len + 1 + value.len() + 1;
        let at = self.pos;
        if at + len > self.limit {
            // A value is checked before it is placed, so SohInValue comes
            // before BufferFull.
            self.fail(if contains_soh(value) {
                EncodeError::SohInValue { tag }
            } else {
                EncodeError::BufferFull {
                    message_size_max: self.enc.message_size_max,
                }
            });
            return self;
        }
        // Copy and check in one pass, then commit the room only if the
        // value is clean; a refused value's bytes are never part of a
        // message, as nothing is returned once an error is recorded.
        let slot = self.frame_field(at, tag, tag_len, value.len());
        if copy_text(slot, value) {
            self.fail(EncodeError::SohInValue { tag });
        } else {
            self.pos = at + len;
        }
        self
    }

    /// A non-negative integer.
    #[inline(always)]
    pub fn uint(&mut self, tag: Tag, value: u64) -> &mut Self {
        if let Some(slot) = self.field(tag, digit_count(value)) {
            write_padded(slot, value);
        }
        self
    }

    /// A signed integer.
    pub fn int(&mut self, tag: Tag, value: i64) -> &mut Self {
        let magnitude = value.unsigned_abs();
        let neg = usize::from(value < 0);
        if let Some(slot) = self.field(tag, neg + digit_count(magnitude)) {
            if neg == 1 {
                slot[0] = b'-';
            }
            write_padded(&mut slot[neg..], magnitude);
        }
        self
    }

    /// A single character.
    #[inline(always)]
    pub fn char(&mut self, tag: Tag, value: u8) -> &mut Self {
        self.str(tag, &[value])
    }

    /// A Boolean, `Y` or `N`.
    pub fn bool(&mut self, tag: Tag, value: bool) -> &mut Self {
        self.char(tag, if value { b'Y' } else { b'N' })
    }

    /// A fixed-point price, quantity or amount, at its own scale.
    #[inline(always)]
    pub fn fixed(&mut self, tag: Tag, value: Fixed) -> &mut Self {
        if let Some(slot) = self.field(tag, value.text_len()) {
            value.write_exact(slot);
        }
        self
    }

    /// A `rust_decimal::Decimal` (for the edges); one whose mantissa does not
    /// fit 64 bits is written through its own formatting.
    pub fn decimal(&mut self, tag: Tag, value: rust_decimal::Decimal) -> &mut Self {
        match Fixed::from_decimal(value) {
            Some(f) => self.fixed(tag, f),
            None => {
                let mut text = [0u8; 48];
                let mut cursor = std::io::Cursor::new(&mut text[..]);
                let _ = std::io::Write::write_fmt(&mut cursor, format_args!("{value}"));
                let n = cursor.position() as usize;
                self.str(tag, &text[..n])
            }
        }
    }

    /// A UTCTimestamp at the encoder's precision.
    #[inline]
    pub fn timestamp(&mut self, tag: Tag, t: UtcTimestamp) -> &mut Self {
        let precision = self.enc.precision;
        let len = 17
            + if precision.digits() == 0 {
                0
            } else {
                1 + precision.digits()
            };
        let sec = t.unix_secs();
        let enc = &mut *self.enc;
        if sec != enc.cached_second {
            write_second_prefix(sec, &mut enc.cached_prefix);
            enc.cached_second = sec;
        }
        let prefix = enc.cached_prefix;
        if let Some(slot) = self.field(tag, len) {
            let (date_time, fraction) = slot.split_at_mut(17);
            date_time.copy_from_slice(&prefix);
            write_fraction(t.subsec_nanos(), precision, fraction);
        }
        self
    }

    /// A length-prefixed raw data field (e.g. RawDataLength 95 / RawData 96);
    /// the data may contain SOH.
    pub fn data(&mut self, length_tag: Tag, data_tag: Tag, data: &[u8]) -> &mut Self {
        self.uint(length_tag, data.len() as u64);
        if let Some(slot) = self.field(data_tag, data.len()) {
            slot.copy_from_slice(data);
        }
        self
    }

    /// Already-encoded fields (`tag=value<SOH>...`), copied verbatim.
    pub fn raw_fields(&mut self, fields: &[u8]) -> &mut Self {
        // Whole fields only: a run that does not end with SOH, or starts
        // with one, would garble the message it is spliced into.
        if !fields.is_empty()
            && (fields[fields.len() - 1] != SOH || fields[0] == SOH || !fields.contains(&b'='))
        {
            self.error.get_or_insert(EncodeError::BadRawFields);
            return self;
        }
        if let Some(at) = self.room(fields.len()) {
            self.enc.buf[at..at + fields.len()].copy_from_slice(fields);
        }
        self
    }

    /// Completes the message: BeginString and BodyLength in front, CheckSum
    /// behind. Returns the whole message.
    pub fn finish(self) -> Result<&'e [u8], EncodeError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let enc = self.enc;
        let body_len = (self.pos - PREFIX_ROOM) as u64;
        let n = digit_count(body_len);
        // `8=<BeginString><SOH>9=`, prepared once, then the length and SOH.
        let lead = &enc.lead[..enc.lead_len];
        let start = PREFIX_ROOM - (lead.len() + n + 1);
        let buf = &mut enc.buf;
        let digits_at = start + lead.len();
        copy_short(&mut buf[start..digits_at], lead);
        write_padded(&mut buf[digits_at..digits_at + n], body_len);
        buf[PREFIX_ROOM - 1] = SOH;
        let end = self.pos;
        let sum = checksum(&buf[start..end]);
        buf[end..end + TRAILER_LEN].copy_from_slice(&[
            b'1',
            b'0',
            b'=',
            b'0' + sum / 100,
            b'0' + sum / 10 % 10,
            b'0' + sum % 10,
            SOH,
        ]);
        Ok(&enc.buf[start..end + TRAILER_LEN])
    }
}

/// Copies `src` into `dst` (the same length) like [`copy_short`], and says
/// whether `src` holds an SOH, testing each word as it is moved.
#[inline(always)]
fn copy_text(dst: &mut [u8], src: &[u8]) -> bool {
    let n = src.len();
    debug_assert_eq!(dst.len(), n);
    let load = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&src[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let has_soh = |w: u64| first_in_word(w, SOH).is_some();
    if n > 32 {
        dst.copy_from_slice(src);
        contains_soh(src)
    } else if n >= 8 {
        // Two words cover up to 16 bytes, four up to 32 (overlapping).
        let (first, last) = (load(0), load(n - 8));
        let mut soh = has_soh(first) | has_soh(last);
        if n > 16 {
            let (second, third) = (load(8), load(n - 16));
            soh |= has_soh(second) | has_soh(third);
            dst[8..16].copy_from_slice(&second.to_le_bytes());
            dst[n - 16..n - 8].copy_from_slice(&third.to_le_bytes());
        }
        dst[..8].copy_from_slice(&first.to_le_bytes());
        dst[n - 8..].copy_from_slice(&last.to_le_bytes());
        soh
    } else if n >= 4 {
        // The first and last four bytes (overlapping), tested as one word.
        let (first, last) = (u32_at(src, 0), u32_at(src, n - 4));
        dst[..4].copy_from_slice(&first.to_le_bytes());
        dst[n - 4..].copy_from_slice(&last.to_le_bytes());
        has_soh(u64::from(first) | u64::from(last) << 32)
    } else {
        // One to three bytes: the first, middle and last cover them.
        copy_short(dst, src);
        n > 0 && (src[0] == SOH || src[n / 2] == SOH || src[n - 1] == SOH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::frame::{Frame, Framer};
    use crate::codec::tags::*;
    use crate::codec::testing::{fix, show};

    fn t0() -> UtcTimestamp {
        UtcTimestamp::from_parts(2026, 11, 22, 10, 0, 0, 123_456_789).unwrap()
    }

    #[test]
    fn header_fields_come_out_in_ascending_tag_order() {
        let mut enc = Encoder::new(EncoderConfig::default()).unwrap();
        let header = Header {
            poss_dup: true,
            poss_resend: true,
            orig_sending_time: Some(b"20261122-09:59:59.000"),
            extra: &[
                (SENDER_SUB_ID, b"desk"),
                (ON_BEHALF_OF_COMP_ID, b"OBO"),
                (DELIVER_TO_COMP_ID, b"DTC"),
            ],
            ..Header::new(b"D", 7, b"TW", b"ISLD", t0())
        };
        let mut w = enc.start(&header);
        w.str(CL_ORD_ID, b"id").uint(ORDER_QTY, 100);
        let msg = w.finish().unwrap();
        // fix() computes BodyLength and CheckSum independently of the encoder.
        let expected = fix("8=FIX.4.4|35=D|34=7|43=Y|49=TW|50=desk|52=20261122-10:00:00.123|56=ISLD|97=Y|115=OBO|122=20261122-09:59:59.000|128=DTC|11=id|38=100|");
        assert_eq!(show(msg), show(&expected));
        assert!(matches!(Framer::default().frame(msg), Frame::Message(f) if f.len == msg.len()));
    }

    #[test]
    fn matches_the_conformance_scripts_logon_byte_for_byte_but_for_time() {
        let mut enc = Encoder::new(EncoderConfig::default()).unwrap();
        let mut w = enc.start(&Header::new(b"A", 1, b"ISLD", b"TW44", t0()));
        w.uint(ENCRYPT_METHOD, 0).uint(HEART_BT_INT, 30);
        let msg = w.finish().unwrap().to_vec();
        // The script computes 9= and 10= itself; ours must agree.
        let expected =
            fix("8=FIX.4.4|35=A|34=1|49=ISLD|52=20261122-10:00:00.123|56=TW44|98=0|108=30|");
        assert_eq!(show(&msg), show(&expected));
        assert!(show(&msg).contains("|9=63|"), "the script's BodyLength");
    }

    #[test]
    fn every_value_type_encodes() {
        let mut enc = Encoder::new(EncoderConfig {
            timestamp_precision: TimePrecision::Micros,
            ..Default::default()
        })
        .unwrap();
        let mut w = enc.start(&Header::new(b"8", 2, b"A", b"B", t0()));
        w.int(1000, -42)
            .char(SIDE, b'1')
            .bool(1001, false)
            .fixed(PRICE, Fixed::new(-5, 3))
            .decimal(AVG_PX, "12.5".parse().unwrap())
            .timestamp(TRANSACT_TIME, t0())
            .data(RAW_DATA_LENGTH, RAW_DATA, b"a\x01b");
        let msg = w.finish().unwrap();
        let text = show(msg);
        assert!(text.contains("|52=20261122-10:00:00.123456|"), "{text}");
        assert!(
            text.contains(
                "|1000=-42|54=1|1001=N|44=-0.005|6=12.5|60=20261122-10:00:00.123456|95=3|96=a|b|"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_value_with_soh_or_too_many_bytes_is_refused_whole() {
        let mut enc = Encoder::new(EncoderConfig {
            message_size_max: 64,
            ..Default::default()
        })
        .unwrap();
        let mut w = enc.start(&Header::new(b"0", 1, b"A", b"B", t0()));
        w.str(TEXT, b"a\x01b");
        assert_eq!(
            w.finish().unwrap_err(),
            EncodeError::SohInValue { tag: TEXT }
        );
        let mut w = enc.start(&Header::new(b"0", 1, b"A", b"B", t0()));
        w.str(TEXT, &[b'x'; 64]);
        assert_eq!(
            w.finish().unwrap_err(),
            EncodeError::BufferFull {
                message_size_max: 64
            }
        );
        // The encoder is still usable afterwards.
        let w = enc.start(&Header::new(b"0", 2, b"A", b"B", t0()));
        assert!(w.finish().is_ok());
    }

    #[test]
    fn copy_text_copies_and_finds_soh_at_every_length() {
        for len in 0..70 {
            let src: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let mut dst = vec![0u8; len];
            assert!(!copy_text(&mut dst, &src));
            assert_eq!(dst, src);
            for at in 0..len {
                let mut bad = src.clone();
                bad[at] = SOH;
                assert!(copy_text(&mut dst, &bad), "len {len} at {at}");
            }
        }
    }

    #[test]
    fn a_value_with_soh_is_reported_even_when_it_would_not_fit() {
        let mut enc = Encoder::new(EncoderConfig {
            message_size_max: 64,
            ..Default::default()
        })
        .unwrap();
        let mut w = enc.start(&Header::new(b"0", 1, b"A", b"B", t0()));
        let mut long = vec![b'x'; 100];
        long[50] = SOH;
        w.str(TEXT, &long).str(TEXT, b"a\x01b");
        assert_eq!(
            w.finish().unwrap_err(),
            EncodeError::SohInValue { tag: TEXT }
        );
    }

    #[test]
    fn raw_fields_must_be_whole_fields() {
        // Spliced bytes that are not whole tag=value<SOH> fields would garble
        // the message; the whole message is refused instead.
        let mut enc = Encoder::new(EncoderConfig::default()).unwrap();
        for bad in [&b"58=no soh"[..], b"\x0158=x\x01", b"garbage\x01"] {
            let mut w = enc.start(&Header::new(b"0", 1, b"A", b"B", t0()));
            w.raw_fields(bad);
            assert_eq!(
                w.finish().unwrap_err(),
                EncodeError::BadRawFields,
                "{bad:?}"
            );
        }
        let mut w = enc.start(&Header::new(b"0", 1, b"A", b"B", t0()));
        w.raw_fields(b"58=a\x01112=b\x01").raw_fields(b"");
        assert!(show(w.finish().unwrap()).contains("|58=a|112=b|10="));
    }

    #[test]
    fn the_cached_second_prefix_follows_the_clock() {
        let mut enc = Encoder::new(EncoderConfig::default()).unwrap();
        for (i, expect) in [
            (0, "20261122-10:00:00.123"),
            (1, "20261122-10:00:01.123"),
            (86_400, "20261123-10:00:00.123"),
        ] {
            let t = UtcTimestamp::from_unix_nanos(t0().unix_nanos() + i * 1_000_000_000);
            let w = enc.start(&Header::new(b"0", 1, b"A", b"B", t));
            let text = show(w.finish().unwrap());
            assert!(text.contains(&format!("|52={expect}|")), "{text}");
        }
    }
}
