//! `fixrail journal`: read-only tools over a journal directory.
//!
//! - `dump` prints records, one line each, with filters;
//! - `verify` checks every segment header and record CRC and exits 1 on
//!   damage, naming the segment file, the offset and the problem;
//! - `stats` counts records per direction, session and MsgType and replays
//!   the sequence state the engine would recover.
//!
//! Everything here goes through [`JournalReader`], which maps the segments
//! read-only and takes no lock: the tools never change a journal (they do not
//! cut a torn tail as `Journal::open` would) and run safely beside a live
//! engine that is appending to it.

use clap::{Args, Subcommand, ValueEnum};
use fixrail::codec::{tags, Tag};
use fixrail::dictionary::{Dictionary, FieldType};
use fixrail::journal::record::{flags, Kind, SegmentHeader, SEGMENT_HEADER_LEN};
use fixrail::journal::{JournalReader, Position, RecordRef, Scanned, SessionSeqs};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum JournalCommand {
    /// Print the journal's records, one line each, oldest first.
    ///
    /// Each line: position (segment:offset), timestamp (UTC), session=N, the
    /// direction (in, out, seq, audit), seq=N, type=MsgType, flags=... (only
    /// when set), then the FIX message with SOH shown as `|` and each tag
    /// followed by its dictionary name, e.g. `35(MsgType)=D|`. Control
    /// records (seq, audit) show their new value or seq, flags and text.
    /// Passwords (554, 925) are always shown as `<redacted>`.
    /// Filters combine (a record must pass all of them).
    Dump(DumpArgs),
    /// Check every segment header and record CRC, without changing anything.
    ///
    /// Exits 0 and prints a one-line summary when the journal is clean; exits
    /// 1 when it found damage (a corrupt record, a torn tail, a bad segment
    /// header or a missing segment), printing one line per problem with the
    /// segment file, the offset and what is wrong. Safe on a live journal.
    Verify {
        /// The journal directory.
        path: PathBuf,
    },
    /// Count records per direction, session and MsgType, and show each
    /// session's sequence state (next outbound, next expected inbound, last
    /// reset) as the engine would recover it.
    Stats {
        /// The journal directory.
        path: PathBuf,
        /// A QuickFIX-format data dictionary for MsgType names (default: the
        /// embedded FIX 4.4 one).
        #[arg(long, value_name = "PATH")]
        dictionary: Option<PathBuf>,
    },
}

#[derive(Args)]
pub struct DumpArgs {
    /// The journal directory.
    path: PathBuf,
    /// Only these sessions (repeat the option or give a comma list).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    session: Vec<u32>,
    /// Only these directions (repeat the option or give a comma list).
    #[arg(long, value_enum, value_name = "DIRECTION", value_delimiter = ',')]
    direction: Vec<Direction>,
    /// Only these sequence numbers: N, FROM..TO (inclusive), FROM.. or ..TO.
    /// A seq record's number is the value it sets.
    #[arg(long, value_name = "FROM..TO", value_parser = parse_seq_range)]
    seq: Option<SeqRange>,
    /// Only messages of these MsgTypes, e.g. `D` or `A,5` (repeatable).
    #[arg(long, value_name = "TYPE", value_delimiter = ',', value_parser = parse_msg_type)]
    msg_type: Vec<MsgTypeArg>,
    /// A QuickFIX-format data dictionary for tag names (default: the embedded
    /// FIX 4.4 one).
    #[arg(long, value_name = "PATH")]
    dictionary: Option<PathBuf>,
    /// Print plain tags (`35=D|`) instead of tags with names (`35(MsgType)=D|`).
    #[arg(long)]
    no_names: bool,
}

/// A record direction, as the tools spell it.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Direction {
    /// Messages received.
    In,
    /// Messages sent.
    Out,
    /// Sequence number changes (resets, manual sets).
    Seq,
    /// Audit notes.
    Audit,
}

impl Direction {
    fn kind(self) -> Kind {
        match self {
            Direction::In => Kind::Inbound,
            Direction::Out => Kind::Outbound,
            Direction::Seq => Kind::SeqChange,
            Direction::Audit => Kind::Audit,
        }
    }
}

/// An inclusive range of sequence numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SeqRange {
    from: u64,
    to: u64,
}

