//! `--format json`: one document, as the product specification shows.

use super::{Counts, ReportInput, Sources};
use serde_json::{json, Value};

pub fn render(input: &ReportInput) -> String {
    let sources = Sources::new(input.org, input.findings);
    let counts = Counts::of(input.findings);
    let findings: Vec<Value> = input
        .findings
        .iter()
        .map(|f| {
            let rel = sources.rel(f.loc.file);
            let span = sources.span(f.loc.file, f.loc.start, f.loc.end);
            let related: Vec<Value> = f
                .related
                .iter()
                .map(|r| {
                    let s = sources.span(r.loc.file, r.loc.start, r.loc.end);
                    json!({"file": sources.rel(r.loc.file), "line": s.line, "message": r.message})
                })
                .collect();
            json!({
                "rule": f.rule,
                "severity": f.severity.as_str(),
                "message": f.message,
                "file": rel,
                "line": span.line,
                "column": span.column,
                "end_line": span.end_line,
                "end_column": span.end_column,
                "fingerprint": f.fingerprint(rel),
                "related": related,
                "help": f.help,
            })
        })
        .collect();
    let doc = json!({
        "tool": {"name": "sfpolicy", "version": env!("CARGO_PKG_VERSION")},
        "summary": {
            "files": input.files_checked,
            "findings": input.findings.len(),
            "error": counts.error,
            "warning": counts.warning,
            "info": counts.info,
        },
        "findings": findings,
    });
    let mut out = serde_json::to_string_pretty(&doc).expect("JSON values always serialize");
    out.push('\n');
    out
}
