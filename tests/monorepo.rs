//! A project in a sub-folder of a git repository (a monorepo): machine formats give paths from
//! the repository root, human output from the current directory, fingerprints stay
//! project-relative; SARIF tells projects apart, follows configured severities and reports tool
//! errors in the file it was asked to write.

mod common;

use common::metadata::*;
use common::sfpolicy;
use serde_json::Value;
use std::path::Path;

fn git_init(dir: &Path) {
    let ok = std::process::Command::new("git")
        .current_dir(dir)
        .args(["init", "-q", "-b", "main"])
        .status()
        .unwrap()
        .success();
    assert!(ok);
}

/// `repo/salesforce/` is the sfdx project; `repo/docs/` is unrelated.
fn monorepo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    let project = dir.path().join("salesforce");
    write_all(
        &project,
        &[
            sfdx_project(),
            connected_app(
                "Vendor",
                false,
                "        <isAdminApproved>false</isAdminApproved>\n        <scopes>Full</scopes>",
                "        <ipRelaxation>BYPASS</ipRelaxation>",
            ),
        ],
    );
    std::fs::create_dir_all(dir.path().join("docs")).unwrap();
    dir
}

fn run(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = sfpolicy().current_dir(cwd).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn machine_formats_point_at_files_that_exist_from_the_repository_root() {
    let repo = monorepo();
    let root = repo.path();
    let exists = |p: &str| root.join(p).is_file();

    let (_, sarif, _) = run(root, &["check", "--format", "sarif", "salesforce"]);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let run0 = &doc["runs"][0];
    let results = run0["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.starts_with("salesforce/force-app/"), "{uri}");
        assert!(exists(uri), "{uri} exists from the repository root");
    }
    let base = run0["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    let repo_uri = format!("{}/", std::fs::canonicalize(root).unwrap().display());
    assert!(base.ends_with(&repo_uri), "{base} is the repository root");
    assert_eq!(run0["automationDetails"]["id"], "sfpolicy/salesforce/");

    let (_, github, _) = run(root, &["check", "--format", "github", "salesforce"]);
    let mut annotations = 0;
    for line in github.lines().filter(|l| l.starts_with("::")) {
        let file = line
            .split("file=")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .unwrap();
        assert!(exists(file), "{file}");
        annotations += 1;
    }
    assert!(annotations > 0);

    let (_, gitlab, _) = run(root, &["check", "--format", "gitlab", "salesforce"]);
    let issues: Vec<Value> = serde_json::from_str(&gitlab).unwrap();
    for i in &issues {
        assert!(exists(i["location"]["path"].as_str().unwrap()), "{i}");
    }

    let (_, json, _) = run(&root.join("salesforce"), &["check", "--format", "json"]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    for f in doc["findings"].as_array().unwrap() {
        assert!(exists(f["file"].as_str().unwrap()), "{f}");
    }

    let (_, junit, _) = run(root, &["check", "--format", "junit", "salesforce"]);
    assert!(
        junit.contains("classname=\"salesforce/force-app/"),
        "{junit}"
    );
}

#[test]
fn human_paths_are_relative_to_the_current_directory() {
    let repo = monorepo();
    let (_, out, _) = run(
        &repo.path().join("docs"),
        &["check", "--color", "never", "../salesforce"],
    );
    assert!(
        out.contains(
            "../salesforce/force-app/main/default/connectedApps/Vendor.connectedApp-meta.xml"
        ),
        "{out}"
    );
}

#[test]
fn fingerprints_do_not_depend_on_where_the_project_sits() {
    let repo = monorepo();
    let prints = |dir: &Path| -> Vec<String> {
        let (_, json, _) = run(dir, &["check", "--format", "json"]);
        let doc: Value = serde_json::from_str(&json).unwrap();
        let mut v: Vec<String> = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    let inside = prints(&repo.path().join("salesforce"));
    // The same project outside any repository.
    let alone = tempfile::tempdir().unwrap();
    common::copy_dir(&repo.path().join("salesforce"), alone.path());
    assert_eq!(inside, prints(alone.path()));
}

#[test]
fn sarif_follows_the_configured_severity() {
    let repo = monorepo();
    let project = repo.path().join("salesforce");
    common::write(
        project.join("sfpolicy.toml"),
        "[rules]\nconnected-app-full-scope = \"error\"\nconnected-app-ip-relaxed = \"info\"\n",
    );
    let (_, sarif, _) = run(&project, &["check", "--format", "sarif"]);
    let doc: Value = serde_json::from_str(&sarif).unwrap();
    let rules = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap().clone();
    let full = rule("connected-app-full-scope");
    assert_eq!(full["defaultConfiguration"]["level"], "error");
    assert_eq!(full["properties"]["security-severity"], "8.0");
    let ip = rule("connected-app-ip-relaxed");
    assert_eq!(ip["defaultConfiguration"]["level"], "note");
    assert_eq!(ip["properties"]["security-severity"], "2.0");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let level = |id: &str| {
        results
            .iter()
            .find(|r| r["ruleId"] == id)
            .map(|r| r["level"].clone())
            .unwrap()
    };
    assert_eq!(level("connected-app-full-scope"), "error");
    assert_eq!(level("connected-app-ip-relaxed"), "note");
}

#[test]
fn a_tool_error_still_writes_a_valid_sarif_and_json_file() {
    let repo = monorepo();
    let project = repo.path().join("salesforce");
    common::write(
        project.join("sfpolicy.toml"),
        "[rules]\nno-such-rule = \"off\"\n",
    );
    for format in ["sarif", "json"] {
        let out_file = repo.path().join(format!("out.{format}"));
        let (code, stdout, stderr) = run(
            &project,
            &[
                "check",
                "--format",
                format,
                "--output",
                out_file.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(stdout.is_empty());
        assert!(stderr.contains("unknown rule `no-such-rule`"), "{stderr}");
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(&out_file).unwrap()).unwrap();
        if format == "sarif" {
            assert_eq!(doc["version"], "2.1.0");
            let invocation = &doc["runs"][0]["invocations"][0];
            assert_eq!(invocation["executionSuccessful"], false);
            let note = &invocation["toolExecutionNotifications"][0];
            assert_eq!(note["level"], "error");
            assert!(note["message"]["text"]
                .as_str()
                .unwrap()
                .contains("no-such-rule"));
            let region = &note["locations"][0]["physicalLocation"]["region"];
            assert_eq!(region["startLine"], 2);
            assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));
        } else {
            assert!(doc["error"]["message"]
                .as_str()
                .unwrap()
                .contains("no-such-rule"));
            assert_eq!(doc["error"]["location"]["line"], 2);
        }
    }
}
