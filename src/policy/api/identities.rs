//! Integration identities and what makes them: `Identity`, `PreAuthorization`, `RunAs`, and the
//! org functions that find them.

use super::documents::{component_dyn, opt_component, ComponentRef, OrgRef};
use super::permissions::{FieldGrantRef, ObjectGrantRef, PermissionsRef, UserGrantRef};
use super::register::RegisterEntryRef;
use super::reporting::Location;
use crate::analysis::{Analysis, PreAuth, RunAs, RunAsSource};
use crate::model::{profiles, Kind};
use rhai::{Array, Dynamic, Engine, Map};
use std::sync::Arc;

#[derive(Clone)]
pub struct IdentityRef(pub Arc<Analysis>, pub usize);

impl IdentityRef {
    fn identity(&self) -> &crate::analysis::Identity {
        &self.0.identities[self.1]
    }
}

/// `#{kind, text, strong, detail, location}`: structured evidence a policy can reason about.
fn evidence_map(e: &crate::analysis::Evidence) -> Dynamic {
    let mut m = Map::new();
    m.insert("kind".into(), Dynamic::from(e.kind.as_str().to_string()));
    m.insert("text".into(), Dynamic::from(e.text.clone()));
    m.insert("strong".into(), Dynamic::from(e.strong));
    m.insert("detail".into(), Dynamic::from(e.detail.clone()));
    m.insert(
        "location".into(),
        e.loc
            .as_ref()
            .map_or(Dynamic::UNIT, |l| Dynamic::from(Location(l.loc()))),
    );
    Dynamic::from_map(m)
}

