//! Strategy commands: NewOrderSingle (D, with QuoteID 117 when placed on a
//! quote), OrderCancelRequest (F),
//! OrderCancelReplaceRequest (G), OrderStatusRequest (H) and
//! OrderMassStatusRequest (AF), encoded straight into the sender's buffer.

use super::clordid::{write_base36, ClOrdIdParts};
use super::slot::{Order, Pending};
use super::{EventSink, Known, OrderManager, OrderSender};
use crate::codec::tags::*;
use crate::codec::{Fixed, UtcTimestamp};
use crate::session::SendError;
use crate::strategy::{Command, Event, OrdType, OrderId, Price, Qty, RejectReason};

/// HandlInst (21) = 1: automated execution, no intervention.
const HANDL_INST_AUTOMATED: u8 = b'1';
/// MassStatusReqType (585) = 7: status for all orders.
const MASS_STATUS_ALL_ORDERS: u64 = 7;

/// A price as FIX text wants it: no trailing zeros.
#[inline]
fn price_fixed(p: Price) -> Fixed {
    let mut f = p.to_fixed();
    while f.scale > 0 && f.mantissa % 10 == 0 {
        f.mantissa /= 10;
        f.scale -= 1;
    }
    f
}

impl OrderManager {
    /// Carries out one strategy command (already risk-checked). Results
    /// come as events: [`Event::OrderSent`] or [`Event::Rejected`] for a new
    /// order; for cancel and replace only a local refusal
    /// ([`Event::CancelRejected`]) — the venue's answer comes later; for a
    /// status request of an order that cannot be asked about now (finished,
    /// or the session down) an [`Event::Status`] from the stage's own view.
    /// Market data and quote commands are not the order stage's: counted
    /// and ignored.
    pub fn on_command<S, E>(
        &mut self,
        now: UtcTimestamp,
        cmd: &Command,
        sender: &mut S,
        events: &mut E,
    ) where
        S: OrderSender + ?Sized,
        E: EventSink + ?Sized,
    {
        self.flush_events(events);
        match *cmd {
            Command::NewOrder { .. } => self.new_order(now, cmd, None, sender, events),
            Command::Cancel { order } => self.amend(now, order, None, sender, events),
            Command::Replace { order, price, qty } => {
                self.amend(now, order, Some((price, qty)), sender, events)
            }
            Command::Status { order } => self.status(order, sender, events),
            Command::MassStatus => self.mass_status(sender),
            Command::Subscribe { .. }
            | Command::Unsubscribe { .. }
            | Command::QuoteRequest { .. }
            | Command::OrderOnQuote { .. } => self.counters.commands_ignored += 1,
        }
    }

    fn note_send_error(&mut self, e: &SendError) {
        match e {
            SendError::NotLoggedOn => self.counters.send_not_logged_on += 1,
            SendError::Encode(_) => self.counters.send_encode_errors += 1,
            SendError::Store(_) => self.counters.send_store_errors += 1,
        }
    }

    fn reject_new<E: EventSink + ?Sized>(
        &mut self,
        events: &mut E,
        tag: u64,
        reason: RejectReason,
    ) {
        self.counters.local_rejects += 1;
        self.emit(
            events,
            Event::Rejected {
                tag,
                order: None,
                reason,
            },
        );
    }

    /// Carries out a `Command::NewOrder` placed on a quote (already
    /// risk-checked): the NewOrderSingle carries QuoteID (117) =
    /// `quote_id`, the venue's id of the quote. Otherwise exactly a new
    /// order ([`OrderManager::on_command`]): the same local refusals, the
    /// same events, the same order life afterwards. The order stage keeps
    /// no quote state: the id only passes through to the wire (a D with 117
    /// is still a D to replay). Any other command is ignored (counted).
    pub fn on_quote_order<S, E>(
        &mut self,
        now: UtcTimestamp,
        cmd: &Command,
        quote_id: &[u8],
        sender: &mut S,
        events: &mut E,
    ) where
        S: OrderSender + ?Sized,
        E: EventSink + ?Sized,
    {
        self.flush_events(events);
        match cmd {
            Command::NewOrder { .. } => self.new_order(now, cmd, Some(quote_id), sender, events),
            _ => self.counters.commands_ignored += 1,
        }
    }

