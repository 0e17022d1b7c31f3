//! Cross-file analysis computed once per run and shared by every policy: the integration register,
//! connected-app pre-authorizations, integration identities and run-as users.

mod inputs;

use crate::config::register::Register;
use crate::config::toml_tree::TomlError;
use crate::config::Config;
use crate::findings::{Anchor, Loc};
use crate::model::org::{element_loc, text_loc};
use crate::model::xml::NodeId;
use crate::model::{profiles, Component, Kind, Org};
use crate::source::{FileId, SourceFile};
use rustc_hash::FxHashMap;
use std::ops::Range;
use std::sync::Arc;

/// Why a component counts as an integration identity.
#[derive(Debug, Clone)]
pub struct Reason {
    pub text: String,
    pub loc: Option<Loc>,
}

#[derive(Debug, Clone)]
pub struct Identity {
    pub component: Arc<Component>,
    pub reasons: Vec<Reason>,
}

/// A connected app or external client app naming a profile or permission set it pre-authorizes.
#[derive(Debug, Clone)]
pub struct PreAuth {
    pub app: Arc<Component>,
    /// `Profile`, `PermissionSet` or `PermissionSetGroup` (what the name resolved to; `Profile` or
    /// `PermissionSet` when unresolved).
    pub kind: Kind,
    pub name: String,
    pub target: Option<Arc<Component>>,
    /// The name is Salesforce's System Administrator profile (by API name or label), whether or
    /// not its file is in the project.
    pub system_administrator: bool,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub enum RunAsSource {
    App(Arc<Component>),
    Register(usize),
}

/// A Salesforce username that an external system runs as.
#[derive(Debug, Clone)]
pub struct RunAs {
    pub username: String,
    pub system: String,
    pub source: RunAsSource,
    pub loc: Loc,
}

pub struct LoadedRegister {
    pub file: FileId,
    pub register: Register,
}

pub struct Analysis {
    pub org: Org,
    pub config: Config,
    pub register: Option<LoadedRegister>,
    pub identities: Vec<Identity>,
    identity_of: FxHashMap<usize, usize>,
    pub preauths: Vec<PreAuth>,
    pub run_as: Vec<RunAs>,
    /// The config file as a file findings can point into (waivers).
    pub config_file: Option<FileId>,
    /// Effective permissions by component id, computed once however many rules ask.
    permissions: std::sync::Mutex<FxHashMap<usize, Arc<crate::model::permissions::Permissions>>>,
}

/// A register that cannot be read: a tool error pointing into it.
pub struct RegisterError {
    pub path: std::path::PathBuf,
    pub text: String,
    pub error: TomlError,
}

const ADMIN_PROFILE_NAMES: &[&str] = &["Admin", "System Administrator", "Systemadministrator"];

/// The first of `words` that the API name contains as a whole word (split at `_`, `-`, spaces,
/// digits and lower→upper case changes): `TeamProQ_Integration` → `integration`.
pub fn name_word<'w>(name: &str, words: &'w [String]) -> Option<&'w str> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for ch in name.chars() {
        if !ch.is_alphabetic() {
            if !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if ch.is_uppercase() && prev_lower && !cur.is_empty() {
            tokens.push(std::mem::take(&mut cur));
        }
        prev_lower = ch.is_lowercase();
        cur.extend(ch.to_lowercase());
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    words
        .iter()
        .find(|w| tokens.iter().any(|t| t == *w))
        .map(String::as_str)
}

fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

impl Analysis {
    /// Read the register named by the config (default `integrations.toml` at the root), if any.
    pub fn load_register(
        org: &mut Org,
        config: &Config,
    ) -> Result<Option<LoadedRegister>, RegisterError> {
        let (rel, explicit) = match &config.register {
            Some((path, _)) => (path.clone(), true),
            None => (crate::config::register::FILE_NAME.to_string(), false),
        };
        let path = org.root.join(&rel);
        if !path.is_file() {
            if explicit {
                return Err(RegisterError {
                    path: config
                        .source
                        .as_ref()
                        .map(|s| s.0.clone())
                        .unwrap_or_default(),
                    text: config
                        .source
                        .as_ref()
                        .map(|s| s.2.clone())
                        .unwrap_or_default(),
                    error: TomlError::new(
                        config
                            .register
                            .as_ref()
                            .map(|r| r.1.clone())
                            .unwrap_or(0..0),
                        format!("the register `{rel}` does not exist"),
                    ),
                });
            }
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path).map_err(|e| RegisterError {
            path: path.clone(),
            text: String::new(),
            error: TomlError::new(0..0, format!("cannot read the register: {e}")),
        })?;
        let register = Register::parse(&text).map_err(|error| RegisterError {
            path: path.clone(),
            text: text.clone(),
            error,
        })?;
        let file = org.sources.add(SourceFile::from_text(
            crate::model::discover::relative(&org.root, &path),
            path,
            &text,
        ));
        Ok(Some(LoadedRegister { file, register }))
    }

