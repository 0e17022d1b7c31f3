//! Where each element of a document is in its file: the one owner of element positions.
//!
//! A run keeps no positions: the first time a finding needs one in a file, the file is read
//! again (verified by its length and hash) and this recorder goes over it. It takes the same
//! events as the builder, from the same scanner (or from quick-xml for what the scanner
//! declines), so its elements are numbered as the document's nodes are; but it builds no
//! document. It keeps only offsets: no names, no values, no pool. A document parsed in memory
//! (tests, `sfpolicy test` cases) records its positions the same way, from the same bytes.

use super::{resolve_reference, NodeId, Sink, XmlError};

/// Where an element is in its file: `<` of the start tag .. just after the `>` of the end tag,
/// and where its text content starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Span {
    pub start: u32,
    pub end: u32,
    pub text_raw: u32,
}

/// A place where a leaf's decoded text stops following its raw bytes one for one (after an
/// entity, across CDATA): from byte `decoded` of the leaf's value on, the value comes from the
/// file at `raw`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Break {
    node: NodeId,
    decoded: u32,
    raw: u32,
}

/// The positions of a document's elements.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Positions {
    pub spans: Vec<Span>,
    /// In node order, then by offset in the value: only leaves with more than one piece of
    /// text (an entity, CDATA) have any.
    breaks: Vec<Break>,
}

impl Positions {
    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.spans.capacity() * std::mem::size_of::<Span>()
            + self.breaks.capacity() * std::mem::size_of::<Break>()
    }

    /// `node`'s span and its breaks.
    pub fn of(&self, node: NodeId) -> (Span, &[Break]) {
        let span = self.spans.get(node as usize).copied().unwrap_or_default();
        let from = self.breaks.partition_point(|b| b.node < node);
        let to = self.breaks.partition_point(|b| b.node <= node);
        (span, &self.breaks[from..to])
    }
}

/// The file offset of byte `offset` of a value `len` bytes long, whose element has `span` and
/// `breaks` (its own, in order).
pub(super) fn raw_offset(span: Span, breaks: &[Break], offset: usize, len: usize) -> usize {
    if len == 0 {
        return span.text_raw as usize;
    }
    let at = offset.min(len - 1);
    let i = breaks.partition_point(|b| b.decoded as usize <= at);
    match i.checked_sub(1).map(|i| breaks[i]) {
        Some(b) => b.raw as usize + (at - b.decoded as usize),
        None => span.text_raw as usize + at,
    }
}

/// One element located alone: its span and breaks, from a scan of a window of its file (see
/// `Document::locate_in`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Located {
    pub node: NodeId,
    pub span: Span,
    pub breaks: Box<[Break]>,
    /// `span.text_raw` and `breaks` are known: false for an element whose start and end were
    /// found in two windows, its text between them unseen (ask the whole file for those).
    pub text_known: bool,
}

/// An element still open while recording.
struct Open {
    node: NodeId,
    has_child: bool,
    /// Its text so far holds a non-blank piece (blank text before one is indentation).
    has_text: bool,
    /// Decoded bytes of its text so far.
    decoded: u32,
    /// Where its first non-blank piece of text starts in the file.
    text_raw: u32,
    /// `breaks` held before its text began: its own are the ones after.
    breaks_mark: u32,
}

/// Records positions from the scanner's (or quick-xml's) events; see the module comment.
/// The text rules are the builder's: blank text before the first non-blank piece is skipped,
/// and an element with child elements has no value (its text is indentation).
pub(super) struct Recorder {
    positions: Positions,
    stack: Vec<Open>,
    /// The number of the first element seen: 0 for a whole file, the element a window of the
    /// file starts at otherwise (`spans[i]` is then element `first + i`).
    first: NodeId,
    /// In a window: where each end tag of an element opened before it ends, in order (the
    /// parent of `first`, then its parent...).
    outer_ends: Vec<u32>,
}

impl Recorder {
    pub fn new(len: usize) -> Recorder {
        Recorder {
            positions: Positions {
                spans: Vec::with_capacity(len / 40 + 8),
                breaks: Vec::new(),
            },
            stack: Vec::new(),
            first: 0,
            outer_ends: Vec::new(),
        }
    }

    /// A recorder for a window of a file that starts at the start tag of element `first`.
    /// The end tags of elements opened before the window close nothing here.
    pub fn window(first: NodeId) -> Recorder {
        Recorder {
            first,
            ..Recorder::new(0)
        }
    }

