//! `sfpolicy scaffold integration`: every option combination writes metadata that `check`
//! passes with zero findings, never overwrites, refuses what it cannot do safely, and a project
//! with one shared user comes out of a scaffold round trip without `integration-user-shared`
//! and without any new finding.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const SFDX: &str = r#"{"packageDirectories":[{"path":"force-app","default":true}]}"#;

fn sfpolicy() -> Command {
    let mut cmd = Command::cargo_bin("sfpolicy").unwrap();
    cmd.env("SFPOLICY_TODAY", "2026-12-02");
    cmd
}

fn write(dir: &Path, rel: &str, text: &str) {
    common::write(dir.join(rel), text);
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn scaffold(dir: &Path, args: &[&str]) -> std::process::Output {
    sfpolicy()
        .args(["scaffold", "integration"])
        .args(args)
        .arg("--project")
        .arg(dir)
        .output()
        .unwrap()
}

/// (rule, file, message) of every finding of `check`.
fn findings(dir: &Path) -> Vec<(String, String, String)> {
    let out = sfpolicy()
        .args(["check", "--format", "json", "--fail-on", "never"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap_or("").to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const CONTACTS: &[&str] = &[
    "--owner",
    "Telephony team",
    "--contact",
    "support@talkdesk.com",
    "--alerts",
    "#telephony-alerts",
    "--retry",
    "3 attempts, exponential backoff",
    "--direction",
    "inbound",
    "--frequency",
    "real-time",
    "--user",
    "int_talkdesk@acme.com",
];

const PS: &str =
    "force-app/main/default/permissionsets/Talkdesk_Integration.permissionset-meta.xml";
const APP: &str = "force-app/main/default/connectedApps/Talkdesk_Integration.connectedApp-meta.xml";

fn combos() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        ("read only", vec!["--objects", "Contact"]),
        (
            "create and edit with fields",
            vec![
                "--objects",
                "Lead:create+edit,Contact:edit,Task:create",
                "--fields",
                "Lead.Phone:edit,Contact.Email,Lead.Company",
            ],
        ),
        (
            "bypasses",
            vec![
                "--objects",
                "Lead:edit",
                "--bypass",
                "Validation Rules",
                "--bypass",
                "Lead assignment",
            ],
        ),
        (
            "delete with a reason",
            vec![
                "--objects",
                "Task:delete,Contact",
                "--reason",
                "purges call logs after 30 days, SEC-201",
            ],
        ),
        (
            "view all and modify all with a reason",
            vec![
                "--objects",
                "Case:view-all,Lead:modify-all",
                "--reason",
                "routing sweep, SEC-202",
                "--api-volume",
                "4000/day",
            ],
        ),
        (
            "contact email given",
            vec![
                "--objects",
                "Contact",
                "--contact-email",
                "telephony@acme.com",
            ],
        ),
    ]
}

#[test]
fn every_option_combination_passes_check_with_zero_findings() {
    for (name, extra) in combos() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "sfdx-project.json", SFDX);
        let mut args = vec!["Talkdesk"];
        args.extend(CONTACTS);
        args.extend(extra.iter().copied());
        let out = scaffold(dir.path(), &args);
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(said.contains("still to do by a person"), "{name}: {said}");
        assert_eq!(findings(dir.path()), vec![], "{name}");
        let ps = read(dir.path(), PS);
        assert!(
            ps.contains("<label>Talkdesk integration access</label>"),
            "{ps}"
        );
        let app = read(dir.path(), APP);
        for must in [
            "<isAdminApproved>true</isAdminApproved>",
            "<isClientCredentialEnabled>true</isClientCredentialEnabled>",
            "<oauthClientCredentialUser>int_talkdesk@acme.com</oauthClientCredentialUser>",
            "<ipRelaxation>ENFORCE</ipRelaxation>",
            "<refreshTokenPolicy>specific_lifetime:1:HOURS</refreshTokenPolicy>",
            "<permissionSetName>Talkdesk integration access</permissionSetName>",
        ] {
            assert!(app.contains(must), "{name}: {must}\n{app}");
        }
        let broad = extra.contains(&"--reason");
        assert_eq!(
            ps.contains("<allowDelete>true</allowDelete>")
                || ps.contains("<viewAllRecords>true</viewAllRecords>"),
            broad,
            "{name}: {ps}"
        );
        assert_eq!(dir.path().join("sfpolicy.toml").exists(), broad, "{name}");
        for b in extra.windows(2).filter(|w| w[0] == "--bypass") {
            let stem: String = b[1]
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join("_");
            let cp = format!("Talkdesk_Bypass_{stem}");
            assert!(ps.contains(&format!("<name>{cp}</name>")), "{ps}");
            assert!(dir
                .path()
                .join(format!(
                    "force-app/main/default/customPermissions/{cp}.customPermission-meta.xml"
                ))
                .exists());
        }
    }
}

