//! One escaping layer between untrusted text (what files, names and scripts contain) and a
//! terminal or CI log. Control characters — C0 but newline, DEL, C1 — and the bidirectional
//! overrides that make code read differently than it runs are shown as `\u{..}` escapes, never
//! emitted.

use codespan_reporting::term::termcolor::{ColorSpec, WriteColor};
use std::io::{self, Write};

/// Does this character need escaping in output? (Newline is decided by the caller.)
fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn push_escaped(c: char, out: &mut String) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// Text for one output line: every control character escaped, newlines included, so text from a
/// file can never start a line of its own.
pub fn escape_line(s: &str) -> String {
    if !s.chars().any(|c| dangerous(c) || c == '\n') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if dangerous(c) || c == '\n' {
            push_escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

/// Text for a multi-line block that sfpolicy lays out itself (a rendered diagnostic): newlines
/// stay, a CR ending a line (CRLF files) is dropped, every other control character is escaped.
pub fn escape_block(s: &str) -> String {
    if !s.chars().any(dangerous) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        if dangerous(c) {
            push_escaped(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

/// A `WriteColor` that escapes what is written and passes colours through: the only escape
/// sequences reaching the terminal are the ones sfpolicy chose.
pub struct Escaper<W> {
    inner: W,
}

impl<W: WriteColor> Escaper<W> {
    pub fn new(inner: W) -> Self {
        Escaper { inner }
    }

    pub fn into_inner(self) -> W {
        self.inner
    }
}

impl<W: WriteColor> Write for Escaper<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.inner.write_all(escape_block(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: WriteColor> WriteColor for Escaper<W> {
    fn supports_color(&self) -> bool {
        self.inner.supports_color()
    }

    fn set_color(&mut self, spec: &ColorSpec) -> io::Result<()> {
        self.inner.set_color(spec)
    }

    fn reset(&mut self) -> io::Result<()> {
        self.inner.reset()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_raw_gets_through() {
        assert_eq!(escape_line("a\nb\u{1b}[2Jc\u{7}"), "a\\nb\\u{1b}[2Jc\\u{7}");
        assert_eq!(escape_line("plain é"), "plain é");
        assert_eq!(
            escape_block("x\r\ny\u{9b}z\u{202e}"),
            "x\ny\\u{9b}z\\u{202e}"
        );
        assert_eq!(escape_block("lone\rcr"), "lone\\rcr");
    }
}
