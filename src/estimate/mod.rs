//! The init-time model: milliseconds from what the handler loads.
//!
//! Per runtime family, fitted by `bench/calibrate.py` on functions built
//! from the registries and timed with `deadweight measure` on one machine:
//!
//! ```text
//! init ms = base + a·MiB of code + b·files + c·native modules
//!         + d·MiB of Python source compiled at start + e·runtime-module ms
//!         + f·Python classes created + g·Node ES modules
//!         + h·MiB of CommonJS that ES modules import
//!         + i·MiB of inline source maps
//!         + j·MiB of source maps parsed (Node's --enable-source-maps)
//! ```
//!
//! where the fifth term is the standard-library / built-in modules the init
//! imports, costed from their measured self times, with what the Python
//! runtime provides (boto3) and the boto3 clients made at module scope; the
//! Node runtime's AWS SDK counts as the same code bundled (code and files).
//! Terms g and h are Node's: its ES module loader costs more per module
//! than `require`, and it reads a CommonJS module an ES module imports
//! once more, for the names it exports, before running it. Terms i and j
//! are Node's source maps: an inline one is text Node reads with the code
//! at every load, and with source maps enabled Node parses every map the
//! files it loads name, as it loads them.
//! All come from rules/runtime-modules.json. The estimate is a range
//! from the fit's residuals, for the machine the model was fitted on; with a
//! memory size it scales to Lambda's CPU share (one full vCPU at 1,769 MB,
//! proportionally less below: a model assumption, not a measurement).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::analysis::init::{is_native_module, InitReport};
use crate::imports::{reach, Language};

pub mod fixes;

const MODEL: &str = include_str!("../../rules/init-model.toml");
const MODEL_JSON: &str = crate::rules::builtin_json!("init-model");
/// Each family's table of the runtime's own modules: JSON, as it is most of
/// the model's bytes and JSON parses several times faster than TOML.
const RUNTIME_MODULES: &str = include_str!("../../rules/runtime-modules.json");
const MIB: f64 = 1024.0 * 1024.0;
/// Lambda gives a function one full vCPU at this memory size.
pub const FULL_VCPU_MB: u32 = 1769;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    pub node: Family,
    pub python: Family,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Family {
    pub fitted: String,
    pub machine: String,
    pub runtime: String,
    pub runs_per_sample: u32,
    pub base_ms: f64,
    pub ms_per_code_mib: f64,
    /// Per 100,000 JavaScript tokens loaded.
    pub ms_per_100k_tokens: f64,
    pub ms_per_file: f64,
    pub ms_per_native: f64,
    pub ms_per_compiled_mib: f64,
    pub ms_per_runtime_ms: f64,
    /// Per Python class the loaded modules create as they run.
    pub ms_per_class: f64,
    /// Per file Node loads as an ES module.
    pub ms_per_es_module: f64,
    /// Per MiB of CommonJS modules that ES modules import.
    pub ms_per_commonjs_imported_mib: f64,
    /// Per MiB of inline source maps (data URLs) in the files loaded.
    pub ms_per_inline_map_mib: f64,
    /// Per MiB of source map JSON parsed at load, with source maps enabled.
    pub ms_per_source_map_mib: f64,
    /// 10th and 90th percentile of measured / estimated over the samples.
    pub ratio_low: f64,
    pub ratio_high: f64,
    /// Self time (µs) and imports of each module the runtime provides,
    /// from rules/runtime-modules.json.
    #[serde(skip)]
    pub runtime_modules: BTreeMap<String, RuntimeModule>,
    /// What module-scope calls cost (`boto3.client`), from the same file.
    #[serde(skip)]
    pub calls: BTreeMap<String, PricedCall>,
    /// Node: the packages the runtime provides (its AWS SDK), priced as
    /// the same code bundled.
    #[serde(skip)]
    pub packages: BTreeMap<String, ProvidedPackage>,
    #[serde(default)]
    pub sample: Vec<Sample>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeModule {
    pub self_us: f64,
    #[serde(default)]
    pub imports: Vec<String>,
}

/// A call that costs init time when made at module scope: a first one
/// sets up what every later one shares (boto3's loader and endpoint data),
/// then each loads its service's model.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricedCall {
    pub setup_us: f64,
    /// After the setup, per service; any other at their median.
    pub services_us: BTreeMap<String, f64>,
}

