//! Discovery: Metadata API and source layouts, the project root, sub-folder scoping, skipped
//! folders and `.forceignore`.

mod common;

use common::*;
use std::path::Path;

/// The rules these tests are about (see `select`).
const RULES: &[&str] = &[INVALID, FULL, IP, FLOW];

/// `sfpolicy check --format json --select ... <args>` in `cwd`.
fn check_in(cwd: &Path, args: &[&str]) -> Run {
    let mut all = vec!["check", "--format", "json"];
    all.extend(select(RULES));
    all.extend_from_slice(args);
    run_in(cwd, &all)
}

fn check_with_inventory(project: &Path) -> Run {
    let rules = inventory_rules();
    let mut args = select(RULES);
    args.extend(["--select", INVENTORY, "--rules", rules.to_str().unwrap()]);
    check_json(project, &args)
}

fn sorted(mut v: Vec<Brief>) -> Vec<Brief> {
    v.sort();
    v
}

#[test]
fn metadata_api_layout_is_read_with_embedded_children_located() {
    // No sfdx-project.json: the folder given is the root.
    let dir = copy_fixture("mdapi");
    let run = check_with_inventory(dir.path());
    run.assert_no_panic();
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report = run.json();
    // Profile, object, connected app, flow; package.xml and the Apex class are not policy input.
    assert_eq!(files_checked(&report), 4);
    let app = "src/connectedApps/Intake_Portal.connectedApp";
    let flow = "src/flows/Old-3.flow";
    let object = "src/objects/Account.object";
    let profile = "src/profiles/Integration User.profile";
    assert_eq!(
        sorted(briefs(&report)),
        sorted(vec![
            b(
                app,
                2,
                1,
                INVENTORY,
                "ConnectedApp Intake_Portal [Intake Portal]"
            ),
            b(
                app,
                7,
                9,
                FULL,
                "connected app Intake_Portal requests the OAuth scope Full"
            ),
            b(
                app,
                10,
                9,
                IP,
                "connected app Intake_Portal relaxes IP restrictions (BYPASS)"
            ),
            // `Old-3.flow`: the Metadata API version suffix is not part of the name.
            b(flow, 2, 1, INVENTORY, "Flow Old [Old]"),
            b(
                flow,
                5,
                5,
                FLOW,
                "flow Old runs in system mode without sharing"
            ),
            b(object, 2, 1, INVENTORY, "CustomObject Account [Account]"),
            // Embedded children are components of their own, located at their element.
            b(
                object,
                3,
                5,
                INVENTORY,
                "CustomField Account.Tier__c [Tier]"
            ),
            b(
                object,
                12,
                5,
                INVENTORY,
                "ValidationRule Account.Phone_Required [Account.Phone_Required]"
            ),
            b(
                profile,
                2,
                1,
                INVENTORY,
                "Profile Integration User [Integration User]"
            ),
        ])
    );
    // The embedded validation rule spans its whole `<validationRules>` element.
    let rule = findings(&report)
        .iter()
        .find(|f| f["message"].as_str().unwrap().starts_with("ValidationRule"))
        .unwrap();
    assert_eq!(
        (rule["end_line"].as_u64(), rule["end_column"].as_u64()),
        (Some(18), Some(23))
    );
}

#[test]
fn without_a_project_marker_the_path_given_is_the_root() {
    let dir = copy_fixture("mdapi");
    let src = dir.path().join("src");
    let run = check_json(&src, &select(&[IP]));
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert_eq!(files_checked(&report), 4);
    assert_eq!(
        briefs(&report),
        vec![b(
            "connectedApps/Intake_Portal.connectedApp",
            10,
            9,
            IP,
            "connected app Intake_Portal relaxes IP restrictions (BYPASS)"
        )]
    );
}

/// The source fixture plus tool folders (which git cannot store) holding files that would be
/// findings, and a folder whose name starts like `unpackaged`.
fn source_project() -> tempfile::TempDir {
    let dir = copy_fixture("source");
    let bad = connected_app("Must Not Be Read", &["Full"], Some("BYPASS"));
    for skipped in [
        ".git",
        "node_modules/@salesforce/sfdx-lwc-jest",
        "force-app/main/default/lwc/intakeForm/node_modules",
        ".sfdx/tools",
        ".sf/orgs",
    ] {
        write(
            dir.path()
                .join(skipped)
                .join("connectedApps/Hidden.connectedApp-meta.xml"),
            &bad,
        );
        write(
            dir.path()
                .join(skipped)
                .join("profiles/Broken.profile-meta.xml"),
            "<Profile><oops></Profile>",
        );
    }
    write(
        dir.path()
            .join("unpackaged-extra/connectedApps/Extra.connectedApp-meta.xml"),
        connected_app("Extra", &["Api"], Some("BYPASS")),
    );
    dir
}

