//! Zero-copy parsing: one pass over a framed message into a fixed-capacity
//! index of `(tag, value range)`.
//!
//! Owns the field index and the read-only views over it ([`Message`],
//! [`Fields`], [`FieldRef`]) with typed getters and repeating-group walking.
//! Values are never copied: every getter returns a slice of, or a number
//! decoded from, the receive buffer. The index is sized once
//! (`fields_max`) and never grows; a message with more fields is an error.
//!
//! The parser detects, and records rather than resolves, structural problems:
//! a header field after the body, a body field after the trailer. Duplicate
//! tags are kept in the index as they came; the validator (which knows
//! repeating groups) decides which repeats are errors.

use super::frame::{first_in_word, word_from};
use super::tags::{self, Tag};
use super::value::{self, Fixed, TimePrecision, UtcDate, UtcTimeOnly, UtcTimestamp, ValueError};
use super::SOH;
use std::fmt;

/// One entry of the field index: byte offsets into the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Field {
    /// The tag number; 0 when the tag text is not a positive number
    /// (`0=`, `-1=`), which validation reports as an invalid tag number.
    pub tag: Tag,
    /// Offset of the first byte of the tag text.
    pub start: u32,
    /// Offset of the first byte of the value (just after `=`).
    pub value_start: u32,
    /// Offset of the SOH ending the value.
    pub value_end: u32,
}

/// Why a framed message could not be indexed. The session treats these
/// like a garbled message: ignored, and a later gap triggers a resend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// More fields than the index holds (`fields_max`).
    TooManyFields {
        /// The capacity in force.
        fields_max: usize,
    },
    /// A tag that is not a number, or a field with no `=`, at this offset.
    BadTag {
        /// Offset of the field.
        at: usize,
    },
    /// The last field has no terminating SOH.
    Unterminated,
    /// A length-prefixed data field whose length runs past its SOH.
    BadDataLength {
        /// The data field's tag.
        tag: Tag,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::TooManyFields { fields_max } => {
                write!(f, "more than {fields_max} fields")
            }
            ParseError::BadTag { at } => write!(f, "field at byte {at} has no numeric tag"),
            ParseError::Unterminated => f.write_str("last field has no SOH"),
            ParseError::BadDataLength { tag } => {
                write!(f, "data field {tag} does not end where its length says")
            }
        }
    }
}

impl std::error::Error for ParseError {}

const KIND_HEADER: u8 = 1;
const KIND_TRAILER: u8 = 2;
const KIND_LENGTH: u8 = 4;

/// What the parser needs to know about tags: which are header and trailer
/// fields, and which length fields announce which raw-data fields.
/// Built from a data dictionary, or [`ParseSpec::fix44`] without one.
#[derive(Debug, Clone)]
pub struct ParseSpec {
    kinds: Box<[u8]>,
    data_pairs: Box<[(Tag, Tag)]>,
}

/// FIX 4.4 standard header tags.
pub const FIX44_HEADER: &[Tag] = &[
    8, 9, 35, 49, 56, 115, 128, 90, 91, 34, 50, 142, 57, 143, 116, 144, 129, 145, 43, 97, 52, 122,
    212, 213, 347, 369, 627, 628, 629, 630,
];
/// FIX 4.4 standard trailer tags.
pub const FIX44_TRAILER: &[Tag] = &[93, 89, 10];
/// FIX 4.4 (length tag, data tag) pairs.
pub const FIX44_DATA_PAIRS: &[(Tag, Tag)] = &[
    (90, 91),
    (93, 89),
    (95, 96),
    (212, 213),
    (348, 349),
    (350, 351),
    (352, 353),
    (354, 355),
    (356, 357),
    (358, 359),
    (360, 361),
    (362, 363),
    (364, 365),
    (445, 446),
    (618, 619),
    (621, 622),
];

