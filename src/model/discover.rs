//! Discovery: the project root, the files to read, and each file's metadata kind.
//!
//! The root is the nearest folder upwards holding `sfdx-project.json` or `sfpolicy.toml`. The
//! whole root is walked (package directories and the mdapi folders beside them), skipping VCS and
//! tool folders and whatever `.forceignore` excludes, with gitignore semantics from `ignore`.

use super::kind::Kind;
use crate::source::paths::slashes;
use std::path::{Path, PathBuf};

/// One metadata file to read.
#[derive(Debug, Clone)]
pub struct DiscoveredFile {
    pub path: PathBuf,
    /// Relative to the project root, forward slashes.
    pub rel: String,
    pub kind: Kind,
    /// Component API name from the path (`Account.Phone_Required` for object children).
    pub name: String,
    /// A part of a decomposed permission set (`name` is the set).
    pub part: Option<PermissionSetPart>,
}

#[derive(Debug, Default)]
pub struct Project {
    pub root: PathBuf,
    pub files: Vec<DiscoveredFile>,
    /// Metadata recognised but not read (symlinks, unreadable folders): reported, never skipped
    /// silently.
    pub unread: Vec<Unread>,
    /// The sfdx project's own namespace (`""` when none).
    pub namespace: String,
    /// Problems worth telling the user that do not stop the run.
    pub warnings: Vec<String>,
    /// An `sfdx-project.json` that cannot be read or parsed: reported as `invalid-metadata`.
    pub invalid_project_file: Option<ProjectFileProblem>,
}

/// A project file that cannot be used, located.
#[derive(Debug, Clone)]
pub struct ProjectFileProblem {
    pub rel: String,
    pub path: PathBuf,
    pub text: String,
    pub offset: usize,
    pub message: String,
}

/// A path sfpolicy will not read, and why.
#[derive(Debug, Clone)]
pub struct Unread {
    pub path: PathBuf,
    pub rel: String,
    pub reason: String,
    pub why: Skipped,
}

/// Why a recognised path was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// A symbolic link, not followed on purpose.
    Symlink,
    /// Reading it (or listing a folder) failed.
    Unreadable,
    /// Not a regular file: a FIFO (reading would block), a socket, a device.
    NotAFile,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub no_forceignore: bool,
    /// Folders never scanned: the test cases of policy folders inside the project.
    pub exclude: Vec<PathBuf>,
}

const PROJECT_MARKERS: &[&str] = &["sfdx-project.json", "sfpolicy.toml"];
const SKIPPED_DIRS: &[&str] = &["node_modules", ".git", ".sfdx", ".sf"];

/// The project root for a user-supplied path.
pub fn find_root(path: &Path) -> PathBuf {
    let start = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let start_dir = if start.is_file() {
        start.parent().map(Path::to_path_buf).unwrap_or(start)
    } else {
        start
    };
    let mut dir = Some(start_dir.as_path());
    while let Some(d) = dir {
        if PROJECT_MARKERS.iter().any(|m| d.join(m).is_file()) {
            return d.to_path_buf();
        }
        dir = d.parent();
    }
    start_dir
}

