//! `fixrail replay`: a trading session's journal drives its books again
//! (`fixrail::md::Replay`), at the captured pace, N times faster, or as
//! fast as it reads; prints the books (and with `--events` every event a
//! strategy would have got) and a hash of the final books, so two replays,
//! or a replay and the live engine, can be compared.
//!
//! Read-only, like `fixrail journal`: it never takes the writer's lock,
//! so it runs beside a live engine on the journal it is writing.

use crate::cli_journal::{self, Item};
use fixrail::clock::MonotonicClock;
use fixrail::dictionary::{Dictionary, ValidationConfig};
use fixrail::journal::record::Kind;
use fixrail::journal::JournalReader;
use fixrail::md::Replay;
use fixrail::strategy::{Event, Instrument, InstrumentId, InstrumentTable, Price, Qty};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// How fast to replay.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Speed {
    /// As fast as the records can be read.
    Max,
    /// This many times the captured pace (1 = real time).
    Times(f64),
}

/// Parses `--speed`: a positive number or `max`.
pub fn parse_speed(s: &str) -> Result<Speed, String> {
    if s.eq_ignore_ascii_case("max") {
        return Ok(Speed::Max);
    }
    match s.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(Speed::Times(n)),
        _ => Err(format!(
            "expected a positive number (1 = captured pace, 10 = ten times faster) or \"max\", found {s:?}"
        )),
    }
}

/// `fixrail replay`'s arguments.
#[derive(clap::Args, Debug)]
pub struct ReplayArgs {
    /// The journal directory (the engine's `[engine] journal_dir`).
    #[arg(long, value_name = "PATH")]
    pub journal: PathBuf,
    /// The config the engine ran with: its instrument table (order and
    /// book sizes), ClOrdID prefix and the session's dictionary. Without
    /// it, instruments and the prefix are read back from the journal's
    /// MarketDataRequests, with default book sizes.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The session to replay (a name from `sessions.ids` in the journal
    /// directory); default: the one session that sent MarketDataRequests.
    #[arg(long, value_name = "NAME")]
    pub session: Option<String>,
    /// Pace: `max` (default), or N times the captured pace (1 = real time).
    #[arg(long, value_name = "N|max", default_value = "max", value_parser = parse_speed)]
    pub speed: Speed,
    /// Print every event a strategy would have got, one line each.
    #[arg(long)]
    pub events: bool,
}

/// One journal session's name and id.
struct Named {
    id: u32,
    name: String,
}

fn session_names(dir: &Path) -> Result<Vec<Named>, String> {
    let path = dir.join("sessions.ids");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match line
            .split_once(' ')
            .and_then(|(id, name)| Some((id.parse::<u32>().ok()?, name)))
        {
            Some((id, name)) => out.push(Named {
                id,
                name: name.to_string(),
            }),
            None => {
                return Err(format!(
                    "{}:{}: expected `<id> <session name>`, found {line:?}",
                    path.display(),
                    n + 1
                ))
            }
        }
    }
    Ok(out)
}

/// The outbound MarketDataRequests of every session: (session, MDReqID,
/// symbol), in journal order.
fn requests(reader: &JournalReader, dict: &Dictionary) -> Vec<(u32, Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut decoder = fixrail::codec::Decoder::for_spec(dict.parse_spec().clone(), usize::MAX / 2);
    cli_journal::walk(reader, |item| {
        let Item::Record(r) = item else { return };
        if r.kind != Kind::Outbound || r.header.msg_type() != b"V" {
            return;
        }
        if let fixrail::codec::Decoded::Message(m, _) = decoder.decode(r.payload) {
            if m.get(263).is_some_and(|f| f.value() == b"2") {
                return;
            }
            if let (Some(id), Some(sym)) = (m.get(262), m.get(55)) {
                out.push((r.header.session, id.value().to_vec(), sym.value().to_vec()));
            }
        }
    });
    out
}

/// `<prefix>M<instrument>.<seq>.<secs>` (see `md::request`): every way
/// to split `id` into a prefix and an instrument number.
fn splits(id: &[u8]) -> Vec<(Vec<u8>, u16)> {
    let b36 = |s: &[u8]| -> Option<u64> {
        if s.is_empty() {
            return None;
        }
        s.iter().try_fold(0u64, |n, &c| {
            let d = match c {
                b'0'..=b'9' => c - b'0',
                b'A'..=b'Z' => c - b'A' + 10,
                _ => return None,
            };
            n.checked_mul(36)?.checked_add(u64::from(d))
        })
    };
    let mut out = Vec::new();
    for (p, _) in id.iter().enumerate().filter(|(p, &c)| c == b'M' && *p <= 8) {
        let rest: Vec<&[u8]> = id[p + 1..].split(|&c| c == b'.').collect();
        if rest.len() == 3 && rest.iter().all(|s| b36(s).is_some()) {
            if let Some(n) = b36(rest[0]).and_then(|n| u16::try_from(n).ok()) {
                out.push((id[..p].to_vec(), n));
            }
        }
    }
    out
}

