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

/// The pave crates each workspace package needs to build (normal and build dependencies, under
/// any target and any rename), from `cargo metadata`, so every way of writing a dependency in a
/// `Cargo.toml` counts.
fn pave_dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .arg("--manifest-path")
        .arg(root().join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut found = BTreeMap::new();
    for package in meta["packages"].as_array().unwrap() {
        let deps: BTreeSet<String> = package["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|dep| dep["kind"].as_str() != Some("dev"))
            .filter_map(|dep| dep["name"].as_str())
            .filter(|name| name.starts_with("pave"))
            .map(str::to_owned)
            .collect();
        found.insert(package["name"].as_str().unwrap().to_owned(), deps);
    }
    found
}

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let mut upward = Vec::new();
    let packages = pave_dependencies();
    for (name, allowed) in LAYERS {
        let deps = packages
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not a package of the workspace"));
        for dep in deps {
            if !allowed.contains(&dep.as_str()) {
                upward.push(format!("{name} depends on {dep}"));
            }
        }
    }
    let listed: BTreeSet<&str> = LAYERS.iter().map(|(name, _)| *name).collect();
    for name in packages.keys() {
        assert!(
            listed.contains(name.as_str()),
            "the package {name} is not in the layer table of tests/it/layers.rs (and docs/ARCHITECTURE.md): say which layer it is"
        );
    }
    assert!(
        upward.is_empty(),
        "dependencies that do not point down the layers (docs/ARCHITECTURE.md):\n{}",
        upward.join("\n")
    );
}

/// The module path of a source file under `src/` (`audit/format/html.rs` → `[audit, format,
/// html]`, `audit/mod.rs` → `[audit]`, `lib.rs` → `[]`).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap();
    let mut path: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        path.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        path.pop();
    }
    path
}

/// Collects the crate-local modules one source file reaches, through `use` trees (groups
/// included), paths in code, and paths inside macro calls, resolving `crate::`, `self::` and
/// `super::` against the module the code is in.
struct ImportReader {
    /// The module the code being read is in: the file's module plus inline `mod x { }` blocks.
    module: Vec<String>,
    /// `(top-level module reached, line)`.
    found: Vec<(String, usize)>,
}

