//! `sfpolicy scaffold integration SYSTEM`: the metadata of one system's own, narrow identity.
//!
//! - a permission set named and labelled for the system (`Talkdesk_Integration`, "Talkdesk
//!   integration access"), with object and field access exactly as asked (read unless create or
//!   edit is named; Delete, View All and Modify All only with `--reason`, which also writes a
//!   waiver that expires in 90 days so the exception is reviewed);
//! - a connected app skeleton: client credentials as the system's user, admin-approved users
//!   only, IP restrictions enforced, refresh tokens that expire within the hour, the permission
//!   set pre-authorized;
//! - a custom permission for each documented bypass (`--bypass`), granted by the set;
//! - the register entry (or, with `--from-register`, the changes its existing entry needs).
//!
//! It reads the project through the same pipeline as `check` (no second analysis), never
//! overwrites a file, and says what it wrote and what a person must still do.

use crate::analysis::Analysis;
use crate::config::toml_tree::{quote, quote_list};
use crate::diag::ToolError;
use crate::model::Kind;
use crate::pipeline;
use crate::plan::names;
use crate::plan::reach::ACCESS;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The minimum-access profile Salesforce provides for integration users.
pub const INTEGRATION_PROFILE: &str = "Minimum Access - API Only Integrations";

/// The minimum-access profile of a full Salesforce licence.
pub const FULL_LICENCE_PROFILE: &str = "Minimum Access - Salesforce";

/// How long a waiver written for a broad grant lasts.
pub const WAIVER_DAYS: i64 = 90;

#[derive(clap::Args, Debug, Default, Clone)]
pub struct Args {
    /// The external system, as the register names it (e.g. "Talkdesk")
    pub system: String,
    /// Project folder (default ".")
    #[arg(long, default_value = ".")]
    pub project: PathBuf,
    /// Take the user, objects, owner and contacts from the system's entry in the register
    #[arg(long)]
    pub from_register: bool,
    /// Objects and access, comma-separated: `Lead:create+edit,Contact` (read when no access is
    /// named; `delete`, `view-all` and `modify-all` need --reason)
    #[arg(long, value_delimiter = ',', value_name = "OBJECT[:ACCESS]")]
    pub objects: Vec<String>,
    /// Fields, comma-separated: `Lead.Email:edit,Lead.Phone` (read unless `edit`)
    #[arg(long, value_delimiter = ',', value_name = "OBJECT.FIELD[:edit]")]
    pub fields: Vec<String>,
    /// A documented bypass (repeatable): writes the custom permission <System>_Bypass_<NAME>,
    /// granted by the permission set, for validation rules and flows to check
    #[arg(long, value_name = "NAME")]
    pub bypass: Vec<String>,
    /// Why Delete, View All or Modify All is needed: written into a waiver that expires in 90 days
    #[arg(long)]
    pub reason: Option<String>,
    /// The system's own Salesforce username (default with --from-register: the entry's, or a new
    /// int_<system>@<domain> when the entry's user serves other systems too)
    #[arg(long)]
    pub user: Option<String>,
    /// Team that owns the integration
    #[arg(long)]
    pub owner: Option<String>,
    /// The vendor's or team's support contact
    #[arg(long)]
    pub contact: Option<String>,
    /// Where failures are announced (a channel or mailbox)
    #[arg(long)]
    pub alerts: Option<String>,
    /// How the system retries a failed call
    #[arg(long)]
    pub retry: Option<String>,
    /// inbound, outbound or both
    #[arg(long)]
    pub direction: Option<String>,
    /// real-time, scheduled, event-based or manual
    #[arg(long)]
    pub frequency: Option<String>,
    /// Calls a day, e.g. 4000/day
    #[arg(long)]
    pub api_volume: Option<String>,
    /// The API-name stem of the files (default: from SYSTEM, e.g. `Clearbit_Enrichment`)
    #[arg(long, value_name = "API_NAME")]
    pub name: Option<String>,
    /// Who handles its errors (default: the owner)
    #[arg(long)]
    pub error_owner: Option<String>,
    /// The connected app's contactEmail (default: the first email among contact, error owner,
    /// owner and alerts)
    #[arg(long)]
    pub contact_email: Option<String>,
}

/// Object access asked for, indexed like `OBJECT_FLAGS`.
#[derive(Debug, Clone)]
struct ObjectAccess {
    object: String,
    flags: [bool; 6],
}

#[derive(Debug, Clone)]
struct FieldAccess {
    field: String,
    edit: bool,
}

