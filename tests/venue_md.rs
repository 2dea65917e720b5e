//! The venue's market data, quotes and synthetic flow, through real
//! sessions (`venue/harness.rs`: every message the venue writes is decoded
//! and validated against the FIX 4.4 dictionary):
//! - subscriptions at depths 1, 5 and full, aggregated (price and position
//!   keying) and order by order: after every W and X a reference book
//!   rebuilt from the messages alone equals the venue's own book;
//! - trades on fills, every MarketDataRequestReject reason, unsubscribe,
//!   subscriptions ending with the connection;
//! - quotes: firm, indicative, rejected; orders on quotes filled or
//!   rejected; QuoteCancel when the market moves through a quote;
//! - the seeded flow: deterministic, and books that stay right under it;
//! - `fixrail venue --config` with flow on over TCP (`venue/md_e2e.rs`).

mod common;
#[path = "venue/harness.rs"]
mod harness;
#[path = "venue/md_e2e.rs"]
mod md_e2e;

use fixrail::codec::Fixed;
use fixrail::venue::book::Side;
use fixrail::venue::{FlowSpec, Instrument, MarketDataSpec, MdKeying, VenueSpec};
use harness::{Out, Sim};
use rust_decimal::Decimal;
use std::str::FromStr;

const C1: usize = 0;
const C2: usize = 1;
const T: &str = "20260105-09:00:00";

fn spec(keying: MdKeying, flow: FlowSpec) -> VenueSpec {
    VenueSpec {
        instruments: vec![
            Instrument {
                symbol: "FXR".into(),
                tick_size: Fixed::new(1, 2),
                lot_size: Fixed::new(1, 0),
                max_order_qty: Some(Fixed::new(1_000_000, 0)),
                reference_price: Some(Fixed::new(10000, 2)),
            },
            Instrument {
                symbol: "EUR/USD".into(),
                tick_size: Fixed::new(1, 5),
                lot_size: Fixed::new(1000, 0),
                max_order_qty: None,
                reference_price: Some(Fixed::new(108500, 5)),
            },
        ],
        max_resting_orders_per_instrument: 500,
        max_remembered_orders: 2_000,
        max_queued_reports_per_session: 10_000,
        market_data: MarketDataSpec {
            max_subscriptions_per_session: 4,
            max_depth: 20,
            keying,
            quote_valid_ms: 500,
            max_live_quotes: 64,
        },
        flow,
    }
}

fn sim(keying: MdKeying) -> Sim {
    Sim::new(spec(keying, FlowSpec::default()), &["C1", "C2"])
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap().normalize()
}

fn fixed(f: Fixed) -> Decimal {
    f.to_decimal().normalize()
}

/// One entry of a test-local book side.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    id: Option<String>,
    px: Decimal,
    qty: Decimal,
    orders: Option<u32>,
}

/// A book rebuilt from W and X alone (one instrument, one subscription).
struct RefBook {
    symbol: String,
    depth: usize,
    aggregated: bool,
    position: bool,
    sides: [Vec<Entry>; 2],
    trades: Vec<(Decimal, Decimal)>,
    snapshots: usize,
    incrementals: usize,
}

/// The field values of a message's group instances: each instance starts
/// at `delimiter` and runs to the next one.
fn instances(out: &Out, count_tag: u32, delimiter: u32) -> Vec<Vec<(u32, String)>> {
    let mut list: Vec<Vec<(u32, String)>> = Vec::new();
    let mut inside = false;
    for (t, v) in &out.fields {
        if *t == count_tag {
            inside = true;
            continue;
        }
        if !inside || *t == 10 {
            continue;
        }
        if *t == delimiter {
            list.push(Vec::new());
        }
        if let Some(last) = list.last_mut() {
            last.push((*t, v.clone()));
        }
    }
    list
}

fn get(inst: &[(u32, String)], tag: u32) -> Option<&str> {
    inst.iter()
        .find(|(t, _)| *t == tag)
        .map(|(_, v)| v.as_str())
}

impl RefBook {
    fn new(symbol: &str, depth: usize, aggregated: bool, position: bool) -> RefBook {
        RefBook {
            symbol: symbol.into(),
            depth,
            aggregated,
            position,
            sides: [Vec::new(), Vec::new()],
            trades: Vec::new(),
            snapshots: 0,
            incrementals: 0,
        }
    }

    fn better(side: usize, a: Decimal, b: Decimal) -> bool {
        if side == 0 {
            a > b
        } else {
            a < b
        }
    }

