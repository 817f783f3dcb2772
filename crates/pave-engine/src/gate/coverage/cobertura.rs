//! The Cobertura XML parser (`coverage.xml`, as gcovr, coverage.py, cargo-llvm-cov and JaCoCo
//! conversions write): hits per line from each `<class filename>`.
//!
//! Its own file because XML is where an untrusted report could do harm: `roxmltree` parses it
//! with DTDs off, so no entity is expanded and nothing is fetched; the external-only DOCTYPE that
//! gcovr writes is blanked first, and a Clover report (also `<coverage>`) is told apart.

use std::borrow::Cow;
use std::path::Path;

use super::paths::{assemble, is_absolute};
use super::{Coverage, CoverageError, FileReport, excerpt, parse_hits, parse_line_number, syntax};

impl Coverage {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::coverage::tests::{
        COBERTURA_FIXTURE, LCOV_FIXTURE, assert_fixture_numbers, cobertura, lcov, lines, repo,
        syntax_error,
    };

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
}
