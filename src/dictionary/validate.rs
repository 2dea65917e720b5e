//! Validation of a parsed message against a [`Dictionary`].
//!
//! Answers with the FIX SessionRejectReason (373) and the offending tag (371)
//! that the session puts in its Reject. The checks and their order follow
//! QuickFIX, so both engines reject the same message for the same reason:
//! 1. fields out of their section's order (header, body, trailer) — 14;
//! 2. a MsgType the dictionary does not define — 11;
//! 3. required fields: header, body, trailer, then inside group instances — 1;
//! 4. each field in wire order: repeated in its scope — 13; empty — 4;
//!    malformed for its type — 6; not one of its enumerated values — 5;
//!    a tag the dictionary does not define — 0; a field this message type
//!    (or this group) does not hold — 2; a NumInGroup that does not match the
//!    instances that follow — 16.
//!
//! [`Validator`] owns a scratch table sized at construction; `validate`
//! never allocates.

use super::{Dictionary, FieldType, GroupDef, Scope};
use crate::codec::tags::SENDING_TIME;
use crate::codec::value::{self, UtcDate};
use crate::codec::{FieldRef, Fields, GroupLayout, Message, Tag};
use std::fmt;

/// SessionRejectReason (373) values of FIX 4.4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum SessionRejectReason {
    InvalidTagNumber,
    RequiredTagMissing,
    TagNotDefinedForMessageType,
    UndefinedTag,
    TagSpecifiedWithoutValue,
    ValueIsIncorrect,
    IncorrectDataFormat,
    DecryptionProblem,
    SignatureProblem,
    CompIdProblem,
    SendingTimeAccuracyProblem,
    InvalidMsgType,
    XmlValidationError,
    TagAppearsMoreThanOnce,
    TagSpecifiedOutOfRequiredOrder,
    RepeatingGroupFieldsOutOfOrder,
    IncorrectNumInGroupCount,
    NonDataValueIncludesFieldDelimiter,
    Other,
}

impl SessionRejectReason {
    /// The value of tag 373.
    pub const fn code(self) -> u32 {
        use SessionRejectReason::*;
        match self {
            InvalidTagNumber => 0,
            RequiredTagMissing => 1,
            TagNotDefinedForMessageType => 2,
            UndefinedTag => 3,
            TagSpecifiedWithoutValue => 4,
            ValueIsIncorrect => 5,
            IncorrectDataFormat => 6,
            DecryptionProblem => 7,
            SignatureProblem => 8,
            CompIdProblem => 9,
            SendingTimeAccuracyProblem => 10,
            InvalidMsgType => 11,
            XmlValidationError => 12,
            TagAppearsMoreThanOnce => 13,
            TagSpecifiedOutOfRequiredOrder => 14,
            RepeatingGroupFieldsOutOfOrder => 15,
            IncorrectNumInGroupCount => 16,
            NonDataValueIncludesFieldDelimiter => 17,
            Other => 99,
        }
    }

    /// The FIX specification's name of the reason, used as Text (58).
    pub const fn text(self) -> &'static str {
        use SessionRejectReason::*;
        match self {
            InvalidTagNumber => "Invalid tag number",
            RequiredTagMissing => "Required tag missing",
            TagNotDefinedForMessageType => "Tag not defined for this message type",
            UndefinedTag => "Undefined Tag",
            TagSpecifiedWithoutValue => "Tag specified without a value",
            ValueIsIncorrect => "Value is incorrect (out of range) for this tag",
            IncorrectDataFormat => "Incorrect data format for value",
            DecryptionProblem => "Decryption problem",
            SignatureProblem => "Signature problem",
            CompIdProblem => "CompID problem",
            SendingTimeAccuracyProblem => "SendingTime accuracy problem",
            InvalidMsgType => "Invalid MsgType",
            XmlValidationError => "XML Validation error",
            TagAppearsMoreThanOnce => "Tag appears more than once",
            TagSpecifiedOutOfRequiredOrder => "Tag specified out of required order",
            RepeatingGroupFieldsOutOfOrder => "Repeating group fields out of order",
            IncorrectNumInGroupCount => "Incorrect NumInGroup count for repeating group",
            NonDataValueIncludesFieldDelimiter => {
                "Non Data value includes field delimiter (SOH character)"
            }
            Other => "Other",
        }
    }
}

