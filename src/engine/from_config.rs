//! From the loaded config file to what the engine runs.

use super::{AppKind, EngineSpec, Idle, SessionSpec};
use crate::config::{self, Config};
use crate::dictionary::Dictionary;
use crate::journal::JournalConfig;
use crate::net::BackoffConfig;
use crate::session::schedule::{Schedule, ScheduleSpec};
use crate::session::{self, MsgTypeKey, ResendPolicy, SessionConfig};
use std::sync::Arc;
use std::time::Duration;

/// Builds the engine's spec: loads dictionaries (each file once), parses
/// schedules, and takes the venue's instruments and limits when a session
/// runs the venue application. Errors name the config file, the session and the problem.
pub fn engine_spec(cfg: &Config) -> Result<EngineSpec, String> {
    let file = cfg.path.display().to_string();
    let mut journal = JournalConfig::new(&cfg.engine.journal_dir);
    journal.durability = cfg.engine.durability;
    journal.segment_size_bytes = cfg.engine.segment_size_mb as u64 * 1024 * 1024;
    journal.sessions_max = journal.sessions_max.max(cfg.sessions.len() as u32 * 2);
    let idle = match cfg.engine.idle {
        config::IdleKind::BusySpin | config::IdleKind::SpinHint => Idle::BusySpin,
        config::IdleKind::Yield | config::IdleKind::Backoff => Idle::Backoff,
    };
    let fix44 = Arc::new(Dictionary::fix44());
    let mut loaded: Vec<(std::path::PathBuf, Arc<Dictionary>)> = Vec::new();
    let mut sessions = Vec::with_capacity(cfg.sessions.len());
    for (i, s) in cfg.sessions.iter().enumerate() {
        let at = |key: &str, problem: String| {
            format!("{file}: session[{i}] (name {:?}).{key}: {problem}", s.name)
        };
        let dictionary = match &s.data_dictionary {
            None => Arc::clone(&fix44),
            Some(p) => match loaded.iter().find(|(q, _)| q == p) {
                Some((_, d)) => Arc::clone(d),
                None => {
                    let d = Arc::new(
                        Dictionary::from_file(p)
                            .map_err(|e| at("data_dictionary", e.to_string()))?,
                    );
                    loaded.push((p.clone(), Arc::clone(&d)));
                    d
                }
            },
        };
        let schedule = match &s.schedule {
            None => Schedule::always(),
            Some(sc) => {
                let weekdays: Vec<&str> = sc.weekdays.iter().map(String::as_str).collect();
                Schedule::new(&ScheduleSpec {
                    start_time: &sc.start_time,
                    end_time: &sc.end_time,
                    time_zone: &sc.time_zone,
                    weekdays: &weekdays,
                    start_day: sc.start_day.as_deref(),
                    end_day: sc.end_day.as_deref(),
                    reset_time: sc.reset_time.as_deref(),
                })
                .map_err(|e| at("schedule", e.to_string()))?
            }
        };
        let key = |t: &[u8], k: &str| {
            MsgTypeKey::new(t).ok_or_else(|| {
                at(
                    k,
                    format!("{:?} is not a MsgType", String::from_utf8_lossy(t)),
                )
            })
        };
        let mut gap_fill_older_than = Vec::new();
        for (t, secs) in &s.resend.gap_fill_older_than_secs {
            gap_fill_older_than.push((
                key(t.as_bytes(), "resend.gap_fill_older_than_secs")?,
                (*secs).min(u32::MAX as u64) as u32,
            ));
        }
        let mut never_resend = Vec::new();
        for t in &s.resend.never_resend {
            never_resend.push(key(t.as_bytes(), "resend.never_resend")?);
        }
        let role = match s.role {
            config::Role::Initiator => session::Role::Initiator,
            config::Role::Acceptor => session::Role::Acceptor,
        };
        let mut sc = SessionConfig::new(role, &s.sender_comp_id, &s.target_comp_id);
        sc.name = s.name.clone();
        sc.begin_string = s.begin_string.clone();
        sc.heartbeat_secs = s.heartbeat_secs;
        sc.reset_on_logon = s.reset_on_logon;
        sc.reset_on_logout = s.reset_on_logout;
        sc.reset_on_disconnect = s.reset_on_disconnect;
        sc.send_next_expected_seq_num = s.send_next_expected_seq_num;
        sc.seq_too_low_policy = match s.seq_too_low_policy {
            config::SeqTooLowPolicy::Alert => session::SeqTooLowPolicy::Alert,
            config::SeqTooLowPolicy::Auto => session::SeqTooLowPolicy::Auto,
        };
        sc.username = s.username.clone();
        sc.password = s.password.as_ref().map(|p| p.expose().to_string());
        sc.validation = s.validation;
        sc.check_comp_id = s.check_comp_id;
        sc.check_latency = s.check_latency;
        sc.max_latency_secs = s.max_latency_secs;
        sc.timestamp_precision = s.timestamp_precision;
        sc.logon_timeout_secs = s.logon_timeout_secs;
        sc.logout_timeout_secs = s.logout_timeout_secs;
        sc.test_request_margin_pct = s.test_request_margin_pct;
        sc.resend = ResendPolicy {
            request_chunk: s.resend.max_range,
            serve_max: s.resend.serve_max,
            gap_fill_older_than,
            never_resend,
            queue_capacity: s.resend.queue_capacity,
        };
        sessions.push(SessionSpec {
            session: sc,
            dictionary,
            listen: s.listen,
            connect: s.connect.clone(),
            allowed_addresses: s.allowed_addresses.clone(),
            reconnect: BackoffConfig {
                initial: Duration::from_millis(s.reconnect.initial_ms),
                max: Duration::from_millis(s.reconnect.max_ms),
                multiplier: s.reconnect.multiplier,
                jitter_pct: s.reconnect.jitter_pct,
            },
            schedule,
            application: match s.application {
                config::Application::Echo => AppKind::Echo,
                config::Application::None => AppKind::None,
                config::Application::Venue => AppKind::Venue,
            },
        });
    }
    let venue = if sessions.iter().any(|s| s.application == AppKind::Venue) {
        Some(crate::venue::VenueSpec::from_config(cfg)?)
    } else {
        None
    };
    let trading = super::TradingSpec {
        instruments: Arc::new(instrument_table(cfg)?),
        risk: cfg.risk.clone(),
        ..super::TradingSpec::default()
    };
    Ok(EngineSpec {
        journal,
        idle,
        sessions,
        venue,
        trading,
    })
}

