//! `sfpolicy.toml`: rule severities and options, integration settings, policy packs, overrides by
//! path and waivers. Kebab-case keys; an unknown key is an error pointing at the key.

pub mod register;
pub mod toml_tree;

use crate::findings::settings::Setting;
use crate::findings::waivers::Waiver;
use crate::findings::Severity;
use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml_tree::{Node, Table, TomlError};

pub const FILE_NAME: &str = "sfpolicy.toml";

/// What `sfpolicy init` writes: every section, commented, with the defaults.
pub const TEMPLATE: &str = r#"# sfpolicy configuration. Every key is optional; see `sfpolicy rules` and `sfpolicy explain RULE`.

[rules]
# Per rule: "off" | "info" | "warning" | "error", or a table with severity and options.
# connected-app-full-scope = "off"
# integration-fls-broad = { severity = "warning", max-editable-fields = 10 }
# integration-admin-permission = { admin-permissions = ["ModifyAllData", "ViewAllData"] }

[integrations]
# register = "integrations.toml"        # the integration register (default)
# permission-sets = ["*_Integration"]   # globs marking integration identities
# profiles = ["*Integration*"]
# name-words = ["integration", "api", "int", "connector", "migration", "etl", "sync", "middleware", "svc", "service account", "api user"]   # default; plurals match too

[policies]
# paths = ["policies"]                  # folders of custom .rhai policies

# `sfpolicy plan`: objects and consent fields to treat as sensitive, beyond its lists (docs/plan.md).
# [plan]
# sensitive-objects = ["Patient__c"]
# consent-fields = ["Contact.Marketing_Opt_In__c"]

# An accepted risk: always with a reason; after `expires` the finding comes back.
# [[waivers]]
# rule = "integration-admin-permission"
# path = "force-app/main/default/permissionsets/Legacy_ETL.permissionset-meta.xml"
# reason = "ETL vendor migration, ticket SEC-142"
# expires = "2027-03-31"

# Different settings for some paths.
# [[overrides]]
# paths = ["unpackaged/**"]
# rules = { connected-app-ip-relaxed = "off" }
"#;

#[derive(Debug, Clone)]
pub struct RuleConfig {
    pub id: String,
    pub id_span: Range<usize>,
    pub setting: Option<Setting>,
    /// Rule-specific options: name → (value, span of the key).
    pub options: Vec<(String, Node, Range<usize>)>,
}

#[derive(Debug, Clone)]
pub struct Override {
    pub paths: GlobSet,
    pub span: Range<usize>,
    pub rules: Vec<(String, Range<usize>, Setting)>,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The config file: absolute path, path relative to the root, contents.
    pub source: Option<(PathBuf, String, String)>,
    pub rules: Vec<RuleConfig>,
    pub register: Option<(String, Range<usize>)>,
    pub identity_permission_sets: Vec<(GlobMatcher, String)>,
    pub identity_profiles: Vec<(GlobMatcher, String)>,
    /// Words that mark a profile or permission set as an integration identity when its API name
    /// contains them as a whole word (`Talkdesk_Integration`, `API_User`, `int_erp`).
    pub identity_name_words: Vec<String>,
    pub policy_paths: Vec<(PathBuf, Range<usize>)>,
    pub overrides: Vec<Override>,
    pub waivers: Vec<Waiver>,
    /// `[plan] sensitive-objects`: objects `sfpolicy plan` marks sensitive, beyond its list.
    pub plan_sensitive_objects: Vec<String>,
    /// `[plan] consent-fields`: fields (`Object.Field`) it marks as consent, beyond its list.
    pub plan_consent_fields: Vec<String>,
}

/// A config problem with its location: a tool error (exit 2).
#[derive(Debug, Clone)]
pub struct ConfigError {
    pub path: PathBuf,
    pub text: String,
    pub error: TomlError,
}

pub fn glob(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob `{pattern}`: {e}"))
}

