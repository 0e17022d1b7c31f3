//! The whole pipeline and every built-in policy over generated projects: profiles, permission
//! sets and groups, connected apps, validation rules, custom permissions, a register and a
//! config, with names drawn from a small vocabulary so that they refer to each other, and text
//! that may be anything. Built-in policies must never fail on metadata (a policy error is a
//! crash here), and every report format renders with nothing raw in the human one.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sfpolicy::pipeline;
use sfpolicy::report::{self, ReportInput};
use std::fmt::Write as _;
use std::path::Path;

const NAMES: &[&str] = &[
    "Integration_User",
    "API Only",
    "Admin",
    "Sales",
    "Finance_Sync",
    "Marketing Cloud Integration",
    "Bypass_Validation_Rules",
    "svc-warehouse",
    "Analytics Cloud Integration User",
    "Custom%3A Marketing",
];
const PERMISSIONS: &[&str] = &[
    "ModifyAllData",
    "ViewAllData",
    "ApiEnabled",
    "ApiUserOnly",
    "ManageUsers",
    "AuthorApex",
    "CustomizeApplication",
    "ViewSetup",
    "PasswordNeverExpires",
    "Nonexistent_Perm",
];
const OBJECTS: &[&str] = &["Account", "Contact", "Lead", "Case", "Invoice__c", "User"];
const SCOPES: &[&str] = &[
    "Full",
    "Api",
    "RefreshToken",
    "Web",
    "CustomPermissions",
    "OpenID",
];
const FORMULAS: &[&str] = &[
    "$User.Username = \"etl@acme.test\"",
    "$Profile.Name <> 'Integration User'",
    "NOT($Permission.Bypass_Validation_Rules) &amp;&amp; ISBLANK(Phone)",
    "$User.Id = '005000000000001AAA'",
    "OR($UserRole.Name = \"CEO\", $Setup.Bypass__c.Disable__c)",
    "ISPICKVAL(Status, 'Closed')",
];

#[derive(Arbitrary, Debug)]
struct Text(String);

