//! Streaming XML → compact arena document.
//!
//! Every element keeps its byte span in the original file, so any finding maps back to a line and
//! column. The builder is a loop over quick-xml events with an explicit stack: nesting depth costs
//! heap, never call stack. DTD entities are never expanded; only the five predefined entities and
//! character references are decoded, and an offset map records where decoded text came from so a
//! position inside a formula maps back to the raw bytes.

use crate::findings::Anchor;
use quick_xml::events::Event;
use quick_xml::Reader;
use rustc_hash::FxHashMap;
use std::fmt;

pub type NodeId = u32;
const NONE: NodeId = u32::MAX;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Clone)]
struct Node {
    name: u32,
    parent: NodeId,
    first_child: NodeId,
    next_sibling: NodeId,
    /// `<` of the start tag .. just after the `>` of the end tag (or of `<x/>`).
    start: u32,
    end: u32,
    /// Decoded text of a leaf element: range in `Document::text`.
    text_start: u32,
    text_len: u32,
    /// Byte offset in the file where the text content starts.
    text_raw: u32,
}

/// A parsed metadata file. Holds no copy of the source: spans point into the file on disk.
#[derive(Debug, Default)]
pub struct Document {
    nodes: Vec<Node>,
    names: Vec<Box<str>>,
    text: String,
    /// Discontinuities between decoded and raw text offsets (entities, CDATA): (decoded, raw).
    breaks: Vec<(u32, u32)>,
    /// API name of the component the file defines (the root's key in anchors).
    root_name: Box<str>,
    /// Element name → id, so lookups compare integers (and a name the file lacks costs nothing).
    name_ids: FxHashMap<Box<str>, u32>,
    /// The root's first child of each name: a profile's root has tens of thousands of children,
    /// and its singletons (`userLicense`, `custom`, `label`) are looked up often.
    root_first: FxHashMap<u32, NodeId>,
}

/// A malformed file: message and byte offset of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub message: String,
    pub offset: usize,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

struct Open {
    node: NodeId,
    last_child: NodeId,
    /// Where this element's own text begins in `Document::text` / `breaks`. Text seen before a
    /// child element is indentation (no mixed content in metadata) and is cut back to the mark.
    text_mark: u32,
    breaks_mark: u32,
    has_text: bool,
}

struct Builder {
    doc: Document,
    names: FxHashMap<Box<str>, u32>,
    stack: Vec<Open>,
    base: usize,
}

