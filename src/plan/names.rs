//! How a system's own identity is named, shared by `plan` (which proposes the names) and
//! `scaffold integration` (which writes them): the same system always gets the same names.

/// An API-name stem from a system name: letters and digits, other runs become one `_`, starting
/// with a letter (`Clearbit Enrichment` → `Clearbit_Enrichment`, `8x8` → `S_8x8`).
pub fn api_stem(system: &str) -> String {
    let mut out = String::new();
    for ch in system.trim().chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "S_");
    }
    out
}

/// The permission set (and connected app) API name: `Talkdesk_Integration`.
pub fn permission_set_name(system: &str) -> String {
    format!("{}_Integration", api_stem(system))
}

/// The permission set label: "Talkdesk integration access" (names the system, never "API
/// access full").
pub fn permission_set_label(system: &str) -> String {
    format!("{} integration access", system.trim())
}

/// A username for the system's own integration user, in the domain of the user it leaves:
/// `int_clearbit_enrichment@acmehealth.com`.
pub fn username(system: &str, domain: &str) -> String {
    format!("int_{}@{domain}", api_stem(system).to_lowercase())
}

/// The folder new metadata goes to: `<default package directory>/main/default` from
/// `sfdx-project.json` (`force-app/main/default` when it names none), relative to the project.
pub fn metadata_dir(root: &std::path::Path) -> std::path::PathBuf {
    let package = std::fs::read_to_string(root.join("sfdx-project.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| {
            let dirs = v.get("packageDirectories")?.as_array()?.clone();
            let default = dirs
                .iter()
                .find(|d| d.get("default").and_then(|x| x.as_bool()) == Some(true))
                .or_else(|| dirs.first())?;
            default.get("path")?.as_str().map(str::to_string)
        })
        .filter(|p| {
            let p = std::path::Path::new(p);
            p.is_relative()
                && p.components().all(|c| {
                    matches!(
                        c,
                        std::path::Component::Normal(_) | std::path::Component::CurDir
                    )
                })
        })
        .unwrap_or_else(|| "force-app".to_string());
    std::path::Path::new(&package).join("main").join("default")
}

/// The user a system moves to from `old` (the user it shares): `int_<system>@<old's domain>`,
/// or `int_<system>_integration@…` when that is `old` itself (a register entry marked shared
/// whose user already carries the system's name).
pub fn new_username(system: &str, old: &str) -> String {
    let domain = old.rsplit_once('@').map_or("example.invalid", |(_, d)| d);
    let user = username(system, domain);
    if user.eq_ignore_ascii_case(old) {
        format!(
            "int_{}_integration@{domain}",
            api_stem(system).to_lowercase()
        )
    } else {
        user
    }
}

/// How the system's own user is set up for a licence: the Integration licence goes with the
/// API-only minimum-access profile; a full licence with the `Minimum Access - Salesforce`
/// profile and API Only User in the permission set.
pub fn user_setup(licence: &str) -> &'static str {
    if licence == "full" {
        "Salesforce licence (the free Integration licences are used up), profile `Minimum Access - Salesforce`, and API Only User"
    } else {
        "Salesforce Integration licence, profile `Minimum Access - API Only Integrations`"
    }
}

/// A register `api-volume` in calls a day: the first number (`20000/day`, `1.5k/hour`,
/// `150,000/day (bulk)`), scaled by its unit (`/hour`, `/minute`, `/week`, `/month`; a day
/// when none).
pub fn calls_per_day(volume: &str) -> Option<u64> {
    let text = volume.trim().to_lowercase().replace([',', '_'], "");
    let start = text.find(|c: char| c.is_ascii_digit())?;
    let rest = &text[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let mut n: f64 = rest[..end].parse().ok()?;
    let after = rest[end..].trim_start();
    if after.starts_with('k') {
        n *= 1_000.0;
    } else if after.starts_with('m') && !after.starts_with("min") && !after.starts_with("mon") {
        n *= 1_000_000.0;
    }
    let per = after.split('/').nth(1).unwrap_or("day").trim_start();
    let scale = if per.starts_with("min") {
        1_440.0
    } else if per.starts_with('h') {
        24.0
    } else if per.starts_with('w') {
        1.0 / 7.0
    } else if per.starts_with("mo") {
        1.0 / 30.0
    } else {
        1.0
    };
    Some((n * scale).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_names() {
        assert_eq!(api_stem("Clearbit Enrichment"), "Clearbit_Enrichment");
        assert_eq!(api_stem("  8x8 / Voice  "), "S_8x8_Voice");
        assert_eq!(api_stem("Talkdesk"), "Talkdesk");
        assert_eq!(permission_set_name("Zendesk"), "Zendesk_Integration");
        assert_eq!(
            permission_set_label("Zendesk"),
            "Zendesk integration access"
        );
        assert_eq!(
            username("Clearbit Enrichment", "acme.com"),
            "int_clearbit_enrichment@acme.com"
        );
    }

    #[test]
    fn api_volumes() {
        assert_eq!(calls_per_day("20000/day"), Some(20_000));
        assert_eq!(calls_per_day("150,000/day (bulk)"), Some(150_000));
        assert_eq!(calls_per_day("1.5k/hour"), Some(36_000));
        assert_eq!(calls_per_day("about 10 / minute"), Some(14_400));
        assert_eq!(calls_per_day("3000 per day"), Some(3_000));
        assert_eq!(calls_per_day("70000/week"), Some(10_000));
        assert_eq!(calls_per_day("2m/month"), Some(66_667));
        assert_eq!(calls_per_day("low"), None);
    }
}
