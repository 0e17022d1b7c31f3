//! `sfpolicy plan`: from the shared-identity findings to an ordered fix. For each identity that
//! serves two or more systems (one run-as username, or one customer-owned profile, permission set
//! or group) and each register entry with `license = "shared"`: the systems on it with their
//! evidence, what each reaches and which of that is sensitive, a documented risk rank, the
//! licence count, and the steps to split the riskiest system first, each naming its files.
//!
//! Everything comes from the run's `Analysis` (the same run-as users, pre-authorizations and
//! effective permissions the rules read): there is no second analysis.

pub mod names;
pub mod reach;
pub mod render;
mod steps;

pub use reach::{ObjectReach, Reach};

use crate::analysis::{Analysis, RunAsSource};
use crate::findings::Loc;
use crate::model::{Component, Kind};
use crate::source::PathStyle;
use serde::Serialize;
use std::sync::Arc;

/// Objects every plan treats as sensitive: the records that identify people and their business,
/// and Salesforce's consent data model. `[plan] sensitive-objects` adds to it.
pub const SENSITIVE_OBJECTS: &[&str] = &[
    "Lead",
    "Contact",
    "Case",
    "Opportunity",
    "Account",
    "Individual",
    "ContactPointConsent",
    "ContactPointTypeConsent",
    "ContactPointEmail",
    "ContactPointPhone",
    "ContactPointAddress",
    "CommSubscriptionConsent",
    "DataUsePurpose",
];

/// Objects whose records *are* consent: editing any field of them changes consent.
pub const CONSENT_OBJECTS: &[&str] = &[
    "Individual",
    "ContactPointConsent",
    "ContactPointTypeConsent",
    "CommSubscriptionConsent",
    "DataUsePurpose",
];

/// Consent and communication-preference fields of standard objects. `[plan] consent-fields`
/// adds to it (`Object.Field`).
pub const CONSENT_FIELDS: &[&str] = &[
    "Lead.DoNotCall",
    "Lead.HasOptedOutOfEmail",
    "Lead.HasOptedOutOfFax",
    "Lead.IndividualId",
    "Contact.DoNotCall",
    "Contact.HasOptedOutOfEmail",
    "Contact.HasOptedOutOfFax",
    "Contact.IndividualId",
    "Account.PersonDoNotCall",
    "Account.PersonHasOptedOutOfEmail",
    "Account.PersonHasOptedOutOfFax",
    "Individual.HasOptedOutTracking",
    "Individual.HasOptedOutProcessing",
    "Individual.HasOptedOutSolicit",
    "Individual.ShouldForget",
];

/// Records that identify a person or a customer: creating or editing them is an identity risk.
const IDENTITY_OBJECTS: &[&str] = &["Lead", "Contact", "Account", "Individual"];

/// The API volume (calls a day) from which a system counts as high-volume.
pub const HIGH_VOLUME_PER_DAY: u64 = 10_000;

/// A `review-by` date this close (days) or past counts as near.
pub const REVIEW_NEAR_DAYS: i64 = 90;

/// The plan: every shared identity, the licence count, and the first split.
#[derive(Debug, Serialize)]
pub struct Plan {
    pub shared: Vec<Shared>,
    pub licences: Licences,
    /// The steps for the first system to split: the riskiest system on a shared identity.
    pub first_split: Option<Split>,
    /// The lists this plan used (defaults plus `[plan]` in sfpolicy.toml).
    pub sensitive_objects: Vec<String>,
    pub consent_fields: Vec<String>,
}

/// One identity that serves more than one system, or that the register marks as shared.
#[derive(Debug, Serialize)]
pub struct Shared {
    /// `user` (one run-as username), `profile`, `permission-set`, `permission-set-group`, or
    /// `register-shared` (an entry with `license = "shared"`).
    pub kind: &'static str,
    /// The username, the component's API name, or the entry's system.
    pub name: String,
    /// `file:line` of the component, or of the register entry.
    pub location: Option<String>,
    /// The systems on it, riskiest first (rank 1).
    pub systems: Vec<SystemOnIdentity>,
    /// What the identity as a whole grants: every system on it can use all of this.
    pub reach: Reach,
    /// `review-by` of a `license = "shared"` entry.
    pub review_by: Option<String>,
}

