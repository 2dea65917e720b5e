//! The engine loop of `fixrail run`: sessions on sockets.
//!
//! Owns the wiring between the transport ([`crate::net`]), the session state
//! machines ([`crate::session`]), the journal and the applications:
//! accepting connections and binding them to the configured session by
//! (BeginString, SenderCompID, TargetCompID), connecting initiators with
//! back-off over their host list, timers, session schedules, graceful
//! shutdown, and one log line per session event. Everything runs on the
//! calling thread; the journal's helper threads are its only companions.
//! Sockets are only touched through `crate::net`.

mod agent;
mod from_config;
mod ids;
pub mod trading;

pub use agent::EngineAgent;
pub use from_config::engine_spec;

use crate::clock::Clock;
use crate::codec::{Decoded, Decoder, UtcTimestamp};
use crate::dictionary::Dictionary;
use crate::journal::{Journal, JournalConfig, JournalError};
use crate::net::{Backoff, BackoffConfig, CloseReason, ConnId, HostList, Net, NetConfig, NetEvent};
use crate::session::schedule::Schedule;
use crate::session::{
    Application, DisconnectReason, EchoApplication, Event, JournalStore, NoApplication, Outbox,
    Role, Session, SessionConfig, State,
};
use crate::venue::Venue;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The built-in applications `fixrail run` can put behind a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    /// The QuickFIX acceptance-test application (echo D, d, C).
    Echo,
    /// Every application message is unsupported (j).
    None,
    /// The venue simulator (`crate::venue`): all venue sessions of the
    /// engine share one venue built from [`EngineSpec::venue`].
    Venue,
}

/// How the engine thread waits when there is no work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idle {
    /// Poll without waiting (a dedicated core).
    BusySpin,
    /// Wait in the kernel for up to a millisecond.
    Backoff,
}

/// One session as the engine runs it.
#[derive(Debug)]
pub struct SessionSpec {
    /// Protocol settings.
    pub session: SessionConfig,
    /// The data dictionary.
    pub dictionary: Arc<Dictionary>,
    /// Acceptor: where to listen.
    pub listen: Option<SocketAddr>,
    /// Initiator: where to connect, primary first.
    pub connect: Vec<SocketAddr>,
    /// Acceptor: allowed source addresses (empty: any).
    pub allowed_addresses: Vec<IpAddr>,
    /// Initiator: reconnect back-off.
    pub reconnect: BackoffConfig,
    /// When the session is up.
    pub schedule: Schedule,
    /// What sits behind it.
    pub application: AppKind,
}

/// Everything `fixrail run` needs.
#[derive(Debug)]
pub struct EngineSpec {
    /// The journal.
    pub journal: JournalConfig,
    /// Waiting strategy.
    pub idle: Idle,
    /// The sessions.
    pub sessions: Vec<SessionSpec>,
    /// The venue simulator's instruments and limits; required when a
    /// session runs [`AppKind::Venue`], unused otherwise.
    pub venue: Option<crate::venue::VenueSpec>,
    /// What a strategy attached with [`Engine::attach_strategy`] trades
    /// with: instruments, risk limits, order-stage sizes.
    pub trading: TradingSpec,
}

/// The order path's settings.
#[derive(Debug, Clone)]
pub struct TradingSpec {
    /// The instrument table.
    pub instruments: Arc<crate::strategy::InstrumentTable>,
    /// Pre-trade risk limits.
    pub risk: crate::risk::RiskConfig,
    /// Order-stage sizes and ClOrdID prefix.
    pub orders: crate::order::OrderConfig,
    /// Command and event ring capacities.
    pub ring_capacity: usize,
}

impl Default for TradingSpec {
    fn default() -> Self {
        TradingSpec {
            instruments: Arc::new(crate::strategy::InstrumentTable::default()),
            risk: crate::risk::RiskConfig::default(),
            orders: crate::order::OrderConfig::default(),
            ring_capacity: 4096,
        }
    }
}

/// Why the engine could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Journal failure.
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
    /// Transport failure.
    #[error("network: {0}")]
    Net(#[from] crate::net::NetError),
    /// Something about a session.
    #[error("session {session}: {problem}")]
    Session {
        /// Its name.
        session: String,
        /// What.
        problem: String,
    },
}

struct Slot {
    session: Session,
    journal_id: u32,
    app: Box<dyn Application + Send>,
    conn: Option<ConnId>,
    listen: Option<SocketAddr>,
    allowed: Vec<IpAddr>,
    hosts: Option<HostList>,
    backoff: Option<Backoff>,
    next_connect: Option<UtcTimestamp>,
    connecting: bool,
    /// Set by the `alert` lost-store policy: a person must look.
    halted: bool,
    schedule: Schedule,
    last_schedule_check: i64,
    last_reset_check: UtcTimestamp,
    /// A schedule reset is due: log out if connected, reset once down.
    reset_pending: bool,
}

