//! Inbound throughput of one session: how many messages per second the
//! engine frames, parses, validates, sequences and journals.
//!
//! A client thread logs on to an acceptor session of an engine running on
//! the calling thread, then writes `messages` pre-encoded Heartbeats (with
//! consecutive MsgSeqNums) either one `write()` per message or coalesced
//! into large writes. The clock runs from the first byte written to the
//! moment the session has processed the last message.

use crate::clock::{MonotonicClock, SystemClock};
use crate::codec::testing::fix;
use crate::engine::{engine_spec, Engine};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

/// What a throughput run measured.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    /// Messages processed.
    pub messages: u64,
    /// Seconds from the first byte to the last message processed.
    pub seconds: f64,
    /// Messages per second.
    pub per_second: f64,
    /// Bytes written per `write()` call (average).
    pub bytes_per_write: f64,
}

const CONFIG: &str = r#"
[engine]
journal_dir = "journal"
idle = "busy-spin"
log_level = "warn"

[[session]]
name = "TP"
role = "acceptor"
sender_comp_id = "ENGINE"
target_comp_id = "BLASTER"
listen = "127.0.0.1:PORT"
check_latency = false
heartbeat_secs = 300
"#;

/// Runs the measurement in `dir` (journal, config): `messages` inbound
/// Heartbeats, one per `write()` when `coalesce` is false, else in writes
/// of up to 64 KiB.
pub fn inbound(dir: &Path, messages: u64, coalesce: bool) -> Result<Throughput, String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free loopback port: {e}"))?
        .port();
    let path = dir.join("throughput.toml");
    std::fs::write(&path, CONFIG.replace("PORT", &port.to_string()))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let cfg = crate::config::load(&path).map_err(|e| e.to_string())?;
    let mut engine = Engine::new(engine_spec(&cfg)?, SystemClock).map_err(|e| e.to_string())?;

    // Everything the client sends is encoded before the clock starts.
    let t = "20261122-12:00:00.000";
    let logon = fix(&format!(
        "8=FIX.4.4|35=A|34=1|49=BLASTER|52={t}|56=ENGINE|98=0|108=300|"
    ));
    let mut stream = Vec::with_capacity(messages as usize * 64);
    let mut ends = Vec::with_capacity(messages as usize);
    for seq in 2..messages + 2 {
        stream.extend_from_slice(&fix(&format!(
            "8=FIX.4.4|35=0|34={seq}|49=BLASTER|52={t}|56=ENGINE|"
        )));
        ends.push(stream.len());
    }
    let total_bytes = stream.len() as f64;
    let client = std::thread::spawn(move || -> Result<u64, String> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        s.set_nodelay(true).map_err(|e| e.to_string())?;
        s.write_all(&logon).map_err(|e| e.to_string())?;
        let mut buf = [0u8; 512];
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if !buf[..n].windows(5).any(|w| w == b"\x0135=A") {
            return Err("no Logon answer".into());
        }
        let mut writes = 0u64;
        if coalesce {
            for chunk in stream.chunks(64 * 1024) {
                s.write_all(chunk).map_err(|e| e.to_string())?;
                writes += 1;
            }
        } else {
            let mut start = 0;
            for &end in &ends {
                s.write_all(&stream[start..end])
                    .map_err(|e| e.to_string())?;
                start = end;
                writes += 1;
            }
        }
        // Keep the connection until the engine has read everything.
        let _ = s.read(&mut buf);
        Ok(writes)
    });
    let clock = MonotonicClock::new();
    let mut started = None;
    let target = messages + 1; // the Logon counts
    loop {
        engine.do_work().map_err(|e| e.to_string())?;
        let received = engine
            .session("TP")
            .map(|s| s.counters().received)
            .unwrap_or(0);
        if received >= 1 && started.is_none() {
            started = Some(clock.now());
        }
        if received >= target {
            break;
        }
        if client.is_finished() && received < target {
            // Drain what is left, then give up if nothing moves.
            let before = received;
            for _ in 0..100_000 {
                engine.do_work().map_err(|e| e.to_string())?;
            }
            let after = engine
                .session("TP")
                .map(|s| s.counters().received)
                .unwrap_or(0);
            if after == before {
                return Err(format!(
                    "the session processed {after} of {target} messages"
                ));
            }
        }
    }
    let elapsed = clock.now().nanos_since(started.unwrap_or(clock.now())) as f64 / 1e9;
    engine.begin_stop();
    while !engine.is_stopped() {
        engine.do_work().map_err(|e| e.to_string())?;
    }
    let writes = client
        .join()
        .map_err(|_| "the client thread panicked".to_string())??;
    let bytes = total_bytes;
    Ok(Throughput {
        messages,
        seconds: elapsed,
        per_second: messages as f64 / elapsed.max(1e-9),
        bytes_per_write: bytes / writes.max(1) as f64,
    })
}
