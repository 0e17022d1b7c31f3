//! The API policies see: metadata as custom types that are handles into parsed documents.
//!
//! Reading a property never copies a subtree: an `Element` is an `Arc<Document>` plus a node id.
//! Findings go to a per-thread sink through `report(...)`, and carry the location of the handle
//! they were given, so they point at the exact XML element.

use super::schema::{self, Property};
use crate::analysis::Analysis;
use crate::findings::{Loc, Related};
use crate::formula;
use crate::kind::Kind;
use crate::model::{Component, FileId};
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

fn formula_refs(el: &Element) -> Array {
    let text = el.doc.text(el.node);
    formula::scan(text)
        .into_iter()
        .map(|r| {
            let (start, end) = el.doc.text_span(el.node, r.start, r.end);
            Dynamic::from(FormulaRef {
                kind: r.kind.as_str(),
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

/// Register every type and function policies can use.
pub fn register(engine: &mut Engine) {
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
