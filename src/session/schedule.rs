//! The session schedule: when a FIX session may be logged on, and when its
//! sequence numbers reset.
//!
//! Owns the meaning of a `[session.schedule]` table (read through
//! [`ScheduleSpec`], which the config module fills) and its evaluation against
//! a `now` the caller passes in. It reads no clock, opens no socket, and does
//! not touch the journal: the session decides what to do at a boundary.
//!
//! # Semantics
//!
//! All times are local wall-clock times in `time_zone`, whole seconds.
//!
//! - **Daily** (no `start_day`/`end_day`): a window opens at `start_time` on
//!   each day listed in `weekdays` (all days when empty) and closes at the
//!   next `end_time` after it. `end_time` before `start_time` makes the window
//!   cross midnight; `end_time` equal to `start_time` makes a 24-hour window
//!   that closes and reopens at that time (the FX roll: 17:00 New York to
//!   17:00 New York, `weekdays` Sun..Thu, is closed from Friday 17:00 to
//!   Sunday 17:00). `weekdays` name the days a window *starts* on.
//! - **Weekly** (`start_day` and `end_day`): one window a week, from
//!   `start_day` + `start_time` to the next `end_day` + `end_time`; it may wrap
//!   the week (Fri..Mon). The same day and time at both ends is a full week
//!   that closes and reopens at that moment.
//! - Windows are half-open: in session from the open instant (inclusive) to
//!   the close instant (exclusive). Where one window closes as the next one
//!   opens, the instant belongs to the new window.
//! - **Sequence resets**: with `reset_time`, every day at that time (every
//!   calendar day, whatever `weekdays` says); without it, at every window
//!   open. [`Schedule::always`] never resets.
//!
//! # Daylight-saving time
//!
//! A boundary at local time `L` happens at the *first instant at which the
//! zone's wall clock reads `L` or later*. So:
//! - a time that does not exist (in a spring-forward gap, e.g. 02:30 in New
//!   York on 2026-03-08) happens when the clocks jump, at the end of the gap
//!   (03:00 EDT): the moment a wall-clock comparison would first see it pass.
//!   This differs from jiff's "compatible" disambiguation (which would give
//!   03:30 EDT) on purpose: it is monotonic, so a window's close can never
//!   come before its open;
//! - a time that occurs twice (in a fall-back fold) happens at its first
//!   occurrence, once; the repeated hour does not reopen or re-close anything.
//!
//! A window lying wholly inside a gap opens and closes at the same instant,
//! i.e. does not happen that day. Windows are 23 or 25 hours long across a
//! transition when their ends are at the same wall-clock time.
//!
//! # Evaluation
//!
//! [`Schedule::new`] resolves the IANA zone with jiff (its bundled tz
//! database) and tabulates the zone's UTC-offset transitions over the whole
//! range of [`UtcTimestamp`] (1677..2262). The four queries then use only
//! integer arithmetic and binary searches over those tables: they never
//! allocate, lock or read a clock (proved by `tests/schedule_no_alloc.rs`).

use crate::codec::UtcTimestamp;
use jiff::tz::TimeZone;
use jiff::Timestamp;
use std::fmt;

/// Borrowed view of a `[session.schedule]` table (the config module fills it).
#[derive(Debug, Clone, Copy)]
pub struct ScheduleSpec<'a> {
    /// Window open, `HH:MM:SS` local to `time_zone`.
    pub start_time: &'a str,
    /// Window close, `HH:MM:SS` local to `time_zone`; at or before
    /// `start_time` means the window crosses midnight.
    pub end_time: &'a str,
    /// IANA zone name, e.g. `America/New_York`, or `UTC`.
    pub time_zone: &'a str,
    /// The days a daily window starts on: `Mon`..`Sun` (case-insensitive,
    /// three-letter or full names); empty means every day.
    pub weekdays: &'a [&'a str],
    /// A weekly session's first day (needs `end_day`; excludes `weekdays`).
    pub start_day: Option<&'a str>,
    /// A weekly session's last day (needs `start_day`; excludes `weekdays`).
    pub end_day: Option<&'a str>,
    /// A separate daily sequence-reset time, `HH:MM:SS` in the same zone.
    pub reset_time: Option<&'a str>,
}

