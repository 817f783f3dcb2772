//! Adoption figures as people read them (`pave stats`): an aligned table with text columns left
//! and counts right, or Markdown; JSON is the model itself. One renderer per format, each reading
//! only the model.

use crate::model::{DailyAdoption, GroupBy, GroupStats, Stats};

const COUNTS: [&str; 7] = [
    "REPOS",
    "ADOPTIONS",
    "CONFORMING",
    // Of the conforming: conforming with exceptions.
    "WITH EXCEPTIONS",
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
    // Golden paths are told apart by catalog and name.
    let has_catalog = matches!(stats.group_by, GroupBy::GoldenPath | GroupBy::Version);
    if has_catalog {
        header.push("CATALOG");
    }
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
            if has_catalog {
                row.push(g.catalog.clone().unwrap_or_else(|| "(unknown)".to_owned()));
            }
            row.extend(
                [
                    g.repos,
                    g.adoptions,
                    g.conforming,
                    g.excepted,
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
pub fn stats_text(stats: &Stats) -> String {
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
    out.push_str(&fleet_line(stats));
    out
}

/// The fleet's adoption rate under the table, when the registry has seen repos.
fn fleet_line(stats: &Stats) -> String {
    let fleet = stats.fleet;
    if fleet.repos == 0 {
        return String::new();
    }
    format!(
        "\nfleet: {} of {} repos seen are on a golden path ({})\n",
        fleet.adopted,
        fleet.repos,
        pave_base::text::share(fleet.adopted as usize, fleet.repos as usize)
    )
}

/// A Markdown table, for a CI step summary or a wiki page.
pub fn stats_markdown(stats: &Stats) -> String {
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
    out.push_str(&fleet_line(stats));
    out
}

/// `--daily` as an aligned table, oldest day first.
pub fn daily_text(series: &[DailyAdoption]) -> String {
    let mut out = "DAY         ADOPTED  CUMULATIVE\n".to_owned();
    for day in series {
        out.push_str(&format!(
            "{}  {:>7}  {:>10}\n",
            day.day, day.adopted, day.cumulative
        ));
    }
    out
}

/// `--daily` as a Markdown table.
pub fn daily_markdown(series: &[DailyAdoption]) -> String {
    let mut out = "| day | adopted | cumulative |\n| --- | ---: | ---: |\n".to_owned();
    for day in series {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            day.day, day.adopted, day.cumulative
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats() -> Stats {
        Stats {
            fleet: Default::default(),
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
            stats_text(&stats()),
            "\
TEAM      REPOS  ADOPTIONS  CONFORMING  WITH EXCEPTIONS  DRIFTED  UNCHECKED  LAGGING
payments     12         12          10                0        1          1        3
(none)        1          1           0                0        0          1        0
"
        );
    }

    #[test]
    fn markdown_is_a_table() {
        let md = stats_markdown(&stats());
        assert!(md.starts_with("| team | repos | adoptions |"), "{md}");
        assert!(md.contains("| --- | ---: |"), "{md}");
        assert!(
            md.contains("| payments | 12 | 12 | 10 | 0 | 1 | 1 | 3 |"),
            "{md}"
        );
    }
}
