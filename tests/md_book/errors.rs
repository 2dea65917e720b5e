//! Error cases: every book error leaves the book exactly as it was; decoding
//! reads the right fields (37 as a W entry's id, 278 over 37, symbols
//! inherited in X, 262 and W's 55 at message level) and names the tag of a
//! bad value; and thousands of randomly corrupted W/X messages decode and
//! apply without a panic (debug build: overflow checks on).

use crate::common::Rng;
use fixrail::codec::testing::fix;
use fixrail::codec::{Decoded, Decoder};
use fixrail::md::book::ENTRY_ID_MAX;
use fixrail::md::{
    Applied, Book, BookError, BookSide, Limit, MdEntry, MdError, MdKind, MdMessage, UpdateAction,
};
use fixrail::strategy::{Price, Qty};

fn entry<'a>(action: UpdateAction, kind: u8, price: i64, size: i64) -> MdEntry<'a> {
    let mut e = MdEntry::new(action, kind);
    e.price = Some(Price(price));
    e.size = Some(Qty(size));
    e
}

/// Asserts that `e` fails with `want` and changes nothing (levels, ids,
/// hash, change report).
fn refused(book: &mut Book, e: &MdEntry<'_>, want: BookError) {
    book.take_changes();
    let hash = book.state_hash();
    let (bids, asks, ids) = (
        book.levels_kept(BookSide::Bid),
        book.levels_kept(BookSide::Ask),
        book.entries(),
    );
    assert_eq!(book.apply(e), Err(want), "{e:?}");
    assert_eq!(book.state_hash(), hash, "{e:?} changed the book");
    assert_eq!(
        (
            book.levels_kept(BookSide::Bid),
            book.levels_kept(BookSide::Ask),
            book.entries()
        ),
        (bids, asks, ids),
        "{e:?}"
    );
    assert!(book.take_changes().is_empty(), "{e:?} reported a change");
}

/// Unknown and duplicate ids, renames onto a held id, side mismatches, long
/// ids, missing fields, full tables, bad positions and unknown levels are
/// errors that leave the book untouched.
#[test]
fn book_errors_leave_the_book_unchanged() {
    let mut book = Book::new(2, 2, 2);
    let mut a = entry(UpdateAction::New, b'0', 100, 5);
    a.entry_id = Some(b"A");
    let mut b = entry(UpdateAction::New, b'1', 110, 5);
    b.entry_id = Some(b"B");
    assert_eq!(book.apply(&a), Ok(Applied::Updated(BookSide::Bid)));
    assert_eq!(book.apply(&b), Ok(Applied::Updated(BookSide::Ask)));
    assert_eq!(
        book.apply(&entry(UpdateAction::New, b'0', 99, 1)),
        Ok(Applied::Updated(BookSide::Bid))
    );

    refused(&mut book, &a, BookError::DuplicateEntryId);
    let mut c = entry(UpdateAction::New, b'0', 100, 5);
    c.entry_id = Some(b"C");
    refused(&mut book, &c, BookError::Full(Limit::Entries));
    let mut unknown = MdEntry::new(UpdateAction::Change, b'0');
    unknown.entry_id = Some(b"Z");
    refused(&mut book, &unknown, BookError::UnknownEntryId);
    unknown.kind = None;
    unknown.action = UpdateAction::Delete;
    refused(&mut book, &unknown, BookError::UnknownEntryId);
    let mut wrong_side = MdEntry::new(UpdateAction::Delete, b'1');
    wrong_side.entry_id = Some(b"A");
    refused(&mut book, &wrong_side, BookError::SideMismatch);
    let mut rename = MdEntry::new(UpdateAction::Change, b'0');
    rename.ref_id = Some(b"A");
    rename.entry_id = Some(b"B");
    refused(&mut book, &rename, BookError::DuplicateEntryId);
    let long = [b'x'; ENTRY_ID_MAX + 1];
    let mut too_long = entry(UpdateAction::New, b'0', 100, 1);
    too_long.entry_id = Some(&long);
    refused(
        &mut book,
        &too_long,
        BookError::EntryIdTooLong {
            len: ENTRY_ID_MAX + 1,
        },
    );
    // A third bid level (the side keeps 2).
    refused(
        &mut book,
        &entry(UpdateAction::New, b'0', 98, 1),
        BookError::Full(Limit::Levels(BookSide::Bid)),
    );
    let mut no_type = entry(UpdateAction::New, b'0', 100, 1);
    no_type.kind = None;
    refused(&mut book, &no_type, BookError::Missing { tag: 269 });
    let mut no_price = MdEntry::new(UpdateAction::New, b'0');
    no_price.size = Some(Qty(1));
    refused(&mut book, &no_price, BookError::Missing { tag: 270 });
    let mut no_size = MdEntry::new(UpdateAction::Change, b'1');
    no_size.price = Some(Price(110));
    refused(&mut book, &no_size, BookError::Missing { tag: 271 });
    refused(
        &mut book,
        &entry(UpdateAction::Delete, b'1', 111, 0),
        BookError::UnknownLevel { price: Price(111) },
    );
    let mut pos = entry(UpdateAction::Change, b'1', 110, 1);
    pos.position = Some(2);
    refused(
        &mut book,
        &pos,
        BookError::PositionOutOfRange {
            position: 2,
            len: 1,
        },
    );
    pos.action = UpdateAction::New;
    pos.position = Some(1);
    pos.price = Some(Price(120)); // worse than the best offer: out of order at 1
    refused(&mut book, &pos, BookError::OutOfOrder { position: 1 });
    pos.action = UpdateAction::DeleteThru;
    pos.position = Some(3);
    refused(
        &mut book,
        &pos,
        BookError::PositionOutOfRange {
            position: 3,
            len: 1,
        },
    );

    // A trade is not the book's business, whatever it carries.
    let mut trade = entry(UpdateAction::Delete, b'2', 1, 1);
    trade.entry_id = Some(b"nope");
    assert_eq!(book.apply(&trade), Ok(Applied::Ignored));

    // Moving A (alone at 100) to 98 frees its level: allowed though the side is full.
    let mut move_a = MdEntry::new(UpdateAction::Change, b'0');
    move_a.entry_id = Some(b"A");
    move_a.price = Some(Price(98));
    assert_eq!(book.apply(&move_a), Ok(Applied::Updated(BookSide::Bid)));
    let bids: Vec<_> = book.bids().iter().map(|l| (l.price.0, l.qty.0)).collect();
    assert_eq!(bids, [(99, 1), (98, 5)]);
}

