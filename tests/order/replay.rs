//! Restart: the order traffic of a session, written with `Journal` as the
//! engine writes it, replays into a fresh stage that then holds the same
//! orders, pending requests and positions; `reconcile` asks the venue
//! about every order still open, and the status answers settle them.

use crate::common::TempDir;
use crate::harness::*;
use fixrail::codec::Parser;
use fixrail::journal::record::Kind;
use fixrail::journal::{Entry, Journal, JournalConfig, JournalReader};
use fixrail::order::{journal_records, Direction, OrderConfig, OrderManager, ReplayReport};
use fixrail::risk::RiskView;
use fixrail::strategy::{Command, Event, OrderId, OrderState, Price, Qty, Side, TimeInForce};

const SESSION: u32 = 1;

fn config() -> OrderConfig {
    OrderConfig {
        max_orders: 64,
        ..OrderConfig::default()
    }
}

/// A trading session's worth of orders in every state, with the log of
/// every message in and out.
struct Day {
    h: H,
    a: OrderId,
    b: OrderId,
    c: OrderId,
    d: OrderId,
    e: OrderId,
    f: OrderId,
    g: OrderId,
}

fn trade_a_day() -> Day {
    let mut h = H::with(config());
    // a: filled.
    let a = h.buy(1, 100, "1.1");
    let id = h.cl(a, 0);
    h.er(&format!("11={id}|150=0|39=0|14=0|151=100"));
    h.er(&format!(
        "11={id}|150=F|39=2|14=100|151=0|32=100|31=1.1|6=1.1"
    ));
    h.events();
    // b: AAPL sell, part filled, cancel pending (acknowledged).
    let b = h.place(2, AAPL, Side::Sell, TimeInForce::Gtc, 50, "190");
    let (b0, b1) = (h.cl(b, 0), h.cl(b, 1));
    h.er(&format!("11={b0}|150=0|39=0|14=0|151=50|54=2|55=AAPL"));
    h.er(&format!(
        "11={b0}|150=F|39=1|14=20|151=30|32=20|31=190.5|6=190.5|54=2|55=AAPL"
    ));
    h.cancel(b);
    h.er(&format!(
        "11={b1}|41={b0}|150=6|39=6|14=20|151=30|54=2|55=AAPL"
    ));
    h.events();
    // c: replace sent, unanswered.
    let c = h.buy(3, 200, "1.2");
    let c0 = h.cl(c, 0);
    h.er(&format!("11={c0}|150=0|39=0|14=0|151=200"));
    h.replace(c, "1.15", 150);
    h.events();
    // d: rejected.
    let d = h.buy(4, 10, "1");
    let d0 = h.cl(d, 0);
    h.er(&format!("11={d0}|150=8|39=8|103=3|14=0|151=0"));
    h.events();
    // e: canceled.
    let e = h.buy(5, 30, "1.05");
    let (e0, e1) = (h.cl(e, 0), h.cl(e, 1));
    h.er(&format!("11={e0}|150=0|39=0|14=0|151=30"));
    h.cancel(e);
    h.er(&format!("11={e1}|41={e0}|150=4|39=4|14=0|151=0"));
    h.events();
    // f: replaced, then part filled on its new ClOrdID (and that fill
    // received twice, as a resend).
    let f = h.buy(6, 300, "1.3");
    let (f0, f1) = (h.cl(f, 0), h.cl(f, 1));
    h.er(&format!("11={f0}|150=0|39=0|14=0|151=300"));
    h.replace(f, "1.3", 250);
    h.er(&format!(
        "11={f1}|41={f0}|150=5|39=0|38=250|44=1.3|14=0|151=250"
    ));
    let fill = format!("17=F-FILL|11={f1}|150=F|39=1|14=50|151=200|32=50|31=1.3|6=1.3");
    h.er(&fill);
    h.er(&fill);
    h.events();
    // g: sent, never acknowledged.
    let g = h.buy(7, 40, "1");
    // A report for someone else's order, and a mass status request.
    h.er("11=OTHER-9|150=0|39=0|14=0|151=1");
    h.cmd(Command::MassStatus);
    h.events();
    Day {
        h,
        a,
        b,
        c,
        d,
        e,
        f,
        g,
    }
}

