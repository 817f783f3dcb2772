//! The one place that prints. Data (reports, JSON) goes to stdout; everything meant for a person
//! goes to stderr, coloured only on a terminal and never with `NO_COLOR` (anstream decides).

use std::io::Write as _;

use anstyle::{AnsiColor, Style};

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARN: Style = AnsiColor::Yellow.on_default().bold();
const HINT: Style = AnsiColor::Cyan.on_default().bold();
const STATUS: Style = AnsiColor::Green.on_default().bold();
const DIM: Style = Style::new().dimmed();

/// Standard output could not be written (other than a closed pipe).
#[derive(Debug, thiserror::Error)]
#[error("cannot write to standard output: {0}")]
pub struct StdoutError(pub std::io::Error);

/// Writes `text` to stdout, with a final newline, and flushes.
fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut out = anstream::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    out.flush()
}

/// Whether standard output goes nowhere: `/dev/null`, or closed (`>&-`), which Rust's runtime
/// reopens as `/dev/null`. Output that is lost unless it arrives checks first.
#[cfg(unix)]
pub fn stdout_is_discarded() -> bool {
    use std::os::fd::AsFd as _;
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
    let Ok(fd) = std::io::stdout().as_fd().try_clone_to_owned() else {
        return true;
    };
    let (Ok(out), Ok(null)) = (
        std::fs::File::from(fd).metadata(),
        std::fs::metadata("/dev/null"),
    ) else {
        return false;
    };
    out.file_type().is_char_device() && out.rdev() == null.rdev()
}

/// Elsewhere a discarded stdout is not detected; a failed write still revokes the token.
#[cfg(not(unix))]
pub fn stdout_is_discarded() -> bool {
    false
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Printer {
    pub is_quiet: bool,
}

impl Printer {
    pub fn new(is_quiet: bool) -> Self {
        Self { is_quiet }
    }

    /// Machine-readable output. A closed pipe (`pave list | head`) is not an error: the reader
    /// has what it wanted. Any other failure (a full disk, `> /dev/full`) is, so a report cut
    /// short never passes for a whole one.
    pub fn data(&self, text: &str) -> Result<(), StdoutError> {
        match write_stdout(text) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(StdoutError(e)),
            _ => Ok(()),
        }
    }

    /// Output that is lost unless it arrives whole (a secret shown once): a closed pipe is an
    /// error too.
    pub fn data_that_must_arrive(&self, text: &str) -> Result<(), StdoutError> {
        write_stdout(text).map_err(StdoutError)
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
