//! One order slot, and the FIFO free list of slots.

use crate::strategy::{InstrumentId, OrdType, OrderState, Price, Qty, Side, TimeInForce};

/// A cancel or cancel/replace request sent and not yet answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    None,
    Cancel {
        version: u32,
    },
    Replace {
        version: u32,
        price: Price,
        qty: Qty,
    },
}

impl Pending {
    pub(crate) fn version(self) -> Option<u32> {
        match self {
            Pending::None => None,
            Pending::Cancel { version } | Pending::Replace { version, .. } => Some(version),
        }
    }
}

/// The longest venue OrderID (37) kept for status requests.
pub(crate) const VENUE_ORDER_ID_MAX: usize = 40;

/// An order slot. A slot keeps its last order's data after the order
/// finishes (for late answers) until the slot is reused.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Order {
    /// The generation of the slot's current or last order (0: never used).
    pub generation: u32,
    /// Holds a non-terminal order.
    pub open: bool,
    /// The venue's view, without the pending overlay: PendingNew, New,
    /// PartiallyFilled, or a terminal state.
    pub base: OrderState,
    pub pending: Pending,
    /// The strategy's tag; `tagged` false after a replay (tags are not on
    /// the wire).
    pub tag: u64,
    pub tagged: bool,
    pub instrument: InstrumentId,
    pub side: Side,
    pub ord_type: OrdType,
    pub tif: TimeInForce,
    pub price: Price,
    pub qty: Qty,
    /// CumQty: the most the venue has reported; positions hold exactly this.
    pub cum: Qty,
    pub leaves: Qty,
    /// What the booked `cum` cost (price units × quantity).
    pub cum_notional: i128,
    /// The ClOrdID version the venue last accepted (OrigClOrdID of the
    /// next request).
    pub working_version: u32,
    /// The highest ClOrdID version sent.
    pub latest_version: u32,
    pub venue_order_id: [u8; VENUE_ORDER_ID_MAX],
    pub venue_order_id_len: u8,
}

impl Order {
    pub(crate) const EMPTY: Order = Order {
        generation: 0,
        open: false,
        base: OrderState::Canceled,
        pending: Pending::None,
        tag: 0,
        tagged: false,
        instrument: InstrumentId(0),
        side: Side::Buy,
        ord_type: OrdType::Limit,
        tif: TimeInForce::Day,
        price: Price(0),
        qty: Qty(0),
        cum: Qty(0),
        leaves: Qty(0),
        cum_notional: 0,
        working_version: 0,
        latest_version: 0,
        venue_order_id: [0; VENUE_ORDER_ID_MAX],
        venue_order_id_len: 0,
    };

    /// A new order, just sent (no tag: the caller sets one if it has it).
    pub(crate) fn placed(
        generation: u32,
        instrument: InstrumentId,
        side: Side,
        ord_type: OrdType,
        tif: TimeInForce,
        price: Price,
        qty: Qty,
    ) -> Order {
        Order {
            generation,
            open: true,
            base: OrderState::PendingNew,
            instrument,
            side,
            ord_type,
            tif,
            price: match ord_type {
                OrdType::Limit => price,
                OrdType::Market => Price(0),
            },
            qty,
            leaves: qty,
            ..Order::EMPTY
        }
    }

    /// The state the strategy sees: the pending request over a live order.
    #[inline]
    pub(crate) fn state(&self) -> OrderState {
        if self.base.is_terminal() {
            return self.base;
        }
        match self.pending {
            Pending::None => self.base,
            Pending::Cancel { .. } => OrderState::PendingCancel,
            Pending::Replace { .. } => OrderState::PendingReplace,
        }
    }

    /// Quantity that would change the position if it filled: what is left,
    /// or — while a replace is pending — the larger of what is left now and
    /// what the replace would leave.
    #[inline]
    pub(crate) fn exposure(&self) -> i64 {
        if !self.open {
            return 0;
        }
        // Saturating: quantities from the venue are not trusted to be sane.
        let left = self.qty.0.saturating_sub(self.cum.0).max(0);
        match self.pending {
            Pending::Replace { qty, .. } => left.max(qty.0.saturating_sub(self.cum.0)),
            _ => left,
        }
    }

    pub(crate) fn venue_order_id(&self) -> &[u8] {
        &self.venue_order_id[..self.venue_order_id_len as usize]
    }

    /// Keeps the venue's OrderID (the first one seen that fits and is not
    /// `NONE`).
    #[inline]
    pub(crate) fn note_venue_order_id(&mut self, id: &[u8]) {
        if self.venue_order_id_len == 0
            && !id.is_empty()
            && id.len() <= VENUE_ORDER_ID_MAX
            && id != b"NONE"
        {
            self.venue_order_id[..id.len()].copy_from_slice(id);
            self.venue_order_id_len = id.len() as u8;
        }
    }
}

/// Free slots, first in first out: a finished order's slot is reused as
/// late as possible, so late reports for it are still recognised as its
/// own (not merely stale) for as long as possible. A slot is queued at most
/// once; an order reopened while its slot is queued (a replace that crossed
/// its fill) leaves the entry behind, and the caller skips it when popped.
#[derive(Debug)]
pub(crate) struct FreeList {
    ring: Box<[u32]>,
    queued: Box<[bool]>,
    head: usize,
    len: usize,
}

impl FreeList {
    /// Every slot free, in index order.
    pub(crate) fn new(slots: u32) -> FreeList {
        FreeList {
            ring: (0..slots).collect::<Vec<u32>>().into_boxed_slice(),
            queued: vec![true; slots as usize].into_boxed_slice(),
            head: 0,
            len: slots as usize,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let s = self.ring[self.head];
        self.head = (self.head + 1) % self.ring.len();
        self.len -= 1;
        self.queued[s as usize] = false;
        Some(s)
    }

    /// Gives back the slot just popped (it was not used after all).
    #[inline]
    pub(crate) fn unpop(&mut self, slot: u32) {
        debug_assert!(!self.queued[slot as usize]);
        assert!(self.len < self.ring.len(), "free list over-full");
        self.head = (self.head + self.ring.len() - 1) % self.ring.len();
        self.ring[self.head] = slot;
        self.queued[slot as usize] = true;
        self.len += 1;
    }

    /// Queues a slot at the back (nothing if it is queued already).
    #[inline]
    pub(crate) fn push(&mut self, slot: u32) {
        if self.queued[slot as usize] {
            return;
        }
        // At most one entry per slot, so the ring never overflows.
        assert!(self.len < self.ring.len(), "free list over-full");
        let at = (self.head + self.len) % self.ring.len();
        self.ring[at] = slot;
        self.queued[slot as usize] = true;
        self.len += 1;
    }

    /// Empties the list (replay rebuilds it).
    pub(crate) fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
        self.queued.iter_mut().for_each(|q| *q = false);
    }
}
