//! The machine formats — SARIF, JUnit, GitHub workflow commands, GitLab Code Quality — rendered
//! from real check runs and from hand-built hostile findings, then parsed back.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};
use serde_json::Value;
use sfpolicy::findings::registry::{Category, RuleInfo};
use sfpolicy::findings::{anchor, Anchor, Finding, Loc, Related, Severity};
use sfpolicy::pipeline::{run, Options, Outcome};
use sfpolicy::report::{github, gitlab, junit, sarif, ReportInput, RuleMeta};
use sfpolicy::source::{SourceDb, SourceFile};
use std::collections::BTreeMap;
use std::path::Path;

const APPS: &str = "force-app/main/default/connectedApps";

const CONNECTED_APP: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>etl@example.com</contactEmail>
    <label>Snow Flake</label>
    <oauthConfig>
        <callbackUrl>https://etl.example.com/callback</callbackUrl>
        <scopes>Full</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>BYPASS</ipRelaxation>
        <refreshTokenPolicy>zero</refreshTokenPolicy>
    </oauthPolicy>
</ConnectedApp>
"#;

/// A project with two connected apps that ask for `Full` and relax IP restrictions, in files whose
/// names hold a space and a non-ASCII letter.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temporary folder");
    std::fs::write(
        dir.path().join("sfdx-project.json"),
        r#"{"packageDirectories": [{"path": "force-app", "default": true}], "namespace": ""}"#,
    )
    .unwrap();
    let apps = dir.path().join(APPS);
    std::fs::create_dir_all(&apps).unwrap();
    std::fs::write(apps.join("Snow Flake.connectedApp-meta.xml"), CONNECTED_APP).unwrap();
    std::fs::write(
        apps.join("Zürich_Sync.connectedApp-meta.xml"),
        CONNECTED_APP.replace("Snow Flake", "Zürich Sync"),
    )
    .unwrap();
    dir
}

fn check(dir: &Path) -> Outcome {
    run(&Options {
        paths: vec![dir.to_path_buf()],
        ..Default::default()
    })
    .expect("the check runs")
}

/// The rules that ran, as the command line describes them to reports.
fn metas(outcome: &Outcome) -> Vec<RuleMeta<'_>> {
    outcome
        .ran
        .iter()
        .map(|id| {
            let info = outcome.registry.get(id).expect("a registered rule");
            RuleMeta {
                info,
                severity: info.severity,
            }
        })
        .collect()
}

fn input(outcome: &Outcome) -> ReportInput<'_> {
    ReportInput {
        errors: &[],
        sources: &outcome.analysis.org.sources,
        findings: &outcome.findings,
        files_checked: outcome.files_checked,
        rules: metas(outcome),
        fail_on: Some(Severity::Error),
    }
}

fn rel(outcome: &Outcome, f: &Finding) -> String {
    outcome.analysis.org.rel(f.loc.file).to_string()
}

/// 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).expect("needle in text")]
        .matches('\n')
        .count()
        + 1
}

// ---------------------------------------------------------------------------------------------
// Hand-built findings in an org the test owns.

struct Hostile {
    _dir: tempfile::TempDir,
    sources: SourceDb,
    rel: String,
}

/// Sources with one file whose relative path holds `,` and `:` (and the text of a small XML file).
fn hostile_org() -> Hostile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.xml");
    let text = "<a>\n  <b>x</b>\n</a>\n";
    std::fs::write(&path, text).unwrap();
    let rel = "force-app/we,ird:name 100%.xml".to_string();
    let mut sources = SourceDb::default();
    sources.add(SourceFile::from_bytes(
        rel.clone(),
        path,
        true,
        text.as_bytes(),
    ));
    Hostile {
        _dir: dir,
        sources,
        rel,
    }
}

fn finding(rule: &str, severity: Severity, message: &str, help: Option<&str>) -> Finding {
    // `<b>x</b>` on line 2, columns 3..11.
    let anchor = Anchor::root("a", "x").child("b", Some(message));
    let mut f = Finding::new(
        rule,
        severity,
        message.into(),
        Loc {
            file: 0,
            start: 6,
            end: 14,
            anchor: anchor.clone(),
        },
    );
    f.help = help.map(str::to_string);
    f.fingerprint = anchor::fingerprint(rule, "x", &anchor);
    f
}

