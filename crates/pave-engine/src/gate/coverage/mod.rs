//! Line coverage reports (lcov `.info` and Cobertura XML), read into one shape: hits per line
//! per repo-relative file, for `pave gate ai-provenance`'s changed-line coverage.
//!
//! A report is untrusted input (it comes out of CI): it is read up to [`MAX_REPORT_BYTES`], must
//! be UTF-8, and is parsed without panics; XML is parsed by `roxmltree` with DTDs refused, so no
//! entity is ever expanded. Paths in a report are made repo-relative; a file outside the repo is
//! dropped, since no gate can ask about it.
//!
//! Here: the model, its errors, reading a report (size cap, decoding) and picking the parser its
//! content calls for. Each format has its own parser (`lcov`, `cobertura`), as the two share
//! nothing but the number checks below; both hand their files to `paths`, which alone decides
//! where a report's path lands in the repo.

mod cobertura;
mod lcov;
mod paths;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most of a report `Coverage::load` reads: far above any real report (a large monorepo's
/// lcov runs to tens of MiB), low enough that a runaway or hostile file cannot exhaust memory.
pub const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// Hits per line (1-based) per file, the file as a path relative to the repository root with `/`
/// separators (`src/lib.rs`). A line missing from a file's map is not coverable (a comment, a
/// blank line) or was not instrumented.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    pub files: BTreeMap<String, BTreeMap<u32, u64>>,
}

/// The format of a report, detected from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Lcov,
    Cobertura,
}

#[derive(Debug, thiserror::Error)]
pub enum CoverageError {
    #[error("cannot read coverage report {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// What is wrong and where: `lcov.info:12: DA needs a line number and a hit count`.
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}: neither an lcov tracefile nor a Cobertura XML report", path.display())]
    UnknownFormat { path: PathBuf },
    #[error("coverage report {} is larger than {limit} bytes, the most pave reads", path.display())]
    TooLarge { path: PathBuf, limit: u64 },
}

impl Coverage {
    /// Reads the report at `path`; source paths in it are made relative to `repo_root`
    /// (absolute paths under it, Cobertura `<source>` prefixes, `./`); files outside the repo are
    /// dropped.
    pub fn load(path: &Path, repo_root: &Path) -> Result<Self, CoverageError> {
        let bytes = read_capped(path, MAX_REPORT_BYTES)?;
        let text = decode(&bytes, path)?;
        Self::parse(text, path, repo_root)
    }

    /// Parses a report already in memory, of the format its content shows; `path` only names
    /// the report in errors.
    pub fn parse(text: &str, path: &Path, repo_root: &Path) -> Result<Self, CoverageError> {
        match Format::detect(text) {
            Some(Format::Lcov) => Self::parse_lcov(text, path, repo_root),
            Some(Format::Cobertura) => Self::parse_cobertura(text, path, repo_root),
            None => Err(CoverageError::UnknownFormat {
                path: path.to_owned(),
            }),
        }
    }

    /// Hits of `line` in `file` (repo-relative, `/`-separated); `None` when the line is not
    /// coverable or the file is not in the report.
    pub fn hits(&self, file: &str, line: u32) -> Option<u64> {
        self.files.get(file)?.get(&line).copied()
    }
}

impl Format {
    /// The format `text` is in: Cobertura when it opens with `<`, lcov when its first line
    /// (blank lines and `#` comments aside) is an lcov keyword; `None` for anything else.
    pub fn detect(text: &str) -> Option<Self> {
        const LCOV_KEYWORDS: &[&str] = &[
            "TN", "VER", "SF", "FN", "FNA", "FNL", "FNDA", "FNF", "FNH", "BRDA", "BRF", "BRH",
            "DA", "LF", "LH", "MCDC", "MCF", "MCH",
        ];
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim_start().starts_with('<') {
            return Some(Self::Cobertura);
        }
        let first = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))?;
        let is_lcov = first == "end_of_record"
            || first
                .split_once(':')
                .is_some_and(|(keyword, _)| LCOV_KEYWORDS.contains(&keyword));
        is_lcov.then_some(Self::Lcov)
    }
}

