//! `sfpolicy test`: policy test cases with expected findings written beside them.
//!
//! A case is a small project tree in `<policy dir>/tests/<rule-id>/<case>/`. Expected findings are
//! annotations in the files themselves, in the spirit of `semgrep --test`:
//!
//! ```xml
//! <!-- expect: connected-app-full-scope -->
//! <scopes>Full</scopes>
//! ```
//!
//! An annotation on a line of its own expects a finding on the next line that is not itself an
//! annotation; at the end of a line with content, on that line. TOML files use `# expect: rule`.
//! The case compares the findings of its rule (the folder name) and of every rule its annotations
//! name; any difference fails the case, with a diff. Beside the annotations, each case keeps the
//! report a user would see, `expected-output.txt` (the human format), so a reviewer reads in a
//! diff exactly what changes; `--bless` (or `SFPOLICY_BLESS=1`) rewrites it.
//!
//! The runner cannot pass by accident: a folder for a rule that does not exist, an annotation
//! naming an unknown rule, and a `fail*` case that expects nothing are errors (exit 2).

use crate::diag::ToolError;
use crate::findings::registry::Registry;
use crate::pipeline;
use crate::report::{self, ReportInput, RuleMeta};
use crate::source::PathStyle;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The expected human report of a case, beside its files.
pub const EXPECTED_OUTPUT: &str = "expected-output.txt";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub rule: String,
    pub file: String,
    pub line: usize,
}

#[derive(Debug)]
pub struct CaseResult {
    /// `<rule-id>/<case>`
    pub name: String,
    pub missing: Vec<Expected>,
    /// Unexpected findings: (expected-form key, message).
    pub unexpected: Vec<(Expected, String)>,
    pub matched: usize,
    /// A tool error while running the case (bad config, policy error).
    pub error: Option<String>,
    /// The report differs from `expected-output.txt` (a unified-style diff), or the file is
    /// missing.
    pub output_diff: Option<String>,
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && self.missing.is_empty()
            && self.unexpected.is_empty()
            && self.output_diff.is_none()
    }
}

const MARKER: &str = "expect:";

/// One `expect:` annotation: the rule it names, the line it expects a finding on, and where the
/// rule's name is written (1-based line and column, for errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub rule: String,
    pub target_line: usize,
    pub line: usize,
    pub column: usize,
}

/// Annotations of one file: (rule, line).
pub fn annotations(text: &str) -> Vec<(String, usize)> {
    annotations_located(text)
        .into_iter()
        .map(|a| (a.rule, a.target_line))
        .collect()
}

/// Annotations of one file, with where each rule name is written.
pub fn annotations_located(text: &str) -> Vec<Annotation> {
    let lines: Vec<&str> = text.lines().collect();
    let is_annotation_only = |l: &str| {
        let t = l.trim();
        (t.starts_with("<!--") && t.ends_with("-->") || t.starts_with('#')) && t.contains(MARKER)
    };
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(pos) = line.find(MARKER) else {
            continue;
        };
        let before = &line[..pos];
        let comment_start = before.rfind("<!--").or_else(|| before.rfind('#'));
        let Some(comment_start) = comment_start else {
            continue;
        };
        let start = pos + MARKER.len();
        let rules_text = line[start..].split("-->").next().unwrap_or("");
        let target = if line[..comment_start].trim().is_empty() {
            // The next line that is not an annotation.
            (i + 1..lines.len())
                .find(|&j| !is_annotation_only(lines[j]))
                .unwrap_or(i)
                + 1
        } else {
            i + 1
        };
        let mut offset = start;
        for piece in rules_text.split([',', ' ']) {
            let rule = piece.trim();
            if !rule.is_empty() {
                let at = offset + piece.find(rule).unwrap_or(0);
                out.push(Annotation {
                    rule: rule.to_string(),
                    target_line: target,
                    line: i + 1,
                    column: line[..at].chars().count() + 1,
                });
            }
            offset += piece.len() + 1;
        }
    }
    out
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn case_name(rule: &str, case: &Path) -> String {
    format!(
        "{rule}/{}",
        case.file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned())
    )
}

/// The expectations of a case, checked against the registry: an unknown rule in an annotation is
/// a located error with a suggestion.
fn expectations(case: &Path, root: &Path, registry: &Registry) -> Result<Vec<Expected>, ToolError> {
    let mut files = Vec::new();
    collect_files(case, &mut files);
    files.sort();
    let mut expected = Vec::new();
    for f in &files {
        // The expected report quotes annotated lines: it is not a source of expectations.
        if f.file_name().is_some_and(|n| n == EXPECTED_OUTPUT) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let rel =
            crate::model::discover::relative(root, &std::fs::canonicalize(f).unwrap_or(f.clone()));
        for a in annotations_located(&text) {
            if registry.get(&a.rule).is_none() {
                return Err(ToolError::at(
                    &f.display().to_string(),
                    a.line,
                    a.column,
                    format!(
                        "`expect:` names `{}`, which is not a rule{}",
                        a.rule,
                        crate::util::did_you_mean(registry.ids(), &a.rule)
                    ),
                ));
            }
            expected.push(Expected {
                rule: a.rule,
                file: rel.clone(),
                line: a.target_line,
            });
        }
    }
    Ok(expected)
}