/// `#{what, doc, admin_permissions, writes_records}` of a Salesforce-created identity.
fn platform_map(d: &crate::model::profiles::PlatformDesign) -> Dynamic {
    let mut m = Map::new();
    m.insert("what".into(), Dynamic::from(d.what.to_string()));
    m.insert("doc".into(), Dynamic::from(d.doc.to_string()));
    m.insert(
        "admin_permissions".into(),
        Dynamic::from_array(
            d.admin_permissions
                .iter()
                .map(|p| Dynamic::from(p.to_string()))
                .collect(),
        ),
    );
    m.insert("writes_records".into(), Dynamic::from(d.writes_records));
    Dynamic::from_map(m)
}
#[derive(Clone)]
pub struct PreAuthRef(pub Arc<PreAuth>);
#[derive(Clone)]
pub struct RunAsRef(pub Arc<Analysis>, pub Arc<RunAs>);

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<IdentityRef>("Identity")
        .register_get("component", |i: &mut IdentityRef| {
            component_dyn(&i.0.identities[i.1].component)
        })
        .register_get("reasons", |i: &mut IdentityRef| -> Array {
            i.identity()
                .evidence
                .iter()
                .map(|r| Dynamic::from(r.text.clone()))
                .collect()
        })
        .register_get("reason", |i: &mut IdentityRef| {
            i.identity().main_reason().to_string()
        })
        .register_get("reason_locations", |i: &mut IdentityRef| -> Array {
            i.identity()
                .evidence
                .iter()
                .filter_map(|r| r.loc.as_ref().map(|l| Dynamic::from(Location(l.loc()))))
                .collect()
        })
        .register_get("evidence", |i: &mut IdentityRef| -> Array {
            i.identity().evidence.iter().map(evidence_map).collect()
        })
        .register_get("strong", |i: &mut IdentityRef| i.identity().strong())
        .register_get("platform", |i: &mut IdentityRef| {
            i.identity().platform.map_or(Dynamic::UNIT, platform_map)
        })
        .register_fn("beyond_design", |i: &mut IdentityRef, g: UserGrantRef| {
            i.identity()
                .platform
                .map_or(true, |d| !d.admin_permissions.contains(&g.0.name.as_str()))
        })
        .register_fn("beyond_design", |i: &mut IdentityRef, g: ObjectGrantRef| {
            i.identity().platform.map_or(true, |d| {
                let writes = [
                    "allowCreate",
                    "allowEdit",
                    "allowDelete",
                    "modifyAllRecords",
                ]
                .iter()
                .any(|f| g.0.flag(f));
                writes && !d.writes_records
            })
        })
        .register_fn("beyond_design", |i: &mut IdentityRef, g: FieldGrantRef| {
            i.identity()
                .platform
                .map_or(true, |d| g.0.editable && !d.writes_records)
        });

    engine
        .register_type_with_name::<PreAuthRef>("PreAuthorization")
        .register_get("app", |p: &mut PreAuthRef| component_dyn(&p.0.app))
        .register_get("kind", |p: &mut PreAuthRef| p.0.kind.as_str().to_string())
        .register_get("name", |p: &mut PreAuthRef| p.0.name.clone())
        .register_get("target", |p: &mut PreAuthRef| {
            opt_component(p.0.target.as_ref())
        })
        .register_get("system_administrator", |p: &mut PreAuthRef| {
            p.0.system_administrator
        })
        .register_get("location", |p: &mut PreAuthRef| Location(p.0.loc.clone()));

    engine
        .register_type_with_name::<RunAsRef>("RunAs")
        .register_get("username", |r: &mut RunAsRef| r.1.username.clone())
        .register_get("system", |r: &mut RunAsRef| r.1.system.clone())
        .register_get("source", |r: &mut RunAsRef| match &r.1.source {
            RunAsSource::App(c) => c.kind.as_str().to_string(),
            RunAsSource::Register(_) => "register".to_string(),
        })
        .register_get("app", |r: &mut RunAsRef| match &r.1.source {
            RunAsSource::App(c) => component_dyn(c),
            RunAsSource::Register(_) => Dynamic::UNIT,
        })
        .register_get("entry", |r: &mut RunAsRef| match &r.1.source {
            RunAsSource::Register(i) => Dynamic::from(RegisterEntryRef(r.0.clone(), *i)),
            RunAsSource::App(_) => Dynamic::UNIT,
        })
        .register_get("location", |r: &mut RunAsRef| Location(r.1.loc.clone()));

    engine
        .register_fn("integration_identities", |o: &mut OrgRef| -> Array {
            (0..o.0.identities.len())
                .map(|i| Dynamic::from(IdentityRef(o.0.clone(), i)))
                .collect()
        })
        .register_fn("identity", |o: &mut OrgRef, c: ComponentRef| {
            o.0.identity_index(&c.0).map_or(Dynamic::UNIT, |i| {
                Dynamic::from(IdentityRef(o.0.clone(), i))
            })
        })
        .register_fn("preauthorizations", |o: &mut OrgRef| -> Array {
            o.0.preauths
                .iter()
                .map(|p| Dynamic::from(PreAuthRef(Arc::new(p.clone()))))
                .collect()
        })
        .register_fn("run_as_users", |o: &mut OrgRef| -> Array {
            o.0.run_as
                .iter()
                .map(|r| Dynamic::from(RunAsRef(o.0.clone(), Arc::new(r.clone()))))
                .collect()
        })
        .register_fn(
            "effective_permissions",
            |o: &mut OrgRef, c: ComponentRef| {
                // Model data the script reads: not counted against its budget.
                crate::policy::sandbox::native(|| {
                    PermissionsRef(o.0.effective_permissions(&c.0), o.0.editable_objects(&c.0))
                })
            },
        )
        .register_fn("is_standard_profile", |_: &mut OrgRef, c: ComponentRef| {
            c.0.kind == Kind::Profile && profiles::is_standard_profile(&c.0)
        })
        .register_fn("customer_owned", |o: &mut OrgRef, c: ComponentRef| {
            o.0.customer_owned(&c.0)
        })
        .register_fn("find_permission_set", |o: &mut OrgRef, name: &str| {
            opt_component(o.0.find_permission_set(name))
        })
        .register_fn("find_profile", |o: &mut OrgRef, name: &str| {
            opt_component(o.0.find_profile(name))
        })
        .register_fn("find_app", |o: &mut OrgRef, name: &str| {
            opt_component(o.0.find_app(name))
        })
        .register_fn("eca_of", |o: &mut OrgRef, c: ComponentRef| {
            opt_component(o.0.eca_for(&c.0))
        });
    engine.register_fn("is_standard_profile_name", |name: &str| {
        profiles::is_standard_profile_name(name)
    });
}
