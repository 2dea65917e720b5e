//! The venue's market data: MarketDataRequest (V) in; snapshots (W),
//! incrementals (X) and MarketDataRequestRejects (Y) out.
//!
//! Owns the subscriptions of each venue session and, per subscription, the
//! view last published to it: per side, the best `depth` price levels
//! (aggregated book, 266=Y) or the best `depth` resting orders
//! (order-by-order, 266=N), in fixed vectors sized at attach. After every
//! change of an instrument's book the venue calls [`Venue::md_publish`],
//! which diffs each subscriber's view against the book's current top and
//! sends (or queues, for a session not being served) one X with the
//! differences, trades first. It does not touch the books or the orders.
//!
//! **Keying.** Aggregated entries are keyed by price (270) or, with
//! `[venue] md_keying = "position"`, by MDEntryPositionNo (290, 1 = best;
//! New inserts and shifts down, Delete removes and shifts up, Change keeps
//! the price). Order entries are keyed by MDEntryID (278) in X and by
//! OrderID (37) in W (the stock FIX 4.4 MDFullGrp has no 278); both are the
//! venue's OrderID. An order-by-order view holds the best `depth` orders
//! of each side in priority order; an order that loses its place (its
//! price changed, or its quantity grew) is deleted and entered again, at
//! the back of its price level. Within one X the deletes come first (deepest first), then the new
//! entries (best first), then the changes, so a receiver never holds more
//! than `depth` entries per side and positions are right when applied in
//! order.
//!
//! **Queue full.** A session whose queue cannot take an X has that
//! subscription marked for a refresh: no more X are queued for it, and once
//! the queue drains a fresh W (the full book as now) replaces the view.
//!
//! Nothing here allocates after [`SessionMd::new`] and [`Scratch::new`].

use super::app::{one_char, val};
use super::book::{Book, Side};
use super::orders::Orders;
use super::report::{from_units, IdText};
use super::{MdKeying, Queued, Venue};
use crate::codec::tags::{self, Tag};
use crate::codec::{Fixed, Message, MessageWriter, UtcTimestamp};
use crate::session::Responder;
use std::collections::VecDeque;

/// The deepest `md_max_depth` (a snapshot of both sides must fit a message).
pub(crate) const DEPTH_MAX: usize = 256;
/// The longest MDReqID the venue keeps, in bytes.
pub const MD_REQ_ID_MAX: usize = 64;
/// The most entries in one X (a larger change is split over several X).
const ENTRIES_PER_MESSAGE: usize = 400;

const TEXT: Tag = 58;
const ORDER_ID: Tag = 37;
const NUMBER_OF_ORDERS: Tag = 346;

/// Entry types a subscription can ask for (bits).
const T_BID: u8 = 1;
const T_OFFER: u8 = 2;
const T_TRADE: u8 = 4;

/// One level (aggregated) or one order (order-by-order) of a view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Level {
    pub price: i64,
    pub qty: u64,
    /// Orders at the level (aggregated views only).
    pub orders: u32,
    /// The venue's OrderID number (order-by-order views only; 0 otherwise).
    pub id: u64,
}

/// One entry of an X, waiting or being written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MdEntry {
    /// MDUpdateAction: b'0' New, b'1' Change, b'2' Delete.
    pub action: u8,
    /// MDEntryType: b'0' bid, b'1' offer, b'2' trade.
    pub typ: u8,
    pub price: i64,
    pub qty: u64,
    /// NumberOfOrders (aggregated New/Change; 0: not written).
    pub orders: u32,
    /// MDEntryID as an OrderID number (0: not written).
    pub id: u64,
    /// MDEntryPositionNo (0: not written).
    pub pos: u16,
}

/// One subscription (263=1) of a session.
#[derive(Debug)]
pub(crate) struct Sub {
    live: bool,
    /// A refresh (W) is owed: the queue was full.
    resync: bool,
    req_id: [u8; MD_REQ_ID_MAX],
    req_len: u8,
    market: u16,
    depth: usize,
    aggregated: bool,
    types: u8,
    /// What the subscriber was last shown: bids, offers (best first).
    view: [Vec<Level>; 2],
}

impl Sub {
    fn req_id(&self) -> &[u8] {
        &self.req_id[..self.req_len as usize]
    }
}

/// A session's subscriptions and its queue of X entries.
#[derive(Debug)]
pub(crate) struct SessionMd {
    subs: Vec<Sub>,
    /// Entries of queued X messages ([`Queued::Md`] says how many each).
    pub ring: VecDeque<MdEntry>,
    /// Some subscription owes a refresh.
    pub resync: bool,
    live: usize,
}