/// Walk the project and classify every metadata file. Files are sorted by relative path.
pub fn discover(root: &Path, options: &Options) -> Project {
    let mut project = Project {
        root: root.to_path_buf(),
        ..Project::default()
    };
    read_sfdx_project(&mut project);
    let mut walker = ignore::WalkBuilder::new(root);
    walker
        .hidden(true)
        .parents(false)
        .ignore(false)
        .git_ignore(false)
        .git_global(false)
        .git_exclude(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry({
            let exclude = options.exclude.clone();
            move |entry| {
                !SKIPPED_DIRS
                    .iter()
                    .any(|skip| entry.file_name() == std::ffi::OsStr::new(skip))
                    && !exclude.iter().any(|x| entry.path() == x)
            }
        });
    if !options.no_forceignore {
        walker.add_custom_ignore_filename(".forceignore");
    }
    let found = std::sync::Mutex::new((Vec::new(), Vec::new()));
    walker.build_parallel().run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    let path = error_path(&error).unwrap_or_else(|| root.to_path_buf());
                    lock(&found).1.push(Unread {
                        rel: relative(root, &path),
                        path,
                        reason: format!("cannot be read: {}", io_message(&error)),
                        why: Skipped::Unreadable,
                    });
                    return ignore::WalkState::Continue;
                }
            };
            let Some(file_type) = entry.file_type() else {
                return ignore::WalkState::Continue;
            };
            if !file_type.is_dir() {
                let path = entry.into_path();
                let rel = relative(root, &path);
                if let Some(Classified { kind, name, part }) = classify_file(&rel) {
                    if !file_type.is_file() && !file_type.is_symlink() {
                        lock(&found).1.push(Unread {
                            path,
                            rel,
                            reason: "is not a regular file (a FIFO, socket or device); it was not read".into(),
                            why: Skipped::NotAFile,
                        });
                    } else if file_type.is_symlink() {
                        // Never followed: a link could pull files from outside the project.
                        lock(&found).1.push(Unread {
                            path,
                            rel,
                            reason: "is a symbolic link; sfpolicy does not follow links, so it was not checked".into(),
                            why: Skipped::Symlink,
                        });
                    } else {
                        lock(&found).0.push(DiscoveredFile {
                            path,
                            rel,
                            kind,
                            name,
                            part,
                        });
                    }
                }
            }
            ignore::WalkState::Continue
        })
    });
    let (files, mut unread) = found.into_inner().unwrap_or_else(|e| e.into_inner());
    project.files = files;
    unread.sort_by(|a, b| a.rel.cmp(&b.rel));
    project.unread.extend(unread);
    // Paths are unique: an unstable sort gives the same order.
    project.files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
    project
}

/// The path an error from the walk is about.
fn error_path(error: &ignore::Error) -> Option<PathBuf> {
    match error {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errors) => errors.iter().find_map(error_path),
        _ => None,
    }
}

/// The underlying reason, without the path (reported separately).
fn io_message(error: &ignore::Error) -> String {
    match error {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => io_message(err),
        ignore::Error::Io(e) => e.to_string(),
        other => other.to_string(),
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// `sfdx-project.json`: the project's namespace. A file that cannot be read or is not JSON is
/// an `invalid-metadata` finding (the whole folder is still scanned), never silently ignored.
fn read_sfdx_project(project: &mut Project) {
    let file = project.root.join("sfdx-project.json");
    if !file.exists() {
        return;
    }
    let problem = |text: String, offset: usize, message: String| ProjectFileProblem {
        rel: "sfdx-project.json".into(),
        path: file.clone(),
        text,
        offset,
        message,
    };
    let text = match crate::source::read_to_string(&file) {
        Ok(text) => text,
        Err(e) => {
            project.invalid_project_file = Some(problem(
                String::new(),
                0,
                format!("sfdx-project.json cannot be read ({e}); the whole folder was scanned"),
            ));
            return;
        }
    };
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(json) => {
            if let Some(ns) = json.get("namespace").and_then(|v| v.as_str()) {
                project.namespace = ns.to_string();
            }
        }
        Err(e) => {
            let offset = text
                .split_inclusive('\n')
                .take(e.line().saturating_sub(1))
                .map(str::len)
                .sum::<usize>()
                + e.column().saturating_sub(1);
            let message = format!(
                "sfdx-project.json is not valid JSON ({}); the whole folder was scanned, without its namespace",
                e.to_string().split(" at line ").next().unwrap_or("")
            );
            project.invalid_project_file = Some(problem(text, offset, message));
        }
    }
}

/// Path relative to the root with forward slashes.
pub fn relative(root: &Path, path: &Path) -> String {
    // Every file of a walk: the root's text, a slash, and a clean rest (what taking both apart
    // component by component would give).
    #[cfg(unix)]
    if let (Some(root_text), Some(text)) = (root.to_str().filter(|r| !r.is_empty()), path.to_str())
    {
        let rest = text
            .strip_prefix(root_text.trim_end_matches('/'))
            .and_then(|rest| rest.strip_prefix('/'));
        if let Some(rest) =
            rest.filter(|r| !r.starts_with('/') && crate::source::paths::already_slashed(r))
        {
            return rest.to_string();
        }
    }
    slashes(path.strip_prefix(root).unwrap_or(path))
}

/// A file of a decomposed permission set (`sourceBehaviorOptions`, `salesforce-metadata.md` §1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PermissionSetPart {
    /// `decomposePermissionSetBeta2`: `<PS>.userPermission-meta.xml`,
    /// `objectSettings/<Obj>.objectSettings-meta.xml`: a `<PermissionSet>` root (no namespace)
    /// holding some of the set's elements.
    Elements,
    /// `decomposePermissionSetBeta`: `fieldPermissions/<Obj>.<Field>.fieldPermission-meta.xml`: one
    /// entry per file, its root (`<FieldPermission>`) standing for the element (`fieldPermissions`).
    Entry {
        element: &'static str,
        root: &'static str,
    },
    /// Under `permissionsets/<PS>/` with a `-meta.xml` suffix sfpolicy does not know: reported as
    /// `unread-metadata`, never skipped silently.
    Unknown,
}

