//! `[[session]]`: one session's keys, the role-specific rules, the
//! `resend`/`reconnect`/`schedule` sub-tables, and the checks across sessions.

use super::reader::{Doc, Section, Str};
use super::{
    resolve, schedule, Application, ConfigError, MsgTypeBytes, ReconnectConfig, ResendConfig, Role,
    Secret, SeqTooLowPolicy, SessionConfig,
};
use crate::codec::{MsgType, TimePrecision};
use crate::dictionary::ValidationConfig;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::ops::Range;
use std::path::Path;
use toml::de::DeTable;

const KEYS: &[&str] = &[
    "name",
    "role",
    "begin_string",
    "sender_comp_id",
    "target_comp_id",
    "listen",
    "connect",
    "allowed_addresses",
    "heartbeat_secs",
    "reset_on_logon",
    "reset_on_logout",
    "reset_on_disconnect",
    "send_next_expected_seq_num",
    "seq_too_low_policy",
    "username",
    "password",
    "data_dictionary",
    "validate_user_defined_fields",
    "validate_fields_out_of_order",
    "validate_fields_have_values",
    "allow_unknown_msg_fields",
    "check_comp_id",
    "check_latency",
    "max_latency_secs",
    "timestamp_precision",
    "application",
    "logon_timeout_secs",
    "logout_timeout_secs",
    "test_request_margin_pct",
    "resend",
    "reconnect",
    "schedule",
];

const RESEND_KEYS: &[&str] = &[
    "max_range",
    "serve_max",
    "gap_fill_older_than_secs",
    "never_resend",
    "queue_capacity",
];

const RECONNECT_KEYS: &[&str] = &["initial_ms", "max_ms", "multiplier", "jitter_pct"];

const PRECISIONS: [(&str, TimePrecision); 4] = [
    ("s", TimePrecision::Seconds),
    ("ms", TimePrecision::Millis),
    ("us", TimePrecision::Micros),
    ("ns", TimePrecision::Nanos),
];

const U32_MAX: i128 = u32::MAX as i128;

/// The most inbound messages a session may hold while a gap is filled.
const QUEUE_CAPACITY_MAX: i128 = 1 << 20;

/// A parsed session with what the checks across sessions need to report.
pub(super) struct Parsed {
    pub config: SessionConfig,
    /// `session[i] (name "X")`.
    prefix: String,
    name_span: Range<usize>,
    header: Range<usize>,
    application_span: Option<Range<usize>>,
}

/// Builds session `index` from its table; `span` is its `[[session]]` header.
pub(super) fn parse(
    doc: &Doc<'_>,
    index: usize,
    table: &DeTable<'_>,
    span: Range<usize>,
    base: &Path,
) -> Result<Parsed, ConfigError> {
    let mut t = Section {
        doc,
        prefix: format!("session[{index}]"),
        table,
        span: Some(span.clone()),
    };
    let name = t.required_string("name")?;
    let name_span = name.span.clone();
    let name = text(&t, name)?;
    t.prefix = format!("session[{index}] (name {name:?})");
    t.deny_unknown(KEYS)?;

    if !t.has("role") {
        return Err(t.missing("role"));
    }
    let role = t.choice("role", &Role::NAMES, Role::Initiator)?;
    let (listen, connect, allowed_addresses) = addresses(&t, role)?;
    if role == Role::Acceptor && t.has("reconnect") {
        return Err(t.error(
            "reconnect",
            value_span(&t, "reconnect"),
            "not allowed for an acceptor: only an initiator reconnects",
        ));
    }

    let begin_string = match t.string("begin_string")? {
        Some(s) => text(&t, s)?,
        None => "FIX.4.4".to_owned(),
    };
    let username = t.string("username")?.map(|s| text(&t, s)).transpose()?;
    let config = SessionConfig {
        name,
        role,
        begin_string,
        sender_comp_id: text(&t, t.required_string("sender_comp_id")?)?,
        target_comp_id: text(&t, t.required_string("target_comp_id")?)?,
        listen,
        connect,
        allowed_addresses,
        heartbeat_secs: t.int("heartbeat_secs", 1..=U32_MAX, 30)?,
        reset_on_logon: t.bool("reset_on_logon", false)?,
        reset_on_logout: t.bool("reset_on_logout", false)?,
        reset_on_disconnect: t.bool("reset_on_disconnect", false)?,
        send_next_expected_seq_num: t.bool("send_next_expected_seq_num", false)?,
        seq_too_low_policy: t.choice(
            "seq_too_low_policy",
            &SeqTooLowPolicy::NAMES,
            SeqTooLowPolicy::default(),
        )?,
        username,
        password: password(&t)?,
        data_dictionary: data_dictionary(&t, base)?,
        validation: validation(&t)?,
        check_comp_id: t.bool("check_comp_id", true)?,
        check_latency: t.bool("check_latency", true)?,
        max_latency_secs: t.int("max_latency_secs", 1..=U32_MAX, 120)?,
        timestamp_precision: t.choice("timestamp_precision", &PRECISIONS, TimePrecision::Millis)?,
        application: t.choice("application", &Application::NAMES, Application::None)?,
        logon_timeout_secs: t.int("logon_timeout_secs", 1..=U32_MAX, 10)?,
        logout_timeout_secs: t.int("logout_timeout_secs", 1..=U32_MAX, 2)?,
        test_request_margin_pct: t.int("test_request_margin_pct", 0..=U32_MAX, 20)?,
        resend: match t.table("resend")? {
            Some(r) => resend(&r)?,
            None => ResendConfig::default(),
        },
        reconnect: match t.table("reconnect")? {
            Some(r) => reconnect(&r)?,
            None => ReconnectConfig::default(),
        },
        schedule: t
            .table("schedule")?
            .map(|s| schedule::parse(&s))
            .transpose()?,
    };
    let application_span = value_span(&t, "application");
    Ok(Parsed {
        config,
        application_span,
        prefix: t.prefix,
        name_span,
        header: span,
    })
}

