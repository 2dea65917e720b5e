//! The venue simulator behind `fixrail venue`: fixrail's own acceptor with a
//! price-time matching engine per instrument.
//!
//! Owns the instruments' books ([`book`]), what the venue remembers about
//! orders ([`orders`]), and the FIX order handling of the sessions that run
//! the venue application ([`VenueApplication`] in `app.rs`): NewOrderSingle
//! (D), OrderCancelRequest (F), OrderCancelReplaceRequest (G),
//! OrderStatusRequest (H) and OrderMassStatusRequest (AF), answered with
//! ExecutionReports (8) and OrderCancelRejects (9) (`report.rs` writes
//! them). It reads no clock (every call carries `now`), opens no socket and
//! never touches another module's state: it sends only through the
//! [`crate::session::Responder`] the session hands it.
//!
//! **One venue, many sessions.** A fill concerns two orders, and the resting
//! one may belong to another session than the one whose message caused it.
//! All venue sessions of an engine therefore share one [`Venue`] through
//! [`SharedVenue`]: the engine is single-threaded and never calls one
//! application from inside another, so its lock is never contended. Each session gets a
//! [`VenueApplication`] handle naming its slot. A report for the session
//! being served goes out at once through its `Responder`; a report for
//! another session is queued on that session (a fixed-size queue of small
//! `Copy` snapshots) and goes out when the engine calls
//! [`crate::session::Application::send_queued`] for it (once per engine
//! turn while [`crate::session::Application::has_queued`] says so), or
//! before that session's next message is handled, whichever comes first, so
//! a session always sees its reports in the order they happened. A session
//! that is not logged on keeps its queue until it is; a full queue drops
//! the report and counts it ([`VenueCounters::reports_dropped`]); the order
//! state stays right and status requests show it.
//!
//! **Numbers.** Prices are integer ticks of the instrument's `tick_size`
//! and quantities integer lots of its `lot_size`; a price or quantity that
//! is not a whole number of them is rejected. Reports convert back exactly
//! ([`Fixed`] arithmetic); AvgPx carries up to four more decimals than the
//! tick size.
//!
//! **Allocation.** [`Venue::new`] sizes every table from [`VenueSpec`]:
//! each book for `max_resting_orders_per_instrument`, the order records for
//! all of those plus `max_remembered_orders` finished ones, the ClOrdID
//! index, and each session's report queue. Handling a message allocates
//! nothing after that (proved by `tests/venue_no_alloc.rs`).
//!
//! **Not simulated:** the trading day (Day orders live until filled or
//! cancelled, like GTC), self-trade prevention, persistence (a restarted
//! venue starts with empty books and forgets its orders), market data.

pub mod book;
pub mod orders;

mod app;
mod cancel;
mod report;
mod status;

pub use app::VenueApplication;

use crate::codec::{Fixed, UtcTimestamp};
use book::Book;
use orders::Orders;
use report::Report;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

/// One instrument the venue trades.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instrument {
    /// Symbol (55), as on the wire.
    pub symbol: String,
    /// The price increment (more than zero).
    pub tick_size: Fixed,
    /// The quantity increment (more than zero).
    pub lot_size: Fixed,
    /// The largest OrderQty accepted, if limited.
    pub max_order_qty: Option<Fixed>,
}

/// Everything the venue is built from (see `[venue]` and `[[instrument]]`
/// in `docs/CONFIG.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VenueSpec {
    /// The instruments, in config order.
    pub instruments: Vec<Instrument>,
    /// Book capacity of each instrument.
    pub max_resting_orders_per_instrument: usize,
    /// Finished orders remembered (for status, late cancels and duplicate
    /// ClOrdIDs) before the oldest are forgotten.
    pub max_remembered_orders: usize,
    /// Reports a session's queue holds for it (while another session is
    /// being served, or while it is logged off).
    pub max_queued_reports_per_session: usize,
}

