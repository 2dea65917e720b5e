//! The TOML config loader: the shipped examples load with the values they
//! say, defaults follow the schema, relative paths resolve against the file's
//! folder, secrets never print, and every kind of mistake gives one line
//! naming the file, the key path and the problem.

mod common;

use common::TempDir;
use fixrail::codec::TimePrecision;
use fixrail::config::{
    self, Application, Config, ConfigError, IdleKind, ReconnectConfig, ResendConfig, Role,
    SeqTooLowPolicy,
};
use fixrail::dictionary::ValidationConfig;
use fixrail::journal::Durability;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// The file name every in-memory config below claims to come from.
const FILE: &str = "config/venue.toml";

/// The test environment: LP_USER and LP_PASS are set, nothing else.
fn env(name: &str) -> Option<String> {
    match name {
        "LP_USER" => Some("trader7".into()),
        "LP_PASS" => Some("s3cret-Pa55".into()),
        _ => None,
    }
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml_with_env(text, Path::new(FILE), &env)
}

/// The error message for `text`, which must fail to load.
fn error(text: &str) -> String {
    match parse(text) {
        Ok(c) => panic!("expected an error, loaded {c:?}"),
        Err(e) => e.to_string(),
    }
}

/// Asserts `message` starts with `prefix` (file, key path, problem).
#[track_caller]
fn assert_starts(message: &str, prefix: &str) {
    assert!(
        message.starts_with(prefix),
        "message:  {message}\nexpected: {prefix}..."
    );
}

const ENGINE: &str = "[engine]\njournal_dir = \"journal\"\n";

/// A valid initiator session (index 0) to add keys to.
const INITIATOR: &str = r#"
[[session]]
name = "LP1"
role = "initiator"
sender_comp_id = "US"
target_comp_id = "LP1"
connect = ["10.0.0.1:9876"]
"#;

/// A valid acceptor session to add keys to.
const ACCEPTOR: &str = r#"
[[session]]
name = "TW44"
role = "acceptor"
sender_comp_id = "ISLD"
target_comp_id = "TW44"
listen = "127.0.0.1:5001"
"#;

fn with_initiator(extra: &str) -> String {
    format!("{ENGINE}{INITIATOR}{extra}")
}

fn with_acceptor(extra: &str) -> String {
    format!("{ENGINE}{ACCEPTOR}{extra}")
}

fn repo_config_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config")
}

// ---- the shipped examples ------------------------------------------------

#[test]
fn initiator_example_loads_with_its_values() {
    // The FX initiator: two addresses, reconnect back-off, the Sunday-to-Friday
    // 17:00 New York schedule, credentials from LP_USER/LP_PASS.
    let path = repo_config_dir().join("initiator.toml");
    let c = config::load_with_env(&path, &env).unwrap();
    assert_eq!(c.path, path);
    assert_eq!(
        c.engine.journal_dir,
        repo_config_dir().join("../var/journal")
    );
    assert!(c.engine.journal_dir.is_absolute());
    assert_eq!(c.engine.idle, IdleKind::Backoff);
    assert_eq!(c.engine.durability, Durability::Async);
    assert_eq!(c.engine.cores, Vec::<usize>::new());
    assert_eq!(c.engine.segment_size_mb, 64);
    assert_eq!(c.engine.log_level, "info");
    let journal = c.engine.journal_config();
    assert_eq!(journal.dir, c.engine.journal_dir);
    assert_eq!(journal.segment_size_bytes, 64 << 20);
    assert_eq!(journal.durability, Durability::Async);

    assert_eq!(c.sessions.len(), 1);
    let s = c.session("LP1").unwrap();
    assert_eq!(s.role, Role::Initiator);
    assert_eq!(
        (
            s.begin_string.as_str(),
            s.sender_comp_id.as_str(),
            s.target_comp_id.as_str()
        ),
        ("FIX.4.4", "FIXRAIL", "LP1")
    );
    let addrs: Vec<SocketAddr> = vec![
        "10.0.0.1:9876".parse().unwrap(),
        "10.0.0.2:9876".parse().unwrap(),
    ];
    assert_eq!(s.connect, addrs);
    assert_eq!(s.listen, None);
    assert_eq!(s.heartbeat_secs, 30);
    assert!(s.send_next_expected_seq_num);
    assert_eq!(s.seq_too_low_policy, SeqTooLowPolicy::Alert);
    assert_eq!(s.username.as_deref(), Some("trader7"));
    assert_eq!(s.password.as_ref().unwrap().expose(), "s3cret-Pa55");
    assert_eq!(
        s.data_dictionary.as_deref(),
        Some(repo_config_dir().join("dictionaries/FIX44.xml").as_path())
    );
    assert_eq!(s.timestamp_precision, TimePrecision::Millis);
    assert_eq!(s.application, Application::None);
    assert_eq!(s.resend, ResendConfig::default());
    assert_eq!(
        s.reconnect,
        ReconnectConfig {
            initial_ms: 500,
            max_ms: 30_000,
            multiplier: 2.0,
            jitter_pct: 20
        }
    );
    let sched = s.schedule.as_ref().unwrap();
    assert_eq!(sched.start_time, "17:00:00");
    assert_eq!(sched.end_time, "17:00:00");
    assert_eq!(sched.time_zone, "America/New_York");
    assert_eq!(sched.start_day.as_deref(), Some("Sun"));
    assert_eq!(sched.end_day.as_deref(), Some("Fri"));
    assert!(
        sched.weekdays.is_empty(),
        "a weekly session has no weekdays"
    );
    assert_eq!(sched.reset_time, None);
}

