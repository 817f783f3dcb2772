//! The top-level error: every layer's error, the hint that tells a person what to do next, and
//! the exit code. Rendered once, at the edge, by the printer. The layers below say what went
//! wrong (file, line, field); what to run or change next is written here, where the command
//! line's words (flags, variables, commands) are known.

use std::path::{Path, PathBuf};

use pave_base::config::ConfigError;
use pave_engine::adopt::AdoptError;
use pave_engine::answers::{AnswerError, Origin, UnusableDefault};
use pave_engine::apply::ApplyError;
use pave_engine::audit::AuditError;
use pave_engine::catalog::CatalogError;
use pave_engine::check::RenderEntryError;
use pave_engine::gate::GateError;
use pave_engine::gate::coverage::CoverageError;
use pave_engine::git::GitError;
use pave_engine::remote::Remote;
use pave_engine::render::RenderError;
use pave_engine::scaffold::ScaffoldError;
use pave_engine::upgrade::UpgradeError;
use pave_model::lock::{LockError, PickError};
use pave_model::manifest::ManifestError;
use pave_registry::client::SendError;
use pave_registry::server::RegistryError;
use pave_registry::store::StoreError;

use crate::cli::OutputPairing;
use crate::printer::StdoutError;
use crate::settings::SettingsError;

/// Exit code of an error (bad input, unreadable file, unreachable catalog).
pub const EXIT_ERROR: u8 = 2;
/// Exit code of a finding (drift, conflict, failing gate).
pub const EXIT_FINDING: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Answers(#[from] AnswerError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Pick(#[from] PickError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Scaffold(#[from] ScaffoldError),
    #[error(transparent)]
    Adopt(#[from] AdoptError),
    #[error(transparent)]
    Upgrade(#[from] UpgradeError),
    #[error(transparent)]
    Except(#[from] pave_engine::except::ExceptError),
    #[error(transparent)]
    ConflictRule(#[from] pave_engine::plan::BadConflictRule),
    /// `pave apply --force` with a `--conflict` mode that keeps or writes beside.
    #[error(
        "--force overwrites every conflicting file, which the --conflict keep/write-new given contradicts"
    )]
    ForceWithConflict,
    /// A file named on the command line that is not a safe path inside the repo.
    #[error("FILE: {0}")]
    BadFileArgument(String),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// `pave stats` could not read the figures (from the local registry, when `local` names it;
    /// a remote registry's error names its URL itself).
    #[error("cannot read {what}{}: {source}", local.as_ref().map(|l| format!(" from {l}")).unwrap_or_default())]
    Stats {
        what: &'static str,
        local: Option<String>,
        source: SendError,
    },
    /// `pave apply` runs in a repo's root folder.
    #[error("{} is not a folder", path.display())]
    NotAFolder { path: PathBuf },
    /// `pave audit` searches folders for repos.
    #[error("{} is not a folder", path.display())]
    NotAFleetFolder { path: PathBuf },
    /// `pave audit --fail-on undelivered` without `--push`.
    #[error("--fail-on undelivered judges --push, which this audit does not do")]
    UndeliveredWithoutPush,
    /// `pave audit` with neither folders nor `--repos-file`.
    #[error("pave audit needs repos: give folders to search for them, or --repos-file FILE")]
    NoFleet,
    #[error("{} has uncommitted changes ({}); pave writes only into a clean work tree", path.display(), examples.join(", "))]
    DirtyWorkTree {
        path: PathBuf,
        examples: Vec<String>,
    },
    /// A file named on the command line that cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A report file (`--output`) that cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Standard output failed (a full disk, a closed file); a closed pipe is not an error.
    #[error(transparent)]
    Stdout(#[from] StdoutError),
    /// An admin command (`registry repos delete`, `prune`, `log`) the registry did not carry out.
    #[error("{what}: {source}")]
    Admin {
        what: &'static str,
        source: SendError,
        /// Where the token is set, or should be.
        token_from: String,
    },
    /// An admin command with the registry url `off` and no `--database`.
    #[error(
        "the registry url is `off` and no --database is given, so there is no registry to work on"
    )]
    NoAdminRegistry,
    /// A deletion or prune without `--yes`, where nobody could be asked or nobody said yes.
    #[error("{}", if *is_interactive {
        format!("did not {what}: not confirmed; nothing was removed")
    } else {
        format!("refusing to {what} without --yes: there is no terminal to ask on; nothing was removed")
    })]
    NotConfirmed {
        what: &'static str,
        is_interactive: bool,
    },
    /// `pave registry token list|revoke` on a SQLite registry that does not exist.
    #[error("no registry database at {}", path.display())]
    NoRegistryDatabase { path: PathBuf },
    /// `pave registry token create` with stdout going nowhere.
    #[error(
        "standard output goes nowhere (/dev/null, or closed), so the new token's secret would be lost; no token was made"
    )]
    SecretWouldBeLost,
    /// `pave registry token create` could not show the new secret; the token was revoked.
    #[error(
        "cannot show the secret of token {id}: {source}; the token was revoked, as nobody could use it"
    )]
    SecretNotShown { id: String, source: StdoutError },
    #[error(transparent)]
    OutputPairing(#[from] OutputPairing),
    #[error("only one format can go to stdout; give an --output path after each --format but one")]
    SeveralToStdout,
    /// Two formats given one `--output`: the second would overwrite the first.
    #[error("two formats would be written to {}; the second would overwrite the first", path.display())]
    SameOutputTwice { path: PathBuf },
}