#[test]
fn access_is_exactly_what_was_asked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sfdx-project.json", SFDX);
    let mut args = vec!["Talkdesk"];
    args.extend(CONTACTS);
    args.extend([
        "--objects",
        "Lead:create,Contact",
        "--fields",
        "Lead.Phone:edit",
    ]);
    assert!(scaffold(dir.path(), &args).status.success());
    let ps = read(dir.path(), PS);
    let block = |object: &str| object_block(&ps, object);
    let lead = block("Lead");
    assert!(lead.contains("<allowCreate>true</allowCreate>"), "{lead}");
    assert!(lead.contains("<allowEdit>false</allowEdit>"), "{lead}");
    assert!(lead.contains("<allowDelete>false</allowDelete>"), "{lead}");
    let contact = block("Contact");
    assert!(contact.contains("<allowRead>true</allowRead>"));
    assert!(contact.contains("<allowCreate>false</allowCreate>"));
    assert!(contact.contains("<allowEdit>false</allowEdit>"));
    assert!(ps.contains("<editable>true</editable>\n        <field>Lead.Phone</field>"));
    assert_eq!(ps.matches("<fieldPermissions>").count(), 1);
}

#[test]
fn never_overwrites_and_refuses_a_second_entry() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sfdx-project.json", SFDX);
    write(dir.path(), PS, "<!-- the team's own -->\n");
    let mut args = vec!["Talkdesk"];
    args.extend(CONTACTS);
    args.extend(["--objects", "Contact"]);
    let out = scaffold(dir.path(), &args);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("kept"));
    assert_eq!(read(dir.path(), PS), "<!-- the team's own -->\n");
    let register = read(dir.path(), "integrations.toml");
    let app = read(dir.path(), APP);
    // Again: the register has the entry now; nothing changes.
    let out = scaffold(dir.path(), &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--from-register"));
    assert_eq!(read(dir.path(), "integrations.toml"), register);
    assert_eq!(read(dir.path(), APP), app);
}

