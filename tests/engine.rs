//! `fixrail run` as an acceptor, over TCP: what happens to connections the
//! protocol cannot accept, and the graceful stop.

// Deadlines for a child process are wall-clock by nature.
#![allow(clippy::disallowed_methods)]

mod common;

use common::TempDir;
use fixrail::codec::testing::fix;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Running {
    child: Child,
    port: u16,
    log: std::path::PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &TempDir, extra: &str) -> Running {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = dir.path().join("acceptor.toml");
    std::fs::write(
        &config,
        format!(
            "[engine]\njournal_dir = \"journal\"\n\n[[session]]\nname = \"S\"\nrole = \"acceptor\"\n\
             sender_comp_id = \"ISLD\"\ntarget_comp_id = \"TW\"\nlisten = \"127.0.0.1:{port}\"\n\
             logon_timeout_secs = 1\n{extra}"
        ),
    )
    .unwrap();
    let log = dir.path().join("fixrail.log");
    let child = Command::new(env!("CARGO_BIN_EXE_fixrail"))
        .args(["run", "--config"])
        .arg(&config)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "fixrail never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    Running { child, port, log }
}

/// Reads until EOF; returns what came and how long it took.
fn read_to_eof(s: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    s.set_read_timeout(Some(limit)).unwrap();
    let t = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (got, t.elapsed()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("no EOF within {limit:?}: {e} (got {} bytes)", got.len()),
        }
    }
}

fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let mut b = [0u8; 32];
    let n = fixrail::codec::UtcTimestamp::from_unix_nanos(secs * 1_000_000_000)
        .write(fixrail::codec::TimePrecision::Seconds, &mut b);
    String::from_utf8(b[..n].to_vec()).unwrap()
}

fn logon() -> Vec<u8> {
    fix(&format!(
        "8=FIX.4.4|35=A|34=1|49=TW|52={}|56=ISLD|98=0|108=30|",
        utc_now()
    ))
}

#[test]
fn a_connection_that_never_logs_on_is_closed_after_the_logon_timeout() {
    let dir = TempDir::new("engine-pending");
    let fx = start(&dir, "");
    let mut s = TcpStream::connect(("127.0.0.1", fx.port)).unwrap();
    let (got, took) = read_to_eof(&mut s, Duration::from_secs(10));
    assert!(
        got.is_empty(),
        "nothing is sent to a connection without a Logon"
    );
    assert!(
        took >= Duration::from_millis(900),
        "closed before the 1 s logon timeout: {took:?}"
    );
}

#[test]
fn a_logon_outside_the_session_schedule_is_refused() {
    let dir = TempDir::new("engine-schedule");
    // A one-hour window starting two hours from now (UTC).
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let hms = |s: u64| format!("{:02}:{:02}:00", (s / 3600) % 24, (s / 60) % 60);
    let fx = start(
        &dir,
        &format!(
            "\n[session.schedule]\nstart_time = \"{}\"\nend_time = \"{}\"\n",
            hms(now + 7200),
            hms(now + 10800)
        ),
    );
    let mut s = TcpStream::connect(("127.0.0.1", fx.port)).unwrap();
    s.write_all(&logon()).unwrap();
    let (got, _) = read_to_eof(&mut s, Duration::from_secs(10));
    assert!(got.is_empty(), "a Logon outside the schedule got an answer");
    let log = std::fs::read_to_string(&fx.log).unwrap();
    assert!(log.contains("end of session schedule"), "{log}");
}

#[test]
fn sigterm_logs_the_session_out_and_exits_zero() {
    let dir = TempDir::new("engine-stop");
    let mut fx = start(&dir, "");
    let mut s = TcpStream::connect(("127.0.0.1", fx.port)).unwrap();
    s.write_all(&logon()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap();
    assert!(
        buf[..n].windows(5).any(|w| w == b"\x0135=A"),
        "no Logon answer"
    );
    // SAFETY: kill(2) on our own child with a valid signal.
    unsafe {
        libc::kill(fx.child.id() as i32, libc::SIGTERM);
    }
    // The engine sends Logout and waits for ours.
    let n = s.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]).replace('\x01', "|");
    assert!(text.contains("|35=5|"), "expected a Logout, got {text}");
    s.write_all(&fix(&format!(
        "8=FIX.4.4|35=5|34=2|49=TW|52={}|56=ISLD|",
        utc_now()
    )))
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = fx.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "fixrail did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
    let log = std::fs::read_to_string(&fx.log).unwrap();
    assert!(log.contains("reason=logged out"), "{log}");
    assert!(log.contains("journal synced"), "{log}");
}

