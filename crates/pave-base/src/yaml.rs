//! YAML in and out through serde-saphyr (panic-free on untrusted input), with errors reduced to
//! a line and a message so every caller can name the file.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// A YAML document that could not be read into the expected type.
#[derive(Debug)]
pub struct YamlError {
    /// 1-based line; 1 when the parser could not tell.
    pub line: u64,
    pub message: String,
}

/// Reads `text` into `T`; the error keeps the line and a message without source snippets, led by
/// the field it is about (`pr_size.max_changed_lines: invalid u64`) when it is inside one.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    let mut field = None;
    serde_saphyr::with_deserializer_from_str(text, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            let path = without_span_wrappers(&e.path().to_string());
            if path != "." {
                field = Some(path);
            }
            e.into_inner()
        })
    })
    .map_err(|e| {
        let line = e
            .location()
            .map(|l| l.line())
            .filter(|l| *l > 0)
            .unwrap_or(1);
        let options = serde_saphyr::render_options! {
            snippets: serde_saphyr::SnippetMode::Off,
        };
        let rendered = e.without_snippet().render_with_options(options);
        let message = plain(strip_location_suffix(&rendered));
        let message = message.as_str();
        YamlError {
            line,
            message: match field.take() {
                // An unknown field's path ends at the field, which the message names: say only
                // where it is.
                Some(field) if message.starts_with("unknown field") => match field.rsplit_once('.')
                {
                    Some((parent, _)) => format!("{parent}: {message}"),
                    None => message.to_owned(),
                },
                Some(field) => format!("{field}: {message}"),
                None => message.to_owned(),
            },
        }
    })
}

/// The text of a YAML file's bytes; not UTF-8 is an error at the line of the first bad byte.
pub fn text_of(bytes: Vec<u8>) -> Result<String, YamlError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        YamlError {
            line: valid.iter().filter(|b| **b == b'\n').count() as u64 + 1,
            message: "not UTF-8 text (YAML files are UTF-8)".into(),
        }
    })
}

/// The 1-based line of the top-level `key:` in `text`, else 1 (for errors about a key's value
/// that serde read without complaint).
pub fn top_level_line(text: &str, key: &str) -> u64 {
    text.lines()
        .position(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map_or(1, |i| i as u64 + 1)
}

/// Writes `value` as YAML.
pub fn to_string<T: Serialize>(value: &T) -> String {
    // Our own types serialise to maps, sequences and scalars only; none can fail.
    serde_saphyr::to_string(value).expect("pave's own types always serialise to YAML")
}

/// A field path without the `value` segment each `Spanned<T>` adds (`parameters.port.value.type`
/// → `parameters.port.type`). A key named `value` of the document itself is kept: the segment is
/// dropped only after a segment that is not itself `value`.
fn without_span_wrappers(path: &str) -> String {
    let segments: Vec<&str> = path.split('.').collect();
    let mut kept = Vec::with_capacity(segments.len());
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 && *segment == "value" && segments[i - 1] != "value" {
            continue;
        }
        kept.push(*segment);
    }
    kept.join(".")
}

/// serde's words for a wrong type, in the words of a person editing YAML.
fn plain(message: &str) -> String {
    const WORDS: [(&str, &str); 6] = [
        ("invalid u8", "expected a whole number from 0 to 255"),
        ("invalid u16", "expected a whole number from 0 to 65535"),
        ("invalid u32", "expected a whole number, 0 or more"),
        ("invalid u64", "expected a whole number, 0 or more"),
        (
            "expected mapping start",
            "expected a mapping (`key: value` lines)",
        ),
        (
            "expected sequence start",
            "expected a list (`- item` lines, or `[a, b]`)",
        ),
    ];
    if message.starts_with("data did not match any variant of untagged enum") {
        return "expected a string, number, boolean or list of them".to_owned();
    }
    for (serde, plain) in WORDS {
        if let Some(rest) = message.strip_prefix(serde) {
            return format!("{plain}{rest}");
        }
    }
    message.to_owned()
}

/// serde-saphyr appends ` at line L column C`; we report the line ourselves, once.
fn strip_location_suffix(message: &str) -> &str {
    let first = message.lines().next().unwrap_or(message);
    match first.rfind(" at line ") {
        Some(i) => &first[..i],
        None => first,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        a: u32,
    }

    #[test]
    fn error_has_line_and_plain_message() {
        let e = from_str::<Doc>("a: 1\nb: 2\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains('b'), "{}", e.message);
        assert!(!e.message.contains("line 2"), "{}", e.message);
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Nested {
        outer: Vec<Doc>,
    }

    #[test]
    fn error_names_the_field() {
        let e = from_str::<Nested>("outer:\n  - a: 1\n  - a: lots\n").unwrap_err();
        assert_eq!(e.line, 3);
        assert_eq!(e.message, "outer[1].a: expected a whole number, 0 or more");
        let e = from_str::<Nested>("outer:\n  - a: 1\n    b: 2\n").unwrap_err();
        assert!(
            e.message.starts_with("outer[0]: unknown field `b`"),
            "{}",
            e.message
        );
        let e = from_str::<Doc>("a: 1\nb: 2\n").unwrap_err();
        assert!(e.message.starts_with("unknown field `b`"), "{}", e.message);
    }

    #[test]
    fn bytes_that_are_not_utf8_name_their_line() {
        let e = text_of(b"a: 1\nb: \xff\n".to_vec()).unwrap_err();
        assert_eq!(e.line, 2);
        assert_eq!(text_of(b"a: 1\n".to_vec()).unwrap(), "a: 1\n");
    }

    #[test]
    fn top_level_keys_are_found_by_line() {
        let text = "# comment\napiVersion: x\nname: demo\n  name: nested\n";
        assert_eq!(top_level_line(text, "name"), 3);
        assert_eq!(top_level_line(text, "apiVersion"), 2);
        assert_eq!(top_level_line(text, "components"), 1);
    }

    #[test]
    fn span_wrappers_leave_the_path() {
        assert_eq!(
            without_span_wrappers("parameters.port.value.type"),
            "parameters.port.type"
        );
        assert_eq!(
            without_span_wrappers("parameters.value.value.type"),
            "parameters.value.type"
        );
        assert_eq!(without_span_wrappers("files[2].value"), "files[2]");
        assert_eq!(without_span_wrappers("value"), "value");
    }

    #[test]
    fn malformed_yaml_is_an_error_not_a_panic() {
        for text in ["a: [1, 2", "a: &x\n  - *y", ":\n  - -\n]", "\t\u{0}"] {
            assert!(from_str::<Doc>(text).is_err(), "{text:?}");
        }
    }
}
