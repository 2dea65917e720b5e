//! `[session.schedule]`: syntax only (times, day names, the time zone name,
//! which keys go together). `src/session/schedule.rs` interprets it.

use super::reader::{describe, Section};
use super::{ConfigError, ScheduleConfig};
use toml::de::DeValue;

const KEYS: &[&str] = &[
    "start_time",
    "end_time",
    "time_zone",
    "weekdays",
    "start_day",
    "end_day",
    "reset_time",
];

/// Day names as stored, Sunday first.
pub(super) const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const DAY_NAMES: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

/// Checks the schedule table and returns it with days in their stored
/// spelling (`Sun`..`Sat`) and `weekdays` defaulted.
pub(super) fn parse(t: &Section<'_, '_>) -> Result<ScheduleConfig, ConfigError> {
    t.deny_unknown(KEYS)?;
    let start_time = time(t, "start_time")?.ok_or_else(|| t.missing("start_time"))?;
    let end_time = time(t, "end_time")?.ok_or_else(|| t.missing("end_time"))?;
    let reset_time = time(t, "reset_time")?;
    let time_zone = match t.string("time_zone")? {
        None => "UTC".to_owned(),
        Some(s) => match jiff::tz::TimeZone::get(&s.text) {
            Ok(_) => s.text,
            Err(_) => {
                return Err(t.error(
                    "time_zone",
                    Some(s.span),
                    format!(
                        "expected an IANA time zone name like \"America/New_York\", found {:?}",
                        s.text
                    ),
                ))
            }
        },
    };
    let start_day = day(t, "start_day")?;
    let end_day = day(t, "end_day")?;
    match (&start_day, &end_day) {
        (Some(_), None) => {
            return Err(t.missing_because(
                "end_day",
                "required when start_day is set: a weekly session needs both start_day and end_day",
            ))
        }
        (None, Some(_)) => {
            return Err(t.missing_because(
                "start_day",
                "required when end_day is set: a weekly session needs both start_day and end_day",
            ))
        }
        _ => {}
    }
    let weekly = start_day.is_some();
    let weekdays = match (t.array("weekdays")?, weekly) {
        (None, true) => Vec::new(),
        (None, false) => DAYS.iter().map(|d| (*d).to_owned()).collect(),
        (Some(_), true) => {
            let v = t.get("weekdays").map(|v| v.span());
            return Err(t.error(
                "weekdays",
                v,
                "cannot be combined with start_day/end_day: weekdays lists the days a daily \
                 window starts on, start_day/end_day make one weekly window",
            ));
        }
        (Some(items), false) => {
            if items.is_empty() {
                let v = t.get("weekdays").map(|v| v.span());
                return Err(t.error(
                    "weekdays",
                    v,
                    "expected at least one day (leave weekdays out for every day)",
                ));
            }
            let mut days: Vec<String> = Vec::with_capacity(items.len());
            for (i, v) in items.iter().enumerate() {
                let s = t.string_value(t.key(&format!("weekdays[{i}]")), v, true)?;
                let d = day_name(&s.text).ok_or_else(|| bad_day(t, &s))?;
                if let Some(j) = days.iter().position(|x| x == d) {
                    return Err(t.doc.invalid(
                        s.key,
                        Some(s.span),
                        format!("{d} is already listed as weekdays[{j}]"),
                    ));
                }
                days.push(d.to_owned());
            }
            days
        }
    };
    Ok(ScheduleConfig {
        start_time,
        end_time,
        time_zone,
        weekdays,
        start_day,
        end_day,
        reset_time,
    })
}

/// A time of day `HH:MM:SS`, given as a string or as a TOML local time
/// (`17:00:00` unquoted).
fn time(t: &Section<'_, '_>, name: &str) -> Result<Option<String>, ConfigError> {
    let Some(v) = t.get(name) else {
        return Ok(None);
    };
    let expected = "a time of day \"HH:MM:SS\" (00:00:00 to 23:59:59)";
    let text = match v.get_ref() {
        DeValue::Datetime(d) => match (d.date, d.time, d.offset) {
            (None, Some(tm), None) if tm.nanosecond.is_none_or(|n| n == 0) => format!(
                "{:02}:{:02}:{:02}",
                tm.hour,
                tm.minute,
                tm.second.unwrap_or(0)
            ),
            _ => return Err(t.expected(name, v, expected)),
        },
        DeValue::String(_) => t.string_value(t.key(name), v, true)?.text,
        other => {
            return Err(t.error(
                name,
                Some(v.span()),
                format!("expected {expected}, found {}", describe(other, true)),
            ))
        }
    };
    if is_time_of_day(&text) {
        Ok(Some(text))
    } else {
        Err(t.error(
            name,
            Some(v.span()),
            format!("expected {expected}, found {text:?}"),
        ))
    }
}

fn is_time_of_day(s: &str) -> bool {
    let b = s.as_bytes();
    let two = |i: usize| -> Option<u8> {
        let (h, l) = (b[i], b[i + 1]);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| (h - b'0') * 10 + (l - b'0'))
    };
    b.len() == 8
        && b[2] == b':'
        && b[5] == b':'
        && matches!((two(0), two(3), two(6)), (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 60)
}

/// A day name, stored as `Sun`..`Sat`.
fn day(t: &Section<'_, '_>, name: &str) -> Result<Option<String>, ConfigError> {
    let Some(s) = t.string(name)? else {
        return Ok(None);
    };
    match day_name(&s.text) {
        Some(d) => Ok(Some(d.to_owned())),
        None => Err(bad_day(t, &s)),
    }
}

/// `Sun`, `sun`, `Sunday`, `SUNDAY`... as `Sun`.
fn day_name(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    (0..7)
        .find(|&i| lower == DAYS[i].to_ascii_lowercase() || lower == DAY_NAMES[i])
        .map(|i| DAYS[i])
}

fn bad_day(t: &Section<'_, '_>, s: &super::reader::Str) -> ConfigError {
    t.doc.invalid(
        s.key.clone(),
        Some(s.span.clone()),
        format!(
            "expected a day name (Sun, Mon, Tue, Wed, Thu, Fri, Sat), found {:?}",
            s.text
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_are_checked_digit_by_digit() {
        for ok in ["00:00:00", "17:00:00", "23:59:59"] {
            assert!(is_time_of_day(ok), "{ok}");
        }
        for bad in [
            "24:00:00",
            "17:60:00",
            "17:00:60",
            "7:00:00",
            "17:00",
            "17-00-00",
            "1a:00:00",
            "17:00:00Z",
        ] {
            assert!(!is_time_of_day(bad), "{bad}");
        }
    }

    #[test]
    fn day_names_accept_short_and_long_forms_in_any_case() {
        assert_eq!(day_name("Sun"), Some("Sun"));
        assert_eq!(day_name("FRIDAY"), Some("Fri"));
        assert_eq!(day_name("thu"), Some("Thu"));
        assert_eq!(day_name("Thurs"), None);
    }
}