/// A `[session.schedule]` table that cannot be used; the message names the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// A time that is not `HH:MM:SS` (00:00:00 to 23:59:59).
    #[error("{key}: expected HH:MM:SS, found {found:?}")]
    BadTime {
        /// `start_time`, `end_time` or `reset_time`.
        key: &'static str,
        /// The value as written.
        found: String,
    },
    /// A day name that is not Mon..Sun (or Monday..Sunday).
    #[error("{key}: expected a day name (Mon..Sun or Monday..Sunday), found {found:?}")]
    BadDay {
        /// `weekdays`, `start_day` or `end_day`.
        key: &'static str,
        /// The value as written.
        found: String,
    },
    /// The same day listed twice in `weekdays`.
    #[error("weekdays: {found:?} is listed twice")]
    DuplicateWeekday {
        /// The second mention, as written.
        found: String,
    },
    /// Only one of `start_day` and `end_day` is set.
    #[error("{key}: set {missing} too (a weekly session needs both)")]
    WeeklyNeedsBoth {
        /// The key that is set.
        key: &'static str,
        /// The key that is missing.
        missing: &'static str,
    },
    /// `weekdays` together with `start_day`/`end_day`.
    #[error("weekdays: cannot be combined with start_day/end_day")]
    WeekdaysWithWeekly,
    /// A zone name the tz database does not know.
    #[error("time_zone: unknown time zone {found:?}")]
    UnknownTimeZone {
        /// The value as written.
        found: String,
    },
    /// The zone's transitions could not be tabulated.
    #[error("time_zone: cannot tabulate {name:?}: {reason}")]
    TimeZoneRange {
        /// The zone name.
        name: String,
        /// What jiff reported.
        reason: String,
    },
}

/// When a session is open and when its sequence numbers reset.
///
/// Built once from the config by [`Schedule::new`] (or [`Schedule::always`]);
/// the queries take `now` and never allocate.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// `None`: always in session, never resets.
    windows: Option<Windows>,
}

const SECS_PER_DAY: i64 = 86_400;
const DAYS_PER_WEEK: i64 = 7;
const SECS_PER_WEEK: i64 = SECS_PER_DAY * DAYS_PER_WEEK;
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Windows in local time: one opens at `open_secs` into each local day whose
/// weekday is in `start_days`, and lasts `len_secs`. A weekly session is the
/// same with one start day and a length of up to a week. Windows never
/// overlap in local time (`len_secs` is at most the gap to the next start).
#[derive(Debug, Clone)]
struct Windows {
    /// Seconds after local midnight at which a window opens.
    open_secs: i64,
    /// Window length, 1..=86400 (daily) or 1..=604800 (weekly).
    len_secs: i64,
    /// Bit `d` set: a window opens on weekday `d` (0 = Monday).
    start_days: u8,
    /// Seconds after local midnight of the daily reset, if separate.
    reset_secs: Option<i64>,
    zone: ZoneTable,
}

impl Schedule {
    /// No schedule: always in session, never resets.
    pub fn always() -> Schedule {
        Schedule { windows: None }
    }

    /// Checks `spec` and tabulates its time zone. Errors name the key.
    pub fn new(spec: &ScheduleSpec<'_>) -> Result<Schedule, ScheduleError> {
        let open_secs = parse_time("start_time", spec.start_time)?;
        let close_secs = parse_time("end_time", spec.end_time)?;
        let reset_secs = spec
            .reset_time
            .map(|t| parse_time("reset_time", t))
            .transpose()?;
        let (start_days, len_secs) = match (spec.start_day, spec.end_day) {
            (None, None) => {
                let mut days = 0u8;
                for name in spec.weekdays {
                    let bit = 1u8 << parse_day("weekdays", name)?;
                    if days & bit != 0 {
                        return Err(ScheduleError::DuplicateWeekday {
                            found: name.to_string(),
                        });
                    }
                    days |= bit;
                }
                if days == 0 {
                    days = 0x7f;
                }
                (days, span(close_secs - open_secs, SECS_PER_DAY))
            }
            (Some(_), Some(_)) if !spec.weekdays.is_empty() => {
                return Err(ScheduleError::WeekdaysWithWeekly)
            }
            (Some(start), Some(end)) => {
                let start = parse_day("start_day", start)?;
                let end = parse_day("end_day", end)?;
                let open = i64::from(start) * SECS_PER_DAY + open_secs;
                let close = i64::from(end) * SECS_PER_DAY + close_secs;
                (1u8 << start, span(close - open, SECS_PER_WEEK))
            }
            (Some(_), None) => {
                return Err(ScheduleError::WeeklyNeedsBoth {
                    key: "start_day",
                    missing: "end_day",
                })
            }
            (None, Some(_)) => {
                return Err(ScheduleError::WeeklyNeedsBoth {
                    key: "end_day",
                    missing: "start_day",
                })
            }
        };
        let zone = ZoneTable::new(spec.time_zone)?;
        Ok(Schedule {
            windows: Some(Windows {
                open_secs,
                len_secs,
                start_days,
                reset_secs,
                zone,
            }),
        })
    }

