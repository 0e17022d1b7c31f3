//! What a set of identities reaches: objects with their access, consent fields, and the
//! org-wide data permissions, read from the effective permissions the rules use.

use super::Ctx;
use crate::model::Component;
use serde::Serialize;
use std::sync::Arc;

/// Access words, indexed like `model::permissions::OBJECT_FLAGS`.
pub const ACCESS: [&str; 6] = ["read", "create", "edit", "delete", "view-all", "modify-all"];

/// Org-wide data permissions: they reach every object, whatever the object grants say.
const ALL_DATA: &[(&str, bool)] = &[("ModifyAllData", true), ("ViewAllData", false)];

#[derive(Debug, Serialize, Clone, Default)]
pub struct Reach {
    pub objects: Vec<ObjectReach>,
    /// Consent fields readable or editable.
    pub consent_fields: Vec<FieldReach>,
    /// `ModifyAllData`, `ViewAllData` when granted: every object, every record.
    pub all_data: Vec<String>,
    /// `ModifyAllData` is among them.
    #[serde(skip)]
    pub all_data_write: bool,
}

#[derive(Debug, Serialize, Clone)]
pub struct ObjectReach {
    pub object: String,
    /// `read`, `create`, `edit`, `delete`, `view-all`, `modify-all` (implications applied).
    pub access: Vec<&'static str>,
    pub sensitive: bool,
    /// The identities that grant it (API names), or `register` for documented access.
    pub via: Vec<String>,
}

impl ObjectReach {
    pub fn can(&self, access: &str) -> bool {
        self.access.contains(&access)
    }
}

#[derive(Debug, Serialize, Clone)]
pub struct FieldReach {
    pub field: String,
    /// `read` or `edit`.
    pub access: &'static str,
    pub via: Vec<String>,
}

fn add_via(via: &mut Vec<String>, name: &str) {
    if !via.iter().any(|v| v == name) {
        via.push(name.to_string());
    }
}

/// The reach of `identities` together, plus `documented` objects with their access (from a
/// register entry).
pub(crate) fn of(
    ctx: &Ctx,
    identities: &[Arc<Component>],
    documented: &[(String, [bool; 6])],
) -> Reach {
    let mut objects: Vec<(String, [bool; 6], Vec<String>)> = Vec::new();
    let mut merge = |object: &str, flags: &[bool; 6], via: &str| {
        let entry = super::find_or_push(
            &mut objects,
            |(o, _, _)| o.eq_ignore_ascii_case(object),
            || (object.to_string(), [false; 6], Vec::new()),
        );
        for (have, add) in entry.1.iter_mut().zip(flags) {
            *have |= *add;
        }
        add_via(&mut entry.2, via);
    };
    let mut fields: Vec<FieldReach> = Vec::new();
    let mut all_data: Vec<String> = Vec::new();
    let mut all_data_write = false;
    for c in identities {
        let p = ctx.a.effective_permissions(c);
        for g in p.objects.iter().filter(|g| g.any_access()) {
            merge(&g.object, &g.flags, &c.name);
        }
        for f in p.fields.iter().filter(|f| f.readable || f.editable) {
            let name = f.field();
            if !ctx
                .consent_fields
                .iter()
                .any(|c| c.eq_ignore_ascii_case(name))
            {
                continue;
            }
            let access = if f.editable { "edit" } else { "read" };
            match fields
                .iter_mut()
                .find(|x| x.field.eq_ignore_ascii_case(name))
            {
                Some(x) => {
                    if access == "edit" {
                        x.access = "edit";
                    }
                    add_via(&mut x.via, &c.name);
                }
                None => fields.push(FieldReach {
                    field: name.to_string(),
                    access,
                    via: vec![c.name.clone()],
                }),
            }
        }
        for u in &p.user {
            if let Some((name, write)) = ALL_DATA.iter().find(|(n, _)| *n == u.name) {
                all_data_write |= write;
                if !all_data.iter().any(|x| x == name) {
                    all_data.push(name.to_string());
                }
            }
        }
    }
    for (object, flags) in documented {
        merge(object, flags, "register");
    }
    objects.sort_by_key(|(o, _, _)| o.to_lowercase());
    fields.sort_by_key(|f| f.field.to_lowercase());
    all_data.sort();
    Reach {
        objects: objects
            .into_iter()
            .map(|(object, flags, via)| ObjectReach {
                sensitive: ctx.is_sensitive(&object),
                access: ACCESS
                    .iter()
                    .zip(flags)
                    .filter(|(_, f)| *f)
                    .map(|(a, _)| *a)
                    .collect(),
                object,
                via,
            })
            .collect(),
        consent_fields: fields,
        all_data,
        all_data_write,
    }
}