/// RefTagID (371): the tag as the counterparty wrote it (`-1` stays `-1`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RefTagId {
    tag: Tag,
    text: [u8; 12],
    len: u8,
}

impl RefTagId {
    /// From a tag number.
    pub fn from_tag(tag: Tag) -> RefTagId {
        let mut digits = [0u8; 20];
        let n = value::write_u64_rev(tag as u64, &mut digits);
        let mut text = [0u8; 12];
        text[..n].copy_from_slice(&digits[20 - n..]);
        RefTagId {
            tag,
            text,
            len: n as u8,
        }
    }

    fn from_field(f: &FieldRef<'_>) -> RefTagId {
        let raw = f.tag_text();
        let n = raw.len().min(12);
        let mut text = [0u8; 12];
        text[..n].copy_from_slice(&raw[..n]);
        RefTagId {
            tag: f.tag(),
            text,
            len: n as u8,
        }
    }

    /// The tag number (0 when the text is not a positive number).
    pub fn tag(&self) -> Tag {
        self.tag
    }

    /// The tag text to put in 371.
    pub fn as_bytes(&self) -> &[u8] {
        &self.text[..self.len as usize]
    }
}

impl fmt::Debug for RefTagId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RefTagId({})", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// Why a message is rejected: what the session's Reject (3) carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    /// SessionRejectReason (373).
    pub reason: SessionRejectReason,
    /// RefTagID (371), when the reason concerns one field.
    pub ref_tag: Option<RefTagId>,
}

impl Rejection {
    fn at(reason: SessionRejectReason, f: &FieldRef<'_>) -> Rejection {
        Rejection {
            reason,
            ref_tag: Some(RefTagId::from_field(f)),
        }
    }

    fn tag(reason: SessionRejectReason, tag: Tag) -> Rejection {
        Rejection {
            reason,
            ref_tag: Some(RefTagId::from_tag(tag)),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason.text())?;
        if let Some(t) = &self.ref_tag {
            write!(f, " (tag {})", String::from_utf8_lossy(t.as_bytes()))?;
        }
        Ok(())
    }
}

/// Validation switches, named as QuickFIX users know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidationConfig {
    /// Check user-defined fields (tags 5000 and up) against the dictionary.
    pub validate_user_defined_fields: bool,
    /// Reject header fields after the body and body fields after the trailer.
    pub validate_fields_out_of_order: bool,
    /// Reject fields with an empty value.
    pub validate_fields_have_values: bool,
    /// Accept fields below 5000 that the dictionary does not define, or does
    /// not define for this message type.
    pub allow_unknown_msg_fields: bool,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            validate_user_defined_fields: true,
            validate_fields_out_of_order: true,
            validate_fields_have_values: true,
            allow_unknown_msg_fields: false,
        }
    }
}

/// The first tag of the user-defined range.
const USER_MIN: Tag = 5000;

/// Validates messages; holds a scratch table sized to the dictionary.
#[derive(Debug, Clone)]
pub struct Validator {
    config: ValidationConfig,
    /// Per tag, the stamp of the scope it was last seen in.
    seen: Box<[u32]>,
    stamp: u32,
    /// The SendingTime (52) the last `validate` parsed, so the session's
    /// accuracy check does not parse it again.
    sending_time: TimeMemo,
}

/// A parsed UTCTimestamp with the bytes it was parsed from.
#[derive(Debug, Clone, Copy)]
struct TimeMemo {
    raw: [u8; TIME_MEMO_MAX],
    len: u8,
    at: crate::codec::UtcTimestamp,
}

/// The longest value remembered (a UTCTimestamp with nanoseconds is 27).
const TIME_MEMO_MAX: usize = 32;

impl TimeMemo {
    const NONE: TimeMemo = TimeMemo {
        raw: [0; TIME_MEMO_MAX],
        len: 0,
        at: crate::codec::UtcTimestamp::from_unix_nanos(0),
    };
}

/// What one walk found, kept in precedence order.
#[derive(Default)]
struct Findings {
    group_required: Option<Rejection>,
    field: Option<Rejection>,
}

impl Validator {
    /// A validator for messages of `dict`.
    pub fn new(dict: &Dictionary, config: ValidationConfig) -> Validator {
        Validator {
            config,
            seen: vec![0; dict.max_tag() as usize + 1].into_boxed_slice(),
            stamp: 0,
            sending_time: TimeMemo::NONE,
        }
    }

