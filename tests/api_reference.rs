//! Every function and property exposed to Rhai is documented in `docs/writing-policies.md`.

use std::collections::BTreeSet;

fn exposed_names() -> BTreeSet<String> {
    let engine = sfpolicy::policy::engine();
    let mut names = BTreeSet::new();
    for sig in engine.gen_fn_signatures(false) {
        // "get$tag(e: &mut Element) -> String", "fn report(...)", "Module::f(...)" ...
        let head = sig
            .trim_start_matches("fn ")
            .split('(')
            .next()
            .unwrap_or("")
            .trim();
        let head = head.rsplit("::").next().unwrap_or(head);
        let name = head
            .trim_start_matches("get$")
            .trim_start_matches("set$")
            .to_string();
        if name.is_empty()
            || name.starts_with("index$")
            || name.contains('$')
            || ["to_string", "to_debug"].contains(&name.as_str())
        {
            continue;
        }
        names.insert(name);
    }
    names
}

#[test]
fn every_exposed_name_is_in_the_reference() {
    let names = exposed_names();
    assert!(names.len() > 40, "found only {names:?}");
    assert!(names.contains("formula_refs") && names.contains("effective_permissions"));
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/writing-policies.md"
    ))
    .unwrap();
    // Written as a script writes it: `name`, `.name`, or `module::name`.
    let documented = |n: &str| {
        doc.contains(&format!("`{n}`"))
            || doc.contains(&format!("`.{n}`"))
            || doc.contains(&format!("::{n}`"))
    };
    let missing: Vec<&String> = names.iter().filter(|n| !documented(n)).collect();
    assert!(
        missing.is_empty(),
        "docs/writing-policies.md does not document: {missing:?}"
    );
}
