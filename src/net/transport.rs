//! [`Net`]: set-up, the duty cycle ([`Net::poll`]) and the calls a caller
//! makes per connection. The driving contract is in the module doc of
//! [`crate::net`]; the slot bookkeeping and socket I/O are in `slots.rs`.

use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::slots::{Conn, Core, Listener, Ready, State, LISTENER_TOKEN_BASE};
use super::{CloseReason, ConnId, ListenerId, NetConfig, NetError, NetEvent, NetStats, SendError};

/// The transport: owns the mio `Poll`, its event storage, the connection
/// slots (each with its receive and transmit buffers) and the listener slots.
/// See the module doc of [`crate::net`] for how to drive it.
#[derive(Debug)]
pub struct Net {
    poll: Poll,
    events: Events,
    core: Core,
}

impl Net {
    /// Allocates every slot and buffer `cfg` asks for and creates the poller.
    pub fn new(cfg: NetConfig) -> Result<Net, NetError> {
        cfg.validate()?;
        let poll = Poll::new().map_err(|source| NetError::Poll {
            op: "create the readiness poller",
            source,
        })?;
        let conns = (0..cfg.connections_max)
            .map(|_| Conn::new(cfg.rx_buffer_bytes, cfg.tx_buffer_bytes))
            .collect();
        let listeners = (0..cfg.listeners_max)
            .map(|_| Listener {
                generation: 0,
                socket: None,
                local: None,
                accept_pending: false,
            })
            .collect();
        Ok(Net {
            poll,
            events: Events::with_capacity(cfg.connections_max + cfg.listeners_max),
            core: Core {
                cfg,
                conns,
                free: (0..cfg.connections_max as u32).rev().collect(),
                listeners,
                free_listeners: (0..cfg.listeners_max as u32).rev().collect(),
                listeners_pending: 0,
                queue: Vec::with_capacity(3 * cfg.connections_max),
                dirty: Vec::with_capacity(cfg.connections_max),
                delivering: false,
                stats: NetStats::default(),
            },
        })
    }

    /// The configuration this transport was sized from.
    pub fn config(&self) -> &NetConfig {
        &self.core.cfg
    }

    /// Counters of refused accepts, queued sends and the like.
    pub fn stats(&self) -> NetStats {
        self.core.stats
    }

    /// Listens on `addr` (SO_REUSEADDR; port 0 picks a free port, see
    /// [`Net::local_addr`]). Accepted connections arrive as
    /// [`NetEvent::Accepted`].
    pub fn listen(&mut self, addr: SocketAddr) -> Result<ListenerId, NetError> {
        let core = &mut self.core;
        let index = core.free_listeners.pop().ok_or(NetError::ListenersFull {
            max: core.cfg.listeners_max,
        })?;
        let setup = |op: &'static str| move |source| NetError::Socket { op, addr, source };
        let opened = TcpListener::bind(addr)
            .map_err(setup("listen on"))
            .and_then(|mut socket| {
                let local = socket.local_addr().map_err(setup("read the address of"))?;
                self.poll
                    .registry()
                    .register(
                        &mut socket,
                        Token(LISTENER_TOKEN_BASE + index as usize),
                        Interest::READABLE,
                    )
                    .map_err(setup("register listener"))?;
                Ok((socket, local))
            });
        match opened {
            Ok((socket, local)) => {
                let l = &mut core.listeners[index as usize];
                l.socket = Some(socket);
                l.local = Some(local);
                l.accept_pending = false;
                Ok(ListenerId {
                    index,
                    generation: l.generation,
                })
            }
            Err(e) => {
                core.free_listeners.push(index);
                Err(e)
            }
        }
    }

    /// The address a live listener is bound to (with the port chosen when
    /// listening on port 0); `None` for a stale id.
    pub fn local_addr(&self, l: ListenerId) -> Option<SocketAddr> {
        self.core.listener(l).and_then(|s| s.local)
    }

    /// Stops listening; connections already accepted stay open. A stale id
    /// does nothing.
    pub fn close_listener(&mut self, l: ListenerId) {
        let core = &mut self.core;
        if core.listener(l).is_none() {
            return;
        }
        let slot = &mut core.listeners[l.index as usize];
        if let Some(mut socket) = slot.socket.take() {
            let _ = self.poll.registry().deregister(&mut socket);
        }
        slot.local = None;
        if slot.accept_pending {
            slot.accept_pending = false;
            core.listeners_pending -= 1;
        }
        slot.generation = slot.generation.wrapping_add(1);
        core.free_listeners.push(l.index);
    }

