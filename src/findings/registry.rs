//! The rule registry: every rule, written in Rhai or in Rust, with its id, default severity,
//! category, the metadata it reads, summary, documentation and options. `rules`, `explain`,
//! `--select`/`--ignore`, SARIF rule metadata and `docs/rules.md` all read it.

use super::waivers::{WAIVER_EXPIRED, WAIVER_UNUSED};
use super::Severity;
use std::fmt::Write;

/// What a rule is about: SARIF tags, GitLab categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Access, authentication, bypasses: GitHub ranks these by `security-severity`.
    Security,
    /// The metadata or the register is wrong or inconsistent.
    Correctness,
    /// Naming, documentation, ownership: what keeps an org operable.
    Maintainability,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Correctness => "correctness",
            Category::Maintainability => "maintainability",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        match text {
            "security" => Some(Category::Security),
            "correctness" => Some(Category::Correctness),
            "maintainability" => Some(Category::Maintainability),
            _ => None,
        }
    }

    pub const NAMES: &'static [&'static str] = &["security", "correctness", "maintainability"];
}

#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub id: String,
    pub severity: Severity,
    pub category: Category,
    /// Metadata kinds it reads (root element names); empty: the whole org.
    pub kinds: Vec<String>,
    pub summary: String,
    /// Markdown, starting with `# id`.
    pub docs: String,
    /// Options and their defaults, as written in `sfpolicy.toml`.
    pub options: Vec<(String, String)>,
    /// `rules/x.rhai`, a custom policy's path, or `built in (Rust)`.
    pub origin: String,
    /// Written in Rust (not a policy file).
    pub native: bool,
}

impl RuleInfo {
    /// The metadata kinds it reads, for people: `ConnectedApp, Flow`, or `the whole org`.
    pub fn reads(&self) -> String {
        if self.kinds.is_empty() {
            "the whole org".to_string()
        } else {
            self.kinds.join(", ")
        }
    }
}

pub const INVALID_METADATA: &str = "invalid-metadata";
pub const UNREAD_METADATA: &str = "unread-metadata";

fn native(
    id: &str,
    severity: Severity,
    category: Category,
    reads: &str,
    summary: &str,
    body: &str,
) -> RuleInfo {
    RuleInfo {
        id: id.to_string(),
        severity,
        category,
        kinds: if reads.is_empty() {
            Vec::new()
        } else {
            vec![reads.to_string()]
        },
        summary: summary.to_string(),
        docs: format!("# {id}\n\n{body}"),
        options: Vec::new(),
        origin: "built in (Rust)".to_string(),
        native: true,
    }
}

/// The checks written in Rust.
pub fn native_rules() -> Vec<RuleInfo> {
    vec![
        native(
            INVALID_METADATA,
            Severity::Error,
            Category::Correctness,
            "every file",
            "a metadata file that is not well-formed XML or has the wrong root element",
            "**What it finds.** A metadata file sfpolicy cannot read: not well-formed XML, not UTF-8, \
             a DTD entity, forbidden control characters, or a root element that does not match the \
             file's suffix (a `.profile-meta.xml` holding a `<PermissionSet>`).\n\n\
             **Why it matters.** Salesforce would reject the deployment, and no rule can check what \
             cannot be read: a broken file must never pass silently.\n\n\
             **Example.** `<fullName>Admin</fullNam>` in `Admin.profile-meta.xml`.\n\n\
             **How to fix.** Fix the file at the line and column given. The other files are still \
             checked.",
        ),
        native(
            UNREAD_METADATA,
            Severity::Warning,
            Category::Correctness,
            "every file",
            "metadata sfpolicy recognises but did not read (a symlink, an unreadable folder)",
            "**What it finds.** A metadata file or folder sfpolicy recognised but did not read: a \
             symbolic link (never followed, so a link cannot pull files from outside the project \
             into the check), or a folder it may not read.\n\n\
             **Why it matters.** A linter that skips a file quietly passes what it never saw: a \
             symlinked profile would escape every rule.\n\n\
             **Example.** `profiles/Integration.profile-meta.xml -> /shared/Integration.profile`.\n\n\
             **How to fix.** Commit the file itself instead of a link, or fix the folder's \
             permissions.",
        ),
        native(
            WAIVER_UNUSED,
            Severity::Warning,
            Category::Maintainability,
            "sfpolicy.toml",
            "a waiver that matches no finding",
            "**What it finds.** A `[[waivers]]` entry in `sfpolicy.toml` that matches no finding: \
             the problem was fixed, or the path or rule is wrong.\n\n\
             **Why it matters.** Exceptions must stay intentional: a stale waiver would silently \
             hide the problem if it came back.\n\n\
             **How to fix.** Remove the waiver. Reported at the waiver.",
        ),
        native(
            WAIVER_EXPIRED,
            Severity::Warning,
            Category::Maintainability,
            "sfpolicy.toml",
            "a waiver past its expiry date",
            "**What it finds.** A `[[waivers]]` entry whose `expires` date has passed: the finding \
             it waived is reported again, and this finding points at the waiver.\n\n\
             **Why it matters.** Accepted risks are temporary; an expired one needs a decision.\n\n\
             **How to fix.** Fix the finding, or renew the waiver with a new date and reason.",
        ),
    ]
}

