//! The venue's quotes: QuoteRequest (R) in; Quote (S), QuoteRequestReject
//! (AG) and QuoteCancel (Z) out; NewOrderSingles on a quote (D with
//! QuoteID 117) filled by the venue as principal.
//!
//! Owns the quote table: a ring of `max_live_quotes` quotes, the quote
//! numbered `n` in slot `n % max_live_quotes` (a newer quote forgets the
//! one it replaces). A QuoteID is `Q<run>-<n>`, unique across restarts.
//!
//! **Pricing.** For the requested quantity, each quoted side is the volume
//! weighted average price the book would give (a buyer is quoted the
//! offers, a seller the bids; no Side: both), rounded to the tick away
//! from the requester (offers up, bids down). When the book holds the whole
//! quantity on every quoted side the quote is firm (QuoteType 1) until
//! `now + quote_valid_ms` (ValidUntilTime 62); otherwise it is indicative
//! (QuoteType 0) at the best price, without a validity. A requested side
//! with no orders is not quoted; with no side left the answer is a
//! QuoteRequestReject with reason 8 (no market).
//!
//! **Orders on a quote.** A D carrying 117 is filled in full at once at the
//! quoted price when the quote is this session's, firm, live and unexpired,
//! its side (a buy takes the offer) is quoted, OrderQty is at most the
//! quoted size and a limit price (if any) reaches the quoted price; the book
//! is not touched and the quote is used up. Otherwise the order is rejected
//! (ExecType 8, OrdRejReason 99, a Text saying why).
//!
//! **QuoteCancel.** After each change of a book, a firm quote on it whose
//! price the market has moved through is cancelled and its requester gets
//! a Z (298=1 with the symbol): an offer once the best offer is above it,
//! the best bid reaches it, or the offers are gone; a bid once the best bid
//! is below it, the best offer reaches it, or the bids are gone. Expired
//! quotes lapse silently. A session's quotes die with its connection.
//!
//! Nothing here allocates after [`Quotes::new`].

use super::app::{val, Echo};
use super::book::{Book, Side};
use super::orders::{NewOrderRec, OrdType};
use super::report::{from_units, IdText, Report};
use super::{Queued, Venue};
use crate::codec::tags::{self, Tag};
use crate::codec::{Fixed, Message, MessageWriter, UtcTimestamp};
use crate::session::Responder;

const TEXT: Tag = 58;
const VALID_UNTIL_TIME: Tag = 62;
const BID_PX: Tag = 132;
const OFFER_PX: Tag = 133;
const BID_SIZE: Tag = 134;
const OFFER_SIZE: Tag = 135;
const NO_QUOTE_ENTRIES: Tag = 295;
const QUOTE_CANCEL_TYPE: Tag = 298;
const QUOTE_TYPE: Tag = 537;
const QUOTE_REQUEST_REJECT_REASON: Tag = 658;

/// The longest QuoteReqID kept for a QuoteCancel, in bytes.
const QUOTE_REQ_ID_MAX: usize = 64;

/// One quote.
#[derive(Debug, Clone, Copy)]
struct Quote {
    /// Its number (0: the slot never held one).
    n: u64,
    live: bool,
    firm: bool,
    session: u16,
    market: u16,
    /// (price ticks, lots) the venue buys at.
    bid: Option<(i64, u64)>,
    /// (price ticks, lots) the venue sells at.
    offer: Option<(i64, u64)>,
    valid_until: i64,
    req_id: [u8; QUOTE_REQ_ID_MAX],
    req_len: u8,
}

/// The quote table (see the module doc).
#[derive(Debug)]
pub(crate) struct Quotes {
    table: Vec<Quote>,
    next: u64,
    /// Live firm quotes per market (some may have expired unseen).
    live_firm: Vec<u32>,
}

impl Quotes {
    /// A table of `cap` quotes over `markets` markets.
    pub fn new(cap: usize, markets: usize) -> Quotes {
        Quotes {
            table: vec![
                Quote {
                    n: 0,
                    live: false,
                    firm: false,
                    session: 0,
                    market: 0,
                    bid: None,
                    offer: None,
                    valid_until: 0,
                    req_id: [0; QUOTE_REQ_ID_MAX],
                    req_len: 0,
                };
                cap.max(1)
            ],
            next: 1,
            live_firm: vec![0; markets],
        }
    }

    fn slot(&self, n: u64) -> usize {
        (n % self.table.len() as u64) as usize
    }

