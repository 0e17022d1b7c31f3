//! The pipeline's shape, checked: no import cycle between the top-level modules of `src/`, and
//! the layers the architecture document promises (findings and reports never reach into the
//! model; the source database depends on nothing of ours).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules it names through `crate::`.
fn module_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().map_or(true, |e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).unwrap();
            let top = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string();
            if top == "lib" || top == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let deps = graph.entry(top.clone()).or_default();
            for (i, _) in text.match_indices("crate::") {
                let name: String = text[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                    .collect();
                if !name.is_empty() && name != top {
                    deps.insert(name);
                }
            }
        }
    }
    graph
}

/// A cycle through `start`, if any (depth-first).
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == node) {
            let mut c = path[i..].to_vec();
            c.push(node.to_string());
            return Some(c);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    for node in graph.keys() {
        if let Some(c) = visit(node, graph, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let graph = module_graph();
    assert!(graph.len() >= 10, "{graph:?}");
    if let Some(c) = cycle(&graph) {
        panic!("import cycle: {}\n{graph:#?}", c.join(" -> "));
    }
}

#[test]
fn layers_depend_only_downwards() {
    let graph = module_graph();
    let deps = |m: &str| graph.get(m).cloned().unwrap_or_default();
    let allowed: &[(&str, &[&str])] = &[
        ("util", &[]),
        ("escape", &[]),
        ("alloc", &[]),
        ("source", &["escape", "alloc"]),
        ("diag", &["source", "escape"]),
        ("findings", &["source", "diag", "util"]),
        ("report", &["source", "diag", "findings", "util", "escape"]),
        ("config", &["source", "findings", "util"]),
        ("model", &["source", "findings", "util", "alloc"]),
        (
            "analysis",
            &["source", "findings", "config", "model", "util"],
        ),
    ];
    for (module, may) in allowed {
        let extra: Vec<String> = deps(module)
            .into_iter()
            .filter(|d| !may.contains(&d.as_str()))
            .collect();
        assert!(extra.is_empty(), "{module} reaches up into {extra:?}");
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    assert_eq!(cycle(&g), None);
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle(&g).unwrap().len(), 4);
}
