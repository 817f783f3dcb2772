//! Pins in managed files: where they are, what the render looks like without them, and whether
//! a pin moved forward or back (issue 13: the golden path's own Dependabot and Renovate configs
//! bump pinned actions, images and providers in managed files, and every such pull request used
//! to fail `pave check` as drift).
//!
//! A pin is found by its kind ([`PinKind`]) and has one or two *parts*, the byte ranges a bot may
//! rewrite: a GitHub action's reference and `# v…` comment, an image's `:tag@digest`, a Terraform
//! provider's version constraint, a `regex` pin's `version` (and `digest`) group. The *skeleton*
//! of a text is the text with every part replaced by one NUL byte; its SHA-256 is what the lock
//! records ([`LockedPins::sha256`]) beside the rendered part texts ([`LockedPins::values`]).
//! A file whose skeleton hashes alike differs from the render only in its pins, and [`judge`]
//! tells each moved pin's direction. Everything here is pure: text in, findings out.
//!
//! Versions compare "semver-ish" ([`compare_versions`]): the text with every number replaced by
//! `#` must be the same on both sides (`v#`, `#-bookworm`, `~> #`), and the numbers compare
//! component by component (`1.95` < `1.96` = `1.96.0` < `1.100`).

use std::cmp::Ordering;
use std::ops::Range;

use serde::Serialize;

use pave_model::lock::{LockedPins, sha256_hex};
use pave_model::pin::{self, DIGEST_GROUP, Pin, PinKind, VERSION_GROUP};

/// Which moves of a pin are accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// The version compares greater (a commit SHA or digest may change with it).
    Forward,
    /// The same image tag at another digest: the tag was rebuilt (base images are, often).
    Refreshed,
    /// The version compares smaller: drift.
    Backward,
    /// Not comparable: another form (a SHA replaced by a tag, a digest dropped), another variant
    /// (`-bookworm` → `-alpine`), no version to compare, or another commit under the same
    /// version: drift.
    Changed,
}

impl Direction {
    /// Moves `pave check` accepts.
    pub fn is_accepted(self) -> bool {
        matches!(self, Self::Forward | Self::Refreshed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forward => "forward",
            Self::Refreshed => "refreshed",
            Self::Backward => "backward",
            Self::Changed => "changed",
        }
    }
}

/// One pin whose value differs between two texts (the render and the repo's file, or the new
/// render and the repo's file in an upgrade).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinChange {
    /// 1-based line of the pin in the file it is reported for.
    pub line: usize,
    /// What is pinned: `actions/checkout`, `rust`, `aws`, or a `regex` pin's match.
    pub pin: String,
    pub kind: PinKind,
    /// The version on each side, when there is one (`v7.0.1`, `1.95-bookworm`, `~> 5.81`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_version: Option<String>,
    /// The whole value on each side (a reference and its comment, a tag and digest).
    pub from: String,
    pub to: String,
    pub direction: Direction,
    /// What identifies the pin across versions of the file (kind and name, or a `regex` pin's
    /// match without its groups), and the part texts of the `to` side, for an upgrade that
    /// carries the pin over.
    #[serde(skip)]
    key: String,
    #[serde(skip)]
    from_parts: Vec<String>,
    #[serde(skip)]
    to_parts: Vec<String>,
}

/// What a part of a pin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A built-in kind's whole value.
    Value,
    /// A `regex` pin's `version` group.
    Version,
    /// A `regex` pin's `digest` group.
    Digest,
}

/// A pin found in a text.
#[derive(Debug, Clone)]
struct Found {
    kind: PinKind,
    /// Display name (see [`PinChange::pin`]).
    name: String,
    key: String,
    /// Sorted by position, not overlapping.
    parts: Vec<(Role, Range<usize>)>,
}

impl Found {
    fn start(&self) -> usize {
        self.parts.first().map_or(0, |(_, r)| r.start)
    }

    fn texts(&self, text: &str) -> Vec<String> {
        self.parts
            .iter()
            .map(|(_, r)| text[r.clone()].to_owned())
            .collect()
    }
}

/// Pin declarations ready to search texts: `regex` patterns compiled once.
pub struct Finder {
    rules: Vec<(PinKind, Option<regex_lite::Regex>)>,
}

impl Finder {
    /// Compiles `pins`; an error names the pin that cannot be used (a lock edited by hand, as
    /// the manifest and the lock are checked when read).
    pub fn new(pins: &[Pin]) -> Result<Self, String> {
        let mut rules = Vec::new();
        for pin in pins {
            pin.check()?;
            let regex = match (&pin.kind, &pin.pattern) {
                (PinKind::Regex, Some(pattern)) => Some(pin::compile(pattern)?),
                _ => None,
            };
            rules.push((pin.kind, regex));
        }
        Ok(Self { rules })
    }

    /// Every pin of `text`, in the order of their first part; a pin that overlaps one found
    /// before it (two rules finding the same value) is left out.
    fn find(&self, text: &str) -> Vec<Found> {
        let mut all = Vec::new();
        for (kind, regex) in &self.rules {
            match (kind, regex) {
                (PinKind::GithubAction, _) => all.extend(github_actions(text)),
                (PinKind::GitlabCiImage, _) => all.extend(gitlab_ci_images(text)),
                (PinKind::DockerfileFrom, _) => all.extend(dockerfile_froms(text)),
                (PinKind::TerraformProvider, _) => all.extend(terraform_providers(text)),
                (PinKind::Regex, Some(regex)) => all.extend(regex_pins(text, regex)),
                (PinKind::Regex, None) => {}
            }
        }
        all.sort_by_key(Found::start);
        let mut taken: Vec<Range<usize>> = Vec::new();
        let mut out = Vec::new();
        for found in all {
            let overlaps = found
                .parts
                .iter()
                .any(|(_, r)| taken.iter().any(|t| r.start < t.end && t.start < r.end));
            if !overlaps {
                taken.extend(found.parts.iter().map(|(_, r)| r.clone()));
                out.push(found);
            }
        }
        out
    }
}

