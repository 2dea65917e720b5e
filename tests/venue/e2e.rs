//! `fixrail venue --config` over TCP with two QuickFIX C++ clients
//! (`tools/qfpeer`, built here; missing libquickfix-dev fails the test).
//!
//! Client A sends its limit orders on FXR (qfpeer alternates buy and sell,
//! so many cross) and waits; then client B sends its own. Every order of
//! each client is answered with at least one ExecutionReport that QuickFIX
//! accepted against its FIX 4.4 dictionary (qfpeer records only messages
//! that reached its application), and A keeps receiving reports after its
//! last order: fills of its resting orders caused by B's, delivered on A's
//! session through the engine's per-turn `send_queued`.

// Deadlines for child processes are wall-clock by nature.
#![allow(clippy::disallowed_methods)]

use crate::common::TempDir;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const N: usize = 1_000;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn qfpeer() -> PathBuf {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qfpeer-venue");
    let status = Command::new("bash")
        .arg(repo().join("tools/qfpeer/build.sh"))
        .arg(&out)
        .status()
        .expect("run tools/qfpeer/build.sh");
    assert!(
        status.success(),
        "building the QuickFIX peer failed (is libquickfix-dev installed? \
         `apt-get install -y libquickfix-dev`)"
    );
    out
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process, killed when dropped, its output in `log`.
struct Proc {
    child: Option<Child>,
    log: PathBuf,
}

impl Proc {
    fn spawn(cmd: &mut Command, log: PathBuf) -> Proc {
        let file = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("spawn");
        Proc {
            child: Some(child),
            log,
        }
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_exit(&mut self, timeout: Duration) -> i32 {
        let c = self.child.as_mut().expect("running");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = c.try_wait().unwrap() {
                self.child = None;
                return status.code().unwrap_or(-1);
            }
            assert!(
                Instant::now() < deadline,
                "{} did not finish in time; output:\n{}",
                self.log.display(),
                self.text()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn sigterm_and_wait(&mut self, timeout: Duration) -> i32 {
        let id = self.child.as_ref().expect("running").id();
        // SAFETY: kill(2) with a pid we own and a valid signal number.
        unsafe {
            libc::kill(id as i32, libc::SIGTERM);
        }
        self.wait_exit(timeout)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn wait_until(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// qfpeer's `received` lines: (MsgType, ClOrdID, PossDup).
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

/// Every line is an ExecutionReport, never a resend, and every id
/// `prefix1..=prefixN` has at least one.
fn assert_every_order_answered(dir: &Path, prefix: &str) -> usize {
    let lines = received(dir);
    let mut ids = HashSet::new();
    for (t, id, poss_dup) in &lines {
        assert_eq!(t, "8", "{prefix}: unexpected MsgType {t} for {id}");
        assert!(!poss_dup, "{prefix}: a resent report for {id}");
        ids.insert(id.clone());
    }
    for i in 1..=N {
        assert!(
            ids.contains(&format!("{prefix}{i}")),
            "{prefix}{i} never answered"
        );
    }
    assert_eq!(
        ids.len(),
        N,
        "{prefix}: reports for ids that were never sent"
    );
    lines.len()
}

fn start_client(
    bin: &Path,
    dir: &Path,
    port: u16,
    comp_id: &str,
    prefix: &str,
    stay: &str,
) -> Proc {
    std::fs::create_dir_all(dir).unwrap();
    let n = N.to_string();
    Proc::spawn(
        Command::new(bin)
            .args(["--role", "initiator", "--host", "127.0.0.1"])
            .args(["--port", &port.to_string()])
            .args(["--sender", comp_id, "--target", "VENUE"])
            .args(["--send", &n, "--expect", &n, "--id-prefix", prefix])
            .args(["--heartbeat", "5", "--stay", stay])
            .arg("--dir")
            .arg(dir)
            .arg("--dict")
            .arg(repo().join("config/dictionaries/FIX44.xml")),
        dir.join("stdout.log"),
    )
}

#[test]
fn fixrail_venue_answers_quickfix_clients_and_matches_across_sessions() {
    let bin = qfpeer();
    let tmp = TempDir::new("venue-e2e");
    let port = free_port();
    let config = tmp.path().join("venue.toml");
    let session = |name: &str| {
        format!(
            "[[session]]\nname = \"{name}\"\nrole = \"acceptor\"\nsender_comp_id = \"VENUE\"\n\
             target_comp_id = \"{name}\"\nlisten = \"127.0.0.1:{port}\"\n\n"
        )
    };
    std::fs::write(
        &config,
        format!(
            "[engine]\njournal_dir = \"journal\"\nlog_level = \"info\"\n\n\
             [venue]\nmax_resting_orders_per_instrument = 5000\n\n{}{}\
             [[instrument]]\nsymbol = \"FXR\"\ntick_size = \"0.01\"\nlot_size = 1\n\
             reference_price = \"100\"\nmax_order_qty = 10000\n",
            session("QA"),
            session("QB")
        ),
    )
    .unwrap();
    let mut venue = Proc::spawn(
        Command::new(env!("CARGO_BIN_EXE_fixrail"))
            .args(["venue", "--config"])
            .arg(&config),
        tmp.path().join("fixrail.log"),
    );
    wait_until("the venue to listen", Duration::from_secs(20), || {
        venue.text().contains("accepting connections")
    });

    let a_dir = tmp.path().join("a");
    let mut a = start_client(&bin, &a_dir, port, "QA", "A", "60");
    wait_until("client A done", Duration::from_secs(120), || {
        a.text().lines().any(|l| l == "DONE")
    });
    // A has every answer to its own orders once its count stops moving.
    let mut before = received(&a_dir).len();
    wait_until(
        "client A's reports to settle",
        Duration::from_secs(20),
        || {
            std::thread::sleep(Duration::from_millis(300));
            let now = received(&a_dir).len();
            std::mem::replace(&mut before, now) == now
        },
    );
    let a_alone = before;

    let b_dir = tmp.path().join("b");
    let mut b = start_client(&bin, &b_dir, port, "QB", "B", "0");
    assert_eq!(
        b.wait_exit(Duration::from_secs(120)),
        0,
        "client B:\n{}",
        b.text()
    );
    wait_until(
        "fills of A's resting orders caused by B",
        Duration::from_secs(20),
        || received(&a_dir).len() > a_alone,
    );
    let a_total = assert_every_order_answered(&a_dir, "A");
    let b_total = assert_every_order_answered(&b_dir, "B");
    assert!(
        a_alone > N,
        "A's own orders crossed: more reports ({a_alone}) than orders"
    );
    assert!(b_total > N, "B's orders traded: {b_total} reports");

    a.sigterm_and_wait(Duration::from_secs(20));
    assert_eq!(venue.sigterm_and_wait(Duration::from_secs(20)), 0);
    let log = venue.text();
    for bad in [
        "reject received",
        "reject sent",
        "queue full",
        "send failed",
    ] {
        assert!(!log.contains(bad), "fixrail logged {bad:?}:\n{log}");
    }
    eprintln!(
        "venue e2e: {N} orders per client; A received {a_alone} reports for its own orders, \
         {a_total} in all ({} caused by B); B received {b_total}",
        a_total - a_alone
    );
}
