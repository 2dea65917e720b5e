//! The `fixrail` command line.
//!
//! Subcommands so far (`demo` arrives with the runtime work):
//! - `fixrail run --config FILE`: run every configured session until SIGINT
//!   or SIGTERM, then log each session out, sync the journal and exit 0.
//! - `fixrail venue --config FILE`: `run` with every acceptor session running
//!   the venue simulator (`application = "venue"` whatever the file says;
//!   initiator sessions keep theirs), on the file's `[[instrument]]` tables.
//! - `fixrail dictionary check PATH`: load a QuickFIX-format dictionary and
//!   report what it holds, or the file, line and problem.
//! - `fixrail decode [--dictionary PATH] [FILE]`: frame FIX messages from a
//!   file or stdin (`|` may stand for SOH), print every field with its name,
//!   and say whether the message is valid or how a session would reject it.
//! - `fixrail journal dump PATH [--session N] [--direction in|out|seq|audit]
//!   [--seq FROM..TO] [--msg-type D] [--dictionary PATH] [--no-names]`: print
//!   a journal's records one per line (position, UTC time, session,
//!   direction, seq, MsgType, flags, and the message with named tags;
//!   passwords redacted).
//! - `fixrail journal verify PATH`: check every segment header and record
//!   CRC; exits 1 naming the segment file, offset and problem on damage.
//! - `fixrail journal stats PATH [--dictionary PATH]`: counts per direction,
//!   session and MsgType, and each session's recovered sequence state.
//!
//! The journal tools (`cli_journal`) are read-only: they map segments with
//! `JournalReader`, take no lock and never cut a torn tail, so they run beside
//! a live engine.
//!
//! Errors print `fixrail: <file>: <problem>` and exit 2.

use clap::{Parser as ClapParser, Subcommand};
use fixrail::codec::testing::{complete, show};
use fixrail::codec::{tags, FieldRef};
use fixrail::codec::{Decoded, Decoder, Framer, FramerConfig, Parser, FIELDS_MAX_DEFAULT};
use fixrail::dictionary::{Dictionary, ValidationConfig, Validator};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

mod cli_journal;
mod cli_replay;