    pub fn build(mut org: Org, config: Config, register: Option<LoadedRegister>) -> Analysis {
        let config_file = config.source.as_ref().map(|(path, rel, text)| {
            org.sources
                .add(SourceFile::from_text(rel.clone(), path.clone(), text))
        });
        let mut a = Analysis {
            org,
            config,
            register,
            identities: Vec::new(),
            identity_of: FxHashMap::default(),
            preauths: Vec::new(),
            run_as: Vec::new(),
            config_file,
            permissions: Default::default(),
        };
        a.resolve_preauths();
        a.resolve_identities();
        a.resolve_run_as();
        a
    }

    /// A location in the register file.
    pub fn register_loc(&self, span: &Range<usize>, anchor: Anchor) -> Option<Loc> {
        let r = self.register.as_ref()?;
        Some(Loc {
            file: r.file,
            start: span.start,
            end: span.end,
            anchor,
        })
    }

    /// A value of a register entry: `integration[Talkdesk]/permission-sets[Talkdesk_Integration]`.
    pub fn register_value_loc(
        &self,
        entry: usize,
        key: &str,
        value: &str,
        span: &Range<usize>,
    ) -> Option<Loc> {
        self.register_loc(span, self.entry_anchor(entry).child(key, Some(value)))
    }

    /// The anchor of a register entry: `integration[System]` (`#2` for a second entry of the
    /// same system).
    pub fn entry_anchor(&self, index: usize) -> Anchor {
        let Some(r) = &self.register else {
            return Anchor::default();
        };
        let entries = &r.register.entries;
        let system = entries[index].system();
        let same = entries[..index]
            .iter()
            .filter(|e| e.system().eq_ignore_ascii_case(system))
            .count();
        Anchor::table("integration", system).nth(same + 1)
    }

