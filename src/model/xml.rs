//! Streaming XML → compact arena document.
//!
//! A node is 8 bytes: its name, how far back its parent is, and either how far ahead its next
//! sibling is (an element with children) or its value (a leaf). Nodes are in document order, so
//! a first child is the next node, and a leaf's next sibling, when it has one, is the next node
//! too; the rare parent too far back for 16 bits is kept aside. Byte spans are not kept by default: a
//! document read from a file keeps the file's path, length and content hash, and re-reads it
//! (verified) and records its positions (`positions.rs`) the first time a finding needs one, so any finding still
//! maps back to a line and column while the run holds less than the bytes it read.
//!
//! The builder is fed by a scanner for the common shape of metadata XML (`scan.rs`), or by
//! quick-xml's events for whatever the scanner declines (both through the `Sink` trait); it keeps an explicit stack: nesting
//! depth costs heap, never call stack. DTD entities are never expanded; only the five predefined entities and
//! character references are decoded, and an offset map records where decoded text came from so a
//! position inside a formula maps back to the raw bytes.

use crate::findings::Anchor;
use quick_xml::events::Event;
use quick_xml::Reader;
use rustc_hash::FxHashMap;
use std::fmt;
use std::hash::BuildHasher;

mod positions;
mod scan;

use positions::{Break, Located, Positions, Recorder, Span};

pub type NodeId = u32;
const NONE: NodeId = u32::MAX;
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

#[derive(Debug, Clone, Copy)]
struct Node {
    /// Name id (in `Document::names`).
    name: u16,
    /// `LEAF` for an element without child elements, and in the other 15 bits `node - parent`:
    /// 0 for the root, `TO_ROOT` for a child of the root, `FAR` when it does not fit (then in
    /// `Document::far_parents`).
    parent_back: u16,
    /// An element with children: `next_sibling - node`, 0 for none. A leaf: its value, 0 for
    /// empty, `POOLED | id` for a value in the run's `TextPool`, else `i + 1` for
    /// `Document::values[i]`.
    data: u32,
}

impl Node {
    fn is_leaf(self) -> bool {
        self.parent_back & LEAF != 0
    }

    fn set_leaf(&mut self) {
        self.parent_back |= LEAF;
    }

    /// `parent_back` without the leaf flag.
    fn parent_distance(self) -> u16 {
        self.parent_back & !LEAF
    }

    /// A leaf's value in the run's pool: its id there.
    fn pooled_id(self) -> Option<u32> {
        (self.is_leaf() && self.data & POOLED != 0).then_some(self.data & !POOLED)
    }
}

/// Set in `Node::parent_back` for a leaf (no child element). Not in `name`: a file may hold up
/// to 65,534 distinct element names, while a parent more than 32,765 nodes back is rare (the
/// root's children have `TO_ROOT`) and kept aside.
const LEAF: u16 = 1 << 15;
/// Set in a leaf's `Node::data` when its value is in the run's pool.
const POOLED: u32 = 1 << 31;
const FAR: u16 = LEAF - 1;
const TO_ROOT: u16 = LEAF - 2;

/// Leaf values longer than this stay in their document (descriptions, formulas: rarely repeated).
const POOL_MAX: usize = 256;

/// Leaf values held once per parsing thread of a run: a field name written in two hundred
/// profiles and permission sets costs its bytes once (twice with two threads) and four bytes per
/// use. Each thread finds values in its own maps, without locks: threads never contend.
#[derive(Debug, Default)]
pub struct TextPool {
    values: boxcar::Vec<Box<str>>,
}

/// The pools of one run: documents parsed for it share their thread's pool.
#[derive(Debug)]
pub struct RunPools {
    serial: u64,
}

impl Default for RunPools {
    fn default() -> RunPools {
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        RunPools {
            serial: SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }
}

/// A thread's pool for the run it parses for, and the maps that find values in it.
struct ThreadPool {
    serial: u64,
    pool: std::sync::Arc<TextPool>,
    /// Value hash → id; a value is compared with the pooled one before it is shared.
    by_hash: FxHashMap<u64, u32>,
    /// Values whose hash another value already has (expected never; kept exact all the same).
    collided: FxHashMap<Box<str>, u32>,
    /// Name tables already built on this thread, by the hash of their names in order.
    names: FxHashMap<u64, std::sync::Arc<Names>>,
    /// The id last interned: files of a kind list their values in the same order (the fields
    /// of two hundred profiles), so the next value is most often the next id, found by one
    /// comparison instead of a hash and a lookup.
    last: u32,
}

thread_local! {
    static THREAD_POOL: std::cell::RefCell<Option<ThreadPool>> = const {
        std::cell::RefCell::new(None)
    };
}

impl RunPools {
    pub fn new() -> RunPools {
        RunPools::default()
    }

    /// This thread's pool for the run (a new one when the thread last parsed for another run).
    fn current(&self) -> std::sync::Arc<TextPool> {
        THREAD_POOL.with(|t| {
            let mut t = t.borrow_mut();
            match &*t {
                Some(tp) if tp.serial == self.serial => tp.pool.clone(),
                _ => {
                    let pool = std::sync::Arc::new(TextPool::default());
                    *t = Some(ThreadPool {
                        serial: self.serial,
                        pool: pool.clone(),
                        by_hash: FxHashMap::default(),
                        collided: FxHashMap::default(),
                        names: FxHashMap::default(),
                        last: u32::MAX,
                    });
                    pool
                }
            }
        })
    }

    /// The id of `value` in this thread's pool, added when new; `None` when this thread's pool
    /// is not `pool` (never, in one parse) or in the theoretical case of four billion values.
    fn intern(pool: &TextPool, value: &str) -> Option<u32> {
        THREAD_POOL.with(|t| {
            let mut t = t.borrow_mut();
            let tp = t.as_mut()?;
            if !std::ptr::eq(&*tp.pool, pool) {
                return None;
            }
            let next = tp.last.wrapping_add(1);
            if (next as usize) < tp.pool.values.count() && tp.pool.get(next) == value {
                tp.last = next;
                return Some(next);
            }
            let id = Self::find_or_add(tp, value)?;
            tp.last = id;
            Some(id)
        })
    }

    /// `value`'s id in this thread's pool, by its hash (added when new).
    fn find_or_add(tp: &mut ThreadPool, value: &str) -> Option<u32> {
        let hash = xxhash_rust::xxh3::xxh3_64(value.as_bytes());
        if let Some(&id) = tp.by_hash.get(&hash) {
            if tp.pool.get(id) == value {
                return Some(id);
            }
            if let Some(&id) = tp.collided.get(value) {
                return Some(id);
            }
            let id = tp.pool.push(value)?;
            tp.collided.insert(value.into(), id);
            return Some(id);
        }
        let id = tp.pool.push(value)?;
        tp.by_hash.insert(hash, id);
        Some(id)
    }

    /// After parsing: drop this thread's maps (the values stay with the documents).
    pub fn release_thread() {
        let _ = THREAD_POOL.try_with(|t| t.borrow_mut().take());
    }
}

impl TextPool {
    fn push(&self, value: &str) -> Option<u32> {
        if self.values.count() >= u32::MAX as usize {
            return None;
        }
        Some(self.values.push(value.into()) as u32)
    }

    fn get(&self, id: u32) -> &str {
        self.values.get(id as usize).map_or("", |v| v)
    }

    /// Distinct values and their bytes (for `SFPOLICY_TIMINGS`).
    pub fn stats(&self) -> (usize, usize) {
        let bytes = self.values.iter().map(|(_, v)| v.len()).sum();
        (self.values.count(), bytes)
    }
}

/// A string searched for ignoring ASCII case ([`Document::subtree_mentions_any`]).
struct Needle {
    lower: Vec<u8>,
    /// Without letters the case cannot matter: the text is searched as it is.
    exact: Option<memchr::memmem::Finder<'static>>,
}

impl Needle {
    fn new(needle: &str) -> Needle {
        let lower = needle.to_ascii_lowercase().into_bytes();
        let exact = (!lower.iter().any(u8::is_ascii_lowercase))
            .then(|| memchr::memmem::Finder::new(&lower).into_owned());
        Needle { lower, exact }
    }

    fn is_in(&self, text: &[u8]) -> bool {
        let needle = &self.lower[..];
        let Some(&first) = needle.first() else {
            // The empty string is in every text but the empty one.
            return !text.is_empty();
        };
        if text.len() < needle.len() {
            return false;
        }
        if let Some(finder) = &self.exact {
            return finder.find(text).is_some();
        }
        // Find the first byte in either case and compare the rest ignoring case (no
        // lower-cased copy of the text).
        let last_start = text.len() - needle.len();
        memchr::memchr2_iter(first, first.to_ascii_uppercase(), &text[..=last_start])
            .any(|at| text[at..at + needle.len()].eq_ignore_ascii_case(needle))
    }
}

/// A document's element names: id → name, and name → id by binary search (by length first, so
/// most steps compare two integers rather than two strings).
#[derive(Debug, Default)]
struct Names {
    text: Box<str>,
    /// Where name `i` ends in `text` (it starts where name `i - 1` ends).
    ends: Box<[u32]>,
    /// Name ids in the order of their names' (length, bytes).
    sorted: Box<[u16]>,
}

impl Names {
    fn build(list: &[&str]) -> Names {
        let mut text = String::with_capacity(list.iter().map(|n| n.len()).sum());
        let mut ends = Vec::with_capacity(list.len());
        for n in list {
            text.push_str(n);
            ends.push(text.len() as u32);
        }
        let mut sorted: Vec<u16> = (0..list.len() as u16).collect();
        let key = |id: &u16| (list[*id as usize].len(), list[*id as usize]);
        sorted.sort_by(|a, b| key(a).cmp(&key(b)));
        Names {
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
            sorted: sorted.into_boxed_slice(),
        }
    }

    /// Whether this table names exactly `list`, in order.
    fn is(&self, list: &[&str]) -> bool {
        self.ends.len() == list.len()
            && list
                .iter()
                .enumerate()
                .all(|(i, n)| self.get(i as u16) == *n)
    }

    fn get(&self, id: u16) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    fn id(&self, name: &str) -> Option<u16> {
        self.sorted
            .binary_search_by(|&id| {
                let candidate = self.get(id);
                (candidate.len(), candidate).cmp(&(name.len(), name))
            })
            .ok()
            .map(|i| self.sorted[i])
    }