impl From<RenderEntryError> for Error {
    fn from(e: RenderEntryError) -> Self {
        match e {
            RenderEntryError::Answers(e) => Self::Answers(e),
            RenderEntryError::Render(e) => Self::Render(e),
        }
    }
}

impl Error {
    /// What the person can do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Catalog(e) => catalog_hint(e),
            Error::Answers(e) => answers_hint(e),
            Error::Render(e) => render_hint(e),
            Error::Apply(e) => apply_hint(e),
            Error::Git(e) => git_hint(e),
            Error::Lock(e) => lock_hint(e),
            Error::Pick(e) => Some(pick_hint(e)),
            Error::Config(e) => config_hint(e),
            Error::Settings(e) => settings_hint(e),
            Error::Scaffold(e) => scaffold_hint(e),
            Error::Adopt(e) => adopt_hint(e),
            Error::Upgrade(e) => upgrade_hint(e),
            Error::Except(_) => Some(
                "`pave check` lists each managed file's state; `pave diff --all` shows a tailoring against the golden path".into(),
            ),
            Error::ConflictRule(_) => Some(
                "e.g. `--conflict keep`, or per file `--conflict 'deploy/**=keep' --conflict write-new` (the first matching glob decides; a bare mode is the default for the rest)".into(),
            ),
            Error::ForceWithConflict => Some(
                "choose one: --force (pave's version everywhere) or --conflict (keep yours, or write pave's beside it)".into(),
            ),
            Error::BadFileArgument(_) => Some(
                "name the file by its path from the repo's root, as the lock lists it (`deploy/base/networkpolicy.yaml`)".into(),
            ),
            Error::Audit(e) => Some(audit_hint(e)),
            Error::Gate(e) => gate_hint(e),
            Error::Registry(e) => registry_hint(e),
            Error::Stats { local, source, .. } => Some(stats_hint(local.is_some(), source)),
            Error::NotAFolder { .. } => {
                Some("run in the repo's root folder, or point -C at it".into())
            }
            Error::UndeliveredWithoutPush => Some(
                "add --push to record the audit in the registry, or drop --fail-on undelivered".into(),
            ),
            Error::NoFleet => Some(
                "e.g. `pave audit ~/src` (work trees and bare clones under it), or `pave audit --repos-file repos.txt` (one path or git URL per line)".into(),
            ),
            Error::NotAFleetFolder { .. } => Some(
                "give folders that hold repos (work trees or bare clones), or list repos in a --repos-file".into(),
            ),
            Error::DirtyWorkTree { .. } => Some(
                "commit or stash them first, so pave's changes can be reviewed and undone; or pass --allow-dirty".into(),
            ),
            Error::Read { .. } => Some("check the path and that the file is readable".into()),
            Error::Write { source, path } if source.kind() == std::io::ErrorKind::IsADirectory => {
                Some(format!(
                    "that is a folder: give a file path, e.g. `--output {}`",
                    path.join("report.json").display()
                ))
            }
            Error::Write { source, path } if source.kind() == std::io::ErrorKind::NotFound => {
                Some(format!(
                    "create the folder first (`mkdir -p {}`), or write the report elsewhere",
                    path.parent().unwrap_or(path).display()
                ))
            }
            Error::Write { .. } => Some(
                "check that the folder exists and is writable, and that the disk has room".into(),
            ),
            Error::Stdout(_) => Some(
                "the output was cut short (a full disk or a closed file?): free space or send it elsewhere; commands with --format also write to a file with --output FILE".into(),
            ),
            Error::Admin {
                source, token_from, ..
            } => Some(admin_hint(source, token_from)),
            Error::NoAdminRegistry => Some(
                "pass --database with the registry's database, or set PAVE_REGISTRY_URL to the registry's URL and PAVE_REGISTRY_TOKEN to a token with the `admin` scope".into(),
            ),
            Error::NotConfirmed { .. } => Some(
                "add --yes to go ahead (scripts and CI must), or --dry-run to see what would be removed".into(),
            ),
            Error::NoRegistryDatabase { .. } => Some(
                "check --database: it names the file `pave registry serve` (or `token create`) made".into(),
            ),
            Error::SecretWouldBeLost | Error::SecretNotShown { .. } => Some(
                "run `pave registry token create` again with its output going where it can be written, e.g. `TOKEN=$(pave registry token create …)`".into(),
            ),
            Error::SameOutputTwice { .. } => Some(
                "give each --format its own --output file: `--format sarif --output pave.sarif --format junit --output pave.xml`".into(),
            ),
            Error::SeveralToStdout | Error::OutputPairing(_) => Some(
                "each --output belongs to the --format just before it: `--format github --format sarif --output pave.sarif`".into(),
            ),
        }
    }

    pub fn exit_code(&self) -> u8 {
        EXIT_ERROR
    }
}

