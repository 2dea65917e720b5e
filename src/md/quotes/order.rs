//! Orders on quotes: the desk's own checks, then pre-trade risk as a
//! Limit order at the quoted price, then the order stage's NewOrderSingle
//! with QuoteID (117) and TimeInForce FOK (see the parent module's
//! decisions).

use super::{End, QuoteCounter, QuoteDesk, State};
use crate::codec::UtcTimestamp;
use crate::order::{EventSink, OrderManager, OrderSender};
use crate::risk::RiskEngine;
use crate::strategy::{
    Command, Event, OrdType, Price, Qty, QuoteId, RejectReason, Side, TimeInForce,
};

impl QuoteDesk {
    /// Why an order on `quote` cannot go, if it cannot (desk checks only).
    fn order_refusal(
        &self,
        now: UtcTimestamp,
        quote: QuoteId,
        side: Side,
        qty: Qty,
    ) -> Result<(usize, Price), RejectReason> {
        let s = quote.slot as usize;
        let Some(slot) = self.slots.get(s) else {
            return Err(RejectReason::UnknownQuote);
        };
        if quote.generation == 0 || quote.generation != slot.generation {
            return Err(RejectReason::UnknownQuote);
        }
        if slot.state != State::Quoted {
            return Err(match slot.ended {
                End::Expired => RejectReason::QuoteExpired,
                End::None | End::Other => RejectReason::UnknownQuote,
            });
        }
        if slot.valid_until_ns != 0 && now.unix_nanos() >= slot.valid_until_ns {
            return Err(RejectReason::QuoteExpired);
        }
        if !slot.firm {
            return Err(RejectReason::QuoteNotFirm);
        }
        let (price, size) = match side {
            Side::Buy => (slot.offer, slot.offer_qty),
            Side::Sell => (slot.bid, slot.bid_qty),
        };
        if price.0 <= 0 || size.0 <= 0 {
            return Err(RejectReason::QuoteSide);
        }
        if qty > size {
            return Err(RejectReason::QuoteSize);
        }
        Ok((s, price))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn order<S, E>(
        &mut self,
        now: UtcTimestamp,
        tag: u64,
        quote: QuoteId,
        side: Side,
        qty: Qty,
        risk: &mut RiskEngine,
        orders: &mut OrderManager,
        sender: &mut S,
        sink: &mut E,
    ) where
        S: OrderSender + ?Sized,
        E: EventSink + ?Sized,
    {
        let (s, price) = match self.order_refusal(now, quote, side, qty) {
            Ok(v) => v,
            Err(reason) => return self.refuse_order(sink, risk, tag, reason),
        };
        let instrument = self.slots[s].instrument;
        let cmd = Command::NewOrder {
            tag,
            instrument,
            side,
            ord_type: OrdType::Limit,
            tif: TimeInForce::Fok,
            price,
            qty,
        };
        if let Err(reason) = risk.check_new(
            now.unix_nanos(),
            instrument,
            side,
            OrdType::Limit,
            price,
            qty,
            tag,
            &*orders,
        ) {
            // Counted by risk itself.
            self.emit(
                sink,
                Event::Rejected {
                    tag,
                    order: None,
                    reason,
                },
            );
            return;
        }
        let before = orders.counters().orders_sent;
        let slot = self.slots[s];
        orders.on_quote_order(now, &cmd, slot.quote_id(), sender, sink);
        if orders.counters().orders_sent != before {
            self.release(s, End::Other);
            self.counters.bump(QuoteCounter::OrdersOnQuotes);
        }
    }
}
