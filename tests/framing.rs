//! Framing over a byte stream, as a session's receive loop sees it: however
//! the stream is cut into reads, the same messages come out in the same
//! order; garbled messages are dropped with the right reason and the good
//! ones around them survive, following the QuickFIX recovery rules that
//! `src/codec/frame.rs` documents.

mod common;
use common::Rng;

use fixrail::codec::tags::*;
use fixrail::codec::testing::{fix, show};
use fixrail::codec::{
    Decoded, Decoder, Encoder, EncoderConfig, Garbled, Header, ParseError, UtcTimestamp,
};

/// What the receive loop saw, with the bytes it consumed for it.
#[derive(Clone, PartialEq, Eq)]
enum Event {
    Message(Vec<u8>),
    Garbled(Garbled, Vec<u8>),
    Unparseable(ParseError, Vec<u8>),
}

impl std::fmt::Debug for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Message(b) => write!(f, "Message({})", show(b)),
            Event::Garbled(r, b) => write!(f, "Garbled({r:?}, {})", show(b)),
            Event::Unparseable(e, b) => write!(f, "Unparseable({e:?}, {})", show(b)),
        }
    }
}

impl Event {
    fn bytes(&self) -> &[u8] {
        match self {
            Event::Message(b) | Event::Garbled(_, b) | Event::Unparseable(_, b) => b,
        }
    }
}

/// A session's receive loop: appends each read to a buffer and drains it
/// by the decoder's `len` / `skip`.
struct Receiver {
    decoder: Decoder,
    buf: Vec<u8>,
    events: Vec<Event>,
}

impl Receiver {
    fn new() -> Receiver {
        Receiver {
            decoder: Decoder::default(),
            buf: Vec::new(),
            events: Vec::new(),
        }
    }

    fn read(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
        loop {
            let (event, n) = match self.decoder.decode(&self.buf) {
                Decoded::Message(msg, len) => {
                    assert_eq!(msg.as_bytes(), &self.buf[..len]);
                    (Event::Message(self.buf[..len].to_vec()), len)
                }
                Decoded::NeedMore => break,
                Decoded::Garbled { skip, reason } => {
                    (Event::Garbled(reason, self.buf[..skip].to_vec()), skip)
                }
                Decoded::Unparseable { skip, error } => {
                    (Event::Unparseable(error, self.buf[..skip].to_vec()), skip)
                }
            };
            assert!(n >= 1 && n <= self.buf.len());
            self.events.push(event);
            self.buf.drain(..n);
        }
    }

    /// The events, after checking that every byte of the stream was accounted for.
    fn finish(self, stream: &[u8]) -> Vec<Event> {
        let consumed: Vec<u8> = self
            .events
            .iter()
            .flat_map(|e| e.bytes().iter().copied())
            .chain(self.buf.iter().copied())
            .collect();
        assert_eq!(show(&consumed), show(stream), "bytes lost or duplicated");
        assert!(self.buf.is_empty(), "left over: {}", show(&self.buf));
        self.events
    }
}

/// Feeds `stream` cut at `cuts` (ascending offsets) and returns the events.
fn receive(stream: &[u8], cuts: &[usize]) -> Vec<Event> {
    let mut rx = Receiver::new();
    let mut from = 0;
    for &cut in cuts.iter().chain([stream.len()].iter()) {
        rx.read(&stream[from..cut]);
        from = cut;
    }
    rx.finish(stream)
}

/// Events with each run of skipped garbage folded into the event before it.
/// How the framer skips garbage (one skip, or one per read) depends on where
/// reads end; which messages survive must not.
fn normalize(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for e in events {
        match (&e, out.last_mut()) {
            (Event::Garbled(Garbled::NoBeginString, bytes), Some(Event::Garbled(_, prev)))
            | (Event::Garbled(Garbled::NoBeginString, bytes), Some(Event::Unparseable(_, prev))) => {
                prev.extend_from_slice(bytes)
            }
            _ => out.push(e),
        }
    }
    out
}

fn t0() -> UtcTimestamp {
    UtcTimestamp::from_parts(2026, 11, 22, 10, 0, 0, 123_000_000).unwrap()
}

/// RawData holding SOH, `=`, and a whole fake message with its own
/// `8=FIX`, `9=` and `10=`: only RawDataLength says where it ends.
const RAW: &[u8] = b"x\x018=FIX.4.4\x019=5\x0135=0\x0110=163\x01a=b\x01";

/// A News message carrying [`RAW`].
fn news_with_raw_data() -> Vec<u8> {
    let mut enc = Encoder::new(EncoderConfig::default()).unwrap();
    let mut w = enc.start(&Header::new(b"B", 7, b"VENUE", b"CLIENT", t0()));
    w.str(148, b"headline")
        .uint(33, 1)
        .str(TEXT, b"see raw data")
        .data(RAW_DATA_LENGTH, RAW_DATA, RAW);
    w.finish().unwrap().to_vec()
}

