//! `sfpolicy check`: the whole pipeline for one project.

use crate::analysis::Analysis;
use crate::config::{Config, Setting};
use crate::discover;
use crate::findings::{Finding, Loc, Severity};
use crate::model::Org;
use crate::policy::{self, Policy};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Rule id of the built-in check for files that are not well-formed metadata.
pub const INVALID_METADATA: &str = "invalid-metadata";

/// Documentation of the built-in `invalid-metadata` check.
pub const INVALID_METADATA_DOCS: &str = "A metadata file that is not well-formed XML, not UTF-8, or whose root element does not match its suffix (a `.profile-meta.xml` whose root is not `<Profile>`). Reported at the line and column of the problem; the other files are still checked. DTD entities are never expanded: an entity other than the five XML entities and character references is reported here.";

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub paths: Vec<PathBuf>,
    pub rules_dirs: Vec<PathBuf>,
    pub no_forceignore: bool,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// `--config FILE`; default `<root>/sfpolicy.toml` when present.
    pub config: Option<PathBuf>,
    /// Use this folder as the project root instead of searching upwards (test cases).
    pub root: Option<PathBuf>,
    /// Policies in `rules_dirs` replace built-ins with the same id (test runner).
    pub replace_builtins: bool,
    /// Hide findings recorded in this baseline.
    pub baseline: Option<PathBuf>,
    /// Report only files changed since the merge base with this git revision.
    pub changed_since: Option<String>,
}

pub struct Outcome {
    pub analysis: Arc<Analysis>,
    /// The rules that ran (built-in check included).
    pub rules: Vec<crate::report::RuleMeta>,
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

impl ToolError {
    /// An error located in a text file, rendered like a finding (file, line, column, snippet).
    pub fn located(
        path: &Path,
        text: &str,
        span: std::ops::Range<usize>,
        message: &str,
    ) -> ToolError {
        use codespan_reporting::diagnostic::{Diagnostic, Label};
        use codespan_reporting::files::SimpleFile;
        use codespan_reporting::term::{self, termcolor::Buffer};
        // Relative to where the user stands, like the paths they typed.
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.to_path_buf());
        let name = shown.display().to_string();
        let (line, column) = crate::report::line_column(text, span.start);
        let file = SimpleFile::new(name.clone(), text);
        let end = span.end.clamp(span.start, text.len());
        let start = span.start.min(end);
        let diagnostic = Diagnostic::error()
            .with_message(message)
            .with_labels(vec![Label::primary((), start..end)]);
        let mut buffer = Buffer::no_color();
        let _ =
            term::emit_to_write_style(&mut buffer, &term::Config::default(), &file, &diagnostic);
        let rendered = String::from_utf8_lossy(buffer.as_slice())
            .trim_end()
            .to_string();
        // main prints "error: " itself; the rendering starts with it too.
        match rendered.strip_prefix("error: ") {
            Some(rest) => ToolError(rest.to_string()),
            None => ToolError(format!("{name}:{line}:{column}: {message}")),
        }
    }
}

impl From<crate::config::ConfigError> for ToolError {
    fn from(e: crate::config::ConfigError) -> Self {
        ToolError::located(&e.path, &e.text, e.error.span, &e.error.message)
    }
}