fn parse_seq_range(s: &str) -> Result<SeqRange, String> {
    const EXPECTED: &str = "expected a sequence number N, or a range FROM..TO, FROM.. or ..TO \
                            (e.g. 5, 5..10, 5..)";
    let number = |t: &str| t.trim().parse::<u64>().map_err(|_| EXPECTED.to_string());
    let range = match s.split_once("..") {
        None => {
            let n = number(s)?;
            SeqRange { from: n, to: n }
        }
        Some((a, b)) => SeqRange {
            from: if a.trim().is_empty() { 0 } else { number(a)? },
            to: if b.trim().is_empty() {
                u64::MAX
            } else {
                number(b)?
            },
        },
    };
    if range.from > range.to {
        return Err(format!(
            "FROM ({}) is greater than TO ({}); {EXPECTED}",
            range.from, range.to
        ));
    }
    Ok(range)
}

/// A MsgType given on the command line.
#[derive(Clone, Debug)]
struct MsgTypeArg(Vec<u8>);

fn parse_msg_type(s: &str) -> Result<MsgTypeArg, String> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'=' && b != b'|')
    {
        return Err("expected a MsgType such as D or 8 (printable characters, \
                    no '=', '|' or spaces)"
            .into());
    }
    Ok(MsgTypeArg(s.as_bytes().to_vec()))
}

/// Runs a `fixrail journal` subcommand.
pub fn run(command: JournalCommand) -> Result<ExitCode, String> {
    match command {
        JournalCommand::Dump(args) => dump(&args),
        JournalCommand::Verify { path } => verify(&path),
        JournalCommand::Stats { path, dictionary } => stats(&path, dictionary.as_deref()),
    }
}

// ---------------------------------------------------------------------------
// Opening and walking a journal (read-only).

/// Damage found in a journal.
pub(crate) struct Problem {
    file: PathBuf,
    offset: Option<usize>,
    what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.offset {
            Some(o) => write!(f, "{}: offset {o}: {}", self.file.display(), self.what),
            None => write!(f, "{}: {}", self.file.display(), self.what),
        }
    }
}

/// Maps the journal in `dir` read-only and checks its segment headers.
pub(crate) fn open(dir: &Path) -> Result<(JournalReader, Vec<Problem>), String> {
    let meta = std::fs::metadata(dir)
        .map_err(|e| format!("{}: cannot open journal directory: {e}", dir.display()))?;
    if !meta.is_dir() {
        return Err(format!(
            "{}: not a journal directory (it is a file; a journal is a directory of \
             0000000000000000.seg segment files)",
            dir.display()
        ));
    }
    let reader = JournalReader::open_offline(dir).map_err(|e| e.to_string())?;
    let segments = reader.segments();
    if segments.is_empty() {
        return Err(format!(
            "{}: not a journal directory: no segment files (0000000000000000.seg ...) in it",
            dir.display()
        ));
    }
    let mut problems = Vec::new();
    for (n, seg) in segments.iter().enumerate() {
        let problem = |what: String| Problem {
            file: seg.path.clone(),
            offset: None,
            what,
        };
        if n > 0 && seg.index != segments[n - 1].index + 1 {
            problems.push(problem(format!(
                "segment {} is missing before it",
                segments[n - 1].index + 1
            )));
        }
        let head = seg.bytes(0, SEGMENT_HEADER_LEN.min(seg.len()));
        // The writer's preparer may be creating the newest segment right now:
        // an all-zero header on a last segment without records is not damage.
        let last = n + 1 == segments.len();
        if last
            && head.iter().all(|&b| b == 0)
            && seg.load_length(SEGMENT_HEADER_LEN).unwrap_or(0) == 0
        {
            continue;
        }
        match SegmentHeader::read(head) {
            Err(what) => problems.push(problem(format!("bad segment header: {what}"))),
            Ok(h) => {
                if h.index != seg.index {
                    problems.push(problem(format!(
                        "bad segment header: it says segment {}, the file name says {}",
                        h.index, seg.index
                    )));
                }
                if h.size != seg.len() as u64 {
                    problems.push(problem(format!(
                        "the file is {} bytes but its header says {} (truncated or extended)",
                        seg.len(),
                        h.size
                    )));
                }
            }
        }
    }
    Ok((reader, problems))
}

/// What a walk over the journal meets.
pub(crate) enum Item<'a> {
    Record(RecordRef<'a>),
    Damage(Problem),
}

