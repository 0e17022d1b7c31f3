//! `--format sarif`: SARIF 2.1.0, as GitHub code scanning (and other SARIF viewers) read it.
//!
//! Built with the `serde-sarif` types, generated from the official 2.1.0 schema, so every
//! property name and nesting is the schema's own. What the schema leaves open and GitHub needs:
//! relative `uri`s (percent-encoded) under `%SRCROOT%`, 1-based regions counted in Unicode code
//! points (`columnKind`), `partialFingerprints` that survive unrelated edits, and rules carrying
//! help text and a `security-severity`.

use super::{ReportInput, Sources, Span};
use crate::findings::{Finding, Severity};
use rustc_hash::FxHashMap;
use serde_json::json;
use serde_sarif::sarif;
use std::collections::BTreeMap;
use std::path::Path;

pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of the fingerprint in `partialFingerprints`; bump the version if the hash ever changes.
pub const FINGERPRINT_KEY: &str = "sfpolicy/v1";
pub const SRCROOT: &str = "%SRCROOT%";

/// The rule metadata a run describes: every rule that ran, plus any rule a finding names that is
/// not among them, so that every result's `ruleIndex` points at a descriptor.
struct RuleRef<'a> {
    id: &'a str,
    severity: Severity,
    summary: &'a str,
    docs: &'a str,
}

pub fn render(input: &ReportInput) -> String {
    let sources = Sources::new(input.org, input.findings);

    let mut rules: Vec<RuleRef> = input
        .rules
        .iter()
        .map(|r| RuleRef {
            id: &r.id,
            severity: r.severity,
            summary: &r.summary,
            docs: &r.docs,
        })
        .collect();
    let mut index: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, r) in rules.iter().enumerate() {
        index.entry(r.id).or_insert(i);
    }
    for f in input.findings {
        if !index.contains_key(f.rule.as_str()) {
            index.insert(&f.rule, rules.len());
            rules.push(RuleRef {
                id: &f.rule,
                severity: f.severity,
                summary: &f.rule,
                docs: "",
            });
        }
    }

    let descriptors: Vec<sarif::ReportingDescriptor> = rules.iter().map(descriptor).collect();
    let results: Vec<sarif::Result> = input
        .findings
        .iter()
        .map(|f| result(f, index[f.rule.as_str()], &sources))
        .collect();

    let mut driver = sarif::ToolComponent::builder()
        .name("sfpolicy")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(descriptors)
        .build();
    driver.information_uri = information_uri();

    let mut root = sarif::ArtifactLocation::builder()
        .description(sarif::Message::from(
            "The project root: the folder holding sfdx-project.json (or sfpolicy.toml).",
        ))
        .build();
    root.uri = root_uri(&input.org.root);

    let run = sarif::Run::builder()
        .tool(driver)
        .original_uri_base_ids(BTreeMap::from([(SRCROOT.to_string(), root)]))
        // Columns are counted in characters, not UTF-16 code units (the SARIF default).
        .column_kind(json!("unicodeCodePoints"))
        .results(results)
        .build();

    let log = sarif::Sarif::builder()
        .schema(SCHEMA)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF values always serialize");
    out.push('\n');
    out
}

fn descriptor(rule: &RuleRef) -> sarif::ReportingDescriptor {
    let level = match rule.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    };
    // GitHub ranks security alerts by this CVSS-like score: >= 7 high, >= 4 medium, else low.
    let security_severity = match rule.severity {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
        Severity::Info => "2.0",
    };
    let docs = if rule.docs.trim().is_empty() {
        rule.summary
    } else {
        rule.docs
    };
    sarif::ReportingDescriptor::builder()
        .id(rule.id)
        .name(pascal_case(rule.id))
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(rule.summary)
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(full_description(rule.docs).unwrap_or_else(|| rule.summary.to_string()))
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
                .level(json!(level))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(vec!["security".to_string()])
                .additional_properties(BTreeMap::from([(
                    "security-severity".to_string(),
                    json!(security_severity),
                )]))
                .build(),
        )
        .build()
}

fn result(f: &Finding, rule_index: usize, sources: &Sources) -> sarif::Result {
    let level = match f.severity {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Info => sarif::ResultLevel::Note,
    };
    let rel = sources.rel(f.loc.file);
    let span = sources.span(f.loc.file, f.loc.start, f.loc.end);
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
            let s = sources.span(r.loc.file, r.loc.start, r.loc.end);
            sarif::Location::builder()
                .id(i as i64 + 1)
                .physical_location(physical(sources.rel(r.loc.file), s))
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
            .physical_location(physical(rel, span))
            .build()])
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            f.fingerprint(rel),
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
