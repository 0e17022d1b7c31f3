//! Finding identity: anchors and fingerprints, built here and nowhere else.
//!
//! An anchor names the offending thing structurally, with names rather than positions:
//! `ValidationRule[Phone_Required]/errorConditionFormula/$User.Username`,
//! `PermissionSet[Talkdesk_Integration]/fieldPermissions[Lead.Email]`,
//! `integration[Marketo]/objects about Campaign`. Callers hand this module structure (a root, a
//! tag and its key, a piece of text, a member through which a grant arrives); only this module
//! writes the text. The fingerprint is a hash of rule, project-relative file and anchor, so it
//! survives reindenting, added lines and reordered siblings, and changes when the offending
//! element does.

use std::fmt;

/// A structural name for what a finding points at. Readable; shown in JSON and baselines.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Anchor(String);

/// Keys are free text: escape the characters that give an anchor its structure, and fold
/// whitespace so reindenting a value does not change it.
fn escape_key(key: &str, out: &mut String) {
    let mut space = false;
    for c in key.trim().chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if matches!(c, '[' | ']' | '\\' | '/' | '#') {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Longest key kept verbatim; longer ones keep a readable head and a hash of the whole.
const MAX_KEY: usize = 80;

fn short_key(key: &str) -> String {
    let mut escaped = String::with_capacity(key.len().min(MAX_KEY + 20));
    escape_key(key, &mut escaped);
    if escaped.len() <= MAX_KEY {
        return escaped;
    }
    let cut = crate::source::floor_char_boundary(&escaped, 60);
    format!(
        "{}…{:08x}",
        &escaped[..cut],
        fnv64(escaped.as_bytes()) as u32
    )
}

impl Anchor {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The root of a metadata document: `Kind[Name]`.
    pub fn root(kind: &str, name: &str) -> Anchor {
        let mut s = String::from(kind);
        s.push('[');
        escape_key(name, &mut s);
        s.push(']');
        Anchor(s)
    }

    /// A whole file, for what concerns the file itself (`invalid-metadata`).
    pub fn whole_file() -> Anchor {
        Anchor("(file)".into())
    }

    /// A named part of a TOML file: `integration[Talkdesk]`, `waivers[...]`.
    pub fn table(name: &str, key: &str) -> Anchor {
        Anchor::root(name, key)
    }

    /// A child element: `/tag` or `/tag[key]`.
    pub fn child(&self, tag: &str, key: Option<&str>) -> Anchor {
        let mut s = self.0.clone();
        s.push('/');
        s.push_str(tag);
        if let Some(key) = key {
            s.push('[');
            s.push_str(&short_key(key));
            s.push(']');
        }
        Anchor(s)
    }

    /// The n-th (1-based) of several identical siblings: `#2` from the second on.
    pub fn nth(mut self, n: usize) -> Anchor {
        if n > 1 {
            self.0.push('#');
            self.0.push_str(&n.to_string());
        }
        self
    }

    /// A piece of an element's text (a formula reference, an item of a list), with its
    /// occurrence (1-based) among identical pieces of that text.
    pub fn text(&self, piece: &str, occurrence: usize) -> Anchor {
        let mut s = self.0.clone();
        s.push('/');
        s.push_str(&short_key(piece));
        Anchor(s).nth(occurrence)
    }

    /// What arrives through another element: a grant a permission set group receives from a
    /// member (`…/permissionSets[Member] -> PermissionSet[Member]/userPermissions[X]`).
    pub fn through(&self, origin: &Anchor) -> Anchor {
        Anchor(format!("{} -> {}", self.0, origin.0))
    }

    /// One of several findings at the same place, told apart by their subject:
    /// `integration[Marketo]/objects about Campaign`.
    pub fn about(&self, subject: &str) -> Anchor {
        let mut s = self.0.clone();
        s.push_str(" about ");
        escape_key(subject, &mut s);
        Anchor(s)
    }

    /// As [`Anchor::about`], with another anchor as the subject.
    pub fn about_anchor(&self, subject: &Anchor) -> Anchor {
        Anchor(format!("{} about {}", self.0, subject.0))
    }
}

impl fmt::Display for Anchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The fingerprint of a finding: stable across unrelated edits, unique in a run.
pub fn fingerprint(rule: &str, file_rel: &str, anchor: &Anchor) -> String {
    let mut bytes = Vec::with_capacity(rule.len() + file_rel.len() + anchor.0.len() + 2);
    bytes.extend_from_slice(rule.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(file_rel.as_bytes());
    bytes.push(0);
    bytes.extend_from_slice(anchor.0.as_bytes());
    format!("{:016x}", fnv64(&bytes))
}

/// FNV-1a: tiny and fixed forever, so fingerprints never change between releases.
fn fnv64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_read_as_paths_of_names() {
        let vr = Anchor::root("ValidationRule", "Phone_Required")
            .child("errorConditionFormula", None)
            .text("$User.Username", 1);
        assert_eq!(
            vr.as_str(),
            "ValidationRule[Phone_Required]/errorConditionFormula/$User.Username"
        );
        assert_eq!(
            Anchor::root("Flow", "F")
                .child("scopes", Some("Full"))
                .nth(2)
                .as_str(),
            "Flow[F]/scopes[Full]#2"
        );
        let group = Anchor::root("PermissionSetGroup", "G").child("permissionSets", Some("M"));
        let grant =
            Anchor::root("PermissionSet", "M").child("userPermissions", Some("ModifyAllData"));
        assert_eq!(
            group.through(&grant).as_str(),
            "PermissionSetGroup[G]/permissionSets[M] -> PermissionSet[M]/userPermissions[ModifyAllData]"
        );
        assert_eq!(
            Anchor::table("integration", "Marketo")
                .child("objects", None)
                .about("Campaign")
                .as_str(),
            "integration[Marketo]/objects about Campaign"
        );
    }

    #[test]
    fn keys_are_escaped_folded_and_bounded() {
        let a = Anchor::root("R", "x").child("k", Some("a]b/c\n   d"));
        assert_eq!(a.as_str(), "R[x]/k[a\\]b\\/c d]");
        let long = "x".repeat(500);
        let b = Anchor::root("R", "x").child("k", Some(&long));
        assert!(b.as_str().len() < 100, "{}", b);
        let other = format!("{}y", "x".repeat(499));
        assert_ne!(b, Anchor::root("R", "x").child("k", Some(&other)));
    }

    #[test]
    fn fingerprints_depend_on_rule_file_and_anchor_only() {
        let a = Anchor::root("Flow", "F").child("decisions", Some("D1"));
        let b = Anchor::root("Flow", "F").child("decisions", Some("D2"));
        let f = fingerprint("r", "f.xml", &a);
        assert_eq!(f, fingerprint("r", "f.xml", &a.clone()));
        assert_ne!(f, fingerprint("r", "f.xml", &b));
        assert_ne!(f, fingerprint("r", "g.xml", &a));
        assert_ne!(f, fingerprint("s", "f.xml", &a));
        assert_eq!(f.len(), 16);
    }
}
