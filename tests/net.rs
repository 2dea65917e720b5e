//! The transport over loopback: accept, connect, echo, partial writes, slow
//! consumers, peer close, refused connects, stale ids, receive-buffer
//! back-pressure and the connection limit. Every wait is a poll with a short
//! timeout under a deadline; nothing busy-spins and no port is fixed.

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use fixrail::net::{CloseReason, ConnId, Net, NetConfig, NetEvent, SendError};

/// How long one poll may wait for readiness in these tests.
const TICK: Duration = Duration::from_millis(10);
/// How long any one condition may take before the test fails.
const PATIENCE: Duration = Duration::from_secs(20);

#[allow(clippy::disallowed_methods)] // tests only: a wall-clock deadline bounds each wait
fn now() -> Instant {
    Instant::now()
}

fn loopback() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn config(connections_max: usize, rx: usize, tx: usize) -> NetConfig {
    NetConfig {
        connections_max,
        listeners_max: 2,
        rx_buffer_bytes: rx,
        tx_buffer_bytes: tx,
    }
}

/// Polls `net` (10 ms at a time) handing events to `on_event` with `state`,
/// until `done` holds; fails naming `what` after [`PATIENCE`].
fn drive<S>(
    net: &mut Net,
    state: &mut S,
    what: &str,
    mut on_event: impl FnMut(&mut Net, &mut S, NetEvent),
    done: impl Fn(&Net, &S) -> bool,
) {
    let deadline = now() + PATIENCE;
    while !done(net, state) {
        assert!(now() < deadline, "timed out waiting for {what}");
        net.poll(Some(TICK), |net, ev| on_event(net, state, ev))
            .expect("poll");
    }
}

/// Polls until `done` holds over the events seen so far (all of them kept).
fn wait_events(
    net: &mut Net,
    log: &mut Vec<NetEvent>,
    what: &str,
    done: impl Fn(&[NetEvent]) -> bool,
) {
    drive(
        net,
        log,
        what,
        |_, log, ev| log.push(ev),
        |_, log| done(log),
    );
}

