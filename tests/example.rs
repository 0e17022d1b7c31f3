//! The example org reports exactly the findings listed in `examples/acme-org/expected-findings.txt`
//! (rule, file, line), selene-style: a change in any rule's results shows up as a diff here.

use assert_cmd::Command;
use std::path::Path;

#[test]
fn example_org_findings_match_the_expected_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
    let out = Command::cargo_bin("sfpolicy")
        .unwrap()
        .env("SFPOLICY_TODAY", "2026-11-27")
        .args(["check", "--format", "json"])
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut actual: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            // Machine formats give repository paths (the example sits in this repository's
            // `examples/acme-org`); the expected file lists project paths.
            let file = f["file"].as_str().unwrap();
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap(),
                file.strip_prefix("examples/acme-org/").unwrap_or(file),
                f["line"]
            )
        })
        .collect();
    actual.sort();
    let mut expected: Vec<String> = std::fs::read_to_string(root.join("expected-findings.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    expected.sort();
    let missing: Vec<_> = expected.iter().filter(|e| !actual.contains(e)).collect();
    let extra: Vec<_> = actual.iter().filter(|a| !expected.contains(a)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing: {missing:#?}\nunexpected: {extra:#?}"
    );
}

#[test]
fn example_org_inventory_marks_the_shared_user() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
    let out = Command::cargo_bin("sfpolicy")
        .unwrap()
        .args(["inventory", "--format", "json"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = json["integrations"].as_array().unwrap();
    let marketo = items.iter().find(|i| i["name"] == "Marketo_Sync").unwrap();
    assert_eq!(marketo["runs_as"], "integration@acmehealth.com");
    assert_eq!(marketo["shared_with"][0], "Clearbit Enrichment");
    assert_eq!(marketo["register"], "Marketo");
    let talkdesk = items.iter().find(|i| i["name"] == "Talkdesk").unwrap();
    assert!(talkdesk["shared_with"].as_array().unwrap().is_empty());
    let availity = items
        .iter()
        .find(|i| i["name"] == "Availity_Eligibility")
        .unwrap();
    assert!(
        availity["runs_as"].is_null(),
        "a named credential's username is an external login"
    );
}

#[test]
fn example_org_inventory_shows_each_identity_and_its_evidence() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
    let out = Command::cargo_bin("sfpolicy")
        .unwrap()
        .args(["inventory", "--format", "json"])
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids = json["identities"].as_array().unwrap();
    let talkdesk = ids
        .iter()
        .find(|i| i["name"] == "Talkdesk_Integration")
        .expect("Talkdesk_Integration is an identity");
    assert_eq!(talkdesk["evidence_strength"], "strong");
    let evidence = talkdesk["evidence"].as_array().unwrap();
    let register = evidence.iter().find(|e| e["kind"] == "register").unwrap();
    assert!(register["location"]
        .as_str()
        .unwrap()
        .ends_with("integrations.toml:14"));
    let app = evidence.iter().find(|e| e["kind"] == "app").unwrap();
    assert_eq!(app["strong"], true, "client credentials: a system signs in");
    assert!(app["text"].as_str().unwrap().contains("Talkdesk"));
    let name = evidence.iter().find(|e| e["kind"] == "name").unwrap();
    assert_eq!(name["strong"], false, "a name is a hint");
    // The ETL set is pre-authorized by an app people sign in to: weak on its own.
    let etl = ids.iter().find(|i| i["name"] == "ETL_Full_Access").unwrap();
    let app = etl["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "app")
        .unwrap();
    assert_eq!(app["strong"], false);
    // And the human table says the same.
    let out = Command::cargo_bin("sfpolicy")
        .unwrap()
        .arg("inventory")
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("PermissionSet Talkdesk_Integration [strong evidence]"),
        "{text}"
    );
    assert!(
        text.contains("  - register: the register entry for Talkdesk names it"),
        "{text}"
    );
}

#[test]
fn drafted_register_parses_and_is_reported_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
    // Copy the example without its register and config.
    copy(&src, dir.path());
    std::fs::remove_file(dir.path().join("integrations.toml")).unwrap();
    std::fs::remove_file(dir.path().join("sfpolicy.toml")).unwrap();
    Command::cargo_bin("sfpolicy")
        .unwrap()
        .args(["inventory", "--write-register"])
        .arg(dir.path())
        .assert()
        .success();
    let draft = std::fs::read_to_string(dir.path().join("integrations.toml")).unwrap();
    assert!(draft.contains("connected-app = \"Talkdesk\""));
    // A second draft never overwrites the first.
    Command::cargo_bin("sfpolicy")
        .unwrap()
        .args(["inventory", "--write-register"])
        .arg(dir.path())
        .assert()
        .code(2);
    let out = Command::cargo_bin("sfpolicy")
        .unwrap()
        .args([
            "check",
            "--format",
            "json",
            "--select",
            "integration-register-incomplete",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["summary"]["findings"].as_u64().unwrap() >= 5, "{json}");
}

fn copy(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// The README's table of findings lists the same (rule, file, line) as `expected-findings.txt`,
/// row by row: a reader checking the example against the table must not find two rows swapped.
#[test]
fn example_readme_table_matches_the_expected_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let rows: Vec<String> = readme
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            // | # | rule | sev | file | line | what |
            (cells.len() >= 7 && cells[1].parse::<u32>().is_ok()).then(|| {
                let file = cells[4]
                    .strip_prefix("fa/")
                    .map_or(cells[4].to_string(), |rest| {
                        format!("force-app/main/default/{rest}")
                    });
                format!("{} {}:{}", cells[2], file, cells[5])
            })
        })
        .collect();
    let expected: Vec<String> = std::fs::read_to_string(root.join("expected-findings.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(rows, expected);
}
