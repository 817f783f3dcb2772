//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).
//!
//! One run of the `pave` driver. Its rules are always all listed, in a fixed order, so rule
//! indexes and ids are stable across runs (a new rule is added at the end). Every drifted,
//! deleted, conflicted, pinned, edited (merged) and diverged file is a result located at its
//! repo-relative path, line 1 (code scanning needs a location); lock mismatches are located at
//! `.pave/lock.yaml`. A `partialFingerprints` entry made from the
//! golden path's name (not its version), the path and the rule lets code scanning match a finding
//! across runs and upgrades. The log skeleton, the rules and locations are shared with
//! `pave gate --format sarif` (`gate/format/sarif.rs`), whose conformance findings use these rules.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::check::{CheckReport, FileReport, FileState, GoldenPathReport};
use pave_model::lock::{LOCK_PATH, sha256_hex};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// Used until `Cargo.toml` names a homepage.
const FALLBACK_INFORMATION_URI: &str = "https://pave.dev";
/// The key of the `partialFingerprints` entry of every pave result (`pave check`'s and
/// `pave gate`'s).
pub(crate) const FINGERPRINT_KEY: &str = "paveFinding/v1";

/// A rule of the driver; its index in the driver's rules is its `ruleIndex`.
pub(crate) struct Rule {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) level: &'static str,
    pub(crate) short: &'static str,
    pub(crate) full: &'static str,
    pub(crate) help: &'static str,
    pub(crate) tags: &'static [&'static str],
}

const GOLDEN_PATH_TAGS: &[&str] = &["pave", "golden-path"];

pub(crate) const DRIFTED: usize = 0;
pub(crate) const DELETED: usize = 1;
pub(crate) const EDITED: usize = 2;
pub(crate) const DIVERGED: usize = 3;
pub(crate) const LOCK_MISMATCH: usize = 4;
pub(crate) const CONFLICTED: usize = 5;
pub(crate) const EXCEPTED: usize = 6;
pub(crate) const PINNED: usize = 7;

/// `pave check`'s rules; `pave gate conformance` reports its findings under the same ones.
pub(crate) const RULES: [Rule; 8] = [
    Rule {
        id: "pave/drifted",
        name: "ManagedFileDrifted",
        level: "error",
        short: "A managed file differs from what its golden path rendered",
        full: "The file is managed by a golden path: the golden path owns its content, so a local edit is drift and fails `pave check`.",
        help: "See the change with `pave diff`, then restore the golden path's content with `pave apply <golden-path>@<version> --force` (each result names its command). To change the file for good, change the golden path.",
        tags: GOLDEN_PATH_TAGS,
    },
    Rule {
        id: "pave/deleted",
        name: "GoldenPathFileDeleted",
        level: "error",
        short: "A file of a golden path is missing",
        full: "The lock records a managed or merged file that is no longer in the repo (or is no longer a regular file), which fails `pave check`.",
        help: "Restore the file with `pave apply <golden-path>@<version> --force` (each result names its command); `pave diff` shows what it brings back.",
        tags: GOLDEN_PATH_TAGS,
    },
    Rule {
        id: "pave/edited-merged",
        name: "MergedFileEdited",
        level: "note",
        short: "A merged file was edited locally (allowed)",
        full: "The file is shared between the repo and its golden path: local edits are allowed and kept, and are 3-way merged when the golden path is upgraded.",
        help: "Nothing to fix. `pave diff` shows the local edits.",
        tags: GOLDEN_PATH_TAGS,
    },
    Rule {
        id: "pave/diverged",
        name: "FileDiverged",
        level: "note",
        short: "A file keeps the repo's own version by choice",
        full: "The repo kept its own version of the file when a golden path was applied (`pave apply --conflict=keep` or `--conflict=write-new`), so pave does not check it.",
        help: "Nothing to fix. To take the golden path's version again, run `pave apply <golden-path>@<version> --force`.",
        tags: GOLDEN_PATH_TAGS,
    },
    Rule {
        id: "pave/lock-mismatch",
        name: "LockMismatch",
        level: "error",
        short: "The lock disagrees with its golden path",
        full: "`.pave/lock.yaml` records hashes, ownerships or files that a fresh render of its golden path version and answers does not produce: the lock was edited by hand, or the golden path changed without a new version.",
        help: super::LOCK_MISMATCH_FIX,
        tags: GOLDEN_PATH_TAGS,
    },
    Rule {
        id: "pave/conflicted",
        name: "MergedFileConflicted",
        level: "error",
        short: "A merged file still holds upgrade conflict markers",
        full: "`pave upgrade` merged the repo's edits of this file with the new version and marked the lines where both changed; until the markers are resolved the merge is unfinished, which fails `pave check`.",
        help: super::CONFLICT_FIX,
        tags: GOLDEN_PATH_TAGS,
    },
    Rule {
        id: "pave/excepted",
        name: "ManagedFileExcepted",
        level: "note",
        short: "A managed file is tailored by a recorded exception",
        full: "The repo changes this managed file on purpose: `pave except` recorded the change's fingerprint, size and reason in `.pave/lock.yaml`, so the repo is conforming with exceptions while the file holds exactly that change, and `pave upgrade` merges it into new versions.",
        help: "Nothing to fix while the exception is wanted. `pave diff --all` shows it; `pave except --drop <file>` and `pave apply <golden-path>@<version> --force` return to the golden path's version.",
        tags: GOLDEN_PATH_TAGS,
    },
    Rule {
        id: "pave/pinned",
        name: "PinsMovedForward",
        level: "note",
        short: "A managed file's declared pins moved forward (allowed)",
        full: "The file is managed by a golden path that declares pins in it (actions, images, provider versions its dependency bots update). It differs from the render only in those pins, each at a newer version than rendered, so it conforms.",
        help: "Nothing to fix. A pin moved backwards, or any other edit of the file, is drift. `pave upgrade` keeps the newer pin.",
        tags: GOLDEN_PATH_TAGS,
    },
];