const APP: &str = "force-app/main/default/connectedApps/Telephony.connectedApp-meta.xml";
const FLOW_FILE: &str = "force-app/main/default/flows/Intake_Router.flow-meta.xml";
const LEGACY: &str = "unpackaged/connectedApps/Legacy_Sync.connectedApp-meta.xml";
const EXTRA: &str = "unpackaged-extra/connectedApps/Extra.connectedApp-meta.xml";
const SOURCE_FILES: u64 = 9;

fn source_policy_findings() -> Vec<Brief> {
    sorted(vec![
        b(
            APP,
            8,
            9,
            FULL,
            "connected app Telephony requests the OAuth scope Full",
        ),
        b(
            FLOW_FILE,
            6,
            5,
            FLOW,
            "flow Intake_Router runs in system mode without sharing",
        ),
        b(
            LEGACY,
            10,
            9,
            IP,
            "connected app Legacy_Sync relaxes IP restrictions (BYPASS)",
        ),
        b(
            EXTRA,
            11,
            9,
            IP,
            "connected app Extra relaxes IP restrictions (BYPASS)",
        ),
    ])
}

#[test]
fn source_layout_with_decomposed_objects_and_folders_outside_packages() {
    let dir = source_project();
    let run = check_with_inventory(dir.path());
    run.assert_no_panic();
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert_eq!(files_checked(&report), SOURCE_FILES);
    let objects = "force-app/main/default/objects/Account";
    let mut expected = source_policy_findings();
    expected.extend([
        b(APP, 2, 1, INVENTORY, "ConnectedApp Telephony [Telephony]"),
        b(
            FLOW_FILE,
            2,
            1,
            INVENTORY,
            "Flow Intake_Router [Intake Router]",
        ),
        b(
            &format!("{objects}/Account.object-meta.xml"),
            2,
            1,
            INVENTORY,
            "CustomObject Account [Account]",
        ),
        b(
            &format!("{objects}/fields/Tier__c.field-meta.xml"),
            2,
            1,
            INVENTORY,
            "CustomField Account.Tier__c [Tier]",
        ),
        b(
            &format!("{objects}/validationRules/Phone_Required.validationRule-meta.xml"),
            2,
            1,
            INVENTORY,
            "ValidationRule Account.Phone_Required [Account.Phone_Required]",
        ),
        b(
            "force-app/main/default/profiles/Integration.profile-meta.xml",
            2,
            1,
            INVENTORY,
            "Profile Integration [Integration]",
        ),
        b(
            LEGACY,
            2,
            1,
            INVENTORY,
            "ConnectedApp Legacy_Sync [Legacy Sync]",
        ),
        b(EXTRA, 2, 1, INVENTORY, "ConnectedApp Extra [Extra]"),
        b(
            "force-app/main/default/customPermissions/Bypass_Validation_Rules.customPermission-meta.xml",
            2,
            1,
            INVENTORY,
            "CustomPermission Bypass_Validation_Rules [Bypass Validation Rules]",
        ),
    ]);
    assert_eq!(sorted(briefs(&report)), sorted(expected));
    // Nothing from .git, node_modules (at any depth), .sfdx or .sf.
    for f in findings(&report) {
        let file = f["file"].as_str().unwrap();
        assert!(
            !file.contains("node_modules") && !file.starts_with(".s") && !file.starts_with(".git"),
            "{file}"
        );
    }
}

#[test]
fn paths_are_relative_to_the_root_with_forward_slashes() {
    let dir = source_project();
    let report = check_json(dir.path(), &[]).json();
    assert!(!findings(&report).is_empty());
    for f in findings(&report) {
        let file = f["file"].as_str().unwrap();
        assert!(!file.contains('\\'), "{file}");
        assert!(!file.starts_with('/'), "{file}");
        assert!(
            dir.path().join(file).is_file(),
            "{file} is not relative to the root"
        );
    }
}