/// A rule the report describes (leaked: tests hold it for their whole run).
fn rule(id: &str, severity: Severity) -> RuleMeta<'static> {
    let info = Box::leak(Box::new(RuleInfo {
        id: id.into(),
        severity,
        category: Category::Security,
        kinds: Vec::new(),
        summary: format!("summary of {id}"),
        docs: format!("# {id}\n\n**What it finds.** Things\nof {id}.\n\n**How to fix.** Don't."),
        options: Vec::new(),
        origin: "test".into(),
        native: false,
    }));
    RuleMeta { info, severity }
}

fn hostile_input<'a>(
    h: &'a Hostile,
    findings: &'a [Finding],
    rules: &[RuleMeta<'static>],
    fail_on: Option<Severity>,
) -> ReportInput<'a> {
    ReportInput {
        errors: &[],
        sources: &h.sources,
        findings,
        files_checked: 1,
        rules: rules.to_vec(),
        fail_on,
    }
}

const HOSTILE_MESSAGE: &str = "100% bad\r\n::error::injected";

// ---------------------------------------------------------------------------------------------
// SARIF

#[test]
fn sarif_has_the_structure_github_code_scanning_accepts() {
    let dir = project();
    let outcome = check(dir.path());
    assert!(!outcome.findings.is_empty());
    let text = sarif::render(&input(&outcome));
    assert!(text.ends_with('\n'));
    let doc: Value = serde_json::from_str(&text).expect("SARIF is JSON");

    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(
        doc["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let runs = doc["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    let root = &run["originalUriBaseIds"]["%SRCROOT%"];
    assert!(root.is_object(), "{run}");
    let root_uri = root["uri"].as_str().expect("the root is absolute here");
    assert!(root_uri.starts_with("file:///") && root_uri.ends_with('/'));

    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "sfpolicy");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    if let Some(uri) = driver.get("informationUri") {
        assert!(uri.as_str().unwrap().starts_with("https://"));
    }

    // One descriptor per rule that ran, in the same order.
    let rules = driver["rules"].as_array().unwrap();
    let metas = metas(&outcome);
    assert_eq!(rules.len(), metas.len());
    for (descriptor, meta) in rules.iter().zip(&metas) {
        let info = meta.info;
        assert_eq!(descriptor["id"], info.id.as_str());
        assert!(descriptor["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert_eq!(
            descriptor["shortDescription"]["text"],
            info.summary.as_str()
        );
        assert!(descriptor["fullDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty() && !t.starts_with('#')));
        assert_eq!(descriptor["help"]["text"], info.docs.as_str());
        assert_eq!(descriptor["help"]["markdown"], info.docs.as_str());
        let help_uri = descriptor["helpUri"].as_str().expect("helpUri");
        assert!(
            help_uri.starts_with("https://")
                && help_uri.ends_with(&format!("docs/rules.md#{}", info.id)),
            "{help_uri}"
        );
        let level = match meta.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        assert_eq!(descriptor["defaultConfiguration"]["level"], level);
        assert_eq!(
            descriptor["properties"]["tags"],
            serde_json::json!([info.category.as_str()])
        );
        if info.category == Category::Security {
            let score: f64 = descriptor["properties"]["security-severity"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((0.0..=10.0).contains(&score));
        } else {
            assert!(descriptor["properties"].get("security-severity").is_none());
        }
    }
    assert!(rules
        .iter()
        .any(|r| r["properties"]["tags"] == serde_json::json!(["correctness"])));
    assert_eq!(run["automationDetails"]["id"], "sfpolicy/");
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));
    let full_scope = rules
        .iter()
        .find(|r| r["id"] == "connected-app-full-scope")
        .expect("the rule ran");
    assert_eq!(full_scope["name"], "ConnectedAppFullScope");
    assert!(full_scope["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("How to fix"));

    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), outcome.findings.len());
    for (result, f) in results.iter().zip(&outcome.findings) {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["ruleId"], f.rule.as_str());
        let level = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        };
        assert_eq!(result["level"], level);
        let message = result["message"]["text"].as_str().unwrap();
        assert!(message.starts_with(&f.message));
        if let Some(help) = &f.help {
            assert!(message.ends_with(&format!(" Help: {help}")), "{message}");
        }
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(
            uri.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'\\' && b != b'#'),
            "{uri}"
        );
        let region = &location["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().unwrap() >= 1, "{key} in {region}");
        }
        assert!(region["endLine"].as_u64() >= region["startLine"].as_u64());
        let fingerprint = result["partialFingerprints"]["sfpolicy/v2"]
            .as_str()
            .unwrap();
        assert_eq!(fingerprint.len(), 16);
        assert!(fingerprint.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    // Each app is flagged for `Full`, at its `<scopes>` line, under a percent-encoded URI.
    let scopes_line = line_of(CONNECTED_APP, "<scopes>Full") as u64;
    for uri in [
        "force-app/main/default/connectedApps/Snow%20Flake.connectedApp-meta.xml",
        "force-app/main/default/connectedApps/Z%C3%BCrich_Sync.connectedApp-meta.xml",
    ] {
        let found: Vec<&Value> = results
            .iter()
            .filter(|r| {
                r["ruleId"] == "connected-app-full-scope"
                    && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri
            })
            .collect();
        assert_eq!(found.len(), 1, "{uri} in {text}");
        let region = &found[0]["locations"][0]["physicalLocation"]["region"];
        assert_eq!(region["startLine"], scopes_line);
        assert_eq!(region["startColumn"], 9);
        assert!(results
            .iter()
            .any(|r| r["ruleId"] == "connected-app-ip-relaxed"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == uri));
    }
    assert!(!text.contains("Snow Flake.connectedApp"));
}

#[test]
fn sarif_fingerprints_and_output_are_stable_across_runs() {
    let dir = project();
    let first = sarif::render(&input(&check(dir.path())));
    let second = sarif::render(&input(&check(dir.path())));
    assert_eq!(first, second);
    let fingerprints = |text: &str| -> Vec<String> {
        let doc: Value = serde_json::from_str(text).unwrap();
        doc["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["sfpolicy/v2"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let a = fingerprints(&first);
    assert!(!a.is_empty());
    assert_eq!(a, fingerprints(&second));

    // An unrelated edit that moves the findings down keeps their fingerprints.
    let file = dir
        .path()
        .join(APPS)
        .join("Snow Flake.connectedApp-meta.xml");
    let moved = CONNECTED_APP.replace(
        "    <label>",
        "    <description>Nightly ETL.</description>\n    <label>",
    );
    std::fs::write(&file, moved).unwrap();
    let third = sarif::render(&input(&check(dir.path())));
    assert_ne!(first, third, "the regions moved");
    let mut before = a.clone();
    let mut after = fingerprints(&third);
    before.sort();
    after.sort();
    assert_eq!(before, after);
}

#[test]
fn sarif_describes_rules_that_findings_name_but_did_not_run_and_related_locations() {
    let h = hostile_org();
    let rules = [
        rule("alpha", Severity::Warning),
        rule("beta", Severity::Info),
    ];
    let mut f = finding("zeta-extra", Severity::Error, "odd", None);
    f.related.push(Related {
        loc: Loc {
            file: 0,
            start: 0,
            end: 3,
            anchor: Anchor::whole_file(),
        },
        message: "declared here".into(),
    });
    let findings = [finding("beta", Severity::Warning, "b", Some("do this")), f];
    let text = sarif::render(&hostile_input(&h, &findings, &rules, Some(Severity::Error)));
    let doc: Value = serde_json::from_str(&text).unwrap();
    let run = &doc["runs"][0];
    let ids: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["alpha", "beta", "zeta-extra"]);
    let results = run["results"].as_array().unwrap();
    assert_eq!(results[0]["ruleIndex"], 1);
    // The finding's own severity, not the rule's default.
    assert_eq!(results[0]["level"], "warning");
    assert_eq!(results[0]["message"]["text"], "b. Help: do this");
    assert_eq!(results[1]["ruleIndex"], 2);
    assert_eq!(results[1]["level"], "error");
    assert_eq!(results[1]["message"]["text"], "odd");

    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "force-app/we%2Cird%3Aname%20100%25.xml"
    );
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 2, "startColumn": 3, "endLine": 2, "endColumn": 11})
    );
    let related = &results[1]["relatedLocations"][0];
    assert_eq!(related["id"], 1);
    assert_eq!(related["message"]["text"], "declared here");
    assert_eq!(related["physicalLocation"]["region"]["startLine"], 1);
    assert!(results[0].get("relatedLocations").is_none());
    // The sources' root is not absolute: the base is described, not located.
    assert!(run["originalUriBaseIds"]["%SRCROOT%"]["description"]["text"].is_string());
}

