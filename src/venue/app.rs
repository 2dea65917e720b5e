//! [`VenueApplication`]: a venue session's [`Application`], and the FIX order
//! handling behind it (D, F, G, H, AF in; 8 and 9 out). V (market data) and
//! R (quotes) are handed to `md.rs` and `quotes.rs`; `poll` drives the
//! synthetic flow (`flow.rs`); a disconnect ends the session's
//! subscriptions and quotes.
//!
//! Owns the venue's reading of the FIX 4.4 order messages: which values it
//! accepts, which reject reason each refusal carries, and the order of the
//! reports (New, then each fill to both parties, then what became of the
//! rest). Per message: the session's queued reports go out first, then the
//! message is handled. Reports for the session being served are sent at
//! once; reports for another session are queued for it (see the module doc
//! of [`crate::venue`]).

use super::book::{CancelReason, Execution, OrderSpec, Outcome, Side, TimeInForce};
use super::orders::{NewOrderRec, OrdStatus, OrdType, CL_ORD_ID_MAX};
use super::report::{from_units, whole_units, Er, Report};
use super::{Queued, Venue, FLOW_SESSION};
use crate::codec::tags::{self, Tag};
use crate::codec::{Fixed, Message, UtcTimestamp};
use crate::dictionary::Dictionary;
use crate::session::{Application, Event, Responder, Verdict};

/// Symbol (55) of a report about no known instrument.
pub(super) const NO_SYMBOL: &[u8] = b"[N/A]";
/// Side (54) of a report that names no side: Undisclosed.
pub(super) const NO_SIDE: u8 = b'7';

/// One venue session's application: a handle on the shared [`Venue`] and
/// the session's slot in it (made by [`Venue::attach`]).
#[derive(Debug)]
pub struct VenueApplication {
    venue: super::SharedVenue,
    session: u16,
}

impl VenueApplication {
    pub(crate) fn new(venue: super::SharedVenue, session: u16) -> VenueApplication {
        VenueApplication { venue, session }
    }

    /// The shared venue.
    pub fn venue(&self) -> &super::SharedVenue {
        &self.venue
    }
}

type Handler = fn(&mut Venue, u16, UtcTimestamp, &Message<'_>, &mut Responder<'_>);

impl Application for VenueApplication {
    fn on_message(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        _dict: &Dictionary,
        tx: &mut Responder<'_>,
    ) -> Verdict {
        let handle: Handler = match msg.msg_type() {
            b"D" => Venue::handle_new_order,
            b"F" => Venue::handle_cancel,
            b"G" => Venue::handle_replace,
            b"H" => Venue::handle_status,
            b"AF" => Venue::handle_mass_status,
            b"V" => Venue::handle_md_request,
            b"R" => Venue::handle_quote_request,
            _ => return Verdict::Unsupported,
        };
        let mut venue = self.venue.borrow_mut();
        venue.deliver(self.session, tx);
        handle(&mut venue, self.session, now, msg, tx);
        Verdict::Accepted
    }

    fn on_event(&mut self, _now: UtcTimestamp, event: &Event) {
        if matches!(event, Event::LoggedOn { .. } | Event::Disconnected(_)) {
            let mut venue = self.venue.borrow_mut();
            venue.md_session_reset(self.session);
            venue.quotes_session_reset(self.session);
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn poll(&mut self, now: UtcTimestamp, tx: &mut Responder<'_>) -> usize {
        let mut venue = self.venue.borrow_mut();
        let work = venue.flow_poll(now, tx);
        if tx.is_up() {
            venue.deliver(self.session, tx);
        }
        work
    }

    fn has_queued(&self) -> bool {
        let venue = self.venue.borrow();
        let slot = &venue.sessions[self.session as usize];
        !slot.queue.is_empty() || slot.md.resync
    }

    fn send_queued(&mut self, _now: UtcTimestamp, tx: &mut Responder<'_>) {
        self.venue.borrow_mut().deliver(self.session, tx);
    }
}

/// TimeInForce (59) as the venue takes it (absent: Day).
pub(super) fn tif_of(tif: Option<u8>) -> Option<TimeInForce> {
    match tif {
        None | Some(b'0') => Some(TimeInForce::Day),
        Some(b'1') => Some(TimeInForce::Gtc),
        Some(b'3') => Some(TimeInForce::Ioc),
        Some(b'4') => Some(TimeInForce::Fok),
        Some(_) => None,
    }
}

pub(super) fn val<'m>(msg: &Message<'m>, tag: Tag) -> Option<&'m [u8]> {
    msg.get(tag).map(|f| f.value())
}

