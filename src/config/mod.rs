//! The TOML config file: [`load`] turns it into a typed, checked [`Config`].
//!
//! Owns the file format (`docs/CONFIG.md` is the reference), its defaults,
//! `${NAME}` expansion from the environment, resolving relative paths against
//! the file's folder and host names to addresses, the syntax of session
//! schedules, and the checks across sessions (unique names, unique
//! BeginString/SenderCompID/TargetCompID, role-specific keys). Every error
//! names the file, the key path and the problem ([`ConfigError`]).
//!
//! It runs once at start-up, so it allocates freely. It opens no socket,
//! loads no dictionary (it only checks that the file exists), starts nothing,
//! and does not interpret schedules: `src/session/schedule.rs` does, from the
//! checked strings in [`ScheduleConfig`]. It reads no clock.
//!
//! ```
//! use fixrail::config::{Config, Role};
//! use std::path::Path;
//! let text = r#"
//!     [engine]
//!     journal_dir = "journal"
//!
//!     [[session]]
//!     name = "LP1"
//!     role = "initiator"
//!     sender_comp_id = "US"
//!     target_comp_id = "LP1"
//!     connect = ["127.0.0.1:9876"]
//!     password = "${LP1_PASS}"
//! "#;
//! let env = |name: &str| (name == "LP1_PASS").then(|| "hunter2".to_string());
//! let config = Config::from_toml_with_env(text, Path::new("/etc/fixrail/venue.toml"), &env).unwrap();
//! assert_eq!(config.engine.journal_dir, Path::new("/etc/fixrail/journal"));
//! let lp1 = &config.sessions[0];
//! assert_eq!(lp1.role, Role::Initiator);
//! assert_eq!(lp1.password.as_ref().unwrap().expose(), "hunter2");
//! assert_eq!(format!("{:?}", lp1.password), "Some(***)");
//! ```

mod engine;
mod error;
mod instrument;
mod reader;
mod risk;
mod schedule;
mod session;

pub use error::{ConfigError, Location};

use crate::codec::TimePrecision;
use crate::dictionary::ValidationConfig;
use crate::journal::{Durability, JournalConfig};
use reader::{Doc, Section};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use toml::de::{DeTable, DeValue};

/// Reads and checks the config file at `path`, expanding `${NAME}` from the
/// process environment.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_with_env(path, &process_env)
}

/// [`load`] with the environment supplied by `env` (for tests and tools).
pub fn load_with_env(
    path: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Config::from_toml_with_env(&text, path, env)
}

/// The process environment; a variable that is not valid UTF-8 counts as unset.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// A loaded, checked config file.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from, as given.
    pub path: PathBuf,
    /// `[engine]`.
    pub engine: EngineConfig,
    /// `[risk]`: the limits that are not per instrument (defaults when the
    /// table is absent).
    pub risk: crate::risk::RiskConfig,
    /// Every `[[session]]`, in file order.
    pub sessions: Vec<SessionConfig>,
    /// Every `[[instrument]]`, in file order (may be empty).
    pub instruments: Vec<InstrumentConfig>,
    /// `[venue]` (defaults when absent).
    pub venue: VenueConfig,
}

