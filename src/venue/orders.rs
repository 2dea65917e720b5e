//! The venue's order records and the ClOrdID index, both of fixed size.
//!
//! Owns what the venue remembers about an order beyond its place in the
//! book: its owner session, identifiers, terms, executed quantity and
//! status, and the ClOrdIDs it has carried (a D's, then each G's and F's;
//! the last [`CL_ORD_IDS_PER_ORDER`] of them), so that any of them is found
//! again by (session, ClOrdID) and refused as a duplicate. Open orders of a session are on an intrusive list (mass status
//! walks it); finished orders are kept on a FIFO and forgotten oldest first
//! once more than `remembered_max` are kept, or when a table runs out. An
//! order with reports still queued for its session is never forgotten.
//!
//! All tables are sized in [`Orders::new`]; nothing here allocates after.

use super::book::{RestingId, Side, TimeInForce};

/// The longest ClOrdID the venue takes, in bytes.
pub const CL_ORD_ID_MAX: usize = 64;

/// The ClOrdIDs an order keeps (its current one and the ones before it);
/// a further replace or cancel forgets the oldest. Bounding the chain keeps
/// the index a fixed size: it holds at most this many ids per record.
pub const CL_ORD_IDS_PER_ORDER: usize = 4;

pub(crate) const NONE: u32 = u32::MAX;

/// The status of an order (FIX OrdStatus, the values the venue uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdStatus {
    /// 39=0.
    New,
    /// 39=1.
    PartiallyFilled,
    /// 39=2.
    Filled,
    /// 39=4.
    Canceled,
}

impl OrdStatus {
    /// The FIX character.
    pub fn code(self) -> u8 {
        match self {
            OrdStatus::New => b'0',
            OrdStatus::PartiallyFilled => b'1',
            OrdStatus::Filled => b'2',
            OrdStatus::Canceled => b'4',
        }
    }

    /// Filled or cancelled: nothing more can happen to it.
    pub fn is_done(self) -> bool {
        matches!(self, OrdStatus::Filled | OrdStatus::Canceled)
    }
}

/// Market or limit (FIX OrdType 1 and 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdType {
    /// 40=1.
    Market,
    /// 40=2.
    Limit,
}

/// One order as the venue remembers it.
#[derive(Debug, Clone, Copy)]
pub struct OrderRec {
    /// Owning venue session.
    pub session: u16,
    /// Instrument index.
    pub instrument: u16,
    /// The venue's OrderID (a number; reports write it with the run prefix).
    pub order_id: u64,
    /// Side.
    pub side: Side,
    /// Market or limit.
    pub ord_type: OrdType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Limit price in ticks (0 for market orders).
    pub price: i64,
    /// OrderQty in lots.
    pub qty: u64,
    /// Executed lots.
    pub cum: u64,
    /// Sum of fill price (ticks) times lots, for AvgPx.
    pub notional: i128,
    /// Status.
    pub status: OrdStatus,
    /// Where it rests, while it does.
    pub resting: Option<RestingId>,
    /// The current ClOrdID's entry in the index.
    pub id: u32,
    /// ClOrdIDs in its chain (at most [`CL_ORD_IDS_PER_ORDER`]).
    id_count: u8,
    /// Reports queued for its session that name it.
    pub queued: u32,
    in_use: bool,
    /// Open list (per session) or done FIFO links.
    prev: u32,
    next: u32,
}

impl OrderRec {
    /// Lots not yet executed while the order is open; 0 once done.
    pub fn leaves(&self) -> u64 {
        if self.status.is_done() {
            0
        } else {
            self.qty - self.cum
        }
    }
}

/// The terms of a new order for [`Orders::insert`].
#[derive(Debug, Clone, Copy)]
pub struct NewOrderRec {
    /// Owning venue session.
    pub session: u16,
    /// Instrument index.
    pub instrument: u16,
    /// The venue's OrderID.
    pub order_id: u64,
    /// Side.
    pub side: Side,
    /// Market or limit.
    pub ord_type: OrdType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Limit price in ticks (0 for market orders).
    pub price: i64,
    /// OrderQty in lots.
    pub qty: u64,
}

#[derive(Debug, Clone, Copy)]
struct IdEntry {
    hash: u64,
    session: u16,
    len: u8,
    bytes: [u8; CL_ORD_ID_MAX],
    order: u32,
    /// The order's previous ClOrdID entry (or the next free entry).
    older: u32,
}

