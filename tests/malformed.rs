//! Malformed metadata is a located `invalid-metadata` finding, never a crash, and the other files
//! are still checked; valid but unusual XML (BOM, CRLF, CDATA, comments, entities, split tags,
//! odd file names) parses without one.

mod common;

use common::*;
use std::path::Path;

const PROFILES: &str = "force-app/main/default/profiles";

/// Latin-1 bytes where UTF-8 is required: the first bad byte is `\xE4` on line 4, column 23.
fn not_utf8() -> Vec<u8> {
    [
        &b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"[..],
        b"<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n",
        b"    <custom>true</custom>\n",
        b"    <description>Gesch\xE4ftsf\xFChrung</description>\n",
        b"</Profile>\n",
    ]
    .concat()
}

/// The malformed fixture plus the files that cannot be stored as text.
fn malformed_project() -> tempfile::TempDir {
    let dir = copy_fixture("malformed");
    write(
        dir.path().join(PROFILES).join("Not_Utf8.profile-meta.xml"),
        not_utf8(),
    );
    // UTF-16 (little endian, with its BOM): not UTF-8 from the first byte.
    let utf16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain("<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<Profile/>\n".encode_utf16())
        .flat_map(|u| u.to_le_bytes())
        .collect();
    write(
        dir.path().join(PROFILES).join("Utf16.profile-meta.xml"),
        utf16,
    );
    dir
}

/// (file name in profiles/, line, column, text the message must contain)
const EXPECTED_INVALID: &[(&str, u64, u64, &str)] = &[
    // `</userPermission>` closes `<userPermissions>`: the bad end tag starts at 8:5.
    (
        "Mismatched_End_Tag.profile-meta.xml",
        8,
        5,
        "`</userPermission>`",
    ),
    // The file ends inside `<userPermissions>` (5:5), the innermost open element.
    (
        "Unclosed_At_Eof.profile-meta.xml",
        5,
        5,
        "<userPermissions> is never closed",
    ),
    // `    <description>Fish &foo;`: 4 + 13 + 5 characters before the `&`.
    ("Undefined_Entity.profile-meta.xml", 4, 23, "&foo;"),
    // `        <name>&scope;`: the DTD entity is not expanded, 8 + 6 characters before the `&`.
    ("Doctype_Entity.profile-meta.xml", 10, 15, "&scope;"),
    ("Empty.profile-meta.xml", 1, 1, "no root element"),
    // The second `<Profile>` starts line 6.
    ("Two_Roots.profile-meta.xml", 6, 1, "second root element"),
    // `<PermissionSet>` root in a .profile file.
    ("Wrong_Root.profile-meta.xml", 2, 1, "found <PermissionSet>"),
    // `    <description>Gesch` then the byte 0xE4.
    ("Not_Utf8.profile-meta.xml", 4, 23, "not valid UTF-8"),
    ("Utf16.profile-meta.xml", 1, 1, "not valid UTF-8"),
];

#[test]
fn not_utf8_fixture_bytes_are_what_the_expectations_assume() {
    let dir = malformed_project();
    let bytes = std::fs::read(dir.path().join(PROFILES).join("Not_Utf8.profile-meta.xml")).unwrap();
    let line4 = bytes.split(|&b| b == b'\n').nth(3).unwrap();
    assert!(line4.starts_with(b"    <description>Gesch\xE4"));
    assert!(std::str::from_utf8(&bytes).is_err());
}

