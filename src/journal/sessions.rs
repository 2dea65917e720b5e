//! Per-session sequence state rebuilt from the journal, and the resend index.
//!
//! Rules, applied to each record in journal order (at recovery and on append):
//! - an Outbound record without PossDup: next outbound = its seq + 1, and the
//!   resend index points at it;
//! - an Inbound record flagged [`flags::ADVANCES_IN`] (the session processed it
//!   in order): next inbound = its seq + 1;
//! - a SeqChange record: `SET_NEXT_OUT` / `SET_NEXT_IN` set that counter to its
//!   seq; `RESET` sets both and forgets the resend history.
//!
//! The resend index is a ring of `resend_index_entries` positions per session
//! (slot = seq mod capacity). A slot can be overwritten by a newer seq, so a
//! lookup is confirmed against the record header it points to; a miss falls
//! back to scanning the journal.

use super::record::{flags, Kind, RecordHeader};
use super::Position;

/// Sequence state of one session.
#[derive(Debug, Clone)]
pub struct SessionSeqs {
    /// The next MsgSeqNum to send.
    pub next_out: u64,
    /// The next MsgSeqNum expected from the counterparty.
    pub next_in: u64,
    /// Where the last sequence reset was written (None: never reset).
    pub last_reset: Option<Position>,
    index: Box<[u64]>,
}

/// A position value that means "empty slot" (no record starts at offset 0).
/// Entries written before the last reset are treated as empty too.
const EMPTY: u64 = 0;

impl SessionSeqs {
    /// Fresh state: both counters at 1.
    pub fn new(resend_index_entries: usize) -> SessionSeqs {
        SessionSeqs {
            next_out: 1,
            next_in: 1,
            last_reset: None,
            index: vec![EMPTY; resend_index_entries.max(1).next_power_of_two()].into_boxed_slice(),
        }
    }

    #[inline]
    fn slot(&self, seq: u64) -> usize {
        (seq as usize) & (self.index.len() - 1)
    }

    /// Applies one record (see the module doc).
    #[inline]
    pub fn apply(&mut self, header: &RecordHeader, kind: Kind, position: Position) {
        match kind {
            Kind::Outbound if header.flags & flags::POSS_DUP == 0 => {
                self.next_out = header.seq_num + 1;
                let slot = self.slot(header.seq_num);
                self.index[slot] = position.0;
            }
            Kind::Inbound if header.flags & flags::ADVANCES_IN != 0 => {
                self.next_in = header.seq_num + 1;
            }
            Kind::SeqChange => {
                if header.flags & flags::RESET != 0 {
                    self.next_out = header.seq_num;
                    self.next_in = header.seq_num;
                    // The ring is not cleared (a memset on the hot path):
                    // entries at or before the reset are ignored instead.
                    self.last_reset = Some(position);
                }
                if header.flags & flags::SET_NEXT_OUT != 0 {
                    self.next_out = header.seq_num;
                }
                if header.flags & flags::SET_NEXT_IN != 0 {
                    self.next_in = header.seq_num;
                }
            }
            _ => {}
        }
    }

    /// Where outbound `seq` may be (confirm against the record's header).
    #[inline]
    pub fn indexed_out(&self, seq: u64) -> Option<Position> {
        match self.index[self.slot(seq)] {
            EMPTY => None,
            p if self.last_reset.is_some_and(|r| Position(p) <= r) => None,
            p => Some(Position(p)),
        }
    }
}