    /// Applies a W or X (other messages are ignored); true if it was one.
    fn apply(&mut self, m: &Out, req_id: &str) -> bool {
        match m.get(35) {
            Some("W") => {
                assert_eq!(m.get(262), Some(req_id), "W names its MDReqID: {m:?}");
                assert_eq!(m.get(55), Some(self.symbol.as_str()));
                self.sides = [Vec::new(), Vec::new()];
                for inst in instances(m, 268, 269) {
                    let side = match get(&inst, 269) {
                        Some("0") => 0,
                        Some("1") => 1,
                        other => panic!("unexpected 269 {other:?} in {m:?}"),
                    };
                    let e = Entry {
                        id: get(&inst, 37).map(str::to_string),
                        px: dec(get(&inst, 270).unwrap()),
                        qty: dec(get(&inst, 271).unwrap()),
                        orders: get(&inst, 346).map(|n| n.parse().unwrap()),
                    };
                    if self.position {
                        let pos: usize = get(&inst, 290).unwrap().parse().unwrap();
                        assert_eq!(pos, self.sides[side].len() + 1, "W positions: {m:?}");
                    }
                    if !self.aggregated {
                        assert!(e.id.is_some(), "order entries carry 37 in W: {m:?}");
                    }
                    self.sides[side].push(e);
                }
                self.snapshots += 1;
                true
            }
            Some("X") => {
                assert_eq!(m.get(262), Some(req_id), "X names its MDReqID: {m:?}");
                for inst in instances(m, 268, 279) {
                    assert_eq!(get(&inst, 55), Some(self.symbol.as_str()), "55 on each X entry");
                    self.apply_entry(&inst, m);
                }
                self.incrementals += 1;
                true
            }
            _ => false,
        }
    }

    fn apply_entry(&mut self, inst: &[(u32, String)], m: &Out) {
        let action = get(inst, 279).unwrap();
        let px = get(inst, 270).map(dec);
        let qty = get(inst, 271).map(dec);
        let side = match get(inst, 269) {
            Some("0") => 0,
            Some("1") => 1,
            Some("2") => {
                assert_eq!(action, "0", "a trade is New: {m:?}");
                self.trades.push((px.unwrap(), qty.unwrap()));
                return;
            }
            other => panic!("unexpected 269 {other:?} in {m:?}"),
        };
        let orders = get(inst, 346).map(|n| n.parse().unwrap());
        let list = &mut self.sides[side];
        if self.aggregated && self.position {
            let p: usize = get(inst, 290).expect("290 when keyed by position").parse().unwrap();
            match action {
                "0" => {
                    assert!(p >= 1 && p <= list.len() + 1, "New at {p}: {m:?}");
                    list.insert(p - 1, Entry { id: None, px: px.unwrap(), qty: qty.unwrap(), orders });
                }
                "1" => {
                    assert_eq!(Some(list[p - 1].px), px, "Change keeps the price: {m:?}");
                    list[p - 1].qty = qty.unwrap();
                    list[p - 1].orders = orders;
                }
                "2" => {
                    list.remove(p - 1);
                }
                a => panic!("action {a}"),
            }
        } else if self.aggregated {
            let px = px.unwrap();
            let at = list.iter().position(|e| e.px == px);
            match (action, at) {
                ("0", None) => {
                    let i = list
                        .iter()
                        .position(|e| Self::better(side, px, e.px))
                        .unwrap_or(list.len());
                    list.insert(i, Entry { id: None, px, qty: qty.unwrap(), orders });
                }
                ("1", Some(i)) => {
                    list[i].qty = qty.unwrap();
                    list[i].orders = orders;
                }
                ("2", Some(i)) => {
                    list.remove(i);
                }
                (a, at) => panic!("action {a} at {at:?} for price {px}: {m:?}"),
            }
        } else {
            let id = get(inst, 278).expect("278 on order entries").to_string();
            let at = list.iter().position(|e| e.id.as_deref() == Some(&id));
            match (action, at) {
                ("0", None) => {
                    let px = px.unwrap();
                    // Behind every order at a price at least as good.
                    let i = list
                        .iter()
                        .position(|e| Self::better(side, px, e.px))
                        .unwrap_or(list.len());
                    list.insert(i, Entry { id: Some(id), px, qty: qty.unwrap(), orders: None });
                }
                ("1", Some(i)) => list[i].qty = qty.unwrap(),
                ("2", Some(i)) => {
                    list.remove(i);
                }
                (a, at) => panic!("action {a} at {at:?} for order {id}: {m:?}"),
            }
        }
        assert!(list.len() <= self.depth, "more than the depth: {m:?}");
    }

    /// The reference book equals the venue's top levels (or orders).
    #[track_caller]
    fn check(&self, sim: &Sim, types: [bool; 2]) {
        let v = sim.venue.borrow();
        for (i, side) in [Side::Buy, Side::Sell].into_iter().enumerate() {
            let want: Vec<Entry> = if !types[i] {
                Vec::new()
            } else if self.aggregated {
                v.md_levels(&self.symbol, side, self.depth)
                    .into_iter()
                    .map(|(px, qty, n)| Entry { id: None, px: fixed(px), qty: fixed(qty), orders: Some(n) })
                    .collect()
            } else {
                v.md_orders(&self.symbol, side, self.depth)
                    .into_iter()
                    .map(|(id, px, qty)| Entry { id: Some(id), px: fixed(px), qty: fixed(qty), orders: None })
                    .collect()
            };
            assert_eq!(self.sides[i], want, "side {side:?} differs from the venue's book");
        }
    }
}