#[test]
fn initiator_example_needs_its_credentials_in_the_environment() {
    // Without LP_USER set, the example names the key and the variable.
    let path = repo_config_dir().join("initiator.toml");
    let e = config::load_with_env(&path, &|_: &str| None)
        .unwrap_err()
        .to_string();
    assert_starts(
        &e,
        &format!(
            "{}: session[0] (name \"LP1\").username: environment variable LP_USER is not set",
            path.display()
        ),
    );
}

#[test]
fn acceptor_example_loads_two_sessions_on_one_address() {
    // Two echo acceptors share 127.0.0.1:5001 and differ by TargetCompID.
    let path = repo_config_dir().join("acceptor.toml");
    let c = config::load_with_env(&path, &env).unwrap();
    assert_eq!(
        c.engine.journal_dir,
        repo_config_dir().join("../var/journal-acceptor")
    );
    assert_eq!(c.engine.idle, IdleKind::Yield);
    assert_eq!(c.engine.durability, Durability::PageCache);
    let names: Vec<&str> = c.sessions.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["TW44", "TW45"]);
    let listen: SocketAddr = "127.0.0.1:5001".parse().unwrap();
    for s in &c.sessions {
        assert_eq!(s.role, Role::Acceptor);
        assert_eq!(s.listen, Some(listen));
        assert!(s.connect.is_empty());
        assert_eq!(s.application, Application::Echo);
        assert_eq!(s.sender_comp_id, "ISLD");
        assert_eq!(s.schedule, None);
    }
    let (tw44, tw45) = (&c.sessions[0], &c.sessions[1]);
    assert_eq!(tw44.target_comp_id, "TW44");
    assert_eq!(
        tw44.allowed_addresses,
        ["127.0.0.1".parse::<IpAddr>().unwrap()]
    );
    assert!(tw44.reset_on_logon);
    assert_eq!(tw45.target_comp_id, "TW45");
    assert!(tw45.allowed_addresses.is_empty());
    assert_eq!(tw45.timestamp_precision, TimePrecision::Micros);
    assert_eq!(tw45.resend.queue_capacity, 4096);
    assert_eq!(tw45.resend.serve_max, 100_000);
}

// ---- defaults, paths, secrets --------------------------------------------

#[test]
fn defaults_follow_the_schema() {
    // A minimal file: every optional key takes the schema's default.
    let c = parse(&with_initiator("")).unwrap();
    let e = &c.engine;
    assert_eq!(
        (
            e.idle,
            e.durability,
            e.cores.len(),
            e.segment_size_mb,
            e.log_level.as_str()
        ),
        (IdleKind::Backoff, Durability::PageCache, 0, 64, "info")
    );
    let s = &c.sessions[0];
    assert_eq!(s.begin_string, "FIX.4.4");
    assert_eq!(s.heartbeat_secs, 30);
    assert!(!s.reset_on_logon && !s.reset_on_logout && !s.reset_on_disconnect);
    assert!(!s.send_next_expected_seq_num);
    assert_eq!(s.seq_too_low_policy, SeqTooLowPolicy::Alert);
    assert_eq!((s.username.as_ref(), s.password.as_ref()), (None, None));
    assert_eq!(s.data_dictionary, None);
    assert_eq!(
        s.validation,
        ValidationConfig {
            validate_user_defined_fields: true,
            validate_fields_out_of_order: true,
            validate_fields_have_values: true,
            allow_unknown_msg_fields: false,
        }
    );
    assert!(s.check_comp_id && s.check_latency);
    assert_eq!(s.max_latency_secs, 120);
    assert_eq!(s.timestamp_precision, TimePrecision::Millis);
    assert_eq!(s.application, Application::None);
    assert_eq!((s.logon_timeout_secs, s.logout_timeout_secs), (10, 2));
    assert_eq!(s.test_request_margin_pct, 20);
    assert!(s.allowed_addresses.is_empty());
    let r = &s.resend;
    assert_eq!(
        (r.max_range, r.serve_max, r.queue_capacity),
        (0, 100_000, 1024)
    );
    let gap: Vec<(&str, u64)> = r
        .gap_fill_older_than_secs
        .iter()
        .map(|(m, n)| (m.as_str(), *n))
        .collect();
    assert_eq!(gap, [("D", 60), ("F", 60), ("G", 60)]);
    assert_eq!(r.never_resend, ["V"]);
    assert_eq!(
        s.reconnect,
        ReconnectConfig {
            initial_ms: 500,
            max_ms: 30_000,
            multiplier: 2.0,
            jitter_pct: 20
        }
    );
    assert_eq!(s.schedule, None);
}

#[test]
fn a_daily_schedule_defaults_to_utc_and_every_day() {
    // Only start and end given: UTC, a window starting every day. Unquoted
    // TOML times are accepted too; day names are stored as Sun..Sat.
    let c = parse(&with_initiator(
        "[session.schedule]\nstart_time = 08:00:00\nend_time = \"17:30:00\"\n",
    ))
    .unwrap();
    let s = c.sessions[0].schedule.as_ref().unwrap();
    assert_eq!(
        (s.start_time.as_str(), s.end_time.as_str()),
        ("08:00:00", "17:30:00")
    );
    assert_eq!(s.time_zone, "UTC");
    assert_eq!(
        s.weekdays,
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    );
    assert_eq!((s.start_day.as_ref(), s.end_day.as_ref()), (None, None));

    let c = parse(&with_initiator(
        "[session.schedule]\nstart_time = \"17:00:00\"\nend_time = \"17:00:00\"\n\
         weekdays = [\"sunday\", \"Mon\", \"TUE\"]\nreset_time = \"17:00:05\"\n",
    ))
    .unwrap();
    let s = c.sessions[0].schedule.as_ref().unwrap();
    assert_eq!(s.weekdays, ["Sun", "Mon", "Tue"]);
    assert_eq!(s.reset_time.as_deref(), Some("17:00:05"));
}

