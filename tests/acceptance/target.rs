//! The acceptor the scripts run against, chosen by `FIXRAIL_AT_TARGET`:
//! `fixrail` (the default: `fixrail run` with a config written per the
//! agreed schema) or `quickfix` (the QuickFIX C++ reference acceptor in
//! `tools/qf-at-acceptor`, built on demand). Owns the child process: starting
//! it with its output captured to a file, waiting until its port accepts,
//! stopping it with SIGTERM, and killing it if anything goes wrong. Both are
//! configured as the conformance README says (ISLD; TW44, TW and
//! NO_CHECK_FIELDS_HAVE_VALUES; ResetOnLogon; MaxLatency 120; milliseconds).

use super::wire::monotonic;
use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How long the acceptor may take to listen after it is spawned.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the acceptor may take to exit after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Which acceptor to run the scripts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `fixrail run --config acceptor.toml`.
    Fixrail,
    /// `tools/qf-at-acceptor`: QuickFIX C++ 1.15.1.
    QuickFix,
}

impl Target {
    /// From `FIXRAIL_AT_TARGET` (`fixrail`, the default, or `quickfix`).
    pub fn from_env() -> Result<Target, String> {
        match std::env::var("FIXRAIL_AT_TARGET").as_deref() {
            Err(std::env::VarError::NotPresent) | Ok("fixrail") => Ok(Target::Fixrail),
            Ok("quickfix") => Ok(Target::QuickFix),
            Ok(other) => Err(format!(
                "FIXRAIL_AT_TARGET={other:?}: expected \"fixrail\" or \"quickfix\""
            )),
            Err(e) => Err(format!("FIXRAIL_AT_TARGET: {e}")),
        }
    }

    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Target::Fixrail => "fixrail",
            Target::QuickFix => "QuickFIX C++ (tools/qf-at-acceptor)",
        }
    }
}

/// A running acceptor process. Dropping it kills the process if it still runs.
pub struct Acceptor {
    target: Target,
    child: Option<Child>,
    addr: SocketAddr,
    log: PathBuf,
}

impl Acceptor {
    /// Writes the target's configuration into `dir`, spawns it with its
    /// stdout and stderr in `dir/acceptor.log`, and waits until its port
    /// accepts connections.
    pub fn start(target: Target, dir: &Path) -> Result<Acceptor, String> {
        let port = free_port()?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut command = match target {
            Target::Fixrail => fixrail_command(dir, addr)?,
            Target::QuickFix => quickfix_command(dir, port)?,
        };
        let log = dir.join("acceptor.log");
        let out = File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out
            .try_clone()
            .map_err(|e| format!("{}: {e}", log.display()))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
        let mut acceptor = Acceptor {
            target,
            child: Some(child),
            addr,
            log,
        };
        acceptor.wait_until_listening()?;
        Ok(acceptor)
    }

    /// Where the acceptor listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Polls (with back-off) until a connection to the port succeeds; fails
    /// if the process exits first or the port never opens.
    fn wait_until_listening(&mut self) -> Result<(), String> {
        let deadline = monotonic() + START_TIMEOUT;
        let mut pause = Duration::from_millis(5);
        loop {
            if let Some(status) = self.try_wait()? {
                return Err(format!(
                    "{} exited ({status}) before listening on {}",
                    self.target.name(),
                    self.addr
                ));
            }
            // The probe connection is closed at once; an acceptor sees a
            // connection that never logs on.
            if TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)).is_ok() {
                return Ok(());
            }
            if monotonic() >= deadline {
                return Err(format!(
                    "{} never opened its port {} within {} s",
                    self.target.name(),
                    self.addr,
                    START_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }

    fn try_wait(&mut self) -> Result<Option<ExitStatus>, String> {
        match self.child.as_mut() {
            Some(child) => child
                .try_wait()
                .map_err(|e| format!("waiting for {}: {e}", self.target.name())),
            None => Err("the acceptor was already stopped".into()),
        }
    }

    /// Whether the process is still running (an acceptor that died mid-run
    /// explains every later failure).
    pub fn running(&mut self) -> bool {
        matches!(self.try_wait(), Ok(None))
    }

    /// Sends SIGTERM and expects exit status 0 within 10 s; kills the
    /// process and fails otherwise.
    pub fn stop(&mut self) -> Result<(), String> {
        let name = self.target.name();
        let Some(mut child) = self.child.take() else {
            return Err("the acceptor was already stopped".into());
        };
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("{name} had already exited ({status})"));
        }
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
        // SAFETY: kill(2) with the pid of our own child, which has not been
        // waited for, so the pid cannot have been reused.
        if unsafe { libc::kill(pid, libc::SIGTERM) } != 0 {
            let e = std::io::Error::last_os_error();
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("SIGTERM to {name}: {e}"));
        }
        let deadline: Instant = monotonic() + STOP_TIMEOUT;
        let mut pause = Duration::from_millis(5);
        loop {
            match child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => {
                    return Err(format!("{name} exited with {status} after SIGTERM"))
                }
                Ok(None) if monotonic() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "{name} did not exit within {} s of SIGTERM; killed it",
                        STOP_TIMEOUT.as_secs()
                    ));
                }
                Ok(None) => {}
                Err(e) => return Err(format!("waiting for {name}: {e}")),
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// The last `lines` lines of the acceptor's output, SOH shown as `|`.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }
}

