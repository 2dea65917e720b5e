//! Codec micro-benchmarks: `cargo bench --bench codec`.
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use fixrail::codec::testing::fix;
use fixrail::codec::{Decoded, Decoder};

fn parse(c: &mut Criterion) {
    let nos = fix("8=FIX.4.4|35=D|34=1092|49=FIXRAIL|52=20261122-10:00:00.123|56=VENUE|1=ACC-001|11=ORD-000000001|38=1000000|40=2|44=1.08345|54=1|55=EUR/USD|59=0|60=20261122-10:00:00.123|");
    let mut decoder = Decoder::default();
    c.bench_function("parse/fixrail/nos", |b| {
        b.iter(|| match decoder.decode(black_box(&nos)) {
            Decoded::Message(m, len) => (m.fields().len(), len),
            _ => unreachable!(),
        })
    });
}

criterion_group!(benches, parse);
criterion_main!(benches);
