//! An example strategy trading against the venue simulator from the command
//! line. It crosses itself: each round sends a limit buy and a limit sell
//! at the reference price (both fill), and every tenth round also parks a
//! buy below the market, replaces it and cancels it. It runs on its own
//! thread beside the engine's (the runtime pins them to `engine.cores` when
//! two are listed) and talks to the engine only through its ring pair.
//!
//! ```sh
//! cargo run --release -- venue --config config/venue.toml          # terminal 1
//! cargo run --release --example crossing -- --config config/trader.toml --rounds 1000
//! ```
//!
//! `--park N` first leaves N buys resting below the market (the
//! restart-and-reconcile test kills the process with them open).

use fixrail::engine::{engine_spec, Engine, EngineAgent};
use fixrail::runtime::{Idle, Placement, Runtime, RuntimeConfig, ThreadPlacement};
use fixrail::strategy::{
    Command, Event, InstrumentId, OrdType, OrderId, Price, Qty, Side, Strategy, StrategyAgent,
    StrategyHandle, TimeInForce,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Counters the strategy publishes for the main thread.
#[derive(Debug, Default)]
struct Stats {
    sent: AtomicU64,
    accepted: AtomicU64,
    fills: AtomicU64,
    replaced: AtomicU64,
    canceled: AtomicU64,
    rejected: AtomicU64,
    traded: AtomicU64,
}

/// The strategy: `rounds` rounds, at most a few in flight.
#[derive(Debug)]
struct Crossing {
    instrument: InstrumentId,
    price: Price,
    qty: Qty,
    rounds: u64,
    started: u64,
    /// Orders sent whose outcome (fill, cancel, reject) is not in yet.
    open: u64,
    up: bool,
    parked_tag: Option<u64>,
    /// Buys parked below the market at start and left open.
    park: u64,
    stats: Arc<Stats>,
    done: Arc<AtomicBool>,
}

impl Crossing {
    fn send(&mut self, h: &mut StrategyHandle, cmd: Command) {
        if h.send(cmd).is_ok() {
            if let Command::NewOrder { .. } = cmd {
                self.open += 1;
            }
        }
    }

    fn order(&self, tag: u64, side: Side, price: Price) -> Command {
        Command::NewOrder {
            tag,
            instrument: self.instrument,
            side,
            ord_type: OrdType::Limit,
            tif: TimeInForce::Day,
            price,
            qty: self.qty,
        }
    }

    fn finished(&mut self) {
        self.open = self.open.saturating_sub(1);
        if self.started >= self.rounds && self.open == 0 {
            self.done.store(true, Ordering::Release);
        }
    }
}

impl Strategy for Crossing {
    fn on_event(&mut self, e: &Event, h: &mut StrategyHandle) {
        let s = &self.stats;
        match *e {
            Event::SessionUp { .. } => self.up = true,
            Event::SessionDown { .. } => self.up = false,
            Event::OrderSent { tag, order } => {
                s.sent.fetch_add(1, Ordering::Relaxed);
                if Some(tag) == self.parked_tag {
                    self.parked_tag = None;
                    // Move it up and double it; the cancel follows the ack.
                    let cmd = Command::Replace {
                        order,
                        price: Price(self.price.0 - 50 * 1_000),
                        qty: Qty(self.qty.0 * 2),
                    };
                    self.send(h, cmd);
                }
            }
            Event::Accepted { .. } => {
                s.accepted.fetch_add(1, Ordering::Relaxed);
            }
            Event::Fill {
                order, last_qty, ..
            }
            | Event::PartialFill {
                order, last_qty, ..
            } => {
                s.fills.fetch_add(1, Ordering::Relaxed);
                let _: OrderId = order;
                s.traded.fetch_add(last_qty.0 as u64, Ordering::Relaxed);
                if matches!(e, Event::Fill { .. }) {
                    self.finished();
                }
            }
            Event::Replaced { order, .. } => {
                s.replaced.fetch_add(1, Ordering::Relaxed);
                self.send(h, Command::Cancel { order });
            }
            Event::Canceled { .. } => {
                s.canceled.fetch_add(1, Ordering::Relaxed);
                self.finished();
            }
            Event::Rejected { .. } => {
                s.rejected.fetch_add(1, Ordering::Relaxed);
                self.finished();
            }
            Event::CancelRejected { .. } => {
                s.rejected.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }

    fn on_tick(&mut self, _now_ns: u64, h: &mut StrategyHandle) -> usize {
        if !self.up || h.free_slots() < 4 {
            return 0;
        }
        if self.park > 0 {
            // Left resting: tags from u64::MAX down, prices one tick apart.
            let tag = u64::MAX - self.park;
            let price = Price(self.price.0 - (200 + self.park as i64) * 1_000);
            h.send(self.order(tag, Side::Buy, price)).ok();
            self.park -= 1;
            return 1;
        }
        if self.started >= self.rounds || self.open > 12 {
            return 0;
        }
        let tag = self.started * 3;
        self.send(h, self.order(tag, Side::Buy, self.price));
        self.send(h, self.order(tag + 1, Side::Sell, self.price));
        if self.started % 10 == 9 {
            self.parked_tag = Some(tag + 2);
            self.send(
                h,
                self.order(tag + 2, Side::Buy, Price(self.price.0 - 100 * 1_000)),
            );
        }
        self.started += 1;
        1
    }

    fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().collect();
    let config = arg(&args, "--config")
        .ok_or("usage: crossing --config FILE [--session NAME] [--rounds N]")?;
    let rounds: u64 = arg(&args, "--rounds")
        .map(|r| {
            r.parse()
                .map_err(|_| format!("--rounds: not a number: {r}"))
        })
        .transpose()?
        .unwrap_or(1000);
    let cfg = fixrail::config::load(std::path::Path::new(&config)).map_err(|e| e.to_string())?;
    let session = match arg(&args, "--session") {
        Some(s) => s,
        None => cfg
            .sessions
            .iter()
            .find(|s| s.role == fixrail::config::Role::Initiator)
            .map(|s| s.name.clone())
            .ok_or(format!("{config}: no initiator [[session]] to trade on"))?,
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&cfg.engine.log_level)
                .map_err(|e| format!("{config}: engine.log_level: {e}"))?,
        )
        .with_writer(std::io::stderr)
        .init();
    let spec = engine_spec(&cfg)?;
    let instrument = spec
        .trading
        .instruments
        .iter()
        .next()
        .ok_or(format!("{config}: no [[instrument]] to trade"))?
        .clone();
    let mut engine = Engine::new(spec, fixrail::clock::SystemClock).map_err(|e| e.to_string())?;
    let handle = engine
        .attach_strategy(&session)
        .map_err(|e| e.to_string())?;
    let stats = Arc::new(Stats::default());
    let done = Arc::new(AtomicBool::new(false));
    let strategy = Crossing {
        instrument: instrument.id,
        price: instrument.reference_price,
        qty: instrument.lot_size,
        rounds,
        started: 0,
        open: 0,
        up: false,
        parked_tag: None,
        park: arg(&args, "--park")
            .map(|p| p.parse().map_err(|_| format!("--park: not a number: {p}")))
            .transpose()?
            .unwrap_or(0),
        stats: Arc::clone(&stats),
        done: Arc::clone(&done),
    };
    let cores = &cfg.engine.cores;
    let placement = if cores.len() >= 2 {
        Placement::Threads(vec![
            ThreadPlacement::new(["engine"]).on_core(cores[0]),
            ThreadPlacement::new(["crossing"]).on_core(cores[1]),
        ])
    } else {
        Placement::OneThread {
            core: cores.first().copied(),
        }
    };
    let runtime = Runtime::new(
        RuntimeConfig::new(placement)
            .named("trader")
            .with_idle(Idle::from(cfg.engine.idle)),
    )
    .with(EngineAgent::new(engine))
    .with(StrategyAgent::new("crossing", strategy, handle));
    let clock = fixrail::clock::MonotonicClock::new();
    let started = clock.now();
    let rt = runtime.start().map_err(|e| e.to_string())?;
    let stop = rt.stop_flag();
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(|e| e.to_string())?;
    }
    let mut last = 0;
    while !done.load(Ordering::Acquire) && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(std::time::Duration::from_millis(200));
        let fills = stats.fills.load(Ordering::Relaxed);
        if fills != last {
            eprintln!(
                "crossing: {} orders sent, {} fills",
                stats.sent.load(Ordering::Relaxed),
                fills
            );
            last = fills;
        }
    }
    let elapsed = std::time::Duration::from_nanos(clock.now().nanos_since(started));
    rt.shutdown().map_err(|e| e.to_string())?;
    let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!(
        "crossing on {} ({}): {} rounds in {:.2} s: {} orders sent, {} accepted, {} fills, {} replaced, {} canceled, {} rejected; {} units traded",
        session,
        instrument.symbol,
        rounds,
        elapsed.as_secs_f64(),
        l(&stats.sent),
        l(&stats.accepted),
        l(&stats.fills),
        l(&stats.replaced),
        l(&stats.canceled),
        l(&stats.rejected),
        l(&stats.traded),
    );
    Ok(())
}
