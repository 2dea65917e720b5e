//! Starting, pinning, stopping and joining the runner threads.
//!
//! Owns the threads themselves: spawning them named, pinning each to its
//! core before any agent starts (all or nothing), the shared stop flag, and
//! collecting panics at join. Start-up may allocate; the threads' loops are
//! [`AgentRunner`]'s and do not.

use super::error::{AgentPanic, Phase, RuntimeError};
use super::idle::Idle;
use super::placement::Placement;
use super::runner::AgentRunner;
use super::Agent;
use crate::clock::MonotonicClock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// How to run a set of agents.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Thread name prefix: threads are `{name}-0`, `{name}-1`, ... (Linux
    /// keeps the first 15 bytes of a thread name).
    pub name: String,
    /// Which agents run on which thread and core.
    pub placement: Placement,
    /// The idle strategy of every thread that does not set its own.
    pub idle: Idle,
    /// The clock every duty cycle reads (cloned to each thread).
    pub clock: MonotonicClock,
}

impl RuntimeConfig {
    /// Threads named `engine-{i}`, the default [`Idle`] (back-off) and the
    /// real [`MonotonicClock`] (whose first use calibrates: see
    /// [`MonotonicClock::new`]).
    pub fn new(placement: Placement) -> Self {
        RuntimeConfig {
            name: "engine".to_string(),
            placement,
            idle: Idle::default(),
            clock: MonotonicClock::new(),
        }
    }

    /// Names the threads `{name}-{i}`.
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the default idle strategy (a config [`super::IdleKind`] converts).
    pub fn with_idle(mut self, idle: impl Into<Idle>) -> Self {
        self.idle = idle.into();
        self
    }

    /// Sets the clock (a mock one in tests).
    pub fn with_clock(mut self, clock: MonotonicClock) -> Self {
        self.clock = clock;
        self
    }
}

