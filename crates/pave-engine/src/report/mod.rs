//! Renderers of the check report: one typed model ([`crate::check::CheckReport`]), one file per
//! output format. Every renderer is pure: report in, text out, sorted and stable.

pub(crate) mod github;
mod json;
pub(crate) mod junit;
pub(crate) mod markdown;
pub(crate) mod sarif;
mod text;

use clap::ValueEnum;

use crate::check::{CheckReport, GoldenPathReport};
use crate::pins::{Direction, PinChange};

/// Output formats of `pave check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// One screen for a person: what drifted and the command that fixes it.
    Text,
    Json,
    /// SARIF 2.1.0, for code-scanning upload.
    Sarif,
    /// JUnit XML: one test case per managed file.
    Junit,
    /// GitHub Actions workflow annotations (`::error file=…::`).
    Github,
    /// Markdown for `$GITHUB_STEP_SUMMARY` or a merge-request comment.
    Markdown,
}

/// Renders `report` in `format`.
pub fn render(report: &CheckReport, format: CheckFormat) -> String {
    match format {
        CheckFormat::Text => text::render(report),
        CheckFormat::Json => json::render(report),
        CheckFormat::Sarif => sarif::render(report),
        CheckFormat::Junit => junit::render(report),
        CheckFormat::Github => github::render(report),
        CheckFormat::Markdown => markdown::render(report),
    }
}

/// The one command that brings a drifted golden path back: it rewrites managed files that
/// drifted or were deleted, and leaves merged and seeded files alone.
/// What to do about a merged file that still holds `pave upgrade`'s conflict markers.
pub const CONFLICT_FIX: &str = "resolve the conflict markers `pave upgrade` left (`<<<<<<< ours` your lines, `=======`, pave's lines `>>>>>>> theirs`): keep what the file should say, delete the markers, commit";

/// What to do about a lock that disagrees with a fresh render of its golden path version: the
/// lock was edited, or the golden path changed under the same version (a catalog being written).
pub const LOCK_MISMATCH_FIX: &str = "if .pave/lock.yaml was edited, restore it from git (`git checkout -- .pave/lock.yaml`): pave writes it, people should not; if it is as pave wrote it, the golden path changed without a new version, and its owners must release the change as one";

/// How every report words an excepted file: its reason and size, and whether the file still
/// holds exactly the recorded change.
pub fn exception_words(file: &crate::check::FileReport, at: &str) -> String {
    match &file.exception {
        Some(e) => format!(
            "{} is managed by {at} and tailored by a recorded exception ({} lines): {}",
            file.path,
            e.size(),
            e.reason
        ),
        None => format!(
            "{} is managed by {at} and tailored by a recorded exception",
            file.path
        ),
    }
}

/// What to do about excepted files that no longer hold their recorded tailoring (edited further,
/// or an upgrade's merge of them resolved): after review, record it again; or give it up. `None`
/// when no such file.
pub fn exception_fix(gp: &GoldenPathReport) -> Option<String> {
    let files: Vec<&str> = gp
        .files
        .iter()
        .filter(|f| f.exception.is_some() && f.state.is_failure())
        .map(|f| f.path.as_str())
        .collect();
    (!files.is_empty()).then(|| {
        format!(
            "excepted files that changed since their exception was recorded ({0}): once reviewed (and any conflict markers resolved), `pave except {0}` records the change (the reason stays); `pave except --drop {0}` gives the exception up",
            files.join(" ")
        )
    })
}

/// The command that restores a golden path's drifted and deleted files. It is about local edits,
/// which are often not committed yet, so it allows a dirty work tree (it writes only the golden
/// path's own files; `git restore FILE` undoes an uncommitted edit as well).
pub fn fix_command(gp: &GoldenPathReport) -> String {
    format!(
        "pave apply {}@{} --force --allow-dirty",
        gp.name, gp.version
    )
}

/// The moved pins of a file in words, one line per distinct move (an action used in eleven jobs
/// and bumped in all of them is one line): `actions/checkout v7.0.1 -> v7.1.0 (lines 65, 86)`,
/// and why it is drift when it is.
pub fn describe_pins(pins: &[PinChange]) -> Vec<String> {
    let mut groups: Vec<(&PinChange, Vec<usize>)> = Vec::new();
    for pin in pins {
        let same = |g: &&mut (&PinChange, Vec<usize>)| {
            let first = g.0;
            (&first.pin, &first.from, &first.to, first.direction)
                == (&pin.pin, &pin.from, &pin.to, pin.direction)
        };
        match groups.iter_mut().find(same) {
            Some(group) => group.1.push(pin.line),
            None => groups.push((pin, vec![pin.line])),
        }
    }
    groups
        .into_iter()
        .map(|(pin, lines)| describe(pin, &lines))
        .collect()
}

fn describe(pin: &PinChange, lines: &[usize]) -> String {
    let side =
        |version: &Option<String>, value: &str| version.clone().unwrap_or_else(|| value.to_owned());
    let at: Vec<String> = lines.iter().map(ToString::to_string).collect();
    let moved = format!(
        "{} {} -> {} ({} {})",
        pin.pin,
        side(&pin.from_version, &pin.from),
        side(&pin.to_version, &pin.to),
        if lines.len() == 1 { "line" } else { "lines" },
        at.join(", ")
    );
    match pin.direction {
        Direction::Forward => moved,
        Direction::Refreshed => format!("{moved}: same tag, new digest"),
        Direction::Backward => format!("{moved}: moved backwards, which is drift"),
        Direction::Changed => format!(
            "{moved}: not a forward move (another form, variant or commit under the same version), which is drift"
        ),
    }
}
