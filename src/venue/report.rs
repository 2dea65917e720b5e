//! Writing the venue's ExecutionReports (8) and OrderCancelRejects (9), and
//! the exact conversions between wire decimals and ticks or lots.
//!
//! Owns the field layout of both messages (FIX 4.4, every field in the
//! dictionary's ExecutionReport / OrderCancelReject, ascending tags) and the
//! report snapshot queued for another session. Writes into the session's
//! encoder through a [`Responder`]; allocates nothing.

use super::orders::{OrdType, OrderRec};
use super::{Market, Venue};
use crate::codec::tags;
use crate::codec::value::write_u64_rev;
use crate::codec::{Fixed, MessageWriter, UtcTimestamp};
use crate::session::{Responder, SendError};
use crate::venue::book::{Side, TimeInForce};

/// 10^n as i128 (the codec's table, widened).
#[inline]
fn pow10(n: usize) -> i128 {
    i128::from(crate::codec::value::POW10[n])
}

/// Extra decimals of AvgPx beyond the tick size.
const AVG_PX_EXTRA_DIGITS: u8 = 4;

/// `value / unit` as an integer: exact (`None` if not a whole number) or,
/// with `floor`, rounded toward zero. `None` when it does not fit an i64.
pub(crate) fn whole_units(value: Fixed, unit: Fixed, floor: bool) -> Option<i64> {
    if unit.mantissa == 0 || value.scale > 18 || unit.scale > 18 {
        return None;
    }
    let s = value.scale.max(unit.scale);
    let v = i128::from(value.mantissa) * pow10((s - value.scale) as usize);
    let u = i128::from(unit.mantissa) * pow10((s - unit.scale) as usize);
    if !floor && v % u != 0 {
        return None;
    }
    i64::try_from(v / u).ok()
}

/// `n` units of `unit` as a decimal, if it fits.
pub(crate) fn from_units(n: i64, unit: Fixed) -> Option<Fixed> {
    n.checked_mul(unit.mantissa)
        .map(|m| Fixed::new(m, unit.scale))
}

/// `n` units of `unit` (callers pass values that were checked to fit).
fn units(n: i64, unit: Fixed) -> Fixed {
    from_units(n, unit).unwrap_or(Fixed::new(0, 0))
}

/// The average price of `notional` tick-lots over `cum` lots, with up to
/// four decimals more than the tick size (rounded half away from zero,
/// trailing zeros beyond the tick's scale dropped).
pub(crate) fn avg_px(notional: i128, cum: u64, tick: Fixed) -> Fixed {
    if cum == 0 {
        return Fixed::new(0, 0);
    }
    let cum = i128::from(cum);
    let mut extra = AVG_PX_EXTRA_DIGITS.min(18u8.saturating_sub(tick.scale));
    loop {
        let num = notional
            .checked_mul(i128::from(tick.mantissa))
            .and_then(|n| n.checked_mul(pow10(extra as usize)));
        if let Some(num) = num {
            let half = cum / 2;
            let q = if num >= 0 {
                (num + half) / cum
            } else {
                (num - half) / cum
            };
            if let Ok(mut m) = i64::try_from(q) {
                let mut scale = tick.scale + extra;
                while scale > tick.scale && m % 10 == 0 {
                    m /= 10;
                    scale -= 1;
                }
                return Fixed::new(m, scale);
            }
        }
        if extra == 0 {
            return Fixed::new(0, 0);
        }
        extra -= 1;
    }
}

/// `<run>-<n>`: an OrderID or ExecID, unique across restarts.
pub(crate) struct IdText {
    buf: [u8; 41],
    len: usize,
}