fn decode_one(text: &str, f: impl FnOnce(Result<MdMessage<'_>, MdError>)) {
    let bytes = fix(&format!("8=FIX.4.4|35={text}|"));
    let mut d = Decoder::default();
    match d.decode(&bytes) {
        Decoded::Message(m, _) => f(MdMessage::decode(&m)),
        other => panic!("{text}: {other:?}"),
    }
}

const HDR: &str = "34=2|49=V|56=T|52=20261122-10:00:00";

/// W: 262 and 55 at message level, 37 as the entry id when there is no
/// 278, 278 preferred; X: 55 inherited from the previous entry, 280, 290,
/// 346 read; a non-market-data message is refused.
#[test]
fn decoding_reads_the_fields_each_message_type_carries() {
    decode_one(
        &format!("W|{HDR}|262=REQ|55=EUR/USD|268=2|269=0|270=1.5|271=10|37=O1|346=3|269=1|270=1.6|271=20|37=O2|278=E2"),
        |md| {
            let md = md.unwrap();
            assert_eq!(md.kind(), MdKind::Snapshot);
            assert_eq!(md.req_id(), Some(&b"REQ"[..]));
            assert_eq!(md.symbol(), Some(&b"EUR/USD"[..]));
            assert_eq!(md.len(), 2);
            let es: Vec<_> = md.entries().map(Result::unwrap).collect();
            assert_eq!(es[0].entry_id, Some(&b"O1"[..]));
            assert_eq!(es[0].orders, Some(3));
            assert_eq!(es[0].price, Some(Price(150_000_000)));
            assert_eq!(es[0].symbol, Some(&b"EUR/USD"[..]));
            assert_eq!(es[1].entry_id, Some(&b"E2"[..]));
            assert_eq!(es[1].kind, Some(b'1'));
            assert!(es.iter().all(|e| e.action == UpdateAction::New));
        },
    );
    decode_one(
        &format!("X|{HDR}|262=REQ|268=3|279=1|269=0|278=N|280=O|55=AAA|270=2|271=7|279=2|269=0|290=4|279=0|269=1|55=BBB|270=3|271=1|346=2"),
        |md| {
            let md = md.unwrap();
            assert_eq!(md.kind(), MdKind::Incremental);
            assert_eq!(md.symbol(), None);
            let es: Vec<_> = md.entries().map(Result::unwrap).collect();
            assert_eq!(es[0].action, UpdateAction::Change);
            assert_eq!((es[0].entry_id, es[0].ref_id), (Some(&b"N"[..]), Some(&b"O"[..])));
            assert_eq!(es[1].symbol, Some(&b"AAA"[..]), "inherited");
            assert_eq!(es[1].position, Some(4));
            assert_eq!(es[1].price, None);
            assert_eq!(es[2].symbol, Some(&b"BBB"[..]));
            assert_eq!(es[2].orders, Some(2));
        },
    );
    decode_one(&format!("0|{HDR}"), |md| {
        assert_eq!(md.unwrap_err(), MdError::NotMarketData)
    });
    decode_one(&format!("X|{HDR}|268=1|269=0|279=0|270=1|271=1"), |md| {
        // 279 is X's delimiter: an entry must start with it.
        assert!(matches!(md.unwrap_err(), MdError::Invalid { tag: 269, .. }));
    });
    decode_one(&format!("X|{HDR}|268=x|279=0"), |md| {
        assert!(matches!(md.unwrap_err(), MdError::Value { tag: 268, .. }))
    });
    decode_one(
        &format!("X|{HDR}|268=1|279=0|269=0|270=1|271=1|346=99999999999"),
        |md| {
            let e = md.unwrap().entries().next().unwrap().unwrap_err();
            assert!(matches!(e, MdError::Value { tag: 346, .. }), "{e}");
        },
    );
}

/// Randomly corrupted W and X messages (a byte of a value replaced, a
/// field dropped or doubled) decode and apply without a panic, whatever
/// they say, in every keying; the book stays within its limits.
#[test]
fn corrupted_messages_never_panic() {
    let templates = [
        "W|262=R|55=S|268=3|269=0|270=1.5|271=10|37=O1|269=1|270=1.6|271=20|269=0|270=1.4|271=5|290=2",
        "X|262=R|268=3|279=0|269=0|278=A|270=1.5|271=10|279=1|269=0|278=A|280=A|270=1.45|271=4|279=2|278=A",
        "X|262=R|268=3|279=0|269=1|290=1|270=2|271=3|279=1|269=1|290=1|271=4|279=2|269=1|290=1",
        "X|262=R|268=4|279=0|269=0|270=1.5|271=10|346=2|279=3|269=0|270=1.5|279=4|269=1|290=1|279=5|269=0|270=9|271=1",
    ];
    let alphabet = b"0123456789.-AZ";
    let mut rng = Rng(0xc0ff_ee00);
    let mut book = Book::new(3, 4, 4);
    let mut decoder = Decoder::default();
    let (mut decoded, mut applied) = (0, 0);
    for round in 0..20_000 {
        let t = templates[rng.below(templates.len())];
        let mut fields: Vec<String> = t.split('|').map(String::from).collect();
        for _ in 0..1 + rng.below(3) {
            let i = 1 + rng.below(fields.len() - 1);
            match rng.below(4) {
                0 => {
                    fields.remove(i);
                }
                1 => {
                    let f = fields[i].clone();
                    fields.insert(i, f);
                }
                _ => {
                    let f = &mut fields[i];
                    if let Some(eq) = f.find('=') {
                        let mut bytes = f.clone().into_bytes();
                        let at = eq + 1 + rng.below(bytes.len() - eq);
                        let c = alphabet[rng.below(alphabet.len())];
                        if at < bytes.len() {
                            bytes[at] = c;
                        } else {
                            bytes.push(c);
                        }
                        *f = String::from_utf8(bytes).unwrap();
                    }
                }
            }
        }
        let (msg_type, body) = (fields[0].clone(), fields[1..].join("|"));
        let bytes = fix(&format!("8=FIX.4.4|35={msg_type}|{HDR}|{body}|"));
        if let Decoded::Message(m, _) = decoder.decode(&bytes) {
            if let Ok(md) = MdMessage::decode(&m) {
                decoded += 1;
                if md.kind() == MdKind::Snapshot {
                    book.clear();
                }
                for e in md.entries() {
                    let Ok(e) = e else { break };
                    let r = match md.kind() {
                        MdKind::Snapshot => book.apply_snapshot(&e),
                        MdKind::Incremental => book.apply(&e),
                    };
                    applied += r.is_ok() as usize;
                }
            }
        }
        for side in [BookSide::Bid, BookSide::Ask] {
            assert!(book.levels_kept(side) <= 4, "round {round}");
            assert!(book.levels(side).len() <= 3, "round {round}");
        }
        assert!(book.entries() <= 4, "round {round}");
        if round % 100 == 0 {
            book.take_changes();
            book.state_hash();
        }
    }
    assert!(
        decoded > 5_000 && applied > 5_000,
        "decoded {decoded}, applied {applied}"
    );
}
