//! QuoteRequest (R) out: `Command::QuoteRequest` checked, given a slot
//! and a QuoteReqID, and sent, or refused locally with an
//! [`Event::QuoteRequestRejected`](crate::strategy::Event::QuoteRequestRejected).

use super::{
    QuoteCounter, QuoteDesk, State, NO_RELATED_SYM, REQUEST_REJECT_BAD_QTY,
    REQUEST_REJECT_SESSION_DOWN, REQUEST_REJECT_TABLE_FULL, REQUEST_REJECT_UNKNOWN_INSTRUMENT,
};
use crate::codec::tags::{ORDER_QTY, QUOTE_REQ_ID, SIDE, SYMBOL};
use crate::codec::UtcTimestamp;
use crate::order::{EventSink, OrderSender};
use crate::strategy::{InstrumentId, Qty, Side};
use std::sync::Arc;

impl QuoteDesk {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn request<S, E>(
        &mut self,
        now: UtcTimestamp,
        tag: u64,
        instrument: InstrumentId,
        qty: Qty,
        side: Option<Side>,
        sender: &mut S,
        sink: &mut E,
    ) where
        S: OrderSender + ?Sized,
        E: EventSink + ?Sized,
    {
        let instruments = Arc::clone(&self.instruments);
        let Some(ins) = instruments.get(instrument) else {
            return self.refuse_request(sink, tag, REQUEST_REJECT_UNKNOWN_INSTRUMENT);
        };
        if qty.0 <= 0 {
            return self.refuse_request(sink, tag, REQUEST_REJECT_BAD_QTY);
        }
        if !sender.is_up() {
            return self.refuse_request(sink, tag, REQUEST_REJECT_SESSION_DOWN);
        }
        let Some(slot) = self.free.pop() else {
            return self.refuse_request(sink, tag, REQUEST_REJECT_TABLE_FULL);
        };
        let n = self.next_seq;
        let id = self.ids.write(slot, n);
        let symbol = ins.symbol.as_bytes();
        let sent = sender.send(b"R", &mut |w| {
            w.str(QUOTE_REQ_ID, id.as_bytes())
                .uint(NO_RELATED_SYM, 1)
                .str(SYMBOL, symbol);
            if let Some(side) = side {
                w.char(SIDE, side.fix());
            }
            w.int(ORDER_QTY, qty.0);
        });
        // The number is spent even if the send failed (it may have reached
        // the journal): ids are never reused.
        self.next_seq = n.saturating_add(1);
        if sent.is_err() {
            self.free.push(slot);
            return self.refuse_request(sink, tag, REQUEST_REJECT_SESSION_DOWN);
        }
        let s = slot as usize;
        let q = &mut self.slots[s];
        q.state = State::Requested;
        q.seq = n;
        q.tag = tag;
        q.instrument = instrument;
        q.req_qty = qty;
        self.busy += 1;
        let deadline = match self.request_timeout_ns {
            0 => 0,
            t => now.unix_nanos().saturating_add(t).max(1),
        };
        self.set_deadline(s, deadline);
        self.counters.bump(QuoteCounter::RequestsSent);
    }
}