/// Run one case folder for `rule`, with extra policies from `policy_dirs`.
pub fn run_case(
    rule: &str,
    case: &Path,
    policy_dirs: &[PathBuf],
    registry: &Registry,
    bless: bool,
) -> Result<CaseResult, ToolError> {
    let name = case_name(rule, case);
    let root = std::fs::canonicalize(case).unwrap_or_else(|_| case.to_path_buf());
    let mut expected = expectations(case, &root, registry)?;
    let case_dir = case
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    if case_dir.starts_with("fail") && expected.is_empty() {
        return Err(ToolError::new(format!(
            "{}: a failing case expects no finding; mark the lines with `<!-- expect: {rule} -->` (or `# expect: {rule}` in TOML)",
            case.display()
        )));
    }
    let mut rules: Vec<String> = expected.iter().map(|e| e.rule.clone()).collect();
    rules.push(rule.to_string());
    rules.sort();
    rules.dedup();

    let options = pipeline::Options {
        paths: vec![root.clone()],
        root: Some(root.clone()),
        rules_dirs: policy_dirs.to_vec(),
        replace_builtins: true,
        ..pipeline::Options::default()
    };
    let outcome = match pipeline::run(&options) {
        Ok(o) if o.errors.is_empty() => o,
        Ok(o) => {
            let rendered: Vec<String> = o.errors.into_iter().map(|e| e.rendered).collect();
            return Ok(CaseResult {
                name,
                missing: Vec::new(),
                unexpected: Vec::new(),
                matched: 0,
                error: Some(rendered.join("\n")),
                output_diff: None,
            });
        }
        Err(e) => {
            return Ok(CaseResult {
                name,
                missing: Vec::new(),
                unexpected: Vec::new(),
                matched: 0,
                error: Some(e.rendered),
                output_diff: None,
            })
        }
    };
    let sources = &outcome.analysis.org.sources;
    let findings: Vec<crate::findings::Finding> = outcome
        .findings
        .iter()
        .filter(|f| rules.contains(&f.rule))
        .cloned()
        .collect();
    let mut actual: Vec<(Expected, String)> = findings
        .iter()
        .map(|f| {
            let span = sources.span(f.loc.file, f.loc.start..f.loc.end);
            (
                Expected {
                    rule: f.rule.clone(),
                    file: sources.rel(f.loc.file).to_string(),
                    line: span.line,
                },
                f.message.clone(),
            )
        })
        .collect();
    let mut missing = Vec::new();
    let mut matched = 0;
    expected.sort();
    for e in expected {
        match actual.iter().position(|(a, _)| *a == e) {
            Some(i) => {
                actual.remove(i);
                matched += 1;
            }
            None => missing.push(e),
        }
    }
    // The report a user would see, paths relative to the case.
    let metas: Vec<RuleMeta> = rules
        .iter()
        .filter_map(|r| outcome.registry.get(r))
        .map(|info| RuleMeta {
            info,
            severity: info.severity,
        })
        .collect();
    let input = ReportInput {
        errors: &[],
        sources,
        findings: &findings,
        files_checked: outcome.files_checked,
        rules: metas,
        fail_on: Some(crate::findings::Severity::Error),
    };
    let output = report::human::render_styled(&input, false, PathStyle::Project);
    let output_diff = compare_output(&case.join(EXPECTED_OUTPUT), &output, bless);
    Ok(CaseResult {
        name,
        missing,
        unexpected: actual,
        matched,
        error: None,
        output_diff,
    })
}

/// Compare (or, blessing, write) the expected report.
fn compare_output(path: &Path, output: &str, bless: bool) -> Option<String> {
    if bless {
        return match std::fs::write(path, output) {
            Ok(()) => None,
            Err(e) => Some(format!("cannot write {}: {e}", path.display())),
        };
    }
    match std::fs::read_to_string(path) {
        Err(_) => Some(format!(
            "no {EXPECTED_OUTPUT}: run `sfpolicy test --bless` to write what the case reports, then review it"
        )),
        Ok(expected) if expected == output => None,
        Ok(expected) => Some(line_diff(&expected, output)),
    }
}

