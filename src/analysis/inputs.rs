//! What a finding was derived from, beyond its own file and related locations: the inputs an
//! incremental run compares with what changed.
//!
//! For each component in the files a finding touches: a permission set group reads its members
//! and muting sets; an integration identity reads the files that make it one (the connected app
//! that pre-authorizes it, the register, the config); a formula reads the custom permissions it
//! names; an app reads the profiles and permission sets it pre-authorizes; the register reads
//! everything its entries name. Names are kept even when nothing by that name exists, so adding
//! or deleting it counts.

use super::Analysis;
use crate::findings::scope::Input;
use crate::findings::Finding;
use crate::model::{Component, Kind};
use crate::source::FileId;
use rustc_hash::FxHashSet;

fn name(kind: Kind, name: &str) -> Input {
    Input::Name(kind.as_str().to_string(), name.trim().to_lowercase())
}

/// `$Permission.X` names anywhere in a component's text (formulas, flow references).
fn permission_names(c: &Component, own_namespace: &str, out: &mut Vec<Input>) {
    if !c.doc.subtree_mentions(c.node, "$permission.") {
        return;
    }
    let mut stack = vec![c.node];
    while let Some(n) = stack.pop() {
        stack.extend(c.doc.children(n));
        let text = c.doc.text(n);
        let lower = text.to_ascii_lowercase();
        for (i, _) in lower.match_indices("$permission.") {
            let rest = &text[i + "$permission.".len()..];
            let end = rest
                .find(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_'))
                .unwrap_or(rest.len());
            let full = &rest[..end];
            if full.is_empty() {
                continue;
            }
            let local = match full.split_once("__") {
                Some((ns, local)) if ns.eq_ignore_ascii_case(own_namespace) => local,
                _ => full,
            };
            out.push(name(Kind::CustomPermission, local));
        }
    }
}

impl Analysis {
    /// Inputs of the components defined in one file.
    fn inputs_of_file(&self, file: FileId, out: &mut Vec<Input>, depth: usize) {
        let register = self.register.as_ref().map(|r| r.file);
        let config = self.config_file;
        let rel = |f: FileId| Input::Path(self.org.rel(f).to_string());
        if Some(file) == register {
            self.register_inputs(out);
            return;
        }
        for c in self.org.in_file(file) {
            let doc = &c.doc;
            match c.kind {
                Kind::PermissionSetGroup => {
                    for n in doc.children_named(c.node, "permissionSets") {
                        let member = doc.text(n).trim();
                        out.push(name(Kind::PermissionSet, member));
                        // Whether a member is an identity itself decides where a finding lands.
                        if depth == 0 {
                            if let Some(m) = self.org.find(Kind::PermissionSet, member) {
                                self.inputs_of_file(m.file, out, depth + 1);
                            }
                        }
                    }
                    for n in doc.children_named(c.node, "mutingPermissionSets") {
                        out.push(name(Kind::MutingPermissionSet, doc.text(n)));
                    }
                }
                Kind::ConnectedApp | Kind::EcaOauthPolicies => {
                    for p in self.preauths.iter().filter(|p| p.loc.file == file) {
                        match &p.target {
                            Some(t) => out.push(name(t.kind, &t.name)),
                            None => out.push(name(p.kind, &p.name)),
                        }
                    }
                }
                _ => {}
            }
            if matches!(
                c.kind,
                Kind::ExternalClientApplication
                    | Kind::EcaOauthSettings
                    | Kind::EcaGlobalOauthSettings
                    | Kind::EcaOauthPolicies
                    | Kind::EcaPolicies
            ) {
                // The parts of an external client app are read together.
                let app = c.name.as_str();
                for kind in [
                    Kind::ExternalClientApplication,
                    Kind::EcaOauthSettings,
                    Kind::EcaGlobalOauthSettings,
                    Kind::EcaOauthPolicies,
                    Kind::EcaPolicies,
                ] {
                    out.push(name(kind, app));
                }
            }
            if let Some(identity) = self.identity(c) {
                for evidence in &identity.evidence {
                    if let Some(loc) = &evidence.loc {
                        out.push(rel(loc.file()));
                    }
                }
            }
            if matches!(
                c.kind,
                Kind::Profile
                    | Kind::PermissionSet
                    | Kind::PermissionSetGroup
                    | Kind::ConnectedApp
                    | Kind::ExternalClientApplication
                    | Kind::EcaOauthPolicies
            ) {
                // Identity by register, glob or name word; unregistered; the system of an app.
                out.extend(register.map(rel));
                out.extend(config.map(rel));
            }
            if matches!(
                c.kind,
                Kind::ValidationRule
                    | Kind::Flow
                    | Kind::CustomObject
                    | Kind::Workflow
                    | Kind::WorkflowRule
            ) {
                permission_names(c, &self.org.namespace, out);
            }
        }
    }

    /// The register reads everything its entries name.
    fn register_inputs(&self, out: &mut Vec<Input>) {
        let Some(r) = &self.register else {
            return;
        };
        for entry in &r.register.entries {
            for (n, _) in entry.list("permission-sets") {
                out.push(name(Kind::PermissionSet, &n));
                out.push(name(Kind::PermissionSetGroup, &n));
                if let Some(c) = self.find_permission_set(&n) {
                    out.push(name(c.kind, &c.name));
                    self.inputs_of_file(c.file, out, 1);
                }
            }
            for (n, _) in entry.list("profile") {
                out.push(name(Kind::Profile, &n));
                if let Some(c) = self.find_profile(&n) {
                    out.push(name(c.kind, &c.name));
                }
            }
            for (n, _) in entry.list("connected-app") {
                out.push(name(Kind::ConnectedApp, &n));
                out.push(name(Kind::ExternalClientApplication, &n));
                if let Some(c) = self.find_app(&n) {
                    out.push(name(c.kind, &c.name));
                }
            }
        }
    }

    /// Everything a finding was derived from besides its own file and related locations.
    pub fn inputs_of(&self, finding: &Finding) -> Vec<Input> {
        let files: FxHashSet<FileId> = finding.files().collect();
        let mut out = Vec::new();
        for file in files {
            self.inputs_of_file(file, &mut out, 0);
        }
        out
    }
}
