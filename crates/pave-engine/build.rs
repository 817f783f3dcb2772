//! Embeds the built-in catalog (`golden-paths/<name>/<version>/…` at the workspace's root) into
//! the engine, keeping each file's executable bit (which `include_bytes!` alone would lose).
//!
//! The catalog is found from `CARGO_MANIFEST_DIR` as cargo sets it when it *runs* this script,
//! not with `env!`, which would fix the path when the script is *compiled*: two checkouts that
//! share a target dir (a CI cache, sccache) reuse the compiled script, which would then embed the
//! other checkout's golden paths, or fail once that checkout is gone.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR")
            .expect("cargo sets CARGO_MANIFEST_DIR for build scripts"),
    );
    let root = manifest_dir.join("../../golden-paths");
    let root = root.canonicalize().unwrap_or_else(|e| {
        panic!(
            "the built-in catalog {} cannot be read: {e}",
            root.display()
        )
    });
    println!("cargo:rerun-if-changed={}", root.display());
    let mut entries = Vec::new();
    collect(&root, &root, &mut entries);
    entries.sort();
    let mut out = String::from(
        "/// Files of the built-in catalog: (path below golden-paths/, bytes, is executable).\n",
    );
    out.push_str("pub static FILES: &[(&str, &[u8], bool)] = &[\n");
    for (rel, abs, exec) in entries {
        writeln!(out, "    ({rel:?}, include_bytes!({abs:?}), {exec}),")
            .expect("writing to a String");
    }
    out.push_str("];\n");
    let out_dir = std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let dest = Path::new(&out_dir).join("builtin_catalog.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", dest.display()));
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, String, bool)>) {
    let read =
        std::fs::read_dir(dir).unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
    let mut children: Vec<_> = read
        .map(|e| e.unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display())))
        .collect();
    children.sort_by_key(|e| e.file_name());
    for entry in children {
        let path = entry.path();
        let meta = std::fs::symlink_metadata(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
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
                .expect("a file below the catalog's root")
                .to_str()
                .unwrap_or_else(|| panic!("a catalog path that is not UTF-8: {}", path.display()))
                .replace('\\', "/");
            let exec = meta.permissions().mode() & 0o111 != 0;
            let abs = path.to_str().expect("checked UTF-8 above").to_owned();
            out.push((rel, abs, exec));
        }
    }
}
