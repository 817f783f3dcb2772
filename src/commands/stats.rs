//! `pave stats`: adoption figures from the configured registry (`GET /api/v1/stats`), else from
//! the local embedded one. Spooled events are sent first, so a person's own recent commands count.
//! One model (`pave_registry::model::Stats`), a renderer per `--format` (`pave_registry::format`:
//! an aligned table, Markdown; JSON). `--daily` shows first adoptions per day instead.

use pave_registry::format;
use pave_registry::model::GroupBy;
use pave_registry::recording::Destination;

use crate::cli::{StatsArgs, StatsBy, StatsFormat};
use crate::error::Error;
use crate::printer::Printer;
use crate::settings::{RegistryChoice, SettingsError};

pub fn run(args: &StatsArgs, registry: &RegistryChoice, printer: &Printer) -> Result<u8, Error> {
    let group_by = match args.by {
        StatsBy::GoldenPath => GroupBy::GoldenPath,
        StatsBy::Version => GroupBy::Version,
        StatsBy::Team => GroupBy::Team,
        StatsBy::Train => GroupBy::Train,
    };
    let Some(destination) = registry.destination() else {
        return Err(SettingsError::RecordingOff.into());
    };
    // Spooled events first, so a person's own recent commands count.
    super::registry::record(registry, Vec::new(), printer);
    if let Some(days) = args.daily {
        return daily(days, args.format, &destination, printer);
    }
    let stats = destination
        .stats(group_by)
        .map_err(|source| read_error("stats", &destination, source))?;
    let text = match args.format {
        StatsFormat::Text => format::stats_text(&stats),
        StatsFormat::Json => {
            serde_json::to_string_pretty(&stats).expect("stats serialize to JSON") + "\n"
        }
        StatsFormat::Markdown => format::stats_markdown(&stats),
    };
    if stats.groups.is_empty() {
        printer.info(&format!(
            "no adoption recorded in {} yet",
            destination.describe()
        ));
    }
    printer.data(&text)?;
    Ok(0)
}

fn read_error(
    what: &'static str,
    destination: &Destination,
    source: pave_registry::client::SendError,
) -> Error {
    Error::Stats {
        what,
        local: matches!(destination, Destination::Local(_)).then(|| destination.describe()),
        source,
    }
}

/// `--daily`: one row per day, oldest first.
fn daily(
    days: u32,
    format: StatsFormat,
    destination: &Destination,
    printer: &Printer,
) -> Result<u8, Error> {
    let today = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    let series = destination
        .daily(days, today)
        .map_err(|source| read_error("daily adoption", destination, source))?;
    let text = match format {
        StatsFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({ "days": series }))
                .expect("days serialize to JSON")
                + "\n"
        }
        StatsFormat::Text => format::daily_text(&series),
        StatsFormat::Markdown => format::daily_markdown(&series),
    };
    printer.data(&text)?;
    Ok(0)
}
