//! The API policies see: metadata as custom types that are handles into parsed documents.
//!
//! Reading a property never copies a subtree: an `Element` is an `Arc<Document>` plus a node id.
//! Findings go to a per-thread sink through `report(...)`, and carry the location of the handle
//! they were given, so they point at the exact XML element.

use super::schema::{self, Property};
use crate::analysis::{Analysis, PreAuth, RunAs, RunAsSource};
use crate::findings::{Loc, Related};
use crate::formula;
use crate::kind::Kind;
use crate::model::{Component, FileId};
use crate::permissions::{FieldGrant, ObjectGrant, Permissions, UserGrant};
use crate::xml::{Document, NodeId};
use rhai::{Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Position};
use std::cell::RefCell;
use std::sync::Arc;

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

/// An XML element of a metadata file.
#[derive(Clone)]
pub struct Element {
    pub doc: Arc<Document>,
    pub node: NodeId,
    pub file: FileId,
}

/// A metadata component (one profile, one flow, one validation rule...).
#[derive(Clone)]
pub struct ComponentRef(pub Arc<Component>);

/// The whole org, with the cross-file analysis.
#[derive(Clone)]
pub struct OrgRef(pub Arc<Analysis>);

/// A reference found in a formula (`$User.Username`, `$Permission.X`, a literal profile id).
#[derive(Clone)]
pub struct FormulaRef {
    pub kind: &'static str,
    /// Compared with (or matched against) a string literal in the formula.
    pub compared_with_literal: bool,
    pub text: String,
    pub name: String,
    pub line: i64,
    pub loc: Loc,
}

/// A finding as a script reports it; the runner adds rule id and severity.
pub struct Reported {
    pub loc: Loc,
    pub message: String,
    pub help: Option<String>,
    pub related: Vec<Related>,
}

thread_local! {
    static SINK: RefCell<Vec<Reported>> = const { RefCell::new(Vec::new()) };
    static OPTIONS: RefCell<Option<Arc<Map>>> = const { RefCell::new(None) };
}

/// The options of the policy about to run on this thread.
pub fn set_options(options: Arc<Map>) {
    OPTIONS.with(|o| *o.borrow_mut() = Some(options));
}

fn option(name: &str) -> RhaiResult<Dynamic> {
    OPTIONS.with(|o| {
        o.borrow()
            .as_ref()
            .and_then(|m| m.get(name).cloned())
            .ok_or_else(|| {
                runtime_error(format!("option `{name}` is not declared in RULE.options"))
            })
    })
}

