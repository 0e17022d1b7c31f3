//! The plan as text for people, as Markdown for a ticket, and as JSON. Every name comes from the
//! project's files, so every one is escaped before it reaches a terminal or a ticket.

use super::{Plan, Reach, Shared, SystemOnIdentity};
use crate::escape::escape_line;
use std::fmt::Write;

fn e(s: &str) -> String {
    escape_line(s)
}

/// Markdown text: terminal-safe, and no HTML, links or tables smuggled in by a name.
fn md(s: &str) -> String {
    let mut out = String::new();
    for ch in escape_line(s).chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '[' | ']' | '|' | '*' | '_' | '#' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

/// A Markdown code span (names, paths).
fn code(s: &str) -> String {
    format!("`{}`", escape_line(s).replace('`', "'"))
}

/// Action text keeps its own `code` spans; everything else is escaped.
fn md_action(s: &str) -> String {
    s.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { code(part) } else { md(part) })
        .collect()
}

fn reach_lines(reach: &Reach) -> Vec<String> {
    let list = |sensitive: bool| {
        reach
            .objects
            .iter()
            .filter(|o| o.sensitive == sensitive)
            .map(|o| format!("{} ({})", o.object, o.access.join(", ")))
            .collect::<Vec<_>>()
    };
    let mut lines = Vec::new();
    if !reach.all_data.is_empty() {
        lines.push(format!(
            "every object: {} (sensitive)",
            reach.all_data.join(", ")
        ));
    }
    let sensitive = list(true);
    if !sensitive.is_empty() {
        lines.push(format!("sensitive: {}", sensitive.join("; ")));
    }
    if !reach.consent_fields.is_empty() {
        let fields: Vec<String> = reach
            .consent_fields
            .iter()
            .map(|f| format!("{} ({})", f.field, f.access))
            .collect();
        lines.push(format!("consent fields: {}", fields.join("; ")));
    }
    let other = list(false);
    if !other.is_empty() {
        lines.push(format!("other: {}", other.join("; ")));
    }
    if lines.is_empty() {
        lines.push("nothing the project's metadata shows".into());
    }
    lines
}

/// "shared user", "register entry marked shared": what a shared identity is, for a heading.
fn kind_words(kind: &str) -> &str {
    match kind {
        "user" => "shared user",
        "profile" => "shared profile",
        "permission-set" => "shared permission set",
        "permission-set-group" => "shared permission set group",
        _ => "register entry marked shared:",
    }
}

/// `n (a, b)`, or `0` for an empty list.
fn counted(list: &[String]) -> String {
    if list.is_empty() {
        "0".into()
    } else {
        format!("{} ({})", list.len(), list.join(", "))
    }
}

fn basis_words(sys: &SystemOnIdentity) -> &'static str {
    if sys.basis == "own" {
        "uses (its entry and apps)"
    } else {
        "uses (nothing of its own is documented: all the identity grants)"
    }
}

/// Plain text for a terminal.
pub fn human(plan: &Plan) -> String {
    let mut out = String::new();
    let shared_count = plan
        .shared
        .iter()
        .filter(|s| s.kind != "register-shared")
        .count();
    let _ = writeln!(
        out,
        "SHARED IDENTITIES: {shared_count} serving two or more systems, {} marked shared in the register",
        plan.shared.len() - shared_count
    );
    if plan.shared.is_empty() {
        out.push_str("  none: every system has its own identity\n");
    }
    for s in &plan.shared {
        human_shared(&mut out, s);
    }
    let l = &plan.licences;
    let _ = writeln!(out, "\nLICENCES ({})", e(&l.basis));
    let _ = writeln!(
        out,
        "  on an Integration licence today: {}",
        e(&counted(&l.on_integration))
    );
    let _ = writeln!(
        out,
        "  needing one after every split:   {}",
        e(&counted(&l.needed_after_split))
    );
    let _ = writeln!(out, "  {}", e(&l.overflow_advice));
    match &plan.first_split {
        None => out.push_str("\nNothing to split.\n"),
        Some(split) => {
            let _ = writeln!(
                out,
                "\nFIRST SPLIT: {} off {} (new user {}, permission set {})",
                e(&split.system),
                e(&split.from),
                e(&split.new_user),
                e(&split.new_permission_set)
            );
            for (i, step) in split.steps.iter().enumerate() {
                let _ = writeln!(out, "  {}. {}", i + 1, e(&step.title));
                for a in &step.actions {
                    let _ = writeln!(out, "     - {}", e(a));
                }
                if let Some(c) = &step.command {
                    let _ = writeln!(out, "       $ {}", e(c));
                }
                for f in &step.files {
                    let _ = writeln!(out, "       {}", e(f));
                }
            }
        }
    }
    out
}