    /// True for [`Schedule::always`].
    pub fn is_always(&self) -> bool {
        self.windows.is_none()
    }

    /// Whether `now` lies inside a window. Never allocates.
    pub fn in_session(&self, now: UtcTimestamp) -> bool {
        match &self.windows {
            None => true,
            Some(w) => w.containing(w.zone.wall_reached(now.unix_secs())).is_some(),
        }
    }

    /// The open instant of the window containing `now`; `None` outside a
    /// window and for [`Schedule::always`]. Never allocates.
    pub fn window_start(&self, now: UtcTimestamp) -> Option<UtcTimestamp> {
        let w = self.windows.as_ref()?;
        let open = w.containing(w.zone.wall_reached(now.unix_secs()))?;
        to_timestamp(w.zone.resolve(open))
    }

    /// The first open or close strictly after `now`; `None` for
    /// [`Schedule::always`] or past 2262 (where [`UtcTimestamp`] ends).
    /// Where a window closes as the next opens, that one instant is returned.
    /// Never allocates.
    pub fn next_boundary(&self, now: UtcTimestamp) -> Option<UtcTimestamp> {
        let w = self.windows.as_ref()?;
        let wall = w.zone.wall_reached(now.unix_secs());
        let next = match w.containing(wall) {
            Some(open) => open + w.len_secs,
            None => w.next_open(wall),
        };
        to_timestamp(w.zone.resolve(next))
    }

    /// True when a sequence-reset boundary lies in (since, now]: a window
    /// start, or `reset_time` if set. Always false for [`Schedule::always`]
    /// and when `now <= since`. Never allocates.
    pub fn reset_due(&self, since: UtcTimestamp, now: UtcTimestamp) -> bool {
        let Some(w) = &self.windows else {
            return false;
        };
        let from = w.zone.wall_reached(since.unix_secs());
        let to = w.zone.wall_reached(now.unix_secs());
        let next = match w.reset_secs {
            Some(at) => ((from - at).div_euclid(SECS_PER_DAY) + 1) * SECS_PER_DAY + at,
            None => w.next_open(from),
        };
        next <= to
    }
}

impl Windows {
    /// The local open of the window containing local time `wall`, if any.
    fn containing(&self, wall: i64) -> Option<i64> {
        let open = self.last_open(wall);
        (wall < open + self.len_secs).then_some(open)
    }

    /// The latest local open at or before `wall`.
    fn last_open(&self, wall: i64) -> i64 {
        let day = (wall - self.open_secs).div_euclid(SECS_PER_DAY);
        let back = (0..DAYS_PER_WEEK)
            .find(|k| self.starts_on(day - k))
            .unwrap_or(0);
        (day - back) * SECS_PER_DAY + self.open_secs
    }

    /// The earliest local open strictly after `wall`.
    fn next_open(&self, wall: i64) -> i64 {
        let day = (wall - self.open_secs).div_euclid(SECS_PER_DAY) + 1;
        let ahead = (0..DAYS_PER_WEEK)
            .find(|k| self.starts_on(day + k))
            .unwrap_or(0);
        (day + ahead) * SECS_PER_DAY + self.open_secs
    }

    /// Whether a window opens on local day `day` (days since 1970-01-01).
    fn starts_on(&self, day: i64) -> bool {
        // 1970-01-01 was a Thursday (weekday 3 counting Monday as 0).
        let weekday = (day + 3).rem_euclid(DAYS_PER_WEEK);
        self.start_days & (1 << weekday) != 0
    }
}

/// `diff` brought into `1..=period` (zero and negative wrap round).
fn span(diff: i64, period: i64) -> i64 {
    match diff.rem_euclid(period) {
        0 => period,
        n => n,
    }
}

/// Whole seconds since the epoch to a timestamp, if it fits.
fn to_timestamp(secs: i64) -> Option<UtcTimestamp> {
    secs.checked_mul(NANOS_PER_SEC)
        .map(UtcTimestamp::from_unix_nanos)
}

/// `HH:MM:SS` to seconds after midnight.
fn parse_time(key: &'static str, text: &str) -> Result<i64, ScheduleError> {
    let bad = || ScheduleError::BadTime {
        key,
        found: text.to_string(),
    };
    let b = text.as_bytes();
    if b.len() != 8 || b[2] != b':' || b[5] != b':' {
        return Err(bad());
    }
    let two = |i: usize| -> Option<i64> {
        let (h, l) = (b[i], b[i + 1]);
        (h.is_ascii_digit() && l.is_ascii_digit()).then(|| i64::from((h - b'0') * 10 + (l - b'0')))
    };
    match (two(0), two(3), two(6)) {
        (Some(h), Some(m), Some(s)) if h < 24 && m < 60 && s < 60 => Ok(h * 3600 + m * 60 + s),
        _ => Err(bad()),
    }
}

