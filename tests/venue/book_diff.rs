//! The matching engine against a reference model: a plain `Vec` of orders
//! matched by sorting on (price, arrival) at every step. Thousands of seeded
//! random operations — limit and market orders in all four TimeInForces,
//! cancels (also of orders already gone), amends that keep or lose
//! priority — must give the same fills, the same execution results and the
//! same book, order by order, after every operation.

use crate::common::Rng;
use fixrail::venue::book::{
    Amended, Book, CancelReason, Execution, Fill, OrderSpec, Outcome, RestingId, Side, TimeInForce,
};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy)]
struct RefOrder {
    key: u32,
    side: Side,
    price: i64,
    leaves: u64,
    arrival: u64,
}

/// What happened to the rest of an order, without the book's opaque id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Filled,
    Rested,
    Canceled(CancelReason),
}

#[derive(Debug, Default)]
struct RefBook {
    orders: Vec<RefOrder>,
    arrivals: u64,
    capacity: usize,
}

fn better(side: Side, a: i64, b: i64) -> bool {
    match side {
        Side::Buy => a > b,
        Side::Sell => a < b,
    }
}

impl RefBook {
    fn crosses(side: Side, limit: Option<i64>, resting: i64) -> bool {
        match (side, limit) {
            (_, None) => true,
            (Side::Buy, Some(p)) => resting <= p,
            (Side::Sell, Some(p)) => resting >= p,
        }
    }

    /// The index of the best resting order `side` can trade with.
    fn best_match(&self, side: Side, limit: Option<i64>) -> Option<usize> {
        let mut best: Option<usize> = None;
        for (i, o) in self.orders.iter().enumerate() {
            if o.side == side || !Self::crosses(side, limit, o.price) {
                continue;
            }
            best = match best {
                None => Some(i),
                Some(b) => {
                    let ob = &self.orders[b];
                    if better(o.side, o.price, ob.price)
                        || (o.price == ob.price && o.arrival < ob.arrival)
                    {
                        Some(i)
                    } else {
                        Some(b)
                    }
                }
            };
        }
        best
    }

    fn submit(&mut self, o: OrderSpec) -> (Vec<Fill>, u64, u64, Kind) {
        let available: u64 = self
            .orders
            .iter()
            .filter(|r| r.side != o.side && Self::crosses(o.side, o.price, r.price))
            .map(|r| r.leaves)
            .sum();
        if o.tif == TimeInForce::Fok && available < o.qty {
            return (vec![], 0, o.qty, Kind::Canceled(CancelReason::Fok));
        }
        let mut fills = Vec::new();
        let mut qty = o.qty;
        while qty > 0 {
            let Some(i) = self.best_match(o.side, o.price) else {
                break;
            };
            let traded = qty.min(self.orders[i].leaves);
            qty -= traded;
            self.orders[i].leaves -= traded;
            fills.push(Fill {
                maker: self.orders[i].key,
                price: self.orders[i].price,
                qty: traded,
                maker_leaves: self.orders[i].leaves,
            });
            if self.orders[i].leaves == 0 {
                self.orders.remove(i);
            }
        }
        let kind = if qty == 0 {
            Kind::Filled
        } else {
            match (o.price, o.tif) {
                (None, _) => Kind::Canceled(CancelReason::NoLiquidity),
                (Some(_), TimeInForce::Ioc) => Kind::Canceled(CancelReason::Ioc),
                (Some(price), _) if self.orders.len() < self.capacity => {
                    self.arrivals += 1;
                    self.orders.push(RefOrder {
                        key: o.key,
                        side: o.side,
                        price,
                        leaves: qty,
                        arrival: self.arrivals,
                    });
                    Kind::Rested
                }
                (Some(_), _) => Kind::Canceled(CancelReason::BookFull),
            }
        };
        (fills, o.qty - qty, qty, kind)
    }

    fn cancel(&mut self, key: u32) -> Option<u64> {
        let i = self.orders.iter().position(|o| o.key == key)?;
        Some(self.orders.remove(i).leaves)
    }

    /// `None`: the order is gone. `Some(None)`: amended in place.
    #[allow(clippy::type_complexity)]
    fn amend(
        &mut self,
        key: u32,
        price: i64,
        leaves: u64,
    ) -> Option<Option<(Vec<Fill>, u64, u64, Kind)>> {
        let i = self.orders.iter().position(|o| o.key == key)?;
        let o = self.orders[i];
        if price == o.price && leaves <= o.leaves {
            self.orders[i].leaves = leaves;
            return Some(None);
        }
        self.orders.remove(i);
        Some(Some(self.submit(OrderSpec {
            key,
            side: o.side,
            price: Some(price),
            qty: leaves,
            tif: TimeInForce::Gtc,
        })))
    }

    /// One side in priority order: (key, price, leaves).
    fn side(&self, side: Side) -> Vec<(u32, i64, u64)> {
        let mut v: Vec<&RefOrder> = self.orders.iter().filter(|o| o.side == side).collect();
        v.sort_by(|a, b| {
            let by_price = match side {
                Side::Buy => b.price.cmp(&a.price),
                Side::Sell => a.price.cmp(&b.price),
            };
            by_price.then(a.arrival.cmp(&b.arrival))
        });
        v.iter().map(|o| (o.key, o.price, o.leaves)).collect()
    }
}

fn kind(e: &Execution) -> Kind {
    match e.outcome {
        Outcome::Filled => Kind::Filled,
        Outcome::Rested(_) => Kind::Rested,
        Outcome::Canceled(r) => Kind::Canceled(r),
    }
}

