//! `pave upgrade`: take a newer version of a golden path without losing the repo's changes. The
//! engine ([`upgrade`](pave_engine::upgrade)) prepares it: the versions crossed, their
//! migrations, the old and new renders and a plan per file by ownership. This prints the release
//! notes and the plan, then has the engine write it all or nothing with the lock last.

use pave_engine::upgrade::{self, Prepared, Step};
use pave_model::lock::Lock;
use pave_registry::model::AdoptionCommand;

use crate::cli::UpgradeArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::printer::Printer;
use crate::prompt::Prompter;
use crate::settings::{LockCatalogs, RegistryChoice};

pub fn run(
    args: &UpgradeArgs,
    catalogs: &LockCatalogs,
    registry: &RegistryChoice,
    printer: &Printer,
) -> Result<u8, Error> {
    let root = &args.dir;
    let lock = Lock::read(root)?;
    let entry = lock.pick(args.golden_path.as_deref())?;
    super::check_work_tree(root, args.allow_dirty, args.dry_run, printer)?;
    let catalog = catalogs.open(entry)?;
    let given = super::given_answers(&args.answering)?;
    let mut prompter = Prompter::new(args.answering.no_input);
    let prepared = upgrade::prepare(
        root,
        entry,
        catalog.as_ref(),
        args.to.as_deref(),
        &given,
        prompter.asker(),
        args.force,
    )?;
    let Some(prepared) = prepared else {
        printer.status(
            "Up to date",
            &format!(
                "{}@{} is already at that version; nothing to do",
                entry.name, entry.version
            ),
        );
        // Already there, but the last upgrade's merge may not be finished.
        let checkout = pave_engine::eol::Checkout::of(root);
        let unresolved: Vec<&str> = entry
            .files
            .iter()
            .filter(|f| f.ownership == pave_model::manifest::Ownership::Merged)
            .filter(|f| {
                checkout
                    .read_as_git(root, &f.path)
                    .is_some_and(|b| pave_engine::conflict::has_conflict_markers(&b))
            })
            .map(|f| f.path.as_str())
            .collect();
        if !unresolved.is_empty() {
            printer.error(
                &format!(
                    "the upgrade to {} is not finished: {} merged file(s) still hold its conflict markers: {}",
                    entry.version,
                    unresolved.len(),
                    unresolved.join(", ")
                ),
                Some(pave_engine::report::CONFLICT_FIX),
            );
            return Ok(EXIT_FINDING);
        }
        return Ok(0);
    };
    let Prepared {
        target,
        crossed,
        plan,
    } = &prepared;

    for gp in crossed {
        let notes = gp.manifest.release_notes.trim();
        printer.info(&format!("Release notes of {}:", gp.manifest.id()));
        printer.info(&if notes.is_empty() {
            "  (none)".to_owned()
        } else {
            indent(notes)
        });
    }
    printer.info(&format!(
        "Plan: {}@{} -> {target}",
        entry.name, entry.version
    ));
    super::print_upgrade_plan(printer, plan);

    let unresolved = paths_at(plan, Step::Unresolved);
    if !unresolved.is_empty() {
        printer.error(
            &format!(
                "{} merged file(s) still hold the conflict markers of an earlier upgrade; merging again would bury them, so nothing was written: {}",
                unresolved.len(),
                unresolved.join(", ")
            ),
            Some(pave_engine::report::CONFLICT_FIX),
        );
        return Ok(EXIT_FINDING);
    }
    let claimed = paths_at(plan, Step::Claimed);
    if !claimed.is_empty() {
        printer.error(
            &format!(
                "{target} adds {} file(s) the repo already has as its own; upgrading would overwrite them, so nothing was written: {}",
                claimed.len(),
                claimed.join(", ")
            ),
            Some("move or rename them (then upgrade, and carry what you need into pave's version); --force overwrites files, but a folder or link there must move"),
        );
        return Ok(EXIT_FINDING);
    }
    let refused: Vec<_> = plan
        .files
        .iter()
        .filter(|f| f.step == Step::Refused)
        .collect();
    if !refused.is_empty() {
        for f in &refused {
            if let Some(diff) = &f.local_diff {
                printer.info(&format!("Local edits of {} (managed):\n{diff}", f.path));
            }
        }
        printer.error(
            &format!(
                "{} managed file(s) were edited locally; upgrading would overwrite the edits, so nothing was written: {}",
                refused.len(),
                refused.iter().map(|f| f.path.as_str()).collect::<Vec<_>>().join(", ")
            ),
            Some("keep an edit reviewed as an exception (`pave except FILE --reason \"…\"`, then upgrade: it is merged into the new version), move it out of managed files (or into the golden path), or overwrite it with --force"),
        );
        return Ok(EXIT_FINDING);
    }
    if args.dry_run {
        printer.status("Dry run", "nothing written");
        return Ok(0);
    }

    let new_lock = upgrade::write(root, &lock, &prepared)?;
    let conflicts: Vec<_> = plan
        .files
        .iter()
        .filter(|f| f.step == Step::MergeConflict)
        .collect();
    printer.status(
        "Upgraded",
        &format!(
            "{} {} -> {target}: {} replaced, {} merged, {} created, {} moved, {} deleted, {} conflict(s)",
            entry.name,
            entry.version,
            plan.count(Step::Replace),
            plan.count(Step::Merge),
            plan.count(Step::Create),
            plan.count(Step::Move),
            plan.count(Step::Delete),
            conflicts.len()
        ),
    );
    super::warn_if_not_portable(printer, &new_lock, Some(&entry.name));
    // Recorded once the lock moved, merge conflicts or not: the repo is on the new version.
    let events =
        crate::record::adoptions(AdoptionCommand::Upgrade, &new_lock, root, Some(&entry.name));
    super::registry::record(registry, events, printer);
    for orphan in plan.files.iter().filter(|f| f.step == Step::KeepOrphan) {
        printer.warn(&format!(
            "{} is no longer part of {}; kept because it was edited, and no longer tracked",
            orphan.path, entry.name
        ));
    }
    if !conflicts.is_empty() {
        // Excepted files need their resolution recorded again, as a reviewer must see it.
        let excepted: Vec<&str> = conflicts
            .iter()
            .filter(|f| {
                plan.entry
                    .files
                    .iter()
                    .any(|l| l.path == f.path && l.exception.is_some())
            })
            .map(|f| f.path.as_str())
            .collect();
        let hint = if excepted.is_empty() {
            "resolve the markers, then commit; everything else of the upgrade is done".to_owned()
        } else {
            format!(
                "resolve the markers; for excepted files record the resolution with `pave except {}` (the reason stays); then commit; everything else of the upgrade is done",
                excepted.join(" ")
            )
        };
        printer.error(
            &format!(
                "{} file(s) have conflicting edits, marked with <<<<<<< ======= >>>>>>>: {}",
                conflicts.len(),
                conflicts
                    .iter()
                    .map(|f| f.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(&hint),
        );
        return Ok(EXIT_FINDING);
    }
    Ok(0)
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The files the plan gives `step`.
fn paths_at(plan: &pave_engine::upgrade::UpgradePlan, step: Step) -> Vec<&str> {
    plan.files
        .iter()
        .filter(|f| f.step == step)
        .map(|f| f.path.as_str())
        .collect()
}