/// Why a system is on the identity: a register entry, an app or a credential.
#[derive(Debug, Serialize, Clone)]
pub struct EvidenceItem {
    /// `register`, `connected-app`, `external-client-app`, `named-credential`,
    /// `external-credential`, `pre-authorization`.
    pub kind: &'static str,
    pub name: String,
    pub location: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct SystemOnIdentity {
    pub system: String,
    /// 1 = split first.
    pub rank: usize,
    pub evidence: Vec<EvidenceItem>,
    /// Its own profiles and permission sets (kind `profile`, `permission-set`,
    /// `permission-set-group`): what its register entry names and its apps pre-authorize.
    pub identities: Vec<EvidenceItem>,
    /// What the system itself uses: the grants of its own register entry and apps, plus the
    /// objects its entry documents. `basis` says which.
    pub reach: Reach,
    /// `own` (its entry's and apps' identities and documented objects) or `whole-identity`
    /// (nothing of its own is known, so it is assumed to use all the identity grants).
    pub basis: &'static str,
    pub risk: Risk,
}

#[derive(Debug, Serialize, Default)]
pub struct Risk {
    pub score: u32,
    pub factors: Vec<Factor>,
}

/// A documented risk factor (`docs/plan.md`).
#[derive(Debug, Serialize)]
pub struct Factor {
    /// `consent-edit`, `consent-read`, `identity-write`, `case-write`, `broad-access`,
    /// `high-volume`, `outside-vendor`, `undocumented`, `review-due`.
    pub id: &'static str,
    pub points: u32,
    pub detail: String,
}

/// Systems against the edition's free Salesforce Integration licences.
#[derive(Debug, Serialize)]
pub struct Licences {
    /// How many the edition gives (or `integration-licenses`), and where that number comes from.
    pub free: i64,
    pub basis: String,
    /// Systems the register puts on an Integration licence today (`license = "integration"`).
    pub on_integration: Vec<String>,
    /// Systems that need their own Integration user once every shared identity is split.
    pub needed_after_split: Vec<String>,
    /// `needed_after_split` beyond `free`.
    pub overflow: i64,
    pub overflow_advice: String,
}

/// The first split: which system leaves which identity, and the steps.
#[derive(Debug, Serialize)]
pub struct Split {
    pub system: String,
    pub from: String,
    pub new_user: String,
    pub new_permission_set: String,
    pub steps: Vec<steps::Step>,
}

/// The facts a plan is built from, shared by its parts.
pub(crate) struct Ctx<'a> {
    pub a: &'a Analysis,
    pub style: PathStyle,
    pub sensitive: Vec<String>,
    pub consent_fields: Vec<String>,
    pub today: String,
}

impl Ctx<'_> {
    pub fn loc(&self, loc: &Loc) -> String {
        let sources = &self.a.org.sources;
        let line = sources.span(loc.file, loc.start..loc.end).line;
        format!("{}:{line}", sources.display(loc.file, self.style))
    }

    pub fn file(&self, c: &Component) -> String {
        self.a.org.sources.display(c.file, self.style)
    }

    pub fn is_sensitive(&self, object: &str) -> bool {
        self.sensitive
            .iter()
            .any(|s| s.eq_ignore_ascii_case(object))
    }
}

/// One system's footing on an identity, before ranking.
struct Member {
    system: String,
    evidence: Vec<EvidenceItem>,
    /// Its own identities: its register entry's profile and permission sets, its apps'
    /// pre-authorized ones.
    own: Vec<Arc<Component>>,
    entry: Option<usize>,
    apps: Vec<Arc<Component>>,
}

/// Build the plan for the run.
pub fn build(a: &Analysis, style: PathStyle) -> Plan {
    let mut sensitive: Vec<String> = SENSITIVE_OBJECTS.iter().map(|s| s.to_string()).collect();
    sensitive.extend(a.config.plan_sensitive_objects.iter().cloned());
    let mut consent_fields: Vec<String> = CONSENT_FIELDS.iter().map(|s| s.to_string()).collect();
    consent_fields.extend(a.config.plan_consent_fields.iter().cloned());
    let ctx = Ctx {
        a,
        style,
        sensitive,
        consent_fields,
        today: crate::config::today(),
    };
    let mut shared = shared_users(&ctx);
    shared.extend(shared_components(&ctx));
    shared.extend(register_shared(&ctx));
    let licences = licences(&ctx, &shared);
    let first_split = steps::first_split(&ctx, &shared, &licences);
    Plan {
        shared,
        licences,
        first_split,
        sensitive_objects: ctx.sensitive,
        consent_fields: ctx.consent_fields,
    }
}

