//! The venue's side of the desk: Quote (S), QuoteCancel (Z) and
//! QuoteRequestReject (AG) read into the table (see the parent module's
//! decisions).

use super::{
    End, QuoteCounter, QuoteDesk, State, BID_PX, BID_SIZE, NO_QUOTE_ENTRIES, OFFER_PX, OFFER_SIZE,
    QUOTE_CANCEL_TYPE, QUOTE_ID_MAX, QUOTE_REQUEST_REJECT_REASON, QUOTE_TYPE, REASON_OTHER,
    VALID_UNTIL_TIME,
};
use crate::codec::tags::{ORDER_QTY, QUOTE_ID, QUOTE_REQ_ID, SYMBOL};
use crate::codec::value::parse_u64;
use crate::codec::{Fixed, Message, UtcTimestamp};
use crate::order::EventSink;
use crate::strategy::{Event, Price, Qty};
use std::sync::Arc;

/// What a Quote (S) says, as read from the message.
#[derive(Debug, Default)]
struct QuoteFields<'a> {
    req_id: Option<&'a [u8]>,
    quote_id: &'a [u8],
    symbol: Option<&'a [u8]>,
    quote_type: Option<&'a [u8]>,
    order_qty: Option<&'a [u8]>,
    bid: Option<&'a [u8]>,
    offer: Option<&'a [u8]>,
    bid_size: Option<&'a [u8]>,
    offer_size: Option<&'a [u8]>,
    valid_until: Option<&'a [u8]>,
}

/// A price field (absent: 0); `Err` when it does not decode.
fn price_of(v: Option<&[u8]>) -> Result<Price, ()> {
    match v {
        None => Ok(Price(0)),
        Some(v) => Fixed::parse(v).ok().and_then(Price::from_fixed).ok_or(()),
    }
}

/// A whole-unit quantity field; `Err` when it does not decode.
fn qty_of(v: Option<&[u8]>) -> Result<Option<Qty>, ()> {
    match v {
        None => Ok(None),
        Some(v) => Fixed::parse(v)
            .ok()
            .and_then(|f| f.mantissa_at(0))
            .map(|q| Some(Qty(q)))
            .ok_or(()),
    }
}

/// A Quote's decoded values.
#[derive(Debug, Clone, Copy)]
struct ParsedQuote {
    bid: Price,
    bid_qty: Qty,
    offer: Price,
    offer_qty: Qty,
    valid_until_ns: i64,
    firm: bool,
}

impl QuoteDesk {
    /// Takes a Quote (S), QuoteCancel (Z) or QuoteRequestReject (AG);
    /// returns false, doing nothing, for any other message.
    pub fn on_message<E: EventSink + ?Sized>(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        sink: &mut E,
    ) -> bool {
        self.events.drain_into(sink);
        match msg.msg_type() {
            b"S" => self.on_quote(now, msg, sink),
            b"Z" => self.on_cancel(msg, sink),
            b"AG" => self.on_reject(msg, sink),
            _ => return false,
        }
        true
    }

    /// The slot of an outstanding request or live quote `req_id` names.
    fn slot_of(&self, req_id: Option<&[u8]>) -> Option<usize> {
        let (slot, n) = self.ids.parse(req_id?)?;
        let s = self.slots.get(slot as usize)?;
        (s.state != State::Free && s.seq == n).then_some(slot as usize)
    }

    fn on_quote<E: EventSink + ?Sized>(
        &mut self,
        _now: UtcTimestamp,
        msg: &Message<'_>,
        sink: &mut E,
    ) {
        let mut f = QuoteFields::default();
        for field in msg.body().iter() {
            let v = field.value();
            match field.tag() {
                QUOTE_REQ_ID => f.req_id = Some(v),
                QUOTE_ID => f.quote_id = v,
                SYMBOL if f.symbol.is_none() => f.symbol = Some(v),
                QUOTE_TYPE => f.quote_type = Some(v),
                ORDER_QTY => f.order_qty = Some(v),
                BID_PX => f.bid = Some(v),
                OFFER_PX => f.offer = Some(v),
                BID_SIZE => f.bid_size = Some(v),
                OFFER_SIZE => f.offer_size = Some(v),
                VALID_UNTIL_TIME => f.valid_until = Some(v),
                _ => {}
            }
        }
        let Some(s) = self.slot_of(f.req_id) else {
            self.counters.bump(QuoteCounter::Unknown);
            return;
        };
        let Some(parsed) = self.read_quote(s, &f) else {
            self.counters.bump(QuoteCounter::Malformed);
            return;
        };
        if self.slots[s].state == State::Quoted {
            // One live quote per request: the new one replaces it.
            let old = self.quote_id_of(s);
            self.slots[s].ended = End::Other;
            self.counters.bump(QuoteCounter::QuotesReplaced);
            self.emit(sink, Event::QuoteCanceled { quote: old });
        }
        let slot = &mut self.slots[s];
        slot.generation = match slot.generation.wrapping_add(1) {
            0 => 1,
            g => g,
        };
        slot.state = State::Quoted;
        slot.ended = End::None;
        slot.quote_id_len = f.quote_id.len() as u8;
        slot.quote_id[..f.quote_id.len()].copy_from_slice(f.quote_id);
        slot.bid = parsed.bid;
        slot.bid_qty = parsed.bid_qty;
        slot.offer = parsed.offer;
        slot.offer_qty = parsed.offer_qty;
        slot.valid_until_ns = parsed.valid_until_ns;
        slot.firm = parsed.firm;
        self.set_deadline(s, parsed.valid_until_ns);
        self.counters.bump(QuoteCounter::Quotes);
        let v = self.view(s);
        self.emit(
            sink,
            Event::Quote {
                tag: v.tag,
                quote: v.id,
                instrument: v.instrument,
                bid: v.bid,
                bid_qty: v.bid_qty,
                offer: v.offer,
                offer_qty: v.offer_qty,
                valid_until_ns: v.valid_until_ns,
                firm: v.firm,
            },
        );
    }

