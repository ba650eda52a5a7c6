//! Rules are data: TOML files under `rules/`, embedded in the binary at
//! build time, plus the user's own (`--rules DIR`). A user rule with a
//! built-in id replaces it. Checks that need code are declared here too
//! (`builtin = true`) so that every id has a level, a category and docs.

pub mod distributions;
mod eval;
pub mod init_calls;
pub mod runtimes;
pub mod stdlib;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::analysis::Level;
use crate::inventory::Ecosystem;

pub use eval::{evaluate, evaluate_data, evaluate_lockfile, with_builtin, Context};

/// A built-in table's JSON, which build.rs writes from `rules/NAME.toml`
/// (empty when the TOML does not parse).
macro_rules! builtin_json {
    ($name:literal) => {
        include_str!(concat!(env!("OUT_DIR"), "/", $name, ".json"))
    };
}
pub(crate) use builtin_json;

/// A built-in table, from the JSON build.rs made of its TOML: serde_json
/// reads it several times faster, and a small function's audit spends a
/// good part of its time on these tables. From the TOML itself when there
/// is no JSON or it does not fit, so that an error names its line.
pub(crate) fn builtin_table<T: DeserializeOwned>(
    json: &str,
    toml_text: &str,
) -> Result<T, toml::de::Error> {
    match serde_json::from_str(json) {
        Ok(table) => Ok(table),
        Err(_) => toml::from_str(toml_text),
    }
}

/// The rule files built into the binary, by name: their TOML, and its JSON.
pub const BUILTIN_FILES: &[(&str, &str, &str)] = &[
    (
        "rules/common.toml",
        include_str!("../../rules/common.toml"),
        builtin_json!("common"),
    ),
    (
        "rules/node.toml",
        include_str!("../../rules/node.toml"),
        builtin_json!("node"),
    ),
    (
        "rules/python.toml",
        include_str!("../../rules/python.toml"),
        builtin_json!("python"),
    ),
    (
        "rules/java.toml",
        include_str!("../../rules/java.toml"),
        builtin_json!("java"),
    ),
    (
        "rules/binary.toml",
        include_str!("../../rules/binary.toml"),
        builtin_json!("binary"),
    ),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Size,
    InitTime,
    Hygiene,
    Correctness,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Size => "size",
            Category::InitTime => "init-time",
            Category::Hygiene => "hygiene",
            Category::Correctness => "correctness",
        }
    }
}

/// A rule's documentation, in the same four parts for every rule.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    pub what: String,
    pub why: String,
    pub example: String,
    pub fix: String,
}

/// What a package's lighter replacement loads at init, for the init
/// saving of a fix that brings in something the artifact does not have.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    /// The package replaced.
    pub package: String,
    /// `name@version` of the replacement.
    #[serde(rename = "use")]
    pub replacement: String,
    pub loaded_files: usize,
    pub loaded_bytes: u64,
    /// JavaScript tokens of those files (the init-time model's measure).
    #[serde(default)]
    pub loaded_tokens: u64,
    /// What it adds to the package, its dependencies included.
    pub unzipped_bytes: u64,
    pub zipped_bytes: u64,
    /// Built-in modules it imports at init.
    #[serde(default)]
    pub runtime_modules: Vec<String>,
    pub source: String,
}

/// A figure a rule relies on, with where it comes from.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub figure: String,
    pub source: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Javascript,
    Python,
}

/// Imports of the function's own code.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportSpec {
    pub language: Language,
    /// Module globs: `aws-sdk`, `aws-sdk/clients/*`; Python dots are
    /// matched as slashes (`django/**` for every submodule).
    pub modules: Vec<String>,
    /// Only when the module is used through one of these names
    /// (`captureAWS()` for a call wrapping it).
    #[serde(default)]
    pub members: Vec<String>,
    /// Also imports inside functions (by default only those run at init).
    #[serde(default)]
    pub include_lazy: bool,
}

/// Packages installed in the artifact.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageSpec {
    pub ecosystem: Ecosystem,
    /// Name globs: `express`, `@types/*`.
    pub names: Vec<String>,
    /// A version requirement (`<3`, `>=2, <4`), when only some versions count.
    pub version: Option<String>,
    /// A fix of its own for a package, by name, in place of the rule's:
    /// each heavy library has its own lighter alternative.
    #[serde(default)]
    pub fixes: BTreeMap<String, String>,
    /// The fix for a package only other packages bring in (`{via}` names
    /// them), which the function's own manifest cannot move or drop.
    pub indirect_fix: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileScope {
    /// Every file.
    #[default]
    All,
    /// Files inside packages only.
    Packages,
    /// The function's own files only.
    App,
}

