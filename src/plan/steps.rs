//! The ordered steps for the first system to split off a shared identity: sandbox first, a narrow
//! permission set, the app or credential moved, the register updated, the record paths tested,
//! cut-over, then the old identity's access reduced. Each step names the files involved.

use super::{names, Ctx, Licences, Shared, Split, SystemOnIdentity};
use crate::model::Kind;
use serde::Serialize;
use std::fmt::Write;

#[derive(Debug, Serialize)]
pub struct Step {
    pub title: String,
    pub actions: Vec<String>,
    /// A command to run, quoted for a POSIX shell.
    pub command: Option<String>,
    /// `file` or `file:line` of what the step changes or checks (files a scaffold will write
    /// are named as they will be).
    pub files: Vec<String>,
}

fn step(title: impl Into<String>) -> Step {
    Step {
        title: title.into(),
        actions: Vec::new(),
        command: None,
        files: Vec::new(),
    }
}

/// The riskiest system on an identity that several systems share (else on a register entry
/// marked shared), with its steps.
pub fn first_split(ctx: &Ctx, shared: &[Shared], licences: &Licences) -> Option<Split> {
    // The highest score wins; on a tie, the identity listed first (users before components).
    let pick = |register_shared: bool| {
        let mut best: Option<(&Shared, &SystemOnIdentity)> = None;
        for s in shared
            .iter()
            .filter(|s| (s.kind == "register-shared") == register_shared)
        {
            if let Some(sys) = s.systems.first() {
                if best.map_or(true, |(_, b)| sys.risk.score > b.risk.score) {
                    best = Some((s, sys));
                }
            }
        }
        best
    };
    let (identity, system) = pick(false).or_else(|| pick(true))?;
    Some(split(ctx, identity, system, licences))
}

fn entry_of<'a>(ctx: &'a Ctx, system: &str) -> Option<(usize, &'a crate::config::register::Entry)> {
    let r = ctx.a.register.as_ref()?;
    r.register
        .entries
        .iter()
        .enumerate()
        .find(|(_, e)| e.system().eq_ignore_ascii_case(system))
}

/// A name from the project inside an action: backticks are ours (code spans), never a name's.
fn t(s: &str) -> String {
    s.replace('`', "'")
}

/// A word for a POSIX shell: as is when plain, else single-quoted.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./_-".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The flags `scaffold integration` needs that a register entry lacks (or all of them).
const SCAFFOLD_FACTS: &[(&str, &str)] = &[
    ("owner", "--owner"),
    ("support-contact", "--contact"),
    ("alerts", "--alerts"),
    ("retry", "--retry"),
    ("direction", "--direction"),
    ("frequency", "--frequency"),
];