/// A set of agents and how to run them; [`Runtime::start`] starts the
/// threads.
pub struct Runtime {
    config: RuntimeConfig,
    agents: Vec<Box<dyn Agent>>,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("config", &self.config)
            .field(
                "agents",
                &self.agents.iter().map(|a| a.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Runtime {
    /// A runtime with no agents yet.
    pub fn new(config: RuntimeConfig) -> Self {
        Runtime {
            config,
            agents: Vec::new(),
        }
    }

    /// Adds an agent; returns its index (for [`super::AgentRef::Index`]).
    pub fn add(&mut self, agent: impl Agent + 'static) -> usize {
        self.add_boxed(Box::new(agent))
    }

    /// Adds a boxed agent; returns its index.
    pub fn add_boxed(&mut self, agent: Box<dyn Agent>) -> usize {
        self.agents.push(agent);
        self.agents.len() - 1
    }

    /// Adds an agent, builder style.
    pub fn with(mut self, agent: impl Agent + 'static) -> Self {
        self.add(agent);
        self
    }

    /// Checks the placement, spawns the threads, pins each to its core,
    /// and, only once every thread is pinned, lets them call `on_start` and
    /// begin their duty cycles.
    ///
    /// Errors: the placement's ([`RuntimeError::NoAgents`],
    /// [`RuntimeError::UnknownAgent`], ...), a core the process may not run
    /// on or a pin the OS refuses ([`RuntimeError::Pin`], naming the thread
    /// and the core), a thread the OS refuses ([`RuntimeError::Spawn`]). On
    /// an error no agent has started and every spawned thread has exited.
    pub fn start(self) -> Result<RuntimeHandle, RuntimeError> {
        let Runtime { config, agents } = self;
        let plans = config.placement.plan(&config.name, &config.idle, agents)?;
        // Refuse a core the machine does not have before spawning anything;
        // whether the OS lets a thread onto a core it has is for the pin
        // itself to say (the caller's own affinity is no guide: a pinned
        // control thread may start threads on other cores).
        let machine = machine_cores();
        for plan in &plans {
            if let Some(core) = plan.core {
                let exists = core < CPU_SET_SIZE
                    && machine.as_ref().is_none_or(|cores| cores.contains(&core));
                if !exists {
                    return Err(RuntimeError::Pin {
                        thread: plan.name.clone(),
                        core,
                        available: match &machine {
                            Some(cores) => format!("this machine has cores {}", core_list(cores)),
                            None => format!("core ids go up to {}", CPU_SET_SIZE - 1),
                        },
                    });
                }
            }
        }

        let stop = Arc::new(AtomicBool::new(false));
        let (ready_tx, ready_rx) = crossbeam_channel::bounded::<(usize, bool)>(plans.len());
        let mut workers: Vec<Worker> = Vec::with_capacity(plans.len());
        let mut gos: Vec<crossbeam_channel::Sender<bool>> = Vec::with_capacity(plans.len());
        let mut spawn_error = None;
        for (index, plan) in plans.into_iter().enumerate() {
            let (go_tx, go_rx) = crossbeam_channel::bounded::<bool>(1);
            let name = plan.name.clone();
            let core = plan.core;
            let mut runner = AgentRunner::new(
                plan.name.clone(),
                plan.agents,
                plan.idle,
                config.clock.clone(),
            );
            let stop = Arc::clone(&stop);
            let ready = ready_tx.clone();
            let spawned = std::thread::Builder::new()
                .name(plan.name.clone())
                .spawn(move || {
                    let pinned = core.is_none_or(|id| {
                        core_affinity::set_for_current(core_affinity::CoreId { id })
                    });
                    let _ = ready.send((index, pinned));
                    drop(ready);
                    if go_rx.recv() != Ok(true) {
                        return Vec::new();
                    }
                    runner.run_collecting(&stop)
                });
            match spawned {
                Ok(handle) => {
                    workers.push(Worker { name, core, handle });
                    gos.push(go_tx);
                }
                Err(source) => {
                    spawn_error = Some(RuntimeError::Spawn {
                        thread: name,
                        source,
                    });
                    break;
                }
            }
        }
        drop(ready_tx);

        // Wait until every spawned thread has tried its pin.
        let mut failed_pin: Option<usize> = None;
        for _ in 0..workers.len() {
            match ready_rx.recv() {
                Ok((_, true)) => {}
                Ok((index, false)) => {
                    failed_pin = Some(failed_pin.map_or(index, |f| f.min(index)));
                }
                // A thread died before reporting (cannot happen short of a
                // bug): it has exited, and `RuntimeHandle::join` reports its
                // panic.
                Err(_) => break,
            }
        }
        let error = spawn_error.or_else(|| {
            failed_pin.map(|i| {
                let w = &workers[i];
                refused_pin(&w.name, w.core.unwrap_or_default())
            })
        });
        if let Some(error) = error {
            for go in &gos {
                let _ = go.send(false);
            }
            for w in workers {
                let _ = w.handle.join();
            }
            return Err(error);
        }
        for go in &gos {
            let _ = go.send(true);
        }
        Ok(RuntimeHandle {
            stop,
            workers,
            joined: false,
        })
    }
}

/// Core ids a `cpu_set_t` can hold (`CPU_SETSIZE`); `core_affinity` would
/// index out of its set past this.
const CPU_SET_SIZE: usize = 1024;

/// The machine's online cores, sorted (`/sys/devices/system/cpu/online`);
/// `None` where that cannot be read (then only the pin itself can tell).
fn machine_cores() -> Option<Vec<usize>> {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online").ok()?;
    parse_core_list(text.trim())
}

/// Parses a Linux CPU list (`0-3,6,8-9`) into sorted ids.
fn parse_core_list(text: &str) -> Option<Vec<usize>> {
    let mut cores = Vec::new();
    for part in text.split(',') {
        let (lo, hi): (usize, usize) = match part.split_once('-') {
            Some((lo, hi)) => (lo.parse().ok()?, hi.parse().ok()?),
            None => {
                let id = part.parse().ok()?;
                (id, id)
            }
        };
        if lo > hi || hi >= CPU_SET_SIZE {
            return None;
        }
        cores.extend(lo..=hi);
    }
    cores.sort_unstable();
    cores.dedup();
    Some(cores)
}

/// The error for a pin the OS refused on a core the machine has (a cgroup
/// cpuset, an isolated or offline CPU): names the cores `thread` may run on.
fn refused_pin(thread: &str, core: usize) -> RuntimeError {
    let available = match core_affinity::get_core_ids() {
        Some(ids) if !ids.is_empty() => {
            let mut ids: Vec<usize> = ids.iter().map(|c| c.id).collect();
            ids.sort_unstable();
            format!(
                "the OS refused (this process may run on cores {})",
                core_list(&ids)
            )
        }
        _ => "the OS refused".to_string(),
    };
    RuntimeError::Pin {
        thread: thread.to_string(),
        core,
        available,
    }
}

/// Sorted core ids as Linux writes CPU lists: `0-3,6,8-9`.
fn core_list(ids: &[usize]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < ids.len() {
        let start = ids[i];
        let mut end = start;
        while i + 1 < ids.len() && ids[i + 1] == end + 1 {
            i += 1;
            end = ids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if end == start {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}-{end}"));
        }
        i += 1;
    }
    out
}

struct Worker {
    name: String,
    core: Option<usize>,
    handle: JoinHandle<Vec<AgentPanic>>,
}

/// The running threads of a [`Runtime`].
///
/// Dropping it without [`RuntimeHandle::join`] stops and joins the threads
/// and logs any agent panic at `error` level (`tracing`), so a panic is never
/// silently lost; call `join` to get them as an error instead.
pub struct RuntimeHandle {
    stop: Arc<AtomicBool>,
    workers: Vec<Worker>,
    joined: bool,
}

impl std::fmt::Debug for RuntimeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuntimeHandle")
            .field("threads", &self.threads().collect::<Vec<_>>())
            .field("stopping", &self.stop.load(Ordering::Relaxed))
            .finish()
    }
}

impl RuntimeHandle {
    /// Asks every thread to stop: sets the stop flag and unparks them (so a
    /// backing-off thread does not sleep out its park). Returns at once;
    /// [`RuntimeHandle::join`] waits.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        for w in &self.workers {
            w.handle.thread().unpark();
        }
    }

    /// The shared stop flag, for a signal handler
    /// (`signal_hook::flag::register`). Setting it stops the threads within
    /// one duty cycle plus, for a parked thread, one park.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Stop was asked for (by [`RuntimeHandle::stop`], the flag, or a panic).
    pub fn is_stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Every thread has exited (after a stop, or a panic that stopped all).
    pub fn is_finished(&self) -> bool {
        self.workers.iter().all(|w| w.handle.is_finished())
    }

    /// The threads, as (name, pinned core).
    pub fn threads(&self) -> impl Iterator<Item = (&str, Option<usize>)> + '_ {
        self.workers.iter().map(|w| (w.name.as_str(), w.core))
    }

    /// Waits for every thread to exit (it does not stop them: call
    /// [`RuntimeHandle::stop`] first, or wait for a panic to stop them).
    /// Every agent has had `on_close` called when it returns. Every panic
    /// of the run comes back in [`RuntimeError::Panicked`], in thread
    /// order.
    pub fn join(mut self) -> Result<(), RuntimeError> {
        let panics = self.join_all();
        if panics.is_empty() {
            Ok(())
        } else {
            Err(RuntimeError::Panicked(panics))
        }
    }

    /// Stops and joins.
    pub fn shutdown(self) -> Result<(), RuntimeError> {
        self.stop();
        self.join()
    }

    fn join_all(&mut self) -> Vec<AgentPanic> {
        self.joined = true;
        let mut panics = Vec::new();
        for w in self.workers.drain(..) {
            match w.handle.join() {
                Ok(list) => panics.extend(list),
                Err(payload) => {
                    panics.push(AgentPanic::new(&w.name, None, Phase::Runner, &*payload))
                }
            }
        }
        panics
    }
}

impl Drop for RuntimeHandle {
    fn drop(&mut self) {
        if self.joined {
            return;
        }
        self.stop();
        for p in self.join_all() {
            tracing::error!(target: "fixrail::runtime", "{p}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{core_list, parse_core_list};

    /// CPU lists parse as Linux writes them and format back the same way.
    #[test]
    fn core_lists_round_trip() {
        assert_eq!(parse_core_list("0-1"), Some(vec![0, 1]));
        assert_eq!(
            parse_core_list("0-3,6,8-9"),
            Some(vec![0, 1, 2, 3, 6, 8, 9])
        );
        assert_eq!(parse_core_list("5"), Some(vec![5]));
        assert_eq!(core_list(&[0, 1, 2, 3, 6, 8, 9]), "0-3,6,8-9");
        assert_eq!(core_list(&[0]), "0");
        for bad in ["", "a", "3-1", "0-", "0-5000"] {
            assert_eq!(parse_core_list(bad), None, "{bad:?}");
        }
    }
}