/// Files by path.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilesSpec {
    /// Path globs, matched case-insensitively as most file systems would.
    #[serde(default)]
    pub globs: Vec<String>,
    /// Files anywhere under a directory with one of these names (`tests`,
    /// `docs`), also case-insensitive.
    #[serde(default)]
    pub dirs: Vec<String>,
    /// Like `dirs`, except where the directory is a Python package (it
    /// holds `__init__.py`): `botocore/docs` is code botocore imports, a
    /// folder of .rst pages is not.
    #[serde(default)]
    pub dirs_unless_package: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub scope: FileScope,
    /// Count a file only when a file with the same stem and one of these
    /// extensions sits beside it (`.ts` next to its compiled `.js`).
    #[serde(default)]
    pub with_sibling: Vec<String>,
}

/// Packages that the function's runtime already provides.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeProvidedSpec {
    pub ecosystem: Ecosystem,
}

/// One rule as written in a rule file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    level: Level,
    category: Category,
    #[serde(default)]
    builtin: bool,
    import: Option<ImportSpec>,
    package: Option<PackageSpec>,
    files: Option<FilesSpec>,
    runtime_provided: Option<RuntimeProvidedSpec>,
    /// The rule applies only to functions on these runtimes.
    #[serde(default)]
    runtimes: Vec<String>,
    message: Option<String>,
    fix: Option<String>,
    docs: Option<Docs>,
    #[serde(default)]
    evidence: Vec<Evidence>,
    #[serde(default)]
    alternative: Vec<Alternative>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

#[derive(Clone, Debug)]
pub enum Matcher {
    /// Implemented in code; the rule file carries its docs and level.
    Builtin,
    Import(ImportSpec, GlobSet),
    Package(PackageSpec, GlobSet),
    Files(FilesSpec, GlobSet, GlobSet),
    RuntimeProvided(RuntimeProvidedSpec),
}

#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub level: Level,
    pub category: Category,
    pub matcher: Matcher,
    pub runtimes: Vec<String>,
    pub message: Option<String>,
    pub fix: Option<String>,
    pub docs: Docs,
    pub evidence: Vec<Evidence>,
    /// Lighter packages the fix moves to, with what they load at init.
    pub alternative: Vec<Alternative>,
    /// The file it was read from, and the line of its `id`.
    pub source: String,
    pub line: usize,
    /// Read from the user's rule files rather than built in.
    pub user: bool,
}

impl Rule {
    pub fn is_builtin(&self) -> bool {
        matches!(self.matcher, Matcher::Builtin)
    }
}

/// A rule file that cannot be used (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct RuleError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

impl RuleSet {
    /// The rules built into the binary.
    pub fn builtin() -> Result<RuleSet, RuleError> {
        // parsed side by side: the files are independent, and parsing them
        // is a good part of a small audit's start
        let parsed: Vec<_> = BUILTIN_FILES
            .par_iter()
            .map(|(name, text, json)| parse_file(name, text, Some(json)))
            .collect::<Result<_, _>>()?;
        let mut set = RuleSet { rules: Vec::new() };
        for (file, (name, _, _)) in parsed.into_iter().zip(BUILTIN_FILES) {
            set.add(file, name)?;
        }
        Ok(set)
    }

    /// The built-in rules plus every `*.toml` in each directory; a rule with
    /// an id already known replaces it.
    pub fn with_dirs(dirs: &[PathBuf]) -> Result<RuleSet, RuleError> {
        let mut set = RuleSet::builtin()?;
        for dir in dirs {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| RuleError {
                    file: dir.display().to_string(),
                    line: None,
                    message: format!("cannot read the rules directory: {e}"),
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml"))
                .collect();
            files.sort();
            for file in files {
                let name = file.display().to_string();
                let text = std::fs::read_to_string(&file).map_err(|e| RuleError {
                    file: name.clone(),
                    line: None,
                    message: e.to_string(),
                })?;
                let rules = parse_file(&name, &text, None)?;
                set.replace(rules, &name)?;
            }
        }
        Ok(set)
    }

    fn add(&mut self, rules: Vec<Rule>, file: &str) -> Result<(), RuleError> {
        for rule in rules {
            if let Some(existing) = self.get(&rule.id) {
                return Err(RuleError {
                    file: file.to_string(),
                    line: Some(rule.line),
                    message: format!(
                        "duplicate rule id {} (also at {}:{})",
                        rule.id, existing.source, existing.line
                    ),
                });
            }
            self.rules.push(rule);
        }
        Ok(())
    }

    /// User rules: a known id overrides; ids repeated within the user's own
    /// files are still duplicates.
    fn replace(&mut self, rules: Vec<Rule>, file: &str) -> Result<(), RuleError> {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for rule in rules {
            if let Some(first) = seen.insert(rule.id.clone(), rule.line) {
                return Err(RuleError {
                    file: file.to_string(),
                    line: Some(rule.line),
                    message: format!("duplicate rule id {} (also at line {first})", rule.id),
                });
            }
            match self.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => *existing = rule,
                None => self.rules.push(rule),
            }
        }
        Ok(())
    }