/// Visits every record and every damaged region in journal order; returns
/// where the next record would be appended (after a writer's recovery).
pub(crate) fn walk<'a>(reader: &'a JournalReader, mut visit: impl FnMut(Item<'a>)) -> Position {
    let segment_path = |index: u64| {
        reader
            .segments()
            .iter()
            .find(|s| s.index == index)
            .map(|s| (s.path.clone(), s.len()))
            .unwrap_or_default()
    };
    // The segment a writer resumes in: the last one, once the empty
    // segments prepared ahead of it are left out (as recovery does).
    let segs = reader.segments();
    let written = segs
        .iter()
        .rposition(|s| s.load_length(SEGMENT_HEADER_LEN) != Some(0))
        .unwrap_or(0);
    let last_segment = segs.get(written).map_or(0, |s| s.index);
    let mut iter = reader.iter_from(Position::default());
    // A torn tail in the last segment is where a writer would resume.
    let mut torn_at = None;
    loop {
        let Some(scanned) = iter.next() else {
            return torn_at.unwrap_or(iter.position());
        };
        torn_at = None;
        match scanned {
            Scanned::Record(r) => visit(Item::Record(r)),
            Scanned::Corrupt { offset, next, what } => {
                // The iterator stands at `next` in the same segment.
                let (file, _) = segment_path(iter.position().segment());
                visit(Item::Damage(Problem {
                    file,
                    offset: Some(offset),
                    what: format!(
                        "corrupt record ({what}): {} bytes skipped to the next good record \
                         at offset {next}",
                        next - offset
                    ),
                }));
            }
            Scanned::TornTail { offset, what } => {
                // The iterator moved on to the segment after the torn one.
                let after = iter.position().segment();
                let index = reader
                    .segments()
                    .iter()
                    .rev()
                    .find(|s| s.index < after)
                    .map_or(0, |s| s.index);
                let (file, len) = segment_path(index);
                let cut = if index == last_segment {
                    torn_at = Some(Position::new(index, offset as u32));
                    " (a writer opening the journal cuts them)"
                } else {
                    ""
                };
                visit(Item::Damage(Problem {
                    file,
                    offset: Some(offset),
                    what: format!(
                        "torn tail ({what}): the last {} bytes of the segment hold no \
                         verifiable record{cut}",
                        len.saturating_sub(offset)
                    ),
                }));
            }
            // The iterator handles segment ends itself.
            Scanned::End { .. } | Scanned::SegmentEnd { .. } => {}
        }
    }
}

fn show_position(p: Position) -> String {
    format!("{}:{}", p.segment(), p.offset())
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Turns a stdout write error into the command's outcome: a closed pipe
/// (`| head`) is a normal end.
fn finish(written: io::Result<ExitCode>) -> Result<ExitCode, String> {
    match written {
        Ok(code) => Ok(code),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(format!("stdout: cannot write: {e}")),
    }
}

pub(crate) fn warn(problem: &Problem) {
    eprintln!("fixrail: warning: {problem}");
}

// ---------------------------------------------------------------------------
// verify

fn verify(dir: &Path) -> Result<ExitCode, String> {
    let (reader, mut problems) = open(dir)?;
    let mut records = 0usize;
    let end = walk(&reader, |item| match item {
        Item::Record(_) => records += 1,
        Item::Damage(p) => problems.push(p),
    });
    let segments = plural(reader.segments().len(), "segment", "segments");
    let records = plural(records, "record", "records");
    let end = show_position(end);
    let mut out = BufWriter::new(io::stdout().lock());
    finish((|| {
        if problems.is_empty() {
            writeln!(
                out,
                "{}: clean: {segments}, {records}, end {end}",
                dir.display()
            )?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        for p in &problems {
            writeln!(out, "{p}")?;
        }
        writeln!(
            out,
            "{}: DAMAGED: {}; {segments}, {records} verified, end {end}",
            dir.display(),
            plural(problems.len(), "problem", "problems"),
        )?;
        out.flush()?;
        Ok(ExitCode::FAILURE)
    })())
}

// ---------------------------------------------------------------------------
// dump

fn dump(args: &DumpArgs) -> Result<ExitCode, String> {
    let dict = crate::load_dictionary(args.dictionary.as_deref())?;
    let (reader, problems) = open(&args.path)?;
    problems.iter().for_each(warn);
    let kinds: Vec<Kind> = args.direction.iter().map(|d| d.kind()).collect();
    let wanted = |r: &RecordRef<'_>| {
        (args.session.is_empty() || args.session.contains(&r.header.session))
            && (kinds.is_empty() || kinds.contains(&r.kind))
            && args
                .seq
                .is_none_or(|s| (s.from..=s.to).contains(&r.header.seq_num))
            && (args.msg_type.is_empty() || {
                let t = msg_type_of(r, &dict);
                is_message(r.kind) && args.msg_type.iter().any(|m| m.0 == *t)
            })
    };
    let mut out = BufWriter::new(io::stdout().lock());
    let mut result = Ok(());
    let mut line = String::new();
    walk(&reader, |item| {
        if result.is_err() {
            return;
        }
        match item {
            Item::Record(r) if wanted(&r) => {
                line.clear();
                format_record(&mut line, &r, &dict, !args.no_names);
                result = writeln!(out, "{line}");
            }
            Item::Record(_) => {}
            Item::Damage(p) => {
                // Keep the order of stdout and the warning on a terminal.
                result = out.flush();
                warn(&p);
            }
        }
    });
    finish(
        result
            .and_then(|()| out.flush())
            .map(|()| ExitCode::SUCCESS),
    )
}

fn is_message(kind: Kind) -> bool {
    matches!(kind, Kind::Inbound | Kind::Outbound)
}

/// The record's MsgType: from the header, or from the message when the
/// header's 4 bytes had to truncate it.
fn msg_type_of<'a>(r: &RecordRef<'a>, dict: &Dictionary) -> Cow<'a, [u8]> {
    if r.header.flags & flags::MSG_TYPE_TRUNCATED != 0 {
        if let Some(v) = split_fields(r.payload, dict)
            .into_iter()
            .find_map(|p| match p {
                Piece::Field {
                    tag: Some(35),
                    value,
                    ..
                } => Some(value),
                _ => None,
            })
        {
            return Cow::Borrowed(v);
        }
    }
    Cow::Owned(r.header.msg_type().to_vec())
}

