//! Line coverage reports (lcov `.info` and Cobertura XML), read into one shape: hits per line
//! per repo-relative file, for `pave gate ai-provenance`'s changed-line coverage.
//!
//! A report is untrusted input (it comes out of CI): it is read up to [`MAX_REPORT_BYTES`], must
//! be UTF-8, and is parsed without panics; XML is parsed by `roxmltree` with DTDs refused, so no
//! entity is ever expanded. Paths in a report are made repo-relative; a file outside the repo is
//! dropped, since no gate can ask about it.

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

    /// Parses a Cobertura XML report: the `<line number hits>` of each `<class filename>`, the
    /// filename relative to one of the `<source>`s (or absolute). The lines under `<methods>`
    /// repeat the class's own and are not read. Classes of the same file merge by summing hits.
    pub fn parse_cobertura(
        text: &str,
        path: &Path,
        repo_root: &Path,
    ) -> Result<Self, CoverageError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let text = blank_external_doctype(text);
        // DTDs stay refused (the default, spelled out): no entity in a report is ever expanded.
        let options = roxmltree::ParsingOptions {
            allow_dtd: false,
            ..roxmltree::ParsingOptions::default()
        };
        let doc = roxmltree::Document::parse_with_options(&text, options)
            .map_err(|error| xml_error(path, &text, &error))?;
        let line_of = |node: roxmltree::Node| doc.text_pos_at(node.range().start).row as usize;

        let root = doc.root_element();
        if root.tag_name().name() != "coverage" {
            return Err(syntax(
                path,
                line_of(root),
                format!(
                    "the root element is <{}>; a Cobertura report's is <coverage>",
                    excerpt(root.tag_name().name())
                ),
            ));
        }
        // Clover's root is `<coverage>` too; read as Cobertura it would pass as a report that
        // covers nothing.
        if children(root, "project").next().is_some() && children(root, "packages").next().is_none()
        {
            return Err(syntax(
                path,
                line_of(root),
                "this is a Clover report (<coverage><project>), not Cobertura; have the tool \
                 write Cobertura XML or lcov",
            ));
        }
        let sources: Vec<&str> = children(root, "sources")
            .flat_map(|sources| children(sources, "source"))
            .filter_map(|source| source.text())
            .map(str::trim)
            .filter(|source| !source.is_empty())
            .collect();

        let mut reports = Vec::new();
        for class in root.descendants().filter(|node| is_element(*node, "class")) {
            let filename = class
                .attribute("filename")
                .map(str::trim)
                .filter(|filename| !filename.is_empty())
                .ok_or_else(|| {
                    syntax(path, line_of(class), "<class> needs a filename attribute")
                })?;
            let candidates = if sources.is_empty() || is_absolute(filename) {
                vec![filename.to_owned()]
            } else {
                sources
                    .iter()
                    .map(|source| format!("{}/{filename}", source.trim_end_matches(['/', '\\'])))
                    .collect()
            };
            let mut report = FileReport::new(candidates);
            for line in children(class, "lines").flat_map(|lines| children(lines, "line")) {
                let at = line_of(line);
                let attribute = |name: &str| {
                    line.attribute(name)
                        .ok_or_else(|| syntax(path, at, format!("<line> needs a {name} attribute")))
                };
                let number = parse_line_number(attribute("number")?.trim())
                    .map_err(|m| syntax(path, at, m))?;
                let hits =
                    parse_hits(attribute("hits")?.trim()).map_err(|m| syntax(path, at, m))?;
                report.add(number, hits);
            }
            reports.push(report);
        }
        Ok(assemble(reports, repo_root))
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

fn is_element(node: roxmltree::Node, name: &str) -> bool {
    node.is_element() && node.tag_name().name() == name
}

fn children<'a, 'input: 'a>(
    node: roxmltree::Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children()
        .filter(move |child| is_element(*child, name))
}