impl ParseSpec {
    /// A spec from explicit tag lists.
    pub fn new(header: &[Tag], trailer: &[Tag], data_pairs: &[(Tag, Tag)]) -> ParseSpec {
        let max = header
            .iter()
            .chain(trailer)
            .chain(data_pairs.iter().map(|(l, _)| l))
            .copied()
            .max()
            .unwrap_or(0) as usize;
        let mut kinds = vec![0u8; max + 1].into_boxed_slice();
        for &t in header {
            kinds[t as usize] |= KIND_HEADER;
        }
        for &t in trailer {
            kinds[t as usize] |= KIND_TRAILER;
        }
        for &(l, _) in data_pairs {
            kinds[l as usize] |= KIND_LENGTH;
        }
        ParseSpec {
            kinds,
            data_pairs: data_pairs.into(),
        }
    }

    /// The FIX 4.4 standard header, trailer and data fields.
    pub fn fix44() -> ParseSpec {
        ParseSpec::new(FIX44_HEADER, FIX44_TRAILER, FIX44_DATA_PAIRS)
    }

    #[inline]
    fn kind(&self, tag: Tag) -> u8 {
        self.kinds.get(tag as usize).copied().unwrap_or(0)
    }

    /// Is `tag` a header field?
    pub fn is_header(&self, tag: Tag) -> bool {
        self.kind(tag) & KIND_HEADER != 0
    }

    /// Is `tag` a trailer field?
    pub fn is_trailer(&self, tag: Tag) -> bool {
        self.kind(tag) & KIND_TRAILER != 0
    }

    fn data_tag_for(&self, length_tag: Tag) -> Option<Tag> {
        self.data_pairs
            .iter()
            .find(|(l, _)| *l == length_tag)
            .map(|(_, d)| *d)
    }
}

impl Default for ParseSpec {
    fn default() -> Self {
        ParseSpec::fix44()
    }
}

/// The default field index capacity.
pub const FIELDS_MAX_DEFAULT: usize = 1024;

/// Parses messages into its pre-allocated field index.
#[derive(Debug, Clone)]
pub struct Parser {
    /// `fields_max` slots, allocated once; a parse fills a prefix.
    fields: Vec<Field>,
    fields_max: usize,
    spec: ParseSpec,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Header,
    Body,
    Trailer,
}

impl Parser {
    /// A parser whose index holds at most `fields_max` fields.
    pub fn new(spec: ParseSpec, fields_max: usize) -> Parser {
        Parser {
            fields: vec![Field::default(); fields_max],
            fields_max,
            spec,
        }
    }

    /// The tag knowledge in use.
    pub fn spec(&self) -> &ParseSpec {
        &self.spec
    }

