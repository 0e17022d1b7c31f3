//! Finding identity: one fingerprint per finding over real repositories, and fingerprints that
//! survive what does not change a finding (reindenting, comments and elements above it, reordered
//! siblings) but not a change to the offending element.

mod common;

use sfpolicy::pipeline::{run, Options, Outcome};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn check(root: &Path) -> Outcome {
    run(&Options {
        paths: vec![root.to_path_buf()],
        no_forceignore: true,
        ..Options::default()
    })
    .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
}

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org")
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

fn assert_unique(root: &Path) -> usize {
    let outcome = check(root);
    let prints: BTreeSet<&str> = outcome
        .findings
        .iter()
        .map(|f| f.fingerprint.as_str())
        .collect();
    assert_eq!(
        prints.len(),
        outcome.findings.len(),
        "{}: every finding has a fingerprint of its own",
        root.display()
    );
    // Anchors alone told the findings apart: no fallback to messages, no duplicates dropped.
    assert_eq!(
        outcome.identity,
        Default::default(),
        "{}: anchors that needed the message to be unique",
        root.display()
    );
    outcome.findings.len()
}

#[test]
fn fingerprints_are_unique_over_the_example_and_every_corpus_repository() {
    let mut total = assert_unique(&example());
    let corpus = corpus();
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        panic!("the corpus is expected at {}", corpus.display());
    };
    let mut repos: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    assert!(repos.len() >= 30, "{} corpus repositories", repos.len());
    for repo in &repos {
        total += assert_unique(repo);
    }
    assert!(total > 200, "{total} findings checked");
}

/// Every metadata file of a copy of the example org, transformed.
fn transform_all(root: &Path, f: &dyn Fn(&str) -> String) {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with("-meta.xml") {
                let text = std::fs::read_to_string(&p).unwrap();
                std::fs::write(&p, f(&text)).unwrap();
            }
        }
    }
}

fn fingerprints(root: &Path) -> BTreeSet<(String, String)> {
    check(root)
        .findings
        .iter()
        .map(|f| (f.fingerprint.clone(), f.loc.anchor.to_string()))
        .collect()
}

/// Reverse the order of the root element's children (sibling order carries no meaning).
fn reverse_root_children(text: &str) -> String {
    use sfpolicy::model::xml::Document;
    let doc = Document::parse(text.as_bytes()).expect("well-formed");
    let spans: Vec<(usize, usize)> = doc.children(doc.root()).map(|c| doc.span(c)).collect();
    if spans.len() < 2 {
        return text.to_string();
    }
    let head = &text[..spans[0].0];
    let tail = &text[spans[spans.len() - 1].1..];
    let mut out = head.to_string();
    for (i, (s, e)) in spans.iter().rev().enumerate() {
        if i > 0 {
            out.push_str("\n    ");
        }
        out.push_str(&text[*s..*e]);
    }
    out.push_str(tail);
    out
}

/// Insert a comment and a harmless element right after the root's start tag.
fn add_above(text: &str) -> String {
    let Some(root_start) = text.find("xmlns=\"http://soap.sforce.com/2006/04/metadata\">") else {
        return text.to_string();
    };
    let at = root_start + "xmlns=\"http://soap.sforce.com/2006/04/metadata\">".len();
    format!(
        "{}\n    <!-- reviewed by the integrations team -->\n    <!-- second line -->{}",
        &text[..at],
        &text[at..]
    )
}

/// Indent with tabs and two extra spaces, and end lines with CRLF.
fn reindent(text: &str) -> String {
    text.lines()
        .map(|l| {
            let trimmed = l.trim_start();
            let depth = (l.len() - trimmed.len()) / 4;
            format!("{}  {trimmed}", "\t".repeat(depth))
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[test]
fn fingerprints_survive_reindenting_comments_and_reordering() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&example(), dir.path());
    let before = fingerprints(dir.path());
    assert!(before.len() > 30);
    for (what, f) in [
        ("reindented", &reindent as &dyn Fn(&str) -> String),
        ("comments above", &add_above),
        ("siblings reordered", &reverse_root_children),
    ] {
        transform_all(dir.path(), f);
        let after = fingerprints(dir.path());
        let lost: Vec<_> = before.difference(&after).collect();
        let gained: Vec<_> = after.difference(&before).collect();
        assert!(
            lost.is_empty() && gained.is_empty(),
            "{what}: lost {lost:#?}\ngained {gained:#?}"
        );
    }
}

#[test]
fn changing_the_offending_element_changes_the_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&example(), dir.path());
    let before = fingerprints(dir.path());
    // The bypass tests another field of the user; the scope asks for another grant.
    let rule = dir
        .path()
        .join("force-app/main/default/objects/Contact/validationRules/Phone_Required.validationRule-meta.xml");
    let text = std::fs::read_to_string(&rule).unwrap();
    assert!(text.contains("$User.Username"));
    std::fs::write(&rule, text.replace("$User.Username", "$Profile.Name")).unwrap();
    let after = fingerprints(dir.path());
    let gone: Vec<&String> = before.difference(&after).map(|(_, a)| a).collect();
    let new: Vec<&String> = after.difference(&before).map(|(_, a)| a).collect();
    assert_eq!(gone.len(), 1, "{gone:?}");
    assert!(gone[0].contains("Phone_Required") && gone[0].ends_with("$User.Username"));
    assert_eq!(new.len(), 1, "{new:?}");
    assert!(new[0].ends_with("$Profile.Name"));
}