    fn heap_bytes(&self) -> usize {
        self.text.len() + self.ends.len() * 4 + self.sorted.len() * 2
    }
}

/// The file a document was parsed from, to re-read (and verify) for positions.
#[derive(Debug)]
pub struct SourceRef {
    pub path: std::sync::Arc<std::path::Path>,
    pub len: u64,
    pub hash: u64,
    /// The file's line index, built from the same bytes when they are re-read.
    pub lines: crate::source::SharedLines,
}

/// A parsed metadata file. Holds no copy of the source: positions come from the file on disk.
#[derive(Debug, Default)]
pub struct Document {
    nodes: Box<[Node]>,
    /// Element names, each once: a few dozen per file, so one string and two small tables
    /// rather than a map of boxed strings; shared by the documents a thread parses with the
    /// same names in the same order (most fields, most flows).
    names: std::sync::Arc<Names>,
    text: Box<str>,
    /// Leaf values held in `text`: (start, length), each distinct short value once.
    values: Box<[(u32, u32)]>,
    /// Parents too far back for a node's 16 bits: (node, parent), by node.
    far_parents: Box<[(NodeId, NodeId)]>,
    /// API name of the component the file defines (the root's key in anchors).
    root_name: Box<str>,
    /// The root's first child of each name (by name id; `NONE` when the root has none): a
    /// profile's root has tens of thousands of children, and its singletons (`userLicense`,
    /// `custom`, `label`) are looked up often.
    root_first: Box<[NodeId]>,
    source: Option<SourceRef>,
    /// The run's shared leaf values (documents read from files).
    pool: Option<std::sync::Arc<TextPool>>,
    /// Recorded at parse (documents parsed from memory), or loaded from `source` when first
    /// asked; `None` when the file changed since it was checked.
    /// Boxed: most documents never load theirs.
    positions: std::sync::OnceLock<Option<Box<Positions>>>,
    /// Where element `LOCATE_EVERY * (i + 1)` starts in the file, for each `i`: a finding's
    /// element is located by scanning a window of the file from the checkpoint before it
    /// (`locate_in`), not the whole file.
    checkpoints: Box<[u32]>,
    /// Elements located alone so far, and how many times the file was read for them.
    located: std::sync::Mutex<Alone>,
}

/// The elements of a large file located one at a time (`Document::position_of`).
#[derive(Debug, Default)]
struct Alone {
    found: Vec<Located>,
    /// Reads of the file for them (not counting those this thread still held).
    reads: u8,
}

/// One element in this many starts a window for locating an element alone (`checkpoints`):
/// 4 bytes per 128 elements (125 KB over the corpus), and a window of a few kilobytes to scan.
const LOCATE_EVERY: usize = 128;

/// Elements a document locates alone before it records the positions of all its elements.
const LOCATE_ALONE_MAX: usize = 64;

/// Reads of a file to locate elements alone before its positions are recorded whole: findings
/// that alternate between files (an org-wide policy) would otherwise read it again each time.
const LOCATE_ALONE_READS: u8 = 4;

/// Files smaller than this are recorded whole at their first finding: reading them is most of
/// the cost, and one read then answers for every element. Recording a file whole costs about
/// seven times reading it (measured over the corpus's located files), which locating alone
/// saves on the large ones (profiles of megabytes).
const LOCATE_ALONE_FROM: u64 = 128 << 10;

thread_local! {
    /// The file this thread last read again to locate an element, verified against what was
    /// parsed: a policy reports on one component several times in a row, and each report would
    /// otherwise read the file again. The buffer is kept from file to file (no fresh pages).
    static VERIFIED: std::cell::RefCell<Verified> = std::cell::RefCell::new(Verified::default());
}

#[derive(Default)]
struct Verified {
    /// The file the bytes are, by path, length and content hash.
    of: Option<(std::sync::Arc<std::path::Path>, u64, u64)>,
    bytes: Vec<u8>,
}

/// `answer` over the bytes of `source` as they were parsed: re-read (or still held by this
/// thread), verified by length and hash, with whether they were read. `None` when the file
/// changed since, or cannot be read.
fn with_verified<R>(source: &SourceRef, answer: impl FnOnce(&[u8]) -> R) -> Option<(R, bool)> {
    VERIFIED.with(|verified| {
        let mut verified = verified.borrow_mut();
        let held = verified.of.as_ref().is_some_and(|(path, len, hash)| {
            (*len, *hash) == (source.len, source.hash) && **path == *source.path
        });
        if !held {
            verified.of = None;
            crate::source::read_into(&source.path, &mut verified.bytes).ok()?;
            if verified.bytes.len() as u64 != source.len
                || crate::source::content_hash(&verified.bytes) != source.hash
            {
                return None;
            }
            verified.of = Some((source.path.clone(), source.len, source.hash));
        }
        let result = answer(&verified.bytes);
        if verified.bytes.capacity() > SCRATCH_KEEP {
            *verified = Verified::default();
        }
        Some((result, !held))
    })
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
    /// Where this element's own text begins in `Document::text`. Text seen before a child
    /// element is indentation (no mixed content in metadata) and is cut back to the mark.
    text_mark: u32,
    has_text: bool,
    /// Its text is one plain piece (no entity, no CDATA): it may share a copy with an equal value.
    plain: bool,
    start: u32,
}

struct Builder<'s> {
    nodes: Vec<Node>,
    /// Leaf values, one after another (a value shared with an earlier leaf is not repeated).
    text: String,
    /// `Document::far_parents`, in node order.
    far_parents: Vec<(NodeId, NodeId)>,
    /// Names (slices of the file) → id, while parsing.
    names: FxHashMap<&'s str, u16>,
    /// Names by id, while parsing (then `Names`).
    name_list: Vec<&'s str>,
    /// For each name id, the name that came next after it last time (`u16::MAX`: none yet):
    /// metadata repeats its sequences (`fieldPermissions`, `editable`, `field`, `readable`), so
    /// the next name is most often the one guessed, found by one comparison and no hashing.
    follows: Vec<u16>,
    /// The last name interned.
    last_name: u16,
    /// The root's first child of each name id, while parsing.
    root_first: Vec<NodeId>,
    stack: Vec<Open>,
    base: usize,
    /// `Document::values`, while parsing.
    values: Vec<(u32, u32)>,
    /// Short leaf values already in `values` (`true`, `false`, `Read`...), by their hash: stored
    /// once (a value whose hash an unequal one already has is stored again).
    short: FxHashMap<u64, u32>,
    /// Plain leaf values up to `POOL_MAX` go to the run's pool, when parsing for a run.
    pool: Option<std::sync::Arc<TextPool>>,
    /// `Document::checkpoints`, while parsing.
    checkpoints: Vec<u32>,
}

thread_local! {
    /// Per-thread buffers the parser builds nodes and text in (see `parse_with`).
    static SCRATCH: std::cell::RefCell<(Vec<Node>, String)> = const {
        std::cell::RefCell::new((Vec::new(), String::new()))
    };
}

/// Scratch buffers larger than this (bytes of capacity) are dropped after their file.
const SCRATCH_KEEP: usize = 64 << 20;

/// Leaf values up to this length are stored once per document.
const SHORT_TEXT: usize = 16;

/// What a reader of XML tells: the builder (a document) and the positions recorder both
/// take these calls, from the scanner (`scan.rs`) or from quick-xml (`read_events`), at the
/// same offsets either way.
trait Sink<'s> {
    /// A start tag at `before` (its qualified name).
    fn start_tag(&mut self, qualified: &'s str, before: usize) -> Result<(), XmlError>;
    /// An empty-element tag, `<x/>`, from `before` to `after`.
    fn empty_tag(
        &mut self,
        qualified: &'s str,
        before: usize,
        after: usize,
    ) -> Result<(), XmlError>;
    /// Literal text at `before` (between markup and references).
    fn text_event(&mut self, text: &str, before: usize) -> Result<(), XmlError>;
    /// A CDATA section's content; the section starts at `before`.
    fn cdata(&mut self, content: &str, before: usize);
    /// `&name;` at `before`: one of the five predefined entities or a character reference.
    fn reference(&mut self, name: &str, before: usize) -> Result<(), XmlError>;
    /// The end tag of the open element ends at `end` (an empty element is never closed).
    fn close(&mut self, end: usize);
    /// Whether the root element has started.
    fn has_root(&self) -> bool;
}

/// Feed `sink` quick-xml's events over `source` (the file after its BOM, which starts at
/// `base`).
fn read_events<'s>(sink: &mut impl Sink<'s>, source: &'s str, base: usize) -> Result<(), XmlError> {
    let mut reader = Reader::from_str(source);
    // quick-xml drops a BOM at the start of what it reads without counting it: a second BOM
    // (the first is already past). Its positions then start after that one.
    let skipped = if source.starts_with('\u{FEFF}') { 3 } else { 0 };
    let (source, base) = (&source[skipped..], base + skipped);
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
                sink.start_tag(tag_name(source, &tag, before - base, base)?, before)?;
            }
            Event::Empty(tag) => {
                check_attributes(&tag, before)?;
                sink.empty_tag(tag_name(source, &tag, before - base, base)?, before, after)?;
            }
            Event::End(_) => sink.close(after),
            Event::Text(text) => sink.text_event(&text, before)?,
            Event::CData(cdata) => sink.cdata(&cdata.into_inner(), before),
            Event::GeneralRef(reference) => sink.reference(&reference, before)?,
            Event::Eof => return Ok(()),
            // Declarations, comments, processing instructions and DOCTYPE carry no metadata.
            _ => {}
        }
    }
}

/// The character `&name;` at `before` stands for: one of the five predefined entities or a
/// character reference allowed in XML 1.0.
fn resolve_reference(name: &str, before: usize) -> Result<char, XmlError> {
    match quick_xml::events::BytesRef::new(name).resolve_char_ref() {
        Ok(Some(c)) if !xml_char(c) => Err(err(
            format!(
                "&{name};: the character U+{:04X} is not allowed in XML 1.0",
                c as u32
            ),
            before,
        )),
        Ok(Some(c)) => Ok(c),
        Ok(None) => predefined_entity(name).ok_or_else(|| {
            err(
                format!(
                    "undefined entity &{name};: only the five XML entities and character references are allowed (DTD entities are never expanded)"
                ),
                before,
            )
        }),
        Err(_) => Err(err(
            format!("invalid character reference &{name};"),
            before,
        )),
    }
}

