//! Applying a plan: all or nothing. Every path is checked first (no symbolic link on the way,
//! nothing in the way of a folder); every file is then written to a temporary file beside its
//! target; only when all are written are they renamed into place, the lock last. If a rename
//! fails, the ones already done are rolled back, so the repo is as it was.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use pave_base::repo_path::RepoPath;

/// Why a plan could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("{path}: refusing to write through a symbolic link; nothing was written")]
    Symlink { path: PathBuf },
    #[error("{path}: a file is in the way of folder `{folder}`; nothing was written")]
    NotAFolder { path: PathBuf, folder: String },
    #[error("cannot write {path}: {source}; nothing was written")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// One file to write.
#[derive(Debug, Clone)]
pub struct Write {
    pub path: RepoPath,
    pub bytes: Vec<u8>,
    pub is_executable: bool,
}

/// Writes every file below `root`, in order, all or nothing.
pub fn write_all(root: &Path, writes: &[Write]) -> Result<(), ApplyError> {
    apply_changes(root, writes, &[])
}

/// Deletes `deletes` and writes `writes` (in order: put the lock last) below `root`, all or
/// nothing: deleted files are first moved aside and only removed once every write is done.
pub fn apply_changes(
    root: &Path,
    writes: &[Write],
    deletes: &[RepoPath],
) -> Result<(), ApplyError> {
    for path in writes.iter().map(|w| &w.path).chain(deletes) {
        preflight(root, path)?;
    }
    // Text in the checkout's own line endings (git stores it as rendered).
    let checkout = crate::eol::Checkout::of(root);
    let writes: Vec<Write> = writes
        .iter()
        .map(|w| Write {
            bytes: checkout.to_worktree(&w.path, &w.bytes).into_owned(),
            ..w.clone()
        })
        .collect();
    let writes = writes.as_slice();
    let mut created_dirs = Vec::new();
    let mut staged = Vec::new();
    let staged_result = (|| {
        for w in writes {
            let dir = ensure_parent(root, &w.path, &mut created_dirs)?;
            staged.push(stage(&dir, w)?);
        }
        Ok(())
    })();
    if let Err(e) = staged_result {
        drop(staged);
        remove_dirs(&created_dirs);
        return Err(e);
    }
    // Deletes: move each file aside (same folder, so a rename), restorable until the end.
    let mut aside: Vec<(PathBuf, PathBuf)> = Vec::new();
    for path in deletes {
        let target = path.under(root);
        let hidden = target.with_file_name(format!(
            ".pave-del-{}-{}",
            std::process::id(),
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        if let Err(e) = std::fs::rename(&target, &hidden) {
            restore_aside(&aside);
            remove_dirs(&created_dirs);
            return Err(ApplyError::Io {
                path: target,
                source: e,
            });
        }
        aside.push((target, hidden));
    }
    // Commit: rename each staged file into place, remembering what it replaced.
    let mut done: Vec<(PathBuf, Option<Vec<u8>>)> = Vec::new();
    for (w, tmp) in writes.iter().zip(staged) {
        let target = w.path.under(root);
        let previous = std::fs::read(&target).ok();
        if let Err(e) = tmp.persist(&target) {
            rollback(&done);
            restore_aside(&aside);
            remove_dirs(&created_dirs);
            return Err(ApplyError::Io {
                path: target,
                source: e.error,
            });
        }
        done.push((target, previous));
    }
    for (_, hidden) in &aside {
        let _ = std::fs::remove_file(hidden);
    }
    Ok(())
}

fn restore_aside(aside: &[(PathBuf, PathBuf)]) {
    for (target, hidden) in aside.iter().rev() {
        let _ = std::fs::rename(hidden, target);
    }
}

/// Refuses a path with a symbolic link or a file in the way, before anything is written.
fn preflight(root: &Path, path: &RepoPath) -> Result<(), ApplyError> {
    let mut current = root.to_owned();
    let segments: Vec<&str> = path.segments().collect();
    for (i, segment) in segments.iter().enumerate() {
        current.push(segment);
        let is_last = i + 1 == segments.len();
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(ApplyError::Symlink { path: current });
            }
            Ok(meta) if !is_last && !meta.is_dir() => {
                return Err(ApplyError::NotAFolder {
                    path: current,
                    folder: (*segment).to_owned(),
                });
            }
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(ApplyError::Io {
                    path: current,
                    source: e,
                });
            }
        }
    }
    Ok(())
}