/// The lock's record of the pins of a rendered file: `None` when no pins are declared for it,
/// it is not text, or none is found in it.
pub fn record(bytes: &[u8], pins: &[Pin]) -> Option<LockedPins> {
    if pins.is_empty() {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    if text.contains('\0') {
        return None;
    }
    let found = Finder::new(pins).ok()?.find(text);
    if found.is_empty() {
        return None;
    }
    Some(LockedPins {
        rules: pins.to_vec(),
        sha256: skeleton_sha256(text, &found),
        values: found.iter().flat_map(|f| f.texts(text)).collect(),
    })
}

/// The pins of `bytes` (the repo's file) that differ from the render `record` describes, each
/// with its direction; `None` when the file differs from the render elsewhere than in its pins
/// (or is not text). An empty list: the pins are as rendered.
pub fn judge(record: &LockedPins, bytes: &[u8]) -> Option<Vec<PinChange>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let found = Finder::new(&record.rules).ok()?.find(text);
    let parts: usize = found.iter().map(|f| f.parts.len()).sum();
    if parts != record.values.len() || skeleton_sha256(text, &found) != record.sha256 {
        return None;
    }
    let mut rendered = record.values.iter();
    let mut changes = Vec::new();
    for f in &found {
        let from_parts: Vec<String> = rendered.by_ref().take(f.parts.len()).cloned().collect();
        let to_parts = f.texts(text);
        if from_parts != to_parts {
            changes.push(change(f, line_of(text, f.start()), from_parts, to_parts));
        }
    }
    Some(changes)
}

/// The pins of `repo` (a file that may also have other edits) that moved forward from `render`,
/// paired by what they pin rather than by position: the n-th `actions/checkout` of the repo with
/// the n-th of the render. For `--force`, which restores drift but keeps the newer pins.
pub fn moved_forward(render: &[u8], repo: &[u8], pins: &[Pin]) -> Vec<PinChange> {
    let (Ok(render), Ok(repo)) = (std::str::from_utf8(render), std::str::from_utf8(repo)) else {
        return Vec::new();
    };
    let Ok(finder) = Finder::new(pins) else {
        return Vec::new();
    };
    let rendered = finder.find(render);
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut out = Vec::new();
    for f in finder.find(repo) {
        let nth = seen.entry(f.key.clone()).or_default();
        let same: Vec<&Found> = rendered.iter().filter(|r| r.key == f.key).collect();
        let Some(r) = same.get(*nth).or(same.last()) else {
            continue;
        };
        *nth += 1;
        let (from, to) = (r.texts(render), f.texts(repo));
        if from.len() != to.len() || from == to {
            continue;
        }
        let change = change(&f, line_of(repo, f.start()), from, to);
        if change.direction.is_accepted() {
            out.push(change);
        }
    }
    out
}

/// `new` (a new render) with the pins the repo moved forward (`moved`, from [`judge`] against
/// the old render) carried over where they are still ahead of the new render: the newer pin wins.
/// A pin the golden path itself moved forward past the repo's stays the golden path's; so does
/// every pin the repo did not move. Returns the text and the pins carried over (`from` the new
/// render's value, `to` the repo's, at the new text's line).
pub fn carry(new: &[u8], pins: &[Pin], moved: &[PinChange]) -> (Vec<u8>, Vec<PinChange>) {
    let unchanged = || (new.to_vec(), Vec::new());
    let Ok(text) = std::str::from_utf8(new) else {
        return unchanged();
    };
    let Ok(finder) = Finder::new(pins) else {
        return unchanged();
    };
    let moved: Vec<&PinChange> = moved.iter().filter(|m| m.direction.is_accepted()).collect();
    if moved.is_empty() {
        return unchanged();
    }
    let mut replacements: Vec<(Range<usize>, String)> = Vec::new();
    let mut kept = Vec::new();
    for f in finder.find(text) {
        let ours = f.texts(text);
        let mut best: Option<&PinChange> = None;
        for m in moved.iter().filter(|m| m.key == f.key) {
            if m.to_parts.len() != ours.len() || m.to_parts == ours {
                continue;
            }
            let wins = match direction(f.kind, &f.parts, &ours, &m.to_parts) {
                Direction::Forward => true,
                // A rebuilt tag the golden path did not touch: the repo's digest is the newer.
                Direction::Refreshed => m.from_parts == ours,
                Direction::Backward | Direction::Changed => false,
            };
            let beats_best = best.is_none_or(|b| {
                direction(f.kind, &f.parts, &b.to_parts, &m.to_parts) == Direction::Forward
            });
            if wins && beats_best {
                best = Some(m);
            }
        }
        if let Some(m) = best {
            for ((_, range), to) in f.parts.iter().zip(&m.to_parts) {
                replacements.push((range.clone(), to.clone()));
            }
            kept.push(change(
                &f,
                line_of(text, f.start()),
                ours,
                m.to_parts.clone(),
            ));
        }
    }
    replacements.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, to) in replacements {
        out.push_str(&text[at..range.start]);
        out.push_str(&to);
        at = range.end;
    }
    out.push_str(&text[at..]);
    (out.into_bytes(), kept)
}

