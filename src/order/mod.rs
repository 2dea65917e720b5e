//! The order stage: order slots, ClOrdIDs, the FIX 4.4 order state machine,
//! positions and realised P&L.
//!
//! Owns every order the engine has sent: a table of `max_orders` slots
//! allocated at start-up with a FIFO free list and per-slot generations;
//! ClOrdIDs that name their slot ([`ClOrdIdFormat`]); the encoding of
//! NewOrderSingle (D), OrderCancelRequest (F), OrderCancelReplaceRequest
//! (G), OrderStatusRequest (H) and OrderMassStatusRequest (AF); the state
//! machine driven by ExecutionReport (8) and OrderCancelReject (9); positions
//! and P&L from fills; the [`RiskView`] the risk checks read. It owns no
//! socket, reads no clock and does not check risk (the caller runs the risk
//! checks first, against this stage's [`RiskView`]). It never touches the
//! session or the journal directly: messages go out through an
//! [`OrderSender`] (the engine's is `Session::send`, which journals them),
//! events through an [`EventSink`], and the journal is only read, at
//! start-up ([`OrderManager::replay`], [`journal_records`]).
//!
//! # Driving contract
//!
//! - Start-up: [`OrderManager::new`]; then, if the journal holds earlier
//!   traffic, [`OrderManager::replay`] (or [`OrderManager::replay_journal`])
//!   once, before any command; once the session is logged on,
//!   [`OrderManager::reconcile`], whose status answers (150=I) settle every
//!   order that was open.
//! - Each duty cycle: [`OrderManager::on_command`] for each strategy command
//!   (after the risk checks), [`OrderManager::on_message`] for each inbound
//!   application message of the order session, and
//!   [`OrderManager::flush_events`] to retry events the strategy's ring had
//!   no room for. Both entry points flush first, so events keep their order.
//! - Back-pressure: one input produces at most [`EVENTS_PER_INPUT_MAX`]
//!   events. Stop feeding inputs while [`OrderManager::ready`] is false (the
//!   pending queue could not take another input's events); an event that
//!   finds even the pending queue full is dropped and counted
//!   ([`OrderCounters::events_dropped`]) — never a block, never growth.
//!
//! Nothing in `on_command`, `on_message`, `flush_events` or the
//! [`RiskView`] methods allocates (proved by `tests/order_no_alloc.rs`).
//!
//! # Decisions
//!
//! - **Cancel and replace** are sent while the order is PendingNew, New or
//!   PartiallyFilled with no other request pending (FIX 4.4 allows
//!   cancelling an unacknowledged order: Appendix D B.1.d/B.1.e). Anything
//!   else is refused locally with `CancelRejected{NotCancelable}` (finished
//!   orders, a second request while one is pending — so chaining, D.2.a/b,
//!   is never needed) or `{UnknownOrder}` (an id never issued); the venue
//!   never sees a request it could only answer "unknown order".
//!   OrigClOrdID (41) is the last ClOrdID the venue accepted, as FIX 4.4
//!   requires: a rejected replace does not move it.
//! - **Fills are booked by CumQty**, not by summing LastQty: a report whose
//!   CumQty is above what is booked books the difference (LastQty at LastPx,
//!   any remainder at the price AvgPx implies); a report at or below it books
//!   nothing. So CumQty never goes backwards, repeated or out-of-order fills
//!   with fresh ExecIDs are harmless, and a status report (150=I) that shows
//!   more filled than was seen books it.
//! - **Unknown or stale reports** (a ClOrdID this stage never issued, or one
//!   of an earlier occupant of a reused slot) are counted and produce no
//!   event: there is no OrderId to give the strategy, and a fill the engine
//!   cannot match is, in FIX, for a DontKnowTrade (Q) — not for the
//!   position. `unknown_fills` counts them for operations. A report for an
//!   order of this stage that has already finished (the slot not yet reused)
//!   is *late*: a fill that raises its CumQty is still booked and reported, a
//!   cancel reject still answers the pending request, anything else is
//!   counted — except a replace the venue applied after all (it crossed
//!   the fill that finished the order), which reopens the order.
//! - **ExecID dedupe** uses a ring of the last `exec_ids_max` ExecIDs;
//!   status reports (150=I, whose ExecID FIX sets to 0) are never deduped.
//! - **Trade corrections and busts** (150=G/H) are counted and not applied.
//! - **OrdStatus drives the state, ExecType the events.** A "Pending ..."
//!   OrdStatus is shown from this stage's own pending request; the venue's
//!   OrdStatus otherwise gives the state (DoneForDay expires all but GTC
//!   orders). [`OrderState::Replaced`] is never an order's state here: an
//!   [`OrderId`] follows the order across its replaces, and the news is
//!   [`Event::Replaced`].
//! - **Restatements** (150=D) update quantity and price and emit
//!   [`Event::Status`]; status reports (150=I) always emit it.
//! - **A send the session refuses** (not logged on, an encoding error, a
//!   journal failure) refuses the command with `SessionDown`, counted by
//!   cause; a new order's slot goes back to the free list.
//! - **Status requests** go to the venue for open orders while the session
//!   is up; otherwise they are answered from the stage's own view
//!   ([`Event::Status`]), and for an id the stage no longer holds with
//!   `Rejected{tag: 0, reason: UnknownOrder}`.
//! - Strategy tags are not on the wire, so orders rebuilt by replay have
//!   none (they do not count for [`RiskView::tag_in_use`]).