fn is_api_name(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn parse_objects(specs: &[String]) -> Result<Vec<ObjectAccess>, ToolError> {
    let mut out: Vec<ObjectAccess> = Vec::new();
    for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (object, access) = spec.split_once(':').unwrap_or((spec, "read"));
        let object = object.trim();
        if !is_api_name(object) {
            return Err(ToolError::new(format!(
                "--objects: `{object}` is not an object API name (letters, digits, _)"
            )));
        }
        let mut flags = [false; 6];
        flags[0] = true;
        for word in access.split('+').map(str::trim) {
            let Some(i) = ACCESS.iter().position(|a| *a == word) else {
                return Err(ToolError::new(format!(
                    "--objects {spec}: unknown access `{word}` (expected {})",
                    ACCESS.join(", ")
                )));
            };
            flags[i] = true;
        }
        // Salesforce's implications: Modify All ⇒ View All, Delete, Edit; Delete ⇒ Edit.
        if flags[5] {
            flags[2] = true;
            flags[3] = true;
            flags[4] = true;
        }
        if flags[3] {
            flags[2] = true;
        }
        match out
            .iter_mut()
            .find(|o| o.object.eq_ignore_ascii_case(object))
        {
            Some(o) => {
                for (have, add) in o.flags.iter_mut().zip(flags) {
                    *have |= add;
                }
            }
            None => out.push(ObjectAccess {
                object: object.to_string(),
                flags,
            }),
        }
    }
    Ok(out)
}

fn parse_fields(specs: &[String], objects: &[ObjectAccess]) -> Result<Vec<FieldAccess>, ToolError> {
    let mut out: Vec<FieldAccess> = Vec::new();
    for spec in specs.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let (field, access) = spec.split_once(':').unwrap_or((spec, "read"));
        let field = field.trim();
        let Some((object, name)) = field.split_once('.') else {
            return Err(ToolError::new(format!(
                "--fields: `{field}` must be Object.Field"
            )));
        };
        if !is_api_name(object) || !is_api_name(name) {
            return Err(ToolError::new(format!(
                "--fields: `{field}` is not Object.Field of API names"
            )));
        }
        let edit = match access.trim() {
            "read" => false,
            "edit" => true,
            other => {
                return Err(ToolError::new(format!(
                    "--fields {spec}: unknown access `{other}` (expected read or edit)"
                )))
            }
        };
        let Some(o) = objects
            .iter()
            .find(|o| o.object.eq_ignore_ascii_case(object))
        else {
            return Err(ToolError::new(format!(
                "--fields {spec}: add {object} to --objects first (a field is reachable only through its object)"
            )));
        };
        if edit && !(o.flags[1] || o.flags[2]) {
            return Err(ToolError::new(format!(
                "--fields {spec}: editing a field needs create or edit on {object} (--objects {object}:edit)"
            )));
        }
        if !out.iter().any(|f| f.field.eq_ignore_ascii_case(field)) {
            out.push(FieldAccess {
                field: field.to_string(),
                edit,
            });
        }
    }
    Ok(out)
}

/// Salesforce's limits: labels (permission set, connected app, custom permission) 80
/// characters, descriptions 255.
const LABEL_MAX: usize = 80;
const DESCRIPTION_MAX: usize = 255;

/// `text` cut to `max` characters (with an ellipsis).
fn limit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// XML text content.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// What the scaffold will write and say, decided before anything is written.
struct Facts {
    system: String,
    user: String,
    owner: String,
    contact: String,
    alerts: String,
    retry: String,
    direction: String,
    frequency: String,
    api_volume: Option<String>,
    error_owner: String,
    contact_email: Option<String>,
    objects: Vec<ObjectAccess>,
    fields: Vec<FieldAccess>,
    /// The register entry it comes from (`--from-register`).
    entry: Option<usize>,
    /// The user the entry names, when another system shares it.
    replaces_user: Option<String>,
}

fn permission_set_xml(f: &Facts, ps_label: &str, bypasses: &[(String, String)]) -> String {
    let mut x = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n",
    );
    for (name, _) in bypasses {
        let _ = writeln!(
            x,
            "    <customPermissions>\n        <enabled>true</enabled>\n        <name>{}</name>\n    </customPermissions>",
            xml(name)
        );
    }
    let _ = writeln!(
        x,
        "    <description>{}</description>",
        xml(&limit(
            &format!(
                "The access of {} (user {}): only what the register documents. Written by sfpolicy scaffold.",
                f.system, f.user
            ),
            DESCRIPTION_MAX
        ))
    );
    let mut fields = f.fields.clone();
    fields.sort_by_key(|x| x.field.to_lowercase());
    for field in &fields {
        let _ = writeln!(
            x,
            "    <fieldPermissions>\n        <editable>{}</editable>\n        <field>{}</field>\n        <readable>true</readable>\n    </fieldPermissions>",
            field.edit,
            xml(&field.field)
        );
    }
    let _ = writeln!(
        x,
        "    <hasActivationRequired>false</hasActivationRequired>"
    );
    let _ = writeln!(x, "    <label>{}</label>", xml(ps_label));
    let mut objects = f.objects.clone();
    objects.sort_by_key(|o| o.object.to_lowercase());
    for o in &objects {
        x.push_str("    <objectPermissions>\n");
        // The Metadata API's element order (alphabetical), which deploys check.
        let _ = writeln!(
            x,
            "        <allowCreate>{}</allowCreate>\n        <allowDelete>{}</allowDelete>\n        <allowEdit>{}</allowEdit>\n        <allowRead>{}</allowRead>\n        <modifyAllRecords>{}</modifyAllRecords>\n        <object>{}</object>\n        <viewAllRecords>{}</viewAllRecords>",
            o.flags[1],
            o.flags[3],
            o.flags[2],
            o.flags[0],
            o.flags[5],
            xml(&o.object),
            o.flags[4]
        );
        x.push_str("    </objectPermissions>\n");
    }
    x.push_str("</PermissionSet>\n");
    x
}

