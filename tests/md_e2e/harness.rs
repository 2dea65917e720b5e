//! The rig for the market-data end-to-end tests: `fixrail`'s venue (with
//! its seeded synthetic flow) and a trading session in one engine over
//! loopback, optionally through a TCP proxy the test can cut; a strategy
//! whose mirror of each book is built only from its events; and the
//! checks that hold the mirror to the engine's book and the engine's book
//! to the venue's.
//!
//! The engine runs on a clock the test can pause. The venue's flow is due
//! a number of actions per elapsed second of the engine's clock, so a
//! paused clock stops the flow: once every message each side sent has
//! been read by the other ([`Rig::quiesce`]), the three books must agree
//! exactly.

use crate::common::TempDir;
use fixrail::clock::{Clock, SystemClock};
use fixrail::codec::{Fixed, UtcTimestamp};
use fixrail::engine::Engine;
use fixrail::md::{BookSide, SubState};
use fixrail::strategy::{
    Command, Event, InstrumentId, MdEntryTypes, OrdType, Price, Qty, Side, StaleCause,
    StrategyHandle, TimeInForce, TopOfBook,
};
use fixrail::venue::book::Side as VenueSide;
use fixrail::venue::{SharedVenue, Venue, VenueSpec};
use std::cell::Cell;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const EURUSD: InstrumentId = InstrumentId(0);
pub const USDJPY: InstrumentId = InstrumentId(1);
pub const GBPUSD: InstrumentId = InstrumentId(2);
pub const SYMBOLS: [&str; 3] = ["EUR/USD", "USD/JPY", "GBP/USD"];

/// EUR/USD's tick in `Price` units (0.00001).
pub const EURUSD_TICK: i64 = 1_000;
/// EUR/USD's lot.
pub const EURUSD_LOT: i64 = 1_000;

/// The config file the rig writes into its directory (and the engine runs
/// with, apart from `ring_capacity`).
pub const CONFIG_FILE: &str = "md-e2e.toml";

/// How long any wait may take before the test fails.
const WAIT: Duration = Duration::from_secs(8);

// ---------------------------------------------------------------------
// A clock the test can stop
// ---------------------------------------------------------------------

/// The system clock minus the time spent paused: while paused it reads
/// the instant it was paused at, and it resumes from there (so the flow
/// neither runs while paused nor catches up afterwards).
#[derive(Debug, Default)]
pub struct PauseClock {
    offset: Cell<i64>,
    frozen: Cell<Option<i64>>,
}

impl PauseClock {
    fn real() -> i64 {
        SystemClock.now().unix_nanos()
    }

    /// Stops the clock (no-op when stopped).
    pub fn pause(&self) {
        if self.frozen.get().is_none() {
            self.frozen.set(Some(Self::real() - self.offset.get()));
        }
    }

    /// Starts it again from where it stopped.
    pub fn resume(&self) {
        if let Some(t) = self.frozen.take() {
            self.offset.set(Self::real() - t);
        }
    }
}

impl Clock for PauseClock {
    fn now(&self) -> UtcTimestamp {
        UtcTimestamp::from_unix_nanos(
            self.frozen
                .get()
                .unwrap_or_else(|| Self::real() - self.offset.get()),
        )
    }
}

// ---------------------------------------------------------------------
// A TCP proxy that can be cut
// ---------------------------------------------------------------------

/// Forwards every connection made to `port` to the venue's port, both ways,
/// with blocking threads (no spinning). [`Proxy::cut`] shuts down every
/// connection through it; new ones are accepted and forwarded again.
pub struct Proxy {
    pub port: u16,
    live: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    /// Bytes from the venue are read and thrown away.
    drop_downstream: Arc<AtomicBool>,
}

