//! `pave new`: render a golden path into a new folder, record it in the lock, `git init` and
//! commit (the engine's [`scaffold`](pave_engine::scaffold): all or nothing), then record the
//! adoption in the registry.

use pave_engine::answers::Target;
use pave_engine::git;
use pave_engine::plan::Action;
use pave_engine::remote::Remote;
use pave_engine::scaffold::{self, FirstCommit};
use pave_registry::model::AdoptionCommand;

use crate::cli::NewArgs;
use crate::error::Error;
use crate::printer::Printer;
use crate::prompt::Prompter;
use crate::settings::{CatalogChoice, ConfigFile, RegistryChoice};

pub fn run(
    args: &NewArgs,
    catalog: &CatalogChoice,
    config: &ConfigFile,
    registry: &RegistryChoice,
    printer: &Printer,
) -> Result<u8, Error> {
    scaffold::check_target(&args.dir)?;
    let golden_path = catalog.load(&args.reference, config)?;
    let given = super::given_answers(&args.answering)?;
    let mut prompter = Prompter::new(args.answering.no_input);
    // The repo is new: no remote to take defaults such as the organisation from.
    let target = Target {
        name: super::folder_name(&args.dir),
        remote: Remote::NewRepo,
    };
    let scaffold = scaffold::scaffold(&golden_path, &given, &target, &args.only, prompter.asker())?;
    let plan = scaffold.plan(&args.dir);
    super::print_plan(printer, &plan);

    if args.dry_run {
        printer.status(
            "Dry run",
            &format!(
                "{} files would be created in {}; nothing written",
                plan.count(Action::Create),
                args.dir.display()
            ),
        );
        return Ok(0);
    }

    let message = scaffold.commit_message();
    let author = git_author();
    let first_commit = (!args.no_git).then_some(FirstCommit {
        message: &message,
        author: &author,
    });
    let commit = scaffold::create(&args.dir, &plan, first_commit)?;
    if let Some(commit) = &commit
        && commit.used_fallback_author
    {
        printer.warn(&format!(
            "git has no user.name/user.email; committed as {} <{}> (set them with `git config --global user.name …`)",
            git::FALLBACK_AUTHOR.0,
            git::FALLBACK_AUTHOR.1
        ));
    }
    let commit_note = match &commit {
        Some(c) => format!(", commit {} on {}", &c.id[..c.id.len().min(12)], c.branch),
        None => String::new(),
    };
    printer.status(
        "Created",
        &format!(
            "{} from {} ({} files{commit_note})",
            args.dir.display(),
            scaffold.golden_path,
            plan.files.len()
        ),
    );
    super::warn_if_not_portable(printer, &scaffold.lock, None);
    let events = crate::record::adoptions(AdoptionCommand::New, &scaffold.lock, &args.dir, None);
    super::registry::record(registry, events, printer);
    Ok(0)
}

/// The commit's author from `GIT_AUTHOR_NAME` and `GIT_AUTHOR_EMAIL`, when set (else git's
/// config decides).
fn git_author() -> git::Author {
    let var = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
    git::Author {
        name: var("GIT_AUTHOR_NAME"),
        email: var("GIT_AUTHOR_EMAIL"),
    }
}