/// Case-insensitive glob for component names (`*Integration*`).
pub fn name_glob(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("bad glob `{pattern}`: {e}"))
}

/// Default `[integrations] name-words`: words (and phrases) that mark a profile or permission set
/// as a *possible* integration identity when its API name contains them (weak evidence; see
/// `analysis::names` for how names are split and plurals matched).
pub const DEFAULT_NAME_WORDS: &[&str] = &[
    "integration",
    "api",
    "int",
    "connector",
    "migration",
    "etl",
    "sync",
    "middleware",
    "svc",
    "service account",
    "api user",
];

impl Default for Config {
    fn default() -> Self {
        Config {
            source: None,
            rules: Vec::new(),
            register: None,
            identity_permission_sets: Vec::new(),
            identity_profiles: Vec::new(),
            identity_name_words: DEFAULT_NAME_WORDS.iter().map(|s| s.to_string()).collect(),
            policy_paths: Vec::new(),
            overrides: Vec::new(),
            waivers: Vec::new(),
            plan_sensitive_objects: Vec::new(),
            plan_consent_fields: Vec::new(),
        }
    }
}

impl Config {
    /// `explicit` (from `--config`) or `<root>/sfpolicy.toml` when it exists; otherwise defaults.
    pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = root.join(FILE_NAME);
                // Absent: defaults. Present but not a regular file (a folder, a FIFO): read, and
                // fail with a clear error rather than run with defaults.
                if std::fs::symlink_metadata(&p).is_err() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let text = crate::source::read_to_string(&path).map_err(|e| ConfigError {
            path: path.clone(),
            text: String::new(),
            error: TomlError::new(0..0, format!("cannot read config: {e}")),
        })?;
        let rel = crate::source::paths::slashes(path.strip_prefix(root).unwrap_or(&path));
        let mut config = match Config::parse(&text) {
            Ok(c) => c,
            Err(error) => return Err(ConfigError { path, text, error }),
        };
        let base = path.parent().unwrap_or(root).to_path_buf();
        let mut policy_paths = Vec::new();
        for (p, span) in std::mem::take(&mut config.policy_paths) {
            let joined = base.join(&p);
            let inside = match (std::fs::canonicalize(&joined), std::fs::canonicalize(root)) {
                (Ok(dir), Ok(root)) => dir.starts_with(&root),
                (Err(e), _) => {
                    let error = TomlError::new(
                        span,
                        format!("policy folder `{}` cannot be read: {e}", p.display()),
                    );
                    return Err(ConfigError { path, text, error });
                }
                (_, Err(_)) => false,
            };
            // The config travels with the repository: a pull request must not be able to make CI
            // run scripts from anywhere on the machine.
            if !inside {
                let error = TomlError::new(
                    span,
                    format!(
                        "policy folder `{}` is outside the project; `[policies] paths` stay inside it (give other folders on the command line with --rules)",
                        p.display()
                    ),
                );
                return Err(ConfigError { path, text, error });
            }
            policy_paths.push((joined, span));
        }
        config.policy_paths = policy_paths;
        config.source = Some((path, rel, text));
        Ok(config)
    }

    pub fn parse(text: &str) -> Result<Config, TomlError> {
        let root = toml_tree::parse(text)?;
        let top = root.as_table("sfpolicy.toml")?;
        top.deny_unknown(
            "sfpolicy.toml",
            &[
                "rules",
                "integrations",
                "policies",
                "overrides",
                "waivers",
                "plan",
            ],
        )?;
        let mut config = Config::default();
        if let Some(rules) = top.get("rules") {
            for e in &rules.node.as_table("rules")?.entries {
                config.rules.push(parse_rule(e)?);
            }
        }
        if let Some(integrations) = top.get("integrations") {
            let t = integrations.node.as_table("integrations")?;
            t.deny_unknown(
                "[integrations]",
                &["register", "permission-sets", "profiles", "name-words"],
            )?;
            if let Some(w) = t.get("name-words") {
                config.identity_name_words = w
                    .node
                    .as_str_list("name-words")?
                    .into_iter()
                    .map(|(s, _)| s.to_lowercase())
                    .collect();
            }
            if let Some(r) = t.get("register") {
                config.register =
                    Some((r.node.as_str("register")?.to_string(), r.node.span.clone()));
            }
            config.identity_permission_sets = name_globs(t, "permission-sets")?;
            config.identity_profiles = name_globs(t, "profiles")?;
        }
        if let Some(policies) = top.get("policies") {
            let t = policies.node.as_table("policies")?;
            t.deny_unknown("[policies]", &["paths"])?;
            if let Some(p) = t.get("paths") {
                config.policy_paths = p
                    .node
                    .as_str_list("paths")?
                    .into_iter()
                    .map(|(s, span)| (PathBuf::from(s), span))
                    .collect();
            }
        }
        if let Some(plan) = top.get("plan") {
            let t = plan.node.as_table("plan")?;
            t.deny_unknown("[plan]", &["sensitive-objects", "consent-fields"])?;
            for (key, out) in [
                ("sensitive-objects", &mut config.plan_sensitive_objects),
                ("consent-fields", &mut config.plan_consent_fields),
            ] {
                if let Some(e) = t.get(key) {
                    *out = e
                        .node
                        .as_str_list(key)?
                        .into_iter()
                        .map(|(s, _)| s.to_string())
                        .collect();
                }
            }
        }
        if let Some(overrides) = top.get("overrides") {
            for item in overrides.node.as_array("overrides")? {
                config.overrides.push(parse_override(item)?);
            }
        }
        if let Some(waivers) = top.get("waivers") {
            for item in waivers.node.as_array("waivers")? {
                config.waivers.push(parse_waiver(item)?);
            }
        }
        Ok(config)
    }

    pub fn rule(&self, id: &str) -> Option<&RuleConfig> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The setting of `rule` for a finding in `rel`, given its default severity.
    pub fn setting_for(&self, rule: &str, default: Severity, rel: &str) -> Setting {
        let mut setting = self
            .rule(rule)
            .and_then(|r| r.setting)
            .unwrap_or(Setting::On(default));
        for o in &self.overrides {
            if o.paths.is_match(rel) {
                if let Some((_, _, s)) = o.rules.iter().find(|(id, ..)| id == rule) {
                    setting = *s;
                }
            }
        }
        setting
    }

    /// Could this rule report anything at all? (Off everywhere means: do not run it.)
    pub fn may_run(&self, rule: &str, default: Severity) -> bool {
        let base = self
            .rule(rule)
            .and_then(|r| r.setting)
            .unwrap_or(Setting::On(default));
        base != Setting::Off
            || self.overrides.iter().any(|o| {
                o.rules
                    .iter()
                    .any(|(id, _, s)| id == rule && *s != Setting::Off)
            })
    }

    /// Every rule id the config names, with its span, for validation against loaded policies.
    pub fn named_rules(&self) -> Vec<(&str, Range<usize>)> {
        let mut out: Vec<(&str, Range<usize>)> = self
            .rules
            .iter()
            .map(|r| (r.id.as_str(), r.id_span.clone()))
            .collect();
        for o in &self.overrides {
            out.extend(
                o.rules
                    .iter()
                    .map(|(id, span, _)| (id.as_str(), span.clone())),
            );
        }
        out.extend(
            self.waivers
                .iter()
                .map(|w| (w.rule.as_str(), w.rule_span.clone())),
        );
        out
    }
}

