//! Configured severities: `[rules]` and `[[overrides]]` in `sfpolicy.toml` turn a rule off or
//! change its severity, for the whole project or under some paths.

use super::{Finding, Severity};
use crate::source::SourceDb;

/// A rule's setting: off, or a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Off,
    On(Severity),
}

impl Setting {
    pub fn parse(text: &str) -> Option<Setting> {
        match text {
            "off" => Some(Setting::Off),
            other => other.parse().ok().map(Setting::On),
        }
    }
}

/// The setting of a rule for a finding: `(rule, default severity, project-relative path)`.
pub type SettingFor<'a> = dyn Fn(&str, Severity, &str) -> Setting + 'a;

/// Apply configured severities; `off` drops the finding.
pub fn apply(findings: &mut Vec<Finding>, sources: &SourceDb, setting_for: &SettingFor) {
    findings.retain_mut(
        |f| match setting_for(&f.rule, f.severity, sources.rel(f.loc.file)) {
            Setting::Off => false,
            Setting::On(s) => {
                f.severity = s;
                true
            }
        },
    );
}
