//! Where a session keeps its sequence numbers and its sent messages.
//!
//! [`SessionStore`] is the session's whole view of persistence: the two
//! counters, the record of every message in and out, sequence changes with a
//! reason, and the outbound history a ResendRequest is answered from.
//! [`JournalStore`] is the production store (a view of one session in the
//! [`Journal`]); [`MemoryStore`] is for deterministic tests and simulations.
//! Resent copies are not recorded: the journal already holds the originals.

use crate::codec::UtcTimestamp;
use crate::journal::record::{flags, Kind};
use crate::journal::{Entry, Journal, JournalError};

/// The persistence a session needs.
pub trait SessionStore {
    /// The next MsgSeqNum to send.
    fn next_out(&self) -> u64;
    /// The next MsgSeqNum expected from the counterparty.
    fn next_in(&self) -> u64;
    /// Records a sent message; an original (not PossDup) makes the next
    /// outbound number `seq + 1`.
    fn record_out(
        &mut self,
        seq: u64,
        msg_type: &[u8],
        now: UtcTimestamp,
        bytes: &[u8],
    ) -> Result<(), JournalError>;
    /// Records a received message; with `advances`, the next expected inbound
    /// number becomes `seq + 1` (the message was processed in order).
    fn record_in(
        &mut self,
        seq: u64,
        msg_type: &[u8],
        now: UtcTimestamp,
        bytes: &[u8],
        advances: bool,
    ) -> Result<(), JournalError>;
    /// The next expected inbound number becomes `seq` (gap fill, sequence
    /// reset, a held message processed).
    fn set_next_in(
        &mut self,
        seq: u64,
        now: UtcTimestamp,
        reason: &str,
    ) -> Result<(), JournalError>;
    /// The next outbound number becomes `seq` (lost-store recovery, admin).
    fn set_next_out(
        &mut self,
        seq: u64,
        now: UtcTimestamp,
        reason: &str,
    ) -> Result<(), JournalError>;
    /// Both counters back to 1; the outbound history before this point is no
    /// longer resendable.
    fn reset(&mut self, now: UtcTimestamp, reason: &str) -> Result<(), JournalError>;
    /// Calls `f(seq, message)` for each stored original outbound message with
    /// `from <= seq <= to`, in order. Numbers with nothing stored are skipped.
    fn outbound_range(
        &mut self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), JournalError>;
}

/// A store in memory: counters plus every original outbound message.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    next_out: u64,
    next_in: u64,
    sent: Vec<(u64, Vec<u8>)>,
    /// Every received message, in arrival order (for tests to inspect).
    pub received: Vec<(u64, Vec<u8>)>,
    /// The reasons given for sequence changes, in order (for tests).
    pub changes: Vec<String>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            next_out: 1,
            next_in: 1,
            sent: Vec::new(),
            received: Vec::new(),
            changes: Vec::new(),
        }
    }
}

impl MemoryStore {
    /// A store whose counters start at the given values (a counterparty
    /// that already exchanged messages).
    pub fn with_seqs(next_out: u64, next_in: u64) -> MemoryStore {
        MemoryStore {
            next_out,
            next_in,
            ..MemoryStore::default()
        }
    }

    /// The stored originals, in send order.
    pub fn sent(&self) -> &[(u64, Vec<u8>)] {
        &self.sent
    }
}

