//! What a command did, as registry events: an adoption per golden path `new`, `apply` or
//! `upgrade` wrote, a conformance per golden path `check --report` checked, an audit per repo
//! `audit --push` saw. Each event gets its UUIDv7 id here, once: a spooled or retried event keeps
//! it, so the registry counts it once.

use std::path::Path;

use jiff::Timestamp;
use sha2::Digest as _;

use pave_engine::audit::RepoAudit;
use pave_engine::check::{CheckReport, FileState};
use pave_model::catalog_id::{CatalogId, machine_path};
use pave_model::lock::{Lock, LockEntry};
use pave_model::parameter::{Answers, Value};
use pave_registry::model::{
    Adoption, AdoptionCommand, Audit, AuditStatus, AuditedGoldenPath, Conformance, Event,
    EventKind, MAX_LOCATION_LEN, MAX_NAME_LEN, RepoRef,
};

/// A repo as events describe it: its folder's name, its absolute path, its `origin` URL.
pub fn repo_ref(root: &Path) -> RepoRef {
    let path = std::path::absolute(root).unwrap_or_else(|_| root.to_owned());
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| path.display().to_string());
    RepoRef {
        name: bounded(name, MAX_NAME_LEN),
        // A remote's credentials (`https://token@…`, GitLab CI's job token) never leave the
        // machine: the registry serves repo URLs to its readers.
        url: pave_engine::git::origin_url(&path).map(|u| {
            bounded(
                pave_model::catalog_id::without_credentials(&u),
                MAX_LOCATION_LEN,
            )
        }),
        path: Some(bounded(path.display().to_string(), MAX_LOCATION_LEN)),
    }
}

/// The adoptions a command that wrote `lock` into the repo at `root` records: one per golden
/// path of the lock, or only `golden_path`'s.
pub fn adoptions(
    command: AdoptionCommand,
    lock: &Lock,
    root: &Path,
    golden_path: Option<&str>,
) -> Vec<Event> {
    let repo = repo_ref(root);
    lock.golden_paths
        .iter()
        .filter(|entry| golden_path.is_none_or(|name| entry.name == name))
        .map(|entry| adoption(command, &lock.repo_id, &repo, entry))
        .collect()
}

/// One adoption of the golden path `entry` records, after the command wrote it.
pub fn adoption(
    command: AdoptionCommand,
    repo_id: &str,
    repo: &RepoRef,
    entry: &LockEntry,
) -> Event {
    event(
        repo_id,
        repo,
        EventKind::Adoption(Adoption {
            command,
            golden_path: entry.name.clone(),
            version: entry.version.clone(),
            components: entry.components.clone(),
            team: answer(&entry.answers, "team"),
            train: answer(&entry.answers, "train"),
            catalog: catalog_of(&entry.catalog),
        }),
    )
}

/// A lock's catalog as events carry it: a URL without credentials, and a folder below the home
/// folder as `~/…` (older locks recorded the whole path), so the registry learns neither a
/// token nor a person's user name.
fn catalog_of(recorded: &str) -> String {
    let home = dirs::home_dir();
    let home = home.as_deref();
    match CatalogId::parse(recorded) {
        Ok(CatalogId::GitPath(path)) => {
            CatalogId::GitPath(machine_path(Path::new(&path), home)).to_string()
        }
        Ok(CatalogId::DirPath(path)) => {
            CatalogId::DirPath(machine_path(Path::new(&path), home)).to_string()
        }
        Ok(id) => id.redacted().to_string(),
        Err(_) => bounded(recorded.to_owned(), MAX_LOCATION_LEN),
    }
}

/// One conformance per golden path of a check. `consulted` is the identity of the catalog
/// `--catalog` named instead of the lock's, if any: a lag measured against another catalog is
/// not news about the lock's, so it is only sent when they are one.
pub fn conformance(report: &CheckReport, repo: &RepoRef, consulted: Option<&str>) -> Vec<Event> {
    report
        .golden_paths
        .iter()
        .filter_map(|gp| {
            // The lock's versions are semver (the lock would not have parsed otherwise).
            let version = gp.version.parse().ok()?;
            let catalog = catalog_of(&gp.catalog);
            let is_own = consulted.is_none_or(|c| catalog_of(c) == catalog);
            let view = gp.catalog_view.as_ref().filter(|_| is_own);
            Some(event(
                &report.repo_id,
                repo,
                EventKind::Conformance(Conformance {
                    golden_path: gp.name.clone(),
                    version,
                    conforming: gp.is_conforming(),
                    drifted_files: count(gp.count(FileState::Drifted)),
                    missing_files: count(gp.count(FileState::Deleted)),
                    edited_files: count(gp.count(FileState::Edited)),
                    conflicted_files: count(gp.count(FileState::Conflicted)),
                    excepted_files: count(gp.exceptions()),
                    lag: view.map(|v| v.lag),
                    latest: view.and_then(|v| v.latest.parse().ok()),
                    catalog: Some(catalog),
                }),
            ))
        })
        .collect()
}