impl<'s> Sink<'s> for Builder<'s> {
    fn start_tag(&mut self, qualified: &'s str, before: usize) -> Result<(), XmlError> {
        let node = self.start(qualified, before)?;
        self.push_open(node, before);
        Ok(())
    }

    fn empty_tag(
        &mut self,
        qualified: &'s str,
        before: usize,
        _after: usize,
    ) -> Result<(), XmlError> {
        let node = self.start(qualified, before)?;
        self.nodes[node as usize].set_leaf();
        Ok(())
    }

    fn text_event(&mut self, text: &str, before: usize) -> Result<(), XmlError> {
        if self.stack.is_empty() {
            if !text.trim().is_empty() {
                let lead = text.len() - text.trim_start().len();
                return Err(err("text outside the root element", before + lead));
            }
        } else {
            self.text(text, true);
        }
        Ok(())
    }

    fn cdata(&mut self, content: &str, _before: usize) {
        self.text(content, false);
    }

    fn reference(&mut self, name: &str, before: usize) -> Result<(), XmlError> {
        let decoded = resolve_reference(name, before)?;
        if self.stack.is_empty() {
            return Err(err("entity reference outside the root element", before));
        }
        let mut buf = [0u8; 4];
        self.text(decoded.encode_utf8(&mut buf), false);
        Ok(())
    }

    fn close(&mut self, _end: usize) {
        self.close_element();
    }

    fn has_root(&self) -> bool {
        !self.nodes.is_empty()
    }
}

impl<'s> Builder<'s> {
    fn new(
        nodes: Vec<Node>,
        text: String,
        base: usize,
        pool: Option<std::sync::Arc<TextPool>>,
    ) -> Builder<'s> {
        Builder {
            nodes,
            text,
            far_parents: Vec::new(),
            names: FxHashMap::default(),
            name_list: Vec::new(),
            follows: Vec::new(),
            last_name: u16::MAX,
            root_first: Vec::new(),
            stack: Vec::new(),
            base,
            values: Vec::new(),
            short: FxHashMap::default(),
            pool,
            checkpoints: Vec::new(),
        }
    }

    /// Start an element whose start tag is at `before`, named `qualified`.
    fn start(&mut self, qualified: &'s str, before: usize) -> Result<NodeId, XmlError> {
        self.open(local_name(qualified), before)
    }

    fn intern(&mut self, name: &'s str, offset: usize) -> Result<u16, XmlError> {
        if let Some(&guess) = self.follows.get(self.last_name as usize) {
            if self
                .name_list
                .get(guess as usize)
                .is_some_and(|known| same_bytes(known.as_bytes(), name.as_bytes()))
            {
                self.last_name = guess;
                return Ok(guess);
            }
        }
        let id = self.lookup(name, offset)?;
        if let Some(slot) = self.follows.get_mut(self.last_name as usize) {
            *slot = id;
        }
        self.last_name = id;
        Ok(id)
    }

    /// `name`'s id, from the table (or a new one).
    fn lookup(&mut self, name: &'s str, offset: usize) -> Result<u16, XmlError> {
        if let Some(&id) = self.names.get(name) {
            return Ok(id);
        }
        let id = u16::try_from(self.name_list.len())
            .ok()
            .filter(|&id| id < u16::MAX)
            .ok_or_else(|| {
                err(
                    "more than 65,534 distinct element names in one file",
                    offset,
                )
            })?;
        self.name_list.push(name);
        self.follows.push(u16::MAX);
        self.names.insert(name, id);
        Ok(id)
    }

    fn open(&mut self, name: &'s str, start: usize) -> Result<NodeId, XmlError> {
        if name.is_empty() {
            return Err(XmlError {
                message: "malformed XML: `<>` is not an element (in a formula, write `&lt;&gt;` for not-equal)".into(),
                offset: start,
            });
        }
        if self.stack.is_empty() && !self.nodes.is_empty() {
            return Err(XmlError {
                message: "a second root element: a metadata file has exactly one".into(),
                offset: start,
            });
        }
        if self.nodes.len() >= NONE as usize - 1 {
            return Err(err("too many elements in one file", start));
        }
        let id = self.nodes.len() as NodeId;
        let name = self.intern(name, start)?;
        if id != 0 && id as usize % LOCATE_EVERY == 0 {
            self.checkpoints.push(start as u32);
        }
        let parent = self.stack.last().map_or(NONE, |open| open.node);
        if parent == 0 && self.stack.len() == 1 {
            let slot = name as usize;
            if self.root_first.len() <= slot {
                self.root_first.resize(slot + 1, NONE);
            }
            if self.root_first[slot] == NONE {
                self.root_first[slot] = id;
            }
        }
        let parent_back = if parent == NONE {
            0
        } else if parent == 0 {
            TO_ROOT
        } else {
            match u16::try_from(id - parent) {
                Ok(d) if d < TO_ROOT => d,
                _ => {
                    self.far_parents.push((id, parent));
                    FAR
                }
            }
        };
        self.nodes.push(Node {
            name,
            parent_back,
            data: 0,
        });
        if let Some(open) = self.stack.last_mut() {
            self.text.truncate(open.text_mark as usize);
            open.has_text = false;
            open.plain = true;
            if open.last_child != NONE {
                // A leaf's next sibling is implied (the next node); its `data` is its value.
                let last = &mut self.nodes[open.last_child as usize];
                if !last.is_leaf() {
                    last.data = id - open.last_child;
                }
            }
            open.last_child = id;
        }
        Ok(id)
    }

    fn push_open(&mut self, node: NodeId, start: usize) {
        self.stack.push(Open {
            node,
            last_child: NONE,
            text_mark: self.text.len() as u32,
            has_text: false,
            plain: true,
            start: start as u32,
        });
    }

    /// Close the open element (an empty element, `<x/>`, is never pushed, so never closed
    /// here).
    fn close_element(&mut self) {
        let Some(open) = self.stack.pop() else { return };
        if open.last_child == NONE {
            self.nodes[open.node as usize].set_leaf();
            let start = open.text_mark;
            let len = self.text.len() as u32 - open.text_mark;
            // Short values (`true`, `Read`) are shared within the document below: pooling them
            // would have every thread contend for the same few entries.
            let pooled = self
                .pool
                .as_ref()
                .filter(|_| open.plain && len as usize > SHORT_TEXT && len as usize <= POOL_MAX)
                .and_then(|pool| RunPools::intern(pool, &self.text[start as usize..]))
                .filter(|&id| id < POOLED);
            let data = if let Some(id) = pooled {
                self.text.truncate(start as usize);
                POOLED | id
            } else if len == 0 {
                0
            } else if open.plain && len as usize <= SHORT_TEXT {
                let value = &self.text[start as usize..];
                let hash = rustc_hash::FxBuildHasher.hash_one(value);
                let earlier = self.short.get(&hash).copied().filter(|&data| {
                    let (at, len) = self.values[data as usize - 1];
                    self.text
                        .get(at as usize..(at + len) as usize)
                        .is_some_and(|known| same_bytes(known.as_bytes(), value.as_bytes()))
                });
                match earlier {
                    Some(earlier) => {
                        self.text.truncate(start as usize);
                        earlier
                    }
                    None => {
                        let data = self.push_value(start, len);
                        self.short.entry(hash).or_insert(data);
                        data
                    }
                }
            } else {
                self.push_value(start, len)
            };
            self.nodes[open.node as usize].data = data;
        } else {
            self.text.truncate(open.text_mark as usize);
        }
        let text_len = self.text.len() as u32;
        if let Some(parent) = self.stack.last_mut() {
            parent.text_mark = text_len;
        }
    }

    /// A new entry in `Document::values`: what a leaf's `data` says for it.
    fn push_value(&mut self, start: u32, len: u32) -> u32 {
        self.values.push((start, len));
        // Fewer values than bytes, and a file is under 4 GiB: below `POOLED` (checked at parse).
        self.values.len() as u32
    }

    /// Append decoded text; `plain` when it is literal text (not an entity or CDATA).
    fn text(&mut self, piece: &str, plain: bool) {
        let Some(open) = self.stack.last_mut() else {
            return;
        };
        if !open.has_text {
            // Indentation before the first child or the end tag: never a value worth a copy.
            if piece.bytes().all(|b| b.is_ascii_whitespace()) {
                return;
            }
            open.has_text = true;
            open.plain = plain;
        } else {
            open.plain = false;
        }
        self.text.push_str(piece);
    }
}

/// The name table for `list`: the one this thread already built for the same list when parsing
/// for a run (`shared`), else a new one.
fn shared_names(list: &[&str], shared: bool) -> std::sync::Arc<Names> {
    if !shared {
        return std::sync::Arc::new(Names::build(list));
    }
    let key = rustc_hash::FxBuildHasher.hash_one(list);
    THREAD_POOL.with(|t| {
        let mut t = t.borrow_mut();
        let Some(tp) = t.as_mut() else {
            return std::sync::Arc::new(Names::build(list));
        };
        match tp.names.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) if e.get().is(list) => e.get().clone(),
            // Another list with the same hash (expected never): a table of its own.
            std::collections::hash_map::Entry::Occupied(_) => {
                std::sync::Arc::new(Names::build(list))
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(std::sync::Arc::new(Names::build(list))).clone()
            }
        }
    })
}

/// The qualified name of a start tag quick-xml read at `at` in `source` (which starts at `base`
/// in the file), as a slice of `source` (it follows the `<`).
fn tag_name<'s>(
    source: &'s str,
    tag: &quick_xml::events::BytesStart,
    at: usize,
    base: usize,
) -> Result<&'s str, XmlError> {
    let name = tag.name();
    let name: &str = name.as_ref();
    source
        .get(at + 1..at + 1 + name.len())
        .filter(|s| *s == name)
        .ok_or_else(|| err("malformed XML: a tag name out of place", base + at))
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

/// The text of a file after its BOM, and where it starts: valid UTF-8 without a control
/// character XML 1.0 forbids, and under 4 GiB (offsets are 32 bits).
fn checked_text(bytes: &[u8]) -> Result<(usize, &str), XmlError> {
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
    Ok((base, source))
}

/// `a == b` for the short byte strings the parser compares millions of times (element names,
/// an end tag against its start tag, short values): inline loads instead of a call to `memcmp`,
/// which costs more than the comparison at these lengths (about 12% of parsing, measured).
#[inline(always)]
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    let word8 =
        |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let word4 =
        |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    match n {
        // Two loads that overlap in the middle cover every length from 8 to 16 (4 to 8).
        8..=16 => word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8),
        4..=7 => word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4),
        0..=3 => a.iter().zip(b).all(|(x, y)| x == y),
        _ => a == b,
    }
}