/// Eight different well-formed messages.
fn good_messages() -> Vec<Vec<u8>> {
    vec![
        fix("8=FIX.4.4|35=A|34=1|49=CLIENT|52=20261122-10:00:00.000|56=VENUE|98=0|108=30|141=Y|553=user|554=p=w|"),
        fix("8=FIX.4.4|35=A|34=1|49=VENUE|52=20261122-10:00:00.010|56=CLIENT|98=0|108=30|141=Y|"),
        fix("8=FIX.4.4|35=1|34=2|49=VENUE|52=20261122-10:00:30.000|56=CLIENT|112=TEST-1|"),
        fix("8=FIX.4.4|35=0|34=2|49=CLIENT|52=20261122-10:00:30.002|56=VENUE|112=TEST-1|"),
        fix("8=FIX.4.4|35=D|34=3|49=CLIENT|52=20261122-10:00:31.000|56=VENUE|1=ACC-1|11=ORD-1|21=1|38=1000000|40=2|44=1.08345|54=1|55=EUR/USD|59=0|60=20261122-10:00:31.000|"),
        fix("8=FIX.4.4|35=8|34=3|49=VENUE|52=20261122-10:00:31.004|56=CLIENT|6=1.08345|11=ORD-1|14=1000000|17=E-1|31=1.08345|32=1000000|37=O-1|38=1000000|39=2|54=1|55=EUR/USD|150=F|151=0|"),
        fix("8=FIX.4.4|35=W|34=4|49=VENUE|52=20261122-10:00:31.005|56=CLIENT|55=EUR/USD|262=MD-1|268=3|269=0|270=1.08340|271=5000000|269=1|270=1.08350|271=3000000|269=2|270=1.08345|271=1000000|"),
        news_with_raw_data(),
        fix("8=FIX.4.4|35=5|34=5|49=CLIENT|52=20261122-10:01:00.000|56=VENUE|58=bye|"),
    ]
}

fn concat(messages: &[Vec<u8>]) -> Vec<u8> {
    messages.concat()
}

fn as_messages(messages: &[Vec<u8>]) -> Vec<Event> {
    messages.iter().cloned().map(Event::Message).collect()
}

/// The good stream read in one piece yields each message, whole and in order.
#[test]
fn a_stream_read_at_once_yields_every_message_in_order() {
    let messages = good_messages();
    let stream = concat(&messages);
    assert_eq!(receive(&stream, &[]), as_messages(&messages));

    // The RawData message really carries its fake message inside the data.
    let news = news_with_raw_data();
    let mut decoder = Decoder::default();
    match decoder.decode(&news) {
        Decoded::Message(msg, _) => {
            assert_eq!(msg.get(RAW_DATA).unwrap().value(), RAW);
            assert_eq!(
                msg.get(RAW_DATA_LENGTH).unwrap().as_u64(),
                Ok(RAW.len() as u64)
            );
            assert_eq!(msg.get(TEXT).unwrap().value(), b"see raw data");
        }
        other => panic!("{other:?}"),
    }
}

/// Cutting the good stream into two reads at every possible offset changes nothing.
#[test]
fn every_two_way_split_yields_the_same_messages() {
    let messages = good_messages();
    let stream = concat(&messages);
    let expected = as_messages(&messages);
    for cut in 0..=stream.len() {
        assert_eq!(receive(&stream, &[cut]), expected, "cut at {cut}");
    }
}

/// Reading the good stream one byte at a time changes nothing.
#[test]
fn byte_by_byte_yields_the_same_messages() {
    let messages = good_messages();
    let stream = concat(&messages);
    let cuts: Vec<usize> = (1..stream.len()).collect();
    assert_eq!(receive(&stream, &cuts), as_messages(&messages));
}

/// Cutting the good stream into three reads at many random offset pairs changes nothing.
#[test]
fn random_three_way_splits_yield_the_same_messages() {
    let messages = good_messages();
    let stream = concat(&messages);
    let expected = as_messages(&messages);
    let mut rng = Rng(0x00f1_2a11_5eed);
    for _ in 0..2000 {
        let mut cuts = [rng.below(stream.len() + 1), rng.below(stream.len() + 1)];
        cuts.sort_unstable();
        assert_eq!(receive(&stream, &cuts), expected, "cuts at {cuts:?}");
    }
}

// ---------------------------------------------------------------------------
// Garbled input
// ---------------------------------------------------------------------------