impl VenueSpec {
    /// The venue part of a loaded config file: its `[[instrument]]` tables
    /// and `[venue]` limits. Errors name the file and the instrument.
    pub fn from_config(cfg: &crate::config::Config) -> Result<VenueSpec, String> {
        let file = cfg.path.display();
        if cfg.instruments.is_empty() {
            return Err(format!(
                "{file}: instrument: the venue application needs at least one [[instrument]] table"
            ));
        }
        let fixed = |i: usize, sym: &str, key: &str, d: rust_decimal::Decimal| {
            Fixed::from_decimal(d.normalize()).ok_or_else(|| {
                format!(
                    "{file}: instrument[{i}] (symbol {sym:?}).{key}: {d} has too many digits for the venue (at most 18 decimals and a 64-bit mantissa)"
                )
            })
        };
        let mut instruments = Vec::with_capacity(cfg.instruments.len());
        for (i, ins) in cfg.instruments.iter().enumerate() {
            let s = &ins.symbol;
            instruments.push(Instrument {
                symbol: s.clone(),
                tick_size: fixed(i, s, "tick_size", ins.tick_size)?,
                lot_size: fixed(i, s, "lot_size", ins.lot_size)?,
                max_order_qty: ins
                    .max_order_qty
                    .map(|q| fixed(i, s, "max_order_qty", q))
                    .transpose()?,
            });
        }
        Ok(VenueSpec {
            instruments,
            max_resting_orders_per_instrument: cfg.venue.max_resting_orders_per_instrument,
            max_remembered_orders: cfg.venue.max_remembered_orders,
            max_queued_reports_per_session: cfg.venue.max_queued_reports_per_session,
        })
    }
}

/// What the venue counted since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VenueCounters {
    /// NewOrderSingles accepted (150=0 sent).
    pub orders_accepted: u64,
    /// NewOrderSingles rejected (150=8).
    pub orders_rejected: u64,
    /// Trades (each is two fills).
    pub trades: u64,
    /// Orders cancelled on request.
    pub cancels: u64,
    /// Orders replaced.
    pub replaces: u64,
    /// OrderCancelRejects sent.
    pub cancel_rejects: u64,
    /// Status reports (150=I) sent.
    pub status_reports: u64,
    /// Reports queued for another session.
    pub reports_queued: u64,
    /// Reports lost to a full session queue.
    pub reports_dropped: u64,
    /// Reports the session refused to send (journal failure, not logged on).
    pub send_failures: u64,
}

/// One instrument with its book and the numbers derived from its spec.
#[derive(Debug)]
pub(crate) struct Market {
    pub spec: Instrument,
    pub book: Book,
    /// max_order_qty in lots (u64::MAX: no limit).
    pub max_lots: u64,
}

/// A venue session's slot: its name and report queue.
#[derive(Debug)]
pub(crate) struct SessionSlot {
    pub name: String,
    pub queue: VecDeque<Report>,
}

/// The venue: books, orders and sessions (see the module doc).
#[derive(Debug)]
pub struct Venue {
    pub(crate) run_id: u64,
    pub(crate) markets: Vec<Market>,
    /// Market indexes sorted by symbol, for binary search.
    pub(crate) by_symbol: Vec<u16>,
    pub(crate) orders: Orders,
    pub(crate) sessions: Vec<SessionSlot>,
    pub(crate) queue_max: usize,
    pub(crate) next_order_id: u64,
    pub(crate) next_exec_id: u64,
    pub(crate) counters: VenueCounters,
}

/// Why a venue could not be built.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VenueError {
    /// No instruments.
    #[error("the venue needs at least one instrument")]
    NoInstruments,
    /// Too many instruments for the venue's 16-bit instrument ids.
    #[error("too many instruments ({0}; at most 65535)")]
    TooManyInstruments(usize),
    /// A symbol is listed twice.
    #[error("instrument {0:?} is listed twice")]
    DuplicateSymbol(String),
    /// A symbol is empty or holds a control character.
    #[error("instrument symbol {0:?} is empty or holds a control character")]
    BadSymbol(String),
    /// tick_size or lot_size is not positive.
    #[error("instrument {symbol:?}: {key} must be more than zero")]
    NotPositive {
        /// The instrument.
        symbol: String,
        /// The key.
        key: &'static str,
    },
    /// A limit of zero.
    #[error("{0} must be at least 1")]
    ZeroLimit(&'static str),
}

