//! `--format gitlab`: GitLab Code Quality JSON (`artifacts: reports: codequality`), a subset of the
//! Code Climate issue format. GitLab compares issues between the source and target branches by
//! `fingerprint` (and drops issues that share one), so it is the finding's fingerprint: unique in
//! the run, never a position.

use super::ReportInput;
use crate::findings::registry::Category;
use crate::findings::Severity;
use serde_json::{json, Value};

pub fn render(input: &ReportInput) -> String {
    let issues: Vec<Value> = input
        .findings
        .iter()
        .map(|f| {
            let span = input.span(&f.loc);
            let category = input
                .rules
                .iter()
                .find(|r| r.info.id == f.rule)
                .map_or(Category::Security, |r| r.info.category);
            json!({
                "type": "issue",
                "description": f.message,
                "check_name": f.rule,
                "fingerprint": f.fingerprint,
                "severity": severity(f.severity),
                "location": {
                    "path": input.path(f.loc.file),
                    "lines": {"begin": span.line, "end": span.end_line},
                },
                "categories": [categories(category)],
            })
        })
        .collect();
    crate::escape::json_pretty(&issues)
}

/// Code Climate categories.
fn categories(c: Category) -> &'static str {
    match c {
        Category::Security => "Security",
        Category::Correctness => "Bug Risk",
        Category::Maintainability => "Style",
    }
}

/// Code Climate severities: info, minor, major, critical, blocker.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}
