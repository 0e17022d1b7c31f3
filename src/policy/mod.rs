//! Policies: Rhai scripts, compiled once, run sandboxed over the org in parallel.
//!
//! A policy file starts with its documentation (`//!` lines), declares `const RULE = #{...}`
//! (id, severity, kinds, summary) and defines `fn check(component)` or `fn check(component, org)`,
//! called once per component of the declared kinds, and/or `fn check_org(org)`, called once.

pub mod api;
pub mod schema;

use crate::analysis::Analysis;
use crate::findings::{Finding, Severity};
use crate::kind::Kind;
use api::{ComponentRef, OrgRef};
use rayon::prelude::*;
use rhai::module_resolvers::StaticModuleResolver;
use rhai::{CallFnOptions, Dynamic, Engine, EvalAltResult, Map, Position, Scope, AST};
use std::fmt;
use std::path::Path;
use std::sync::Arc;

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Operations one policy call may take: far above any real rule over a 3 MB profile, and reached
/// by an infinite loop in about half a second.
pub const MAX_OPERATIONS: u64 = 10_000_000;

/// Budget of the stepping re-run that locates a limit: enough to be inside the runaway loop.
const LOCATE_OPERATIONS: u64 = 1_000_000;

/// Memory one policy call may hold (counted by `alloc::CountingAlloc` in the binary).
pub const MAX_MEMORY: i64 = 256 << 20;

thread_local! {
    static CALL_BASELINE: std::cell::Cell<i64> = const { std::cell::Cell::new(0) };
}

/// A loaded, compiled policy.
pub struct Policy {
    pub id: String,
    pub severity: Severity,
    pub kinds: Vec<Kind>,
    pub summary: String,
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
        let mut inner = err;
        while let EvalAltResult::ErrorInFunctionCall(_, _, e, _)
        | EvalAltResult::ErrorInModule(_, e, _) = inner
        {
            inner = e;
        }
        let message = match inner {
            EvalAltResult::ErrorTooManyOperations(_) => format!(
                "policy exceeded its budget of {MAX_OPERATIONS} operations (an endless loop?)"
            ),
            EvalAltResult::ErrorTerminated(..) => format!(
                "policy held more than {} MB of memory (a string, array or map growing without bound?)",
                MAX_MEMORY >> 20
            ),
            EvalAltResult::ErrorRuntime(value, _) => value.to_string(),
            other => other.to_string(),
        };
        let message = strip_position_suffix(&message);
        PolicyError::at(origin, inner.position(), message)
    }
}

fn strip_position_suffix(message: &str) -> String {
    match message.rfind(" (line ") {
        Some(i) if message.ends_with(')') => message[..i].to_string(),
        _ => message.to_string(),
    }
}

/// The sandboxed engine: no file, network or process access (Rhai has none and the module
/// resolver only knows bundled modules), no `eval`, and bounded operations, sizes and depth.
pub fn engine() -> Engine {
    engine_with_libs(&[]).expect("the built-in helper modules compile")
}

fn base_engine() -> Engine {
    let mut engine = Engine::new();
    engine
        .set_max_strings_interned(0)
        .set_module_resolver(StaticModuleResolver::new())
        .set_max_operations(MAX_OPERATIONS)
        .set_max_call_levels(64)
        .set_max_expr_depths(128, 64)
        .set_max_modules(64)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true);
    engine.disable_symbol("eval");
    // Rhai's size limits re-measure whole arrays on every change; bound memory instead.
    engine.on_progress(|_| {
        let used = crate::alloc::thread_held() - CALL_BASELINE.with(std::cell::Cell::get);
        (used > MAX_MEMORY).then(|| Dynamic::from("memory"))
    });
    engine.on_print(|s| eprintln!("{s}"));
    engine.on_debug(|s, _, pos| eprintln!("debug {pos}: {s}"));
    api::register(&mut engine);
    engine
}

thread_local! {
    static LAST_POSITION: std::cell::Cell<Position> = const { std::cell::Cell::new(Position::NONE) };
}

