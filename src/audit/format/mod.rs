//! Renderers of the audit report, one file per `--format`; each reads only the typed model.

mod csv;
mod html;
mod json;
mod markdown;
mod text;

use clap::ValueEnum;

use super::AuditReport;

/// Output formats of `pave audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// One screen for a platform lead.
    Text,
    /// `summary` and `repos`; what `pave audit merge` reads back.
    Json,
    /// One row per repo and golden path, for spreadsheets.
    Csv,
    Markdown,
    /// One self-contained file with charts (no network).
    Html,
}

pub fn render(report: &AuditReport, format: AuditFormat) -> String {
    match format {
        AuditFormat::Text => text::render(report),
        AuditFormat::Json => json::render(report),
        AuditFormat::Csv => csv::render(report),
        AuditFormat::Markdown => markdown::render(report),
        AuditFormat::Html => html::render(report),
    }
}

/// A rate as a percentage with one decimal.
pub(crate) fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}
