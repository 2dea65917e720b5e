//! Market-data book micro-benchmarks: `cargo bench --bench book`.
//!
//! Each iteration is what the tick path does with one MarketDataIncrementalRefresh
//! (X) already in the receive buffer: frame and parse it (`Decoder::decode`),
//! decode its 268 group (`MdMessage::decode`, `entries()`), apply every entry
//! to a 10-deep book (`Book::apply`), then `take_changes()` and `top()` (what a
//! top-of-book event is made from). Two messages alternate so sizes really
//! change and the book returns to the same state every second iteration.
//!
//! Benchmark IDs (stable):
//! - `x/price/1`, `x/price/5`, `x/price/10`: price-keyed Changes (the common
//!   aggregated feed) of 1, 5 and 10 levels (5 bids + 5 offers for 10).
//! - `x/id/1`, `x/id/5`: order-by-order, keyed by 278: one message adds 1 or
//!   5 orders to existing levels, the next deletes them.
//! - `apply/price/1`: the book alone (`apply` of one pre-decoded price-keyed
//!   entry, plus `take_changes` and `top`), for the split.
//! - `split/parse/10`: framing and parsing alone of the `x/price/10` message;
//!   `split/decode/10`: that plus `MdMessage::decode` and reading every
//!   entry (no book), so `x/price/10` minus these is the book's share.
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use fixrail::codec::testing::fix;
use fixrail::codec::{Decoded, Decoder};
use fixrail::md::{Book, MdEntry, MdKind, MdMessage, UpdateAction};
use fixrail::strategy::{Price, Qty};

const HDR: &str =
    "8=FIX.4.4|35=X|34=52311|49=FIXRAILVENUE|52=20261122-10:00:01.001|56=LPTAKER01|262=MDR-17|";

/// A book 10 deep a side (bids 1.08341..1.08350, offers 1.08351..1.08360),
/// keyed by price, or by id with 4 orders a level.
fn snapshot(by_id: bool) -> Vec<u8> {
    let per = if by_id { 4 } else { 1 };
    let mut text = format!(
        "8=FIX.4.4|35=W|34=52310|49=FIXRAILVENUE|52=20261122-10:00:01.000|56=LPTAKER01|262=MDR-17|55=EUR/USD|268={}|",
        20 * per
    );
    for level in 0..10 {
        for o in 0..per {
            let id = |s: &str| {
                if by_id {
                    format!("37={s}{level}-{o}|")
                } else {
                    String::new()
                }
            };
            text += &format!(
                "269=0|270=1.083{:02}|271={}000000|{}",
                50 - level,
                o + 1,
                id("B")
            );
            text += &format!(
                "269=1|270=1.083{:02}|271={}000000|{}",
                51 + level,
                o + 1,
                id("S")
            );
        }
    }
    fix(&text)
}

/// Price-keyed Changes of `n` levels; `alt` picks the sizes.
fn price_x(n: usize, alt: bool) -> Vec<u8> {
    let mut text = format!("{HDR}268={n}|");
    for i in 0..n {
        let (kind, px) = if i % 2 == 0 {
            (0, 50 - i / 2)
        } else {
            (1, 51 + i / 2)
        };
        let size = if alt { 2_500_000 + i } else { 1_500_000 + i };
        let sym = if i == 0 { "55=EUR/USD|" } else { "" };
        text += &format!("279=1|269={kind}|{sym}270=1.083{px:02}|271={size}|");
    }
    fix(&text)
}

/// Id-keyed: `n` new orders at the top levels, or (`delete`) their removal.
fn id_x(n: usize, delete: bool) -> Vec<u8> {
    let mut text = format!("{HDR}268={n}|");
    for i in 0..n {
        let (kind, px) = if i % 2 == 0 {
            (0, 50 - i / 2)
        } else {
            (1, 51 + i / 2)
        };
        let sym = if i == 0 { "55=EUR/USD|" } else { "" };
        if delete {
            text += &format!("279=2|269={kind}|{sym}278=ORD-2026-{i:06}|");
        } else {
            text +=
                &format!("279=0|269={kind}|{sym}278=ORD-2026-{i:06}|270=1.083{px:02}|271=700000|");
        }
    }
    fix(&text)
}

