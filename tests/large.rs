//! Deep nesting and large files: no stack overflow, no crash, every element still read.

mod common;

use common::*;
use std::fmt::Write as _;
use std::time::Instant;

const DEPTH: usize = 100_000;

const FLOW_START: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<Flow xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n";

/// A flow with `<decisions>` nested `DEPTH` deep on line 4, closed or not.
fn deep_flow(closed: bool) -> String {
    let mut xml = String::with_capacity(DEPTH * 24 + 200);
    xml.push_str(FLOW_START);
    xml.push_str("    <runInMode>SystemModeWithoutSharing</runInMode>\n");
    for _ in 0..DEPTH {
        xml.push_str("<decisions>");
    }
    if closed {
        for _ in 0..DEPTH {
            xml.push_str("</decisions>");
        }
        xml.push_str("\n</Flow>\n");
    }
    xml
}

#[test]
fn hundred_thousand_deep_nesting_does_not_crash() {
    let dir = project(&[
        (
            "force-app/main/default/flows/Deep.flow-meta.xml",
            &deep_flow(true),
        ),
        (
            "force-app/main/default/flows/Deep_Unclosed.flow-meta.xml",
            &deep_flow(false),
        ),
    ]);
    let rules = inventory_rules();
    let run = check_json(
        dir.path(),
        &with_select(
            &[INVALID, FLOW, INVENTORY],
            &["--rules", rules.to_str().unwrap()],
        ),
    );
    run.assert_no_panic();
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}; stderr:\n{}",
        run.code,
        run.stderr
    );
    let report = run.json();
    assert_eq!(files_checked(&report), 2);
    let deep = "force-app/main/default/flows/Deep.flow-meta.xml";
    let unclosed = "force-app/main/default/flows/Deep_Unclosed.flow-meta.xml";
    // The innermost `<decisions>` is never closed: it starts after DEPTH - 1 others on line 4.
    let innermost_column = (DEPTH as u64 - 1) * "<decisions>".len() as u64 + 1;
    let mut actual = briefs(&report);
    actual.sort();
    assert_eq!(
        actual,
        vec![
            b(deep, 2, 1, INVENTORY, "Flow Deep [Deep]"),
            b(
                deep,
                3,
                5,
                FLOW,
                "flow Deep runs in system mode without sharing"
            ),
            b(
                unclosed,
                4,
                innermost_column,
                INVALID,
                "element <decisions> is never closed (the file ends first)"
            ),
        ]
    );
}

/// A permission set of about 100 MB: `n` field permissions.
fn huge_permission_set(target_bytes: usize) -> (String, usize) {
    let mut xml = String::with_capacity(target_bytes + 4096);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml.push_str("<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n");
    let mut n = 0;
    while xml.len() < target_bytes {
        write!(
            xml,
            "    <fieldPermissions>\n        <editable>true</editable>\n        <field>Object_{n:06}__c.Field_{n:06}__c</field>\n        <readable>true</readable>\n    </fieldPermissions>\n"
        )
        .unwrap();
        n += 1;
    }
    xml.push_str("    <hasActivationRequired>false</hasActivationRequired>\n");
    xml.push_str("    <label>Huge</label>\n");
    xml.push_str("</PermissionSet>\n");
    (xml, n)
}

/// Reports the number of field permissions, at the last one.
const COUNT_POLICY: &str = r#"//! Test helper: counts field permissions.

const RULE = #{
    id: "count-field-permissions",
    severity: "info",
    kinds: ["PermissionSet"],
    summary: "reports how many field permissions a permission set grants",
};

fn check(ps) {
    let grants = ps.fieldPermissions;
    let last = grants[grants.len() - 1];
    report(last, `${ps.name}: ${grants.len()} field permissions, last ${last.field.text}`);
}
"#;

/// Measured in debug mode: about 11 s for the run (the limit for `#[ignore]` is 20 s).
#[test]
fn hundred_megabyte_permission_set_is_processed() {
    let (xml, n) = huge_permission_set(100_000_000);
    assert!(xml.len() >= 100_000_000);
    let dir = project(&[(
        "force-app/main/default/permissionsets/Huge.permissionset-meta.xml",
        &xml,
    )]);
    drop(xml);
    let rules = tempfile::tempdir().unwrap();
    write(rules.path().join("count.rhai"), COUNT_POLICY);

    let started = Instant::now();
    let run = check_json(
        dir.path(),
        &with_select(
            &[INVALID, "count-field-permissions"],
            &["--rules", rules.path().to_str().unwrap()],
        ),
    );
    let elapsed = started.elapsed();
    eprintln!("100 MB permission set checked in {elapsed:?}");
    run.assert_no_panic();
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert!(of_rule(&report, INVALID).is_empty());
    assert_eq!(files_checked(&report), 1);
    // Each grant is 5 lines after the 2 header lines: the last one starts on 2 + 5 (n - 1) + 1.
    let last_line = 2 + 5 * (n as u64 - 1) + 1;
    assert_eq!(
        briefs(&report),
        vec![b(
            "force-app/main/default/permissionsets/Huge.permissionset-meta.xml",
            last_line,
            5,
            "count-field-permissions",
            &format!(
                "Huge: {n} field permissions, last Object_{0:06}__c.Field_{0:06}__c",
                n - 1
            )
        )]
    );
}
