//! The order path behind an initiator session: a strategy's command ring →
//! pre-trade risk → the order stage → the session (journal, socket); the
//! venue's ExecutionReports and OrderCancelRejects → the order stage → the
//! strategy's event ring. Market data (`Subscribe`/`Unsubscribe`, W/X/Y)
//! goes to the market-data stage ([`crate::md::MarketData`]) beside it.
//!
//! [`TradingApplication`] is a session [`Application`]: inbound 8/9 arrive
//! through `on_message`, and its `poll` (called every engine turn) drains
//! the command ring. Nothing here allocates, locks or blocks after
//! construction: the rings are `rtrb`, risk and the order stage are
//! pre-allocated, a full event ring is kept by the order stage and retried.
//!
//! Quotes: `Command::QuoteRequest` and `Command::OrderOnQuote`, and the
//! venue's Quote (S), QuoteCancel (Z) and QuoteRequestReject (AG), go to the
//! [`QuoteDesk`] (`src/md/quotes.rs`), which hands orders on quotes to the
//! same risk engine and order stage; its `poll` expires quotes, and a
//! disconnect answers its outstanding requests and cancels its quotes.

use crate::codec::{Message, MessageWriter, UtcTimestamp};
use crate::dictionary::Dictionary;
use crate::journal::JournalReader;
use crate::md::quotes::{QuoteConfig, QuoteConfigError, QuoteDesk};
use crate::md::{EventOut, MarketData};
use crate::order::{EventSink, OrderManager, OrderSender};
use crate::risk::RiskEngine;
use crate::session::{Application, Event as SessionEvent, Responder, SendError, Verdict};
use crate::strategy::{Command, EnginePort, Event, OrderState, RejectReason};

/// Commands taken from the ring per engine turn at most (so one busy
/// strategy cannot starve the socket).
const COMMANDS_PER_TURN: usize = 256;

/// Sends on the session through the application's [`Responder`].
struct TxSender<'a, 'b>(&'a mut Responder<'b>);

impl OrderSender for TxSender<'_, '_> {
    fn send(
        &mut self,
        msg_type: &[u8],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        self.0.send(msg_type, &[], body)
    }

    fn is_up(&self) -> bool {
        self.0.is_up()
    }
}

/// The strategy's event ring, counting the venue rejects that pass through
/// it for the risk breaker.
struct Sink<'a> {
    port: &'a mut EnginePort,
    venue_rejects: u32,
}

impl EventSink for Sink<'_> {
    fn push(&mut self, e: Event) -> bool {
        let ok = self.port.push_event(e);
        if ok {
            if let Event::Rejected {
                reason: RejectReason::Venue(_),
                ..
            } = e
            {
                self.venue_rejects += 1;
            }
        }
        ok
    }
}

/// Takes nothing: events wait in their stage's queue (behind an event of
/// this application's that the ring could not take yet).
struct Refuse;

impl EventSink for Refuse {
    fn push(&mut self, _: Event) -> bool {
        false
    }
}

/// The order path of one session and the strategy on it.
#[derive(Debug)]
pub struct TradingApplication {
    orders: OrderManager,
    risk: RiskEngine,
    port: EnginePort,
    session_index: u16,
    /// Ask the venue for every open order's status at the next logon
    /// (after a restart rebuilt them from the journal).
    reconcile_due: bool,
    pending_up: Option<Event>,
    /// The kill switch asked for every open order to be canceled.
    cancel_all: bool,
    /// Market data: subscriptions, books, their events.
    md: MarketData,
    /// Quote requests, quotes and orders on quotes.
    quotes: QuoteDesk,
}

impl TradingApplication {
    /// The order path for session number `session_index` (its index in the
    /// config), with the strategy's engine-side ring ends.
    pub fn new(
        orders: OrderManager,
        risk: RiskEngine,
        port: EnginePort,
        session_index: u16,
    ) -> TradingApplication {
        // The ClOrdID prefix is already checked to suit an MDReqID prefix.
        let md = MarketData::new(
            std::sync::Arc::clone(orders.instruments()),
            orders.clordid_format().prefix(),
            port.free_event_slots(),
        )
        .expect("a valid ClOrdID prefix is a valid MDReqID prefix");
        let quotes = QuoteDesk::new(
            QuoteConfig::default(),
            orders.clordid_format().prefix(),
            std::sync::Arc::clone(orders.instruments()),
        )
        .expect("the default quote config is valid");
        TradingApplication {
            quotes,
            orders,
            risk,
            port,
            session_index,
            reconcile_due: false,
            pending_up: None,
            cancel_all: false,
            md,
        }
    }

