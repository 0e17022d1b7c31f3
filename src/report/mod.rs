//! Reports: findings rendered for people (`human`) and machines (`json`).
//!
//! Positions are computed here, from the files on disk, only for files that have findings: the
//! parsed model keeps byte spans, not sources.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use crate::findings::{Finding, Severity};
use crate::model::{FileId, Org};
use rustc_hash::FxHashMap;

/// 1-based line and column (in characters); the end is exclusive (just after the element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Sources of the files findings point into, read once each.
pub struct Sources<'a> {
    org: &'a Org,
    /// Source text and the byte offset of each line start.
    texts: FxHashMap<FileId, (String, Vec<usize>)>,
}

impl<'a> Sources<'a> {
    pub fn new(org: &'a Org, findings: &[Finding]) -> Self {
        let mut texts = FxHashMap::default();
        let ids = findings
            .iter()
            .flat_map(|f| std::iter::once(f.loc.file).chain(f.related.iter().map(|r| r.loc.file)));
        for id in ids {
            texts.entry(id).or_insert_with(|| {
                let bytes = std::fs::read(&org.file(id).path).unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let starts = std::iter::once(0)
                    .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
                    .collect();
                (text, starts)
            });
        }
        Sources { org, texts }
    }

    pub fn text(&self, file: FileId) -> &str {
        self.texts.get(&file).map_or("", |(t, _)| t.as_str())
    }

    pub fn rel(&self, file: FileId) -> &str {
        &self.org.file(file).rel
    }

    pub fn span(&self, file: FileId, start: usize, end: usize) -> Span {
        let Some((text, starts)) = self.texts.get(&file) else {
            return Span {
                line: 1,
                column: 1,
                end_line: 1,
                end_column: 1,
            };
        };
        let at = |offset: usize| {
            // Only the line holding the offset is scanned: files can be megabytes.
            let line = starts
                .partition_point(|&s| s <= offset.min(text.len()))
                .max(1);
            let (l, c) = line_column(
                &text[starts[line - 1]..],
                offset - starts[line - 1].min(offset),
            );
            (line + l - 1, c)
        };
        let (line, column) = at(start);
        let (end_line, end_column) = at(end.max(start));
        Span {
            line,
            column,
            end_line,
            end_column,
        }
    }
}

/// 1-based line and character column of a byte offset (clamped to the text).
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    // A byte-order mark is not a character anyone sees.
    let column = text[line_start..offset]
        .trim_start_matches('\u{feff}')
        .chars()
        .count()
        + 1;
    (line, column)
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
}

impl Counts {
    pub fn of(findings: &[Finding]) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.severity {
                Severity::Error => c.error += 1,
                Severity::Warning => c.warning += 1,
                Severity::Info => c.info += 1,
            }
        }
        c
    }
}

/// What a report says about a rule (SARIF and JUnit describe the rules they report).
#[derive(Debug, Clone)]
pub struct RuleMeta {
    pub id: String,
    pub severity: crate::findings::Severity,
    pub summary: String,
    /// Markdown documentation (`sfpolicy explain`).
    pub docs: String,
}

/// What every report needs.
pub struct ReportInput<'a> {
    pub org: &'a Org,
    pub findings: &'a [Finding],
    pub files_checked: usize,
    /// Every rule that ran, in id order.
    pub rules: &'a [RuleMeta],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let text = "ab\nçé<x>\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 3), (2, 1));
        let x = text.find("<x>").unwrap();
        assert_eq!(line_column(text, x), (2, 3));
        assert_eq!(line_column(text, 999), (3, 1));
    }
}
