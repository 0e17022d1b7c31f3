//! Cross-file analysis computed once per run and shared by every policy: the integration register,
//! connected-app pre-authorizations, integration identities and run-as users.

pub mod apps;
pub mod identities;
mod inputs;
pub mod names;
mod register;

pub use apps::AppUse;
pub use identities::{Evidence, EvidenceKind, Identity};

use crate::config::register::Register;
use crate::config::toml_tree::TomlError;
use crate::config::Config;
use crate::findings::Loc;
use crate::model::permissions::Permissions;
use crate::model::{profiles, Component, Kind, Org};
use crate::source::{FileId, SourceFile};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

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
    /// Effective permissions by component id, computed once however many rules ask (rules run
    /// in parallel: a second asker waits for the first rather than computing a copy).
    permissions: Vec<std::sync::OnceLock<Arc<Permissions>>>,
    /// Objects (lower case) each identity's user can edit, by component id, computed once.
    editable: Vec<std::sync::OnceLock<Arc<FxHashSet<String>>>>,
    /// The identities each register entry names (permission sets, then profiles), resolved once:
    /// asking per identity would resolve every entry's names again (quadratic in the register).
    entry_identities: Vec<Vec<Arc<Component>>>,
}

/// A register that cannot be read: a tool error pointing into it.
pub struct RegisterError {
    pub path: std::path::PathBuf,
    pub text: String,
    pub error: TomlError,
}

impl Analysis {
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
            permissions: Vec::new(),
            editable: Vec::new(),
            entry_identities: Vec::new(),
        };
        a.permissions = (0..a.org.components.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        a.editable = (0..a.org.components.len())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        a.entry_identities = a.resolve_entry_identities();
        a.resolve_preauths();
        a.resolve_identities();
        a.resolve_run_as();
        a
    }

    /// Effective permissions of a profile, permission set or group (members minus muting),
    /// computed once however many rules ask.
    pub fn effective_permissions(&self, c: &Arc<Component>) -> Arc<Permissions> {
        let compute = || Arc::new(crate::model::permissions::effective(&self.org, c));
        match self.permissions.get(c.id) {
            Some(cell) => cell.get_or_init(compute).clone(),
            None => compute(),
        }
    }

    /// Objects (lower case) the user behind an identity can edit: its own effective set, plus
    /// the other identities its register entries name (one user holds the profile and every
    /// permission set of its entry). Computed once per component however many rules ask.
    pub fn editable_objects(&self, c: &Arc<Component>) -> Arc<FxHashSet<String>> {
        let compute = || {
            let mut objects = FxHashSet::default();
            let mut add = |c: &Arc<Component>| {
                for g in &self.effective_permissions(c).objects {
                    if g.flag("allowEdit") {
                        objects.insert(g.object.to_lowercase());
                    }
                }
            };
            add(c);
            for companion in self.register_companions(c) {
                add(companion);
            }
            Arc::new(objects)
        };
        match self.editable.get(c.id) {
            Some(cell) => cell.get_or_init(compute).clone(),
            None => compute(),
        }
    }

    /// The identities each register entry names, in entry order (permission sets, then profiles).
    fn resolve_entry_identities(&self) -> Vec<Vec<Arc<Component>>> {
        let Some(r) = &self.register else {
            return Vec::new();
        };
        r.register
            .entries
            .iter()
            .map(|entry| {
                entry
                    .list("permission-sets")
                    .iter()
                    .filter_map(|(n, _)| self.find_permission_set(n).cloned())
                    .chain(
                        entry
                            .list("profile")
                            .iter()
                            .filter_map(|(n, _)| self.find_profile(n).cloned()),
                    )
                    .collect()
            })
            .collect()
    }

    /// The profile and permission sets (or groups) register entry `index` names, resolved
    /// (permission sets first, in the entry's order; names that resolve to nothing left out).
    pub fn entry_identities(&self, index: usize) -> &[Arc<Component>] {
        self.entry_identities.get(index).map_or(&[], Vec::as_slice)
    }

    /// The identities that share a register entry with this one.
    fn register_companions<'a>(
        &'a self,
        c: &'a Arc<Component>,
    ) -> impl Iterator<Item = &'a Arc<Component>> + 'a {
        self.entry_identities
            .iter()
            .filter(|named| named.iter().any(|n| n.id == c.id))
            .flatten()
            .filter(|n| n.id != c.id)
    }

    pub fn identity(&self, c: &Component) -> Option<&Identity> {
        self.identity_index(c).map(|i| &self.identities[i])
    }

    /// Position of the component in `identities`, if it is an integration identity.
    pub fn identity_index(&self, c: &Component) -> Option<usize> {
        self.identity_of.get(&c.id).copied()
    }

    /// Resolve a permission set (or group) named by label or API name.
    pub fn find_permission_set(&self, name: &str) -> Option<&Arc<Component>> {
        self.org
            .find_by_label(Kind::PermissionSet, name)
            .or_else(|| self.org.find_by_label(Kind::PermissionSetGroup, name))
    }

    /// Resolve a profile named by label or API name (`System Administrator` is `Admin`).
    pub fn find_profile(&self, name: &str) -> Option<&Arc<Component>> {
        self.org.find_by_label(Kind::Profile, name).or_else(|| {
            profiles::is_system_administrator_name(name)
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
}