#[test]
fn every_key_of_the_schema_is_read() {
    // Non-default values for the keys the examples leave out reach the struct.
    let c = parse(&format!(
        "[engine]\njournal_dir = \"/var/fixrail\"\nidle = \"busy-spin\"\ndurability = \"sync\"\n\
         cores = [2, 3]\nsegment_size_mb = 256\nlog_level = \"fixrail=debug,warn\"\n{INITIATOR}\
         begin_string = \"FIX.4.4\"\nheartbeat_secs = 5\nreset_on_logout = true\nreset_on_disconnect = true\n\
         seq_too_low_policy = \"auto\"\nvalidate_user_defined_fields = false\nvalidate_fields_out_of_order = false\n\
         validate_fields_have_values = false\nallow_unknown_msg_fields = true\ncheck_comp_id = false\n\
         check_latency = false\nmax_latency_secs = 30\ntimestamp_precision = \"ns\"\nlogon_timeout_secs = 3\n\
         logout_timeout_secs = 4\ntest_request_margin_pct = 50\n\
         [session.resend]\nmax_range = 2500\nserve_max = 5000\ngap_fill_older_than_secs = {{ AE = 5, D = 0 }}\n\
         never_resend = []\nqueue_capacity = 16\n\
         [session.reconnect]\ninitial_ms = 100\nmax_ms = 100\nmultiplier = 1\njitter_pct = 0\n"
    ))
    .unwrap();
    let e = &c.engine;
    assert_eq!(e.journal_dir, Path::new("/var/fixrail"));
    assert_eq!(
        (e.idle, e.durability),
        (IdleKind::BusySpin, Durability::Sync)
    );
    assert_eq!((e.cores.as_slice(), e.segment_size_mb), (&[2, 3][..], 256));
    assert_eq!(e.log_level, "fixrail=debug,warn");
    let s = &c.sessions[0];
    assert_eq!(s.heartbeat_secs, 5);
    assert!(s.reset_on_logout && s.reset_on_disconnect && !s.reset_on_logon);
    assert_eq!(s.seq_too_low_policy, SeqTooLowPolicy::Auto);
    let v = s.validation;
    assert!(!v.validate_user_defined_fields && !v.validate_fields_out_of_order);
    assert!(!v.validate_fields_have_values && v.allow_unknown_msg_fields);
    assert!(!s.check_comp_id && !s.check_latency);
    assert_eq!(s.max_latency_secs, 30);
    assert_eq!(s.timestamp_precision, TimePrecision::Nanos);
    assert_eq!(
        (
            s.logon_timeout_secs,
            s.logout_timeout_secs,
            s.test_request_margin_pct
        ),
        (3, 4, 50)
    );
    let r = &s.resend;
    assert_eq!(
        (r.max_range, r.serve_max, r.queue_capacity),
        (2500, 5000, 16)
    );
    let gap: Vec<(&str, u64)> = r
        .gap_fill_older_than_secs
        .iter()
        .map(|(m, n)| (m.as_str(), *n))
        .collect();
    assert_eq!(gap, [("AE", 5), ("D", 0)], "file order");
    assert!(r.never_resend.is_empty());
    assert_eq!(
        s.reconnect,
        ReconnectConfig {
            initial_ms: 100,
            max_ms: 100,
            multiplier: 1.0,
            jitter_pct: 0
        }
    );
}

#[test]
fn relative_paths_resolve_against_the_files_folder() {
    // journal_dir and data_dictionary are taken relative to the config file,
    // not to the working directory; absolute paths are kept.
    let dir = TempDir::new("config-paths");
    std::fs::create_dir_all(dir.path().join("etc/dicts")).unwrap();
    std::fs::write(dir.path().join("etc/dicts/LP.xml"), "<fix/>").unwrap();
    let file = dir.path().join("etc/venue.toml");
    std::fs::write(
        &file,
        format!(
            "[engine]\njournal_dir = \"./data/journal\"\n{INITIATOR}data_dictionary = \"dicts/LP.xml\"\n"
        ),
    )
    .unwrap();
    let c = config::load_with_env(&file, &env).unwrap();
    assert_eq!(c.engine.journal_dir, dir.path().join("etc/data/journal"));
    assert_eq!(
        c.sessions[0].data_dictionary.as_deref(),
        Some(dir.path().join("etc/dicts/LP.xml").as_path())
    );

    // A file named relative to the working directory still gives absolute paths.
    let c = Config::from_toml_with_env(&with_initiator(""), Path::new("venue.toml"), &env).unwrap();
    assert!(
        c.engine.journal_dir.is_absolute(),
        "{:?}",
        c.engine.journal_dir
    );
    assert_eq!(
        c.engine.journal_dir,
        std::env::current_dir().unwrap().join("journal")
    );
    let c = Config::from_toml_with_env(
        &with_initiator(""),
        Path::new("/etc/fixrail/venue.toml"),
        &env,
    )
    .unwrap();
    assert_eq!(c.engine.journal_dir, Path::new("/etc/fixrail/journal"));
}

