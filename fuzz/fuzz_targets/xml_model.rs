//! The XML reader and the document model: any bytes either parse or give an error located inside
//! the input; every element of a parsed document has a span, an anchor and a line and column
//! inside the file, and nothing panics. A document parsed as a run parses files (values pooled,
//! name tables shared, positions re-parsed when a finding asks) answers exactly like one parsed
//! in memory with its positions recorded, and the scanner's fast path builds exactly what
//! quick-xml's events build (or fails with the same error); an element located alone, from a
//! window of the file, is where the whole file's recording puts it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sfpolicy::model::xml::{Document, RunPools};
use sfpolicy::source::SourceFile;

fuzz_target!(|bytes: &[u8]| {
    let file = SourceFile::from_bytes("f.xml".into(), std::path::Path::new("f.xml"), true, bytes);
    let run = RunPools::new();
    let pooled = Document::parse_pooled_in_memory(bytes, &run);
    RunPools::release_thread();
    let eager = Document::parse(bytes);
    match (&eager, &pooled) {
        (Err(a), Err(b)) => assert_eq!(a, b, "the two parses fail differently"),
        (Ok(eager), Ok(pooled)) => {
            assert_eq!(eager.differs_from(pooled), None);
            // Each element located alone (a window of the file, as a finding in a large file
            // locates it) is where the whole file's recording puts it.
            assert_eq!(pooled.locating_alone_differs(bytes), None);
        }
        _ => panic!("one parse fails, the other does not"),
    }
    // The scanner's fast path against quick-xml's events alone.
    match (&eager, &Document::parse_with_quick_xml(bytes)) {
        (Err(a), Err(b)) => assert_eq!(a, b, "the scanner and quick-xml fail differently"),
        (Ok(scanned), Ok(reference)) => assert_eq!(reference.differs_from(scanned), None),
        (a, b) => panic!("scanner: {a:?}, quick-xml: {b:?}"),
    }
    match Document::parse(bytes) {
        Err(error) => {
            assert!(error.offset <= bytes.len(), "error offset past the end");
            let (line, column) = file.position(error.offset);
            assert!(line >= 1 && column >= 1);
        }
        Ok(doc) => {
            let mut stack = vec![doc.root()];
            while let Some(node) = stack.pop() {
                let (start, end) = doc.span(node);
                assert!(start <= end && end <= bytes.len(), "span outside the file");
                let _ = file.position(start);
                let _ = file.span(start..end);
                let text = doc.text(node);
                if !text.is_empty() {
                    let (a, b) = doc.text_span(node, 0, text.len());
                    assert!(a <= b && b <= bytes.len(), "text span outside the file");
                }
                let _ = doc.anchor(node);
                let _ = doc.path(node);
                stack.extend(doc.children(node));
            }
        }
    }
});