    /// Indexes `msg` (one whole message, as framed). Never allocates.
    pub fn parse<'a>(&'a mut self, msg: &'a [u8]) -> Result<Message<'a>, ParseError> {
        let fields_max = self.fields_max;
        let spec = &self.spec;
        // Writing into pre-sized slots: one bounds check per field is also
        // the capacity check (no separate length and capacity bookkeeping).
        let slots = &mut self.fields[..fields_max];
        let n = msg.len();
        let mut count = 0usize;
        let mut pos = 0usize;
        let mut section = Section::Header;
        let mut body_start: Option<usize> = None;
        let mut trailer_start: Option<usize> = None;
        let mut out_of_order: Option<usize> = None;
        // The raw-data field the previous field announced, and its length;
        // tag 0 (never a data field) when none.
        let mut pending_tag: Tag = 0;
        let mut pending_len = 0usize;
        while pos < n {
            let start = pos;
            let first = word_from(msg, start);
            let (tag, eq) = match tag_in_word(first) {
                Some((tag, digits)) => (tag, start + digits),
                None => tag_bytes(msg, start)?,
            };
            let value_start = eq + 1;
            let announced = pending_tag;
            pending_tag = 0;
            let value_end = if announced == tag && tag != 0 {
                let end = value_start.saturating_add(pending_len);
                if end >= n || msg[end] != SOH {
                    return Err(ParseError::BadDataLength { tag });
                }
                end
            } else {
                // The tag's digits and `=` hold no SOH, so the first SOH
                // after the field's start ends its value.
                match field_end(msg, start, first) {
                    Some(end) => end,
                    None => return Err(ParseError::Unterminated),
                }
            };
            let Some(slot) = slots.get_mut(count) else {
                return Err(ParseError::TooManyFields { fields_max });
            };
            *slot = Field {
                tag,
                start: start as u32,
                value_start: value_start as u32,
                value_end: value_end as u32,
            };
            let index = count;
            count += 1;
            pos = value_end + 1;
            let kind = spec.kind(tag);
            // The common case, a plain body field in the body, does nothing.
            if kind == 0 && section == Section::Body {
                continue;
            }
            if kind & KIND_LENGTH != 0 {
                if let (Some(data_tag), Ok(len)) = (
                    spec.data_tag_for(tag),
                    value::parse_u64(&msg[value_start..value_end]),
                ) {
                    pending_tag = data_tag;
                    pending_len = len.min(usize::MAX as u64) as usize;
                }
            }
            // Header, then body, then trailer; 8, 9, 35 come first by framing.
            if index >= 3 {
                if kind & KIND_TRAILER != 0 {
                    if section != Section::Trailer {
                        section = Section::Trailer;
                        trailer_start = Some(index);
                    }
                } else if kind & KIND_HEADER != 0 {
                    if section != Section::Header && out_of_order.is_none() {
                        out_of_order = Some(index);
                    }
                } else if section == Section::Header {
                    section = Section::Body;
                    body_start = Some(index);
                } else if section == Section::Trailer && out_of_order.is_none() {
                    out_of_order = Some(index);
                }
            }
        }
        let trailer_start = trailer_start.unwrap_or(count);
        let body_start = body_start.unwrap_or(trailer_start).min(trailer_start);
        Ok(Message {
            all: Fields {
                buf: msg,
                fields: &self.fields[..count],
            },
            body_start,
            trailer_start,
            out_of_order,
        })
    }
}

/// The tag starting the word `w` (the eight bytes at a field's start) and
/// the number of its digits: one to seven digits then `=`. Anything else
/// (a `-`, a longer tag, a non-digit) is `None`, for [`tag_bytes`] to decide.
#[inline(always)]
fn tag_in_word(w: u64) -> Option<(Tag, usize)> {
    let d = (w as u8).wrapping_sub(b'0');
    if d > 9 {
        return None;
    }
    let mut tag = d as Tag;
    for i in 1..8 {
        let c = (w >> (8 * i)) as u8;
        if c == b'=' {
            return Some((tag, i));
        }
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        tag = tag * 10 + d as Tag;
    }
    None
}

/// A tag read byte by byte: digits up to `=`. A leading `-` or a zero value
/// makes tag 0 (reported by validation); anything else is unparseable.
/// Returns the tag and the offset of its `=`. The slow path of the parse
/// loop's word-at-a-time tag decoding (negative tags and every error), kept
/// as the rules' reference.
#[cold]
fn tag_bytes(msg: &[u8], start: usize) -> Result<(Tag, usize), ParseError> {
    let n = msg.len();
    let mut pos = start;
    let mut tag: u64 = 0;
    let negative = msg[pos] == b'-';
    if negative {
        pos += 1;
    }
    let digits_start = pos;
    while pos < n {
        let d = msg[pos].wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        tag = tag * 10 + d as u64;
        pos += 1;
        if pos - digits_start > 9 {
            return Err(ParseError::BadTag { at: start });
        }
    }
    if pos == digits_start || pos >= n || msg[pos] != b'=' {
        return Err(ParseError::BadTag { at: start });
    }
    Ok((if negative { 0 } else { tag as Tag }, pos))
}

