//! Reporting: `report(target, ...)` and the `Location` values every located thing can give.
//!
//! A finding's location and identity come from what it is reported on: an element, a component,
//! a formula reference, a grant (through the group's member when it arrives from one), a register
//! value, an app's pre-authorization or run-as user. Scripts never write anchors themselves;
//! `about` tells apart several findings at one place by their subject (an object name, another
//! located value).

use super::documents::{ComponentRef, Element};
use super::formulas::FormulaRef;
use super::identities::{PreAuthRef, RunAsRef};
use super::permissions::{FieldGrantRef, ObjectGrantRef, UserGrantRef};
use super::register::{RegisterEntryRef, RegisterValue};
use super::{runtime_error, RhaiResult};
use crate::findings::{Loc, Related, Severity, MAX_RELATED};
use rhai::{Array, Dynamic, Engine, Map};
use std::cell::RefCell;
use std::sync::Arc;

/// A location a finding can point at (a related place, the origin of a grant).
#[derive(Clone)]
pub struct Location(pub Loc);

/// A finding as a script reports it; the runner adds rule id and default severity.
pub struct Reported {
    pub loc: Loc,
    pub message: String,
    pub help: Option<String>,
    pub severity: Option<Severity>,
    pub related: Vec<Related>,
    pub more_related: usize,
}

thread_local! {
    static SINK: RefCell<Vec<Reported>> = const { RefCell::new(Vec::new()) };
    static OPTIONS: RefCell<Option<Arc<Map>>> = const { RefCell::new(None) };
}

/// The options of the policy about to run on this thread.
pub fn set_options(options: Arc<Map>) {
    OPTIONS.with(|o| *o.borrow_mut() = Some(options));
}

fn option(name: &str) -> RhaiResult<Dynamic> {
    OPTIONS.with(|o| {
        o.borrow()
            .as_ref()
            .and_then(|m| m.get(name).cloned())
            .ok_or_else(|| {
                runtime_error(format!("option `{name}` is not declared in RULE.options"))
            })
    })
}

