//! The files a run read, once: every line/column answer, every path shown to a user, and the
//! text reports quote.
//!
//! Metadata bytes are parsed and dropped; the database keeps, per file, a line index and a
//! content hash. A report that quotes source lines re-reads the file and checks the hash, so it
//! never shows other text than was checked: a file changed since is said to be changed, not
//! quoted. Small files the run holds as text anyway (`sfpolicy.toml`, `integrations.toml`) are
//! kept as they were read.

pub mod git;
pub mod paths;

pub use paths::{PathStyle, RepoPaths};

use rustc_hash::FxHashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// Index of a file in the [`SourceDb`].
pub type FileId = u32;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The bytes as text with every byte offset kept: a byte that is not part of valid UTF-8 becomes
/// `?` (one byte), where `from_utf8_lossy` would put a three-byte U+FFFD and shift every offset
/// after it away from the line index built on the bytes.
pub fn text_same_offsets(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat('?').take(chunk.invalid().len()));
    }
    std::borrow::Cow::Owned(out)
}

/// The bytes of a file the run reads (metadata, config, register, policy, baseline). Only a
/// regular file (or a link to one) is read: a FIFO would block the run forever, a device would
/// never end.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_into(path, &mut bytes)?;
    Ok(bytes)
}

/// [`read`] into `buf` (cleared first), so that a thread reading thousands of files reuses one
/// buffer. One open and one `fstat` of the open file: the kind of file is checked on what was
/// opened, and opening never blocks (a FIFO is opened non-blocking, then refused).
pub fn read_into(path: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    use std::io::Read;
    buf.clear();
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let not_a_file = |meta: &std::fs::Metadata| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            if meta.is_dir() {
                "is a folder, not a file"
            } else {
                "is not a regular file (a FIFO, socket or device)"
            },
        )
    };
    let file = match options.open(path) {
        Ok(file) => file,
        // A socket cannot be opened, a FIFO may refuse: say what it is, not the OS's words.
        Err(error) => {
            return Err(match std::fs::metadata(path) {
                Ok(meta) if !meta.is_file() => not_a_file(&meta),
                _ => error,
            })
        }
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_a_file(&meta));
    }
    // The length `fstat` gave: what is read is that snapshot (a file still being written is
    // read to where it was), in one `read` for most files. `File::read_to_end` would ask the
    // length again (another `statx` and an `lseek`) and read once more to see the end.
    let len = meta.len();
    buf.reserve_exact(usize::try_from(len).unwrap_or(0).saturating_add(1));
    if len == 0 {
        // A file that says it is empty may not be (procfs, some FUSE file systems): read to its end.
        (&file).read_to_end(buf)?;
    } else {
        file.take(len).read_to_end(buf)?;
    }
    Ok(())
}

/// [`read`], as UTF-8 text.
pub fn read_to_string(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read(path)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "is not UTF-8 text"))
}

/// 1-based line and column (in characters); the end is exclusive (just after the element).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Where each line starts, and where each multi-byte character is: a column counts characters
/// without the file's text being kept.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    starts: Vec<u32>,
    /// Byte offset of each character longer than one byte, and its length minus one (a byte
    /// that is not UTF-8 counts as one character).
    wide: Vec<(u32, u8)>,
    bom: bool,
    /// Bytes indexed: not the file's length when the file changed before its lines were read.
    len: u64,
}

/// The multi-byte characters of `bytes` (see `LineIndex::wide`): every invalid byte counts as
/// one character, as it does in the text a report quotes (`text_same_offsets`).
fn wide_chars(bytes: &[u8]) -> Vec<(u32, u8)> {
    if std::str::from_utf8(bytes).is_ok() {
        return wide_chars_valid(bytes);
    }
    let mut wide = Vec::new();
    let mut offset = 0usize;
    for chunk in bytes.utf8_chunks() {
        for (i, c) in chunk.valid().char_indices() {
            let len = c.len_utf8();
            if len > 1 {
                wide.push(((offset + i) as u32, (len - 1) as u8));
            }
        }
        offset += chunk.valid().len() + chunk.invalid().len();
    }
    wide.shrink_to_fit();
    wide
}