impl Text {
    /// As element text: XML-escaped unless `raw` (then it may break the file, on purpose).
    fn xml(&self, raw: bool) -> String {
        if raw {
            return self.0.clone();
        }
        self.0
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
}

#[derive(Arbitrary, Debug)]
enum Grant {
    User {
        permission: u8,
        enabled: bool,
    },
    Object {
        object: u8,
        flags: u8,
    },
    Field {
        object: u8,
        field: u8,
        editable: bool,
        readable: bool,
    },
    CustomPermission {
        name: u8,
        enabled: bool,
    },
    App {
        name: u8,
        visible: bool,
    },
}

impl Grant {
    fn xml(&self) -> String {
        let pick = |list: &[&str], i: u8| list[i as usize % list.len()].to_string();
        match self {
            Grant::User { permission, enabled } => format!(
                "<userPermissions><enabled>{enabled}</enabled><name>{}</name></userPermissions>",
                pick(PERMISSIONS, *permission)
            ),
            Grant::Object { object, flags } => {
                let f = |bit: u8| flags & (1 << bit) != 0;
                format!(
                    "<objectPermissions><allowCreate>{}</allowCreate><allowDelete>{}</allowDelete><allowEdit>{}</allowEdit><allowRead>{}</allowRead><modifyAllRecords>{}</modifyAllRecords><object>{}</object><viewAllRecords>{}</viewAllRecords></objectPermissions>",
                    f(0), f(1), f(2), f(3), f(4), pick(OBJECTS, *object), f(5)
                )
            }
            Grant::Field { object, field, editable, readable } => format!(
                "<fieldPermissions><editable>{editable}</editable><field>{}.Field_{field}__c</field><readable>{readable}</readable></fieldPermissions>",
                pick(OBJECTS, *object)
            ),
            Grant::CustomPermission { name, enabled } => format!(
                "<customPermissions><enabled>{enabled}</enabled><name>{}</name></customPermissions>",
                pick(NAMES, *name).replace([' ', '%'], "_")
            ),
            Grant::App { name, visible } => format!(
                "<applicationVisibilities><application>{}</application><visible>{visible}</visible></applicationVisibilities>",
                pick(NAMES, *name).replace([' ', '%'], "_")
            ),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum File {
    Profile {
        name: u8,
        custom: bool,
        license: Text,
        grants: Vec<Grant>,
        raw: bool,
    },
    PermissionSet {
        name: u8,
        label: Text,
        grants: Vec<Grant>,
        raw: bool,
    },
    Group {
        name: u8,
        members: Vec<u8>,
        muting: Option<u8>,
    },
    ConnectedApp {
        name: u8,
        scopes: Vec<u8>,
        run_as: Option<Text>,
        ip: u8,
        contact: Option<Text>,
        raw: bool,
    },
    ValidationRule {
        object: u8,
        name: u8,
        formula: u8,
        extra: Text,
        active: bool,
        raw: bool,
    },
    CustomPermission {
        name: u8,
        label: Text,
    },
    Register(Text),
    Config(Text),
}

fn xml(root: &str, body: &str) -> String {
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n{body}\n</{root}>\n")
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    let _ = std::fs::create_dir_all(path.parent().unwrap());
    let _ = std::fs::write(path, text);
}

const BASE: &str = "force-app/main/default";

fn write_file(root: &Path, file: &File) {
    let pick = |list: &[&str], i: u8| list[i as usize % list.len()].to_string();
    match file {
        File::Profile {
            name,
            custom,
            license,
            grants,
            raw,
        } => {
            let mut body = format!("<custom>{custom}</custom>");
            for g in grants {
                body.push_str(&g.xml());
            }
            let _ = write!(body, "<userLicense>{}</userLicense>", license.xml(*raw));
            write(
                root,
                &format!("{BASE}/profiles/{}.profile-meta.xml", pick(NAMES, *name)),
                &xml("Profile", &body),
            );
        }
        File::PermissionSet {
            name,
            label,
            grants,
            raw,
        } => {
            let mut body = format!("<label>{}</label>", label.xml(*raw));
            for g in grants {
                body.push_str(&g.xml());
            }
            let file = pick(NAMES, *name).replace(' ', "_");
            write(
                root,
                &format!("{BASE}/permissionsets/{file}.permissionset-meta.xml"),
                &xml("PermissionSet", &body),
            );
        }
        File::Group {
            name,
            members,
            muting,
        } => {
            let mut body = format!(
                "<label>{}</label><status>Updated</status>",
                pick(NAMES, *name)
            );
            for m in members {
                let _ = write!(
                    body,
                    "<permissionSets>{}</permissionSets>",
                    pick(NAMES, *m).replace(' ', "_")
                );
            }
            if let Some(m) = muting {
                let _ = write!(
                    body,
                    "<mutingPermissionSets>{}</mutingPermissionSets>",
                    pick(NAMES, *m).replace(' ', "_")
                );
            }
            let file = pick(NAMES, *name).replace(' ', "_");
            write(
                root,
                &format!("{BASE}/permissionsetgroups/{file}.permissionsetgroup-meta.xml"),
                &xml("PermissionSetGroup", &body),
            );
        }
        File::ConnectedApp {
            name,
            scopes,
            run_as,
            ip,
            contact,
            raw,
        } => {
            let mut body = String::new();
            if let Some(c) = contact {
                let _ = write!(body, "<contactEmail>{}</contactEmail>", c.xml(*raw));
            }
            let _ = write!(body, "<label>{}</label><oauthConfig><callbackUrl>https://x.test/cb</callbackUrl><isAdminApproved>{}</isAdminApproved>", pick(NAMES, *name), ip % 2 == 0);
            if let Some(user) = run_as {
                let _ = write!(
                    body,
                    "<oauthClientCredentialUser>{}</oauthClientCredentialUser>",
                    user.xml(*raw)
                );
            }
            for s in scopes {
                let _ = write!(body, "<scopes>{}</scopes>", pick(SCOPES, *s));
            }
            let relax = ["ENFORCE", "BYPASS", "RELAX", "nonsense"][*ip as usize % 4];
            let _ = write!(body, "</oauthConfig><oauthPolicy><ipRelaxation>{relax}</ipRelaxation><refreshTokenPolicy>infinite</refreshTokenPolicy></oauthPolicy>");
            let file = pick(NAMES, *name).replace(' ', "_");
            write(
                root,
                &format!("{BASE}/connectedApps/{file}.connectedApp-meta.xml"),
                &xml("ConnectedApp", &body),
            );
        }
        File::ValidationRule {
            object,
            name,
            formula,
            extra,
            active,
            raw,
        } => {
            let body = format!(
                "<fullName>{n}</fullName><active>{active}</active><errorConditionFormula>{} {}</errorConditionFormula><errorMessage>x</errorMessage>",
                pick(FORMULAS, *formula),
                extra.xml(*raw),
                n = pick(NAMES, *name).replace(' ', "_")
            );
            let rule = pick(NAMES, *name).replace(' ', "_");
            write(
                root,
                &format!(
                    "{BASE}/objects/{}/validationRules/{rule}.validationRule-meta.xml",
                    pick(OBJECTS, *object)
                ),
                &xml("ValidationRule", &body),
            );
        }
        File::CustomPermission { name, label } => {
            let body = format!("<label>{}</label>", label.xml(false));
            let file = pick(NAMES, *name).replace([' ', '%'], "_");
            write(
                root,
                &format!("{BASE}/customPermissions/{file}.customPermission-meta.xml"),
                &xml("CustomPermission", &body),
            );
        }
        File::Register(text) => write(root, "integrations.toml", &text.0),
        File::Config(text) => write(root, "sfpolicy.toml", &text.0),
    }
}

fuzz_target!(|files: Vec<File>| {
    if files.len() > 12 {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let root = dir.path();
    write(
        root,
        "sfdx-project.json",
        r#"{"packageDirectories":[{"path":"force-app","default":true}]}"#,
    );
    for file in &files {
        write_file(root, file);
    }
    let options = pipeline::Options {
        paths: vec![root.to_path_buf()],
        root: Some(root.to_path_buf()),
        ..pipeline::Options::default()
    };
    // A config or register the input wrote may be wrong: that is a tool error, not a crash.
    let Ok(outcome) = pipeline::run(&options) else {
        return;
    };
    for error in &outcome.errors {
        panic!("a built-in policy failed on metadata: {}", error.rendered);
    }
    let rules = outcome.report_rules();
    let input = ReportInput {
        sources: &outcome.analysis.org.sources,
        findings: &outcome.findings,
        files_checked: outcome.files_checked,
        rules,
        fail_on: None,
        errors: &outcome.errors,
    };
    let human = report::human::render(&input, false);
    assert!(
        !human
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "raw control character in the human report"
    );
    for text in [
        report::json::render(&input),
        report::sarif::render(&input),
        report::junit::render(&input),
        report::github::render(&input),
        report::gitlab::render(&input),
    ] {
        assert!(!text.is_empty());
    }
});
