//! `--format junit`: JUnit XML, as Azure DevOps (`PublishTestResults`), GitLab (`artifacts:
//! reports: junit`) and Jenkins read it.
//!
//! One testcase per (file, rule) pair that has findings — `classname` is the file and `name` the
//! rule — failing when one of its findings is at or above `--fail-on` (the others are listed in
//! `<system-out>`, so the test view agrees with the exit status), and one passing testcase per rule
//! that ran without any finding, so a clean run is a suite of passes, not an empty suite.

use super::ReportInput;
use crate::escape::escape_line;
use crate::findings::{Finding, Severity};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// One line per finding (and its help): CI tools print this text into their logs, so text from
/// files is escaped to stay on its line, as in the human report.
fn finding_lines(input: &ReportInput, rel: &str, findings: &[&Finding]) -> String {
    let mut text = String::new();
    for f in findings {
        let span = input.span(&f.loc);
        let _ = writeln!(
            text,
            "{}:{}:{}: {}: {} ({})",
            escape_line(rel),
            span.line,
            span.column,
            f.severity,
            escape_line(&f.message),
            escape_line(&f.rule)
        );
        if let Some(help) = f.help.as_deref().filter(|h| !h.trim().is_empty()) {
            let _ = writeln!(text, "    help: {}", escape_line(help));
        }
    }
    escape_text(&text)
}

pub fn render(input: &ReportInput) -> String {
    // (file, rule) → findings, in the order the findings came.
    let mut groups: BTreeMap<(String, &str), Vec<&Finding>> = BTreeMap::new();
    for f in input.findings {
        groups
            .entry((input.path(f.loc.file), f.rule.as_str()))
            .or_default()
            .push(f);
    }
    let with_findings: BTreeSet<&str> = input.findings.iter().map(|f| f.rule.as_str()).collect();
    let mut passing: Vec<&str> = input
        .rules
        .iter()
        .map(|r| r.info.id.as_str())
        .filter(|id| !with_findings.contains(id))
        .collect();
    passing.dedup();

    let failures = groups
        .values()
        .filter(|fs| fs.iter().any(|f| input.fails(f)))
        .count();
    let tests = groups.len() + passing.len() + input.errors.len();
    let errors = input.errors.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"sfpolicy\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"sfpolicy\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">"
    );
    for ((rel, rule), findings) in &groups {
        let (failing, reported): (Vec<&Finding>, Vec<&Finding>) =
            findings.iter().partition(|f| input.fails(f));
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\">",
            escape(rel),
            escape(rule)
        );
        if let Some(first) = failing.first() {
            let severity = failing
                .iter()
                .map(|f| f.severity)
                .max()
                .unwrap_or(Severity::Error);
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                severity,
                escape(&first.message),
                finding_lines(input, rel, &failing)
            );
        }
        if !reported.is_empty() {
            let _ = writeln!(
                out,
                "      <system-out>{}</system-out>",
                finding_lines(input, rel, &reported)
            );
        }
        out.push_str("    </testcase>\n");
    }
    // A policy that failed is an <error> (the test could not run), not a failure.
    for error in input.errors {
        let _ = writeln!(
            out,
            "    <testcase classname=\"sfpolicy\" name=\"policy error\">\n      <error type=\"policy-error\" message=\"{}\">{}</error>\n    </testcase>",
            escape(&error.message),
            escape_text(&error.rendered)
        );
    }
    for id in passing {
        let _ = writeln!(
            out,
            "    <testcase classname=\"sfpolicy\" name=\"{}\"/>",
            escape(id)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Escape for an XML 1.0 attribute value, dropping characters XML 1.0 cannot carry at all (C0
/// controls other than tab, LF and CR; U+FFFE; U+FFFF). Tab, LF and CR become character
/// references, which attribute-value normalization keeps.
pub fn escape(s: &str) -> String {
    escape_with(s, true)
}

/// Escape for XML 1.0 character data: as [`escape`], but tabs and line feeds stay as they are.
pub fn escape_text(s: &str) -> String {
    escape_with(s, false)
}

fn escape_with(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // A parser turns CR and CR LF into LF everywhere: keep a CR as a reference.
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' | '\n' => out.push(c),
            // DEL, C1 controls, bidi overrides: legal XML, but a log viewer showing the file
            // must not get them raw.
            c if allowed(c) && crate::escape::dangerous(c) => {
                out.push_str(&format!("&#{};", c as u32));
            }
            c if allowed(c) => out.push(c),
            _ => {}
        }
    }
    out
}

/// XML 1.0 `Char` (surrogates cannot occur in a Rust string).
fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_illegal_characters() {
        assert_eq!(
            escape("a<b>&\"c'\u{0}\u{1b}\u{fffe}\té"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#9;é"
        );
        assert_eq!(escape("x\r\ny"), "x&#13;&#10;y");
        assert_eq!(escape("\u{10348}"), "\u{10348}");
        assert_eq!(escape_text("a\tb\nc\r<"), "a\tb\nc&#13;&lt;");
    }
}
