//! The test client's side of one TCP connection to the acceptor: sending
//! bytes, reading exactly one message the way the conformance README says
//! (through `<SOH>9=`, the BodyLength digits, exactly BodyLength bytes, then
//! through the next SOH), checking its BodyLength and CheckSum, and waiting
//! for the acceptor to close. Owns the socket and its receive buffer; knows
//! nothing of scripts or comparison.

use fixrail::codec::checksum;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// The monotonic clock of the harness: socket deadlines and run timing are
/// real time, not protocol time (protocol time, `<TIME>`, comes from
/// `fixrail::clock::SystemClock`).
#[allow(clippy::disallowed_methods)] // test harness: real deadlines for real sockets
pub fn monotonic() -> Instant {
    Instant::now()
}

/// `bytes` with `|` for SOH, for messages in reports.
pub fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\u{1}', "|")
}

/// How a connection ended when the acceptor closed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// An orderly close: read returned end of file.
    Eof,
    /// The acceptor reset the connection (it closed with our bytes unread).
    Reset,
}

/// One client connection and the bytes received on it but not yet consumed.
pub struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    /// Connects to `addr` within `timeout`.
    pub fn open(addr: SocketAddr, timeout: Duration) -> Result<Connection, String> {
        let stream = TcpStream::connect_timeout(&addr, timeout)
            .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("TCP_NODELAY: {e}"))?;
        Ok(Connection {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends `bytes` whole.
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.stream
            .write_all(bytes)
            .map_err(|e| format!("send failed: {e}"))
    }

    /// Reads more bytes into the buffer, waiting until `deadline` at most.
    /// `Ok(0)` is end of file; a timeout is `ErrorKind::TimedOut`.
    fn fill(&mut self, deadline: Instant) -> std::io::Result<usize> {
        let left = deadline.saturating_duration_since(monotonic());
        if left.is_zero() {
            return Err(ErrorKind::TimedOut.into());
        }
        self.stream.set_read_timeout(Some(left))?;
        let mut chunk = [0u8; 4096];
        loop {
            match self.stream.read(&mut chunk) {
                Ok(n) => {
                    self.buf.extend_from_slice(&chunk[..n]);
                    return Ok(n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // A read timeout shows as WouldBlock on Unix.
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    return Err(ErrorKind::TimedOut.into())
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads exactly one message within `timeout` and checks that its
    /// BodyLength and CheckSum are right. Bytes after it stay buffered for
    /// the next read.
    pub fn read_message(&mut self, timeout: Duration) -> Result<Vec<u8>, String> {
        let deadline = monotonic() + timeout;
        loop {
            if let Some(end) = message_end(&self.buf)? {
                let message: Vec<u8> = self.buf.drain(..end).collect();
                check_length_and_checksum(&message)?;
                return Ok(message);
            }
            match self.fill(deadline) {
                Ok(0) => {
                    return Err(match self.buf.is_empty() {
                        true => "the acceptor closed the connection (EOF) instead".into(),
                        false => format!(
                            "EOF in the middle of a message; received {}",
                            show(&self.buf)
                        ),
                    })
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::TimedOut => {
                    return Err(format!(
                        "no message within {} s{}",
                        timeout.as_secs(),
                        partial(&self.buf)
                    ))
                }
                Err(e) => return Err(format!("read failed: {e}{}", partial(&self.buf))),
            }
        }
    }

    /// Waits up to `timeout` for the acceptor to close the connection, with
    /// no data before the close (bytes already buffered count as data).
    pub fn expect_close(&mut self, timeout: Duration) -> Result<Closed, String> {
        let deadline = monotonic() + timeout;
        loop {
            if !self.buf.is_empty() {
                // Give a message in flight a moment to arrive whole, so the
                // report shows it all.
                let shown = match self.read_message(Duration::from_millis(200)) {
                    Ok(message) => show(&message),
                    Err(_) => show(&self.buf),
                };
                return Err(format!("expected a disconnect, received data: {shown}"));
            }
            match self.fill(deadline) {
                Ok(0) => return Ok(Closed::Eof),
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(Closed::Reset),
                Err(e) if e.kind() == ErrorKind::TimedOut => {
                    return Err(format!(
                        "the acceptor did not disconnect within {} s",
                        timeout.as_secs()
                    ))
                }
                Err(e) => return Err(format!("read failed: {e}")),
            }
        }
    }

    /// Half-closes the connection (the acceptor reads end of file).
    pub fn shutdown_write(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Write);
    }

    /// Closes the connection and waits up to `timeout` for the acceptor to
    /// close its side too, so the next script starts only once the acceptor
    /// has noticed. Data still arriving is discarded. Returns whether the
    /// acceptor closed in time.
    pub fn close(mut self, timeout: Duration) -> bool {
        self.shutdown_write();
        self.buf.clear();
        let deadline = monotonic() + timeout;
        loop {
            match self.fill(deadline) {
                Ok(0) => return true,
                Ok(_) => self.buf.clear(),
                Err(e) if e.kind() == ErrorKind::TimedOut => return false,
                // Reset, or anything else: the connection is gone.
                Err(_) => return true,
            }
        }
    }
}

/// "; received so far: ..." when `buf` holds anything.
fn partial(buf: &[u8]) -> String {
    match buf.is_empty() {
        true => String::new(),
        false => format!("; received so far: {}", show(buf)),
    }
}

/// Where the first message in `buf` ends (exclusive), by the README's
/// reading rule; `None` when more bytes are needed.
pub fn message_end(buf: &[u8]) -> Result<Option<usize>, String> {
    let Some(tag) = find(buf, b"\x019=") else {
        return Ok(None);
    };
    let digits_start = tag + 3;
    let Some(digits_len) = buf[digits_start..].iter().position(|&b| b == 0x01) else {
        return Ok(None);
    };
    let digits = &buf[digits_start..digits_start + digits_len];
    let body_length: usize = std::str::from_utf8(digits)
        .ok()
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| format!("BodyLength is not a number: received {}", show(buf)))?;
    let body_end = digits_start + digits_len + 1 + body_length;
    if buf.len() <= body_end {
        return Ok(None);
    }
    Ok(buf[body_end..]
        .iter()
        .position(|&b| b == 0x01)
        .map(|i| body_end + i + 1))
}

/// Checks a message read by `message_end`: BodyLength counts exactly the
/// bytes from after its own field to the SOH before `10=`, and CheckSum is
/// three digits equal to the byte sum mod 256 of everything before it.
pub fn check_length_and_checksum(message: &[u8]) -> Result<(), String> {
    let tag = find(message, b"\x019=").expect("message_end found 9=");
    let digits_start = tag + 3;
    let digits_len = message[digits_start..]
        .iter()
        .position(|&b| b == 0x01)
        .expect("message_end found the SOH after 9=");
    let digits = std::str::from_utf8(&message[digits_start..digits_start + digits_len]).unwrap();
    let body_end = digits_start + digits_len + 1 + digits.parse::<usize>().unwrap();
    let trailer = &message[body_end..];
    let well_placed = message[body_end - 1] == 0x01 && trailer.starts_with(b"10=");
    if !well_placed {
        return Err(format!(
            "BodyLength {digits} is wrong: no 10= field {digits} bytes after it in {}",
            show(message)
        ));
    }
    let value = &trailer[3..trailer.len() - 1];
    let sum = checksum(&message[..body_end]);
    let right = value.len() == 3 && value == format!("{sum:03}").as_bytes();
    if !right {
        return Err(format!(
            "CheckSum {} is wrong: the bytes before it sum to {sum:03} (mod 256) in {}",
            show(value),
            show(message)
        ));
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
