//! `--format github`: GitHub Actions workflow commands, which the runner turns into annotations
//! on the files of a pull request. `::error` for drifted and deleted files and lock mismatches
//! (on `.pave/lock.yaml`), `::notice` for edited merged, pinned and diverged files and for
//! version lag, then a one-line summary. Values are escaped as `@actions/core` does, so a path or message can
//! never end a command early or start a new one.

use std::fmt::Write as _;

use pave_model::status::Lag;

use crate::check::{CheckReport, FileState};
use pave_model::lock::LOCK_PATH;

/// The moved pins of a file in words after `lead`, or nothing when there are none.
fn pins_in_words(pins: &[crate::pins::PinChange], lead: &str) -> String {
    if pins.is_empty() {
        return String::new();
    }
    format!("{lead}{}", super::describe_pins(pins).join("; "))
}

pub fn render(report: &CheckReport) -> String {
    let mut out = String::new();
    let (mut checked, mut mismatches) = (0, 0);
    for gp in &report.golden_paths {
        let at = format!("{}@{}", gp.name, gp.version);
        let fix = super::fix_command(gp);
        for f in &gp.files {
            let path = &f.path;
            let (level, title, message) = match f.state {
                FileState::Drifted => (
                    "error",
                    format!("Managed file drifted ({at})"),
                    format!(
                        "{path} is managed by {at} and was edited{}. See the change with `pave diff`; restore it with `{fix}`.",
                        pins_in_words(&f.pins, ": pins that did not move forward: ")
                    ),
                ),
                FileState::Pinned => (
                    "notice",
                    format!("Pins moved forward ({at})"),
                    format!(
                        "{path} is managed by {at} and differs from it only in pins moved forward{}.",
                        pins_in_words(&f.pins, ": ")
                    ),
                ),
                FileState::Deleted => (
                    "error",
                    format!("File deleted ({at})"),
                    format!(
                        "{path} ({} by {at}) is missing. Restore it with `{fix}`.",
                        f.ownership
                    ),
                ),
                FileState::Conflicted => (
                    "error",
                    format!("Unresolved upgrade conflict ({at})"),
                    format!(
                        "{path} is merged with {at} and still holds conflict markers: {}.",
                        super::CONFLICT_FIX
                    ),
                ),
                FileState::Edited => (
                    "notice",
                    format!("Merged file edited ({at})"),
                    format!(
                        "{path} is merged with {at}: the local edit is allowed, kept, and merged on upgrade."
                    ),
                ),
                FileState::Diverged => (
                    "notice",
                    format!("File diverged ({at})"),
                    format!(
                        "{path} keeps the repo's own version of {at} by choice (an exception)."
                    ),
                ),
                FileState::Excepted => (
                    "notice",
                    format!("Managed file excepted ({at})"),
                    super::exception_words(f, &at),
                ),
                FileState::Unchanged | FileState::Seeded => continue,
            };
            command(&mut out, level, Some(path), &title, &message);
        }
        checked += gp
            .files
            .iter()
            .filter(|f| f.state != FileState::Seeded)
            .count();
        if let Some(view) = &gp.catalog_view {
            for m in &view.lock_mismatches {
                let message = format!(
                    "The lock disagrees with {at}: {m}. Fix: {}.",
                    super::LOCK_MISMATCH_FIX
                );
                command(
                    &mut out,
                    "error",
                    Some(LOCK_PATH),
                    &format!("Lock mismatch ({at})"),
                    &message,
                );
            }
            mismatches += view.lock_mismatches.len();
            if view.lag != Lag::None {
                let message = format!(
                    "{at} is {} version(s) behind {} ({:?} lag); `pave upgrade` takes it.",
                    view.versions_behind, view.latest, view.lag
                );
                command(
                    &mut out,
                    "notice",
                    Some(LOCK_PATH),
                    &format!("Golden path behind ({at})"),
                    &message,
                );
            }
        }
        if let Some(note) = &gp.catalog_note {
            command(
                &mut out,
                "notice",
                None,
                &format!("Catalog not checked ({at})"),
                note,
            );
        }
    }
    let total = |state| {
        report
            .golden_paths
            .iter()
            .map(|gp| gp.count(state))
            .sum::<usize>()
    };
    let verdict = match (report.conforming, report.exceptions) {
        (false, _) => "does not conform",
        (true, 0) => "conforms",
        (true, _) => "conforms with exceptions",
    };
    let pinned = match total(FileState::Pinned) {
        0 => String::new(),
        n => format!(", {n} pinned (pins moved forward)"),
    };
    let _ = write!(
        out,
        "pave check: {verdict}: {} golden path(s), {checked} files checked, {} drifted{pinned}, {} deleted, {mismatches} lock mismatch(es), {} edited (merged), {} diverged, {} excepted",
        report.golden_paths.len(),
        total(FileState::Drifted),
        total(FileState::Deleted),
        total(FileState::Edited),
        total(FileState::Diverged),
        total(FileState::Excepted),
    );
    let fixes: Vec<String> = report
        .golden_paths
        .iter()
        .filter(|gp| gp.files.iter().any(|f| f.state.is_restorable()))
        .map(super::fix_command)
        .chain((total(FileState::Conflicted) > 0).then(|| super::CONFLICT_FIX.to_owned()))
        .chain(report.golden_paths.iter().filter_map(super::exception_fix))
        .collect();
    if !fixes.is_empty() {
        let _ = write!(out, "; fix: {}", fixes.join("; "));
    }
    out.push('\n');
    out
}

/// Writes `::level file=…,title=…::message` with every value escaped.
fn command(out: &mut String, level: &str, file: Option<&str>, title: &str, message: &str) {
    annotation(out, level, file, None, title, message);
}

/// Writes `::level file=…,line=…,endLine=…,title=…::message` with every value escaped; `lines`
/// (start, end) only with a file.
pub(crate) fn annotation(
    out: &mut String,
    level: &str,
    file: Option<&str>,
    lines: Option<(u32, u32)>,
    title: &str,
    message: &str,
) {
    let mut properties = String::new();
    if let Some(file) = file {
        let _ = write!(properties, "file={},", escape_property(file));
        if let Some((line, end)) = lines {
            let _ = write!(properties, "line={line},endLine={end},");
        }
    }
    let _ = writeln!(
        out,
        "::{level} {properties}title={}::{}",
        escape_property(title),
        escape_data(message)
    );
}

fn escape_data(value: &str) -> String {
    value
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(value: &str) -> String {
    escape_data(value).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_toolkit_does() {
        assert_eq!(escape_data("50% a:b,c\r\nd"), "50%25 a:b,c%0D%0Ad");
        assert_eq!(escape_property("50% a:b,c\r\nd"), "50%25 a%3Ab%2Cc%0D%0Ad");
    }

    #[test]
    fn annotations_carry_lines_only_with_a_file() {
        let mut out = String::new();
        annotation(
            &mut out,
            "warning",
            Some("src/a.rs"),
            Some((8, 9)),
            "t",
            "m",
        );
        annotation(&mut out, "error", None, Some((1, 1)), "t", "m");
        assert_eq!(
            out,
            "::warning file=src/a.rs,line=8,endLine=9,title=t::m\n::error title=t::m\n"
        );
    }

    #[test]
    fn a_value_cannot_start_another_command() {
        let mut out = String::new();
        command(&mut out, "error", Some("a,b"), "t", "x\n::warning::y");
        assert_eq!(out, "::error file=a%2Cb,title=t::x%0A::warning::y\n");
    }
}
