//! The keyed operations of [`Book`]: by price, by position, by entry id,
//! and the DeleteThru/DeleteFrom ranges (the rules are in the parent
//! module's doc). Each checks everything that can fail before it changes
//! anything, so an error leaves the book as it was.
//!
//! Owns no state of its own; it may not touch anything outside the book.

use super::{side_of, Book, BookError, BookSide, Level, Limit, ENTRY_ID_MAX};
use crate::md::entry::{MdEntry, UpdateAction, TAG_MD_ENTRY_PX, TAG_MD_ENTRY_SIZE};
use crate::strategy::{Price, Qty};

impl Book {
    // ----- keyed by price ---------------------------------------------------

    pub(super) fn apply_price(
        &mut self,
        side: BookSide,
        e: &MdEntry<'_>,
        action: UpdateAction,
        snapshot: bool,
    ) -> Result<(), BookError> {
        let price = e.price.ok_or(BookError::Missing {
            tag: TAG_MD_ENTRY_PX,
        })?;
        let depth = self.depth;
        let max_levels = self.max_levels;
        let ladder = &mut self.sides[side.index()];
        let found = ladder.find(price.0);
        if action == UpdateAction::Delete {
            let k = found.map_err(|_| BookError::UnknownLevel { price })?;
            ladder.remove(k, depth);
            self.purge_ids(side, price.0, price.0);
            return Ok(());
        }
        let size = e
            .size
            .ok_or(BookError::Missing {
                tag: TAG_MD_ENTRY_SIZE,
            })?
            .0;
        let orders = e.orders.unwrap_or(1);
        if snapshot && size == 0 {
            return Ok(());
        }
        match found {
            Ok(k) if snapshot => {
                let l = &mut ladder.levels[k];
                l.qty.0 = l.qty.0.saturating_add(size);
                l.orders = l.orders.saturating_add(orders);
                ladder.touch(k, depth);
            }
            Ok(k) if size == 0 => {
                ladder.remove(k, depth);
                self.purge_ids(side, price.0, price.0);
            }
            Ok(k) => {
                let l = &mut ladder.levels[k];
                l.qty = Qty(size);
                l.orders = orders;
                ladder.touch(k, depth);
            }
            Err(_) if size == 0 => {}
            Err(k) => {
                if ladder.levels.len() == max_levels {
                    return Err(BookError::Full(Limit::Levels(side)));
                }
                ladder.insert(
                    k,
                    Level {
                        price,
                        qty: Qty(size),
                        orders,
                    },
                    depth,
                );
            }
        }
        Ok(())
    }

    // ----- keyed by position ------------------------------------------------

    pub(super) fn apply_position(
        &mut self,
        side: BookSide,
        e: &MdEntry<'_>,
        position: u16,
        action: UpdateAction,
    ) -> Result<(), BookError> {
        let depth = self.depth;
        let max_levels = self.max_levels;
        let ladder = &mut self.sides[side.index()];
        let len = ladder.levels.len();
        let out_of_range = BookError::PositionOutOfRange { position, len };
        // Decoding refuses 0; an entry built by hand may not.
        let Some(i) = (position as usize).checked_sub(1) else {
            return Err(out_of_range);
        };
        match action {
            UpdateAction::New => {
                if i > len || i >= max_levels {
                    return Err(out_of_range);
                }
                let price = e.price.ok_or(BookError::Missing {
                    tag: TAG_MD_ENTRY_PX,
                })?;
                let qty = e.size.ok_or(BookError::Missing {
                    tag: TAG_MD_ENTRY_SIZE,
                })?;
                if qty.0 == 0 {
                    return Err(BookError::ZeroSize);
                }
                // Storage index of the new level; the better neighbour is at
                // k (after the insert, k + 1), the worse at k - 1.
                let k = len - i;
                let better_ok = k == len || ladder.order(ladder.levels[k].price.0, price.0).is_gt();
                let worse_ok =
                    k == 0 || ladder.order(ladder.levels[k - 1].price.0, price.0).is_lt();
                if !(better_ok && worse_ok) {
                    return Err(BookError::OutOfOrder { position });
                }
                let level = Level {
                    price,
                    qty,
                    orders: e.orders.unwrap_or(1),
                };
                if len == max_levels {
                    // The worst falls off the end; i < len so it is not the new one.
                    let worst = ladder.remove(0, depth);
                    ladder.insert(k - 1, level, depth);
                    self.purge_ids(side, worst.price.0, worst.price.0);
                } else {
                    ladder.insert(k, level, depth);
                }
            }
            UpdateAction::Delete => {
                if i >= len {
                    return Err(out_of_range);
                }
                let gone = ladder.remove(len - 1 - i, depth);
                self.purge_ids(side, gone.price.0, gone.price.0);
            }
            _ => {
                // Change, Overlay.
                if i >= len {
                    return Err(out_of_range);
                }
                let k = len - 1 - i;
                let old = ladder.levels[k];
                let price = e.price.unwrap_or(old.price);
                let qty = e.size.unwrap_or(old.qty);
                if qty.0 == 0 {
                    return Err(BookError::ZeroSize);
                }
                let better_ok =
                    k + 1 == len || ladder.order(ladder.levels[k + 1].price.0, price.0).is_gt();
                let worse_ok =
                    k == 0 || ladder.order(ladder.levels[k - 1].price.0, price.0).is_lt();
                if !(better_ok && worse_ok) {
                    return Err(BookError::OutOfOrder { position });
                }
                ladder.levels[k] = Level {
                    price,
                    qty,
                    orders: e.orders.unwrap_or(old.orders),
                };
                ladder.touch(k, depth);
                if price != old.price {
                    self.purge_ids(side, old.price.0, old.price.0);
                }
            }
        }
        Ok(())
    }