/// Take everything reported on this thread since the last call.
pub fn drain_reported() -> Vec<Reported> {
    SINK.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

fn runtime_error(message: impl Into<String>) -> Box<EvalAltResult> {
    EvalAltResult::ErrorRuntime(Dynamic::from(message.into()), Position::NONE).into()
}

impl Element {
    pub fn new(doc: Arc<Document>, node: NodeId, file: FileId) -> Self {
        Element { doc, node, file }
    }

    fn at(&self, node: NodeId) -> Element {
        Element::new(self.doc.clone(), node, self.file)
    }

    pub fn tag(&self) -> &str {
        self.doc.name(self.node)
    }

    pub fn text(&self) -> &str {
        self.doc.text(self.node).trim()
    }

    pub fn loc(&self) -> Loc {
        let (start, end) = self.doc.span(self.node);
        Loc {
            file: self.file,
            start,
            end,
            key: format!("{}={}", self.doc.path(self.node), self.key_text()),
        }
    }

    /// What identifies this element among its siblings, for fingerprints.
    fn key_text(&self) -> &str {
        for id in ["name", "fullName", "field", "object", "apexClass", "flow"] {
            if let Some(t) = self.doc.child_text(self.node, id) {
                return t;
            }
        }
        self.text()
    }

    fn child(&self, tag: &str) -> Dynamic {
        self.doc
            .child(self.node, tag)
            .map_or(Dynamic::UNIT, |c| Dynamic::from(self.at(c)))
    }

    fn children_named(&self, tag: &str) -> Array {
        self.doc
            .children_named(self.node, tag)
            .map(|c| Dynamic::from(self.at(c)))
            .collect()
    }

    /// `el.someChild`: schema-checked property access.
    fn property(&self, name: &str) -> RhaiResult<Dynamic> {
        match schema::property(self.tag(), name) {
            Property::Repeated => Ok(self.children_named(name).into()),
            Property::Single => Ok(self.child(name)),
            Property::Unknown(suggestion) => {
                if self.doc.child(self.node, name).is_some() {
                    return Ok(self.child(name));
                }
                let hint = suggestion
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                Err(runtime_error(format!(
                    "<{}> has no property `{name}`{hint} (use .child(\"{name}\") for elements outside the schema)",
                    self.tag()
                )))
            }
        }
    }
}

/// The element's text split at commas and whitespace (callback URL lists, comma-separated
/// scopes), each piece located exactly in the file.
fn items(el: &Element) -> Array {
    let text = el.doc.text(el.node);
    let mut out = Array::new();
    let mut start = None;
    let bytes = text.as_bytes();
    for i in 0..=bytes.len() {
        let sep = i == bytes.len() || bytes[i] == b',' || bytes[i].is_ascii_whitespace();
        match (sep, start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                let (a, b) = el.doc.text_span(el.node, s, i);
                let piece = &text[s..i];
                let mut m = Map::new();
                m.insert("text".into(), Dynamic::from(piece.to_string()));
                m.insert(
                    "location".into(),
                    Dynamic::from(Location(Loc {
                        file: el.file,
                        start: a,
                        end: b,
                        key: format!("{}={}", el.doc.path(el.node), piece),
                    })),
                );
                out.push(Dynamic::from_map(m));
                start = None;
            }
            _ => {}
        }
    }
    out
}

fn formula_refs(el: &Element) -> Array {
    let text = el.doc.text(el.node);
    formula::scan(text)
        .into_iter()
        .map(|r| {
            let (start, end) = el.doc.text_span(el.node, r.start, r.end);
            Dynamic::from(FormulaRef {
                kind: r.kind.as_str(),
                compared_with_literal: formula::compared_with_literal(text, &r),
                line: el.doc.line_of(start) as i64,
                loc: Loc {
                    file: el.file,
                    start,
                    end,
                    key: format!("{}={}", el.doc.path(el.node), r.text),
                },
                text: r.text,
                name: r.name,
            })
        })
        .collect()
}

/// The location of anything a script can report on.
fn loc_of(target: &Dynamic) -> RhaiResult<Loc> {
    if let Some(el) = target.read_lock::<Element>() {
        return Ok(el.loc());
    }
    if let Some(c) = target.read_lock::<ComponentRef>() {
        return Ok(Element::new(c.0.doc.clone(), c.0.node, c.0.file).loc());
    }
    if let Some(r) = target.read_lock::<FormulaRef>() {
        return Ok(r.loc.clone());
    }
    if let Some(l) = target.read_lock::<Location>() {
        return Ok(l.0.clone());
    }
    if let Some(p) = target.read_lock::<PreAuthRef>() {
        return Ok(p.0.loc.clone());
    }
    if let Some(r) = target.read_lock::<RunAsRef>() {
        return Ok(r.1.loc.clone());
    }
    if let Some(g) = target.read_lock::<UserGrantRef>() {
        return Ok(g.0.via.as_ref().map_or(&g.0.loc, |v| &v.loc).clone());
    }
    if let Some(g) = target.read_lock::<ObjectGrantRef>() {
        return Ok(g.0.via.as_ref().map_or(&g.0.loc, |v| &v.loc).clone());
    }
    if let Some(g) = target.read_lock::<FieldGrantRef>() {
        return Ok(g.0.via.as_ref().map_or(&g.0.loc, |v| &v.loc).clone());
    }
    if let Some(v) = target.read_lock::<RegisterValue>() {
        return Ok(v.loc.clone());
    }
    if let Some(e) = target.read_lock::<RegisterEntryRef>() {
        return Ok(e.header_loc());
    }
    Err(runtime_error(format!(
        "report() needs an Element, Component or FormulaRef to point at, got {}",
        target.type_name()
    )))
}

