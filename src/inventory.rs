//! `sfpolicy inventory`: every connected app, external client app, named credential and external
//! credential, with the Salesforce user it runs as, what it pre-authorizes and the register entry
//! that documents it. `--write-register` drafts `integrations.toml` from the same facts.

use crate::analysis::{Analysis, RunAsSource};
use crate::model::Component;
use crate::model::Kind;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::Arc;

#[derive(Debug, Serialize)]
pub struct Item {
    pub kind: String,
    pub name: String,
    pub label: String,
    pub file: String,
    /// The Salesforce username it runs as (client credentials), when the metadata says.
    pub runs_as: Option<String>,
    /// Other systems sharing that user.
    pub shared_with: Vec<String>,
    /// `PermissionSet:Name`, `Profile:Name` it pre-authorizes.
    pub preauthorizes: Vec<String>,
    /// Objects its pre-authorized identities can access.
    pub objects: Vec<String>,
    /// The `system` of the register entry documenting it.
    pub register: Option<String>,
    /// Endpoint, principal type, external credential: facts about outbound credentials.
    pub details: Vec<String>,
}

fn app_item(a: &Analysis, app: &Arc<Component>) -> Item {
    let run_as = a
        .run_as
        .iter()
        .find(|r| matches!(&r.source, RunAsSource::App(c) if c.id == app.id));
    let mut shared_with = BTreeSet::new();
    if let Some(r) = run_as {
        for other in &a.run_as {
            if other.username.eq_ignore_ascii_case(&r.username)
                && !other.system.eq_ignore_ascii_case(&r.system)
            {
                shared_with.insert(other.system.clone());
            }
        }
    }
    let mut preauthorizes = Vec::new();
    let mut objects = BTreeSet::new();
    for p in a.preauths.iter().filter(|p| p.app.id == app.id) {
        let name = p.target.as_ref().map_or(p.name.clone(), |t| t.name.clone());
        preauthorizes.push(format!("{}:{name}", p.kind.as_str()));
        if let Some(t) = &p.target {
            if a.customer_owned(t) {
                for g in &a.effective_permissions(t).objects {
                    objects.insert(g.object.clone());
                }
            }
        }
    }
    let mut details = Vec::new();
    if let Some(oauth) = app.doc.child(app.node, "oauthConfig") {
        let scopes: Vec<&str> = app
            .doc
            .children_named(oauth, "scopes")
            .map(|s| app.doc.text(s).trim())
            .collect();
        if !scopes.is_empty() {
            details.push(format!("scopes: {}", scopes.join(", ")));
        }
        if app.doc.child(oauth, "certificate").is_some() {
            details.push("JWT certificate".into());
        }
    }
    Item {
        kind: app.kind.as_str().to_string(),
        name: app.name.clone(),
        label: app.label(),
        file: a.org.rel(app.file).to_string(),
        runs_as: run_as.map(|r| r.username.clone()),
        shared_with: shared_with.into_iter().collect(),
        preauthorizes,
        objects: objects.into_iter().collect(),
        register: a.register_system_of(app),
        details,
    }
}

fn credential_item(a: &Analysis, c: &Arc<Component>) -> Item {
    let doc = &c.doc;
    let mut details = Vec::new();
    let text = |tag: &str| doc.child_text(c.node, tag).filter(|t| !t.is_empty());
    if let Some(e) = text("endpoint") {
        details.push(format!("endpoint: {e}"));
    }
    for p in doc.children_named(c.node, "namedCredentialParameters") {
        match doc.child_text(p, "parameterType") {
            Some("Url") => {
                if let Some(v) = doc.child_text(p, "parameterValue") {
                    details.push(format!("endpoint: {v}"));
                }
            }
            Some("Authentication") => {
                if let Some(v) = doc.child_text(p, "externalCredential") {
                    details.push(format!("external credential: {v}"));
                }
            }
            _ => {}
        }
    }
    for (tag, what) in [
        ("principalType", "principal"),
        ("protocol", "protocol"),
        ("authenticationProtocol", "protocol"),
        ("username", "external login"),
    ] {
        if let Some(v) = text(tag) {
            details.push(format!("{what}: {v}"));
        }
    }
    for p in doc.children_named(c.node, "externalCredentialParameters") {
        let kind = doc.child_text(p, "parameterType").unwrap_or("");
        if kind.ends_with("Principal") {
            let name = doc.child_text(p, "parameterName").unwrap_or("");
            details.push(format!("{kind}: {name}"));
        }
    }
    Item {
        kind: c.kind.as_str().to_string(),
        name: c.name.clone(),
        label: c.label(),
        file: a.org.rel(c.file).to_string(),
        runs_as: None,
        shared_with: Vec::new(),
        preauthorizes: Vec::new(),
        objects: Vec::new(),
        register: a.register_system_of(c),
        details,
    }
}