    /// Sets a rule's level from `ID=LEVEL` (`node/runtime-provided-sdk=warn`).
    pub fn set_level(&mut self, assignment: &str) -> Result<(), String> {
        let (id, level) = assignment
            .split_once('=')
            .ok_or_else(|| format!("expected RULE=LEVEL, found {assignment:?}"))?;
        let level = match level.trim() {
            "allow" => Level::Allow,
            "warn" => Level::Warn,
            "deny" => Level::Deny,
            other => return Err(format!("unknown level {other:?} (allow, warn or deny)")),
        };
        let rule = self
            .rules
            .iter_mut()
            .find(|r| r.id == id.trim())
            .ok_or_else(|| {
                format!(
                    "no rule {:?}; run `deadweight rules` for the list",
                    id.trim()
                )
            })?;
        rule.level = level;
        rule.user = true;
        Ok(())
    }

    /// Whether any rule that reads imports is enabled.
    pub fn scans_imports(&self) -> bool {
        self.rules.iter().any(|r| {
            r.level != Level::Allow
                && (matches!(r.matcher, Matcher::Import(..))
                    || r.id == crate::analysis::keepalive::RULE)
        })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The rules of file `name`: its TOML `text`, and for a built-in file the
/// JSON build.rs made of it.
fn parse_file(name: &str, text: &str, json: Option<&str>) -> Result<Vec<Rule>, RuleError> {
    let error = |line: Option<usize>, message: String| RuleError {
        file: name.to_string(),
        line,
        message,
    };
    let file: RuleFile = builtin_table(json.unwrap_or_default(), text).map_err(|e| {
        let line = e.span().map(|s| line_at(text, s.start));
        error(line, e.message().to_string())
    })?;
    let id_lines = id_lines(text);
    let mut rules = Vec::new();
    for (n, spec) in file.rule.into_iter().enumerate() {
        let line = id_lines.get(n).copied();
        let at = |needle: &str| text.find(needle).map(|o| line_at(text, o)).or(line);
        if !valid_id(&spec.id) {
            return Err(error(
                line,
                format!("rule id {:?} must be `ecosystem/kebab-case-name` (node/, python/, java/, binary/, runtime/, common/)", spec.id),
            ));
        }
        let Some(docs) = spec.docs else {
            return Err(error(
                line,
                format!(
                    "rule {} has no [rule.docs] (what, why, example, fix)",
                    spec.id
                ),
            ));
        };
        for (part, value) in [
            ("what", &docs.what),
            ("why", &docs.why),
            ("example", &docs.example),
            ("fix", &docs.fix),
        ] {
            if value.trim().is_empty() {
                return Err(error(
                    line,
                    format!("rule {}: docs.{part} is empty", spec.id),
                ));
            }
        }
        let matchers = [
            spec.import.is_some(),
            spec.package.is_some(),
            spec.files.is_some(),
            spec.runtime_provided.is_some(),
            spec.builtin,
        ]
        .iter()
        .filter(|m| **m)
        .count();
        if matchers != 1 {
            return Err(error(
                line,
                format!("rule {} needs exactly one of import, package, files, runtime_provided or builtin = true", spec.id),
            ));
        }
        let glob_error = |glob: &str, e: globset::Error| {
            error(
                at(glob),
                format!("rule {}: invalid glob {glob:?}: {e}", spec.id),
            )
        };
        let matcher = if let Some(import) = spec.import {
            let set = globs(&import.modules, true, false).map_err(|(g, e)| glob_error(&g, e))?;
            Matcher::Import(import, set)
        } else if let Some(package) = spec.package {
            if let Some(version) = &package.version {
                if let Err(message) = eval::parse_requirement(package.ecosystem, version) {
                    return Err(error(
                        at(version),
                        format!("rule {}: version {version:?}: {message}", spec.id),
                    ));
                }
            }
            let set = globs(&package.names, false, false).map_err(|(g, e)| glob_error(&g, e))?;
            if let Some(name) = package
                .fixes
                .keys()
                .find(|name| !set.is_match(name.as_str()))
            {
                // the key's own line: bare, or quoted as a scoped name must be
                let key_line = [format!("\n{name} ="), format!("\n\"{name}\" =")]
                    .iter()
                    .find_map(|needle| text.find(needle.as_str()))
                    .map(|offset| line_at(text, offset + 1));
                return Err(error(
                    key_line.or(line),
                    format!(
                        "rule {}: fixes names {name}, which the rule's names do not match",
                        spec.id
                    ),
                ));
            }
            Matcher::Package(package, set)
        } else if let Some(files) = spec.files {
            // matched against lower-cased paths: case-insensitive like most
            // file systems, while globset keeps its literal fast paths
            let lower = |list: &[String]| list.iter().map(|g| g.to_lowercase()).collect::<Vec<_>>();
            let include =
                globs(&lower(&files.globs), true, false).map_err(|(g, e)| glob_error(&g, e))?;
            let exclude =
                globs(&lower(&files.exclude), true, false).map_err(|(g, e)| glob_error(&g, e))?;
            Matcher::Files(files, include, exclude)
        } else if let Some(provided) = spec.runtime_provided {
            Matcher::RuntimeProvided(provided)
        } else {
            Matcher::Builtin
        };
        for runtime in &spec.runtimes {
            if runtimes::find(runtime).is_none() {
                return Err(error(
                    at(runtime),
                    format!("rule {}: unknown runtime {runtime:?}", spec.id),
                ));
            }
        }
        rules.push(Rule {
            id: spec.id,
            title: spec.title,
            level: spec.level,
            category: spec.category,
            matcher,
            runtimes: spec.runtimes,
            message: spec.message,
            fix: spec.fix,
            docs,
            evidence: spec.evidence,
            alternative: spec.alternative,
            source: name.to_string(),
            line: line.unwrap_or(1),
            user: !BUILTIN_FILES.iter().any(|(builtin, _, _)| *builtin == name),
        });
    }
    Ok(rules)
}

fn globs(
    patterns: &[String],
    separator: bool,
    case_insensitive: bool,
) -> Result<GlobSet, (String, globset::Error)> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob: Glob = GlobBuilder::new(pattern)
            .literal_separator(separator)
            .case_insensitive(case_insensitive)
            .build()
            .map_err(|e| (pattern.clone(), e))?;
        builder.add(glob);
    }
    builder.build().map_err(|e| (patterns.join(", "), e))
}