impl Proxy {
    pub fn start(upstream: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let live = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let drop_downstream = Arc::new(AtomicBool::new(false));
        let (l, s, dd) = (
            Arc::clone(&live),
            Arc::clone(&stop),
            Arc::clone(&drop_downstream),
        );
        std::thread::spawn(move || {
            for down in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(down) = down else { continue };
                let Ok(up) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                let _ = down.set_nodelay(true);
                let _ = up.set_nodelay(true);
                let mut list = l.lock().unwrap();
                list.push(down.try_clone().unwrap());
                list.push(up.try_clone().unwrap());
                drop(list);
                let (d2, u2) = (down.try_clone().unwrap(), up.try_clone().unwrap());
                dd.store(false, Ordering::SeqCst);
                let never = Arc::new(AtomicBool::new(false));
                std::thread::spawn(move || pump(down, up, &never));
                let dd = Arc::clone(&dd);
                std::thread::spawn(move || pump(u2, d2, &dd));
            }
        });
        Proxy {
            port,
            live,
            stop,
            drop_downstream,
        }
    }

    /// From now until the next connection, what the venue sends is lost
    /// (read and thrown away at a chunk boundary; a message cut in two
    /// stays half-read until the connection is cut).
    pub fn lose_downstream(&self) {
        self.drop_downstream.store(true, Ordering::SeqCst);
    }

    /// Drops every connection through the proxy (both ends see the close).
    pub fn cut(&self) {
        for s in self.live.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.cut();
        // Wake the accept loop so it sees the stop.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, lose: &AtomicBool) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !lose.load(Ordering::SeqCst) && to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

// ---------------------------------------------------------------------
// The strategy's mirror
// ---------------------------------------------------------------------

/// One level as the events told it: (price, qty, orders).
pub type Lvl = (Price, Qty, u32);

/// What one instrument's events say its book is.
#[derive(Debug, Default, Clone)]
pub struct Mirror {
    /// `BookLevel`s applied, per side (bid, ask): a slot per level.
    pub levels: [Vec<Option<Lvl>>; 2],
    /// The last `TopOfBook`.
    pub top: TopOfBook,
    pub live: bool,
    pub tops: u64,
    pub stale: Vec<StaleCause>,
    pub lives: u64,
    pub trades: Vec<(Price, Qty)>,
    pub rejects: Vec<u8>,
}

impl Mirror {
    /// The side's levels best first; panics on a hole (a level shown
    /// beyond an empty one: the events contradict each other).
    pub fn side(&self, k: usize) -> Vec<Lvl> {
        let v = &self.levels[k];
        let n = v.iter().take_while(|l| l.is_some()).count();
        assert!(
            v[n..].iter().all(Option::is_none),
            "the mirror has a hole: {v:?}"
        );
        v[..n].iter().map(|l| l.unwrap()).collect()
    }

    fn clear(&mut self) {
        for s in &mut self.levels {
            s.iter_mut().for_each(|l| *l = None);
        }
        self.top = TopOfBook {
            instrument: self.top.instrument,
            ..TopOfBook::default()
        };
    }
}

/// What a subscription asked.
#[derive(Debug, Clone, Copy)]
pub struct Sub {
    pub depth: u16,
    pub aggregated: bool,
    pub entries: MdEntryTypes,
}

// ---------------------------------------------------------------------
// The rig
// ---------------------------------------------------------------------

/// How to build the rig.
#[derive(Debug, Clone, Copy)]
pub struct Setup {
    pub name: &'static str,
    /// `[venue] flow_rate_per_sec`.
    pub flow_rate_per_sec: u64,
    pub flow_seed: u64,
    /// `[venue] md_keying`.
    pub keying: &'static str,
    /// Symbols the engine knows but the venue is built without.
    pub venue_lacks: &'static [&'static str],
    /// Symbols the venue runs no flow on (only the strategy's orders
    /// move them).
    pub no_flow: &'static [&'static str],
    /// Connect DESK through a [`Proxy`].
    pub proxy: bool,
    /// The strategy's ring capacity (commands and events).
    pub ring_capacity: usize,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            name: "md-e2e",
            flow_rate_per_sec: 2000,
            flow_seed: 7,
            keying: "price",
            venue_lacks: &[],
            no_flow: &[],
            proxy: false,
            ring_capacity: 4096,
        }
    }
}

/// Checks made, for the test to prove it looked.
#[derive(Debug, Default, Clone, Copy)]
pub struct Checks {
    /// `TopOfBook` events checked against the mirror (arithmetic included).
    pub tops: u64,
    /// Turns after which the mirror was compared with the engine's book.
    pub mirror_vs_engine: u64,
    /// Quiescent points where the engine's book was compared with the venue's.
    pub engine_vs_venue: u64,
}

