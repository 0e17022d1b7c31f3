//! Formulas: the references a formula makes (`$User.Username`, `$Permission.X`, literal Ids),
//! found by a lexer (comments and string literals do not count), each located exactly.

use super::documents::Element;
use super::line_of;
use crate::findings::Loc;
use crate::model::formula;
use crate::model::org::text_loc_nth;
use rhai::{Array, Dynamic, Engine, Map};

/// A reference found in a formula (`$User.Username`, `$Permission.X`, a literal profile id).
#[derive(Clone)]
pub struct FormulaRef {
    pub kind: &'static str,
    /// Compared with (or matched against) a string literal in the formula.
    pub compared_with_literal: bool,
    /// Tests who the running user is (`formula::tests_identity`).
    pub tests_identity: bool,
    pub text: String,
    pub name: String,
    /// The formula's element, and where in its text the reference is (its `occurrence`-th
    /// appearance there): the location is worked out only when asked for, because it needs the
    /// file's element positions, and most references are read and never reported.
    formula: Element,
    range: std::ops::Range<usize>,
    occurrence: usize,
}

impl FormulaRef {
    pub fn loc(&self) -> Loc {
        let f = &self.formula;
        text_loc_nth(&f.doc, f.file, f.node, self.range.clone(), self.occurrence)
    }

    fn line(&self) -> i64 {
        crate::policy::sandbox::native(|| line_of(self.formula.file, self.loc().start))
    }
}

fn formula_refs(el: &Element) -> Array {
    let text = el.doc.text(el.node);
    // Occurrences of each reference text so far: anchors tell identical references apart.
    let mut seen: rustc_hash::FxHashMap<&str, usize> = rustc_hash::FxHashMap::default();
    let refs = formula::scan(text);
    let compared = formula::compared_with_literal_each(text, &refs);
    refs.into_iter()
        .zip(compared)
        .map(|(r, compared_with_literal)| {
            let occurrence = {
                let n = seen.entry(&text[r.start..r.end]).or_insert(0);
                *n += 1;
                *n
            };
            Dynamic::from(FormulaRef {
                kind: r.kind.as_str(),
                tests_identity: formula::tests_identity(&r, compared_with_literal),
                compared_with_literal,
                formula: el.clone(),
                range: r.start..r.end,
                occurrence,
                text: r.text,
                name: r.name,
            })
        })
        .collect()
}

/// The references of a formula that test who the running user is: the identity globals, or,
/// when there are none, the literal profile and role Ids (a literal user Id without `$User.Id`
/// is a record field compared with a user: routing, not a gate).
fn identity_refs(el: &Element) -> Array {
    let all = formula_refs(el);
    let of = |r: &Dynamic| {
        r.read_lock::<FormulaRef>()
            .map(|r| (r.tests_identity, r.kind))
    };
    let globals: Array = all
        .iter()
        .filter(|r| of(r).is_some_and(|(t, k)| t && !k.ends_with("-id")))
        .cloned()
        .collect();
    if !globals.is_empty() {
        return globals;
    }
    all.into_iter()
        .filter(|r| of(r).is_some_and(|(_, k)| k == "profile-id" || k == "role-id"))
        .collect()
}

pub(super) fn register(engine: &mut Engine) {
    engine
        .register_type_with_name::<FormulaRef>("FormulaRef")
        .register_get("kind", |r: &mut FormulaRef| r.kind.to_string())
        .register_get("text", |r: &mut FormulaRef| r.text.clone())
        .register_get("name", |r: &mut FormulaRef| r.name.clone())
        .register_get("line", |r: &mut FormulaRef| r.line())
        .register_get("compared_with_literal", |r: &mut FormulaRef| {
            r.compared_with_literal
        })
        .register_get("tests_identity", |r: &mut FormulaRef| r.tests_identity)
        .register_fn("formula_refs", |e: &mut Element| {
            crate::policy::sandbox::native(|| formula_refs(e))
        })
        .register_fn("identity_refs", |e: &mut Element| {
            crate::policy::sandbox::native(|| identity_refs(e))
        })
        .register_fn("to_string", |r: &mut FormulaRef| r.text.clone())
        .register_fn("to_debug", |r: &mut FormulaRef| {
            format!("FormulaRef({} {} at line {})", r.kind, r.text, r.line())
        })
        .register_fn("literal_id_kind", |value: &str| {
            formula::literal_id_kind(value.trim())
                .map_or(Dynamic::UNIT, |k| Dynamic::from(k.as_str().to_string()))
        })
        .register_fn(
            "tests_identity",
            |reference: &str, compared_with_literal: bool| {
                formula::classify_reference(reference.trim()).is_some_and(|(kind, path)| {
                    formula::reference_tests_identity(kind, &path, compared_with_literal)
                })
            },
        )
        .register_fn("classify_reference", |reference: &str| {
            formula::classify_reference(reference.trim()).map_or(Dynamic::UNIT, |(k, path)| {
                let mut m = Map::new();
                m.insert("kind".into(), Dynamic::from(k.as_str().to_string()));
                m.insert("name".into(), Dynamic::from(path));
                Dynamic::from_map(m)
            })
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kind::Kind;
    use crate::model::org::test_org;

    #[test]
    fn references_are_located_only_when_asked_and_then_exactly() {
        let rule = "<ValidationRule xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <fullName>Gate</fullName>\n    <active>true</active>\n    <errorConditionFormula>$Permission.Skip &amp;&amp;\n NOT($Permission.Skip)</errorConditionFormula>\n</ValidationRule>\n";
        let files = [(
            "force-app/main/default/objects/Account/validationRules/Gate.validationRule-meta.xml",
            rule,
        )];
        let (_dir, org) = test_org(&files);
        let c = org.find(Kind::ValidationRule, "Account.Gate").unwrap();
        let node = c.doc.child(c.node, "errorConditionFormula").unwrap();
        let el = Element {
            doc: c.doc.clone(),
            node,
            file: c.file,
        };
        let refs = formula_refs(&el);
        let refs: Vec<FormulaRef> = refs.iter().map(|r| r.clone_cast()).collect();
        assert_eq!(refs.len(), 2);
        assert!(refs
            .iter()
            .all(|r| r.name == "Skip" && r.kind == "permission"));
        // Reading what the references are did not re-read the file for positions.
        assert!(!c.doc.positions_loaded());
        // The second one is on the next line, after the entity reference, and its anchor tells
        // it from the first.
        let (first, second) = (refs[0].loc(), refs[1].loc());
        assert!(c.doc.positions_loaded());
        let at = |loc: &Loc| {
            let span = org.sources.span(loc.file, loc.start..loc.end);
            (span.line, span.column, loc.end - loc.start)
        };
        assert_eq!(at(&first), (4, 28, "$Permission.Skip".len()));
        assert_eq!(at(&second), (5, 6, "$Permission.Skip".len()));
        assert_ne!(first.anchor, second.anchor);
    }
}
