//! Interop with real QuickFIX C++ (Debian's libquickfix-dev), both roles,
//! persistent stores on both sides:
//! - 10,000 NewOrderSingles each way (the QuickFIX peer sends them, fixrail's
//!   echo application sends each back), with fixrail and then QuickFIX killed
//!   with SIGKILL mid-stream and restarted: the session comes back without a
//!   reset, gaps are resent, and every ClOrdID arrives exactly once as a new
//!   message (extra copies only as PossDup resends);
//! - our store lost while QuickFIX expects a higher MsgSeqNum, with
//!   `seq_too_low_policy = "alert"` (stop, alert) and `"auto"` (continue at
//!   QuickFIX's number, log on).
//!
//! The QuickFIX peer is `tools/qfpeer`, built here with `tools/qfpeer/build.sh`.
//! Missing libquickfix-dev fails the test (`.ci/run` installs it).

// Deadlines for child processes are wall-clock by nature.
#![allow(clippy::disallowed_methods)]

mod common;

use common::TempDir;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const N: usize = 10_000;

/// The scenarios run one at a time: each starts two or three processes that
/// trade at full speed, and this machine has two cores.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn dict() -> PathBuf {
    repo().join("config/dictionaries/FIX44.xml")
}

/// Builds the QuickFIX peer once per test binary.
fn qfpeer() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qfpeer");
        let status = Command::new("bash")
            .arg(repo().join("tools/qfpeer/build.sh"))
            .arg(&out)
            .status()
            .expect("run tools/qfpeer/build.sh");
        assert!(
            status.success(),
            "building the QuickFIX peer failed (is libquickfix-dev installed? \
             `apt-get install -y libquickfix-dev`; .ci/run does it)"
        );
        out
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed (SIGKILL) when dropped.
struct Proc {
    child: Option<Child>,
    log: PathBuf,
    what: String,
}

