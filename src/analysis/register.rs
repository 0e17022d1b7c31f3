//! The integration register in the analysis: reading it into the run's sources, and locating its
//! entries, keys and values (anchors `integration[System]/key[value]`).

use super::{Analysis, LoadedRegister, RegisterError};
use crate::config::register::Register;
use crate::config::toml_tree::TomlError;
use crate::config::Config;
use crate::findings::{Anchor, Loc};
use crate::model::{Component, Org};
use crate::source::SourceFile;
use std::ops::Range;

impl Analysis {
    /// Read the register named by the config (default `integrations.toml` at the root), if any.
    pub fn load_register(
        org: &mut Org,
        config: &Config,
    ) -> Result<Option<LoadedRegister>, RegisterError> {
        let (rel, explicit) = match &config.register {
            Some((path, _)) => (path.clone(), true),
            None => (crate::config::register::FILE_NAME.to_string(), false),
        };
        let path = org.root.join(&rel);
        // Present but not a regular file: read below, and fail clearly.
        if std::fs::symlink_metadata(&path).is_err() {
            if explicit {
                return Err(RegisterError {
                    path: config
                        .source
                        .as_ref()
                        .map(|s| s.0.clone())
                        .unwrap_or_default(),
                    text: config
                        .source
                        .as_ref()
                        .map(|s| s.2.clone())
                        .unwrap_or_default(),
                    error: TomlError::new(
                        config
                            .register
                            .as_ref()
                            .map(|r| r.1.clone())
                            .unwrap_or(0..0),
                        format!("the register `{rel}` does not exist"),
                    ),
                });
            }
            return Ok(None);
        }
        let text = crate::source::read_to_string(&path).map_err(|e| RegisterError {
            path: path.clone(),
            text: String::new(),
            error: TomlError::new(0..0, format!("cannot read the register: {e}")),
        })?;
        let register = Register::parse(&text).map_err(|error| RegisterError {
            path: path.clone(),
            text: text.clone(),
            error,
        })?;
        let file = org.sources.add(SourceFile::from_text(
            crate::model::discover::relative(&org.root, &path),
            path,
            &text,
        ));
        Ok(Some(LoadedRegister { file, register }))
    }

    /// A location in the register file.
    pub fn register_loc(&self, span: &Range<usize>, anchor: Anchor) -> Option<Loc> {
        let r = self.register.as_ref()?;
        Some(Loc {
            file: r.file,
            start: span.start,
            end: span.end,
            anchor,
        })
    }

    /// A value of a register entry: `integration[Talkdesk]/permission-sets[Talkdesk_Integration]`.
    pub fn register_value_loc(
        &self,
        entry: usize,
        key: &str,
        value: &str,
        span: &Range<usize>,
    ) -> Option<Loc> {
        self.register_loc(span, self.entry_anchor(entry).child(key, Some(value)))
    }

    /// The anchor of a register entry: `integration[System]` (`#2` for a second entry of the
    /// same system).
    pub fn entry_anchor(&self, index: usize) -> Anchor {
        let Some(r) = &self.register else {
            return Anchor::default();
        };
        let entry = &r.register.entries[index];
        Anchor::table("integration", entry.system()).nth(entry.nth_of_system)
    }

    /// The `system` of the register entry whose `connected-app` names this component (by API
    /// name or label).
    pub fn register_system_of(&self, c: &Component) -> Option<String> {
        let r = self.register.as_ref()?;
        let label = c.label();
        r.register
            .entries
            .iter()
            .find(|e| {
                e.text("connected-app").is_some_and(|n| {
                    n.eq_ignore_ascii_case(&c.name) || n.eq_ignore_ascii_case(&label)
                })
            })
            .map(|e| e.system().to_string())
    }

    /// The system an app belongs to: the register entry naming it, else the app's own label.
    pub fn system_of_app(&self, app: &Component) -> String {
        self.register_system_of(app).unwrap_or_else(|| app.label())
    }
}
