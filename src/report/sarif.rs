//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning (and other SARIF viewers) read it.
//!
//! Built with the `serde-sarif` types, generated from the official 2.1.0 schema, so every
//! property name and nesting is the schema's own. What the schema leaves open and GitHub needs:
//! repository-relative `uri`s (percent-encoded) under `%SRCROOT%` (the git work tree, or the
//! project root outside git), 1-based regions counted in Unicode code points (`columnKind`),
//! `partialFingerprints` that survive unrelated edits, rules carrying help text, a `helpUri`,
//! their configured level and `security-severity`, tags by category, and an
//! `automationDetails.id` that tells two projects in one repository apart.

use super::{ReportInput, RuleMeta};
use crate::diag::ToolError;
use crate::findings::registry::Category;
use crate::findings::{Finding, Severity};
use crate::source::{PathStyle, SourceDb, Span};
use rustc_hash::FxHashMap;
use serde_json::json;
use serde_sarif::sarif;
use std::collections::BTreeMap;
use std::path::Path;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of the fingerprint in `partialFingerprints`; bumped when the fingerprint changed
/// (v2: one identity per finding, built from its anchor).
pub const FINGERPRINT_KEY: &str = "sfpolicy/v2";
pub const SRCROOT: &str = "%SRCROOT%";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Where a rule's documentation lives: its section of `docs/rules.md` at this version.
pub fn help_uri(rule: &str) -> Option<String> {
    let repo = env!("CARGO_PKG_REPOSITORY");
    (!repo.is_empty()).then(|| {
        format!(
            "{}/blob/v{}/docs/rules.md#{rule}",
            repo.trim_end_matches('/'),
            env!("CARGO_PKG_VERSION")
        )
    })
}

fn driver(descriptors: Vec<sarif::ReportingDescriptor>) -> sarif::ToolComponent {
    let mut driver = sarif::ToolComponent::builder()
        .name("sfpolicy")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(descriptors)
        .build();
    driver.information_uri = information_uri();
    driver
}

/// `sfpolicy/<project folder in the repository>/`: GitHub keeps the alerts of each category
/// apart, so two sfdx projects in one repository do not close each other's alerts.
pub fn automation_id(sources: &SourceDb) -> String {
    let project = &sources.paths.project_in_repo;
    if project.is_empty() {
        "sfpolicy/".to_string()
    } else {
        format!("sfpolicy/{project}/")
    }
}

fn automation(sources: &SourceDb) -> sarif::RunAutomationDetails {
    let mut details = sarif::RunAutomationDetails::builder().build();
    details.id = Some(automation_id(sources));
    details
}

fn src_root(sources: &SourceDb) -> BTreeMap<String, sarif::ArtifactLocation> {
    let root = sources.paths.repo_root.as_deref().unwrap_or(&sources.root);
    let mut location = sarif::ArtifactLocation::builder()
        .description(sarif::Message::from(
            "The root of the git work tree (outside git, the project root: the folder holding sfdx-project.json or sfpolicy.toml).",
        ))
        .build();
    location.uri = root_uri(root);
    BTreeMap::from([(SRCROOT.to_string(), location)])
}

fn invocation(successful: bool, notifications: Vec<sarif::Notification>) -> sarif::Invocation {
    let mut invocation = sarif::Invocation::builder()
        .execution_successful(successful)
        .build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }
    invocation
}

fn log(run: sarif::Run) -> String {
    let log = sarif::Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    crate::escape::json_pretty(&log)
}

