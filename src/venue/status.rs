//! OrderStatusRequest (H) and OrderMassStatusRequest (AF): status reports
//! (150=I) on one order or on every open order of the session that
//! matches.

use super::app::{one_char, val, NO_SIDE, NO_SYMBOL};
use super::book::Side;
use super::report::{Er, Report};
use super::Venue;
use crate::codec::tags;
use crate::codec::{Message, UtcTimestamp};
use crate::session::Responder;

impl Venue {
    /// A status report (150=I) on order `i`, answering ClOrdID `cl`.
    pub(super) fn status_report(
        &mut self,
        i: u32,
        cl: &[u8],
        req_id: Option<&[u8]>,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        self.counters.status_reports += 1;
        let exec_id = self.exec_id();
        let rec = *self.orders.get(i);
        let r = Report::of(i, &rec, exec_id, b'I', now);
        let mut er = Er::order(self, &rec, &r);
        er.cl_ord_id = Some(cl);
        er.ord_status_req_id = req_id;
        let failed = er.send(self.run_id, tx).is_err();
        self.counters.send_failures += u64::from(failed);
    }

    /// OrderStatusRequest (H).
    pub(super) fn handle_status(
        &mut self,
        me: u16,
        now: UtcTimestamp,
        msg: &Message<'_>,
        tx: &mut Responder<'_>,
    ) {
        let cl = val(msg, tags::CL_ORD_ID).unwrap_or(b"");
        let req_id = val(msg, tags::ORD_STATUS_REQ_ID);
        if let Some(i) = self.orders.find(me, cl) {
            return self.status_report(i, cl, req_id, now, tx);
        }
        self.counters.status_reports += 1;
        let exec_id = self.exec_id();
        let symbol = val(msg, tags::SYMBOL).unwrap_or(NO_SYMBOL);
        let side = one_char(msg, tags::SIDE).unwrap_or(NO_SIDE);
        let mut er = Er::empty(exec_id, b'I', b'8', symbol, side, now);
        er.cl_ord_id = (!cl.is_empty()).then_some(cl);
        er.ord_status_req_id = req_id;
        er.rej_reason = Some(5);
        er.text = Some("Unknown order");
        self.send_er(&er, tx);
    }

    /// OrderMassStatusRequest (AF): a status report per open order of this
    /// session that matches (MassStatusReqType 7: all; 1: those of the
    /// given Symbol; an optional Side narrows either), the last with
    /// LastRptRequested=Y. None matching: one report with OrdStatus
    /// Rejected saying why.
    pub(super) fn handle_mass_status(
        &mut self,
        me: u16,
        now: UtcTimestamp,
        msg: &Message<'_>,
        tx: &mut Responder<'_>,
    ) {
        let id = val(msg, tags::MASS_STATUS_REQ_ID).unwrap_or(b"");
        let kind = msg
            .get(tags::MASS_STATUS_REQ_TYPE)
            .and_then(|f| f.as_u64().ok());
        let symbol = val(msg, tags::SYMBOL);
        let side = match one_char(msg, tags::SIDE) {
            Some(b'1') => Some(Side::Buy),
            Some(b'2') => Some(Side::Sell),
            _ => None,
        };
        let filter: Result<Option<u16>, &'static str> = match kind {
            Some(7) => Ok(None),
            Some(1) => match symbol.and_then(|s| self.market(s)) {
                Some(m) => Ok(Some(m)),
                None => Err("Unknown symbol"),
            },
            _ => Err(
                "Unsupported MassStatusReqType: the venue takes 1 (security) and 7 (all orders)",
            ),
        };
        let matches = |v: &Venue, i: u32| {
            let rec = v.orders.get(i);
            filter.is_ok_and(|f| f.is_none_or(|m| m == rec.instrument))
                && side.is_none_or(|s| s == rec.side)
        };
        let total = self
            .orders
            .open_orders(me)
            .filter(|&i| matches(self, i))
            .count() as u64;
        if total == 0 {
            self.counters.status_reports += 1;
            let exec_id = self.exec_id();
            let side = one_char(msg, tags::SIDE).unwrap_or(NO_SIDE);
            let mut er = Er::empty(exec_id, b'I', b'8', symbol.unwrap_or(NO_SYMBOL), side, now);
            er.mass = Some((id, 0, true));
            er.text = Some(filter.err().unwrap_or("No open orders match"));
            return self.send_er(&er, tx);
        }
        // ExecIDs are taken up front so the walk can borrow the venue.
        let first = self.next_exec_id;
        self.next_exec_id += total;
        let mut sent = 0;
        let mut failures = 0;
        for i in self.orders.open_orders(me).filter(|&i| matches(self, i)) {
            let rec = *self.orders.get(i);
            let r = Report::of(i, &rec, first + sent, b'I', now);
            sent += 1;
            let mut er = Er::order(self, &rec, &r);
            er.mass = Some((id, total, sent == total));
            if er.send(self.run_id, tx).is_err() {
                failures += 1;
            }
        }
        self.counters.status_reports += sent;
        self.counters.send_failures += failures;
    }
}
