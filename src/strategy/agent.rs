//! A strategy as a runtime [`Agent`], on its own (pinned) thread.

use super::handle::{drive, Strategy, StrategyHandle};
use crate::clock::MonoTime;
use crate::runtime::Agent;

/// Runs a [`Strategy`] against its ring pair.
#[derive(Debug)]
pub struct StrategyAgent<S: Strategy> {
    strategy: S,
    handle: StrategyHandle,
    name: &'static str,
}

impl<S: Strategy> StrategyAgent<S> {
    /// A strategy with the handle of its ring pair.
    pub fn new(name: &'static str, strategy: S, handle: StrategyHandle) -> StrategyAgent<S> {
        StrategyAgent {
            strategy,
            handle,
            name,
        }
    }

    /// The strategy (after the runtime stopped, for its results).
    pub fn strategy(&self) -> &S {
        &self.strategy
    }
}

impl<S: Strategy + std::fmt::Debug> Agent for StrategyAgent<S> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn on_start(&mut self) {
        self.strategy.on_start(&mut self.handle);
    }

    fn do_work(&mut self, now: MonoTime) -> usize {
        drive(&mut self.strategy, &mut self.handle, now.as_nanos())
    }
}