#[derive(ClapParser)]
#[command(name = "fixrail", version, about = "A low-latency FIX 4.4 engine")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Data dictionary tools.
    Dictionary {
        #[command(subcommand)]
        command: DictionaryCommand,
    },
    /// Decode FIX messages from FILE (or stdin) and validate them.
    ///
    /// Input is raw FIX, or text with `|` for SOH, one message per line; on a
    /// text line a missing BodyLength (9) or CheckSum (10) is computed.
    /// Exits 0 when every message is valid, 1 otherwise.
    Decode {
        /// A QuickFIX-format data dictionary (default: the embedded FIX 4.4 one).
        #[arg(long, value_name = "PATH")]
        dictionary: Option<PathBuf>,
        /// The file to read; `-` or nothing reads stdin.
        file: Option<PathBuf>,
    },
    /// The main job on embedded defaults: the venue simulator and the engine
    /// in one process over loopback, a strategy trading against it, a
    /// progress line, and the order-to-ack latency report.
    Demo {
        /// Orders measured.
        #[arg(long, default_value_t = 20_000)]
        orders: u64,
        /// Orders sent first and not measured.
        #[arg(long, default_value_t = 2_000)]
        warmup: u64,
        /// Back off when idle instead of busy-spinning the two threads.
        #[arg(long)]
        no_spin: bool,
    },
    /// The latency harness: order-to-ack round trips of the real order path,
    /// ping-pong or open loop at a fixed rate (coordinated omission
    /// corrected), with HDR percentiles, .hgrm files and a plot.
    ///
    /// Without --config it runs against the embedded venue (as `demo`);
    /// with --config and --session, against any acceptor that session
    /// connects to (`fixrail venue`, a QuickFIX acceptor). --compare adds,
    /// in the same run, a raw busy-polled TCP ping-pong (the floor) and a
    /// QuickFIX C++ initiator against the same embedded venue, and prints a
    /// machine-readable RESULT line.
    Bench {
        /// A config with an initiator session to measure.
        #[arg(long, value_name = "FILE", requires = "session")]
        config: Option<PathBuf>,
        /// The initiator session of --config.
        #[arg(long, value_name = "NAME")]
        session: Option<String>,
        /// Orders measured.
        #[arg(long, default_value_t = 20_000)]
        orders: u64,
        /// Orders sent first and not measured.
        #[arg(long, default_value_t = 2_000)]
        warmup: u64,
        /// Open loop at this many orders per second (default: ping-pong).
        #[arg(long, value_name = "R")]
        rate: Option<u64>,
        /// Write .hgrm files, latency.svg and run.md here.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Measure the floor and QuickFIX C++ in the same run.
        #[arg(long)]
        compare: bool,
        /// Back off when idle instead of busy-spinning.
        #[arg(long)]
        no_spin: bool,
        /// Instead of latency: inbound messages per second of one session
        /// (frame, parse, validate, sequence, journal), N messages written
        /// one per write() and then coalesced.
        #[arg(long, value_name = "N", conflicts_with_all = ["config", "compare", "rate"])]
        throughput: Option<u64>,
        /// Instead of orders: tick-to-strategy latency. The embedded venue's
        /// synthetic flow moves the EUR/USD book (--flow-rate actions per
        /// second), the strategy subscribes to its top of book, and each
        /// TopOfBook is timed from the engine's read() of the W/X that made
        /// it; N ticks measured after --warmup.
        #[arg(long, value_name = "N", conflicts_with_all = ["config", "compare", "rate", "throughput"])]
        ticks: Option<u64>,
        /// The venue's flow rate for --ticks (actions per second).
        #[arg(long, value_name = "R", default_value_t = 20_000, requires = "ticks")]
        flow_rate: u64,
    },
    /// Run every session of a config file until SIGINT or SIGTERM.
    ///
    /// On the signal, each logged-on session sends Logout and waits for the
    /// answer (up to its logout_timeout_secs), the journal is synced, and the
    /// process exits 0. Session events are logged to stderr, one line each.
    Run {
        /// The TOML config file (see docs/CONFIG.md).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Run the venue simulator: `run` with every acceptor session matching
    /// orders on the config's [[instrument]] books.
    ///
    /// Every acceptor session runs the venue application, whatever its
    /// `application` key says; initiator sessions run as configured. The
    /// file needs at least one acceptor and one [[instrument]]. Stops on
    /// SIGINT or SIGTERM as `run` does.
    Venue {
        /// The TOML config file (see docs/CONFIG.md).
        #[arg(long, value_name = "FILE")]
        config: PathBuf,
    },
    /// Replay a trading session's market data from its journal into fresh
    /// books (deterministic: the same journal gives the same books and
    /// hashes), at the captured pace, N times faster, or `max`.
    Replay(cli_replay::ReplayArgs),
    /// Read-only journal tools: dump, verify, stats.
    Journal {
        #[command(subcommand)]
        command: cli_journal::JournalCommand,
    },
}

#[derive(Subcommand)]
enum DictionaryCommand {
    /// Load a dictionary and report its contents or the first problem.
    Check {
        /// The dictionary file.
        path: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Dictionary {
            command: DictionaryCommand::Check { path },
        } => check_dictionary(&path),
        Command::Decode { dictionary, file } => decode(dictionary.as_deref(), file.as_deref()),
        Command::Journal { command } => cli_journal::run(command),
        Command::Replay(args) => cli_replay::run(&args),
        Command::Run { config } => run(&config, false),
        Command::Demo {
            orders,
            warmup,
            no_spin,
        } => demo(orders, warmup, !no_spin),
        Command::Bench {
            throughput: Some(n),
            ..
        } => throughput(n),
        Command::Bench {
            ticks: Some(n),
            flow_rate,
            warmup,
            no_spin,
            out,
            ..
        } => ticks(n, warmup, flow_rate, !no_spin, out),
        Command::Bench {
            config,
            session,
            orders,
            warmup,
            rate,
            out,
            compare,
            no_spin,
            throughput: None,
            ticks: None,
            flow_rate: _,
        } => bench(BenchArgs {
            config,
            session,
            orders,
            warmup,
            rate,
            out,
            compare,
            spin: !no_spin,
        }),
        Command::Venue { config } => run(&config, true),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("fixrail: {message}");
            ExitCode::from(2)
        }
    }
}