#[test]
fn the_password_never_appears_in_debug_output_or_errors() {
    // Debug of the whole config shows *** where the password is; Display of the
    // secret too; an error about the password names it without its value.
    let c = parse(&with_initiator(
        "username = \"${LP_USER}\"\npassword = \"${LP_PASS}\"\n",
    ))
    .unwrap();
    let debug = format!("{c:?} {c:#?}");
    assert!(!debug.contains("s3cret-Pa55"), "{debug}");
    assert!(debug.contains("password: Some(***)"), "{debug}");
    let secret = c.sessions[0].password.as_ref().unwrap();
    assert_eq!(format!("{secret} {secret:?}"), "*** ***");
    assert_eq!(secret.expose(), "s3cret-Pa55");

    let e = error(&with_initiator("password = 918273645\n"));
    assert_starts(&e, "config/venue.toml: session[0] (name \"LP1\").password: expected a string, found an integer");
    assert!(!e.contains("918273645"), "{e}");
    let e = error(&with_initiator("password = \"abc\\u0001def\"\n"));
    assert_starts(&e, "config/venue.toml: session[0] (name \"LP1\").password: must not contain control characters");
    assert!(!e.contains("abc"), "{e}");
    let e = error(&with_initiator("password = \"pw${not a name}\"\n"));
    assert_starts(
        &e,
        "config/venue.toml: session[0] (name \"LP1\").password: a ${...} here is not a valid \
         environment variable reference",
    );
    assert!(!e.contains("not a name") && !e.contains("pw"), "{e}");
}

#[test]
fn env_references_expand_in_any_string() {
    // ${NAME} works in any string value; $${ is a literal ${; other $ stay.
    let c = parse(&format!(
        "{ENGINE}{}",
        INITIATOR.replace("\"US\"", "\"US-${LP_USER}\"")
    ))
    .unwrap();
    assert_eq!(c.sessions[0].sender_comp_id, "US-trader7");
    let c = parse(&with_initiator("password = \"a$b$${LP_PASS}\"\n")).unwrap();
    assert_eq!(
        c.sessions[0].password.as_ref().unwrap().expose(),
        "a$b${LP_PASS}"
    );
}

#[test]
fn host_names_in_connect_resolve_at_load_time() {
    // "localhost:9876" becomes the loopback address(es) it resolves to, after
    // the literal primary.
    let c = parse(&format!(
        "{ENGINE}{}",
        INITIATOR.replace(
            "[\"10.0.0.1:9876\"]",
            "[\"10.0.0.1:9876\", \"localhost:9877\"]"
        )
    ))
    .unwrap();
    let connect = &c.sessions[0].connect;
    assert_eq!(connect[0], "10.0.0.1:9876".parse::<SocketAddr>().unwrap());
    assert!(connect.len() >= 2, "{connect:?}");
    assert!(
        connect[1..]
            .iter()
            .all(|a| a.ip().is_loopback() && a.port() == 9877),
        "{connect:?}"
    );
}

// ---- errors: one per class, each naming file, key and problem ------------

#[test]
fn a_toml_syntax_error_names_file_line_and_column() {
    // The `=` is missing on line 3.
    let e = error("[engine]\njournal_dir = \"journal\"\nidle \"yield\"\n");
    assert_starts(
        &e,
        "config/venue.toml: TOML syntax error at line 3, column ",
    );
    let e = error("[engine]\njournal_dir = \"journal\"\njournal_dir = \"again\"\n");
    assert_starts(
        &e,
        "config/venue.toml: TOML syntax error at line 3, column 1: duplicate key",
    );
}

#[test]
fn a_bad_value_names_the_session_by_index_and_name() {
    // The brief's example, with the location appended.
    let e = error(&format!(
        "{ENGINE}{ACCEPTOR}{INITIATOR}heartbeat_secs = -3\n"
    ));
    assert_eq!(
        e,
        "config/venue.toml: session[1] (name \"LP1\").heartbeat_secs: expected a positive integer, \
         found -3 (line 17, column 18)"
    );
    assert_starts(
        &error(&with_initiator("heartbeat_secs = 0\n")),
        "config/venue.toml: session[0] (name \"LP1\").heartbeat_secs: expected a positive integer, found 0",
    );
    assert_starts(
        &error(&with_initiator("reset_on_logon = \"yes\"\n")),
        "config/venue.toml: session[0] (name \"LP1\").reset_on_logon: expected true or false, found \"yes\"",
    );
    assert_starts(
        &error(&with_initiator("timestamp_precision = \"cs\"\n")),
        "config/venue.toml: session[0] (name \"LP1\").timestamp_precision: expected one of \"s\", \"ms\", \"us\", \"ns\", found \"cs\"",
    );
    assert_starts(
        &error(&with_initiator("seq_too_low_policy = \"ignore\"\n")),
        "config/venue.toml: session[0] (name \"LP1\").seq_too_low_policy: expected one of \"alert\", \"auto\", found \"ignore\"",
    );
    assert_starts(
        &error(&with_initiator("sender_comp_id = \"\"\n").replace("sender_comp_id = \"US\"\n", "")),
        "config/venue.toml: session[0] (name \"LP1\").sender_comp_id: expected a non-empty string",
    );
}

#[test]
fn bad_engine_values_name_the_engine_key() {
    let cases = [
        ("idle = \"fast\"", "engine.idle: expected one of \"busy-spin\", \"spin-hint\", \"yield\", \"backoff\", found \"fast\""),
        ("durability = \"fsync\"", "engine.durability: expected one of \"page-cache\", \"async\", \"sync\", found \"fsync\""),
        ("segment_size_mb = 4096", "engine.segment_size_mb: expected an integer from 1 to 4095, found 4096"),
        ("cores = [1, 1]", "engine.cores[1]: CPU 1 is already listed as cores[0]"),
        ("cores = [-1]", "engine.cores[0]: expected a non-negative integer, found -1"),
        ("cores = 3", "engine.cores: expected an array, found 3"),
        ("log_level = \"info,[\"", "engine.log_level: not a valid tracing filter"),
        ("journal_dir = 7", "engine.journal_dir: expected a string, found 7"),
    ];
    for (line, want) in cases {
        let text = with_initiator("").replacen("[engine]\n", &format!("[engine]\n{line}\n"), 1);
        let text = if line.starts_with("journal_dir") {
            text.replacen("journal_dir = \"journal\"\n", "", 1)
        } else {
            text
        };
        assert_starts(&error(&text), &format!("config/venue.toml: {want}"));
    }
}

