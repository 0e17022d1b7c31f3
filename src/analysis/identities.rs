//! Integration identities and the evidence for each.
//!
//! A profile, permission set or permission set group is an integration identity when something
//! says so. Evidence is **strong** when the metadata or the team states it — a register entry,
//! a connected app that signs in as a system (client credentials, JWT), the Salesforce
//! Integration licence or the API Integration permission set licence, API Only User, a configured
//! glob — and **weak** when it is only a hint: a name word, or a connected app that serves people
//! (interactive OAuth with a callback, no client credentials or JWT). Rules never raise an error
//! from weak evidence alone.
//!
//! Salesforce's own integration users (CRM Analytics, Account Engagement) are identities of a
//! third kind: *platform* identities, judged only on what was added beyond Salesforce's design.

use super::apps::AppUse;
use super::names::Vocabulary;
use super::Analysis;
use crate::model::org::LazyLoc;
use crate::model::profiles::{self, PlatformDesign};
use crate::model::{Component, Kind};
use std::sync::Arc;

/// What kind of evidence makes an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvidenceKind {
    /// A register entry names it.
    Register,
    /// A connected app or external client app pre-authorizes it.
    App,
    /// The Salesforce Integration user licence or the API Integration permission set licence.
    Licence,
    /// It enables API Only User.
    ApiOnly,
    /// `[integrations]` globs in `sfpolicy.toml` match its name.
    Glob,
    /// Its name contains an integration word.
    NameWord,
    /// Salesforce created it for one of its features.
    Platform,
}

impl EvidenceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceKind::Register => "register",
            EvidenceKind::App => "app",
            EvidenceKind::Licence => "licence",
            EvidenceKind::ApiOnly => "api-only",
            EvidenceKind::Glob => "glob",
            EvidenceKind::NameWord => "name",
            EvidenceKind::Platform => "platform",
        }
    }
}

/// One reason a component is an integration identity.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// What it says, for people: "connected app Talkdesk pre-authorizes it (client credentials)".
    pub text: String,
    /// Where it is written, when it is written somewhere (resolved when shown).
    pub loc: Option<LazyLoc>,
    pub strong: bool,
    /// The app, register system, licence, word or glob the evidence names.
    pub detail: String,
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub component: Arc<Component>,
    pub evidence: Vec<Evidence>,
    /// Salesforce's own identity, and what Salesforce gives it.
    pub platform: Option<&'static PlatformDesign>,
}

impl Identity {
    /// Strong evidence exists: the metadata or the team says it is an integration.
    pub fn strong(&self) -> bool {
        self.evidence.iter().any(|e| e.strong)
    }

    /// The reason a message gives: the first strong evidence, else the first.
    pub fn main_reason(&self) -> &str {
        self.evidence
            .iter()
            .find(|e| e.strong)
            .or_else(|| self.evidence.first())
            .map_or("", |e| e.text.as_str())
    }
}

impl Analysis {
    /// A component the integration rules may blame: not a standard profile, not a
    /// platform-managed or managed-package set — decided from content (`model::profiles`).
    pub fn customer_owned(&self, c: &Component) -> bool {
        match c.kind {
            Kind::Profile => !profiles::is_standard_profile(c),
            Kind::PermissionSet | Kind::PermissionSetGroup => {
                crate::model::org::foreign_namespace(&c.name, &self.org.namespace).is_none()
                    && !profiles::is_platform_permission_set(c)
            }
            _ => true,
        }
    }

    fn add_evidence(&mut self, c: &Arc<Component>, evidence: Evidence) {
        if !matches!(
            c.kind,
            Kind::Profile | Kind::PermissionSet | Kind::PermissionSetGroup
        ) || !self.customer_owned(c)
        {
            return;
        }
        let i = *self.identity_of.entry(c.id).or_insert_with(|| {
            self.identities.push(Identity {
                component: c.clone(),
                evidence: Vec::new(),
                platform: None,
            });
            self.identities.len() - 1
        });
        self.identities[i].evidence.push(evidence);
    }