fn settings_hint(e: &SettingsError) -> Option<String> {
    match e {
        SettingsError::Catalog(e) => catalog_hint(e),
        SettingsError::Config(e) => config_hint(e),
        other => Some(other.hint()),
    }
}

fn catalog_hint(e: &CatalogError) -> Option<String> {
    Some(match e {
        CatalogError::BadReference { .. } => {
            "a golden path is named `name`, `name@1.2.0` or `name@^1.2`; `pave list` shows the catalog".into()
        }
        CatalogError::UnknownGoldenPath { name, .. }
            if std::path::Path::new(name)
                .join(pave_engine::catalog::MANIFEST_FILE)
                .is_file() =>
        {
            format!("`{name}` is a golden-path folder here: name it as a path, `./{name}`")
        }
        CatalogError::UnknownGoldenPath { .. } | CatalogError::UnknownVersion { .. } => {
            "see what the catalog has with `pave list`".into()
        }
        CatalogError::NotAsLocked { recorded, .. } => format!(
            "point --catalog at the catalog the repo was made from (the lock says `{recorded}`) or one that has that version; if the lock was edited by hand, restore it from git"
        ),
        CatalogError::NoManifest { .. } => {
            "a golden path is a folder with golden-path.yaml and components/<component>/…; check the path, or the catalog's <name>/<version>/ folders".into()
        }
        CatalogError::Mismatch { .. } => {
            "a catalog keeps each version in <name>/<version>/: rename the folder, or fix the manifest's name and version".into()
        }
        CatalogError::Unreachable { .. } => {
            "check the URL and that the repository is reachable from here; once fetched, pave reads it from its cache offline (PAVE_CACHE_DIR)".into()
        }
        CatalogError::TagMismatch { .. } => {
            "tag each version as <name>@<version> (or <name>/v<version>) on a commit whose golden-path.yaml says that name and version".into()
        }
        CatalogError::Symlink { .. } | CatalogError::Submodule { .. } => {
            "a golden path holds its own files only: replace the link or submodule with the files themselves".into()
        }
        CatalogError::Git { .. } => {
            "check that the catalog is a git repository this user can read (`git -C <path> log` tells), or fetch it again with --fetch".into()
        }
        CatalogError::Io { .. } => "check the path and its permissions".into(),
        CatalogError::Manifest(e) => return Some(manifest_hint(e)),
    })
}

