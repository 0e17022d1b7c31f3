//! `check --cache DIR`: an opt-in cache of whole runs, keyed by the content of everything a run
//! reads, so a repeat run on an unchanged project answers without parsing or running a policy.
//!
//! Why a whole-run cache and not "load less": every built-in rule is cross-file (effective
//! permissions through groups, register drift, run-as users), so the files a change can affect
//! are the whole project; loading less would need a dependency index that is itself a cache.
//! A whole-run key is simple to get right: the key covers every input, so a hit can only replay
//! what a cold run printed. What a hit still costs is the walk and one read and hash of every
//! file (measured in `scripts/bench.sh`).
//!
//! The key: the binary (version, size, modification time), the built-in policies, the command
//! line options that shape the output, the current folder, today's date (waivers expire), the
//! config, register, baseline and custom policy files, the git work tree, the changed-file lists
//! `--staged` and `--changed-since` read, and every discovered file's path and content hash
//! (xxh3-128). A run with a policy error, a baseline to write, a policy that printed (`print`,
//! `debug`), or inputs that changed while it ran (the key is computed again) is never stored.
//! A key that cannot be computed (a broken config, git failing) means no cache: the run then
//! fails exactly as it would without one.
//!
//! The cache trusts its folder: whoever can write to it decides what a hit prints, so never
//! share one folder between jobs of different trust (a CI cache shared with forks' pull
//! requests).

use crate::diag::ToolError;
use crate::model::discover;
use crate::pipeline::{self, Options};
use serde::{Deserialize, Serialize};
use std::hash::Hasher;
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::{xxh3_128, Xxh3};

/// Entries kept; the least recently written go first.
pub const MAX_ENTRIES: usize = 32;

const FORMAT: &str = "sfpolicy-cache-1";

/// What a run printed: replayed as is on a hit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Replay {
    /// Notes on standard error before the report (warnings).
    pub before: Vec<String>,
    /// The report (standard output, or the `--output` file).
    pub text: String,
    /// Notes on standard error after the report.
    pub after: Vec<String>,
    pub code: u8,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    format: String,
    key: String,
    replay: Replay,
}

/// A hasher for the key: each piece is framed with its length, so pieces cannot run together.
struct KeyHasher(Xxh3);

impl KeyHasher {
    fn piece(&mut self, bytes: &[u8]) {
        self.0.write_u64(bytes.len() as u64);
        self.0.write(bytes);
    }

    fn text(&mut self, s: &str) {
        self.piece(s.as_bytes());
    }

    /// A file's content (or that it is absent or unreadable).
    fn file(&mut self, path: &Path) {
        match crate::source::read(path) {
            Ok(bytes) => {
                self.text("file");
                self.piece(&xxh3_128(&bytes).to_le_bytes());
            }
            Err(e) => {
                self.text("no file");
                self.text(&format!("{:?}", e.kind()));
            }
        }
    }
}