// ---------------------------------------------------------------------------------------------
// JUnit

type Attributes = BTreeMap<String, String>;

#[derive(Debug, Default)]
struct Suite {
    suites: Vec<Attributes>,
    cases: Vec<Case>,
}

#[derive(Debug, PartialEq)]
struct Case {
    classname: String,
    name: String,
    /// The failure's attributes and text.
    failure: Option<(Attributes, String)>,
}

fn failure_text(suite: &mut Suite) -> &mut String {
    let case = suite.cases.last_mut().expect("a testcase");
    &mut case.failure.as_mut().expect("inside a failure").1
}

/// Parse a JUnit report back with quick-xml, resolving references as any XML reader does.
fn parse_junit(xml: &str) -> Suite {
    let mut reader = Reader::from_str(xml);
    let mut suite = Suite::default();
    let mut in_failure = false;
    let attrs = |tag: &quick_xml::events::BytesStart| -> BTreeMap<String, String> {
        tag.attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                (
                    a.key.as_ref().to_string(),
                    a.normalized_value(XmlVersion::Implicit1_0)
                        .expect("valid attribute value")
                        .into_owned(),
                )
            })
            .collect()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(tag) | Event::Empty(tag) => {
                let a = attrs(&tag);
                match tag.name().as_ref() {
                    "testsuites" | "testsuite" => suite.suites.push(a),
                    "testcase" => suite.cases.push(Case {
                        classname: a["classname"].clone(),
                        name: a["name"].clone(),
                        failure: None,
                    }),
                    "failure" => {
                        let case = suite.cases.last_mut().expect("failure in a testcase");
                        case.failure = Some((a, String::new()));
                        in_failure = true;
                    }
                    "system-out" => {}
                    other => panic!("unexpected element {}", other),
                }
            }
            Event::End(tag) if tag.name().as_ref() == "failure" => in_failure = false,
            Event::Text(text) if in_failure => {
                let text = text.xml_content(XmlVersion::Implicit1_0).into_owned();
                failure_text(&mut suite).push_str(&text);
            }
            Event::GeneralRef(reference) if in_failure => {
                let c = match reference.resolve_char_ref().expect("valid reference") {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&reference)
                        .expect("predefined entity")
                        .to_string(),
                };
                failure_text(&mut suite).push_str(&c);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    suite
}

