//! The command line, as clap types. Parsed once in `main`; commands receive these.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use pave_engine::audit::{FailOn, Shard};

#[derive(Debug, Parser)]
#[command(
    name = "pave",
    version,
    about = "The paved-path scaffolder: render, check and audit golden paths"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where golden paths come from: `builtin`, a name from `[catalogs]` in config.toml, a
    /// directory of `<name>/<version>/` folders, or a git repository by path or URL (versions are
    /// tags `<name>@<version>`). Default: the config file's `catalog`, else `builtin`. Commands on
    /// an existing repo use it instead of the catalog its lock records.
    #[arg(long, global = true, env = "PAVE_CATALOG", value_name = "CATALOG")]
    pub catalog: Option<String>,
    /// Fetch a git catalog now, instead of when its cache is over an hour old.
    #[arg(long, global = true)]
    pub fetch: bool,
    /// Print only errors and data.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a golden path into a new folder, `git init` it and make the first commit.
    New(NewArgs),
    /// List the golden paths of the catalog and their versions.
    List(FormatArgs),
    /// Show a golden path's parameters, components and file ownership.
    Show(ShowArgs),
    /// Render a golden path (or more of its components) into an existing repo.
    Apply(ApplyArgs),
    /// Take a newer version of the repo's golden path, keeping local changes (3-way merge).
    Upgrade(UpgradeArgs),
    /// Show how the repo differs from a fresh render of its locked golden paths.
    Diff(DiffArgs),
    /// Record a reviewed tailoring of a managed file (an exception), or drop one.
    Except(ExceptArgs),
    /// Audit a fleet: adoption, version lag and drift of every repo below folders or in a list.
    Audit(AuditArgs),
    /// Check that the repo still conforms to its golden paths (the CI gate).
    Check(CheckArgs),
    /// Run the AI-aware quality gates on a change (configured by `.pave/gates.yaml`).
    Gate(GateArgs),
    /// Print the JSON Schema of a pave file.
    Schema(SchemaArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Run the adoption registry's server, manage its tokens, send spooled events.
    Registry(RegistryArgs),
    /// Adoption figures from the registry (the configured one, else the local one).
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// What to count by.
    #[arg(long, value_enum, default_value_t = StatsBy::GoldenPath)]
    pub by: StatsBy,
    /// Instead: repos first adopting a golden path per day (UTC), for the last DAYS days.
    #[arg(long, value_name = "DAYS", num_args = 0..=1, default_missing_value = "30", conflicts_with = "by")]
    pub daily: Option<u32>,
    #[arg(long, value_enum, default_value_t = StatsFormat::Text)]
    pub format: StatsFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsBy {
    GoldenPath,
    /// Each golden path's versions.
    Version,
    Team,
    Train,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatsFormat {
    /// An aligned table.
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Golden path: `name`, `name@1.2.0`, `name@^1.2`, or the path of a golden-path folder.
    pub reference: String,
    /// The folder to create; it must not exist or be empty.
    pub dir: PathBuf,
    #[command(flatten)]
    pub answering: AnsweringArgs,
    /// Render only these components (comma separated); default: the golden path's defaults.
    #[arg(long, value_delimiter = ',', value_name = "COMPONENTS")]
    pub only: Vec<String>,
    /// Print the plan and stop; nothing is written.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not `git init` or commit.
    #[arg(long)]
    pub no_git: bool,
}

/// How answers are given (`new`, `apply`, `upgrade`).
#[derive(Debug, Args)]
pub struct AnsweringArgs {
    /// Answer a parameter: `--set name=value` (lists: `a,b,c`). Repeatable; wins over --answers.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Read answers from a YAML or JSON file of `name: value`.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Never prompt; a missing required answer is an error.
    #[arg(long)]
    pub no_input: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Golden path: `name`, `name@1.2.0`, `name@^1.2`, or the path of a golden-path folder.
    pub reference: String,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaName {
    /// `golden-path.yaml`.
    GoldenPath,
    /// `.pave/lock.yaml`.
    Lock,
    /// `.pave/gates.yaml`.
    Gates,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    #[arg(value_enum)]
    pub name: SchemaName,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The repo to check.
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Output format; repeat it, with an --output per format, to write several in one run.
    #[arg(long, value_enum)]
    pub format: Vec<pave_engine::report::CheckFormat>,
    /// Write the report of the --format just before it to this file instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub output: Vec<PathBuf>,
    /// For each --format, the --output that follows it (filled from the argument positions).
    #[arg(skip)]
    pub output_of_format: Vec<Option<PathBuf>>,
    /// Check from the lock alone: no catalog, so no version lag and no lock verification.
    #[arg(long)]
    pub offline: bool,
    /// Record the result in the registry (one conformance event per golden path).
    #[arg(long)]
    pub report: bool,
}

/// Which gate `pave gate` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GateName {
    /// Changed lines between the merge base and head against the limit.
    PrSize,
    /// Stricter rules for AI-assisted commits: size, tests with source, changed-line coverage.
    AiProvenance,
    /// `pave check` as a gate.
    Conformance,
    /// Every gate the configuration enables, one summary.
    All,
}

#[derive(Debug, Args)]
pub struct GateArgs {
    /// The gate to run.
    #[arg(value_enum)]
    pub gate: GateName,
    /// The repository (any folder inside it).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The base of the change. Default: the CI's target branch (`GITHUB_BASE_REF`,
    /// `CI_MERGE_REQUEST_TARGET_BRANCH_NAME`; `origin/<branch>` when fetched; then
    /// `CI_MERGE_REQUEST_DIFF_BASE_SHA`), else `origin/main`, else `main`.
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// The head of the change.
    #[arg(long, value_name = "REF", default_value = "HEAD")]
    pub head: String,
    /// The gates configuration. Default: `<repo>/.pave/gates.yaml`; when missing, the defaults.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A line coverage report (lcov or Cobertura XML) for the changed-line coverage rule
    /// (`ai-provenance` and `all`).
    #[arg(long, value_name = "FILE")]
    pub coverage: Option<PathBuf>,
    /// Output format; repeat it, with an --output per format, to write several in one run.
    #[arg(long, value_enum)]
    pub format: Vec<pave_engine::gate::format::GateFormat>,
    /// Write the report of the --format just before it to this file instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub output: Vec<PathBuf>,
    /// For each --format, the --output that follows it (filled from the argument positions).
    #[arg(skip)]
    pub output_of_format: Vec<Option<PathBuf>>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Golden path: `name`, `name@1.2.0`, `name@^1.2`, or the path of a golden-path folder.
    pub reference: String,
    /// The repo to apply to.
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub answering: AnsweringArgs,
    /// Apply only these components (comma separated); default: the ones already applied, or
    /// the golden path's defaults on a first apply.
    #[arg(long, value_delimiter = ',', value_name = "COMPONENTS")]
    pub only: Vec<String>,
    /// What to do with an existing file pave does not own: `fail` (the default: list it, write
    /// nothing), `keep` (keep the repo's, recorded as diverged) or `write-new` (pave's beside it as
    /// `<file>.pave-new`); per file as `GLOB=MODE`, repeatable, the first matching glob deciding
    /// (`--conflict 'deploy/**=keep' --conflict write-new`).
    #[arg(long, value_name = "[GLOB=]MODE", action = clap::ArgAction::Append)]
    pub conflict: Vec<String>,
    /// Overwrite existing files pave does not own, and managed files edited locally (a choice
    /// `--conflict keep|write-new` would contradict, so the two are refused together).
    #[arg(long)]
    pub force: bool,
    /// Write even when the git work tree has uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Print the plan and stop; nothing is written.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The repo to compare.
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// A summary per file instead of the diff.
    #[arg(long)]
    pub stat: bool,
    /// Include seeded files (the repo's own after creation), diverged ones (kept by choice) and
    /// excepted ones (a recorded tailoring); all are left out by default, as `pave check`
    /// accepts them.
    #[arg(long)]
    pub all: bool,
    /// Compare with what `pave upgrade --to VERSION` would write instead of the locked version.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// With --to: the golden path, when the repo has several.
    #[arg(long, value_name = "NAME", requires = "to")]
    pub golden_path: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExceptArgs {
    /// Managed files to except (or with --drop, whose exception to drop), as paths from the
    /// repo's root (`deploy/base/networkpolicy.yaml`).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
    /// Why the repo tailors the file; recorded in the lock and shown wherever it is reported.
    /// Needed for a new exception; re-recording a changed tailoring keeps the old reason.
    #[arg(long, value_name = "TEXT", conflicts_with = "drop")]
    pub reason: Option<String>,
    /// Drop the files' exceptions (the tailoring becomes drift until the file is restored).
    #[arg(long)]
    pub drop: bool,
    /// The repo.
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    /// Say what would be recorded; the lock is not written.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    /// The golden path to upgrade; needed only when the repo has several.
    pub golden_path: Option<String>,
    /// The version to go to: exact (`1.2.0`) or a requirement (`^1`); default the newest.
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,
    /// The repo to upgrade.
    #[arg(short = 'C', long = "dir", value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
    #[command(flatten)]
    pub answering: AnsweringArgs,
    /// Overwrite managed files that were edited locally.
    #[arg(long)]
    pub force: bool,
    /// Write even when the git work tree has uncommitted changes.
    #[arg(long)]
    pub allow_dirty: bool,
    /// Print the release notes and the plan and stop; nothing is written.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
#[command(subcommand_negates_reqs = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    /// Folders to search for repos (work trees and bare clones; a repo's own tree is not searched).
    pub dirs: Vec<PathBuf>,
    /// A file of repo paths or git URLs, one per line (URLs are cloned bare into the cache).
    #[arg(long, value_name = "FILE")]
    pub repos_file: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = pave_engine::audit::format::AuditFormat::Text)]
    pub format: pave_engine::audit::format::AuditFormat,
    /// Write the report here instead of stdout.
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Audit a deterministic slice `i/n` of the fleet (for CI runners in parallel).
    #[arg(long, value_name = "I/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Exit 1 when a repo is: `drift`, `unadopted`, `error`, or `lag=patch|minor|major` behind;
    /// or, with --push, when the audit events could not all be delivered (`undelivered`).
    #[arg(long, value_name = "RULE", value_parser = FailOn::parse)]
    pub fail_on: Vec<FailOn>,
    /// From the locks alone: no catalog, so no version lag.
    #[arg(long)]
    pub offline: bool,
    /// Fetch repos listed by URL again instead of using their cached clones.
    #[arg(long)]
    pub fetch: bool,
    /// Record every audited repo in the registry (one audit event per repo).
    #[arg(long)]
    pub push: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Combine the JSON reports of `--shard` runs into one report.
    Merge(AuditMergeArgs),
}

#[derive(Debug, Args)]
pub struct AuditMergeArgs {
    /// JSON reports written by `pave audit --format json`.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = pave_engine::audit::format::AuditFormat::Text)]
    pub format: pave_engine::audit::format::AuditFormat,
    #[arg(long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[arg(long, value_name = "RULE", value_parser = FailOn::parse)]
    pub fail_on: Vec<FailOn>,
}

#[derive(Debug, Args)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Serve the registry's HTTP API (migrating the database first).
    Serve(RegistryServeArgs),
    /// Create, list and revoke the registry's bearer tokens.
    Token(RegistryTokenArgs),
    /// Send the events spooled while the registry was unreachable (exit 1 if some stay).
    Flush,
    /// Delete a repo's records (needs the `admin` scope; recorded in the admin log).
    Repos(RegistryReposArgs),
    /// Remove events older than a period, and repos not heard of since (needs `admin`;
    /// recorded in the admin log).
    Prune(RegistryPruneArgs),
    /// The admin log: every repo deletion and prune, oldest first (needs `admin`).
    Log(RegistryLogArgs),
}