fn book_side(b: &Book, side: Side) -> Vec<(u32, i64, u64)> {
    let mut v = Vec::new();
    b.for_each_order(side, |k, p, l| v.push((k, p, l)));
    v
}

/// The book's own aggregates agree with its orders.
fn check_levels(b: &Book, side: Side, orders: &[(u32, i64, u64)]) {
    let mut expect: Vec<(i64, u64, u32)> = Vec::new();
    for &(_, p, l) in orders {
        match expect.last_mut() {
            Some(last) if last.0 == p => {
                last.1 += l;
                last.2 += 1;
            }
            _ => expect.push((p, l, 1)),
        }
    }
    let got: Vec<(i64, u64, u32)> = b.levels(side).map(|l| (l.price, l.qty, l.orders)).collect();
    assert_eq!(got, expect, "{side:?} levels");
    assert_eq!(b.best(side), expect.first().map(|l| (l.0, l.1)));
}

fn run(seed: u64, capacity: usize, ops: usize) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut book = Book::new(capacity);
    let mut model = RefBook {
        capacity,
        ..RefBook::default()
    };
    let mut ids: HashMap<u32, RestingId> = HashMap::new();
    let mut gone: Vec<RestingId> = Vec::new();
    let mut next_key = 0u32;
    let tifs = [
        TimeInForce::Day,
        TimeInForce::Gtc,
        TimeInForce::Ioc,
        TimeInForce::Fok,
    ];
    for step in 0..ops {
        let ctx = || format!("seed {seed} capacity {capacity} step {step}");
        let roll = rng.below(100);
        let live: Vec<u32> = model.orders.iter().map(|o| o.key).collect();
        if roll < 55 || live.is_empty() {
            next_key += 1;
            let side = if rng.below(2) == 0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let price = if rng.below(10) == 0 {
                None
            } else {
                Some(95 + rng.below(11) as i64)
            };
            let o = OrderSpec {
                key: next_key,
                side,
                price,
                qty: 1 + rng.below(20) as u64,
                tif: tifs[[0, 0, 1, 1, 1, 2, 3][rng.below(7)]],
            };
            let e = book.submit(o);
            let (fills, filled, remaining, k) = model.submit(o);
            assert_eq!(book.fills(), &fills[..], "{}: fills of {o:?}", ctx());
            assert_eq!(
                (e.filled, e.remaining, kind(&e)),
                (filled, remaining, k),
                "{}: {o:?}",
                ctx()
            );
            if let Outcome::Rested(id) = e.outcome {
                ids.insert(o.key, id);
            }
        } else if roll < 75 {
            let key = live[rng.below(live.len())];
            let id = ids.remove(&key).expect("live order has an id");
            assert_eq!(
                book.cancel(id),
                model.cancel(key),
                "{}: cancel {key}",
                ctx()
            );
            gone.push(id);
        } else if roll < 97 {
            let key = live[rng.below(live.len())];
            let o = *model.orders.iter().find(|o| o.key == key).unwrap();
            let id = ids[&key];
            let (price, leaves) = match rng.below(3) {
                // Lower the quantity only: keeps priority.
                0 => (o.price, 1 + rng.below(o.leaves as usize) as u64),
                // More quantity.
                1 => (o.price, o.leaves + 1 + rng.below(5) as u64),
                // A new price.
                _ => (95 + rng.below(11) as i64, 1 + rng.below(20) as u64),
            };
            let got = book.amend(id, price, leaves).expect("live order amends");
            let want = model.amend(key, price, leaves).expect("live in the model");
            match (got, want) {
                (Amended::KeptPriority(new_id), None) => assert_eq!(new_id, id),
                (Amended::Requeued(e), Some((fills, filled, remaining, k))) => {
                    assert_eq!(book.fills(), &fills[..], "{}: fills of amend {key}", ctx());
                    assert_eq!(
                        (e.filled, e.remaining, kind(&e)),
                        (filled, remaining, k),
                        "{}",
                        ctx()
                    );
                    ids.remove(&key);
                    gone.push(id);
                    if let Outcome::Rested(new_id) = e.outcome {
                        ids.insert(key, new_id);
                    }
                }
                (g, w) => panic!("{}: amend {key}: book {g:?}, model {w:?}", ctx()),
            }
        } else if let Some(&id) = gone.iter().rev().find(|g| !ids.values().any(|l| l == *g)) {
            // An id of an order that left (and that no live order has been
            // given again — a re-queued order may get its slot back):
            // refused, never another order.
            assert_eq!(book.cancel(id), None, "{}: stale cancel", ctx());
            assert_eq!(book.amend(id, 100, 1), None, "{}: stale amend", ctx());
            assert_eq!(book.resting(id), None);
        }
        // Makers that left the book lose their ids.
        let fills: Vec<Fill> = book.fills().to_vec();
        for f in fills.iter().filter(|f| f.maker_leaves == 0) {
            if let Some(id) = ids.remove(&f.maker) {
                gone.push(id);
            }
        }
        for side in [Side::Buy, Side::Sell] {
            let want = model.side(side);
            let got = book_side(&book, side);
            assert_eq!(got, want, "{}: {side:?} book", ctx());
            check_levels(&book, side, &got);
        }
        assert_eq!(book.len(), model.orders.len(), "{}", ctx());
        assert!(book.len() <= capacity);
    }
}

#[test]
fn matching_agrees_with_the_reference_model() {
    for seed in 1..=12 {
        run(seed, 1_000, 4_000);
    }
}

#[test]
fn matching_agrees_with_the_reference_model_when_the_book_is_full() {
    for seed in 100..=111 {
        run(seed, 12, 4_000);
    }
}
