//! Tool errors: the run cannot give a trustworthy answer (exit 2). A bad config key, a broken
//! policy, an unreadable baseline. Located errors name the file, line and column and quote the
//! line, like a finding.

use crate::escape::escape_line;
use crate::source::{CodespanFiles, PathStyle, SourceDb, SourceFile};
use std::ops::Range;
use std::path::Path;

/// Where a tool error points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorLocation {
    /// As shown to the user: relative to the current directory when it is under it.
    pub path: String,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone)]
pub struct ToolError {
    /// The message alone, on one line (machine reports carry it).
    pub message: String,
    pub location: Option<ErrorLocation>,
    /// What a person reads: the message, and for located errors the quoted line.
    pub rendered: String,
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.rendered)
    }
}

impl std::error::Error for ToolError {}

impl ToolError {
    pub fn new(message: impl Into<String>) -> ToolError {
        let message = message.into();
        ToolError {
            rendered: escape_line(&message),
            message,
            location: None,
        }
    }

    /// An error at a known line and column of a file that is not at hand (a policy script).
    pub fn at(path: &str, line: usize, column: usize, message: impl Into<String>) -> ToolError {
        let message = message.into();
        ToolError {
            rendered: format!(
                "{}:{line}:{column}: {}",
                escape_line(path),
                escape_line(&message)
            ),
            message,
            location: Some(ErrorLocation {
                path: path.to_string(),
                line,
                column,
            }),
        }
    }

    /// An error located in a text file, rendered like a finding (file, line, column, snippet).
    pub fn located(path: &Path, text: &str, span: Range<usize>, message: &str) -> ToolError {
        use codespan_reporting::diagnostic::{Diagnostic, Label};
        use codespan_reporting::term::{self, termcolor::Buffer};
        // Relative to where the user stands, like the paths they typed.
        let shown = std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.to_path_buf());
        let name = crate::source::paths::slashes(&shown);
        let mut db = SourceDb::default();
        let file = db.add(SourceFile::from_text(name.clone(), path, text));
        let end = span.end.clamp(span.start.min(text.len()), text.len());
        let start = span.start.min(end);
        let (line, column) = db.get(file).position(start);
        // The message may quote a key or value of the file: one line, control characters shown.
        let diagnostic = Diagnostic::error()
            .with_message(escape_line(message))
            .with_labels(vec![Label::primary(file, start..end)]);
        let mut buffer = Buffer::no_color();
        let files = CodespanFiles {
            texts: None,
            db: &db,
            style: PathStyle::Project,
        };
        let _ =
            term::emit_to_write_style(&mut buffer, &term::Config::default(), &files, &diagnostic);
        let rendered = String::from_utf8_lossy(buffer.as_slice())
            .trim_end()
            .to_string();
        // main prints "error: " itself; the rendering starts with it too.
        let rendered = match rendered.strip_prefix("error: ") {
            Some(rest) => rest.to_string(),
            None => format!(
                "{}:{line}:{column}: {}",
                escape_line(&name),
                escape_line(message)
            ),
        };
        ToolError {
            message: message.to_string(),
            location: Some(ErrorLocation {
                path: name,
                line,
                column,
            }),
            rendered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_errors_quote_the_line() {
        let e = ToolError::located(
            Path::new("/nowhere/sfpolicy.toml"),
            "[rules]\nx = \"loud\"\n",
            12..18,
            "bad setting",
        );
        assert_eq!(
            e.location,
            Some(ErrorLocation {
                path: "/nowhere/sfpolicy.toml".into(),
                line: 2,
                column: 5
            })
        );
        assert!(e.rendered.contains("x = \"loud\""), "{}", e.rendered);
        assert!(e.rendered.starts_with("bad setting"), "{}", e.rendered);
    }
}