/// Most globs one `[integrations]` list may hold: each compiles to an automaton, and a list meant
/// for naming conventions has a handful.
pub const MAX_GLOBS: usize = 1000;

fn name_globs(t: &Table, key: &str) -> Result<Vec<(GlobMatcher, String)>, TomlError> {
    let Some(e) = t.get(key) else {
        return Ok(Vec::new());
    };
    if let toml_tree::Value::Array(items) = &e.node.value {
        if items.len() > MAX_GLOBS {
            return Err(TomlError::new(
                e.key_span.clone(),
                format!(
                    "`{key}` lists {} globs; at most {MAX_GLOBS} (globs name conventions, like `*_Integration`, not every component)",
                    items.len()
                ),
            ));
        }
    }
    e.node
        .as_str_list(key)?
        .into_iter()
        .map(|(s, span)| Ok((name_glob(&s).map_err(|m| TomlError::new(span, m))?, s)))
        .collect()
}

fn parse_setting(node: &Node, what: &str) -> Result<Setting, TomlError> {
    let text = node.as_str(what)?;
    Setting::parse(text).ok_or_else(|| {
        TomlError::new(
            node.span.clone(),
            format!("`{text}` is not a rule setting (off, info, warning or error)"),
        )
    })
}

fn parse_rule(e: &toml_tree::Entry) -> Result<RuleConfig, TomlError> {
    let mut rule = RuleConfig {
        id: e.key.clone(),
        id_span: e.key_span.clone(),
        setting: None,
        options: Vec::new(),
    };
    match &e.node.value {
        toml_tree::Value::String(_) => rule.setting = Some(parse_setting(&e.node, &e.key)?),
        toml_tree::Value::Table(t) => {
            for opt in &t.entries {
                if opt.key == "severity" {
                    rule.setting = Some(parse_setting(&opt.node, "severity")?);
                } else {
                    rule.options.push((opt.key.clone(), opt.node.clone(), opt.key_span.clone()));
                }
            }
        }
        other => {
            return Err(TomlError::new(
                e.node.span.clone(),
                format!(
                    "rule `{}` takes a setting (\"off\", \"info\", \"warning\", \"error\") or a table {{ severity = ..., options... }}, found {}",
                    e.key,
                    other.type_name()
                ),
            ))
        }
    }
    Ok(rule)
}

