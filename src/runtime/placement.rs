//! Placement: which agents run on which thread, pinned to which core.
//!
//! Owns the description ([`Placement`]) and its check against the agents
//! given to [`super::Runtime::start`]: every agent on exactly one thread,
//! every name unambiguous, no empty thread. It spawns nothing and pins
//! nothing.

use super::error::RuntimeError;
use super::idle::Idle;
use super::Agent;
use std::fmt;

/// An agent as a placement names it: by [`Agent::name`] (which must then be
/// unique among the agents) or by its index in the list given to
/// [`super::Runtime::start`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentRef {
    /// The agent whose [`Agent::name`] this is.
    Name(String),
    /// The agent at this index.
    Index(usize),
}

impl From<&str> for AgentRef {
    fn from(name: &str) -> Self {
        AgentRef::Name(name.to_string())
    }
}

impl From<String> for AgentRef {
    fn from(name: String) -> Self {
        AgentRef::Name(name)
    }
}

impl From<usize> for AgentRef {
    fn from(index: usize) -> Self {
        AgentRef::Index(index)
    }
}

impl fmt::Display for AgentRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentRef::Name(n) => write!(f, "{n:?}"),
            AgentRef::Index(i) => write!(f, "#{i}"),
        }
    }
}

/// One thread of a [`Placement::Threads`]: its agents, called in this order
/// each duty cycle, and the core it is pinned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadPlacement {
    /// The agents, in calling order.
    pub agents: Vec<AgentRef>,
    /// The core to pin the thread to; `None`: not pinned.
    pub core: Option<usize>,
    /// This thread's idle strategy; `None`: the runtime's.
    pub idle: Option<Idle>,
}

impl ThreadPlacement {
    /// A thread running `agents` in this order, not pinned, with the
    /// runtime's idle strategy.
    pub fn new<A: Into<AgentRef>>(agents: impl IntoIterator<Item = A>) -> Self {
        ThreadPlacement {
            agents: agents.into_iter().map(Into::into).collect(),
            core: None,
            idle: None,
        }
    }

    /// Pins the thread to `core`.
    pub fn on_core(mut self, core: usize) -> Self {
        self.core = Some(core);
        self
    }

    /// Gives the thread its own idle strategy.
    pub fn with_idle(mut self, idle: impl Into<Idle>) -> Self {
        self.idle = Some(idle.into());
        self
    }
}

/// Where the agents run. The agent code is the same either way; only the
/// threads around it differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Every agent on one thread, called in the order given each duty cycle
    /// (run-to-completion: an item pushed into a ring by one agent is seen
    /// by the next in the same cycle). The fastest layout on a small box.
    OneThread {
        /// The core to pin the thread to; `None`: not pinned.
        core: Option<usize>,
    },
    /// Agents spread over threads, one [`ThreadPlacement`] each, every agent
    /// on exactly one thread.
    Threads(Vec<ThreadPlacement>),
}

/// One thread ready to spawn: its name, core, idle strategy and agents.
pub(crate) struct ThreadPlan {
    pub name: String,
    pub core: Option<usize>,
    pub idle: Idle,
    pub agents: Vec<Box<dyn Agent>>,
}

impl Placement {
    /// Checks the placement against `agents` and deals them out to threads
    /// named `{prefix}-{i}`.
    pub(crate) fn plan(
        &self,
        prefix: &str,
        idle: &Idle,
        agents: Vec<Box<dyn Agent>>,
    ) -> Result<Vec<ThreadPlan>, RuntimeError> {
        if agents.is_empty() {
            return Err(RuntimeError::NoAgents);
        }
        let thread_name = |i: usize| format!("{prefix}-{i}");
        let threads = match self {
            Placement::OneThread { core } => {
                return Ok(vec![ThreadPlan {
                    name: thread_name(0),
                    core: *core,
                    idle: idle.clone(),
                    agents,
                }]);
            }
            Placement::Threads(threads) => threads,
        };
        let names: Vec<&'static str> = agents.iter().map(|a| a.name()).collect();
        // For each thread, the indices of its agents in calling order.
        let mut chosen: Vec<Vec<usize>> = Vec::with_capacity(threads.len());
        let mut placed_on: Vec<Option<usize>> = vec![None; agents.len()];
        for (t, thread) in threads.iter().enumerate() {
            if thread.agents.is_empty() {
                return Err(RuntimeError::EmptyThread {
                    thread: thread_name(t),
                });
            }
            let mut indices = Vec::with_capacity(thread.agents.len());
            for r in &thread.agents {
                let index = resolve(r, &names, || thread_name(t))?;
                if let Some(first) = placed_on[index] {
                    return Err(RuntimeError::PlacedTwice {
                        agent: names[index],
                        index,
                        first: thread_name(first),
                        second: thread_name(t),
                    });
                }
                placed_on[index] = Some(t);
                indices.push(index);
            }
            chosen.push(indices);
        }
        if let Some(index) = placed_on.iter().position(Option::is_none) {
            return Err(RuntimeError::NotPlaced {
                agent: names[index],
                index,
            });
        }
        let mut slots: Vec<Option<Box<dyn Agent>>> = agents.into_iter().map(Some).collect();
        Ok(threads
            .iter()
            .zip(chosen)
            .enumerate()
            .map(|(t, (thread, indices))| ThreadPlan {
                name: thread_name(t),
                core: thread.core,
                idle: thread.idle.clone().unwrap_or_else(|| idle.clone()),
                agents: indices
                    .into_iter()
                    .filter_map(|i| slots[i].take())
                    .collect(),
            })
            .collect())
    }
}

/// The index `r` names among agents called `names`.
fn resolve(
    r: &AgentRef,
    names: &[&'static str],
    thread: impl Fn() -> String,
) -> Result<usize, RuntimeError> {
    let unknown = || RuntimeError::UnknownAgent {
        thread: thread(),
        agent: r.to_string(),
        known: names
            .iter()
            .enumerate()
            .map(|(i, n)| format!("#{i} {n:?}"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    match r {
        AgentRef::Index(i) if *i < names.len() => Ok(*i),
        AgentRef::Index(_) => Err(unknown()),
        AgentRef::Name(name) => {
            let mut matching = names.iter().enumerate().filter(|(_, n)| **n == name);
            match (matching.next(), matching.count()) {
                (None, _) => Err(unknown()),
                (Some((i, _)), 0) => Ok(i),
                (Some(_), more) => Err(RuntimeError::AmbiguousAgent {
                    thread: thread(),
                    agent: name.clone(),
                    count: more + 1,
                }),
            }
        }
    }
}
