//! `Book` against plain reference models, one per keying, over thousands of
//! seeded random operations each: after every operation the visible levels
//! and the top must equal the model's, the result (applied or which error)
//! must equal the model's, and replaying the reported changes (taken at
//! random intervals, so they accumulate) onto a mirror must reproduce the
//! visible book. Failures print the seed and step.

use crate::common::Rng;
use fixrail::md::{Book, BookError, BookSide, Level, Limit, MdEntry, Top, UpdateAction};
use fixrail::strategy::{Price, Qty};
use std::collections::{BTreeMap, HashMap};

const SEEDS: [u64; 4] = [0x5eed_0001, 0x5eed_0002, 0xdead_beef, 0x1234_5678_9abc];
const STEPS: usize = 6_000;
const SIDES: [BookSide; 2] = [BookSide::Bid, BookSide::Ask];

fn kind(side: BookSide) -> u8 {
    match side {
        BookSide::Bid => b'0',
        BookSide::Ask => b'1',
    }
}

fn si(side: BookSide) -> usize {
    match side {
        BookSide::Bid => 0,
        BookSide::Ask => 1,
    }
}

fn px(units: i64) -> Price {
    Price(units * 1_000_000)
}

/// Replays `take_changes` onto a copy of the visible book and checks the
/// report against the book.
struct Mirror {
    sides: [Vec<Level>; 2],
    top: Top,
}

impl Mirror {
    fn new() -> Mirror {
        Mirror {
            sides: [Vec::new(), Vec::new()],
            top: Top::default(),
        }
    }

    fn replay(&mut self, book: &mut Book, ctx: &str) {
        let c = book.take_changes();
        for side in SIDES {
            let sc = c.side(side);
            let visible: Vec<Level> = book.levels(side).iter().collect();
            let m = &mut self.sides[si(side)];
            assert_eq!(sc.prev_len, m.len(), "{ctx}: {side:?} prev_len");
            assert_eq!(sc.len, visible.len(), "{ctx}: {side:?} len");
            if let Some(f) = sc.first {
                assert!(
                    f < sc.prev_len.max(sc.len),
                    "{ctx}: {side:?} first {f} beyond both lengths"
                );
                m.truncate(f);
                m.extend_from_slice(&visible[f.min(visible.len())..]);
            }
            assert_eq!(*m, visible, "{ctx}: {side:?} mirror after replaying {sc:?}");
        }
        let top = book.top();
        assert_eq!(c.top_changed, top != self.top, "{ctx}: top_changed");
        self.top = top;
    }
}

/// The outcome's name ("ok" or the error variant), for coverage checks.
fn outcome(r: &Result<(), BookError>) -> String {
    match r {
        Ok(()) => "ok".into(),
        Err(e) => format!("{e:?}")
            .split(['(', ' ', '{'])
            .next()
            .unwrap()
            .to_string(),
    }
}

fn assert_covered(seen: &std::collections::BTreeSet<String>, want: &[&str], what: &str) {
    for w in want {
        assert!(
            seen.contains(*w),
            "{what}: no {w} outcome in any seed (saw {seen:?})"
        );
    }
}

fn check_visible(book: &mut Book, model: [Vec<Level>; 2], ctx: &str) {
    for side in SIDES {
        let got: Vec<Level> = book.levels(side).iter().collect();
        let want: Vec<Level> = model[si(side)].iter().take(book.depth()).copied().collect();
        assert_eq!(got, want, "{ctx}: {side:?} visible levels");
    }
    let top = book.top();
    assert_eq!(top.bid, model[0].first().copied(), "{ctx}: top bid");
    assert_eq!(top.ask, model[1].first().copied(), "{ctx}: top ask");
}

// ---------------------------------------------------------------------------
// Keyed by price
// ---------------------------------------------------------------------------

/// Price → (qty, orders) per side.
#[derive(Default)]
struct PriceModel {
    sides: [BTreeMap<i64, (i64, u32)>; 2],
}

