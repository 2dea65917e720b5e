//! [`Net`]: the poller, the connection slots and the listener slots.
//!
//! The driving contract is in the module doc of [`crate::net`]. Here:
//! - Tokens: a connection's token is its slot index; a listener's is
//!   [`LISTENER_TOKEN_BASE`] plus its slot index. A socket is deregistered
//!   before its slot is freed, and slots are freed only between waits (by
//!   [`Net::close`] or after a terminal event is delivered), never while a
//!   batch of readiness events is being handled, so a token in a batch always
//!   names the socket it was registered for.
//! - The *dirty* list holds slots that need I/O without a readiness event: a
//!   paused reader given room by `consume`, a socket a send found broken, a
//!   `close_after_flush` with nothing left to send. Each slot is in it at most
//!   once (`in_dirty`), so it never outgrows `connections_max`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};

use super::buffer::ByteBuf;
use super::{CloseReason, ConnId, ListenerId, NetConfig, NetError, NetEvent, NetStats, SendError};

/// Tokens at or above this are listeners; below are connection slots
/// (`connections_max` is at most [`NetConfig::CONNECTIONS_LIMIT`], far below).
const LISTENER_TOKEN_BASE: usize = 1 << 30;

/// Extra accepts one listener may make per duty cycle beyond
/// `connections_max`, so a flood of refused connections cannot hold the
/// engine thread; the rest wait for the next cycle.
const ACCEPTS_EXTRA_PER_POLL: usize = 16;

/// Where a connection slot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Unused; on the free list.
    Free,
    /// `connect` started; waiting for the socket to say how it went.
    Connecting,
    /// Established.
    Open,
    /// The socket is gone and the terminal event is queued; the slot is freed
    /// once that event has been delivered.
    Ended,
}

#[derive(Debug)]
struct Conn {
    generation: u32,
    state: State,
    stream: Option<TcpStream>,
    peer: Option<SocketAddr>,
    rx: ByteBuf,
    tx: ByteBuf,
    /// The receive buffer filled before the socket would block: unread bytes
    /// may be waiting, and no readiness event will say so again.
    read_paused: bool,
    /// A `Data` event for this slot is queued in this duty cycle.
    data_queued: bool,
    /// The slot is on the dirty list.
    in_dirty: bool,
    /// `close_after_flush` was called: send nothing more, close when drained.
    close_when_flushed: bool,
    /// A send outside `poll` found the socket broken; closed at the next poll.
    broken: Option<CloseReason>,
}

impl Conn {
    fn new(rx_bytes: usize, tx_bytes: usize) -> Conn {
        Conn {
            generation: 0,
            state: State::Free,
            stream: None,
            peer: None,
            rx: ByteBuf::new(rx_bytes),
            tx: ByteBuf::new(tx_bytes),
            read_paused: false,
            data_queued: false,
            in_dirty: false,
            close_when_flushed: false,
            broken: None,
        }
    }
}

#[derive(Debug)]
struct Listener {
    generation: u32,
    socket: Option<TcpListener>,
    local: Option<SocketAddr>,
    /// The accept budget ran out before the socket would block.
    accept_pending: bool,
}

/// What one readiness event says, copied out of mio's event.
#[derive(Debug, Clone, Copy)]
struct Ready {
    readable: bool,
    writable: bool,
    error: bool,
    write_closed: bool,
}

/// The transport: owns the mio `Poll`, its event storage, the connection
/// slots (each with its receive and transmit buffers) and the listener slots.
/// See the module doc of [`crate::net`] for how to drive it.
#[derive(Debug)]
pub struct Net {
    poll: Poll,
    events: Events,
    core: Core,
}

/// Everything but the poller, so readiness events can be walked (borrowing
/// `events`) while connections change (borrowing `core`).
#[derive(Debug)]
struct Core {
    cfg: NetConfig,
    conns: Vec<Conn>,
    /// Free connection slots; popped from the end (lowest index first).
    free: Vec<u32>,
    listeners: Vec<Listener>,
    free_listeners: Vec<u32>,
    /// Listeners whose accept budget ran out.
    listeners_pending: usize,
    /// This duty cycle's events, delivered after the I/O.
    queue: Vec<NetEvent>,
    dirty: Vec<u32>,
    /// True while events are being delivered (guards against re-entry).
    delivering: bool,
    stats: NetStats,
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
    /// [`NetEvent::ConnectFailed`]; bytes sent before then are queued. The
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

impl Core {
    /// The slot `c` names, if `c` is not stale.
    fn conn(&self, c: ConnId) -> Option<&Conn> {
        let s = self.conns.get(c.index as usize)?;
        (s.generation == c.generation && s.state != State::Free).then_some(s)
    }

    fn conn_mut(&mut self, c: ConnId) -> Option<&mut Conn> {
        let s = self.conns.get_mut(c.index as usize)?;
        (s.generation == c.generation && s.state != State::Free).then_some(s)
    }

    fn listener(&self, l: ListenerId) -> Option<&Listener> {
        let s = self.listeners.get(l.index as usize)?;
        (s.generation == l.generation && s.socket.is_some()).then_some(s)
    }

