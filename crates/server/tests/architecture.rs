//! The layering docs/ARCHITECTURE.md describes, checked: the application crate's whole
//! dependency tree is free of HTTP crates, and the server's top-level modules import each
//! other without a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `Cargo.lock`'s packages and the names each depends on.
fn lock_graph() -> BTreeMap<String, Vec<String>> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).expect("Cargo.lock");
    let mut graph = BTreeMap::new();
    for block in lock.split("[[package]]").skip(1) {
        let mut name = None;
        let mut deps = Vec::new();
        let mut in_deps = false;
        for line in block.lines() {
            let line = line.trim();
            if let Some(n) = line.strip_prefix("name = ") {
                name.get_or_insert_with(|| n.trim_matches('"').to_owned());
            } else if line.starts_with("dependencies = [") {
                in_deps = true;
            } else if in_deps && line.starts_with(']') {
                in_deps = false;
            } else if in_deps {
                // `"name"` or `"name version"`.
                let d = line.trim_matches(|c| c == '"' || c == ',');
                deps.push(d.split(' ').next().unwrap_or(d).to_owned());
            }
        }
        if let Some(n) = name {
            graph.entry(n).or_insert_with(Vec::new).extend(deps);
        }
    }
    graph
}

#[test]
fn the_application_crate_depends_on_no_http_crate() {
    let graph = lock_graph();
    assert!(graph.contains_key("algogate-app"));
    // Normal dependencies only: the app's dev-dependencies are in the lock file too, but
    // it has none that pull in HTTP.
    let mut seen = BTreeSet::new();
    let mut todo = vec!["algogate-app".to_owned()];
    while let Some(p) = todo.pop() {
        if seen.insert(p.clone()) {
            todo.extend(graph.get(&p).into_iter().flatten().cloned());
        }
    }
    for http in [
        "axum",
        "axum-core",
        "hyper",
        "hyper-util",
        "tower",
        "tower-http",
        "http",
    ] {
        assert!(
            !seen.contains(http),
            "algogate-app depends (transitively) on {http}"
        );
    }
    assert!(seen.contains("algogate-store") && seen.contains("algogate-broker"));
}

/// Top-level module of each source file, and the top-level modules it names.
fn module_edges() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).expect("under src");
            let first = rel.components().next().expect("a component");
            let module = first
                .as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned();
            if module == "lib" || module == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            let names = edges.entry(module.clone()).or_default();
            for (i, _) in text.match_indices("crate::") {
                let rest = &text[i + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                // Whole words only: `some_crate::` is not `crate::`.
                let before = text[..i].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                if !name.is_empty() && name != module {
                    names.insert(name);
                }
            }
        }
    }
    edges
}

#[test]
fn the_servers_modules_form_no_cycle() {
    let edges = module_edges();
    if let Some(cycle) = find_cycle(&edges) {
        panic!("module cycle: {}", cycle.join(" -> "));
    }
    // The wire format and the pure parts never reach up into a surface or the state.
    for lower in ["openalgo", "feed", "json", "playground", "config"] {
        let names = edges.get(lower).cloned().unwrap_or_default();
        for upper in [
            "api_v1",
            "web",
            "ws",
            "state",
            "app",
            "startup",
            "middleware",
        ] {
            assert!(!names.contains(upper), "{lower} imports {upper}");
        }
    }
    // The web UI answers through the wire format, not through the REST handlers.
    assert!(!edges["web"].contains("api_v1"), "web imports api_v1");
}

/// A crate's modules (`a`, `a::b`, … as paths under `src/`) and the modules each one's
/// non-test code names through `crate::` and `super::` paths. Edges between a module and
/// its own ancestors or descendants are left out: a parent declares its children.
fn submodule_edges(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    fn module_of(src: &Path, file: &Path) -> String {
        let rel = file
            .strip_prefix(src)
            .expect("under src")
            .with_extension("");
        let mut parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if parts
            .last()
            .is_some_and(|l| ["mod", "lib", "main"].contains(&l.as_str()))
        {
            parts.pop();
        }
        parts.join("::")
    }
    /// Identifiers following each whole-word occurrence of `prefix`.
    fn names_after<'a>(text: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        text.match_indices(prefix).filter_map(move |(i, _)| {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                return None;
            }
            let rest = &text[i + prefix.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            (end > 0).then(|| &rest[..end])
        })
    }
    let related = |a: &str, b: &str| {
        a == b || a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"))
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let m = module_of(src, &path);
            let text = std::fs::read_to_string(&path).expect("source");
            // Unit tests may reach anywhere; only the code they test is layered.
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            let mut targets = BTreeSet::new();
            for (i, _) in text.match_indices("crate::") {
                let before = text[..i].chars().next_back();
                if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
                    continue;
                }
                let mut names = names_after(&text[i..], "crate::");
                let Some(a) = names.next() else { continue };
                let rest = &text[i + "crate::".len() + a.len()..];
                let b = rest.strip_prefix("::").and_then(|r| {
                    let end = r
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(r.len());
                    (end > 0).then(|| &r[..end])
                });
                let nested = b.filter(|b| {
                    src.join(a).join(format!("{b}.rs")).exists() || src.join(a).join(b).is_dir()
                });
                targets.insert(match nested {
                    Some(b) => format!("{a}::{b}"),
                    None => a.to_owned(),
                });
            }
            if let Some((parent, _)) = m.rsplit_once("::") {
                for x in names_after(text, "super::") {
                    targets.insert(format!("{parent}::{x}"));
                }
            }
            let out = edges.entry(m.clone()).or_default();
            out.extend(targets.into_iter().filter(|t| !related(&m, t)));
        }
    }
    edges
}

/// One cycle of the graph, if it has any (depth-first search for a back edge).
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut cycle = path[at..].to_vec();
            cycle.push(m.to_owned());
            return Some(cycle);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_owned());
        for n in edges.get(m).into_iter().flatten() {
            if let Some(c) = visit(n, edges, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|m| visit(m, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_a_module_cycle_at_any_depth() {
    let crates = root().join("crates");
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates).expect("crates dir") {
        let src = entry.expect("entry").path().join("src");
        if !src.is_dir() {
            continue;
        }
        let edges = submodule_edges(&src);
        if let Some(cycle) = find_cycle(&edges) {
            panic!("module cycle in {}: {}", src.display(), cycle.join(" -> "));
        }
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} crates found under {crates:?}");
}

#[test]
fn the_cycle_check_sees_submodules_and_super_paths() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::create_dir_all(src.join("a")).expect("mkdir");
    std::fs::write(src.join("lib.rs"), "mod a; mod b;").expect("write");
    std::fs::write(src.join("a/mod.rs"), "mod x; mod y;").expect("write");
    std::fs::write(src.join("a/x.rs"), "use super::y::f;").expect("write");
    std::fs::write(src.join("a/y.rs"), "use crate::a::x::g;").expect("write");
    std::fs::write(src.join("b.rs"), "#[cfg(test)]\nuse crate::a::x;").expect("write");
    let edges = submodule_edges(src);
    assert_eq!(edges["a::x"], BTreeSet::from(["a::y".to_owned()]));
    assert!(edges["b"].is_empty(), "test code is not layered: {edges:?}");
    let cycle = find_cycle(&edges).expect("a::x <-> a::y");
    assert!(cycle.contains(&"a::x".to_owned()) && cycle.contains(&"a::y".to_owned()));
    std::fs::write(src.join("a/y.rs"), "pub fn g() {}").expect("write");
    assert_eq!(find_cycle(&submodule_edges(src)), None);
}
