//! The engine's quote desk: QuoteRequest (R) out; Quote (S), QuoteCancel
//! (Z) and QuoteRequestReject (AG) in; orders placed on quotes handed to
//! pre-trade risk and the order stage.
//!
//! Owns one fixed table of `slots_max` slots allocated at construction.
//! A slot holds one request and, once the venue answers, its one live quote
//! (the venue's QuoteID bytes inline, at most [`QUOTE_ID_MAX`], prices,
//! sizes, validity), with a generation that names the quote to the
//! strategy ([`QuoteId`] = slot + generation). It also owns the QuoteReqID
//! format ([`QuoteReqId`]) and its counters ([`QuoteCounters`]). It owns no
//! socket, reads no clock and keeps no order state: messages go out
//! through an [`OrderSender`], events through an [`EventSink`], an order on
//! a quote is judged by the caller's [`RiskEngine`] and placed by the
//! caller's [`OrderManager`] ([`OrderManager::on_quote_order`]).
//!
//! # Driving contract
//!
//! - Start-up: [`QuoteDesk::new`], then [`QuoteDesk::replay_journal`] (or
//!   [`QuoteDesk::replay`]) once, before any command, so QuoteReqIDs carry
//!   on after the highest one the journal shows sent.
//! - Each duty cycle: [`QuoteDesk::poll`] (pending events, expiries and
//!   request time-outs; cheap until the earliest deadline is due),
//!   [`QuoteDesk::on_command`] for `Command::QuoteRequest` and
//!   `Command::OrderOnQuote`, [`QuoteDesk::on_message`] for every inbound
//!   application message (it takes S, Z and AG and says so), and
//!   [`QuoteDesk::on_disconnect`] when the session drops.
//! - Events go straight to the sink, or wait in the desk's own fixed queue
//!   (`slots_max` + 16) while the sink is full; a full queue drops the
//!   event and counts it ([`QuoteCounter::EventsDropped`]).
//!
//! Nothing after [`QuoteDesk::new`] allocates except the replay at start-up
//! (proved by `tests/quotes_no_alloc.rs`).
//!
//! # Decisions
//!
//! - **QuoteReqID** is `<prefix>Q<slot>.<n>` (see [`QuoteReqId`]): `n`
//!   counts up across restarts because the journal is replayed at
//!   start-up. As for ClOrdIDs, a journal started afresh on a day ids were
//!   already used needs a new `clordid_prefix`.
//! - **One live quote per request.** A second Quote for the same
//!   QuoteReqID replaces the first: the strategy gets
//!   [`Event::QuoteCanceled`] for the old [`QuoteId`], then
//!   [`Event::Quote`] with a new one. A slot is busy from the request until
//!   its quote ends (canceled, expired, traded on, disconnect) or the
//!   request is rejected or times out; a full table refuses the request
//!   locally with [`REQUEST_REJECT_TABLE_FULL`].
//! - **Unsolicited quotes** (no QuoteReqID, one the desk did not write,
//!   or one whose request is over) are counted ([`QuoteCounter::Unknown`])
//!   and ignored: there is no tag to give the strategy, and a quote nobody
//!   asked for is not traded on. So are quotes whose Symbol (55) is not the
//!   request's ([`QuoteCounter::Malformed`]).
//! - **Firm** means QuoteType (537) = 1 (tradeable). Absent, FIX 4.4's
//!   default applies: indicative. 2 (restricted tradeable) and 3 (counter)
//!   are not firm either.
//! - **Sizes**: BidSize (134) / OfferSize (135); when absent, the quote's
//!   OrderQty (38), else the requested quantity — for a side that has a
//!   price. A side without a price has size 0.
//! - **QuoteCancel (Z)**: QuoteCancelType (298) = 4 cancels every live
//!   quote. Otherwise the quote whose QuoteID equals 117 is canceled, if
//!   the desk holds one (venues, `fixrail venue` among them, withdraw one
//!   quote with 298=1 and its symbol in the group); if 117 names none
//!   (e.g. `*`), 298 = 1 with a QuoteEntries group (295) cancels every live
//!   quote on the group's symbols. Each canceled quote is an
//!   [`Event::QuoteCanceled`]. A Z that names no live quote is counted as
//!   unknown.
//! - **QuoteRequestReject (AG)** answers an outstanding request with
//!   [`Event::QuoteRequestRejected`] carrying QuoteRequestRejectReason
//!   (658) as is. An AG for a request that already has a quote is counted
//!   as unknown and ignored (the quote stands until canceled or expired).
//! - **Expiry**: a quote with ValidUntilTime (62) is freed by
//!   [`QuoteDesk::poll`] once `now >= ValidUntilTime` (it is not valid at
//!   that instant: fail closed), and the strategy is told with
//!   [`Event::QuoteCanceled`]. An order on it after that is refused with
//!   `QuoteExpired` (the slot remembers why its quote ended until the slot
//!   is quoted again). A quote without 62 lives until canceled, replaced,
//!   traded on or the session drops.
//! - **Unanswered requests** are given up after `request_timeout_ms`:
//!   [`Event::QuoteRequestRejected`] with [`REQUEST_REJECT_TIMED_OUT`]. A
//!   late answer is then unknown.
//! - **Disconnect**: every outstanding request is answered locally with
//!   [`REQUEST_REJECT_DISCONNECTED`] and every live quote is canceled
//!   ([`Event::QuoteCanceled`]): a venue's quotes do not survive its
//!   session, and nothing outstanding is restored after a reconnect (the
//!   strategy asks again).
//! - **Orders on quotes** (`Command::OrderOnQuote`) are refused by the desk
//!   with `Rejected { order: None }` and, in this order: `UnknownQuote`
//!   (never issued, stale generation, canceled, used), `QuoteExpired`,
//!   `QuoteNotFirm`, `QuoteSide` (a buy needs an offer, a sell a bid),
//!   `QuoteSize` (more than the side's size). Then risk judges it as a
//!   **Limit** order at the quoted price (the offer for a buy, the bid for a
//!   sell) — not OrdType D "previously quoted", which a venue may not
//!   support, while a limit at the quoted price is the same promise and
//!   never trades worse — and the order stage sends the NewOrderSingle with
//!   QuoteID (117), OrdType 2 and TimeInForce FOK (4). Once the D is sent
//!   the quote is used up: its slot is freed (no event: the strategy knows)
//!   and a second order on it is `UnknownQuote`. If risk or the order stage
//!   refuses, the quote stays live. Every desk refusal is also counted in
//!   the risk counters ([`RiskEngine::count`]), beside risk's own.

