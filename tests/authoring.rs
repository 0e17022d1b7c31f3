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