/// Which registry an admin command works on.
#[derive(Debug, Args)]
pub struct RegistryAdminTarget {
    /// Work on this database directly (`sqlite:PATH`, a path, or `postgres://…`, as `pave
    /// registry serve` takes it), recorded as `local`. Without it: the registry `pave stats`
    /// reads (PAVE_REGISTRY_URL with an `admin` token in PAVE_REGISTRY_TOKEN, else the local
    /// one).
    #[arg(long, value_name = "DATABASE")]
    pub database: Option<String>,
}

#[derive(Debug, Args)]
pub struct RegistryReposArgs {
    #[command(subcommand)]
    pub command: RegistryReposCommand,
}

#[derive(Debug, Subcommand)]
pub enum RegistryReposCommand {
    /// Delete every event about a repo and its current state, in one transaction.
    Delete(RegistryRepoDeleteArgs),
}

#[derive(Debug, Args)]
pub struct RegistryRepoDeleteArgs {
    /// The repo's id (`repo_id` in its .pave/lock.yaml and in the API), or the URL the registry
    /// shows for it.
    pub repo: String,
    /// Delete without asking (required where there is no terminal to ask on).
    #[arg(long)]
    pub yes: bool,
    /// Say what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub target: RegistryAdminTarget,
}

#[derive(Debug, Args)]
pub struct RegistryPruneArgs {
    /// Remove events that occurred longer ago than this, and repos not heard of since (a period
    /// such as `400d`, `52w` or `1y`; at least a day). A repo still reporting keeps its current
    /// state.
    #[arg(long, value_name = "PERIOD", value_parser = parse_retention)]
    pub older_than: pave_registry::model::Retention,
    /// Prune without asking (required where there is no terminal to ask on).
    #[arg(long)]
    pub yes: bool,
    /// Say what would be removed; remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub target: RegistryAdminTarget,
}

