//! The org: every parsed component, with lookups by API name and by label.
//!
//! Components are handles into parsed documents (`Arc<Document>` + node), so nothing is copied out
//! of the XML. Child components embedded in Metadata API `.object` files (validation rules and
//! fields) become components of their own, pointing at their element inside the object's file.

use super::discover::{DiscoveredFile, PermissionSetPart, Project, Skipped};
use super::kind::Kind;
use super::profiles::standard_profile_label;
use super::xml::{Document, NodeId, XmlError};
use crate::findings::{Anchor, Loc};
use crate::source::{FileId, SourceDb, SourceFile};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::path::PathBuf;
use std::sync::Arc;

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
    /// The other files of a decomposed permission set, each holding some of its elements.
    pub parts: Vec<Part>,
    /// Why a profile is Salesforce's standard profile (`None`: custom), decided once: the
    /// licence sits at the end of a profile that can have tens of thousands of elements.
    pub standard: std::sync::OnceLock<Option<&'static str>>,
}

/// One file of a decomposed permission set.
#[derive(Debug, Clone)]
pub struct Part {
    pub file: FileId,
    pub doc: Arc<Document>,
    /// `Some("fieldPermissions")` when the file's root *is* one such element (first decomposition
    /// version); `None` when the root holds elements of the set (second version).
    pub entry: Option<&'static str>,
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

    /// Elements called `name` directly under the component, in its own file and in the files of
    /// a decomposed permission set: (document, file, node).
    pub fn elements_named<'a>(
        &'a self,
        name: &'a str,
    ) -> impl Iterator<Item = (&'a Arc<Document>, FileId, NodeId)> + 'a {
        let own = self
            .doc
            .children_named(self.node, name)
            .map(move |n| (&self.doc, self.file, n));
        let parts = self.parts.iter().flat_map(move |p| {
            let root = p.doc.root();
            let (whole, children): (Option<NodeId>, Option<NodeId>) = match p.entry {
                Some(e) if e == name => (Some(root), None),
                Some(_) => (None, None),
                None => (None, Some(root)),
            };
            whole
                .into_iter()
                .chain(
                    children
                        .into_iter()
                        .flat_map(move |r| p.doc.children_named(r, name)),
                )
                .map(move |n| (&p.doc, p.file, n))
        });
        own.chain(parts)
    }

    /// The location of one of this component's elements.
    pub fn loc(&self, node: NodeId) -> Loc {
        element_loc(&self.doc, self.file, node)
    }

    /// The location of the component itself.
    pub fn own_loc(&self) -> Loc {
        self.loc(self.node)
    }
}

/// The location of an element: its span, and its anchor.
pub fn element_loc(doc: &Document, file: FileId, node: NodeId) -> Loc {
    let (start, end) = doc.span(node);
    Loc {
        file,
        start,
        end,
        anchor: doc.anchor(node),
    }
}

/// A location resolved when it is shown. Resolving an element's needs its file's positions,
/// which are re-read and re-parsed the first time: evidence that no finding or report shows (an
/// identity's licence in a profile of megabytes) should not pay for that.
#[derive(Debug, Clone)]
pub enum LazyLoc {
    Loc(Loc),
    Element {
        doc: Arc<Document>,
        file: FileId,
        node: NodeId,
    },
}

impl LazyLoc {
    pub fn element(doc: &Arc<Document>, file: FileId, node: NodeId) -> LazyLoc {
        LazyLoc::Element {
            doc: doc.clone(),
            file,
            node,
        }
    }

    /// The file, without resolving the position.
    pub fn file(&self) -> FileId {
        match self {
            LazyLoc::Loc(loc) => loc.file,
            LazyLoc::Element { file, .. } => *file,
        }
    }

    pub fn loc(&self) -> Loc {
        match self {
            LazyLoc::Loc(loc) => loc.clone(),
            LazyLoc::Element { doc, file, node } => element_loc(doc, *file, *node),
        }
    }
}

