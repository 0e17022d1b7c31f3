//! Documents: `Element` (an XML element of a metadata file), `Component` (one profile, flow,
//! validation rule...) and the `Org` lookups.

use super::{line_of, runtime_error, RhaiResult};
use crate::analysis::Analysis;
use crate::findings::Loc;
use crate::model::org::element_loc;
use crate::model::schema::{self, Property};
use crate::model::xml::{Document, NodeId};
use crate::model::{Component, Kind};
use crate::source::FileId;
use rhai::{Array, Dynamic, Engine, ImmutableString};
use std::sync::Arc;

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

impl ComponentRef {
    /// Its root element and, for a decomposed permission set, each part's root: together they
    /// hold the component's elements.
    fn roots(&self) -> Vec<Element> {
        let mut roots = vec![Element::of(self)];
        for part in &self.0.parts {
            roots.push(Element::new(part.doc.clone(), part.doc.root(), part.file));
        }
        roots
    }

    /// The component's elements named `tag`, in every file of a decomposed permission set.
    fn all_named(&self, tag: &str) -> Array {
        crate::policy::sandbox::native(|| {
            self.0
                .elements_named(tag)
                .map(|(doc, file, n)| Dynamic::from(Element::new(doc.clone(), n, file)))
                .collect()
        })
    }

    /// `c.someChild`: schema-checked, across the files of a decomposed permission set.
    fn property(&self, name: &str) -> RhaiResult<Dynamic> {
        let root = Element::of(self);
        match schema::property(schema::type_of(&root.doc, root.node), name) {
            Property::Repeated => Ok(self.all_named(name).into()),
            Property::Single => Ok(self
                .all_named(name)
                .into_iter()
                .next()
                .unwrap_or(Dynamic::UNIT)),
            Property::Unknown(_) if self.0.elements_named(name).next().is_some() => Ok(self
                .all_named(name)
                .into_iter()
                .next()
                .unwrap_or(Dynamic::UNIT)),
            Property::Unknown(_) => root.property_of("Component", name),
        }
    }
}

/// A `select` path: steps separated by `/`, each an element name (or `*`), optionally with
/// conditions on its children: `fieldPermissions[editable=true]/field`, `rules[conditions]`.
pub(super) struct Path {
    steps: Vec<Step>,
}

struct Step {
    name: String,
    /// `[child]` (present) or `[child=value]` (its trimmed text is `value`).
    conditions: Vec<(String, Option<String>)>,
}

impl Path {
    fn parse(path: &str) -> RhaiResult<Path> {
        let bad = |why: &str| {
            runtime_error(format!(
                "select(\"{path}\"): {why} (a path is steps like `a/b[c=value]/d`: element names or `*`, each with optional [child] or [child=value] conditions)"
            ))
        };
        let mut steps = Vec::new();
        for raw in path.split('/') {
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(bad("an empty step"));
            }
            let (name, mut rest) = match raw.find('[') {
                Some(i) => (&raw[..i], &raw[i..]),
                None => (raw, ""),
            };
            if name.is_empty()
                || !(name == "*" || name.chars().all(|c| c.is_alphanumeric() || c == '_'))
            {
                return Err(bad(&format!("`{name}` is not an element name")));
            }
            let mut conditions = Vec::new();
            while !rest.is_empty() {
                let Some(inner) = rest.strip_prefix('[') else {
                    return Err(bad(&format!("unexpected `{rest}`")));
                };
                let Some(end) = inner.find(']') else {
                    return Err(bad("a `[` without its `]`"));
                };
                let cond = &inner[..end];
                let (child, value) = match cond.split_once('=') {
                    Some((c, v)) => (
                        c.trim(),
                        Some(v.trim().trim_matches(['"', '\'']).to_string()),
                    ),
                    None => (cond.trim(), None),
                };
                if child.is_empty() || !child.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    return Err(bad(&format!("`[{cond}]` does not name a child element")));
                }
                conditions.push((child.to_string(), value));
                rest = &inner[end + 1..];
            }
            steps.push(Step {
                name: name.to_string(),
                conditions,
            });
        }
        Ok(Path { steps })
    }
}