#[derive(Debug, Args)]
pub struct RegistryLogArgs {
    #[arg(long, value_enum, default_value_t = RegistryLogFormat::Text)]
    pub format: RegistryLogFormat,
    #[command(flatten)]
    pub target: RegistryAdminTarget,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RegistryLogFormat {
    /// One tab-separated line per entry, with a header.
    Text,
    /// `{"entries": […]}`, as `GET /api/v1/admin/log` answers.
    Json,
}

fn parse_retention(text: &str) -> Result<pave_registry::model::Retention, String> {
    pave_registry::model::Retention::parse(text)
}

#[derive(Debug, Args)]
pub struct RegistryDatabaseArgs {
    /// The registry's database: `sqlite:PATH` (or a path) or `postgres://…`. Default: SQLite in
    /// the user data folder (`pave/registry.sqlite`).
    #[arg(long, value_name = "DATABASE")]
    pub database: Option<String>,
}

#[derive(Debug, Args)]
pub struct RegistryServeArgs {
    /// The address to listen on.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7878")]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub database: RegistryDatabaseArgs,
    /// Reads (repos, golden paths, stats, the dashboard) need a token with the `read` scope too.
    #[arg(long)]
    pub read_token_required: bool,
    /// Keep events for this period (`400d`, `52w`, `1y`; at least a day): older ones, and repos
    /// not heard of since, are pruned at start and every hour. Also `retention` in [registry]
    /// of config.toml. Default: keep everything.
    #[arg(
        long,
        value_name = "PERIOD",
        env = "PAVE_REGISTRY_RETENTION",
        value_parser = parse_retention
    )]
    pub retention: Option<pave_registry::model::Retention>,
}

