//! The `sfpolicy` command line.

use clap::{Parser, Subcommand, ValueEnum};
use sfpolicy::check::{self, ToolError};
use sfpolicy::findings::Severity;
use sfpolicy::policy;
use sfpolicy::report::{self, ReportInput};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: sfpolicy::alloc::CountingAlloc = sfpolicy::alloc::CountingAlloc;

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
    /// List the rules: id, default severity, metadata kinds, summary
    Rules {
        /// Extra policy folder (repeatable)
        #[arg(long = "rules", value_name = "DIR")]
        rules_dirs: Vec<PathBuf>,
    },
    /// Run policy test cases: DIR/tests/<rule>/<case>/ with `expect:` annotations
    Test {
        /// Policy folders (default ".")
        dirs: Vec<PathBuf>,
    },
    /// Print the integration inventory: apps, credentials, run-as users, register entries
    Inventory(InventoryArgs),
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
    /// Print a rule's documentation
    Explain {
        rule: String,
        /// Extra policy folder (repeatable)
        #[arg(long = "rules", value_name = "DIR")]
        rules_dirs: Vec<PathBuf>,
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
    /// Record the current findings in FILE (then exit 0)
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// Report only files changed since the merge base with REV (needs git)
    #[arg(long, value_name = "REV")]
    changed_since: Option<String>,
    /// Worker threads (default: one per core)
    #[arg(long, short, value_name = "N")]
    jobs: Option<usize>,
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Print only the findings, no summary line or warnings
    #[arg(long, short)]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => run_check(args),
        Command::Rules { rules_dirs } => list_rules(&rules_dirs),
        Command::Test { dirs } => run_tests(dirs),
        Command::Inventory(args) => inventory(args),
        Command::Init { path } => init(path),
        Command::NewRule { id, dir } => new_rule(&id, &dir),
        Command::Explain { rule, rules_dirs } => explain(&rule, &rules_dirs),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn run_check(args: CheckArgs) -> Result<ExitCode, ToolError> {
    if let Some(jobs) = args.jobs {
        rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build_global()
            .map_err(|e| ToolError(format!("--jobs: {e}")))?;
    }
    let options = check::Options {
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
        changed_since: args.changed_since.clone(),
        ..check::Options::default()
    };
    let outcome = check::run(&options)?;
    if let Some(path) = &args.write_baseline {
        sfpolicy::adopt::write_baseline(path, &outcome.findings, &outcome.analysis)?;
        if !args.quiet {
            eprintln!(
                "wrote {} findings to the baseline {}",
                outcome.findings.len(),
                path.display()
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if !args.quiet {
        for w in &outcome.warnings {
            eprintln!("warning: {w}");
        }
    }
    let input = ReportInput {
        org: &outcome.analysis.org,
        findings: &outcome.findings,
        files_checked: outcome.files_checked,
        rules: &outcome.rules,
    };
    let text = match args.format {
        Format::Json => report::json::render(&input),
        Format::Sarif => report::sarif::render(&input),
        Format::Junit => report::junit::render(&input),
        Format::Github => report::github::render(&input),
        Format::Gitlab => report::gitlab::render(&input),
        Format::Human => {
            let color = match args.color {
                Color::Always => true,
                Color::Never => false,
                Color::Auto => {
                    args.output.is_none()
                        && std::io::stdout().is_terminal()
                        && std::env::var_os("NO_COLOR").is_none()
                }
            };
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
    write_output(args.output.as_ref(), &text)?;
    let threshold = match args.fail_on {
        FailOn::Error => Some(Severity::Error),
        FailOn::Warning => Some(Severity::Warning),
        FailOn::Info => Some(Severity::Info),
        FailOn::Never => None,
    };
    let failed = threshold.is_some_and(|t| outcome.findings.iter().any(|f| f.severity >= t));
    Ok(ExitCode::from(u8::from(failed)))
}

fn write_output(path: Option<&PathBuf>, text: &str) -> Result<(), ToolError> {
    match path {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| ToolError(format!("{}: cannot write report: {e}", path.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = out.write_all(text.as_bytes());
            Ok(())
        }
    }
}

fn inventory(args: InventoryArgs) -> Result<ExitCode, ToolError> {
    let options = check::Options {
        paths: vec![args.path.clone().unwrap_or_else(|| PathBuf::from("."))],
        config: args.config.clone(),
        no_forceignore: args.no_forceignore,
        ..check::Options::default()
    };
    let (analysis, warnings) = check::analyze(&options)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let items = sfpolicy::inventory::collect(&analysis);
    if args.write_register {
        let path = analysis.org.root.join(sfpolicy::register::FILE_NAME);
        if path.exists() {
            return Err(ToolError(format!(
                "{}: already exists; sfpolicy never overwrites a register (move it away to draft a new one)",
                path.display()
            )));
        }
        std::fs::write(&path, sfpolicy::inventory::draft_register(&items))
            .map_err(|e| ToolError(format!("{}: cannot write: {e}", path.display())))?;
        eprintln!("wrote a draft register to {}", path.display());
    }
    let text = match args.format {
        Format::Human => sfpolicy::inventory::render_table(&items),
        Format::Json => sfpolicy::inventory::render_json(&items),
        _ => {
            return Err(ToolError(
                "inventory supports --format human or json".into(),
            ))
        }
    };
    write_output(args.output.as_ref(), &text)?;
    Ok(ExitCode::SUCCESS)
}

fn new_rule(id: &str, dir: &std::path::Path) -> Result<ExitCode, ToolError> {
    let written = sfpolicy::scaffold::new_rule(id, dir)?;
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
    let root = sfpolicy::discover::find_root(&dir);
    let file = root.join(sfpolicy::config::FILE_NAME);
    if file.exists() {
        return Err(ToolError(format!(
            "{}: already exists; sfpolicy init never overwrites it",
            file.display()
        )));
    }
    std::fs::write(&file, sfpolicy::config::TEMPLATE)
        .map_err(|e| ToolError(format!("{}: cannot write: {e}", file.display())))?;
    eprintln!("wrote {}", file.display());
    Ok(ExitCode::SUCCESS)
}

fn run_tests(dirs: Vec<PathBuf>) -> Result<ExitCode, ToolError> {
    let dirs = if dirs.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        dirs
    };
    let results = sfpolicy::testing::run_dirs(&dirs)?;
    if results.is_empty() {
        return Err(ToolError(format!(
            "no test cases found (expected <DIR>/tests/<rule-id>/<case>/ under {})",
            dirs.iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    write_output(None, &sfpolicy::testing::render(&results))?;
    Ok(ExitCode::from(u8::from(
        results.iter().any(|r| !r.passed()),
    )))
}

fn list_rules(rules_dirs: &[PathBuf]) -> Result<ExitCode, ToolError> {
    let engine = policy::engine_with_libs(rules_dirs)?;
    let policies = check::load_policies(&engine, rules_dirs)?;
    let mut out = String::new();
    out.push_str(&format!(
        "{:<36} {:<8} {:<40} {}\n",
        "RULE", "SEVERITY", "KINDS", "SUMMARY"
    ));
    out.push_str(&format!(
        "{:<36} {:<8} {:<40} {}\n",
        check::INVALID_METADATA,
        "error",
        "(every file)",
        "a metadata file that is not well-formed XML or has the wrong root element"
    ));
    for p in &policies {
        let mut kinds: Vec<&str> = p.kinds.iter().map(|k| k.as_str()).collect();
        if kinds.is_empty() {
            kinds.push("(org)");
        }
        out.push_str(&format!(
            "{:<36} {:<8} {:<40} {}\n",
            p.id,
            p.severity.as_str(),
            kinds.join(","),
            p.summary
        ));
    }
    write_output(None, &out)?;
    Ok(ExitCode::SUCCESS)
}

fn explain(rule: &str, rules_dirs: &[PathBuf]) -> Result<ExitCode, ToolError> {
    let engine = policy::engine_with_libs(rules_dirs)?;
    let policies = check::load_policies(&engine, rules_dirs)?;
    if rule == check::INVALID_METADATA {
        write_output(
            None,
            &format!(
                "# {}\n\n{}\n",
                check::INVALID_METADATA,
                check::INVALID_METADATA_DOCS
            ),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(p) = policies.iter().find(|p| p.id == rule) else {
        let ids = policies.iter().map(|p| p.id.as_str());
        let hint = policy::schema::closest(ids, rule)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(ToolError(format!("unknown rule `{rule}`{hint}")));
    };
    let mut text = p.docs.clone();
    text.push_str(&format!(
        "\n\nDefault severity: {}. Reads: {}. Source: {}\n",
        p.severity,
        p.reads(),
        p.origin
    ));
    write_output(None, &text)?;
    Ok(ExitCode::SUCCESS)
}
