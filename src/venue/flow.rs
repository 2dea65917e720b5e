//! The venue's synthetic order flow: a seeded participant with no session
//! (its reports go nowhere) that makes the markets move and trade.
//!
//! Owns the flow's random generator, its clock of actions, each
//! instrument's mid (a random walk in ticks, starting at the instrument's
//! `reference_price`) and the list of its resting orders per instrument.
//! It enters and cancels orders through the venue like a session would
//! (order records, the book, fills reported to the other side, market
//! data and quote cancels published), under the venue's session slot
//! [`FLOW_SESSION`].
//!
//! **Driving.** Every venue application's `poll(now)` calls
//! [`Venue::flow_poll`]. The flow is due `rate_per_sec` actions per second
//! since the first poll; each poll runs the actions due since the last,
//! at most `max_actions_per_poll` (a longer backlog is skipped, so one
//! poll stays short). Several sessions polling with the same `now` run the
//! flow once. Same seed and same `now` sequence give the same actions.
//!
//! **Actions.** Pick an instrument; step its mid by a tick up or down (one
//! time in eight each); then, by `cancel_pct` and `marketable_pct`, cancel
//! one of the flow's resting orders, send an IOC through the mid
//! (`price_range_ticks` beyond it, so it takes what is there), or rest a
//! GTC limit order 1 to `price_range_ticks` ticks on its side of the mid
//! (a cancel when `max_resting_per_instrument` orders already rest).
//! Sizes are 1 to `max_lots` lots.
//!
//! Nothing here allocates after [`Flow::new`].

use super::book::{OrderSpec, Outcome, Side, TimeInForce};
use super::orders::{NewOrderRec, OrdStatus, OrdType};
use super::report::{whole_units, IdText};
use super::{FlowSpec, Market, Venue, FLOW_SESSION};
use crate::codec::UtcTimestamp;
use crate::session::Responder;

/// The flow's state (see the module doc).
#[derive(Debug)]
pub(crate) struct Flow {
    spec: FlowSpec,
    rng: u64,
    start: Option<i64>,
    done: u64,
    /// Mid per market in ticks (0: no flow on it).
    mids: Vec<i64>,
    /// Markets with flow.
    active: Vec<u16>,
    /// Resting flow orders per market: (order record, OrderID number).
    resting: Vec<Vec<(u32, u64)>>,
    next_cl: u64,
}

impl Flow {
    /// The flow over `markets` (allocates its lists).
    pub fn new(spec: FlowSpec, markets: &[Market]) -> Flow {
        let mids: Vec<i64> = markets
            .iter()
            .map(|m| {
                m.spec
                    .reference_price
                    .and_then(|p| whole_units(p, m.spec.tick_size, true))
                    .filter(|&t| t > 0)
                    .unwrap_or(0)
            })
            .collect();
        let active = (0..markets.len() as u16)
            .filter(|&m| mids[m as usize] > 0)
            .collect();
        let cap = if spec.rate_per_sec == 0 {
            0
        } else {
            spec.max_resting_per_instrument
        };
        Flow {
            spec,
            rng: spec.seed ^ 0x9E37_79B9_7F4A_7C15,
            start: None,
            done: 0,
            mids,
            active,
            resting: markets
                .iter()
                .map(|m| Vec::with_capacity(cap.min(m.book.capacity())))
                .collect(),
            next_cl: 1,
        }
    }

