//! `sfpolicy new-rule`: a policy file with the documentation headings, and one failing and one
//! passing test case, so a new policy starts tested.

use crate::diag::ToolError;
use std::path::{Path, PathBuf};

const SFDX: &str = r#"{"packageDirectories":[{"path":"force-app","default":true}],"namespace":"","sourceApiVersion":"62.0"}
"#;

fn policy(id: &str) -> String {
    format!(
        r#"//! # {id}
//!
//! **What it finds.** A connected app without a description. (Describe what this rule reports.)
//!
//! **Why it matters.** (Why a security engineer cares.)
//!
//! **Example.**
//! ```xml
//! <ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
//!     <label>Vendor</label>
//! </ConnectedApp>
//! ```
//!
//! **How to fix.** (What to change.)

const RULE = #{{
    id: "{id}",
    severity: "warning",
    kinds: ["ConnectedApp"],
    summary: "a connected app without a description",
}};

fn check(app) {{
    let description = app.description;
    if description == () || description.text == "" {{
        report(app, `connected app ${{app.name}} has no description`,
            "say which system uses it and who owns it");
    }}
}}
"#
    )
}

fn app(name: &str, description: &str, annotate: Option<&str>) -> String {
    let expect = annotate
        .map(|id| format!("<!-- expect: {id} -->\n"))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{expect}<ConnectedApp xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n    <contactEmail>team@example.com</contactEmail>\n{description}    <label>{name}</label>\n</ConnectedApp>\n"
    )
}

/// Write the scaffold; refuses to overwrite anything.
pub fn new_rule(id: &str, dir: &Path) -> Result<Vec<PathBuf>, ToolError> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ToolError::new(format!(
            "rule id `{id}` must be kebab-case (a-z, 0-9, -)"
        )));
    }
    let apps = "force-app/main/default/connectedApps";
    let files: Vec<(PathBuf, String)> = vec![
        (dir.join(format!("{id}.rhai")), policy(id)),
        (
            dir.join("tests").join(id).join("fail/sfdx-project.json"),
            SFDX.into(),
        ),
        (
            dir.join("tests")
                .join(id)
                .join("fail")
                .join(apps)
                .join("Vendor.connectedApp-meta.xml"),
            app("Vendor", "", Some(id)),
        ),
        (
            dir.join("tests").join(id).join("pass/sfdx-project.json"),
            SFDX.into(),
        ),
        (
            dir.join("tests")
                .join(id)
                .join("pass")
                .join(apps)
                .join("Vendor.connectedApp-meta.xml"),
            app(
                "Vendor",
                "    <description>Talkdesk telephony, owned by the telephony team</description>\n",
                None,
            ),
        ),
    ];
    if let Some((existing, _)) = files.iter().find(|(p, _)| p.exists()) {
        return Err(ToolError::new(format!(
            "{}: already exists; new-rule never overwrites",
            existing.display()
        )));
    }
    for (path, text) in &files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ToolError::new(format!("{}: cannot create: {e}", parent.display())))?;
        }
        std::fs::write(path, text)
            .map_err(|e| ToolError::new(format!("{}: cannot write: {e}", path.display())))?;
    }
    // Each case keeps the report it gives beside it: write it now, for the author to review.
    let mut written: Vec<PathBuf> = files.into_iter().map(|(p, _)| p).collect();
    for result in crate::testing::run_rule_cases(&[dir.to_path_buf()], true, Some(id))? {
        if let Some(case) = result.name.split('/').nth(1) {
            written.push(
                dir.join("tests")
                    .join(id)
                    .join(case)
                    .join(crate::testing::EXPECTED_OUTPUT),
            );
        }
    }
    Ok(written)
}