pub(super) fn one_char(msg: &Message<'_>, tag: Tag) -> Option<u8> {
    match val(msg, tag) {
        Some([c]) => Some(*c),
        _ => None,
    }
}

pub(super) fn decimal(msg: &Message<'_>, tag: Tag) -> Option<Fixed> {
    msg.get(tag).and_then(|f| f.as_fixed().ok())
}

pub(super) fn valid_cl_ord_id(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= CL_ORD_ID_MAX
}

/// What a rejected NewOrderSingle is answered with: its own values.
pub(super) struct Echo<'m> {
    pub cl: &'m [u8],
    pub symbol: &'m [u8],
    pub side: u8,
    pub ord_type: Option<u8>,
    pub tif: Option<u8>,
    pub qty: Option<Fixed>,
    pub price: Option<Fixed>,
}

/// The refusal of a request: (reason code, Text).
pub(super) type Refusal = (u32, &'static str);

impl Venue {
    pub(super) fn exec_id(&mut self) -> u64 {
        let n = self.next_exec_id;
        self.next_exec_id += 1;
        n
    }

    /// Sends session `s`'s queued reports, incrementals and quote
    /// cancels, oldest first, then the snapshots owed to subscriptions
    /// whose incrementals did not fit; stops (keeping the rest) if the
    /// session refuses one.
    pub(super) fn deliver(&mut self, s: u16, tx: &mut Responder<'_>) {
        while let Some(q) = self.sessions[s as usize].queue.front().copied() {
            match q {
                Queued::Report(r) => {
                    let rec = *self.orders.get(r.order);
                    if Er::order(self, &rec, &r).send(self.run_id, tx).is_err() {
                        self.counters.send_failures += 1;
                        return;
                    }
                    self.orders.get_mut(r.order).queued -= 1;
                }
                Queued::Md { sub, entries } => {
                    if !self.md_send_queued(s, sub, entries, tx) {
                        return;
                    }
                }
                Queued::QuoteCancel { market, quote } => {
                    if !self.send_quote_cancel(market, quote, tx) {
                        return;
                    }
                }
            }
            self.sessions[s as usize].queue.pop_front();
        }
        self.md_send_resyncs(s, tx);
    }

    /// After a change of market `m`'s book: market data to its
    /// subscribers (with the last submit's fills as trades when `trades`)
    /// and the cancels of firm quotes the market moved through.
    pub(super) fn after_book_change(
        &mut self,
        me: u16,
        m: u16,
        trades: bool,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        self.md_publish(me, m, trades, now, tx);
        self.quotes_after_change(me, m, now, tx);
    }

    /// Sends `r` to its order's session: at once when that is `me` (the
    /// session being served), else onto that session's queue.
    pub(super) fn report(
        &mut self,
        me: u16,
        r: Report,
        text: Option<&str>,
        tx: &mut Responder<'_>,
    ) {
        let rec = *self.orders.get(r.order);
        if rec.session == FLOW_SESSION {
            // The synthetic flow's reports go nowhere.
            return;
        }
        if rec.session == me {
            let mut er = Er::order(self, &rec, &r);
            er.text = text;
            if er.send(self.run_id, tx).is_err() {
                self.counters.send_failures += 1;
            }
            return;
        }
        let slot = &mut self.sessions[rec.session as usize];
        if slot.queue.len() >= self.queue_max {
            self.counters.reports_dropped += 1;
            tracing::warn!(session = %slot.name, "venue report queue full: report dropped");
            return;
        }
        slot.queue.push_back(Queued::Report(r));
        self.orders.get_mut(r.order).queued += 1;
        self.counters.reports_queued += 1;
    }

    /// Sends `er` on the session being served, counting a failure.
    pub(super) fn send_er(&mut self, er: &Er<'_>, tx: &mut Responder<'_>) {
        if er.send(self.run_id, tx).is_err() {
            self.counters.send_failures += 1;
        }
    }

    /// OrderQty as lots of market `m`.
    pub(super) fn lots(&self, m: u16, qty: Option<Fixed>) -> Result<u64, Refusal> {
        let market = &self.markets[m as usize];
        let lot = market.spec.lot_size;
        let Some(q) = qty else {
            return Err((13, "OrderQty (38) is required"));
        };
        if q.mantissa <= 0 {
            return Err((13, "OrderQty must be more than zero"));
        }
        let lots = whole_units(q, lot, false)
            .filter(|&l| from_units(l, lot).is_some())
            .ok_or((
                13,
                "OrderQty is not a whole number of lots (lot_size) or is too large",
            ))?;
        if lots as u64 > market.max_lots {
            return Err((3, "OrderQty exceeds the instrument's max_order_qty"));
        }
        Ok(lots as u64)
    }

    /// Price as ticks of market `m`.
    pub(super) fn ticks(&self, m: u16, price: Option<Fixed>) -> Result<i64, &'static str> {
        let tick = self.markets[m as usize].spec.tick_size;
        let Some(p) = price else {
            return Err("Price (44) is required for a limit order");
        };
        if p.mantissa <= 0 {
            return Err("Price must be more than zero");
        }
        whole_units(p, tick, false)
            .filter(|&t| from_units(t, tick).is_some())
            .ok_or("Price is not a whole number of ticks (tick_size) or is too large")
    }

    pub(super) fn reject_new(
        &mut self,
        e: &Echo<'_>,
        reason: u32,
        text: &str,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        self.counters.orders_rejected += 1;
        let exec_id = self.exec_id();
        let mut er = Er::empty(exec_id, b'8', b'8', e.symbol, e.side, now);
        er.cl_ord_id = (!e.cl.is_empty()).then_some(e.cl);
        er.ord_type = e.ord_type;
        er.tif = e.tif;
        er.order_qty = e.qty;
        er.price = e.price;
        er.rej_reason = Some(reason);
        er.text = Some(text);
        self.send_er(&er, tx);
    }

    /// NewOrderSingle (D).
    fn handle_new_order(
        &mut self,
        me: u16,
        now: UtcTimestamp,
        msg: &Message<'_>,
        tx: &mut Responder<'_>,
    ) {
        let symbol = val(msg, tags::SYMBOL);
        let e = Echo {
            cl: val(msg, tags::CL_ORD_ID).unwrap_or(b""),
            symbol: symbol.unwrap_or(NO_SYMBOL),
            side: one_char(msg, tags::SIDE).unwrap_or(NO_SIDE),
            ord_type: one_char(msg, tags::ORD_TYPE),
            tif: one_char(msg, tags::TIME_IN_FORCE),
            qty: decimal(msg, tags::ORDER_QTY),
            price: decimal(msg, tags::PRICE),
        };
        if !valid_cl_ord_id(e.cl) {
            return self.reject_new(&e, 99, "ClOrdID must be 1 to 64 bytes", now, tx);
        }
        if let Some(i) = self.orders.find(me, e.cl) {
            let poss_resend = msg
                .header()
                .get(tags::POSS_RESEND)
                .is_some_and(|f| f.value() == b"Y");
            if poss_resend {
                // A resend of an order we have: its status, not a second order.
                return self.status_report(i, e.cl, None, now, tx);
            }
            return self.reject_new(&e, 6, "Duplicate ClOrdID", now, tx);
        }
        let Some(m) = symbol.and_then(|s| self.market(s)) else {
            return self.reject_new(&e, 1, "Unknown symbol", now, tx);
        };
        if let Some(quote_id) = val(msg, tags::QUOTE_ID) {
            return self.handle_quoted_order(me, m, &e, quote_id, now, tx);
        }
        let side = match e.side {
            b'1' => Side::Buy,
            b'2' => Side::Sell,
            _ => {
                let text = "Unsupported Side: the venue takes 1 (buy) and 2 (sell)";
                return self.reject_new(&e, 11, text, now, tx);
            }
        };
        let ord_type = match e.ord_type {
            Some(b'1') => OrdType::Market,
            Some(b'2') => OrdType::Limit,
            _ => {
                let text = "Unsupported OrdType: the venue takes 1 (market) and 2 (limit)";
                return self.reject_new(&e, 11, text, now, tx);
            }
        };
        let Some(tif) = tif_of(e.tif) else {
            let text =
                "Unsupported TimeInForce: the venue takes 0 (day), 1 (GTC), 3 (IOC) and 4 (FOK)";
            return self.reject_new(&e, 11, text, now, tx);
        };
        let qty = match self.lots(m, e.qty) {
            Ok(l) => l,
            Err((reason, text)) => return self.reject_new(&e, reason, text, now, tx),
        };
        let price = match ord_type {
            OrdType::Market => 0,
            OrdType::Limit => match self.ticks(m, e.price) {
                Ok(t) => t,
                Err(text) => return self.reject_new(&e, 99, text, now, tx),
            },
        };
        let order = NewOrderRec {
            session: me,
            instrument: m,
            order_id: self.next_order_id,
            side,
            ord_type,
            tif,
            price,
            qty,
        };
        let Ok(i) = self.orders.insert(order, e.cl) else {
            return self.reject_new(&e, 99, "Venue order capacity reached", now, tx);
        };
        self.next_order_id += 1;
        self.counters.orders_accepted += 1;
        let exec_id = self.exec_id();
        let r = Report::of(i, self.orders.get(i), exec_id, b'0', now);
        self.report(me, r, None, tx);
        let exec = self.markets[m as usize].book.submit(OrderSpec {
            key: i,
            side,
            price: (ord_type == OrdType::Limit).then_some(price),
            qty,
            tif,
        });
        let changed = exec.filled > 0 || matches!(exec.outcome, Outcome::Rested(_));
        self.apply_execution(me, i, m, exec, now, tx);
        if changed {
            self.after_book_change(me, m, true, now, tx);
        }
    }

    /// Reports the fills of the last book call for taker order `t` to both
    /// parties, then what became of the rest of `t`.
    pub(super) fn apply_execution(
        &mut self,
        me: u16,
        t: u32,
        m: u16,
        exec: Execution,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        let n = self.markets[m as usize].book.fills().len();
        for k in 0..n {
            let f = self.markets[m as usize].book.fills()[k];
            self.counters.trades += 1;
            let r = self.fill(t, f.price, f.qty, now);
            self.report(me, r, None, tx);
            let r = self.fill(f.maker, f.price, f.qty, now);
            if f.maker_leaves == 0 {
                self.orders.get_mut(f.maker).resting = None;
            }
            self.report(me, r, None, tx);
            if f.maker_leaves == 0 {
                self.orders.finish(f.maker);
            }
        }
        match exec.outcome {
            Outcome::Filled => self.orders.finish(t),
            Outcome::Rested(id) => self.orders.get_mut(t).resting = Some(id),
            Outcome::Canceled(why) => {
                let rec = self.orders.get_mut(t);
                rec.status = OrdStatus::Canceled;
                rec.resting = None;
                let exec_id = self.exec_id();
                let r = Report::of(t, self.orders.get(t), exec_id, b'4', now);
                let text = match why {
                    CancelReason::Ioc => "Immediate or cancel: unfilled quantity canceled",
                    CancelReason::Fok => "Fill or kill: the whole quantity could not be filled",
                    CancelReason::NoLiquidity => {
                        "Market order: no more liquidity, unfilled quantity canceled"
                    }
                    CancelReason::BookFull => "Book full: unfilled quantity canceled",
                };
                self.report(me, r, Some(text), tx);
                self.orders.finish(t);
            }
        }
    }

    /// Books a fill of `qty` lots at `px` on order `i`; returns its report.
    pub(super) fn fill(&mut self, i: u32, px: i64, qty: u64, now: UtcTimestamp) -> Report {
        let exec_id = self.exec_id();
        let rec = self.orders.get_mut(i);
        rec.cum += qty;
        rec.notional += i128::from(px) * i128::from(qty);
        rec.status = if rec.cum >= rec.qty {
            OrdStatus::Filled
        } else {
            OrdStatus::PartiallyFilled
        };
        Report {
            last_px: px,
            last_qty: qty,
            ..Report::of(i, rec, exec_id, b'F', now)
        }
    }
}