impl Element {
    /// Every element named `tag` below this one, in file order.
    fn descendants(&self, tag: &str) -> Array {
        crate::policy::sandbox::native(|| {
            let mut out = Array::new();
            let mut stack: Vec<NodeId> = self.doc.children(self.node).collect();
            stack.reverse();
            while let Some(n) = stack.pop() {
                if self.doc.name(n) == tag {
                    out.push(Dynamic::from(self.at(n)));
                }
                let mut kids: Vec<NodeId> = self.doc.children(n).collect();
                kids.reverse();
                stack.extend(kids);
            }
            out
        })
    }

    /// The elements a [`Path`] reaches from this one. Step and condition names are checked
    /// against the schema like properties (a typo is an error with a suggestion).
    fn select(&self, path: &Path) -> RhaiResult<Array> {
        let mut current = vec![self.node];
        for step in &path.steps {
            let mut next = Vec::new();
            for &n in &current {
                if step.name != "*" {
                    self.at(n).check_name(&step.name)?;
                }
                for c in self.doc.children(n) {
                    if step.name != "*" && self.doc.name(c) != step.name {
                        continue;
                    }
                    let mut keep = true;
                    for (child, value) in &step.conditions {
                        self.at(c).check_name(child)?;
                        keep &= match (self.doc.child(c, child), value) {
                            (None, _) => false,
                            (Some(_), None) => true,
                            (Some(k), Some(v)) => self.doc.text(k).trim() == v,
                        };
                    }
                    if keep {
                        next.push(c);
                    }
                }
            }
            current = next;
        }
        Ok(current
            .into_iter()
            .map(|n| Dynamic::from(self.at(n)))
            .collect())
    }

    /// An error when `name` is not a child of this element's type (and not in the file).
    fn check_name(&self, name: &str) -> RhaiResult<()> {
        match schema::property(schema::type_of(&self.doc, self.node), name) {
            Property::Unknown(_) if self.doc.child(self.node, name).is_none() => {
                self.property(name).map(|_| ())
            }
            _ => Ok(()),
        }
    }
}

/// The whole org, with the cross-file analysis.
#[derive(Clone)]
pub struct OrgRef(pub Arc<Analysis>);

impl Element {
    pub fn new(doc: Arc<Document>, node: NodeId, file: FileId) -> Self {
        Element { doc, node, file }
    }

    pub(super) fn of(c: &ComponentRef) -> Element {
        Element::new(c.0.doc.clone(), c.0.node, c.0.file)
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
        element_loc(&self.doc, self.file, self.node)
    }

    fn line(&self) -> i64 {
        line_of(self.file, self.doc.span(self.node).0)
    }

    fn child(&self, tag: &str) -> Dynamic {
        self.doc
            .child(self.node, tag)
            .map_or(Dynamic::UNIT, |c| Dynamic::from(self.at(c)))
    }

    fn children_named(&self, tag: &str) -> Array {
        crate::policy::sandbox::native(|| {
            self.doc
                .children_named(self.node, tag)
                .map(|c| Dynamic::from(self.at(c)))
                .collect()
        })
    }

    /// `el.someChild`: schema-checked property access.
    fn property(&self, name: &str) -> RhaiResult<Dynamic> {
        self.property_of("Element", name)
    }

    /// [`Element::property`] for a value of API type `api_type` (`Element`, `Component`): a
    /// name that is neither a child in the schema nor one of the type's own properties is an
    /// error naming the closest of both.
    fn property_of(&self, api_type: &str, name: &str) -> RhaiResult<Dynamic> {
        let ty = schema::type_of(&self.doc, self.node);
        match schema::property(ty, name) {
            Property::Repeated => Ok(self.children_named(name).into()),
            Property::Single => Ok(self.child(name)),
            Property::Unknown(_) => {
                if self.doc.child(self.node, name).is_some() {
                    return Ok(self.child(name));
                }
                let own = crate::policy::suggest::properties(api_type);
                let children = ty.map(|t| t.fields).unwrap_or_default();
                let hint = crate::util::did_you_mean(
                    children.iter().map(|f| f.name).chain(own.iter().copied()),
                    name,
                );
                Err(runtime_error(format!(
                    "<{}> has no property `{name}`{hint} (use .child(\"{name}\") for elements outside the schema)",
                    self.tag()
                )))
            }
        }
    }