    // ----- keyed by entry id ------------------------------------------------

    pub(super) fn apply_id(
        &mut self,
        side: BookSide,
        e: &MdEntry<'_>,
        id: &[u8],
        action: UpdateAction,
    ) -> Result<(), BookError> {
        let slot = self.ids.find(id);
        match (action, slot) {
            (UpdateAction::New, Some(_)) => Err(BookError::DuplicateEntryId),
            (UpdateAction::New, None) | (UpdateAction::Overlay, None) => self.id_new(side, e, id),
            (UpdateAction::Delete, Some(i)) => {
                self.check_side(side, i)?;
                let s = *self.ids.get(i);
                self.ids.remove_at(i);
                self.level_sub(side, s.price, s.qty);
                Ok(())
            }
            (_, None) => Err(BookError::UnknownEntryId),
            (_, Some(i)) => self.id_change(side, e, i),
        }
    }

    fn check_side(&self, side: BookSide, slot: usize) -> Result<(), BookError> {
        if side_of(self.ids.get(slot).side) == side {
            Ok(())
        } else {
            Err(BookError::SideMismatch)
        }
    }

    fn id_new(&mut self, side: BookSide, e: &MdEntry<'_>, id: &[u8]) -> Result<(), BookError> {
        let price = e.price.ok_or(BookError::Missing {
            tag: TAG_MD_ENTRY_PX,
        })?;
        let qty = e
            .size
            .ok_or(BookError::Missing {
                tag: TAG_MD_ENTRY_SIZE,
            })?
            .0;
        if qty == 0 {
            return Err(BookError::ZeroSize);
        }
        if self.ids.len() >= self.max_entries {
            return Err(BookError::Full(Limit::Entries));
        }
        let ladder = &self.sides[side.index()];
        if ladder.find(price.0).is_err() && ladder.levels.len() == self.max_levels {
            return Err(BookError::Full(Limit::Levels(side)));
        }
        self.ids.insert(id, side as u8, price.0, qty);
        self.level_add(side, price, qty);
        Ok(())
    }

    fn id_change(&mut self, side: BookSide, e: &MdEntry<'_>, slot: usize) -> Result<(), BookError> {
        self.check_side(side, slot)?;
        let old = *self.ids.get(slot);
        let price = e.price.map_or(old.price, |p| p.0);
        let qty = e.size.map_or(old.qty, |q| q.0);
        let rename = match (e.ref_id, e.entry_id) {
            (Some(r), Some(new)) if r != new => Some(new),
            _ => None,
        };
        if qty == 0 {
            self.ids.remove_at(slot);
            self.level_sub(side, old.price, old.qty);
            return Ok(());
        }
        if let Some(new) = rename {
            if new.len() > ENTRY_ID_MAX {
                return Err(BookError::EntryIdTooLong { len: new.len() });
            }
            if self.ids.find(new).is_some() {
                return Err(BookError::DuplicateEntryId);
            }
        }
        if price != old.price {
            let ladder = &self.sides[side.index()];
            let old_level_empties = ladder
                .find(old.price)
                .is_ok_and(|k| ladder.levels[k].orders <= 1);
            if ladder.find(price).is_err()
                && ladder.levels.len() == self.max_levels
                && !old_level_empties
            {
                return Err(BookError::Full(Limit::Levels(side)));
            }
            self.level_sub(side, old.price, old.qty);
            self.level_add(side, Price(price), qty);
        } else if qty != old.qty {
            let depth = self.depth;
            let ladder = &mut self.sides[side.index()];
            if let Ok(k) = ladder.find(price) {
                let l = &mut ladder.levels[k];
                l.qty.0 = l.qty.0.saturating_add(qty).saturating_sub(old.qty);
                ladder.touch(k, depth);
            }
        }
        match rename {
            Some(new) => {
                self.ids.remove_at(slot);
                self.ids.insert(new, side as u8, price, qty);
            }
            None => {
                let s = self.ids.get_mut(slot);
                s.price = price;
                s.qty = qty;
            }
        }
        Ok(())
    }

