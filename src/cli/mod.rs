//! The `sfpolicy` command line: argument parsing, and each command as calls into the pipeline
//! and the reports.

use crate::diag::ToolError;
use crate::escape::{escape_block, escape_line};
use crate::findings::Severity;
use crate::pipeline;
use crate::report::{self, ReportInput};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "sfpolicy",
    version,
    about = "Policy-as-code linter for Salesforce metadata",
    long_about = "Policy-as-code linter for Salesforce metadata: integration identities, bypass logic, least privilege and connected apps, checked before they are deployed.\n\nExit status: 0 = nothing at or above the fail level, 1 = findings at or above it, 2 = usage, configuration, policy or internal error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lint a project (the default PATH is ".")
    Check(CheckArgs),
    /// List the rules: id, default severity, category, metadata kinds, summary
    Rules {
        /// Extra policy folder (repeatable)
        #[arg(long = "rules", value_name = "DIR")]
        rules_dirs: Vec<PathBuf>,
        /// Configuration file (default: sfpolicy.toml of the project in the current folder)
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Run policy test cases: DIR/tests/<rule>/<case>/ with `expect:` annotations and an
    /// expected-output.txt
    Test {
        /// Policy folders (default ".")
        dirs: Vec<PathBuf>,
        /// Rewrite each case's expected-output.txt with what it reports (also SFPOLICY_BLESS=1)
        #[arg(long)]
        bless: bool,
    },
    /// Print the integration inventory: apps, credentials, run-as users, register entries
    Inventory(InventoryArgs),
    /// A staged plan for splitting shared integration identities: the systems on each, what
    /// they reach, a risk rank, the licence count, and the steps for the first split
    Plan(PlanArgs),
    /// Write the metadata of a narrow identity for one system (never overwrites)
    #[command(subcommand)]
    Scaffold(ScaffoldCommand),
    /// Scaffold a policy: DIR/ID.rhai with its documentation headings, and a failing and a passing case
    NewRule {
        /// Rule id, kebab-case (e.g. named-credential-password)
        id: String,
        /// Policy folder (default "policies")
        #[arg(long, default_value = "policies")]
        dir: PathBuf,
    },
    /// Write a commented sfpolicy.toml (never overwrites)
    Init {
        /// Project folder (default ".")
        path: Option<PathBuf>,
    },
    /// Print a rule's documentation, options and defaults
    Explain {
        rule: String,
        /// Extra policy folder (repeatable)
        #[arg(long = "rules", value_name = "DIR")]
        rules_dirs: Vec<PathBuf>,
        /// Configuration file (default: sfpolicy.toml of the project in the current folder)
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
    /// SARIF 2.1.0 (GitHub code scanning)
    Sarif,
    /// JUnit XML (Azure DevOps, GitLab, Jenkins)
    Junit,
    /// GitHub Actions workflow commands (inline annotations)
    Github,
    /// GitLab Code Quality JSON
    Gitlab,
}

#[derive(clap::Args)]
struct InventoryArgs {
    /// Project folder (default ".")
    path: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Draft integrations.toml at the project root from the facts found (never overwrites)
    #[arg(long)]
    write_register: bool,
    /// Configuration file (default: sfpolicy.toml at the project root)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Read files that .forceignore excludes too
    #[arg(long)]
    no_forceignore: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum PlanFormat {
    Human,
    Json,
    /// Markdown that pastes into a ticket
    Markdown,
}

#[derive(clap::Args)]
struct PlanArgs {
    /// Project folder (default ".")
    path: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    format: PlanFormat,
    /// Write the plan to FILE instead of standard output
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Configuration file (default: sfpolicy.toml at the project root)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Read files that .forceignore excludes too
    #[arg(long)]
    no_forceignore: bool,
}

#[derive(Subcommand)]
enum ScaffoldCommand {
    /// One system's own identity: a permission set named for it, a client-credentials connected
    /// app, custom permissions for its bypasses, and its register entry
    Integration(crate::scaffold::integration::Args),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders; the whole project is loaded, findings are reported under these paths
    paths: Vec<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Write the report to FILE instead of standard output
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Extra policy folder (repeatable)
    #[arg(long = "rules", value_name = "DIR")]
    rules_dirs: Vec<PathBuf>,
    /// Configuration file (default: sfpolicy.toml at the project root)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Run only this rule (repeatable)
    #[arg(long, value_name = "RULE")]
    select: Vec<String>,
    /// Skip this rule (repeatable)
    #[arg(long, value_name = "RULE")]
    ignore: Vec<String>,
    /// Lowest severity that makes the exit status 1
    #[arg(long, value_enum, default_value = "error")]
    fail_on: FailOn,
    /// Read files that .forceignore excludes too
    #[arg(long)]
    no_forceignore: bool,
    /// Hide the findings recorded in this baseline file; report only new ones
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Record the whole project's findings in FILE (then exit 0; PATH and --changed-since narrow
    /// what is reported, never the baseline)
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Report what changed since the merge base with REV (needs git): every finding with an input
    /// among the changed or deleted files
    #[arg(long, value_name = "REV")]
    changed_since: Option<String>,
    /// Also count what the git index changes against HEAD as changed, deletions included (the
    /// pre-commit hook: pre-commit passes only the files a commit keeps)
    #[arg(long)]
    staged: bool,
    /// Worker threads (default: one per core)
    #[arg(long, short, value_name = "N")]
    jobs: Option<usize>,
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Print only the findings, no summary line or warnings
    #[arg(long, short)]
    quiet: bool,
    /// Keep whole-run results in DIR, keyed by the content of every file the run reads: a repeat
    /// run on an unchanged project replays its result without parsing (off by default; never
    /// share DIR between jobs of different trust)
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
}

/// Run the command line; the exit status is the result.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => run_check(args),
        Command::Rules { rules_dirs, config } => list_rules(&rules_dirs, config),
        Command::Test { dirs, bless } => {
            run_tests(dirs, bless || std::env::var_os("SFPOLICY_BLESS").is_some())
        }
        Command::Inventory(args) => inventory(args),
        Command::Plan(args) => plan(args),
        Command::Scaffold(ScaffoldCommand::Integration(args)) => scaffold_integration(args),
        Command::Init { path } => init(path),
        Command::NewRule { id, dir } => new_rule(&id, &dir),
        Command::Explain {
            rule,
            rules_dirs,
            config,
        } => explain(&rule, &rules_dirs, config),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            print_error(&error);
            ExitCode::from(2)
        }
    }
}

