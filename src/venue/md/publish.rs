//! Publishing to subscribers: a snapshot (W) when a subscription starts
//! or owes a refresh, one X per subscription after each change of its
//! book (sent at once to the session being served, queued for the
//! others), the queued X when a session drains, and the reset of a
//! session's subscriptions when it connects or disconnects.

use super::encode::{write_w, write_x, Form};
use super::view::{diff, top};
use super::{side_of, Level, MdEntry, MD_REQ_ID_MAX, T_TRADE};
use crate::codec::UtcTimestamp;
use crate::session::Responder;
use crate::venue::{Queued, Venue};

/// The most entries in one X (a larger change is split over several X).
const ENTRIES_PER_MESSAGE: usize = 400;

impl Venue {
    /// Sends a W of market `m` now, for a one-off snapshot (`sub` None) or
    /// for subscription `sub` of session `s` (whose view becomes the book
    /// as now).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn send_snapshot(
        &mut self,
        s: u16,
        sub: Option<usize>,
        req_id: &[u8],
        m: u16,
        depth: usize,
        aggregated: bool,
        types: u8,
        tx: &mut Responder<'_>,
    ) {
        let Venue {
            markets,
            orders,
            md_scratch,
            sessions,
            ..
        } = self;
        let book = &markets[m as usize].book;
        for i in 0..2 {
            let (side, bit, _) = side_of(i);
            let out = match sub {
                Some(k) => &mut sessions[s as usize].md.subs[k].view[i],
                None => &mut md_scratch.cur[i],
            };
            if types & bit != 0 {
                top(book, orders, side, depth, aggregated, out);
            } else {
                out.clear();
            }
        }
        let sides: [&[Level]; 2] = match sub {
            Some(k) => {
                let v = &self.sessions[s as usize].md.subs[k].view;
                [&v[0], &v[1]]
            }
            None => [&self.md_scratch.cur[0], &self.md_scratch.cur[1]],
        };
        let f = self.form(m, aggregated);
        let r = tx.send(b"W", &[], &mut |w| write_w(w, f, req_id, sides));
        self.counters.md_snapshots += 1;
        self.counters.send_failures += u64::from(r.is_err());
    }

    /// After a change of market `m`'s book: one X per subscription on it
    /// with what changed in its view (and the fills of the last submit or
    /// amend as trades, when `trades`). Sent at once to `me` (the session
    /// being served), queued for every other session.
    pub(in crate::venue) fn md_publish(
        &mut self,
        me: u16,
        m: u16,
        trades: bool,
        now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        for s in 1..self.sessions.len() {
            if self.sessions[s].md.live == 0 {
                continue;
            }
            for k in 0..self.sessions[s].md.subs.len() {
                self.md_publish_one(me, s as u16, k, m, trades, now, tx);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn md_publish_one(
        &mut self,
        me: u16,
        s: u16,
        k: usize,
        m: u16,
        trades: bool,
        _now: UtcTimestamp,
        tx: &mut Responder<'_>,
    ) {
        let keying = self.md_spec.keying;
        let Venue {
            markets,
            orders,
            md_scratch,
            sessions,
            counters,
            queue_max,
            run_id,
            ..
        } = self;
        let slot = &mut sessions[s as usize];
        let sub = &mut slot.md.subs[k];
        if !sub.live || sub.market != m || sub.resync {
            return;
        }
        let book = &markets[m as usize].book;
        let out = &mut md_scratch.out;
        out.clear();
        if trades && sub.types & T_TRADE != 0 {
            out.extend(book.fills().iter().map(|f| MdEntry {
                action: b'0',
                typ: b'2',
                price: f.price,
                qty: f.qty,
                orders: 0,
                id: 0,
                pos: 0,
            }));
        }
        for i in 0..2 {
            let (side, bit, typ) = side_of(i);
            if sub.types & bit == 0 {
                continue;
            }
            let cur = &mut md_scratch.cur[i];
            top(book, orders, side, sub.depth, sub.aggregated, cur);
            diff(&sub.view[i], cur, side, typ, sub.aggregated, keying, out);
            sub.view[i].clear();
            sub.view[i].extend_from_slice(cur);
        }
        if out.is_empty() {
            return;
        }
        let aggregated = sub.aggregated;
        if s == me && tx.is_up() && slot.queue.is_empty() {
            let req_id = &sub.req_id[..sub.req_len as usize];
            let spec = &markets[m as usize].spec;
            let f = Form {
                run: *run_id,
                symbol: spec.symbol.as_bytes(),
                tick: spec.tick_size,
                lot: spec.lot_size,
                aggregated,
                keying,
            };
            for chunk in out.chunks(ENTRIES_PER_MESSAGE) {
                let r = tx.send(b"X", &[], &mut |w| {
                    write_x(w, f, req_id, chunk.len(), chunk.iter())
                });
                counters.md_incrementals += 1;
                counters.send_failures += u64::from(r.is_err());
            }
            return;
        }
        let messages = out.len().div_ceil(ENTRIES_PER_MESSAGE);
        let ring = &mut slot.md.ring;
        if ring.len() + out.len() > ring.capacity() || slot.queue.len() + messages > *queue_max {
            sub.resync = true;
            slot.md.resync = true;
            counters.md_resyncs += 1;
            return;
        }
        ring.extend(out.iter().copied());
        for chunk in out.chunks(ENTRIES_PER_MESSAGE) {
            slot.queue.push_back(Queued::Md {
                sub: k as u16,
                entries: chunk.len() as u32,
            });
            counters.md_incrementals += 1;
        }
    }

    /// Sends queued X `entries` of subscription `sub` of session `s`;
    /// false when the session refused it (the entries stay queued).
    pub(in crate::venue) fn md_send_queued(
        &mut self,
        s: u16,
        sub: u16,
        entries: u32,
        tx: &mut Responder<'_>,
    ) -> bool {
        let md = &self.sessions[s as usize].md;
        let sb = &md.subs[sub as usize];
        let f = self.form(sb.market, sb.aggregated);
        let req_id = sb.req_id();
        let n = entries as usize;
        let r = tx.send(b"X", &[], &mut |w| {
            write_x(w, f, req_id, n, md.ring.iter().take(n))
        });
        if r.is_err() {
            self.counters.send_failures += 1;
            return false;
        }
        self.sessions[s as usize].md.ring.drain(..n);
        true
    }

    /// Sends the refreshes (W) owed to session `s`'s subscriptions.
    pub(in crate::venue) fn md_send_resyncs(&mut self, s: u16, tx: &mut Responder<'_>) {
        if !self.sessions[s as usize].md.resync {
            return;
        }
        self.sessions[s as usize].md.resync = false;
        let mut req_id = [0u8; MD_REQ_ID_MAX];
        for k in 0..self.sessions[s as usize].md.subs.len() {
            let sub = &mut self.sessions[s as usize].md.subs[k];
            if !(sub.live && sub.resync) {
                continue;
            }
            sub.resync = false;
            let n = sub.req_len as usize;
            req_id[..n].copy_from_slice(sub.req_id());
            let (m, depth, aggregated, types) = (sub.market, sub.depth, sub.aggregated, sub.types);
            self.send_snapshot(s, Some(k), &req_id[..n], m, depth, aggregated, types, tx);
        }
    }

    /// Session `s` connected or disconnected: its subscriptions end and
    /// what was queued for them is forgotten.
    pub(in crate::venue) fn md_session_reset(&mut self, s: u16) {
        let slot = &mut self.sessions[s as usize];
        slot.md.clear();
        slot.queue.retain(|q| !matches!(q, Queued::Md { .. }));
    }
}
