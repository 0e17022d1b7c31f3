//! Helpers shared by the integration tests: run the binary, copy fixtures, read the JSON report.

// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

pub mod metadata;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The `sfpolicy` binary built for this test run.
pub fn sfpolicy() -> Command {
    Command::cargo_bin("sfpolicy").expect("the sfpolicy binary is built for integration tests")
}

/// `tests/fixtures/<name>` in the source tree.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
        .join(name)
}

/// A private copy of a fixture project, so a test can add files (binary ones, tool folders) and
/// nothing it does touches the source tree.
pub fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    copy_dir(&fixture(name), dir.path());
    dir
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read fixture folder") {
        let entry = entry.expect("fixture entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy fixture file");
        }
    }
}

/// Write a file, creating its parent folders.
pub fn write(path: impl AsRef<Path>, contents: impl AsRef<[u8]>) {
    let path = path.as_ref();
    std::fs::create_dir_all(path.parent().expect("a file has a parent")).expect("create folder");
    std::fs::write(path, contents).expect("write file");
}

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The report on stdout, parsed.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Fails the test if the process panicked or was killed instead of exiting.
    pub fn assert_no_panic(&self) {
        assert!(
            !self.stderr.to_lowercase().contains("panic"),
            "stderr mentions a panic:\n{}",
            self.stderr
        );
        assert!(
            (0..=2).contains(&self.code),
            "exit code {} (killed or crashed?); stderr:\n{}",
            self.code,
            self.stderr
        );
    }
}

/// Run `sfpolicy` with `args` in `cwd`.
pub fn run_in(cwd: &Path, args: &[&str]) -> Run {
    let output = sfpolicy()
        .current_dir(cwd)
        .args(args)
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("run sfpolicy");
    Run {
        // A signal (or the timeout) leaves no code: report it as -1 so every assertion on the
        // code fails loudly.
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `sfpolicy check --format json <extra...> <project>` run from the project folder's parent.
pub fn check_json(project: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let path = project.to_str().expect("UTF-8 path");
    args.push(path);
    run_in(project.parent().unwrap_or(project), &args)
}

/// The findings array of a report.
pub fn findings(report: &Value) -> &Vec<Value> {
    report["findings"]
        .as_array()
        .expect("`findings` is an array")
}

/// Findings of one rule.
pub fn of_rule<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    findings(report)
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// A finding reduced to what the tests compare: (file, line, column, rule, message).
pub type Brief = (String, u64, u64, String, String);

pub fn brief(f: &Value) -> Brief {
    (
        f["file"].as_str().expect("file").to_string(),
        f["line"].as_u64().expect("line"),
        f["column"].as_u64().expect("column"),
        f["rule"].as_str().expect("rule").to_string(),
        f["message"].as_str().expect("message").to_string(),
    )
}

pub fn briefs(report: &Value) -> Vec<Brief> {
    findings(report).iter().map(brief).collect()
}

/// Build an expected `Brief`.
pub fn b(file: &str, line: u64, column: u64, rule: &str, message: &str) -> Brief {
    (
        file.to_string(),
        line,
        column,
        rule.to_string(),
        message.to_string(),
    )
}

/// The `files` count of the summary.
pub fn files_checked(report: &Value) -> u64 {
    report["summary"]["files"]
        .as_u64()
        .expect("summary.files is a number")
}

/// The folder of the policy that reports every component it reads (kind, name, label).
pub fn inventory_rules() -> PathBuf {
    fixture("policies/inventory")
}

pub const INVENTORY: &str = "test-inventory";

pub const INVALID: &str = "invalid-metadata";
pub const FULL: &str = "connected-app-full-scope";
pub const IP: &str = "connected-app-ip-relaxed";
pub const FLOW: &str = "flow-system-mode-without-sharing";

/// `--select` for each rule: tests that compare whole reports pin the rules they are about, so
/// that rules added to the catalog later do not change them.
pub fn select<'a>(rules: &[&'a str]) -> Vec<&'a str> {
    rules.iter().flat_map(|r| ["--select", r]).collect()
}

/// `select(rules)` followed by `extra`.
pub fn with_select<'a>(rules: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = select(rules);
    args.extend_from_slice(extra);
    args
}

/// A small connected app for generated projects: clean apart from what the arguments ask for.
/// Lines: 7 `isAdminApproved`, 8.. the scopes, then `</oauthConfig>`, `<oauthPolicy>`, and
/// `ipRelaxation` on line 10 + number of scopes.
pub fn connected_app(label: &str, scopes: &[&str], ip_relaxation: Option<&str>) -> String {
    let mut xml = String::new();
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str("<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n");
    xml.push_str("    <contactEmail>integrations@example.com</contactEmail>\n");
    xml.push_str(&format!("    <label>{label}</label>\n"));
    xml.push_str("    <oauthConfig>\n");
    xml.push_str("        <callbackUrl>https://login.example.com/oauth/callback</callbackUrl>\n");
    xml.push_str("        <isAdminApproved>true</isAdminApproved>\n");
    for scope in scopes {
        xml.push_str(&format!("        <scopes>{scope}</scopes>\n"));
    }
    xml.push_str("    </oauthConfig>\n");
    if let Some(relax) = ip_relaxation {
        xml.push_str("    <oauthPolicy>\n");
        xml.push_str(&format!("        <ipRelaxation>{relax}</ipRelaxation>\n"));
        xml.push_str(
            "        <refreshTokenPolicy>specific_inactivity:30:DAYS</refreshTokenPolicy>\n",
        );
        xml.push_str("    </oauthPolicy>\n");
    }
    xml.push_str("</ConnectedApp>\n");
    xml
}

pub const SFDX_PROJECT: &str = r#"{
    "packageDirectories": [
        {
            "path": "force-app",
            "default": true
        }
    ],
    "name": "generated",
    "namespace": "",
    "sfdcLoginUrl": "https://login.salesforce.com",
    "sourceApiVersion": "62.0"
}
"#;

/// A fresh sfdx project in a temporary folder with the given files (relative paths).
pub fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    write(dir.path().join("sfdx-project.json"), SFDX_PROJECT);
    for (rel, contents) in files {
        write(dir.path().join(rel), contents);
    }
    dir
}

pub const APPS: &str = "force-app/main/default/connectedApps";

/// `sfpolicy check <args>` in `cwd`.
pub fn run_in_check(cwd: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    run_in(cwd, &all)
}
