//! The `Report`: everything a renderer may show, as plain data. Renderers
//! (one per output format) see only this, never the artifact.

pub mod github;
mod json;
pub mod markdown;
pub mod measure;
pub mod rules;
mod sarif;
mod terminal;
mod why;

use std::io::{self, Write};

use serde::Serialize;

use crate::analysis::{Analysis, Finding, Saving};
use crate::artifact::{Artifact, EntryKind, Warning};
use crate::inventory::{Ecosystem, Inventory, Layout, RuntimeFamily, Totals};
use crate::lockfile::{LockFormat, Lockfile};

pub use github::Github;
pub use json::Json;
pub use markdown::Markdown;
pub use sarif::Sarif;
pub use terminal::{render_diff as render_diff_terminal, render_logs, ColorChoice, Terminal};
pub use why::{WhyReport, WhyStep};

/// Bumped only for changes that are not purely additive.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub artifacts: Vec<ArtifactReport>,
}

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ArtifactReport {
    pub path: String,
    /// `zip`, `jar` or `directory`.
    pub kind: &'static str,
    pub layout: Layout,
    /// The Lambda runtime id, when given.
    pub runtime: Option<String>,
    pub runtime_family: RuntimeFamily,
    /// The instruction set audited for (`x86_64` or `arm64`, from `--arch`,
    /// the config or the template); null for a lockfile.
    pub architecture: Option<&'static str>,
    /// The functions a compiled template beside the artifact deploys from
    /// it (`cdk synth`'s construct paths, `serverless package`'s names).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deployed_as: Vec<String>,
    pub zipped_bytes: u64,
    /// True for a directory: its zipped size is what a zip would weigh.
    pub zipped_estimated: bool,
    pub unzipped_bytes: u64,
    pub files: usize,
    /// Zip bytes outside any entry (end records, comment); counted in `unowned`.
    pub archive_overhead_bytes: u64,
    pub packages: Vec<PackageReport>,
    pub app: Totals,
    pub unowned: Totals,
    /// The biggest directories, parents before children.
    pub directories: Vec<DirectoryReport>,
    pub symlinks: Vec<String>,
    /// Native ELF files and what they need (machine, glibc, libraries).
    pub native: Vec<crate::analysis::compat::NativeFile>,
    /// Executables (a custom runtime's bootstrap): Go or Rust build facts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<crate::inventory::binary::BinaryInfo>,
    /// Files of the function's own code that bundle packages, and what
    /// each is made of.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bundles: Vec<crate::inventory::bundle::Bundle>,
    /// Set when the input was a lockfile on its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lockfile: Option<LockfileSummary>,
    pub findings: Vec<Finding>,
    /// Findings an ignore in the config suppressed, with its reason.
    pub ignored: Vec<crate::gate::IgnoredFinding>,
    /// What the handler loads at init, when the handler is known.
    pub init: Option<InitReport>,
    /// Why a function of Node or Python code has no `init`: no handler
    /// was given and none could be inferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_not_followed: Option<String>,
    pub gate: GateReport,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Serialize)]
pub struct PackageReport {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: Option<String>,
    pub path: String,
    pub unzipped_bytes: u64,
    pub zipped_bytes: u64,
    pub files: usize,
    /// Bytes freed by removing the package and every package only it keeps
    /// alive (its subtree in the dominator tree of the dependency graph).
    pub retained_bytes: Option<u64>,
    pub retained_zipped_bytes: Option<u64>,
    pub direct: bool,
    pub dev: Option<bool>,
}

#[derive(Debug, Serialize)]
pub struct LockfileSummary {
    pub format: LockFormat,
    pub project: Option<String>,
    pub packages: usize,
    pub production: usize,
    pub development: usize,
}

#[derive(Debug, Serialize)]
pub struct DirectoryReport {
    pub path: String,
    /// The path below the parent row; chains of single directories
    /// (`python/lib/python3.12/site-packages`) are folded into one row.
    pub label: String,
    pub depth: usize,
    pub files: usize,
    pub unzipped_bytes: u64,
    pub zipped_bytes: u64,
}

pub use crate::analysis::init::InitReport;

#[derive(Debug, Default, Serialize)]
pub struct GateReport {
    pub passed: bool,
    pub reasons: Vec<String>,
    pub budgets: Vec<crate::gate::BudgetReport>,
}

