//! Inbound: ExecutionReport (8) and OrderCancelReject (9) drive the order
//! state machine (FIX 4.4 Volume 4, Appendix D) and the positions.

use super::index::ExecIdSet;
use super::slot::Pending;
use super::transition::{fill_event, REASON_OTHER};
use super::{EventSink, OrderManager};
use crate::codec::tags::*;
use crate::codec::{Fixed, Message, UtcTimestamp};
use crate::strategy::{Event, OrderState, Price, Qty, RejectReason};

/// What became of one inbound message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It changed an order (state, quantities, position) or answered a
    /// request.
    Applied,
    /// Nothing new: a repeated ExecID, a fill whose CumQty is not above what
    /// is booked, an older replace, a cancel reject with no request pending.
    Duplicate,
    /// Its ClOrdID (and OrigClOrdID) is not one this stage issued.
    Unknown,
    /// Its ClOrdID names an earlier occupant of a reused slot.
    Stale,
    /// For an order already finished, and nothing to apply.
    Late,
    /// A trade correction or bust (150=G/H): counted, not applied.
    Unsupported,
    /// A field the stage needs is missing or undecodable.
    Malformed,
    /// Not an ExecutionReport or OrderCancelReject.
    NotOrderMessage,
}

/// Which order an inbound id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolved {
    Order { slot: usize, version: u32 },
    Stale,
    Unknown,
}

/// The fields of an ExecutionReport the stage reads, from one pass.
#[derive(Debug, Default)]
pub(super) struct Report<'a> {
    pub cl_ord_id: Option<&'a [u8]>,
    pub orig_cl_ord_id: Option<&'a [u8]>,
    pub order_id: &'a [u8],
    pub exec_id: &'a [u8],
    pub exec_type: Option<u8>,
    pub ord_status: Option<u8>,
    pub cum: Option<i64>,
    pub leaves: Option<i64>,
    pub last_qty: Option<i64>,
    pub last_px: Option<Price>,
    pub avg_px: Option<Price>,
    pub order_qty: Option<i64>,
    pub price: Option<Price>,
    /// OrdRejReason (103), or CxlRejReason (102).
    pub reason: Option<u16>,
}

fn set<T>(slot: &mut Option<T>, v: T) {
    if slot.is_none() {
        *slot = Some(v);
    }
}

/// Quantities above this are not believed: a report carrying one is
/// malformed. It keeps every product of a quantity and a price, and their
/// sums over an order, far inside `i128`.
const QTY_MAX: i64 = 1_000_000_000_000_000;

/// A whole quantity (a fractional one does not fit [`Qty`]).
fn quantity(v: &[u8]) -> Option<i64> {
    Fixed::parse(v)
        .ok()?
        .mantissa_at(0)
        .filter(|q| q.unsigned_abs() <= QTY_MAX as u64)
}

/// A price at 8 decimals; more decimals (a computed AvgPx often has them)
/// are truncated rather than costing the report.
fn price(v: &[u8]) -> Option<Price> {
    let f = Fixed::parse(v).ok()?;
    if f.scale <= Price::DECIMALS {
        return Price::from_fixed(f);
    }
    let div = 10i64.checked_pow(u32::from(f.scale - Price::DECIMALS))?;
    Some(Price(f.mantissa / div))
}

fn single(v: &[u8]) -> Option<u8> {
    match v {
        [c] => Some(*c),
        _ => None,
    }
}

fn reason(v: &[u8]) -> Option<u16> {
    crate::codec::value::parse_u64(v)
        .ok()
        .and_then(|n| u16::try_from(n).ok())
}

