//! One ExecutionReport applied to an open order: the FIX 4.4 order state
//! machine. OrdStatus (39) gives the state, ExecType (150) the events,
//! CumQty (14) the fills booked.

use super::report::Report;
use super::slot::Pending;
use super::{EventSink, OrderManager, Outcome};
use crate::strategy::{Event, OrdType, OrderId, OrderState, Price, Qty, RejectReason, TimeInForce};

/// The "other" reason code, when a reject carries none.
pub(super) const REASON_OTHER: u16 = 99;

/// An OrdStatus (39) value FIX 4.4 defines (and 4.2's Replaced).
fn known_ord_status(c: u8) -> bool {
    matches!(c, b'0'..=b'9' | b'A'..=b'E')
}

/// What one report did, for the events it produces.
#[derive(Debug, Clone, Copy)]
struct Change {
    id: OrderId,
    was: OrderState,
    state: OrderState,
    fill: Option<(Price, Qty)>,
    /// A replace took effect and is to be reported.
    replaced: bool,
    /// A pending request refused by a 150=8 (its CxlRejReason stand-in).
    request_rejected: Option<u16>,
}

impl OrderManager {
    /// The CumQty a report states (for a trade without one: what is
    /// booked plus LastQty).
    pub(super) fn reported_cum(&self, s: usize, exec_type: u8, r: &Report<'_>) -> i64 {
        let booked = self.orders[s].cum.0;
        match r.cum {
            Some(c) => c,
            None if exec_type == b'F' => booked.saturating_add(r.last_qty.unwrap_or(0).max(0)),
            None => booked,
        }
    }

    /// Books the fills `r` shows beyond what is booked for the order in
    /// `s` (up to CumQty `cum`): LastQty at LastPx for a trade, the rest at
    /// the price AvgPx implies for it. Returns the fill to report (LastPx,
    /// LastQty) for a trade. Quantities are bounded when read, so the
    /// `i128` products cannot overflow.
    pub(super) fn book(
        &mut self,
        s: usize,
        exec_type: u8,
        cum: i64,
        r: &Report<'_>,
    ) -> Option<(Price, Qty)> {
        let o = &mut self.orders[s];
        let delta = cum - o.cum.0;
        if delta <= 0 {
            return None;
        }
        let trade = exec_type == b'F';
        let (lq, lp) = match (r.last_qty, r.last_px) {
            (Some(q), Some(p)) if trade && q > 0 && q <= delta => (q, p),
            _ => (0, Price(0)),
        };
        let trade_notional = i128::from(lq) * i128::from(lp.0);
        let gap = delta - lq;
        let gap_notional = if gap == 0 {
            0
        } else {
            let implied = match r.avg_px {
                Some(avg) => i128::from(avg.0) * i128::from(cum) - o.cum_notional - trade_notional,
                None => i128::from(r.last_px.unwrap_or(o.price).0) * i128::from(gap),
            };
            implied.max(0)
        };
        let notional = trade_notional + gap_notional;
        let px = if lq > 0 {
            lp
        } else {
            Price(i64::try_from(gap_notional / i128::from(gap)).unwrap_or(0))
        };
        o.cum = Qty(cum);
        o.cum_notional += notional;
        let (instrument, side) = (o.instrument, o.side);
        if let Some(p) = self.positions.get_mut(instrument.0 as usize) {
            p.book(side, delta, notional, px);
        }
        trade.then(|| (r.last_px.unwrap_or(px), Qty(r.last_qty.unwrap_or(delta))))
    }

    /// The state the venue's OrdStatus gives the order in `s` (whose `cum`
    /// is up to date); `None` for a value FIX 4.4 does not define.
    fn venue_state(&self, s: usize, ord_status: u8) -> Option<OrderState> {
        let o = &self.orders[s];
        let working = if o.qty.0 > 0 && o.cum.0 >= o.qty.0 {
            OrderState::Filled
        } else if o.cum.0 > 0 {
            OrderState::PartiallyFilled
        } else {
            OrderState::New
        };
        Some(match ord_status {
            // New, PartiallyFilled, (4.2's Replaced), PendingCancel, Stopped,
            // Suspended, AcceptedForBidding, PendingReplace: working, as far
            // as the quantities say ("pending" is this stage's own overlay).
            b'0' | b'1' | b'5' | b'6' | b'7' | b'9' | b'D' | b'E' => working,
            b'2' => OrderState::Filled,
            // DoneForDay, Calculated: the day is over for the order.
            b'3' | b'B' => {
                if o.tif == TimeInForce::Gtc || working == OrderState::Filled {
                    working
                } else {
                    OrderState::Expired
                }
            }
            b'4' => OrderState::Canceled,
            b'8' => OrderState::Rejected,
            b'A' if o.base == OrderState::PendingNew => OrderState::PendingNew,
            b'A' => working,
            b'C' => OrderState::Expired,
            _ => return None,
        })
    }

    /// A replace taking effect: solicited (150=5), or seen in a status or
    /// restatement naming a newer ClOrdID than the working one (and not the
    /// pending cancel's, which names a canceled order). Then the quantity
    /// and price the report states. Returns whether a replace took effect
    /// and whether it is to be reported.
    fn adopt_replace(&mut self, s: usize, version: u32, exec_type: u8, r: &Report<'_>) -> bool {
        let o = &mut self.orders[s];
        let names_cancel = o.pending == Pending::Cancel { version };
        let replaced = exec_type == b'5'
            || (matches!(exec_type, b'I' | b'D') && version > o.working_version && !names_cancel);
        let mut answered = false;
        if replaced {
            if let Pending::Replace {
                version: pending,
                price,
                qty,
            } = o.pending
            {
                if version >= pending {
                    o.pending = Pending::None;
                    o.price = price;
                    o.qty = qty;
                    answered = true;
                }
            }
            o.working_version = o.working_version.max(version);
        }
        if matches!(exec_type, b'5' | b'D' | b'I') {
            if let Some(q) = r.order_qty {
                o.qty = Qty(q);
            }
            if o.ord_type == OrdType::Limit {
                if let Some(p) = r.price {
                    o.price = p;
                }
            }
        }
        replaced && (answered || exec_type == b'5')
    }