/// What a path is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classified {
    pub kind: Kind,
    /// Component API name (`Account.Phone_Required`; a decomposed part: its permission set).
    pub name: String,
    pub part: Option<PermissionSetPart>,
}

/// Beta (first version) decomposition: folder, file suffix and root element of each entry kind.
const DECOMPOSED_ENTRIES: &[(&str, &str, &str)] = &[
    (
        "applicationVisibilities",
        "applicationVisibility",
        "ApplicationVisibility",
    ),
    ("classAccesses", "classAccess", "ClassAccess"),
    (
        "customMetadataTypeAccesses",
        "customMetadataTypeAccess",
        "CustomMetadataTypeAccess",
    ),
    ("customPermissions", "customPermission", "CustomPermission"),
    (
        "customSettingAccesses",
        "customSettingAccess",
        "CustomSettingAccess",
    ),
    (
        "externalCredentialPrincipalAccesses",
        "externalCredentialPrincipalAccess",
        "ExternalCredentialPrincipalAccess",
    ),
    (
        "externalDataSourceAccesses",
        "externalDataSourceAccess",
        "ExternalDataSourceAccess",
    ),
    ("fieldPermissions", "fieldPermission", "FieldPermission"),
    ("flowAccesses", "flowAccess", "FlowAccess"),
    ("objectPermissions", "objectPermission", "ObjectPermission"),
    ("pageAccesses", "pageAccess", "PageAccess"),
    (
        "recordTypeVisibilities",
        "recordTypeVisibility",
        "RecordTypeVisibility",
    ),
    ("tabSettings", "tabSetting", "TabSetting"),
    ("userPermissions", "userPermission", "UserPermission"),
];

/// Beta2 decomposition: suffixes of the per-kind files beside `<PS>.permissionset-meta.xml`.
const BETA2_SUFFIXES: &[&str] = &[
    "applicationVisibility",
    "classAccess",
    "customMetadataTypeAccess",
    "customPermissions",
    "customSettingAccess",
    "externalCredentialPrincipalAccess",
    "externalDataSourceAccess",
    "fieldPermission",
    "flowAccess",
    "objectPermission",
    "pageAccess",
    "recordTypeVisibility",
    "tabSetting",
    "userPermission",
];

/// A file inside `permissionsets/<PS>/`: the set's own file or one of its parts.
fn classify_decomposed(segments: &[&str], file: &str) -> Option<Classified> {
    let at = segments.iter().rposition(|s| *s == "permissionsets")?;
    let inside = &segments[at + 1..];
    let set = percent_decode(inside.first()?);
    let base = file.strip_suffix("-meta.xml")?;
    let (stem, suffix) = base.rsplit_once('.')?;
    let classified = |part| {
        Some(Classified {
            kind: Kind::PermissionSet,
            name: set.clone(),
            part,
        })
    };
    match inside.len() {
        1 if suffix == "permissionset" => classified(None),
        1 if BETA2_SUFFIXES.contains(&suffix) => classified(Some(PermissionSetPart::Elements)),
        2 if inside[1] == "objectSettings" && suffix == "objectSettings" && !stem.is_empty() => {
            classified(Some(PermissionSetPart::Elements))
        }
        2 => match DECOMPOSED_ENTRIES
            .iter()
            .find(|(folder, suf, _)| *folder == inside[1] && *suf == suffix)
        {
            Some((folder, _, root)) => classified(Some(PermissionSetPart::Entry {
                element: folder,
                root,
            })),
            None => classified(Some(PermissionSetPart::Unknown)),
        },
        _ => classified(Some(PermissionSetPart::Unknown)),
    }
}

