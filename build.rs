//! Embeds the built-in catalog (`golden-paths/<name>/<version>/…`) into the binary, keeping each
//! file's executable bit (which `include_bytes!` alone would lose).

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden-paths");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    collect(&root, &root, &mut entries);
    entries.sort();
    let mut out = String::from(
        "/// Files of the built-in catalog: (path below golden-paths/, bytes, is executable).\n",
    );
    out.push_str("pub static FILES: &[(&str, &[u8], bool)] = &[\n");
    for (rel, abs, exec) in entries {
        writeln!(out, "    ({rel:?}, include_bytes!({abs:?}), {exec}),").unwrap();
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("builtin_catalog.rs");
    std::fs::write(dest, out).unwrap();
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String, bool)>) {
    let mut children: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    children.sort_by_key(|e| e.file_name());
    for entry in children {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        assert!(
            !meta.file_type().is_symlink(),
            "symlink in the built-in catalog: {}",
            path.display()
        );
        if meta.is_dir() {
            collect(root, &path, out);
        } else {
            use std::os::unix::fs::PermissionsExt as _;
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .replace('\\', "/");
            let exec = meta.permissions().mode() & 0o111 != 0;
            out.push((rel, path.to_str().unwrap().to_owned(), exec));
        }
    }
}