fn change(f: &Found, line: usize, from_parts: Vec<String>, to_parts: Vec<String>) -> PinChange {
    PinChange {
        line,
        pin: f.name.clone(),
        kind: f.kind,
        from_version: version_of(f.kind, &f.parts, &from_parts),
        to_version: version_of(f.kind, &f.parts, &to_parts),
        from: from_parts.join(" "),
        to: to_parts.join(" "),
        direction: direction(f.kind, &f.parts, &from_parts, &to_parts),
        key: f.key.clone(),
        from_parts,
        to_parts,
    }
}

fn skeleton_sha256(text: &str, found: &[Found]) -> String {
    let mut ranges: Vec<&Range<usize>> = found
        .iter()
        .flat_map(|f| f.parts.iter().map(|(_, r)| r))
        .collect();
    ranges.sort_by_key(|r| r.start);
    let mut skeleton = Vec::with_capacity(text.len());
    let mut at = 0;
    for r in ranges {
        skeleton.extend_from_slice(&text.as_bytes()[at..r.start]);
        skeleton.push(0);
        at = r.end;
    }
    skeleton.extend_from_slice(&text.as_bytes()[at..]);
    sha256_hex(&skeleton)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// How a pin's value moved from `from` to `to` (its part texts; `parts` says their roles).
fn direction(
    kind: PinKind,
    parts: &[(Role, Range<usize>)],
    from: &[String],
    to: &[String],
) -> Direction {
    if from == to {
        // Not a move; callers only ask about values that differ.
        return Direction::Refreshed;
    }
    match kind {
        PinKind::GithubAction => {
            let (a, b) = (Action::parse(&from[0]), Action::parse(&to[0]));
            if a.is_sha != b.is_sha || a.comment.is_some() != b.comment.is_some() {
                return Direction::Changed;
            }
            by_version(a.version(), b.version(), false)
        }
        PinKind::DockerfileFrom | PinKind::GitlabCiImage => {
            let (a, b) = (ImageValue::parse(&from[0]), ImageValue::parse(&to[0]));
            if a.tag.is_some() != b.tag.is_some() || a.digest.is_some() != b.digest.is_some() {
                return Direction::Changed;
            }
            // A digest is what a registry prints: `sha256:` and 64 lower-case hex digits. An
            // empty, short or other-algorithm digest is not a bot's bump.
            if b.digest.is_some_and(|d| !is_image_digest(d)) {
                return Direction::Changed;
            }
            match (a.tag, b.tag) {
                (Some(x), Some(y)) => by_version(Some(x), Some(y), a.digest != b.digest),
                // Digest only: which is newer cannot be told.
                _ => Direction::Changed,
            }
        }
        PinKind::TerraformProvider => by_version(Some(&from[0]), Some(&to[0]), false),
        PinKind::Regex => {
            let pick = |role: Role, texts: &[String]| {
                parts
                    .iter()
                    .zip(texts)
                    .find(|((r, _), _)| *r == role)
                    .map(|(_, t)| t.clone())
            };
            let (a, b) = (pick(Role::Version, from), pick(Role::Version, to));
            by_version(a.as_deref(), b.as_deref(), false)
        }
    }
}

/// The direction of a version move; `refreshable`: with the same version, the value changed
/// only where a rebuilt tag changes it (a digest).
fn by_version(from: Option<&str>, to: Option<&str>, refreshable: bool) -> Direction {
    let (Some(from), Some(to)) = (from, to) else {
        return Direction::Changed;
    };
    match compare_versions(from, to) {
        Some(Ordering::Less) => Direction::Forward,
        Some(Ordering::Greater) => Direction::Backward,
        Some(Ordering::Equal) if refreshable && from == to => Direction::Refreshed,
        Some(Ordering::Equal) | None => Direction::Changed,
    }
}

fn version_of(kind: PinKind, parts: &[(Role, Range<usize>)], texts: &[String]) -> Option<String> {
    match kind {
        PinKind::GithubAction => Action::parse(texts.first()?).version().map(str::to_owned),
        PinKind::DockerfileFrom | PinKind::GitlabCiImage => {
            ImageValue::parse(texts.first()?).tag.map(str::to_owned)
        }
        PinKind::TerraformProvider => texts.first().cloned(),
        PinKind::Regex => parts
            .iter()
            .zip(texts)
            .find(|((r, _), _)| *r == Role::Version)
            .map(|(_, t)| t.clone()),
    }
}

/// Compares two versions "semver-ish": `None` when they are not of one form (the text with
/// every run of digits replaced by `#` differs: `v#.#.#` and `#.#.#`, `#-bookworm` and
/// `#-alpine`) or their numbers disagree in direction (`>= 5.0, < 6.0` against
/// `>= 5.1, < 5.9`). Numbers are dot-separated runs of digits compared component by component,
/// a missing component counting as 0; texts without numbers compare equal only to themselves.
pub fn compare_versions(a: &str, b: &str) -> Option<Ordering> {
    let (shape_a, numbers_a) = split_version(a);
    let (shape_b, numbers_b) = split_version(b);
    if shape_a != shape_b || numbers_a.len() != numbers_b.len() {
        return None;
    }
    let mut overall = Ordering::Equal;
    for (x, y) in numbers_a.iter().zip(&numbers_b) {
        match (overall, compare_numbers(x, y)) {
            (_, Ordering::Equal) => {}
            (Ordering::Equal, o) => overall = o,
            (o, p) if o == p => {}
            _ => return None,
        }
    }
    Some(overall)
}

/// The form of a version (`#` for each dotted number) and its dotted numbers.
fn split_version(text: &str) -> (String, Vec<Vec<&str>>) {
    let bytes = text.as_bytes();
    let mut shape = String::new();
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            // Digits, and dots followed by a digit.
            while i < bytes.len()
                && (bytes[i].is_ascii_digit()
                    || (bytes[i] == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            numbers.push(text[start..i].split('.').collect());
            shape.push('#');
        } else {
            let c = text[i..].chars().next().unwrap_or(' ');
            shape.push(c);
            i += c.len_utf8();
        }
    }
    (shape, numbers)
}

fn compare_numbers(a: &[&str], b: &[&str]) -> Ordering {
    let len = a.len().max(b.len());
    for i in 0..len {
        // Leading zeros do not count; a missing component is 0.
        let x = a.get(i).map_or("", |s| s.trim_start_matches('0'));
        let y = b.get(i).map_or("", |s| s.trim_start_matches('0'));
        let ord = x.len().cmp(&y.len()).then_with(|| x.cmp(y));
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

/// A GitHub action's value: `<ref>[ # <comment>]`.
struct Action<'a> {
    reference: &'a str,
    is_sha: bool,
    comment: Option<&'a str>,
}

impl<'a> Action<'a> {
    fn parse(value: &'a str) -> Self {
        let (reference, comment) = match value.split_once('#') {
            Some((r, c)) => (r.trim(), Some(c.trim())),
            None => (value.trim(), None),
        };
        Self {
            reference,
            is_sha: is_commit_sha(reference),
            comment,
        }
    }

    /// The comment's first word when there is a comment (Dependabot's `# v4.1.1`), else the
    /// reference when it is a tag, not a commit.
    fn version(&self) -> Option<&'a str> {
        match self.comment {
            Some(c) => c.split_whitespace().next(),
            None if !self.is_sha => Some(self.reference),
            None => None,
        }
    }
}

fn is_commit_sha(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `sha256:` followed by 64 lower-case hex digits, as registries write an image digest.
fn is_image_digest(digest: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(pave_model::lock::is_sha256_hex)
}

/// An image reference's pinned part: `[:tag][@digest]`.
struct ImageValue<'a> {
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

impl<'a> ImageValue<'a> {
    fn parse(value: &'a str) -> Self {
        let (before, digest) = match value.split_once('@') {
            Some((b, d)) => (b, Some(d)),
            None => (value, None),
        };
        Self {
            tag: before.strip_prefix(':'),
            digest,
        }
    }
}

/// Where the pinned part of an image reference starts in `reference` (its `:tag` or
/// `@digest`), or `None` when it has neither, or is built from variables.
fn image_value_start(reference: &str) -> Option<usize> {
    if reference.contains('$') || reference.contains('{') {
        return None;
    }
    let before_digest = reference.find('@').unwrap_or(reference.len());
    let name_end = reference[..before_digest]
        .rfind(':')
        .filter(|colon| !reference[*colon..before_digest].contains('/'))
        .unwrap_or(before_digest);
    (name_end < reference.len() && name_end > 0).then_some(name_end)
}

/// The pin of an image reference at `at` in the file, if it has a tag or digest.
fn image_pin(kind: PinKind, at: usize, reference: &str) -> Option<Found> {
    let start = image_value_start(reference)?;
    let name = &reference[..start];
    Some(Found {
        kind,
        name: name.to_owned(),
        key: format!("{kind}:{name}"),
        parts: vec![(Role::Value, at + start..at + reference.len())],
    })
}

/// The lines of `text` with their byte offsets, without the line break.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut at = 0;
    text.split_inclusive('\n').map(move |line| {
        let start = at;
        at += line.len();
        (start, line.trim_end_matches(['\n', '\r']))
    })
}

/// `uses: owner/repo[/path]@ref[ # comment]` steps (a local `./action` or `docker://` image is
/// not a pin).
fn github_actions(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for (at, line) in lines(text) {
        let trimmed = line.trim_start();
        let rest = trimmed.strip_prefix("- ").map_or(trimmed, str::trim_start);
        if !rest.starts_with("uses:") {
            continue;
        }
        let after = line.len() - rest.len() + "uses:".len();
        let lead = line[after..].len() - line[after..].trim_start().len();
        let value_start = after + lead;
        let value = line[value_start..].trim_end();
        let Some(sign) = value.find('@') else {
            continue;
        };
        let name = &value[..sign];
        let is_action = name.contains('/')
            && !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
        let reference_end = value[sign + 1..]
            .find(char::is_whitespace)
            .map_or(value.len(), |i| sign + 1 + i);
        let reference = &value[sign + 1..reference_end];
        // The comment goes with the reference only when it is the rest of the line.
        let tail = value[reference_end..].trim_start();
        if !is_action
            || reference.is_empty()
            || reference.contains(['"', '\'', '$'])
            || !(tail.is_empty() || tail.starts_with('#'))
        {
            continue;
        }
        let start = at + value_start + sign + 1;
        out.push(Found {
            kind: PinKind::GithubAction,
            name: name.to_owned(),
            key: format!("{}:{name}", PinKind::GithubAction),
            parts: vec![(Role::Value, start..at + value_start + value.len())],
        });
    }
    out
}

/// `FROM [--flag=…] image[:tag][@digest] [AS stage]` instructions.
fn dockerfile_froms(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    for (at, line) in lines(text) {
        let trimmed = line.trim_start();
        let Some(keyword) = trimmed.get(..4) else {
            continue;
        };
        if !keyword.eq_ignore_ascii_case("FROM") || !trimmed[4..].starts_with([' ', '\t']) {
            continue;
        }
        let mut offset = at + (line.len() - trimmed.len()) + 4;
        let mut rest = &trimmed[4..];
        loop {
            let lead = rest.len() - rest.trim_start().len();
            rest = &rest[lead..];
            offset += lead;
            let word_end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..word_end];
            if word.starts_with("--") {
                rest = &rest[word_end..];
                offset += word_end;
                continue;
            }
            if let Some(found) = image_pin(PinKind::DockerfileFrom, offset, word) {
                out.push(found);
            }
            break;
        }
    }
    out
}

