//! Applying a plan: every file written atomically (temporary file + rename in the same folder),
//! never through a symbolic link, never outside the root.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::plan::{Action, Plan};
use crate::repo_path::RepoPath;

/// Why a plan could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{path}: refusing to write through a symbolic link")]
    Symlink { path: PathBuf },
    #[error("{path}: a file is in the way of folder `{folder}`")]
    NotAFolder { path: PathBuf, folder: String },
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Writes every created or updated file of `plan` below `root`.
pub fn write_plan(root: &Path, plan: &Plan) -> Result<(), ApplyError> {
    for file in &plan.files {
        if file.action == Action::Unchanged {
            continue;
        }
        write_atomic(root, &file.path, &file.bytes, file.is_executable)?;
    }
    Ok(())
}

/// Writes `bytes` to `path` below `root` atomically. Folders on the way are created; any
/// existing part of the way that is a symbolic link is refused, so a repo cannot redirect a
/// write outside itself.
pub fn write_atomic(
    root: &Path,
    path: &RepoPath,
    bytes: &[u8],
    is_executable: bool,
) -> Result<(), ApplyError> {
    let io = |path: &Path, source| ApplyError::Io {
        path: path.to_owned(),
        source,
    };
    let mut dir = root.to_owned();
    let segments: Vec<&str> = path.segments().collect();
    let (file_name, folders) = segments
        .split_last()
        .expect("a RepoPath has at least one segment");
    for folder in folders {
        dir.push(folder);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(ApplyError::Symlink { path: dir });
            }
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => {
                return Err(ApplyError::NotAFolder {
                    path: dir,
                    folder: (*folder).to_owned(),
                });
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir(&dir).map_err(|e| io(&dir, e))?;
            }
            Err(e) => return Err(io(&dir, e)),
        }
    }
    let target = dir.join(file_name);
    if let Ok(meta) = std::fs::symlink_metadata(&target)
        && meta.file_type().is_symlink()
    {
        return Err(ApplyError::Symlink { path: target });
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".pave-tmp-")
        .tempfile_in(&dir)
        .map_err(|e| io(&dir, e))?;
    tmp.write_all(bytes).map_err(|e| io(&target, e))?;
    set_mode(tmp.as_file(), is_executable).map_err(|e| io(&target, e))?;
    tmp.persist(&target).map_err(|e| io(&target, e.error))?;
    Ok(())
}

#[cfg(unix)]
fn set_mode(file: &std::fs::File, is_executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    file.set_permissions(std::fs::Permissions::from_mode(if is_executable {
        0o755
    } else {
        0o644
    }))
}

#[cfg(not(unix))]
fn set_mode(_: &std::fs::File, _: bool) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_write_through_a_symlinked_folder() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join(".github")).unwrap();
        let err = write_atomic(
            root.path(),
            &RepoPath::parse(".github/ci.yml").unwrap(),
            b"x",
            false,
        )
        .unwrap_err();
        assert!(matches!(err, ApplyError::Symlink { .. }), "{err}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }

    #[test]
    fn refuses_to_replace_a_symlinked_file() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, root.path().join("README.md")).unwrap();
        let err = write_atomic(
            root.path(),
            &RepoPath::parse("README.md").unwrap(),
            b"x",
            false,
        )
        .unwrap_err();
        assert!(matches!(err, ApplyError::Symlink { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(victim).unwrap(), "keep");
    }
}