/// The metadata kind and component name of a path, or `None` for files sfpolicy does not read.
pub fn classify(rel: &str) -> Option<(Kind, String)> {
    classify_file(rel).map(|c| (c.kind, c.name))
}

/// What a path is: its kind, component name and, for decomposed permission sets, which part.
pub fn classify_file(rel: &str) -> Option<Classified> {
    // Split from the end without collecting: this runs for every file of the walk.
    let (folders, file) = rel.rsplit_once('/').unwrap_or(("", rel));
    // Decomposed permission sets keep grants in files whose suffixes collide with real
    // components (`permissionsets/PS/customPermissions/X.customPermission-meta.xml`): the folder
    // decides first (a `permissionsets` folder above the file's own folder).
    if folders
        .rsplit_once('/')
        .is_some_and(|(above, _)| above.split('/').any(|s| s == "permissionsets"))
    {
        let segments: Vec<&str> = folders.split('/').collect();
        return classify_decomposed(&segments, file);
    }
    let (base, source_format) = match file.strip_suffix("-meta.xml") {
        Some(base) => (base, true),
        None => (file, false),
    };
    let (stem, suffix) = base.rsplit_once('.')?;
    let kind = Kind::from_suffix(suffix)?;
    if stem.is_empty() {
        return None;
    }
    let mut name = percent_decode(stem);
    if let Some(folder) = kind.object_child_folder() {
        let (above, parent) = folders.rsplit_once('/')?;
        if parent != folder {
            return None;
        }
        let object = above.rsplit('/').next().unwrap_or(above);
        name = format!("{}.{}", percent_decode(object), name);
    }
    if kind == Kind::Flow && !source_format {
        // Metadata API flows before v44 carry their version: `My_Flow-3.flow`.
        if let Some((api, version)) = name.rsplit_once('-') {
            if !version.is_empty() && version.bytes().all(|b| b.is_ascii_digit()) {
                name = api.to_string();
            }
        }
    }
    Some(Classified {
        kind,
        name,
        part: None,
    })
}