fn push(loc: Loc, message: String, help: Option<String>, related: Vec<Related>) {
    SINK.with(|s| {
        s.borrow_mut().push(Reported {
            loc,
            message,
            help,
            related,
        })
    });
}

fn report_map(target: Dynamic, details: Map) -> RhaiResult<()> {
    let mut message = None;
    let mut help = None;
    let mut related = Vec::new();
    for (key, value) in details {
        match key.as_str() {
            "message" => message = Some(value.to_string()),
            "help" => help = Some(value.to_string()),
            "related" => {
                let items = value.try_cast::<Array>().ok_or_else(|| {
                    runtime_error("`related` must be an array of [target, message]")
                })?;
                for item in items {
                    let pair = item
                        .try_cast::<Array>()
                        .filter(|p| p.len() == 2)
                        .ok_or_else(|| runtime_error("each `related` item is [target, message]"))?;
                    related.push(Related {
                        loc: loc_of(&pair[0])?,
                        message: pair[1].to_string(),
                    });
                }
            }
            other => {
                return Err(runtime_error(format!(
                    "report() does not know `{other}` (use message, help, related)"
                )))
            }
        }
    }
    let message = message.ok_or_else(|| runtime_error("report() needs a `message`"))?;
    push(loc_of(&target)?, message, help, related);
    Ok(())
}

fn kind_arg(kind: &str) -> RhaiResult<Kind> {
    Kind::from_name(kind).ok_or_else(|| {
        let names = Kind::ALL.iter().map(|k| k.as_str());
        let hint = schema::closest(names, kind)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        runtime_error(format!("unknown metadata kind `{kind}`{hint}"))
    })
}

fn component_dyn(c: &Arc<Component>) -> Dynamic {
    Dynamic::from(ComponentRef(c.clone()))
}

/// A location a finding can point at (a related place, the origin of a grant).
#[derive(Clone)]
pub struct Location(pub Loc);

#[derive(Clone)]
pub struct IdentityRef(pub Arc<Analysis>, pub usize);
#[derive(Clone)]
pub struct PreAuthRef(pub Arc<PreAuth>);
#[derive(Clone)]
pub struct RunAsRef(pub Arc<Analysis>, pub Arc<RunAs>);
#[derive(Clone)]
pub struct PermissionsRef(pub Arc<Permissions>);
#[derive(Clone)]
pub struct UserGrantRef(pub Arc<UserGrant>);
#[derive(Clone)]
pub struct ObjectGrantRef(pub Arc<ObjectGrant>);
#[derive(Clone)]
pub struct FieldGrantRef(pub Arc<FieldGrant>);
#[derive(Clone)]
pub struct RegisterRef(pub Arc<Analysis>);
#[derive(Clone)]
pub struct RegisterEntryRef(pub Arc<Analysis>, pub usize);

/// One value of a register entry, located at the value in `integrations.toml`.
#[derive(Clone)]
pub struct RegisterValue {
    pub text: String,
    pub loc: Loc,
}

impl RegisterEntryRef {
    fn entry(&self) -> &crate::register::Entry {
        &self
            .0
            .register
            .as_ref()
            .expect("entry of a loaded register")
            .register
            .entries[self.1]
    }

    fn header_loc(&self) -> Loc {
        let e = self.entry();
        self.0
            .register_loc(&e.span, &format!("integration[{}]", e.system()))
            .expect("register loaded")
    }

    fn value(&self, key: &str, text: String, span: &std::ops::Range<usize>) -> Dynamic {
        let system = self.entry().system().to_string();
        Dynamic::from(RegisterValue {
            loc: self
                .0
                .register_loc(span, &format!("integration[{system}].{key}={text}"))
                .expect("register loaded"),
            text,
        })
    }
}

fn opt_component(c: Option<&Arc<Component>>) -> Dynamic {
    c.map_or(Dynamic::UNIT, component_dyn)
}

fn via_dyn(via: &Option<crate::permissions::Via>) -> Dynamic {
    via.as_ref()
        .map_or(Dynamic::UNIT, |v| Dynamic::from(v.member.clone()))
}