/// Reads at most `limit` bytes of `path`, refusing a longer file rather than truncating it.
fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, CoverageError> {
    let io = |source| CoverageError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(CoverageError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(bytes)
}

/// The report as UTF-8 text (a leading byte-order mark dropped), or where it stops being UTF-8.
fn decode<'a>(bytes: &'a [u8], path: &Path) -> Result<&'a str, CoverageError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|error| {
        let at = error.valid_up_to();
        let line = bytes[..at].iter().filter(|&&byte| byte == b'\n').count() + 1;
        let byte = bytes.get(at).copied().unwrap_or_default();
        syntax(
            path,
            line,
            format!("not UTF-8: byte 0x{byte:02X} at offset {at} starts no character"),
        )
    })
}

fn syntax(path: &Path, line: usize, message: impl Into<String>) -> CoverageError {
    CoverageError::Syntax {
        path: path.to_owned(),
        line,
        message: message.into(),
    }
}

fn parse_line_number(text: &str) -> Result<u32, String> {
    parse_count(text, "line number", u32::MAX)
}

fn parse_hits(text: &str) -> Result<u64, String> {
    parse_count(text, "hit count", u64::MAX)
}

/// A whole number from 0 to `max`, or a message saying why `text` is not one.
fn parse_count<T: std::str::FromStr>(
    text: &str,
    what: &str,
    max: impl std::fmt::Display,
) -> Result<T, String> {
    text.parse::<T>().map_err(|_| {
        let shown = excerpt(text);
        let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
        let is_whole = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit());
        if is_whole && text.starts_with('-') {
            format!("{what} `{shown}` is negative")
        } else if is_whole {
            format!("{what} `{shown}` is too large (at most {max})")
        } else {
            format!("{what} `{shown}` is not a whole number")
        }
    })
}

/// `text`, cut short when long, for quoting in an error: a hostile report's 10 MB "number"
/// should not become a 10 MB message.
fn excerpt(text: &str) -> Cow<'_, str> {
    const MAX_CHARS: usize = 40;
    match text.char_indices().nth(MAX_CHARS) {
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
        None => Cow::Borrowed(text),
    }
}

/// One file's lines as a report gives them, before its path is resolved: the paths the file
/// may be at (one per Cobertura `<source>`), best first.
struct FileReport {
    candidates: Vec<String>,
    lines: BTreeMap<u32, u64>,
}

impl FileReport {
    fn new(candidates: Vec<String>) -> Self {
        Self {
            candidates,
            lines: BTreeMap::new(),
        }
    }

