//! Tests that live inside source files. Rust keeps unit tests beside the code: an item marked
//! `#[cfg(test)]` (usually `mod tests { … }`) or `#[test]`. Lines inside one are test lines: they
//! satisfy "source changed with tests" and never count as covered source. Python and TypeScript
//! keep tests in their own files (`test_*.py`, `*.test.ts`, as the language's test globs say);
//! in-source tests there (doctests, vitest's `import.meta.vitest`) are not recognised.

/// How a source file at `path` can hold its own tests, for advice (`None`: only in test files).
pub fn inline_tests_hint(path: &str) -> Option<&'static str> {
    path.ends_with(".rs")
        .then_some("a `#[test]` in the file's `#[cfg(test)] mod tests`")
}

/// The 1-based, inclusive line ranges of `text` (the file at `path`) that are test code: test
/// modules and test functions. They are never covered source.
pub fn test_lines(path: &str, text: &str) -> Vec<(u32, u32)> {
    if path.ends_with(".rs") {
        rust_items(text, is_test_attribute)
    } else {
        Vec::new()
    }
}

/// The ranges of `text` that are tests themselves (Rust's `#[test]` functions): a code line
/// added there adds or changes a test. A new test module with no test in it does not.
pub fn test_function_lines(path: &str, text: &str) -> Vec<(u32, u32)> {
    if path.ends_with(".rs") {
        rust_items(text, is_test_function_attribute)
    } else {
        Vec::new()
    }
}

fn is_test_function_attribute(at: &str) -> bool {
    is_test_attribute(at) && !compact_attribute(at).starts_with("#[cfg(")
}

/// Items marked by an attribute `wanted` accepts (`#[cfg(test)]`, `#[test]`, `#[tokio::test]`),
/// from the attribute to the item's closing brace (or `;`).
fn rust_items(text: &str, wanted: fn(&str) -> bool) -> Vec<(u32, u32)> {
    let bytes = text.as_bytes();
    let line_at =
        |offset: usize| bytes[..offset].iter().filter(|b| **b == b'\n').count() as u32 + 1;
    let mut out: Vec<(u32, u32)> = Vec::new();
    let mut scan = Scanner::new(bytes);
    while let Some(at) = scan.next_code_byte() {
        if bytes[at] != b'#' || !wanted(&text[at..]) {
            continue;
        }
        let start = line_at(at);
        // Skip this and any further attributes, then find the item's body.
        let Some(end) = scan.item_end() else {
            break;
        };
        let end = line_at(end);
        match out.last_mut() {
            Some(last) if last.1 >= start => last.1 = last.1.max(end),
            _ => out.push((start, end)),
        }
    }
    out
}

