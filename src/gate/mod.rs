//! The gate: budgets, ignores and the baseline turn a report into a verdict.
//! Exit 0 when it passes, 1 when a deny-level finding that is not in the
//! baseline remains or a budget is broken.

pub mod config;

use std::path::Path;

use globset::Glob;
use serde::Serialize;
use serde_json::Value;

use crate::analysis::{Finding, Level};
use crate::report::{ArtifactReport, GateReport};
use crate::units::human_bytes;
pub use config::{Budgets, Config, ConfigError, Ignore};

/// A finding an ignore in the config suppressed, with the reason given.
#[derive(Clone, Debug, Serialize)]
pub struct IgnoredFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub reason: String,
    /// `deadweight.toml:12`
    pub ignored_by: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BudgetReport {
    pub budget: String,
    pub value: u64,
    pub limit: u64,
    pub passed: bool,
}

impl BudgetReport {
    /// A value of this budget in its unit: ms for init time, else bytes.
    pub fn show(&self, value: u64) -> String {
        if self.budget == "init_ms" {
            format!("{value} ms")
        } else {
            human_bytes(value)
        }
    }
}

/// A previous JSON report to compare against.
pub struct Baseline {
    pub path: String,
    report: Value,
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, ConfigError> {
        let error = |line: Option<usize>, message: String| ConfigError {
            path: path.to_path_buf(),
            line,
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| error(None, e.to_string()))?;
        let report: Value = serde_json::from_str(&text)
            .map_err(|e| error(Some(e.line()), format!("not a JSON report: {e}")))?;
        if report
            .get("schema_version")
            .and_then(Value::as_u64)
            .is_none()
            || !report["artifacts"].is_array()
        {
            return Err(error(
                Some(1),
                "not a deadweight JSON report (no schema_version and artifacts)".to_string(),
            ));
        }
        Ok(Baseline {
            path: path.display().to_string(),
            report,
        })
    }

    /// The baseline's artifact for `path`: same path, else same file name,
    /// else the one at the same position.
    pub fn artifact(&self, path: &str, position: usize) -> Option<&Value> {
        let artifacts = self.report["artifacts"].as_array()?;
        let name = |p: &str| Path::new(p).file_name().map(|n| n.to_os_string());
        artifacts
            .iter()
            .find(|a| a["path"] == path)
            .or_else(|| {
                artifacts
                    .iter()
                    .find(|a| a["path"].as_str().and_then(name) == name(path))
            })
            .or_else(|| artifacts.get(position))
    }
}

/// What identifies a finding across runs. A finding at a source line is
/// its rule and place; a package finding, its rule and package; a finding
/// that sums files up (docs, bytecode), its rule alone — the example path
/// it names changes with the contents.
pub fn fingerprint(rule: &str, path: &str, line: Option<u64>, package: Option<&str>) -> String {
    match (line, package) {
        (Some(line), _) => format!("{rule}|{path}:{line}"),
        (None, Some(package)) => format!("{rule}|{package}"),
        (None, None) => rule.to_string(),
    }
}

/// The fingerprint of a finding in a JSON report.
pub fn fingerprint_json(finding: &Value) -> String {
    fingerprint(
        finding["rule"].as_str().unwrap_or(""),
        finding["location"]["path"].as_str().unwrap_or(""),
        finding["location"]["line"].as_u64(),
        finding["package"].as_str(),
    )
}

