//! Small metadata files written for tests: each function returns (path, contents) for an sfdx
//! project, so a test builds exactly the org it needs.

pub const BASE: &str = "force-app/main/default";

pub type File = (String, String);

pub fn sfdx_project() -> File {
    (
        "sfdx-project.json".into(),
        r#"{"packageDirectories":[{"path":"force-app","default":true}]}"#.into(),
    )
}

/// A connected app; `extra` goes inside `<oauthConfig>`, `policy` inside `<oauthPolicy>`.
pub fn connected_app(name: &str, contact: bool, oauth: &str, policy: &str) -> File {
    let contact = if contact {
        "    <contactEmail>team@acme.test</contactEmail>\n"
    } else {
        ""
    };
    (
        format!("{BASE}/connectedApps/{name}.connectedApp-meta.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
{contact}    <label>{name}</label>
    <oauthConfig>
        <callbackUrl>https://{name}.example.com/cb</callbackUrl>
{oauth}
    </oauthConfig>
    <oauthPolicy>
{policy}
    </oauthPolicy>
</ConnectedApp>
"#
        ),
    )
}

/// A well-behaved connected app with a client-credentials run-as user.
pub fn app_running_as(name: &str, user: &str) -> File {
    connected_app(
        name,
        true,
        &format!(
            "        <isAdminApproved>true</isAdminApproved>\n        <oauthClientCredentialUser>{user}</oauthClientCredentialUser>\n        <scopes>Api</scopes>"
        ),
        "        <ipRelaxation>ENFORCE</ipRelaxation>\n        <refreshTokenPolicy>specific_inactivity:30:DAYS</refreshTokenPolicy>",
    )
}

pub fn permission_set(name: &str, label: &str, body: &str) -> File {
    (
        format!("{BASE}/permissionsets/{name}.permissionset-meta.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
    <hasActivationRequired>false</hasActivationRequired>
    <label>{label}</label>
{body}
</PermissionSet>
"#
        ),
    )
}

pub fn permission_set_group(name: &str, members: &[&str]) -> File {
    let members: String = members
        .iter()
        .map(|m| format!("    <permissionSets>{m}</permissionSets>\n"))
        .collect();
    (
        format!("{BASE}/permissionsetgroups/{name}.permissionsetgroup-meta.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<PermissionSetGroup xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>{name}</label>
{members}    <status>Updated</status>
</PermissionSetGroup>
"#
        ),
    )
}

pub fn profile(name: &str, body: &str) -> File {
    (
        format!("{BASE}/profiles/{name}.profile-meta.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>true</custom>
{body}
    <userLicense>Salesforce</userLicense>
</Profile>
"#
        ),
    )
}

pub fn user_permission(name: &str) -> String {
    format!(
        "    <userPermissions>\n        <enabled>true</enabled>\n        <name>{name}</name>\n    </userPermissions>"
    )
}

pub fn object_permission(object: &str, delete: bool) -> String {
    format!(
        "    <objectPermissions>\n        <allowCreate>true</allowCreate>\n        <allowDelete>{delete}</allowDelete>\n        <allowEdit>true</allowEdit>\n        <allowRead>true</allowRead>\n        <modifyAllRecords>false</modifyAllRecords>\n        <object>{object}</object>\n        <viewAllRecords>false</viewAllRecords>\n    </objectPermissions>"
    )
}

pub fn editable_fields(object: &str, count: usize) -> String {
    (0..count)
        .map(|i| {
            format!(
                "    <fieldPermissions>\n        <editable>true</editable>\n        <field>{object}.Field_{i}__c</field>\n        <readable>true</readable>\n    </fieldPermissions>"
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn validation_rule(object: &str, name: &str, formula: &str) -> File {
    (
        format!("{BASE}/objects/{object}/validationRules/{name}.validationRule-meta.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ValidationRule xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>{name}</fullName>
    <active>true</active>
    <errorConditionFormula>{formula}</errorConditionFormula>
    <errorMessage>Not allowed.</errorMessage>
</ValidationRule>
"#
        ),
    )
}

pub fn custom_permission(name: &str) -> File {
    (
        format!("{BASE}/customPermissions/{name}.customPermission-meta.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<CustomPermission xmlns="http://soap.sforce.com/2006/04/metadata">
    <isLicensed>false</isLicensed>
    <label>{name}</label>
</CustomPermission>
"#
        ),
    )
}

/// A decision testing `$User.Username` against a literal.
pub fn username_decision(name: &str, user: &str) -> String {
    format!(
        r#"    <decisions>
        <name>{name}</name>
        <label>{name}</label>
        <locationX>0</locationX>
        <locationY>0</locationY>
        <rules>
            <name>{name}_Rule</name>
            <conditionLogic>and</conditionLogic>
            <conditions>
                <leftValueReference>$User.Username</leftValueReference>
                <operator>EqualTo</operator>
                <rightValue>
                    <stringValue>{user}</stringValue>
                </rightValue>
            </conditions>
            <label>{name}</label>
        </rules>
    </decisions>"#
    )
}

pub fn flow(name: &str, run_in_mode: Option<&str>, body: &str) -> File {
    let mode = run_in_mode
        .map(|m| format!("    <runInMode>{m}</runInMode>\n"))
        .unwrap_or_default();
    (
        format!("{BASE}/flows/{name}.flow-meta.xml"),
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    <apiVersion>60.0</apiVersion>
{body}
    <label>{name}</label>
    <processType>AutoLaunchedFlow</processType>
{mode}    <status>Active</status>
</Flow>
"#
        ),
    )
}

/// One complete `[[integration]]` entry.
pub fn register_entry(system: &str, user: &str, permission_set: &str, objects: &[&str]) -> String {
    let objects: Vec<String> = objects.iter().map(|o| format!("\"{o}\"")).collect();
    format!(
        r##"
[[integration]]
system = "{system}"
user = "{user}"
owner = "{system} owners"
support-contact = "support@{system}.com"
auth = "named-credential"
permission-sets = ["{permission_set}"]
objects = [{}]
direction = "inbound"
frequency = "real-time"
retry = "3 attempts"
error-owner = "{system} owners"
alerts = "#{system}-alerts"
offboarding = "Deactivate the user"
"##,
        objects.join(", ")
    )
}

/// Write files under `root`.
pub fn write_all(root: &std::path::Path, files: &[File]) {
    for (path, contents) in files {
        super::write(root.join(path), contents);
    }
}
