//! Connection and listener slots, and the socket I/O behind `Net::poll`.
//!
//! [`Net`](super::Net) is the public face; this is its bookkeeping. Here:
//! - Tokens: a connection's token is its slot index; a listener's is
//!   [`LISTENER_TOKEN_BASE`] plus its slot index. A socket is deregistered
//!   before its slot is freed, and slots are freed only between waits (by
//!   `Net::close` or after a terminal event is delivered), never while a
//!   batch of readiness events is being handled, so a token in a batch always
//!   names the socket it was registered for.
//! - The *dirty* list holds slots that need I/O without a readiness event: a
//!   paused reader given room by `consume`, a socket a send found broken, a
//!   `close_after_flush` with nothing left to send. Each slot is in it at most
//!   once (`in_dirty`), so it never outgrows `connections_max`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};

use mio::net::{TcpListener, TcpStream};
use mio::{Interest, Registry, Token};

use super::buffer::ByteBuf;
use super::{CloseReason, ConnId, ListenerId, NetConfig, NetEvent, NetStats};

/// Tokens at or above this are listeners; below are connection slots
/// (`connections_max` is at most [`NetConfig::CONNECTIONS_LIMIT`], far below).
pub(super) const LISTENER_TOKEN_BASE: usize = 1 << 30;

/// Extra accepts one listener may make per duty cycle beyond
/// `connections_max`, so a flood of refused connections cannot hold the
/// engine thread; the rest wait for the next cycle.
const ACCEPTS_EXTRA_PER_POLL: usize = 16;

/// Where a connection slot is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
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
pub(super) struct Conn {
    pub(super) generation: u32,
    pub(super) state: State,
    pub(super) stream: Option<TcpStream>,
    pub(super) peer: Option<SocketAddr>,
    pub(super) rx: ByteBuf,
    pub(super) tx: ByteBuf,
    /// The receive buffer filled before the socket would block: unread bytes
    /// may be waiting, and no readiness event will say so again.
    pub(super) read_paused: bool,
    /// A `Data` event for this slot is queued in this duty cycle.
    pub(super) data_queued: bool,
    /// The slot is on the dirty list.
    pub(super) in_dirty: bool,
    /// `close_after_flush` was called: send nothing more, close when drained.
    pub(super) close_when_flushed: bool,
    /// A send outside `poll` found the socket broken; closed at the next poll.
    pub(super) broken: Option<CloseReason>,
}

impl Conn {
    pub(super) fn new(rx_bytes: usize, tx_bytes: usize) -> Conn {
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
pub(super) struct Listener {
    pub(super) generation: u32,
    pub(super) socket: Option<TcpListener>,
    pub(super) local: Option<SocketAddr>,
    /// The accept budget ran out before the socket would block.
    pub(super) accept_pending: bool,
}

/// What one readiness event says, copied out of mio's event.
#[derive(Debug, Clone, Copy)]
pub(super) struct Ready {
    pub(super) readable: bool,
    pub(super) writable: bool,
    pub(super) error: bool,
    pub(super) write_closed: bool,
}

/// Everything but the poller, so readiness events can be walked (borrowing
/// `events`) while connections change (borrowing `core`).
#[derive(Debug)]
pub(super) struct Core {
    pub(super) cfg: NetConfig,
    pub(super) conns: Vec<Conn>,
    /// Free connection slots; popped from the end (lowest index first).
    pub(super) free: Vec<u32>,
    pub(super) listeners: Vec<Listener>,
    pub(super) free_listeners: Vec<u32>,
    /// Listeners whose accept budget ran out.
    pub(super) listeners_pending: usize,
    /// This duty cycle's events, delivered after the I/O.
    pub(super) queue: Vec<NetEvent>,
    pub(super) dirty: Vec<u32>,
    /// True while events are being delivered (guards against re-entry).
    pub(super) delivering: bool,
    pub(super) stats: NetStats,
}

impl Core {
    /// The slot `c` names, if `c` is not stale.
    pub(super) fn conn(&self, c: ConnId) -> Option<&Conn> {
        let s = self.conns.get(c.index as usize)?;
        (s.generation == c.generation && s.state != State::Free).then_some(s)
    }

    pub(super) fn conn_mut(&mut self, c: ConnId) -> Option<&mut Conn> {
        let s = self.conns.get_mut(c.index as usize)?;
        (s.generation == c.generation && s.state != State::Free).then_some(s)
    }

    pub(super) fn listener(&self, l: ListenerId) -> Option<&Listener> {
        let s = self.listeners.get(l.index as usize)?;
        (s.generation == l.generation && s.socket.is_some()).then_some(s)
    }

    fn id(&self, index: u32) -> ConnId {
        ConnId {
            index,
            generation: self.conns[index as usize].generation,
        }
    }

    pub(super) fn has_known_work(&self) -> bool {
        !self.dirty.is_empty() || self.listeners_pending > 0
    }

    /// Puts a registered socket into the free slot `index`.
    pub(super) fn occupy(
        &mut self,
        index: u32,
        stream: TcpStream,
        peer: SocketAddr,
        state: State,
    ) -> ConnId {
        let conn = &mut self.conns[index as usize];
        debug_assert_eq!(conn.state, State::Free);
        conn.state = state;
        conn.stream = Some(stream);
        conn.peer = Some(peer);
        self.id(index)
    }

    /// Frees slot `index` (its socket already dropped or deregistered);
    /// every id for it goes stale.
    pub(super) fn release(&mut self, index: u32) {
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

    pub(super) fn mark_dirty(&mut self, index: u32) {
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
    pub(super) fn service_dirty(&mut self, registry: &Registry) {
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

    pub(super) fn service_pending_listeners(&mut self, registry: &Registry) {
        if self.listeners_pending == 0 {
            return;
        }
        for index in 0..self.listeners.len() {
            if self.listeners[index].accept_pending {
                self.accept(registry, index);
            }
        }
    }

    pub(super) fn handle_ready(&mut self, registry: &Registry, token: Token, ready: Ready) {
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
