//! Golden books. A script (`tests/data/md/NAME.script`) is a `book` line
//! (`book depth=D levels=L entries=E`) then one message per line, `W ` or
//! `X ` followed by the body with `|` for SOH (the runner adds a standard
//! header and trailer and decodes it through the real framer and parser).
//! `#` starts a comment line. After every message the runner writes what
//! happened (ok, or the entry and error that stopped it), the change report
//! and the visible book; the text must equal `NAME.golden` exactly.
//! Regenerate after a deliberate change with
//! `FIXRAIL_BLESS=1 cargo test --test md_book golden` and review the diff:
//! each golden file was checked by hand once, it is the spec.

use fixrail::codec::testing::fix;
use fixrail::codec::{Decoded, Decoder};
use fixrail::md::{Book, BookSide, Changes, MdKind, MdMessage, SideChanges};
use fixrail::strategy::Price;
use std::fmt::Write as _;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/md")
}

/// `1.08345000` → `1.08345`, `-0.5`, `100`.
pub fn price_text(p: Price) -> String {
    let neg = p.0 < 0;
    let m = p.0.unsigned_abs();
    let int = m / Price::SCALE as u64;
    let frac = m % Price::SCALE as u64;
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    write!(s, "{int}").unwrap();
    if frac != 0 {
        let f = format!("{frac:08}");
        write!(s, ".{}", f.trim_end_matches('0')).unwrap();
    }
    s
}

fn side_changes(name: &str, c: &SideChanges) -> String {
    match c.first {
        Some(f) => format!("{name} from {} ({}->{})", f + 1, c.prev_len, c.len),
        None => format!("{name} none ({}->{})", c.prev_len, c.len),
    }
}

fn show_changes(c: &Changes) -> String {
    format!(
        "  changes: {}; {}; top {}\n",
        side_changes("bids", &c.bids),
        side_changes("asks", &c.asks),
        if c.top_changed { "changed" } else { "same" }
    )
}

/// The visible book, one line per level: side, 1-based level, price, qty, orders.
pub fn show_book(book: &Book) -> String {
    let mut s = String::new();
    for (name, side) in [("bid", BookSide::Bid), ("ask", BookSide::Ask)] {
        let levels = book.levels(side);
        if levels.is_empty() {
            writeln!(s, "  {name} -").unwrap();
        }
        for (i, l) in levels.iter().enumerate() {
            writeln!(
                s,
                "  {name} {} {} {} {}",
                i + 1,
                price_text(l.price),
                l.qty.0,
                l.orders
            )
            .unwrap();
        }
    }
    s
}

/// Runs one script; returns the golden text.
pub fn run_script(name: &str, script: &str) -> String {
    let mut out = String::new();
    let mut book: Option<Book> = None;
    let mut decoder = Decoder::default();
    let mut seq = 1u64;
    for (n, raw) in script.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(rest) = line.strip_prefix("book ") {
            let mut dims = [0usize; 3];
            for (d, key) in dims.iter_mut().zip(["depth=", "levels=", "entries="]) {
                *d = rest
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix(key))
                    .unwrap_or_else(|| panic!("{name}:{}: `book` needs {key}", n + 1))
                    .parse()
                    .unwrap();
            }
            book = Some(Book::new(dims[0], dims[1], dims[2]));
            writeln!(out, "{line}").unwrap();
            continue;
        }
        let book = book
            .as_mut()
            .unwrap_or_else(|| panic!("{name}:{}: a `book` line comes first", n + 1));
        let (msg_type, body) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("{name}:{}: `W body` or `X body`", n + 1));
        let bytes = fix(&format!(
            "8=FIX.4.4|35={msg_type}|34={seq}|49=VENUE|52=20261122-10:00:00.000|56=FIXRAIL|{body}|"
        ));
        seq += 1;
        let msg = match decoder.decode(&bytes) {
            Decoded::Message(m, _) => m,
            other => panic!("{name}:{}: not a message: {other:?}", n + 1),
        };
        write!(out, "line {} {msg_type}: ", n + 1).unwrap();
        match MdMessage::decode(&msg) {
            Err(e) => writeln!(out, "decode error: {e}").unwrap(),
            Ok(md) => {
                if md.kind() == MdKind::Snapshot {
                    book.clear();
                }
                let mut result = String::from("ok");
                for (i, entry) in md.entries().enumerate() {
                    let applied = entry.map_err(|e| e.to_string()).and_then(|e| {
                        match md.kind() {
                            MdKind::Snapshot => book.apply_snapshot(&e),
                            MdKind::Incremental => book.apply(&e),
                        }
                        .map_err(|e| e.to_string())
                    });
                    if let Err(e) = applied {
                        result = format!("entry {} error: {e}", i + 1);
                        break;
                    }
                }
                writeln!(out, "{result}").unwrap();
            }
        }
        out.push_str(&show_changes(&book.take_changes()));
        out.push_str(&show_book(book));
    }
    if let Some(book) = &book {
        writeln!(out, "hash {:016x}", book.state_hash()).unwrap();
    }
    out
}

/// Every script's output equals its golden file (FIXRAIL_BLESS=1 rewrites
/// them first).
#[test]
fn scripted_books_match_their_golden_files() {
    let bless = std::env::var_os("FIXRAIL_BLESS").is_some_and(|v| v == "1");
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "script").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    names.sort();
    for want in [
        "delete_range",
        "entry_id",
        "errors",
        "overflow",
        "position",
        "price",
    ] {
        assert!(names.iter().any(|n| n == want), "missing {want}.script");
    }
    let mut mismatches = Vec::new();
    for name in &names {
        let script = std::fs::read_to_string(dir().join(format!("{name}.script"))).unwrap();
        let got = run_script(name, &script);
        let golden_path = dir().join(format!("{name}.golden"));
        if bless {
            std::fs::write(&golden_path, &got).unwrap();
        }
        let golden = std::fs::read_to_string(&golden_path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run FIXRAIL_BLESS=1 cargo test --test md_book golden",
                golden_path.display()
            )
        });
        if golden != got {
            mismatches.push(format!("{name}:\n--- golden\n{golden}--- got\n{got}"));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
