//! `pave schema`: the JSON Schemas of pave's files, generated from the Rust types (schemars).
//! The committed copies in `schemas/` are checked against these by a test.

use crate::cli::{SchemaArgs, SchemaName};
use crate::error::Error;
use crate::printer::Printer;

pub fn run(args: &SchemaArgs, printer: &Printer) -> Result<u8, Error> {
    let schema = match args.name {
        SchemaName::GoldenPath => pave_base::schema::of::<pave_model::manifest::Manifest>(),
        SchemaName::Lock => pave_model::lock::schema(),
        SchemaName::Gates => pave_base::schema::of::<pave_engine::gate::config::GatesConfig>(),
    };
    printer.data(&schema)?;
    Ok(0)
}
