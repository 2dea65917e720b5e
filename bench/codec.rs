//! Codec micro-benchmarks: `cargo bench --bench codec`.
//!
//! Benchmark IDs (stable; CI and reports refer to them):
//! - `parse/fixrail/nos`: frame (BodyLength and CheckSum checked) and index
//!   every field of a 220-byte NewOrderSingle, as [`Decoder::decode`] does
//!   in the receive loop.
//! - `parse/fixrail/exec_report`: the same for a 279-byte ExecutionReport.
//! - `parse/naive/nos`: a string-based baseline doing the same checks the
//!   way straightforward code does: `&str`, split on SOH and `=`, one
//!   `HashMap<u32, String>` per message, CheckSum and BodyLength verified.
//! - `encode/fixrail/nos`: encode that NewOrderSingle (byte-identical to the
//!   parsed one; checked at start-up).
//! - `frame/fixrail/stream`: framing alone over ~1 MB of mixed traffic
//!   (orders, execution reports, heartbeats, market data snapshots with a
//!   repeating group), reported in bytes per second.
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use fixrail::codec::tags::*;
use fixrail::codec::testing::fix;
use fixrail::codec::{
    Decoded, Decoder, Encoder, EncoderConfig, Fixed, Frame, Framer, Header, UtcTimestamp,
};
use std::collections::HashMap;

/// A NewOrderSingle as a liquidity-taker sends it (millisecond timestamps, so
/// the encoder reproduces it byte for byte).
const NOS: &str = "8=FIX.4.4|35=D|34=1092|49=LPTAKER01|50=DESK7|52=20261122-10:00:00.123|56=FIXRAILVENUE|57=EFX|11=ORD-20261122-000001092|1=ACCT-LP-0042|55=EUR/USD|54=1|60=20261122-10:00:00.123|38=1000000|40=2|44=1.08345|59=1|";

/// A fill as a venue sends it back.
const EXEC_REPORT: &str = "8=FIX.4.4|35=8|34=2211|49=FIXRAILVENUE|52=20261122-10:00:00.124|56=LPTAKER01|37=VEN-7781920031|11=ORD-20261122-000001092|17=EX-7781920031-2|150=F|39=2|55=EUR/USD|54=1|38=1000000|44=1.08345|32=1000000|31=1.08343|151=0|14=1000000|6=1.08343|60=20261122-10:00:00.123987|";

const HEARTBEAT: &str =
    "8=FIX.4.4|35=0|34=2212|49=FIXRAILVENUE|52=20261122-10:00:01.000|56=LPTAKER01|";

/// A MarketDataSnapshotFullRefresh with a 10-entry NoMDEntries group.
fn md_snapshot() -> Vec<u8> {
    let mut text = String::from(
        "8=FIX.4.4|35=W|34=2213|49=FIXRAILVENUE|52=20261122-10:00:01.001|56=LPTAKER01|262=MDR-17|55=EUR/USD|268=10|",
    );
    for level in 0..5 {
        text += &format!(
            "269=0|270=1.0834{}|271={}000000|290={}|",
            5 - level,
            level + 1,
            level + 1
        );
        text += &format!(
            "269=1|270=1.0835{}|271={}000000|290={}|",
            level,
            level + 1,
            level + 1
        );
    }
    fix(&text)
}

fn nos_timestamp() -> UtcTimestamp {
    UtcTimestamp::from_parts(2026, 11, 22, 10, 0, 0, 123_000_000).unwrap()
}

/// Encodes [`NOS`] with the field writers (values behind `black_box`).
fn encode_nos(enc: &mut Encoder, t: UtcTimestamp) -> &[u8] {
    let extra: [(u32, &[u8]); 2] = [(SENDER_SUB_ID, b"DESK7"), (TARGET_SUB_ID, b"EFX")];
    let header = Header {
        extra: &extra,
        ..Header::new(b"D", 1092, b"LPTAKER01", b"FIXRAILVENUE", t)
    };
    let mut w = enc.start(black_box(&header));
    w.str(CL_ORD_ID, black_box(b"ORD-20261122-000001092"))
        .str(ACCOUNT, black_box(b"ACCT-LP-0042"))
        .str(SYMBOL, black_box(b"EUR/USD"))
        .char(SIDE, black_box(b'1'))
        .timestamp(TRANSACT_TIME, t)
        .uint(ORDER_QTY, black_box(1_000_000))
        .char(ORD_TYPE, black_box(b'2'))
        .fixed(PRICE, black_box(Fixed::new(108_345, 5)))
        .char(TIME_IN_FORCE, black_box(b'1'));
    w.finish().expect("encodes")
}

