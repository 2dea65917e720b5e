//! The thread-per-core runtime: placement, pinning, shutdown, panics, idle
//! strategies, control channels, and the zero-allocation duty cycle.
//!
//! Its own test binary because it installs a counting global allocator
//! (per thread, as in `tests/no_alloc.rs`): an agent reads its own thread's
//! count at two points of its duty cycles, so everything the thread did in
//! between (the runner loop, the idle strategy, the other agents of the
//! thread) is measured. This machine has 2 cores shared with others: every
//! runtime here idles with `Backoff`, never busy-spins.

mod common;

use common::alloc::allocations;
use fixrail::runtime::{
    control_channel, Agent, AgentPanic, AgentRunner, Backoff, BackoffPhase, BusySpin, Control,
    ControlClosed, ControlSendError, Idle, IdleKind, IdleStrategy, MonoTime, MonotonicClock, Phase,
    Placement, Runtime, RuntimeConfig, RuntimeError, SpinHint, ThreadPlacement, Yield,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---------------------------------------------------------------------------
// The counting allocator
// ---------------------------------------------------------------------------

/// Counts this thread's allocations (see `tests/common/alloc.rs`).
#[global_allocator]
static GLOBAL: common::alloc::CountingAllocator = common::alloc::CountingAllocator;

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// Polls `cond` every millisecond until it holds; fails after `secs`.
fn wait_for(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let clock = MonotonicClock::new();
    let deadline = clock.now().after(Duration::from_secs(secs));
    while !cond() {
        assert!(
            clock.now() < deadline,
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A back-off that parks at most `park_max_us` microseconds.
fn backoff(park_max_us: u64) -> Backoff {
    Backoff::new(
        10,
        5,
        Duration::from_micros(1),
        Duration::from_micros(park_max_us),
    )
}

/// A runtime config for tests: back-off idle, threads `engine-{i}`.
fn config(placement: Placement) -> RuntimeConfig {
    RuntimeConfig::new(placement).with_idle(backoff(1000))
}

/// What happened to one test agent, readable from the test thread.
#[derive(Default)]
struct Life {
    starts: AtomicU64,
    closes: AtomicU64,
    cycles: AtomicU64,
    thread: Mutex<Option<String>>,
}

impl Life {
    fn starts(&self) -> u64 {
        self.starts.load(Ordering::SeqCst)
    }
    fn closes(&self) -> u64 {
        self.closes.load(Ordering::SeqCst)
    }
    fn cycles(&self) -> u64 {
        self.cycles.load(Ordering::SeqCst)
    }
    fn thread(&self) -> Option<String> {
        self.thread.lock().unwrap().clone()
    }
}

type Work = Box<dyn FnMut(MonoTime, u64) -> usize + Send>;

/// An agent whose duty cycle is a closure given `now` and the cycle number
/// (from 0); it records its life in a shared [`Life`].
struct TestAgent {
    name: &'static str,
    life: Arc<Life>,
    work: Work,
    start: Option<Box<dyn FnMut() + Send>>,
}

impl TestAgent {
    fn new(
        name: &'static str,
        work: impl FnMut(MonoTime, u64) -> usize + Send + 'static,
    ) -> (Self, Arc<Life>) {
        let life = Arc::new(Life::default());
        let agent = TestAgent {
            name,
            life: Arc::clone(&life),
            work: Box::new(work),
            start: None,
        };
        (agent, life)
    }

    /// An agent that never has work.
    fn idle(name: &'static str) -> (Self, Arc<Life>) {
        Self::new(name, |_, _| 0)
    }

    fn on_start_do(mut self, f: impl FnMut() + Send + 'static) -> Self {
        self.start = Some(Box::new(f));
        self
    }
}

impl Agent for TestAgent {
    fn name(&self) -> &'static str {
        self.name
    }

    fn do_work(&mut self, now: MonoTime) -> usize {
        let cycle = self.life.cycles.fetch_add(1, Ordering::SeqCst);
        (self.work)(now, cycle)
    }

    fn on_start(&mut self) {
        self.life.starts.fetch_add(1, Ordering::SeqCst);
        *self.life.thread.lock().unwrap() = std::thread::current().name().map(str::to_string);
        if let Some(f) = &mut self.start {
            f();
        }
    }

    fn on_close(&mut self) {
        self.life.closes.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------
// Placement
// ---------------------------------------------------------------------------

/// On one thread, the agents are called in the order given, every cycle,
/// with one clock reading per cycle shared by all of them.
#[test]
fn one_thread_calls_agents_in_order_with_one_now() {
    let turn = Arc::new(AtomicU64::new(0));
    let last_now = Arc::new(AtomicU64::new(0));
    let faults = Arc::new(AtomicU64::new(0));
    let mut rt = Runtime::new(config(Placement::OneThread { core: None }));
    let mut lives = Vec::new();
    for (index, name) in ["first", "second", "third"].into_iter().enumerate() {
        let (turn, last_now, faults) = (turn.clone(), last_now.clone(), faults.clone());
        let (agent, life) = TestAgent::new(name, move |now, _| {
            let t = turn.fetch_add(1, Ordering::SeqCst);
            if t % 3 != index as u64 {
                faults.fetch_add(1, Ordering::SeqCst);
            }
            if index == 0 {
                last_now.store(now.as_nanos(), Ordering::SeqCst);
            } else if last_now.load(Ordering::SeqCst) != now.as_nanos() {
                faults.fetch_add(1, Ordering::SeqCst);
            }
            0
        });
        rt.add(agent);
        lives.push(life);
    }
    let handle = rt.start().expect("start");
    assert_eq!(
        handle.threads().collect::<Vec<_>>(),
        vec![("engine-0", None)]
    );
    wait_for("100 cycles", 20, || lives[2].cycles() >= 100);
    handle.shutdown().expect("clean shutdown");

    assert_eq!(faults.load(Ordering::SeqCst), 0, "out of order or two nows");
    for life in &lives {
        assert_eq!(life.thread().as_deref(), Some("engine-0"));
    }
    let cycles: Vec<u64> = lives.iter().map(|l| l.cycles()).collect();
    assert!(
        cycles[0] == cycles[1] && cycles[1] == cycles[2],
        "{cycles:?}"
    );
}

/// Agents on two threads run at the same time: 20,000 items go from a
/// producer on one thread to a consumer on the other through a 256-slot
/// rtrb ring, which is only possible if both run concurrently.
#[test]
fn threads_run_concurrently_and_pass_items_through_a_ring() {
    const ITEMS: u64 = 20_000;
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(256);
    let mut next_out = 0u64;
    let (producer, producer_life) = TestAgent::new("producer", move |_, _| {
        let mut n = 0;
        while next_out < ITEMS && n < 64 && tx.push(next_out).is_ok() {
            next_out += 1;
            n += 1;
        }
        n
    });
    let received = Arc::new(AtomicU64::new(0));
    let out_of_sequence = Arc::new(AtomicBool::new(false));
    let (r, oos) = (received.clone(), out_of_sequence.clone());
    let (consumer, consumer_life) = TestAgent::new("consumer", move |_, _| {
        let mut n = 0;
        while n < 64 {
            let Ok(item) = rx.pop() else { break };
            if item != r.load(Ordering::SeqCst) {
                oos.store(true, Ordering::SeqCst);
            }
            r.fetch_add(1, Ordering::SeqCst);
            n += 1;
        }
        n
    });
    let placement = Placement::Threads(vec![
        ThreadPlacement::new(["producer"]),
        ThreadPlacement::new(["consumer"]),
    ]);
    let handle = Runtime::new(config(placement))
        .with(consumer)
        .with(producer)
        .start()
        .expect("start");
    wait_for("every item", 60, || {
        received.load(Ordering::SeqCst) == ITEMS
    });
    handle.shutdown().expect("clean shutdown");

    assert!(!out_of_sequence.load(Ordering::SeqCst));
    assert_eq!(producer_life.thread().as_deref(), Some("engine-0"));
    assert_eq!(consumer_life.thread().as_deref(), Some("engine-1"));
}

/// A placement that names an unknown agent, places one twice, leaves one
/// out, names an ambiguous one or has an empty thread is refused before
/// any thread starts, with the thread and agent named.
#[test]
fn bad_placements_are_refused_by_name() {
    fn start(placement: Placement, names: &[&'static str]) -> String {
        let mut rt = Runtime::new(config(placement));
        for name in names {
            rt.add(TestAgent::idle(name).0);
        }
        rt.start().expect_err("must be refused").to_string()
    }
    let two = |a: Vec<&str>, b: Vec<&str>| {
        Placement::Threads(vec![ThreadPlacement::new(a), ThreadPlacement::new(b)])
    };
    assert_eq!(
        start(two(vec!["a"], vec!["c"]), &["a", "b"]),
        r#"placement: thread "engine-1": no agent "c" (the agents are: #0 "a", #1 "b")"#
    );
    assert_eq!(
        start(two(vec!["a", "b"], vec!["a"]), &["a", "b"]),
        r#"placement: agent #0 "a" is placed twice (on threads "engine-0" and "engine-1")"#
    );
    assert_eq!(
        start(two(vec!["a"], vec![]), &["a"]),
        r#"placement: thread "engine-1" has no agents"#
    );
    assert_eq!(
        start(
            Placement::Threads(vec![ThreadPlacement::new(["a"])]),
            &["a", "b"]
        ),
        r#"placement: agent #1 "b" is on no thread"#
    );
    assert_eq!(
        start(two(vec!["s"], vec!["x"]), &["s", "s", "x"]),
        r#"placement: thread "engine-0": 2 agents are named "s"; place them by index"#
    );
    assert_eq!(
        start(Placement::OneThread { core: None }, &[]),
        "runtime: no agents to run"
    );
    // Two agents with one name are fine when placed by index.
    let mut rt = Runtime::new(config(Placement::Threads(vec![
        ThreadPlacement::new([0usize]),
        ThreadPlacement::new([1usize, 2]),
    ])));
    let lives: Vec<_> = ["s", "s", "x"]
        .into_iter()
        .map(|n| {
            let (a, l) = TestAgent::idle(n);
            rt.add(a);
            l
        })
        .collect();
    let handle = rt.start().expect("by index");
    wait_for("all started", 20, || lives.iter().all(|l| l.starts() == 1));
    handle.shutdown().expect("clean shutdown");
    assert_eq!(lives[0].thread().as_deref(), Some("engine-0"));
    assert_eq!(lives[1].thread().as_deref(), Some("engine-1"));
    assert_eq!(lives[2].thread().as_deref(), Some("engine-1"));
}

// ---------------------------------------------------------------------------
// Pinning
// ---------------------------------------------------------------------------

/// A thread pinned to a core the process may run on (core 0 here) starts,
/// and its agents run with that core as their only CPU.
#[test]
fn pinning_to_an_available_core_works() {
    let core = core_affinity::get_core_ids().expect("CPU set")[0].id;
    let seen = Arc::new(Mutex::new(None::<Vec<usize>>));
    let s = seen.clone();
    let (agent, life) = TestAgent::idle("pinned");
    let agent = agent.on_start_do(move || {
        let ids = core_affinity::get_core_ids().map(|v| v.iter().map(|c| c.id).collect());
        *s.lock().unwrap() = ids;
    });
    let handle = Runtime::new(config(Placement::OneThread { core: Some(core) }))
        .with(agent)
        .start()
        .expect("pin to an available core");
    assert_eq!(
        handle.threads().collect::<Vec<_>>(),
        vec![("engine-0", Some(core))]
    );
    wait_for("on_start", 20, || life.starts() == 1);
    handle.shutdown().expect("clean shutdown");
    assert_eq!(seen.lock().unwrap().clone(), Some(vec![core]));
}

/// A caller that is itself pinned (a control thread on core 0) can still
/// start a runtime thread pinned to another core: the check is against the
/// machine's cores, not the caller's affinity.
#[test]
fn a_pinned_caller_can_pin_runtime_threads_elsewhere() {
    let cores: Vec<usize> = core_affinity::get_core_ids()
        .expect("CPU set")
        .iter()
        .map(|c| c.id)
        .collect();
    assert!(cores.len() >= 2, "this test needs two cores, has {cores:?}");
    let (mine, theirs) = (cores[0], cores[1]);
    // This test's own thread only: the harness runs each test on its own.
    assert!(core_affinity::set_for_current(core_affinity::CoreId {
        id: mine
    }));
    let seen = Arc::new(Mutex::new(None::<Vec<usize>>));
    let s = seen.clone();
    let (agent, life) = TestAgent::idle("elsewhere");
    let agent = agent.on_start_do(move || {
        let ids = core_affinity::get_core_ids().map(|v| v.iter().map(|c| c.id).collect());
        *s.lock().unwrap() = ids;
    });
    let handle = Runtime::new(config(Placement::OneThread { core: Some(theirs) }))
        .with(agent)
        .start()
        .expect("a core of the machine, outside the caller's affinity");
    wait_for("on_start", 20, || life.starts() == 1);
    handle.shutdown().expect("clean shutdown");
    assert_eq!(seen.lock().unwrap().clone(), Some(vec![theirs]));
}

/// Pinning to a core that does not exist fails the start with an error
/// naming the thread and the core, and no agent starts (and every agent is
/// dropped with the runtime).
#[test]
fn pinning_to_core_999_fails_naming_thread_and_core() {
    let (a, a_life) = TestAgent::idle("a");
    let (b, b_life) = TestAgent::idle("b");
    let err = Runtime::new(config(Placement::Threads(vec![
        ThreadPlacement::new(["a"]).on_core(0),
        ThreadPlacement::new(["b"]).on_core(999),
    ])))
    .with(a)
    .with(b)
    .start()
    .expect_err("core 999 does not exist");
    let text = err.to_string();
    assert!(
        text.starts_with(r#"thread "engine-1": cannot pin to core 999: this machine has cores "#),
        "{text}"
    );
    assert!(
        matches!(err, RuntimeError::Pin { core: 999, .. }),
        "{err:?}"
    );
    assert_eq!(a_life.starts() + b_life.starts(), 0);
    assert_eq!(Arc::strong_count(&a_life), 1, "agent a not dropped");
    assert_eq!(Arc::strong_count(&b_life), 1, "agent b not dropped");

    let err = Runtime::new(config(Placement::OneThread { core: Some(999) }).named("strategy"))
        .with(TestAgent::idle("s").0)
        .start()
        .expect_err("core 999 does not exist");
    assert!(
        err.to_string()
            .starts_with(r#"thread "strategy-0": cannot pin to core 999: "#),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// Shutdown and panics
// ---------------------------------------------------------------------------

/// `stop` + `join` end every thread and call `on_close` once on every agent,
/// and not before the stop.
#[test]
fn stop_and_join_call_on_close_on_every_agent() {
    let agents: Vec<(TestAgent, Arc<Life>)> =
        ["a", "b", "c"].into_iter().map(TestAgent::idle).collect();
    let mut rt = Runtime::new(config(Placement::Threads(vec![
        ThreadPlacement::new(["a", "b"]),
        ThreadPlacement::new(["c"]),
    ])));
    let mut lives = Vec::new();
    for (agent, life) in agents {
        rt.add(agent);
        lives.push(life);
    }
    let handle = rt.start().expect("start");
    wait_for("10 cycles each", 20, || {
        lives.iter().all(|l| l.cycles() >= 10)
    });
    assert!(lives.iter().all(|l| l.starts() == 1 && l.closes() == 0));
    assert!(!handle.is_finished());
    handle.stop();
    assert!(handle.is_stopping());
    handle.join().expect("clean join");
    for life in &lives {
        assert_eq!((life.starts(), life.closes()), (1, 1));
    }
}

/// A panic in an agent's duty cycle stops the whole runtime by itself, is
/// returned by `join` naming the thread, agent, phase and message, and
/// `on_close` still runs on every agent.
#[test]
fn an_agent_panic_stops_the_runtime_and_join_reports_it() {
    let (boom, boom_life) = TestAgent::new("boom", |_, cycle| {
        if cycle == 3 {
            panic!("boom at cycle {cycle}");
        }
        0
    });
    let (steady, steady_life) = TestAgent::idle("steady");
    let handle = Runtime::new(config(Placement::Threads(vec![
        ThreadPlacement::new(["steady"]),
        ThreadPlacement::new(["boom"]),
    ])))
    .with(boom)
    .with(steady)
    .start()
    .expect("start");
    // Nobody calls stop: the panic must.
    wait_for("the runtime to stop itself", 20, || handle.is_finished());
    assert!(handle.is_stopping());
    let err = handle.join().expect_err("the panic is reported");
    let RuntimeError::Panicked(panics) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        panics,
        &vec![AgentPanic {
            thread: "engine-1".to_string(),
            agent: Some("boom"),
            phase: Phase::Work,
            message: "boom at cycle 3".to_string(),
        }]
    );
    assert_eq!(
        err.to_string(),
        r#"thread "engine-1": agent "boom" panicked in do_work: boom at cycle 3"#
    );
    assert_eq!((boom_life.starts(), boom_life.closes()), (1, 1));
    assert_eq!((steady_life.starts(), steady_life.closes()), (1, 1));
}

/// A panic in `on_start` is reported as such; that agent never works, and
/// `on_close` runs on it and the agents started before it, not after it.
#[test]
fn a_panic_in_on_start_is_reported_and_later_agents_never_start() {
    let (first, first_life) = TestAgent::idle("first");
    let (bad, bad_life) = TestAgent::idle("bad");
    let bad = bad.on_start_do(|| panic!("no config"));
    let (last, last_life) = TestAgent::idle("last");
    let handle = Runtime::new(config(Placement::OneThread { core: None }))
        .with(first)
        .with(bad)
        .with(last)
        .start()
        .expect("start");
    wait_for("the runtime to stop itself", 20, || handle.is_finished());
    let err = handle.join().expect_err("reported");
    assert_eq!(
        err.to_string(),
        r#"thread "engine-0": agent "bad" panicked in on_start: no config"#
    );
    assert_eq!(bad_life.cycles() + first_life.cycles(), 0);
    assert_eq!((first_life.starts(), first_life.closes()), (1, 1));
    assert_eq!((bad_life.starts(), bad_life.closes()), (1, 1));
    assert_eq!((last_life.starts(), last_life.closes()), (0, 0));
}

// ---------------------------------------------------------------------------
// Idle strategies
// ---------------------------------------------------------------------------

/// Every config `IdleKind` converts to its strategy and back; `backoff`
/// gets the default back-off unless one is given.
#[test]
fn idle_kind_conversions() {
    for (name, kind) in IdleKind::NAMES {
        let idle = Idle::from(kind);
        assert_eq!(idle.kind(), kind, "{name}");
        assert_eq!(IdleKind::from(&idle), kind, "{name}");
    }
    assert_eq!(Idle::from(IdleKind::BusySpin), Idle::BusySpin(BusySpin));
    assert_eq!(Idle::from(IdleKind::SpinHint), Idle::SpinHint(SpinHint));
    assert_eq!(Idle::from(IdleKind::Yield), Idle::Yield(Yield));
    assert_eq!(
        Idle::from(IdleKind::Backoff),
        Idle::Backoff(Backoff::default())
    );
    assert_eq!(
        Idle::with_backoff(IdleKind::Backoff, backoff(50)),
        Idle::Backoff(backoff(50))
    );
    assert_eq!(
        Idle::with_backoff(IdleKind::Yield, backoff(50)),
        Idle::Yield(Yield)
    );
    assert_eq!(Idle::default().kind(), IdleKind::default());
    assert_eq!(Idle::from(backoff(50)).kind(), IdleKind::Backoff);
    assert_eq!(Backoff::default().park_max(), Duration::from_millis(1));
    // Nonsense limits are made sensible, not a panic.
    let b = Backoff::new(0, 0, Duration::ZERO, Duration::ZERO);
    assert_eq!(b.park_max(), Duration::from_nanos(1));
}

/// Back-off spins, then yields, then parks for doubling periods up to the
/// maximum, and starts over on work.
#[test]
fn backoff_escalates_and_resets_on_work() {
    let mut b = Backoff::new(2, 2, Duration::from_micros(1), Duration::from_micros(8));
    assert_eq!(b.phase(), BackoffPhase::Active);
    let mut phases = Vec::new();
    for _ in 0..8 {
        b.idle(0);
        phases.push(b.phase());
    }
    let us = |n| BackoffPhase::Parking(Duration::from_micros(n));
    assert_eq!(
        phases,
        vec![
            BackoffPhase::Spinning(1),
            BackoffPhase::Spinning(2),
            BackoffPhase::Yielding(1),
            BackoffPhase::Yielding(2),
            us(2),
            us(4),
            us(8),
            us(8),
        ]
    );
    b.idle(1);
    assert_eq!(b.phase(), BackoffPhase::Active);
    b.idle(0);
    assert_eq!(b.phase(), BackoffPhase::Spinning(1));
    b.reset();
    assert_eq!(b.phase(), BackoffPhase::Active);
    // Through the enum, the same.
    let mut idle = Idle::from(Backoff::new(
        0,
        0,
        Duration::from_micros(1),
        Duration::from_micros(4),
    ));
    idle.idle(0);
    assert_eq!(
        idle,
        Idle::Backoff({
            let mut b = Backoff::new(0, 0, Duration::from_micros(1), Duration::from_micros(4));
            b.idle(0);
            b
        })
    );
}

/// An idle thread under back-off really sleeps: over 300 ms of idling
/// (after its parks reach the 1 ms maximum) its duty cycles are about one
/// per millisecond, not millions, and it uses well under a fifth of a core.
#[test]
fn backoff_idle_sleeps() {
    /// (window start `now`, thread CPU ns, cycle) once warmed up.
    #[derive(Default)]
    struct Window {
        wall_ns: AtomicU64,
        cpu_ns: AtomicU64,
        cycles: AtomicU64,
        done: AtomicBool,
    }
    fn thread_cpu_ns() -> u64 {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec for the call's duration.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
        ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
    }
    const WARM_UP: u64 = 50;
    const WINDOW_NS: u64 = 300_000_000;
    let window = Arc::new(Window::default());
    let w = window.clone();
    let mut start: Option<(MonoTime, u64, u64)> = None;
    let (agent, _life) = TestAgent::new("idler", move |now, cycle| {
        if cycle < WARM_UP || w.done.load(Ordering::Relaxed) {
            return 0;
        }
        match start {
            None => start = Some((now, thread_cpu_ns(), cycle)),
            Some((t0, cpu0, cycle0)) if now.nanos_since(t0) >= WINDOW_NS => {
                w.wall_ns.store(now.nanos_since(t0), Ordering::SeqCst);
                w.cpu_ns.store(thread_cpu_ns() - cpu0, Ordering::SeqCst);
                w.cycles.store(cycle - cycle0, Ordering::SeqCst);
                w.done.store(true, Ordering::SeqCst);
            }
            Some(_) => {}
        }
        0
    });
    let handle = Runtime::new(
        RuntimeConfig::new(Placement::OneThread { core: None }).with_idle(Backoff::default()),
    )
    .with(agent)
    .start()
    .expect("start");
    wait_for("the measured window", 30, || {
        window.done.load(Ordering::SeqCst)
    });
    handle.shutdown().expect("clean shutdown");

    let wall_ns = window.wall_ns.load(Ordering::SeqCst);
    let cpu_ns = window.cpu_ns.load(Ordering::SeqCst);
    let cycles = window.cycles.load(Ordering::SeqCst);
    let wall_ms = wall_ns / 1_000_000;
    assert!(
        cycles <= 2 * wall_ms,
        "{cycles} duty cycles in {wall_ms} ms: the thread is not parking"
    );
    assert!(
        cpu_ns * 5 < wall_ns,
        "{cpu_ns} ns of CPU in {wall_ns} ns: the thread is not sleeping"
    );
}

// ---------------------------------------------------------------------------
// Control channel
// ---------------------------------------------------------------------------

/// The control thread's messages reach an agent that polls without
/// blocking, in order; a full channel is back-pressure for the sender, and
/// the agent's end learns when the senders are gone.
#[test]
fn control_messages_reach_a_polling_agent() {
    let (tx, rx): (_, Control<u64>) = control_channel(8);
    let sum = Arc::new(AtomicU64::new(0));
    let in_order = Arc::new(AtomicBool::new(true));
    let (s, o) = (sum.clone(), in_order.clone());
    let mut last = 0;
    let (agent, _life) = TestAgent::new("controlled", move |_, _| {
        rx.drain(4, |m| {
            if m != last + 1 {
                o.store(false, Ordering::SeqCst);
            }
            last = m;
            s.fetch_add(m, Ordering::SeqCst);
        })
    });
    let handle = Runtime::new(config(Placement::OneThread { core: None }))
        .with(agent)
        .start()
        .expect("start");
    for m in 1..=1000u64 {
        tx.send(m, Duration::from_secs(10))
            .expect("the agent drains");
    }
    wait_for("every message", 20, || {
        sum.load(Ordering::SeqCst) == 500_500
    });
    handle.shutdown().expect("clean shutdown");
    assert!(in_order.load(Ordering::SeqCst));
    // The agent's end is gone with the runtime.
    assert_eq!(tx.try_send(1), Err(ControlSendError::Disconnected(1)));

    // Nobody polling: a full channel says so, and `send` gives up after its
    // patience, handing the message back.
    let (tx, rx) = control_channel::<u32>(2);
    tx.try_send(1).unwrap();
    tx.send(2, Duration::ZERO).unwrap();
    assert_eq!(tx.try_send(3), Err(ControlSendError::Full(3)));
    let err = tx.send(4, Duration::from_millis(5)).unwrap_err();
    assert_eq!(err.into_inner(), 4);
    assert_eq!(rx.len(), 2);
    assert_eq!(rx.poll(), Some(1));
    drop(tx);
    assert_eq!(rx.try_poll(), Ok(Some(2)));
    assert_eq!(rx.try_poll(), Err(ControlClosed));
    assert_eq!(rx.poll(), None);
}

// ---------------------------------------------------------------------------
// Driven by a test
// ---------------------------------------------------------------------------

/// An `AgentRunner` can be driven one duty cycle at a time on the test's
/// thread with a mock clock: every agent sees the mock's time.
#[test]
fn a_runner_driven_by_a_test_sees_the_mock_clock() {
    let (clock, mock) = MonotonicClock::mock();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    let (agent, _life) = TestAgent::new("a", move |now, _| {
        s.lock().unwrap().push(now.as_nanos());
        1
    });
    let mut runner = AgentRunner::new(
        "test",
        vec![Box::new(agent) as Box<dyn Agent>],
        Idle::from(BusySpin),
        clock,
    );
    assert_eq!(runner.agent_names().collect::<Vec<_>>(), vec!["a"]);
    assert_eq!(runner.duty_cycle(), 1);
    mock.increment(Duration::from_micros(5));
    assert_eq!(runner.duty_cycle(), 1);
    mock.increment(1_000u64);
    runner.duty_cycle();
    assert_eq!(*seen.lock().unwrap(), vec![0, 5_000, 6_000]);
}

// ---------------------------------------------------------------------------
// Zero allocation
// ---------------------------------------------------------------------------

/// Reads its own thread's allocation count at cycle `from` and `to` and
/// publishes the difference: everything that thread did in between.
struct AllocProbe {
    name: &'static str,
    from: u64,
    to: u64,
    cycle: u64,
    at_from: u64,
    result: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
}

impl AllocProbe {
    fn new(name: &'static str, from: u64, to: u64) -> (Self, Arc<AtomicU64>, Arc<AtomicBool>) {
        let result = Arc::new(AtomicU64::new(u64::MAX));
        let done = Arc::new(AtomicBool::new(false));
        let probe = AllocProbe {
            name,
            from,
            to,
            cycle: 0,
            at_from: 0,
            result: result.clone(),
            done: done.clone(),
        };
        (probe, result, done)
    }
}

impl Agent for AllocProbe {
    fn name(&self) -> &'static str {
        self.name
    }

    fn do_work(&mut self, _now: MonoTime) -> usize {
        if self.cycle == self.from {
            self.at_from = allocations();
        } else if self.cycle == self.to {
            self.result
                .store(allocations() - self.at_from, Ordering::SeqCst);
            self.done.store(true, Ordering::SeqCst);
        }
        self.cycle += 1;
        0
    }
}

/// Bursts of items through an rtrb ring (16 busy cycles in 64, so the
/// back-off runs through spins, yields and parks again and again), plus
/// a control channel polled every cycle.
fn ring_agents(control: Control<u64>) -> (impl Agent, impl Agent, Arc<AtomicU64>, Arc<AtomicU64>) {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u64>::new(64);
    let received = Arc::new(AtomicU64::new(0));
    let controls = Arc::new(AtomicU64::new(0));
    let (r, c) = (received.clone(), controls.clone());
    let mut next = 0u64;
    let producer = TestAgent::new("producer", move |_, cycle| {
        let mut n = control.drain(8, |m| {
            c.fetch_add(m, Ordering::Relaxed);
        });
        if cycle % 64 < 16 {
            for _ in 0..4 {
                if tx.push(next).is_err() {
                    break;
                }
                next += 1;
                n += 1;
            }
        }
        n
    })
    .0;
    let consumer = TestAgent::new("consumer", move |_, _| {
        let mut n = 0;
        while let Ok(item) = rx.pop() {
            std::hint::black_box(item);
            n += 1;
        }
        r.fetch_add(n as u64, Ordering::Relaxed);
        n
    })
    .0;
    (producer, consumer, received, controls)
}

/// After warm-up, the duty cycles of the runner threads allocate nothing:
/// clock reads, agents moving items through a ring and polling control
/// messages, and the back-off idle strategy (spins, yields, parks), on two
/// pinned-or-not threads and on one.
#[test]
fn the_duty_cycle_does_not_allocate() {
    const FROM: u64 = 2_000;
    const TO: u64 = 20_000;
    for two_threads in [true, false] {
        let (ctl_tx, ctl_rx) = control_channel::<u64>(16);
        let (producer, consumer, received, controls) = ring_agents(ctl_rx);
        let (probe0, result0, done0) = AllocProbe::new("probe0", FROM, TO);
        let (probe1, result1, done1) = AllocProbe::new("probe1", FROM, TO);
        let placement = if two_threads {
            Placement::Threads(vec![
                ThreadPlacement::new(["producer", "probe0"]),
                ThreadPlacement::new(["consumer", "probe1"]),
            ])
        } else {
            Placement::OneThread { core: None }
        };
        let handle = Runtime::new(RuntimeConfig::new(placement).with_idle(backoff(50)))
            .with(producer)
            .with(probe0)
            .with(consumer)
            .with(probe1)
            .start()
            .expect("start");
        // The control thread keeps sending during the measured cycles.
        let mut sent = 0;
        while !(done0.load(Ordering::SeqCst) && done1.load(Ordering::SeqCst)) {
            if ctl_tx.try_send(1).is_ok() {
                sent += 1;
            }
            std::thread::sleep(Duration::from_millis(1));
            assert!(sent < 1_000_000, "probes never finished");
        }
        wait_for("the last control messages", 20, || {
            controls.load(Ordering::SeqCst) == sent
        });
        handle.shutdown().expect("clean shutdown");

        let layout = if two_threads {
            "two threads"
        } else {
            "one thread"
        };
        assert!(
            received.load(Ordering::SeqCst) > 1_000,
            "{layout}: too few items"
        );
        assert!(sent > 10, "{layout}: too few control messages");
        assert_eq!(
            result0.load(Ordering::SeqCst),
            0,
            "{layout}: thread 0 allocated"
        );
        assert_eq!(
            result1.load(Ordering::SeqCst),
            0,
            "{layout}: thread 1 allocated"
        );
    }
}
