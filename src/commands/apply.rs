//! `pave apply`: render a golden path, or more of its components, into an existing repo (the
//! engine's [`adopt`](pave_engine::adopt)), print the plan, write it all or nothing, record the
//! adoption.

use pave_engine::adopt::{self, Request};
use pave_engine::answers::Target;
use pave_engine::catalog::{GoldenPath, Reference};
use pave_engine::plan::{Action, ConflictPolicy};
use pave_engine::remote::Remote;
use pave_model::lock::{Lock, LockError};
use pave_registry::model::AdoptionCommand;

use crate::cli::ApplyArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::printer::Printer;
use crate::prompt::Prompter;
use crate::settings::{CatalogChoice, ConfigFile, LockCatalogs, RegistryChoice};

/// `catalogs` finds the catalog the lock records (or the one `--catalog`/`PAVE_CATALOG` names
/// instead); `fresh_catalog` is where a golden path the lock does not have yet comes from.
pub fn run(
    args: &ApplyArgs,
    catalogs: &LockCatalogs,
    fresh_catalog: &CatalogChoice,
    config: &ConfigFile,
    registry: &RegistryChoice,
    printer: &Printer,
) -> Result<u8, Error> {
    let root = &args.dir;
    if !root.is_dir() {
        return Err(Error::NotAFolder { path: root.clone() });
    }
    super::check_work_tree(root, args.allow_dirty, args.dry_run, printer)?;
    let lock = match Lock::read(root) {
        Ok(lock) => Some(lock),
        Err(LockError::Missing { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let conflict = ConflictPolicy::parse(args.conflict.iter().map(String::as_str))?;
    if args.force && conflict.is_set() {
        return Err(Error::ForceWithConflict);
    }
    let golden_path = load(args, lock.as_ref(), catalogs, fresh_catalog, config)?;
    let given = super::given_answers(&args.answering)?;
    let mut prompter = Prompter::new(args.answering.no_input);
    let target = Target {
        name: super::folder_name(root),
        remote: Remote::of(root),
    };
    let request = Request {
        root,
        lock: lock.as_ref(),
        golden_path: &golden_path,
        given: &given,
        target: &target,
        only: &args.only,
        conflict: &conflict,
        is_forced: args.force,
    };
    let adoption = adopt::plan(&request, prompter.asker())?;
    let plan = &adoption.plan;

    super::print_plan(printer, plan);
    for rule in conflict.unmatched(plan.files.iter().map(|f| &f.path)) {
        printer.warn(&format!(
            "--conflict `{}={}`: the glob matches no file of {}; paths are from the repo's root, without `./`",
            rule.glob,
            rule.mode.as_str(),
            golden_path.manifest.id()
        ));
    }
    let conflicts: Vec<_> = plan.conflicts().collect();
    if !conflicts.is_empty() {
        printer.error(
            &format!(
                "{} file(s) exist and pave may not overwrite them; nothing was written:\n{}",
                conflicts.len(),
                conflicts
                    .iter()
                    .map(|f| format!("  {} ({})", f.path, f.reason.unwrap_or("conflict")))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
            Some(&conflict_hint(&conflicts)),
        );
        return Ok(EXIT_FINDING);
    }
    let id = golden_path.manifest.id();
    if plan.is_noop() {
        printer.status(
            "Up to date",
            &format!("{id} is already applied as planned; nothing to do"),
        );
        return Ok(0);
    }
    if args.dry_run {
        printer.status("Dry run", "nothing written");
        return Ok(0);
    }
    pave_engine::apply::apply_changes(root, &plan.writes(), &plan.deletes())?;
    printer.status(
        "Applied",
        &format!(
            "{id} ({}) to {}: {} created, {} updated, {} deleted, {} kept, {} written beside as .pave-new",
            adoption.components.join(", "),
            root.display(),
            plan.count(Action::Create),
            plan.count(Action::Update),
            plan.count(Action::Delete),
            plan.count(Action::Keep) + plan.count(Action::KeepDiverged) + plan.count(Action::Orphan),
            plan.count(Action::WriteNew),
        ),
    );
    for dropped in plan
        .files
        .iter()
        .filter(|f| f.reason == Some(pave_engine::plan::EXCEPTION_DROPPED))
    {
        printer.warn(&format!(
            "{}: {}; record your tailoring again with `pave except` if it is still needed",
            dropped.path,
            pave_engine::plan::EXCEPTION_DROPPED
        ));
    }
    for orphan in plan.files.iter().filter(|f| f.action == Action::Orphan) {
        printer.warn(&format!(
            "{} is no longer rendered by {id} but was edited locally: kept as the repo's own file; delete it if it is not needed",
            orphan.path
        ));
    }
    super::warn_if_not_portable(printer, &adoption.lock, Some(&golden_path.manifest.name));
    let events = crate::record::adoptions(
        AdoptionCommand::Apply,
        &adoption.lock,
        root,
        Some(&golden_path.manifest.name),
    );
    super::registry::record(registry, events, printer);
    Ok(0)
}

/// Loads the golden path: a golden-path folder given by path; else, when the repo already has
/// it, the locked version from the catalog the lock records (a different version is `pave
/// upgrade`'s job); else from the catalog for new golden paths.
fn load(
    args: &ApplyArgs,
    lock: Option<&Lock>,
    catalogs: &LockCatalogs,
    fresh: &CatalogChoice,
    config: &ConfigFile,
) -> Result<GoldenPath, Error> {
    let looks_like_path = args.reference.starts_with('.') || args.reference.contains('/');
    if looks_like_path {
        return Ok(fresh.load(&args.reference, config)?);
    }
    let reference: Reference = args.reference.parse()?;
    match adopt::pinned_reference(&reference, lock)? {
        Some((pinned, prior)) => Ok(catalogs
            .open(prior)?
            .load(&pinned)
            .map_err(|e| e.for_locked(prior))?),
        None => Ok(fresh.load(&args.reference, config)?),
    }
}

/// What resolves these conflicts: the `--conflict` modes only for files pave does not own; for
/// managed files edited locally, undoing the edit or `--force`.
fn conflict_hint(conflicts: &[&pave_engine::plan::PlannedFile]) -> String {
    let edited: Vec<&str> = conflicts
        .iter()
        .filter(|f| f.reason == Some(pave_engine::plan::EDITED_MANAGED))
        .map(|f| f.path.as_str())
        .collect();
    let has_unowned = conflicts
        .iter()
        .any(|f| f.reason == Some(pave_engine::plan::NOT_PAVES));
    let mut ways = Vec::new();
    if has_unowned {
        ways.push(
            "for files that are not pave's: keep yours and record it (--conflict=keep) or write pave's beside it (--conflict=write-new)"
                .to_owned(),
        );
    }
    if !edited.is_empty() {
        ways.push(format!(
            "for managed files edited locally ({}): --force (or `git revert` of the commit that made the edit) takes pave's version back; to keep the change, record it as a reviewed exception (`pave except FILE --reason \"…\"`) or make it in the golden path",
            edited.join(", ")
        ));
    }
    let rerendered: Vec<&str> = conflicts
        .iter()
        .filter(|f| f.reason == Some(pave_engine::plan::EXCEPTED_RENDER_CHANGED))
        .map(|f| f.path.as_str())
        .collect();
    if !rerendered.is_empty() {
        ways.push(format!(
            "for excepted files whose render these answers change ({}): keep the answers, or apply with --force and record the tailoring again with `pave except`",
            rerendered.join(", ")
        ));
    }
    if has_unowned {
        ways.push("--force overwrites them all".to_owned());
    }
    ways.join("; ")
}