/// A rule's options and their defaults, as Markdown (rule reference and `explain`).
fn options_block(r: &RuleInfo) -> String {
    if r.options.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "Options (`[rules] {} = {{ ... }}` in `sfpolicy.toml`):\n\n",
        r.id
    );
    for (k, v) in &r.options {
        let _ = writeln!(out, "- `{k}`, default `{v}`");
    }
    out.push('\n');
    out
}

/// Every rule of a run, in id order.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    rules: Vec<RuleInfo>,
}

impl Registry {
    /// Native checks plus the given policies; ids must be unique (the policy loader reports a
    /// duplicate with its location before this).
    pub fn new(policies: impl IntoIterator<Item = RuleInfo>) -> Registry {
        let mut rules = native_rules();
        rules.extend(policies);
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        Registry { rules }
    }

    pub fn rules(&self) -> &[RuleInfo] {
        &self.rules
    }

    pub fn get(&self, id: &str) -> Option<&RuleInfo> {
        self.rules
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.rules[i])
    }

    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.id.as_str())
    }

    /// `unknown rule `x`; did you mean `y`?` for an id that is not registered.
    pub fn unknown(&self, id: &str) -> String {
        format!(
            "unknown rule `{id}`{} (see `sfpolicy rules`)",
            crate::util::did_you_mean(self.ids(), id)
        )
    }

    /// `docs/rules.md`: generated from the registry, checked by a test.
    pub fn reference_markdown(&self) -> String {
        let mut out = String::from(
            "# Rule reference\n\n<!-- Generated from the rules' documentation by `UPDATE_DOCS=1 cargo test --test rules`. Do not edit. -->\n\n| rule | default | category | reads | summary |\n|---|---|---|---|---|\n",
        );
        for r in &self.rules {
            let _ = writeln!(
                out,
                "| [`{id}`](#{id}) | {} | {} | {} | {} |",
                r.severity,
                r.category.as_str(),
                r.reads(),
                r.summary,
                id = r.id
            );
        }
        out.push('\n');
        for r in &self.rules {
            let body = r.docs.split_once('\n').map_or("", |(_, rest)| rest).trim();
            let _ = writeln!(
                out,
                "## {}\n\nDefault severity: **{}**. Category: {}. Source: {}.\n\n{body}\n",
                r.id,
                r.severity,
                r.category.as_str(),
                r.origin
            );
            out.push_str(&options_block(r));
        }
        out.trim_end().to_string() + "\n"
    }

    /// `sfpolicy explain RULE`.
    pub fn explain(&self, id: &str) -> Option<String> {
        let r = self.get(id)?;
        let mut text = r.docs.clone();
        let _ = write!(
            text,
            "\n\nDefault severity: {}. Category: {}. Reads: {}. Source: {}\n",
            r.severity,
            r.category.as_str(),
            r.reads(),
            r.origin
        );
        if !r.options.is_empty() {
            text.push('\n');
            text.push_str(&options_block(r));
        }
        Some(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_rules_are_documented_and_unique() {
        let registry = Registry::new(Vec::new());
        let mut ids: Vec<&str> = registry.ids().collect();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for r in registry.rules() {
            assert!(r.docs.starts_with(&format!("# {}\n", r.id)));
            assert!(r.docs.contains("**What it finds.**"), "{}", r.id);
        }
        assert!(registry.explain(WAIVER_UNUSED).is_some());
        assert!(registry
            .unknown("waiver-unusd")
            .contains("did you mean `waiver-unused`"));
    }
}
