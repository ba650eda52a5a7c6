//! `deadweight.toml`: budgets, rule levels, ignores with a reason, and
//! facts about the functions. Found upward from the working directory, or
//! given with `--config`. Errors name the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::analysis::Level;
use crate::rules::RuleSet;

pub const FILE_NAME: &str = "deadweight.toml";

#[derive(Debug, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct ConfigError {
    pub path: PathBuf,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Budgets {
    pub zipped: Option<u64>,
    pub unzipped: Option<u64>,
    /// Unzipped bytes the handler loads at init.
    pub loaded: Option<u64>,
    /// Estimated init time, in ms: fails when even the low end of the
    /// estimate's range is over.
    pub init_ms: Option<u64>,
    /// Allowed growth of the zipped size against the baseline.
    pub growth: Option<Growth>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Growth {
    Percent(f64),
    Bytes(u64),
}

impl Growth {
    pub fn limit(self, base: u64) -> u64 {
        match self {
            Growth::Percent(p) => (base as f64 * (1.0 + p / 100.0)).floor() as u64,
            Growth::Bytes(b) => base.saturating_add(b),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Growth::Percent(p) => format!("+{p}%"),
            Growth::Bytes(b) => format!("+{}", crate::units::human_bytes(b)),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Ignore {
    pub rule: String,
    /// Package name glob (`express`, `@aws-sdk/*`).
    pub package: Option<String>,
    /// Location path glob.
    pub path: Option<String>,
    pub reason: String,
    /// `YYYY-MM-DD`: the ignore stops applying after this day.
    pub until: Option<String>,
    pub line: usize,
}

#[derive(Clone, Debug, Default)]
pub struct FunctionConfig {
    /// The artifact this entry is about, relative to the config file.
    pub path: Option<PathBuf>,
    pub runtime: Option<String>,
    pub handler: Option<String>,
    pub arm64: Option<bool>,
    pub memory_mb: Option<u32>,
    /// The function's environment variables (what the deploy sets).
    pub environment: BTreeMap<String, String>,
    /// The layers it is deployed with, in order, relative to the config file.
    pub layers: Vec<PathBuf>,
    pub budgets: Budgets,
}

/// Where the init checks draw their lines (`[thresholds]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// node/unbundled-at-init: files from node_modules loaded at init.
    pub unbundled_files: usize,
    /// common/too-much-at-init: distinct services set up at module scope.
    pub init_services: usize,
    /// common/slow-init: estimated init, in ms, from which cold starts
    /// are slow enough to want SnapStart or provisioned concurrency.
    pub slow_init_ms: u64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            unbundled_files: crate::analysis::init::UNBUNDLED_FILES,
            init_services: crate::analysis::practices::INIT_SERVICES,
            slow_init_ms: crate::analysis::init::SLOW_INIT_MS,
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub budgets: Budgets,
    pub thresholds: Thresholds,
    /// Per runtime family (`node`, `python`): the init estimate's scale
    /// from the function's own logs (`deadweight calibrate`).
    pub calibration: BTreeMap<String, crate::estimate::Calibration>,
    pub rule_levels: Vec<(String, Level)>,
    pub rules_dirs: Vec<PathBuf>,
    pub ignores: Vec<Ignore>,
    pub functions: Vec<FunctionConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig<F> {
    #[serde(default)]
    budgets: RawBudgets,
    #[serde(default)]
    rules: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    rules_dirs: Vec<String>,
    #[serde(default)]
    thresholds: Thresholds,
    #[serde(default)]
    calibration: BTreeMap<String, Spanned<crate::estimate::Calibration>>,
    #[serde(default)]
    ignore: Vec<Spanned<RawIgnore>>,
    /// `[function]` (one table) or `[[function]]` (several, with `path`).
    function: Option<F>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudgets {
    zipped: Option<Spanned<String>>,
    unzipped: Option<Spanned<String>>,
    growth: Option<Spanned<String>>,
    init_ms: Option<Spanned<u64>>,
    loaded_bytes: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIgnore {
    rule: Spanned<String>,
    package: Option<String>,
    path: Option<String>,
    reason: Option<String>,
    until: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    path: Option<String>,
    runtime: Option<Spanned<String>>,
    handler: Option<String>,
    architecture: Option<Spanned<String>>,
    memory: Option<u32>,
    #[serde(default)]
    environment: BTreeMap<String, String>,
    #[serde(default)]
    layers: Vec<String>,
    #[serde(default)]
    budgets: RawBudgets,
}

impl<F> RawConfig<F> {
    fn without_functions(self) -> RawConfig<()> {
        RawConfig {
            budgets: self.budgets,
            rules: self.rules,
            rules_dirs: self.rules_dirs,
            thresholds: self.thresholds,
            calibration: self.calibration,
            ignore: self.ignore,
            function: None,
        }
    }
}

/// The config file for a run: `--config FILE`, else `deadweight.toml` in
/// the working directory or the nearest directory above it.
pub fn find(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_path_buf());
    }
    let mut dir = std::env::current_dir().ok()?;
    loop {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if !dir.pop() {
            return None;
        }
    }
}

pub fn load(path: &Path, rules: &RuleSet) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
        path: path.to_path_buf(),
        line: None,
        message: if e.kind() == std::io::ErrorKind::NotFound {
            "no such file".to_string()
        } else {
            e.to_string()
        },
    })?;
    parse(path, &text, rules)
}

pub fn parse(path: &Path, text: &str, rules: &RuleSet) -> Result<Config, ConfigError> {
    let error = |offset: Option<usize>, message: String| ConfigError {
        path: path.to_path_buf(),
        line: offset.map(|o| line_at(text, o)),
        message,
    };
    let toml_error = |e: toml::de::Error| error(e.span().map(|s| s.start), e.message().to_string());
    // `[function]` and `[[function]]` are two shapes of one key
    let several = text
        .parse::<toml::Table>()
        .map_err(toml_error)?
        .get("function")
        .is_some_and(|f| f.is_array());
    let (raw, functions): (RawConfig<()>, Vec<Spanned<RawFunction>>) = if several {
        let mut raw: RawConfig<Vec<Spanned<RawFunction>>> =
            toml::from_str(text).map_err(toml_error)?;
        let functions = raw.function.take().unwrap_or_default();
        (raw.without_functions(), functions)
    } else {
        let mut raw: RawConfig<Spanned<RawFunction>> = toml::from_str(text).map_err(toml_error)?;
        let functions = raw.function.take().into_iter().collect();
        (raw.without_functions(), functions)
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let mut config = Config {
        path: Some(path.to_path_buf()),
        budgets: budgets(&raw.budgets, &error)?,
        thresholds: raw.thresholds,
        ..Config::default()
    };
    for (family, calibration) in &raw.calibration {
        if family != "node" && family != "python" {
            return Err(error(
                Some(calibration.span().start),
                format!("[calibration.{family}]: runtime families are node and python"),
            ));
        }
        if calibration.get_ref().ratio.is_nan() || calibration.get_ref().ratio <= 0.0 {
            return Err(error(
                Some(calibration.span().start),
                format!("[calibration.{family}]: ratio must be more than 0"),
            ));
        }
        config
            .calibration
            .insert(family.clone(), calibration.get_ref().clone());
    }
    for (id, level) in &raw.rules {
        let offset = Some(level.span().start);
        if rules.get(id).is_none() {
            return Err(error(
                offset,
                format!(
                    "[rules] names an unknown rule {id:?}; run `deadweight rules` for the list"
                ),
            ));
        }
        let parsed = match level.get_ref().as_str() {
            "allow" => Level::Allow,
            "warn" => Level::Warn,
            "deny" => Level::Deny,
            other => {
                return Err(error(
                    offset,
                    format!("level {other:?} for {id}: expected allow, warn or deny"),
                ))
            }
        };
        config.rule_levels.push((id.clone(), parsed));
    }
    config.rules_dirs = raw.rules_dirs.iter().map(|d| base.join(d)).collect();
    for spanned in &raw.ignore {
        let ignore = spanned.get_ref();
        let at = Some(spanned.span().start);
        let rule = ignore.rule.get_ref();
        if rules.get(rule).is_none() {
            return Err(error(
                Some(ignore.rule.span().start),
                format!("ignore names an unknown rule {rule:?}"),
            ));
        }
        let Some(reason) = ignore.reason.as_ref().filter(|r| !r.trim().is_empty()) else {
            return Err(error(
                at,
                format!("ignore of {rule} needs a reason = \"…\" saying why it is acceptable"),
            ));
        };
        for glob in [&ignore.package, &ignore.path].into_iter().flatten() {
            globset::Glob::new(glob)
                .map_err(|e| error(at, format!("ignore of {rule}: invalid glob {glob:?}: {e}")))?;
        }
        if let Some(until) = &ignore.until {
            if !valid_date(until.get_ref()) {
                return Err(error(
                    Some(until.span().start),
                    format!("until {:?}: expected a date as YYYY-MM-DD", until.get_ref()),
                ));
            }
        }
        config.ignores.push(Ignore {
            rule: rule.clone(),
            package: ignore.package.clone(),
            path: ignore.path.clone(),
            reason: reason.clone(),
            until: ignore.until.as_ref().map(|u| u.get_ref().clone()),
            line: line_at(text, spanned.span().start),
        });
    }
    for spanned in &functions {
        let f = spanned.get_ref();
        if let Some(runtime) = &f.runtime {
            if crate::rules::runtimes::find(runtime.get_ref()).is_none() {
                return Err(error(
                    Some(runtime.span().start),
                    format!(
                        "unknown runtime {:?}; known runtimes: {}",
                        runtime.get_ref(),
                        crate::rules::runtimes::known_ids().join(", ")
                    ),
                ));
            }
        }
        let arm64 = match f
            .architecture
            .as_ref()
            .map(|a| (a.get_ref().as_str(), a.span().start))
        {
            None => None,
            Some(("x86_64", _)) => Some(false),
            Some(("arm64", _)) => Some(true),
            Some((other, offset)) => {
                return Err(error(
                    Some(offset),
                    format!("architecture {other:?}: expected x86_64 or arm64"),
                ))
            }
        };
        config.functions.push(FunctionConfig {
            path: f.path.as_ref().map(|p| base.join(p)),
            runtime: f.runtime.as_ref().map(|r| r.get_ref().clone()),
            handler: f.handler.clone(),
            arm64,
            memory_mb: f.memory,
            environment: f.environment.clone(),
            layers: f.layers.iter().map(|p| base.join(p)).collect(),
            budgets: budgets(&f.budgets, &error)?,
        });
    }
    Ok(config)
}

fn budgets(
    raw: &RawBudgets,
    error: &impl Fn(Option<usize>, String) -> ConfigError,
) -> Result<Budgets, ConfigError> {
    let size = |value: &Option<Spanned<String>>, name: &str| -> Result<Option<u64>, ConfigError> {
        value
            .as_ref()
            .map(|v| {
                parse_size(v.get_ref()).ok_or_else(|| {
                    error(
                        Some(v.span().start),
                        format!(
                            "budget {name} = {:?}: expected a size such as \"50 MiB\"",
                            v.get_ref()
                        ),
                    )
                })
            })
            .transpose()
    };
    let growth = raw
        .growth
        .as_ref()
        .map(|g| {
            parse_growth(g.get_ref()).ok_or_else(|| {
                error(
                    Some(g.span().start),
                    format!(
                        "growth = {:?}: expected \"+10%\" or \"+2 MiB\"",
                        g.get_ref()
                    ),
                )
            })
        })
        .transpose()?;
    Ok(Budgets {
        zipped: size(&raw.zipped, "zipped")?,
        unzipped: size(&raw.unzipped, "unzipped")?,
        loaded: size(&raw.loaded_bytes, "loaded_bytes")?,
        init_ms: raw.init_ms.as_ref().map(|v| *v.get_ref()),
        growth,
    })
}

/// `"50 MiB"`, `"200 MB"`, `"512KiB"`, `"1000"` (bytes).
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        _ => return None,
    };
    (number >= 0.0).then(|| (number * factor).round() as u64)
}

