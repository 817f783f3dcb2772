//! The one place that prints. Data (reports, JSON) goes to stdout; everything meant for a person
//! goes to stderr, coloured only on a terminal and never with `NO_COLOR` (anstream decides).

use std::io::Write as _;

use anstyle::{AnsiColor, Style};

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const STATUS: Style = AnsiColor::Green.on_default().bold();
const DIM: Style = Style::new().dimmed();

#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    pub is_quiet: bool,
}

impl Printer {
    pub fn new(is_quiet: bool) -> Self {
        Self { is_quiet }
    }

    /// Machine-readable output.
    pub fn data(&self, text: &str) {
        let mut out = anstream::stdout().lock();
        // A closed pipe (`pave list | head`) is not an error worth reporting.
        let _ = out.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = out.write_all(b"\n");
        }
        let _ = out.flush();
    }

    /// A line for a person, unless `--quiet`.
    pub fn info(&self, text: &str) {
        if !self.is_quiet {
            let _ = writeln!(anstream::stderr(), "{text}");
        }
    }

    /// A right-aligned coloured verb and a message, cargo style.
    pub fn status(&self, verb: &str, text: &str) {
        if !self.is_quiet {
            let _ = writeln!(anstream::stderr(), "{STATUS}{verb:>12}{STATUS:#} {text}");
        }
    }

    pub fn dim(&self, text: &str) -> String {
        format!("{DIM}{text}{DIM:#}")
    }

    pub fn warn(&self, text: &str) {
        let _ = writeln!(anstream::stderr(), "{WARN}warning{WARN:#}: {text}");
    }

    pub fn error(&self, text: &str, hint: Option<&str>) {
        let mut err = anstream::stderr().lock();
        let _ = writeln!(err, "{ERROR}error{ERROR:#}: {text}");
        if let Some(hint) = hint {
            let _ = writeln!(err, "{HINT}hint{HINT:#}: {hint}");
        }
    }
}