impl Config {
    /// Parses and checks `text`, the contents of the file at `path`; `path`
    /// names the file in errors and its folder anchors relative paths.
    /// `${NAME}` expands from the process environment.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, ConfigError> {
        Config::from_toml_with_env(text, path, &process_env)
    }

    /// [`Config::from_toml`] with the environment supplied by `env`.
    pub fn from_toml_with_env(
        text: &str,
        path: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let doc = Doc { path, text, env };
        let root = DeTable::parse(text).map_err(|e| ConfigError::Syntax {
            path: path.to_path_buf(),
            location: Location::of_offset(text, e.span().map_or(0, |s| s.start)),
            message: e.message().to_owned(),
        })?;
        let root = Section {
            doc: &doc,
            prefix: String::new(),
            table: root.get_ref(),
            span: None,
        };
        root.deny_unknown(&["engine", "session", "risk", "instrument", "venue"])?;
        let base = base_dir(path)?;

        let engine = match root.table("engine")? {
            Some(t) => engine::parse(&t, &base)?,
            None => return Err(doc.invalid("engine", None, "the [engine] table is missing")),
        };
        let items = match root.get("session") {
            None => {
                return Err(doc.invalid(
                    "session",
                    None,
                    "no [[session]] table: at least one session is required",
                ))
            }
            Some(v) => match v.get_ref() {
                DeValue::Array(a) if !a.is_empty() => a,
                _ => return Err(root.expected("session", v, "one or more [[session]] tables")),
            },
        };
        let mut sessions = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let DeValue::Table(t) = item.get_ref() else {
                return Err(root.expected(&format!("session[{i}]"), item, "a table"));
            };
            sessions.push(session::parse(&doc, i, t, item.span(), &base)?);
        }
        session::check_across(&doc, &sessions)?;
        let risk = risk::parse(root.table("risk")?.as_ref())?;
        let mut instruments = Vec::new();
        if let Some(v) = root.get("instrument") {
            let DeValue::Array(items) = v.get_ref() else {
                return Err(root.expected("instrument", v, "one or more [[instrument]] tables"));
            };
            for (i, item) in items.iter().enumerate() {
                let DeValue::Table(t) = item.get_ref() else {
                    return Err(root.expected(&format!("instrument[{i}]"), item, "a table"));
                };
                instruments.push(instrument::parse(&doc, i, t, item.span())?);
            }
        }
        instrument::check_across(&doc, &instruments)?;
        let venue = match root.table("venue")? {
            Some(t) => instrument::venue(&t)?,
            None => VenueConfig::default(),
        };
        if instruments.is_empty() {
            if let Some(s) = sessions
                .iter()
                .find(|s| s.config.application == Application::Venue)
            {
                return Err(s.error_at_application(
                    &doc,
                    "the venue application needs at least one [[instrument]] table",
                ));
            }
        }
        Ok(Config {
            path: path.to_path_buf(),
            engine,
            risk,
            sessions: sessions.into_iter().map(|s| s.config).collect(),
            instruments: instruments.into_iter().map(|(i, _)| i).collect(),
            venue,
        })
    }

    /// The session called `name`.
    pub fn session(&self, name: &str) -> Option<&SessionConfig> {
        self.sessions.iter().find(|s| s.name == name)
    }
}

/// The absolute folder holding the config file.
fn base_dir(path: &Path) -> Result<PathBuf, ConfigError> {
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::path::absolute(parent)
        .map(|p| clean(&p))
        .map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })
}

/// `p` made absolute against `base`, without `.` components (`..` is kept:
/// removing it without the file system could be wrong under symlinks).
fn resolve(base: &Path, p: &str) -> PathBuf {
    clean(&base.join(p))
}

fn clean(p: &Path) -> PathBuf {
    p.components().filter(|c| *c != Component::CurDir).collect()
}

/// `[engine]`: process-wide settings.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// The journal directory, absolute.
    pub journal_dir: PathBuf,
    /// What engine threads do when they find no work.
    pub idle: IdleKind,
    /// When journal records are on stable storage.
    pub durability: Durability,
    /// CPU ids to pin engine threads to; empty = no pinning.
    pub cores: Vec<usize>,
    /// Journal segment size in MiB (1 to 4095).
    pub segment_size_mb: u32,
    /// A `tracing` filter directive (checked to parse).
    pub log_level: String,
}

impl EngineConfig {
    /// The journal settings this file gives (directory, segment size,
    /// durability); the rest are [`JournalConfig::new`]'s defaults.
    pub fn journal_config(&self) -> JournalConfig {
        JournalConfig {
            segment_size_bytes: u64::from(self.segment_size_mb) << 20,
            durability: self.durability,
            ..JournalConfig::new(&self.journal_dir)
        }
    }
}

/// What an engine thread does when a duty cycle finds no work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdleKind {
    /// Spin without pause (lowest latency, burns the core).
    BusySpin,
    /// Spin with a CPU spin-loop hint.
    SpinHint,
    /// Yield the thread to the scheduler.
    Yield,
    /// Spin, then yield, then park for growing periods.
    #[default]
    Backoff,
}

impl IdleKind {
    /// Every kind with its config spelling.
    pub const NAMES: [(&'static str, IdleKind); 4] = [
        ("busy-spin", IdleKind::BusySpin),
        ("spin-hint", IdleKind::SpinHint),
        ("yield", IdleKind::Yield),
        ("backoff", IdleKind::Backoff),
    ];

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        name_of(&Self::NAMES, self)
    }
}