mod counters;
mod id;
mod order;
mod request;
mod table;
mod venue;

pub use counters::{QuoteCounter, QuoteCounters, QUOTE_COUNTER_KINDS};
pub use id::{QuoteReqId, QUOTE_REQ_ID_MAX};

use crate::codec::tags::QUOTE_REQ_ID;
use crate::codec::{Parser, Tag, UtcTimestamp};
use crate::journal::record::Kind;
use crate::journal::{JournalReader, Position as JournalPosition};
use crate::order::{EventQueue, EventSink, OrderManager, OrderSender};
use crate::risk::RiskEngine;
use crate::strategy::{
    Command, Event, InstrumentId, InstrumentTable, Price, Qty, QuoteId, RejectReason,
};
use id::QuoteReqIdFormat;
use std::sync::Arc;
use table::{End, FreeRing, Slot, State};

/// ValidUntilTime.
const VALID_UNTIL_TIME: Tag = 62;
/// BidPx.
const BID_PX: Tag = 132;
/// OfferPx.
const OFFER_PX: Tag = 133;
/// BidSize.
const BID_SIZE: Tag = 134;
/// OfferSize.
const OFFER_SIZE: Tag = 135;
/// NoRelatedSym.
const NO_RELATED_SYM: Tag = 146;
/// NoQuoteEntries.
const NO_QUOTE_ENTRIES: Tag = 295;
/// QuoteCancelType.
const QUOTE_CANCEL_TYPE: Tag = 298;
/// QuoteType.
const QUOTE_TYPE: Tag = 537;
/// QuoteRequestRejectReason.
const QUOTE_REQUEST_REJECT_REASON: Tag = 658;
/// QuoteRequestRejectReason 99 (Other): an AG whose 658 does not decode.
const REASON_OTHER: u16 = 99;

