//! The budgets every piece of script code runs under — a policy's top level, a helper module,
//! each `check` and `check_org` call — so a policy always stops: operations (Rhai's counter),
//! memory held (counted by `alloc::CountingAlloc`), wall-clock time, string length (checked by
//! Rhai before it allocates, so `pad` and `blob` cannot abort the process), call depth.
//!
//! Native API functions that build model data for the script (effective permissions, the
//! references of a formula, a component's children) run under [`native`]: neither their memory
//! nor their time counts, because the budget is for what a policy builds, not for the size of
//! the org it reads.

use rhai::Dynamic;
use std::cell::Cell;
use std::time::{Duration, Instant};

/// Operations one call may take: far above any real rule over a 3 MB profile, and reached by an
/// endless loop in about half a second.
pub const MAX_OPERATIONS: u64 = 10_000_000;

/// Memory one call may hold. Checked at every operation; with the natives that could allocate
/// more than the script holds bounded (`engine.rs`), one operation cannot overshoot it by more
/// than a copy of what it holds.
pub const MAX_MEMORY: i64 = 128 << 20;

/// Wall-clock time one call may run (native API work excluded).
pub const MAX_CALL_TIME: Duration = Duration::from_millis(1000);

/// Wall-clock time one call of a built-in rule may run. Built-in rules are sfpolicy's own
/// reviewed code, and must never fail on valid metadata because it is large or the machine is
/// slow (a debug build, a loaded CI runner); the limit only turns a bug into an error, not a hang.
pub const BUILTIN_CALL_TIME: Duration = Duration::from_secs(30);

/// Longest string `pad` or `replace` may build, in characters (`replace`: bytes).
pub const MAX_STRING_CHARS: usize = 16 << 20;

/// Longest array or blob `pad`, `blob`, `split` or `to_chars` may create.
pub const MAX_PADDED_LEN: i64 = 1 << 20;

#[derive(Clone, Copy)]
struct Call {
    baseline: i64,
    deadline: Instant,
    /// The time budget the deadline was set from, for the message when it is reached.
    time: Duration,
    max_memory: i64,
}

thread_local! {
    static CALL: Cell<Option<Call>> = const { Cell::new(None) };
}

/// Why the sandbox stopped a call (the `ErrorTerminated` token): memory.
pub const STOPPED_MEMORY: &str = "memory";

/// The `ErrorTerminated` token of a call stopped for time: the budget it ran past, so the
/// message states the limit that applied (user policies and built-in rules differ).
#[derive(Debug, Clone, Copy)]
pub struct StoppedTime(pub Duration);

/// Run script code under the budgets. Nested use (a helper module evaluated inside a load)
/// keeps the outer budget.
pub fn guarded<T>(f: impl FnOnce() -> T) -> T {
    guarded_with(MAX_CALL_TIME, MAX_MEMORY, f)
}

/// [`guarded`] with other time and memory budgets (the re-run that locates a limit).
pub fn guarded_with<T>(time: Duration, max_memory: i64, f: impl FnOnce() -> T) -> T {
    let outer = CALL.with(Cell::get);
    let was_counting = crate::alloc::counting(true);
    if outer.is_none() {
        CALL.with(|c| {
            c.set(Some(Call {
                baseline: crate::alloc::thread_held(),
                deadline: Instant::now() + time,
                time,
                max_memory,
            }))
        });
    }
    let result = f();
    if outer.is_none() {
        CALL.with(|c| c.set(None));
    }
    crate::alloc::counting(was_counting);
    result
}

/// Native work on the script's behalf: not counted against its memory or time.
pub fn native<T>(f: impl FnOnce() -> T) -> T {
    let was_counting = crate::alloc::counting(false);
    let start = Instant::now();
    let result = f();
    let spent = start.elapsed();
    CALL.with(|c| {
        if let Some(mut call) = c.get() {
            call.deadline += spent;
            c.set(Some(call));
        }
    });
    crate::alloc::counting(was_counting);
    result
}

/// Rhai's progress callback: `Some(token)` stops the script.
pub fn on_progress(operations: u64) -> Option<Dynamic> {
    let call = CALL.with(Cell::get)?;
    let held = crate::alloc::thread_held() - call.baseline;
    if held > call.max_memory {
        return Some(Dynamic::from(STOPPED_MEMORY));
    }
    // Reading the clock on every operation would cost more than the operation, unless the
    // operations are big ones (a script that holds a lot copies a lot).
    let often = if held > 8 << 20 { 1 } else { 256 };
    if operations % often == 0 && Instant::now() > call.deadline {
        return Some(Dynamic::from(StoppedTime(call.time)));
    }
    None
}
