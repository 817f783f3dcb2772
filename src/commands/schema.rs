//! `pave schema`: the JSON Schemas of pave's files, generated from the Rust types (schemars).
//! The committed copies in `schemas/` are checked against these by a test.

use crate::cli::{SchemaArgs, SchemaName};
use crate::error::Error;
use crate::printer::Printer;

pub fn run(args: &SchemaArgs, printer: &Printer) -> Result<u8, Error> {
    printer.data(&schema(args.name));
    Ok(0)
}

pub fn schema(name: SchemaName) -> String {
    match name {
        SchemaName::GoldenPath => pretty(schemars::schema_for!(crate::manifest::Manifest)),
        SchemaName::Lock => lock_schema(),
        SchemaName::Gates => pretty(schemars::schema_for!(crate::gate::config::GatesConfig)),
    }
}

pub fn lock_schema() -> String {
    pretty(schemars::schema_for!(crate::lock::Lock))
}

fn pretty(schema: schemars::Schema) -> String {
    serde_json::to_string_pretty(&schema).expect("schemas serialise") + "\n"
}
