//! Python requirement markers (`; python_version < "3.10"`, `; extra ==
//! "socks"`) evaluated for the Lambda environment the function runs in, so
//! the graph follows the edges pip followed when it installed the package.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use pep508_rs::{
    ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, Requirement, VersionOrUrl,
};

use crate::inventory::{normalize_name, Ecosystem, Package};

/// Lambda's Python: CPython on Linux; version and machine as known.
pub struct PythonEnvironment {
    /// `None` when the Python version is unknown: then only extras decide.
    markers: Option<MarkerEnvironment>,
}

impl PythonEnvironment {
    pub fn new(python_version: Option<(u32, u32)>, arm64: bool) -> Self {
        let markers = python_version.and_then(|(major, minor)| {
            let version = format!("{major}.{minor}");
            let full = format!("{major}.{minor}.0");
            MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
                implementation_name: "cpython",
                implementation_version: &full,
                os_name: "posix",
                platform_machine: if arm64 { "aarch64" } else { "x86_64" },
                platform_python_implementation: "CPython",
                platform_release: "",
                platform_system: "Linux",
                platform_version: "",
                python_full_version: &full,
                python_version: &version,
                sys_platform: "linux",
            })
            .ok()
        });
        PythonEnvironment { markers }
    }

    /// Whether a requirement applies when its dependent was installed with
    /// `active_extras`.
    pub fn applies(&self, requirement: &Requirement, active_extras: &[ExtraName]) -> bool {
        requirement
            .marker
            .evaluate_optional_environment(self.markers.as_ref(), active_extras)
    }
}

/// The Python packages by normalised name (PEP 503), in package order.
pub fn by_name(packages: &[Package]) -> HashMap<String, Vec<usize>> {
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, p) in packages.iter().enumerate() {
        if p.ecosystem == Ecosystem::Pypi {
            by_name
                .entry(normalize_name(Ecosystem::Pypi, &p.name))
                .or_default()
                .push(i);
        }
    }
    by_name
}

/// The `Requires-Dist` lines of the installed Python distributions, parsed
/// once (`None`: not a requirement pep508 reads), and the extras each
/// distribution is asked for by the others, which switch on its `extra ==
/// "…"` requirements.
pub struct PythonRequirements {
    /// Per package, in the order of its dependencies (empty for other
    /// ecosystems).
    pub parsed: Vec<Vec<Option<Requirement>>>,
    pub active_extras: Vec<Vec<ExtraName>>,
    /// Requirements behind an extra that the installed files show was
    /// asked for, though no installed package asks for it: `pip install
    /// 'pkg[extra]'` marks pkg REQUESTED, and what the extra brought in
    /// not.
    pub installed_for_extra: Vec<Vec<bool>>,
}

impl PythonRequirements {
    /// `by_name`: the Python packages by normalised name.
    pub fn read(packages: &[Package], by_name: &HashMap<String, Vec<usize>>) -> Self {
        let parsed: Vec<Vec<Option<Requirement>>> = packages
            .iter()
            .map(|p| match p.ecosystem {
                Ecosystem::Pypi => p
                    .dependencies
                    .iter()
                    .map(|d| parse_requirement(&format!("{} {}", d.name, d.requirement)))
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let mut active_extras: Vec<Vec<ExtraName>> = vec![Vec::new(); packages.len()];
        for requirement in parsed.iter().flatten().flatten() {
            for &target in by_name.get(requirement.name.as_ref()).into_iter().flatten() {
                for extra in &requirement.extras {
                    if !active_extras[target].contains(extra) {
                        active_extras[target].push(extra.clone());
                    }
                }
            }
        }
        let installed_for_extra = installed_for_extra(packages, by_name, &parsed, &active_extras);
        PythonRequirements {
            parsed,
            active_extras,
            installed_for_extra,
        }
    }

    /// Whether requirement `n` of package `i` applies in `environment`.
    pub fn applies(&self, environment: &PythonEnvironment, i: usize, n: usize) -> bool {
        match &self.parsed[i][n] {
            Some(requirement) => {
                environment.applies(requirement, &self.active_extras[i])
                    || self.installed_for_extra[i][n]
            }
            None => false,
        }
    }
}

/// Of the requirements no extra asked for switches on, those whose
/// distribution pip installed without being asked for it by name (where pip
/// recorded what it was asked for) and that no other requirement wants:
/// the extra was asked for when their dependent was installed.
fn installed_for_extra(
    packages: &[Package],
    by_name: &HashMap<String, Vec<usize>>,
    parsed: &[Vec<Option<Requirement>>],
    active_extras: &[Vec<ExtraName>],
) -> Vec<Vec<bool>> {
    let mut found: Vec<Vec<bool>> = parsed.iter().map(|r| vec![false; r.len()]).collect();
    let recorded = packages
        .iter()
        .any(|p| p.ecosystem == Ecosystem::Pypi && p.requested);
    if !recorded {
        return found;
    }
    let any_python = PythonEnvironment::new(None, false);
    let installed_unasked = |name: &str| {
        by_name
            .get(name)
            .is_some_and(|found| found.iter().all(|&t| !packages[t].requested))
    };
    let mut wanted: HashSet<&str> = HashSet::new();
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for (i, requirements) in parsed.iter().enumerate() {
        for (n, requirement) in requirements.iter().enumerate() {
            let Some(requirement) = requirement else {
                continue;
            };
            if any_python.applies(requirement, &active_extras[i]) {
                wanted.insert(requirement.name.as_ref());
            } else if installed_unasked(requirement.name.as_ref()) {
                candidates.push((i, n));
            }
        }
    }
    for (i, n) in candidates {
        let name = parsed[i][n].as_ref().map(|r| r.name.as_ref());
        if name.is_some_and(|name| !wanted.contains(&name)) {
            found[i][n] = true;
        }
    }
    found
}

/// Parses a `Requires-Dist` value.
pub fn parse_requirement(text: &str) -> Option<Requirement> {
    Requirement::from_str(text).ok()
}

/// The version part of a requirement as written (`<3,>=1.21.1`).
pub fn version_text(requirement: &Requirement) -> String {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(spec)) => spec.to_string(),
        Some(VersionOrUrl::Url(url)) => url.to_string(),
        None => String::new(),
    }
}