impl SessionMd {
    /// Room for `subs` subscriptions of up to `depth` levels per side and
    /// `queued` queued entries.
    pub fn new(subs: usize, depth: usize, queued: usize) -> SessionMd {
        SessionMd {
            subs: (0..subs)
                .map(|_| Sub {
                    live: false,
                    resync: false,
                    req_id: [0; MD_REQ_ID_MAX],
                    req_len: 0,
                    market: 0,
                    depth: 0,
                    aggregated: true,
                    types: 0,
                    view: [Vec::with_capacity(depth), Vec::with_capacity(depth)],
                })
                .collect(),
            ring: VecDeque::with_capacity(queued),
            resync: false,
            live: 0,
        }
    }

    /// Live subscriptions.
    pub fn live(&self) -> usize {
        self.live
    }

    /// Ends every subscription and forgets queued entries.
    fn clear(&mut self) {
        for s in &mut self.subs {
            s.live = false;
            s.resync = false;
        }
        self.ring.clear();
        self.resync = false;
        self.live = 0;
    }

    fn has_req_id(&self, id: &[u8]) -> bool {
        self.subs.iter().any(|s| s.live && s.req_id() == id)
    }
}

/// Buffers shared by every publication (one venue, one thread).
#[derive(Debug)]
pub(crate) struct Scratch {
    cur: [Vec<Level>; 2],
    out: Vec<MdEntry>,
}

impl Scratch {
    /// For views of up to `depth` per side and up to `fills` fills per event.
    pub fn new(depth: usize, fills: usize) -> Scratch {
        Scratch {
            cur: [Vec::with_capacity(depth), Vec::with_capacity(depth)],
            out: Vec::with_capacity(4 * depth + fills),
        }
    }
}

