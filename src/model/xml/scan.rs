//! The fast path of the XML reader: a scanner for the XML that metadata files hold.
//!
//! quick-xml's event reader is general: it checks each event's bytes as UTF-8 (the whole file was
//! already checked), wraps each tag in an event value and keeps its own stack of open names. On
//! metadata (eight million small elements over the corpus) that costs more than building the
//! document. This scanner reads the common shape directly and feeds the same `Sink` calls at
//! the same offsets: element names of ASCII letters, digits and `_.:-`, attributes (checked by the
//! same function as quick-xml's tags), text, the predefined entities and character references,
//! CDATA, comments and the XML declaration.
//!
//! Anything else it declines: a DOCTYPE, a name with any other byte, an end tag with spaces,
//! and every malformed file. The parser then starts over with quick-xml, which gives the
//! document or the error. So an input gives the same document (or the same error) either way;
//! the unit tests and the `xml_model` fuzz target compare the two paths on every input.
//!
//! Where quick-xml ends a markup is copied exactly: a tag ends at the first `>` outside quotes, a
//! comment at the first `-->` after `<!--`, a CDATA section at the first `]]>`, a processing
//! instruction at the first `?>` after `<` (so `<?>` is one, and malformed).

use super::{check_attributes, Sink};
use memchr::memmem;

/// The scanner met something it leaves to quick-xml.
#[derive(Debug)]
pub(super) struct Declined;

impl From<super::XmlError> for Declined {
    fn from(_: super::XmlError) -> Declined {
        Declined
    }
}

fn name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-')
}

/// Where the tag whose attributes start at `from` ends: the first `>` outside quotes.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote = None;
    for i in memchr::memchr3_iter(b'>', b'\'', b'"', &bytes[from..]) {
        let at = from + i;
        match (quote, bytes[at]) {
            (None, b'>') => return Some(at),
            (None, q) => quote = Some(q),
            (Some(q), b) if q == b => quote = None,
            _ => {}
        }
    }
    None
}

/// Feed `sink` the events of `source` (the file after its BOM, which starts at `base`).
/// `Err(Declined)` leaves `sink` part-built: the caller starts over.
pub(super) fn scan<'s>(
    source: &'s str,
    base: usize,
    sink: &mut impl Sink<'s>,
) -> Result<(), Declined> {
    scan_from(source, base, sink, false)
}

/// Feed `sink` the events of a window of a file that parsed whole (`source`, from offset `base`
/// of the file), starting at a start tag: an end tag of an element opened before the window is
/// a `close` the sink ignores, its name unchecked. The window may end anywhere after what the
/// caller needs, so the answer is what `sink` recorded, not the result.
pub(super) fn scan_window<'s>(
    source: &'s str,
    base: usize,
    sink: &mut impl Sink<'s>,
) -> Result<(), Declined> {
    scan_from(source, base, sink, true)
}

fn scan_from<'s>(
    source: &'s str,
    base: usize,
    sink: &mut impl Sink<'s>,
    window: bool,
) -> Result<(), Declined> {
    let bytes = source.as_bytes();
    // The open elements' qualified names, as ranges of `bytes`, to match their end tags.
    let mut open: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0;
    loop {
        let next = memchr::memchr2(b'<', b'&', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        if next > pos {
            sink.text_event(&source[pos..next], base + pos)?;
        }
        if next == bytes.len() {
            break;
        }
        pos = next;
        if bytes[pos] == b'&' {
            let name_start = pos + 1;
            let i = memchr::memchr3(b';', b'&', b'<', &bytes[name_start..]).ok_or(Declined)?;
            if bytes[name_start + i] != b';' {
                return Err(Declined);
            }
            sink.reference(&source[name_start..name_start + i], base + pos)?;
            pos = name_start + i + 1;
            continue;
        }
        match bytes.get(pos + 1) {
            Some(b'/') if window && open.is_empty() => {
                let name_end = bytes[pos + 2..]
                    .iter()
                    .position(|&b| !name_byte(b))
                    .map_or(bytes.len(), |i| pos + 2 + i);
                if bytes.get(name_end) != Some(&b'>') {
                    return Err(Declined);
                }
                pos = name_end + 1;
                sink.close(base + pos);
            }
            Some(b'/') => {
                let (start, end) = open.pop().ok_or(Declined)?;
                let name_end = pos + 2 + (end - start);
                if !bytes
                    .get(pos + 2..name_end)
                    .is_some_and(|name| super::same_bytes(name, &bytes[start..end]))
                    || bytes.get(name_end) != Some(&b'>')
                {
                    return Err(Declined);
                }
                pos = name_end + 1;
                sink.close(base + pos);
            }
            Some(b'!') => {
                let rest = &bytes[pos..];
                if rest.starts_with(b"<!--") {
                    let i = memmem::find(&rest[4..], b"-->").ok_or(Declined)?;
                    pos += 4 + i + 3;
                } else if rest.starts_with(b"<![CDATA[") {
                    let i = memmem::find(&rest[9..], b"]]>").ok_or(Declined)?;
                    sink.cdata(&source[pos + 9..pos + 9 + i], base + pos);
                    pos += 9 + i + 3;
                } else {
                    return Err(Declined);
                }
            }
            Some(b'?') => {
                // The `?` of `<?` may end it: `<?>` is a (malformed) instruction.
                let i = memmem::find(&bytes[pos + 1..], b"?>").ok_or(Declined)?;
                let end = pos + 1 + i + 2;
                if end - pos <= 3 {
                    return Err(Declined);
                }
                pos = end;
            }
            _ => {
                let name_start = pos + 1;
                let name_end = bytes[name_start..]
                    .iter()
                    .position(|&b| !name_byte(b))
                    .map_or(bytes.len(), |i| name_start + i);
                if name_end == name_start {
                    return Err(Declined);
                }
                let name = &source[name_start..name_end];
                let before = base + pos;
                match bytes.get(name_end) {
                    Some(b'>') => {
                        sink.start_tag(name, before)?;
                        open.push((name_start, name_end));
                        pos = name_end + 1;
                    }
                    Some(b'/') if bytes.get(name_end + 1) == Some(&b'>') => {
                        pos = name_end + 2;
                        sink.empty_tag(name, before, base + pos)?;
                    }
                    Some(&b) if quick_xml::utils::is_whitespace(b) => {
                        let gt = tag_end(bytes, name_end).ok_or(Declined)?;
                        let empty = bytes[gt - 1] == b'/';
                        let content_end = if empty { gt - 1 } else { gt };
                        let tag = quick_xml::events::BytesStart::from_content(
                            &source[name_start..content_end],
                            name_end - name_start,
                        );
                        check_attributes(&tag, before)?;
                        pos = gt + 1;
                        if empty {
                            sink.empty_tag(name, before, base + pos)?;
                        } else {
                            sink.start_tag(name, before)?;
                            open.push((name_start, name_end));
                        }
                    }
                    _ => return Err(Declined),
                }
            }
        }
    }
    if open.is_empty() && sink.has_root() {
        Ok(())
    } else {
        Err(Declined)
    }
}