fn heartbeat(seq: u32) -> Vec<u8> {
    fix(&format!(
        "8=FIX.4.4|35=0|34={seq}|49=VENUE|52=20261122-10:00:00.000|56=CLIENT|"
    ))
}

/// A message whose CheckSum is off by one.
fn with_bad_checksum(mut m: Vec<u8>) -> Vec<u8> {
    let n = m.len();
    let sum: u32 = std::str::from_utf8(&m[n - 4..n - 1])
        .unwrap()
        .parse()
        .unwrap();
    m[n - 4..n - 1].copy_from_slice(format!("{:03}", (sum + 1) % 256).as_bytes());
    m
}

/// `text` completed by `fix`, then its BodyLength changed by `delta` and its
/// CheckSum recomputed, so only the length is wrong.
fn with_body_length_off_by(text: &str, delta: i64) -> Vec<u8> {
    let right = fix(text);
    let shown = show(&right);
    let len: i64 = shown
        .split('|')
        .find_map(|f| f.strip_prefix("9="))
        .unwrap()
        .parse()
        .unwrap();
    let body_and_header = shown[..shown.find("|10=").unwrap() + 1].replacen(
        &format!("|9={len}|"),
        &format!("|9={}|", len + delta),
        1,
    );
    fix(&body_and_header)
}

/// Garbage between messages is dropped up to the next `<SOH>8=`, and each
/// bad message is reported with its own reason while the good ones survive.
#[test]
fn bad_messages_are_reported_and_the_good_ones_recovered() {
    let good: Vec<Vec<u8>> = (1..=8).map(heartbeat).collect();
    let garbage = b"garbage=1\x01more garbage, 10=000\x01".to_vec();
    let bad_checksum = with_bad_checksum(heartbeat(90));
    let checksum_format = b"8=FIX.4.4\x019=5\x0135=0\x0110=12\x01".to_vec();
    let short_length = with_body_length_off_by(
        "8=FIX.4.4|35=D|34=91|49=CLIENT|52=20261122-10:00:00.000|56=VENUE|11=ID|21=3|40=1|54=1|55=INTC|",
        -10,
    );
    let msg_type_not_third =
        fix("8=FIX.4.4|34=92|35=0|49=VENUE|52=20261122-10:00:00.000|56=CLIENT|");
    let bad_begin_string = fix("8=FOO.4.4|35=0|34=93|49=VENUE|56=CLIENT|");
    let bad_body_length = b"8=FIX.4.4\x019=x5\x0135=0\x0110=000\x01".to_vec();
    let huge_body_length = b"8=FIX.4.4\x019=999999\x0135=0\x0110=000\x01".to_vec();
    let bad_tag = fix("8=FIX.4.4|35=0|34=94|49=VENUE|notatag|56=CLIENT|");

    let parts: Vec<(Vec<u8>, Option<Event>)> = vec![
        (good[0].clone(), None),
        (
            garbage.clone(),
            Some(Event::Garbled(Garbled::NoBeginString, garbage.clone())),
        ),
        (good[1].clone(), None),
        (
            bad_checksum.clone(),
            Some(Event::Garbled(Garbled::CheckSumMismatch, bad_checksum)),
        ),
        (good[2].clone(), None),
        (
            short_length.clone(),
            Some(Event::Garbled(Garbled::BodyLengthMismatch, short_length)),
        ),
        (good[3].clone(), None),
        (
            msg_type_not_third.clone(),
            Some(Event::Garbled(Garbled::MsgTypeNotThird, msg_type_not_third)),
        ),
        (
            checksum_format.clone(),
            Some(Event::Garbled(Garbled::BadCheckSumFormat, checksum_format)),
        ),
        (good[4].clone(), None),
        (
            bad_begin_string.clone(),
            Some(Event::Garbled(Garbled::BadBeginString, bad_begin_string)),
        ),
        (
            bad_body_length.clone(),
            Some(Event::Garbled(Garbled::BadBodyLength, bad_body_length)),
        ),
        (good[5].clone(), None),
        (
            huge_body_length.clone(),
            Some(Event::Garbled(
                Garbled::BodyLengthTooLarge,
                huge_body_length,
            )),
        ),
        (good[6].clone(), None),
        (
            bad_tag.clone(),
            Some(Event::Unparseable(ParseError::BadTag { at: 35 }, bad_tag)),
        ),
        (good[7].clone(), None),
    ];
    let stream: Vec<u8> = parts.iter().flat_map(|(b, _)| b.clone()).collect();
    let expected: Vec<Event> = parts
        .into_iter()
        .map(|(bytes, bad)| bad.unwrap_or(Event::Message(bytes)))
        .collect();

    let events = receive(&stream, &[]);
    assert_eq!(events, expected);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Message(_)))
            .count(),
        8
    );

    // However the stream is cut into reads, the same messages survive and
    // the same bad messages are reported.
    let expected = normalize(expected);
    for cut in 0..=stream.len() {
        assert_eq!(
            normalize(receive(&stream, &[cut])),
            expected,
            "cut at {cut}"
        );
    }
    let cuts: Vec<usize> = (1..stream.len()).collect();
    assert_eq!(normalize(receive(&stream, &cuts)), expected, "byte by byte");
}