/// A parsed MarketDataRequest refused: (MDReqRejReason, Text).
type MdRefusal = (Option<u8>, &'static str);

fn side_of(i: usize) -> (Side, u8, u8) {
    if i == 0 {
        (Side::Buy, T_BID, b'0')
    } else {
        (Side::Sell, T_OFFER, b'1')
    }
}

/// The book's best `depth` levels (or orders) of `side` into `out`.
fn top(
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
fn diff(
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

/// What a W or X needs to know about its instrument and keying.
#[derive(Clone, Copy)]
struct Form<'a> {
    run: u64,
    symbol: &'a [u8],
    tick: Fixed,
    lot: Fixed,
    aggregated: bool,
    keying: MdKeying,
}

fn px(ticks: i64, tick: Fixed) -> Fixed {
    from_units(ticks, tick).unwrap_or(Fixed::new(0, 0))
}

fn qty(lots: u64, lot: Fixed) -> Fixed {
    from_units(lots as i64, lot).unwrap_or(Fixed::new(0, 0))
}

/// Writes a W of `sides` (bids, offers; empty when not subscribed).
fn write_w(w: &mut MessageWriter<'_>, f: Form<'_>, req_id: &[u8], sides: [&[Level]; 2]) {
    w.str(tags::MD_REQ_ID, req_id);
    w.str(tags::SYMBOL, f.symbol);
    w.uint(tags::NO_MD_ENTRIES, (sides[0].len() + sides[1].len()) as u64);
    for (i, levels) in sides.iter().enumerate() {
        let (_, _, typ) = side_of(i);
        for (k, l) in levels.iter().enumerate() {
            w.char(tags::MD_ENTRY_TYPE, typ);
            w.fixed(tags::MD_ENTRY_PX, px(l.price, f.tick));
            w.fixed(tags::MD_ENTRY_SIZE, qty(l.qty, f.lot));
            if f.aggregated {
                w.uint(NUMBER_OF_ORDERS, u64::from(l.orders));
                if f.keying == MdKeying::Position {
                    w.uint(tags::MD_ENTRY_POSITION_NO, k as u64 + 1);
                }
            } else {
                let id = IdText::new(f.run, l.id);
                w.str(ORDER_ID, id.as_bytes());
            }
        }
    }
}

/// Writes an X of `entries`.
fn write_x<'e>(
    w: &mut MessageWriter<'_>,
    f: Form<'_>,
    req_id: &[u8],
    n: usize,
    entries: impl Iterator<Item = &'e MdEntry>,
) {
    w.str(tags::MD_REQ_ID, req_id);
    w.uint(tags::NO_MD_ENTRIES, n as u64);
    for e in entries {
        w.char(tags::MD_UPDATE_ACTION, e.action);
        w.char(tags::MD_ENTRY_TYPE, e.typ);
        if e.id != 0 {
            let id = IdText::new(f.run, e.id);
            w.str(tags::MD_ENTRY_ID, id.as_bytes());
        }
        w.str(tags::SYMBOL, f.symbol);
        w.fixed(tags::MD_ENTRY_PX, px(e.price, f.tick));
        if e.action != b'2' {
            w.fixed(tags::MD_ENTRY_SIZE, qty(e.qty, f.lot));
        }
        if e.orders != 0 && e.action != b'2' {
            w.uint(NUMBER_OF_ORDERS, u64::from(e.orders));
        }
        if e.pos != 0 {
            w.uint(tags::MD_ENTRY_POSITION_NO, u64::from(e.pos));
        }
    }
}

impl Venue {
    fn form(&self, m: u16, aggregated: bool) -> Form<'_> {
        let spec = &self.markets[m as usize].spec;
        Form {
            run: self.run_id,
            symbol: spec.symbol.as_bytes(),
            tick: spec.tick_size,
            lot: spec.lot_size,
            aggregated,
            keying: self.md_spec.keying,
        }
    }

    fn send_md_reject(
        &mut self,
        req_id: &[u8],
        (reason, text): MdRefusal,
        tx: &mut Responder<'_>,
    ) {
        self.counters.md_rejects += 1;
        let r = tx.send(b"Y", &[], &mut |w| {
            w.str(tags::MD_REQ_ID, req_id);
            if let Some(r) = reason {
                w.char(tags::MD_REQ_REJ_REASON, r);
            }
            w.str(TEXT, text.as_bytes());
        });
        self.counters.send_failures += u64::from(r.is_err());
    }

    /// Sends a W of market `m` now, for a one-off snapshot (`sub` None) or
    /// for subscription `sub` of session `s` (whose view becomes the book
    /// as now).
    #[allow(clippy::too_many_arguments)]
    fn send_snapshot(
        &mut self,
        s: u16,
        sub: Option<usize>,
        req_id: &[u8],
        m: u16,
        depth: usize,
        aggregated: bool,
        types: u8,
        tx: &mut Responder<'_>,
    ) {
        let Venue {
            markets,
            orders,
            md_scratch,
            sessions,
            ..
        } = self;
        let book = &markets[m as usize].book;
        for i in 0..2 {
            let (side, bit, _) = side_of(i);
            let out = match sub {
                Some(k) => &mut sessions[s as usize].md.subs[k].view[i],
                None => &mut md_scratch.cur[i],
            };
            if types & bit != 0 {
                top(book, orders, side, depth, aggregated, out);
            } else {
                out.clear();
            }
        }
        let sides: [&[Level]; 2] = match sub {
            Some(k) => {
                let v = &self.sessions[s as usize].md.subs[k].view;
                [&v[0], &v[1]]
            }
            None => [&self.md_scratch.cur[0], &self.md_scratch.cur[1]],
        };
        let f = self.form(m, aggregated);
        let r = tx.send(b"W", &[], &mut |w| write_w(w, f, req_id, sides));
        self.counters.md_snapshots += 1;
        self.counters.send_failures += u64::from(r.is_err());
    }

    /// MarketDataRequest (V).
    pub(super) fn handle_md_request(
        &mut self,
        me: u16,
        _now: UtcTimestamp,
        msg: &Message<'_>,
        tx: &mut Responder<'_>,
    ) {
        let req_id = val(msg, tags::MD_REQ_ID).unwrap_or(b"");
        match self.check_md_request(me, req_id, msg) {
            Err(refusal) => self.send_md_reject(req_id, refusal, tx),
            Ok(Request::Unsubscribe) => {
                let md = &mut self.sessions[me as usize].md;
                for sub in md.subs.iter_mut() {
                    if sub.live && sub.req_id() == req_id {
                        sub.live = false;
                        sub.resync = false;
                        md.live -= 1;
                    }
                }
            }
            Ok(Request::Book {
                subscribe,
                depth,
                aggregated,
                types,
            }) => {
                self.counters.md_requests += 1;
                for f in msg.body().iter().filter(|f| f.tag() == tags::SYMBOL) {
                    let Some(m) = self.market(f.value()) else {
                        continue;
                    };
                    let sub = if subscribe {
                        let md = &mut self.sessions[me as usize].md;
                        let k = md
                            .subs
                            .iter()
                            .position(|s| !s.live)
                            .expect("check_md_request counted free subscriptions");
                        let s = &mut md.subs[k];
                        s.live = true;
                        s.resync = false;
                        s.req_id[..req_id.len()].copy_from_slice(req_id);
                        s.req_len = req_id.len() as u8;
                        s.market = m;
                        s.depth = depth;
                        s.aggregated = aggregated;
                        s.types = types;
                        md.live += 1;
                        Some(k)
                    } else {
                        None
                    };
                    self.send_snapshot(me, sub, req_id, m, depth, aggregated, types, tx);
                }
            }
        }
    }

    /// Validates a V (the session already checked it against the
    /// dictionary) and says what to do.
    fn check_md_request(
        &self,
        me: u16,
        req_id: &[u8],
        msg: &Message<'_>,
    ) -> Result<Request, MdRefusal> {
        let md = &self.sessions[me as usize].md;
        if req_id.is_empty() || req_id.len() > MD_REQ_ID_MAX {
            return Err((None, "MDReqID must be 1 to 64 bytes"));
        }
        let subscribe = match one_char(msg, tags::SUBSCRIPTION_REQUEST_TYPE) {
            Some(b'0') => false,
            Some(b'1') => true,
            Some(b'2') => {
                if !md.has_req_id(req_id) {
                    return Err((None, "Unknown MDReqID: no live subscription to end"));
                }
                return Ok(Request::Unsubscribe);
            }
            _ => {
                return Err((
                    Some(b'4'),
                    "Unsupported SubscriptionRequestType: the venue takes 0, 1 and 2",
                ))
            }
        };
        let depth = match msg.get(tags::MARKET_DEPTH).map(|f| f.as_i64()) {
            Some(Ok(0)) => self.md_spec.max_depth,
            Some(Ok(n)) if n > 0 => (n as usize).min(self.md_spec.max_depth),
            _ => return Err((Some(b'5'), "MarketDepth must be 0 (full) or more")),
        };
        if subscribe && one_char(msg, tags::MD_UPDATE_TYPE).is_some_and(|t| t != b'1') {
            return Err((
                Some(b'6'),
                "Unsupported MDUpdateType: the venue sends incremental refresh (1) only",
            ));
        }
        let aggregated = match one_char(msg, tags::AGGREGATED_BOOK) {
            None | Some(b'Y') => true,
            Some(b'N') => false,
            Some(_) => return Err((Some(b'7'), "AggregatedBook must be Y or N")),
        };
        let mut types = 0;
        for f in msg.body().iter().filter(|f| f.tag() == tags::MD_ENTRY_TYPE) {
            types |= match f.value() {
                b"0" => T_BID,
                b"1" => T_OFFER,
                b"2" => T_TRADE,
                _ => {
                    return Err((
                        Some(b'8'),
                        "Unsupported MDEntryType: the venue publishes 0 (bid), 1 (offer) and 2 (trade)",
                    ))
                }
            };
        }
        if types == 0 {
            return Err((Some(b'8'), "No MDEntryType asked for"));
        }
        let mut symbols = 0;
        for f in msg.body().iter().filter(|f| f.tag() == tags::SYMBOL) {
            if self.market(f.value()).is_none() {
                return Err((Some(b'0'), "Unknown symbol"));
            }
            symbols += 1;
        }
        if symbols == 0 {
            return Err((Some(b'0'), "No symbol asked for"));
        }
        if subscribe {
            if md.has_req_id(req_id) {
                return Err((
                    Some(b'1'),
                    "Duplicate MDReqID: a subscription with it is live",
                ));
            }
            if md.subs.len() - md.live < symbols {
                return Err((
                    Some(b'2'),
                    "Subscription limit reached (max_md_subscriptions_per_session)",
                ));
            }
        }
        Ok(Request::Book {
            subscribe,
            depth,
            aggregated,
            types,
        })
    }

    /// After a change of market `m`'s book: one X per subscription on it
    /// with what changed in its view (and the fills of the last submit or
    /// amend as trades, when `trades`). Sent at once to `me` (the session
    /// being served), queued for every other session.
    pub(super) fn md_publish(
        &mut self,
        me: u16,
        m: u16,
        trades: bool,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        for s in 1..self.sessions.len() {
            if self.sessions[s].md.live == 0 {
                continue;
            }
            for k in 0..self.sessions[s].md.subs.len() {
                self.md_publish_one(me, s as u16, k, m, trades, now, tx);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn md_publish_one(
        &mut self,
        me: u16,
        s: u16,
        k: usize,
        m: u16,
        trades: bool,
        _now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        let keying = self.md_spec.keying;
        let Venue {
            markets,
            orders,
            md_scratch,
            sessions,
            counters,
            queue_max,
            run_id,
            ..
        } = self;
        let slot = &mut sessions[s as usize];
        let sub = &mut slot.md.subs[k];
        if !sub.live || sub.market != m || sub.resync {
            return;
        }
        let book = &markets[m as usize].book;
        let out = &mut md_scratch.out;
        out.clear();
        if trades && sub.types & T_TRADE != 0 {
            out.extend(book.fills().iter().map(|f| MdEntry {
                action: b'0',
                typ: b'2',
                price: f.price,
                qty: f.qty,
                orders: 0,
                id: 0,
                pos: 0,
            }));
        }
        for i in 0..2 {
            let (side, bit, typ) = side_of(i);
            if sub.types & bit == 0 {
                continue;
            }
            let cur = &mut md_scratch.cur[i];
            top(book, orders, side, sub.depth, sub.aggregated, cur);
            diff(&sub.view[i], cur, side, typ, sub.aggregated, keying, out);
            sub.view[i].clear();
            sub.view[i].extend_from_slice(cur);
        }
        if out.is_empty() {
            return;
        }
        let aggregated = sub.aggregated;
        if s == me && tx.is_up() && slot.queue.is_empty() {
            let req_id = &sub.req_id[..sub.req_len as usize];
            let spec = &markets[m as usize].spec;
            let f = Form {
                run: *run_id,
                symbol: spec.symbol.as_bytes(),
                tick: spec.tick_size,
                lot: spec.lot_size,
                aggregated,
                keying,
            };
            for chunk in out.chunks(ENTRIES_PER_MESSAGE) {
                let r = tx.send(b"X", &[], &mut |w| {
                    write_x(w, f, req_id, chunk.len(), chunk.iter())
                });
                counters.md_incrementals += 1;
                counters.send_failures += u64::from(r.is_err());
            }
            return;
        }
        let messages = out.len().div_ceil(ENTRIES_PER_MESSAGE);
        let ring = &mut slot.md.ring;
        if ring.len() + out.len() > ring.capacity() || slot.queue.len() + messages > *queue_max {
            sub.resync = true;
            slot.md.resync = true;
            counters.md_resyncs += 1;
            return;
        }
        ring.extend(out.iter().copied());
        for chunk in out.chunks(ENTRIES_PER_MESSAGE) {
            slot.queue.push_back(Queued::Md {
                sub: k as u16,
                entries: chunk.len() as u32,
            });
            counters.md_incrementals += 1;
        }
    }

    /// Sends queued X `entries` of subscription `sub` of session `s`;
    /// false when the session refused it (the entries stay queued).
    pub(super) fn md_send_queued(
        &mut self,
        s: u16,
        sub: u16,
        entries: u32,
        tx: &mut Responder<'_>,
    ) -> bool {
        let md = &self.sessions[s as usize].md;
        let sb = &md.subs[sub as usize];
        let f = self.form(sb.market, sb.aggregated);
        let req_id = sb.req_id();
        let n = entries as usize;
        let r = tx.send(b"X", &[], &mut |w| {
            write_x(w, f, req_id, n, md.ring.iter().take(n))
        });
        if r.is_err() {
            self.counters.send_failures += 1;
            return false;
        }
        self.sessions[s as usize].md.ring.drain(..n);
        true
    }

    /// Sends the refreshes (W) owed to session `s`'s subscriptions.
    pub(super) fn md_send_resyncs(&mut self, s: u16, tx: &mut Responder<'_>) {
        if !self.sessions[s as usize].md.resync {
            return;
        }
        self.sessions[s as usize].md.resync = false;
        let mut req_id = [0u8; MD_REQ_ID_MAX];
        for k in 0..self.sessions[s as usize].md.subs.len() {
            let sub = &mut self.sessions[s as usize].md.subs[k];
            if !(sub.live && sub.resync) {
                continue;
            }
            sub.resync = false;
            let n = sub.req_len as usize;
            req_id[..n].copy_from_slice(sub.req_id());
            let (m, depth, aggregated, types) = (sub.market, sub.depth, sub.aggregated, sub.types);
            self.send_snapshot(s, Some(k), &req_id[..n], m, depth, aggregated, types, tx);
        }
    }

    /// Session `s` connected or disconnected: its subscriptions end and
    /// what was queued for them is forgotten.
    pub(super) fn md_session_reset(&mut self, s: u16) {
        let slot = &mut self.sessions[s as usize];
        slot.md.clear();
        slot.queue.retain(|q| !matches!(q, Queued::Md { .. }));
    }
}

/// What a valid V asks for.
enum Request {
    Unsubscribe,
    Book {
        subscribe: bool,
        depth: usize,
        aggregated: bool,
        types: u8,
    },
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
        diff(&view, &cur, Side::Buy, b'0', true, MdKeying::Position, &mut out);
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
        diff(&view, &view, Side::Sell, b'1', true, MdKeying::Price, &mut out);
        assert!(out.is_empty());
    }
}
