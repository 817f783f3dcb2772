//! `pave list`: the catalog's golden paths and their versions.

use crate::cli::{Format, FormatArgs};
use crate::error::Error;
use crate::printer::Printer;
use crate::settings::CatalogChoice;

pub fn run(args: &FormatArgs, catalog: &CatalogChoice, printer: &Printer) -> Result<u8, Error> {
    let catalog = catalog.open();
    let listings = catalog.list()?;
    match args.format {
        Format::Json => {
            let json: Vec<_> = listings
                .iter()
                .map(|l| {
                    serde_json::json!({
                        "name": l.name,
                        "summary": l.summary,
                        "versions": l.versions.iter().map(ToString::to_string).collect::<Vec<_>>(),
                        "latest": l.versions.iter().filter(|v| v.pre.is_empty()).max().map(ToString::to_string),
                    })
                })
                .collect();
            printer.data(
                &serde_json::to_string_pretty(&serde_json::json!({
                    "catalog": catalog.describe(),
                    "golden_paths": json,
                }))
                .expect("JSON values serialise"),
            )?;
        }
        Format::Text => {
            let width = listings.iter().map(|l| l.name.len()).max().unwrap_or(0);
            let mut out = String::new();
            for l in &listings {
                let versions: Vec<String> =
                    l.versions.iter().rev().map(ToString::to_string).collect();
                out.push_str(&format!(
                    "{:<width$}  {:<16}  {}\n",
                    l.name,
                    versions.join(", "),
                    l.summary
                ));
            }
            if listings.is_empty() {
                printer.info(&format!(
                    "the {} catalog has no golden paths",
                    catalog.describe()
                ));
            }
            printer.data(&out)?;
        }
    }
    Ok(0)
}
