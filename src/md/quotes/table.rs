//! The desk's table: one slot per request and its quote ([`Slot`], in
//! [`State`] free, requested or quoted), the FIFO of free slots
//! ([`FreeRing`]), and the desk's slot bookkeeping (freeing a slot,
//! setting its deadline, naming its quote). Sends nothing and emits no
//! event.

use super::{QuoteDesk, QUOTE_ID_MAX};
use crate::strategy::{InstrumentId, Price, Qty, QuoteId};

/// Where a slot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Free,
    Requested,
    Quoted,
}

/// How the quote of a slot's current generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum End {
    /// Live, or never quoted.
    None,
    Expired,
    Other,
}

/// One request and, once answered, its one live quote.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    pub(super) state: State,
    pub(super) ended: End,
    /// Bumped for every quote stored here; 0 = never quoted.
    pub(super) generation: u16,
    /// The request's number (`n` of its QuoteReqID).
    pub(super) seq: u64,
    pub(super) tag: u64,
    pub(super) instrument: InstrumentId,
    pub(super) req_qty: Qty,
    /// Request time-out (Requested) or ValidUntilTime (Quoted); 0 = none.
    pub(super) deadline_ns: i64,
    pub(super) quote_id: [u8; QUOTE_ID_MAX],
    pub(super) quote_id_len: u8,
    pub(super) bid: Price,
    pub(super) bid_qty: Qty,
    pub(super) offer: Price,
    pub(super) offer_qty: Qty,
    pub(super) valid_until_ns: i64,
    pub(super) firm: bool,
}

impl Slot {
    pub(super) const EMPTY: Slot = Slot {
        state: State::Free,
        ended: End::None,
        generation: 0,
        seq: 0,
        tag: 0,
        instrument: InstrumentId(0),
        req_qty: Qty(0),
        deadline_ns: 0,
        quote_id: [0; QUOTE_ID_MAX],
        quote_id_len: 0,
        bid: Price(0),
        bid_qty: Qty(0),
        offer: Price(0),
        offer_qty: Qty(0),
        valid_until_ns: 0,
        firm: false,
    };

    pub(super) fn quote_id(&self) -> &[u8] {
        &self.quote_id[..self.quote_id_len as usize]
    }
}

/// A FIFO of free slot numbers (oldest freed reused last, so a stale
/// [`QuoteId`] stays recognisable as long as possible).
#[derive(Debug)]
pub(super) struct FreeRing {
    buf: Box<[u16]>,
    head: usize,
    len: usize,
}

impl FreeRing {
    pub(super) fn full(n: u16) -> FreeRing {
        FreeRing {
            buf: (0..n).collect(),
            head: 0,
            len: n as usize,
        }
    }

    pub(super) fn pop(&mut self) -> Option<u16> {
        if self.len == 0 {
            return None;
        }
        let s = self.buf[self.head];
        self.head = (self.head + 1) % self.buf.len();
        self.len -= 1;
        Some(s)
    }

    pub(super) fn push(&mut self, s: u16) {
        debug_assert!(self.len < self.buf.len(), "free ring over capacity");
        let at = (self.head + self.len) % self.buf.len();
        self.buf[at] = s;
        self.len += 1;
    }
}

impl QuoteDesk {
    /// Frees slot `s` (its quote, if any, ended as `ended`).
    pub(super) fn release(&mut self, s: usize, ended: End) {
        let slot = &mut self.slots[s];
        if slot.state == State::Free {
            return;
        }
        if slot.state == State::Quoted {
            slot.ended = ended;
        }
        slot.state = State::Free;
        slot.deadline_ns = 0;
        self.busy -= 1;
        self.free.push(s as u16);
    }

    pub(super) fn set_deadline(&mut self, s: usize, deadline_ns: i64) {
        self.slots[s].deadline_ns = deadline_ns;
        if deadline_ns != 0 {
            self.next_deadline_ns = self.next_deadline_ns.min(deadline_ns);
        }
    }

    pub(super) fn quote_id_of(&self, s: usize) -> QuoteId {
        QuoteId {
            slot: s as u16,
            generation: self.slots[s].generation,
        }
    }
}