/// An attribute up to its `]`, without whitespace: `#[cfg(test)`.
fn compact_attribute(at: &str) -> String {
    at.chars()
        .take(64)
        .take_while(|c| *c != ']')
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn is_test_attribute(at: &str) -> bool {
    let compact = compact_attribute(at);
    compact == "#[cfg(test)" || compact == "#[test" || compact.ends_with("::test")
}

/// Walks Rust source, skipping comments and string and character literals.
struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// The offset of the next byte of code, past comments and literals.
    fn next_code_byte(&mut self) -> Option<usize> {
        while self.at < self.bytes.len() {
            let (b, next) = (self.bytes[self.at], self.bytes.get(self.at + 1).copied());
            match (b, next) {
                (b'/', Some(b'/')) => self.skip_while_not(b'\n'),
                (b'/', Some(b'*')) => self.skip_block_comment(),
                (b'"', _) => self.skip_string(),
                (b'r', Some(b'#' | b'"')) if self.is_raw_string() => self.skip_raw_string(),
                (b'\'', _) => self.skip_char(),
                _ => {
                    self.at += 1;
                    return Some(self.at - 1);
                }
            }
        }
        None
    }

    /// From inside an attribute: the offset of the end of the item it marks (its closing `}`,
    /// or `;` for an item without a body).
    fn item_end(&mut self) -> Option<usize> {
        let mut depth = 0usize;
        let mut in_attribute = true;
        let mut brackets = 0usize;
        while let Some(at) = self.next_code_byte() {
            match self.bytes[at] {
                b'[' if in_attribute => brackets += 1,
                b']' if in_attribute => {
                    brackets = brackets.saturating_sub(1);
                    if brackets == 0 {
                        in_attribute = false;
                    }
                }
                b'{' if !in_attribute => depth += 1,
                b'}' if !in_attribute => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Some(at);
                    }
                }
                b';' if !in_attribute && depth == 0 => return Some(at),
                b'#' if !in_attribute && depth == 0 => in_attribute = true,
                _ => {}
            }
        }
        None
    }

    fn skip_while_not(&mut self, end: u8) {
        while self.at < self.bytes.len() && self.bytes[self.at] != end {
            self.at += 1;
        }
    }

    fn skip_block_comment(&mut self) {
        let mut depth = 0;
        while self.at + 1 < self.bytes.len() {
            match (self.bytes[self.at], self.bytes[self.at + 1]) {
                (b'/', b'*') => {
                    depth += 1;
                    self.at += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    self.at += 2;
                    if depth == 0 {
                        return;
                    }
                }
                _ => self.at += 1,
            }
        }
        self.at = self.bytes.len();
    }

    fn skip_string(&mut self) {
        self.at += 1;
        while self.at < self.bytes.len() {
            match self.bytes[self.at] {
                b'\\' => self.at += 2,
                b'"' => {
                    self.at += 1;
                    return;
                }
                _ => self.at += 1,
            }
        }
    }

    fn is_raw_string(&self) -> bool {
        let rest = &self.bytes[self.at + 1..];
        let hashes = rest.iter().take_while(|b| **b == b'#').count();
        rest.get(hashes) == Some(&b'"')
            && (self.at == 0 || !self.bytes[self.at - 1].is_ascii_alphanumeric())
    }

    fn skip_raw_string(&mut self) {
        self.at += 1;
        let hashes = self.bytes[self.at..]
            .iter()
            .take_while(|b| **b == b'#')
            .count();
        self.at += hashes + 1;
        while self.at < self.bytes.len() {
            if self.bytes[self.at] == b'"'
                && self.bytes[self.at + 1..]
                    .iter()
                    .take(hashes)
                    .filter(|b| **b == b'#')
                    .count()
                    == hashes
            {
                self.at += 1 + hashes;
                return;
            }
            self.at += 1;
        }
    }

    /// A character literal (`'x'`, `'\n'`, `'\u{1F600}'`) or a lifetime (`'a`), which is skipped
    /// as one byte.
    fn skip_char(&mut self) {
        let rest = &self.bytes[self.at + 1..];
        let len = match rest {
            [b'\\', ..] => rest.iter().skip(1).position(|b| *b == b'\'').map(|p| p + 2),
            [_, b'\'', ..] => Some(1),
            _ => {
                // A multi-byte character, or a lifetime.
                let end = rest.iter().take(5).position(|b| *b == b'\'');
                match end {
                    Some(p) if p > 0 && !rest[..p].iter().all(u8::is_ascii_alphanumeric) => Some(p),
                    _ => None,
                }
            }
        };
        self.at += match len {
            Some(len) => len + 2,
            None => 1,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cfg_test_module_is_test_lines() {
        let text = "fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\n#[cfg(test)]\nmod tests {\n    use super::*;\n\n    #[test]\n    fn adds() {\n        assert_eq!(add(1, 2), 3); // }\n        let s = \"}\";\n        let c = '}';\n    }\n}\n\nfn after() {}\n";
        assert_eq!(test_lines("src/lib.rs", text), [(5, 15)]);
    }

    #[test]
    fn test_functions_and_other_attributes() {
        let text = "#[test]\n#[should_panic]\nfn a() {\n    panic!()\n}\nfn b<'a>(x: &'a str) -> &'a str { x }\n#[tokio::test]\nasync fn c() {\n}\n/* #[test] fn d() {} */\nconst S: &str = r#\"#[test] fn e() { \"#;\n";
        assert_eq!(test_lines("src/lib.rs", text), [(1, 5), (7, 9)]);
    }

    #[test]
    fn test_functions_are_found_inside_test_modules() {
        let text = "#[cfg(test)]\nmod tests {\n    // TODO\n    #[test]\n    fn a() {\n        assert!(true);\n    }\n}\n";
        assert_eq!(test_lines("src/lib.rs", text), [(1, 8)]);
        assert_eq!(test_function_lines("src/lib.rs", text), [(4, 7)]);
        let empty = "#[cfg(test)]\nmod tests {\n    // TODO\n}\n";
        assert!(test_function_lines("src/lib.rs", empty).is_empty());
    }

    #[test]
    fn other_languages_have_no_inline_tests() {
        assert!(test_lines("app.py", "#[test]\ndef f():\n  pass\n").is_empty());
    }
}
