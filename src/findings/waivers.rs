//! Waivers: accepted risks, each with a rule, a path, a reason and an optional expiry. A waived
//! finding is hidden; a waiver that matches nothing is `waiver-unused`, an expired one
//! `waiver-expired`, so exceptions stay intentional, temporary and reviewed.

use super::{Anchor, Finding, Loc, Severity};
use crate::source::{FileId, SourceDb};
use globset::GlobMatcher;
use std::ops::Range;

pub const WAIVER_UNUSED: &str = "waiver-unused";
pub const WAIVER_EXPIRED: &str = "waiver-expired";

#[derive(Debug, Clone)]
pub struct Waiver {
    pub rule: String,
    pub rule_span: Range<usize>,
    pub path: GlobMatcher,
    pub path_text: String,
    pub reason: String,
    /// `YYYY-MM-DD`, compared as text.
    pub expires: Option<String>,
    /// The whole `[[waivers]]` entry.
    pub span: Range<usize>,
}

impl Waiver {
    fn expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|e| e < today)
    }
}

/// What the waiver stage needs to know about the run.
pub struct WaiverRun<'a> {
    pub waivers: &'a [Waiver],
    /// The config file holding them.
    pub config_file: FileId,
    pub today: &'a str,
    /// Did this rule run? A waiver of a rule that did not run is not "unused".
    pub ran: &'a dyn Fn(&str) -> bool,
}

fn anchor(w: &Waiver, index: usize, waivers: &[Waiver]) -> Anchor {
    let key = format!("{} {}", w.rule, w.path_text);
    let same = waivers[..index]
        .iter()
        .filter(|o| o.rule == w.rule && o.path_text == w.path_text)
        .count();
    Anchor::table("waivers", &key).nth(same + 1)
}

/// Drop waived findings; add `waiver-expired` and `waiver-unused` findings at the waiver.
pub fn apply(findings: &mut Vec<Finding>, sources: &SourceDb, run: &WaiverRun) {
    let waivers = run.waivers;
    let mut used = vec![false; waivers.len()];
    let mut expired_hit = vec![false; waivers.len()];
    findings.retain(|f| {
        let rel = sources.rel(f.loc.file);
        for (i, w) in waivers.iter().enumerate() {
            if w.rule == f.rule && w.path.is_match(rel) {
                if w.expired(run.today) {
                    expired_hit[i] = true;
                    return true;
                }
                used[i] = true;
                return false;
            }
        }
        true
    });
    for (i, w) in waivers.iter().enumerate() {
        let loc = Loc {
            file: run.config_file,
            start: w.span.start,
            end: w.span.end,
            anchor: anchor(w, i, waivers),
        };
        if w.expired(run.today) {
            let message = format!(
                "the waiver of {} for {} expired on {}{}",
                w.rule,
                w.path_text,
                w.expires.as_deref().unwrap_or(""),
                if expired_hit[i] {
                    "; its finding is reported again"
                } else {
                    ""
                }
            );
            findings.push(
                Finding::new(WAIVER_EXPIRED, Severity::Warning, message, loc).with_help(format!(
                    "fix the finding, or renew the waiver with a new date (reason was: {})",
                    w.reason
                )),
            );
        } else if !used[i] && (run.ran)(&w.rule) {
            let message = format!(
                "the waiver of {} for {} matches no finding",
                w.rule, w.path_text
            );
            findings.push(
                Finding::new(WAIVER_UNUSED, Severity::Warning, message, loc)
                    .with_help("remove it: the problem is gone, or the rule or path is wrong"),
            );
        }
    }
}