pub struct Rig {
    pub engine: Engine<Rc<PauseClock>>,
    pub h: StrategyHandle,
    pub clock: Rc<PauseClock>,
    pub venue: SharedVenue,
    pub proxy: Option<Proxy>,
    pub mirrors: Vec<Mirror>,
    pub subs: Vec<Option<Sub>>,
    /// Every non-market-data event, in order.
    pub others: Vec<Event>,
    pub checks: Checks,
    /// The rig's directory: the config file (`md-e2e.toml`) and the
    /// journal (`journal/`) the engine writes.
    #[allow(dead_code)] // read by tests/replay_live.rs, not by md_e2e
    pub dir: TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Rig {
    pub fn new(setup: Setup) -> Rig {
        let dir = TempDir::new(setup.name);
        let port = free_port();
        let proxy = setup.proxy.then(|| Proxy::start(port));
        let connect = proxy.as_ref().map_or(port, |p| p.port);
        let text = format!(
            r#"
[engine]
journal_dir = "journal"
idle = "busy-spin"

[risk]
max_open_orders = 1000
order_rate_per_sec = 1000000
order_burst = 100000

[venue]
max_resting_orders_per_instrument = 4096
flow_rate_per_sec = {rate}
flow_seed = {seed}
md_keying = "{keying}"

[[session]]
name = "VENUE"
role = "acceptor"
sender_comp_id = "VENUE"
target_comp_id = "DESK"
listen = "127.0.0.1:{port}"
application = "venue"

[[session]]
name = "DESK"
role = "initiator"
sender_comp_id = "DESK"
target_comp_id = "VENUE"
connect = ["127.0.0.1:{connect}"]

[session.reconnect]
initial_ms = 20
max_ms = 100

[[instrument]]
symbol = "EUR/USD"
tick_size = "0.00001"
lot_size = 1000
reference_price = "1.08500"
max_order_qty = 10_000_000

[[instrument]]
symbol = "USD/JPY"
tick_size = "0.001"
lot_size = 1000
reference_price = "150.000"

[[instrument]]
symbol = "GBP/USD"
tick_size = "0.00001"
lot_size = 1000
reference_price = "1.27000"
stale_after_ms = 200
"#,
            rate = setup.flow_rate_per_sec,
            seed = setup.flow_seed,
            keying = setup.keying,
        );
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(&path, text).unwrap();
        let cfg = fixrail::config::load(&path).unwrap();
        let mut spec = fixrail::engine::engine_spec(&cfg).unwrap();
        spec.trading.ring_capacity = setup.ring_capacity;
        let clock = Rc::new(PauseClock::default());
        let mut engine = Engine::new(spec, Rc::clone(&clock)).unwrap();
        // The venue behind VENUE is one the test holds, to read its book.
        let mut vspec = VenueSpec::from_config(&cfg).unwrap();
        vspec
            .instruments
            .retain(|i| !setup.venue_lacks.contains(&i.symbol.as_str()));
        for i in &mut vspec.instruments {
            if setup.no_flow.contains(&i.symbol.as_str()) {
                i.reference_price = None;
            }
        }
        let venue = Venue::shared(Venue::new(vspec, clock.now()).unwrap());
        assert!(engine.set_application("VENUE", Box::new(Venue::attach(&venue, "VENUE"))));
        let h = engine.attach_strategy("DESK").unwrap();
        let mirrors = (0..SYMBOLS.len())
            .map(|i| Mirror {
                top: TopOfBook {
                    instrument: InstrumentId(i as u16),
                    ..TopOfBook::default()
                },
                ..Mirror::default()
            })
            .collect();
        Rig {
            engine,
            h,
            clock,
            venue,
            proxy,
            mirrors,
            subs: vec![None; SYMBOLS.len()],
            others: Vec::new(),
            checks: Checks::default(),
            dir,
        }
    }

    pub fn md(&self) -> &fixrail::md::MarketData {
        self.engine.trading("DESK").unwrap().market_data()
    }

    // -----------------------------------------------------------------
    // Turning
    // -----------------------------------------------------------------

    /// One engine turn, then every event applied to the mirrors (each
    /// `TopOfBook` checked against its mirror), then — when the stage has
    /// no batch waiting for room — every subscribed mirror compared with
    /// the engine's book.
    pub fn turn(&mut self) -> Vec<Event> {
        self.engine.do_work().unwrap();
        let mut got = Vec::new();
        while let Some(e) = self.h.poll() {
            self.apply(&e);
            got.push(e);
        }
        if self.md().dirty() == 0 {
            for i in 0..SYMBOLS.len() {
                if self.subs[i].is_some() {
                    self.mirror_matches_engine(InstrumentId(i as u16));
                }
            }
            self.checks.mirror_vs_engine += 1;
        }
        got
    }

    /// One engine turn while the strategy does not read its ring (a slow
    /// strategy: the ring fills and market data coalesces).
    pub fn turn_unread(&mut self) {
        self.engine.do_work().unwrap();
    }

    /// Turns until an event matching `want` arrives; returns it and the
    /// events before it.
    #[allow(clippy::disallowed_methods)] // test deadlines are wall-clock
    pub fn until(&mut self, what: &str, want: impl Fn(&Event) -> bool) -> (Event, Vec<Event>) {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            let got = self.turn();
            for (k, e) in got.iter().enumerate() {
                if want(e) {
                    // Events after it in the same turn were applied too;
                    // keep them for the caller.
                    seen.extend_from_slice(&got[k + 1..]);
                    return (*e, seen);
                }
                seen.push(*e);
            }
            assert!(
                Instant::now() < deadline,
                "never saw {what}; last events: {:?}",
                &seen[seen.len().saturating_sub(40)..]
            );
        }
    }