/// What naive code does: text, split, a fresh map per message.
fn naive_parse(buf: &[u8]) -> Option<HashMap<u32, String>> {
    let text = std::str::from_utf8(buf).ok()?;
    // CheckSum: the byte sum up to and including the SOH before "10=".
    let trailer = text.rfind("\u{1}10=")? + 1;
    let sum: u32 = buf[..trailer].iter().map(|&b| b as u32).sum();
    let mut fields = HashMap::new();
    for field in text.split('\u{1}') {
        if field.is_empty() {
            continue;
        }
        let (tag, value) = field.split_once('=')?;
        fields.insert(tag.parse::<u32>().ok()?, value.to_string());
    }
    let declared_sum: u32 = fields.get(&CHECK_SUM)?.parse().ok()?;
    if declared_sum != sum % 256 {
        return None;
    }
    // BodyLength: from after "9=...<SOH>" up to the CheckSum field.
    let body_length: usize = fields.get(&BODY_LENGTH)?.parse().ok()?;
    let bl_field = text.find("\u{1}9=")? + 1;
    let body_start = bl_field + text[bl_field..].find('\u{1}')? + 1;
    if trailer - body_start != body_length {
        return None;
    }
    Some(fields)
}

fn decode_one(decoder: &mut Decoder, buf: &[u8]) -> (usize, usize, u8) {
    match decoder.decode(buf) {
        Decoded::Message(m, len) => (len, m.fields().len(), m.msg_type()[0]),
        other => panic!("bench message did not decode: {other:?}"),
    }
}

fn parse(c: &mut Criterion) {
    let nos = fix(NOS);
    let er = fix(EXEC_REPORT);
    eprintln!(
        "message sizes: nos {} bytes, exec_report {} bytes",
        nos.len(),
        er.len()
    );
    let mut decoder = Decoder::default();
    assert_eq!(decode_one(&mut decoder, &nos).1, 19);
    let naive = naive_parse(&nos).expect("naive parses");
    assert_eq!(naive.len(), 19);

    let mut g = c.benchmark_group("parse");
    g.bench_function("fixrail/nos", |b| {
        b.iter(|| decode_one(&mut decoder, black_box(&nos)))
    });
    g.bench_function("fixrail/exec_report", |b| {
        b.iter(|| decode_one(&mut decoder, black_box(&er)))
    });
    g.bench_function("naive/nos", |b| {
        b.iter(|| naive_parse(black_box(&nos)).map(|m| m.len()))
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut enc = Encoder::new(EncoderConfig::default()).unwrap();
    let t = nos_timestamp();
    assert_eq!(
        encode_nos(&mut enc, t),
        &fix(NOS)[..],
        "the encoder must reproduce the parse benchmark's message"
    );
    let mut g = c.benchmark_group("encode");
    g.bench_function("fixrail/nos", |b| {
        b.iter(|| {
            // Length and last CheckSum digit, so nothing is optimised away.
            let msg = encode_nos(&mut enc, black_box(t));
            (msg.len(), msg[msg.len() - 2])
        })
    });
    g.finish();
}

fn frame(c: &mut Criterion) {
    let nos = fix(NOS);
    let er = fix(EXEC_REPORT);
    let hb = fix(HEARTBEAT);
    let md = md_snapshot();
    let mix: [&[u8]; 6] = [&md, &nos, &er, &md, &hb, &er];
    let mut stream = Vec::with_capacity(1 << 20);
    let mut count = 0usize;
    while stream.len() < 1 << 20 {
        stream.extend_from_slice(mix[count % mix.len()]);
        count += 1;
    }
    eprintln!(
        "stream: {} bytes, {count} messages (md snapshot {} bytes)",
        stream.len(),
        md.len()
    );
    let mut framer = Framer::default();
    let mut frame_all = |buf: &[u8]| {
        let mut pos = 0;
        let mut n = 0usize;
        while pos < buf.len() {
            match framer.frame(&buf[pos..]) {
                Frame::Message(f) => pos += f.len,
                other => panic!("stream did not frame at {pos}: {other:?}"),
            }
            n += 1;
        }
        n
    };
    assert_eq!(frame_all(&stream), count);

    let mut g = c.benchmark_group("frame");
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("fixrail/stream", |b| {
        b.iter(|| frame_all(black_box(&stream)))
    });
    g.finish();
}

criterion_group!(benches, parse, encode, frame);
criterion_main!(benches);