/// Offset of the first SOH at or after `from`, eight bytes per step (SWAR);
/// `first` is the word at `from`.
///
/// Called with a field's start, not its value's: the tag's digits and `=`
/// hold no SOH, and starting there lets the search run alongside the tag's
/// decoding rather than after it. Most fields end within the first word.
#[inline(always)]
fn field_end(msg: &[u8], from: usize, first: u64) -> Option<usize> {
    let mut at = from;
    let mut w = first;
    loop {
        if let Some(i) = first_in_word(w, SOH) {
            // Zero fill past the end is never SOH, so `at + i` is in bounds.
            return Some(at + i);
        }
        at += 8;
        if at >= msg.len() {
            return None;
        }
        w = word_from(msg, at);
    }
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new(ParseSpec::fix44(), FIELDS_MAX_DEFAULT)
    }
}

/// A parsed message: the receive buffer plus its field index.
#[derive(Debug, Clone, Copy)]
pub struct Message<'a> {
    all: Fields<'a>,
    body_start: usize,
    trailer_start: usize,
    out_of_order: Option<usize>,
}

impl<'a> Message<'a> {
    /// The raw message bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.all.buf
    }

    /// Every field, in wire order.
    pub fn fields(&self) -> Fields<'a> {
        self.all
    }

    /// The header fields (from BeginString up to the first body field).
    pub fn header(&self) -> Fields<'a> {
        self.all.sub(0, self.body_start)
    }

    /// The body fields (up to the first trailer field).
    pub fn body(&self) -> Fields<'a> {
        self.all.sub(self.body_start, self.trailer_start)
    }

    /// The trailer fields.
    pub fn trailer(&self) -> Fields<'a> {
        self.all.sub(self.trailer_start, self.all.len())
    }

    /// The first field found out of its section's order (a header field after
    /// a body field, or a non-trailer field after the trailer started).
    pub fn out_of_order(&self) -> Option<FieldRef<'a>> {
        self.out_of_order.map(|i| self.all.at(i))
    }

    /// The first field with `tag`, anywhere in the message.
    #[inline]
    pub fn get(&self, tag: Tag) -> Option<FieldRef<'a>> {
        self.all.get(tag)
    }

    /// The first field with `tag`, or `Missing`.
    #[inline]
    pub fn require(&self, tag: Tag) -> Result<FieldRef<'a>, FieldError> {
        self.all.require(tag)
    }

    /// BeginString (8).
    pub fn begin_string(&self) -> &'a [u8] {
        self.all.value_at(0, tags::BEGIN_STRING)
    }

    /// MsgType (35), the third field by framing.
    pub fn msg_type(&self) -> &'a [u8] {
        self.all.value_at(2, tags::MSG_TYPE)
    }

    /// MsgSeqNum (34).
    pub fn seq_num(&self) -> Result<u64, FieldError> {
        self.header().require(tags::MSG_SEQ_NUM)?.as_u64()
    }
}

/// A run of fields: a whole message, one section, or one group instance.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    buf: &'a [u8],
    fields: &'a [Field],
}

impl<'a> Fields<'a> {
    /// The number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The raw index entries.
    pub fn entries(&self) -> &'a [Field] {
        self.fields
    }

    /// The `i`th field. Panics if `i >= len()`.
    #[inline]
    pub fn at(&self, i: usize) -> FieldRef<'a> {
        FieldRef::new(self.buf, &self.fields[i])
    }

    fn value_at(&self, i: usize, tag: Tag) -> &'a [u8] {
        match self.fields.get(i) {
            Some(f) if f.tag == tag => &self.buf[f.value_start as usize..f.value_end as usize],
            _ => self.get(tag).map_or(&[], |f| f.value()),
        }
    }

    fn sub(&self, from: usize, to: usize) -> Fields<'a> {
        Fields {
            buf: self.buf,
            fields: &self.fields[from..to],
        }
    }

    /// Iterates the fields in wire order.
    pub fn iter(&self) -> impl Iterator<Item = FieldRef<'a>> + 'a {
        let buf = self.buf;
        self.fields.iter().map(move |f| FieldRef::new(buf, f))
    }

    /// The first field with `tag`.
    #[inline]
    pub fn get(&self, tag: Tag) -> Option<FieldRef<'a>> {
        self.fields
            .iter()
            .find(|f| f.tag == tag)
            .map(|f| FieldRef::new(self.buf, f))
    }

    /// The first field with `tag`, or [`FieldError`] `Missing`.
    #[inline]
    pub fn require(&self, tag: Tag) -> Result<FieldRef<'a>, FieldError> {
        self.get(tag).ok_or(FieldError {
            tag,
            kind: FieldErrorKind::Missing,
        })
    }

    /// Position of the first field with `tag`.
    pub fn position(&self, tag: Tag) -> Option<usize> {
        self.fields.iter().position(|f| f.tag == tag)
    }

    /// The repeating group whose NumInGroup field is `layout.count_tag()`.
    /// A group that is absent has no instances.
    pub fn group<L: GroupLayout + ?Sized>(
        &self,
        layout: &'a L,
    ) -> Result<Group<'a, L>, FieldError> {
        let (declared, first) = match self.position(layout.count_tag()) {
            None => (0, self.fields.len()),
            Some(i) => (self.at(i).as_u64()?, i + 1),
        };
        Ok(Group {
            fields: *self,
            layout,
            declared,
            pos: first,
        })
    }
}

