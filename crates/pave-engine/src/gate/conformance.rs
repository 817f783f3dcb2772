//! The `conformance` gate: `pave check`'s report (the same engine, `crate::check`) as a verdict.

use super::{Finding, FindingKind, Gate, Level, Status, Verdict};
use pave_model::status::Lag;

use crate::check::{CheckReport, FileState};
use crate::report::fix_command;
use pave_model::lock::LOCK_PATH;

pub fn conformance(report: &CheckReport) -> Verdict {
    let count =
        |state: FileState| -> usize { report.golden_paths.iter().map(|gp| gp.count(state)).sum() };
    let checked: usize = report
        .golden_paths
        .iter()
        .map(|gp| gp.files.len() - gp.count(FileState::Seeded))
        .sum();
    let mismatches: usize = report
        .golden_paths
        .iter()
        .filter_map(|gp| gp.catalog_view.as_ref())
        .map(|v| v.lock_mismatches.len())
        .sum();
    let conflicted = match count(FileState::Conflicted) {
        0 => String::new(),
        n => format!(", {n} conflicted"),
    };
    let pinned = match count(FileState::Pinned) {
        0 => String::new(),
        n => format!(", {n} pinned (pins moved forward)"),
    };
    let exceptions = match report.exceptions {
        0 => String::new(),
        n => format!("; {}, {n} exception(s)", report.verdict),
    };
    let headline = format!(
        "{} golden path(s), {checked} files checked: {} drifted{pinned}, {} deleted{conflicted}, {mismatches} lock mismatch(es){exceptions}",
        report.golden_paths.len(),
        count(FileState::Drifted),
        count(FileState::Deleted),
    );
    let mut verdict = Verdict::new(
        Gate::Conformance,
        if report.conforming {
            Status::Pass
        } else {
            Status::Fail
        },
        headline,
    );
    for gp in &report.golden_paths {
        let at = format!("{}@{}", gp.name, gp.version);
        let fix = fix_command(gp);
        for f in &gp.files {
            let pins = crate::report::describe_pins(&f.pins);
            let (kind, level, title, message) = match f.state {
                FileState::Drifted if !pins.is_empty() => (
                    FindingKind::Drifted,
                    Level::Error,
                    format!("Managed file drifted ({at})"),
                    format!(
                        "{} is managed by {at} and its pins did not all move forward ({}); restore it with `{fix}`",
                        f.path,
                        pins.join("; ")
                    ),
                ),
                FileState::Drifted => (
                    FindingKind::Drifted,
                    Level::Error,
                    format!("Managed file drifted ({at})"),
                    format!(
                        "{} is managed by {at} and was edited; restore it with `{fix}`",
                        f.path
                    ),
                ),
                FileState::Pinned => (
                    FindingKind::Pinned,
                    Level::Notice,
                    format!("Pins moved forward ({at})"),
                    format!(
                        "{} is managed by {at} and differs from it only in pins moved forward: {}",
                        f.path,
                        pins.join("; ")
                    ),
                ),
                FileState::Deleted => (
                    FindingKind::Deleted,
                    Level::Error,
                    format!("File deleted ({at})"),
                    format!(
                        "{} ({} by {at}) is missing; restore it with `{fix}`",
                        f.path, f.ownership
                    ),
                ),
                FileState::Conflicted => (
                    FindingKind::Conflicted,
                    Level::Error,
                    format!("Unresolved upgrade conflict ({at})"),
                    format!(
                        "{} is merged with {at} and still holds the conflict markers `pave upgrade` wrote",
                        f.path
                    ),
                ),
                FileState::Edited => (
                    FindingKind::EditedMerged,
                    Level::Notice,
                    format!("Merged file edited ({at})"),
                    format!("{} is merged with {at}: the local edit is allowed", f.path),
                ),
                FileState::Excepted => (
                    FindingKind::Excepted,
                    Level::Notice,
                    format!("Managed file excepted ({at})"),
                    crate::report::exception_words(f, &at),
                ),
                FileState::Diverged => (
                    FindingKind::Diverged,
                    Level::Notice,
                    format!("File diverged ({at})"),
                    format!(
                        "{} keeps the repo's own version of {at} by choice (an exception)",
                        f.path
                    ),
                ),
                _ => continue,
            };
            verdict
                .findings
                .push(Finding::new(kind, level, title, message).on(&f.path, None, None));
        }
        if let Some(view) = &gp.catalog_view {
            for m in &view.lock_mismatches {
                verdict.findings.push(
                    Finding::new(
                        FindingKind::LockMismatch,
                        Level::Error,
                        format!("Lock mismatch ({at})"),
                        format!("the lock disagrees with {at}: {m}"),
                    )
                    .on(LOCK_PATH, None, None),
                );
            }
            if !view.lock_mismatches.is_empty() {
                verdict
                    .next_steps
                    .push(crate::report::LOCK_MISMATCH_FIX.to_owned());
            }
            if view.lag != Lag::None {
                verdict.notes.push(format!(
                    "{at} is {} version(s) behind {}; `pave upgrade` takes it",
                    view.versions_behind, view.latest
                ));
            }
        }
        if let Some(note) = &gp.catalog_note {
            verdict.notes.push(note.clone());
        }
        if gp.files.iter().any(|f| f.state.is_restorable()) {
            verdict.next_steps.push(format!(
                "see the changes with `pave diff`, restore with `{fix}`"
            ));
        }
        if gp.count(FileState::Conflicted) > 0 {
            verdict
                .next_steps
                .push(crate::report::CONFLICT_FIX.to_owned());
        }
        verdict.next_steps.extend(crate::report::exception_fix(gp));
    }
    verdict
}