fn local_name(qualified: &str) -> &str {
    match qualified.bytes().rposition(|b| b == b':') {
        Some(i) => &qualified[i + 1..],
        None => qualified,
    }
}

impl Document {
    /// Parse a whole file held in memory, recording every element's position. Never panics; a
    /// malformed file is an `XmlError` with the offset of the problem in the original bytes.
    pub fn parse(bytes: &[u8]) -> Result<Document, XmlError> {
        Self::parse_recorded(bytes, true)
    }

    /// For tests and fuzzing: `parse` without the scanner's fast path (quick-xml's events only,
    /// for the document and its positions).
    #[doc(hidden)]
    pub fn parse_with_quick_xml(bytes: &[u8]) -> Result<Document, XmlError> {
        Self::parse_recorded(bytes, false)
    }

    fn parse_recorded(bytes: &[u8], scanner: bool) -> Result<Document, XmlError> {
        let mut doc = Self::parse_with(bytes, scanner, None)?;
        let positions = doc.positions_from(bytes, scanner);
        doc.positions = std::sync::OnceLock::from(positions);
        Ok(doc)
    }

    /// Parse a file read from disk without keeping positions: they are re-read from `source`
    /// (and verified against its length and hash) when a finding first needs one.
    /// Leaf values go to the parsing thread's pool for `run`.
    pub fn parse_file(
        bytes: &[u8],
        source: SourceRef,
        run: &RunPools,
    ) -> Result<Document, XmlError> {
        let pool = run.current();
        let mut doc = Self::parse_with(bytes, true, Some(pool.clone()))?;
        doc.source = Some(source);
        doc.pool = Some(pool);
        Ok(doc)
    }

    /// For fuzzing: parse as `parse_file` does (values in `run`'s pool, name tables shared), then
    /// load the positions as a finding would, from `bytes` rather than from a file.
    #[doc(hidden)]
    pub fn parse_pooled_in_memory(bytes: &[u8], run: &RunPools) -> Result<Document, XmlError> {
        let pool = run.current();
        let mut doc = Self::parse_with(bytes, true, Some(pool.clone()))?;
        doc.pool = Some(pool);
        let positions = doc.positions_from(bytes, true);
        doc.positions = std::sync::OnceLock::from(positions);
        Ok(doc)
    }

    fn parse_with(
        bytes: &[u8],
        scanner: bool,
        pool: Option<std::sync::Arc<TextPool>>,
    ) -> Result<Document, XmlError> {
        let (base, source) = checked_text(bytes)?;
        // The nodes and text are built in this thread's scratch buffers, kept from file to file,
        // and copied out at their exact size: no growth slack stays, and no big buffer is freed
        // per file to fragment the heap.
        let (nodes, text) = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let mut builder = Builder::new(nodes, text, base, pool);
        // Most files take the scanner's fast path; anything it leaves (a DOCTYPE, a non-ASCII
        // name, every malformed file) is parsed again from the start by quick-xml, which then
        // gives the same document or the error.
        if !scanner || scan::scan(source, base, &mut builder).is_err() {
            let (mut nodes, mut text) = (builder.nodes, builder.text);
            nodes.clear();
            text.clear();
            builder = Builder::new(nodes, text, base, builder.pool);
            read_events(&mut builder, source, base)?;
        }
        if let Some(open) = builder.stack.last() {
            let node = &builder.nodes[open.node as usize];
            return Err(err(
                format!(
                    "element <{}> is never closed (the file ends first)",
                    builder.name_list[node.name as usize]
                ),
                open.start as usize,
            ));
        }
        if builder.nodes.is_empty() {
            return Err(err("no root element", builder.base));
        }
        // The documents stay for the whole run: exact sizes, and the scratch goes back.
        let doc = Document {
            nodes: builder.nodes.as_slice().into(),
            names: shared_names(&builder.name_list, builder.pool.is_some()),
            text: builder.text.as_str().into(),
            values: builder.values.into_boxed_slice(),
            far_parents: builder.far_parents.into_boxed_slice(),
            root_first: builder.root_first.into_boxed_slice(),
            checkpoints: builder.checkpoints.into_boxed_slice(),
            ..Document::default()
        };
        let (mut nodes, mut text) = (builder.nodes, builder.text);
        nodes.clear();
        text.clear();
        // A huge file's buffers are not kept for the rest of the run.
        if nodes.capacity() > SCRATCH_KEEP || text.capacity() > SCRATCH_KEEP {
            nodes = Vec::new();
            text = String::new();
        }
        SCRATCH.with(|s| *s.borrow_mut() = (nodes, text));
        Ok(doc)
    }

    /// The positions: recorded at parse, or re-read from the file and verified. `None` when the
    /// file changed since it was checked (a finding then points at the file's start).
    fn positions(&self) -> Option<&Positions> {
        self.positions
            .get_or_init(|| crate::alloc::uncounted(|| self.load_positions()))
            .as_deref()
    }

    fn load_positions(&self) -> Option<Box<Positions>> {
        let source = self.source.as_ref()?;
        with_verified(source, |bytes| {
            source.lines.fill(bytes);
            self.positions_from(bytes, true)
        })?
        .0
    }

    /// `answer` for `node`'s span and breaks: from the positions recorded or loaded whole, from
    /// the elements located alone, or by locating `node` alone (the first `LOCATE_ALONE_MAX`
    /// asked), else by loading the whole file's. `text`: the answer reads where the element's
    /// text is (`Span::text_raw`, breaks), not only its span. `None` when the file changed since
    /// it was checked (a finding then points at the file's start).
    fn position_of<R>(
        &self,
        node: NodeId,
        text: bool,
        answer: impl FnOnce(Span, &[Break]) -> R,
    ) -> Option<R> {
        if let Some(whole) = self.positions.get() {
            return whole.as_deref().map(|p| {
                let (span, breaks) = p.of(node);
                answer(span, breaks)
            });
        }
        if let Some(source) = self.source.as_ref().filter(|s| s.len >= LOCATE_ALONE_FROM) {
            let mut located = self.located.lock().unwrap_or_else(|e| e.into_inner());
            let known = located.found.iter().find(|l| l.node == node);
            if let Some(found) = known.filter(|l| l.text_known || !text) {
                return Some(answer(found.span, &found.breaks));
            }
            if known.is_none()
                && located.found.len() < LOCATE_ALONE_MAX
                && located.reads < LOCATE_ALONE_READS
            {
                let alone = crate::alloc::uncounted(|| {
                    with_verified(source, |bytes| {
                        source.lines.fill(bytes);
                        self.locate_in(bytes, node)
                    })
                });
                if let Some((_, true)) = alone {
                    located.reads += 1;
                }
                match alone.map(|(found, _)| found) {
                    Some(Some(found)) if found.text_known || !text => {
                        let result = answer(found.span, &found.breaks);
                        crate::alloc::uncounted(|| located.found.push(found));
                        return Some(result);
                    }
                    // Its span only: kept for that, and its text from the whole file.
                    Some(Some(found)) => crate::alloc::uncounted(|| located.found.push(found)),
                    // The file changed: as when the whole file is loaded, no positions at all.
                    None => {
                        drop(located);
                        let _ = self.positions.set(None);
                        return None;
                    }
                    // A window the scanner declines: the whole file (quick-xml, if need be).
                    Some(None) => {}
                }
            }
        }
        self.positions().map(|p| {
            let (span, breaks) = p.of(node);
            answer(span, breaks)
        })
    }

    /// `node` located alone in `bytes` (the bytes this document was parsed from): the scanner
    /// goes over a window from the checkpoint before `node` to the first checkpoint past its
    /// subtree (its end tag comes before the next element after the subtree starts), numbering
    /// elements from the checkpoint's. A subtree longer than two windows (a profile's root) is
    /// located from its first window (its start) and its last (its end tag, the how-manieth
    /// closing an element opened before that window): its span only, not where its text is.
    /// `None` when a window holds what the scanner declines.
    fn locate_in(&self, bytes: &[u8], node: NodeId) -> Option<Located> {
        let n = node as usize;
        if n >= self.nodes.len() {
            return None;
        }
        // Where element `LOCATE_EVERY * i` starts (`None` for 0: the window then starts at the
        // file's start, after its BOM).
        let checkpoint = |i: usize| -> Option<usize> {
            i.checked_sub(1)
                .and_then(|i| self.checkpoints.get(i))
                .map(|&at| at as usize)
        };
        // The window of elements `LOCATE_EVERY * first..LOCATE_EVERY * last` (`last` past the
        // final checkpoint: to the end of the file), recorded.
        let record = |first: usize, last: usize| -> Option<Recorder> {
            let from = match checkpoint(first) {
                Some(at) => at,
                None if first == 0 && bytes.starts_with(UTF8_BOM) => UTF8_BOM.len(),
                None if first == 0 => 0,
                None => return None,
            };
            let to = checkpoint(last).unwrap_or(bytes.len());
            let window = std::str::from_utf8(bytes.get(from..to)?).ok()?;
            let mut recorder = Recorder::window((first * LOCATE_EVERY) as NodeId);
            // The window ends where the scanner may decline (inside an element): what counts is
            // what it recorded before.
            let _ = scan::scan_window(window, from, &mut recorder);
            Some(recorder)
        };
        let after = self.subtree_end(node);
        let (first, last) = (n / LOCATE_EVERY, after.div_ceil(LOCATE_EVERY));
        // The last window of a large subtree (a profile's root): its end tag closes an element
        // opened before that window, the how-manieth is counted up the parents.
        let end_first = (after - 1) / LOCATE_EVERY;
        if end_first <= first + 1 {
            return record(first, last)?.located(node);
        }
        let start = record(first, first + 1)?.start_of(node)?;
        let opened = (end_first * LOCATE_EVERY) as NodeId;
        let mut outer = 0;
        let mut parent = self.parent(opened)?;
        while parent != node {
            outer += 1;
            parent = self.parent(parent)?;
        }
        let end = record(end_first, last)?.outer_end(outer)?;
        Some(Located {
            node,
            span: Span {
                start,
                end,
                text_raw: start,
            },
            breaks: Box::default(),
            text_known: false,
        })
    }

