//! Effective permissions of a profile, permission set or permission set group.
//!
//! A group grants the union of its permission sets minus what its muting permission sets mute
//! (only within the group). Every grant keeps the element that grants it and, for groups, the
//! group's `<permissionSets>` element that brings it in, so findings can point at both.

use super::kind::Kind;
use super::org::{element_loc, Component, Org};
use super::xml::{ChildFinder, Document, NodeId};
use crate::findings::Loc;
use crate::source::FileId;
use rustc_hash::FxHashSet;
use std::sync::Arc;

/// Where a grant is written: an element of a profile, permission set (or one file of a
/// decomposed permission set) or muting permission set. Locations are built on demand (a profile
/// can hold a million grants; few are reported).
#[derive(Debug, Clone)]
pub struct Origin {
    pub doc: Arc<Document>,
    pub file: FileId,
    pub node: NodeId,
}

impl Origin {
    pub fn new(doc: &Arc<Document>, file: FileId, node: NodeId) -> Origin {
        Origin {
            doc: doc.clone(),
            file,
            node,
        }
    }

    pub fn loc(&self) -> Loc {
        element_loc(&self.doc, self.file, self.node)
    }

    /// The location of one flag of the grant (`<allowDelete>`), or of the grant when the flag is
    /// not written.
    pub fn flag_loc(&self, flag: &str) -> Loc {
        match self.doc.child(self.node, flag) {
            Some(n) => element_loc(&self.doc, self.file, n),
            None => self.loc(),
        }
    }
}

/// How a permission set group receives a grant: the member permission set that holds it.
#[derive(Debug, Clone)]
pub struct Via {
    /// The member permission set's API name.
    pub member: String,
    /// The group's `<permissionSets>` element naming it.
    pub element: Origin,
}

/// Where a grant is reported: in a group, at the group's `<permissionSets>` element for the member
/// (anchored by the grant's own anchor, so two grants of one member stay two findings); directly
/// granted, at the grant itself.
pub fn grant_loc(origin: &Origin, via: Option<&Via>) -> Loc {
    match via {
        None => origin.loc(),
        Some(via) => {
            let mut loc = via.element.loc();
            loc.anchor = loc.anchor.through(&origin.loc().anchor);
            loc
        }
    }
}

#[derive(Debug, Clone)]
pub struct UserGrant {
    pub name: String,
    pub origin: Origin,
    pub via: Option<Arc<Via>>,
}

impl UserGrant {
    /// Where a finding about this grant points.
    pub fn loc(&self) -> Loc {
        grant_loc(&self.origin, self.via.as_deref())
    }
}

/// Object access flags, in Salesforce's order of strength.
pub const OBJECT_FLAGS: [&str; 6] = [
    "allowRead",
    "allowCreate",
    "allowEdit",
    "allowDelete",
    "viewAllRecords",
    "modifyAllRecords",
];

#[derive(Debug, Clone)]
pub struct ObjectGrant {
    pub object: String,
    /// Indexed like `OBJECT_FLAGS`, with implications applied (Modify All ⇒ View All, Delete,
    /// Edit, Read; View All ⇒ Read; Edit or Delete ⇒ Read).
    pub flags: [bool; 6],
    /// The flags as written (a muting set removes exactly these).
    pub written: [bool; 6],
    pub origin: Origin,
    pub via: Option<Arc<Via>>,
}

impl ObjectGrant {
    pub fn flag(&self, name: &str) -> bool {
        OBJECT_FLAGS
            .iter()
            .position(|f| *f == name)
            .is_some_and(|i| self.flags[i])
    }

    pub fn any_access(&self) -> bool {
        self.flags.iter().any(|f| *f)
    }

    /// Where flag `i` (of `OBJECT_FLAGS`) is granted: its own element when written, else the
    /// written flag that implies it (Modify All, then View All, Delete, Edit). `None` when the
    /// grant does not give it.
    pub fn flag_loc(&self, i: usize) -> Option<Loc> {
        if !self.flags.get(i).copied().unwrap_or(false) {
            return None;
        }
        let implied_by: &[usize] = match i {
            0 => &[5, 4, 3, 2, 1],
            2..=4 => &[5],
            _ => &[],
        };
        let source = std::iter::once(i)
            .chain(implied_by.iter().copied())
            .find(|&j| self.written[j])
            .unwrap_or(i);
        Some(self.origin.flag_loc(OBJECT_FLAGS[source]))
    }

    /// Where a finding about this grant points.
    pub fn loc(&self) -> Loc {
        grant_loc(&self.origin, self.via.as_deref())
    }
}

