//! Custom policies run sandboxed: endless loops, runaway memory and recursion, file access and
//! `eval` end the run with exit 2 (after the report of every other policy's findings) and an error that names the policy (file:line:col) and the
//! metadata file being checked; mistakes in a policy are reported the same way.

mod common;

use common::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const APP_FILE: &str = "force-app/main/default/connectedApps/Intake.connectedApp-meta.xml";

/// The header every test policy starts with: the `check` body starts on line 9.
fn policy(id: &str, body: &str) -> String {
    format!(
        r#"//! Test policy.

const RULE = #{{
    id: "{id}",
    severity: "error",
    kinds: ["ConnectedApp"],
    summary: "test policy",
}};
{body}"#
    )
}

struct Sandbox {
    project: tempfile::TempDir,
    rules: tempfile::TempDir,
    policy: PathBuf,
}

impl Sandbox {
    fn new(id: &str, body: &str) -> Sandbox {
        let project = project(&[(
            APP_FILE,
            &connected_app("Intake", &["Api", "RefreshToken"], Some("ENFORCE")),
        )]);
        let rules = tempfile::tempdir().unwrap();
        let policy_path = rules.path().join(format!("{id}.rhai"));
        write(&policy_path, policy(id, body));
        Sandbox {
            project,
            rules,
            policy: policy_path,
        }
    }

    fn run(&self) -> Run {
        check_json(
            self.project.path(),
            &["--rules", self.rules.path().to_str().unwrap()],
        )
    }

    fn policy_path(&self) -> String {
        self.policy.display().to_string()
    }

    /// Exit 2, no report, nothing crashed; returns stderr.
    fn fails(&self) -> String {
        let run = self.run();
        run.assert_no_panic();
        assert_eq!(
            run.code, 2,
            "stdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        // A policy that cannot load stops the run before any report; one that fails while
        // checking leaves a report of everything else, with the error in it.
        if !run.stdout.trim().is_empty() {
            let report = run.json();
            let errors = report["errors"]
                .as_array()
                .expect("the report lists the errors");
            assert_eq!(errors.len(), 1, "{}", run.stdout);
            assert_eq!(errors[0]["location"]["file"], self.policy_path());
        }
        assert!(
            run.stderr.contains(&self.policy_path()),
            "stderr does not name {}:\n{}",
            self.policy_path(),
            run.stderr
        );
        run.stderr
    }

    /// Exit 2 with `path:line:column` of the policy in stderr.
    fn fails_at(&self, line: usize, column: usize) -> String {
        let stderr = self.fails();
        let location = format!("{}:{line}:{column}", self.policy_path());
        assert!(
            stderr.contains(&location),
            "stderr does not locate the error at {location}:\n{stderr}"
        );
        stderr
    }
}

#[test]
fn a_well_behaved_custom_policy_reports_findings() {
    // The harness itself: a custom policy runs and its finding decides the exit code.
    let sandbox = Sandbox::new(
        "contact-email-required",
        r#"
fn check(app) {
    let email = app.contactEmail;
    if email != () && email.text.ends_with("@example.com") {
        report(email, `connected app ${app.name} has a placeholder contact`);
    }
}
"#,
    );
    let run = check_json(
        sandbox.project.path(),
        &[
            "--rules",
            sandbox.rules.path().to_str().unwrap(),
            "--select",
            "contact-email-required",
        ],
    );
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    assert_eq!(
        briefs(&run.json()),
        vec![b(
            APP_FILE,
            3,
            5,
            "contact-email-required",
            "connected app Intake has a placeholder contact"
        )]
    );
}

/// A policy that never ends must be stopped quickly: it is a budget, not a hang.
fn loop_time_limit() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(20)
    } else {
        Duration::from_secs(3)
    }
}

const ENDLESS_LOOP: &str = r#"
fn check(app) {
    loop {
    }
}
"#;

#[test]
fn endless_loop_is_stopped_and_names_the_policy_and_the_file() {
    let sandbox = Sandbox::new("endless-loop", ENDLESS_LOOP);
    let started = Instant::now();
    let stderr = sandbox.fails();
    let elapsed = started.elapsed();
    assert!(
        elapsed < loop_time_limit(),
        "took {elapsed:?} to stop an endless loop"
    );
    // Whichever budget trips first (operations, or the wall clock on a slow or loaded machine):
    // the point is that it stops, and says why.
    assert!(
        stderr.contains("exceeded its budget of 10000000 operations")
            || stderr.contains("ran longer than 1.0 s in one call"),
        "{stderr}"
    );
    assert!(
        stderr.contains(APP_FILE),
        "stderr does not name the metadata file:\n{stderr}"
    );
}

