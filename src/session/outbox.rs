//! What a session call produced: bytes to write, events, a disconnect.

use super::types::{DisconnectReason, Event};

/// The output of one session call. The caller writes [`Outbox::bytes`] to
/// the connection in order, handles the events, closes the connection (after
/// the bytes are flushed) when [`Outbox::disconnect`] is set, then calls
/// [`Outbox::clear`]. Capacity is reserved up front; it grows only if one
/// call produces more than that (a large resend).
#[derive(Debug)]
pub struct Outbox {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    events: Vec<Event>,
    disconnect: Option<DisconnectReason>,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox::with_capacity(256 * 1024, 64)
    }
}

impl Outbox {
    /// An outbox holding `bytes` of messages and `events` events before it grows.
    pub fn with_capacity(bytes: usize, events: usize) -> Outbox {
        Outbox {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(events.max(16) * 4),
            events: Vec::with_capacity(events),
            disconnect: None,
        }
    }

    pub(crate) fn push(&mut self, message: &[u8]) {
        self.bytes.extend_from_slice(message);
        self.ends.push(self.bytes.len());
    }

    pub(crate) fn event(&mut self, e: Event) {
        self.events.push(e);
    }

    pub(crate) fn set_disconnect(&mut self, r: DisconnectReason) {
        if self.disconnect.is_none() {
            self.disconnect = Some(r);
        }
    }

    /// Every message produced, concatenated in send order.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The messages one by one.
    pub fn messages(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let m = &self.bytes[start..end];
            start = end;
            m
        })
    }

    /// Events, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Set when the connection must close (after the bytes are written).
    pub fn disconnect(&self) -> Option<DisconnectReason> {
        self.disconnect
    }

    /// True when nothing was produced.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty() && self.events.is_empty() && self.disconnect.is_none()
    }

    /// Empties it for the next call (capacity kept).
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.events.clear();
        self.disconnect = None;
    }
}
