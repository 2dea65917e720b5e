//! The per-thread counting allocator behind the zero-allocation proofs.
//!
//! Owns the allocator type and the helpers that read its count; it does not
//! install itself. A global allocator is declared once per binary, so only
//! the test binaries that measure allocations declare it, each with
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: common::alloc::CountingAllocator = common::alloc::CountingAllocator;
//! ```
//!
//! Every other binary that has `mod common;` compiles this module but keeps
//! the system allocator. In a binary without the declaration the count never
//! moves, so these helpers prove nothing there.
//!
//! Counting is per thread (alloc, alloc_zeroed and realloc each count one;
//! dealloc does not), so tests may run in parallel and the harness's other
//! threads do not disturb a measurement. Keep printing and other allocating
//! diagnostics outside a measured closure.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    /// Allocations made by this thread. A const-initialised `Cell` of a
    /// plain integer needs no lazy set-up or destructor, so reading and
    /// bumping it never allocates (which would recurse into the allocator).
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// Wraps the system allocator and counts this thread's allocations.
#[derive(Debug)]
pub struct CountingAllocator;

fn count_one() {
    // `try_with`: during thread teardown the slot may be gone; skip counting then.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `System`'s guarantees are this allocator's guarantees; the
// counting touches only a thread-local integer and never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged; the caller upholds `alloc_zeroed`'s contract.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged; `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged; `ptr` came from this allocator, i.e. from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations made so far by the current thread (always 0 in a binary that
/// does not declare [`CountingAllocator`] as its global allocator).
pub fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

/// Runs `f` and returns its result with the allocations it made on this thread.
pub fn allocations_during<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = allocations();
    let result = f();
    (result, allocations() - before)
}

/// Runs `f` and fails, naming `what`, if it allocated on this thread.
pub fn assert_no_alloc<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let (result, count) = allocations_during(f);
    assert_eq!(count, 0, "{what}: {count} allocation(s) on the hot path");
    result
}
