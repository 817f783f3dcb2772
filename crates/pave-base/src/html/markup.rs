//! Markup that cannot hold unescaped text. The pages show repo names, teams, trains, file paths
//! and errors that come from repos and registry clients; one forgotten escape would let any of
//! them add markup to a platform lead's page. So escaping is not a call to remember but a type:
//!
//! - [`Html`] is markup. There is no `From<String>` and no constructor that takes a runtime
//!   string: markup comes only from string literals in the program, through the macros.
//! - [`html!`](crate::html!) builds one from comma-separated pieces and
//!   [`push_html!`](crate::push_html!) appends them to one. A string literal is markup, as
//!   written; every other piece goes through [`ToHtml`]: strings are escaped
//!   ([`crate::xml::attr`]: one strict rule for text and attribute values alike), numbers are
//!   written as they format, and `Html` is kept as it is.
//!
//! ```
//! use pave_base::{html, html::Html}; // `html`: the module and the macro
//!
//! let (team, repos) = ("<b>payments</b>", 3);
//! let row: Html = html!["<td>", team, "</td><td class=\"num\">", repos, "</td>"];
//! assert_eq!(row.as_str(), "<td>&lt;b&gt;payments&lt;/b&gt;</td><td class=\"num\">3</td>");
//! ```
//!
//! Markup is never built with `format!`, whose captured identifiers would go in unescaped;
//! `format!` builds text, which is escaped when it joins the markup.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::xml::{self, Context};

/// Markup: literals of the program, and escaped text. Build one with
/// [`html!`](crate::html!); append with [`push_html!`](crate::push_html!) or [`Html::push`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Html(Cow<'static, str>);

impl Html {
    pub const fn new() -> Self {
        Self(Cow::Borrowed(""))
    }

    /// Markup from a string literal: for [`html!`](crate::html!), which passes only literals.
    #[doc(hidden)]
    pub const fn __literal(markup: &'static str) -> Self {
        Self(Cow::Borrowed(markup))
    }

    /// Appends markup from a string literal: for [`push_html!`](crate::push_html!), which passes
    /// only literals.
    #[doc(hidden)]
    pub fn __push_literal(&mut self, markup: &'static str) {
        self.buffer().push_str(markup);
    }

    /// Appends a piece: text escaped, numbers as they format, markup as it is.
    pub fn push(&mut self, piece: impl ToHtml) {
        piece.push_to(self);
    }

    /// The pieces with `separator` between them (`html!["<br/>"]`, or text such as `" · "`).
    pub fn join<I>(pieces: I, separator: impl ToHtml) -> Self
    where
        I: IntoIterator,
        I::Item: ToHtml,
    {
        let mut out = Self::new();
        for (index, piece) in pieces.into_iter().enumerate() {
            if index > 0 {
                separator.push_to(&mut out);
            }
            piece.push_to(&mut out);
        }
        out
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0.into_owned()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn buffer(&mut self) -> &mut String {
        self.0.to_mut()
    }
}

impl FromIterator<Html> for Html {
    fn from_iter<I: IntoIterator<Item = Html>>(iter: I) -> Self {
        let mut out = Self::new();
        for piece in iter {
            out.push(piece);
        }
        out
    }
}

/// What may go into [`Html`]: escaped text, a number, or markup. Implement it for a type by
/// pushing its parts; only this module writes to the markup directly.
pub trait ToHtml {
    fn push_to(&self, out: &mut Html);
}

impl ToHtml for str {
    fn push_to(&self, out: &mut Html) {
        xml::escape_into(out.buffer(), self, Context::Attribute);
    }
}

impl ToHtml for String {
    fn push_to(&self, out: &mut Html) {
        self.as_str().push_to(out);
    }
}

impl ToHtml for Html {
    fn push_to(&self, out: &mut Html) {
        out.buffer().push_str(&self.0);
    }
}

impl<T: ToHtml + ?Sized> ToHtml for &T {
    fn push_to(&self, out: &mut Html) {
        (**self).push_to(out);
    }
}

/// Numbers as `Display` writes them: digits, a sign and a point, nothing to escape.
macro_rules! number {
    ($($t:ty),*) => {$(
        impl ToHtml for $t {
            fn push_to(&self, out: &mut Html) {
                let _ = write!(out.buffer(), "{self}");
            }
        }
    )*};
}
number!(u8, u16, u32, u64, usize, i32, i64, f64);

/// A number with a fixed count of decimals (SVG coordinates: `12.5`).
#[derive(Debug, Clone, Copy)]
pub struct Fixed {
    value: f64,
    decimals: usize,
}

/// `value` with `decimals` digits after the point, as `format!("{value:.decimals$}")`.
pub fn fixed(value: f64, decimals: usize) -> Fixed {
    Fixed { value, decimals }
}

impl ToHtml for Fixed {
    fn push_to(&self, out: &mut Html) {
        let _ = write!(out.buffer(), "{:.*}", self.decimals, self.value);
    }
}

/// Markup from comma-separated pieces: a string literal is markup as written; anything else is a
/// [`ToHtml`](crate::html::ToHtml) (a string is escaped). `html!["…"]` alone is a constant. Only
/// string literals may be literals: write a number as markup (`"0"`) or pass it in a variable.
#[macro_export]
macro_rules! html {
    () => {
        $crate::html::Html::new()
    };
    ($markup:literal $(,)?) => {
        $crate::html::Html::__literal($markup)
    };
    ($($piece:tt)+) => {{
        let mut out = $crate::html::Html::new();
        $crate::push_html!(out, $($piece)+);
        out
    }};
}

/// Appends pieces to an [`Html`](crate::html::Html) (or a `&mut` one), as
/// [`html!`](crate::html!) builds them: `push_html!(out, "<td>", team, "</td>")`.
#[macro_export]
macro_rules! push_html {
    ($out:expr $(,)?) => {};
    ($out:expr, $markup:literal $(, $($rest:tt)*)?) => {
        $out.__push_literal($markup);
        $crate::push_html!($out $(, $($rest)*)?);
    };
    ($out:expr, $piece:expr $(, $($rest:tt)*)?) => {
        $out.push(&$piece);
        $crate::push_html!($out $(, $($rest)*)?);
    };
}

#[cfg(test)]
mod tests {
    use crate::html::{Html, fixed};