/// Choices that shape the report rather than the analysis.
#[derive(Clone, Debug)]
pub struct ReportOptions {
    /// Deepest directory level in the biggest-directories tree.
    pub tree_depth: usize,
    /// A directory is shown when it holds at least this share of the artifact.
    pub tree_min_share: f64,
    /// At most this many children per directory in the tree.
    pub tree_children: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            tree_depth: 3,
            tree_min_share: 0.02,
            tree_children: 5,
        }
    }
}

impl Report {
    pub fn new(artifacts: Vec<ArtifactReport>) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            artifacts,
        }
    }

    pub fn gate_passed(&self) -> bool {
        self.artifacts.iter().all(|a| a.gate.passed)
    }
}

impl ArtifactReport {
    /// The report of an audited artifact; `directories` are its
    /// [`biggest_directories`], which an audit works out beside the init
    /// walk.
    pub fn build(
        artifact: &Artifact,
        inventory: &Inventory,
        analysis: &Analysis,
        directories: Vec<DirectoryReport>,
    ) -> Self {
        let mut packages: Vec<PackageReport> = inventory
            .packages
            .iter()
            .zip(&analysis.retained)
            .zip(&analysis.dev)
            .map(|((p, retained), dev)| PackageReport {
                ecosystem: p.ecosystem,
                name: p.name.clone(),
                version: p.version.clone(),
                path: p.path.clone(),
                unzipped_bytes: p.totals.unzipped_bytes,
                zipped_bytes: p.totals.zipped_bytes,
                files: p.totals.files,
                retained_bytes: Some(retained.0),
                retained_zipped_bytes: Some(retained.1),
                direct: p.direct,
                dev: *dev,
            })
            .collect();
        packages.sort_by(|a, b| {
            b.unzipped_bytes
                .cmp(&a.unzipped_bytes)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.path.cmp(&b.path))
        });
        let mut warnings = artifact.warnings.clone();
        warnings.extend(inventory.warnings.iter().cloned());
        warnings.extend(analysis.warnings.iter().cloned());
        ArtifactReport {
            path: artifact.path.display().to_string(),
            kind: artifact.container.as_str(),
            layout: inventory.layout,
            runtime: None,
            runtime_family: inventory.runtime,
            architecture: None,
            deployed_as: Vec::new(),
            zipped_bytes: artifact.zipped_bytes,
            zipped_estimated: artifact.zipped_estimated,
            unzipped_bytes: artifact.unzipped_bytes(),
            files: artifact.file_count(),
            archive_overhead_bytes: artifact.archive_overhead_bytes,
            packages,
            app: inventory.app,
            unowned: inventory.unowned,
            directories,
            symlinks: artifact
                .entries
                .iter()
                .filter(|e| e.kind == EntryKind::Symlink)
                .map(|e| e.path.clone())
                .collect(),
            native: analysis.native.clone(),
            binaries: inventory.binaries.clone(),
            bundles: analysis.bundles.clone(),
            lockfile: None,
            findings: analysis.findings.clone(),
            ignored: Vec::new(),
            init: None,
            init_not_followed: None,
            gate: GateReport {
                passed: true,
                ..GateReport::default()
            },
            warnings,
        }
    }
}