pub fn render(report: &CheckReport) -> String {
    let rules: Vec<Value> = RULES.iter().map(rule).collect();
    let mut results = Vec::new();
    for gp in &report.golden_paths {
        for file in &gp.files {
            if let Some(index) = rule_of(file.state) {
                results.push(file_result(gp, file, index));
            }
        }
        for mismatch in gp.catalog_view.iter().flat_map(|v| &v.lock_mismatches) {
            results.push(result(
                gp,
                LOCK_MISMATCH,
                format!(
                    "The lock disagrees with {}@{}: {mismatch}. Restore `{LOCK_PATH}` from git.",
                    gp.name, gp.version
                ),
                LOCK_PATH,
                mismatch,
                json!({}),
            ));
        }
    }
    log(rules, results, None)
}

/// A SARIF 2.1.0 log of one run of the `pave` driver, pretty-printed. `category` sets the run's
/// `automationDetails.id` (`<category>/`), which GitHub code scanning uses to keep the alerts of
/// different analyses (`pave check`, `pave gate`) apart.
pub(crate) fn log(rules: Vec<Value>, results: Vec<Value>, category: Option<&str>) -> String {
    let homepage = env!("CARGO_PKG_HOMEPAGE");
    let information_uri = if homepage.is_empty() {
        FALLBACK_INFORMATION_URI
    } else {
        homepage
    };
    let mut run = json!({
        "tool": {"driver": {
            "name": "pave",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "informationUri": information_uri,
            "rules": rules,
        }},
        "results": results,
    });
    if let (Some(category), Some(map)) = (category, run.as_object_mut()) {
        map.insert(
            "automationDetails".into(),
            json!({"id": format!("{category}/")}),
        );
    }
    let sarif = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    });
    format!("{sarif:#}\n")
}

/// A rule as a `reportingDescriptor`.
pub(crate) fn rule(rule: &Rule) -> Value {
    json!({
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.short},
        "fullDescription": {"text": rule.full},
        "help": {"text": rule.help, "markdown": rule.help},
        "defaultConfiguration": {"level": rule.level},
        "properties": {"tags": rule.tags, "precision": "very-high"},
    })
}

fn rule_of(state: FileState) -> Option<usize> {
    match state {
        FileState::Drifted => Some(DRIFTED),
        FileState::Deleted => Some(DELETED),
        FileState::Edited => Some(EDITED),
        FileState::Diverged => Some(DIVERGED),
        FileState::Conflicted => Some(CONFLICTED),
        FileState::Pinned => Some(PINNED),
        FileState::Excepted => Some(EXCEPTED),
        FileState::Unchanged | FileState::Seeded => None,
    }
}

