//! `pave show`: a golden path's parameters (type, default, constraint, help), components, and
//! which files each component renders with which ownership and pins.

use pave_engine::catalog::GoldenPath;
use pave_engine::render::{self, OutlineFile};
use pave_model::manifest::Manifest;

use crate::cli::{Format, ShowArgs};
use crate::error::Error;
use crate::printer::Printer;
use crate::settings::{CatalogChoice, ConfigFile};

pub fn run(
    args: &ShowArgs,
    catalog: &CatalogChoice,
    config: &ConfigFile,
    printer: &Printer,
) -> Result<u8, Error> {
    let golden_path = catalog.load(&args.reference, config)?;
    let files = render::outline(&golden_path);
    let m = &golden_path.manifest;
    match args.format {
        Format::Json => {
            let json = serde_json::json!({
                "name": m.name,
                "version": m.version.to_string(),
                "summary": m.summary,
                "owners": m.owners,
                "catalog": golden_path.source,
                "parameters": m.parameters.iter().map(|(name, p)| {
                    let mut value = serde_json::to_value(&p.value).expect("parameters serialise");
                    value["name"] = serde_json::Value::String(name.clone());
                    value
                }).collect::<Vec<_>>(),
                "components": m.components.iter().map(|(name, c)| serde_json::json!({
                    "name": name, "summary": c.summary, "default": c.default,
                    "files": files.iter().filter(|f| f.component == *name).map(|f| serde_json::json!({
                        "path": f.path, "ownership": f.ownership, "condition": f.condition,
                        "pins": f.pins,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            });
            printer.data(&serde_json::to_string_pretty(&json).expect("JSON values serialise"))?;
        }
        Format::Text => printer.data(&text(&golden_path, &files))?,
    }
    Ok(0)
}

fn text(golden_path: &GoldenPath, files: &[OutlineFile]) -> String {
    let m = &golden_path.manifest;
    let mut out = format!("{}  {}\n", m.id(), m.summary);
    if !m.owners.is_empty() {
        out.push_str(&format!("owners: {}\n", m.owners.join(", ")));
    }
    out.push_str(&format!("catalog: {}\n\nParameters:\n", golden_path.source));
    let rows: Vec<[String; 5]> = m
        .parameters
        .iter()
        .map(|(name, p)| {
            let p = &p.value;
            let default = match (&p.default, p.required) {
                (_, true) => "(required)".to_owned(),
                (Some(serde_json::Value::String(s)), _) => format!("{s:?}"),
                (Some(v), _) => v.to_string(),
                (None, false) => "(none)".to_owned(),
            };
            [
                name.clone(),
                p.kind.to_string(),
                default,
                p.constraint(),
                p.help.clone(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["NAME", "TYPE", "DEFAULT", "CONSTRAINT", "HELP"],
        &rows,
    ));
    out.push_str(&defaults_note(m));
    out.push_str("\nComponents:\n");
    for (name, c) in &m.components {
        let default = if c.default {
            ""
        } else {
            " (not rendered by default)"
        };
        out.push_str(&format!("  {name}: {}{default}\n", c.summary));
        for f in files.iter().filter(|f| f.component == *name) {
            let condition = f
                .condition
                .as_ref()
                .map(|c| format!("  when {c}"))
                .unwrap_or_default();
            let pins = if f.pins.is_empty() {
                String::new()
            } else {
                let kinds: Vec<&str> = f.pins.iter().map(|k| k.as_str()).collect();
                format!("  pins: {}", kinds.join(", "))
            };
            out.push_str(&format!(
                "    {:<7}  {}{condition}{pins}\n",
                f.ownership.to_string(),
                f.path
            ));
        }
    }
    out.push_str("\nOwnership: managed = pave owns it (edits are drift); merged = edits kept, 3-way merged on upgrade; seeded = written once, then yours.\n");
    if !m.pins.is_empty() {
        out.push_str("Pins: values in managed files that dependency bots may move forward (a pin moved back, or any other edit, is drift).\n");
    }
    out
}

/// What templated defaults read, said under the table when a default is a template.
fn defaults_note(m: &Manifest) -> String {
    let templated = m.parameters.values().any(|p| {
        p.value
            .default
            .as_ref()
            .and_then(|d| d.as_str())
            .is_some_and(|d| d.contains("{{"))
    });
    if !templated {
        return String::new();
    }
    let mut note = String::from(
        "\nDefaults in {{ }} are rendered from earlier answers and `target_name` (the target folder's name).\n",
    );
    let from_git: Vec<&str> = m
        .parameters
        .iter()
        .filter(|(_, p)| !p.value.git_variables().is_empty())
        .map(|(name, _)| name.as_str())
        .collect();
    if !from_git.is_empty() {
        note.push_str(&format!(
            "`git.remote_owner`, `git.remote_repo`, `git.remote_host` and `git.remote_url` come from the target repo's `origin` remote\n\
             (the owner is the path before the repo's name: `group/subgroup` on GitLab). A new repo (`pave new`) or one\n\
             without `origin` has none, so {} must be answered there (--set, --answers or the prompt).\n",
            from_git
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    note
}

/// A left-aligned text table; the last column is not padded.
fn table(header: &[&str; 5], rows: &[[String; 5]]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::from(" ");
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(&format!(" {cell}"));
            } else {
                s.push_str(&format!(" {cell:<w$}", w = widths[i]));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(header.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}
