//! `pave diff`: the repo against a fresh render of the golden-path versions its lock records,
//! as a unified diff per file (`-` the repo, `+` the golden path), or `--stat`; with `--to`,
//! against what `pave upgrade --to` would write. Exit 1 when they differ. Seeded files are the
//! repo's own and are left out unless `--all`; so are managed files whose only change is declared
//! pins moved forward (conforming, as `pave check` says), which are named on stderr. Which files differ is the engine's
//! ([`diff`](pave_engine::diff)); how they are shown is here.

use std::fmt::Write as _;

use anstyle::{AnsiColor, Style};

use pave_engine::catalog::load_locked;
use pave_engine::diff::{self, FileDiff};
use pave_engine::upgrade;
use pave_model::lock::Lock;

use crate::cli::DiffArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::printer::Printer;
use crate::settings::LockCatalogs;

const ADDED: Style = AnsiColor::Green.on_default();
const REMOVED: Style = AnsiColor::Red.on_default();
const HUNK: Style = AnsiColor::Cyan.on_default();
const HEADER: Style = Style::new().bold();

pub fn run(args: &DiffArgs, catalogs: &LockCatalogs, printer: &Printer) -> Result<u8, Error> {
    let lock = Lock::read(&args.dir)?;
    let diffs = match &args.to {
        Some(to) => {
            let entry = lock.pick(args.golden_path.as_deref())?;
            let catalog = catalogs.open(entry)?;
            let no_answers = Default::default();
            let prepared = upgrade::prepare(
                &args.dir,
                entry,
                catalog.as_ref(),
                Some(to),
                &no_answers,
                None,
                true,
            )?;
            let Some(prepared) = prepared else {
                printer.info(&format!(
                    "{}@{} is already at {to}",
                    entry.name, entry.version
                ));
                return Ok(0);
            };
            diff::against_upgrade(&args.dir, entry, &prepared, args.all)
        }
        None => {
            let mut diffs = Vec::new();
            for entry in &lock.golden_paths {
                let catalog = catalogs.open(entry)?;
                let golden_path = load_locked(catalog.as_ref(), entry)?;
                diffs.extend(diff::against_render(
                    &args.dir,
                    entry,
                    &golden_path,
                    args.all,
                )?);
            }
            diffs
        }
    };
    let (pinned, diffs): (Vec<FileDiff>, Vec<FileDiff>) =
        diffs.into_iter().partition(FileDiff::is_pinned);
    let mut out = String::new();
    for d in diffs.iter().chain(pinned.iter().filter(|_| args.all)) {
        write_file_diff(&mut out, args.stat, d);
    }
    if args.stat {
        let _ = writeln!(out, " {} file(s) differ from the golden path", diffs.len());
    }
    if !out.is_empty() {
        printer.data(&out)?;
    }
    if !pinned.is_empty() {
        printer.info(&pinned_note(&pinned, args.all));
    }
    let exceptions = lock
        .golden_paths
        .iter()
        .flat_map(|e| &e.files)
        .filter(|f| f.diverged || f.exception.is_some())
        .count();
    if diffs.is_empty() && exceptions > 0 && !args.all && args.to.is_none() {
        printer.info(&format!(
            "the repo matches a fresh render of its golden paths, apart from {exceptions} excepted or diverged file(s) (`pave diff --all` shows them)"
        ));
        Ok(0)
    } else if diffs.is_empty() {
        printer.info("the repo matches a fresh render of its golden paths");
        Ok(0)
    } else {
        Ok(EXIT_FINDING)
    }
}

/// The files that differ only in pins moved forward, each pin named.
fn pinned_note(pinned: &[FileDiff], is_shown: bool) -> String {
    let mut note = format!(
        "{} file(s) differ only in pins moved forward, which pave check accepts{}:",
        pinned.len(),
        if is_shown {
            ""
        } else {
            " (--all shows their diff)"
        }
    );
    for d in pinned {
        let _ = write!(note, "\n  {}", d.path);
        for pin in pave_engine::report::describe_pins(&d.pins) {
            let _ = write!(note, "\n    {pin}");
        }
    }
    note
}

/// One file's unified diff, oriented as `git diff` is (against a render: `-` the golden path,
/// `+` the repo's edit), each side's header naming what it is; or its `--stat` line.
fn write_file_diff(out: &mut String, is_stat: bool, d: &FileDiff) {
    let (label, path, old, new) = (&d.label, &d.path, &d.before, &d.after);
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
    if is_stat {
        // Lines added and removed, counted as an exception's size is.
        let (added, removed) = pave_engine::except::size(old, new);
        let _ = writeln!(
            out,
            " {path} {label} | {ADDED}+{added}{ADDED:#} {REMOVED}-{removed}{REMOVED:#}"
        );
        return;
    }
    let diff = similar::TextDiff::from_lines(old_text, new_text);
    let _ = writeln!(out, "{HEADER}diff {path} {label}{HEADER:#}");
    let unified = diff
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("a/{path}\t({})", d.before_label),
            &format!("b/{path}\t({})", d.after_label),
        )
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