/// [`wide_chars`] of valid UTF-8: a character of two bytes or more starts with a byte of 0xC0 or
/// more (its other bytes are 0x80 to 0xBF), whose leading ones count its bytes. Blocks without
/// such a byte (most of any file) are passed over by one branch-free test each.
fn wide_chars_valid(bytes: &[u8]) -> Vec<(u32, u8)> {
    let mut wide = Vec::new();
    for (block, chunk) in bytes.chunks(64).enumerate() {
        if !chunk.iter().fold(false, |any, &b| any | (b >= 0xC0)) {
            continue;
        }
        for (i, &b) in chunk.iter().enumerate() {
            if b >= 0xC0 {
                wide.push(((block * 64 + i) as u32, (b.leading_ones() - 1) as u8));
            }
        }
    }
    wide.shrink_to_fit();
    wide
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> LineIndex {
        // Counted first, so the vector is allocated once at its size and kept for the run.
        let mut starts = Vec::with_capacity(memchr::memchr_iter(b'\n', bytes).count() + 1);
        starts.push(0);
        starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i as u32 + 1));
        LineIndex {
            starts,
            wide: if bytes.is_ascii() {
                Vec::new()
            } else {
                wide_chars(bytes)
            },
            bom: bytes.starts_with(UTF8_BOM),
            len: bytes.len() as u64,
        }
    }

    /// 0-based line of a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|&s| s as usize <= offset)
            .saturating_sub(1)
    }

    /// Byte offset where a 0-based line starts (the end of the file past the last line).
    pub fn line_start(&self, line: usize, len: usize) -> usize {
        self.starts.get(line).map_or(len, |&s| s as usize)
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 1-based line and character column of a byte offset (a byte-order mark is not a character
    /// anyone sees; an offset inside a character counts from that character's start).
    pub fn position(&self, offset: usize) -> (usize, usize) {
        // Past the end only when the file changed (or could not be read again) before it was
        // indexed: the index is then empty, and the answer is the file's start rather than a
        // column of text that is not there.
        let offset = offset.min(usize::try_from(self.len).unwrap_or(usize::MAX));
        let line = self.line_index(offset);
        let start = self.starts.get(line).map_or(0, |&s| s as usize);
        let mut end = offset.max(start);
        let lo = self.wide.partition_point(|&(o, _)| (o as usize) < start);
        let mut hi = self.wide.partition_point(|&(o, _)| (o as usize) < end);
        if let Some(&(o, extra)) = hi.checked_sub(1).and_then(|i| self.wide.get(i)) {
            if hi > lo && o as usize + 1 + extra as usize > end {
                end = o as usize;
                hi -= 1;
            }
        }
        let extra: usize = self.wide[lo..hi].iter().map(|&(_, e)| e as usize).sum();
        let mut column = end - start - extra;
        if line == 0 && self.bom && end >= 3 {
            column -= 1;
        }
        (line + 1, column + 1)
    }
}

/// Largest char boundary at or before `i`.
pub fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Smallest char boundary at or after `i`.
pub fn ceil_char_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The text of a file as reports see it.
#[derive(Debug, Clone)]
pub enum Text {
    /// What was checked (verified against the content hash).
    Checked(Arc<str>),
    /// The file changed (or vanished) after it was checked: its text is not shown.
    Changed,
    /// Never read (a symbolic link not followed, a folder or file that could not be read): the
    /// finding about it says why.
    Unread,
}

/// One file a finding can point into: metadata, config, register.
#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the project root, forward slashes.
    pub rel: String,
    /// Shared with the document parsed from it (which re-reads it for positions).
    pub path: Arc<Path>,
    /// A metadata file (counted in "files checked").
    pub metadata: bool,
    pub len: u64,
    hash: u64,
    /// Line starts: built when a position is first asked, from the text re-read and verified
    /// (a file without findings never needs them), or by the document parsed from the file when
    /// it re-reads the file for its elements' positions.
    lines: SharedLines,
    text: OnceLock<Text>,
}