fn files_of(report: &serde_json::Value) -> Vec<String> {
    let mut files: Vec<String> = findings(report)
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    files.sort();
    files.dedup();
    files
}

#[test]
fn a_sub_folder_reports_only_findings_under_it_with_root_relative_paths() {
    let dir = source_project();
    let root = dir.path();

    // An absolute sub-folder, run from elsewhere.
    let flows = root.join("force-app/main/default/flows");
    let run = check_in(std::env::temp_dir().as_path(), &[flows.to_str().unwrap()]);
    // A warning only: exit 0.
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert_eq!(files_of(&report), vec![FLOW_FILE.to_string()]);
    // The whole project is still loaded.
    assert_eq!(files_checked(&report), SOURCE_FILES);

    // "." from inside a sub-folder.
    let run = check_in(&root.join("force-app/main/default/connectedApps"), &["."]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert_eq!(files_of(&run.json()), vec![APP.to_string()]);

    // `unpackaged` does not take in its sibling `unpackaged-extra`.
    let run = check_in(root, &["unpackaged"]);
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    assert_eq!(files_of(&run.json()), vec![LEGACY.to_string()]);

    // Files, relative to the working folder, several at once (as pre-commit passes them).
    let run = check_in(
        &root.join("force-app"),
        &[
            "main/default/connectedApps/Telephony.connectedApp-meta.xml",
            "../unpackaged-extra/connectedApps/Extra.connectedApp-meta.xml",
        ],
    );
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    assert_eq!(
        files_of(&run.json()),
        vec![APP.to_string(), EXTRA.to_string()]
    );

    // The root itself: everything.
    let run = check_in(root, &["."]);
    assert_eq!(sorted(briefs(&run.json())), source_policy_findings());
}

#[test]
fn default_path_is_the_working_folder() {
    let dir = source_project();
    let run = check_in(&dir.path().join("force-app/main/default/flows"), &[]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert_eq!(files_of(&report), vec![FLOW_FILE.to_string()]);
    assert_eq!(files_checked(&report), SOURCE_FILES);
}

#[test]
fn sfpolicy_toml_marks_the_root_too() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path().join("sfpolicy.toml"),
        "# sfpolicy configuration (defaults)\n",
    );
    write(
        dir.path()
            .join("metadata/connectedApps/Marketing.connectedApp-meta.xml"),
        connected_app("Marketing", &["Api"], Some("BYPASS")),
    );
    write(
        dir.path()
            .join("other/connectedApps/Finance.connectedApp-meta.xml"),
        connected_app("Finance", &["Api"], Some("BYPASS")),
    );
    let run = check_in(&dir.path().join("metadata"), &["connectedApps"]);
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert_eq!(files_checked(&report), 2);
    assert_eq!(
        files_of(&report),
        vec!["metadata/connectedApps/Marketing.connectedApp-meta.xml".to_string()]
    );
}

const BAD_RETIRED: &str = "force-app/main/default/connectedApps/Bad_Retired.connectedApp-meta.xml";
const BAD_LIVE: &str = "force-app/main/default/connectedApps/Bad_But_Live.connectedApp-meta.xml";
const MARKETING: &str = "force-app/main/default/connectedApps/Marketing.connectedApp-meta.xml";
const CLEANUP: &str = "force-app/main/default/flows/Nightly_Cleanup.flow-meta.xml";

#[test]
fn forceignore_excludes_files_and_folders_and_negation_re_includes() {
    let dir = copy_fixture("forceignore");
    let run = check_json(dir.path(), &with_select(RULES, &["--fail-on", "warning"]));
    run.assert_no_panic();
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report = run.json();
    // `**/connectedApps/Bad*` drops Bad_Retired, `!...Bad_But_Live...` brings that one back,
    // and the whole flows folder is ignored.
    assert_eq!(
        files_of(&report),
        vec![BAD_LIVE.to_string(), MARKETING.to_string()]
    );
    assert_eq!(files_checked(&report), 2);
}

#[test]
fn no_forceignore_reads_everything() {
    let dir = copy_fixture("forceignore");
    let run = check_json(dir.path(), &with_select(RULES, &["--no-forceignore"]));
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert_eq!(
        files_of(&report),
        vec![
            BAD_LIVE.to_string(),
            BAD_RETIRED.to_string(),
            MARKETING.to_string(),
            CLEANUP.to_string()
        ]
    );
    assert_eq!(files_checked(&report), 4);
    assert_eq!(of_rule(&report, FLOW).len(), 1);
}

