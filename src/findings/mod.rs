//! Findings: what a rule reports, located in a file, with an identity of its own.
//!
//! This stage runs after policies: it gives every finding its fingerprint (unique in the run),
//! applies configured severities, waivers and baselines, and narrows incremental runs to what a
//! change can have caused. It depends on `source` only, never on the model.

pub mod anchor;
pub mod baseline;
pub mod registry;
pub mod scope;
pub mod settings;
pub mod waivers;

pub use anchor::Anchor;

use crate::source::{FileId, SourceDb};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}` (expected info, warning or error)"
            )),
        }
    }
}

/// A byte range in one file, and the anchor naming what is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
    pub anchor: Anchor,
}

#[derive(Debug, Clone)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub loc: Loc,
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// Related locations left out of `related` (a finding lists at most [`MAX_RELATED`]).
    pub more_related: usize,
    /// What else it was derived from (beyond its own file and related locations), for
    /// incremental runs.
    pub inputs: Vec<scope::Input>,
    /// Set by [`identify`]: a hash of rule, file and anchor, unique in the run.
    pub fingerprint: String,
}

/// Related locations a finding carries at most; the rest are counted.
pub const MAX_RELATED: usize = 50;

impl Finding {
    pub fn new(rule: &str, severity: Severity, message: String, loc: Loc) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity,
            message,
            loc,
            help: None,
            related: Vec::new(),
            more_related: 0,
            inputs: Vec::new(),
            fingerprint: String::new(),
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Finding {
        self.help = Some(help.into());
        self
    }

    /// Every file this finding reads from: its own and its related locations'.
    pub fn files(&self) -> impl Iterator<Item = FileId> + '_ {
        std::iter::once(self.loc.file).chain(self.related.iter().map(|r| r.loc.file))
    }
}

/// What [`identify`] had to do to make fingerprints unique.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct IdentityStats {
    /// Findings whose anchor was shared with another finding of the rule and file, told apart by
    /// their message.
    pub told_apart_by_message: usize,
    /// Exact duplicates (same rule, file, anchor and message) dropped.
    pub duplicates_dropped: usize,
}

/// Give every finding its fingerprint, unique in the run. Findings that share rule, file and
/// anchor are told apart by their message; exact duplicates are one finding.
pub fn identify(findings: &mut Vec<Finding>, sources: &SourceDb) -> IdentityStats {
    use rustc_hash::FxHashMap;
    let mut stats = IdentityStats::default();
    let mut groups: FxHashMap<(String, FileId, Anchor), Vec<usize>> = FxHashMap::default();
    for (i, f) in findings.iter().enumerate() {
        groups
            .entry((f.rule.clone(), f.loc.file, f.loc.anchor.clone()))
            .or_default()
            .push(i);
    }
    let mut drop = vec![false; findings.len()];
    for members in groups.values().filter(|m| m.len() > 1) {
        let mut seen: FxHashMap<String, usize> = FxHashMap::default();
        for &i in members {
            if seen.insert(findings[i].message.clone(), i).is_some() {
                drop[i] = true;
                stats.duplicates_dropped += 1;
                continue;
            }
            let anchor = findings[i].loc.anchor.about(&findings[i].message);
            findings[i].loc.anchor = anchor;
            stats.told_apart_by_message += 1;
        }
    }
    let mut i = 0;
    findings.retain(|_| {
        i += 1;
        !drop[i - 1]
    });
    for f in findings.iter_mut() {
        f.fingerprint = anchor::fingerprint(&f.rule, sources.rel(f.loc.file), &f.loc.anchor);
    }
    stats
}

/// Deterministic order: file path, position, rule, message.
pub fn sort(findings: &mut [Finding], sources: &SourceDb) {
    findings.sort_by(|a, b| {
        (sources.rel(a.loc.file), a.loc.start, &a.rule, &a.message).cmp(&(
            sources.rel(b.loc.file),
            b.loc.start,
            &b.rule,
            &b.message,
        ))
    });
}

/// Findings per severity.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn db() -> SourceDb {
        let mut db = SourceDb::default();
        db.add(SourceFile::from_text(
            "a.xml".into(),
            std::path::Path::new("a.xml"),
            "<R/>",
        ));
        db
    }

    fn finding(anchor: &str, message: &str) -> Finding {
        Finding::new(
            "r",
            Severity::Error,
            message.into(),
            Loc {
                file: 0,
                start: 0,
                end: 1,
                anchor: Anchor::root("R", anchor),
            },
        )
    }

    #[test]
    fn fingerprints_are_unique_in_a_run() {
        let mut fs = vec![
            finding("x", "one"),
            finding("x", "two"),
            finding("y", "one"),
            finding("x", "one"),
        ];
        let stats = identify(&mut fs, &db());
        assert_eq!(fs.len(), 3, "the exact duplicate is one finding");
        assert_eq!(stats.duplicates_dropped, 1);
        assert_eq!(stats.told_apart_by_message, 2);
        let mut prints: Vec<&str> = fs.iter().map(|f| f.fingerprint.as_str()).collect();
        prints.sort();
        prints.dedup();
        assert_eq!(prints.len(), 3);
    }

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!("warning".parse::<Severity>(), Ok(Severity::Warning));
        assert!("fatal".parse::<Severity>().is_err());
    }
}
