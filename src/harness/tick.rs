//! An in-process tick rig: one trading session (initiator `DESK`) logged on
//! to a scripted venue (`VENUE`), its strategy subscribed to one
//! instrument, fed market-data bytes straight into the session with no
//! socket. `cargo bench --bench tick` times it per message; the
//! market-data allocation proof (`tests/no_alloc.rs`) runs it under a
//! counting allocator.
//!
//! Set-up (`TickRig::new`) allocates freely; `feed` and `settle` are the
//! engine's own per-message work and allocate nothing.

use crate::codec::testing::fix;
use crate::codec::{Decoded, Decoder, TimePrecision, UtcTimestamp};
use crate::dictionary::Dictionary;
use crate::engine::trading::TradingApplication;
use crate::journal::{Journal, JournalConfig};
use crate::order::{OrderConfig, OrderManager};
use crate::risk::{RiskConfig, RiskEngine};
use crate::session::{Application, JournalStore, Outbox, Role, Session, SessionConfig};
use crate::strategy::{
    channel, Command, Instrument, InstrumentId, InstrumentTable, MarketDataConfig, MdEntryTypes,
    Price, Qty, StrategyHandle,
};
use std::path::Path;
use std::sync::Arc;

/// 2026-09-21T14:13:20Z: the rig's clock starts here.
const T0_NS: i64 = 1_790_000_000_000_000_000;

/// The rig (see the module doc).
pub struct TickRig {
    journal: Journal,
    session: Session,
    app: TradingApplication,
    decoder: Decoder,
    out: Outbox,
    strategy: StrategyHandle,
    md_req_id: String,
}

impl std::fmt::Debug for TickRig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TickRig")
            .field("md_req_id", &self.md_req_id)
            .finish_non_exhaustive()
    }
}

impl TickRig {
    /// The journal in `dir`; `instrument` is instrument 0; the strategy
    /// subscribes to it at `depth` for `entries` (snapshot plus updates,
    /// aggregated) and the session is logged on (the venue's Logon is
    /// MsgSeqNum 1, so the first market data is 2).
    pub fn new(dir: &Path, instrument: Instrument, depth: u16, entries: MdEntryTypes) -> TickRig {
        let (journal, _) = Journal::open(
            JournalConfig {
                sessions_max: 2,
                ..JournalConfig::new(dir)
            },
            Self::at(0),
        )
        .expect("journal");
        let instruments = Arc::new(InstrumentTable::new(vec![instrument]).expect("instrument"));
        let orders = OrderManager::new(OrderConfig::default(), Arc::clone(&instruments))
            .expect("order stage");
        let risk = RiskEngine::new(RiskConfig::default(), Arc::clone(&instruments));
        let (strategy, port) = channel(64, 4096);
        let app = TradingApplication::new(orders, risk, port, 0);
        let mut cfg = SessionConfig::new(Role::Initiator, "DESK", "VENUE");
        cfg.heartbeat_secs = 30;
        let session = Session::new(cfg, Arc::new(Dictionary::fix44())).expect("session");
        let mut rig = TickRig {
            journal,
            session,
            app,
            decoder: Decoder::default(),
            out: Outbox::default(),
            strategy,
            md_req_id: String::new(),
        };
        rig.log_on_and_subscribe(depth, entries);
        rig
    }

    fn log_on_and_subscribe(&mut self, depth: u16, entries: MdEntryTypes) {
        let now = Self::at(0);
        let mut store = JournalStore::new(&mut self.journal, 0).expect("journal session");
        self.session.connected(now, &mut store, &mut self.out);
        self.out.clear();
        let logon = Self::venue_message("A", 1, 0, "98=0|108=30|");
        let Decoded::Message(msg, _) = self.decoder.decode(&logon) else {
            panic!("the rig's Logon does not decode")
        };
        self.session
            .on_message(now, &msg, &mut store, &mut self.app, &mut self.out);
        for ev in self.out.events() {
            self.app.on_event(now, ev);
        }
        self.out.clear();
        self.strategy
            .send(Command::Subscribe {
                instrument: InstrumentId(0),
                depth,
                entries,
                updates: true,
                aggregated: true,
            })
            .expect("room for one command");
        self.session
            .poll_app(now, &mut store, &mut self.app, &mut self.out);
        self.md_req_id = self
            .out
            .messages()
            .find_map(|m| {
                crate::codec::testing::show(m)
                    .split('|')
                    .find_map(|f| f.strip_prefix("262=").map(str::to_string))
            })
            .expect("the subscription's V was sent");
        self.out.clear();
    }