#[test]
fn endless_loop_with_a_body_is_stopped_too() {
    let sandbox = Sandbox::new(
        "busy-loop",
        r#"
fn check(app) {
    let n = 0;
    loop {
        n += 1;
    }
}
"#,
    );
    let started = Instant::now();
    let stderr = sandbox.fails();
    let elapsed = started.elapsed();
    // Debug builds interpret slowly: about 6 s here for the 20 million operation budget.
    assert!(elapsed < loop_time_limit(), "took {elapsed:?}");
    assert!(stderr.contains(APP_FILE), "{stderr}");
}

#[test]
fn endless_loop_error_is_located_at_the_loop() {
    let sandbox = Sandbox::new("endless-loop", ENDLESS_LOOP);
    let stderr = sandbox.fails();
    // `loop {` is on line 11, the empty body on 12: either is a fine location.
    let path = sandbox.policy_path();
    assert!(
        (11..=13).any(|line| stderr.contains(&format!("{path}:{line}:"))),
        "no :line:col of the loop in:\n{stderr}"
    );
}

#[test]
fn import_of_a_file_is_refused_with_a_location() {
    let sandbox = Sandbox::new(
        "reads-passwd",
        r#"import "/etc/passwd" as x;

fn check(app) {
    report(app, x::root);
}
"#,
    );
    // `import "/etc/passwd"`: the path string starts at column 8 of line 9.
    let stderr = sandbox.fails_at(9, 8);
    assert!(stderr.contains("/etc/passwd"), "{stderr}");
    assert!(
        !stderr.contains("root:x:0"),
        "file contents leaked:\n{stderr}"
    );
}

#[test]
fn import_inside_check_is_refused_too() {
    let sandbox = Sandbox::new(
        "reads-passwd-late",
        r#"
fn check(app) {
    import "/etc/passwd" as x;
}
"#,
    );
    let stderr = sandbox.fails();
    assert!(stderr.contains("/etc/passwd"), "{stderr}");
    assert!(!stderr.contains("root:x:0"), "{stderr}");
}

#[test]
fn eval_is_disabled() {
    let sandbox = Sandbox::new(
        "uses-eval",
        r#"
fn check(app) {
    eval("1");
}
"#,
    );
    // `    eval("1");` on line 11.
    let stderr = sandbox.fails_at(11, 5);
    assert!(stderr.contains("eval"), "{stderr}");
}

#[test]
fn a_string_that_grows_without_bound_is_stopped() {
    let sandbox = Sandbox::new(
        "grows-forever",
        r#"
fn check(app) {
    let s = "x";
    loop { s += s; }
}
"#,
    );
    let started = Instant::now();
    let stderr = sandbox.fails();
    assert!(started.elapsed() < loop_time_limit());
    assert!(
        stderr.to_lowercase().contains("string"),
        "the error should say what grew:\n{stderr}"
    );
    assert!(stderr.contains(APP_FILE), "{stderr}");
}

#[test]
fn an_array_that_grows_without_bound_is_stopped() {
    let sandbox = Sandbox::new(
        "array-grows-forever",
        r#"
fn check(app) {
    let a = [1];
    loop { a += a; }
}
"#,
    );
    let started = Instant::now();
    let stderr = sandbox.fails();
    assert!(started.elapsed() < loop_time_limit());
    assert!(stderr.contains(APP_FILE), "{stderr}");
}

#[test]
fn unbounded_recursion_is_stopped() {
    let sandbox = Sandbox::new(
        "recurses-forever",
        r#"
fn f(x) { f(x) }

fn check(app) {
    f(1);
}
"#,
    );
    let stderr = sandbox.fails();
    assert!(
        stderr.to_lowercase().contains("stack overflow") || stderr.to_lowercase().contains("call"),
        "{stderr}"
    );
    assert!(stderr.contains(APP_FILE), "{stderr}");
}

