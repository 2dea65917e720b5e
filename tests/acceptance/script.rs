//! QuickFIX acceptance scripts (`.def`): parsing, substitutions and literal
//! comparison, exactly as `../shared/conformance/README.md` specifies them.
//! The network half is `wire.rs` (reading) and `runner.rs` (running).

use fixrail::codec::{checksum, UtcTimestamp};
use regex::bytes::Regex;
use std::path::{Path, PathBuf};

/// One line of a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `iCONNECT`: open connection `n`.
    Connect(u8),
    /// `iDISCONNECT`: close connection `n`.
    Disconnect(u8),
    /// `I<message>`: send the message (after substitutions).
    Send(u8, String),
    /// `E<message>`: read one message and compare it with this one.
    Expect(u8, String),
    /// `eDISCONNECT`: the acceptor closes the connection.
    ExpectDisconnect(u8),
}

/// A parsed script.
#[derive(Debug)]
pub struct Script {
    pub name: String,
    /// (line number, step), in order.
    pub steps: Vec<(usize, Step)>,
}

/// Where the scripts are: `FIXRAIL_CONFORMANCE_DIR`, or `../shared/conformance/quickfix-at`
/// beside the repository. Missing data is an error, never a skip.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os("FIXRAIL_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/quickfix-at")
        });
    assert!(
        dir.join("fields.fmt").is_file(),
        "QuickFIX acceptance data not found at {} (set FIXRAIL_CONFORMANCE_DIR, or put shared/ beside the repository)",
        dir.display()
    );
    dir
}

/// Every script under `dir/<folder>`, sorted by name.
pub fn load_scripts(dir: &Path, folder: &str) -> Vec<Script> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join(folder))
        .unwrap_or_else(|e| panic!("{}/{folder}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "def"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text =
                std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            parse(&name, &text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        })
        .collect()
}

/// Parses a script; errors name the line.
pub fn parse(name: &str, text: &str) -> Result<Script, String> {
    let mut steps = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (kind, rest) = line.split_at(1);
        // An optional connection number: a digit and a comma.
        let (conn, body) = match rest.as_bytes() {
            [d @ b'0'..=b'9', b',', ..] => (d - b'0', &rest[2..]),
            _ => (1, rest),
        };
        let step = match (kind, body) {
            ("i", "CONNECT") => Step::Connect(conn),
            ("i", "DISCONNECT") => Step::Disconnect(conn),
            ("e", "DISCONNECT") => Step::ExpectDisconnect(conn),
            ("I", m) => Step::Send(conn, m.to_string()),
            ("E", m) => Step::Expect(conn, m.to_string()),
            _ => return Err(format!("line {}: not a script line: {line:?}", i + 1)),
        };
        steps.push((i + 1, step));
    }
    Ok(Script {
        name: name.to_string(),
        steps,
    })
}

