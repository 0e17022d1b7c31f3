//! Incremental runs (PATH filters, `--changed-since`, `--staged`) report every finding with any
//! input among the changed files — not only findings located in them — and treat a deleted file
//! as changed. And they do not report what a change could not have caused.

mod common;

use common::metadata::*;
use common::{sfpolicy, write};
use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn repo(files: &[File]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_all(dir.path(), &[sfdx_project()]);
    write_all(dir.path(), files);
    git(dir.path(), &["init", "-q", "-b", "main"]);
    git(dir.path(), &["config", "user.email", "ci@example.com"]);
    git(dir.path(), &["config", "user.name", "ci"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-qm", "base"]);
    dir
}

/// (rule, file) of each finding of a JSON run in `dir`.
fn findings(dir: &Path, args: &[&str]) -> Vec<(String, String)> {
    let out = sfpolicy()
        .current_dir(dir)
        .args(["check", "--format", "json", "--fail-on", "never"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const GROUP: &str =
    "force-app/main/default/permissionsetgroups/Warehouse_Integration.permissionsetgroup-meta.xml";
const MEMBER: &str = "force-app/main/default/permissionsets/Warehouse_Base.permissionset-meta.xml";

/// A group that is an integration identity (its name), whose member is not.
fn group_org() -> Vec<File> {
    vec![
        permission_set_group("Warehouse_Integration", &["Warehouse_Base"]),
        permission_set(
            "Warehouse_Base",
            "Warehouse base access",
            &object_permission("Account", false),
        ),
        bad_app_file(),
    ]
}

fn bad_app_file() -> File {
    connected_app(
        "Unrelated",
        true,
        "        <isAdminApproved>true</isAdminApproved>\n        <scopes>Full</scopes>",
        "",
    )
}

fn grant_modify_all_data(dir: &Path) {
    let (path, text) = permission_set(
        "Warehouse_Base",
        "Warehouse base access",
        &[
            object_permission("Account", false),
            user_permission("ModifyAllData"),
        ]
        .join("\n"),
    );
    write(dir.join(path), text);
}

#[test]
fn editing_a_member_reports_the_group_finding_through_a_path() {
    let dir = repo(&group_org());
    grant_modify_all_data(dir.path());
    let found = findings(dir.path(), &[MEMBER]);
    assert!(
        found.contains(&("integration-admin-permission".into(), GROUP.into())),
        "the group's finding is caused by the member's change: {found:?}"
    );
    assert!(
        !found.iter().any(|(r, _)| r == "connected-app-full-scope"),
        "an unrelated file's finding is not: {found:?}"
    );
}

#[test]
fn editing_a_member_reports_the_group_finding_through_changed_since_and_staged() {
    let dir = repo(&group_org());
    grant_modify_all_data(dir.path());
    let found = findings(dir.path(), &["--changed-since", "HEAD"]);
    assert!(
        found.contains(&("integration-admin-permission".into(), GROUP.into())),
        "{found:?}"
    );
    assert!(
        !found.iter().any(|(r, _)| r == "connected-app-full-scope"),
        "{found:?}"
    );

    git(dir.path(), &["add", "-A"]);
    let found = findings(dir.path(), &["--staged"]);
    assert!(
        found.contains(&("integration-admin-permission".into(), GROUP.into())),
        "{found:?}"
    );
}

#[test]
fn an_unrelated_change_reports_nothing_of_the_group() {
    let dir = repo(&group_org());
    grant_modify_all_data(dir.path());
    git(dir.path(), &["commit", "-qam", "grant"]);
    let (path, text) = bad_app_file();
    write(
        dir.path().join(&path),
        text.replace("Unrelated", "Unrelated app"),
    );
    let found = findings(dir.path(), &["--changed-since", "HEAD"]);
    assert!(
        found.iter().any(|(r, _)| r == "connected-app-full-scope"),
        "{found:?}"
    );
    assert!(
        !found
            .iter()
            .any(|(r, _)| r == "integration-admin-permission"),
        "{found:?}"
    );
}

const RULE: &str =
    "force-app/main/default/objects/Account/validationRules/Locked.validationRule-meta.xml";

fn permission_org() -> Vec<File> {
    vec![
        custom_permission("Bypass_Validation"),
        validation_rule(
            "Account",
            "Locked",
            "AND(NOT($Permission.Bypass_Validation), ISCHANGED(Name))",
        ),
    ]
}

#[test]
fn deleting_a_referenced_custom_permission_is_caught() {
    let dir = repo(&permission_org());
    std::fs::remove_file(dir.path().join(custom_permission("Bypass_Validation").0)).unwrap();
    let expected = ("bypass-permission-undefined".to_string(), RULE.to_string());

    let found = findings(dir.path(), &["--changed-since", "HEAD"]);
    assert_eq!(found, vec![expected.clone()], "a deletion is a change");

    git(dir.path(), &["add", "-A"]);
    // What pre-commit runs for a commit that only deletes a file: no PATH at all.
    let found = findings(dir.path(), &["--staged"]);
    assert_eq!(found, vec![expected.clone()]);
    // And with PATHs that do not include the deleted file.
    let found = findings(dir.path(), &["--staged", "sfdx-project.json"]);
    assert_eq!(found, vec![expected]);
}

#[test]
fn a_connected_app_that_makes_a_permission_set_an_identity_reports_the_permission_set() {
    let ps = permission_set(
        "Vendor_Access",
        "Vendor access",
        &user_permission("ModifyAllData"),
    );
    let dir = repo(&[ps.clone(), app_running_as("Vendor", "int_vendor@acme.test")]);
    // Pre-authorize the permission set: it becomes an integration identity.
    let (path, text) = app_running_as("Vendor", "int_vendor@acme.test");
    write(
        dir.path().join(&path),
        text.replace(
            "    <oauthConfig>",
            "    <permissionSetName>Vendor access</permissionSetName>\n    <oauthConfig>",
        ),
    );
    let found = findings(dir.path(), &["--changed-since", "HEAD"]);
    assert!(
        found.contains(&("integration-admin-permission".into(), ps.0.clone())),
        "the finding lands in the unchanged permission set: {found:?}"
    );
}

#[test]
fn json_lists_the_inputs_of_incremental_findings() {
    let dir = repo(&group_org());
    grant_modify_all_data(dir.path());
    let out = sfpolicy()
        .current_dir(dir.path())
        .args(["check", "--format", "json", "--fail-on", "never", MEMBER])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let group = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == GROUP)
        .expect("the group's finding");
    let inputs: Vec<&str> = group["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert!(
        inputs.contains(&"PermissionSet:warehouse_base"),
        "{inputs:?}"
    );
    let related: Vec<&str> = group["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert!(
        related.contains(&MEMBER),
        "the member's grant is a related location: {related:?}"
    );
}