#[derive(Debug, Clone)]
pub struct FieldGrant {
    /// The `<field>` element (`Object.Field`), read from the document: a profile with full
    /// field-level security has a million of these, and a copied string each was most of their
    /// memory.
    pub field_node: NodeId,
    pub readable: bool,
    pub editable: bool,
    /// `readable` as written (a muting set removes read only when it says so).
    pub written_readable: bool,
    pub origin: Origin,
    pub via: Option<Arc<Via>>,
}

impl FieldGrant {
    /// `Object.Field`.
    pub fn field(&self) -> &str {
        self.origin.doc.text(self.field_node).trim()
    }

    pub fn object(&self) -> &str {
        self.field().split_once('.').map_or("", |(o, _)| o)
    }

    /// Where `readable` or `editable` is granted (read implied by edit points at `<editable>`).
    /// `None` when the grant does not give it.
    pub fn flag_loc(&self, editable: bool) -> Option<Loc> {
        if editable {
            return self.editable.then(|| self.origin.flag_loc("editable"));
        }
        if !self.readable {
            return None;
        }
        let flag = if self.written_readable {
            "readable"
        } else {
            "editable"
        };
        Some(self.origin.flag_loc(flag))
    }

    /// Where a finding about this grant points.
    pub fn loc(&self) -> Loc {
        grant_loc(&self.origin, self.via.as_deref())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Permissions {
    pub user: Vec<Arc<UserGrant>>,
    pub objects: Vec<Arc<ObjectGrant>>,
    pub fields: Vec<Arc<FieldGrant>>,
    pub custom: Vec<Arc<UserGrant>>,
    /// Enabled `<externalCredentialPrincipalAccesses>`: the external credential principals (the
    /// outside accounts) whose credentials the identity's callouts may use. `name` is the
    /// principal (`Credential-Principal`).
    pub principals: Vec<Arc<UserGrant>>,
    /// Group members named but not in the project (managed packages, other repositories).
    pub missing_members: Vec<String>,
}

/// Grants written in one file (profile, permission set or muting permission set).
pub fn direct(c: &Arc<Component>, via: Option<&Arc<Via>>) -> Permissions {
    let mut p = Permissions::default();
    for (list, out) in [
        ("userPermissions", &mut p.user),
        ("customPermissions", &mut p.custom),
    ] {
        let mut find = ChildFinder::new(["enabled", "name"]);
        for (doc, file, n) in c.elements_named(list) {
            let [enabled, name] = find.first(doc, n);
            if enabled.is_some_and(|n| doc.is_true(n)) {
                if let Some(name) = name.map(|n| doc.value(n)) {
                    out.push(Arc::new(UserGrant {
                        name: name.to_string(),
                        origin: Origin::new(doc, file, n),
                        via: via.cloned(),
                    }));
                }
            }
        }
    }
    let mut find = ChildFinder::new(["enabled", "externalCredentialPrincipal"]);
    for (doc, file, n) in c.elements_named("externalCredentialPrincipalAccesses") {
        let [enabled, principal] = find.first(doc, n);
        if enabled.is_some_and(|n| doc.is_true(n)) {
            if let Some(name) = principal.map(|n| doc.value(n)) {
                p.principals.push(Arc::new(UserGrant {
                    name: name.to_string(),
                    origin: Origin::new(doc, file, n),
                    via: via.cloned(),
                }));
            }
        }
    }
    let [f0, f1, f2, f3, f4, f5] = OBJECT_FLAGS;
    let mut find = ChildFinder::new(["object", f0, f1, f2, f3, f4, f5]);
    for (doc, file, n) in c.elements_named("objectPermissions") {
        let [object, flag_nodes @ ..] = find.first(doc, n);
        let Some(object) = object.map(|n| doc.value(n)) else {
            continue;
        };
        let written = flag_nodes.map(|f| f.is_some_and(|n| doc.is_true(n)));
        let mut flags = written;
        // Salesforce enforces these dependencies; hand-written files may omit them.
        if flags[5] {
            flags[4] = true;
            flags[3] = true;
            flags[2] = true;
        }
        if flags[4] || flags[2] || flags[3] || flags[1] {
            flags[0] = true;
        }
        p.objects.push(Arc::new(ObjectGrant {
            object: object.to_string(),
            flags,
            written,
            origin: Origin::new(doc, file, n),
            via: via.cloned(),
        }));
    }
    let mut find = ChildFinder::new(["field", "editable", "readable"]);
    for (doc, file, n) in c.elements_named("fieldPermissions") {
        let [field, editable, readable] = find.first(doc, n);
        let Some(field_node) = field else {
            continue;
        };
        let editable = editable.is_some_and(|n| doc.is_true(n));
        let written_readable = readable.is_some_and(|n| doc.is_true(n));
        p.fields.push(Arc::new(FieldGrant {
            field_node,
            readable: editable || written_readable,
            editable,
            written_readable,
            origin: Origin::new(doc, file, n),
            via: via.cloned(),
        }));
    }
    // Retrieved files list objects and fields with every flag false: those grant nothing.
    p.objects.retain(|g| g.any_access());
    p.fields
        .retain(|f| f.readable || f.editable || f.written_readable);
    p
}

/// Effective permissions: direct for profiles and sets, union minus muting for groups.
pub fn effective(org: &Org, c: &Arc<Component>) -> Permissions {
    if c.kind != Kind::PermissionSetGroup {
        return direct(c, None);
    }
    let doc = &c.doc;
    let mut p = Permissions::default();
    for n in doc.children_named(c.node, "permissionSets") {
        let member = doc.text(n).trim();
        // One per member, shared by all its grants.
        let via = Arc::new(Via {
            member: member.to_string(),
            element: Origin::new(&c.doc, c.file, n),
        });
        match org.find(Kind::PermissionSet, member) {
            Some(ps) => {
                let d = direct(ps, Some(&via));
                p.user.extend(d.user);
                p.custom.extend(d.custom);
                p.principals.extend(d.principals);
                p.objects.extend(d.objects);
                p.fields.extend(d.fields);
            }
            None => p.missing_members.push(member.to_string()),
        }
    }
    for n in doc.children_named(c.node, "mutingPermissionSets") {
        let name = doc.text(n).trim();
        let Some(muting) = org.find(Kind::MutingPermissionSet, name) else {
            p.missing_members.push(name.to_string());
            continue;
        };
        let m = direct(muting, None);
        let muted_user: FxHashSet<&str> = m.user.iter().map(|g| g.name.as_str()).collect();
        p.user.retain(|g| !muted_user.contains(g.name.as_str()));
        let muted_custom: FxHashSet<&str> = m.custom.iter().map(|g| g.name.as_str()).collect();
        p.custom.retain(|g| !muted_custom.contains(g.name.as_str()));
        for mo in &m.objects {
            // A muting entry lists what it removes: the written flags, not the implied ones.
            let raw = mo.written;
            for g in p
                .objects
                .iter_mut()
                .filter(|g| g.object.eq_ignore_ascii_case(&mo.object))
            {
                let g = Arc::make_mut(g);
                for (flag, muted) in g.flags.iter_mut().zip(raw) {
                    if muted {
                        *flag = false;
                    }
                }
            }
        }
        for mf in &m.fields {
            for g in p
                .fields
                .iter_mut()
                .filter(|g| g.field().eq_ignore_ascii_case(mf.field()))
            {
                let g = Arc::make_mut(g);
                if mf.editable {
                    g.editable = false;
                }
                if mf.written_readable {
                    g.readable = false;
                    g.editable = false;
                }
            }
        }
    }
    p.objects.retain(|g| g.any_access());
    p.fields.retain(|f| f.readable || f.editable);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::org::test_org;

    const PS: &str = "force-app/main/default/permissionsets";

    fn ps(name: &str, body: &str) -> (String, String) {
        (
            format!("{PS}/{name}.permissionset-meta.xml"),
            format!("<PermissionSet><label>{name}</label>{body}</PermissionSet>"),
        )
    }

    fn up(name: &str) -> String {
        format!("<userPermissions><enabled>true</enabled><name>{name}</name></userPermissions>")
    }

    fn obj(o: &str, flags: &[&str]) -> String {
        let f: String = flags.iter().map(|f| format!("<{f}>true</{f}>")).collect();
        format!("<objectPermissions>{f}<object>{o}</object></objectPermissions>")
    }

    fn field(f: &str, editable: bool) -> String {
        format!("<fieldPermissions><editable>{editable}</editable><field>{f}</field><readable>true</readable></fieldPermissions>")
    }

    fn effective_of(files: &[(String, String)], kind: Kind, name: &str) -> Permissions {
        let refs: Vec<(&str, &str)> = files
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let (_dir, org) = test_org(&refs);
        let c = org.find(kind, name).expect("component").clone();
        effective(&org, &c)
    }

    #[test]
    fn implications_and_empty_entries() {
        let p = effective_of(
            &[ps(
                "A",
                &[
                    obj("Account", &["modifyAllRecords"]),
                    obj("Lead", &[]),
                    field("Account.X__c", true),
                    field("Lead.Y__c", false)
                        .replace("<readable>true</readable>", "<readable>false</readable>"),
                ]
                .concat(),
            )],
            Kind::PermissionSet,
            "A",
        );
        let account = &p.objects[0];
        for f in ["allowRead", "allowEdit", "allowDelete", "viewAllRecords"] {
            assert!(account.flag(f), "Modify All implies {f}");
        }
        assert!(!account.flag("allowCreate"), "but not Create");
        assert_eq!(
            p.objects.len(),
            1,
            "an entry with every flag false grants nothing"
        );
        assert_eq!(p.fields.len(), 1);
        assert!(p.fields[0].readable, "editable implies readable");
    }

    #[test]
    fn a_group_is_its_members_minus_its_muting_set() {
        let files = vec![
            ps("Read", &[up("ApiEnabled"), obj("Account", &["allowRead"])].concat()),
            ps(
                "Write",
                &[
                    up("ModifyAllData"),
                    up("ViewAllData"),
                    obj("Account", &["allowEdit", "allowDelete"]),
                    field("Account.Secret__c", true),
                ]
                .concat(),
            ),
            (
                "force-app/main/default/mutingpermissionsets/Muted.mutingpermissionset-meta.xml".into(),
                format!(
                    "<MutingPermissionSet><label>Muted</label>{}{}{}</MutingPermissionSet>",
                    up("ViewAllData"),
                    obj("Account", &["allowDelete"]),
                    field("Account.Secret__c", true)
                        .replace("<readable>true</readable>", "<readable>false</readable>")
                ),
            ),
            (
                "force-app/main/default/permissionsetgroups/G.permissionsetgroup-meta.xml".into(),
                "<PermissionSetGroup><label>G</label><mutingPermissionSets>Muted</mutingPermissionSets><permissionSets>Read</permissionSets><permissionSets>Write</permissionSets><permissionSets>ns__Elsewhere</permissionSets></PermissionSetGroup>".into(),
            ),
        ];
        let p = effective_of(&files, Kind::PermissionSetGroup, "G");
        let names: Vec<&str> = p.user.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            ["ApiEnabled", "ModifyAllData"],
            "ViewAllData is muted"
        );
        assert!(p.user.iter().all(|g| g.via.is_some()));
        let write = p
            .objects
            .iter()
            .find(|g| g.via.as_ref().unwrap().member == "Write")
            .unwrap();
        assert!(
            write.flag("allowEdit") && !write.flag("allowDelete"),
            "Delete is muted, Edit stays"
        );
        let secret = &p.fields[0];
        assert!(
            !secret.editable && secret.readable,
            "a muted edit leaves read"
        );
        assert_eq!(p.missing_members, ["ns__Elsewhere"]);
        // A finding on a member's grant points at the group and names the member's grant.
        let loc = p.user[1].loc();
        assert!(loc.anchor.as_str().starts_with("PermissionSetGroup[G]/permissionSets[Write] -> PermissionSet[Write]/userPermissions[ModifyAllData]"), "{}", loc.anchor);
    }

    #[test]
    fn a_decomposed_permission_set_reads_every_part() {
        let files = vec![
            (
                format!("{PS}/D/D.permissionset-meta.xml"),
                "<PermissionSet><label>D</label></PermissionSet>".to_string(),
            ),
            (
                format!("{PS}/D/D.userPermission-meta.xml"),
                format!("<PermissionSet>{}</PermissionSet>", up("ModifyAllData")),
            ),
            (
                format!("{PS}/D/objectSettings/Account.objectSettings-meta.xml"),
                format!(
                    "<PermissionSet>{}{}</PermissionSet>",
                    obj("Account", &["allowEdit"]),
                    field("Account.A__c", true)
                ),
            ),
            (
                format!("{PS}/D/userPermissions/AuthorApex.userPermission-meta.xml"),
                "<UserPermission><enabled>true</enabled><name>AuthorApex</name></UserPermission>"
                    .to_string(),
            ),
        ];
        let p = effective_of(&files, Kind::PermissionSet, "D");
        let mut names: Vec<&str> = p.user.iter().map(|g| g.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["AuthorApex", "ModifyAllData"]);
        assert_eq!(p.objects.len(), 1);
        assert_eq!(p.fields.len(), 1);
        let files_of: Vec<u32> = p.user.iter().map(|g| g.origin.file).collect();
        assert_ne!(
            files_of[0], files_of[1],
            "each grant is located in the file that holds it"
        );
    }
}