    fn new_order<S, E>(
        &mut self,
        now: UtcTimestamp,
        cmd: &Command,
        quote_id: Option<&[u8]>,
        sender: &mut S,
        events: &mut E,
    ) where
        S: OrderSender + ?Sized,
        E: EventSink + ?Sized,
    {
        let Command::NewOrder {
            tag,
            instrument,
            side,
            ord_type,
            tif,
            price,
            qty,
        } = *cmd
        else {
            return;
        };
        let refusal = if !sender.is_up() {
            Some(RejectReason::SessionDown)
        } else if self.instruments.get(instrument).is_none() {
            Some(RejectReason::UnknownInstrument)
        } else if qty.0 <= 0 {
            Some(RejectReason::BadQty)
        } else if ord_type == OrdType::Limit && price.0 <= 0 {
            Some(RejectReason::BadPrice)
        } else {
            None
        };
        if let Some(reason) = refusal {
            return self.reject_new(events, tag, reason);
        }
        let Some(slot) = self.take_free_slot() else {
            return self.reject_new(events, tag, RejectReason::NoOrderSlot);
        };
        let s = slot as usize;
        let generation = match self.orders[s].generation.wrapping_add(1) {
            0 => 1,
            g => g,
        };
        let id = self.ids.write(ClOrdIdParts {
            slot,
            generation,
            version: 0,
        });
        let account = self.account.as_deref();
        let symbol = match self.instruments.get(instrument) {
            Some(ins) => ins.symbol.as_bytes(),
            None => b"",
        };
        // Body fields in ascending tag order.
        let sent = sender.send(b"D", &mut |w| {
            if let Some(a) = account {
                w.str(ACCOUNT, a);
            }
            w.str(CL_ORD_ID, id.as_bytes())
                .char(HANDL_INST, HANDL_INST_AUTOMATED)
                .int(ORDER_QTY, qty.0)
                .char(ORD_TYPE, ord_type.fix());
            if ord_type == OrdType::Limit {
                w.fixed(PRICE, price_fixed(price));
            }
            w.char(SIDE, side.fix())
                .str(SYMBOL, symbol)
                .char(TIME_IN_FORCE, tif.fix())
                .timestamp(TRANSACT_TIME, now);
            if let Some(q) = quote_id {
                w.str(QUOTE_ID, q);
            }
        });
        if let Err(e) = sent {
            self.note_send_error(&e);
            self.free.unpop(slot);
            return self.reject_new(events, tag, RejectReason::SessionDown);
        }
        self.counters.orders_sent += 1;
        self.orders[s] = Order::placed(generation, instrument, side, ord_type, tif, price, qty);
        self.orders[s].tag = tag;
        self.orders[s].tagged = true;
        self.open += 1;
        self.tags.insert(tag, slot);
        self.reexpose(s, 0);
        let order = OrderId { slot, generation };
        self.emit(events, Event::OrderSent { tag, order });
    }

    /// The next free slot, skipping entries of orders reopened since.
    fn take_free_slot(&mut self) -> Option<u32> {
        while let Some(s) = self.free.pop() {
            if !self.orders[s as usize].open {
                return Some(s);
            }
        }
        None
    }

    fn refuse_amend<E: EventSink + ?Sized>(
        &mut self,
        events: &mut E,
        order: OrderId,
        reason: RejectReason,
    ) {
        self.counters.local_cancel_rejects += 1;
        self.emit(events, Event::CancelRejected { order, reason });
    }

