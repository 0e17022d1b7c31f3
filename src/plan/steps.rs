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

/// File names (not paths) for an action, at most a dozen: the step's files list them all.
fn short_list(files: &[String]) -> String {
    let mut names: Vec<String> = files
        .iter()
        .map(|f| t(f.rsplit('/').next().unwrap_or(f)))
        .collect();
    names.dedup();
    const SHOWN: usize = 12;
    if names.len() > SHOWN {
        let more = names.len() - SHOWN;
        names.truncate(SHOWN);
        format!("{} and {more} more", names.join(", "))
    } else {
        names.join(", ")
    }
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
    // A shared permission set or profile is split by giving the system a set of its own; its
    // user changes only when that user is shared too (or the register says so).
    let user_shared = match identity.kind {
        "user" | "register-shared" => true,
        _ => old_user.as_deref().map_or(true, |u| {
            a.run_as.iter().any(|r| {
                r.username.eq_ignore_ascii_case(u) && !r.system.eq_ignore_ascii_case(&sys.system)
            })
        }),
    };
    let new_user = match (&old_user, user_shared) {
        (Some(u), false) => u.clone(),
        (Some(u), true) => names::new_username(&sys.system, u),
        (None, _) => names::username(&sys.system, "<your domain>"),
    };
    let new_ps = names::permission_set_name(&sys.system);
    // A set of that name may be there already (the team's own): it is narrowed, not replaced.
    let existing_ps = a.org.find(Kind::PermissionSet, &new_ps).cloned();
    let new_label = t(&existing_ps
        .as_ref()
        .map_or_else(|| names::permission_set_label(&sys.system), |c| c.label()));
    let ps_file = match &existing_ps {
        Some(c) => ctx.file(c),
        None => {
            let rel = names::metadata_dir(&a.org.root)
                .join("permissionsets")
                .join(format!("{new_ps}.permissionset-meta.xml"));
            ctx.a
                .org
                .sources
                .display_path(&rel.to_string_lossy(), ctx.style)
        }
    };
    let licence = super::licence_for(a, &sys.system);
    let mut steps = Vec::new();

    if user_shared {
        let mut s = step(format!("Create {new_user} in a sandbox"));
        s.actions.push(format!(
            "create the user {new_user}: {}",
            names::user_setup(licence)
        ));
        s.actions
            .push(format!("leave {old} as it is until the cut-over"));
        steps.push(s);
    } else {
        let mut s = step(format!("Keep {new_user}"));
        s.actions.push(format!(
            "{new_user} is already {system}'s own user: only its permission set changes"
        ));
        steps.push(s);
    }

    let mut s = step(if existing_ps.is_some() {
        format!("Narrow its permission set, {new_ps}")
    } else {
        format!("Give it a narrow permission set, {new_ps}")
    });
    if let Some(c) = &existing_ps {
        // The scaffold keeps a file that exists: say what to take out of it by hand.
        let documented: Vec<String> = entry
            .map(|(_, e)| {
                e.list("objects")
                    .into_iter()
                    .map(|(o, _)| o.to_lowercase())
                    .collect()
            })
            .unwrap_or_default();
        let mut broad = Vec::new();
        let mut undocumented = Vec::new();
        for g in &a.effective_permissions(c).objects {
            let words: Vec<&str> = super::reach::ACCESS
                .iter()
                .zip(g.flags)
                .filter(|(w, f)| *f && matches!(**w, "delete" | "view-all" | "modify-all"))
                .map(|(w, _)| *w)
                .collect();
            if !words.is_empty() {
                broad.push(format!("{} on {}", words.join(", "), t(&g.object)));
            }
            if entry.is_some() && g.any_access() && !documented.contains(&g.object.to_lowercase()) {
                undocumented.push(t(&g.object));
            }
        }
        s.actions.push(format!(
            "{new_ps} is already in the project: the scaffold keeps it, so narrow it by hand{}",
            if broad.is_empty() && undocumented.is_empty() {
                ": it grants nothing broad or undocumented".to_string()
            } else {
                String::new()
            }
        ));
        if !broad.is_empty() {
            s.actions.push(format!("take out {}", broad.join("; ")));
        }
        if !undocumented.is_empty() {
            s.actions.push(format!(
                "take out the objects the register entry does not document, or document them: {}",
                undocumented.join(", ")
            ));
        }
    }
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
    automation.dedup();
    if !automation.is_empty() {
        s.actions.push(format!(
            "the validation rules and record-triggered flows on those objects must pass or fail as before: {}",
            short_list(&automation)
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
        let names_list = short_list(&by_name);
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

    let mut s = step(
        if identity.kind == "user" || identity.kind == "register-shared" {
            format!("Reduce {old}'s access gradually")
        } else {
            format!("Stop sharing {}", t(&identity.name))
        },
    );
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
    // Another system needs an identity when it names it, or when it grants an object that
    // system documents.
    let needed_by = |id_name: &str| -> Vec<String> {
        let component = a
            .find_permission_set(id_name)
            .or_else(|| a.find_profile(id_name))
            .cloned();
        others
            .iter()
            .filter(|o| {
                o.identities.iter().any(|x| x.name == id_name)
                    || component.as_ref().is_some_and(|c| {
                        let documented: Vec<String> = entry_of(ctx, &o.system)
                            .map(|(_, e)| {
                                e.list("objects")
                                    .into_iter()
                                    .map(|(x, _)| x.to_lowercase())
                                    .collect()
                            })
                            .unwrap_or_default();
                        a.effective_permissions(c).objects.iter().any(|g| {
                            g.any_access() && documented.contains(&g.object.to_lowercase())
                        })
                    })
            })
            .map(|o| t(&o.system))
            .collect()
    };
    let holder = if identity.kind == "user" || identity.kind == "register-shared" {
        old.clone()
    } else {
        new_user.clone()
    };
    for id in &sys.identities {
        if identity.kind != "user" && identity.kind != "register-shared" && id.name != identity.name
        {
            continue;
        }
        let needers = needed_by(&id.name);
        if !needers.is_empty() {
            s.actions.push(format!(
                "keep {} on {holder} while {} needs it",
                t(&id.name),
                needers.join(", ")
            ));
            continue;
        }
        let name = t(&id.name);
        let when = if identity.kind == "register-shared" {
            "once the people and jobs that share the user no longer need it".to_string()
        } else if undocumented.is_empty() {
            "no other system documents a need for it".to_string()
        } else {
            format!(
                "once the login history shows {} does not need it: nothing documents what it uses",
                undocumented.join(", ")
            )
        };
        s.actions.push(if id.kind == "profile" {
            format!(
                "give {holder} the profile `Minimum Access - API Only Integrations` in place of {name} ({when})"
            )
        } else {
            format!("remove {name} from {holder} ({when})")
        });
        if let Some(f) = &id.location {
            s.files.push(f.clone());
        }
    }
    let shared_name = if identity.kind == "user" {
        old.clone()
    } else {
        t(&identity.name)
    };
    if others.len() == 1 {
        let other = t(&others[0].system);
        s.actions.push(format!(
            "{other} is then the only system on {shared_name}: rename it after {other} and trim it to what {other} documents"
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
        from: if identity.kind == "register-shared" {
            old_user.clone().unwrap_or_else(|| identity.name.clone())
        } else {
            identity.name.clone()
        },
        new_user,
        new_permission_set: new_ps,
        steps,
    }
}
