//! Findings: what a policy reports, located in a file, with a stable fingerprint.

use crate::model::FileId;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "info" => Ok(Severity::Info),
            "warning" => Ok(Severity::Warning),
            "error" => Ok(Severity::Error),
            other => Err(format!(
                "unknown severity `{other}` (expected info, warning or error)"
            )),
        }
    }
}

/// A byte range in one file, plus the text that identifies the offending content for the
/// fingerprint (element path and key text, never line numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
    pub key: String,
}

#[derive(Debug, Clone)]
pub struct Related {
    pub loc: Loc,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub loc: Loc,
    pub help: Option<String>,
    pub related: Vec<Related>,
}

impl Finding {
    /// Stable across unrelated edits: rule + file + element path/key text.
    pub fn fingerprint(&self, file_rel: &str) -> String {
        let mut h = Fnv64::default();
        h.write(self.rule.as_bytes());
        h.write(&[0]);
        h.write(file_rel.as_bytes());
        h.write(&[0]);
        h.write(self.loc.key.as_bytes());
        format!("{:016x}", h.0)
    }
}

/// FNV-1a: tiny, fixed forever, so fingerprints never change between releases.
struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(key: &str, start: usize) -> Finding {
        Finding {
            rule: "r".into(),
            severity: Severity::Error,
            message: "m".into(),
            loc: Loc {
                file: 0,
                start,
                end: start + 1,
                key: key.into(),
            },
            help: None,
            related: vec![],
        }
    }

    #[test]
    fn fingerprint_ignores_position_but_not_content() {
        let a = finding("Flow/decisions/x", 10).fingerprint("f.xml");
        let b = finding("Flow/decisions/x", 500).fingerprint("f.xml");
        let c = finding("Flow/decisions/y", 10).fingerprint("f.xml");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, finding("Flow/decisions/x", 10).fingerprint("g.xml"));
    }

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Error > Severity::Warning && Severity::Warning > Severity::Info);
        assert_eq!("warning".parse::<Severity>(), Ok(Severity::Warning));
        assert!("fatal".parse::<Severity>().is_err());
    }
}