fn demo(orders: u64, warmup: u64, spin: bool) -> Result<ExitCode, String> {
    if orders == 0 {
        return Err("demo: --orders: must be at least 1".into());
    }
    eprintln!(
        "demo: venue and engine in one process over loopback; {warmup} warm-up orders, then {orders} measured ({})",
        if spin { "busy-spinning" } else { "backing off when idle" }
    );
    let r = fixrail::demo::run(&fixrail::demo::DemoOptions {
        orders,
        warmup,
        spin,
        rate: None,
        quickfix: None,
        ticks: None,
        flow_rate: 0,
    })?;
    let h = &r.order_to_ack;
    let us = |v: u64| v as f64 / 1000.0;
    println!("order-to-ack round trip (strategy ring → risk → order → session → journal → socket → venue → socket → session → order → event ring):");
    println!(
        "  p50 {:.1} µs   p90 {:.1} µs   p99 {:.1} µs   p99.9 {:.1} µs   p99.99 {:.1} µs   max {:.1} µs",
        us(h.value_at_quantile(0.5)),
        us(h.value_at_quantile(0.9)),
        us(h.value_at_quantile(0.99)),
        us(h.value_at_quantile(0.999)),
        us(h.value_at_quantile(0.9999)),
        us(h.max())
    );
    print_stages(&r);
    println!(
        "  {} orders measured in {:.2} s ({:.0} orders/s, one in flight), {} fills, {} rejects",
        h.len(),
        r.elapsed_ns as f64 / 1e9,
        h.len() as f64 / (r.elapsed_ns.max(1) as f64 / 1e9),
        r.fills,
        r.rejects
    );
    Ok(ExitCode::SUCCESS)
}