fn file_result(gp: &GoldenPathReport, file: &FileReport, index: usize) -> Value {
    let at = format!("{}@{}", gp.name, gp.version);
    let fix = super::fix_command(gp);
    let path = &file.path;
    let text = match file.state {
        FileState::Drifted if !file.pins.is_empty() => format!(
            "`{path}` is managed by {at} and differs from what it rendered in pins that did not move forward ({}). See the change with `pave diff`; restore it with `{fix}`.",
            pins(file)
        ),
        FileState::Drifted => format!(
            "`{path}` is managed by {at} and differs from what it rendered. See the change with `pave diff`; restore it with `{fix}`."
        ),
        FileState::Pinned => format!(
            "`{path}` is managed by {at} and differs from what it rendered only in pins moved forward: {}.",
            pins(file)
        ),
        FileState::Deleted => format!(
            "`{path}` ({} by {at}) is missing. Restore it with `{fix}`.",
            file.ownership
        ),
        FileState::Edited => format!(
            "`{path}` is merged with {at} and was edited locally: allowed, the edit is kept and merged on upgrade."
        ),
        FileState::Conflicted => format!(
            "`{path}` is merged with {at} and still holds conflict markers: {}.",
            super::CONFLICT_FIX
        ),
        FileState::Excepted => super::exception_words(file, &at),
        _ => format!("`{path}` of {at} keeps the repo's own version by choice."),
    };
    let properties = json!({
        "component": file.component,
        "ownership": file.ownership,
        "state": file.state,
    });
    result(gp, index, text, path, path, properties)
}

/// The moved pins of a file, in words.
fn pins(file: &FileReport) -> String {
    super::describe_pins(&file.pins).join("; ")
}

/// A result of rule `index` at line 1 of `path`; `identity` tells it apart from the rule's other
/// results of the same golden path.
fn result(
    gp: &GoldenPathReport,
    index: usize,
    text: String,
    path: &str,
    identity: &str,
    mut properties: Value,
) -> Value {
    let rule = &RULES[index];
    let fingerprint = sha256_hex(format!("{}\0{}\0{identity}", rule.id, gp.name).as_bytes());
    if let Some(map) = properties.as_object_mut() {
        map.insert("goldenPath".into(), json!(gp.name));
        map.insert("version".into(), json!(gp.version));
    }
    json!({
        "ruleId": rule.id,
        "ruleIndex": index,
        "level": rule.level,
        "message": {"text": text},
        "locations": [location(path, 1, None)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        "properties": properties,
    })
}

/// A `location` at lines `start_line` to `end_line` of the repo-relative `path`.
pub(crate) fn location(path: &str, start_line: u32, end_line: Option<u32>) -> Value {
    let mut region = json!({"startLine": start_line});
    if let (Some(end_line), Some(map)) = (end_line, region.as_object_mut()) {
        map.insert("endLine".into(), json!(end_line));
    }
    json!({"physicalLocation": {
        "artifactLocation": {"uri": uri_path(path), "uriBaseId": "%SRCROOT%"},
        "region": region,
    }})
}

/// A repo-relative path as a relative URI reference: every byte outside the unreserved and
/// sub-delimiter characters, `@` and `/` is percent-encoded (so `:` never reads as a scheme).
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_are_percent_encoded() {
        assert_eq!(uri_path("deploy/base/pdb.yaml"), "deploy/base/pdb.yaml");
        assert_eq!(uri_path("a b/c:d%é#"), "a%20b/c%3Ad%25%C3%A9%23");
    }

    #[test]
    fn rule_indexes_match_their_ids() {
        assert_eq!(RULES[DRIFTED].id, "pave/drifted");
        assert_eq!(RULES[DELETED].id, "pave/deleted");
        assert_eq!(RULES[EDITED].id, "pave/edited-merged");
        assert_eq!(RULES[DIVERGED].id, "pave/diverged");
        assert_eq!(RULES[LOCK_MISMATCH].id, "pave/lock-mismatch");
        assert_eq!(RULES[CONFLICTED].id, "pave/conflicted");
        assert_eq!(RULES[PINNED].id, "pave/pinned");
        assert_eq!(RULES[EXCEPTED].id, "pave/excepted");
    }
}
