//! Positions and realised P&L per instrument, from fills, at average cost.
//!
//! Money is `i128` in *price units × quantity*: a price unit is 1e-8 of the
//! quote currency ([`Price::SCALE`]), so buying 3 at 1.5 costs
//! `3 × 150_000_000`. Nothing here rounds except the share of the cost
//! basis taken out when part of a position is closed (integer division,
//! toward zero); a position closed to zero takes exactly what is left.

use crate::strategy::{Price, Qty, Side};

/// One instrument's position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    /// Net filled quantity: positive long, negative short.
    pub qty: Qty,
    /// Cost basis of the open position, signed like `qty` (price units ×
    /// quantity): the sum paid for a long, minus the sum received for a short.
    pub cost: i128,
    /// Realised P&L (price units × quantity).
    pub realised: i128,
    /// Quantity bought in all.
    pub bought: Qty,
    /// Quantity sold in all.
    pub sold: Qty,
    /// The last fill's price.
    pub last_px: Option<Price>,
}

impl Position {
    /// The average cost of the open position (rounded toward zero); `None`
    /// when flat.
    pub fn avg_cost(&self) -> Option<Price> {
        if self.qty.0 == 0 {
            return None;
        }
        let avg = self.cost / i128::from(self.qty.0);
        i64::try_from(avg).ok().map(Price)
    }

    /// Unrealised P&L at `mark` (price units × quantity).
    pub fn unrealised(&self, mark: Price) -> i128 {
        i128::from(mark.0) * i128::from(self.qty.0) - self.cost
    }

    /// Books a fill of `qty` (> 0) on `side` worth `notional` (price units ×
    /// quantity, ≥ 0); `px` is the fill's price for [`Position::last_px`].
    pub(crate) fn book(&mut self, side: Side, qty: i64, notional: i128, px: Price) {
        debug_assert!(qty > 0);
        self.last_px = Some(px);
        // Saturating: sums of a venue's absurd fills must not overflow
        // (each fill is bounded when its report is read).
        match side {
            Side::Buy => self.bought.0 = self.bought.0.saturating_add(qty),
            Side::Sell => self.sold.0 = self.sold.0.saturating_add(qty),
        }
        let delta = side.sign() * qty;
        let held = self.qty.0;
        if held == 0 || (held > 0) == (delta > 0) {
            // Opening or adding.
            self.cost = self.cost.saturating_add(i128::from(side.sign()) * notional);
            self.qty.0 = held.saturating_add(delta);
            return;
        }
        // Reducing, perhaps through zero.
        let size = held.saturating_abs();
        let closing = qty.min(size);
        let proceeds = if closing == qty {
            notional
        } else {
            notional.saturating_mul(i128::from(closing)) / i128::from(qty)
        };
        let removed = if closing == size {
            self.cost
        } else {
            self.cost.saturating_mul(i128::from(closing)) / i128::from(size)
        };
        self.realised = self
            .realised
            .saturating_add(i128::from(held.signum()) * proceeds)
            .saturating_sub(removed);
        self.cost = self.cost.saturating_sub(removed);
        self.qty.0 = held - held.signum() * closing;
        let opening = qty - closing;
        if opening > 0 {
            self.cost = i128::from(side.sign()) * (notional - proceeds);
            self.qty.0 = side.sign() * opening;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: i128 = Price::SCALE as i128;

    fn px(units: i64) -> Price {
        Price(units * Price::SCALE)
    }

    fn fill(p: &mut Position, side: Side, qty: i64, price: i64) {
        p.book(
            side,
            qty,
            i128::from(qty) * i128::from(price) * U,
            px(price),
        );
    }

    #[test]
    fn long_then_partly_closed_then_flipped_short() {
        let mut p = Position::default();
        fill(&mut p, Side::Buy, 10, 100);
        fill(&mut p, Side::Buy, 10, 110);
        assert_eq!(p.qty, Qty(20));
        assert_eq!(p.avg_cost(), Some(px(105)));
        fill(&mut p, Side::Sell, 5, 120);
        assert_eq!(p.realised, 5 * 15 * U);
        assert_eq!(p.qty, Qty(15));
        assert_eq!(p.avg_cost(), Some(px(105)));
        // Sell 20 at 100: closes 15 (loss 5 each), opens 5 short at 100.
        fill(&mut p, Side::Sell, 20, 100);
        assert_eq!(p.realised, 75 * U - 75 * U);
        assert_eq!(p.qty, Qty(-5));
        assert_eq!(p.cost, -500 * U);
        assert_eq!(p.avg_cost(), Some(px(100)));
        assert_eq!(p.unrealised(px(90)), 50 * U);
        fill(&mut p, Side::Buy, 5, 90);
        assert_eq!(p.qty, Qty(0));
        assert_eq!(p.cost, 0);
        assert_eq!(p.realised, 50 * U);
        assert_eq!((p.bought, p.sold), (Qty(25), Qty(25)));
        assert_eq!(p.last_px, Some(px(90)));
    }

    #[test]
    fn closing_to_zero_leaves_no_rounding_residue() {
        let mut p = Position::default();
        // Three buys whose average is not a whole price unit.
        p.book(Side::Buy, 1, 1, Price(1));
        p.book(Side::Buy, 1, 1, Price(1));
        p.book(Side::Buy, 1, 2, Price(2));
        p.book(Side::Sell, 2, 2, Price(1));
        p.book(Side::Sell, 1, 1, Price(1));
        assert_eq!(p.qty, Qty(0));
        assert_eq!(p.cost, 0);
        assert_eq!(p.realised, -1, "bought for 4, sold for 3");
    }
}