#[test]
fn unknown_keys_are_named_with_their_path() {
    // Typos get a suggestion; anything else lists what is allowed.
    assert_starts(
        &error(&with_initiator("hearbeat_secs = 30\n")),
        "config/venue.toml: session[0] (name \"LP1\").hearbeat_secs: unknown key (did you mean heartbeat_secs?)",
    );
    assert_starts(
        &error(&format!(
            "[engine]\njournal_dir = \"j\"\nthreads = 4\n{INITIATOR}"
        )),
        "config/venue.toml: engine.threads: unknown key; expected one of: journal_dir, idle,",
    );
    assert_starts(
        &error(&format!("verbose = true\n{ENGINE}{INITIATOR}")),
        "config/venue.toml: verbose: unknown key; expected one of: engine, session",
    );
    assert_starts(
        &error(&with_initiator("[session.resend]\nserve_maximum = 5\n")),
        "config/venue.toml: session[0] (name \"LP1\").resend.serve_maximum: unknown key (did you mean serve_max?)",
    );
    assert_starts(
        &error(&with_initiator("[session.reconnect]\ninitial = 5\n")),
        "config/venue.toml: session[0] (name \"LP1\").reconnect.initial: unknown key",
    );
    assert_starts(
        &error(&with_initiator("[session.schedule]\nstart_time = \"00:00:00\"\nend_time = \"00:00:00\"\ntimezone = \"UTC\"\n")),
        "config/venue.toml: session[0] (name \"LP1\").schedule.timezone: unknown key (did you mean time_zone?)",
    );
}

#[test]
fn missing_required_keys_are_named() {
    assert_starts(
        &error(INITIATOR),
        "config/venue.toml: engine: the [engine] table is missing",
    );
    assert_starts(
        &error(&format!("[engine]\nidle = \"yield\"\n{INITIATOR}")),
        "config/venue.toml: engine.journal_dir: required key is missing (in the table starting at line 1)",
    );
    assert_starts(
        &error(ENGINE),
        "config/venue.toml: session: no [[session]] table",
    );
    assert_starts(
        &error(&with_initiator("").replace("sender_comp_id = \"US\"\n", "")),
        "config/venue.toml: session[0] (name \"LP1\").sender_comp_id: required key is missing (in the table starting at line 4",
    );
    assert_starts(
        &error(&with_initiator("").replace("name = \"LP1\"\n", "")),
        "config/venue.toml: session[0].name: required key is missing",
    );
    assert_starts(
        &error(&with_initiator("").replace("role = \"initiator\"\n", "")),
        "config/venue.toml: session[0] (name \"LP1\").role: required key is missing",
    );
    assert_starts(
        &error(&format!("{ENGINE}[session]\nname = \"X\"\n")),
        "config/venue.toml: session: expected one or more [[session]] tables, found a table",
    );
}

#[test]
fn a_missing_environment_variable_names_key_and_variable() {
    let e = error(&with_initiator("password = \"${LP_PASSWORD}\"\n"));
    assert_starts(
        &e,
        "config/venue.toml: session[0] (name \"LP1\").password: environment variable LP_PASSWORD is not set",
    );
    assert_starts(
        &error(&with_initiator("username = \"${LP_USER\"\n")),
        "config/venue.toml: session[0] (name \"LP1\").username: unterminated ${...}",
    );
}

#[test]
fn sessions_must_have_unique_names_and_comp_ids() {
    let second = INITIATOR.replace("\"US\"", "\"US2\"");
    assert_starts(
        &error(&format!("{ENGINE}{INITIATOR}{second}")),
        "config/venue.toml: session[1] (name \"LP1\").name: duplicate session name \"LP1\" (session[0] has it too)",
    );
    let second = INITIATOR.replace("name = \"LP1\"", "name = \"LP1-copy\"");
    assert_starts(
        &error(&format!("{ENGINE}{INITIATOR}{second}")),
        "config/venue.toml: session[1] (name \"LP1-copy\"): same begin_string, sender_comp_id and \
         target_comp_id (FIX.4.4, US, LP1) as session[0] (name \"LP1\"): each session needs its own",
    );
    // A different BeginString makes a different session.
    let other = second.replace("role", "begin_string = \"FIXT.1.1\"\nrole");
    assert!(parse(&format!("{ENGINE}{INITIATOR}{other}")).is_ok());
}

#[test]
fn role_specific_keys_are_checked() {
    let p = "config/venue.toml: session[0] (name \"TW44\")";
    let acceptor_without_listen = with_acceptor("").replace("listen = \"127.0.0.1:5001\"\n", "");
    let cases: Vec<(String, String)> = vec![
        (acceptor_without_listen, format!("{p}.listen: required for an acceptor")),
        (with_acceptor("connect = [\"10.0.0.1:1\"]\n"), format!("{p}.connect: not allowed for an acceptor")),
        (with_acceptor("[session.reconnect]\ninitial_ms = 5\n"), format!("{p}.reconnect: not allowed for an acceptor: only an initiator reconnects")),
        (
            with_initiator("").replace("connect = [\"10.0.0.1:9876\"]\n", ""),
            "config/venue.toml: session[0] (name \"LP1\").connect: required for an initiator".into(),
        ),
        (
            with_initiator("").replace("[\"10.0.0.1:9876\"]", "[]"),
            "config/venue.toml: session[0] (name \"LP1\").connect: expected at least one address, found an empty list".into(),
        ),
        (
            with_initiator("listen = \"0.0.0.0:1\"\n"),
            "config/venue.toml: session[0] (name \"LP1\").listen: not allowed for an initiator".into(),
        ),
        (
            with_initiator("allowed_addresses = [\"127.0.0.1\"]\n"),
            "config/venue.toml: session[0] (name \"LP1\").allowed_addresses: not allowed for an initiator".into(),
        ),
        (with_acceptor("role = \"both\"\n").replace("role = \"acceptor\"\n", ""), format!("{p}.role: expected one of \"initiator\", \"acceptor\", found \"both\"")),
    ];
    for (text, want) in cases {
        assert_starts(&error(&text), &want);
    }
}