/// A small deterministic generator for the tests' order streams.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn subscribe(sim: &mut Sim, c: usize, req: &str, symbol: &str, depth: usize, agg: &str, types: &[&str]) {
    let types: String = types.iter().map(|t| format!("269={t}|")).collect();
    let n = types.matches("269=").count();
    sim.send(
        c,
        "V",
        &format!("262={req}|263=1|264={depth}|265=1|266={agg}|267={n}|{types}146=1|55={symbol}|"),
    );
}

/// Client `c`'s next W/X are applied to `book`; returns how many.
fn apply_all(sim: &mut Sim, c: usize, book: &mut RefBook, req: &str) -> usize {
    sim.take(c).iter().filter(|m| book.apply(m, req)).count()
}

/// Both clients send a seeded stream of resting, crossing, cancelled and
/// replaced orders on FXR; after each, the subscriber (C2) has received at
/// most one X, and its reference book equals the venue's.
fn random_stream_keeps_the_book(keying: MdKeying, depth: usize, agg: bool) {
    let mut sim = sim(keying);
    let shown = if depth == 0 { 20 } else { depth };
    let mut book = RefBook::new("FXR", shown, agg, agg && keying == MdKeying::Position);
    subscribe(&mut sim, C2, "md1", "FXR", depth, if agg { "Y" } else { "N" }, &["0", "1", "2"]);
    assert_eq!(apply_all(&mut sim, C2, &mut book, "md1"), 1, "one W on subscribe");
    book.check(&sim, [true, true]);
    let mut rng = Lcg(0x5eed + depth as u64 + u64::from(agg));
    let mut live: [Vec<(String, u8)>; 2] = [Vec::new(), Vec::new()];
    let mut xs = 0;
    for k in 0..400 {
        let c = (rng.next() % 2) as usize;
        let r = rng.next();
        let cl = format!("c{c}-{k}");
        match r % 10 {
            0 | 1 if !live[c].is_empty() => {
                let (orig, side) = live[c].swap_remove((r / 10) as usize % live[c].len());
                sim.send(
                    c,
                    "F",
                    &format!("41={orig}|11={cl}|55=FXR|54={}|60={T}|38=1|", side as char),
                );
            }
            2 if !live[c].is_empty() => {
                let j = (r / 10) as usize % live[c].len();
                let (orig, side) = live[c][j].clone();
                live[c][j].0 = cl.clone();
                let px = if side == b'1' { 9990 - (r / 100) % 10 } else { 10010 + (r / 100) % 10 };
                let qty = 1 + (r / 1000) % 8;
                sim.send(
                    c,
                    "G",
                    &format!(
                        "41={orig}|11={cl}|55=FXR|54={}|60={T}|38={qty}|40=2|44={}.{:02}|",
                        side as char,
                        px / 100,
                        px % 100
                    ),
                );
            }
            _ => {
                let side = if r % 2 == 0 { b'1' } else { b'2' };
                let cross = (r / 7) % 5 == 0;
                let px = match (side, cross) {
                    (b'1', false) => 9980 + (r / 10) % 20,
                    (b'1', true) => 10000 + (r / 10) % 20,
                    (_, false) => 10001 + (r / 10) % 20,
                    (_, true) => 9981 + (r / 10) % 20,
                };
                let qty = 1 + (r / 1000) % 9;
                sim.send(
                    c,
                    "D",
                    &format!(
                        "11={cl}|55=FXR|54={}|60={T}|38={qty}|40=2|44={}.{:02}|59=1|",
                        side as char,
                        px / 100,
                        px % 100
                    ),
                );
                live[c].push((cl, side));
            }
        }
        sim.take(C1);
        let n = apply_all(&mut sim, C2, &mut book, "md1");
        assert!(n <= 1, "one X per book change, got {n}");
        xs += n;
        book.check(&sim, [true, true]);
    }
    assert!(xs > 50, "the stream changed the book often ({xs} X)");
    assert!(!book.trades.is_empty(), "the stream traded");
}

#[test]
fn top_of_book_keyed_by_price_matches_the_venue_after_every_message() {
    random_stream_keeps_the_book(MdKeying::Price, 1, true);
}

#[test]
fn five_levels_keyed_by_price_match_the_venue_after_every_message() {
    random_stream_keeps_the_book(MdKeying::Price, 5, true);
}

#[test]
fn full_depth_keyed_by_price_matches_the_venue_after_every_message() {
    random_stream_keeps_the_book(MdKeying::Price, 0, true);
}

#[test]
fn top_of_book_keyed_by_position_matches_the_venue_after_every_message() {
    random_stream_keeps_the_book(MdKeying::Position, 1, true);
}

#[test]
fn five_levels_keyed_by_position_match_the_venue_after_every_message() {
    random_stream_keeps_the_book(MdKeying::Position, 5, true);
}