/// The last `lines` lines of the acceptor's output file `log` (written by
/// `Acceptor::start` as `dir/acceptor.log`), SOH shown as `|`.
pub fn log_tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read(log).unwrap_or_default();
    let text = super::wire::show(&text);
    let all: Vec<&str> = text.lines().collect();
    let tail = all[all.len().saturating_sub(lines)..].join("\n");
    format!(
        "--- last {} of {} lines of {} ---\n{tail}",
        lines.min(all.len()),
        all.len(),
        log.display()
    )
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A port nobody listens on now (bound and released; the acceptor binds it
/// right after).
fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// The repository root.
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `fixrail run --config dir/acceptor.toml`, with the config written per
/// `briefs/config-schema.md` (the embedded FIX 4.4 dictionary is
/// `config/dictionaries/FIX44.xml`, the one QuickFIX uses).
fn fixrail_command(dir: &Path, addr: SocketAddr) -> Result<Command, String> {
    let config = dir.join("acceptor.toml");
    std::fs::write(&config, fixrail_config(addr))
        .map_err(|e| format!("{}: {e}", config.display()))?;
    let mut command = Command::new(env!("CARGO_BIN_EXE_fixrail"));
    command.arg("run").arg("--config").arg(&config);
    Ok(command)
}

/// The fixrail acceptor config for the scripts: three sessions on one address.
pub fn fixrail_config(addr: SocketAddr) -> String {
    let mut text = String::from("[engine]\njournal_dir = \"journal\"\n");
    for (target, fields_have_values) in [
        ("TW44", true),
        ("TW", true),
        ("NO_CHECK_FIELDS_HAVE_VALUES", false),
    ] {
        text.push_str(&format!(
            "\n[[session]]\n\
             name = \"{target}\"\n\
             role = \"acceptor\"\n\
             begin_string = \"FIX.4.4\"\n\
             sender_comp_id = \"ISLD\"\n\
             target_comp_id = \"{target}\"\n\
             listen = \"{addr}\"\n\
             reset_on_logon = true\n\
             application = \"echo\"\n\
             max_latency_secs = 120\n\
             timestamp_precision = \"ms\"\n\
             validate_fields_have_values = {fields_have_values}\n"
        ));
    }
    text
}

/// Builds `tools/qf-at-acceptor` (once; `build.sh` skips an up-to-date
/// binary) and returns the command running it with `dir/acceptor.cfg`.
fn quickfix_command(dir: &Path, port: u16) -> Result<Command, String> {
    let tool = repo().join("tools/qf-at-acceptor");
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join("qf-at-acceptor/qf-at-acceptor");
    let build = Command::new("sh")
        .arg(tool.join("build.sh"))
        .arg(&exe)
        .output()
        .map_err(|e| format!("cannot run {}/build.sh: {e}", tool.display()))?;
    if !build.status.success() {
        return Err(format!(
            "{}/build.sh failed ({}):\n{}{}",
            tool.display(),
            build.status,
            String::from_utf8_lossy(&build.stdout),
            String::from_utf8_lossy(&build.stderr)
        ));
    }
    let template_path = tool.join("acceptor.cfg.in");
    let template = std::fs::read_to_string(&template_path)
        .map_err(|e| format!("{}: {e}", template_path.display()))?;
    let dictionary = repo().join("config/dictionaries/FIX44.xml");
    let settings = template
        .replace("@PORT@", &port.to_string())
        .replace("@DICTIONARY@", dictionary.to_str().expect("UTF-8 path"));
    let config = dir.join("acceptor.cfg");
    std::fs::write(&config, settings).map_err(|e| format!("{}: {e}", config.display()))?;
    let mut command = Command::new(exe);
    command.arg(config);
    Ok(command)
}
