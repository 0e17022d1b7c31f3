//! The query and location API of issue 12: `select`, `descendants`, `flag_location`, external
//! credential principals in effective permissions, and decomposed permission sets read whole.

mod common;

use common::*;

const PS: &str = "force-app/main/default/permissionsets";

fn ps(name: &str, body: &str) -> (String, String) {
    (
        format!("{PS}/{name}.permissionset-meta.xml"),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n{body}    <label>{name}</label>\n</PermissionSet>\n"
        ),
    )
}

/// Runs `policy` (a `check(c)` over permission sets) on `files`; returns the JSON report or the
/// stderr of a failed run.
fn run_policy(files: &[(String, String)], body: &str) -> Result<serde_json::Value, String> {
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let dir = project(&refs);
    let rules = tempfile::tempdir().unwrap();
    write(
        rules.path().join("probe.rhai"),
        format!(
            "//! Probe.\nconst RULE = #{{ id: \"probe\", severity: \"info\", kinds: [\"PermissionSet\", \"PermissionSetGroup\"], summary: \"x\" }};\n{body}\n"
        ),
    );
    let run = check_json(
        dir.path(),
        &[
            "--rules",
            rules.path().to_str().unwrap(),
            "--select",
            "probe",
        ],
    );
    if run.code == 2 {
        return Err(run.stderr);
    }
    Ok(run.json())
}

