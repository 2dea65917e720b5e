//! Data dictionaries: what fields and messages a FIX dialect has, loaded from
//! QuickFIX's XML format, and validation of parsed messages against them.
//!
//! Owns the flat tables built at start-up ([`Dictionary`]): fields with types
//! and enums, the header and trailer, messages with their required fields,
//! and repeating groups (components are expanded inline at load time, with
//! QuickFIX's rule that a field inside a component is required only if the
//! component is required too). Loading allocates; lookups and validation
//! ([`Validator`]) never do. Users bring their LP's custom dictionary; the
//! FIX 4.4 dictionary ships in `config/dictionaries/FIX44.xml` and is embedded
//! as [`Dictionary::fix44`].

mod index;
mod load;
mod validate;

pub use index::TagSet;
pub use load::DictionaryError;
pub use validate::{RefTagId, Rejection, SessionRejectReason, ValidationConfig, Validator};

use crate::codec::{GroupLayout, ParseSpec, Tag};

/// A FIX data type, as named in QuickFIX dictionaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum FieldType {
    Int,
    Length,
    NumInGroup,
    SeqNum,
    TagNum,
    DayOfMonth,
    Float,
    Qty,
    Price,
    PriceOffset,
    Amt,
    Percentage,
    Char,
    Boolean,
    String,
    MultipleCharValue,
    MultipleStringValue,
    Currency,
    Exchange,
    Country,
    Language,
    UtcTimestamp,
    UtcTimeOnly,
    UtcDateOnly,
    LocalMktDate,
    MonthYear,
    TzTimeOnly,
    TzTimestamp,
    Data,
    XmlData,
}

impl FieldType {
    /// The type for a QuickFIX type name (case-insensitive), if known.
    pub fn from_name(name: &str) -> Option<FieldType> {
        use FieldType::*;
        Some(match name.to_ascii_uppercase().as_str() {
            "INT" => Int,
            "LENGTH" => Length,
            "NUMINGROUP" => NumInGroup,
            "SEQNUM" => SeqNum,
            "TAGNUM" => TagNum,
            "DAYOFMONTH" => DayOfMonth,
            "FLOAT" => Float,
            "QTY" | "QUANTITY" => Qty,
            "PRICE" => Price,
            "PRICEOFFSET" => PriceOffset,
            "AMT" => Amt,
            "PERCENTAGE" => Percentage,
            "CHAR" => Char,
            "BOOLEAN" => Boolean,
            "STRING" => String,
            "MULTIPLECHARVALUE" => MultipleCharValue,
            "MULTIPLEVALUESTRING" | "MULTIPLESTRINGVALUE" => MultipleStringValue,
            "CURRENCY" => Currency,
            "EXCHANGE" => Exchange,
            "COUNTRY" => Country,
            "LANGUAGE" => Language,
            "UTCTIMESTAMP" | "TIME" => UtcTimestamp,
            "UTCTIMEONLY" => UtcTimeOnly,
            "UTCDATEONLY" | "UTCDATE" | "DATE" => UtcDateOnly,
            "LOCALMKTDATE" => LocalMktDate,
            "MONTHYEAR" => MonthYear,
            "TZTIMEONLY" => TzTimeOnly,
            "TZTIMESTAMP" => TzTimestamp,
            "DATA" => Data,
            "XMLDATA" => XmlData,
            _ => return None,
        })
    }
}

/// An enumerated value and its description.
pub type EnumValue = (Box<[u8]>, Box<str>);

/// One field of the dictionary.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// Tag number.
    pub tag: Tag,
    /// FIX name, e.g. `ClOrdID`.
    pub name: Box<str>,
    /// Data type.
    pub field_type: FieldType,
    /// Allowed values with their descriptions, sorted by value; empty when
    /// the field is not an enumeration.
    pub enums: Box<[EnumValue]>,
}

impl FieldDef {
    /// Is `value` one of the enumerated values? (True when not an enumeration.)
    pub fn allows(&self, value: &[u8]) -> bool {
        self.enums.is_empty()
            || self
                .enums
                .binary_search_by(|(v, _)| v.as_ref().cmp(value))
                .is_ok()
    }

    /// The description of an enumerated value.
    pub fn describe(&self, value: &[u8]) -> Option<&str> {
        self.enums
            .binary_search_by(|(v, _)| v.as_ref().cmp(value))
            .ok()
            .map(|i| self.enums[i].1.as_ref())
    }
}

/// What a message, the header, the trailer or a group instance may hold.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Fields allowed directly in this scope (group NumInGroup tags included,
    /// group members not), sorted.
    pub fields: Box<[Tag]>,
    /// Fields that must be present, sorted.
    pub required: Box<[Tag]>,
    /// Repeating groups of this scope, sorted by NumInGroup tag.
    pub groups: Box<[GroupDef]>,
    /// `fields` as a set, for the validator's O(1) lookups: the loader
    /// builds it from `fields` (`TagSet::new(&fields)`), and a scope that
    /// changes `fields` must rebuild it.
    pub fields_set: TagSet,
}

impl Scope {
    /// May `tag` appear directly in this scope?
    #[inline]
    pub fn allows(&self, tag: Tag) -> bool {
        self.fields.binary_search(&tag).is_ok()
    }

    /// The group whose NumInGroup tag is `count_tag`.
    #[inline]
    pub fn group(&self, count_tag: Tag) -> Option<&GroupDef> {
        self.groups
            .binary_search_by_key(&count_tag, |g| g.count_tag)
            .ok()
            .map(|i| &self.groups[i])
    }
}

