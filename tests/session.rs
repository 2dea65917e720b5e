//! The FIX 4.4 session rules of `fixrail::session`, one test per rule, run
//! deterministically: a virtual clock moved by hand, a scripted counterparty
//! writing messages as text, no sockets and no sleeps (see
//! `tests/session/harness.rs`). Where the FIX specification leaves room, the
//! expected behaviour is QuickFIX's, as its acceptance scripts in
//! `../shared/conformance/quickfix-at/fix44` show it; tests that mirror a
//! script name it.

mod common;
#[path = "session/harness.rs"]
mod harness;

#[path = "session/gaps.rs"]
mod gaps;
#[path = "session/heartbeat.rs"]
mod heartbeat;
#[path = "session/journal.rs"]
mod journal;
#[path = "session/logon.rs"]
mod logon;
#[path = "session/logout.rs"]
mod logout;
#[path = "session/lost_store.rs"]
mod lost_store;
#[path = "session/rejects.rs"]
mod rejects;
#[path = "session/resend.rs"]
mod resend;
#[path = "session/scripts.rs"]
mod scripts;
#[path = "session/sequence.rs"]
mod sequence;

#[allow(dead_code)] // shared with tests/acceptance.rs; only part of it is used here
#[path = "acceptance/script.rs"]
mod script;

use fixrail::session::{
    DisconnectReason, EchoApplication, Event, Ignored, JournalStore, MemoryStore, MsgTypeKey,
    NoApplication, Role, SendError, SeqTooLowPolicy, SessionStore, State, Text,
};
use harness::{acceptor_config, fmt_time, Harness, Recorder};
use std::io::ErrorKind;

/// The body of a valid NewOrderSingle from the counterparty.
const ORDER: &str = "11=ID|21=3|40=1|54=1|55=INTC|60=<TIME>|";

/// Header fields a PossDup resend from the counterparty carries.
const RESENT: &str = "43=Y|122=<TIME>|";

fn both_roles(test: impl Fn(Harness)) {
    test(Harness::acceptor(|_| {}));
    test(Harness::initiator(|_| {}));
}

fn key(t: &str) -> MsgTypeKey {
    MsgTypeKey::new(t.as_bytes()).unwrap()
}