#[test]
fn junit_has_a_failing_case_per_file_and_rule_and_a_passing_case_per_clean_rule() {
    let dir = project();
    let outcome = check(dir.path());
    let xml = junit::render(&input(&outcome));
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
    let suite = parse_junit(&xml);

    let mut pairs: Vec<(String, String)> = outcome
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (rel(&outcome, f), f.rule.clone()))
        .collect();
    pairs.sort();
    pairs.dedup();
    let clean: Vec<&str> = outcome
        .ran
        .iter()
        .map(|r| r.as_str())
        .filter(|id| !outcome.findings.iter().any(|f| f.rule == *id))
        .collect();
    assert!(!clean.is_empty(), "some rules find nothing here");

    let failing: Vec<(String, String)> = suite
        .cases
        .iter()
        .filter(|c| c.failure.is_some())
        .map(|c| (c.classname.clone(), c.name.clone()))
        .collect();
    assert_eq!(failing, pairs);
    let passing: Vec<(&str, &str)> = suite
        .cases
        .iter()
        .filter(|c| c.failure.is_none() && c.classname == "sfpolicy")
        .map(|c| (c.classname.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        passing,
        clean.iter().map(|id| ("sfpolicy", *id)).collect::<Vec<_>>()
    );

    assert_eq!(suite.suites.len(), 2);
    let testsuite = &suite.suites[1];
    assert_eq!(testsuite["name"], "sfpolicy");
    assert_eq!(testsuite["tests"], suite.cases.len().to_string());
    assert_eq!(testsuite["failures"], pairs.len().to_string());
    assert_eq!(testsuite["errors"], "0");
    assert_eq!(suite.suites[0]["tests"], testsuite["tests"]);

    // The failure lists its findings as file:line:col: severity: message (rule).
    let rel = format!("{APPS}/Snow Flake.connectedApp-meta.xml");
    let case = suite
        .cases
        .iter()
        .find(|c| c.classname == rel && c.name == "connected-app-ip-relaxed")
        .expect("a failing case for the app");
    let (attributes, text) = case.failure.as_ref().unwrap();
    let f = outcome
        .findings
        .iter()
        .find(|f| f.rule == "connected-app-ip-relaxed")
        .unwrap();
    assert_eq!(attributes["type"], f.severity.as_str());
    assert_eq!(attributes["message"], f.message);
    let expected = format!(
        "{rel}:{}:9: {}: {} (connected-app-ip-relaxed)",
        line_of(CONNECTED_APP, "<ipRelaxation>"),
        f.severity,
        f.message
    );
    assert!(text.lines().any(|l| l == expected), "{expected} in {text}");
    // A warning (below --fail-on error) is listed, not failed.
    let full_scope = suite
        .cases
        .iter()
        .find(|c| c.classname == rel && c.name == "connected-app-full-scope")
        .expect("a case for the warning");
    assert!(full_scope.failure.is_none());
    assert!(xml.contains("<system-out>"));
}

