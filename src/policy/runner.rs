//! Running policies over the org: every `check` call per component of its kinds and every
//! `check_org`, in parallel, each in the sandbox with the policy's options.

use super::engine::locate_limit;
use super::sandbox;
use super::{api, Policy, PolicyError};
use crate::analysis::Analysis;
use crate::findings::Finding;
use api::{ComponentRef, OrgRef};
use rayon::prelude::*;
use rhai::{CallFnOptions, Dynamic, Engine, Map, Scope};
use std::sync::Arc;

impl Policy {
    fn call<A: rhai::FuncArgs + Clone>(
        &self,
        engine: &Engine,
        name: &str,
        args: A,
    ) -> Result<(), PolicyError> {
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        let time = if self.builtin {
            sandbox::BUILTIN_CALL_TIME
        } else {
            sandbox::MAX_CALL_TIME
        };
        let result = sandbox::guarded_with(time, sandbox::MAX_MEMORY, || {
            engine.call_fn_with_options::<Dynamic>(
                options,
                &mut Scope::new(),
                &self.ast,
                name,
                args.clone(),
            )
        });
        let Err(e) = result else {
            return Ok(());
        };
        let mut error = PolicyError::from_eval(&self.origin, &e);
        if error.line == 0 && e.is_system_exception() {
            // Rhai reports a limit at the call site, which for the entry point is nowhere. Run the
            // call again, stepping, to learn where the script was when it hit the limit.
            if let Some((pos, source)) = locate_limit(engine, &self.ast, name, args) {
                error.line = pos.line().unwrap_or(0);
                error.column = pos.position().unwrap_or(0);
                if let Some(file) = source.filter(|f| *f != self.origin) {
                    error.in_helper(&file);
                }
            }
        }
        Err(error)
    }
}

/// A config value must have the type of the option's default.
pub fn check_option_type(
    key: &str,
    default: &Dynamic,
    node: &crate::config::toml_tree::Node,
) -> Result<(), String> {
    let value = toml_to_dynamic(node);
    if value.type_id() != default.type_id() {
        return Err(format!(
            "option `{key}` takes {} (like its default `{default}`), found {}",
            default.type_name(),
            node.value.type_name()
        ));
    }
    Ok(())
}

fn toml_to_dynamic(node: &crate::config::toml_tree::Node) -> Dynamic {
    use crate::config::toml_tree::Value as V;
    match &node.value {
        V::String(s) | V::Datetime(s) => Dynamic::from(s.clone()),
        V::Integer(i) => Dynamic::from(*i),
        V::Float(f) => Dynamic::from(*f),
        V::Boolean(b) => Dynamic::from(*b),
        V::Array(items) => Dynamic::from_array(items.iter().map(toml_to_dynamic).collect()),
        V::Table(t) => {
            let mut m = Map::new();
            for e in &t.entries {
                m.insert(e.key.as_str().into(), toml_to_dynamic(&e.node));
            }
            Dynamic::from_map(m)
        }
    }
}

/// Defaults overlaid with the config's values.
fn effective_options(policy: &Policy, config: &crate::config::Config) -> Arc<Map> {
    let mut map: Map = policy
        .options
        .iter()
        .map(|(k, v)| (k.as_str().into(), v.clone()))
        .collect();
    if let Some(rule) = config.rule(&policy.id) {
        for (key, node, _) in &rule.options {
            map.insert(key.as_str().into(), toml_to_dynamic(node));
        }
    }
    Arc::new(map)
}

/// What running the policies produced: their findings, and the calls that failed.
pub struct PolicyRun {
    pub findings: Vec<Finding>,
    /// The first failed call of each policy that failed (a limit hit, a runtime error), with how
    /// many other calls of that policy failed too. The other policies' findings are still
    /// reported; the run exits 2.
    pub errors: Vec<FailedPolicy>,
}

pub struct FailedPolicy {
    pub id: String,
    pub error: PolicyError,
    /// Further calls of the same policy that failed (other components).
    pub more: usize,
}

/// What one call of a policy gave: its findings, or why it failed.
type Outcome = Result<Vec<Finding>, PolicyError>;