impl std::fmt::Debug for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Slot")
            .field("session", &self.session.config().name)
            .field("conn", &self.conn)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Free,
    /// Accepted, no Logon yet.
    Pending,
    Session(usize),
}

/// The running engine.
#[derive(Debug)]
pub struct Engine<C: Clock> {
    net: Net,
    inner: Inner<C>,
}

/// Everything but the transport, so the transport's event callback can
/// borrow it while handing out `&mut Net`.
#[derive(Debug)]
struct Inner<C: Clock> {
    journal: Journal,
    slots: Vec<Slot>,
    owners: Vec<Owner>,
    decoders: Vec<Decoder>,
    listeners: Vec<(SocketAddr, crate::net::ListenerId)>,
    out: Outbox,
    clock: C,
    idle: Idle,
    shutting_down: Option<UtcTimestamp>,
    /// Accepted connections without a Logon yet, and since when.
    pending: Vec<(ConnId, UtcTimestamp)>,
    trading: TradingSpec,
    /// Stage timestamps of the trading session (the latency harness).
    probe: Option<(usize, crate::harness::stages::StageProbe)>,
    /// TopOfBook events of the probed session's application accounted
    /// for by stamps so far.
    probe_tops: u64,
    /// This duty cycle's clock reading: read once per turn (and once more
    /// when the poll delivered events), passed down to everything the turn
    /// does, as the design's duty-cycle rule says.
    now: UtcTimestamp,
}

const NANOS: i64 = 1_000_000_000;

fn decoder_for(dict: &Dictionary, message_size_max: usize) -> Decoder {
    Decoder::for_spec(dict.parse_spec().clone(), message_size_max)
}

