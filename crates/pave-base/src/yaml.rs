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

/// Reads `text` into `T`; the error keeps the line and a message without source snippets.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_saphyr::from_str(text).map_err(|e| {
        let line = e
            .location()
            .map(|l| l.line())
            .filter(|l| *l > 0)
            .unwrap_or(1);
        let options = serde_saphyr::render_options! {
            snippets: serde_saphyr::SnippetMode::Off,
        };
        let rendered = e.without_snippet().render_with_options(options);
        YamlError {
            line,
            message: strip_location_suffix(&rendered).to_owned(),
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

    #[test]
    fn malformed_yaml_is_an_error_not_a_panic() {
        for text in ["a: [1, 2", "a: &x\n  - *y", ":\n  - -\n]", "\t\u{0}"] {
            assert!(from_str::<Doc>(text).is_err(), "{text:?}");
        }
    }
}