impl IdText {
    pub(crate) fn new(run: u64, n: u64) -> IdText {
        let mut buf = [0u8; 41];
        let mut digits = [0u8; 20];
        let a = write_u64_rev(run, &mut digits);
        buf[..a].copy_from_slice(&digits[20 - a..]);
        buf[a] = b'-';
        let b = write_u64_rev(n, &mut digits);
        buf[a + 1..a + 1 + b].copy_from_slice(&digits[20 - b..]);
        IdText {
            buf,
            len: a + 1 + b,
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// A report about an order, as it was when it happened: what a queue holds
/// for a session that is not being served (the order's terms cannot change
/// before it is delivered: only its own session changes them, and that
/// session's queue is emptied first).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Report {
    pub order: u32,
    pub exec_id: u64,
    pub exec_type: u8,
    pub status: u8,
    pub last_px: i64,
    pub last_qty: u64,
    pub cum: u64,
    pub leaves: u64,
    pub notional: i128,
    pub transact: UtcTimestamp,
}

impl Report {
    /// A snapshot of order `rec` now.
    pub(crate) fn of(
        order: u32,
        rec: &OrderRec,
        exec_id: u64,
        exec_type: u8,
        now: UtcTimestamp,
    ) -> Report {
        Report {
            order,
            exec_id,
            exec_type,
            status: rec.status.code(),
            last_px: 0,
            last_qty: 0,
            cum: rec.cum,
            leaves: rec.leaves(),
            notional: rec.notional,
            transact: now,
        }
    }
}

/// Every field an ExecutionReport of the venue may carry.
pub(crate) struct Er<'a> {
    /// None: "NONE" (no order).
    pub order_id: Option<u64>,
    pub exec_id: u64,
    pub cl_ord_id: Option<&'a [u8]>,
    pub orig_cl_ord_id: Option<&'a [u8]>,
    pub exec_type: u8,
    pub status: u8,
    pub symbol: &'a [u8],
    pub side: u8,
    pub ord_type: Option<u8>,
    pub price: Option<Fixed>,
    pub order_qty: Option<Fixed>,
    pub tif: Option<u8>,
    /// (LastPx, LastQty) of a fill.
    pub last: Option<(Fixed, Fixed)>,
    pub cum: Fixed,
    pub leaves: Fixed,
    pub avg: Fixed,
    pub transact: UtcTimestamp,
    pub rej_reason: Option<u32>,
    pub text: Option<&'a str>,
    pub ord_status_req_id: Option<&'a [u8]>,
    /// (MassStatusReqID, TotNumReports, LastRptRequested).
    pub mass: Option<(&'a [u8], u64, bool)>,
}

pub(crate) fn side_code(s: Side) -> u8 {
    match s {
        Side::Buy => b'1',
        Side::Sell => b'2',
    }
}

pub(crate) fn tif_code(t: TimeInForce) -> u8 {
    match t {
        TimeInForce::Day => b'0',
        TimeInForce::Gtc => b'1',
        TimeInForce::Ioc => b'3',
        TimeInForce::Fok => b'4',
    }
}

fn ord_type_code(t: OrdType) -> u8 {
    match t {
        OrdType::Market => b'1',
        OrdType::Limit => b'2',
    }
}

const ZERO: Fixed = Fixed::new(0, 0);

impl<'a> Er<'a> {
    /// A report with no order and zero quantities (rejects, unknown orders).
    pub(crate) fn empty(
        exec_id: u64,
        exec_type: u8,
        status: u8,
        symbol: &'a [u8],
        side: u8,
        now: UtcTimestamp,
    ) -> Er<'a> {
        Er {
            order_id: None,
            exec_id,
            cl_ord_id: None,
            orig_cl_ord_id: None,
            exec_type,
            status,
            symbol,
            side,
            ord_type: None,
            price: None,
            order_qty: None,
            tif: None,
            last: None,
            cum: ZERO,
            leaves: ZERO,
            avg: ZERO,
            transact: now,
            rej_reason: None,
            text: None,
            ord_status_req_id: None,
            mass: None,
        }
    }

    /// A report on order `rec` from snapshot `r`.
    pub(crate) fn order(venue: &'a Venue, rec: &OrderRec, r: &Report) -> Er<'a> {
        let m: &'a Market = &venue.markets[rec.instrument as usize];
        let tick = m.spec.tick_size;
        let lot = m.spec.lot_size;
        Er {
            order_id: Some(rec.order_id),
            exec_id: r.exec_id,
            cl_ord_id: Some(venue.orders.cl_ord_id(r.order)),
            orig_cl_ord_id: None,
            exec_type: r.exec_type,
            status: r.status,
            symbol: m.spec.symbol.as_bytes(),
            side: side_code(rec.side),
            ord_type: Some(ord_type_code(rec.ord_type)),
            price: (rec.ord_type == OrdType::Limit).then(|| units(rec.price, tick)),
            order_qty: Some(units(rec.qty as i64, lot)),
            tif: Some(tif_code(rec.tif)),
            last: (r.exec_type == b'F')
                .then(|| (units(r.last_px, tick), units(r.last_qty as i64, lot))),
            cum: units(r.cum as i64, lot),
            leaves: units(r.leaves as i64, lot),
            avg: avg_px(r.notional, r.cum, tick),
            transact: r.transact,
            rej_reason: None,
            text: None,
            ord_status_req_id: None,
            mass: None,
        }
    }

    fn write(&self, run: u64, w: &mut MessageWriter<'_>) {
        let exec_id = IdText::new(run, self.exec_id);
        w.fixed(tags::AVG_PX, self.avg);
        if let Some(c) = self.cl_ord_id {
            w.str(tags::CL_ORD_ID, c);
        }
        w.fixed(tags::CUM_QTY, self.cum);
        w.str(tags::EXEC_ID, exec_id.as_bytes());
        if let Some((px, qty)) = self.last {
            w.fixed(tags::LAST_PX, px);
            w.fixed(tags::LAST_QTY, qty);
        }
        write_order_id(w, run, self.order_id);
        if let Some(q) = self.order_qty {
            w.fixed(tags::ORDER_QTY, q);
        }
        w.char(tags::ORD_STATUS, self.status);
        if let Some(t) = self.ord_type {
            w.char(tags::ORD_TYPE, t);
        }
        if let Some(o) = self.orig_cl_ord_id {
            w.str(tags::ORIG_CL_ORD_ID, o);
        }
        if let Some(p) = self.price {
            w.fixed(tags::PRICE, p);
        }
        w.char(tags::SIDE, self.side);
        w.str(tags::SYMBOL, self.symbol);
        if let Some(t) = self.text {
            w.str(tags::TEXT, t.as_bytes());
        }
        if let Some(t) = self.tif {
            w.char(tags::TIME_IN_FORCE, t);
        }
        w.timestamp(tags::TRANSACT_TIME, self.transact);
        if let Some(r) = self.rej_reason {
            w.uint(tags::ORD_REJ_REASON, u64::from(r));
        }
        w.char(tags::EXEC_TYPE, self.exec_type);
        w.fixed(tags::LEAVES_QTY, self.leaves);
        if let Some((id, _, _)) = self.mass {
            w.str(tags::MASS_STATUS_REQ_ID, id);
        }
        if let Some(id) = self.ord_status_req_id {
            w.str(tags::ORD_STATUS_REQ_ID, id);
        }
        if let Some((_, total, last)) = self.mass {
            w.uint(tags::TOT_NUM_REPORTS, total);
            w.bool(tags::LAST_RPT_REQUESTED, last);
        }
    }

    /// Sends it on the session of `tx`.
    pub(crate) fn send(&self, run: u64, tx: &mut Responder<'_>) -> Result<u64, SendError> {
        tx.send(b"8", &[], &mut |w| self.write(run, w))
    }
}

fn write_order_id(w: &mut MessageWriter<'_>, run: u64, order_id: Option<u64>) {
    match order_id {
        Some(n) => {
            let id = IdText::new(run, n);
            w.str(tags::ORDER_ID, id.as_bytes());
        }
        None => {
            w.str(tags::ORDER_ID, b"NONE");
        }
    }
}

/// An OrderCancelReject (9).
pub(crate) struct CancelReject<'a> {
    /// None: "NONE" (unknown order).
    pub order_id: Option<u64>,
    pub cl_ord_id: &'a [u8],
    pub orig_cl_ord_id: &'a [u8],
    pub status: u8,
    pub now: UtcTimestamp,
    /// CxlRejResponseTo (434): b'1' cancel, b'2' cancel/replace.
    pub response_to: u8,
    pub reason: u32,
    pub text: &'a str,
}

impl CancelReject<'_> {
    /// Sends it on the session of `tx`.
    pub(crate) fn send(&self, run: u64, tx: &mut Responder<'_>) -> Result<u64, SendError> {
        tx.send(b"9", &[], &mut |w| {
            w.str(tags::CL_ORD_ID, self.cl_ord_id);
            write_order_id(w, run, self.order_id);
            w.char(tags::ORD_STATUS, self.status);
            w.str(tags::ORIG_CL_ORD_ID, self.orig_cl_ord_id);
            w.str(tags::TEXT, self.text.as_bytes());
            w.timestamp(tags::TRANSACT_TIME, self.now);
            w.uint(tags::CXL_REJ_REASON, u64::from(self.reason));
            w.char(tags::CXL_REJ_RESPONSE_TO, self.response_to);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_convert_exactly() {
        let tick = Fixed::new(25, 2); // 0.25
        assert_eq!(whole_units(Fixed::new(10050, 2), tick, false), Some(402));
        assert_eq!(whole_units(Fixed::new(1005, 1), tick, false), Some(402));
        assert_eq!(whole_units(Fixed::new(10010, 2), tick, false), None);
        assert_eq!(whole_units(Fixed::new(10010, 2), tick, true), Some(400));
        assert_eq!(from_units(402, tick), Some(Fixed::new(10050, 2)));
        let yen = Fixed::new(1, 3);
        assert_eq!(whole_units(Fixed::new(150, 0), yen, false), Some(150_000));
    }

    #[test]
    fn avg_px_rounds_and_trims() {
        let tick = Fixed::new(1, 2);
        // (100.00 x 1 + 100.01 x 2) / 3 = 100.006666.. -> 100.006667
        assert_eq!(
            avg_px(10000 + 2 * 10001, 3, tick),
            Fixed::new(100_006_667, 6)
        );
        assert_eq!(avg_px(10000 * 4, 4, tick), Fixed::new(10000, 2));
        assert_eq!(avg_px(0, 0, tick), Fixed::new(0, 0));
    }

    #[test]
    fn ids_have_the_run_prefix() {
        assert_eq!(IdText::new(1_790_000_000, 42).as_bytes(), b"1790000000-42");
        assert_eq!(IdText::new(0, 0).as_bytes(), b"0-0");
    }
}