    /// For tests and fuzzing: the first element whose position located alone in `bytes` (as a
    /// finding locates it) differs from the one recorded over the whole file, if any. An element
    /// the window scan declines is not a difference (it is then located from the whole file).
    #[doc(hidden)]
    pub fn locating_alone_differs(&self, bytes: &[u8]) -> Option<String> {
        let whole = self.positions_from(bytes, true)?;
        for node in 0..self.len() as NodeId {
            let Some(alone) = self.locate_in(bytes, node) else {
                continue;
            };
            let (span, breaks) = whole.of(node);
            let same = if alone.text_known {
                (alone.span, &*alone.breaks) == (span, breaks)
            } else {
                (alone.span.start, alone.span.end) == (span.start, span.end)
            };
            if !same {
                return Some(format!(
                    "element {node}: alone {:?} {:?}, whole {span:?} {breaks:?}",
                    alone.span, alone.breaks
                ));
            }
        }
        None
    }

    /// The positions of this document's elements in `bytes` (the bytes it was parsed from),
    /// recorded by a pass that builds no document (`positions.rs`); `scanner` as for the parse.
    fn positions_from(&self, bytes: &[u8], scanner: bool) -> Option<Box<Positions>> {
        let (base, source) = checked_text(bytes).ok()?;
        let mut recorder = Recorder::new(bytes.len());
        if !scanner || scan::scan(source, base, &mut recorder).is_err() {
            recorder = Recorder::new(bytes.len());
            read_events(&mut recorder, source, base).ok()?;
        }
        let positions = recorder.finish();
        (positions.spans.len() == self.nodes.len()).then(|| Box::new(positions))
    }

    /// For tests and fuzzing: the first way `other` answers differently from this document
    /// (names, text, parents, children, spans, text spans), if any.
    #[doc(hidden)]
    pub fn differs_from(&self, other: &Document) -> Option<String> {
        if self.len() != other.len() {
            return Some(format!("{} nodes, not {}", other.len(), self.len()));
        }
        for n in 0..self.len() as NodeId {
            let len = self.text(n).len();
            let same = self.name(n) == other.name(n)
                && self.text(n) == other.text(n)
                && self.parent(n) == other.parent(n)
                && self.children(n).eq(other.children(n))
                && self.span(n) == other.span(n)
                && [(0, len), (len / 2, len), (0, len / 2)]
                    .into_iter()
                    .filter(|(a, b)| a < b)
                    .all(|(a, b)| self.text_span(n, a, b) == other.text_span(n, a, b));
            if !same {
                return Some(format!("node {n} (<{}>) differs", self.name(n)));
            }
        }
        // The root's children found by name (its table of first children).
        for c in self.children(self.root()) {
            let name = self.name(c);
            if self.child(self.root(), name) != other.child(other.root(), name) {
                return Some(format!("the root's child <{name}> is found differently"));
            }
        }
        None
    }

    /// Whether any position is held (recorded at parse, or loaded for a finding, whole or for
    /// an element alone).
    pub fn positions_loaded(&self) -> bool {
        self.positions.get().is_some()
            || !self
                .located
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .found
                .is_empty()
    }

    /// The run's pool this document's values are in (documents read from files).
    pub fn pool(&self) -> Option<&std::sync::Arc<TextPool>> {
        self.pool.as_ref()
    }

    /// Bytes this document holds on the heap: (nodes, text, the rest), for `SFPOLICY_TIMINGS`.
    pub fn heap_bytes(&self) -> (usize, usize, usize) {
        // A table shared by documents counts a share for each.
        let names = self.names.heap_bytes() / std::sync::Arc::strong_count(&self.names);
        let positions = self
            .positions
            .get()
            .and_then(Option::as_ref)
            .map_or(0, |p| p.heap_bytes());
        let located: usize = self
            .located
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .found
            .iter()
            .map(|l| std::mem::size_of::<Located>() + l.breaks.len() * std::mem::size_of::<Break>())
            .sum();
        (
            self.nodes.len() * std::mem::size_of::<Node>(),
            self.text.len(),
            names
                + self.root_first.len() * 4
                + self.values.len() * 8
                + self.far_parents.len() * 8
                + self.checkpoints.len() * 4
                + positions
                + located,
        )
    }

    fn span_of(&self, node: NodeId) -> Span {
        self.position_of(node, false, |span, _| span)
            .unwrap_or_default()
    }

    fn is_leaf(&self, node: NodeId) -> bool {
        self.nodes[node as usize].is_leaf()
    }

    /// Where a leaf's value is in `text` (start, length); `None` for a pooled value.
    fn local_value(&self, node: NodeId) -> Option<(usize, usize)> {
        let n = self.nodes[node as usize];
        if !n.is_leaf() || n.pooled_id().is_some() {
            return None;
        }
        match n.data {
            0 => Some((0, 0)),
            i => self
                .values
                .get(i as usize - 1)
                .map(|&(start, len)| (start as usize, len as usize)),
        }
    }

    /// The node after the last descendant of `node` (its subtree is `node..subtree_end`).
    fn subtree_end(&self, node: NodeId) -> usize {
        let mut cur = node;
        loop {
            if let Some(next) = self.next_sibling(cur) {
                return next as usize;
            }
            match self.parent(cur) {
                Some(p) => cur = p,
                None => return self.nodes.len(),
            }
        }
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
        self.names.get(self.nodes[node as usize].name)
    }

    /// Decoded text of a leaf element ("" for elements with children).
    pub fn text(&self, node: NodeId) -> &str {
        if let Some(id) = self.nodes[node as usize].pooled_id() {
            return self.pool.as_ref().map_or("", |p| p.get(id));
        }
        match self.local_value(node) {
            Some((start, len)) => &self.text[start..start + len],
            None => "",
        }
    }

    /// Byte span of the whole element in the file.
    pub fn span(&self, node: NodeId) -> (usize, usize) {
        let span = self.span_of(node);
        (span.start as usize, span.end as usize)
    }

    pub fn parent(&self, node: NodeId) -> Option<NodeId> {
        match self.nodes[node as usize].parent_distance() {
            0 => None,
            TO_ROOT => Some(0),
            FAR => self
                .far_parents
                .binary_search_by_key(&node, |&(n, _)| n)
                .ok()
                .map(|i| self.far_parents[i].1),
            d => Some(node - NodeId::from(d)),
        }
    }

    fn next_sibling(&self, node: NodeId) -> Option<NodeId> {
        self.next_sibling_in(node, self.parent(node))
    }

    /// The next sibling of `node`, whose parent is `parent`.
    fn next_sibling_in(&self, node: NodeId, parent: Option<NodeId>) -> Option<NodeId> {
        let n = self.nodes[node as usize];
        if !n.is_leaf() {
            return (n.data != 0).then(|| node + n.data);
        }
        // A leaf has no descendants: the next node is its next sibling, or an ancestor's.
        let next = node + 1;
        ((next as usize) < self.nodes.len() && parent.is_some() && self.parent(next) == parent)
            .then_some(next)
    }

    /// Nodes are in document order: an element's first child is the node after it.
    fn first_child(&self, node: NodeId) -> NodeId {
        if self.is_leaf(node) {
            NONE
        } else {
            node + 1
        }
    }

