//! The latency strategy: ping-pong or open-loop orders, and in the ticks run
//! a top-of-book subscriber that stops after a number of ticks.

use super::{DemoOptions, Shared};
use crate::clock::{MonoTime, MonotonicClock};
use crate::harness::stages::StageKind;
use crate::strategy::{
    Command, Event, InstrumentId, OrdType, Price, Qty, Side, Strategy, StrategyHandle, TimeInForce,
};
use hdrhistogram::Histogram;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The latency strategy. Ping-pong: one order in flight, each timed from
/// its send to its ack. Open loop: orders sent on a fixed schedule, each
/// timed from its *scheduled* time to its ack. Buys and sells alternate at
/// one price, so every pair trades.
#[derive(Debug)]
pub struct PingPong {
    clock: MonotonicClock,
    hist: Option<Histogram<u64>>,
    /// Open loop: nanoseconds between orders (0: ping-pong).
    interval_ns: u64,
    /// Open loop: the next order's scheduled time.
    next_at: u64,
    /// Scheduled times of orders sent, waiting for their OrderSent (FIFO).
    sched: std::collections::VecDeque<u64>,
    /// Scheduled time by order slot, between OrderSent and the ack, and
    /// whether that order is measured (not a warm-up order).
    by_slot: Vec<(u64, bool)>,
    /// Orders sent and not yet acknowledged or rejected.
    outstanding: u64,
    /// Send and ack stamps for the stage latencies.
    probe: crate::harness::stages::StageProbe,
    instrument: InstrumentId,
    price: Price,
    qty: Qty,
    total: u64,
    warmup: u64,
    next: u64,
    sent_at: MonoTime,
    in_flight: bool,
    up: bool,
    /// Subscribe to the instrument's top of book (after each logon: the
    /// engine restores it after a reconnect by itself, this is the first).
    subscribe: bool,
    subscribed: bool,
    /// Ticks run: stop after this many TopOfBook events (0: orders run).
    tick_target: u64,
    ticks: u64,
    shared: Arc<Shared>,
}

