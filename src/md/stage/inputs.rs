//! The stage's driving calls: strategy commands, inbound W/X/Y, session
//! events, requests read back from the journal on replay, and the turn
//! ([`MarketData::poll`]). See the driving contract in the parent module.
//! Owns the dispatch only; what each input does to a subscription lives in
//! `messages.rs` and `lifecycle.rs`, and what the strategy sees in `emit.rs`.

use super::{EventOut, MarketData, SubState, Want, REJECT_UNKNOWN_SYMBOL};
use crate::codec::{Message, UtcTimestamp};
use crate::md::entry::{MdKind, MdMessage};
use crate::md::request::{MdReqId, MdSender, SubscriptionType};
use crate::session::Event as SessionEvent;
use crate::strategy::{Command, Event, MdEntryTypes, StaleCause};

impl MarketData {
    /// A strategy command. Returns false (and does nothing) for commands
    /// that are not market data's.
    pub fn handle_command<S: MdSender + ?Sized>(
        &mut self,
        now: UtcTimestamp,
        cmd: &Command,
        tx: &mut S,
        out: &mut EventOut<'_>,
    ) -> bool {
        match *cmd {
            Command::Subscribe {
                instrument,
                depth,
                entries,
                updates,
                aggregated,
            } => {
                let i = usize::from(instrument.0);
                if i >= self.subs.len() {
                    self.counters.rejects += 1;
                    self.push_event(
                        out,
                        Event::MarketDataRejected {
                            instrument,
                            reason: REJECT_UNKNOWN_SYMBOL,
                        },
                    );
                    return true;
                }
                let s = &mut self.subs[i];
                if s.active && !s.id.is_empty() {
                    s.cancel = s.id;
                    s.cancel_want = s.want;
                }
                s.active = true;
                s.want = Want {
                    depth,
                    entries,
                    updates,
                    aggregated,
                };
                s.id = MdReqId::default();
                s.send_due = true;
                if !matches!(s.state, SubState::Stale(_)) {
                    s.state = SubState::Requested;
                }
                self.sends_due = true;
                self.clear_book(i);
                self.emit(i, out);
                self.send_due(now, tx);
                true
            }
            Command::Unsubscribe { instrument } => {
                let i = usize::from(instrument.0);
                let Some(s) = self.subs.get_mut(i) else {
                    return true;
                };
                if !s.active {
                    return true;
                }
                if !s.id.is_empty() {
                    s.cancel = s.id;
                    s.cancel_want = s.want;
                    self.sends_due = true;
                }
                self.end(i);
                self.send_due(now, tx);
                true
            }
            _ => false,
        }
    }

    /// An inbound W, X or Y. Returns false for any other message type.
    pub fn handle_message(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        out: &mut EventOut<'_>,
    ) -> bool {
        if matches!(msg.msg_type(), b"W" | b"X" | b"Y") {
            // A staleness deadline that passed before this message arrived
            // fires first, however late the engine's turn came round: the
            // same order `md::Replay` reproduces from the journal, whose
            // records carry the arrival times and not the turns.
            let before = now.unix_nanos().saturating_sub(1);
            if before >= self.next_stale_ns {
                self.check_stale(before, out);
            }
        }
        match msg.msg_type() {
            b"W" | b"X" => {
                self.counters.messages += 1;
                match MdMessage::decode(msg) {
                    Ok(md) => match md.kind() {
                        MdKind::Snapshot => self.snapshot(now, &md, out),
                        MdKind::Incremental => self.incremental(now, &md, out),
                    },
                    Err(e) => {
                        // A W or X that does not decode: if it is for a
                        // current subscription, that book is lost.
                        let req = msg.get(crate::codec::tags::MD_REQ_ID);
                        match req.and_then(|f| self.current(f.value())) {
                            Some(i) => {
                                tracing::warn!(instrument = i, error = %e, "market data: bad message");
                                self.bad_update(i, out);
                            }
                            None => self.counters.ignored += 1,
                        }
                    }
                }
                true
            }
            b"Y" => {
                self.counters.messages += 1;
                self.reject(msg, out);
                true
            }
            _ => false,
        }
    }