    fn id(&self, index: u32) -> ConnId {
        ConnId {
            index,
            generation: self.conns[index as usize].generation,
        }
    }

    fn has_known_work(&self) -> bool {
        !self.dirty.is_empty() || self.listeners_pending > 0
    }

    /// Puts a registered socket into the free slot `index`.
    fn occupy(&mut self, index: u32, stream: TcpStream, peer: SocketAddr, state: State) -> ConnId {
        let conn = &mut self.conns[index as usize];
        debug_assert_eq!(conn.state, State::Free);
        conn.state = state;
        conn.stream = Some(stream);
        conn.peer = Some(peer);
        self.id(index)
    }

    /// Frees slot `index` (its socket already dropped or deregistered);
    /// every id for it goes stale.
    fn release(&mut self, index: u32) {
        let conn = &mut self.conns[index as usize];
        conn.stream = None;
        conn.peer = None;
        conn.state = State::Free;
        conn.generation = conn.generation.wrapping_add(1);
        conn.rx.clear();
        conn.tx.clear();
        conn.read_paused = false;
        conn.data_queued = false;
        conn.close_when_flushed = false;
        conn.broken = None;
        // `in_dirty` stays: the slot stays on the dirty list until the next
        // poll walks it, which keeps each slot on the list at most once.
        self.free.push(index);
    }

    fn mark_dirty(&mut self, index: u32) {
        let conn = &mut self.conns[index as usize];
        if !conn.in_dirty {
            conn.in_dirty = true;
            self.dirty.push(index);
        }
    }

    fn push_event(&mut self, event: NetEvent) {
        assert!(
            self.queue.len() < self.queue.capacity(),
            "net event queue over its bound of 3 per connection"
        );
        self.queue.push(event);
    }

    /// Does the I/O that slots on the dirty list are waiting for.
    fn service_dirty(&mut self, registry: &Registry) {
        let mut k = 0;
        while k < self.dirty.len() {
            let index = self.dirty[k];
            k += 1;
            let conn = &mut self.conns[index as usize];
            conn.in_dirty = false;
            if conn.state != State::Open {
                continue;
            }
            if let Some(reason) = conn.broken.take() {
                let id = self.id(index);
                self.end(registry, index, NetEvent::Closed { conn: id, reason });
                continue;
            }
            if conn.read_paused && conn.rx.free() > 0 {
                self.read(registry, index);
            }
            let conn = &self.conns[index as usize];
            if conn.state == State::Open && conn.close_when_flushed && conn.tx.is_empty() {
                self.finish_local_close(registry, index);
            }
        }
        self.dirty.clear();
    }

    fn service_pending_listeners(&mut self, registry: &Registry) {
        if self.listeners_pending == 0 {
            return;
        }
        for index in 0..self.listeners.len() {
            if self.listeners[index].accept_pending {
                self.accept(registry, index);
            }
        }
    }

    fn handle_ready(&mut self, registry: &Registry, token: Token, ready: Ready) {
        if token.0 >= LISTENER_TOKEN_BASE {
            let index = token.0 - LISTENER_TOKEN_BASE;
            if self
                .listeners
                .get(index)
                .is_some_and(|l| l.socket.is_some())
            {
                self.accept(registry, index);
            }
            return;
        }
        let index = token.0 as u32;
        match self.conns.get(token.0).map(|c| c.state) {
            Some(State::Connecting) => self.finish_connect(registry, index, ready),
            Some(State::Open) => {
                if ready.readable || ready.error {
                    self.read(registry, index);
                }
                let open = self.conns[token.0].state == State::Open;
                if open && (ready.writable || ready.error) {
                    self.flush(registry, index);
                }
            }
            // A slot freed or ended since the wait began: nothing to do.
            Some(State::Free | State::Ended) | None => {}
        }
    }

    /// Accepts on listener `index` until it would block, the slots run out
    /// (then refuses: accepts and closes) or the per-cycle budget is spent.
    fn accept(&mut self, registry: &Registry, index: usize) {
        let budget = self.cfg.connections_max + ACCEPTS_EXTRA_PER_POLL;
        let listener_id = ListenerId {
            index: index as u32,
            generation: self.listeners[index].generation,
        };
        let mut drained = false;
        for _ in 0..budget {
            let Some(socket) = self.listeners[index].socket.as_ref() else {
                return;
            };
            match socket.accept() {
                Ok((stream, peer)) => self.adopt(registry, listener_id, stream, peer),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    drained = true;
                    break;
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(_) => {
                    // Out of descriptors or memory: counted; the next
                    // connection to arrive makes the listener ready again.
                    self.stats.accept_errors += 1;
                    drained = true;
                    break;
                }
            }
        }
        let l = &mut self.listeners[index];
        if l.accept_pending == drained {
            l.accept_pending = !drained;
            if drained {
                self.listeners_pending -= 1;
            } else {
                self.listeners_pending += 1;
            }
        }
    }