/// Re-run a call that hit a limit on an engine that records every step's position; return the
/// last one. Only used on the error path: stepping is slow.
#[allow(deprecated)] // Rhai marks its debugger API volatile, not deprecated.
fn locate_limit(ast: &AST, name: &str, args: impl rhai::FuncArgs) -> Option<Position> {
    use rhai::debugger::DebuggerCommand;
    static LOCATOR: std::sync::OnceLock<Engine> = std::sync::OnceLock::new();
    let engine = LOCATOR.get_or_init(|| {
        let mut engine = engine();
        engine.set_max_operations(LOCATE_OPERATIONS);
        engine.register_debugger(
            |_, debugger| debugger,
            |_, event, _, _, pos| {
                if matches!(event, rhai::debugger::DebuggerEvent::Step) && !pos.is_none() {
                    LAST_POSITION.with(|p| p.set(pos));
                }
                Ok(DebuggerCommand::StepInto)
            },
        );
        engine
    });
    LAST_POSITION.with(|p| p.set(Position::NONE));
    CALL_BASELINE.with(|b| b.set(crate::alloc::thread_held()));
    let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
    let _ = engine.call_fn_with_options::<Dynamic>(options, &mut Scope::new(), ast, name, args);
    let _ = api::drain_reported();
    let pos = LAST_POSITION.with(|p| p.get());
    (!pos.is_none()).then_some(pos)
}

/// The engine with helper modules: built-in `rules/lib/*.rhai` and each policy folder's
/// `lib/*.rhai`, by file stem. Scripts call them as `text::words(x)` (registered as static
/// modules), or `import "text" as t;` inside a function. Nothing is read at run time.
pub fn engine_with_libs(dirs: &[std::path::PathBuf]) -> Result<Engine, PolicyError> {
    let mut engine = base_engine();
    let mut sources: Vec<(String, String, String)> = BUILTIN_LIBS
        .iter()
        .map(|(name, src)| {
            (
                name.to_string(),
                format!("rules/lib/{name}.rhai"),
                src.to_string(),
            )
        })
        .collect();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir.join("lib")) else {
            continue;
        };
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.retain(|p| p.extension().is_some_and(|x| x == "rhai"));
        paths.sort();
        for p in paths {
            let origin = p.display().to_string();
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let source = std::fs::read_to_string(&p).map_err(|e| {
                PolicyError::at(&origin, Position::NONE, format!("cannot read: {e}"))
            })?;
            if let Some((_, other, existing)) = sources.iter().find(|(n, ..)| *n == name) {
                if *existing == source {
                    continue; // the built-in folder itself (`sfpolicy test rules`)
                }
                return Err(PolicyError::at(
                    &origin,
                    Position::NONE,
                    format!("helper module `{name}` is already defined by {other}"),
                ));
            }
            sources.push((name, origin, source));
        }
    }
    let mut resolver = StaticModuleResolver::new();
    for (name, origin, source) in sources {
        let ast = engine
            .compile(&source)
            .map_err(|e| PolicyError::at(&origin, e.position(), e.err_type().to_string()))?;
        let module = rhai::Module::eval_ast_as_new(Scope::new(), &ast, &engine)
            .map_err(|e| PolicyError::from_eval(&origin, &e))?;
        let module = rhai::Shared::new(module);
        engine.register_static_module(name.as_str(), module.clone());
        resolver.insert(name, (*module).clone());
    }
    engine.set_module_resolver(resolver);
    Ok(engine)
}

/// Where `"<id>"` is written in the source (first occurrence after the doc header).
fn id_position(source: &str, id: &str) -> (usize, usize) {
    let quoted = format!("\"{id}\"");
    source
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .find_map(|(i, l)| l.find(&quoted).map(|c| (i + 1, l[..c].chars().count() + 1)))
        .unwrap_or((1, 1))
}

/// Documentation header: the leading `//!` lines, without the marker.
fn doc_header(source: &str) -> String {
    let mut docs = String::new();
    for line in source.lines() {
        let Some(rest) = line.trim_start().strip_prefix("//!") else {
            break;
        };
        docs.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        docs.push('\n');
    }
    docs.trim_end().to_string()
}

