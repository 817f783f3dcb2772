//! One thin file per subcommand: read the arguments, call the engine, print the outcome. What
//! several commands print the same way is here: plans, and reports in several formats.

pub mod apply;
pub mod audit;
pub mod check;
pub mod diff;
pub mod except;
pub mod gate;
pub mod list;
pub mod new;
pub mod registry;
pub mod registry_admin;
pub mod schema;
pub mod show;
pub mod stats;
pub mod upgrade;

use std::path::{Path, PathBuf};

use pave_engine::answers::{self, GivenAnswers};
use pave_engine::git::{self, WorkTree};
use pave_engine::pins::PinChange;
use pave_engine::plan::{Action, Plan};
use pave_engine::upgrade::{Step, UpgradePlan};

use crate::cli::AnsweringArgs;
use crate::error::Error;
use crate::printer::Printer;

/// The last component of `dir` made absolute (`.` is the current folder's name): what a
/// templated default such as `{{ target_name }}` sees.
pub(crate) fn folder_name(dir: &Path) -> String {
    std::path::absolute(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// The answers given on the command line: the `--answers` file, then each `--set` (which wins).
pub(crate) fn given_answers(args: &AnsweringArgs) -> Result<GivenAnswers, Error> {
    let mut given = GivenAnswers::new();
    if let Some(path) = &args.answers {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.clone(),
            source,
        })?;
        given.extend(answers::read_file(path, &text)?);
    }
    for arg in &args.set {
        let (name, value) = answers::parse_set(arg)?;
        given.insert(name, value);
    }
    Ok(given)
}

/// Refuses a dirty work tree unless `allow_dirty` (pave's changes must be reviewable and
/// undoable); outside a git repository, warns that nothing will show what changed.
pub(crate) fn check_work_tree(
    root: &Path,
    allow_dirty: bool,
    is_dry_run: bool,
    printer: &Printer,
) -> Result<(), Error> {
    match git::work_tree(root)? {
        // A dry run writes nothing, so it has nothing to protect; it says what the real run will
        // meet.
        WorkTree::Dirty(paths) if !allow_dirty && is_dry_run => {
            printer.warn(&format!(
                "{} has uncommitted changes ({}): this dry run goes on, but the real run will refuse them unless you commit or stash them, or pass --allow-dirty",
                root.display(),
                paths.join(", ")
            ));
            Ok(())
        }
        WorkTree::Dirty(paths) if !allow_dirty => Err(Error::DirtyWorkTree {
            path: root.to_owned(),
            examples: paths,
        }),
        WorkTree::NoRepo => {
            printer.warn(&format!(
                "{} is not in a git repository: pave cannot show what it changed, review the files it writes",
                root.display()
            ));
            Ok(())
        }
        WorkTree::Dirty(_) | WorkTree::Clean => Ok(()),
    }
}

/// A file of a plan as printed: `  create    Dockerfile  managed app`.
struct PlanRow<'a> {
    action: &'a str,
    path: &'a str,
    /// Who owns it and why the action, dimmed.
    note: String,
    /// After the note (`(from old/path)`).
    suffix: String,
}

/// Warns once per catalog when a lock just written (its entry `only`, else all) records one only this machine can find (a
/// folder with no `origin` URL and no name): CI and other checkouts will not see its lag, nor
/// `diff` or `upgrade` against it, until it has one.
pub fn warn_if_not_portable(printer: &Printer, lock: &pave_model::lock::Lock, only: Option<&str>) {
    let mut warned = std::collections::BTreeSet::new();
    let written = lock
        .golden_paths
        .iter()
        .filter(|e| only.is_none_or(|name| e.name == name));
    for entry in written {
        let Ok(id) = pave_model::catalog_id::CatalogId::parse(&entry.catalog) else {
            continue;
        };
        if id.is_portable() || !warned.insert(entry.catalog.as_str()) {
            continue;
        }
        printer.warn(&format!(
            "the lock records catalog `{}` for {}: a folder only this machine knows, so CI and other checkouts will not find it; give the catalog's repository an `origin` remote (its URL is recorded), or name it under [catalogs] in {} and pass --catalog <name>",
            entry.catalog,
            entry.name,
            crate::settings::ConfigFile::shown()
        ));
    }
}

