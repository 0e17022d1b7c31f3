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

    /// The file offset of byte `offset` of `node`'s value, which is `len` bytes long.
    pub fn raw_offset(&self, node: NodeId, offset: usize, len: usize) -> usize {
        let span = self.spans.get(node as usize).copied().unwrap_or_default();
        if len == 0 {
            return span.text_raw as usize;
        }
        let at = offset.min(len - 1);
        let i = self
            .breaks
            .partition_point(|b| (b.node, b.decoded as usize) <= (node, at));
        match i.checked_sub(1).map(|i| self.breaks[i]) {
            Some(b) if b.node == node => b.raw as usize + (at - b.decoded as usize),
            _ => span.text_raw as usize + at,
        }
    }
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
}

impl Recorder {
    pub fn new(len: usize) -> Recorder {
        Recorder {
            positions: Positions {
                spans: Vec::with_capacity(len / 40 + 8),
                breaks: Vec::new(),
            },
            stack: Vec::new(),
        }
    }

    pub fn finish(mut self) -> Positions {
        self.positions.spans.shrink_to_fit();
        self.positions.breaks.shrink_to_fit();
        self.positions
    }

    fn open(&mut self, start: usize) -> NodeId {
        let p = &mut self.positions;
        let id = p.spans.len() as NodeId;
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
        self.positions.spans[node as usize].end = after as u32;
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
        let Some(open) = self.stack.pop() else { return };
        let p = &mut self.positions;
        let span = &mut p.spans[open.node as usize];
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