/// Take everything reported on this thread since the last call.
pub fn drain_reported() -> Vec<Reported> {
    SINK.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

/// The location of anything a script can report on.
/// Where a finding about `target` points. Native work: the first location in a file loads its
/// element positions (re-read from the file), which is the run's cost, not the policy's.
pub fn loc_of(target: &Dynamic) -> RhaiResult<Loc> {
    crate::policy::sandbox::native(|| locate(target))
}

fn locate(target: &Dynamic) -> RhaiResult<Loc> {
    if let Some(el) = target.read_lock::<Element>() {
        return Ok(el.loc());
    }
    if let Some(c) = target.read_lock::<ComponentRef>() {
        return Ok(c.0.own_loc());
    }
    if let Some(r) = target.read_lock::<FormulaRef>() {
        return Ok(r.loc());
    }
    if let Some(l) = target.read_lock::<Location>() {
        return Ok(l.0.clone());
    }
    if let Some(p) = target.read_lock::<PreAuthRef>() {
        return Ok(p.0.loc.clone());
    }
    if let Some(r) = target.read_lock::<RunAsRef>() {
        return Ok(r.1.loc.clone());
    }
    if let Some(g) = target.read_lock::<UserGrantRef>() {
        return Ok(g.0.loc());
    }
    if let Some(g) = target.read_lock::<ObjectGrantRef>() {
        return Ok(g.0.loc());
    }
    if let Some(g) = target.read_lock::<FieldGrantRef>() {
        return Ok(g.0.loc());
    }
    if let Some(v) = target.read_lock::<RegisterValue>() {
        return Ok(v.loc.clone());
    }
    if let Some(e) = target.read_lock::<RegisterEntryRef>() {
        return Ok(e.header_loc());
    }
    if let Some(r) = target.read_lock::<super::register::RegisterRef>() {
        if let Some(loc) = r.loc() {
            return Ok(loc);
        }
    }
    Err(runtime_error(format!(
        "report() needs something located to point at (an Element, Component, FormulaRef, grant, register value or Location), got {}",
        target.type_name()
    )))
}

/// The related location a grant brings by itself: where a group's member grants it.
fn implied_related(target: &Dynamic) -> Option<Related> {
    let origin = |o: &crate::model::permissions::Origin, what: &str| Related {
        loc: o.loc(),
        message: format!("{what} is granted here"),
    };
    if let Some(g) = target.read_lock::<UserGrantRef>() {
        return g.0.via.as_ref().map(|_| origin(&g.0.origin, &g.0.name));
    }
    if let Some(g) = target.read_lock::<ObjectGrantRef>() {
        return g.0.via.as_ref().map(|_| origin(&g.0.origin, &g.0.object));
    }
    if let Some(g) = target.read_lock::<FieldGrantRef>() {
        return g.0.via.as_ref().map(|_| origin(&g.0.origin, g.0.field()));
    }
    None
}

fn push(reported: Reported) {
    SINK.with(|s| s.borrow_mut().push(reported));
}

fn simple(target: &Dynamic, message: &str, help: Option<&str>) -> RhaiResult<()> {
    push(Reported {
        loc: loc_of(target)?,
        message: message.to_string(),
        help: help.map(str::to_string),
        severity: None,
        related: implied_related(target).into_iter().collect(),
        more_related: 0,
    });
    Ok(())
}

const REPORT_KEYS: &[&str] = &["message", "help", "related", "about", "anchor", "severity"];

fn report_map(target: Dynamic, details: Map) -> RhaiResult<()> {
    let mut loc = loc_of(&target)?;
    let mut message = None;
    let mut help = None;
    let mut severity = None;
    let mut related: Vec<Related> = implied_related(&target).into_iter().collect();
    let mut more_related = 0;
    let mut about = None;
    for (key, value) in details {
        match key.as_str() {
            "message" => message = Some(value.to_string()),
            "help" => help = Some(value.to_string()),
            "severity" => {
                let text = value.to_string();
                severity = Some(text.parse::<Severity>().map_err(runtime_error)?);
            }
            // A subject telling this finding from others at the same place.
            "about" => about = Some(value),
            // What the finding is about when that is not where it points: a component whose
            // many grants are reported once, at the first of them.
            "anchor" => loc.anchor = loc_of(&value)?.anchor,
            "related" => {
                let items = value.try_cast::<Array>().ok_or_else(|| {
                    runtime_error("`related` must be an array of [target, message]")
                })?;
                for item in items {
                    let pair = item
                        .try_cast::<Array>()
                        .filter(|p| p.len() == 2)
                        .ok_or_else(|| runtime_error("each `related` item is [target, message]"))?;
                    if related.len() >= MAX_RELATED {
                        more_related += 1;
                        continue;
                    }
                    related.push(Related {
                        loc: loc_of(&pair[0])?,
                        message: pair[1].to_string(),
                    });
                }
            }
            other => {
                return Err(runtime_error(format!(
                    "report() does not know `{other}`{} (keys: {})",
                    crate::util::did_you_mean(REPORT_KEYS.iter().copied(), other),
                    REPORT_KEYS.join(", ")
                )))
            }
        }
    }
    if let Some(subject) = about {
        loc.anchor = if subject.is_string() {
            loc.anchor.about(&subject.to_string())
        } else {
            loc.anchor.about_anchor(&loc_of(&subject)?.anchor)
        };
    }
    let message = message.ok_or_else(|| runtime_error("report() needs a `message`"))?;
    push(Reported {
        loc,
        message,
        help,
        severity,
        related,
        more_related,
    });
    Ok(())
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<Location>("Location")
        .register_fn("to_debug", |l: &mut Location| {
            format!("Location({})", l.0.anchor)
        });
    engine.register_fn(
        "report",
        |target: Dynamic, message: &str| -> RhaiResult<()> { simple(&target, message, None) },
    );
    engine.register_fn(
        "report",
        |target: Dynamic, message: &str, help: &str| -> RhaiResult<()> {
            simple(&target, message, Some(help))
        },
    );
    engine.register_fn("report", report_map);
    engine.register_fn("option", option);
    engine.register_fn("today", crate::config::today);
}
