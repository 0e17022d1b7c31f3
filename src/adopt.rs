//! Adopting sfpolicy on an existing org: waivers (accepted risks with a reason and an expiry),
//! baselines (hide what was already there), and `--changed-since` (report only what a branch
//! touched).

use crate::analysis::Analysis;
use crate::check::ToolError;
use crate::findings::{Finding, Loc, Severity};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const WAIVER_UNUSED: &str = "waiver-unused";
pub const WAIVER_EXPIRED: &str = "waiver-expired";

pub const WAIVER_UNUSED_DOCS: &str = "A `[[waivers]]` entry in `sfpolicy.toml` that matches no finding: the problem was fixed or the path or rule is wrong. Remove the waiver so exceptions stay intentional. Reported at the waiver.";
pub const WAIVER_EXPIRED_DOCS: &str = "A `[[waivers]]` entry whose `expires` date has passed: the finding it waived is reported again, and this finding points at the waiver so it is reviewed (fixed, or renewed with a new date and reason).";

/// Drop waived findings; add `waiver-expired` and `waiver-unused` findings pointing at the waiver.
/// `whole_project` is false when only some paths are reported (a waiver may match elsewhere).
pub fn apply_waivers(
    findings: &mut Vec<Finding>,
    analysis: &Analysis,
    today: &str,
    ran: &dyn Fn(&str) -> bool,
    whole_project: bool,
) {
    let config = &analysis.config;
    let Some(config_file) = analysis.config_file else {
        return;
    };
    let mut used = vec![false; config.waivers.len()];
    let mut expired_hit = vec![false; config.waivers.len()];
    findings.retain(|f| {
        let rel = &analysis.org.file(f.loc.file).rel;
        for (i, w) in config.waivers.iter().enumerate() {
            if w.rule == f.rule && w.path.is_match(rel) {
                if w.expires.as_deref().is_some_and(|e| e < today) {
                    expired_hit[i] = true;
                    return true;
                }
                used[i] = true;
                return false;
            }
        }
        true
    });
    let at = |w: &crate::config::Waiver, rule: &str| Loc {
        file: config_file,
        start: w.span.start,
        end: w.span.end,
        key: format!("{rule}:{}:{}", w.rule, w.path_text),
    };
    for (i, w) in config.waivers.iter().enumerate() {
        let expired = w.expires.as_deref().is_some_and(|e| e < today);
        if expired {
            findings.push(Finding {
                rule: WAIVER_EXPIRED.into(),
                severity: Severity::Warning,
                message: format!(
                    "the waiver of {} for {} expired on {}{}",
                    w.rule,
                    w.path_text,
                    w.expires.as_deref().unwrap_or(""),
                    if expired_hit[i] {
                        "; its finding is reported again"
                    } else {
                        ""
                    }
                ),
                loc: at(w, WAIVER_EXPIRED),
                help: Some(format!(
                    "fix the finding, or renew the waiver with a new date (reason was: {})",
                    w.reason
                )),
                related: Vec::new(),
            });
        } else if !used[i] && whole_project && ran(&w.rule) {
            findings.push(Finding {
                rule: WAIVER_UNUSED.into(),
                severity: Severity::Warning,
                message: format!(
                    "the waiver of {} for {} matches no finding",
                    w.rule, w.path_text
                ),
                loc: at(w, WAIVER_UNUSED),
                help: Some("remove it: the problem is gone, or the rule or path is wrong".into()),
                related: Vec::new(),
            });
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineEntry {
    rule: String,
    file: String,
    fingerprint: String,
    message: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<BaselineEntry>,
}

pub fn write_baseline(
    path: &Path,
    findings: &[Finding],
    analysis: &Analysis,
) -> Result<(), ToolError> {
    let entries = findings
        .iter()
        .map(|f| {
            let rel = analysis.org.file(f.loc.file).rel.clone();
            BaselineEntry {
                rule: f.rule.clone(),
                fingerprint: f.fingerprint(&rel),
                file: rel,
                message: f.message.clone(),
            }
        })
        .collect();
    let doc = BaselineFile {
        version: 1,
        findings: entries,
    };
    let text = serde_json::to_string_pretty(&doc).expect("serializable") + "\n";
    std::fs::write(path, text)
        .map_err(|e| ToolError(format!("{}: cannot write baseline: {e}", path.display())))
}

/// Hide findings recorded in the baseline (each recorded finding hides one current finding
/// with the same fingerprint). A missing or malformed baseline is an error, never "empty".
pub fn apply_baseline(
    path: &Path,
    findings: &mut Vec<Finding>,
    analysis: &Analysis,
) -> Result<usize, ToolError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ToolError(format!("{}: cannot read baseline: {e}", path.display())))?;
    let doc: BaselineFile = serde_json::from_str(&text).map_err(|e| {
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
    })?;
    if doc.version != 1 {
        return Err(ToolError(format!(
            "{}: baseline version {} is not supported (expected 1)",
            path.display(),
            doc.version
        )));
    }
    let mut known: FxHashMap<String, usize> = FxHashMap::default();
    for e in doc.findings {
        *known.entry(e.fingerprint).or_default() += 1;
    }
    let before = findings.len();
    findings.retain(|f| {
        let fp = f.fingerprint(&analysis.org.file(f.loc.file).rel);
        match known.get_mut(&fp) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        }
    });
    Ok(before - findings.len())
}

/// Files changed since the merge base of `rev` and HEAD (committed, staged, unstaged and
/// untracked), relative to `root`.
pub fn changed_since(root: &Path, rev: &str) -> Result<Vec<String>, ToolError> {
    let git = |args: &[&str]| -> Result<String, ToolError> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .map_err(|e| ToolError(format!("--changed-since needs the `git` command: {e}")))?;
        if !out.status.success() {
            return Err(ToolError(format!(
                "--changed-since {rev}: git {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let top = git(&["rev-parse", "--show-toplevel"]).map_err(|_| {
        ToolError(format!(
            "--changed-since: {} is not inside a git repository",
            root.display()
        ))
    })?;
    let top = PathBuf::from(top.trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let base = git(&["merge-base", rev, "HEAD"])?;
    let mut files: Vec<String> = Vec::new();
    for out in [
        git(&["diff", "--name-only", "-z", "--no-renames", base.trim()])?,
        git(&[
            "ls-files",
            "--others",
            "--exclude-standard",
            "-z",
            "--full-name",
        ])?,
    ] {
        for name in out.split('\0').filter(|n| !n.is_empty()) {
            let abs = top.join(name);
            if abs.starts_with(root) {
                files.push(crate::discover::relative(root, &abs));
            }
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}