#[test]
fn forceignore_applies_when_checking_a_sub_folder() {
    let dir = copy_fixture("forceignore");
    let apps = dir.path().join(APPS);
    let run = check_in(&apps, &["."]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert_eq!(
        files_of(&run.json()),
        vec![BAD_LIVE.to_string(), MARKETING.to_string()]
    );
    // An ignored folder named explicitly: still ignored.
    let run = check_in(dir.path(), &["force-app/main/default/flows"]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert!(findings(&run.json()).is_empty());
}

/// Findings (rule, file) of a JSON run over `root`.
fn rules_and_files(root: &Path) -> Vec<(String, String, String)> {
    let run = run_in(
        root,
        &[
            "check",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--no-forceignore",
        ],
    );
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn decomposed_permission_set_parts_are_read_or_reported_never_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let ps = "force-app/main/default/permissionsets";
    write(
        dir.path().join("sfdx-project.json"),
        r#"{"packageDirectories":[{"path":"force-app"}]}"#,
    );
    // A set with a part of a kind sfpolicy does not know.
    write(
        dir.path()
            .join(format!("{ps}/Claims/Claims.permissionset-meta.xml")),
        "<PermissionSet><label>Claims</label></PermissionSet>",
    );
    write(
        dir.path().join(format!(
            "{ps}/Claims/agentAccesses/Bot.agentAccess-meta.xml"
        )),
        "<AgentAccess/>",
    );
    // Parts whose set file is missing.
    write(
        dir.path().join(format!("{ps}/Orphan/Orphan.userPermission-meta.xml")),
        "<PermissionSet><userPermissions><enabled>true</enabled><name>ModifyAllData</name></userPermissions></PermissionSet>",
    );
    // A part whose root does not match its layout.
    write(
        dir.path().join(format!(
            "{ps}/Claims/objectSettings/Account.objectSettings-meta.xml"
        )),
        "<Profile/>",
    );
    let found = rules_and_files(dir.path());
    let has = |rule: &str, file: &str, words: &str| {
        found
            .iter()
            .any(|(r, f, m)| r == rule && f.ends_with(file) && m.contains(words))
    };
    assert!(
        has(
            "unread-metadata",
            "agentAccesses/Bot.agentAccess-meta.xml",
            "does not know this kind of part"
        ),
        "{found:#?}"
    );
    assert!(
        has(
            "unread-metadata",
            "Orphan/Orphan.userPermission-meta.xml",
            "Orphan.permissionset-meta.xml is missing"
        ),
        "{found:#?}"
    );
    assert!(
        has(
            "invalid-metadata",
            "objectSettings/Account.objectSettings-meta.xml",
            "must have a <PermissionSet> root"
        ),
        "{found:#?}"
    );
}

#[test]
fn workflow_rules_are_components_in_every_layout() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path().join("sfdx-project.json"),
        r#"{"packageDirectories":[{"path":"force-app"}]}"#,
    );
    let rule = |name: &str| {
        format!("<rules><fullName>{name}</fullName><active>true</active><formula>$Profile.Name = \"Integration\"</formula></rules>")
    };
    write(
        dir.path()
            .join("force-app/main/default/workflows/Case.workflow-meta.xml"),
        format!("<Workflow>{}{}</Workflow>", rule("A"), rule("B")),
    );
    write(
        dir.path().join("src/workflows/Lead.workflow"),
        format!("<Workflow>{}</Workflow>", rule("C")),
    );
    write(
        dir.path().join("force-app/main/default/workflows/Task/workflowRules/D.workflowRule-meta.xml"),
        "<WorkflowRule><fullName>D</fullName><active>true</active><formula>$Profile.Name = \"X\"</formula></WorkflowRule>",
    );
    let found = rules_and_files(dir.path());
    let names: Vec<&str> = found
        .iter()
        .filter(|(r, ..)| r == "bypass-by-identity")
        .map(|(_, _, m)| m.split_whitespace().nth(2).unwrap())
        .collect();
    assert_eq!(
        names,
        ["Case.A", "Case.B", "Task.D", "Lead.C"],
        "{found:#?}"
    );
}