#[test]
fn each_malformed_file_is_one_located_finding_and_other_files_are_still_checked() {
    let dir = malformed_project();
    let run = check_json(dir.path(), &select(&[INVALID, FULL]));
    run.assert_no_panic();
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report = run.json();

    let invalid = of_rule(&report, INVALID);
    assert_eq!(
        invalid.len(),
        EXPECTED_INVALID.len(),
        "one invalid-metadata finding per bad file: {invalid:#?}"
    );
    for (name, line, column, needle) in EXPECTED_INVALID {
        let file = format!("{PROFILES}/{name}");
        let found: Vec<_> = invalid.iter().filter(|f| f["file"] == file).collect();
        assert_eq!(found.len(), 1, "{file}: {found:#?}");
        let f = found[0];
        assert_eq!(f["severity"], "error", "{file}");
        assert_eq!(
            (f["line"].as_u64(), f["column"].as_u64()),
            (Some(*line), Some(*column)),
            "{file}: {f:#}"
        );
        let message = f["message"].as_str().unwrap();
        assert!(message.contains(needle), "{file}: {message}");
        let start = (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap());
        let end = (
            f["end_line"].as_u64().unwrap(),
            f["end_column"].as_u64().unwrap(),
        );
        assert!(end >= start, "{file}: end {end:?} before start {start:?}");
        assert!(
            f["help"].as_str().is_some_and(|h| !h.is_empty()),
            "{file}: {f:#}"
        );
    }

    // The well-formed file next to them is still read and checked.
    assert_eq!(
        of_rule(&report, FULL)
            .into_iter()
            .map(brief)
            .collect::<Vec<_>>(),
        vec![b(
            "force-app/main/default/connectedApps/Intake_Portal.connectedApp-meta.xml",
            10,
            9,
            FULL,
            "connected app Intake_Portal requests the OAuth scope Full",
        )]
    );
    assert_eq!(findings(&report).len(), EXPECTED_INVALID.len() + 1);
    assert_eq!(files_checked(&report), EXPECTED_INVALID.len() as u64 + 1);
    assert_eq!(
        report["summary"]["error"].as_u64(),
        Some(EXPECTED_INVALID.len() as u64)
    );
    assert_eq!(report["summary"]["warning"].as_u64(), Some(1));
}

fn human_report(dir: &Path) -> Run {
    let run = run_in_check(
        dir,
        &with_select(
            &[INVALID, FULL],
            &["--color", "never", dir.to_str().unwrap()],
        ),
    );
    run.assert_no_panic();
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    run
}

/// The stored fixture (no undecodable bytes): every location of the JSON report is in the human
/// report too.
#[test]
fn malformed_files_in_the_human_report_point_at_the_same_places() {
    let dir = copy_fixture("malformed");
    let run = human_report(dir.path());
    let utf8_cases: Vec<_> = EXPECTED_INVALID
        .iter()
        .filter(|(name, ..)| !name.contains("Utf"))
        .collect();
    assert_eq!(utf8_cases.len(), 7);
    for (name, line, column, _) in &utf8_cases {
        let location = format!("{PROFILES}/{name}:{line}:{column}");
        assert!(
            run.stdout.contains(&location),
            "{location} missing from:\n{}",
            run.stdout
        );
    }
    assert_eq!(run.stdout.matches("error[invalid-metadata]").count(), 7);
    assert!(run
        .stdout
        .contains("force-app/main/default/connectedApps/Intake_Portal.connectedApp-meta.xml:10:9"));
    assert!(
        run.stdout
            .trim_end()
            .ends_with("8 findings (7 errors, 1 warning, 0 info) in 8 files"),
        "{}",
        run.stdout
    );
}

#[test]
fn human_report_survives_files_that_are_not_utf8() {
    let dir = malformed_project();
    let run = human_report(dir.path());
    for (name, line, column, _) in EXPECTED_INVALID {
        let location = format!("{PROFILES}/{name}:{line}:{column}");
        assert!(
            run.stdout.contains(&location),
            "{location} missing from:\n{}",
            run.stdout
        );
    }
}

#[test]
fn invalid_metadata_can_be_ignored_like_any_rule() {
    let dir = malformed_project();
    let run = check_json(
        dir.path(),
        &with_select(&[INVALID, FULL], &["--ignore", INVALID]),
    );
    run.assert_no_panic();
    // Only the warning is left, below the default fail level.
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert!(of_rule(&report, INVALID).is_empty());
    assert_eq!(findings(&report).len(), 1);
}

fn crlf(text: &str) -> String {
    text.replace('\n', "\r\n")
}