#[test]
fn junit_escapes_markup_and_drops_characters_xml_cannot_hold() {
    let h = hostile_org();
    let rules = [rule("alpha", Severity::Error), rule("beta", Severity::Info)];
    let message = "a <b> & \"c\" 'd' ]]> \u{1b}[31mred\u{0}\ttab\r\nnext";
    let findings = [
        finding("alpha", Severity::Warning, message, Some("use <x> & y")),
        finding("alpha", Severity::Error, "second", None),
    ];
    let xml = junit::render(&hostile_input(&h, &findings, &rules, Some(Severity::Info)));
    assert!(!xml.contains('\u{1b}') && !xml.contains('\u{0}'));
    let suite = parse_junit(&xml);
    assert_eq!(suite.cases.len(), 2);
    let Case {
        classname,
        name,
        failure,
    } = &suite.cases[0];
    assert_eq!(classname, &h.rel);
    assert_eq!(name, "alpha");
    let (attributes, text) = failure.as_ref().unwrap();
    // The worst severity of the pair; the first message, exactly, less what XML cannot carry.
    assert_eq!(attributes["type"], "error");
    let clean = "a <b> & \"c\" 'd' ]]> [31mred\ttab\r\nnext";
    assert_eq!(attributes["message"], clean);
    // The text CI tools print into logs keeps each finding on its line, control characters
    // shown escaped.
    let shown = r#"a <b> & "c" 'd' ]]> \u{1b}[31mred\u{0}	tab\r\nnext"#;
    assert!(
        text.starts_with(&format!("{}:2:3: warning: {shown} (alpha)\n", h.rel)),
        "{text}"
    );
    assert!(text.contains("help: use <x> & y\n"));
    assert!(text.contains(&format!("{}:2:3: error: second (alpha)\n", h.rel)));
    assert_eq!(
        suite.cases[1],
        Case {
            classname: "sfpolicy".into(),
            name: "beta".into(),
            failure: None
        }
    );
}

#[test]
fn junit_of_a_clean_run_is_a_suite_of_passes() {
    let sources = SourceDb::default();
    let rules = [rule("alpha", Severity::Error), rule("beta", Severity::Info)];
    let xml = junit::render(&ReportInput {
        errors: &[],
        sources: &sources,
        findings: &[],
        files_checked: 0,
        rules: rules.to_vec(),
        fail_on: Some(Severity::Error),
    });
    let suite = parse_junit(&xml);
    assert_eq!(suite.suites[1]["tests"], "2");
    assert_eq!(suite.suites[1]["failures"], "0");
    assert!(suite
        .cases
        .iter()
        .all(|c| c.classname == "sfpolicy" && c.failure.is_none()));
}

