//! "Did you mean": what each type a policy handles (API types, strings, arrays, maps) can do,
//! from the engine's own function signatures, so that a misspelled method or property is a
//! located error naming the closest one and listing the rest.

use rhai::Engine;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Methods and properties of each type, by the type's name as scripts see it.
#[derive(Default)]
struct Index {
    methods: BTreeMap<String, BTreeSet<String>>,
    properties: BTreeMap<String, BTreeSet<String>>,
}

static INDEX: OnceLock<Index> = OnceLock::new();

/// Learn the API from an engine (every engine registers the same one; the first is kept).
pub fn init(engine: &Engine) {
    INDEX.get_or_init(|| {
        let mut index = Index::default();
        for sig in engine.gen_fn_signatures(true) {
            // "child(_: &mut Element, _: string) -> ...", "get$name(_: &mut Component) -> string"
            let Some((head, rest)) = sig.split_once('(') else {
                continue;
            };
            let head = head.trim_start_matches("fn ").trim();
            let head = head.rsplit("::").next().unwrap_or(head);
            let first = rest.split([',', ')']).next().unwrap_or("");
            let Some((_, ty)) = first.split_once(':') else {
                continue;
            };
            let ty = normalize(ty);
            if let Some(property) = head.strip_prefix("get$") {
                index
                    .properties
                    .entry(ty)
                    .or_default()
                    .insert(property.to_string());
            } else if head.starts_with(|c: char| c.is_ascii_alphabetic())
                && head.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !["to_debug", "debug", "print", "get_fn_metadata_list"].contains(&head)
            {
                index
                    .methods
                    .entry(ty)
                    .or_default()
                    .insert(head.to_string());
            }
        }
        index
    });
}

/// A type as signatures and errors spell it, as scripts know it.
fn normalize(ty: &str) -> String {
    let ty = ty
        .trim()
        .trim_start_matches("&mut ")
        .trim_start_matches('&')
        .trim();
    let first = ty.split('|').next().unwrap_or(ty).trim();
    match first {
        "str" | "ImmutableString" | "String" | "string" => "string".into(),
        "Array" | "array" => "array".into(),
        "Map" | "map" => "map".into(),
        "INT" | "i64" => "int".into(),
        other => other.rsplit("::").next().unwrap_or(other).to_string(),
    }
}

/// The message for Rhai's "Function not found: NAME (TYPES)" when the first argument is a type
/// the index knows: the closest method, and the list.
pub fn unknown_function(signature: &str) -> Option<String> {
    let index = INDEX.get()?;
    let (name, args) = signature.split_once(" (")?;
    let args = args.strip_suffix(')')?;
    // The first argument's type (its alternatives are separated by `|`, arguments by `,`).
    let ty = normalize(args.split(',').next()?);
    let methods = index.methods.get(&ty)?;
    if methods.contains(name) {
        // The method exists: the arguments are wrong.
        return Some(format!(
            "`{name}` on {ty} does not take these arguments ({args}); see docs/writing-policies.md"
        ));
    }
    let hint = crate::util::did_you_mean(methods.iter().map(String::as_str), name);
    Some(format!(
        "{ty} has no method `{name}`{hint} (its methods: {})",
        join(methods)
    ))
}

/// The properties of a type (`Component`: `name`, `kind`, `label`, ...), for suggestions.
pub fn properties(ty: &str) -> Vec<&'static str> {
    INDEX
        .get()
        .and_then(|i| i.properties.get(ty))
        .map(|set| set.iter().map(String::as_str).collect())
        .unwrap_or_default()
}

fn join(names: &BTreeSet<String>) -> String {
    names
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelled_methods_get_the_closest_name_and_the_list() {
        init(&crate::policy::engine());
        let m = unknown_function("childs (Component, &str | ImmutableString | String)").unwrap();
        assert!(
            m.starts_with("Component has no method `childs`; did you mean `child`?"),
            "{m}"
        );
        assert!(
            m.contains("(its methods: ") && m.contains("children"),
            "{m}"
        );
        let m = unknown_function("trimm (&str | ImmutableString | String)").unwrap();
        assert!(
            m.starts_with("string has no method `trimm`; did you mean `trim`?"),
            "{m}"
        );
        let m = unknown_function("pushh (Array, i64)").unwrap();
        assert!(m.contains("did you mean `push`?"), "{m}");
        let m = unknown_function("child (Element, i64)").unwrap();
        assert!(m.contains("does not take these arguments"), "{m}");
        assert_eq!(unknown_function("nothing (UnknownType)"), None);
        assert!(properties("Component").contains(&"name"));
    }
}
