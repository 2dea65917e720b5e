//! `fixrail demo`: the venue and the engine in one process over loopback, a
//! strategy trading, a progress line, and an order-to-ack latency report.
//!
//! Everything is embedded: the config (a venue acceptor session and a
//! trading initiator session in one engine), the journal in a temporary
//! directory (removed at the end), the strategy ([`PingPong`]). The engine
//! runs as an agent on one thread and the strategy on another, both pinned
//! to cores 0 and 1 when the machine has them.

use crate::clock::{MonoTime, MonotonicClock};
use crate::engine::{engine_spec, Engine, EngineAgent};
use crate::harness::stages::{StageKind, Stamp};
use crate::runtime::{AgentRef, Idle, Placement, Runtime, RuntimeConfig, ThreadPlacement};
use crate::strategy::{
    Command, Event, InstrumentId, OrdType, Price, Qty, Side, Strategy, StrategyAgent,
    StrategyHandle, TimeInForce,
};
use hdrhistogram::Histogram;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Demo settings.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Orders measured.
    pub orders: u64,
    /// Orders sent first and not measured.
    pub warmup: u64,
    /// Busy-spin both threads (lowest latency, two cores fully used) instead
    /// of backing off when idle.
    pub spin: bool,
    /// Open loop at this many orders per second (latency measured from each
    /// order's scheduled time, so a stall is not hidden: coordinated
    /// omission corrected); `None`: ping-pong, one order in flight.
    pub rate: Option<u64>,
    /// Also measure QuickFIX C++ against the same venue (embedded setup only).
    pub quickfix: Option<QuickFixRun>,
    /// Market data only: send no orders; the venue's synthetic flow moves
    /// the book at `flow_rate` actions per second and the run ends after
    /// `warmup` + this many `TopOfBook` events (embedded setup only).
    pub ticks: Option<u64>,
    /// The venue's flow rate in the ticks run (actions per second).
    pub flow_rate: u64,
}

/// A QuickFIX C++ initiator (tools/qfbench) run against the same venue,
/// in the same process run, after fixrail's measurement.
#[derive(Debug, Clone)]
pub struct QuickFixRun {
    /// The built `qfbench` binary.
    pub binary: std::path::PathBuf,
    /// FIX 4.4 data dictionary for it.
    pub dictionary: std::path::PathBuf,
}

/// What the demo measured.
#[derive(Debug)]
pub struct DemoReport {
    /// Strategy pushes the NewOrder → the engine calls `write()` with it.
    pub ring_to_write: Histogram<u64>,
    /// The engine's `read()` returns the ExecutionReport New → the strategy
    /// pops the acknowledgement.
    pub read_to_ring: Histogram<u64>,
    /// Tick to top of book: the engine's `read()` returns bytes holding a
    /// W or X → the `TopOfBook` it made is in the strategy's ring.
    pub tick_to_event: Histogram<u64>,
    /// Tick to strategy: the same `read()` → the strategy pops that
    /// `TopOfBook`.
    pub tick_to_strategy: Histogram<u64>,
    /// `TopOfBook` events the strategy got.
    pub ticks: u64,
    /// QuickFIX's round trips (ns), when it ran.
    pub quickfix: Option<Histogram<u64>>,
    /// Order-to-ack round trips (NewOrderSingle sent by the strategy →
    /// its ExecutionReport New back in the strategy), nanoseconds.
    pub order_to_ack: Histogram<u64>,
    /// Fills seen.
    pub fills: u64,
    /// Rejects seen.
    pub rejects: u64,
    /// Wall time of the measured part, nanoseconds.
    pub elapsed_ns: u64,
}

/// Shared between the strategy thread and the control thread (read only
/// for progress; the histogram is handed over once, at the end).
#[derive(Debug, Default)]
struct Shared {
    acks: AtomicU64,
    ticks: AtomicU64,
    fills: AtomicU64,
    rejects: AtomicU64,
    done: AtomicBool,
    started_ns: AtomicU64,
    finished_ns: AtomicU64,
    result: Mutex<Option<Histogram<u64>>>,
}

