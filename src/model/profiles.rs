//! Which profiles and permission sets are Salesforce's own, decided from what the file says.
//!
//! A profile is a Salesforce standard profile when its file says `<custom>false</custom>`. A
//! partial retrieve may omit `<custom>`: then it is standard only when its name is a standard
//! profile's *and* its user licence is the one Salesforce gives that profile. A custom profile
//! that kept a standard name (`Read Only` cloned as `Read Only`, `<custom>true</custom>`) is
//! custom, and every rule applies: clones are what integrations often run as.
//!
//! One documented exception: Salesforce's legacy integration profile "Salesforce API Only System
//! Integrations" is retrieved with `<custom>true</custom>` (`../shared/docs/salesforce-metadata.md`
//! §4.1). It is Salesforce's when its name *and* its licence (`Salesforce Integration`) say so.

use super::org::Component;

/// A standard profile: API name, label, and the user licences Salesforce gives it (compared
/// without case and spaces).
struct Standard {
    name: &'static str,
    label: &'static str,
    licences: &'static [&'static str],
}

const SALESFORCE: &[&str] = &["Salesforce"];

const STANDARD_PROFILES: &[Standard] = &[
    Standard {
        name: "Admin",
        label: "System Administrator",
        licences: SALESFORCE,
    },
    Standard {
        name: "Standard",
        label: "Standard User",
        licences: SALESFORCE,
    },
    Standard {
        name: "StandardAul",
        label: "Standard Platform User",
        licences: &["Salesforce Platform"],
    },
    Standard {
        name: "ContractManager",
        label: "Contract Manager",
        licences: SALESFORCE,
    },
    Standard {
        name: "MarketingProfile",
        label: "Marketing User",
        licences: SALESFORCE,
    },
    Standard {
        name: "SolutionManager",
        label: "Solution Manager",
        licences: SALESFORCE,
    },
    Standard {
        name: "ReadOnly",
        label: "Read Only",
        licences: SALESFORCE,
    },
    Standard {
        name: "Read Only",
        label: "Read Only",
        licences: SALESFORCE,
    },
    Standard {
        name: "Minimum Access - Salesforce",
        label: "Minimum Access - Salesforce",
        licences: SALESFORCE,
    },
    Standard {
        name: "Minimum Access - API Only Integrations",
        label: "Minimum Access - API Only Integrations",
        licences: &["Salesforce Integration"],
    },
    Standard {
        name: "Salesforce API Only System Integrations",
        label: "Salesforce API Only System Integrations",
        licences: &["Salesforce Integration"],
    },
    Standard {
        name: "Guest",
        label: "Guest License User",
        licences: &["Guest User License"],
    },
    Standard {
        name: "Standard Guest",
        label: "Standard Guest",
        licences: &["Guest User License"],
    },
    Standard {
        name: "HighVolumePortal",
        label: "High Volume Customer Portal",
        licences: &["High Volume Customer Portal"],
    },
    Standard {
        name: "PlatformPortal",
        label: "Authenticated Website",
        licences: &["Authenticated Website"],
    },
    Standard {
        name: "Analytics Cloud Integration User",
        label: "Analytics Cloud Integration User",
        licences: &["Analytics Cloud Integration User"],
    },
    Standard {
        name: "Analytics Cloud Security User",
        label: "Analytics Cloud Security User",
        licences: &["Analytics Cloud Integration User"],
    },
    Standard {
        name: "B2BMA Integration User",
        label: "B2BMA Integration User",
        licences: &["B2BMA Integration User"],
    },
    Standard {
        name: "Sales Insights Integration User",
        label: "Sales Insights Integration User",
        licences: &["Sales Insights Integration User"],
    },
    Standard {
        name: "SalesforceIQ Integration User",
        label: "SalesforceIQ Integration User",
        licences: &["SalesforceIQ Integration User"],
    },
    Standard {
        name: "CPQ Integration User",
        label: "CPQ Integration User",
        licences: &["CPQ Integration User"],
    },
    Standard {
        name: "Chatter Free User",
        label: "Chatter Free User",
        licences: &["Chatter Free"],
    },
    Standard {
        name: "Chatter External User",
        label: "Chatter External User",
        licences: &["Chatter External"],
    },
    Standard {
        name: "Chatter Moderator User",
        label: "Chatter Moderator User",
        licences: &["Chatter Free"],
    },
    Standard {
        name: "Customer Community User",
        label: "Customer Community User",
        licences: &["Customer Community"],
    },
    Standard {
        name: "Customer Community Login User",
        label: "Customer Community Login User",
        licences: &["Customer Community Login"],
    },
    Standard {
        name: "Customer Community Plus User",
        label: "Customer Community Plus User",
        licences: &["Customer Community Plus"],
    },
    Standard {
        name: "Customer Community Plus Login User",
        label: "Customer Community Plus Login User",
        licences: &["Customer Community Plus Login"],
    },
    Standard {
        name: "Partner Community User",
        label: "Partner Community User",
        licences: &["Partner Community"],
    },
    Standard {
        name: "Partner Community Login User",
        label: "Partner Community Login User",
        licences: &["Partner Community Login"],
    },
    Standard {
        name: "High Volume Customer Portal User",
        label: "High Volume Customer Portal User",
        licences: &["High Volume Customer Portal"],
    },
    Standard {
        name: "Authenticated Website",
        label: "Authenticated Website",
        licences: &["Authenticated Website"],
    },
    Standard {
        name: "Identity User",
        label: "Identity User",
        licences: &["Identity"],
    },
    Standard {
        name: "External Identity User",
        label: "External Identity User",
        licences: &["External Identity"],
    },
    Standard {
        name: "Force.com - App Subscription User",
        label: "Force.com - App Subscription User",
        licences: &["Force.com - App Subscription"],
    },
    Standard {
        name: "Force.com - Free User",
        label: "Force.com - Free User",
        licences: &["Force.com - Free"],
    },
    Standard {
        name: "Gold Partner User",
        label: "Gold Partner User",
        licences: &["Gold Partner"],
    },
    Standard {
        name: "Silver Partner User",
        label: "Silver Partner User",
        licences: &["Silver Partner"],
    },
    Standard {
        name: "Customer Portal Manager Custom",
        label: "Customer Portal Manager Custom",
        licences: &["Customer Portal Manager Custom"],
    },
    Standard {
        name: "Customer Portal Manager Standard",
        label: "Customer Portal Manager Standard",
        licences: &["Customer Portal Manager Standard"],
    },
    Standard {
        name: "Cross Org Data Proxy User",
        label: "Cross Org Data Proxy User",
        licences: &["XOrg Proxy User"],
    },
    Standard {
        name: "Work.com Only User",
        label: "Work.com Only User",
        licences: &["Work.com Only"],
    },
    Standard {
        name: "Einstein Agent User",
        label: "Einstein Agent User",
        licences: &["Einstein Agent"],
    },
    Standard {
        name: "Premier Support User",
        label: "Premier Support User",
        licences: &["Premier Support"],
    },
];

