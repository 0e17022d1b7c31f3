//! Generated documentation: the rule reference (`docs/rules.md`) from the rules' own headers.

use crate::policy::Policy;
use std::fmt::Write;

pub fn rule_reference(policies: &[Policy]) -> String {
    let mut out = String::from(
        "# Rule reference\n\n<!-- Generated from the rules' documentation by `UPDATE_DOCS=1 cargo test --test rules`. Do not edit. -->\n\n| rule | default | reads | summary |\n|---|---|---|---|\n",
    );
    let _ = writeln!(
        out,
        "| [`{id}`](#{id}) | error | every file | a metadata file that is not well-formed XML or has the wrong root element |",
        id = crate::check::INVALID_METADATA
    );
    for p in policies {
        let kinds = p.reads();
        let _ = writeln!(
            out,
            "| [`{id}`](#{id}) | {} | {kinds} | {} |",
            p.severity,
            p.summary,
            id = p.id
        );
    }
    let _ = writeln!(
        out,
        "\n## {}\n\n{}\n",
        crate::check::INVALID_METADATA,
        crate::check::INVALID_METADATA_DOCS
    );
    for p in policies {
        let body = p.docs.split_once('\n').map_or("", |(_, rest)| rest).trim();
        let _ = writeln!(
            out,
            "## {}\n\nDefault severity: **{}**.\n\n{body}\n",
            p.id, p.severity
        );
        if !p.options.is_empty() {
            let _ = writeln!(
                out,
                "Options (`[rules] {} = {{ ... }}` in `sfpolicy.toml`):\n",
                p.id
            );
            for (k, v) in &p.options {
                let _ = writeln!(out, "- `{k}`, default `{v}`");
            }
            out.push('\n');
        }
    }
    out.trim_end().to_string() + "\n"
}
