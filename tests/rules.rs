//! The built-in catalog: every rule is documented, has failing and passing test cases, and its
//! cases pass through the same runner as `sfpolicy test rules`. The generated rule reference
//! (`docs/rules.md`) must match the rules' documentation.

use sfpolicy::pipeline::{load_policies, registry};
use sfpolicy::policy;
use sfpolicy::testing;
use std::path::{Path, PathBuf};

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

#[test]
fn every_rule_is_documented() {
    let engine = policy::engine();
    let policies = load_policies(&engine, &[], false).unwrap();
    assert!(
        policies.len() >= 20,
        "the catalog has {} rules",
        policies.len()
    );
    for p in &policies {
        assert!(
            p.docs.starts_with(&format!("# {}", p.id)),
            "{}: docs start with `# {}`",
            p.origin,
            p.id
        );
        for heading in [
            "**What it finds.**",
            "**Why it matters.**",
            "**Example.**",
            "**How to fix.**",
        ] {
            assert!(p.docs.contains(heading), "{} lacks {heading}", p.origin);
        }
        assert!(!p.summary.is_empty(), "{} has no summary", p.origin);
    }
}

#[test]
fn rule_ids_are_unique_and_every_rule_is_in_the_registry() {
    let engine = policy::engine();
    let policies = load_policies(&engine, &[], false).unwrap();
    let registry = registry(&policies);
    let ids: Vec<&str> = registry.ids().collect();
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(
        ids, unique,
        "rule ids must be unique across Rhai and Rust rules"
    );
    for p in &policies {
        assert!(registry.get(&p.id).is_some(), "{}", p.id);
    }
    for native in [
        "invalid-metadata",
        "unread-metadata",
        "waiver-unused",
        "waiver-expired",
    ] {
        let r = registry
            .get(native)
            .unwrap_or_else(|| panic!("{native} is registered"));
        assert!(r.native);
        assert!(registry
            .explain(native)
            .unwrap()
            .contains("**What it finds.**"));
    }
}

#[test]
fn every_rule_has_failing_and_passing_cases() {
    let engine = policy::engine();
    let policies = load_policies(&engine, &[], false).unwrap();
    let cases = testing::cases(&rules_dir());
    for p in &policies {
        let mine: Vec<&PathBuf> = cases
            .iter()
            .filter(|(r, _)| *r == p.id)
            .map(|(_, c)| c)
            .collect();
        let expecting = mine.iter().filter(|c| case_expects(c, &p.id)).count();
        assert!(
            expecting >= 1,
            "{}: no test case expects a finding (rules/tests/{}/...)",
            p.id,
            p.id
        );
        assert!(
            mine.len() > expecting,
            "{}: no test case where the rule must stay silent",
            p.id
        );
    }
}

fn case_expects(case: &Path, rule: &str) -> bool {
    let mut stack = vec![case.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                if testing::annotations(&text).iter().any(|(r, _)| r == rule) {
                    return true;
                }
            }
        }
    }
    false
}

#[test]
fn builtin_cases_pass() {
    let bless = std::env::var_os("SFPOLICY_BLESS").is_some();
    let results = testing::run_dirs(&[rules_dir()], bless).unwrap();
    assert!(!results.is_empty());
    let report = testing::render(&results);
    assert!(results.iter().all(|r| r.passed()), "{report}");
}

#[test]
fn rule_reference_is_up_to_date() {
    let engine = policy::engine();
    let policies = load_policies(&engine, &[], false).unwrap();
    let generated = registry(&policies).reference_markdown();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test --test rules rule_reference_is_up_to_date`"
    );
}

/// The worked examples of `docs/writing-policies.md` section 11: their cases pass, and the docs
/// quote each policy and its expected output as they are.
#[test]
fn worked_examples_pass_and_the_docs_quote_them() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_sfpolicy"))
        .args(["test", examples.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("8 passed, 0 failed"), "{stdout}");
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/writing-policies.md"),
    )
    .unwrap();
    let mut quoted = 0;
    for entry in std::fs::read_dir(&examples).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "rhai") {
            let code = std::fs::read_to_string(&path).unwrap();
            assert!(
                docs.contains(&code),
                "the docs do not quote {} as it is",
                path.display()
            );
            let id = path.file_stem().unwrap().to_str().unwrap();
            let expected = std::fs::read_to_string(
                examples
                    .join("tests")
                    .join(id)
                    .join("fail/expected-output.txt"),
            )
            .unwrap();
            assert!(
                docs.contains(&expected),
                "the docs do not quote {id}'s expected output"
            );
            quoted += 1;
        }
    }
    assert_eq!(quoted, 4);
}