    /// Why a cancel (`change` None) or replace of the order in `s` cannot
    /// be sent now, if it cannot.
    fn amend_refusal(
        &self,
        s: usize,
        change: Option<(Price, Qty)>,
        up: bool,
    ) -> Option<RejectReason> {
        let o = &self.orders[s];
        // Open orders are PendingNew, New or PartiallyFilled underneath; the
        // venue can cancel all three. One request at a time.
        if o.pending != Pending::None || o.latest_version == u32::MAX {
            return Some(RejectReason::NotCancelable);
        }
        if let Some((price, qty)) = change {
            if qty.0 <= 0 {
                return Some(RejectReason::BadQty);
            }
            if o.ord_type == OrdType::Limit && price.0 <= 0 {
                return Some(RejectReason::BadPrice);
            }
        }
        (!up).then_some(RejectReason::SessionDown)
    }

    /// Cancel (`change` None) or cancel/replace.
    fn amend<S, E>(
        &mut self,
        now: UtcTimestamp,
        order: OrderId,
        change: Option<(Price, Qty)>,
        sender: &mut S,
        events: &mut E,
    ) where
        S: OrderSender + ?Sized,
        E: EventSink + ?Sized,
    {
        let s = match self.known(order) {
            Known::Open(s) => s,
            Known::Finished(_) | Known::Forgotten => {
                return self.refuse_amend(events, order, RejectReason::NotCancelable)
            }
            Known::Unknown => return self.refuse_amend(events, order, RejectReason::UnknownOrder),
        };
        if let Some(reason) = self.amend_refusal(s, change, sender.is_up()) {
            return self.refuse_amend(events, order, reason);
        }
        let o = self.orders[s];
        let version = o.latest_version + 1;
        if let Err(e) = self.send_amend(now, s, version, change, sender) {
            self.note_send_error(&e);
            return self.refuse_amend(events, order, RejectReason::SessionDown);
        }
        let before = o.exposure();
        let slot = &mut self.orders[s];
        slot.latest_version = version;
        slot.pending = match change {
            None => {
                self.counters.cancels_sent += 1;
                Pending::Cancel { version }
            }
            Some((price, qty)) => {
                self.counters.replaces_sent += 1;
                let price = match o.ord_type {
                    OrdType::Limit => price,
                    OrdType::Market => Price(0),
                };
                Pending::Replace {
                    version,
                    price,
                    qty,
                }
            }
        };
        self.reexpose(s, before);
    }

    /// Encodes and sends the OrderCancelRequest (F) or
    /// OrderCancelReplaceRequest (G) with ClOrdID `version` for the order
    /// in `s`; OrigClOrdID is the version the venue last accepted.
    fn send_amend<S: OrderSender + ?Sized>(
        &self,
        now: UtcTimestamp,
        s: usize,
        version: u32,
        change: Option<(Price, Qty)>,
        sender: &mut S,
    ) -> Result<u64, SendError> {
        let o = &self.orders[s];
        let parts = |version| ClOrdIdParts {
            slot: s as u32,
            generation: o.generation,
            version,
        };
        let new_id = self.ids.write(parts(version));
        let orig_id = self.ids.write(parts(o.working_version));
        let account = self.account.as_deref();
        let symbol = match self.instruments.get(o.instrument) {
            Some(ins) => ins.symbol.as_bytes(),
            None => b"",
        };
        let venue_id = o.venue_order_id();
        // Body fields in ascending tag order.
        match change {
            None => sender.send(b"F", &mut |w| {
                if let Some(a) = account {
                    w.str(ACCOUNT, a);
                }
                w.str(CL_ORD_ID, new_id.as_bytes());
                if !venue_id.is_empty() {
                    w.str(ORDER_ID, venue_id);
                }
                w.int(ORDER_QTY, o.qty.0)
                    .str(ORIG_CL_ORD_ID, orig_id.as_bytes())
                    .char(SIDE, o.side.fix())
                    .str(SYMBOL, symbol)
                    .timestamp(TRANSACT_TIME, now);
            }),
            Some((price, qty)) => sender.send(b"G", &mut |w| {
                if let Some(a) = account {
                    w.str(ACCOUNT, a);
                }
                w.str(CL_ORD_ID, new_id.as_bytes())
                    .char(HANDL_INST, HANDL_INST_AUTOMATED);
                if !venue_id.is_empty() {
                    w.str(ORDER_ID, venue_id);
                }
                w.int(ORDER_QTY, qty.0)
                    .char(ORD_TYPE, o.ord_type.fix())
                    .str(ORIG_CL_ORD_ID, orig_id.as_bytes());
                if o.ord_type == OrdType::Limit {
                    w.fixed(PRICE, price_fixed(price));
                }
                w.char(SIDE, o.side.fix())
                    .str(SYMBOL, symbol)
                    .char(TIME_IN_FORCE, o.tif.fix())
                    .timestamp(TRANSACT_TIME, now);
            }),
        }
    }