impl Strategy for PingPong {
    fn on_event(&mut self, e: &Event, _h: &mut StrategyHandle) {
        match *e {
            Event::SessionUp { .. } => {
                self.up = true;
                self.subscribe = true;
            }
            Event::TopOfBook(_) => {
                self.probe.stamp(StageKind::TickSeen);
                self.ticks += 1;
                self.shared.ticks.fetch_add(1, Ordering::Relaxed);
                if self.tick_target > 0 && self.ticks == self.warmup {
                    self.shared
                        .started_ns
                        .store(self.clock.now().as_nanos(), Ordering::Relaxed);
                }
                if self.tick_target > 0 && self.ticks == self.tick_target && self.hist.is_some() {
                    self.finish();
                }
                return;
            }
            Event::SessionDown { .. } => self.up = false,
            Event::OrderSent { order, tag } => {
                if let Some(t) = self.sched.pop_front() {
                    if let Some(slot) = self.by_slot.get_mut(order.slot as usize) {
                        *slot = (t, tag >= self.warmup);
                    }
                }
            }
            Event::Accepted { order } => {
                self.probe.stamp(StageKind::Ack);
                let (start, measured) = if self.interval_ns == 0 {
                    (self.sent_at.as_nanos(), self.next > self.warmup)
                } else {
                    self.by_slot
                        .get(order.slot as usize)
                        .copied()
                        .unwrap_or((self.sent_at.as_nanos(), false))
                };
                let rtt = self.clock.now().as_nanos().saturating_sub(start);
                self.outstanding = self.outstanding.saturating_sub(1);
                if measured {
                    if let Some(h) = self.hist.as_mut() {
                        let _ = h.record(rtt.max(1));
                    }
                }
                if self.interval_ns == 0 && self.next == self.warmup {
                    self.shared
                        .started_ns
                        .store(self.clock.now().as_nanos(), Ordering::Relaxed);
                }
                self.in_flight = false;
                self.shared.acks.fetch_add(1, Ordering::Relaxed);
            }
            Event::Fill { .. } => {
                self.shared.fills.fetch_add(1, Ordering::Relaxed);
            }
            Event::Rejected { order, .. } => {
                if order.is_none() {
                    self.sched.pop_front();
                }
                self.outstanding = self.outstanding.saturating_sub(1);
                self.in_flight = false;
                self.shared.rejects.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
        if self.tick_target == 0
            && !self.in_flight
            && self.outstanding == 0
            && self.next >= self.total
            && self.hist.is_some()
        {
            self.finish();
        }
    }

    fn on_tick(&mut self, _now_ns: u64, h: &mut StrategyHandle) -> usize {
        if self.subscribe && !self.subscribed {
            let cmd = Command::Subscribe {
                instrument: self.instrument,
                depth: 1,
                entries: crate::strategy::MdEntryTypes::BOOK,
                updates: true,
                aggregated: true,
            };
            if h.send(cmd).is_ok() {
                self.subscribed = true;
            }
        }
        if !self.up || self.next >= self.total {
            return 0;
        }
        if self.interval_ns > 0 {
            return self.open_loop(h);
        }
        if self.in_flight {
            return 0;
        }
        let side = if self.next % 2 == 0 {
            Side::Buy
        } else {
            Side::Sell
        };
        let cmd = Command::NewOrder {
            tag: self.next,
            instrument: self.instrument,
            side,
            ord_type: OrdType::Limit,
            tif: TimeInForce::Day,
            price: self.price,
            qty: self.qty,
        };
        self.sent_at = self.clock.now();
        self.probe
            .stamp_at(StageKind::Send, self.sent_at.as_nanos());
        if h.send(cmd).is_ok() {
            self.sched.push_back(self.sent_at.as_nanos());
            self.in_flight = true;
            self.outstanding += 1;
            self.next += 1;
            1
        } else {
            0
        }
    }
}

impl PingPong {
    /// The strategy for a run: orders (ping-pong or open loop at
    /// `opts.rate`), or with `opts.ticks` no orders and a stop after
    /// `warmup` + `ticks` TopOfBook events.
    pub(super) fn new(
        opts: &DemoOptions,
        instrument: &crate::strategy::Instrument,
        probe: crate::harness::stages::StageProbe,
        shared: Arc<Shared>,
    ) -> Result<PingPong, String> {
        let ticks = opts.ticks.is_some();
        Ok(PingPong {
            clock: MonotonicClock::new(),
            hist: Some(
                Histogram::new_with_bounds(1, 10_000_000_000, 3)
                    .map_err(|e| format!("histogram: {e}"))?,
            ),
            instrument: instrument.id,
            price: instrument.reference_price,
            qty: instrument.lot_size,
            total: if ticks { 0 } else { opts.warmup + opts.orders },
            warmup: opts.warmup,
            next: 0,
            interval_ns: opts.rate.map(|r| 1_000_000_000 / r.max(1)).unwrap_or(0),
            next_at: 0,
            sched: std::collections::VecDeque::with_capacity(if ticks { 0 } else { 4096 }),
            by_slot: vec![(0, false); if ticks { 0 } else { 1 << 16 }],
            outstanding: 0,
            probe,
            sent_at: MonoTime::from_nanos(0),
            in_flight: false,
            up: false,
            subscribe: false,
            subscribed: false,
            tick_target: opts.ticks.map_or(0, |t| opts.warmup + t),
            ticks: 0,
            shared,
        })
    }

    /// The run is over: hand the histogram to the control thread.
    fn finish(&mut self) {
        self.shared
            .finished_ns
            .store(self.clock.now().as_nanos(), Ordering::Relaxed);
        *self.shared.result.lock().unwrap_or_else(|e| e.into_inner()) = self.hist.take();
        self.shared.done.store(true, Ordering::Release);
    }

    fn order(&self) -> Command {
        Command::NewOrder {
            tag: self.next,
            instrument: self.instrument,
            side: if self.next % 2 == 0 {
                Side::Buy
            } else {
                Side::Sell
            },
            ord_type: OrdType::Limit,
            tif: TimeInForce::Day,
            price: self.price,
            qty: self.qty,
        }
    }

    /// Sends every order whose scheduled time has come (none is skipped:
    /// late orders go out at once and their lateness is measured).
    fn open_loop(&mut self, h: &mut StrategyHandle) -> usize {
        let now = self.clock.now().as_nanos();
        if self.next_at == 0 {
            self.next_at = now;
        }
        let mut sent = 0;
        while self.next < self.total
            && now >= self.next_at
            && self.sched.len() < self.sched.capacity()
        {
            if h.send(self.order()).is_err() {
                break;
            }
            if self.next == self.warmup {
                self.shared.started_ns.store(now, Ordering::Relaxed);
            }
            self.sched.push_back(self.next_at);
            self.next_at += self.interval_ns;
            self.outstanding += 1;
            self.next += 1;
            sent += 1;
        }
        sent
    }
}
