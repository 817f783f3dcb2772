//! Where a path in a coverage report lands in the repo: report paths made repo-relative
//! (absolute paths under the root, through symlinks, Windows separators, `.` and `..`), files
//! outside the repo dropped, and the files of one path merged.
//!
//! Its own file because a report rarely names files as the repo does: it may have been made in
//! another checkout (in CI, say), so a path is matched by its tail as a last resort. A tail match
//! is weak evidence (a dependency's `src/lib.rs` ends like the repo's), so it is guarded: see
//! [`foreign_checkout`]. Both parsers go through here, so both formats resolve alike.

use std::collections::BTreeMap;
use std::path::Path;

use super::{Coverage, FileReport};

/// Where a path in a report lands in the repo.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resolution {
    /// Inside the repo at `path`; `exists` when a file is there.
    InRepo {
        path: String,
        exists: bool,
    },
    /// An absolute path not under the repo root whose tail `path` names a file in the repo: the
    /// report was likely made in a checkout at `prefix` (in CI, say).
    Foreign {
        prefix: String,
        path: String,
    },
    Outside,
}

/// Resolves each report's path and merges the reports that land on the same file.
pub(super) fn assemble(reports: Vec<FileReport>, repo_root: &Path) -> Coverage {
    let resolver = PathResolver::new(repo_root);
    let resolutions: Vec<Vec<Resolution>> = reports
        .iter()
        .map(|report| {
            report
                .candidates
                .iter()
                .map(|candidate| resolver.resolve(candidate))
                .collect()
        })
        .collect();
    let checkout = foreign_checkout(&resolutions);

    let mut coverage = Coverage::default();
    for (report, resolutions) in reports.into_iter().zip(&resolutions) {
        let Some(file) = pick(resolutions, checkout.as_deref()) else {
            continue;
        };
        let lines = coverage.files.entry(file).or_default();
        for (line, hits) in report.lines {
            let total = lines.entry(line).or_default();
            *total = total.saturating_add(hits);
        }
    }
    coverage
}

