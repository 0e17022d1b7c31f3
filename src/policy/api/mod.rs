//! The API policies see: metadata as custom types that are handles into parsed documents.
//!
//! Reading a property never copies a subtree: an `Element` is an `Arc<Document>` plus a node id.
//! Findings go to a per-thread sink through `report(...)` and carry the location of the handle
//! they were given, so they point at the exact XML element. One file per domain:
//!
//! | file | types and functions |
//! |---|---|
//! | `documents.rs` | `Element`, `Component`, `Org` lookups |
//! | `permissions.rs` | `Permissions`, `UserGrant`, `ObjectGrant`, `FieldGrant` |
//! | `identities.rs` | `Identity`, `PreAuthorization`, `RunAs`, profile helpers |
//! | `register.rs` | `Register`, `RegisterEntry`, `RegisterValue` |
//! | `formulas.rs` | `FormulaRef`, formula helpers |
//! | `reporting.rs` | `report()`, `Location`, options |
//! | `arrays.rs` | `contains`/`in` on strings, faster than Rhai's generic one, same answers |

mod arrays;
mod documents;
mod formulas;
mod identities;
mod permissions;
mod register;
mod reporting;

pub use documents::{ComponentRef, Element, OrgRef};
pub use reporting::{drain_reported, set_options, Location, Reported};

use crate::analysis::Analysis;
use rhai::{Dynamic, Engine, EvalAltResult, Position};
use std::cell::RefCell;
use std::sync::Arc;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

thread_local! {
    /// The analysis of the run whose policy is executing on this thread (lines and files).
    static CURRENT: RefCell<Option<Arc<Analysis>>> = const { RefCell::new(None) };
}

/// Make the run's analysis available to the API on this thread.
pub fn set_current(analysis: Option<Arc<Analysis>>) {
    CURRENT.with(|c| *c.borrow_mut() = analysis);
}

/// 1-based line of a byte offset in a file of the current run (0 outside a run).
fn line_of(file: crate::source::FileId, offset: usize) -> i64 {
    CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .map_or(0, |a| a.org.sources.get(file).line_of(offset) as i64)
    })
}

fn runtime_error(message: impl Into<String>) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(message.into()), Position::NONE).into()
}

/// Register every type and function policies can use.
pub fn register(engine: &mut Engine) {
    arrays::register(engine);
    documents::register(engine);
    permissions::register(engine);
    identities::register(engine);
    register::register(engine);
    formulas::register(engine);
    reporting::register(engine);
}
