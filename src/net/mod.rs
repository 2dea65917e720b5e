//! The transport: non-blocking TCP over mio. It moves bytes and nothing else.
//!
//! Owns every socket the engine has (listeners and connections), the one
//! `mio::Poll`, and each connection's receive and transmit buffers. It is the
//! only module that imports `mio`. It knows nothing of FIX: framing, sessions
//! and timers belong to its callers. It reads no clock: a connect that never
//! completes or a peer that never drains is the caller's timer to run out,
//! after which it calls [`Net::close`].
//!
//! Besides [`Net`], this module owns two small policies an initiator needs
//! around it: [`Backoff`] (reconnect delays) and [`HostList`] (fail over
//! between a primary and its backups).
//!
//! # Driving contract
//!
//! [`Net`] is used by one thread (the engine's), takes no lock and allocates
//! only in [`Net::new`]: every connection slot, its receive buffer
//! (`rx_buffer_bytes`) and transmit buffer (`tx_buffer_bytes`), the event queue
//! and the readiness list are sized there from [`NetConfig`]. A limit reached
//! is an outcome, never growth: a full slot table refuses an accept (counted in
//! [`NetStats::accepts_refused`]) or fails a connect
//! ([`NetError::ConnectionsFull`]); a full transmit buffer fails a send
//! ([`SendError::WouldOverflow`]: a slow consumer, which the caller
//! disconnects); a full receive buffer stops reading that socket until the
//! caller consumes.
//!
//! One duty cycle is one call to [`Net::poll`]:
//!
//! 1. I/O. Wait for readiness (up to the timeout; not at all if work is
//!    already known, such as a connection whose reading was paused by a full
//!    receive buffer and has since been given room), then accept, complete
//!    connects, read each readable socket until it would block (or its
//!    receive buffer is full) and flush each writable one. The outcomes go to
//!    a pre-allocated event queue.
//! 2. Delivery. Each queued [`NetEvent`] is handed to the caller's callback
//!    together with `&mut Net`, so the callback reads ([`Net::rx`]), consumes
//!    ([`Net::consume`]), sends ([`Net::send`]), connects and closes in place,
//!    with no borrow held by the iteration and no event copied into a
//!    growable buffer. Calling [`Net::poll`] from inside the callback is a bug
//!    and panics.
//!
//! Per connection and duty cycle the queue holds at most one opening event
//! ([`NetEvent::Accepted`] or [`NetEvent::Connected`]), one
//! [`NetEvent::Data`] and one terminal event ([`NetEvent::Closed`], or
//! [`NetEvent::ConnectFailed`] for a connect that never opened), in that
//! order, so `3 * connections_max` entries always suffice.
//!
//! Lifetime of a [`ConnId`]:
//! - A terminal event is the last event for its connection. While the
//!   callback handles it, [`Net::rx`] still shows the bytes received and not
//!   consumed (data that arrived just before the peer closed is never lost);
//!   when the callback returns the slot is freed and the id goes stale.
//! - [`Net::close`] frees the slot at once and no event for that id follows.
//!   [`Net::close_after_flush`] instead finishes with `Closed { reason: Local }`
//!   (or another reason if the flush fails).
//! - A stale id (its connection closed, the slot perhaps reused) is detected
//!   by its generation: [`Net::rx`] gives an empty slice, [`Net::send`] gives
//!   [`SendError::Closed`], the rest do nothing. Nothing panics.
//!
//! Sending: [`Net::send`] writes at once when nothing is queued; what the
//! socket does not take is copied to the transmit buffer and finished when
//! the socket is writable again (from [`Net::poll`]). A send is accepted whole
//! or not at all: it fails with [`SendError::WouldOverflow`] before writing
//! anything if `pending + len` would exceed the transmit buffer. Nothing here
//! blocks.
//!
//! Receiving: mio is edge-triggered, so a readable socket is read until it
//! would block. When the receive buffer fills first, the connection is marked
//! as having unread data; once [`Net::consume`] makes room, the next
//! [`Net::poll`] reads it without waiting for a new readiness event. The
//! buffer is compacted (the unconsumed tail moved to the front) only when its
//! end is reached and there is consumed space before the tail; consuming
//! everything resets it for free.

