//! Output that cannot inject: text from metadata, file names and scripts never reaches a
//! terminal or a CI log raw, and never starts a line of its own — so it can neither paint the
//! terminal nor run a GitHub workflow command (`::error`, `::add-mask::`, legacy `##[...]`).

use super::{run, Raw};
use crate::common::{write, SFDX_PROJECT};
use std::path::Path;

const APPS: &str = "force-app/main/default/connectedApps";

/// A connected app requesting the `Full` scope (so a built-in rule reports it, naming the app),
/// whose label carries `label` (XML-escaped by the caller).
fn app(label: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n\
         \x20   <contactEmail>team@acme.test</contactEmail>\n\
         \x20   <label>{label}</label>\n\
         \x20   <oauthConfig>\n\
         \x20       <callbackUrl>https://acme.test/cb</callbackUrl>\n\
         \x20       <scopes>Full</scopes>\n\
         \x20   </oauthConfig>\n\
         </ConnectedApp>\n"
    )
}

/// Newlines, CR, ESC (as far as XML lets it in), BEL, DEL, C1 CSI and a right-to-left override,
/// each followed by a would-be workflow command.
const HOSTILE_LABEL: &str = "Intake&#10;::error file=.github/workflows/ci.yml,line=1::pwned\
    &#10;::add-mask::secret&#13;::warning::cr&#10;##[error]legacy\
    &#x7f;del&#x9b;31mcsi&#x202e;rlo&#10;  ::notice::indented";

/// The custom policy that quotes the label in its message and help (policies often quote
/// metadata text).
const ECHO_POLICY: &str = r#"//! Test policy: quotes each connected app's label.

const RULE = #{
    id: "echo-label",
    severity: "warning",
    kinds: ["ConnectedApp"],
    summary: "quotes the label",
};

fn check(app) {
    let label = app.child("label");
    if label != () {
        report(label, `label is ${label.text}`, `help quotes it too: ${label.text}`);
    }
}
"#;

/// A project full of hostile text: in element text, in percent-encoded and raw file names, raw
/// control bytes in a file, and a binary file named like metadata.
fn hostile_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root.join("sfdx-project.json"), SFDX_PROJECT);
    write(
        root.join(APPS).join("Label.connectedApp-meta.xml"),
        app(HOSTILE_LABEL),
    );
    // `%0A` decodes to a newline in the component name; `%1B` to ESC.
    write(
        root.join(APPS)
            .join("Evil%0A::error file=x::pwned%1B[2J%07.connectedApp-meta.xml"),
        app("Evil"),
    );
    // A name with a raw newline, ESC and BEL in it (Linux allows every byte but `/` and NUL).
    write(
        root.join(APPS)
            .join("Raw\n::warning::raw\x1b]0;title\x07.connectedApp-meta.xml"),
        app("Raw"),
    );
    // Raw ESC and BEL in element text: not XML 1.0, so invalid-metadata, whose report quotes
    // the line.
    write(
        root.join(APPS).join("Ctl.connectedApp-meta.xml"),
        app("x\x1b[2J\x1b]0;pwned\x07y").into_bytes(),
    );
    // A binary file named like a profile.
    let mut elf =
        b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00".to_vec();
    elf.extend_from_slice(b"\n::error::from-binary\x1b[31m\n");
    elf.extend((0u8..=255).cycle().take(2048));
    write(
        root.join("force-app/main/default/profiles/Elf.profile-meta.xml"),
        elf,
    );
    write(root.join("policies/echo-label.rhai"), ECHO_POLICY);
    dir
}

fn check(root: &Path, format: &str, extra: &[&str]) -> Raw {
    let mut args = vec!["check", "--rules", "policies", "--format", format];
    args.extend_from_slice(extra);
    args.push(".");
    run(root, &args)
}

/// A line the Actions runner would read as a command (it trims leading whitespace first).
fn is_command(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("::") || t.starts_with("##[")
}

const FORMATS: &[&str] = &["human", "json", "sarif", "junit", "github", "gitlab"];