#[test]
fn full_depth_keyed_by_position_matches_the_venue_after_every_message() {
    random_stream_keeps_the_book(MdKeying::Position, 0, true);
}

#[test]
fn order_by_order_top_five_matches_the_venue_after_every_message() {
    random_stream_keeps_the_book(MdKeying::Price, 5, false);
}

#[test]
fn order_by_order_full_depth_matches_the_venue_after_every_message() {
    random_stream_keeps_the_book(MdKeying::Price, 0, false);
}

#[test]
fn trades_appear_on_fills_with_price_and_size() {
    // A buy sweeping two offer levels: one X with both trades (269=2, 270,
    // 271), the emptied level deleted and the partly taken one changed.
    let mut sim = sim(MdKeying::Price);
    sim.send(C1, "D", &format!("11=s1|55=FXR|54=2|60={T}|38=10|40=2|44=100.00|"));
    sim.send(C1, "D", &format!("11=s2|55=FXR|54=2|60={T}|38=5|40=2|44=100.01|"));
    sim.take(C1);
    let mut book = RefBook::new("FXR", 20, true, false);
    subscribe(&mut sim, C2, "t", "FXR", 0, "Y", &["0", "1", "2"]);
    apply_all(&mut sim, C2, &mut book, "t");
    sim.send(C2, "D", &format!("11=b1|55=FXR|54=1|60={T}|38=12|40=2|44=100.01|"));
    let got = sim.take(C2);
    let xs: Vec<&Out> = got.iter().filter(|m| m.get(35) == Some("X")).collect();
    assert_eq!(xs.len(), 1, "{got:#?}");
    let entries = instances(xs[0], 268, 279);
    let trades: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| get(e, 269) == Some("2"))
        .map(|e| (get(e, 270).unwrap(), get(e, 271).unwrap()))
        .collect();
    assert_eq!(trades, [("100.00", "10"), ("100.01", "2")]);
    for m in &got {
        book.apply(m, "t");
    }
    book.check(&sim, [true, true]);
    assert_eq!(book.sides[1].len(), 1);
    assert_eq!(book.sides[1][0].qty, dec("3"));
    // A subscriber without 269=2 sees no trades.
    let mut quiet = RefBook::new("FXR", 20, true, false);
    subscribe(&mut sim, C1, "nt", "FXR", 0, "Y", &["0", "1"]);
    apply_all(&mut sim, C1, &mut quiet, "nt");
    sim.send(C2, "D", &format!("11=b2|55=FXR|54=1|60={T}|38=3|40=2|44=100.01|"));
    for m in sim.take(C1) {
        quiet.apply(&m, "nt");
    }
    assert!(quiet.trades.is_empty());
    quiet.check(&sim, [true, true]);
    assert!(quiet.sides[1].is_empty());
}

#[test]
fn snapshot_only_and_bid_only_requests() {
    // 263=0: one W, no subscription. 269=0 alone: bids only.
    let mut sim = sim(MdKeying::Price);
    sim.send(C1, "D", &format!("11=b|55=FXR|54=1|60={T}|38=4|40=2|44=99.99|"));
    sim.send(C1, "D", &format!("11=s|55=FXR|54=2|60={T}|38=5|40=2|44=100.02|"));
    sim.take(C1);
    sim.send(C2, "V", "262=snap|263=0|264=1|267=2|269=0|269=1|146=1|55=FXR|");
    let w = sim.expect(C2, "35=W|262=snap|55=FXR|268=2");
    let mut book = RefBook::new("FXR", 1, true, false);
    book.apply(&w, "snap");
    book.check(&sim, [true, true]);
    assert_eq!(sim.venue.borrow().md_subscriptions("C2"), 0);
    sim.send(C1, "D", &format!("11=b2|55=FXR|54=1|60={T}|38=1|40=2|44=100.00|"));
    sim.expect_none(C2);

    let mut bids = RefBook::new("FXR", 20, true, false);
    subscribe(&mut sim, C2, "bids", "FXR", 0, "Y", &["0"]);
    apply_all(&mut sim, C2, &mut bids, "bids");
    bids.check(&sim, [true, false]);
    sim.send(C1, "D", &format!("11=s2|55=FXR|54=2|60={T}|38=1|40=2|44=100.01|"));
    sim.expect_none(C2);
    sim.send(C1, "D", &format!("11=b3|55=FXR|54=1|60={T}|38=1|40=2|44=99.98|"));
    assert_eq!(apply_all(&mut sim, C2, &mut bids, "bids"), 1);
    bids.check(&sim, [true, false]);
}