    /// The same order path with a quote desk sized by `config` (instead
    /// of [`QuoteConfig::default`]). Call before [`TradingApplication::replay`].
    pub fn with_quotes(mut self, config: QuoteConfig) -> Result<Self, QuoteConfigError> {
        self.quotes = QuoteDesk::new(
            config,
            self.orders.clordid_format().prefix(),
            std::sync::Arc::clone(self.orders.instruments()),
        )?;
        Ok(self)
    }

    /// Rebuilds orders and positions from the session's journal records
    /// (start-up after a stop or a crash); their status is then asked of the
    /// venue at the next logon.
    pub fn replay(&mut self, reader: &JournalReader, journal_session: u32) {
        let report = self.orders.replay_journal(reader, journal_session);
        tracing::info!(?report, "orders rebuilt from the journal");
        self.reconcile_due = self.orders.open_order_views().next().is_some();
        self.quotes.replay_journal(reader, journal_session);
    }

    /// The quote desk (counters, live quotes).
    pub fn quotes(&self) -> &QuoteDesk {
        &self.quotes
    }

    /// The order stage (positions, orders, counters).
    pub fn orders(&self) -> &OrderManager {
        &self.orders
    }

    /// The risk engine (kill switch, counters).
    pub fn risk(&mut self) -> &mut RiskEngine {
        &mut self.risk
    }

    /// The market-data stage (books, subscriptions, counters).
    pub fn market_data(&self) -> &MarketData {
        &self.md
    }

    /// Where market data pushes: the ring, behind the order stage's events.
    fn md_out(&mut self) -> (&mut MarketData, EventOut<'_>) {
        // Order, session and quote events go first; market data waits
        // behind them (and coalesces meanwhile).
        let orders_waiting = self.orders.events_pending() > 0
            || self.pending_up.is_some()
            || self.quotes.events_pending() > 0;
        (
            &mut self.md,
            EventOut {
                port: &mut self.port,
                orders_waiting,
            },
        )
    }

    fn command(&mut self, now: UtcTimestamp, cmd: &Command, tx: &mut Responder<'_>) {
        if let Command::Subscribe { .. } | Command::Unsubscribe { .. } = cmd {
            let (md, mut out) = self.md_out();
            md.handle_command(now, cmd, tx, &mut out);
            return;
        }
        if let Command::QuoteRequest { .. } | Command::OrderOnQuote { .. } = cmd {
            let mut sink = Sink {
                port: &mut self.port,
                venue_rejects: 0,
            };
            let (risk, orders) = (&mut self.risk, &mut self.orders);
            self.quotes
                .on_command(now, cmd, risk, orders, &mut TxSender(tx), &mut sink);
            return;
        }
        let now_ns = now.unix_nanos();
        let refused = match *cmd {
            Command::NewOrder {
                tag,
                instrument,
                side,
                ord_type,
                price,
                qty,
                ..
            } => self
                .risk
                .check_new(
                    now_ns,
                    instrument,
                    side,
                    ord_type,
                    price,
                    qty,
                    tag,
                    &self.orders,
                )
                .err()
                .map(|reason| Event::Rejected {
                    tag,
                    order: None,
                    reason,
                }),
            Command::Replace { order, price, qty } => match self.orders.order(order) {
                Some(o) if o.open => self
                    .risk
                    .check_replace(
                        now_ns,
                        o.instrument,
                        o.side,
                        o.ord_type,
                        (o.price, o.qty),
                        (price, qty),
                        &self.orders,
                    )
                    .err()
                    .map(|reason| Event::CancelRejected { order, reason }),
                // The order stage answers unknown or finished orders itself.
                _ => None,
            },
            _ => None,
        };
        let mut sink = Sink {
            port: &mut self.port,
            venue_rejects: 0,
        };
        match refused {
            Some(e) => {
                if !sink.push(e) {
                    tracing::warn!("event ring full: a risk rejection was dropped");
                }
            }
            None => self
                .orders
                .on_command(now, cmd, &mut TxSender(tx), &mut sink),
        }
    }
}

