//! Golden files: the encoder's exact bytes for representative messages.
//!
//! Each file in `tests/data/golden/` holds one message as text, `|` for SOH
//! (a trailing newline is ignored). A change to the encoder's output fails
//! here byte for byte. After a deliberate change, regenerate with
//! `FIXRAIL_BLESS=1 cargo test --test golden` and review the diff.

use fixrail::codec::tags::*;
use fixrail::codec::testing::show;
use fixrail::codec::{
    Decoded, Decoder, EncodeError, Encoder, EncoderConfig, Fixed, Frame, Framer, Header,
    MessageWriter, TimePrecision, UtcTimestamp, SOH,
};
use std::path::PathBuf;

/// The one instant every golden message is stamped with.
fn t0() -> UtcTimestamp {
    UtcTimestamp::from_parts(2026, 11, 22, 10, 0, 0, 123_456_789).unwrap()
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden")
}

fn blessing() -> bool {
    std::env::var_os("FIXRAIL_BLESS").is_some_and(|v| v == "1")
}

/// Encodes one message with a default encoder (FIX.4.4, milliseconds).
fn encode(header: &Header<'_>, body: impl FnOnce(&mut MessageWriter<'_>)) -> Vec<u8> {
    encode_with(EncoderConfig::default(), header, body).unwrap()
}

fn encode_with(
    config: EncoderConfig,
    header: &Header<'_>,
    body: impl FnOnce(&mut MessageWriter<'_>),
) -> Result<Vec<u8>, EncodeError> {
    let mut enc = Encoder::new(config).unwrap();
    let mut w = enc.start(header);
    body(&mut w);
    w.finish().map(<[u8]>::to_vec)
}

/// The representative messages, by golden file name.
fn cases() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "logon",
            encode(&Header::new(b"A", 1, b"FIXRAIL", b"VENUE", t0()), |w| {
                w.uint(ENCRYPT_METHOD, 0)
                    .uint(HEART_BT_INT, 30)
                    .bool(RESET_SEQ_NUM_FLAG, true)
                    .str(USERNAME, b"trader")
                    .str(PASSWORD, b"s3cret=");
            }),
        ),
        (
            "heartbeat_test_req_id",
            encode(&Header::new(b"0", 2, b"FIXRAIL", b"VENUE", t0()), |w| {
                w.str(TEST_REQ_ID, b"TEST-20261122-1");
            }),
        ),
        (
            "new_order_single",
            encode(&Header::new(b"D", 1092, b"FIXRAIL", b"VENUE", t0()), |w| {
                w.str(ACCOUNT, b"ACC-001")
                    .str(CL_ORD_ID, b"ORD-000000001")
                    .char(HANDL_INST, b'1')
                    .str(SYMBOL, b"EUR/USD")
                    .char(SIDE, b'1')
                    .timestamp(TRANSACT_TIME, t0())
                    .uint(ORDER_QTY, 1_000_000)
                    .char(ORD_TYPE, b'2')
                    .fixed(PRICE, Fixed::new(108_345, 5))
                    .char(TIME_IN_FORCE, b'0');
            }),
        ),
        (
            "execution_report",
            encode(&Header::new(b"8", 731, b"VENUE", b"FIXRAIL", t0()), |w| {
                w.str(ORDER_ID, b"V-88172")
                    .str(CL_ORD_ID, b"ORD-000000001")
                    .str(EXEC_ID, b"E-1")
                    .char(EXEC_TYPE, b'F')
                    .char(ORD_STATUS, b'1')
                    .str(SYMBOL, b"EUR/USD")
                    .char(SIDE, b'1')
                    .uint(ORDER_QTY, 1_000_000)
                    .fixed(PRICE, Fixed::new(108_345, 5))
                    .fixed(LAST_QTY, Fixed::new(250_000, 0))
                    .fixed(LAST_PX, Fixed::new(10_834, 4))
                    .fixed(LEAVES_QTY, Fixed::new(750_000, 0))
                    .fixed(CUM_QTY, Fixed::new(250_000, 0))
                    .decimal(AVG_PX, "1.0834".parse().unwrap())
                    .timestamp(TRANSACT_TIME, t0())
                    .str(TEXT, b"partial fill; venue ref=A/7");
            }),
        ),
        (
            "resend_poss_dup",
            encode(
                &Header {
                    poss_dup: true,
                    orig_sending_time: Some(b"20261122-09:59:58.001"),
                    extra: &[
                        (SENDER_SUB_ID, b"desk-1"),
                        (TARGET_SUB_ID, b"FX"),
                        (ON_BEHALF_OF_COMP_ID, b"CLIENT-A"),
                        (DELIVER_TO_COMP_ID, b"LP-2"),
                    ],
                    ..Header::new(b"D", 1090, b"FIXRAIL", b"VENUE", t0())
                },
                |w| {
                    w.str(CL_ORD_ID, b"ORD-000000000")
                        .char(HANDL_INST, b'1')
                        .str(SYMBOL, b"USD/JPY")
                        .char(SIDE, b'2')
                        .timestamp(
                            TRANSACT_TIME,
                            UtcTimestamp::parse(b"20261122-09:59:58.001").unwrap().0,
                        )
                        .uint(ORDER_QTY, 500_000)
                        .char(ORD_TYPE, b'1');
                },
            ),
        ),
        (
            "market_data_snapshot",
            encode(&Header::new(b"W", 52, b"VENUE", b"FIXRAIL", t0()), |w| {
                w.str(MD_REQ_ID, b"MD-7").str(SYMBOL, b"EUR/USD");
                w.uint(NO_MD_ENTRIES, 3);
                for (kind, px, size) in [
                    (b'0', Fixed::new(108_340, 5), 5_000_000),
                    (b'1', Fixed::new(108_350, 5), 3_000_000),
                    (b'2', Fixed::new(108_345, 5), 1_000_000),
                ] {
                    w.char(MD_ENTRY_TYPE, kind)
                        .fixed(MD_ENTRY_PX, px)
                        .uint(MD_ENTRY_SIZE, size);
                }
            }),
        ),
        (
            "news_raw_data",
            encode(&Header::new(b"B", 9, b"VENUE", b"FIXRAIL", t0()), |w| {
                w.str(148, b"Venue notice")
                    .uint(33, 1)
                    .str(TEXT, b"binary attachment follows")
                    .data(RAW_DATA_LENGTH, RAW_DATA, b"a\x01b=c\x0110=000\x01");
            }),
        ),
        (
            "heartbeat_micros",
            encode_with(
                EncoderConfig {
                    timestamp_precision: TimePrecision::Micros,
                    ..EncoderConfig::default()
                },
                &Header::new(b"0", 3, b"FIXRAIL", b"VENUE", t0()),
                |_| {},
            )
            .unwrap(),
        ),
    ]
}

