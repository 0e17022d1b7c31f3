//! Reports: findings rendered for people (`human`) and machines (`json`, `sarif`, `junit`,
//! `github`, `gitlab`). One module per format; every path, line and column comes from the source
//! database, and quoted lines are the text that was checked.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use crate::diag::ToolError;
use crate::findings::registry::RuleInfo;
use crate::findings::{Finding, Severity};
use crate::source::{PathStyle, SourceDb, Span};

/// A rule as a report describes it: its registry entry and its severity after configuration.
#[derive(Debug, Clone)]
pub struct RuleMeta<'a> {
    pub info: &'a RuleInfo,
    /// The severity `[rules]` in `sfpolicy.toml` gives it (overrides by path may still change a
    /// finding's own).
    pub severity: Severity,
}

/// What every report needs.
pub struct ReportInput<'a> {
    pub sources: &'a SourceDb,
    pub findings: &'a [Finding],
    pub files_checked: usize,
    /// Every rule that ran, in id order.
    pub rules: Vec<RuleMeta<'a>>,
    /// Findings at or above this severity fail the run (`--fail-on`); `None`: never.
    pub fail_on: Option<Severity>,
    /// Policies that failed during the run (the report is incomplete; the run exits 2).
    pub errors: &'a [ToolError],
}

impl ReportInput<'_> {
    pub fn span(&self, f: &crate::findings::Loc) -> Span {
        self.sources.span(f.file, f.start..f.end)
    }

    /// The path of a file as machine formats show it (repository-relative inside git).
    pub fn path(&self, file: crate::source::FileId) -> String {
        self.sources.display(file, PathStyle::Repository)
    }

    pub fn fails(&self, f: &Finding) -> bool {
        self.fail_on.is_some_and(|t| f.severity >= t)
    }
}