    pub fn effective_permissions(
        &self,
        c: &Arc<Component>,
    ) -> Arc<crate::model::permissions::Permissions> {
        let cached = self
            .permissions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&c.id)
            .cloned();
        if let Some(p) = cached {
            return p;
        }
        let p = Arc::new(crate::model::permissions::effective(&self.org, c));
        self.permissions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(c.id, p.clone());
        p
    }

    pub fn identity(&self, c: &Component) -> Option<&Identity> {
        self.identity_index(c).map(|i| &self.identities[i])
    }

    /// Position of the component in `identities`, if it is an integration identity.
    pub fn identity_index(&self, c: &Component) -> Option<usize> {
        self.identity_of.get(&c.id).copied()
    }

    /// A component the integration rules may blame: not a standard profile, not a
    /// platform-managed or managed-package set.
    pub fn customer_owned(&self, c: &Component) -> bool {
        match c.kind {
            Kind::Profile => !profiles::is_standard_profile(c),
            Kind::PermissionSet | Kind::PermissionSetGroup => {
                crate::model::org::foreign_namespace(&c.name, &self.org.namespace).is_none()
            }
            _ => true,
        }
    }

    /// Resolve a permission set (or group) named by label or API name.
    pub fn find_permission_set(&self, name: &str) -> Option<&Arc<Component>> {
        self.org
            .find_by_label(Kind::PermissionSet, name)
            .or_else(|| self.org.find_by_label(Kind::PermissionSetGroup, name))
    }

    pub fn find_profile(&self, name: &str) -> Option<&Arc<Component>> {
        self.org.find_by_label(Kind::Profile, name).or_else(|| {
            ADMIN_PROFILE_NAMES
                .iter()
                .any(|a| a.eq_ignore_ascii_case(name.trim()))
                .then(|| self.org.find(Kind::Profile, "Admin"))
                .flatten()
        })
    }

    /// The app (connected app or external client app) with this API name or label.
    pub fn find_app(&self, name: &str) -> Option<&Arc<Component>> {
        self.org
            .find_by_label(Kind::ConnectedApp, name)
            .or_else(|| {
                self.org
                    .find_by_label(Kind::ExternalClientApplication, name)
            })
    }

    fn element_loc(c: &Component, node: NodeId) -> Loc {
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

    fn resolve_preauths(&mut self) {
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
        let system_administrator = kind == Kind::Profile
            && (ADMIN_PROFILE_NAMES
                .iter()
                .any(|a| a.eq_ignore_ascii_case(name.trim()))
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

    /// The external client app an OAuth settings/policies file belongs to.
    pub fn eca_for(&self, part: &Component) -> Option<&Arc<Component>> {
        let name = part.text("externalClientApplication").unwrap_or(&part.name);
        self.org.find(Kind::ExternalClientApplication, name)
    }

    fn add_reason(&mut self, c: &Arc<Component>, text: String, loc: Option<Loc>) {
        if !matches!(
            c.kind,
            Kind::Profile | Kind::PermissionSet | Kind::PermissionSetGroup
        ) {
            return;
        }
        if !self.customer_owned(c) || c.name.starts_with("sfdcInternalInt__") {
            return;
        }
        let i = *self.identity_of.entry(c.id).or_insert_with(|| {
            self.identities.push(Identity {
                component: c.clone(),
                reasons: Vec::new(),
            });
            self.identities.len() - 1
        });
        self.identities[i].reasons.push(Reason { text, loc });
    }

    fn resolve_identities(&mut self) {
        // 1. The register.
        let mut named = Vec::new();
        if let Some(r) = &self.register {
            for (i, entry) in r.register.entries.iter().enumerate() {
                let system = entry.system().to_string();
                for (name, span) in entry.list("permission-sets") {
                    if let Some(c) = self.find_permission_set(&name) {
                        named.push((
                            c.clone(),
                            format!("the register entry for {system} names it"),
                            self.register_value_loc(i, "permission-sets", &name, &span),
                        ));
                    }
                }
                for (name, span) in entry.list("profile") {
                    if let Some(c) = self.find_profile(&name) {
                        named.push((
                            c.clone(),
                            format!("the register entry for {system} names it"),
                            self.register_value_loc(i, "profile", &name, &span),
                        ));
                    }
                }
            }
        }
        // 2. Connected-app and external-client-app pre-authorization.
        for p in &self.preauths {
            if let Some(t) = &p.target {
                let what = if p.app.kind == Kind::ConnectedApp {
                    "connected app"
                } else {
                    "external client app"
                };
                named.push((
                    t.clone(),
                    format!("{what} {} pre-authorizes it", p.app.name),
                    Some(p.loc.clone()),
                ));
            }
        }
        // 3. Licenses and API-only, 4. configured globs and name words.
        for c in self.org.components.iter() {
            match c.kind {
                Kind::Profile => {
                    if let Some(n) = c.doc.child(c.node, "userLicense") {
                        if norm(c.doc.text(n)) == "salesforceintegration" {
                            named.push((
                                c.clone(),
                                "it has the Salesforce Integration user license".into(),
                                Some(Self::element_loc(c, n)),
                            ));
                        }
                    }
                    for (glob, text) in &self.config.identity_profiles {
                        if glob.is_match(&c.name) {
                            named.push((
                                c.clone(),
                                format!("its name matches the configured glob `{text}`"),
                                None,
                            ));
                        }
                    }
                }
                Kind::PermissionSet | Kind::PermissionSetGroup => {
                    if let Some(n) = c
                        .doc
                        .child(c.node, "license")
                        .or_else(|| c.doc.child(c.node, "userLicense"))
                    {
                        let l = norm(c.doc.text(n));
                        if l.contains("integration") && l.contains("api") {
                            named.push((
                                c.clone(),
                                "it carries the Salesforce API Integration permission set license"
                                    .into(),
                                Some(Self::element_loc(c, n)),
                            ));
                        }
                    }
                    for (glob, text) in &self.config.identity_permission_sets {
                        if glob.is_match(&c.name) {
                            named.push((
                                c.clone(),
                                format!("its name matches the configured glob `{text}`"),
                                None,
                            ));
                        }
                    }
                }
                _ => continue,
            }
            if matches!(c.kind, Kind::Profile | Kind::PermissionSet) {
                for n in c.doc.children_named(c.node, "userPermissions") {
                    if c.doc.child_text(n, "name") == Some("ApiUserOnly")
                        && c.doc.child_flag(n, "enabled")
                    {
                        named.push((
                            c.clone(),
                            "it enables API Only User (ApiUserOnly)".into(),
                            Some(Self::element_loc(c, n)),
                        ));
                    }
                }
            }
            if let Some(word) = name_word(&c.name, &self.config.identity_name_words) {
                named.push((
                    c.clone(),
                    format!("its name contains the word `{word}`"),
                    None,
                ));
            }
        }
        for (c, text, loc) in named {
            self.add_reason(&c, text, loc);
        }
        self.identities.sort_by_key(|a| a.component.id);
        self.identity_of = self
            .identities
            .iter()
            .enumerate()
            .map(|(i, id)| (id.component.id, i))
            .collect();
    }

    /// The system an app belongs to: the register entry naming it, else the app's own name.
    /// The `system` of the register entry whose `connected-app` names this component (by API
    /// name or label).
    pub fn register_system_of(&self, c: &Component) -> Option<String> {
        let r = self.register.as_ref()?;
        let label = c.label();
        r.register
            .entries
            .iter()
            .find(|e| {
                e.text("connected-app").is_some_and(|n| {
                    n.eq_ignore_ascii_case(&c.name) || n.eq_ignore_ascii_case(&label)
                })
            })
            .map(|e| e.system().to_string())
    }

    /// The system an app belongs to: the register entry naming it, else the app's own label.
    fn system_of_app(&self, app: &Component) -> String {
        self.register_system_of(app).unwrap_or_else(|| app.label())
    }

    fn resolve_run_as(&mut self) {
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
