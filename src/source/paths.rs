//! The paths a report shows.
//!
//! Inside a git repository, machine formats (json, sarif, junit, github, gitlab) give paths
//! relative to the repository root, so annotations land on real files when the sfdx project sits
//! in a sub-folder of a monorepo. Human output gives paths relative to the current directory, so
//! a terminal can open them. Outside git, both are relative to the project root. Fingerprints and
//! baselines always use the project-relative path: they must not depend on where sfpolicy runs.

use std::path::{Path, PathBuf};

/// Who reads the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathStyle {
    /// Relative to the project root: fingerprints, baselines, test expectations.
    Project,
    /// Relative to the git repository root (the project root outside git): machine formats.
    Repository,
    /// Relative to the current directory (project-relative outside git): people.
    Human,
}

#[derive(Debug, Clone, Default)]
pub struct RepoPaths {
    /// The git work tree holding the project, if any.
    pub repo_root: Option<PathBuf>,
    /// The project root relative to the repository root, forward slashes, `""` when they are the
    /// same (or outside git).
    pub project_in_repo: String,
    /// The project root relative to the current directory (`""` when they are the same, `..`
    /// segments allowed); `None` outside git, where human paths are project-relative.
    project_from_cwd: Option<String>,
}

/// The nearest folder at or above `dir` holding `.git` (a folder, or a file for worktrees and
/// submodules).
pub fn git_work_tree(dir: &Path) -> Option<PathBuf> {
    let mut cur = Some(dir);
    while let Some(d) = cur {
        if d.join(".git").exists() {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}

/// `path` relative to `base`, both absolute, with `..` where needed, forward slashes.
pub fn relative_to(path: &Path, base: &Path) -> Option<String> {
    let rel = pathdiff::diff_paths(path, base)?;
    Some(slashes(&rel))
}

/// Is project path `rel` inside folder `dir` (both with forward slashes), below it rather than
/// equal to it? `force-app/x` is under `force-app`; `force-apps/x` is not.
pub fn is_under(rel: &str, dir: &str) -> bool {
    rel.len() > dir.len() && rel.starts_with(dir) && rel.as_bytes()[dir.len()] == b'/'
}

/// A path with forward slashes (`.` segments dropped).
pub fn slashes(path: &Path) -> String {
    // Most paths (every one a walk of the project yields) are already written so: no need to
    // take them apart component by component.
    #[cfg(unix)]
    if let Some(text) = path.to_str().filter(|t| already_slashed(t)) {
        return text.to_string();
    }
    slashes_by_components(path)
}

/// Whether `slashes` gives this Unix path back unchanged: no empty or `.` segment and no
/// trailing slash.
#[cfg(unix)]
pub(crate) fn already_slashed(text: &str) -> bool {
    // One pass over the bytes: only the first segment may be empty (a leading slash); an empty
    // segment after it is a doubled or trailing slash.
    text == "/"
        || (!text.is_empty()
            && text
                .as_bytes()
                .split(|&b| b == b'/')
                .enumerate()
                .all(|(i, segment)| segment != b"." && (i == 0 || !segment.is_empty())))
}

/// `slashes` the long way (what the short way must agree with).
pub(crate) fn slashes_by_components(path: &Path) -> String {
    use std::path::Component;
    let mut out = String::new();
    for c in path.components() {
        match c {
            Component::Prefix(p) => out.push_str(&p.as_os_str().to_string_lossy()),
            Component::RootDir => out.push('/'),
            Component::CurDir => {}
            other => {
                if !out.is_empty() && !out.ends_with('/') {
                    out.push('/');
                }
                out.push_str(&other.as_os_str().to_string_lossy());
            }
        }
    }
    out
}

fn join(prefix: &str, rel: &str) -> String {
    match (prefix.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) => format!("{prefix}/{rel}"),
    }
}

impl RepoPaths {
    pub fn discover(project_root: &Path) -> RepoPaths {
        let root = std::fs::canonicalize(project_root).unwrap_or_else(|_| project_root.into());
        let Some(repo_root) = git_work_tree(&root) else {
            return RepoPaths::default();
        };
        let project_in_repo = relative_to(&root, &repo_root).unwrap_or_default();
        let project_from_cwd = std::env::current_dir()
            .ok()
            .and_then(|cwd| std::fs::canonicalize(&cwd).ok())
            .and_then(|cwd| relative_to(&root, &cwd));
        RepoPaths {
            repo_root: Some(repo_root),
            project_in_repo,
            project_from_cwd,
        }
    }

    /// A project-relative path as this style shows it.
    pub fn display(&self, rel: &str, style: PathStyle) -> String {
        match style {
            PathStyle::Project => rel.to_string(),
            PathStyle::Repository => join(&self.project_in_repo, rel),
            PathStyle::Human => match &self.project_from_cwd {
                Some(prefix) => join(prefix, rel),
                None => rel.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_a_folder_means_below_it_at_a_slash() {
        assert!(is_under("force-app/main/x.xml", "force-app"));
        assert!(is_under("force-app/main/x.xml", "force-app/main"));
        assert!(!is_under("force-app", "force-app"));
        assert!(!is_under("force-apps/x.xml", "force-app"));
        assert!(!is_under("force-app", "force-app/main"));
        assert!(!is_under("x.xml", ""));
    }

    #[test]
    fn styles() {
        let p = RepoPaths {
            repo_root: Some("/repo".into()),
            project_in_repo: "salesforce".into(),
            project_from_cwd: Some("../salesforce".into()),
        };
        assert_eq!(p.display("a/b.xml", PathStyle::Project), "a/b.xml");
        assert_eq!(
            p.display("a/b.xml", PathStyle::Repository),
            "salesforce/a/b.xml"
        );
        assert_eq!(
            p.display("a/b.xml", PathStyle::Human),
            "../salesforce/a/b.xml"
        );
        let outside = RepoPaths::default();
        assert_eq!(outside.display("a/b.xml", PathStyle::Repository), "a/b.xml");
        assert_eq!(outside.display("a/b.xml", PathStyle::Human), "a/b.xml");
    }

    #[test]
    fn slashes_written_or_taken_apart_agree() {
        for p in [
            "",
            "/",
            ".",
            "./",
            "a",
            "a/",
            "a/b",
            "/a/b",
            "a//b",
            "a/./b",
            "./a",
            "a/.",
            "..",
            "../a/b",
            "a/../b",
            "/a/b/",
            "//a",
            "a/b c/d.xml",
            "a/.hidden/b",
        ] {
            assert_eq!(
                slashes(Path::new(p)),
                slashes_by_components(Path::new(p)),
                "{p:?}"
            );
        }
    }

    #[test]
    fn relative_paths_climb() {
        assert_eq!(
            relative_to(Path::new("/r/sf/x"), Path::new("/r/docs")).as_deref(),
            Some("../sf/x")
        );
        assert_eq!(
            relative_to(Path::new("/r"), Path::new("/r")).as_deref(),
            Some("")
        );
    }
}