    /// The element's text split at commas and whitespace (callback URL lists, comma-separated
    /// scopes), each piece located exactly in the file.
    fn items(&self) -> Array {
        let text = self.doc.text(self.node);
        let mut out = Array::new();
        let mut start = None;
        let bytes = text.as_bytes();
        for i in 0..=bytes.len() {
            let sep = i == bytes.len() || bytes[i] == b',' || bytes[i].is_ascii_whitespace();
            match (sep, start) {
                (false, None) => start = Some(i),
                (true, Some(s)) => {
                    let loc = crate::model::org::text_loc(&self.doc, self.file, self.node, s..i);
                    let mut m = rhai::Map::new();
                    m.insert("text".into(), Dynamic::from(text[s..i].to_string()));
                    m.insert("location".into(), Dynamic::from(super::Location(loc)));
                    out.push(Dynamic::from_map(m));
                    start = None;
                }
                _ => {}
            }
        }
        out
    }
}

pub(super) fn component_dyn(c: &Arc<Component>) -> Dynamic {
    Dynamic::from(ComponentRef(c.clone()))
}

pub(super) fn opt_component(c: Option<&Arc<Component>>) -> Dynamic {
    c.map_or(Dynamic::UNIT, component_dyn)
}

pub(super) fn kind_arg(kind: &str) -> RhaiResult<Kind> {
    Kind::from_name(kind).ok_or_else(|| {
        let names = Kind::ALL.iter().map(|k| k.as_str());
        runtime_error(format!(
            "unknown metadata kind `{kind}`{}",
            crate::util::did_you_mean(names, kind)
        ))
    })
}

/// Lower-case words of a label or name: runs of ASCII letters and digits after lower-casing
/// (`"ERP  Sync-2"` → `["erp", "sync", "2"]`). Native: `text::words` runs for every permission set
/// label, and a character loop in script cost 50 µs a call.
pub fn lower_words(s: &str) -> Array {
    let mut out = Array::new();
    let mut word = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            word.push(c);
        } else if !word.is_empty() {
            out.push(Dynamic::from(std::mem::take(&mut word)));
        }
    }
    if !word.is_empty() {
        out.push(Dynamic::from(word));
    }
    out
}

/// `mentions([...])`: any of several strings, found in one pass over the element.
fn mentions_any(doc: &Document, node: NodeId, needles: &Array) -> RhaiResult<bool> {
    let mut strings: Vec<ImmutableString> = Vec::with_capacity(needles.len());
    for needle in needles {
        strings.push(needle.clone().into_immutable_string().map_err(|found| {
            runtime_error(format!(
                "mentions() takes a string or an array of strings, and the array holds {found}"
            ))
        })?);
    }
    let needles: Vec<&str> = strings.iter().map(ImmutableString::as_str).collect();
    Ok(doc.subtree_mentions_any(node, &needles))
}