impl ImportReader {
    /// Resolves a path's leading segments to the crate-absolute path, if it is crate-local.
    fn resolve(&self, segments: &[String]) -> Option<Vec<String>> {
        let (mut base, mut rest) = match segments.first().map(String::as_str) {
            Some("crate") => (Vec::new(), &segments[1..]),
            Some("self") => (self.module.clone(), &segments[1..]),
            Some("super") => (self.module.clone(), segments),
            _ => return None,
        };
        while let Some(first) = rest.first() {
            match first.as_str() {
                "super" => {
                    base.pop()?;
                }
                "self" => {}
                _ => break,
            }
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn note(&mut self, segments: &[String], line: usize) {
        if let Some(top) = self.resolve(segments).and_then(|p| p.into_iter().next()) {
            self.found.push((top, line));
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                prefix.push(n.ident.to_string());
                self.note(prefix, n.ident.span().start().line);
                prefix.pop();
            }
            syn::UseTree::Rename(r) => {
                prefix.push(r.ident.to_string());
                self.note(prefix, r.ident.span().start().line);
                prefix.pop();
            }
            syn::UseTree::Glob(g) => {
                self.note(prefix, g.star_token.spans[0].start().line);
            }
            syn::UseTree::Group(g) => {
                for item in &g.items {
                    self.use_tree(prefix, item);
                }
            }
        }
    }

    /// Paths inside a macro call's tokens: `crate :: a :: b`, `super :: x`.
    fn tokens(&mut self, tokens: proc_macro2::TokenStream) {
        let tokens: Vec<proc_macro2::TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                proc_macro2::TokenTree::Ident(id)
                    if matches!(id.to_string().as_str(), "crate" | "self" | "super") =>
                {
                    let mut segments = vec![id.to_string()];
                    let mut j = i + 1;
                    while let (
                        Some(proc_macro2::TokenTree::Punct(a)),
                        Some(proc_macro2::TokenTree::Punct(b)),
                        Some(proc_macro2::TokenTree::Ident(next)),
                    ) = (tokens.get(j), tokens.get(j + 1), tokens.get(j + 2))
                    {
                        if a.as_char() != ':' || b.as_char() != ':' {
                            break;
                        }
                        segments.push(next.to_string());
                        j += 3;
                    }
                    if segments.len() > 1 {
                        self.note(&segments, id.span().start().line);
                    }
                    i = j;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl<'ast> syn::visit::Visit<'ast> for ImportReader {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(first) = path.segments.first() {
            self.note(&segments, first.ident.span().start().line);
        }
        syn::visit::visit_path(self, path);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        syn::visit::visit_macro(self, mac);
        self.tokens(mac.tokens.clone());
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.module.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.module.pop();
    }
}

/// One crate's import graph between its top-level modules, with where each edge was first seen.
#[derive(Default)]
struct ImportGraph {
    edges: BTreeMap<String, BTreeSet<String>>,
    /// `(from, to)` → `file:line` of the first import that makes the edge.
    sites: BTreeMap<(String, String), String>,
}

/// The import graph of one crate's `src/` (the crate root, which declares every module, is left
/// out).
fn import_graph(src: &Path) -> ImportGraph {
    let mut graph = ImportGraph::default();
    for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
        let entry = entry.unwrap();
        if entry.path().extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let module = module_path(src, entry.path());
        let Some(top) = module.first().cloned() else {
            continue;
        };
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let file =
            syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", entry.path().display()));
        let mut reader = ImportReader {
            module,
            found: Vec::new(),
        };
        syn::visit::Visit::visit_file(&mut reader, &file);
        let imports = graph.edges.entry(top.clone()).or_default();
        for (target, line) in reader.found {
            if target == top {
                continue;
            }
            imports.insert(target.clone());
            graph.sites.entry((top.clone(), target)).or_insert_with(|| {
                let shown = entry.path().strip_prefix(root()).unwrap_or(entry.path());
                format!("{}:{line}", shown.display())
            });
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
        for circle in circles(&graph.edges) {
            let steps: Vec<String> = circle
                .windows(2)
                .map(|w| {
                    let site = &graph.sites[&(w[0].clone(), w[1].clone())];
                    format!("  {} → {} ({site})", w[0], w[1])
                })
                .collect();
            found.push(format!(
                "{name}: {}\n{}",
                circle.join(" → "),
                steps.join("\n")
            ));
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

#[test]
fn the_import_reader_sees_groups_super_paths_and_macros() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("b")).unwrap();
    std::fs::write(src.join("lib.rs"), "mod a; mod b; mod c; mod d; mod e;\n").unwrap();
    std::fs::write(src.join("a.rs"), "use crate::{b::X, c};\n").unwrap();
    std::fs::write(src.join("b/mod.rs"), "mod inner;\n").unwrap();
    std::fs::write(
        src.join("b/inner.rs"),
        "fn f() {\n    super::super::d::g();\n}\n",
    )
    .unwrap();
    std::fs::write(
        src.join("c.rs"),
        "fn f() -> String {\n    format!(\"{}\", crate::e::name())\n}\nmod m {\n    use super::super::a;\n}\n",
    )
    .unwrap();
    std::fs::write(src.join("d.rs"), "use self::x::Y; mod x {}\n").unwrap();
    std::fs::write(src.join("e.rs"), "// crate::a is only a comment\n").unwrap();
    let graph = import_graph(&src);
    let edges = |from: &str| -> Vec<String> { graph.edges[from].iter().cloned().collect() };
    assert_eq!(edges("a"), ["b", "c"]);
    assert_eq!(edges("b"), ["d"]);
    assert_eq!(edges("c"), ["a", "e"]);
    assert!(edges("d").is_empty());
    assert!(edges("e").is_empty());
    assert_eq!(
        graph.sites[&("b".to_owned(), "d".to_owned())],
        format!("{}:2", src.join("b/inner.rs").display())
    );
    assert_eq!(
        circles(&graph.edges),
        [vec!["a".to_owned(), "c".to_owned(), "a".to_owned()]]
    );
}