impl PriceModel {
    fn best_first(&self) -> [Vec<Level>; 2] {
        let lv = |(p, (q, o)): (&i64, &(i64, u32))| Level {
            price: Price(*p),
            qty: Qty(*q),
            orders: *o,
        };
        [
            self.sides[0].iter().rev().map(lv).collect(),
            self.sides[1].iter().map(lv).collect(),
        ]
    }
}

/// Price-keyed New/Change/Overlay (set, size 0 removes), Delete (must
/// exist), DeleteThru/DeleteFrom by price, against a BTreeMap per side.
#[test]
fn price_keyed_book_matches_a_btreemap_model() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in SEEDS {
        let mut rng = Rng(seed);
        let (depth, max_levels) = (1 + rng.below(5), 8);
        let mut book = Book::new(depth, max_levels, 0);
        let mut model = PriceModel::default();
        let mut mirror = Mirror::new();
        for step in 0..STEPS {
            let side = SIDES[rng.below(2)];
            let p = 90 + rng.below(20) as i64;
            let roll = rng.below(100);
            let action = match roll {
                0..=39 => UpdateAction::New,
                40..=59 => UpdateAction::Change,
                60..=64 => UpdateAction::Overlay,
                65..=91 => UpdateAction::Delete,
                92..=95 => UpdateAction::DeleteThru,
                _ => UpdateAction::DeleteFrom,
            };
            let mut e = MdEntry::new(action, kind(side));
            e.price = Some(px(p));
            let size = if rng.below(10) == 0 {
                0
            } else {
                1 + rng.below(1000) as i64
            };
            e.size = Some(Qty(size));
            if rng.below(2) == 0 {
                e.orders = Some(1 + rng.below(9) as u32);
            }
            let m = &mut model.sides[si(side)];
            let key = px(p).0;
            let want: Result<(), BookError> = match action {
                UpdateAction::Delete => m
                    .remove(&key)
                    .map(|_| ())
                    .ok_or(BookError::UnknownLevel { price: px(p) }),
                UpdateAction::DeleteThru | UpdateAction::DeleteFrom => {
                    let better_or_at = |k: i64| match side {
                        BookSide::Bid => k >= key,
                        BookSide::Ask => k <= key,
                    };
                    let worse_or_at = |k: i64| match side {
                        BookSide::Bid => k <= key,
                        BookSide::Ask => k >= key,
                    };
                    if action == UpdateAction::DeleteThru {
                        m.retain(|k, _| !better_or_at(*k));
                    } else {
                        m.retain(|k, _| !worse_or_at(*k));
                    }
                    Ok(())
                }
                _ if size == 0 => {
                    m.remove(&key);
                    Ok(())
                }
                _ if !m.contains_key(&key) && m.len() == max_levels => {
                    Err(BookError::Full(Limit::Levels(side)))
                }
                _ => {
                    m.insert(key, (size, e.orders.unwrap_or(1)));
                    Ok(())
                }
            };
            let ctx = format!("seed {seed:#x} step {step} {action:?} {side:?} {p}");
            let got = book.apply(&e).map(|_| ());
            assert_eq!(got, want, "{ctx}");
            seen.insert(outcome(&got));
            check_visible(&mut book, model.best_first(), &ctx);
            if rng.below(3) == 0 {
                mirror.replay(&mut book, &ctx);
            }
        }
        mirror.replay(&mut book, "end");
    }
    assert_covered(&seen, &["ok", "UnknownLevel", "Full"], "price keyed");
}

// ---------------------------------------------------------------------------
// Keyed by position
// ---------------------------------------------------------------------------

fn better(side: BookSide, a: i64, b: i64) -> bool {
    match side {
        BookSide::Bid => a > b,
        BookSide::Ask => a < b,
    }
}

