//! The schema (Salesforce's Metadata API WSDL) knows every element real metadata carries: each
//! element of each file of the corpus, of every kind sfpolicy reads, is a known child of its
//! parent's type (or under a type sfpolicy cannot tell, which is open).

use sfpolicy::model::schema;
use sfpolicy::model::xml::Document;
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn every_element_of_the_corpus_is_in_the_schema() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let project = sfpolicy::model::discover::discover(
        &corpus,
        &sfpolicy::model::discover::Options {
            no_forceignore: true,
            ..Default::default()
        },
    );
    assert!(
        project.files.len() > 10_000,
        "{} files",
        project.files.len()
    );
    let mut unknown: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    let mut checked = 0;
    for file in &project.files {
        let Ok(bytes) = std::fs::read(&file.path) else {
            continue;
        };
        let Ok(doc) = Document::parse(&bytes) else {
            continue;
        };
        checked += 1;
        for node in 0..doc.len() as u32 {
            let Some(parent) = doc.parent(node) else {
                continue;
            };
            let Some(ty) = schema::type_of(&doc, parent) else {
                continue;
            };
            if ty.polymorphic || ty.field(doc.name(node)).is_some() {
                continue;
            }
            let e = unknown
                .entry((ty.name.to_string(), doc.name(node).to_string()))
                .or_insert((0, file.rel.clone()));
            e.0 += 1;
        }
    }
    assert!(checked > 10_000, "{checked} files parsed");
    assert!(
        unknown.is_empty(),
        "elements the schema does not know (type, element: count, first file):\n{unknown:#?}"
    );
}