/// A tool error on standard error, escaped: nothing a file or script contains reaches the
/// terminal raw.
fn print_error(error: &ToolError) {
    eprintln!("error: {}", escape_block(&error.rendered));
}

fn note(text: &str) {
    eprintln!("{}", escape_block(text));
}

fn run_check(args: CheckArgs) -> Result<ExitCode, ToolError> {
    match check(&args) {
        Ok(code) => Ok(code),
        Err(error) => {
            // A CI step uploading the report gets a file that says what went wrong.
            if let Some(path) = &args.output {
                let text = match args.format {
                    Format::Sarif => Some(report::sarif::render_error(&error, None)),
                    Format::Json => Some(report::json::render_error(&error)),
                    _ => None,
                };
                if let Some(text) = text {
                    let _ = std::fs::write(path, text);
                }
            }
            Err(error)
        }
    }
}

/// The most worker threads `--jobs` sets (more only adds contention and memory).
const MAX_JOBS: usize = 256;

fn check(args: &CheckArgs) -> Result<ExitCode, ToolError> {
    if let Some(jobs) = args.jobs {
        if jobs == 0 || jobs > MAX_JOBS {
            return Err(ToolError::new(format!(
                "--jobs {jobs}: give between 1 and {MAX_JOBS} worker threads"
            )));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global()
            .map_err(|e| ToolError::new(format!("--jobs: {e}")))?;
    }
    let options = pipeline::Options {
        paths: if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        },
        rules_dirs: args.rules_dirs.clone(),
        no_forceignore: args.no_forceignore,
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        config: args.config.clone(),
        baseline: args.baseline.clone(),
        write_baseline: args.write_baseline.clone(),
        changed_since: args.changed_since.clone(),
        staged: args.staged,
        ..pipeline::Options::default()
    };
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let key = match &args.cache {
        None => None,
        Some(_) => {
            let shape = shape_of(args, color);
            // A key that cannot be computed: no cache, and the run fails as a cold one would.
            crate::cache::key(&options, &shape).ok().flatten()
        }
    };
    let timings = std::env::var_os("SFPOLICY_TIMINGS").is_some();
    if let (Some(dir), Some(key)) = (&args.cache, &key) {
        if let Some(replay) = crate::cache::load(dir, key) {
            if timings {
                eprintln!("timing: cache hit {key}");
            }
            return emit(args, &replay, &[]);
        }
    }
    crate::policy::PRINTED.store(false, std::sync::atomic::Ordering::Relaxed);
    let Some((replay, errors)) = compute(args, &options, color)? else {
        return Ok(ExitCode::SUCCESS);
    };
    // Stored only when a replay would be exact: no policy error, no policy output on standard
    // error, and the inputs the same after the run as before it.
    let printed = crate::policy::PRINTED.load(std::sync::atomic::Ordering::Relaxed);
    let key = key.filter(|k| {
        errors.is_empty() && !printed && {
            let shape_again = shape_of(args, color);
            crate::cache::key(&options, &shape_again)
                .ok()
                .flatten()
                .as_ref()
                == Some(k)
        }
    });
    if let (Some(dir), Some(key)) = (&args.cache, &key) {
        if let Err(e) = crate::cache::store(dir, key, &replay) {
            note(&format!("warning: --cache: cannot store this run: {e}"));
        } else if timings {
            eprintln!("timing: cache stored {key}");
        }
    }
    emit(args, &replay, &errors)
}