impl<'a> Report<'a> {
    /// One pass over the body; the first occurrence of a tag counts. `None`
    /// when a field is present but undecodable.
    fn read(msg: &Message<'a>) -> Option<Report<'a>> {
        let mut r = Report::default();
        for f in msg.body().iter() {
            let v = f.value();
            match f.tag() {
                CL_ORD_ID => set(&mut r.cl_ord_id, v),
                ORIG_CL_ORD_ID => set(&mut r.orig_cl_ord_id, v),
                ORDER_ID if r.order_id.is_empty() => r.order_id = v,
                EXEC_ID if r.exec_id.is_empty() => r.exec_id = v,
                EXEC_TYPE => set(&mut r.exec_type, single(v)?),
                ORD_STATUS => set(&mut r.ord_status, single(v)?),
                CUM_QTY => set(&mut r.cum, quantity(v)?),
                LEAVES_QTY => set(&mut r.leaves, quantity(v)?),
                LAST_QTY => set(&mut r.last_qty, quantity(v)?),
                LAST_PX => set(&mut r.last_px, price(v)?),
                AVG_PX => set(&mut r.avg_px, price(v)?),
                ORDER_QTY => set(&mut r.order_qty, quantity(v)?),
                PRICE => set(&mut r.price, price(v)?),
                ORD_REJ_REASON | CXL_REJ_REASON => set(&mut r.reason, reason(v)?),
                _ => {}
            }
        }
        Some(r)
    }
}

impl OrderManager {
    /// Handles one inbound application message of the order session:
    /// ExecutionReports and OrderCancelRejects update orders, positions and
    /// emit events; anything else is [`Outcome::NotOrderMessage`].
    pub fn on_message<E: EventSink + ?Sized>(
        &mut self,
        _now: UtcTimestamp,
        msg: &Message<'_>,
        events: &mut E,
    ) -> Outcome {
        self.flush_events(events);
        match msg.msg_type() {
            b"8" => {
                self.counters.reports += 1;
                self.execution_report(msg, events)
            }
            b"9" => {
                self.counters.reports += 1;
                self.cancel_reject(msg, events)
            }
            _ => Outcome::NotOrderMessage,
        }
    }

    /// Which order `id` names.
    #[inline]
    fn resolve(&self, id: &[u8]) -> Resolved {
        let Some(p) = self.ids.parse(id) else {
            return Resolved::Unknown;
        };
        let o = &self.orders[p.slot as usize];
        if p.generation == 0 || p.generation > o.generation {
            Resolved::Unknown
        } else if p.generation < o.generation {
            Resolved::Stale
        } else if p.version > o.latest_version {
            Resolved::Unknown
        } else {
            Resolved::Order {
                slot: p.slot as usize,
                version: p.version,
            }
        }
    }

    /// The order a ClOrdID names, or failing that its OrigClOrdID.
    fn resolve_pair(&self, cl: Option<&[u8]>, orig: Option<&[u8]>) -> Resolved {
        let a = cl.map_or(Resolved::Unknown, |id| self.resolve(id));
        if matches!(a, Resolved::Order { .. }) {
            return a;
        }
        match orig.map_or(Resolved::Unknown, |id| self.resolve(id)) {
            b @ Resolved::Order { .. } => b,
            Resolved::Stale => Resolved::Stale,
            Resolved::Unknown => a,
        }
    }

    pub(super) fn malformed(&mut self) -> Outcome {
        self.counters.malformed_reports += 1;
        Outcome::Malformed
    }

    pub(super) fn duplicate(&mut self) -> Outcome {
        self.counters.duplicate_reports += 1;
        Outcome::Duplicate
    }

    fn execution_report<E: EventSink + ?Sized>(
        &mut self,
        msg: &Message<'_>,
        events: &mut E,
    ) -> Outcome {
        let Some(r) = Report::read(msg) else {
            return self.malformed();
        };
        let (Some(exec_type), Some(ord_status)) = (r.exec_type, r.ord_status) else {
            return self.malformed();
        };
        // FIX sets ExecID to 0 on status reports: those are never repeats.
        let dedupe = exec_type != b'I' && !r.exec_id.is_empty();
        let key = ExecIdSet::key(r.exec_id);
        if dedupe && self.exec_ids.contains(key) {
            return self.duplicate();
        }
        let (s, version) = match self.resolve_pair(r.cl_ord_id, r.orig_cl_ord_id) {
            Resolved::Order { slot, version } => (slot, version),
            Resolved::Unknown => {
                self.counters.unknown_reports += 1;
                self.counters.unknown_fills += u64::from(exec_type == b'F');
                return Outcome::Unknown;
            }
            Resolved::Stale => {
                self.counters.stale_reports += 1;
                self.counters.unknown_fills += u64::from(exec_type == b'F');
                return Outcome::Stale;
            }
        };
        if dedupe {
            self.exec_ids.insert(key);
        }
        if matches!(exec_type, b'G' | b'H') {
            self.counters.trade_corrections += 1;
            return Outcome::Unsupported;
        }
        self.orders[s].note_venue_order_id(r.order_id);
        if !self.orders[s].open {
            return self.late_report(s, version, exec_type, ord_status, &r, events);
        }
        self.apply(s, version, exec_type, ord_status, &r, events)
    }

