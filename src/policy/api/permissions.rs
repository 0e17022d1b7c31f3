//! Effective permissions: `Permissions` and its grants. Every grant reports where it is written
//! (`origin`) and, in a permission set group, the member it arrives through (`via`).

use super::reporting::Location;
use crate::model::permissions::{FieldGrant, ObjectGrant, Permissions, UserGrant, Via};
use rhai::{Array, Dynamic, Engine, Map};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;

/// Effective permissions, with the objects (lower case) the identity's user can edit from any
/// source: field edit counts only there.
#[derive(Clone)]
pub struct PermissionsRef(pub Arc<Permissions>, pub Arc<FxHashSet<String>>);
#[derive(Clone)]
pub struct UserGrantRef(pub Arc<UserGrant>);
#[derive(Clone)]
pub struct ObjectGrantRef(pub Arc<ObjectGrant>);
#[derive(Clone)]
pub struct FieldGrantRef(pub Arc<FieldGrant>);

fn via_dyn(via: &Option<Arc<Via>>) -> Dynamic {
    via.as_ref()
        .map_or(Dynamic::UNIT, |v| Dynamic::from(v.member.clone()))
}

/// Editable fields grouped by object: `#{object, count, first, by_member}`, in first-seen order,
/// only on objects the identity can edit (a field marked editable on an object it cannot edit
/// grants no edit). `count` counts distinct fields; `by_member` counts per group member (`via`).
fn editable_fields_by_object(p: &Permissions, editable_objects: &FxHashSet<String>) -> Array {
    type Group = (String, FxHashSet<String>, usize, Map);
    let mut order: Vec<String> = Vec::new();
    let mut groups: FxHashMap<String, Group> = FxHashMap::default();
    for (i, g) in p.fields.iter().enumerate() {
        let key = g.object().to_lowercase();
        if !g.editable || !editable_objects.contains(&key) {
            continue;
        }
        let entry = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (g.object().to_string(), Default::default(), i, Map::new())
        });
        entry.1.insert(g.field().to_lowercase());
        if let Some(via) = &g.via {
            let count = entry
                .3
                .entry(via.member.as_str().into())
                .or_insert(Dynamic::from(0_i64));
            *count = Dynamic::from(count.as_int().unwrap_or(0) + 1);
        }
    }
    order
        .into_iter()
        .filter_map(|key| {
            let (object, fields, first, by_member) = groups.remove(&key)?;
            let mut m = Map::new();
            m.insert("object".into(), Dynamic::from(object));
            m.insert("count".into(), Dynamic::from(fields.len() as i64));
            m.insert(
                "first".into(),
                Dynamic::from(FieldGrantRef(p.fields[first].clone())),
            );
            m.insert("by_member".into(), Dynamic::from_map(by_member));
            Some(Dynamic::from_map(m))
        })
        .collect()
}