impl<C: Clock> Engine<C> {
    /// Opens the journal, binds the listeners and prepares every session.
    pub fn new(spec: EngineSpec, clock: C) -> Result<Engine<C>, EngineError> {
        let now = clock.now();
        let names: Vec<&str> = spec
            .sessions
            .iter()
            .map(|s| s.session.name.as_str())
            .collect();
        std::fs::create_dir_all(&spec.journal.dir).map_err(|e| {
            EngineError::Journal(JournalError::Io {
                path: spec.journal.dir.clone(),
                what: "create journal directory",
                source: e,
            })
        })?;
        let ids = ids::assign(&spec.journal.dir, &names, spec.journal.sessions_max)?;
        let (mut journal, report) = Journal::open(spec.journal.clone(), now)?;
        tracing::info!(
            dir = %spec.journal.dir.display(),
            records = report.records,
            "journal open"
        );
        let message_size_max = spec
            .sessions
            .iter()
            .map(|s| s.session.message_size_max)
            .max()
            .unwrap_or(64 * 1024);
        let connections_max = 64 + spec.sessions.len() * 2;
        let mut net = Net::new(NetConfig {
            connections_max,
            listeners_max: spec.sessions.len().max(1),
            rx_buffer_bytes: (message_size_max * 2).max(256 * 1024),
            tx_buffer_bytes: 8 << 20,
        })?;
        let mut listeners: Vec<(SocketAddr, crate::net::ListenerId)> = Vec::new();
        let mut slots = Vec::with_capacity(spec.sessions.len());
        // One venue shared by every venue session (see `crate::venue`).
        let has_venue = spec
            .sessions
            .iter()
            .any(|s| s.application == AppKind::Venue);
        let venue = match spec.venue.filter(|_| has_venue) {
            Some(v) => {
                let venue = Venue::new(v, now).map_err(|e| EngineError::Session {
                    session: "venue".to_owned(),
                    problem: e.to_string(),
                })?;
                Some(Venue::shared(venue))
            }
            None => None,
        };
        for (i, s) in spec.sessions.into_iter().enumerate() {
            let name = s.session.name.clone();
            let err = |problem: String| EngineError::Session {
                session: name.clone(),
                problem,
            };
            if let Some(addr) = s.listen {
                if !listeners.iter().any(|(a, _)| *a == addr) {
                    let l = net.listen(addr)?;
                    let bound = net.local_addr(l).unwrap_or(addr);
                    tracing::info!(session = %name, listen = %bound, "listening");
                    listeners.push((addr, l));
                }
            }
            let (hosts, backoff) = if s.session.role == Role::Initiator {
                let hosts = HostList::new(s.connect.clone()).map_err(|e| err(e.to_string()))?;
                let backoff = Backoff::new(
                    s.reconnect,
                    0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1) ^ now.unix_nanos() as u64,
                )
                .map_err(|e| err(e.to_string()))?;
                (Some(hosts), Some(backoff))
            } else {
                (None, None)
            };
            let app: Box<dyn Application + Send> = match s.application {
                AppKind::Echo => Box::new(EchoApplication::default()),
                AppKind::None => Box::new(NoApplication),
                AppKind::Venue => match &venue {
                    Some(v) => Box::new(Venue::attach(v, &name)),
                    None => return Err(err("runs the venue application but the engine has no venue spec (no instruments)".to_owned())),
                },
            };
            let session = Session::new(s.session, s.dictionary).map_err(err)?;
            slots.push(Slot {
                session,
                journal_id: ids[i],
                app,
                conn: None,
                listen: s.listen,
                allowed: s.allowed_addresses,
                hosts,
                backoff,
                next_connect: Some(now),
                connecting: false,
                halted: false,
                schedule: s.schedule,
                last_schedule_check: 0,
                last_reset_check: now,
                reset_pending: false,
            });
        }
        for slot in &mut slots {
            slot.reset_pending = schedule_reset_at_start(&mut journal, slot, now)?;
        }
        let default_dict = slots
            .first()
            .map(|s| Arc::clone(s.session.dictionary()))
            .unwrap_or_else(|| Arc::new(Dictionary::fix44()));
        let decoders = (0..connections_max)
            .map(|_| decoder_for(&default_dict, message_size_max))
            .collect();
        Ok(Engine {
            net,
            inner: Inner {
                journal,
                slots,
                owners: vec![Owner::Free; connections_max],
                decoders,
                listeners,
                out: Outbox::default(),
                clock,
                idle: spec.idle,
                shutting_down: None,
                pending: Vec::with_capacity(connections_max),
                trading: spec.trading,
                probe: None,
                probe_tops: 0,
                now,
            },
        })
    }

    /// The address a listener is bound to (port 0 resolved).
    pub fn listen_addrs(&self) -> Vec<SocketAddr> {
        self.inner
            .listeners
            .iter()
            .filter_map(|(_, l)| self.net.local_addr(*l))
            .collect()
    }

    /// Runs until `stop` is set, then logs every session out (waiting for the
    /// answers up to each session's logout timeout), syncs the journal and
    /// returns.
    pub fn run(&mut self, stop: &AtomicBool) -> Result<(), EngineError> {
        loop {
            if stop.load(Ordering::Relaxed) && self.inner.shutting_down.is_none() {
                tracing::info!("shutdown requested: logging sessions out");
                self.begin_stop();
            }
            if self.is_stopped() {
                tracing::info!("journal synced; stopped");
                return Ok(());
            }
            self.turn()?;
        }
    }

    /// One turn of the loop: I/O (each event handled inside the transport's
    /// callback, while a closed connection's last bytes are still readable),
    /// then timers.
    pub fn turn(&mut self) -> Result<(), EngineError> {
        let timeout = match self.inner.idle {
            Idle::BusySpin => Duration::ZERO,
            Idle::Backoff => Duration::from_millis(1),
        };
        self.inner.now = self.inner.clock.now();
        let inner = &mut self.inner;
        let mut first = true;
        self.net.poll(Some(timeout), |net, ev| {
            if first {
                // The poll may have waited: a fresh reading for its events.
                inner.now = inner.clock.now();
                first = false;
            }
            inner.on_net_event(net, ev)
        })?;
        self.inner.poll_apps(&mut self.net);
        self.inner.send_queued(&mut self.net);
        self.inner.timers(&mut self.net);
        Ok(())
    }

    /// One duty cycle for a runtime agent: poll the transport without
    /// waiting (the runtime's idle strategy decides how to wait), run the
    /// applications and the timers. Returns the work done (events handled
    /// plus application work), 0 when idle.
    pub fn do_work(&mut self) -> Result<usize, EngineError> {
        self.inner.now = self.inner.clock.now();
        let inner = &mut self.inner;
        let events = self
            .net
            .poll(Some(Duration::ZERO), |net, ev| inner.on_net_event(net, ev))?;
        let apps = self.inner.poll_apps(&mut self.net);
        self.inner.send_queued(&mut self.net);
        self.inner.timers(&mut self.net);
        Ok(events + apps)
    }

    /// Puts `app` behind session `name` in place of its configured
    /// application (the order stage with its strategy rings, or user code).
    /// Returns false when there is no such session.
    pub fn set_application(&mut self, name: &str, app: Box<dyn Application + Send>) -> bool {
        match self
            .inner
            .slots
            .iter_mut()
            .find(|s| s.session.config().name == name)
        {
            Some(slot) => {
                slot.app = app;
                true
            }
            None => false,
        }
    }

    /// Puts the order path behind session `name` and returns the strategy's
    /// end of its ring pair: commands go through risk and the order stage to
    /// the session; ExecutionReports come back as events. Orders and
    /// positions are first rebuilt from the session's journal records, and
    /// their status is asked of the venue at the next logon.
    pub fn attach_strategy(
        &mut self,
        name: &str,
    ) -> Result<crate::strategy::StrategyHandle, EngineError> {
        let err = |problem: String| EngineError::Session {
            session: name.to_string(),
            problem,
        };
        let index = self
            .inner
            .slots
            .iter()
            .position(|s| s.session.config().name == name)
            .ok_or_else(|| err("no such session".into()))?;
        let t = &self.inner.trading;
        let orders = crate::order::OrderManager::new(t.orders.clone(), Arc::clone(&t.instruments))
            .map_err(|e| err(e.to_string()))?;
        let risk = crate::risk::RiskEngine::new(t.risk.clone(), Arc::clone(&t.instruments));
        let (handle, port) = crate::strategy::channel(t.ring_capacity, t.ring_capacity);
        let mut app = trading::TradingApplication::new(orders, risk, port, index as u16);
        let journal_id = self.inner.slots[index].journal_id;
        let reader = self.inner.journal.reader()?;
        app.replay(reader, journal_id);
        self.inner.slots[index].app = Box::new(app);
        Ok(handle)
    }

    /// Stamps when the engine writes a NewOrderSingle on session `name` and
    /// when it reads an ExecutionReport New there (the latency harness's
    /// stage latencies). Returns false when there is no such session.
    pub fn set_stage_probe(
        &mut self,
        name: &str,
        probe: crate::harness::stages::StageProbe,
    ) -> bool {
        match self
            .inner
            .slots
            .iter()
            .position(|s| s.session.config().name == name)
        {
            Some(i) => {
                self.inner.probe = Some((i, probe));
                true
            }
            None => false,
        }
    }

    /// The order path attached to session `name` (orders, positions, risk).
    pub fn trading(&self, name: &str) -> Option<&trading::TradingApplication> {
        self.inner
            .slots
            .iter()
            .find(|s| s.session.config().name == name)?
            .app
            .as_any()?
            .downcast_ref()
    }

    /// Starts the graceful stop: every logged-on session sends Logout.
    /// Call [`Engine::do_work`] until [`Engine::is_stopped`].
    pub fn begin_stop(&mut self) {
        self.inner.now = self.inner.clock.now();
        let now = self.inner.now;
        if self.inner.shutting_down.is_none() {
            self.inner.begin_shutdown(&mut self.net, now);
        }
    }

    /// After [`Engine::begin_stop`]: every session is down or the longest
    /// logout timeout has passed. Syncs the journal when it returns true.
    pub fn is_stopped(&mut self) -> bool {
        let Some(started) = self.inner.shutting_down else {
            return false;
        };
        let now = self.inner.clock.now();
        self.inner.now = now;
        let slots = &self.inner.slots;
        let all_down = slots.iter().all(|s| s.conn.is_none());
        let limit = slots
            .iter()
            .map(|s| s.session.config().logout_timeout_secs as i64)
            .max()
            .unwrap_or(2)
            * NANOS
            + NANOS / 2;
        let done = all_down || now.unix_nanos() - started.unix_nanos() > limit;
        if done {
            for i in 0..self.inner.slots.len() {
                if let Some(c) = self.inner.slots[i].conn {
                    self.net.close(c);
                    self.inner.drop_conn(i, c, DisconnectReason::Shutdown);
                }
            }
            if let Err(e) = self.inner.journal.sync() {
                tracing::error!(error = %e, "journal sync at stop failed");
            }
        }
        done
    }

    /// The session named `name`.
    pub fn session(&self, name: &str) -> Option<&Session> {
        self.inner
            .slots
            .iter()
            .map(|s| &s.session)
            .find(|s| s.config().name == name)
    }

    /// The (next outbound, next expected inbound) MsgSeqNums of session `name`.
    pub fn seqs(&self, name: &str) -> Option<(u64, u64)> {
        let slot = self
            .inner
            .slots
            .iter()
            .find(|s| s.session.config().name == name)?;
        let s = self.inner.journal.session(slot.journal_id)?;
        Some((s.next_out, s.next_in))
    }

    /// The journal directory.
    pub fn journal_dir(&self) -> PathBuf {
        self.inner.journal.dir().to_path_buf()
    }
}