#[test]
fn a_misspelled_property_suggests_the_right_one() {
    let sandbox = Sandbox::new(
        "contact-typo",
        r#"
fn check(app) {
    if app.contactEmial == () {
        report(app, "no contact");
    }
}
"#,
    );
    // `    if app.contactEmial`: the property access is at line 11.
    let stderr = sandbox.fails();
    assert!(
        stderr.contains(&format!("{}:11:", sandbox.policy_path())),
        "{stderr}"
    );
    assert!(stderr.contains("contactEmial"), "{stderr}");
    assert!(
        stderr.contains("did you mean `contactEmail`"),
        "no suggestion in:\n{stderr}"
    );
    assert!(stderr.contains(APP_FILE), "{stderr}");
}

/// A flow, checked by a policy with a typo in a flow element name: every kind's schema is closed
/// (Salesforce's Metadata API WSDL), so the typo is caught where it is, with a suggestion.
#[test]
fn a_misspelled_flow_element_suggests_the_right_one() {
    let project = project(&[(
        "force-app/main/default/flows/Sync.flow-meta.xml",
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>Sync</label>
    <processType>AutoLaunchedFlow</processType>
    <recordUpdates>
        <name>Update_Contact</name>
        <object>Contact</object>
    </recordUpdates>
    <status>Active</status>
</Flow>
"#,
    )]);
    let rules = tempfile::tempdir().unwrap();
    let policy = rules.path().join("flow-typo.rhai");
    write(
        &policy,
        r#"//! Test policy.
const RULE = #{ id: "flow-typo", severity: "error", kinds: ["Flow"], summary: "x" };
fn check(flow) {
    for update in flow.recordUpdates {
        if update.objct.text == "Contact" { report(update, "updates contacts"); }
    }
}
"#,
    );
    let run = check_json(project.path(), &["--rules", rules.path().to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let at = format!("{}:5:", policy.display());
    assert!(run.stderr.contains(&at), "not at {at}:\n{}", run.stderr);
    assert!(
        run.stderr
            .contains("<recordUpdates> has no property `objct`; did you mean `object`?"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("Sync.flow-meta.xml"), "{}", run.stderr);
}

#[test]
fn an_unknown_method_names_the_closest_and_lists_the_rest() {
    let sandbox = Sandbox::new(
        "method-typo",
        r#"
fn check(app) {
    let label = app.childs("label");
}
"#,
    );
    let stderr = sandbox.fails_at(11, 21);
    assert!(
        stderr.contains("Component has no method `childs`; did you mean `child`? (its methods: "),
        "{stderr}"
    );
    assert!(stderr.contains(APP_FILE), "{stderr}");
}

#[test]
fn a_syntax_error_is_located() {
    let sandbox = Sandbox::new(
        "broken-syntax",
        r#"
fn check(app) {
    let scopes = ;
}
"#,
    );
    // `    let scopes = ;`: the unexpected `;` is at line 11, column 18.
    let stderr = sandbox.fails_at(11, 18);
    assert!(stderr.contains(';'), "{stderr}");
}

#[test]
fn a_custom_policy_cannot_reuse_a_built_in_id() {
    let sandbox = Sandbox::new(
        "connected-app-full-scope",
        r#"
fn check(app) {
}
"#,
    );
    let stderr = sandbox.fails();
    assert!(stderr.contains("connected-app-full-scope"), "{stderr}");
    assert!(stderr.contains("already defined"), "{stderr}");
    assert!(
        stderr.contains("rules/connected-app-full-scope.rhai"),
        "the error should name the built-in policy:\n{stderr}"
    );
}

#[test]
fn policy_errors_stop_rules_and_explain_too() {
    let sandbox = Sandbox::new(
        "broken-syntax",
        r#"
fn check(app) {
    let scopes = ;
}
"#,
    );
    let rules = sandbox.rules.path().to_str().unwrap();
    for args in [
        vec!["rules", "--rules", rules],
        vec!["explain", "connected-app-full-scope", "--rules", rules],
    ] {
        let run = run_in(sandbox.project.path(), &args);
        run.assert_no_panic();
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("{}:11:18", sandbox.policy_path())),
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_missing_rules_folder_is_an_error() {
    let project = project(&[(APP_FILE, &connected_app("Intake", &["Api"], None))]);
    let missing = project.path().join("no-such-rules");
    let run = check_json(project.path(), &["--rules", missing.to_str().unwrap()]);
    run.assert_no_panic();
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert!(run.stderr.contains("no-such-rules"), "{}", run.stderr);
}