/// A day name to its weekday number (0 = Monday).
fn parse_day(key: &'static str, text: &str) -> Result<u8, ScheduleError> {
    const NAMES: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    NAMES
        .iter()
        .position(|full| text.eq_ignore_ascii_case(full) || text.eq_ignore_ascii_case(&full[..3]))
        .map(|d| d as u8)
        .ok_or_else(|| ScheduleError::BadDay {
            key,
            found: text.to_string(),
        })
}

/// A zone's UTC offsets as tables, so that evaluation is integer arithmetic.
///
/// Period `i` runs from `transitions[i - 1]` (or the start of time) to
/// `transitions[i]` (or the end of time), with UTC offset `offsets[i]`. In
/// period `i` the wall clock (`utc + offset`, in seconds on a local timeline)
/// runs up to, but not including, `transitions[i] + offsets[i]`; `reach[i]`
/// is the largest of those ends over periods `0..=i`, so it never decreases
/// even where a fall-back sets the wall clock back.
#[derive(Clone)]
struct ZoneTable {
    name: String,
    /// UTC seconds at which the offset changes, ascending.
    transitions: Vec<i64>,
    /// Offset in seconds east of UTC; one more entry than `transitions`.
    offsets: Vec<i32>,
    /// Running maximum of each period's wall-clock end; as long as `transitions`.
    reach: Vec<i64>,
}

/// The tables cover every second a [`UtcTimestamp`] can hold, plus margin for
/// boundaries a week either side.
const TABLE_FIRST_SEC: i64 = i64::MIN / NANOS_PER_SEC - 2 * SECS_PER_WEEK;
const TABLE_LAST_SEC: i64 = i64::MAX / NANOS_PER_SEC + 2 * SECS_PER_WEEK;

impl ZoneTable {
    fn new(name: &str) -> Result<ZoneTable, ScheduleError> {
        let tz = TimeZone::get(name).map_err(|_| ScheduleError::UnknownTimeZone {
            found: name.to_string(),
        })?;
        let range = |e: jiff::Error| ScheduleError::TimeZoneRange {
            name: name.to_string(),
            reason: e.to_string(),
        };
        let first = Timestamp::from_second(TABLE_FIRST_SEC).map_err(range)?;
        let last = Timestamp::from_second(TABLE_LAST_SEC).map_err(range)?;
        let mut transitions = Vec::new();
        let mut offsets = vec![tz.to_offset(first).seconds()];
        let mut reach = Vec::new();
        for t in tz.following(first) {
            if t.timestamp() > last {
                break;
            }
            let offset = t.offset().seconds();
            let previous = offsets[offsets.len() - 1];
            if offset == previous {
                continue; // only the abbreviation or DST flag changed
            }
            let at = t.timestamp().as_second();
            let end = at + i64::from(previous);
            reach.push(reach.last().map_or(end, |&r: &i64| r.max(end)));
            transitions.push(at);
            offsets.push(offset);
        }
        Ok(ZoneTable {
            name: name.to_string(),
            transitions,
            offsets,
            reach,
        })
    }

    /// The latest local wall-clock second shown at or before UTC second
    /// `utc`. Non-decreasing in `utc`; a boundary at local time `L` has
    /// happened by `utc` exactly when `L <= wall_reached(utc)`.
    fn wall_reached(&self, utc: i64) -> i64 {
        let i = self.transitions.partition_point(|&at| at <= utc);
        let wall = utc + i64::from(self.offsets[i]);
        match i.checked_sub(1) {
            Some(p) => wall.max(self.reach[p] - 1),
            None => wall,
        }
    }

    /// The first UTC second at which the wall clock reads local second
    /// `local` or later (see the module doc on DST).
    fn resolve(&self, local: i64) -> i64 {
        // The first period whose wall clock gets past `local`.
        let i = self.reach.partition_point(|&r| r <= local);
        let utc = local - i64::from(self.offsets[i]);
        match i.checked_sub(1) {
            Some(p) => utc.max(self.transitions[p]),
            None => utc,
        }
    }
}

impl fmt::Debug for ZoneTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ZoneTable")
            .field("name", &self.name)
            .field("transitions", &self.transitions.len())
            .finish()
    }
}