fn entry_index(a: &Analysis, system: &str) -> Option<usize> {
    let r = a.register.as_ref()?;
    r.register
        .entries
        .iter()
        .position(|e| e.system().eq_ignore_ascii_case(system))
}

fn app_kind(c: &Component) -> &'static str {
    match c.kind {
        Kind::ExternalClientApplication => "external-client-app",
        Kind::NamedCredential => "named-credential",
        Kind::ExternalCredential => "external-credential",
        _ => "connected-app",
    }
}

fn component_kind(c: &Component) -> &'static str {
    match c.kind {
        Kind::Profile => "profile",
        Kind::PermissionSetGroup => "permission-set-group",
        _ => "permission-set",
    }
}

fn push_unique(out: &mut Vec<Arc<Component>>, c: &Arc<Component>) {
    if !out.iter().any(|o| o.id == c.id) {
        out.push(c.clone());
    }
}

/// The element of `list` that `matches`, pushed from `make` when there is none.
pub(crate) fn find_or_push<T>(
    list: &mut Vec<T>,
    matches: impl Fn(&T) -> bool,
    make: impl FnOnce() -> T,
) -> &mut T {
    let i = match list.iter().position(matches) {
        Some(i) => i,
        None => {
            list.push(make());
            list.len() - 1
        }
    };
    &mut list[i]
}

impl Member {
    /// The member for `system` in `members` (systems compare without case), added when new.
    fn of<'m>(members: &'m mut Vec<Member>, system: &str) -> &'m mut Member {
        find_or_push(
            members,
            |m| m.system.eq_ignore_ascii_case(system),
            || Member::new(system),
        )
    }

    fn new(system: &str) -> Member {
        Member {
            system: system.to_string(),
            evidence: Vec::new(),
            own: Vec::new(),
            entry: None,
            apps: Vec::new(),
        }
    }

    fn add_entry(&mut self, ctx: &Ctx, index: usize) {
        if self.entry.is_some() {
            return;
        }
        self.entry = Some(index);
        let a = ctx.a;
        let r = a
            .register
            .as_ref()
            .expect("an entry index implies a register");
        let entry = &r.register.entries[index];
        self.evidence.push(EvidenceItem {
            kind: "register",
            name: entry.system().to_string(),
            location: a
                .register_loc(&entry.span, a.entry_anchor(index))
                .map(|l| ctx.loc(&l)),
        });
        for c in a.entry_identities(index) {
            push_unique(&mut self.own, c);
        }
        // The app the entry documents, even when it names no run-as user.
        if let Some(app) = entry.text("connected-app").and_then(|n| a.find_app(n)) {
            self.add_app(ctx, app, None);
        }
    }

    fn add_app(&mut self, ctx: &Ctx, app: &Arc<Component>, loc: Option<&Loc>) {
        if self.apps.iter().any(|x| x.id == app.id) {
            return;
        }
        self.apps.push(app.clone());
        self.evidence.push(EvidenceItem {
            kind: app_kind(app),
            name: app.name.clone(),
            location: Some(loc.map_or_else(|| ctx.loc(&app.own_loc()), |l| ctx.loc(l))),
        });
        for p in ctx.a.preauths.iter().filter(|p| p.app.id == app.id) {
            if let Some(t) = &p.target {
                push_unique(&mut self.own, t);
            }
        }
    }

    /// Credentials the register ties to this system (its entry's `connected-app` names them).
    fn add_credentials(&mut self, ctx: &Ctx) {
        for kind in [Kind::NamedCredential, Kind::ExternalCredential] {
            for c in ctx.a.org.of_kind(kind) {
                if ctx
                    .a
                    .register_system_of(c)
                    .is_some_and(|s| s.eq_ignore_ascii_case(&self.system))
                {
                    self.add_app(ctx, c, None);
                }
            }
        }
    }
}

