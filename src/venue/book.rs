//! One instrument's limit order book and price-time matching engine.
//!
//! Owns resting orders and their priority, nothing else: it knows no FIX, no
//! sessions, no ClOrdIDs and no clock. Orders are named by the caller's `key`
//! (a `u32`, the venue's order record index); prices are integer ticks and
//! quantities integer lots, so the book does no decimal arithmetic.
//!
//! Everything is allocated in [`Book::new`] for `capacity` resting orders:
//! order slots on a free list, price levels from a pool (a level exists only
//! while it holds an order, so `capacity` levels suffice), each side's levels
//! in a sorted array with the best price last (new levels go in by binary
//! search and an in-capacity shift; the best level leaves by a pop), and the
//! fills buffer (one call fills at most every resting order). Within a level
//! orders form an index-linked FIFO. After construction no call allocates.
//!
//! Driving contract: call [`Book::submit`], [`Book::cancel`] or
//! [`Book::amend`]; the fills of the last `submit`/`amend` are in
//! [`Book::fills`] until the next call. A fill trades at the resting
//! (maker) order's price. Behaviour is deterministic: the same calls give the
//! same fills.
//!
//! Rules: limit orders trade against the opposite side at their price or
//! better, best price first, oldest first within a price; what is left rests
//! (Day and GTC alike — the book has no trading day) unless the order is IOC
//! (the rest is cancelled) or FOK (nothing trades unless all of it can, at
//! once). Market orders take whatever the other side has and never rest. An
//! amend that only lowers the quantity keeps the order's place; any other
//! amend (price change, more quantity) takes it out and puts it back as a
//! new order, which may trade at once. An order that would rest when every
//! slot is taken is cancelled ([`Outcome::Canceled`] with
//! [`CancelReason::BookFull`]).

/// Buy or sell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// Bid.
    Buy,
    /// Offer.
    Sell,
}

impl Side {
    /// The other side.
    pub fn opposite(self) -> Side {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }
}

/// How long an order may live (FIX TimeInForce, the four the venue takes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeInForce {
    /// Day (59=0): rests; the venue has no trading day end, so as GTC.
    Day,
    /// Good till cancel (59=1): rests.
    Gtc,
    /// Immediate or cancel (59=3): trades what it can now, the rest is cancelled.
    Ioc,
    /// Fill or kill (59=4): all of it now, or nothing.
    Fok,
}

/// An order handed to [`Book::submit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderSpec {
    /// The caller's name for the order (reported in fills).
    pub key: u32,
    /// Buy or sell.
    pub side: Side,
    /// Limit price in ticks; `None` for a market order.
    pub price: Option<i64>,
    /// Quantity in lots (more than zero).
    pub qty: u64,
    /// Time in force.
    pub tif: TimeInForce,
}

/// One trade between the incoming order and a resting one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fill {
    /// The resting order's key.
    pub maker: u32,
    /// The trade price in ticks (the resting order's price).
    pub price: i64,
    /// Lots traded.
    pub qty: u64,
    /// What the resting order has left after this fill (0: it left the book).
    pub maker_leaves: u64,
}

/// A resting order, as [`Book::submit`] or [`Book::amend`] reports it. It is
/// valid until the order leaves the book; a stale id is refused, never
/// mistaken for another order (the key is checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestingId {
    slot: u32,
    key: u32,
}

/// Why the unfilled part of an order was cancelled by the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    /// IOC: the rest could not trade at once.
    Ioc,
    /// FOK: the whole quantity could not trade at once; nothing traded.
    Fok,
    /// A market order found no more liquidity.
    NoLiquidity,
    /// The rest would have rested but every slot is taken.
    BookFull,
}

/// What happened to the part of an order that did not trade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything traded.
    Filled,
    /// The rest is in the book.
    Rested(RestingId),
    /// The rest was cancelled.
    Canceled(CancelReason),
}

/// The result of a [`Book::submit`] (or of an amend that re-queued).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Execution {
    /// Lots traded by this call (the sum of [`Book::fills`]).
    pub filled: u64,
    /// Lots that did not trade (resting or cancelled, per `outcome`).
    pub remaining: u64,
    /// What became of them.
    pub outcome: Outcome,
}

/// The result of a successful [`Book::amend`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Amended {
    /// Quantity lowered in place; the order kept its time priority.
    KeptPriority(RestingId),
    /// Taken out and entered again as a new order (it may have traded:
    /// see [`Book::fills`]).
    Requeued(Execution),
}

/// One price level as [`Book::levels`] shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelView {
    /// Price in ticks.
    pub price: i64,
    /// Total lots resting at it.
    pub qty: u64,
    /// Number of orders.
    pub orders: u32,
}