/// A package the runtime provides, as requiring it loads: its own files
/// and bytes, and the provided packages it requires in turn.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidedPackage {
    pub files: usize,
    pub bytes: u64,
    /// JavaScript tokens of those files.
    pub tokens: u64,
    /// The CommonJS file an ES module's `import` of the package loads,
    /// which Node reads once more for its export names (0: an ES module).
    #[serde(default)]
    pub esm_entry_bytes: u64,
    #[serde(default)]
    pub imports: Vec<String>,
}

/// rules/runtime-modules.json.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuntimeTables {
    node: BTreeMap<String, RuntimeModule>,
    python: BTreeMap<String, RuntimeModule>,
    #[serde(default)]
    python_calls: BTreeMap<String, PricedCall>,
    #[serde(default)]
    node_packages: BTreeMap<String, ProvidedPackage>,
}

/// One calibration function: its model inputs and its measured init.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sample {
    pub path: String,
    /// The runtime id it was audited with.
    pub runtime: String,
    pub files: usize,
    pub code_bytes: u64,
    #[serde(default)]
    pub code_tokens: u64,
    pub native: usize,
    pub compiled_bytes: u64,
    pub runtime_ms: f64,
    pub classes: usize,
    #[serde(default)]
    pub es_modules: usize,
    #[serde(default)]
    pub commonjs_imported_bytes: u64,
    #[serde(default)]
    pub inline_map_bytes: u64,
    /// Source map JSON parsed at init: 0 unless it ran with source maps enabled.
    #[serde(default)]
    pub source_map_bytes: u64,
    /// The environment it was audited and timed with (`NAME=VALUE`).
    #[serde(default)]
    pub env: Vec<String>,
    pub measured_ms: f64,
    /// How it was timed, when not with the rest (`calibrate.py --extend`).
    #[serde(default)]
    pub note: Option<String>,
}

/// The fitted model shipped in the binary.
pub fn model() -> &'static Model {
    static PARSED: OnceLock<Model> = OnceLock::new();
    // the file is generated and checked by the test suite; it cannot be
    // malformed in a built binary
    PARSED.get_or_init(|| {
        let mut model: Model =
            crate::rules::builtin_table(MODEL_JSON, MODEL).expect("rules/init-model.toml parses");
        let tables: RuntimeTables =
            serde_json::from_str(RUNTIME_MODULES).expect("rules/runtime-modules.json parses");
        model.node.runtime_modules = tables.node;
        model.python.runtime_modules = tables.python;
        model.python.calls = tables.python_calls;
        model.node.packages = tables.node_packages;
        model
    })
}

impl Model {
    pub fn family(&self, language: Language) -> &Family {
        match language {
            Language::JavaScript => &self.node,
            Language::Python => &self.python,
        }
    }
}

/// What the model reads from an init walk.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inputs {
    pub files: usize,
    /// Bytes of code loaded, native modules left out.
    pub code_bytes: u64,
    /// JavaScript tokens of that code.
    pub code_tokens: u64,
    pub native: usize,
    pub compiled_bytes: u64,
    /// Runtime-provided modules imported, costed from the model's table.
    pub runtime_ms: f64,
    /// Python classes the loaded modules define as they run.
    pub classes: usize,
    /// Node: files loaded as ES modules, and bytes of the CommonJS files
    /// ES modules import.
    pub es_modules: usize,
    pub commonjs_imported_bytes: u64,
    /// Node: bytes of inline source maps in the files loaded, and of
    /// source map JSON parsed as they load (0 unless source maps are
    /// enabled).
    pub inline_map_bytes: u64,
    pub source_map_bytes: u64,
}

impl Inputs {
    pub fn of(init: &InitReport, family: &Family) -> Inputs {
        Inputs {
            files: init.loaded_files,
            code_bytes: init.loaded_bytes - init.native_bytes,
            code_tokens: init.code_tokens,
            native: init.native_files,
            compiled_bytes: init.compiled_bytes,
            runtime_ms: family.runtime_ms(&init.runtime_modules)
                + family.calls_ms(&init.priced_calls),
            classes: init.classes,
            es_modules: init.es_modules,
            commonjs_imported_bytes: init.commonjs_imported_bytes
                + family.esm_entry_bytes(&init.esm_imported_runtime_packages),
            inline_map_bytes: init.inline_map_bytes,
            source_map_bytes: match init.source_maps_enabled {
                true => init.source_map_bytes,
                false => 0,
            },
        }
        .with_provided(&init.runtime_modules, family)
    }