// ---------------------------------------------------------------------------------------------
// GitHub workflow commands

/// A workflow command as the Actions runner reads it: `::name key=value,...::data`, with the
/// runner's unescaping. None when the line is not a command.
fn parse_command(line: &str) -> Option<(String, BTreeMap<String, String>, String)> {
    let rest = line.strip_prefix("::")?;
    let end = rest.find("::")?;
    let (head, data) = (&rest[..end], &rest[end + 2..]);
    let (name, props) = head.split_once(' ').unwrap_or((head, ""));
    let unescape = |s: &str, property: bool| {
        let mut s = s.replace("%0D", "\r").replace("%0A", "\n");
        if property {
            s = s.replace("%3A", ":").replace("%2C", ",");
        }
        s.replace("%25", "%")
    };
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), unescape(v, true))
        })
        .collect();
    Some((name.to_string(), props, unescape(data, false)))
}

#[test]
fn github_commands_escape_hostile_messages_and_file_names() {
    let h = hostile_org();
    let rules = [rule("alpha", Severity::Error)];
    let findings = [
        finding(
            "alpha",
            Severity::Error,
            HOSTILE_MESSAGE,
            Some("fix:\nnow, 50%"),
        ),
        finding("r,x:y::z", Severity::Warning, "w\n::warning::again", None),
        finding("alpha", Severity::Info, "%0A is not a newline", None),
    ];
    let mut input = hostile_input(&h, &findings, &rules, Some(Severity::Error));
    input.files_checked = 7;
    let out = github::render(&input);
    assert!(out.ends_with('\n'));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    let commands: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| l.starts_with("::"))
        .collect();
    assert_eq!(commands, lines[..3], "only the annotations are commands");
    assert!(!out.contains('\r'));

    // Exactly the toolkit's escapes.
    assert_eq!(
        lines[0],
        "::error file=force-app/we%2Cird%3Aname 100%25.xml,line=2,col=3,endLine=2,endColumn=11,\
         title=alpha::100%25 bad%0D%0A::error::injected%0Ahelp: fix:%0Anow, 50%25"
    );
    assert_eq!(
        lines[1],
        "::warning file=force-app/we%2Cird%3Aname 100%25.xml,line=2,col=3,endLine=2,endColumn=11,\
         title=r%2Cx%3Ay%3A%3Az::w%0A::warning::again"
    );
    assert!(lines[2].starts_with("::notice file="));
    assert!(lines[2].ends_with("::%250A is not a newline"));

    // And what the runner reads back is exactly what was meant.
    let (name, props, data) = parse_command(lines[0]).unwrap();
    assert_eq!(name, "error");
    assert_eq!(props["file"], h.rel);
    assert_eq!(props["line"], "2");
    assert_eq!(props["col"], "3");
    assert_eq!(props["endLine"], "2");
    assert_eq!(props["endColumn"], "11");
    assert_eq!(props["title"], "alpha");
    assert_eq!(props.len(), 6);
    assert_eq!(data, format!("{HOSTILE_MESSAGE}\nhelp: fix:\nnow, 50%"));
    let (name, props, data) = parse_command(lines[1]).unwrap();
    assert_eq!(name, "warning");
    assert_eq!(props["title"], "r,x:y::z");
    assert_eq!(data, "w\n::warning::again");
    let (_, _, data) = parse_command(lines[2]).unwrap();
    assert_eq!(data, "%0A is not a newline");

    assert_eq!(
        lines[3],
        "sfpolicy: 3 findings (1 error, 1 warning, 1 info) in 7 files"
    );
    assert!(parse_command(lines[3]).is_none());
}

