//! `--format text`: what a person reads in one screen — per golden path, what drifted, what was
//! deleted, what was edited where that is allowed (merged files, pins moved forward: each pin
//! named), the version lag, and the command that fixes it.

use std::fmt::Write as _;

use pave_model::status::Lag;

use crate::check::{CheckReport, FileState};

/// At most this many files are listed per state; the rest are counted.
const MAX_LISTED: usize = 15;

pub fn render(report: &CheckReport) -> String {
    let mut out = String::new();
    for gp in &report.golden_paths {
        let verdict = match (gp.is_conforming(), gp.exceptions()) {
            (false, _) => "DRIFTED",
            (true, 0) => "conforms",
            (true, _) => "conforms with exceptions",
        };
        let _ = writeln!(out, "{}@{}: {verdict}", gp.name, gp.version);
        let checked = gp
            .files
            .iter()
            .filter(|f| f.state != FileState::Seeded)
            .count();
        // Conflicted, pinned and excepted files are rarer: counted only when there are some.
        let conflicted = match gp.count(FileState::Conflicted) {
            0 => String::new(),
            n => format!(", {n} conflicted (unresolved merge)"),
        };
        let pinned = match gp.count(FileState::Pinned) {
            0 => String::new(),
            n => format!(", {n} pinned (pins moved forward)"),
        };
        let excepted = match gp.count(FileState::Excepted) {
            0 => String::new(),
            n => format!(", {n} excepted"),
        };
        let _ = writeln!(
            out,
            "  {checked} files checked: {} unchanged, {} drifted{pinned}, {} deleted{conflicted}, {} edited (merged), {} diverged{excepted}; {} seeded not checked",
            gp.count(FileState::Unchanged),
            gp.count(FileState::Drifted),
            gp.count(FileState::Deleted),
            gp.count(FileState::Edited),
            gp.count(FileState::Diverged),
            gp.count(FileState::Seeded),
        );
        for (state, label) in [
            (FileState::Drifted, "drifted (managed file edited)"),
            (FileState::Pinned, "pinned (pins moved forward)"),
            (FileState::Deleted, "deleted"),
            (FileState::Conflicted, "conflicted (unresolved merge)"),
            (FileState::Edited, "edited (merged: allowed)"),
            (FileState::Diverged, "diverged (kept by choice)"),
        ] {
            let files: Vec<_> = gp.files.iter().filter(|f| f.state == state).collect();
            for f in files.iter().take(MAX_LISTED) {
                let _ = writeln!(out, "  {label:<30} {}", f.path);
                let pins = super::describe_pins(&f.pins);
                for pin in pins.iter().take(MAX_LISTED) {
                    let _ = writeln!(out, "  {:<30}   {pin}", "");
                }
                if pins.len() > MAX_LISTED {
                    let _ = writeln!(
                        out,
                        "  {:<30}   … and {} more pins",
                        "",
                        pins.len() - MAX_LISTED
                    );
                }
            }
            if files.len() > MAX_LISTED {
                let _ = writeln!(out, "  {label:<30} … and {} more", files.len() - MAX_LISTED);
            }
        }
        for f in gp
            .files
            .iter()
            .filter(|f| f.state == FileState::Unchanged && f.exception.is_some())
        {
            let _ = writeln!(
                out,
                "  note: {} is as rendered again; its exception is unused (`pave except --drop {}`)",
                f.path, f.path
            );
        }
        // Every exception is listed with its reason: a reviewer reads them all.
        for f in gp.files.iter().filter(|f| f.state == FileState::Excepted) {
            let (size, reason) = f
                .exception
                .as_ref()
                .map(|e| (e.size(), e.reason.as_str()))
                .unwrap_or_default();
            let _ = writeln!(out, "  {:<30} {} ({size}): {reason}", "excepted", f.path);
        }
        if let Some(view) = &gp.catalog_view {
            match view.lag {
                Lag::None => {
                    let _ = writeln!(
                        out,
                        "  version: {} is the newest in {}",
                        gp.version, view.catalog
                    );
                }
                lag => {
                    let _ = writeln!(
                        out,
                        "  version: {} is {} version(s) behind {} ({lag:?} lag); `pave upgrade` takes it",
                        gp.version, view.versions_behind, view.latest
                    );
                }
            }
            for m in &view.lock_mismatches {
                let _ = writeln!(out, "  lock mismatch: {m}");
            }
        }
        if let Some(note) = &gp.catalog_note {
            let _ = writeln!(out, "  note: {note}");
        }
        if gp.files.iter().any(|f| f.state.is_restorable()) {
            let _ = writeln!(out, "  see the changes: pave diff");
            let _ = writeln!(out, "  fix: {}", super::fix_command(gp));
        }
        if gp.count(FileState::Conflicted) > 0 {
            let _ = writeln!(out, "  fix: {}", super::CONFLICT_FIX);
        }
        if let Some(fix) = super::exception_fix(gp) {
            let _ = writeln!(out, "  fix: {fix}");
        }
        if gp
            .catalog_view
            .as_ref()
            .is_some_and(|v| !v.lock_mismatches.is_empty())
        {
            let _ = writeln!(out, "  fix: {}", super::LOCK_MISMATCH_FIX);
        }
    }
    out
}
