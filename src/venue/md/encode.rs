//! Writing the market-data messages: a snapshot (W) of a view, an
//! incremental (X) of queued or fresh entries, and a reject (Y) of a V.
//! Turns ticks and lots into prices and sizes; decides nothing about what
//! is sent or to whom.

use super::{side_of, Level, MdEntry, MdRefusal};
use crate::codec::tags::{self, Tag};
use crate::codec::{Fixed, MessageWriter};
use crate::session::Responder;
use crate::venue::report::{from_units, IdText};
use crate::venue::{MdKeying, Venue};

const TEXT: Tag = 58;
const ORDER_ID: Tag = 37;
const NUMBER_OF_ORDERS: Tag = 346;

/// What a W or X needs to know about its instrument and keying.
#[derive(Clone, Copy)]
pub(super) struct Form<'a> {
    pub(super) run: u64,
    pub(super) symbol: &'a [u8],
    pub(super) tick: Fixed,
    pub(super) lot: Fixed,
    pub(super) aggregated: bool,
    pub(super) keying: MdKeying,
}

fn px(ticks: i64, tick: Fixed) -> Fixed {
    from_units(ticks, tick).unwrap_or(Fixed::new(0, 0))
}

fn qty(lots: u64, lot: Fixed) -> Fixed {
    from_units(lots as i64, lot).unwrap_or(Fixed::new(0, 0))
}

/// Writes a W of `sides` (bids, offers; empty when not subscribed).
pub(super) fn write_w(w: &mut MessageWriter<'_>, f: Form<'_>, req_id: &[u8], sides: [&[Level]; 2]) {
    w.str(tags::MD_REQ_ID, req_id);
    w.str(tags::SYMBOL, f.symbol);
    w.uint(
        tags::NO_MD_ENTRIES,
        (sides[0].len() + sides[1].len()) as u64,
    );
    for (i, levels) in sides.iter().enumerate() {
        let (_, _, typ) = side_of(i);
        for (k, l) in levels.iter().enumerate() {
            w.char(tags::MD_ENTRY_TYPE, typ);
            w.fixed(tags::MD_ENTRY_PX, px(l.price, f.tick));
            w.fixed(tags::MD_ENTRY_SIZE, qty(l.qty, f.lot));
            if f.aggregated {
                w.uint(NUMBER_OF_ORDERS, u64::from(l.orders));
                if f.keying == MdKeying::Position {
                    w.uint(tags::MD_ENTRY_POSITION_NO, k as u64 + 1);
                }
            } else {
                let id = IdText::new(f.run, l.id);
                w.str(ORDER_ID, id.as_bytes());
            }
        }
    }
}

/// Writes an X of `entries`.
pub(super) fn write_x<'e>(
    w: &mut MessageWriter<'_>,
    f: Form<'_>,
    req_id: &[u8],
    n: usize,
    entries: impl Iterator<Item = &'e MdEntry>,
) {
    w.str(tags::MD_REQ_ID, req_id);
    w.uint(tags::NO_MD_ENTRIES, n as u64);
    for e in entries {
        w.char(tags::MD_UPDATE_ACTION, e.action);
        w.char(tags::MD_ENTRY_TYPE, e.typ);
        if e.id != 0 {
            let id = IdText::new(f.run, e.id);
            w.str(tags::MD_ENTRY_ID, id.as_bytes());
        }
        w.str(tags::SYMBOL, f.symbol);
        w.fixed(tags::MD_ENTRY_PX, px(e.price, f.tick));
        if e.action != b'2' {
            w.fixed(tags::MD_ENTRY_SIZE, qty(e.qty, f.lot));
        }
        if e.orders != 0 && e.action != b'2' {
            w.uint(NUMBER_OF_ORDERS, u64::from(e.orders));
        }
        if e.pos != 0 {
            w.uint(tags::MD_ENTRY_POSITION_NO, u64::from(e.pos));
        }
    }
}

impl Venue {
    pub(super) fn form(&self, m: u16, aggregated: bool) -> Form<'_> {
        let spec = &self.markets[m as usize].spec;
        Form {
            run: self.run_id,
            symbol: spec.symbol.as_bytes(),
            tick: spec.tick_size,
            lot: spec.lot_size,
            aggregated,
            keying: self.md_spec.keying,
        }
    }

    pub(super) fn send_md_reject(
        &mut self,
        req_id: &[u8],
        (reason, text): MdRefusal,
        tx: &mut Responder<'_>,
    ) {
        self.counters.md_rejects += 1;
        let r = tx.send(b"Y", &[], &mut |w| {
            w.str(tags::MD_REQ_ID, req_id);
            if let Some(r) = reason {
                w.char(tags::MD_REQ_REJ_REASON, r);
            }
            w.str(TEXT, text.as_bytes());
        });
        self.counters.send_failures += u64::from(r.is_err());
    }
}