/// One piece of evidence, located.
#[derive(Debug, Serialize)]
pub struct EvidenceItem {
    /// `register`, `app`, `licence`, `api-only`, `glob`, `name`, `platform`.
    pub kind: &'static str,
    pub text: String,
    pub strong: bool,
    /// `file:line` where it is written (repository-relative inside git).
    pub location: Option<String>,
}

/// Why a profile, permission set or group counts as an integration identity.
#[derive(Debug, Serialize)]
pub struct IdentityItem {
    pub kind: String,
    pub name: String,
    pub file: String,
    /// `strong` (the metadata or the team says so), `weak` (hints only: integration-only errors
    /// are not raised), or `platform` (Salesforce's own, checked only beyond its design).
    pub evidence_strength: &'static str,
    pub evidence: Vec<EvidenceItem>,
}

/// The inventory: apps and credentials, and the integration identities with their evidence.
#[derive(Debug, Serialize)]
pub struct Inventory {
    pub integrations: Vec<Item>,
    pub identities: Vec<IdentityItem>,
}

fn identities(a: &Analysis, style: crate::source::PathStyle) -> Vec<IdentityItem> {
    let sources = &a.org.sources;
    a.identities
        .iter()
        .map(|id| IdentityItem {
            kind: id.component.kind.as_str().to_string(),
            name: id.component.name.clone(),
            file: sources.display(id.component.file, style),
            evidence_strength: if id.platform.is_some() {
                "platform"
            } else if id.strong() {
                "strong"
            } else {
                "weak"
            },
            evidence: id
                .evidence
                .iter()
                .map(|e| EvidenceItem {
                    kind: e.kind.as_str(),
                    text: e.text.clone(),
                    strong: e.strong,
                    location: e.loc.as_ref().map(|l| {
                        let l = l.loc();
                        let span = sources.span(l.file, l.start..l.end);
                        format!("{}:{}", sources.display(l.file, style), span.line)
                    }),
                })
                .collect(),
        })
        .collect()
}

/// Everything the inventory shows; paths in the given style.
pub fn collect(a: &Analysis, style: crate::source::PathStyle) -> Inventory {
    Inventory {
        integrations: collect_apps(a),
        identities: identities(a, style),
    }
}

fn collect_apps(a: &Analysis) -> Vec<Item> {
    let mut items = Vec::new();
    for app in a.org.of_kind(Kind::ConnectedApp) {
        items.push(app_item(a, app));
    }
    for app in a.org.of_kind(Kind::ExternalClientApplication) {
        items.push(app_item(a, app));
    }
    for kind in [Kind::NamedCredential, Kind::ExternalCredential] {
        for c in a.org.of_kind(kind) {
            items.push(credential_item(a, c));
        }
    }
    items
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() {
        "-"
    } else {
        s
    }
}

/// A plain table for people, then each identity with its evidence.
pub fn render_table(inventory: &Inventory) -> String {
    let mut out = render_apps(&inventory.integrations);
    out.push_str("\nINTEGRATION IDENTITIES (why each one is)\n");
    if inventory.identities.is_empty() {
        out.push_str("  none found\n");
    }
    for id in &inventory.identities {
        let _ = writeln!(
            out,
            "\n{} {} [{} evidence]  {}",
            id.kind, id.name, id.evidence_strength, id.file
        );
        for e in &id.evidence {
            let strength = if e.strong { "" } else { " (weak)" };
            let at = e
                .location
                .as_deref()
                .map(|l| format!("  ({l})"))
                .unwrap_or_default();
            let _ = writeln!(out, "  - {}{strength}: {}{at}", e.kind, e.text);
        }
    }
    let weak = inventory
        .identities
        .iter()
        .filter(|i| i.evidence_strength == "weak")
        .count();
    let _ = writeln!(
        out,
        "\n{} integration identities; {weak} rest on hints alone (their findings are warnings, never errors)",
        inventory.identities.len()
    );
    crate::escape::escape_block(&out)
}