/// Prints plan rows to stderr, paths in one column as wide as the longest path of the plan
/// (`width`), then how many files stay as they are (`rest`, e.g. "file(s) unchanged").
fn print_rows(printer: &Printer, rows: &[PlanRow<'_>], width: usize, rest: (usize, &str)) {
    for row in rows {
        printer.info(&format!(
            "  {:<9} {:<width$}  {}{}",
            row.action,
            row.path,
            printer.dim(&row.note),
            row.suffix
        ));
    }
    if rest.0 > 0 {
        printer.info(&format!("  {} {}", rest.0, rest.1));
    }
}

/// The repo's pins a plan keeps because they are newer than the render's, as a row suffix.
fn kept_pins(pins: &[PinChange]) -> String {
    if pins.is_empty() {
        return String::new();
    }
    let named: Vec<String> = pins
        .iter()
        .map(|p| {
            let version = p.to_version.as_deref().unwrap_or(p.to.as_str());
            format!("{} {version}", p.pin)
        })
        .collect();
    format!(" (keeps the repo's newer pins: {})", named.join(", "))
}

/// Prints the plan of `new` or `apply`: one line per file that changes, a count of the others.
pub(crate) fn print_plan(printer: &Printer, plan: &Plan) {
    let width = plan.files.iter().map(|f| f.path.as_str().len()).max();
    let rows: Vec<PlanRow<'_>> = plan
        .files
        .iter()
        .filter(|f| f.action != Action::Unchanged)
        .map(|file| {
            let owner = match (&file.ownership, &file.component) {
                (Some(o), Some(c)) => format!("{o:<7} {c}"),
                _ => "pave".to_owned(),
            };
            PlanRow {
                action: file.action.as_str(),
                path: file.path.as_str(),
                note: match file.reason {
                    Some(reason) => format!("{owner}  ({reason})"),
                    None => owner,
                },
                suffix: kept_pins(&file.kept_pins),
            }
        })
        .collect();
    let unchanged = plan.count(Action::Unchanged);
    print_rows(
        printer,
        &rows,
        width.unwrap_or(0),
        (unchanged, "file(s) unchanged"),
    );
}

/// Prints the plan of `upgrade`: one line per file it touches, a count of the ones it keeps.
pub(crate) fn print_upgrade_plan(printer: &Printer, plan: &UpgradePlan) {
    let width = plan.files.iter().map(|f| f.path.as_str().len()).max();
    let rows: Vec<PlanRow<'_>> = plan
        .files
        .iter()
        .filter(|f| f.step != Step::Keep || !f.kept_pins.is_empty())
        .map(|f| {
            let mut suffix = f
                .moved_from
                .as_ref()
                .map(|p| format!(" (from {p})"))
                .unwrap_or_default();
            suffix.push_str(&kept_pins(&f.kept_pins));
            PlanRow {
                action: f.step.as_str(),
                path: f.path.as_str(),
                note: f.ownership.map(|o| o.to_string()).unwrap_or_default(),
                suffix,
            }
        })
        .collect();
    let kept = plan
        .files
        .iter()
        .filter(|f| f.step == Step::Keep && f.kept_pins.is_empty())
        .count();
    print_rows(
        printer,
        &rows,
        width.unwrap_or(0),
        (kept, "file(s) kept as they are"),
    );
}

/// The `--format`s of a report and where each goes (`None`: stdout, also for `--output -`), from
/// the formats and the outputs paired with them (`cli::pair_outputs`, which refuses an output
/// without a format); `default` when no format is given. At most one format may go to stdout, and
/// no two to one file.
pub(crate) fn report_targets<F: Copy>(
    formats: &[F],
    paired: &[Option<PathBuf>],
    default: F,
) -> Result<Vec<(F, Option<PathBuf>)>, Error> {
    let targets: Vec<(F, Option<PathBuf>)> = if formats.is_empty() {
        vec![(default, None)]
    } else {
        formats
            .iter()
            .enumerate()
            .map(|(i, f)| (*f, file_output(paired.get(i).cloned().flatten().as_deref())))
            .collect()
    };
    if targets.iter().filter(|(_, out)| out.is_none()).count() > 1 {
        return Err(Error::SeveralToStdout);
    }
    let mut seen = std::collections::BTreeSet::new();
    if let Some(path) = targets
        .iter()
        .filter_map(|(_, out)| out.as_ref())
        .map(|path| (path, resolved(path)))
        // Two reports into one device (`/dev/null`) overwrite nothing.
        .filter(|(_, real)| !real.exists() || real.is_file())
        .find(|(_, real)| !seen.insert(real.clone()))
        .map(|(path, _)| path)
    {
        return Err(Error::SameOutputTwice { path: path.clone() });
    }
    Ok(targets)
}

/// The file `path` names, links and `..` resolved, whether or not it exists yet: two spellings
/// of one file resolve alike.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(real) = std::fs::canonicalize(path) {
        return real;
    }
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    match (absolute.parent(), absolute.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|dir| dir.join(name))
            .unwrap_or(absolute.clone()),
        _ => absolute,
    }
}

