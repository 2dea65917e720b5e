//! The session schedule: daily and weekly windows, the FX roll, DST in New
//! York, sequence resets, boundaries and config errors.
//!
//! Every instant is built from a UTC date-time with [`utc`]; no test reads a
//! clock. The DST dates are the 2026 US transitions: spring forward on
//! 2026-03-08 (02:00 EST -> 03:00 EDT, at 07:00Z) and fall back on 2026-11-01
//! (02:00 EDT -> 01:00 EST, at 06:00Z). 17:00 New York is 21:00Z in summer
//! (EDT, UTC-4) and 22:00Z in winter (EST, UTC-5).

use fixrail::codec::UtcTimestamp;
use fixrail::session::schedule::{Schedule, ScheduleSpec};

const NY: &str = "America/New_York";
const SUN_TO_THU: &[&str] = &["Sun", "Mon", "Tue", "Wed", "Thu"];
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A UTC instant from its calendar parts.
fn utc(year: i32, month: u32, day: u32, hour: u32, min: u32, sec: u32) -> UtcTimestamp {
    UtcTimestamp::from_parts(year, month, day, hour, min, sec, 0).expect("valid date-time")
}

/// `t` moved by `nanos` nanoseconds.
fn plus_nanos(t: UtcTimestamp, nanos: i64) -> UtcTimestamp {
    UtcTimestamp::from_unix_nanos(t.unix_nanos() + nanos)
}

/// `t` moved by `secs` seconds.
fn plus_secs(t: UtcTimestamp, secs: i64) -> UtcTimestamp {
    plus_nanos(t, secs * NANOS_PER_SEC)
}

/// A daily spec with every day allowed and no separate reset time.
fn daily<'a>(start_time: &'a str, end_time: &'a str, time_zone: &'a str) -> ScheduleSpec<'a> {
    ScheduleSpec {
        start_time,
        end_time,
        time_zone,
        weekdays: &[],
        start_day: None,
        end_day: None,
        reset_time: None,
    }
}

/// A weekly spec: `start_day start_time` .. `end_day end_time`.
fn weekly<'a>(
    start_day: &'a str,
    start_time: &'a str,
    end_day: &'a str,
    end_time: &'a str,
    time_zone: &'a str,
) -> ScheduleSpec<'a> {
    ScheduleSpec {
        start_day: Some(start_day),
        end_day: Some(end_day),
        ..daily(start_time, end_time, time_zone)
    }
}