/// Everything on the command line that shapes what `check` prints (part of the cache key).
fn shape_of(args: &CheckArgs, color: bool) -> String {
    format!(
        "{:?}",
        (
            args.format as u8,
            color && args.format == Format::Human,
            args.quiet,
            args.fail_on as u8,
            &args.select,
            &args.ignore,
            args.output.is_some(),
            args.no_forceignore,
            &args.rules_dirs,
            &args.baseline,
            (&args.changed_since, args.staged, &args.config),
        ),
    )
}

/// Print what a run produced (computed now, or replayed from the cache).
fn emit(
    args: &CheckArgs,
    replay: &crate::cache::Replay,
    errors: &[ToolError],
) -> Result<ExitCode, ToolError> {
    for n in &replay.before {
        note(n);
    }
    write_output(args.output.as_ref(), &replay.text)?;
    for n in &replay.after {
        note(n);
    }
    if !errors.is_empty() {
        // The report holds every other policy's findings; the run still cannot vouch for the
        // project, so it is a tool error.
        for error in errors {
            print_error(error);
        }
        return Ok(ExitCode::from(2));
    }
    Ok(ExitCode::from(replay.code))
}

/// Run the pipeline and render: what to print, and the policies that failed. `None` when the
/// run wrote a baseline (and said so) instead of reporting.
fn compute(
    args: &CheckArgs,
    options: &pipeline::Options,
    color: bool,
) -> Result<Option<(crate::cache::Replay, Vec<ToolError>)>, ToolError> {
    let outcome = pipeline::run(options)?;
    if let (Some(path), Some(n)) = (&args.write_baseline, outcome.baseline_written) {
        if !args.quiet {
            note(&format!(
                "wrote {} of the whole project to the baseline {} (PATH and --changed-since narrow what is reported, never the baseline)",
                crate::util::plural(n, "finding"),
                path.display()
            ));
        }
        return Ok(None);
    }
    let mut before = Vec::new();
    let mut after = Vec::new();
    if !args.quiet {
        for w in &outcome.warnings {
            before.push(format!("warning: {w}"));
        }
        if let Some(applied) = outcome.baseline {
            if applied.stale > 0 {
                before.push(format!(
                    "note: {} in the baseline no longer {} (fixed, or outside this run); regenerate it with --write-baseline to keep it honest",
                    crate::util::plural(applied.stale, "finding"),
                    if applied.stale == 1 { "occurs" } else { "occur" }
                ));
            }
        }
    }
    let fail_on = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let rules = outcome.report_rules();
    let input = ReportInput {
        errors: &outcome.errors,
        sources: &outcome.analysis.org.sources,
        findings: &outcome.findings,
        files_checked: outcome.files_checked,
        rules,
        fail_on,
    };
    let text = match args.format {
        Format::Json => report::json::render(&input),
        Format::Sarif => report::sarif::render(&input),
        Format::Junit => report::junit::render(&input),
        Format::Github => report::github::render(&input),
        Format::Gitlab => report::gitlab::render(&input),
        Format::Human => {
            let mut text = report::human::render(&input, color);
            if args.quiet {
                // Keep the diagnostics, drop the summary line.
                if let Some(i) = text.trim_end().rfind('\n') {
                    text.truncate(i + 1);
                } else {
                    text.clear();
                }
            }
            text
        }
    };
    if args.output.is_some() && !args.quiet {
        // The report went to a file: say what it holds, so the log is not silent.
        after.push(report::human::summary_line(&input));
    }
    if std::env::var_os("SFPOLICY_TIMINGS").is_some() {
        eprintln!("timing: report rendered{}", pipeline::memory());
    }
    let failed = outcome.findings.iter().any(|f| input.fails(f));
    let replay = crate::cache::Replay {
        before,
        text,
        after,
        code: u8::from(failed),
    };
    let mut outcome = outcome;
    let errors = std::mem::take(&mut outcome.errors);
    drop_in_background(outcome);
    Ok(Some((replay, errors)))
}