/// The checkout a report made elsewhere was made in: the prefix that explains the most files.
/// A tail match is weak evidence (`~/.cargo/registry/…/serde/src/lib.rs` ends like the repo's
/// `src/lib.rs`), so it is used only when no path in the report names a repo file directly (the
/// report was made for this checkout otherwise, and other paths are dependencies), files whose
/// tails match under another prefix are dropped, and ties go to the shallower prefix, as
/// dependency caches sit deeper than checkouts.
fn foreign_checkout(resolutions: &[Vec<Resolution>]) -> Option<String> {
    let names_a_repo_file = resolutions
        .iter()
        .flatten()
        .any(|r| matches!(r, Resolution::InRepo { exists: true, .. }));
    if names_a_repo_file {
        return None;
    }
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for candidates in resolutions {
        let mut prefixes: Vec<&str> = candidates
            .iter()
            .filter_map(|r| match r {
                Resolution::Foreign { prefix, .. } => Some(prefix.as_str()),
                _ => None,
            })
            .collect();
        prefixes.sort_unstable();
        prefixes.dedup();
        for prefix in prefixes {
            *votes.entry(prefix).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .min_by_key(|(prefix, count)| (std::cmp::Reverse(*count), prefix.matches('/').count()))
        .map(|(prefix, _)| prefix.to_owned())
}

/// The repo path a report's file lands on: an existing file first, then a tail under the
/// checkout the report was made in, then a repo path that does not exist (yet).
fn pick(resolutions: &[Resolution], checkout: Option<&str>) -> Option<String> {
    let existing = resolutions.iter().find_map(|r| match r {
        Resolution::InRepo { path, exists: true } => Some(path),
        _ => None,
    });
    let foreign = || {
        resolutions.iter().find_map(|r| match r {
            Resolution::Foreign { prefix, path } if Some(prefix.as_str()) == checkout => Some(path),
            _ => None,
        })
    };
    let any = || {
        resolutions.iter().find_map(|r| match r {
            Resolution::InRepo { path, .. } => Some(path),
            _ => None,
        })
    };
    existing.or_else(foreign).or_else(any).cloned()
}

struct PathResolver<'a> {
    repo_root: &'a Path,
    /// The repo root's absolute forms, as given and canonical (through symlinks), as components.
    roots: Vec<Vec<String>>,
}

impl<'a> PathResolver<'a> {
    fn new(repo_root: &'a Path) -> Self {
        let mut roots = Vec::new();
        let given = repo_root.to_string_lossy().replace('\\', "/");
        if is_absolute(&given) {
            roots.extend(components(&given, true).map(owned));
        }
        if let Ok(canonical) = std::fs::canonicalize(repo_root) {
            let canonical = canonical.to_string_lossy().replace('\\', "/");
            roots.extend(components(&canonical, true).map(owned));
        }
        roots.dedup();
        Self { repo_root, roots }
    }

    fn resolve(&self, raw: &str) -> Resolution {
        // Longer than the OSes pave runs on let a path be: it names no file, and resolving it
        // (a stat per tail) would cost time quadratic in its length.
        const MAX_PATH_BYTES: usize = 4096;
        // Deeper tails than this name no file in a real repo; the bound keeps the tail search
        // to a few stats per path whatever the report holds.
        const MAX_TAIL_COMPONENTS: usize = 64;
        if raw.len() > MAX_PATH_BYTES {
            return Resolution::Outside;
        }
        let unified = raw.replace('\\', "/");
        if !is_absolute(&unified) {
            return match components(&unified, false) {
                Some(parts) if !parts.is_empty() => self.in_repo(&parts),
                _ => Resolution::Outside,
            };
        }
        let Some(parts) = components(&unified, true) else {
            return Resolution::Outside;
        };
        if let Some(resolution) = self.under_root(&parts) {
            return resolution;
        }
        // The path may reach the repo through a symlink the root does not go through.
        if let Ok(canonical) = std::fs::canonicalize(raw) {
            let canonical = canonical.to_string_lossy().replace('\\', "/");
            if let Some(resolution) =
                components(&canonical, true).and_then(|parts| self.under_root(&parts))
            {
                return resolution;
            }
        }
        // Made elsewhere: the longest tail that names a file in the repo.
        for start in parts.len().saturating_sub(MAX_TAIL_COMPONENTS)..parts.len() {
            let tail = parts[start..].join("/");
            if self.repo_root.join(&tail).is_file() {
                return Resolution::Foreign {
                    prefix: format!("/{}", parts[..start].join("/")),
                    path: tail,
                };
            }
        }
        Resolution::Outside
    }

    fn under_root(&self, parts: &[&str]) -> Option<Resolution> {
        self.roots.iter().find_map(|root| {
            let is_under =
                parts.len() > root.len() && root.iter().zip(parts).all(|(want, got)| want == got);
            is_under.then(|| self.in_repo(&parts[root.len()..]))
        })
    }

    fn in_repo(&self, parts: &[&str]) -> Resolution {
        let path = parts.join("/");
        let exists = self.repo_root.join(&path).is_file();
        Resolution::InRepo { path, exists }
    }
}

fn owned(parts: Vec<&str>) -> Vec<String> {
    parts.into_iter().map(str::to_owned).collect()
}

/// `/`-separated, or a Windows drive path (`C:/…`), as reports made on Windows hold.
pub(super) fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    let has_drive = bytes.len() >= 2
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes.get(2), None | Some(b'/' | b'\\'));
    path.starts_with('/') || path.starts_with('\\') || has_drive
}

