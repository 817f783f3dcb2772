//! Numbers as reports print them, one way everywhere: percentages with one decimal, written by
//! [`percentage`] alone, whether the number is a rate (audit, dashboard) or already a percentage
//! (the gates' coverage and its limit).

/// A number already in percent as a percentage with one decimal: `12.5` → `12.5%`. Every `%` in
/// a report is written here.
pub fn percentage(p: f64) -> String {
    format!("{p:.1}%")
}

/// A rate (0.0 to 1.0) as a percentage with one decimal: `0.125` → `12.5%`.
pub fn percent(rate: f64) -> String {
    percentage(rate * 100.0)
}

/// `n` of `total` as a percentage (0.0% of nothing).
pub fn share(n: usize, total: usize) -> String {
    percent(if total == 0 {
        0.0
    } else {
        n as f64 / total as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_are_written_as_given_with_one_decimal() {
        assert_eq!(percentage(12.5), "12.5%");
        assert_eq!(percentage(80.0), "80.0%");
        assert_eq!(percentage(0.0), "0.0%");
        assert_eq!(percentage(100.0), "100.0%");
        assert_eq!(percentage(200.0 / 3.0), "66.7%");
        // A value already in percent is not scaled again (a rate would be: see `percent`).
        assert_eq!(percentage(0.5), "0.5%");
    }

    #[test]
    fn a_rate_is_the_percentage_of_its_hundredfold() {
        for rate in [0.0, 0.125, 1.0 / 3.0, 0.285, 0.9995, 1.0] {
            assert_eq!(percent(rate), percentage(rate * 100.0), "{rate}");
            assert_eq!(percent(rate), format!("{:.1}%", rate * 100.0), "{rate}");
        }
    }

    #[test]
    fn rates_and_shares() {
        assert_eq!(percent(0.125), "12.5%");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(0, 0), "0.0%");
    }
}
