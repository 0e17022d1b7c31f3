//! `--format human`: codespan diagnostics with the XML lines and the element underlined.
//!
//! Everything a file contains passes through [`crate::escape::Escaper`] on its way to the
//! terminal: control characters are shown as `\u{..}` escapes, never emitted, so a metadata file
//! cannot colour the terminal, set its title, or start a line that a CI runner executes.
//! Lines are quoted only when they are what was checked, short enough to read, and drawn as
//! they were measured (no escaped character before the carets); otherwise a note cites them.

use super::ReportInput;
use crate::escape::{escape_line, Escaper};
use crate::findings::{Counts, Finding, Severity};
use crate::source::{CodespanFiles, FileId, PathStyle, Text};
use codespan_reporting::diagnostic::{Diagnostic, Label, Severity as CsSeverity};
use codespan_reporting::term::{self, termcolor::Buffer};
use rustc_hash::FxHashMap;

/// Lines longer than this are not quoted (a minified or generated file would flood the log).
const MAX_QUOTED_LINE: usize = 400;

/// An element spanning several lines is shown by its start tag: the label stays readable and
/// still points at the exact element.
fn display_range(text: &str, start: usize, end: usize) -> std::ops::Range<usize> {
    use crate::source::{ceil_char_boundary, floor_char_boundary};
    let start = floor_char_boundary(text, start);
    let end = ceil_char_boundary(text, end.max(start));
    let slice = &text[start..end];
    if !slice.contains('\n') || !slice.starts_with('<') {
        return start..end;
    }
    match slice.find('>') {
        Some(i) => start..start + i + 1,
        None => start..end,
    }
}

/// The texts of the files the finding being rendered points into (read again and verified):
/// the report holds these, not every file it has quoted.
type Texts = FxHashMap<FileId, Text>;

fn text_of(texts: &Texts, file: FileId) -> &str {
    match texts.get(&file) {
        Some(Text::Checked(t)) => t,
        _ => "",
    }
}

/// Why a line of a checked file is not quoted under its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unquoted {
    /// Longer than [`MAX_QUOTED_LINE`] (minified XML).
    TooLong,
    /// Before the carets' end it holds characters the output escapes (a direction override, a
    /// C1 control): escaped, the line would be wider than the text the carets were measured
    /// on, and they would point elsewhere.
    Escaped,
}

/// Why the lines of `start..end` (its first two) cannot be quoted, if they cannot.
fn unquoted(
    text: &str,
    lines: &crate::source::LineIndex,
    start: usize,
    end: usize,
) -> Option<Unquoted> {
    let first = lines.line_index(start);
    let last = lines.line_index(end.max(start)).min(first + 1);
    let too_long = (first..=last).any(|l| {
        let line = text
            .get(lines.line_start(l, text.len())..lines.line_start(l + 1, text.len()))
            .unwrap_or("");
        without_ending(line).len() > MAX_QUOTED_LINE
    });
    if too_long {
        return Some(Unquoted::TooLong);
    }
    // The carets' columns come from the text before them, on every line the label covers (a
    // label over several lines ends with a caret on its last): an escaped character there shifts
    // them, one after the label does not. Line endings (CRLF too) are not drawn.
    let from = lines.line_start(first, text.len());
    let upto = display_range(text, start, end).end;
    let before_carets = text.get(from..upto).unwrap_or("");
    before_carets
        .split('\n')
        .any(|line| without_ending(line).chars().any(crate::escape::dangerous))
        .then_some(Unquoted::Escaped)
}