/// Decode `%XX` escapes Salesforce uses in file names (`Finance%2FAccounting`).
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_to_the_root_by_text_or_by_components_agree() {
        let cases = [
            ("/r", "/r/a/b.xml"),
            ("/r/", "/r/a/b.xml"),
            ("/", "/a/b.xml"),
            ("/r", "/r"),
            ("/r", "/rx/a.xml"),
            ("/r", "/r/./a.xml"),
            ("/r/./s", "/r/s/a.xml"),
            ("/r", "/other/a.xml"),
            ("/r", "/r//a.xml"),
            ("", "/a/b.xml"),
            ("", "a/b.xml"),
        ];
        for (root, path) in cases {
            let slow = crate::source::paths::slashes_by_components(
                Path::new(path)
                    .strip_prefix(root)
                    .unwrap_or(Path::new(path)),
            );
            assert_eq!(
                relative(Path::new(root), Path::new(path)),
                slow,
                "{root} {path}"
            );
        }
    }

    #[test]
    fn classification_at_folder_edges_is_pinned() {
        // What classification answered when it still collected a path's segments (the rewrite
        // that splits from the end must agree at every folder boundary).
        let named = |rel: &str| classify_file(rel).map(|c| (c.kind, c.name, c.part));
        let part = |p| Some(p);
        let cases = [
            ("x.validationRule-meta.xml", None),
            ("validationRules/x.validationRule-meta.xml", None),
            (
                "Account/validationRules/x.validationRule-meta.xml",
                Some((Kind::ValidationRule, "Account.x", None)),
            ),
            (
                "/validationRules/x.validationRule-meta.xml",
                Some((Kind::ValidationRule, ".x", None)),
            ),
            (
                "a//validationRules/x.validationRule-meta.xml",
                Some((Kind::ValidationRule, ".x", None)),
            ),
            (
                "permissionsets/PS/x.customPermission-meta.xml",
                Some((Kind::PermissionSet, "PS", part(PermissionSetPart::Unknown))),
            ),
            (
                "permissionsets/x.permissionset-meta.xml",
                Some((Kind::PermissionSet, "x", None)),
            ),
            (
                "a/permissionsets/PS/objectSettings/A.objectSettings-meta.xml",
                Some((Kind::PermissionSet, "PS", part(PermissionSetPart::Elements))),
            ),
            (
                "objects/A%2EB/fields/F.field-meta.xml",
                Some((Kind::CustomField, "A.B.F", None)),
            ),
            ("My_Flow-3.flow", Some((Kind::Flow, "My_Flow", None))),
            ("a/.flow-meta.xml", None),
        ];
        for (rel, expected) in cases {
            let expected = expected.map(|(k, n, p)| (k, n.to_string(), p));
            assert_eq!(named(rel), expected, "{rel}");
        }
    }

    #[test]
    fn classifies_source_and_mdapi_names() {
        let cases = [
            (
                "force-app/main/default/profiles/Admin.profile-meta.xml",
                Kind::Profile,
                "Admin",
            ),
            ("src/profiles/Custom%3A Marketing Profile.profile", Kind::Profile, "Custom: Marketing Profile"),
            (
                "force-app/main/default/objects/Account/validationRules/Phone_Required.validationRule-meta.xml",
                Kind::ValidationRule,
                "Account.Phone_Required",
            ),
            (
                "force-app/main/default/objects/Account/fields/Tier__c.field-meta.xml",
                Kind::CustomField,
                "Account.Tier__c",
            ),
            ("src/objects/Account.object", Kind::CustomObject, "Account"),
            ("src/flows/Pre_Lottery-5.flow", Kind::Flow, "Pre_Lottery"),
            ("f/flows/My-Flow-2.flow-meta.xml", Kind::Flow, "My-Flow-2"),
            ("f/externalClientApps/Intake.eca-meta.xml", Kind::ExternalClientApplication, "Intake"),
            ("f/extlClntAppOauthPolicies/Intake.ecaOauthPlcy-meta.xml", Kind::EcaOauthPolicies, "Intake"),
            ("f/profiles/0_Geschäftsführung.profile-meta.xml", Kind::Profile, "0_Geschäftsführung"),
        ];
        for (path, kind, name) in cases {
            assert_eq!(classify(path), Some((kind, name.to_string())), "{path}");
        }
    }

    #[test]
    fn ignores_other_files_and_misplaced_children() {
        for path in [
            "force-app/main/default/classes/Foo.cls-meta.xml",
            "sfdx-project.json",
            "src/package.xml",
            "objects/Account/Phone.validationRule-meta.xml",
            "README.md",
        ] {
            assert_eq!(classify(path), None, "{path}");
        }
    }

    #[test]
    fn decomposed_permission_sets_are_parts_of_their_set() {
        let part = |rel: &str| classify_file(rel).map(|c| (c.kind, c.name, c.part));
        let base = "force-app/main/default/permissionsets/Sync";
        assert_eq!(
            part(&format!("{base}/Sync.permissionset-meta.xml")),
            Some((Kind::PermissionSet, "Sync".into(), None))
        );
        assert_eq!(
            part(&format!("{base}/Sync.userPermission-meta.xml")),
            Some((
                Kind::PermissionSet,
                "Sync".into(),
                Some(PermissionSetPart::Elements)
            ))
        );
        assert_eq!(
            part(&format!(
                "{base}/objectSettings/Account.objectSettings-meta.xml"
            )),
            Some((
                Kind::PermissionSet,
                "Sync".into(),
                Some(PermissionSetPart::Elements)
            ))
        );
        // The suffix collides with a real custom permission: the folder decides.
        assert_eq!(
            part(&format!(
                "{base}/customPermissions/Bypass.customPermission-meta.xml"
            )),
            Some((
                Kind::PermissionSet,
                "Sync".into(),
                Some(PermissionSetPart::Entry {
                    element: "customPermissions",
                    root: "CustomPermission"
                })
            ))
        );
        assert_eq!(
            part(&format!("{base}/somethingNew/X.somethingNew-meta.xml")),
            Some((
                Kind::PermissionSet,
                "Sync".into(),
                Some(PermissionSetPart::Unknown)
            ))
        );
        assert_eq!(part(&format!("{base}/README.md")), None);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("Finance%2FAccounting"), "Finance/Accounting");
        assert_eq!(percent_decode("A %26 B"), "A & B");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("bad%zz"), "bad%zz");
    }
}
