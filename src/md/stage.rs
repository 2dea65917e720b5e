//! The engine's market-data stage: subscriptions, their lifecycle, the
//! books, and the events a strategy gets from them.
//!
//! [`MarketData`] lives behind one trading session (inside
//! [`crate::engine::trading::TradingApplication`]). Per instrument it owns a
//! [`Book`] sized from the instrument's `[[instrument]]` settings, the
//! subscription (what the strategy asked, the current MDReqID, its
//! [`SubState`]), the staleness deadline, and the *shown* view: what the
//! strategy's mirror of the book holds, as far as the events pushed so far
//! tell it. It may not touch the order stage, risk, the journal or sockets:
//! requests go out through an [`MdSender`] (the session), events into the
//! strategy's [`EnginePort`], and nothing reads a clock (`now` is passed).
//!
//! # Driving contract
//!
//! - [`MarketData::handle_command`] for `Command::Subscribe` /
//!   `Command::Unsubscribe` (sends the V at once when the session is up).
//! - [`MarketData::handle_message`] for every inbound W, X and Y.
//! - [`MarketData::handle_event`] for the session's `LoggedOn`,
//!   `Disconnected` and `GapDetected`.
//! - [`MarketData::poll`] every engine turn: sends the requests that are
//!   due (restored subscriptions, re-snapshots), raises staleness, and
//!   pushes the events and book batches the ring had no room for.
//!
//! Every call takes an [`EventOut`]: the ring, and whether the order stage
//! still holds events it could not push. Order events come first: while
//! the order stage waits, market data pushes nothing, and it always leaves
//! `reserve` slots of the ring free for them.
//!
//! # Events and coalescing
//!
//! After each W or X, every instrument it changed gets one *batch*: for a
//! depth subscription (`depth` > 1) a [`Event::BookLevel`] for every
//! visible level that differs from the shown view (levels past the book's
//! end with qty 0, price 0), then [`Event::TopOfBook`]; for a top-only one
//! a `TopOfBook` when the best bid or offer changed. A snapshot always ends
//! with a `TopOfBook`. A batch is pushed whole or not at all: when the ring
//! has no room for it, the instrument is marked *dirty* (counted in
//! [`MdCounters::coalesced`]) and later turns push the difference between
//! the book as it is then and the shown view — the latest state, never a
//! backlog. So a strategy that applies every `BookLevel` to a mirror holds
//! exactly the engine's visible book after each `TopOfBook`.
//!
//! Other events ([`Event::BookLive`], [`Event::BookStale`],
//! [`Event::Trade`], [`Event::MarketDataRejected`]) are not coalesced:
//! those the ring cannot take wait in a fixed queue, in order, ahead of any
//! dirty batch; a full queue drops and counts ([`MdCounters::events_dropped`]).
//!
//! # Lifecycle
//!
//! | input | effect |
//! |---|---|
//! | Subscribe | V 263=1 (or 0) with a new MDReqID; state `Requested` (a re-subscribe first unsubscribes the old id) |
//! | W, current MDReqID | book cleared and rebuilt; `Live` (`BookLive` on the way in), then its batch |
//! | X | entries applied to their instruments' live books; trades → `Trade`; batches after the whole message |
//! | W/X/Y with another MDReqID (older subscription, replay) | ignored, counted |
//! | Y, current MDReqID | `MarketDataRejected { reason }`; the subscription ends |
//! | a bad update | book cleared (its batch shows it), `Stale(BadUpdate)`, old id unsubscribed, new V |
//! | `GapDetected` | every book cleared, `Stale(Gap)`, old ids unsubscribed, new V's (replays of the old ids are ignored) |
//! | `Disconnected` | every book cleared, `Stale(Disconnect)` |
//! | `LoggedOn` | every subscription requested again with new MDReqIDs |
//! | no update for `stale_after_ms` | `Stale(NoUpdates)` (book kept); the next update makes it `Live` again |
//! | Unsubscribe | V 263=2 with the current id, book cleared, no more events |
//!
//! Nothing here allocates after [`MarketData::new`] (proved by
//! `tests/no_alloc.rs`).

use super::book::{Book, BookSide, Level};
use super::entry::{MdEntry, MdKind, MdMessage};
use super::request::{
    send_request, MdReqId, MdReqIdError, MdReqIdFormat, MdRequest, MdSender, SubscriptionType,
};
use crate::codec::{Message, UtcTimestamp};
use crate::session::Event as SessionEvent;
use crate::strategy::{
    Command, EnginePort, Event, InstrumentId, InstrumentTable, MdEntryTypes, Price, Qty, Side,
    StaleCause, TopOfBook,
};
use std::collections::VecDeque;
use std::sync::Arc;