fn manifest_hint(e: &ManifestError) -> String {
    match e {
        ManifestError::Syntax { .. } | ManifestError::Invalid { .. } => {
            "the golden path's manifest is broken; its authors can see every field with `pave schema golden-path`".into()
        }
    }
}

fn answers_hint(e: &AnswerError) -> Option<String> {
    Some(match e {
        AnswerError::Missing(missing) => {
            let sets: Vec<String> = missing
                .iter()
                .map(|m| {
                    let unusable = m.unusable_default.as_ref().map(ToString::to_string);
                    let notes: Vec<&str> = [Some(m.help.as_str()), unusable.as_deref()]
                        .into_iter()
                        .flatten()
                        .filter(|s| !s.is_empty())
                        .collect();
                    let notes = if notes.is_empty() {
                        String::new()
                    } else {
                        format!("  # {}", notes.join("; "))
                    };
                    format!("  --set {}=<{}>{notes}", m.name, m.kind)
                })
                .collect();
            // A default the repo's own remote would give: adding that remote is the other fix.
            let has_no_origin = missing.iter().any(|m| {
                matches!(
                    &m.unusable_default,
                    Some(UnusableDefault::NoGitValue {
                        remote: Remote::NoOrigin { .. },
                        ..
                    })
                )
            });
            let remote = if has_no_origin {
                "\nor add the repo's git remote, whose URL gives it, and run again: git remote add origin <url>"
            } else {
                ""
            };
            format!(
                "pass them on the command line, in an --answers file, or run on a terminal without --no-input:\n{}{remote}",
                sets.join("\n")
            )
        }
        AnswerError::Unknown {
            origin: Origin::Lock,
            ..
        }
        | AnswerError::Invalid {
            origin: Origin::Lock,
            ..
        } => {
            "the answer is recorded in .pave/lock.yaml: restore the lock from git if it was edited by hand, or give a valid answer with `pave apply <golden-path> --set name=value`".into()
        }
        AnswerError::Unknown { golden_path, .. } => format!(
            "see the parameters with `pave show {golden_path}` (or `pave show <folder>` for a golden-path folder)"
        ),
        AnswerError::Invalid { .. } => {
            "see the parameters, their types and rules with `pave show <golden-path>`".into()
        }
        AnswerError::BadDefault { name, .. } => format!(
            "the golden path's default does not work here; give the answer yourself with --set {name}=<value>, and tell the golden path's owners"
        ),
        AnswerError::File { .. } => {
            "an answers file is a YAML or JSON mapping of parameter names to values (`team: payments`)".into()
        }
        AnswerError::BadSet { .. } => "--set takes name=value, e.g. --set team=payments".into(),
        AnswerError::Prompt(_) => {
            "answer on the command line instead: --no-input with --set name=value or --answers FILE".into()
        }
    })
}

fn render_hint(e: &RenderError) -> Option<String> {
    Some(match e {
        RenderError::Template { .. } | RenderError::When { .. } => {
            "if it names an undefined or wrong value, check the answers against `pave show <golden-path>`; a syntax error is the golden path's own: tell its owners (the file and line are above)".into()
        }
        RenderError::UnsafePath { .. } => {
            "answers and templated path segments must stay inside the target: no `..`, `/`, or absolute paths".into()
        }
        RenderError::Reserved { .. } => {
            ".pave/lock* belongs to pave; the golden path's authors must render that file elsewhere".into()
        }
        RenderError::Duplicate { .. } => {
            "two components render the same file; the golden path's authors must rename one or give one a `when` rule".into()
        }
        RenderError::UnknownComponent(_) => {
            "choose among the components listed (`pave show <golden-path>` says what each renders)".into()
        }
    })
}

fn apply_hint(e: &ApplyError) -> Option<String> {
    Some(match e {
        ApplyError::Symlink { .. } => {
            "pave never writes through symbolic links; replace the link with a real folder or file".into()
        }
        ApplyError::NotAFolder { .. } => {
            "move the file out of the way (pave needs a folder there), then run the command again".into()
        }
        ApplyError::Io { .. } => {
            "check that the repo is writable and the disk has room; nothing was written, so run the command again once fixed".into()
        }
    })
}

