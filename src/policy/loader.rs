//! Loading a policy: compile it once, read its `RULE` header (unknown keys are errors), and its
//! documentation.

use super::{Policy, PolicyError, BUILTIN_RULES};
use crate::findings::registry::{Category, RuleInfo};
use crate::findings::Severity;
use crate::model::Kind;
use rhai::{Engine, Map, Position, Scope};
use std::path::Path;

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

fn meta_string(meta: &Map, key: &str, origin: &str, source: &str) -> Result<String, PolicyError> {
    meta.get(key)
        .and_then(|v| v.clone().into_immutable_string().ok())
        .map(|s| s.to_string())
        .ok_or_else(|| {
            PolicyError::at(
                origin,
                key_position(source, key),
                format!("RULE.{key} must be a string"),
            )
        })
}

/// Keys a `RULE` header may have.
const RULE_KEYS: &[&str] = &["id", "severity", "category", "kinds", "summary", "options"];

/// Where `key:` is written in the `RULE` header (for errors about it).
/// Where `needle` first occurs in the script.
fn text_position(source: &str, needle: &str) -> Option<Position> {
    let offset = source.find(needle)?;
    let line = source[..offset].matches('\n').count() + 1;
    let column = source[..offset]
        .chars()
        .rev()
        .take_while(|&c| c != '\n')
        .count()
        + 1;
    Some(Position::new(line as u16, column as u16))
}

fn key_position(source: &str, key: &str) -> Position {
    let after_rule = source.find("RULE").unwrap_or(0);
    let Some(offset) = source[after_rule..]
        .find(&format!("{key}:"))
        .or_else(|| source[after_rule..].find(&format!("\"{key}\"")))
        .map(|i| i + after_rule)
    else {
        return Position::NONE;
    };
    let line = source[..offset].matches('\n').count() + 1;
    let column = offset - source[..offset].rfind('\n').map_or(0, |i| i + 1) + 1;
    Position::new(line as u16, column as u16)
}

impl Policy {
    /// What the registry knows about this rule.
    pub fn info(&self) -> RuleInfo {
        RuleInfo {
            id: self.id.clone(),
            severity: self.severity,
            category: self.category,
            kinds: self.kinds.iter().map(|k| k.as_str().to_string()).collect(),
            summary: self.summary.clone(),
            docs: self.docs.clone(),
            options: self
                .options
                .iter()
                .map(|(k, v)| (k.clone(), option_text(v)))
                .collect(),
            origin: self.origin.clone(),
            native: false,
        }
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
        // Top-level code runs under the same budgets as `check`.
        super::sandbox::guarded(|| engine.run_ast_with_scope(&mut scope, &ast))
            .map_err(|e| PolicyError::from_eval(origin, &e))?;
        let meta: Map = scope
            .get_value::<Map>("RULE")
            .ok_or_else(|| PolicyError::at(origin, Position::new(1, 1), "a policy declares `const RULE = #{ id: ..., severity: ..., kinds: [...], summary: ... }`"))?;
        for key in meta.keys() {
            if !RULE_KEYS.contains(&key.as_str()) {
                return Err(PolicyError::at(
                    origin,
                    key_position(source, key),
                    format!(
                        "RULE has no key `{key}`{} (keys: {})",
                        crate::util::did_you_mean(RULE_KEYS.iter().copied(), key),
                        RULE_KEYS.join(", ")
                    ),
                ));
            }
        }
        let id = meta_string(&meta, "id", origin, source)?;
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(PolicyError::at(
                origin,
                key_position(source, "id"),
                format!("RULE.id `{id}` must be kebab-case (a-z, 0-9, -)"),
            ));
        }
        let severity = meta_string(&meta, "severity", origin, source)?
            .parse::<Severity>()
            .map_err(|e| {
                PolicyError::at(
                    origin,
                    key_position(source, "severity"),
                    format!("RULE.severity: {e}"),
                )
            })?;
        let summary = meta_string(&meta, "summary", origin, source)?;
        let category = match meta.get("category") {
            None => Category::Security,
            Some(_) => {
                let text = meta_string(&meta, "category", origin, source)?;
                Category::parse(&text).ok_or_else(|| {
                    PolicyError::at(
                        origin,
                        key_position(source, "category"),
                        format!(
                            "RULE.category `{text}` is not one of {}",
                            Category::NAMES.join(", ")
                        ),
                    )
                })?
            }
        };
        let mut kinds = Vec::new();
        if let Some(list) = meta.get("kinds") {
            let list = list.clone().into_array().map_err(|_| {
                PolicyError::at(
                    origin,
                    key_position(source, "kinds"),
                    "RULE.kinds must be an array of kind names",
                )
            })?;
            for k in list {
                let name = k.to_string();
                let kind = Kind::from_name(&name).ok_or_else(|| {
                    PolicyError::at(
                        origin,
                        text_position(source, &format!("\"{name}\""))
                            .unwrap_or_else(|| key_position(source, "kinds")),
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
                    key_position(source, "options"),
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
                    text_position(source, "fn check").unwrap_or(Position::NONE),
                    "fn check takes (component) or (component, org)",
                ));
            }
            if kinds.is_empty() {
                return Err(PolicyError::at(
                    origin,
                    text_position(source, "RULE").unwrap_or(Position::NONE),
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
            category,
            docs: doc_header(source),

            origin: origin.to_string(),
            builtin,
            options,
            ast,
            check_arity,
            has_check_org,
        })
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
        .filter(|p| p.extension().is_some_and(|x| x == "rhai") && !p.is_dir())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let origin = p.display().to_string();
            let source = crate::source::read_to_string(p).map_err(|e| {
                PolicyError::at(&origin, Position::NONE, format!("cannot read: {e}"))
            })?;
            Policy::load(engine, &origin, &source, false)
        })
        .collect()
}

/// An option's default as `sfpolicy.toml` would write it.
fn option_text(value: &rhai::Dynamic) -> String {
    if value.is_string() {
        return format!("{:?}", value.to_string());
    }
    if let Some(items) = value.read_lock::<rhai::Array>() {
        let parts: Vec<String> = items.iter().map(option_text).collect();
        return format!("[{}]", parts.join(", "));
    }
    value.to_string()
}
