//! What the strategy sees: non-coalescable events (pushed or queued in
//! order), book batches (pushed whole, or the instrument goes dirty and a
//! later turn pushes the difference), the shown view each batch updates,
//! and the `TopOfBook` that ends every batch.

use super::lifecycle::request_depth;
use super::{EventOut, MarketData, Shown, NONE};
use crate::md::book::{Book, BookSide};
use crate::strategy::{Event, InstrumentId, Price, Qty, Side, TopOfBook};

impl MarketData {
    /// Instrument `i`'s batch after a change.
    #[inline]
    pub(super) fn emit(&mut self, i: usize, out: &mut EventOut<'_>) {
        self.emit_batch(i, out, false);
    }

    /// Room for `n` more market-data events now.
    #[inline]
    fn room(&self, out: &EventOut<'_>, n: usize) -> bool {
        !out.orders_waiting && out.port.free_event_slots() >= n + self.reserve
    }

    /// A non-coalescable event: pushed now, or queued behind earlier ones.
    pub(super) fn push_event(&mut self, out: &mut EventOut<'_>, e: Event) {
        if self.queue.is_empty() && self.room(out, 1) && out.port.push_event(e) {
            return;
        }
        if self.queue.len() < self.queue_max {
            self.queue.push_back(e);
        } else {
            self.counters.events_dropped += 1;
        }
    }

    /// Queued events, then dirty batches, as room allows.
    pub(super) fn flush(&mut self, out: &mut EventOut<'_>) -> usize {
        let mut n = 0;
        while let Some(&e) = self.queue.front() {
            if !self.room(out, 1) || !out.port.push_event(e) {
                return n;
            }
            self.queue.pop_front();
            n += 1;
        }
        if self.dirty > 0 {
            for i in 0..self.subs.len() {
                if self.subs[i].dirty {
                    self.emit_batch(i, out, true);
                    if self.subs[i].dirty {
                        break;
                    }
                    n += 1;
                }
            }
        }
        n
    }

    /// Builds and pushes instrument `i`'s batch, or marks it dirty.
    /// `retry`: a dirty instrument's turn in [`MarketData::flush`] (not a
    /// new batch, so not counted again when it still does not fit).
    fn emit_batch(&mut self, i: usize, out: &mut EventOut<'_>, retry: bool) {
        let changes = self.books[i].take_changes();
        let s = &mut self.subs[i];
        if !s.active {
            return;
        }
        for (k, side) in [changes.bids, changes.asks].iter().enumerate() {
            if let Some(f) = side.first {
                s.from[k] = s.from[k].min(f.min(usize::from(NONE - 1)) as u16);
            }
        }
        let book = &self.books[i];
        let instrument = InstrumentId(i as u16);
        self.batch.clear();
        let depth = usize::from(request_depth(s.want, s.depth));
        if depth > 1 {
            for (k, side) in [BookSide::Bid, BookSide::Ask].into_iter().enumerate() {
                if s.from[k] == NONE {
                    continue;
                }
                let levels = book.levels(side);
                let len = levels.len().min(depth);
                let end = len.max(usize::from(s.shown_len[k]));
                for l in usize::from(s.from[k])..end {
                    let now = levels.get(l).filter(|_| l < len).map(Shown::from);
                    let was = (l < usize::from(s.shown_len[k])).then(|| s.shown[k][l]);
                    if now == was {
                        continue;
                    }
                    let v = now.unwrap_or_default();
                    self.batch.push(Event::BookLevel {
                        instrument,
                        side: if k == 0 { Side::Buy } else { Side::Sell },
                        level: l as u16,
                        price: v.price,
                        qty: v.qty,
                        orders: v.orders,
                    });
                }
            }
        }
        let top = top_of_book(instrument, book, s.seq);
        let top_key = (top.bid, top.bid_qty, top.ask, top.ask_qty);
        if !self.batch.is_empty() || top_key != s.shown_top || s.force_top {
            self.batch.push(Event::TopOfBook(top));
        }
        if self.batch.is_empty() {
            s.from = [NONE; 2];
            if s.dirty {
                s.dirty = false;
                self.dirty -= 1;
            }
            return;
        }
        let fits = self.queue.is_empty()
            && !out.orders_waiting
            && out.port.free_event_slots() >= self.batch.len() + self.reserve;
        if !fits {
            if !retry {
                self.counters.coalesced += 1;
            }
            if !s.dirty {
                s.dirty = true;
                self.dirty += 1;
            }
            return;
        }
        for &e in &self.batch {
            let pushed = out.port.push_event(e);
            debug_assert!(pushed, "room was checked");
        }
        // Every batch ends with its TopOfBook.
        self.counters.tops += 1;
        // The strategy's view is now the book's.
        if depth > 1 {
            for (k, side) in [BookSide::Bid, BookSide::Ask].into_iter().enumerate() {
                let levels = book.levels(side);
                let len = levels.len().min(depth);
                for l in 0..len {
                    s.shown[k][l] = levels.get(l).map(Shown::from).unwrap_or_default();
                }
                s.shown_len[k] = len as u16;
            }
        }
        s.shown_top = top_key;
        s.from = [NONE; 2];
        s.force_top = false;
        if s.dirty {
            s.dirty = false;
            self.dirty -= 1;
        }
    }
}

/// The book's best bid and offer with spread and imbalance.
fn top_of_book(instrument: InstrumentId, book: &Book, seq: u32) -> TopOfBook {
    let top = book.top();
    let (bid, bid_qty) = top.bid.map_or((Price(0), Qty(0)), |l| (l.price, l.qty));
    let (ask, ask_qty) = top.ask.map_or((Price(0), Qty(0)), |l| (l.price, l.qty));
    let spread = if top.bid.is_some() && top.ask.is_some() {
        Price(ask.0 - bid.0)
    } else {
        Price(0)
    };
    let total = i128::from(bid_qty.0) + i128::from(ask_qty.0);
    let imbalance = if total > 0 {
        ((i128::from(bid_qty.0) - i128::from(ask_qty.0)) * 1_000_000 / total) as i32
    } else {
        0
    };
    TopOfBook {
        instrument,
        bid,
        bid_qty,
        ask,
        ask_qty,
        spread,
        imbalance,
        seq,
    }
}
