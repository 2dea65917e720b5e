//! Capture and replay: a trading session's journal drives its books again.
//!
//! The journal already is the capture: every message in and out is in it,
//! in order, with the time it was written. [`Replay`] reads one session's
//! records and feeds a fresh [`MarketData`] stage the way the engine fed the
//! live one:
//!
//! - an outbound MarketDataRequest (V) is adopted
//!   ([`MarketData::adopt_request`]): the subscription takes the request's
//!   MDReqID and parameters, so the W and X that answered it apply and
//!   anything for an older id is ignored, as it was live;
//! - an inbound Logon is the session coming up (`Disconnected` first when
//!   it was up: a reconnect), an inbound Logout the session going down;
//! - inbound numbers are followed as the session followed them: a message
//!   numbered above the next expected one is a gap (`GapDetected`: books
//!   cleared, subscriptions stale), one below it a duplicate the session
//!   dropped, a SequenceReset moves the expectation;
//! - a message the dictionary rejects was never handed to the application
//!   and is skipped;
//! - every other inbound W, X and Y goes to the stage;
//! - the stage's `poll` runs before the record is handled, with the
//!   instant before the record's time (the live engine's turns went past
//!   a deadline earlier than the bytes' arrival before reading them, so
//!   that staleness is raised first and the update then makes the book
//!   live again; a deadline at the very instant of the record was read
//!   after the turn's messages, as live), and after it with the record's
//!   time.
//!
//! A strategy can be driven from it ([`Replay::record_into`]): it gets the
//! events it would have got live (its commands go nowhere).
//!
//! Nothing here reads a clock, a socket or the journal itself: the caller
//! passes records (`fixrail replay` reads them from a `JournalReader` and
//! paces them), so the same records give the same books, the same events
//! and the same hashes every time.

use super::request::MdSender;
use super::stage::{EventOut, MarketData};
use crate::codec::{Decoded, Decoder, Message, MessageWriter, UtcTimestamp};
use crate::dictionary::{Dictionary, ValidationConfig, Validator};
use crate::journal::record::Kind;
use crate::journal::RecordRef;
use crate::session::{DisconnectReason, Event as SessionEvent, SendError};
use crate::strategy::{channel, Event, InstrumentId, InstrumentTable, Strategy, StrategyHandle};
use std::sync::Arc;

/// Room in the replay's event ring (the replay drains it after every
/// record, so it never fills in practice; a full ring coalesces as live).
const EVENT_RING: usize = 1 << 16;

/// What a replay counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayCounters {
    /// Records of the session read.
    pub records: u64,
    /// Inbound W, X and Y handed to the stage.
    pub market_data: u64,
    /// Outbound V adopted.
    pub requests: u64,
    /// Inbound messages numbered below the expected one (the session
    /// dropped them as duplicates).
    pub duplicates: u64,
    /// Inbound gaps (`GapDetected`).
    pub gaps: u64,
    /// Logons (connections).
    pub logons: u64,
    /// Inbound messages the dictionary rejects (never handed to the
    /// application live).
    pub invalid: u64,
    /// Records whose payload is not one whole FIX message.
    pub unreadable: u64,
    /// Events the strategy got.
    pub events: u64,
    /// Commands a strategy driven by [`Replay::record_into`] sent (dropped).
    pub commands: u64,
}

/// The sender a replayed stage sees: the session is never up, so the
/// stage sends nothing (the journal's own V records say what was sent).
struct Offline;

impl MdSender for Offline {
    fn send(
        &mut self,
        _msg_type: &[u8],
        _body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        Err(SendError::NotLoggedOn)
    }

    fn is_up(&self) -> bool {
        false
    }

    fn next_seq(&self) -> u64 {
        0
    }
}

/// One session's market data, rebuilt from its journal records.
pub struct Replay {
    md: MarketData,
    port: crate::strategy::EnginePort,
    handle: StrategyHandle,
    decoder: Decoder,
    dict: Dictionary,
    validator: Validator,
    session: u32,
    /// Instruments in the table (the books `books_hash` covers).
    instruments: usize,
    up: bool,
    expected_in: u64,
    now: UtcTimestamp,
    counters: ReplayCounters,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("session", &self.session)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

impl Replay {
    /// A replay of journal session `session` into books for `instruments`
    /// (the live engine's table: same order, same book sizes), with the
    /// live engine's MDReqID prefix (its `clordid_prefix`), validating
    /// inbound messages against `dict` with the session's `validation`
    /// switches, as the live session did.
    pub fn new(
        instruments: Arc<InstrumentTable>,
        id_prefix: &[u8],
        dict: Dictionary,
        validation: ValidationConfig,
        session: u32,
    ) -> Result<Replay, String> {
        let count = instruments.len();
        let md = MarketData::new(instruments, id_prefix, EVENT_RING)
            .map_err(|e| format!("replay: {e}"))?;
        let (handle, port) = channel(16, EVENT_RING);
        let decoder = Decoder::for_spec(dict.parse_spec().clone(), usize::MAX / 2);
        let validator = Validator::new(&dict, validation);
        Ok(Replay {
            md,
            port,
            handle,
            decoder,
            dict,
            validator,
            session,
            instruments: count,
            up: false,
            expected_in: 1,
            now: UtcTimestamp::from_unix_nanos(0),
            counters: ReplayCounters::default(),
        })
    }

    /// The stage (books, subscription states, counters).
    pub fn market_data(&self) -> &MarketData {
        &self.md
    }

    /// What was counted.
    pub fn counters(&self) -> ReplayCounters {
        self.counters
    }

    /// The time of the last record fed.
    pub fn now(&self) -> UtcTimestamp {
        self.now
    }