    fn add(&mut self, line: u32, hits: u64) {
        // Line 0 names no source line (lines are 1-based); one odd entry should not sink the
        // whole report, so it is skipped rather than refused.
        if line == 0 {
            return;
        }
        let total = self.lines.entry(line).or_default();
        *total = total.saturating_add(hits);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The fixtures and helpers are `pub(super)`: the tests of `lcov`, `cobertura` and `paths`
    // share them.
    pub(super) const LCOV_FIXTURE: &str =
        include_str!("../../../../../tests/data/coverage/lcov.info");
    pub(super) const COBERTURA_FIXTURE: &str =
        include_str!("../../../../../tests/data/coverage/cobertura.xml");

    /// A repo root holding `files` (empty), so path resolution can find them.
    pub(super) fn repo(files: &[&str]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("a temp dir");
        for file in files {
            let path = root.path().join(file);
            std::fs::create_dir_all(path.parent().expect("a file has a parent"))
                .expect("create the file's directory");
            std::fs::write(path, "").expect("write the file");
        }
        root
    }

    pub(super) fn lcov(text: &str, root: &Path) -> Coverage {
        Coverage::parse_lcov(text, Path::new("lcov.info"), root).expect("a valid tracefile")
    }

    pub(super) fn cobertura(text: &str, root: &Path) -> Coverage {
        Coverage::parse_cobertura(text, Path::new("coverage.xml"), root)
            .expect("a valid Cobertura report")
    }

    pub(super) fn lines(pairs: &[(u32, u64)]) -> BTreeMap<u32, u64> {
        pairs.iter().copied().collect()
    }

    /// (coverable lines, covered lines, uncovered lines) of `file`.
    fn counts(coverage: &Coverage, file: &str) -> (usize, usize, Vec<u32>) {
        let lines = &coverage.files[file];
        let uncovered: Vec<u32> = lines
            .iter()
            .filter(|(_, hits)| **hits == 0)
            .map(|(line, _)| *line)
            .collect();
        (lines.len(), lines.len() - uncovered.len(), uncovered)
    }

    pub(super) fn syntax_error(result: Result<Coverage, CoverageError>) -> (usize, String) {
        match result {
            Err(CoverageError::Syntax { line, message, .. }) => (line, message),
            other => panic!("expected a syntax error, got {other:?}"),
        }
    }

    /// The fixtures' numbers, the same in both (other tests rely on them):
    /// - `src/lib.rs`: 10 coverable lines (3, 4, 5, 6, 8, 9, 10, 12, 13, 14), 7 covered,
    ///   uncovered 9, 10 and 13; hits 3→3, 4→2, 5→2, 6→2, 8→4, 9→0, 10→0, 12→1, 13→0, 14→1.
    /// - `src/main.rs`: 6 coverable lines (1, 2, 3, 5, 6, 8), 4 covered, uncovered 5 and 6;
    ///   hits 1→1, 2→1, 3→1, 5→0, 6→0, 8→1.
    /// - nothing else: the file outside the repo (lcov: a `/rustc/…` std file; Cobertura:
    ///   `../vendor/shim/shim.c`) is dropped.
    pub(super) fn assert_fixture_numbers(coverage: &Coverage) {
        let files: Vec<&str> = coverage.files.keys().map(String::as_str).collect();
        assert_eq!(files, ["src/lib.rs", "src/main.rs"]);
        assert_eq!(counts(coverage, "src/lib.rs"), (10, 7, vec![9, 10, 13]));
        assert_eq!(counts(coverage, "src/main.rs"), (6, 4, vec![5, 6]));
        assert_eq!(coverage.hits("src/lib.rs", 8), Some(4));
        assert_eq!(coverage.hits("src/lib.rs", 3), Some(3));
        assert_eq!(coverage.hits("src/lib.rs", 7), None);
        assert_eq!(coverage.hits("src/main.rs", 5), Some(0));
        assert_eq!(coverage.hits("src/other.rs", 1), None);
    }

    #[test]
    fn load_reads_both_fixtures_from_disk() {
        let root = repo(&["src/lib.rs", "src/main.rs"]);
        // The fixtures are the workspace's, shared with the gate's integration tests.
        let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/coverage");
        let from_lcov = Coverage::load(&data.join("lcov.info"), root.path()).expect("lcov loads");
        let from_xml =
            Coverage::load(&data.join("cobertura.xml"), root.path()).expect("Cobertura loads");
        assert_fixture_numbers(&from_lcov);
        assert_eq!(from_lcov, from_xml);
    }

    #[test]
    fn line_zero_is_skipped() {
        let root = repo(&[]);
        let coverage = lcov("SF:a.rs\nDA:0,4\nDA:1,1\nend_of_record\n", root.path());
        assert_eq!(coverage.files["a.rs"], lines(&[(1, 1)]));
    }

    #[test]
    fn non_utf8_is_a_syntax_error_at_its_line() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let report = dir.path().join("lcov.info");
        std::fs::write(&report, b"SF:a.rs\nDA:1,1\nSF:caf\xE9.rs\n").expect("write the report");
        let (line, message) = syntax_error(Coverage::load(&report, dir.path()));
        assert_eq!(line, 3);
        assert!(message.contains("not UTF-8: byte 0xE9"), "{message}");
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let report = dir.path().join("coverage.xml");
        std::fs::write(
            &report,
            b"\xEF\xBB\xBF<coverage><packages><package><classes><class filename=\"a.rs\">\
              <lines><line number=\"1\" hits=\"2\"/></lines></class></classes></package>\
              </packages></coverage>",
        )
        .expect("write the report");
        let coverage = Coverage::load(&report, dir.path()).expect("loads");
        assert_eq!(coverage.hits("a.rs", 1), Some(2));
    }