/// The latency strategy. Ping-pong: one order in flight, each timed from
/// its send to its ack. Open loop: orders sent on a fixed schedule, each
/// timed from its *scheduled* time to its ack. Buys and sells alternate at
/// one price, so every pair trades.
#[derive(Debug)]
pub struct PingPong {
    clock: MonotonicClock,
    hist: Option<Histogram<u64>>,
    /// Open loop: nanoseconds between orders (0: ping-pong).
    interval_ns: u64,
    /// Open loop: the next order's scheduled time.
    next_at: u64,
    /// Scheduled times of orders sent, waiting for their OrderSent (FIFO).
    sched: std::collections::VecDeque<u64>,
    /// Scheduled time by order slot, between OrderSent and the ack, and
    /// whether that order is measured (not a warm-up order).
    by_slot: Vec<(u64, bool)>,
    /// Orders sent and not yet acknowledged or rejected.
    outstanding: u64,
    /// Send and ack stamps for the stage latencies.
    probe: crate::harness::stages::StageProbe,
    instrument: InstrumentId,
    price: Price,
    qty: Qty,
    total: u64,
    warmup: u64,
    next: u64,
    sent_at: MonoTime,
    in_flight: bool,
    up: bool,
    /// Subscribe to the instrument's top of book (after each logon: the
    /// engine restores it after a reconnect by itself, this is the first).
    subscribe: bool,
    subscribed: bool,
    /// Ticks run: stop after this many TopOfBook events (0: orders run).
    tick_target: u64,
    ticks: u64,
    shared: Arc<Shared>,
}

