//! `--format human`: codespan diagnostics with the XML lines and the element underlined.

use super::{Counts, ReportInput, Sources};
use crate::findings::Severity;
use codespan_reporting::diagnostic::{Diagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor::Buffer};
use rustc_hash::FxHashMap;

/// An element spanning several lines is shown by its start tag: the label stays readable and
/// still points at the exact element.
fn display_range(text: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    let start = floor_char_boundary(text, start.min(text.len()));
    let end = ceil_char_boundary(text, end.clamp(start, text.len()));
    let slice = &text[start..end];
    if !slice.contains('\n') || !slice.starts_with('<') {
        return start..end.max(start);
    }
    match slice.find('>') {
        Some(i) => start..start + i + 1,
        None => start..end,
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

pub fn render(input: &ReportInput, color: bool) -> String {
    let sources = Sources::new(input.org, input.findings);
    let mut files = SimpleFiles::new();
    let mut ids = FxHashMap::default();
    let mut file_id = |id| {
        *ids.entry(id)
            .or_insert_with(|| files.add(sources.rel(id).to_string(), sources.text(id).to_string()))
    };
    let diagnostics: Vec<Diagnostic<usize>> = input
        .findings
        .iter()
        .map(|f| {
            let severity = match f.severity {
                Severity::Error => CsSeverity::Error,
                Severity::Warning => CsSeverity::Warning,
                Severity::Info => CsSeverity::Note,
            };
            let range = display_range(sources.text(f.loc.file), f.loc.start, f.loc.end);
            let mut labels = vec![Label::primary(file_id(f.loc.file), range)];
            for r in &f.related {
                let range = display_range(sources.text(r.loc.file), r.loc.start, r.loc.end);
                labels.push(Label::secondary(file_id(r.loc.file), range).with_message(&r.message));
            }
            let mut notes = Vec::new();
            if let Some(help) = &f.help {
                notes.push(format!("help: {help}"));
            }
            Diagnostic::new(severity)
                .with_code(&f.rule)
                .with_message(&f.message)
                .with_labels(labels)
                .with_notes(notes)
        })
        .collect();
    let mut buffer = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let config = term::Config::default();
    for diagnostic in &diagnostics {
        // The sources are in memory and every range is clamped to them.
        let _ = term::emit_to_write_style(&mut buffer, &config, &files, diagnostic);
    }
    let mut out = String::from_utf8_lossy(buffer.as_slice()).into_owned();
    out.push_str(&summary_line(input));
    out.push('\n');
    out
}

pub fn summary_line(input: &ReportInput) -> String {
    let c = Counts::of(input.findings);
    let files = plural(input.files_checked, "file");
    if input.findings.is_empty() {
        return format!("sfpolicy: no findings in {files}");
    }
    format!(
        "sfpolicy: {} ({}, {}, {}) in {files}",
        plural(input.findings.len(), "finding"),
        plural(c.error, "error"),
        plural(c.warning, "warning"),
        c.info.to_string() + " info"
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