/// The components of a `/`-separated path with `.` and `..` resolved lexically; `None` when a
/// relative path climbs above its start (out of the repo).
fn components(path: &str, is_absolute: bool) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() && !is_absolute {
                    return None;
                }
            }
            part => parts.push(part),
        }
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::coverage::tests::{cobertura, lcov, lines, repo};

    #[test]
    fn absolute_paths_under_the_repo_root_become_repo_relative() {
        let root = repo(&["src/lib.rs"]);
        let base = root.path().display();
        let text = format!(
            "SF:{base}/src/lib.rs\nDA:1,1\nend_of_record\n\
             SF:{base}/src/./gen/../new.rs\nDA:2,0\nend_of_record\n"
        );
        let coverage = lcov(&text, root.path());
        let files: Vec<&str> = coverage.files.keys().map(String::as_str).collect();
        // A file the checkout lacks (generated, deleted) still resolves: it is under the root.
        assert_eq!(files, ["src/lib.rs", "src/new.rs"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_repo_root_matches_reports_written_with_the_real_path() {
        let real = repo(&["src/lib.rs"]);
        let links = tempfile::tempdir().expect("a temp dir");
        let link = links.path().join("repo");
        std::os::unix::fs::symlink(real.path(), &link).expect("symlink the repo");
        let canonical = std::fs::canonicalize(real.path()).expect("canonical root");

        // Report written with the real path, root given through the link.
        let text = format!(
            "SF:{}/src/lib.rs\nDA:1,1\nend_of_record\n",
            canonical.display()
        );
        let coverage = lcov(&text, &link);
        assert_eq!(coverage.hits("src/lib.rs", 1), Some(1));

        // Report written through the link, root given as the real path.
        let text = format!("SF:{}/src/lib.rs\nDA:1,2\nend_of_record\n", link.display());
        let coverage = lcov(&text, real.path());
        assert_eq!(coverage.hits("src/lib.rs", 1), Some(2));
    }

    #[test]
    fn files_outside_the_repo_are_dropped() {
        let root = repo(&["src/lib.rs"]);
        let text = "SF:/usr/include/stdio.h\nDA:1,1\nend_of_record\n\
                    SF:../sibling/src/lib.rs\nDA:1,1\nend_of_record\n\
                    SF:src/../../escape.rs\nDA:1,1\nend_of_record\n\
                    SF:/\nDA:1,1\nend_of_record\n\
                    SF:.\nDA:1,1\nend_of_record\n";
        assert_eq!(lcov(text, root.path()), Coverage::default());

        let base = root.path().display();
        let text = format!(
            r#"<coverage><sources><source>{base}/../elsewhere</source></sources>
            <packages><package><classes>
            <class filename="x.rs"><lines><line number="1" hits="1"/></lines></class>
            </classes></package></packages></coverage>"#
        );
        assert_eq!(cobertura(&text, root.path()), Coverage::default());
    }

    #[test]
    fn reports_made_in_another_checkout_match_by_the_longest_existing_tail() {
        let root = repo(&["src/lib.rs", "src/main.rs", "crates/x/src/lib.rs"]);
        let text = "SF:/home/runner/work/pave/pave/src/lib.rs\nDA:1,1\nend_of_record\n\
                    SF:/home/runner/work/pave/pave/src/main.rs\nDA:2,2\nend_of_record\n\
                    SF:/home/runner/work/pave/pave/crates/x/src/lib.rs\nDA:3,3\nend_of_record\n\
                    SF:/home/runner/work/pave/pave/src/deleted.rs\nDA:4,4\nend_of_record\n\
                    SF:/home/runner/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.228/src/lib.rs\n\
                    DA:1,100\nend_of_record\n";
        let coverage = lcov(text, root.path());
        // The dependency's `src/lib.rs` ends like the repo's but sits under another prefix than
        // the checkout the other files point to, so its hits are not added; a file the repo
        // lacks cannot be matched at all.
        assert_eq!(coverage.files["src/lib.rs"], lines(&[(1, 1)]));
        assert_eq!(coverage.hits("src/main.rs", 2), Some(2));
        assert_eq!(coverage.hits("crates/x/src/lib.rs", 3), Some(3));
        assert_eq!(coverage.files.len(), 3);

        // The same from Cobertura, with the CI checkout as its `<source>`, and Windows paths.
        let text = r#"<coverage><sources><source>D:\a\pave\pave</source></sources>
            <packages><package><classes>
            <class filename="src\lib.rs"><lines><line number="1" hits="1"/></lines></class>
            <class filename="src\main.rs"><lines><line number="2" hits="2"/></lines></class>
            </classes></package></packages></coverage>"#;
        let coverage = cobertura(text, root.path());
        assert_eq!(coverage.hits("src/lib.rs", 1), Some(1));
        assert_eq!(coverage.hits("src/main.rs", 2), Some(2));
    }

    #[test]
    fn a_report_made_in_this_checkout_never_matches_dependencies_by_tail() {
        let root = repo(&["src/lib.rs"]);
        let base = root.path().display();
        let text = format!(
            "SF:{base}/src/lib.rs\nDA:1,1\nend_of_record\n\
             SF:/home/u/.cargo/registry/src/idx/dep-1.0/src/lib.rs\nDA:1,100\nend_of_record\n\
             SF:/home/u/.cargo/registry/src/idx/dep-1.0/src/lib.rs\nDA:2,100\nend_of_record\n"
        );
        let coverage = lcov(&text, root.path());
        assert_eq!(coverage.files["src/lib.rs"], lines(&[(1, 1)]));
        assert_eq!(coverage.files.len(), 1);
    }

    #[test]
    fn a_tie_between_checkouts_goes_to_the_shallower_one() {
        let root = repo(&["src/lib.rs", "src/main.rs"]);
        let text = "SF:/home/u/.cargo/registry/src/idx/dep-1.0/src/lib.rs\nDA:1,100\nend_of_record\n\
                    SF:/ci/pave/src/main.rs\nDA:2,2\nend_of_record\n";
        let coverage = lcov(text, root.path());
        assert_eq!(coverage.files.keys().collect::<Vec<_>>(), ["src/main.rs"]);
    }
}