impl Builder {
    fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let id = self.doc.names.len() as u32;
        self.doc.names.push(name.into());
        self.names.insert(name.into(), id);
        id
    }

    fn open(&mut self, name: &str, start: usize) -> Result<NodeId, XmlError> {
        if name.is_empty() {
            return Err(XmlError {
                message: "malformed XML: `<>` is not an element (in a formula, write `&lt;&gt;` for not-equal)".into(),
                offset: start,
            });
        }
        if self.stack.is_empty() && !self.doc.nodes.is_empty() {
            return Err(XmlError {
                message: "a second root element: a metadata file has exactly one".into(),
                offset: start,
            });
        }
        let id = self.doc.nodes.len() as NodeId;
        let name = self.intern(name);
        let parent = self.stack.last().map_or(NONE, |open| open.node);
        if parent == 0 && self.stack.len() == 1 {
            self.doc.root_first.entry(name).or_insert(id);
        }
        self.doc.nodes.push(Node {
            name,
            parent,
            first_child: NONE,
            next_sibling: NONE,
            start: start as u32,
            end: start as u32,
            text_start: 0,
            text_len: 0,
            text_raw: start as u32,
        });
        if let Some(open) = self.stack.last_mut() {
            self.doc.text.truncate(open.text_mark as usize);
            self.doc.breaks.truncate(open.breaks_mark as usize);
            open.has_text = false;
            if open.last_child == NONE {
                self.doc.nodes[open.node as usize].first_child = id;
            } else {
                self.doc.nodes[open.last_child as usize].next_sibling = id;
            }
            open.last_child = id;
        }
        Ok(id)
    }

    fn push_open(&mut self, node: NodeId) {
        self.stack.push(Open {
            node,
            last_child: NONE,
            text_mark: self.doc.text.len() as u32,
            breaks_mark: self.doc.breaks.len() as u32,
            has_text: false,
        });
    }

    fn close(&mut self, end: usize) {
        let Some(open) = self.stack.pop() else { return };
        let node = &mut self.doc.nodes[open.node as usize];
        node.end = end as u32;
        if open.last_child == NONE {
            node.text_start = open.text_mark;
            node.text_len = self.doc.text.len() as u32 - open.text_mark;
        } else {
            self.doc.text.truncate(open.text_mark as usize);
            self.doc.breaks.truncate(open.breaks_mark as usize);
        }
        if let Some(parent) = self.stack.last_mut() {
            parent.text_mark = self.doc.text.len() as u32;
            parent.breaks_mark = self.doc.breaks.len() as u32;
        }
    }

    /// Append decoded text that came from raw offset `raw`.
    fn text(&mut self, piece: &str, raw: usize) {
        let Some(open) = self.stack.last_mut() else {
            return;
        };
        if !open.has_text {
            // Indentation before the first child or the end tag: never a value worth a copy.
            if piece.bytes().all(|b| b.is_ascii_whitespace()) {
                return;
            }
            open.has_text = true;
            self.doc.nodes[open.node as usize].text_raw = raw as u32;
        } else {
            let decoded = self.doc.text.len();
            let node = &self.doc.nodes[open.node as usize];
            let predicted = match self.doc.breaks.last() {
                Some(&(d, r)) if self.doc.breaks.len() > open.breaks_mark as usize => {
                    r as usize + (decoded - d as usize)
                }
                _ => node.text_raw as usize + (decoded - open.text_mark as usize),
            };
            if predicted != raw {
                self.doc.breaks.push((decoded as u32, raw as u32));
            }
        }
        self.doc.text.push_str(piece);
    }
}

