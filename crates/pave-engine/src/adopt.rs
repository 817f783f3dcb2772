//! `pave apply`'s engine: a golden path, or more of its components, rendered into an existing
//! repo. Files pave does not own are never overwritten silently (they are conflicts, unless the
//! caller chose `--conflict=keep|write-new` or `--force`); a second apply with the same answers
//! plans nothing; the lock keeps one entry per golden path with its answers, so later commands
//! ask nothing they already know. [`plan`] computes everything; the caller prints the plan and
//! writes it with [`crate::apply::write_all`].

use std::path::Path;

use pave_base::repo_path::RepoPath;
use pave_model::lock::{Lock, LockEntry, LockedFile};

use crate::answers::{self, AnswerError, Asker, GivenAnswers, Target};
use crate::catalog::{GoldenPath, Reference, VersionSpec};
use crate::plan::{Action, ClaimedTwice, ConflictPolicy, Existing, Plan};
use crate::render::{self, RenderError};

/// Why a golden path cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    #[error(transparent)]
    Answers(#[from] AnswerError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    ClaimedTwice(#[from] ClaimedTwice),
    /// The reference names another version than the one the repo has.
    #[error(
        "this repo has {name}@{locked}; applying {reference} would mix versions (apply adds to the version the repo has; changing the version is an upgrade)"
    )]
    MixedVersions {
        name: String,
        locked: semver::Version,
        reference: String,
    },
}

/// What to apply, and how.
pub struct Request<'a> {
    /// The repo's root folder.
    pub root: &'a Path,
    /// The repo's lock, when it has adopted a golden path before.
    pub lock: Option<&'a Lock>,
    pub golden_path: &'a GoldenPath,
    /// Answers given now (`--answers`, `--set`), on top of those the lock records.
    pub given: &'a GivenAnswers,
    /// The folder's name and its git remote, for templated defaults (`{{ target_name }}`,
    /// `{{ git.remote_owner }}`).
    pub target: &'a Target,
    /// Components to add; empty: those applied before, else the golden path's defaults.
    pub only: &'a [String],
    pub conflict: &'a ConflictPolicy,
    pub is_forced: bool,
}

/// The planned apply: every file's action, pave's own files last, and the lock it writes.
#[derive(Debug, Clone)]
pub struct Adoption {
    pub plan: Plan,
    pub lock: Lock,
    /// The components this apply renders.
    pub components: Vec<String>,
}

/// The version of `reference` to load for a repo with `lock`: the locked one when the repo has
/// the golden path and the reference allows it (a reference without a version means "the one I
/// have"); `None` when the repo does not have it. Another version is `pave upgrade`'s job.
pub fn pinned_reference<'a>(
    reference: &Reference,
    lock: Option<&'a Lock>,
) -> Result<Option<(Reference, &'a LockEntry)>, AdoptError> {
    let Some(prior) = lock.and_then(|l| l.entry(&reference.name)) else {
        return Ok(None);
    };
    let fits = match &reference.version {
        VersionSpec::Newest => true,
        VersionSpec::Exact(v) => *v == prior.version,
        VersionSpec::Matching(req) => req.matches(&prior.version),
    };
    if !fits {
        return Err(AdoptError::MixedVersions {
            name: prior.name.clone(),
            locked: prior.version.clone(),
            reference: reference.to_string(),
        });
    }
    let pinned = Reference {
        name: reference.name.clone(),
        version: VersionSpec::Exact(prior.version.clone()),
    };
    Ok(Some((pinned, prior)))
}