/// The most visible levels per side a subscription shows (the config's
/// `book_depth` limit).
pub const DEPTH_MAX: usize = 64;

/// Ring slots market data leaves free for the order stage, at most.
pub const RESERVE_MAX: usize = 16;

/// MDReqRejReason (281) as the strategy gets it when the engine itself
/// refuses a Subscribe (an instrument it does not know): 0, unknown symbol.
pub const REJECT_UNKNOWN_SYMBOL: u8 = 0;

/// What a strategy asked for one instrument.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Want {
    /// MarketDepth as asked (0 = the configured depth).
    pub depth: u16,
    /// MDEntryTypes.
    pub entries: MdEntryTypes,
    /// Snapshot plus updates (true) or one snapshot.
    pub updates: bool,
    /// One entry per price level (true) or per order.
    pub aggregated: bool,
}

/// Where a subscription is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState {
    /// Nothing asked (or the subscription ended: Unsubscribe, Y).
    Unsubscribed,
    /// A V is sent (or due), no snapshot yet.
    Requested,
    /// The book is built from the venue's snapshot and kept by updates.
    Live,
    /// The book is not to be trusted; for every cause but `NoUpdates` it is
    /// empty and a snapshot is on its way (or will be asked at logon).
    Stale(StaleCause),
}

/// What the stage did and saw, for the control plane. Plain counters, read
/// with [`MarketData::counters`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MdCounters {
    /// W, X and Y messages handled.
    pub messages: u64,
    /// Snapshots (W) applied.
    pub snapshots: u64,
    /// Entries read from W and X.
    pub entries: u64,
    /// Entries applied to a book.
    pub updates_applied: u64,
    /// Trades passed to the strategy.
    pub trades: u64,
    /// `TopOfBook` events pushed (each ends a batch).
    pub tops: u64,
    /// Batches the ring had no room for (the instrument went dirty).
    pub coalesced: u64,
    /// `BookStale` events raised (every cause).
    pub stale_events: u64,
    /// Of those, `NoUpdates`.
    pub stale_no_updates: u64,
    /// Subscriptions refused: Y from the venue, or an unknown instrument.
    pub rejects: u64,
    /// W/X/Y messages ignored: an MDReqID that is not a current
    /// subscription's (older one, another engine's), or no live book.
    pub ignored: u64,
    /// Entries ignored: an instrument without a live book, an unknown
    /// symbol, a type the stage does not use.
    pub ignored_entries: u64,
    /// Updates the book could not apply (or W/X that did not decode):
    /// book cleared, new snapshot asked.
    pub bad_updates: u64,
    /// V's sent to subscribe.
    pub requests_sent: u64,
    /// V's sent to unsubscribe.
    pub unsubscribes_sent: u64,
    /// Sends the session refused (not logged on, journal failure); retried.
    pub send_failures: u64,
    /// Non-coalescable events dropped because their queue was full.
    pub events_dropped: u64,
}

/// Where events go: the strategy's ring, and whether the order stage still
/// holds events for it (market data then waits).
#[derive(Debug)]
pub struct EventOut<'a> {
    /// The strategy's ring.
    pub port: &'a mut EnginePort,
    /// The order stage has events waiting for room.
    pub orders_waiting: bool,
}

/// One level as the strategy was last told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Shown {
    price: Price,
    qty: Qty,
    orders: u32,
}

impl From<Level> for Shown {
    fn from(l: Level) -> Shown {
        Shown {
            price: l.price,
            qty: l.qty,
            orders: l.orders,
        }
    }
}

/// "No change pending" for a side's first changed level.
const NONE: u16 = u16::MAX;

/// One instrument's subscription and shown view.
#[derive(Debug)]
struct Sub {
    active: bool,
    want: Want,
    state: SubState,
    /// The current request's id (empty: none sent since the last reset).
    id: MdReqId,
    /// An older id still open at the venue: unsubscribe it before the next
    /// request.
    cancel: MdReqId,
    /// The parameters the cancelled id was requested with.
    cancel_want: Want,
    /// A V with a new id is due.
    send_due: bool,
    /// Visible levels this subscription shows.
    depth: u16,
    /// Milliseconds without updates before `Stale(NoUpdates)`; 0 = off.
    stale_after_ms: u64,
    last_update_ns: i64,
    /// Updates applied since the last snapshot.
    seq: u32,
    /// The strategy's view lags the book (a batch is pending).
    dirty: bool,
    /// The next batch ends with a TopOfBook even if nothing changed.
    force_top: bool,
    /// Changed in the message being handled.
    touched: bool,
    /// A bad update in the message being handled: skip its other entries.
    failed: bool,
    /// First level per side (bid, ask) that may differ from the shown view.
    from: [u16; 2],
    /// The strategy's view: `depth` levels per side, and their lengths.
    shown: [Box<[Shown]>; 2],
    shown_len: [u16; 2],
    shown_top: (Price, Qty, Price, Qty),
}