    /// Plus the code of the runtime's packages among `names`, and the
    /// built-ins it requires that `names` does not.
    fn with_provided(mut self, names: &[String], family: &Family) -> Inputs {
        let (files, bytes, tokens, builtins) = family.provided_code(names);
        self.files += files;
        self.code_bytes += bytes;
        self.code_tokens += tokens;
        if !builtins.is_empty() {
            let all: Vec<String> = names.iter().cloned().chain(builtins).collect();
            self.runtime_ms += family.runtime_ms(&all) - family.runtime_ms(names);
        }
        self
    }

    /// From a walk's loaded files with their sizes, for fixes simulated
    /// without a full report.
    pub fn from_files<'a>(
        files: impl Iterator<Item = (&'a str, u64, bool)>,
        load: &reach::InitLoad,
        source_maps_enabled: bool,
        family: &Family,
    ) -> Inputs {
        let runtime_modules = &load.runtime_modules;
        let mut inputs = Inputs {
            runtime_ms: family.runtime_ms(runtime_modules),
            classes: load.classes,
            code_tokens: load.code_tokens,
            es_modules: load.es_modules,
            commonjs_imported_bytes: load.commonjs_imported_bytes
                + family.esm_entry_bytes(&load.esm_imported_runtime_packages()),
            inline_map_bytes: load.inline_map_bytes(),
            source_map_bytes: match source_maps_enabled {
                true => load.source_map_bytes(),
                false => 0,
            },
            ..Inputs::default()
        };
        for (path, bytes, recompiled) in files {
            inputs.files += 1;
            if is_native_module(path) {
                inputs.native += 1;
            } else {
                inputs.code_bytes += bytes;
                if recompiled {
                    inputs.compiled_bytes += bytes;
                }
            }
        }
        inputs.with_provided(runtime_modules, family)
    }
}

impl Family {
    /// Bytes of the CommonJS entries of the runtime's packages `names`
    /// that ES modules import.
    fn esm_entry_bytes(&self, names: &[String]) -> u64 {
        names
            .iter()
            .filter_map(|name| self.packages.get(name))
            .map(|p| p.esm_entry_bytes)
            .sum()
    }

    /// Sum of self times over every runtime module the names load, each
    /// counted once however many import it.
    pub fn runtime_ms(&self, names: &[String]) -> f64 {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut total_us = 0.0;
        while let Some(name) = stack.pop() {
            let Some(module) = self.runtime_modules.get(name) else {
                continue;
            };
            if !seen.insert(name) {
                continue;
            }
            total_us += module.self_us;
            stack.extend(module.imports.iter().map(String::as_str));
        }
        total_us / 1000.0
    }

    /// Files, bytes and tokens the runtime's packages among `names` load,
    /// with the packages they require, each once; and the built-ins they
    /// require.
    pub fn provided_code(&self, names: &[String]) -> (usize, u64, u64, Vec<String>) {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<&str> = names.iter().map(String::as_str).collect();
        let (mut files, mut bytes, mut tokens) = (0, 0, 0);
        // built-ins among `names` too: the caller counts only what they add
        let mut builtins = Vec::new();
        while let Some(name) = stack.pop() {
            let Some(package) = self.packages.get(name) else {
                if self.runtime_modules.contains_key(name) {
                    builtins.push(name.to_string());
                }
                continue;
            };
            if !seen.insert(name) {
                continue;
            }
            files += package.files;
            bytes += package.bytes;
            tokens += package.tokens;
            stack.extend(package.imports.iter().map(String::as_str));
        }
        (files, bytes, tokens, builtins)
    }

    /// What the module-scope calls cost (`boto3.client('s3')`,
    /// `session.client('sqs')`, as the report writes them): each distinct
    /// call once, and each session's setup once.
    pub fn calls_ms(&self, calls: &[String]) -> f64 {
        // per session (each loads endpoint data and models anew): its setup
        // once (the larger of its kinds'), then each service's model
        let mut setups: HashMap<&str, f64> = HashMap::new();
        let mut total = 0.0;
        let mut seen = HashSet::new();
        // the same client twice in one session loads nothing more; a
        // Session made on the spot is new each time, however alike the code
        for call in calls
            .iter()
            .filter(|call| call.starts_with("boto3.Session()") || seen.insert(call.as_str()))
        {
            let Some((name, service)) = call
                .rsplit_once("('")
                .map(|(name, rest)| (name, rest.trim_end_matches("')")))
            else {
                continue;
            };
            let Some((session, kind)) = name.rsplit_once('.') else {
                continue;
            };
            let Some(priced) = self.calls.get(format!("boto3.{kind}").as_str()) else {
                continue;
            };
            // a Session made on the spot is one per call
            if session == "boto3.Session()" {
                total += priced.setup_us;
            } else {
                let setup = setups.entry(session).or_default();
                *setup = setup.max(priced.setup_us);
            }
            total += priced.services_us.get(service).copied().unwrap_or_else(|| {
                let times: Vec<f64> = priced.services_us.values().copied().collect();
                crate::units::median(&times)
            });
        }
        (setups.values().sum::<f64>() + total) / 1000.0
    }

