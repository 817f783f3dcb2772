//! `pave except`: records (or drops) a reviewed tailoring of a managed file in the lock. Only the
//! lock is written, atomically; the tailored file itself is the repo's edit, committed with it.

use pave_base::repo_path::RepoPath;
use pave_engine::apply::{self, Write};
use pave_engine::catalog::load_locked;
use pave_engine::check::render_entry;
use pave_engine::except::{self, DroppedFile, Outcome};
use pave_model::lock::Lock;

use crate::cli::ExceptArgs;
use crate::error::Error;
use crate::printer::Printer;
use crate::settings::LockCatalogs;

pub fn run(args: &ExceptArgs, catalogs: &LockCatalogs, printer: &Printer) -> Result<u8, Error> {
    let root = &args.dir;
    let mut lock = Lock::read(root)?;
    let paths = args
        .files
        .iter()
        .map(|f| RepoPath::parse(f).map_err(|e| Error::BadFileArgument(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let mut outcomes = Vec::new();
    // One render per golden path, however many of its files are named.
    let mut renders: std::collections::BTreeMap<String, pave_engine::render::Rendered> =
        std::collections::BTreeMap::new();
    for path in &paths {
        let (next, outcome) = if args.drop {
            except::drop(root, &lock, path)?
        } else {
            // Measured against a fresh render of the version the lock records.
            let entry = except::entry_of(&lock, path)?;
            if !renders.contains_key(&entry.name) {
                let catalog = catalogs.open(entry)?;
                let golden_path = load_locked(catalog.as_ref(), entry)?;
                renders.insert(entry.name.clone(), render_entry(&golden_path, entry)?);
            }
            except::record(
                root,
                &lock,
                path,
                args.reason.as_deref(),
                &renders[&entry.name],
            )?
        };
        lock = next;
        outcomes.push(outcome);
    }
    let writes: Vec<Write> = lock
        .files()
        .into_iter()
        .map(|(path, bytes)| Write {
            path,
            bytes,
            is_executable: false,
        })
        .collect();
    if args.dry_run {
        printer.info("dry run: .pave/lock.yaml not written");
    } else {
        apply::write_all(root, &writes)?;
    }
    for outcome in &outcomes {
        match outcome {
            Outcome::Recorded { path, exception } => printer.status(
                "Excepted",
                &format!("{path} ({}): {}", exception.size(), exception.reason),
            ),
            Outcome::Updated { path, exception } => printer.status(
                "Updated",
                &format!(
                    "exception of {path}, now ({}): {}",
                    exception.size(),
                    exception.reason
                ),
            ),
            Outcome::Unchanged { path, .. } => {
                printer.status("Unchanged", &format!("exception of {path}"))
            }
            Outcome::Dropped {
                path,
                golden_path,
                state,
            } => {
                printer.status("Dropped", &format!("exception of {path}"));
                let what = match state {
                    DroppedFile::AsRendered => continue,
                    DroppedFile::Tailored => "still holds its tailoring",
                    DroppedFile::Missing => "is missing",
                };
                printer.info(&format!(
                    "{path} {what}, which is drift now: `pave apply {golden_path} --force --allow-dirty` writes the golden path's version (it writes only the golden path's own files)"
                ));
            }
        }
    }
    if !args.drop && !args.dry_run {
        printer.info(
            "commit the file with .pave/lock.yaml: the lock carries the reason for review, and `pave check` reports the file as excepted",
        );
    }
    Ok(0)
}