    #[test]
    fn a_report_over_the_cap_is_refused_not_truncated() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let report = dir.path().join("lcov.info");
        std::fs::write(&report, "SF:a.rs\nDA:1,1\n").expect("write the report");
        assert_eq!(read_capped(&report, 15).expect("at the cap").len(), 15);
        let error = read_capped(&report, 14).expect_err("over the cap");
        assert!(matches!(error, CoverageError::TooLarge { limit: 14, .. }));
        assert!(
            error.to_string().contains("larger than 14 bytes"),
            "{error}"
        );
    }

    #[test]
    fn load_names_a_missing_report_and_an_unknown_format() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let missing = dir.path().join("nope.info");
        let error = Coverage::load(&missing, dir.path()).expect_err("missing");
        assert!(matches!(error, CoverageError::Io { .. }));
        assert!(error.to_string().contains("nope.info"), "{error}");

        let json = dir.path().join("coverage.json");
        std::fs::write(&json, "{\"files\": {}}").expect("write the report");
        let error = Coverage::load(&json, dir.path()).expect_err("not a report");
        assert!(matches!(error, CoverageError::UnknownFormat { .. }));
    }

    #[test]
    fn hostile_input_is_refused_or_dropped_quickly_without_panicking() {
        let root = repo(&["src/lib.rs"]);
        let started = std::time::Instant::now();

        let long_number = format!("SF:a.rs\nDA:{},1\n", "9".repeat(1_000_000));
        let (line, message) = syntax_error(Coverage::parse_lcov(
            &long_number,
            Path::new("lcov.info"),
            root.path(),
        ));
        assert_eq!(line, 2);
        assert!(
            message.len() < 200,
            "the message quotes an excerpt: {message}"
        );

        // Over the path length cap: dropped unsearched. Under it, 1,500 directories deep: the
        // tail search stays bounded and still finds the repo's file.
        let deep_path = format!("SF:/{}src/lib.rs\nDA:1,1\n", "a/".repeat(100_000));
        assert_eq!(lcov(&deep_path, root.path()), Coverage::default());
        let long_path = format!("SF:/{}src/lib.rs\nDA:1,1\n", "a/".repeat(1_500));
        assert_eq!(lcov(&long_path, root.path()).hits("src/lib.rs", 1), Some(1));

        let deep_xml = format!(
            "<coverage>{}{}</coverage>",
            "<a>".repeat(100_000),
            "</a>".repeat(100_000)
        );
        assert_eq!(cobertura(&deep_xml, root.path()), Coverage::default());
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }

    #[test]
    fn format_is_detected_from_content() {
        let cases = [
            ("TN:\nSF:a.rs\n", Some(Format::Lcov)),
            ("\n\n  SF:/abs/a.rs\nDA:1,1\n", Some(Format::Lcov)),
            ("# comment\nVER:2.0\n", Some(Format::Lcov)),
            ("end_of_record\n", Some(Format::Lcov)),
            ("\u{feff}DA:1,1\n", Some(Format::Lcov)),
            (
                "<?xml version=\"1.0\"?><coverage/>",
                Some(Format::Cobertura),
            ),
            ("\n  <coverage/>", Some(Format::Cobertura)),
            ("\u{feff}<coverage/>", Some(Format::Cobertura)),
            ("", None),
            ("   \n\t\n", None),
            ("{\"data\": []}", None),
            ("mode: set\na.go:1.1,2.2 1 1\n", None),
            ("XX:lcov-looking but not lcov\n", None),
        ];
        for (text, want) in cases {
            assert_eq!(Format::detect(text), want, "{text:?}");
        }
        assert_eq!(Format::detect(LCOV_FIXTURE), Some(Format::Lcov));
        assert_eq!(Format::detect(COBERTURA_FIXTURE), Some(Format::Cobertura));
    }
}
