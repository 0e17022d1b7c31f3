//! `--format github`: GitHub Actions workflow commands, one annotation per finding.
//!
//! ```text
//! ::error file=force-app/x.xml,line=5,col=5,endLine=5,endColumn=52,title=bypass-by-identity::message%0Ahelp
//! ```
//!
//! Escaped as the runner unescapes (`@actions/core` `escapeData` / `escapeProperty`): a message or
//! a file name holding `%`, CR, LF, `:` or `,` cannot end the command early or start another one;
//! other control characters (ESC, BEL, OSC) are shown as `\u{..}` escapes. The summary line at the
//! end is plain output, never a command.

use super::ReportInput;
use crate::findings::{Counts, Severity};
use std::fmt::Write;

pub fn render(input: &ReportInput) -> String {
    let mut out = String::new();
    for f in input.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let span = input.span(&f.loc);
        let mut message = f.message.clone();
        if let Some(help) = f.help.as_deref().filter(|h| !h.trim().is_empty()) {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            escape_property(&input.path(f.loc.file)),
            span.line,
            span.column,
            span.end_line,
            span.end_column,
            escape_property(&f.rule),
            escape_data(&message),
        );
    }
    // A policy that failed: an error annotation (not located in the diff; the message names the
    // policy file, line and column).
    for error in input.errors {
        let message = match &error.location {
            Some(at) => format!("{}:{}:{}: {}", at.path, at.line, at.column, error.message),
            None => error.message.clone(),
        };
        let _ = writeln!(
            out,
            "::error title=sfpolicy policy error::{}",
            escape_data(&message)
        );
    }
    let counts = Counts::of(input.findings);
    let _ = writeln!(
        out,
        "sfpolicy: {} finding{} ({} error{}, {} warning{}, {} info) in {} file{}",
        input.findings.len(),
        plural(input.findings.len()),
        counts.error,
        plural(counts.error),
        counts.warning,
        plural(counts.warning),
        counts.info,
        input.files_checked,
        plural(input.files_checked),
    );
    out
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// The message after `::`: `%`, CR and LF escaped (toolkit `escapeData`), other control
/// characters made visible.
pub fn escape_data(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push_str(&crate::escape::escape_line(c.encode_utf8(&mut [0; 4]))),
        }
    }
    out
}

/// A property value: as [`escape_data`], plus `:` and `,` (toolkit `escapeProperty`).
pub fn escape_property(s: &str) -> String {
    // `escape_data` never emits `:` or `,`, so escaping them afterwards cannot double-escape.
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_toolkit() {
        assert_eq!(escape_data("100% a\r\n::b,c:d"), "100%25 a%0D%0A::b,c:d");
        assert_eq!(escape_property("a,b:c%\r\n"), "a%2Cb%3Ac%25%0D%0A");
        // Already-escaped text is escaped again, so the runner restores it exactly.
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(
            escape_data("a\u{1b}]0;title\u{7}"),
            "a\\u{1b}]0;title\\u{7}"
        );
    }
}