/// `preauthorized` is the permission set's label: what connected apps name in `permissionSetName`.
fn connected_app_xml(f: &Facts, app_label: &str, preauthorized: &str, email: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>{email}</contactEmail>
    <description>{description}</description>
    <label>{label}</label>
    <oauthConfig>
        <callbackUrl>https://login.salesforce.com/services/oauth2/success</callbackUrl>
        <isAdminApproved>true</isAdminApproved>
        <isClientCredentialEnabled>true</isClientCredentialEnabled>
        <isCodeCredentialEnabled>false</isCodeCredentialEnabled>
        <isConsumerSecretOptional>false</isConsumerSecretOptional>
        <isIntrospectAllTokens>false</isIntrospectAllTokens>
        <isSecretRequiredForRefreshToken>true</isSecretRequiredForRefreshToken>
        <oauthClientCredentialUser>{user}</oauthClientCredentialUser>
        <scopes>Api</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>ENFORCE</ipRelaxation>
        <refreshTokenPolicy>specific_lifetime:1:HOURS</refreshTokenPolicy>
    </oauthPolicy>
    <permissionSetName>{ps}</permissionSetName>
</ConnectedApp>
"#,
        email = xml(email),
        description = xml(&limit(
            &format!(
                "{} signs in with the client credentials flow as {}.",
                f.system, f.user
            ),
            DESCRIPTION_MAX
        )),
        label = xml(app_label),
        user = xml(&f.user),
        ps = xml(preauthorized),
    )
}

fn custom_permission_xml(system: &str, bypass: &str, name: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<CustomPermission xmlns="http://soap.sforce.com/2006/04/metadata">
    <description>{}</description>
    <isLicensed>false</isLicensed>
    <label>{}</label>
</CustomPermission>
"#,
        xml(&limit(
            &format!(
                "Lets {system} bypass {bypass}: check $Permission.{name} in the validation rule or flow instead of a username."
            ),
            DESCRIPTION_MAX
        )),
        xml(&format!("{system}: bypass {bypass}")),
    )
}

/// Write the scaffold; returns what to print (what was written, kept, and left to a person).
pub fn run(args: &Args) -> Result<String, ToolError> {
    let system = args.system.trim();
    if system.is_empty() || system.chars().any(char::is_control) {
        return Err(ToolError::new(
            "SYSTEM must be the system's name, e.g. \"Talkdesk\"",
        ));
    }
    let options = pipeline::Options {
        paths: vec![args.project.clone()],
        ..pipeline::Options::default()
    };
    let (a, _warnings) = pipeline::analyze(&options)?;
    let root = a.org.root.clone();
    if !root.join("sfdx-project.json").is_file() {
        return Err(ToolError::new(format!(
            "{}: no sfdx-project.json; scaffold writes sfdx source format into the default package directory",
            root.display()
        )));
    }
    let facts = facts(&a, args, system)?;
    write(&a, &root, args, facts)
}

/// The access a register entry documents: for each object, what its identities grant today
/// (read, create, edit: never Delete, View All or Modify All); an object none grants is read
/// only. When the entry's identities are not in the project, its `direction` decides: a system
/// that sends (`inbound`, `both`) creates and edits, one that receives (`outbound`) reads.
fn documented_access(
    a: &Analysis,
    e: &crate::config::register::Entry,
    index: usize,
) -> Vec<ObjectAccess> {
    let identities = a.entry_identities(index);
    let writes = !matches!(e.text("direction"), Some("outbound"));
    e.list("objects")
        .into_iter()
        .map(|(o, _)| o.trim().to_string())
        .filter(|o| is_api_name(o))
        .map(|object| {
            let mut flags = [true, false, false, false, false, false];
            if identities.is_empty() {
                flags[1] = writes;
                flags[2] = writes;
            }
            for c in identities {
                for g in &a.effective_permissions(c).objects {
                    if g.object.eq_ignore_ascii_case(&object) {
                        flags[1] |= g.flags[1];
                        flags[2] |= g.flags[2];
                    }
                }
            }
            ObjectAccess { object, flags }
        })
        .collect()
}

fn first_email<'a>(candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    candidates
        .into_iter()
        .map(str::trim)
        .find(|c| {
            c.split_once('@').is_some_and(|(l, d)| {
                !l.is_empty() && d.contains('.') && !c.contains(char::is_whitespace)
            }) && !crate::config::register::is_placeholder_contact(c)
        })
        .map(str::to_string)
}