impl SessionStore for MemoryStore {
    fn next_out(&self) -> u64 {
        self.next_out
    }
    fn next_in(&self) -> u64 {
        self.next_in
    }
    fn record_out(
        &mut self,
        seq: u64,
        _: &[u8],
        _: UtcTimestamp,
        bytes: &[u8],
    ) -> Result<(), JournalError> {
        self.sent.retain(|(s, _)| *s != seq);
        self.sent.push((seq, bytes.to_vec()));
        self.next_out = seq + 1;
        Ok(())
    }
    fn record_in(
        &mut self,
        seq: u64,
        _: &[u8],
        _: UtcTimestamp,
        bytes: &[u8],
        advances: bool,
    ) -> Result<(), JournalError> {
        self.received.push((seq, bytes.to_vec()));
        if advances {
            self.next_in = seq + 1;
        }
        Ok(())
    }
    fn set_next_in(&mut self, seq: u64, _: UtcTimestamp, reason: &str) -> Result<(), JournalError> {
        self.changes.push(format!("next_in={seq}: {reason}"));
        self.next_in = seq;
        Ok(())
    }
    fn set_next_out(
        &mut self,
        seq: u64,
        _: UtcTimestamp,
        reason: &str,
    ) -> Result<(), JournalError> {
        self.changes.push(format!("next_out={seq}: {reason}"));
        self.next_out = seq;
        Ok(())
    }
    fn reset(&mut self, _: UtcTimestamp, reason: &str) -> Result<(), JournalError> {
        self.changes.push(format!("reset: {reason}"));
        self.next_out = 1;
        self.next_in = 1;
        self.sent.clear();
        Ok(())
    }
    fn outbound_range(
        &mut self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), JournalError> {
        let mut v: Vec<&(u64, Vec<u8>)> = self
            .sent
            .iter()
            .filter(|(s, _)| (from..=to).contains(s))
            .collect();
        v.sort_by_key(|(s, _)| *s);
        for (s, b) in v {
            f(*s, b);
        }
        Ok(())
    }
}

/// One session's view of the journal.
#[derive(Debug)]
pub struct JournalStore<'j> {
    journal: &'j mut Journal,
    session: u32,
}

impl<'j> JournalStore<'j> {
    /// The store of session id `session` (below the journal's `sessions_max`).
    pub fn new(journal: &'j mut Journal, session: u32) -> Result<JournalStore<'j>, JournalError> {
        if journal.session(session).is_none() {
            return Err(JournalError::UnknownSession {
                session,
                sessions_max: journal.config().sessions_max,
            });
        }
        Ok(JournalStore { journal, session })
    }

    fn seqs(&self) -> &crate::journal::SessionSeqs {
        self.journal
            .session(self.session)
            .expect("checked in JournalStore::new")
    }

    fn control(
        &mut self,
        flags: u16,
        seq: u64,
        now: UtcTimestamp,
        reason: &str,
    ) -> Result<(), JournalError> {
        self.journal.append(&Entry {
            kind: Kind::SeqChange,
            session: self.session,
            seq_num: seq,
            msg_type: b"",
            flags,
            timestamp: now,
            payload: reason.as_bytes(),
        })?;
        Ok(())
    }
}

impl SessionStore for JournalStore<'_> {
    fn next_out(&self) -> u64 {
        self.seqs().next_out
    }
    fn next_in(&self) -> u64 {
        self.seqs().next_in
    }
    fn record_out(
        &mut self,
        seq: u64,
        msg_type: &[u8],
        now: UtcTimestamp,
        bytes: &[u8],
    ) -> Result<(), JournalError> {
        self.journal.append(&Entry {
            kind: Kind::Outbound,
            session: self.session,
            seq_num: seq,
            msg_type,
            flags: 0,
            timestamp: now,
            payload: bytes,
        })?;
        Ok(())
    }
    fn record_in(
        &mut self,
        seq: u64,
        msg_type: &[u8],
        now: UtcTimestamp,
        bytes: &[u8],
        advances: bool,
    ) -> Result<(), JournalError> {
        self.journal.append(&Entry {
            kind: Kind::Inbound,
            session: self.session,
            seq_num: seq,
            msg_type,
            flags: if advances { flags::ADVANCES_IN } else { 0 },
            timestamp: now,
            payload: bytes,
        })?;
        Ok(())
    }
    fn set_next_in(
        &mut self,
        seq: u64,
        now: UtcTimestamp,
        reason: &str,
    ) -> Result<(), JournalError> {
        self.control(flags::SET_NEXT_IN, seq, now, reason)
    }
    fn set_next_out(
        &mut self,
        seq: u64,
        now: UtcTimestamp,
        reason: &str,
    ) -> Result<(), JournalError> {
        self.control(flags::SET_NEXT_OUT, seq, now, reason)
    }
    fn reset(&mut self, now: UtcTimestamp, reason: &str) -> Result<(), JournalError> {
        self.control(flags::RESET, 1, now, reason)
    }
    fn outbound_range(
        &mut self,
        from: u64,
        to: u64,
        f: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), JournalError> {
        self.journal
            .outbound_range(self.session, from, to, |r| f(r.header.seq_num, r.payload))
    }
}
