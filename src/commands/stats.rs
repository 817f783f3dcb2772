//! `pave stats`: adoption figures from the configured registry (`GET /api/v1/stats`), else from
//! the local embedded one. Spooled events are sent first, so a person's own recent commands count.
//! One model ([`Stats`]), a renderer per `--format`: an aligned table, JSON, Markdown. `--daily`
//! shows first adoptions per day instead.

use pave_registry::model::{GroupBy, GroupStats, Stats};
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
        StatsFormat::Text => text(&stats),
        StatsFormat::Json => {
            serde_json::to_string_pretty(&stats).expect("stats serialize to JSON") + "\n"
        }
        StatsFormat::Markdown => markdown(&stats),
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
        StatsFormat::Text => {
            let mut out = "DAY         ADOPTED  CUMULATIVE\n".to_owned();
            for day in &series {
                out.push_str(&format!(
                    "{}  {:>7}  {:>10}\n",
                    day.day, day.adopted, day.cumulative
                ));
            }
            out
        }
        StatsFormat::Markdown => {
            let mut out = "| day | adopted | cumulative |\n| --- | ---: | ---: |\n".to_owned();
            for day in &series {
                out.push_str(&format!(
                    "| {} | {} | {} |\n",
                    day.day, day.adopted, day.cumulative
                ));
            }
            out
        }
    };
    printer.data(&text)?;
    Ok(0)
}

const COUNTS: [&str; 6] = [
    "REPOS",
    "ADOPTIONS",
    "CONFORMING",
    "DRIFTED",
    "UNCHECKED",
    "LAGGING",
];

/// The table's rows: key columns, then counts.
fn rows(stats: &Stats) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let key_header = match stats.group_by {
        GroupBy::GoldenPath => "GOLDEN PATH",
        GroupBy::Version => "VERSION",
        GroupBy::Team => "TEAM",
        GroupBy::Train => "TRAIN",
    };
    let mut header = Vec::new();
    if stats.group_by == GroupBy::Version {
        header.push("GOLDEN PATH");
    }
    header.push(key_header);
    header.extend(COUNTS);
    let rows = stats
        .groups
        .iter()
        .map(|g: &GroupStats| {
            let mut row = Vec::new();
            if stats.group_by == GroupBy::Version {
                row.push(g.golden_path.clone().unwrap_or_default());
            }
            row.push(g.key.clone().unwrap_or_else(|| "(none)".to_owned()));
            row.extend(
                [
                    g.repos,
                    g.adoptions,
                    g.conforming,
                    g.drifted,
                    g.unchecked,
                    g.lagging,
                ]
                .map(|n| n.to_string()),
            );
            row
        })
        .collect();
    (header, rows)
}

/// An aligned table: text columns left, counts right.
fn text(stats: &Stats) -> String {
    let (header, rows) = rows(stats);
    let keys = header.len() - COUNTS.len();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i < keys {
                    format!("{cell:<w$}", w = widths[i])
                } else {
                    format!("{cell:>w$}", w = widths[i])
                }
            })
            .collect();
        padded.join("  ").trim_end().to_owned() + "\n"
    };
    let mut out = line(header.clone());
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn markdown(stats: &Stats) -> String {
    let (header, rows) = rows(stats);
    let keys = header.len() - COUNTS.len();
    let escape = |s: &str| s.replace('|', "\\|");
    let mut out = format!(
        "| {} |\n|{}\n",
        header
            .iter()
            .map(|h| h.to_lowercase())
            .collect::<Vec<_>>()
            .join(" | "),
        (0..header.len())
            .map(|i| if i < keys { " --- |" } else { " ---: |" })
            .collect::<String>()
    );
    for row in rows {
        out.push_str(&format!(
            "| {} |\n",
            row.iter()
                .map(|c| escape(c))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> Stats {
        Stats {
            group_by: GroupBy::Team,
            groups: vec![
                GroupStats {
                    key: Some("payments".into()),
                    repos: 12,
                    adoptions: 12,
                    conforming: 10,
                    drifted: 1,
                    unchecked: 1,
                    lagging: 3,
                    ..GroupStats::default()
                },
                GroupStats {
                    key: None,
                    repos: 1,
                    adoptions: 1,
                    unchecked: 1,
                    ..GroupStats::default()
                },
            ],
        }
    }

    #[test]
    fn the_table_is_aligned() {
        assert_eq!(
            text(&stats()),
            "\
TEAM      REPOS  ADOPTIONS  CONFORMING  DRIFTED  UNCHECKED  LAGGING
payments     12         12          10        1          1        3
(none)        1          1           0        0          1        0
"
        );
    }

    #[test]
    fn markdown_is_a_table() {
        let md = markdown(&stats());
        assert!(md.starts_with("| team | repos | adoptions |"), "{md}");
        assert!(md.contains("| --- | ---: |"), "{md}");
        assert!(
            md.contains("| payments | 12 | 12 | 10 | 1 | 1 | 3 |"),
            "{md}"
        );
    }
}