/// Run-as usernames with two or more systems (the facts `integration-user-shared` reports).
fn shared_users(ctx: &Ctx) -> Vec<Shared> {
    let a = ctx.a;
    let mut users: Vec<(String, Vec<Member>)> = Vec::new();
    for r in &a.run_as {
        let key = r.username.to_lowercase();
        let members = &mut find_or_push(
            &mut users,
            |(u, _)| u.to_lowercase() == key,
            || (r.username.clone(), Vec::new()),
        )
        .1;
        let member = Member::of(members, &r.system);
        match &r.source {
            RunAsSource::Register(index) => member.add_entry(ctx, *index),
            RunAsSource::App(app) => member.add_app(ctx, app, Some(&r.loc)),
        }
    }
    let mut out = Vec::new();
    for (username, mut members) in users {
        if members.len() < 2 {
            continue;
        }
        for m in &mut members {
            if let Some(i) = entry_index(a, &m.system) {
                m.add_entry(ctx, i);
            }
            m.add_credentials(ctx);
        }
        // The user holds every identity any of its systems brings.
        let mut all = Vec::new();
        for m in &members {
            for c in &m.own {
                push_unique(&mut all, c);
            }
        }
        let reach = reach::of(ctx, &all, &[]);
        let location = members
            .iter()
            .flat_map(|m| m.evidence.iter())
            .find_map(|e| e.location.clone());
        out.push(shared(
            ctx, "user", username, location, members, reach, None,
        ));
    }
    out
}

/// Customer-owned profiles, permission sets and groups that two or more systems use: named by
/// their register entries or pre-authorized by their apps. Standard profiles (the API-only
/// minimum-access profile every integration user has) are shared by design and left out.
fn shared_components(ctx: &Ctx) -> Vec<Shared> {
    let a = ctx.a;
    let mut by_component: Vec<(Arc<Component>, Vec<Member>)> = Vec::new();
    let mut note = |c: &Arc<Component>, system: &str, f: &mut dyn FnMut(&mut Member)| {
        if !a.customer_owned(c) {
            return;
        }
        let members = &mut find_or_push(
            &mut by_component,
            |(x, _)| x.id == c.id,
            || (c.clone(), Vec::new()),
        )
        .1;
        f(Member::of(members, system));
    };
    if let Some(r) = &a.register {
        for (index, entry) in r.register.entries.iter().enumerate() {
            for c in a.entry_identities(index) {
                note(c, entry.system(), &mut |m| m.add_entry(ctx, index));
            }
        }
    }
    for p in &a.preauths {
        if let Some(t) = &p.target {
            let system = a.system_of_app(&p.app);
            let app = p.app.clone();
            note(t, &system, &mut |m| m.add_app(ctx, &app, None));
        }
    }
    let mut out = Vec::new();
    for (c, members) in by_component {
        if members.len() < 2 {
            continue;
        }
        let kind = component_kind(&c);
        let reach = reach::of(ctx, std::slice::from_ref(&c), &[]);
        let location = Some(ctx.file(&c));
        out.push(shared(
            ctx,
            kind,
            c.name.clone(),
            location,
            members,
            reach,
            None,
        ));
    }
    out
}

/// Register entries with `license = "shared"`: a user the team knows is shared (often a full
/// licence used by people and a system), to be split once it is reviewed.
fn register_shared(ctx: &Ctx) -> Vec<Shared> {
    let a = ctx.a;
    let Some(r) = &a.register else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (index, entry) in r.register.entries.iter().enumerate() {
        if entry.license() != "shared" {
            continue;
        }
        let mut m = Member::new(entry.system());
        m.add_entry(ctx, index);
        m.add_credentials(ctx);
        let reach = reach::of(ctx, &m.own, &[]);
        let location = m.evidence.first().and_then(|e| e.location.clone());
        let review_by = entry.text("review-by").map(str::to_string);
        out.push(shared(
            ctx,
            "register-shared",
            entry.system().to_string(),
            location,
            vec![m],
            reach,
            review_by,
        ));
    }
    out
}

fn shared(
    ctx: &Ctx,
    kind: &'static str,
    name: String,
    location: Option<String>,
    members: Vec<Member>,
    reach: Reach,
    review_by: Option<String>,
) -> Shared {
    let mut systems: Vec<SystemOnIdentity> = members
        .into_iter()
        .map(|m| system_on(ctx, m, &reach))
        .collect();
    systems.sort_by(|x, y| {
        y.risk
            .score
            .cmp(&x.risk.score)
            .then_with(|| x.system.to_lowercase().cmp(&y.system.to_lowercase()))
    });
    for (i, s) in systems.iter_mut().enumerate() {
        s.rank = i + 1;
    }
    Shared {
        kind,
        name,
        location,
        systems,
        reach,
        review_by,
    }
}

