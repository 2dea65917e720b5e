//! A subscription's state changes (end, cleared, stale, bad update, live
//! again, no updates for too long) and the V's that are due: unsubscribes
//! of old MDReqIDs, then requests with new ones.

use super::{EventOut, MarketData, SubState, Want, NONE};
use crate::codec::UtcTimestamp;
use crate::md::request::{send_request, MdReqId, MdRequest, MdSender, SubscriptionType};
use crate::strategy::{Event, InstrumentId, Price, Qty, StaleCause};

impl MarketData {
    /// The subscription of `i` ends (Unsubscribe, Y): book cleared, view
    /// forgotten, nothing more for the strategy.
    pub(super) fn end(&mut self, i: usize) {
        self.books[i].clear();
        let _ = self.books[i].take_changes();
        let s = &mut self.subs[i];
        s.active = false;
        s.state = SubState::Unsubscribed;
        s.id = MdReqId::default();
        s.send_due = false;
        s.shown_len = [0; 2];
        s.shown_top = (Price(0), Qty(0), Price(0), Qty(0));
        s.from = [NONE; 2];
        s.force_top = false;
        if s.dirty {
            s.dirty = false;
            self.dirty -= 1;
        }
    }

    pub(super) fn clear_book(&mut self, i: usize) {
        self.books[i].clear();
        let s = &mut self.subs[i];
        s.seq = 0;
        s.from = [0; 2];
    }

    /// A book the stage can no longer trust, for `cause` (not NoUpdates):
    /// cleared (its batch tells the strategy), `BookStale` once per cause.
    pub(super) fn stale(&mut self, i: usize, cause: StaleCause, out: &mut EventOut<'_>) {
        self.clear_book(i);
        let s = &mut self.subs[i];
        if s.state != SubState::Stale(cause) {
            s.state = SubState::Stale(cause);
            self.counters.stale_events += 1;
            self.push_event(
                out,
                Event::BookStale {
                    instrument: InstrumentId(i as u16),
                    cause,
                },
            );
        }
        self.emit(i, out);
    }

    /// An update the book could not apply: cleared, stale, the old id
    /// unsubscribed and a new snapshot asked for.
    pub(super) fn bad_update(&mut self, i: usize, out: &mut EventOut<'_>) {
        self.counters.bad_updates += 1;
        let s = &mut self.subs[i];
        if !s.id.is_empty() {
            s.cancel = s.id;
            s.cancel_want = s.want;
        }
        s.id = MdReqId::default();
        s.send_due = true;
        self.sends_due = true;
        // Force the event even when already stale for this cause.
        if s.state == SubState::Stale(StaleCause::BadUpdate) {
            s.state = SubState::Requested;
        }
        self.stale(i, StaleCause::BadUpdate, out);
    }

    /// An update (or a snapshot) arrived for `i`: live again if it was not.
    pub(super) fn live(&mut self, i: usize, now_ns: i64, out: &mut EventOut<'_>) {
        let s = &mut self.subs[i];
        s.last_update_ns = now_ns;
        if s.stale_after_ms > 0 && s.want.updates {
            let deadline = now_ns.saturating_add(s.stale_after_ms as i64 * 1_000_000);
            self.next_stale_ns = self.next_stale_ns.min(deadline);
        }
        if s.state != SubState::Live {
            s.state = SubState::Live;
            self.push_event(
                out,
                Event::BookLive {
                    instrument: InstrumentId(i as u16),
                },
            );
        }
    }

    pub(super) fn check_stale(&mut self, now_ns: i64, out: &mut EventOut<'_>) -> usize {
        let mut next = i64::MAX;
        let mut n = 0;
        for i in 0..self.subs.len() {
            let s = &mut self.subs[i];
            if !s.active || s.state != SubState::Live || s.stale_after_ms == 0 || !s.want.updates {
                continue;
            }
            let deadline = s
                .last_update_ns
                .saturating_add(s.stale_after_ms as i64 * 1_000_000);
            if now_ns >= deadline {
                s.state = SubState::Stale(StaleCause::NoUpdates);
                self.counters.stale_events += 1;
                self.counters.stale_no_updates += 1;
                self.push_event(
                    out,
                    Event::BookStale {
                        instrument: InstrumentId(i as u16),
                        cause: StaleCause::NoUpdates,
                    },
                );
                n += 1;
            } else {
                next = next.min(deadline);
            }
        }
        self.next_stale_ns = next;
        n
    }

    /// Sends the unsubscribes and subscriptions that are due. Returns how
    /// many V's went out.
    pub(super) fn send_due<S: MdSender + ?Sized>(
        &mut self,
        now: UtcTimestamp,
        tx: &mut S,
    ) -> usize {
        if !self.sends_due {
            return 0;
        }
        if !tx.is_up() {
            return 0;
        }
        let mut n = 0;
        let mut still_due = false;
        for i in 0..self.subs.len() {
            let symbol = match self.instruments.get(InstrumentId(i as u16)) {
                Some(ins) => ins.symbol.as_bytes(),
                None => continue,
            };
            let s = &mut self.subs[i];
            if !s.cancel.is_empty() {
                let r = MdRequest {
                    id: s.cancel.as_bytes(),
                    kind: SubscriptionType::Unsubscribe,
                    depth: request_depth(s.cancel_want, s.depth),
                    entries: s.cancel_want.entries,
                    aggregated: s.cancel_want.aggregated,
                    symbol,
                };
                match send_request(tx, &r) {
                    Ok(_) => {
                        self.counters.unsubscribes_sent += 1;
                        n += 1;
                    }
                    Err(e) => {
                        self.counters.send_failures += 1;
                        tracing::warn!(instrument = i, error = %e, "market data: unsubscribe not sent");
                    }
                }
                // Sent or not, the old id is done with: a session that
                // cannot send has lost the connection the id lived on.
                s.cancel = MdReqId::default();
            }
            if s.active && s.send_due {
                let id = self
                    .ids
                    .write(InstrumentId(i as u16), tx.next_seq(), now.unix_secs());
                let r = MdRequest {
                    id: id.as_bytes(),
                    kind: if s.want.updates {
                        SubscriptionType::SnapshotAndUpdates
                    } else {
                        SubscriptionType::Snapshot
                    },
                    depth: request_depth(s.want, s.depth),
                    entries: s.want.entries,
                    aggregated: s.want.aggregated,
                    symbol,
                };
                match send_request(tx, &r) {
                    Ok(_) => {
                        s.id = id;
                        s.send_due = false;
                        if s.state == SubState::Unsubscribed {
                            s.state = SubState::Requested;
                        }
                        self.counters.requests_sent += 1;
                        n += 1;
                    }
                    Err(e) => {
                        self.counters.send_failures += 1;
                        still_due = true;
                        tracing::warn!(instrument = i, error = %e, "market data: request not sent");
                        if !tx.is_up() {
                            break;
                        }
                    }
                }
            }
        }
        self.sends_due = still_due || self.subs.iter().any(|s| s.active && s.send_due);
        n
    }
}

/// MarketDepth (264) for a request: the levels the subscription shows.
pub(super) fn request_depth(want: Want, book_depth: u16) -> u16 {
    if want.depth == 0 {
        book_depth
    } else {
        want.depth.min(book_depth)
    }
}
