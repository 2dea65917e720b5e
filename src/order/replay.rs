//! Restart: rebuild orders and positions from the journal, then reconcile
//! with the venue.
//!
//! The journal holds every message in and out. Replaying a session's
//! outbound D, F, G (and AF) and inbound 8 and 9 through the stage, in
//! journal order, rebuilds each order in the slot and generation its
//! ClOrdID names, its pending request, its fills and so the positions.
//! Inbound reports go through the same code as live ones (ExecID dedupe and
//! CumQty booking make repeats and resent copies harmless). No events are
//! emitted. Then [`OrderManager::reconcile`] asks the venue about every
//! order still open; the status reports (150=I) settle them.

use super::clordid::parse_base36;
use super::events::Discard;
use super::slot::{Order, Pending};
use super::{OrderManager, OrderSender, Outcome};
use crate::codec::tags::*;
use crate::codec::{Fixed, Message, Parser};
use crate::journal::record::Kind;
use crate::journal::{JournalReader, Position as JournalPosition};
use crate::session::SendError;
use crate::strategy::{OrdType, Price, Qty, Side, TimeInForce};

/// Which way a journaled message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Received from the venue.
    In,
    /// Sent to the venue.
    Out,
}

/// What a replay found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Messages offered.
    pub records: u64,
    /// NewOrderSingles that rebuilt an order.
    pub orders: u64,
    /// Cancel and replace requests that rebuilt a pending request.
    pub requests: u64,
    /// Reports (8, 9) that changed an order.
    pub reports_applied: u64,
    /// Reports that changed nothing (repeats, unknown, late, ...).
    pub reports_ignored: u64,
    /// Outbound messages not rebuilt: another prefix, an unknown symbol, a
    /// field that does not decode, a request for an order not open.
    pub skipped: u64,
    /// Messages that do not parse.
    pub unparseable: u64,
    /// Orders the journal shows reusing a slot whose previous order it
    /// never showed finishing (that order is taken as finished).
    pub overwritten: u64,
    /// Orders open after the replay.
    pub open_orders: u32,
}

/// The fields of our own D, F or G that replay needs.
#[derive(Debug, Default)]
struct Request<'a> {
    cl_ord_id: &'a [u8],
    symbol: &'a [u8],
    side: u8,
    ord_type: u8,
    tif: u8,
    price: Option<Fixed>,
    qty: Option<Fixed>,
}

