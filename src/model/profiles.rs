//! Salesforce's standard profiles: which profiles are the platform's, and their labels.

use super::org::Component;

/// Profiles Salesforce ships (`custom` false). Used when a partial retrieve omits `<custom>`.
const STANDARD_PROFILES: &[&str] = &[
    "Admin",
    "Standard",
    "StandardAul",
    "ContractManager",
    "MarketingProfile",
    "SolutionManager",
    "ReadOnly",
    "Guest",
    "HighVolumePortal",
    "PlatformPortal",
    "Read Only",
    "Minimum Access - Salesforce",
    "Minimum Access - API Only Integrations",
    "Salesforce API Only System Integrations",
    "Analytics Cloud Integration User",
    "Analytics Cloud Security User",
    "Chatter Free User",
    "Chatter External User",
    "Chatter Moderator User",
    "Customer Community User",
    "Customer Community Login User",
    "Customer Community Plus User",
    "Customer Community Plus Login User",
    "Partner Community User",
    "Partner Community Login User",
    "High Volume Customer Portal User",
    "Authenticated Website",
    "Identity User",
    "External Identity User",
    "Force.com - App Subscription User",
    "Force.com - Free User",
    "Gold Partner User",
    "Silver Partner User",
    "Customer Portal Manager Custom",
    "Customer Portal Manager Standard",
    "Cross Org Data Proxy User",
    "B2BMA Integration User",
    "Sales Insights Integration User",
    "SalesforceIQ Integration User",
    "CPQ Integration User",
    "Work.com Only User",
    "Einstein Agent User",
    "Premier Support User",
    "Standard Guest",
];

/// A profile Salesforce ships: `<custom>false</custom>`, or a known standard name when absent.
pub fn is_standard_profile(c: &Component) -> bool {
    // Salesforce's integration profiles; the older one is retrieved with `<custom>true</custom>`.
    const ALWAYS_STANDARD: &[&str] = &[
        "Minimum Access - API Only Integrations",
        "Salesforce API Only System Integrations",
    ];
    if ALWAYS_STANDARD
        .iter()
        .any(|s| s.eq_ignore_ascii_case(&c.name))
    {
        return true;
    }
    match c.text("custom") {
        Some(v) => v.eq_ignore_ascii_case("false"),
        None => {
            STANDARD_PROFILES
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&c.name))
                || STANDARD_PROFILE_LABELS
                    .iter()
                    .any(|(_, l)| l.eq_ignore_ascii_case(&c.name))
        }
    }
}

/// A standard profile's API name or label (`Admin`, `System Administrator`).
pub fn is_standard_profile_name(name: &str) -> bool {
    let name = name.trim();
    STANDARD_PROFILES
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name))
        || STANDARD_PROFILE_LABELS
            .iter()
            .any(|(a, l)| a.eq_ignore_ascii_case(name) || l.eq_ignore_ascii_case(name))
}

/// Labels of standard profiles whose API names differ from what users see.
const STANDARD_PROFILE_LABELS: &[(&str, &str)] = &[
    ("Admin", "System Administrator"),
    ("Standard", "Standard User"),
    ("StandardAul", "Standard Platform User"),
    ("ContractManager", "Contract Manager"),
    ("MarketingProfile", "Marketing User"),
    ("SolutionManager", "Solution Manager"),
    ("ReadOnly", "Read Only"),
    ("Guest", "Guest License User"),
    ("Chatter Free User", "Chatter Free User"),
];

pub fn standard_profile_label(api_name: &str) -> Option<&'static str> {
    STANDARD_PROFILE_LABELS
        .iter()
        .find(|(api, _)| *api == api_name)
        .map(|(_, label)| *label)
}