/// A scalar after `key:` on a YAML line: its offset in the line and text, without quotes or a
/// trailing comment.
fn yaml_scalar(line: &str, after: usize) -> Option<(usize, &str)> {
    let rest = &line[after..];
    let lead = rest.len() - rest.trim_start().len();
    let value = &rest[lead..];
    let start = after + lead;
    if let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let end = value[1..].find(quote)?;
        return Some((start + 1, &value[1..1 + end]));
    }
    let end = value.find(" #").unwrap_or(value.len());
    let scalar = value[..end].trim_end();
    (!scalar.is_empty()).then_some((start, scalar))
}

/// GitLab CI images: `image: ref`, `image:` with `name: ref` below it, and `services:` entries
/// (`- ref` or `- name: ref`), read line by line by indentation (block YAML, as GitLab CI files
/// are written; a flow-style `[…]` list is not searched).
fn gitlab_ci_images(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut image_block: Option<usize> = None;
    let mut services_block: Option<usize> = None;
    let mut pin_at = |at: usize, line: &str, after: usize| {
        if let Some((start, scalar)) = yaml_scalar(line, after)
            && let Some(found) = image_pin(PinKind::GitlabCiImage, at + start, scalar)
        {
            out.push(found);
        }
    };
    for (at, line) in lines(text) {
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        let is_item = content.starts_with("- ");
        if image_block.is_some_and(|i| indent <= i) {
            image_block = None;
        }
        if services_block.is_some_and(|s| indent < s || (indent == s && !is_item)) {
            services_block = None;
        }
        let (item_content, item_at) = if is_item {
            let c = content[2..].trim_start();
            (c, line.len() - c.len())
        } else {
            (content, indent)
        };
        let key_value = |key: &str| {
            item_content
                .strip_prefix(key)
                .and_then(|r| r.strip_prefix(':'))
                .filter(|r| r.is_empty() || r.starts_with([' ', '\t']))
                .map(|r| {
                    (
                        r.trim().is_empty() || r.trim_start().starts_with('#'),
                        item_at + key.len() + 1,
                    )
                })
        };
        if let Some((is_block, after)) = key_value("image") {
            if is_block {
                image_block = Some(indent);
            } else {
                pin_at(at, line, after);
            }
            continue;
        }
        if let Some((true, _)) = key_value("services") {
            services_block = Some(indent);
            continue;
        }
        if image_block.is_some() {
            if let Some((false, after)) = key_value("name") {
                pin_at(at, line, after);
            }
            continue;
        }
        if services_block.is_some() {
            if let Some((false, after)) = key_value("name") {
                pin_at(at, line, after);
            } else if is_item && !item_content.contains(": ") && !item_content.ends_with(':') {
                pin_at(at, line, item_at);
            }
        }
    }
    out
}

