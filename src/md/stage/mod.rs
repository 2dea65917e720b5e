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
//!
//! # Files
//!
//! `mod.rs` holds the types, the constructor and the accessors;
//! `inputs.rs` the driving calls (commands, messages, session events,
//! replayed requests, the turn); `messages.rs` the handling of W, X and Y;
//! `lifecycle.rs` the subscription's state changes, staleness and the
//! requests that are due; `emit.rs` batches, coalescing and the shown view.
//!
//! [`MdSender`]: super::request::MdSender

mod emit;
mod inputs;
mod lifecycle;
mod messages;

use super::book::{Book, Level};
use super::request::{MdReqId, MdReqIdError, MdReqIdFormat};
use crate::strategy::{
    EnginePort, Event, InstrumentId, InstrumentTable, MdEntryTypes, Price, Qty, StaleCause,
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
}