    /// The packages a runtime provides among `names` that the table has
    /// no time for.
    pub fn unpriced(&self, language: Language, names: &[String]) -> Vec<String> {
        let top = |name: &str| -> String {
            match language {
                Language::Python => name.split('.').next().unwrap_or(name).to_string(),
                Language::JavaScript => reach::npm_package(name).unwrap_or(name).to_string(),
            }
        };
        let mut unpriced: Vec<String> = names
            .iter()
            .map(|name| top(name))
            .filter(|package| {
                !self.runtime_modules.contains_key(package.as_str())
                    && !self.packages.contains_key(package.as_str())
                    && reach::runtimes_shipping(language, package).next().is_some()
            })
            .collect();
        unpriced.sort();
        unpriced.dedup();
        unpriced
    }

    /// The model's central value, in ms on the calibration machine.
    pub fn point(&self, inputs: &Inputs) -> f64 {
        self.base_ms
            + self.ms_per_code_mib * inputs.code_bytes as f64 / MIB
            + self.ms_per_100k_tokens * inputs.code_tokens as f64 / 1e5
            + self.ms_per_file * inputs.files as f64
            + self.ms_per_native * inputs.native as f64
            + self.ms_per_compiled_mib * inputs.compiled_bytes as f64 / MIB
            + self.ms_per_runtime_ms * inputs.runtime_ms
            + self.ms_per_class * inputs.classes as f64
            + self.ms_per_es_module * inputs.es_modules as f64
            + self.ms_per_commonjs_imported_mib * inputs.commonjs_imported_bytes as f64 / MIB
            + self.ms_per_inline_map_mib * inputs.inline_map_bytes as f64 / MIB
            + self.ms_per_source_map_mib * inputs.source_map_bytes as f64 / MIB
    }

    pub fn estimate(&self, inputs: &Inputs, memory_mb: Option<u32>) -> MsRange {
        let ms = self.point(inputs) * cpu_scale(memory_mb);
        MsRange::new(ms * self.ratio_low, ms * self.ratio_high)
    }

    /// What going from `before` to `after` saves; negative when it costs.
    pub fn saving(&self, before: &Inputs, after: &Inputs, memory_mb: Option<u32>) -> MsRange {
        let ms = (self.point(before) - self.point(after)) * cpu_scale(memory_mb);
        MsRange::new(ms * self.ratio_low, ms * self.ratio_high)
    }

    /// A range of this model moved to a function's own measurements: the
    /// residual spread stays, its centre moves to what the logs measured.
    pub fn calibrated(&self, range: MsRange, calibration: Option<&Calibration>) -> MsRange {
        match calibration {
            Some(c) => {
                let centre = (self.ratio_low * self.ratio_high).sqrt();
                MsRange::new(range.low * c.ratio / centre, range.high * c.ratio / centre)
            }
            None => range,
        }
    }

    /// "node v20.20.2 on <cpu>, fitted 2026-11-27 on 23 functions"
    pub fn provenance(&self) -> String {
        format!(
            "{} on {}, fitted {} on {} functions",
            self.runtime,
            self.machine,
            self.fitted,
            self.sample.len()
        )
    }
}

/// How much slower init runs at this memory size than with a full vCPU.
pub fn cpu_scale(memory_mb: Option<u32>) -> f64 {
    match memory_mb {
        Some(mb) if mb > 0 && mb < FULL_VCPU_MB => f64::from(FULL_VCPU_MB) / f64::from(mb),
        _ => 1.0,
    }
}

/// A range of milliseconds, rounded to a tenth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MsRange {
    pub low: f64,
    pub high: f64,
}

impl MsRange {
    pub fn new(a: f64, b: f64) -> MsRange {
        let round = |x: f64| (x * 10.0).round() / 10.0;
        MsRange {
            low: round(a.min(b)),
            high: round(a.max(b)),
        }
    }

