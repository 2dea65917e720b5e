//! `fixrail venue --config` with the synthetic flow on, over TCP, with no
//! QuickFIX: a raw client logs on, subscribes to FXR (263=1) and must get a
//! W and then X incrementals (the flow moves the book without any other
//! client), every message checked against the FIX 4.4 dictionary.

// Deadlines for child processes and SendingTime are wall-clock by nature.
#![allow(clippy::disallowed_methods)]

use crate::common::TempDir;
use fixrail::codec::testing::fix;
use fixrail::codec::{Decoded, Decoder, TimePrecision, UtcTimestamp};
use fixrail::dictionary::{Dictionary, ValidationConfig, Validator};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The child, killed when dropped.
struct Venue(Child);

impl Drop for Venue {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn now_text() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as i64;
    let mut buf = [0u8; 32];
    let n = UtcTimestamp::from_unix_nanos(nanos).write(TimePrecision::Millis, &mut buf);
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// Reads messages from `stream` until `done` says so or the deadline
/// passes; returns (MsgType, MDReqID) of each.
fn read_until(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    seen: &mut Vec<(String, Option<String>)>,
    deadline: Instant,
    done: impl Fn(&[(String, Option<String>)]) -> bool,
) {
    let dict = Dictionary::fix44();
    let mut validator = Validator::new(&dict, ValidationConfig::default());
    let mut chunk = [0u8; 64 * 1024];
    while !done(seen) {
        assert!(Instant::now() < deadline, "timed out; got {seen:?}");
        match stream.read(&mut chunk) {
            Ok(0) => panic!("the venue closed the connection; got {seen:?}"),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => continue,
            Err(e) => panic!("read: {e}"),
        }
        loop {
            let mut decoder = Decoder::default();
            let used = match decoder.decode(buf) {
                Decoded::Message(m, len) => {
                    if let Err(r) = validator.validate(&dict, &m) {
                        panic!("invalid message from the venue: {:?}", r.reason.text());
                    }
                    let t = String::from_utf8_lossy(m.msg_type()).into_owned();
                    let req = m
                        .get(262)
                        .map(|f| String::from_utf8_lossy(f.value()).into_owned());
                    seen.push((t, req));
                    len
                }
                Decoded::NeedMore => break,
                other => panic!("garbled bytes from the venue: {other:?}"),
            };
            buf.drain(..used);
        }
    }
}

#[test]
fn fixrail_venue_with_flow_publishes_a_snapshot_then_incrementals_over_tcp() {
    let tmp = TempDir::new("venue-md-e2e");
    let port = free_port();
    let config = tmp.path().join("venue.toml");
    std::fs::write(
        &config,
        format!(
            "[engine]\njournal_dir = \"journal\"\nlog_level = \"info\"\n\n\
             [venue]\nflow_rate_per_sec = 2000\nflow_seed = 5\n\n\
             [[session]]\nname = \"MD1\"\nrole = \"acceptor\"\nsender_comp_id = \"VENUE\"\n\
             target_comp_id = \"MD1\"\nlisten = \"127.0.0.1:{port}\"\n\n\
             [[instrument]]\nsymbol = \"FXR\"\ntick_size = \"0.01\"\nlot_size = 1\n\
             reference_price = \"100\"\n"
        ),
    )
    .unwrap();
    let log = tmp.path().join("fixrail.log");
    let file = std::fs::File::create(&log).unwrap();
    let _venue = Venue(
        Command::new(env!("CARGO_BIN_EXE_fixrail"))
            .args(["venue", "--config"])
            .arg(&config)
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("spawn fixrail venue"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stream = loop {
        if let Ok(s) = TcpStream::connect(("127.0.0.1", port)) {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the venue did not listen:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let send = |s: &mut TcpStream, seq: u64, body: &str, msg_type: &str| {
        let text = format!(
            "8=FIX.4.4|35={msg_type}|34={seq}|49=MD1|52={}|56=VENUE|{body}",
            now_text()
        );
        s.write_all(&fix(&text)).unwrap();
    };
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    send(&mut stream, 1, "98=0|108=30|", "A");
    read_until(&mut stream, &mut buf, &mut seen, deadline, |s| {
        s.iter().any(|(t, _)| t == "A")
    });
    send(
        &mut stream,
        2,
        "262=e2e|263=1|264=5|267=3|269=0|269=1|269=2|146=1|55=FXR|",
        "V",
    );
    read_until(&mut stream, &mut buf, &mut seen, deadline, |s| {
        s.iter()
            .filter(|(t, r)| t == "X" && r.as_deref() == Some("e2e"))
            .count()
            >= 5
    });
    let md: Vec<&str> = seen
        .iter()
        .filter(|(t, _)| t == "W" || t == "X")
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(md[0], "W", "the snapshot comes first: {md:?}");
    assert!(md[1..].iter().all(|t| *t == "X"), "{md:?}");
    assert!(
        seen.iter().all(|(t, _)| t != "Y" && t != "3"),
        "no reject: {seen:?}"
    );
    send(&mut stream, 3, "", "5");
}
