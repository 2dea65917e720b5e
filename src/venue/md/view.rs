//! A subscriber's view of a book: the book's best levels or orders of a
//! side ([`top`]) and the X entries that turn the view last shown into it
//! ([`diff`], in the order the parent module's doc describes). Reads the
//! book and the orders; writes nothing but the lists it is given.

use super::{Level, MdEntry};
use crate::venue::book::{Book, Side};
use crate::venue::orders::Orders;
use crate::venue::MdKeying;

/// The book's best `depth` levels (or orders) of `side` into `out`.
pub(super) fn top(
    book: &Book,
    orders: &Orders,
    side: Side,
    depth: usize,
    aggregated: bool,
    out: &mut Vec<Level>,
) {
    out.clear();
    if aggregated {
        out.extend(book.levels(side).take(depth).map(|l| Level {
            price: l.price,
            qty: l.qty,
            orders: l.orders,
            id: 0,
        }));
    } else {
        book.top_orders(side, depth, |key, price, leaves| {
            out.push(Level {
                price,
                qty: leaves,
                orders: 0,
                id: orders.get(key).order_id,
            })
        });
    }
}

/// Where `key` is in `list` (same price for aggregated views; same order
/// and price for order views).
fn find(list: &[Level], key: &Level, side: Side, aggregated: bool) -> Option<usize> {
    if aggregated {
        // Bids descend, offers ascend: a binary search by price.
        list.binary_search_by(|l| match side {
            Side::Buy => key.price.cmp(&l.price),
            Side::Sell => l.price.cmp(&key.price),
        })
        .ok()
    } else {
        list.iter()
            .position(|l| l.id == key.id && l.price == key.price)
    }
}

/// The entries that turn `view` into `cur` (see the module doc for their
/// order), appended to `out`.
pub(super) fn diff(
    view: &[Level],
    cur: &[Level],
    side: Side,
    typ: u8,
    aggregated: bool,
    keying: MdKeying,
    out: &mut Vec<MdEntry>,
) {
    let by_pos = aggregated && keying == MdKeying::Position;
    let pos = |i: usize| if by_pos { i as u16 + 1 } else { 0 };
    let entry = |action: u8, l: &Level, i: usize| MdEntry {
        action,
        typ,
        price: l.price,
        qty: l.qty,
        orders: if aggregated { l.orders } else { 0 },
        id: l.id,
        pos: pos(i),
    };
    // An order whose quantity grew went to the back of its level: for an
    // order view it is a new entry, not a change.
    let kept = |was: &Level, now: &Level| aggregated || now.qty <= was.qty;
    for (i, l) in view.iter().enumerate().rev() {
        let found = find(cur, l, side, aggregated);
        if found.is_none_or(|j| !kept(l, &cur[j])) {
            out.push(entry(b'2', l, i));
        }
    }
    for (j, l) in cur.iter().enumerate() {
        let found = find(view, l, side, aggregated);
        if found.is_none_or(|i| !kept(&view[i], l)) {
            out.push(entry(b'0', l, j));
        }
    }
    for (j, l) in cur.iter().enumerate() {
        if let Some(i) = find(view, l, side, aggregated) {
            let was = &view[i];
            if kept(was, l) && (was.qty != l.qty || was.orders != l.orders) {
                out.push(entry(b'1', l, j));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lv(price: i64, qty: u64) -> Level {
        Level {
            price,
            qty,
            orders: 1,
            id: 0,
        }
    }

    /// Applies `entries` to a position-keyed list.
    fn apply_pos(list: &mut Vec<(i64, u64)>, entries: &[MdEntry]) {
        for e in entries {
            let p = e.pos as usize - 1;
            match e.action {
                b'0' => list.insert(p, (e.price, e.qty)),
                b'1' => {
                    assert_eq!(list[p].0, e.price);
                    list[p].1 = e.qty;
                }
                _ => {
                    list.remove(p);
                }
            }
        }
    }

    #[test]
    fn position_diffs_rebuild_the_new_view_in_order() {
        // Bids (descending): a level deleted, one inserted above, one
        // changed, one pushed out of view by depth.
        let view = [lv(100, 5), lv(99, 3), lv(98, 2), lv(97, 1)];
        let cur = [lv(101, 1), lv(100, 4), lv(98, 2), lv(96, 7)];
        let mut out = Vec::new();
        diff(
            &view,
            &cur,
            Side::Buy,
            b'0',
            true,
            MdKeying::Position,
            &mut out,
        );
        let mut list: Vec<(i64, u64)> = view.iter().map(|l| (l.price, l.qty)).collect();
        let mut max_len = list.len();
        for e in &out {
            apply_pos(&mut list, std::slice::from_ref(e));
            max_len = max_len.max(list.len());
        }
        let want: Vec<(i64, u64)> = cur.iter().map(|l| (l.price, l.qty)).collect();
        assert_eq!(list, want);
        assert!(max_len <= 4, "never more than depth entries");
    }

    #[test]
    fn an_unchanged_view_gives_no_entries() {
        let view = [lv(100, 5), lv(101, 3)];
        let mut out = Vec::new();
        diff(
            &view,
            &view,
            Side::Sell,
            b'1',
            true,
            MdKeying::Price,
            &mut out,
        );
        assert!(out.is_empty());
    }
}