fn human_shared(out: &mut String, s: &Shared) {
    let at = s
        .location
        .as_deref()
        .map(|l| format!("  ({})", e(l)))
        .unwrap_or_default();
    let _ = writeln!(out, "\n{} {}{at}", kind_words(s.kind), e(&s.name));
    if let Some(r) = &s.review_by {
        let _ = writeln!(out, "  review-by {}", e(r));
    }
    let _ = writeln!(out, "  the identity grants:");
    for line in reach_lines(&s.reach) {
        let _ = writeln!(out, "    {}", e(&line));
    }
    for sys in &s.systems {
        let _ = writeln!(
            out,
            "  {}. {}  risk {}",
            sys.rank,
            e(&sys.system),
            sys.risk.score
        );
        for ev in &sys.evidence {
            let at = ev
                .location
                .as_deref()
                .map(|l| format!("  {}", e(l)))
                .unwrap_or_default();
            let _ = writeln!(out, "       {} {}{at}", ev.kind, e(&ev.name));
        }
        let _ = writeln!(out, "       {}:", basis_words(sys));
        for line in reach_lines(&sys.reach) {
            let _ = writeln!(out, "         {}", e(&line));
        }
        for f in &sys.risk.factors {
            let _ = writeln!(out, "       +{} {}: {}", f.points, f.id, e(&f.detail));
        }
    }
}

/// Markdown that pastes into a ticket: headings, check boxes for the steps.
pub fn markdown(plan: &Plan) -> String {
    let mut out = String::from("# Plan: one Salesforce identity per system\n");
    if plan.shared.is_empty() {
        out.push_str("\nNo shared identity: every system has its own.\n");
    }
    for s in &plan.shared {
        let mut heading = kind_words(s.kind).to_string();
        heading[..1].make_ascii_uppercase();
        let _ = writeln!(out, "\n## {heading} {}\n", code(&s.name));
        if let Some(l) = &s.location {
            let _ = writeln!(out, "Defined at {}.", code(l));
        }
        if let Some(r) = &s.review_by {
            let _ = writeln!(out, "Review by {}.", md(r));
        }
        out.push_str("\nThe identity grants:\n\n");
        for line in reach_lines(&s.reach) {
            let _ = writeln!(out, "- {}", md(&line));
        }
        out.push_str("\n| Rank | System | Risk | Evidence |\n|---|---|---|---|\n");
        for sys in &s.systems {
            let evidence: Vec<String> = sys
                .evidence
                .iter()
                .map(|ev| {
                    format!(
                        "{} {}",
                        ev.kind,
                        code(ev.location.as_deref().unwrap_or(&ev.name))
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                sys.rank,
                md(&sys.system),
                sys.risk.score,
                evidence.join("<br>")
            );
        }
        for sys in &s.systems {
            let _ = writeln!(out, "\n### {}. {}\n", sys.rank, md(&sys.system));
            let _ = writeln!(out, "{}:\n", md(basis_words(sys)));
            for line in reach_lines(&sys.reach) {
                let _ = writeln!(out, "- {}", md(&line));
            }
            if !sys.risk.factors.is_empty() {
                out.push('\n');
            }
            for f in &sys.risk.factors {
                let _ = writeln!(out, "- risk +{} `{}`: {}", f.points, f.id, md(&f.detail));
            }
        }
    }
    let l = &plan.licences;
    let _ = writeln!(out, "\n## Licences\n\n{}.\n", md(&l.basis));
    let _ = writeln!(
        out,
        "- on an Integration licence today: {}",
        md(&counted(&l.on_integration))
    );
    let _ = writeln!(
        out,
        "- needing one after every split: {}",
        md(&counted(&l.needed_after_split))
    );
    let _ = writeln!(out, "- {}", md_action(&l.overflow_advice));
    if let Some(split) = &plan.first_split {
        let _ = writeln!(
            out,
            "\n## First split: {} off {}\n",
            md(&split.system),
            code(&split.from)
        );
        for (i, step) in split.steps.iter().enumerate() {
            let _ = writeln!(out, "{}. **{}**", i + 1, md(&step.title));
            for a in &step.actions {
                let _ = writeln!(out, "   - [ ] {}", md_action(a));
            }
            if let Some(c) = &step.command {
                // One line in a fence: nothing in it is Markdown.
                let _ = writeln!(out, "\n   ```sh\n   {}\n   ```\n", escape_line(c));
            }
            if !step.files.is_empty() {
                let files: Vec<String> = step.files.iter().map(|f| code(f)).collect();
                let _ = writeln!(out, "   - files: {}", files.join(", "));
            }
        }
    }
    out
}

/// JSON (`docs/plan.md` documents the shape).
pub fn json(plan: &Plan) -> String {
    let doc = serde_json::json!({
        "tool": {"name": "sfpolicy", "version": env!("CARGO_PKG_VERSION")},
        "plan": plan,
    });
    crate::escape::json_pretty(&doc)
}