#[test]
fn addresses_must_parse_or_resolve() {
    let p = "config/venue.toml: session[0] (name \"TW44\")";
    assert_starts(
        &error(&with_acceptor("").replace("\"127.0.0.1:5001\"", "\"127.0.0.1\"")),
        &format!("{p}.listen: expected an IP address and port like \"0.0.0.0:5001\", found \"127.0.0.1\""),
    );
    assert_starts(
        &error(&with_acceptor("allowed_addresses = [\"10.0.0.0/8\"]\n")),
        &format!("{p}.allowed_addresses[0]: expected an IP address like \"10.0.0.1\" (no port, no host name), found \"10.0.0.0/8\""),
    );
    let q = "config/venue.toml: session[0] (name \"LP1\")";
    assert_starts(
        &error(&with_initiator("").replace(
            "\"10.0.0.1:9876\"",
            "\"10.0.0.1:9876\", \"no-such-host.invalid:9876\"",
        )),
        &format!("{q}.connect[1]: cannot resolve \"no-such-host.invalid:9876\":"),
    );
    assert_starts(
        &error(&with_initiator("").replace("\"10.0.0.1:9876\"", "\"venue.example\"")),
        &format!("{q}.connect[0]: expected \"ip:port\" or \"host:port\" like \"10.0.0.1:9876\", found \"venue.example\""),
    );
    assert_starts(
        &error(
            &with_initiator("")
                .replace("\"10.0.0.1:9876\"", "\"10.0.0.1:9876\", \"10.0.0.1:9876\""),
        ),
        &format!("{q}.connect[1]: 10.0.0.1:9876 is listed twice"),
    );
}

#[test]
fn reconnect_back_off_is_checked() {
    let p = "config/venue.toml: session[0] (name \"LP1\").reconnect";
    assert_starts(
        &error(&with_initiator(
            "[session.reconnect]\ninitial_ms = 60000\nmax_ms = 5000\n",
        )),
        &format!("{p}.initial_ms: must not exceed max_ms (5000), found 60000"),
    );
    assert_starts(
        &error(&with_initiator("[session.reconnect]\nmultiplier = 0.5\n")),
        &format!("{p}.multiplier: expected a number of at least 1, found 0.5"),
    );
    assert_starts(
        &error(&with_initiator("[session.reconnect]\njitter_pct = 150\n")),
        &format!("{p}.jitter_pct: expected an integer from 0 to 100, found 150"),
    );
    assert_starts(
        &error(&with_initiator(
            "[session.reconnect]\nmultiplier = \"2x\"\n",
        )),
        &format!("{p}.multiplier: expected a finite number, found \"2x\""),
    );
}

#[test]
fn schedule_syntax_is_checked() {
    let p = "config/venue.toml: session[0] (name \"LP1\").schedule";
    let sched = |extra: &str| {
        with_initiator(&format!(
            "[session.schedule]\nstart_time = \"17:00:00\"\nend_time = \"17:00:00\"\n{extra}"
        ))
    };
    let cases = [
        (with_initiator("[session.schedule]\nstart_time = \"5pm\"\nend_time = \"17:00:00\"\n"), format!("{p}.start_time: expected a time of day \"HH:MM:SS\" (00:00:00 to 23:59:59), found \"5pm\"")),
        (with_initiator("[session.schedule]\nstart_time = \"17:00:00\"\n"), format!("{p}.end_time: required key is missing")),
        (sched("reset_time = \"24:00:00\"\n"), format!("{p}.reset_time: expected a time of day")),
        (sched("start_day = \"Sun\"\n"), format!("{p}.end_day: required when start_day is set")),
        (sched("end_day = \"Fri\"\n"), format!("{p}.start_day: required when end_day is set")),
        (sched("start_day = \"Sun\"\nend_day = \"Fri\"\nweekdays = [\"Mon\"]\n"), format!("{p}.weekdays: cannot be combined with start_day/end_day")),
        (sched("start_day = \"Sunday\"\nend_day = \"Fry\"\n"), format!("{p}.end_day: expected a day name (Sun, Mon, Tue, Wed, Thu, Fri, Sat), found \"Fry\"")),
        (sched("weekdays = [\"Mon\", \"Mon\"]\n"), format!("{p}.weekdays[1]: Mon is already listed as weekdays[0]")),
        (sched("weekdays = []\n"), format!("{p}.weekdays: expected at least one day")),
        (sched("time_zone = \"America/NewYork\"\n"), format!("{p}.time_zone: expected an IANA time zone name like \"America/New_York\", found \"America/NewYork\"")),
    ];
    for (text, want) in cases {
        assert_starts(&error(&text), &want);
    }
}