    /// "85–115 ms"
    pub fn text(&self) -> String {
        // "0.0–0.0 ms" reads as a bug; the range is below what one place shows
        if self.low.abs() < 0.05 && self.high.abs() < 0.05 {
            return "under 0.1 ms".to_string();
        }
        format!("{}–{} ms", short(self.low), short(self.high))
    }
}

fn short(ms: f64) -> String {
    if ms.abs() >= 10.0 {
        format!("{ms:.0}")
    } else {
        format!("{ms:.1}")
    }
}

/// A function's measured Init Duration against the model's estimate,
/// from its logs (`deadweight calibrate`), kept in deadweight.toml.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Calibration {
    /// Measured median Init Duration / the model's estimate at that memory.
    pub ratio: f64,
    pub cold_starts: usize,
    pub memory_mb: u64,
    pub function: String,
    pub date: String,
}

impl Calibration {
    /// "calibrated 2026-11-27 to 42 cold starts of orders at 512 MB"
    pub fn describe(&self) -> String {
        format!(
            "calibrated {} to {} cold starts of {} at {} MB",
            self.date, self.cold_starts, self.function, self.memory_mb
        )
    }
}

/// The model's estimate for a function, scaled to its memory size and,
/// when its logs calibrated it, to what Lambda measured.
pub fn scaled_estimate(
    family: &Family,
    inputs: &Inputs,
    memory_mb: Option<u32>,
    calibration: Option<&Calibration>,
) -> MsRange {
    family.calibrated(family.estimate(inputs, memory_mb), calibration)
}

/// The estimate shown in the init section of a report.
#[derive(Clone, Debug, Serialize)]
pub struct InitEstimate {
    pub low: f64,
    pub high: f64,
    /// The memory size scaled to, if one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_mb: Option<u32>,
    /// Where the model comes from: runtime, machine, date, sample count.
    pub model: String,
    /// The function's own logs it was calibrated to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibrated: Option<String>,
    /// What the runtime provides and init imports that the model has no
    /// time for (Node: the runtime's AWS SDK): not in the range.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unpriced: Vec<String>,
}

pub fn init_estimate(
    init: &InitReport,
    memory_mb: Option<u32>,
    calibration: Option<&Calibration>,
) -> InitEstimate {
    let family = model().family(init.language);
    let range = scaled_estimate(family, &Inputs::of(init, family), memory_mb, calibration);
    InitEstimate {
        low: range.low,
        high: range.high,
        memory_mb,
        model: family.provenance(),
        calibrated: calibration.map(Calibration::describe),
        unpriced: family.unpriced(init.language, &init.runtime_modules),
    }
}

/// The calibration a function's measured init gives: its median Init
/// Duration over the model's estimate at the memory it ran with.
pub fn calibrate(
    init: &InitReport,
    measured: &crate::logs::MeasuredInit,
    memory_mb: Option<u32>,
) -> Calibration {
    let family = model().family(init.language);
    let estimate = family.point(&Inputs::of(init, family)) * cpu_scale(memory_mb);
    Calibration {
        ratio: measured.median_ms / estimate.max(0.1),
        cold_starts: measured.cold_starts,
        memory_mb: measured.memory_mb.unwrap_or(0),
        function: measured.function.clone(),
        date: crate::gate::today(),
    }
}

