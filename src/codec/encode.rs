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

use super::frame::checksum;
use super::tags::{self, Tag};
use super::value::{
    write_fraction, write_second_prefix, write_u64_rev, Fixed, TimePrecision, UtcTimestamp,
    FIXED_TEXT_MAX,
};
use super::SOH;
use std::fmt;

/// Room reserved in front of the body for `8=<BeginString><SOH>9=<len><SOH>`.
const PREFIX_ROOM: usize = 2 + 16 + 1 + 2 + 9 + 1;
/// `10=` + three digits + SOH.
const TRAILER_LEN: usize = 7;

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
    begin_string: [u8; 16],
    begin_string_len: usize,
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
        let mut begin_string = [0u8; 16];
        begin_string[..bs.len()].copy_from_slice(bs);
        let mut cached_prefix = [0u8; 17];
        write_second_prefix(0, &mut cached_prefix);
        Ok(Encoder {
            buf: vec![0u8; PREFIX_ROOM + config.message_size_max + TRAILER_LEN].into_boxed_slice(),
            begin_string,
            begin_string_len: bs.len(),
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
        let mut w = MessageWriter {
            enc: self,
            pos: PREFIX_ROOM,
            error: None,
        };
        w.str(tags::MSG_TYPE, header.msg_type);
        let fixed: [(Tag, Option<HeaderValue<'_>>); 7] = [
            (tags::MSG_SEQ_NUM, Some(HeaderValue::Uint(header.seq_num))),
            (
                tags::POSS_DUP_FLAG,
                header.poss_dup.then_some(HeaderValue::Bytes(b"Y")),
            ),
            (
                tags::SENDER_COMP_ID,
                Some(HeaderValue::Bytes(header.sender_comp_id)),
            ),
            (
                tags::SENDING_TIME,
                Some(HeaderValue::Time(header.sending_time)),
            ),
            (
                tags::TARGET_COMP_ID,
                Some(HeaderValue::Bytes(header.target_comp_id)),
            ),
            (
                tags::POSS_RESEND,
                header.poss_resend.then_some(HeaderValue::Bytes(b"Y")),
            ),
            (
                tags::ORIG_SENDING_TIME,
                header.orig_sending_time.map(HeaderValue::Bytes),
            ),
        ];
        let mut extra = header.extra.iter().peekable();
        for (tag, value) in fixed {
            while let Some(&&(t, v)) = extra.peek() {
                if t >= tag {
                    break;
                }
                w.str(t, v);
                extra.next();
            }
            match value {
                Some(HeaderValue::Bytes(v)) => w.str(tag, v),
                Some(HeaderValue::Uint(v)) => w.uint(tag, v),
                Some(HeaderValue::Time(t)) => w.timestamp(tag, t),
                None => &mut w,
            };
        }
        for &(t, v) in extra {
            w.str(t, v);
        }
        w
    }
}

#[derive(Clone, Copy)]
enum HeaderValue<'h> {
    Bytes(&'h [u8]),
    Uint(u64),
    Time(UtcTimestamp),
}

/// Writes one message's fields; [`MessageWriter::finish`] completes it.
/// Errors are kept and reported by `finish`, so calls chain.
#[derive(Debug)]
pub struct MessageWriter<'e> {
    enc: &'e mut Encoder,
    pos: usize,
    error: Option<EncodeError>,
}

impl<'e> MessageWriter<'e> {
    /// Reserves `n` bytes, or records `BufferFull`.
    #[inline]
    fn room(&mut self, n: usize) -> Option<usize> {
        if self.error.is_some() {
            return None;
        }
        if self.pos + n > PREFIX_ROOM + self.enc.message_size_max {
            self.error = Some(EncodeError::BufferFull {
                message_size_max: self.enc.message_size_max,
            });
            return None;
        }
        let at = self.pos;
        self.pos += n;
        Some(at)
    }

    /// Writes `tag=` and returns where the value goes, reserving `value_len + 1`.
    #[inline]
    fn field_start(&mut self, tag: Tag, value_len: usize) -> Option<usize> {
        let mut digits = [0u8; 20];
        let n = write_u64_rev(tag as u64, &mut digits);
        let at = self.room(n + 1 + value_len + 1)?;
        let buf = &mut self.enc.buf;
        buf[at..at + n].copy_from_slice(&digits[20 - n..]);
        buf[at + n] = b'=';
        buf[at + n + 1 + value_len] = SOH;
        Some(at + n + 1)
    }