/// The four validation switches, defaulting as [`ValidationConfig`] does.
fn validation(t: &Section<'_, '_>) -> Result<ValidationConfig, ConfigError> {
    let d = ValidationConfig::default();
    Ok(ValidationConfig {
        validate_user_defined_fields: t.bool(
            "validate_user_defined_fields",
            d.validate_user_defined_fields,
        )?,
        validate_fields_out_of_order: t.bool(
            "validate_fields_out_of_order",
            d.validate_fields_out_of_order,
        )?,
        validate_fields_have_values: t
            .bool("validate_fields_have_values", d.validate_fields_have_values)?,
        allow_unknown_msg_fields: t.bool("allow_unknown_msg_fields", d.allow_unknown_msg_fields)?,
    })
}

fn value_span(t: &Section<'_, '_>, name: &str) -> Option<Range<usize>> {
    t.get(name).map(|v| v.span())
}

/// A non-empty string without control characters (SOH would garble a
/// message).
fn text(t: &Section<'_, '_>, s: Str) -> Result<String, ConfigError> {
    let problem = if s.text.is_empty() {
        "expected a non-empty string, found \"\""
    } else if s.text.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Ok(s.text);
    };
    Err(t.doc.invalid(s.key, Some(s.span), problem))
}

/// `password`: as [`text`], but no message shows the value.
fn password(t: &Section<'_, '_>) -> Result<Option<Secret>, ConfigError> {
    let Some(s) = t.secret_string("password")? else {
        return Ok(None);
    };
    let problem = if s.text.is_empty() {
        "is empty (leave the key out for no password)"
    } else if s.text.chars().any(char::is_control) {
        "must not contain control characters"
    } else {
        return Ok(Some(Secret::new(s.text)));
    };
    Err(t.doc.invalid(s.key, Some(s.span), problem))
}

/// `data_dictionary`: an existing file, made absolute.
fn data_dictionary(
    t: &Section<'_, '_>,
    base: &Path,
) -> Result<Option<std::path::PathBuf>, ConfigError> {
    let Some(s) = t.string("data_dictionary")? else {
        return Ok(None);
    };
    let path = resolve(base, &s.text);
    if path.is_file() {
        Ok(Some(path))
    } else {
        Err(t.doc.invalid(
            s.key,
            Some(s.span),
            format!(
                "no such file: {} (relative paths resolve against the config file's folder)",
                path.display()
            ),
        ))
    }
}

type Addresses = (Option<SocketAddr>, Vec<SocketAddr>, Vec<IpAddr>);

