//! The plan: what a command will do to every file, computed in full before anything is written
//! and printed so a person (or `--dry-run`) sees it first.

use std::fmt;
use std::path::Path;

use crate::manifest::Ownership;
use crate::render::Rendered;
use crate::repo_path::RepoPath;

/// What will happen to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    /// The file does not exist and will be written.
    Create,
    /// The file exists with other content and will be replaced.
    Update,
    /// The file exists with exactly the rendered content.
    Unchanged,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Create => "create",
            Self::Update => "update",
            Self::Unchanged => "unchanged",
        })
    }
}

/// One file of the plan.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub path: RepoPath,
    pub action: Action,
    /// `None` for pave's own files (the lock).
    pub ownership: Option<Ownership>,
    pub component: Option<String>,
    pub bytes: Vec<u8>,
    pub is_executable: bool,
}

/// Every file a command will touch, sorted by path.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    pub files: Vec<PlannedFile>,
}

impl Plan {
    /// Plans writing `rendered` plus pave's own `extra` files (path, bytes) into `root`.
    /// A missing `root` plans every file as created.
    pub fn new(root: &Path, rendered: Rendered, extra: Vec<(RepoPath, Vec<u8>)>) -> Self {
        let action_for = |path: &RepoPath, bytes: &[u8]| match std::fs::read(path.under(root)) {
            Ok(existing) if existing == bytes => Action::Unchanged,
            Ok(_) => Action::Update,
            Err(_) => Action::Create,
        };
        let mut files: Vec<PlannedFile> = rendered
            .files
            .into_values()
            .map(|f| PlannedFile {
                action: action_for(&f.path, &f.bytes),
                path: f.path,
                ownership: Some(f.ownership),
                component: Some(f.component),
                bytes: f.bytes,
                is_executable: f.is_executable,
            })
            .collect();
        files.extend(extra.into_iter().map(|(path, bytes)| PlannedFile {
            action: action_for(&path, &bytes),
            path,
            ownership: None,
            component: None,
            bytes,
            is_executable: false,
        }));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Self { files }
    }

    /// How many files take each action, for the summary line.
    pub fn count(&self, action: Action) -> usize {
        self.files.iter().filter(|f| f.action == action).count()
    }
}