fn git_hint(e: &GitError) -> Option<String> {
    match e {
        GitError::Git { .. } => Some(
            "check that the folder is writable; pass --no-git to write the files without a repository".into(),
        ),
    }
}

/// How to get a good lock back, committed or not (paths relative to the repo's root).
const RESTORE_LOCK: &str = "pave writes the lock, so restore it from git in the repo: `git checkout -- .pave/lock.yaml` if the change is not committed, else `git log -p -- .pave/lock.yaml` shows the last good version";

fn lock_hint(e: &LockError) -> Option<String> {
    Some(match e {
        LockError::NoRepo { .. } => "point -C at the repo's root folder".into(),
        LockError::Unsupported { found, .. } if *found > pave_model::lock::LOCK_VERSION => {
            "a newer pave wrote this lock: install that version of pave (`pave --version` shows this one)".into()
        }
        LockError::Unsupported { .. } => RESTORE_LOCK.into(),
        LockError::Missing { path } => {
            // Run from a folder inside an adopted repo: name its root.
            let root = path
                .parent()
                .and_then(Path::parent)
                .and_then(|dir| std::path::absolute(dir).ok())
                .and_then(|dir| {
                    dir.ancestors()
                        .skip(1)
                        .find(|a| a.join(pave_model::lock::LOCK_PATH).is_file())
                        .map(Path::to_path_buf)
                });
            match root {
                Some(root) => format!(
                    "this is a folder inside the repo at {}: run there, or point -C at it",
                    root.display()
                ),
                None => "adopt a golden path with `pave new` or `pave apply`, or run in the repo's root (-C DIR)".into(),
            }
        }
        // The catalog a golden path came from: the one field a person may mean to edit.
        LockError::Invalid { message, .. } if message.contains("].catalog: `") => {
            "restore the lock from git, or write the catalog as `builtin`, `git:<URL>` or a name from [catalogs] in config.toml".into()
        }
        LockError::Invalid { .. } | LockError::TooLarge { .. } => RESTORE_LOCK.into(),
        LockError::Unreadable { .. } => {
            "pave reads .pave/lock.yaml as a regular file: check its permissions, and that it is not a link or a folder".into()
        }
    })
}

fn pick_hint(e: &PickError) -> String {
    match e {
        PickError::Unknown { .. } => {
            "name one of the golden paths the repo's .pave/lock.yaml records".into()
        }
        PickError::Several { .. } => {
            "name it after the command, e.g. `pave upgrade rust-service`".into()
        }
    }
}

fn config_hint(e: &ConfigError) -> Option<String> {
    Some(match e {
        ConfigError::Syntax { .. } => {
            "config.toml takes `catalog = \"<builtin|path|url>\"` and a [registry] table with `url`, `token` and `retention`; fix the file, or point PAVE_CONFIG at another one".into()
        }
        ConfigError::Value { .. } => {
            "[registry] takes `url = \"https://registry.example.com\"` (or \"off\" to record nothing), `token = \"pave_…\"` and `retention = \"400d\"`; PAVE_REGISTRY_URL, PAVE_REGISTRY_TOKEN and PAVE_REGISTRY_RETENTION (or --retention) override them".into()
        }
        ConfigError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            "PAVE_CONFIG names this file: create it, fix the path, or unset PAVE_CONFIG to use the config file in your user config folder".into()
        }
        ConfigError::Io { .. } => {
            "check that it is a readable file, or point PAVE_CONFIG at another config file".into()
        }
    })
}

fn scaffold_hint(e: &ScaffoldError) -> Option<String> {
    match e {
        ScaffoldError::Answers(e) => answers_hint(e),
        ScaffoldError::Render(e) => render_hint(e),
        ScaffoldError::Apply(e) => apply_hint(e),
        ScaffoldError::Git(e) => git_hint(e),
        ScaffoldError::Target { .. } => Some(
            "give a path that does not exist yet (pave new makes the folder) or an empty folder; to add a golden path to an existing repo, use `pave apply`".into(),
        ),
        ScaffoldError::Read { .. } => Some("check the folder's permissions".into()),
        ScaffoldError::Write { .. } => Some(
            "check that the target's parent folder is writable and the disk has room; nothing was left behind".into(),
        ),
    }
}

