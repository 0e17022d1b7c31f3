//! The integration register, `integrations.toml`: which external system uses which Salesforce
//! identity, who owns it, and how it fails. Parsed with locations so findings point at the entry
//! and key.

use super::toml_tree::{self, Node, TomlError};
use std::ops::Range;

pub const FILE_NAME: &str = "integrations.toml";

/// Keys of an `[[integration]]` entry.
pub const ENTRY_KEYS: &[&str] = &[
    "system",
    "user",
    "owner",
    "support-contact",
    "auth",
    "connected-app",
    "permission-sets",
    "profile",
    "objects",
    "direction",
    "frequency",
    "api-volume",
    "retry",
    "error-owner",
    "alerts",
    "offboarding",
    "license",
    "review-by",
    "notes",
    "extra",
];

/// Required for every entry (product spec §4); `connected-app` and the identity are conditional.
pub const REQUIRED_KEYS: &[&str] = &[
    "system",
    "user",
    "owner",
    "support-contact",
    "auth",
    "objects",
    "direction",
    "frequency",
    "retry",
    "error-owner",
    "alerts",
    "offboarding",
];

const ENUMS: &[(&str, &[&str])] = &[
    (
        "auth",
        &[
            "oauth-client-credentials",
            "oauth-jwt",
            "oauth-web-server",
            "named-credential",
            "password",
            "other",
        ],
    ),
    ("direction", &["inbound", "outbound", "both"]),
    (
        "frequency",
        &["real-time", "scheduled", "event-based", "manual"],
    ),
    ("license", &["integration", "full", "shared"]),
];

/// The values an enumerated key accepts (`direction`, `frequency`, `auth`, `license`).
pub fn allowed_values(key: &str) -> &'static [&'static str] {
    ENUMS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(&[], |(_, v)| v)
}

pub const EDITIONS: &[&str] = &[
    "enterprise",
    "unlimited",
    "performance",
    "developer",
    "professional",
    "essentials",
    "starter",
    "pro-suite",
    "group",
];

/// Keys that must reach a person or a team.
pub const CONTACT_KEYS: &[&str] = &["owner", "support-contact", "error-owner", "alerts"];

/// A value that only looks like a contact: the reserved example domains (`example.com`,
/// `example.org`, `example.net`, and the `.example`, `.test`, `.invalid` and `.localhost`
/// top-level domains, RFC 2606), mailboxes nobody reads (`none@`, `noreply@`, `no-reply@`,
/// `test@`), and fill-ins (`changeme`, `tbd`, `todo`, `n/a`, `none`, `xxx`).
pub fn is_placeholder_contact(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    const FILL_INS: &[&str] = &[
        "changeme",
        "change-me",
        "change me",
        "tbd",
        "todo",
        "n/a",
        "na",
        "none",
        "xxx",
        "?",
        "-",
    ];
    if FILL_INS.contains(&t.as_str()) || t.contains("changeme") {
        return true;
    }
    let Some((local, domain)) = t.rsplit_once('@') else {
        return false;
    };
    let domain = domain.trim_end_matches('.');
    let reserved_domain = ["example.com", "example.org", "example.net"]
        .iter()
        .any(|d| domain == *d || domain.ends_with(&format!(".{d}")))
        || [".example", ".test", ".invalid", ".localhost"]
            .iter()
            .any(|tld| domain.ends_with(tld))
        || ["example", "test", "invalid", "localhost"].contains(&domain);
    let nobody = [
        "none",
        "noreply",
        "no-reply",
        "donotreply",
        "do-not-reply",
        "test",
        "changeme",
    ]
    .contains(&local);
    reserved_domain || nobody
}

#[derive(Debug, Clone)]
pub struct Field {
    pub key: String,
    pub key_span: Range<usize>,
    pub node: Node,
}

