//! One thread's duty cycle: read the clock, call every agent, idle.
//!
//! Owns the loop of a runner thread and the catching of its agents' panics.
//! It spawns and pins nothing ([`super::Runtime`] does); a test or a user's
//! own thread can drive an [`AgentRunner`] directly, one
//! [`AgentRunner::duty_cycle`] at a time or with [`AgentRunner::run`].

use super::error::{AgentPanic, Phase, RuntimeError};
use super::idle::{Idle, IdleStrategy};
use super::Agent;
use crate::clock::MonotonicClock;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs a list of agents on the calling thread as one composite agent:
/// each duty cycle reads the clock once, calls every agent's
/// [`Agent::do_work`] in order with that reading, and hands the summed work
/// to the idle strategy.
///
/// The duty cycle allocates nothing, takes no lock and makes no system call
/// of its own (the idle strategy may yield or park; the agents answer for
/// themselves). Proved by `tests/runtime.rs`.
pub struct AgentRunner {
    thread: String,
    agents: Vec<Box<dyn Agent>>,
    idle: Idle,
    clock: MonotonicClock,
    /// Index of the agent being called, to name it if it panics.
    current: usize,
}

impl std::fmt::Debug for AgentRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentRunner")
            .field("thread", &self.thread)
            .field("agents", &self.agent_names().collect::<Vec<_>>())
            .field("idle", &self.idle)
            .finish()
    }
}

impl AgentRunner {
    /// A runner for `agents` (called in this order), named `thread` in
    /// panic reports, idling with `idle`, reading `clock`.
    pub fn new(
        thread: impl Into<String>,
        agents: Vec<Box<dyn Agent>>,
        idle: Idle,
        clock: MonotonicClock,
    ) -> Self {
        AgentRunner {
            thread: thread.into(),
            agents,
            idle,
            clock,
            current: 0,
        }
    }

    /// The name used in panic reports (the thread's name under
    /// [`super::Runtime`]).
    pub fn thread_name(&self) -> &str {
        &self.thread
    }

    /// The agents' names, in calling order.
    pub fn agent_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.agents.iter().map(|a| a.name())
    }

    /// One duty cycle: one clock reading, every agent's `do_work` in order,
    /// then the idle strategy with the summed work. Returns the work done.
    #[inline]
    pub fn duty_cycle(&mut self) -> usize {
        let now = self.clock.now();
        let mut work = 0usize;
        for (i, agent) in self.agents.iter_mut().enumerate() {
            self.current = i;
            work = work.saturating_add(agent.do_work(now));
        }
        // Past every agent: a panic from here on is the runner's own.
        self.current = usize::MAX;
        self.idle.idle(work);
        work
    }

    /// Runs the agents' whole life on this thread: `on_start` of each in
    /// order, duty cycles until `stop` is set, then `on_close` of each.
    ///
    /// A panic in an agent is caught and ends the loop; `stop` is then set
    /// (so the other threads of a runtime stop too: a broken stage means a
    /// broken pipeline), and `on_close` still runs on every agent whose
    /// `on_start` was called, each in its own catch. Every panic comes back
    /// in [`RuntimeError::Panicked`]. (In a `panic = "abort"` build there is
    /// nothing to catch: the process stops, as the panic policy wants.)
    pub fn run(&mut self, stop: &AtomicBool) -> Result<(), RuntimeError> {
        let panics = self.run_collecting(stop);
        if panics.is_empty() {
            Ok(())
        } else {
            Err(RuntimeError::Panicked(panics))
        }
    }

    /// [`AgentRunner::run`], returning the panics as a list.
    pub(crate) fn run_collecting(&mut self, stop: &AtomicBool) -> Vec<AgentPanic> {
        let mut panics = Vec::new();
        // Agents 0..started had on_start called (the last one perhaps
        // panicking in it).
        let mut started = 0;
        for i in 0..self.agents.len() {
            started = i + 1;
            let agent = &mut self.agents[i];
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| agent.on_start())) {
                panics.push(self.report(Some(i), Phase::Start, &*payload));
                break;
            }
        }
        if panics.is_empty() {
            let looped = catch_unwind(AssertUnwindSafe(|| {
                while !stop.load(Ordering::Acquire) {
                    self.duty_cycle();
                }
            }));
            if let Err(payload) = looped {
                panics.push(self.report(Some(self.current), Phase::Work, &*payload));
            }
        }
        if !panics.is_empty() {
            stop.store(true, Ordering::Release);
        }
        for i in 0..started {
            let agent = &mut self.agents[i];
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| agent.on_close())) {
                panics.push(self.report(Some(i), Phase::Close, &*payload));
            }
        }
        panics
    }

    fn report(
        &self,
        agent: Option<usize>,
        phase: Phase,
        payload: &(dyn std::any::Any + Send),
    ) -> AgentPanic {
        let name = agent.and_then(|i| self.agents.get(i)).map(|a| a.name());
        let phase = if name.is_none() { Phase::Runner } else { phase };
        AgentPanic::new(&self.thread, name, phase, payload)
    }
}