/// Free the run's model (every document, the org, the analysis) on another thread: tens of
/// thousands of allocations on a large org, freed while the report is written, and left to the
/// operating system if the process exits first. Freed here when no thread can be started.
fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("drop".into())
        .spawn(move || drop(value));
}

fn write_output(path: Option<&PathBuf>, text: &str) -> Result<(), ToolError> {
    match path {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| ToolError::new(format!("{}: cannot write report: {e}", path.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => Ok(()),
                // A closed pipe (`| head`) is the reader's choice, not an error worth a message.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                // A full disk must not pass for a complete report.
                Err(e) => Err(ToolError::new(format!("cannot write the report: {e}"))),
            }
        }
    }
}

/// The analysis of the project at `path` (default "."), its warnings said: what `inventory` and
/// `plan` read (no policies run).
fn analyze_project(
    path: Option<&PathBuf>,
    config: Option<&PathBuf>,
    no_forceignore: bool,
) -> Result<std::sync::Arc<crate::analysis::Analysis>, ToolError> {
    let options = pipeline::Options {
        paths: vec![path.cloned().unwrap_or_else(|| PathBuf::from("."))],
        config: config.cloned(),
        no_forceignore,
        ..pipeline::Options::default()
    };
    let (analysis, warnings) = pipeline::analyze(&options)?;
    for w in &warnings {
        note(&format!("warning: {w}"));
    }
    Ok(analysis)
}

