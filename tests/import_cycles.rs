//! No import cycle between the files of `src/`: the same reading of `use` paths and
//! inline `crate::`/`super::` paths as the project's acceptance script
//! (`import_cycles.py`): test code after a file's first `#[cfg(test)]` and test-only
//! files are left out, and a `mod.rs`'s `pub use` of its own children is not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

type Module = Vec<String>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let p = entry.expect("dir entry").path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    let test_only =
        Regex::new(r"(^|/)(tests?|[a-z_]*_tests|testkit|fixture|[a-z_]*_snapshots)\.rs$").unwrap();
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut out = BTreeMap::new();
    for p in files {
        let rel = p
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if test_only.is_match(&rel) {
            continue;
        }
        let mut parts: Module = rel[..rel.len() - 3].split('/').map(str::to_owned).collect();
        if matches!(
            parts.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            parts.pop();
        }
        out.insert(parts, p);
    }
    out
}

fn resolve(files: &BTreeMap<Module, PathBuf>, mut path: Module) -> Option<Module> {
    while !path.is_empty() {
        if files.contains_key(&path) {
            return Some(path);
        }
        path.pop();
    }
    None
}

fn edges(files: &BTreeMap<Module, PathBuf>) -> BTreeMap<Module, BTreeSet<Module>> {
    let paths =
        Regex::new(r"\b(pub(?:\([^)]*\))?\s+)?use\s+([^;]+);|\b(crate|super)::([A-Za-z_][\w:]*)")
            .unwrap();
    let comment = Regex::new(r"//[^\n]*").unwrap();
    let space = Regex::new(r"\s+").unwrap();
    let braces = Regex::new(r"^(.*?)::\{(.*)\}$").unwrap();
    let mut out = BTreeMap::new();
    for (module, p) in files {
        let text = std::fs::read_to_string(p).expect("read a source file");
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        let text = comment.replace_all(text, "");
        let dir_mod = p.ends_with("mod.rs") || p.ends_with("lib.rs");
        let mut to = BTreeSet::new();
        for m in paths.captures_iter(&text) {
            let mut found: Vec<String> = Vec::new();
            let reexport;
            if let Some(body) = m.get(2) {
                let body = space.replace_all(body.as_str(), "").into_owned();
                match braces.captures(&body) {
                    Some(b) => {
                        for item in split_top_level(&b[2]) {
                            let item = item.split("::{").next().unwrap_or("");
                            found.push(format!("{}::{item}", &b[1]));
                        }
                    }
                    None => found.push(body),
                }
                reexport = m.get(1).is_some();
            } else {
                found.push(format!("{}::{}", &m[3], &m[4]));
                reexport = false;
            }
            for path in found {
                let mut segs: Vec<&str> = path
                    .split("::")
                    .filter(|s| !s.is_empty() && *s != "*" && !s.starts_with('{'))
                    .collect();
                if segs.is_empty() {
                    continue;
                }
                let target: Module = match segs[0] {
                    "crate" => segs[1..].iter().map(|s| s.to_string()).collect(),
                    "super" => {
                        let mut k = 0;
                        while segs.first() == Some(&"super") {
                            k += 1;
                            segs.remove(0);
                        }
                        let keep = module.len().saturating_sub(k);
                        module[..keep]
                            .iter()
                            .cloned()
                            .chain(segs.iter().map(|s| s.to_string()))
                            .collect()
                    }
                    "self" => module
                        .iter()
                        .cloned()
                        .chain(segs[1..].iter().map(|s| s.to_string()))
                        .collect(),
                    _ => continue,
                };
                let Some(r) = resolve(files, target) else {
                    continue;
                };
                if &r == module || (reexport && dir_mod && r.starts_with(module)) {
                    continue;
                }
                to.insert(r);
            }
        }
        out.insert(module.clone(), to);
    }
    out
}

/// `a,b::{c,d},e` split at the commas outside braces (one level, as the script does).
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// Strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct T<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on: BTreeSet<&'a Module>,
        out: Vec<Vec<Module>>,
    }
    fn strong<'a>(t: &mut T<'a>, v: &'a Module) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in &t.edges[v] {
            if !t.index.contains_key(w) {
                strong(t, w);
                let l = t.low[v].min(t.low[w]);
                t.low.insert(v, l);
            } else if t.on.contains(w) {
                let l = t.low[v].min(t.index[w]);
                t.low.insert(v, l);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().expect("on the stack");
                t.on.remove(w);
                comp.push(w.clone());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v) {
            strong(&mut t, v);
        }
    }
    t.out
}

/// The one cycle this check found when it was added, among the evidence renderers,
/// which their rework on another branch removes (the evidence format version, issue
/// 12). A cycle among only these files is let through so that this check can run in
/// CI now; delete the list when that work is merged.
const KNOWN: &[&str] = &[
    "report/evidence",
    "report/evidence_html",
    "report/evidence_md",
];

#[test]
fn no_import_cycle_between_the_files_of_src() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = modules(&src);
    let mut found = cycles(&edges(&files));
    found.retain(|c| !c.iter().all(|m| KNOWN.contains(&m.join("/").as_str())));
    let text: Vec<String> = found
        .iter()
        .map(|c| {
            let names: Vec<String> = c.iter().map(|m| files[m].display().to_string()).collect();
            format!("cycle of {} files: {}", c.len(), names.join(", "))
        })
        .collect();
    assert!(text.is_empty(), "{}", text.join("\n"));
}

#[test]
fn the_reading_finds_a_cycle_when_there_is_one() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir(src.join("a")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod a;\n").unwrap();
    std::fs::write(
        src.join("a/mod.rs"),
        "pub mod b;\npub mod c;\npub use b::X;\n",
    )
    .unwrap();
    std::fs::write(src.join("a/b.rs"), "use super::c::{Y, Z};\npub struct X;\n").unwrap();
    std::fs::write(
        src.join("a/c.rs"),
        "// use crate::a::b; in a comment is not a use\npub struct Y;\npub struct Z;\nfn f() { let _ = crate::a::b::X; }\n#[cfg(test)]\nmod t { use super::super::b; }\n",
    )
    .unwrap();
    let files = modules(src);
    let e = edges(&files);
    let m = |s: &str| -> Module { s.split('/').map(str::to_owned).collect() };
    assert_eq!(e[&m("a/b")], BTreeSet::from([m("a/c")]));
    assert_eq!(e[&m("a/c")], BTreeSet::from([m("a/b")]));
    assert!(e[&m("a")].is_empty(), "a mod.rs's re-export of its child");
    assert_eq!(cycles(&e), vec![vec![m("a/b"), m("a/c")]]);
    // Without the inline path there is none.
    std::fs::write(src.join("a/c.rs"), "pub struct Y;\npub struct Z;\n").unwrap();
    assert!(cycles(&edges(&modules(src))).is_empty());
}
