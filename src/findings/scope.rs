//! Incremental runs: PATH filters, `--changed-since`, `--staged` and the pre-commit hook report
//! every finding with *any* input among the changed files — its own file, a related location, or
//! a file the analysis behind it read (a group's member, a custom permission a formula names, the
//! connected app that makes a permission set an integration identity, the register). A deleted
//! file counts as changed: what referenced it by name is reported.

use super::Finding;
use crate::source::SourceDb;
use globset::GlobMatcher;
use rustc_hash::FxHashSet;

/// Something a finding was derived from, besides its own file and related locations.
#[derive(Debug, Clone)]
pub enum Input {
    /// A file, relative to the project root (it may no longer exist).
    Path(String),
    /// A component named by kind and API name (lower case), whether or not it exists: deleting
    /// or adding it changes the finding.
    Name(String, String),
    /// Every file matching a glob (a waiver's `path`).
    Glob(GlobMatcher),
}

/// What changed, as the run was told (PATH arguments, git).
#[derive(Debug, Default, Clone)]
pub struct ChangeSet {
    /// Project-relative files and folders (a folder covers everything under it).
    pub paths: Vec<String>,
    /// Components the changed paths define: `(kind, lower-case API name)`.
    pub names: FxHashSet<(String, String)>,
    /// A change to something every finding depends on (`sfpolicy.toml`): report everything.
    pub everything: bool,
}

impl ChangeSet {
    pub fn covers(&self, rel: &str) -> bool {
        self.paths
            .iter()
            .any(|p| p.is_empty() || rel == p || crate::source::paths::is_under(rel, p))
    }

    fn touches(&self, input: &Input) -> bool {
        match input {
            Input::Path(p) => self.covers(p),
            Input::Name(kind, name) => self.names.contains(&(kind.clone(), name.clone())),
            Input::Glob(g) => self.paths.iter().any(|p| g.is_match(p)),
        }
    }

    /// Does this finding read anything that changed?
    pub fn affects(&self, finding: &Finding, sources: &SourceDb) -> bool {
        self.everything
            || finding.files().any(|f| self.covers(sources.rel(f)))
            || finding.inputs.iter().any(|i| self.touches(i))
    }
}

/// Keep the findings a change can have caused.
pub fn filter(findings: &mut Vec<Finding>, sources: &SourceDb, change: &ChangeSet) {
    findings.retain(|f| change.affects(f, sources));
}