fn adopt_hint(e: &AdoptError) -> Option<String> {
    match e {
        AdoptError::Answers(e) => answers_hint(e),
        AdoptError::Render(e) => render_hint(e),
        AdoptError::ClaimedTwice(_) => Some(
            "a file belongs to one golden path: leave it to the other one, or apply only components that do not render it (--only)".into(),
        ),
        AdoptError::MixedVersions { name, locked, .. } => Some(format!(
            "`pave apply {name}` applies {locked}, the version the repo has; to move to a newer one, `pave diff --to <version>` shows the change and `pave upgrade --to <version>` makes it"
        )),
    }
}

fn upgrade_hint(e: &UpgradeError) -> Option<String> {
    match e {
        UpgradeError::Catalog(e) => catalog_hint(e),
        UpgradeError::Answers(e) => answers_hint(e),
        UpgradeError::Render(e) => render_hint(e),
        UpgradeError::Apply(e) => apply_hint(e),
        UpgradeError::BadTarget { .. } => Some(
            "--to takes a version (`--to 1.3.0`) or a requirement (`--to ^1.3`); `pave list` shows the versions".into(),
        ),
        UpgradeError::Downgrade { .. } => Some(
            "`git log -- .pave/lock.yaml` finds the commit that was on the older version".into(),
        ),
    }
}

fn audit_hint(e: &AuditError) -> String {
    match e {
        AuditError::Read { .. } => "check the path and that the file is readable".into(),
        AuditError::Write { .. } => {
            "check that the cache folder is writable (PAVE_CACHE_DIR moves it)".into()
        }
        AuditError::NotAReport { .. } => {
            "`pave audit merge` reads the reports of `pave audit --format json --output FILE`"
                .into()
        }
    }
}

fn gate_hint(e: &GateError) -> Option<String> {
    const UNSHALLOW: &str = "fetch the whole history: `fetch-depth: 0` on actions/checkout (GitHub), `GIT_DEPTH: 0` (GitLab CI), or `git fetch --unshallow` locally";
    Some(match e {
        GateError::ConfigSyntax { .. } | GateError::ConfigInvalid { .. } => {
            "see the fields and defaults with `pave schema gates`; a field left out takes its default".into()
        }
        GateError::ConfigUnreadable { .. } => {
            "check the path given to --config, or leave --config out to use .pave/gates.yaml (or the defaults)".into()
        }
        GateError::Shallow { .. } | GateError::BaseNotFound { shallow: true, .. } => {
            UNSHALLOW.into()
        }
        GateError::BaseNotFound { tried, .. } if tried.len() == 1 => format!(
            "`{}` is not a branch, tag or commit here: check the name (`git branch -a` lists the branches), or fetch it (`git fetch origin {}`)",
            tried[0],
            tried[0].strip_prefix("origin/").unwrap_or(&tried[0])
        ),
        GateError::BaseNotFound { .. } => {
            "name the base with `--base REF` (a branch, tag or commit), or fetch it: `git fetch origin main`".into()
        }
        GateError::HeadNotFound { .. } => {
            "name a branch, tag or commit with `--head REF` (default HEAD)".into()
        }
        GateError::NoMergeBase { .. } => {
            "the two share no history: name the branch the change is meant for with --base".into()
        }
        GateError::NotARepo { .. } => {
            "run inside the repository's work tree, or point --repo at it".into()
        }
        GateError::Git { .. } => {
            "check that the repository is readable; `git status` in it may tell more".into()
        }
        GateError::Coverage(e) => return Some(coverage_hint(e)),
        GateError::CoverageUnused => {
            "drop --coverage, or run `pave gate ai-provenance` or `pave gate all`".into()
        }
        GateError::Lock(LockError::NoRepo { .. }) => "point --repo at the repo's root folder".into(),
        GateError::Lock(LockError::Missing { .. }) => {
            "the conformance gate checks a repo that adopted a golden path (`pave new`, `pave apply`): point --repo at its root, or leave conformance out of the gates".into()
        }
        GateError::Lock(e) => return lock_hint(e),
        GateError::Catalog(e) => return catalog_hint(e),
    })
}

