//! Formulas: the references a formula makes (`$User.Username`, `$Permission.X`, literal Ids),
//! found by a lexer (comments and string literals do not count), each located exactly.

use super::documents::Element;
use super::line_of;
use crate::findings::Loc;
use crate::model::formula;
use crate::model::org::text_loc;
use rhai::{Array, Dynamic, Engine, Map};

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

fn formula_refs(el: &Element) -> Array {
    let text = el.doc.text(el.node);
    formula::scan(text)
        .into_iter()
        .map(|r| {
            let loc = text_loc(&el.doc, el.file, el.node, r.start..r.end);
            Dynamic::from(FormulaRef {
                kind: r.kind.as_str(),
                compared_with_literal: formula::compared_with_literal(text, &r),
                line: line_of(el.file, loc.start),
                loc,
                text: r.text,
                name: r.name,
            })
        })
        .collect()
}

pub(super) fn register(engine: &mut Engine) {
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
