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
//! name; any difference fails the case, with a diff.

use crate::diag::ToolError;
use crate::pipeline;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

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
}

impl CaseResult {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.missing.is_empty() && self.unexpected.is_empty()
    }
}

const MARKER: &str = "expect:";

/// Annotations of one file: (rule, line).
pub fn annotations(text: &str) -> Vec<(String, usize)> {
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
        let rules_text = line[pos + MARKER.len()..].split("-->").next().unwrap_or("");
        let target = if line[..comment_start].trim().is_empty() {
            // The next line that is not an annotation.
            (i + 1..lines.len())
                .find(|&j| !is_annotation_only(lines[j]))
                .unwrap_or(i)
                + 1
        } else {
            i + 1
        };
        for rule in rules_text
            .split([',', ' '])
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            out.push((rule.to_string(), target));
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

/// Run one case folder for `rule`, with extra policies from `policy_dirs`.
pub fn run_case(rule: &str, case: &Path, policy_dirs: &[PathBuf]) -> CaseResult {
    let name = format!(
        "{rule}/{}",
        case.file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned())
    );
    let mut files = Vec::new();
    collect_files(case, &mut files);
    files.sort();
    let mut expected = Vec::new();
    let root = std::fs::canonicalize(case).unwrap_or_else(|_| case.to_path_buf());
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let rel =
            crate::model::discover::relative(&root, &std::fs::canonicalize(f).unwrap_or(f.clone()));
        for (r, line) in annotations(&text) {
            expected.push(Expected {
                rule: r,
                file: rel.clone(),
                line,
            });
        }
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
        Ok(o) => o,
        Err(e) => {
            return CaseResult {
                name,
                missing: Vec::new(),
                unexpected: Vec::new(),
                matched: 0,
                error: Some(e.rendered),
            }
        }
    };
    let sources = &outcome.analysis.org.sources;
    let mut actual: Vec<(Expected, String)> = outcome
        .findings
        .iter()
        .filter(|f| rules.contains(&f.rule))
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
    CaseResult {
        name,
        missing,
        unexpected: actual,
        matched,
        error: None,
    }
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

/// Run every case of every policy folder; with no folder, the built-in `rules/` cases are not
/// available (they live in the source tree), so a folder is required.
pub fn run_dirs(dirs: &[PathBuf]) -> Result<Vec<CaseResult>, ToolError> {
    let mut results = Vec::new();
    for dir in dirs {
        if !dir.is_dir() {
            return Err(ToolError::new(format!("{}: no such folder", dir.display())));
        }
        // Validate the folder's policies once, so a broken policy is one clear error.
        let engine = crate::policy::engine_with_libs(std::slice::from_ref(dir))?;
        pipeline::load_policies(&engine, std::slice::from_ref(dir), true)?;
        for (rule, case) in cases(dir) {
            results.push(run_case(&rule, &case, std::slice::from_ref(dir)));
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
    }
    let passed = by_status.get(&true).copied().unwrap_or(0);
    let failed = by_status.get(&false).copied().unwrap_or(0);
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    out
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
    }
}
