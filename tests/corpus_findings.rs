//! The findings over the whole corpus, pinned: a change that adds, removes or moves a finding
//! (or changes its identity or message) fails here until the snapshot is regenerated with
//! `UPDATE_SNAPSHOT=1 cargo test --test corpus_findings`, so every such change is a reviewed diff.
//! Performance work must leave it untouched.

use std::path::Path;

#[test]
fn corpus_findings_are_unchanged() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let outcome = sfpolicy::pipeline::run(&sfpolicy::pipeline::Options {
        paths: vec![root.join("../shared/corpus")],
        no_forceignore: true,
        ..sfpolicy::pipeline::Options::default()
    })
    .expect("the corpus is checked");
    assert!(outcome.errors.is_empty());
    let sources = &outcome.analysis.org.sources;
    let mut lines: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| {
            let span = sources.span(f.loc.file, f.loc.start..f.loc.end);
            format!(
                "{} {} {}:{}:{} {}",
                f.fingerprint,
                f.rule,
                sources.rel(f.loc.file),
                span.line,
                span.column,
                f.message
            )
        })
        .collect();
    lines.sort();
    let actual = lines.join("\n") + "\n";
    let snapshot = root.join("tests/snapshots/corpus-findings.txt");
    if std::env::var_os("UPDATE_SNAPSHOT").is_some() {
        std::fs::write(&snapshot, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&snapshot).unwrap_or_default();
    if expected != actual {
        let old: std::collections::BTreeSet<&str> = expected.lines().collect();
        let new: std::collections::BTreeSet<&str> = actual.lines().collect();
        let mut diff = String::new();
        for l in old.difference(&new) {
            diff.push_str(&format!("- {l}\n"));
        }
        for l in new.difference(&old) {
            diff.push_str(&format!("+ {l}\n"));
        }
        panic!(
            "the findings over the corpus changed ({} before, {} now); review, then regenerate with UPDATE_SNAPSHOT=1:\n{diff}",
            old.len(),
            new.len()
        );
    }
}
