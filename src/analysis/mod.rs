//! Analysis over the inventory and the graph: retained sizes, and the
//! built-in checks that turn facts into findings. Findings are data; a
//! finding is never an error.

pub mod binaries;
pub mod binary;
pub mod bytecode;
pub mod compat;
pub mod duplicates;
pub mod handler;
pub mod init;
pub mod java;
pub mod keepalive;
pub mod limits;
mod lockfile_checks;
pub mod missing_modules;
pub mod module_format;
pub mod native;
pub mod node_env;
pub mod permissions;
pub mod practices;
pub mod python_syntax;
pub mod source_maps;

use serde::Serialize;

use crate::artifact::Artifact;
use crate::graph::{self, DependencyGraph, Environment};
use crate::inventory::{Ecosystem, Inventory};
use crate::lockfile::Lockfile;
use crate::rules::runtimes::RuntimeInfo;

pub use duplicates::{compare_versions, duplicate_packages, locked_duplicates};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// Rule id, `ecosystem/kebab-name`.
    pub rule: String,
    pub level: Level,
    pub message: String,
    pub location: Location,
    /// `name@version` of the package concerned, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// What applying the fix would save.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saving: Option<Saving>,
    /// The bytes the finding is about (a package imported whole, the files
    /// matched), whether or not the fix removes them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concerns: Option<Saving>,
    /// Present in the baseline report: shown, but it does not fail the gate.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub known: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    /// A finding at `location` with its fix, and no package, saving or
    /// bytes of its own: the shape most checks of the code and the
    /// deployment report.
    pub fn with_fix(
        rule: &str,
        level: Level,
        message: String,
        location: Location,
        fix: String,
    ) -> Finding {
        Finding {
            rule: rule.to_string(),
            level,
            message,
            location,
            package: None,
            saving: None,
            concerns: None,
            known: false,
            fix: Some(fix),
        }
    }

    /// The same finding, at a line of its file.
    pub fn at_line(mut self, line: u32) -> Finding {
        self.location.line = Some(line);
        self
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Location {
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Location {
    /// A whole file, or the artifact.
    pub fn file(path: &str) -> Location {
        Location {
            path: path.to_string(),
            line: None,
            column: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Saving {
    pub unzipped_bytes: u64,
    pub zipped_bytes: u64,
    /// Modelled init time saved, on the model's machine (or at the
    /// function's memory size when known).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_ms: Option<crate::estimate::MsRange>,
    /// The files init loads now and once the fix is applied, behind
    /// `init_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init_files: Option<InitFiles>,
}

impl Saving {
    /// Bytes alone, exact: no init time is modelled for them.
    pub fn bytes(unzipped_bytes: u64, zipped_bytes: u64) -> Saving {
        Saving {
            unzipped_bytes,
            zipped_bytes,
            ..Saving::default()
        }
    }
}

/// How many files init loads before and after a fix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct InitFiles {
    pub before: usize,
    pub after: usize,
}

/// Everything the analysis stage adds to an inventory.
pub struct Analysis {
    pub graph: DependencyGraph,
    /// (unzipped, zipped) retained bytes per inventory package.
    pub retained: Vec<(u64, u64)>,
    /// Development-only per inventory package, when a lockfile says.
    pub dev: Vec<Option<bool>>,
    pub findings: Vec<Finding>,
    /// Every native ELF file and what it needs to load.
    pub native: Vec<compat::NativeFile>,
    /// `.py` files compiled at every cold start (no usable bytecode).
    pub compiled_at_start: bytecode::CompiledAtStart,
    /// What the function's bundled files are made of (read beside the
    /// analysis, see [`crate::inventory::bundle::read`]).
    pub bundles: Vec<crate::inventory::bundle::Bundle>,
    pub warnings: Vec<crate::artifact::Warning>,
}

/// Builds the graph, retained sizes and the built-in checks' findings.
/// `layers`: the function's layers, whose `lib/` is on LD_LIBRARY_PATH.
pub fn analyze(
    artifact: &Artifact,
    layers: &[&Artifact],
    inventory: &Inventory,
    environment: &Environment,
    runtime: Option<&RuntimeInfo>,
    lockfiles: &[Lockfile],
    native: &compat::NativeReads,
) -> Analysis {
    // the graph, the bytecode check and the native files' checks read
    // nothing of each other: each takes a core
    let graph_and_retained = || {
        let graph = graph::from_inventory(inventory, environment);
        let by_node = graph::retained_sizes(&graph);
        let retained: Vec<_> = (0..inventory.packages.len())
            .map(|i| by_node[DependencyGraph::package_node(i).index()])
            .collect();
        (graph, retained)
    };
    let bytecode = || bytecode::check(artifact, inventory, environment.python_version);
    let native_checks = || {
        let tagged = compat::wheel_tagged_packages(artifact, inventory);
        // the ELF files compat reads, binaries need not read again
        let compat = compat::check(
            artifact,
            layers,
            inventory,
            runtime,
            environment.arm64,
            native,
        );
        (tagged, compat)
    };
    let ((graph, retained), ((bytecode_findings, compiled_at_start), (tagged, compat))) =
        rayon::join(graph_and_retained, || rayon::join(bytecode, native_checks));
    let mut findings = duplicate_packages(inventory);
    findings.extend(java::check(inventory));
    findings.extend(binary::check(artifact, inventory));
    findings.extend(bytecode_findings);
    findings.extend(binaries::check(
        artifact,
        inventory,
        environment.arm64,
        &tagged,
        &compat.files,
    ));
    findings.extend(compat.findings);
    findings.extend(permissions::check(artifact));
    findings.extend(limits::check(
        &artifact.path.display().to_string(),
        artifact.zipped_bytes,
        artifact.unzipped_bytes(),
        true,
        &artifact.path.display().to_string(),
    ));
    // without an npm lockfile, the function's package.json and what is
    // installed beside it tell development dependencies apart (it cannot
    // drift from itself)
    let installed = match lockfiles.iter().any(|l| l.ecosystem == Ecosystem::Npm) {
        true => None,
        false => lockfile_checks::installed_project(artifact, inventory),
    };
    let given = lockfiles.iter().map(|lock| (lock, true));
    let mut dev = vec![None; inventory.packages.len()];
    for (lock, given) in given.chain(installed.iter().map(|lock| (lock, false))) {
        let matched = lockfile_checks::match_packages(inventory, lock);
        for (flag, m) in dev.iter_mut().zip(&matched) {
            if let Some(l) = m {
                *flag = lock.packages[*l].dev.or(*flag);
            }
        }
        findings.extend(lockfile_checks::dev_dependencies_shipped(
            inventory, lock, &matched,
        ));
        if given {
            findings.extend(lockfile_checks::drift(inventory, lock, &matched));
        }
    }
    Analysis {
        graph,
        retained,
        dev,
        findings,
        native: compat.files,
        compiled_at_start,
        bundles: Vec::new(),
        warnings: compat.warnings,
    }
}