fn parse_override(item: &Node) -> Result<Override, TomlError> {
    let t = item.as_table("overrides")?;
    t.deny_unknown("[[overrides]]", &["paths", "rules"])?;
    let paths = t
        .get("paths")
        .ok_or_else(|| TomlError::new(item.span.clone(), "[[overrides]] needs `paths`"))?;
    let mut set = GlobSetBuilder::new();
    for (p, span) in paths.node.as_str_list("paths")? {
        let g = Glob::new(&p)
            .map_err(|e| TomlError::new(span.clone(), format!("bad glob `{p}`: {e}")))?;
        let g = GlobBuilder::new(g.glob())
            .literal_separator(true)
            .build()
            .map_err(|e| TomlError::new(span, e.to_string()))?;
        set.add(g);
    }
    let rules_entry = t
        .get("rules")
        .ok_or_else(|| TomlError::new(item.span.clone(), "[[overrides]] needs `rules`"))?;
    let mut rules = Vec::new();
    for e in &rules_entry.node.as_table("rules")?.entries {
        let setting = match &e.node.value {
            toml_tree::Value::Table(t) => {
                t.deny_unknown("an override", &["severity"])?;
                let s = t.get("severity").ok_or_else(|| {
                    TomlError::new(e.node.span.clone(), "an override sets `severity`")
                })?;
                parse_setting(&s.node, "severity")?
            }
            _ => parse_setting(&e.node, &e.key)?,
        };
        rules.push((e.key.clone(), e.key_span.clone(), setting));
    }
    Ok(Override {
        paths: set
            .build()
            .map_err(|e| TomlError::new(paths.node.span.clone(), e.to_string()))?,
        span: item.span.clone(),
        rules,
    })
}

