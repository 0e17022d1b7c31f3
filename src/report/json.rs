//! `--format json`: one document, as the product specification shows, plus each finding's
//! readable `anchor` and its `inputs` where an incremental run computed them.

use super::ReportInput;
use crate::diag::ToolError;
use crate::findings::scope::Input;
use crate::findings::Counts;
use serde_json::{json, Value};

fn input_text(input: &Input) -> Option<String> {
    match input {
        Input::Path(p) => Some(p.clone()),
        Input::Name(kind, name) => Some(format!("{kind}:{name}")),
        Input::Glob(g) => Some(g.glob().glob().to_string()),
    }
}

pub fn render(input: &ReportInput) -> String {
    let counts = Counts::of(input.findings);
    let findings: Vec<Value> = input
        .findings
        .iter()
        .map(|f| {
            let span = input.span(&f.loc);
            let related: Vec<Value> = f
                .related
                .iter()
                .map(|r| {
                    let s = input.span(&r.loc);
                    json!({"file": input.path(r.loc.file), "line": s.line, "column": s.column, "message": r.message})
                })
                .collect();
            let mut inputs: Vec<String> = f.inputs.iter().filter_map(input_text).collect();
            inputs.sort();
            inputs.dedup();
            let mut v = json!({
                "rule": f.rule,
                "severity": f.severity.as_str(),
                "message": f.message,
                "file": input.path(f.loc.file),
                "line": span.line,
                "column": span.column,
                "end_line": span.end_line,
                "end_column": span.end_column,
                "anchor": f.loc.anchor.as_str(),
                "fingerprint": f.fingerprint,
                "related": related,
                "help": f.help,
            });
            if f.more_related > 0 {
                v["more_related"] = json!(f.more_related);
            }
            if !inputs.is_empty() {
                v["inputs"] = json!(inputs);
            }
            v
        })
        .collect();
    let mut doc = json!({
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
    // Only when a policy failed: a clean run's document is exactly the documented shape.
    if !input.errors.is_empty() {
        doc["errors"] = input
            .errors
            .iter()
            .map(error_json)
            .collect::<Vec<Value>>()
            .into();
    }
    crate::escape::json_pretty(&doc)
}

/// A tool error: its message and, when located, file, line and column.
fn error_json(error: &ToolError) -> Value {
    let location = error
        .location
        .as_ref()
        .map(|l| json!({"file": l.path, "line": l.line, "column": l.column}));
    json!({"message": error.message, "location": location})
}

/// A tool error as a JSON document, for `--output` (a CI step that reads the file gets the
/// reason instead of a missing file).
pub fn render_error(error: &ToolError) -> String {
    let doc = json!({
        "tool": {"name": "sfpolicy", "version": env!("CARGO_PKG_VERSION")},
        "error": error_json(error),
        "findings": [],
    });
    crate::escape::json_pretty(&doc)
}