/// The longest venue QuoteID (117) the desk keeps; a quote with a longer
/// one is malformed (counted, ignored).
pub const QUOTE_ID_MAX: usize = 48;
/// The most slots a desk may have.
pub const QUOTE_SLOTS_MAX: u16 = 4096;

/// Local [`Event::QuoteRequestRejected`] reasons. The venue's
/// QuoteRequestRejectReason (658) values are 1 to 99; the desk's own are
/// 1000 and up, so a strategy can tell them apart.
///
/// The table is full: `slots_max` requests and quotes are live.
pub const REQUEST_REJECT_TABLE_FULL: u16 = 1000;
/// The session is not logged on, or the send failed: nothing was sent.
pub const REQUEST_REJECT_SESSION_DOWN: u16 = 1001;
/// The session dropped while the request was outstanding.
pub const REQUEST_REJECT_DISCONNECTED: u16 = 1002;
/// No such instrument.
pub const REQUEST_REJECT_UNKNOWN_INSTRUMENT: u16 = 1003;
/// The quantity is not positive.
pub const REQUEST_REJECT_BAD_QTY: u16 = 1004;
/// No answer within `request_timeout_ms`.
pub const REQUEST_REJECT_TIMED_OUT: u16 = 1005;

/// Quote desk settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteConfig {
    /// Slots: requests outstanding plus live quotes, at most; 1 to
    /// [`QUOTE_SLOTS_MAX`].
    pub slots_max: u16,
    /// An unanswered request is given up after this long
    /// ([`REQUEST_REJECT_TIMED_OUT`]); 0 = never.
    pub request_timeout_ms: u64,
}

impl Default for QuoteConfig {
    fn default() -> Self {
        QuoteConfig {
            slots_max: 256,
            request_timeout_ms: 30_000,
        }
    }
}

/// Why the quote desk could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QuoteConfigError {
    /// `slots_max` out of range.
    #[error("quote config: slots_max = {0}: must be between 1 and {QUOTE_SLOTS_MAX}")]
    SlotsMax(u16),
    /// `request_timeout_ms` too large to add to a timestamp.
    #[error("quote config: request_timeout_ms = {0}: must be at most 1 day (86400000)")]
    RequestTimeout(u64),
}

/// A live quote as the desk holds it (for inspection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteView {
    /// Its id.
    pub id: QuoteId,
    /// The request's tag.
    pub tag: u64,
    /// What.
    pub instrument: InstrumentId,
    /// BidPx (132), 0 if none.
    pub bid: Price,
    /// Size at the bid.
    pub bid_qty: Qty,
    /// OfferPx (133), 0 if none.
    pub offer: Price,
    /// Size at the offer.
    pub offer_qty: Qty,
    /// ValidUntilTime in nanoseconds since the epoch, 0 if none.
    pub valid_until_ns: i64,
    /// Tradeable (537=1).
    pub firm: bool,
}

/// The quote desk. See the module documentation for the driving contract
/// and the decisions.
#[derive(Debug)]
pub struct QuoteDesk {
    ids: QuoteReqIdFormat,
    instruments: Arc<InstrumentTable>,
    slots: Box<[Slot]>,
    free: FreeRing,
    /// Slots not free.
    busy: usize,
    /// `n` of the next QuoteReqID.
    next_seq: u64,
    request_timeout_ns: i64,
    /// The earliest deadline of any slot (`i64::MAX`: none).
    next_deadline_ns: i64,
    events: EventQueue,
    counters: Arc<QuoteCounters>,
}

impl QuoteDesk {
    /// Allocates everything the desk will ever use. `prefix` is the order
    /// stage's ClOrdID prefix ([`crate::order::ClOrdIdFormat::prefix`]).
    pub fn new(
        config: QuoteConfig,
        prefix: &[u8],
        instruments: Arc<InstrumentTable>,
    ) -> Result<QuoteDesk, QuoteConfigError> {
        if config.slots_max == 0 || config.slots_max > QUOTE_SLOTS_MAX {
            return Err(QuoteConfigError::SlotsMax(config.slots_max));
        }
        if config.request_timeout_ms > 86_400_000 {
            return Err(QuoteConfigError::RequestTimeout(config.request_timeout_ms));
        }
        let n = config.slots_max;
        Ok(QuoteDesk {
            ids: QuoteReqIdFormat::new(prefix),
            instruments,
            slots: vec![Slot::EMPTY; n as usize].into_boxed_slice(),
            free: FreeRing::full(n),
            busy: 0,
            next_seq: 1,
            request_timeout_ns: config.request_timeout_ms as i64 * 1_000_000,
            next_deadline_ns: i64::MAX,
            events: EventQueue::new(n as usize + 16),
            counters: Arc::default(),
        })
    }