#![forbid(unsafe_code)]

mod backoff;
mod buffer;
mod hosts;
mod slots;
mod transport;

pub use backoff::{Backoff, BackoffConfig};
pub use hosts::HostList;
pub use transport::Net;

use std::io;
use std::net::SocketAddr;

/// Sizes of everything [`Net`] allocates, fixed at [`Net::new`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NetConfig {
    /// Connection slots, accepted and initiated together (at least 1).
    pub connections_max: usize,
    /// Listener slots (0 for an initiator that never listens).
    pub listeners_max: usize,
    /// Each connection's receive buffer: received bytes not yet consumed. At
    /// least the largest message the caller accepts, or a message that size
    /// can never be completed (at least 1).
    pub rx_buffer_bytes: usize,
    /// Each connection's transmit buffer: bytes the socket has not taken yet.
    /// Reaching it is a slow consumer (at least 1).
    pub tx_buffer_bytes: usize,
}

impl NetConfig {
    /// The most connection slots one [`Net`] may have.
    pub const CONNECTIONS_LIMIT: usize = 1 << 20;
    /// The most listener slots one [`Net`] may have.
    pub const LISTENERS_LIMIT: usize = 1 << 10;

    /// Checks every limit; the error names the key.
    pub fn validate(&self) -> Result<(), NetError> {
        let bad = |key: &'static str, value: usize, problem: &'static str| {
            Err(NetError::Config {
                key,
                value: value.to_string(),
                problem,
            })
        };
        if self.connections_max == 0 {
            return bad("connections_max", 0, "must be at least 1");
        }
        if self.connections_max > Self::CONNECTIONS_LIMIT {
            return bad(
                "connections_max",
                self.connections_max,
                "must be at most 1048576",
            );
        }
        if self.listeners_max > Self::LISTENERS_LIMIT {
            return bad("listeners_max", self.listeners_max, "must be at most 1024");
        }
        if self.rx_buffer_bytes == 0 {
            return bad("rx_buffer_bytes", 0, "must be at least 1");
        }
        if self.tx_buffer_bytes == 0 {
            return bad("tx_buffer_bytes", 0, "must be at least 1");
        }
        Ok(())
    }
}

/// A connection: its slot and the slot's generation, so an id kept after its
/// connection closed is recognised as stale even when the slot is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnId {
    index: u32,
    generation: u32,
}

impl ConnId {
    /// The slot, in `0..connections_max`: unique among live connections, so
    /// callers can index their own per-connection tables with it.
    pub fn index(self) -> usize {
        self.index as usize
    }
}

/// A listening socket, generation-checked like [`ConnId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListenerId {
    index: u32,
    generation: u32,
}

impl ListenerId {
    /// The slot, in `0..listeners_max`.
    pub fn index(self) -> usize {
        self.index as usize
    }
}

/// What [`Net::poll`] reports. `Copy`, small, and queued without allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetEvent {
    /// A listener accepted a connection; it is open (non-blocking,
    /// TCP_NODELAY) and may already have [`NetEvent::Data`] behind this.
    Accepted {
        /// The listener that accepted it.
        listener: ListenerId,
        /// The new connection.
        conn: ConnId,
        /// The remote end.
        peer: SocketAddr,
    },
    /// A connection from [`Net::connect`] is established. Bytes sent before
    /// this have been passed to the socket (or are pending).
    Connected {
        /// The connection.
        conn: ConnId,
    },
    /// A connection from [`Net::connect`] could not be established (refused,
    /// unreachable, ...). Terminal: no `Closed` follows, the id is stale after
    /// the callback returns.
    ConnectFailed {
        /// The connection.
        conn: ConnId,
        /// Why, as the operating system said it.
        error: io::ErrorKind,
    },
    /// New bytes were received: [`Net::rx`] shows them after any not yet
    /// consumed.
    Data {
        /// The connection.
        conn: ConnId,
    },
    /// The connection is gone. Terminal: the id is stale after the callback
    /// returns; during it, [`Net::rx`] still shows unconsumed bytes.
    Closed {
        /// The connection.
        conn: ConnId,
        /// Who or what closed it.
        reason: CloseReason,
    },
}

