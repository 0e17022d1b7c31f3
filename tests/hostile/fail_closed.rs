//! Fail closed: what cannot be read, written or trusted is a located error or a finding, never a
//! silent pass. (The tests run as root in CI, where `chmod 000` does not stop a read: an
//! unreadable folder is made with a path longer than the system allows.)

use super::{run, Raw};
use crate::common::{write, SFDX_PROJECT};
use std::path::Path;
use std::process::Command;

const PROFILES: &str = "force-app/main/default/profiles";

const PROFILE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>true</custom>
    <userLicense>Salesforce</userLicense>
</Profile>
"#;

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path().join("sfdx-project.json"), SFDX_PROJECT);
    write(
        dir.path().join(PROFILES).join("Sales.profile-meta.xml"),
        PROFILE,
    );
    dir
}

fn json(root: &Path, extra: &[&str]) -> Raw {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(".");
    run(root, &args)
}

/// The findings of one rule as (file, line, column, severity).
fn of_rule(out: &Raw, rule: &str) -> Vec<(String, u64, u64, String)> {
    out.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn mkfifo(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

#[test]
fn a_folder_that_cannot_be_read_is_an_error_finding() {
    let dir = project();
    // 20 levels of 250-character names: past PATH_MAX, so listing the deepest folders fails
    // (ENAMETOOLONG) even for root. `mkdir -p` gets there one level at a time.
    let deep: Vec<String> = (0..20)
        .map(|i| format!("{i:02}{}", "d".repeat(248)))
        .collect();
    let status = Command::new("mkdir")
        .arg("-p")
        .arg(deep.join("/"))
        .current_dir(dir.path().join("force-app/main/default"))
        .status()
        .expect("mkdir -p");
    assert!(status.success());
    let out = json(dir.path(), &[]);
    // An error: the run cannot vouch for what it could not read.
    out.expect(1, "unreadable folder");
    let unread = of_rule(&out, "unread-metadata");
    assert_eq!(unread.len(), 1, "{}", out.stdout());
    let (file, line, column, severity) = &unread[0];
    assert!(file.starts_with("force-app/main/default/00ddd"), "{file}");
    assert_eq!((*line, *column, severity.as_str()), (1, 1, "error"));
    let message = out.json()["findings"][0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("cannot be read: File name too long"),
        "{message}"
    );
}

#[test]
fn a_fifo_named_like_metadata_is_reported_without_blocking() {
    let dir = project();
    let fifo = dir.path().join(PROFILES).join("Pipe.profile-meta.xml");
    mkfifo(&fifo);
    let out = json(dir.path(), &[]);
    out.expect(1, "FIFO");
    assert_eq!(
        of_rule(&out, "unread-metadata"),
        [(
            format!("{PROFILES}/Pipe.profile-meta.xml"),
            1,
            1,
            "error".to_string()
        )]
    );
}

#[test]
fn config_files_that_are_not_regular_files_are_located_errors_not_hangs() {
    for name in ["sfpolicy.toml", "integrations.toml"] {
        let dir = project();
        mkfifo(&dir.path().join(name));
        let out = run(dir.path(), &["check", "."]);
        out.expect(2, name);
        let stderr = out.stderr();
        assert!(stderr.contains(name), "{stderr}");
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
}

#[test]
fn a_broken_sfdx_project_json_is_invalid_metadata_at_the_fault() {
    let dir = project();
    write(
        dir.path().join("sfdx-project.json"),
        "{\n  \"packageDirectories\": [\n    {\"path\": \"force-app\",}\n  ]\n}\n",
    );
    let out = json(dir.path(), &[]);
    out.expect(1, "broken sfdx-project.json");
    let invalid = of_rule(&out, "invalid-metadata");
    assert_eq!(invalid.len(), 1, "{}", out.stdout());
    assert_eq!(invalid[0].0, "sfdx-project.json");
    assert_eq!(invalid[0].1, 3, "{invalid:?}");

    // A folder where the file should be: reported, not ignored.
    let dir = project();
    std::fs::remove_file(dir.path().join("sfdx-project.json")).unwrap();
    std::fs::create_dir(dir.path().join("sfdx-project.json")).unwrap();
    let out = json(dir.path(), &[]);
    assert!(out.code == 1 || out.code == 2, "exit {}", out.code);
    out.within(super::time_limit(), "sfdx-project.json folder");
    let all = format!("{}{}", out.stdout(), out.stderr());
    assert!(all.contains("sfdx-project.json"), "{all}");
    assert!(all.contains("is a folder, not a file"), "{all}");
}

#[test]
fn a_symlinked_profile_is_an_info_finding_not_a_silent_skip() {
    let dir = project();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("Admin.profile-meta.xml");
    write(&target, PROFILE);
    std::os::unix::fs::symlink(
        &target,
        dir.path().join(PROFILES).join("Admin.profile-meta.xml"),
    )
    .unwrap();
    let out = json(dir.path(), &[]);
    // Info does not fail the run by default, but it is there.
    out.expect(0, "symlink");
    assert_eq!(
        of_rule(&out, "unread-metadata"),
        [(
            format!("{PROFILES}/Admin.profile-meta.xml"),
            1,
            1,
            "info".to_string()
        )]
    );
    let failing = json(dir.path(), &["--fail-on", "info"]);
    failing.expect(1, "symlink, --fail-on info");
}

#[test]
fn a_report_that_cannot_be_written_to_stdout_exits_2() {
    let dir = project();
    for format in ["human", "json", "sarif"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let started = std::time::Instant::now();
        let output = Command::new(assert_cmd::cargo::cargo_bin("sfpolicy"))
            .current_dir(dir.path())
            .args(["check", "--format", format, "."])
            .stdout(full)
            .output()
            .unwrap();
        let out = Raw {
            code: output.status.code().unwrap_or(-1),
            stdout: output.stdout,
            stderr: output.stderr,
            elapsed: started.elapsed(),
        };
        out.expect(2, &format!("{format} to /dev/full"));
        assert!(
            out.stderr()
                .contains("cannot write the report: No space left on device"),
            "{}",
            out.stderr()
        );
    }
}

#[test]
fn impossible_waiver_dates_are_config_errors_at_the_waiver() {
    for date in ["2025-13-45", "9999-99-99", "2026-02-30", "tomorrow"] {
        let dir = project();
        write(
            dir.path().join("sfpolicy.toml"),
            format!(
                "[rules]\n\n[[waivers]]\nrule = \"integration-admin-permission\"\npath = \"force-app/**\"\nreason = \"vendor migration\"\nexpires = \"{date}\"\n"
            ),
        );
        let out = run(dir.path(), &["check", "."]);
        out.expect(2, date);
        let stderr = out.stderr();
        assert!(stderr.contains("sfpolicy.toml:7:11"), "{date}: {stderr}");
        assert!(stderr.contains(date), "{date}: {stderr}");
    }
}

#[test]
fn nul_and_control_characters_in_xml_are_invalid_metadata_where_they_are() {
    for (what, bytes) in [
        ("NUL", "\u{0}"),
        ("ESC", "\u{1b}"),
        ("BEL", "\u{7}"),
        ("VT", "\u{b}"),
    ] {
        let dir = project();
        write(
            dir.path().join(PROFILES).join("Sales.profile-meta.xml"),
            PROFILE.replace("<custom>true", &format!("<custom>tr{bytes}ue")),
        );
        let out = json(dir.path(), &[]);
        out.expect(1, what);
        assert_eq!(
            of_rule(&out, "invalid-metadata"),
            [(
                format!("{PROFILES}/Sales.profile-meta.xml"),
                3,
                15,
                "error".to_string()
            )],
            "{what}"
        );
    }
}

#[test]
fn jobs_is_capped() {
    let dir = project();
    let out = run(dir.path(), &["check", "--jobs", "100000", "."]);
    out.expect(2, "--jobs 100000");
    assert!(
        out.stderr()
            .contains("--jobs 100000: give between 1 and 256 worker threads"),
        "{}",
        out.stderr()
    );
    let out = run(dir.path(), &["check", "--jobs", "256", "."]);
    out.expect(0, "--jobs 256");
}

#[test]
fn policy_paths_in_the_config_stay_inside_the_project() {
    let dir = project();
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path().join("anything.rhai"),
        "//! x\nconst RULE = #{ id: \"outside\", severity: \"error\", kinds: [\"Profile\"], summary: \"x\" };\nfn check(p) { report(p, \"ran\"); }\n",
    );
    let outside_path = outside.path().display().to_string();
    for path in [outside_path.as_str(), "../"] {
        write(
            dir.path().join("sfpolicy.toml"),
            format!("[policies]\npaths = [\"{path}\"]\n"),
        );
        let out = run(dir.path(), &["check", "."]);
        out.expect(2, path);
        let stderr = out.stderr();
        assert!(stderr.contains("sfpolicy.toml:2:"), "{path}: {stderr}");
    }
    // Given on the command line, by the person running sfpolicy, it is allowed.
    std::fs::remove_file(dir.path().join("sfpolicy.toml")).unwrap();
    let out = json(dir.path(), &["--rules", &outside_path]);
    out.expect(1, "--rules outside");
    assert_eq!(of_rule(&out, "outside").len(), 1, "{}", out.stdout());
}