/// Which side opens the TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Connects out and sends the first Logon.
    Initiator,
    /// Listens and answers the peer's Logon.
    Acceptor,
}

impl Role {
    /// Every role with its config spelling.
    pub const NAMES: [(&'static str, Role); 2] =
        [("initiator", Role::Initiator), ("acceptor", Role::Acceptor)];

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        name_of(&Self::NAMES, self)
    }
}

/// What to do with a message whose MsgSeqNum is lower than expected and
/// that is not a PossDup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeqTooLowPolicy {
    /// Log out and alert an operator (the FIX spec's rule).
    #[default]
    Alert,
    /// Handle it automatically (see the session layer's documentation).
    Auto,
}

impl SeqTooLowPolicy {
    /// Every policy with its config spelling.
    pub const NAMES: [(&'static str, SeqTooLowPolicy); 2] = [
        ("alert", SeqTooLowPolicy::Alert),
        ("auto", SeqTooLowPolicy::Auto),
    ];

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        name_of(&Self::NAMES, self)
    }
}

/// The application a session runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Application {
    /// Sends every application message back to the peer.
    Echo,
    /// No application: session messages only.
    #[default]
    None,
    /// The venue simulator: orders are matched against the books of the
    /// `[[instrument]]` tables (`src/venue`).
    Venue,
}

impl Application {
    /// Every application with its config spelling.
    pub const NAMES: [(&'static str, Application); 3] = [
        ("echo", Application::Echo),
        ("none", Application::None),
        ("venue", Application::Venue),
    ];

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        name_of(&Self::NAMES, self)
    }
}

fn name_of<T: Copy + PartialEq>(names: &[(&'static str, T)], t: T) -> &'static str {
    names.iter().find(|(_, v)| *v == t).map_or("", |(n, _)| n)
}

/// One `[[instrument]]`: an instrument traded through fixrail. The venue
/// simulator builds its books from these; the trading side (instrument ids,
/// risk limits) reads the same table. Decimals are exact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentConfig {
    /// Symbol (55), unique in the file.
    pub symbol: String,
    /// The price increment; prices must be whole multiples of it.
    pub tick_size: rust_decimal::Decimal,
    /// The quantity increment; quantities must be whole multiples of it.
    pub lot_size: rust_decimal::Decimal,
    /// A price to judge orders against (price collars) where no market price
    /// is known yet.
    pub reference_price: rust_decimal::Decimal,
    /// The largest quantity one order may have; `None` = no limit.
    pub max_order_qty: Option<rust_decimal::Decimal>,
}

/// `[venue]`: the venue simulator's limits (all tables are sized from
/// these at start-up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VenueConfig {
    /// Orders that can rest in one instrument's book; an order that would
    /// rest beyond it is cancelled.
    pub max_resting_orders_per_instrument: usize,
    /// Finished (filled, cancelled) orders remembered for status requests,
    /// late cancels and duplicate ClOrdID checks; the oldest are forgotten.
    pub max_remembered_orders: usize,
    /// Reports a session's queue holds while it is not being served (fills
    /// of its resting orders caused by other sessions, kept while it is
    /// logged off); beyond it reports are dropped and counted.
    pub max_queued_reports_per_session: usize,
    /// Market-data subscriptions (MarketDataRequest 263=1, one per symbol)
    /// a session may hold at once.
    pub max_md_subscriptions_per_session: usize,
    /// The deepest book published per side (MarketDepth 0 = full is capped
    /// at it, as is any larger depth).
    pub md_max_depth: usize,
    /// How an aggregated book's incrementals name their entries.
    pub md_keying: MdKeying,
    /// How long a firm (tradeable) Quote stays valid, in milliseconds.
    pub quote_valid_ms: u64,
    /// Quotes the venue remembers at once (a ring: the oldest is forgotten).
    pub max_live_quotes: usize,
    /// The synthetic order flow's rate (orders, cancels, marketable orders
    /// per second over all instruments); 0 turns it off.
    pub flow_rate_per_sec: u64,
    /// The flow's random seed: the same seed and the same `now` sequence
    /// give the same flow.
    pub flow_seed: u64,
    /// The most flow actions one engine turn runs (a backlog beyond one
    /// turn's worth is skipped, so a turn stays short).
    pub flow_max_actions_per_poll: usize,
    /// The most orders the flow keeps resting per instrument.
    pub flow_max_resting_per_instrument: usize,
    /// How far from the flow's mid (in ticks) its passive orders rest.
    pub flow_price_range_ticks: u32,
    /// The largest flow order, in lots.
    pub flow_max_lots: u64,
    /// Percent of flow actions that are marketable (IOC through the mid).
    pub flow_marketable_pct: u8,
    /// Percent of flow actions that cancel one of its resting orders.
    pub flow_cancel_pct: u8,
}

/// `[venue] md_keying`: how an aggregated book's incrementals (X) name
/// their entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MdKeying {
    /// By price level (MDEntryPx 270): `"price"`.
    Price,
    /// By position in the book (MDEntryPositionNo 290, 1 = best): `"position"`.
    Position,
}