/// Compare licence names as Salesforce writes them (`SalesforcePlatform`, `Salesforce Platform`).
pub fn same_licence(a: &str, b: &str) -> bool {
    let norm = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect()
    };
    norm(a) == norm(b)
}

fn standard_named(name: &str) -> Option<&'static Standard> {
    let name = name.trim();
    STANDARD_PROFILES
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
}

/// Why a profile counts as Salesforce's (for inventory and docs), or `None` when it is custom.
pub fn standard_profile_evidence(c: &Component) -> Option<&'static str> {
    *c.standard.get_or_init(|| decide_standard(c))
}

fn decide_standard(c: &Component) -> Option<&'static str> {
    let licence = c.text("userLicense");
    let known = standard_named(&c.name);
    let licence_fits =
        |s: &Standard| licence.is_some_and(|l| s.licences.iter().any(|x| same_licence(x, l)));
    if c.name
        .eq_ignore_ascii_case("Salesforce API Only System Integrations")
        && known.is_some_and(licence_fits)
    {
        return Some("Salesforce's legacy integration profile (its name and the Salesforce Integration licence)");
    }
    match c.text("custom") {
        Some(v) if v.eq_ignore_ascii_case("false") => Some("its file says <custom>false</custom>"),
        Some(_) => None,
        None => known
            .filter(|s| licence_fits(s))
            .map(|_| "a standard profile's name and licence (the file has no <custom>)"),
    }
}

/// A profile Salesforce ships, decided from its content (see the module documentation).
pub fn is_standard_profile(c: &Component) -> bool {
    standard_profile_evidence(c).is_some()
}

/// A standard profile's API name or label (`Admin`, `System Administrator`), for names written
/// where no file says more (a register entry, a connected app's `profileName`).
pub fn is_standard_profile_name(name: &str) -> bool {
    let name = name.trim();
    STANDARD_PROFILES
        .iter()
        .any(|s| s.name.eq_ignore_ascii_case(name) || s.label.eq_ignore_ascii_case(name))
}

