//! `pave diff`: the repo against a fresh render of the golden-path versions its lock records,
//! as a unified diff per file (`-` the repo, `+` the golden path), or `--stat`. Exit 1 when they
//! differ. Seeded files are the repo's own and are left out unless `--all`.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::catalog::{Reference, VersionSpec};
use crate::check::render_entry;
use crate::cli::DiffArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::lock::Lock;
use crate::manifest::Ownership;
use crate::printer::Printer;
use crate::settings::{CatalogChoice, catalog_of_source};

const ADDED: Style = AnsiColor::Green.on_default();
const REMOVED: Style = AnsiColor::Red.on_default();
const HUNK: Style = AnsiColor::Cyan.on_default();
const HEADER: Style = Style::new().bold();

pub fn run(
    args: &DiffArgs,
    explicit: Option<&CatalogChoice>,
    printer: &Printer,
) -> Result<u8, Error> {
    let lock = Lock::read(&args.dir)?;
    let mut out = String::new();
    let mut changed = 0usize;
    for entry in &lock.golden_paths {
        let catalog = match explicit {
            Some(choice) => choice.open(),
            None => catalog_of_source(&entry.catalog).ok_or_else(|| {
                Error::Usage(format!(
                    "the catalog {} that {} came from is not reachable; name one with --catalog",
                    entry.catalog, entry.name
                ))
            })?,
        };
        let reference = Reference {
            name: entry.name.clone(),
            version: VersionSpec::Exact(entry.version.clone()),
        };
        let golden_path = catalog.load(&reference)?;
        let rendered = render_entry(&golden_path, entry)?;
        for file in rendered.files.values() {
            if file.ownership == Ownership::Seeded && !args.all {
                continue;
            }
            let on_disk = std::fs::symlink_metadata(file.path.under(&args.dir))
                .ok()
                .filter(|m| m.is_file())
                .and_then(|_| std::fs::read(file.path.under(&args.dir)).ok());
            if on_disk.as_deref() == Some(file.bytes.as_slice()) {
                continue;
            }
            changed += 1;
            let path = file.path.as_str();
            let old = on_disk.unwrap_or_default();
            let (old_text, new_text) =
                match (std::str::from_utf8(&old), std::str::from_utf8(&file.bytes)) {
                    (Ok(a), Ok(b)) => (a, b),
                    _ => {
                        let _ = writeln!(
                            out,
                            "{HEADER}Binary files a/{path} and b/{path} differ{HEADER:#}"
                        );
                        continue;
                    }
                };
            let diff = similar::TextDiff::from_lines(old_text, new_text);
            if args.stat {
                let (mut added, mut removed) = (0, 0);
                for change in diff.iter_all_changes() {
                    match change.tag() {
                        similar::ChangeTag::Insert => added += 1,
                        similar::ChangeTag::Delete => removed += 1,
                        similar::ChangeTag::Equal => {}
                    }
                }
                let _ = writeln!(
                    out,
                    " {path} ({}, {}) | {ADDED}+{added}{ADDED:#} {REMOVED}-{removed}{REMOVED:#}",
                    file.ownership, entry.name
                );
                continue;
            }
            let _ = writeln!(
                out,
                "{HEADER}diff {}@{} {path} ({}){HEADER:#}",
                entry.name, entry.version, file.ownership
            );
            let unified = diff
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{path}"), &format!("b/{path}"))
                .to_string();
            for line in unified.lines() {
                let style = if line.starts_with("+++") || line.starts_with("---") {
                    HEADER
                } else if line.starts_with('+') {
                    ADDED
                } else if line.starts_with('-') {
                    REMOVED
                } else if line.starts_with("@@") {
                    HUNK
                } else {
                    Style::new()
                };
                let _ = writeln!(out, "{style}{line}{style:#}");
            }
        }
    }
    if args.stat {
        let _ = writeln!(out, " {changed} file(s) differ from the golden path");
    }
    if !out.is_empty() {
        printer.data(&out);
    }
    if changed == 0 {
        printer.info("the repo matches a fresh render of its golden paths");
    }
    Ok(if changed == 0 { 0 } else { EXIT_FINDING })
}