fn throughput(n: u64) -> Result<ExitCode, String> {
    if n == 0 {
        return Err("bench: --throughput: must be at least 1 message".into());
    }
    let dir = std::env::temp_dir().join(format!("fixrail-throughput-{}", std::process::id()));
    for coalesce in [false, true] {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let r = fixrail::harness::throughput::inbound(&dir, n, coalesce);
        let _ = std::fs::remove_dir_all(&dir);
        let r = r?;
        println!(
            "inbound, {}: {} messages in {:.3} s = {:.0} messages/s ({:.0} bytes per write)",
            if coalesce {
                "coalesced writes"
            } else {
                "one write per message"
            },
            r.messages,
            r.seconds,
            r.per_second,
            r.bytes_per_write
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `fixrail bench --ticks N`: tick-to-strategy latency.
fn ticks(
    n: u64,
    warmup: u64,
    flow_rate: u64,
    spin: bool,
    out: Option<PathBuf>,
) -> Result<ExitCode, String> {
    use fixrail::harness::report::{write_hgrm, Percentiles};
    if n == 0 {
        return Err("bench: --ticks: must be at least 1".into());
    }
    if flow_rate == 0 {
        return Err("bench: --flow-rate: must be at least 1 action per second".into());
    }
    eprintln!(
        "bench: tick to strategy, {n} top-of-book events after {warmup} warm-up, venue flow {flow_rate} actions/s, {}",
        if spin { "busy-spinning" } else { "backing off when idle" }
    );
    let r = fixrail::demo::run(&fixrail::demo::DemoOptions {
        orders: 0,
        warmup,
        spin,
        rate: None,
        quickfix: None,
        ticks: Some(n),
        flow_rate,
    })?;
    let us = |v: u64| v as f64 / 1000.0;
    println!("tick to strategy (µs):");
    let mut result = String::from("RESULT");
    for (name, key, h) in [
        (
            "read() → TopOfBook in the strategy's ring",
            "tick_event",
            &r.tick_to_event,
        ),
        (
            "read() → strategy has the TopOfBook",
            "tick_strategy",
            &r.tick_to_strategy,
        ),
    ] {
        let p = Percentiles::from_histogram(h);
        println!(
            "  {name:<42} p50 {:>6.2}  p90 {:>6.2}  p99 {:>7.2}  p99.9 {:>8.2}  max {:>9.1}  ({} samples)",
            us(p.p50), us(p.p90), us(p.p99), us(p.p999), us(p.max), p.count
        );
        result += &format!(
            " {key}_p50_us={:.2} {key}_p99_us={:.2}",
            us(p.p50),
            us(p.p99)
        );
        if let Some(dir) = &out {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            write_hgrm(h, &dir.join(format!("{key}.hgrm")), 1000.0).map_err(|e| e.to_string())?;
        }
    }
    println!(
        "  {} TopOfBook events in {:.2} s",
        r.ticks,
        r.elapsed_ns as f64 / 1e9
    );
    println!("{result}");
    Ok(ExitCode::SUCCESS)
}

/// The engine's internal stage latencies, from the stage probes.
fn print_stages(r: &fixrail::demo::DemoReport) {
    let us = |v: u64| v as f64 / 1000.0;
    for (name, h) in [
        ("strategy ring → write()", &r.ring_to_write),
        ("read() → event ring", &r.read_to_ring),
        ("tick: read() → TopOfBook in ring", &r.tick_to_event),
        ("tick: read() → strategy has TopOfBook", &r.tick_to_strategy),
    ] {
        if h.is_empty() {
            continue;
        }
        println!(
            "  stage {name}: p50 {:.2} µs  p99 {:.2} µs  p99.9 {:.2} µs  max {:.1} µs  ({} samples)",
            us(h.value_at_quantile(0.5)),
            us(h.value_at_quantile(0.99)),
            us(h.value_at_quantile(0.999)),
            us(h.max()),
            h.len()
        );
    }
}

struct BenchArgs {
    config: Option<PathBuf>,
    session: Option<String>,
    orders: u64,
    warmup: u64,
    rate: Option<u64>,
    out: Option<PathBuf>,
    compare: bool,
    spin: bool,
}

fn bench(a: BenchArgs) -> Result<ExitCode, String> {
    use fixrail::harness::report::{write_hgrm, write_svg_plot, Percentiles};
    if a.orders == 0 {
        return Err("bench: --orders: must be at least 1".into());
    }
    if a.rate == Some(0) {
        return Err("bench: --rate: must be at least 1 order per second".into());
    }
    if a.compare && a.config.is_some() {
        return Err("bench: --compare runs against the embedded venue; leave out --config".into());
    }
    if let Some(dir) = &a.out {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // The floor first, alone on the machine: two threads busy-polling a
    // loopback TCP socket with a NewOrderSingle-sized message.
    let floor = if a.compare {
        eprintln!("bench: floor: raw busy-polled TCP ping-pong, 200-byte messages");
        Some(
            fixrail::harness::floor::tcp_floor(200, a.orders as usize, a.warmup as usize)
                .map_err(|e| format!("floor: {e}"))?,
        )
    } else {
        None
    };
    let quickfix = if a.compare {
        let bin = PathBuf::from("target/qfbench");
        let status = std::process::Command::new("bash")
            .arg("tools/qfbench/build.sh")
            .arg(&bin)
            .status()
            .map_err(|e| format!("tools/qfbench/build.sh: {e}"))?;
        if !status.success() {
            return Err("tools/qfbench/build.sh failed (libquickfix-dev installed?)".into());
        }
        Some(fixrail::demo::QuickFixRun {
            binary: bin,
            dictionary: PathBuf::from("config/dictionaries/FIX44.xml"),
        })
    } else {
        None
    };
    let opts = fixrail::demo::DemoOptions {
        orders: a.orders,
        warmup: a.warmup,
        spin: a.spin,
        rate: a.rate,
        quickfix,
        ticks: None,
        flow_rate: 0,
    };
    eprintln!(
        "bench: fixrail, {} orders after {} warm-up, {}",
        a.orders,
        a.warmup,
        match a.rate {
            Some(r) => format!("open loop at {r}/s"),
            None => "ping-pong".into(),
        }
    );
    let r = match (&a.config, &a.session) {
        (Some(c), Some(s)) => fixrail::demo::run_with_config(c, s, &opts, None)?,
        _ => fixrail::demo::run(&opts)?,
    };
    let us = |v: u64| v as f64 / 1000.0;
    let line = |name: &str, h: &hdrhistogram::Histogram<u64>| {
        let p = Percentiles::from_histogram(h);
        println!(
            "{name:<9} p50 {:>8.1}  p90 {:>8.1}  p99 {:>8.1}  p99.9 {:>8.1}  p99.99 {:>8.1}  max {:>9.1} µs  ({} samples)",
            us(p.p50), us(p.p90), us(p.p99), us(p.p999), us(p.p9999), us(p.max), p.count
        );
        p
    };
    println!("order-to-ack round trip (µs):");
    let fx = line("fixrail", &r.order_to_ack);
    print_stages(&r);
    if r.rejects > 0 {
        println!("fixrail: {} orders rejected (not timed)", r.rejects);
    }
    let fl = floor.as_ref().map(|h| line("floor", h));
    let qf = r.quickfix.as_ref().map(|h| line("quickfix", h));
    if let Some(f) = &fl {
        println!(
            "fixrail − floor: p50 +{:.1} µs, p99 +{:.1} µs",
            us(fx.p50.saturating_sub(f.p50)),
            us(fx.p99.saturating_sub(f.p99))
        );
    }
    if let Some(q) = &qf {
        println!(
            "QuickFIX / fixrail: p50 {:.1}×, p99 {:.1}×",
            q.p50 as f64 / fx.p50.max(1) as f64,
            q.p99 as f64 / fx.p99.max(1) as f64
        );
    }
    if let Some(dir) = &a.out {
        let mut series: Vec<(&str, &hdrhistogram::Histogram<u64>)> =
            vec![("fixrail", &r.order_to_ack)];
        write_hgrm(&r.order_to_ack, &dir.join("fixrail.hgrm"), 1000.0)
            .map_err(|e| e.to_string())?;
        if let Some(h) = &floor {
            write_hgrm(h, &dir.join("floor.hgrm"), 1000.0).map_err(|e| e.to_string())?;
            series.push(("floor (raw TCP)", h));
        }
        if let Some(h) = &r.quickfix {
            write_hgrm(h, &dir.join("quickfix.hgrm"), 1000.0).map_err(|e| e.to_string())?;
            series.push(("QuickFIX C++", h));
        }
        write_svg_plot(&series, &dir.join("latency.svg")).map_err(|e| e.to_string())?;
        eprintln!(
            "bench: wrote .hgrm files and latency.svg to {}",
            dir.display()
        );
    }
    let mut result = format!(
        "RESULT fixrail_p50_us={:.1} fixrail_p99_us={:.1}",
        us(fx.p50),
        us(fx.p99)
    );
    if let Some(f) = &fl {
        result += &format!(
            " floor_p50_us={:.1} floor_p99_us={:.1}",
            us(f.p50),
            us(f.p99)
        );
    }
    if let Some(q) = &qf {
        result += &format!(
            " quickfix_p50_us={:.1} quickfix_p99_us={:.1}",
            us(q.p50),
            us(q.p99)
        );
    }
    result += &format!(" orders={}", a.orders);
    println!("{result}");
    Ok(ExitCode::SUCCESS)
}

/// `fixrail run`, or with `venue` `fixrail venue`.
fn run(path: &std::path::Path, venue: bool) -> Result<ExitCode, String> {
    use fixrail::config::{Application, Role};
    let mut cfg = fixrail::config::load(path).map_err(|e| e.to_string())?;
    if venue {
        let mut acceptors = 0;
        for s in cfg.sessions.iter_mut().filter(|s| s.role == Role::Acceptor) {
            s.application = Application::Venue;
            acceptors += 1;
        }
        if acceptors == 0 {
            return Err(format!(
                "{}: session: fixrail venue needs at least one acceptor [[session]] to serve",
                path.display()
            ));
        }
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&cfg.engine.log_level).map_err(|e| {
        format!(
            "{}: engine.log_level: {e} (found {:?})",
            path.display(),
            cfg.engine.log_level
        )
    })?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let spec = fixrail::engine::engine_spec(&cfg)?;
    if let Some(v) = &spec.venue {
        let symbols: Vec<&str> = v.instruments.iter().map(|i| i.symbol.as_str()).collect();
        tracing::info!(instruments = ?symbols, "venue simulator");
    }
    let engine = fixrail::engine::Engine::new(spec, fixrail::clock::SystemClock)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for a in engine.listen_addrs() {
        tracing::info!(addr = %a, "accepting connections");
    }
    // The engine runs as an agent on one thread, pinned to the first of
    // engine.cores when given, waiting per engine.idle.
    use fixrail::runtime::{Idle, Placement, Runtime, RuntimeConfig};
    let placement = Placement::OneThread {
        core: cfg.engine.cores.first().copied(),
    };
    let runtime = Runtime::new(
        RuntimeConfig::new(placement)
            .named("engine")
            .with_idle(Idle::from(cfg.engine.idle)),
    )
    .with(fixrail::engine::EngineAgent::new(engine));
    let handle = runtime
        .start()
        .map_err(|e| format!("{}: engine.cores: {e}", path.display()))?;
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, handle.stop_flag())
            .map_err(|e| format!("cannot install the signal handler: {e}"))?;
    }
    handle.join().map_err(|e| e.to_string())?;
    Ok(ExitCode::SUCCESS)
}

fn load_dictionary(path: Option<&std::path::Path>) -> Result<Dictionary, String> {
    match path {
        Some(p) => Dictionary::from_file(p).map_err(|e| e.to_string()),
        None => Ok(Dictionary::fix44()),
    }
}

fn check_dictionary(path: &std::path::Path) -> Result<ExitCode, String> {
    let d = load_dictionary(Some(path))?;
    let groups: usize = d.messages().iter().map(|m| m.body.groups.len()).sum();
    println!(
        "{}: {} with {} fields, {} messages ({} admin), {} top-level repeating groups",
        d.origin(),
        d.begin_string(),
        d.fields().len(),
        d.messages().len(),
        d.messages().iter().filter(|m| m.admin).count(),
        groups
    );
    Ok(ExitCode::SUCCESS)
}

fn decode(
    dictionary: Option<&std::path::Path>,
    file: Option<&std::path::Path>,
) -> Result<ExitCode, String> {
    let dict = load_dictionary(dictionary)?;
    let mut input = Vec::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            input = std::fs::read(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?;
        }
        _ => {
            std::io::stdin()
                .read_to_end(&mut input)
                .map_err(|e| format!("stdin: cannot read: {e}"))?;
        }
    }
    // Readable input: '|' for SOH, one message per line; a line without
    // BodyLength or CheckSum gets them computed (given ones are kept).
    if !input.contains(&0x01) {
        input = input
            .split(|&b| b == b'\n')
            .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
            .filter(|line| !line.is_empty())
            .flat_map(|line| {
                let raw: Vec<u8> = line
                    .iter()
                    .map(|&b| if b == b'|' { 0x01 } else { b })
                    .collect();
                complete(&raw)
            })
            .collect();
    }
    let framer = Framer::new(FramerConfig {
        message_size_max: 1 << 20,
    });
    let mut decoder = Decoder::new(
        framer,
        Parser::new(dict.parse_spec().clone(), FIELDS_MAX_DEFAULT * 8),
    );
    let mut validator = Validator::new(&dict, ValidationConfig::default());
    let (mut valid, mut invalid) = (0usize, 0usize);
    let mut buf = &input[..];
    while !buf.is_empty() && buf != [0x01] {
        match decoder.decode(buf) {
            Decoded::Message(msg, len) => {
                let line: String = msg
                    .fields()
                    .iter()
                    .map(|f| {
                        format!(
                            "{}={}|",
                            String::from_utf8_lossy(f.tag_text()),
                            shown_value(&f)
                        )
                    })
                    .collect();
                println!("{line}");
                for f in msg.fields().iter() {
                    let def = dict.field(f.tag());
                    let name = def.map_or("?", |d| &*d.name);
                    let meaning = def.and_then(|d| d.describe(f.value())).unwrap_or("");
                    let value = shown_value(&f);
                    println!(
                        "  {:>5} {:<24} {}{}{}",
                        String::from_utf8_lossy(f.tag_text()),
                        name,
                        value,
                        if meaning.is_empty() { "" } else { "  " },
                        meaning
                    );
                }
                match validator.validate(&dict, &msg) {
                    Ok(()) => {
                        valid += 1;
                        println!("  => valid");
                    }
                    Err(r) => {
                        invalid += 1;
                        let tag = r
                            .ref_tag
                            .map(|t| format!(" 371={}", String::from_utf8_lossy(t.as_bytes())))
                            .unwrap_or_default();
                        println!(
                            "  => reject 373={}{tag} ({})",
                            r.reason.code(),
                            r.reason.text()
                        );
                    }
                }
                buf = &buf[len..];
            }
            Decoded::NeedMore => {
                invalid += 1;
                println!(
                    "incomplete message at the end of the input ({} bytes)",
                    buf.len()
                );
                break;
            }
            Decoded::Garbled { skip, reason } => {
                invalid += 1;
                println!("garbled, {skip} bytes ignored: {}", reason.as_str());
                buf = &buf[skip..];
            }
            Decoded::Unparseable { skip, error } => {
                invalid += 1;
                println!("unparseable, {skip} bytes ignored: {error}");
                buf = &buf[skip..];
            }
        }
    }
    println!("{valid} valid, {invalid} invalid");
    Ok(if invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A field's value for display: passwords are never shown.
fn shown_value(f: &FieldRef<'_>) -> String {
    if matches!(f.tag(), tags::PASSWORD | tags::NEW_PASSWORD) {
        "<redacted>".to_string()
    } else {
        show(f.value())
    }
}