    /// A text or other pre-formatted value. A value containing SOH is refused.
    #[inline]
    pub fn str(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        if value.contains(&SOH) {
            self.error.get_or_insert(EncodeError::SohInValue { tag });
            return self;
        }
        if let Some(at) = self.field_start(tag, value.len()) {
            self.enc.buf[at..at + value.len()].copy_from_slice(value);
        }
        self
    }

    /// A non-negative integer.
    #[inline]
    pub fn uint(&mut self, tag: Tag, value: u64) -> &mut Self {
        let mut digits = [0u8; 20];
        let n = write_u64_rev(value, &mut digits);
        if let Some(at) = self.field_start(tag, n) {
            self.enc.buf[at..at + n].copy_from_slice(&digits[20 - n..]);
        }
        self
    }

    /// A signed integer.
    pub fn int(&mut self, tag: Tag, value: i64) -> &mut Self {
        let mut digits = [0u8; 20];
        let n = write_u64_rev(value.unsigned_abs(), &mut digits);
        let neg = usize::from(value < 0);
        if let Some(at) = self.field_start(tag, n + neg) {
            if neg == 1 {
                self.enc.buf[at] = b'-';
            }
            self.enc.buf[at + neg..at + neg + n].copy_from_slice(&digits[20 - n..]);
        }
        self
    }

    /// A single character.
    #[inline]
    pub fn char(&mut self, tag: Tag, value: u8) -> &mut Self {
        self.str(tag, &[value])
    }

    /// A Boolean, `Y` or `N`.
    pub fn bool(&mut self, tag: Tag, value: bool) -> &mut Self {
        self.char(tag, if value { b'Y' } else { b'N' })
    }

    /// A fixed-point price, quantity or amount, at its own scale.
    #[inline]
    pub fn fixed(&mut self, tag: Tag, value: Fixed) -> &mut Self {
        let mut text = [0u8; FIXED_TEXT_MAX];
        let n = value.write(&mut text);
        if let Some(at) = self.field_start(tag, n) {
            self.enc.buf[at..at + n].copy_from_slice(&text[..n]);
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
        if let Some(at) = self.field_start(tag, len) {
            let sec = t.unix_secs();
            let enc = &mut *self.enc;
            if sec != enc.cached_second {
                write_second_prefix(sec, &mut enc.cached_prefix);
                enc.cached_second = sec;
            }
            enc.buf[at..at + 17].copy_from_slice(&enc.cached_prefix);
            write_fraction(t.subsec_nanos(), precision, &mut enc.buf[at + 17..at + len]);
        }
        self
    }

    /// A length-prefixed raw data field (e.g. RawDataLength 95 / RawData 96);
    /// the data may contain SOH.
    pub fn data(&mut self, length_tag: Tag, data_tag: Tag, data: &[u8]) -> &mut Self {
        self.uint(length_tag, data.len() as u64);
        if let Some(at) = self.field_start(data_tag, data.len()) {
            self.enc.buf[at..at + data.len()].copy_from_slice(data);
        }
        self
    }

    /// Already-encoded fields (`tag=value<SOH>...`), copied verbatim.
    pub fn raw_fields(&mut self, fields: &[u8]) -> &mut Self {
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
        let body_len = self.pos - PREFIX_ROOM;
        let mut digits = [0u8; 20];
        let n = write_u64_rev(body_len as u64, &mut digits);
        let bs_len = enc.begin_string_len;
        let start = PREFIX_ROOM - (2 + bs_len + 1 + 2 + n + 1);
        let buf = &mut enc.buf;
        let mut p = start;
        buf[p..p + 2].copy_from_slice(b"8=");
        p += 2;
        buf[p..p + bs_len].copy_from_slice(&enc.begin_string[..bs_len]);
        p += bs_len;
        buf[p] = SOH;
        buf[p + 1..p + 3].copy_from_slice(b"9=");
        p += 3;
        buf[p..p + n].copy_from_slice(&digits[20 - n..]);
        buf[p + n] = SOH;
        let end = self.pos;
        let sum = checksum(&buf[start..end]);
        buf[end..end + 3].copy_from_slice(b"10=");
        buf[end + 3] = b'0' + sum / 100;
        buf[end + 4] = b'0' + sum / 10 % 10;
        buf[end + 5] = b'0' + sum % 10;
        buf[end + 6] = SOH;
        Ok(&enc.buf[start..end + TRAILER_LEN])
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