    /// An ExecutionReport for an open order.
    pub(super) fn apply<E: EventSink + ?Sized>(
        &mut self,
        s: usize,
        version: u32,
        exec_type: u8,
        ord_status: u8,
        r: &Report<'_>,
        events: &mut E,
    ) -> Outcome {
        if !known_ord_status(ord_status) {
            return self.malformed();
        }
        let cum = self.reported_cum(s, exec_type, r);
        let prior = self.orders[s];
        if exec_type == b'F' && cum <= prior.cum.0 {
            // Booked already: a repeat, or an earlier fill arriving late.
            return self.duplicate();
        }
        // A replace report for a version already in force (or older) and
        // not the one pending: a repeat that outlived the ExecID ring.
        if exec_type == b'5'
            && version <= prior.working_version
            && prior.pending.version() != Some(version)
        {
            return self.duplicate();
        }
        let before = prior.exposure();
        let replaced = self.adopt_replace(s, version, exec_type, r);
        let fill = self.book(s, exec_type, cum, r);
        let mut state = self.venue_state(s, ord_status).unwrap_or(prior.base);
        // A rejected request (150=8) on an order that lives on: the venue
        // refused a request, not the order (FIX 4.4 F.1.a, or a venue that
        // rejects replaces this way).
        let mut request_rejected = None;
        if exec_type == b'8' && state != OrderState::Rejected {
            self.counters.request_rejects += 1;
            if self.orders[s].pending.version() == Some(version) {
                self.orders[s].pending = Pending::None;
                request_rejected = Some(r.reason.unwrap_or(REASON_OTHER));
            }
        }
        // Nothing moves an order back to PendingNew; a terminal state is
        // final (this order is open, so its state is not terminal yet).
        if state == OrderState::PendingNew && prior.base != OrderState::PendingNew {
            state = prior.base;
        }
        let o = &mut self.orders[s];
        o.leaves = match r.leaves {
            _ if state.is_terminal() => Qty(0),
            Some(l) if cum >= o.cum.0 => Qty(l.max(0)),
            _ => Qty(o.qty.0.saturating_sub(o.cum.0).max(0)),
        };
        if exec_type == b'4' {
            o.pending = Pending::None;
        }
        o.base = state;
        let change = Change {
            id: self.order_id(s),
            was: prior.base,
            state,
            fill,
            replaced,
            request_rejected,
        };
        self.emit_change(events, s, &change, exec_type, r.reason);
        if state.is_terminal() {
            self.finish(s);
        }
        self.reexpose(s, before);
        Outcome::Applied
    }

    /// The events of one applied report, in the order a strategy wants
    /// them: acknowledgement, fill, replace, refused request, the end of
    /// the order, and a status (for a status report or restatement, or an
    /// order filled without a fill now — a replace down to CumQty).
    fn emit_change<E: EventSink + ?Sized>(
        &mut self,
        events: &mut E,
        s: usize,
        c: &Change,
        exec_type: u8,
        reason: Option<u16>,
    ) {
        let id = c.id;
        let o = self.orders[s];
        let acknowledged = matches!(
            c.state,
            OrderState::New | OrderState::PartiallyFilled | OrderState::Filled
        );
        if c.was == OrderState::PendingNew && acknowledged {
            self.emit(events, Event::Accepted { order: id });
        }
        if let Some((last_px, last_qty)) = c.fill {
            let e = fill_event(
                id,
                c.state == OrderState::Filled,
                last_px,
                last_qty,
                o.cum,
                o.leaves,
            );
            self.emit(events, e);
        }
        if c.replaced {
            let (price, qty) = (o.price, o.qty);
            self.emit(
                events,
                Event::Replaced {
                    order: id,
                    price,
                    qty,
                },
            );
        }
        if let Some(code) = c.request_rejected {
            let reason = RejectReason::VenueCancelReject(code);
            self.emit(events, Event::CancelRejected { order: id, reason });
        }
        let mut status = matches!(exec_type, b'I' | b'D');
        match c.state {
            OrderState::Canceled => self.emit(events, Event::Canceled { order: id }),
            OrderState::Expired => self.emit(events, Event::Expired { order: id }),
            OrderState::Rejected => self.emit(
                events,
                Event::Rejected {
                    tag: o.tag,
                    order: Some(id),
                    reason: RejectReason::Venue(reason.unwrap_or(REASON_OTHER)),
                },
            ),
            OrderState::Filled => status |= c.fill.is_none(),
            _ => {}
        }
        if status {
            self.status_event(events, s);
        }
    }
}

/// The strategy's event for a booked fill: `Fill` when it completed the
/// order, `PartialFill` (with what is still working) otherwise.
pub(super) fn fill_event(
    order: OrderId,
    complete: bool,
    last_px: Price,
    last_qty: Qty,
    cum_qty: Qty,
    leaves_qty: Qty,
) -> Event {
    if complete {
        Event::Fill {
            order,
            last_px,
            last_qty,
            cum_qty,
        }
    } else {
        Event::PartialFill {
            order,
            last_px,
            last_qty,
            cum_qty,
            leaves_qty,
        }
    }
}