/// Run every policy over the org. Components are checked in parallel; the findings are sorted.
/// A call that fails contributes no findings (what it reported before failing may be partial).
pub fn run(engine: &Engine, policies: &[Policy], analysis: &Arc<Analysis>) -> PolicyRun {
    let org = &analysis.org;
    let options: Vec<Arc<Map>> = policies
        .iter()
        .map(|p| effective_options(p, &analysis.config))
        .collect();
    let mut work: Vec<(usize, Option<usize>)> = Vec::new();
    for (p, policy) in policies.iter().enumerate() {
        if policy.has_check_org {
            work.push((p, None));
        }
    }
    // Component by component, every policy on it in turn: the reports in one file come one
    // after another, so the file is read again (to locate them) once rather than once per
    // policy (see `Document::position_of`).
    for (c, component) in org.components.iter().enumerate() {
        for (p, policy) in policies.iter().enumerate() {
            if policy.check_arity.is_some() && policy.kinds.contains(&component.kind) {
                work.push((p, Some(c)));
            }
        }
    }
    let org_ref = OrgRef(analysis.clone());
    // With SFPOLICY_TIMINGS: the time each policy took, summed over its calls (all threads).
    let timed = std::env::var_os("SFPOLICY_TIMINGS").is_some();
    let spent: Vec<std::sync::atomic::AtomicU64> = policies
        .iter()
        .map(|_| std::sync::atomic::AtomicU64::new(0))
        .collect();
    let mut outcomes: Vec<(usize, Option<usize>, Outcome)> = work
        .par_iter()
        .map(|&(p, c)| {
            let started = timed.then(std::time::Instant::now);
            let policy = &policies[p];
            api::set_options(options[p].clone());
            api::set_current(Some(analysis.clone()));
            let result = match c {
                None => policy.call(engine, "check_org", (org_ref.clone(),)),
                Some(c) => {
                    let component = ComponentRef(org.components[c].clone());
                    let outcome = if policy.check_arity == Some(2) {
                        policy.call(engine, "check", (component, org_ref.clone()))
                    } else {
                        policy.call(engine, "check", (component,))
                    };
                    outcome.map_err(|mut e| {
                        e.while_checking = Some(org.rel(org.components[c].file).to_string());
                        e
                    })
                }
            };
            let reported = api::drain_reported();
            api::set_current(None);
            let findings = result.map(|()| {
                reported
                    .into_iter()
                    .map(|r| {
                        let mut f = Finding::new(
                            &policy.id,
                            r.severity.unwrap_or(policy.severity),
                            r.message,
                            r.loc,
                        );
                        f.help = r.help;
                        f.related = r.related;
                        f.more_related = r.more_related;
                        f
                    })
                    .collect()
            });
            if let Some(started) = started {
                spent[p].fetch_add(
                    started.elapsed().as_micros() as u64,
                    std::sync::atomic::Ordering::Relaxed,
                );
            }
            (p, c, findings)
        })
        .collect();
    // Policy by policy (its `check_org` first), then component by component.
    outcomes.sort_by_key(|&(p, c, _)| (p, c.map_or(0, |c| c + 1)));
    if timed {
        let mut by_policy: Vec<(u64, &str)> = spent
            .iter()
            .zip(policies)
            .map(|(t, p)| (t.load(std::sync::atomic::Ordering::Relaxed), p.id.as_str()))
            .collect();
        by_policy.sort_unstable_by(|a, b| b.cmp(a));
        let total: u64 = by_policy.iter().map(|(t, _)| t).sum();
        eprintln!(
            "timing:   {} calls, {:.1} ms in all",
            work.len(),
            total as f64 / 1e3
        );
        for (micros, id) in by_policy.iter().take(5) {
            eprintln!("timing:   {id}: {:.1} ms", *micros as f64 / 1e3);
        }
    }
    let mut findings = Vec::new();
    let mut errors: Vec<FailedPolicy> = Vec::new();
    // In that order, so the error shown for a policy does not depend on thread timing.
    for (p, _, outcome) in outcomes {
        match outcome {
            Ok(found) => findings.extend(found),
            Err(error) => match errors.iter_mut().find(|e| e.id == policies[p].id) {
                Some(failed) => failed.more += 1,
                None => errors.push(FailedPolicy {
                    id: policies[p].id.clone(),
                    error,
                    more: 0,
                }),
            },
        }
    }
    crate::findings::sort(&mut findings, &org.sources);
    PolicyRun { findings, errors }
}
