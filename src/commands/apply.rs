//! `pave apply`: render a golden path, or more of its components, into an existing repo.
//!
//! Files pave does not own are never overwritten silently; a second apply with the same answers
//! is a no-op; the lock keeps one entry per golden path and the answers, so later commands ask
//! nothing they already know. Everything is planned first and written all or nothing.

use crate::answers::{self, GivenAnswers};
use crate::catalog::{GoldenPath, Reference, VersionSpec};
use crate::cli::ApplyArgs;
use crate::error::{EXIT_FINDING, Error};
use crate::git::{self, WorkTree};
use crate::lock::{LOCK_PATH, LOCK_SCHEMA_PATH, Lock, LockEntry};
use crate::plan::{Action, Existing, Plan};
use crate::printer::Printer;
use crate::registry::model::AdoptionCommand;
use crate::render;
use crate::repo_path::RepoPath;
use crate::settings::{CatalogChoice, RegistryChoice, catalog_for_lock_entry};

/// `explicit_catalog` (`--catalog`, `PAVE_CATALOG`) overrides the catalog the lock records;
/// `fresh_catalog` is where a golden path the lock does not have yet comes from.
pub fn run(
    args: &ApplyArgs,
    explicit_catalog: Option<&CatalogChoice>,
    fresh_catalog: &CatalogChoice,
    registry: &RegistryChoice,
    printer: &Printer,
) -> Result<u8, Error> {
    let root = &args.dir;
    if !root.is_dir() {
        return Err(Error::Target {
            path: root.clone(),
            why: "is not a folder".into(),
        });
    }
    match git::work_tree(root)? {
        WorkTree::NoRepo => printer.warn(&format!(
            "{} is not in a git repository: pave cannot show what it changed, review the files it writes",
            root.display()
        )),
        WorkTree::Dirty(paths) if !args.allow_dirty => {
            return Err(Error::DirtyWorkTree { path: root.clone(), examples: paths });
        }
        WorkTree::Dirty(_) | WorkTree::Clean => {}
    }
    let lock = match Lock::read(root) {
        Ok(lock) => Some(lock),
        Err(crate::lock::LockError::Missing { .. }) => None,
        Err(e) => return Err(e.into()),
    };

    let golden_path = load(args, lock.as_ref(), explicit_catalog, fresh_catalog)?;
    let manifest = &golden_path.manifest;
    let prior = lock.as_ref().and_then(|l| l.entry(&manifest.name));

    let recorded: GivenAnswers = prior
        .map(|entry| answers::recorded(&entry.answers, Some(manifest)))
        .unwrap_or_default();
    let given = args.answering.given(recorded)?;
    let answers = crate::prompt::resolve(
        manifest,
        &given,
        &super::folder_name(root),
        args.answering.no_input,
    )?;

    let previous_components = prior.map(|e| e.components.clone()).unwrap_or_default();
    let components = if args.only.is_empty() && prior.is_some() {
        manifest.select_components(&previous_components, &[])?
    } else {
        manifest.select_components(&args.only, &[])?
    };
    let rendered = render::render(&golden_path, &answers, &components)?;

    let owner_of = |path: &RepoPath| {
        lock.as_ref()
            .and_then(|l| l.owner_of(path, &manifest.name))
            .map(|e| format!("{}@{}", e.name, e.version))
    };
    let existing = Existing {
        entry: prior,
        owner_of: &owner_of,
    };
    let plan = Plan::new(
        root,
        &manifest.id(),
        rendered,
        &existing,
        args.conflict,
        args.force,
    )
    .map_err(|e| Error::Usage(e.to_string()))?;

    // The new lock: this entry updated (components and files added to what it had), others kept.
    let mut entry = LockEntry {
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        catalog: golden_path.source.clone(),
        answers: answers.clone(),
        // Every component applied so far, in the manifest's order.
        components: manifest
            .components
            .keys()
            .filter(|c| previous_components.contains(c) || components.contains(c))
            .cloned()
            .collect(),
        files: Vec::new(),
    };
    for f in plan.files.iter().filter(|f| f.ownership.is_some()) {
        entry.files.push(crate::lock::LockedFile {
            path: f.path.clone(),
            ownership: f.ownership.expect("filtered on ownership"),
            component: f.component.clone().unwrap_or_default(),
            sha256: crate::lock::sha256_hex(&f.bytes),
            diverged: f.is_diverged()
                || (f.action == Action::Keep
                    && prior.is_some_and(|p| {
                        p.files.iter().any(|pf| pf.path == f.path && pf.diverged)
                    })),
        });
    }
    if let Some(prior) = prior {
        for old in &prior.files {
            if !entry.files.iter().any(|f| f.path == old.path) {
                entry.files.push(old.clone());
            }
        }
    }
    entry.files.sort_by(|a, b| a.path.cmp(&b.path));
    let new_lock = match lock.clone() {
        Some(mut lock) => {
            match lock.golden_paths.iter_mut().find(|e| e.name == entry.name) {
                Some(slot) => *slot = entry,
                None => lock.golden_paths.push(entry),
            }
            lock
        }
        None => Lock::new(entry),
    };
    let plan = plan.with_pave_files(
        root,
        vec![
            (
                RepoPath::parse(LOCK_PATH).expect("constant path"),
                new_lock.to_yaml().into_bytes(),
            ),
            (
                RepoPath::parse(LOCK_SCHEMA_PATH).expect("constant path"),
                crate::commands::schema::lock_schema().into_bytes(),
            ),
        ],
    );

    super::print_plan(printer, &plan);
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
            Some("keep yours and record it (--conflict=keep), write pave's beside it (--conflict=write-new), or overwrite (--force)"),
        );
        return Ok(EXIT_FINDING);
    }
    if plan.is_noop() {
        printer.status(
            "Up to date",
            &format!(
                "{} is already applied as planned; nothing to do",
                manifest.id()
            ),
        );
        return Ok(0);
    }
    if args.dry_run {
        printer.status("Dry run", "nothing written");
        return Ok(0);
    }
    crate::apply::write_all(root, &plan.writes())?;
    let events = new_lock
        .entry(&manifest.name)
        .map(|entry| {
            let repo = crate::record::repo_ref(root);
            crate::record::adoption(AdoptionCommand::Apply, &new_lock.repo_id, &repo, entry)
        })
        .into_iter()
        .collect();
    printer.status(
        "Applied",
        &format!(
            "{} ({}) to {}: {} created, {} updated, {} kept, {} written beside as .pave-new",
            manifest.id(),
            components.join(", "),
            root.display(),
            plan.count(Action::Create),
            plan.count(Action::Update),
            plan.count(Action::Keep) + plan.count(Action::KeepDiverged),
            plan.count(Action::WriteNew),
        ),
    );
    super::registry::record(registry, events, printer);
    Ok(0)
}