impl ArtifactReport {
    /// A lockfile on its own: the production install it describes. Sizes
    /// are unknown without the installed files, so they are zero.
    pub fn from_lockfile(lock: &Lockfile) -> Self {
        let production = lock.production();
        let direct: Vec<usize> = lock
            .root
            .iter()
            .filter(|d| d.kind != crate::inventory::DependencyKind::Dev)
            .filter_map(|d| d.target)
            .collect();
        let mut packages: Vec<PackageReport> = production
            .iter()
            .map(|&i| {
                let p = &lock.packages[i];
                PackageReport {
                    ecosystem: lock.ecosystem,
                    name: p.name.clone(),
                    version: Some(p.version.clone()).filter(|v| !v.is_empty()),
                    path: p.key.clone(),
                    unzipped_bytes: 0,
                    zipped_bytes: 0,
                    files: 0,
                    retained_bytes: None,
                    retained_zipped_bytes: None,
                    direct: direct.contains(&i),
                    dev: p.dev,
                }
            })
            .collect();
        packages.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.path.cmp(&b.path)));
        let development = lock.packages.iter().filter(|p| p.dev == Some(true)).count();
        ArtifactReport {
            path: lock.path.display().to_string(),
            kind: "lockfile",
            layout: Layout::Function,
            runtime: None,
            architecture: None,
            deployed_as: Vec::new(),
            runtime_family: match lock.ecosystem {
                Ecosystem::Npm => RuntimeFamily::Node,
                Ecosystem::Pypi => RuntimeFamily::Python,
                Ecosystem::Maven => RuntimeFamily::Java,
                Ecosystem::Go | Ecosystem::Cargo => RuntimeFamily::Binary,
            },
            zipped_bytes: 0,
            zipped_estimated: false,
            unzipped_bytes: 0,
            files: 0,
            archive_overhead_bytes: 0,
            findings: crate::analysis::locked_duplicates(lock, &production),
            ignored: Vec::new(),
            packages,
            app: Totals::default(),
            unowned: Totals::default(),
            directories: Vec::new(),
            symlinks: Vec::new(),
            native: Vec::new(),
            binaries: Vec::new(),
            bundles: Vec::new(),
            lockfile: Some(LockfileSummary {
                format: lock.format,
                project: lock.project.clone(),
                packages: lock.packages.len(),
                production: production.len(),
                development,
            }),
            init: None,
            init_not_followed: None,
            gate: GateReport {
                passed: true,
                ..GateReport::default()
            },
            warnings: lock.warnings.clone(),
        }
    }
}

/// The directories that hold the bulk of the artifact, as a pruned tree
/// flattened parents-first.
pub fn biggest_directories(artifact: &Artifact, options: &ReportOptions) -> Vec<DirectoryReport> {
    // every file adds to each of its directories: a cheap hash pays
    let mut sizes: rustc_hash::FxHashMap<&str, Totals> = Default::default();
    let mut children: rustc_hash::FxHashMap<&str, Vec<&str>> = Default::default();
    for entry in artifact.entries.iter().filter(|e| !e.unsafe_name) {
        let mut path = entry.path.as_str();
        if entry.kind != EntryKind::Dir {
            path = match path.rfind('/') {
                Some(cut) => &path[..cut],
                None => continue,
            };
        }
        loop {
            let totals = sizes.entry(path).or_insert_with(|| {
                let parent = path.rfind('/').map(|c| &path[..c]).unwrap_or("");
                children.entry(parent).or_default().push(path);
                Totals::default()
            });
            if entry.kind == EntryKind::File {
                totals.files += 1;
            }
            totals.unzipped_bytes += entry.unzipped_bytes;
            totals.zipped_bytes += entry.zipped_bytes;
            match path.rfind('/') {
                Some(cut) => path = &path[..cut],
                None => break,
            }
        }
    }
    let total = artifact.unzipped_bytes().max(1) as f64;
    let mut out = Vec::new();
    let shown_children = |dir: &str| -> Vec<&str> {
        children
            .get(dir)
            .map(|k| {
                k.iter()
                    .copied()
                    .filter(|k| sizes[k].unzipped_bytes as f64 / total >= options.tree_min_share)
                    .collect()
            })
            .unwrap_or_default()
    };
    // (directory, depth, the path of the row above it)
    let mut stack: Vec<(&str, usize, &str)> = vec![("", 0, "")];
    while let Some((mut dir, depth, above)) = stack.pop() {
        if depth > 0 {
            // fold a directory whose only content is one subdirectory
            while let Some(&[only]) = children.get(dir).map(Vec::as_slice) {
                if sizes[only] != sizes[dir] {
                    break;
                }
                dir = only;
            }
            let t = sizes[dir];
            let label = if above.is_empty() {
                dir
            } else {
                dir.strip_prefix(above)
                    .and_then(|r| r.strip_prefix('/'))
                    .unwrap_or(dir)
            };
            out.push(DirectoryReport {
                path: dir.to_string(),
                label: label.to_string(),
                depth,
                files: t.files,
                unzipped_bytes: t.unzipped_bytes,
                zipped_bytes: t.zipped_bytes,
            });
        }
        if depth >= options.tree_depth {
            continue;
        }
        let mut kids = shown_children(dir);
        kids.sort_by(|a, b| {
            sizes[b]
                .unzipped_bytes
                .cmp(&sizes[a].unzipped_bytes)
                .then(a.cmp(b))
        });
        kids.truncate(options.tree_children);
        // pushed smallest first so the biggest is printed first
        for kid in kids.into_iter().rev() {
            stack.push((kid, depth + 1, dir));
        }
    }
    out
}