#[test]
fn no_format_lets_a_file_inject_control_characters_or_lines() {
    let dir = hostile_project();
    let json = check(dir.path(), "json", &[]);
    json.expect(1, "json");
    let report = json.json();
    let findings = report["findings"].as_array().unwrap();
    // What the project holds is found: 3 full-scope apps, 4 echoed labels, 2 invalid files.
    let count = |rule: &str| findings.iter().filter(|f| f["rule"] == rule).count();
    assert_eq!(count("connected-app-full-scope"), 3, "{}", json.stdout());
    assert_eq!(count("echo-label"), 3, "{}", json.stdout());
    assert_eq!(count("invalid-metadata"), 2, "{}", json.stdout());
    // JSON carries the text exactly (escaped by JSON, not altered).
    let label = findings
        .iter()
        .find(|f| {
            f["rule"] == "echo-label"
                && f["file"]
                    .as_str()
                    .unwrap()
                    .ends_with("Label.connectedApp-meta.xml")
        })
        .unwrap();
    assert!(label["message"].as_str().unwrap().contains(
        "\n::add-mask::secret\r::warning::cr\n##[error]legacy\u{7f}del\u{9b}31mcsi\u{202e}rlo"
    ));

    for format in FORMATS {
        for color in ["never", "always"] {
            let out = check(dir.path(), format, &["--color", color]);
            out.expect(1, &format!("{format} --color {color}"));
            let text = out.stdout();
            match *format {
                "github" => {
                    // One command per finding, each written by sfpolicy; nothing else is one.
                    let commands: Vec<&str> = text.lines().filter(|l| is_command(l)).collect();
                    assert_eq!(commands.len(), findings.len(), "{text}");
                    assert!(
                        commands.iter().all(|l| l.starts_with("::error file=")
                            || l.starts_with("::warning file=")
                            || l.starts_with("::notice file=")),
                        "{text}"
                    );
                    assert_eq!(text.lines().count(), findings.len() + 1, "{text}");
                }
                _ => assert!(
                    !text.lines().any(is_command),
                    "{format}: a line reads as a workflow command:\n{text}"
                ),
            }
            if *format == "human" && color == "never" {
                // The hostile text is shown, escaped, not dropped.
                assert!(
                    text.contains(r"Intake\n::error file=.github/workflows/ci.yml,line=1::pwned\n::add-mask::secret\r::warning::cr"),
                    "{text}"
                );
                assert!(text.contains(r"\u{7f}del\u{9b}31mcsi\u{202e}rlo"), "{text}");
                assert!(
                    text.contains(r"Evil\n::error file=x::pwned\u{1b}[2J\u{7}"),
                    "{text}"
                );
                assert!(
                    text.contains(r"Raw\n::warning::raw\u{1b}]0;title\u{7}"),
                    "{text}"
                );
                // The quoted line of the file with raw control characters, escaped.
                assert!(text.contains(r"x\u{1b}[2J\u{1b}]0;pwned\u{7}y"), "{text}");
            }
            assert!(!is_command(text.lines().last().unwrap_or("")));
        }
    }
}

/// `sfpolicy` itself writes colour only with `--color always` and never into a pipe otherwise.
#[test]
fn colour_sequences_are_sfpolicy_s_own() {
    let dir = hostile_project();
    let plain = check(dir.path(), "human", &[]);
    plain.expect(1, "human");
    assert!(!plain.stdout.contains(&0x1b), "no colour into a pipe");
    let coloured = check(dir.path(), "human", &["--color", "always"]);
    coloured.expect(1, "human --color always");
    assert!(coloured.stdout.contains(&0x1b), "colour was asked for");
}

/// stderr: a policy's `throw` message and a broken policy id carry newlines and escapes.
#[test]
fn policy_errors_on_stderr_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root.join("sfdx-project.json"), SFDX_PROJECT);
    write(root.join(APPS).join("A.connectedApp-meta.xml"), app("A"));
    write(
        root.join("policies/throws.rhai"),
        "//! Throws.\nconst RULE = #{ id: \"throws\", severity: \"error\", kinds: [\"ConnectedApp\"], summary: \"x\" };\n\
         fn check(app) { throw \"boom\\n::error::from-throw\\u001b[2J\\u0007\\u009b\"; }\n",
    );
    for format in FORMATS {
        let out = check(root, format, &[]);
        out.expect(2, &format!("throw, {format}"));
        let stderr = out.stderr();
        assert!(
            stderr.contains(r"boom\n::error::from-throw\u{1b}[2J\u{7}\u{9b}"),
            "{stderr}"
        );
        assert!(!stderr.lines().any(is_command), "{stderr}");
        if *format == "github" {
            // The error annotation is sfpolicy's own command; the message inside is data.
            let stdout = out.stdout();
            let commands: Vec<&str> = stdout.lines().filter(|l| is_command(l)).collect();
            assert!(commands.len() >= 2, "{stdout}");
            assert!(commands
                .iter()
                .any(|l| l.starts_with("::error title=sfpolicy policy error::")
                    && l.contains("boom%0A::error::from-throw")));
        } else {
            assert!(!out.stdout().lines().any(is_command), "{}", out.stdout());
        }
    }

    // An id that is not kebab-case is refused, and quoted escaped.
    write(
        root.join("policies/throws.rhai"),
        "//! Bad id.\nconst RULE = #{ id: \"bad\\n::error::id\\u001b]0;t\\u0007\", severity: \"error\", kinds: [\"ConnectedApp\"], summary: \"x\" };\nfn check(app) {}\n",
    );
    let out = check(root, "human", &[]);
    out.expect(2, "bad id");
    let stderr = out.stderr();
    assert!(stderr.contains("throws.rhai:2:"), "located: {stderr}");
    assert!(
        stderr.contains(r"bad\n::error::id\u{1b}]0;t\u{7}"),
        "{stderr}"
    );
    assert!(!stderr.lines().any(is_command), "{stderr}");
}