impl<C: Clock> Inner<C> {
    fn begin_shutdown(&mut self, net: &mut Net, now: UtcTimestamp) {
        self.shutting_down = Some(now);
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            slot.next_connect = None;
            if slot.conn.is_some() {
                let mut store = match JournalStore::new(&mut self.journal, slot.journal_id) {
                    Ok(s) => s,
                    Err(_) => continue,
                };
                slot.session.logout(now, None, &mut store, &mut self.out);
                self.flush(net, i);
            }
        }
    }

    fn on_net_event(&mut self, net: &mut Net, ev: NetEvent) {
        let now = self.now;
        match ev {
            NetEvent::Accepted { conn, peer, .. } => {
                if self.shutting_down.is_some() {
                    net.close(conn);
                    return;
                }
                self.owners[conn.index()] = Owner::Pending;
                self.pending.push((conn, now));
                self.decoders[conn.index()] = decoder_for(
                    self.slots[0].session.dictionary(),
                    self.slots[0].session.config().message_size_max,
                );
                tracing::debug!(%peer, "accepted");
                self.read(net, conn, now);
            }
            NetEvent::Connected { conn } => {
                let Owner::Session(i) = self.owners[conn.index()] else {
                    return;
                };
                self.slots[i].connecting = false;
                tracing::info!(session = %self.slots[i].session.config().name, "connected");
                let slot = &mut self.slots[i];
                if let Ok(mut store) = JournalStore::new(&mut self.journal, slot.journal_id) {
                    slot.session.connected(now, &mut store, &mut self.out);
                }
                self.flush(net, i);
            }
            NetEvent::ConnectFailed { conn, error } => {
                let owner = std::mem::replace(&mut self.owners[conn.index()], Owner::Free);
                if let Owner::Session(i) = owner {
                    let slot = &mut self.slots[i];
                    slot.conn = None;
                    slot.connecting = false;
                    let delay = slot
                        .backoff
                        .as_mut()
                        .map(|b| b.next_delay())
                        .unwrap_or_default();
                    if let Some(h) = slot.hosts.as_mut() {
                        h.advance();
                    }
                    slot.next_connect = Some(UtcTimestamp::from_unix_nanos(
                        now.unix_nanos() + delay.as_nanos() as i64,
                    ));
                    tracing::warn!(
                        session = %slot.session.config().name,
                        error = %error,
                        retry_in_ms = delay.as_millis() as u64,
                        "connect failed"
                    );
                }
            }
            NetEvent::Data { conn } => self.read(net, conn, now),
            NetEvent::Closed { conn, reason } => {
                // Whatever is still buffered is read first.
                self.read(net, conn, now);
                let owner = std::mem::replace(&mut self.owners[conn.index()], Owner::Free);
                if let Owner::Session(i) = owner {
                    if self.slots[i].conn == Some(conn) {
                        let r = match reason {
                            CloseReason::PeerClosed => {
                                DisconnectReason::Io(std::io::ErrorKind::UnexpectedEof)
                            }
                            CloseReason::Reset => {
                                DisconnectReason::Io(std::io::ErrorKind::ConnectionReset)
                            }
                            CloseReason::Io(k) => DisconnectReason::Io(k),
                            CloseReason::Local => DisconnectReason::LocalLogout,
                        };
                        self.drop_conn(i, conn, r);
                    }
                }
            }
        }
    }

    /// Decodes and dispatches everything buffered on `conn`.
    fn read(&mut self, net: &mut Net, conn: ConnId, now: UtcTimestamp) {
        // When the bytes were handed over (for the stage probe).
        let read_at = self.probe.as_ref().map_or(0, |(_, p)| p.now());
        loop {
            let owner = self.owners[conn.index()];
            // Not `is_live`: a closed connection's last bytes are read too.
            if owner == Owner::Free {
                return;
            }
            let rx = net.rx(conn);
            if rx.is_empty() {
                return;
            }
            let decoder = &mut self.decoders[conn.index()];
            let consumed = match decoder.decode(rx) {
                Decoded::NeedMore => {
                    if rx.len() >= net.rx_capacity() {
                        tracing::warn!("message larger than the receive buffer: closing");
                        net.close(conn);
                    }
                    return;
                }
                bad @ (Decoded::Garbled { .. } | Decoded::Unparseable { .. }) => {
                    let skip = match bad {
                        Decoded::Garbled { skip, reason } => {
                            tracing::debug!(?reason, skip, "garbled input");
                            skip
                        }
                        Decoded::Unparseable { skip, error } => {
                            tracing::debug!(?error, "unparseable message");
                            skip
                        }
                        _ => unreachable!("matched above"),
                    };
                    match owner {
                        Owner::Session(i) => {
                            self.slots[i].session.on_garbled(now, &mut self.out);
                            net.consume(conn, skip);
                            self.flush(net, i);
                        }
                        _ => {
                            net.close(conn);
                            self.owners[conn.index()] = Owner::Free;
                        }
                    }
                    continue;
                }
                Decoded::Message(msg, len) => {
                    let i = match owner {
                        Owner::Session(i) => i,
                        Owner::Pending => {
                            match bind(&mut self.slots, &msg, net.peer_addr(conn), now) {
                                Ok(i) => {
                                    let slot = &mut self.slots[i];
                                    slot.conn = Some(conn);
                                    self.owners[conn.index()] = Owner::Session(i);
                                    if let Ok(mut store) =
                                        JournalStore::new(&mut self.journal, slot.journal_id)
                                    {
                                        slot.session.connected(now, &mut store, &mut self.out);
                                    }
                                    i
                                }
                                Err(reason) => {
                                    tracing::warn!(
                                        peer = ?net.peer_addr(conn),
                                        %reason,
                                        "connection refused"
                                    );
                                    net.close(conn);
                                    self.owners[conn.index()] = Owner::Free;
                                    return;
                                }
                            }
                        }
                        Owner::Free => return,
                    };
                    if let Some((probed, p)) = self.probe.as_mut() {
                        if *probed == i
                            && msg.msg_type() == b"8"
                            && msg.get(150).is_some_and(|f| f.value() == b"0")
                        {
                            p.stamp_at(crate::harness::stages::StageKind::Read, read_at);
                        }
                    }
                    // Market data on the probed session: did this message
                    // make a TopOfBook event?
                    let tops_before = match self.probe.as_ref() {
                        Some((probed, _))
                            if *probed == i && matches!(msg.msg_type(), b"X" | b"W") =>
                        {
                            Some(self.slots[i].app.top_of_book_events())
                        }
                        _ => None,
                    };
                    let slot = &mut self.slots[i];
                    match JournalStore::new(&mut self.journal, slot.journal_id) {
                        Ok(mut store) => slot.session.on_message(
                            now,
                            &msg,
                            &mut store,
                            slot.app.as_mut(),
                            &mut self.out,
                        ),
                        Err(_) => self.out_store_failure(),
                    }
                    if let (Some(before), Some((_, p))) = (tops_before, self.probe.as_mut()) {
                        use crate::harness::stages::StageKind;
                        let after = self.slots[i].app.top_of_book_events();
                        if after != before {
                            let pushed = p.now();
                            // TopOfBooks pushed since the last stamp but not
                            // by a W/X (coalesced batches sent by a later
                            // poll): marked, so the strategy's pops pair up.
                            for _ in self.probe_tops..before {
                                p.stamp_at(StageKind::TickUnread, pushed);
                            }
                            for _ in before..after {
                                p.stamp_at(StageKind::TickRead, read_at);
                            }
                            p.stamp_at(StageKind::TickPushed, pushed);
                            self.probe_tops = after;
                        }
                    }
                    (i, len)
                }
            };
            let (i, len) = consumed;
            net.consume(conn, len);
            self.flush(net, i);
        }
    }

    fn out_store_failure(&mut self) {
        tracing::error!("journal session id unavailable");
    }

    /// Writes the outbox to session `i`'s connection and handles its events.
    fn flush(&mut self, net: &mut Net, i: usize) {
        let now = self.now;
        let slot = &mut self.slots[i];
        let name = slot.session.config().name.as_str();
        if let Some(c) = slot.conn {
            if !self.out.bytes().is_empty() {
                if let Some((probed, p)) = self.probe.as_mut() {
                    if *probed == i {
                        for m in self.out.messages() {
                            // 8=FIX.4.4|9=NNN|35=D| — MsgType is the third field.
                            let head = &m[..m.len().min(24)];
                            if head.windows(6).any(|w| w == b"\x0135=D\x01") {
                                p.stamp(crate::harness::stages::StageKind::Write);
                            }
                        }
                    }
                }
                if let Err(e) = net.send(c, self.out.bytes()) {
                    tracing::warn!(session = %name, error = %e, "send failed");
                    if matches!(e, crate::net::SendError::WouldOverflow { .. }) {
                        self.out.set_disconnect(DisconnectReason::SlowConsumer);
                    }
                }
            }
        }
        for ev in self.out.events() {
            log_event(name, ev);
            slot.app.on_event(now, ev);
            match ev {
                Event::SeqTooLowAlert { .. } => slot.halted = true,
                Event::LoggedOn { .. } => {
                    if let Some(b) = slot.backoff.as_mut() {
                        b.reset();
                    }
                    if let Some(h) = slot.hosts.as_mut() {
                        h.reset();
                    }
                }
                _ => {}
            }
        }
        let disconnect = self.out.disconnect();
        self.out.clear();
        if let (Some(reason), Some(c)) = (disconnect, slot.conn) {
            net.close_after_flush(c);
            self.drop_conn(i, c, reason);
        }
    }

    /// Detaches the connection from its session and tells the session.
    fn drop_conn(&mut self, i: usize, c: ConnId, reason: DisconnectReason) {
        let now = self.now;
        let slot = &mut self.slots[i];
        if slot.conn != Some(c) {
            return;
        }
        slot.conn = None;
        slot.connecting = false;
        if let Owner::Session(_) = self.owners[c.index()] {
            self.owners[c.index()] = Owner::Free;
        }
        if let Ok(mut store) = JournalStore::new(&mut self.journal, slot.journal_id) {
            slot.session
                .disconnected(now, &mut store, reason, &mut self.out);
        }
        let name = slot.session.config().name.as_str();
        for ev in self.out.events() {
            log_event(name, ev);
            slot.app.on_event(now, ev);
        }
        self.out.clear();
        if slot.hosts.is_some() && self.shutting_down.is_none() {
            let immediate = matches!(reason, DisconnectReason::PeerSaysSeqTooLow { .. });
            let delay = if immediate {
                Duration::ZERO
            } else {
                slot.backoff
                    .as_mut()
                    .map(|b| b.next_delay())
                    .unwrap_or_default()
            };
            slot.next_connect = Some(UtcTimestamp::from_unix_nanos(
                now.unix_nanos() + delay.as_nanos() as i64,
            ));
        }
    }

    /// Every application's duty cycle (strategy rings, its own timers).
    fn poll_apps(&mut self, net: &mut Net) -> usize {
        let now = self.now;
        let mut work = 0;
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            if let Ok(mut store) = JournalStore::new(&mut self.journal, slot.journal_id) {
                work += slot
                    .session
                    .poll_app(now, &mut store, slot.app.as_mut(), &mut self.out);
            }
            if !self.out.is_empty() {
                self.flush(net, i);
            }
        }
        work
    }

    /// Lets each logged-on session's application send what it queued for
    /// it ([`Application::has_queued`]: a venue's fills for orders resting
    /// on one session, caused by another's order).
    fn send_queued(&mut self, net: &mut Net) {
        let now = self.now;
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            if slot.conn.is_none()
                || slot.session.state() != State::Active
                || !slot.app.has_queued()
            {
                continue;
            }
            if let Ok(mut store) = JournalStore::new(&mut self.journal, slot.journal_id) {
                slot.session
                    .send_queued(now, &mut store, slot.app.as_mut(), &mut self.out);
            }
            self.flush(net, i);
        }
    }

    fn timers(&mut self, net: &mut Net) {
        let now = self.now;
        // Accepted connections that never sent a Logon: closed after the
        // longest logon timeout of the sessions.
        let limit = self
            .slots
            .iter()
            .map(|s| s.session.config().logon_timeout_secs as i64)
            .max()
            .unwrap_or(10)
            * NANOS;
        let owners = &mut self.owners;
        self.pending.retain(|&(c, since)| {
            if owners[c.index()] != Owner::Pending || !net.is_live(c) {
                return false;
            }
            if now.unix_nanos() - since.unix_nanos() > limit {
                tracing::warn!(peer = ?net.peer_addr(c), "no Logon in time: closing");
                net.close(c);
                owners[c.index()] = Owner::Free;
                return false;
            }
            true
        });
        for i in 0..self.slots.len() {
            // Schedule: once a second.
            let sec = now.unix_secs();
            let slot = &mut self.slots[i];
            if sec != slot.last_schedule_check {
                slot.last_schedule_check = sec;
                let in_session = slot.schedule.in_session(now);
                if slot.schedule.reset_due(slot.last_reset_check, now) {
                    slot.reset_pending = true;
                }
                slot.last_reset_check = now;
                // The window closed, or a new one began (the daily roll):
                // log out; the reset follows once the connection is down.
                if (!in_session || slot.reset_pending) && slot.session.state() == State::Active {
                    if let Ok(mut store) = JournalStore::new(&mut self.journal, slot.journal_id) {
                        slot.session
                            .logout(now, Some("End of session"), &mut store, &mut self.out);
                    }
                    self.flush(net, i);
                    continue;
                }
            }
            let slot = &mut self.slots[i];
            if slot.reset_pending && slot.conn.is_none() {
                if let Ok(mut store) = JournalStore::new(&mut self.journal, slot.journal_id) {
                    use crate::session::SessionStore;
                    if store.reset(now, "schedule: new session").is_ok() {
                        slot.reset_pending = false;
                        tracing::info!(
                            session = %slot.session.config().name,
                            "sequence numbers reset by schedule"
                        );
                    }
                }
            }
            if slot.conn.is_some() {
                if let Ok(mut store) = JournalStore::new(&mut self.journal, slot.journal_id) {
                    slot.session.on_tick(now, &mut store, &mut self.out);
                }
                self.flush(net, i);
                continue;
            }
            // Initiator: connect when due, in schedule, not halted.
            if slot.hosts.is_none()
                || slot.halted
                || slot.connecting
                || self.shutting_down.is_some()
                || !slot.schedule.in_session(now)
            {
                continue;
            }
            let Some(at) = slot.next_connect else {
                continue;
            };
            if now.unix_nanos() < at.unix_nanos() {
                continue;
            }
            let addr = slot.hosts.as_ref().expect("initiator").current();
            match net.connect(addr) {
                Ok(c) => {
                    slot.conn = Some(c);
                    slot.connecting = true;
                    slot.next_connect = None;
                    self.owners[c.index()] = Owner::Session(i);
                    self.decoders[c.index()] = decoder_for(
                        slot.session.dictionary(),
                        slot.session.config().message_size_max,
                    );
                    tracing::info!(session = %slot.session.config().name, %addr, "connecting");
                }
                Err(e) => {
                    let delay = slot
                        .backoff
                        .as_mut()
                        .map(|b| b.next_delay())
                        .unwrap_or_default();
                    slot.next_connect = Some(UtcTimestamp::from_unix_nanos(
                        now.unix_nanos() + delay.as_nanos() as i64,
                    ));
                    tracing::warn!(session = %slot.session.config().name, %addr, error = %e, "connect failed");
                }
            }
        }
    }
}