mod clordid;
mod command;
mod events;
mod index;
mod positions;
mod replay;
mod report;
mod slot;
mod transition;

pub use clordid::{ClOrdId, ClOrdIdFormat, ClOrdIdParts, CL_ORD_ID_MAX, PREFIX_MAX, SLOTS_MAX};
pub(crate) use events::EventQueue;
pub use events::EventSink;
pub use positions::Position;
pub use replay::{journal_records, Direction, ReplayReport};
pub use report::Outcome;

use crate::codec::MessageWriter;
use crate::risk::RiskView;
use crate::session::SendError;
use crate::strategy::{
    Event, InstrumentId, InstrumentTable, OrdType, OrderId, OrderState, Price, Qty, Side,
    TimeInForce,
};
use index::{ExecIdSet, TagIndex};
use slot::{FreeList, Order};
use std::sync::Arc;

/// The most events one command or message produces.
pub const EVENTS_PER_INPUT_MAX: usize = 4;

/// Sends the stage's messages on the order session. The engine implements
/// it over `Session::send`; tests over an encoder.
pub trait OrderSender {
    /// Sends an application message whose body `body` writes (the session
    /// writes the header and trailer and journals it). Returns the MsgSeqNum.
    fn send(
        &mut self,
        msg_type: &[u8],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError>;

    /// Is the session logged on (can it send now)?
    fn is_up(&self) -> bool;
}

/// Order stage settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderConfig {
    /// Order slots (open orders at most), 1 to [`SLOTS_MAX`].
    pub max_orders: u32,
    /// Leads every ClOrdID: at most 8 printable ASCII bytes. Must differ
    /// from any other engine's on the same venue account, and change if the
    /// journal is started afresh on a day ids were already used (the slot
    /// generations restart with an empty journal).
    pub clordid_prefix: String,
    /// Account (1) on every order request, if set.
    pub account: Option<String>,
    /// Events held while the strategy's ring is full.
    pub events_pending_max: usize,
    /// ExecIDs remembered for duplicate detection.
    pub exec_ids_max: usize,
}

impl Default for OrderConfig {
    fn default() -> Self {
        OrderConfig {
            max_orders: 4096,
            clordid_prefix: "FR".to_string(),
            account: None,
            events_pending_max: 1024,
            exec_ids_max: 8192,
        }
    }
}

/// Why the order stage could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OrderConfigError {
    /// `clordid_prefix` longer than 8 bytes.
    #[error("order config: clordid_prefix {prefix:?} is {len} bytes; at most 8 are allowed")]
    PrefixTooLong {
        /// The prefix.
        prefix: String,
        /// Its length.
        len: usize,
    },
    /// `clordid_prefix` with a space, control or non-ASCII character.
    #[error("order config: clordid_prefix {prefix:?} may hold only printable ASCII (no spaces)")]
    PrefixCharacters {
        /// The prefix.
        prefix: String,
    },
    /// `max_orders` out of range.
    #[error("order config: max_orders = {0}: must be between 1 and {SLOTS_MAX}")]
    MaxOrders(u32),
    /// `account` empty, too long or with control characters.
    #[error("order config: account {0:?} must be 1 to 64 bytes without control characters")]
    Account(String),
    /// `events_pending_max` too small.
    #[error("order config: events_pending_max = {0}: must be at least {EVENTS_PER_INPUT_MAX}")]
    EventsPendingMax(usize),
    /// `exec_ids_max` zero.
    #[error("order config: exec_ids_max must be at least 1")]
    ExecIdsMax,
}