impl Sub {
    fn book_usable(&self) -> bool {
        self.active
            && matches!(
                self.state,
                SubState::Live | SubState::Stale(StaleCause::NoUpdates)
            )
    }
}

/// The market-data stage of one trading session (see the module doc).
#[derive(Debug)]
pub struct MarketData {
    instruments: Arc<InstrumentTable>,
    ids: MdReqIdFormat,
    subs: Box<[Sub]>,
    books: Box<[Book]>,
    /// Non-coalescable events waiting for room, in order.
    queue: VecDeque<Event>,
    queue_max: usize,
    /// One batch being built.
    batch: Vec<Event>,
    /// Instruments changed by the message being handled.
    touched: Vec<u16>,
    /// Instruments with `dirty` set.
    dirty: usize,
    /// Some subscription has `send_due` or `cancel` set.
    sends_due: bool,
    /// The earliest staleness deadline of a live book (`i64::MAX`: none).
    next_stale_ns: i64,
    /// The last symbol looked up, and its instrument.
    last_symbol: ([u8; 32], usize, InstrumentId),
    reserve: usize,
    counters: MdCounters,
}

impl MarketData {
    /// The stage for `instruments`, its MDReqIDs led by `id_prefix` (the
    /// order stage's ClOrdID prefix), for a ring of `ring_capacity` events.
    /// Allocates every book, view and queue.
    pub fn new(
        instruments: Arc<InstrumentTable>,
        id_prefix: &[u8],
        ring_capacity: usize,
    ) -> Result<MarketData, MdReqIdError> {
        let ids = MdReqIdFormat::new(id_prefix)?;
        let mut subs = Vec::with_capacity(instruments.len());
        let mut books = Vec::with_capacity(instruments.len());
        for ins in instruments.iter() {
            let md = ins.market_data;
            let depth = usize::from(md.book_depth).clamp(1, DEPTH_MAX);
            books.push(Book::new(
                depth,
                usize::from(md.book_max_levels).max(depth),
                md.book_max_entries as usize,
            ));
            let shown = || vec![Shown::default(); depth].into_boxed_slice();
            subs.push(Sub {
                active: false,
                want: Want::default(),
                state: SubState::Unsubscribed,
                id: MdReqId::default(),
                cancel: MdReqId::default(),
                cancel_want: Want::default(),
                send_due: false,
                depth: depth as u16,
                stale_after_ms: md.stale_after_ms,
                last_update_ns: 0,
                seq: 0,
                dirty: false,
                force_top: false,
                touched: false,
                failed: false,
                from: [NONE; 2],
                shown: [shown(), shown()],
                shown_len: [0; 2],
                shown_top: (Price(0), Qty(0), Price(0), Qty(0)),
            });
        }
        let queue_max = 256 + 4 * instruments.len();
        Ok(MarketData {
            touched: Vec::with_capacity(instruments.len()),
            instruments,
            ids,
            subs: subs.into_boxed_slice(),
            books: books.into_boxed_slice(),
            queue: VecDeque::with_capacity(queue_max),
            queue_max,
            batch: Vec::with_capacity(2 * DEPTH_MAX + 1),
            dirty: 0,
            sends_due: false,
            next_stale_ns: i64::MAX,
            last_symbol: ([0; 32], 0, InstrumentId(0)),
            reserve: (ring_capacity / 4).min(RESERVE_MAX),
            counters: MdCounters::default(),
        })
    }

    /// The counters.
    pub fn counters(&self) -> &MdCounters {
        &self.counters
    }

    /// An instrument's book.
    pub fn book(&self, instrument: InstrumentId) -> Option<&Book> {
        self.books.get(usize::from(instrument.0))
    }

    /// An instrument's subscription state.
    pub fn state(&self, instrument: InstrumentId) -> Option<SubState> {
        self.subs.get(usize::from(instrument.0)).map(|s| s.state)
    }