/// `text` with a `<!DOCTYPE coverage SYSTEM "…coverage-04.dtd">` in its prolog blanked out.
/// gcovr and Cobertura itself write one; it only names an external DTD, which nothing here would
/// fetch, but `roxmltree` refuses any DOCTYPE while DTDs are off. A DOCTYPE with an internal
/// subset (`[ <!ENTITY …> ]`) is left for `roxmltree` to refuse. Line breaks are kept, so
/// positions in errors still point into the report.
fn blank_external_doctype(text: &str) -> Cow<'_, str> {
    let mut at = 0;
    loop {
        let rest = &text[at..];
        let trimmed = rest.trim_start();
        at += rest.len() - trimmed.len();
        let skip = if trimmed.starts_with("<?") {
            trimmed.find("?>").map(|end| end + 2)
        } else if trimmed.starts_with("<!--") {
            trimmed.find("-->").map(|end| end + 3)
        } else if trimmed.starts_with("<!DOCTYPE") {
            let Some(length) = external_doctype_length(trimmed) else {
                return Cow::Borrowed(text);
            };
            let mut blanked = String::with_capacity(text.len());
            blanked.push_str(&text[..at]);
            blanked.extend(
                trimmed[..length]
                    .chars()
                    .map(|c| if c == '\n' { '\n' } else { ' ' }),
            );
            blanked.push_str(&trimmed[length..]);
            return Cow::Owned(blanked);
        } else {
            None
        };
        match skip {
            Some(length) => at += length,
            None => return Cow::Borrowed(text),
        }
    }
}

/// The length of the DOCTYPE `text` opens with, when it has no internal subset.
fn external_doctype_length(text: &str) -> Option<usize> {
    let mut quote = None;
    for (index, byte) in text.bytes().enumerate() {
        match (quote, byte) {
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(byte),
            (None, b'[') => return None,
            (None, b'>') => return Some(index + 1),
            (None, _) => {}
        }
    }
    None
}