/// Carets are measured on the line as read; escaping a character before them widens the drawn
/// line, so they would point at the wrong text. Such a line is cited escaped in a note instead;
/// one whose escaped characters come after the carets is drawn as usual.
#[test]
fn a_line_escaped_before_its_carets_is_cited_not_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root.join("sfdx-project.json"), SFDX_PROJECT);
    let scopes = "        <scopes>Full</scopes>\n";
    // A C1 control (CSI) before the element: escaped as `\u{9b}`, six characters for one.
    write(
        root.join(APPS).join("Before.connectedApp-meta.xml"),
        app("Before").replace(scopes, "        \u{9b}<scopes>Full</scopes>\n"),
    );
    // A right-to-left override after it, in a comment.
    write(
        root.join(APPS).join("After.connectedApp-meta.xml"),
        app("After").replace(
            scopes,
            "        <scopes>Full</scopes><!-- \u{202e}gnp.exe -->\n",
        ),
    );
    // A label over three lines whose last line has an override before the closing caret.
    write(
        root.join(APPS).join("Third.connectedApp-meta.xml"),
        app("Third").replace(
            scopes,
            "        <scopes\n  a=\"1\"\n  b=\"\u{202e}\">Full</scopes>\n",
        ),
    );
    // CRLF over two lines: the `\r` in the middle is a line ending, not an escaped character.
    write(
        root.join(APPS).join("Crlf.connectedApp-meta.xml"),
        app("Crlf")
            .replace(scopes, "        <scopes\n>Full</scopes>\n")
            .replace('\n', "\r\n"),
    );
    // Lines of 400 bytes (drawn) and 401 (cited), their CRLF endings not counted.
    let padded = |width: usize| {
        let line = format!(
            "        <scopes>Full</scopes><!--{}-->",
            " ".repeat(width - 36)
        );
        assert_eq!(line.len(), width);
        format!("{line}\r\n")
    };
    for (name, width) in [("Width400", 400), ("Width401", 401)] {
        write(
            root.join(APPS)
                .join(format!("{name}.connectedApp-meta.xml")),
            app(name)
                .replace('\n', "\r\n")
                .replace(&scopes.replace('\n', "\r\n"), &padded(width)),
        );
    }
    let out = run(
        root,
        &[
            "check",
            "--select",
            "connected-app-full-scope",
            "--color",
            "never",
            ".",
        ],
    );
    // Warnings: exit 0 (the default --fail-on is error).
    out.expect(0, "human");
    let text = out.stdout();
    assert!(
        text.contains(
            "connected app Before requests the OAuth scope Full [force-app/main/default/connectedApps/Before.connectedApp-meta.xml:7:10]"
        ),
        "{text}"
    );
    let cited = "lines hold control or direction-override characters before the finding, so they are not drawn; around the finding:";
    assert!(
        text.contains(&format!(
            r" = the {cited}         \u{{9b}}<scopes>Full</scopes>"
        )),
        "{text}"
    );
    assert!(
        text.contains("connected app Third requests the OAuth scope Full [force-app/main/default/connectedApps/Third.connectedApp-meta.xml:7:9]"),
        "{text}"
    );
    assert!(
        text.contains(&format!(" = the {cited}         <scopes\n")),
        "{text}"
    );
    // Drawn: the CRLF label over two lines, and the 400-byte line; the 401-byte one is cited.
    assert!(text.contains("│ │ >Full</scopes>\n"), "{text}");
    assert_eq!(text.matches(cited).count(), 2, "{text}");
    assert!(
        text.contains("Width400.connectedApp-meta.xml:7:9\n"),
        "{text}"
    );
    assert!(
        text.contains(" = the line is too long to quote (401 bytes); around the finding:"),
        "{text}"
    );
    assert_eq!(text.matches("too long to quote").count(), 1, "{text}");
    assert!(!text.contains(r"│         \u{9b}"), "drawn:\n{text}");
    // Drawn, and the carets sit under the element: nine columns in, 21 wide.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.ends_with(r"<scopes>Full</scopes><!-- \u{202e}gnp.exe -->"))
        .unwrap_or_else(|| panic!("not drawn:\n{text}"));
    assert_eq!(
        lines[at + 1].split('│').nth(1),
        Some(format!(" {}{}", " ".repeat(8), "^".repeat(21)).as_str()),
        "{text}"
    );
}
