//! Numbers as reports print them, one way everywhere: rates as percentages with one decimal.

/// A rate (0.0 to 1.0) as a percentage with one decimal: `0.125` → `12.5%`.
pub fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
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
    fn rates_and_shares() {
        assert_eq!(percent(0.125), "12.5%");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(0, 0), "0.0%");
    }
}