/// The end of the `{ … }` block that opens at `open` (a `{`), skipping strings and comments.
fn block_end(text: &str, open: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' => depth += 1,
            b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `version = "…"` of each provider in Terraform's `required_providers { name = { … } }`.
fn terraform_providers(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(found) = text[search..].find("required_providers") {
        let keyword = search + found;
        search = keyword + "required_providers".len();
        let after = &text[search..];
        let Some(open) = after.find(|c: char| !c.is_whitespace()) else {
            break;
        };
        if !after[open..].starts_with('{') {
            continue;
        }
        let open = search + open;
        let Some(close) = block_end(text, open) else {
            break;
        };
        let block = &text[open + 1..close];
        let base = open + 1;
        // Each provider: `name = {` … its own `}`.
        let mut i = 0;
        while let Some(eq) = block[i..].find('=') {
            let eq = i + eq;
            let name = block[..eq].trim_end();
            let name_start = name
                .char_indices()
                .rev()
                .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
                .map_or(0, |(p, c)| p + c.len_utf8());
            let name = &name[name_start..];
            let value = block[eq + 1..].trim_start();
            let value_at = block.len() - value.len();
            if name.is_empty() || !value.starts_with('{') {
                i = eq + 1;
                continue;
            }
            let Some(end) = block_end(block, value_at) else {
                break;
            };
            if let Some(found) = provider_version(base + value_at, &block[value_at..end], name) {
                out.push(found);
            }
            i = end + 1;
        }
        search = close;
    }
    out
}

/// The pin of `version = "…"` inside one provider's `{ … }` (`body`, at `at` in the file).
fn provider_version(at: usize, body: &str, name: &str) -> Option<Found> {
    let mut i = 0;
    while let Some(found) = body[i..].find("version") {
        let start = i + found;
        i = start + "version".len();
        let is_word_start = start == 0
            || !body.as_bytes()[start - 1].is_ascii_alphanumeric()
                && body.as_bytes()[start - 1] != b'_';
        let rest = body[i..].trim_start();
        if !is_word_start || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let Some(value) = rest.strip_prefix('"') else {
            continue;
        };
        let end = value.find(['"', '\n'])?;
        if value.as_bytes().get(end) != Some(&b'"') || end == 0 {
            return None;
        }
        let value_at = at + (body.len() - value.len());
        return Some(Found {
            kind: PinKind::TerraformProvider,
            name: name.to_owned(),
            key: format!("{}:{name}", PinKind::TerraformProvider),
            parts: vec![(Role::Value, value_at..value_at + end)],
        });
    }
    None
}

/// Every match of a `regex` pin's pattern with a non-empty `version` group.
fn regex_pins(text: &str, regex: &regex_lite::Regex) -> Vec<Found> {
    let mut out = Vec::new();
    for caps in regex.captures_iter(text) {
        let Some(version) = caps.name(VERSION_GROUP).filter(|m| !m.is_empty()) else {
            continue;
        };
        let whole = caps.get(0).expect("group 0 is the match");
        let mut parts = vec![(Role::Version, version.range())];
        if let Some(digest) = caps.name(DIGEST_GROUP).filter(|m| !m.is_empty()) {
            parts.push((Role::Digest, digest.range()));
        }
        parts.sort_by_key(|(_, r)| r.start);
        if parts.len() == 2 && parts[0].1.end > parts[1].1.start {
            continue;
        }
        // The match without its groups identifies the pin across versions of the file.
        let mut key = String::from("regex:");
        let mut at = whole.start();
        for (_, r) in &parts {
            key.push_str(&text[at..r.start]);
            key.push('\0');
            at = r.end;
        }
        key.push_str(&text[at..whole.end()]);
        let name = key[6..].replace('\0', "…").trim().to_owned();
        out.push(Found {
            kind: PinKind::Regex,
            name,
            key,
            parts,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_image_digest_must_be_a_registrys() {
        let good = format!(":1.96-bookworm@sha256:{}", "a".repeat(64));
        let from = vec![format!(":1.95-bookworm@sha256:{}", "b".repeat(64))];
        assert_eq!(
            direction(PinKind::DockerfileFrom, &[], &from, &[good]),
            Direction::Forward
        );
        for bad in [
            ":1.96-bookworm@sha256:".to_owned(),
            ":1.96-bookworm@sha256:bb".to_owned(),
            ":1.96-bookworm@md5:x".to_owned(),
            format!(":1.96-bookworm@sha256:{}", "A".repeat(64)),
        ] {
            assert_eq!(
                direction(PinKind::DockerfileFrom, &[], &from, &[bad.clone()]),
                Direction::Changed,
                "{bad}"
            );
        }
    }

    fn kind(kind: PinKind) -> Vec<Pin> {
        vec![Pin {
            kind,
            pattern: None,
        }]
    }

    fn regex(pattern: &str) -> Vec<Pin> {
        vec![Pin {
            kind: PinKind::Regex,
            pattern: Some(pattern.into()),
        }]
    }

    /// The values `pins` find in `text`.
    fn values(text: &str, pins: &[Pin]) -> Vec<String> {
        record(text.as_bytes(), pins).map_or_else(Vec::new, |r| r.values)
    }

    /// The directions of the pins that moved from `render` to `repo`; `None`: other changes.
    fn moves(render: &str, repo: &str, pins: &[Pin]) -> Option<Vec<Direction>> {
        let record = record(render.as_bytes(), pins).expect("the render has pins");
        judge(&record, repo.as_bytes()).map(|c| c.iter().map(|c| c.direction).collect())
    }

    const WORKFLOW: &str = "jobs:\n  test:\n    steps:\n      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1\n        with:\n          persist-credentials: false\n      - name: Install\n        uses: taiki-e/install-action@ba47c86ac325773530516bb756137ac718732518 # v2.86.5\n      - uses: ./local-action\n      - uses: docker://alpine:3.20\n      - uses: github/codeql-action/upload-sarif@v4\n";

    #[test]
    fn github_actions_are_found_with_their_comment() {
        assert_eq!(
            values(WORKFLOW, &kind(PinKind::GithubAction)),
            [
                "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
                "ba47c86ac325773530516bb756137ac718732518 # v2.86.5",
                "v4"
            ]
        );
    }

    #[test]
    fn a_dependabot_bump_of_an_action_is_forward() {
        let pins = kind(PinKind::GithubAction);
        let bumped = WORKFLOW.replace(
            "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
            "0123456789abcdef0123456789abcdef01234567 # v7.1.0",
        );
        assert_eq!(
            moves(WORKFLOW, &bumped, &pins),
            Some(vec![Direction::Forward])
        );
        let tag = WORKFLOW.replace("upload-sarif@v4", "upload-sarif@v5");
        assert_eq!(moves(WORKFLOW, &tag, &pins), Some(vec![Direction::Forward]));
        let back = WORKFLOW.replace(
            "3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
            "0123456789abcdef0123456789abcdef01234567 # v6.9.9",
        );
        assert_eq!(
            moves(WORKFLOW, &back, &pins),
            Some(vec![Direction::Backward])
        );
        // Another commit under the same version, a tag instead of a SHA, a lost comment.
        for changed in [
            "0123456789abcdef0123456789abcdef01234567 # v7.0.1",
            "v7.1.0",
            "0123456789abcdef0123456789abcdef01234567",
        ] {
            let repo =
                WORKFLOW.replace("3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", changed);
            assert_eq!(
                moves(WORKFLOW, &repo, &pins),
                Some(vec![Direction::Changed]),
                "{changed}"
            );
        }
        // Another action is not a pin move.
        let other = WORKFLOW.replace("actions/checkout@", "evil/checkout@");
        assert_eq!(moves(WORKFLOW, &other, &pins), None);
        // Nor is any other edit of the file.
        let edited = bumped.replace("persist-credentials: false", "persist-credentials: true");
        assert_eq!(moves(WORKFLOW, &edited, &pins), None);
    }

    const DOCKERFILE: &str = "# syntax=docker/dockerfile:1\nFROM rust:1.95-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1 AS builder\nRUN cargo build\nFROM --platform=linux/amd64 gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f\nFROM builder AS test\nFROM registry:5000/team/img\nFROM ${BASE}:1.0\n";

    #[test]
    fn dockerfile_base_images_are_found() {
        let found = values(DOCKERFILE, &kind(PinKind::DockerfileFrom));
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with(":1.95-bookworm@sha256:6258"));
        assert!(found[1].starts_with(":nonroot@sha256:9dac"));
    }

    #[test]
    fn image_tags_move_forward_and_rebuilt_tags_refresh() {
        let pins = kind(PinKind::DockerfileFrom);
        let digest = "@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1";
        let new_digest = format!("@sha256:{}", "a".repeat(64));
        let bump = DOCKERFILE.replace(
            &format!(":1.95-bookworm{digest}"),
            &format!(":1.96-bookworm{new_digest}"),
        );
        assert_eq!(
            moves(DOCKERFILE, &bump, &pins),
            Some(vec![Direction::Forward])
        );
        let rebuilt = DOCKERFILE.replace(digest, &new_digest);
        assert_eq!(
            moves(DOCKERFILE, &rebuilt, &pins),
            Some(vec![Direction::Refreshed])
        );
        let back = DOCKERFILE.replace(":1.95-bookworm", ":1.94-bookworm");
        assert_eq!(
            moves(DOCKERFILE, &back, &pins),
            Some(vec![Direction::Backward])
        );
        let variant = DOCKERFILE.replace(":1.95-bookworm", ":1.96-alpine");
        assert_eq!(
            moves(DOCKERFILE, &variant, &pins),
            Some(vec![Direction::Changed])
        );
        let no_digest = DOCKERFILE.replace(digest, "");
        assert_eq!(
            moves(DOCKERFILE, &no_digest, &pins),
            Some(vec![Direction::Changed])
        );
        let other_image = DOCKERFILE.replace("FROM rust:", "FROM evil/rust:");
        assert_eq!(moves(DOCKERFILE, &other_image, &pins), None);
    }

    const GITLAB: &str = "default:\n  image: rust:1.95\ntest:\n  image: rust:1.95 # the toolchain\n  script:\n    - cargo test\ngitleaks:\n  image:\n    name: ghcr.io/gitleaks/gitleaks:v8.30.1\n    entrypoint: [\"\"]\n  variables:\n    name: not-an-image:1.0\n.docker:\n  image: \"docker:28\"\n  services:\n    - docker:28-dind\n    - name: postgres:17.2\n      alias: db\n  variables:\n    DOCKER_HOST: tcp://docker:2376\nimage:build:\n  script:\n    - docker build .\ndeploy:\n  image: $CI_REGISTRY_IMAGE:latest\n  environment:\n    name: prod\n";

    #[test]
    fn gitlab_ci_images_are_found_by_their_keys() {
        assert_eq!(
            values(GITLAB, &kind(PinKind::GitlabCiImage)),
            [":1.95", ":1.95", ":v8.30.1", ":28", ":28-dind", ":17.2"]
        );
        let bumped = GITLAB.replace("gitleaks:v8.30.1", "gitleaks:v8.31.0");
        assert_eq!(
            moves(GITLAB, &bumped, &kind(PinKind::GitlabCiImage)),
            Some(vec![Direction::Forward])
        );
    }

    const VERSIONS_TF: &str = "terraform {\n  required_version = \">= 1.6.0\"\n\n  required_providers {\n    aws = {\n      source = \"hashicorp/aws\"\n      # 5.81 made thumbprint_list optional; stay on major 5.\n      version = \"~> 5.81\"\n    }\n    random = { source = \"hashicorp/random\", version = \">= 3.6, < 4.0\" }\n  }\n  backend \"s3\" {}\n}\n";

    #[test]
    fn terraform_provider_versions_are_found_and_compared() {
        let pins = kind(PinKind::TerraformProvider);
        assert_eq!(values(VERSIONS_TF, &pins), ["~> 5.81", ">= 3.6, < 4.0"]);
        let bump = VERSIONS_TF.replace("~> 5.81", "~> 5.100");
        assert_eq!(
            moves(VERSIONS_TF, &bump, &pins),
            Some(vec![Direction::Forward])
        );
        let range = VERSIONS_TF.replace(">= 3.6, < 4.0", ">= 3.7, < 5.0");
        assert_eq!(
            moves(VERSIONS_TF, &range, &pins),
            Some(vec![Direction::Forward])
        );
        let mixed = VERSIONS_TF.replace(">= 3.6, < 4.0", ">= 3.7, < 3.9");
        assert_eq!(
            moves(VERSIONS_TF, &mixed, &pins),
            Some(vec![Direction::Changed])
        );
        let operator = VERSIONS_TF.replace("~> 5.81", ">= 5.81");
        assert_eq!(
            moves(VERSIONS_TF, &operator, &pins),
            Some(vec![Direction::Changed])
        );
        let required = VERSIONS_TF.replace(">= 1.6.0", ">= 1.7.0");
        assert_eq!(moves(VERSIONS_TF, &required, &pins), None);
        // A name ending in a character of several bytes is cut at a character boundary (and is
        // not a provider's local name, which is ASCII).
        let odd = "required_providers {\n  é= { version = \"1.0\" }\n}\n";
        assert!(values(odd, &pins).is_empty());
    }

    #[test]
    fn regex_pins_use_their_version_and_digest_groups() {
        let pins = regex(r"tool (?P<version>\d+\.\d+\.\d+) sha=(?P<digest>[0-9a-f]+)");
        let text = "install:\n  tool 1.2.3 sha=abc123\n  other 1.0.0\n";
        assert_eq!(values(text, &pins), ["1.2.3", "abc123"]);
        let bump = text.replace("1.2.3 sha=abc123", "1.3.0 sha=def456");
        assert_eq!(moves(text, &bump, &pins), Some(vec![Direction::Forward]));
        let digest_only = text.replace("abc123", "def456");
        assert_eq!(
            moves(text, &digest_only, &pins),
            Some(vec![Direction::Changed])
        );
        let unpinned = text.replace("other 1.0.0", "other 2.0.0");
        assert_eq!(moves(text, &unpinned, &pins), None);
    }

    #[test]
    fn versions_compare_semver_ish() {
        use Ordering::*;
        for (a, b, expected) in [
            ("1.95", "1.96", Some(Less)),
            ("1.95", "1.95.0", Some(Equal)),
            ("1.9", "1.10", Some(Less)),
            ("v2.86.5", "v2.100.0", Some(Less)),
            ("v7.0.1", "v6.9.9", Some(Greater)),
            ("20240101", "20250101", Some(Less)),
            ("1.95-bookworm", "1.96-bookworm", Some(Less)),
            ("1.95-bookworm", "1.96-trixie", None),
            ("v1.2.3", "1.2.4", None),
            ("1.2.3-rc.1", "1.2.3", None),
            ("nonroot", "nonroot", Some(Equal)),
            ("nonroot", "latest", None),
            ("3.20-alpine3.20", "3.21-alpine3.21", Some(Less)),
        ] {
            assert_eq!(compare_versions(a, b), expected, "{a} vs {b}");
        }
    }

    #[test]
    fn carry_keeps_the_repo_pins_that_are_ahead_of_the_new_render() {
        let pins = kind(PinKind::GithubAction);
        let old =
            "- uses: actions/checkout@v4\n- uses: actions/cache@v3\n- uses: actions/setup@v1\n";
        // The repo moved checkout to v6 and cache to v4.
        let repo =
            "- uses: actions/checkout@v6\n- uses: actions/cache@v4\n- uses: actions/setup@v1\n";
        let moved = judge(&record(old.as_bytes(), &pins).unwrap(), repo.as_bytes()).unwrap();
        assert_eq!(moved.len(), 2);
        // The new version moves checkout to v5 (behind the repo), cache to v5 (ahead of the repo),
        // setup back to v0 (the repo did not move it), and adds a step.
        let new = "- uses: actions/checkout@v5\n- uses: actions/cache@v5\n- uses: actions/setup@v0\n- run: make\n";
        let (out, kept) = carry(new.as_bytes(), &pins, &moved);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "- uses: actions/checkout@v6\n- uses: actions/cache@v5\n- uses: actions/setup@v0\n- run: make\n"
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(
            (
                kept[0].pin.as_str(),
                kept[0].from.as_str(),
                kept[0].to.as_str()
            ),
            ("actions/checkout", "v5", "v6")
        );
    }

    #[test]
    fn a_refreshed_digest_is_carried_only_where_the_golden_path_kept_the_tag_and_digest() {
        let pins = kind(PinKind::DockerfileFrom);
        let (a, b, c) = ("a".repeat(64), "b".repeat(64), "c".repeat(64));
        let old = format!("FROM rust:1.95@sha256:{a}\n");
        let repo = format!("FROM rust:1.95@sha256:{b}\n");
        let moved = judge(&record(old.as_bytes(), &pins).unwrap(), repo.as_bytes()).unwrap();
        let (out, _) = carry(old.as_bytes(), &pins, &moved);
        assert_eq!(out, repo.as_bytes());
        let new = format!("FROM rust:1.95@sha256:{c}\n");
        let (out, kept) = carry(new.as_bytes(), &pins, &moved);
        assert_eq!(out, new.as_bytes());
        assert!(kept.is_empty());
    }

    #[test]
    fn pins_moved_forward_in_an_edited_file_are_found_by_what_they_pin() {
        let pins = kind(PinKind::GithubAction);
        let render = "- uses: actions/checkout@v4\n- uses: actions/cache@v3\n";
        let repo = "- run: echo hi\n- uses: actions/cache@v2\n- uses: actions/checkout@v5\n";
        let moved = moved_forward(render.as_bytes(), repo.as_bytes(), &pins);
        assert_eq!(moved.len(), 1);
        assert_eq!(
            (moved[0].pin.as_str(), moved[0].line),
            ("actions/checkout", 3)
        );
        let (out, _) = carry(render.as_bytes(), &pins, &moved);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "- uses: actions/checkout@v5\n- uses: actions/cache@v3\n"
        );
    }

    proptest::proptest! {
        /// Whatever a repo's file holds, finding pins never panics, and a text judged against
        /// its own record has no moved pins.
        #[test]
        fn any_text_is_searched_without_panic(
            text in "(uses: |FROM |image: |services:\n  - |required_providers \\{|version = \"|[a-z/:@#.{}=\"\n -]|é|…|\\d){0,60}"
        ) {
            let all = vec![
                Pin { kind: PinKind::GithubAction, pattern: None },
                Pin { kind: PinKind::GitlabCiImage, pattern: None },
                Pin { kind: PinKind::DockerfileFrom, pattern: None },
                Pin { kind: PinKind::TerraformProvider, pattern: None },
                Pin { kind: PinKind::Regex, pattern: Some("v(?P<version>[0-9.]+)".into()) },
            ];
            if let Some(record) = record(text.as_bytes(), &all) {
                proptest::prop_assert_eq!(judge(&record, text.as_bytes()), Some(Vec::new()));
            }
            let _ = moved_forward(text.as_bytes(), text.as_bytes(), &all);
        }
    }

    #[test]
    fn texts_without_pins_record_none() {
        assert!(record(b"no pins here\n", &kind(PinKind::GithubAction)).is_none());
        assert!(record(WORKFLOW.as_bytes(), &[]).is_none());
        assert!(record(b"\xff\xfe", &kind(PinKind::GithubAction)).is_none());
    }
}