fn baseline_fingerprints(artifact: &Value) -> Vec<String> {
    artifact["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(fingerprint_json)
        .collect()
}

/// Today in UTC as `YYYY-MM-DD`.
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let (y, m, d) = civil_from_days(seconds.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Applies ignores, the baseline and the budgets to one artifact's report
/// and sets its gate. `used` marks which ignores matched something.
pub fn apply(
    report: &mut ArtifactReport,
    position: usize,
    config: &Config,
    budgets: &Budgets,
    baseline: Option<&Baseline>,
    today: &str,
    used: &mut [bool],
) {
    let config_name = config
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| config::FILE_NAME.to_string());
    let mut kept = Vec::with_capacity(report.findings.len());
    for finding in std::mem::take(&mut report.findings) {
        let matched = config
            .ignores
            .iter()
            .enumerate()
            .find(|(_, ignore)| matches(ignore, &finding));
        match matched {
            Some((i, ignore)) => {
                used[i] = true;
                if ignore.until.as_deref().is_some_and(|until| until < today) {
                    report.warnings.push(crate::artifact::Warning::at(
                        format!("{config_name}:{}", ignore.line),
                        format!(
                            "the ignore of {} expired on {}; the finding counts again",
                            ignore.rule,
                            ignore.until.as_deref().unwrap_or("")
                        ),
                    ));
                    kept.push(finding);
                } else {
                    report.ignored.push(IgnoredFinding {
                        finding,
                        reason: ignore.reason.clone(),
                        ignored_by: format!("{config_name}:{}", ignore.line),
                    });
                }
            }
            None => kept.push(finding),
        }
    }
    report.findings = kept;

    let base = baseline.and_then(|b| b.artifact(&report.path, position));
    if let Some(base) = base {
        let known = baseline_fingerprints(base);
        for finding in &mut report.findings {
            let print = fingerprint(
                &finding.rule,
                &finding.location.path,
                finding.location.line.map(u64::from),
                finding.package.as_deref(),
            );
            finding.known = known.contains(&print);
        }
    }

    let mut gate = GateReport::default();
    for finding in report
        .findings
        .iter()
        .filter(|f| f.level == Level::Deny && !f.known)
    {
        gate.reasons
            .push(format!("{}: {}", finding.rule, finding.message));
    }
    let mut budget = |name: &str, value: u64, limit: Option<u64>| {
        if let Some(limit) = limit {
            let passed = value <= limit;
            if !passed {
                gate.reasons.push(format!(
                    "budget {name}: {} over the limit of {}",
                    human_bytes(value),
                    human_bytes(limit)
                ));
            }
            gate.budgets.push(BudgetReport {
                budget: name.to_string(),
                value,
                limit,
                passed,
            });
        }
    };
    if report.lockfile.is_none() {
        budget("zipped", report.zipped_bytes, budgets.zipped);
        budget("unzipped", report.unzipped_bytes, budgets.unzipped);
        if let Some(init) = &report.init {
            budget("loaded_bytes", init.loaded_bytes, budgets.loaded);
        }
        if let Some(growth) = budgets.growth {
            match base.and_then(|b| b["zipped_bytes"].as_u64()) {
                Some(base_zipped) => {
                    let name = format!("growth {} (zipped, against the baseline's {})", growth.describe(), human_bytes(base_zipped));
                    budget(&name, report.zipped_bytes, Some(growth.limit(base_zipped)));
                }
                None => report.warnings.push(crate::artifact::Warning::general(
                    "the growth budget needs --baseline REPORT.json with this artifact in it; not checked",
                )),
            }
        }
        if let (Some(limit), Some(estimate)) = (
            budgets.init_ms,
            report.init.as_ref().and_then(|i| i.estimate_ms.as_ref()),
        ) {
            let range = crate::estimate::MsRange::new(estimate.low, estimate.high);
            let passed = estimate.low <= limit as f64;
            if !passed {
                gate.reasons.push(format!(
                    "budget init_ms: estimated {} is over the limit of {limit} ms",
                    range.text()
                ));
            } else if estimate.high > limit as f64 {
                report.warnings.push(crate::artifact::Warning::general(format!(
                    "budget init_ms: the estimate {} reaches past the limit of {limit} ms; measure it (`deadweight measure`) before relying on it",
                    range.text()
                )));
            }
            gate.budgets.push(BudgetReport {
                budget: "init_ms".to_string(),
                value: estimate.low.ceil() as u64,
                limit,
                passed,
            });
        }
    }
    // a budget that cannot be checked must not pass quietly
    if let (None, Some(limit)) = (&report.init, budgets.init_ms) {
        gate.reasons.push(format!(
            "budget init_ms ({limit} ms): what the handler loads is unknown; give --handler or handler in the config"
        ));
    }
    if let (None, Some(limit), None) = (&report.init, budgets.loaded, &report.lockfile) {
        gate.reasons.push(format!(
            "budget loaded_bytes ({}): what the handler loads is unknown; give --handler or handler in the config",
            human_bytes(limit)
        ));
    }
    gate.passed = gate.reasons.is_empty();
    report.gate = gate;
}

fn matches(ignore: &Ignore, finding: &Finding) -> bool {
    if ignore.rule != finding.rule {
        return false;
    }
    let glob_matches = |glob: &str, value: &str| {
        Glob::new(glob)
            .map(|g| g.compile_matcher().is_match(value))
            .unwrap_or(false)
    };
    if let Some(package) = &ignore.package {
        // `express@4.21.2` → `express`; a leading @ is a scope
        let name = finding
            .package
            .as_deref()
            .map(|p| match p.get(1..).and_then(|r| r.find('@')) {
                Some(at) => &p[..at + 1],
                None => p,
            });
        if !name.is_some_and(|n| glob_matches(package, n)) {
            return false;
        }
    }
    if let Some(path) = &ignore.path {
        if !glob_matches(path, &finding.location.path) {
            return false;
        }
    }
    true
}

/// Ignores that matched no finding in any artifact: the config is rotting.
pub fn unused_ignores(config: &Config, used: &[bool]) -> Vec<crate::artifact::Warning> {
    let name = config
        .path
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    config
        .ignores
        .iter()
        .zip(used)
        .filter(|(_, used)| !**used)
        .map(|(ignore, _)| {
            let scope = [
                ignore.package.as_deref().map(|p| format!("package {p}")),
                ignore.path.as_deref().map(|p| format!("path {p}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
            crate::artifact::Warning::at(
                format!("{name}:{}", ignore.line),
                format!(
                    "the ignore of {}{} matched nothing; remove it so the config does not rot",
                    ignore.rule,
                    if scope.is_empty() {
                        String::new()
                    } else {
                        format!(" ({scope})")
                    }
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn days_convert_to_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_784), (2026, 11, 27));
    }
}