    /// Adds one entry to its level (room checked by the caller).
    fn level_add(&mut self, side: BookSide, price: Price, qty: i64) {
        let depth = self.depth;
        let ladder = &mut self.sides[side.index()];
        match ladder.find(price.0) {
            Ok(k) => {
                let l = &mut ladder.levels[k];
                l.qty.0 = l.qty.0.saturating_add(qty);
                l.orders = l.orders.saturating_add(1);
                ladder.touch(k, depth);
            }
            Err(k) => ladder.insert(
                k,
                Level {
                    price,
                    qty: Qty(qty),
                    orders: 1,
                },
                depth,
            ),
        }
    }

    /// Takes one entry out of its level, removing the level when it was
    /// the last.
    fn level_sub(&mut self, side: BookSide, price: i64, qty: i64) {
        let depth = self.depth;
        let ladder = &mut self.sides[side.index()];
        if let Ok(k) = ladder.find(price) {
            let l = &mut ladder.levels[k];
            if l.orders <= 1 {
                ladder.remove(k, depth);
            } else {
                l.qty.0 = l.qty.0.saturating_sub(qty);
                l.orders -= 1;
                ladder.touch(k, depth);
            }
        }
    }

    /// Forgets the ids on `side` priced from `a` to `b` (inclusive, either
    /// order): their level was removed by a non-id operation.
    fn purge_ids(&mut self, side: BookSide, a: i64, b: i64) {
        if self.ids.len() == 0 {
            return;
        }
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let s = side as u8;
        self.ids
            .purge(|slot| slot.side == s && slot.price >= lo && slot.price <= hi);
    }

    // ----- DeleteThru / DeleteFrom -------------------------------------------

    pub(super) fn delete_range(
        &mut self,
        side: BookSide,
        e: &MdEntry<'_>,
        id: Option<&[u8]>,
        thru: bool,
    ) -> Result<(), BookError> {
        let depth = self.depth;
        let ladder = &self.sides[side.index()];
        let len = ladder.levels.len();
        // The storage index range to remove.
        let (from, to) = if let Some(position) = e.position {
            let i = (position as usize).wrapping_sub(1); // 0 → huge → out of range
            if i >= len {
                return Err(BookError::PositionOutOfRange { position, len });
            }
            let k = len - 1 - i;
            if thru {
                (k, len)
            } else {
                (0, k + 1)
            }
        } else {
            let price = match (e.price, id) {
                (Some(p), _) => p.0,
                (None, Some(id)) => {
                    let i = self.ids.find(id).ok_or(BookError::UnknownEntryId)?;
                    self.ids.get(i).price
                }
                (None, None) => {
                    return Err(BookError::Missing {
                        tag: TAG_MD_ENTRY_PX,
                    })
                }
            };
            // Levels at this price or better (thru) / or worse (from).
            let k = ladder
                .levels
                .partition_point(|l| ladder.order(l.price.0, price).is_lt());
            if thru {
                (k, len)
            } else {
                let end = if k < len && ladder.levels[k].price.0 == price {
                    k + 1
                } else {
                    k
                };
                (0, end)
            }
        };
        if from >= to {
            return Ok(());
        }
        let ladder = &mut self.sides[side.index()];
        let edge_a = ladder.levels[from].price.0;
        let edge_b = ladder.levels[to - 1].price.0;
        ladder.note(ladder.rank(to - 1), depth);
        ladder.levels.drain(from..to);
        self.purge_ids(side, edge_a, edge_b);
        Ok(())
    }
}