/// Why a record or ClOrdID could not be stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// Every record is an open order or has reports queued.
    Orders,
    /// Every ClOrdID entry is taken by orders that cannot be forgotten.
    Ids,
}

/// The order records and the ClOrdID index (see the module doc).
#[derive(Debug)]
pub struct Orders {
    recs: Vec<OrderRec>,
    free_rec: u32,
    ids: Vec<IdEntry>,
    free_id: u32,
    /// Open addressing over `ids` (linear probing), `NONE` = empty.
    index: Vec<u32>,
    mask: usize,
    /// Open orders per session: (head, tail).
    open: Vec<(u32, u32)>,
    done_head: u32,
    done_tail: u32,
    done_len: usize,
    remembered_max: usize,
    /// Finished orders forgotten so far.
    pub forgotten: u64,
}

fn hash(session: u16, id: &[u8]) -> u64 {
    // FNV-1a: deterministic, and plenty for a simulator's index.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(session);
    for &b in id {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Orders {
    /// Tables for `records` orders (open or remembered), `sessions` sessions,
    /// keeping at most `remembered_max` finished orders.
    pub fn new(records: usize, sessions: usize, remembered_max: usize) -> Orders {
        let records = records.clamp(1, NONE as usize / 4);
        let id_count = records * CL_ORD_IDS_PER_ORDER;
        let index_len = (id_count * 2).next_power_of_two();
        let recs = (0..records)
            .map(|i| OrderRec {
                session: 0,
                instrument: 0,
                order_id: 0,
                side: Side::Buy,
                ord_type: OrdType::Limit,
                tif: TimeInForce::Day,
                price: 0,
                qty: 0,
                cum: 0,
                notional: 0,
                status: OrdStatus::New,
                resting: None,
                id: NONE,
                id_count: 0,
                queued: 0,
                in_use: false,
                prev: NONE,
                next: if i + 1 < records { i as u32 + 1 } else { NONE },
            })
            .collect();
        let ids = (0..id_count)
            .map(|i| IdEntry {
                hash: 0,
                session: 0,
                len: 0,
                bytes: [0; CL_ORD_ID_MAX],
                order: NONE,
                older: if i + 1 < id_count { i as u32 + 1 } else { NONE },
            })
            .collect();
        Orders {
            recs,
            free_rec: 0,
            ids,
            free_id: 0,
            index: vec![NONE; index_len],
            mask: index_len - 1,
            open: vec![(NONE, NONE); sessions],
            done_head: NONE,
            done_tail: NONE,
            done_len: 0,
            remembered_max,
            forgotten: 0,
        }
    }

    /// Order `i`.
    pub fn get(&self, i: u32) -> &OrderRec {
        let r = &self.recs[i as usize];
        debug_assert!(r.in_use, "order record {i} is free");
        r
    }

    /// Order `i` if its record is in use (it may since have been
    /// forgotten and reused: callers compare its `order_id`).
    pub fn get_live(&self, i: u32) -> Option<&OrderRec> {
        self.recs.get(i as usize).filter(|r| r.in_use)
    }

    /// Order `i`, to change.
    pub fn get_mut(&mut self, i: u32) -> &mut OrderRec {
        let r = &mut self.recs[i as usize];
        debug_assert!(r.in_use, "order record {i} is free");
        r
    }

    /// The order that carried `cl_ord_id` on `session`.
    pub fn find(&self, session: u16, cl_ord_id: &[u8]) -> Option<u32> {
        self.find_entry(session, cl_ord_id)
            .map(|e| self.ids[e as usize].order)
    }

    /// The ClOrdID bytes of entry `e`.
    pub fn id_bytes(&self, e: u32) -> &[u8] {
        let e = &self.ids[e as usize];
        &e.bytes[..e.len as usize]
    }

    /// The order's current ClOrdID.
    pub fn cl_ord_id(&self, i: u32) -> &[u8] {
        self.id_bytes(self.recs[i as usize].id)
    }

    fn find_entry(&self, session: u16, id: &[u8]) -> Option<u32> {
        let h = hash(session, id);
        let mut at = h as usize & self.mask;
        loop {
            let e = self.index[at];
            if e == NONE {
                return None;
            }
            let entry = &self.ids[e as usize];
            if entry.hash == h
                && entry.session == session
                && &entry.bytes[..entry.len as usize] == id
            {
                return Some(e);
            }
            at = (at + 1) & self.mask;
        }
    }

    /// Room for one more session's open list (at start-up).
    pub fn add_session(&mut self) {
        self.open.push((NONE, NONE));
    }

    /// A new order (status New, nothing executed) of `o.session` with
    /// ClOrdID `cl_ord_id` (at most [`CL_ORD_ID_MAX`] bytes, not yet known on
    /// the session), put on the session's open list. Forgets old finished
    /// orders if the tables are full.
    pub fn insert(&mut self, o: NewOrderRec, cl_ord_id: &[u8]) -> Result<u32, Full> {
        debug_assert!(self.find(o.session, cl_ord_id).is_none());
        if self.free_rec == NONE {
            self.forget_oldest();
        }
        let i = self.free_rec;
        if i == NONE {
            return Err(Full::Orders);
        }
        if self.free_id == NONE {
            self.forget_oldest();
            if self.free_id == NONE {
                return Err(Full::Ids);
            }
        }
        self.free_rec = self.recs[i as usize].next;
        self.recs[i as usize] = OrderRec {
            session: o.session,
            instrument: o.instrument,
            order_id: o.order_id,
            side: o.side,
            ord_type: o.ord_type,
            tif: o.tif,
            price: o.price,
            qty: o.qty,
            cum: 0,
            notional: 0,
            status: OrdStatus::New,
            resting: None,
            id: NONE,
            id_count: 0,
            queued: 0,
            in_use: true,
            prev: NONE,
            next: NONE,
        };
        self.add_id(i, cl_ord_id)
            .expect("a free id entry was checked above");
        self.link_open(i);
        Ok(i)
    }

    /// Gives order `i` a new current ClOrdID (from a replace or cancel);
    /// its oldest is forgotten if it already has [`CL_ORD_IDS_PER_ORDER`].
    pub fn add_id(&mut self, i: u32, cl_ord_id: &[u8]) -> Result<(), Full> {
        if self.recs[i as usize].id_count as usize >= CL_ORD_IDS_PER_ORDER {
            self.drop_oldest_id(i);
        }
        if self.free_id == NONE {
            self.forget_oldest();
        }
        let e = self.free_id;
        if e == NONE {
            return Err(Full::Ids);
        }
        self.free_id = self.ids[e as usize].older;
        let session = self.recs[i as usize].session;
        let h = hash(session, cl_ord_id);
        let n = cl_ord_id.len().min(CL_ORD_ID_MAX);
        let entry = &mut self.ids[e as usize];
        entry.hash = h;
        entry.session = session;
        entry.len = n as u8;
        entry.bytes[..n].copy_from_slice(&cl_ord_id[..n]);
        entry.order = i;
        entry.older = self.recs[i as usize].id;
        self.recs[i as usize].id = e;
        self.recs[i as usize].id_count += 1;
        let mut at = h as usize & self.mask;
        while self.index[at] != NONE {
            at = (at + 1) & self.mask;
        }
        self.index[at] = e;
        Ok(())
    }

    /// Takes the oldest ClOrdID of order `i` (which has at least two) out
    /// of the index.
    fn drop_oldest_id(&mut self, i: u32) {
        let mut newer = self.recs[i as usize].id;
        let mut e = self.ids[newer as usize].older;
        assert!(e != NONE, "order {i} has more than one ClOrdID");
        while self.ids[e as usize].older != NONE {
            newer = e;
            e = self.ids[e as usize].older;
        }
        self.ids[newer as usize].older = NONE;
        self.remove_from_index(e);
        self.ids[e as usize].order = NONE;
        self.ids[e as usize].older = self.free_id;
        self.free_id = e;
        self.recs[i as usize].id_count -= 1;
    }

    /// Whether a new ClOrdID can be stored now (perhaps by forgetting).
    pub fn id_available(&mut self) -> bool {
        if self.free_id == NONE {
            self.forget_oldest();
        }
        self.free_id != NONE
    }

    /// Order `i` is finished: off its session's open list and onto the
    /// done FIFO; the oldest finished orders beyond `remembered_max` are
    /// forgotten.
    pub fn finish(&mut self, i: u32) {
        debug_assert!(self.recs[i as usize].status.is_done());
        self.unlink_open(i);
        let r = &mut self.recs[i as usize];
        r.prev = self.done_tail;
        r.next = NONE;
        if self.done_tail == NONE {
            self.done_head = i;
        } else {
            self.recs[self.done_tail as usize].next = i;
        }
        self.done_tail = i;
        self.done_len += 1;
        while self.done_len > self.remembered_max {
            if !self.forget_oldest() {
                break;
            }
        }
    }

    /// The open orders of `session`, oldest first.
    pub fn open_orders(&self, session: u16) -> OpenIter<'_> {
        OpenIter {
            orders: self,
            at: self.open.get(session as usize).map_or(NONE, |o| o.0),
        }
    }

    /// Finished orders remembered now.
    pub fn done_len(&self) -> usize {
        self.done_len
    }

    /// Forgets the oldest finished order without queued reports; false if
    /// there is none.
    fn forget_oldest(&mut self) -> bool {
        let mut i = self.done_head;
        while i != NONE && self.recs[i as usize].queued > 0 {
            i = self.recs[i as usize].next;
        }
        if i == NONE {
            return false;
        }
        // Off the done FIFO.
        let (prev, next) = (self.recs[i as usize].prev, self.recs[i as usize].next);
        if prev == NONE {
            self.done_head = next;
        } else {
            self.recs[prev as usize].next = next;
        }
        if next == NONE {
            self.done_tail = prev;
        } else {
            self.recs[next as usize].prev = prev;
        }
        self.done_len -= 1;
        // Its ClOrdIDs out of the index.
        let mut e = self.recs[i as usize].id;
        while e != NONE {
            let older = self.ids[e as usize].older;
            self.remove_from_index(e);
            self.ids[e as usize].order = NONE;
            self.ids[e as usize].older = self.free_id;
            self.free_id = e;
            e = older;
        }
        let r = &mut self.recs[i as usize];
        r.in_use = false;
        r.id = NONE;
        r.id_count = 0;
        r.resting = None;
        r.prev = NONE;
        r.next = self.free_rec;
        self.free_rec = i;
        self.forgotten += 1;
        true
    }

    /// Linear probing deletion with backward shift (no tombstones).
    fn remove_from_index(&mut self, e: u32) {
        let mut at = self.ids[e as usize].hash as usize & self.mask;
        while self.index[at] != e {
            debug_assert!(self.index[at] != NONE, "id entry {e} is indexed");
            at = (at + 1) & self.mask;
        }
        let mut hole = at;
        let mut j = (hole + 1) & self.mask;
        loop {
            let x = self.index[j];
            if x == NONE {
                break;
            }
            let home = self.ids[x as usize].hash as usize & self.mask;
            // Move x into the hole if its home is not in (hole, j].
            let dist_hole = hole.wrapping_sub(home) & self.mask;
            let dist_j = j.wrapping_sub(home) & self.mask;
            if dist_hole < dist_j {
                self.index[hole] = x;
                hole = j;
            }
            j = (j + 1) & self.mask;
        }
        self.index[hole] = NONE;
    }

    fn link_open(&mut self, i: u32) {
        let s = self.recs[i as usize].session as usize;
        let (head, tail) = self.open[s];
        self.recs[i as usize].prev = tail;
        self.recs[i as usize].next = NONE;
        if tail == NONE {
            self.open[s].0 = i;
        } else {
            self.recs[tail as usize].next = i;
        }
        self.open[s] = (if head == NONE { i } else { head }, i);
    }

    fn unlink_open(&mut self, i: u32) {
        let s = self.recs[i as usize].session as usize;
        let (prev, next) = (self.recs[i as usize].prev, self.recs[i as usize].next);
        if prev == NONE {
            self.open[s].0 = next;
        } else {
            self.recs[prev as usize].next = next;
        }
        if next == NONE {
            self.open[s].1 = prev;
        } else {
            self.recs[next as usize].prev = prev;
        }
    }
}

/// Iterator over a session's open orders (record indexes), oldest first.
#[derive(Debug)]
pub struct OpenIter<'a> {
    orders: &'a Orders,
    at: u32,
}

