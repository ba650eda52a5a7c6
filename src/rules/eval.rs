//! Matching data rules against an audited artifact.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::OnceLock;

use globset::{Candidate, GlobSet};
use rayon::prelude::*;

use super::runtimes::RuntimeInfo;
use super::{
    FileScope, FilesSpec, ImportSpec, Language, Matcher, PackageSpec, Rule, RuleSet,
    RuntimeProvidedSpec,
};
use crate::analysis::{Analysis, Finding, Level, Location, Saving};
use crate::artifact::{Artifact, EntryKind};
use crate::imports::{self, SourceFile};
use crate::inventory::{normalize_name, Ecosystem, Inventory, Owner};
use crate::lockfile::Lockfile;
use crate::units::{human_bytes, thousands};

/// What a rule may look at.
pub struct Context<'a> {
    pub artifact: &'a Artifact,
    pub inventory: &'a Inventory,
    pub analysis: &'a Analysis,
    pub sources: &'a [SourceFile],
    pub runtime: Option<&'a RuntimeInfo>,
}

const DEV_TOOL_SHIPPED: &str = "node/dev-tool-shipped";
const DEV_DEPENDENCY_SHIPPED: &str = "node/dev-dependency-shipped";

/// Runs every data rule, then gives built-in findings the level their rule
/// has (a user override included) and drops those at `allow`.
pub fn evaluate(
    rules: &RuleSet,
    context: &Context,
    builtin_findings: Vec<Finding>,
) -> Vec<Finding> {
    with_builtin(rules, evaluate_data(rules, context), builtin_findings)
}

/// Runs every data rule: what the files, the packages and the function's
/// own imports show. None reads what init loads, so an audit runs them
/// while it follows the handler's imports.
pub fn evaluate_data(rules: &RuleSet, context: &Context) -> Vec<Finding> {
    // file rules share one lower-cased, pre-split path per file
    let has_file_rules = rules
        .rules
        .iter()
        .any(|r| r.level != Level::Allow && matches!(r.matcher, Matcher::Files(..)));
    let lowered: Vec<Option<String>> = if has_file_rules {
        context
            .artifact
            .entries
            .par_iter()
            .map(|e| (e.kind == EntryKind::File && !e.unsafe_name).then(|| e.path.to_lowercase()))
            .collect()
    } else {
        Vec::new()
    };
    let candidates: Vec<Option<Candidate>> = lowered
        .par_iter()
        .map(|p| p.as_deref().map(Candidate::new))
        .collect();
    // a tool the project already lists under devDependencies is
    // node/dev-dependency-shipped's to report: its fix applies, while
    // "move it to devDependencies" does not
    let dev_reported = rules
        .get(DEV_DEPENDENCY_SHIPPED)
        .is_some_and(|r| r.level != Level::Allow);
    // each rule reads the artifact on its own: a file rule walks every entry
    let retained = OnceLock::new();
    let per_rule: Vec<Vec<Finding>> = rules
        .rules
        .par_iter()
        .map(|rule| {
            let applies = rule.level != Level::Allow
                && (rule.runtimes.is_empty()
                    || context
                        .runtime
                        .is_some_and(|r| rule.runtimes.contains(&r.id)));
            if !applies {
                return Vec::new();
            }
            match &rule.matcher {
                Matcher::Builtin => Vec::new(),
                Matcher::Import(spec, modules) => imports_rule(rule, spec, modules, context),
                Matcher::Package(spec, names) => {
                    let known_dev = dev_reported && rule.id == DEV_TOOL_SHIPPED;
                    package_rule(rule, spec, names, context, &retained, known_dev)
                }
                Matcher::Files(spec, include, exclude) => files_rule(
                    rule,
                    spec,
                    include,
                    exclude,
                    (&lowered, &candidates),
                    context,
                ),
                Matcher::RuntimeProvided(spec) => runtime_provided_rule(rule, spec, context),
            }
        })
        .collect();
    per_rule.into_iter().flatten().collect()
}

