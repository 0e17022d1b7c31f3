//! Policy authoring: scaffolding, the test runner, and helper modules.

use assert_cmd::Command;
use std::path::Path;

fn sfpolicy(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("sfpolicy").unwrap();
    c.current_dir(dir);
    c
}

#[test]
fn scaffolded_rule_passes_its_tests_and_a_broken_expectation_fails_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    sfpolicy(dir.path())
        .args(["new-rule", "connected-app-no-description"])
        .assert()
        .success();
    let out = sfpolicy(dir.path())
        .args(["test", "policies"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("PASS connected-app-no-description/fail (1 expected findings)"),
        "{stdout}"
    );
    assert!(stdout.contains("2 passed, 0 failed"));

    // Break the passing case: now the rule reports something nobody expected.
    let pass = dir.path().join("policies/tests/connected-app-no-description/pass/force-app/main/default/connectedApps/Vendor.connectedApp-meta.xml");
    let text = std::fs::read_to_string(&pass).unwrap();
    std::fs::write(
        &pass,
        text.replace(
            "    <description>Talkdesk telephony, owned by the telephony team</description>\n",
            "",
        ),
    )
    .unwrap();
    let out = sfpolicy(dir.path())
        .args(["test", "policies"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("FAIL connected-app-no-description/pass"),
        "{stdout}"
    );
    assert!(stdout.contains("reported but not expected:\n    + connected-app-no-description force-app/main/default/connectedApps/Vendor.connectedApp-meta.xml:2"), "{stdout}");

    // Scaffolding never overwrites.
    sfpolicy(dir.path())
        .args(["new-rule", "connected-app-no-description"])
        .assert()
        .code(2);
    sfpolicy(dir.path())
        .args(["new-rule", "Not Kebab"])
        .assert()
        .code(2);
}

#[test]
fn policies_use_helper_modules_from_their_lib_folder_and_the_builtin_lib() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies");
    std::fs::create_dir_all(policies.join("lib")).unwrap();
    std::fs::write(
        policies.join("lib/naming.rhai"),
        "fn shout(s) { s.to_upper() + \"!\" }\n",
    )
    .unwrap();
    std::fs::write(
        policies.join("app-label.rhai"),
        r#"//! # app-label
const RULE = #{ id: "app-label", severity: "info", kinds: ["ConnectedApp"], summary: "labels" };
fn check(app) {
    report(app, naming::shout(text::join(text::words(app.label), "-")));
}
"#,
    )
    .unwrap();
    let apps = dir.path().join("force-app/main/default/connectedApps");
    std::fs::create_dir_all(&apps).unwrap();
    std::fs::write(dir.path().join("sfdx-project.json"), "{}").unwrap();
    std::fs::write(
        apps.join("V.connectedApp-meta.xml"),
        "<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\"><label>Vendor Sync</label></ConnectedApp>",
    )
    .unwrap();
    let out = sfpolicy(dir.path())
        .args([
            "check",
            "--rules",
            "policies",
            "--select",
            "app-label",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(json["findings"][0]["message"], "VENDOR-SYNC!");

    // The same module name in a policy folder and the built-in lib is an error, not a silent swap.
    std::fs::write(policies.join("lib/text.rhai"), "fn words(s) { [] }\n").unwrap();
    let out = sfpolicy(dir.path())
        .args(["check", "--rules", "policies"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("helper module `text` is already defined")
    );
}

#[test]
fn policy_test_cases_inside_the_project_are_not_scanned_as_the_org() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sfdx-project.json"), "{}").unwrap();
    sfpolicy(dir.path())
        .args(["new-rule", "connected-app-no-description"])
        .assert()
        .success();
    std::fs::write(
        dir.path().join("sfpolicy.toml"),
        "[policies]\npaths = [\"policies\"]\n",
    )
    .unwrap();
    let out = sfpolicy(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(
        json["summary"]["files"], 0,
        "the fail/pass fixtures are not the org: {json}"
    );
    assert_eq!(out.status.code(), Some(0));
}

/// A policy folder with one scaffolded rule, its expected outputs written.
fn scaffolded() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    sfpolicy(dir.path())
        .args(["new-rule", "connected-app-no-description"])
        .assert()
        .success();
    dir
}

fn test_run(dir: &Path) -> (i32, String, String) {
    let out = sfpolicy(dir).args(["test", "policies"]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_test_folder_for_an_unknown_rule_is_an_error_with_a_suggestion() {
    let dir = scaffolded();
    let tests = dir.path().join("policies/tests");
    std::fs::rename(
        tests.join("connected-app-no-description"),
        tests.join("connected-app-no-descripton"),
    )
    .unwrap();
    let (code, _, stderr) = test_run(dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("connected-app-no-descripton"), "{stderr}");
    assert!(
        stderr.contains("did you mean `connected-app-no-description`"),
        "{stderr}"
    );
}

#[test]
fn a_failing_case_that_expects_nothing_is_an_error() {
    let dir = scaffolded();
    let app = dir.path().join("policies/tests/connected-app-no-description/fail/force-app/main/default/connectedApps/Vendor.connectedApp-meta.xml");
    let text = std::fs::read_to_string(&app).unwrap();
    std::fs::write(
        &app,
        text.replace("<!-- expect: connected-app-no-description -->\n", ""),
    )
    .unwrap();
    let (code, _, stderr) = test_run(dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("a failing case expects no finding"),
        "{stderr}"
    );
}

#[test]
fn a_misspelled_expected_rule_is_a_located_error_with_a_suggestion() {
    let dir = scaffolded();
    let app = dir.path().join("policies/tests/connected-app-no-description/fail/force-app/main/default/connectedApps/Vendor.connectedApp-meta.xml");
    let text = std::fs::read_to_string(&app).unwrap();
    std::fs::write(
        &app,
        text.replace(
            "expect: connected-app-no-description",
            "expect: connected-app-no-descripton",
        ),
    )
    .unwrap();
    let (code, _, stderr) = test_run(dir.path());
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("Vendor.connectedApp-meta.xml:2:14"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `connected-app-no-description`"),
        "{stderr}"
    );
}

#[test]
fn a_changed_report_fails_the_case_with_a_diff_and_bless_accepts_it() {
    let dir = scaffolded();
    let policy = dir
        .path()
        .join("policies/connected-app-no-description.rhai");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text.replace("has no description", "lacks a description"),
    )
    .unwrap();
    let (code, stdout, _) = test_run(dir.path());
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("expected-output.txt differs"), "{stdout}");
    assert!(
        stdout.contains(
            "- warning[connected-app-no-description]: connected app Vendor has no description"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "+ warning[connected-app-no-description]: connected app Vendor lacks a description"
        ),
        "{stdout}"
    );
    sfpolicy(dir.path())
        .args(["test", "--bless", "policies"])
        .assert()
        .success();
    let (code, stdout, _) = test_run(dir.path());
    assert_eq!(code, 0, "{stdout}");
}

#[test]
fn a_report_never_quotes_other_text_than_was_checked() {
    use sfpolicy::report::{human, ReportInput, RuleMeta};
    let dir = scaffolded();
    let case = dir
        .path()
        .join("policies/tests/connected-app-no-description/fail");
    let outcome = sfpolicy::pipeline::run(&sfpolicy::pipeline::Options {
        paths: vec![case.clone()],
        root: Some(case.clone()),
        rules_dirs: vec![dir.path().join("policies")],
        select: vec!["connected-app-no-description".into()],
        ..Default::default()
    })
    .unwrap();
    assert_eq!(outcome.findings.len(), 1);
    // The file changes after it was checked, before the report is written.
    let app = case.join("force-app/main/default/connectedApps/Vendor.connectedApp-meta.xml");
    std::fs::write(
        &app,
        "<ConnectedApp><label>Edited after the check</label></ConnectedApp>\n",
    )
    .unwrap();
    let rules: Vec<RuleMeta> = outcome
        .ran
        .iter()
        .filter_map(|id| outcome.registry.get(id))
        .map(|info| RuleMeta {
            info,
            severity: info.severity,
        })
        .collect();
    let text = human::render(
        &ReportInput {
            errors: &[],
            sources: &outcome.analysis.org.sources,
            findings: &outcome.findings,
            files_checked: outcome.files_checked,
            rules,
            fail_on: None,
        },
        false,
    );
    assert!(!text.contains("Edited after the check"), "{text}");
    assert!(
        text.contains("the file changed after it was checked"),
        "{text}"
    );
    assert!(
        text.contains("Vendor.connectedApp-meta.xml:3:1"),
        "the position is still given: {text}"
    );
}