    /// What the strategy asked for an instrument (`None`: not subscribed).
    pub fn wanted(&self, instrument: InstrumentId) -> Option<Want> {
        let s = self.subs.get(usize::from(instrument.0))?;
        s.active.then_some(s.want)
    }

    /// The MDReqID of an instrument's current request (`None`: none sent
    /// since the last logon, gap or bad update).
    pub fn req_id(&self, instrument: InstrumentId) -> Option<MdReqId> {
        let s = self.subs.get(usize::from(instrument.0))?;
        (!s.id.is_empty()).then_some(s.id)
    }

    /// Instruments whose strategy view lags their book (coalesced batches
    /// waiting for room).
    pub fn dirty(&self) -> usize {
        self.dirty
    }

    // -----------------------------------------------------------------
    // Inputs
    // -----------------------------------------------------------------

    /// A strategy command. Returns false (and does nothing) for commands
    /// that are not market data's.
    pub fn handle_command<S: MdSender + ?Sized>(
        &mut self,
        now: UtcTimestamp,
        cmd: &Command,
        tx: &mut S,
        out: &mut EventOut<'_>,
    ) -> bool {
        match *cmd {
            Command::Subscribe {
                instrument,
                depth,
                entries,
                updates,
                aggregated,
            } => {
                let i = usize::from(instrument.0);
                if i >= self.subs.len() {
                    self.counters.rejects += 1;
                    self.push_event(
                        out,
                        Event::MarketDataRejected {
                            instrument,
                            reason: REJECT_UNKNOWN_SYMBOL,
                        },
                    );
                    return true;
                }
                let s = &mut self.subs[i];
                if s.active && !s.id.is_empty() {
                    s.cancel = s.id;
                    s.cancel_want = s.want;
                }
                s.active = true;
                s.want = Want {
                    depth,
                    entries,
                    updates,
                    aggregated,
                };
                s.id = MdReqId::default();
                s.send_due = true;
                if !matches!(s.state, SubState::Stale(_)) {
                    s.state = SubState::Requested;
                }
                self.sends_due = true;
                self.clear_book(i);
                self.emit(i, out);
                self.send_due(now, tx);
                true
            }
            Command::Unsubscribe { instrument } => {
                let i = usize::from(instrument.0);
                let Some(s) = self.subs.get_mut(i) else {
                    return true;
                };
                if !s.active {
                    return true;
                }
                if !s.id.is_empty() {
                    s.cancel = s.id;
                    s.cancel_want = s.want;
                    self.sends_due = true;
                }
                self.end(i);
                self.send_due(now, tx);
                true
            }
            _ => false,
        }
    }

    /// An inbound W, X or Y. Returns false for any other message type.
    pub fn handle_message(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        out: &mut EventOut<'_>,
    ) -> bool {
        match msg.msg_type() {
            b"W" | b"X" => {
                self.counters.messages += 1;
                match MdMessage::decode(msg) {
                    Ok(md) => match md.kind() {
                        MdKind::Snapshot => self.snapshot(now, &md, out),
                        MdKind::Incremental => self.incremental(now, &md, out),
                    },
                    Err(e) => {
                        // A W or X that does not decode: if it is for a
                        // current subscription, that book is lost.
                        let req = msg.get(crate::codec::tags::MD_REQ_ID);
                        match req.and_then(|f| self.current(f.value())) {
                            Some(i) => {
                                tracing::warn!(instrument = i, error = %e, "market data: bad message");
                                self.bad_update(i, out);
                            }
                            None => self.counters.ignored += 1,
                        }
                    }
                }
                true
            }
            b"Y" => {
                self.counters.messages += 1;
                self.reject(msg, out);
                true
            }
            _ => false,
        }
    }

    /// A session event: `LoggedOn` restores every subscription (at the
    /// next [`MarketData::poll`]), `Disconnected` clears every book,
    /// `GapDetected` clears them and asks for new snapshots.
    pub fn handle_event(
        &mut self,
        _now: UtcTimestamp,
        event: &SessionEvent,
        out: &mut EventOut<'_>,
    ) {
        match event {
            SessionEvent::LoggedOn { .. } => {
                for s in self.subs.iter_mut() {
                    // A new connection: the venue holds no subscription of ours.
                    s.cancel = MdReqId::default();
                    if s.active {
                        s.id = MdReqId::default();
                        s.send_due = true;
                        self.sends_due = true;
                    }
                }
            }
            SessionEvent::Disconnected(_) => {
                for i in 0..self.subs.len() {
                    let s = &mut self.subs[i];
                    s.cancel = MdReqId::default();
                    if !s.active {
                        continue;
                    }
                    s.id = MdReqId::default();
                    s.send_due = true;
                    self.sends_due = true;
                    self.stale(i, StaleCause::Disconnect, out);
                }
            }
            SessionEvent::GapDetected { .. } => {
                for i in 0..self.subs.len() {
                    let s = &mut self.subs[i];
                    if !s.active {
                        continue;
                    }
                    if !s.id.is_empty() {
                        s.cancel = s.id;
                        s.cancel_want = s.want;
                    }
                    s.id = MdReqId::default();
                    s.send_due = true;
                    self.sends_due = true;
                    self.stale(i, StaleCause::Gap, out);
                }
            }
            _ => {}
        }
    }

