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
//! **Market data and quotes** (`md.rs`, `quotes.rs`): MarketDataRequest
//! (V) answered with a snapshot (W) and, for a subscription, one
//! incremental (X) per book change of the instrument per subscriber, diffed
//! against what that subscriber was last shown (fixed, depth-capped views);
//! QuoteRequest (R) answered with a Quote (S) priced from the book or a
//! QuoteRequestReject (AG); orders on a firm quote (D with QuoteID 117)
//! filled by the venue as principal; QuoteCancel (Z) when the market moves
//! through a firm quote. Incrementals and QuoteCancels for a session other
//! than the one being served wait in its queue beside its reports, in the
//! order they happened.
//!
//! **Synthetic flow** (`flow.rs`): a seeded participant with no session,
//! driven from the applications' `poll` with `now`, that rests, cancels and
//! crosses orders so the markets move and trade.
//!
//! **Not simulated:** the trading day (Day orders live until filled or
//! cancelled, like GTC), self-trade prevention, persistence (a restarted
//! venue starts with empty books and forgets its orders).

pub mod book;
pub mod orders;

mod app;
mod cancel;
mod flow;
mod md;
mod quotes;
mod report;
mod status;

pub use crate::config::MdKeying;
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
    /// Where the synthetic flow starts its mid (none: the instrument gets no
    /// flow).
    pub reference_price: Option<Fixed>,
}

/// Market data and quotes (see `[venue]` in `docs/CONFIG.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketDataSpec {
    /// Subscriptions a session may hold at once (one per symbol).
    pub max_subscriptions_per_session: usize,
    /// The deepest book published per side (full depth is capped at it).
    pub max_depth: usize,
    /// How aggregated incrementals name their entries.
    pub keying: MdKeying,
    /// How long a firm quote stays valid, in milliseconds.
    pub quote_valid_ms: u64,
    /// Quotes remembered at once.
    pub max_live_quotes: usize,
}

impl Default for MarketDataSpec {
    fn default() -> Self {
        let d = crate::config::VenueConfig::default();
        MarketDataSpec {
            max_subscriptions_per_session: d.max_md_subscriptions_per_session,
            max_depth: d.md_max_depth,
            keying: d.md_keying,
            quote_valid_ms: d.quote_valid_ms,
            max_live_quotes: d.max_live_quotes,
        }
    }
}

/// The synthetic order flow (see `[venue] flow_*` in `docs/CONFIG.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowSpec {
    /// Actions per second over all instruments; 0: no flow.
    pub rate_per_sec: u64,
    /// The random seed.
    pub seed: u64,
    /// The most actions one poll runs.
    pub max_actions_per_poll: usize,
    /// The most flow orders resting per instrument.
    pub max_resting_per_instrument: usize,
    /// How far from the mid (ticks) passive orders rest.
    pub price_range_ticks: u32,
    /// The largest order, in lots.
    pub max_lots: u64,
    /// Percent of actions that are marketable.
    pub marketable_pct: u8,
    /// Percent of actions that cancel.
    pub cancel_pct: u8,
}

