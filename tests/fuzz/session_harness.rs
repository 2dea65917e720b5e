//! The session fuzz harness, shared by the libFuzzer target
//! (`tests/fuzz/fuzz_targets/session.rs`) and the stable test
//! (`tests/session_fuzz.rs`).
//!
//! Input layout: byte 0 picks the read size (0 = everything at once, n =
//! reads of n bytes); the rest is what the counterparty sends after a valid
//! Logon that the harness sends first. The bytes run through a receive loop
//! (framer + parser) into an acceptor session with the echo application, the
//! virtual clock advancing 250 ms per read and the timers ticking. After a
//! disconnect the harness reconnects and logs on again with ResetSeqNumFlag.
//!
//! Checked on every step:
//! - nothing panics;
//! - everything the session writes is one whole, well-formed message per
//!   entry: it frames alone to its full length (BodyLength and CheckSum
//!   right), parses, and passes the FIX 4.4 dictionary's validation;
//! - its MsgSeqNums are contiguous: every original message takes the next
//!   number (a Logon with ResetSeqNumFlag starts again at 1), and a PossDup
//!   resend or GapFill never carries a number not yet used;
//! - the inbound counter never moves backwards except by a reset.

use fixrail::codec::testing::fix;
use fixrail::codec::{tags, Decoded, Decoder, Frame, Framer, Parser, UtcTimestamp};
use fixrail::dictionary::{Dictionary, ValidationConfig, Validator};
use fixrail::session::{
    DisconnectReason, EchoApplication, MemoryStore, Outbox, Role, Session, SessionConfig,
    SessionStore,
};
use std::sync::{Arc, OnceLock};

fn dict() -> Arc<Dictionary> {
    static DICT: OnceLock<Arc<Dictionary>> = OnceLock::new();
    Arc::clone(DICT.get_or_init(|| Arc::new(Dictionary::fix44())))
}

const T0: i64 = 1_790_000_000_000_000_000;

fn logon(seq: u64, reset: bool) -> Vec<u8> {
    fix(&format!(
        "8=FIX.4.4|35=A|34={seq}|49=TW|52=20260921-14:13:20.000|56=ISLD|98=0|108=2|{}",
        if reset { "141=Y|" } else { "" }
    ))
}

/// What one input made the session write, by MsgType (PossDup counted apart).
#[derive(Debug, Default, Clone)]
pub struct Stats {
    /// Originals by MsgType.
    pub sent: std::collections::BTreeMap<String, u64>,
    /// PossDup resends and GapFills.
    pub poss_dup: u64,
    /// Connections ended.
    pub disconnects: u64,
}

struct Checker {
    stats: Stats,
    framer: Framer,
    parser: Parser,
    validator: Validator,
    /// The next number an original message must carry.
    next_out: u64,
}

impl Checker {
    fn check(&mut self, out: &Outbox) {
        let dict = dict();
        for m in out.messages() {
            match self.framer.frame(m) {
                Frame::Message(f) => assert_eq!(f.len, m.len(), "one message per entry"),
                other => panic!("the session wrote a message that does not frame: {other:?}"),
            }
            let msg = self.parser.parse(m).expect("our output parses");
            if let Err(r) = self.validator.validate(&dict, &msg) {
                panic!(
                    "the session wrote an invalid message ({r}): {}",
                    fixrail::codec::testing::show(m)
                );
            }
            let seq = msg.seq_num().expect("MsgSeqNum");
            let poss_dup = msg
                .get(tags::POSS_DUP_FLAG)
                .is_some_and(|f| f.value() == b"Y");
            let reset = msg.msg_type() == b"A"
                && msg
                    .get(tags::RESET_SEQ_NUM_FLAG)
                    .is_some_and(|f| f.value() == b"Y");
            if poss_dup {
                self.stats.poss_dup += 1;
            } else {
                *self
                    .stats
                    .sent
                    .entry(String::from_utf8_lossy(msg.msg_type()).into_owned())
                    .or_default() += 1;
            }
            if poss_dup {
                assert!(seq < self.next_out, "resend of a number never used: {seq}");
            } else {
                if reset {
                    self.next_out = 1;
                }
                assert_eq!(seq, self.next_out, "originals take contiguous numbers");
                self.next_out = seq + 1;
            }
        }
    }
}