#[test]
fn unsafe_or_incomplete_requests_are_refused_before_anything_is_written() {
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--objects", "Task:delete"], "--reason"),
        (vec!["--objects", "Lead:modify-all"], "--reason"),
        (vec!["--objects", "Lead:everything"], "unknown access"),
        (
            vec!["--objects", "Lead", "--fields", "Contact.Email"],
            "add Contact to --objects",
        ),
        (
            vec!["--objects", "Lead", "--fields", "Lead.Email:edit"],
            "needs create or edit",
        ),
        (vec!["--objects", "Lead;drop"], "not an object API name"),
        (
            vec!["--objects", "Lead", "--direction", "sideways"],
            "expected one of",
        ),
    ];
    for (extra, expect) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "sfdx-project.json", SFDX);
        let mut args = vec!["Talkdesk"];
        // The base flags, minus those the case gives itself.
        for pair in CONTACTS.chunks(2) {
            if !extra.contains(&pair[0]) {
                args.extend(pair);
            }
        }
        args.extend(extra.iter().copied());
        let out = scaffold(dir.path(), &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(err.contains(expect), "{extra:?}: {err}");
        assert!(!dir.path().join("force-app").exists(), "{extra:?}");
        assert!(!dir.path().join("integrations.toml").exists(), "{extra:?}");
    }
    // Without the register's facts, the missing ones are named together.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sfdx-project.json", SFDX);
    let out = scaffold(dir.path(), &["Talkdesk", "--objects", "Lead"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    for flag in ["--user", "--owner", "--contact", "--alerts", "--retry"] {
        assert!(err.contains(flag), "{err}");
    }
}

fn entry(system: &str, user: &str, extra: &str) -> String {
    format!(
        "[[integration]]\nsystem = \"{system}\"\nuser = \"{user}\"\nowner = \"Ops team\"\nsupport-contact = \"help@vendor.io\"\nerror-owner = \"Ops team\"\nalerts = \"#ops-alerts\"\nretry = \"retries hourly\"\ndirection = \"inbound\"\nfrequency = \"scheduled\"\noffboarding = \"revoke the app, deactivate the user\"\n{extra}\n"
    )
}

#[test]
fn from_register_uses_the_entry_and_passes_check() {
    // An OAuth entry whose app is not in the project yet, and a named-credential one.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "sfdx-project.json",
        r#"{"packageDirectories":[{"path":"src","default":true}]}"#,
    );
    let register = format!(
        "edition = \"enterprise\"\n\n{}{}",
        entry(
            "Docu Sign",
            "int_docusign@corp.com",
            "auth = \"oauth-client-credentials\"\nconnected-app = \"Docu_Sign_Integration\"\npermission-sets = [\"Docu_Sign_Integration\"]\nobjects = [\"Opportunity\", \"Contact\"]"
        ),
        entry(
            "Availity",
            "int_availity@corp.com",
            "auth = \"named-credential\"\npermission-sets = [\"Availity_Integration\"]\nobjects = [\"Contact\"]"
        )
        .replace("direction = \"inbound\"", "direction = \"outbound\"")
    );
    write(dir.path(), "integrations.toml", &register);
    for system in ["Docu Sign", "Availity"] {
        let out = scaffold(dir.path(), &[system, "--from-register"]);
        assert!(
            out.status.success(),
            "{system}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(findings(dir.path()), vec![]);
    // The register is the team's: unchanged.
    assert_eq!(read(dir.path(), "integrations.toml"), register);
    let docusign = read(
        dir.path(),
        "src/main/default/permissionsets/Docu_Sign_Integration.permissionset-meta.xml",
    );
    assert!(docusign.contains("<object>Opportunity</object>"));
    assert!(
        docusign.contains("<allowEdit>true</allowEdit>"),
        "inbound writes"
    );
    assert!(dir
        .path()
        .join("src/main/default/connectedApps/Docu_Sign_Integration.connectedApp-meta.xml")
        .exists());
    // Outbound: read only, and no connected app for a named credential.
    let availity = read(
        dir.path(),
        "src/main/default/permissionsets/Availity_Integration.permissionset-meta.xml",
    );
    assert!(
        availity.contains("<allowEdit>false</allowEdit>"),
        "{availity}"
    );
    assert!(!dir
        .path()
        .join("src/main/default/connectedApps/Availity_Integration.connectedApp-meta.xml")
        .exists());
    // An unknown system gets the closest name.
    let out = scaffold(dir.path(), &["DocuSign", "--from-register"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `Docu Sign`"));
}

const SHARED_USER: &str = "integration@corp.com";

fn shared_app(label: &str, user: &str, ps: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <contactEmail>ops@corp.com</contactEmail>\n    <description>{label} sync.</description>\n    <label>{label}</label>\n    <oauthConfig>\n        <callbackUrl>https://login.salesforce.com/services/oauth2/success</callbackUrl>\n        <isAdminApproved>true</isAdminApproved>\n        <isClientCredentialEnabled>true</isClientCredentialEnabled>\n        <oauthClientCredentialUser>{user}</oauthClientCredentialUser>\n        <scopes>Api</scopes>\n    </oauthConfig>\n    <oauthPolicy>\n        <ipRelaxation>ENFORCE</ipRelaxation>\n        <refreshTokenPolicy>specific_lifetime:1:HOURS</refreshTokenPolicy>\n    </oauthPolicy>\n    <permissionSetName>{ps}</permissionSetName>\n</ConnectedApp>\n"
    )
}

#[test]
fn round_trip_splits_a_shared_user_without_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "sfdx-project.json", SFDX);
    write(
        d,
        "force-app/main/default/permissionsets/Partner_Sync.permissionset-meta.xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>Partner sync (Alpha and Beta)</label>\n    <objectPermissions>\n        <allowCreate>true</allowCreate>\n        <allowDelete>false</allowDelete>\n        <allowEdit>true</allowEdit>\n        <allowRead>true</allowRead>\n        <modifyAllRecords>false</modifyAllRecords>\n        <object>Contact</object>\n        <viewAllRecords>false</viewAllRecords>\n    </objectPermissions>\n    <objectPermissions>\n        <allowCreate>true</allowCreate>\n        <allowDelete>false</allowDelete>\n        <allowEdit>true</allowEdit>\n        <allowRead>true</allowRead>\n        <modifyAllRecords>false</modifyAllRecords>\n        <object>Lead</object>\n        <viewAllRecords>false</viewAllRecords>\n    </objectPermissions>\n</PermissionSet>\n",
    );
    let alpha_app = "force-app/main/default/connectedApps/Alpha_Sync.connectedApp-meta.xml";
    let beta_app = "force-app/main/default/connectedApps/Beta_Sync.connectedApp-meta.xml";
    write(
        d,
        alpha_app,
        &shared_app("Alpha Sync", SHARED_USER, "Partner_Sync"),
    );
    write(
        d,
        beta_app,
        &shared_app("Beta Sync", SHARED_USER, "Partner_Sync"),
    );
    let register = format!(
        "edition = \"enterprise\"\n\n{}{}",
        entry(
            "Alpha",
            SHARED_USER,
            "auth = \"oauth-client-credentials\"\nconnected-app = \"Alpha_Sync\"\npermission-sets = [\"Partner_Sync\"]\nobjects = [\"Contact\", \"Lead\"]"
        ),
        entry(
            "Beta",
            SHARED_USER,
            "auth = \"oauth-client-credentials\"\nconnected-app = \"Beta_Sync\"\npermission-sets = [\"Partner_Sync\"]\nobjects = [\"Contact\", \"Lead\"]"
        ),
    );
    write(d, "integrations.toml", &register);

    let before = findings(d);
    assert!(
        before.iter().any(|f| f.0 == "integration-user-shared"),
        "{before:#?}"
    );
    // The plan proposes the names the scaffold uses.
    let out = sfpolicy()
        .args(["plan", "--format", "json"])
        .arg(d)
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    let split = &plan["plan"]["first_split"];
    let first = split["system"].as_str().unwrap().to_string();
    let expected_user = format!("int_{}@corp.com", first.to_lowercase());
    assert_eq!(split["new_user"], expected_user.as_str());

    for system in ["Alpha", "Beta"] {
        let out = scaffold(d, &[system, "--from-register"]);
        let said = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let new_user = format!("int_{}@corp.com", system.to_lowercase());
        // It says what to change in the app and the register.
        assert!(said.contains(&new_user), "{said}");
        assert!(
            said.contains(&format!("{system}_Sync.connectedApp-meta.xml")),
            "{said}"
        );
        assert!(said.contains(&format!("was {SHARED_USER}")), "{said}");
        assert!(said.contains("Partner_Sync"), "{said}");
    }
    // A person does what it said: the apps and the register point at the new identities.
    let mut register = read(d, "integrations.toml");
    for (system, app) in [("Alpha", alpha_app), ("Beta", beta_app)] {
        let user = format!("int_{}@corp.com", system.to_lowercase());
        let ps = format!("{system}_Integration");
        let label = format!("{system} integration access");
        let text = read(d, app)
            .replace(SHARED_USER, &user)
            .replace("Partner_Sync", &label);
        write(d, app, &text);
        let at = register.find(&format!("system = \"{system}\"")).unwrap();
        let (head, tail) = register.split_at(at);
        let tail = tail.replacen(SHARED_USER, &user, 1).replacen(
            "[\"Partner_Sync\"]",
            &format!("[\"{ps}\"]"),
            1,
        );
        register = format!("{head}{tail}");
    }
    write(d, "integrations.toml", &register);

    let after = findings(d);
    assert!(
        !after.iter().any(|f| f.0 == "integration-user-shared"),
        "{after:#?}"
    );
    let before: BTreeSet<_> = before.into_iter().map(|f| (f.0, f.1)).collect();
    let new = |after: &[(String, String, String)]| -> Vec<(String, String, String)> {
        after
            .iter()
            .filter(|f| !before.contains(&(f.0.clone(), f.1.clone())))
            .cloned()
            .collect()
    };
    // While the old permission set stays, nothing documents it any more: that leftover access is
    // the one thing reported, and the scaffold said to delete it.
    let old_ps = "force-app/main/default/permissionsets/Partner_Sync.permissionset-meta.xml";
    let leftover = new(&after);
    assert_eq!(leftover.len(), 1, "{leftover:#?}");
    assert_eq!(
        (leftover[0].0.as_str(), leftover[0].1.as_str()),
        ("integration-unregistered", old_ps)
    );
    // Retired once no system uses it, as the plan's last step says: no new finding at all.
    std::fs::remove_file(d.join(old_ps)).unwrap();
    let after = findings(d);
    assert!(new(&after).is_empty(), "new findings: {:#?}", new(&after));
    assert!(!after.iter().any(|f| f.0 == "integration-user-shared"));
    // And the plan has nothing left to split.
    let out = sfpolicy()
        .args(["plan", "--format", "json"])
        .arg(d)
        .output()
        .unwrap();
    let plan: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        plan["plan"]["shared"].as_array().unwrap().len(),
        0,
        "{plan:#?}"
    );
}