impl Default for FlowSpec {
    fn default() -> Self {
        let d = crate::config::VenueConfig::default();
        FlowSpec {
            rate_per_sec: d.flow_rate_per_sec,
            seed: d.flow_seed,
            max_actions_per_poll: d.flow_max_actions_per_poll,
            max_resting_per_instrument: d.flow_max_resting_per_instrument,
            price_range_ticks: d.flow_price_range_ticks,
            max_lots: d.flow_max_lots,
            marketable_pct: d.flow_marketable_pct,
            cancel_pct: d.flow_cancel_pct,
        }
    }
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
    /// being served, or while it is logged off). Also the size of each
    /// session's queue of market-data entries.
    pub max_queued_reports_per_session: usize,
    /// Market data and quotes.
    pub market_data: MarketDataSpec,
    /// The synthetic order flow.
    pub flow: FlowSpec,
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
                reference_price: Some(fixed(i, s, "reference_price", ins.reference_price)?),
            });
        }
        Ok(VenueSpec {
            instruments,
            max_resting_orders_per_instrument: cfg.venue.max_resting_orders_per_instrument,
            max_remembered_orders: cfg.venue.max_remembered_orders,
            max_queued_reports_per_session: cfg.venue.max_queued_reports_per_session,
            market_data: MarketDataSpec {
                max_subscriptions_per_session: cfg.venue.max_md_subscriptions_per_session,
                max_depth: cfg.venue.md_max_depth,
                keying: cfg.venue.md_keying,
                quote_valid_ms: cfg.venue.quote_valid_ms,
                max_live_quotes: cfg.venue.max_live_quotes,
            },
            flow: FlowSpec {
                rate_per_sec: cfg.venue.flow_rate_per_sec,
                seed: cfg.venue.flow_seed,
                max_actions_per_poll: cfg.venue.flow_max_actions_per_poll,
                max_resting_per_instrument: cfg.venue.flow_max_resting_per_instrument,
                price_range_ticks: cfg.venue.flow_price_range_ticks,
                max_lots: cfg.venue.flow_max_lots,
                marketable_pct: cfg.venue.flow_marketable_pct,
                cancel_pct: cfg.venue.flow_cancel_pct,
            },
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
    /// MarketDataRequests answered with a snapshot or subscription.
    pub md_requests: u64,
    /// MarketDataRequestRejects (Y) sent.
    pub md_rejects: u64,
    /// Snapshots (W) sent.
    pub md_snapshots: u64,
    /// Incrementals (X) sent or queued.
    pub md_incrementals: u64,
    /// Subscriptions refreshed with a snapshot because their session's
    /// queue was full (the incrementals in between were not queued).
    pub md_resyncs: u64,
    /// Quotes (S) sent.
    pub quotes: u64,
    /// QuoteRequestRejects (AG) sent.
    pub quote_rejects: u64,
    /// Orders filled on a quote.
    pub quote_fills: u64,
    /// Orders on a quote rejected.
    pub quote_order_rejects: u64,
    /// QuoteCancels (Z) sent or queued.
    pub quote_cancels: u64,
    /// Orders the synthetic flow entered.
    pub flow_orders: u64,
    /// Flow orders it cancelled.
    pub flow_cancels: u64,
}

/// One instrument with its book and the numbers derived from its spec.
#[derive(Debug)]
pub(crate) struct Market {
    pub spec: Instrument,
    pub book: Book,
    /// max_order_qty in lots (u64::MAX: no limit).
    pub max_lots: u64,
}

/// Something waiting for a session that is not being served.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Queued {
    /// An ExecutionReport.
    Report(Report),
    /// An incremental (X) for subscription `sub`: the next `entries`
    /// entries of the session's market-data queue.
    Md { sub: u16, entries: u32 },
    /// A QuoteCancel (Z) of quote number `quote` on `market`.
    QuoteCancel { market: u16, quote: u64 },
}

/// A venue session's slot: its name, queue and market-data subscriptions.
#[derive(Debug)]
pub(crate) struct SessionSlot {
    pub name: String,
    pub queue: VecDeque<Queued>,
    pub md: md::SessionMd,
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
    pub(crate) md_spec: MarketDataSpec,
    pub(crate) md_scratch: md::Scratch,
    pub(crate) quotes: quotes::Quotes,
    pub(crate) flow: flow::Flow,
}