/// Whether a scheduled session's numbers belong to an earlier window than
/// the current one (the process was down over a roll): its last reset record
/// is older than the window's start. A scheduled session that never reset
/// gets a reset record now if it has no history (so later restarts can tell),
/// or is reset if it has history of unknown age.
fn schedule_reset_at_start(
    journal: &mut Journal,
    slot: &Slot,
    now: UtcTimestamp,
) -> Result<bool, EngineError> {
    if slot.schedule.is_always() {
        return Ok(false);
    }
    let Some(seqs) = journal.session(slot.journal_id).cloned() else {
        return Ok(false);
    };
    let name = &slot.session.config().name;
    match seqs.last_reset {
        Some(p) => {
            let reset_at = journal
                .reader()?
                .record_at(p)
                .map(|r| r.header.timestamp_ns)
                .unwrap_or(i64::MIN);
            let window = slot.schedule.window_start(now).map(|t| t.unix_nanos());
            let stale = window.is_some_and(|w| reset_at < w)
                || slot
                    .schedule
                    .reset_due(UtcTimestamp::from_unix_nanos(reset_at), now);
            if stale {
                tracing::info!(session = %name, "numbers are from an earlier session window: reset");
            }
            Ok(stale)
        }
        None if seqs.next_out == 1 && seqs.next_in == 1 => {
            let mut store = JournalStore::new(journal, slot.journal_id)?;
            crate::session::SessionStore::reset(&mut store, now, "schedule: first session")?;
            Ok(false)
        }
        None => {
            tracing::warn!(session = %name, "scheduled session with history but no reset record: reset");
            Ok(true)
        }
    }
}

