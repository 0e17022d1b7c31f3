//! Baselines hide exactly what they recorded. For every rule — Rhai and Rust — a project with one
//! violation is baselined; a *second*, distinct violation of the same rule is then added (another
//! validation rule, another field, another register key...), and it must be reported while the
//! first stays hidden. This is the test that "stable" fingerprints are also unique.

mod common;

use common::metadata::*;
use sfpolicy::pipeline::{run, Options, Outcome};
use std::path::Path;

/// How a case adds its second violation.
enum Edit {
    Write(File),
    Replace(&'static str, String, String),
    Append(&'static str, String),
}

struct Case {
    rule: &'static str,
    base: Vec<File>,
    second: Vec<Edit>,
}

fn check(root: &Path, rule: &str, baseline: Option<&Path>, write: Option<&Path>) -> Outcome {
    let mut select = vec![rule.to_string()];
    if rule.starts_with("waiver-") {
        // A waiver is judged only when its own rule ran.
        select.extend([
            "connected-app-full-scope".into(),
            "connected-app-ip-relaxed".into(),
        ]);
    }
    run(&Options {
        paths: vec![root.to_path_buf()],
        select,
        baseline: baseline.map(Path::to_path_buf),
        write_baseline: write.map(Path::to_path_buf),
        no_forceignore: true,
        ..Options::default()
    })
    .unwrap_or_else(|e| panic!("{rule}: {e}"))
}

fn apply(root: &Path, edit: &Edit) {
    match edit {
        Edit::Write(file) => write_all(root, std::slice::from_ref(file)),
        Edit::Replace(path, from, to) => {
            let p = root.join(path);
            let text = std::fs::read_to_string(&p).unwrap();
            assert!(text.contains(from.as_str()), "{path} holds {from}");
            std::fs::write(p, text.replacen(from.as_str(), to, 1)).unwrap();
        }
        Edit::Append(path, text) => {
            let p = root.join(path);
            let mut old = std::fs::read_to_string(&p).unwrap_or_default();
            old.push_str(text);
            std::fs::write(p, old).unwrap();
        }
    }
}

fn ps_path(name: &str) -> &'static str {
    Box::leak(format!("{BASE}/permissionsets/{name}.permissionset-meta.xml").into_boxed_str())
}

fn app_path(name: &str) -> &'static str {
    Box::leak(format!("{BASE}/connectedApps/{name}.connectedApp-meta.xml").into_boxed_str())
}

const BAD_OAUTH: &str =
    "        <isAdminApproved>false</isAdminApproved>\n        <scopes>Full</scopes>";
const BAD_POLICY: &str =
    "        <ipRelaxation>BYPASS</ipRelaxation>\n        <refreshTokenPolicy>infinite</refreshTokenPolicy>";

fn bad_app(name: &str) -> File {
    connected_app(name, false, BAD_OAUTH, BAD_POLICY)
}

fn integration_ps(name: &str, body: &str) -> File {
    permission_set(name, &format!("{name} access for the warehouse sync"), body)
}

/// One of Salesforce's own integration profiles, as Salesforce provisions it.
fn platform_profile(name: &str, licence: &str) -> File {
    let (path, text) = profile(name, &user_permission("ApiUserOnly"));
    (
        path,
        text.replace("<custom>true</custom>", "<custom>false</custom>")
            .replace(
                "<userLicense>Salesforce</userLicense>",
                &format!("<userLicense>{licence}</userLicense>"),
            ),
    )
}

fn register(entries: &[String]) -> File {
    (
        "integrations.toml".into(),
        format!("edition = \"enterprise\"\n{}", entries.concat()),
    )
}