fn split(ctx: &Ctx, identity: &Shared, sys: &SystemOnIdentity, _licences: &Licences) -> Split {
    let a = ctx.a;
    let entry = entry_of(ctx, &sys.system);
    let system = t(&sys.system);
    let old_user = if identity.kind == "user" {
        Some(identity.name.clone())
    } else {
        entry.and_then(|(_, e)| e.text("user")).map(str::to_string)
    };
    let old = t(old_user.as_deref().unwrap_or(&identity.name));
    let new_user = match &old_user {
        Some(u) => names::new_username(&sys.system, u),
        None => names::username(&sys.system, "<your domain>"),
    };
    let new_ps = names::permission_set_name(&sys.system);
    let new_label = t(&names::permission_set_label(&sys.system));
    let ps_file = {
        let rel = names::metadata_dir(&a.org.root)
            .join("permissionsets")
            .join(format!("{new_ps}.permissionset-meta.xml"));
        ctx.a
            .org
            .sources
            .display_path(&rel.to_string_lossy(), ctx.style)
    };
    let licence = super::licence_for(a, &sys.system);
    let mut steps = Vec::new();

    let mut s = step(format!("Create {new_user} in a sandbox"));
    s.actions.push(format!(
        "create the user {new_user}: {}",
        names::user_setup(licence)
    ));
    s.actions
        .push(format!("leave {old} as it is until the cut-over"));
    steps.push(s);

    let mut s = step(format!("Give it a narrow permission set, {new_ps}"));
    let broad_words = |o: &super::ObjectReach| -> Vec<&'static str> {
        o.access
            .iter()
            .copied()
            .filter(|w| matches!(*w, "delete" | "view-all" | "modify-all"))
            .collect()
    };
    let (kept, dropped): (Vec<_>, Vec<_>) = sys
        .reach
        .objects
        .iter()
        .partition(|o| broad_words(o).is_empty());
    let spec: Vec<String> = kept
        .iter()
        .chain(dropped.iter())
        .map(|o| {
            let words: Vec<&str> = o
                .access
                .iter()
                .copied()
                .filter(|w| *w == "create" || *w == "edit")
                .collect();
            if words.is_empty() {
                o.object.clone()
            } else {
                format!("{}:{}", o.object, words.join("+"))
            }
        })
        .collect();
    let mut command = format!("sfpolicy scaffold integration {}", shell_quote(&sys.system));
    match entry {
        Some((_, e)) => {
            command.push_str(" --from-register");
            if e.text("user")
                .map_or(true, |u| !u.eq_ignore_ascii_case(&new_user))
            {
                let _ = write!(command, " --user {}", shell_quote(&new_user));
            }
            for (key, flag) in SCAFFOLD_FACTS {
                if e.text(key).is_none() {
                    let _ = write!(command, " {flag} '<{key}>'");
                }
            }
        }
        None => {
            let _ = write!(
                command,
                " --user {} --objects {}",
                shell_quote(&new_user),
                shell_quote(&if spec.is_empty() {
                    "<Object>".to_string()
                } else {
                    spec.join(",")
                })
            );
            for (key, flag) in SCAFFOLD_FACTS {
                let _ = write!(command, " {flag} '<{key}>'");
            }
        }
    }
    s.actions.push(if command.contains("'<") {
        "run the command below, with the facts in <…> filled in (it writes the permission set, the app and the register entry where they are missing)".to_string()
    } else {
        "run the command below (it writes the permission set, and the app where it is missing)"
            .to_string()
    });
    s.command = Some(command);
    if !dropped.is_empty() {
        s.actions.push(format!(
            "it grants no Delete, View All or Modify All: {system} loses {} (ask for them with --reason only if a record path needs them)",
            dropped
                .iter()
                .map(|o| format!("{} on {}", broad_words(o).join(", "), o.object))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    if !identity.reach.all_data.is_empty() {
        s.actions.push(format!(
            "it grants no {}: list the objects {system} really uses",
            identity.reach.all_data.join(" or "),
        ));
    }
    s.actions
        .push(format!("assign {new_ps} to {new_user} in the sandbox"));
    s.files.push(ps_file);
    steps.push(s);

    let mut s = step("Move the app or credential to the new identity");
    let apps: Vec<_> = sys
        .evidence
        .iter()
        .filter(|e| e.kind != "register")
        .collect();
    for e in &apps {
        let name = t(&e.name);
        let what = match e.kind {
            "connected-app" => format!(
                "connected app {name}: set `oauthClientCredentialUser` to {new_user} (client credentials enabled), pre-authorize `{new_label}` (`permissionSetName`), and remove the shared identity's pre-authorizations"
            ),
            "external-client-app" => format!(
                "external client app {name}: set `clientCredentialsFlowUser` (its OAuth policies) to {new_user}, and pre-authorize {new_ps}"
            ),
            _ => format!(
                "{} {name}: give {new_ps} the external credential principal access instead of the shared identity",
                e.kind.replace('-', " "),
            ),
        };
        s.actions.push(what);
        if let Some(l) = &e.location {
            s.files.push(l.clone());
        }
    }
    if apps.is_empty() {
        s.actions.push(format!(
            "no app or credential of {system} is in the project: find where it signs in (Setup > Connected Apps OAuth Usage, the login history of {old}) and give it {new_user}"
        ));
    }
    s.actions.push(format!(
        "have {system} sign in as {new_user} in the sandbox (new client credentials: a new secret, never the shared one)"
    ));
    steps.push(s);

    let mut s = step("Update the register");
    match entry {
        Some((index, _)) => {
            s.actions.push(format!(
                "in the entry for {system}: `user = \"{new_user}\"`, `permission-sets = [\"{new_ps}\"]`, `license = \"{licence}\"`"
            ));
            if let Some(l) = a.register.as_ref().and_then(|r| {
                a.register_loc(&r.register.entries[index].span, a.entry_anchor(index))
            }) {
                s.files.push(ctx.loc(&l));
            }
        }
        None => s.actions.push(format!(
            "{system} has no entry: the scaffold writes one; check its owner, retry and alerts"
        )),
    }
    steps.push(s);

    let mut s = step("Test the record paths in the sandbox");
    let written: Vec<&str> = sys
        .reach
        .objects
        .iter()
        .filter(|o| o.can("create") || o.can("edit"))
        .map(|o| o.object.as_str())
        .collect();
    for o in &written {
        s.actions.push(format!(
            "as {new_user}, create and update {} records the way {system} does",
            t(o)
        ));
    }
    if written.is_empty() {
        s.actions.push(format!(
            "as {new_user}, run {system}'s reads and check it sees the records it needs"
        ));
    }
    let mut automation = Vec::new();
    for c in a.org.of_kind(Kind::ValidationRule) {
        let object = c.name.split('.').next().unwrap_or("");
        if written.iter().any(|o| o.eq_ignore_ascii_case(object)) {
            automation.push(ctx.file(c));
        }
    }
    for c in a.org.of_kind(Kind::Flow) {
        let object = c
            .doc
            .child(c.node, "start")
            .and_then(|start| c.doc.child_text(start, "object"))
            .unwrap_or("");
        if !object.is_empty() && written.iter().any(|o| o.eq_ignore_ascii_case(object)) {
            automation.push(ctx.file(c));
        }
    }
    if !automation.is_empty() {
        s.actions.push(format!(
            "the validation rules and record-triggered flows on those objects must pass or fail as before: {}",
            automation.iter().map(|f| t(f.rsplit('/').next().unwrap_or(f))).collect::<Vec<_>>().join(", ")
        ));
    }
    for (who, user) in [
        ("the old user", old_user.as_deref()),
        ("the new user", Some(new_user.as_str())),
    ] {
        let Some(user) = user else { continue };
        let mut by_name = Vec::new();
        for kind in [Kind::ValidationRule, Kind::Flow, Kind::WorkflowRule] {
            for c in a.org.of_kind(kind) {
                if c.doc.subtree_mentions(c.node, user) {
                    by_name.push(ctx.file(c));
                }
            }
        }
        if by_name.is_empty() {
            continue;
        }
        let names_list = by_name
            .iter()
            .map(|f| t(f.rsplit('/').next().unwrap_or(f)))
            .collect::<Vec<_>>()
            .join(", ");
        s.actions.push(if who == "the old user" {
            format!(
                "{names_list} name {}: their exemption or routing will not follow {new_user}; use a custom permission instead (`--bypass`)",
                t(user)
            )
        } else {
            format!("{names_list} already name {new_user}: check they mean this system")
        });
        automation.extend(by_name);
    }
    for f in automation {
        if !s.files.contains(&f) {
            s.files.push(f);
        }
    }
    steps.push(s);

    let mut s = step("Cut over in production and watch");
    s.actions.push(format!(
        "deploy the permission set and the app change, create {new_user}, then switch {system} to the new credentials"
    ));
    let watch = entry
        .and_then(|(_, e)| e.text("alerts").or(e.text("error-owner")))
        .map_or(String::new(), |w| format!(" ({})", t(w)));
    s.actions.push(format!(
        "for a full {} cycle watch: the login history of {new_user}, API errors and failed record saves{watch}, and that {system} no longer signs in as {old}",
        t(entry.and_then(|(_, e)| e.text("frequency")).unwrap_or("sync")),
    ));
    s.actions.push(format!(
        "keep {system}'s old access until then: it is the way back"
    ));
    steps.push(s);

    let mut s = step(format!("Reduce {old}'s access gradually"));
    let others: Vec<&SystemOnIdentity> = identity
        .systems
        .iter()
        .filter(|o| !o.system.eq_ignore_ascii_case(&sys.system))
        .collect();
    let undocumented: Vec<String> = others
        .iter()
        .filter(|o| o.basis == "whole-identity")
        .map(|o| t(&o.system))
        .collect();
    for id in &sys.identities {
        let used_by_others = others
            .iter()
            .any(|o| o.identities.iter().any(|x| x.name == id.name));
        if used_by_others {
            continue;
        }
        let name = t(&id.name);
        let when = if undocumented.is_empty() {
            format!("only {system} needed it")
        } else {
            format!(
                "once the login history shows {} does not need it: nothing documents what it uses",
                undocumented.join(", ")
            )
        };
        s.actions.push(if id.kind == "profile" {
            format!(
                "give {old} the profile `Minimum Access - API Only Integrations` in place of {name} ({when})"
            )
        } else {
            format!("remove {name} from {old} ({when})")
        });
        if let Some(f) = &id.location {
            s.files.push(f.clone());
        }
    }
    if others.len() == 1 {
        let other = t(&others[0].system);
        s.actions.push(format!(
            "{other} is then the only system on {old}: rename it after {other} and trim it to what {other} documents"
        ));
    } else if others.len() > 1 {
        s.actions.push(format!(
            "then split the next system: {} (rank 2)",
            t(&others[0].system)
        ));
    }
    s.actions.push(format!(
        "run `sfpolicy check`: no `integration-user-shared` finding names {system} any more"
    ));
    steps.push(s);

    Split {
        system: sys.system.clone(),
        from: identity.name.clone(),
        new_user,
        new_permission_set: new_ps,
        steps,
    }
}