impl Proc {
    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn sigterm_and_wait(&mut self, timeout: Duration) -> Option<i32> {
        let mut c = self.child.take()?;
        // SAFETY: kill(2) with a pid we own and a valid signal number.
        unsafe {
            libc::kill(c.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = c.try_wait().unwrap() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = c.kill();
                let _ = c.wait();
                panic!("{} did not exit within {timeout:?} of SIGTERM", self.what);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_exit(&mut self, timeout: Duration) -> i32 {
        let c = self.child.as_mut().expect("running");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = c.try_wait().unwrap() {
                self.child = None;
                return status.code().unwrap_or(-1);
            }
            if Instant::now() > deadline {
                panic!(
                    "{} did not finish within {timeout:?}; its log ends:\n{}",
                    self.what,
                    tail(&self.log, 30)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill9();
    }
}

fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn spawn(what: &str, cmd: &mut Command, log: PathBuf) -> Proc {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
        .unwrap();
    let child = cmd
        .stdout(Stdio::from(file.try_clone().unwrap()))
        .stderr(Stdio::from(file))
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    Proc {
        child: Some(child),
        log,
        what: what.to_string(),
    }
}

struct FixrailSide {
    name: String,
    config: PathBuf,
    dir: PathBuf,
    starts: std::cell::Cell<usize>,
}

impl FixrailSide {
    fn new(dir: &Path, name: &str, session: &str) -> FixrailSide {
        let config = dir.join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!("[engine]\njournal_dir = \"journal\"\nlog_level = \"info\"\n\n{session}"),
        )
        .unwrap();
        FixrailSide {
            name: name.to_string(),
            config,
            dir: dir.to_path_buf(),
            starts: std::cell::Cell::new(0),
        }
    }

    /// Starts `fixrail run`; each start logs to its own file.
    fn start(&self) -> Proc {
        self.starts.set(self.starts.get() + 1);
        spawn(
            "fixrail",
            Command::new(env!("CARGO_BIN_EXE_fixrail"))
                .arg("run")
                .arg("--config")
                .arg(&self.config),
            self.dir
                .join(format!("{}-{}.log", self.name, self.starts.get())),
        )
    }
}

fn start_qfpeer(dir: &Path, args: &[&str]) -> Proc {
    std::fs::create_dir_all(dir).unwrap();
    let mut cmd = Command::new(qfpeer());
    cmd.args(args)
        .arg("--dir")
        .arg(dir)
        .arg("--dict")
        .arg(dict());
    spawn("qfpeer", &mut cmd, dir.join("stdout.log"))
}

/// `received` lines of a qfpeer: (MsgType, ClOrdID, PossDup).
fn received(dir: &Path) -> Vec<(String, String, bool)> {
    let Ok(f) = std::fs::File::open(dir.join("received")) else {
        return Vec::new();
    };
    BufReader::new(f)
        .lines()
        .map_while(Result::ok)
        .filter_map(|l| {
            let p: Vec<&str> = l.split_whitespace().collect();
            (p.len() == 4).then(|| (p[0].to_string(), p[1].to_string(), p[3] == "Y"))
        })
        .collect()
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every id `prefix1..=prefixN` arrived; at most one copy of each as a new
/// message (PossDup=N); extra copies only as PossDup resends.
fn assert_exactly_once(lines: &[(String, String, bool)], prefix: &str, n: usize) -> (usize, usize) {
    let mut fresh: HashMap<&str, usize> = HashMap::new();
    let mut any: HashMap<&str, usize> = HashMap::new();
    for (t, id, poss_dup) in lines {
        assert_eq!(t, "D", "unexpected MsgType {t} received");
        *any.entry(id).or_default() += 1;
        if !poss_dup {
            *fresh.entry(id).or_default() += 1;
        }
    }
    let mut missing = Vec::new();
    for i in 1..=n {
        let id = format!("{prefix}{i}");
        if !any.contains_key(id.as_str()) {
            missing.push(id.clone());
        }
        let f = fresh.get(id.as_str()).copied().unwrap_or(0);
        assert!(f <= 1, "{id} was delivered {f} times as a new message");
    }
    assert!(
        missing.is_empty(),
        "{} ids never arrived, first: {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    assert_eq!(any.len(), n, "ids outside 1..={n} arrived");
    let dups = lines.len() - n;
    (lines.len(), dups)
}

/// 10,000 orders from the QuickFIX peer, each echoed back by fixrail; fixrail
/// is killed (SIGKILL) at a third and restarted, the QuickFIX peer at two
/// thirds and restarted. Every id must arrive exactly once as a new message,
/// and the session must recover without a sequence reset.
fn kill9_both_sides(fixrail_role: &str) {
    let _serial = serial();
    let tmp = TempDir::new(&format!("interop-{fixrail_role}"));
    let fx_dir = tmp.path().join("fixrail");
    let qf_dir = tmp.path().join("qf");
    std::fs::create_dir_all(&fx_dir).unwrap();
    let port = free_port();
    let port_s = port.to_string();
    let (qf_role, prefix, session) = if fixrail_role == "acceptor" {
        ("initiator", "A", format!("listen = \"127.0.0.1:{port}\"\n"))
    } else {
        (
            "acceptor",
            "B",
            format!(
                "connect = [\"127.0.0.1:{port}\"]\nheartbeat_secs = 5\n\n\
                 [session.reconnect]\ninitial_ms = 100\nmax_ms = 500\n"
            ),
        )
    };
    let fx = FixrailSide::new(
        &fx_dir,
        "fixrail",
        &format!(
            "[[session]]\nname = \"QF\"\nrole = \"{fixrail_role}\"\nsender_comp_id = \"FIXRAIL\"\n\
             target_comp_id = \"QF\"\napplication = \"echo\"\n{session}"
        ),
    );
    let qf_args = [
        "--role",
        qf_role,
        "--port",
        &port_s,
        "--sender",
        "QF",
        "--target",
        "FIXRAIL",
        "--heartbeat",
        "5",
        "--send",
        "10000",
        "--expect",
        "10000",
        "--rate",
        "2000",
        "--id-prefix",
        prefix,
        "--stay",
        "2",
    ];
    // The acceptor side starts first.
    let (mut fixrail, mut qf) = if fixrail_role == "acceptor" {
        let f = fx.start();
        (f, start_qfpeer(&qf_dir, &qf_args))
    } else {
        let q = start_qfpeer(&qf_dir, &qf_args);
        (fx.start(), q)
    };

    wait_until("a third of the echoes", Duration::from_secs(60), || {
        received(&qf_dir).len() >= N / 3
    });
    fixrail.kill9();
    let fixrail_killed_at = received(&qf_dir).len();
    let mut fixrail = fx.start();

    wait_until("two thirds of the echoes", Duration::from_secs(90), || {
        received(&qf_dir).len() >= 2 * N / 3
    });
    qf.kill9();
    let qf_killed_at = received(&qf_dir).len();
    let mut qf = start_qfpeer(&qf_dir, &qf_args);

    if let Err(e) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        qf.wait_exit(Duration::from_secs(120))
    }))
    .map(|code| assert_eq!(code, 0, "qfpeer failed; its output:\n{}", qf.log_text()))
    {
        // Everything needed to tell which side stalled.
        let qf_events = std::fs::read_dir(qf_dir.join("log"))
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().contains("event"))
                    .map(|e| tail(&e.path(), 40))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        eprintln!(
            "fixrail log:\n{}\nQuickFIX event log:\n{qf_events}\nids received: {}",
            tail(&fx_dir.join("fixrail-2.log"), 60),
            received(&qf_dir).len()
        );
        std::panic::resume_unwind(e);
    }
    let (lines, dups) = assert_exactly_once(&received(&qf_dir), prefix, N);
    let log = fixrail.log_text();
    assert!(
        !log.contains("reset=true"),
        "the session was reset instead of recovered:\n{log}"
    );
    assert_eq!(fixrail.sigterm_and_wait(Duration::from_secs(10)), Some(0));
    let logs: String = (1..=2)
        .map(|n| {
            std::fs::read_to_string(fx_dir.join(format!("fixrail-{n}.log"))).unwrap_or_default()
        })
        .collect();
    eprintln!(
        "fixrail as {fixrail_role}: {N} orders each way; fixrail killed at {fixrail_killed_at} \
         echoes, QuickFIX at {qf_killed_at}; {lines} deliveries ({dups} PossDup copies); \
         fixrail asked for {} resends and served {}",
        count(&logs, "ResendRequest sent"),
        count(&logs, "resend served"),
    );
}

#[test]
fn fixrail_acceptor_with_quickfix_initiator_survives_kill9_on_both_sides() {
    kill9_both_sides("acceptor");
}

#[test]
fn fixrail_initiator_with_quickfix_acceptor_survives_kill9_on_both_sides() {
    kill9_both_sides("initiator");
}

/// Phase 1 builds history (QuickFIX then expects a MsgSeqNum above 1 from
/// us); then fixrail's journal is deleted and it starts again at 1.
fn lost_store_setup(name: &str) -> (TempDir, PathBuf, PathBuf, u16, Proc) {
    let tmp = TempDir::new(name);
    let fx_dir = tmp.path().join("fixrail");
    let qf_dir = tmp.path().join("qf");
    std::fs::create_dir_all(&fx_dir).unwrap();
    let port = free_port();
    let port_s = port.to_string();
    let mut qf = start_qfpeer(
        &qf_dir,
        &[
            "--role",
            "acceptor",
            "--port",
            &port_s,
            "--sender",
            "QF",
            "--target",
            "FIXRAIL",
            "--send",
            "50",
            "--expect",
            "50",
            "--id-prefix",
            "C",
            "--stay",
            "1",
        ],
    );
    let fx = FixrailSide::new(&fx_dir, "phase1", &initiator_session(port, "alert"));
    let mut fixrail = fx.start();
    assert_eq!(
        qf.wait_exit(Duration::from_secs(60)),
        0,
        "{}",
        qf.log_text()
    );
    assert_eq!(fixrail.sigterm_and_wait(Duration::from_secs(10)), Some(0));
    std::fs::remove_dir_all(fx_dir.join("journal")).unwrap();
    // QuickFIX stays up with its store: it expects our next number.
    let qf = start_qfpeer(
        &qf_dir,
        &[
            "--role", "acceptor", "--port", &port_s, "--sender", "QF", "--target", "FIXRAIL",
        ],
    );
    (tmp, fx_dir, qf_dir, port, qf)
}

fn initiator_session(port: u16, policy: &str) -> String {
    format!(
        "[[session]]\nname = \"QF\"\nrole = \"initiator\"\nsender_comp_id = \"FIXRAIL\"\n\
         target_comp_id = \"QF\"\nconnect = [\"127.0.0.1:{port}\"]\nheartbeat_secs = 5\n\
         application = \"echo\"\nseq_too_low_policy = \"{policy}\"\n\n\
         [session.reconnect]\ninitial_ms = 100\nmax_ms = 200\n"
    )
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn lost_store_with_alert_policy_stops_and_alerts() {
    let _serial = serial();
    let (_tmp, fx_dir, _qf_dir, port, mut qf) = lost_store_setup("interop-lost-alert");
    let fx = FixrailSide::new(&fx_dir, "alert", &initiator_session(port, "alert"));
    let mut fixrail = fx.start();
    wait_until("the alert", Duration::from_secs(30), || {
        fixrail.log_text().contains("ALERT")
    });
    // No further attempts: the session is halted for a person to decide.
    std::thread::sleep(Duration::from_millis(1500));
    let log = fixrail.log_text();
    assert_eq!(
        count(&log, "connecting session="),
        1,
        "reconnected despite alert:\n{log}"
    );
    assert!(
        log.contains("counterparty says our MsgSeqNum is too low: it expects"),
        "{log}"
    );
    assert_eq!(fixrail.sigterm_and_wait(Duration::from_secs(10)), Some(0));
    qf.sigterm_and_wait(Duration::from_secs(10));
}

#[test]
fn lost_store_with_auto_policy_continues_at_the_expected_number() {
    let _serial = serial();
    let (_tmp, fx_dir, qf_dir, port, mut qf) = lost_store_setup("interop-lost-auto");
    let fx = FixrailSide::new(&fx_dir, "auto", &initiator_session(port, "auto"));
    let mut fixrail = fx.start();
    wait_until("logon after recovery", Duration::from_secs(30), || {
        fixrail.log_text().contains("logged on")
    });
    let log = fixrail.log_text();
    assert!(log.contains("next outbound MsgSeqNum moved"), "{log}");
    // The journal holds the audit record of the change.
    let dump = Command::new(env!("CARGO_BIN_EXE_fixrail"))
        .args(["journal", "dump"])
        .arg(fx_dir.join("journal"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&dump.stdout);
    assert!(
        text.contains("seq_too_low_policy=auto"),
        "no audit record in the journal:\n{text}"
    );
    let mut qf_out = String::new();
    std::fs::File::open(qf_dir.join("stdout.log"))
        .unwrap()
        .read_to_string(&mut qf_out)
        .unwrap();
    assert!(
        count(&qf_out, "LOGON") >= 2,
        "QuickFIX never accepted the logon:\n{qf_out}"
    );
    assert_eq!(fixrail.sigterm_and_wait(Duration::from_secs(10)), Some(0));
    qf.sigterm_and_wait(Duration::from_secs(10));
}