    /// A session event: `LoggedOn` restores every subscription (at the
    /// next [`MarketData::poll`]), `Disconnected` clears every book,
    /// `GapDetected` clears them and asks for new snapshots.
    pub fn handle_event(
        &mut self,
        _now: UtcTimestamp,
        event: &SessionEvent,
        out: &mut EventOut<'_>,
    ) {
        match event {
            SessionEvent::LoggedOn { .. } => {
                for s in self.subs.iter_mut() {
                    // A new connection: the venue holds no subscription of ours.
                    s.cancel = MdReqId::default();
                    if s.active {
                        s.id = MdReqId::default();
                        s.send_due = true;
                        self.sends_due = true;
                    }
                }
            }
            SessionEvent::Disconnected(_) => {
                for i in 0..self.subs.len() {
                    let s = &mut self.subs[i];
                    s.cancel = MdReqId::default();
                    if !s.active {
                        continue;
                    }
                    s.id = MdReqId::default();
                    s.send_due = true;
                    self.sends_due = true;
                    self.stale(i, StaleCause::Disconnect, out);
                }
            }
            SessionEvent::GapDetected { .. } => {
                for i in 0..self.subs.len() {
                    let s = &mut self.subs[i];
                    if !s.active {
                        continue;
                    }
                    if !s.id.is_empty() {
                        s.cancel = s.id;
                        s.cancel_want = s.want;
                    }
                    s.id = MdReqId::default();
                    s.send_due = true;
                    self.sends_due = true;
                    self.stale(i, StaleCause::Gap, out);
                }
            }
            _ => {}
        }
    }

    /// Replay: a MarketDataRequest this stage sent, read back from the
    /// journal. The subscription becomes what it was when the V went out
    /// (what was asked, the request's MDReqID), as if the strategy's
    /// command had just been sent, so the W and X that answered it apply
    /// and anything for an older id is ignored, exactly as they were live.
    /// Returns false for a V that is not this stage's (another id format,
    /// an unknown instrument, a missing 262 or 263).
    pub fn adopt_request(&mut self, msg: &Message<'_>, out: &mut EventOut<'_>) -> bool {
        use crate::codec::tags;
        let Some(id) = msg.get(tags::MD_REQ_ID).map(|f| f.value()) else {
            return false;
        };
        let Some(instrument) = self.ids.instrument(id) else {
            return false;
        };
        let i = usize::from(instrument.0);
        let (Some(id), true) = (MdReqId::from_bytes(id), i < self.subs.len()) else {
            return false;
        };
        let kind = match msg.get(263).map(|f| f.value()) {
            Some(b"0") => SubscriptionType::Snapshot,
            Some(b"1") => SubscriptionType::SnapshotAndUpdates,
            Some(b"2") => SubscriptionType::Unsubscribe,
            _ => return false,
        };
        if kind == SubscriptionType::Unsubscribe {
            let s = &mut self.subs[i];
            if s.cancel == id {
                s.cancel = MdReqId::default();
            } else if s.id == id {
                self.end(i);
            }
        } else {
            let mut entries = MdEntryTypes::default();
            for f in msg.body().iter().filter(|f| f.tag() == 269) {
                if let Some(t) = f.value().first().and_then(|&b| MdEntryTypes::from_fix(b)) {
                    entries = entries.with(t);
                }
            }
            let want = Want {
                depth: msg
                    .get(264)
                    .and_then(|f| f.as_u64().ok())
                    .map_or(0, |d| d.min(u64::from(u16::MAX)) as u16),
                entries,
                updates: kind == SubscriptionType::SnapshotAndUpdates,
                aggregated: msg.get(266).is_none_or(|f| f.value() != b"N"),
            };
            let was_live = self.subs[i].state == SubState::Live && self.subs[i].id != id;
            let s = &mut self.subs[i];
            s.active = true;
            s.want = want;
            s.id = id;
            s.cancel = MdReqId::default();
            s.send_due = false;
            if s.state == SubState::Unsubscribed || was_live {
                s.state = SubState::Requested;
            }
            if was_live {
                // Live, a new request for a live book came from the
                // strategy's second Subscribe, which cleared it first.
                self.clear_book(i);
                self.emit(i, out);
            }
        }
        self.sends_due = self
            .subs
            .iter()
            .any(|s| (s.active && s.send_due) || !s.cancel.is_empty());
        true
    }

    /// The stage's turn: pending requests (when the session is up),
    /// staleness, then queued events and dirty batches as room allows.
    /// Returns the work done.
    pub fn poll<S: MdSender + ?Sized>(
        &mut self,
        now: UtcTimestamp,
        tx: &mut S,
        out: &mut EventOut<'_>,
    ) -> usize {
        let mut work = 0;
        if self.sends_due && tx.is_up() {
            work += self.send_due(now, tx);
        }
        let now_ns = now.unix_nanos();
        if now_ns >= self.next_stale_ns {
            work += self.check_stale(now_ns, out);
        }
        work + self.flush(out)
    }
}
