//! The XML reader's two paths over every metadata file of the corpus: the scanner's fast path
//! (what a run uses) and quick-xml's events build the same document, with the same positions, or
//! fail with the same error. The unit tests cover the edge cases; this covers real files (CRLF,
//! entities in formulas, CDATA, comments, namespaces, BOMs).

use rayon::prelude::*;
use sfpolicy::model::discover;
use sfpolicy::model::xml::Document;
use std::path::Path;

#[test]
fn scanner_and_quick_xml_agree_on_the_corpus() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let project = discover::discover(
        &corpus,
        &discover::Options {
            no_forceignore: true,
            ..discover::Options::default()
        },
    );
    assert!(
        project.files.len() > 10_000,
        "the corpus is at ../shared/corpus"
    );
    let differences: Vec<String> = project
        .files
        .par_iter()
        .filter_map(|f| {
            let bytes = std::fs::read(&f.path).ok()?;
            let scanned = Document::parse(&bytes);
            let reference = Document::parse_with_quick_xml(&bytes);
            let difference = match (&scanned, &reference) {
                (Ok(a), Ok(b)) => b.differs_from(a),
                (Err(a), Err(b)) => (a != b).then(|| format!("{a} but quick-xml: {b}")),
                (a, b) => Some(format!("{a:?} but quick-xml: {b:?}")),
            };
            difference.map(|d| format!("{}: {d}", f.path.display()))
        })
        .collect();
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}