    /// The published counters; clone the `Arc` for the control plane.
    pub fn counters(&self) -> &Arc<QuoteCounters> {
        &self.counters
    }

    /// Requests outstanding plus live quotes.
    pub fn busy(&self) -> usize {
        self.busy
    }

    /// Events waiting for room in the sink.
    pub fn events_pending(&self) -> usize {
        self.events.len()
    }

    /// The number the next QuoteReqID will carry.
    pub fn next_request_number(&self) -> u64 {
        self.next_seq
    }

    /// The QuoteReqID of the request in the slot of `quote` (live or
    /// outstanding), for inspection and tests.
    pub fn request_id(&self, slot: u16) -> Option<QuoteReqId> {
        let s = self.slots.get(slot as usize)?;
        (s.state != State::Free).then(|| self.ids.write(slot, s.seq))
    }

    /// A live quote, if `id` names one.
    pub fn quote(&self, id: QuoteId) -> Option<QuoteView> {
        let s = self.slots.get(id.slot as usize)?;
        (s.state == State::Quoted && id.generation != 0 && s.generation == id.generation)
            .then(|| self.view(id.slot as usize))
    }

    /// The venue's QuoteID (117) of a live quote.
    pub fn venue_quote_id(&self, id: QuoteId) -> Option<&[u8]> {
        self.quote(id)?;
        Some(self.slots[id.slot as usize].quote_id())
    }

    fn view(&self, s: usize) -> QuoteView {
        let q = &self.slots[s];
        QuoteView {
            id: QuoteId {
                slot: s as u16,
                generation: q.generation,
            },
            tag: q.tag,
            instrument: q.instrument,
            bid: q.bid,
            bid_qty: q.bid_qty,
            offer: q.offer,
            offer_qty: q.offer_qty,
            valid_until_ns: q.valid_until_ns,
            firm: q.firm,
        }
    }

    // ---- start-up ----

    /// Continues QuoteReqID numbers after the highest one among `outbound`
    /// (messages this engine sent, oldest first; only QuoteRequests written
    /// with this desk's prefix count). Returns how many such requests were
    /// seen. Allocates (a parser): start-up only.
    pub fn replay<'a, I>(&mut self, outbound: I) -> u64
    where
        I: IntoIterator<Item = &'a [u8]>,
    {
        let mut parser = Parser::default();
        let mut seen = 0;
        for raw in outbound {
            let Ok(msg) = parser.parse(raw) else {
                continue;
            };
            if msg.msg_type() != b"R" {
                continue;
            }
            let Some(id) = msg.get(QUOTE_REQ_ID) else {
                continue;
            };
            if let Some((_, n)) = self.ids.parse(id.value()) {
                seen += 1;
                self.next_seq = self.next_seq.max(n.saturating_add(1));
            }
        }
        seen
    }

    /// [`QuoteDesk::replay`] over a journal session's outbound QuoteRequests.
    pub fn replay_journal(&mut self, reader: &JournalReader, session: u32) -> u64 {
        let records = reader
            .iter_from(JournalPosition::default())
            .records()
            .filter(|r| {
                r.header.session == session
                    && r.kind == Kind::Outbound
                    && r.header.msg_type() == b"R"
            })
            .map(|r| r.payload);
        self.replay(records)
    }

    // ---- events ----

    /// Hands an event to the sink, or queues it behind earlier ones.
    #[inline]
    fn emit<E: EventSink + ?Sized>(&mut self, sink: &mut E, e: Event) {
        if self.events.is_empty() && sink.push(e) {
            return;
        }
        if !self.events.push(e) {
            self.counters.bump(QuoteCounter::EventsDropped);
        }
    }

    fn refuse_request<E: EventSink + ?Sized>(&mut self, sink: &mut E, tag: u64, reason: u16) {
        self.counters.bump(QuoteCounter::RequestsRefused);
        self.emit(sink, Event::QuoteRequestRejected { tag, reason });
    }