impl Default for VenueConfig {
    fn default() -> Self {
        VenueConfig {
            max_resting_orders_per_instrument: 10_000,
            max_remembered_orders: 50_000,
            max_queued_reports_per_session: 65_536,
            max_md_subscriptions_per_session: 16,
            md_max_depth: 64,
            md_keying: MdKeying::Price,
            quote_valid_ms: 1_000,
            max_live_quotes: 1_024,
            flow_rate_per_sec: 0,
            flow_seed: 1,
            flow_max_actions_per_poll: 1_000,
            flow_max_resting_per_instrument: 100,
            flow_price_range_ticks: 10,
            flow_max_lots: 10,
            flow_marketable_pct: 10,
            flow_cancel_pct: 30,
        }
    }
}

/// A secret string (a password). Debug and Display print `***`; only
/// [`Secret::expose`] gives the value, so it cannot reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A MsgType (tag 35) value of 1 to 4 ASCII letters or digits, held inline.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MsgTypeBytes {
    bytes: [u8; 4],
    len: u8,
}

impl MsgTypeBytes {
    /// The MsgType `v`, if it is 1 to 4 ASCII letters or digits.
    pub fn new(v: &[u8]) -> Option<MsgTypeBytes> {
        if v.is_empty() || v.len() > 4 || !v.iter().all(u8::is_ascii_alphanumeric) {
            return None;
        }
        let mut bytes = [0; 4];
        bytes[..v.len()].copy_from_slice(v);
        Some(MsgTypeBytes {
            bytes,
            len: v.len() as u8,
        })
    }

    /// A one-character MsgType (the caller passes an ASCII letter or digit).
    const fn single(b: u8) -> MsgTypeBytes {
        MsgTypeBytes {
            bytes: [b, 0, 0, 0],
            len: 1,
        }
    }