/// `listen`, `connect` and `allowed_addresses`, with the role's rules.
fn addresses(t: &Section<'_, '_>, role: Role) -> Result<Addresses, ConfigError> {
    let forbid = |name: &str, why: &str| -> Result<(), ConfigError> {
        match t.get(name) {
            Some(v) => Err(t.error(name, Some(v.span()), why.to_owned())),
            None => Ok(()),
        }
    };
    match role {
        Role::Acceptor => {
            forbid(
                "connect",
                "not allowed for an acceptor: an acceptor listens (connect is for initiators)",
            )?;
            let listen = t.string("listen")?.ok_or_else(|| {
                t.missing_because(
                    "listen",
                    "required for an acceptor: the address to listen on, like \"0.0.0.0:5001\"",
                )
            })?;
            let addr = listen.text.parse::<SocketAddr>().map_err(|_| {
                t.doc.invalid(
                    listen.key.clone(),
                    Some(listen.span.clone()),
                    format!(
                        "expected an IP address and port like \"0.0.0.0:5001\", found {:?}",
                        listen.text
                    ),
                )
            })?;
            Ok((Some(addr), Vec::new(), allowed_addresses(t)?))
        }
        Role::Initiator => {
            forbid(
                "listen",
                "not allowed for an initiator: an initiator connects (listen is for acceptors)",
            )?;
            forbid(
                "allowed_addresses",
                "not allowed for an initiator: it filters inbound connections, which only \
                 acceptors take",
            )?;
            Ok((None, connect(t)?, Vec::new()))
        }
    }
}

/// `connect`: `ip:port` or `host:port`, host names resolved now.
fn connect(t: &Section<'_, '_>) -> Result<Vec<SocketAddr>, ConfigError> {
    let entries = t.string_array("connect")?;
    if entries.is_empty() {
        return Err(match value_span(t, "connect") {
            Some(span) => t.error(
                "connect",
                Some(span),
                "expected at least one address, found an empty list",
            ),
            None => t.missing_because(
                "connect",
                "required for an initiator: addresses to connect to, primary first, \
                 like [\"10.0.0.1:9876\"]",
            ),
        });
    }
    let mut addrs: Vec<SocketAddr> = Vec::with_capacity(entries.len());
    for s in &entries {
        if let Ok(addr) = s.text.parse::<SocketAddr>() {
            if addrs.contains(&addr) {
                return Err(t.doc.invalid(
                    s.key.clone(),
                    Some(s.span.clone()),
                    format!("{addr} is listed twice"),
                ));
            }
            addrs.push(addr);
            continue;
        }
        let port = s.text.rsplit_once(':').and_then(|(host, port)| {
            (!host.is_empty()).then_some(())?;
            port.parse::<u16>().ok()
        });
        if port.is_none() {
            return Err(t.doc.invalid(
                s.key.clone(),
                Some(s.span.clone()),
                format!(
                    "expected \"ip:port\" or \"host:port\" like \"10.0.0.1:9876\", found {:?}",
                    s.text
                ),
            ));
        }
        let resolved = s.text.as_str().to_socket_addrs().map_err(|e| {
            t.doc.invalid(
                s.key.clone(),
                Some(s.span.clone()),
                format!("cannot resolve {:?}: {e}", s.text),
            )
        })?;
        let before = addrs.len();
        for addr in resolved {
            if !addrs.contains(&addr) {
                addrs.push(addr);
            }
        }
        if addrs.len() == before {
            return Err(t.doc.invalid(
                s.key.clone(),
                Some(s.span.clone()),
                format!("{:?} resolves to no address not already listed", s.text),
            ));
        }
    }
    Ok(addrs)
}

/// `allowed_addresses`: distinct IP addresses.
fn allowed_addresses(t: &Section<'_, '_>) -> Result<Vec<IpAddr>, ConfigError> {
    let mut ips: Vec<IpAddr> = Vec::new();
    for s in t.string_array("allowed_addresses")? {
        let ip = s.text.parse::<IpAddr>().map_err(|_| {
            t.doc.invalid(
                s.key.clone(),
                Some(s.span.clone()),
                format!(
                    "expected an IP address like \"10.0.0.1\" (no port, no host name), found {:?}",
                    s.text
                ),
            )
        })?;
        if ips.contains(&ip) {
            return Err(t
                .doc
                .invalid(s.key, Some(s.span), format!("{ip} is listed twice")));
        }
        ips.push(ip);
    }
    Ok(ips)
}