const NONE: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u32,
    side: Side,
    live: bool,
    price: i64,
    leaves: u64,
    level: u32,
    prev: u32,
    /// Next in the level's FIFO, or next free slot.
    next: u32,
}

#[derive(Debug, Clone, Copy)]
struct Level {
    price: i64,
    qty: u64,
    orders: u32,
    head: u32,
    tail: u32,
}

/// A price-time priority order book for one instrument (see the module doc).
#[derive(Debug)]
pub struct Book {
    slots: Vec<Slot>,
    free_slot: u32,
    levels: Vec<Level>,
    free_levels: Vec<u32>,
    /// Bid levels by ascending price: best (highest) last.
    bids: Vec<u32>,
    /// Ask levels by descending price: best (lowest) last.
    asks: Vec<u32>,
    fills: Vec<Fill>,
    resting: usize,
}

impl Book {
    /// A book for at most `capacity` resting orders (at least 1), with every
    /// table allocated now.
    pub fn new(capacity: usize) -> Book {
        let capacity = capacity.clamp(1, NONE as usize - 1);
        let slots = (0..capacity)
            .map(|i| Slot {
                key: 0,
                side: Side::Buy,
                live: false,
                price: 0,
                leaves: 0,
                level: NONE,
                prev: NONE,
                next: if i + 1 < capacity { i as u32 + 1 } else { NONE },
            })
            .collect();
        let levels = vec![
            Level {
                price: 0,
                qty: 0,
                orders: 0,
                head: NONE,
                tail: NONE,
            };
            capacity
        ];
        Book {
            slots,
            free_slot: 0,
            levels,
            free_levels: (0..capacity as u32).rev().collect(),
            bids: Vec::with_capacity(capacity),
            asks: Vec::with_capacity(capacity),
            fills: Vec::with_capacity(capacity),
            resting: 0,
        }
    }

    /// The most orders that can rest.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Orders resting now.
    pub fn len(&self) -> usize {
        self.resting
    }

    /// True when nothing rests.
    pub fn is_empty(&self) -> bool {
        self.resting == 0
    }

    /// The fills of the last [`Book::submit`] or [`Book::amend`], in order.
    pub fn fills(&self) -> &[Fill] {
        &self.fills
    }

    /// Matches `order` against the other side, then rests, or cancels, what
    /// is left. Fills are in [`Book::fills`]. A zero quantity trades nothing
    /// and is reported cancelled (callers validate quantities first).
    pub fn submit(&mut self, order: OrderSpec) -> Execution {
        self.fills.clear();
        if order.qty == 0 {
            return Execution {
                filled: 0,
                remaining: 0,
                outcome: Outcome::Canceled(CancelReason::Ioc),
            };
        }
        if order.tif == TimeInForce::Fok
            && self.available(order.side, order.price, order.qty) < order.qty
        {
            return Execution {
                filled: 0,
                remaining: order.qty,
                outcome: Outcome::Canceled(CancelReason::Fok),
            };
        }
        let remaining = self.take(order.side, order.price, order.qty);
        let filled = order.qty - remaining;
        let outcome = if remaining == 0 {
            Outcome::Filled
        } else {
            match (order.price, order.tif) {
                (None, _) => Outcome::Canceled(CancelReason::NoLiquidity),
                (Some(_), TimeInForce::Ioc) => Outcome::Canceled(CancelReason::Ioc),
                (Some(_), TimeInForce::Fok) => {
                    unreachable!("a FOK order that passed the check fills completely")
                }
                (Some(price), TimeInForce::Day | TimeInForce::Gtc) => {
                    match self.rest(order.key, order.side, price, remaining) {
                        Some(id) => Outcome::Rested(id),
                        None => Outcome::Canceled(CancelReason::BookFull),
                    }
                }
            }
        };
        Execution {
            filled,
            remaining,
            outcome,
        }
    }

    /// Takes a resting order out; returns the lots it had left, or `None`
    /// when `id` is no longer in the book.
    pub fn cancel(&mut self, id: RestingId) -> Option<u64> {
        let leaves = self.resting(id)?.2;
        self.unlink(id.slot);
        Some(leaves)
    }

