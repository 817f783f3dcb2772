//! `pave diff`: the repo against a fresh render of the golden-path versions its lock records,
//! as a unified diff per file (`-` the repo, `+` the golden path), or `--stat`; with `--to`,
//! against what `pave upgrade --to` would write. Exit 1 when they differ. Seeded files are the
//! repo's own and are left out unless `--all`.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use crate::catalog::{Reference, VersionSpec};
use crate::check::render_entry;
use crate::cli::DiffArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::lock::Lock;
use crate::manifest::Ownership;
use crate::printer::Printer;
use crate::settings::{CatalogChoice, catalog_for_lock_entry};
use crate::upgrade::Step;

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
    if let Some(to) = &args.to {
        let entry = super::upgrade::pick_entry(&lock, args.golden_path.as_deref())?;
        let Some(prepared) =
            super::upgrade::prepare(&args.dir, entry, explicit, Some(to), None, true)?
        else {
            printer.info(&format!(
                "{}@{} is already at {to}",
                entry.name, entry.version
            ));
            return Ok(0);
        };
        for f in &prepared.plan.files {
            if f.ownership == Some(Ownership::Seeded) && !args.all {
                continue;
            }
            let before = f
                .moved_from
                .as_ref()
                .unwrap_or(&f.path)
                .read_regular_under(&args.dir)
                .unwrap_or_default();
            let after: &[u8] = match (f.step, &f.bytes) {
                (Step::Delete, _) => &[],
                (_, Some(bytes)) => bytes,
                (_, None) => continue,
            };
            if before == after && f.moved_from.is_none() {
                continue;
            }
            changed += 1;
            let label = format!(
                "{}@{} -> {} ({})",
                entry.name,
                entry.version,
                prepared.target,
                f.step.as_str()
            );
            write_file_diff(&mut out, args.stat, &label, f.path.as_str(), &before, after);
        }
    } else {
        for entry in &lock.golden_paths {
            let catalog = catalog_for_lock_entry(explicit, entry)?;
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
                let on_disk = file.path.read_regular_under(&args.dir);
                if on_disk.as_deref() == Some(file.bytes.as_slice()) {
                    continue;
                }
                changed += 1;
                let label = format!("{}@{} ({})", entry.name, entry.version, file.ownership);
                write_file_diff(
                    &mut out,
                    args.stat,
                    &label,
                    file.path.as_str(),
                    &on_disk.unwrap_or_default(),
                    &file.bytes,
                );
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

/// One file's unified diff (`-` the repo, `+` the golden path), or its `--stat` line.
fn write_file_diff(
    out: &mut String,
    is_stat: bool,
    label: &str,
    path: &str,
    old: &[u8],
    new: &[u8],
) {
    let (old_text, new_text) = match (std::str::from_utf8(old), std::str::from_utf8(new)) {
        (Ok(a), Ok(b)) => (a, b),
        _ => {
            let _ = writeln!(
                out,
                "{HEADER}Binary files a/{path} and b/{path} differ{HEADER:#}"
            );
            return;
        }
    };
    let diff = similar::TextDiff::from_lines(old_text, new_text);
    if is_stat {
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
            " {path} {label} | {ADDED}+{added}{ADDED:#} {REMOVED}-{removed}{REMOVED:#}"
        );
        return;
    }
    let _ = writeln!(out, "{HEADER}diff {path} {label}{HEADER:#}");
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
