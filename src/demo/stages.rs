//! Pairs the stage stamps (strategy, engine) in order into histograms, on
//! the control thread.

use crate::harness::stages::{StageKind, Stamp};
use hdrhistogram::Histogram;

/// Pairs the stamps, in order, on the control thread.
pub(super) struct Stages {
    warmup: u64,
    sends: std::collections::VecDeque<u64>,
    writes: std::collections::VecDeque<u64>,
    reads: std::collections::VecDeque<u64>,
    acks: std::collections::VecDeque<u64>,
    out_pairs: u64,
    in_pairs: u64,
    pub(super) ring_to_write: Histogram<u64>,
    pub(super) read_to_ring: Histogram<u64>,
    /// Read stamps of ticks, waiting for their TopOfBook's pop (`None`:
    /// a TopOfBook no read made, not timed).
    tick_reads: std::collections::VecDeque<Option<u64>>,
    /// The read stamp of the last tick, waiting for its push stamp.
    tick_read: Option<u64>,
    tick_seen: std::collections::VecDeque<u64>,
    tick_pairs: u64,
    pub(super) tick_to_event: Histogram<u64>,
    pub(super) tick_to_strategy: Histogram<u64>,
}

impl Stages {
    pub(super) fn new(warmup: u64) -> Result<Stages, String> {
        let h = || Histogram::new_with_bounds(1, 10_000_000_000, 3).map_err(|e| e.to_string());
        Ok(Stages {
            warmup,
            sends: Default::default(),
            writes: Default::default(),
            reads: Default::default(),
            acks: Default::default(),
            out_pairs: 0,
            in_pairs: 0,
            ring_to_write: h()?,
            read_to_ring: h()?,
            tick_reads: Default::default(),
            tick_read: None,
            tick_seen: Default::default(),
            tick_pairs: 0,
            tick_to_event: h()?,
            tick_to_strategy: h()?,
        })
    }

    pub(super) fn drain(
        &mut self,
        engine: &mut rtrb::Consumer<Stamp>,
        strategy: &mut rtrb::Consumer<Stamp>,
    ) {
        for ring in [engine, strategy] {
            while let Ok(s) = ring.pop() {
                match s.kind {
                    StageKind::Send => self.sends.push_back(s.at),
                    StageKind::Write => self.writes.push_back(s.at),
                    StageKind::Read => self.reads.push_back(s.at),
                    StageKind::Ack => self.acks.push_back(s.at),
                    StageKind::TickRead => {
                        self.tick_reads.push_back(Some(s.at));
                        self.tick_read = Some(s.at);
                    }
                    StageKind::TickUnread => self.tick_reads.push_back(None),
                    // The engine pushes a TickRead and its TickPushed
                    // together, in that order.
                    StageKind::TickPushed => {
                        if let Some(r) = self.tick_read.take() {
                            if self.tick_pairs >= self.warmup {
                                let _ = self.tick_to_event.record(s.at.saturating_sub(r).max(1));
                            }
                        }
                    }
                    StageKind::TickSeen => self.tick_seen.push_back(s.at),
                }
            }
        }
        while let (Some(&s), Some(&w)) = (self.sends.front(), self.writes.front()) {
            self.sends.pop_front();
            self.writes.pop_front();
            self.out_pairs += 1;
            if self.out_pairs > self.warmup {
                let _ = self.ring_to_write.record(w.saturating_sub(s).max(1));
            }
        }
        while let (Some(&r), Some(&a)) = (self.reads.front(), self.acks.front()) {
            self.reads.pop_front();
            self.acks.pop_front();
            self.in_pairs += 1;
            if self.in_pairs > self.warmup {
                let _ = self.read_to_ring.record(a.saturating_sub(r).max(1));
            }
        }
        // One entry per TopOfBook the engine pushed (a read's, or an
        // untimed coalesced one), in push order: pair them with the pops.
        while let (Some(&r), Some(&t)) = (self.tick_reads.front(), self.tick_seen.front()) {
            self.tick_reads.pop_front();
            self.tick_seen.pop_front();
            self.tick_pairs += 1;
            if let (Some(r), true) = (r, self.tick_pairs > self.warmup) {
                let _ = self.tick_to_strategy.record(t.saturating_sub(r).max(1));
            }
        }
    }
}
