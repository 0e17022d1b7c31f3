//! The command line: exit codes, options, `rules`/`explain`, the JSON document's shape, stable
//! fingerprints and the human report.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;

/// The rules the option tests are about (see `select`).
const RULES: &[&str] = &[FULL, IP, FLOW];

fn app_path(name: &str) -> String {
    format!("{APPS}/{name}.connectedApp-meta.xml")
}

/// A project with nothing to report.
fn clean_project() -> tempfile::TempDir {
    project(&[(
        &app_path("Clean"),
        &connected_app("Clean", &["Api", "RefreshToken"], Some("ENFORCE")),
    )])
}

/// Only a warning (`Full` scope).
fn warning_project() -> tempfile::TempDir {
    project(&[(
        &app_path("Warned"),
        &connected_app("Warned", &["Full"], Some("ENFORCE")),
    )])
}

/// An error (relaxed IP restrictions) and a warning.
fn error_project() -> tempfile::TempDir {
    project(&[
        (
            &app_path("Relaxed"),
            &connected_app("Relaxed", &["Api"], Some("BYPASS")),
        ),
        (
            &app_path("Warned"),
            &connected_app("Warned", &["Full"], Some("ENFORCE")),
        ),
    ])
}

fn rules_of(report: &Value) -> BTreeSet<String> {
    findings(report)
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn clean_project_exits_0() {
    let dir = clean_project();
    let run = check_json(dir.path(), &[]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert!(findings(&report).is_empty());
    assert_eq!(files_checked(&report), 1);
    // The human report says so too.
    let run = run_in(
        dir.path(),
        &["check", "--color", "never", dir.path().to_str().unwrap()],
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "sfpolicy: no findings in 1 file\n");
}

#[test]
fn an_error_finding_exits_1() {
    let dir = error_project();
    let run = check_json(dir.path(), &select(RULES));
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    assert_eq!(rules_of(&run.json()), set(&[FULL, IP]));
    // Without --select: every rule runs; these two are among them.
    let run = check_json(dir.path(), &[]);
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    assert!(rules_of(&run.json()).is_superset(&set(&[FULL, IP])));
}

#[test]
fn fail_on_never_exits_0_with_errors() {
    let dir = error_project();
    let run = check_json(dir.path(), &["--fail-on", "never"]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    // The report is unchanged.
    assert_eq!(run.stdout, check_json(dir.path(), &[]).stdout);
    assert!(run.json()["summary"]["error"].as_u64().unwrap() >= 1);
}

#[test]
fn warnings_fail_only_at_warning_level_or_below() {
    let dir = warning_project();
    for (fail_on, code) in [
        (None, 0),
        (Some("error"), 0),
        (Some("warning"), 1),
        (Some("info"), 1),
        (Some("never"), 0),
    ] {
        let extra: Vec<&str> = fail_on.map_or(vec![], |f| vec!["--fail-on", f]);
        let run = check_json(dir.path(), &with_select(RULES, &extra));
        assert_eq!(run.code, code, "--fail-on {fail_on:?}: {}", run.stderr);
        assert_eq!(rules_of(&run.json()), set(&[FULL]), "--fail-on {fail_on:?}");
    }
}

#[test]
fn an_unknown_fail_level_is_a_usage_error() {
    let dir = warning_project();
    let run = check_json(dir.path(), &["--fail-on", "fatal"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("fatal"), "{}", run.stderr);
}

/// Exit 1 exactly when an error is reported (default fail level).
fn assert_code_matches(run: &Run) {
    let errors = run.json()["summary"]["error"].as_u64().unwrap();
    assert_eq!(run.code, i32::from(errors > 0), "{}", run.stdout);
}

#[test]
fn select_and_ignore_filter_rules() {
    let dir = copy_fixture("source");
    let all = rules_of(&check_json(dir.path(), &[]).json());
    assert!(all.is_superset(&set(&[FULL, IP, FLOW])), "{all:?}");

    let run = check_json(dir.path(), &["--select", FULL]);
    assert_eq!(run.code, 0, "only a warning is left: {}", run.stderr);
    assert_eq!(rules_of(&run.json()), set(&[FULL]));

    let run = check_json(dir.path(), &["--select", FULL, "--select", IP]);
    assert_eq!(run.code, 1);
    assert_eq!(rules_of(&run.json()), set(&[FULL, IP]));

    let run = check_json(dir.path(), &["--ignore", IP]);
    assert_code_matches(&run);
    let mut expected = all.clone();
    expected.remove(IP);
    assert_eq!(rules_of(&run.json()), expected);

    let run = check_json(dir.path(), &["--ignore", IP, "--ignore", FLOW]);
    assert_code_matches(&run);
    expected.remove(FLOW);
    assert_eq!(rules_of(&run.json()), expected);

    let run = check_json(dir.path(), &with_select(RULES, &["--ignore", IP]));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(rules_of(&run.json()), set(&[FULL, FLOW]));

    // --ignore wins over --select.
    let run = check_json(dir.path(), &["--select", FULL, "--ignore", FULL]);
    assert_eq!(run.code, 0);
    assert!(findings(&run.json()).is_empty());
}

#[test]
fn an_unknown_rule_name_is_a_usage_error() {
    let dir = copy_fixture("source");
    for option in ["--select", "--ignore"] {
        let run = check_json(dir.path(), &[option, "connected-app-ful-scope"]);
        run.assert_no_panic();
        assert_eq!(run.code, 2, "{option}: {}", run.stderr);
        assert!(
            run.stderr.contains("connected-app-ful-scope"),
            "{option}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{option}: {}", run.stdout);
    }
}

#[test]
fn a_path_that_does_not_exist_is_a_usage_error() {
    let dir = copy_fixture("source");
    let missing = dir.path().join("force-app/main/default/nope");
    let run = run_in(
        dir.path(),
        &["check", "--format", "json", missing.to_str().unwrap()],
    );
    run.assert_no_panic();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // Also when it comes after a good one.
    let run = run_in(dir.path(), &["check", "force-app", "nope-either"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope-either"), "{}", run.stderr);
}

#[test]
fn an_unknown_option_is_a_usage_error() {
    let dir = copy_fixture("source");
    let run = run_in(dir.path(), &["check", "--no-such-option"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn output_writes_the_report_to_a_file() {
    let dir = error_project();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("report.json");
    let run = check_json(
        dir.path(),
        &with_select(RULES, &["--output", file.to_str().unwrap()]),
    );
    // The exit code still follows the findings; stdout stays empty.
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(rules_of(&written), set(&[FULL, IP]));

    // Human format to a file: never colored.
    let text = out.path().join("report.txt");
    let run = run_in(
        dir.path(),
        &[
            "check",
            "--output",
            text.to_str().unwrap(),
            "--color",
            "auto",
        ],
    );
    assert_eq!(run.code, 1);
    let text = std::fs::read_to_string(&text).unwrap();
    assert!(text.contains("error[connected-app-ip-relaxed]"), "{text}");
    assert!(!text.contains('\u{1b}'), "escape codes in a file:\n{text}");

    // A folder that does not exist: exit 2.
    let bad = out.path().join("missing/report.json");
    let run = check_json(dir.path(), &["--output", bad.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn rules_lists_the_built_in_rules() {
    // The catalog grows; these three are the first and stay.
    let run = run_in(std::env::temp_dir().as_path(), &["rules"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for (id, severity, kinds) in [
        (FULL, "warning", "ConnectedApp"),
        (IP, "error", "ConnectedApp"),
        (FLOW, "warning", "Flow"),
    ] {
        let line = run
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("{id} not listed:\n{}", run.stdout));
        let columns: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(columns[1], severity, "{line}");
        assert_eq!(columns[2], "security", "{line}");
        assert!(columns[3].contains(kinds), "{line}");
        assert!(columns.len() > 4, "no summary: {line}");
    }
}

#[test]
fn rules_lists_custom_rules_too() {
    let run = run_in(
        std::env::temp_dir().as_path(),
        &["rules", "--rules", inventory_rules().to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with(INVENTORY) && l.contains("info")),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_prints_the_rule_documentation() {
    let run = run_in(std::env::temp_dir().as_path(), &["explain", FULL]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("# connected-app-full-scope\n"),
        "{}",
        run.stdout
    );
    for needle in [
        "**What it finds.** A connected app whose OAuth scopes include `Full`",
        "**How to fix.**",
        "<scopes>Full</scopes>",
        "warning",
    ] {
        assert!(
            run.stdout.contains(needle),
            "{needle} missing:\n{}",
            run.stdout
        );
    }
    // The documentation only, not the code.
    assert!(!run.stdout.contains("fn check"), "{}", run.stdout);
    assert!(!run.stdout.contains("//!"), "{}", run.stdout);
}

#[test]
fn explain_an_unknown_rule_is_a_usage_error() {
    let run = run_in(std::env::temp_dir().as_path(), &["explain", "nope"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nope"), "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // A near miss gets a suggestion.
    let run = run_in(
        std::env::temp_dir().as_path(),
        &["explain", "connected-app-full-scop"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(FULL), "{}", run.stderr);
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn json_document_has_exactly_the_documented_shape() {
    let dir = copy_fixture("source");
    let run = check_json(dir.path(), &select(RULES));
    let report = run.json();
    assert_eq!(keys(&report), set(&["tool", "summary", "findings"]));
    assert_eq!(keys(&report["tool"]), set(&["name", "version"]));
    assert_eq!(report["tool"]["name"], "sfpolicy");
    assert_eq!(report["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        keys(&report["summary"]),
        set(&["files", "findings", "error", "warning", "info"])
    );
    let list = findings(&report);
    assert_eq!(list.len(), 3);
    let count = |severity: &str| list.iter().filter(|f| f["severity"] == severity).count() as u64;
    let summary = &report["summary"];
    assert_eq!(summary["files"].as_u64(), Some(8));
    assert_eq!(summary["findings"].as_u64(), Some(list.len() as u64));
    assert_eq!(summary["error"].as_u64(), Some(count("error")));
    assert_eq!(summary["warning"].as_u64(), Some(count("warning")));
    assert_eq!(summary["info"].as_u64(), Some(count("info")));
    assert_eq!((count("error"), count("warning")), (1, 2));

    for f in list {
        assert_eq!(
            keys(f),
            set(&[
                "rule",
                "severity",
                "message",
                "file",
                "line",
                "column",
                "end_line",
                "end_column",
                "anchor",
                "fingerprint",
                "related",
                "help"
            ]),
            "{f:#}"
        );
        for key in ["rule", "severity", "message", "file", "fingerprint"] {
            assert!(
                f[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key}: {f:#}"
            );
        }
        for key in ["line", "column", "end_line", "end_column"] {
            assert!(f[key].as_u64().is_some_and(|n| n >= 1), "{key}: {f:#}");
        }
        assert!(f["related"].is_array(), "{f:#}");
        assert!(f["help"].is_string() || f["help"].is_null(), "{f:#}");
        assert!(
            ["error", "warning", "info"].contains(&f["severity"].as_str().unwrap()),
            "{f:#}"
        );
    }
    // The documented example's element, fully located: `<ipRelaxation>BYPASS</ipRelaxation>`.
    let ip = of_rule(&report, IP)[0];
    assert_eq!(
        ip["file"],
        "unpackaged/connectedApps/Legacy_Sync.connectedApp-meta.xml"
    );
    assert_eq!(
        [
            &ip["line"],
            &ip["column"],
            &ip["end_line"],
            &ip["end_column"]
        ]
        .map(|v| v.as_u64()),
        [Some(10), Some(9), Some(10), Some(44)]
    );
    assert!(
        ip["help"].as_str().is_some_and(|h| h.contains("IP")),
        "{ip:#}"
    );
    assert_eq!(ip["related"], serde_json::json!([]));
}

#[test]
fn json_report_is_deterministic() {
    let dir = copy_fixture("source");
    let first = check_json(dir.path(), &[]).stdout;
    for jobs in ["1", "2", "4"] {
        let run = check_json(dir.path(), &["--jobs", jobs]);
        assert_eq!(run.stdout, first, "--jobs {jobs}");
    }
}

fn fingerprint_of(dir: &tempfile::TempDir, rule: &str) -> (String, u64) {
    let report = check_json(dir.path(), &select(&[rule])).json();
    let found = of_rule(&report, rule);
    assert_eq!(found.len(), 1, "{report:#}");
    (
        found[0]["fingerprint"].as_str().unwrap().to_string(),
        found[0]["line"].as_u64().unwrap(),
    )
}

#[test]
fn fingerprints_survive_lines_inserted_above_but_not_a_changed_value() {
    let original = connected_app("Relaxed", &["Full"], Some("BYPASS"));
    let dir = project(&[(&app_path("Relaxed"), &original)]);
    let (ip_before, ip_line_before) = fingerprint_of(&dir, IP);
    let (full_before, full_line_before) = fingerprint_of(&dir, FULL);

    // Lines inserted above both findings: a comment, a description and another scope.
    let moved = original
        .replace(
            "    <contactEmail>",
            "    <!-- Owner: integrations team -->\n    <description>Intake</description>\n    <contactEmail>",
        )
        .replace(
            "        <scopes>Full</scopes>",
            "        <scopes>Api</scopes>\n        <scopes>Full</scopes>",
        );
    write(dir.path().join(app_path("Relaxed")), &moved);
    let (ip_moved, ip_line_moved) = fingerprint_of(&dir, IP);
    let (full_moved, full_line_moved) = fingerprint_of(&dir, FULL);
    assert_eq!(ip_line_moved, ip_line_before + 3);
    assert_eq!(full_line_moved, full_line_before + 3);
    assert_eq!(ip_moved, ip_before, "moved, same finding");
    assert_eq!(full_moved, full_before, "moved, same finding");

    // The offending value changes: a different finding.
    let changed = moved.replace("BYPASS", "ENFORCE_ACTIVATED_DEVICES");
    write(dir.path().join(app_path("Relaxed")), &changed);
    let (ip_changed, ip_line_changed) = fingerprint_of(&dir, IP);
    assert_eq!(ip_line_changed, ip_line_moved);
    assert_ne!(ip_changed, ip_before, "a changed value is a new finding");
    let (full_unchanged, _) = fingerprint_of(&dir, FULL);
    assert_eq!(full_unchanged, full_before);
}

#[test]
fn fingerprints_differ_between_files() {
    let app = connected_app("Same", &["Full"], None);
    let dir = project(&[(&app_path("One"), &app), (&app_path("Two"), &app)]);
    let report = check_json(dir.path(), &select(&[FULL])).json();
    let prints: BTreeSet<&str> = of_rule(&report, FULL)
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), 2);
}

#[test]
fn human_report_snapshot() {
    let dir = fixture("source");
    let run = run_in_check(
        &dir,
        &with_select(RULES, &["--color", "never", dir.to_str().unwrap()]),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn human_report_colors_only_when_asked() {
    let dir = fixture("source");
    let path = dir.to_str().unwrap();
    let never = run_in(&dir, &["check", "--color", "never", path]).stdout;
    let always = run_in(&dir, &["check", "--color", "always", path]).stdout;
    // stdout is a pipe here: auto means no color.
    let auto = run_in(&dir, &["check", path]).stdout;
    assert!(!never.contains('\u{1b}'));
    assert!(always.contains('\u{1b}'));
    assert_eq!(auto, never);
}

#[test]
fn quiet_drops_the_summary_line() {
    let dir = fixture("source");
    let path = dir.to_str().unwrap();
    let full = run_in_check(&dir, &with_select(RULES, &["--color", "never", path])).stdout;
    let quiet = run_in_check(
        &dir,
        &with_select(RULES, &["--color", "never", "--quiet", path]),
    );
    assert_eq!(quiet.code, 1);
    assert!(full.contains("sfpolicy: 3 findings"));
    assert!(
        !quiet.stdout.contains("sfpolicy: 3 findings"),
        "{}",
        quiet.stdout
    );
    assert!(full.starts_with(quiet.stdout.as_str()));
    assert!(quiet.stdout.contains("error[connected-app-ip-relaxed]"));
}

#[test]
fn a_broken_policy_is_the_error_even_when_the_project_fails_to_load_too() {
    // Policies compile while the project is read: the policy's error must still be the one a
    // run reports, as when compiling came first.
    let dir = project(&[("integrations.toml", "[[integration]\nname = \n")]);
    let rules = tempfile::tempdir().unwrap();
    write(
        rules.path().join("probe.rhai"),
        "//! Probe.\nconst RULE = #{ id: \"probe\", severity: \"info\", kinds: [\"PermissionSet\"], summary: \"x\" };\nfn check(c) { let x = ; }\n",
    );
    let both = check_json(dir.path(), &["--rules", rules.path().to_str().unwrap()]);
    assert_eq!(both.code, 2, "{}", both.stderr);
    assert!(both.stderr.contains("probe.rhai:3:"), "{}", both.stderr);
    assert!(
        !both.stderr.contains("integrations.toml"),
        "{}",
        both.stderr
    );
    // Without the broken policy, the register's error is the run's.
    let register = check_json(dir.path(), &[]);
    assert_eq!(register.code, 2, "{}", register.stderr);
    assert!(
        register.stderr.contains("integrations.toml"),
        "{}",
        register.stderr
    );
}

/// A baseline whose findings were fixed says how many, in agreeing grammar: one finding
/// "no longer occurs", two "no longer occur".
#[test]
fn stale_baseline_entries_are_counted_in_the_note() {
    let dir = error_project();
    let root = dir.path();
    let baseline = root.join("baseline.json");
    let baseline = baseline.to_str().unwrap();
    run_in(root, &["check", "--write-baseline", baseline, "."]);
    let fix = |name: &str, scopes: &[&str], policy: &str| {
        write(
            root.join(app_path(name)),
            connected_app(name, scopes, Some(policy)),
        )
    };
    fix("Relaxed", &["Api"], "ENFORCE");
    let one = run_in(root, &["check", "--baseline", baseline, "."]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(
        one.stderr
            .contains("note: 1 finding in the baseline no longer occurs (fixed,"),
        "{}",
        one.stderr
    );
    fix("Warned", &["Api"], "ENFORCE");
    let two = run_in(root, &["check", "--baseline", baseline, "."]);
    assert!(
        two.stderr
            .contains("note: 2 findings in the baseline no longer occur (fixed,"),
        "{}",
        two.stderr
    );
}

/// A PATH under which nothing was checked can never have a finding: that is said on stderr, so
/// "no findings" never reads as a clean result. A PATH that was checked gets no such warning.
#[test]
fn a_path_under_which_nothing_was_checked_is_a_warning() {
    let dir = project(&[
        (
            &app_path("Checked"),
            &connected_app("Checked", &["Api"], Some("ENFORCE")),
        ),
        (
            "legacy/connectedApps/Hidden.connectedApp-meta.xml",
            &connected_app("Hidden", &["Full"], Some("ENFORCE")),
        ),
        ("docs/README.md", "notes"),
        (
            "force-app/main/default/profiles/Hidden.profile-meta.xml",
            "<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\"><custom>true</custom></Profile>",
        ),
        (
            "policies/tests/some-rule/fail/force-app/main/default/connectedApps/Case.connectedApp-meta.xml",
            &connected_app("Case", &["Full"], Some("ENFORCE")),
        ),
        // The folder itself, and every profile file wherever it is.
        (".forceignore", "legacy/\n**/*.profile-meta.xml\n"),
    ]);
    let root = dir.path();
    let nothing = "nothing under this path was checked, so no finding can be reported for it";
    let elsewhere = tempfile::tempdir().unwrap();
    let outside = elsewhere.path().to_str().unwrap();
    let out = run_in(
        root,
        &[
            "check",
            "--rules",
            "policies",
            "./legacy/",
            "docs",
            "docs/README.md",
            "force-app/main/default/profiles",
            "policies/tests",
            outside,
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for expected in [
        format!("warning: force-app/main/default/profiles: {nothing}: `.forceignore` excludes it"),
        format!(
            "warning: policies/tests: {nothing}: it holds policy test cases, which `sfpolicy test` runs and `check` never reads"
        ),
        format!("warning: {outside}: {nothing}: it is outside the project being checked"),
        format!(
            "warning: legacy: {nothing}: `.forceignore` excludes it (`--no-forceignore` checks it)"
        ),
        format!("warning: docs: {nothing}: it holds no metadata file sfpolicy reads"),
        format!("warning: docs/README.md: {nothing}: it is not a metadata file sfpolicy reads"),
    ] {
        assert!(out.stderr.contains(&expected), "{expected}\n{}", out.stderr);
    }
    // With the exclusion lifted, the path is checked: its finding, and no warning.
    let lifted = run_in(
        root,
        &["check", "--no-forceignore", "--format", "json", "legacy"],
    );
    assert_eq!(of_rule(&lifted.json(), FULL).len(), 1, "{}", lifted.stdout);
    assert!(!lifted.stderr.contains(nothing), "{}", lifted.stderr);
    // Paths that were checked, and the project file: no warning.
    let checked = run_in(
        root,
        &[
            "check",
            &app_path("Checked"),
            "force-app",
            "sfdx-project.json",
        ],
    );
    assert_eq!(checked.code, 0, "{}", checked.stderr);
    assert!(!checked.stderr.contains("warning"), "{}", checked.stderr);
}

/// A project with no metadata at all says so rather than "no findings in 0 files" alone.
#[test]
fn a_project_with_nothing_to_check_is_a_warning() {
    let dir = project(&[("docs/README.md", "notes")]);
    let out = run_in(dir.path(), &["check", "."]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "no metadata file sfpolicy reads was found in the project, so nothing was checked"
        ),
        "{}",
        out.stderr
    );
    // One file is enough to be a project.
    let clean = clean_project();
    let out = run_in(clean.path(), &["check", "."]);
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
}

/// Every column of `rules` lines up, however long a kind list or a custom rule's id: each
/// summary starts at the same column as the SUMMARY header.
#[test]
fn rules_columns_line_up() {
    let run = run_in(
        std::env::temp_dir().as_path(),
        &["rules", "--rules", inventory_rules().to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut lines = run.stdout.lines();
    let header = lines.next().unwrap();
    let at = header.find("SUMMARY").unwrap();
    let mut rows = 0;
    for line in lines {
        let prefix: String = line.chars().take(at).collect();
        assert!(
            prefix.ends_with(' ') && !line.chars().nth(at).unwrap_or(' ').is_whitespace(),
            "the summary is not at column {at}:\n{header}\n{line}"
        );
        rows += 1;
    }
    assert!(rows > 20, "{}", run.stdout);
}
