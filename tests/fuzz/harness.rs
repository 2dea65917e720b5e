//! The codec fuzz harness, shared by the libFuzzer target
//! (`tests/fuzz/fuzz_targets/codec.rs`) and the stable replay test
//! (`tests/fuzz_replay.rs`), so both check exactly the same invariants.
//!
//! Input layout: the first byte picks the read size (0 = everything in one
//! read, n = reads of n bytes); the rest is the byte stream. The stream runs
//! through a receive loop, and for every step the harness checks:
//! - progress: each step drops or frames at least one byte, within the buffer;
//! - a framed message re-frames identically on its own, its field index is
//!   well formed (contiguous fields, values ending at SOH, 8/9/35 first);
//! - every typed getter on every field returns without panicking, and the
//!   getters agree with each other and with the value writers;
//! - a parsed message's fields, re-encoded through `MessageWriter::raw_fields`
//!   and through per-field writers, give the same bytes and decode back to
//!   the same fields;
//! - validation against the FIX 4.4 dictionary answers every message, the same
//!   way twice, and a rejection names a tag the message holds (where it should).

use fixrail::codec::{
    Decoded, Decoder, Encoder, EncoderConfig, FieldRef, Fixed, Frame, Framer, FramerConfig, Header,
    Message, ParseSpec, Parser, StaticGroup, TimePrecision, UtcTimestamp,
};
use fixrail::dictionary::{Dictionary, SessionRejectReason, ValidationConfig, Validator};
use std::cell::RefCell;

/// The framer's size limit under fuzzing: small, so inputs reach it.
const MESSAGE_SIZE_MAX: usize = 1024;
/// The parser's field capacity under fuzzing: small, so inputs reach it.
const FIELDS_MAX: usize = 64;
/// `8=` + 16-byte BeginString + SOH + `9=` + 9 digits + SOH, + `10=nnn<SOH>`:
/// the most a NeedMore buffer may hold beyond `MESSAGE_SIZE_MAX`.
const FRAME_OVERHEAD_MAX: usize = 2 + 16 + 1 + 2 + 9 + 1 + 7;

const DATA_PAIRS: &[(u32, u32)] = fixrail::codec::parse::FIX44_DATA_PAIRS;

/// Groups walked on every message, nested and flat.
static GROUPS: [StaticGroup; 3] = [
    StaticGroup {
        count_tag: 268,
        delimiter: 269,
        members: &[269, 270, 271, 453, 448, 447, 452],
    },
    StaticGroup {
        count_tag: 453,
        delimiter: 448,
        members: &[448, 447, 452],
    },
    StaticGroup {
        count_tag: 146,
        delimiter: 55,
        members: &[55, 48, 22],
    },
];

struct State {
    decoder: Decoder,
    framer: Framer,
    encoder: Encoder,
    redecoder: Decoder,
    raw_copy: Vec<u8>,
    per_field_copy: Vec<u8>,
    buf: Vec<u8>,
    dict: Dictionary,
    validator: Validator,
}

impl State {
    fn new() -> State {
        let framer = Framer::new(FramerConfig {
            message_size_max: MESSAGE_SIZE_MAX,
        });
        // Re-encoding adds a header, so the second pass gets room for it.
        let big = MESSAGE_SIZE_MAX * 2;
        let dict = Dictionary::fix44();
        State {
            decoder: Decoder::new(framer, Parser::new(ParseSpec::fix44(), FIELDS_MAX)),
            framer,
            encoder: Encoder::new(EncoderConfig {
                message_size_max: big,
                timestamp_precision: TimePrecision::Millis,
                ..EncoderConfig::default()
            })
            .unwrap(),
            redecoder: Decoder::new(
                Framer::new(FramerConfig {
                    message_size_max: big,
                }),
                Parser::new(ParseSpec::fix44(), FIELDS_MAX + 8),
            ),
            raw_copy: Vec::new(),
            per_field_copy: Vec::new(),
            buf: Vec::new(),
            validator: Validator::new(&dict, ValidationConfig::default()),
            dict,
        }
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::new());
}