fn flag_names(bits: u16) -> String {
    const NAMES: [(u16, &str); 6] = [
        (flags::POSS_DUP, "possdup"),
        (flags::RESET, "reset"),
        (flags::SET_NEXT_OUT, "set-next-out"),
        (flags::SET_NEXT_IN, "set-next-in"),
        (flags::ADVANCES_IN, "advances-in"),
        (flags::MSG_TYPE_TRUNCATED, "msgtype-truncated"),
    ];
    let mut names: Vec<String> = NAMES
        .iter()
        .filter(|(bit, _)| bits & bit != 0)
        .map(|(_, name)| name.to_string())
        .collect();
    let unknown = NAMES.iter().fold(bits, |b, (bit, _)| b & !bit);
    if unknown != 0 {
        names.push(format!("{unknown:#x}"));
    }
    names.join(",")
}

fn format_record(line: &mut String, r: &RecordRef<'_>, dict: &Dictionary, names: bool) {
    let h = &r.header;
    let _ = write!(
        line,
        "{} {} session={} {}",
        show_position(r.position),
        utc(h.timestamp_ns),
        h.session,
        r.kind.as_str()
    );
    match r.kind {
        Kind::SeqChange => {
            let _ = write!(line, " to={}", h.seq_num);
        }
        _ => {
            let _ = write!(line, " seq={}", h.seq_num);
        }
    }
    if is_message(r.kind) {
        let _ = write!(line, " type={}", escape(&msg_type_of(r, dict)));
    }
    if h.flags != 0 {
        let _ = write!(line, " flags={}", flag_names(h.flags));
    }
    if is_message(r.kind) {
        line.push(' ');
        format_message(line, r.payload, dict, names);
    } else {
        let _ = write!(line, " text={:?}", String::from_utf8_lossy(r.payload));
    }
}

/// A piece of a stored FIX message.
enum Piece<'a> {
    Field {
        tag_text: &'a [u8],
        tag: Option<Tag>,
        value: &'a [u8],
    },
    /// Bytes up to a delimiter that are not `tag=value`.
    Junk(&'a [u8]),
}

