//! `pave audit`: the platform team's view of a fleet. `pave audit merge` combines the JSON
//! reports of `--shard` runs. `--fail-on` turns it into a scheduled CI gate (exit 1). `--push`
//! records one audit event per repo in the registry.

use std::io::IsTerminal as _;
use std::path::PathBuf;

use crate::audit::format::{self, AuditFormat};
use crate::audit::{self, AuditReport, CatalogIndex, RepoKind, RepoRef, RepoStatus, Shard};
use crate::cli::{AuditArgs, AuditCommand, FailOn};
use crate::error::{EXIT_FINDING, Error};
use crate::printer::Printer;
use crate::settings::catalog_of_source;

pub fn run(
    args: &AuditArgs,
    registry: Option<&crate::settings::RegistryChoice>,
    printer: &Printer,
) -> Result<u8, Error> {
    if let Some(AuditCommand::Merge(merge)) = &args.command {
        let mut repos = Vec::new();
        for path in &merge.reports {
            let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            let report: AuditReport = serde_json::from_str(&text).map_err(|e| {
                Error::Usage(format!(
                    "{}:{}: not an audit JSON report: {e}",
                    path.display(),
                    e.line()
                ))
            })?;
            repos.extend(report.repos);
        }
        repos.sort_by(|a, b| a.path.cmp(&b.path));
        repos.dedup_by(|a, b| a.path == b.path);
        let report = AuditReport::new(repos);
        return emit(
            &report,
            merge.format,
            merge.output.as_ref(),
            &merge.fail_on,
            printer,
        );
    }
    if args.dirs.is_empty() && args.repos_file.is_none() {
        return Err(Error::Usage(
            "give folders to search for repos, or --repos-file FILE".into(),
        ));
    }
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(Error::Usage)?;
    for dir in &args.dirs {
        if !dir.is_dir() {
            return Err(Error::Usage(format!("{} is not a folder", dir.display())));
        }
    }
    let listed = match &args.repos_file {
        Some(file) => read_repos_file(file, args.fetch, printer)?,
        None => Vec::new(),
    };

    let catalogs = if args.offline {
        CatalogIndex::new(None)
    } else {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        CatalogIndex::new(Some(Box::new(|source: &str| catalog_of_source(source)))).at(now)
    };
    let bar = progress_bar(printer);
    let on_done = || {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
    };
    // Discovery runs in its own thread and streams repos through a bounded channel, so the
    // workers start at once and memory does not grow with the fleet.
    let (tx, rx) = std::sync::mpsc::sync_channel::<RepoRef>(256);
    let dirs = args.dirs.clone();
    let producer = std::thread::spawn(move || {
        for repo in listed {
            if shard.is_none_or(|s| s.contains(&repo.name)) && tx.send(repo).is_err() {
                return;
            }
        }
        for dir in dirs {
            audit::discover(&dir, &mut |repo| {
                if shard.is_none_or(|s| s.contains(&repo.name)) {
                    let _ = tx.send(repo);
                }
            });
        }
    });
    let repos = audit::audit_all(rx.into_iter(), &catalogs, &on_done);
    let _ = producer.join();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let report = AuditReport::new(repos);
    push(&report, registry, printer);
    emit(
        &report,
        args.format,
        args.output.as_ref(),
        &args.fail_on,
        printer,
    )
}

/// With `--push`, one audit event per repo, spooled in batches of at most 1,000 and sent.
fn push(
    report: &AuditReport,
    registry: Option<&crate::settings::RegistryChoice>,
    printer: &Printer,
) {
    if let Some(registry) = registry {
        let events = report.repos.iter().map(crate::record::audit).collect();
        super::registry::record(registry, events, printer);
    }
}

fn emit(
    report: &AuditReport,
    format: AuditFormat,
    output: Option<&PathBuf>,
    fail_on: &[FailOn],
    printer: &Printer,
) -> Result<u8, Error> {
    let text = format::render(report, format);
    match output {
        Some(path) => {
            std::fs::write(path, text).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
            printer.status(
                "Wrote",
                &format!(
                    "audit of {} repos to {}",
                    report.repos.len(),
                    path.display()
                ),
            );
        }
        None => printer.data(&text),
    }
    let failing: Vec<String> = fail_on
        .iter()
        .filter_map(|rule| {
            let n = report.repos.iter().filter(|r| rule.matches(r)).count();
            (n > 0).then(|| format!("{n} repo(s) {}", rule.describe()))
        })
        .collect();
    if failing.is_empty() {
        Ok(0)
    } else {
        printer.error(
            &format!("the fleet fails --fail-on: {}", failing.join("; ")),
            Some(
                "the report lists each repo with its status (`--format csv` or `json` to sort them); \
                 in a repo, `pave diff` shows its drift and `pave upgrade` brings it to the newest version",
            ),
        );
        Ok(EXIT_FINDING)
    }
}

