//! The structure is a test too (docs/ARCHITECTURE.md, "Layers"). The layers are crates, so the
//! compiler already refuses an import from a crate that is not a dependency; these tests keep the
//! dependencies themselves pointing down, and keep every crate's own modules free of import
//! circles, naming what breaks the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layer and the pave crates it may depend on (not necessarily all of them). The edge, the
/// `pave` package at the root, may depend on every library; `pave-fleet` is dev tooling.
const LAYERS: [(&str, &[&str]); 6] = [
    ("pave-base", &[]),
    ("pave-model", &["pave-base"]),
    ("pave-engine", &["pave-base", "pave-model"]),
    // The registry server never needs the rendering engine.
    ("pave-registry", &["pave-base", "pave-model"]),
    ("pave-fleet", &["pave-base", "pave-model", "pave-engine"]),
    (
        "pave",
        &["pave-base", "pave-model", "pave-engine", "pave-registry"],
    ),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn crate_dir(name: &str) -> PathBuf {
    match name {
        "pave" => root(),
        other => root().join("crates").join(other),
    }
}

/// The pave crates a package's `[dependencies]` (not dev-dependencies) name.
fn pave_dependencies(manifest: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let mut section = String::new();
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        if section != "[dependencies]" {
            continue;
        }
        if let Some(name) = line.split(['.', ' ', '=']).next()
            && name.starts_with("pave")
        {
            found.insert(name.to_owned());
        }
    }
    found
}

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let mut upward = Vec::new();
    for (name, allowed) in LAYERS {
        for dep in pave_dependencies(&crate_dir(name).join("Cargo.toml")) {
            if !allowed.contains(&dep.as_str()) {
                upward.push(format!("{name} depends on {dep}"));
            }
        }
    }
    let listed: BTreeSet<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            listed.contains(name.as_str()),
            "crates/{name} is not in the layer table of tests/it/layers.rs (and docs/ARCHITECTURE.md): say which layer it is"
        );
    }
    assert!(
        upward.is_empty(),
        "dependencies that do not point down the layers (docs/ARCHITECTURE.md):\n{}",
        upward.join("\n")
    );
}

/// The top-level module a source file belongs to (`audit/format/html.rs` → `audit`); `None` for
/// the crate root (`lib.rs`, `main.rs`), which declares every module.
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_owned();
    (!matches!(name.as_str(), "lib" | "main")).then_some(name)
}

/// `module → modules it imports` for one crate's `src/`, from `crate::<module>` paths outside
/// comments.
fn import_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let path_re = regex_lite::Regex::new(r"\bcrate::([a-z_][a-z0-9_]*)").unwrap();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in walkdir::WalkDir::new(src) {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let Some(module) = module_of(src, entry.path()) else {
            continue;
        };
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let imports = graph.entry(module.clone()).or_default();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            for m in path_re.captures_iter(code) {
                let target = m[1].to_owned();
                if target != module {
                    imports.insert(target);
                }
            }
        }
    }
    graph
}

/// One import circle of `graph`, as `a → b → a`, if there is any.
fn find_circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.to_owned());
            return Some(circle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(circle) = visit(next, graph, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

/// Every group of modules that import each other (directly or through others), each as one
/// circle through it: `a → b → a`.
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.to_owned()];
        while let Some(node) = todo.pop() {
            for next in graph.get(&node).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|node| (node, reach(node))).collect();
    let mut grouped = BTreeSet::new();
    let mut out = Vec::new();
    for node in graph.keys() {
        if grouped.contains(node) || !reaches[node].contains(node) {
            continue;
        }
        let group: BTreeSet<String> = reaches[node]
            .iter()
            .filter(|other| reaches.get(other).is_some_and(|r| r.contains(node)))
            .cloned()
            .collect();
        let within: BTreeMap<String, BTreeSet<String>> = group
            .iter()
            .map(|n| (n.clone(), graph[n].intersection(&group).cloned().collect()))
            .collect();
        out.extend(find_circle(&within));
        grouped.extend(group);
    }
    out
}

#[test]
fn no_crate_has_an_import_circle_between_its_modules() {
    let mut found = Vec::new();
    for (name, _) in LAYERS {
        let src = crate_dir(name).join("src");
        assert!(src.is_dir(), "{name}: no {}", src.display());
        let graph = import_graph(&src);
        for circle in circles(&graph) {
            found.push(format!("{name}: {}", circle.join(" → ")));
        }
    }
    let circles = found;
    assert!(
        circles.is_empty(),
        "import circles (move the shared thing down into a module both can use):\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_circle_finder_finds_circles() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        find_circle(&graph),
        Some(vec!["a".into(), "b".into(), "c".into(), "a".into()])
    );
    let acyclic: BTreeMap<String, BTreeSet<String>> = [("a", vec!["b"]), ("b", vec![])]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.into_iter().map(str::to_owned).collect()))
        .collect();
    assert_eq!(find_circle(&acyclic), None);
    assert_eq!(circles(&graph).len(), 1);
    assert!(circles(&acyclic).is_empty());
}
