//! Sequence numbers as the session layer sees them.
//!
//! [`SeqStore`] abstracts the two counters of a FIX session so that session
//! logic can be tested with [`MemorySeqStore`] and run on [`JournalSeqStore`],
//! where every change that is not implied by a journaled message (a reset, a
//! manual set, a message processed after a gap was filled) is itself a
//! journal record, so the history stays auditable and recovery replays it.

use super::record::{flags, Kind};
use super::writer::{Entry, Journal};
use super::JournalError;
use crate::codec::UtcTimestamp;

/// The sequence numbers of one session.
pub trait SeqStore {
    /// Takes the next outbound MsgSeqNum (and advances the counter).
    fn next_out(&mut self) -> u64;
    /// The next outbound MsgSeqNum, without taking it.
    fn peek_out(&self) -> u64;
    /// The counterparty's message `seq` was processed in order: the next
    /// expected inbound number is `seq + 1`.
    fn observed_in(&mut self, seq: u64, now: UtcTimestamp) -> Result<(), JournalError>;
    /// The next expected inbound MsgSeqNum.
    fn current_in(&self) -> u64;
    /// Both counters back to 1 (ResetSeqNumFlag, admin reset, schedule roll).
    fn reset(&mut self, now: UtcTimestamp, reason: &str) -> Result<(), JournalError>;
    /// Guarded manual recovery: the next outbound number becomes `seq`.
    fn set_next_out(
        &mut self,
        seq: u64,
        now: UtcTimestamp,
        reason: &str,
    ) -> Result<(), JournalError>;
    /// Guarded manual recovery: the next expected inbound number becomes `seq`.
    fn set_next_in(
        &mut self,
        seq: u64,
        now: UtcTimestamp,
        reason: &str,
    ) -> Result<(), JournalError>;
}

/// Counters in memory only, for tests and simulations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemorySeqStore {
    out: u64,
    expected_in: u64,
}

impl Default for MemorySeqStore {
    fn default() -> Self {
        MemorySeqStore {
            out: 1,
            expected_in: 1,
        }
    }
}

impl SeqStore for MemorySeqStore {
    fn next_out(&mut self) -> u64 {
        self.out += 1;
        self.out - 1
    }
    fn peek_out(&self) -> u64 {
        self.out
    }
    fn observed_in(&mut self, seq: u64, _: UtcTimestamp) -> Result<(), JournalError> {
        self.expected_in = seq + 1;
        Ok(())
    }
    fn current_in(&self) -> u64 {
        self.expected_in
    }
    fn reset(&mut self, _: UtcTimestamp, _: &str) -> Result<(), JournalError> {
        *self = MemorySeqStore::default();
        Ok(())
    }
    fn set_next_out(&mut self, seq: u64, _: UtcTimestamp, _: &str) -> Result<(), JournalError> {
        self.out = seq;
        Ok(())
    }
    fn set_next_in(&mut self, seq: u64, _: UtcTimestamp, _: &str) -> Result<(), JournalError> {
        self.expected_in = seq;
        Ok(())
    }
}

/// The journal-backed store of one session.
///
/// The outbound counter advances in memory when a number is taken; the
/// journal's Outbound record for that message confirms it (recovery takes the
/// highest journaled outbound number + 1, so a number taken but never sent
/// is simply reused). The inbound counter advances when an Inbound record is
/// appended with [`flags::ADVANCES_IN`]; `observed_in` writes a record only
/// when the counter was not already advanced that way (a message drained from
/// the gap queue).
#[derive(Debug)]
pub struct JournalSeqStore<'j> {
    journal: &'j mut Journal,
    session: u32,
    out: u64,
}

impl<'j> JournalSeqStore<'j> {
    /// The store of `session` in `journal`.
    pub fn new(
        journal: &'j mut Journal,
        session: u32,
    ) -> Result<JournalSeqStore<'j>, JournalError> {
        let out = journal
            .session(session)
            .ok_or(JournalError::UnknownSession {
                session,
                sessions_max: journal.config().sessions_max,
            })?
            .next_out;
        Ok(JournalSeqStore {
            journal,
            session,
            out,
        })
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

    fn state(&self) -> &super::SessionSeqs {
        self.journal.session(self.session).expect("checked in new")
    }
}

impl SeqStore for JournalSeqStore<'_> {
    fn next_out(&mut self) -> u64 {
        self.out = self.out.max(self.state().next_out);
        self.out += 1;
        self.out - 1
    }
    fn peek_out(&self) -> u64 {
        self.out.max(self.state().next_out)
    }
    fn observed_in(&mut self, seq: u64, now: UtcTimestamp) -> Result<(), JournalError> {
        if self.state().next_in == seq + 1 {
            return Ok(());
        }
        self.control(flags::SET_NEXT_IN, seq + 1, now, "processed after gap fill")
    }
    fn current_in(&self) -> u64 {
        self.state().next_in
    }
    fn reset(&mut self, now: UtcTimestamp, reason: &str) -> Result<(), JournalError> {
        self.control(flags::RESET, 1, now, reason)?;
        self.out = 1;
        Ok(())
    }
    fn set_next_out(
        &mut self,
        seq: u64,
        now: UtcTimestamp,
        reason: &str,
    ) -> Result<(), JournalError> {
        self.control(flags::SET_NEXT_OUT, seq, now, reason)?;
        self.out = seq;
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
}