    pub fn children(&self, node: NodeId) -> Children<'_> {
        Children {
            doc: self,
            parent: node,
            next: self.first_child(node),
        }
    }

    pub fn children_named<'a>(
        &'a self,
        node: NodeId,
        name: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        let id = self.names.id(name);
        let children = match id {
            Some(_) => self.children(node),
            None => Children {
                doc: self,
                parent: node,
                next: NONE,
            },
        };
        children.filter(move |&c| Some(self.nodes[c as usize].name) == id)
    }

    pub fn child(&self, node: NodeId, name: &str) -> Option<NodeId> {
        if node == 0 {
            let id = self.names.id(name)?;
            return self
                .root_first
                .get(id as usize)
                .copied()
                .filter(|&n| n != NONE);
        }
        self.children_named(node, name).next()
    }

    /// Trimmed text of the first child called `name`.
    pub fn child_text(&self, node: NodeId, name: &str) -> Option<&str> {
        self.child(node, name).map(|c| self.value(c))
    }

    /// `true` when the child `name` says `true` (Salesforce booleans; absent means false).
    pub fn child_flag(&self, node: NodeId, name: &str) -> bool {
        self.child(node, name).is_some_and(|c| self.is_true(c))
    }

    /// An element's text, trimmed: the value a metadata field holds.
    pub fn value(&self, node: NodeId) -> &str {
        self.text(node).trim()
    }

    /// Whether an element says `true` (a Salesforce boolean, in any case, around any space).
    pub fn is_true(&self, node: NodeId) -> bool {
        self.value(node).eq_ignore_ascii_case("true")
    }

    pub fn has_children(&self, node: NodeId) -> bool {
        self.first_child(node) != NONE
    }

    /// Map a byte range of `text(node)` to the byte range in the file it was decoded from.
    pub fn text_span(&self, node: NodeId, start: usize, end: usize) -> (usize, usize) {
        (
            self.raw_offset(node, start),
            self.raw_offset(node, end.max(start + 1) - 1) + 1,
        )
    }

    /// The file offset of byte `offset` of `text(node)`.
    fn raw_offset(&self, node: NodeId, offset: usize) -> usize {
        let len = self.text(node).len();
        self.position_of(node, true, |span, breaks| {
            positions::raw_offset(span, breaks, offset, len)
        })
        .unwrap_or(0)
    }

    /// Does any text inside `node` (itself and its descendants) contain `needle`, ignoring ASCII
    /// case? A cheap pre-filter before a policy walks the element in script.
    pub fn subtree_mentions(&self, node: NodeId, needle: &str) -> bool {
        self.subtree_mentions_any(node, &[needle])
    }

    /// Does any text inside `node` contain one of `needles`, ignoring ASCII case? One pass over
    /// the subtree however many needles (a flow is thousands of elements).
    pub fn subtree_mentions_any(&self, node: NodeId, needles: &[&str]) -> bool {
        let needles: Vec<Needle> = needles.iter().map(|n| Needle::new(n)).collect();
        if needles.is_empty() {
            return false;
        }
        (node as usize..self.subtree_end(node)).any(|id| {
            let text = self.text(id as NodeId).as_bytes();
            needles.iter().any(|n| n.is_in(text))
        })
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
        let mut parts = Vec::new();
        for id in node as usize + 1..self.subtree_end(node) {
            if !self.has_children(id as NodeId) {
                let t = self.text(id as NodeId).trim();
                if !t.is_empty() {
                    parts.push(t);
                }
            }
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

/// Children found by name in many elements: the names are looked up in a document's table once
/// (again only when the next element is in another document: a decomposed permission set's
/// parts), then each element's children are walked once for all of them. Effective permissions
/// read three to six children of each of thousands of grants.
pub struct ChildFinder<'d, const N: usize> {
    names: [&'static str; N],
    doc: Option<&'d Document>,
    ids: [Option<u16>; N],
}

impl<'d, const N: usize> ChildFinder<'d, N> {
    pub fn new(names: [&'static str; N]) -> Self {
        ChildFinder {
            names,
            doc: None,
            ids: [None; N],
        }
    }

    /// The first child of `node` with each name, as [`Document::child`] finds it.
    pub fn first(&mut self, doc: &'d Document, node: NodeId) -> [Option<NodeId>; N] {
        if !self.doc.is_some_and(|d| std::ptr::eq(d, doc)) {
            self.ids = self.names.map(|n| doc.names.id(n));
            self.doc = Some(doc);
        }
        let mut found = [None; N];
        let mut missing = self.ids.iter().filter(|id| id.is_some()).count();
        if missing == 0 {
            return found;
        }
        for child in doc.children(node) {
            let name = doc.nodes[child as usize].name;
            for (slot, id) in found.iter_mut().zip(&self.ids) {
                if slot.is_none() && *id == Some(name) {
                    *slot = Some(child);
                    missing -= 1;
                }
            }
            if missing == 0 {
                break;
            }
        }
        found
    }
}

pub struct Children<'a> {
    doc: &'a Document,
    parent: NodeId,
    next: NodeId,
}

impl Iterator for Children<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        if self.next == NONE {
            return None;
        }
        let cur = self.next;
        self.next = self
            .doc
            .next_sibling_in(cur, Some(self.parent))
            .unwrap_or(NONE);
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
    fn same_bytes_answers_as_equality_at_every_length() {
        // Every length up to past the widest inline case, equal and differing at each byte
        // (the overlapping loads must see a difference anywhere, first and last bytes included).
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_bytes(&a, &a.clone()), "equal, length {n}");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_bytes(&a, &b), "differs at {at}, length {n}");
            }
            let mut longer = a.clone();
            longer.push(b'a');
            assert!(
                !same_bytes(&a, &longer) && !same_bytes(&longer, &a),
                "lengths {n}, {}",
                n + 1
            );
        }
    }

    #[test]
    fn leaf_lengths_at_the_markers_are_kept_aside() {
        for len in [65_533usize, 65_534, 65_535, 65_536, 70_000] {
            let value = "a".repeat(len);
            let xml = format!("<R><v>{value}</v><w>x</w></R>");
            let doc = Document::parse(xml.as_bytes()).unwrap();
            assert_eq!(doc.text(1).len(), len, "{len}");
            assert_eq!(doc.text(2), "x");
            assert_eq!(doc.text_span(1, len - 1, len), (6 + len - 1, 6 + len));
        }
    }

    #[test]
    fn pooled_values_are_held_once_in_any_order() {
        // The pool guesses that a value is the one after the last: files listing the same
        // values in the same order, in another order, and with one value new.
        let values: Vec<String> = (0..6)
            .map(|i| format!("Account.Field_Number_{i}__c"))
            .collect();
        let file = |order: &[usize]| {
            let body: String = order
                .iter()
                .map(|&i| format!("<field>{}</field>", values[i]))
                .collect();
            format!("<Profile>{body}</Profile>")
        };
        let run = RunPools::new();
        let orders: [&[usize]; 4] = [
            &[0, 1, 2, 3],
            &[0, 1, 2, 3],
            &[3, 2, 1, 0],
            &[0, 4, 1, 5, 2],
        ];
        let docs: Vec<Document> = orders
            .iter()
            .map(|order| Document::parse_pooled_in_memory(file(order).as_bytes(), &run).unwrap())
            .collect();
        RunPools::release_thread();
        for (doc, order) in docs.iter().zip(orders) {
            let texts: Vec<&str> = doc.children(doc.root()).map(|c| doc.text(c)).collect();
            let expected: Vec<&str> = order.iter().map(|&i| values[i].as_str()).collect();
            assert_eq!(texts, expected);
        }
        let pool = docs[0].pool().unwrap();
        assert_eq!(pool.stats().0, 6, "each distinct value once");
    }

    /// `doc` maps the start, middle and end of `n`'s text to the file as `eager` does.
    fn assert_text_spans_agree(doc: &Document, eager: &Document, n: NodeId) {
        let len = eager.text(n).len();
        for (a, b) in [(0, 1), (len / 2, len / 2 + 3), (len.saturating_sub(2), len)] {
            if a < b && b <= len {
                assert_eq!(
                    doc.text_span(n, a, b),
                    eager.text_span(n, a, b),
                    "node {n} {a}..{b}"
                );
            }
        }
    }

    #[test]
    fn a_document_from_a_file_answers_like_one_parsed_in_memory() {
        // Pooled values (17..=256 bytes), short ones shared in the file, long ones, entities
        // and CDATA; two documents sharing the pool.
        let long = "x".repeat(300);
        let xml = format!(
            "\u{feff}<?xml version=\"1.0\"?>\n<Profile xmlns=\"urn:x\">\n  <fieldPermissions>\n    <editable>true</editable>\n    <field>Account.Very_Long_Field_Name__c</field>\n  </fieldPermissions>\n  <fieldPermissions>\n    <editable>true</editable>\n    <field>Account.Very_Long_Field_Name__c</field>\n  </fieldPermissions>\n  <description>{long}</description>\n  <formula>IF(a &lt; b, &quot;Account.Very_Long&quot;, c)</formula>\n  <c><![CDATA[<raw> text that is long enough]]></c>\n  <label>Caf\u{e9} \u{2014} a label of some length</label>\n</Profile>\n"
        );
        let dir = tempfile::tempdir().unwrap();
        let run = RunPools::new();
        let mut docs = Vec::new();
        for name in ["a.xml", "b.xml"] {
            let path = dir.path().join(name);
            std::fs::write(&path, &xml).unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let source = SourceRef {
                path: path.into(),
                len: bytes.len() as u64,
                hash: crate::source::content_hash(&bytes),
                lines: Default::default(),
            };
            docs.push(Document::parse_file(&bytes, source, &run).unwrap());
        }
        let eager = Document::parse(xml.as_bytes()).unwrap();
        for doc in &docs {
            assert_eq!(doc.len(), eager.len());
            for n in 0..eager.len() as NodeId {
                assert_eq!(doc.name(n), eager.name(n));
                assert_eq!(doc.text(n), eager.text(n), "node {n}");
                assert_eq!(doc.span(n), eager.span(n), "node {n}");
                assert_eq!(doc.parent(n), eager.parent(n));
                assert_eq!(doc.has_children(n), eager.has_children(n));
                assert_text_spans_agree(doc, &eager, n);
            }
        }
        // The repeated field name is held once, for both documents (parsed on one thread).
        let pool = docs[0].pool.as_ref().unwrap();
        assert!(std::ptr::eq(&**pool, &**docs[1].pool.as_ref().unwrap()));
        assert_eq!(pool.values.count(), 2, "the field name and the label");
        // So is the table of element names; a file with other names gets its own.
        assert!(std::sync::Arc::ptr_eq(&docs[0].names, &docs[1].names));
        let other_path = dir.path().join("c.xml");
        std::fs::write(&other_path, "<Profile><custom>true</custom></Profile>").unwrap();
        let bytes = std::fs::read(&other_path).unwrap();
        let source = SourceRef {
            path: other_path.into(),
            len: bytes.len() as u64,
            hash: crate::source::content_hash(&bytes),
            lines: Default::default(),
        };
        let other = Document::parse_file(&bytes, source, &run).unwrap();
        assert!(!std::sync::Arc::ptr_eq(&docs[0].names, &other.names));
        assert_eq!(other.name(1), "custom");
        assert_eq!(other.child_text(0, "custom"), Some("true"));
        RunPools::release_thread();
        // Another run gets another pool.
        let other = RunPools::new();
        assert!(!std::sync::Arc::ptr_eq(&other.current(), pool));
        RunPools::release_thread();
    }

    /// A profile-like file of `blocks` blocks in every shape the locator must window over:
    /// entities, CDATA, empty and attributed tags, comments, CRLF, non-ASCII text, a container
    /// whose subtree spans many windows (closing at depth), and a deep chain of elements.
    fn large_profile(blocks: usize) -> String {
        let mut xml = String::from("\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- generated -->\n<Profile xmlns=\"urn:x\">\n");
        for i in 0..blocks {
            match i % 9 {
                0 => xml += &format!("    <fieldPermissions>\n        <editable>true</editable>\n        <field>Account.F{i}__c</field>\n        <readable>true</readable>\n    </fieldPermissions>\n"),
                1 => xml += &format!("    <formula>IF(a &lt; {i}, &quot;x&quot;, b) &amp;&#x41;</formula>\n"),
                2 => xml += &format!("    <c><![CDATA[<raw> {i}]]> and &gt; more</c>\n"),
                3 => xml += &format!("    <flag/>\n    <x a=\"1\" b='>'>v{i}</x>\n    <e a=\"2\"/>\n"),
                4 => xml += &format!("    <!-- </not-a-tag> {i} -->\r\n    <label>Café — {i}</label>\r\n"),
                5 if i % 45 == 5 => {
                    xml += "    <layoutSections>\n";
                    for j in 0..150 {
                        xml += &format!("      <item><name>n{j}</name><sub><v>{j}</v><w/></sub></item>\n");
                    }
                    xml += "    </layoutSections>\n";
                }
                6 if i % 90 == 6 => {
                    for _ in 0..300 {
                        xml += "<n>";
                    }
                    xml += &format!("<leaf>{i}</leaf>");
                    for _ in 0..300 {
                        xml += "</n>";
                    }
                    xml += "\n";
                }
                _ => xml += &format!("    <custom>{}</custom>\n", i % 2 == 0),
            }
        }
        xml += "</Profile>\n<!-- trailing </Profile> -->\n";
        xml
    }

    #[test]
    fn an_element_located_alone_is_where_the_whole_file_records_it() {
        for blocks in [1, 40, 130, 600] {
            let xml = large_profile(blocks);
            let doc = parse(&xml);
            assert_eq!(
                doc.locating_alone_differs(xml.as_bytes()),
                None,
                "{blocks} blocks"
            );
        }
        // And each way of locating alone was taken: one window, two windows (the root and the
        // large container, whose end tags close elements opened before their last window).
        let xml = large_profile(600);
        let doc = parse(&xml);
        assert!(doc.len() > 20 * LOCATE_EVERY, "{} elements", doc.len());
        let located: Vec<Located> = (0..doc.len() as NodeId)
            .filter_map(|n| doc.locate_in(xml.as_bytes(), n))
            .collect();
        assert_eq!(
            located.len(),
            doc.len(),
            "every element of this file is located alone"
        );
        let spans_only: Vec<NodeId> = located
            .iter()
            .filter(|l| !l.text_known)
            .map(|l| l.node)
            .collect();
        assert!(spans_only.contains(&0), "the root takes two windows");
        assert!(spans_only
            .iter()
            .any(|&n| doc.name(n) == "layoutSections" || doc.name(n) == "n"));
        let deep = *spans_only
            .iter()
            .filter(|&&n| doc.name(n) == "n")
            .max()
            .unwrap();
        assert!(
            doc.parent(deep).is_some_and(|p| doc.name(p) == "n"),
            "closed at depth"
        );
        // A wrong count up the parents would end the root at an inner end tag.
        assert_eq!(
            doc.span(0).1,
            xml.find("</Profile>\n<!--").unwrap() + "</Profile>".len()
        );
        assert_eq!(located[0].span.end as usize, doc.span(0).1);
    }

    /// A file on disk and the document parsed from it (as a run reads it).
    fn parsed_file(dir: &std::path::Path, name: &str, xml: &str, run: &RunPools) -> Document {
        let path = dir.join(name);
        std::fs::write(&path, xml).unwrap();
        let source = SourceRef {
            path: path.into(),
            len: xml.len() as u64,
            hash: crate::source::content_hash(xml.as_bytes()),
            lines: Default::default(),
        };
        Document::parse_file(xml.as_bytes(), source, run).unwrap()
    }

    #[test]
    fn a_large_file_locates_its_elements_alone_and_answers_like_one_parsed_in_memory() {
        let xml = large_profile(600);
        assert!(xml.len() as u64 >= LOCATE_ALONE_FROM, "{} bytes", xml.len());
        let dir = tempfile::tempdir().unwrap();
        let run = RunPools::new();
        let doc = parsed_file(dir.path(), "big.xml", &xml, &run);
        RunPools::release_thread();
        let eager = parse(&xml);
        // The first elements asked are located alone: the whole file is not recorded.
        let asked: Vec<NodeId> = (0..doc.len() as NodeId).step_by(97).take(10).collect();
        for &n in &asked {
            assert_eq!(doc.span(n), eager.span(n), "element {n}");
        }
        assert!(
            doc.positions.get().is_none(),
            "recorded whole after {} elements",
            asked.len()
        );
        assert_eq!(doc.located.lock().unwrap().found.len(), asked.len());
        // Past `LOCATE_ALONE_MAX` elements, or asked where its text is after its span alone,
        // the whole file answers; every answer is the in-memory document's.
        for n in 0..doc.len() as NodeId {
            assert_eq!(doc.span(n), eager.span(n), "element {n}");
            assert_text_spans_agree(&doc, &eager, n);
        }
        assert!(doc.positions.get().is_some_and(Option::is_some));
        // A root asked where its text is, after its span alone: the whole file, the same answer.
        let doc = parsed_file(dir.path(), "root.xml", &xml, &run);
        RunPools::release_thread();
        assert_eq!(doc.span(0), eager.span(0));
        assert!(doc.positions.get().is_none());
        assert_eq!(doc.text_span(0, 0, 0), eager.text_span(0, 0, 0));
        assert!(doc.positions.get().is_some());
    }

    #[test]
    fn elements_located_alone_read_their_file_once_while_this_thread_holds_it() {
        let xml = large_profile(600);
        let dir = tempfile::tempdir().unwrap();
        let run = RunPools::new();
        let doc = parsed_file(dir.path(), "held.xml", &xml, &run);
        RunPools::release_thread();
        let eager = parse(&xml);
        assert_eq!(doc.span(5), eager.span(5));
        // Gone from disk: the next elements still come from the bytes read (and verified) once.
        std::fs::remove_file(dir.path().join("held.xml")).unwrap();
        for n in [700, 1500, 2400] {
            assert_eq!(doc.span(n), eager.span(n), "element {n}");
        }
        // Another file read in between, then this one again: it must be read, and is gone.
        let other = parsed_file(dir.path(), "other.xml", &xml, &run);
        RunPools::release_thread();
        assert_eq!(other.span(3000), eager.span(3000));
        assert_eq!(
            doc.span(3100),
            (0, 0),
            "a file that changed (here: vanished) locates nothing"
        );
    }

    #[test]
    fn a_large_file_changed_since_it_was_checked_locates_nothing() {
        let xml = large_profile(600);
        let dir = tempfile::tempdir().unwrap();
        let run = RunPools::new();
        let doc = parsed_file(dir.path(), "changed.xml", &xml, &run);
        RunPools::release_thread();
        std::fs::write(dir.path().join("changed.xml"), xml.replace("true", "TRUE")).unwrap();
        assert_eq!(doc.span(1000), (0, 0));
        assert_eq!(doc.text_span(1000, 0, 1), (0, 1));
        assert_eq!(doc.positions.get().map(Option::is_some), Some(false));
    }

    #[test]
    fn positions_read_again_also_give_the_file_its_lines() {
        let dir = tempfile::tempdir().unwrap();
        let run = RunPools::new();
        let xml = "<Profile>\n  <custom>true</custom>\n</Profile>\n";
        let mut files = Vec::new();
        for name in ["located.xml", "not-located.xml"] {
            let path = dir.path().join(name);
            std::fs::write(&path, xml).unwrap();
            let file = crate::source::SourceFile::from_bytes(
                name.into(),
                path.as_path(),
                true,
                xml.as_bytes(),
            );
            let origin = SourceRef {
                path: file.path.clone(),
                len: file.len,
                hash: file.hash(),
                lines: file.shared_lines(),
            };
            let doc = Document::parse_file(xml.as_bytes(), origin, &run).unwrap();
            files.push((path, file, doc));
        }
        RunPools::release_thread();
        // One document's positions are read (a finding in it); then both files vanish.
        assert_eq!(files[0].2.span(1).0, 12);
        for (path, _, _) in &files {
            std::fs::remove_file(path).unwrap();
        }
        // The located file's lines came with its positions: no second read was needed.
        assert!(!files[0].1.changed_before_located());
        assert_eq!(files[0].1.position(12), (2, 3));
        // The other needs its own read, which now fails: it says so.
        assert!(files[1].1.changed_before_located());
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
        // Any of several: each needle is looked for in every text, inside the node only.
        assert!(doc.subtree_mentions_any(a, &["$permission", "$USER"]));
        assert!(doc.subtree_mentions_any(b, &["$user", "$permission"]));
        assert!(!doc.subtree_mentions_any(a, &["$permission", "00e"]));
        assert!(!doc.subtree_mentions_any(doc.root(), &[]));
    }

    #[test]
    fn a_child_finder_finds_what_child_finds_across_documents() {
        // Two documents with different name tables, visited alternately: the finder must look
        // the names up again in each, and find the first child of each name (or none).
        let a = parse("<R><g><x>1</x><y>2</y><x>3</x></g><g><y>4</y></g><g/></R>");
        let b = parse("<R><g><z>5</z><x>6</x></g><g><x>7</x><x>8</x><y>9</y></g></R>");
        let names = ["x", "y", "z", "absent"];
        let mut finder = ChildFinder::new(names);
        let mut compared = 0;
        for _ in 0..2 {
            for doc in [&a, &b] {
                for g in doc.children(doc.root()) {
                    let expected = names.map(|n| doc.child(g, n));
                    assert_eq!(finder.first(doc, g), expected);
                    compared += 1;
                }
            }
        }
        assert_eq!(compared, 10);
    }

    #[test]
    fn every_name_is_found_by_length_then_bytes() {
        let names = ["b", "ab", "a", "abc", "ba", "field", "fields", "Field", "z"];
        let body: String = names.iter().map(|n| format!("<{n}>v</{n}>")).collect();
        let doc = parse(&format!("<R>{body}</R>"));
        for (i, name) in names.iter().enumerate() {
            assert_eq!(doc.child(doc.root(), name), Some(i as NodeId + 1), "{name}");
        }
        for absent in ["", "c", "abd", "fiel", "FIELD", "aa", "R2"] {
            assert_eq!(doc.child(doc.root(), absent), None, "{absent}");
        }
    }

    #[test]
    fn names_are_right_when_the_sequence_changes() {
        // The builder guesses each name from the one before it: every guess here is tested
        // both right and wrong.
        let names = [
            "a", "b", "a", "c", "a", "b", "b", "c", "c", "a", "ab", "a", "b",
        ];
        let body: String = names.iter().map(|n| format!("<{n}>x</{n}>")).collect();
        let doc = parse(&format!("<R>{body}</R>"));
        let got: Vec<&str> = doc.children(doc.root()).map(|c| doc.name(c)).collect();
        assert_eq!(got, names);
    }

    #[test]
    fn subtree_mentions_answers_like_a_lowercased_search() {
        let texts = [
            "",
            "a",
            "$USER.Username",
            "x$uSeR",
            "005000000",
            "id 00E1x",
            "tail $us",
            "é$User",
            "&lt;$user",
            "ab",
            "AB",
            "0",
        ];
        let needles = ["", "$user", "00e", "005", "b", "B", "$us", "é", "ab", "zz"];
        for text in texts {
            let escaped = text.replace('&', "&amp;");
            let doc = parse(&format!("<R><a><f>{escaped}</f><g/></a></R>"));
            let a = doc.child(doc.root(), "a").unwrap();
            for needle in needles {
                let expected = doc
                    .text(a + 1)
                    .to_ascii_lowercase()
                    .contains(&needle.to_ascii_lowercase())
                    && !(needle.is_empty() && text.is_empty());
                assert_eq!(
                    doc.subtree_mentions(a, needle),
                    expected,
                    "{text:?} {needle:?}"
                );
            }
            // Any of two: what the two searches would answer, for every pair.
            for first in needles {
                for second in needles {
                    assert_eq!(
                        doc.subtree_mentions_any(a, &[first, second]),
                        doc.subtree_mentions(a, first) || doc.subtree_mentions(a, second),
                        "{text:?} {first:?} {second:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_second_bom_is_skipped_as_quick_xml_skips_it_and_a_third_is_text() {
        // One BOM is the file's; quick-xml drops one more without counting it. Positions stay
        // true either way, and a third is text outside the root, as it always was.
        let src = "\u{FEFF}\u{FEFF}<Root><a>x</a></Root>";
        let doc = parse(src);
        let a = doc.child(doc.root(), "a").unwrap();
        let (s, e) = doc.span(a);
        assert_eq!(&src.as_bytes()[s..e], b"<a>x</a>");
        assert_eq!(doc.span(doc.root()).0, 6);
        let third = Document::parse("\u{FEFF}\u{FEFF}\u{FEFF}<R/>".as_bytes()).unwrap_err();
        assert!(
            third.message.contains("text outside the root"),
            "{}",
            third.message
        );
        assert_eq!(third.offset, 6);
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

    /// Every character of every value points back to where it came from: itself in the file, or
    /// the `&` of the reference it was decoded from; in order. Values read in pieces (entities,
    /// CDATA), a value equal to an earlier one (held once), text before a child element (not a
    /// value), and the same document parsed for a run (values pooled, positions re-recorded).
    #[test]
    fn every_character_of_a_value_points_back_to_where_it_came_from() {
        let src = "<R>\n <a>x &amp;&amp; y<![CDATA[<z>]]>&#65;end</a>\n <b>x &amp;&amp; y<![CDATA[<z>]]>&#65;end</b>\n \
                   <c>true</c><d>true</d><e>lead<f>&lt;in&gt;</f></e>\n <g>&#x1F600;&quot;q</g><h><![CDATA[]]>t</h>\n \
                   <i>plain text long enough to be pooled by a run</i><j>plain text long enough to be pooled by a run</j></R>";
        let run = RunPools::new();
        let pooled = Document::parse_pooled_in_memory(src.as_bytes(), &run).unwrap();
        RunPools::release_thread();
        for doc in [parse(src), pooled] {
            let mut values = 0;
            for n in 0..doc.len() as NodeId {
                let text = doc.text(n);
                let mut last = None;
                for (i, c) in text.char_indices() {
                    let (s, e) = doc.text_span(n, i, i + c.len_utf8());
                    let raw = &src.as_bytes()[s..e];
                    let from = if raw[0] == b'&' {
                        b'&'
                    } else {
                        c.to_string().as_bytes()[0]
                    };
                    assert_eq!(raw[0], from, "{c:?} of <{}> points at {s}", doc.name(n));
                    assert!(last < Some(s), "<{}> goes back at {c:?}", doc.name(n));
                    last = Some(s);
                }
                values += usize::from(!text.is_empty());
            }
            assert_eq!(values, 9);
            let e = doc.child(doc.root(), "e").unwrap();
            assert_eq!(doc.text(e), "", "text before a child is not a value");
        }
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

    /// Whether the scanner reads `xml` itself (rather than leaving it to quick-xml).
    fn scanned(xml: &str) -> bool {
        let mut builder = Builder::new(Vec::new(), String::new(), 0, None);
        scan::scan(xml, 0, &mut builder).is_ok()
    }

    #[test]
    fn the_scanner_and_quick_xml_build_the_same_document() {
        // (input, whether the scanner reads it itself)
        let cases: &[(&str, bool)] = &[
            ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Profile xmlns=\"http://soap.sforce.com/2006/04/metadata\">\n  <custom>false</custom>\n  <fieldPermissions>\n    <editable>true</editable>\n    <field>Account.Name</field>\n  </fieldPermissions>\n</Profile>\n", true),
            ("<R><f>a &lt; b &amp;&amp; c &#x41;&#66;</f><g>&quot;&apos;&gt;</g></R>", true),
            ("<R><c><![CDATA[<raw> & ]] text]]></c><c>x<![CDATA[y]]>z</c></R>", true),
            ("<!-- lead --><R><!----><a>x<!-- - -- ->-->y</a><!---x--></R><!-- tail -->", true),
            ("<R><e/><e /><e a=\"1\"/><f a='>' b=\"'\">v</f><g xsi:nil=\"true\"/></R>", true),
            ("<ns:R xmlns:ns=\"u\"><ns:a>x</ns:a></ns:R>", true),
            ("<R>\r\n  <a>line\r\nbreak</a>\r\n</R>\r\n", true),
            ("<?pi stuff?><R><?other ?>x</R>", true),
            ("<R><caf\u{e9}>x</caf\u{e9}></R>", false),
            ("<!DOCTYPE R><R/>", false),
            ("<R><a>x</a ></R>", false),
            ("<R><a>x</b></R>", false),
            ("<R><a>x</a>", false),
            ("<R>&bogus;</R>", false),
            ("<R>&#0;</R>", false),
            ("<R>& x</R>", false),
            ("<R>&lt</R>", false),
            ("", false),
            ("text<R/>", false),
            ("<R/><S/>", false),
            ("<R attr=></R>", false),
            ("<R a=\"&bad;\"/>", false),
            ("<R a=\"1\" a=\"2\"/>", false),
            ("<?>", false),
            ("<??><R/>", true),
            ("<!--><R/>-->", false),
            ("<!-x-><R/>", false),
            ("<![CDATA[x]]><R/>", true),
            ("<R><![CDATA[x]]</R>", false),
            ("<R></R", false),
            ("<R>x</R>&amp;", false),
            ("< R/>", false),
            ("<R><a/ ></R>", false),
            ("<R><a>x&/a></a></R>", false),
            ("<R><a>x&/a></R>", false),
            ("<R><a>x&amp;/a></a><b></b><c>  </c><d>v</d ></R>", false),
            ("<R><a></a><b>  </b><c>\n</c><d>v</d><e>&lt;</e><f>x<!-- c --></f></R>", true),
            ("<R>x</R>", true),
            ("<R></R>", true),
        ];
        for (xml, fast) in cases {
            assert_eq!(scanned(xml), *fast, "does the scanner read {xml:?}?");
            match (
                Document::parse(xml.as_bytes()),
                Document::parse_with_quick_xml(xml.as_bytes()),
            ) {
                (Ok(a), Ok(b)) => assert_eq!(a.differs_from(&b), None, "{xml:?}"),
                (Err(a), Err(b)) => assert_eq!(a, b, "{xml:?}"),
                (a, b) => panic!("{xml:?}: {a:?} but quick-xml: {b:?}"),
            }
        }
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
    fn a_file_may_name_up_to_65534_distinct_elements() {
        let mut xml = String::from("<R>");
        for i in 0..65_533 {
            xml.push_str(&format!("<e{i}/>"));
        }
        let doc = Document::parse(format!("{xml}<last>x</last></R>").as_bytes()).unwrap();
        assert_eq!(doc.child_text(0, "last"), Some("x"));
        assert_eq!(doc.name(40_000), "e39999");
        let error = Document::parse(format!("{xml}<one/><more/></R>").as_bytes()).unwrap_err();
        assert!(
            error.message.contains("more than 65,534"),
            "{}",
            error.message
        );
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

    /// The tree a document answers (children, parent, text) against one built by hand from the
    /// same nesting: leaves next to elements with children, empty elements, a leaf whose next
    /// node is an ancestor's sibling, and parents and siblings more than 65,535 nodes away.
    #[test]
    fn links_and_leaf_values_match_the_nesting() {
        // (name, text, children) written out, and the expected (parent, children, text) per node.
        enum T {
            Leaf(&'static str, String),
            El(&'static str, Vec<T>),
        }
        fn write(t: &T, out: &mut String) {
            match t {
                T::Leaf(n, v) if v.is_empty() => out.push_str(&format!("<{n}/>")),
                T::Leaf(n, v) => out.push_str(&format!("<{n}>{v}</{n}>")),
                T::El(n, kids) => {
                    out.push_str(&format!("<{n}>\n  "));
                    for k in kids {
                        write(k, out);
                    }
                    out.push_str(&format!("</{n}>"));
                }
            }
        }
        fn expect(
            t: &T,
            parent: Option<NodeId>,
            nodes: &mut Vec<(Option<NodeId>, Vec<NodeId>, String)>,
        ) -> NodeId {
            let id = nodes.len() as NodeId;
            match t {
                T::Leaf(_, v) => nodes.push((parent, vec![], v.clone())),
                T::El(_, kids) => {
                    nodes.push((parent, vec![], String::new()));
                    for k in kids {
                        let child = expect(k, Some(id), nodes);
                        nodes[id as usize].1.push(child);
                    }
                }
            }
            id
        }
        let block = |i: usize| {
            T::El(
                "fieldPermissions",
                vec![
                    T::Leaf("editable", "true".into()),
                    T::Leaf("field", format!("Account.Field_{i}__c")),
                    T::Leaf("hidden", String::new()),
                ],
            )
        };
        let many: Vec<T> = (0..30_000).map(block).collect();
        let tree = T::El(
            "Profile",
            vec![
                T::Leaf("custom", "true".into()),
                T::El("big", many),
                T::Leaf(
                    "after",
                    "a leaf 90,000 nodes after its previous sibling".into(),
                ),
                T::El(
                    "nested",
                    vec![T::El("inner", vec![T::Leaf("x", "1".into())])],
                ),
                T::Leaf("empty", String::new()),
                T::Leaf("last", "true".into()),
            ],
        );
        let mut xml = String::new();
        write(&tree, &mut xml);
        let mut nodes = Vec::new();
        expect(&tree, None, &mut nodes);
        let doc = parse(&xml);
        assert_eq!(doc.len(), nodes.len());
        for (id, (parent, children, text)) in nodes.iter().enumerate() {
            let id = id as NodeId;
            assert_eq!(doc.parent(id), *parent, "parent of {id}");
            assert_eq!(
                &doc.children(id).collect::<Vec<_>>(),
                children,
                "children of {id}"
            );
            assert_eq!(doc.has_children(id), !children.is_empty(), "{id}");
            assert_eq!(doc.text(id), text, "text of {id}");
        }
        assert_eq!(
            doc.child_text(0, "after"),
            Some("a leaf 90,000 nodes after its previous sibling")
        );
        assert_eq!(doc.child_text(0, "last"), Some("true"));
        // `true` is held once however many leaves say it.
        assert_eq!(doc.text.matches("true").count(), 1);
    }
}