/// QuickFIX rule: a too-long BodyLength makes the frame run to the next
/// CheckSum field after the declared end, so it swallows the message after
/// it; the message after that is recovered.
#[test]
fn a_too_long_body_length_swallows_the_next_message() {
    let long = with_body_length_off_by(
        "8=FIX.4.4|35=D|34=4|49=CLIENT|52=20261122-10:00:00.000|56=VENUE|11=ID|21=3|40=1|54=1|55=INTC|",
        12,
    );
    let (first, swallowed, after) = (heartbeat(3), heartbeat(5), heartbeat(6));
    let stream = concat(&[
        first.clone(),
        long.clone(),
        swallowed.clone(),
        after.clone(),
    ]);
    let expected = vec![
        Event::Message(first),
        Event::Garbled(Garbled::BodyLengthMismatch, [long, swallowed].concat()),
        Event::Message(after),
    ];
    assert_eq!(receive(&stream, &[]), expected);
    for cut in 0..=stream.len() {
        assert_eq!(receive(&stream, &[cut]), expected, "cut at {cut}");
    }
    let cuts: Vec<usize> = (1..stream.len()).collect();
    assert_eq!(receive(&stream, &cuts), expected, "byte by byte");
}

/// A too-long BodyLength with nothing after it waits for more bytes rather
/// than guessing, and is resolved once the next message's CheckSum arrives.
#[test]
fn a_too_long_body_length_waits_for_the_next_checksum_field() {
    let long = with_body_length_off_by(
        "8=FIX.4.4|35=0|34=4|49=CLIENT|52=20261122-10:00:00.000|56=VENUE|",
        3,
    );
    let mut rx = Receiver::new();
    rx.read(&long);
    assert!(rx.events.is_empty(), "{:?}", rx.events);
    assert_eq!(rx.buf, long);
    let next = heartbeat(5);
    rx.read(&next);
    assert_eq!(
        rx.events,
        vec![Event::Garbled(
            Garbled::BodyLengthMismatch,
            [long, next].concat()
        )]
    );
}

/// A too-short BodyLength loses only its own message: the frame runs to its
/// own CheckSum field.
#[test]
fn a_too_short_body_length_loses_only_its_own_message() {
    for delta in [-1, -5, -20] {
        let short = with_body_length_off_by(
            "8=FIX.4.4|35=D|34=4|49=CLIENT|52=20261122-10:00:00.000|56=VENUE|11=ID|21=3|40=1|54=1|55=INTC|",
            delta,
        );
        let (before, after) = (heartbeat(3), heartbeat(5));
        let stream = concat(&[before.clone(), short.clone(), after.clone()]);
        let expected = vec![
            Event::Message(before),
            Event::Garbled(Garbled::BodyLengthMismatch, short),
            Event::Message(after),
        ];
        assert_eq!(receive(&stream, &[]), expected, "delta {delta}");
        let cuts: Vec<usize> = (1..stream.len()).collect();
        assert_eq!(
            receive(&stream, &cuts),
            expected,
            "delta {delta}, byte by byte"
        );
    }
}

/// BUG REPRO (src/codec/frame.rs): which messages survive garbage must not
/// depend on where reads end. Garbage not ending in SOH, then a message:
/// read at once, resync skips to the next `<SOH>8=` and the message is lost;
/// read with a boundary just before its `8=`, the message is framed, since a
/// buffer may start with `8=`. Likewise a whole fake message after one byte
/// of garbage is delivered or not depending on the read boundary.
#[test]
fn recovery_after_garbage_does_not_depend_on_read_boundaries() {
    let (first, second) = (heartbeat(1), heartbeat(2));
    let stream = concat(&[b"junk".to_vec(), first, second]);
    let at_once = normalize(receive(&stream, &[]));
    let split = normalize(receive(&stream, &[4]));
    assert_eq!(at_once, split, "message after SOH-less garbage");

    let fake = b"x8=FIX.4.4\x019=5\x0135=0\x0110=163\x01".to_vec();
    let stream = concat(&[fake, heartbeat(3)]);
    let at_once = normalize(receive(&stream, &[]));
    let split = normalize(receive(&stream, &[1]));
    assert_eq!(at_once, split, "message inside garbage");
}
