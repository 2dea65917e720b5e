//! The FIX codec: bytes to messages and back.
//!
//! Owns framing ([`frame`]), the zero-copy field index ([`parse`]), typed
//! values ([`value`]), encoding ([`encode`]) and the FIX 4.4 tag and MsgType
//! constants ([`tags`]). It knows nothing of sessions, sockets or clocks:
//! callers pass bytes in and `now` where a timestamp is written. Nothing in
//! this module allocates after construction (proved by `tests/no_alloc.rs`).
//!
//! The usual receive loop:
//! ```
//! use fixrail::codec::{Decoder, Decoded};
//! let mut decoder = Decoder::default();
//! let bytes = fixrail::codec::testing::fix("8=FIX.4.4|35=0|34=2|49=A|56=B|52=20261122-10:00:00|");
//! let mut buf = &bytes[..];
//! while !buf.is_empty() {
//!     match decoder.decode(buf) {
//!         Decoded::Message(msg, len) => {
//!             assert_eq!(msg.msg_type(), b"0");
//!             buf = &buf[len..];
//!         }
//!         Decoded::NeedMore => break,
//!         Decoded::Garbled { skip, .. } | Decoded::Unparseable { skip, .. } => buf = &buf[skip..],
//!     }
//! }
//! ```

pub mod base36;
pub mod encode;
pub mod frame;
pub mod parse;
pub mod tags;
pub mod testing;
pub mod value;

pub use encode::{EncodeError, Encoder, EncoderConfig, Header, MessageWriter};
pub use frame::{checksum, Frame, Framer, FramerConfig, Garbled, MessageFrame};
pub use parse::{
    Field, FieldError, FieldErrorKind, FieldRef, Fields, Group, GroupLayout, Message, ParseError,
    ParseSpec, Parser, StaticGroup, FIELDS_MAX_DEFAULT,
};
pub use tags::{MsgType, Tag};
pub use value::{Fixed, TimePrecision, UtcDate, UtcTimeOnly, UtcTimestamp, ValueError};

/// The FIX field separator.
pub const SOH: u8 = 0x01;

/// Framing plus parsing: what a receive loop calls on its buffer.
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    framer: Framer,
    parser: Parser,
}

/// The outcome of [`Decoder::decode`].
#[derive(Debug)]
pub enum Decoded<'a> {
    /// A whole, indexed message and its length in the buffer.
    Message(Message<'a>, usize),
    /// Read more bytes.
    NeedMore,
    /// Drop `skip` bytes: garbled as framed.
    Garbled {
        /// Bytes to drop.
        skip: usize,
        /// Why.
        reason: Garbled,
    },
    /// Drop `skip` bytes: framed, but its fields cannot be indexed.
    Unparseable {
        /// Bytes to drop (the whole message).
        skip: usize,
        /// Why.
        error: ParseError,
    },
}

impl Decoder {
    /// A decoder with the given framer and parser.
    pub fn new(framer: Framer, parser: Parser) -> Decoder {
        Decoder { framer, parser }
    }

    /// A decoder for a dictionary's messages (`Dictionary::parse_spec`),
    /// refusing a BodyLength above `message_size_max`, with the default
    /// field capacity.
    pub fn for_spec(spec: ParseSpec, message_size_max: usize) -> Decoder {
        Decoder::new(
            Framer::new(FramerConfig { message_size_max }),
            Parser::new(spec, parse::FIELDS_MAX_DEFAULT),
        )
    }

    /// Frames and parses the message at the front of `buf`.
    #[inline]
    pub fn decode<'a>(&'a mut self, buf: &'a [u8]) -> Decoded<'a> {
        match self.framer.frame(buf) {
            Frame::Message(f) => match self.parser.parse(&buf[..f.len]) {
                Ok(msg) => Decoded::Message(msg, f.len),
                Err(error) => Decoded::Unparseable { skip: f.len, error },
            },
            Frame::NeedMore => Decoded::NeedMore,
            Frame::Garbled { skip, reason } => Decoded::Garbled { skip, reason },
        }
    }
}
