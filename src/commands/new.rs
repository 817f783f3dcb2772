//! `pave new`: render a golden path into a new folder, record it in the lock, `git init` and
//! commit. Everything is rendered in memory and written into a staging folder beside the target,
//! which is renamed into place only when complete: a failure leaves nothing behind.

use std::path::{Path, PathBuf};

use crate::answers::{Answers, GivenAnswers, Value};
use crate::apply;
use crate::cli::NewArgs;
use crate::error::Error;
use crate::git;
use crate::lock::{LOCK_PATH, LOCK_SCHEMA_PATH, Lock, LockEntry};
use crate::plan::{Action, ConflictMode, Existing, Plan};
use crate::printer::Printer;
use crate::registry::model::AdoptionCommand;
use crate::render;
use crate::repo_path::RepoPath;
use crate::settings::{CatalogChoice, RegistryChoice};

pub fn run(
    args: &NewArgs,
    catalog: &CatalogChoice,
    registry: &RegistryChoice,
    printer: &Printer,
) -> Result<u8, Error> {
    check_target(&args.dir)?;
    let golden_path = catalog.load(&args.reference)?;
    let manifest = &golden_path.manifest;

    let given = args.answering.given(GivenAnswers::new())?;
    let target_name = super::folder_name(&args.dir);
    let answers = crate::prompt::resolve(manifest, &given, &target_name, args.answering.no_input)?;

    let components = manifest.select_components(&args.only, &[])?;

    let rendered = render::render(&golden_path, &answers, &components)?;
    let entry = LockEntry::new(
        &manifest.name,
        &manifest.version,
        &golden_path.source,
        &answers,
        &components,
        &rendered,
    );
    let lock = Lock::new(entry);
    let extra = vec![
        (
            RepoPath::parse(LOCK_PATH).expect("constant path"),
            lock.to_yaml().into_bytes(),
        ),
        (
            RepoPath::parse(LOCK_SCHEMA_PATH).expect("constant path"),
            crate::commands::schema::lock_schema().into_bytes(),
        ),
    ];
    let nobody = |_: &RepoPath| None;
    let existing = Existing {
        entry: None,
        owner_of: &nobody,
    };
    let plan = Plan::new(
        &args.dir,
        &manifest.id(),
        rendered,
        &existing,
        ConflictMode::Fail,
        false,
    )
    .expect("a new repo has no other golden path")
    .with_pave_files(&args.dir, extra);
    super::print_plan(printer, &plan);

    if args.dry_run {
        printer.status(
            "Dry run",
            &format!(
                "{} files would be created in {}; nothing written",
                plan.count(Action::Create),
                args.dir.display()
            ),
        );
        return Ok(0);
    }

    let commit = write_repo(args, &plan, &manifest.id(), &answers)?;
    let repo = crate::record::repo_ref(&args.dir);
    let events = lock
        .golden_paths
        .iter()
        .map(|entry| crate::record::adoption(AdoptionCommand::New, &lock.repo_id, &repo, entry))
        .collect();
    if let Some(commit) = &commit
        && commit.used_fallback_author
    {
        printer.warn(&format!(
            "git has no user.name/user.email; committed as {} <{}> (set them with `git config --global user.name …`)",
            git::FALLBACK_AUTHOR.0,
            git::FALLBACK_AUTHOR.1
        ));
    }
    let commit_note = match &commit {
        Some(c) => format!(", commit {} on {}", &c.id[..c.id.len().min(12)], c.branch),
        None => String::new(),
    };
    printer.status(
        "Created",
        &format!(
            "{} from {} ({} files{commit_note})",
            args.dir.display(),
            manifest.id(),
            plan.files.len()
        ),
    );
    super::registry::record(registry, events, printer);
    Ok(0)
}

/// The target must not exist, or be an empty folder (not a link to one).
fn check_target(dir: &Path) -> Result<(), Error> {
    let target = |why: &str| Error::Target {
        path: dir.to_owned(),
        why: why.to_owned(),
    };
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::Read {
            path: dir.to_owned(),
            source: e,
        }),
        Ok(meta) if meta.file_type().is_symlink() => Err(target("is a symbolic link")),
        Ok(meta) if !meta.is_dir() => Err(target("exists and is not a folder")),
        Ok(_) => {
            let mut entries = std::fs::read_dir(dir).map_err(|e| Error::Read {
                path: dir.to_owned(),
                source: e,
            })?;
            if entries.next().is_some() {
                Err(target("exists and is not empty"))
            } else {
                Ok(())
            }
        }
    }
}

/// Writes the plan into a staging folder next to the target, commits, then renames it into place.
fn write_repo(
    args: &NewArgs,
    plan: &Plan,
    gp_id: &str,
    answers: &Answers,
) -> Result<Option<git::Commit>, Error> {
    let dir = std::path::absolute(&args.dir).map_err(|e| Error::Read {
        path: args.dir.clone(),
        source: e,
    })?;
    let parent = dir
        .parent()
        .map(Path::to_owned)
        .unwrap_or_else(|| PathBuf::from("/"));
    std::fs::create_dir_all(&parent).map_err(|e| Error::Read {
        path: parent.clone(),
        source: e,
    })?;
    let staging = tempfile::Builder::new()
        .prefix(".pave-new-")
        .tempdir_in(&parent)
        .map_err(|e| Error::Read {
            path: parent.clone(),
            source: e,
        })?;
    let writes = plan.writes();
    apply::write_all(staging.path(), &writes)?;
    let commit = if args.no_git {
        None
    } else {
        let service = answers.get("service_name").map(Value::to_string);
        let subject = match service {
            Some(name) => format!("Scaffold {name} from {gp_id}"),
            None => format!("Scaffold from {gp_id}"),
        };
        let message = format!(
            "{subject}\n\nRendered by pave {} (`pave new`); .pave/lock.yaml records the golden path,\nits answers and every file's ownership.\n",
            env!("CARGO_PKG_VERSION")
        );
        let author = git::Author {
            name: std::env::var("GIT_AUTHOR_NAME")
                .ok()
                .filter(|s| !s.is_empty()),
            email: std::env::var("GIT_AUTHOR_EMAIL")
                .ok()
                .filter(|s| !s.is_empty()),
        };
        Some(git::init_and_commit(
            staging.path(),
            &writes,
            &message,
            &author,
        )?)
    };
    set_folder_mode(staging.path()).map_err(|e| Error::Read {
        path: staging.path().to_owned(),
        source: e,
    })?;
    let staged = staging.keep();
    if let Err(e) = std::fs::rename(&staged, &dir) {
        let _ = std::fs::remove_dir_all(&staged);
        return Err(Error::Target {
            path: dir,
            why: format!("could not be created: {e}"),
        });
    }
    Ok(commit)
}

/// A staging folder is private (0700) while it fills; the repo it becomes is not.
#[cfg(unix)]
fn set_folder_mode(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
}

#[cfg(not(unix))]
fn set_folder_mode(_: &Path) -> std::io::Result<()> {
    Ok(())
}
