//! Sending: every message a session writes goes through [`Core`].

use super::app::SendError;
use super::outbox::Outbox;
use super::store::SessionStore;
use super::types::{Counters, SessionConfig};
use crate::codec::tags::{self, Tag};
use crate::codec::{Encoder, EncoderConfig, Header, MessageWriter, UtcTimestamp};
use crate::dictionary::Rejection;

/// Routing fields a reply carries reversed (SenderSubID ↔ TargetSubID,
/// OnBehalfOf ↔ DeliverTo, location ids).
const REVERSE_ROUTE: [(Tag, Tag); 10] = [
    (50, 57),
    (57, 50),
    (115, 128),
    (128, 115),
    (116, 129),
    (129, 116),
    (142, 143),
    (143, 142),
    (144, 145),
    (145, 144),
];

/// The sending half of a session: settings, encoder, counters, timers.
#[derive(Debug)]
pub struct Core {
    pub(crate) cfg: SessionConfig,
    pub(crate) enc: Encoder,
    pub(crate) counters: Counters,
    pub(crate) last_sent: UtcTimestamp,
    pub(crate) logged_on: bool,
}

impl Core {
    pub(crate) fn new(cfg: SessionConfig) -> Result<Core, crate::codec::EncodeError> {
        // The encoder wants a 'static BeginString: sessions live as long as
        // the process, and there are a handful of them.
        let begin: &'static str = match cfg.begin_string.as_str() {
            "FIX.4.4" => "FIX.4.4",
            other => Box::leak(other.to_owned().into_boxed_str()),
        };
        let enc = Encoder::new(EncoderConfig {
            begin_string: begin,
            message_size_max: cfg.message_size_max,
            timestamp_precision: cfg.timestamp_precision,
        })?;
        Ok(Core {
            cfg,
            enc,
            counters: Counters::default(),
            last_sent: UtcTimestamp::from_unix_nanos(0),
            logged_on: false,
        })
    }

    /// Encodes, journals and queues one original message.
    pub(crate) fn send(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        msg_type: &[u8],
        extra: &[(Tag, &[u8])],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        let seq = store.next_out();
        let mut h = Header::new(
            msg_type,
            seq,
            self.cfg.sender_comp_id.as_bytes(),
            self.cfg.target_comp_id.as_bytes(),
            now,
        );
        h.extra = extra;
        let mut w = self.enc.start(&h);
        body(&mut w);
        let bytes = w.finish().map_err(SendError::Encode)?;
        store.record_out(seq, msg_type, now, bytes)?;
        out.push(bytes);
        self.last_sent = now;
        self.counters.sent += 1;
        Ok(seq)
    }

    /// Sends an admin message; a journal failure is returned, an encode
    /// failure (a bug: admin messages are small) is too.
    pub(crate) fn admin(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        msg_type: &[u8],
        extra: &[(Tag, &[u8])],
        body: &mut dyn FnMut(&mut MessageWriter<'_>),
    ) -> Result<u64, SendError> {
        self.send(now, store, out, msg_type, extra, body)
    }

    /// Session Reject (3) of `msg`, with the routing reversed.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn reject(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        msg: &crate::codec::Message<'_>,
        ref_seq: u64,
        rejection: &Rejection,
    ) -> Result<u64, SendError> {
        let mut route = [(0 as Tag, &[][..]); 10];
        let n = reverse_route(msg, &mut route);
        let msg_type = msg.msg_type();
        self.counters.rejects_sent += 1;
        self.send(now, store, out, b"3", &route[..n], &mut |w| {
            w.uint(tags::REF_SEQ_NUM, ref_seq)
                .str(tags::TEXT, rejection.reason.text().as_bytes());
            if let Some(t) = &rejection.ref_tag {
                w.str(tags::REF_TAG_ID, t.as_bytes());
            }
            if !msg_type.is_empty() {
                w.str(tags::REF_MSG_TYPE, msg_type);
            }
            w.uint(tags::SESSION_REJECT_REASON, rejection.reason.code() as u64);
        })
    }

    /// Business Message Reject (j).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn business_reject(
        &mut self,
        now: UtcTimestamp,
        store: &mut dyn SessionStore,
        out: &mut Outbox,
        msg: &crate::codec::Message<'_>,
        ref_seq: u64,
        reason: u32,
        text: &str,
    ) -> Result<u64, SendError> {
        let mut route = [(0 as Tag, &[][..]); 10];
        let n = reverse_route(msg, &mut route);
        let msg_type = msg.msg_type();
        self.counters.business_rejects_sent += 1;
        self.send(now, store, out, b"j", &route[..n], &mut |w| {
            w.uint(tags::REF_SEQ_NUM, ref_seq)
                .str(tags::TEXT, text.as_bytes())
                .str(tags::REF_MSG_TYPE, msg_type)
                .uint(tags::BUSINESS_REJECT_REASON, reason as u64);
        })
    }
}

/// Fills `out` with `msg`'s routing fields reversed, ascending; returns the count.
pub(crate) fn reverse_route<'m>(
    msg: &crate::codec::Message<'m>,
    out: &mut [(Tag, &'m [u8]); 10],
) -> usize {
    let header = msg.header();
    let mut n = 0;
    for &(from, to) in &REVERSE_ROUTE {
        if let Some(f) = header.get(from) {
            out[n] = (to, f.value());
            n += 1;
        }
    }
    out[..n].sort_unstable_by_key(|(t, _)| *t);
    n
}