impl Strategy for PingPong {
    fn on_event(&mut self, e: &Event, _h: &mut StrategyHandle) {
        match *e {
            Event::SessionUp { .. } => {
                self.up = true;
                self.subscribe = true;
            }
            Event::TopOfBook(_) => {
                self.probe.stamp(StageKind::TickSeen);
                self.ticks += 1;
                self.shared.ticks.fetch_add(1, Ordering::Relaxed);
                if self.tick_target > 0 && self.ticks == self.warmup {
                    self.shared
                        .started_ns
                        .store(self.clock.now().as_nanos(), Ordering::Relaxed);
                }
                if self.tick_target > 0 && self.ticks == self.tick_target && self.hist.is_some() {
                    self.finish();
                }
                return;
            }
            Event::SessionDown { .. } => self.up = false,
            Event::OrderSent { order, tag } => {
                if let Some(t) = self.sched.pop_front() {
                    if let Some(slot) = self.by_slot.get_mut(order.slot as usize) {
                        *slot = (t, tag >= self.warmup);
                    }
                }
            }
            Event::Accepted { order } => {
                self.probe.stamp(StageKind::Ack);
                let (start, measured) = if self.interval_ns == 0 {
                    (self.sent_at.as_nanos(), self.next > self.warmup)
                } else {
                    self.by_slot
                        .get(order.slot as usize)
                        .copied()
                        .unwrap_or((self.sent_at.as_nanos(), false))
                };
                let rtt = self.clock.now().as_nanos().saturating_sub(start);
                self.outstanding = self.outstanding.saturating_sub(1);
                if measured {
                    if let Some(h) = self.hist.as_mut() {
                        let _ = h.record(rtt.max(1));
                    }
                }
                if self.interval_ns == 0 && self.next == self.warmup {
                    self.shared
                        .started_ns
                        .store(self.clock.now().as_nanos(), Ordering::Relaxed);
                }
                self.in_flight = false;
                self.shared.acks.fetch_add(1, Ordering::Relaxed);
            }
            Event::Fill { .. } => {
                self.shared.fills.fetch_add(1, Ordering::Relaxed);
            }
            Event::Rejected { order, .. } => {
                if order.is_none() {
                    self.sched.pop_front();
                }
                self.outstanding = self.outstanding.saturating_sub(1);
                self.in_flight = false;
                self.shared.rejects.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        if self.tick_target == 0
            && !self.in_flight
            && self.outstanding == 0
            && self.next >= self.total
            && self.hist.is_some()
        {
            self.finish();
        }
    }

    fn on_tick(&mut self, _now_ns: u64, h: &mut StrategyHandle) -> usize {
        if self.subscribe && !self.subscribed {
            let cmd = Command::Subscribe {
                instrument: self.instrument,
                depth: 1,
                entries: crate::strategy::MdEntryTypes::BOOK,
                updates: true,
                aggregated: true,
            };
            if h.send(cmd).is_ok() {
                self.subscribed = true;
            }
        }
        if !self.up || self.next >= self.total {
            return 0;
        }
        if self.interval_ns > 0 {
            return self.open_loop(h);
        }
        if self.in_flight {
            return 0;
        }
        let side = if self.next % 2 == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let cmd = Command::NewOrder {
            tag: self.next,
            instrument: self.instrument,
            side,
            ord_type: OrdType::Limit,
            tif: TimeInForce::Day,
            price: self.price,
            qty: self.qty,
        };
        self.sent_at = self.clock.now();
        self.probe
            .stamp_at(StageKind::Send, self.sent_at.as_nanos());
        if h.send(cmd).is_ok() {
            self.sched.push_back(self.sent_at.as_nanos());
            self.in_flight = true;
            self.outstanding += 1;
            self.next += 1;
            1
        } else {
            0
        }
    }
}

impl PingPong {
    /// The strategy for a run: orders (ping-pong or open loop at
    /// `opts.rate`), or with `opts.ticks` no orders and a stop after
    /// `warmup` + `ticks` TopOfBook events.
    fn new(
        opts: &DemoOptions,
        instrument: &crate::strategy::Instrument,
        probe: crate::harness::stages::StageProbe,
        shared: Arc<Shared>,
    ) -> Result<PingPong, String> {
        let ticks = opts.ticks.is_some();
        Ok(PingPong {
            clock: MonotonicClock::new(),
            hist: Some(
                Histogram::new_with_bounds(1, 10_000_000_000, 3)
                    .map_err(|e| format!("histogram: {e}"))?,
            ),
            instrument: instrument.id,
            price: instrument.reference_price,
            qty: instrument.lot_size,
            total: if ticks { 0 } else { opts.warmup + opts.orders },
            warmup: opts.warmup,
            next: 0,
            interval_ns: opts.rate.map(|r| 1_000_000_000 / r.max(1)).unwrap_or(0),
            next_at: 0,
            sched: std::collections::VecDeque::with_capacity(if ticks { 0 } else { 4096 }),
            by_slot: vec![(0, false); if ticks { 0 } else { 1 << 16 }],
            outstanding: 0,
            probe,
            sent_at: MonoTime::from_nanos(0),
            in_flight: false,
            up: false,
            subscribe: false,
            subscribed: false,
            tick_target: opts.ticks.map_or(0, |t| opts.warmup + t),
            ticks: 0,
            shared,
        })
    }

    /// The run is over: hand the histogram to the control thread.
    fn finish(&mut self) {
        self.shared
            .finished_ns
            .store(self.clock.now().as_nanos(), Ordering::Relaxed);
        *self.shared.result.lock().unwrap_or_else(|e| e.into_inner()) = self.hist.take();
        self.shared.done.store(true, Ordering::Release);
    }

    fn order(&self) -> Command {
        Command::NewOrder {
            tag: self.next,
            instrument: self.instrument,
            side: if self.next % 2 == 0 {
                Side::Buy
            } else {
                Side::Sell
            },
            ord_type: OrdType::Limit,
            tif: TimeInForce::Day,
            price: self.price,
            qty: self.qty,
        }
    }

    /// Sends every order whose scheduled time has come (none is skipped:
    /// late orders go out at once and their lateness is measured).
    fn open_loop(&mut self, h: &mut StrategyHandle) -> usize {
        let now = self.clock.now().as_nanos();
        if self.next_at == 0 {
            self.next_at = now;
        }
        let mut sent = 0;
        while self.next < self.total
            && now >= self.next_at
            && self.sched.len() < self.sched.capacity()
        {
            if h.send(self.order()).is_err() {
                break;
            }
            if self.next == self.warmup {
                self.shared.started_ns.store(now, Ordering::Relaxed);
            }
            self.sched.push_back(self.next_at);
            self.next_at += self.interval_ns;
            self.outstanding += 1;
            self.next += 1;
            sent += 1;
        }
        sent
    }
}

/// The trading initiator (PORT: the venue's).
const DEMO_SESSION: &str = r#"
[[session]]
name = "DEMO"
role = "initiator"
sender_comp_id = "DEMO"
target_comp_id = "VENUE"
connect = ["127.0.0.1:PORT"]
"#;

/// The one instrument every embedded config trades.
const EURUSD: &str = r#"
[[instrument]]
symbol = "EUR/USD"
tick_size = "0.00001"
lot_size = 1000
reference_price = "1.08500"
max_order_qty = 10_000_000
"#;

/// The demo's engine: the venue's acceptors (one for fixrail, one for the
/// QuickFIX comparison) and the trading initiator, in one engine.
fn demo_config() -> String {
    let head = r#"
[engine]
journal_dir = "journal"
idle = "backoff"
log_level = "warn"

[risk]
max_open_orders = 10000
order_rate_per_sec = 10000000
order_burst = 1000000

[[session]]
name = "VENUE"
role = "acceptor"
sender_comp_id = "VENUE"
target_comp_id = "DEMO"
listen = "127.0.0.1:0"
application = "venue"

[[session]]
name = "QFBENCH"
role = "acceptor"
sender_comp_id = "VENUE"
target_comp_id = "QFBENCH"
listen = "127.0.0.1:0"
application = "venue"
"#;
    format!("{head}{DEMO_SESSION}{EURUSD}")
}

/// Runs the demo: returns the report (and prints progress to stderr).
pub fn run(opts: &DemoOptions) -> Result<DemoReport, String> {
    let dir = std::env::temp_dir().join(format!("fixrail-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let result = run_in(&dir, opts);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn run_in(dir: &std::path::Path, opts: &DemoOptions) -> Result<DemoReport, String> {
    if opts.ticks.is_some() {
        return run_ticks(dir, opts);
    }
    // A free port for the venue, then the same config names it for both.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free loopback port: {e}"))?
        .port();
    let text = demo_config()
        .replace("127.0.0.1:0", &format!("127.0.0.1:{port}"))
        .replace("PORT", &port.to_string());
    let path = dir.join("demo.toml");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    run_with_config(&path, "DEMO", opts, Some((port, dir)))
}

/// Measures order-to-ack on session `session` of the config at `path`
/// (an initiator to any acceptor: `fixrail venue`, a QuickFIX acceptor, the
/// embedded venue). `embedded` is the embedded venue's port and a scratch
/// directory, for the QuickFIX comparison.
pub fn run_with_config(
    path: &std::path::Path,
    session: &str,
    opts: &DemoOptions,
    embedded: Option<(u16, &std::path::Path)>,
) -> Result<DemoReport, String> {
    let cfg = crate::config::load(path).map_err(|e| e.to_string())?;
    let spec = engine_spec(&cfg)?;
    let instrument = spec
        .trading
        .instruments
        .iter()
        .next()
        .cloned()
        .ok_or("demo config has no instrument")?;
    let mut engine = Engine::new(spec, crate::clock::SystemClock).map_err(|e| e.to_string())?;
    let (engine_probe, mut engine_stamps) = crate::harness::stages::probe(1 << 16);
    let (strategy_probe, mut strategy_stamps) = crate::harness::stages::probe(1 << 16);
    engine.set_stage_probe(session, engine_probe);
    let mut stages = Stages::new(opts.warmup)?;
    let handle = engine.attach_strategy(session).map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared::default());
    let strategy = PingPong::new(opts, &instrument, strategy_probe, Arc::clone(&shared))?;
    let cores = core_affinity::get_core_ids().map(|c| c.len()).unwrap_or(0);
    let idle = if opts.spin {
        Idle::from(crate::config::IdleKind::BusySpin)
    } else {
        Idle::from(crate::config::IdleKind::Backoff)
    };
    let placement = if cores >= 2 {
        Placement::Threads(vec![
            ThreadPlacement::new(["engine"]).on_core(0),
            ThreadPlacement::new(["pingpong"]).on_core(1),
        ])
    } else {
        Placement::OneThread { core: None }
    };
    let rt = Runtime::new(RuntimeConfig::new(placement).named("demo").with_idle(idle))
        .with(EngineAgent::new(engine))
        .with(StrategyAgent::new("pingpong", strategy, handle))
        .start()
        .map_err(|e| e.to_string())?;
    let stop = wait(
        &rt,
        opts,
        &shared,
        &mut stages,
        &mut engine_stamps,
        &mut strategy_stamps,
    )?;
    // QuickFIX against the same venue, while it still runs.
    let quickfix = match (&opts.quickfix, embedded) {
        (Some(q), Some((port, dir))) if !stop.load(Ordering::Relaxed) => {
            Some(run_quickfix(q, port, dir, opts)?)
        }
        _ => None,
    };
    rt.shutdown().map_err(|e| e.to_string())?;
    stages.drain(&mut engine_stamps, &mut strategy_stamps);
    report(stages, &shared, quickfix)
}

/// The ticks run's venue, its own engine (so its flow, matching and
/// publishing run on another core than the trading engine being measured),
/// and the trading engine: one initiator, no orders. RATE: the flow's.
fn ticks_configs() -> (String, String) {
    let venue = r#"
[engine]
journal_dir = "venue-journal"
idle = "busy-spin"
log_level = "warn"

[venue]
flow_rate_per_sec = RATE
flow_seed = 7

[[session]]
name = "VENUE"
role = "acceptor"
sender_comp_id = "VENUE"
target_comp_id = "DEMO"
listen = "127.0.0.1:PORT"
application = "venue"
"#;
    let desk = r#"
[engine]
journal_dir = "journal"
idle = "busy-spin"
log_level = "warn"
"#;
    (
        format!("{venue}{EURUSD}"),
        format!("{desk}{DEMO_SESSION}{EURUSD}"),
    )
}

/// Tick to strategy: the venue (its own engine, on core 1) moves the
/// EUR/USD book with its synthetic flow and publishes it; the trading
/// engine and the strategy share core 0 (run to completion: the engine's
/// turn, then the strategy's), so the strategy pops each TopOfBook in the
/// same duty cycle that read its bytes. Two threads, two cores.
fn run_ticks(dir: &std::path::Path, opts: &DemoOptions) -> Result<DemoReport, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free loopback port: {e}"))?
        .port();
    let write = |name: &str, text: String| -> Result<std::path::PathBuf, String> {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    };
    let venue_path = write(
        "venue.toml",
        ticks_configs()
            .0
            .replace("PORT", &port.to_string())
            .replace("RATE", &opts.flow_rate.max(1).to_string()),
    )?;
    let desk_path = write(
        "desk.toml",
        ticks_configs().1.replace("PORT", &port.to_string()),
    )?;
    let spec_for = |path: &std::path::Path| {
        let cfg = crate::config::load(path).map_err(|e| e.to_string())?;
        engine_spec(&cfg)
    };
    let venue = Engine::new(spec_for(&venue_path)?, crate::clock::SystemClock)
        .map_err(|e| e.to_string())?;
    let desk_spec = spec_for(&desk_path)?;
    let instrument = desk_spec
        .trading
        .instruments
        .iter()
        .next()
        .cloned()
        .ok_or("ticks config has no instrument")?;
    let mut desk = Engine::new(desk_spec, crate::clock::SystemClock).map_err(|e| e.to_string())?;
    let (engine_probe, mut engine_stamps) = crate::harness::stages::probe(1 << 16);
    let (strategy_probe, mut strategy_stamps) = crate::harness::stages::probe(1 << 16);
    desk.set_stage_probe("DEMO", engine_probe);
    let mut stages = Stages::new(opts.warmup)?;
    let handle = desk.attach_strategy("DEMO").map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared::default());
    let strategy = PingPong::new(opts, &instrument, strategy_probe, Arc::clone(&shared))?;
    let cores = core_affinity::get_core_ids().map(|c| c.len()).unwrap_or(0);
    let idle = if opts.spin {
        Idle::from(crate::config::IdleKind::BusySpin)
    } else {
        Idle::from(crate::config::IdleKind::Backoff)
    };
    // Agents by index: 0 the trading engine, 1 the strategy, 2 the venue.
    let placement = if cores >= 2 {
        Placement::Threads(vec![
            ThreadPlacement::new([AgentRef::Index(0), AgentRef::Index(1)]).on_core(0),
            ThreadPlacement::new([AgentRef::Index(2)]).on_core(1),
        ])
    } else {
        Placement::OneThread { core: None }
    };
    let rt = Runtime::new(RuntimeConfig::new(placement).named("ticks").with_idle(idle))
        .with(EngineAgent::new(desk))
        .with(StrategyAgent::new("ticks", strategy, handle))
        .with(EngineAgent::new(venue))
        .start()
        .map_err(|e| e.to_string())?;
    wait(
        &rt,
        opts,
        &shared,
        &mut stages,
        &mut engine_stamps,
        &mut strategy_stamps,
    )?;
    rt.shutdown().map_err(|e| e.to_string())?;
    stages.drain(&mut engine_stamps, &mut strategy_stamps);
    report(stages, &shared, None)
}

/// Waits for the strategy to finish (or SIGINT/SIGTERM), draining the
/// stage stamps and printing progress every second; an error when nothing
/// happened within 10 s. Returns the stop flag (set: interrupted).
fn wait(
    rt: &crate::runtime::RuntimeHandle,
    opts: &DemoOptions,
    shared: &Shared,
    stages: &mut Stages,
    engine_stamps: &mut rtrb::Consumer<Stamp>,
    strategy_stamps: &mut rtrb::Consumer<Stamp>,
) -> Result<Arc<AtomicBool>, String> {
    let stop = rt.stop_flag();
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        let _ = signal_hook::flag::register(sig, Arc::clone(&stop));
    }
    let mut waited_ms = 0u64;
    while !shared.done.load(Ordering::Acquire) && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(100));
        waited_ms += 100;
        stages.drain(engine_stamps, strategy_stamps);
        let acks = shared.acks.load(Ordering::Relaxed);
        let ticks = shared.ticks.load(Ordering::Relaxed);
        if waited_ms % 1000 == 0 {
            match opts.ticks {
                Some(t) => eprintln!("ticks: {ticks}/{} top-of-book events", opts.warmup + t),
                None => eprintln!(
                    "demo: {acks}/{} orders acknowledged, {} fills, {} rejects",
                    opts.warmup + opts.orders,
                    shared.fills.load(Ordering::Relaxed),
                    shared.rejects.load(Ordering::Relaxed)
                ),
            }
        }
        if waited_ms > 10_000 && acks == 0 && ticks == 0 {
            rt.stop();
            return Err(if opts.ticks.is_some() {
                "no market data arrived from the venue".into()
            } else {
                "the trading session never logged on to the venue".into()
            });
        }
    }
    Ok(stop)
}

