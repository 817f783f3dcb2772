//! The conflict markers `pave upgrade` writes into a merged file where the repo's edits and the
//! new version overlap, and how `check` and `audit` recognise a file that still holds them.

/// The lines that open, split and close a conflict in a merged file (diffy's `Merge` style, and
/// `upgrade`'s whole-file conflicts's).
pub(crate) const CONFLICT_START: &str = "<<<<<<< ours";
pub(crate) const CONFLICT_SPLIT: &str = "=======";
pub(crate) const CONFLICT_END: &str = ">>>>>>> theirs";

/// Whether `bytes` hold a conflict as `pave upgrade` writes it: a line `<<<<<<< ours`, then a line
/// `=======`, then a line ending in `>>>>>>> theirs` (diffy appends it to a last line without a
/// newline).
pub fn has_conflict_markers(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines();
    lines.by_ref().any(|l| l == CONFLICT_START)
        && lines.by_ref().any(|l| l == CONFLICT_SPLIT)
        && lines.any(|l| l.ends_with(CONFLICT_END))
}

/// Whether `bytes` hold any conflict block git or pave writes: a line starting `<<<<<<< `, then
/// `=======`, then a line starting `>>>>>>> ` (after a `git merge` of two branches, say). What
/// `pave except` refuses to record.
pub fn has_any_conflict_markers(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text.lines();
    lines
        .by_ref()
        .any(|l| l.starts_with("<<<<<<< ") || l == "<<<<<<<")
        && lines.by_ref().any(|l| l == CONFLICT_SPLIT)
        && lines.any(|l| l.starts_with(">>>>>>> ") || l.contains(CONFLICT_END))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_git_conflict_block_counts_for_except() {
        assert!(has_any_conflict_markers(
            b"<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> branch\n"
        ));
        assert!(has_any_conflict_markers(
            b"<<<<<<< ours\nmine\n=======\ntheirs>>>>>>> theirs\n"
        ));
        assert!(!has_any_conflict_markers(b"=======\nheadings\n"));
    }

    #[test]
    fn only_a_whole_marker_block_counts() {
        assert!(has_conflict_markers(
            b"a\n<<<<<<< ours\nmine\n=======\ntheirs\n>>>>>>> theirs\n"
        ));
        // diffy appends the end marker to a last line without a newline.
        assert!(has_conflict_markers(
            b"<<<<<<< ours\nmine\n=======\ntheirs>>>>>>> theirs\n"
        ));
        assert!(!has_conflict_markers(b"=======\nheadings underlined\n"));
        assert!(!has_conflict_markers(b"<<<<<<< ours\nmine\n"));
        assert!(!has_conflict_markers(
            b"<<<<<<< HEAD\nmine\n=======\ntheirs\n>>>>>>> branch\n"
        ));
    }
}
