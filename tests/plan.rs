//! `sfpolicy plan` on the example org and on small projects: the shared identities, their
//! systems and ranks, the licence count and the steps with their files.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn sfpolicy() -> Command {
    let mut cmd = Command::cargo_bin("sfpolicy").unwrap();
    cmd.env("SFPOLICY_TODAY", "2026-12-02");
    cmd
}

fn plan_json(dir: &Path) -> Value {
    let out = sfpolicy()
        .args(["plan", "--format", "json"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Value>(&out.stdout).unwrap()["plan"].clone()
}

fn acme() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/acme-org"))
}

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn acme_plan_lists_the_shared_user_ranks_its_systems_and_names_files() {
    let plan = plan_json(acme());
    let shared = plan["shared"].as_array().unwrap();
    let user = shared
        .iter()
        .find(|s| s["kind"] == "user")
        .expect("a shared user");
    assert_eq!(user["name"], "integration@acmehealth.com");
    let systems = &user["systems"];
    let mut listed = names(systems, "system");
    listed.sort();
    assert_eq!(listed, ["Clearbit Enrichment", "Marketo"]);
    // Ranked by score, rank 1 first, scores never increasing.
    let scores: Vec<u64> = systems
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["risk"]["score"].as_u64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(systems[0]["rank"], 1);
    assert_eq!(systems[1]["rank"], 2);
    // Each score is the sum of its documented factors.
    for s in systems.as_array().unwrap() {
        let sum: u64 = s["risk"]["factors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["points"].as_u64().unwrap())
            .sum();
        assert_eq!(sum, s["risk"]["score"].as_u64().unwrap());
    }
    // Evidence: Marketo by its register entry and its app; Clearbit by its app only.
    let marketo = systems
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["system"] == "Marketo")
        .unwrap();
    let kinds = names(&marketo["evidence"], "kind");
    assert!(kinds.contains(&"register".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"connected-app".to_string()), "{kinds:?}");
    let clearbit = systems
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["system"] == "Clearbit Enrichment")
        .unwrap();
    assert_eq!(clearbit["basis"], "whole-identity");
    let factors = names(&clearbit["risk"]["factors"], "id");
    assert!(factors.contains(&"undocumented".to_string()), "{factors:?}");
    // The identity grants Modify All Data through the System Administrator profile Marketo's app
    // pre-authorizes, and edit on consent fields.
    assert!(user["reach"]["all_data"]
        .as_array()
        .unwrap()
        .contains(&Value::from("ModifyAllData")));
    let consent = names(&user["reach"]["consent_fields"], "field");
    assert!(
        consent.contains(&"Lead.HasOptedOutOfEmail".to_string()),
        "{consent:?}"
    );
    // Snowflake's entry is `license = "shared"`, its review date passed.
    let snowflake = shared
        .iter()
        .find(|s| s["kind"] == "register-shared")
        .unwrap();
    assert_eq!(snowflake["name"], "Snowflake");
    let factors = names(&snowflake["systems"][0]["risk"]["factors"], "id");
    assert!(factors.contains(&"review-due".to_string()), "{factors:?}");
    assert!(factors.contains(&"high-volume".to_string()), "{factors:?}");
    // Licences: Enterprise gives 5; after the split 8 systems need one.
    let l = &plan["licences"];
    assert_eq!(l["free"], 5);
    assert_eq!(l["needed_after_split"].as_array().unwrap().len(), 8);
    assert_eq!(l["overflow"], 3);
    // The first split is the rank-1 system of the shared user, and its steps name files that
    // exist (or, for the permission set, the one the scaffold writes).
    let split = &plan["first_split"];
    assert_eq!(split["system"], systems[0]["system"]);
    assert_eq!(split["from"], "integration@acmehealth.com");
    let steps = split["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 7);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = 0;
    for s in steps {
        for f in s["files"].as_array().unwrap() {
            let f = f.as_str().unwrap();
            let path = f.rsplit_once(':').map_or(f, |(p, line)| {
                if line.chars().all(|c| c.is_ascii_digit()) {
                    p
                } else {
                    f
                }
            });
            assert!(repo.join(path).exists(), "{f}");
            files += 1;
        }
    }
    assert!(files >= 5, "{steps:#?}");
    // Marketo's set is already in the project: the plan narrows it and names its real label.
    assert_eq!(
        steps[1]["title"],
        "Narrow its permission set, Marketo_Integration"
    );
    let app_step = steps[2]["actions"].to_string();
    let label =
        std::fs::read_to_string(acme().join(
            "force-app/main/default/permissionsets/Marketo_Integration.permissionset-meta.xml",
        ))
        .unwrap();
    let label = label
        .split("<label>")
        .nth(1)
        .and_then(|l| l.split("</label>").next())
        .unwrap();
    assert!(app_step.contains(label), "{app_step} / {label}");
    // The app to move is the system's own.
    let moved: Vec<&str> = steps[2]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        moved.iter().all(|f| f.contains("connectedApps/")),
        "{moved:?}"
    );
}