fn facts(a: &Analysis, args: &Args, system: &str) -> Result<Facts, ToolError> {
    let register = a.register.as_ref().map(|r| &r.register);
    let existing = register.and_then(|r| {
        r.entries
            .iter()
            .position(|e| e.system().eq_ignore_ascii_case(system))
    });
    let entry = match (args.from_register, existing) {
        (true, Some(i)) => Some(i),
        (true, None) => {
            let systems: Vec<&str> = register
                .map(|r| r.entries.iter().map(|e| e.system()).collect())
                .unwrap_or_default();
            let hint = systems
                .iter()
                .map(|s| {
                    (
                        strsim::jaro_winkler(&s.to_lowercase(), &system.to_lowercase()),
                        s,
                    )
                })
                .filter(|(score, _)| *score > 0.8)
                .max_by(|x, y| x.0.total_cmp(&y.0))
                .map(|(_, s)| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            return Err(ToolError::new(if register.is_none() {
                "--from-register: the project has no register (integrations.toml)".to_string()
            } else {
                format!(
                    "--from-register: the register has no entry for `{system}`{hint}; its systems: {}",
                    systems.join(", ")
                )
            }));
        }
        (false, Some(i)) => {
            return Err(ToolError::new(format!(
            "the register already has an entry for `{}`: use --from-register to scaffold from it",
            register.map_or("", |r| r.entries[i].system())
        )))
        }
        (false, None) => None,
    };
    let e = entry.and_then(|i| register.map(|r| &r.entries[i]));
    let from = |flag: &Option<String>, key: &str| -> Option<String> {
        flag.clone()
            .or_else(|| e.and_then(|e| e.text(key)).map(str::to_string))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let owner = from(&args.owner, "owner");
    let mut missing = Vec::new();
    let mut need = |value: Option<String>, flag: &str| {
        if value.is_none() {
            missing.push(flag.to_string());
        }
        value.unwrap_or_default()
    };
    let entry_user = e.and_then(|e| e.text("user")).map(str::to_string);
    // The entry's user, unless another system runs as it too: then a new one in its domain.
    let shared_with: Vec<String> = entry_user
        .as_deref()
        .map(|u| {
            a.run_as
                .iter()
                .filter(|r| {
                    r.username.eq_ignore_ascii_case(u) && !r.system.eq_ignore_ascii_case(system)
                })
                .map(|r| r.system.clone())
                .collect()
        })
        .unwrap_or_default();
    let (user, replaces_user) = match (&args.user, &entry_user) {
        (Some(u), _) => (
            Some(u.trim().to_string()),
            entry_user
                .clone()
                .filter(|old| !old.eq_ignore_ascii_case(u.trim())),
        ),
        // Shared with another system, or marked shared in the register: a user of its own.
        (None, Some(old))
            if !shared_with.is_empty() || e.is_some_and(|e| e.license() == "shared") =>
        {
            (Some(names::new_username(system, old)), Some(old.clone()))
        }
        (None, old) => (old.clone(), None),
    };
    let user = need(user, "--user");
    if let Some(other) = a
        .run_as
        .iter()
        .find(|r| r.username.eq_ignore_ascii_case(&user) && !r.system.eq_ignore_ascii_case(system))
    {
        return Err(ToolError::new(format!(
            "{user} is already the run-as user of {}: one user per system (give --user a user of {system}'s own)",
            other.system
        )));
    }
    if !user.is_empty() && !user.contains('@') {
        return Err(ToolError::new(format!(
            "--user {user}: a Salesforce username has the form of an email address"
        )));
    }
    let owner = need(owner, "--owner");
    let contact = need(from(&args.contact, "support-contact"), "--contact");
    let alerts = need(from(&args.alerts, "alerts"), "--alerts");
    let retry = need(from(&args.retry, "retry"), "--retry");
    let direction = need(from(&args.direction, "direction"), "--direction");
    let frequency = need(from(&args.frequency, "frequency"), "--frequency");
    let error_owner = from(&args.error_owner, "error-owner").unwrap_or_else(|| owner.clone());
    let api_volume = from(&args.api_volume, "api-volume");
    let mut objects = parse_objects(&args.objects)?;
    if objects.is_empty() {
        if let (Some(e), Some(index)) = (e, entry) {
            objects = documented_access(a, e, index);
        }
    }
    if objects.is_empty() {
        missing.push("--objects".into());
    }
    if !missing.is_empty() {
        let hint = if args.from_register {
            "give them, or add the keys to the register entry"
        } else {
            "give them (e.g. --owner \"Telephony team\" --contact support@vendor.com --alerts \"#vendor-alerts\" --retry \"3 attempts, exponential backoff\" --direction inbound --frequency real-time), or scaffold from a register entry with --from-register"
        };
        return Err(ToolError::new(format!(
            "scaffold integration {system}: missing {}: {hint}",
            missing.join(", ")
        )));
    }
    if let Some(v) = &api_volume {
        if names::calls_per_day(v).is_none() {
            return Err(ToolError::new(format!(
                "api-volume `{v}`: give calls per period, e.g. 4000/day or 200/hour"
            )));
        }
    }
    for (value, key) in [(&direction, "direction"), (&frequency, "frequency")] {
        let allowed = crate::config::register::allowed_values(key);
        if !allowed.contains(&value.as_str()) {
            return Err(ToolError::new(format!(
                "--{key} {value}: expected one of {}",
                allowed.join(", ")
            )));
        }
    }
    let broad: Vec<String> = objects
        .iter()
        .filter(|o| o.flags[3] || o.flags[4] || o.flags[5])
        .map(|o| o.object.clone())
        .collect();
    if !broad.is_empty() && args.reason.as_deref().map_or(true, |r| r.trim().is_empty()) {
        return Err(ToolError::new(format!(
            "Delete, View All or Modify All on {} needs --reason \"why the integration needs it\" (it is written into a waiver that expires in {WAIVER_DAYS} days)",
            broad.join(", ")
        )));
    }
    let fields = parse_fields(&args.fields, &objects)?;
    let contact_email = args.contact_email.clone().or_else(|| {
        first_email([
            contact.as_str(),
            error_owner.as_str(),
            owner.as_str(),
            alerts.as_str(),
        ])
    });
    Ok(Facts {
        system: system.to_string(),
        user,
        owner,
        contact,
        alerts,
        retry,
        direction,
        frequency,
        api_volume,
        error_owner,
        contact_email,
        objects,
        fields,
        entry,
        replaces_user,
    })
}

/// What the scaffold will write, staged: everything is decided and checked first (a file that
/// exists is kept, an addition must still parse), then written; if a write fails, what this run
/// wrote is removed and appended files get their old text back.
struct Writer<'a> {
    root: &'a Path,
    report: String,
    /// (path relative to the root, new text, old text when appending to an existing file).
    staged: Vec<(PathBuf, String, Option<String>)>,
}

impl Writer<'_> {
    /// Stage `rel` unless it exists (then it is kept and said so); true when staged.
    fn create(&mut self, rel: &Path, text: &str) -> bool {
        if std::fs::symlink_metadata(self.root.join(rel)).is_ok() {
            let _ = writeln!(
                self.report,
                "kept     {} (it exists; sfpolicy never overwrites)",
                rel.display()
            );
            return false;
        }
        self.staged
            .push((rel.to_path_buf(), text.to_string(), None));
        true
    }

    /// Stage an addition to a text file (created when absent), checking the result parses.
    fn append(
        &mut self,
        rel: &Path,
        addition: &str,
        check: impl Fn(&str) -> Result<(), String>,
    ) -> Result<(), ToolError> {
        let path = self.root.join(rel);
        let before = match std::fs::symlink_metadata(&path) {
            Ok(_) => Some(
                crate::source::read_to_string(&path)
                    .map_err(|e| ToolError::new(format!("{}: cannot read: {e}", path.display())))?,
            ),
            Err(_) => None,
        };
        let mut after = before.clone().unwrap_or_default();
        if !after.is_empty() && !after.ends_with('\n') {
            after.push('\n');
        }
        if !after.is_empty() {
            after.push('\n');
        }
        after.push_str(addition);
        check(&after).map_err(|e| {
            ToolError::new(format!(
                "{}: adding to it would not parse ({e}); nothing was written",
                rel.display()
            ))
        })?;
        self.staged.push((rel.to_path_buf(), after, before));
        Ok(())
    }

    /// Write everything staged, or nothing.
    fn commit(mut self) -> Result<String, ToolError> {
        let staged = std::mem::take(&mut self.staged);
        let mut done: Vec<(PathBuf, Option<String>)> = Vec::new();
        let mut made_dirs: Vec<PathBuf> = Vec::new();
        for (rel, text, before) in &staged {
            let path = self.root.join(rel);
            let result = (|| -> std::io::Result<()> {
                if let Some(dir) = path.parent() {
                    let mut missing = Vec::new();
                    let mut d = Some(dir);
                    while let Some(x) = d.filter(|x| !x.exists()) {
                        missing.push(x.to_path_buf());
                        d = x.parent();
                    }
                    std::fs::create_dir_all(dir)?;
                    made_dirs.extend(missing);
                }
                match before {
                    // Appending: the file exists; a FIFO or a folder fails the read above.
                    Some(_) => std::fs::write(&path, text),
                    None => std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&path)
                        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes())),
                }
            })();
            if let Err(e) = result {
                for (p, old) in done.iter().rev() {
                    let full = self.root.join(p);
                    match old {
                        Some(old) => {
                            let _ = std::fs::write(&full, old);
                        }
                        None => {
                            let _ = std::fs::remove_file(&full);
                        }
                    }
                }
                for d in made_dirs.iter() {
                    let _ = std::fs::remove_dir(d);
                }
                return Err(ToolError::new(format!(
                    "{}: cannot write: {e}; nothing was written",
                    path.display()
                )));
            }
            done.push((rel.clone(), before.clone()));
        }
        for (rel, _, before) in &staged {
            let _ = writeln!(
                self.report,
                "{} {}",
                if before.is_some() {
                    "appended"
                } else {
                    "wrote   "
                },
                rel.display()
            );
        }
        Ok(self.report)
    }
}

