//! Runs parsed scripts against an acceptor over TCP, one after the other,
//! the way QuickFIX's own runner does: each line acts when it is reached
//! (`<TIME>` is the time of that step), a failure stops that script (its
//! connections are closed) and the run continues with the next one. Owns
//! the per-script connections and the outcome table; the script format,
//! substitutions and comparison are `script.rs`'s, the socket reading
//! `wire.rs`'s.

use super::script::{compare, substitute, FieldFormats, Script, Step};
use super::wire::{monotonic, show, Closed, Connection};
use fixrail::clock::{Clock, SystemClock};
use std::net::SocketAddr;
use std::time::Duration;

/// How long an `E` line waits for its message.
pub const EXPECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long an `eDISCONNECT` line waits for the acceptor to close.
pub const DISCONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an `iCONNECT` line waits for the connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long closing a connection waits for the acceptor to close its side.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a script failed: the line and what happened there.
#[derive(Debug)]
pub struct Failure {
    /// 1-based line number in the `.def` file.
    pub line: usize,
    pub message: String,
}

/// The result of one script.
#[derive(Debug)]
pub struct Outcome {
    /// `fix44/10_MsgSeqNumEqual` and the like.
    pub name: String,
    pub result: Result<(), Failure>,
    pub elapsed: Duration,
    /// Things worth knowing that are not failures (a reset instead of a
    /// clean close, a connection the acceptor did not close after ours).
    pub notes: Vec<String>,
}

/// Runs `scripts` in order against `addr`, each starting only once the
/// previous one's connections are closed on both sides.
pub fn run_all(
    scripts: &[(&str, &Script)],
    addr: SocketAddr,
    formats: &FieldFormats,
) -> Vec<Outcome> {
    scripts
        .iter()
        .map(|(folder, script)| {
            let started = monotonic();
            let mut run = Run {
                addr,
                formats,
                connections: Default::default(),
                notes: Vec::new(),
            };
            let result = run.script(script);
            run.close_all();
            let outcome = Outcome {
                name: format!("{folder}/{}", script.name),
                result,
                elapsed: monotonic().duration_since(started),
                notes: run.notes,
            };
            let verdict = if outcome.result.is_ok() {
                "PASS"
            } else {
                "FAIL"
            };
            eprintln!(
                "{verdict} {} ({:.1} s)",
                outcome.name,
                outcome.elapsed.as_secs_f64()
            );
            outcome
        })
        .collect()
}

/// One script's state: its open connections, by number (0..=9).
struct Run<'a> {
    addr: SocketAddr,
    formats: &'a FieldFormats,
    connections: [Option<Connection>; 10],
    notes: Vec<String>,
}

impl Run<'_> {
    fn script(&mut self, script: &Script) -> Result<(), Failure> {
        for (line, step) in &script.steps {
            self.step(step).map_err(|message| Failure {
                line: *line,
                message,
            })?;
        }
        Ok(())
    }

    fn step(&mut self, step: &Step) -> Result<(), String> {
        match step {
            Step::Connect(c) => {
                if let Some(old) = self.connections[usize::from(*c)].take() {
                    old.close(CLOSE_TIMEOUT);
                }
                self.connections[usize::from(*c)] =
                    Some(Connection::open(self.addr, CONNECT_TIMEOUT)?);
                Ok(())
            }
            Step::Disconnect(c) => {
                let connection = self.take(*c)?;
                if !connection.close(CLOSE_TIMEOUT) {
                    self.notes.push(format!(
                        "connection {c}: the acceptor did not close its side within {} s of ours",
                        CLOSE_TIMEOUT.as_secs()
                    ));
                }
                Ok(())
            }
            Step::Send(c, template) => {
                let message = substitute(template, SystemClock.now());
                self.connection(*c)?.send(&message)
            }
            Step::Expect(c, template) => {
                // Substituted before reading: `<TIME>` in an E line is the
                // time the line is reached.
                let expected = substitute(template, SystemClock.now());
                let received = self
                    .connection(*c)?
                    .read_message(EXPECT_TIMEOUT)
                    .map_err(|e| format!("{e}\n  expected {}", show(&expected)))?;
                compare(&expected, &received, self.formats).map_err(|e| {
                    if e.contains("\n  expected ") {
                        e
                    } else {
                        format!(
                            "{e}\n  expected {}\n  received {}",
                            show(&expected),
                            show(&received)
                        )
                    }
                })
            }
            Step::ExpectDisconnect(c) => {
                let closed = self.connection(*c)?.expect_close(DISCONNECT_TIMEOUT)?;
                if closed == Closed::Reset {
                    self.notes.push(format!(
                        "connection {c}: reset by the acceptor (not a clean close)"
                    ));
                }
                // Both sides are closed now.
                self.connections[usize::from(*c)] = None;
                Ok(())
            }
        }
    }

    fn connection(&mut self, c: u8) -> Result<&mut Connection, String> {
        self.connections[usize::from(c)]
            .as_mut()
            .ok_or_else(|| format!("connection {c} is not open"))
    }

    fn take(&mut self, c: u8) -> Result<Connection, String> {
        self.connections[usize::from(c)]
            .take()
            .ok_or_else(|| format!("connection {c} is not open"))
    }

    /// Closes what the script left open (after a failure) and waits, polled,
    /// for the acceptor to close each one too: the acceptor has noticed
    /// before the next script logs on to the same session.
    fn close_all(&mut self) {
        for (c, slot) in self.connections.iter_mut().enumerate() {
            if let Some(connection) = slot.take() {
                if !connection.close(CLOSE_TIMEOUT) {
                    self.notes.push(format!(
                        "connection {c}: the acceptor did not close its side within {} s of ours",
                        CLOSE_TIMEOUT.as_secs()
                    ));
                }
            }
        }
    }
}

/// The table `PASS/FAIL script (seconds)`, then each failure in full, then
/// the counts and the slowest scripts.
pub fn report(outcomes: &[Outcome], total: Duration) -> String {
    let mut text = String::new();
    for o in outcomes {
        let verdict = if o.result.is_ok() { "PASS" } else { "FAIL" };
        text.push_str(&format!(
            "{verdict} {:<50} {:>6.1} s\n",
            o.name,
            o.elapsed.as_secs_f64()
        ));
        for note in &o.notes {
            text.push_str(&format!("     note: {note}\n"));
        }
    }
    for o in outcomes {
        if let Err(f) = &o.result {
            text.push_str(&format!("\n{} line {}: {}\n", o.name, f.line, f.message));
        }
    }
    let passed = outcomes.iter().filter(|o| o.result.is_ok()).count();
    text.push_str(&format!(
        "\n{passed} passed, {} failed, of {} scripts in {:.1} s\n",
        outcomes.len() - passed,
        outcomes.len(),
        total.as_secs_f64()
    ));
    let mut slowest: Vec<&Outcome> = outcomes.iter().collect();
    slowest.sort_by_key(|o| std::cmp::Reverse(o.elapsed));
    let top: Vec<String> = slowest
        .iter()
        .take(5)
        .map(|o| format!("{} {:.1} s", o.name, o.elapsed.as_secs_f64()))
        .collect();
    text.push_str(&format!("slowest: {}\n", top.join(", ")));
    text
}