    /// An ExecutionReport for an order that has finished: a fill that
    /// raises CumQty is real and still booked; the rest is counted.
    fn late_report<E: EventSink + ?Sized>(
        &mut self,
        s: usize,
        version: u32,
        exec_type: u8,
        ord_status: u8,
        r: &Report<'_>,
        events: &mut E,
    ) -> Outcome {
        // A replace that crossed the order's completion and that the venue
        // applied anyway, leaving it working (FIX 4.4 C.1.c, with the fill
        // and the request crossing): the order lives again.
        if let Pending::Replace {
            version: pending, ..
        } = self.orders[s].pending
        {
            if exec_type == b'5' && version == pending && matches!(ord_status, b'0' | b'1') {
                self.reopen(s);
                return self.apply(s, version, exec_type, ord_status, r, events);
            }
        }
        let cum = self.reported_cum(s, exec_type, r);
        if exec_type == b'F' && cum > self.orders[s].cum.0 {
            if let Some((last_px, last_qty)) = self.book(s, exec_type, cum, r) {
                self.counters.late_fills += 1;
                let id = self.order_id(s);
                let o = &self.orders[s];
                // A late fill: the order is finished, nothing is working.
                let e = fill_event(id, o.cum.0 >= o.qty.0, last_px, last_qty, o.cum, Qty(0));
                self.emit(events, e);
                return Outcome::Applied;
            }
        }
        self.counters.late_reports += 1;
        Outcome::Late
    }

    /// Makes the finished order in `s` open again (its free-list entry, if
    /// not yet taken, is skipped when popped).
    fn reopen(&mut self, s: usize) {
        let o = &mut self.orders[s];
        o.open = true;
        o.base = if o.cum.0 > 0 {
            OrderState::PartiallyFilled
        } else {
            OrderState::New
        };
        let (tagged, tag) = (o.tagged, o.tag);
        if tagged {
            self.tags.insert(tag, s as u32);
        }
        self.open += 1;
        self.counters.reopened += 1;
        self.reexpose(s, 0);
    }

    /// OrderCancelReject (9): the pending cancel or replace was refused.
    /// The order's state is left to ExecutionReports (the reject's OrdStatus
    /// may predate a crossing acknowledgement, FIX 4.4 B.1.e/B.1.f).
    fn cancel_reject<E: EventSink + ?Sized>(
        &mut self,
        msg: &Message<'_>,
        events: &mut E,
    ) -> Outcome {
        let mut cl = None;
        let mut orig = None;
        let mut code = None;
        let mut order_id: &[u8] = b"";
        for f in msg.body().iter() {
            match f.tag() {
                CL_ORD_ID => set(&mut cl, f.value()),
                ORIG_CL_ORD_ID => set(&mut orig, f.value()),
                ORDER_ID if order_id.is_empty() => order_id = f.value(),
                CXL_REJ_REASON => match reason(f.value()) {
                    Some(c) => set(&mut code, c),
                    None => return self.malformed(),
                },
                _ => {}
            }
        }
        let (s, version) = match self.resolve_pair(cl, orig) {
            Resolved::Order { slot, version } => (slot, version),
            Resolved::Unknown => {
                self.counters.unknown_reports += 1;
                return Outcome::Unknown;
            }
            Resolved::Stale => {
                self.counters.stale_reports += 1;
                return Outcome::Stale;
            }
        };
        let o = self.orders[s];
        match o.pending.version() {
            Some(_) if version >= o.working_version => {}
            _ => return self.duplicate(),
        }
        let before = o.exposure();
        self.orders[s].pending = Pending::None;
        self.orders[s].note_venue_order_id(order_id);
        let id = self.order_id(s);
        self.emit(
            events,
            Event::CancelRejected {
                order: id,
                reason: RejectReason::VenueCancelReject(code.unwrap_or(REASON_OTHER)),
            },
        );
        self.reexpose(s, before);
        Outcome::Applied
    }
}