/// Runs one fuzz input; panics if an invariant breaks.
pub fn fuzz_codec(data: &[u8]) {
    let Some((&first, stream)) = data.split_first() else {
        return;
    };
    let read_size = if first == 0 {
        stream.len().max(1)
    } else {
        first as usize
    };
    STATE.with(|state| {
        let state = &mut *state.borrow_mut();
        state.buf.clear();
        for read in stream.chunks(read_size) {
            state.buf.extend_from_slice(read);
            drain(state);
        }
        // Whatever is left is waiting for more bytes, never more than the
        // limit allows.
        assert!(
            state.buf.len() <= MESSAGE_SIZE_MAX + FRAME_OVERHEAD_MAX,
            "waiting on {} bytes",
            state.buf.len()
        );
    });
}

/// Decodes `state.buf` until the decoder asks for more bytes.
fn drain(state: &mut State) {
    loop {
        let avail = state.buf.len();
        let consumed = match state.decoder.decode(&state.buf) {
            Decoded::NeedMore => {
                assert!(
                    avail <= MESSAGE_SIZE_MAX + FRAME_OVERHEAD_MAX,
                    "NeedMore on {avail} bytes"
                );
                return;
            }
            Decoded::Garbled { skip, reason } => {
                assert!(
                    (1..=avail).contains(&skip),
                    "Garbled skip {skip} of {avail} ({reason:?})"
                );
                skip
            }
            Decoded::Unparseable { skip, error } => {
                assert!(
                    (1..=avail).contains(&skip),
                    "Unparseable skip {skip} of {avail} ({error:?})"
                );
                // It was framed: the framer agrees on its length.
                match state.framer.frame(&state.buf) {
                    Frame::Message(f) => assert_eq!(f.len, skip),
                    other => panic!("Unparseable, but the framer says {other:?}"),
                }
                skip
            }
            Decoded::Message(msg, len) => {
                assert!((1..=avail).contains(&len), "Message len {len} of {avail}");
                assert_eq!(msg.as_bytes(), &state.buf[..len]);
                let frame = match state.framer.frame(&state.buf) {
                    Frame::Message(f) => f,
                    other => panic!("decoded a message the framer calls {other:?}"),
                };
                assert_eq!(frame.len, len);
                // The message alone frames exactly as it did in the stream.
                assert_eq!(
                    state.framer.frame(&state.buf[..len]),
                    Frame::Message(frame),
                    "re-framing alone"
                );
                check_index(&msg, frame.trailer_start);
                check_getters(&msg);
                check_validation(&msg, &state.dict, &mut state.validator);
                check_reencode(
                    &msg,
                    frame.trailer_start,
                    &mut state.encoder,
                    &mut state.redecoder,
                    &mut state.raw_copy,
                    &mut state.per_field_copy,
                );
                len
            }
        };
        state.buf.drain(..consumed);
    }
}

/// Validation against the FIX 4.4 dictionary gives a verdict for any message,
/// the same one twice, and a rejection names a tag the message really holds
/// (except "required tag missing" and "invalid MsgType", which name none or
/// an absent one).
fn check_validation(msg: &Message<'_>, dict: &Dictionary, validator: &mut Validator) {
    let first = validator.validate(dict, msg);
    assert_eq!(
        validator.validate(dict, msg),
        first,
        "validation is deterministic"
    );
    let Err(rejection) = first else { return };
    match rejection.reason {
        SessionRejectReason::InvalidMsgType => {
            assert!(
                dict.message(msg.msg_type()).is_none(),
                "InvalidMsgType for a known type"
            );
            assert!(rejection.ref_tag.is_none());
        }
        SessionRejectReason::RequiredTagMissing => {
            let tag = rejection.ref_tag.expect("names the missing tag").tag();
            assert!(dict.field(tag).is_some(), "required tag {tag} is defined");
        }
        other => {
            let text = rejection
                .ref_tag
                .unwrap_or_else(|| panic!("{other:?} names a tag"));
            assert!(
                msg.fields().iter().any(|f| f.tag_text() == text.as_bytes()),
                "{other:?} names tag {:?}, which the message does not hold",
                text
            );
        }
    }
}

