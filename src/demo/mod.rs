//! `fixrail demo`: the venue and the engine in one process over loopback, a
//! strategy trading, a progress line, and an order-to-ack latency report.
//!
//! Everything is embedded: the config (a venue acceptor session and a
//! trading initiator session in one engine), the journal in a temporary
//! directory (removed at the end), the strategy ([`PingPong`]). The engine
//! runs as an agent on one thread and the strategy on another, both pinned
//! to cores 0 and 1 when the machine has them.

//!
//! Files: `mod.rs` (options, report, the embedded configs, the order runs,
//! waiting and reporting), `pingpong.rs` (the latency strategy), `ticks.rs`
//! (the tick-to-strategy run: the venue in its own engine), `stages.rs`
//! (pairing the stage stamps into histograms).

mod pingpong;
mod stages;
mod ticks;

pub use pingpong::PingPong;

use crate::engine::{engine_spec, Engine, EngineAgent};
use crate::harness::stages::Stamp;
use crate::runtime::{Idle, Placement, Runtime, RuntimeConfig, ThreadPlacement};
use crate::strategy::StrategyAgent;
use hdrhistogram::Histogram;
use stages::Stages;
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
        return ticks::run_ticks(dir, opts);
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