impl Iterator for OpenIter<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.at == NONE {
            return None;
        }
        let i = self.at;
        self.at = self.orders.recs[i as usize].next;
        Some(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(session: u16) -> NewOrderRec {
        NewOrderRec {
            session,
            instrument: 0,
            order_id: 1,
            side: Side::Buy,
            ord_type: OrdType::Limit,
            tif: TimeInForce::Day,
            price: 1,
            qty: 1,
        }
    }

    #[test]
    fn ids_are_found_per_session_and_forgotten_with_their_order() {
        let mut o = Orders::new(4, 2, 2);
        let a = o.insert(rec(0), b"A").unwrap();
        o.add_id(a, b"A2").unwrap();
        let b = o.insert(rec(1), b"A").unwrap();
        assert_eq!(o.find(0, b"A"), Some(a));
        assert_eq!(o.find(0, b"A2"), Some(a));
        assert_eq!(o.find(1, b"A"), Some(b));
        assert_eq!(o.cl_ord_id(a), b"A2");
        assert_eq!(o.open_orders(0).collect::<Vec<_>>(), [a]);
        // Finish three orders with room for two: the first is forgotten.
        o.get_mut(a).status = OrdStatus::Filled;
        o.finish(a);
        let c = o.insert(rec(0), b"C").unwrap();
        o.get_mut(c).status = OrdStatus::Canceled;
        o.finish(c);
        o.get_mut(b).status = OrdStatus::Canceled;
        o.finish(b);
        assert_eq!(o.find(0, b"A"), None);
        assert_eq!(o.find(0, b"A2"), None);
        assert_eq!(o.find(0, b"C"), Some(c));
        assert_eq!(o.find(1, b"A"), Some(b));
        assert_eq!(o.forgotten, 1);
    }

    /// Every order in use finds each ClOrdID of its chain; the index holds
    /// exactly those entries; the open lists and done FIFO hold every order
    /// in use once.
    fn check(o: &Orders) {
        let mut indexed = 0;
        for (i, r) in o.recs.iter().enumerate() {
            if !r.in_use {
                continue;
            }
            let mut e = r.id;
            let mut n = 0;
            while e != NONE {
                let entry = &o.ids[e as usize];
                assert_eq!(entry.order, i as u32);
                assert_eq!(
                    o.find(r.session, &entry.bytes[..entry.len as usize]),
                    Some(i as u32)
                );
                n += 1;
                e = entry.older;
            }
            assert_eq!(n, r.id_count as usize);
            assert!((1..=CL_ORD_IDS_PER_ORDER).contains(&n));
            indexed += n;
        }
        assert_eq!(o.index.iter().filter(|&&e| e != NONE).count(), indexed);
        let open: usize = (0..o.open.len())
            .map(|s| o.open_orders(s as u16).count())
            .sum();
        let in_use = o.recs.iter().filter(|r| r.in_use).count();
        assert_eq!(open + o.done_len, in_use);
    }

    #[test]
    fn random_inserts_changes_and_finishes_keep_the_tables_consistent() {
        let mut o = Orders::new(40, 3, 10);
        let mut open: Vec<u32> = Vec::new();
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for n in 0..20_000u32 {
            let r = next();
            let id = format!("id{}", n % 5_000);
            let session = (r % 3) as u16;
            if r % 5 < 2 || open.is_empty() {
                if o.find(session, id.as_bytes()).is_none() {
                    if let Ok(i) = o.insert(rec(session), id.as_bytes()) {
                        open.push(i);
                    }
                }
            } else if r % 5 < 4 {
                let i = open[(r >> 8) as usize % open.len()];
                let s = o.get(i).session;
                if o.find(s, id.as_bytes()).is_none() && o.id_available() {
                    o.add_id(i, id.as_bytes()).unwrap();
                }
            } else {
                let i = open.swap_remove((r >> 8) as usize % open.len());
                o.get_mut(i).status = OrdStatus::Filled;
                o.finish(i);
            }
            check(&o);
        }
    }

    #[test]
    fn a_long_replace_chain_keeps_the_last_ids_only() {
        let mut o = Orders::new(2, 1, 2);
        let a = o.insert(rec(0), b"0").unwrap();
        for n in 1..1_000u32 {
            o.add_id(a, n.to_string().as_bytes()).unwrap();
        }
        for n in 996..1_000u32 {
            assert_eq!(o.find(0, n.to_string().as_bytes()), Some(a), "{n}");
        }
        assert_eq!(o.find(0, b"995"), None);
        assert_eq!(o.find(0, b"0"), None);
        assert_eq!(o.cl_ord_id(a), b"999");
    }

    #[test]
    fn index_survives_many_inserts_and_removals() {
        let mut o = Orders::new(64, 1, 8);
        for n in 0..10_000u32 {
            let id = n.to_string();
            let i = o.insert(rec(0), id.as_bytes()).unwrap();
            o.get_mut(i).status = OrdStatus::Filled;
            o.finish(i);
            assert_eq!(o.find(0, id.as_bytes()), Some(i));
            if n >= 8 {
                let gone = (n - 8).to_string();
                assert_eq!(o.find(0, gone.as_bytes()), None, "{gone}");
            }
        }
        for n in 9_992..10_000u32 {
            assert!(o.find(0, n.to_string().as_bytes()).is_some());
        }
    }
}