fn load(decoder: &mut Decoder, book: &mut Book, bytes: &[u8]) {
    let Decoded::Message(msg, _) = decoder.decode(bytes) else {
        panic!("frames")
    };
    let md = MdMessage::decode(&msg).unwrap();
    if md.kind() == MdKind::Snapshot {
        book.clear();
    }
    for e in md.entries() {
        let e = e.unwrap();
        match md.kind() {
            MdKind::Snapshot => book.apply_snapshot(&e),
            MdKind::Incremental => book.apply(&e),
        }
        .unwrap();
    }
}

/// One tick: bytes → parsed → decoded → applied → changes and top.
#[inline]
fn tick(decoder: &mut Decoder, book: &mut Book, bytes: &[u8]) -> usize {
    let Decoded::Message(msg, _) = decoder.decode(bytes) else {
        return 0;
    };
    let Ok(md) = MdMessage::decode(&msg) else {
        return 0;
    };
    let mut n = 0;
    for e in md.entries() {
        let Ok(e) = e else { break };
        if book.apply(&e).is_err() {
            break;
        }
        n += 1;
    }
    black_box(book.take_changes());
    black_box(book.top());
    n
}

fn bench_x(c: &mut Criterion, name: &str, by_id: bool, msgs: [Vec<u8>; 2], entries: usize) {
    let mut decoder = Decoder::default();
    let mut book = Book::new(10, 20, 1024);
    load(&mut decoder, &mut book, &snapshot(by_id));
    let hash = book.state_hash();
    // Check once that both messages apply whole and the pair is a no-op.
    for m in &msgs {
        assert_eq!(tick(&mut decoder, &mut book, m), entries, "{name}");
    }
    if by_id {
        assert_eq!(
            book.state_hash(),
            hash,
            "{name}: the pair restores the book"
        );
    }
    let mut i = 0usize;
    c.bench_function(name, |b| {
        b.iter(|| {
            i += 1;
            tick(&mut decoder, &mut book, black_box(&msgs[i & 1]))
        })
    });
}

fn benches(c: &mut Criterion) {
    for n in [1, 5, 10] {
        bench_x(
            c,
            &format!("x/price/{n}"),
            false,
            [price_x(n, false), price_x(n, true)],
            n,
        );
    }
    for n in [1, 5] {
        bench_x(
            c,
            &format!("x/id/{n}"),
            true,
            [id_x(n, false), id_x(n, true)],
            n,
        );
    }

    let x10 = price_x(10, false);
    let mut decoder = Decoder::default();
    c.bench_function("split/parse/10", |b| {
        b.iter(|| match decoder.decode(black_box(&x10)) {
            Decoded::Message(m, _) => m.fields().len(),
            _ => 0,
        })
    });
    c.bench_function("split/decode/10", |b| {
        b.iter(|| {
            let Decoded::Message(m, _) = decoder.decode(black_box(&x10)) else {
                return 0;
            };
            let Ok(md) = MdMessage::decode(&m) else {
                return 0;
            };
            let mut n = 0i64;
            for e in md.entries() {
                let Ok(e) = e else { break };
                n += e.size.map_or(0, |q| q.0) ^ e.price.map_or(0, |p| p.0);
            }
            n as usize
        })
    });

    let mut book = Book::new(10, 20, 0);
    load(&mut decoder, &mut book, &snapshot(false));
    let mut entries = [
        MdEntry::new(UpdateAction::Change, b'0'),
        MdEntry::new(UpdateAction::Change, b'0'),
    ];
    for (k, e) in entries.iter_mut().enumerate() {
        e.price = Some(Price(108_350_000));
        e.size = Some(Qty(1_000_000 + k as i64));
    }
    let mut i = 0usize;
    c.bench_function("apply/price/1", |b| {
        b.iter(|| {
            i += 1;
            let r = book.apply(black_box(&entries[i & 1]));
            black_box(book.take_changes());
            black_box(book.top());
            r
        })
    });
}

criterion_group!(book, benches);
criterion_main!(book);