    /// Replay: a MarketDataRequest this stage sent, read back from the
    /// journal. The subscription becomes what it was when the V went out
    /// (what was asked, the request's MDReqID), as if the strategy's
    /// command had just been sent, so the W and X that answered it apply
    /// and anything for an older id is ignored, exactly as they were live.
    /// Returns false for a V that is not this stage's (another id format,
    /// an unknown instrument, a missing 262 or 263).
    pub fn adopt_request(&mut self, msg: &Message<'_>, out: &mut EventOut<'_>) -> bool {
        use crate::codec::tags;
        let Some(id) = msg.get(tags::MD_REQ_ID).map(|f| f.value()) else {
            return false;
        };
        let Some(instrument) = self.ids.instrument(id) else {
            return false;
        };
        let i = usize::from(instrument.0);
        let (Some(id), true) = (MdReqId::from_bytes(id), i < self.subs.len()) else {
            return false;
        };
        let kind = match msg.get(263).map(|f| f.value()) {
            Some(b"0") => SubscriptionType::Snapshot,
            Some(b"1") => SubscriptionType::SnapshotAndUpdates,
            Some(b"2") => SubscriptionType::Unsubscribe,
            _ => return false,
        };
        if kind == SubscriptionType::Unsubscribe {
            let s = &mut self.subs[i];
            if s.cancel == id {
                s.cancel = MdReqId::default();
            } else if s.id == id {
                self.end(i);
            }
        } else {
            let mut entries = MdEntryTypes::default();
            for f in msg.body().iter().filter(|f| f.tag() == 269) {
                if let Some(t) = f.value().first().and_then(|&b| MdEntryTypes::from_fix(b)) {
                    entries = entries.with(t);
                }
            }
            let want = Want {
                depth: msg
                    .get(264)
                    .and_then(|f| f.as_u64().ok())
                    .map_or(0, |d| d.min(u64::from(u16::MAX)) as u16),
                entries,
                updates: kind == SubscriptionType::SnapshotAndUpdates,
                aggregated: msg.get(266).is_none_or(|f| f.value() != b"N"),
            };
            let was_live = self.subs[i].state == SubState::Live && self.subs[i].id != id;
            let s = &mut self.subs[i];
            s.active = true;
            s.want = want;
            s.id = id;
            s.cancel = MdReqId::default();
            s.send_due = false;
            if s.state == SubState::Unsubscribed || was_live {
                s.state = SubState::Requested;
            }
            if was_live {
                // Live, a new request for a live book came from the
                // strategy's second Subscribe, which cleared it first.
                self.clear_book(i);
                self.emit(i, out);
            }
        }
        self.sends_due = self
            .subs
            .iter()
            .any(|s| (s.active && s.send_due) || !s.cancel.is_empty());
        true
    }

    /// The stage's turn: pending requests (when the session is up),
    /// staleness, then queued events and dirty batches as room allows.
    /// Returns the work done.
    pub fn poll<S: MdSender + ?Sized>(
        &mut self,
        now: UtcTimestamp,
        tx: &mut S,
        out: &mut EventOut<'_>,
    ) -> usize {
        let mut work = 0;
        if self.sends_due && tx.is_up() {
            work += self.send_due(now, tx);
        }
        let now_ns = now.unix_nanos();
        if now_ns >= self.next_stale_ns {
            work += self.check_stale(now_ns, out);
        }
        work + self.flush(out)
    }

    // -----------------------------------------------------------------
    // Messages
    // -----------------------------------------------------------------

    /// The instrument whose current request has this id.
    #[inline]
    fn current(&self, id: &[u8]) -> Option<usize> {
        let i = usize::from(self.ids.instrument(id)?.0);
        let s = self.subs.get(i)?;
        (s.active && s.id.as_bytes() == id).then_some(i)
    }

