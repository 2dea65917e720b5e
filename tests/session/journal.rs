//! The session on the production store, the journal, end to end.

use super::*;

/// End to end on the production store: messages go to the journal, a
/// ResendRequest is served from it, and after reopening the journal the
/// counters are recovered and the next Logon continues from them.
#[test]
fn journal_store_end_to_end() {
    use fixrail::journal::Journal;
    let dir = common::TempDir::new("session-journal-store");
    let config = common::journal_config(dir.path(), 1 << 20, 4, 1024);
    let (orders, next_in) = {
        let (mut journal, _) = Journal::open(config.clone(), harness::t0()).unwrap();
        let store = JournalStore::new(&mut journal, 1).unwrap();
        let mut h = Harness::new(acceptor_config(), store, Recorder::default());
        h.establish(30); // our 1
        let mut orders = Vec::new();
        for i in 2..=4 {
            h.advance(1);
            h.send_app("D", &[(11, &format!("J{i}")), (55, "IBM")]);
            orders.push(h.expect("35=D|"));
        }
        h.send("1", "112=ping|"); // our 5
        h.expect("35=0|34=5|");
        // An inbound gap, held and filled, goes through the journal too.
        h.send_at(5, "1", "112=held|");
        h.expect("35=2|34=6|7=3|16=0|");
        h.send_at(3, "4", "43=Y|122=<TIME>|36=5|123=Y|");
        h.expect("35=0|34=7|112=held|");
        h.send("2", "7=1|16=0|");
        h.expect_exact("35=4|34=1|43=Y|49=ISLD|52=*|56=TW44|122=*|36=2|123=Y|");
        for o in &orders {
            let again = h.expect("35=D|43=Y|");
            assert_eq!(again.seq(), o.seq());
            assert_eq!(again.get(122), o.get(52));
            assert_eq!(again.get(11), o.get(11));
        }
        h.expect_exact("35=4|34=5|43=Y|49=ISLD|52=*|56=TW44|122=*|36=8|123=Y|");
        h.expect_none();
        assert_eq!(h.store.next_out(), 8);
        let next_in = h.store.next_in();
        assert_eq!((next_in, h.peer.next_seq), (7, 7));
        h.drop_connection(DisconnectReason::Io(ErrorKind::ConnectionReset));
        (orders, next_in)
    };
    let (mut journal, _) = Journal::open(config, harness::t0()).unwrap();
    let seqs = journal.session(1).unwrap();
    assert_eq!((seqs.next_out, seqs.next_in), (8, next_in));
    let store = JournalStore::new(&mut journal, 1).unwrap();
    let mut h = Harness::new(acceptor_config(), store, Recorder::default());
    h.peer.next_seq = next_in;
    h.connect();
    h.send("A", "98=0|108=30|");
    h.expect("35=A|34=8|");
    h.send("2", "7=2|16=4|");
    for o in &orders {
        let again = h.expect("35=D|43=Y|");
        assert_eq!(
            again.get(122),
            o.get(52),
            "served from the reopened journal"
        );
    }
    h.expect_none();
}