#[test]
fn markdown_and_human_carry_the_same_plan() {
    for format in ["markdown", "human"] {
        let out = sfpolicy()
            .args(["plan", "--format", format])
            .arg(acme())
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("integration@acmehealth.com"), "{text}");
        assert!(text.contains("Clearbit Enrichment"), "{text}");
        assert!(
            text.contains("Marketo_Sync.connectedApp-meta.xml"),
            "{text}"
        );
        if format == "markdown" {
            assert!(text.starts_with("# Plan"), "{text}");
            assert!(text.contains("- [ ] "), "{text}");
            assert!(text.contains("## First split"), "{text}");
        }
    }
}

fn write(dir: &Path, rel: &str, text: &str) {
    common::write(dir.join(rel), text);
}

const SFDX: &str = r#"{"packageDirectories":[{"path":"force-app","default":true}]}"#;

fn app(label: &str, user: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <contactEmail>team@corp.com</contactEmail>\n    <label>{label}</label>\n    <oauthConfig>\n        <callbackUrl>https://login.salesforce.com/services/oauth2/success</callbackUrl>\n        <isAdminApproved>true</isAdminApproved>\n        <isClientCredentialEnabled>true</isClientCredentialEnabled>\n        <oauthClientCredentialUser>{user}</oauthClientCredentialUser>\n        <scopes>Api</scopes>\n    </oauthConfig>\n</ConnectedApp>\n"
    )
}

#[test]
fn a_project_without_sharing_has_nothing_to_split() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sfdx-project.json", SFDX);
    write(
        dir.path(),
        "force-app/main/default/connectedApps/A.connectedApp-meta.xml",
        &app("A", "int_a@corp.com"),
    );
    write(
        dir.path(),
        "force-app/main/default/connectedApps/B.connectedApp-meta.xml",
        &app("B", "int_b@corp.com"),
    );
    let plan = plan_json(dir.path());
    assert_eq!(plan["shared"].as_array().unwrap().len(), 0);
    assert!(plan["first_split"].is_null());
}

