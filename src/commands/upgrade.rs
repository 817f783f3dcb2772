//! `pave upgrade`: take a newer version of a golden path without losing the repo's changes.
//! Renders the locked version (base) and the new one, runs the migrations of every version
//! crossed, plans per file by ownership, prints the release notes and the plan, then writes all
//! or nothing with the lock last, so an interrupted upgrade can simply be run again.

use crate::answers::{self, GivenAnswers};
use crate::catalog::{Reference, VersionSpec};
use crate::check::render_entry;
use crate::cli::UpgradeArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::git::{self, WorkTree};
use crate::lock::{LOCK_PATH, LOCK_SCHEMA_PATH, Lock, LockEntry};
use crate::printer::Printer;
use crate::registry::model::AdoptionCommand;
use crate::render;
use crate::repo_path::RepoPath;
use crate::settings::{CatalogChoice, RegistryChoice, catalog_for_lock_entry};
use crate::upgrade::{self, Step};

pub fn run(
    args: &UpgradeArgs,
    explicit: Option<&CatalogChoice>,
    registry: &RegistryChoice,
    printer: &Printer,
) -> Result<u8, Error> {
    let root = &args.dir;
    let lock = Lock::read(root)?;
    let entry = pick_entry(&lock, args.golden_path.as_deref())?;
    match git::work_tree(root)? {
        WorkTree::Dirty(paths) if !args.allow_dirty => {
            return Err(Error::DirtyWorkTree { path: root.clone(), examples: paths });
        }
        WorkTree::NoRepo => printer.warn(&format!(
            "{} is not in a git repository: pave cannot show what it changed, review the files it writes",
            root.display()
        )),
        _ => {}
    }
    let Some(Prepared {
        target,
        crossed,
        plan,
    }) = prepare(
        root,
        entry,
        explicit,
        args.to.as_deref(),
        Some(&args.answering),
        args.force,
    )?
    else {
        printer.status(
            "Up to date",
            &format!(
                "{}@{} is already at that version; nothing to do",
                entry.name, entry.version
            ),
        );
        return Ok(0);
    };

    for gp in &crossed {
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
    let width = plan
        .files
        .iter()
        .map(|f| f.path.as_str().len())
        .max()
        .unwrap_or(0);
    for f in plan.files.iter().filter(|f| f.step != Step::Keep) {
        let from = f
            .moved_from
            .as_ref()
            .map(|p| format!(" (from {p})"))
            .unwrap_or_default();
        let ownership = f.ownership.map(|o| o.to_string()).unwrap_or_default();
        printer.info(&format!(
            "  {:<9} {:<width$}  {}{from}",
            f.step.as_str(),
            f.path.as_str(),
            printer.dim(&ownership)
        ));
    }
    let kept = plan.count(Step::Keep);
    if kept > 0 {
        printer.info(&format!("  {kept} file(s) kept as they are"));
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
            Some("move the edits out of managed files (or into the golden path), or overwrite them with --force"),
        );
        return Ok(EXIT_FINDING);
    }
    if args.dry_run {
        printer.status("Dry run", "nothing written");
        return Ok(0);
    }

    let mut writes: Vec<crate::apply::Write> = plan
        .files
        .iter()
        .filter_map(|f| {
            f.bytes.as_ref().map(|bytes| crate::apply::Write {
                path: f.path.clone(),
                bytes: bytes.clone(),
                is_executable: f.is_executable,
            })
        })
        .collect();
    let deletes: Vec<RepoPath> = plan
        .files
        .iter()
        .filter_map(|f| match (f.step, &f.moved_from) {
            (Step::Delete, _) => Some(f.path.clone()),
            // A renamed file is written at its new path (moved, merged or replaced): the old
            // one goes, when the repo still has it.
            (_, Some(from)) if f.bytes.is_some() && from.under(root).exists() => Some(from.clone()),
            _ => None,
        })
        .collect();
    let mut new_lock = lock.clone();
    if let Some(slot) = new_lock
        .golden_paths
        .iter_mut()
        .find(|e| e.name == entry.name)
    {
        *slot = plan.entry.clone();
    }
    writes.push(crate::apply::Write {
        path: RepoPath::parse(LOCK_SCHEMA_PATH).expect("constant path"),
        bytes: crate::commands::schema::lock_schema().into_bytes(),
        is_executable: false,
    });
    writes.push(crate::apply::Write {
        path: RepoPath::parse(LOCK_PATH).expect("constant path"),
        bytes: new_lock.to_yaml().into_bytes(),
        is_executable: false,
    });
    crate::apply::apply_changes(root, &writes, &deletes)?;
    // Recorded once the lock moved, merge conflicts or not: the repo is on the new version.
    let events = new_lock
        .entry(&entry.name)
        .map(|upgraded| {
            let repo = crate::record::repo_ref(root);
            crate::record::adoption(AdoptionCommand::Upgrade, &new_lock.repo_id, &repo, upgraded)
        })
        .into_iter()
        .collect();

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
    super::registry::record(registry, events, printer);
    for orphan in plan.files.iter().filter(|f| f.step == Step::KeepOrphan) {
        printer.warn(&format!(
            "{} is no longer part of {}; kept because it was edited, and no longer tracked",
            orphan.path, entry.name
        ));
    }
    if !conflicts.is_empty() {
        printer.error(
            &format!(
                "{} merged file(s) have conflicting edits, marked with <<<<<<< ======= >>>>>>>: {}",
                conflicts.len(),
                conflicts
                    .iter()
                    .map(|f| f.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some("resolve the markers, then commit; everything else of the upgrade is done"),
        );
        return Ok(EXIT_FINDING);
    }
    Ok(0)
}

/// What an upgrade would do: the target version, the versions crossed, and the plan.
pub(crate) struct Prepared {
    pub target: semver::Version,
    pub crossed: Vec<crate::catalog::GoldenPath>,
    pub plan: upgrade::UpgradePlan,
}

/// Plans the upgrade of `entry` to `to` (default the newest); `None` when it is already there.
/// Without `answering`, new parameters take their defaults (or a migration's value).
pub(crate) fn prepare(
    root: &std::path::Path,
    entry: &LockEntry,
    explicit: Option<&CatalogChoice>,
    to: Option<&str>,
    answering: Option<&crate::cli::AnsweringArgs>,
    is_forced: bool,
) -> Result<Option<Prepared>, Error> {
    let catalog = catalog_for_lock_entry(explicit, entry)?;

    // The target version: --to (exact or a requirement), else the newest release.
    let reference = Reference {
        name: entry.name.clone(),
        version: match &to {
            None => VersionSpec::Newest,
            Some(to) => format!("{}@{to}", entry.name).parse::<Reference>()?.version,
        },
    };
    let listing = catalog.list()?.into_iter().find(|l| l.name == entry.name);
    let versions = listing.map(|l| l.versions).unwrap_or_default();
    let target =
        reference
            .pick(&versions)
            .ok_or_else(|| crate::catalog::CatalogError::UnknownVersion {
                name: entry.name.clone(),
                reference: reference.to_string(),
                catalog: catalog.describe(),
                known: versions
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
    if target == entry.version {
        return Ok(None);
    }
    if target < entry.version {
        return Err(Error::Usage(format!(
            "{}@{} is newer than {target}; pave upgrade does not go back (restore the older lock and files from git)",
            entry.name, entry.version
        )));
    }

    let load = |v: &semver::Version| {
        catalog.load(&Reference {
            name: entry.name.clone(),
            version: VersionSpec::Exact(v.clone()),
        })
    };
    let old = load(&entry.version)?;
    let mut crossed = Vec::new();
    for v in versions
        .iter()
        .filter(|v| **v > entry.version && **v <= target && v.pre.is_empty())
    {
        crossed.push(load(v)?);
    }
    if crossed.last().map(|g| &g.manifest.version) != Some(&target) {
        crossed.push(load(&target)?);
    }
    let new = crossed.last().expect("the target is crossed").clone();
    let manifest = &new.manifest;

    let migrated = upgrade::migrate(
        entry,
        crossed
            .iter()
            .flat_map(|g| g.manifest.migrations.iter().map(|m| &m.value)),
    );
    let recorded: GivenAnswers = answers::recorded(&migrated.answers, Some(manifest));
    let given = match answering {
        Some(answering) => answering.given(recorded)?,
        None => recorded,
    };
    let answers =
        crate::prompt::resolve(manifest, &given, "", answering.is_none_or(|a| a.no_input))?;
    let components: Vec<String> = manifest
        .components
        .keys()
        .filter(|c| entry.components.contains(c))
        .cloned()
        .collect();

    let base = render_entry(&old, entry)?;
    let rendered = render::render(&new, &answers, &components)?;
    let new_entry = LockEntry {
        name: entry.name.clone(),
        version: target.clone(),
        catalog: new.source.clone(),
        answers,
        components,
        files: Vec::new(),
    };
    let plan = upgrade::plan(
        root, entry, &base, &rendered, &migrated, new_entry, is_forced,
    );
    Ok(Some(Prepared {
        target,
        crossed,
        plan,
    }))
}

pub(crate) fn pick_entry<'a>(lock: &'a Lock, name: Option<&str>) -> Result<&'a LockEntry, Error> {
    let names = || {
        lock.golden_paths
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match name {
        Some(name) => lock.entry(name).ok_or_else(|| {
            Error::Usage(format!(
                "this repo has no golden path `{name}`; it has: {}",
                names()
            ))
        }),
        None => match lock.golden_paths.as_slice() {
            [one] => Ok(one),
            _ => Err(Error::Usage(format!(
                "this repo has several golden paths ({}); name the one to upgrade",
                names()
            ))),
        },
    }
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