/// One audit event for a repo the fleet audit saw. A repo without a readable lock is identified
/// by where it was found (its absolute path, or the URL it was listed by).
pub fn audit(repo: &RepoAudit) -> Event {
    let location = repo.location.as_deref().unwrap_or(&repo.path);
    let is_url = pave_engine::catalog::GitLocation::is_url(location);
    let name = location
        .trim_end_matches('/')
        .trim_end_matches(".git")
        .rsplit(['/', ':'])
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or(location)
        .to_owned();
    // A repo found in a folder is known by its origin too, as its own commands report it, so
    // the registry keeps one URL for it (and an SRE can delete it by that URL).
    let url = if is_url {
        Some(location.to_owned())
    } else {
        pave_engine::git::origin_url(Path::new(location))
    };
    let repo_ref = RepoRef {
        name: bounded(name, MAX_NAME_LEN),
        url: url.map(|u| {
            bounded(
                pave_model::catalog_id::without_credentials(&u),
                MAX_LOCATION_LEN,
            )
        }),
        path: (!is_url).then(|| bounded(location.to_owned(), MAX_LOCATION_LEN)),
    };
    let repo_id = repo
        .repo_id
        .clone()
        .filter(|id| !id.trim().is_empty() && id.len() <= MAX_NAME_LEN)
        .unwrap_or_else(|| location_id(location));
    let mut golden_paths: Vec<AuditedGoldenPath> = Vec::new();
    for gp in &repo.golden_paths {
        let Ok(version) = gp.version.parse() else {
            continue;
        };
        if golden_paths.iter().any(|g| g.name == gp.name) {
            continue;
        }
        golden_paths.push(AuditedGoldenPath {
            name: gp.name.clone(),
            version,
            catalog: gp.catalog.as_deref().map(catalog_of),
            latest: gp.latest.as_deref().and_then(|l| l.parse().ok()),
            lag: gp.lag,
        });
    }
    let status = repo.status;
    // An adopted status needs a golden path; none readable means the audit could not say.
    let status = if golden_paths.is_empty() && status.is_conforming().is_some() {
        AuditStatus::Error
    } else {
        status
    };
    let label = |value: &Option<String>| {
        value
            .clone()
            .filter(|v| !v.trim().is_empty() && v.len() <= MAX_NAME_LEN)
    };
    event(
        &repo_id,
        &repo_ref,
        EventKind::Audit(Audit {
            status,
            golden_paths,
            drifted_files: count(repo.drifted_files.len()),
            missing_files: count(repo.missing_files.len()),
            edited_files: count(repo.edited_merged_files.len()),
            conflicted_files: count(repo.conflicted_files.len()),
            excepted_files: count(repo.excepted_files.len()),
            team: label(&repo.team),
            train: label(&repo.train),
        }),
    )
}

/// A stable id for a repo without a lock to take one from: the same path or URL, the same id.
pub fn location_id(location: &str) -> String {
    let digest = hex::encode(sha2::Sha256::digest(location.as_bytes()));
    format!("location-{}", &digest[..32])
}

fn event(repo_id: &str, repo: &RepoRef, kind: EventKind) -> Event {
    Event {
        id: uuid::Uuid::now_v7(),
        occurred_at: Timestamp::now(),
        repo_id: repo_id.to_owned(),
        repo: repo.clone(),
        kind,
    }
}

/// A non-empty string answer (`team`, `train`); the registry takes no empty labels.
fn answer(answers: &Answers, name: &str) -> Option<String> {
    match answers.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() && s.len() <= MAX_NAME_LEN => {
            Some(s.clone())
        }
        _ => None,
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Cut to `max` bytes on a character boundary (a path over 2 KiB is still the same repo).
fn bounded(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_ids_are_stable_and_bounded() {
        assert_eq!(location_id("/srv/a"), location_id("/srv/a"));
        assert_ne!(location_id("/srv/a"), location_id("/srv/b"));
        assert_eq!(location_id("/srv/a").len(), "location-".len() + 32);
    }

    #[test]
    fn an_audit_of_an_unlocked_repo_is_valid() {
        let repo = RepoAudit {
            path: "team/a".into(),
            kind: pave_engine::audit::RepoKind::Worktree,
            status: pave_model::status::RepoStatus::Unadopted,
            golden_paths: vec![],
            drifted_files: vec![],
            missing_files: vec![],
            edited_merged_files: vec![],
            conflicted_files: vec![],
            excepted_files: vec![],
            pinned_files: vec![],
            notes: vec![],
            lock_problems: vec![],
            error: None,
            team: Some(String::new()),
            train: None,
            repo_id: None,
            location: Some("/srv/fleet/team/a".into()),
        };
        let event = audit(&repo);
        event.validate().unwrap();
        assert_eq!(event.repo.name, "a");
        assert_eq!(event.repo_id, location_id("/srv/fleet/team/a"));
        let repo = RepoAudit {
            location: Some("https://git.example.com/org/b.git".into()),
            ..repo
        };
        let event = audit(&repo);
        assert_eq!(event.repo.name, "b");
        assert!(event.repo.url.is_some());
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        assert_eq!(bounded("ééé".into(), 3), "é");
        assert_eq!(bounded("abc".into(), 5), "abc");
    }
}
