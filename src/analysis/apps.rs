//! Connected apps and external client apps: what they pre-authorize, which Salesforce user they
//! run as, and whether they serve systems (client credentials, JWT) or people (interactive OAuth).

use super::{Analysis, PreAuth, RunAs, RunAsSource};
use crate::findings::Loc;
use crate::model::org::{element_loc, text_loc};
use crate::model::xml::NodeId;
use crate::model::{profiles, Component, Kind};
use std::sync::Arc;

/// How an app signs in, from its OAuth settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppUse {
    /// Client credentials or a JWT bearer certificate: a system signs in, no person.
    System,
    /// Interactive OAuth (a callback URL, no client credentials or JWT): people sign in.
    People,
}

impl Analysis {
    pub(super) fn element_loc(c: &Component, node: NodeId) -> Loc {
        element_loc(&c.doc, c.file, node)
    }

    /// Loc of one item of a comma-separated element (`commaSeparatedPermissionSet`).
    fn item_locs(c: &Component, node: NodeId) -> Vec<(String, Loc)> {
        let text = c.doc.text(node);
        let mut out = Vec::new();
        let mut offset = 0;
        for part in text.split(',') {
            let lead = part.len() - part.trim_start().len();
            let item = part.trim();
            if !item.is_empty() {
                let s = offset + lead;
                out.push((
                    item.to_string(),
                    text_loc(&c.doc, c.file, node, s..s + item.len()),
                ));
            }
            offset += part.len() + 1;
        }
        out
    }

    pub(super) fn resolve_preauths(&mut self) {
        let mut preauths = Vec::new();
        for app in self.org.of_kind(Kind::ConnectedApp) {
            let doc = &app.doc;
            for (tag, kind) in [
                ("profileName", Kind::Profile),
                ("permissionSetName", Kind::PermissionSet),
            ] {
                for n in doc.children_named(app.node, tag) {
                    let name = doc.text(n).trim().to_string();
                    if name.is_empty() {
                        continue;
                    }
                    preauths.push(self.preauth(app, kind, name, Self::element_loc(app, n)));
                }
            }
        }
        for policy in self.org.of_kind(Kind::EcaOauthPolicies) {
            let app = self.eca_for(policy).unwrap_or(policy);
            for (tag, kind) in [
                ("commaSeparatedProfile", Kind::Profile),
                ("commaSeparatedPermissionSet", Kind::PermissionSet),
            ] {
                for n in policy.doc.children_named(policy.node, tag) {
                    for (name, loc) in Self::item_locs(policy, n) {
                        preauths.push(self.preauth(app, kind, name, loc));
                    }
                }
            }
        }
        self.preauths = preauths;
    }

    fn preauth(&self, app: &Arc<Component>, kind: Kind, name: String, loc: Loc) -> PreAuth {
        let (kind, target) = if kind == Kind::Profile {
            (Kind::Profile, self.find_profile(&name).cloned())
        } else {
            match self.find_permission_set(&name) {
                Some(t) => (t.kind, Some(t.clone())),
                None => (Kind::PermissionSet, None),
            }
        };
        // `Admin` is the API name Salesforce reserves for System Administrator: no custom profile
        // can have it, so the name is what the metadata says, not a guess.
        let system_administrator = kind == Kind::Profile
            && (profiles::is_system_administrator_name(&name)
                || target.as_ref().is_some_and(|t| t.name == "Admin"));
        PreAuth {
            app: app.clone(),
            kind,
            name,
            target,
            system_administrator,
            loc,
        }
    }

    /// Does the app serve a system (client credentials, JWT bearer) or people (interactive OAuth)?
    pub fn app_use(&self, app: &Component) -> AppUse {
        let flag = |c: &Component, node: NodeId, tag: &str| c.doc.child_flag(node, tag);
        match app.kind {
            Kind::ConnectedApp => {
                let Some(oauth) = app.doc.child(app.node, "oauthConfig") else {
                    return AppUse::People;
                };
                let system = app.doc.child(oauth, "oauthClientCredentialUser").is_some()
                    || flag(app, oauth, "isClientCredentialEnabled")
                    || app.doc.child(oauth, "certificate").is_some()
                    || flag(app, oauth, "isNamedUserJwtEnabled");
                if system {
                    AppUse::System
                } else {
                    AppUse::People
                }
            }
            _ => {
                // An external client app's policies and global settings are files of their own.
                let name = app.text("externalClientApplication").unwrap_or(&app.name);
                let system = self
                    .org
                    .of_kind(Kind::EcaOauthPolicies)
                    .chain(self.org.of_kind(Kind::EcaGlobalOauthSettings))
                    .filter(|p| p.text("externalClientApplication").unwrap_or(&p.name) == name)
                    .any(|p| {
                        p.flag("isClientCredentialsFlowEnabled")
                            || p.text("clientCredentialsFlowUser")
                                .is_some_and(|u| !u.is_empty())
                            || p.text("certificate").is_some_and(|c| !c.is_empty())
                    });
                if system {
                    AppUse::System
                } else {
                    AppUse::People
                }
            }
        }
    }

    /// The external client app an OAuth settings/policies file belongs to.
    pub fn eca_for(&self, part: &Component) -> Option<&Arc<Component>> {
        let name = part.text("externalClientApplication").unwrap_or(&part.name);
        self.org.find(Kind::ExternalClientApplication, name)
    }

    pub(super) fn resolve_run_as(&mut self) {
        let mut run_as = Vec::new();
        let placeholder =
            |u: &str| u.is_empty() || u.contains("%%") || u.contains('{') || u.contains('$');
        for app in self.org.of_kind(Kind::ConnectedApp) {
            let Some(oauth) = app.doc.child(app.node, "oauthConfig") else {
                continue;
            };
            if let Some(n) = app.doc.child(oauth, "oauthClientCredentialUser") {
                let user = app.doc.text(n).trim();
                if !placeholder(user) {
                    run_as.push(RunAs {
                        username: user.to_string(),
                        system: self.system_of_app(app),
                        source: RunAsSource::App(app.clone()),
                        loc: Self::element_loc(app, n),
                    });
                }
            }
        }
        for policy in self.org.of_kind(Kind::EcaOauthPolicies) {
            if let Some(n) = policy.doc.child(policy.node, "clientCredentialsFlowUser") {
                let user = policy.doc.text(n).trim();
                if !placeholder(user) {
                    let app = self.eca_for(policy).unwrap_or(policy).clone();
                    run_as.push(RunAs {
                        username: user.to_string(),
                        system: self.system_of_app(&app),
                        source: RunAsSource::App(app),
                        loc: Self::element_loc(policy, n),
                    });
                }
            }
        }
        if let Some(r) = &self.register {
            for (i, e) in r.register.entries.iter().enumerate() {
                if let (Some(user), Some(f)) = (e.text("user"), e.field("user")) {
                    if !placeholder(user) {
                        run_as.push(RunAs {
                            username: user.to_string(),
                            system: e.system().to_string(),
                            source: RunAsSource::Register(i),
                            loc: Loc {
                                file: r.file,
                                start: f.node.span.start,
                                end: f.node.span.end,
                                anchor: self.entry_anchor(i).child("user", None),
                            },
                        });
                    }
                }
            }
        }
        self.run_as = run_as;
    }
}