impl From<crate::analysis::RegisterError> for ToolError {
    fn from(e: crate::analysis::RegisterError) -> Self {
        ToolError::located(&e.path, &e.text, e.error.span, &e.error.message)
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
    load_policies_with(engine, rules_dirs, false)
}

/// With `replace_builtins` (the test runner), a folder's policy replaces the built-in with the
/// same id, so an author edits `rules/x.rhai` and tests it without rebuilding.
pub fn load_policies_with(
    engine: &rhai::Engine,
    rules_dirs: &[PathBuf],
    replace_builtins: bool,
) -> Result<Vec<Policy>, ToolError> {
    let mut policies = policy::builtin(engine)?;
    for dir in rules_dirs {
        for p in policy::load_dir(engine, dir)? {
            if let Some(i) = policies.iter().position(|e| e.id == p.id) {
                if replace_builtins && policies[i].builtin {
                    policies[i] = p;
                    continue;
                }
                let (line, column) = p.id_position;
                return Err(ToolError(format!(
                    "{}:{line}:{column}: policy id `{}` is already defined by {}",
                    p.origin, p.id, policies[i].origin
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

/// The project root for these options; every PATH must exist.
fn project_root(options: &Options) -> Result<PathBuf, ToolError> {
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
    Ok(match &options.root {
        Some(r) => std::fs::canonicalize(r).unwrap_or_else(|_| r.clone()),
        None => discover::find_root(&first),
    })
}

/// Discover and parse the project, and read its register.
fn load_org(
    root: &Path,
    options: &Options,
    config: &Config,
) -> Result<(Org, Option<crate::analysis::LoadedRegister>, Vec<String>), ToolError> {
    let timer = Timer::from_env();
    // Policy test cases are fixtures, not the org: never scan a policy folder's `tests/`.
    let exclude = options
        .rules_dirs
        .iter()
        .chain(config.policy_paths.iter().map(|(p, _)| p))
        .filter_map(|d| std::fs::canonicalize(d.join("tests")).ok())
        .collect();
    let project = discover::discover(
        root,
        &discover::Options {
            no_forceignore: options.no_forceignore,
            exclude,
        },
    );
    timer.lap("discover");
    let mut org = Org::load(&project);
    let register = Analysis::load_register(&mut org, config)?;
    Ok((org, register, project.warnings))
}

/// The analysis alone, without running policies (`sfpolicy inventory`).
pub fn analyze(options: &Options) -> Result<(Arc<Analysis>, Vec<String>), ToolError> {
    let root = project_root(options)?;
    let config = Config::load(&root, options.config.as_deref())?;
    let (org, register, warnings) = load_org(&root, options, &config)?;
    Ok((Arc::new(Analysis::build(org, config, register)), warnings))
}

pub fn run(options: &Options) -> Result<Outcome, ToolError> {
    let timer = Timer::from_env();
    let root = project_root(options)?;
    let config = Config::load(&root, options.config.as_deref())?;
    let mut dirs = options.rules_dirs.clone();
    dirs.extend(config.policy_paths.iter().map(|(p, _)| p.clone()));
    let engine = policy::engine_with_libs(&dirs)?;
    let policies = load_policies_with(&engine, &dirs, options.replace_builtins)?;
    validate_rule_names(&options.select, &policies)?;
    validate_rule_names(&options.ignore, &policies)?;
    validate_config(&config, &policies)?;
    let policies: Vec<Policy> = policies
        .into_iter()
        .filter(|p| selected(&p.id, options) && config.may_run(&p.id, p.severity))
        .collect();

    timer.lap("load config + compile policies");
    let (org, register, warnings) = load_org(&root, options, &config)?;
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
    let analysis = Arc::new(Analysis::build(org, config, register));
    timer.lap("analysis");
    findings.extend(policy::run(&engine, &policies, &analysis)?);
    timer.lap("policies");
    apply_settings(&mut findings, &analysis);
    let scopes = scopes(&root, &options.paths);
    let ran_ids: Vec<&str> = policies.iter().map(|p| p.id.as_str()).collect();
    let ran = |id: &str| ran_ids.contains(&id) || (id == INVALID_METADATA && selected(id, options));
    crate::adopt::apply_waivers(
        &mut findings,
        &analysis,
        &crate::config::today(),
        &ran,
        scopes.is_empty() && options.changed_since.is_none(),
    );
    findings.retain(|f| in_scope(&analysis.org.file(f.loc.file).rel, &scopes));
    if let Some(rev) = &options.changed_since {
        let changed = crate::adopt::changed_since(&root, rev)?;
        findings.retain(|f| {
            changed
                .binary_search(&analysis.org.file(f.loc.file).rel)
                .is_ok()
        });
    }
    if let Some(baseline) = &options.baseline {
        crate::adopt::apply_baseline(baseline, &mut findings, &analysis)?;
    }
    policy::sort_findings(&mut findings, &analysis.org);
    let mut rules: Vec<crate::report::RuleMeta> = policies
        .iter()
        .map(|p| crate::report::RuleMeta {
            id: p.id.clone(),
            severity: p.severity,
            summary: p.summary.clone(),
            docs: p.docs.clone(),
        })
        .collect();
    if selected(INVALID_METADATA, options) {
        rules.push(crate::report::RuleMeta {
            id: INVALID_METADATA.to_string(),
            severity: Severity::Error,
            summary: "a metadata file that is not well-formed XML or has the wrong root element"
                .into(),
            docs: format!("# {INVALID_METADATA}\n\n{INVALID_METADATA_DOCS}"),
        });
    }
    if !analysis.config.waivers.is_empty() {
        for (id, docs) in [
            (
                crate::adopt::WAIVER_UNUSED,
                crate::adopt::WAIVER_UNUSED_DOCS,
            ),
            (
                crate::adopt::WAIVER_EXPIRED,
                crate::adopt::WAIVER_EXPIRED_DOCS,
            ),
        ] {
            rules.push(crate::report::RuleMeta {
                id: id.to_string(),
                severity: Severity::Warning,
                summary: docs.split(':').next().unwrap_or(docs).to_string(),
                docs: format!("# {id}\n\n{docs}"),
            });
        }
    }
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Outcome {
        analysis,
        rules,
        findings,
        files_checked,
        warnings,
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

/// Rule ids and options in the config must exist: a typo would silently do nothing.
fn validate_config(config: &Config, policies: &[Policy]) -> Result<(), ToolError> {
    let Some((path, _, text)) = &config.source else {
        return Ok(());
    };
    for (id, span) in config.named_rules() {
        if id != INVALID_METADATA && !policies.iter().any(|p| p.id == id) {
            let hint = crate::policy::schema::closest(policies.iter().map(|p| p.id.as_str()), id)
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            return Err(ToolError::located(
                path,
                text,
                span,
                &format!("unknown rule `{id}`{hint}"),
            ));
        }
    }
    for rule in &config.rules {
        let Some(policy) = policies.iter().find(|p| p.id == rule.id) else {
            continue;
        };
        for (key, node, span) in &rule.options {
            let Some(default) = policy.options.get(key.as_str()) else {
                let known: Vec<&str> = policy.options.keys().map(|k| k.as_str()).collect();
                let known = if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                };
                return Err(ToolError::located(
                    path,
                    text,
                    span.clone(),
                    &format!(
                        "rule `{}` has no option `{key}` (options: severity, {known})",
                        rule.id
                    ),
                ));
            };
            policy::check_option_type(key, default, node)
                .map_err(|m| ToolError::located(path, text, node.span.clone(), &m))?;
        }
    }
    Ok(())
}

/// Severities from config and overrides; `off` drops the finding.
fn apply_settings(findings: &mut Vec<Finding>, analysis: &Analysis) {
    let config = &analysis.config;
    findings.retain_mut(|f| {
        let rel = &analysis.org.file(f.loc.file).rel;
        match config.setting_for(&f.rule, f.severity, rel) {
            Setting::Off => false,
            Setting::On(s) => {
                f.severity = s;
                true
            }
        }
    });
}
