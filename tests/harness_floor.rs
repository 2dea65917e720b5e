//! The loopback TCP floor gives plausible figures and allocates nothing in
//! its measured loop. Alone in its test binary: the allocation counter is
//! process-wide (the floor runs a server thread), so no other test may run
//! beside it, and libtest's main thread only waits while it runs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

use fixrail::harness::{tcp_floor, Percentiles};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

#[allow(unsafe_code)]
// SAFETY: delegates every call to the system allocator unchanged; it only
// counts allocations.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on as is.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `realloc` is passed on as is.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The floor measures every round trip asked for, with ordered, non-zero
/// percentiles, and the allocations of a run do not grow with its length:
/// the measured loop allocates nothing.
#[test]
fn the_floor_is_plausible_and_its_loop_does_not_allocate() {
    // Warm process-wide one-offs (TSC calibration, thread-name machinery).
    tcp_floor(64, 10, 0).unwrap();

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let short = tcp_floor(64, 100, 10).unwrap();
    let short_allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let h = tcp_floor(64, 2_000, 200).unwrap();
    let long_allocs = ALLOCATIONS.load(Ordering::Relaxed) - before;

    assert_eq!(short.len(), 100);
    assert_eq!(
        long_allocs, short_allocs,
        "2,200 round trips allocated {long_allocs} times, 110 allocated {short_allocs}: the loop allocates"
    );

    let p = Percentiles::from_histogram(&h);
    assert_eq!(p.count, 2_000);
    assert!(p.min > 0 && p.p50 > 0, "{p:?}");
    assert!(p.min <= p.p50, "{p:?}");
    assert!(p.p50 <= p.p90 && p.p90 <= p.p99, "{p:?}");
    assert!(p.p99 <= p.p999 && p.p999 <= p.p9999, "{p:?}");
    assert!(p.p9999 <= p.max, "{p:?}");
    // A loopback round trip is a few µs at best and far below a second
    // at the median even on a starved machine.
    assert!(p.p50 >= 500 && p.p50 < 100_000_000, "{p:?}");
    eprintln!(
        "floor 64 B: min {} ns, p50 {} ns, p90 {} ns, p99 {} ns, p99.9 {} ns, max {} ns",
        p.min, p.p50, p.p90, p.p99, p.p999, p.max
    );
}