    /// The wire value.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The wire value as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII alphanumerics are ever stored.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

impl fmt::Debug for MsgTypeBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl fmt::Display for MsgTypeBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `[[session]]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionConfig {
    /// Unique name (logs, journal, commands).
    pub name: String,
    /// Initiator or acceptor.
    pub role: Role,
    /// BeginString (8); default `FIX.4.4`.
    pub begin_string: String,
    /// Our SenderCompID (49).
    pub sender_comp_id: String,
    /// The peer's CompID (our TargetCompID, 56).
    pub target_comp_id: String,
    /// Acceptor: the address to listen on (several acceptors may share one).
    pub listen: Option<SocketAddr>,
    /// Initiator: addresses to connect to, primary first; host names are
    /// resolved at load time and each expands to all its addresses.
    pub connect: Vec<SocketAddr>,
    /// Acceptor: source IPs allowed to connect; empty = any.
    pub allowed_addresses: Vec<IpAddr>,
    /// HeartBtInt (108) an initiator sends; at least 1.
    pub heartbeat_secs: u32,
    /// Reset sequence numbers at each Logon (141=Y).
    pub reset_on_logon: bool,
    /// Reset sequence numbers after a Logout.
    pub reset_on_logout: bool,
    /// Reset sequence numbers when the connection drops.
    pub reset_on_disconnect: bool,
    /// Send NextExpectedMsgSeqNum (789) on Logon.
    pub send_next_expected_seq_num: bool,
    /// What to do with a too-low MsgSeqNum.
    pub seq_too_low_policy: SeqTooLowPolicy,
    /// Username (553) on Logon.
    pub username: Option<String>,
    /// Password (554) on Logon; never printed.
    pub password: Option<Secret>,
    /// A QuickFIX-format dictionary file (absolute); `None` = the embedded
    /// FIX 4.4 dictionary.
    pub data_dictionary: Option<PathBuf>,
    /// The four validation switches.
    pub validation: ValidationConfig,
    /// Check SenderCompID/TargetCompID of incoming messages.
    pub check_comp_id: bool,
    /// Check SendingTime (52) against our clock.
    pub check_latency: bool,
    /// The largest SendingTime difference accepted, in seconds.
    pub max_latency_secs: u32,
    /// Sub-second digits of the timestamps we send.
    pub timestamp_precision: TimePrecision,
    /// Acceptor: the application run on this session.
    pub application: Application,
    /// How long to wait for the Logon answer, in seconds.
    pub logon_timeout_secs: u32,
    /// How long to wait for the Logout answer, in seconds.
    pub logout_timeout_secs: u32,
    /// Send a TestRequest after `heartbeat * (1 + pct/100)` of silence.
    pub test_request_margin_pct: u32,
    /// `[session.resend]`.
    pub resend: ResendConfig,
    /// `[session.reconnect]` (initiators; acceptors keep the defaults, unused).
    pub reconnect: ReconnectConfig,
    /// `[session.schedule]`; `None` = always in session.
    pub schedule: Option<ScheduleConfig>,
}

/// `[session.resend]`: resend requests we send and serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResendConfig {
    /// The largest range one ResendRequest of ours asks for; 0 = unlimited
    /// (EndSeqNo 0).
    pub max_range: u64,
    /// The largest range we serve in one go; larger requests are capped.
    pub serve_max: u64,
    /// Application messages of these MsgTypes older than N seconds are
    /// gap-filled instead of resent, in file order.
    pub gap_fill_older_than_secs: Vec<(MsgTypeBytes, u64)>,
    /// MsgTypes that are always gap-filled, never resent.
    pub never_resend: Vec<String>,
    /// Inbound messages held while a gap is filled.
    pub queue_capacity: usize,
}

impl Default for ResendConfig {
    fn default() -> Self {
        let secs = |t: u8| (MsgTypeBytes::single(t), 60);
        ResendConfig {
            max_range: 0,
            serve_max: 100_000,
            gap_fill_older_than_secs: vec![secs(b'D'), secs(b'F'), secs(b'G')],
            never_resend: vec!["V".to_owned()],
            queue_capacity: 1024,
        }
    }
}

/// `[session.reconnect]`: an initiator's back-off between connect attempts.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectConfig {
    /// First delay, in milliseconds.
    pub initial_ms: u64,
    /// Largest delay, in milliseconds.
    pub max_ms: u64,
    /// Each delay is the previous one times this (at least 1).
    pub multiplier: f64,
    /// Random spread of each delay, in percent (0 to 100).
    pub jitter_pct: u32,
}

impl Default for ReconnectConfig {
    fn default() -> Self {
        ReconnectConfig {
            initial_ms: 500,
            max_ms: 30_000,
            multiplier: 2.0,
            jitter_pct: 20,
        }
    }
}

/// `[session.schedule]`, syntax-checked; `src/session/schedule.rs`
/// interprets it. Times are `HH:MM:SS`; days are `Sun`..`Sat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleConfig {
    /// Window start, local to `time_zone`.
    pub start_time: String,
    /// Window end; at or before the start, the window crosses midnight.
    pub end_time: String,
    /// An IANA time zone name that exists in the bundled database.
    pub time_zone: String,
    /// Daily windows: the days a window starts on (all seven by default);
    /// empty for a weekly session (`start_day`/`end_day`).
    pub weekdays: Vec<String>,
    /// Weekly session: the start day.
    pub start_day: Option<String>,
    /// Weekly session: the end day.
    pub end_day: Option<String>,
    /// A separate daily sequence-reset time; `None` = at each window start.
    pub reset_time: Option<String>,
}