/// The FX roll (start = end = 17:00 New York): at 17:00 both sides of a
/// session log out, reset their sequence numbers and log on again. Driven in
/// process on a manual clock (the sockets are real).
#[test]
fn the_daily_roll_logs_out_resets_and_logs_on_again() {
    use fixrail::clock::ManualClock;
    use fixrail::codec::UtcTimestamp;
    use fixrail::dictionary::Dictionary;
    use fixrail::engine::{AppKind, Engine, EngineSpec, Idle, SessionSpec};
    use fixrail::journal::JournalConfig;
    use fixrail::net::BackoffConfig;
    use fixrail::session::schedule::{Schedule, ScheduleSpec};
    use fixrail::session::{Role, SessionConfig};
    use std::rc::Rc;
    use std::sync::Arc;

    let dir = TempDir::new("engine-roll");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let roll = || {
        Schedule::new(&ScheduleSpec {
            start_time: "17:00:00",
            end_time: "17:00:00",
            time_zone: "America/New_York",
            weekdays: &[],
            start_day: None,
            end_day: None,
            reset_time: None,
        })
        .unwrap()
    };
    let dict = Arc::new(Dictionary::fix44());
    let spec = |role: Role, me: &str, them: &str| {
        let mut s = SessionConfig::new(role, me, them);
        s.name = me.to_string();
        SessionSpec {
            session: s,
            dictionary: Arc::clone(&dict),
            listen: (role == Role::Acceptor).then(|| format!("127.0.0.1:{port}").parse().unwrap()),
            connect: if role == Role::Initiator {
                vec![format!("127.0.0.1:{port}").parse().unwrap()]
            } else {
                vec![]
            },
            allowed_addresses: vec![],
            reconnect: BackoffConfig {
                initial: Duration::from_millis(50),
                max: Duration::from_millis(100),
                multiplier: 2.0,
                jitter_pct: 0,
            },
            schedule: roll(),
            application: AppKind::None,
        }
    };
    // Monday 2026-11-23, 16:59:50 in New York (EST, UTC-5).
    let t0 = 1_795_471_190i64 * 1_000_000_000;
    let clock = Rc::new(ManualClock::new(UtcTimestamp::from_unix_nanos(t0)));
    let mut engine = Engine::new(
        EngineSpec {
            journal: JournalConfig::new(dir.path().join("journal")),
            idle: Idle::Backoff,
            sessions: vec![
                spec(Role::Acceptor, "VENUE", "DESK"),
                spec(Role::Initiator, "DESK", "VENUE"),
            ],
            venue: None,
            trading: Default::default(),
        },
        Rc::clone(&clock),
    )
    .unwrap();
    let run_until = |engine: &mut Engine<Rc<ManualClock>>,
                     what: &str,
                     cond: &dyn Fn(&Engine<Rc<ManualClock>>) -> bool| {
        for _ in 0..5_000 {
            if cond(engine) {
                return;
            }
            engine.turn().unwrap();
            clock.advance_nanos(1_000_000); // 1 ms of session time per turn
        }
        panic!("never reached: {what}");
    };
    let logons = |e: &Engine<Rc<ManualClock>>, n: &str| e.session(n).unwrap().counters().logons;
    run_until(&mut engine, "first logon", &|e| {
        logons(e, "DESK") == 1 && logons(e, "VENUE") == 1
    });
    // Some traffic, so the numbers are past the Logon.
    let before = engine.seqs("DESK").unwrap();
    assert_eq!(before, (2, 2), "after one Logon each way");
    // 17:00:01 New York: the roll.
    clock.set(UtcTimestamp::from_unix_nanos(t0 + 11_000_000_000));
    run_until(&mut engine, "logon after the roll", &|e| {
        logons(e, "DESK") == 2 && logons(e, "VENUE") == 2
    });
    assert_eq!(
        engine.seqs("DESK").unwrap(),
        (2, 2),
        "numbers were reset at the roll (a Logon each way since)"
    );
    let c = engine.session("DESK").unwrap().counters();
    assert_eq!(c.disconnects, 1);
    // DESK logged out at the roll and VENUE answered.
    let local = fixrail::session::DisconnectReason::LocalLogout.index();
    assert_eq!(c.disconnects_by_reason[local], 1);
    drop(engine);

    // Down over the next roll: a restart the next day at 17:00:05 New York
    // starts the new session window with reset numbers.
    clock.set(UtcTimestamp::from_unix_nanos(
        t0 + (86_400 + 15) * 1_000_000_000,
    ));
    let mut engine = Engine::new(
        EngineSpec {
            journal: JournalConfig::new(dir.path().join("journal")),
            idle: Idle::Backoff,
            sessions: vec![
                spec(Role::Acceptor, "VENUE", "DESK"),
                spec(Role::Initiator, "DESK", "VENUE"),
            ],
            venue: None,
            trading: Default::default(),
        },
        Rc::clone(&clock),
    )
    .unwrap();
    run_until(&mut engine, "logon after the restart", &|e| {
        logons(e, "DESK") == 1 && logons(e, "VENUE") == 1
    });
    assert_eq!(engine.seqs("DESK").unwrap(), (2, 2), "reset at start-up");
}