/// The longest stem `--name` or a system name may give: `<stem>_Bypass_<name>` must stay within
/// Salesforce's 80 characters.
const MAX_STEM: usize = 40;

/// The API-name stem of the system's files: `--name`, else from the system's name. Refused when
/// it would be empty of the system's own letters, too long, or someone else's.
fn stem_for(a: &Analysis, args: &Args, f: &Facts) -> Result<String, ToolError> {
    let stem = match &args.name {
        Some(n) => {
            let n = n.trim();
            if !is_api_name(n) || n.contains("__") || n.ends_with('_') || n.len() > MAX_STEM {
                return Err(ToolError::new(format!(
                    "--name {n}: an API name of at most {MAX_STEM} characters: a letter, then letters, digits and single underscores"
                )));
            }
            n.to_string()
        }
        None => {
            if f.system
                .chars()
                .any(|c| c.is_alphanumeric() && !c.is_ascii())
            {
                return Err(ToolError::new(format!(
                    "`{}` has letters an API name cannot hold (ASCII letters, digits and _ only): give --name, e.g. --name Vendor_Sync",
                    f.system
                )));
            }
            if !f.system.chars().any(|c| c.is_ascii_alphanumeric()) {
                return Err(ToolError::new(format!(
                    "`{}` gives no API name (Salesforce API names are ASCII letters, digits and _): give --name, e.g. --name Vendor_Sync",
                    f.system
                )));
            }
            let stem = names::api_stem(&f.system);
            if stem.len() > MAX_STEM {
                return Err(ToolError::new(format!(
                    "`{}` gives an API name of {} characters: give a shorter one with --name (at most {MAX_STEM})",
                    f.system,
                    stem.len()
                )));
            }
            stem
        }
    };
    // Files of that name that belong to another system, or to nobody on record, are not this
    // system's to reuse: two systems would share one identity again.
    let ps_name = format!("{stem}_Integration");
    if let Some(r) = &a.register {
        for (i, e) in r.register.entries.iter().enumerate() {
            if Some(i) == f.entry {
                continue;
            }
            let names_it = e
                .list("permission-sets")
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(&ps_name))
                || e.text("connected-app")
                    .is_some_and(|n| n.eq_ignore_ascii_case(&ps_name));
            if names_it {
                return Err(ToolError::new(format!(
                    "{ps_name} belongs to {} in the register: give this system another name with --name",
                    e.system()
                )));
            }
        }
    }
    let ours = f
        .entry
        .and_then(|i| a.register.as_ref().map(|r| &r.register.entries[i]))
        .is_some_and(|e| {
            e.list("permission-sets")
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(&ps_name))
        });
    if !ours && a.org.find(Kind::PermissionSet, &ps_name).is_some() {
        return Err(ToolError::new(format!(
            "permission set {ps_name} is already in the project and the register does not say it is {}'s: give another name with --name, or name it in the system's entry",
            f.system
        )));
    }
    Ok(stem)
}