/// `args` with its `--user` given another value.
fn with_user<'a>(mut args: Vec<&'a str>, user: &'a str) -> Vec<&'a str> {
    let i = args.iter().position(|a| *a == "--user").unwrap() + 1;
    args[i] = user;
    args
}

/// The `<objectPermissions>` block of `object` in a permission set's text.
fn object_block(ps: &str, object: &str) -> String {
    let at = ps.find(&format!("<object>{object}</object>")).unwrap();
    let start = ps[..at].rfind("<objectPermissions>").unwrap();
    let end = at + ps[at..].find("</objectPermissions>").unwrap();
    ps[start..end].to_string()
}

fn base_args<'a>(system: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![system];
    args.extend(CONTACTS);
    args.extend(extra.iter().copied());
    args
}

#[test]
fn names_that_collide_or_cannot_be_api_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "sfdx-project.json", SFDX);
    assert!(scaffold(d, &base_args("Foo/Bar", &["--objects", "Lead"]))
        .status
        .success());
    // "Foo.Bar" would get Foo_Bar_Integration too: that is Foo/Bar's identity.
    let args = with_user(
        base_args("Foo.Bar", &["--objects", "Lead"]),
        "int_foodot@acme.com",
    );
    let out = scaffold(d, &args);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("belongs to Foo/Bar"), "{err}");
    // Nor may it run as Foo/Bar's user: one user per system.
    let out = scaffold(
        d,
        &base_args("Foo.Bar", &["--objects", "Lead", "--name", "FooDot"]),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("one user per system"));
    // With a name and a user of its own it is fine.
    let args = with_user(
        base_args("Foo.Bar", &["--objects", "Lead", "--name", "FooDot"]),
        "int_foodot@acme.com",
    );
    let out = scaffold(d, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(d
        .join("force-app/main/default/permissionsets/FooDot_Integration.permissionset-meta.xml")
        .exists());
    // No ASCII letters, letters an API name cannot hold, far too long: refused without --name.
    for system in [
        "日本語".to_string(),
        "Zoom Маркето".to_string(),
        "x".repeat(60),
    ] {
        let args = with_user(
            base_args(&system, &["--objects", "Lead"]),
            "int_other@acme.com",
        );
        let out = scaffold(d, &args);
        assert_eq!(out.status.code(), Some(2), "{system}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--name"));
    }
    // A permission set already in the project that the register does not give this system.
    write(
        d,
        "force-app/main/default/permissionsets/Zeta_Integration.permissionset-meta.xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>Zeta integration access</label>\n</PermissionSet>\n",
    );
    let args = with_user(
        base_args("Zeta", &["--objects", "Lead"]),
        "int_zeta@acme.com",
    );
    let out = scaffold(d, &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in the project"));
    std::fs::remove_file(
        d.join("force-app/main/default/permissionsets/Zeta_Integration.permissionset-meta.xml"),
    )
    .unwrap();
    assert_eq!(findings(d), vec![]);
}