#[test]
fn every_reject_reason_gets_a_market_data_request_reject() {
    // Each refusal is a Y with the MDReqID, the reason (where FIX has one)
    // and a Text; a malformed V is the session's Reject.
    let mut sim = sim(MdKeying::Price);
    let v = |req: &str, rest: &str| format!("262={req}|{rest}");
    sim.send(C1, "V", &v("u", "263=1|264=1|267=1|269=0|146=1|55=NOPE|"));
    sim.expect(C1, "35=Y|262=u|281=0|58=*");
    sim.send(C1, "V", &v("d", "263=1|264=1|267=1|269=0|146=1|55=FXR|"));
    sim.expect(C1, "35=W|262=d");
    sim.send(C1, "V", &v("d", "263=1|264=1|267=1|269=0|146=1|55=EUR/USD|"));
    sim.expect(C1, "35=Y|262=d|281=1|58=*");
    sim.send(C1, "V", &v("neg", "263=1|264=-1|267=1|269=0|146=1|55=FXR|"));
    sim.expect(C1, "35=Y|262=neg|281=5|58=*");
    sim.send(C1, "V", &v("full", "263=1|264=1|265=0|267=1|269=0|146=1|55=FXR|"));
    sim.expect(C1, "35=Y|262=full|281=6|58=*");
    sim.send(C1, "V", &v("open", "263=1|264=1|267=2|269=0|269=4|146=1|55=FXR|"));
    sim.expect(C1, "35=Y|262=open|281=8|58=*");
    sim.send(C1, "V", &v("gone", "263=2|264=1|267=1|269=0|146=1|55=FXR|"));
    sim.expect(C1, "35=Y|262=gone|281=!|58=*");
    // The subscription limit (4 per session).
    for k in 0..3 {
        sim.send(C1, "V", &v(&format!("l{k}"), "263=1|264=1|267=1|269=0|146=1|55=FXR|"));
        sim.expect(C1, "35=W");
    }
    sim.send(C1, "V", &v("l9", "263=1|264=1|267=1|269=0|146=1|55=FXR|"));
    sim.expect(C1, "35=Y|262=l9|281=2|58=*");
    // No MDReqID: the session's Reject, not the venue's.
    sim.send(C1, "V", "263=1|264=1|267=1|269=0|146=1|55=FXR|");
    sim.expect(C1, "35=3|373=1|371=262");
    sim.expect_none(C1);
    let k = *sim.venue.borrow().counters();
    assert_eq!(k.md_rejects, 7, "{k:?}");
}

#[test]
fn unsubscribe_stops_updates_and_a_disconnect_ends_subscriptions() {
    let mut sim = sim(MdKeying::Price);
    subscribe(&mut sim, C2, "a", "FXR", 5, "Y", &["0", "1"]);
    sim.expect(C2, "35=W|262=a");
    sim.send(C1, "D", &format!("11=b1|55=FXR|54=1|60={T}|38=1|40=2|44=99.00|"));
    sim.expect(C2, "35=X|262=a|279=0|269=0|55=FXR|270=99.00|271=1");
    sim.send(C2, "V", "262=a|263=2|264=5|267=1|269=0|146=1|55=FXR|");
    sim.expect_none(C2);
    sim.send(C1, "D", &format!("11=b2|55=FXR|54=1|60={T}|38=1|40=2|44=99.01|"));
    sim.expect_none(C2);
    assert_eq!(sim.venue.borrow().md_subscriptions("C2"), 0);
    // The MDReqID is free again once unsubscribed.
    subscribe(&mut sim, C2, "a", "FXR", 5, "Y", &["0", "1"]);
    sim.expect(C2, "35=W|262=a|268=2");
    assert_eq!(sim.venue.borrow().md_subscriptions("C2"), 1);
    sim.disconnect(C2);
    assert_eq!(sim.venue.borrow().md_subscriptions("C2"), 0);
    sim.send(C1, "D", &format!("11=b3|55=FXR|54=1|60={T}|38=1|40=2|44=99.02|"));
    sim.logon(C2);
    sim.engine_turn();
    sim.expect_none(C2);
}

#[test]
fn a_full_session_queue_is_healed_with_a_fresh_snapshot() {
    // C2's queue holds 10,000 entries; C1 fills it faster than C2 is
    // served (no engine turn), so its subscription is refreshed with a W
    // once the queue drains, and its book is right afterwards.
    let mut s = spec(MdKeying::Price, FlowSpec::default());
    s.max_queued_reports_per_session = 8;
    let mut sim = Sim::new(s, &["C1", "C2"]);
    let mut book = RefBook::new("FXR", 20, true, false);
    subscribe(&mut sim, C2, "q", "FXR", 0, "Y", &["0", "1"]);
    apply_all(&mut sim, C2, &mut book, "q");
    for k in 0..20 {
        sim.send_only(C1, "D", &format!("11=b{k}|55=FXR|54=1|60={T}|38=1|40=2|44=99.{k:02}|"));
    }
    assert!(sim.venue.borrow().counters().md_resyncs >= 1);
    sim.engine_turn();
    let msgs = sim.take(C2);
    assert_eq!(msgs.last().and_then(|m| m.get(35)), Some("W"), "{msgs:#?}");
    for m in &msgs {
        book.apply(m, "q");
    }
    book.check(&sim, [true, true]);
    sim.take(C1);
    sim.send(C1, "D", &format!("11=b99|55=FXR|54=1|60={T}|38=1|40=2|44=99.99|"));
    assert_eq!(apply_all(&mut sim, C2, &mut book, "q"), 1);
    book.check(&sim, [true, true]);
}