/// What the stage did and saw, for metrics and reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OrderCounters {
    /// NewOrderSingle sent.
    pub orders_sent: u64,
    /// OrderCancelRequest sent.
    pub cancels_sent: u64,
    /// OrderCancelReplaceRequest sent.
    pub replaces_sent: u64,
    /// OrderStatusRequest sent.
    pub status_sent: u64,
    /// OrderMassStatusRequest sent.
    pub mass_status_sent: u64,
    /// New orders refused here (session down, no slot, bad values).
    pub local_rejects: u64,
    /// Cancels and replaces refused here.
    pub local_cancel_rejects: u64,
    /// Sends refused because the session was not logged on.
    pub send_not_logged_on: u64,
    /// Sends that failed to encode (a bug or a config error).
    pub send_encode_errors: u64,
    /// Sends that failed to journal.
    pub send_store_errors: u64,
    /// Commands that are not the order stage's (market data, quotes).
    pub commands_ignored: u64,
    /// ExecutionReports and OrderCancelRejects handled.
    pub reports: u64,
    /// Reports that added nothing (repeated ExecID, CumQty not above what
    /// is booked, an old replace, an unsolicited cancel reject).
    pub duplicate_reports: u64,
    /// Reports for ClOrdIDs this stage never issued.
    pub unknown_reports: u64,
    /// Reports for an earlier occupant of a reused slot.
    pub stale_reports: u64,
    /// Reports for a finished order that changed nothing.
    pub late_reports: u64,
    /// Fills (150=F) among the unknown and stale reports: not booked; the
    /// FIX answer is a DontKnowTrade.
    pub unknown_fills: u64,
    /// Fills booked after their order had finished.
    pub late_fills: u64,
    /// Trade corrections and busts (150=G/H), not applied.
    pub trade_corrections: u64,
    /// Reports with a missing or undecodable field the stage needs.
    pub malformed_reports: u64,
    /// ExecutionReports that rejected a request while the order lived on
    /// (150=8 with a live OrdStatus, e.g. a duplicate ClOrdID).
    pub request_rejects: u64,
    /// Finished orders made open again by a replace that crossed their
    /// completion and that the venue applied.
    pub reopened: u64,
    /// Events lost because the pending queue was full too.
    pub events_dropped: u64,
}

/// An order as the stage knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderView {
    /// Its id.
    pub id: OrderId,
    /// The strategy's tag (`None` for an order rebuilt by replay).
    pub tag: Option<u64>,
    /// What.
    pub instrument: InstrumentId,
    /// Buy or sell.
    pub side: Side,
    /// Market or limit.
    pub ord_type: OrdType,
    /// Time in force.
    pub tif: TimeInForce,
    /// Limit price now.
    pub price: Price,
    /// Total quantity now.
    pub qty: Qty,
    /// Filled (and booked) so far.
    pub cum_qty: Qty,
    /// Still working.
    pub leaves_qty: Qty,
    /// State, with a pending cancel or replace shown.
    pub state: OrderState,
    /// Not terminal.
    pub open: bool,
    /// Average fill price, if anything filled.
    pub avg_px: Option<Price>,
}

/// Where an [`OrderId`] from a command stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// An open order in this slot.
    Open(usize),
    /// A finished order whose slot is not reused yet.
    Finished(usize),
    /// A finished order whose slot has been reused.
    Forgotten,
    /// Never issued.
    Unknown,
}