    /// splitmix64.
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Venue {
    /// Runs the flow actions due at `now` (see the module doc); returns
    /// how many ran. Reports and market data for sessions are queued.
    pub(super) fn flow_poll(&mut self, now: UtcTimestamp, tx: &mut Responder<'_>) -> usize {
        let f = &mut self.flow;
        if f.spec.rate_per_sec == 0 || f.active.is_empty() {
            return 0;
        }
        let t = now.unix_nanos();
        let start = *f.start.get_or_insert(t);
        let elapsed = (t - start).max(0) as u128;
        let due = (elapsed * u128::from(f.spec.rate_per_sec) / 1_000_000_000) as u64;
        let cap = f.spec.max_actions_per_poll as u64;
        if due.saturating_sub(f.done) > cap {
            f.done = due - cap;
        }
        let n = due.saturating_sub(f.done);
        for _ in 0..n {
            self.flow_step(now, tx);
        }
        self.flow.done += n;
        n as usize
    }

    fn flow_step(&mut self, now: UtcTimestamp, tx: &mut Responder<'_>) {
        let r = self.flow.next();
        let spec = self.flow.spec;
        let active = &self.flow.active;
        let m = active[(r % active.len() as u64) as usize];
        let range = i64::from(spec.price_range_ticks.max(1));
        let mid = &mut self.flow.mids[m as usize];
        match (r >> 16) % 8 {
            0 => *mid += 1,
            1 if *mid > range + 1 => *mid -= 1,
            _ => {}
        }
        let mid = *mid;
        let roll = ((r >> 24) % 100) as u8;
        let lots = 1 + (r >> 32) % spec.max_lots.max(1);
        let side = if (r >> 40) & 1 == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let off = 1 + ((r >> 44) % range as u64) as i64;
        if roll < spec.cancel_pct {
            if !self.flow_cancel(m, r >> 8, now, tx) {
                self.flow_rest(m, side, mid, off, lots, now, tx);
            }
        } else if roll < spec.cancel_pct.saturating_add(spec.marketable_pct) {
            let price = match side {
                Side::Buy => mid + range,
                Side::Sell => (mid - range).max(1),
            };
            self.flow_enter(m, side, price, lots, TimeInForce::Ioc, now, tx);
        } else {
            self.flow_rest(m, side, mid, off, lots, now, tx);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn flow_rest(
        &mut self,
        m: u16,
        side: Side,
        mid: i64,
        off: i64,
        lots: u64,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        let Venue { flow, orders, .. } = self;
        let max = flow.spec.max_resting_per_instrument.min(flow.resting[m as usize].capacity());
        let list = &mut flow.resting[m as usize];
        if list.len() >= max {
            list.retain(|&(i, id)| {
                orders
                    .get_live(i)
                    .is_some_and(|r| r.order_id == id && r.resting.is_some())
            });
        }
        if list.len() >= max {
            self.flow_cancel(m, u64::from(off as u32) ^ lots, now, tx);
            return;
        }
        let price = match side {
            Side::Buy => (mid - off).max(1),
            Side::Sell => mid + off,
        };
        self.flow_enter(m, side, price, lots, TimeInForce::Gtc, now, tx);
    }

    /// Enters a flow limit order.
    #[allow(clippy::too_many_arguments)]
    fn flow_enter(
        &mut self,
        m: u16,
        side: Side,
        price: i64,
        lots: u64,
        tif: TimeInForce,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        let cl = IdText::new(0, self.flow.next_cl);
        let order = NewOrderRec {
            session: FLOW_SESSION,
            instrument: m,
            order_id: self.next_order_id,
            side,
            ord_type: OrdType::Limit,
            tif,
            price,
            qty: lots,
        };
        let Ok(i) = self.orders.insert(order, cl.as_bytes()) else {
            return;
        };
        self.flow.next_cl += 1;
        self.next_order_id += 1;
        self.counters.flow_orders += 1;
        let exec = self.markets[m as usize].book.submit(OrderSpec {
            key: i,
            side,
            price: Some(price),
            qty: lots,
            tif,
        });
        let changed = exec.filled > 0 || matches!(exec.outcome, Outcome::Rested(_));
        if let Outcome::Rested(_) = exec.outcome {
            let max = self.flow.spec.max_resting_per_instrument;
            let list = &mut self.flow.resting[m as usize];
            if list.len() < max.min(list.capacity()) {
                list.push((i, order.order_id));
            }
        }
        self.apply_execution(FLOW_SESSION, i, m, exec, now, tx);
        if changed {
            self.after_book_change(FLOW_SESSION, m, true, now, tx);
        }
    }

    /// Cancels one of the flow's resting orders on `m` (picked with `r`);
    /// false when it has none.
    fn flow_cancel(&mut self, m: u16, r: u64, now: UtcTimestamp, tx: &mut Responder<'_>) -> bool {
        loop {
            let list = &mut self.flow.resting[m as usize];
            if list.is_empty() {
                return false;
            }
            let k = (r % list.len() as u64) as usize;
            let (i, id) = list.swap_remove(k);
            let live = self
                .orders
                .get_live(i)
                .filter(|rec| rec.order_id == id && rec.session == FLOW_SESSION)
                .and_then(|rec| rec.resting);
            let Some(resting) = live else {
                continue;
            };
            self.markets[m as usize].book.cancel(resting);
            let rec = self.orders.get_mut(i);
            rec.status = OrdStatus::Canceled;
            rec.resting = None;
            self.orders.finish(i);
            self.counters.flow_cancels += 1;
            self.after_book_change(FLOW_SESSION, m, false, now, tx);
            return true;
        }
    }
}
