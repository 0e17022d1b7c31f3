//! One escaping layer between untrusted text (what files, names and scripts contain) and a
//! terminal or CI log. Control characters — C0 but newline, DEL, C1 — and the bidirectional
//! overrides that make code read differently than it runs are shown as `\u{..}` escapes, never
//! emitted.

use codespan_reporting::term::termcolor::{ColorSpec, WriteColor};
use std::io::{self, Write};

/// Does this character need escaping in output? (Newline is decided by the caller.) Control
/// characters but tab, and the invisible direction overrides.
pub fn dangerous(c: char) -> bool {
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

/// Pretty JSON in which no string carries a raw control character either: JSON itself escapes
/// C0 controls, and this also escapes DEL, C1 controls and bidi overrides (`\u009b` is a
/// terminal's CSI), so a report `cat` to a terminal or a CI log is as safe as the human one.
pub fn json_pretty<T: serde::Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(4096);
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, SafeJson(PrettyFormatter::new()));
    value
        .serialize(&mut serializer)
        .expect("JSON values always serialize");
    let mut text = String::from_utf8(out).expect("serde_json writes UTF-8");
    text.push('\n');
    text
}

use serde_json::ser::{Formatter, PrettyFormatter};

/// `PrettyFormatter` with the extra escapes of [`json_pretty`].
struct SafeJson(PrettyFormatter<'static>);

impl Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut rest = fragment;
        while let Some((i, c)) = rest.char_indices().find(|&(_, c)| dangerous(c)) {
            writer.write_all(&rest.as_bytes()[..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            rest = &rest[i + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
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

    #[test]
    fn json_carries_no_raw_control_character() {
        let value = serde_json::json!({"m": "a\u{7f}b\u{9b}c\u{202e}d\u{1b}e\u{1F600}é", "list": [1, {"k": "v"}]});
        let text = json_pretty(&value);
        assert!(
            text.contains(r#""a\u007fb\u009bc\u202ed\u001be😀é""#),
            "{text}"
        );
        assert!(!text.chars().any(dangerous));
        // Still JSON, still the same value, still pretty.
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
        assert_eq!(
            text,
            serde_json::to_string_pretty(&serde_json::json!({"m": "x", "list": [1, {"k": "v"}]}))
                .unwrap()
                .replace("\"x\"", r#""a\u007fb\u009bc\u202ed\u001be😀é""#)
                + "\n"
        );
    }
}