fn messages(report: &serde_json::Value) -> Vec<(String, u64, String)> {
    findings(report)
        .iter()
        .map(|f| {
            (
                f["file"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const FLOWS: &str = "    <flowAccesses>\n        <enabled>true</enabled>\n        <flow>A_Flow</flow>\n    </flowAccesses>\n    <flowAccesses>\n        <enabled>false</enabled>\n        <flow>B_Flow</flow>\n    </flowAccesses>\n";

#[test]
fn select_follows_steps_and_conditions() {
    let report = run_policy(
        &[ps("Flows", FLOWS)],
        r#"fn check(c) {
    for f in c.select("flowAccesses[enabled=true]/flow") { report(f, `enabled ${f.text}`); }
    for f in c.select("flowAccesses[enabled]/*") { if f.tag == "flow" { report(f, `any ${f.text}`); } }
    report(c, `descendants ${c.descendants("flow").len()}, none ${c.select("flowAccesses[enabled=maybe]").len()}`);
}"#,
    )
    .unwrap();
    assert_eq!(
        messages(&report),
        [
            (
                "Flows.permissionset-meta.xml".to_string(),
                2,
                "descendants 2, none 0".to_string()
            ),
            (
                "Flows.permissionset-meta.xml".to_string(),
                5,
                "any A_Flow".to_string()
            ),
            (
                "Flows.permissionset-meta.xml".to_string(),
                5,
                "enabled A_Flow".to_string()
            ),
            (
                "Flows.permissionset-meta.xml".to_string(),
                9,
                "any B_Flow".to_string()
            ),
        ]
    );
}

#[test]
fn select_paths_are_checked() {
    let typo = run_policy(
        &[ps("Flows", FLOWS)],
        r#"fn check(c) { c.select("flowAccesess/flow"); }"#,
    )
    .unwrap_err();
    assert!(
        typo.contains("has no property `flowAccesess`; did you mean `flowAccesses`?"),
        "{typo}"
    );
    let condition = run_policy(
        &[ps("Flows", FLOWS)],
        r#"fn check(c) { c.select("flowAccesses[enabld=true]/flow"); }"#,
    )
    .unwrap_err();
    assert!(condition.contains("did you mean `enabled`?"), "{condition}");
    let syntax = run_policy(
        &[ps("Flows", FLOWS)],
        r#"fn check(c) { c.select("flowAccesses[enabled=true/flow"); }"#,
    )
    .unwrap_err();
    assert!(
        syntax.contains("a `[` without its `]` (a path is steps like `a/b[c=value]/d`"),
        "{syntax}"
    );
}

#[test]
fn flag_locations_point_at_the_granting_element() {
    let body = "    <fieldPermissions>\n        <editable>true</editable>\n        <field>Contact.Email</field>\n        <readable>false</readable>\n    </fieldPermissions>\n    <objectPermissions>\n        <allowCreate>true</allowCreate>\n        <allowDelete>false</allowDelete>\n        <allowEdit>false</allowEdit>\n        <allowRead>false</allowRead>\n        <modifyAllRecords>false</modifyAllRecords>\n        <object>Contact</object>\n        <viewAllRecords>false</viewAllRecords>\n    </objectPermissions>\n";
    let report = run_policy(
        &[ps("Grants", body)],
        r#"fn check(c) {}
fn check_org(org) {
    let c = org.find("PermissionSet", "Grants");
    let p = org.effective_permissions(c);
    let f = p.field_permissions[0];
    report(f.flag_location("readable"), "read comes from edit");
    let o = p.object_permissions[0];
    report(o.flag_location("read"), "read comes from create");
    report(c, `delete: ${o.flag_location("delete") == ()}`);
}"#,
    )
    .unwrap();
    assert_eq!(
        messages(&report),
        [
            (
                "Grants.permissionset-meta.xml".to_string(),
                2,
                "delete: true".to_string()
            ),
            (
                "Grants.permissionset-meta.xml".to_string(),
                4,
                "read comes from edit".to_string()
            ),
            (
                "Grants.permissionset-meta.xml".to_string(),
                9,
                "read comes from create".to_string()
            ),
        ]
    );
    let unknown = run_policy(
        &[ps("Grants", body)],
        r#"fn check(c) {}
fn check_org(org) { org.effective_permissions(org.find("PermissionSet", "Grants")).object_permissions[0].flag_location("delet"); }"#,
    )
    .unwrap_err();
    assert!(
        unknown.contains("no flag `delet`; did you mean `delete`?"),
        "{unknown}"
    );
}

#[test]
fn external_credential_principals_arrive_through_groups() {
    let principal = "    <externalCredentialPrincipalAccesses>\n        <enabled>true</enabled>\n        <externalCredentialPrincipal>Warehouse-Service_Account</externalCredentialPrincipal>\n    </externalCredentialPrincipalAccesses>\n";
    let group = (
        "force-app/main/default/permissionsetgroups/Sync.permissionsetgroup-meta.xml".to_string(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSetGroup xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <label>Sync</label>\n    <permissionSets>Callouts</permissionSets>\n</PermissionSetGroup>\n".to_string(),
    );
    let report = run_policy(
        &[ps("Callouts", principal), group],
        r#"fn check(c) {}
fn check_org(org) {
    let g = org.find("PermissionSetGroup", "Sync");
    for p in org.effective_permissions(g).external_credential_principals {
        report(p.flag_location("enabled"), `${p.name} via ${p.via}`);
    }
}"#,
    )
    .unwrap();
    assert_eq!(
        messages(&report),
        [(
            "Callouts.permissionset-meta.xml".to_string(),
            4,
            "Warehouse-Service_Account via Callouts".to_string()
        )]
    );
}

#[test]
fn a_decomposed_permission_set_is_read_whole() {
    // The set's own file and a part (`decomposePermissionSetBeta2`): properties read both.
    let own = ps("Split", "    <description>Owner: data team</description>\n");
    let own = (format!("{PS}/Split/Split.permissionset-meta.xml"), own.1);
    let part = (
        format!("{PS}/Split/Split.userPermission-meta.xml"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <userPermissions>\n        <enabled>true</enabled>\n        <name>ApiEnabled</name>\n    </userPermissions>\n</PermissionSet>\n".to_string(),
    );
    let report = run_policy(
        &[own, part],
        r#"fn check(c) {
    for u in c.userPermissions { report(u, `${u.text_of("name")} (${c.description.text})`); }
    report(c, `has ${c.has("userPermissions")}, select ${c.select("userPermissions[enabled=true]/name").len()}`);
}"#,
    )
    .unwrap();
    assert_eq!(
        messages(&report),
        [
            (
                "Split.permissionset-meta.xml".to_string(),
                2,
                "has true, select 1".to_string()
            ),
            (
                "Split.userPermission-meta.xml".to_string(),
                3,
                "ApiEnabled (Owner: data team)".to_string()
            ),
        ]
    );
}

const REGISTER: &str = r#"edition = "enterprise"

[[integration]]
system = "Talkdesk"
user = "int_talkdesk@acme.example"

[integration.extra]
cost-center = "CC-4410"
data-classification = ["PII", "call recordings"]
vendor-managed = true
"#;

#[test]
fn teams_keep_their_own_register_keys_under_extra() {
    let dir = project(&[("integrations.toml", REGISTER)]);
    let rules = tempfile::tempdir().unwrap();
    write(
        rules.path().join("extra.rhai"),
        r#"//! Probe.
const RULE = #{ id: "extra-probe", severity: "info", summary: "x" };
fn check_org(org) {
    for e in org.register.entries {
        let cc = e.extra("cost-center");
        report(cc, `${e.system}: ${e.extra_keys}, ${cc.text}, ${e.extra("data-classification").text}, ${e.extra("vendor-managed").text}, ${e.extra("nothing") == ()}`);
    }
}
"#,
    );
    let run = check_json(
        dir.path(),
        &[
            "--rules",
            rules.path().to_str().unwrap(),
            "--select",
            "extra-probe",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        briefs(&run.json()),
        [b(
            "integrations.toml",
            8,
            15,
            "extra-probe",
            r#"Talkdesk: ["cost-center", "data-classification", "vendor-managed"], CC-4410, PII, call recordings, true, true"#
        )]
    );

    // Flat values only: a table under extra is a located error.
    let nested = REGISTER.replace("vendor-managed = true", "vendor = { managed = true }");
    let dir = project(&[("integrations.toml", nested.as_str())]);
    let run = check_json(dir.path(), &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("integrations.toml:10:10"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("`extra.vendor` must be a string, number, boolean, date or list of strings"),
        "{}",
        run.stderr
    );
}

#[test]
fn mentions_takes_one_string_or_several() {
    let report = run_policy(
        &[ps("Flows", FLOWS)],
        r#"fn check(c) {
    let flow = c.flowAccesses[0];
    report(c, `${c.mentions(["zz", "B_FLOW"])} ${c.mentions(["zz", "yy"])} ${c.mentions([])} ${c.mentions("a_flow")}`);
    report(flow, `${flow.mentions(["b_flow", "A_"])} ${flow.mentions(["b_flow"])}`);
}"#,
    )
    .unwrap();
    let got: Vec<String> = messages(&report).into_iter().map(|m| m.2).collect();
    assert_eq!(got, ["true false false true", "true false"]);
    let wrong = run_policy(
        &[ps("Flows", FLOWS)],
        r#"fn check(c) { c.mentions(["a", 1]); }"#,
    )
    .unwrap_err();
    assert!(
        wrong.contains("mentions() takes a string or an array of strings, and the array holds i64"),
        "{wrong}"
    );
}