/// The config key of a language's calibration: `node`, `python`.
pub fn family_key(language: Language) -> &'static str {
    match language {
        Language::JavaScript => "node",
        Language::Python => "python",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_is_read_from_its_json() {
        let assert = crate::rules::tests::assert_read_from_json::<Model>;
        assert("rules/init-model.toml", MODEL, MODEL_JSON);
    }

    #[test]
    fn the_shipped_model_parses_and_has_samples() {
        let m = model();
        assert!(m.node.sample.len() >= 15 && m.python.sample.len() >= 15);
        assert!(m.node.ratio_low <= 1.0 && m.node.ratio_high >= 1.0);
        // the timed runtime modules come from their own file, per family
        let http = &m.node.runtime_modules["http"];
        assert!(http.imports.iter().any(|i| i == "internal:net"));
        let urllib = &m.python.runtime_modules["urllib.request"];
        assert!(urllib.self_us > 0.0 && urllib.imports.iter().any(|i| i == "http.client"));
        assert!(!m.node.runtime_modules.contains_key("urllib.request"));
    }

    #[test]
    fn less_memory_is_slower_and_more_is_not_faster() {
        assert_eq!(cpu_scale(None), 1.0);
        assert_eq!(cpu_scale(Some(FULL_VCPU_MB)), 1.0);
        assert_eq!(cpu_scale(Some(10_240)), 1.0);
        assert!((cpu_scale(Some(128)) - 13.82).abs() < 0.01);
    }

    #[test]
    fn shared_runtime_modules_count_once() {
        let mut family = model().python.clone_empty();
        family.runtime_modules.insert(
            "a".into(),
            RuntimeModule {
                self_us: 1000.0,
                imports: vec!["shared".into()],
            },
        );
        family.runtime_modules.insert(
            "b".into(),
            RuntimeModule {
                self_us: 500.0,
                imports: vec!["shared".into(), "a".into()],
            },
        );
        family.runtime_modules.insert(
            "shared".into(),
            RuntimeModule {
                self_us: 2000.0,
                imports: vec!["b".into()],
            },
        );
        assert_eq!(family.runtime_ms(&["a".into(), "b".into()]), 3.5);
        assert_eq!(family.runtime_ms(&["unknown".into()]), 0.0);
    }

    impl Family {
        fn clone_empty(&self) -> Family {
            Family {
                fitted: self.fitted.clone(),
                machine: self.machine.clone(),
                runtime: self.runtime.clone(),
                runs_per_sample: self.runs_per_sample,
                base_ms: 0.0,
                ms_per_code_mib: 0.0,
                ms_per_100k_tokens: 0.0,
                ms_per_file: 0.0,
                ms_per_native: 0.0,
                ms_per_compiled_mib: 0.0,
                ms_per_runtime_ms: 1.0,
                ms_per_class: 0.0,
                ms_per_es_module: 0.0,
                ms_per_commonjs_imported_mib: 0.0,
                ms_per_inline_map_mib: 0.0,
                ms_per_source_map_mib: 0.0,
                ratio_low: 1.0,
                ratio_high: 1.0,
                runtime_modules: BTreeMap::new(),
                calls: BTreeMap::new(),
                packages: BTreeMap::new(),
                sample: Vec::new(),
            }
        }
    }

    #[test]
    fn calls_pay_each_sessions_largest_setup_once_then_each_distinct_service() {
        let mut family = model().python.clone_empty();
        let priced = |setup_us: f64, services: &[(&str, f64)]| PricedCall {
            setup_us,
            services_us: services.iter().map(|(s, t)| (s.to_string(), *t)).collect(),
        };
        family.calls.insert(
            "boto3.client".into(),
            priced(4000.0, &[("s3", 2000.0), ("sqs", 1000.0), ("sns", 500.0)]),
        );
        family.calls.insert(
            "boto3.resource".into(),
            priced(5000.0, &[("dynamodb", 3000.0)]),
        );
        let ms = |calls: &[&str]| {
            family.calls_ms(&calls.iter().map(|c| c.to_string()).collect::<Vec<_>>())
        };
        assert_eq!(ms(&[]), 0.0);
        assert_eq!(ms(&["boto3.client('s3')"]), 6.0);
        // the same client twice is one; an unknown service is at the median
        assert_eq!(
            ms(&[
                "boto3.client('s3')",
                "boto3.client('s3')",
                "boto3.client('kms')"
            ]),
            7.0
        );
        assert_eq!(
            ms(&["boto3.client('sqs')", "boto3.resource('dynamodb')"]),
            9.0
        );
        assert_eq!(ms(&["os.getenv('X')"]), 0.0);
        // each session loads anew: a kept Session pays its setup once, one
        // made on the spot pays it per call
        assert_eq!(
            ms(&[
                "boto3.client('s3')",
                "session.client('s3')",
                "session.client('sqs')"
            ]),
            13.0
        );
        assert_eq!(
            ms(&[
                "boto3.Session().client('sqs')",
                "boto3.Session().resource('dynamodb')"
            ]),
            13.0
        );
        // two alike lines are two sessions; two alike clients of one, one
        assert_eq!(
            ms(&[
                "boto3.Session().client('sqs')",
                "boto3.Session().client('sqs')"
            ]),
            ms(&["boto3.Session().client('sqs')"]) * 2.0
        );
        assert_eq!(
            ms(&["boto3.client('sqs')", "boto3.client('sqs')"]),
            ms(&["boto3.client('sqs')"])
        );
    }
}