pub fn render(input: &ReportInput) -> String {
    // Every result's ruleIndex points at a descriptor: the rules that ran, plus any rule a
    // finding names that is not among them (described by its id alone).
    let mut extra: Vec<crate::findings::registry::RuleInfo> = Vec::new();
    for f in input.findings {
        if !input.rules.iter().any(|r| r.info.id == f.rule) && !extra.iter().any(|r| r.id == f.rule)
        {
            extra.push(crate::findings::registry::RuleInfo {
                id: f.rule.clone(),
                severity: f.severity,
                category: Category::Security,
                kinds: Vec::new(),
                summary: f.rule.clone(),
                docs: String::new(),
                options: Vec::new(),
                origin: String::new(),
                native: false,
            });
        }
    }
    let mut rules: Vec<RuleMeta> = input.rules.clone();
    rules.extend(extra.iter().map(|info| RuleMeta {
        info,
        severity: info.severity,
    }));
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, r) in rules.iter().enumerate() {
        index.entry(r.info.id.as_str()).or_insert(i);
    }

    let descriptors: Vec<sarif::ReportingDescriptor> = rules.iter().map(descriptor).collect();
    let results: Vec<sarif::Result> = input
        .findings
        .iter()
        .map(|f| result(f, index[f.rule.as_str()], input))
        .collect();

    let mut run = sarif::Run::builder()
        .tool(driver(descriptors))
        .original_uri_base_ids(src_root(input.sources))
        // Columns are counted in characters, not UTF-16 code units (the SARIF default).
        .column_kind(json!("unicodeCodePoints"))
        .results(results)
        .build();
    run.automation_details = Some(automation(input.sources));
    let notifications: Vec<sarif::Notification> = input.errors.iter().map(notification).collect();
    run.invocations = Some(vec![invocation(input.errors.is_empty(), notifications)]);
    log(run)
}

/// A tool error (bad config, broken policy) as a valid SARIF log: no results, and the error in
/// `invocations[].toolExecutionNotifications` with `executionSuccessful: false`, so the upload
/// step shows why instead of failing on a missing file.
pub fn render_error(error: &ToolError, sources: Option<&SourceDb>) -> String {
    let mut run = sarif::Run::builder()
        .tool(driver(Vec::new()))
        .results(Vec::<sarif::Result>::new())
        .build();
    if let Some(sources) = sources {
        run.original_uri_base_ids = Some(src_root(sources));
        run.automation_details = Some(automation(sources));
    }
    run.invocations = Some(vec![invocation(false, vec![notification(error)])]);
    log(run)
}

/// A tool error as an error-level `toolExecutionNotification`, located when it can be.
fn notification(error: &ToolError) -> sarif::Notification {
    let mut notification = sarif::Notification::builder()
        .message(sarif::Message::from(error.message.as_str()))
        .build();
    notification.level = Some(json!("error"));
    if let Some(at) = &error.location {
        let region = sarif::Region::builder()
            .start_line(at.line as i64)
            .start_column(at.column as i64)
            .build();
        let physical = sarif::PhysicalLocation::builder()
            .artifact_location(
                sarif::ArtifactLocation::builder()
                    .uri(encode_path(&at.path))
                    .build(),
            )
            .region(region)
            .build();
        notification.locations = Some(vec![sarif::Location::builder()
            .physical_location(physical)
            .build()]);
    }
    notification
}

fn descriptor(rule: &RuleMeta) -> sarif::ReportingDescriptor {
    let info = rule.info;
    // GitHub ranks security alerts by this CVSS-like score: >= 7 high, >= 4 medium, else low.
    let security_severity = match rule.severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    };
    let docs = if info.docs.trim().is_empty() {
        info.summary.as_str()
    } else {
        info.docs.as_str()
    };
    let mut properties = BTreeMap::new();
    if info.category == Category::Security {
        properties.insert("security-severity".to_string(), json!(security_severity));
    }
    let mut descriptor = sarif::ReportingDescriptor::builder()
        .id(info.id.as_str())
        .name(pascal_case(&info.id))
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(info.summary.as_str())
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(full_description(&info.docs).unwrap_or_else(|| info.summary.clone()))
                .build(),
        )
        .help(
            sarif::MultiformatMessageString::builder()
                .text(docs)
                .markdown(docs)
                .build(),
        )
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(level(rule.severity)))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(vec![info.category.as_str().to_string()])
                .additional_properties(properties)
                .build(),
        )
        .build();
    descriptor.help_uri = help_uri(&info.id);
    descriptor
}

fn result(f: &Finding, rule_index: usize, input: &ReportInput) -> sarif::Result {
    let level = match f.severity {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Info => sarif::ResultLevel::Note,
    };
    let span = input.span(&f.loc);
    let mut text = f.message.clone();
    if let Some(help) = f.help.as_deref().filter(|h| !h.trim().is_empty()) {
        if !text.ends_with(['.', '!', '?', ':']) {
            text.push('.');
        }
        text.push_str(" Help: ");
        text.push_str(help);
    }
    let related: Vec<sarif::Location> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let s = input.span(&r.loc);
            sarif::Location::builder()
                .id(i as i64 + 1)
                .physical_location(physical(
                    &input.sources.display(r.loc.file, PathStyle::Repository),
                    s,
                ))
                .message(sarif::Message::from(&r.message))
                .build()
        })
        .collect();
    let mut result = sarif::Result::builder()
        .rule_id(f.rule.as_str())
        .rule_index(rule_index as i64)
        .level(level)
        .message(sarif::Message::from(text.as_str()))
        .locations(vec![sarif::Location::builder()
            .physical_location(physical(&input.path(f.loc.file), span))
            .build()])
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            f.fingerprint.clone(),
        )]))
        .build();
    if !related.is_empty() {
        result.related_locations = Some(related);
    }
    result
}