fn system_on(ctx: &Ctx, m: Member, whole: &Reach) -> SystemOnIdentity {
    let documented = m
        .entry
        .map(|i| documented_objects(ctx, i))
        .unwrap_or_default();
    let (reach, basis) = if m.own.is_empty() && documented.is_empty() {
        (whole.clone(), "whole-identity")
    } else {
        (reach::of(ctx, &m.own, &documented), "own")
    };
    let risk = risk(ctx, &m, &reach);
    let identities = m
        .own
        .iter()
        .map(|c| EvidenceItem {
            kind: component_kind(c),
            name: c.name.clone(),
            location: Some(ctx.file(c)),
        })
        .collect();
    SystemOnIdentity {
        system: m.system,
        rank: 0,
        evidence: m.evidence,
        identities,
        reach,
        basis,
        risk,
    }
}

/// The objects a register entry documents.
fn documented_objects(ctx: &Ctx, index: usize) -> Vec<(String, [bool; 6])> {
    let Some(r) = &ctx.a.register else {
        return Vec::new();
    };
    // Documented use is read; what it writes is what its identities grant.
    r.register.entries[index]
        .list("objects")
        .into_iter()
        .map(|(o, _)| (o, [true, false, false, false, false, false]))
        .collect()
}

/// The licence a system's own user gets: `integration` while the edition's free Integration
/// licences last (a system the register already puts on one keeps it), else `full`.
pub fn licence_for(a: &Analysis, system: &str) -> &'static str {
    let Some(r) = &a.register else {
        return "integration";
    };
    let (free, _) = r.register.allotment();
    let mut systems: Vec<String> = Vec::new();
    for e in &r.register.entries {
        let s = e.system().to_lowercase();
        if e.license() == "integration" && !systems.contains(&s) {
            systems.push(s);
        }
    }
    if systems.contains(&system.to_lowercase()) || (systems.len() as i64) < free {
        "integration"
    } else {
        "full"
    }
}

/// The documented factors (`docs/plan.md`), scored on what the system uses.
fn risk(ctx: &Ctx, m: &Member, reach: &Reach) -> Risk {
    let mut factors = Vec::new();
    let mut add =
        |id: &'static str, points: u32, detail: String| factors.push(Factor { id, points, detail });
    let writes = |o: &ObjectReach| o.can("create") || o.can("edit") || reach.all_data_write;
    let consent_objects: Vec<&ObjectReach> = reach
        .objects
        .iter()
        .filter(|o| {
            CONSENT_OBJECTS
                .iter()
                .any(|c| c.eq_ignore_ascii_case(&o.object))
        })
        .collect();
    let edited_consent: Vec<String> = reach
        .consent_fields
        .iter()
        .filter(|f| f.access == "edit")
        .map(|f| f.field.clone())
        .chain(
            consent_objects
                .iter()
                .filter(|o| writes(o))
                .map(|o| o.object.clone()),
        )
        .collect();
    if !edited_consent.is_empty() || reach.all_data_write {
        let what = if edited_consent.is_empty() {
            "every consent field (Modify All Data)".to_string()
        } else {
            edited_consent.join(", ")
        };
        add("consent-edit", 3, format!("can change consent: {what}"));
    } else if !reach.consent_fields.is_empty() || !consent_objects.is_empty() {
        let read: Vec<String> = reach
            .consent_fields
            .iter()
            .map(|f| f.field.clone())
            .chain(consent_objects.iter().map(|o| o.object.clone()))
            .collect();
        add(
            "consent-read",
            1,
            format!("reads consent: {}", read.join(", ")),
        );
    }
    let identity: Vec<String> = reach
        .objects
        .iter()
        .filter(|o| {
            IDENTITY_OBJECTS
                .iter()
                .any(|i| i.eq_ignore_ascii_case(&o.object))
                && writes(o)
        })
        .map(|o| o.object.clone())
        .collect();
    if !identity.is_empty() || reach.all_data_write {
        let what = if identity.is_empty() {
            "every object (Modify All Data)".to_string()
        } else {
            identity.join(", ")
        };
        add(
            "identity-write",
            2,
            format!("creates or edits identity records: {what}"),
        );
    }
    if reach
        .objects
        .iter()
        .any(|o| o.object.eq_ignore_ascii_case("Case") && (o.can("create") || o.can("edit")))
    {
        add("case-write", 2, "creates or updates Case".into());
    } else if reach.all_data_write {
        add(
            "case-write",
            2,
            "can create or update Case (Modify All Data)".into(),
        );
    }
    let broad: Vec<String> = reach
        .objects
        .iter()
        .filter(|o| o.sensitive && (o.can("delete") || o.can("view-all") || o.can("modify-all")))
        .map(|o| format!("{} ({})", o.object, o.access.join(", ")))
        .chain(reach.all_data.iter().cloned())
        .collect();
    if !broad.is_empty() {
        add(
            "broad-access",
            2,
            format!("deletes or sees every record: {}", broad.join("; ")),
        );
    }
    let entry = m
        .entry
        .and_then(|i| ctx.a.register.as_ref().map(|r| &r.register.entries[i]));
    match entry {
        None => add(
            "undocumented",
            1,
            "no register entry: no owner, retry or offboarding on record".into(),
        ),
        Some(entry) => {
            if let Some(volume) = entry.text("api-volume") {
                if let Some(per_day) = names::calls_per_day(volume) {
                    if per_day >= HIGH_VOLUME_PER_DAY {
                        add(
                            "high-volume",
                            2,
                            format!("api-volume {volume} (about {per_day} calls a day)"),
                        );
                    }
                }
            }
            let own_domain = entry
                .text("user")
                .and_then(|u| u.rsplit_once('@'))
                .map(|(_, d)| d.to_lowercase());
            if let Some(contact) = entry.text("support-contact") {
                if let Some((_, domain)) = contact.rsplit_once('@') {
                    let domain = domain.trim().to_lowercase();
                    if own_domain
                        .as_deref()
                        .is_some_and(|own| !same_org(own, &domain))
                    {
                        add(
                            "outside-vendor",
                            1,
                            format!("supported by an outside vendor ({contact})"),
                        );
                    }
                }
            }
            if let Some(review) = entry.text("review-by") {
                if let Some(days) = crate::config::days_between(&ctx.today, review) {
                    if days < 0 {
                        add(
                            "review-due",
                            2,
                            format!("review-by {review} passed {} days ago", -days),
                        );
                    } else if days <= REVIEW_NEAR_DAYS {
                        add(
                            "review-due",
                            1,
                            format!("review-by {review} is in {days} days"),
                        );
                    }
                }
            }
        }
    }
    Risk {
        score: factors.iter().map(|f| f.points).sum(),
        factors,
    }
}

