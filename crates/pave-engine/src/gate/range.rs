//! The change a gate measures: from the merge base of a base ref and head to head, read with
//! git2 from the object database (no checkout). A shallow clone whose history stops before the
//! base or the merge base is an error that says so, never a silently wrong measure.

use std::path::Path;

use serde::Serialize;

use super::{GateError, Gates};

/// The commits a change spans.
#[derive(Debug, Clone, Serialize)]
pub struct Range {
    /// The base as resolved (`origin/main`).
    pub base_ref: String,
    pub base: String,
    pub merge_base: String,
    pub head_ref: String,
    pub head: String,
}

/// One file of the change.
#[derive(Debug, Clone, Serialize)]
pub struct FileChange {
    pub path: String,
    /// The path before a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_path: Option<String>,
    pub status: &'static str,
    pub added: u64,
    pub deleted: u64,
    /// Binary files count as 0 lines.
    pub binary: bool,
    /// Matched a `pr_size.exclude` glob: listed, not counted.
    pub excluded: bool,
    /// The head-side numbers of the added lines.
    #[serde(skip)]
    pub added_lines: Vec<u32>,
    /// Those of them that hold new code: not blank, not a comment, and not a line whose code
    /// the change kept while editing only its trailing comment.
    #[serde(skip)]
    pub added_code_lines: Vec<u32>,
    /// Whether the change adds or changes code (some added code line): comments alone, or lines
    /// only deleted, do not count as adding or changing a test.
    #[serde(skip)]
    pub changes_code: bool,
}

impl FileChange {
    pub fn changed(&self) -> u64 {
        self.added + self.deleted
    }

    /// Whether the file exists at head.
    pub fn exists_at_head(&self) -> bool {
        self.status != "deleted"
    }
}

/// The files of a change, biggest first (then by path).
#[derive(Debug, Clone)]
pub struct Change {
    pub files: Vec<FileChange>,
}

impl Change {
    /// Files that count towards the size.
    pub fn counted(&self) -> impl Iterator<Item = &FileChange> {
        self.files.iter().filter(|f| !f.excluded)
    }

    pub fn counted_lines(&self) -> u64 {
        self.counted().map(FileChange::changed).sum()
    }
}

/// Opens the repository that contains `dir`.
pub fn open(dir: &Path) -> Result<git2::Repository, GateError> {
    git2::Repository::discover(dir).map_err(|e| {
        if e.code() == git2::ErrorCode::NotFound {
            GateError::NotARepo {
                path: dir.to_owned(),
            }
        } else {
            git(e)
        }
    })
}

pub(crate) fn git(e: git2::Error) -> GateError {
    GateError::Git {
        message: e.message().to_owned(),
    }
}

/// Resolves the first of `base_candidates` that names a commit, `head`, and their merge base.
pub fn resolve(
    repo: &git2::Repository,
    base_candidates: &[String],
    head: &str,
) -> Result<Range, GateError> {
    let commit_of = |spec: &str| {
        repo.revparse_single(spec)
            .and_then(|o| o.peel_to_commit())
            .ok()
            .map(|c| c.id())
    };
    let head_id = commit_of(head).ok_or_else(|| GateError::HeadNotFound {
        head: head.to_owned(),
    })?;
    let Some((base_ref, base_id)) = base_candidates
        .iter()
        .find_map(|c| commit_of(c).map(|id| (c.clone(), id)))
    else {
        return Err(GateError::BaseNotFound {
            tried: base_candidates.to_vec(),
            shallow: repo.is_shallow(),
        });
    };
    let merge_base = match repo.merge_base(base_id, head_id) {
        Ok(id) => id,
        Err(_) if repo.is_shallow() => {
            return Err(GateError::Shallow {
                missing: format!("the merge base of `{base_ref}` and `{head}`"),
            });
        }
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            return Err(GateError::NoMergeBase {
                base: base_ref,
                head: head.to_owned(),
            });
        }
        Err(e) => return Err(git(e)),
    };
    Ok(Range {
        base_ref,
        base: base_id.to_string(),
        merge_base: merge_base.to_string(),
        head_ref: head.to_owned(),
        head: head_id.to_string(),
    })
}

/// The files changed between the merge base and head, with added and deleted lines; renames
/// detected; excluded files marked.
pub fn change(repo: &git2::Repository, range: &Range, gates: &Gates) -> Result<Change, GateError> {
    let tree = |id: &str| -> Result<git2::Tree<'_>, GateError> {
        let oid = git2::Oid::from_str(id).map_err(git)?;
        repo.find_commit(oid).and_then(|c| c.tree()).map_err(git)
    };
    let (old, new) = (tree(&range.merge_base)?, tree(&range.head)?);
    let mut files = diff_files(repo, Some(&old), &new)?;
    for file in &mut files {
        file.excluded = gates.exclude.is_match(&file.path)
            || file
                .old_path
                .as_deref()
                .is_some_and(|p| gates.exclude.is_match(p));
    }
    files.sort_by(|a, b| b.changed().cmp(&a.changed()).then(a.path.cmp(&b.path)));
    Ok(Change { files })
}

