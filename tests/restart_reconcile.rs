//! Restart in the middle of active orders: the example strategy
//! (`examples/crossing.rs`, a separate process) trades against a venue and
//! leaves orders resting; it is killed with SIGKILL mid-stream. A new engine
//! on the same journal rebuilds orders and positions by replay, logs on,
//! asks the venue for the status of every open order, and then every open
//! order and the position must match the venue — the venue's own truth read
//! from its journal (its ExecutionReports), not from fixrail's order stage.

// Deadlines for a child process are wall-clock by nature.
#![allow(clippy::disallowed_methods)]

mod common;

use common::TempDir;
use fixrail::clock::SystemClock;
use fixrail::codec::{Parser, FIELDS_MAX_DEFAULT};
use fixrail::engine::{engine_spec, Engine};
use fixrail::journal::JournalReader;
use fixrail::strategy::{InstrumentId, OrderState};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const INSTRUMENT: &str = r#"
[[instrument]]
symbol = "EUR/USD"
tick_size = "0.00001"
lot_size = 1000
reference_price = "1.08500"
max_order_qty = 50_000_000
"#;

fn crossing_bin() -> PathBuf {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_fixrail"));
    let p = bin.parent().unwrap().join("examples").join("crossing");
    assert!(
        p.exists(),
        "{} missing: cargo test builds examples",
        p.display()
    );
    p
}

fn load(path: &Path) -> Engine<SystemClock> {
    let cfg = fixrail::config::load(path).unwrap();
    Engine::new(engine_spec(&cfg).unwrap(), SystemClock).unwrap()
}

/// The venue's view of session `name`'s orders, from the ExecutionReports
/// it journaled: OrderID → (side, price, leaves, OrdStatus), and the net
/// filled quantity (buys − sells).
type VenueOrders = HashMap<Vec<u8>, (u8, i64, i64, u8)>;

fn venue_truth(journal: &Path, session: u32) -> (VenueOrders, i64, i64, i64) {
    let reader = JournalReader::open_offline(journal).unwrap();
    let mut parser = Parser::new(fixrail::codec::ParseSpec::fix44(), FIELDS_MAX_DEFAULT);
    let mut orders = HashMap::new();
    let mut net = 0i64;
    let (mut bought, mut sold) = (0i64, 0i64);
    let mut exec_ids = std::collections::HashSet::new();
    let start = fixrail::journal::Position::new(
        reader.first_segment(),
        fixrail::journal::record::SEGMENT_HEADER_LEN as u32,
    );
    for r in reader.iter_from(start).records() {
        if r.header.session != session || r.kind != fixrail::journal::record::Kind::Outbound {
            continue;
        }
        let Ok(m) = parser.parse(r.payload) else {
            continue;
        };
        if m.msg_type() != b"8" {
            continue;
        }
        let get = |t: u32| m.get(t).map(|f| f.value().to_vec()).unwrap_or_default();
        let num = |t: u32| {
            m.get(t)
                .and_then(|f| f.as_fixed().ok())
                .and_then(|f| f.mantissa_at(8))
                .unwrap_or(0)
        };
        let side = get(54).first().copied().unwrap_or(b'?');
        let exec_type = get(150).first().copied().unwrap_or(b'?');
        if exec_type == b'F' && exec_ids.insert(get(17)) {
            let q = num(32) / 100_000_000;
            net += if side == b'1' { q } else { -q };
            if side == b'1' {
                bought += q;
            } else {
                sold += q;
            }
        }
        let status = get(39).first().copied().unwrap_or(b'?');
        orders.insert(get(37), (side, num(44), num(151) / 100_000_000, status));
    }
    (orders, net, bought, sold)
}