/// The lines that differ, marked `-` (expected) and `+` (reported).
fn line_diff(expected: &str, actual: &str) -> String {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    // Longest common subsequence: reports are short.
    let mut lcs = vec![vec![0usize; a.len() + 1]; e.len() + 1];
    for i in (0..e.len()).rev() {
        for j in (0..a.len()).rev() {
            lcs[i][j] = if e[i] == a[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = String::new();
    while i < e.len() || j < a.len() {
        if i < e.len() && j < a.len() && e[i] == a[j] {
            i += 1;
            j += 1;
        } else if i < e.len() && (j == a.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            let _ = writeln!(out, "- {}", e[i]);
            i += 1;
        } else {
            let _ = writeln!(out, "+ {}", a[j]);
            j += 1;
        }
    }
    out
}

/// Every case under `<dir>/tests/<rule>/<case>/`, sorted.
pub fn cases(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let tests = dir.join("tests");
    let Ok(rules) = std::fs::read_dir(&tests) else {
        return out;
    };
    for r in rules.flatten().filter(|e| e.path().is_dir()) {
        let rule = r.file_name().to_string_lossy().into_owned();
        let Ok(cases) = std::fs::read_dir(r.path()) else {
            continue;
        };
        for c in cases.flatten().filter(|e| e.path().is_dir()) {
            out.push((rule.clone(), c.path()));
        }
    }
    out.sort();
    out
}

/// Run every case of every policy folder. `bless` rewrites the expected reports.
pub fn run_dirs(dirs: &[PathBuf], bless: bool) -> Result<Vec<CaseResult>, ToolError> {
    run_rule_cases(dirs, bless, None)
}

/// Run the cases of every policy folder, or only one rule's.
pub fn run_rule_cases(
    dirs: &[PathBuf],
    bless: bool,
    only: Option<&str>,
) -> Result<Vec<CaseResult>, ToolError> {
    let mut results = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(ToolError::new(format!("{}: no such folder", dir.display())));
        }
        // Validate the folder's policies once, so a broken policy is one clear error.
        let engine = crate::policy::engine_with_libs(std::slice::from_ref(dir))?;
        let policies = pipeline::load_policies(&engine, std::slice::from_ref(dir), true)?;
        let registry = pipeline::registry(&policies);
        let mut seen_rules = std::collections::BTreeSet::new();
        for (rule, case) in cases(dir) {
            if only.is_some_and(|o| o != rule) {
                continue;
            }
            if seen_rules.insert(rule.clone()) && registry.get(&rule).is_none() {
                return Err(ToolError::new(format!(
                    "{}: test folder for `{rule}`, which is not a rule{}",
                    dir.join("tests").join(&rule).display(),
                    crate::util::did_you_mean(registry.ids(), &rule)
                )));
            }
            results.push(run_case(
                &rule,
                &case,
                std::slice::from_ref(dir),
                &registry,
                bless,
            )?);
        }
    }
    Ok(results)
}

/// Human summary: one line per case, diffs for failures.
pub fn render(results: &[CaseResult]) -> String {
    let mut out = String::new();
    let mut by_status: BTreeMap<bool, usize> = BTreeMap::new();
    for r in results {
        *by_status.entry(r.passed()).or_default() += 1;
        if r.passed() {
            let _ = writeln!(out, "PASS {} ({} expected findings)", r.name, r.matched);
            continue;
        }
        let _ = writeln!(out, "FAIL {}", r.name);
        if let Some(e) = &r.error {
            for line in e.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
        if !r.missing.is_empty() {
            let _ = writeln!(out, "  expected but not reported:");
            for m in &r.missing {
                let _ = writeln!(out, "    - {} {}:{}", m.rule, m.file, m.line);
            }
        }
        if !r.unexpected.is_empty() {
            let _ = writeln!(out, "  reported but not expected:");
            for (u, message) in &r.unexpected {
                let _ = writeln!(out, "    + {} {}:{}  {message}", u.rule, u.file, u.line);
            }
        }
        if let Some(diff) = &r.output_diff {
            let _ = writeln!(out, "  {EXPECTED_OUTPUT} differs (- expected, + reported):");
            for line in diff.lines() {
                let _ = writeln!(out, "    {line}");
            }
        }
    }
    let passed = by_status.get(&true).copied().unwrap_or(0);
    let failed = by_status.get(&false).copied().unwrap_or(0);
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    crate::escape::escape_block(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotation_targets() {
        let text = "<A>\n    <!-- expect: r1 -->\n    <!-- expect: r2, r3 -->\n    <b>x</b>\n    <c/> <!-- expect: r4 -->\n</A>\n# expect: r5\nkey = 1\n";
        let got = annotations(text);
        assert_eq!(
            got,
            vec![
                ("r1".to_string(), 4),
                ("r2".to_string(), 4),
                ("r3".to_string(), 4),
                ("r4".to_string(), 5),
                ("r5".to_string(), 8),
            ]
        );
        let located = annotations_located(text);
        assert_eq!((located[2].line, located[2].column), (3, 22));
    }

    #[test]
    fn diffs_mark_what_changed() {
        assert_eq!(line_diff("a\nb\nc\n", "a\nx\nc\n"), "- b\n+ x\n");
        assert_eq!(line_diff("a\n", "a\n"), "");
    }
}