    /// The switches in force.
    pub fn config(&self) -> &ValidationConfig {
        &self.config
    }

    /// The SendingTime (52) value `raw`, parsed, if the last `validate`
    /// parsed exactly these bytes as a UTCTimestamp (None: parse it).
    #[inline]
    pub fn parsed_sending_time(&self, raw: &[u8]) -> Option<crate::codec::UtcTimestamp> {
        let m = &self.sending_time;
        (m.len != 0 && raw == &m.raw[..m.len as usize]).then_some(m.at)
    }

    /// Checks `msg` against `dict`; the dictionary must be the one this
    /// validator was built for (or one with no higher tags).
    pub fn validate(&mut self, dict: &Dictionary, msg: &Message<'_>) -> Result<(), Rejection> {
        if self.config.validate_fields_out_of_order {
            if let Some(f) = msg.out_of_order() {
                return Err(Rejection::at(
                    SessionRejectReason::TagSpecifiedOutOfRequiredOrder,
                    &f,
                ));
            }
        }
        let Some(def) = dict.message(msg.msg_type()) else {
            return Err(Rejection {
                reason: SessionRejectReason::InvalidMsgType,
                ref_tag: None,
            });
        };
        self.sending_time.len = 0;
        let fields = msg.fields();
        let top = self.next_stamp();
        let mut found = Findings::default();
        let spec = dict.parse_spec();
        let mut i = 0;
        while i < fields.len() {
            let f = fields.at(i);
            let tag = f.tag();
            let scope = if spec.is_header(tag) {
                dict.header()
            } else if spec.is_trailer(tag) {
                dict.trailer()
            } else {
                &def.body
            };
            self.check_field(dict, scope, &f, top, &mut found);
            i = match scope.group(tag) {
                Some(g) => self.walk_group(dict, g, &fields, i, &mut found),
                None => i + 1,
            };
        }
        for scope in [dict.header(), &def.body, dict.trailer()] {
            if let Some(&t) = scope.required.iter().find(|&&t| !self.was_seen(t, top)) {
                return Err(Rejection::tag(SessionRejectReason::RequiredTagMissing, t));
            }
        }
        match found.group_required.or(found.field) {
            Some(r) => Err(r),
            None => Ok(()),
        }
    }

