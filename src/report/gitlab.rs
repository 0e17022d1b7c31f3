//! `--format gitlab`: GitLab Code Quality JSON (`artifacts: reports: codequality`), a subset of the
//! Code Climate issue format. GitLab compares issues between the source and target branches by
//! `fingerprint`, so it is the finding's stable fingerprint, never a position.

use super::{ReportInput, Sources};
use crate::findings::Severity;
use serde_json::{json, Value};

pub fn render(input: &ReportInput) -> String {
    let sources = Sources::new(input.org, input.findings);
    let issues: Vec<Value> = input
        .findings
        .iter()
        .map(|f| {
            let rel = sources.rel(f.loc.file);
            let span = sources.span(f.loc.file, f.loc.start, f.loc.end);
            json!({
                "type": "issue",
                "description": f.message,
                "check_name": f.rule,
                "fingerprint": f.fingerprint(rel),
                "severity": severity(f.severity),
                "location": {
                    "path": rel,
                    "lines": {"begin": span.line, "end": span.end_line},
                },
                "categories": ["Security"],
            })
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&issues).expect("JSON values always serialize");
    out.push('\n');
    out
}

/// Code Climate severities: info, minor, major, critical, blocker.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}