fn meta_string(meta: &Map, key: &str, origin: &str) -> Result<String, PolicyError> {
    meta.get(key)
        .and_then(|v| v.clone().into_immutable_string().ok())
        .map(|s| s.to_string())
        .ok_or_else(|| {
            PolicyError::at(
                origin,
                Position::NONE,
                format!("RULE.{key} must be a string"),
            )
        })
}

impl Policy {
    /// The metadata kinds it reads, for people: `ConnectedApp, Flow`, or `the whole org`.
    pub fn reads(&self) -> String {
        if self.kinds.is_empty() {
            return "the whole org".to_string();
        }
        let names: Vec<&str> = self.kinds.iter().map(|k| k.as_str()).collect();
        names.join(", ")
    }

    /// Compile a policy and read its `RULE` metadata.
    pub fn load(
        engine: &Engine,
        origin: &str,
        source: &str,
        builtin: bool,
    ) -> Result<Policy, PolicyError> {
        let ast = engine
            .compile(source)
            .map_err(|e| PolicyError::at(origin, e.position(), e.err_type().to_string()))?;
        let mut scope = Scope::new();
        engine
            .run_ast_with_scope(&mut scope, &ast)
            .map_err(|e| PolicyError::from_eval(origin, &e))?;
        let meta: Map = scope
            .get_value::<Map>("RULE")
            .ok_or_else(|| PolicyError::at(origin, Position::new(1, 1), "a policy declares `const RULE = #{ id: ..., severity: ..., kinds: [...], summary: ... }`"))?;
        let id = meta_string(&meta, "id", origin)?;
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(PolicyError::at(
                origin,
                Position::NONE,
                format!("RULE.id `{id}` must be kebab-case (a-z, 0-9, -)"),
            ));
        }
        let severity = meta_string(&meta, "severity", origin)?
            .parse::<Severity>()
            .map_err(|e| PolicyError::at(origin, Position::NONE, format!("RULE.severity: {e}")))?;
        let summary = meta_string(&meta, "summary", origin)?;
        let mut kinds = Vec::new();
        if let Some(list) = meta.get("kinds") {
            let list = list.clone().into_array().map_err(|_| {
                PolicyError::at(
                    origin,
                    Position::NONE,
                    "RULE.kinds must be an array of kind names",
                )
            })?;
            for k in list {
                let name = k.to_string();
                let kind = Kind::from_name(&name).ok_or_else(|| {
                    PolicyError::at(
                        origin,
                        Position::NONE,
                        format!("RULE.kinds: unknown metadata kind `{name}`"),
                    )
                })?;
                kinds.push(kind);
            }
        }
        let mut options = std::collections::BTreeMap::new();
        if let Some(o) = meta.get("options") {
            let map = o.clone().try_cast::<Map>().ok_or_else(|| {
                PolicyError::at(
                    origin,
                    Position::NONE,
                    "RULE.options must be a map of option name to default value",
                )
            })?;
            for (k, v) in map {
                options.insert(k.to_string(), v);
            }
        }
        let check_arity = ast
            .iter_functions()
            .find(|f| f.name == "check")
            .map(|f| f.params.len());
        let has_check_org = ast
            .iter_functions()
            .any(|f| f.name == "check_org" && f.params.len() == 1);
        if let Some(n) = check_arity {
            if !(1..=2).contains(&n) {
                return Err(PolicyError::at(
                    origin,
                    Position::NONE,
                    "fn check takes (component) or (component, org)",
                ));
            }
            if kinds.is_empty() {
                return Err(PolicyError::at(
                    origin,
                    Position::NONE,
                    "fn check needs RULE.kinds: the metadata kinds it reads",
                ));
            }
        } else if !has_check_org {
            return Err(PolicyError::at(
                origin,
                Position::NONE,
                "a policy defines fn check(component) or fn check_org(org)",
            ));
        }
        Ok(Policy {
            id_position: id_position(source, &id),
            id,
            severity,
            kinds,
            summary,
            docs: doc_header(source),

            origin: origin.to_string(),
            builtin,
            options,
            ast,
            check_arity,
            has_check_org,
        })
    }

    fn call<A: rhai::FuncArgs + Clone>(
        &self,
        engine: &Engine,
        name: &str,
        args: A,
    ) -> Result<(), PolicyError> {
        let options = CallFnOptions::new().eval_ast(false).rewind_scope(true);
        CALL_BASELINE.with(|b| b.set(crate::alloc::thread_held()));
        let result = engine.call_fn_with_options::<Dynamic>(
            options,
            &mut Scope::new(),
            &self.ast,
            name,
            args.clone(),
        );
        let Err(e) = result else {
            return Ok(());
        };
        let mut error = PolicyError::from_eval(&self.origin, &e);
        if error.line == 0 && e.is_system_exception() {
            // Rhai reports a limit at the call site, which for the entry point is nowhere. Run the
            // call again, stepping, to learn where the script was when it hit the limit.
            if let Some(pos) = locate_limit(&self.ast, name, args) {
                error.line = pos.line().unwrap_or(0);
                error.column = pos.position().unwrap_or(0);
            }
        }
        Err(error)
    }
}