/// Position-keyed New (insert, the worst beyond `max_levels` falls off),
/// Change and Delete at a 1-based position, against a best-first Vec,
/// including positions out of range, out-of-order prices and zero sizes.
#[test]
fn position_keyed_book_matches_a_vec_model() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in SEEDS {
        let mut rng = Rng(seed);
        let depth = 1 + rng.below(5);
        let max_levels = depth + rng.below(4);
        let mut book = Book::new(depth, max_levels, 0);
        let mut model: [Vec<Level>; 2] = [Vec::new(), Vec::new()];
        let mut mirror = Mirror::new();
        let mut applied = 0;
        for step in 0..STEPS {
            let side = SIDES[rng.below(2)];
            let m = &mut model[si(side)];
            let len = m.len();
            let roll = rng.below(100);
            let action = match roll {
                0..=44 => UpdateAction::New,
                45..=69 => UpdateAction::Change,
                _ => UpdateAction::Delete,
            };
            let position = 1 + rng.below(len + 2);
            let i = position - 1;
            let mut e = MdEntry::new(action, kind(side));
            e.position = Some(position as u16);
            let size = if rng.below(20) == 0 {
                0
            } else {
                1 + rng.below(100) as i64
            };
            // A price between the neighbours the level will have, mostly.
            let sign = if side == BookSide::Bid { 1 } else { -1 };
            let (better_n, worse_n) = match action {
                UpdateAction::New => (
                    i.checked_sub(1).and_then(|b| m.get(b)).map(|l| l.price.0),
                    m.get(i).map(|l| l.price.0),
                ),
                _ => (
                    i.checked_sub(1).and_then(|b| m.get(b)).map(|l| l.price.0),
                    m.get(i + 1).map(|l| l.price.0),
                ),
            };
            let hi = better_n.unwrap_or(1_000_000 * sign * 1000 + sign * 50_000_000);
            let lo = worse_n.unwrap_or(1_000_000 * sign * 1000 - sign * 50_000_000);
            let gap = (hi - lo).abs();
            let price = if gap > 1 && rng.below(10) != 0 {
                lo + sign * (1 + rng.below(gap as usize - 1) as i64)
            } else {
                sign * 1_000_000_000 + rng.below(100) as i64 * 1_000_000
            };
            let change_price = action != UpdateAction::Change || rng.below(4) == 0;
            if change_price {
                e.price = Some(Price(price));
            }
            e.size = Some(Qty(size));
            let in_order = |p: i64| {
                better_n.is_none_or(|b| better(side, b, p))
                    && worse_n.is_none_or(|w| better(side, p, w))
            };
            let oor = BookError::PositionOutOfRange {
                position: position as u16,
                len,
            };
            let want: Result<(), BookError> = match action {
                UpdateAction::New => {
                    if i > len || i >= max_levels {
                        Err(oor)
                    } else if size == 0 {
                        Err(BookError::ZeroSize)
                    } else if !in_order(price) {
                        Err(BookError::OutOfOrder {
                            position: position as u16,
                        })
                    } else {
                        if len == max_levels {
                            m.pop();
                        }
                        m.insert(
                            i,
                            Level {
                                price: Price(price),
                                qty: Qty(size),
                                orders: 1,
                            },
                        );
                        Ok(())
                    }
                }
                UpdateAction::Delete => {
                    if i >= len {
                        Err(oor)
                    } else {
                        m.remove(i);
                        Ok(())
                    }
                }
                _ => {
                    let p = if change_price {
                        Some(price)
                    } else {
                        m.get(i).map(|l| l.price.0)
                    };
                    if i >= len {
                        Err(oor)
                    } else if size == 0 {
                        Err(BookError::ZeroSize)
                    } else if !in_order(p.unwrap()) {
                        Err(BookError::OutOfOrder {
                            position: position as u16,
                        })
                    } else {
                        m[i].price = Price(p.unwrap());
                        m[i].qty = Qty(size);
                        Ok(())
                    }
                }
            };
            let ctx =
                format!("seed {seed:#x} step {step} {action:?} {side:?} pos {position} px {price}");
            let got = book.apply(&e).map(|_| ());
            assert_eq!(got, want, "{ctx}");
            applied += got.is_ok() as usize;
            seen.insert(outcome(&got));
            check_visible(&mut book, model.clone(), &ctx);
            if rng.below(3) == 0 {
                mirror.replay(&mut book, &ctx);
            }
        }
        assert!(
            applied > STEPS / 3,
            "seed {seed:#x}: only {applied} ops applied"
        );
        mirror.replay(&mut book, "end");
    }
    assert_covered(
        &seen,
        &["ok", "PositionOutOfRange", "OutOfOrder", "ZeroSize"],
        "position keyed",
    );
}