/// A repeating group.
#[derive(Debug, Clone, Default)]
pub struct GroupDef {
    /// NumInGroup tag.
    pub count_tag: Tag,
    /// The first field of every instance.
    pub delimiter: Tag,
    /// What one instance may hold.
    pub scope: Scope,
    /// Every tag an instance may hold, nested groups' fields included, sorted.
    pub members: Box<[Tag]>,
    /// `members` as a set, for the validator's O(1) lookups (built from
    /// `members` like [`Scope::fields_set`]).
    pub members_set: TagSet,
}

impl GroupLayout for GroupDef {
    fn count_tag(&self) -> Tag {
        self.count_tag
    }
    fn delimiter(&self) -> Tag {
        self.delimiter
    }
    fn is_member(&self, tag: Tag) -> bool {
        self.members.binary_search(&tag).is_ok()
    }
}

/// A message type of the dictionary.
#[derive(Debug, Clone)]
pub struct MessageDef {
    /// FIX name, e.g. `NewOrderSingle`.
    pub name: Box<str>,
    /// MsgType value, e.g. `D`.
    pub msg_type: Box<[u8]>,
    /// True for session-level (`msgcat='admin'`) messages.
    pub admin: bool,
    /// What the body may hold.
    pub body: Scope,
}

/// A loaded data dictionary: flat, immutable tables.
#[derive(Debug, Clone)]
pub struct Dictionary {
    origin: Box<str>,
    begin_string: Box<str>,
    fields: Box<[FieldDef]>,
    /// Index into `fields` by tag; `u32::MAX` where no field has that tag.
    by_tag: Box<[u32]>,
    header: Scope,
    trailer: Scope,
    /// Sorted by MsgType bytes.
    messages: Box<[MessageDef]>,
    /// Per one-byte MsgType, its index in `messages`; `u32::MAX` for none.
    messages_by_byte: Box<[u32; 256]>,
    /// Per entry of `fields`, its enumerated values as a `ValueSet`.
    enum_sets: Box<[index::ValueSet]>,
    parse_spec: ParseSpec,
}

/// QuickFIX's FIX 4.4 dictionary, as shipped in `config/dictionaries/`.
const FIX44_XML: &str = include_str!("../../config/dictionaries/FIX44.xml");

impl Dictionary {
    /// Loads a dictionary file; errors name the file, the line and the problem.
    pub fn from_file(path: &std::path::Path) -> Result<Dictionary, DictionaryError> {
        let text = std::fs::read_to_string(path).map_err(|e| DictionaryError {
            origin: path.display().to_string(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        Dictionary::from_xml(&text, &path.display().to_string())
    }

    /// Loads a dictionary from XML text; `origin` names it in errors.
    pub fn from_xml(xml: &str, origin: &str) -> Result<Dictionary, DictionaryError> {
        load::load(xml, origin)
    }

    /// The FIX 4.4 dictionary embedded in the binary.
    pub fn fix44() -> Dictionary {
        Dictionary::from_xml(FIX44_XML, "config/dictionaries/FIX44.xml")
            .expect("the embedded FIX44.xml loads (checked by tests)")
    }

    /// Where it was loaded from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The BeginString it describes, e.g. `FIX.4.4`.
    pub fn begin_string(&self) -> &str {
        &self.begin_string
    }

    /// The field with `tag`.
    #[inline]
    pub fn field(&self, tag: Tag) -> Option<&FieldDef> {
        match self.by_tag.get(tag as usize) {
            Some(&i) if i != u32::MAX => Some(&self.fields[i as usize]),
            _ => None,
        }
    }

    /// The field named `name` (load-time and tooling use; linear).
    pub fn field_by_name(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| &*f.name == name)
    }

    /// Is `value` (non-empty) one of `tag`'s enumerated values? True when
    /// the field is not an enumeration or not defined. What
    /// [`FieldDef::allows`] answers, in constant time for short values.
    #[inline]
    pub fn enum_allows(&self, tag: Tag, value: &[u8]) -> bool {
        match self.by_tag.get(tag as usize) {
            Some(&i) if i != u32::MAX => {
                let def = &self.fields[i as usize];
                def.enums.is_empty()
                    || self.enum_sets[i as usize]
                        .contains(value)
                        .unwrap_or_else(|| def.allows(value))
            }
            _ => true,
        }
    }

    /// All fields, in ascending tag order.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// The highest tag defined.
    pub fn max_tag(&self) -> Tag {
        self.by_tag.len().saturating_sub(1) as Tag
    }

    /// The standard header.
    pub fn header(&self) -> &Scope {
        &self.header
    }

    /// The standard trailer.
    pub fn trailer(&self) -> &Scope {
        &self.trailer
    }

    /// The message with MsgType `msg_type`.
    #[inline]
    pub fn message(&self, msg_type: &[u8]) -> Option<&MessageDef> {
        if let [b] = msg_type {
            let i = self.messages_by_byte[*b as usize];
            return self.messages.get(i as usize);
        }
        self.messages
            .binary_search_by(|m| m.msg_type.as_ref().cmp(msg_type))
            .ok()
            .map(|i| &self.messages[i])
    }

    /// All messages, sorted by MsgType.
    pub fn messages(&self) -> &[MessageDef] {
        &self.messages
    }

    /// Header, trailer and data-field knowledge for the parser.
    pub fn parse_spec(&self) -> &ParseSpec {
        &self.parse_spec
    }
}