/// Applies the substitutions, in the README's order: `<TIME>` and
/// `<TIME±N>`; then, for text starting with `8=`, BodyLength inserted after
/// the first field if there is no `9=` field, and CheckSum appended if the
/// text does not end with a `10=` field. Given values are kept as written.
pub fn substitute(template: &str, now: UtcTimestamp) -> Vec<u8> {
    let mut text = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find("<TIME") {
        text.push_str(&rest[..start]);
        let end = start + rest[start..].find('>').expect("<TIME...> is closed");
        let offset: i64 = match &rest[start + 5..end] {
            "" => 0,
            n => n
                .parse()
                .unwrap_or_else(|_| panic!("bad time offset {n:?}")),
        };
        let t = UtcTimestamp::from_unix_nanos(now.unix_nanos() + offset * 1_000_000_000);
        let mut buf = [0u8; 27];
        let n = t.write(fixrail::codec::TimePrecision::Seconds, &mut buf);
        text.push_str(std::str::from_utf8(&buf[..n]).unwrap());
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    let mut msg: Vec<u8> = text.into_bytes();
    if !msg.starts_with(b"8=") {
        return msg;
    }
    let fields: Vec<&[u8]> = msg.split(|&b| b == 0x01).collect();
    if !fields.iter().any(|f| f.starts_with(b"9=")) {
        let first_end = msg
            .iter()
            .position(|&b| b == 0x01)
            .map_or(msg.len(), |i| i + 1);
        // Up to and including the SOH before `10=`, or to the end.
        let body_end = msg
            .windows(4)
            .position(|w| w == b"\x0110=")
            .map_or(msg.len(), |i| i + 1);
        let field = format!("9={}\u{1}", body_end - first_end);
        msg.splice(first_end..first_end, field.into_bytes());
    }
    let last_field_is_checksum = msg
        .strip_suffix(b"\x01")
        .and_then(|m| m.rsplit(|&b| b == 0x01).next())
        .is_some_and(|f| f.starts_with(b"10="));
    if !last_field_is_checksum {
        let sum = checksum(&msg);
        msg.extend_from_slice(format!("10={sum:03}\u{1}").as_bytes());
    }
    msg
}

/// The per-tag value patterns of `fields.fmt`.
pub struct FieldFormats(Vec<(Vec<u8>, Regex)>);

impl FieldFormats {
    pub fn load(dir: &Path) -> FieldFormats {
        let text = std::fs::read_to_string(dir.join("fields.fmt")).expect("fields.fmt");
        FieldFormats::parse(&text)
    }

    pub fn parse(text: &str) -> FieldFormats {
        FieldFormats(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| {
                    let (tag, pattern) = l
                        .split_once('=')
                        .unwrap_or_else(|| panic!("fields.fmt: {l:?}"));
                    (
                        tag.as_bytes().to_vec(),
                        Regex::new(pattern).unwrap_or_else(|e| panic!("fields.fmt {l:?}: {e}")),
                    )
                })
                .collect(),
        )
    }

    fn pattern(&self, tag: &[u8]) -> Option<&Regex> {
        self.0.iter().find(|(t, _)| t == tag).map(|(_, r)| r)
    }
}

/// Compares a received message with an expected (substituted) one: same
/// number of fields, the same tag at each position, equal values, except
/// tags in `fields.fmt`, whose received value must match the pattern
/// (searched, not anchored). Errors say which field and why.
pub fn compare(expected: &[u8], received: &[u8], formats: &FieldFormats) -> Result<(), String> {
    let split = |m: &[u8]| -> Vec<(Vec<u8>, Vec<u8>)> {
        m.strip_suffix(b"\x01")
            .unwrap_or(m)
            .split(|&b| b == 0x01)
            .map(|f| match f.iter().position(|&b| b == b'=') {
                Some(i) => (f[..i].to_vec(), f[i + 1..].to_vec()),
                None => (f.to_vec(), Vec::new()),
            })
            .collect()
    };
    let (want, got) = (split(expected), split(received));
    let show = |m: &[u8]| String::from_utf8_lossy(m).replace('\u{1}', "|");
    if want.len() != got.len() {
        return Err(format!(
            "{} fields expected, {} received\n  expected {}\n  received {}",
            want.len(),
            got.len(),
            show(expected),
            show(received)
        ));
    }
    for (i, ((wt, wv), (gt, gv))) in want.iter().zip(&got).enumerate() {
        let field = |t: &[u8], v: &[u8]| {
            format!(
                "{}={}",
                String::from_utf8_lossy(t),
                String::from_utf8_lossy(v)
            )
        };
        if wt != gt {
            return Err(format!(
                "field {i}: expected {} but received {}",
                field(wt, wv),
                field(gt, gv)
            ));
        }
        let ok = match formats.pattern(gt) {
            Some(pattern) => pattern.is_match(gv),
            None => wv == gv,
        };
        if !ok {
            return Err(format!(
                "field {i}: expected {} but received {}",
                field(wt, wv),
                field(gt, gv)
            ));
        }
    }
    Ok(())
}