fn err(message: impl Into<String>, offset: usize) -> XmlError {
    XmlError {
        message: message.into(),
        offset,
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

fn local_name(qualified: &str) -> &str {
    match qualified.bytes().rposition(|b| b == b':') {
        Some(i) => &qualified[i + 1..],
        None => qualified,
    }
}

impl Document {
    /// Parse a whole file. Never panics; a malformed file is an `XmlError` with the offset of the
    /// problem in the original bytes.
    pub fn parse(bytes: &[u8]) -> Result<Document, XmlError> {
        if bytes.len() > u32::MAX as usize - 1 {
            return Err(err("file is larger than 4 GiB", 0));
        }
        // quick-xml drops a BOM without counting it; strip it here and keep offsets true.
        let base = if bytes.starts_with(UTF8_BOM) { 3 } else { 0 };
        let source = std::str::from_utf8(&bytes[base..]).map_err(|e| {
            err(
                "file is not valid UTF-8 (Salesforce metadata is UTF-8)",
                base + e.valid_up_to(),
            )
        })?;
        if let Some(at) = first_forbidden_byte(&bytes[base..]) {
            return Err(err(
                format!(
                    "the control character U+{:04X} is not allowed in XML 1.0 (a NUL or control byte in a metadata file)",
                    bytes[base + at]
                ),
                base + at,
            ));
        }
        let mut builder = Builder {
            // Roughly one element per 40 bytes and a quarter of the bytes as text in metadata
            // files: sizing up front saves the copies of a growing Vec.
            doc: Document {
                nodes: Vec::with_capacity(bytes.len() / 40 + 8),
                text: String::with_capacity(bytes.len() / 4),
                ..Document::default()
            },
            names: FxHashMap::default(),
            stack: Vec::new(),
            base,
        };
        let mut reader = Reader::from_str(source);
        reader.config_mut().check_end_names = true;
        loop {
            let before = reader.buffer_position() as usize + base;
            let event = reader.read_event().map_err(|e| {
                err(
                    xml_error_message(&e),
                    reader.error_position() as usize + base,
                )
            })?;
            let after = reader.buffer_position() as usize + base;
            match event {
                Event::Start(tag) => {
                    check_attributes(&tag, before)?;
                    let node = builder.open(local_name(tag.name().as_ref()), before)?;
                    builder.push_open(node);
                }
                Event::Empty(tag) => {
                    check_attributes(&tag, before)?;
                    let node = builder.open(local_name(tag.name().as_ref()), before)?;
                    builder.doc.nodes[node as usize].end = after as u32;
                }
                Event::End(_) => builder.close(after),
                Event::Text(text) => {
                    if builder.stack.is_empty() {
                        if !text.trim().is_empty() {
                            let lead = text.len() - text.trim_start().len();
                            return Err(err("text outside the root element", before + lead));
                        }
                    } else {
                        builder.text(&text, before);
                    }
                }
                Event::CData(cdata) => {
                    let content = cdata.into_inner();
                    builder.text(&content, before + "<![CDATA[".len());
                }
                Event::GeneralRef(reference) => {
                    let decoded = match reference.resolve_char_ref() {
                        Ok(Some(c)) if !xml_char(c) => {
                            return Err(err(
                                format!(
                                    "&{};: the character U+{:04X} is not allowed in XML 1.0",
                                    &*reference, c as u32
                                ),
                                before,
                            ))
                        }
                        Ok(Some(c)) => c,
                        Ok(None) => predefined_entity(&reference).ok_or_else(|| {
                            err(
                                format!(
                                    "undefined entity &{};: only the five XML entities and character references are allowed (DTD entities are never expanded)",
                                    &*reference
                                ),
                                before,
                            )
                        })?,
                        Err(_) => {
                            return Err(err(
                                format!("invalid character reference &{};", &*reference),
                                before,
                            ))
                        }
                    };
                    if builder.stack.is_empty() {
                        return Err(err("entity reference outside the root element", before));
                    }
                    let mut buf = [0u8; 4];
                    builder.text(decoded.encode_utf8(&mut buf), before);
                }
                Event::Eof => break,
                // Declarations, comments, processing instructions and DOCTYPE carry no metadata.
                _ => {}
            }
        }
        if let Some(open) = builder.stack.last() {
            let node = &builder.doc.nodes[open.node as usize];
            return Err(err(
                format!(
                    "element <{}> is never closed (the file ends first)",
                    builder.doc.names[node.name as usize]
                ),
                node.start as usize,
            ));
        }
        if builder.doc.nodes.is_empty() {
            return Err(err("no root element", builder.base));
        }
        let mut doc = builder.doc;
        doc.name_ids = builder.names;
        // The documents stay for the whole run: no growth slack (up to half of a vector).
        doc.nodes.shrink_to_fit();
        doc.text.shrink_to_fit();
        doc.breaks.shrink_to_fit();
        Ok(doc)
    }

    pub fn root(&self) -> NodeId {
        0
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Local name of the element (namespace prefix removed).
    pub fn name(&self, node: NodeId) -> &str {
        &self.names[self.nodes[node as usize].name as usize]
    }

    /// Decoded text of a leaf element ("" for elements with children).
    pub fn text(&self, node: NodeId) -> &str {
        let n = &self.nodes[node as usize];
        &self.text[n.text_start as usize..(n.text_start + n.text_len) as usize]
    }

    /// Byte span of the whole element in the file.
    pub fn span(&self, node: NodeId) -> (usize, usize) {
        let n = &self.nodes[node as usize];
        (n.start as usize, n.end as usize)
    }

    pub fn parent(&self, node: NodeId) -> Option<NodeId> {
        let parent = self.nodes[node as usize].parent;
        (parent != NONE).then_some(parent)
    }

    pub fn children(&self, node: NodeId) -> Children<'_> {
        Children {
            doc: self,
            next: self.nodes[node as usize].first_child,
        }
    }

    pub fn children_named<'a>(
        &'a self,
        node: NodeId,
        name: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        let id = self.name_ids.get(name).copied();
        let children = match id {
            Some(_) => self.children(node),
            None => Children {
                doc: self,
                next: NONE,
            },
        };
        children.filter(move |&c| Some(self.nodes[c as usize].name) == id)
    }

    pub fn child(&self, node: NodeId, name: &str) -> Option<NodeId> {
        if node == 0 {
            let id = self.name_ids.get(name)?;
            return self.root_first.get(id).copied();
        }
        self.children_named(node, name).next()
    }

    /// Trimmed text of the first child called `name`.
    pub fn child_text(&self, node: NodeId, name: &str) -> Option<&str> {
        self.child(node, name).map(|c| self.text(c).trim())
    }

    /// `true` when the child `name` says `true` (Salesforce booleans; absent means false).
    pub fn child_flag(&self, node: NodeId, name: &str) -> bool {
        self.child_text(node, name)
            .is_some_and(|t| t.eq_ignore_ascii_case("true"))
    }

    pub fn has_children(&self, node: NodeId) -> bool {
        self.nodes[node as usize].first_child != NONE
    }

    /// Map a byte range of `text(node)` to the byte range in the file it was decoded from.
    pub fn text_span(&self, node: NodeId, start: usize, end: usize) -> (usize, usize) {
        let n = &self.nodes[node as usize];
        let base = n.text_start as usize;
        (
            self.raw_offset(n, base + start),
            self.raw_offset(n, base + end.max(start + 1) - 1) + 1,
        )
    }

    fn raw_offset(&self, n: &Node, decoded: usize) -> usize {
        let node_start = n.text_start as usize;
        let node_end = node_start + n.text_len as usize;
        let decoded = decoded.min(node_end.saturating_sub(1)).max(node_start);
        // Last break at or before `decoded` that belongs to this node's text.
        let idx = self.breaks.partition_point(|&(d, _)| d as usize <= decoded);
        match idx.checked_sub(1).map(|i| self.breaks[i]) {
            Some((d, r)) if d as usize >= node_start => r as usize + (decoded - d as usize),
            _ => n.text_raw as usize + (decoded - node_start),
        }
    }

    /// Does any text inside `node` (itself and its descendants) contain `needle`, ignoring ASCII
    /// case? A cheap pre-filter before a policy walks the element in script.
    pub fn subtree_mentions(&self, node: NodeId, needle: &str) -> bool {
        let end = self.nodes[node as usize].end;
        let lower = needle.to_ascii_lowercase();
        let finder = memchr::memmem::Finder::new(lower.as_bytes());
        let mut id = node as usize;
        let mut buf = Vec::new();
        while id < self.nodes.len() && (id == node as usize || self.nodes[id].start < end) {
            let n = &self.nodes[id];
            if n.text_len > 0 {
                let text = &self.text.as_bytes()
                    [n.text_start as usize..(n.text_start + n.text_len) as usize];
                buf.clear();
                buf.extend(text.iter().map(u8::to_ascii_lowercase));
                if finder.find(&buf).is_some() {
                    return true;
                }
            }
            id += 1;
        }
        false
    }

    /// Name the document's root in anchors: the API name of the component the file defines.
    pub fn set_root_name(&mut self, name: &str) {
        self.root_name = name.into();
    }

    /// The structural name of an element: its path from the root, each step keyed by what tells
    /// it from its siblings (`PermissionSet[Talkdesk]/fieldPermissions[Lead.Email]`). Positions
    /// never enter it, so it survives reindenting and reordering.
    pub fn anchor(&self, node: NodeId) -> Anchor {
        self.anchor_with(node, true)
    }

    /// The anchor of an element whose text is addressed piece by piece (a formula, a list of
    /// URLs): named like any ancestor, not by its whole value.
    pub fn container_anchor(&self, node: NodeId) -> Anchor {
        self.anchor_with(node, false)
    }

    fn anchor_with(&self, node: NodeId, value_names_leaf: bool) -> Anchor {
        let mut chain = Vec::new();
        let mut cur = node;
        while let Some(parent) = self.parent(cur) {
            chain.push(cur);
            cur = parent;
        }
        let mut anchor = Anchor::root(self.name(cur), &self.root_name);
        for &n in chain.iter().rev() {
            // The element itself is named by its value too: a changed value is another finding.
            let key = if value_names_leaf && n == node && !self.has_children(n) {
                Some(self.text(n).trim().to_string())
            } else {
                self.anchor_key(n)
            };
            anchor = anchor.child(self.name(n), key.as_deref());
        }
        anchor
    }

    /// What tells an element from its siblings: an identifying child (`name`, `field`,
    /// `object`...), nothing for an element the schema says occurs once, else its content.
    fn anchor_key(&self, node: NodeId) -> Option<String> {
        for id in ANCHOR_ID_CHILDREN {
            if let Some(t) = self.child_text(node, id) {
                if !t.is_empty() {
                    return Some(t.to_string());
                }
            }
        }
        let parent = self
            .parent(node)
            .and_then(|p| crate::model::schema::type_of(self, p));
        if crate::model::schema::is_single(parent, self.name(node)) {
            return None;
        }
        if !self.has_children(node) {
            return Some(self.text(node).trim().to_string());
        }
        // An unnamed group (a flow condition): its leaf values, in order.
        let end = self.nodes[node as usize].end;
        let mut parts = Vec::new();
        let mut id = node as usize + 1;
        while id < self.nodes.len() && self.nodes[id].start < end {
            if self.nodes[id].first_child == NONE {
                let t = self.text(id as NodeId).trim();
                if !t.is_empty() {
                    parts.push(t);
                }
            }
            id += 1;
        }
        Some(parts.join(", "))
    }

    /// Tag path from the root, e.g. `ConnectedApp/oauthConfig/scopes`.
    pub fn path(&self, node: NodeId) -> String {
        let mut names = vec![self.name(node)];
        let mut cur = node;
        while let Some(p) = self.parent(cur) {
            names.push(self.name(p));
            cur = p;
        }
        names.reverse();
        names.join("/")
    }
}

pub struct Children<'a> {
    doc: &'a Document,
    next: NodeId,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let cur = self.next;
        self.next = self.doc.nodes[cur as usize].next_sibling;
        Some(cur)
    }
}