    /// Changes a resting order to `price` with `leaves` lots left (more than
    /// zero). Lowering the quantity at the same price keeps the order's
    /// place; anything else re-enters it as a new order (GTC), which may
    /// trade at once. `None` when `id` is no longer in the book or `leaves`
    /// is zero.
    pub fn amend(&mut self, id: RestingId, price: i64, leaves: u64) -> Option<Amended> {
        self.fills.clear();
        let (side, old_price, old_leaves) = self.resting(id)?;
        if leaves == 0 {
            return None;
        }
        if price == old_price && leaves <= old_leaves {
            let s = id.slot as usize;
            let level = self.slots[s].level as usize;
            self.levels[level].qty -= old_leaves - leaves;
            self.slots[s].leaves = leaves;
            return Some(Amended::KeptPriority(id));
        }
        self.unlink(id.slot);
        Some(Amended::Requeued(self.submit(OrderSpec {
            key: id.key,
            side,
            price: Some(price),
            qty: leaves,
            tif: TimeInForce::Gtc,
        })))
    }

    /// (side, price, lots left) of a resting order.
    pub fn resting(&self, id: RestingId) -> Option<(Side, i64, u64)> {
        let s = self.slots.get(id.slot as usize)?;
        (s.live && s.key == id.key).then_some((s.side, s.price, s.leaves))
    }

    /// The best price of `side` and the lots resting at it.
    pub fn best(&self, side: Side) -> Option<(i64, u64)> {
        let l = *self.side(side).last()?;
        let level = &self.levels[l as usize];
        Some((level.price, level.qty))
    }