/// Writes `log` into a fresh journal as the session layer would (session
/// `SESSION`), with another session's copy of the same traffic, an admin
/// message and a record that is not FIX around it.
fn write_journal(dir: &TempDir, log: &[(Direction, Vec<u8>)]) {
    let mut cfg = JournalConfig::new(dir.path());
    cfg.segment_size_bytes = 1 << 20;
    cfg.sessions_max = 4;
    cfg.resend_index_entries = 1024;
    let (mut journal, _) = Journal::open(cfg, t0()).unwrap();
    let mut parser = Parser::default();
    let heartbeat =
        fixrail::codec::testing::fix("8=FIX.4.4|35=0|34=99|49=VENUE|52=20260302-09:30:00|56=BUY|");
    let mut append = |session: u32, kind: Kind, raw: &[u8]| {
        let msg = parser.parse(raw).unwrap();
        journal
            .append(&Entry {
                kind,
                session,
                seq_num: msg.seq_num().unwrap(),
                msg_type: msg.msg_type(),
                flags: 0,
                timestamp: t0(),
                payload: raw,
            })
            .unwrap();
    };
    append(SESSION, Kind::Inbound, &heartbeat);
    for (direction, raw) in log {
        let kind = match direction {
            Direction::In => Kind::Inbound,
            Direction::Out => Kind::Outbound,
        };
        append(SESSION, kind, raw);
        append(2, kind, raw);
    }
    journal
        .append(&Entry {
            kind: Kind::Outbound,
            session: SESSION,
            seq_num: 1000,
            msg_type: b"D",
            flags: 0,
            timestamp: t0(),
            payload: b"not a FIX message",
        })
        .unwrap();
    journal.sync().unwrap();
}

fn same_orders(live: &OrderManager, rebuilt: &OrderManager, ids: &[OrderId]) {
    for &id in ids {
        let (l, r) = (live.order(id).unwrap(), rebuilt.order(id).unwrap());
        assert_eq!(r.tag, None, "tags are not on the wire");
        assert_eq!(
            (
                l.state,
                l.open,
                l.price,
                l.qty,
                l.cum_qty,
                l.leaves_qty,
                l.avg_px
            ),
            (
                r.state,
                r.open,
                r.price,
                r.qty,
                r.cum_qty,
                r.leaves_qty,
                r.avg_px
            ),
            "order {id:?}"
        );
        assert_eq!(
            (l.instrument, l.side, l.ord_type, l.tif),
            (r.instrument, r.side, r.ord_type, r.tif)
        );
        assert_eq!(live.cl_ord_id(id), rebuilt.cl_ord_id(id));
    }
    for ins in [EURUSD, AAPL] {
        assert_eq!(live.position_of(ins), rebuilt.position_of(ins), "{ins:?}");
        assert_eq!(live.open_qty(ins), rebuilt.open_qty(ins), "{ins:?}");
    }
    assert_eq!(live.open_orders(), rebuilt.open_orders());
}