/// XML 1.0 `Char`: tab, newline, carriage return and everything from space up, except the
/// surrogates (impossible in a Rust char) and U+FFFE, U+FFFF.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{fffe}' && c != '\u{ffff}')
}

/// The first byte XML 1.0 forbids (C0 controls but tab, newline and carriage return), if any.
/// A branch-free pass per block first: almost every file has none.
fn first_forbidden_byte(bytes: &[u8]) -> Option<usize> {
    let bad = |b: u8| b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r';
    let mut offset = 0;
    for block in bytes.chunks(256) {
        if block.iter().fold(false, |any, &b| any | bad(b)) {
            return block.iter().position(|&b| bad(b)).map(|i| offset + i);
        }
        offset += block.len();
    }
    None
}

/// Children that name an element among its siblings, in order of preference.
const ANCHOR_ID_CHILDREN: &[&str] = &[
    "fullName",
    "name",
    "field",
    "object",
    "apexClass",
    "apexPage",
    "flow",
    "recordType",
    "tab",
    "application",
    "layout",
    "externalDataSource",
    "externalCredentialPrincipal",
    "customPermission",
    "developerName",
    "parameterName",
    "startAddress",
];

/// quick-xml parses attributes lazily; well-formedness needs them checked (rare in metadata).
fn check_attributes(tag: &quick_xml::events::BytesStart, offset: usize) -> Result<(), XmlError> {
    if tag.attributes_raw().trim().is_empty() {
        return Ok(());
    }
    for attribute in tag.attributes() {
        let attribute =
            attribute.map_err(|e| err(format!("malformed XML: bad attribute: {e}"), offset))?;
        let mut rest: &str = &attribute.value;
        while let Some(amp) = rest.find('&') {
            let after = &rest[amp + 1..];
            let name = after.split(';').next().unwrap_or(after);
            let known = predefined_entity(name).is_some()
                || (name.starts_with('#')
                    && quick_xml::events::BytesRef::new(name)
                        .resolve_char_ref()
                        .is_ok_and(|c| c.is_some()));
            if !known || !after.contains(';') {
                return Err(err(
                    format!("undefined entity &{name}; in an attribute: only the five XML entities and character references are allowed (DTD entities are never expanded)"),
                    offset,
                ));
            }
            rest = &after[name.len() + 1..];
        }
    }
    Ok(())
}