/// The trading side's instrument table from `[[instrument]]`: prices at 8
/// decimals, whole-unit lots; limits not configured are unlimited.
pub fn instrument_table(cfg: &Config) -> Result<crate::strategy::InstrumentTable, String> {
    use crate::strategy::{Instrument, InstrumentId, InstrumentTable, Price, Qty};
    let file = cfg.path.display().to_string();
    let mut list = Vec::with_capacity(cfg.instruments.len());
    for (i, ins) in cfg.instruments.iter().enumerate() {
        let at = |key: &str, problem: &str| {
            format!(
                "{file}: instrument[{i}] (symbol {:?}).{key}: {problem}",
                ins.symbol
            )
        };
        let price = |d: rust_decimal::Decimal, key: &str| {
            Price::from_decimal(d).ok_or_else(|| at(key, "more than 8 decimals or out of range"))
        };
        let qty = |d: rust_decimal::Decimal, key: &str| {
            if d.fract() != rust_decimal::Decimal::ZERO {
                return Err(at(key, "must be a whole number of units for trading"));
            }
            i64::try_from(d.mantissa() / 10i128.pow(d.scale()))
                .map(Qty)
                .map_err(|_| at(key, "out of range"))
        };
        list.push(Instrument {
            id: InstrumentId(i as u16),
            symbol: ins.symbol.clone(),
            tick_size: price(ins.tick_size, "tick_size")?,
            lot_size: qty(ins.lot_size, "lot_size")?,
            reference_price: price(ins.reference_price, "reference_price")?,
            max_order_qty: match ins.max_order_qty {
                Some(q) => qty(q, "max_order_qty")?,
                None => Qty(i64::MAX),
            },
            max_notional: i128::MAX,
            position_limit: Qty(i64::MAX),
            collar_bps: u32::MAX,
            market_data: crate::strategy::MarketDataConfig {
                book_depth: ins.book_depth,
                book_max_levels: ins.book_max_levels,
                book_max_entries: ins.book_max_entries,
                stale_after_ms: ins.stale_after_ms,
            },
        });
    }
    InstrumentTable::new(list).map_err(|e| format!("{file}: instrument: {e}"))
}