    fn refuse_order<E: EventSink + ?Sized>(
        &mut self,
        sink: &mut E,
        risk: &mut RiskEngine,
        tag: u64,
        reason: RejectReason,
    ) {
        self.counters.bump(QuoteCounter::OrdersRefused);
        risk.count(reason);
        self.emit(
            sink,
            Event::Rejected {
                tag,
                order: None,
                reason,
            },
        );
    }

    // ---- duty cycle ----

    /// Offers pending events to `sink`, then frees quotes past their
    /// ValidUntilTime ([`Event::QuoteCanceled`]) and gives up requests past
    /// their time-out ([`Event::QuoteRequestRejected`] with
    /// [`REQUEST_REJECT_TIMED_OUT`]). Scans the table only when the
    /// earliest deadline is due. Returns the work done.
    pub fn poll<E: EventSink + ?Sized>(&mut self, now: UtcTimestamp, sink: &mut E) -> usize {
        let mut work = self.events.drain_into(sink);
        let now_ns = now.unix_nanos();
        if now_ns < self.next_deadline_ns {
            return work;
        }
        let mut next = i64::MAX;
        for s in 0..self.slots.len() {
            let slot = self.slots[s];
            if slot.state == State::Free || slot.deadline_ns == 0 {
                continue;
            }
            if now_ns < slot.deadline_ns {
                next = next.min(slot.deadline_ns);
                continue;
            }
            work += 1;
            match slot.state {
                State::Quoted => {
                    let quote = self.quote_id_of(s);
                    self.release(s, End::Expired);
                    self.counters.bump(QuoteCounter::QuotesExpired);
                    self.emit(sink, Event::QuoteCanceled { quote });
                }
                State::Requested => {
                    self.release(s, End::None);
                    self.counters.bump(QuoteCounter::RequestsTimedOut);
                    self.emit(
                        sink,
                        Event::QuoteRequestRejected {
                            tag: slot.tag,
                            reason: REQUEST_REJECT_TIMED_OUT,
                        },
                    );
                }
                State::Free => {}
            }
        }
        self.next_deadline_ns = next;
        work
    }

    /// The session dropped: every outstanding request is answered with
    /// [`REQUEST_REJECT_DISCONNECTED`] and every live quote canceled, in
    /// slot order.
    pub fn on_disconnect<E: EventSink + ?Sized>(&mut self, sink: &mut E) {
        self.events.drain_into(sink);
        for s in 0..self.slots.len() {
            let slot = self.slots[s];
            let e = match slot.state {
                State::Free => continue,
                State::Requested => Event::QuoteRequestRejected {
                    tag: slot.tag,
                    reason: REQUEST_REJECT_DISCONNECTED,
                },
                State::Quoted => Event::QuoteCanceled {
                    quote: self.quote_id_of(s),
                },
            };
            self.release(s, End::Other);
            self.counters.bump(QuoteCounter::DroppedAtDisconnect);
            self.emit(sink, e);
        }
        self.next_deadline_ns = i64::MAX;
    }

    // ---- commands ----

    /// Carries out `Command::QuoteRequest` (a QuoteRequest on the wire, or
    /// a local [`Event::QuoteRequestRejected`]) and `Command::OrderOnQuote`
    /// (a local [`Event::Rejected`], or risk and then the order stage).
    /// Returns false, doing nothing, for any other command.
    pub fn on_command<S, E>(
        &mut self,
        now: UtcTimestamp,
        cmd: &Command,
        risk: &mut RiskEngine,
        orders: &mut OrderManager,
        sender: &mut S,
        sink: &mut E,
    ) -> bool
    where
        S: OrderSender + ?Sized,
        E: EventSink + ?Sized,
    {
        self.events.drain_into(sink);
        match *cmd {
            Command::QuoteRequest {
                tag,
                instrument,
                qty,
                side,
            } => self.request(now, tag, instrument, qty, side, sender, sink),
            Command::OrderOnQuote {
                tag,
                quote,
                side,
                qty,
            } => self.order(now, tag, quote, side, qty, risk, orders, sender, sink),
            _ => return false,
        }
        true
    }
}
