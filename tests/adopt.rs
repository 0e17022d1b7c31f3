//! Adoption: waivers, baselines, --changed-since and init.

use assert_cmd::Command;
use std::path::Path;

const APP_BAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>team@example.com</contactEmail>
    <label>Vendor</label>
    <oauthConfig>
        <callbackUrl>https://vendor.example.com/cb</callbackUrl>
        <isAdminApproved>true</isAdminApproved>
        <scopes>Full</scopes>
    </oauthConfig>
</ConnectedApp>
"#;

fn project(dir: &Path) {
    std::fs::write(
        dir.join("sfdx-project.json"),
        r#"{"packageDirectories":[{"path":"force-app","default":true}]}"#,
    )
    .unwrap();
    let apps = dir.join("force-app/main/default/connectedApps");
    std::fs::create_dir_all(&apps).unwrap();
    std::fs::write(apps.join("Vendor.connectedApp-meta.xml"), APP_BAD).unwrap();
}

fn sfpolicy(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("sfpolicy").unwrap();
    c.current_dir(dir).env("SFPOLICY_TODAY", "2026-11-27");
    c
}

fn findings(out: &std::process::Output) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    v["findings"].as_array().unwrap().clone()
}

#[test]
fn waiver_hides_and_expired_or_unused_waivers_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let waiver = |expires: &str, path: &str| {
        format!("[[waivers]]\nrule = \"connected-app-full-scope\"\npath = \"{path}\"\nreason = \"vendor needs it, SEC-1\"\nexpires = \"{expires}\"\n")
    };
    let app = "force-app/main/default/connectedApps/Vendor.connectedApp-meta.xml";
    std::fs::write(dir.path().join("sfpolicy.toml"), waiver("2099-01-01", app)).unwrap();
    let out = sfpolicy(dir.path())
        .args(["check", "--format", "json", "--fail-on", "warning"])
        .output()
        .unwrap();
    assert!(findings(&out).is_empty(), "waived");
    assert_eq!(out.status.code(), Some(0));

    std::fs::write(dir.path().join("sfpolicy.toml"), waiver("2020-01-01", app)).unwrap();
    let out = sfpolicy(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let f = findings(&out);
    let rules: Vec<&str> = f.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(
        rules.contains(&"connected-app-full-scope") && rules.contains(&"waiver-expired"),
        "{rules:?}"
    );
    let expired = f.iter().find(|f| f["rule"] == "waiver-expired").unwrap();
    assert_eq!(expired["file"], "sfpolicy.toml");
    assert_eq!(expired["line"], 1);

    std::fs::write(
        dir.path().join("sfpolicy.toml"),
        waiver("2099-01-01", "force-app/other/*.xml"),
    )
    .unwrap();
    let out = sfpolicy(dir.path())
        .args(["check", "--format", "json"])
        .output()
        .unwrap();
    let f = findings(&out);
    assert!(f
        .iter()
        .any(|f| f["rule"] == "waiver-unused" && f["file"] == "sfpolicy.toml"));
    assert!(f.iter().any(|f| f["rule"] == "connected-app-full-scope"));
}

#[test]
fn waiver_without_reason_is_a_located_config_error() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    std::fs::write(
        dir.path().join("sfpolicy.toml"),
        "[[waivers]]\nrule = \"connected-app-full-scope\"\npath = \"x\"\nreason = \"  \"\n",
    )
    .unwrap();
    let out = sfpolicy(dir.path()).args(["check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sfpolicy.toml:4:") && err.contains("reason"),
        "{err}"
    );
}

#[test]
fn baseline_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    sfpolicy(dir.path())
        .args(["check", "--write-baseline", "baseline.json"])
        .assert()
        .success();
    sfpolicy(dir.path())
        .args([
            "check",
            "--baseline",
            "baseline.json",
            "--fail-on",
            "warning",
        ])
        .assert()
        .code(0);

    // Lines inserted above the old finding: still hidden.
    let app = dir
        .path()
        .join("force-app/main/default/connectedApps/Vendor.connectedApp-meta.xml");
    let shifted = APP_BAD.replace(
        "<label>Vendor</label>",
        "<description>More\ntext\nhere</description>\n    <label>Vendor</label>",
    );
    std::fs::write(&app, &shifted).unwrap();
    sfpolicy(dir.path())
        .args([
            "check",
            "--baseline",
            "baseline.json",
            "--fail-on",
            "warning",
        ])
        .assert()
        .code(0);

    // A new problem: exit 1 with only the new one.
    std::fs::write(
        &app,
        shifted.replace(
            "<isAdminApproved>true</isAdminApproved>",
            "<isAdminApproved>false</isAdminApproved>",
        ),
    )
    .unwrap();
    let out = sfpolicy(dir.path())
        .args(["check", "--baseline", "baseline.json", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let f = findings(&out);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0]["rule"], "connected-app-self-authorize");
}

#[test]
fn bad_or_missing_baseline_is_a_tool_error() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    sfpolicy(dir.path())
        .args(["check", "--baseline", "missing.json"])
        .assert()
        .code(2);
    std::fs::write(
        dir.path().join("bad.json"),
        "{\n  \"version\": 1,\n  oops\n}",
    )
    .unwrap();
    let out = sfpolicy(dir.path())
        .args(["check", "--baseline", "bad.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.json:3:"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn git(dir: &Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn changed_since_reports_only_changed_files() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    git(dir.path(), &["checkout", "-qb", "feature"]);
    let apps = dir.path().join("force-app/main/default/connectedApps");
    std::fs::write(
        apps.join("New.connectedApp-meta.xml"),
        APP_BAD.replace("Vendor", "New"),
    )
    .unwrap();
    let out = sfpolicy(dir.path())
        .args(["check", "--format", "json", "--changed-since", "main"])
        .output()
        .unwrap();
    let f = findings(&out);
    assert!(!f.is_empty());
    assert!(
        f.iter().all(|f| f["file"]
            .as_str()
            .unwrap()
            .ends_with("New.connectedApp-meta.xml")),
        "{f:?}"
    );

    let outside = tempfile::tempdir().unwrap();
    project(outside.path());
    let out = sfpolicy(outside.path())
        .args(["check", "--changed-since", "main"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not inside a git repository"));
}

#[test]
fn init_writes_a_config_once() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    sfpolicy(dir.path()).arg("init").assert().success();
    assert!(dir.path().join("sfpolicy.toml").is_file());
    sfpolicy(dir.path()).arg("init").assert().code(2);
    sfpolicy(dir.path()).arg("check").assert().code(0);
}