/// The session for a first message on an accepted connection.
fn bind(
    slots: &mut [Slot],
    msg: &crate::codec::Message<'_>,
    peer: Option<SocketAddr>,
    now: UtcTimestamp,
) -> Result<usize, DisconnectReason> {
    use crate::codec::tags;
    let h = msg.header();
    let sender = h
        .get(tags::SENDER_COMP_ID)
        .map(|f| f.value())
        .unwrap_or(b"");
    let target = h
        .get(tags::TARGET_COMP_ID)
        .map(|f| f.value())
        .unwrap_or(b"");
    let begin = msg.begin_string();
    let i = slots
        .iter()
        .position(|s| {
            let c = s.session.config();
            c.role == Role::Acceptor
                && s.listen.is_some()
                && c.begin_string.as_bytes() == begin
                && c.sender_comp_id.as_bytes() == target
                && c.target_comp_id.as_bytes() == sender
        })
        .ok_or(DisconnectReason::UnknownSession)?;
    let slot = &slots[i];
    if !slot.allowed.is_empty() && !peer.is_some_and(|p| slot.allowed.contains(&p.ip())) {
        return Err(DisconnectReason::UnknownSession);
    }
    if slot.conn.is_some() {
        return Err(DisconnectReason::DuplicateSession);
    }
    if !slot.schedule.in_session(now) {
        return Err(DisconnectReason::EndOfSession);
    }
    if msg.msg_type() != b"A" {
        return Err(DisconnectReason::NotLogon);
    }
    Ok(i)
}

