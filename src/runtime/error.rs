//! Why a runtime could not start, or how it ended badly.

use std::fmt;

/// Why [`super::Runtime::start`] refused, or what [`super::RuntimeHandle::join`]
/// found.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// There are no agents to run.
    #[error("runtime: no agents to run")]
    NoAgents,
    /// A thread of the placement lists no agent.
    #[error("placement: thread {thread:?} has no agents")]
    EmptyThread {
        /// The thread's name.
        thread: String,
    },
    /// The placement names an agent that is not there.
    #[error("placement: thread {thread:?}: no agent {agent} (the agents are: {known})")]
    UnknownAgent {
        /// The thread's name.
        thread: String,
        /// The agent as the placement names it (`"name"` or `#index`).
        agent: String,
        /// Every agent, `#index "name"`, comma-separated.
        known: String,
    },
    /// The placement names an agent by a name that several agents have.
    #[error(
        "placement: thread {thread:?}: {count} agents are named {agent:?}; place them by index"
    )]
    AmbiguousAgent {
        /// The thread's name.
        thread: String,
        /// The shared name.
        agent: String,
        /// How many agents have it.
        count: usize,
    },
    /// The placement puts one agent on two threads (or twice on one).
    #[error(
        "placement: agent #{index} {agent:?} is placed twice (on threads {first:?} and {second:?})"
    )]
    PlacedTwice {
        /// The agent's name.
        agent: &'static str,
        /// Its index in the agent list.
        index: usize,
        /// The thread it was placed on first.
        first: String,
        /// The thread that places it again.
        second: String,
    },
    /// The placement leaves an agent on no thread.
    #[error("placement: agent #{index} {agent:?} is on no thread")]
    NotPlaced {
        /// The agent's name.
        agent: &'static str,
        /// Its index in the agent list.
        index: usize,
    },
    /// A thread could not be pinned to its core.
    #[error("thread {thread:?}: cannot pin to core {core}: {available}")]
    Pin {
        /// The thread's name.
        thread: String,
        /// The core it was to be pinned to.
        core: usize,
        /// Why: `this machine has cores 0-1`, or `the OS refused (this
        /// process may run on cores 0-1)`.
        available: String,
    },
    /// The operating system refused a thread.
    #[error("thread {thread:?}: cannot spawn: {source}")]
    Spawn {
        /// The thread's name.
        thread: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Agents panicked (every panic of the run, in thread order).
    #[error("{}", PanicList(.0))]
    Panicked(Vec<AgentPanic>),
}

/// Where in an agent's life a panic happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// In [`super::Agent::on_start`].
    Start,
    /// In [`super::Agent::do_work`].
    Work,
    /// In [`super::Agent::on_close`].
    Close,
    /// In the runner itself, outside any agent (a bug in the runtime).
    Runner,
}

impl Phase {
    /// The method's name (`on_start`, `do_work`, `on_close`, `runner`).
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Start => "on_start",
            Phase::Work => "do_work",
            Phase::Close => "on_close",
            Phase::Runner => "runner",
        }
    }
}

/// One panic caught on a runner thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentPanic {
    /// The thread's name.
    pub thread: String,
    /// The agent's name; `None` for a panic outside any agent.
    pub agent: Option<&'static str>,
    /// Where it happened.
    pub phase: Phase,
    /// The panic message (`"(non-string panic payload)"` when it has none).
    pub message: String,
}

impl AgentPanic {
    /// Turns a caught panic payload into a report.
    pub(crate) fn new(
        thread: &str,
        agent: Option<&'static str>,
        phase: Phase,
        payload: &(dyn std::any::Any + Send),
    ) -> AgentPanic {
        let message = if let Some(s) = payload.downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = payload.downcast_ref::<String>() {
            s.clone()
        } else {
            "(non-string panic payload)".to_string()
        };
        AgentPanic {
            thread: thread.to_string(),
            agent,
            phase,
            message,
        }
    }
}

impl fmt::Display for AgentPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "thread {:?}: ", self.thread)?;
        if let Some(agent) = self.agent {
            write!(f, "agent {agent:?} ")?;
        }
        write!(f, "panicked in {}: {}", self.phase.as_str(), self.message)
    }
}

struct PanicList<'a>(&'a [AgentPanic]);

impl fmt::Display for PanicList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}