impl From<Loc> for LazyLoc {
    fn from(loc: Loc) -> LazyLoc {
        LazyLoc::Loc(loc)
    }
}

/// The location of a piece of an element's text (a formula reference, a list item): its exact
/// bytes in the file, anchored by the piece and its occurrence among identical pieces.
pub fn text_loc(doc: &Document, file: FileId, node: NodeId, range: std::ops::Range<usize>) -> Loc {
    let text = doc.text(node);
    let piece = text.get(range.clone()).unwrap_or("");
    let occurrence = 1 + if piece.is_empty() {
        0
    } else {
        memchr::memmem::find_iter(
            &text.as_bytes()[..range.start.min(text.len())],
            piece.as_bytes(),
        )
        .count()
    };
    text_loc_nth(doc, file, node, range, occurrence)
}

/// [`text_loc`] when the caller already knows which occurrence of the piece this is (a scan over
/// the whole text counts them in one pass instead of once per piece).
pub fn text_loc_nth(
    doc: &Document,
    file: FileId,
    node: NodeId,
    range: std::ops::Range<usize>,
    occurrence: usize,
) -> Loc {
    let text = doc.text(node);
    let piece = text.get(range.clone()).unwrap_or("");
    let (start, end) = doc.text_span(node, range.start, range.end);
    Loc {
        file,
        start,
        end,
        anchor: doc.container_anchor(node).text(piece, occurrence),
    }
}