/// A byte pattern that makes misplaced, lost or duplicated bytes visible.
fn pattern(len: usize, salt: u64) -> Vec<u8> {
    let mut x = salt | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn accepted(log: &[NetEvent]) -> Vec<ConnId> {
    log.iter()
        .filter_map(|e| match e {
            NetEvent::Accepted { conn, .. } => Some(*conn),
            _ => None,
        })
        .collect()
}

/// A blocking loopback client with a read timeout, so a broken test fails
/// instead of hanging.
fn std_client(addr: SocketAddr) -> StdStream {
    let s = StdStream::connect(addr).expect("std connect");
    s.set_read_timeout(Some(PATIENCE)).unwrap();
    s
}

/// Connect, accept and echo within one `Net`: the client's bytes (sent before
/// the connect completed, so queued) reach the server, whose echo comes back
/// byte-exact; both sides know their peers.
#[test]
fn connect_accept_echo() {
    let mut net = Net::new(config(4, 4096, 4096)).unwrap();
    let listener = net.listen(loopback()).unwrap();
    let addr = net.local_addr(listener).unwrap();
    assert_ne!(addr.port(), 0, "port 0 resolves to the chosen port");

    let client = net.connect(addr).unwrap();
    net.send(client, b"hello, ").unwrap(); // before Connected: queued
    net.send(client, b"world").unwrap();

    let mut log = Vec::new();
    wait_events(&mut net, &mut log, "accept and connect", |log| {
        !accepted(log).is_empty() && log.contains(&NetEvent::Connected { conn: client })
    });
    let server = accepted(&log)[0];
    assert!(log
        .iter()
        .any(|e| matches!(e, NetEvent::Accepted { listener: l, .. } if *l == listener)));
    assert_ne!(server.index(), client.index());
    assert_eq!(net.peer_addr(client), Some(addr));
    assert_eq!(
        net.peer_addr(server).map(|a| a.ip()),
        Some(addr.ip()),
        "the server sees the client on loopback"
    );

    // Server echoes whatever arrives; client collects.
    let mut echoed = Vec::new();
    drive(
        &mut net,
        &mut echoed,
        "the echo",
        |net, echoed, ev| match ev {
            NetEvent::Data { conn } if conn == server => {
                let n = net.rx(conn).len();
                let mut copy = [0u8; 64];
                copy[..n].copy_from_slice(net.rx(conn));
                net.send(conn, &copy[..n]).unwrap();
                net.consume(conn, n);
            }
            NetEvent::Data { conn } if conn == client => {
                echoed.extend_from_slice(net.rx(conn));
                let n = net.rx(conn).len();
                net.consume(conn, n);
            }
            other => panic!("unexpected {other:?}"),
        },
        |_, echoed| echoed.len() >= 12,
    );
    assert_eq!(echoed, b"hello, world");
    assert_eq!(net.pending(client), 0);
    assert!(net.is_live(client) && net.is_live(server));
}

/// Eight megabytes to a reader that reads slowly: the socket takes only part
/// of some sends, the rest waits in the transmit buffer and is finished on
/// writable; `close_after_flush` then closes only after the last byte, and the
/// reader receives every byte in order followed by end of stream.
#[test]
fn large_send_to_slow_reader_is_delivered_exactly() {
    const TOTAL: usize = 8 << 20;
    const CHUNK: usize = 64 << 10;
    let payload = pattern(TOTAL, 0xfeed);

    let std_listener = StdListener::bind(loopback()).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let reader = thread::spawn(move || {
        let (mut s, _) = std_listener.accept().unwrap();
        s.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut got = Vec::with_capacity(TOTAL);
        let mut buf = [0u8; 16 << 10];
        loop {
            let n = s.read(&mut buf).expect("reader read");
            if n == 0 {
                return got;
            }
            got.extend_from_slice(&buf[..n]);
            if got.len() % (64 << 10) < n {
                thread::sleep(Duration::from_millis(1)); // the slow part
            }
        }
    });

    let mut net = Net::new(config(2, 4096, 256 << 10)).unwrap();
    let conn = net.connect(addr).unwrap();
    let mut log = Vec::new();
    wait_events(&mut net, &mut log, "connect", |log| {
        log.contains(&NetEvent::Connected { conn })
    });

    let mut sent = 0;
    let mut overflows = 0;
    let mut max_pending = 0;
    let deadline = now() + PATIENCE;
    while sent < TOTAL {
        assert!(
            now() < deadline,
            "timed out sending ({sent} of {TOTAL} bytes)"
        );
        let end = (sent + CHUNK).min(TOTAL);
        match net.send(conn, &payload[sent..end]) {
            Ok(()) => sent = end,
            Err(SendError::WouldOverflow {
                pending,
                len,
                capacity,
            }) => {
                assert!(pending + len > capacity);
                overflows += 1;
                net.poll(Some(TICK), |_, ev| panic!("unexpected {ev:?}"))
                    .unwrap();
            }
            Err(e) => panic!("send failed: {e}"),
        }
        max_pending = max_pending.max(net.pending(conn));
    }
    net.close_after_flush(conn);
    assert_eq!(
        net.send(conn, b"late"),
        Err(SendError::Closed),
        "closing takes no sends"
    );
    wait_events(&mut net, &mut log, "the local close", |log| {
        log.contains(&NetEvent::Closed {
            conn,
            reason: CloseReason::Local,
        })
    });

    let got = reader.join().unwrap();
    assert_eq!(got.len(), TOTAL);
    assert!(got == payload, "bytes arrived out of order or corrupted");
    assert!(
        net.stats().sends_queued > 0,
        "some send was only partly written"
    );
    assert!(
        max_pending > 0 && overflows > 0,
        "the transmit buffer was used"
    );
    assert!(!net.is_live(conn));
}

/// A peer that never reads: once the kernel's buffers and the transmit buffer
/// are full, a send fails with WouldOverflow (nothing of it taken) so the
/// caller can disconnect the slow consumer. A send larger than the whole
/// buffer fails the same way even when nothing is pending.
#[test]
fn slow_consumer_overflows_the_transmit_buffer() {
    const CAP: usize = 128 << 10;
    let std_listener = StdListener::bind(loopback()).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let mut net = Net::new(config(2, 1024, CAP)).unwrap();
    let conn = net.connect(addr).unwrap();
    let (_peer_never_reads, _) = std_listener.accept().unwrap();
    let mut log = Vec::new();
    wait_events(&mut net, &mut log, "connect", |log| {
        log.contains(&NetEvent::Connected { conn })
    });

    let too_big = vec![7u8; CAP + 1];
    assert_eq!(
        net.send(conn, &too_big),
        Err(SendError::WouldOverflow {
            pending: 0,
            len: CAP + 1,
            capacity: CAP
        })
    );
    assert_eq!(net.pending(conn), 0, "nothing of a refused send is taken");

    let chunk = [1u8; 16 << 10];
    let mut accepted_bytes = 0usize;
    let deadline = now() + PATIENCE;
    let err = loop {
        assert!(now() < deadline, "no overflow after {accepted_bytes} bytes");
        match net.send(conn, &chunk) {
            Ok(()) => accepted_bytes += chunk.len(),
            Err(e) => break e,
        }
        // Let the socket drain into the kernel as it would between cycles.
        net.poll(Some(Duration::ZERO), |_, ev| panic!("unexpected {ev:?}"))
            .unwrap();
    };
    let SendError::WouldOverflow {
        pending,
        len,
        capacity,
    } = err
    else {
        panic!("expected WouldOverflow, got {err:?}");
    };
    assert_eq!((len, capacity), (chunk.len(), CAP));
    assert!(pending + len > CAP && pending <= CAP, "pending {pending}");
    assert_eq!(net.pending(conn), pending);
    assert!(
        accepted_bytes > pending,
        "the kernel took some before the buffer filled"
    );

    net.close(conn);
    assert_eq!(net.send(conn, &chunk), Err(SendError::Closed));
}

/// A peer that sends and closes: the bytes arrive as Data before
/// Closed(PeerClosed), and are still readable while Closed is handled; with a
/// receive buffer smaller than what was sent, every byte still arrives, in
/// order, before Closed.
#[test]
fn peer_close_delivers_remaining_data_then_closed() {
    for (rx_bytes, total, consume_per_event) in [(4096, 100, 0), (1024, 5000, 300)] {
        let mut net = Net::new(config(2, rx_bytes, 1024)).unwrap();
        let listener = net.listen(loopback()).unwrap();
        let addr = net.local_addr(listener).unwrap();
        let payload = pattern(total, total as u64);
        let mut client = std_client(addr);
        client.write_all(&payload).unwrap();
        drop(client);

        #[derive(Default)]
        struct Seen {
            got: Vec<u8>,
            order: Vec<&'static str>,
            conn: Option<ConnId>,
            at_close: Option<(CloseReason, usize)>,
        }
        let mut seen = Seen::default();
        drive(
            &mut net,
            &mut seen,
            "data then close",
            |net, seen, ev| match ev {
                NetEvent::Accepted { conn, .. } => {
                    seen.order.push("accepted");
                    seen.conn = Some(conn);
                }
                NetEvent::Data { conn } => {
                    seen.order.push("data");
                    let n = net.rx(conn).len().min(consume_per_event);
                    seen.got.extend_from_slice(&net.rx(conn)[..n]);
                    net.consume(conn, n);
                }
                NetEvent::Closed { conn, reason } => {
                    seen.order.push("closed");
                    seen.at_close = Some((reason, net.rx(conn).len()));
                    seen.got.extend_from_slice(net.rx(conn));
                }
                other => panic!("unexpected {other:?}"),
            },
            |_, seen| seen.at_close.is_some(),
        );
        let (reason, left) = seen.at_close.unwrap();
        assert_eq!(reason, CloseReason::PeerClosed);
        assert_eq!(seen.order.first(), Some(&"accepted"));
        assert_eq!(seen.order.last(), Some(&"closed"));
        assert!(seen.order.contains(&"data"), "Data came before Closed");
        assert!(
            seen.got == payload,
            "rx {rx_bytes}: bytes lost or reordered"
        );
        if consume_per_event == 0 {
            assert_eq!(left, total, "unconsumed bytes readable during Closed");
        }
        let conn = seen.conn.unwrap();
        assert!(
            !net.is_live(conn) && net.rx(conn).is_empty(),
            "the id is stale after Closed"
        );
    }
}

/// A peer that closes with our bytes unread resets the connection: the next
/// poll reports Closed(Reset) once, whether the reset is found by reading or
/// first by a send (which is refused, the close following from the poll).
#[test]
fn peer_reset_is_reported() {
    for send_first in [false, true] {
        let mut net = Net::new(config(2, 1024, 1024)).unwrap();
        let listener = net.listen(loopback()).unwrap();
        let addr = net.local_addr(listener).unwrap();
        let client = std_client(addr);
        let mut log = Vec::new();
        wait_events(&mut net, &mut log, "the accept", |log| {
            accepted(log).len() == 1
        });
        let conn = accepted(&log)[0];
        net.send(conn, b"never read").unwrap();
        assert_eq!(net.pending(conn), 0, "loopback took it all at once");
        drop(client); // unread bytes in its receive queue: the kernel sends RST

        if send_first {
            assert_eq!(net.send(conn, b"x"), Err(SendError::Closed));
            assert!(!net.is_live(conn), "broken, closed by the next poll");
        }
        log.clear();
        wait_events(&mut net, &mut log, "the reset", |log| !log.is_empty());
        for _ in 0..3 {
            net.poll(Some(TICK), |_, ev| log.push(ev)).unwrap();
        }
        let reset = NetEvent::Closed {
            conn,
            reason: CloseReason::Reset,
        };
        assert_eq!(log, [reset], "send_first {send_first}");
        assert_eq!(net.send(conn, b"x"), Err(SendError::Closed));
    }
}

/// Connecting to a port nobody listens on ends in ConnectFailed
/// (ConnectionRefused), after which the id is stale and the slot reusable.
#[test]
fn connect_to_closed_port_fails() {
    let addr = {
        let l = StdListener::bind(loopback()).unwrap();
        l.local_addr().unwrap()
    }; // dropped: nothing listens there now
    let mut net = Net::new(config(1, 1024, 1024)).unwrap();
    let conn = net.connect(addr).unwrap();
    let mut log = Vec::new();
    wait_events(&mut net, &mut log, "the connect to fail", |log| {
        !log.is_empty()
    });
    assert_eq!(
        log,
        [NetEvent::ConnectFailed {
            conn,
            error: ErrorKind::ConnectionRefused
        }]
    );
    assert!(!net.is_live(conn));
    assert_eq!(net.send(conn, b"x"), Err(SendError::Closed));
    // The only slot is free again.
    let again = net.connect(addr).unwrap();
    assert_eq!(again.index(), conn.index());
    assert_ne!(again, conn);
}

/// After close, the old id is rejected everywhere without panicking, even
/// once its slot is reused by a new connection, and it never reaches the new
/// connection's data.
#[test]
fn stale_conn_id_is_rejected() {
    let mut net = Net::new(config(2, 1024, 1024)).unwrap();
    let listener = net.listen(loopback()).unwrap();
    let addr = net.local_addr(listener).unwrap();
    let mut first = std_client(addr);
    let mut log = Vec::new();
    wait_events(&mut net, &mut log, "the first accept", |log| {
        accepted(log).len() == 1
    });
    let old = accepted(&log)[0];

    first.write_all(b"abc").unwrap();
    wait_events(&mut net, &mut log, "data", |log| {
        log.contains(&NetEvent::Data { conn: old })
    });
    net.close(old);

    assert!(net.rx(old).is_empty());
    assert_eq!(net.send(old, b"x"), Err(SendError::Closed));
    assert_eq!(net.pending(old), 0);
    assert_eq!(net.peer_addr(old), None);
    assert!(!net.is_live(old));
    net.consume(old, 3); // stale: ignored, even with a count it never had
    net.close(old);
    net.close_after_flush(old);
    let mut buf = [0u8; 8];
    assert_eq!(first.read(&mut buf).unwrap(), 0, "the peer sees the close");

    // The slot is reused by the next connection; the old id stays stale.
    let mut second = std_client(addr);
    second.write_all(b"new").unwrap();
    log.clear();
    wait_events(&mut net, &mut log, "the second accept and data", |log| {
        log.iter().any(|e| matches!(e, NetEvent::Data { .. }))
    });
    let new = accepted(&log)[0];
    assert_eq!(new.index(), old.index(), "the freed slot is reused");
    assert_ne!(new, old);
    assert_eq!(net.rx(new), b"new");
    assert!(net.rx(old).is_empty());
    assert_eq!(net.send(old, b"x"), Err(SendError::Closed));
    net.close(old);
    assert!(
        net.is_live(new),
        "closing the stale id left the new one alone"
    );
    net.send(new, b"ok").unwrap();
    let mut buf = [0u8; 2];
    second.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"ok");
}