fn log_event(name: &str, ev: &Event) {
    match ev {
        Event::LoggedOn {
            reset,
            heartbeat_secs,
        } => tracing::info!(session = %name, reset, heartbeat_secs, "logged on"),
        Event::Disconnected(r) => tracing::info!(session = %name, reason = %r, "disconnected"),
        Event::GapDetected { expected, received } => {
            tracing::warn!(session = %name, expected, received, "inbound gap: ResendRequest sent")
        }
        Event::ResendServed {
            begin,
            end,
            resent,
            gap_fills,
        } => tracing::info!(session = %name, begin, end, resent, gap_fills, "resend served"),
        Event::RejectSent { ref_seq, reason } => {
            tracing::warn!(session = %name, ref_seq, reason = reason.text(), "reject sent")
        }
        Event::RejectReceived { ref_seq } => {
            tracing::warn!(session = %name, ref_seq, "reject received")
        }
        Event::SequenceReset { new_seq, gap_fill } => {
            tracing::info!(session = %name, new_seq, gap_fill, "sequence reset")
        }
        Event::SeqTooLowAlert { expected, received } => tracing::error!(
            session = %name,
            expected,
            received,
            "ALERT: counterparty expects a higher MsgSeqNum (our store was lost?); \
             not reconnecting (seq_too_low_policy = alert)"
        ),
        Event::SeqTooLowRecovered { from, to } => tracing::warn!(
            session = %name,
            from,
            to,
            "next outbound MsgSeqNum moved to what the counterparty expects (seq_too_low_policy = auto)"
        ),
        Event::Ignored(why) => tracing::debug!(session = %name, ?why, "message ignored"),
    }
}
