//! OrderCancelRequest (F) and OrderCancelReplaceRequest (G): the checks a
//! change of a resting order must pass, the OrderCancelReject (9) that
//! refuses it, and the change itself (a replace keeps the order's place in
//! the book only when it lowers the quantity at the same price).

use super::app::{decimal, one_char, val, valid_cl_ord_id, Refusal};
use super::book::Amended;
use super::orders::{OrdStatus, OrdType};
use super::report::{side_code, tif_code, CancelReject, Er, Report};
use super::Venue;
use crate::codec::tags;
use crate::codec::{Message, UtcTimestamp};
use crate::session::Responder;

impl Venue {
    /// Whether the Symbol (if given) and Side of a cancel or replace are
    /// those of order `i`.
    fn same_instrument(&self, i: u32, msg: &Message<'_>) -> bool {
        let rec = self.orders.get(i);
        let symbol = self.markets[rec.instrument as usize].spec.symbol.as_bytes();
        val(msg, tags::SYMBOL).is_none_or(|s| s == symbol)
            && one_char(msg, tags::SIDE) == Some(side_code(rec.side))
    }

    /// The checks a cancel and a replace share; the order on success.
    fn find_to_change(
        &mut self,
        me: u16,
        cl: &[u8],
        orig: &[u8],
        msg: &Message<'_>,
        too_late: &'static str,
    ) -> Result<u32, (Option<u32>, Refusal)> {
        if !valid_cl_ord_id(cl) {
            return Err((None, (99, "ClOrdID must be 1 to 64 bytes")));
        }
        let Some(i) = self.orders.find(me, orig) else {
            return Err((None, (1, "Unknown order")));
        };
        if self.orders.find(me, cl).is_some() {
            return Err((Some(i), (6, "Duplicate ClOrdID")));
        }
        if self.orders.get(i).status.is_done() {
            return Err((Some(i), (0, too_late)));
        }
        if !self.same_instrument(i, msg) {
            return Err((Some(i), (99, "Symbol or Side does not match the order")));
        }
        if !self.orders.id_available() {
            return Err((Some(i), (99, "Venue order capacity reached")));
        }
        Ok(i)
    }

    #[allow(clippy::too_many_arguments)]
    fn cancel_reject(
        &mut self,
        order: Option<u32>,
        cl: &[u8],
        orig: &[u8],
        response_to: u8,
        (reason, text): Refusal,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        self.counters.cancel_rejects += 1;
        let (order_id, status) = match order {
            Some(i) => {
                let rec = self.orders.get(i);
                (Some(rec.order_id), rec.status.code())
            }
            None => (None, b'8'),
        };
        let rej = CancelReject {
            order_id,
            cl_ord_id: cl,
            orig_cl_ord_id: orig,
            status,
            now,
            response_to,
            reason,
            text,
        };
        if rej.send(self.run_id, tx).is_err() {
            self.counters.send_failures += 1;
        }
    }

    /// OrderCancelRequest (F).
    pub(super) fn handle_cancel(
        &mut self,
        me: u16,
        now: UtcTimestamp,
        msg: &Message<'_>,
        tx: &mut Responder<'_>,
    ) {
        let cl = val(msg, tags::CL_ORD_ID).unwrap_or(b"");
        let orig = val(msg, tags::ORIG_CL_ORD_ID).unwrap_or(b"");
        let i = match self.find_to_change(me, cl, orig, msg, "Too late to cancel") {
            Ok(i) => i,
            Err((order, refusal)) => {
                return self.cancel_reject(order, cl, orig, b'1', refusal, now, tx)
            }
        };
        let rec = *self.orders.get(i);
        let removed = rec
            .resting
            .and_then(|id| self.markets[rec.instrument as usize].book.cancel(id))
            .is_some();
        let rec = self.orders.get_mut(i);
        rec.status = OrdStatus::Canceled;
        rec.resting = None;
        self.orders
            .add_id(i, cl)
            .expect("find_to_change checked that an id entry is free");
        self.counters.cancels += 1;
        let exec_id = self.exec_id();
        let rec = *self.orders.get(i);
        let r = Report::of(i, &rec, exec_id, b'4', now);
        let mut er = Er::order(self, &rec, &r);
        er.orig_cl_ord_id = Some(orig);
        let failed = er.send(self.run_id, tx).is_err();
        self.counters.send_failures += u64::from(failed);
        self.orders.finish(i);
        if removed {
            self.after_book_change(me, rec.instrument, false, now, tx);
        }
    }