fn parse_waiver(item: &Node) -> Result<Waiver, TomlError> {
    let t = item.as_table("waivers")?;
    t.deny_unknown("[[waivers]]", &["rule", "path", "reason", "expires"])?;
    let need = |key: &str| {
        t.get(key).ok_or_else(|| {
            TomlError::new(
                item.span.clone(),
                format!("a waiver needs `{key}`: an accepted risk always says which rule, where and why"),
            )
        })
    };
    let rule = need("rule")?;
    let path = need("path")?;
    let reason = need("reason")?;
    let reason_text = reason.node.as_str("reason")?.trim().to_string();
    if reason_text.is_empty() {
        return Err(TomlError::new(
            reason.node.span.clone(),
            "a waiver's `reason` cannot be empty",
        ));
    }
    let path_text = path.node.as_str("path")?.to_string();
    let expires = match t.get("expires") {
        Some(e) => {
            let text = e.node.as_date_text("expires")?;
            let date = text.get(..10).unwrap_or(text);
            if !is_iso_date(date) {
                return Err(TomlError::new(
                    e.node.span.clone(),
                    format!("`expires` must be a date YYYY-MM-DD, found `{text}`"),
                ));
            }
            if !is_calendar_date(date) {
                return Err(TomlError::new(
                    e.node.span.clone(),
                    format!("`expires = \"{date}\"` is not a day of the calendar"),
                ));
            }
            Some(date.to_string())
        }
        None => None,
    };
    Ok(Waiver {
        rule: rule.node.as_str("rule")?.to_string(),
        rule_span: rule.node.span.clone(),
        path: glob(&path_text).map_err(|m| TomlError::new(path.node.span.clone(), m))?,
        path_text,
        reason: reason_text,
        expires,
        span: item.span.clone(),
    })
}

pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// A `YYYY-MM-DD` text that names a real day (months 1–12, days of that month, leap years), in a
/// year a waiver can mean (up to 2999).
pub fn is_calendar_date(s: &str) -> bool {
    if !is_iso_date(s) {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(0);
    let (y, m, d) = (num(0..4), num(5..7), num(8..10));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=2999).contains(&y) && (1..=days).contains(&d)
}

