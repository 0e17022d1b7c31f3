//! Baselines: the findings an org already had when it adopted sfpolicy, hidden so that only new
//! ones are reported. A baseline records, for each finding, its fingerprint and what a reviewer
//! needs to read what was accepted: rule, file and anchor (and the message at the time).
//!
//! Matching is by fingerprint, which is unique in a run: a second violation of a rule is a new
//! fingerprint and is reported, however many the baseline holds.

use super::Finding;
use crate::diag::ToolError;
use crate::source::SourceDb;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    /// Relative to the project root.
    pub file: String,
    pub anchor: String,
    pub message: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

/// Only the version, to tell an old baseline from a broken one.
#[derive(Deserialize)]
struct Versioned {
    version: u32,
}

/// Write every finding of the run (the caller passes the whole project's findings).
pub fn write(path: &Path, findings: &[Finding], sources: &SourceDb) -> Result<(), ToolError> {
    let mut entries: Vec<Entry> = findings
        .iter()
        .map(|f| Entry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.clone(),
            file: sources.rel(f.loc.file).to_string(),
            anchor: f.loc.anchor.to_string(),
            message: f.message.clone(),
        })
        .collect();
    entries.sort_by(|a, b| (&a.file, &a.rule, &a.anchor).cmp(&(&b.file, &b.rule, &b.anchor)));
    let doc = Baseline {
        version: VERSION,
        findings: entries,
    };
    let text =
        serde_json::to_string_pretty(&doc).map_err(|e| ToolError::new(e.to_string()))? + "\n";
    std::fs::write(path, text)
        .map_err(|e| ToolError::new(format!("{}: cannot write baseline: {e}", path.display())))
}

/// What applying a baseline did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    pub hidden: usize,
    /// Baseline entries that match no current finding: fixed since, or outside this run.
    pub stale: usize,
}

/// Read a baseline. A missing, malformed or old-format file is an error, never "empty".
pub fn read(path: &Path) -> Result<Baseline, ToolError> {
    let text = crate::source::read_to_string(path)
        .map_err(|e| ToolError::new(format!("{}: cannot read baseline: {e}", path.display())))?;
    let located = |e: serde_json::Error| {
        let offset = text
            .lines()
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum::<usize>()
            + e.column().saturating_sub(1);
        ToolError::located(
            path,
            &text,
            offset..offset + 1,
            &format!("not an sfpolicy baseline: {e}"),
        )
    };
    let version = serde_json::from_str::<Versioned>(&text)
        .map_err(located)?
        .version;
    if version != VERSION {
        return Err(ToolError::new(format!(
            "{}: baseline version {version} is not supported: finding fingerprints changed in \
             version {VERSION} (each finding now has an identity of its own). Regenerate it with \
             `sfpolicy check --write-baseline {}` and review what it accepts",
            path.display(),
            path.display()
        )));
    }
    serde_json::from_str::<Baseline>(&text).map_err(located)
}

/// Hide the findings the baseline records.
pub fn apply(baseline: &Baseline, findings: &mut Vec<Finding>) -> Applied {
    let known: FxHashSet<&str> = baseline
        .findings
        .iter()
        .map(|e| e.fingerprint.as_str())
        .collect();
    let before = findings.len();
    let present: FxHashSet<String> = findings.iter().map(|f| f.fingerprint.clone()).collect();
    findings.retain(|f| !known.contains(f.fingerprint.as_str()));
    Applied {
        hidden: before - findings.len(),
        stale: known.iter().filter(|k| !present.contains(**k)).count(),
    }
}