/// One output format.
pub trait Render {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()>;
}

/// "1.2 MiB unzipped, 310 KiB zipped; init 20–35 ms" — what a fix saves,
/// in the same words in every human format.
/// Milliseconds of one percentile, rounded; `none` when there were no values.
pub(crate) fn logs_ms(
    p: &Option<crate::logs::Percentiles>,
    pick: fn(&crate::logs::Percentiles) -> f64,
    none: &str,
) -> String {
    p.as_ref()
        .map_or(none.to_string(), |p| format!("{:.0}", pick(p)))
}

/// One function's row of the `logs` table, as the terminal and Markdown
/// show it: name, memory, invocations, cold starts, cold %, init p50 / p90 /
/// p99 / max, duration p50 / p99, max memory used.
pub(crate) fn logs_function_cells(f: &crate::logs::FunctionStats, none: &str) -> [String; 12] {
    let mb = |m: Option<u64>| m.map_or(none.to_string(), |m| format!("{m} MB"));
    [
        f.name.clone(),
        mb(f.memory_mb),
        crate::units::thousands(f.invocations as u64),
        crate::units::thousands(f.cold_starts as u64),
        format!("{:.1}%", f.cold_start_pct),
        logs_ms(&f.init_ms, |p| p.median, none),
        logs_ms(&f.init_ms, |p| p.p90, none),
        logs_ms(&f.init_ms, |p| p.p99, none),
        logs_ms(&f.init_ms, |p| p.max, none),
        logs_ms(&f.duration_ms, |p| p.median, none),
        logs_ms(&f.duration_ms, |p| p.p99, none),
        mb(f.max_memory_used_mb),
    ]
}

pub fn saving_text(saving: &Saving) -> String {
    let (unzipped, zipped) = (saving.unzipped_bytes, saving.zipped_bytes);
    let bytes = format!(
        "{} unzipped, {} zipped",
        crate::units::human_bytes(unzipped),
        crate::units::human_bytes(zipped)
    );
    let Some(ms) = saving.init_ms else {
        return bytes;
    };
    // what the estimate stands on: the files init loads with the fix
    let files = match saving.init_files {
        Some(files) if files.after != files.before => format!(
            "; loads {} instead of {}",
            crate::units::counted(files.after as u64, "file"),
            crate::units::thousands(files.before as u64)
        ),
        _ => String::new(),
    };
    let init = if ms.high < 0.0 {
        let cost = crate::estimate::MsRange::new(-ms.high, -ms.low);
        format!("init costs {} more (estimated{files})", cost.text())
    } else {
        format!("init {} (estimated{files})", ms.text())
    };
    if unzipped == 0 && zipped == 0 {
        init
    } else {
        format!("{bytes}; {init}")
    }
}

/// "; est. 85–115 ms at 512 MB" after the init line.
pub fn estimate_text(estimate: &crate::estimate::InitEstimate) -> String {
    let range = crate::estimate::MsRange::new(estimate.low, estimate.high);
    let unpriced = match estimate.unpriced.as_slice() {
        [] => String::new(),
        names => format!(
            ", not counting {} from the runtime",
            crate::units::and_list(names)
        ),
    };
    match estimate.memory_mb {
        Some(mb) => format!("est. {} at {mb} MB{unpriced}", range.text()),
        None => format!("est. {} with a full vCPU{unpriced}", range.text()),
    }
}

/// "measured: Init Duration p50 412 ms · p90 530 ms over 40 cold starts of
/// orders at 512 MB (logs; …)"
pub fn measured_text(measured: &crate::logs::MeasuredInit) -> String {
    format!(
        "measured: Init Duration p50 {:.0} ms · p90 {:.0} ms over {} cold starts of {}{} (logs; includes the runtime's own start)",
        measured.median_ms,
        measured.p90_ms,
        measured.cold_starts,
        measured.function,
        measured
            .memory_mb
            .map(|m| format!(" at {m} MB"))
            .unwrap_or_default()
    )
}