/// The order stage. See the module documentation for the driving contract.
#[derive(Debug)]
pub struct OrderManager {
    ids: ClOrdIdFormat,
    account: Option<Box<[u8]>>,
    instruments: Arc<InstrumentTable>,
    orders: Box<[Order]>,
    free: FreeList,
    open: u32,
    tags: TagIndex,
    exec_ids: ExecIdSet,
    positions: Box<[Position]>,
    /// Per instrument: open buy and sell quantity.
    open_qty: Box<[[i64; 2]]>,
    events: EventQueue,
    counters: OrderCounters,
    mass_status_seq: u32,
    /// Replaying the journal: no events, no free-list upkeep.
    replaying: bool,
}

impl OrderManager {
    /// Allocates everything the stage will ever use.
    pub fn new(
        config: OrderConfig,
        instruments: Arc<InstrumentTable>,
    ) -> Result<OrderManager, OrderConfigError> {
        let ids = ClOrdIdFormat::new(&config.clordid_prefix, config.max_orders)?;
        let account = match config.account {
            None => None,
            Some(a) => {
                if a.is_empty() || a.len() > 64 || a.bytes().any(|b| b.is_ascii_control()) {
                    return Err(OrderConfigError::Account(a));
                }
                Some(a.into_bytes().into_boxed_slice())
            }
        };
        if config.events_pending_max < EVENTS_PER_INPUT_MAX {
            return Err(OrderConfigError::EventsPendingMax(
                config.events_pending_max,
            ));
        }
        if config.exec_ids_max == 0 {
            return Err(OrderConfigError::ExecIdsMax);
        }
        let slots = config.max_orders as usize;
        let n = instruments.len();
        Ok(OrderManager {
            ids,
            account,
            orders: vec![Order::EMPTY; slots].into_boxed_slice(),
            free: FreeList::new(config.max_orders),
            open: 0,
            tags: TagIndex::new(slots),
            exec_ids: ExecIdSet::new(config.exec_ids_max),
            positions: vec![Position::default(); n].into_boxed_slice(),
            open_qty: vec![[0; 2]; n].into_boxed_slice(),
            events: EventQueue::new(config.events_pending_max),
            counters: OrderCounters::default(),
            mass_status_seq: 0,
            replaying: false,
            instruments,
        })
    }

    /// The ClOrdID format in use.
    pub fn clordid_format(&self) -> &ClOrdIdFormat {
        &self.ids
    }

    /// The instrument table.
    pub fn instruments(&self) -> &Arc<InstrumentTable> {
        &self.instruments
    }

    /// Counters.
    pub fn counters(&self) -> &OrderCounters {
        &self.counters
    }

    /// An order, if the stage still holds it (open, or finished with its
    /// slot not yet reused).
    pub fn order(&self, id: OrderId) -> Option<OrderView> {
        match self.known(id) {
            Known::Open(s) | Known::Finished(s) => Some(self.view(s)),
            Known::Forgotten | Known::Unknown => None,
        }
    }