impl Venue {
    /// A venue with every table allocated. `started` (the start time)
    /// prefixes OrderIDs and ExecIDs (`<unix seconds>-<n>`) so that they
    /// stay unique across restarts.
    pub fn new(spec: VenueSpec, started: UtcTimestamp) -> Result<Venue, VenueError> {
        if spec.instruments.is_empty() {
            return Err(VenueError::NoInstruments);
        }
        if spec.instruments.len() > u16::MAX as usize {
            return Err(VenueError::TooManyInstruments(spec.instruments.len()));
        }
        if spec.max_resting_orders_per_instrument == 0 {
            return Err(VenueError::ZeroLimit("max_resting_orders_per_instrument"));
        }
        if spec.max_queued_reports_per_session == 0 {
            return Err(VenueError::ZeroLimit("max_queued_reports_per_session"));
        }
        let mut markets = Vec::with_capacity(spec.instruments.len());
        for ins in &spec.instruments {
            let sym = &ins.symbol;
            if sym.is_empty() || sym.chars().any(char::is_control) {
                return Err(VenueError::BadSymbol(sym.clone()));
            }
            if markets.iter().any(|m: &Market| &m.spec.symbol == sym) {
                return Err(VenueError::DuplicateSymbol(sym.clone()));
            }
            for (key, v) in [("tick_size", ins.tick_size), ("lot_size", ins.lot_size)] {
                if v.mantissa <= 0 {
                    return Err(VenueError::NotPositive {
                        symbol: sym.clone(),
                        key,
                    });
                }
            }
            let max_lots = match ins.max_order_qty {
                None => u64::MAX,
                Some(q) => {
                    report::whole_units(q, ins.lot_size, true).map_or(u64::MAX, |l| l.max(0) as u64)
                }
            };
            markets.push(Market {
                spec: ins.clone(),
                book: Book::new(spec.max_resting_orders_per_instrument),
                max_lots,
            });
        }
        let mut by_symbol: Vec<u16> = (0..markets.len() as u16).collect();
        by_symbol.sort_by(|a, b| {
            markets[*a as usize]
                .spec
                .symbol
                .cmp(&markets[*b as usize].spec.symbol)
        });
        // Open orders never outnumber resting slots (plus the one being
        // handled); finished ones are capped separately.
        let records =
            markets.len() * spec.max_resting_orders_per_instrument + spec.max_remembered_orders + 1;
        Ok(Venue {
            run_id: started.unix_secs().max(0) as u64,
            markets,
            by_symbol,
            orders: Orders::new(records, 0, spec.max_remembered_orders),
            sessions: Vec::new(),
            queue_max: spec.max_queued_reports_per_session,
            next_order_id: 1,
            next_exec_id: 1,
            counters: VenueCounters::default(),
        })
    }

    /// Shares `venue` between sessions (see the module doc).
    pub fn shared(venue: Venue) -> SharedVenue {
        SharedVenue(Arc::new(Mutex::new(venue)))
    }

    /// Registers a session named `name` and returns its application.
    /// Call at start-up (it allocates the session's report queue).
    pub fn attach(venue: &SharedVenue, name: &str) -> VenueApplication {
        let mut v = venue.borrow_mut();
        let id = v.sessions.len();
        assert!(id < u16::MAX as usize, "at most 65535 venue sessions");
        let cap = v.queue_max;
        v.sessions.push(SessionSlot {
            name: name.to_owned(),
            queue: VecDeque::with_capacity(cap),
        });
        v.orders.add_session();
        VenueApplication::new(venue.clone(), id as u16)
    }

    /// The book of `symbol`.
    pub fn book(&self, symbol: &str) -> Option<&Book> {
        self.market(symbol.as_bytes())
            .map(|m| &self.markets[m as usize].book)
    }

    /// The instruments, in config order.
    pub fn instruments(&self) -> impl Iterator<Item = &Instrument> + '_ {
        self.markets.iter().map(|m| &m.spec)
    }

    /// Counters.
    pub fn counters(&self) -> &VenueCounters {
        &self.counters
    }

    /// Open orders of session `name` (its number of orders resting).
    pub fn open_orders(&self, name: &str) -> usize {
        self.sessions
            .iter()
            .position(|s| s.name == name)
            .map_or(0, |s| self.orders.open_orders(s as u16).count())
    }

    /// Reports waiting in the queue of session `name`.
    pub fn queued_reports(&self, name: &str) -> usize {
        self.sessions
            .iter()
            .find(|s| s.name == name)
            .map_or(0, |s| s.queue.len())
    }

    /// The market trading `symbol`.
    pub(crate) fn market(&self, symbol: &[u8]) -> Option<u16> {
        self.by_symbol
            .binary_search_by(|&m| self.markets[m as usize].spec.symbol.as_bytes().cmp(symbol))
            .ok()
            .map(|i| self.by_symbol[i])
    }
}

/// One venue shared by all its sessions' applications. The engine runs them
/// on one thread and never calls one application from inside another, so the
/// lock is never contended; it is a `Mutex` (not `Rc<RefCell>`) only so the
/// engine, with its applications, can move to its runtime thread.
#[derive(Debug, Clone)]
pub struct SharedVenue(Arc<Mutex<Venue>>);

impl SharedVenue {
    /// The venue, for reading.
    pub fn borrow(&self) -> MutexGuard<'_, Venue> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The venue, for changing.
    pub fn borrow_mut(&self) -> MutexGuard<'_, Venue> {
        self.borrow()
    }
}