/// A full receive buffer stops reading; nothing more is delivered until the
/// caller consumes, and then the very next poll reads on without any new
/// readiness (the peer sends nothing more), until every byte has arrived.
#[test]
fn rx_full_pauses_and_resumes_after_consume() {
    const RX: usize = 1024;
    const TOTAL: usize = 10_000;
    let mut net = Net::new(config(2, RX, 1024)).unwrap();
    let listener = net.listen(loopback()).unwrap();
    let addr = net.local_addr(listener).unwrap();
    let payload = pattern(TOTAL, 42);
    let mut client = std_client(addr);
    client.write_all(&payload).unwrap(); // and then stays silent, open

    let mut log = Vec::new();
    wait_events(&mut net, &mut log, "a full receive buffer", |log| {
        log.iter().any(|e| matches!(e, NetEvent::Data { .. }))
    });
    let conn = accepted(&log)[0];
    drive(
        &mut net,
        &mut (),
        "the buffer to fill",
        |_, _, _| {},
        |net, _| net.rx(conn).len() == RX,
    );
    assert_eq!(net.rx_capacity(), RX);

    // Full and not consumed: polls deliver nothing and read nothing.
    for _ in 0..3 {
        let n = net
            .poll(Some(TICK), |_, ev| panic!("unexpected {ev:?}"))
            .unwrap();
        assert_eq!(n, 0);
    }
    assert!(net.stats().rx_full > 0);
    let mut got = net.rx(conn).to_vec();

    while got.len() < TOTAL {
        let n = net.rx(conn).len();
        net.consume(conn, n);
        // One poll, with a long timeout: it must not wait for readiness that
        // will never come, but read the bytes already in the kernel.
        let mut data = 0;
        net.poll(Some(Duration::from_secs(5)), |_, ev| {
            assert_eq!(ev, NetEvent::Data { conn });
            data += 1;
        })
        .unwrap();
        assert_eq!(data, 1, "consume made room: the next poll reads on");
        got.extend_from_slice(net.rx(conn));
    }
    assert!(got == payload, "bytes lost or reordered across pauses");
    assert!(net.is_live(conn));
    drop(client);
}

