//! The pieces of pave's self-contained HTML pages (`pave audit --format html` and the registry's
//! dashboard): markup that escapes whatever text it is given ([`Html`], built by
//! [`html!`](crate::html!)), the charts' stylesheet and the SVG charts themselves ([`bars`],
//! [`timeline`]). Nothing a page is made of loads from the network and nothing needs a script, so
//! a page works offline, saved as a file, and under a Content-Security-Policy that forbids
//! everything but inline style ([`CONTENT_SECURITY_POLICY`]).
//!
//! Every chart has a `<title>` and an `aria-label`, and every bar its numbers in text, so it reads
//! without colour. The markup is well-formed XML (void elements self-closed, no named entities but
//! XML's) so tests can parse it.

pub mod bars;
mod markup;
pub mod timeline;

pub use markup::{Fixed, Html, ToHtml, fixed};

/// What a page may load: nothing but its inline style (and `data:` images, which lets a page name
/// an empty favicon so a browser does not ask the server for one).
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// The pages' stylesheet: layout, headline tiles, tables, badges and the charts' colours and
/// text. Status colours are from the Okabe–Ito palette, which stays distinct for the common forms
/// of colour blindness.
pub const STYLE: Html = crate::html![
    r#"
:root{--conforming:#009e73;--excepted:#0072b2;--outdated:#e69f00;--drifted:#d55e00;--unadopted:#999;--error:#cc79a7;--unchecked:#b8c0c8}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;background:#f6f8fa}
main{max-width:980px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0}
h2{font-size:18px;margin:28px 0 8px}
.sub,.more,footer,.tile .note{color:#57606a;font-size:12px}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;margin:16px 0}
.tile,.chart{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px}
.tile .value{font-size:28px;font-weight:600}
.tile .label{font-weight:600}
.chart{overflow-x:auto}
svg{max-width:100%;height:auto}
svg text{font:12px system-ui,sans-serif;fill:#1f2328}
svg .detail{font-size:11px;fill:#57606a}
svg .count{font-size:11px;fill:#000}
svg .track{fill:#eaeef2}
.s-conforming{fill:var(--conforming)}.s-excepted{fill:var(--excepted)}.s-outdated{fill:var(--outdated)}.s-drifted{fill:var(--drifted)}
.s-unadopted{fill:var(--unadopted)}.s-error{fill:var(--error)}.s-unchecked{fill:var(--unchecked)}
.v0{fill:#009e73}.v1{fill:#56b4e9}.v2{fill:#e69f00}.v3{fill:#d55e00}.vx{fill:#999}
svg .area{fill:#009e73;fill-opacity:.15}svg .line{fill:none;stroke:#009e73;stroke-width:2}svg .dot{fill:#009e73}
svg .bar{fill:#56b4e9}svg .grid{stroke:#d0d7de;stroke-dasharray:2 3}svg .tick{fill:#57606a;font-size:11px}
svg .end{font-weight:600}svg .hit{fill:#000;fill-opacity:0}svg .hit:hover{fill-opacity:.06}
details{margin-top:8px}summary{cursor:pointer;color:#57606a;font-size:12px}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #d0d7de;vertical-align:top}
th{background:#eaeef2;position:sticky;top:0}
.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#f6f8fa}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-all}
.badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;color:#000}
.b-drifted{background:var(--drifted)}.b-error{background:var(--error)}
footer{margin-top:32px}
@media print{body{background:#fff}.tile,.chart{break-inside:avoid}}
"#
];

/// A headline tile: a big `value`, its `label` and a `note` under it; `class` (a status such as
/// `good`, or empty) colours it.
pub fn tile(class: &str, value: impl ToHtml, label: impl ToHtml, note: impl ToHtml) -> Html {
    let class = if class.is_empty() {
        crate::html!["tile"]
    } else {
        crate::html!["tile ", class]
    };
    crate::html![
        "<div class=\"",
        class,
        "\"><div class=\"value\">",
        value,
        "</div><div class=\"label\">",
        label,
        "</div><div class=\"note\">",
        note,
        "</div></div>\n"
    ]
}

/// At most `max` characters, with an ellipsis when cut.
pub fn truncate(value: &str, max: usize) -> String {
    if value.chars().count() <= max {
        return value.to_owned();
    }
    let mut cut: String = value.chars().take(max - 1).collect();
    cut.push('…');
    cut
}

/// The text with its first letter in upper case ("newly adopted" as a heading).
pub fn capitalized(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A count with thousands separated: `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `name="value"` pairs, each with a leading space: attributes a test or a stylesheet reads
/// (`data-version="1.2.0"`).
pub fn attrs(pairs: &[(&str, String)]) -> Html {
    pairs
        .iter()
        .map(|(name, value)| crate::html![" ", name, "=\"", value, "\""])
        .collect()
}

/// The opening of a chart's `<section>`, up to its heading, which names it for screen readers.
fn chart_start(id: &str, title: &str) -> Html {
    crate::html![
        "<section class=\"chart\" id=\"",
        id,
        "\" aria-labelledby=\"",
        id,
        "-h\">\n<h2 id=\"",
        id,
        "-h\">",
        title,
        "</h2>\n"
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_are_cut() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 4), "abc");
    }

    #[test]
    fn thousands_are_separated() {
        let shown: Vec<String> = [0, 999, 1000, 12345, 1234567].map(thousands).into();
        assert_eq!(shown, ["0", "999", "1,000", "12,345", "1,234,567"]);
    }

    #[test]
    fn attributes_are_escaped() {
        assert_eq!(
            attrs(&[("data-team", "a\"><b>".into()), ("data-count", "3".into())]).as_str(),
            " data-team=\"a&quot;&gt;&lt;b&gt;\" data-count=\"3\""
        );
    }
}