impl FailOn {
    fn matches(&self, repo: &audit::RepoAudit) -> bool {
        match self {
            FailOn::Drift => repo.status == RepoStatus::Drifted,
            FailOn::Unadopted => repo.status == RepoStatus::Unadopted,
            FailOn::Error => repo.status == RepoStatus::Error,
            FailOn::Lag(min) => repo
                .golden_paths
                .iter()
                .any(|g| g.lag.is_some_and(|lag| lag >= *min)),
        }
    }

    fn describe(&self) -> String {
        match self {
            FailOn::Drift => "drifted".into(),
            FailOn::Unadopted => "without a lock".into(),
            FailOn::Error => "unreadable".into(),
            FailOn::Lag(min) => format!("at least a {min:?} version behind").to_lowercase(),
        }
    }
}

/// One path or git URL per line (`#` comments and blank lines skipped). URLs are cloned bare
/// into the cache (fetched again with --fetch); `file://` works offline.
fn read_repos_file(file: &PathBuf, fetch: bool, printer: &Printer) -> Result<Vec<RepoRef>, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Read {
        path: file.clone(),
        source,
    })?;
    let base = file.parent().map(PathBuf::from).unwrap_or_default();
    let mut repos = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if crate::catalog::git::GitLocation::is_url(line) {
            let cache = crate::settings::catalogs_cache_dir()
                .ok_or_else(|| {
                    Error::Usage("no user cache dir to clone repos into; set PAVE_CACHE_DIR".into())
                })?
                .with_file_name("audit");
            let dest = crate::catalog::git::cache_dir(&cache, line);
            let is_cached = git2::Repository::open_bare(&dest).is_ok();
            if !is_cached || fetch {
                std::fs::create_dir_all(&cache).map_err(|source| Error::Write {
                    path: cache.clone(),
                    source,
                })?;
                // A fresh clone replaces the cached one only once it is complete, so a failed
                // fetch keeps the last good copy.
                if let Err(why) = clone_repo(line, &dest) {
                    let note = if is_cached {
                        "; using the cached clone"
                    } else {
                        ""
                    };
                    printer.warn(&format!(
                        "{}:{}: cannot clone {line}: {why}{note}",
                        file.display(),
                        index + 1
                    ));
                }
            }
            repos.push(RepoRef {
                name: line.to_owned(),
                path: dest,
                kind: RepoKind::Bare,
            });
        } else {
            let path = base.join(line);
            let kind = if path.join(".git").exists() {
                RepoKind::Worktree
            } else {
                RepoKind::Bare
            };
            repos.push(RepoRef {
                name: line.to_owned(),
                path,
                kind,
            });
        }
    }
    Ok(repos)
}

/// A bare clone of `url` with its branches and HEAD (a catalog's clone fetches tags only, which
/// would leave HEAD unborn and the repo unadopted), made beside `dest` and renamed into place.
fn clone_repo(url: &str, dest: &std::path::Path) -> Result<(), String> {
    let parent = dest
        .parent()
        .ok_or_else(|| format!("{} has no parent folder", dest.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".clone-")
        .tempdir_in(parent)
        .map_err(|e| format!("{}: {e}", parent.display()))?;
    git2::build::RepoBuilder::new()
        .bare(true)
        .clone(url, staging.path())
        .map_err(|e| e.message().to_owned())?;
    let staged = staging.keep();
    // Swap the old clone out only now that the new one is complete.
    if dest.exists() {
        let old = dest.with_extension("old");
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(dest, &old).map_err(|e| format!("{}: {e}", dest.display()))?;
        let _ = std::fs::remove_dir_all(&old);
    }
    std::fs::rename(&staged, dest).map_err(|e| {
        let _ = std::fs::remove_dir_all(&staged);
        format!("{}: {e}", dest.display())
    })
}

fn progress_bar(printer: &Printer) -> Option<indicatif::ProgressBar> {
    if printer.is_quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {pos} repos audited ({per_sec}) {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(bar)
}