/// The field index tiles the message exactly: fields are contiguous, each
/// `tag=value<SOH>`, starting with 8, 9, 35.
fn check_index(msg: &Message<'_>, trailer_start: usize) {
    let bytes = msg.as_bytes();
    let entries = msg.fields().entries();
    assert!(entries.len() >= 4, "8, 9, 35 and 10 at least");
    assert_eq!([entries[0].tag, entries[1].tag, entries[2].tag], [8, 9, 35]);
    let mut expect_start = 0usize;
    for f in entries {
        let (start, vs, ve) = (
            f.start as usize,
            f.value_start as usize,
            f.value_end as usize,
        );
        assert_eq!(start, expect_start, "fields are contiguous");
        assert!(start < vs && vs <= ve && ve < bytes.len());
        assert_eq!(bytes[vs - 1], b'=');
        assert_eq!(bytes[ve], 0x01);
        expect_start = ve + 1;
    }
    assert_eq!(expect_start, bytes.len(), "the index covers the message");
    let (h, b, t) = (msg.header().len(), msg.body().len(), msg.trailer().len());
    assert_eq!(h + b + t, entries.len());
    // A message whose last field starts at the CheckSum ends with tag 10.
    let last = entries.last().unwrap();
    if last.start as usize == trailer_start {
        assert_eq!(last.tag, 10);
    }
    let _ = msg.out_of_order();
    let _ = msg.seq_num();
    assert_eq!(msg.begin_string(), msg.fields().at(0).value());
    assert_eq!(msg.msg_type(), msg.fields().at(2).value());
}

/// Every typed getter on every field returns, and they agree.
fn check_getters(msg: &Message<'_>) {
    for f in msg.fields().iter() {
        check_field(&f);
    }
    let body = msg.body();
    for layout in &GROUPS {
        if let Ok(group) = body.group(layout) {
            let mut walked = 0;
            for instance in group {
                assert_eq!(instance.at(0).tag(), layout.delimiter);
                walked += instance.len();
                assert!(walked <= body.len());
                for nested in &GROUPS {
                    if let Ok(inner) = instance.group(nested) {
                        assert!(inner.count() <= instance.len());
                    }
                }
            }
        }
    }
}

fn check_field(f: &FieldRef<'_>) {
    let v = f.value();
    let text = f.as_str();
    assert_eq!(text.is_ok(), std::str::from_utf8(v).is_ok());
    let int = f.as_i64();
    let uint = f.as_u64();
    let fixed = f.as_fixed();
    if let Ok(u) = uint {
        if let Ok(i) = i64::try_from(u) {
            assert_eq!(int, Ok(i), "{v:?}");
        }
    }
    if let Ok(i) = int {
        // A FIX int is also a valid price with no fraction digits.
        assert_eq!(fixed, Ok(Fixed::new(i, 0)), "int {i} as Fixed");
        let (unsigned, digits) = match v.strip_prefix(b"-") {
            Some(rest) => (false, rest),
            None => (true, v),
        };
        if unsigned {
            assert_eq!(uint.ok(), Some(i as u64));
        }
        assert!(digits.iter().all(u8::is_ascii_digit));
    }
    if let Ok(x) = fixed {
        assert!(x.scale <= 18);
        let mut out = [0u8; fixrail::codec::value::FIXED_TEXT_MAX];
        let n = x.write(&mut out);
        assert_eq!(Fixed::parse(&out[..n]), Ok(x), "Fixed {v:?} written back");
        // rust_decimal formats it as Fixed does.
        assert_eq!(
            f.as_decimal().map(|d| d.to_string()),
            Ok(x.to_string()),
            "Fixed {v:?} as Decimal"
        );
    }
    if let Ok(c) = f.as_char() {
        assert_eq!(v, [c]);
    }
    if let Ok(b) = f.as_bool() {
        assert_eq!(v, if b { b"Y" } else { b"N" });
    }
    if let Ok((t, precision)) = f.as_timestamp() {
        // A leap second (:60) reads as the next second, so it cannot be
        // written back as it came; every other timestamp can.
        if &v[15..17] != b"60" {
            let mut out = [0u8; fixrail::codec::value::TIMESTAMP_TEXT_MAX];
            let n = t.write(precision, &mut out);
            assert_eq!(&out[..n], v, "timestamp written back at {precision:?}");
        }
    }
    if let Ok(d) = f.as_date() {
        assert_eq!(v.len(), 8);
        assert!((1..=12).contains(&d.month) && (1..=31).contains(&d.day));
    }
    if let Ok(t) = f.as_time_only() {
        assert!((0..86_401 * 1_000_000_000).contains(&t.nanos_of_day));
    }
}

