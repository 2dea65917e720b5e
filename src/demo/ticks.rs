//! The tick-to-strategy run (`fixrail bench --ticks`): the venue in its own
//! engine on core 1 with its flow on, the trading engine and a subscribing
//! strategy on core 0.

use super::stages::Stages;
use super::{report, wait, DemoOptions, DemoReport, PingPong, Shared, DEMO_SESSION, EURUSD};
use crate::engine::{engine_spec, Engine, EngineAgent};
use crate::runtime::{AgentRef, Idle, Placement, Runtime, RuntimeConfig, ThreadPlacement};
use crate::strategy::StrategyAgent;
use std::sync::Arc;

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
pub(super) fn run_ticks(dir: &std::path::Path, opts: &DemoOptions) -> Result<DemoReport, String> {
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