fn render_apps(items: &[Item]) -> String {
    let rows: Vec<[String; 5]> = items
        .iter()
        .map(|i| {
            let mut runs_as = i.runs_as.clone().unwrap_or_default();
            if !i.shared_with.is_empty() {
                runs_as.push_str(&format!(" (SHARED with {})", i.shared_with.join(", ")));
            }
            let mut pre = i.preauthorizes.join(", ");
            if pre.is_empty() {
                pre = i.details.join("; ");
            }
            [
                i.kind.clone(),
                i.name.clone(),
                or_dash(&runs_as).to_string(),
                or_dash(&pre).to_string(),
                i.register
                    .clone()
                    .unwrap_or_else(|| "(not in register)".into()),
            ]
        })
        .collect();
    let header = [
        "KIND",
        "NAME",
        "RUNS AS",
        "PRE-AUTHORIZES / DETAILS",
        "REGISTER",
    ];
    let mut widths = header.map(str::len);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count()).min(60);
        }
    }
    let mut out = String::new();
    let line = |cells: &[&str], out: &mut String| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                let _ = write!(l, "{:<w$}  ", c, w = widths[i]);
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&header, &mut out);
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        line(&cells, &mut out);
    }
    let shared = items.iter().filter(|i| !i.shared_with.is_empty()).count();
    let _ = writeln!(
        out,
        "\n{} integrations; {} run as a user shared with another system; {} not in the register",
        items.len(),
        shared,
        items.iter().filter(|i| i.register.is_none()).count()
    );
    out
}

pub fn render_json(inventory: &Inventory) -> String {
    let doc = serde_json::json!({
        "tool": {"name": "sfpolicy", "version": env!("CARGO_PKG_VERSION")},
        "integrations": inventory.integrations,
        "identities": inventory.identities,
    });
    crate::escape::json_pretty(&doc)
}

/// A draft register: the facts found, and the documentation fields left for people to fill.
pub fn draft_register(items: &[Item]) -> String {
    let mut out = String::from(
        "# Integration register drafted by `sfpolicy inventory --write-register`.\n\
         # Facts come from the metadata; fill in every empty field (see `sfpolicy explain\n\
         # integration-register-incomplete`), then review the facts: one system per entry.\n\n\
         edition = \"enterprise\"     # enterprise | unlimited | performance | developer | professional\n\
         # integration-licenses = 5  # set when more Salesforce Integration licenses were bought\n",
    );
    let mut seen: FxHashMap<String, ()> = FxHashMap::default();
    for i in items {
        let is_app = i.kind == "ConnectedApp" || i.kind == "ExternalClientApplication";
        if i.kind == "ExternalCredential" || seen.insert(i.name.to_lowercase(), ()).is_some() {
            continue;
        }
        let _ = writeln!(out, "\n# {} {} ({})", i.kind, i.name, i.file);
        out.push_str("[[integration]]\n");
        let _ = writeln!(
            out,
            "system = {}",
            crate::config::toml_tree::quote(&i.label)
        );
        let _ = writeln!(
            out,
            "user = {}{}",
            crate::config::toml_tree::quote(i.runs_as.as_deref().unwrap_or("")),
            if i.runs_as.is_none() {
                "  # the Salesforce username it runs as"
            } else {
                ""
            }
        );
        out.push_str("owner = \"\"\nsupport-contact = \"\"\n");
        let auth = if !is_app {
            "named-credential"
        } else if i.runs_as.is_some() {
            "oauth-client-credentials"
        } else if i.details.iter().any(|d| d == "JWT certificate") {
            "oauth-jwt"
        } else {
            "oauth-web-server"
        };
        let _ = writeln!(out, "auth = {}", crate::config::toml_tree::quote(auth));
        if is_app {
            let _ = writeln!(
                out,
                "connected-app = {}",
                crate::config::toml_tree::quote(&i.name)
            );
        }
        let sets: Vec<String> = i
            .preauthorizes
            .iter()
            .filter_map(|p| p.split_once(':'))
            .filter(|(k, _)| *k != "Profile")
            .map(|(_, n)| n.to_string())
            .collect();
        let _ = writeln!(
            out,
            "permission-sets = {}",
            crate::config::toml_tree::quote_list(&sets)
        );
        if let Some(profile) = i
            .preauthorizes
            .iter()
            .find_map(|p| p.strip_prefix("Profile:"))
        {
            let _ = writeln!(
                out,
                "profile = {}",
                crate::config::toml_tree::quote(profile)
            );
        }
        let _ = writeln!(
            out,
            "objects = {}",
            crate::config::toml_tree::quote_list(&i.objects)
        );
        let direction = if is_app { "inbound" } else { "outbound" };
        let _ = writeln!(
            out,
            "direction = {}",
            crate::config::toml_tree::quote(direction)
        );
        out.push_str("frequency = \"\"         # real-time | scheduled | event-based | manual\nretry = \"\"\nerror-owner = \"\"\nalerts = \"\"\noffboarding = \"\"\n");
        if !i.shared_with.is_empty() {
            let _ = writeln!(
                out,
                "license = \"shared\"      # shared with {}\nreview-by = \"\"",
                i.shared_with.join(", ")
            );
        } else {
            out.push_str("license = \"integration\"\n");
        }
    }
    out
}