/// The report, once the runtime is down and the stamps drained.
fn report(
    stages: Stages,
    shared: &Shared,
    quickfix: Option<Histogram<u64>>,
) -> Result<DemoReport, String> {
    let hist = shared
        .result
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .ok_or("stopped before the run finished")?;
    Ok(DemoReport {
        ring_to_write: stages.ring_to_write,
        read_to_ring: stages.read_to_ring,
        tick_to_event: stages.tick_to_event,
        tick_to_strategy: stages.tick_to_strategy,
        ticks: shared.ticks.load(Ordering::Relaxed),
        quickfix,
        order_to_ack: hist,
        fills: shared.fills.load(Ordering::Relaxed),
        rejects: shared.rejects.load(Ordering::Relaxed),
        elapsed_ns: shared
            .finished_ns
            .load(Ordering::Relaxed)
            .saturating_sub(shared.started_ns.load(Ordering::Relaxed)),
    })
}

fn run_quickfix(
    q: &QuickFixRun,
    port: u16,
    dir: &std::path::Path,
    opts: &DemoOptions,
) -> Result<Histogram<u64>, String> {
    let out = dir.join("qfbench.txt");
    eprintln!(
        "bench: QuickFIX C++ initiator, {} orders, same venue",
        opts.orders
    );
    let status = std::process::Command::new(&q.binary)
        .args([
            "--port",
            &port.to_string(),
            "--sender",
            "QFBENCH",
            "--target",
            "VENUE",
        ])
        .arg("--dir")
        .arg(dir.join("qfbench"))
        .arg("--dict")
        .arg(&q.dictionary)
        .args([
            "--orders",
            &opts.orders.to_string(),
            "--warmup",
            &opts.warmup.to_string(),
        ])
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("{}: {e}", q.binary.display()))?;
    if !status.success() {
        return Err(format!("{} failed: {status}", q.binary.display()));
    }
    let text = std::fs::read_to_string(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut h = Histogram::new_with_bounds(1, 10_000_000_000, 3).map_err(|e| e.to_string())?;
    for line in text.lines() {
        if let Ok(v) = line.trim().parse::<u64>() {
            let _ = h.record(v.max(1));
        }
    }
    Ok(h)
}

/// Pairs the stamps, in order, on the control thread.
struct Stages {
    warmup: u64,
    sends: std::collections::VecDeque<u64>,
    writes: std::collections::VecDeque<u64>,
    reads: std::collections::VecDeque<u64>,
    acks: std::collections::VecDeque<u64>,
    out_pairs: u64,
    in_pairs: u64,
    ring_to_write: Histogram<u64>,
    read_to_ring: Histogram<u64>,
    /// Read stamps of ticks, waiting for their TopOfBook's pop (`None`:
    /// a TopOfBook no read made, not timed).
    tick_reads: std::collections::VecDeque<Option<u64>>,
    /// The read stamp of the last tick, waiting for its push stamp.
    tick_read: Option<u64>,
    tick_seen: std::collections::VecDeque<u64>,
    tick_pairs: u64,
    tick_to_event: Histogram<u64>,
    tick_to_strategy: Histogram<u64>,
}

impl Stages {
    fn new(warmup: u64) -> Result<Stages, String> {
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

    fn drain(&mut self, engine: &mut rtrb::Consumer<Stamp>, strategy: &mut rtrb::Consumer<Stamp>) {
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