// ---------------------------------------------------------------------------
// Keyed by entry id
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct RefEntry {
    side: BookSide,
    price: i64,
    qty: i64,
}

fn aggregate(entries: &HashMap<Vec<u8>, RefEntry>) -> [Vec<Level>; 2] {
    let mut sides: [BTreeMap<i64, (i64, u32)>; 2] = Default::default();
    for e in entries.values() {
        let l = sides[si(e.side)].entry(e.price).or_default();
        l.0 += e.qty;
        l.1 += 1;
    }
    let lv = |(p, (q, o)): (&i64, &(i64, u32))| Level {
        price: Price(*p),
        qty: Qty(*q),
        orders: *o,
    };
    [
        sides[0].iter().rev().map(lv).collect(),
        sides[1].iter().map(lv).collect(),
    ]
}

fn levels_on(entries: &HashMap<Vec<u8>, RefEntry>, side: BookSide) -> usize {
    aggregate(entries)[si(side)].len()
}

/// Id-keyed New, Change (size, price, rename by 280, size 0 deletes,
/// 269 left out or naming the wrong side) and Delete, against a HashMap of
/// orders aggregated into levels, with the entry and level limits reached.
#[test]
fn id_keyed_book_matches_a_hashmap_model() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in SEEDS {
        let mut rng = Rng(seed);
        let depth = 1 + rng.below(5);
        let max_levels = depth + 2 + rng.below(8);
        let max_entries = 8 + rng.below(40);
        let mut book = Book::new(depth, max_levels, max_entries);
        let mut model: HashMap<Vec<u8>, RefEntry> = HashMap::new();
        let mut mirror = Mirror::new();
        let mut applied = 0;
        let ids: Vec<Vec<u8>> = (0..64)
            .map(|i| {
                // Ids of varied lengths, up to the 32-byte limit.
                let mut id = format!("ORD-{i}-").into_bytes();
                id.resize(5 + (i * 7) % 28, b'x');
                id
            })
            .collect();
        for step in 0..STEPS {
            let roll = rng.below(100);
            let action = match roll {
                0..=44 => UpdateAction::New,
                45..=74 => UpdateAction::Change,
                _ => UpdateAction::Delete,
            };
            // Mostly an id that fits the action (unknown for New, known
            // otherwise); sometimes not, for the error paths.
            let mut id = ids[rng.below(ids.len())].clone();
            for _ in 0..4 {
                if model.contains_key(&id) == (action != UpdateAction::New) {
                    break;
                }
                id = ids[rng.below(ids.len())].clone();
            }
            let known = model.get(&id).copied();
            let mut side = SIDES[rng.below(2)];
            if let (Some(k), true) = (known, rng.below(10) != 0) {
                side = k.side; // mostly the right side
            }
            let mut e = MdEntry::new(action, kind(side));
            let omit_kind = action != UpdateAction::New && rng.below(3) == 0;
            if omit_kind {
                e.kind = None;
            }
            let price = 95 + rng.below(12) as i64;
            let size = if rng.below(12) == 0 {
                0
            } else {
                1 + rng.below(500) as i64
            };
            let rename = if action == UpdateAction::Change && rng.below(5) == 0 {
                Some(ids[rng.below(ids.len())].clone())
            } else {
                None
            };
            match action {
                UpdateAction::New => {
                    e.entry_id = Some(&id);
                    e.price = Some(px(price));
                    e.size = Some(Qty(size));
                }
                UpdateAction::Change => {
                    match &rename {
                        Some(new) => {
                            e.ref_id = Some(&id);
                            e.entry_id = Some(new);
                        }
                        None => e.entry_id = Some(&id),
                    }
                    if rng.below(2) == 0 {
                        e.price = Some(px(price));
                    }
                    if rng.below(4) != 0 {
                        e.size = Some(Qty(size));
                    }
                }
                _ => e.entry_id = Some(&id),
            }
            let eff_side = if omit_kind {
                known.map(|k| k.side)
            } else {
                Some(side)
            };
            let want: Result<(), BookError> = match (action, known) {
                (UpdateAction::New, Some(_)) => Err(BookError::DuplicateEntryId),
                (UpdateAction::New, None) => {
                    let new_level = !aggregate(&model)[si(side)]
                        .iter()
                        .any(|l| l.price == px(price));
                    if size == 0 {
                        Err(BookError::ZeroSize)
                    } else if model.len() >= max_entries {
                        Err(BookError::Full(Limit::Entries))
                    } else if new_level && levels_on(&model, side) == max_levels {
                        Err(BookError::Full(Limit::Levels(side)))
                    } else {
                        model.insert(
                            id.clone(),
                            RefEntry {
                                side,
                                price: px(price).0,
                                qty: size,
                            },
                        );
                        Ok(())
                    }
                }
                (_, None) => Err(BookError::UnknownEntryId),
                (_, Some(k)) if eff_side != Some(k.side) => Err(BookError::SideMismatch),
                (UpdateAction::Delete, Some(_)) => {
                    model.remove(&id);
                    Ok(())
                }
                (_, Some(k)) => {
                    let new_price = e.price.map_or(k.price, |p| p.0);
                    let new_qty = e.size.map_or(k.qty, |q| q.0);
                    let agg = aggregate(&model);
                    let lv = &agg[si(k.side)];
                    let old_level_empties =
                        lv.iter().any(|l| l.price.0 == k.price && l.orders == 1);
                    let new_level = !lv.iter().any(|l| l.price.0 == new_price);
                    let renamed_to = rename.as_ref().filter(|n| **n != id);
                    if new_qty == 0 {
                        model.remove(&id);
                        Ok(())
                    } else if renamed_to.is_some_and(|n| model.contains_key(n)) {
                        Err(BookError::DuplicateEntryId)
                    } else if new_price != k.price
                        && new_level
                        && lv.len() == max_levels
                        && !old_level_empties
                    {
                        Err(BookError::Full(Limit::Levels(k.side)))
                    } else {
                        model.remove(&id);
                        model.insert(
                            renamed_to.cloned().unwrap_or(id.clone()),
                            RefEntry {
                                side: k.side,
                                price: new_price,
                                qty: new_qty,
                            },
                        );
                        Ok(())
                    }
                }
            };
            let ctx = format!(
                "seed {seed:#x} step {step} {action:?} {side:?} id {} px {price} size {size}",
                String::from_utf8_lossy(&id)
            );
            let got = book.apply(&e).map(|_| ());
            assert_eq!(got, want, "{ctx}");
            applied += got.is_ok() as usize;
            seen.insert(outcome(&got));
            assert_eq!(book.entries(), model.len(), "{ctx}: entries held");
            check_visible(&mut book, aggregate(&model), &ctx);
            for side in SIDES {
                assert_eq!(
                    book.levels_kept(side),
                    levels_on(&model, side),
                    "{ctx}: {side:?} levels kept"
                );
            }
            if rng.below(3) == 0 {
                mirror.replay(&mut book, &ctx);
            }
        }
        assert!(
            applied > STEPS / 5,
            "seed {seed:#x}: only {applied} ops applied"
        );
        mirror.replay(&mut book, "end");
    }
    assert_covered(
        &seen,
        &[
            "ok",
            "DuplicateEntryId",
            "UnknownEntryId",
            "SideMismatch",
            "ZeroSize",
            "Full",
        ],
        "id keyed",
    );
}