    pub(super) fn resolve_identities(&mut self) {
        let mut found: Vec<(Arc<Component>, Evidence)> = Vec::new();
        let evidence = |kind, text: String, loc, strong, detail: &str| Evidence {
            kind,
            text,
            loc,
            strong,
            detail: detail.to_string(),
        };
        // 1. The register.
        if let Some(r) = &self.register {
            for (i, entry) in r.register.entries.iter().enumerate() {
                let system = entry.system().to_string();
                for (key, profile) in [("permission-sets", false), ("profile", true)] {
                    for (name, span) in entry.list(key) {
                        let target = if profile {
                            self.find_profile(&name)
                        } else {
                            self.find_permission_set(&name)
                        };
                        if let Some(c) = target {
                            found.push((
                                c.clone(),
                                evidence(
                                    EvidenceKind::Register,
                                    format!("the register entry for {system} names it"),
                                    self.register_value_loc(i, key, &name, &span)
                                        .map(LazyLoc::from),
                                    true,
                                    &system,
                                ),
                            ));
                        }
                    }
                }
            }
        }
        // 2. Connected-app and external-client-app pre-authorization.
        for p in &self.preauths {
            let Some(t) = &p.target else { continue };
            let what = if p.app.kind == Kind::ConnectedApp {
                "connected app"
            } else {
                "external client app"
            };
            let (strong, how) = match self.app_use(&p.app) {
                AppUse::System => (true, "client credentials or JWT: a system signs in"),
                AppUse::People => (false, "interactive OAuth: people sign in to it"),
            };
            found.push((
                t.clone(),
                evidence(
                    EvidenceKind::App,
                    format!("{what} {} pre-authorizes it ({how})", p.app.name),
                    Some(p.loc.clone().into()),
                    strong,
                    &p.app.name,
                ),
            ));
        }
        // 3. Licences and API Only User; 4. configured globs; 5. name words.
        let vocabulary = Vocabulary::new(&self.config.identity_name_words);
        for c in self.org.components.iter() {
            let globs = match c.kind {
                Kind::Profile => &self.config.identity_profiles,
                Kind::PermissionSet | Kind::PermissionSetGroup => {
                    &self.config.identity_permission_sets
                }
                _ => continue,
            };
            if c.kind == Kind::Profile {
                if let Some(n) = c.doc.child(c.node, "userLicense") {
                    if profiles::same_licence(c.doc.text(n), "Salesforce Integration") {
                        found.push((
                            c.clone(),
                            evidence(
                                EvidenceKind::Licence,
                                "it has the Salesforce Integration user licence".into(),
                                Some(LazyLoc::element(&c.doc, c.file, n)),
                                true,
                                "Salesforce Integration",
                            ),
                        ));
                    }
                }
            } else if let Some(n) = c
                .doc
                .child(c.node, "license")
                .or_else(|| c.doc.child(c.node, "userLicense"))
            {
                // A decomposed set keeps its licence in its own file, like any set.
                let l = c.doc.text(n).to_lowercase();
                if l.contains("integration") && l.contains("api") {
                    found.push((
                        c.clone(),
                        evidence(
                            EvidenceKind::Licence,
                            "it carries the Salesforce API Integration permission set licence"
                                .into(),
                            Some(LazyLoc::element(&c.doc, c.file, n)),
                            true,
                            c.doc.text(n).trim(),
                        ),
                    ));
                }
            }
            for (glob, text) in globs {
                if glob.is_match(&c.name) {
                    found.push((
                        c.clone(),
                        evidence(
                            EvidenceKind::Glob,
                            format!("its name matches the configured glob `{text}`"),
                            None,
                            true,
                            text,
                        ),
                    ));
                }
            }
            if matches!(c.kind, Kind::Profile | Kind::PermissionSet) {
                for (doc, file, n) in c.elements_named("userPermissions") {
                    if doc.child_text(n, "name") == Some("ApiUserOnly")
                        && doc.child_flag(n, "enabled")
                    {
                        found.push((
                            c.clone(),
                            evidence(
                                EvidenceKind::ApiOnly,
                                "it enables API Only User (ApiUserOnly)".into(),
                                Some(LazyLoc::element(doc, file, n)),
                                true,
                                "ApiUserOnly",
                            ),
                        ));
                    }
                }
            }
            if let Some(word) = vocabulary.first_in(&c.name) {
                found.push((
                    c.clone(),
                    evidence(
                        EvidenceKind::NameWord,
                        format!("its name contains the word `{word}`"),
                        None,
                        false,
                        word,
                    ),
                ));
            }
        }
        for (c, e) in found {
            self.add_evidence(&c, e);
        }
        // Salesforce's own integration users: platform identities, judged only beyond design.
        for c in self.org.of_kind(Kind::Profile) {
            if let Some(design) = profiles::platform_design(c) {
                self.identities.push(Identity {
                    component: c.clone(),
                    evidence: vec![Evidence {
                        kind: EvidenceKind::Platform,
                        text: format!("Salesforce created it: {}", design.what),
                        loc: None,
                        strong: true,
                        detail: design.doc.to_string(),
                    }],
                    platform: Some(design),
                });
            }
        }
        self.identities.sort_by_key(|a| a.component.id);
        self.identity_of = self
            .identities
            .iter()
            .enumerate()
            .map(|(i, id)| (id.component.id, i))
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::model::org::test_org;

    const B: &str = "force-app/main/default";

    fn analysis(files: &[(&str, &str)], config: Config) -> (tempfile::TempDir, Analysis) {
        let (dir, org) = test_org(files);
        (dir, Analysis::build(org, config, None))
    }

    fn evidence(a: &Analysis, name: &str) -> Option<(bool, Vec<EvidenceKind>)> {
        a.identities
            .iter()
            .find(|i| i.component.name == name)
            .map(|i| (i.strong(), i.evidence.iter().map(|e| e.kind).collect()))
    }

    fn app(name: &str, oauth: &str, preauth: &str) -> String {
        format!("<ConnectedApp><label>{name}</label><oauthConfig>{oauth}</oauthConfig>{preauth}</ConnectedApp>")
    }

    #[test]
    fn evidence_in_a_profile_is_located_only_when_shown() {
        let profile = "<Profile>\n  <custom>true</custom>\n  <userLicense>Salesforce Integration</userLicense>\n</Profile>\n";
        let files = [(&*format!("{B}/profiles/Etl.profile-meta.xml"), profile)];
        let (_dir, a) = analysis(&files, Config::default());
        let etl = a
            .identities
            .iter()
            .find(|i| i.component.name == "Etl")
            .unwrap();
        let licence = etl
            .evidence
            .iter()
            .find(|e| e.kind == EvidenceKind::Licence)
            .unwrap();
        // Building the analysis did not re-read the profile for positions.
        assert!(!etl.component.doc.positions_loaded());
        let loc = licence.loc.as_ref().unwrap().loc();
        assert!(etl.component.doc.positions_loaded());
        let span = a.org.sources.span(loc.file, loc.start..loc.end);
        assert_eq!((span.line, span.column), (3, 3));
    }

    #[test]
    fn system_apps_are_strong_evidence_people_apps_and_names_weak() {
        let system = app(
            "Erp",
            "<isClientCredentialEnabled>true</isClientCredentialEnabled>",
            "<permissionSetName>ERP access</permissionSetName>",
        );
        let people = app(
            "Portal",
            "<callbackUrl>https://portal.acme.com/cb</callbackUrl>",
            "<permissionSetName>Portal access</permissionSetName>",
        );
        let files = [
            (
                &*format!("{B}/connectedApps/Erp.connectedApp-meta.xml"),
                system.as_str(),
            ),
            (
                &*format!("{B}/connectedApps/Portal.connectedApp-meta.xml"),
                people.as_str(),
            ),
            (
                &*format!("{B}/permissionsets/Erp_Access.permissionset-meta.xml"),
                "<PermissionSet><label>ERP access</label></PermissionSet>",
            ),
            (
                &*format!("{B}/permissionsets/Portal_Access.permissionset-meta.xml"),
                "<PermissionSet><label>Portal access</label></PermissionSet>",
            ),
            (
                &*format!("{B}/permissionsets/Data_Sync.permissionset-meta.xml"),
                "<PermissionSet><label>Data sync</label></PermissionSet>",
            ),
            (
                &*format!("{B}/permissionsets/Sales_Team.permissionset-meta.xml"),
                "<PermissionSet><label>Sales team</label></PermissionSet>",
            ),
        ];
        let (_dir, a) = analysis(&files, Config::default());
        assert_eq!(
            evidence(&a, "Erp_Access"),
            Some((true, vec![EvidenceKind::App]))
        );
        assert_eq!(
            evidence(&a, "Portal_Access"),
            Some((false, vec![EvidenceKind::App]))
        );
        assert_eq!(
            evidence(&a, "Data_Sync"),
            Some((false, vec![EvidenceKind::NameWord]))
        );
        assert_eq!(evidence(&a, "Sales_Team"), None);
        let erp = a
            .identities
            .iter()
            .find(|i| i.component.name == "Erp_Access")
            .unwrap();
        let loc = erp.evidence[0]
            .loc
            .as_ref()
            .expect("located at the app's permissionSetName");
        assert_eq!(
            a.org.rel(loc.file()),
            format!("{B}/connectedApps/Erp.connectedApp-meta.xml")
        );
    }

    #[test]
    fn content_decides_what_is_salesforces() {
        let files = [
            // A clone that kept the standard name: custom, so an identity like any other.
            (&*format!("{B}/profiles/Read Only.profile-meta.xml"), "<Profile><custom>true</custom><userLicense>Salesforce Integration</userLicense></Profile>"),
            // Salesforce's own Read Only (no <custom>, the standard licence): never an identity.
            (&*format!("{B}/profiles/ReadOnly.profile-meta.xml"), "<Profile><userLicense>Salesforce Integration</userLicense></Profile>"),
            (&*format!("{B}/profiles/Analytics Cloud Integration User.profile-meta.xml"), "<Profile><custom>false</custom><userLicense>Analytics Cloud Integration User</userLicense></Profile>"),
            (&*format!("{B}/permissionsets/sfdcInternalInt__sfdc_x.permissionset-meta.xml"), "<PermissionSet><label>x</label><license>Cloud Integration User</license></PermissionSet>"),
            (&*format!("{B}/permissionsets/sfdcInternalInt__fake_integration.permissionset-meta.xml"), "<PermissionSet><label>x</label></PermissionSet>"),
        ];
        let (_dir, a) = analysis(&files, Config::default());
        assert_eq!(
            evidence(&a, "Read Only"),
            Some((true, vec![EvidenceKind::Licence]))
        );
        // ReadOnly's licence is not the one Salesforce gives Read Only: the file is custom.
        assert!(evidence(&a, "ReadOnly").is_some());
        let platform = a
            .identities
            .iter()
            .find(|i| i.component.name == "Analytics Cloud Integration User")
            .expect("a platform identity");
        assert!(platform.platform.is_some());
        assert_eq!(
            evidence(&a, "sfdcInternalInt__sfdc_x"),
            None,
            "Salesforce's, by name and licence"
        );
        // `X__Y` is a namespace: customers cannot create such names, so it is another package's.
        assert_eq!(evidence(&a, "sfdcInternalInt__fake_integration"), None);
    }

    #[test]
    fn globs_and_api_only_are_strong() {
        let mut config = Config::default();
        config.identity_permission_sets = vec![(
            crate::config::name_glob("*_Bridge").unwrap(),
            "*_Bridge".to_string(),
        )];
        let files = [
            (&*format!("{B}/permissionsets/Ledger_Bridge.permissionset-meta.xml"), "<PermissionSet><label>Ledger</label></PermissionSet>"),
            (&*format!("{B}/profiles/Backoffice.profile-meta.xml"), "<Profile><custom>true</custom><userPermissions><enabled>true</enabled><name>ApiUserOnly</name></userPermissions></Profile>"),
        ];
        let (_dir, a) = analysis(&files, config);
        assert_eq!(
            evidence(&a, "Ledger_Bridge"),
            Some((true, vec![EvidenceKind::Glob]))
        );
        assert_eq!(
            evidence(&a, "Backoffice"),
            Some((true, vec![EvidenceKind::ApiOnly]))
        );
    }
}