/// Instruments and prefix read back from the session's requests: the
/// longest prefix every id agrees on, each instrument number with the
/// symbol its requests named.
fn from_requests(reqs: &[(Vec<u8>, Vec<u8>)]) -> Result<(InstrumentTable, Vec<u8>), String> {
    let mut candidates: Vec<Vec<u8>> = match reqs.first() {
        Some((id, _)) => splits(id).into_iter().map(|(p, _)| p).collect(),
        None => Vec::new(),
    };
    candidates.sort_by_key(|p| std::cmp::Reverse(p.len()));
    'prefix: for prefix in candidates {
        let mut symbols: Vec<Option<Vec<u8>>> = Vec::new();
        for (id, sym) in reqs {
            let Some((_, n)) = splits(id).into_iter().find(|(p, _)| *p == prefix) else {
                continue 'prefix;
            };
            let n = usize::from(n);
            if symbols.len() <= n {
                symbols.resize(n + 1, None);
            }
            match &symbols[n] {
                Some(s) if s != sym => continue 'prefix,
                _ => symbols[n] = Some(sym.clone()),
            }
        }
        let list = symbols
            .iter()
            .enumerate()
            .map(|(i, s)| Instrument {
                id: InstrumentId(i as u16),
                symbol: match s {
                    Some(s) => String::from_utf8_lossy(s).into_owned(),
                    None => format!("?{i}"),
                },
                tick_size: Price(1),
                lot_size: Qty(1),
                reference_price: Price(0),
                max_order_qty: Qty(i64::MAX),
                max_notional: i128::MAX,
                position_limit: Qty(i64::MAX),
                collar_bps: 0,
                market_data: Default::default(),
            })
            .collect();
        if let Ok(t) = InstrumentTable::new(list) {
            return Ok((t, prefix));
        }
    }
    Err(
        "the journal's MarketDataRequests do not agree on an MDReqID prefix and instruments; \
         give --config"
            .into(),
    )
}

/// `fixrail replay`.
pub fn run(args: &ReplayArgs) -> Result<ExitCode, String> {
    let (reader, problems) = cli_journal::open(&args.journal)?;
    problems.iter().for_each(cli_journal::warn);
    let names = session_names(&args.journal)?;
    let loaded = match &args.config {
        Some(path) => {
            let cfg = fixrail::config::load(path).map_err(|e| e.to_string())?;
            Some(fixrail::engine::engine_spec(&cfg)?)
        }
        None => None,
    };
    // The requests are read with the standard dictionary (only their
    // header and 262/263/55 are needed), to find the session.
    let reqs = requests(&reader, &Dictionary::fix44());
    let name_of = |id: u32| {
        names
            .iter()
            .find(|n| n.id == id)
            .map_or_else(|| format!("#{id}"), |n| n.name.clone())
    };
    let session = match &args.session {
        Some(name) => match names.iter().find(|n| n.name == *name) {
            Some(n) => n.id,
            None => {
                let known: Vec<&str> = names.iter().map(|n| n.name.as_str()).collect();
                return Err(format!(
                    "--session {name:?}: no such session in {} (it has: {})",
                    args.journal.join("sessions.ids").display(),
                    if known.is_empty() {
                        "none".to_string()
                    } else {
                        known.join(", ")
                    }
                ));
            }
        },
        None => {
            let mut ids: Vec<u32> = reqs.iter().map(|r| r.0).collect();
            ids.sort_unstable();
            ids.dedup();
            match ids.as_slice() {
                [one] => *one,
                [] => {
                    return Err(format!(
                        "{}: no session in this journal sent a MarketDataRequest (V): nothing to replay",
                        args.journal.display()
                    ))
                }
                many => {
                    let list: Vec<String> = many.iter().map(|&i| name_of(i)).collect();
                    return Err(format!(
                        "{}: several sessions sent MarketDataRequests ({}); choose one with --session",
                        args.journal.display(),
                        list.join(", ")
                    ));
                }
            }
        }
    };
    // The session's own dictionary and validation switches, from the config.
    let configured = loaded.as_ref().and_then(|spec| {
        let name = name_of(session);
        spec.sessions.iter().find(|s| s.session.name == name)
    });
    let dict = configured.map_or_else(Dictionary::fix44, |s| (*s.dictionary).clone());
    let validation = configured.map_or(ValidationConfig::default(), |s| s.session.validation);
    let (instruments, prefix) = match &loaded {
        Some(spec) => (
            Arc::clone(&spec.trading.instruments),
            spec.trading.orders.clordid_prefix.clone().into_bytes(),
        ),
        None => {
            let mine: Vec<(Vec<u8>, Vec<u8>)> = reqs
                .iter()
                .filter(|r| r.0 == session)
                .map(|r| (r.1.clone(), r.2.clone()))
                .collect();
            let (t, p) = from_requests(&mine)?;
            (Arc::new(t), p)
        }
    };
    let mut replay = Replay::new(
        Arc::clone(&instruments),
        &prefix,
        dict.clone(),
        validation,
        session,
    )?;

    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    let clock = MonotonicClock::new();
    let started = clock.now().as_nanos();
    let mut first_ts: Option<i64> = None;
    let mut line = String::new();
    let mut failed: Result<(), std::io::Error> = Ok(());
    cli_journal::walk(&reader, |item| {
        let r = match item {
            Item::Record(r) => r,
            Item::Damage(p) => {
                let _ = out.flush();
                cli_journal::warn(&p);
                return;
            }
        };
        if r.header.session != session || failed.is_err() {
            return;
        }
        if let Speed::Times(n) = args.speed {
            let t0 = *first_ts.get_or_insert(r.header.timestamp_ns);
            let due = ((r.header.timestamp_ns - t0).max(0) as f64 / n) as u64;
            let elapsed = clock.now().as_nanos() - started;
            if due > elapsed {
                let _ = out.flush();
                std::thread::sleep(std::time::Duration::from_nanos(due - elapsed));
            }
        }
        let ts = r.header.timestamp_ns;
        replay.record(&r, |e| {
            if args.events && failed.is_ok() {
                line.clear();
                let _ = write!(line, "{} ", cli_journal::utc(ts));
                describe(&mut line, e, &instruments);
                failed = writeln!(out, "{line}");
            }
        });
    });
    failed.map_err(|e| format!("stdout: {e}"))?;
    report(&mut out, &replay, &instruments, &name_of(session))
        .map_err(|e| format!("stdout: {e}"))?;
    out.flush().map_err(|e| format!("stdout: {e}"))?;
    Ok(ExitCode::SUCCESS)
}

