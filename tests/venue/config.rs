//! `[[instrument]]`, `[venue]` and `application = "venue"` in the config
//! file, the example `config/venue.toml`, and `fixrail venue`'s refusals.

use fixrail::codec::Fixed;
use fixrail::config::{Application, Config, Role, VenueConfig};
use fixrail::engine::{engine_spec, AppKind};
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

const HEAD: &str =
    "[engine]\njournal_dir = \"j\"\n\n[[session]]\nname = \"C1\"\nrole = \"acceptor\"\n\
                    sender_comp_id = \"V\"\ntarget_comp_id = \"C1\"\nlisten = \"127.0.0.1:5101\"\n";

fn load(text: &str) -> Result<Config, String> {
    Config::from_toml_with_env(text, Path::new("venue.toml"), &|_| None).map_err(|e| e.to_string())
}

#[test]
fn the_example_venue_config_loads_with_its_instruments() {
    // config/venue.toml: two venue acceptors on one port, three instruments
    // with exact decimals, and an engine spec with the venue in it.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/venue.toml");
    let cfg = fixrail::config::load(&path).unwrap();
    assert_eq!(cfg.sessions.len(), 2);
    for s in &cfg.sessions {
        assert_eq!(
            (s.role, s.application),
            (Role::Acceptor, Application::Venue)
        );
    }
    let symbols: Vec<&str> = cfg.instruments.iter().map(|i| i.symbol.as_str()).collect();
    assert_eq!(symbols, ["EUR/USD", "USD/JPY", "AAPL"]);
    let eur = &cfg.instruments[0];
    assert_eq!(eur.tick_size, dec("0.00001"));
    assert_eq!(eur.lot_size, dec("1000"));
    assert_eq!(eur.reference_price, dec("1.08500"));
    assert_eq!(eur.max_order_qty, Some(dec("50000000")));
    assert_eq!(cfg.venue.max_resting_orders_per_instrument, 10_000);
    let spec = engine_spec(&cfg).unwrap();
    assert!(spec
        .sessions
        .iter()
        .all(|s| s.application == AppKind::Venue));
    let venue = spec.venue.expect("venue spec");
    assert_eq!(venue.instruments[2].tick_size, Fixed::new(1, 2));
    assert_eq!(venue.instruments[0].lot_size, Fixed::new(1000, 0));
}

#[test]
fn instrument_decimals_are_exact_in_any_spelling() {
    // Strings, TOML floats (read from their text) and integers all give the
    // exact decimal; [venue] defaults apply when the table is absent.
    let cfg = load(&format!(
        "{HEAD}\n[[instrument]]\nsymbol = \"A\"\ntick_size = 0.1\nlot_size = 100\nreference_price = \"1e2\"\n\
         \n[[instrument]]\nsymbol = \"B\"\ntick_size = \"0.0005\"\nlot_size = 1_000\nreference_price = 3.30\nmax_order_qty = 2.5e3\n"
    ))
    .unwrap();
    let (a, b) = (&cfg.instruments[0], &cfg.instruments[1]);
    assert_eq!(
        (a.tick_size, a.lot_size, a.reference_price),
        (dec("0.1"), dec("100"), dec("100"))
    );
    assert_eq!(a.max_order_qty, None);
    assert_eq!(
        (b.tick_size, b.lot_size, b.reference_price),
        (dec("0.0005"), dec("1000"), dec("3.30"))
    );
    assert_eq!(b.max_order_qty, Some(dec("2500")));
    assert_eq!(cfg.venue, VenueConfig::default());
    // Without any [[session]] running the venue, instruments are still read
    // (the trading side uses them) and no venue is built.
    assert!(engine_spec(&cfg).unwrap().venue.is_none());
}

#[test]
fn bad_instrument_and_venue_keys_name_the_key() {
    // Each mistake is one line naming the file, the key path and the problem.
    let ins = "[[instrument]]\nsymbol = \"EUR/USD\"\ntick_size = \"0.00001\"\nlot_size = 1000\nreference_price = \"1.085\"\n";
    let cases = [
        (
            format!("{HEAD}{ins}tick_size2 = 1\n"),
            "venue.toml: instrument[0] (symbol \"EUR/USD\").tick_size2: unknown key (did you mean tick_size?)",
        ),
        (
            format!("{HEAD}{}", ins.replace("\"0.00001\"", "0")),
            "venue.toml: instrument[0] (symbol \"EUR/USD\").tick_size: expected a decimal more than zero, found 0",
        ),
        (
            format!("{HEAD}{}", ins.replace("\"0.00001\"", "\"tiny\"")),
            "venue.toml: instrument[0] (symbol \"EUR/USD\").tick_size: expected a decimal number like \"0.0001\" or 25, found \"tiny\"",
        ),
        (
            format!("{HEAD}{}", ins.replace("lot_size = 1000\n", "")),
            "venue.toml: instrument[0] (symbol \"EUR/USD\").lot_size: required: the quantity increment",
        ),
        (
            format!("{HEAD}{ins}max_order_qty = -5\n"),
            "venue.toml: instrument[0] (symbol \"EUR/USD\").max_order_qty: expected a decimal more than zero, found -5",
        ),
        (
            format!("{HEAD}{ins}\n{ins}"),
            "venue.toml: instrument[1] (symbol \"EUR/USD\").symbol: duplicate symbol \"EUR/USD\" (instrument[0] has it too)",
        ),
        (
            format!("{HEAD}{}", ins.replace("symbol = \"EUR/USD\"", "symbol = \"\"")),
            "venue.toml: instrument[0].symbol: expected a non-empty string",
        ),
        (
            format!("{HEAD}\n[venue]\nmax_resting_orders = 5\n{ins}"),
            "venue.toml: venue.max_resting_orders: unknown key (did you mean max_resting_orders_per_instrument?)",
        ),
        (
            format!("{HEAD}\n[venue]\nmax_resting_orders_per_instrument = 0\n{ins}"),
            "venue.toml: venue.max_resting_orders_per_instrument: expected an integer from 1 to 16777216, found 0",
        ),
        (
            format!("{HEAD}application = \"venue\"\n"),
            "venue.toml: session[0] (name \"C1\").application: the venue application needs at least one [[instrument]] table",
        ),
        (
            format!("{HEAD}application = \"exchange\"\n"),
            "venue.toml: session[0] (name \"C1\").application: expected one of \"echo\", \"none\", \"venue\", found \"exchange\"",
        ),
    ];
    for (text, want) in cases {
        let e = load(&text).expect_err(want);
        assert!(e.starts_with(want), "expected\n  {want}\nfound\n  {e}");
    }
}

#[test]
fn fixrail_venue_refuses_a_file_it_cannot_serve() {
    // No acceptor session, or no instrument: exit 2 with the reason.
    let dir = crate::common::TempDir::new("venue-cli");
    let run = |text: &str| {
        let path = dir.path().join("v.toml");
        std::fs::write(&path, text).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_fixrail"))
            .args(["venue", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(HEAD);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("instrument: the venue application needs at least one [[instrument]] table"),
        "{err}"
    );
    let initiator = "[engine]\njournal_dir = \"j\"\n\n[[session]]\nname = \"X\"\nrole = \"initiator\"\n\
                     sender_comp_id = \"A\"\ntarget_comp_id = \"B\"\nconnect = [\"127.0.0.1:1\"]\n\n\
                     [[instrument]]\nsymbol = \"S\"\ntick_size = 1\nlot_size = 1\nreference_price = 1\n";
    let (code, err) = run(initiator);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("fixrail venue needs at least one acceptor [[session]]"),
        "{err}"
    );
}