const BOM: &str = "\u{FEFF}";

/// The edge-case fixture plus files whose bytes (BOM, CRLF) must not depend on git settings.
fn edge_case_project() -> tempfile::TempDir {
    let dir = copy_fixture("edge-cases");
    let root = dir.path().join("force-app/main/default");
    // BOM and CRLF: `<scopes>Full</scopes>` is on line 9, column 9.
    write(
        root.join("connectedApps/Bom_Crlf.connectedApp-meta.xml"),
        format!(
            "{BOM}{}",
            crlf(&connected_app("BOM and CRLF", &["Api", "Full"], None))
        ),
    );
    write(
        root.join("flows/Crlf_Only.flow-meta.xml"),
        crlf(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Flow xmlns="http://soap.sforce.com/2006/04/metadata">
    <apiVersion>62.0</apiVersion>
    <label>CRLF Only</label>
    <processType>AutoLaunchedFlow</processType>
    <runInMode>SystemModeWithoutSharing</runInMode>
    <status>Active</status>
</Flow>
"#,
        ),
    );
    write(
        root.join("profiles/Bom_Only.profile-meta.xml"),
        format!(
            "{BOM}{}",
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Profile xmlns="http://soap.sforce.com/2006/04/metadata">
    <custom>true</custom>
    <userLicense>Salesforce</userLicense>
</Profile>
"#
        ),
    );
    dir
}