/// `Admin`, `System Administrator` (also as localized orgs write it without the space).
pub fn is_system_administrator_name(name: &str) -> bool {
    ["Admin", "System Administrator", "Systemadministrator"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(name.trim()))
}

/// The label Salesforce shows for a standard profile's API name (`Admin` → System Administrator).
pub fn standard_profile_label(api_name: &str) -> Option<&'static str> {
    STANDARD_PROFILES
        .iter()
        .find(|s| s.name == api_name)
        .map(|s| s.label)
}

/// The API names of a standard profile label (`System Administrator` → `Admin`).
pub fn standard_profile_api_name(label: &str) -> Option<&'static str> {
    STANDARD_PROFILES
        .iter()
        .find(|s| {
            s.label.eq_ignore_ascii_case(label.trim()) || s.name.eq_ignore_ascii_case(label.trim())
        })
        .map(|s| s.name)
}

/// An identity Salesforce creates for one of its own features, and what Salesforce itself gives
/// it. What it grants within that design is not the customer's error; what was added beyond it is.
#[derive(Debug)]
pub struct PlatformDesign {
    /// What it is, for people.
    pub what: &'static str,
    /// The Salesforce documentation that describes it.
    pub doc: &'static str,
    pub profile: &'static str,
    pub licence: &'static str,
    /// Admin-level permissions Salesforce gives it by design.
    pub admin_permissions: &'static [&'static str],
    /// Whether its design writes records (create, edit, delete) or only reads them.
    pub writes_records: bool,
}

/// Salesforce's own integration users, with the documentation each claim rests on.
pub const PLATFORM_DESIGNS: &[PlatformDesign] = &[
    // "Analytics uses the permissions of the Integration User to extract data from Salesforce
    // objects and fields ... the Integration User has View All Data access."
    PlatformDesign {
        what: "the CRM Analytics integration user, which extracts Salesforce data for dataflows and recipes",
        doc: "https://help.salesforce.com/s/articleView?id=analytics.bi_help_internal_users.htm",
        profile: "Analytics Cloud Integration User",
        licence: "Analytics Cloud Integration User",
        admin_permissions: &["ViewAllData"],
        writes_records: false,
    },
    // "Data Prep uses the Security User ... the Security User must have at least read permission
    // on each User object field included in a predicate."
    PlatformDesign {
        what: "the CRM Analytics security user, which reads User fields for row-level security",
        doc: "https://help.salesforce.com/s/articleView?id=analytics.bi_help_internal_users.htm",
        profile: "Analytics Cloud Security User",
        licence: "Analytics Cloud Integration User",
        admin_permissions: &[],
        writes_records: false,
    },
    // "It's provisioned with the B2BMA Integration User profile, which grants the user permission
    // to view and modify data that Account Engagement syncs with Salesforce." The profile as
    // Salesforce provisions it (`<custom>false</custom>`, retrieved unchanged from an org in the
    // test corpus) also holds Modify Metadata, which the connector uses for the fields it syncs.
    PlatformDesign {
        what: "the Account Engagement (Pardot) connector user, which syncs prospects, campaigns and activities",
        doc: "https://help.salesforce.com/s/articleView?id=mktg.pardot_sf_connector_integration_user.htm",
        profile: "B2BMA Integration User",
        licence: "B2BMA Integration User",
        admin_permissions: &["ViewAllData", "ModifyMetadata"],
        writes_records: true,
    },
];

/// The platform design a profile follows: Salesforce's by content (standard), with the
/// documented name *and* licence.
pub fn platform_design(c: &Component) -> Option<&'static PlatformDesign> {
    if !is_standard_profile(c) {
        return None;
    }
    let licence = c.text("userLicense")?;
    PLATFORM_DESIGNS
        .iter()
        .find(|d| d.profile.eq_ignore_ascii_case(c.name.trim()) && same_licence(d.licence, licence))
}

/// A permission set Salesforce generates for its own features (`sfdcInternalInt__sfdc_*`, on the
/// `Cloud Integration User` licence): its name *and* its licence say so.
pub fn is_platform_permission_set(c: &Component) -> bool {
    c.name.starts_with("sfdcInternalInt__")
        && c.text("license")
            .or_else(|| c.text("userLicense"))
            .is_some_and(|l| same_licence(l, "Cloud Integration User"))
}