fn xml_error_message(error: &quick_xml::Error) -> String {
    use quick_xml::Error as E;
    match error {
        E::IllFormed(ill) => format!("malformed XML: {ill}"),
        E::Syntax(syntax) => format!("malformed XML: {syntax}"),
        other => format!("malformed XML: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Document {
        Document::parse(s.as_bytes()).expect("well-formed")
    }

    #[test]
    fn builds_tree_with_spans_and_text() {
        let src = "<?xml version='1.0' encoding='UTF-8' ?>\n<Root xmlns=\"x\">\n    <a>one</a>\n    <b><c>two</c></b>\n</Root>\n";
        let doc = parse(src);
        let root = doc.root();
        assert_eq!(doc.name(root), "Root");
        let a = doc.child(root, "a").unwrap();
        assert_eq!(doc.text(a), "one");
        let (s, e) = doc.span(a);
        assert_eq!(&src[s..e], "<a>one</a>");
        let c = doc.child(doc.child(root, "b").unwrap(), "c").unwrap();
        assert_eq!(doc.text(c), "two");
        assert_eq!(doc.path(c), "Root/b/c");
        assert_eq!(
            doc.text(root),
            "",
            "whitespace between children is not text"
        );
    }

    #[test]
    fn anchors_name_elements_by_key_not_position() {
        let src = "<PermissionSet><userPermissions><enabled>true</enabled><name>ModifyAllData</name></userPermissions>\
            <label>X</label><scopes>Full</scopes></PermissionSet>";
        let mut doc = parse(src);
        doc.set_root_name("Talkdesk");
        let up = doc.child(doc.root(), "userPermissions").unwrap();
        assert_eq!(
            doc.anchor(up).as_str(),
            "PermissionSet[Talkdesk]/userPermissions[ModifyAllData]"
        );
        let enabled = doc.child(up, "enabled").unwrap();
        assert_eq!(
            doc.anchor(enabled).as_str(),
            "PermissionSet[Talkdesk]/userPermissions[ModifyAllData]/enabled[true]"
        );
        let label = doc.child(doc.root(), "label").unwrap();
        assert_eq!(
            doc.anchor(label).as_str(),
            "PermissionSet[Talkdesk]/label[X]"
        );
        let scopes = doc.child(doc.root(), "scopes").unwrap();
        assert_eq!(
            doc.anchor(scopes).as_str(),
            "PermissionSet[Talkdesk]/scopes[Full]"
        );
        let flow = parse("<Flow><decisions><name>D</name><rules><name>R</name><conditions><leftValueReference>$User.Username</leftValueReference><operator>EqualTo</operator><rightValue><stringValue>a@b.c</stringValue></rightValue></conditions></rules></decisions></Flow>");
        let cond = flow
            .child(
                flow.child(flow.child(flow.root(), "decisions").unwrap(), "rules")
                    .unwrap(),
                "conditions",
            )
            .unwrap();
        assert_eq!(
            flow.anchor(cond).as_str(),
            "Flow[]/decisions[D]/rules[R]/conditions[$User.Username, EqualTo, a@b.c]"
        );
    }

    #[test]
    fn subtree_mentions_ignores_case_and_stays_inside() {
        let doc = parse("<R><a><f>x $User.Id</f></a><b><f>$Permission.X</f></b></R>");
        let a = doc.child(doc.root(), "a").unwrap();
        let b = doc.child(doc.root(), "b").unwrap();
        assert!(doc.subtree_mentions(a, "$user"));
        assert!(!doc.subtree_mentions(a, "$permission"));
        assert!(doc.subtree_mentions(b, "$PERMISSION"));
        assert!(doc.subtree_mentions(doc.root(), "$user"));
    }

    #[test]
    fn bom_does_not_shift_spans() {
        let src = "\u{FEFF}<Root><a>x</a></Root>";
        let doc = parse(src);
        let a = doc.child(doc.root(), "a").unwrap();
        let (s, e) = doc.span(a);
        assert_eq!(&src.as_bytes()[s..e], b"<a>x</a>");
    }

    #[test]
    fn entities_decoded_and_mapped_back() {
        let src = "<R><f>$User.Username = &quot;a@b.c&quot; &amp;&amp; $Profile.Name</f></R>";
        let doc = parse(src);
        let f = doc.child(doc.root(), "f").unwrap();
        let text = doc.text(f);
        assert_eq!(text, "$User.Username = \"a@b.c\" && $Profile.Name");
        let at = text.find("$Profile.Name").unwrap();
        let (s, e) = doc.text_span(f, at, at + "$Profile.Name".len());
        assert_eq!(&src[s..e], "$Profile.Name");
        let (s, e) = doc.text_span(f, 0, 5);
        assert_eq!(&src[s..e], "$User");
    }

    #[test]
    fn cdata_and_char_refs() {
        let src = "<R><f><![CDATA[a < b]]></f><g>&#65;&#x42;C</g></R>";
        let doc = parse(src);
        let f = doc.child(doc.root(), "f").unwrap();
        assert_eq!(doc.text(f), "a < b");
        let (s, e) = doc.text_span(f, 2, 3);
        assert_eq!(&src[s..e], "<");
        let g = doc.child(doc.root(), "g").unwrap();
        assert_eq!(doc.text(g), "ABC");
        let (s, e) = doc.text_span(g, 2, 3);
        assert_eq!(&src[s..e], "C");
    }

    #[test]
    fn crlf_and_split_tags_and_self_closing() {
        let src = "<R>\r\n  <description\r\n    >text</description>\r\n  <v/>\r\n</R>";
        let doc = parse(src);
        let d = doc.child(doc.root(), "description").unwrap();
        assert_eq!(doc.text(d), "text");
        let v = doc.child(doc.root(), "v").unwrap();
        assert_eq!(doc.text(v), "");
        assert_eq!(&src[doc.span(v).0..doc.span(v).1], "<v/>");
    }

    #[test]
    fn namespaced_names_use_local_part() {
        let doc = parse("<md:R xmlns:md=\"u\"><md:a xsi:type=\"x\">1</md:a></md:R>");
        assert_eq!(doc.name(doc.root()), "R");
        assert!(doc.child(doc.root(), "a").is_some());
    }

    #[test]
    fn malformed_inputs_are_located_errors() {
        let cases: &[(&str, &str, usize)] = &[
            ("<R><a>x</b></R>", "malformed", 7),
            ("<R><a>x</a>", "never closed", 0),
            ("<R>&bogus;</R>", "undefined entity", 3),
            ("", "no root", 0),
            ("<R/><S/>", "second root", 4),
            ("<R attr=></R>", "malformed", 0),
        ];
        for (src, needle, offset) in cases {
            let e = Document::parse(src.as_bytes()).unwrap_err();
            assert!(e.message.contains(needle), "{src}: {}", e.message);
            assert_eq!(e.offset, *offset, "{src}: {}", e.message);
        }
        let e = Document::parse(b"<R>\xff</R>").unwrap_err();
        assert_eq!(e.offset, 3);
    }

    #[test]
    fn control_characters_are_not_xml() {
        for (src, at) in [
            ("<R>a\u{0}b</R>", 4),
            ("<R>\u{1b}[2J</R>", 3),
            ("<R>ok</R>\u{7}", 9),
        ] {
            let e = Document::parse(src.as_bytes()).unwrap_err();
            assert!(
                e.message.contains("not allowed in XML 1.0"),
                "{}",
                e.message
            );
            assert_eq!(e.offset, at, "{src:?}");
        }
        let e = Document::parse(b"<R>&#0;</R>").unwrap_err();
        assert!(e.message.contains("&#0;"), "{}", e.message);
        assert!(Document::parse(b"<R>a\tb\r\n&#10;&#x9;</R>").is_ok());
    }

    #[test]
    fn dtd_entities_are_not_expanded() {
        let src = "<?xml version=\"1.0\"?><!DOCTYPE R [<!ENTITY x \"boom\">]><R>&x;</R>";
        let e = Document::parse(src.as_bytes()).unwrap_err();
        assert!(e.message.contains("never expanded"), "{}", e.message);
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let depth = 100_000;
        let mut src = String::with_capacity(depth * 8);
        for _ in 0..depth {
            src.push_str("<a>");
        }
        for _ in 0..depth {
            src.push_str("</a>");
        }
        let doc = parse(&src);
        assert_eq!(doc.len(), depth);
    }
}