    /// Ends quote in slot `i` (if live).
    fn kill(&mut self, i: usize) {
        let q = &mut self.table[i];
        if q.live {
            q.live = false;
            if q.firm {
                self.live_firm[q.market as usize] -= 1;
            }
        }
    }
}

/// `Q<run>-<n>`.
struct QuoteIdText {
    buf: [u8; 42],
    len: usize,
}

impl QuoteIdText {
    fn new(run: u64, n: u64) -> QuoteIdText {
        let id = IdText::new(run, n);
        let b = id.as_bytes();
        let mut buf = [0u8; 42];
        buf[0] = b'Q';
        buf[1..1 + b.len()].copy_from_slice(b);
        QuoteIdText {
            buf,
            len: 1 + b.len(),
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// (run, n) of a QuoteID.
fn parse_quote_id(id: &[u8]) -> Option<(u64, u64)> {
    let rest = id.strip_prefix(b"Q")?;
    let dash = rest.iter().position(|&c| c == b'-')?;
    let num = |s: &[u8]| crate::codec::value::parse_u64(s).ok();
    Some((num(&rest[..dash])?, num(&rest[dash + 1..])?))
}

/// The price the book gives `lots` taken from `side` (the side the
/// requester trades against): (price ticks, firm). VWAP rounded away from
/// the requester when the side holds `lots`, else its best price. `None`
/// when the side is empty.
fn price_for(book: &Book, side: Side, lots: u64) -> Option<(i64, bool)> {
    let (best, _) = book.best(side)?;
    let mut left = lots;
    let mut cost: i128 = 0;
    for l in book.levels(side) {
        let take = left.min(l.qty);
        cost += i128::from(l.price) * i128::from(take);
        left -= take;
        if left == 0 {
            break;
        }
    }
    if left > 0 {
        return Some((best, false));
    }
    let q = i128::from(lots);
    let px = match side {
        // The requester buys from the offers: round up.
        Side::Sell => (cost + q - 1).div_euclid(q),
        // The requester sells to the bids: round down.
        Side::Buy => cost.div_euclid(q),
    };
    Some((i64::try_from(px).unwrap_or(best), true))
}

/// One instrument of a QuoteRequest.
struct Ask<'m> {
    symbol: &'m [u8],
    side: Option<u8>,
    qty: Option<Fixed>,
}

impl Venue {
    /// QuoteRequest (R): one Quote (S) or QuoteRequestReject (AG) per
    /// instrument of its NoRelatedSym group.
    pub(super) fn handle_quote_request(
        &mut self,
        me: u16,
        now: UtcTimestamp,
        msg: &Message<'_>,
        tx: &mut Responder<'_>,
    ) {
        let req_id = val(msg, tags::QUOTE_REQ_ID).unwrap_or(b"");
        let mut ask: Option<Ask<'_>> = None;
        for f in msg.body().iter() {
            match f.tag() {
                tags::SYMBOL => {
                    if let Some(a) = ask.take() {
                        self.quote_one(me, req_id, &a, now, tx);
                    }
                    ask = Some(Ask {
                        symbol: f.value(),
                        side: None,
                        qty: None,
                    });
                }
                tags::SIDE => {
                    if let Some(a) = ask.as_mut() {
                        a.side = f.value().first().copied();
                    }
                }
                tags::ORDER_QTY => {
                    if let Some(a) = ask.as_mut() {
                        a.qty = f.as_fixed().ok();
                    }
                }
                _ => {}
            }
        }
        if let Some(a) = ask {
            self.quote_one(me, req_id, &a, now, tx);
        }
    }

    fn quote_reject(
        &mut self,
        req_id: &[u8],
        a: &Ask<'_>,
        reason: u32,
        text: &str,
        tx: &mut Responder<'_>,
    ) {
        self.counters.quote_rejects += 1;
        let r = tx.send(b"AG", &[], &mut |w| {
            w.str(tags::QUOTE_REQ_ID, req_id);
            w.uint(QUOTE_REQUEST_REJECT_REASON, u64::from(reason));
            w.uint(tags::NO_RELATED_SYM, 1);
            w.str(tags::SYMBOL, a.symbol);
            if let Some(s) = a.side {
                w.char(tags::SIDE, s);
            }
            if let Some(q) = a.qty {
                w.fixed(tags::ORDER_QTY, q);
            }
            w.str(TEXT, text.as_bytes());
        });
        self.counters.send_failures += u64::from(r.is_err());
    }

    fn quote_one(
        &mut self,
        me: u16,
        req_id: &[u8],
        a: &Ask<'_>,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        let Some(m) = self.market(a.symbol) else {
            return self.quote_reject(req_id, a, 1, "Unknown symbol", tx);
        };
        let (want_bid, want_offer) = match a.side {
            None => (true, true),
            Some(b'1') => (false, true),
            Some(b'2') => (true, false),
            Some(_) => {
                let text = "Unsupported Side: the venue quotes 1 (buy), 2 (sell) or both (no Side)";
                return self.quote_reject(req_id, a, 99, text, tx);
            }
        };
        let lots = match self.lots(m, a.qty) {
            Ok(l) => l,
            Err((3, text)) => return self.quote_reject(req_id, a, 3, text, tx),
            Err((_, text)) => return self.quote_reject(req_id, a, 99, text, tx),
        };
        let book = &self.markets[m as usize].book;
        // The venue's bid is priced from the book's bids, its offer from the offers.
        let bid = want_bid.then(|| price_for(book, Side::Buy, lots)).flatten();
        let offer = want_offer
            .then(|| price_for(book, Side::Sell, lots))
            .flatten();
        if bid.is_none() && offer.is_none() {
            let text = "No market: the book has no orders on the side asked for";
            return self.quote_reject(req_id, a, 8, text, tx);
        }
        let firm = bid.is_none_or(|b| b.1) && offer.is_none_or(|o| o.1);
        let n = self.quotes.next;
        self.quotes.next += 1;
        let i = self.quotes.slot(n);
        self.quotes.kill(i);
        let valid_until = now.unix_nanos() + self.md_spec.quote_valid_ms as i64 * 1_000_000;
        let q = &mut self.quotes.table[i];
        q.n = n;
        q.live = true;
        q.firm = firm;
        q.session = me;
        q.market = m;
        q.bid = bid.map(|b| (b.0, lots));
        q.offer = offer.map(|o| (o.0, lots));
        q.valid_until = valid_until;
        let k = req_id.len().min(QUOTE_REQ_ID_MAX);
        q.req_id[..k].copy_from_slice(&req_id[..k]);
        q.req_len = k as u8;
        let q = *q;
        if firm {
            self.quotes.live_firm[m as usize] += 1;
        }
        self.counters.quotes += 1;
        let spec = &self.markets[m as usize].spec;
        let (tick, lot) = (spec.tick_size, spec.lot_size);
        let id = QuoteIdText::new(self.run_id, n);
        let units = |n: i64, u: Fixed| from_units(n, u).unwrap_or(Fixed::new(0, 0));
        let r = tx.send(b"S", &[], &mut |w| {
            w.str(tags::QUOTE_REQ_ID, req_id);
            w.str(tags::QUOTE_ID, id.as_bytes());
            w.char(QUOTE_TYPE, if firm { b'1' } else { b'0' });
            w.str(tags::SYMBOL, a.symbol);
            if let Some(s) = a.side {
                w.char(tags::SIDE, s);
            }
            w.fixed(tags::ORDER_QTY, units(lots as i64, lot));
            if let Some((p, _)) = q.bid {
                w.fixed(BID_PX, units(p, tick));
            }
            if let Some((p, _)) = q.offer {
                w.fixed(OFFER_PX, units(p, tick));
            }
            if let Some((_, s)) = q.bid {
                w.fixed(BID_SIZE, units(s as i64, lot));
            }
            if let Some((_, s)) = q.offer {
                w.fixed(OFFER_SIZE, units(s as i64, lot));
            }
            if firm {
                w.timestamp(VALID_UNTIL_TIME, UtcTimestamp::from_unix_nanos(valid_until));
            }
            w.timestamp(tags::TRANSACT_TIME, now);
        });
        self.counters.send_failures += u64::from(r.is_err());
    }

    /// Why an order on quote `quote_id` cannot be filled, or the quote's
    /// slot and price (ticks).
    fn check_quoted(
        &self,
        me: u16,
        m: u16,
        quote_id: &[u8],
        side: Side,
        lots: u64,
        limit: Option<i64>,
        now: UtcTimestamp,
    ) -> Result<(usize, i64), &'static str> {
        let unknown = "Unknown QuoteID (never issued, or forgotten)";
        let (run, n) = parse_quote_id(quote_id).ok_or(unknown)?;
        let i = self.quotes.slot(n);
        let q = &self.quotes.table[i];
        if run != self.run_id || q.n != n || n == 0 {
            return Err(unknown);
        }
        if q.session != me {
            return Err("QuoteID was issued to another session");
        }
        if q.market != m {
            return Err("Symbol does not match the quote");
        }
        if !q.firm {
            return Err("Quote is indicative (QuoteType 0): it cannot be traded");
        }
        if !q.live {
            return Err("Quote is no longer live (cancelled or already traded)");
        }
        if now.unix_nanos() > q.valid_until {
            return Err("Quote expired (its ValidUntilTime has passed)");
        }
        let quoted = match side {
            Side::Buy => q.offer,
            Side::Sell => q.bid,
        };
        let Some((px, size)) = quoted else {
            return Err("Side not quoted: a buy takes the offer, a sell the bid");
        };
        if lots > size {
            return Err("OrderQty exceeds the quoted size");
        }
        let reaches = match (side, limit) {
            (_, None) => true,
            (Side::Buy, Some(l)) => l >= px,
            (Side::Sell, Some(l)) => l <= px,
        };
        if !reaches {
            return Err("Limit price does not reach the quoted price");
        }
        Ok((i, px))
    }