    /// OrderCancelReplaceRequest (G).
    pub(super) fn handle_replace(
        &mut self,
        me: u16,
        now: UtcTimestamp,
        msg: &Message<'_>,
        tx: &mut Responder<'_>,
    ) {
        let cl = val(msg, tags::CL_ORD_ID).unwrap_or(b"");
        let orig = val(msg, tags::ORIG_CL_ORD_ID).unwrap_or(b"");
        let checked = self
            .find_to_change(me, cl, orig, msg, "Too late to replace")
            .and_then(|i| {
                self.replace_terms(i, msg)
                    .map(|terms| (i, terms))
                    .map_err(|r| (Some(i), r))
            });
        let (i, (qty, price)) = match checked {
            Ok(x) => x,
            Err((order, refusal)) => {
                return self.cancel_reject(order, cl, orig, b'2', refusal, now, tx)
            }
        };
        let rec = *self.orders.get(i);
        let m = rec.instrument;
        let resting = rec.resting.expect("an open order rests in its book");
        self.orders
            .add_id(i, cl)
            .expect("find_to_change checked that an id entry is free");
        self.counters.replaces += 1;
        let amended = if qty == rec.cum {
            // Down to what is executed: the order is done.
            self.markets[m as usize].book.cancel(resting);
            None
        } else {
            self.markets[m as usize]
                .book
                .amend(resting, price, qty - rec.cum)
        };
        let r = self.orders.get_mut(i);
        r.qty = qty;
        r.price = price;
        if amended.is_none() {
            r.status = OrdStatus::Filled;
            r.resting = None;
        }
        let exec_id = self.exec_id();
        let rec = *self.orders.get(i);
        let report = Report::of(i, &rec, exec_id, b'5', now);
        let mut er = Er::order(self, &rec, &report);
        er.orig_cl_ord_id = Some(orig);
        let failed = er.send(self.run_id, tx).is_err();
        self.counters.send_failures += u64::from(failed);
        let requeued = matches!(amended, Some(Amended::Requeued(_)));
        match amended {
            None => self.orders.finish(i),
            Some(Amended::KeptPriority(id)) => self.orders.get_mut(i).resting = Some(id),
            Some(Amended::Requeued(exec)) => {
                self.orders.get_mut(i).resting = None;
                self.apply_execution(me, i, m, exec, now, tx);
            }
        }
        self.after_book_change(me, m, requeued, now, tx);
    }

    /// The new (lots, ticks) of a replace of order `i`.
    fn replace_terms(&self, i: u32, msg: &Message<'_>) -> Result<(u64, i64), Refusal> {
        let rec = self.orders.get(i);
        let code = match rec.ord_type {
            OrdType::Market => b'1',
            OrdType::Limit => b'2',
        };
        if one_char(msg, tags::ORD_TYPE) != Some(code) {
            return Err((99, "OrdType cannot change"));
        }
        if one_char(msg, tags::TIME_IN_FORCE).is_some_and(|t| t != tif_code(rec.tif)) {
            return Err((99, "TimeInForce cannot change"));
        }
        let qty = self
            .lots(rec.instrument, decimal(msg, tags::ORDER_QTY))
            .map_err(|(_, text)| (99, text))?;
        let price = self
            .ticks(rec.instrument, decimal(msg, tags::PRICE))
            .map_err(|text| (99, text))?;
        if qty < rec.cum {
            return Err((
                99,
                "OrderQty is below the quantity already executed (CumQty)",
            ));
        }
        Ok((qty, price))
    }
}