fn valid_id(id: &str) -> bool {
    let Some((prefix, name)) = id.split_once('/') else {
        return false;
    };
    matches!(
        prefix,
        "node" | "python" | "java" | "binary" | "runtime" | "common"
    ) && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Lines of each `id = …` inside a `[[rule]]`, in order.
fn id_lines(text: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    let mut in_rule = false;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed == "[[rule]]" {
            in_rule = true;
        } else if in_rule && trimmed.starts_with("id") && trimmed[2..].trim_start().starts_with('=')
        {
            lines.push(n + 1);
            in_rule = false;
        }
    }
    lines
}

fn line_at(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Rule files the user named on the command line or in the config.
pub fn load(dirs: &[PathBuf]) -> Result<RuleSet, RuleError> {
    if dirs.is_empty() {
        RuleSet::builtin()
    } else {
        RuleSet::with_dirs(dirs)
    }
}

/// Where a rule id's fixtures live: `tests/fixtures/rules/node/whole-aws-sdk-v2`.
pub fn fixture_dir(root: &Path, id: &str) -> PathBuf {
    root.join("tests/fixtures/rules").join(id)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The JSON holds what the TOML does, and reads into the table's type:
    /// the TOML is never the one parsed.
    pub(crate) fn assert_read_from_json<T: DeserializeOwned>(name: &str, text: &str, json: &str) {
        let from_toml: serde_json::Value = toml::from_str(text).unwrap();
        let from_json: serde_json::Value =
            serde_json::from_str(json).unwrap_or_else(|e| panic!("{name}: no JSON ({e})"));
        assert_eq!(from_json, from_toml, "{name}");
        if let Err(e) = serde_json::from_str::<T>(json) {
            panic!("{name}: the JSON does not fit its type: {e}");
        }
    }

    #[test]
    fn the_rule_files_are_read_from_their_json() {
        for (name, text, json) in BUILTIN_FILES {
            assert_read_from_json::<RuleFile>(name, text, json);
        }
        // a user's file, and a built-in one whose JSON is missing, are read
        // from their TOML, with its lines
        let (name, text, _) = BUILTIN_FILES[1];
        let rules = parse_file(name, text, Some("")).unwrap();
        assert_eq!(rules.len(), parse_file(name, text, None).unwrap().len());
        let broken = "[[rule]]\nid = \"node/x\"\nlevel = 3\n";
        let error = parse_file("mine.toml", broken, None).err().unwrap();
        assert_eq!(error.line, Some(3));
    }

    #[test]
    fn ids_have_an_ecosystem_and_a_kebab_name() {
        assert!(valid_id("node/whole-aws-sdk-v2"));
        assert!(!valid_id("whole-aws-sdk"));
        assert!(!valid_id("node/Whole"));
        assert!(!valid_id("rust/x"));
    }
}
