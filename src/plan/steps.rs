//! The ordered steps for the first system to split off a shared identity: sandbox first, a narrow
//! permission set, the app or credential moved, the register updated, the record paths tested,
//! cut-over, then the old identity's access reduced. Each step names the files involved.

use super::{names, Ctx, Licences, Shared, Split, SystemOnIdentity};
use crate::model::Kind;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Step {
    pub title: String,
    pub actions: Vec<String>,
    /// `file` or `file:line` of what the step changes or checks (files a scaffold will write
    /// are named as they will be).
    pub files: Vec<String>,
}

fn step(title: impl Into<String>) -> Step {
    Step {
        title: title.into(),
        actions: Vec::new(),
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

fn split(ctx: &Ctx, identity: &Shared, sys: &SystemOnIdentity, licences: &Licences) -> Split {
    let a = ctx.a;
    let entry = entry_of(ctx, &sys.system);
    let old_user = if identity.kind == "user" {
        Some(identity.name.clone())
    } else {
        entry.and_then(|(_, e)| e.text("user")).map(str::to_string)
    };
    let domain = old_user
        .as_deref()
        .and_then(|u| u.rsplit_once('@'))
        .map_or("<your domain>".to_string(), |(_, d)| d.to_string());
    let new_user = names::username(&sys.system, &domain);
    let new_ps = names::permission_set_name(&sys.system);
    let ps_file = {
        let rel = names::metadata_dir(&a.org.root)
            .join("permissionsets")
            .join(format!("{new_ps}.permissionset-meta.xml"));
        ctx.a
            .org
            .sources
            .display_path(&rel.to_string_lossy(), ctx.style)
    };
    let full = licences.overflow > 0;
    let mut steps = Vec::new();

    let mut s = step(format!("Create {new_user} in a sandbox"));
    s.actions.push(format!(
        "create the user {new_user} with the profile `Minimum Access - API Only Integrations` and the {} licence",
        if full {
            "Salesforce (full) licence, or a bought Integration"
        } else {
            "Salesforce Integration"
        }
    ));
    s.actions.push(format!(
        "leave {} as it is until the cut-over",
        old_user.as_deref().unwrap_or(&identity.name)
    ));
    steps.push(s);

    let mut s = step(format!("Give it a narrow permission set, {new_ps}"));
    let (kept, dropped): (Vec<_>, Vec<_>) = sys
        .reach
        .objects
        .iter()
        .partition(|o| !(o.can("delete") || o.can("view-all") || o.can("modify-all")));
    let spec: Vec<String> = kept
        .iter()
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
        .chain(dropped.iter().map(|o| format!("{}:edit", o.object)))
        .collect();
    if entry.is_some() {
        s.actions.push(format!(
            "run `sfpolicy scaffold integration \"{}\" --from-register --user {new_user}`",
            sys.system
        ));
    } else {
        s.actions.push(format!(
            "run `sfpolicy scaffold integration \"{}\" --user {new_user} --objects {} --owner ... --contact ... --alerts ...` (it also writes the register entry)",
            sys.system,
            if spec.is_empty() { "<Object>".to_string() } else { spec.join(",") }
        ));
    }
    if !dropped.is_empty() {
        s.actions.push(format!(
            "it grants no Delete, View All or Modify All: {} loses {} (ask for them with a reason only if a record path needs them)",
            sys.system,
            dropped
                .iter()
                .map(|o| format!("{} ({})", o.object, o.access.join(", ")))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    if !identity.reach.all_data.is_empty() {
        s.actions.push(format!(
            "it grants no {}: list the objects {} really uses",
            identity.reach.all_data.join(" or "),
            sys.system
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
        let what = match e.kind {
            "connected-app" => format!(
                "connected app {}: set `oauthClientCredentialUser` to {new_user}, and pre-authorize {new_ps} (`permissionSetName`) instead of the shared identity",
                e.name
            ),
            "external-client-app" => format!(
                "external client app {}: set `clientCredentialsFlowUser` (its OAuth policies) to {new_user}, and pre-authorize {new_ps}",
                e.name
            ),
            _ => format!(
                "{} {}: give {new_ps} the external credential principal access instead of the shared identity",
                e.kind.replace('-', " "),
                e.name
            ),
        };
        s.actions.push(what);
        if let Some(l) = &e.location {
            s.files.push(l.clone());
        }
    }
    if apps.is_empty() {
        s.actions.push(format!(
            "no app or credential of {} is in the project: find where it signs in (Setup > Connected Apps OAuth Usage, the login history of {}) and give it {new_user}",
            sys.system,
            old_user.as_deref().unwrap_or(&identity.name)
        ));
    }
    s.actions.push(format!(
        "have {} sign in as {new_user} in the sandbox (new client credentials: a new secret, never the shared one)",
        sys.system
    ));
    steps.push(s);

    let mut s = step("Update the register");
    match entry {
        Some((index, _)) => {
            s.actions.push(format!(
                "in the entry for {}: `user = \"{new_user}\"`, `permission-sets = [\"{new_ps}\"]`, `license = \"{}\"`",
                sys.system,
                if full { "full" } else { "integration" }
            ));
            if let Some(l) = a.register.as_ref().and_then(|r| {
                a.register_loc(&r.register.entries[index].span, a.entry_anchor(index))
            }) {
                s.files.push(ctx.loc(&l));
            }
        }
        None => s.actions.push(format!(
            "{} has no entry: the scaffold writes one; check its owner, retry and alerts",
            sys.system
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
            "as {new_user}, create and update {o} records the way {} does",
            sys.system
        ));
    }
    if written.is_empty() {
        s.actions.push(format!(
            "as {new_user}, run {}'s reads and check it sees the records it needs",
            sys.system
        ));
    }
    for c in a.org.of_kind(Kind::ValidationRule) {
        let object = c.name.split('.').next().unwrap_or("");
        if written.iter().any(|o| o.eq_ignore_ascii_case(object)) {
            s.files.push(ctx.file(c));
        }
    }
    for c in a.org.of_kind(Kind::Flow) {
        let object = c
            .doc
            .child(c.node, "start")
            .and_then(|start| c.doc.child_text(start, "object"))
            .unwrap_or("");
        if !object.is_empty() && written.iter().any(|o| o.eq_ignore_ascii_case(object)) {
            s.files.push(ctx.file(c));
        }
    }
    if !s.files.is_empty() {
        s.actions.push(
            "the validation rules and record-triggered flows listed run on those records: each must pass or fail as before"
                .into(),
        );
    }
    if let Some(old) = &old_user {
        let mut by_name = Vec::new();
        for kind in [Kind::ValidationRule, Kind::Flow, Kind::WorkflowRule] {
            for c in a.org.of_kind(kind) {
                if c.doc.subtree_mentions(c.node, old) {
                    by_name.push(ctx.file(c));
                }
            }
        }
        if !by_name.is_empty() {
            s.actions.push(format!(
                "these name {old}: their exemption or routing will not follow {new_user}; use a custom permission instead (`scaffold integration --bypass`)"
            ));
            for f in by_name {
                if !s.files.contains(&f) {
                    s.files.push(f);
                }
            }
        }
    }
    steps.push(s);

    let mut s = step("Cut over in production and watch");
    s.actions.push(format!(
        "deploy the permission set and the app change, create {new_user}, then switch {} to the new credentials",
        sys.system
    ));
    let watch = entry
        .and_then(|(_, e)| e.text("alerts").or(e.text("error-owner")))
        .map_or(String::new(), |w| format!(" ({w})"));
    s.actions.push(format!(
        "for a full {} cycle watch: the login history of {new_user}, API errors and failed record saves{watch}, and that {} no longer signs in as {}",
        entry.and_then(|(_, e)| e.text("frequency")).unwrap_or("sync"),
        sys.system,
        old_user.as_deref().unwrap_or(&identity.name)
    ));
    s.actions.push(format!(
        "keep {}'s old access until then: it is the way back",
        sys.system
    ));
    steps.push(s);

    let mut s = step(format!("Reduce {}'s access gradually", identity.name));
    let others: Vec<&SystemOnIdentity> = identity
        .systems
        .iter()
        .filter(|o| !o.system.eq_ignore_ascii_case(&sys.system))
        .collect();
    for id in &sys.identities {
        let used_by_others = others
            .iter()
            .any(|o| o.identities.iter().any(|x| x.name == id.name));
        if !used_by_others {
            s.actions.push(if id.kind == "profile" {
                format!(
                    "give {} the profile `Minimum Access - API Only Integrations` in place of {} (only {} needed it)",
                    identity.name, id.name, sys.system
                )
            } else {
                format!(
                    "remove {} from {} (only {} needed it)",
                    id.name, identity.name, sys.system
                )
            });
            if let Some(f) = &id.location {
                s.files.push(f.clone());
            }
        }
    }
    if others.len() == 1 {
        s.actions.push(format!(
            "{} is then the only system on {}: rename it after {} and trim it to what {} documents",
            others[0].system, identity.name, others[0].system, others[0].system
        ));
    } else if others.len() > 1 {
        s.actions.push(format!(
            "then split the next system: {} (rank 2)",
            others[0].system
        ));
    }
    s.actions.push(format!(
        "run `sfpolicy check`: no `integration-user-shared` finding names {} any more",
        sys.system
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
