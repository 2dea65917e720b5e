//! The physical floor: a raw, busy-polled TCP ping-pong over loopback.
//!
//! Two threads and nothing else: a server thread that echoes every message
//! back, and the calling thread as the client, which stamps each round trip
//! with the [`MonotonicClock`]. Both sockets are non-blocking with
//! `TCP_NODELAY`, and both sides busy-poll `read` (no epoll, no sleeping),
//! so the figure is what two spinning threads pay for one loopback round
//! trip through the kernel's TCP stack: the lowest order-to-ack latency any
//! engine could reach on this machine with the same message size. No FIX, no
//! framing beyond "exactly `msg_size` bytes each way".
//!
//! Owns its listener, its two sockets and the server thread for the length
//! of one call; never touches the engine's transport (`src/net`). Buffers,
//! the histogram and the thread are set up before the measured loop; the
//! loop makes only `read`/`write` system calls and clock reads, and records
//! into a histogram that never resizes.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::clock::{MonoTime, MonotonicClock};

/// How long the client waits for one round trip before it gives up with
/// [`io::ErrorKind::TimedOut`] (the server thread is stuck or starved).
pub const ROUND_TRIP_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest message the floor sends each way (bytes).
pub const MSG_SIZE_MAX: usize = 1 << 20;

/// Measures the loopback TCP floor of this machine: `warmup` unrecorded round
/// trips, then `round_trips` recorded ones, of `msg_size` bytes each way.
///
/// Returns the round-trip times in nanoseconds in a histogram with the
/// harness's bounds (1 ns ..= 10 s, 3 significant digits; see
/// [`super::new_histogram`]), holding exactly `round_trips` values.
///
/// Two threads spin for the whole call (the caller and one server thread):
/// on a 2-core machine that is every core. Errors: `msg_size` of 0 or above
/// [`MSG_SIZE_MAX`] is `InvalidInput`; a socket failure on either side is
/// returned as is (the server's error wins if it failed first); the peer
/// closing mid-message is `UnexpectedEof`; a round trip longer than
/// [`ROUND_TRIP_TIMEOUT`] is `TimedOut`.
pub fn tcp_floor(msg_size: usize, round_trips: usize, warmup: usize) -> io::Result<Histogram<u64>> {
    if msg_size == 0 || msg_size > MSG_SIZE_MAX {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("tcp_floor: msg_size {msg_size} is outside 1..={MSG_SIZE_MAX} bytes"),
        ));
    }
    // Calibrates the TSC on the first call in a process: before any timing.
    let clock = MonotonicClock::new();
    let mut histogram = super::new_histogram();

    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    let server = std::thread::Builder::new()
        .name("fixrail-floor-echo".into())
        .spawn(move || echo_server(listener, msg_size))?;

    let client = run_client(&clock, addr, msg_size, round_trips, warmup, &mut histogram);
    if client.is_err() {
        // The client may have failed before connecting: a throwaway
        // connection releases a server still blocked in accept (it then reads
        // end-of-stream and returns). Refused if it already accepted: fine.
        let _ = TcpStream::connect(addr);
    }
    // The client's socket is closed by now (dropped in run_client), so the
    // server sees end-of-stream and returns.
    let served = server.join().unwrap_or_else(|_| {
        Err(io::Error::other(
            "tcp_floor: the echo server thread panicked",
        ))
    });
    // A server failure explains a client failure (reset, EOF): report it first.
    served?;
    client?;
    Ok(histogram)
}

/// The client: connects, then `warmup + round_trips` timed ping-pongs.
fn run_client(
    clock: &MonotonicClock,
    addr: std::net::SocketAddr,
    msg_size: usize,
    round_trips: usize,
    warmup: usize,
    histogram: &mut Histogram<u64>,
) -> io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_nonblocking(true)?;
    let ping: Vec<u8> = (0..msg_size).map(|i| b'A' + (i % 26) as u8).collect();
    let mut pong = vec![0u8; msg_size];

    // The measured loop: no allocation, no clock but the TSC.
    for i in 0..warmup.saturating_add(round_trips) {
        let start = clock.now();
        let deadline = start.after(ROUND_TRIP_TIMEOUT);
        write_all_spin(&mut stream, &ping, clock, deadline)?;
        read_exact_spin(&mut stream, &mut pong, clock, deadline)?;
        let end = clock.now();
        if i >= warmup {
            histogram.saturating_record(end.nanos_since(start));
        }
    }
    if pong != ping {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "tcp_floor: the echo differs from the message sent",
        ));
    }
    Ok(())
}

/// The server: accepts one connection and echoes `msg_size`-byte messages
/// until the client closes it.
fn echo_server(listener: TcpListener, msg_size: usize) -> io::Result<()> {
    let (mut stream, _) = listener.accept()?;
    drop(listener);
    stream.set_nodelay(true)?;
    stream.set_nonblocking(true)?;
    let mut buf = vec![0u8; msg_size];
    loop {
        // A clean close between messages ends the run; mid-message is an error.
        let mut filled = 0;
        while filled < msg_size {
            match stream.read(&mut buf[filled..]) {
                Ok(0) if filled == 0 => return Ok(()),
                Ok(0) => return Err(eof("echo server", filled, msg_size)),
                Ok(n) => filled += n,
                Err(e) if retry(&e) => {}
                Err(e) => return Err(e),
            }
        }
        let mut sent = 0;
        while sent < msg_size {
            match stream.write(&buf[sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => sent += n,
                Err(e) if retry(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Writes all of `buf`, busy-polling on `WouldBlock`.
fn write_all_spin(
    stream: &mut TcpStream,
    buf: &[u8],
    clock: &MonotonicClock,
    deadline: MonoTime,
) -> io::Result<()> {
    let mut sent = 0;
    while sent < buf.len() {
        match stream.write(&buf[sent..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => sent += n,
            Err(e) if retry(&e) => check_deadline(clock, deadline)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Fills `buf`, busy-polling `read` on `WouldBlock`.
fn read_exact_spin(
    stream: &mut TcpStream,
    buf: &mut [u8],
    clock: &MonotonicClock,
    deadline: MonoTime,
) -> io::Result<()> {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]) {
            Ok(0) => return Err(eof("client", filled, buf.len())),
            Ok(n) => filled += n,
            Err(e) if retry(&e) => check_deadline(clock, deadline)?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

fn check_deadline(clock: &MonotonicClock, deadline: MonoTime) -> io::Result<()> {
    if clock.now() > deadline {
        // Cold path: the run is over, allocating the message is fine.
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "tcp_floor: no echo within {} s",
                ROUND_TRIP_TIMEOUT.as_secs()
            ),
        ));
    }
    Ok(())
}

fn eof(side: &str, filled: usize, size: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("tcp_floor: {side}: connection closed after {filled} of {size} bytes"),
    )
}