/// Two mail domains of the same organisation (`acme.com` and `eu.acme.com`).
fn same_org(a: &str, b: &str) -> bool {
    a == b || a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}"))
}

fn licences(ctx: &Ctx, shared: &[Shared]) -> Licences {
    let a = ctx.a;
    let (free, basis) = a
        .register
        .as_ref()
        .map(|r| r.register.allotment())
        .unwrap_or_else(|| crate::config::register::Register::default().allotment());
    let mut on_integration: Vec<String> = Vec::new();
    let add = |list: &mut Vec<String>, s: &str| {
        if !s.is_empty() && !list.iter().any(|x| x.eq_ignore_ascii_case(s)) {
            list.push(s.to_string());
        }
    };
    if let Some(r) = &a.register {
        for e in &r.register.entries {
            if e.license() == "integration" {
                add(&mut on_integration, e.system());
            }
        }
    }
    let mut needed = on_integration.clone();
    for s in shared {
        for sys in &s.systems {
            add(&mut needed, &sys.system);
        }
    }
    // Systems documented on a full licence keep it.
    if let Some(r) = &a.register {
        needed.retain(|s| {
            !r.register
                .entries
                .iter()
                .any(|e| e.system().eq_ignore_ascii_case(s) && e.license() == "full")
        });
    }
    on_integration.sort_by_key(|s| s.to_lowercase());
    needed.sort_by_key(|s| s.to_lowercase());
    let overflow = (needed.len() as i64 - free).max(0);
    let overflow_advice = if overflow == 0 {
        format!(
            "{} of {free} free Integration licences used after the split",
            needed.len()
        )
    } else {
        format!(
            "{overflow} system(s) beyond the {free} free Integration licences: buy more Integration \
             user licences (then set `integration-licenses` in integrations.toml), or put the \
             lowest-risk ones on full Salesforce licences (`license = \"full\"`); never back onto \
             a shared user"
        )
    };
    Licences {
        free,
        basis,
        on_integration,
        needed_after_split: needed,
        overflow,
        overflow_advice,
    }
}
