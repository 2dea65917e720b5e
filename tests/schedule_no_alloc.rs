//! The zero-allocation proof for the session schedule.
//!
//! Its own test binary because it installs a counting global allocator. The
//! counter is per thread, so the harness's other threads do not disturb it.
//! Each schedule is built first (building allocates: the zone tables); then
//! all four queries run over a year of instants inside [`assert_no_alloc`].

mod common;

use common::alloc::allocations_during;
use fixrail::codec::UtcTimestamp;
use fixrail::session::schedule::{Schedule, ScheduleSpec};
use std::hint::black_box;

/// Counts this thread's allocations (see `tests/common/alloc.rs`).
#[global_allocator]
static GLOBAL: common::alloc::CountingAllocator = common::alloc::CountingAllocator;

/// The counter sees allocations, so a zero count below means something; and
/// building a schedule (which tabulates its zone) is seen allocating.
#[test]
fn the_counter_sees_allocations() {
    let (_, count) = allocations_during(|| black_box(Box::new(7u64)));
    assert_eq!(count, 1);
    let (schedule, count) = allocations_during(|| Schedule::new(&fx_roll_spec()));
    assert!(schedule.is_ok());
    assert!(count > 0, "building counted {count}");
}

fn fx_roll_spec() -> ScheduleSpec<'static> {
    ScheduleSpec {
        start_time: "17:00:00",
        end_time: "17:00:00",
        time_zone: "America/New_York",
        weekdays: &["Sun", "Mon", "Tue", "Wed", "Thu"],
        start_day: None,
        end_day: None,
        reset_time: None,
    }
}

/// What the queries answered, summed so nothing is optimised away and so the
/// test can check the loop really exercised both states.
#[derive(Debug, Default)]
struct Tally {
    in_session: u64,
    out_of_session: u64,
    window_starts: i64,
    boundaries: i64,
    resets: u64,
}

/// All four queries, for four schedules (the FX roll across both 2026 DST
/// transitions, a weekly session wrapping the week, a daily window with a
/// separate reset time, and `always`), every 97 seconds through 2026
/// (about 325,000 instants each): zero allocations.
#[test]
fn schedule_queries_do_not_allocate() {
    let schedules = [
        Schedule::new(&fx_roll_spec()).unwrap(),
        Schedule::new(&ScheduleSpec {
            weekdays: &[],
            start_day: Some("Fri"),
            end_day: Some("Mon"),
            start_time: "22:00:00",
            end_time: "06:00:00",
            ..fx_roll_spec()
        })
        .unwrap(),
        Schedule::new(&ScheduleSpec {
            start_time: "08:00:00",
            end_time: "16:30:00",
            time_zone: "Europe/London",
            weekdays: &[],
            reset_time: Some("06:00:00"),
            ..fx_roll_spec()
        })
        .unwrap(),
        Schedule::always(),
    ];
    let start = UtcTimestamp::from_parts(2026, 1, 1, 0, 0, 0, 0).unwrap();
    let end = UtcTimestamp::from_parts(2027, 1, 1, 0, 0, 0, 0).unwrap();
    let step_nanos = 97 * 1_000_000_000;
    for (i, schedule) in schedules.iter().enumerate() {
        let (tally, count) = allocations_during(|| {
            let mut tally = Tally::default();
            let mut previous = start;
            let mut t = start;
            while t < end {
                let s = black_box(schedule);
                if s.in_session(black_box(t)) {
                    tally.in_session += 1;
                } else {
                    tally.out_of_session += 1;
                }
                if let Some(w) = s.window_start(t) {
                    tally.window_starts ^= w.unix_nanos();
                }
                if let Some(b) = s.next_boundary(t) {
                    tally.boundaries ^= b.unix_nanos();
                }
                if s.reset_due(previous, t) {
                    tally.resets += 1;
                }
                previous = t;
                t = UtcTimestamp::from_unix_nanos(t.unix_nanos() + step_nanos);
            }
            tally
        });
        assert_eq!(
            count, 0,
            "schedule {i}: {count} allocation(s) in the queries"
        );
        if schedule.is_always() {
            assert_eq!(tally.out_of_session, 0, "{tally:?}");
            assert_eq!(tally.resets, 0, "{tally:?}");
        } else {
            assert!(
                tally.in_session > 0 && tally.out_of_session > 0,
                "schedule {i}: {tally:?}"
            );
            assert!(tally.resets >= 52, "schedule {i}: {tally:?}");
        }
    }
}