#[test]
fn nothing_is_written_when_any_part_fails() {
    // No mailbox for the app's contactEmail: refused before the permission set is written.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sfdx-project.json", SFDX);
    let mut args = base_args("Talkdesk", &["--objects", "Lead"]);
    let i = args
        .iter()
        .position(|a| *a == "support@talkdesk.com")
        .unwrap();
    args[i] = "the vendor";
    let out = scaffold(dir.path(), &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--contact-email"));
    assert!(!dir.path().join("force-app").exists());
    // A register that cannot be appended to (a folder): nothing written either.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sfdx-project.json", SFDX);
    std::fs::create_dir_all(dir.path().join("integrations.toml")).unwrap();
    let out = scaffold(dir.path(), &base_args("Talkdesk", &["--objects", "Lead"]));
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.path().join("force-app").exists());
}

#[test]
fn object_permissions_are_in_metadata_api_order() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "sfdx-project.json", SFDX);
    assert!(scaffold(
        dir.path(),
        &base_args("Talkdesk", &["--objects", "Lead:edit"])
    )
    .status
    .success());
    let ps = read(dir.path(), PS);
    let start = ps.find("<objectPermissions>").unwrap();
    let block = &ps[start..ps.find("</objectPermissions>").unwrap()];
    let tags: Vec<&str> = block
        .lines()
        .skip(1)
        .filter_map(|l| l.trim().strip_prefix('<')?.split('>').next())
        .collect();
    let mut sorted = tags.clone();
    sorted.sort();
    assert_eq!(tags, sorted, "{block}");
    assert_eq!(tags.len(), 7);
}