/// Splits a message into fields at SOH (or at `|` in a message stored with
/// `|`), reading a data field (e.g. RawData) by its preceding length field
/// so that an SOH inside its value does not split it.
fn split_fields<'a>(payload: &'a [u8], dict: &Dictionary) -> Vec<Piece<'a>> {
    let delim = if !payload.contains(&0x01) && payload.contains(&b'|') {
        b'|'
    } else {
        0x01
    };
    let field_type = |tag: Option<Tag>| tag.and_then(|t| dict.field(t)).map(|f| f.field_type);
    let mut pieces = Vec::new();
    let mut data_len: Option<usize> = None;
    let mut rest = payload;
    while !rest.is_empty() {
        let until_delim = rest.iter().position(|&b| b == delim).unwrap_or(rest.len());
        let Some(eq) = rest[..until_delim].iter().position(|&b| b == b'=') else {
            pieces.push(Piece::Junk(&rest[..until_delim]));
            rest = rest.get(until_delim + 1..).unwrap_or_default();
            data_len = None;
            continue;
        };
        let tag_text = &rest[..eq];
        let tag = std::str::from_utf8(tag_text)
            .ok()
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<Tag>().ok());
        let mut end = until_delim;
        if let Some(n) = data_len {
            let data_end = eq + 1 + n;
            let is_data = matches!(field_type(tag), Some(FieldType::Data | FieldType::XmlData));
            if is_data && data_end <= rest.len() && rest.get(data_end).is_none_or(|&b| b == delim) {
                end = data_end;
            }
        }
        let value = &rest[eq + 1..end];
        data_len = match field_type(tag) {
            Some(FieldType::Length) => std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()),
            _ => None,
        };
        pieces.push(Piece::Field {
            tag_text,
            tag,
            value,
        });
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    pieces
}

fn format_message(line: &mut String, payload: &[u8], dict: &Dictionary, names: bool) {
    for piece in split_fields(payload, dict) {
        match piece {
            Piece::Field {
                tag_text,
                tag,
                value,
            } => {
                line.push_str(&escape(tag_text));
                if names {
                    if let Some(def) = tag.and_then(|t| dict.field(t)) {
                        let _ = write!(line, "({})", def.name);
                    }
                }
                line.push('=');
                if matches!(tag, Some(tags::PASSWORD | tags::NEW_PASSWORD)) {
                    line.push_str("<redacted>");
                } else {
                    line.push_str(&escape(value));
                }
            }
            Piece::Junk(bytes) => line.push_str(&escape(bytes)),
        }
        line.push('|');
    }
}