pub(super) fn register(engine: &mut Engine) {
    engine.register_fn("lower_words", lower_words);
    engine
        .register_type_with_name::<Element>("Element")
        .register_get("tag", |e: &mut Element| e.tag().to_string())
        .register_get("text", |e: &mut Element| e.text().to_string())
        .register_get("is_true", |e: &mut Element| {
            e.text().eq_ignore_ascii_case("true")
        })
        .register_get("line", |e: &mut Element| e.line())
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
        .register_fn("items", |e: &mut Element| e.items())
        .register_fn("mentions", |e: &mut Element, needle: &str| {
            e.doc.subtree_mentions(e.node, needle)
        })
        .register_fn("mentions", |e: &mut Element, needles: Array| {
            mentions_any(&e.doc, e.node, &needles)
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
        .register_fn("descendants", |e: &mut Element, tag: &str| {
            e.descendants(tag)
        })
        .register_fn(
            "select",
            |e: &mut Element, path: &str| -> RhaiResult<Array> { e.select(&Path::parse(path)?) },
        )
        .register_indexer_get(|e: &mut Element, name: ImmutableString| e.property(&name))
        .register_fn("to_string", |e: &mut Element| {
            format!("<{}> {}", e.tag(), e.text())
        })
        .register_fn("to_debug", |e: &mut Element| {
            format!("Element(<{}> at line {})", e.tag(), e.line())
        });

    engine
        .register_type_with_name::<ComponentRef>("Component")
        .register_get("kind", |c: &mut ComponentRef| c.0.kind.as_str().to_string())
        .register_get("name", |c: &mut ComponentRef| c.0.name.clone())
        .register_get("label", |c: &mut ComponentRef| c.0.label())
        .register_get("element", |c: &mut ComponentRef| Element::of(c))
        .register_get("line", |c: &mut ComponentRef| Element::of(c).line())
        .register_fn("child", |c: &mut ComponentRef, tag: &str| {
            c.all_named(tag).into_iter().next().unwrap_or(Dynamic::UNIT)
        })
        .register_fn("children", |c: &mut ComponentRef, tag: &str| {
            c.all_named(tag)
        })
        .register_fn("has", |c: &mut ComponentRef, tag: &str| {
            c.0.elements_named(tag).next().is_some()
        })
        .register_fn("descendants", |c: &mut ComponentRef, tag: &str| {
            c.roots()
                .into_iter()
                .flat_map(|e| e.descendants(tag))
                .collect::<Array>()
        })
        .register_fn(
            "select",
            |c: &mut ComponentRef, path: &str| -> RhaiResult<Array> {
                let path = Path::parse(path)?;
                let mut out = Array::new();
                for root in c.roots() {
                    out.extend(root.select(&path)?);
                }
                Ok(out)
            },
        )
        .register_fn("text_of", |c: &mut ComponentRef, tag: &str| {
            c.0.text(tag).unwrap_or("").to_string()
        })
        .register_fn("flag", |c: &mut ComponentRef, tag: &str| c.0.flag(tag))
        .register_fn("mentions", |c: &mut ComponentRef, needle: &str| {
            c.0.doc.subtree_mentions(c.0.node, needle)
        })
        .register_fn("mentions", |c: &mut ComponentRef, needles: Array| {
            mentions_any(&c.0.doc, c.0.node, &needles)
        })
        .register_indexer_get(|c: &mut ComponentRef, name: ImmutableString| c.property(&name))
        .register_fn("to_string", |c: &mut ComponentRef| {
            format!("{} {}", c.0.kind, c.0.name)
        })
        .register_fn("to_debug", |c: &mut ComponentRef| {
            format!("Component({} {})", c.0.kind, c.0.name)
        });

    engine
        .register_type_with_name::<OrgRef>("Org")
        .register_get("namespace", |o: &mut OrgRef| o.0.org.namespace.clone())
        .register_fn(
            "components",
            |o: &mut OrgRef, kind: &str| -> RhaiResult<Array> {
                let kind = kind_arg(kind)?;
                Ok(crate::policy::sandbox::native(|| {
                    o.0.org.of_kind(kind).map(component_dyn).collect()
                }))
            },
        )
        .register_fn(
            "find",
            |o: &mut OrgRef, kind: &str, name: &str| -> RhaiResult<Dynamic> {
                let kind = kind_arg(kind)?;
                Ok(opt_component(o.0.org.find(kind, name)))
            },
        )
        .register_fn(
            "find_by_label",
            |o: &mut OrgRef, kind: &str, label: &str| -> RhaiResult<Dynamic> {
                let kind = kind_arg(kind)?;
                Ok(opt_component(o.0.org.find_by_label(kind, label)))
            },
        )
        .register_fn("foreign_namespace", |o: &mut OrgRef, name: &str| {
            crate::model::org::foreign_namespace(name, &o.0.org.namespace).is_some()
        })
        .register_fn("file_of", |o: &mut OrgRef, c: ComponentRef| {
            o.0.org.rel(c.0.file).to_string()
        });
}