#[test]
fn from_register_grants_what_the_identity_grants_today_never_more() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "sfdx-project.json", SFDX);
    // The warehouse reads Case and edits Account today; its entry says `both` and is marked
    // shared (the user is used by people too).
    write(
        d,
        "force-app/main/default/permissionsets/Warehouse_Access.permissionset-meta.xml",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>Warehouse access</label>\n    <objectPermissions>\n        <allowCreate>false</allowCreate>\n        <allowDelete>false</allowDelete>\n        <allowEdit>false</allowEdit>\n        <allowRead>true</allowRead>\n        <modifyAllRecords>false</modifyAllRecords>\n        <object>Case</object>\n        <viewAllRecords>false</viewAllRecords>\n    </objectPermissions>\n    <objectPermissions>\n        <allowCreate>false</allowCreate>\n        <allowDelete>true</allowDelete>\n        <allowEdit>true</allowEdit>\n        <allowRead>true</allowRead>\n        <modifyAllRecords>false</modifyAllRecords>\n        <object>Account</object>\n        <viewAllRecords>false</viewAllRecords>\n    </objectPermissions>\n</PermissionSet>\n",
    );
    write(
        d,
        "integrations.toml",
        &entry(
            "Snowflake",
            "int_snowflake@corp.com",
            "auth = \"named-credential\"\npermission-sets = [\"Warehouse_Access\"]\nobjects = [\"Case\", \"Account\"]\nlicense = \"shared\"\nreview-by = \"2027-06-30\"",
        )
        .replace("direction = \"inbound\"", "direction = \"both\""),
    );
    let out = scaffold(d, &["Snowflake", "--from-register"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A user of its own, not the one it shares.
    assert!(
        said.contains("int_snowflake_integration@corp.com"),
        "{said}"
    );
    assert!(said.contains("was int_snowflake@corp.com"), "{said}");
    let ps = read(
        d,
        "force-app/main/default/permissionsets/Snowflake_Integration.permissionset-meta.xml",
    );
    let block = |object: &str| object_block(&ps, object);
    assert!(
        block("Case").contains("<allowEdit>false</allowEdit>"),
        "{ps}"
    );
    assert!(
        block("Case").contains("<allowCreate>false</allowCreate>"),
        "{ps}"
    );
    assert!(
        block("Account").contains("<allowEdit>true</allowEdit>"),
        "{ps}"
    );
    assert!(
        block("Account").contains("<allowDelete>false</allowDelete>"),
        "{ps}"
    );
}

#[test]
fn labels_stay_within_salesforce_limits_and_an_existing_user_is_not_recreated() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "sfdx-project.json", SFDX);
    let long = "Northwind Customer Data Platform Synchronisation Service For EMEA";
    let out = scaffold(
        d,
        &base_args(long, &["--objects", "Lead", "--name", "NW_CDP"]),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("80 characters"));
    assert!(!d.join("force-app").exists());
    // A long owner never makes a description longer than 255 characters.
    let owner = "The Platform Engineering and Integration Operations Team ".repeat(6);
    let mut args = base_args("Talkdesk", &["--objects", "Lead"]);
    let i = args.iter().position(|a| *a == "Telephony team").unwrap();
    args[i] = &owner;
    assert!(scaffold(d, &args).status.success());
    for file in [PS, APP] {
        let text = read(d, file);
        let desc = text
            .split("<description>")
            .nth(1)
            .and_then(|x| x.split("</description>").next())
            .unwrap();
        assert!(desc.chars().count() <= 255, "{file}: {desc}");
    }
    // From the register, with the entry's own user: assign, never "create".
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "sfdx-project.json", SFDX);
    write(
        d,
        "integrations.toml",
        &entry(
            "Gamma",
            "int_gamma@corp.com",
            "auth = \"named-credential\"\npermission-sets = [\"Gamma_Integration\"]\nobjects = [\"Contact\"]",
        ),
    );
    let out = scaffold(d, &["Gamma", "--from-register"]);
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("assign Gamma_Integration to int_gamma@corp.com"),
        "{said}"
    );
    assert!(!said.contains("create the user"), "{said}");
    assert_eq!(findings(d), vec![]);
}