fn write(a: &Analysis, root: &Path, args: &Args, f: Facts) -> Result<String, ToolError> {
    let dir = names::metadata_dir(root);
    let stem = stem_for(a, args, &f)?;
    let ps_name = format!("{stem}_Integration");
    let ps_label = names::permission_set_label(&f.system);
    if ps_label.chars().count() > LABEL_MAX {
        return Err(ToolError::new(format!(
            "the label \"{ps_label}\" is longer than Salesforce's {LABEL_MAX} characters: give the system a shorter name"
        )));
    }
    let mut bypasses: Vec<(String, String)> = Vec::new();
    for b in args
        .bypass
        .iter()
        .map(|b| b.trim())
        .filter(|b| !b.is_empty())
    {
        if !b.chars().any(|c| c.is_ascii_alphanumeric()) || names::api_stem(b).len() > MAX_STEM {
            return Err(ToolError::new(format!(
                "--bypass {b}: name it in ASCII letters and digits, at most {MAX_STEM} characters (it becomes {stem}_Bypass_<name>)"
            )));
        }
        let name = format!("{stem}_Bypass_{}", names::api_stem(b));
        if format!("{}: bypass {b}", f.system).chars().count() > LABEL_MAX {
            return Err(ToolError::new(format!(
                "--bypass {b}: the custom permission's label \"{}: bypass {b}\" is longer than {LABEL_MAX} characters",
                f.system
            )));
        }
        if !bypasses.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name)) {
            bypasses.push((name, b.to_string()));
        }
    }
    let entry = f
        .entry
        .and_then(|i| a.register.as_ref().map(|r| &r.register.entries[i]));
    // The app the entry names, when it is in the project: it is moved, not replaced.
    let existing_app = entry
        .and_then(|e| e.text("connected-app"))
        .and_then(|n| a.find_app(n));
    let uses_app = entry
        .and_then(|e| e.text("auth"))
        .map_or(true, |auth| auth.starts_with("oauth"));
    let mut todo: Vec<String> = Vec::new();
    let mut w = Writer {
        root,
        report: String::new(),
        staged: Vec::new(),
    };

    let ps_rel = dir
        .join("permissionsets")
        .join(format!("{ps_name}.permissionset-meta.xml"));
    let ps_exists = a.org.find(Kind::PermissionSet, &ps_name).is_some();
    if let Some(existing) = a.org.find(Kind::PermissionSet, &ps_name) {
        let broad: Vec<String> = a
            .effective_permissions(existing)
            .objects
            .iter()
            .filter(|g| g.flags[3] || g.flags[4] || g.flags[5])
            .map(|g| g.object.clone())
            .collect();
        todo.push(format!(
            "{ps_name} was already in the project and is kept as it is: check it grants only what the register documents{}",
            if broad.is_empty() {
                String::new()
            } else {
                format!(" (it grants Delete, View All or Modify All on {})", broad.join(", "))
            }
        ));
    }
    if ps_exists && std::fs::symlink_metadata(root.join(&ps_rel)).is_err() {
        let _ = writeln!(
            w.report,
            "kept     permission set {ps_name} (it is already in the project; sfpolicy never overwrites)"
        );
    } else {
        w.create(&ps_rel, &permission_set_xml(&f, &ps_label, &bypasses));
    }
    for (name, bypass) in &bypasses {
        let rel = dir
            .join("customPermissions")
            .join(format!("{name}.customPermission-meta.xml"));
        w.create(&rel, &custom_permission_xml(&f.system, bypass, name));
        todo.push(format!(
            "check $Permission.{name} where {} must bypass {bypass} (a validation rule's formula, a flow's decision), instead of its username",
            f.system
        ));
    }

    let mut app_name = None;
    match (existing_app, uses_app) {
        (Some(app), _) => {
            let loc = a
                .org
                .sources
                .display(app.file, crate::source::PathStyle::Human);
            let runs_as = a.run_as.iter().find_map(|r| match &r.source {
                crate::analysis::RunAsSource::App(c) if c.id == app.id => Some(&r.username),
                _ => None,
            });
            let preauths: Vec<&crate::analysis::PreAuth> =
                a.preauths.iter().filter(|p| p.app.id == app.id).collect();
            let is_new = |p: &crate::analysis::PreAuth| {
                p.name.eq_ignore_ascii_case(&ps_name)
                    || p.name.eq_ignore_ascii_case(&ps_label)
                    || p.target
                        .as_ref()
                        .is_some_and(|t| t.name.eq_ignore_ascii_case(&ps_name))
            };
            let mut changes = Vec::new();
            let client_credentials = app
                .doc
                .child(app.node, "oauthConfig")
                .is_some_and(|o| app.doc.child_flag(o, "isClientCredentialEnabled"))
                || app.kind == Kind::ExternalClientApplication;
            if !client_credentials {
                changes.push(
                    "enable the client credentials flow (isClientCredentialEnabled), so the system signs in as its own user and not as whoever authorizes it"
                        .to_string(),
                );
            }
            if !runs_as.is_some_and(|u| u.eq_ignore_ascii_case(&f.user)) {
                changes.push(format!(
                    "set the run-as user (oauthClientCredentialUser; clientCredentialsFlowUser for an external client app) to {}",
                    f.user
                ));
            }
            if !preauths.iter().any(|p| is_new(p)) {
                changes.push(format!(
                    "pre-authorize the permission set `{ps_label}` (permissionSetName)"
                ));
            }
            let others: Vec<String> = preauths
                .iter()
                .filter(|p| !is_new(p))
                .map(|p| format!("{} {}", p.kind.as_str(), p.name))
                .collect();
            if !others.is_empty() {
                changes.push(format!(
                    "remove the pre-authorization of {} once {} works with its own set",
                    others.join(", "),
                    f.system
                ));
            }
            if !changes.is_empty() {
                todo.push(format!("in {loc}: {}", changes.join("; ")));
            }
            app_name = Some(app.name.clone());
        }
        (None, true) => {
            let Some(email) = &f.contact_email else {
                return Err(ToolError::new(
                    "the connected app needs a contactEmail: give --contact-email (a team mailbox)",
                ));
            };
            let rel = dir
                .join("connectedApps")
                .join(format!("{ps_name}.connectedApp-meta.xml"));
            w.create(
                &rel,
                &connected_app_xml(&f, &format!("{} integration", f.system), &ps_label, email),
            );
            app_name = Some(ps_name.clone());
            todo.push(format!(
                "deploy the connected app; Salesforce generates its consumer key and secret: hand them to {} through your secret store",
                f.owner
            ));
            todo.push(
                "set the trusted IP ranges of the integration user's profile or the app (the app enforces them)"
                    .into(),
            );
        }
        (None, false) => {
            let has_principal = a
                .org
                .find(Kind::PermissionSet, &ps_name)
                .is_some_and(|ps| !a.effective_permissions(ps).principals.is_empty());
            if !has_principal {
                todo.push(format!(
                    "if {}'s named credential authenticates through an external credential, give {ps_name} its principal access (externalCredentialPrincipalAccesses); a legacy named credential with its own login needs none",
                    f.system
                ));
            }
        }
    }

    let register_rel = PathBuf::from(
        a.config
            .register
            .as_ref()
            .map_or(crate::config::register::FILE_NAME, |(p, _)| p.as_str()),
    );
    let licence = crate::plan::licence_for(a, &f.system).to_string();
    match entry {
        None => {
            let text = register_entry(&f, app_name.as_deref(), &ps_name, &licence, &bypasses);
            w.append(&register_rel, &text, |t| {
                crate::config::register::Register::parse(t)
                    .map(|_| ())
                    .map_err(|e| e.message)
            })?;
        }
        Some(e) => {
            let mut changes = Vec::new();
            if let Some(old) = &f.replaces_user {
                changes.push(format!("user = {} (was {old})", quote(&f.user)));
            }
            let named = e.list("permission-sets");
            if !named.iter().any(|(n, _)| n.eq_ignore_ascii_case(&ps_name)) {
                changes.push(format!(
                    "permission-sets = {}",
                    quote_list(std::slice::from_ref(&ps_name))
                ));
            }
            if e.license() == "shared" || f.replaces_user.is_some() {
                changes.push(format!("license = {}", quote(&licence)));
            }
            // Facts given on the command line that the entry lacks or says otherwise.
            for (key, value) in [
                ("owner", Some(&f.owner)),
                ("support-contact", Some(&f.contact)),
                ("alerts", Some(&f.alerts)),
                ("retry", Some(&f.retry)),
                ("direction", Some(&f.direction)),
                ("frequency", Some(&f.frequency)),
                ("error-owner", Some(&f.error_owner)),
                ("api-volume", f.api_volume.as_ref()),
            ] {
                if let Some(v) = value {
                    if e.text(key) != Some(v.as_str()) {
                        changes.push(format!("{key} = {}", quote(v)));
                    }
                }
            }
            if !changes.is_empty() {
                todo.push(format!(
                    "in {}, the entry for {}: {}",
                    register_rel.display(),
                    f.system,
                    changes.join("; ")
                ));
            }
            let replaced: Vec<String> = named
                .iter()
                .map(|(n, _)| n.clone())
                .filter(|n| !n.eq_ignore_ascii_case(&ps_name))
                .collect();
            if !replaced.is_empty() {
                todo.push(format!(
                    "when no system uses {} any more, delete it: nothing will document it",
                    replaced.join(", ")
                ));
            }
        }
    }

    let broad: Vec<&ObjectAccess> = f
        .objects
        .iter()
        .filter(|o| o.flags[3] || o.flags[4] || o.flags[5])
        .collect();
    if let (false, Some(reason)) = (broad.is_empty(), &args.reason) {
        let expires = crate::config::date_plus(&crate::config::today(), WAIVER_DAYS)
            .unwrap_or_else(crate::config::today);
        let text = format!(
            "# {} needs broad access to {}: written by sfpolicy scaffold, reviewed when it expires.\n[[waivers]]\nrule = \"integration-object-broad\"\npath = {}\nreason = {}\nexpires = \"{expires}\"\n",
            f.system,
            broad.iter().map(|o| o.object.as_str()).collect::<Vec<_>>().join(", "),
            quote(&ps_rel.to_string_lossy().replace('\\', "/")),
            quote(reason.trim()),
        );
        let config_rel = PathBuf::from("sfpolicy.toml");
        w.append(&config_rel, &text, |t| {
            crate::config::Config::parse(t)
                .map(|_| ())
                .map_err(|e| e.message)
        })?;
    }

    let user_exists = f.entry.is_some() && f.replaces_user.is_none();
    todo.insert(
        0,
        if user_exists {
            format!(
                "assign {ps_name} to {} (the register's user for {})",
                f.user, f.system
            )
        } else {
            format!(
                "create the user {} ({}), and assign {ps_name}",
                f.user,
                crate::plan::names::user_setup(&licence)
            )
        },
    );
    if let Some(old) = &f.replaces_user {
        todo.push(format!(
            "after the cut-over, take {}'s access off {old} (`sfpolicy plan` lists the steps)",
            f.system
        ));
    }
    let mut out = w.commit()?;
    out.push_str("\nstill to do by a person:\n");
    for t in &todo {
        let _ = writeln!(out, "  - {t}");
    }
    out.push_str("then run `sfpolicy check`\n");
    Ok(out)
}