    /// The levels of `side`, best first.
    pub fn levels(&self, side: Side) -> impl Iterator<Item = LevelView> + '_ {
        self.side(side).iter().rev().map(|&l| {
            let level = &self.levels[l as usize];
            LevelView {
                price: level.price,
                qty: level.qty,
                orders: level.orders,
            }
        })
    }

    /// Calls `f(key, price, leaves)` for every order of `side` in priority
    /// order (best price first, oldest first).
    pub fn for_each_order(&self, side: Side, mut f: impl FnMut(u32, i64, u64)) {
        for &l in self.side(side).iter().rev() {
            let mut s = self.levels[l as usize].head;
            while s != NONE {
                let slot = &self.slots[s as usize];
                f(slot.key, slot.price, slot.leaves);
                s = slot.next;
            }
        }
    }

    /// Calls `f(key, price, leaves)` for the first `n` orders of `side` in
    /// priority order (best price first, oldest first).
    pub fn top_orders(&self, side: Side, n: usize, mut f: impl FnMut(u32, i64, u64)) {
        let mut left = n;
        for &l in self.side(side).iter().rev() {
            let mut s = self.levels[l as usize].head;
            while s != NONE {
                if left == 0 {
                    return;
                }
                let slot = &self.slots[s as usize];
                f(slot.key, slot.price, slot.leaves);
                left -= 1;
                s = slot.next;
            }
        }
    }

    fn side(&self, side: Side) -> &Vec<u32> {
        match side {
            Side::Buy => &self.bids,
            Side::Sell => &self.asks,
        }
    }

    /// Whether a resting price is acceptable to an incoming order of `side`
    /// with limit `limit` (`None`: market).
    fn crosses(side: Side, limit: Option<i64>, resting: i64) -> bool {
        match (side, limit) {
            (_, None) => true,
            (Side::Buy, Some(p)) => resting <= p,
            (Side::Sell, Some(p)) => resting >= p,
        }
    }

    /// Lots the other side offers an incoming order, counted until `need`.
    fn available(&self, side: Side, limit: Option<i64>, need: u64) -> u64 {
        let mut sum = 0u64;
        for &l in self.side(side.opposite()).iter().rev() {
            let level = &self.levels[l as usize];
            if !Self::crosses(side, limit, level.price) {
                break;
            }
            sum = sum.saturating_add(level.qty);
            if sum >= need {
                break;
            }
        }
        sum
    }

    /// Trades up to `qty` against the other side; returns what is left.
    fn take(&mut self, side: Side, limit: Option<i64>, mut qty: u64) -> u64 {
        let other = side.opposite();
        while qty > 0 {
            let best = match other {
                Side::Buy => self.bids.last(),
                Side::Sell => self.asks.last(),
            };
            let Some(&l) = best else { break };
            let level = self.levels[l as usize];
            if !Self::crosses(side, limit, level.price) {
                break;
            }
            let s = level.head as usize;
            let maker = self.slots[s];
            let traded = qty.min(maker.leaves);
            qty -= traded;
            let maker_leaves = maker.leaves - traded;
            self.fills.push(Fill {
                maker: maker.key,
                price: level.price,
                qty: traded,
                maker_leaves,
            });
            if maker_leaves == 0 {
                self.unlink(s as u32);
            } else {
                self.slots[s].leaves = maker_leaves;
                self.levels[l as usize].qty -= traded;
            }
        }
        qty
    }

    /// Puts `leaves` lots at `price` at the back of its level; `None` when
    /// every slot is taken.
    fn rest(&mut self, key: u32, side: Side, price: i64, leaves: u64) -> Option<RestingId> {
        let s = self.free_slot;
        if s == NONE {
            return None;
        }
        self.free_slot = self.slots[s as usize].next;
        let list = match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        };
        let levels = &mut self.levels;
        // Bids ascend and asks descend, so the best price is last on both.
        let found = list.binary_search_by(|&l| {
            let p = levels[l as usize].price;
            match side {
                Side::Buy => p.cmp(&price),
                Side::Sell => price.cmp(&p),
            }
        });
        let l = match found {
            Ok(i) => list[i],
            Err(i) => {
                let l = self
                    .free_levels
                    .pop()
                    .expect("a free slot implies a free level: levels never outnumber orders");
                levels[l as usize] = Level {
                    price,
                    qty: 0,
                    orders: 0,
                    head: NONE,
                    tail: NONE,
                };
                debug_assert!(
                    list.len() < list.capacity(),
                    "side array sized for capacity"
                );
                list.insert(i, l);
                l
            }
        };
        let level = &mut levels[l as usize];
        let tail = level.tail;
        self.slots[s as usize] = Slot {
            key,
            side,
            live: true,
            price,
            leaves,
            level: l,
            prev: tail,
            next: NONE,
        };
        if tail == NONE {
            level.head = s;
        } else {
            self.slots[tail as usize].next = s;
        }
        level.tail = s;
        level.qty += leaves;
        level.orders += 1;
        self.resting += 1;
        Some(RestingId { slot: s, key })
    }

    /// Removes slot `s` from its level (and the level from its side when it
    /// empties) and frees it.
    fn unlink(&mut self, s: u32) {
        let slot = self.slots[s as usize];
        assert!(slot.live, "unlink of a free slot {s}");
        let l = slot.level as usize;
        if slot.prev == NONE {
            self.levels[l].head = slot.next;
        } else {
            self.slots[slot.prev as usize].next = slot.next;
        }
        if slot.next == NONE {
            self.levels[l].tail = slot.prev;
        } else {
            self.slots[slot.next as usize].prev = slot.prev;
        }
        let level = &mut self.levels[l];
        level.qty -= slot.leaves;
        level.orders -= 1;
        if level.orders == 0 {
            let price = level.price;
            let side = slot.side;
            let list = match side {
                Side::Buy => &mut self.bids,
                Side::Sell => &mut self.asks,
            };
            let levels = &self.levels;
            // The best level (last) is the common case: check it first.
            let at = if list.last() == Some(&(l as u32)) {
                list.len() - 1
            } else {
                list.binary_search_by(|&x| {
                    let p = levels[x as usize].price;
                    match side {
                        Side::Buy => p.cmp(&price),
                        Side::Sell => price.cmp(&p),
                    }
                })
                .expect("a live level is in its side's array")
            };
            list.remove(at);
            self.free_levels.push(l as u32);
        }
        self.slots[s as usize] = Slot {
            live: false,
            level: NONE,
            prev: NONE,
            next: self.free_slot,
            ..slot
        };
        self.free_slot = s;
        self.resting -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(key: u32, side: Side, price: i64, qty: u64) -> OrderSpec {
        OrderSpec {
            key,
            side,
            price: Some(price),
            qty,
            tif: TimeInForce::Day,
        }
    }

    #[test]
    fn price_then_time_priority() {
        let mut b = Book::new(8);
        b.submit(limit(1, Side::Sell, 101, 5));
        b.submit(limit(2, Side::Sell, 100, 5));
        b.submit(limit(3, Side::Sell, 100, 5));
        let e = b.submit(limit(4, Side::Buy, 101, 12));
        assert_eq!(e.filled, 12);
        let fills: Vec<(u32, i64, u64)> = b
            .fills()
            .iter()
            .map(|f| (f.maker, f.price, f.qty))
            .collect();
        assert_eq!(fills, [(2, 100, 5), (3, 100, 5), (1, 101, 2)]);
        assert_eq!(b.best(Side::Sell), Some((101, 3)));
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn fok_all_or_nothing_and_full_book() {
        let mut b = Book::new(2);
        b.submit(limit(1, Side::Sell, 100, 5));
        let e = b.submit(OrderSpec {
            tif: TimeInForce::Fok,
            ..limit(2, Side::Buy, 100, 6)
        });
        assert_eq!(e.outcome, Outcome::Canceled(CancelReason::Fok));
        assert!(b.fills().is_empty());
        b.submit(limit(3, Side::Buy, 90, 1));
        let e = b.submit(limit(4, Side::Buy, 91, 1));
        assert_eq!(e.outcome, Outcome::Canceled(CancelReason::BookFull));
    }
}
