//! The engine as a runtime [`Agent`]: its duty cycle on a pinned thread, its
//! graceful stop in `on_close`.

use super::Engine;
use crate::clock::{Clock, MonoTime};
use crate::runtime::Agent;

/// Runs an [`Engine`] as an agent. `on_close` logs every session out and
/// waits for the answers (bounded by the logout timeouts), then syncs the
/// journal.
#[derive(Debug)]
pub struct EngineAgent<C: Clock + Send> {
    engine: Engine<C>,
    errors: u64,
}

impl<C: Clock + Send> EngineAgent<C> {
    /// Wraps an engine.
    pub fn new(engine: Engine<C>) -> EngineAgent<C> {
        EngineAgent { engine, errors: 0 }
    }

    /// The engine.
    pub fn engine(&self) -> &Engine<C> {
        &self.engine
    }

    /// Poll errors seen (logged, never fatal to the duty cycle).
    pub fn errors(&self) -> u64 {
        self.errors
    }
}

impl<C: Clock + Send> Agent for EngineAgent<C> {
    fn name(&self) -> &'static str {
        "engine"
    }

    fn do_work(&mut self, _now: MonoTime) -> usize {
        match self.engine.do_work() {
            Ok(n) => n,
            Err(e) => {
                self.errors += 1;
                tracing::error!(error = %e, "engine duty cycle failed");
                0
            }
        }
    }

    fn on_close(&mut self) {
        self.engine.begin_stop();
        while !self.engine.is_stopped() {
            if self.engine.do_work().unwrap_or(0) == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        tracing::info!("engine stopped: sessions logged out, journal synced");
    }
}
