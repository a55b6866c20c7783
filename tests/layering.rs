//! The architecture as a test: the core (everything under `src/` but
//! `src/capi/`) names no C-surface item and never imports `capi`, and the
//! core's top-level modules import each other without circles.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code without comments (line comments and doc comments) and
/// without its trailing `#[cfg(test)]` module.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod ") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `src/context/alpn.rs` -> `context`; `src/lib.rs` -> `lib`.
fn top_module(src: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(src).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_str()
        .unwrap();
    first.trim_end_matches(".rs").to_owned()
}

/// The crate-level modules a piece of code refers to (`crate::x`, and
/// `crate::{x, y::z}` groups).
fn crate_refs(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find("};").unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .trim_start_matches('{')
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out.remove("here"); // the location macro, exported at the crate root
    out
}

#[test]
fn the_core_knows_nothing_of_c_and_has_no_import_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut leaks = Vec::new();
    for path in &files {
        let module = top_module(&src, path);
        if module == "capi" || module == "lib" {
            continue;
        }
        let code = code_of(path);
        for (line_no, line) in code.lines().enumerate() {
            if line.contains("pyssl_") || line.contains("crate::capi") {
                leaks.push(format!(
                    "{}:{}: {}",
                    path.display(),
                    line_no + 1,
                    line.trim()
                ));
            }
        }
        let refs = crate_refs(&code);
        graph
            .entry(module.clone())
            .or_default()
            .extend(refs.into_iter().filter(|r| *r != module));
    }
    assert!(
        leaks.is_empty(),
        "the core names the C surface:\n{}",
        leaks.join("\n")
    );
    // A module that can reach itself is on a circle.
    let mut circles = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&String> = graph[start].iter().collect();
        while let Some(m) = todo.pop() {
            if m == start {
                circles.push(start.clone());
                break;
            }
            if seen.insert(m.clone()) {
                if let Some(next) = graph.get(m) {
                    todo.extend(next.iter());
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "core modules on an import circle: {circles:?}\ngraph: {graph:#?}"
    );
    // The walk saw the tree it is meant to guard.
    for m in ["context", "socket", "ssl_error", "error", "x509", "value"] {
        assert!(graph.contains_key(m), "no module {m} in {graph:?}");
    }
}

#[test]
fn crate_refs_reads_paths_and_groups() {
    let refs = crate_refs(
        "use crate::error::{PyErr};\nuse crate::{compat::Compat, ossl};\nx(crate::here!())",
    );
    let want: BTreeSet<String> = ["error", "compat", "ossl"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(refs, want);
}