    fn next_stamp(&mut self) -> u32 {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            // Wrapped: old stamps could collide, so start clean.
            self.seen.fill(0);
            self.stamp = 1;
        }
        self.stamp
    }

    #[inline]
    fn was_seen(&self, tag: Tag, stamp: u32) -> bool {
        self.seen.get(tag as usize) == Some(&stamp)
    }

    /// Marks `tag` seen in scope `stamp`; false if it already was.
    #[inline]
    fn mark(&mut self, tag: Tag, stamp: u32) -> bool {
        match self.seen.get_mut(tag as usize) {
            Some(s) if *s == stamp => false,
            Some(s) => {
                *s = stamp;
                true
            }
            None => true,
        }
    }

    fn should_check(&self, tag: Tag) -> bool {
        if tag < USER_MIN {
            !self.config.allow_unknown_msg_fields
        } else {
            self.config.validate_user_defined_fields
        }
    }

    fn check_field(
        &mut self,
        dict: &Dictionary,
        scope: &Scope,
        f: &FieldRef<'_>,
        stamp: u32,
        found: &mut Findings,
    ) {
        if found.field.is_some() {
            // Keep marking, so required fields are still seen.
            self.mark(f.tag(), stamp);
            return;
        }
        use SessionRejectReason::*;
        let tag = f.tag();
        let reject = |reason| Some(Rejection::at(reason, f));
        found.field = if tag == 0 {
            reject(InvalidTagNumber)
        } else if !self.mark(tag, stamp) {
            reject(TagAppearsMoreThanOnce)
        } else if f.value().is_empty() && self.config.validate_fields_have_values {
            reject(TagSpecifiedWithoutValue)
        } else {
            match dict.field(tag) {
                None if self.should_check(tag) => reject(InvalidTagNumber),
                None => None,
                Some(def) => {
                    let v = f.value();
                    let mut well_formed = |v| {
                        if tag == SENDING_TIME && def.field_type == FieldType::UtcTimestamp {
                            self.remember_sending_time(v)
                        } else {
                            format_ok(def.field_type, v)
                        }
                    };
                    if !v.is_empty() && !well_formed(v) {
                        reject(IncorrectDataFormat)
                    } else if !v.is_empty() && !enum_ok(dict, def, v) {
                        reject(ValueIsIncorrect)
                    } else if !scope.fields_set.contains(tag) && self.should_check(tag) {
                        reject(TagNotDefinedForMessageType)
                    } else {
                        None
                    }
                }
            }
        };
    }

    /// Parses SendingTime `v` once for its format check and the session's
    /// accuracy check (which reads the memo); is it well formed?
    #[inline]
    fn remember_sending_time(&mut self, v: &[u8]) -> bool {
        let Ok((at, _)) = crate::codec::UtcTimestamp::parse(v) else {
            return false;
        };
        if let Some(raw) = self.sending_time.raw.get_mut(..v.len()) {
            raw.copy_from_slice(v);
            self.sending_time.len = v.len() as u8;
            self.sending_time.at = at;
        }
        true
    }

    /// Walks the group whose NumInGroup field is at `at`; returns the index
    /// after its last instance.
    fn walk_group(
        &mut self,
        dict: &Dictionary,
        group: &GroupDef,
        fields: &Fields<'_>,
        at: usize,
        found: &mut Findings,
    ) -> usize {
        let count_field = fields.at(at);
        let declared = count_field.as_u64().ok();
        let entries = fields.entries();
        let mut j = at + 1;
        let mut instances: u64 = 0;
        while j < entries.len() && entries[j].tag == group.delimiter() {
            let stamp = self.next_stamp();
            let start = j;
            while j < entries.len() {
                let tag = entries[j].tag;
                if j > start && (tag == group.delimiter || !group.members_set.contains(tag)) {
                    break;
                }
                let f = fields.at(j);
                self.check_field(dict, &group.scope, &f, stamp, found);
                j = match group.scope.group(tag) {
                    Some(nested) => self.walk_group(dict, nested, fields, j, found),
                    None => j + 1,
                };
            }
            if found.group_required.is_none() {
                if let Some(&t) = group
                    .scope
                    .required
                    .iter()
                    .find(|&&t| !self.was_seen(t, stamp))
                {
                    found.group_required =
                        Some(Rejection::tag(SessionRejectReason::RequiredTagMissing, t));
                }
            }
            instances += 1;
        }
        if declared.is_some_and(|d| d != instances) && found.field.is_none() {
            found.field = Some(Rejection::at(
                SessionRejectReason::IncorrectNumInGroupCount,
                &count_field,
            ));
        }
        j
    }
}

/// Is `v` (non-empty) well formed for `t`? LocalMktDate and MonthYear are
/// not checked, as QuickFIX does not check them.
fn format_ok(t: FieldType, v: &[u8]) -> bool {
    use FieldType::*;
    match t {
        Int => value::parse_i64(v).is_ok(),
        Length | NumInGroup | SeqNum | TagNum => value::parse_u64(v).is_ok(),
        DayOfMonth => matches!(value::parse_u64(v), Ok(1..=31)),
        // The same decoders the engine reads values with, so a value that
        // validates can always be read (a 20-digit price cannot).
        Float | Qty | Price | PriceOffset | Amt | Percentage => {
            crate::codec::Fixed::parse(v).is_ok()
        }
        Char => value::parse_char(v).is_ok(),
        Boolean => value::parse_bool(v).is_ok(),
        UtcTimestamp => crate::codec::UtcTimestamp::parse(v).is_ok(),
        UtcTimeOnly => crate::codec::UtcTimeOnly::parse(v).is_ok(),
        UtcDateOnly => UtcDate::parse(v).is_ok(),
        MultipleCharValue => v.split(|&b| b == b' ').all(|c| c.len() == 1),
        _ => true,
    }
}

fn enum_ok(dict: &Dictionary, def: &super::FieldDef, v: &[u8]) -> bool {
    if def.enums.is_empty() {
        return true;
    }
    match def.field_type {
        FieldType::MultipleCharValue | FieldType::MultipleStringValue => v
            .split(|&b| b == b' ')
            .all(|token| dict.enum_allows(def.tag, token)),
        _ => dict.enum_allows(def.tag, v),
    }
}