/// A golden file's text as message bytes: `|` to SOH, trailing newline dropped.
fn from_golden_text(text: &str) -> Vec<u8> {
    text.trim_end_matches(['\n', '\r'])
        .replace('|', "\u{1}")
        .into_bytes()
}

/// With FIXRAIL_BLESS=1, writes every case as its golden file, once per
/// run, before any test reads the files.
fn bless_if_asked() {
    static BLESS: std::sync::Once = std::sync::Once::new();
    BLESS.call_once(|| {
        if !blessing() {
            return;
        }
        let dir = golden_dir();
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in cases() {
            assert!(
                !bytes.contains(&b'|'),
                "{name}: '|' cannot be stored in a golden file"
            );
            let path = dir.join(format!("{name}.fix"));
            std::fs::write(&path, format!("{}\n", show(&bytes))).unwrap();
        }
    });
}

/// The encoder's bytes for each representative message equal its golden
/// file byte for byte (with FIXRAIL_BLESS=1 the files are first rewritten).
#[test]
fn encoder_output_matches_the_golden_files() {
    bless_if_asked();
    let dir = golden_dir();
    let mut mismatches = Vec::new();
    for (name, bytes) in cases() {
        let path = dir.join(format!("{name}.fix"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run FIXRAIL_BLESS=1 cargo test --test golden",
                path.display()
            )
        });
        let golden = from_golden_text(&text);
        if golden != bytes {
            mismatches.push(format!(
                "{name}:\n  golden:  {}\n  encoder: {}",
                show(&golden),
                show(&bytes)
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

/// Every golden file is one whole message whose BodyLength and CheckSum the
/// framer accepts and plain arithmetic confirms, so the 9= and 10= in the
/// files are right independently of the encoder.
#[test]
fn golden_files_frame_cleanly_and_have_independent_length_and_checksum() {
    bless_if_asked();
    let mut seen = 0;
    let mut names: Vec<_> = std::fs::read_dir(golden_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "fix"))
        .collect();
    names.sort();
    for path in names {
        let bytes = from_golden_text(&std::fs::read_to_string(&path).unwrap());
        let name = path.display();
        match Framer::default().frame(&bytes) {
            Frame::Message(f) => assert_eq!(f.len, bytes.len(), "{name}"),
            other => panic!("{name}: {other:?}"),
        }
        match Decoder::default().decode(&bytes) {
            Decoded::Message(msg, _) => {
                assert!(msg.out_of_order().is_none(), "{name}");
                assert_eq!(msg.trailer().len(), 1, "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
        // BodyLength and CheckSum recomputed here by plain arithmetic.
        let first_soh = bytes.iter().position(|&b| b == SOH).unwrap();
        let length_field = &bytes[first_soh + 1..];
        let length_end = length_field.iter().position(|&b| b == SOH).unwrap();
        let declared: usize = std::str::from_utf8(&length_field[2..length_end])
            .unwrap()
            .parse()
            .unwrap();
        let body_start = first_soh + 1 + length_end + 1;
        let trailer_start = bytes.len() - 7;
        assert_eq!(&length_field[..2], b"9=", "{name}");
        assert_eq!(&bytes[trailer_start..trailer_start + 3], b"10=", "{name}");
        assert_eq!(declared, trailer_start - body_start, "{name}: BodyLength");
        let sum = bytes[..trailer_start]
            .iter()
            .map(|&b| b as u32)
            .sum::<u32>()
            % 256;
        assert_eq!(
            &bytes[trailer_start + 3..trailer_start + 6],
            format!("{sum:03}").as_bytes(),
            "{name}: CheckSum"
        );
        seen += 1;
    }
    assert!(seen >= cases().len(), "only {seen} golden files");
}

/// The golden set covers what it claims: a group, RawData with SOH, a
/// resend's PossDup header, and a non-default precision.
#[test]
fn golden_cases_cover_the_representative_shapes() {
    let cases = cases();
    let text = |name: &str| show(&cases.iter().find(|(n, _)| *n == name).unwrap().1);
    assert!(text("market_data_snapshot").contains("|268=3|269=0|"));
    assert!(text("news_raw_data").contains("|95=13|96=a|b=c|10=000||10="));
    assert!(text("resend_poss_dup").contains("|43=Y|49=FIXRAIL|50=desk-1|52="));
    assert!(text("resend_poss_dup").contains("|122=20261122-09:59:58.001|128=LP-2|"));
    assert!(text("heartbeat_micros").contains("|52=20261122-10:00:00.123456|"));
    assert!(text("logon").contains("|52=20261122-10:00:00.123|"));
}