/// Creates the missing folders of `path` (recording them for rollback); returns its folder.
fn ensure_parent(
    root: &Path,
    path: &RepoPath,
    created: &mut Vec<PathBuf>,
) -> Result<PathBuf, ApplyError> {
    let mut dir = root.to_owned();
    let segments: Vec<&str> = path.segments().collect();
    for folder in &segments[..segments.len() - 1] {
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
                std::fs::create_dir(&dir).map_err(|e| ApplyError::Io {
                    path: dir.clone(),
                    source: e,
                })?;
                created.push(dir.clone());
            }
            Err(e) => {
                return Err(ApplyError::Io {
                    path: dir,
                    source: e,
                });
            }
        }
    }
    Ok(dir)
}

fn stage(dir: &Path, w: &Write) -> Result<tempfile::NamedTempFile, ApplyError> {
    let io = |source| ApplyError::Io {
        path: w.path.under(dir),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".pave-tmp-")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(&w.bytes).map_err(io)?;
    set_mode(tmp.as_file(), w.is_executable).map_err(io)?;
    Ok(tmp)
}

/// Puts back what the renames replaced (best effort: this runs only after an I/O failure).
fn rollback(done: &[(PathBuf, Option<Vec<u8>>)]) {
    for (target, previous) in done.iter().rev() {
        match previous {
            Some(bytes) => {
                let _ = std::fs::write(target, bytes);
            }
            None => {
                let _ = std::fs::remove_file(target);
            }
        }
    }
}

fn remove_dirs(created: &[PathBuf]) {
    for dir in created.iter().rev() {
        let _ = std::fs::remove_dir(dir);
    }
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

    fn write(path: &str) -> Write {
        Write {
            path: RepoPath::parse(path).unwrap(),
            bytes: b"x".to_vec(),
            is_executable: false,
        }
    }

    #[test]
    fn refuses_to_write_through_a_symlinked_folder_and_writes_nothing() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join(".github")).unwrap();
        let err = write_all(
            root.path(),
            &[write("a/first.txt"), write(".github/ci.yml")],
        )
        .unwrap_err();
        assert!(matches!(err, ApplyError::Symlink { .. }), "{err}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
        assert!(
            !root.path().join("a").exists(),
            "nothing written before the refusal"
        );
    }

    #[test]
    fn refuses_to_replace_a_symlinked_file() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        std::fs::write(&victim, "keep").unwrap();
        std::os::unix::fs::symlink(&victim, root.path().join("README.md")).unwrap();
        let err = write_all(root.path(), &[write("README.md")]).unwrap_err();
        assert!(matches!(err, ApplyError::Symlink { .. }), "{err}");
        assert_eq!(std::fs::read_to_string(victim).unwrap(), "keep");
    }

    #[test]
    fn a_file_in_the_way_of_a_folder_stops_everything() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("deploy"), "a file").unwrap();
        let err =
            write_all(root.path(), &[write("ok.txt"), write("deploy/base/x.yaml")]).unwrap_err();
        assert!(matches!(err, ApplyError::NotAFolder { .. }), "{err}");
        assert!(!root.path().join("ok.txt").exists());
    }

    #[test]
    fn deletes_and_writes_together() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("gone.txt"), "old").unwrap();
        apply_changes(
            root.path(),
            &[write("new.txt")],
            &[RepoPath::parse("gone.txt").unwrap()],
        )
        .unwrap();
        assert!(!root.path().join("gone.txt").exists());
        assert_eq!(
            std::fs::read_dir(root.path()).unwrap().count(),
            1,
            "no temporaries left"
        );
    }

    #[test]
    fn writes_every_file_and_leaves_no_temporaries() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("old.txt"), "old").unwrap();
        write_all(root.path(), &[write("old.txt"), write("n/e/w.txt")]).unwrap();
        assert_eq!(std::fs::read(root.path().join("old.txt")).unwrap(), b"x");
        assert_eq!(std::fs::read(root.path().join("n/e/w.txt")).unwrap(), b"x");
        let temps = walkdir::WalkDir::new(root.path())
            .into_iter()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".pave-tmp")
            })
            .count();
        assert_eq!(temps, 0);
    }
}