#[test]
fn valid_edge_cases_parse_and_findings_are_exactly_located() {
    let dir = edge_case_project();
    let rules = inventory_rules();
    let run = check_json(
        dir.path(),
        &with_select(
            &[INVALID, FULL, FLOW, INVENTORY],
            &["--rules", rules.to_str().unwrap()],
        ),
    );
    run.assert_no_panic();
    // Warnings and info only.
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let report = run.json();
    assert!(
        of_rule(&report, INVALID).is_empty(),
        "{:#?}",
        of_rule(&report, INVALID)
    );

    let apps = APPS;
    let flows = "force-app/main/default/flows";
    let full = FULL;
    let flow_rule = FLOW;
    let full_msg = |name: &str| format!("connected app {name} requests the OAuth scope Full");
    let mut expected = vec![
        // BOM + CRLF: positions are unchanged by either.
        b(
            &format!("{apps}/Bom_Crlf.connectedApp-meta.xml"),
            2,
            1,
            INVENTORY,
            "ConnectedApp Bom_Crlf [BOM and CRLF]",
        ),
        b(
            &format!("{apps}/Bom_Crlf.connectedApp-meta.xml"),
            9,
            9,
            full,
            &full_msg("Bom_Crlf"),
        ),
        // CDATA in the label and in the scope.
        b(
            &format!("{apps}/Cdata_Scopes.connectedApp-meta.xml"),
            2,
            1,
            INVENTORY,
            "ConnectedApp Cdata_Scopes [Telephony & CTI]",
        ),
        b(
            &format!("{apps}/Cdata_Scopes.connectedApp-meta.xml"),
            8,
            9,
            full,
            &full_msg("Cdata_Scopes"),
        ),
        // A comment before the root and commented-out elements: no finding from the comments.
        b(
            &format!("{apps}/Commented_Out.connectedApp-meta.xml"),
            3,
            1,
            INVENTORY,
            "ConnectedApp Commented_Out [Commented Out]",
        ),
        // Predefined entities and character references, decoded (`&#70;ull` is `Full`).
        b(
            &format!("{apps}/Entities.connectedApp-meta.xml"),
            2,
            1,
            INVENTORY,
            "ConnectedApp Entities [R&D <Sync> \u{2014} \"ERP\"]",
        ),
        b(
            &format!("{apps}/Entities.connectedApp-meta.xml"),
            8,
            9,
            full,
            &full_msg("Entities"),
        ),
        // Prettier's split tags: `<scopes\n            >Full</scopes\n        >`.
        b(
            &format!("{apps}/Prettier_Split.connectedApp-meta.xml"),
            2,
            1,
            INVENTORY,
            "ConnectedApp Prettier_Split [Prettier Formatted]",
        ),
        b(
            &format!("{apps}/Prettier_Split.connectedApp-meta.xml"),
            11,
            9,
            full,
            &full_msg("Prettier_Split"),
        ),
        // `<?xml version='1.0' encoding='UTF-8' ?>`
        b(
            &format!("{apps}/Single_Quoted.connectedApp-meta.xml"),
            2,
            1,
            INVENTORY,
            "ConnectedApp Single_Quoted [Single Quoted]",
        ),
        b(
            &format!("{apps}/Single_Quoted.connectedApp-meta.xml"),
            7,
            9,
            full,
            &full_msg("Single_Quoted"),
        ),
        b(
            &format!("{flows}/Crlf_Only.flow-meta.xml"),
            2,
            1,
            INVENTORY,
            "Flow Crlf_Only [CRLF Only]",
        ),
        b(
            &format!("{flows}/Crlf_Only.flow-meta.xml"),
            6,
            5,
            flow_rule,
            "flow Crlf_Only runs in system mode without sharing",
        ),
        // A DOCTYPE whose entity is declared but never used is harmless.
        b(
            &format!("{flows}/Doctype_Declared.flow-meta.xml"),
            5,
            1,
            INVENTORY,
            "Flow Doctype_Declared [Doctype Declared]",
        ),
        b(
            &format!("{flows}/Doctype_Declared.flow-meta.xml"),
            9,
            5,
            flow_rule,
            "flow Doctype_Declared runs in system mode without sharing",
        ),
        b(
            &format!("{PROFILES}/Bom_Only.profile-meta.xml"),
            2,
            1,
            INVENTORY,
            "Profile Bom_Only [Bom_Only]",
        ),
        // Non-ASCII file name: the name is the file name, the path is reported as is.
        b(
            &format!("{PROFILES}/Gesch\u{e4}ftsf\u{fc}hrung.profile-meta.xml"),
            2,
            1,
            INVENTORY,
            "Profile Gesch\u{e4}ftsf\u{fc}hrung [Gesch\u{e4}ftsf\u{fc}hrung]",
        ),
        // `%2F` in the file name: decoded in the API name, not in the path.
        b(
            &format!("{PROFILES}/Sales%2FService.profile-meta.xml"),
            2,
            1,
            INVENTORY,
            "Profile Sales/Service [Sales/Service]",
        ),
    ];
    let mut actual = briefs(&report);
    expected.sort();
    actual.sort();
    assert_eq!(actual, expected);
    assert_eq!(files_checked(&report), 11);

    // The end of a split element is just after its split end tag: line 13, column 10.
    let split = findings(&report)
        .iter()
        .find(|f| f["rule"] == full && f["file"].as_str().unwrap().contains("Prettier_Split"))
        .unwrap();
    assert_eq!(
        (split["end_line"].as_u64(), split["end_column"].as_u64()),
        (Some(13), Some(10))
    );
    // The end column of a CRLF line does not count the `\r`: `<scopes>Full</scopes>` is 21 wide.
    let bom = findings(&report)
        .iter()
        .find(|f| f["rule"] == full && f["file"].as_str().unwrap().contains("Bom_Crlf"))
        .unwrap();
    assert_eq!(
        (bom["end_line"].as_u64(), bom["end_column"].as_u64()),
        (Some(9), Some(30))
    );
}

/// Line and column of the first occurrence of `needle` in `text`, counted by hand-written rules:
/// characters, 1-based, a BOM is not a column.
fn position_in(text: &str, needle: &str) -> (u64, u64) {
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let at = text.find(needle).expect("needle in text");
    let before = &text[..at];
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..at].chars().count() as u64 + 1;
    (line, column)
}