    /// The rig's EUR/USD: tick 0.00001, lot 1, reference 1.08500, no
    /// notional or position limit to speak of, with `market_data`.
    pub fn eurusd(market_data: MarketDataConfig) -> Instrument {
        Instrument {
            id: InstrumentId(0),
            symbol: "EUR/USD".into(),
            tick_size: Price(1000),
            lot_size: Qty(1),
            reference_price: Price(108_500_000),
            max_order_qty: Qty(1_000_000),
            max_notional: i128::MAX,
            position_limit: Qty(1_000_000),
            collar_bps: 1000,
            market_data,
        }
    }

    /// The rig's clock: `ms` milliseconds after its start.
    pub fn at(ms: i64) -> UtcTimestamp {
        UtcTimestamp::from_unix_nanos(T0_NS + ms * 1_000_000)
    }

    /// A message from the venue: MsgType `msg_type`, MsgSeqNum `seq`,
    /// SendingTime [`TickRig::at`]`(ms)`, then `body` (`|` for SOH).
    pub fn venue_message(msg_type: &str, seq: u64, ms: i64, body: &str) -> Vec<u8> {
        let mut b = [0u8; 32];
        let n = Self::at(ms).write(TimePrecision::Millis, &mut b);
        let sent = std::str::from_utf8(&b[..n]).expect("ASCII timestamp");
        fix(&format!(
            "8=FIX.4.4|35={msg_type}|34={seq}|49=VENUE|52={sent}|56=DESK|{body}"
        ))
    }

    /// The MDReqID of the subscription (for the W and X the venue sends).
    pub fn md_req_id(&self) -> &str {
        &self.md_req_id
    }

    /// The venue's snapshot (W) for the subscription: `levels` a side, bids
    /// 1.08500 down and offers 1.09000 up in steps of 0.00010, sizes 1000
    /// and 2000 plus the level's index; MsgSeqNum `seq`, sent at `ms`.
    pub fn snapshot(&self, seq: u64, ms: i64, levels: usize) -> Vec<u8> {
        let mut body = format!("262={}|55=EUR/USD|268={}|", self.md_req_id, 2 * levels);
        for l in 0..levels {
            body.push_str(&format!(
                "269=0|270=1.08{:03}|271={}|269=1|270=1.09{:03}|271={}|",
                500 - l * 10,
                1000 + l,
                l * 10,
                2000 + l
            ));
        }
        Self::venue_message("W", seq, ms, &body)
    }

    /// The strategy's end of the rings.
    pub fn strategy(&mut self) -> &mut StrategyHandle {
        &mut self.strategy
    }

    /// The trading application (market-data stage, counters).
    pub fn app(&self) -> &TradingApplication {
        &self.app
    }

    /// One message's bytes through frame, parse and the session (journal,
    /// validation, checks) into the application: the engine's read path.
    /// Panics on bytes that are not one whole message (the rig's caller
    /// builds them).
    #[inline]
    pub fn feed(&mut self, bytes: &[u8], now: UtcTimestamp) {
        let mut store = JournalStore::new(&mut self.journal, 0).expect("journal session");
        let Decoded::Message(msg, _) = self.decoder.decode(bytes) else {
            panic!("a rig message did not decode")
        };
        self.session
            .on_message(now, &msg, &mut store, &mut self.app, &mut self.out);
    }

    /// The rest of an engine turn after [`TickRig::feed`]: session events
    /// to the application, its poll, the session's timers; the outbox is
    /// emptied. Panics if the session disconnected.
    pub fn settle(&mut self, now: UtcTimestamp) {
        let mut store = JournalStore::new(&mut self.journal, 0).expect("journal session");
        for ev in self.out.events() {
            self.app.on_event(now, ev);
        }
        self.session
            .poll_app(now, &mut store, &mut self.app, &mut self.out);
        self.session.on_tick(now, &mut store, &mut self.out);
        assert!(
            self.out.disconnect().is_none(),
            "the rig's session disconnected"
        );
        std::hint::black_box(self.out.bytes());
        self.out.clear();
    }
}