    /// A hash of every instrument's visible book (FNV-1a over the
    /// instruments' `Book::state_hash` in table order): equal books, equal
    /// hash.
    pub fn books_hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for i in 0..self.instruments {
            let b = self
                .md
                .book(InstrumentId(i as u16))
                .map_or(0, |b| b.state_hash());
            for byte in b.to_le_bytes() {
                h ^= u64::from(byte);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        }
        h
    }

    /// Feeds one journal record (records of other sessions and control
    /// records are skipped), then hands every event the stage produced to
    /// `on_event`, in order. Returns true when the record was one of this
    /// session's messages.
    pub fn record(&mut self, r: &RecordRef<'_>, mut on_event: impl FnMut(&Event)) -> bool {
        let mine = self.feed(r);
        while let Some(e) = self.handle.poll() {
            self.counters.events += 1;
            on_event(&e);
        }
        mine
    }

    /// Feeds one record as [`Replay::record`] does and drives `strategy`
    /// with the events, as the engine's runtime would: its `on_event` for
    /// each, then its `on_tick` with the record's time. What the strategy
    /// sends goes nowhere (a replay has no venue): the commands are
    /// counted ([`ReplayCounters::commands`]) and dropped.
    pub fn record_into(&mut self, r: &RecordRef<'_>, strategy: &mut dyn Strategy) -> bool {
        let mine = self.feed(r);
        if !mine {
            return false;
        }
        while let Some(e) = self.handle.poll() {
            self.counters.events += 1;
            strategy.on_event(&e, &mut self.handle);
        }
        strategy.on_tick(self.now.unix_nanos().max(0) as u64, &mut self.handle);
        while self.port.next_command().is_some() {
            self.counters.commands += 1;
        }
        true
    }

    fn feed(&mut self, r: &RecordRef<'_>) -> bool {
        if r.header.session != self.session || !matches!(r.kind, Kind::Inbound | Kind::Outbound) {
            return false;
        }
        self.counters.records += 1;
        self.now = UtcTimestamp::from_unix_nanos(r.header.timestamp_ns);
        let now = self.now;
        let inbound = r.kind == Kind::Inbound;
        let Replay {
            md,
            port,
            decoder,
            dict,
            validator,
            counters,
            ..
        } = self;
        let mut out = EventOut {
            port,
            orders_waiting: false,
        };
        // Time passes before the record: a deadline earlier than it fired
        // live, in a turn before the one that read the record.
        let before = UtcTimestamp::from_unix_nanos(now.unix_nanos().saturating_sub(1));
        md.poll(before, &mut Offline, &mut out);
        let msg = match decoder.decode(r.payload) {
            Decoded::Message(msg, len) if len == r.payload.len() => msg,
            _ => {
                counters.unreadable += 1;
                return true;
            }
        };
        if inbound {
            Self::inbound(
                md,
                (dict, validator),
                counters,
                &mut self.up,
                &mut self.expected_in,
                now,
                &msg,
                &mut out,
            );
        } else if msg.msg_type() == b"V" && md.adopt_request(&msg, &mut out) {
            counters.requests += 1;
        }
        md.poll(now, &mut Offline, &mut out);
        true
    }

    #[allow(clippy::too_many_arguments)]
    fn inbound(
        md: &mut MarketData,
        (dict, validator): (&Dictionary, &mut Validator),
        counters: &mut ReplayCounters,
        up: &mut bool,
        expected_in: &mut u64,
        now: UtcTimestamp,
        msg: &Message<'_>,
        out: &mut EventOut<'_>,
    ) {
        let Ok(seq) = msg.seq_num() else {
            counters.unreadable += 1;
            return;
        };
        match msg.msg_type() {
            b"A" => {
                if *up {
                    md.handle_event(
                        now,
                        &SessionEvent::Disconnected(DisconnectReason::LocalLogout),
                        out,
                    );
                }
                *up = true;
                counters.logons += 1;
                md.handle_event(
                    now,
                    &SessionEvent::LoggedOn {
                        reset: msg.get(141).is_some_and(|f| f.value() == b"Y"),
                        heartbeat_secs: 0,
                    },
                    out,
                );
                // A Logon numbered above what the last connection left
                // expected is a gap too (not after a reset, and not on the
                // journal's first Logon, before which nothing is known).
                let reset = msg.get(141).is_some_and(|f| f.value() == b"Y");
                if !reset && counters.logons > 1 && seq > *expected_in {
                    counters.gaps += 1;
                    md.handle_event(
                        now,
                        &SessionEvent::GapDetected {
                            expected: *expected_in,
                            received: seq,
                        },
                        out,
                    );
                }
                *expected_in = seq + 1;
                return;
            }
            b"5" => {
                if *up {
                    *up = false;
                    md.handle_event(
                        now,
                        &SessionEvent::Disconnected(DisconnectReason::LocalLogout),
                        out,
                    );
                }
                return;
            }
            b"4" => {
                if let Some(n) = msg.get(36).and_then(|f| f.as_u64().ok()) {
                    *expected_in = n;
                }
                return;
            }
            _ => {}
        }
        if seq < *expected_in {
            counters.duplicates += 1;
            return;
        }
        if seq > *expected_in {
            counters.gaps += 1;
            md.handle_event(
                now,
                &SessionEvent::GapDetected {
                    expected: *expected_in,
                    received: seq,
                },
                out,
            );
        }
        *expected_in = seq + 1;
        if !matches!(msg.msg_type(), b"W" | b"X" | b"Y") {
            return;
        }
        if validator.validate(dict, msg).is_err() {
            counters.invalid += 1;
            return;
        }
        counters.market_data += 1;
        md.handle_message(now, msg, out);
    }
}
