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
//!
//! Files: this one holds the subscriptions and the V handling; `view`
//! reads a book's top and diffs it against a view; `encode` writes W, X
//! and Y; `publish` sends or queues them to subscribers.

mod encode;
mod publish;
mod view;

use super::app::{one_char, val};
use super::book::Side;
use super::Venue;
use crate::codec::tags;
use crate::codec::{Message, UtcTimestamp};
use crate::session::Responder;
use std::collections::VecDeque;

/// The deepest `md_max_depth` (a snapshot of both sides must fit a message).
pub(crate) const DEPTH_MAX: usize = 256;
/// The longest MDReqID the venue keeps, in bytes.
pub const MD_REQ_ID_MAX: usize = 64;

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

impl Venue {
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
                _ => return Err((
                    Some(b'8'),
                    "Unsupported MDEntryType: the venue publishes 0 (bid), 1 (offer) and 2 (trade)",
                )),
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
