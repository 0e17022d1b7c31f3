//! Embeds every `rules/*.rhai` policy in the binary.

use std::fmt::Write;
use std::path::Path;

fn main() {
    // Read at run time: a build-script binary can be reused from a checkout at another path.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read the built-in rules in {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.retain(|p| p.extension().is_some_and(|x| x == "rhai"));
    paths.sort();
    assert!(!paths.is_empty(), "no built-in rules in {}", dir.display());
    let mut out = String::from(
        "/// Built-in policies: (origin, source).\npub const BUILTIN_RULES: &[(&str, &str)] = &[\n",
    );
    for path in &paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        writeln!(
            out,
            "    (\"rules/{name}\", include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    // Shared helper modules: rules/lib/*.rhai.
    let lib = dir.join("lib");
    println!("cargo:rerun-if-changed={}", lib.display());
    let mut libs: Vec<_> = std::fs::read_dir(&lib)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    libs.retain(|p| p.extension().is_some_and(|x| x == "rhai"));
    libs.sort();
    out.push_str("/// Built-in helper modules: (name, source).\npub const BUILTIN_LIBS: &[(&str, &str)] = &[\n");
    for path in &libs {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path.file_stem().unwrap().to_string_lossy();
        writeln!(
            out,
            "    (\"{stem}\", include_str!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_rules.rs");
    std::fs::write(dest, out).unwrap();
}