    /// The instrument of a symbol, through a one-entry cache.
    #[inline]
    fn lookup(&mut self, symbol: &[u8]) -> Option<usize> {
        let (buf, len, id) = &self.last_symbol;
        if *len == symbol.len() && buf[..*len] == *symbol {
            return Some(usize::from(id.0));
        }
        let id = self.instruments.find(symbol)?;
        if symbol.len() <= 32 {
            self.last_symbol.0[..symbol.len()].copy_from_slice(symbol);
            self.last_symbol.1 = symbol.len();
            self.last_symbol.2 = id;
        }
        Some(usize::from(id.0))
    }

    fn snapshot(&mut self, now: UtcTimestamp, md: &MdMessage<'_>, out: &mut EventOut<'_>) {
        let i = match md.req_id() {
            Some(id) => self.current(id),
            None => md
                .symbol()
                .and_then(|s| self.lookup(s))
                .filter(|&i| self.subs[i].active),
        };
        let Some(i) = i else {
            self.counters.ignored += 1;
            return;
        };
        self.clear_book(i);
        for e in md.entries() {
            self.counters.entries += 1;
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    tracing::warn!(instrument = i, error = %err, "market data: bad snapshot entry");
                    self.bad_update(i, out);
                    return;
                }
            };
            match e.kind {
                Some(b'0' | b'1') => match self.books[i].apply_snapshot(&e) {
                    Ok(_) => self.counters.updates_applied += 1,
                    Err(err) => {
                        tracing::warn!(instrument = i, error = %err, "market data: snapshot not applied");
                        self.bad_update(i, out);
                        return;
                    }
                },
                _ => self.counters.ignored_entries += 1,
            }
        }
        self.counters.snapshots += 1;
        self.subs[i].force_top = true;
        self.live(i, now.unix_nanos(), out);
        self.emit(i, out);
    }

    fn incremental(&mut self, now: UtcTimestamp, md: &MdMessage<'_>, out: &mut EventOut<'_>) {
        // The 262, when present, must be a current subscription's; it also
        // names the instrument of entries that carry no symbol.
        let default = match md.req_id() {
            Some(id) => match self.current(id) {
                Some(i) => Some(i),
                None => {
                    self.counters.ignored += 1;
                    return;
                }
            },
            None => None,
        };
        let mut last = default;
        for e in md.entries() {
            self.counters.entries += 1;
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    // The iterator stops after an error: the rest of the
                    // message is lost, and with it the book it was for.
                    match last {
                        Some(i) if self.subs[i].book_usable() => {
                            tracing::warn!(instrument = i, error = %err, "market data: bad entry");
                            self.bad_update(i, out);
                        }
                        _ => self.counters.ignored_entries += 1,
                    }
                    break;
                }
            };
            let i = match e.symbol {
                Some(sym) => self.lookup(sym),
                None => default,
            };
            let Some(i) = i else {
                self.counters.ignored_entries += 1;
                continue;
            };
            last = Some(i);
            self.entry(i, &e, out);
        }
        for k in 0..self.touched.len() {
            let i = usize::from(self.touched[k]);
            let s = &mut self.subs[i];
            s.touched = false;
            if s.failed {
                s.failed = false;
                continue;
            }
            self.live(i, now.unix_nanos(), out);
            self.emit(i, out);
        }
        self.touched.clear();
    }

    /// One X entry for instrument `i`.
    #[inline]
    fn entry(&mut self, i: usize, e: &MdEntry<'_>, out: &mut EventOut<'_>) {
        let s = &self.subs[i];
        if !s.book_usable() || s.failed {
            self.counters.ignored_entries += 1;
            return;
        }
        let trades = s.want.entries.contains(MdEntryTypes::TRADE);
        match e.kind {
            Some(b'2') => {
                let (Some(price), Some(qty)) = (e.price, e.size) else {
                    self.counters.ignored_entries += 1;
                    return;
                };
                self.touch(i);
                if trades {
                    self.counters.trades += 1;
                    self.push_event(
                        out,
                        Event::Trade {
                            instrument: InstrumentId(i as u16),
                            price,
                            qty,
                        },
                    );
                }
            }
            Some(b'0' | b'1') | None => match self.books[i].apply(e) {
                Ok(super::book::Applied::Updated(_)) => {
                    self.counters.updates_applied += 1;
                    self.subs[i].seq = self.subs[i].seq.wrapping_add(1);
                    self.touch(i);
                }
                Ok(super::book::Applied::Ignored) => self.counters.ignored_entries += 1,
                Err(err) => {
                    tracing::warn!(instrument = i, error = %err, "market data: update not applied");
                    self.touch(i);
                    self.subs[i].failed = true;
                    self.bad_update(i, out);
                }
            },
            Some(_) => self.counters.ignored_entries += 1,
        }
    }

    #[inline]
    fn touch(&mut self, i: usize) {
        let s = &mut self.subs[i];
        if !s.touched {
            s.touched = true;
            self.touched.push(i as u16);
        }
    }

    /// A Y: the venue refused a request.
    fn reject(&mut self, msg: &Message<'_>, out: &mut EventOut<'_>) {
        let id = msg.get(crate::codec::tags::MD_REQ_ID).map(|f| f.value());
        let Some(i) = id.and_then(|id| self.current(id)) else {
            self.counters.ignored += 1;
            return;
        };
        let reason = msg
            .get(crate::codec::tags::MD_REQ_REJ_REASON)
            .map(|f| f.value())
            .map_or(255, |v| match v {
                [d @ b'0'..=b'9'] => d - b'0',
                [c @ b'A'..=b'Z'] => c - b'A' + 10,
                _ => std::str::from_utf8(v)
                    .ok()
                    .and_then(|t| t.parse::<u8>().ok())
                    .unwrap_or(255),
            });
        self.counters.rejects += 1;
        // The venue holds nothing under a refused id.
        self.subs[i].id = MdReqId::default();
        self.end(i);
        self.push_event(
            out,
            Event::MarketDataRejected {
                instrument: InstrumentId(i as u16),
                reason,
            },
        );
    }

    // -----------------------------------------------------------------
    // State changes
    // -----------------------------------------------------------------

    /// The subscription of `i` ends (Unsubscribe, Y): book cleared, view
    /// forgotten, nothing more for the strategy.
    fn end(&mut self, i: usize) {
        self.books[i].clear();
        let _ = self.books[i].take_changes();
        let s = &mut self.subs[i];
        s.active = false;
        s.state = SubState::Unsubscribed;
        s.id = MdReqId::default();
        s.send_due = false;
        s.shown_len = [0; 2];
        s.shown_top = (Price(0), Qty(0), Price(0), Qty(0));
        s.from = [NONE; 2];
        s.force_top = false;
        if s.dirty {
            s.dirty = false;
            self.dirty -= 1;
        }
    }

    fn clear_book(&mut self, i: usize) {
        self.books[i].clear();
        let s = &mut self.subs[i];
        s.seq = 0;
        s.from = [0; 2];
    }

    /// A book the stage can no longer trust, for `cause` (not NoUpdates):
    /// cleared (its batch tells the strategy), `BookStale` once per cause.
    fn stale(&mut self, i: usize, cause: StaleCause, out: &mut EventOut<'_>) {
        self.clear_book(i);
        let s = &mut self.subs[i];
        if s.state != SubState::Stale(cause) {
            s.state = SubState::Stale(cause);
            self.counters.stale_events += 1;
            self.push_event(
                out,
                Event::BookStale {
                    instrument: InstrumentId(i as u16),
                    cause,
                },
            );
        }
        self.emit(i, out);
    }

    /// An update the book could not apply: cleared, stale, the old id
    /// unsubscribed and a new snapshot asked for.
    fn bad_update(&mut self, i: usize, out: &mut EventOut<'_>) {
        self.counters.bad_updates += 1;
        let s = &mut self.subs[i];
        if !s.id.is_empty() {
            s.cancel = s.id;
            s.cancel_want = s.want;
        }
        s.id = MdReqId::default();
        s.send_due = true;
        self.sends_due = true;
        // Force the event even when already stale for this cause.
        if s.state == SubState::Stale(StaleCause::BadUpdate) {
            s.state = SubState::Requested;
        }
        self.stale(i, StaleCause::BadUpdate, out);
    }

    /// An update (or a snapshot) arrived for `i`: live again if it was not.
    fn live(&mut self, i: usize, now_ns: i64, out: &mut EventOut<'_>) {
        let s = &mut self.subs[i];
        s.last_update_ns = now_ns;
        if s.stale_after_ms > 0 && s.want.updates {
            let deadline = now_ns.saturating_add(s.stale_after_ms as i64 * 1_000_000);
            self.next_stale_ns = self.next_stale_ns.min(deadline);
        }
        if s.state != SubState::Live {
            s.state = SubState::Live;
            self.push_event(
                out,
                Event::BookLive {
                    instrument: InstrumentId(i as u16),
                },
            );
        }
    }

    fn check_stale(&mut self, now_ns: i64, out: &mut EventOut<'_>) -> usize {
        let mut next = i64::MAX;
        let mut n = 0;
        for i in 0..self.subs.len() {
            let s = &mut self.subs[i];
            if !s.active || s.state != SubState::Live || s.stale_after_ms == 0 || !s.want.updates {
                continue;
            }
            let deadline = s
                .last_update_ns
                .saturating_add(s.stale_after_ms as i64 * 1_000_000);
            if now_ns >= deadline {
                s.state = SubState::Stale(StaleCause::NoUpdates);
                self.counters.stale_events += 1;
                self.counters.stale_no_updates += 1;
                self.push_event(
                    out,
                    Event::BookStale {
                        instrument: InstrumentId(i as u16),
                        cause: StaleCause::NoUpdates,
                    },
                );
                n += 1;
            } else {
                next = next.min(deadline);
            }
        }
        self.next_stale_ns = next;
        n
    }

    // -----------------------------------------------------------------
    // Requests
    // -----------------------------------------------------------------

    /// Sends the unsubscribes and subscriptions that are due. Returns how
    /// many V's went out.
    fn send_due<S: MdSender + ?Sized>(&mut self, now: UtcTimestamp, tx: &mut S) -> usize {
        if !self.sends_due {
            return 0;
        }
        if !tx.is_up() {
            return 0;
        }
        let mut n = 0;
        let mut still_due = false;
        for i in 0..self.subs.len() {
            let symbol = match self.instruments.get(InstrumentId(i as u16)) {
                Some(ins) => ins.symbol.as_bytes(),
                None => continue,
            };
            let s = &mut self.subs[i];
            if !s.cancel.is_empty() {
                let r = MdRequest {
                    id: s.cancel.as_bytes(),
                    kind: SubscriptionType::Unsubscribe,
                    depth: request_depth(s.cancel_want, s.depth),
                    entries: s.cancel_want.entries,
                    aggregated: s.cancel_want.aggregated,
                    symbol,
                };
                match send_request(tx, &r) {
                    Ok(_) => {
                        self.counters.unsubscribes_sent += 1;
                        n += 1;
                    }
                    Err(e) => {
                        self.counters.send_failures += 1;
                        tracing::warn!(instrument = i, error = %e, "market data: unsubscribe not sent");
                    }
                }
                // Sent or not, the old id is done with: a session that
                // cannot send has lost the connection the id lived on.
                s.cancel = MdReqId::default();
            }
            if s.active && s.send_due {
                let id = self
                    .ids
                    .write(InstrumentId(i as u16), tx.next_seq(), now.unix_secs());
                let r = MdRequest {
                    id: id.as_bytes(),
                    kind: if s.want.updates {
                        SubscriptionType::SnapshotAndUpdates
                    } else {
                        SubscriptionType::Snapshot
                    },
                    depth: request_depth(s.want, s.depth),
                    entries: s.want.entries,
                    aggregated: s.want.aggregated,
                    symbol,
                };
                match send_request(tx, &r) {
                    Ok(_) => {
                        s.id = id;
                        s.send_due = false;
                        if s.state == SubState::Unsubscribed {
                            s.state = SubState::Requested;
                        }
                        self.counters.requests_sent += 1;
                        n += 1;
                    }
                    Err(e) => {
                        self.counters.send_failures += 1;
                        still_due = true;
                        tracing::warn!(instrument = i, error = %e, "market data: request not sent");
                        if !tx.is_up() {
                            break;
                        }
                    }
                }
            }
        }
        self.sends_due = still_due || self.subs.iter().any(|s| s.active && s.send_due);
        n
    }

    // -----------------------------------------------------------------
    // Events
    // -----------------------------------------------------------------

    /// Instrument `i`'s batch after a change.
    #[inline]
    fn emit(&mut self, i: usize, out: &mut EventOut<'_>) {
        self.emit_batch(i, out, false);
    }

    /// Room for `n` more market-data events now.
    #[inline]
    fn room(&self, out: &EventOut<'_>, n: usize) -> bool {
        !out.orders_waiting && out.port.free_event_slots() >= n + self.reserve
    }

    /// A non-coalescable event: pushed now, or queued behind earlier ones.
    fn push_event(&mut self, out: &mut EventOut<'_>, e: Event) {
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
    fn flush(&mut self, out: &mut EventOut<'_>) -> usize {
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

/// MarketDepth (264) for a request: the levels the subscription shows.
fn request_depth(want: Want, book_depth: u16) -> u16 {
    if want.depth == 0 {
        book_depth
    } else {
        want.depth.min(book_depth)
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