/// Text for one output line: SOH as `|`, other control characters escaped.
fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len());
    for c in String::from_utf8_lossy(bytes).chars() {
        match c {
            '\u{1}' => s.push('|'),
            c if c.is_control() => {
                let _ = write!(s, "\\x{:02x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s
}

/// `2026-11-22T10:00:00.123456789Z` for nanoseconds since the Unix epoch.
pub(crate) fn utc(nanos: i64) -> String {
    let t = fixrail::codec::UtcTimestamp::from_unix_nanos(nanos);
    let d = t.date();
    let day_secs = t.unix_secs().rem_euclid(86_400);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        d.year,
        d.month,
        d.day,
        day_secs / 3600,
        day_secs / 60 % 60,
        day_secs % 60,
        t.subsec_nanos()
    )
}

// ---------------------------------------------------------------------------
// stats

#[derive(Default)]
struct Counts {
    by_kind: [u64; 4],
}

impl Counts {
    fn add(&mut self, kind: Kind) {
        self.by_kind[kind as usize - 1] += 1;
    }
    fn get(&self, kind: Kind) -> u64 {
        self.by_kind[kind as usize - 1]
    }
    fn total(&self) -> u64 {
        self.by_kind.iter().sum()
    }
}

const KINDS: [Kind; 4] = [Kind::Inbound, Kind::Outbound, Kind::SeqChange, Kind::Audit];

fn stats(dir: &Path, dictionary: Option<&Path>) -> Result<ExitCode, String> {
    let dict = crate::load_dictionary(dictionary)?;
    let (reader, problems) = open(dir)?;
    problems.iter().for_each(warn);
    let mut all = Counts::default();
    let mut sessions: BTreeMap<u32, (Counts, SessionSeqs)> = BTreeMap::new();
    let mut types: BTreeMap<Vec<u8>, Counts> = BTreeMap::new();
    let mut damage = problems.len();
    let end = walk(&reader, |item| match item {
        Item::Record(r) => {
            all.add(r.kind);
            let (counts, seqs) = sessions
                .entry(r.header.session)
                .or_insert_with(|| (Counts::default(), SessionSeqs::new(1)));
            counts.add(r.kind);
            // The same rules recovery applies (journal::sessions).
            seqs.apply(&r.header, r.kind, r.position);
            if is_message(r.kind) {
                types
                    .entry(msg_type_of(&r, &dict).into_owned())
                    .or_default()
                    .add(r.kind);
            }
        }
        Item::Damage(p) => {
            damage += 1;
            warn(&p);
        }
    });
    let by_kind = |c: &Counts| {
        KINDS
            .iter()
            .map(|&k| format!("{} {}", k.as_str(), c.get(k)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = BufWriter::new(io::stdout().lock());
    finish((|| {
        writeln!(
            out,
            "{}: {}, {}, {}, end {}{}",
            dir.display(),
            plural(reader.segments().len(), "segment", "segments"),
            plural(all.total() as usize, "record", "records"),
            plural(sessions.len(), "session", "sessions"),
            show_position(end),
            if damage == 0 {
                String::new()
            } else {
                format!(
                    " ({} skipped; see `fixrail journal verify`)",
                    plural(damage, "damaged region", "damaged regions")
                )
            }
        )?;
        writeln!(out, "by direction: {}", by_kind(&all))?;
        writeln!(out, "by session:")?;
        for (id, (counts, _)) in &sessions {
            writeln!(
                out,
                "  session {id}: {} ({})",
                plural(counts.total() as usize, "record", "records"),
                by_kind(counts)
            )?;
        }
        writeln!(out, "by MsgType:")?;
        for (t, counts) in &types {
            let name = dict.message(t).map_or("?", |m| &*m.name);
            writeln!(
                out,
                "  {} {name}: {} (in {}, out {})",
                escape(t),
                counts.total(),
                counts.get(Kind::Inbound),
                counts.get(Kind::Outbound)
            )?;
        }
        writeln!(out, "sequence state (as recovery rebuilds it):")?;
        for (id, (_, seqs)) in &sessions {
            let reset = seqs.last_reset.map_or("never reset".to_string(), |p| {
                format!("last reset at {}", show_position(p))
            });
            writeln!(
                out,
                "  session {id}: next out {}, next in {}, {reset}",
                seqs.next_out, seqs.next_in
            )?;
        }
        out.flush()?;
        Ok(ExitCode::SUCCESS)
    })())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_ranges_parse_every_documented_form_and_refuse_the_rest() {
        // N, FROM..TO, FROM.. and ..TO are inclusive ranges; junk and
        // reversed ranges say what is expected.
        assert_eq!(parse_seq_range("7"), Ok(SeqRange { from: 7, to: 7 }));
        assert_eq!(parse_seq_range("2..5"), Ok(SeqRange { from: 2, to: 5 }));
        assert_eq!(
            parse_seq_range("3.."),
            Ok(SeqRange {
                from: 3,
                to: u64::MAX
            })
        );
        assert_eq!(parse_seq_range("..4"), Ok(SeqRange { from: 0, to: 4 }));
        assert!(parse_seq_range("abc").unwrap_err().starts_with("expected"));
        assert!(parse_seq_range("5..2").unwrap_err().contains("greater"));
    }

    #[test]
    fn timestamps_print_as_utc_with_nanoseconds() {
        // Checked against the codec's calendar arithmetic, before and after
        // the epoch and on a leap day.
        use fixrail::codec::UtcTimestamp;
        let t = |y, mo, d, h, mi, s, n| {
            UtcTimestamp::from_parts(y, mo, d, h, mi, s, n)
                .unwrap()
                .unix_nanos()
        };
        assert_eq!(
            utc(t(2026, 11, 22, 10, 0, 0, 123_456_789)),
            "2026-11-22T10:00:00.123456789Z"
        );
        assert_eq!(
            utc(t(2024, 2, 29, 23, 59, 59, 1)),
            "2024-02-29T23:59:59.000000001Z"
        );
        assert_eq!(
            utc(t(1969, 12, 31, 23, 59, 59, 5)),
            "1969-12-31T23:59:59.000000005Z"
        );
    }

    #[test]
    fn a_data_field_keeps_its_soh_and_passwords_never_show() {
        // RawData (96) is read by RawDataLength (95), so its SOH does not
        // split it; 554 and 925 print as <redacted> with or without names.
        let dict = Dictionary::fix44();
        let msg = b"35=A\x0195=3\x0196=a\x01b\x01554=secret\x01925=new\x01junk\x01";
        let mut named = String::new();
        format_message(&mut named, msg, &dict, true);
        assert_eq!(
            named,
            "35(MsgType)=A|95(RawDataLength)=3|96(RawData)=a|b|\
             554(Password)=<redacted>|925(NewPassword)=<redacted>|junk|"
        );
        let mut plain = String::new();
        format_message(&mut plain, msg, &dict, false);
        assert_eq!(
            plain,
            "35=A|95=3|96=a|b|554=<redacted>|925=<redacted>|junk|"
        );
    }
}
