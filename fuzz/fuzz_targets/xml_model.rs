//! The XML reader and the document model: any bytes either parse or give an error located inside
//! the input; every element of a parsed document has a span, an anchor and a line and column
//! inside the file, and nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sfpolicy::model::xml::Document;
use sfpolicy::source::SourceFile;

fuzz_target!(|bytes: &[u8]| {
    let file = SourceFile::from_bytes("f.xml".into(), std::path::Path::new("f.xml"), true, bytes);
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