    /// Starts a non-blocking connect to `addr` (TCP_NODELAY). The outcome is
    /// reported by [`Net::poll`] as [`NetEvent::Connected`] or
    /// [`NetEvent::ConnectFailed`]; bytes sent before then are queued. A
    /// connect that cannot start at all (no free slot, an error from the
    /// `connect` call itself) fails here instead, taking no slot. The
    /// kernel's own connect timeout is long: a caller that wants a shorter one
    /// runs its own timer and calls [`Net::close`].
    pub fn connect(&mut self, addr: SocketAddr) -> Result<ConnId, NetError> {
        let core = &mut self.core;
        let index = core.free.pop().ok_or(NetError::ConnectionsFull {
            max: core.cfg.connections_max,
        })?;
        let setup = |op: &'static str| move |source| NetError::Socket { op, addr, source };
        let started = TcpStream::connect(addr)
            .map_err(setup("connect to"))
            .and_then(|mut stream| {
                stream
                    .set_nodelay(true)
                    .map_err(setup("set TCP_NODELAY connecting to"))?;
                self.poll
                    .registry()
                    .register(
                        &mut stream,
                        Token(index as usize),
                        Interest::READABLE | Interest::WRITABLE,
                    )
                    .map_err(setup("register connection to"))?;
                Ok(stream)
            });
        match started {
            Ok(stream) => Ok(core.occupy(index, stream, addr, State::Connecting)),
            Err(e) => {
                core.free.push(index);
                Err(e)
            }
        }
    }

