//! The pipeline for one project, wired stage by stage:
//! source → model → analysis → policy → findings. Commands (`check`, `test`, `inventory`)
//! call it; no stage calls back into it.

use crate::analysis::Analysis;
use crate::config::Config;
use crate::diag::ToolError;
use crate::findings::registry::{Registry, INVALID_METADATA, UNREAD_METADATA};
use crate::findings::scope::ChangeSet;
use crate::findings::waivers::{self, WaiverRun};
use crate::findings::{self, baseline, settings, Finding, IdentityStats, Severity};
use crate::model::{discover, org::file_loc, Org};
use crate::policy::{self, Policy, PolicyError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    /// Record the whole project's findings in this baseline (before PATH and git narrowing).
    pub write_baseline: Option<PathBuf>,
    /// Report what changed since the merge base with this git revision.
    pub changed_since: Option<String>,
    /// Report what the staged changes (git index against HEAD, deletions included) affect.
    pub staged: bool,
}

pub struct Outcome {
    pub analysis: Arc<Analysis>,
    /// Every known rule (native checks and policies).
    pub registry: Registry,
    /// Ids of the rules that ran, sorted.
    pub ran: Vec<String>,
    /// The findings to report.
    pub findings: Vec<Finding>,
    /// Findings of the whole project written to `--write-baseline`.
    pub baseline_written: Option<usize>,
    /// What applying `--baseline` did.
    pub baseline: Option<baseline::Applied>,
    pub identity: IdentityStats,
    pub files_checked: usize,
    pub warnings: Vec<String>,
    /// Policies that failed (a limit hit, a runtime error): the report still holds every other
    /// finding, and the run exits 2.
    pub errors: Vec<ToolError>,
}