fn register_entry(
    f: &Facts,
    app: Option<&str>,
    ps_name: &str,
    licence: &str,
    bypasses: &[(String, String)],
) -> String {
    let mut t = String::from("[[integration]]\n");
    let mut kv = |k: &str, v: String| {
        let _ = writeln!(t, "{k} = {v}");
    };
    kv("system", quote(&f.system));
    kv("user", quote(&f.user));
    kv("owner", quote(&f.owner));
    kv("support-contact", quote(&f.contact));
    kv(
        "auth",
        quote(if app.is_some() {
            "oauth-client-credentials"
        } else {
            "named-credential"
        }),
    );
    if let Some(app) = app {
        kv("connected-app", quote(app));
    }
    kv("permission-sets", quote_list(&[ps_name.to_string()]));
    kv(
        "profile",
        quote(if licence == "full" {
            FULL_LICENCE_PROFILE
        } else {
            INTEGRATION_PROFILE
        }),
    );
    let objects: Vec<String> = f.objects.iter().map(|o| o.object.clone()).collect();
    kv("objects", quote_list(&objects));
    kv("direction", quote(&f.direction));
    kv("frequency", quote(&f.frequency));
    if let Some(v) = &f.api_volume {
        kv("api-volume", quote(v));
    }
    kv("retry", quote(&f.retry));
    kv("error-owner", quote(&f.error_owner));
    kv("alerts", quote(&f.alerts));
    kv(
        "offboarding",
        quote(&format!(
            "Revoke the {} connected app, deactivate {}, remove {ps_name}",
            app.unwrap_or(&f.system),
            f.user
        )),
    );
    kv("license", quote(licence));
    if !bypasses.is_empty() {
        let list: Vec<String> = bypasses.iter().map(|(n, b)| format!("{b} ({n})")).collect();
        kv(
            "notes",
            quote(&format!("Documented bypasses: {}", list.join(", "))),
        );
    }
    t
}