impl Application for TradingApplication {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn top_of_book_events(&self) -> u64 {
        self.md.counters().tops
    }

    fn on_message(
        &mut self,
        now: UtcTimestamp,
        msg: &Message<'_>,
        _dict: &Dictionary,
        _tx: &mut Responder<'_>,
    ) -> Verdict {
        match msg.msg_type() {
            b"8" | b"9" => {}
            b"W" | b"X" | b"Y" => {
                let (md, mut out) = self.md_out();
                md.handle_message(now, msg, &mut out);
                return Verdict::Accepted;
            }
            b"S" | b"Z" | b"AG" => {
                let mut sink = Sink {
                    port: &mut self.port,
                    venue_rejects: 0,
                };
                self.quotes.on_message(now, msg, &mut sink);
                return Verdict::Accepted;
            }
            _ => return Verdict::Unsupported,
        }
        let mut sink = Sink {
            port: &mut self.port,
            venue_rejects: 0,
        };
        self.orders.on_message(now, msg, &mut sink);
        for _ in 0..sink.venue_rejects {
            if self.risk.on_venue_reject(now.unix_nanos()) {
                tracing::error!("kill switch engaged: venue reject rate over the breaker limit");
            }
        }
        Verdict::Accepted
    }

    fn on_event(&mut self, now: UtcTimestamp, event: &SessionEvent) {
        let e = match event {
            SessionEvent::LoggedOn { .. } => Some(Event::SessionUp {
                session: self.session_index,
            }),
            SessionEvent::Disconnected(r) => Some(Event::SessionDown {
                session: self.session_index,
                reason: r.index() as u8,
            }),
            _ => None,
        };
        if let Some(e) = e {
            if !self.port.push_event(e) {
                self.pending_up = Some(e);
            }
        }
        // After SessionUp/SessionDown, so the strategy hears of the session
        // before its books (market data waits behind a pending one).
        {
            let (md, mut out) = self.md_out();
            md.handle_event(now, event, &mut out);
        }
        if e.is_none() {
            return;
        }
        if let SessionEvent::Disconnected(_) = event {
            // After SessionDown: the desk queues behind `pending_up`.
            let mut sink = Sink {
                port: &mut self.port,
                venue_rejects: 0,
            };
            if self.pending_up.is_some() {
                self.quotes.on_disconnect(&mut Refuse);
            } else {
                self.quotes.on_disconnect(&mut sink);
            }
        }
    }

    fn poll(&mut self, now: UtcTimestamp, tx: &mut Responder<'_>) -> usize {
        let mut work = 0;
        if let Some(e) = self.pending_up {
            if self.port.push_event(e) {
                self.pending_up = None;
            }
        }
        let mut sink = Sink {
            port: &mut self.port,
            venue_rejects: 0,
        };
        work += self.orders.flush_events(&mut sink);
        if self.pending_up.is_none() {
            work += self.quotes.poll(now, &mut sink);
        }
        {
            let (md, mut out) = self.md_out();
            work += md.poll(now, tx, &mut out);
        }
        if tx.is_up() && self.reconcile_due {
            self.reconcile_due = false;
            match self.orders.reconcile(&mut TxSender(tx)) {
                Ok(n) => tracing::info!(orders = n, "status requested for open orders"),
                Err(e) => tracing::warn!(error = %e, "reconciliation not sent"),
            }
        }
        if self.risk.take_cancel_all() {
            self.cancel_all = true;
        }
        if self.cancel_all && tx.is_up() {
            // Kill switch: cancel everything open, up to 256 orders a turn.
            let mut open = [crate::strategy::OrderId::default(); 256];
            let mut n = 0;
            for o in self.orders.open_order_views() {
                if n == open.len() {
                    break;
                }
                if !matches!(o.state, OrderState::PendingCancel | OrderState::PendingNew) {
                    open[n] = o.id;
                    n += 1;
                }
            }
            for &order in &open[..n] {
                self.command(now, &Command::Cancel { order }, tx);
            }
            // Orders still pending new are canceled once acknowledged.
            self.cancel_all = self
                .orders
                .open_order_views()
                .any(|o| o.state != OrderState::PendingCancel);
            work += n;
        }
        for _ in 0..COMMANDS_PER_TURN {
            let Some(cmd) = self.port.next_command() else {
                break;
            };
            self.command(now, &cmd, tx);
            work += 1;
        }
        work
    }
}
