//! Byte sizes and counts as people read them. Binary units throughout:
//! 1 KiB = 1,024 bytes, 1 MiB = 1,048,576 bytes.

const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];

/// `1536` → `1.5 KiB`; bytes below 1 KiB stay exact.
pub fn human_bytes(bytes: u64) -> String {
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    // 1023.96 KiB would print as "1024.0 KiB"; carry it to the next unit
    if value >= 1023.95 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `12345` → `12,345`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A change in percent with its sign, the minus a true one: `+12.3%`,
/// `−51.4%`.
pub fn signed_percent(percent: f64) -> String {
    match percent < 0.0 {
        true => format!("−{:.1}%", -percent),
        false => format!("+{percent:.1}%"),
    }
}

/// A change in a count, grouped by thousands: `+1,204`, `−211`, `±0`.
pub fn signed_count(change: i64) -> String {
    match change {
        0 => "±0".to_string(),
        n if n > 0 => format!("+{}", thousands(n as u64)),
        n => format!("−{}", thousands(n.unsigned_abs())),
    }
}

/// The `s` after a counted noun: `1 source map`, `2 source maps`.
pub fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `1 file`, `2,345 files`: a count and its noun, plural unless one.
pub fn counted(n: u64, noun: &str) -> String {
    format!("{} {noun}{}", thousands(n), plural(n))
}

/// `["a", "b", "c"]` → `a, b and c`.
pub fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Share of `part` in `whole` as a percentage with one decimal.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "-".to_string();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// The median: the middle value, or the mean of the two middle ones.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Nearest-rank percentile (`p` in 0..=1) of values sorted ascending.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_carry_their_sign_with_a_true_minus() {
        assert_eq!(signed_percent(-51.44), "−51.4%");
        assert_eq!(signed_percent(12.0), "+12.0%");
        assert_eq!(signed_count(-1_211), "−1,211");
        assert_eq!(signed_count(3), "+3");
        assert_eq!(signed_count(0), "±0");
    }

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1_048_576), "1.0 MiB");
        assert_eq!(human_bytes(1_048_575), "1.0 MiB");
        assert_eq!(human_bytes(52_428_800), "50.0 MiB");
    }

    #[test]
    fn lists_end_with_and() {
        let list =
            |items: &[&str]| and_list(&items.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(list(&[]), "");
        assert_eq!(list(&["macOS"]), "macOS");
        assert_eq!(
            list(&["Android arm64", "macOS", "Windows"]),
            "Android arm64, macOS and Windows"
        );
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(counted(1, "file"), "1 file");
        assert_eq!(counted(1234, "file"), "1,234 files");
        assert_eq!(counted(0, "package"), "0 packages");
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn medians_interpolate_and_percentiles_use_nearest_rank() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.9), 9.0);
        assert_eq!(median(&values), 5.5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(percentile(&[3.0], 0.9), 3.0);
    }
}