    /// Turns until `done` holds of the rig.
    #[allow(clippy::disallowed_methods)] // test deadlines are wall-clock
    pub fn wait(&mut self, what: &str, done: impl Fn(&Rig) -> bool) -> Vec<Event> {
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        while !done(self) {
            seen.extend(self.turn());
            assert!(
                Instant::now() < deadline,
                "never saw {what}; last events: {:?}",
                &seen[seen.len().saturating_sub(40)..]
            );
        }
        seen
    }

    /// Turns for `ms` milliseconds of wall time (the flow runs if the
    /// clock does); returns the events.
    #[allow(clippy::disallowed_methods)] // test durations are wall-clock
    pub fn run_for(&mut self, ms: u64) -> Vec<Event> {
        let end = Instant::now() + Duration::from_millis(ms);
        let mut seen = Vec::new();
        while Instant::now() < end {
            seen.extend(self.turn());
        }
        seen
    }

    /// Pauses the flow and turns until nothing is in flight: every message
    /// each session sent has been read by the other, the venue queues
    /// nothing, the stage holds no batch and the ring is drained. Then
    /// every subscribed instrument's engine book must equal the venue's
    /// book (and, by [`Rig::turn`], the mirror the engine's). The clock
    /// stays paused; [`Rig::resume`] starts it.
    #[allow(clippy::disallowed_methods)] // test deadlines are wall-clock
    pub fn quiesce(&mut self) -> Vec<Event> {
        self.clock.pause();
        let deadline = Instant::now() + WAIT;
        let mut seen = Vec::new();
        loop {
            seen.extend(self.turn());
            let (v_out, v_in) = self.engine.seqs("VENUE").unwrap();
            let (d_out, d_in) = self.engine.seqs("DESK").unwrap();
            let queued = self.venue.borrow().queued_reports("VENUE");
            if v_out == d_in && d_out == v_in && queued == 0 && self.md().dirty() == 0 {
                // One more turn to be sure nothing was waiting in a buffer.
                seen.extend(self.turn());
                if self.engine.seqs("VENUE").unwrap() == (v_out, v_in)
                    && self.engine.seqs("DESK").unwrap() == (d_out, d_in)
                {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "never quiescent: VENUE {v_out}/{v_in} DESK {d_out}/{d_in}, queued {queued}, dirty {}",
                self.md().dirty()
            );
        }
        for i in 0..SYMBOLS.len() {
            if self.subs[i].is_some() {
                self.engine_matches_venue(InstrumentId(i as u16));
            }
        }
        self.checks.engine_vs_venue += 1;
        seen
    }

    pub fn resume(&mut self) {
        self.clock.resume();
    }

    // -----------------------------------------------------------------
    // Commands
    // -----------------------------------------------------------------

    pub fn subscribe(&mut self, instrument: InstrumentId, sub: Sub) {
        self.subs[usize::from(instrument.0)] = Some(sub);
        let m = &mut self.mirrors[usize::from(instrument.0)];
        // A re-subscription keeps the slots it had: levels shown before
        // must be cleared by events like any other.
        let slots = usize::from(sub.depth.max(1)).max(m.levels[0].len());
        for side in &mut m.levels {
            side.resize(slots, None);
        }
        self.h
            .send(Command::Subscribe {
                instrument,
                depth: sub.depth,
                entries: sub.entries,
                updates: true,
                aggregated: sub.aggregated,
            })
            .unwrap();
    }

    pub fn limit(&mut self, tag: u64, side: Side, tif: TimeInForce, price: i64, qty: i64) {
        self.order(EURUSD, tag, side, tif, price, qty);
    }

    pub fn order(
        &mut self,
        instrument: InstrumentId,
        tag: u64,
        side: Side,
        tif: TimeInForce,
        price: i64,
        qty: i64,
    ) {
        self.h
            .send(Command::NewOrder {
                tag,
                instrument,
                side,
                ord_type: OrdType::Limit,
                tif,
                price: Price(price),
                qty: Qty(qty),
            })
            .unwrap();
    }

    // -----------------------------------------------------------------
    // The mirror
    // -----------------------------------------------------------------

    fn apply(&mut self, e: &Event) {
        match *e {
            Event::BookLevel {
                instrument,
                side,
                level,
                price,
                qty,
                orders,
            } => {
                let i = usize::from(instrument.0);
                let sub = self.subs[i].expect("BookLevel for an unsubscribed instrument");
                assert!(
                    sub.depth > 1,
                    "BookLevel for a top-only subscription: {e:?}"
                );
                let m = &mut self.mirrors[i];
                let k = side_index(side);
                let slot = m.levels[k]
                    .get_mut(usize::from(level))
                    .unwrap_or_else(|| panic!("BookLevel beyond the depth asked: {e:?}"));
                *slot = (qty.0 != 0).then_some((price, qty, orders));
                if qty.0 == 0 {
                    assert_eq!(price, Price(0), "an emptied level has price 0: {e:?}");
                }
            }
            Event::TopOfBook(t) => {
                let i = usize::from(t.instrument.0);
                assert!(
                    self.subs[i].is_some(),
                    "TopOfBook for an unsubscribed instrument"
                );
                check_arithmetic(&t);
                let m = &mut self.mirrors[i];
                m.top = t;
                m.tops += 1;
                if self.subs[i].unwrap().depth > 1 {
                    let best =
                        |k: usize| m.side(k).first().map_or((Price(0), Qty(0)), |l| (l.0, l.1));
                    assert_eq!(
                        (best(0), best(1)),
                        ((t.bid, t.bid_qty), (t.ask, t.ask_qty)),
                        "TopOfBook disagrees with the levels before it"
                    );
                }
                self.checks.tops += 1;
            }
            Event::BookStale { instrument, cause } => {
                let m = &mut self.mirrors[usize::from(instrument.0)];
                m.stale.push(cause);
                if cause != StaleCause::NoUpdates {
                    m.live = false;
                    m.clear();
                }
            }
            Event::BookLive { instrument } => {
                let m = &mut self.mirrors[usize::from(instrument.0)];
                m.live = true;
                m.lives += 1;
            }
            Event::Trade {
                instrument,
                price,
                qty,
            } => {
                let i = usize::from(instrument.0);
                let sub = self.subs[i].expect("Trade for an unsubscribed instrument");
                assert!(
                    sub.entries.contains(MdEntryTypes::TRADE),
                    "Trade without asking for trades: {e:?}"
                );
                assert!(price.0 > 0 && qty.0 > 0, "{e:?}");
                self.mirrors[i].trades.push((price, qty));
            }
            Event::MarketDataRejected { instrument, reason } => {
                if let Some(m) = self.mirrors.get_mut(usize::from(instrument.0)) {
                    m.rejects.push(reason);
                }
                self.others.push(*e);
            }
            _ => self.others.push(*e),
        }
    }

    /// The mirror equals the engine's visible book (to the depth asked).
    fn mirror_matches_engine(&self, instrument: InstrumentId) {
        let i = usize::from(instrument.0);
        let sub = self.subs[i].unwrap();
        let m = &self.mirrors[i];
        let md = self.md();
        if md.wanted(instrument).is_none() {
            return; // ended (a reject): nothing more is shown.
        }
        let book = md.book(instrument).unwrap();
        let engine_side = |side: BookSide| -> Vec<Lvl> {
            book.levels(side)
                .iter()
                .take(usize::from(sub.depth.max(1)))
                .map(|l| (l.price, l.qty, l.orders))
                .collect()
        };
        if sub.depth > 1 {
            assert_eq!(
                m.side(0),
                engine_side(BookSide::Bid),
                "{}: mirror bids vs the engine's",
                SYMBOLS[i]
            );
            assert_eq!(
                m.side(1),
                engine_side(BookSide::Ask),
                "{}: mirror offers vs the engine's",
                SYMBOLS[i]
            );
        }
        let top = book.top();
        let pq = |l: Option<fixrail::md::Level>| l.map_or((Price(0), Qty(0)), |l| (l.price, l.qty));
        assert_eq!(
            ((m.top.bid, m.top.bid_qty), (m.top.ask, m.top.ask_qty)),
            (pq(top.bid), pq(top.ask)),
            "{}: the last TopOfBook vs the engine's book",
            SYMBOLS[i]
        );
    }

    /// The engine's book equals what the venue publishes for the
    /// subscription: its best `depth` levels (aggregated), or its best
    /// `depth` orders summed per price (order by order).
    pub fn engine_matches_venue(&self, instrument: InstrumentId) {
        let i = usize::from(instrument.0);
        let sub = self.subs[i].unwrap();
        let md = self.md();
        if md.wanted(instrument).is_none() {
            return;
        }
        assert_eq!(
            md.state(instrument),
            Some(SubState::Live),
            "{}: quiescent but not live",
            SYMBOLS[i]
        );
        let book = md.book(instrument).unwrap();
        let depth = usize::from(sub.depth.max(1)).min(book.depth());
        for (side, vside) in [
            (BookSide::Bid, VenueSide::Buy),
            (BookSide::Ask, VenueSide::Sell),
        ] {
            let engine: Vec<Lvl> = book
                .levels(side)
                .iter()
                .map(|l| (l.price, l.qty, l.orders))
                .collect();
            let venue = if sub.aggregated {
                self.venue_levels(SYMBOLS[i], vside, depth)
            } else {
                self.venue_order_levels(SYMBOLS[i], vside, depth)
            };
            assert_eq!(
                engine, venue,
                "{} {side:?}: the engine's book vs the venue's",
                SYMBOLS[i]
            );
        }
    }

    /// The venue's best `depth` levels of `side`, in strategy units.
    pub fn venue_levels(&self, symbol: &str, side: VenueSide, depth: usize) -> Vec<Lvl> {
        self.venue
            .borrow()
            .md_levels(symbol, side, depth)
            .into_iter()
            .map(|(p, q, n)| (price(p), qty(q), n))
            .collect()
    }

    /// The venue's best `n` orders of `side`, summed per price level.
    pub fn venue_order_levels(&self, symbol: &str, side: VenueSide, n: usize) -> Vec<Lvl> {
        let mut out: Vec<Lvl> = Vec::new();
        for (_, p, q) in self.venue.borrow().md_orders(symbol, side, n) {
            let (p, q) = (price(p), qty(q));
            match out.last_mut() {
                Some(l) if l.0 == p => {
                    l.1 .0 += q.0;
                    l.2 += 1;
                }
                _ => out.push((p, q, 1)),
            }
        }
        out
    }
}

fn side_index(side: Side) -> usize {
    match side {
        Side::Buy => 0,
        Side::Sell => 1,
    }
}

pub fn price(f: Fixed) -> Price {
    Price::from_fixed(f).expect("venue price fits 8 decimals")
}

pub fn qty(f: Fixed) -> Qty {
    Qty(f.mantissa_at(0).expect("venue quantity is whole"))
}

/// Spread and imbalance as the contract states them, from the event's own
/// best bid and offer, computed here independently.
fn check_arithmetic(t: &TopOfBook) {
    let has_bid = t.bid_qty.0 > 0;
    let has_ask = t.ask_qty.0 > 0;
    assert_eq!(
        has_bid,
        t.bid.0 != 0,
        "bid price without qty or back: {t:?}"
    );
    assert_eq!(
        has_ask,
        t.ask.0 != 0,
        "ask price without qty or back: {t:?}"
    );
    let spread = if has_bid && has_ask {
        t.ask.0 - t.bid.0
    } else {
        0
    };
    assert_eq!(t.spread.0, spread, "spread: {t:?}");
    if has_bid && has_ask {
        assert!(t.ask.0 > t.bid.0, "a crossed or locked book: {t:?}");
    }
    let (b, a) = (t.bid_qty.0 as f64, t.ask_qty.0 as f64);
    let exact = if b + a > 0.0 {
        (b - a) / (b + a) * 1e6
    } else {
        0.0
    };
    assert!(
        (f64::from(t.imbalance) - exact).abs() < 1.0,
        "imbalance {} vs {exact}: {t:?}",
        t.imbalance
    );
    assert!((-1_000_000..=1_000_000).contains(&t.imbalance), "{t:?}");
    if !has_bid && has_ask {
        assert_eq!(t.imbalance, -1_000_000, "{t:?}");
    }
    if has_bid && !has_ask {
        assert_eq!(t.imbalance, 1_000_000, "{t:?}");
    }
}
