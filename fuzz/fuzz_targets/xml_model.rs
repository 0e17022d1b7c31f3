//! The XML reader and the document model: any bytes either parse or give an error located inside
//! the input; every element of a parsed document has a span, an anchor and a line and column
//! inside the file, and nothing panics. A document parsed as a run parses files (values pooled,
//! name tables shared, positions re-parsed when a finding asks) answers exactly like one parsed
//! in memory with its positions recorded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sfpolicy::model::xml::{Document, RunPools};
use sfpolicy::source::SourceFile;

fuzz_target!(|bytes: &[u8]| {
    let file = SourceFile::from_bytes("f.xml".into(), std::path::Path::new("f.xml"), true, bytes);
    let run = RunPools::new();
    let pooled = Document::parse_pooled_in_memory(bytes, &run);
    RunPools::release_thread();
    match (&Document::parse(bytes), &pooled) {
        (Err(a), Err(b)) => assert_eq!(a, b, "the two parses fail differently"),
        (Ok(eager), Ok(pooled)) => {
            assert_eq!(eager.len(), pooled.len());
            for n in 0..eager.len() as u32 {
                assert_eq!(eager.name(n), pooled.name(n));
                assert_eq!(eager.text(n), pooled.text(n), "text of {n}");
                assert_eq!(eager.parent(n), pooled.parent(n), "parent of {n}");
                assert!(eager.children(n).eq(pooled.children(n)), "children of {n}");
                assert_eq!(eager.span(n), pooled.span(n), "span of {n}");
                let len = eager.text(n).len();
                for (a, b) in [(0, len), (len / 2, len)] {
                    if a < b {
                        assert_eq!(eager.text_span(n, a, b), pooled.text_span(n, a, b));
                    }
                }
            }
        }
        _ => panic!("one parse fails, the other does not"),
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