    /// The quote's values, or `None` when it is malformed for slot `s`.
    fn read_quote(&self, s: usize, f: &QuoteFields<'_>) -> Option<ParsedQuote> {
        if f.quote_id.is_empty() || f.quote_id.len() > QUOTE_ID_MAX {
            return None;
        }
        let slot = &self.slots[s];
        if let Some(sym) = f.symbol {
            let ins = self.instruments.get(slot.instrument)?;
            if sym != ins.symbol.as_bytes() {
                return None;
            }
        }
        let firm = match f.quote_type {
            None => false,
            Some(v) => parse_u64(v).ok()? == 1,
        };
        let bid = price_of(f.bid).ok()?;
        let offer = price_of(f.offer).ok()?;
        let default_size = qty_of(f.order_qty).ok()?.unwrap_or(slot.req_qty);
        let size = |price: Price, v: Option<&[u8]>| -> Option<Qty> {
            if price.0 == 0 {
                return Some(Qty(0));
            }
            Some(qty_of(v).ok()?.unwrap_or(default_size))
        };
        let bid_qty = size(bid, f.bid_size)?;
        let offer_qty = size(offer, f.offer_size)?;
        let valid_until_ns = match f.valid_until {
            None => 0,
            Some(v) => UtcTimestamp::parse(v).ok()?.0.unix_nanos().max(1),
        };
        Some(ParsedQuote {
            bid,
            bid_qty,
            offer,
            offer_qty,
            valid_until_ns,
            firm,
        })
    }

    fn cancel_slot<E: EventSink + ?Sized>(&mut self, s: usize, sink: &mut E) {
        let quote = self.quote_id_of(s);
        self.release(s, End::Other);
        self.counters.bump(QuoteCounter::QuotesCanceled);
        self.emit(sink, Event::QuoteCanceled { quote });
    }

    fn on_cancel<E: EventSink + ?Sized>(&mut self, msg: &Message<'_>, sink: &mut E) {
        let cancel_type = msg
            .get(QUOTE_CANCEL_TYPE)
            .and_then(|f| parse_u64(f.value()).ok());
        let Some(cancel_type) = cancel_type else {
            self.counters.bump(QuoteCounter::Malformed);
            return;
        };
        let mut canceled = 0;
        if cancel_type == 4 {
            for s in 0..self.slots.len() {
                if self.slots[s].state == State::Quoted {
                    self.cancel_slot(s, sink);
                    canceled += 1;
                }
            }
        } else {
            // The quote 117 names, if it is one of ours; else, for 298=1
            // with a QuoteEntries group, every quote on its symbols.
            let quote_id = msg.get(QUOTE_ID).map_or(&b""[..], |f| f.value());
            for s in 0..self.slots.len() {
                if self.slots[s].state == State::Quoted
                    && !quote_id.is_empty()
                    && self.slots[s].quote_id() == quote_id
                {
                    self.cancel_slot(s, sink);
                    canceled += 1;
                }
            }
            if canceled == 0 && cancel_type == 1 && msg.get(NO_QUOTE_ENTRIES).is_some() {
                let instruments = Arc::clone(&self.instruments);
                for field in msg.body().iter().filter(|f| f.tag() == SYMBOL) {
                    let Some(ins) = instruments.find(field.value()) else {
                        continue;
                    };
                    for s in 0..self.slots.len() {
                        if self.slots[s].state == State::Quoted && self.slots[s].instrument == ins {
                            self.cancel_slot(s, sink);
                            canceled += 1;
                        }
                    }
                }
            }
        }
        if canceled == 0 {
            self.counters.bump(QuoteCounter::Unknown);
        }
    }

    fn on_reject<E: EventSink + ?Sized>(&mut self, msg: &Message<'_>, sink: &mut E) {
        let req_id = msg.get(QUOTE_REQ_ID).map(|f| f.value());
        let Some(s) = self.slot_of(req_id) else {
            self.counters.bump(QuoteCounter::Unknown);
            return;
        };
        if self.slots[s].state != State::Requested {
            self.counters.bump(QuoteCounter::Unknown);
            return;
        }
        let reason = msg
            .get(QUOTE_REQUEST_REJECT_REASON)
            .and_then(|f| parse_u64(f.value()).ok())
            .and_then(|r| u16::try_from(r).ok())
            .unwrap_or(REASON_OTHER);
        let tag = self.slots[s].tag;
        self.release(s, End::None);
        self.counters.bump(QuoteCounter::RequestRejects);
        self.emit(sink, Event::QuoteRequestRejected { tag, reason });
    }
}