#[test]
fn resend_settings_are_checked() {
    let p = "config/venue.toml: session[0] (name \"LP1\").resend";
    let cases = [
        ("gap_fill_older_than_secs = { A = 5 }", format!("{p}.gap_fill_older_than_secs.A: MsgType A is an admin message")),
        ("gap_fill_older_than_secs = { \"D*\" = 5 }", format!("{p}.gap_fill_older_than_secs.D*: expected a MsgType of 1 to 4 letters or digits, found \"D*\"")),
        ("gap_fill_older_than_secs = { D = -1 }", format!("{p}.gap_fill_older_than_secs.D: expected a non-negative integer, found -1")),
        ("never_resend = [\"V\", \"V\"]", format!("{p}.never_resend[1]: MsgType V is listed twice")),
        ("never_resend = [\"D\"]", format!("{p}.never_resend[0]: MsgType D is also in gap_fill_older_than_secs")),
        ("never_resend = [\"4\"]", format!("{p}.never_resend[0]: MsgType 4 is an admin message")),
        ("serve_max = 0", format!("{p}.serve_max: expected a positive integer, found 0")),
        ("queue_capacity = 0", format!("{p}.queue_capacity: expected an integer from 1 to 1048576, found 0")),
    ];
    for (line, want) in cases {
        assert_starts(
            &error(&with_initiator(&format!("[session.resend]\n{line}\n"))),
            &want,
        );
    }
}

#[test]
fn a_missing_data_dictionary_is_named() {
    let e = error(&with_initiator("data_dictionary = \"dicts/NOPE.xml\"\n"));
    let cwd = std::env::current_dir().unwrap();
    assert_starts(
        &e,
        &format!(
            "config/venue.toml: session[0] (name \"LP1\").data_dictionary: no such file: {}",
            cwd.join("config/dicts/NOPE.xml").display()
        ),
    );
}

