//! The formula scanner: any text gives references inside it, in order, and the comparisons and
//! classifications over them never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sfpolicy::model::formula;

fuzz_target!(|text: &str| {
    let refs = formula::scan(text);
    let mut last_end = 0;
    for r in &refs {
        assert!(
            r.start <= r.end && r.end <= text.len(),
            "reference outside the text"
        );
        assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        assert!(
            r.start >= last_end,
            "references overlap or are out of order"
        );
        last_end = r.end;
        let _ = formula::tests_identity(r, formula::compared_with_literal(text, r));
        let _ = formula::classify_reference(&r.text);
    }
    let each = formula::compared_with_literal_each(text, &refs);
    assert_eq!(each.len(), refs.len());
    for (r, compared) in refs.iter().zip(&each) {
        assert_eq!(*compared, formula::compared_with_literal(text, r));
    }
    for r in formula::scan_merge_fields(text) {
        assert!(r.start <= r.end && r.end <= text.len());
    }
    let _ = formula::literal_id_kind(text);
});