/// Up to connections_max connections are accepted and served; the next one
/// is accepted and closed at once (refused, counted), the others are
/// untouched, and closing one frees a slot for a newcomer.
#[test]
fn connections_max_refuses_the_next_accept() {
    const MAX: usize = 8;
    let mut net = Net::new(config(MAX, 1024, 1024)).unwrap();
    let listener = net.listen(loopback()).unwrap();
    let addr = net.local_addr(listener).unwrap();
    let mut clients: Vec<StdStream> = (0..=MAX).map(|_| std_client(addr)).collect();

    let mut log = Vec::new();
    drive(
        &mut net,
        &mut log,
        "eight accepts and one refusal",
        |_, log, ev| log.push(ev),
        |net, log| accepted(log).len() == MAX && net.stats().accepts_refused == 1,
    );
    let conns = accepted(&log);
    let mut slots: Vec<usize> = conns.iter().map(|c| c.index()).collect();
    slots.sort_unstable();
    assert_eq!(slots, (0..MAX).collect::<Vec<_>>());
    assert_eq!(
        net.connect(addr).unwrap_err().to_string(),
        "all 8 connection slots are in use (connections_max)"
    );

    // Every client says one byte; every accepted connection echoes it.
    for (i, c) in clients.iter_mut().enumerate() {
        let _ = c.write_all(&[i as u8]); // the refused one may see a reset
    }
    let mut echoed: HashMap<ConnId, u8> = HashMap::new();
    drive(
        &mut net,
        &mut echoed,
        "eight echoes",
        |net, echoed, ev| {
            if let NetEvent::Data { conn } = ev {
                let b = net.rx(conn)[0];
                net.send(conn, &[b]).unwrap();
                net.consume(conn, 1);
                echoed.insert(conn, b);
            }
        },
        |_, echoed| echoed.len() == MAX,
    );
    let (mut served, mut refused) = (0, 0);
    for (i, c) in clients.iter_mut().enumerate() {
        let mut b = [0u8; 1];
        match c.read(&mut b) {
            Ok(1) => {
                assert_eq!(b[0], i as u8);
                served += 1;
            }
            Ok(0) => refused += 1,
            Err(e) if e.kind() == ErrorKind::ConnectionReset => refused += 1,
            other => panic!("client {i}: {other:?}"),
        }
    }
    assert_eq!((served, refused), (MAX, 1));

    // Free one slot; a newcomer gets it.
    net.close(conns[3]);
    let _newcomer = std_client(addr);
    log.clear();
    wait_events(&mut net, &mut log, "the newcomer", |log| {
        accepted(log).len() == 1
    });
    assert_eq!(accepted(&log)[0].index(), conns[3].index());
    assert_eq!(net.stats().accepts_refused, 1);
}

/// Bad sizes are refused at construction with the key named.
#[test]
fn config_errors_name_the_key() {
    let err = Net::new(config(0, 1024, 1024)).unwrap_err().to_string();
    assert!(err.contains("connections_max"), "{err}");
    let err = Net::new(config(1, 0, 1024)).unwrap_err().to_string();
    assert!(err.contains("rx_buffer_bytes"), "{err}");
    let mut net = Net::new(NetConfig {
        listeners_max: 0,
        ..config(1, 8, 8)
    })
    .unwrap();
    let err = net.listen(loopback()).unwrap_err().to_string();
    assert!(err.contains("listeners_max"), "{err}");
}

/// Architecture invariant: only `src/net` imports mio.
#[test]
fn only_src_net_imports_mio() {
    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("net") {
                    walk(&path, found);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                if text.contains("mio::") || text.contains("use mio") {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    walk(&src, &mut found);
    assert!(found.is_empty(), "mio used outside src/net: {found:?}");
}