#[test]
fn orders_and_positions_match_the_venue_after_kill9_and_reconciliation() {
    let dir = TempDir::new("restart-reconcile");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let venue_cfg = dir.path().join("venue.toml");
    std::fs::write(
        &venue_cfg,
        format!(
            "[engine]\njournal_dir = \"venue-journal\"\nidle = \"backoff\"\n\n[[session]]\nname = \"CLIENT1\"\n\
             role = \"acceptor\"\nsender_comp_id = \"VENUE\"\ntarget_comp_id = \"CLIENT1\"\n\
             listen = \"127.0.0.1:{port}\"\napplication = \"venue\"\n{INSTRUMENT}"
        ),
    )
    .unwrap();
    let trader_cfg = dir.path().join("trader.toml");
    std::fs::write(
        &trader_cfg,
        format!(
            "[engine]\njournal_dir = \"trader-journal\"\nidle = \"backoff\"\nlog_level = \"warn\"\n\n\
             [risk]\nmax_open_orders = 200\norder_rate_per_sec = 100000\norder_burst = 1000\n\n\
             [[session]]\nname = \"VENUE\"\nrole = \"initiator\"\nsender_comp_id = \"CLIENT1\"\n\
             target_comp_id = \"VENUE\"\nconnect = [\"127.0.0.1:{port}\"]\n\n[session.reconnect]\n\
             initial_ms = 100\nmax_ms = 200\n{INSTRUMENT}"
        ),
    )
    .unwrap();

    // The venue runs for the whole test on its own thread.
    let stop = Arc::new(AtomicBool::new(false));
    let venue = {
        let mut engine = load(&venue_cfg);
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                engine.turn().unwrap();
            }
            engine.begin_stop();
            while !engine.is_stopped() {
                engine.turn().unwrap();
            }
        })
    };

    // The strategy trades in its own process: 20 buys parked, then rounds
    // of crossing orders; killed with SIGKILL once it has traded a while.
    let mut child = Command::new(crossing_bin())
        .args([
            "--config",
            trader_cfg.to_str().unwrap(),
            "--rounds",
            "100000000",
            "--park",
            "20",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let progress = BufReader::new(child.stderr.take().unwrap());
    let mut fills_seen = 0u64;
    for line in progress.lines() {
        let line = line.unwrap();
        // "crossing: N orders sent, M fills"
        if let Some(f) = line
            .split(", ")
            .nth(1)
            .and_then(|s| s.strip_suffix(" fills"))
        {
            fills_seen = f.parse().unwrap_or(0);
            if fills_seen >= 500 {
                break;
            }
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(fills_seen >= 500, "the strategy never traded");

    // Restart: replay the journal, log on, reconcile.
    let mut engine = load(&trader_cfg);
    let _h = engine.attach_strategy("VENUE").unwrap();
    let replayed = engine
        .trading("VENUE")
        .unwrap()
        .orders()
        .open_order_views()
        .count();
    assert!(replayed >= 20, "replay rebuilt {replayed} open orders");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut quiet_since = Instant::now();
    let mut last = String::new();
    loop {
        if engine.do_work().unwrap() > 0 {
            quiet_since = Instant::now();
        }
        let t = engine.trading("VENUE").unwrap();
        let pending = t.orders().open_order_views().any(|o| {
            matches!(
                o.state,
                OrderState::PendingNew | OrderState::PendingCancel | OrderState::PendingReplace
            )
        });
        let up = engine.session("VENUE").unwrap().is_logged_on();
        if up && !pending && quiet_since.elapsed() > Duration::from_millis(500) {
            break;
        }
        last = format!("up {up}, pending {pending}");
        assert!(
            Instant::now() < deadline,
            "reconciliation never settled: {last}"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    let _ = last;
    let t = engine.trading("VENUE").unwrap();
    let mut ours: BTreeMap<(i64, i64), u32> = BTreeMap::new();
    for o in t.orders().open_order_views() {
        assert!(
            matches!(o.state, OrderState::New | OrderState::PartiallyFilled),
            "open order in state {:?}",
            o.state
        );
        *ours.entry((o.price.0, o.leaves_qty.0)).or_default() += 1;
    }
    let (position, bought, sold) = t
        .orders()
        .position_of(InstrumentId(0))
        .map(|p| (p.qty.0, p.bought.0, p.sold.0))
        .unwrap_or_default();
    engine.begin_stop();
    while !engine.is_stopped() {
        engine.do_work().unwrap();
    }
    drop(engine);
    stop.store(true, Ordering::Relaxed);
    venue.join().unwrap();

    let ids = std::fs::read_to_string(dir.path().join("venue-journal/sessions.ids")).unwrap();
    let session: u32 = ids
        .lines()
        .find(|l| l.ends_with(" CLIENT1"))
        .and_then(|l| l.split(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    let (venue_orders, venue_net, venue_bought, venue_sold) =
        venue_truth(&dir.path().join("venue-journal"), session);
    let mut theirs: BTreeMap<(i64, i64), u32> = BTreeMap::new();
    for &(_, price, leaves, status) in venue_orders.values() {
        if matches!(status, b'0' | b'1') {
            *theirs.entry((price, leaves)).or_default() += 1;
        }
    }
    assert_eq!(
        ours, theirs,
        "open orders (price, leaves) differ from the venue's"
    );
    assert_eq!(
        position, venue_net,
        "position differs from the venue's fills"
    );
    assert_eq!(
        (bought, sold),
        (venue_bought, venue_sold),
        "filled quantities differ from the venue's fills"
    );
    assert!(bought > 0, "nothing was bought");
    let open: u32 = ours.values().sum();
    eprintln!(
        "killed after {fills_seen} fills; {replayed} orders open after replay, {open} open after \
         reconciliation, all matching the venue; bought {bought}, sold {sold}, position {position} = the venue's"
    );
}