/// Runs one input; panics on a broken invariant.
pub fn fuzz_session(data: &[u8]) -> Stats {
    let Some((&chunk, stream)) = data.split_first() else {
        return Stats::default();
    };
    let mut cfg = SessionConfig::new(Role::Acceptor, "ISLD", "TW");
    cfg.check_latency = false;
    cfg.message_size_max = 4096;
    cfg.resend.queue_capacity = 64;
    cfg.validation = ValidationConfig::default();
    let mut session = Session::new(cfg, dict()).expect("session");
    let mut store = MemoryStore::default();
    let mut app = EchoApplication::default();
    let mut out = Outbox::default();
    let mut decoder = Decoder::default();
    let mut checker = Checker {
        stats: Stats::default(),
        framer: Framer::default(),
        parser: Parser::new(
            dict().parse_spec().clone(),
            fixrail::codec::parse::FIELDS_MAX_DEFAULT,
        ),
        validator: Validator::new(&dict(), ValidationConfig::default()),
        next_out: 1,
    };
    let mut now = UtcTimestamp::from_unix_nanos(T0);
    let mut buf: Vec<u8> = Vec::new();
    let mut reconnects = 0;

    let connect = |now: UtcTimestamp,
                   session: &mut Session,
                   store: &mut MemoryStore,
                   out: &mut Outbox,
                   buf: &mut Vec<u8>,
                   reset: bool| {
        session.connected(now, store, out);
        buf.clear();
        buf.extend_from_slice(&logon(if reset { 1 } else { store.next_in() }, reset));
    };
    connect(now, &mut session, &mut store, &mut out, &mut buf, false);

    let step = if chunk == 0 {
        stream.len().max(1)
    } else {
        chunk as usize
    };
    let mut pos = 0;
    loop {
        let end = (pos + step).min(stream.len());
        buf.extend_from_slice(&stream[pos..end]);
        pos = end;
        now = UtcTimestamp::from_unix_nanos(now.unix_nanos() + 250_000_000);
        let mut disconnect: Option<DisconnectReason> = None;
        loop {
            let in_before = store.next_in();
            let (consumed, garbled) = match decoder.decode(&buf) {
                Decoded::NeedMore => break,
                Decoded::Garbled { skip, .. } | Decoded::Unparseable { skip, .. } => (skip, true),
                Decoded::Message(msg, len) => {
                    session.on_message(now, &msg, &mut store, &mut app, &mut out);
                    (len, false)
                }
            };
            if garbled {
                session.on_garbled(now, &mut out);
            }
            assert!(consumed > 0 && consumed <= buf.len(), "progress");
            buf.drain(..consumed);
            checker.check(&out);
            let in_after = store.next_in();
            assert!(
                in_after >= in_before || in_after == 1 || in_after == 2,
                "inbound counter moved back from {in_before} to {in_after} without a reset"
            );
            disconnect = out.disconnect();
            out.clear();
            if disconnect.is_some() {
                break;
            }
        }
        session.on_tick(now, &mut store, &mut out);
        checker.check(&out);
        disconnect = disconnect.or(out.disconnect());
        out.clear();
        if let Some(reason) = disconnect {
            session.disconnected(now, &mut store, reason, &mut out);
            out.clear();
            reconnects += 1;
            checker.stats.disconnects += 1;
            if reconnects > 50 {
                return checker.stats;
            }
            connect(now, &mut session, &mut store, &mut out, &mut buf, false);
        }
        if pos >= stream.len() {
            return checker.stats;
        }
    }
}