    /// A NewOrderSingle with QuoteID (117) on market `m` (ClOrdID and
    /// symbol already checked): filled in full at the quoted price, or
    /// rejected.
    pub(super) fn handle_quoted_order(
        &mut self,
        me: u16,
        m: u16,
        e: &Echo<'_>,
        quote_id: &[u8],
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        let side = match e.side {
            b'1' => Side::Buy,
            b'2' => Side::Sell,
            _ => {
                let text = "Unsupported Side: the venue takes 1 (buy) and 2 (sell)";
                return self.reject_new(e, 11, text, now, tx);
            }
        };
        let ord_type = match e.ord_type {
            Some(b'1') | Some(b'D') => OrdType::Market,
            Some(b'2') => OrdType::Limit,
            _ => {
                let text = "Unsupported OrdType on a quote: 1 (market), 2 (limit) or D (previously quoted)";
                return self.reject_new(e, 11, text, now, tx);
            }
        };
        let tif = match super::app::tif_of(e.tif) {
            Some(t) => t,
            None => {
                let text = "Unsupported TimeInForce: the venue takes 0 (day), 1 (GTC), 3 (IOC) and 4 (FOK)";
                return self.reject_new(e, 11, text, now, tx);
            }
        };
        let lots = match self.lots(m, e.qty) {
            Ok(l) => l,
            Err((reason, text)) => return self.reject_new(e, reason, text, now, tx),
        };
        let limit = match ord_type {
            OrdType::Market => None,
            OrdType::Limit => match self.ticks(m, e.price) {
                Ok(t) => Some(t),
                Err(text) => return self.reject_new(e, 99, text, now, tx),
            },
        };
        let (slot, px) = match self.check_quoted(me, m, quote_id, side, lots, limit, now) {
            Ok(x) => x,
            Err(text) => {
                self.counters.quote_order_rejects += 1;
                return self.reject_new(e, 99, text, now, tx);
            }
        };
        let order = NewOrderRec {
            session: me,
            instrument: m,
            order_id: self.next_order_id,
            side,
            ord_type,
            tif,
            price: limit.unwrap_or(0),
            qty: lots,
        };
        let Ok(i) = self.orders.insert(order, e.cl) else {
            return self.reject_new(e, 99, "Venue order capacity reached", now, tx);
        };
        self.next_order_id += 1;
        self.counters.orders_accepted += 1;
        self.counters.quote_fills += 1;
        self.quotes.kill(slot);
        let exec_id = self.exec_id();
        let r = Report::of(i, self.orders.get(i), exec_id, b'0', now);
        self.report(me, r, None, tx);
        let r = self.fill(i, px, lots, now);
        self.report(me, r, Some("Filled on quote"), tx);
        self.orders.finish(i);
    }