    /// Waits up to `timeout` for readiness (`Some(Duration::ZERO)`: do not
    /// wait, the busy-poll mode; `None`: wait until something happens), does
    /// the I/O, then hands each event to `on_event` with `&mut Net` so it can
    /// read, consume, send, connect and close in place. Returns the number of
    /// events delivered. Waits not at all when work is already known (a paused
    /// reader given room, a pending close).
    ///
    /// # Panics
    /// If called from inside its own `on_event` (a bug).
    pub fn poll<F>(&mut self, timeout: Option<Duration>, mut on_event: F) -> Result<usize, NetError>
    where
        F: FnMut(&mut Net, NetEvent),
    {
        assert!(
            !self.core.delivering,
            "Net::poll called from inside its own event callback"
        );
        let timeout = if self.core.has_known_work() {
            Some(Duration::ZERO)
        } else {
            timeout
        };
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => self.events.clear(),
            Err(source) => {
                return Err(NetError::Poll {
                    op: "wait for socket readiness",
                    source,
                })
            }
        }
        let registry = self.poll.registry();
        self.core.service_dirty(registry);
        self.core.service_pending_listeners(registry);
        for event in self.events.iter() {
            let ready = Ready {
                readable: event.is_readable() || event.is_read_closed(),
                writable: event.is_writable(),
                error: event.is_error(),
                write_closed: event.is_write_closed(),
            };
            self.core.handle_ready(registry, event.token(), ready);
        }
        Ok(self.deliver(&mut on_event))
    }

    /// Hands the queued events to `on_event`, skipping those whose connection
    /// the callback has meanwhile closed, and frees each slot after its
    /// terminal event.
    fn deliver<F>(&mut self, on_event: &mut F) -> usize
    where
        F: FnMut(&mut Net, NetEvent),
    {
        self.core.delivering = true;
        let mut delivered = 0;
        let mut k = 0;
        while k < self.core.queue.len() {
            let event = self.core.queue[k];
            k += 1;
            let c = event.conn();
            let Some(conn) = self.core.conn_mut(c) else {
                continue; // closed by the callback since it was queued
            };
            match event {
                NetEvent::Data { .. } => {
                    conn.data_queued = false;
                    if conn.rx.is_empty() {
                        continue; // consumed already, in an earlier callback
                    }
                    on_event(self, event);
                }
                NetEvent::Closed { .. } | NetEvent::ConnectFailed { .. } => {
                    on_event(self, event);
                    if self.core.conn(c).is_some_and(|s| s.state == State::Ended) {
                        self.core.release(c.index);
                    }
                }
                NetEvent::Accepted { .. } | NetEvent::Connected { .. } => on_event(self, event),
            }
            delivered += 1;
        }
        self.core.queue.clear();
        self.core.delivering = false;
        delivered
    }

    /// The bytes received on `c` and not yet consumed; empty for a stale id.
    pub fn rx(&self, c: ConnId) -> &[u8] {
        self.core.conn(c).map_or(&[], |s| s.rx.data())
    }

    /// The receive buffer's size (`rx_buffer_bytes`): when [`Net::rx`] is this
    /// long, nothing more is read until the caller consumes.
    pub fn rx_capacity(&self) -> usize {
        self.core.cfg.rx_buffer_bytes
    }

    /// Drops the first `n` bytes of [`Net::rx`]. If reading was paused by a
    /// full buffer, the next [`Net::poll`] reads on. A stale id does nothing.
    ///
    /// # Panics
    /// If `n` is more than `rx(c).len()` (a bug: bytes never received).
    pub fn consume(&mut self, c: ConnId, n: usize) {
        let core = &mut self.core;
        let Some(conn) = core.conn_mut(c) else {
            return;
        };
        conn.rx.consume(n);
        if n > 0 && conn.read_paused && conn.state == State::Open {
            core.mark_dirty(c.index);
        }
    }

    /// Sends `bytes` on `c`, whole or not at all: written at once when nothing
    /// is queued, the rest (or all of it, while connecting or while older
    /// bytes wait) copied to the transmit buffer and written when the socket
    /// can take it. Never blocks.
    pub fn send(&mut self, c: ConnId, bytes: &[u8]) -> Result<(), SendError> {
        let core = &mut self.core;
        let Some(conn) = core.conn_mut(c) else {
            return Err(SendError::Closed);
        };
        let accepting = matches!(conn.state, State::Open | State::Connecting)
            && !conn.close_when_flushed
            && conn.broken.is_none();
        if !accepting {
            return Err(SendError::Closed);
        }
        if bytes.len() > conn.tx.free() {
            return Err(SendError::WouldOverflow {
                pending: conn.tx.len(),
                len: bytes.len(),
                capacity: conn.tx.capacity(),
            });
        }
        if conn.state == State::Connecting || !conn.tx.is_empty() {
            conn.tx.extend(bytes);
            core.stats.sends_queued += 1;
            return Ok(());
        }
        let stream = conn
            .stream
            .as_mut()
            .expect("an open connection has a socket");
        let mut sent = 0;
        while sent < bytes.len() {
            match stream.write(&bytes[sent..]) {
                Ok(0) => {
                    conn.broken = Some(CloseReason::Io(io::ErrorKind::WriteZero));
                    break;
                }
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    conn.broken = Some(CloseReason::from_error(e.kind()));
                    break;
                }
            }
        }
        if conn.broken.is_some() {
            core.mark_dirty(c.index);
            return Err(SendError::Closed);
        }
        if sent < bytes.len() {
            conn.tx.extend(&bytes[sent..]);
            core.stats.sends_queued += 1;
        }
        Ok(())
    }

    /// Bytes of `c` waiting in the transmit buffer; 0 for a stale id.
    pub fn pending(&self, c: ConnId) -> usize {
        self.core.conn(c).map_or(0, |s| s.tx.len())
    }

    /// The transmit buffer's size (`tx_buffer_bytes`).
    pub fn tx_capacity(&self) -> usize {
        self.core.cfg.tx_buffer_bytes
    }

    /// Closes `c` now, dropping unsent bytes; no event for `c` follows and
    /// the id is stale from here on. A stale id does nothing.
    pub fn close(&mut self, c: ConnId) {
        let core = &mut self.core;
        let Some(conn) = core.conn_mut(c) else {
            return;
        };
        if let Some(mut stream) = conn.stream.take() {
            let _ = self.poll.registry().deregister(&mut stream);
        }
        core.release(c.index);
    }

    /// Stops accepting sends on `c` and closes it once every pending byte is
    /// written (shutting down the write side first, so the peer reads an
    /// orderly end of stream). Reported as `Closed { reason: Local }`, or
    /// with the error if one comes first. A stale or already closing id does
    /// nothing.
    pub fn close_after_flush(&mut self, c: ConnId) {
        let core = &mut self.core;
        let Some(conn) = core.conn_mut(c) else {
            return;
        };
        if !matches!(conn.state, State::Open | State::Connecting) || conn.close_when_flushed {
            return;
        }
        conn.close_when_flushed = true;
        if conn.state == State::Open && conn.tx.is_empty() {
            core.mark_dirty(c.index);
        }
    }

    /// The remote address of a live connection; `None` for a stale id.
    pub fn peer_addr(&self, c: ConnId) -> Option<SocketAddr> {
        self.core.conn(c).and_then(|s| s.peer)
    }

    /// True while `c` names a connection that is connecting or open (not
    /// closing, not stale).
    pub fn is_live(&self, c: ConnId) -> bool {
        self.core.conn(c).is_some_and(|s| {
            matches!(s.state, State::Open | State::Connecting)
                && !s.close_when_flushed
                && s.broken.is_none()
        })
    }
}