/// Today's date (UTC) as `YYYY-MM-DD`; `SFPOLICY_TODAY` overrides it for tests.
pub fn today() -> String {
    if let Ok(d) = std::env::var("SFPOLICY_TODAY") {
        if is_iso_date(&d) {
            return d;
        }
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days from `from` to `to` (both `YYYY-MM-DD`; negative when `to` is earlier), `None` when
/// either is not a date.
pub fn days_between(from: &str, to: &str) -> Option<i64> {
    Some(days_from_civil(to)? - days_from_civil(from)?)
}

/// The date `days` after `date` (`YYYY-MM-DD`).
pub fn date_plus(date: &str, days: i64) -> Option<String> {
    let (y, m, d) = civil_from_days(days_from_civil(date)? + days);
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

/// `YYYY-MM-DD` → days since 1970-01-01 (the inverse of `civil_from_days`).
fn days_from_civil(date: &str) -> Option<i64> {
    if !is_calendar_date(date) {
        return None;
    }
    let y: i64 = date[0..4].parse().ok()?;
    let m: i64 = date[5..7].parse().ok()?;
    let d: i64 = date[8..10].parse().ok()?;
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_between_dates() {
        assert_eq!(days_between("2026-12-02", "2026-12-02"), Some(0));
        assert_eq!(days_between("2026-12-02", "2027-03-02"), Some(90));
        assert_eq!(days_between("2024-02-28", "2024-03-01"), Some(2));
        assert_eq!(days_between("2026-06-30", "2026-01-01"), Some(-180));
        assert_eq!(days_between("2026-13-01", "2026-01-01"), None);
        assert_eq!(date_plus("2026-12-02", 90).as_deref(), Some("2027-03-02"));
        for z in [-1000i64, 0, 19_000, 20_789] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(&format!("{y:04}-{m:02}-{d:02}")), Some(z));
        }
    }

    #[test]
    fn parses_the_spec_sketch() {
        let text = r#"
[rules]
integration-fls-broad = { severity = "warning", max-editable-fields = 10 }
connected-app-full-scope = "off"

[integrations]
register = "integrations.toml"
permission-sets = ["*_Integration"]
profiles = ["*Integration*"]

[[waivers]]
rule = "integration-admin-permission"
path = "force-app/main/default/permissionsets/Legacy_ETL.permissionset-meta.xml"
reason = "ETL vendor migration, ticket SEC-142"
expires = "2027-03-31"

[[overrides]]
paths = ["unpackaged/**"]
rules = { connected-app-ip-relaxed = "off" }
"#;
        let c = Config::parse(text).unwrap();
        assert_eq!(
            c.rule("connected-app-full-scope").unwrap().setting,
            Some(Setting::Off)
        );
        let fls = c.rule("integration-fls-broad").unwrap();
        assert_eq!(fls.setting, Some(Setting::On(Severity::Warning)));
        assert_eq!(fls.options[0].0, "max-editable-fields");
        assert!(c.identity_permission_sets[0]
            .0
            .is_match("Talkdesk_Integration"));
        assert_eq!(c.waivers[0].expires.as_deref(), Some("2027-03-31"));
        assert_eq!(
            c.setting_for(
                "connected-app-ip-relaxed",
                Severity::Error,
                "unpackaged/x/a.connectedApp"
            ),
            Setting::Off
        );
        assert_eq!(
            c.setting_for(
                "connected-app-ip-relaxed",
                Severity::Error,
                "force-app/a.connectedApp"
            ),
            Setting::On(Severity::Error)
        );
        assert!(c.may_run("connected-app-ip-relaxed", Severity::Error));
        assert!(!c.may_run("connected-app-full-scope", Severity::Warning));
    }

    #[test]
    fn errors_point_at_the_key() {
        let text = "[integrations]\nregistr = \"x\"\n";
        let e = Config::parse(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "registr");
        assert!(e.message.contains("did you mean `register`"));

        let text = "[[waivers]]\nrule = \"x\"\npath = \"a\"\n";
        let e = Config::parse(text).unwrap_err();
        assert!(e.message.contains("needs `reason`"), "{}", e.message);

        let text = "[rules]\nx = \"loud\"\n";
        let e = Config::parse(text).unwrap_err();
        assert_eq!(&text[e.span.clone()], "\"loud\"");
    }

    #[test]
    fn glob_star_stays_in_one_folder() {
        let g = glob("force-app/*.xml").unwrap();
        assert!(g.is_match("force-app/a.xml"));
        assert!(!g.is_match("force-app/sub/a.xml"));
    }

    #[test]
    fn impossible_waiver_dates_are_located_errors() {
        for bad in [
            "2025-13-45",
            "9999-99-99",
            "2026-02-29",
            "2026-04-31",
            "2026-00-10",
        ] {
            let text = format!(
                "[[waivers]]\nrule = \"r\"\npath = \"p\"\nreason = \"why\"\nexpires = \"{bad}\"\n"
            );
            let e = Config::parse(&text).unwrap_err();
            assert_eq!(&text[e.span.clone()], format!("\"{bad}\""), "{bad}");
            assert!(
                e.message.contains("not a day of the calendar"),
                "{}",
                e.message
            );
        }
        assert!(is_calendar_date("2028-02-29") && is_calendar_date("2027-12-31"));
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert!(is_iso_date(&today()));
    }
}

#[cfg(test)]
mod template_tests {
    #[test]
    fn init_template_parses_and_stays_commented() {
        let c = super::Config::parse(super::TEMPLATE).unwrap();
        assert!(c.rules.is_empty() && c.waivers.is_empty() && c.overrides.is_empty());
        // Every commented example parses too once uncommented.
        let uncommented: String = super::TEMPLATE
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| !r.starts_with(' ') && r.contains(['=', '[']))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = super::Config::parse(&uncommented)
            .unwrap_or_else(|e| panic!("{}: {uncommented}", e.message));
        assert_eq!(c.identity_name_words.len(), super::DEFAULT_NAME_WORDS.len());
        assert_eq!(c.waivers.len(), 1);
    }
}
