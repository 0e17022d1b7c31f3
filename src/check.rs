//! `sfpolicy check`: the whole pipeline for one project.

use crate::analysis::Analysis;
use crate::discover;
use crate::findings::{Finding, Loc, Severity};
use crate::model::Org;
use crate::policy::{self, Policy};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rule id of the built-in check for files that are not well-formed metadata.
pub const INVALID_METADATA: &str = "invalid-metadata";

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub rules_dirs: Vec<PathBuf>,
    pub no_forceignore: bool,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

pub struct Outcome {
    pub analysis: Arc<Analysis>,
    pub findings: Vec<Finding>,
    pub files_checked: usize,
    pub warnings: Vec<String>,
}

/// A usage, configuration or policy error: the run cannot give a trustworthy answer (exit 2).
#[derive(Debug)]
pub struct ToolError(pub String);

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<policy::PolicyError> for ToolError {
    fn from(e: policy::PolicyError) -> Self {
        ToolError(format!("policy error: {e}"))
    }
}

/// Built-in policies plus those in `rules_dirs`; a duplicate id is an error.
pub fn load_policies(
    engine: &rhai::Engine,
    rules_dirs: &[PathBuf],
) -> Result<Vec<Policy>, ToolError> {
    let mut policies = policy::builtin(engine)?;
    for dir in rules_dirs {
        for p in policy::load_dir(engine, dir)? {
            if let Some(existing) = policies.iter().find(|e| e.id == p.id) {
                return Err(ToolError(format!(
                    "{}: policy id `{}` is already defined by {}",
                    p.origin, p.id, existing.origin
                )));
            }
            policies.push(p);
        }
    }
    Ok(policies)
}

fn selected(id: &str, options: &Options) -> bool {
    (options.select.is_empty() || options.select.iter().any(|s| s == id))
        && !options.ignore.iter().any(|s| s == id)
}

/// Known rule ids: built-in checks plus loaded policies.
pub fn validate_rule_names(names: &[String], policies: &[Policy]) -> Result<(), ToolError> {
    for name in names {
        if name != INVALID_METADATA && !policies.iter().any(|p| &p.id == name) {
            return Err(ToolError(format!(
                "unknown rule `{name}` (see `sfpolicy rules`)"
            )));
        }
    }
    Ok(())
}

pub fn run(options: &Options) -> Result<Outcome, ToolError> {
    let first = options
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    for p in &options.paths {
        if !p.exists() {
            return Err(ToolError(format!(
                "{}: no such file or folder",
                p.display()
            )));
        }
    }
    let timer = Timer::from_env();
    let root = discover::find_root(&first);
    let engine = policy::engine();
    let policies = load_policies(&engine, &options.rules_dirs)?;
    validate_rule_names(&options.select, &policies)?;
    validate_rule_names(&options.ignore, &policies)?;
    let policies: Vec<Policy> = policies
        .into_iter()
        .filter(|p| selected(&p.id, options))
        .collect();

    let project = discover::discover(
        &root,
        &discover::Options {
            no_forceignore: options.no_forceignore,
        },
    );
    timer.lap("discover + compile policies");
    let org = Org::load(&project);
    timer.lap("read + parse");
    let files_checked = org.metadata_file_count();
    let mut findings = Vec::new();
    if selected(INVALID_METADATA, options) {
        findings.extend(org.invalid.iter().map(|inv| Finding {
            rule: INVALID_METADATA.to_string(),
            severity: Severity::Error,
            message: inv.error.message.clone(),
            loc: Loc {
                file: inv.file,
                start: inv.error.offset,
                end: inv.error.offset + 1,
                key: inv.error.message.clone(),
            },
            help: Some("fix the file so that it is well-formed metadata XML; the other files were still checked".into()),
            related: Vec::new(),
        }));
    }
    let analysis = Arc::new(Analysis::new(org));
    timer.lap("analysis");
    findings.extend(policy::run(&engine, &policies, &analysis)?);
    timer.lap("policies");
    let scopes = scopes(&root, &options.paths);
    findings.retain(|f| in_scope(&analysis.org.file(f.loc.file).rel, &scopes));
    policy::sort_findings(&mut findings, &analysis.org);
    Ok(Outcome {
        analysis,
        findings,
        files_checked,
        warnings: project.warnings,
    })
}

/// Relative paths findings must fall under; empty means the whole project.
fn scopes(root: &Path, paths: &[PathBuf]) -> Vec<String> {
    let mut scopes = Vec::new();
    for p in paths {
        let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        let rel = discover::relative(root, &abs);
        if rel.is_empty() || abs == root {
            return Vec::new();
        }
        scopes.push(rel);
    }
    scopes
}

fn in_scope(rel: &str, scopes: &[String]) -> bool {
    scopes.is_empty()
        || scopes.iter().any(|s| {
            rel == s || (rel.starts_with(s.as_str()) && rel.as_bytes().get(s.len()) == Some(&b'/'))
        })
}

/// Phase timings on stderr when `SFPOLICY_TIMINGS` is set: where a slow run spends its time.
struct Timer(Option<std::cell::Cell<std::time::Instant>>);

impl Timer {
    fn from_env() -> Timer {
        Timer(
            std::env::var_os("SFPOLICY_TIMINGS")
                .map(|_| std::cell::Cell::new(std::time::Instant::now())),
        )
    }

    fn lap(&self, phase: &str) {
        if let Some(start) = &self.0 {
            let now = std::time::Instant::now();
            eprintln!(
                "timing: {phase}: {:.1} ms",
                (now - start.get()).as_secs_f64() * 1e3
            );
            start.set(now);
        }
    }
}