/// A whole file (for what concerns the file itself).
pub fn file_loc(file: FileId) -> Loc {
    Loc {
        file,
        start: 0,
        end: 0,
        anchor: Anchor::whole_file(),
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

/// Metadata recognised but not read: a symlink, an unreadable folder.
#[derive(Debug, Clone)]
pub struct UnreadFile {
    pub file: FileId,
    pub reason: String,
    /// Only a note (a symbolic link sfpolicy chose not to follow), not a failure to read.
    pub note: bool,
    /// How much it matters: a folder or file that cannot be read is an error (the run cannot
    /// vouch for it); a part sfpolicy does not know is a warning.
    pub severity: crate::findings::Severity,
    /// What to do about it.
    pub help: &'static str,
}

#[derive(Debug, Default)]
pub struct Org {
    pub root: PathBuf,
    pub namespace: String,
    /// Every file of the run (metadata, config, register): paths, lines, text for reports.
    pub sources: SourceDb,
    pub components: Vec<Arc<Component>>,
    pub invalid: Vec<InvalidFile>,
    pub unread: Vec<UnreadFile>,
    by_kind: FxHashMap<Kind, Vec<usize>>,
    /// (file, component) pairs sorted by file: a file's components without a list per file.
    by_file: Vec<(FileId, usize)>,
    /// By kind and the hash of the lower-case name (no copy of each name); a lookup checks the
    /// name, and two names with one hash fall back to a scan.
    by_name: FxHashMap<(Kind, u64), usize>,
    by_label: FxHashMap<(Kind, String), Vec<usize>>,
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

fn key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The hash `Org::find` indexes a name by: of its `key`.
fn name_hash(name: &str) -> u64 {
    hash_key(&key(name))
}

fn hash_key(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

/// What reading one discovered file gave.
enum Loaded {
    /// The component the file defines (most files).
    One(Component),
    /// An object and the rules it embeds, or a workflow and its rules.
    Many(Vec<Component>),
    /// A file of a decomposed permission set, checked against its set once all are read.
    Part(DiscoveredFile, PermissionSetPart, Arc<Document>),
    /// It could not be parsed, or its root is not the one its kind promises.
    Invalid(XmlError),
}

/// The components a parsed file defines, or why it defines none: a root that is not its kind's.
fn components_of(file: FileId, source: DiscoveredFile, doc: Arc<Document>) -> Loaded {
    let root = doc.root();
    let found = doc.name(root);
    if found != source.kind.as_str() {
        return Loaded::Invalid(XmlError {
            message: format!(
                "a .{} file must have a <{}> root element, found <{}>",
                source.kind.suffix(),
                source.kind.as_str(),
                found
            ),
            offset: doc.span(root).0,
        });
    }
    let component = |kind, name, node, doc| Component {
        id: 0,
        kind,
        name,
        file,
        doc,
        node,
        parts: Vec::new(),
        standard: Default::default(),
    };
    let mut embedded = Vec::new();
    // Metadata API objects embed their validation rules and fields; workflows their rules.
    for &(kind, element) in source.kind.embedded() {
        for child in doc.children_named(root, element) {
            let Some(short) = doc.child_text(child, "fullName") else {
                continue;
            };
            let name = format!("{}.{}", source.name, short);
            embedded.push(component(kind, name, child, doc.clone()));
        }
    }
    let own = component(source.kind, source.name, root, doc);
    if embedded.is_empty() {
        return Loaded::One(own);
    }
    embedded.push(own);
    Loaded::Many(embedded)
}

impl Org {
    /// Read and parse every discovered file in parallel, then index the components. The
    /// project's paths move into the org's sources (each file's path is held once).
    pub fn load(project: Project) -> Org {
        // Documents are put behind their `Arc` here, so the vector of results holds pointers
        // rather than whole documents while every file is read.
        let pools = crate::model::xml::RunPools::new();
        let Project {
            root,
            files,
            unread,
            namespace,
            invalid_project_file,
            ..
        } = project;
        // Each file's id is its place in the walk's order, so the components of a file are
        // built beside its parse, and the sources and results are gathered in parallel: what
        // is left for one thread is to put the components in one list.
        let (sources, loaded): (Vec<SourceFile>, Vec<Loaded>) = files
            .into_par_iter()
            .enumerate()
            .map(|(i, mut file)| {
                let rel = std::mem::take(&mut file.rel);
                let path = std::mem::take(&mut file.path);
                let (source, doc) = Self::read_and_parse(rel, path, &file.name, &pools);
                let loaded = match (doc, file.part.take()) {
                    (Err(error), _) => Loaded::Invalid(error),
                    (Ok(doc), Some(part)) => Loaded::Part(file, part, doc),
                    (Ok(doc), None) => components_of(i as FileId, file, doc),
                };
                (source, loaded)
            })
            .unzip();
        // Parsing is over: the pools keep their values, not the maps that found them.
        rayon::broadcast(|_| crate::model::xml::RunPools::release_thread());
        crate::model::xml::RunPools::release_thread();
        let mut org = Org {
            sources: SourceDb::with_files(&root, sources),
            root,
            namespace,
            ..Org::default()
        };
        org.sources
            .reserve(unread.len() + usize::from(invalid_project_file.is_some()));
        let mut pending: Vec<Component> = Vec::with_capacity(loaded.len());
        // Parts of decomposed permission sets, by set name, until their set is known.
        let mut parts: FxHashMap<String, Vec<Part>> = FxHashMap::default();
        for (id, loaded) in loaded.into_iter().enumerate() {
            let id = id as FileId;
            match loaded {
                Loaded::One(component) => pending.push(component),
                Loaded::Many(components) => pending.extend(components),
                Loaded::Invalid(error) => org.invalid.push(InvalidFile { file: id, error }),
                Loaded::Part(file, part, doc) => {
                    if let Some(p) = org.part(id, &file, &part, doc) {
                        parts.entry(key(&file.name)).or_default().push(p);
                    }
                }
            }
        }
        org.finish_load(pending, parts, invalid_project_file, unread);
        org
    }

    /// Read one file and parse it for the run (its root named `name` in anchors).
    fn read_and_parse(
        rel: String,
        path: std::path::PathBuf,
        name: &str,
        pools: &crate::model::xml::RunPools,
    ) -> (SourceFile, Result<Arc<Document>, XmlError>) {
        thread_local! {
            /// The file being parsed: one buffer per thread, not one allocation per file.
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        BUFFER.with(|buffer| {
            let mut bytes = buffer.borrow_mut();
            let result = crate::source::read_into(&path, &mut bytes);
            let parsed = Self::parse_read(rel, path, name, pools, result.map(|()| &bytes[..]));
            // A large file's buffer is not kept for the rest of the run (the thread's buffer
            // is for the thousands of small files).
            if bytes.capacity() > 256 << 10 {
                *bytes = Vec::new();
            }
            parsed
        })
    }

    fn parse_read(
        rel: String,
        path: std::path::PathBuf,
        name: &str,
        pools: &crate::model::xml::RunPools,
        read: std::io::Result<&[u8]>,
    ) -> (SourceFile, Result<Arc<Document>, XmlError>) {
        match read {
            Ok(bytes) => {
                let source = SourceFile::from_bytes(rel, path, true, bytes);
                let origin = crate::model::xml::SourceRef {
                    path: source.path.clone(),
                    len: source.len,
                    hash: source.hash(),
                    lines: source.shared_lines(),
                };
                let doc = Document::parse_file(bytes, origin, pools).map(|mut d| {
                    d.set_root_name(name);
                    Arc::new(d)
                });
                (source, doc)
            }
            Err(e) => (
                SourceFile::unreadable(rel, path, true),
                Err(XmlError {
                    message: format!("cannot read file: {e}"),
                    offset: 0,
                }),
            ),
        }
    }

    /// After the files: decomposed parts joined to their sets, what was not read, the indexes.
    fn finish_load(
        &mut self,
        mut pending: Vec<Component>,
        mut parts: FxHashMap<String, Vec<Part>>,
        invalid_project_file: Option<super::discover::ProjectFileProblem>,
        unread: Vec<super::discover::Unread>,
    ) {
        let org = self;
        for c in pending.iter_mut() {
            if c.kind == Kind::PermissionSet {
                if let Some(found) = parts.remove(&key(&c.name)) {
                    c.parts = found;
                }
            }
        }
        // Parts whose set has no `<PS>.permissionset-meta.xml`: never checked silently.
        let mut orphans: Vec<Part> = parts.into_values().flatten().collect();
        orphans.sort_by(|a, b| org.sources.rel(a.file).cmp(org.sources.rel(b.file)));
        for part in orphans {
            let rel = org.sources.rel(part.file);
            let set = rel.rsplit('/').nth(1).unwrap_or("").to_string();
            org.unread.push(UnreadFile {
                note: false,
                severity: crate::findings::Severity::Warning,
                help: "commit the permission set's .permissionset-meta.xml beside its parts, or remove the orphaned part",
                file: part.file,
                reason: format!("is part of the decomposed permission set {set}, whose {set}.permissionset-meta.xml is missing, so its grants are not read"),
            });
        }
        if let Some(problem) = &invalid_project_file {
            let id = org.sources.add(SourceFile::from_text(
                problem.rel.clone(),
                problem.path.clone(),
                &problem.text,
            ));
            org.invalid.push(InvalidFile {
                file: id,
                error: XmlError {
                    message: problem.message.clone(),
                    offset: problem.offset,
                },
            });
        }
        for skipped in &unread {
            let id = org.sources.add(SourceFile::unreadable(
                skipped.rel.clone(),
                skipped.path.clone(),
                true,
            ));
            org.unread.push(UnreadFile {
                file: id,
                reason: skipped.reason.clone(),
                note: skipped.why == Skipped::Symlink,
                severity: crate::findings::Severity::Error,
                help: match skipped.why {
                    Skipped::Symlink => "commit the file itself, not a link to it, so that it is checked",
                    Skipped::Unreadable => "make it readable by the user running sfpolicy (permissions, path length), so that it is checked",
                    Skipped::NotAFile => "replace it with the metadata file it stands for, or remove it",
                },
            });
        }
        org.components = pending
            .into_iter()
            .enumerate()
            .map(|(i, mut c)| {
                c.id = i;
                Arc::new(c)
            })
            .collect();
        org.index();
    }

    /// A file of a decomposed permission set, checked against the root its layout promises.
    fn part(
        &mut self,
        file: FileId,
        source: &DiscoveredFile,
        part: &PermissionSetPart,
        doc: Arc<Document>,
    ) -> Option<Part> {
        let (expected, entry) = match part {
            PermissionSetPart::Elements => ("PermissionSet", None),
            PermissionSetPart::Entry { element, root } => (*root, Some(*element)),
            PermissionSetPart::Unknown => {
                self.unread.push(UnreadFile {
                    note: false,
                    severity: crate::findings::Severity::Warning,
                    help: "name parts as the decomposed layouts do (<Set>.userPermission-meta.xml, objectSettings/<Object>.objectSettings-meta.xml, fieldPermissions/<Object>.<Field>.fieldPermission-meta.xml); if Salesforce added a layout, please report it",
                    file,
                    reason: format!(
                        "is in the decomposed permission set {}, but sfpolicy does not know this kind of part, so its grants are not read",
                        source.name
                    ),
                });
                return None;
            }
        };
        let found = doc.name(doc.root());
        if found != expected {
            self.invalid.push(InvalidFile {
                file,
                error: XmlError {
                    message: format!(
                        "a part of the decomposed permission set {} must have a <{expected}> root element, found <{found}>",
                        source.name
                    ),
                    offset: doc.span(doc.root()).0,
                },
            });
            return None;
        }
        Some(Part { file, doc, entry })
    }

    fn index(&mut self) {
        // The keys first, in parallel: lower-casing names and reading labels is most of the
        // indexing, and the maps below are filled in component order all the same.
        let keys: Vec<(u64, Option<String>)> = self
            .components
            .par_iter()
            .map(|c| {
                let label = LABEL_INDEXED.contains(&c.kind).then(|| key(&c.label()));
                (name_hash(&c.name), label)
            })
            .collect();
        self.by_file.reserve_exact(self.components.len());
        self.by_name.reserve(self.components.len());
        for (i, (c, (name, label))) in self.components.iter().zip(keys).enumerate() {
            self.by_kind.entry(c.kind).or_default().push(i);
            self.by_file.push((c.file, i));
            // First definition wins; duplicates (same component in two package folders) keep both
            // in `by_kind`, so every file is still checked.
            self.by_name.entry((c.kind, name)).or_insert(i);
            if let Some(label) = label {
                self.by_label.entry((c.kind, label)).or_default().push(i);
            }
        }
        // Stable: a file's components keep their order.
        self.by_file.sort_by_key(|&(file, _)| file);
    }

    /// The components an index lists.
    fn listed<'a>(
        &'a self,
        ids: Option<&'a Vec<usize>>,
    ) -> impl Iterator<Item = &'a Arc<Component>> + 'a {
        ids.into_iter().flatten().map(|&i| &self.components[i])
    }

    /// The components a file defines (one, or an object and its embedded children).
    pub fn in_file(&self, file: FileId) -> impl Iterator<Item = &Arc<Component>> + '_ {
        let start = self.by_file.partition_point(|&(f, _)| f < file);
        self.by_file[start..]
            .iter()
            .take_while(move |&&(f, _)| f == file)
            .map(|&(_, i)| &self.components[i])
    }

    pub fn of_kind(&self, kind: Kind) -> impl Iterator<Item = &Arc<Component>> + '_ {
        self.listed(self.by_kind.get(&kind))
    }

    /// Case-insensitive lookup by API name (the first definition of a name wins).
    pub fn find(&self, kind: Kind, name: &str) -> Option<&Arc<Component>> {
        let wanted = key(name);
        let &i = self.by_name.get(&(kind, hash_key(&wanted)))?;
        let found = &self.components[i];
        // `key` exactly (its lower-casing is `str::to_lowercase`, final sigma and all).
        let lower = |name: &str| key(name) == wanted;
        if lower(&found.name) {
            return Some(found);
        }
        // Another name with the same hash holds the slot: the first definition by scanning.
        self.of_kind(kind).find(|c| lower(&c.name))
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

    /// Project-relative path of a file.
    pub fn rel(&self, id: FileId) -> &str {
        self.sources.rel(id)
    }
}

/// Build an org from files for unit tests (written to a temporary folder and discovered like a
/// real project).
#[cfg(test)]
pub(crate) fn test_org(files: &[(&str, &str)]) -> (tempfile::TempDir, Org) {
    let dir = tempfile::tempdir().expect("temporary folder");
    for (rel, text) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create folder");
        std::fs::write(path, text).expect("write file");
    }
    let root = std::fs::canonicalize(dir.path()).expect("canonical root");
    let project = super::discover::discover(&root, &super::discover::Options::default());
    let org = Org::load(project);
    (dir, org)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PS: &str = "force-app/main/default/permissionsets";

    fn set(label: &str) -> String {
        format!("<PermissionSet xmlns=\"http://soap.sforce.com/2006/04/metadata\"><label>{label}</label></PermissionSet>")
    }

    /// A file's components come back in the order its file lists them, and only its own.
    #[test]
    fn in_file_lists_a_files_components_in_order() {
        let object = "<CustomObject><validationRules><fullName>B_Rule</fullName></validationRules><fields><fullName>A__c</fullName></fields><validationRules><fullName>A_Rule</fullName></validationRules></CustomObject>";
        let (_dir, org) = test_org(&[
            ("src/objects/Account.object", object),
            ("src/objects/Contact.object", "<CustomObject/>"),
            (
                &format!("{PS}/Alpha_Access.permissionset-meta.xml"),
                &set("Alpha"),
            ),
        ]);
        let names = |rel: &str| -> Vec<String> {
            let (file, _) = org.sources.files().find(|(_, f)| f.rel == rel).unwrap();
            org.in_file(file).map(|c| c.name.clone()).collect()
        };
        assert_eq!(
            names("src/objects/Account.object"),
            [
                "Account.B_Rule",
                "Account.A_Rule",
                "Account.A__c",
                "Account"
            ]
        );
        assert_eq!(names("src/objects/Contact.object"), ["Contact"]);
        assert_eq!(
            names(&format!("{PS}/Alpha_Access.permissionset-meta.xml")),
            ["Alpha_Access"]
        );
    }

    #[test]
    fn find_is_case_insensitive_and_survives_a_shared_hash() {
        let (a, b) = (set("Alpha"), set("Beta"));
        let (_dir, mut org) = test_org(&[
            (&format!("{PS}/Alpha_Access.permissionset-meta.xml"), &a),
            (&format!("{PS}/Beta_Access.permissionset-meta.xml"), &b),
        ]);
        let found =
            |org: &Org, name: &str| org.find(Kind::PermissionSet, name).map(|c| c.name.clone());
        assert_eq!(
            found(&org, " beta_access "),
            Some("Beta_Access".to_string())
        );
        assert_eq!(found(&org, "Gamma_Access"), None);
        // Two names whose hashes collide share one slot: the one not in it is found by a scan.
        let alpha = org.find(Kind::PermissionSet, "Alpha_Access").unwrap().id;
        let slot = (Kind::PermissionSet, name_hash("Beta_Access"));
        org.by_name.insert(slot, alpha);
        assert_eq!(found(&org, "BETA_ACCESS"), Some("Beta_Access".to_string()));
        assert_eq!(
            found(&org, "alpha_access"),
            Some("Alpha_Access".to_string())
        );
    }
}