    /// After a change of market `m`'s book: cancels the firm quotes on it
    /// the market moved through (see the module doc).
    pub(super) fn quotes_after_change(
        &mut self,
        me: u16,
        m: u16,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        if self.quotes.live_firm[m as usize] == 0 {
            return;
        }
        let book = &self.markets[m as usize].book;
        let bid = book.best(Side::Buy).map(|b| b.0);
        let ask = book.best(Side::Sell).map(|a| a.0);
        for i in 0..self.quotes.table.len() {
            let q = self.quotes.table[i];
            if !(q.live && q.firm && q.market == m) {
                continue;
            }
            if now.unix_nanos() > q.valid_until {
                self.quotes.kill(i);
                continue;
            }
            let offer_gone = q
                .offer
                .is_some_and(|(p, _)| ask.is_none_or(|a| a > p) || bid.is_some_and(|b| b >= p));
            let bid_gone = q
                .bid
                .is_some_and(|(p, _)| bid.is_none_or(|b| b < p) || ask.is_some_and(|a| a <= p));
            if !(offer_gone || bid_gone) {
                continue;
            }
            self.quotes.kill(i);
            self.counters.quote_cancels += 1;
            let s = q.session;
            let slot = &mut self.sessions[s as usize];
            if s == me && tx.is_up() && slot.queue.is_empty() {
                self.send_quote_cancel(m, q.n, tx);
            } else if slot.queue.len() < self.queue_max {
                slot.queue.push_back(Queued::QuoteCancel {
                    market: m,
                    quote: q.n,
                });
            } else {
                self.counters.reports_dropped += 1;
            }
        }
    }