fn inventory(args: InventoryArgs) -> Result<ExitCode, ToolError> {
    let analysis = analyze_project(
        args.path.as_ref(),
        args.config.as_ref(),
        args.no_forceignore,
    )?;
    let style = match args.format {
        Format::Human => crate::source::PathStyle::Human,
        _ => crate::source::PathStyle::Repository,
    };
    let inventory = crate::inventory::collect(&analysis, style);
    if args.write_register {
        let path = analysis.org.root.join(crate::config::register::FILE_NAME);
        if path.exists() {
            return Err(ToolError::new(format!(
                "{}: already exists; sfpolicy never overwrites a register (move it away to draft a new one)",
                path.display()
            )));
        }
        std::fs::write(
            &path,
            crate::inventory::draft_register(&inventory.integrations),
        )
        .map_err(|e| ToolError::new(format!("{}: cannot write: {e}", path.display())))?;
        eprintln!("wrote a draft register to {}", path.display());
    }
    let text = match args.format {
        Format::Human => crate::inventory::render_table(&inventory),
        Format::Json => crate::inventory::render_json(&inventory),
        _ => return Err(ToolError::new("inventory supports --format human or json")),
    };
    write_output(args.output.as_ref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn plan(args: PlanArgs) -> Result<ExitCode, ToolError> {
    let analysis = analyze_project(
        args.path.as_ref(),
        args.config.as_ref(),
        args.no_forceignore,
    )?;
    let style = match args.format {
        PlanFormat::Human => crate::source::PathStyle::Human,
        _ => crate::source::PathStyle::Repository,
    };
    let plan = crate::plan::build(&analysis, style);
    let text = match args.format {
        PlanFormat::Human => crate::plan::render::human(&plan),
        PlanFormat::Json => crate::plan::render::json(&plan),
        PlanFormat::Markdown => crate::plan::render::markdown(&plan),
    };
    write_output(args.output.as_ref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn scaffold_integration(args: crate::scaffold::integration::Args) -> Result<ExitCode, ToolError> {
    let report = crate::scaffold::integration::run(&args)?;
    print!("{}", escape_block(&report));
    Ok(ExitCode::SUCCESS)
}

fn new_rule(id: &str, dir: &std::path::Path) -> Result<ExitCode, ToolError> {
    let written = crate::scaffold::new_rule(id, dir)?;
    for f in &written {
        eprintln!("wrote {}", f.display());
    }
    eprintln!(
        "next: edit {}, then run `sfpolicy test {}`",
        written[0].display(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn init(path: Option<PathBuf>) -> Result<ExitCode, ToolError> {
    let dir = path.unwrap_or_else(|| PathBuf::from("."));
    let root = crate::model::discover::find_root(&dir);
    let file = root.join(crate::config::FILE_NAME);
    if file.exists() {
        return Err(ToolError::new(format!(
            "{}: already exists; sfpolicy init never overwrites it",
            file.display()
        )));
    }
    std::fs::write(&file, crate::config::TEMPLATE)
        .map_err(|e| ToolError::new(format!("{}: cannot write: {e}", file.display())))?;
    eprintln!("wrote {}", file.display());
    Ok(ExitCode::SUCCESS)
}

fn run_tests(dirs: Vec<PathBuf>, bless: bool) -> Result<ExitCode, ToolError> {
    let dirs = if dirs.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        dirs
    };
    let results = crate::testing::run_dirs(&dirs, bless)?;
    if results.is_empty() {
        return Err(ToolError::new(format!(
            "no test cases found (expected <DIR>/tests/<rule-id>/<case>/ under {})",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    write_output(None, &crate::testing::render(&results))?;
    Ok(ExitCode::from(u8::from(
        results.iter().any(|r| !r.passed()),
    )))
}

fn list_rules(rules_dirs: &[PathBuf], config: Option<PathBuf>) -> Result<ExitCode, ToolError> {
    let (_, registry) =
        pipeline::rules_of(std::path::Path::new("."), rules_dirs, config.as_deref())?;
    let mut rows = vec![[
        "RULE".to_string(),
        "SEVERITY".to_string(),
        "CATEGORY".to_string(),
        "KINDS".to_string(),
        "SUMMARY".to_string(),
    ]];
    for r in registry.rules() {
        let kinds = if r.kinds.is_empty() {
            "(org)".to_string()
        } else {
            r.kinds.join(",")
        };
        rows.push([
            r.id.to_string(),
            r.severity.as_str().to_string(),
            r.category.as_str().to_string(),
            kinds,
            // One line per rule: a custom rule's summary could hold a newline.
            escape_line(&r.summary),
        ]);
    }
    // Columns as wide as their widest cell (custom rule ids and kind lists vary), so the
    // summaries start in one column.
    let widths: Vec<usize> = (0..4)
        .map(|c| {
            rows.iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        for (cell, width) in row.iter().zip(&widths) {
            out.push_str(&format!("{cell:<width$} "));
        }
        out.push_str(&row[4]);
        out.push('\n');
    }
    write_output(None, &escape_block(&out))?;
    Ok(ExitCode::SUCCESS)
}

fn explain(
    rule: &str,
    rules_dirs: &[PathBuf],
    config: Option<PathBuf>,
) -> Result<ExitCode, ToolError> {
    let (_, registry) =
        pipeline::rules_of(std::path::Path::new("."), rules_dirs, config.as_deref())?;
    let text = registry
        .explain(rule)
        .ok_or_else(|| ToolError::new(registry.unknown(rule)))?;
    write_output(None, &escape_block(&text))?;
    Ok(ExitCode::SUCCESS)
}