/// The session slot of the synthetic flow participant.
pub(crate) const FLOW_SESSION: u16 = 0;

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
    /// A limit too large for the venue.
    #[error("{0} is too large (at most {1})")]
    TooLarge(&'static str, usize),
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
        let md_spec = spec.market_data;
        for (key, v, max) in [
            (
                "max_md_subscriptions_per_session",
                md_spec.max_subscriptions_per_session,
                u16::MAX as usize,
            ),
            ("md_max_depth", md_spec.max_depth, md::DEPTH_MAX),
            ("max_live_quotes", md_spec.max_live_quotes, 1 << 24),
        ] {
            if v == 0 {
                return Err(VenueError::ZeroLimit(key));
            }
            if v > max {
                return Err(VenueError::TooLarge(key, max));
            }
        }
        let flow = flow::Flow::new(spec.flow, &markets);
        let mut venue = Venue {
            run_id: started.unix_secs().max(0) as u64,
            md_scratch: md::Scratch::new(md_spec.max_depth, spec.max_resting_orders_per_instrument),
            quotes: quotes::Quotes::new(md_spec.max_live_quotes, markets.len()),
            markets,
            by_symbol,
            orders: Orders::new(records, 0, spec.max_remembered_orders),
            sessions: Vec::new(),
            queue_max: spec.max_queued_reports_per_session,
            next_order_id: 1,
            next_exec_id: 1,
            counters: VenueCounters::default(),
            md_spec,
            flow,
        };
        // Slot 0 is the synthetic flow participant (see `flow.rs`).
        venue.sessions.push(SessionSlot {
            name: "[flow]".to_owned(),
            queue: VecDeque::new(),
            md: md::SessionMd::new(0, 0, 0),
        });
        venue.orders.add_session();
        Ok(venue)
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
        let md = md::SessionMd::new(
            v.md_spec.max_subscriptions_per_session,
            v.md_spec.max_depth,
            cap,
        );
        v.sessions.push(SessionSlot {
            name: name.to_owned(),
            queue: VecDeque::with_capacity(cap),
            md,
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

    /// Live market-data subscriptions of session `name`.
    pub fn md_subscriptions(&self, name: &str) -> usize {
        self.session_slot(name)
            .map_or(0, |s| self.sessions[s].md.live())
    }

    /// The best `depth` price levels of `side` of `symbol`'s book as
    /// decimals: (price, quantity, orders), best first. For inspection
    /// (tests, tools): it allocates.
    pub fn md_levels(&self, symbol: &str, side: book::Side, depth: usize) -> Vec<(Fixed, Fixed, u32)> {
        let Some(m) = self.market(symbol.as_bytes()) else {
            return Vec::new();
        };
        let market = &self.markets[m as usize];
        market
            .book
            .levels(side)
            .take(depth)
            .map(|l| {
                (
                    report::from_units(l.price, market.spec.tick_size).unwrap_or(Fixed::new(0, 0)),
                    report::from_units(l.qty as i64, market.spec.lot_size)
                        .unwrap_or(Fixed::new(0, 0)),
                    l.orders,
                )
            })
            .collect()
    }

    /// The best `n` resting orders of `side` of `symbol`'s book: (OrderID,
    /// price, quantity left), in priority order. For inspection: it
    /// allocates.
    pub fn md_orders(&self, symbol: &str, side: book::Side, n: usize) -> Vec<(String, Fixed, Fixed)> {
        let Some(m) = self.market(symbol.as_bytes()) else {
            return Vec::new();
        };
        let market = &self.markets[m as usize];
        let mut out = Vec::new();
        market.book.top_orders(side, n, |key, price, leaves| {
            let id = report::IdText::new(self.run_id, self.orders.get(key).order_id);
            out.push((
                String::from_utf8_lossy(id.as_bytes()).into_owned(),
                report::from_units(price, market.spec.tick_size).unwrap_or(Fixed::new(0, 0)),
                report::from_units(leaves as i64, market.spec.lot_size).unwrap_or(Fixed::new(0, 0)),
            ))
        });
        out
    }

    fn session_slot(&self, name: &str) -> Option<usize> {
        self.sessions
            .iter()
            .skip(1)
            .position(|s| s.name == name)
            .map(|i| i + 1)
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