#[test]
fn github_annotations_for_a_real_run() {
    let dir = project();
    let outcome = check(dir.path());
    let out = github::render(&input(&outcome));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), outcome.findings.len() + 1);
    for (line, f) in lines.iter().zip(&outcome.findings) {
        let (name, props, data) = parse_command(line).expect("a command per finding");
        let expected = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        assert_eq!(name, expected);
        assert_eq!(props["file"], rel(&outcome, f));
        assert_eq!(props["title"], f.rule);
        assert!(data.starts_with(&f.message));
        if let Some(help) = &f.help {
            assert!(data.ends_with(&format!("\nhelp: {help}")));
        }
    }
    let summary = lines.last().unwrap();
    assert!(summary.starts_with(&format!("sfpolicy: {} findings", outcome.findings.len())));

    let sources = SourceDb::default();
    let clean = github::render(&ReportInput {
        errors: &[],
        sources: &sources,
        findings: &[],
        files_checked: 1,
        rules: metas(&outcome),
        fail_on: None,
    });
    assert_eq!(
        clean,
        "sfpolicy: 0 findings (0 errors, 0 warnings, 0 info) in 1 file\n"
    );
}

// ---------------------------------------------------------------------------------------------
// GitLab Code Quality

#[test]
fn gitlab_code_quality_shape_and_severities() {
    let dir = project();
    let outcome = check(dir.path());
    let text = gitlab::render(&input(&outcome));
    assert!(text.ends_with("]\n"));
    let issues: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(issues.len(), outcome.findings.len());
    for (issue, f) in issues.iter().zip(&outcome.findings) {
        let rel = rel(&outcome, f);
        assert_eq!(issue["description"], f.message.as_str());
        assert_eq!(issue["check_name"], f.rule.as_str());
        assert_eq!(issue["fingerprint"], f.fingerprint.as_str());
        assert_eq!(issue["location"]["path"], rel.as_str());
        let begin = issue["location"]["lines"]["begin"].as_u64().unwrap();
        let end = issue["location"]["lines"]["end"].as_u64().unwrap();
        assert!(begin >= 1 && end >= begin);
        assert_eq!(issue["categories"], serde_json::json!(["Security"]));
    }
    let full = issues
        .iter()
        .find(|i| {
            i["check_name"] == "connected-app-full-scope"
                && i["location"]["path"] == format!("{APPS}/Snow Flake.connectedApp-meta.xml")
        })
        .unwrap();
    assert_eq!(
        full["location"]["lines"]["begin"],
        line_of(CONNECTED_APP, "<scopes>Full") as u64
    );

    let h = hostile_org();
    let findings = [
        finding("a", Severity::Error, "e", None),
        finding("a", Severity::Warning, "w", None),
        finding("a", Severity::Info, "i", None),
    ];
    let text = gitlab::render(&hostile_input(&h, &findings, &[], None));
    let issues: Vec<Value> = serde_json::from_str(&text).unwrap();
    let severities: Vec<&str> = issues
        .iter()
        .map(|i| i["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities, ["critical", "major", "info"]);
    assert_eq!(issues[0]["location"]["path"], h.rel.as_str());
    assert_eq!(
        issues[0]["location"]["lines"],
        serde_json::json!({"begin": 2, "end": 2})
    );

    let sources = SourceDb::default();
    let clean = gitlab::render(&ReportInput {
        errors: &[],
        sources: &sources,
        findings: &[],
        files_checked: 0,
        rules: Vec::new(),
        fail_on: None,
    });
    assert_eq!(clean, "[]\n");
}

#[test]
fn every_format_is_available_on_the_command_line_with_output_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/acme-org");
    let dir = tempfile::tempdir().unwrap();
    for format in ["human", "json", "sarif", "junit", "github", "gitlab"] {
        let out = dir.path().join(format!("report.{format}"));
        let status = assert_cmd::Command::cargo_bin("sfpolicy")
            .unwrap()
            .args(["check", "--format", format, "--output"])
            .arg(&out)
            .arg(&root)
            .output()
            .unwrap();
        assert_eq!(status.status.code(), Some(1), "{format}");
        assert!(
            status.stdout.is_empty(),
            "{format}: the report goes to the file"
        );
        let stderr = String::from_utf8_lossy(&status.stderr);
        assert!(
            stderr.starts_with("sfpolicy: ") && stderr.contains(" findings ("),
            "{format}: a one-line summary on standard error: {stderr}"
        );
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("connected-app-ip-relaxed"), "{format}");
    }
}