/// The built-in policies, embedded in the binary.
pub fn builtin(engine: &Engine) -> Result<Vec<Policy>, PolicyError> {
    BUILTIN_RULES
        .iter()
        .map(|(origin, source)| Policy::load(engine, origin, source, true))
        .collect()
}

/// Every `*.rhai` file directly in `dir` (not `lib/`), sorted by name.
pub fn load_dir(engine: &Engine, dir: &Path) -> Result<Vec<Policy>, PolicyError> {
    let origin = dir.display().to_string();
    let entries = std::fs::read_dir(dir).map_err(|e| {
        PolicyError::at(
            &origin,
            Position::NONE,
            format!("cannot read policy folder: {e}"),
        )
    })?;
    let mut paths: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rhai") && p.is_file())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let origin = p.display().to_string();
            let source = std::fs::read_to_string(p).map_err(|e| {
                PolicyError::at(&origin, Position::NONE, format!("cannot read: {e}"))
            })?;
            Policy::load(engine, &origin, &source, false)
        })
        .collect()
}

/// A finding before configuration (severity overrides, waivers) is applied.
pub type RawFinding = Finding;

/// A config value must have the type of the option's default.
pub fn check_option_type(
    key: &str,
    default: &Dynamic,
    node: &crate::toml_tree::Node,
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

fn toml_to_dynamic(node: &crate::toml_tree::Node) -> Dynamic {
    use crate::toml_tree::Value as V;
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

/// Run every policy over the org. Components are checked in parallel; the result is sorted.
pub fn run(
    engine: &Engine,
    policies: &[Policy],
    analysis: &Arc<Analysis>,
) -> Result<Vec<Finding>, PolicyError> {
    crate::alloc::start_counting();
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
        if policy.check_arity.is_some() {
            for (c, component) in org.components.iter().enumerate() {
                if policy.kinds.contains(&component.kind) {
                    work.push((p, Some(c)));
                }
            }
        }
    }
    let org_ref = OrgRef(analysis.clone());
    let batches: Vec<Vec<Finding>> = work
        .par_iter()
        .map(|&(p, c)| {
            let policy = &policies[p];
            api::set_options(options[p].clone());
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
                        e.while_checking = Some(org.file(org.components[c].file).rel.clone());
                        e
                    })
                }
            };
            let reported = api::drain_reported();
            result?;
            Ok(reported
                .into_iter()
                .map(|r| Finding {
                    rule: policy.id.clone(),
                    severity: policy.severity,
                    message: r.message,
                    loc: r.loc,
                    help: r.help,
                    related: r.related,
                })
                .collect())
        })
        .collect::<Result<_, PolicyError>>()?;
    let mut findings: Vec<Finding> = batches.into_iter().flatten().collect();
    sort_findings(&mut findings, org);
    Ok(findings)
}

/// Deterministic order: file path, position, rule, message.
pub fn sort_findings(findings: &mut [Finding], org: &crate::model::Org) {
    findings.sort_by(|a, b| {
        (&org.file(a.loc.file).rel, a.loc.start, &a.rule, &a.message).cmp(&(
            &org.file(b.loc.file).rel,
            b.loc.start,
            &b.rule,
            &b.message,
        ))
    });
}
