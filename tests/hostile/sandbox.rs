//! A sandbox that always stops. Each runaway script below once ran for minutes, grew past a
//! gigabyte or aborted the process. Now each ends the run with exit 2 within the time limit, an
//! error at the script's line (and the metadata file being checked), nothing raw on stderr, and
//! the findings of every other policy still in the report.

use super::{run, time_limit, Raw};
use crate::common::{write, SFDX_PROJECT};
use std::time::Duration;

const APP: &str = "force-app/main/default/connectedApps/Intake.connectedApp-meta.xml";

/// A connected app with the `Full` scope: the built-in `connected-app-full-scope` reports it,
/// which shows that the other policies' findings survive a policy that fails.
const APP_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>team@acme.test</contactEmail>
    <label>Intake</label>
    <oauthConfig>
        <callbackUrl>https://acme.test/cb</callbackUrl>
        <isAdminApproved>true</isAdminApproved>
        <scopes>Full</scopes>
    </oauthConfig>
</ConnectedApp>
"#;

/// Lines 1–7; the body starts on line 8.
fn policy(body: &str) -> String {
    format!(
        "//! Runaway test policy.\n\
         const RULE = #{{\n\
         \x20   id: \"runaway\",\n\
         \x20   severity: \"error\",\n\
         \x20   kinds: [\"ConnectedApp\"],\n\
         \x20   summary: \"never stops on its own\",\n\
         }};\n\
         {body}\n"
    )
}

const POLICY: &str = "policies/runaway.rhai";

/// Runs the project with `policies/runaway.rhai` = `policy(body)` (and `policies/lib/*` as
/// given); expects exit 2 within the limit and an error located at `at` (`file:line:`).
/// When the script ran away.
#[derive(PartialEq)]
enum When {
    /// In `check(component)`: the error names the file, the report of the rest stays.
    Checking,
    /// In `check_org(org)`: not about one file; the report of the rest stays.
    CheckingOrg,
    /// While loading (top-level code, a helper module): no report at all.
    Loading,
}

fn stops(body: &str, libs: &[(&str, &str)], at: &str, when: When) -> Raw {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root.join("sfdx-project.json"), SFDX_PROJECT);
    write(root.join(APP), APP_XML);
    write(root.join("policies/runaway.rhai"), policy(body));
    for (name, text) in libs {
        write(root.join("policies/lib").join(name), text);
    }
    let out = run(
        root,
        &["check", "--format", "json", "--rules", "policies", "."],
    );
    // The policy spends up to its own one-second budget before it is stopped (and the call in
    // progress, a deep copy, finishes): that second comes on top of a small project's limit,
    // or a loaded machine fails a run that stopped as it should.
    out.expect_within(2, time_limit() + Duration::from_secs(1), body);
    let stderr = out.stderr();
    assert!(
        stderr.contains(at),
        "{body}: not located at {at}:\n{stderr}"
    );
    if when == When::Checking {
        assert!(
            stderr.contains(&format!("(while checking {APP})")),
            "{body}: the metadata file is not named:\n{stderr}"
        );
    }
    if when != When::Loading {
        // A failure while checking leaves the rest of the report.
        let report = out.json();
        let rules: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rules, ["connected-app-full-scope"], "{body}");
        assert_eq!(report["errors"].as_array().unwrap().len(), 1, "{body}");
    } else {
        // A policy that cannot even load stops the run: there is no report to trust.
        assert!(out.stdout.is_empty(), "{body}: {}", out.stdout());
    }
    out
}

fn in_check(statements: &str) -> String {
    format!("fn check(app) {{\n    {statements}\n}}")
}

#[test]
fn an_array_that_grows_one_element_at_a_time_is_stopped() {
    // Each step gets slower, so the operation count alone never arrived (180 s, 30 MB).
    stops(
        &in_check("let a = []; loop { a.push(a.len()); }"),
        &[],
        &format!("{POLICY}:9:"),
        When::Checking,
    );
}

#[test]
fn padding_a_string_to_a_billion_characters_is_refused() {
    stops(
        &in_check(r#"let s = "x"; s.pad(1000000000, "y");"#),
        &[],
        &format!("{POLICY}:9:"),
        When::Checking,
    );
}

#[test]
fn padding_an_array_to_two_billion_elements_is_refused() {
    // Once aborted the process (SIGABRT, exit 134).
    stops(
        &in_check("let a = []; a.pad(2000000000, 0);"),
        &[],
        &format!("{POLICY}:9:"),
        When::Checking,
    );
}

#[test]
fn a_hundred_gigabyte_blob_is_refused() {
    // Once aborted the process too.
    stops(
        &in_check("let b = blob(100000000000);"),
        &[],
        &format!("{POLICY}:9:"),
        When::Checking,
    );
}

#[test]
fn a_string_that_doubles_is_stopped() {
    stops(
        &in_check(r#"let s = "x"; loop { s += s; }"#),
        &[],
        &format!("{POLICY}:9:"),
        When::Checking,
    );
}

#[test]
fn an_array_that_nests_itself_is_stopped() {
    stops(
        &in_check("let a = [1]; loop { a = [a, a]; }"),
        &[],
        &format!("{POLICY}:9:"),
        When::Checking,
    );
}

#[test]
fn a_map_that_grows_without_bound_is_stopped() {
    stops(
        &in_check(r#"let m = #{}; let i = 0; loop { m["k" + i] = i; i += 1; }"#),
        &[],
        &format!("{POLICY}:9:"),
        When::Checking,
    );
}

#[test]
fn deep_recursion_is_stopped() {
    stops(
        "fn f(n) { f(n + 1) }\nfn check(app) {\n    f(0);\n}",
        &[],
        &format!("{POLICY}:8:"),
        When::Checking,
    );
}

#[test]
fn check_org_is_sandboxed_too() {
    stops(
        "fn check_org(org) {\n    let s = \"x\"; loop { s += s; }\n}",
        &[],
        &format!("{POLICY}:9:"),
        When::CheckingOrg,
    );
}

#[test]
fn top_level_code_has_the_same_limits() {
    // Once reached 9.7 GB in 20 s: code outside `check` had no memory limit at all.
    stops(
        "let s = \"x\";\nloop { s += s; }\nfn check(app) {}",
        &[],
        &format!("{POLICY}:9:"),
        When::Loading,
    );
}

#[test]
fn an_endless_loop_at_the_top_level_is_stopped() {
    stops(
        "let i = 0;\nloop { i += 1; }\nfn check(app) {}",
        &[],
        &format!("{POLICY}:9:"),
        When::Loading,
    );
}

#[test]
fn a_helper_module_that_runs_away_when_loaded_is_stopped() {
    let out = stops(
        "fn check(app) {\n    grow::nothing();\n}",
        &[(
            "grow.rhai",
            "let s = \"x\";\nloop { s += s; }\nfn nothing() {}\n",
        )],
        // Located in the helper module, not the policy.
        "policies/lib/grow.rhai:2:",
        When::Loading,
    );
    assert!(!out.stderr().contains(POLICY), "{}", out.stderr());
}

#[test]
fn a_helper_function_that_runs_away_is_stopped_where_it_loops() {
    let out = stops(
        "fn check(app) {\n    grow::forever(app.name);\n}",
        &[(
            "grow.rhai",
            "fn forever(x) {\n    let a = [];\n    loop { a.push(x); }\n}\n",
        )],
        "policies/lib/grow.rhai:3:",
        When::Checking,
    );
    assert!(out.stderr().contains(POLICY), "{}", out.stderr());
}