    /// Sends the QuoteCancel (Z) of quote `n` on market `m`; false when
    /// the session refused it.
    pub(super) fn send_quote_cancel(&mut self, m: u16, n: u64, tx: &mut Responder<'_>) -> bool {
        let id = QuoteIdText::new(self.run_id, n);
        let q = &self.quotes.table[self.quotes.slot(n)];
        let req_id = (q.n == n && q.req_len > 0).then(|| &q.req_id[..q.req_len as usize]);
        let symbol = self.markets[m as usize].spec.symbol.as_bytes();
        let r = tx.send(b"Z", &[], &mut |w: &mut MessageWriter<'_>| {
            if let Some(r) = req_id {
                w.str(tags::QUOTE_REQ_ID, r);
            }
            w.str(tags::QUOTE_ID, id.as_bytes());
            w.char(QUOTE_CANCEL_TYPE, b'1');
            w.uint(NO_QUOTE_ENTRIES, 1);
            w.str(tags::SYMBOL, symbol);
        });
        if r.is_err() {
            self.counters.send_failures += 1;
            return false;
        }
        true
    }

    /// Session `s` connected or disconnected: its quotes die, and
    /// QuoteCancels queued for it are forgotten.
    pub(super) fn quotes_session_reset(&mut self, s: u16) {
        for i in 0..self.quotes.table.len() {
            if self.quotes.table[i].session == s {
                self.quotes.kill(i);
            }
        }
        self.sessions[s as usize]
            .queue
            .retain(|q| !matches!(q, Queued::QuoteCancel { .. }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::venue::book::{OrderSpec, TimeInForce};

    #[test]
    fn quote_ids_round_trip() {
        let id = QuoteIdText::new(1_790_000_000, 42);
        assert_eq!(id.as_bytes(), b"Q1790000000-42");
        assert_eq!(parse_quote_id(id.as_bytes()), Some((1_790_000_000, 42)));
        assert_eq!(parse_quote_id(b"1790000000-42"), None);
        assert_eq!(parse_quote_id(b"Q17-"), None);
    }

    #[test]
    fn vwap_rounds_away_from_the_requester() {
        let mut b = Book::new(8);
        let rest = |b: &mut Book, key, side, price, qty| {
            b.submit(OrderSpec {
                key,
                side,
                price: Some(price),
                qty,
                tif: TimeInForce::Day,
            });
        };
        rest(&mut b, 1, Side::Sell, 100, 1);
        rest(&mut b, 2, Side::Sell, 101, 2);
        rest(&mut b, 3, Side::Buy, 99, 1);
        rest(&mut b, 4, Side::Buy, 98, 2);
        // 100 + 2 x 101 = 302 over 3 lots = 100.67 -> 101 (up).
        assert_eq!(price_for(&b, Side::Sell, 3), Some((101, true)));
        assert_eq!(price_for(&b, Side::Sell, 1), Some((100, true)));
        // 99 + 2 x 98 = 295 over 3 = 98.33 -> 98 (down).
        assert_eq!(price_for(&b, Side::Buy, 3), Some((98, true)));
        // Not enough depth: indicative at the best price.
        assert_eq!(price_for(&b, Side::Sell, 4), Some((100, false)));
        assert_eq!(Book::new(1).best(Side::Buy), None);
        assert_eq!(price_for(&Book::new(1), Side::Buy, 1), None);
    }
}