/// How a repeating group is shaped: the dictionary supplies these, and code
/// that knows a group by heart can use [`StaticGroup`].
pub trait GroupLayout {
    /// The NumInGroup tag.
    fn count_tag(&self) -> Tag;
    /// The first field of every instance.
    fn delimiter(&self) -> Tag;
    /// Is `tag` part of an instance (nested groups' fields included)?
    fn is_member(&self, tag: Tag) -> bool;
}

/// A group layout written down in code.
#[derive(Debug, Clone, Copy)]
pub struct StaticGroup {
    /// NumInGroup tag.
    pub count_tag: Tag,
    /// First field of each instance.
    pub delimiter: Tag,
    /// Every field an instance may hold, nested groups' fields included.
    pub members: &'static [Tag],
}

impl GroupLayout for StaticGroup {
    fn count_tag(&self) -> Tag {
        self.count_tag
    }
    fn delimiter(&self) -> Tag {
        self.delimiter
    }
    fn is_member(&self, tag: Tag) -> bool {
        self.members.contains(&tag)
    }
}

/// The end (exclusive) of the group instance starting at `start`, which
/// holds the delimiter: it runs until the next delimiter or a non-member.
pub fn instance_end<L: GroupLayout + ?Sized>(fields: &[Field], start: usize, layout: &L) -> usize {
    let delimiter = layout.delimiter();
    let mut end = start + 1;
    while end < fields.len() {
        let t = fields[end].tag;
        if t == delimiter || !layout.is_member(t) {
            break;
        }
        end += 1;
    }
    end
}

/// A repeating group within a run of fields; iterate it for its instances.
#[derive(Debug)]
pub struct Group<'a, L: ?Sized> {
    fields: Fields<'a>,
    layout: &'a L,
    declared: u64,
    pos: usize,
}

impl<'a, L: GroupLayout + ?Sized> Group<'a, L> {
    /// The NumInGroup value as sent.
    pub fn declared(&self) -> u64 {
        self.declared
    }
}

impl<'a, L: GroupLayout + ?Sized> Iterator for Group<'a, L> {
    type Item = Fields<'a>;

    fn next(&mut self) -> Option<Fields<'a>> {
        let entries = self.fields.fields;
        if self.pos >= entries.len() || entries[self.pos].tag != self.layout.delimiter() {
            return None;
        }
        let end = instance_end(entries, self.pos, self.layout);
        let inst = self.fields.sub(self.pos, end);
        self.pos = end;
        Some(inst)
    }
}

/// A field that could not be read as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    /// The tag asked for.
    pub tag: Tag,
    /// What went wrong.
    pub kind: FieldErrorKind,
}

/// What went wrong reading a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// The field is absent.
    Missing,
    /// The value could not be decoded.
    Value(ValueError),
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FieldErrorKind::Missing => write!(f, "tag {} missing", self.tag),
            FieldErrorKind::Value(e) => write!(f, "tag {}: {e}", self.tag),
        }
    }
}