#[test]
fn bom_does_not_shift_columns_on_the_first_line() {
    // Minified metadata with a BOM: everything is on line 1.
    let app = format!(
        "{BOM}<?xml version=\"1.0\" encoding=\"UTF-8\"?><ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\"><label>Minified</label><oauthConfig><scopes>Full</scopes></oauthConfig></ConnectedApp>"
    );
    let wrong_root = format!(
        "{BOM}<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\"><label>X</label></PermissionSet>"
    );
    let dir = project(&[
        (
            "force-app/main/default/connectedApps/Minified.connectedApp-meta.xml",
            &app,
        ),
        (
            "force-app/main/default/profiles/Minified.profile-meta.xml",
            &wrong_root,
        ),
    ]);
    let run = check_json(dir.path(), &select(&[INVALID, FULL]));
    run.assert_no_panic();
    let report = run.json();
    let scope = of_rule(&report, FULL);
    assert_eq!(scope.len(), 1);
    // Hand count: 38 (declaration) + 62 (root start tag) + 23 + 13 characters before `<scopes>`.
    assert_eq!(position_in(&app, "<scopes>"), (1, 137));
    assert_eq!(
        (scope[0]["line"].as_u64(), scope[0]["column"].as_u64()),
        (Some(1), Some(137))
    );
    let invalid = of_rule(&report, INVALID);
    assert_eq!(invalid.len(), 1);
    assert_eq!(
        (invalid[0]["line"].as_u64(), invalid[0]["column"].as_u64()),
        (Some(1), Some(1))
    );
}

fn single_invalid(dir: &Path) -> serde_json::Value {
    let run = check_json(dir, &select(&[INVALID]));
    run.assert_no_panic();
    assert_eq!(run.code, 1, "stderr:\n{}", run.stderr);
    let report = run.json();
    let invalid = of_rule(&report, INVALID);
    assert_eq!(invalid.len(), 1, "{invalid:#?}");
    invalid[0].clone()
}

fn one_profile(name: &str, text: &str) -> tempfile::TempDir {
    project(&[(
        &format!("force-app/main/default/profiles/{name}.profile-meta.xml"),
        text,
    )])
}

const PROFILE_START: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n";

#[test]
fn unescaped_less_than_in_a_formula_is_located_where_it_is() {
    let dir = one_profile(
        "Bare_Lt",
        &format!("{PROFILE_START}<description>IF(a < b, 1, 0)</description>\n</Profile>\n"),
    );
    let f = single_invalid(dir.path());
    // `<description>IF(a ` is 18 characters: the stray `<` is at 3:19.
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(3), Some(19)),
        "{f:#}"
    );
}

#[test]
fn unescaped_not_equal_operator_is_located_where_it_is() {
    // `<>` is the formula not-equal operator, easy to type unescaped by hand.
    let dir = one_profile(
        "Not_Equal",
        &format!("{PROFILE_START}<description>Amount <> 0</description>\n</Profile>\n"),
    );
    let f = single_invalid(dir.path());
    // `<description>Amount ` is 20 characters: the stray `<>` is at 3:21.
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(3), Some(21)),
        "{f:#}"
    );
}

#[test]
fn text_after_the_root_is_located_at_the_text() {
    let dir = one_profile(
        "Trailing",
        &format!("{PROFILE_START}</Profile>\ntrailing garbage\n"),
    );
    let f = single_invalid(dir.path());
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(4), Some(1)),
        "{f:#}"
    );
}

#[test]
fn duplicate_attribute_is_invalid_metadata() {
    let dir = one_profile(
        "Duplicate_Attribute",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\" xmlns=\"urn:other\">\n\
</Profile>\n",
    );
    let f = single_invalid(dir.path());
    assert_eq!(f["line"].as_u64(), Some(2), "{f:#}");
    assert!(
        f["message"].as_str().unwrap().contains("duplicate"),
        "{f:#}"
    );
}

#[test]
fn undefined_entity_in_an_attribute_is_invalid_metadata() {
    let dir = one_profile(
        "Attribute_Entity",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<Profile xmlns=\"&foo;\">\n\
</Profile>\n",
    );
    let f = single_invalid(dir.path());
    assert_eq!(f["line"].as_u64(), Some(2), "{f:#}");
}