fn build(spec: ScheduleSpec<'_>) -> Schedule {
    Schedule::new(&spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"))
}

/// The FX roll: 17:00 New York to 17:00 New York, windows starting Sun..Thu.
fn fx_roll() -> Schedule {
    build(ScheduleSpec {
        weekdays: SUN_TO_THU,
        ..daily("17:00:00", "17:00:00", NY)
    })
}

fn error(spec: ScheduleSpec<'_>) -> String {
    match Schedule::new(&spec) {
        Ok(_) => panic!("{spec:?} was accepted"),
        Err(e) => e.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Daily windows
// ---------------------------------------------------------------------------

/// A same-day window is open from start_time (inclusive) to end_time
/// (exclusive), to the nanosecond, every day.
#[test]
fn daily_window_is_half_open() {
    let s = build(daily("08:00:00", "17:00:00", "UTC"));
    let open = utc(2026, 6, 10, 8, 0, 0);
    let close = utc(2026, 6, 10, 17, 0, 0);
    assert!(!s.in_session(plus_nanos(open, -1)));
    assert!(s.in_session(open));
    assert!(s.in_session(utc(2026, 6, 10, 12, 30, 0)));
    assert!(s.in_session(plus_nanos(close, -1)));
    assert!(!s.in_session(close));
    assert!(!s.in_session(utc(2026, 6, 10, 23, 0, 0)));
    // Every day of the week, Saturday and Sunday included.
    for day in 13..=14 {
        assert!(s.in_session(utc(2026, 6, day, 9, 0, 0)), "June {day}");
    }
    assert!(!s.is_always());
}

/// window_start is the open of the window containing now (None outside
/// one); next_boundary is the first open or close strictly after now.
#[test]
fn daily_window_start_and_next_boundary() {
    let s = build(daily("08:00:00", "17:00:00", "UTC"));
    let open = utc(2026, 6, 10, 8, 0, 0);
    let close = utc(2026, 6, 10, 17, 0, 0);
    assert_eq!(s.window_start(open), Some(open));
    assert_eq!(s.window_start(utc(2026, 6, 10, 16, 59, 59)), Some(open));
    assert_eq!(s.window_start(close), None);
    assert_eq!(s.window_start(utc(2026, 6, 10, 7, 0, 0)), None);

    assert_eq!(s.next_boundary(utc(2026, 6, 10, 3, 0, 0)), Some(open));
    assert_eq!(s.next_boundary(plus_nanos(open, -1)), Some(open));
    assert_eq!(s.next_boundary(open), Some(close));
    assert_eq!(s.next_boundary(plus_nanos(close, -1)), Some(close));
    assert_eq!(s.next_boundary(close), Some(utc(2026, 6, 11, 8, 0, 0)));
}

/// end_time before start_time: the window runs over midnight, here in a zone
/// without DST and with a half-hour offset (Asia/Kolkata, UTC+05:30).
#[test]
fn window_crossing_midnight() {
    let s = build(daily("22:00:00", "06:00:00", "Asia/Kolkata"));
    // 22:00 IST = 16:30Z; 06:00 IST next day = 00:30Z.
    let open = utc(2026, 6, 10, 16, 30, 0);
    let close = utc(2026, 6, 11, 0, 30, 0);
    assert!(!s.in_session(plus_secs(open, -1)));
    assert!(s.in_session(open));
    assert!(s.in_session(utc(2026, 6, 10, 20, 0, 0))); // 01:30 IST, after local midnight
    assert!(s.in_session(plus_secs(close, -1)));
    assert!(!s.in_session(close));
    assert_eq!(s.window_start(utc(2026, 6, 10, 23, 0, 0)), Some(open));
    assert_eq!(s.next_boundary(utc(2026, 6, 10, 19, 0, 0)), Some(close));
    assert_eq!(
        s.next_boundary(close),
        Some(utc(2026, 6, 11, 16, 30, 0)),
        "next evening"
    );
}

/// weekdays names the day a window STARTS: a Monday-only overnight window
/// runs on into Tuesday morning, and nothing opens on Tuesday evening.
#[test]
fn weekdays_are_the_days_a_window_starts() {
    let s = build(ScheduleSpec {
        weekdays: &["monday"],
        ..daily("22:00:00", "06:00:00", "UTC")
    });
    // 2026-06-08 is a Monday.
    assert!(
        !s.in_session(utc(2026, 6, 8, 3, 0, 0)),
        "Monday early: Sunday's window"
    );
    assert!(s.in_session(utc(2026, 6, 8, 22, 0, 0)));
    assert!(s.in_session(utc(2026, 6, 9, 5, 59, 59)), "Tuesday morning");
    assert!(!s.in_session(utc(2026, 6, 9, 6, 0, 0)));
    assert!(!s.in_session(utc(2026, 6, 9, 23, 0, 0)), "Tuesday evening");
    assert_eq!(
        s.next_boundary(utc(2026, 6, 9, 6, 0, 0)),
        Some(utc(2026, 6, 15, 22, 0, 0)),
        "next Monday"
    );
}

// ---------------------------------------------------------------------------
// The FX roll
// ---------------------------------------------------------------------------

/// The FX roll: closed from Friday 17:00 New York until Sunday 17:00; during
/// the week the 17:00 roll closes one window and opens the next at the same
/// instant, which belongs to the new window.
#[test]
fn fx_roll_closes_friday_and_reopens_sunday() {
    let s = fx_roll();
    // June 2026, EDT: 17:00 New York = 21:00Z. 2026-06-12 is a Friday.
    let friday_close = utc(2026, 6, 12, 21, 0, 0);
    let sunday_open = utc(2026, 6, 14, 21, 0, 0);
    assert!(s.in_session(plus_nanos(friday_close, -1)));
    assert!(!s.in_session(friday_close));
    assert!(!s.in_session(utc(2026, 6, 13, 12, 0, 0)), "Saturday");
    assert!(!s.in_session(plus_nanos(sunday_open, -1)));
    assert!(s.in_session(sunday_open));
    assert_eq!(s.window_start(utc(2026, 6, 13, 12, 0, 0)), None);
    assert_eq!(s.next_boundary(friday_close), Some(sunday_open));
    assert_eq!(
        s.next_boundary(utc(2026, 6, 11, 21, 0, 0)),
        Some(friday_close),
        "Thursday's window closes on Friday"
    );

    // Tuesday's roll.
    let roll = utc(2026, 6, 9, 21, 0, 0);
    let monday_open = utc(2026, 6, 8, 21, 0, 0);
    assert!(s.in_session(plus_nanos(roll, -1)));
    assert!(s.in_session(roll));
    assert_eq!(s.window_start(plus_nanos(roll, -1)), Some(monday_open));
    assert_eq!(s.window_start(roll), Some(roll));
    assert_eq!(s.next_boundary(utc(2026, 6, 9, 20, 0, 0)), Some(roll));
    assert_eq!(s.next_boundary(roll), Some(utc(2026, 6, 10, 21, 0, 0)));

    // Each roll resets; the weekend does not, until Sunday's open.
    assert!(s.reset_due(plus_nanos(roll, -1), roll));
    assert!(!s.reset_due(roll, plus_secs(roll, 1)));
    assert!(!s.reset_due(friday_close, plus_secs(sunday_open, -1)));
    assert!(s.reset_due(friday_close, sunday_open));
}

/// Over all of 2026 at one-minute steps, the FX roll agrees with a
/// reference written directly with jiff (wall-clock time in New York:
/// at or after 17:00 a window started today, before 17:00 yesterday), and
/// the boundary walk finds one open per Sun..Thu day of the year.
#[test]
fn fx_roll_matches_a_jiff_reference_over_2026() {
    use jiff::civil::Weekday::*;
    let s = fx_roll();
    let tz = jiff::tz::TimeZone::get(NY).unwrap();
    let start = utc(2026, 1, 1, 0, 0, 0);
    let end = utc(2027, 1, 1, 0, 0, 0);
    let mut t = start;
    while t < end {
        let local = jiff::Timestamp::from_second(t.unix_secs())
            .unwrap()
            .to_zoned(tz.clone());
        let after_roll = local.hour() >= 17;
        let expected = match local.weekday() {
            Sunday => after_roll,
            Monday | Tuesday | Wednesday | Thursday => true,
            Friday => !after_roll,
            Saturday => false,
        };
        assert_eq!(s.in_session(t), expected, "{local}");
        t = plus_secs(t, 60);
    }

    let mut opens = 0;
    let mut t = start;
    while let Some(b) = s.next_boundary(t).filter(|&b| b < end) {
        if s.window_start(b) == Some(b) {
            opens += 1;
        }
        t = b;
    }
    assert_eq!(opens, 261, "Sun..Thu days in 2026");
}

// ---------------------------------------------------------------------------
// Weekly sessions
// ---------------------------------------------------------------------------

/// A weekly session from Sunday 17:00 to Friday 17:00 New York: one window,
/// one reset (at its open) per week.
#[test]
fn weekly_session_sunday_to_friday() {
    let s = build(weekly("Sun", "17:00:00", "Fri", "17:00:00", NY));
    let open = utc(2026, 6, 14, 21, 0, 0);
    let close = utc(2026, 6, 19, 21, 0, 0);
    assert!(!s.in_session(plus_secs(open, -1)));
    assert!(s.in_session(open));
    assert!(
        s.in_session(utc(2026, 6, 17, 21, 0, 0)),
        "Wednesday's 17:00 is no boundary"
    );
    assert!(s.in_session(plus_secs(close, -1)));
    assert!(!s.in_session(close));
    assert!(!s.in_session(utc(2026, 6, 20, 12, 0, 0)), "Saturday");
    assert_eq!(s.window_start(utc(2026, 6, 17, 3, 0, 0)), Some(open));
    assert_eq!(s.next_boundary(open), Some(close));
    assert_eq!(s.next_boundary(close), Some(utc(2026, 6, 21, 21, 0, 0)));
    assert!(!s.reset_due(utc(2026, 6, 15, 0, 0, 0), utc(2026, 6, 19, 0, 0, 0)));
    assert!(s.reset_due(utc(2026, 6, 20, 0, 0, 0), utc(2026, 6, 21, 21, 0, 0)));
}

/// A weekly window may wrap the week: Friday 22:00 to Monday 06:00 UTC.
#[test]
fn weekly_window_wrapping_the_week() {
    let s = build(weekly("fri", "22:00:00", "MONDAY", "06:00:00", "UTC"));
    let open = utc(2026, 6, 12, 22, 0, 0); // Friday
    let close = utc(2026, 6, 15, 6, 0, 0); // Monday
    assert!(!s.in_session(plus_nanos(open, -1)));
    assert!(s.in_session(open));
    assert!(s.in_session(utc(2026, 6, 13, 12, 0, 0)), "Saturday");
    assert!(s.in_session(utc(2026, 6, 14, 23, 59, 59)), "Sunday night");
    assert!(s.in_session(plus_nanos(close, -1)));
    assert!(!s.in_session(close));
    assert!(!s.in_session(utc(2026, 6, 17, 12, 0, 0)), "Wednesday");
    assert_eq!(s.window_start(utc(2026, 6, 15, 1, 0, 0)), Some(open));
    assert_eq!(s.next_boundary(utc(2026, 6, 14, 0, 0, 0)), Some(close));
    assert_eq!(s.next_boundary(close), Some(utc(2026, 6, 19, 22, 0, 0)));
}

/// Equal start and end (day and time) is a full week that closes and reopens
/// at that instant: always in session, with a reset once a week.
#[test]
fn weekly_full_week_rolls_once_a_week() {
    let s = build(weekly("Sun", "17:00:00", "Sun", "17:00:00", NY));
    let roll = utc(2026, 6, 14, 21, 0, 0);
    for hours in 0..(24 * 14) {
        assert!(s.in_session(plus_secs(roll, hours * 3600 - 1800)));
    }
    assert_eq!(
        s.window_start(plus_secs(roll, -1)),
        Some(utc(2026, 6, 7, 21, 0, 0))
    );
    assert_eq!(s.window_start(roll), Some(roll));
    assert_eq!(s.next_boundary(roll), Some(utc(2026, 6, 21, 21, 0, 0)));
    assert!(s.reset_due(plus_secs(roll, -1), roll));
    assert!(!s.reset_due(roll, utc(2026, 6, 21, 20, 0, 0)));
}

// ---------------------------------------------------------------------------
// Daylight-saving time (America/New_York, 2026)
// ---------------------------------------------------------------------------

/// A 17:00 to 17:00 window over the spring-forward night lasts 23 hours;
/// over the fall-back night, 25. Boundaries stay at 17:00 wall-clock time.
#[test]
fn dst_windows_follow_wall_clock_time() {
    let s = build(daily("17:00:00", "17:00:00", NY));

    // Spring: opens Saturday 17:00 EST (22:00Z), closes Sunday 17:00 EDT (21:00Z).
    let open = utc(2026, 3, 7, 22, 0, 0);
    let close = utc(2026, 3, 8, 21, 0, 0);
    assert_eq!(s.window_start(utc(2026, 3, 8, 7, 30, 0)), Some(open));
    assert_eq!(s.next_boundary(open), Some(close));
    assert_eq!(close.unix_secs() - open.unix_secs(), 23 * 3600);
    assert_eq!(s.window_start(close), Some(close));
    assert_eq!(s.next_boundary(close), Some(utc(2026, 3, 9, 21, 0, 0)));
    assert!(s.reset_due(plus_secs(close, -1), close));
    assert!(!s.reset_due(plus_secs(open, 1), utc(2026, 3, 8, 20, 59, 59)));

    // Fall: opens Saturday 17:00 EDT (21:00Z), closes Sunday 17:00 EST (22:00Z).
    let open = utc(2026, 10, 31, 21, 0, 0);
    let close = utc(2026, 11, 1, 22, 0, 0);
    assert_eq!(s.window_start(utc(2026, 11, 1, 6, 30, 0)), Some(open));
    assert_eq!(s.next_boundary(open), Some(close));
    assert_eq!(close.unix_secs() - open.unix_secs(), 25 * 3600);
    assert_eq!(s.next_boundary(close), Some(utc(2026, 11, 2, 22, 0, 0)));
    // The hour 21:00Z..22:00Z on Sunday 11-01 (16:00..17:00 EST) is no roll.
    assert_eq!(s.window_start(utc(2026, 11, 1, 21, 30, 0)), Some(open));
}

/// The FX roll with Sun..Thu around both transitions: the Friday close is at
/// the old offset, the Sunday open at the new one.
#[test]
fn dst_fx_roll_weekend_on_transition_sundays() {
    let s = fx_roll();
    // Friday 2026-03-06 17:00 EST = 22:00Z; Sunday 2026-03-08 17:00 EDT = 21:00Z.
    assert!(s.in_session(utc(2026, 3, 6, 21, 59, 59)));
    assert!(!s.in_session(utc(2026, 3, 6, 22, 0, 0)));
    assert_eq!(
        s.next_boundary(utc(2026, 3, 6, 22, 0, 0)),
        Some(utc(2026, 3, 8, 21, 0, 0))
    );
    // Friday 2026-10-30 17:00 EDT = 21:00Z; Sunday 2026-11-01 17:00 EST = 22:00Z.
    assert!(!s.in_session(utc(2026, 10, 30, 21, 0, 0)));
    assert_eq!(
        s.next_boundary(utc(2026, 10, 30, 21, 0, 0)),
        Some(utc(2026, 11, 1, 22, 0, 0))
    );
    assert!(!s.in_session(utc(2026, 11, 1, 21, 30, 0)), "16:30 EST");
}

/// A start time in the spring-forward gap (02:30 on 2026-03-08 does not
/// exist in New York) happens when the clocks jump: 03:00 EDT = 07:00Z.
#[test]
fn dst_start_time_in_the_gap_opens_at_the_jump() {
    let s = build(daily("02:30:00", "04:00:00", NY));
    // The day before: 02:30 EST = 07:30Z.
    assert!(!s.in_session(utc(2026, 3, 7, 7, 29, 59)));
    assert!(s.in_session(utc(2026, 3, 7, 7, 30, 0)));
    // Transition day.
    let jump = utc(2026, 3, 8, 7, 0, 0);
    assert!(
        !s.in_session(plus_nanos(jump, -1)),
        "01:59:59.999999999 EST"
    );
    assert!(s.in_session(jump));
    assert_eq!(s.window_start(utc(2026, 3, 8, 7, 45, 0)), Some(jump));
    assert_eq!(s.next_boundary(utc(2026, 3, 8, 6, 0, 0)), Some(jump));
    assert_eq!(
        s.next_boundary(jump),
        Some(utc(2026, 3, 8, 8, 0, 0)),
        "04:00 EDT"
    );
    assert!(s.reset_due(plus_secs(jump, -1), jump));
    // The day after: 02:30 EDT = 06:30Z.
    assert!(s.in_session(utc(2026, 3, 9, 6, 30, 0)));
}

/// A window lying wholly inside the gap does not happen that day, and the
/// days around it are unaffected.
#[test]
fn dst_window_inside_the_gap_is_skipped_that_day() {
    let s = build(daily("02:10:00", "02:40:00", NY));
    let mut t = utc(2026, 3, 8, 5, 0, 0);
    while t < utc(2026, 3, 8, 10, 0, 0) {
        assert!(!s.in_session(t), "{}", t.unix_secs());
        t = plus_secs(t, 30);
    }
    assert!(
        s.in_session(utc(2026, 3, 7, 7, 20, 0)),
        "02:20 EST the day before"
    );
    assert!(
        s.in_session(utc(2026, 3, 9, 6, 20, 0)),
        "02:20 EDT the day after"
    );
}

/// A boundary in the fall-back fold happens once, at the first 01:30: a
/// window closing at 01:30 does not reopen in the repeated hour, and a
/// window opening at 01:30 opens at 01:30 EDT.
#[test]
fn dst_boundary_in_the_fold_happens_at_its_first_occurrence() {
    let s = build(daily("00:00:00", "01:30:00", NY));
    // 00:00 EDT = 04:00Z; first 01:30 (EDT) = 05:30Z; the repeated hour is
    // 06:00Z..07:00Z (01:00..02:00 EST).
    assert!(s.in_session(utc(2026, 11, 1, 4, 0, 0)));
    assert!(s.in_session(utc(2026, 11, 1, 5, 29, 59)));
    assert!(!s.in_session(utc(2026, 11, 1, 5, 30, 0)));
    assert!(
        !s.in_session(utc(2026, 11, 1, 6, 15, 0)),
        "01:15 EST, second time round"
    );
    assert_eq!(
        s.next_boundary(utc(2026, 11, 1, 4, 0, 0)),
        Some(utc(2026, 11, 1, 5, 30, 0))
    );
    assert_eq!(
        s.next_boundary(utc(2026, 11, 1, 6, 15, 0)),
        Some(utc(2026, 11, 2, 5, 0, 0)),
        "midnight EST"
    );
    assert!(!s.reset_due(utc(2026, 11, 1, 5, 0, 0), utc(2026, 11, 1, 7, 0, 0)));

    let s = build(daily("01:30:00", "03:00:00", NY));
    let open = utc(2026, 11, 1, 5, 30, 0);
    assert!(!s.in_session(plus_secs(open, -1)));
    assert_eq!(s.window_start(utc(2026, 11, 1, 6, 45, 0)), Some(open));
    assert_eq!(
        s.next_boundary(open),
        Some(utc(2026, 11, 1, 8, 0, 0)),
        "03:00 EST"
    );
    assert!(
        !s.reset_due(open, utc(2026, 11, 1, 7, 59, 59)),
        "no second open at 01:30 EST"
    );
}

// ---------------------------------------------------------------------------
// Sequence resets
// ---------------------------------------------------------------------------

/// Without reset_time a reset is due at each window open, in (since, now]:
/// `since` exclusive, `now` inclusive, to the nanosecond. Closes do not reset.
#[test]
fn reset_due_at_window_start_without_reset_time() {
    let s = build(daily("08:00:00", "17:00:00", "UTC"));
    let open = utc(2026, 6, 10, 8, 0, 0);
    assert!(s.reset_due(plus_nanos(open, -1), open));
    assert!(s.reset_due(utc(2026, 6, 9, 17, 0, 0), utc(2026, 6, 10, 12, 0, 0)));
    assert!(
        !s.reset_due(open, plus_nanos(open, 1)),
        "since is exclusive"
    );
    assert!(!s.reset_due(plus_nanos(open, -2), plus_nanos(open, -1)));
    assert!(
        !s.reset_due(open, utc(2026, 6, 11, 7, 59, 59)),
        "the close is no reset"
    );
    assert!(!s.reset_due(open, open), "empty interval");
    assert!(
        !s.reset_due(utc(2026, 6, 11, 12, 0, 0), utc(2026, 6, 9, 12, 0, 0)),
        "backwards"
    );
}

/// With reset_time the reset is at that daily time instead (every calendar
/// day, also those without a window), and window opens no longer reset.
#[test]
fn reset_due_at_reset_time() {
    let s = build(ScheduleSpec {
        weekdays: &["Mon", "Tue", "Wed", "Thu", "Fri"],
        reset_time: Some("06:00:00"),
        ..daily("08:00:00", "17:00:00", "UTC")
    });
    let reset = utc(2026, 6, 10, 6, 0, 0);
    assert!(s.reset_due(plus_nanos(reset, -1), reset));
    assert!(!s.reset_due(reset, utc(2026, 6, 10, 7, 0, 0)));
    assert!(
        !s.reset_due(utc(2026, 6, 10, 7, 0, 0), utc(2026, 6, 10, 9, 0, 0)),
        "open"
    );
    assert!(!s.reset_due(utc(2026, 6, 10, 7, 0, 0), utc(2026, 6, 11, 5, 59, 59)));
    assert!(s.reset_due(utc(2026, 6, 10, 7, 0, 0), utc(2026, 6, 11, 6, 0, 0)));
    // Saturday 2026-06-13 has no window but still has its reset.
    assert!(s.reset_due(utc(2026, 6, 13, 5, 0, 0), utc(2026, 6, 13, 7, 0, 0)));
    // The reset time does not change the windows.
    assert!(s.in_session(utc(2026, 6, 10, 8, 0, 0)));
    assert_eq!(s.next_boundary(reset), Some(utc(2026, 6, 10, 8, 0, 0)));
}

/// reset_time is wall-clock time in the zone, across DST too.
#[test]
fn reset_time_follows_dst() {
    let s = build(ScheduleSpec {
        reset_time: Some("17:00:00"),
        ..daily("00:00:00", "00:00:00", NY)
    });
    assert!(
        s.reset_due(utc(2026, 3, 7, 21, 59, 59), utc(2026, 3, 7, 22, 0, 0)),
        "EST"
    );
    assert!(!s.reset_due(utc(2026, 3, 8, 20, 0, 0), utc(2026, 3, 8, 20, 59, 59)));
    assert!(
        s.reset_due(utc(2026, 3, 8, 20, 59, 59), utc(2026, 3, 8, 21, 0, 0)),
        "EDT"
    );
}

/// Schedule::always: in session at every instant, no windows, no boundaries,
/// never a reset.
#[test]
fn always_is_always_in_session_and_never_resets() {
    let s = Schedule::always();
    assert!(s.is_always());
    let start = utc(2026, 1, 1, 0, 0, 0);
    for hour in 0..(24 * 366) {
        let t = plus_secs(start, hour * 3600);
        assert!(s.in_session(t));
        assert_eq!(s.window_start(t), None);
        assert_eq!(s.next_boundary(t), None);
    }
    assert!(!s.reset_due(start, utc(2027, 1, 1, 0, 0, 0)));
    assert!(!s.reset_due(
        UtcTimestamp::from_unix_nanos(i64::MIN),
        UtcTimestamp::from_unix_nanos(i64::MAX)
    ));
}

// ---------------------------------------------------------------------------
// Consistency of the four queries
// ---------------------------------------------------------------------------

/// For several schedules (DST, gap, fold, wrap, weekly) over 2026 at odd
/// steps: the state holds until next_boundary; window_start is set exactly
/// when in session and is at or before now; and with no reset_time a reset
/// is due over (t, b] exactly when b opens a window.
#[test]
fn queries_agree_with_each_other() {
    let specs = [
        ScheduleSpec {
            weekdays: SUN_TO_THU,
            ..daily("17:00:00", "17:00:00", NY)
        },
        daily("02:30:00", "01:30:00", NY),
        daily("01:30:00", "02:30:00", NY),
        daily("09:00:00", "16:30:00", "Europe/London"),
        daily("23:00:00", "07:00:00", "Australia/Sydney"),
        weekly("Fri", "22:00:00", "Mon", "06:00:00", NY),
        weekly("Wed", "12:00:00", "Wed", "11:00:00", "Australia/Lord_Howe"),
    ];
    for spec in specs {
        let s = build(spec);
        let end = utc(2027, 1, 1, 0, 0, 0);
        let mut t = utc(2026, 1, 1, 0, 0, 0);
        while t < end {
            let b = s.next_boundary(t).expect("a boundary");
            assert!(b > t, "{spec:?} at {t:?}");
            let inside = s.in_session(t);
            assert_eq!(s.in_session(plus_nanos(b, -1)), inside, "{spec:?} at {t:?}");
            match s.window_start(t) {
                Some(w) => assert!(inside && w <= t, "{spec:?} at {t:?}"),
                None => assert!(!inside, "{spec:?} at {t:?}"),
            }
            assert!(!s.reset_due(t, plus_nanos(b, -1)), "{spec:?} at {t:?}");
            let opens = s.window_start(b) == Some(b);
            assert_eq!(s.reset_due(t, b), opens, "{spec:?} at {t:?}");
            assert!(
                opens || s.in_session(b) != inside,
                "{spec:?}: {b:?} changes nothing"
            );
            t = plus_secs(t, 7 * 60 + 13);
        }
    }
}

// ---------------------------------------------------------------------------
// Config errors
// ---------------------------------------------------------------------------

/// Bad times name their key and quote the value.
#[test]
fn bad_times_name_the_key() {
    assert_eq!(
        error(daily("25:00", "17:00:00", "UTC")),
        r#"start_time: expected HH:MM:SS, found "25:00""#
    );
    for bad in [
        "24:00:00",
        "9:00:00",
        "09:60:00",
        "09:00:60",
        "ab:cd:ef",
        "09-00-00",
        "",
        " 09:00:00",
    ] {
        assert_eq!(
            error(daily("08:00:00", bad, "UTC")),
            format!("end_time: expected HH:MM:SS, found {bad:?}")
        );
    }
    assert_eq!(
        error(ScheduleSpec {
            reset_time: Some("7am"),
            ..daily("08:00:00", "17:00:00", "UTC")
        }),
        r#"reset_time: expected HH:MM:SS, found "7am""#
    );
    assert!(Schedule::new(&daily("00:00:00", "23:59:59", "UTC")).is_ok());
}

/// Unknown zones name the key; IANA names and UTC are accepted.
#[test]
fn unknown_time_zone_names_the_key() {
    assert_eq!(
        error(daily("08:00:00", "17:00:00", "Mars/Base")),
        r#"time_zone: unknown time zone "Mars/Base""#
    );
    assert_eq!(
        error(daily("08:00:00", "17:00:00", "")),
        r#"time_zone: unknown time zone """#
    );
    for zone in ["UTC", "America/New_York", "Europe/London", "Asia/Tokyo"] {
        assert!(
            Schedule::new(&daily("08:00:00", "17:00:00", zone)).is_ok(),
            "{zone}"
        );
    }
}

/// start_day and end_day come together, and never with weekdays; day names
/// are checked.
#[test]
fn day_errors_name_the_key() {
    assert_eq!(
        error(ScheduleSpec {
            start_day: Some("Sun"),
            ..daily("17:00:00", "17:00:00", NY)
        }),
        "start_day: set end_day too (a weekly session needs both)"
    );
    assert_eq!(
        error(ScheduleSpec {
            end_day: Some("Fri"),
            ..daily("17:00:00", "17:00:00", NY)
        }),
        "end_day: set start_day too (a weekly session needs both)"
    );
    assert_eq!(
        error(ScheduleSpec {
            weekdays: SUN_TO_THU,
            ..weekly("Sun", "17:00:00", "Fri", "17:00:00", NY)
        }),
        "weekdays: cannot be combined with start_day/end_day"
    );
    assert_eq!(
        error(ScheduleSpec {
            weekdays: &["Mon", "Funday"],
            ..daily("17:00:00", "17:00:00", NY)
        }),
        r#"weekdays: expected a day name (Mon..Sun or Monday..Sunday), found "Funday""#
    );
    assert_eq!(
        error(weekly("Sonntag", "17:00:00", "Fri", "17:00:00", NY)),
        r#"start_day: expected a day name (Mon..Sun or Monday..Sunday), found "Sonntag""#
    );
    assert_eq!(
        error(weekly("Sun", "17:00:00", "Fr", "17:00:00", NY)),
        r#"end_day: expected a day name (Mon..Sun or Monday..Sunday), found "Fr""#
    );
    assert_eq!(
        error(ScheduleSpec {
            weekdays: &["mon", "Monday"],
            ..daily("17:00:00", "17:00:00", NY)
        }),
        r#"weekdays: "Monday" is listed twice"#
    );
}

/// Day names are case-insensitive, three-letter or full.
#[test]
fn day_names_accept_short_and_long_forms() {
    let names: &[&str] = &[
        "mon", "TUESDAY", "Wed", "thursday", "FRI", "Saturday", "sun",
    ];
    let s = build(ScheduleSpec {
        weekdays: names,
        ..daily("08:00:00", "17:00:00", "UTC")
    });
    for day in 8..=14 {
        assert!(s.in_session(utc(2026, 6, day, 9, 0, 0)), "June {day}");
    }
}

// ---------------------------------------------------------------------------
// Range
// ---------------------------------------------------------------------------

/// The zone table covers the far future (rules, not just listed
/// transitions) and the ends of UtcTimestamp's range answer without panic.
#[test]
fn far_dates_and_the_ends_of_the_range() {
    let s = build(daily("17:00:00", "17:00:00", NY));
    // July 2200 is EDT (17:00 = 21:00Z); January 2200 is EST (22:00Z).
    assert_eq!(
        s.window_start(utc(2200, 7, 1, 23, 0, 0)),
        Some(utc(2200, 7, 1, 21, 0, 0))
    );
    assert_eq!(
        s.next_boundary(utc(2200, 1, 1, 12, 0, 0)),
        Some(utc(2200, 1, 1, 22, 0, 0))
    );
    let first = UtcTimestamp::from_unix_nanos(i64::MIN);
    let last = UtcTimestamp::from_unix_nanos(i64::MAX);
    for t in [first, last] {
        assert!(s.in_session(t));
        let _ = s.window_start(t);
    }
    assert!(s.next_boundary(first).is_some());
    assert_eq!(s.next_boundary(last), None, "past 2262");
    assert!(s.reset_due(first, last));
    assert!(!s.reset_due(last, first));
}
