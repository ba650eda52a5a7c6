//! `common/lambda-size-limit`: Lambda refuses a zip over 50 MiB for direct
//! upload and a function whose code and layers unzip to over 250 MiB.

use super::{Finding, Level, Location};
use crate::units::human_bytes;

pub const RULE: &str = "common/lambda-size-limit";

/// 50 MiB: the largest zip the Lambda API accepts directly.
pub const ZIPPED_LIMIT: u64 = 50 * 1024 * 1024;
/// 250 MiB (262,144,000 bytes): function code and all its layers, unzipped.
pub const UNZIPPED_LIMIT: u64 = 250 * 1024 * 1024;
/// Share of a limit above which the limit is reported as close.
const WARN_SHARE: f64 = 0.8;

/// Checks one artifact (or, with `label`, a function and its layers together).
pub fn check(
    path: &str,
    zipped: u64,
    unzipped: u64,
    zipped_counts: bool,
    label: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut limit = |value: u64, max: u64, what: &str, fix: &str| {
        let level = if value > max {
            Level::Deny
        } else if value as f64 > max as f64 * WARN_SHARE {
            Level::Warn
        } else {
            return;
        };
        let verdict = if level == Level::Deny {
            "over"
        } else {
            "within 20% of"
        };
        findings.push(Finding::with_fix(
            RULE,
            level,
            format!(
                "{label} is {} {what}: {verdict} Lambda's {} limit ({:.0}% of it)",
                human_bytes(value),
                human_bytes(max),
                value as f64 * 100.0 / max as f64
            ),
            Location::file(path),
            fix.to_string(),
        ));
    };
    if zipped_counts {
        limit(zipped, ZIPPED_LIMIT, "zipped", "upload through S3 (the zipped limit applies to direct uploads), or shrink the package: drop dev dependencies, docs and tests, bundle the code");
    }
    limit(unzipped, UNZIPPED_LIMIT, "unzipped", "shrink the package or move large dependencies into a container image (10 GB limit); layers count toward the 250 MiB");
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_deny_over_and_warn_near() {
        assert!(check("f.zip", 10 << 20, 10 << 20, true, "f.zip").is_empty());
        let near = check("f.zip", 45 << 20, 10 << 20, true, "f.zip");
        assert_eq!(near.len(), 1);
        assert_eq!(near[0].level, Level::Warn);
        let over = check("f.zip", 60 << 20, 300 << 20, true, "f.zip");
        assert_eq!(over.iter().filter(|f| f.level == Level::Deny).count(), 2);
    }
}
