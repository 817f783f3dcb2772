//! Escaping for every XML pave writes — JUnit reports and the self-contained HTML pages (through
//! [`crate::html`]) — so one string reads the same in all of them.
//!
//! One implementation, two contexts. Markup characters and both quotes become references, so a
//! value is safe in text and in an attribute quoted either way. `\r` becomes `&#13;`, which
//! survives the parser's line-end normalisation. In an attribute, `\t` and `\n` become `&#9;` and
//! `&#10;` too: attribute-value normalisation would turn them into spaces. Characters XML 1.0
//! cannot carry at all (C0 controls other than tab, line feed and carriage return, U+FFFE, U+FFFF),
//! even as references, and those it discourages (DEL and the C1 controls, U+007F–U+009F) are
//! written visibly as Rust writes them (`\u{1b}`, [`char::escape_unicode`]): a terminal colour
//! code in a repo's name shows up instead of being silently dropped or replaced, and the
//! document stays well-formed.

use std::fmt::Write as _;

/// Escapes character data (element content): `\t` and `\n` stay as they are.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_into(&mut out, value, Context::Text);
    out
}

/// Escapes an attribute value: as [`text`], and `\t`, `\n` as character references.
pub fn attr(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    escape_into(&mut out, value, Context::Attribute);
    out
}

/// Where an escaped value goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Context {
    Text,
    Attribute,
}

/// Appends `value` to `out`, escaped for `context`.
pub(crate) fn escape_into(out: &mut String, value: &str, context: Context) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\r' => out.push_str("&#13;"),
            '\t' if context == Context::Attribute => out.push_str("&#9;"),
            '\n' if context == Context::Attribute => out.push_str("&#10;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "{}", c.escape_unicode());
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_quotes_become_references() {
        let expected = "a&amp;b&lt;c&gt;d&quot;e&#39;f";
        assert_eq!(text("a&b<c>d\"e'f"), expected);
        assert_eq!(attr("a&b<c>d\"e'f"), expected);
    }

    #[test]
    fn a_carriage_return_is_a_reference_everywhere() {
        assert_eq!(text("a\r\nb"), "a&#13;\nb");
        assert_eq!(attr("a\r\nb"), "a&#13;&#10;b");
    }

    #[test]
    fn tab_and_line_feed_are_references_only_in_attributes() {
        assert_eq!(text("a\tb\nc"), "a\tb\nc");
        assert_eq!(attr("a\tb\nc"), "a&#9;b&#10;c");
    }

    #[test]
    fn characters_xml_cannot_carry_are_shown_not_lost() {
        assert_eq!(text("x\u{0}y\u{1b}[31mz"), "x\\u{0}y\\u{1b}[31mz");
        assert_eq!(attr("\u{1f}\u{b}\u{c}"), "\\u{1f}\\u{b}\\u{c}");
        assert_eq!(text("\u{fffe}\u{ffff}"), "\\u{fffe}\\u{ffff}");
    }

    #[test]
    fn characters_xml_discourages_are_shown_too() {
        assert_eq!(text("a\u{7f}b\u{85}c\u{9f}"), "a\\u{7f}b\\u{85}c\\u{9f}");
        assert_eq!(text("\u{a0}"), "\u{a0}", "no-break space is ordinary text");
    }

    #[test]
    fn everything_else_is_kept() {
        assert_eq!(
            text("résumé ✅ 日本 \u{fffd} 🦀"),
            "résumé ✅ 日本 \u{fffd} 🦀"
        );
        assert_eq!(attr(""), "");
    }

    #[test]
    fn the_output_parses_back_to_what_was_visible() {
        let value = "it's <b>&\"x\"\t\n\r\u{1b}";
        let xml = format!("<a v=\"{}\">{}</a>", attr(value), text(value));
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let root = doc.root_element();
        let shown = "it's <b>&\"x\"\t\n\r\\u{1b}";
        assert_eq!(root.attribute("v"), Some(shown));
        assert_eq!(root.text(), Some(shown));
    }
}