/// The data rules' findings and the built-in ones at their rule's level
/// (a user override included), without those at `allow`; most severe
/// first, then what saves the most.
pub fn with_builtin(
    rules: &RuleSet,
    mut findings: Vec<Finding>,
    builtin_findings: Vec<Finding>,
) -> Vec<Finding> {
    for mut finding in builtin_findings {
        match rules.get(&finding.rule) {
            Some(rule) if rule.level == Level::Allow => continue,
            // a check may grade its own findings (near a limit vs over it);
            // a level the user set wins
            Some(rule) if rule.user => {
                finding.level = rule.level;
                findings.push(finding);
            }
            _ => findings.push(finding),
        }
    }
    findings.sort_by(|a, b| {
        b.level
            .cmp(&a.level)
            .then_with(|| weight(b).cmp(&weight(a)))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    findings
}

fn weight(finding: &Finding) -> u64 {
    finding
        .saving
        .or(finding.concerns)
        .map(|s| s.unzipped_bytes)
        .unwrap_or(0)
}

/// `{name}` placeholders filled from `values`; unknown ones stay as written.
fn render(template: &str, values: &HashMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if values.contains_key(&after[..close]) => {
                out.push_str(&values[&after[..close]]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn finding(
    rule: &Rule,
    values: &HashMap<&str, String>,
    location: Location,
    package: Option<String>,
) -> Finding {
    Finding {
        rule: rule.id.clone(),
        level: rule.level,
        message: render(rule.message.as_deref().unwrap_or(&rule.title), values),
        location,
        package,
        saving: None,
        concerns: None,
        known: false,
        fix: rule.fix.as_deref().map(|f| render(f, values)),
    }
}

fn imports_rule(
    rule: &Rule,
    spec: &ImportSpec,
    modules: &GlobSet,
    context: &Context,
) -> Vec<Finding> {
    let language = match spec.language {
        Language::Javascript => imports::Language::JavaScript,
        Language::Python => imports::Language::Python,
    };
    let mut out = Vec::new();
    for file in context.sources.iter().filter(|f| f.language == language) {
        for import in &file.imports {
            if import.lazy && !spec.include_lazy {
                continue;
            }
            // relative imports are the function's own modules
            if import.module.starts_with('.') {
                continue;
            }
            let module = match language {
                imports::Language::Python => import.module.replace('.', "/"),
                imports::Language::JavaScript => import.module.clone(),
            };
            if !modules.is_match(&module) {
                continue;
            }
            if !spec.members.is_empty()
                && !import
                    .members
                    .iter()
                    .any(|m| spec.members.contains(&m.name))
            {
                continue;
            }
            let mut used: Vec<(&str, u32)> = Vec::new();
            for m in import.members.iter().filter(|m| !m.name.ends_with("()")) {
                if !used.iter().any(|(n, _)| *n == m.name) {
                    used.push((&m.name, m.line));
                }
            }
            let file_name = file.path.rsplit('/').next().unwrap_or(&file.path);
            let mut values = HashMap::from([
                ("module", import.module.clone()),
                ("path", file.path.clone()),
                ("line", import.line.to_string()),
                (
                    "members",
                    used.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
                ),
                (
                    "member_lines",
                    used.iter()
                        .map(|(n, l)| format!("{n} ({file_name}:{l})"))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                (
                    "v2_clients",
                    used.iter()
                        .filter(|(n, _)| n.chars().next().is_some_and(char::is_uppercase))
                        .map(|(n, _)| format!("require('aws-sdk/clients/{}')", n.to_lowercase()))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            ]);
            if values["member_lines"].is_empty() {
                values.insert("member_lines", "none found statically".to_string());
            }
            if values["v2_clients"].is_empty() {
                values.insert(
                    "v2_clients",
                    "require('aws-sdk/clients/<service>')".to_string(),
                );
            }
            let mut f = finding(
                rule,
                &values,
                Location {
                    path: file.path.clone(),
                    line: Some(import.line),
                    column: Some(import.column),
                },
                None,
            );
            // the bytes behind the import: the package it resolves to by name
            let top = import
                .module
                .split('/')
                .take(if import.module.starts_with('@') { 2 } else { 1 })
                .collect::<Vec<_>>()
                .join("/");
            let top = match language {
                imports::Language::Python => top.split('.').next().unwrap_or(&top).to_string(),
                imports::Language::JavaScript => top,
            };
            if let Some((i, p)) = context
                .inventory
                .packages
                .iter()
                .enumerate()
                .find(|(_, p)| {
                    normalize_name(p.ecosystem, &p.name) == normalize_name(p.ecosystem, &top)
                })
            {
                let retained = context.analysis.retained[i];
                f.package = Some(format!(
                    "{}@{}",
                    p.name,
                    p.version.as_deref().unwrap_or("?")
                ));
                f.concerns = Some(Saving::bytes(retained.0, retained.1));
            }
            out.push(f);
        }
    }
    out
}

pub(super) fn parse_requirement(
    ecosystem: Ecosystem,
    text: &str,
) -> Result<VersionRequirement, String> {
    match ecosystem {
        Ecosystem::Pypi => pep508_rs::pep440_rs::VersionSpecifiers::from_str(text)
            .map(VersionRequirement::Pep440)
            .map_err(|e| e.to_string()),
        _ => semver::VersionReq::parse(text)
            .map(VersionRequirement::Semver)
            .map_err(|e| e.to_string()),
    }
}

pub(super) enum VersionRequirement {
    Semver(semver::VersionReq),
    Pep440(pep508_rs::pep440_rs::VersionSpecifiers),
}

impl VersionRequirement {
    fn matches(&self, version: &str) -> bool {
        match self {
            VersionRequirement::Semver(req) => {
                semver::Version::parse(version).is_ok_and(|v| req.matches(&v))
            }
            VersionRequirement::Pep440(req) => {
                pep508_rs::pep440_rs::Version::from_str(version).is_ok_and(|v| req.contains(&v))
            }
        }
    }
}

fn package_rule(
    rule: &Rule,
    spec: &PackageSpec,
    names: &GlobSet,
    context: &Context,
    retained: &OnceLock<Vec<usize>>,
    skip_dev: bool,
) -> Vec<Finding> {
    let requirement = spec
        .version
        .as_deref()
        .and_then(|v| parse_requirement(spec.ecosystem, v).ok());
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in context.inventory.packages.iter().enumerate() {
        if p.ecosystem != spec.ecosystem
            || !names.is_match(&p.name) && !names.is_match(normalize_name(p.ecosystem, &p.name))
        {
            continue;
        }
        if let Some(req) = &requirement {
            if !p.version.as_deref().is_some_and(|v| req.matches(v)) {
                continue;
            }
        }
        if skip_dev && context.analysis.dev.get(i) == Some(&Some(true)) {
            continue;
        }
        by_name.entry(p.name.clone()).or_default().push(i);
    }
    let bundled = bundled_packages(rule, spec, names, requirement.as_ref(), context, &by_name);
    if by_name.is_empty() {
        return bundled;
    }
    // dominators of the whole graph: once, for the first rule that matches
    let graph_counts = retained.get_or_init(|| retained_counts(context));
    by_name
        .into_iter()
        .map(|(name, indices)| {
            let first = &context.inventory.packages[indices[0]];
            let mut saving = Saving::default();
            let mut retained_packages = 0;
            for &i in &indices {
                saving.unzipped_bytes += context.analysis.retained[i].0;
                saving.zipped_bytes += context.analysis.retained[i].1;
                retained_packages += graph_counts[i].saturating_sub(1);
            }
            let version = first.version.clone().unwrap_or_else(|| "?".to_string());
            // for a rule with a fix of its own for such a package: the
            // packages that bring it in, when the function itself does not
            let indirect = spec.indirect_fix.is_some()
                && !indices
                    .iter()
                    .any(|&i| context.inventory.packages[i].direct);
            let mut via: Vec<&str> = match indirect {
                true => indices
                    .iter()
                    .flat_map(|&i| {
                        let node = crate::graph::DependencyGraph::package_node(i);
                        context.analysis.graph.dependents(node)
                    })
                    .collect(),
                false => Vec::new(),
            };
            via.sort_unstable();
            via.dedup();
            let values = HashMap::from([
                ("name", name.clone()),
                ("version", version.clone()),
                ("path", first.path.clone()),
                ("retained", human_bytes(saving.unzipped_bytes)),
                ("retained_packages", thousands(retained_packages as u64)),
                ("copies", indices.len().to_string()),
                ("via", via.join(", ")),
            ]);
            let mut f = finding(
                rule,
                &values,
                Location {
                    path: first.manifest.clone(),
                    line: first.manifest_line,
                    column: None,
                },
                Some(format!("{name}@{version}")),
            );
            if let Some(fix) = spec.fixes.get(&name) {
                f.fix = Some(render(fix, &values));
            }
            if let Some(fix) = spec.indirect_fix.as_ref().filter(|_| !via.is_empty()) {
                f.fix = Some(render(fix, &values));
            }
            f.saving = Some(saving);
            f.concerns = Some(saving);
            f
        })
        .chain(bundled)
        .collect()
}

/// The rule's packages inside the function's bundles (read from a source
/// map or esbuild's module comments), each reported at its bundle once per
/// name, unless the package is installed too (then the installed copy is
/// the one reported).
/// What it saves is its bytes in the bundle, and the same share of the
/// bundle's zipped bytes.
fn bundled_packages(
    rule: &Rule,
    spec: &PackageSpec,
    names: &GlobSet,
    requirement: Option<&VersionRequirement>,
    context: &Context,
    installed: &BTreeMap<String, Vec<usize>>,
) -> Vec<Finding> {
    if spec.ecosystem != Ecosystem::Npm {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for bundle in &context.analysis.bundles {
        let zipped = context
            .artifact
            .find(&bundle.path)
            .map_or(0, |i| context.artifact.entries[i].zipped_bytes);
        let mut by_name: BTreeMap<&str, Vec<&crate::inventory::bundle::BundledPackage>> =
            BTreeMap::new();
        for p in &bundle.packages {
            let matched = names.is_match(&p.name) && !installed.contains_key(&p.name);
            let version_ok =
                requirement.is_none_or(|req| p.version.as_deref().is_some_and(|v| req.matches(v)));
            if matched && version_ok {
                by_name.entry(p.name.as_str()).or_default().push(p);
            }
        }
        for (name, copies) in by_name {
            let bytes: u64 = copies.iter().map(|p| p.bytes).sum();
            let share = bytes as f64 / bundle.unzipped_bytes.max(1) as f64;
            let saving = Saving::bytes(bytes, (zipped as f64 * share).round() as u64);
            let version = copies[0].version.clone().unwrap_or_else(|| "?".to_string());
            let values = HashMap::from([
                ("name", name.to_string()),
                ("version", version.clone()),
                ("path", bundle.path.clone()),
                ("retained", human_bytes(bytes)),
                ("retained_packages", "0".to_string()),
                ("copies", copies.len().to_string()),
                ("via", String::new()),
            ]);
            let mut f = finding(
                rule,
                &values,
                Location {
                    path: bundle.path.clone(),
                    line: None,
                    column: None,
                },
                Some(format!("{name}@{version}")),
            );
            f.message.push_str(&format!(
                " — bundled into {}, as {} shows",
                bundle.path,
                bundle.read_from.describe(bundle.map.as_deref())
            ));
            if let Some(fix) = spec.fixes.get(name) {
                f.fix = Some(render(fix, &values));
            }
            f.saving = Some(saving);
            f.concerns = Some(saving);
            findings.push(f);
        }
    }
    findings
}

/// Packages in each package's dominator subtree, itself included.
fn retained_counts(context: &Context) -> Vec<usize> {
    let graph = &context.analysis.graph;
    let dominators = petgraph::algo::dominators::simple_fast(&graph.graph, graph.root);
    let mut counts = vec![0usize; context.inventory.packages.len()];
    for node in graph.graph.node_indices() {
        if node == graph.root {
            continue;
        }
        let mut current = Some(node);
        let mut steps = 0;
        while let Some(d) = current {
            if d == graph.root || steps > counts.len() {
                break;
            }
            if let Some(slot) = counts.get_mut(d.index() - 1) {
                *slot += 1;
            }
            steps += 1;
            current = dominators.immediate_dominator(d);
        }
    }
    counts
}

fn files_rule(
    rule: &Rule,
    spec: &FilesSpec,
    include: &GlobSet,
    exclude: &GlobSet,
    (lowered, candidates): (&[Option<String>], &[Option<Candidate>]),
    context: &Context,
) -> Vec<Finding> {
    let lowered_names =
        |names: &[String]| -> Vec<String> { names.iter().map(|d| d.to_lowercase()).collect() };
    let dirs = lowered_names(&spec.dirs);
    let unless_package = lowered_names(&spec.dirs_unless_package);
    let artifact = context.artifact;
    // whether a directory is a Python package, asked once per directory
    // however many files sit under it
    let mut packages: rustc_hash::FxHashMap<String, bool> = Default::default();
    let mut in_dirs = |lowered: &str, path: &str| {
        if dirs.is_empty() && unless_package.is_empty() {
            return false;
        }
        // every component but the file name, lower-cased and as listed
        // (case-sensitive, as the listing is); lower-casing keeps the '/'s
        let (Some((parent, _)), Some((original, _))) =
            (lowered.rsplit_once('/'), path.rsplit_once('/'))
        else {
            return false;
        };
        let mut end = 0;
        for (part, original_part) in parent.split('/').zip(original.split('/')) {
            end += original_part.len();
            if dirs.iter().any(|d| d == part) {
                return true;
            }
            if unless_package.iter().any(|d| d == part) {
                let dir = &path[..end];
                let is_package = match packages.get(dir) {
                    Some(&known) => known,
                    None => {
                        let known = artifact.find(&format!("{dir}/__init__.py")).is_some();
                        packages.insert(dir.to_string(), known);
                        known
                    }
                };
                if !is_package {
                    return true;
                }
            }
            end += 1;
        }
        false
    };
    let mut count = 0u64;
    let mut saving = Saving::default();
    // bytes and first file by package (`None`: the function's own code),
    // labelled once the top ones are known: thousands of files may match
    let mut by_owner: rustc_hash::FxHashMap<Option<usize>, (u64, usize)> = Default::default();
    for (i, entry) in artifact.entries.iter().enumerate() {
        let (Some(path), Some(candidate)) = (&lowered[i], &candidates[i]) else {
            continue;
        };
        let owner = context.inventory.owners[i];
        let in_scope = match spec.scope {
            FileScope::All => true,
            FileScope::Packages => matches!(owner, Owner::Package(_)),
            FileScope::App => owner == Owner::App,
        };
        if !in_scope
            || !(in_dirs(path, &entry.path) || include.is_match_candidate(candidate))
            || exclude.is_match_candidate(candidate)
        {
            continue;
        }
        if !spec.with_sibling.is_empty() && !has_sibling(artifact, &entry.path, &spec.with_sibling)
        {
            continue;
        }
        count += 1;
        saving.unzipped_bytes += entry.unzipped_bytes;
        saving.zipped_bytes += entry.zipped_bytes;
        let package = match owner {
            Owner::Package(p) => Some(p),
            _ => None,
        };
        by_owner.entry(package).or_insert((0, i)).0 += entry.unzipped_bytes;
    }
    if count == 0 {
        return Vec::new();
    }
    let label = |package: Option<usize>| match package {
        Some(p) => context.inventory.packages[p].label(),
        None => "the function's own code".to_string(),
    };
    let mut owners: Vec<(String, (u64, String))> = by_owner
        .into_iter()
        .map(|(package, (bytes, first))| {
            (
                label(package),
                (bytes, artifact.entries[first].path.clone()),
            )
        })
        .collect();
    owners.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    let top: Vec<String> = owners
        .iter()
        .take(3)
        .map(|(name, (bytes, _))| format!("{name} {}", human_bytes(*bytes)))
        .collect();
    let values = HashMap::from([
        ("count", thousands(count)),
        ("s", crate::units::plural(count).to_string()),
        ("bytes", human_bytes(saving.unzipped_bytes)),
        ("zipped", human_bytes(saving.zipped_bytes)),
        ("top", top.join(", ")),
    ]);
    let mut f = finding(
        rule,
        &values,
        Location {
            path: owners[0].1 .1.clone(),
            line: None,
            column: None,
        },
        None,
    );
    f.saving = Some(saving);
    f.concerns = Some(saving);
    vec![f]
}

fn has_sibling(artifact: &Artifact, path: &str, extensions: &[String]) -> bool {
    let stem = match path.rsplit_once('.') {
        Some((stem, _)) => stem,
        None => return false,
    };
    extensions
        .iter()
        .any(|ext| artifact.find(&format!("{stem}{ext}")).is_some())
}

fn runtime_provided_rule(
    rule: &Rule,
    spec: &RuntimeProvidedSpec,
    context: &Context,
) -> Vec<Finding> {
    let Some(runtime) = context.runtime else {
        return Vec::new();
    };
    let Some(globs) = runtime.provides.get(spec.ecosystem.as_str()) else {
        return Vec::new();
    };
    let Ok(provided) = super::globs(globs, false, false) else {
        return Vec::new();
    };
    let mut saving = Saving::default();
    let mut names: Vec<String> = Vec::new();
    let mut first: Option<&str> = None;
    for p in context
        .inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == spec.ecosystem)
    {
        if provided.is_match(&p.name) || provided.is_match(normalize_name(p.ecosystem, &p.name)) {
            saving.unzipped_bytes += p.totals.unzipped_bytes;
            saving.zipped_bytes += p.totals.zipped_bytes;
            names.push(format!(
                "{}@{}",
                p.name,
                p.version.as_deref().unwrap_or("?")
            ));
            first.get_or_insert(&p.manifest);
        }
    }
    let Some(first) = first else {
        return Vec::new();
    };
    names.sort();
    names.dedup();
    let shown = names.iter().take(6).cloned().collect::<Vec<_>>().join(", ");
    let more = names.len().saturating_sub(6);
    let values = HashMap::from([
        ("runtime", runtime.id.clone()),
        ("count", names.len().to_string()),
        ("s", crate::units::plural(names.len() as u64).to_string()),
        (
            "packages",
            if more > 0 {
                format!("{shown} and {more} more")
            } else {
                shown
            },
        ),
        ("bytes", human_bytes(saving.unzipped_bytes)),
    ]);
    let mut f = finding(
        rule,
        &values,
        Location {
            path: first.to_string(),
            line: None,
            column: None,
        },
        None,
    );
    f.saving = Some(saving);
    f.concerns = Some(saving);
    vec![f]
}

/// Package rules over a lockfile audited on its own: what its production
/// install would contain. Sizes are unknown there, so there is no saving.
pub fn evaluate_lockfile(
    rules: &RuleSet,
    lock: &Lockfile,
    runtime: Option<&RuntimeInfo>,
) -> Vec<Finding> {
    let production = lock.production();
    let mut findings = Vec::new();
    for rule in &rules.rules {
        if rule.level == Level::Allow
            || (!rule.runtimes.is_empty()
                && !runtime.is_some_and(|r| rule.runtimes.contains(&r.id)))
        {
            continue;
        }
        let Matcher::Package(spec, names) = &rule.matcher else {
            continue;
        };
        if spec.ecosystem != lock.ecosystem {
            continue;
        }
        let requirement = spec
            .version
            .as_deref()
            .and_then(|v| parse_requirement(spec.ecosystem, v).ok());
        let mut seen: Vec<String> = Vec::new();
        for &i in &production {
            let p = &lock.packages[i];
            let normalized = normalize_name(lock.ecosystem, &p.name);
            if !(names.is_match(&p.name) || names.is_match(&normalized))
                || seen.contains(&normalized)
            {
                continue;
            }
            if requirement
                .as_ref()
                .is_some_and(|req| !req.matches(&p.version))
            {
                continue;
            }
            seen.push(normalized);
            findings.push(Finding {
                rule: rule.id.clone(),
                level: rule.level,
                message: format!(
                    "{}@{} is in the production install: {}",
                    p.name,
                    p.version,
                    rule.title.to_lowercase()
                ),
                location: Location {
                    path: lock.path.display().to_string(),
                    line: p.line.map(|l| l as u32),
                    column: None,
                },
                package: Some(format!("{}@{}", p.name, p.version)),
                saving: None,
                concerns: None,
                known: false,
                fix: rule.fix.as_deref().map(|f| {
                    render(
                        f,
                        &HashMap::from([("name", p.name.clone()), ("version", p.version.clone())]),
                    )
                }),
            });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::render;
    use std::collections::HashMap;

    #[test]
    fn templates_fill_known_placeholders_only() {
        let values = HashMap::from([("name", "express".to_string())]);
        assert_eq!(
            render("{name} is {heavy} {", &values),
            "express is {heavy} {"
        );
    }
}