fn symbol(instruments: &InstrumentTable, id: InstrumentId) -> &str {
    instruments.get(id).map_or("?", |i| i.symbol.as_str())
}

fn px(p: Price) -> String {
    p.to_decimal().normalize().to_string()
}

/// One event as a line.
fn describe(line: &mut String, e: &Event, instruments: &InstrumentTable) {
    let _ = match *e {
        Event::TopOfBook(t) => write!(
            line,
            "top {} {}@{} / {}@{} spread {} imbalance {} seq {}",
            symbol(instruments, t.instrument),
            t.bid_qty.0,
            px(t.bid),
            t.ask_qty.0,
            px(t.ask),
            px(t.spread),
            t.imbalance,
            t.seq
        ),
        Event::BookLevel {
            instrument,
            side,
            level,
            price,
            qty,
            orders,
        } => write!(
            line,
            "level {} {:?} {} {}@{} orders {}",
            symbol(instruments, instrument),
            side,
            level,
            qty.0,
            px(price),
            orders
        ),
        Event::Trade {
            instrument,
            price,
            qty,
        } => write!(
            line,
            "trade {} {}@{}",
            symbol(instruments, instrument),
            qty.0,
            px(price)
        ),
        other => write!(line, "{other:?}"),
    };
}

fn report(
    out: &mut impl std::io::Write,
    replay: &Replay,
    instruments: &InstrumentTable,
    session: &str,
) -> std::io::Result<()> {
    let c = replay.counters();
    let md = replay.market_data();
    writeln!(
        out,
        "replay of session {session}: {} records, {} market-data messages, {} requests, {} logons, \
         {} gaps, {} duplicates, {} invalid, {} unreadable; {} events",
        c.records,
        c.market_data,
        c.requests,
        c.logons,
        c.gaps,
        c.duplicates,
        c.invalid,
        c.unreadable,
        c.events
    )?;
    for ins in instruments.iter() {
        let (Some(book), Some(state)) = (md.book(ins.id), md.state(ins.id)) else {
            continue;
        };
        if md.wanted(ins.id).is_none() && book.bids().is_empty() && book.asks().is_empty() {
            continue;
        }
        let top = book.top();
        let side = |l: Option<fixrail::md::Level>| {
            l.map_or_else(
                || "-".to_string(),
                |l| format!("{}@{}", l.qty.0, px(l.price)),
            )
        };
        writeln!(
            out,
            "book {} {:?}: bid {} ask {} ({} bid / {} ask levels) hash {:016x}",
            ins.symbol,
            state,
            side(top.bid),
            side(top.ask),
            book.bids().len(),
            book.asks().len(),
            book.state_hash()
        )?;
    }
    writeln!(out, "books hash {:016x}", replay.books_hash())
}