#[derive(Debug, Clone)]
pub struct Entry {
    /// The entry's `[[integration]]` header.
    pub span: Range<usize>,
    pub fields: Vec<Field>,
    /// The team's own keys, `[integration.extra]`: free names, plain values (strings, numbers,
    /// booleans, dates, lists of strings) that custom policies read.
    pub extra: Vec<Field>,
    /// Which entry of its `system` this is, from 1 (systems compared ignoring ASCII case): the
    /// `#2` of a second entry's anchor. Counted once when the register is read.
    pub nth_of_system: usize,
}

impl Entry {
    pub fn field(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// A key of the team's own (`[integration.extra]`).
    pub fn extra(&self, key: &str) -> Option<&Field> {
        self.extra.iter().find(|f| f.key == key)
    }

    /// A string value, trimmed; empty strings count as absent.
    pub fn text(&self, key: &str) -> Option<&str> {
        match &self.field(key)?.node.value {
            toml_tree::Value::String(s) | toml_tree::Value::Datetime(s) => {
                Some(s.trim()).filter(|s| !s.is_empty())
            }
            _ => None,
        }
    }

    /// A list of strings with spans (a single string is a one-item list).
    pub fn list(&self, key: &str) -> Vec<(String, Range<usize>)> {
        let Some(f) = self.field(key) else {
            return Vec::new();
        };
        match &f.node.value {
            toml_tree::Value::String(s) => vec![(s.clone(), f.node.span.clone())],
            toml_tree::Value::Array(items) => items
                .iter()
                .filter_map(|n| match &n.value {
                    toml_tree::Value::String(s) => Some((s.clone(), n.span.clone())),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn system(&self) -> &str {
        self.text("system").unwrap_or("")
    }

    /// `license`, defaulting to `integration` (one Salesforce Integration user per system).
    pub fn license(&self) -> &str {
        self.text("license").unwrap_or("integration")
    }

    /// Required keys this entry lacks, leaves empty, or fills with a placeholder contact.
    pub fn missing(&self) -> Vec<String> {
        let mut missing: Vec<String> = REQUIRED_KEYS
            .iter()
            .filter(|k| !self.has(k))
            .map(|k| k.to_string())
            .collect();
        for key in CONTACT_KEYS {
            if let Some(text) = self.text(key) {
                if is_placeholder_contact(text) {
                    missing.push(format!("{key} (`{text}` is a placeholder, not a contact)"));
                }
            }
        }
        if self.text("auth").is_some_and(|a| a.starts_with("oauth")) && !self.has("connected-app") {
            missing.push("connected-app".into());
        }
        if !self.has("permission-sets") && !self.has("profile") {
            missing.push("permission-sets or profile".into());
        }
        if self.license() == "shared" && !self.has("review-by") {
            missing.push("review-by (required when license = \"shared\")".into());
        }
        missing
    }

    fn has(&self, key: &str) -> bool {
        match self.field(key).map(|f| &f.node.value) {
            Some(toml_tree::Value::String(s)) => !s.trim().is_empty(),
            Some(toml_tree::Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
            None => false,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Register {
    pub edition: Option<(String, Range<usize>)>,
    pub integration_licenses: Option<(i64, Range<usize>)>,
    pub entries: Vec<Entry>,
}

impl Register {
    pub fn parse(text: &str) -> Result<Register, TomlError> {
        let root = toml_tree::parse(text)?;
        let top = root.as_table("integrations.toml")?;
        top.deny_unknown(
            "integrations.toml",
            &["edition", "integration-licenses", "integration"],
        )?;
        let mut register = Register::default();
        if let Some(e) = top.get("edition") {
            let edition = e.node.as_str("edition")?.trim().to_lowercase();
            if !EDITIONS.contains(&edition.as_str()) {
                return Err(TomlError::new(
                    e.node.span.clone(),
                    format!(
                        "unknown edition `{edition}` (expected one of {})",
                        EDITIONS.join(", ")
                    ),
                ));
            }
            register.edition = Some((edition, e.node.span.clone()));
        }
        if let Some(e) = top.get("integration-licenses") {
            let n = e.node.as_integer("integration-licenses")?;
            if n < 0 {
                return Err(TomlError::new(
                    e.node.span.clone(),
                    "`integration-licenses` cannot be negative",
                ));
            }
            register.integration_licenses = Some((n, e.node.span.clone()));
        }
        if let Some(list) = top.get("integration") {
            let mut seen: rustc_hash::FxHashMap<String, usize> = Default::default();
            for item in list.node.as_array("integration")? {
                let mut entry = parse_entry(item)?;
                let count = seen.entry(entry.system().to_ascii_lowercase()).or_default();
                *count += 1;
                entry.nth_of_system = *count;
                register.entries.push(entry);
            }
        }
        Ok(register)
    }

    /// Integration licenses the edition includes free (or the number bought, when set).
    pub fn allotment(&self) -> (i64, String) {
        if let Some((n, _)) = &self.integration_licenses {
            return (*n, format!("integration-licenses = {n}"));
        }
        let edition = self
            .edition
            .as_ref()
            .map_or("enterprise", |(e, _)| e.as_str());
        let free = match edition {
            "enterprise" | "unlimited" | "performance" => 5,
            "developer" => 1,
            _ => 0,
        };
        let assumed = if self.edition.is_none() {
            " (assumed; set `edition`)"
        } else {
            ""
        };
        (free, format!("{edition} edition{assumed} includes {free}"))
    }
}

fn parse_entry(item: &Node) -> Result<Entry, TomlError> {
    let t = item.as_table("integration")?;
    t.deny_unknown("[[integration]]", ENTRY_KEYS)?;
    let mut fields = Vec::new();
    let mut extra = Vec::new();
    for e in &t.entries {
        match e.key.as_str() {
            "extra" => {
                let table = e.node.as_table("extra")?;
                for x in &table.entries {
                    let plain = match &x.node.value {
                        toml_tree::Value::Table(_) => false,
                        toml_tree::Value::Array(items) => items
                            .iter()
                            .all(|i| matches!(i.value, toml_tree::Value::String(_))),
                        _ => true,
                    };
                    if !plain {
                        return Err(TomlError::new(
                            x.node.span.clone(),
                            format!(
                                "`extra.{}` must be a string, number, boolean, date or list of strings (extra keys are flat)",
                                x.key
                            ),
                        ));
                    }
                    extra.push(Field {
                        key: x.key.clone(),
                        key_span: x.key_span.clone(),
                        node: x.node.clone(),
                    });
                }
                continue;
            }
            "permission-sets" | "objects" => {
                if !matches!(e.node.value, toml_tree::Value::String(_)) {
                    e.node.as_str_list(&e.key)?;
                }
            }
            "review-by" => {
                let text = e.node.as_date_text("review-by")?;
                if !text.trim().is_empty()
                    && !crate::config::is_iso_date(text.get(..10).unwrap_or(text))
                {
                    return Err(TomlError::new(
                        e.node.span.clone(),
                        format!("`review-by` must be a date YYYY-MM-DD, found `{text}`"),
                    ));
                }
            }
            key => {
                let value = e.node.as_str(key)?;
                if let Some((_, allowed)) = ENUMS.iter().find(|(k, _)| *k == key) {
                    // Empty means "not filled in yet": integration-register-incomplete says so.
                    if !value.trim().is_empty() && !allowed.contains(&value.trim()) {
                        return Err(TomlError::new(
                            e.node.span.clone(),
                            format!(
                                "`{key}` must be one of {}, found `{value}`",
                                allowed.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        fields.push(Field {
            key: e.key.clone(),
            key_span: e.key_span.clone(),
            node: e.node.clone(),
        });
    }
    Ok(Entry {
        span: item.span.clone(),
        fields,
        extra,
        nth_of_system: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r##"edition = "enterprise"

[[integration]]
system = "Talkdesk"
user = "int_talkdesk@company.com"
owner = "Telephony team"
support-contact = "support@talkdesk.com"
auth = "oauth-client-credentials"
connected-app = "Talkdesk"
permission-sets = ["Talkdesk_Integration"]
objects = ["Lead", "Contact"]
direction = "inbound"
frequency = "real-time"
retry = "3 attempts"
error-owner = "Telephony team"
alerts = "#telephony-alerts"
offboarding = "Revoke the app"

[[integration]]
system = "Snowflake"
user = "int_snowflake@company.com"
auth = "oauth-jwt"
license = "shared"
"##;

    #[test]
    fn parses_entries_and_finds_missing_fields() {
        let r = Register::parse(GOOD).unwrap();
        assert_eq!(r.entries.len(), 2);
        assert!(
            r.entries[0].missing().is_empty(),
            "{:?}",
            r.entries[0].missing()
        );
        let missing = r.entries[1].missing();
        assert!(missing.iter().any(|m| m == "owner"));
        assert!(missing.iter().any(|m| m == "connected-app"));
        assert!(missing.iter().any(|m| m.starts_with("review-by")));
        let span = r.entries[1].field("user").unwrap().key_span.clone();
        assert_eq!(&GOOD[span], "user");
        assert_eq!(r.allotment().0, 5);
        // An entry's span is its `[[integration]]` header.
        assert_eq!(&GOOD[r.entries[1].span.clone()], "[[integration]]");
        assert!(r.entries[1].span.start > r.entries[0].span.start);
    }

    #[test]
    fn placeholder_contacts_are_not_contacts() {
        for placeholder in [
            "support@talkdesk.example",
            "ops@example.com",
            "ops@mail.example.org",
            "team@acme.test",
            "a@b.invalid",
            "noreply@talkdesk.com",
            "none@acme.com",
            "test@acme.com",
            "changeme",
            "CHANGEME@acme.com",
            "TBD",
        ] {
            assert!(is_placeholder_contact(placeholder), "{placeholder}");
        }
        for real in [
            "support@talkdesk.com",
            "Telephony team",
            "#telephony-alerts",
            "examples@acme.com",
            "tester@acme.com",
        ] {
            assert!(!is_placeholder_contact(real), "{real}");
        }
        let text = GOOD.replace("support@talkdesk.com", "noreply@talkdesk.com");
        let r = Register::parse(&text).unwrap();
        assert_eq!(
            r.entries[0].missing(),
            ["support-contact (`noreply@talkdesk.com` is a placeholder, not a contact)"]
        );
    }

    #[test]
    fn unknown_keys_and_bad_values_are_located() {
        let text = "[[integration]]\nsystem = \"X\"\nowners = \"me\"\n";
        let e = Register::parse(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "owners");
        let text = "[[integration]]\ndirection = \"sideways\"\n";
        let e = Register::parse(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "\"sideways\"");
        let e = Register::parse("edition = \"gold\"\n").unwrap_err();
        assert!(e.message.contains("unknown edition"));
    }

    #[test]
    fn entries_of_one_system_are_numbered_ignoring_case() {
        // The second Talkdesk entry is `#2` whatever its case; another system starts again at 1,
        // and an entry without a system counts among the other entries without one.
        let text = "[[integration]]\nsystem = \"Talkdesk\"\n\
                    [[integration]]\nsystem = \"Marketo\"\n\
                    [[integration]]\nsystem = \" TALKDESK \"\n\
                    [[integration]]\nowner = \"me\"\n\
                    [[integration]]\nsystem = \"talkdesk\"\n\
                    [[integration]]\nsystem = \"\"\n";
        let r = Register::parse(text).unwrap();
        let nth: Vec<usize> = r.entries.iter().map(|e| e.nth_of_system).collect();
        assert_eq!(nth, [1, 1, 2, 1, 3, 2]);
    }
}