impl Outcome {
    /// The rules that ran, as reports describe them: each with the severity `[rules]` in
    /// `sfpolicy.toml` gives it.
    pub fn report_rules(&self) -> Vec<crate::report::RuleMeta<'_>> {
        let config = &self.analysis.config;
        self.ran
            .iter()
            .filter_map(|id| self.registry.get(id))
            .map(|info| crate::report::RuleMeta {
                info,
                severity: match config.rule(&info.id).and_then(|r| r.setting) {
                    Some(settings::Setting::On(s)) => s,
                    _ => info.severity,
                },
            })
            .collect()
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

impl From<policy::FailedPolicy> for ToolError {
    fn from(failed: policy::FailedPolicy) -> Self {
        let mut error = ToolError::from(failed.error);
        if failed.more > 0 {
            let more = format!(
                "; {} of `{}` failed too",
                crate::util::plural(failed.more, "other call"),
                failed.id
            );
            error.rendered.push_str(&crate::escape::escape_line(&more));
            error.message.push_str(&more);
        }
        error
    }
}

impl From<PolicyError> for ToolError {
    fn from(e: PolicyError) -> Self {
        let message = match &e.while_checking {
            Some(file) => format!("policy error: {} (while checking {file})", e.message),
            None => format!("policy error: {}", e.message),
        };
        if e.line > 0 {
            ToolError::at(&e.origin, e.line, e.column, message)
        } else {
            let mut error = ToolError::new(format!("{}: {message}", e.origin));
            error.message = message;
            error
        }
    }
}

/// The engine and policies of a run. With no policy folder (only the built-in rules, which are
/// part of the binary) they are compiled once per process: a process that checks many projects
/// (the fuzzer, an editor integration) does not pay for it each time.
fn engine_and_policies(
    dirs: &[PathBuf],
    replace_builtins: bool,
) -> Result<(EngineRef, Vec<Policy>), ToolError> {
    if dirs.is_empty() {
        static BUILTIN: std::sync::OnceLock<(rhai::Engine, Vec<Policy>)> =
            std::sync::OnceLock::new();
        if let Some((engine, policies)) = BUILTIN.get() {
            return Ok((EngineRef::Shared(engine), policies.clone()));
        }
        let engine = policy::engine_with_libs(dirs)?;
        let policies = load_policies(&engine, dirs, replace_builtins)?;
        let (engine, policies) = BUILTIN.get_or_init(|| (engine, policies));
        return Ok((EngineRef::Shared(engine), policies.clone()));
    }
    let engine = policy::engine_with_libs(dirs)?;
    let policies = load_policies(&engine, dirs, replace_builtins)?;
    Ok((EngineRef::Owned(Box::new(engine)), policies))
}

enum EngineRef {
    Shared(&'static rhai::Engine),
    Owned(Box<rhai::Engine>),
}

impl std::ops::Deref for EngineRef {
    type Target = rhai::Engine;
    fn deref(&self) -> &rhai::Engine {
        match self {
            EngineRef::Shared(e) => e,
            EngineRef::Owned(e) => e,
        }
    }
}

/// Built-in policies plus those in `rules_dirs`; a duplicate id is an error.
pub fn load_policies(
    engine: &rhai::Engine,
    rules_dirs: &[PathBuf],
    replace_builtins: bool,
) -> Result<Vec<Policy>, ToolError> {
    let mut policies = policy::builtin(engine)?;
    let native = crate::findings::registry::native_rules();
    for dir in rules_dirs {
        for p in policy::load_dir(engine, dir)? {
            if let Some(i) = policies.iter().position(|e| e.id == p.id) {
                if replace_builtins && policies[i].builtin {
                    policies[i] = p;
                    continue;
                }
                let (line, column) = p.id_position;
                return Err(ToolError::at(
                    &p.origin,
                    line,
                    column,
                    format!(
                        "policy id `{}` is already defined by {}",
                        p.id, policies[i].origin
                    ),
                ));
            }
            if native.iter().any(|n| n.id == p.id) {
                let (line, column) = p.id_position;
                return Err(ToolError::at(
                    &p.origin,
                    line,
                    column,
                    format!("policy id `{}` is a check built into sfpolicy", p.id),
                ));
            }
            policies.push(p);
        }
    }
    Ok(policies)
}

/// The registry of a set of policies (plus the native checks).
pub fn registry(policies: &[Policy]) -> Registry {
    Registry::new(policies.iter().map(Policy::info))
}

/// The policy folders of a run: `--rules` plus `[policies] paths`.
pub fn policy_dirs(options_dirs: &[PathBuf], config: &Config) -> Vec<PathBuf> {
    let mut dirs = options_dirs.to_vec();
    dirs.extend(config.policy_paths.iter().map(|(p, _)| p.clone()));
    dirs
}

/// The engine, policies and registry for commands that only describe rules (`rules`,
/// `explain`): the project's `[policies] paths` included.
pub fn rules_of(
    start: &Path,
    rules_dirs: &[PathBuf],
    config: Option<&Path>,
) -> Result<(Vec<Policy>, Registry), ToolError> {
    let root = discover::find_root(start);
    let config = Config::load(&root, config)?;
    let dirs = policy_dirs(rules_dirs, &config);
    let engine = policy::engine_with_libs(&dirs)?;
    let policies = load_policies(&engine, &dirs, false)?;
    let registry = registry(&policies);
    Ok((policies, registry))
}

fn selected(id: &str, options: &Options) -> bool {
    (options.select.is_empty() || options.select.iter().any(|s| s == id))
        && !options.ignore.iter().any(|s| s == id)
}

/// The project root for these options; every PATH must exist.
pub fn project_root(options: &Options) -> Result<PathBuf, ToolError> {
    let first = options
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    for p in &options.paths {
        if !p.exists() {
            return Err(ToolError::new(format!(
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
    policy_dirs: &[PathBuf],
) -> Result<(Org, Option<crate::analysis::LoadedRegister>, Vec<String>), ToolError> {
    let timer = Timer::from_env();
    // Policy test cases are fixtures, not the org: never scan a policy folder's `tests/`.
    let exclude = policy_dirs
        .iter()
        .filter_map(|d| std::fs::canonicalize(d.join("tests")).ok())
        .collect();
    let mut project = discover::discover(
        root,
        &discover::Options {
            no_forceignore: options.no_forceignore,
            exclude,
        },
    );
    timer.lap("discover");
    let warnings = std::mem::take(&mut project.warnings);
    let mut org = Org::load(project);
    let register = Analysis::load_register(&mut org, config)?;
    Ok((org, register, warnings))
}

/// The analysis alone, without running policies (`sfpolicy inventory`).
pub fn analyze(options: &Options) -> Result<(Arc<Analysis>, Vec<String>), ToolError> {
    let root = project_root(options)?;
    let config = Config::load(&root, options.config.as_deref())?;
    let dirs = policy_dirs(&options.rules_dirs, &config);
    let (org, register, warnings) = load_org(&root, options, &config, &dirs)?;
    Ok((Arc::new(Analysis::build(org, config, register)), warnings))
}

/// Rule ids named on the command line and in the config must exist: a typo would silently do
/// nothing.
fn validate_rule_names(
    options: &Options,
    config: &Config,
    registry: &Registry,
    policies: &[Policy],
) -> Result<(), ToolError> {
    for name in options.select.iter().chain(&options.ignore) {
        if registry.get(name).is_none() {
            return Err(ToolError::new(registry.unknown(name)));
        }
    }
    let Some((path, _, text)) = &config.source else {
        return Ok(());
    };
    for (id, span) in config.named_rules() {
        if registry.get(id).is_none() {
            let message = format!(
                "unknown rule `{id}`{}",
                crate::util::did_you_mean(registry.ids(), id)
            );
            return Err(ToolError::located(path, text, span, &message));
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

/// Findings of the native checks: files sfpolicy could not read.
fn native_findings(org: &Org, options: &Options) -> Vec<Finding> {
    let mut out = Vec::new();
    if selected(INVALID_METADATA, options) {
        for inv in &org.invalid {
            let mut loc = file_loc(inv.file);
            loc.start = inv.error.offset;
            loc.end = inv.error.offset + 1;
            out.push(
                Finding::new(INVALID_METADATA, Severity::Error, inv.error.message.clone(), loc)
                    .with_help("fix the file so that it is well-formed metadata XML; the other files were still checked"),
            );
        }
    }
    if selected(UNREAD_METADATA, options) {
        for unread in &org.unread {
            // A symbolic link is a choice (a note); a file nobody could read fails the run,
            // as a malformed one does.
            let severity = if unread.note {
                Severity::Info
            } else {
                unread.severity
            };
            out.push(
                Finding::new(
                    UNREAD_METADATA,
                    severity,
                    format!("{} {}", org.rel(unread.file), unread.reason),
                    file_loc(unread.file),
                )
                .with_help(unread.help),
            );
        }
    }
    out
}

/// PATH arguments under which no file was checked: their findings would always be none, which
/// must not read as a clean result (a folder `.forceignore` excludes, a typo'd sub-folder, a
/// file sfpolicy does not read). Said on stderr; the exit status is unchanged.
fn paths_checking_nothing(
    root: &Path,
    options: &Options,
    analysis: &Analysis,
    policy_dirs: &[PathBuf],
) -> Vec<String> {
    let sources = &analysis.org.sources;
    let mut warnings = Vec::new();
    if sources.metadata_file_count() == 0 {
        warnings.push(format!(
            "{}: no metadata file sfpolicy reads was found in the project, so nothing was checked (is this an sfdx or Metadata API project, or does `.forceignore` exclude everything?)",
            root.display()
        ));
        return warnings;
    }
    let nothing = "nothing under this path was checked, so no finding can be reported for it";
    let test_cases: Vec<PathBuf> = policy_dirs
        .iter()
        .filter_map(|d| std::fs::canonicalize(d.join("tests")).ok())
        .collect();
    for p in &options.paths {
        let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if abs == root {
            continue;
        }
        if !abs.starts_with(root) {
            // Only the project of the first PATH is loaded.
            warnings.push(format!(
                "{}: {nothing}: it is outside the project being checked ({})",
                p.display(),
                root.display()
            ));
            continue;
        }
        let rel = discover::relative(root, &abs);
        let checked = sources
            .files()
            .any(|(_, f)| f.rel == rel || crate::source::paths::is_under(&f.rel, &rel));
        // Project files that are read but hold no component (`sfdx-project.json` gives the
        // namespace): a change to them is a change to the run, not an empty path.
        let project_file = abs
            .file_name()
            .is_some_and(|n| n == "sfdx-project.json" || n == ".forceignore");
        if checked || project_file {
            continue;
        }
        let is_dir = abs.is_dir();
        let why = if test_cases.iter().any(|t| abs.starts_with(t)) {
            "it holds policy test cases, which `sfpolicy test` runs and `check` never reads"
        } else if !options.no_forceignore
            && (forceignore_excludes(root, &abs) || (is_dir && metadata_files_under(root, &abs)))
        {
            // The folder itself, or every metadata file in it (`**/*.profile-meta.xml`).
            "`.forceignore` excludes it (`--no-forceignore` checks it)"
        } else if is_dir {
            "it holds no metadata file sfpolicy reads"
        } else {
            "it is not a metadata file sfpolicy reads"
        };
        // The project-relative path, as the run's key knows it (`./x/` and `x` are one path).
        warnings.push(format!("{rel}: {nothing}: {why}"));
    }
    warnings
}

/// Does this folder hold a file sfpolicy would read as metadata, `.forceignore` aside? (Asked
/// only for a PATH under which nothing was checked; stops at the first.)
fn metadata_files_under(root: &Path, dir: &Path) -> bool {
    ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .hidden(true)
        .follow_links(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .any(|e| discover::classify_file(&discover::relative(root, e.path())).is_some())
}

/// Does a `.forceignore` of the project (the root's, or one in a folder above the path) exclude
/// this path or a folder above it? The same matcher the walk uses, asked about one path.
fn forceignore_excludes(root: &Path, path: &Path) -> bool {
    let is_dir = path.is_dir();
    path.ancestors()
        .skip(1)
        .take_while(|dir| dir.starts_with(root))
        .any(|dir| {
            let file = dir.join(".forceignore");
            if !file.is_file() {
                return false;
            }
            let (matcher, _) = ignore::gitignore::Gitignore::new(&file);
            matcher
                .matched_path_or_any_parents(path, is_dir)
                .is_ignore()
        })
}

/// What a run was told changed: PATH arguments and git.
fn change_sets(
    root: &Path,
    options: &Options,
    analysis: &Analysis,
) -> Result<Vec<ChangeSet>, ToolError> {
    let mut sets = Vec::new();
    let named = |rels: &[String]| {
        let mut set = ChangeSet {
            paths: rels.to_vec(),
            ..ChangeSet::default()
        };
        for rel in rels {
            if let Some((kind, name)) = discover::classify(rel) {
                set.names
                    .insert((kind.as_str().to_string(), name.to_lowercase()));
            }
        }
        set.everything = analysis
            .config_file
            .is_some_and(|f| set.covers(analysis.org.rel(f)));
        set
    };
    // PATH arguments: files and folders under the root (the root itself means everything).
    let mut rels = Vec::new();
    let mut whole = options.paths.is_empty();
    for p in &options.paths {
        let abs = std::fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        if abs == root {
            whole = true;
        }
        rels.push(discover::relative(root, &abs));
    }
    if !whole {
        // A folder covers the components of every file under it.
        let mut all = rels.clone();
        for (_, f) in analysis.org.sources.files() {
            if rels
                .iter()
                .any(|r| crate::source::paths::is_under(&f.rel, r))
            {
                all.push(f.rel.clone());
            }
        }
        if options.staged {
            // pre-commit passes the files a commit keeps; the ones it deletes come from git.
            all.extend(crate::source::git::staged(root).map_err(ToolError::new)?);
        }
        sets.push(named(&all));
    } else if options.staged {
        sets.push(named(
            &crate::source::git::staged(root).map_err(ToolError::new)?,
        ));
    }
    if let Some(rev) = &options.changed_since {
        sets.push(named(
            &crate::source::git::changed_since(root, rev).map_err(ToolError::new)?,
        ));
    }
    Ok(sets)
}

/// The engine, the policies that run (compiled, rule names checked, selection applied) and the
/// registry of every rule.
fn compile_policies(
    options: &Options,
    config: &Config,
    dirs: &[PathBuf],
) -> Result<(EngineRef, Vec<Policy>, Registry), ToolError> {
    let (engine, policies) = engine_and_policies(dirs, options.replace_builtins)?;
    let registry = registry(&policies);
    validate_rule_names(options, config, &registry, &policies)?;
    let policies = policies
        .into_iter()
        .filter(|p| selected(&p.id, options) && config.may_run(&p.id, p.severity))
        .collect();
    Ok((engine, policies, registry))
}

pub fn run(options: &Options) -> Result<Outcome, ToolError> {
    let timer = Timer::from_env();
    let root = project_root(options)?;
    let config = Config::load(&root, options.config.as_deref())?;
    let dirs = policy_dirs(&options.rules_dirs, &config);
    timer.lap("load config");
    // The policies compile on their own thread while the project is walked and read: compiling
    // is one core's work, and the walk and the end of the read leave a core idle. A compile
    // error (a broken policy, an unknown rule name) still takes precedence over any error of the
    // project, as when compiling came first; it is only reported once the read is done.
    let timed = timer.0.is_some();
    let (compiled, loaded) = std::thread::scope(|scope| {
        let compiling = std::thread::Builder::new()
            .name("compile".into())
            // The main thread's stack, where policies compiled before: a deeply nested script
            // gets the same room (Rhai's depth limits stop it, in debug builds too).
            .stack_size(8 << 20)
            .spawn_scoped(scope, || {
                let started = std::time::Instant::now();
                let compiled = compile_policies(options, &config, &dirs);
                if timed {
                    eprintln!(
                        "timing: compile policies (beside discover and read): {:.1} ms",
                        started.elapsed().as_secs_f64() * 1e3
                    );
                }
                compiled
            });
        let loaded = load_org(&root, options, &config, &dirs);
        let compiled = match compiling {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: compile here.
            Err(_) => compile_policies(options, &config, &dirs),
        };
        (compiled, loaded)
    });
    let (engine, policies, registry) = compiled?;
    let engine: &rhai::Engine = &engine;
    let (org, register, warnings) = loaded?;
    timer.lap("read + parse");
    if timer.0.is_some() {
        let (mut nodes, mut text, mut rest, mut docs) = (0, 0, 0, 0);
        let (mut pooled, mut pooled_bytes) = (0, 0);
        let mut seen = rustc_hash::FxHashSet::default();
        let mut pools = rustc_hash::FxHashSet::default();
        for c in &org.components {
            if seen.insert(Arc::as_ptr(&c.doc)) {
                let (n, t, r) = c.doc.heap_bytes();
                nodes += n;
                text += t;
                rest += r;
                docs += 1;
                if let Some(pool) = c.doc.pool() {
                    if pools.insert(Arc::as_ptr(pool)) {
                        let (count, bytes) = pool.stats();
                        pooled += count;
                        pooled_bytes += bytes;
                    }
                }
            }
        }
        let read: u64 = org
            .sources
            .files()
            .filter(|(_, f)| f.metadata)
            .map(|(_, f)| f.len)
            .sum();
        eprintln!(
            "timing: {} metadata files, {:.1} MB read; {docs} documents hold {:.1} MB of nodes, {:.1} MB of text, {:.1} MB else; {} pools hold {pooled} values, {:.1} MB",
            org.sources.metadata_file_count(),
            read as f64 / 1e6,
            nodes as f64 / 1e6,
            text as f64 / 1e6,
            rest as f64 / 1e6,
            pools.len(),
            pooled_bytes as f64 / 1e6
        );
    }
    let files_checked = org.sources.metadata_file_count();
    let mut findings = native_findings(&org, options);
    let analysis = Arc::new(Analysis::build(org, config, register));
    timer.lap("analysis");
    let policy_run = policy::run(engine, &policies, &analysis);
    findings.extend(policy_run.findings);
    let failed: Vec<String> = policy_run.errors.iter().map(|e| e.id.clone()).collect();
    let errors: Vec<ToolError> = policy_run.errors.into_iter().map(ToolError::from).collect();
    timer.lap("policies");

    // The findings stage.
    let sources = &analysis.org.sources;
    let identity = findings::identify(&mut findings, sources);
    let config = &analysis.config;
    settings::apply(&mut findings, sources, &|rule, severity, rel| {
        config.setting_for(rule, severity, rel)
    });
    let mut ran: Vec<String> = policies.iter().map(|p| p.id.clone()).collect();
    ran.extend(
        crate::findings::registry::native_rules()
            .into_iter()
            .map(|r| r.id)
            .filter(|id| selected(id, options)),
    );
    ran.sort();
    if let Some(config_file) = analysis.config_file {
        if !config.waivers.is_empty() {
            // A policy that failed did not finish: its waivers are neither used nor unused.
            let is_ran = |id: &str| {
                ran.binary_search_by(|r| r.as_str().cmp(id)).is_ok()
                    && !failed.iter().any(|f| f == id)
            };
            waivers::apply(
                &mut findings,
                sources,
                &WaiverRun {
                    waivers: &config.waivers,
                    config_file,
                    today: &crate::config::today(),
                    ran: &is_ran,
                },
            );
            // A waiver finding is new too: give it its identity.
            findings::identify(&mut findings, sources);
            settings::apply(&mut findings, sources, &|rule, severity, rel| {
                config.setting_for(rule, severity, rel)
            });
        }
    }
    let mut baseline_written = None;
    if let (Some(_), Some(first)) = (&options.write_baseline, errors.first()) {
        // A baseline without that policy's findings would hide them as "fixed" later.
        let mut error = first.clone();
        let why =
            " (the baseline was not written: it would miss the findings of the policy that failed)";
        error.message.push_str(why);
        error.rendered.push_str(why);
        return Err(error);
    }
    if let Some(path) = &options.write_baseline {
        baseline::write(path, &findings, sources)?;
        baseline_written = Some(findings.len());
    }
    let mut baseline_applied = None;
    if let Some(path) = &options.baseline {
        let b = baseline::read(path)?;
        baseline_applied = Some(baseline::apply(&b, &mut findings));
    }
    let change_sets = change_sets(&root, options, &analysis)?;
    if !change_sets.is_empty() {
        for f in findings.iter_mut() {
            f.inputs.extend(analysis.inputs_of(f));
        }
        for set in &change_sets {
            findings::scope::filter(&mut findings, sources, set);
        }
    }
    findings::sort(&mut findings, sources);
    // Pin the lines of every file a finding points into while it still holds what was checked:
    // a file edited before the report is written keeps its positions (its text is not quoted).
    let mut warnings = warnings;
    warnings.extend(paths_checking_nothing(&root, options, &analysis, &dirs));
    warnings.extend(changed_during_run(&findings, sources));
    timer.lap("findings");
    Ok(Outcome {
        analysis,
        registry,
        ran,
        findings,
        baseline_written,
        baseline: baseline_applied,
        identity,
        files_checked,
        warnings,
        errors,
    })
}

/// Pin the lines of every file a finding points into while it still holds what was checked (a
/// file edited before the report is written keeps its positions; its text is not quoted), and
/// say which files changed before that: their findings point at line 1, never silently.
fn changed_during_run(findings: &[Finding], sources: &crate::source::SourceDb) -> Vec<String> {
    let mut lost = std::collections::BTreeSet::new();
    for f in findings {
        let locs = std::iter::once(&f.loc).chain(f.related.iter().map(|r| &r.loc));
        for file in locs.map(|l| l.file) {
            if sources.get(file).changed_before_located() {
                lost.insert(sources.rel(file));
            }
        }
    }
    lost.into_iter()
        .map(|rel| format!("{rel} changed (or could not be read again) while sfpolicy was checking it: its findings point at its first line; run sfpolicy again"))
        .collect()
}

/// Resident memory now and at its peak (Linux `/proc/self/status`), for the timings.
pub fn memory() -> String {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    format!(" (RSS {} MB, peak {} MB)", field("VmRSS:"), field("VmHWM:"))
}

/// Phase timings on stderr when `SFPOLICY_TIMINGS` is set: where a slow run spends its time,
/// and, beside the wall time, the CPU time of the whole process in that phase: a phase whose CPU
/// time is not about twice its wall time on two cores leaves a core idle.
struct Timer(Option<std::cell::Cell<(std::time::Instant, f64)>>);

impl Timer {
    fn from_env() -> Timer {
        Timer(
            std::env::var_os("SFPOLICY_TIMINGS")
                .map(|_| std::cell::Cell::new((std::time::Instant::now(), cpu_ms()))),
        )
    }

    fn lap(&self, phase: &str) {
        if let Some(start) = &self.0 {
            let (now, cpu) = (std::time::Instant::now(), cpu_ms());
            let (then, cpu_then) = start.get();
            eprintln!(
                "timing: {phase}: {:.1} ms, CPU {:.1} ms{}",
                (now - then).as_secs_f64() * 1e3,
                cpu - cpu_then,
                memory()
            );
            start.set((now, cpu));
        }
    }
}

/// CPU time of the process so far, user and system, in milliseconds (0 where unknown).
fn cpu_ms() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
            let ms = |t: libc::timeval| t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3;
            return ms(usage.ru_utime) + ms(usage.ru_stime);
        }
    }
    0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Anchor, Loc, Severity};
    use crate::source::{SourceDb, SourceFile};

    #[test]
    fn a_file_edited_before_its_findings_are_located_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut sources = SourceDb::new(dir.path());
        let mut ids = Vec::new();
        for name in ["kept.xml", "edited.xml", "related.xml"] {
            let path = dir.path().join(name);
            let text = "<Profile>\n  <custom>true</custom>\n</Profile>\n";
            std::fs::write(&path, text).unwrap();
            ids.push(sources.add(SourceFile::from_bytes(
                name.into(),
                path,
                true,
                text.as_bytes(),
            )));
        }
        // Edited after it was read, before any position in it was asked for.
        std::fs::write(dir.path().join("edited.xml"), "<Profile/>\n").unwrap();
        std::fs::write(dir.path().join("related.xml"), "").unwrap();
        let loc = |file| Loc {
            file,
            start: 12,
            end: 31,
            anchor: Anchor::whole_file(),
        };
        let mut findings = vec![
            Finding::new("r", Severity::Error, "kept".into(), loc(ids[0])),
            Finding::new("r", Severity::Error, "edited".into(), loc(ids[1])),
        ];
        findings[0].related.push(crate::findings::Related {
            loc: loc(ids[2]),
            message: String::new(),
        });
        let warnings = changed_during_run(&findings, &sources);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings[0].starts_with(
            "edited.xml changed (or could not be read again) while sfpolicy was checking it"
        ));
        assert!(warnings[1].starts_with("related.xml changed"));
        // The file that did not change keeps its positions: line 2, column 3.
        assert_eq!(sources.get(ids[0]).position(12), (2, 3));
        assert_eq!(sources.get(ids[1]).position(12), (1, 1));
    }
}
