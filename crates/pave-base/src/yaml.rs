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
            let path = e.path().to_string();
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
        let message = strip_location_suffix(&rendered);
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

/// Writes `value` as YAML.
pub fn to_string<T: Serialize>(value: &T) -> String {
    // Our own types serialise to maps, sequences and scalars only; none can fail.
    serde_saphyr::to_string(value).expect("pave's own types always serialise to YAML")
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
        assert!(e.message.starts_with("outer[1].a: "), "{}", e.message);
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
    fn malformed_yaml_is_an_error_not_a_panic() {
        for text in ["a: [1, 2", "a: &x\n  - *y", ":\n  - -\n]", "\t\u{0}"] {
            assert!(from_str::<Doc>(text).is_err(), "{text:?}");
        }
    }
}