    /// Where `node` starts, when its start tag was seen.
    pub fn start_of(&self, node: NodeId) -> Option<u32> {
        let span = self
            .positions
            .spans
            .get(node.checked_sub(self.first)? as usize)?;
        Some(span.start)
    }

    /// Where the `i`th end tag of an element opened before the window ends (0: `first`'s
    /// parent).
    pub fn outer_end(&self, i: usize) -> Option<u32> {
        self.outer_ends.get(i).copied()
    }

    /// `node` as recorded, when its end was seen.
    pub fn located(&self, node: NodeId) -> Option<Located> {
        let span = *self
            .positions
            .spans
            .get(node.checked_sub(self.first)? as usize)?;
        // A start tag records `end == start` until its end tag; every element ends after it
        // starts.
        (span.end > span.start).then(|| Located {
            node,
            span,
            breaks: self
                .positions
                .breaks
                .iter()
                .filter(|b| b.node == node)
                .copied()
                .collect(),
            text_known: true,
        })
    }

    pub fn finish(mut self) -> Positions {
        self.positions.spans.shrink_to_fit();
        self.positions.breaks.shrink_to_fit();
        self.positions
    }

    fn open(&mut self, start: usize) -> NodeId {
        let p = &mut self.positions;
        let id = self.first + p.spans.len() as NodeId;
        p.spans.push(Span {
            start: start as u32,
            end: start as u32,
            text_raw: start as u32,
        });
        if let Some(parent) = self.stack.last_mut() {
            // Text before a child element is not the parent's value.
            p.breaks.truncate(parent.breaks_mark as usize);
            parent.has_child = true;
            parent.has_text = false;
            parent.decoded = 0;
        }
        id
    }

    fn text(&mut self, piece: &str, raw: usize) {
        let Some(open) = self.stack.last_mut() else {
            return;
        };
        if !open.has_text {
            if piece.bytes().all(|b| b.is_ascii_whitespace()) {
                return;
            }
            open.has_text = true;
            open.text_raw = raw as u32;
        } else {
            let breaks = &mut self.positions.breaks;
            let predicted = match breaks.last() {
                Some(b) if breaks.len() > open.breaks_mark as usize => {
                    b.raw as usize + (open.decoded - b.decoded) as usize
                }
                _ => open.text_raw as usize + open.decoded as usize,
            };
            if predicted != raw {
                breaks.push(Break {
                    node: open.node,
                    decoded: open.decoded,
                    raw: raw as u32,
                });
            }
        }
        open.decoded += piece.len() as u32;
    }
}

impl<'s> Sink<'s> for Recorder {
    fn start_tag(&mut self, _qualified: &'s str, before: usize) -> Result<(), XmlError> {
        let node = self.open(before);
        self.stack.push(Open {
            node,
            has_child: false,
            has_text: false,
            decoded: 0,
            text_raw: before as u32,
            breaks_mark: self.positions.breaks.len() as u32,
        });
        Ok(())
    }

    fn empty_tag(
        &mut self,
        _qualified: &'s str,
        before: usize,
        after: usize,
    ) -> Result<(), XmlError> {
        let node = self.open(before);
        self.positions.spans[(node - self.first) as usize].end = after as u32;
        Ok(())
    }

    fn text_event(&mut self, text: &str, before: usize) -> Result<(), XmlError> {
        self.text(text, before);
        Ok(())
    }

    fn cdata(&mut self, content: &str, before: usize) {
        self.text(content, before + "<![CDATA[".len());
    }

    fn reference(&mut self, name: &str, before: usize) -> Result<(), XmlError> {
        let decoded = resolve_reference(name, before)?;
        let mut buf = [0u8; 4];
        self.text(decoded.encode_utf8(&mut buf), before);
        Ok(())
    }

    fn close(&mut self, end: usize) {
        let Some(open) = self.stack.pop() else {
            self.outer_ends.push(end as u32);
            return;
        };
        let p = &mut self.positions;
        let span = &mut p.spans[(open.node - self.first) as usize];
        span.end = end as u32;
        span.text_raw = open.text_raw;
        if open.has_child {
            p.breaks.truncate(open.breaks_mark as usize);
        }
        let held = p.breaks.len() as u32;
        if let Some(parent) = self.stack.last_mut() {
            parent.breaks_mark = held;
        }
    }

    fn has_root(&self) -> bool {
        !self.positions.spans.is_empty()
    }
}