impl<'a> Request<'a> {
    fn read(msg: &Message<'a>) -> Request<'a> {
        let mut r = Request::default();
        for f in msg.body().iter() {
            let v = f.value();
            match f.tag() {
                CL_ORD_ID => r.cl_ord_id = v,
                SYMBOL => r.symbol = v,
                SIDE => r.side = v.first().copied().unwrap_or(0),
                ORD_TYPE => r.ord_type = v.first().copied().unwrap_or(0),
                TIME_IN_FORCE => r.tif = v.first().copied().unwrap_or(0),
                PRICE => r.price = Fixed::parse(v).ok(),
                ORDER_QTY => r.qty = Fixed::parse(v).ok(),
                _ => {}
            }
        }
        r
    }
}

impl OrderManager {
    /// Rebuilds orders, pending requests and positions from a session's
    /// journaled messages, oldest first (see [`journal_records`]). Call once,
    /// on a fresh stage, before any command. Emits no events and leaves the
    /// counters as they were (the report says what replay saw). Allocates
    /// (a parser): start-up only.
    pub fn replay<'a, I>(&mut self, records: I) -> ReplayReport
    where
        I: IntoIterator<Item = (Direction, &'a [u8])>,
    {
        let mut report = ReplayReport::default();
        let mut parser = Parser::default();
        let counters = self.counters;
        self.replaying = true;
        for (direction, raw) in records {
            report.records += 1;
            let Ok(msg) = parser.parse(raw) else {
                report.unparseable += 1;
                continue;
            };
            match (direction, msg.msg_type()) {
                (Direction::Out, b"D") => match self.replay_new(&msg, &mut report) {
                    true => report.orders += 1,
                    false => report.skipped += 1,
                },
                (Direction::Out, t @ (b"F" | b"G")) => match self.replay_request(&msg, t == b"G") {
                    true => report.requests += 1,
                    false => report.skipped += 1,
                },
                (Direction::Out, b"AF") => self.replay_mass_status(&msg),
                (Direction::In, b"8" | b"9") => {
                    match self.on_message(crate::codec::UtcTimestamp::default(), &msg, &mut Discard)
                    {
                        Outcome::Applied => report.reports_applied += 1,
                        _ => report.reports_ignored += 1,
                    }
                }
                _ => {}
            }
        }
        self.replaying = false;
        self.counters = counters;
        self.rebuild_free_list();
        report.open_orders = self.open;
        report
    }

    /// Replays `session`'s records from a journal (see [`journal_records`]).
    pub fn replay_journal(&mut self, reader: &JournalReader, session: u32) -> ReplayReport {
        self.replay(journal_records(reader, session))
    }

    /// A NewOrderSingle of ours: the order it placed, in its slot.
    fn replay_new(&mut self, msg: &Message<'_>, report: &mut ReplayReport) -> bool {
        let r = Request::read(msg);
        let Some(parts) = self.ids.parse(r.cl_ord_id) else {
            return false;
        };
        let Some(instrument) = self.instruments.find(r.symbol) else {
            return false;
        };
        let side = match r.side {
            b'1' => Side::Buy,
            b'2' => Side::Sell,
            _ => return false,
        };
        let ord_type = match r.ord_type {
            b'1' => OrdType::Market,
            b'2' => OrdType::Limit,
            _ => return false,
        };
        let tif = match r.tif {
            b'0' | 0 => TimeInForce::Day,
            b'1' => TimeInForce::Gtc,
            b'3' => TimeInForce::Ioc,
            b'4' => TimeInForce::Fok,
            _ => return false,
        };
        let Some(qty) = r.qty.and_then(|q| q.mantissa_at(0)) else {
            return false;
        };
        let price = match (ord_type, r.price.and_then(Price::from_fixed)) {
            (OrdType::Limit, Some(p)) => p,
            (OrdType::Limit, None) => return false,
            (OrdType::Market, _) => Price(0),
        };
        let s = parts.slot as usize;
        // Generations only grow: an equal one is this order's D again, a
        // lower one an order the journal already showed replaced.
        if parts.version != 0 || parts.generation <= self.orders[s].generation {
            return false;
        }
        if self.orders[s].open {
            let before = self.orders[s].exposure();
            self.finish(s);
            self.reexpose(s, before);
            report.overwritten += 1;
        }
        self.orders[s] = Order::placed(
            parts.generation,
            instrument,
            side,
            ord_type,
            tif,
            price,
            Qty(qty),
        );
        self.open += 1;
        self.reexpose(s, 0);
        true
    }

    /// A cancel or replace request of ours for an open order: pending again.
    fn replay_request(&mut self, msg: &Message<'_>, replace: bool) -> bool {
        let r = Request::read(msg);
        let Some(parts) = self.ids.parse(r.cl_ord_id) else {
            return false;
        };
        let s = parts.slot as usize;
        let o = self.orders[s];
        if !o.open || o.generation != parts.generation || parts.version <= o.latest_version {
            return false;
        }
        let pending = if replace {
            let Some(qty) = r.qty.and_then(|q| q.mantissa_at(0)) else {
                return false;
            };
            let price = match o.ord_type {
                OrdType::Limit => match r.price.and_then(Price::from_fixed) {
                    Some(p) => p,
                    None => return false,
                },
                OrdType::Market => Price(0),
            };
            Pending::Replace {
                version: parts.version,
                price,
                qty: Qty(qty),
            }
        } else {
            Pending::Cancel {
                version: parts.version,
            }
        };
        let before = o.exposure();
        self.orders[s].latest_version = parts.version;
        self.orders[s].pending = pending;
        self.reexpose(s, before);
        true
    }

    /// An OrderMassStatusRequest of ours: later ones count on from its id.
    fn replay_mass_status(&mut self, msg: &Message<'_>) {
        let Some(id) = msg.get(MASS_STATUS_REQ_ID).map(|f| f.value()) else {
            return;
        };
        let prefix = self.ids.prefix();
        if id.len() > prefix.len() && id.starts_with(prefix) && id[prefix.len()] == b'M' {
            if let Some(n) = parse_base36(&id[prefix.len() + 1..]) {
                self.mass_status_seq = self.mass_status_seq.max(n);
            }
        }
    }

    /// Free slots after a replay: never-used slots first, then finished
    /// ones (reused last, so their late reports are still recognised).
    fn rebuild_free_list(&mut self) {
        self.free.clear();
        for pass_used in [false, true] {
            for (s, o) in self.orders.iter().enumerate() {
                if !o.open && (o.generation > 0) == pass_used {
                    self.free.push(s as u32);
                }
            }
        }
        debug_assert_eq!(self.free.len() + self.open as usize, self.orders.len());
    }

    /// Sends an OrderStatusRequest (H) for every open order; their status
    /// reports (150=I) then settle each one. Returns how many were sent;
    /// stops at the first send that fails.
    pub fn reconcile<S: OrderSender + ?Sized>(&mut self, sender: &mut S) -> Result<u32, SendError> {
        let mut sent = 0;
        for s in 0..self.orders.len() {
            if self.orders[s].open {
                self.send_status(s, sender)?;
                sent += 1;
            }
        }
        Ok(sent)
    }
}

/// A journal session's order traffic, oldest first, for
/// [`OrderManager::replay`]: outbound D, F, G, AF and inbound 8, 9 (read
/// only; corrupt records are skipped as the reader skips them).
pub fn journal_records(
    reader: &JournalReader,
    session: u32,
) -> impl Iterator<Item = (Direction, &[u8])> + '_ {
    reader
        .iter_from(JournalPosition::default())
        .records()
        .filter_map(move |r| {
            if r.header.session != session {
                return None;
            }
            let direction = match r.kind {
                Kind::Inbound => Direction::In,
                Kind::Outbound => Direction::Out,
                _ => return None,
            };
            let wanted = match direction {
                Direction::In => matches!(r.header.msg_type(), b"8" | b"9"),
                Direction::Out => matches!(r.header.msg_type(), b"D" | b"F" | b"G" | b"AF"),
            };
            wanted.then_some((direction, r.payload))
        })
}
