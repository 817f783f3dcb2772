//! The lcov tracefile parser (`lcov.info`, as lcov, grcov and `cargo llvm-cov --lcov` write):
//! hits per line from the `SF`/`DA` records.
//!
//! Its own file because lcov is a line format with leniency rules of its own: every keyword but
//! the three that carry line hits is skipped, so tracefiles of newer lcov versions still read,
//! while a malformed `DA` is refused with its line.

use std::path::Path;

use super::paths::assemble;
use super::{Coverage, CoverageError, FileReport, excerpt, parse_hits, parse_line_number, syntax};

impl Coverage {
    /// Parses an lcov tracefile. Only `SF`, `DA` and `end_of_record` matter; every other line
    /// (`TN`, `FN`, `BRDA`, `LF`, a keyword of a newer lcov) is skipped. Records for the same
    /// file, as several test binaries give, are merged by summing hits.
    pub fn parse_lcov(text: &str, path: &Path, repo_root: &Path) -> Result<Self, CoverageError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reports = Vec::new();
        let mut current: Option<FileReport> = None;
        for (index, raw) in text.lines().enumerate() {
            let number = index + 1;
            let line = raw.trim();
            if line == "end_of_record" {
                reports.extend(current.take());
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            match key {
                "SF" => {
                    // A record missing its `end_of_record` ends at the next `SF`.
                    reports.extend(current.take());
                    let file = value.trim();
                    if file.is_empty() {
                        return Err(syntax(path, number, "SF needs a source file path"));
                    }
                    current = Some(FileReport::new(vec![file.to_owned()]));
                }
                "DA" => {
                    let Some(report) = current.as_mut() else {
                        return Err(syntax(
                            path,
                            number,
                            "DA before any SF: line data belongs to a source file's record",
                        ));
                    };
                    let (line, hits) = parse_da(value).map_err(|m| syntax(path, number, m))?;
                    report.add(line, hits);
                }
                _ => {}
            }
        }
        reports.extend(current);
        Ok(assemble(reports, repo_root))
    }
}

/// `DA:<line>,<hits>[,<checksum>]`, the part after `DA:`.
fn parse_da(value: &str) -> Result<(u32, u64), String> {
    let mut fields = value.split(',').map(str::trim);
    let (Some(line), Some(hits)) = (
        fields.next().filter(|field| !field.is_empty()),
        fields.next().filter(|field| !field.is_empty()),
    ) else {
        return Err(format!(
            "DA needs a line number and a hit count, as in `DA:12,3`; got `DA:{}`",
            excerpt(value)
        ));
    };
    Ok((parse_line_number(line)?, parse_hits(hits)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::coverage::tests::{
        LCOV_FIXTURE, assert_fixture_numbers, lcov, lines, repo, syntax_error,
    };

    /// `tests/data/coverage/lcov.info`: `src/lib.rs` in two records (lines 3-10, then 8 and
    /// 12-14 from a second test binary; 3 and 8 summed), `./src/main.rs`, and a std file under
    /// `/rustc/…`. See [`assert_fixture_numbers`]: lib 10 coverable / 7 covered (9, 10, 13
    /// uncovered), main 6 / 4 (5, 6 uncovered).
    #[test]
    fn lcov_fixture_has_known_numbers() {
        for root in [repo(&[]), repo(&["src/lib.rs", "src/main.rs"])] {
            assert_fixture_numbers(&lcov(LCOV_FIXTURE, root.path()));
        }
    }

    #[test]
    fn lcov_records_of_one_file_merge_by_summing_hits() {
        let root = repo(&[]);
        let text = "SF:src/a.rs\nDA:1,1\nDA:2,0\nend_of_record\n\
                    SF:./src/a.rs\nDA:2,5\nDA:3,0\nend_of_record\n\
                    SF:src/../src/a.rs\nDA:1,18446744073709551615\nend_of_record\n";
        let coverage = lcov(text, root.path());
        // Line 1's sum overflows u64 and saturates rather than panicking.
        assert_eq!(
            coverage.files["src/a.rs"],
            lines(&[(1, u64::MAX), (2, 5), (3, 0)])
        );
    }

    #[test]
    fn lcov_ignores_other_records_checksums_comments_and_unknown_lines() {
        let root = repo(&[]);
        let text = "# lcov --comment\nTN:unit\nVER:2.0\nSF:src/a.rs\nFN:1,2,main\nFNDA:1,main\n\
                    FNL:0,1,2\nFNA:0,1,main\nBRDA:1,0,0,-\nDA:1,1,PaH0iqrGcRf8TJNhcyNGkw\n\
                    DA:2,0\nLF:2\nLH:1\nXYZ:whatever\ngarbage without a colon\nend_of_record\r\n";
        let coverage = lcov(text, root.path());
        assert_eq!(coverage.files["src/a.rs"], lines(&[(1, 1), (2, 0)]));
    }

    #[test]
    fn lcov_record_without_end_of_record_ends_at_the_next_sf_or_the_end() {
        let root = repo(&[]);
        let coverage = lcov("SF:a.rs\nDA:1,1\nSF:b.rs\nDA:2,2\n", root.path());
        assert_eq!(coverage.files["a.rs"], lines(&[(1, 1)]));
        assert_eq!(coverage.files["b.rs"], lines(&[(2, 2)]));
    }

    #[test]
    fn a_byte_order_mark_before_lcov_text_is_skipped() {
        let root = repo(&[]);
        let coverage = lcov("\u{feff}SF:a.rs\nDA:1,1\nend_of_record\n", root.path());
        assert_eq!(coverage.hits("a.rs", 1), Some(1));
    }

    #[test]
    fn lcov_errors_name_the_line_and_what_is_wrong() {
        let root = repo(&[]);
        let cases = [
            (
                "SF:a.rs\nDA:1\n",
                2,
                "DA needs a line number and a hit count",
            ),
            (
                "SF:a.rs\nDA:,3\n",
                2,
                "DA needs a line number and a hit count",
            ),
            ("SF:a.rs\n\nDA:1,-2\n", 3, "hit count `-2` is negative"),
            (
                "SF:a.rs\nDA:1,99999999999999999999\n",
                2,
                "hit count `99999999999999999999` is too large (at most 18446744073709551615)",
            ),
            (
                "SF:a.rs\nDA:4294967296,1\n",
                2,
                "line number `4294967296` is too large (at most 4294967295)",
            ),
            ("SF:a.rs\nDA:-1,1\n", 2, "line number `-1` is negative"),
            (
                "SF:a.rs\nDA:x,1\n",
                2,
                "line number `x` is not a whole number",
            ),
            (
                "SF:a.rs\nDA:1,1.5\n",
                2,
                "hit count `1.5` is not a whole number",
            ),
            ("TN:\nDA:1,1\n", 2, "DA before any SF"),
            (
                "TN:\nSF:a.rs\nend_of_record\nDA:1,1\n",
                4,
                "DA before any SF",
            ),
            ("TN:\nSF:  \n", 2, "SF needs a source file path"),
        ];
        for (text, want_line, want_message) in cases {
            let (line, message) = syntax_error(Coverage::parse_lcov(
                text,
                Path::new("lcov.info"),
                root.path(),
            ));
            assert_eq!(line, want_line, "{text:?}");
            assert!(
                message.contains(want_message),
                "{text:?}: {message:?} lacks {want_message:?}"
            );
        }
    }
}