impl NetEvent {
    /// The connection the event is about.
    pub fn conn(&self) -> ConnId {
        match *self {
            NetEvent::Accepted { conn, .. }
            | NetEvent::Connected { conn }
            | NetEvent::ConnectFailed { conn, .. }
            | NetEvent::Data { conn }
            | NetEvent::Closed { conn, .. } => conn,
        }
    }
}

/// Why a connection closed.
///
/// A full receive buffer is not a reason: the transport only stops reading;
/// whether a message too large for it is an error is the caller's decision
/// (it sees `rx(conn).len()` equal to the buffer size and calls
/// [`Net::close`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed its end in order (end of stream).
    PeerClosed,
    /// The peer reset the connection (or it was aborted, or a write found it
    /// broken).
    Reset,
    /// Another socket error.
    Io(io::ErrorKind),
    /// [`Net::close_after_flush`] finished: everything was sent, then the
    /// connection was shut down.
    Local,
}

impl CloseReason {
    /// The reason a socket error means.
    pub(crate) fn from_error(kind: io::ErrorKind) -> CloseReason {
        match kind {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => CloseReason::Reset,
            kind => CloseReason::Io(kind),
        }
    }
}

/// Why [`Net::send`] took nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The transmit buffer cannot take the bytes: the peer reads too slowly
    /// (or `len` is larger than the whole buffer). Nothing was sent.
    #[error("transmit buffer cannot take {len} more bytes: {pending} of {capacity} pending (slow consumer)")]
    WouldOverflow {
        /// Bytes still waiting for the socket.
        pending: usize,
        /// Bytes the send asked for.
        len: usize,
        /// The transmit buffer's size (`tx_buffer_bytes`).
        capacity: usize,
    },
    /// The connection is closed, closing (after [`Net::close_after_flush`]),
    /// or the id is stale. If this send found the socket broken, a
    /// [`NetEvent::Closed`] follows from the next [`Net::poll`].
    #[error("connection is closed or closing")]
    Closed,
}

/// Errors from setting up the transport, listening, connecting and polling.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A configuration value is out of range.
    #[error("net config: {key} = {value} {problem}")]
    Config {
        /// The key.
        key: &'static str,
        /// The value given.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// Every connection slot is in use.
    #[error("all {max} connection slots are in use (connections_max)")]
    ConnectionsFull {
        /// `connections_max`.
        max: usize,
    },
    /// Every listener slot is in use.
    #[error("all {max} listener slots are in use (listeners_max)")]
    ListenersFull {
        /// `listeners_max`.
        max: usize,
    },
    /// A socket operation on an address failed.
    #[error("{op} {addr}: {source}")]
    Socket {
        /// What was being done ("listen on", "connect to").
        op: &'static str,
        /// The address.
        addr: SocketAddr,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Creating or waiting on the readiness poller failed.
    #[error("{op}: {source}")]
    Poll {
        /// What was being done.
        op: &'static str,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// Counters of outcomes the events do not show; read by the control plane.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Accepted connections closed at once because every slot was in use.
    pub accepts_refused: u64,
    /// `accept` calls that failed (for example out of file descriptors).
    pub accept_errors: u64,
    /// Sends that left bytes in the transmit buffer (the socket took only
    /// part, or bytes were already waiting).
    pub sends_queued: u64,
    /// Times reading a socket stopped because its receive buffer was full.
    pub rx_full: u64,
}