fn cases() -> Vec<Case> {
    let username = "$User.Username = &quot;int@acme.test&quot;";
    vec![
        Case {
            rule: "bypass-by-identity",
            base: vec![flow(
                "Routing",
                None,
                &username_decision("Is_Integration", "int@acme.test"),
            )],
            // The second decision tests the same username: a finding of its own.
            second: vec![Edit::Replace(
                Box::leak(format!("{BASE}/flows/Routing.flow-meta.xml").into_boxed_str()),
                "    <label>Routing</label>".into(),
                format!(
                    "{}\n    <label>Routing</label>",
                    username_decision("Is_Integration_Again", "int@acme.test")
                ),
            )],
        },
        Case {
            rule: "bypass-by-identity",
            base: vec![validation_rule("Account", "Locked", username)],
            second: vec![Edit::Write(validation_rule(
                "Account",
                "Also_Locked",
                username,
            ))],
        },
        Case {
            rule: "bypass-permission-undefined",
            base: vec![validation_rule(
                "Account",
                "A",
                "NOT($Permission.Missing_One)",
            )],
            second: vec![Edit::Write(validation_rule(
                "Account",
                "B",
                "NOT($Permission.Missing_Two)",
            ))],
        },
        Case {
            rule: "connected-app-full-scope",
            base: vec![bad_app("Vendor")],
            second: vec![Edit::Write(bad_app("Other"))],
        },
        Case {
            rule: "connected-app-http-callback",
            base: vec![{
                let (path, text) = connected_app("Vendor", true, "", "");
                (
                    path,
                    text.replace("https://Vendor.example.com/cb", "http://one.example.com/cb"),
                )
            }],
            // Another URL in the same list.
            second: vec![Edit::Replace(
                app_path("Vendor"),
                "http://one.example.com/cb".into(),
                "http://one.example.com/cb,http://two.example.com/cb".into(),
            )],
        },
        Case {
            rule: "connected-app-ip-relaxed",
            base: vec![bad_app("Vendor")],
            second: vec![Edit::Write(bad_app("Other"))],
        },
        Case {
            rule: "connected-app-no-contact",
            base: vec![bad_app("Vendor")],
            second: vec![Edit::Write(bad_app("Other"))],
        },
        Case {
            rule: "connected-app-refresh-infinite",
            base: vec![bad_app("Vendor")],
            second: vec![Edit::Write(bad_app("Other"))],
        },
        Case {
            rule: "connected-app-self-authorize",
            base: vec![bad_app("Vendor")],
            second: vec![Edit::Write(bad_app("Other"))],
        },
        Case {
            rule: "flow-system-mode-without-sharing",
            base: vec![flow("One", Some("SystemModeWithoutSharing"), "")],
            second: vec![Edit::Write(flow(
                "Two",
                Some("SystemModeWithoutSharing"),
                "",
            ))],
        },
        Case {
            rule: "integration-admin-permission",
            base: vec![integration_ps(
                "Sync_Integration",
                &user_permission("ModifyAllData"),
            )],
            // A second admin permission on the same identity.
            second: vec![Edit::Replace(
                ps_path("Sync_Integration"),
                "</PermissionSet>".into(),
                format!("{}\n</PermissionSet>", user_permission("ViewAllData")),
            )],
        },
        Case {
            rule: "integration-api-only",
            base: vec![profile("Sync Integration", "")],
            second: vec![Edit::Write(profile("Other Integration", ""))],
        },
        Case {
            rule: "integration-fls-broad",
            base: vec![integration_ps(
                "Sync_Integration",
                &[
                    object_permission("Account", false),
                    editable_fields("Account", 12),
                ]
                .join("\n"),
            )],
            // Another object over the limit.
            second: vec![Edit::Replace(
                ps_path("Sync_Integration"),
                "</PermissionSet>".into(),
                format!(
                    "{}\n{}\n</PermissionSet>",
                    object_permission("Contact", false),
                    editable_fields("Contact", 12)
                ),
            )],
        },
        Case {
            rule: "integration-license-allotment",
            base: vec![register(
                &(0..6)
                    .map(|i| {
                        register_entry(
                            &format!("S{i}"),
                            &format!("int_s{i}@acme.test"),
                            "X",
                            &["Account"],
                        )
                    })
                    .collect::<Vec<_>>(),
            )],
            // A shared user past its review date: another key, another finding.
            second: vec![Edit::Append(
                "integrations.toml",
                register_entry("Shared", "int_shared@acme.test", "X", &["Account"])
                    + "license = \"shared\"\nreview-by = \"2020-01-01\"\n",
            )],
        },
        Case {
            rule: "integration-object-broad",
            base: vec![integration_ps(
                "Sync_Integration",
                &object_permission("Account", true),
            )],
            second: vec![Edit::Replace(
                ps_path("Sync_Integration"),
                "</PermissionSet>".into(),
                format!("{}\n</PermissionSet>", object_permission("Contact", true)),
            )],
        },
        Case {
            rule: "integration-register-drift",
            base: vec![
                integration_ps(
                    "Warehouse_Access",
                    &[
                        object_permission("Account", false),
                        object_permission("Lead", false),
                    ]
                    .join("\n"),
                ),
                register(&[register_entry(
                    "Warehouse",
                    "int_wh@acme.test",
                    "Warehouse_Access",
                    &["Account"],
                )]),
            ],
            // One more undocumented object: a drift of its own.
            second: vec![Edit::Replace(
                ps_path("Warehouse_Access"),
                "</PermissionSet>".into(),
                format!("{}\n</PermissionSet>", object_permission("Contact", false)),
            )],
        },
        Case {
            rule: "integration-register-incomplete",
            base: vec![register(&[
                "\n[[integration]]\nsystem = \"One\"\n".to_string()
            ])],
            second: vec![Edit::Append(
                "integrations.toml",
                "\n[[integration]]\nsystem = \"Two\"\n".into(),
            )],
        },
        Case {
            rule: "integration-unregistered",
            base: vec![
                app_running_as("Vendor", "int_vendor@acme.test"),
                register(&[register_entry(
                    "Other",
                    "int_other@acme.test",
                    "X",
                    &["Account"],
                )]),
            ],
            second: vec![Edit::Write(app_running_as(
                "Second",
                "int_second@acme.test",
            ))],
        },
        Case {
            rule: "integration-user-shared",
            base: vec![
                app_running_as("Vendor", "int_shared@acme.test"),
                app_running_as("Other", "int_shared@acme.test"),
            ],
            // A third system on the shared user.
            second: vec![Edit::Write(app_running_as("Third", "int_shared@acme.test"))],
        },
        Case {
            rule: "integration-user-vague-name",
            base: vec![app_running_as("Vendor", "apiuser@acme.test")],
            second: vec![Edit::Write(app_running_as(
                "Other",
                "integration@acme.test",
            ))],
        },
        Case {
            rule: "platform-identity",
            base: vec![platform_profile(
                "Analytics Cloud Integration User",
                "Analytics Cloud Integration User",
            )],
            second: vec![Edit::Write(platform_profile(
                "B2BMA Integration User",
                "B2BMA Integration User",
            ))],
        },
        Case {
            rule: "permission-set-vague-name",
            base: vec![permission_set("A", "API access full", "")],
            second: vec![Edit::Write(permission_set("B", "Super user", ""))],
        },
        Case {
            rule: "invalid-metadata",
            base: vec![(
                format!("{BASE}/flows/A.flow-meta.xml"),
                "<Flow><x></Flow>".into(),
            )],
            second: vec![Edit::Write((
                format!("{BASE}/flows/B.flow-meta.xml"),
                "<Flow><y></Flow>".into(),
            ))],
        },
        Case {
            rule: "waiver-unused",
            base: vec![
                bad_app("Vendor"),
                (
                    "sfpolicy.toml".into(),
                    waiver("connected-app-full-scope", "nowhere/one.xml", "2099-01-01"),
                ),
            ],
            second: vec![Edit::Append(
                "sfpolicy.toml",
                waiver("connected-app-full-scope", "nowhere/two.xml", "2099-01-01"),
            )],
        },
        Case {
            rule: "waiver-expired",
            base: vec![
                bad_app("Vendor"),
                (
                    "sfpolicy.toml".into(),
                    waiver("connected-app-full-scope", "force-app/**", "2020-01-01"),
                ),
            ],
            second: vec![Edit::Append(
                "sfpolicy.toml",
                waiver("connected-app-ip-relaxed", "force-app/**", "2020-01-01"),
            )],
        },
    ]
}

