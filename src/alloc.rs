//! A global allocator that counts the bytes each thread holds, so the policy sandbox can stop a
//! script that grows a string, array or map without bound.
//!
//! Rhai's own size limits re-measure a whole array after every change (quadratic for a growing
//! array); counting allocations costs one thread-local add per allocation instead.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// Counting starts when policies start: parsing allocates millions of times and needs no limit.
static COUNTING: AtomicBool = AtomicBool::new(false);

/// Start counting allocations (the policy phase).
pub fn start_counting() {
    COUNTING.store(true, Ordering::Relaxed);
}

thread_local! {
    static HELD: Cell<i64> = const { Cell::new(0) };
}

/// Net bytes allocated by this thread (allocations minus frees made on it).
pub fn thread_held() -> i64 {
    HELD.try_with(Cell::get).unwrap_or(0)
}

fn add(delta: i64) {
    if COUNTING.load(Ordering::Relaxed) {
        let _ = HELD.try_with(|h| h.set(h.get() + delta));
    }
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
