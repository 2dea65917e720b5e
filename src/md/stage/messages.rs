//! W, X and Y for the stage: which subscription a message is for (its
//! MDReqID, or the symbol through a one-entry cache), snapshots rebuilding
//! a book, incremental entries applied to live books (trades passed on),
//! and the venue's rejects. Batches go out after the whole message.

use super::{EventOut, MarketData};
use crate::codec::{Message, UtcTimestamp};
use crate::md::book::Applied;
use crate::md::entry::{MdEntry, MdMessage};
use crate::md::request::MdReqId;
use crate::strategy::{Event, InstrumentId, MdEntryTypes};

impl MarketData {
    /// The instrument whose current request has this id.
    #[inline]
    pub(super) fn current(&self, id: &[u8]) -> Option<usize> {
        let i = usize::from(self.ids.instrument(id)?.0);
        let s = self.subs.get(i)?;
        (s.active && s.id.as_bytes() == id).then_some(i)
    }

    /// The instrument of a symbol, through a one-entry cache.
    #[inline]
    fn lookup(&mut self, symbol: &[u8]) -> Option<usize> {
        let (buf, len, id) = &self.last_symbol;
        if *len == symbol.len() && buf[..*len] == *symbol {
            return Some(usize::from(id.0));
        }
        let id = self.instruments.find(symbol)?;
        if symbol.len() <= 32 {
            self.last_symbol.0[..symbol.len()].copy_from_slice(symbol);
            self.last_symbol.1 = symbol.len();
            self.last_symbol.2 = id;
        }
        Some(usize::from(id.0))
    }

    pub(super) fn snapshot(
        &mut self,
        now: UtcTimestamp,
        md: &MdMessage<'_>,
        out: &mut EventOut<'_>,
    ) {
        let i = match md.req_id() {
            Some(id) => self.current(id),
            None => md
                .symbol()
                .and_then(|s| self.lookup(s))
                .filter(|&i| self.subs[i].active),
        };
        let Some(i) = i else {
            self.counters.ignored += 1;
            return;
        };
        self.clear_book(i);
        for e in md.entries() {
            self.counters.entries += 1;
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    tracing::warn!(instrument = i, error = %err, "market data: bad snapshot entry");
                    self.bad_update(i, out);
                    return;
                }
            };
            match e.kind {
                Some(b'0' | b'1') => match self.books[i].apply_snapshot(&e) {
                    Ok(_) => self.counters.updates_applied += 1,
                    Err(err) => {
                        tracing::warn!(instrument = i, error = %err, "market data: snapshot not applied");
                        self.bad_update(i, out);
                        return;
                    }
                },
                _ => self.counters.ignored_entries += 1,
            }
        }
        self.counters.snapshots += 1;
        self.subs[i].force_top = true;
        self.live(i, now.unix_nanos(), out);
        self.emit(i, out);
    }

    pub(super) fn incremental(
        &mut self,
        now: UtcTimestamp,
        md: &MdMessage<'_>,
        out: &mut EventOut<'_>,
    ) {
        // The 262, when present, must be a current subscription's; it also
        // names the instrument of entries that carry no symbol.
        let default = match md.req_id() {
            Some(id) => match self.current(id) {
                Some(i) => Some(i),
                None => {
                    self.counters.ignored += 1;
                    return;
                }
            },
            None => None,
        };
        let mut last = default;
        for e in md.entries() {
            self.counters.entries += 1;
            let e = match e {
                Ok(e) => e,
                Err(err) => {
                    // The iterator stops after an error: the rest of the
                    // message is lost, and with it the book it was for.
                    match last {
                        Some(i) if self.subs[i].book_usable() => {
                            tracing::warn!(instrument = i, error = %err, "market data: bad entry");
                            self.bad_update(i, out);
                        }
                        _ => self.counters.ignored_entries += 1,
                    }
                    break;
                }
            };
            let i = match e.symbol {
                Some(sym) => self.lookup(sym),
                None => default,
            };
            let Some(i) = i else {
                self.counters.ignored_entries += 1;
                continue;
            };
            last = Some(i);
            self.entry(i, &e, out);
        }
        for k in 0..self.touched.len() {
            let i = usize::from(self.touched[k]);
            let s = &mut self.subs[i];
            s.touched = false;
            if s.failed {
                s.failed = false;
                continue;
            }
            self.live(i, now.unix_nanos(), out);
            self.emit(i, out);
        }
        self.touched.clear();
    }

    /// One X entry for instrument `i`.
    #[inline]
    fn entry(&mut self, i: usize, e: &MdEntry<'_>, out: &mut EventOut<'_>) {
        let s = &self.subs[i];
        if !s.book_usable() || s.failed {
            self.counters.ignored_entries += 1;
            return;
        }
        let trades = s.want.entries.contains(MdEntryTypes::TRADE);
        match e.kind {
            Some(b'2') => {
                let (Some(price), Some(qty)) = (e.price, e.size) else {
                    self.counters.ignored_entries += 1;
                    return;
                };
                self.touch(i);
                if trades {
                    self.counters.trades += 1;
                    self.push_event(
                        out,
                        Event::Trade {
                            instrument: InstrumentId(i as u16),
                            price,
                            qty,
                        },
                    );
                }
            }
            Some(b'0' | b'1') | None => match self.books[i].apply(e) {
                Ok(Applied::Updated(_)) => {
                    self.counters.updates_applied += 1;
                    self.subs[i].seq = self.subs[i].seq.wrapping_add(1);
                    self.touch(i);
                }
                Ok(Applied::Ignored) => self.counters.ignored_entries += 1,
                Err(err) => {
                    tracing::warn!(instrument = i, error = %err, "market data: update not applied");
                    self.touch(i);
                    self.subs[i].failed = true;
                    self.bad_update(i, out);
                }
            },
            Some(_) => self.counters.ignored_entries += 1,
        }
    }

    #[inline]
    fn touch(&mut self, i: usize) {
        let s = &mut self.subs[i];
        if !s.touched {
            s.touched = true;
            self.touched.push(i as u16);
        }
    }

    /// A Y: the venue refused a request.
    pub(super) fn reject(&mut self, msg: &Message<'_>, out: &mut EventOut<'_>) {
        let id = msg.get(crate::codec::tags::MD_REQ_ID).map(|f| f.value());
        let Some(i) = id.and_then(|id| self.current(id)) else {
            self.counters.ignored += 1;
            return;
        };
        let reason = msg
            .get(crate::codec::tags::MD_REQ_REJ_REASON)
            .map(|f| f.value())
            .map_or(255, |v| match v {
                [d @ b'0'..=b'9'] => d - b'0',
                [c @ b'A'..=b'Z'] => c - b'A' + 10,
                _ => std::str::from_utf8(v)
                    .ok()
                    .and_then(|t| t.parse::<u8>().ok())
                    .unwrap_or(255),
            });
        self.counters.rejects += 1;
        // The venue holds nothing under a refused id.
        self.subs[i].id = MdReqId::default();
        self.end(i);
        self.push_event(
            out,
            Event::MarketDataRejected {
                instrument: InstrumentId(i as u16),
                reason,
            },
        );
    }
}