impl std::error::Error for FieldError {}

/// One field of a parsed message, with typed decoders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRef<'a> {
    tag: Tag,
    tag_text: &'a [u8],
    value: &'a [u8],
}

impl<'a> FieldRef<'a> {
    #[inline]
    fn new(buf: &'a [u8], f: &Field) -> FieldRef<'a> {
        FieldRef {
            tag: f.tag,
            tag_text: &buf[f.start as usize..f.value_start as usize - 1],
            value: &buf[f.value_start as usize..f.value_end as usize],
        }
    }

    /// The tag number (0 for tag text that is not a positive number).
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The tag exactly as written (`-1` for tag 0 from `-1=`).
    pub fn tag_text(&self) -> &'a [u8] {
        self.tag_text
    }

    /// The raw value bytes.
    #[inline]
    pub fn value(&self) -> &'a [u8] {
        self.value
    }

    #[inline]
    fn wrap<T>(&self, r: Result<T, ValueError>) -> Result<T, FieldError> {
        r.map_err(|e| FieldError {
            tag: self.tag,
            kind: FieldErrorKind::Value(e),
        })
    }

    /// The value as UTF-8 text.
    pub fn as_str(&self) -> Result<&'a str, FieldError> {
        self.wrap(std::str::from_utf8(self.value).map_err(|_| ValueError::Format))
    }

    /// A FIX `int`.
    #[inline]
    pub fn as_i64(&self) -> Result<i64, FieldError> {
        self.wrap(value::parse_i64(self.value))
    }

    /// A non-negative integer (Length, NumInGroup, SeqNum, ...).
    #[inline]
    pub fn as_u64(&self) -> Result<u64, FieldError> {
        self.wrap(value::parse_u64(self.value))
    }

    /// A FIX `char`.
    #[inline]
    pub fn as_char(&self) -> Result<u8, FieldError> {
        self.wrap(value::parse_char(self.value))
    }

    /// A FIX `Boolean` (`Y`/`N`).
    #[inline]
    pub fn as_bool(&self) -> Result<bool, FieldError> {
        self.wrap(value::parse_bool(self.value))
    }

    /// A price, quantity or amount as fixed point.
    #[inline]
    pub fn as_fixed(&self) -> Result<Fixed, FieldError> {
        self.wrap(Fixed::parse(self.value))
    }

    /// A price, quantity or amount as a `rust_decimal::Decimal` (for the edges).
    pub fn as_decimal(&self) -> Result<rust_decimal::Decimal, FieldError> {
        self.as_fixed().map(Fixed::to_decimal)
    }

    /// A UTCTimestamp with the precision it was written in.
    pub fn as_timestamp(&self) -> Result<(UtcTimestamp, TimePrecision), FieldError> {
        self.wrap(UtcTimestamp::parse(self.value))
    }

    /// A UTCDateOnly or LocalMktDate.
    pub fn as_date(&self) -> Result<UtcDate, FieldError> {
        self.wrap(UtcDate::parse(self.value))
    }

    /// A UTCTimeOnly.
    pub fn as_time_only(&self) -> Result<UtcTimeOnly, FieldError> {
        self.wrap(UtcTimeOnly::parse(self.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::tags::*;
    use crate::codec::testing::fix;

    #[test]
    fn indexes_every_field_with_typed_getters() {
        let m = fix("8=FIX.4.4|35=D|34=12|49=TW|52=20261122-10:00:00.123|56=ISLD|11=ORD-1|38=100|40=2|44=101.25|54=1|55=EUR/USD|59=0|60=20261122-10:00:00.123456|");
        let mut p = Parser::default();
        let msg = p.parse(&m).unwrap();
        assert_eq!(msg.fields().len(), 16);
        assert_eq!(msg.begin_string(), b"FIX.4.4");
        assert_eq!(msg.msg_type(), b"D");
        assert_eq!(msg.seq_num(), Ok(12));
        assert_eq!(msg.get(CL_ORD_ID).unwrap().as_str(), Ok("ORD-1"));
        assert_eq!(msg.get(PRICE).unwrap().as_fixed(), Ok(Fixed::new(10125, 2)));
        assert_eq!(
            msg.get(PRICE).unwrap().as_decimal().unwrap().to_string(),
            "101.25"
        );
        assert_eq!(msg.get(SIDE).unwrap().as_char(), Ok(b'1'));
        let (t, p6) = msg.get(TRANSACT_TIME).unwrap().as_timestamp().unwrap();
        assert_eq!(p6, TimePrecision::Micros);
        assert_eq!(t.subsec_nanos(), 123_456_000);
        assert_eq!(msg.header().len(), 7);
        assert_eq!(msg.body().len(), 8);
        assert_eq!(msg.trailer().len(), 1);
        assert!(msg.out_of_order().is_none());
        assert_eq!(
            msg.require(TEXT),
            Err(FieldError {
                tag: TEXT,
                kind: FieldErrorKind::Missing
            })
        );
        assert!(matches!(
            msg.get(CL_ORD_ID).unwrap().as_u64(),
            Err(FieldError {
                tag: CL_ORD_ID,
                kind: FieldErrorKind::Value(ValueError::Format)
            })
        ));
    }

    #[test]
    fn raw_data_may_hold_soh_and_equals() {
        let m = fix("8=FIX.4.4|35=B|34=2|49=A|56=B|52=20261122-10:00:00|95=7|96=a|b=c|d|58=x|");
        let mut p = Parser::default();
        let msg = p.parse(&m).unwrap();
        assert_eq!(msg.get(RAW_DATA).unwrap().value(), b"a\x01b=c\x01d");
        assert_eq!(msg.get(TEXT).unwrap().value(), b"x");
        let bad = fix("8=FIX.4.4|35=B|34=2|49=A|56=B|52=20261122-10:00:00|95=3|96=abcd|");
        assert_eq!(
            Parser::default().parse(&bad).unwrap_err(),
            ParseError::BadDataLength { tag: 96 }
        );
    }

    #[test]
    fn out_of_order_sections_are_recorded_not_fixed() {
        let m = fix("8=FIX.4.4|35=D|55=MSFT|34=3|49=TW44|52=20261122-10:00:00|56=ISLD|11=id|");
        let mut p = Parser::default();
        let msg = p.parse(&m).unwrap();
        assert_eq!(msg.out_of_order().unwrap().tag(), MSG_SEQ_NUM);
        let m = fix("8=FIX.4.4|35=0|34=3|49=TW44|52=20261122-10:00:00|56=ISLD|93=1|89=x|58=late|");
        let msg = p.parse(&m).unwrap();
        assert_eq!(msg.out_of_order().unwrap().tag(), TEXT);
    }

    #[test]
    fn odd_tags_keep_their_text_and_unparseable_ones_fail() {
        let m = fix("8=FIX.4.4|35=0|34=4|49=TW44|52=20261122-10:00:00|56=ISLD|-1=HI|0=HI|");
        let mut p = Parser::default();
        let msg = p.parse(&m).unwrap();
        let body: Vec<_> = msg.body().iter().map(|f| (f.tag(), f.tag_text())).collect();
        assert_eq!(body, vec![(0, &b"-1"[..]), (0, &b"0"[..])]);
        for bad in ["4garbled9=TW", "=x", "abc", "12345678901=x"] {
            let m = fix(&format!("8=FIX.4.4|35=0|34=4|49=TW44|{bad}|56=ISLD|"));
            assert!(
                matches!(p.parse(&m), Err(ParseError::BadTag { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn fields_near_the_end_and_short_inputs_take_the_same_rules() {
        // Under eight bytes in all, and fields whose word runs past the end.
        let mut p = Parser::default();
        let tags_values = |m: &[u8], p: &mut Parser| -> Result<Vec<(Tag, Vec<u8>)>, ParseError> {
            let msg = p.parse(m)?;
            Ok(msg
                .fields()
                .iter()
                .map(|f| (f.tag(), f.value().to_vec()))
                .collect())
        };
        assert_eq!(
            tags_values(b"1=a\x01", &mut p),
            Ok(vec![(1, b"a".to_vec())])
        );
        assert_eq!(tags_values(b"", &mut p), Ok(vec![]));
        assert_eq!(
            tags_values(b"12=ab\x0134=\x01", &mut p),
            Ok(vec![(12, b"ab".to_vec()), (34, vec![])])
        );
        assert_eq!(tags_values(b"1=a", &mut p), Err(ParseError::Unterminated));
        assert_eq!(
            tags_values(b"12", &mut p),
            Err(ParseError::BadTag { at: 0 })
        );
        assert_eq!(
            tags_values(b"1=a\x0112", &mut p),
            Err(ParseError::BadTag { at: 4 })
        );
        // Eight and nine digit tags are tags; ten are not.
        assert_eq!(
            tags_values(b"12345678=x\x01123456789=y\x01", &mut p),
            Ok(vec![
                (12_345_678, b"x".to_vec()),
                (123_456_789, b"y".to_vec())
            ])
        );
        assert_eq!(
            tags_values(b"1234567890=x\x01", &mut p),
            Err(ParseError::BadTag { at: 0 })
        );
        // A long value, and raw data with NUL right after an SOH.
        let long = [b'v'; 70];
        let mut m = b"58=".to_vec();
        m.extend_from_slice(&long);
        m.extend_from_slice(b"\x0195=3\x0196=\x01\x00=\x0110=000\x01");
        assert_eq!(
            tags_values(&m, &mut p),
            Ok(vec![
                (58, long.to_vec()),
                (95, b"3".to_vec()),
                (96, b"\x01\x00=".to_vec()),
                (10, b"000".to_vec()),
            ])
        );
    }

    #[test]
    fn the_index_never_grows_past_its_capacity() {
        let m = fix("8=FIX.4.4|35=0|34=4|49=TW44|52=20261122-10:00:00|56=ISLD|");
        let mut p = Parser::new(ParseSpec::fix44(), 5);
        assert_eq!(
            p.parse(&m).unwrap_err(),
            ParseError::TooManyFields { fields_max: 5 }
        );
        assert_eq!(p.fields.capacity(), 5);
    }

    #[test]
    fn nested_repeating_groups_are_walked_by_their_delimiters() {
        // NoMDEntries(268) with a nested NoPartyIDs(453) in the first entry.
        static PARTIES: StaticGroup = StaticGroup {
            count_tag: 453,
            delimiter: 448,
            members: &[448, 447, 452],
        };
        static ENTRIES: StaticGroup = StaticGroup {
            count_tag: 268,
            delimiter: 269,
            members: &[269, 270, 271, 453, 448, 447, 452],
        };
        let m = fix("8=FIX.4.4|35=W|34=2|49=A|56=B|52=20261122-10:00:00|55=EUR/USD|268=2|269=0|270=1.1|271=5|453=2|448=P1|452=1|448=P2|452=3|269=1|270=1.2|271=7|58=end|");
        let mut p = Parser::default();
        let msg = p.parse(&m).unwrap();
        let body = msg.body();
        let mut entries = body.group(&ENTRIES).unwrap();
        assert_eq!(entries.declared(), 2);
        let first = entries.next().unwrap();
        let second = entries.next().unwrap();
        assert!(entries.next().is_none());
        assert_eq!(first.get(MD_ENTRY_PX).unwrap().value(), b"1.1");
        let parties: Vec<_> = first
            .group(&PARTIES)
            .unwrap()
            .map(|p| p.get(448).unwrap().value())
            .collect();
        assert_eq!(parties, vec![&b"P1"[..], b"P2"]);
        assert_eq!(second.get(MD_ENTRY_SIZE).unwrap().as_u64(), Ok(7));
        assert!(second.get(TEXT).is_none(), "58 ends the group");
        assert_eq!(body.get(TEXT).unwrap().value(), b"end");
    }
}