/// Re-encodes the message's fields after 8/9/35 behind a fresh header, once
/// as raw bytes and once field by field through the typed writers; both
/// must give the same bytes, which decode to the same fields.
fn check_reencode(
    msg: &Message<'_>,
    trailer_start: usize,
    encoder: &mut Encoder,
    redecoder: &mut Decoder,
    raw_copy: &mut Vec<u8>,
    per_field_copy: &mut Vec<u8>,
) {
    let bytes = msg.as_bytes();
    let entries = msg.fields().entries();
    let last = entries.last().unwrap();
    // Only when field boundaries and the frame agree on where the CheckSum
    // is (a RawData length may run over it).
    if last.start as usize != trailer_start || last.tag != 10 {
        return;
    }
    let copied = &entries[3..entries.len() - 1];
    let from = entries[3].start as usize;
    let sending_time = UtcTimestamp::from_parts(2026, 11, 22, 10, 0, 0, 0).unwrap();
    let header = Header::new(msg.msg_type(), 1, b"S", b"T", sending_time);

    let mut w = encoder.start(&header);
    w.raw_fields(&bytes[from..trailer_start]);
    raw_copy.clear();
    raw_copy.extend_from_slice(w.finish().expect("raw re-encode"));

    let mut w = encoder.start(&header);
    let mut i = 0;
    while i < copied.len() {
        let f = msg.fields().at(3 + i);
        let original = &bytes[copied[i].start as usize..copied[i].value_end as usize + 1];
        let canonical_tag = f.tag_text() == f.tag().to_string().as_bytes();
        let v = f.value();
        // A length field directly followed by its data field: `data`.
        if let Some(&(_, data_tag)) = DATA_PAIRS.iter().find(|(l, _)| *l == f.tag()) {
            if i + 1 < copied.len() {
                let d = msg.fields().at(3 + i + 1);
                let canonical_len = v == d.value().len().to_string().as_bytes();
                let canonical_data_tag = d.tag_text() == d.tag().to_string().as_bytes();
                if d.tag() == data_tag && canonical_tag && canonical_len && canonical_data_tag {
                    w.data(f.tag(), data_tag, d.value());
                    i += 2;
                    continue;
                }
            }
        }
        if !canonical_tag || v.contains(&0x01) {
            w.raw_fields(original);
        } else if f.as_i64().is_ok_and(|n| n.to_string().as_bytes() == v) {
            w.int(f.tag(), f.as_i64().unwrap());
        } else if let Some(x) = f.as_fixed().ok().filter(|x| x.to_string().as_bytes() == v) {
            w.fixed(f.tag(), x);
        } else if let Some((t, _)) = f
            .as_timestamp()
            .ok()
            .filter(|&(_, p)| p == TimePrecision::Millis && &v[15..17] != b"60")
        {
            w.timestamp(f.tag(), t);
        } else {
            w.str(f.tag(), v);
        }
        i += 1;
    }
    per_field_copy.clear();
    per_field_copy.extend_from_slice(w.finish().expect("per-field re-encode"));
    assert_eq!(
        show(per_field_copy),
        show(raw_copy),
        "per-field writers and raw_fields disagree"
    );

    let again = match redecoder.decode(raw_copy) {
        Decoded::Message(m, len) => {
            assert_eq!(len, raw_copy.len());
            m
        }
        other => panic!("re-encoded message does not decode: {other:?}"),
    };
    assert_eq!(again.msg_type(), msg.msg_type());
    let got = again.fields();
    // 8, 9, 35, then the new header's 34, 49, 52, 56, then the copied fields, then 10.
    assert_eq!(got.len(), 7 + copied.len() + 1);
    for (k, original) in copied.iter().enumerate() {
        let a = msg.fields().at(3 + k);
        let b = got.at(7 + k);
        assert_eq!(
            (a.tag(), a.tag_text(), a.value()),
            (b.tag(), b.tag_text(), b.value()),
            "field {k} at byte {}",
            original.start
        );
    }
}

fn show(bytes: &[u8]) -> String {
    fixrail::codec::testing::show(bytes)
}