fn waiver(rule: &str, path: &str, expires: &str) -> String {
    format!("\n[[waivers]]\nrule = \"{rule}\"\npath = \"{path}\"\nreason = \"SEC-1\"\nexpires = \"{expires}\"\n")
}

fn fingerprints(outcome: &Outcome, rule: &str) -> Vec<String> {
    let mut v: Vec<String> = outcome
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.fingerprint.clone())
        .collect();
    v.sort();
    v
}

#[test]
fn a_second_violation_is_reported_and_the_first_stays_hidden_for_every_rule() {
    let registry = {
        let engine = sfpolicy::policy::engine();
        sfpolicy::pipeline::registry(
            &sfpolicy::pipeline::load_policies(&engine, &[], false).unwrap(),
        )
    };
    let mut covered: Vec<&str> = Vec::new();
    for case in cases() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write_all(root, &[sfdx_project()]);
        write_all(root, &case.base);
        let baseline = root.join("baseline.json");
        let first = check(root, case.rule, None, Some(&baseline));
        let before = fingerprints(&first, case.rule);
        assert!(
            !before.is_empty(),
            "{}: the base project has a finding",
            case.rule
        );

        let hidden = check(root, case.rule, Some(&baseline), None);
        assert!(
            fingerprints(&hidden, case.rule).is_empty(),
            "{}: the baseline hides the first violation",
            case.rule
        );

        for edit in &case.second {
            apply(root, edit);
        }
        let all = fingerprints(&check(root, case.rule, None, None), case.rule);
        for fp in &before {
            assert!(
                all.contains(fp),
                "{}: the first violation is still there",
                case.rule
            );
        }
        let reported = check(root, case.rule, Some(&baseline), None);
        let new = fingerprints(&reported, case.rule);
        assert!(
            !new.is_empty(),
            "{}: the second violation is reported despite the baseline; all: {all:?}",
            case.rule
        );
        assert!(
            new.iter().all(|fp| !before.contains(fp)),
            "{}: nothing from the baseline comes back",
            case.rule
        );
        assert_eq!(
            new.len() + before.len(),
            all.len(),
            "{}: every finding is either baselined or new",
            case.rule
        );
        covered.push(case.rule);
    }
    // Every registered rule has a case (unread-metadata: see the symlink test below).
    for id in registry.ids() {
        assert!(
            covered.contains(&id) || id == "unread-metadata",
            "no second-violation case for {id}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_second_unread_file_is_reported_after_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_all(root, &[sfdx_project()]);
    let target = outside.path().join("x.xml");
    std::fs::write(&target, "<Flow/>").unwrap();
    let link = |name: &str| {
        let p = root.join(format!("{BASE}/flows/{name}.flow-meta.xml"));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(&target, p).unwrap();
    };
    link("One");
    let baseline = root.join("baseline.json");
    let first = check(root, "unread-metadata", None, Some(&baseline));
    assert_eq!(fingerprints(&first, "unread-metadata").len(), 1);
    link("Two");
    let reported = check(root, "unread-metadata", Some(&baseline), None);
    let new = fingerprints(&reported, "unread-metadata");
    assert_eq!(new.len(), 1);
    assert!(!fingerprints(&first, "unread-metadata").contains(&new[0]));
    assert!(reported.findings[0].message.contains("Two.flow-meta.xml"));
}

#[test]
fn write_baseline_records_the_whole_project_even_with_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_all(root, &[sfdx_project(), bad_app("Vendor"), bad_app("Other")]);
    let baseline = root.join("baseline.json");
    let outcome = run(&Options {
        paths: vec![root.join(app_path("Vendor"))],
        select: vec!["connected-app-full-scope".into()],
        write_baseline: Some(baseline.clone()),
        ..Options::default()
    })
    .unwrap();
    assert_eq!(
        outcome.baseline_written,
        Some(2),
        "both apps, not only the PATH"
    );
    let text = std::fs::read_to_string(&baseline).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], 2);
    let entries = doc["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    for e in entries {
        for key in ["fingerprint", "rule", "file", "anchor", "message"] {
            assert!(
                e[key].as_str().is_some_and(|v| !v.is_empty()),
                "{key} in {e}"
            );
        }
        assert!(e["anchor"].as_str().unwrap().starts_with("ConnectedApp["));
    }
}

#[test]
fn an_old_baseline_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_all(root, &[sfdx_project(), bad_app("Vendor")]);
    let baseline = root.join("old.json");
    std::fs::write(
        &baseline,
        r#"{"version": 1, "findings": [{"rule": "r", "file": "f", "fingerprint": "0123456789abcdef", "message": "m"}]}"#,
    )
    .unwrap();
    let error = match run(&Options {
        paths: vec![root.to_path_buf()],
        baseline: Some(baseline),
        ..Options::default()
    }) {
        Err(e) => e,
        Ok(_) => panic!("a version 1 baseline is refused"),
    };
    assert!(error.message.contains("version 1"), "{}", error.message);
    assert!(
        error.message.contains("--write-baseline"),
        "{}",
        error.message
    );
}