/// Rests the FXR book: bids 99.99 x 5, 99.98 x 10; offers 100.01 x 5,
/// 100.02 x 10.
fn quote_book(sim: &mut Sim) {
    for (cl, side, qty, px) in [
        ("qb1", 1, 5, "99.99"),
        ("qb2", 1, 10, "99.98"),
        ("qs1", 2, 5, "100.01"),
        ("qs2", 2, 10, "100.02"),
    ] {
        sim.send(C1, "D", &format!("11={cl}|55=FXR|54={side}|60={T}|38={qty}|40=2|44={px}|"));
    }
    sim.take(C1);
}

#[test]
fn quotes_are_firm_indicative_or_rejected() {
    let mut sim = sim(MdKeying::Price);
    // No market yet.
    sim.send(C2, "R", "131=r0|146=1|55=FXR|54=1|38=5|");
    sim.expect(C2, "35=AG|131=r0|658=8|146=1|55=FXR|58=*");
    sim.send(C2, "R", "131=r1|146=1|55=NOPE|38=5|");
    sim.expect(C2, "35=AG|131=r1|658=1|55=NOPE|58=*");
    sim.send(C2, "R", "131=r2|146=1|55=FXR|38=1.5|");
    sim.expect(C2, "35=AG|131=r2|658=99|58=*");
    quote_book(&mut sim);
    // Both sides, 8: (5 x 100.01 + 3 x 100.02) / 8 = 100.01375 -> 100.02
    // offered; (5 x 99.99 + 3 x 99.98) / 8 = 99.98625 -> 99.98 bid.
    sim.send(C2, "R", "131=r3|146=1|55=FXR|38=8|");
    let s = sim.expect(
        C2,
        "35=S|131=r3|537=1|55=FXR|54=!|38=8|132=99.98|133=100.02|134=8|135=8|62=*|60=*",
    );
    assert!(s.field(117).starts_with('Q'));
    // One side, within the best level.
    sim.send(C2, "R", "131=r4|146=1|55=FXR|54=1|38=5|");
    sim.expect(C2, "35=S|131=r4|537=1|54=1|133=100.01|135=5|132=!|62=*");
    // More than the book holds: indicative at the best price, no validity.
    sim.send(C2, "R", "131=r5|146=1|55=FXR|54=2|38=50|");
    sim.expect(C2, "35=S|131=r5|537=0|54=2|132=99.99|134=50|62=!");
    let k = *sim.venue.borrow().counters();
    assert_eq!((k.quotes, k.quote_rejects), (3, 3), "{k:?}");
}