/// A file's line index, shared by its `SourceFile` and the document parsed from it: the first to
/// read the file again (for a finding's element position, or for a line) builds it from the
/// bytes it verified, so a located file is read once more, not twice. The shared cell costs
/// every file a small allocation (about 40 bytes: 2.6 MB over five copies of the corpus); the
/// index itself is boxed, built only for files a finding points into.
#[derive(Debug, Clone, Default)]
pub struct SharedLines(Arc<OnceLock<Box<LineIndex>>>);

impl SharedLines {
    /// Build the index from `bytes` (the file's verified content) unless it is built already.
    pub fn fill(&self, bytes: &[u8]) {
        self.0
            .get_or_init(|| Box::new(crate::alloc::uncounted(|| LineIndex::new(bytes))));
    }
}

impl SourceFile {
    /// The line index, to share with the document parsed from this file.
    pub fn shared_lines(&self) -> SharedLines {
        self.lines.clone()
    }

    /// A file whose bytes were read for parsing; the bytes are not kept.
    pub fn from_bytes(
        rel: String,
        path: impl Into<Arc<Path>>,
        metadata: bool,
        bytes: &[u8],
    ) -> SourceFile {
        SourceFile {
            rel,
            path: path.into(),
            metadata,
            len: bytes.len() as u64,
            hash: content_hash(bytes),
            lines: SharedLines::default(),
            text: OnceLock::new(),
        }
    }

    /// A small file whose text the run holds anyway (config, register): kept as read.
    pub fn from_text(rel: String, path: impl Into<Arc<Path>>, text: &str) -> SourceFile {
        let file = SourceFile::from_bytes(rel, path, false, text.as_bytes());
        let _ = file.lines.0.set(Box::new(LineIndex::new(text.as_bytes())));
        let _ = file.text.set(Text::Checked(Arc::from(text)));
        file
    }

    /// A file that could not be read: no text, no lines.
    pub fn unreadable(rel: String, path: impl Into<Arc<Path>>, metadata: bool) -> SourceFile {
        let file = SourceFile::from_bytes(rel, path, metadata, b"");
        let _ = file.lines.0.set(Box::new(LineIndex::new(b"")));
        let _ = file.text.set(Text::Unread);
        file
    }

    /// The text that was checked, re-read from disk and verified on first use.
    pub fn text(&self) -> &Text {
        self.text.get_or_init(|| {
            crate::alloc::uncounted(|| match read(&self.path) {
                Ok(bytes)
                    if bytes.len() as u64 == self.len && content_hash(&bytes) == self.hash =>
                {
                    Text::Checked(Arc::from(text_same_offsets(&bytes).as_ref()))
                }
                _ => Text::Changed,
            })
        })
    }

    pub fn hash(&self) -> u64 {
        self.hash
    }

    /// The checked text, read again and verified, without keeping it: for a report that quotes
    /// file after file and holds only the one it is quoting.
    pub fn read_checked(&self) -> Text {
        if let Some(text) = self.text.get() {
            return text.clone();
        }
        match read(&self.path) {
            Ok(bytes) if bytes.len() as u64 == self.len && content_hash(&bytes) == self.hash => {
                Text::Checked(Arc::from(text_same_offsets(&bytes).as_ref()))
            }
            _ => Text::Changed,
        }
    }

    pub fn checked_text(&self) -> Option<&str> {
        match self.text() {
            Text::Checked(t) => Some(t),
            Text::Changed | Text::Unread => None,
        }
    }