    fn status<S, E>(&mut self, order: OrderId, sender: &mut S, events: &mut E)
    where
        S: OrderSender + ?Sized,
        E: EventSink + ?Sized,
    {
        match self.known(order) {
            Known::Open(s) => {
                if !sender.is_up() || self.send_status(s, sender).is_err() {
                    self.status_event(events, s);
                }
            }
            Known::Finished(s) => self.status_event(events, s),
            Known::Forgotten | Known::Unknown => self.emit(
                events,
                Event::Rejected {
                    tag: 0,
                    order: Some(order),
                    reason: RejectReason::UnknownOrder,
                },
            ),
        }
    }

    /// Sends an OrderStatusRequest (H) for the order in slot `s`, naming it
    /// by its working ClOrdID (and the venue's OrderID when known).
    pub(super) fn send_status<S: OrderSender + ?Sized>(
        &mut self,
        s: usize,
        sender: &mut S,
    ) -> Result<u64, SendError> {
        let o = &self.orders[s];
        let id = self.ids.write(ClOrdIdParts {
            slot: s as u32,
            generation: o.generation,
            version: o.working_version,
        });
        let account = self.account.as_deref();
        let symbol = match self.instruments.get(o.instrument) {
            Some(ins) => ins.symbol.as_bytes(),
            None => b"",
        };
        let venue_id = o.venue_order_id();
        let side = o.side;
        let r = sender.send(b"H", &mut |w| {
            if let Some(a) = account {
                w.str(ACCOUNT, a);
            }
            w.str(CL_ORD_ID, id.as_bytes());
            if !venue_id.is_empty() {
                w.str(ORDER_ID, venue_id);
            }
            w.char(SIDE, side.fix()).str(SYMBOL, symbol);
        });
        match &r {
            Ok(_) => self.counters.status_sent += 1,
            Err(e) => self.note_send_error(e),
        }
        r
    }

    /// Sends an OrderMassStatusRequest (AF) for all orders; its
    /// MassStatusReqID (584) is `<prefix>M<n>`, n counting up (base 36).
    pub(super) fn mass_status<S: OrderSender + ?Sized>(&mut self, sender: &mut S) {
        if !sender.is_up() {
            self.counters.send_not_logged_on += 1;
            return;
        }
        self.mass_status_seq = self.mass_status_seq.wrapping_add(1);
        let mut req_id = [0u8; 24];
        let prefix = self.ids.prefix();
        req_id[..prefix.len()].copy_from_slice(prefix);
        req_id[prefix.len()] = b'M';
        let len = write_base36(&mut req_id, prefix.len() + 1, self.mass_status_seq);
        let account = self.account.as_deref();
        let r = sender.send(b"AF", &mut |w| {
            if let Some(a) = account {
                w.str(ACCOUNT, a);
            }
            w.str(MASS_STATUS_REQ_ID, &req_id[..len])
                .uint(MASS_STATUS_REQ_TYPE, MASS_STATUS_ALL_ORDERS);
        });
        match r {
            Ok(_) => self.counters.mass_status_sent += 1,
            Err(e) => self.note_send_error(&e),
        }
    }
}