#[test]
fn an_unreadable_file_is_named() {
    let e = config::load(Path::new("config/does-not-exist.toml")).unwrap_err();
    assert!(matches!(e, ConfigError::Read { .. }));
    assert_starts(
        &e.to_string(),
        "config/does-not-exist.toml: cannot read the config file: ",
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Any edit of a valid file loads or fails with a message; it never panics.
    /// (The acceptor example: one-byte edits cannot turn it into an initiator,
    /// so no host name lookup happens.)
    #[test]
    fn edited_files_never_panic(
        edits in proptest::collection::vec((0usize..2000, 0u8..128, 0u8..3), 1..4),
    ) {
        let mut text = std::fs::read(repo_config_dir().join("acceptor.toml")).unwrap();
        for (at, byte, kind) in edits {
            let at = at % (text.len() + 1);
            match kind {
                0 => text.insert(at, byte),
                1 if at < text.len() => { text.remove(at); }
                _ if at < text.len() => text[at] = byte,
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(&text);
        if let Err(e) = parse(&text) {
            let message = e.to_string();
            proptest::prop_assert!(message.starts_with("config/venue.toml: "), "{}", message);
            proptest::prop_assert!(!message.contains('\n'), "{}", message);
        }
    }

    /// Arbitrary text never panics the loader either.
    #[test]
    fn arbitrary_text_never_panics(text in "[\\[\\]a-z_=\"{}.,:0-9 \n#$-]{0,200}") {
        let _ = parse(&text);
    }
}

// ---- [risk] ------------------------------------------------------------

#[test]
fn risk_defaults_apply_without_a_risk_table() {
    // No [risk]: the documented defaults, the breaker on.
    let c = parse(&with_initiator("")).unwrap();
    assert_eq!(c.risk, fixrail::risk::RiskConfig::default());
    assert_eq!(c.risk.max_open_orders, 1000);
    assert_eq!(c.risk.order_rate_per_sec, 100);
    assert_eq!(c.risk.order_burst, 100);
    assert_eq!(
        c.risk.reject_breaker,
        Some(fixrail::risk::RejectBreakerConfig {
            count: 50,
            window_secs: 10
        })
    );
    // An empty [risk] is the same.
    let c = parse(&with_initiator("[risk]\n")).unwrap();
    assert_eq!(c.risk, fixrail::risk::RiskConfig::default());
}

#[test]
fn risk_values_load_and_the_burst_defaults_to_the_rate() {
    let c = parse(&with_initiator(
        "[risk]\nmax_open_orders = 250\norder_rate_per_sec = 40\n\
         reject_breaker_count = 5\nreject_breaker_window_secs = 60\n",
    ))
    .unwrap();
    assert_eq!(
        c.risk,
        fixrail::risk::RiskConfig {
            max_open_orders: 250,
            order_rate_per_sec: 40,
            order_burst: 40,
            reject_breaker: Some(fixrail::risk::RejectBreakerConfig {
                count: 5,
                window_secs: 60
            }),
        }
    );
    let c = parse(&with_initiator(
        "[risk]\norder_burst = 1_000\nreject_breaker_count = 0\n",
    ))
    .unwrap();
    assert_eq!(c.risk.order_burst, 1000);
    assert_eq!(c.risk.order_rate_per_sec, 100);
    assert_eq!(c.risk.reject_breaker, None, "count 0 turns the breaker off");
}

#[test]
fn bad_risk_values_name_the_risk_key() {
    let cases = [
        ("max_open_orders = 0", "risk.max_open_orders: expected a positive integer, found 0"),
        ("max_open_orders = 4294967296", "risk.max_open_orders: expected a positive integer, found 4294967296"),
        ("order_rate_per_sec = -5", "risk.order_rate_per_sec: expected a positive integer, found -5"),
        ("order_burst = \"10\"", "risk.order_burst: expected a positive integer, found \"10\""),
        ("order_burst = 0", "risk.order_burst: expected a positive integer, found 0"),
        ("reject_breaker_count = 100001", "risk.reject_breaker_count: expected an integer from 0 to 100000, found 100001"),
        ("reject_breaker_window_secs = 0", "risk.reject_breaker_window_secs: expected an integer from 1 to 86400, found 0"),
        ("reject_breaker_window_secs = 1.5", "risk.reject_breaker_window_secs: expected an integer from 1 to 86400, found 1.5"),
        (
            "reject_breaker_count = 0\nreject_breaker_window_secs = 30",
            "risk.reject_breaker_window_secs: has no effect: reject_breaker_count = 0 turns the breaker off",
        ),
    ];
    for (lines, want) in cases {
        let e = error(&with_initiator(&format!("[risk]\n{lines}\n")));
        assert_starts(&e, &format!("config/venue.toml: {want}"));
        assert!(e.contains("(line "), "no line in: {e}");
    }
}

#[test]
fn risk_errors_give_the_line_and_unknown_risk_keys_a_suggestion() {
    let text = with_initiator("[risk]\nmax_open_orders = 10\norder_rate_per_sec = 0\n");
    let line = text
        .lines()
        .position(|l| l.starts_with("order_rate"))
        .unwrap()
        + 1;
    assert_starts(
        &error(&text),
        &format!(
            "config/venue.toml: risk.order_rate_per_sec: expected a positive integer, found 0 (line {line}, column 22)"
        ),
    );
    assert_starts(
        &error(&with_initiator("[risk]\nmax_open_order = 10\n")),
        "config/venue.toml: risk.max_open_order: unknown key (did you mean max_open_orders?)",
    );
    assert_starts(
        &error(&with_initiator("[risk]\nposition_limit = 10\n")),
        "config/venue.toml: risk.position_limit: unknown key; expected one of: max_open_orders, order_rate_per_sec,",
    );
    assert_starts(
        &error(&format!("risk = 5\n{ENGINE}{INITIATOR}")),
        "config/venue.toml: risk: expected a table, found 5",
    );
    assert_starts(
        &error(&format!("verbose = true\n{ENGINE}{INITIATOR}")),
        "config/venue.toml: verbose: unknown key; expected one of: engine, session, risk",
    );
}

/// A valid instrument (index 0) to add market-data keys to.
const INSTRUMENT: &str = "\n[[instrument]]\nsymbol = \"EUR/USD\"\ntick_size = \"0.00001\"\nlot_size = 1000\nreference_price = \"1.085\"\n";

#[test]
fn instrument_market_data_keys_have_defaults_and_reach_the_instrument_table() {
    // Without the keys: 10 visible levels, 40 kept, 1024 entries, no
    // staleness; with them, the values given, carried into the engine's
    // instrument table (what the market-data stage sizes books from).
    let cfg = parse(&with_initiator(INSTRUMENT)).unwrap();
    let i = &cfg.instruments[0];
    assert_eq!(
        (
            i.book_depth,
            i.book_max_levels,
            i.book_max_entries,
            i.stale_after_ms
        ),
        (10, 40, 1024, 0)
    );
    let cfg = parse(&with_initiator(&format!(
        "{INSTRUMENT}book_depth = 5\nbook_max_levels = 7\nbook_max_entries = 0\nstale_after_ms = 2500\n"
    )))
    .unwrap();
    let i = &cfg.instruments[0];
    assert_eq!(
        (
            i.book_depth,
            i.book_max_levels,
            i.book_max_entries,
            i.stale_after_ms
        ),
        (5, 7, 0, 2500)
    );
    let spec = fixrail::engine::engine_spec(&cfg).unwrap();
    let md = spec
        .trading
        .instruments
        .get(fixrail::strategy::InstrumentId(0))
        .unwrap()
        .market_data;
    assert_eq!(
        md,
        fixrail::strategy::MarketDataConfig {
            book_depth: 5,
            book_max_levels: 7,
            book_max_entries: 0,
            stale_after_ms: 2500,
        }
    );
    // A deep book keeps 4 × its depth by default.
    let cfg = parse(&with_initiator(&format!("{INSTRUMENT}book_depth = 64\n"))).unwrap();
    assert_eq!(cfg.instruments[0].book_max_levels, 256);
}

#[test]
fn bad_market_data_keys_name_the_instrument_the_key_and_the_line() {
    let key = "config/venue.toml: instrument[0] (symbol \"EUR/USD\")";
    let cases = [
        (
            "book_depth = 0",
            format!("{key}.book_depth: expected an integer from 1 to 64, found 0"),
        ),
        (
            "book_depth = 65",
            format!("{key}.book_depth: expected an integer from 1 to 64, found 65"),
        ),
        (
            "book_depth = \"10\"",
            format!("{key}.book_depth: expected an integer from 1 to 64, found \"10\""),
        ),
        (
            "book_depth = 10\nbook_max_levels = 9",
            format!(
                "{key}.book_max_levels: must be at least book_depth (10): the book keeps every visible level, found 9"
            ),
        ),
        (
            "book_max_levels = 5000",
            format!("{key}.book_max_levels: expected an integer from 1 to 4096, found 5000"),
        ),
        (
            "book_max_entries = -1",
            format!("{key}.book_max_entries: expected an integer from 0 to 1048576, found -1"),
        ),
        (
            "stale_after_ms = 86400001",
            format!("{key}.stale_after_ms: expected an integer from 0 to 86400000, found 86400001"),
        ),
        (
            "stale_after = 5",
            format!("{key}.stale_after: unknown key (did you mean stale_after_ms?)"),
        ),
    ];
    for (lines, want) in cases {
        let e = error(&with_initiator(&format!("{INSTRUMENT}{lines}\n")));
        assert_starts(&e, &want);
        assert!(e.contains("(line "), "no line in: {e}");
    }
}
