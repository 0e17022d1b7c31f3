//! The integration register (`integrations.toml`): `Register`, `RegisterEntry` and
//! `RegisterValue`, every value located at its key or value in the file.

use super::documents::OrgRef;
use crate::analysis::Analysis;
use crate::config::register::Entry;
use crate::findings::Loc;
use rhai::{Array, Dynamic, Engine};
use std::sync::Arc;

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

/// A plain value of `[integration.extra]` as text: strings as they are, numbers, booleans and
/// dates as written, lists of strings joined with `, `.
fn plain_text(node: &crate::config::toml_tree::Node) -> String {
    use crate::config::toml_tree::Value;
    match &node.value {
        Value::String(s) | Value::Datetime(s) => s.clone(),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Array(items) => items.iter().map(plain_text).collect::<Vec<_>>().join(", "),
        Value::Table(_) => String::new(),
    }
}

impl RegisterRef {
    /// The register as a whole: its first line, anchored as the file.
    pub fn loc(&self) -> Option<Loc> {
        self.0.register.as_ref().map(|r| Loc {
            file: r.file,
            start: 0,
            end: 0,
            anchor: crate::findings::Anchor::whole_file(),
        })
    }
}

impl RegisterEntryRef {
    fn entry(&self) -> &Entry {
        // A `RegisterEntryRef` is only made from a loaded register.
        &self
            .0
            .register
            .as_ref()
            .expect("a loaded register")
            .register
            .entries[self.1]
    }

    pub fn header_loc(&self) -> Loc {
        self.0
            .register_loc(&self.entry().span, self.0.entry_anchor(self.1))
            .expect("a loaded register")
    }

    fn value(&self, key: &str, text: String, span: &std::ops::Range<usize>) -> Dynamic {
        Dynamic::from(RegisterValue {
            loc: self
                .0
                .register_value_loc(self.1, key, &text, span)
                .expect("a loaded register"),
            text,
        })
    }
}

pub(super) fn register(engine: &mut Engine) {
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
            super::Location(e.header_loc())
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
            let loc =
                e.0.register_loc(&f.key_span, e.0.entry_anchor(e.1).child(key, None))
                    .expect("a loaded register");
            Dynamic::from(RegisterValue {
                text: key.to_string(),
                loc,
            })
        })
        .register_get("extra_keys", |e: &mut RegisterEntryRef| -> Array {
            e.entry()
                .extra
                .iter()
                .map(|f| Dynamic::from(f.key.clone()))
                .collect()
        })
        .register_fn("extra", |e: &mut RegisterEntryRef, key: &str| {
            let Some(f) = e.entry().extra(key) else {
                return Dynamic::UNIT;
            };
            e.value(&format!("extra.{key}"), plain_text(&f.node), &f.node.span)
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

    engine.register_get("register", |o: &mut OrgRef| {
        if o.0.register.is_some() {
            Dynamic::from(RegisterRef(o.0.clone()))
        } else {
            Dynamic::UNIT
        }
    });
}
