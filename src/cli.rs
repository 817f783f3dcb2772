//! The command line, as clap types. Parsed once in `main`; commands receive these.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
    /// Where golden paths come from: `builtin` or a directory of `<name>/<version>/` folders.
    #[arg(long, global = true, env = "PAVE_CATALOG", value_name = "CATALOG")]
    pub catalog: Option<String>,
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
    /// Print the JSON Schema of a pave file.
    Schema(SchemaArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

#[derive(Debug, Args)]
pub struct NewArgs {
    /// Golden path: `name`, `name@1.2.0`, `name@^1.2`, or the path of a golden-path folder.
    pub reference: String,
    /// The folder to create; it must not exist or be empty.
    pub dir: PathBuf,
    /// Answer a parameter: `--set name=value` (lists: `a,b,c`). Repeatable; wins over --answers.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Read answers from a YAML or JSON file of `name: value`.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Never prompt; a missing required answer is an error.
    #[arg(long)]
    pub no_input: bool,
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
