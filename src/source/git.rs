//! What git says changed: `--changed-since REV` and `--staged`. Deleted files are listed too:
//! a deletion is a change whose findings land in the files that referenced what was deleted.

use std::path::{Path, PathBuf};

/// Why git could not answer, for a tool error.
pub type GitError = String;

fn git(root: &Path, args: &[&str], what: &str) -> Result<String, GitError> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("{what} needs the `git` command: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what}: git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn top_level(root: &Path, what: &str) -> Result<PathBuf, GitError> {
    let top = git(root, &["rev-parse", "--show-toplevel"], what)
        .map_err(|_| format!("{what}: {} is not inside a git repository", root.display()))?;
    let top = PathBuf::from(top.trim());
    Ok(std::fs::canonicalize(&top).unwrap_or(top))
}

/// NUL-separated repository paths → project-relative paths under `root`.
fn under_root(top: &Path, root: &Path, out: &str, files: &mut Vec<String>) {
    for name in out.split('\0').filter(|n| !n.is_empty()) {
        let abs = top.join(name);
        if let Ok(rel) = abs.strip_prefix(root) {
            files.push(super::paths::slashes(rel));
        }
    }
}

/// Files changed since the merge base of `rev` and HEAD — committed, staged, unstaged, untracked
/// and deleted — relative to `root`.
pub fn changed_since(root: &Path, rev: &str) -> Result<Vec<String>, GitError> {
    let what = format!("--changed-since {rev}");
    let top = top_level(root, &what)?;
    let base = git(root, &["merge-base", rev, "HEAD"], &what)?;
    let mut files = Vec::new();
    let diff = git(
        root,
        &["diff", "--name-only", "-z", "--no-renames", base.trim()],
        &what,
    )?;
    under_root(&top, root, &diff, &mut files);
    let untracked = git(
        root,
        &[
            "ls-files",
            "--others",
            "--exclude-standard",
            "-z",
            "--full-name",
        ],
        &what,
    )?;
    under_root(&top, root, &untracked, &mut files);
    files.sort();
    files.dedup();
    Ok(files)
}

/// Files the next commit changes (the index against HEAD), deletions included. In a repository
/// without commits yet, everything staged.
pub fn staged(root: &Path) -> Result<Vec<String>, GitError> {
    let what = "--staged";
    let top = top_level(root, what)?;
    let has_head = git(root, &["rev-parse", "--verify", "--quiet", "HEAD"], what).is_ok();
    let out = if has_head {
        git(
            root,
            &[
                "diff",
                "--cached",
                "--name-only",
                "-z",
                "--no-renames",
                "HEAD",
            ],
            what,
        )?
    } else {
        git(root, &["ls-files", "-z", "--full-name"], what)?
    };
    let mut files = Vec::new();
    under_root(&top, root, &out, &mut files);
    files.sort();
    files.dedup();
    Ok(files)
}