/// Plans applying the request's golden path: answers resolved (recorded, then given, then
/// `asker`, then defaults), components chosen, rendered, planned against the repo and its lock.
pub fn plan(request: &Request<'_>, asker: Option<&mut dyn Asker>) -> Result<Adoption, AdoptError> {
    let Request {
        root,
        lock,
        golden_path,
        ..
    } = *request;
    let manifest = &golden_path.manifest;
    let prior = lock.and_then(|l| l.entry(&manifest.name));

    let mut given: GivenAnswers = prior
        .map(|entry| answers::recorded(&entry.answers, Some(manifest)))
        .unwrap_or_default();
    given.extend(request.given.iter().map(|(k, v)| (k.clone(), v.clone())));
    let answers = answers::resolve(manifest, &given, request.target, asker)?;

    let previous_components = prior.map(|e| e.components.clone()).unwrap_or_default();
    let only = if request.only.is_empty() && prior.is_some() {
        &previous_components
    } else {
        request.only
    };
    // Changed answers change what every applied component renders, so they re-render all of
    // them (with `--only`'s additions), or the files would disagree with the answers the lock
    // records.
    let answers_changed = prior.is_some_and(|p| p.answers != answers);
    let union: Vec<String>;
    let only = if answers_changed {
        union = previous_components.iter().chain(only).cloned().collect();
        &union
    } else {
        only
    };
    let components = manifest
        .select_components(only, &[])
        .map_err(RenderError::from)?;
    let rendered = render::render(golden_path, &answers, &components)?;

    let owner_of = |path: &RepoPath| {
        lock.and_then(|l| l.owner_of(path, &manifest.name))
            .map(|e| format!("{}@{}", e.name, e.version))
    };
    // One look at the checkout's text conventions serves the whole plan.
    let checkout = crate::eol::Checkout::of(root);
    let existing = Existing {
        entry: prior,
        owner_of: &owner_of,
        checkout: &checkout,
    };
    let mut plan = Plan::new(
        root,
        &manifest.id(),
        rendered,
        &existing,
        request.conflict,
        request.is_forced,
    )?;
    if let Some(prior) = prior {
        plan.retire(root, &checkout, prior, &components);
    }

    // The new lock: this entry updated (components and files added to what it had), others kept.
    let mut entry = LockEntry {
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        catalog: golden_path.source.clone(),
        answers,
        // Every component applied so far, in the manifest's order.
        components: manifest
            .components
            .keys()
            .filter(|c| previous_components.contains(c) || components.contains(c))
            .cloned()
            .collect(),
        files: Vec::new(),
    };
    for f in plan.files.iter().filter(|f| f.is_recorded()) {
        let Some(ownership) = f.ownership else {
            continue;
        };
        let prior_file = prior.and_then(|p| p.files.iter().find(|pf| pf.path == f.path));
        let was_diverged = prior_file.is_some_and(|pf| pf.diverged);
        entry.files.push(LockedFile {
            path: f.path.clone(),
            ownership,
            component: f.component.clone().unwrap_or_default(),
            sha256: pave_model::lock::sha256_hex(&f.bytes),
            diverged: f.is_diverged() || (f.action == Action::Keep && was_diverged),
            // A kept exception stays recorded (measured against the render it now departs from);
            // a rewritten file is the golden path's again.
            exception: prior_file
                .filter(|_| f.action == Action::Keep)
                .and_then(|pf| {
                    let exception = pf.exception.clone()?;
                    if pf.sha256 == pave_model::lock::sha256_hex(&f.bytes) {
                        return Some(exception);
                    }
                    let tailored = checkout.read_as_git(root, &f.path)?;
                    Some(crate::except::retarget(exception, &f.bytes, &tailored))
                }),
            pins: f.pins.clone(),
        });
    }
    // Files of components not rendered this time stay as recorded; those of rendered components
    // are in the plan, or retired by it.
    if let Some(prior) = prior {
        for old in &prior.files {
            if !components.contains(&old.component)
                && !entry.files.iter().any(|f| f.path == old.path)
            {
                entry.files.push(old.clone());
            }
        }
    }
    entry.files.sort_by(|a, b| a.path.cmp(&b.path));
    let lock = match lock.cloned() {
        Some(mut lock) => {
            match lock.golden_paths.iter_mut().find(|e| e.name == entry.name) {
                Some(slot) => *slot = entry,
                None => lock.golden_paths.push(entry),
            }
            lock
        }
        None => Lock::new(entry),
    };
    let plan = plan.with_lock(root, &checkout, &lock);
    Ok(Adoption {
        plan,
        lock,
        components,
    })
}