    /// Every open order.
    pub fn open_order_views(&self) -> impl Iterator<Item = OrderView> + '_ {
        (0..self.orders.len())
            .filter(|&s| self.orders[s].open)
            .map(|s| self.view(s))
    }

    /// The ClOrdID the venue knows the order by now (the one the next
    /// cancel or replace names as OrigClOrdID).
    pub fn cl_ord_id(&self, id: OrderId) -> Option<ClOrdId> {
        match self.known(id) {
            Known::Open(s) | Known::Finished(s) => Some(self.ids.write(ClOrdIdParts {
                slot: s as u32,
                generation: self.orders[s].generation,
                version: self.orders[s].working_version,
            })),
            Known::Forgotten | Known::Unknown => None,
        }
    }

    /// The position in an instrument.
    pub fn position_of(&self, instrument: InstrumentId) -> Option<&Position> {
        self.positions.get(instrument.0 as usize)
    }

    /// Every instrument's position, by id.
    pub fn positions(&self) -> impl Iterator<Item = (InstrumentId, &Position)> + '_ {
        self.positions
            .iter()
            .enumerate()
            .map(|(i, p)| (InstrumentId(i as u16), p))
    }

    /// Events waiting for room in the sink.
    pub fn events_pending(&self) -> usize {
        self.events.len()
    }

    /// True when the pending queue can take the events of one more input.
    pub fn ready(&self) -> bool {
        self.events.len() + EVENTS_PER_INPUT_MAX <= self.events.capacity()
    }

    /// Offers the pending events to `sink`, in order, until it refuses one;
    /// returns how many it took.
    pub fn flush_events<E: EventSink + ?Sized>(&mut self, sink: &mut E) -> usize {
        self.events.drain_into(sink)
    }

    // ---- internals shared by the command, report and replay halves ----

    fn view(&self, s: usize) -> OrderView {
        let o = &self.orders[s];
        OrderView {
            id: OrderId {
                slot: s as u32,
                generation: o.generation,
            },
            tag: o.tagged.then_some(o.tag),
            instrument: o.instrument,
            side: o.side,
            ord_type: o.ord_type,
            tif: o.tif,
            price: o.price,
            qty: o.qty,
            cum_qty: o.cum,
            leaves_qty: o.leaves,
            state: o.state(),
            open: o.open,
            avg_px: (o.cum.0 > 0)
                .then(|| i64::try_from(o.cum_notional / i128::from(o.cum.0)).ok())
                .flatten()
                .map(Price),
        }
    }

    #[inline]
    fn known(&self, id: OrderId) -> Known {
        let Some(o) = self.orders.get(id.slot as usize) else {
            return Known::Unknown;
        };
        if id.generation == 0 || id.generation > o.generation {
            Known::Unknown
        } else if id.generation < o.generation {
            Known::Forgotten
        } else if o.open {
            Known::Open(id.slot as usize)
        } else {
            Known::Finished(id.slot as usize)
        }
    }

    #[inline]
    fn order_id(&self, s: usize) -> OrderId {
        OrderId {
            slot: s as u32,
            generation: self.orders[s].generation,
        }
    }

    /// Hands an event to the sink, or queues it behind earlier ones.
    #[inline]
    fn emit<E: EventSink + ?Sized>(&mut self, sink: &mut E, e: Event) {
        if self.replaying {
            return;
        }
        if self.events.is_empty() && sink.push(e) {
            return;
        }
        if !self.events.push(e) {
            self.counters.events_dropped += 1;
        }
    }

    /// Tells the strategy the order's state as the stage knows it.
    fn status_event<E: EventSink + ?Sized>(&mut self, events: &mut E, s: usize) {
        let o = &self.orders[s];
        let e = Event::Status {
            order: self.order_id(s),
            state: o.state(),
            cum_qty: o.cum,
            leaves_qty: o.leaves,
        };
        self.emit(events, e);
    }

    /// Moves the open quantity of the order in `s` from `before` to what
    /// it is now.
    #[inline]
    fn reexpose(&mut self, s: usize, before: i64) {
        let o = &self.orders[s];
        let after = o.exposure();
        if after != before {
            let side = match o.side {
                Side::Buy => 0,
                Side::Sell => 1,
            };
            let q = &mut self.open_qty[o.instrument.0 as usize][side];
            *q = q.saturating_add(after).saturating_sub(before);
        }
    }

    /// The order in `s` reached a terminal state: it stops counting as
    /// open and its slot joins the back of the free list.
    #[inline]
    fn finish(&mut self, s: usize) {
        let o = &mut self.orders[s];
        if !o.open {
            return;
        }
        o.open = false;
        o.leaves = Qty(0);
        if o.tagged {
            self.tags.remove(o.tag, s as u32);
        }
        self.open -= 1;
        if !self.replaying {
            self.free.push(s as u32);
        }
    }
}

impl RiskView for OrderManager {
    #[inline]
    fn open_orders(&self) -> u32 {
        self.open
    }

    #[inline]
    fn position(&self, instrument: InstrumentId) -> Qty {
        self.positions
            .get(instrument.0 as usize)
            .map_or(Qty(0), |p| p.qty)
    }

    #[inline]
    fn open_qty(&self, instrument: InstrumentId) -> (Qty, Qty) {
        self.open_qty
            .get(instrument.0 as usize)
            .map_or((Qty(0), Qty(0)), |q| (Qty(q[0]), Qty(q[1])))
    }

    #[inline]
    fn market_price(&self, instrument: InstrumentId) -> Option<Price> {
        self.positions
            .get(instrument.0 as usize)
            .and_then(|p| p.last_px)
    }

    #[inline]
    fn tag_in_use(&self, tag: u64) -> bool {
        self.tags.contains(tag)
    }
}