#[test]
fn orders_on_quotes_fill_at_the_quoted_price_or_are_rejected() {
    let mut sim = sim(MdKeying::Price);
    quote_book(&mut sim);
    sim.send(C2, "R", "131=r1|146=1|55=FXR|54=1|38=8|");
    let q = sim.expect(C2, "35=S|537=1|133=100.02").field(117).to_string();
    // The book is untouched by a fill on a quote.
    let before = sim.venue.borrow().md_levels("FXR", Side::Sell, 5);
    sim.send(C2, "D", &format!("11=o1|117={q}|55=FXR|54=1|60={T}|38=6|40=D|"));
    sim.expect(C2, "35=8|11=o1|150=0|39=0");
    sim.expect(C2, "35=8|11=o1|150=F|39=2|31=100.02|32=6|14=6|151=0");
    assert_eq!(sim.venue.borrow().md_levels("FXR", Side::Sell, 5), before);
    // The quote is used up.
    sim.send(C2, "D", &format!("11=o2|117={q}|55=FXR|54=1|60={T}|38=1|40=D|"));
    sim.expect(C2, "35=8|11=o2|150=8|103=99|58=Quote is no longer live (cancelled or already traded)");
    // Wrong side, too large, a limit that does not reach, another session's.
    sim.send(C2, "R", "131=r2|146=1|55=FXR|54=1|38=5|");
    let q2 = sim.expect(C2, "35=S|537=1|133=100.01").field(117).to_string();
    sim.send(C2, "D", &format!("11=o3|117={q2}|55=FXR|54=2|60={T}|38=1|40=D|"));
    sim.expect(C2, "35=8|11=o3|150=8|103=99|58=Side not quoted: a buy takes the offer, a sell the bid");
    sim.send(C2, "D", &format!("11=o4|117={q2}|55=FXR|54=1|60={T}|38=6|40=D|"));
    sim.expect(C2, "35=8|11=o4|150=8|103=99|58=OrderQty exceeds the quoted size");
    sim.send(C2, "D", &format!("11=o5|117={q2}|55=FXR|54=1|60={T}|38=5|40=2|44=100.00|"));
    sim.expect(C2, "35=8|11=o5|150=8|103=99|58=Limit price does not reach the quoted price");
    sim.send(C1, "D", &format!("11=o6|117={q2}|55=FXR|54=1|60={T}|38=5|40=D|"));
    sim.expect(C1, "35=8|11=o6|150=8|103=99|58=QuoteID was issued to another session");
    sim.send(C2, "D", &format!("11=o7|117=Q1-999|55=FXR|54=1|60={T}|38=5|40=D|"));
    sim.expect(C2, "35=8|11=o7|150=8|103=99|58=Unknown QuoteID (never issued, or forgotten)");
    // Indicative quotes are not tradeable.
    sim.send(C2, "R", "131=r3|146=1|55=FXR|54=1|38=500|");
    let qi = sim.expect(C2, "35=S|537=0").field(117).to_string();
    sim.send(C2, "D", &format!("11=o8|117={qi}|55=FXR|54=1|60={T}|38=1|40=D|"));
    sim.expect(C2, "35=8|11=o8|150=8|103=99|58=Quote is indicative (QuoteType 0): it cannot be traded");
    // After ValidUntilTime (500 ms) the quote has expired.
    sim.advance(600_000_000);
    sim.send(C2, "D", &format!("11=o9|117={q2}|55=FXR|54=1|60={T}|38=5|40=D|"));
    sim.expect(C2, "35=8|11=o9|150=8|103=99|58=Quote expired (its ValidUntilTime has passed)");
    // Within its validity it fills (a fresh quote, at once).
    sim.send(C2, "R", "131=r4|146=1|55=FXR|54=2|38=5|");
    let q3 = sim.expect(C2, "35=S|537=1|132=99.99").field(117).to_string();
    sim.send(C2, "D", &format!("11=o10|117={q3}|55=FXR|54=2|60={T}|38=5|40=2|44=99.99|"));
    sim.expect(C2, "35=8|11=o10|150=0");
    sim.expect(C2, "35=8|11=o10|150=F|31=99.99|32=5");
    let k = *sim.venue.borrow().counters();
    assert_eq!((k.quote_fills, k.quote_order_rejects), (2, 8), "{k:?}");
}

#[test]
fn a_market_moving_through_a_firm_quote_cancels_it() {
    let mut sim = sim(MdKeying::Price);
    quote_book(&mut sim);
    sim.send(C2, "R", "131=rz|146=1|55=FXR|54=1|38=5|");
    let q = sim.expect(C2, "35=S|537=1|133=100.01").field(117).to_string();
    // A change that leaves 100.01 inside the market: no cancel.
    sim.send(C1, "D", &format!("11=x1|55=FXR|54=1|60={T}|38=1|40=2|44=99.97|"));
    sim.expect_none(C2);
    // C1 lifts every offer at 100.01: the best offer is now above the quote.
    sim.send(C1, "D", &format!("11=x2|55=FXR|54=1|60={T}|38=5|40=2|44=100.01|"));
    let z = sim.expect(C2, "35=Z|131=rz|298=1|295=1|55=FXR");
    assert_eq!(z.field(117), q);
    sim.send(C2, "D", &format!("11=o1|117={q}|55=FXR|54=1|60={T}|38=5|40=D|"));
    sim.expect(C2, "35=8|11=o1|150=8|58=Quote is no longer live (cancelled or already traded)");
    assert_eq!(sim.venue.borrow().counters().quote_cancels, 1);
}

fn flow(rate: u64, seed: u64) -> FlowSpec {
    FlowSpec {
        rate_per_sec: rate,
        seed,
        max_actions_per_poll: 50,
        max_resting_per_instrument: 40,
        price_range_ticks: 5,
        max_lots: 5,
        marketable_pct: 15,
        cancel_pct: 30,
    }
}

/// A venue with flow, C1 subscribed to FXR (aggregated, depth 5, with
/// trades) and EUR/USD (order by order); `polls` turns of 1 ms each.
fn run_flow(seed: u64, polls: usize, check: bool) -> (Vec<Vec<u8>>, Sim) {
    let mut sim = Sim::new(spec(MdKeying::Price, flow(20_000, seed)), &["C1", "C2"]);
    let mut fxr = RefBook::new("FXR", 5, true, false);
    let mut eur = RefBook::new("EUR/USD", 10, false, false);
    subscribe(&mut sim, C1, "f", "FXR", 5, "Y", &["0", "1", "2"]);
    subscribe(&mut sim, C1, "e", "EUR/USD", 10, "N", &["0", "1"]);
    for m in sim.take(C1) {
        let (book, req) = if m.get(262) == Some("f") { (&mut fxr, "f") } else { (&mut eur, "e") };
        book.apply(&m, req);
    }
    for _ in 0..polls {
        sim.advance(1_000_000);
        sim.poll();
        for m in sim.take(C1) {
            match m.get(262) {
                Some("f") => fxr.apply(&m, "f"),
                Some("e") => eur.apply(&m, "e"),
                _ => false,
            };
        }
        if check {
            fxr.check(&sim, [true, true]);
            eur.check(&sim, [true, true]);
        }
    }
    if check {
        assert!(fxr.incrementals > 50 && eur.incrementals > 50);
        assert!(!fxr.trades.is_empty(), "the flow trades");
    }
    let raw = sim.written[C1].iter().map(|m| m.raw.clone()).collect();
    (raw, sim)
}