/// `[session.resend]`.
fn resend(t: &Section<'_, '_>) -> Result<ResendConfig, ConfigError> {
    t.deny_unknown(RESEND_KEYS)?;
    let defaults = ResendConfig::default();
    let gap_fill = match t.table("gap_fill_older_than_secs")? {
        None => defaults.gap_fill_older_than_secs,
        Some(g) => {
            let mut out = Vec::new();
            for (name, v) in g.entries() {
                let msg_type = msg_type(&g, name, g.key(name), v.span())?;
                out.push((msg_type, g.int_value(name, v, 0..=U32_MAX)?));
            }
            out
        }
    };
    let never_resend = match t.get("never_resend") {
        None => defaults.never_resend,
        Some(_) => {
            let mut out: Vec<String> = Vec::new();
            for s in t.string_array("never_resend")? {
                let m = msg_type(t, &s.text, s.key.clone(), s.span.clone())?;
                let problem = if out.iter().any(|x| x == m.as_str()) {
                    format!("MsgType {m} is listed twice")
                } else if gap_fill.iter().any(|(g, _)| *g == m) {
                    format!(
                        "MsgType {m} is also in gap_fill_older_than_secs; \
                         list it in one of the two"
                    )
                } else {
                    out.push(m.as_str().to_owned());
                    continue;
                };
                return Err(t.doc.invalid(s.key, Some(s.span), problem));
            }
            out
        }
    };
    Ok(ResendConfig {
        max_range: t.int("max_range", 0..=U32_MAX, defaults.max_range)?,
        serve_max: t.int("serve_max", 1..=U32_MAX, defaults.serve_max)?,
        gap_fill_older_than_secs: gap_fill,
        never_resend,
        queue_capacity: t.int(
            "queue_capacity",
            1..=QUEUE_CAPACITY_MAX,
            defaults.queue_capacity,
        )?,
    })
}

/// An application MsgType named in the resend settings.
fn msg_type(
    t: &Section<'_, '_>,
    text: &str,
    key: String,
    span: Range<usize>,
) -> Result<MsgTypeBytes, ConfigError> {
    let Some(m) = MsgTypeBytes::new(text.as_bytes()) else {
        return Err(t.doc.invalid(
            key,
            Some(span),
            format!("expected a MsgType of 1 to 4 letters or digits, found {text:?}"),
        ));
    };
    if MsgType::from_bytes(m.as_bytes()).is_some_and(MsgType::is_admin) {
        return Err(t.doc.invalid(
            key,
            Some(span),
            format!("MsgType {m} is an admin message: admin messages are always gap-filled"),
        ));
    }
    Ok(m)
}

/// `[session.reconnect]`.
fn reconnect(t: &Section<'_, '_>) -> Result<ReconnectConfig, ConfigError> {
    t.deny_unknown(RECONNECT_KEYS)?;
    let d = ReconnectConfig::default();
    let r = ReconnectConfig {
        initial_ms: t.int("initial_ms", 1..=U32_MAX, d.initial_ms)?,
        max_ms: t.int("max_ms", 1..=U32_MAX, d.max_ms)?,
        multiplier: t.float("multiplier", d.multiplier)?,
        jitter_pct: t.int("jitter_pct", 0..=100, d.jitter_pct)?,
    };
    if r.initial_ms > r.max_ms {
        return Err(t.error(
            "initial_ms",
            value_span(t, "initial_ms"),
            format!(
                "must not exceed max_ms ({}), found {}",
                r.max_ms, r.initial_ms
            ),
        ));
    }
    if r.multiplier < 1.0 {
        return Err(t.error(
            "multiplier",
            value_span(t, "multiplier"),
            format!("expected a number of at least 1, found {}", r.multiplier),
        ));
    }
    Ok(r)
}

impl Parsed {
    /// An error about this session's `application` key.
    pub(super) fn error_at_application(&self, doc: &Doc<'_>, problem: &str) -> ConfigError {
        doc.invalid(
            format!("{}.application", self.prefix),
            self.application_span.clone(),
            problem,
        )
    }
}

/// Names are unique; so is each (BeginString, SenderCompID, TargetCompID).
pub(super) fn check_across(doc: &Doc<'_>, sessions: &[Parsed]) -> Result<(), ConfigError> {
    for (i, s) in sessions.iter().enumerate() {
        let c = &s.config;
        for (j, earlier) in sessions[..i].iter().enumerate() {
            let e = &earlier.config;
            if e.name == c.name {
                return Err(doc.invalid(
                    format!("{}.name", s.prefix),
                    Some(s.name_span.clone()),
                    format!(
                        "duplicate session name {:?} (session[{j}] has it too)",
                        c.name
                    ),
                ));
            }
            if (&e.begin_string, &e.sender_comp_id, &e.target_comp_id)
                == (&c.begin_string, &c.sender_comp_id, &c.target_comp_id)
            {
                return Err(doc.invalid(
                    s.prefix.clone(),
                    Some(s.header.clone()),
                    format!(
                        "same begin_string, sender_comp_id and target_comp_id \
                         ({}, {}, {}) as {}: each session needs its own",
                        c.begin_string, c.sender_comp_id, c.target_comp_id, earlier.prefix
                    ),
                ));
            }
        }
    }
    Ok(())
}