/// An `--output` path, or `None` for `-` (stdout, as most tools read it).
pub(crate) fn file_output(output: Option<&Path>) -> Option<PathBuf> {
    output.filter(|p| *p != Path::new("-")).map(Path::to_owned)
}

/// Writes each rendered report to its file, or to stdout. A report for a regular file (or a new
/// one) is written beside its target first and moved into place only when all are written, so an
/// `--output` that cannot be written leaves no report replaced and none half written.
pub(crate) fn write_reports<F: Copy + clap::ValueEnum>(
    targets: &[(F, Option<PathBuf>)],
    render: impl Fn(F) -> String,
    printer: &Printer,
) -> Result<(), Error> {
    let mut staged = Vec::new();
    let mut to_stdout = None;
    for (format, output) in targets {
        let text = render(*format);
        let name = format
            .to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default();
        match output {
            Some(path) => staged.push((stage(path, text)?, path, format!("{name} report"))),
            None => to_stdout = Some(text),
        }
    }
    for (report, path, what) in staged {
        put_in_place(report, path, &what, printer)?;
    }
    match to_stdout {
        Some(text) => Ok(printer.data(&text)?),
        None => Ok(()),
    }
}

/// Writes a report to `output` (saying so; all or nothing) or to stdout.
pub(crate) fn write_report(
    text: &str,
    output: Option<&Path>,
    what: &str,
    printer: &Printer,
) -> Result<(), Error> {
    match file_output(output) {
        Some(path) => put_in_place(stage(&path, text.to_owned())?, &path, what, printer),
        None => Ok(printer.data(text)?),
    }
}

/// A report ready to be put in place.
enum Staged {
    /// Written to a temp file beside a regular (or new) target, to be renamed over it.
    Beside(tempfile::NamedTempFile),
    /// For anything else — `/dev/null`, a pipe, a symbolic link — written to the path itself
    /// when put in place: renaming over it would replace the device, pipe or link with a file.
    InPlace(String),
}

/// Prepares the report `text` for `path`: in a new file beside it when `path` is a regular file
/// or does not exist yet.
fn stage(path: &Path, text: String) -> Result<Staged, Error> {
    let failed = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => return Err(failed(std::io::ErrorKind::IsADirectory.into())),
        Ok(meta) if !meta.is_file() => return Ok(Staged::InPlace(text)),
        _ => {}
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(failed(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "its folder does not exist",
        )));
    }
    let mut builder = tempfile::Builder::new();
    builder.prefix(".pave-report-");
    // Readable as a report written in place would be (0666 less the umask), not 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut file = builder.tempfile_in(dir).map_err(failed)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(failed)?;
    Ok(Staged::Beside(file))
}

fn put_in_place(report: Staged, path: &Path, what: &str, printer: &Printer) -> Result<(), Error> {
    let failed = |source| Error::Write {
        path: path.to_owned(),
        source,
    };
    match report {
        Staged::Beside(file) => file.persist(path).map(drop).map_err(|e| failed(e.error))?,
        Staged::InPlace(text) => std::fs::write(path, text).map_err(failed)?,
    }
    printer.status("Wrote", &format!("{what} to {}", path.display()));
    Ok(())
}