#[derive(Debug, Args)]
pub struct RegistryTokenArgs {
    #[command(subcommand)]
    pub command: RegistryTokenCommand,
}

#[derive(Debug, Subcommand)]
pub enum RegistryTokenCommand {
    /// Create a token and print its secret, alone, once: only its hash is stored.
    Create(RegistryTokenCreateArgs),
    /// List every token (never their secrets), revoked ones too.
    List(RegistryDatabaseArgs),
    /// Revoke a token by id.
    Revoke(RegistryTokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct RegistryTokenCreateArgs {
    /// What the token is for (`ci-payments`).
    #[arg(long)]
    pub name: String,
    /// What it may do (repeat for several): `write` to send events, `read` to read, `admin`.
    #[arg(long = "scope", value_name = "SCOPE", required = true, value_parser = parse_scope)]
    pub scopes: Vec<pave_registry::model::Scope>,
    #[command(flatten)]
    pub database: RegistryDatabaseArgs,
}

#[derive(Debug, Args)]
pub struct RegistryTokenRevokeArgs {
    /// The token's id, as `pave registry token list` shows it.
    pub id: String,
    #[command(flatten)]
    pub database: RegistryDatabaseArgs,
}

fn parse_scope(text: &str) -> Result<pave_registry::model::Scope, String> {
    pave_registry::model::Scope::parse(text)
        .ok_or_else(|| "expected read, write or admin".to_owned())
}

/// `--output`s that do not pair with a `--format`.
#[derive(Debug, thiserror::Error)]
pub enum OutputPairing {
    #[error("--output {} comes before any --format; put it after the format it is for", .0.display())]
    BeforeAnyFormat(PathBuf),
    #[error("two --output paths follow one --format (the second is {})", .0.display())]
    TwoForOneFormat(PathBuf),
}

impl Command {
    /// Pairs `--output`s with their `--format`s for the commands that take several formats.
    pub fn pair_outputs(&mut self, matches: &clap::ArgMatches) -> Result<(), OutputPairing> {
        match (self, matches.subcommand()) {
            (Command::Check(args), Some(("check", sub))) => {
                args.output_of_format = pair_outputs(sub, args.format.len(), &args.output)?;
            }
            (Command::Gate(args), Some(("gate", sub))) => {
                args.output_of_format = pair_outputs(sub, args.format.len(), &args.output)?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// For each of `formats` `--format`s, the `--output` given after it and before the next one,
/// from where they stand on the command line (`--format sarif --output a.sarif --format github`).
pub fn pair_outputs(
    matches: &clap::ArgMatches,
    formats: usize,
    outputs: &[PathBuf],
) -> Result<Vec<Option<PathBuf>>, OutputPairing> {
    let format_at: Vec<usize> = matches
        .indices_of("format")
        .map(Iterator::collect)
        .unwrap_or_default();
    let output_at: Vec<usize> = matches
        .indices_of("output")
        .map(Iterator::collect)
        .unwrap_or_default();
    let mut paired = vec![None; formats];
    for (output, at) in outputs.iter().zip(output_at) {
        let Some(slot) = format_at.iter().rposition(|f| *f < at) else {
            return Err(OutputPairing::BeforeAnyFormat(output.clone()));
        };
        if paired[slot].is_some() {
            return Err(OutputPairing::TwoForOneFormat(output.clone()));
        }
        paired[slot] = Some(output.clone());
    }
    Ok(paired)
}
