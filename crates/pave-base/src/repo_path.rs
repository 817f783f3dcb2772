//! [`RepoPath`]: a relative path that cannot leave the repository it is joined to.
//!
//! Every rendered path becomes a `RepoPath` before it is planned or written, so a template or an
//! answer (`../x`, `/etc/passwd`, `C:\x`, a segment with a slash in it) can never point outside the
//! target, and nothing is written into `.git`.

use std::fmt;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A normalised, `/`-separated path inside a repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(transparent)]
pub struct RepoPath(String);

/// Why a path is not a safe repository path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` {why}")]
pub struct UnsafePath {
    pub path: String,
    pub why: &'static str,
}

impl RepoPath {
    /// Checks a path built from segments; each segment must be one plain file or folder name.
    pub fn from_segments<S: AsRef<str>>(segments: &[S]) -> Result<Self, UnsafePath> {
        let joined = segments
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join("/");
        let unsafe_path = |why| UnsafePath {
            path: joined.clone(),
            why,
        };
        if segments.is_empty() {
            return Err(unsafe_path("is empty"));
        }
        for segment in segments {
            let s = segment.as_ref();
            if s.is_empty() {
                return Err(unsafe_path("has an empty segment"));
            }
            if s == "." || s == ".." {
                return Err(unsafe_path("escapes the target with `.` or `..`"));
            }
            if s.contains(['/', '\\']) {
                return Err(unsafe_path("has a segment containing a path separator"));
            }
            if s.contains('\0') || s.chars().any(char::is_control) {
                return Err(unsafe_path("contains a control character"));
            }
            if s.len() >= 2 && s.as_bytes()[1] == b':' && s.as_bytes()[0].is_ascii_alphabetic() {
                return Err(unsafe_path("starts with a drive letter"));
            }
        }
        if segments[0].as_ref().eq_ignore_ascii_case(".git") {
            return Err(unsafe_path("is inside `.git`"));
        }
        Ok(Self(joined))
    }

    /// Checks a `/`-separated relative path (from a lock file, say).
    pub fn parse(path: &str) -> Result<Self, UnsafePath> {
        if path.starts_with('/') {
            return Err(UnsafePath {
                path: path.to_owned(),
                why: "is absolute",
            });
        }
        Self::from_segments(&path.split('/').collect::<Vec<_>>())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The path below `root`.
    pub fn under(&self, root: &Path) -> PathBuf {
        self.0.split('/').fold(root.to_owned(), |p, s| p.join(s))
    }

    /// The bytes of this regular file below `root`; `None` when it is missing, not a regular
    /// file, or reached through a symbolic link anywhere on the way (a repo cannot make pave
    /// read outside it, or pass off a linked copy as its own file).
    pub fn read_regular_under(&self, root: &Path) -> Option<Vec<u8>> {
        let mut current = root.to_owned();
        let segments: Vec<&str> = self.segments().collect();
        for (i, segment) in segments.iter().enumerate() {
            current.push(segment);
            let meta = std::fs::symlink_metadata(&current).ok()?;
            let is_last = i + 1 == segments.len();
            if (is_last && !meta.is_file()) || (!is_last && !meta.is_dir()) {
                return None;
            }
        }
        std::fs::read(&current).ok()
    }

    /// The path's segments, outermost first.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for RepoPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_refused() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a//b",
            "C:/x",
            "a/b\\..\\c",
            ".git/config",
            "./a",
            "a/\0",
        ] {
            assert!(RepoPath::parse(bad).is_err(), "{bad}");
        }
        for good in [
            "a",
            ".github/workflows/ci.yml",
            "a/..b/c..",
            "deploy/base/x.yaml",
        ] {
            assert_eq!(RepoPath::parse(good).unwrap().as_str(), good);
        }
    }

    #[test]
    fn reading_never_goes_through_a_link() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(outside.path().join("base")).unwrap();
        std::fs::write(outside.path().join("base/x.yaml"), "same").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("deploy")).unwrap();
        std::fs::write(root.path().join("real.txt"), "mine").unwrap();
        assert_eq!(
            RepoPath::parse("deploy/base/x.yaml")
                .unwrap()
                .read_regular_under(root.path()),
            None
        );
        assert_eq!(
            RepoPath::parse("real.txt")
                .unwrap()
                .read_regular_under(root.path()),
            Some(b"mine".to_vec())
        );
    }

    #[test]
    fn under_stays_below_root() {
        let p = RepoPath::parse("a/b/c.txt").unwrap();
        assert_eq!(p.under(Path::new("/r")), PathBuf::from("/r/a/b/c.txt"));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever the segments (dots, slashes, drive letters, control characters), a path that
        /// is accepted stays below the root it is joined to.
        #[test]
        fn accepted_paths_stay_below_the_root(segments in proptest::collection::vec("[a-zA-Z0-9./\\\\:\\x00-\\x1f -]{0,6}", 1..5)) {
            let root = Path::new("/repo/root");
            if let Ok(path) = RepoPath::from_segments(&segments) {
                let full = path.under(root);
                prop_assert!(full.starts_with(root));
                prop_assert!(full.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::RootDir)));
                prop_assert_eq!(RepoPath::parse(path.as_str()), Ok(path.clone()));
            }
        }
    }
}