fn parse_growth(text: &str) -> Option<Growth> {
    let rest = text.trim().strip_prefix('+').unwrap_or(text.trim());
    match rest.strip_suffix('%') {
        Some(p) => p
            .trim()
            .parse()
            .ok()
            .filter(|p: &f64| *p >= 0.0)
            .map(Growth::Percent),
        None => parse_size(rest).map(Growth::Bytes),
    }
}

fn valid_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2
        && y.parse::<u32>().is_ok() && m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m)) && d.parse::<u32>().is_ok_and(|d| (1..=31).contains(&d)))
}

fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Stores one family's calibration in the config file, creating the file
/// if needed and keeping everything else in it as written.
pub fn write_calibration(
    path: &Path,
    family: &str,
    calibration: &crate::estimate::Calibration,
) -> Result<(), ConfigError> {
    let failed = |message: String| ConfigError {
        path: path.to_path_buf(),
        line: None,
        message,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(failed(e.to_string())),
    };
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| failed(e.message().to_string()))?;
    let calibrations = document
        .entry("calibration")
        .or_insert_with(|| {
            let mut table = toml_edit::Table::new();
            table.set_implicit(true);
            toml_edit::Item::Table(table)
        })
        .as_table_mut()
        .ok_or_else(|| failed("`calibration` is not a table".to_string()))?;
    let mut table = toml_edit::Table::new();
    table["ratio"] = toml_edit::value((calibration.ratio * 1000.0).round() / 1000.0);
    table["cold_starts"] = toml_edit::value(calibration.cold_starts as i64);
    table["memory_mb"] = toml_edit::value(calibration.memory_mb as i64);
    table["function"] = toml_edit::value(calibration.function.as_str());
    table["date"] = toml_edit::value(calibration.date.as_str());
    calibrations.insert(family, toml_edit::Item::Table(table));
    std::fs::write(path, document.to_string()).map_err(|e| failed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_growth_parse_with_units() {
        assert_eq!(parse_size("50 MiB"), Some(52_428_800));
        assert_eq!(parse_size("200 MB"), Some(200_000_000));
        assert_eq!(parse_size("1.5KiB"), Some(1536));
        assert_eq!(parse_size("fifty"), None);
        assert_eq!(parse_growth("+10%"), Some(Growth::Percent(10.0)));
        assert_eq!(parse_growth("+2 MiB"), Some(Growth::Bytes(2 * 1024 * 1024)));
        assert_eq!(Growth::Percent(10.0).limit(1000), 1100);
        assert!(valid_date("2027-01-31") && !valid_date("2027-13-01") && !valid_date("soon"));
    }
}