    pub fn lines(&self) -> &LineIndex {
        self.lines.0.get_or_init(|| {
            Box::new(crate::alloc::uncounted(|| {
                if let Some(Text::Checked(t)) = self.text.get() {
                    return LineIndex::new(t.as_bytes());
                }
                // The lines only: the text is not kept for a file no report quotes.
                match read(&self.path) {
                    Ok(bytes)
                        if bytes.len() as u64 == self.len && content_hash(&bytes) == self.hash =>
                    {
                        LineIndex::new(&bytes)
                    }
                    _ => LineIndex::new(b""),
                }
            }))
        })
    }

    /// The file changed (or vanished) after it was checked, before its lines were read: what
    /// points into it points at its start.
    pub fn changed_before_located(&self) -> bool {
        self.lines().len != self.len
    }

    /// 1-based line and character column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        self.lines().position(offset)
    }

    pub fn span(&self, range: Range<usize>) -> Span {
        let (line, column) = self.position(range.start);
        let (end_line, end_column) = self.position(range.end.max(range.start));
        Span {
            line,
            column,
            end_line,
            end_column,
        }
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.lines().line_index(offset) + 1
    }
}

/// A fast, well-distributed hash of a file's bytes: tells "what was checked" from "what is on
/// disk now".
/// The content hash a file is verified against when it is read again.
pub fn content_hash(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// Every file of a run.
#[derive(Debug, Default)]
pub struct SourceDb {
    /// The project root (absolute when it exists).
    pub root: PathBuf,
    pub paths: RepoPaths,
    files: Vec<SourceFile>,
}

impl SourceDb {
    pub fn new(root: &Path) -> SourceDb {
        SourceDb {
            root: root.to_path_buf(),
            paths: RepoPaths::discover(root),
            files: Vec::new(),
        }
    }

    /// The sources of a run's files, read in parallel: file `i` of `files` gets id `i`.
    pub fn with_files(root: &Path, files: Vec<SourceFile>) -> SourceDb {
        SourceDb {
            files,
            ..SourceDb::new(root)
        }
    }

    /// Room for `more` files (a run knows how many it read: no growth slack per file).
    pub fn reserve(&mut self, more: usize) {
        self.files.reserve_exact(more);
    }

    pub fn add(&mut self, file: SourceFile) -> FileId {
        // The config and register come after the metadata files: grow by an eighth, not by
        // doubling the run's largest table for one more file.
        if self.files.len() == self.files.capacity() {
            self.files.reserve_exact(self.files.len() / 8 + 4);
        }
        self.files.push(file);
        (self.files.len() - 1) as FileId
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id as usize]
    }

    pub fn rel(&self, id: FileId) -> &str {
        &self.get(id).rel
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (i as FileId, f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The file with this project-relative path.
    pub fn find_rel(&self, rel: &str) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.rel == rel)
            .map(|i| i as FileId)
    }

    pub fn span(&self, id: FileId, range: Range<usize>) -> Span {
        self.get(id).span(range)
    }

    /// Number of metadata files read (parsed or not).
    pub fn metadata_file_count(&self) -> usize {
        self.files.iter().filter(|f| f.metadata).count()
    }

    /// The path shown for a file in a report of this style.
    /// A project-relative path that need not be in the run (a file about to be written).
    pub fn display_path(&self, rel: &str, style: PathStyle) -> String {
        self.paths.display(rel, style)
    }

    pub fn display(&self, id: FileId, style: PathStyle) -> String {
        self.paths.display(&self.get(id).rel, style)
    }
}

/// codespan-reporting reads lines and columns through the database, so a rendered diagnostic and
/// every other report agree on positions.
pub struct CodespanFiles<'a> {
    pub db: &'a SourceDb,
    pub style: PathStyle,
    /// The texts to quote, when the caller holds them (else each file's cached text).
    pub texts: Option<&'a FxHashMap<FileId, Text>>,
}

