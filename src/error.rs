//! The top-level error: every module's error, the hint that tells a person what to do next, and
//! the exit code. Rendered once, at the edge, by the printer.

use std::path::PathBuf;

use crate::answers::AnswerError;
use crate::apply::ApplyError;
use crate::catalog::CatalogError;
use crate::git::GitError;
use crate::render::RenderError;

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
    #[error("target {path} {why}")]
    Target { path: PathBuf, why: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Lock(#[from] crate::lock::LockError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{path} has uncommitted changes ({}); pave writes only into a clean work tree", examples.join(", "))]
    DirtyWorkTree {
        path: PathBuf,
        examples: Vec<String>,
    },
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Gate(#[from] crate::gate::GateError),
    #[error(transparent)]
    Registry(#[from] crate::registry::server::RegistryError),
}

impl Error {
    /// What the person can do about it, when we know.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Answers(AnswerError::Missing(missing)) => {
                let sets: Vec<String> = missing
                    .iter()
                    .map(|m| {
                        let notes: Vec<&str> = [Some(m.help.as_str()), m.rejected_default.as_deref()]
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
                Some(format!(
                    "pass them on the command line, in an --answers file, or run on a terminal without --no-input:\n{}",
                    sets.join("\n")
                ))
            }
            Error::Answers(AnswerError::Invalid { .. } | AnswerError::Unknown { .. }) => {
                Some("see the parameters with `pave show <golden-path>`".into())
            }
            Error::Catalog(CatalogError::UnknownGoldenPath { .. } | CatalogError::UnknownVersion { .. }) => {
                Some("see what the catalog has with `pave list`".into())
            }
            Error::Catalog(CatalogError::Unreachable { .. }) => Some(
                "check the URL and that the repository is reachable from here; once fetched, pave reads it from its cache offline (PAVE_CACHE_DIR)".into(),
            ),
            Error::Catalog(CatalogError::TagMismatch { .. }) => Some(
                "tag each version as <name>@<version> (or <name>/v<version>) on a commit whose golden-path.yaml says that name and version".into(),
            ),
            Error::Catalog(CatalogError::Symlink { .. } | CatalogError::Submodule { .. }) => Some(
                "a golden path holds its own files only: replace the link or submodule with the files themselves".into(),
            ),
            Error::Config(crate::config::ConfigError::Syntax { .. }) => Some(
                "config.toml takes `catalog = \"<builtin|path|url>\"` and a [registry] table with `url` and `token`; fix the file, or point PAVE_CONFIG at another one".into(),
            ),
            Error::Config(crate::config::ConfigError::Value { .. }) => Some(
                "[registry] takes `url = \"https://registry.example.com\"` (or \"off\" to record nothing) and `token = \"pave_…\"`; PAVE_REGISTRY_URL and PAVE_REGISTRY_TOKEN override them".into(),
            ),
            Error::Gate(e) => e.hint(),
            Error::Target { .. } => Some("choose a new folder, or empty this one".into()),
            Error::DirtyWorkTree { .. } => Some(
                "commit or stash them first, so pave's changes can be reviewed and undone; or pass --allow-dirty".into(),
            ),
            Error::Lock(crate::lock::LockError::Missing { .. }) => Some(
                "adopt a golden path with `pave new` or `pave apply`, or run in the repo's root (-C DIR)".into(),
            ),
            Error::Lock(crate::lock::LockError::Invalid { .. }) => Some(
                "pave writes the lock; restore it from git (`git checkout -- .pave/lock.yaml`)".into(),
            ),
            Error::Render(RenderError::UnsafePath { .. }) => {
                Some("answers and templated path segments must stay inside the target: no `..`, `/`, or absolute paths".into())
            }
            Error::Apply(ApplyError::Symlink { .. }) => {
                Some("pave never writes through symbolic links; replace the link with a real folder or file".into())
            }
            _ => None,
        }
    }

    pub fn exit_code(&self) -> u8 {
        EXIT_ERROR
    }
}