/// The key of a run: `None` when the run cannot be cached (it writes a baseline).
pub fn key(options: &Options, shape: &str) -> Result<Option<String>, ToolError> {
    if options.write_baseline.is_some() {
        return Ok(None);
    }
    let mut h = KeyHasher(Xxh3::new());
    h.text(FORMAT);
    h.text(env!("CARGO_PKG_VERSION"));
    if let Ok(exe) = std::env::current_exe() {
        if let Ok(m) = std::fs::metadata(&exe) {
            h.text(&format!(
                "{} {} {:?}",
                exe.display(),
                m.len(),
                m.modified().ok()
            ));
        }
    }
    for (origin, source) in crate::policy::BUILTIN_RULES {
        h.text(origin);
        h.text(source);
    }
    h.text(shape);
    h.text(&format!("{:?}", std::env::current_dir().ok()));
    h.text(&crate::config::today());

    let root = pipeline::project_root(options)?;
    h.text(&root.to_string_lossy());
    // Read by discovery: their problems are reported with their text and positions.
    for name in ["sfdx-project.json", ".forceignore"] {
        h.file(&root.join(name));
    }
    h.text(&format!("{:?}", crate::source::paths::git_work_tree(&root)));
    for p in &options.paths {
        h.text(&format!("{:?}", std::fs::canonicalize(p).ok()));
    }
    let config_path = options
        .config
        .clone()
        .unwrap_or_else(|| root.join(crate::config::FILE_NAME));
    // Its path too: findings in the config (waivers) name it.
    h.text(&config_path.to_string_lossy());
    h.file(&config_path);
    // A config that does not load fails the run the same way again: no key needed.
    let config = crate::config::Config::load(&root, options.config.as_deref())?;
    let register = config
        .register
        .as_ref()
        .map_or(crate::config::register::FILE_NAME, |(p, _)| p.as_str());
    h.file(&root.join(register));
    if let Some(b) = &options.baseline {
        h.file(b);
    }
    let dirs = pipeline::policy_dirs(&options.rules_dirs, &config);
    for dir in &dirs {
        h.text(&dir.to_string_lossy());
        let mut files: Vec<PathBuf> = walk_files(dir);
        files.sort();
        for f in files {
            h.text(&f.to_string_lossy());
            h.file(&f);
        }
    }
    if options.staged {
        for f in crate::source::git::staged(&root).map_err(ToolError::new)? {
            h.text(&f);
        }
    }
    if let Some(rev) = &options.changed_since {
        for f in crate::source::git::changed_since(&root, rev).map_err(ToolError::new)? {
            h.text(&f);
        }
    }

    let exclude = dirs
        .iter()
        .filter_map(|d| std::fs::canonicalize(d.join("tests")).ok())
        .collect();
    let project = discover::discover(
        &root,
        &discover::Options {
            no_forceignore: options.no_forceignore,
            exclude,
        },
    );
    h.text(&project.namespace);
    for w in &project.warnings {
        h.text(w);
    }
    if let Some(p) = &project.invalid_project_file {
        h.text(&p.rel);
        h.text(&p.message);
    }
    for u in &project.unread {
        h.text(&u.rel);
        h.text(&u.reason);
    }
    // Content hashes in parallel (the reads dominate), folded in discovery order.
    use rayon::prelude::*;
    let hashes: Vec<Option<u128>> = project
        .files
        .par_iter()
        .map(|f| crate::source::read(&f.path).ok().map(|b| xxh3_128(&b)))
        .collect();
    for (f, hash) in project.files.iter().zip(hashes) {
        h.text(&f.rel);
        match hash {
            Some(x) => h.piece(&x.to_le_bytes()),
            None => h.text("unreadable"),
        }
    }
    Ok(Some(format!("{:032x}", h.0.digest128())))
}

/// Every file under `dir`, following symbolic links as the policy loader does (a linked `lib`
/// folder is read, so it is hashed), each folder once.
fn walk_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if !std::fs::canonicalize(&d).is_ok_and(|c| seen.insert(c)) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            match std::fs::metadata(&p) {
                Ok(m) if m.is_dir() => stack.push(p),
                _ => out.push(p),
            }
        }
    }
    out
}

fn entry_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

/// The stored replay for `key`, if any (an unreadable or foreign entry is a miss).
pub fn load(dir: &Path, key: &str) -> Option<Replay> {
    let path = entry_path(dir, key);
    let text = std::fs::read_to_string(&path).ok()?;
    let entry: Entry = serde_json::from_str(&text).ok()?;
    if entry.format != FORMAT || entry.key != key {
        return None;
    }
    // Recently used entries are the last evicted.
    let _ = std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()));
    Some(entry.replay)
}

/// Store a replay: written to a temporary file and renamed, so a reader never sees half an
/// entry; then the oldest entries beyond `MAX_ENTRIES` are removed. Failing to store is only a
/// warning: the run's result stands.
pub fn store(dir: &Path, key: &str, replay: &Replay) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let entry = Entry {
        format: FORMAT.to_string(),
        key: key.to_string(),
        replay: replay.clone(),
    };
    let text = serde_json::to_string(&entry).map_err(|e| e.to_string())?;
    let tmp = dir.join(format!(".{key}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, entry_path(dir, key)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", dir.display())
    })?;
    let mut entries: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.len() == 37 && name.ends_with(".json")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    if entries.len() > MAX_ENTRIES {
        entries.sort();
        for (_, p) in &entries[..entries.len() - MAX_ENTRIES] {
            let _ = std::fs::remove_file(p);
        }
    }
    Ok(())
}