    #[test]
    fn literals_are_markup_and_strings_are_text() {
        let name = String::from("<script>'x'</script>");
        let page = html!["<p title=\"", &name, "\">", name.as_str(), "</p>"];
        assert_eq!(
            page.as_str(),
            "<p title=\"&lt;script&gt;&#39;x&#39;&lt;/script&gt;\">&lt;script&gt;&#39;x&#39;&lt;/script&gt;</p>"
        );
    }

    #[test]
    fn text_is_escaped_by_the_strict_rule_everywhere() {
        let page = html!["<p>", "a\tb\nc\u{1b}".to_owned(), "</p>"];
        assert_eq!(page.as_str(), "<p>a&#9;b&#10;c\\u{1b}</p>");
    }

    #[test]
    fn an_expression_that_starts_with_a_literal_is_text() {
        let page = html!["<b>", "<i>".to_owned(), "</b>"];
        assert_eq!(page.as_str(), "<b>&lt;i&gt;</b>");
    }

    #[test]
    fn numbers_are_written_as_they_format() {
        let (count, delta, width, share) = (3_u64, -2_i64, 760.0_f64, 0.5_f64);
        let page = html![
            count,
            " ",
            delta,
            " ",
            width,
            " ",
            share,
            " ",
            fixed(2.26, 1)
        ];
        assert_eq!(page.as_str(), "3 -2 760 0.5 2.3");
    }

    #[test]
    fn markup_is_kept_as_it_is() {
        let inner = html!["<br/>"];
        let mut out = html!["<p>", inner, "</p>"];
        push_html!(out, "<hr/>", &inner);
        out.push(html!["<i>", String::from("&"), "</i>"]);
        assert_eq!(out.as_str(), "<p><br/></p><hr/><br/><i>&amp;</i>");
    }

    #[test]
    fn a_single_literal_is_a_constant() {
        const RULE: Html = html!["<hr/>"];
        assert_eq!(RULE.as_str(), "<hr/>");
        assert!(html![].is_empty());
    }

    #[test]
    fn joined_pieces_are_escaped_and_separated() {
        let paths = ["a<b", "c"];
        assert_eq!(Html::join(paths, html!["<br/>"]).as_str(), "a&lt;b<br/>c");
        assert_eq!(Html::join(["x", "y"], " & ").as_str(), "x &amp; y");
        let cells: Html = ["1", "2"]
            .iter()
            .map(|c| html!["<td>", c, "</td>"])
            .collect();
        assert_eq!(cells.as_str(), "<td>1</td><td>2</td>");
    }

    #[test]
    fn a_buffer_behind_a_reference_takes_pieces_too() {
        fn cell(out: &mut Html, text: &str) {
            push_html!(out, "<td>", text, "</td>");
        }
        let mut out = Html::new();
        cell(&mut out, "a&b");
        assert_eq!(out.into_string(), "<td>a&amp;b</td>");
    }
}