/// Editable fields grouped by object: `#{object, count, first, by_member}`, in first-seen order.
/// `count` counts distinct fields; `by_member` counts per group member (`via`).
fn editable_fields_by_object(p: &Permissions) -> Array {
    let mut order: Vec<String> = Vec::new();
    let mut groups: rustc_hash::FxHashMap<
        String,
        (String, rustc_hash::FxHashSet<String>, usize, Map),
    > = rustc_hash::FxHashMap::default();
    for (i, g) in p.fields.iter().enumerate() {
        if !g.editable {
            continue;
        }
        let key = g.object().to_lowercase();
        let entry = groups.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            (g.object().to_string(), Default::default(), i, Map::new())
        });
        entry.1.insert(g.field.to_lowercase());
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
        .map(|key| {
            let (object, fields, first, by_member) = groups.remove(&key).expect("grouped");
            let mut m = Map::new();
            m.insert("object".into(), Dynamic::from(object));
            m.insert("count".into(), Dynamic::from(fields.len() as i64));
            m.insert(
                "first".into(),
                Dynamic::from(FieldGrantRef(p.fields[first].clone())),
            );
            m.insert("by_member".into(), Dynamic::from_map(by_member));
            Dynamic::from_map(m)
        })
        .collect()
}

fn register_analysis(engine: &mut Engine) {
    engine
        .register_type_with_name::<Location>("Location")
        .register_fn("to_debug", |l: &mut Location| {
            format!("Location({})", l.0.key)
        });

    engine
        .register_type_with_name::<IdentityRef>("Identity")
        .register_get("component", |i: &mut IdentityRef| {
            component_dyn(&i.0.identities[i.1].component)
        })
        .register_get("reasons", |i: &mut IdentityRef| -> Array {
            i.0.identities[i.1]
                .reasons
                .iter()
                .map(|r| Dynamic::from(r.text.clone()))
                .collect()
        })
        .register_get("reason_locations", |i: &mut IdentityRef| -> Array {
            i.0.identities[i.1]
                .reasons
                .iter()
                .filter_map(|r| r.loc.clone().map(|l| Dynamic::from(Location(l))))
                .collect()
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
        .register_type_with_name::<PermissionsRef>("Permissions")
        .register_get("user_permissions", |p: &mut PermissionsRef| -> Array {
            p.0.user
                .iter()
                .map(|g| Dynamic::from(UserGrantRef(g.clone())))
                .collect()
        })
        .register_get("custom_permissions", |p: &mut PermissionsRef| -> Array {
            p.0.custom
                .iter()
                .map(|g| Dynamic::from(UserGrantRef(g.clone())))
                .collect()
        })
        .register_get("object_permissions", |p: &mut PermissionsRef| -> Array {
            p.0.objects
                .iter()
                .map(|g| Dynamic::from(ObjectGrantRef(g.clone())))
                .collect()
        })
        .register_get("field_permissions", |p: &mut PermissionsRef| -> Array {
            p.0.fields
                .iter()
                .map(|g| Dynamic::from(FieldGrantRef(g.clone())))
                .collect()
        })
        .register_get("missing_members", |p: &mut PermissionsRef| -> Array {
            p.0.missing_members
                .iter()
                .map(|m| Dynamic::from(m.clone()))
                .collect()
        })
        .register_get("editable_fields_by_object", |p: &mut PermissionsRef| {
            editable_fields_by_object(&p.0)
        })
        .register_fn("has", |p: &mut PermissionsRef, name: &str| {
            p.0.user.iter().any(|g| g.name.eq_ignore_ascii_case(name))
        });

    engine
        .register_type_with_name::<UserGrantRef>("UserGrant")
        .register_get("name", |g: &mut UserGrantRef| g.0.name.clone())
        .register_get("via", |g: &mut UserGrantRef| via_dyn(&g.0.via))
        .register_get("origin", |g: &mut UserGrantRef| Location(g.0.loc.clone()));

    engine
        .register_type_with_name::<ObjectGrantRef>("ObjectGrant")
        .register_get("object", |g: &mut ObjectGrantRef| g.0.object.clone())
        .register_get("via", |g: &mut ObjectGrantRef| via_dyn(&g.0.via))
        .register_get("origin", |g: &mut ObjectGrantRef| Location(g.0.loc.clone()));
    for (prop, flag) in [
        ("read", "allowRead"),
        ("create", "allowCreate"),
        ("edit", "allowEdit"),
        ("delete", "allowDelete"),
        ("view_all", "viewAllRecords"),
        ("modify_all", "modifyAllRecords"),
    ] {
        engine.register_get(prop, move |g: &mut ObjectGrantRef| g.0.flag(flag));
    }

    engine
        .register_type_with_name::<FieldGrantRef>("FieldGrant")
        .register_get("field", |g: &mut FieldGrantRef| g.0.field.clone())
        .register_get("object", |g: &mut FieldGrantRef| g.0.object().to_string())
        .register_get("readable", |g: &mut FieldGrantRef| g.0.readable)
        .register_get("editable", |g: &mut FieldGrantRef| g.0.editable)
        .register_get("via", |g: &mut FieldGrantRef| via_dyn(&g.0.via))
        .register_get("origin", |g: &mut FieldGrantRef| Location(g.0.loc.clone()));

    engine
        .register_type_with_name::<RegisterRef>("Register")
        .register_get("entries", |r: &mut RegisterRef| -> Array {
            let n =
                r.0.register
                    .as_ref()
                    .map_or(0, |l| l.register.entries.len());
            (0..n)
                .map(|i| Dynamic::from(RegisterEntryRef(r.0.clone(), i)))
                .collect()
        })
        .register_get("edition", |r: &mut RegisterRef| {
            r.0.register
                .as_ref()
                .and_then(|l| l.register.edition.as_ref())
                .map_or(Dynamic::UNIT, |(e, _)| Dynamic::from(e.clone()))
        })
        .register_get("allotment", |r: &mut RegisterRef| {
            r.0.register
                .as_ref()
                .map_or(0, |l| l.register.allotment().0)
        })
        .register_get("allotment_reason", |r: &mut RegisterRef| {
            r.0.register
                .as_ref()
                .map_or(String::new(), |l| l.register.allotment().1)
        });

    engine
        .register_type_with_name::<RegisterEntryRef>("RegisterEntry")
        .register_get("system", |e: &mut RegisterEntryRef| {
            e.entry().system().to_string()
        })
        .register_get("license", |e: &mut RegisterEntryRef| {
            e.entry().license().to_string()
        })
        .register_get("location", |e: &mut RegisterEntryRef| {
            Location(e.header_loc())
        })
        .register_get("missing", |e: &mut RegisterEntryRef| -> Array {
            e.entry()
                .missing()
                .into_iter()
                .map(|m| Dynamic::from(m.to_string()))
                .collect()
        })
        .register_fn("text", |e: &mut RegisterEntryRef, key: &str| {
            e.entry()
                .text(key)
                .map_or(Dynamic::UNIT, |t| Dynamic::from(t.to_string()))
        })
        .register_fn("field", |e: &mut RegisterEntryRef, key: &str| {
            let Some(f) = e.entry().field(key) else {
                return Dynamic::UNIT;
            };
            let text = e.entry().text(key).unwrap_or("").to_string();
            e.value(key, text, &f.node.span)
        })
        .register_fn("key", |e: &mut RegisterEntryRef, key: &str| {
            let Some(f) = e.entry().field(key) else {
                return Dynamic::UNIT;
            };
            e.value(key, key.to_string(), &f.key_span)
        })
        .register_fn("list", |e: &mut RegisterEntryRef, key: &str| -> Array {
            e.entry()
                .list(key)
                .into_iter()
                .map(|(text, span)| e.value(key, text, &span))
                .collect()
        });

    engine
        .register_type_with_name::<RegisterValue>("RegisterValue")
        .register_get("text", |v: &mut RegisterValue| v.text.clone());

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
            |o: &mut OrgRef, c: ComponentRef| PermissionsRef(o.0.effective_permissions(&c.0)),
        )
        .register_get("register", |o: &mut OrgRef| {
            if o.0.register.is_some() {
                Dynamic::from(RegisterRef(o.0.clone()))
            } else {
                Dynamic::UNIT
            }
        })
        .register_fn("is_standard_profile", |_: &mut OrgRef, c: ComponentRef| {
            c.0.kind == Kind::Profile && crate::model::is_standard_profile(&c.0)
        })
        .register_fn("customer_owned", |o: &mut OrgRef, c: ComponentRef| {
            o.0.customer_owned(&c.0)
        })
        .register_fn("foreign_namespace", |o: &mut OrgRef, name: &str| {
            crate::model::foreign_namespace(name, &o.0.org.namespace).is_some()
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
        })
        .register_fn("file_of", |o: &mut OrgRef, c: ComponentRef| {
            o.0.org.file(c.0.file).rel.clone()
        });

    engine.register_fn("option", option);
    engine.register_fn("is_standard_profile_name", |name: &str| {
        crate::model::is_standard_profile_name(name)
    });
    engine.register_fn("today", crate::config::today);
}

/// Register every type and function policies can use.
pub fn register(engine: &mut Engine) {
    register_analysis(engine);
    register_element(engine);
    register_component(engine);
    register_org(engine);
    register_formula(engine);

    engine.register_fn(
        "report",
        |target: Dynamic, message: &str| -> RhaiResult<()> {
            push(loc_of(&target)?, message.to_string(), None, Vec::new());
            Ok(())
        },
    );
    engine.register_fn(
        "report",
        |target: Dynamic, message: &str, help: &str| -> RhaiResult<()> {
            push(
                loc_of(&target)?,
                message.to_string(),
                Some(help.to_string()),
                Vec::new(),
            );
            Ok(())
        },
    );
    engine.register_fn("report", report_map);
}

fn register_element(engine: &mut Engine) {
    engine
        .register_type_with_name::<Element>("Element")
        .register_get("tag", |e: &mut Element| e.tag().to_string())
        .register_get("text", |e: &mut Element| e.text().to_string())
        .register_get("is_true", |e: &mut Element| {
            e.text().eq_ignore_ascii_case("true")
        })
        .register_get("line", |e: &mut Element| {
            e.doc.line_of(e.doc.span(e.node).0) as i64
        })
        .register_get("path", |e: &mut Element| e.doc.path(e.node))
        .register_get("parent", |e: &mut Element| {
            e.doc
                .parent(e.node)
                .map_or(Dynamic::UNIT, |p| Dynamic::from(e.at(p)))
        })
        .register_get("children", |e: &mut Element| -> Array {
            e.doc
                .children(e.node)
                .map(|c| Dynamic::from(e.at(c)))
                .collect()
        })
        .register_fn("child", |e: &mut Element, tag: &str| e.child(tag))
        .register_fn("children", |e: &mut Element, tag: &str| {
            e.children_named(tag)
        })
        .register_fn("items", |e: &mut Element| items(e))
        .register_fn("mentions", |e: &mut Element, needle: &str| {
            e.doc.subtree_mentions(e.node, needle)
        })
        .register_fn("has", |e: &mut Element, tag: &str| {
            e.doc.child(e.node, tag).is_some()
        })
        .register_fn("text_of", |e: &mut Element, tag: &str| {
            e.doc.child_text(e.node, tag).unwrap_or("").to_string()
        })
        .register_fn("flag", |e: &mut Element, tag: &str| {
            e.doc.child_flag(e.node, tag)
        })
        .register_indexer_get(|e: &mut Element, name: ImmutableString| e.property(&name))
        .register_fn("to_string", |e: &mut Element| {
            format!("<{}> {}", e.tag(), e.text())
        })
        .register_fn("to_debug", |e: &mut Element| {
            format!(
                "Element(<{}> at line {})",
                e.tag(),
                e.doc.line_of(e.doc.span(e.node).0)
            )
        });
}

fn component_element(c: &ComponentRef) -> Element {
    Element::new(c.0.doc.clone(), c.0.node, c.0.file)
}

fn register_component(engine: &mut Engine) {
    engine
        .register_type_with_name::<ComponentRef>("Component")
        .register_get("kind", |c: &mut ComponentRef| c.0.kind.as_str().to_string())
        .register_get("name", |c: &mut ComponentRef| c.0.name.clone())
        .register_get("label", |c: &mut ComponentRef| c.0.label())
        .register_get("element", |c: &mut ComponentRef| component_element(c))
        .register_get("line", |c: &mut ComponentRef| {
            c.0.doc.line_of(c.0.doc.span(c.0.node).0) as i64
        })
        .register_fn("child", |c: &mut ComponentRef, tag: &str| {
            component_element(c).child(tag)
        })
        .register_fn("children", |c: &mut ComponentRef, tag: &str| {
            component_element(c).children_named(tag)
        })
        .register_fn("has", |c: &mut ComponentRef, tag: &str| {
            c.0.doc.child(c.0.node, tag).is_some()
        })
        .register_fn("text_of", |c: &mut ComponentRef, tag: &str| {
            c.0.text(tag).unwrap_or("").to_string()
        })
        .register_fn("flag", |c: &mut ComponentRef, tag: &str| c.0.flag(tag))
        .register_fn("mentions", |c: &mut ComponentRef, needle: &str| {
            c.0.doc.subtree_mentions(c.0.node, needle)
        })
        .register_indexer_get(|c: &mut ComponentRef, name: ImmutableString| {
            component_element(c).property(&name)
        })
        .register_fn("to_string", |c: &mut ComponentRef| {
            format!("{} {}", c.0.kind, c.0.name)
        })
        .register_fn("to_debug", |c: &mut ComponentRef| {
            format!("Component({} {})", c.0.kind, c.0.name)
        });
}

fn register_org(engine: &mut Engine) {
    engine
        .register_type_with_name::<OrgRef>("Org")
        .register_get("namespace", |o: &mut OrgRef| o.0.org.namespace.clone())
        .register_fn(
            "components",
            |o: &mut OrgRef, kind: &str| -> RhaiResult<Array> {
                let kind = kind_arg(kind)?;
                Ok(o.0.org.of_kind(kind).map(component_dyn).collect())
            },
        )
        .register_fn(
            "find",
            |o: &mut OrgRef, kind: &str, name: &str| -> RhaiResult<Dynamic> {
                let kind = kind_arg(kind)?;
                Ok(o.0
                    .org
                    .find(kind, name)
                    .map_or(Dynamic::UNIT, component_dyn))
            },
        )
        .register_fn(
            "find_by_label",
            |o: &mut OrgRef, kind: &str, label: &str| -> RhaiResult<Dynamic> {
                let kind = kind_arg(kind)?;
                Ok(o.0
                    .org
                    .find_by_label(kind, label)
                    .map_or(Dynamic::UNIT, component_dyn))
            },
        );
}

fn register_formula(engine: &mut Engine) {
    engine
        .register_type_with_name::<FormulaRef>("FormulaRef")
        .register_get("kind", |r: &mut FormulaRef| r.kind.to_string())
        .register_get("text", |r: &mut FormulaRef| r.text.clone())
        .register_get("name", |r: &mut FormulaRef| r.name.clone())
        .register_get("line", |r: &mut FormulaRef| r.line)
        .register_get("compared_with_literal", |r: &mut FormulaRef| {
            r.compared_with_literal
        })
        .register_fn("formula_refs", |e: &mut Element| formula_refs(e))
        .register_fn("to_string", |r: &mut FormulaRef| r.text.clone())
        .register_fn("to_debug", |r: &mut FormulaRef| {
            format!("FormulaRef({} {} at line {})", r.kind, r.text, r.line)
        })
        .register_fn("literal_id_kind", |value: &str| {
            formula::literal_id_kind(value.trim())
                .map_or(Dynamic::UNIT, |k| Dynamic::from(k.as_str().to_string()))
        })
        .register_fn("classify_reference", |reference: &str| {
            formula::classify_reference(reference.trim()).map_or(Dynamic::UNIT, |(k, path)| {
                let mut m = Map::new();
                m.insert("kind".into(), Dynamic::from(k.as_str().to_string()));
                m.insert("name".into(), Dynamic::from(path));
                Dynamic::from_map(m)
            })
        });
}