fn physical(rel: &str, span: Span) -> sarif::PhysicalLocation {
    sarif::PhysicalLocation::builder()
        .artifact_location(
            sarif::ArtifactLocation::builder()
                .uri(encode_path(rel))
                .uri_base_id(SRCROOT)
                .build(),
        )
        .region(
            sarif::Region::builder()
                .start_line(span.line as i64)
                .start_column(span.column as i64)
                .end_line(span.end_line as i64)
                .end_column(span.end_column as i64)
                .build(),
        )
        .build()
}

/// The package's homepage or repository, when Cargo.toml names one.
fn information_uri() -> Option<String> {
    [env!("CARGO_PKG_HOMEPAGE"), env!("CARGO_PKG_REPOSITORY")]
        .into_iter()
        .find(|u| !u.is_empty())
        .map(str::to_string)
}

/// The first paragraph of a rule's documentation (after its `# id` heading), on one line and
/// without the `**What it finds.**` lead-in.
fn full_description(docs: &str) -> Option<String> {
    let paragraph = docs
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))?;
    let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text
        .strip_prefix("**What it finds.**")
        .map(str::trim_start)
        .unwrap_or(&text);
    (!text.is_empty()).then(|| text.to_string())
}

/// `connected-app-full-scope` → `ConnectedAppFullScope` (SARIF's rule `name`).
fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
            first.unwrap_or_default() + chars.as_str()
        })
        .collect()
}

/// Percent-encode a relative path for a URI (RFC 3986): every byte but the unreserved characters
/// and `/` is encoded, so spaces, `%`, `#`, `?`, `:` and non-ASCII names survive intact.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `file:///abs/root/` for an absolute project root (a Windows drive letter is kept as `C:`).
fn root_uri(root: &Path) -> Option<String> {
    if !root.is_absolute() {
        return None;
    }
    let text = root.to_string_lossy().replace('\\', "/");
    // `canonicalize` on Windows gives verbatim paths: `\\?\C:\...`.
    let text = text.strip_prefix("//?/").unwrap_or(&text);
    let mut uri = String::from("file://");
    for segment in text.split('/').filter(|s| !s.is_empty()) {
        uri.push('/');
        let drive = segment.len() == 2
            && segment.ends_with(':')
            && segment.as_bytes()[0].is_ascii_alphabetic();
        if drive {
            uri.push_str(segment);
        } else {
            uri.push_str(&encode_path(segment));
        }
    }
    uri.push('/');
    Some(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_per_segment() {
        assert_eq!(
            encode_path("force-app/main/default/profiles/Integration API.profile-meta.xml"),
            "force-app/main/default/profiles/Integration%20API.profile-meta.xml"
        );
        assert_eq!(
            encode_path("a/Custom%3A Sales/é#?.xml"),
            "a/Custom%253A%20Sales/%C3%A9%23%3F.xml"
        );
        assert_eq!(encode_path("x:y,z"), "x%3Ay%2Cz");
    }

    #[test]
    fn root_uri_is_an_absolute_file_uri_ending_in_a_slash() {
        if cfg!(windows) {
            return;
        }
        assert_eq!(
            root_uri(Path::new("/home/me/my org")).as_deref(),
            Some("file:///home/me/my%20org/")
        );
        assert_eq!(root_uri(Path::new("/")).as_deref(), Some("file:///"));
        assert_eq!(root_uri(Path::new("relative")), None);
    }

    #[test]
    fn names_and_descriptions() {
        assert_eq!(
            pascal_case("connected-app-full-scope"),
            "ConnectedAppFullScope"
        );
        let docs = "# r\n\n**What it finds.** A connected app\nwith `Full`.\n\n**Why.** x";
        assert_eq!(
            full_description(docs).as_deref(),
            Some("A connected app with `Full`.")
        );
        assert_eq!(full_description(""), None);
    }
}