/// A line without its ending (`\n`, `\r\n`): what is drawn of it.
fn without_ending(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Can this location be quoted? The file is what was checked, and the lines are readable.
fn quotable(input: &ReportInput, texts: &Texts, file: FileId, start: usize, end: usize) -> bool {
    let Some(Text::Checked(text)) = texts.get(&file) else {
        return false;
    };
    unquoted(text, input.sources.get(file).lines(), start, end).is_none()
}

fn location_text(input: &ReportInput, loc: &crate::findings::Loc, style: PathStyle) -> String {
    let span = input.span(loc);
    format!(
        "{}:{}:{}",
        input.sources.display(loc.file, style),
        span.line,
        span.column
    )
}

fn diagnostic(
    input: &ReportInput,
    texts: &Texts,
    f: &Finding,
    style: PathStyle,
) -> Diagnostic<FileId> {
    let severity = match f.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Info => CsSeverity::Note,
    };
    let mut labels = Vec::new();
    let mut notes = Vec::new();
    let mut message = escape_line(&f.message);
    if quotable(input, texts, f.loc.file, f.loc.start, f.loc.end) {
        let text = text_of(texts, f.loc.file);
        labels.push(Label::primary(
            f.loc.file,
            display_range(text, f.loc.start, f.loc.end),
        ));
    } else {
        message = format!(
            "{message} [{}]",
            escape_line(&location_text(input, &f.loc, style))
        );
        notes.extend(unquoted_note(
            input,
            texts,
            f.loc.file,
            f.loc.start,
            f.loc.end,
        ));
    }
    for r in &f.related {
        if quotable(input, texts, r.loc.file, r.loc.start, r.loc.end) {
            let text = text_of(texts, r.loc.file);
            labels.push(
                Label::secondary(r.loc.file, display_range(text, r.loc.start, r.loc.end))
                    .with_message(escape_line(&r.message)),
            );
        } else {
            notes.push(format!(
                "related: {}: {}",
                escape_line(&location_text(input, &r.loc, style)),
                escape_line(&r.message)
            ));
        }
    }
    if f.more_related > 0 {
        notes.push(format!("and {} more related locations", f.more_related));
    }
    if let Some(help) = &f.help {
        notes.push(format!("help: {}", escape_line(help)));
    }
    Diagnostic::new(severity)
        .with_code(&f.rule)
        .with_message(message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Why a finding's lines are not shown (nothing to say for a file that was never read: the
/// finding itself is about that).
fn unquoted_note(
    input: &ReportInput,
    texts: &Texts,
    file: FileId,
    start: usize,
    end: usize,
) -> Option<String> {
    match texts.get(&file)? {
        Text::Changed => Some(
            "the file changed after it was checked (or could not be read again); its lines are not shown"
                .to_string(),
        ),
        Text::Checked(text) => {
            let lines = input.sources.get(file).lines();
            let why = unquoted(text, lines, start, end).unwrap_or(Unquoted::TooLong);
            Some(excerpt(text, lines, start, why))
        }
        Text::Unread => None,
    }
}

/// Characters quoted on each side of a finding in a line that is cited rather than drawn.
const EXCERPT_CONTEXT: usize = 60;

/// A line that cannot be quoted under a label (minified XML, a 50 MB line; a line holding
/// characters the output escapes), cut around the finding and escaped.
/// (The line index, not a scan: a 50 MB line may carry many findings.)
fn excerpt(text: &str, lines: &crate::source::LineIndex, start: usize, why: Unquoted) -> String {
    use crate::source::{ceil_char_boundary, floor_char_boundary};
    let start = floor_char_boundary(text, start.min(text.len()));
    let line = lines.line_index(start);
    let line_start = floor_char_boundary(text, lines.line_start(line, text.len()));
    let line_end = floor_char_boundary(text, lines.line_start(line + 1, text.len())).max(start);
    let line_end = if text[..line_end].ends_with('\n') {
        line_end - 1
    } else {
        line_end
    };
    // A CRLF line's `\r` is its ending too: not counted, not cited.
    let line_end = if line_end > start && text[..line_end].ends_with('\r') {
        line_end - 1
    } else {
        line_end
    };
    let before: usize = text[line_start..start]
        .char_indices()
        .rev()
        .nth(EXCERPT_CONTEXT - 1)
        .map_or(line_start, |(i, _)| line_start + i);
    let after = text[start..line_end]
        .char_indices()
        .nth(EXCERPT_CONTEXT)
        .map_or(line_end, |(i, _)| start + i);
    let (before, after) = (
        floor_char_boundary(text, before),
        ceil_char_boundary(text, after),
    );
    let reason = match why {
        Unquoted::TooLong => format!(
            "the line is too long to quote ({} bytes)",
            line_end - line_start
        ),
        Unquoted::Escaped => {
            "the lines hold control or direction-override characters before the finding, so they are not drawn"
                .to_string()
        }
    };
    format!(
        "{reason}; around the finding: {}{}{}",
        if before > line_start { "…" } else { "" },
        escape_line(text[before..after].trim_end_matches('\r')),
        if after < line_end { "…" } else { "" },
    )
}

/// The report with paths relative to the current directory.
pub fn render(input: &ReportInput, color: bool) -> String {
    render_styled(input, color, PathStyle::Human)
}

/// The report with paths in the given style (test expectations use project paths).
pub fn render_styled(input: &ReportInput, color: bool, style: PathStyle) -> String {
    let mut texts: Texts = FxHashMap::default();
    let inner = if color {
        Buffer::ansi()
    } else {
        Buffer::no_color()
    };
    let mut out = Escaper::new(inner);
    let config = term::Config::default();
    for f in input.findings {
        // Hold the texts of this finding's files only (findings come sorted by file, so a file
        // with many findings is read once for all of them).
        let needed: Vec<FileId> = std::iter::once(f.loc.file)
            .chain(f.related.iter().map(|r| r.loc.file))
            .collect();
        texts.retain(|id, _| needed.contains(id));
        for id in needed {
            texts
                .entry(id)
                .or_insert_with(|| input.sources.get(id).read_checked());
        }
        let diagnostic = diagnostic(input, &texts, f, style);
        let files = CodespanFiles {
            db: input.sources,
            style,
            texts: Some(&texts),
        };
        // Sources are the checked text and every range is clamped to it.
        let _ = term::emit_to_write_style(&mut out, &config, &files, &diagnostic);
    }
    let mut text = String::from_utf8_lossy(out.into_inner().as_slice()).into_owned();
    text.push_str(&summary_line(input));
    text.push('\n');
    text
}

pub fn summary_line(input: &ReportInput) -> String {
    use crate::util::plural;
    let c = Counts::of(input.findings);
    let files = plural(input.files_checked, "file");
    if input.findings.is_empty() {
        return format!("sfpolicy: no findings in {files}");
    }
    format!(
        "sfpolicy: {} ({}, {}, {} info) in {files}",
        plural(input.findings.len(), "finding"),
        plural(c.error, "error"),
        plural(c.warning, "warning"),
        c.info
    )
}