impl<'a> codespan_reporting::files::Files<'a> for CodespanFiles<'a> {
    type FileId = FileId;
    type Name = String;
    type Source = &'a str;

    /// Shown on a line of its own: a file name may hold a newline or an escape sequence.
    fn name(&'a self, id: FileId) -> Result<String, codespan_reporting::files::Error> {
        Ok(crate::escape::escape_line(&self.db.display(id, self.style)))
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, codespan_reporting::files::Error> {
        let text = match self.texts {
            Some(texts) => match texts.get(&id) {
                Some(Text::Checked(t)) => Some(&**t),
                _ => None,
            },
            None => self.db.get(id).checked_text(),
        };
        text.ok_or(codespan_reporting::files::Error::FileMissing)
    }

    fn line_index(
        &'a self,
        id: FileId,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.db.get(id).lines().line_index(byte_index))
    }

    fn line_range(
        &'a self,
        id: FileId,
        line_index: usize,
    ) -> Result<Range<usize>, codespan_reporting::files::Error> {
        let file = self.db.get(id);
        let len = file.len as usize;
        if line_index >= file.lines().line_count() {
            return Err(codespan_reporting::files::Error::LineTooLarge {
                given: line_index,
                max: file.lines().line_count().saturating_sub(1),
            });
        }
        Ok(file.lines().line_start(line_index, len)..file.lines().line_start(line_index + 1, len))
    }

    fn column_number(
        &'a self,
        id: FileId,
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.db.get(id).position(byte_index).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_of_valid_text_are_found_as_the_general_way_finds_them() {
        let general = |bytes: &[u8]| {
            let text = std::str::from_utf8(bytes).unwrap();
            let mut wide: Vec<(u32, u8)> = text
                .char_indices()
                .filter(|(_, c)| c.len_utf8() > 1)
                .map(|(i, c)| (i as u32, (c.len_utf8() - 1) as u8))
                .collect();
            wide.shrink_to_fit();
            wide
        };
        let long = format!(
            "{}é{}\u{1F600}{}",
            "a".repeat(63),
            "b".repeat(64),
            "€".repeat(30)
        );
        for text in ["", "plain", "Café — naïve ☃ \u{1F600}", long.as_str()] {
            assert_eq!(
                wide_chars(text.as_bytes()),
                general(text.as_bytes()),
                "{text:?}"
            );
        }
        // Invalid bytes take the general way: they are no character.
        assert_eq!(wide_chars(b"a\xffb\xc3\xa9"), vec![(3, 1)]);
    }

    /// One buffer read into again holds the second file only; a folder and a FIFO are refused,
    /// and the FIFO without blocking (nothing ever writes to it).
    #[test]
    fn read_into_replaces_the_buffer_and_refuses_what_is_not_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let (long, short) = (dir.path().join("long.xml"), dir.path().join("short.xml"));
        std::fs::write(&long, "<Profile>a long file</Profile>").unwrap();
        std::fs::write(&short, "<a/>").unwrap();
        let mut buf = Vec::new();
        read_into(&long, &mut buf).unwrap();
        read_into(&short, &mut buf).unwrap();
        assert_eq!(buf, b"<a/>");
        let folder = read_into(dir.path(), &mut buf).unwrap_err();
        assert_eq!(folder.to_string(), "is a folder, not a file");
        #[cfg(unix)]
        {
            let fifo = dir.path().join("pipe.xml");
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap();
            assert!(made.success());
            let refused = read_into(&fifo, &mut buf).unwrap_err();
            assert!(refused.to_string().contains("FIFO"), "{refused}");
            // A socket cannot even be opened: still said for what it is.
            let socket = dir.path().join("socket.xml");
            let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
            let refused = read_into(&socket, &mut buf).unwrap_err();
            assert!(
                refused.to_string().contains("not a regular file"),
                "{refused}"
            );
        }
        // A file that reports a length of 0 is read to its end all the same.
        #[cfg(target_os = "linux")]
        {
            read_into(Path::new("/proc/self/status"), &mut buf).unwrap();
            assert!(
                buf.starts_with(b"Name:"),
                "{}",
                String::from_utf8_lossy(&buf)
            );
        }
        assert!(read_into(&dir.path().join("missing.xml"), &mut buf).is_err());
    }

    /// The column as characters counted in the text (how it was computed when the text was
    /// kept): the index must agree without it.
    fn column_by_text(text: &str, offset: usize) -> (usize, usize) {
        let line = text[..floor_char_boundary(text, offset)]
            .matches('\n')
            .count();
        let start = text[..floor_char_boundary(text, offset)]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let end = floor_char_boundary(text, offset).max(start);
        let column = text[start..end]
            .trim_start_matches('\u{feff}')
            .chars()
            .count();
        (line + 1, column + 1)
    }

    #[test]
    fn columns_count_characters_without_the_text() {
        let texts = [
            "plain\nascii text\n",
            "\u{feff}<a>é</a>\n<b>日本語 x</b>\n",
            "<Flow>\n  <label>Café — 𝄞 naïve</label>\n</Flow>",
            "é\né\n\n€€€\n",
        ];
        // Invalid bytes count one character each, as in the quoted text.
        for bytes in [
            &b"<a>\xED\xA0\x80x</a>"[..],
            b"\xC0\xAFz\n\xF0\x9F",
            b"ok \xE2\x82 \xE2\x82\xAC",
        ] {
            let index = LineIndex::new(bytes);
            let text = text_same_offsets(bytes);
            for offset in 0..=bytes.len() {
                assert_eq!(
                    index.position(offset),
                    column_by_text(&text, offset),
                    "{bytes:?} at {offset}"
                );
            }
        }
        for text in texts {
            let index = LineIndex::new(text.as_bytes());
            for offset in 0..=text.len() {
                assert_eq!(
                    index.position(offset),
                    column_by_text(text, offset),
                    "{text:?} at {offset}"
                );
            }
        }
    }

    #[test]
    fn positions_count_characters_and_skip_the_bom() {
        let text = "ab\nçé<x>\n";
        let index = LineIndex::new(text.as_bytes());
        assert_eq!(index.position(0), (1, 1));
        assert_eq!(index.position(3), (2, 1));
        let x = text.find("<x>").unwrap();
        assert_eq!(index.position(x), (2, 3));
        assert_eq!(index.position(text.len()), (3, 1));

        let bom = "\u{feff}<R/>";
        let index = LineIndex::new(bom.as_bytes());
        assert_eq!(index.position(3), (1, 1));
        let ascii_bom = [UTF8_BOM, b"<R/>"].concat();
        let index = LineIndex::new(&ascii_bom);
        assert_eq!(index.position(3), (1, 1));
    }

    #[test]
    fn a_file_changed_after_the_check_is_not_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xml");
        std::fs::write(&path, "<R>checked</R>\n").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let file = SourceFile::from_bytes("a.xml".into(), path.clone(), true, &bytes);
        std::fs::write(&path, "<R>edited!</R>\n").unwrap();
        assert!(matches!(file.text(), Text::Changed));
        // Its lines were never indexed: a position in it is its start, and the run says so.
        assert!(file.changed_before_located());
        assert_eq!(file.position(3), (1, 1));
        // Indexed before the edit: positions come from the index.
        let other = dir.path().join("b.xml");
        std::fs::write(&other, "<R>checked</R>\n").unwrap();
        let pinned =
            SourceFile::from_bytes("b.xml".into(), other.clone(), true, b"<R>checked</R>\n");
        assert_eq!(pinned.position(3), (1, 4));
        std::fs::write(&other, "\n\n<R>moved</R>\n").unwrap();
        assert!(!pinned.changed_before_located());
        assert_eq!(pinned.position(3), (1, 4), "positions come from the index");

        let same = SourceFile::from_bytes("a.xml".into(), path.clone(), true, b"<R>edited!</R>\n");
        assert_eq!(same.checked_text(), Some("<R>edited!</R>\n"));
    }
}