#[test]
fn a_permission_set_two_systems_use_is_shared_and_names_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sfdx-project.json", SFDX);
    write(
        dir.path(),
        "force-app/main/default/permissionsets/Sync_Access.permissionset-meta.xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>Sync access</label>\n    <objectPermissions>\n        <allowCreate>false</allowCreate>\n        <allowDelete>false</allowDelete>\n        <allowEdit>true</allowEdit>\n        <allowRead>true</allowRead>\n        <modifyAllRecords>false</modifyAllRecords>\n        <object>Case</object>\n        <viewAllRecords>false</viewAllRecords>\n    </objectPermissions>\n</PermissionSet>\n",
    );
    write(
        dir.path(),
        "integrations.toml",
        "[[integration]]\nsystem = \"Alpha $(id) `x`\"\nuser = \"int_alpha@corp.com\"\npermission-sets = [\"Sync_Access\"]\n\n[[integration]]\nsystem = \"Beta\\u001b[31m\"\nuser = \"int_beta@corp.com\"\npermission-sets = [\"Sync_Access\"]\napi-volume = \"50000/day\"\n",
    );
    let plan = plan_json(dir.path());
    let shared = plan["shared"].as_array().unwrap();
    assert_eq!(shared.len(), 1, "{shared:#?}");
    assert_eq!(shared[0]["kind"], "permission-set");
    assert_eq!(shared[0]["name"], "Sync_Access");
    // Beta writes Case at high volume: it ranks first.
    assert_eq!(shared[0]["systems"][0]["system"], "Beta\u{1b}[31m");
    let factors = names(&shared[0]["systems"][0]["risk"]["factors"], "id");
    assert_eq!(factors, ["case-write", "high-volume"]);
    // The command to paste quotes the system's name for the shell.
    let split = &plan["first_split"];
    // Beta has its own user: it keeps it and gets a set of its own; the shared set is what stops.
    assert_eq!(split["new_user"], "int_beta@corp.com");
    let titles: Vec<&str> = split["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles[0], "Keep int_beta@corp.com", "{titles:?}");
    assert_eq!(titles[6], "Stop sharing Sync_Access", "{titles:?}");
    // Alpha documents nothing the set grants here, yet names it: it keeps it.
    let last = split["steps"][6]["actions"].to_string();
    assert!(
        last.contains("keep Sync_Access on int_beta@corp.com while Alpha"),
        "{last}"
    );
    let command = split["steps"][1]["command"].as_str().unwrap();
    assert!(
        command.starts_with("sfpolicy scaffold integration 'Beta\u{1b}[31m' --from-register"),
        "{command}"
    );
    // The escape sequence in a system name never reaches the terminal raw.
    for format in ["human", "markdown"] {
        let out = sfpolicy()
            .args(["plan", "--format", format])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success());
        assert!(!out.stdout.contains(&0x1b), "{format}");
    }
}

#[test]
fn plan_lists_in_config_extend_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sfdx-project.json", SFDX);
    write(
        dir.path(),
        "sfpolicy.toml",
        "[plan]\nsensitive-objects = [\"Patient__c\"]\nconsent-fields = [\"Contact.Marketing_Opt_In__c\"]\n",
    );
    let plan = plan_json(dir.path());
    let objects: Vec<&str> = plan["sensitive_objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(objects.contains(&"Patient__c") && objects.contains(&"Lead"));
    let fields: Vec<&str> = plan["consent_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(fields.contains(&"Contact.Marketing_Opt_In__c") && fields.contains(&"Lead.DoNotCall"));
    // An unknown key is a located config error (exit 2).
    write(dir.path(), "sfpolicy.toml", "[plan]\nsensitive = [\"X\"]\n");
    let out = sfpolicy().arg("plan").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sensitive"));
}

fn keys(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| keys(i, out)),
        _ => {}
    }
}

#[test]
fn docs_plan_md_documents_every_key_and_factor_the_plan_prints() {
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/plan.md")).unwrap();
    let plan = plan_json(acme());
    let mut all = std::collections::BTreeSet::new();
    keys(&plan, &mut all);
    // Words inside the docs' code spans.
    let documented: std::collections::BTreeSet<&str> = docs
        .split('`')
        .skip(1)
        .step_by(2)
        .flat_map(|span| span.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .filter(|w| !w.is_empty())
        .collect();
    for k in &all {
        assert!(
            documented.contains(k.as_str()),
            "docs/plan.md does not document the key `{k}`"
        );
    }
    let mut factors = std::collections::BTreeSet::new();
    for s in plan["shared"].as_array().unwrap() {
        for sys in s["systems"].as_array().unwrap() {
            for f in sys["risk"]["factors"].as_array().unwrap() {
                factors.insert(f["id"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(factors.len() >= 5, "{factors:?}");
    for f in factors {
        assert!(
            docs.contains(&format!("| `{f}` |")),
            "docs/plan.md has no row for the factor `{f}`"
        );
    }
}
