//! Policies: Rhai scripts, compiled once, run sandboxed over the org in parallel.
//!
//! `engine.rs` builds the sandbox, `loader.rs` compiles a policy and reads its header, `runner.rs`
//! calls it over the org; `api/` is what scripts see.
//!
//! A policy file starts with its documentation (`//!` lines), declares `const RULE = #{...}`
//! (id, severity, kinds, summary) and defines `fn check(component)` or `fn check(component, org)`,
//! called once per component of the declared kinds, and/or `fn check_org(org)`, called once.

pub mod api;
mod engine;
pub use engine::PRINTED;
mod loader;
mod runner;
pub mod sandbox;
pub(crate) mod suggest;

pub use engine::{engine, engine_with_libs};
pub use loader::{builtin, load_dir};
pub use runner::{check_option_type, run, FailedPolicy, PolicyRun};

use crate::findings::registry::Category;
use crate::findings::Severity;
use crate::model::Kind;
use rhai::{Dynamic, EvalAltResult, Position, AST};
use std::fmt;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

pub use sandbox::{MAX_MEMORY, MAX_OPERATIONS};

/// A loaded, compiled policy.
#[derive(Clone)]
pub struct Policy {
    pub id: String,
    pub severity: Severity,
    pub kinds: Vec<Kind>,
    pub summary: String,
    /// What the rule is about (SARIF tags).
    pub category: Category,
    /// Markdown documentation from the `//!` header.
    pub docs: String,
    /// Where it came from: `rules/x.rhai` for built-ins, the path given for custom ones.
    pub origin: String,
    pub builtin: bool,
    /// 1-based line and column of the id in `RULE` (for errors about the id).
    pub id_position: (usize, usize),
    /// Declared options and their defaults (`RULE.options`), configurable in `[rules]`.
    pub options: std::collections::BTreeMap<String, Dynamic>,
    ast: AST,
    check_arity: Option<usize>,
    has_check_org: bool,
}

/// A policy that cannot be loaded or failed while running: a tool error (exit 2).
#[derive(Debug, Clone)]
pub struct PolicyError {
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The metadata file being checked when it happened.
    pub while_checking: Option<String>,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(file) = &self.while_checking {
            write!(f, " (while checking {file})")?;
        }
        Ok(())
    }
}

impl PolicyError {
    fn at(origin: &str, pos: Position, message: impl Into<String>) -> Self {
        PolicyError {
            origin: origin.to_string(),
            line: pos.line().unwrap_or(0),
            column: pos.position().unwrap_or(0),
            message: message.into(),
            while_checking: None,
        }
    }

    fn from_eval(origin: &str, err: &EvalAltResult) -> Self {
        // Errors inside functions are wrapped; the innermost one has the useful position.
        // A function of a helper module names the module's file as its source: the innermost
        // position is in that file.
        let mut inner = err;
        let mut file: Option<&str> = None;
        loop {
            match inner {
                EvalAltResult::ErrorInFunctionCall(_, source, e, _) => {
                    if !source.is_empty() {
                        file = Some(source);
                    }
                    inner = e;
                }
                // (Its first field is the module's name, not its file.)
                EvalAltResult::ErrorInModule(_, e, _) => inner = e,
                _ => break,
            }
        }
        let message = match inner {
            EvalAltResult::ErrorTooManyOperations(_) => format!(
                "policy exceeded its budget of {MAX_OPERATIONS} operations (an endless loop?)"
            ),
            EvalAltResult::ErrorTerminated(token, _) if token.is::<sandbox::StoppedTime>() => {
                let limit = token.clone_cast::<sandbox::StoppedTime>().0;
                format!(
                    "policy ran longer than {:.1} s in one call (an endless loop, or one that grows slower with each step?)",
                    limit.as_secs_f64()
                )
            }
            EvalAltResult::ErrorTerminated(..) => format!(
                "policy held more than {} MB of memory (a string, array or map growing without bound?)",
                MAX_MEMORY >> 20
            ),
            EvalAltResult::ErrorDataTooLarge(what, _) => format!(
                "policy built a value larger than the sandbox allows ({what}: at most {} characters per padded or replaced string, {} items per padded, split or blob array)",
                sandbox::MAX_STRING_CHARS,
                sandbox::MAX_PADDED_LEN
            ),
            EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
            EvalAltResult::ErrorFunctionNotFound(signature, _) => {
                suggest::unknown_function(signature).unwrap_or_else(|| inner.to_string())
            }
            other => other.to_string(),
        };
        let message = strip_position_suffix(&message);
        let mut error = PolicyError::at(origin, inner.position(), message);
        if let Some(file) = file.filter(|f| *f != origin) {
            error.in_helper(file);
        }
        error
    }

    /// The error is in a helper module the policy called: locate it there, and say which
    /// policy called it.
    pub(super) fn in_helper(&mut self, file: &str) {
        self.message = format!("{} (in a helper called by {})", self.message, self.origin);
        self.origin = file.to_string();
    }
}

fn strip_position_suffix(message: &str) -> String {
    match message.rfind(" (line ") {
        Some(i) if message.ends_with(')') => message[..i].to_string(),
        _ => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// An endless loop stopped by the wall clock (the operation budget lifted so that the clock
    /// trips first).
    fn stopped_after(limit: Duration) -> PolicyError {
        let mut engine = engine::engine();
        engine.set_max_operations(0);
        let ast = engine.compile("fn check() { loop { } }").expect("compiles");
        let err = sandbox::guarded_with(limit, sandbox::MAX_MEMORY, || {
            engine
                .call_fn::<Dynamic>(&mut rhai::Scope::new(), &ast, "check", ())
                .expect_err("an endless loop is stopped")
        });
        PolicyError::from_eval("endless.rhai", &err)
    }

    #[test]
    fn a_call_stopped_for_time_states_the_budget_that_applied() {
        // Two budgets, two messages: the limit is the call's own, not a fixed constant (built-in
        // rules have a longer one than user policies).
        let short = stopped_after(Duration::from_millis(200));
        assert!(
            short.message.contains("ran longer than 0.2 s in one call"),
            "{}",
            short.message
        );
        let longer = stopped_after(Duration::from_millis(1500));
        assert!(
            longer.message.contains("ran longer than 1.5 s in one call"),
            "{}",
            longer.message
        );
    }
}