fn xml_error(path: &Path, text: &str, error: &roxmltree::Error) -> CoverageError {
    match error {
        roxmltree::Error::DtdDetected => {
            let at = text.find("<!DOCTYPE").unwrap_or_default();
            let line = text[..at].matches('\n').count() + 1;
            syntax(
                path,
                line,
                "a DOCTYPE with declarations of its own (entities, elements) is refused: a \
                 coverage report needs none, and it is untrusted input",
            )
        }
        error => syntax(
            path,
            error.pos().row as usize,
            format!("not well-formed XML: {error}"),
        ),
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
fn assemble(reports: Vec<FileReport>, repo_root: &Path) -> Coverage {
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
fn is_absolute(path: &str) -> bool {
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

    const LCOV_FIXTURE: &str = include_str!("../../../../../tests/data/coverage/lcov.info");
    const COBERTURA_FIXTURE: &str =
        include_str!("../../../../../tests/data/coverage/cobertura.xml");

    /// A repo root holding `files` (empty), so path resolution can find them.
    fn repo(files: &[&str]) -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("a temp dir");
        for file in files {
            let path = root.path().join(file);
            std::fs::create_dir_all(path.parent().expect("a file has a parent"))
                .expect("create the file's directory");
            std::fs::write(path, "").expect("write the file");
        }
        root
    }

    fn lcov(text: &str, root: &Path) -> Coverage {
        Coverage::parse_lcov(text, Path::new("lcov.info"), root).expect("a valid tracefile")
    }

    fn cobertura(text: &str, root: &Path) -> Coverage {
        Coverage::parse_cobertura(text, Path::new("coverage.xml"), root)
            .expect("a valid Cobertura report")
    }

    fn lines(pairs: &[(u32, u64)]) -> BTreeMap<u32, u64> {
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

    fn syntax_error(result: Result<Coverage, CoverageError>) -> (usize, String) {
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
    fn assert_fixture_numbers(coverage: &Coverage) {
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

    /// `tests/data/coverage/cobertura.xml` (gcovr-style, with its DOCTYPE, `<source>.</source>`):
    /// `src/lib.rs` in two classes (3-10, 12-14), `src/main.rs`, `../vendor/shim/shim.c`; the
    /// `<methods>` lines repeat the class's and must not be counted twice. Same numbers as the
    /// lcov fixture: lib 10 coverable / 7 covered (9, 10, 13 uncovered), main 6 / 4 (5, 6).
    #[test]
    fn cobertura_fixture_has_known_numbers() {
        let root = repo(&[]);
        let coverage = cobertura(COBERTURA_FIXTURE, root.path());
        assert_fixture_numbers(&coverage);
        assert_eq!(coverage, lcov(LCOV_FIXTURE, root.path()));
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
    fn line_zero_is_skipped() {
        let root = repo(&[]);
        let coverage = lcov("SF:a.rs\nDA:0,4\nDA:1,1\nend_of_record\n", root.path());
        assert_eq!(coverage.files["a.rs"], lines(&[(1, 1)]));
    }

    #[test]
    fn cobertura_classes_of_one_file_merge_by_summing_hits() {
        let root = repo(&[]);
        let text = r#"<coverage><packages>
            <package><classes>
              <class filename="src/a.rs"><lines>
                <line number="1" hits="1"/><line number="2" hits="0"/>
              </lines></class>
            </classes></package>
            <package><classes>
              <class filename="./src/a.rs"><lines>
                <line number="2" hits="3"/><line number="3" hits="0"/>
              </lines></class>
            </classes></package>
            </packages></coverage>"#;
        let coverage = cobertura(text, root.path());
        assert_eq!(coverage.files["src/a.rs"], lines(&[(1, 1), (2, 3), (3, 0)]));
    }

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
    fn cobertura_filenames_are_relative_to_a_source() {
        let root = repo(&[
            "crates/core/src/lib.rs",
            "src/test/java/com/acme/AppTest.java",
        ]);
        let base = root.path().display();
        // `<source>`s as cargo-llvm-cov (absolute root), coverage.py (a package directory) and
        // JaCoCo conversions (several source roots; the file is under one) write them.
        let text = format!(
            r#"<?xml version="1.0"?>
            <coverage>
              <sources>
                <source>{base}/</source>
                <source>crates/core</source>
                <source>src/main/java</source>
                <source>src/test/java</source>
              </sources>
              <packages><package><classes>
                <class filename="crates/core/src/lib.rs"><lines><line number="1" hits="1"/></lines></class>
                <class filename="src/lib.rs"><lines><line number="2" hits="2"/></lines></class>
                <class filename="com/acme/AppTest.java"><lines><line number="3" hits="3"/></lines></class>
                <class filename="{base}/build.rs"><lines><line number="4" hits="4"/></lines></class>
              </classes></package></packages>
            </coverage>"#
        );
        let coverage = cobertura(&text, root.path());
        assert_eq!(
            coverage.files["crates/core/src/lib.rs"],
            lines(&[(1, 1), (2, 2)])
        );
        assert_eq!(
            coverage.hits("src/test/java/com/acme/AppTest.java", 3),
            Some(3)
        );
        assert_eq!(coverage.hits("build.rs", 4), Some(4));
        assert_eq!(coverage.files.len(), 3);
    }

    #[test]
    fn cobertura_without_sources_takes_filenames_as_repo_relative() {
        let root = repo(&[]);
        let text = r#"<coverage><packages><package><classes>
            <class filename="src\win.rs"><lines><line number="1" hits="1"/></lines></class>
            </classes></package></packages></coverage>"#;
        assert_eq!(cobertura(text, root.path()).hits("src/win.rs", 1), Some(1));
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

    #[test]
    fn cobertura_errors_name_the_line_and_what_is_wrong() {
        let root = repo(&[]);
        let cases = [
            (
                "<coverage>\n<packages><package><classes>\n<class name=\"a\">\n</class>\
                 </classes></package></packages></coverage>",
                3,
                "<class> needs a filename attribute",
            ),
            (
                "<coverage><packages><package><classes><class filename=\"a.rs\"><lines>\n\
                 <line number=\"1\" hits=\"1\"/>\n<line number=\"2\"/>\n\
                 </lines></class></classes></package></packages></coverage>",
                3,
                "<line> needs a hits attribute",
            ),
            (
                "<coverage><packages><package><classes><class filename=\"a.rs\"><lines>\n\
                 <line hits=\"1\"/></lines></class></classes></package></packages></coverage>",
                2,
                "<line> needs a number attribute",
            ),
            (
                "<coverage><packages><package><classes><class filename=\"a.rs\"><lines>\n\n\
                 <line number=\"1\" hits=\"-5\"/></lines></class></classes></package></packages>\
                 </coverage>",
                3,
                "hit count `-5` is negative",
            ),
            (
                "<coverage><packages><package><classes><class filename=\"a.rs\"><lines>\n\
                 <line number=\"99999999999\" hits=\"1\"/></lines></class></classes></package>\
                 </packages></coverage>",
                2,
                "line number `99999999999` is too large",
            ),
            (
                "<?xml version=\"1.0\"?>\n<coverage>\n<packages>\n</coverage>",
                4,
                "not well-formed XML",
            ),
            ("<report>\n</report>", 1, "the root element is <report>"),
            (
                "<?xml version=\"1.0\"?>\n<coverage clover=\"4.4.1\"><project><package>\
                 <file name=\"a.php\"><line num=\"1\" count=\"1\" type=\"stmt\"/></file>\
                 </package></project></coverage>",
                2,
                "this is a Clover report",
            ),
        ];
        for (text, want_line, want_message) in cases {
            let (line, message) = syntax_error(Coverage::parse_cobertura(
                text,
                Path::new("coverage.xml"),
                root.path(),
            ));
            assert_eq!(line, want_line, "{text:?}: {message}");
            assert!(
                message.contains(want_message),
                "{text:?}: {message:?} lacks {want_message:?}"
            );
        }
    }

    #[test]
    fn cobertura_refuses_a_dtd_that_declares_entities() {
        let root = repo(&[]);
        let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE coverage [\n\
                      <!ENTITY lol \"lol\">\n<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;\">\n]>\n\
                      <coverage><sources><source>&lol2;</source></sources></coverage>";
        let (line, message) = syntax_error(Coverage::parse_cobertura(
            laughs,
            Path::new("coverage.xml"),
            root.path(),
        ));
        assert_eq!(line, 2);
        assert!(message.contains("DOCTYPE with declarations"), "{message}");

        let external_entity = "<!DOCTYPE coverage SYSTEM \"x.dtd\" [<!ENTITY e SYSTEM \
                               \"file:///etc/passwd\">]><coverage>&e;</coverage>";
        syntax_error(Coverage::parse_cobertura(
            external_entity,
            Path::new("coverage.xml"),
            root.path(),
        ));
    }

    #[test]
    fn a_doctype_naming_only_an_external_dtd_is_blanked_keeping_line_numbers() {
        let text = "<?xml version=\"1.0\"?>\n<!-- gcovr -->\n<!DOCTYPE coverage PUBLIC \
                    \"-//x\" 'http://cobertura.sourceforge.net/xml/coverage-04.dtd'>\n<coverage/>";
        let blanked = blank_external_doctype(text);
        assert!(!blanked.contains("DOCTYPE"));
        assert_eq!(blanked.lines().count(), text.lines().count());
        assert!(blanked.ends_with("\n<coverage/>"));
        // A `[` inside a quoted literal is not an internal subset.
        assert!(matches!(
            blank_external_doctype("<!DOCTYPE c SYSTEM \"a[b].dtd\"><c/>"),
            Cow::Owned(_)
        ));
        assert!(matches!(
            blank_external_doctype("<!DOCTYPE c [<!ENTITY a \"b\">]><c/>"),
            Cow::Borrowed(_)
        ));
        assert!(matches!(
            blank_external_doctype("<coverage><!DOCTYPE x></coverage>"),
            Cow::Borrowed(_)
        ));
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
