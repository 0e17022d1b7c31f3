//! A global allocator that counts the bytes each thread holds while a policy runs, so the
//! sandbox can stop a script that grows a string, array or map without bound.
//!
//! Rhai's own size limits re-measure a whole array after every change (quadratic for a growing
//! array); counting allocations costs one thread-local add per allocation instead. Counting is on
//! only on a thread that runs script code (`counting(true)`), and off again while a native API
//! function builds model data the script reads (`policy::sandbox::native`): the budget is for what
//! a policy builds, not for the org it reads.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static HELD: Cell<i64> = const { Cell::new(0) };
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
}

/// Net bytes allocated by this thread while counting was on (allocations minus frees made on it).
pub fn thread_held() -> i64 {
    HELD.try_with(Cell::get).unwrap_or(0)
}

/// Turn counting on or off for this thread; returns what it was.
pub fn counting(on: bool) -> bool {
    ACTIVE.try_with(|a| a.replace(on)).unwrap_or(false)
}

/// Run `f` with counting off: model data loaded on first use (a document's positions, a file's
/// lines) belongs to the run, not to the policy that happened to ask first.
pub fn uncounted<T>(f: impl FnOnce() -> T) -> T {
    let was = counting(false);
    let result = f();
    counting(was);
    result
}

fn add(delta: i64) {
    let _ = ACTIVE.try_with(|a| {
        if a.get() {
            let _ = HELD.try_with(|h| h.set(h.get() + delta));
        }
    });
}

/// Install in a binary with `#[global_allocator]`.
pub struct CountingAlloc;

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as i64);
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as i64));
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as i64 - layout.size() as i64);
        System.realloc(ptr, layout, new_size)
    }
}
