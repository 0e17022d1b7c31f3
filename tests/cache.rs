//! `check --cache DIR` never prints anything a cold run would not: on copies of corpus
//! repositories, with files added, deleted, edited and restored between runs, a config change and
//! another format, every cached run equals a run without the cache, and repeat runs are hits.

mod common;

use assert_cmd::Command;
use common::copy_dir;
use serde_json::Value;
use std::path::{Path, PathBuf};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

/// Repositories with findings of several rules (see tests/snapshots/corpus-findings.txt).
const REPOS: &[&str] = &[
    "smurphy917__keyloop-keyforce-gh",
    "Exygy__sf-dahlia-salesforce",
    "SFDO-Community__Summit-Events-App",
];

#[derive(Debug, PartialEq)]
struct Run {
    stdout: String,
    code: Option<i32>,
}

fn check(project: &Path, cache: Option<&Path>, format: &str) -> (Run, String) {
    let mut cmd = Command::cargo_bin("sfpolicy").unwrap();
    cmd.env("SFPOLICY_TODAY", "2026-12-02")
        .env("SFPOLICY_TIMINGS", "1")
        .args(["check", "--no-forceignore", "--format", format])
        .arg(project);
    if let Some(c) = cache {
        cmd.arg("--cache").arg(c);
    }
    let out = cmd.output().unwrap();
    (
        Run {
            stdout: String::from_utf8(out.stdout).unwrap(),
            code: out.status.code(),
        },
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A cold run, then two cached runs: the first may compute, the second must be a hit; all three
/// print the same.
fn same_with_cache(project: &Path, cache: &Path, format: &str, what: &str) -> Run {
    let (cold, _) = check(project, None, format);
    let (first, _) = check(project, Some(cache), format);
    assert_eq!(first, cold, "{what}: first cached run");
    let (second, stderr) = check(project, Some(cache), format);
    assert_eq!(second, cold, "{what}: repeat run");
    assert!(
        stderr.contains("timing: cache hit"),
        "{what}: the repeat run was not a hit\n{stderr}"
    );
    cold
}

fn first_finding_file(run: &Run) -> Option<String> {
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    doc["findings"]
        .as_array()?
        .iter()
        .filter_map(|f| f["file"].as_str())
        .find(|f| f.ends_with(".xml"))
        .map(str::to_string)
}

#[test]
fn cached_runs_equal_cold_runs_as_files_change() {
    if !Path::new(CORPUS).is_dir() {
        panic!("the corpus is missing at {CORPUS}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    for repo in REPOS {
        let project: PathBuf = tmp.path().join(repo);
        copy_dir(&Path::new(CORPUS).join(repo), &project);
        let original = same_with_cache(&project, &cache, "json", &format!("{repo} as is"));
        assert!(
            original.code == Some(1) || original.code == Some(0),
            "{repo}: {original:?}"
        );

        // Another format is another entry, never the JSON one.
        same_with_cache(&project, &cache, "human", &format!("{repo} human"));

        // A file added: a connected app that requests the Full scope.
        let app =
            project.join("force-app/main/default/connectedApps/Cache_Probe.connectedApp-meta.xml");
        std::fs::create_dir_all(app.parent().unwrap()).unwrap();
        std::fs::write(
            &app,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <contactEmail>ops@corp.com</contactEmail>\n    <label>Cache Probe</label>\n    <oauthConfig>\n        <callbackUrl>https://login.salesforce.com/services/oauth2/success</callbackUrl>\n        <isAdminApproved>true</isAdminApproved>\n        <scopes>Full</scopes>\n    </oauthConfig>\n</ConnectedApp>\n",
        )
        .unwrap();
        let added = same_with_cache(&project, &cache, "json", &format!("{repo} + app"));
        assert_ne!(added, original, "{repo}: adding a finding changed nothing");
        assert!(added.stdout.contains("Cache_Probe"));

        // The same file edited: the finding goes (same path, same size class, new content).
        let text = std::fs::read_to_string(&app).unwrap();
        std::fs::write(
            &app,
            text.replace("<scopes>Full</scopes>", "<scopes>Api</scopes>"),
        )
        .unwrap();
        let edited = same_with_cache(&project, &cache, "json", &format!("{repo} edited app"));
        assert_ne!(edited, added, "{repo}");
        let doc: Value = serde_json::from_str(&edited.stdout).unwrap();
        assert!(
            !doc["findings"].as_array().unwrap().iter().any(|f| {
                f["rule"] == "connected-app-full-scope"
                    && f["file"].as_str().unwrap_or("").contains("Cache_Probe")
            }),
            "{repo}: the edit did not reach the cached run"
        );
        std::fs::remove_file(&app).unwrap();

        // A file with a finding deleted, then restored: the restored project hits the entry of
        // the original one and prints exactly what it printed.
        if let Some(file) = first_finding_file(&original) {
            let path = project.join(&file);
            let saved = std::fs::read(&path).unwrap();
            std::fs::remove_file(&path).unwrap();
            let deleted = same_with_cache(&project, &cache, "json", &format!("{repo} - {file}"));
            assert_ne!(deleted, original, "{repo}: deleting {file} changed nothing");
            std::fs::write(&path, saved).unwrap();
            let (restored, stderr) = check(&project, Some(&cache), "json");
            assert_eq!(restored, original, "{repo}: restored");
            assert!(stderr.contains("timing: cache hit"), "{stderr}");
        }

        // The config changes what is reported: a miss, and the cold result.
        let rules: Vec<String> = {
            let doc: Value = serde_json::from_str(&original.stdout).unwrap();
            doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule"].as_str().unwrap().to_string())
                .collect()
        };
        if let Some(rule) = rules.first() {
            std::fs::write(
                project.join("sfpolicy.toml"),
                format!("[rules]\n{rule} = \"off\"\n"),
            )
            .unwrap();
            let off = same_with_cache(&project, &cache, "json", &format!("{repo} {rule} off"));
            assert_ne!(off, original, "{repo}: turning {rule} off changed nothing");
            std::fs::remove_file(project.join("sfpolicy.toml")).unwrap();
        }
    }
    // Eviction keeps the folder bounded.
    let entries = std::fs::read_dir(&cache).unwrap().count();
    assert!(entries <= sfpolicy::cache::MAX_ENTRIES, "{entries}");
}

#[test]
fn an_unusable_cache_folder_warns_and_the_run_stands() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("p");
    std::fs::create_dir_all(&project).unwrap();
    std::fs::write(
        project.join("sfdx-project.json"),
        "{\"packageDirectories\":[{\"path\":\"force-app\"}]}",
    )
    .unwrap();
    // A file where the cache folder should be.
    let blocker = tmp.path().join("cache");
    std::fs::write(&blocker, "not a folder").unwrap();
    let (cached, stderr) = check(&project, Some(&blocker), "json");
    let (cold, _) = check(&project, None, "json");
    assert_eq!(cached, cold);
    assert!(stderr.contains("--cache: cannot store"), "{stderr}");
}

fn small_project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    std::fs::write(
        p.join("sfdx-project.json"),
        "{\"packageDirectories\":[{\"path\":\"force-app\"}]}",
    )
    .unwrap();
    let app = p.join("force-app/main/default/connectedApps/A.connectedApp-meta.xml");
    std::fs::create_dir_all(app.parent().unwrap()).unwrap();
    std::fs::write(
        &app,
        "<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\"><label>A</label><oauthConfig><callbackUrl>https://x.example/cb</callbackUrl><scopes>Full</scopes></oauthConfig></ConnectedApp>\n",
    )
    .unwrap();
    tmp
}

fn run(project: &Path, args: &[&str]) -> (Run, String) {
    let out = Command::cargo_bin("sfpolicy")
        .unwrap()
        .env("SFPOLICY_TODAY", "2026-12-02")
        .env("SFPOLICY_TIMINGS", "1")
        .current_dir(project)
        .args(args)
        .output()
        .unwrap();
    (
        Run {
            stdout: String::from_utf8(out.stdout).unwrap(),
            code: out.status.code(),
        },
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn the_key_covers_the_config_path_and_the_project_file_and_errors_stay_cold() {
    let tmp = small_project();
    let p = tmp.path();
    let cache = p.join(".cache");
    let cache = cache.to_str().unwrap();
    // Two configs with the same text: a finding in the config names its own file.
    let config =
        "[[waivers]]\nrule = \"connected-app-full-scope\"\npath = \"nowhere/**\"\nreason = \"r\"\n";
    std::fs::write(p.join("a.toml"), config).unwrap();
    std::fs::write(p.join("b.toml"), config).unwrap();
    for name in ["a.toml", "b.toml"] {
        let args = ["check", "--format", "json", "--config", name, "."];
        let (cold, _) = run(p, &args);
        assert!(cold.stdout.contains(name), "{}", cold.stdout);
        let mut cached_args = args.to_vec();
        cached_args.extend(["--cache", cache]);
        let (cached, _) = run(p, &cached_args);
        assert_eq!(cached, cold, "{name}");
    }
    // sfdx-project.json edited so that its problem moves: the key changes with it.
    let (first, _) = run(p, &["check", "--format", "json", ".", "--cache", cache]);
    std::fs::write(
        p.join("sfdx-project.json"),
        "{\n\n\"packageDirectories\":[{\"path\":\"force-app\"},]}",
    )
    .unwrap();
    let (cold, _) = run(p, &["check", "--format", "json", "."]);
    let (cached, _) = run(p, &["check", "--format", "json", ".", "--cache", cache]);
    assert_eq!(cached, cold);
    assert_ne!(cached, first);
    // A run that fails before its key can be computed fails as a cold run does.
    let (cold, cold_err) = run(p, &["check", "--select", "no-such-rule", "--staged", "."]);
    let (cached, cached_err) = run(
        p,
        &[
            "check",
            "--select",
            "no-such-rule",
            "--staged",
            ".",
            "--cache",
            cache,
        ],
    );
    assert_eq!(cached, cold);
    assert_eq!(cold.code, Some(2));
    assert!(
        cold_err.contains("no-such-rule") && cached_err.contains("no-such-rule"),
        "{cached_err}"
    );
}

#[test]
fn a_run_whose_policy_printed_is_never_stored() {
    let tmp = small_project();
    let p = tmp.path();
    std::fs::create_dir_all(p.join("policies")).unwrap();
    std::fs::write(
        p.join("policies/says-hello.rhai"),
        "//! # says-hello\n//!\n//! **What it finds.** Nothing.\n//!\n//! **Why it matters.** It prints.\n//!\n//! **Example.**\n//! ```xml\n//! <ConnectedApp/>\n//! ```\n//!\n//! **How to fix.** Nothing.\n\nconst RULE = #{ id: \"says-hello\", severity: \"info\", kinds: [\"ConnectedApp\"], summary: \"prints\" };\n\nfn check(app) { print(\"hello from a policy\"); }\n",
    )
    .unwrap();
    let cache = p.join(".cache");
    let args = [
        "check",
        "--format",
        "json",
        "--rules",
        "policies",
        ".",
        "--cache",
        cache.to_str().unwrap(),
    ];
    for _ in 0..2 {
        let (_, stderr) = run(p, &args);
        assert!(stderr.contains("hello from a policy"), "{stderr}");
        assert!(!stderr.contains("cache hit"), "{stderr}");
    }
}