fn coverage_hint(e: &CoverageError) -> String {
    match e {
        CoverageError::TooLarge { .. } => {
            "report only the repo's own code (exclude dependencies), or split the report".into()
        }
        _ => "pass an lcov tracefile (`cargo llvm-cov --lcov --output-path lcov.info`) or a Cobertura XML report".into(),
    }
}

fn registry_hint(e: &RegistryError) -> Option<String> {
    Some(match e {
        RegistryError::Store(e) => return store_hint(e),
        RegistryError::Bind { .. } => {
            "another process may use that port: choose another with --listen 127.0.0.1:PORT".into()
        }
        RegistryError::Serve(_) | RegistryError::Runtime(_) => {
            "the system refused the server its resources (threads, sockets); check the process limits (`ulimit -a`)".into()
        }
        RegistryError::NoDataDir => {
            "set PAVE_DATA_DIR, or pass --database sqlite:PATH or postgres://…".into()
        }
        RegistryError::CreateDir { .. } => {
            "check the folder's permissions, or put the database elsewhere with --database sqlite:PATH".into()
        }
        RegistryError::UnknownToken(_) => "`pave registry token list` shows the tokens' ids".into(),
        RegistryError::Retention(e) => return store_hint(e),
    })
}

/// Where a repo's id is, for a repo the registry does not know (or knows twice by URL).
const REPO_ID_HINT: &str = "name the repo by its id: `repo_id` in its .pave/lock.yaml, or in `GET /api/v1/repos`; a URL must be the one the registry shows (`repo.url`)";

fn admin_hint(source: &SendError, token_from: &str) -> String {
    match source {
        SendError::Unauthorized { .. } | SendError::NoToken { .. } => format!(
            "set a token with the `admin` scope in {token_from} (made on the registry's database: `pave registry token create --name sre --scope admin --database …`)"
        ),
        SendError::Rejected { field: Some(field), .. } if field == "repo" => REPO_ID_HINT.into(),
        SendError::Rejected { .. } => {
            "the registry refused the request; its message is above".into()
        }
        SendError::Unreachable { .. } => {
            "check PAVE_REGISTRY_URL (or `url` in [registry] of config.toml) and that the registry is running, or work on its database with --database".into()
        }
        _ => "the registry answered with an error; its own log says more".into(),
    }
}

fn store_hint(e: &StoreError) -> Option<String> {
    Some(match e {
        StoreError::OpenSqlite { .. } => {
            "check the path and its permissions (--database sqlite:PATH)".into()
        }
        StoreError::ConnectPostgres(_) => {
            "check the URL in --database (host, port, user, database, sslmode) and that PostgreSQL accepts connections from here".into()
        }
        StoreError::SchemaTooNew { .. } => {
            "a newer pave migrated this database; run that version (`pave --version` says which this is)".into()
        }
        StoreError::Invalid(invalid) if invalid.field == "repo" => REPO_ID_HINT.into(),
        StoreError::Invalid(_) => "see `pave registry token create --help`".into(),
        StoreError::UnknownRepo(_) => REPO_ID_HINT.into(),
        StoreError::AmbiguousRepo { .. } => {
            "delete each of them by its id (they are listed above)".into()
        }
        StoreError::Sqlite(_) | StoreError::Postgres(_) | StoreError::Corrupt { .. } => {
            "the database refused the operation; its own message is above".into()
        }
        StoreError::Random(_) => "the system's random source failed; try again".into(),
    })
}

fn stats_hint(is_local: bool, source: &SendError) -> String {
    match source {
        _ if is_local => {
            "the local registry's file could not be read; `pave registry serve` opens the same file and says more".into()
        }
        SendError::Unauthorized { .. } | SendError::NoToken { .. } => {
            "set a token with the `read` scope in PAVE_REGISTRY_TOKEN (or `token` in [registry] of config.toml)".into()
        }
        SendError::Unreachable { .. } => {
            "check PAVE_REGISTRY_URL (or `url` in [registry] of config.toml) and that the registry is running".into()
        }
        _ => "the registry answered with an error; its own log says more".into(),
    }
}
