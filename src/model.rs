//! The org: every parsed component, with lookups by API name and by label.
//!
//! Components are handles into parsed documents (`Arc<Document>` + node), so nothing is copied out
//! of the XML. Child components embedded in Metadata API `.object` files (validation rules and
//! fields) become components of their own, pointing at their element inside the object's file.

use crate::discover::{Project, SourceFile};
use crate::kind::Kind;
use crate::xml::{Document, NodeId, XmlError};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub type FileId = u32;

/// Any file a finding can point into: metadata, config, register.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub rel: String,
    pub path: PathBuf,
    pub kind: Option<Kind>,
    pub bytes: u64,
}

#[derive(Debug)]
pub struct Component {
    /// Index in `Org::components`.
    pub id: usize,
    pub kind: Kind,
    /// API name (`Admin`, `Account.Phone_Required`).
    pub name: String,
    pub file: FileId,
    pub doc: Arc<Document>,
    pub node: NodeId,
}

impl Component {
    /// The label Salesforce shows (and connected apps use to name profiles and permission sets).
    pub fn label(&self) -> String {
        if self.kind == Kind::Profile {
            return standard_profile_label(&self.name)
                .unwrap_or(&self.name)
                .to_string();
        }
        self.doc
            .child_text(self.node, "label")
            .unwrap_or(&self.name)
            .to_string()
    }

    pub fn text(&self, child: &str) -> Option<&str> {
        self.doc.child_text(self.node, child)
    }

    pub fn flag(&self, child: &str) -> bool {
        self.doc.child_flag(self.node, child)
    }
}

/// Kinds other metadata names by label (connected apps name profiles and permission sets by label).
const LABEL_INDEXED: &[Kind] = &[
    Kind::Profile,
    Kind::PermissionSet,
    Kind::PermissionSetGroup,
    Kind::ConnectedApp,
    Kind::ExternalClientApplication,
];

/// A file that could not be parsed.
#[derive(Debug, Clone)]
pub struct InvalidFile {
    pub file: FileId,
    pub error: XmlError,
}

#[derive(Debug, Default)]
pub struct Org {
    pub root: PathBuf,
    pub namespace: String,
    pub files: Vec<FileEntry>,
    pub components: Vec<Arc<Component>>,
    pub invalid: Vec<InvalidFile>,
    by_kind: FxHashMap<Kind, Vec<usize>>,
    by_name: FxHashMap<(Kind, String), usize>,
    by_label: FxHashMap<(Kind, String), Vec<usize>>,
}

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

/// The managed-package namespace of an API name (`SBQQ__SteelBrickCPQUser` → `SBQQ`), when it
/// is not the project's own. `Obj__c`-style suffixes are not namespaces.
pub fn foreign_namespace<'a>(name: &'a str, own: &str) -> Option<&'a str> {
    let (prefix, rest) = name.split_once("__")?;
    let valid = !prefix.is_empty()
        && prefix.len() <= 15
        && prefix.starts_with(|c: char| c.is_ascii_alphabetic())
        && prefix.chars().all(|c| c.is_ascii_alphanumeric())
        && !rest.is_empty();
    (valid && !prefix.eq_ignore_ascii_case(own)).then_some(prefix)
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

fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

impl Org {
    /// Read and parse every discovered file in parallel, then index the components.
    pub fn load(project: &Project) -> Org {
        let parsed: Vec<(u64, Result<Document, XmlError>)> = project
            .files
            .par_iter()
            .map(|file| match std::fs::read(&file.path) {
                Ok(bytes) => (bytes.len() as u64, Document::parse(&bytes)),
                Err(e) => (
                    0,
                    Err(XmlError {
                        message: format!("cannot read file: {e}"),
                        offset: 0,
                    }),
                ),
            })
            .collect();
        let mut org = Org {
            root: project.root.clone(),
            namespace: project.namespace.clone(),
            ..Org::default()
        };
        for (file, (bytes, result)) in project.files.iter().zip(parsed) {
            let id = org.add_file(FileEntry {
                rel: file.rel.clone(),
                path: file.path.clone(),
                kind: Some(file.kind),
                bytes,
            });
            match result {
                Ok(doc) => org.add_document(id, file, Arc::new(doc)),
                Err(error) => org.invalid.push(InvalidFile { file: id, error }),
            }
        }
        org.index();
        org
    }

    pub fn add_file(&mut self, entry: FileEntry) -> FileId {
        self.files.push(entry);
        (self.files.len() - 1) as FileId
    }

    fn add_document(&mut self, file: FileId, source: &SourceFile, doc: Arc<Document>) {
        let root = doc.root();
        let found = doc.name(root);
        if found != source.kind.as_str() {
            let error = XmlError {
                message: format!(
                    "a .{} file must have a <{}> root element, found <{}>",
                    source.kind.suffix(),
                    source.kind.as_str(),
                    found
                ),
                offset: doc.span(root).0,
            };
            self.invalid.push(InvalidFile { file, error });
            return;
        }
        if source.kind == Kind::CustomObject {
            // Metadata API objects embed their validation rules and fields.
            for kind in [Kind::ValidationRule, Kind::CustomField] {
                let element = kind.embedded_element().expect("object child");
                for child in doc.children_named(root, element) {
                    let Some(short) = doc.child_text(child, "fullName") else {
                        continue;
                    };
                    self.components.push(Arc::new(Component {
                        id: self.components.len(),
                        kind,
                        name: format!("{}.{}", source.name, short),
                        file,
                        doc: doc.clone(),
                        node: child,
                    }));
                }
            }
        }
        self.components.push(Arc::new(Component {
            id: self.components.len(),
            kind: source.kind,
            name: source.name.clone(),
            file,
            doc,
            node: root,
        }));
    }

    fn index(&mut self) {
        for (i, c) in self.components.iter().enumerate() {
            self.by_kind.entry(c.kind).or_default().push(i);
            // First definition wins; duplicates (same component in two package folders) keep both
            // in `by_kind`, so every file is still checked.
            self.by_name.entry((c.kind, key(&c.name))).or_insert(i);
            if LABEL_INDEXED.contains(&c.kind) {
                self.by_label
                    .entry((c.kind, key(&c.label())))
                    .or_default()
                    .push(i);
            }
        }
    }

    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Arc<Component>> + '_ {
        self.by_kind
            .get(&kind)
            .into_iter()
            .flatten()
            .map(|&i| &self.components[i])
    }

    /// Case-insensitive lookup by API name.
    pub fn find(&self, kind: Kind, name: &str) -> Option<&Arc<Component>> {
        self.by_name
            .get(&(kind, key(name)))
            .map(|&i| &self.components[i])
    }

    /// Lookup the way connected apps name profiles and permission sets: by label, then by API name.
    pub fn find_by_label(&self, kind: Kind, label: &str) -> Option<&Arc<Component>> {
        let by_label = if LABEL_INDEXED.contains(&kind) {
            self.by_label
                .get(&(kind, key(label)))
                .and_then(|v| v.first())
                .map(|&i| &self.components[i])
        } else {
            // Rarely asked for other kinds: a scan beats indexing 10,000 field labels per run.
            let wanted = key(label);
            self.of_kind(kind).find(|c| key(&c.label()) == wanted)
        };
        by_label.or_else(|| self.find(kind, label))
    }

    pub fn file(&self, id: FileId) -> &FileEntry {
        &self.files[id as usize]
    }

    /// Number of metadata files read (parsed or not).
    pub fn metadata_file_count(&self) -> usize {
        self.files.iter().filter(|f| f.kind.is_some()).count()
    }
}