    /// Gives an accepted socket a slot, or refuses it (closes it) when none is
    /// free or it cannot be set up.
    fn adopt(
        &mut self,
        registry: &Registry,
        listener: ListenerId,
        mut stream: TcpStream,
        peer: SocketAddr,
    ) {
        let Some(index) = self.free.pop() else {
            self.stats.accepts_refused += 1;
            return; // dropping `stream` closes it
        };
        let setup = stream.set_nodelay(true).and_then(|()| {
            registry.register(
                &mut stream,
                Token(index as usize),
                Interest::READABLE | Interest::WRITABLE,
            )
        });
        if setup.is_err() {
            self.free.push(index);
            self.stats.accept_errors += 1;
            return;
        }
        let conn = self.occupy(index, stream, peer, State::Open);
        self.push_event(NetEvent::Accepted {
            listener,
            conn,
            peer,
        });
        // Bytes may have arrived before the socket was registered.
        self.read(registry, index);
    }

    /// A connecting socket became ready: it is connected, it failed, or (a
    /// spurious wake) it is still connecting.
    fn finish_connect(&mut self, registry: &Registry, index: u32, ready: Ready) {
        let id = self.id(index);
        let conn = &mut self.conns[index as usize];
        let stream = conn
            .stream
            .as_ref()
            .expect("a connecting slot has a socket");
        let outcome = match stream.take_error() {
            Ok(Some(e)) | Err(e) => Err(e.kind()),
            Ok(None) => match stream.peer_addr() {
                Ok(_) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                    if !(ready.error || ready.write_closed) {
                        return; // not yet
                    }
                    Err(io::ErrorKind::NotConnected)
                }
                Err(e) => Err(e.kind()),
            },
        };
        match outcome {
            Ok(()) => {
                conn.state = State::Open;
                self.push_event(NetEvent::Connected { conn: id });
                self.flush(registry, index);
                if self.conns[index as usize].state == State::Open {
                    self.read(registry, index);
                }
            }
            Err(error) => self.end(registry, index, NetEvent::ConnectFailed { conn: id, error }),
        }
    }

    /// Reads until the socket would block or the receive buffer is full;
    /// queues `Data` for new bytes, then `Closed` at end of stream or error.
    fn read(&mut self, registry: &Registry, index: u32) {
        let conn = &mut self.conns[index as usize];
        let stream = conn
            .stream
            .as_mut()
            .expect("an open connection has a socket");
        let mut received = 0;
        let mut end = None;
        loop {
            let spare = conn.rx.spare_mut();
            if spare.is_empty() {
                conn.read_paused = true;
                self.stats.rx_full += 1;
                break;
            }
            match stream.read(spare) {
                Ok(0) => {
                    end = Some(CloseReason::PeerClosed);
                    break;
                }
                Ok(n) => {
                    conn.rx.commit(n);
                    received += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    conn.read_paused = false;
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    end = Some(CloseReason::from_error(e.kind()));
                    break;
                }
            }
        }
        let id = self.id(index);
        let conn = &mut self.conns[index as usize];
        if received > 0 && !conn.data_queued {
            conn.data_queued = true;
            self.push_event(NetEvent::Data { conn: id });
        }
        if let Some(reason) = end {
            self.end(registry, index, NetEvent::Closed { conn: id, reason });
        }
    }

    /// Writes pending bytes until done or the socket would block; closes on
    /// error, and finishes a `close_after_flush` once drained.
    fn flush(&mut self, registry: &Registry, index: u32) {
        let conn = &mut self.conns[index as usize];
        let stream = conn
            .stream
            .as_mut()
            .expect("an open connection has a socket");
        while !conn.tx.is_empty() {
            match stream.write(conn.tx.data()) {
                Ok(0) => {
                    let id = self.id(index);
                    let reason = CloseReason::Io(io::ErrorKind::WriteZero);
                    self.end(registry, index, NetEvent::Closed { conn: id, reason });
                    return;
                }
                Ok(n) => conn.tx.consume(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let id = self.id(index);
                    let reason = CloseReason::from_error(e.kind());
                    self.end(registry, index, NetEvent::Closed { conn: id, reason });
                    return;
                }
            }
        }
        if conn.close_when_flushed {
            self.finish_local_close(registry, index);
        }
    }

    /// Everything is sent after `close_after_flush`: shut the write side
    /// (orderly end of stream for the peer) and close.
    fn finish_local_close(&mut self, registry: &Registry, index: u32) {
        if let Some(stream) = self.conns[index as usize].stream.as_ref() {
            let _ = stream.shutdown(Shutdown::Write);
        }
        let id = self.id(index);
        let reason = CloseReason::Local;
        self.end(registry, index, NetEvent::Closed { conn: id, reason });
    }

    /// Drops the socket and queues the terminal `event`; the slot (and its
    /// unconsumed received bytes) lives until the event is delivered.
    fn end(&mut self, registry: &Registry, index: u32, event: NetEvent) {
        let conn = &mut self.conns[index as usize];
        if let Some(mut stream) = conn.stream.take() {
            let _ = registry.deregister(&mut stream);
        }
        conn.state = State::Ended;
        conn.tx.clear();
        conn.read_paused = false;
        conn.broken = None;
        self.push_event(event);
    }
}