/// Per-file line counts of the diff `old` → `new` (`None`: the empty tree).
pub(crate) fn diff_files(
    repo: &git2::Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
) -> Result<Vec<FileChange>, GateError> {
    let mut diff = repo.diff_tree_to_tree(old, Some(new), None).map_err(git)?;
    diff.find_similar(Some(git2::DiffFindOptions::new().renames(true)))
        .map_err(git)?;
    let mut files = Vec::new();
    for (i, delta) in diff.deltas().enumerate() {
        let path_of = |f: git2::DiffFile<'_>| {
            f.path()
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default()
        };
        let (new_path, old_path) = (path_of(delta.new_file()), path_of(delta.old_file()));
        let status = match delta.status() {
            git2::Delta::Added => "added",
            git2::Delta::Deleted => "deleted",
            git2::Delta::Renamed => "renamed",
            git2::Delta::Copied => "copied",
            _ => "modified",
        };
        let patch = git2::Patch::from_diff(&diff, i).map_err(git)?;
        let (added, deleted, binary) = match &patch {
            Some(p) if !p.delta().flags().is_binary() => {
                let (_, added, deleted) = p.line_stats().map_err(git)?;
                (added as u64, deleted as u64, false)
            }
            _ => (0, 0, true),
        };
        let (mut added_lines, mut added_code_lines) = (Vec::new(), Vec::new());
        if let Some(p) = patch.as_ref().filter(|_| !binary) {
            for hunk in 0..p.num_hunks() {
                // Block comments are followed through the hunk's lines, context included.
                let (mut old_side, mut new_side) = (Comments::default(), Comments::default());
                // The code of the hunk's deleted lines: an added line with the same code only
                // changed its trailing comment (git lists a block's `-` lines before its `+`).
                let mut deleted_code: Vec<String> = Vec::new();
                for line in 0..p.num_lines_in_hunk(hunk).map_err(git)? {
                    let line = p.line_in_hunk(hunk, line).map_err(git)?;
                    let text = String::from_utf8_lossy(line.content());
                    match line.origin() {
                        '-' => {
                            if old_side.is_code(&text) {
                                deleted_code.push(code_of(&text).to_owned());
                            }
                        }
                        '+' => {
                            let is_code = new_side.is_code(&text);
                            let Some(n) = line.new_lineno() else {
                                continue;
                            };
                            added_lines.push(n);
                            if !is_code {
                                continue;
                            }
                            let code = code_of(&text);
                            match deleted_code.iter().position(|d| d == code) {
                                Some(kept) => {
                                    deleted_code.swap_remove(kept);
                                }
                                None => added_code_lines.push(n),
                            }
                        }
                        _ => {
                            old_side.is_code(&text);
                            new_side.is_code(&text);
                        }
                    }
                }
            }
        }
        let changes_code = !added_code_lines.is_empty();
        files.push(FileChange {
            path: if status == "deleted" {
                old_path.clone()
            } else {
                new_path.clone()
            },
            old_path: (status == "renamed" && old_path != new_path).then_some(old_path),
            status,
            added,
            deleted,
            binary,
            excluded: false,
            added_lines,
            added_code_lines,
            changes_code,
        });
    }
    Ok(files)
}

/// A code line without its trailing comment (` // …`, ` # …`) and surrounding blanks: what
/// stays when only the comment is edited. A heuristic: a `//` or `#` after a blank inside a
/// string literal is cut too, which can only make two lines look more alike.
fn code_of(line: &str) -> &str {
    let line = line.trim();
    [" //", "\t//", " #", "\t#"]
        .iter()
        .filter_map(|start| line.find(start))
        .min()
        .map_or(line, |end| line[..end].trim_end())
}

/// Which lines of a run of source lines hold code: not blank, not a comment (`//`, `#`, `--`,
/// `/* … */` across lines (its `*` continuation lines too), Python's `"""` and `\'\'\'` docstrings on a line of their own) — the
/// comment forms of the languages pave's golden paths use. A heuristic over diff lines: a block
/// comment opened above the hunk is not seen.
#[derive(Debug, Default)]
pub(crate) struct Comments {
    is_in_block: bool,
}

impl Comments {
    pub(crate) fn is_code(&mut self, line: &str) -> bool {
        let mut line = line.trim();
        if self.is_in_block {
            match line.find("*/") {
                Some(end) => {
                    self.is_in_block = false;
                    line = line[end + 2..].trim();
                }
                None => return false,
            }
        }
        if let Some(rest) = line.strip_prefix("/*") {
            match rest.find("*/") {
                Some(end) => line = rest[end + 2..].trim(),
                None => {
                    self.is_in_block = true;
                    return false;
                }
            }
        }
        !(line.is_empty()
            || ["//", "#", "--", "\"\"\"", "\'\'\'"]
                .iter()
                .any(|start| line.starts_with(start))
            || line
                .chars()
                .all(|c| matches!(c, '{' | '}' | '(' | ')' | ';' | ',')))
    }
}

#[cfg(test)]
mod comment_tests {
    use super::{Comments, code_of};

    #[test]
    fn a_trailing_comment_is_not_part_of_the_code() {
        assert_eq!(
            code_of("    assert_eq!(a, 1); // note"),
            "assert_eq!(a, 1);"
        );
        assert_eq!(code_of("x = 1  # why"), "x = 1");
        assert_eq!(
            code_of("let url = \"http://x\";"),
            "let url = \"http://x\";"
        );
    }

    #[test]
    fn comments_and_blank_lines_are_not_code() {
        let mut c = Comments::default();
        assert!(!c.is_code("  // a comment"));
        assert!(!c.is_code("/// docs"));
        assert!(!c.is_code("# python comment"));
        assert!(!c.is_code("/* block"));
        assert!(!c.is_code("   still comment"));
        assert!(!c.is_code(" comment */"));
        assert!(c.is_code("let x = 1;"));
        assert!(c.is_code("/* inline */ let y = 2;"));
        assert!(!c.is_code("}"));
        assert!(!c.is_code(""));
    }
}