/// Grants as script values, each wrapped in its handle type.
fn handles<G, H: Clone + Send + Sync + 'static>(grants: &[Arc<G>], wrap: fn(Arc<G>) -> H) -> Array {
    grants
        .iter()
        .map(|g| Dynamic::from(wrap(g.clone())))
        .collect()
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<PermissionsRef>("Permissions")
        .register_get("user_permissions", |p: &mut PermissionsRef| {
            handles(&p.0.user, UserGrantRef)
        })
        .register_get(
            "external_credential_principals",
            |p: &mut PermissionsRef| handles(&p.0.principals, UserGrantRef),
        )
        .register_get("custom_permissions", |p: &mut PermissionsRef| {
            handles(&p.0.custom, UserGrantRef)
        })
        .register_get("object_permissions", |p: &mut PermissionsRef| {
            handles(&p.0.objects, ObjectGrantRef)
        })
        .register_get("field_permissions", |p: &mut PermissionsRef| {
            handles(&p.0.fields, FieldGrantRef)
        })
        .register_get("missing_members", |p: &mut PermissionsRef| -> Array {
            p.0.missing_members
                .iter()
                .map(|m| Dynamic::from(m.clone()))
                .collect()
        })
        .register_get("editable_fields_by_object", |p: &mut PermissionsRef| {
            crate::policy::sandbox::native(|| editable_fields_by_object(&p.0, &p.1))
        })
        .register_fn("has", |p: &mut PermissionsRef, name: &str| {
            p.0.user.iter().any(|g| g.name.eq_ignore_ascii_case(name))
        });

    engine
        .register_type_with_name::<UserGrantRef>("UserGrant")
        .register_get("name", |g: &mut UserGrantRef| g.0.name.clone())
        .register_get("via", |g: &mut UserGrantRef| via_dyn(&g.0.via))
        .register_get("origin", |g: &mut UserGrantRef| Location(g.0.origin.loc()))
        .register_fn(
            "flag_location",
            |g: &mut UserGrantRef, flag: &str| match flag {
                "enabled" => Ok(Dynamic::from(Location(g.0.origin.flag_loc("enabled")))),
                other => Err(unknown_flag(other, &["enabled"])),
            },
        );

    engine
        .register_type_with_name::<ObjectGrantRef>("ObjectGrant")
        .register_get("object", |g: &mut ObjectGrantRef| g.0.object.clone())
        .register_get("via", |g: &mut ObjectGrantRef| via_dyn(&g.0.via))
        .register_get("origin", |g: &mut ObjectGrantRef| {
            Location(g.0.origin.loc())
        });
    for (prop, flag) in OBJECT_FLAG_NAMES {
        engine.register_get(prop, move |g: &mut ObjectGrantRef| g.0.flag(flag));
    }
    // The exact element that grants a flag, in whichever file writes it (a group's member
    // included): `g.flag_location("delete")` or `g.flag_location("allowDelete")`.
    engine.register_fn("flag_location", |g: &mut ObjectGrantRef, flag: &str| {
        let Some(i) = OBJECT_FLAG_NAMES
            .iter()
            .position(|(short, xml)| *short == flag || *xml == flag)
        else {
            let names: Vec<&str> = OBJECT_FLAG_NAMES
                .iter()
                .flat_map(|(a, b)| [*a, *b])
                .collect();
            return Err(unknown_flag(flag, &names));
        };
        Ok(g.0
            .flag_loc(i)
            .map_or(Dynamic::UNIT, |loc| Dynamic::from(Location(loc))))
    });

    engine
        .register_type_with_name::<FieldGrantRef>("FieldGrant")
        .register_get("field", |g: &mut FieldGrantRef| g.0.field().to_string())
        .register_get("object", |g: &mut FieldGrantRef| g.0.object().to_string())
        .register_get("readable", |g: &mut FieldGrantRef| g.0.readable)
        .register_get("editable", |g: &mut FieldGrantRef| g.0.editable)
        .register_get("via", |g: &mut FieldGrantRef| via_dyn(&g.0.via))
        .register_get("origin", |g: &mut FieldGrantRef| Location(g.0.origin.loc()))
        .register_fn("flag_location", |g: &mut FieldGrantRef, flag: &str| {
            let editable = match flag {
                "editable" | "edit" => true,
                "readable" | "read" => false,
                other => return Err(unknown_flag(other, &["readable", "editable"])),
            };
            Ok(g.0
                .flag_loc(editable)
                .map_or(Dynamic::UNIT, |loc| Dynamic::from(Location(loc))))
        });
}

/// Object flags: the property name policies use, and the element that holds it (in
/// `OBJECT_FLAGS` order).
const OBJECT_FLAG_NAMES: [(&str, &str); 6] = [
    ("read", "allowRead"),
    ("create", "allowCreate"),
    ("edit", "allowEdit"),
    ("delete", "allowDelete"),
    ("view_all", "viewAllRecords"),
    ("modify_all", "modifyAllRecords"),
];

fn unknown_flag(flag: &str, known: &[&str]) -> Box<rhai::EvalAltResult> {
    super::runtime_error(format!(
        "no flag `{flag}`{} (flags: {})",
        crate::util::did_you_mean(known.iter().copied(), flag),
        known.join(", ")
    ))
}