#[test]
fn replay_from_the_journal_rebuilds_orders_and_positions_then_reconcile_settles_them() {
    let day = trade_a_day();
    let live = &day.h.om;
    let all = [day.a, day.b, day.c, day.d, day.e, day.f, day.g];
    let open = [day.b, day.c, day.f, day.g];
    assert_eq!(live.open_orders(), 4);
    let ids = |om: &OrderManager| om.open_order_views().map(|v| v.id).collect::<Vec<_>>();
    assert_eq!(ids(live), open);

    let dir = TempDir::new("order-replay");
    write_journal(&dir, &day.h.log);
    let reader = JournalReader::open(dir.path()).unwrap();
    let mut om = OrderManager::new(config(), instruments()).unwrap();
    let report = om.replay_journal(&reader, SESSION);
    assert_eq!(
        report,
        ReplayReport {
            records: day.h.log.len() as u64 + 1,
            orders: 7,
            requests: 4,
            // 14 reports: the resent fill and the foreign one change nothing.
            reports_applied: 12,
            reports_ignored: 2,
            skipped: 0,
            unparseable: 1,
            overwritten: 0,
            open_orders: 4,
        }
    );
    same_orders(live, &om, &all);
    assert_eq!(ids(&om), open);
    assert_eq!(om.counters(), &fixrail::order::OrderCounters::default());
    assert_eq!(
        (om.state_of(day.b), om.state_of(day.c)),
        (OrderState::PendingCancel, OrderState::PendingReplace)
    );

    // Reconcile: one status request per open order, by its working ClOrdID.
    let mut wire = Wire::new();
    assert_eq!(om.reconcile(&mut wire).unwrap(), 4);
    let asked: Vec<String> = (0..4).map(|i| wire.field(i, 11).unwrap()).collect();
    let cl = |id: OrderId, v: u32| day.h.cl(id, v);
    assert_eq!(
        asked,
        [cl(day.b, 0), cl(day.c, 0), cl(day.f, 1), cl(day.g, 0)]
    );
    assert!((0..4).all(|i| wire.msg_type(i) == "H"));
    assert_eq!(wire.field(0, 55).as_deref(), Some("AAPL"));
    assert_eq!(wire.field(0, 37).as_deref(), Some("V1"));

    // The venue's answers: b was canceled, c's replace took effect, f
    // filled 30 more than the journal saw, g never arrived.
    let mut h = H::with(config());
    h.om = om;
    h.er(&format!(
        "17=0|11={}|41={}|150=I|39=4|14=20|151=0|6=190.5|54=2|55=AAPL",
        cl(day.b, 1),
        cl(day.b, 0)
    ));
    h.er(&format!(
        "17=0|11={}|41={}|150=I|39=0|38=150|44=1.15|14=0|151=150",
        cl(day.c, 1),
        cl(day.c, 0)
    ));
    h.er(&format!(
        "17=0|11={}|150=I|39=1|38=250|14=80|151=170|6=1.3",
        cl(day.f, 1)
    ));
    h.er(&format!(
        "37=NONE|17=0|11={}|150=I|39=8|103=5|14=0|151=0",
        cl(day.g, 0)
    ));
    let status = |order, state, cum, leaves| Event::Status {
        order,
        state,
        cum_qty: Qty(cum),
        leaves_qty: Qty(leaves),
    };
    assert_eq!(
        h.events(),
        [
            Event::Canceled { order: day.b },
            status(day.b, OrderState::Canceled, 20, 0),
            Event::Replaced {
                order: day.c,
                price: px("1.15"),
                qty: Qty(150)
            },
            status(day.c, OrderState::New, 0, 150),
            status(day.f, OrderState::PartiallyFilled, 80, 170),
            Event::Rejected {
                tag: 0,
                order: Some(day.g),
                reason: fixrail::strategy::RejectReason::Venue(5)
            },
            status(day.g, OrderState::Rejected, 0, 0),
        ]
    );
    assert_eq!(h.om.open_orders(), 2);
    assert_eq!(h.om.position(EURUSD), Qty(100 + 80));
    assert_eq!(h.om.position(AAPL), Qty(-20));
    assert_eq!(h.om.open_qty(EURUSD), (Qty(150 + 170), Qty(0)));
    assert_eq!(
        h.om.position_of(EURUSD).unwrap().cost,
        (100 * 110 + 80 * 130) * (Price::SCALE as i128) / 100
    );

    // New orders after the restart never reuse a ClOrdID of the journal.
    let used: std::collections::HashSet<String> = day
        .h
        .log
        .iter()
        .filter_map(|(_, raw)| {
            let mut p = Parser::default();
            let m = p.parse(raw).ok()?;
            m.get(11)
                .map(|f| String::from_utf8_lossy(f.value()).into_owned())
        })
        .collect();
    for tag in 0..60 {
        let x = h.buy(100 + tag, 1, "1");
        let id = h.cl(x, 0);
        assert!(!used.contains(&id), "{id} reused");
    }
}

#[test]
fn replay_takes_the_records_of_one_session_in_journal_order() {
    let day = trade_a_day();
    let dir = TempDir::new("order-replay-records");
    write_journal(&dir, &day.h.log);
    let reader = JournalReader::open(dir.path()).unwrap();
    let records: Vec<(Direction, Vec<u8>)> = journal_records(&reader, SESSION)
        .map(|(d, raw)| (d, raw.to_vec()))
        .collect();
    // The heartbeat is left out; the non-FIX record is offered (as a D).
    assert_eq!(records.len(), day.h.log.len() + 1);
    assert_eq!(&records[..day.h.log.len()], &day.h.log[..]);
    // The same messages through `replay` directly give the same stage, even
    // with every outbound message recorded twice.
    let mut om = OrderManager::new(config(), instruments()).unwrap();
    let twice = day.h.log.iter().flat_map(|(d, raw)| {
        let n = if *d == Direction::Out { 2 } else { 1 };
        std::iter::repeat_n((*d, raw.as_slice()), n)
    });
    let report = om.replay(twice);
    assert_eq!((report.orders, report.requests), (7, 4));
    same_orders(
        &day.h.om,
        &om,
        &[day.a, day.b, day.c, day.d, day.e, day.f, day.g],
    );
}

#[test]
fn reconcile_reports_a_session_that_is_down() {
    let day = trade_a_day();
    let mut om = OrderManager::new(config(), instruments()).unwrap();
    om.replay(day.h.log.iter().map(|(d, raw)| (*d, raw.as_slice())));
    let mut wire = Wire::new();
    wire.up = false;
    assert!(matches!(
        om.reconcile(&mut wire),
        Err(fixrail::session::SendError::NotLoggedOn)
    ));
}

/// The state of an order, for brevity.
trait StateOf {
    fn state_of(&self, id: OrderId) -> OrderState;
}

impl StateOf for OrderManager {
    fn state_of(&self, id: OrderId) -> OrderState {
        self.order(id).unwrap().state
    }
}