/// Loads the golden path: the locked version when the repo already has it and no version was
/// asked for; a different version is `pave upgrade`'s job.
fn load(
    args: &ApplyArgs,
    lock: Option<&Lock>,
    explicit: Option<&CatalogChoice>,
    choice: &CatalogChoice,
) -> Result<GoldenPath, Error> {
    let looks_like_path = args.reference.starts_with('.') || args.reference.contains('/');
    if looks_like_path {
        return choice.load(&args.reference);
    }
    let mut reference: Reference = args.reference.parse().map_err(Error::Catalog)?;
    let Some(prior) = lock.and_then(|l| l.entry(&reference.name)) else {
        return choice.load(&args.reference);
    };
    let fits = match &reference.version {
        VersionSpec::Newest => true,
        VersionSpec::Exact(v) => *v == prior.version,
        VersionSpec::Matching(req) => req.matches(&prior.version),
    };
    if !fits {
        return Err(Error::Usage(format!(
            "this repo has {}@{}; applying {} would mix versions. Take the new version with `pave upgrade --to <version>`",
            prior.name, prior.version, args.reference
        )));
    }
    reference.version = VersionSpec::Exact(prior.version.clone());
    let catalog = catalog_for_lock_entry(explicit, prior)?;
    Ok(catalog.load(&reference)?)
}