#[test]
fn the_flow_moves_the_markets_and_the_books_stay_right() {
    let (_, sim) = run_flow(7, 200, true);
    let k = *sim.venue.borrow().counters();
    // 20,000/s polled every 1 ms: 20 actions per poll after the first
    // (which starts the flow's clock), 3,980 in all; each is an order or a
    // cancel.
    assert_eq!(k.flow_orders + k.flow_cancels, 3_980, "{k:?}");
    assert!(k.flow_cancels > 500 && k.trades > 100, "{k:?}");
}

#[test]
fn the_same_seed_and_clock_give_the_same_flow() {
    let (a, _) = run_flow(42, 150, false);
    let (b, _) = run_flow(42, 150, false);
    let (c, _) = run_flow(43, 150, false);
    assert!(a.len() > 100);
    assert_eq!(a, b, "same seed, same now sequence: the same messages");
    assert_ne!(a, c, "another seed, another flow");
}

#[test]
fn the_flow_fills_client_orders_and_reports_them() {
    // A resting client bid near the mid is hit by the flow's marketable
    // sells; the client gets its fills through its queue.
    let mut sim = Sim::new(spec(MdKeying::Price, flow(50_000, 3)), &["C1", "C2"]);
    sim.send(C2, "D", &format!("11=big|55=FXR|54=1|60={T}|38=100000|40=2|44=100.10|"));
    sim.expect(C2, "35=8|150=0");
    for _ in 0..50 {
        sim.advance(1_000_000);
        sim.poll();
    }
    let fills = sim.take(C2).iter().filter(|m| m.get(150) == Some("F")).count();
    assert!(fills > 10, "{fills} fills");
}

#[test]
fn config_keys_for_market_data_quotes_and_flow_load() {
    let text = "[engine]\njournal_dir = \"j\"\n\n[venue]\nmd_keying = \"position\"\nmd_max_depth = 10\n\
                max_md_subscriptions_per_session = 3\nquote_valid_ms = 250\nmax_live_quotes = 8\n\
                flow_rate_per_sec = 1000\nflow_seed = 9\nflow_max_actions_per_poll = 20\n\
                flow_max_resting_per_instrument = 7\nflow_price_range_ticks = 3\nflow_max_lots = 2\n\
                flow_marketable_pct = 20\nflow_cancel_pct = 40\n\n\
                [[session]]\nname = \"C1\"\nrole = \"acceptor\"\nsender_comp_id = \"V\"\n\
                target_comp_id = \"C1\"\nlisten = \"127.0.0.1:5101\"\napplication = \"venue\"\n\n\
                [[instrument]]\nsymbol = \"A\"\ntick_size = \"0.01\"\nlot_size = 1\nreference_price = \"10\"\n";
    let load = |t: &str| {
        fixrail::config::Config::from_toml_with_env(t, std::path::Path::new("v.toml"), &|_| None)
            .map_err(|e| e.to_string())
    };
    let cfg = load(text).unwrap();
    let spec = fixrail::engine::engine_spec(&cfg).unwrap().venue.unwrap();
    assert_eq!(spec.market_data.keying, MdKeying::Position);
    assert_eq!(spec.market_data.max_depth, 10);
    assert_eq!(spec.market_data.max_subscriptions_per_session, 3);
    assert_eq!(spec.market_data.quote_valid_ms, 250);
    assert_eq!(spec.flow, FlowSpec {
        rate_per_sec: 1000,
        seed: 9,
        max_actions_per_poll: 20,
        max_resting_per_instrument: 7,
        price_range_ticks: 3,
        max_lots: 2,
        marketable_pct: 20,
        cancel_pct: 40,
    });
    assert_eq!(spec.instruments[0].reference_price, Some(Fixed::new(10, 0)));
    let err = load(&text.replace("\"position\"", "\"level\"")).unwrap_err();
    assert!(err.contains("venue.md_keying") && err.contains("\"price\", \"position\""), "{err}");
    let err = load(&text.replace("flow_cancel_pct = 40", "flow_cancel_pct = 90")).unwrap_err();
    assert!(err.contains("venue.flow_cancel_pct") && err.contains("line"), "{err}");
    let err = load(&text.replace("md_max_depth = 10", "md_max_depth = 1000")).unwrap_err();
    assert!(err.contains("venue.md_max_depth"), "{err}");
    // The example config shows the keys and loads.
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/venue.toml");
    let cfg = fixrail::config::load(&path).unwrap();
    assert_eq!(cfg.venue.md_keying, MdKeying::Price);
}
