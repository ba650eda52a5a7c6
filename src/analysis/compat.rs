//! Will it even start? Native code and packages checked against the
//! runtime the function deploys to: glibc symbol versions, CPython ABI,
//! instruction set, musl vs glibc, shared libraries, `engines.node`.
//! Without a known runtime only the facts are reported (what each native
//! file needs), never a verdict.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rayon::prelude::*;
use serde::Serialize;

use super::binaries::is_native_candidate;
use super::native::{self, NativeInfo};
use super::{Finding, Level, Location, Saving};
use crate::artifact::cache::ContentCache;
use crate::artifact::{Artifact, EntryKind, Warning};
use crate::inventory::{Ecosystem, Inventory, Owner};
use crate::rules::runtimes::RuntimeInfo;

/// One native file and what it needs.
#[derive(Clone, Debug, Serialize)]
pub struct NativeFile {
    pub path: String,
    pub package: Option<String>,
    pub machine: String,
    pub glibc: Option<String>,
    pub musl: bool,
    /// Built for Android (bionic): `common/foreign-platform-binary` names it.
    pub android: bool,
    pub needed: Vec<String>,
}

pub struct Compat {
    pub files: Vec<NativeFile>,
    pub findings: Vec<Finding>,
    pub warnings: Vec<Warning>,
}

fn owner_label(inventory: &Inventory, index: usize) -> (String, Option<usize>) {
    match inventory.owners[index] {
        Owner::Package(p) => {
            let p = &inventory.packages[p];
            (
                format!("{} {}", p.name, p.version.as_deref().unwrap_or("?")),
                Some(index),
            )
        }
        Owner::App => (inventory.own_files_label().to_string(), None),
        Owner::Unowned => ("unowned files".to_string(), None),
    }
}

/// A finding about one file, with no saving.
pub(super) fn finding(
    rule: &str,
    level: Level,
    message: String,
    path: &str,
    package: Option<String>,
    fix: String,
) -> Finding {
    Finding {
        package,
        ..Finding::with_fix(rule, level, message, Location::file(path), fix)
    }
}

/// What each native file of an artifact needs, or why it could not be
/// read: by entry index, from [`read_native_files`].
pub struct NativeReads(Vec<(usize, Result<Option<NativeInfo>, String>)>);

/// Reads every native file's headers, in parallel. It needs nothing but
/// the listing, so it runs while the artifact's packages are inventoried.
pub fn read_native_files(artifact: &Artifact, cache: Option<&Path>) -> NativeReads {
    let mut by_size: Vec<usize> = artifact
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.kind == EntryKind::File && !e.unsafe_name && is_native_candidate(&e.path)
        })
        .map(|(i, _)| i)
        .collect();
    // biggest first: a 25 MiB library started last would finish alone
    by_size.sort_by_key(|&i| std::cmp::Reverse(artifact.entries[i].unzipped_bytes));
    // what an earlier audit read of the same contents, kept
    let kind = ("native", &[artifact.path.as_path()][..], ());
    let mut inspected: Vec<(usize, Result<Option<NativeInfo>, String>)> =
        ContentCache::keeping(cache, kind, |kept| {
            (by_size.par_iter().with_max_len(1))
                .map(|&i| {
                    let path = &artifact.entries[i].path;
                    let read = ContentCache::through(kept, path, artifact.content_id(i), || {
                        native::inspect(artifact, i)
                    });
                    (i, read)
                })
                .collect()
        });
    inspected.sort_unstable_by_key(|(i, _)| *i);
    NativeReads(inspected)
}

/// `layers`: the function's layers, whose `lib/` (/opt/lib) is on
/// LD_LIBRARY_PATH; `inspected`: the artifact's [`read_native_files`].
pub fn check(
    artifact: &Artifact,
    layers: &[&Artifact],
    inventory: &Inventory,
    runtime: Option<&RuntimeInfo>,
    arm64: bool,
    inspected: &NativeReads,
) -> Compat {
    let mut files = Vec::new();
    let mut infos: Vec<(usize, NativeInfo)> = Vec::new();
    let mut warnings = Vec::new();
    for (i, result) in &inspected.0 {
        let i = *i;
        let path = &artifact.entries[i].path;
        match result {
            Ok(Some(info)) => {
                let package = match inventory.owners[i] {
                    Owner::Package(p) => Some(format!(
                        "{}@{}",
                        inventory.packages[p].name,
                        inventory.packages[p].version.as_deref().unwrap_or("?")
                    )),
                    _ => None,
                };
                files.push(NativeFile {
                    path: path.clone(),
                    package,
                    machine: info.machine.clone(),
                    glibc: info.glibc.map(|(a, b)| format!("{a}.{b}")),
                    musl: info.musl,
                    android: info.android,
                    needed: info.needed.clone(),
                });
                // an Android build is another platform altogether, never a
                // Linux file with the wrong glibc, machine or libraries
                if !info.android {
                    infos.push((i, info.clone()));
                }
            }
            Ok(None) => {}
            Err(reason)
                if path.ends_with(".so") || path.contains(".so.") || path.ends_with(".node") =>
            {
                warnings.push(Warning::at(
                    path,
                    format!("not a readable ELF file ({reason}); its requirements are unknown"),
                ));
            }
            Err(_) => {}
        }
    }
    let mut findings = Vec::new();
    if let Some(runtime) = runtime {
        // an addon built for another Node version is never loaded by this one
        let loadable: Vec<(usize, NativeInfo)> = infos
            .iter()
            .filter(|(i, _)| {
                let abi = node_abi_in_path(&artifact.entries[*i].path);
                abi.is_none() || runtime.node_abi.is_none() || abi == runtime.node_abi
            })
            .cloned()
            .collect();
        findings.extend(glibc_too_new(
            artifact, inventory, runtime, &loadable, arm64,
        ));
        findings.extend(musl(artifact, inventory, runtime, &infos, arm64));
        findings.extend(missing_libraries(
            artifact, layers, inventory, runtime, &loadable,
        ));
        findings.extend(node_abi(artifact, inventory, runtime, &infos, arm64));
        findings.extend(python_abi(artifact, inventory, runtime));
        findings.extend(node_engines(inventory, runtime));
        findings.extend(wheel_tags(artifact, inventory, runtime, arm64));
    }
    let python = runtime.and_then(|r| r.python_version());
    findings.extend(wrong_architecture(
        artifact, inventory, &infos, arm64, python,
    ));
    soften_caught_loads(artifact, inventory, &mut findings);
    Compat {
        files,
        findings,
        warnings,
    }
}

/// The rules whose deny says a native file fails to load.
const LOAD_FAILURES: [&str; 4] = [
    "runtime/wrong-architecture",
    "runtime/musl-binary",
    "runtime/glibc-too-new",
    "runtime/node-abi-mismatch",
];

/// A native load that fails stops no function when the package catches it
/// and loads JavaScript instead, as bufferutil and utf-8-validate do
/// (`try { require('node-gyp-build')(__dirname) } catch (e) {
/// require('./fallback') }`): such a finding is a warning naming the
/// fallback.
fn soften_caught_loads(artifact: &Artifact, inventory: &Inventory, findings: &mut [Finding]) {
    // one package can have several denies: its files are read once
    let mut fallbacks: HashMap<usize, Option<String>> = HashMap::new();
    for finding in findings
        .iter_mut()
        .filter(|f| f.level == Level::Deny && LOAD_FAILURES.contains(&f.rule.as_str()))
    {
        let owner = artifact
            .find(&finding.location.path)
            .map(|i| inventory.owners[i]);
        let Some(Owner::Package(p)) = owner else {
            continue;
        };
        let fallback = fallbacks
            .entry(p)
            .or_insert_with(|| javascript_fallback(artifact, &inventory.packages[p]));
        if let Some(fallback) = fallback {
            finding.level = Level::Warn;
            finding.message.push_str(&format!(
                "; the package catches the failed load and uses its JavaScript fallback `{fallback}` instead (slower, but the function starts)"
            ));
        }
    }
}

/// What an npm package loads when its native addon fails to: the import in
/// the `catch` of the `try` that loads the addon, in its main file or a
/// file at its root.
fn javascript_fallback(artifact: &Artifact, package: &crate::inventory::Package) -> Option<String> {
    if package.ecosystem != Ecosystem::Npm {
        return None;
    }
    let root = package.path.as_str();
    let main = artifact
        .find(&package.manifest)
        .and_then(|i| artifact.read_text(i).ok())
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|manifest| manifest["main"].as_str().map(str::to_string))
        .and_then(|main| crate::inventory::join_relative(root, &main));
    let main = main.and_then(|main| {
        [
            main.clone(),
            format!("{main}.js"),
            format!("{main}/index.js"),
        ]
        .into_iter()
        .find_map(|path| artifact.find(&path))
    });
    let at_root = artifact.entries.iter().enumerate().filter_map(|(i, e)| {
        let name = e.path.strip_prefix(root)?.strip_prefix('/')?;
        (e.kind == EntryKind::File
            && !name.contains('/')
            && (name.ends_with(".js") || name.ends_with(".cjs")))
        .then_some(i)
    });
    let is_native_load = |module: &str| {
        NATIVE_LOADERS.contains(&module)
            || module.ends_with(".node")
            || module.contains("build/Release/")
    };
    main.into_iter().chain(at_root).find_map(|i| {
        let path = &artifact.entries[i].path;
        let text = artifact.read_text(i).ok()?;
        let file = crate::imports::scan_source_for(
            path,
            &text,
            crate::imports::Language::JavaScript,
            None,
        )
        .ok()?;
        file.imports
            .iter()
            .filter(|load| load.guarded_by.is_some() && is_native_load(&load.module))
            .find_map(|load| {
                file.imports
                    .iter()
                    .find(|i| i.fallback_for == load.guarded_by && !is_native_load(&i.module))
            })
            .map(|fallback| fallback.module.clone())
    })
}

/// Packages that find and load a prebuilt or compiled addon.
const NATIVE_LOADERS: [&str; 5] = [
    "node-gyp-build",
    "node-gyp-build-optional-packages",
    "bindings",
    "@mapbox/node-pre-gyp",
    "node-pre-gyp",
];

fn glibc_too_new(
    artifact: &Artifact,
    inventory: &Inventory,
    runtime: &RuntimeInfo,
    infos: &[(usize, NativeInfo)],
    arm64: bool,
) -> Vec<Finding> {
    let Some(available) = native::parse_glibc(&runtime.glibc) else {
        return Vec::new();
    };
    // a Python extension module that fails to load raises ImportError,
    // which a package may catch to go on without it (MarkupSafe built from
    // source on a newer system than the runtime's)
    let mut fallbacks = ExtensionFallbacks::new(artifact, runtime.python_version());
    // per owner: the file needing the newest glibc, the files that do,
    // and how Python does without all of them
    let mut worst: BTreeMap<String, TooNew> = BTreeMap::new();
    for (i, info) in infos {
        if info.musl {
            continue;
        }
        if let Some(needed) = info.glibc.filter(|v| *v > available) {
            let (label, _) = owner_label(inventory, *i);
            let fallback = fallbacks.of_loaded(inventory, *i, arm64);
            let slot = worst.entry(label).or_insert((*i, needed, Vec::new(), None));
            slot.3 = all_fall_back(slot.2.is_empty(), slot.3, fallback);
            slot.2.push(*i);
            // among the files needing the newest glibc, name the biggest:
            // the package's core module rather than a helper
            let bigger =
                artifact.entries[*i].unzipped_bytes > artifact.entries[slot.0].unzipped_bytes;
            if needed > slot.1 || (needed == slot.1 && bigger) {
                (slot.0, slot.1) = (*i, needed);
            }
        }
    }
    let newer_runtime = if runtime.glibc.as_str() < "2.34" {
        format!(
            "; or move to a runtime on Amazon Linux 2023 (glibc 2.34), such as {}",
            newer_sibling(runtime)
        )
    } else {
        String::new()
    };
    worst
        .into_iter()
        .map(|(label, (i, (major, minor), files, fallback))| {
            let path = &artifact.entries[i].path;
            let more = and_more(files.len());
            let (level, consequence) = match fallback {
                Some(fallback) => (Level::Warn, format!(": {}", fallback.consequence())),
                None => (Level::Deny, String::new()),
            };
            let mut f = finding(
                "runtime/glibc-too-new",
                level,
                format!(
                    "{label}: {path} needs GLIBC_{major}.{minor}{more}; {} runs on {} (glibc {}){consequence}",
                    runtime.id, runtime.os, runtime.glibc
                ),
                path,
                package_of(inventory, i),
                if runtime.family == "binary" && label == inventory.own_files_label() {
                    format!("build the bootstrap in the runtime's own image (public.ecr.aws/sam/build-{}) or link it statically (Go: CGO_ENABLED=0; Rust: the x86_64-unknown-linux-musl or aarch64-unknown-linux-musl target){newer_runtime}", runtime.id)
                } else {
                    format!(
                        "build the package in the runtime's own image (public.ecr.aws/sam/build-{}) or pin a release built for an older glibc ({}){newer_runtime}",
                        runtime.id,
                        if runtime.family == "python" { "a manylinux2014 wheel" } else { "its prebuilt binaries name the glibc they need" }
                    )
                },
            );
            // what falls back is weight the function carries for nothing
            if level == Level::Warn {
                let bytes = files.iter().map(|&i| artifact.entries[i].unzipped_bytes).sum();
                let zipped = files.iter().map(|&i| artifact.entries[i].zipped_bytes).sum();
                f.saving = Some(Saving::bytes(bytes, zipped));
            }
            f
        })
        .collect()
}

/// Per owner, for runtime/glibc-too-new: the file needing the newest
/// glibc and that version, every file needing more than the runtime has,
/// and how Python does without them all.
type TooNew = (usize, (u32, u32), Vec<usize>, Option<PythonFallback>);

/// The same language on Amazon Linux 2023, for the advice.
fn newer_sibling(runtime: &RuntimeInfo) -> &'static str {
    match runtime.family.as_str() {
        "python" => "python3.12",
        "node" => "nodejs20.x",
        "java" => "java21",
        "ruby" => "ruby3.3",
        _ => "provided.al2023",
    }
}

fn package_of(inventory: &Inventory, entry: usize) -> Option<String> {
    match inventory.owners[entry] {
        Owner::Package(p) => Some(inventory.packages[p].label()),
        _ => None,
    }
}

fn musl(
    artifact: &Artifact,
    inventory: &Inventory,
    runtime: &RuntimeInfo,
    infos: &[(usize, NativeInfo)],
    arm64: bool,
) -> Vec<Finding> {
    let wanted = function_machine(arm64);
    let mut fallbacks = ExtensionFallbacks::new(artifact, runtime.python_version());
    // per owner: its musl files, whether a glibc build for the function's
    // machine ships beside them (zeromq and other prebuilt packages carry
    // one per libc, and load the one that matches), and how Python does
    // without each of those files (a musllinux wheel's extension module)
    let mut by_owner: BTreeMap<String, (Vec<usize>, bool, Option<PythonFallback>)> =
        BTreeMap::new();
    // a musl build for the other machine is runtime/wrong-architecture's
    for (i, info) in infos.iter().filter(|(_, info)| info.machine == wanted) {
        let slot = by_owner.entry(owner_label(inventory, *i).0).or_default();
        if info.musl {
            let fallback = fallbacks.of_loaded(inventory, *i, arm64);
            slot.2 = all_fall_back(slot.0.is_empty(), slot.2, fallback);
            slot.0.push(*i);
        } else {
            slot.1 = true;
        }
    }
    by_owner
        .into_iter()
        .filter(|(_, (files, _, _))| !files.is_empty())
        .map(|(label, (files, has_glibc, fallback))| {
            let path = &artifact.entries[files[0]].path;
            let more = and_more(files.len());
            let (level, consequence) = match (has_glibc, fallback) {
                (true, _) => (Level::Warn, "dead weight next to its glibc build"),
                (false, Some(fallback)) => (Level::Warn, fallback.consequence()),
                (false, None) => (Level::Deny, "it fails to load at the first cold start"),
            };
            let mut f = finding(
                "runtime/musl-binary",
                level,
                format!("{label}: {path}{more} is linked against musl (Alpine); {} uses glibc ({}): {consequence}", runtime.id, runtime.os),
                path,
                package_of(inventory, files[0]),
                "install the glibc (manylinux / linux-x64-gnu) build of the package, or build on Amazon Linux instead of Alpine".to_string(),
            );
            if level == Level::Warn {
                let bytes = files.iter().map(|&i| artifact.entries[i].unzipped_bytes).sum();
                let zipped = files.iter().map(|&i| artifact.entries[i].zipped_bytes).sum();
                f.saving = Some(Saving::bytes(bytes, zipped));
            }
            f
        })
        .collect()
}

fn missing_libraries(
    artifact: &Artifact,
    layers: &[&Artifact],
    inventory: &Inventory,
    runtime: &RuntimeInfo,
    infos: &[(usize, NativeInfo)],
) -> Vec<Finding> {
    let base = crate::rules::runtimes::base_libraries(&runtime.os);
    if base.is_empty() {
        return Vec::new();
    }
    let in_layers = layers.iter().flat_map(|layer| {
        layer
            .entries
            .iter()
            .filter(|e| e.kind != EntryKind::Dir)
            .filter_map(|e| e.path.strip_prefix("lib/"))
            .filter(|name| !name.contains('/'))
    });
    let shipped: std::collections::HashSet<&str> = artifact
        .entries
        .iter()
        .filter(|e| e.kind != EntryKind::Dir)
        .map(|e| e.path.rsplit('/').next().unwrap_or(&e.path))
        .chain(in_layers)
        .collect();
    let glibc: Vec<&(usize, NativeInfo)> = infos.iter().filter(|(_, info)| !info.musl).collect();
    // shipped native files by file name, to follow DT_NEEDED through them
    let by_name: HashMap<&str, usize> = glibc
        .iter()
        .enumerate()
        .map(|(k, (i, _))| (file_name(&artifact.entries[*i].path), k))
        .collect();
    let is_missing =
        |library: &str| !shipped.contains(library) && !base.iter().any(|b| b == library);
    // The files something loads directly — an extension module, a plugin —
    // are those no shipped file needs; a library they pull in that needs a
    // missing one fails their load just the same.
    let needed_by_another: std::collections::HashSet<usize> = glibc
        .iter()
        .flat_map(|(_, info)| info.needed.iter())
        .filter_map(|library| by_name.get(library.as_str()).copied())
        .collect();
    let mut by_owner: BTreeMap<String, Vec<LoadFailure>> = BTreeMap::new();
    for (k, (i, _)) in glibc.iter().enumerate() {
        if needed_by_another.contains(&k) {
            continue;
        }
        let mut missing: Vec<String> = Vec::new();
        let mut through = None;
        let mut seen = std::collections::HashSet::from([k]);
        let mut queue = std::collections::VecDeque::from([(k, None)]);
        while let Some((at, via)) = queue.pop_front() {
            for library in &glibc[at].1.needed {
                if let Some(&next) = by_name.get(library.as_str()) {
                    if seen.insert(next) {
                        queue.push_back((next, via.or(Some(glibc[next].0))));
                    }
                } else if is_missing(library) && !missing.contains(library) {
                    missing.push(library.clone());
                    if through.is_none() {
                        through = via;
                    }
                }
            }
        }
        if !missing.is_empty() {
            let owner = owner_label(inventory, *i).0;
            by_owner
                .entry(owner)
                .or_default()
                .push((*i, missing, through));
        }
    }
    by_owner
        .into_iter()
        .map(|(label, files)| {
            // the biggest is the package's core module (cv2's, not a Qt
            // plugin's): the one its import loads
            let (i, libraries, through) = files
                .iter()
                .max_by_key(|(i, _, _)| (artifact.entries[*i].unzipped_bytes, std::cmp::Reverse(*i)))
                .cloned()
                .unwrap_or_default();
            let path = &artifact.entries[i].path;
            let via = through
                .map(|t| format!(" through {}", file_name(&artifact.entries[t].path)))
                .unwrap_or_default();
            let more = and_more(files.len());
            finding(
                "runtime/missing-shared-library",
                Level::Warn,
                format!("{label}: {path}{more} needs {}{via} — in neither the package nor the {} base image", libraries.join(", "), runtime.os),
                path,
                package_of(inventory, i),
                "ship the library in the package or a layer (lib/ is on LD_LIBRARY_PATH), or use a build of the package that bundles it (manylinux wheels do; opencv-python-headless needs no GUI libraries)".to_string(),
            )
        })
        .collect()
}

/// Node addons built per Node version (`abi115`, `node-v115`): a package
/// that ships only other versions' builds fails to load (the classic
/// NODE_MODULE_VERSION error of a module installed with another Node); one
/// that ships the runtime's build too carries the others as weight.
fn node_abi(
    artifact: &Artifact,
    inventory: &Inventory,
    runtime: &RuntimeInfo,
    infos: &[(usize, NativeInfo)],
    arm64: bool,
) -> Vec<Finding> {
    let Some(wanted_abi) = runtime.node_abi else {
        return Vec::new();
    };
    let machine = function_machine(arm64);
    // per owner: addons for other Node versions, and whether one this
    // runtime loads (its own version's, or an N-API build) ships too
    let mut by_owner: BTreeMap<String, (Vec<(usize, u32)>, bool)> = BTreeMap::new();
    for (i, info) in infos {
        let path = &artifact.entries[*i].path;
        if !path.ends_with(".node") || info.musl || info.machine != machine {
            continue;
        }
        let slot = by_owner.entry(owner_label(inventory, *i).0).or_default();
        match node_abi_in_path(path) {
            Some(abi) if abi != wanted_abi => slot.0.push((*i, abi)),
            _ => slot.1 = true,
        }
    }
    let node = format!(
        "Node {} (NODE_MODULE_VERSION {wanted_abi})",
        runtime.version
    );
    by_owner
        .into_iter()
        .filter(|(_, (others, _))| !others.is_empty())
        .map(|(label, (others, loadable))| {
            let (first, abi) = others[0];
            let path = &artifact.entries[first].path;
            let mut abis: Vec<u32> = others.iter().map(|(_, abi)| *abi).collect();
            abis.sort_unstable();
            abis.dedup();
            let abis = abis.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            if loadable {
                let bytes = others.iter().map(|&(i, _)| artifact.entries[i].unzipped_bytes).sum();
                let zipped = others.iter().map(|&(i, _)| artifact.entries[i].zipped_bytes).sum();
                let mut f = finding(
                    "node/other-node-version-builds",
                    Level::Warn,
                    format!(
                        "{label}: {} addon{} built for other Node versions (NODE_MODULE_VERSION {abis}) ship beside the one {} loads, e.g. {path}",
                        others.len(),
                        if others.len() == 1 { "" } else { "s" },
                        runtime.id
                    ),
                    path,
                    package_of(inventory, first),
                    format!("keep only the build for {node} when packaging (delete the other versions' directories), or install with the runtime's Node so only its build is fetched"),
                );
                f.saving = Some(Saving::bytes(bytes, zipped));
                f
            } else {
                finding(
                    "runtime/node-abi-mismatch",
                    Level::Deny,
                    format!(
                        "{label}: {path} was built for NODE_MODULE_VERSION {abi}{}; {} runs {node}: require() fails with ERR_DLOPEN_FAILED at the first cold start",
                        if others.len() > 1 { format!(" (the package's builds are for {abis})") } else { String::new() },
                        runtime.id
                    ),
                    path,
                    package_of(inventory, first),
                    format!("install the package with the runtime's Node (build in public.ecr.aws/sam/build-{}, or `npm rebuild` under Node {}), or use a release with N-API prebuilds", runtime.id, runtime.version),
                )
            }
        })
        .collect()
}

/// A file something loads directly, the libraries missing for it, and the
/// shipped library that brings the first of them in (none when it needs
/// them itself).
type LoadFailure = (usize, Vec<String>, Option<usize>);

/// The Node ABI (NODE_MODULE_VERSION) an addon's path says it was built
/// for, in the layouts prebuilt packages use: prebuildify's
/// `node.abi115.node`, node-pre-gyp's `node-v115-linux-x64/`, cmake-ts's
/// `node/glibc-115-Release/` and `node/115/`. N-API builds name none.
fn node_abi_in_path(path: &str) -> Option<u32> {
    let number = |text: &str| -> Option<u32> {
        (2..=3)
            .contains(&text.len())
            .then(|| text.parse().ok())
            .flatten()
    };
    let segments: Vec<&str> = path.split('/').collect();
    for (k, segment) in segments.iter().enumerate() {
        for part in segment.split('.') {
            if let Some(abi) = part.strip_prefix("abi").and_then(number) {
                return Some(abi);
            }
        }
        if let Some(abi) = segment
            .strip_prefix("node-v")
            .and_then(|rest| number(rest.split('-').next()?))
        {
            return Some(abi);
        }
        if k > 0 && segments[k - 1] == "node" {
            let mut parts = segment.split('-');
            let first = parts.next()?;
            if let Some(abi) = number(first) {
                return Some(abi);
            }
            if matches!(first, "glibc" | "musl") {
                if let Some(abi) = parts.next().and_then(number) {
                    return Some(abi);
                }
            }
        }
    }
    None
}

/// The machine name (as `NativeInfo::machine` spells it) of a function
/// deployed for arm64 or not.
pub(crate) fn function_machine(arm64: bool) -> &'static str {
    if arm64 {
        "arm64"
    } else {
        "x86_64"
    }
}

/// " (and 2 more files)" after the one file named out of `count`.
fn and_more(count: usize) -> String {
    match count {
        0 | 1 => String::new(),
        2 => " (and 1 more file)".to_string(),
        n => format!(" (and {} more files)", n - 1),
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `numpy/core/_x.cpython-312-x86_64-linux-gnu.so` in a python3.11 function,
/// or `_x.cpython-311-darwin.so` (installed on a Mac): a deny, unless its
/// module's source sits beside it (charset_normalizer's `md.py`), which
/// Python then imports instead, or the package falls back when its import
/// fails: a warning, for the slower code and the binaries no import loads.
fn python_abi(artifact: &Artifact, inventory: &Inventory, runtime: &RuntimeInfo) -> Vec<Finding> {
    let Some((major, minor)) = runtime.python_version() else {
        return Vec::new();
    };
    // by package label: the first file, its tag, how many, their bytes
    type Counted = (usize, String, usize, u64, u64);
    type Mismatches = BTreeMap<String, Counted>;
    let (mut failing, mut replaced, mut caught): (Mismatches, Mismatches, Mismatches) =
        Default::default();
    let mut fallbacks = ExtensionFallbacks::new(artifact, runtime.python_version());
    for (i, entry) in artifact.entries.iter().enumerate() {
        if entry.kind != EntryKind::File
            || !(entry.path.ends_with(".so") || entry.path.ends_with(".pyd"))
        {
            continue;
        }
        // `.cpython-311-darwin.so`; a Windows build's `.cp311-win_amd64.pyd`
        let Some(at) = entry.path.find(".cpython-").or_else(|| {
            let (_, suffix) = crate::imports::split_extension_suffix(&entry.path)?;
            suffix
                .ends_with(".pyd")
                .then(|| entry.path.len() - suffix.len())
        }) else {
            continue;
        };
        // the other instruction set's builds are runtime/wrong-architecture's,
        // musl's runtime/musl-binary's
        let suffix = &entry.path[at..];
        if crate::imports::loads_extension_suffix(suffix, Some((major, minor)), None)
            || suffix.ends_with("-linux-musl.so")
        {
            continue;
        }
        // `cpython-312-x86_64-linux-gnu` → `CPython 3.12`; `cpython-311-darwin`
        // → `CPython 3.11 on macOS`; `cp311-win_amd64` → `CPython 3.11 on Windows`
        let tag = suffix
            .trim_start_matches('.')
            .trim_start_matches("cpython-")
            .trim_start_matches("cp")
            .trim_end_matches(".so")
            .trim_end_matches(".pyd");
        let (digits, platform) = tag.split_once('-').unwrap_or((tag, ""));
        let version = match digits.split_at_checked(1) {
            Some((major, minor)) if !minor.is_empty() => format!("CPython {major}.{minor}"),
            _ => format!("cpython-{digits}"),
        };
        let tag = match platform {
            _ if platform.ends_with("-linux-gnu") => version,
            "darwin" => format!("{version} on macOS"),
            _ if platform.starts_with("win") => format!("{version} on Windows"),
            // a bare `.pyd`: a Windows build too
            "" if suffix.ends_with(".pyd") => "Windows".to_string(),
            _ => format!("{version} on {platform}"),
        };
        // a suffix CPython does not look for: the source beside counts
        let slot = match fallbacks.of(&entry.path, true) {
            Some(PythonFallback::Source) => &mut replaced,
            Some(PythonFallback::Caught) => &mut caught,
            None => &mut failing,
        }
        .entry(owner_label(inventory, i).0)
        .or_insert((i, tag, 0, 0, 0));
        slot.2 += 1;
        slot.3 += entry.unzipped_bytes;
        slot.4 += entry.zipped_bytes;
    }
    let fix = format!("install with the runtime's Python: `pip install --python-version {major}.{minor} --only-binary=:all: --platform manylinux2014_x86_64 -t …`, or build in public.ecr.aws/sam/build-{}", runtime.id);
    let plural = |count: usize, one: &'static str, many: &'static str| match count {
        1 => one,
        _ => many,
    };
    let failing = failing.into_iter().map(|(label, (i, tag, count, _, _))| {
        let path = &artifact.entries[i].path;
        finding(
            "runtime/python-abi-mismatch",
            Level::Deny,
            format!(
                "{label}: {count} extension module{} built for {tag} (e.g. {path}); {} runs CPython {major}.{minor} on Linux and cannot import {}",
                plural(count, "", "s"),
                runtime.id,
                plural(count, "it", "them"),
            ),
            path,
            package_of(inventory, i),
            fix.clone(),
        )
    });
    let fallback = |(label, (i, tag, count, bytes, zipped)): (String, Counted), instead: &str| {
        let path = &artifact.entries[i].path;
        let mut f = finding(
            "python/extension-source-fallback",
            Level::Warn,
            format!(
                "{label}: {count} extension module{} built for {tag} (e.g. {path}); {} runs CPython {major}.{minor} on Linux, {instead}: slower code, and {} of binaries no import loads",
                plural(count, "", "s"),
                runtime.id,
                crate::units::human_bytes(bytes),
            ),
            path,
            package_of(inventory, i),
            fix.clone(),
        );
        f.saving = Some(Saving::bytes(bytes, zipped));
        f
    };
    let replaced = replaced.into_iter().map(|mismatch| {
        let them = plural(mismatch.1 .2, "it", "them");
        fallback(
            mismatch,
            &format!("which imports the .py beside {them} instead"),
        )
    });
    let caught = caught.into_iter().map(|mismatch| {
        let them = plural(mismatch.1 .2, "it", "them");
        fallback(
            mismatch,
            &format!("whose import of {them} fails inside a `try` the package falls back from"),
        )
    });
    let mut findings: Vec<Finding> = failing.collect();
    findings.extend(replaced);
    findings.extend(caught);
    findings
}

/// How CPython does without an extension module it cannot load.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PythonFallback {
    /// The module's source (or bytecode) beside it, imported instead.
    Source,
    /// The package imports it only inside a `try` that falls back.
    Caught,
}

impl PythonFallback {
    /// What becomes of the function, after a file CPython cannot load.
    fn consequence(self) -> &'static str {
        match self {
            PythonFallback::Source => {
                "Python imports the .py beside it instead (slower, but the function starts)"
            }
            PythonFallback::Caught => {
                "its import fails inside a `try` the package falls back from (slower, but the function starts)"
            }
        }
    }
}

/// What CPython falls back on for the extension modules it cannot load,
/// reading the .py files of each directory holding one once (numpy built
/// for the wrong Python has dozens per directory).
struct ExtensionFallbacks<'a> {
    artifact: &'a Artifact,
    python: Option<(u32, u32)>,
    beside: HashMap<String, Option<Vec<crate::imports::Import>>>,
}

impl<'a> ExtensionFallbacks<'a> {
    fn new(artifact: &'a Artifact, python: Option<(u32, u32)>) -> Self {
        ExtensionFallbacks {
            artifact,
            python,
            beside: HashMap::new(),
        }
    }

    /// The fallback of the extension module at `path`. The source beside
    /// it counts only when CPython skips its suffix (`suffix_skipped`: a
    /// tag for another version, platform or instruction set): one it
    /// looks for is found first, and its failed load raises ImportError.
    fn of(&mut self, path: &str, suffix_skipped: bool) -> Option<PythonFallback> {
        let stem = crate::imports::split_extension_suffix(path).map_or(path, |(module, _)| module);
        // mypyc's shared library (`<hash>__mypyc`) is loaded by the
        // compiled modules only, which fall back to their sources with it
        let has_source = stem.ends_with("__mypyc")
            || [".py", ".pyc"]
                .iter()
                .any(|suffix| self.artifact.find(&format!("{stem}{suffix}")).is_some());
        if suffix_skipped && has_source {
            return Some(PythonFallback::Source);
        }
        let (dir, name) = stem.rsplit_once('/').unwrap_or(("", stem));
        let (artifact, python) = (self.artifact, self.python);
        let imports = self
            .beside
            .entry(dir.to_string())
            .or_insert_with(|| python_imports_in(artifact, dir, python));
        imports
            .as_deref()
            .is_some_and(|imports| imported_with_fallback(imports, dir, name))
            .then_some(PythonFallback::Caught)
    }

    /// The fallback of the native file at entry `i`, one a Linux CPython
    /// for the function's machine (`arm64`) cannot load (built for the
    /// other machine, or linked against musl), when it is a Python
    /// extension module: one tagged for another platform is a file
    /// CPython never looks for; a bare or stable-ABI `.so` it loads, and
    /// fails.
    fn of_loaded(
        &mut self,
        inventory: &Inventory,
        i: usize,
        arm64: bool,
    ) -> Option<PythonFallback> {
        let path = &self.artifact.entries[i].path;
        let in_python_package = !matches!(
            inventory.owners[i],
            Owner::Package(p) if inventory.packages[p].ecosystem != Ecosystem::Pypi
        );
        match crate::imports::split_extension_suffix(path) {
            Some((_, suffix)) if path.ends_with(".so") && in_python_package => {
                let skipped = !crate::imports::loads_extension_suffix(suffix, None, Some(arm64));
                self.of(path, skipped)
            }
            _ => None,
        }
    }
}

/// Whether every file of a group falls back, given the group's verdict so
/// far (`first`: none counted yet) and the next file's: the first kind.
fn all_fall_back(
    first: bool,
    so_far: Option<PythonFallback>,
    next: Option<PythonFallback>,
) -> Option<PythonFallback> {
    match (first, so_far, next) {
        (true, _, next) => next,
        (false, Some(kind), Some(_)) => Some(kind),
        _ => None,
    }
}

/// Whether the .py files of directory `dir` import its extension module
/// `name` only inside a `try` that survives the failure (`except
/// ImportError: from ._native import …`), and at least once: then the
/// package runs on without it, slower.
fn imported_with_fallback(imports: &[crate::imports::Import], dir: &str, name: &str) -> bool {
    let package = dir.rsplit('/').next().unwrap_or(dir);
    let names_it = |import: &&crate::imports::Import| {
        import.module == format!(".{name}")
            || (!dir.is_empty() && import.module == format!("{package}.{name}"))
            || import.module.ends_with(&format!(".{package}.{name}"))
            || (import.module == "." && import.members.iter().any(|m| m.name == name))
    };
    let mut imported = imports.iter().filter(names_it).peekable();
    imported.peek().is_some() && imported.all(|i| i.guarded_by.is_some() && !i.stops_module)
}

/// The imports of the .py files directly in `dir` (`""`: the root), or
/// `None` when one of them does not parse. Read only for a directory
/// holding an extension module the runtime's Python cannot load (another
/// version's, platform's or machine's build): a function built wrong.
fn python_imports_in(
    artifact: &Artifact,
    dir: &str,
    python: Option<(u32, u32)>,
) -> Option<Vec<crate::imports::Import>> {
    let in_dir = |path: &str| {
        let rest = match dir.is_empty() {
            true => Some(path),
            false => path
                .strip_prefix(dir)
                .and_then(|rest| rest.strip_prefix('/')),
        };
        rest.is_some_and(|rest| !rest.contains('/') && rest.ends_with(".py"))
    };
    let mut imports = Vec::new();
    for (i, entry) in artifact.entries.iter().enumerate() {
        if entry.kind != EntryKind::File || !in_dir(&entry.path) {
            continue;
        }
        let text = artifact.read_text(i).ok()?;
        let scanned = crate::imports::scan_source_for(
            &entry.path,
            &text,
            crate::imports::Language::Python,
            python,
        )
        .ok()?;
        imports.extend(scanned.imports);
    }
    Some(imports)
}

/// Python distributions installed from a manylinux or musllinux wheel:
/// their binaries are Linux ones, for the machine the tag names.
pub(crate) fn wheel_tagged_packages(artifact: &Artifact, inventory: &Inventory) -> Vec<usize> {
    inventory
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.ecosystem == Ecosystem::Pypi)
        .filter(|(_, p)| {
            artifact
                .find(&format!("{}/WHEEL", p.path))
                .and_then(|i| artifact.read_text(i).ok())
                .is_some_and(|text| {
                    text.lines().any(|l| {
                        l.starts_with("Tag:")
                            && (l.contains("manylinux") || l.contains("musllinux"))
                    })
                })
        })
        .map(|(i, _)| i)
        .collect()
}

/// Platform, Python and glibc from each distribution's WHEEL tags.
fn wheel_tags(
    artifact: &Artifact,
    inventory: &Inventory,
    runtime: &RuntimeInfo,
    arm64: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let glibc = native::parse_glibc(&runtime.glibc);
    for (p, package) in inventory
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.ecosystem == Ecosystem::Pypi)
    {
        let Some(index) = artifact.find(&format!("{}/WHEEL", package.path)) else {
            continue;
        };
        let Ok(text) = artifact.read_text(index) else {
            continue;
        };
        let tags: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("Tag:"))
            .map(str::trim)
            .collect();
        if tags.is_empty() || tags.iter().any(|t| t.ends_with("-any")) {
            continue;
        }
        let platforms: Vec<&str> = tags
            .iter()
            .filter_map(|t| t.rsplit('-').next())
            .flat_map(|p| p.split('.'))
            .collect();
        let label = format!(
            "{} {}",
            package.name,
            package.version.as_deref().unwrap_or("?")
        );
        let wheel = format!("{}/WHEEL", package.path);
        // the package's extension modules, read, speak for it: the tag
        // is the evidence only when it ships none
        let has_elf_evidence = inventory
            .owners
            .iter()
            .enumerate()
            .any(|(i, o)| *o == Owner::Package(p) && artifact.entries[i].path.ends_with(".so"));
        if has_elf_evidence {
            continue;
        }
        if platforms.iter().all(|p| p.starts_with("musllinux")) {
            out.push(finding(
                "runtime/musl-binary",
                Level::Deny,
                format!(
                    "{label}: the wheel is for musl (Alpine) ({}); {} uses glibc",
                    platforms.join(", "),
                    runtime.id
                ),
                &wheel,
                Some(format!(
                    "{}@{}",
                    package.name,
                    package.version.as_deref().unwrap_or("?")
                )),
                "install the manylinux wheel: pip's --platform manylinux2014_x86_64 (or _aarch64)"
                    .to_string(),
            ));
            continue;
        }
        // the oldest glibc any of its platform tags accepts
        let needs = platforms.iter().filter_map(|p| manylinux_glibc(p)).min();
        if let (Some(needs), Some(available)) = (needs, glibc) {
            if needs > available {
                out.push(finding(
                    "runtime/glibc-too-new",
                    Level::Deny,
                    format!("{label}: the wheel needs glibc {}.{} ({}); {} runs on {} (glibc {})", needs.0, needs.1, platforms.join(", "), runtime.id, runtime.os, runtime.glibc),
                    &wheel,
                    Some(format!("{}@{}", package.name, package.version.as_deref().unwrap_or("?"))),
                    format!("install wheels for the runtime: pip's --platform manylinux2014_x86_64, or build in public.ecr.aws/sam/build-{}", runtime.id),
                ));
            }
        }
        let wanted = if arm64 { "aarch64" } else { "x86_64" };
        let arches: Vec<&str> = platforms
            .iter()
            .filter(|p| p.contains("linux"))
            .map(|p| {
                if p.ends_with("aarch64") {
                    "aarch64"
                } else if p.ends_with("x86_64") {
                    "x86_64"
                } else {
                    "other"
                }
            })
            .collect();
        if !arches.is_empty() && !arches.contains(&wanted) {
            out.push(finding(
                "runtime/wrong-architecture",
                Level::Deny,
                format!("{label}: the wheel is for {} ({}); the function runs on {}", arches[0], platforms.join(", "), function_machine(arm64)),
                &wheel,
                Some(format!("{}@{}", package.name, package.version.as_deref().unwrap_or("?"))),
                format!("install for the function's architecture: pip's --platform manylinux2014_{wanted}, or set --arch to the function's real architecture"),
            ));
        }
    }
    out
}

/// `manylinux_2_28_x86_64` → (2, 28); the legacy aliases by PEP 600.
fn manylinux_glibc(platform: &str) -> Option<(u32, u32)> {
    if let Some(rest) = platform.strip_prefix("manylinux_") {
        let mut parts = rest.split('_');
        return Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?));
    }
    if platform.starts_with("manylinux2014") {
        Some((2, 17))
    } else if platform.starts_with("manylinux2010") {
        Some((2, 12))
    } else if platform.starts_with("manylinux1") {
        Some((2, 5))
    } else {
        None
    }
}

/// Native files for the other instruction set, per owner: a deny, unless
/// the owner also carries the right build or (a Python extension module)
/// CPython does without it as python_abi's fallbacks do: then a warning
/// for the weight.
fn wrong_architecture(
    artifact: &Artifact,
    inventory: &Inventory,
    infos: &[(usize, NativeInfo)],
    arm64: bool,
    python: Option<(u32, u32)>,
) -> Vec<Finding> {
    let wanted = function_machine(arm64);
    let mut fallbacks = ExtensionFallbacks::new(artifact, python);
    // per owner: its files for another machine, whether it has one for
    // the function's, the other machines, and how Python does without
    // each of those files (all of them, or it is no fallback)
    type Owned = (Vec<usize>, bool, Vec<String>, Option<PythonFallback>);
    let mut by_owner: BTreeMap<String, Owned> = BTreeMap::new();
    let mut executables = Vec::new();
    for (i, info) in infos {
        // the function's own executable: Lambda cannot start it at all
        let path = &artifact.entries[*i].path;
        if info.machine != wanted && crate::inventory::binary::is_executable_candidate(path) {
            executables.push(finding(
                super::binary::FOREIGN_ARCH,
                Level::Deny,
                format!("{path} is a Linux {} executable; the function runs on {wanted}: Lambda cannot start it (exec format error)", info.machine),
                path,
                package_of(inventory, *i),
                if arm64 {
                    "build for arm64: GOARCH=arm64 go build, or cargo build --target aarch64-unknown-linux-gnu (cargo lambda build --arm64); or set --arch x86_64 if the function runs there".to_string()
                } else {
                    "build for x86_64: GOARCH=amd64 go build, or cargo build --target x86_64-unknown-linux-gnu; or set --arch arm64 if the function runs there".to_string()
                },
            ));
            continue;
        }
        let (label, _) = owner_label(inventory, *i);
        let slot = by_owner
            .entry(label)
            .or_insert((Vec::new(), false, Vec::new(), None));
        if info.machine == wanted {
            slot.1 = true;
        } else {
            let fallback = fallbacks.of_loaded(inventory, *i, arm64);
            slot.3 = all_fall_back(slot.0.is_empty(), slot.3, fallback);
            slot.0.push(*i);
            if !slot.2.contains(&info.machine) {
                slot.2.push(info.machine.clone());
            }
        }
    }
    by_owner
        .into_iter()
        .filter(|(_, (wrong, _, _, _))| !wrong.is_empty())
        .map(|(label, (wrong, has_right, machines, fallback))| {
            let first = &artifact.entries[wrong[0]].path;
            let more = match and_more(wrong.len()).strip_suffix(')') {
                Some(more) if machines.len() > 1 => {
                    format!("{more}, for {})", crate::units::and_list(&machines[1..]))
                }
                _ => and_more(wrong.len()),
            };
            let bytes: u64 = wrong.iter().map(|&i| artifact.entries[i].unzipped_bytes).sum();
            let zipped: u64 = wrong.iter().map(|&i| artifact.entries[i].zipped_bytes).sum();
            // with a build for the right machine beside it, or a fallback
            // Python takes, the wrong one is weight, not a failure
            let (level, consequence) = match (has_right, fallback) {
                (true, _) => (Level::Warn, "dead weight next to its right-machine build"),
                (false, Some(fallback)) => (Level::Warn, fallback.consequence()),
                (false, None) => (Level::Deny, "it fails to load at the first cold start"),
            };
            let mut f = finding(
                "runtime/wrong-architecture",
                level,
                format!("{label}: {first} is a Linux {} binary{more}; the function runs on {wanted}: {consequence}", machines[0]),
                first,
                package_of(inventory, wrong[0]),
                format!("install or build for {wanted} (npm --cpu={}, pip --platform manylinux2014_{}), or set --arch to the function's real architecture", if arm64 { "arm64" } else { "x64" }, if arm64 { "aarch64" } else { "x86_64" }),
            );
            if level == Level::Warn {
                f.saving = Some(Saving::bytes(bytes, zipped));
            }
            f.concerns = Some(Saving::bytes(bytes, zipped));
            f
        })
        .chain(executables)
        .collect()
}

fn node_engines(inventory: &Inventory, runtime: &RuntimeInfo) -> Vec<Finding> {
    if runtime.family != "node" {
        return Vec::new();
    }
    let Ok(major) = runtime.version.parse::<u64>() else {
        return Vec::new();
    };
    inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Npm)
        .filter_map(|p| {
            let range = p.engines_node.as_deref()?;
            let accepts = node_range_accepts_major(range, major)?;
            (!accepts).then(|| {
                finding(
                    "runtime/node-engines",
                    Level::Warn,
                    format!("{}@{} declares engines.node \"{range}\", which excludes Node {major} ({})", p.name, p.version.as_deref().unwrap_or("?"), runtime.id),
                    &p.manifest,
                    Some(p.label()),
                    format!("pin a release of {} that supports Node {major}, or move the function to a runtime its engines range accepts", p.name),
                )
            })
        })
        .collect()
}

/// Whether a node-semver range admits some release of this major line;
/// `None` when the range cannot be read (then nothing is claimed).
pub fn node_range_accepts_major(range: &str, major: u64) -> Option<bool> {
    let candidates =
        [0u64, 1, 5, 10, 15, 20, 30, 99].map(|minor| semver::Version::new(major, minor, 0));
    let mut any_parsed = false;
    for alternative in range.split("||") {
        let alternative = alternative.trim();
        let requirement = if alternative.is_empty() || alternative == "*" || alternative == "x" {
            "*".to_string()
        } else if let Some((low, high)) = alternative.split_once(" - ") {
            format!(">={}, <={}", low.trim(), high.trim())
        } else {
            // `>= 14.17 <16` → `>=14.17, <16`
            let mut comparators: Vec<String> = Vec::new();
            let mut pending = String::new();
            for token in alternative.split_whitespace() {
                pending.push_str(token);
                if token
                    .chars()
                    .any(|c| c.is_ascii_digit() || c == 'x' || c == '*')
                {
                    comparators.push(std::mem::take(&mut pending));
                }
            }
            comparators.join(", ")
        };
        let Ok(requirement) = semver::VersionReq::parse(&requirement.replace(".x", ".*")) else {
            continue;
        };
        any_parsed = true;
        if candidates.iter().any(|v| requirement.matches(v)) {
            return Some(true);
        }
    }
    any_parsed.then_some(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engines_ranges_in_node_semver_syntax() {
        assert_eq!(node_range_accepts_major(">=22", 20), Some(false));
        assert_eq!(node_range_accepts_major(">=18", 20), Some(true));
        assert_eq!(
            node_range_accepts_major(">= 14.17.0 < 16 || >=18", 20),
            Some(true)
        );
        assert_eq!(
            node_range_accepts_major("^18.12.0 || ^20.9.0 || >=22", 20),
            Some(true)
        );
        assert_eq!(node_range_accepts_major("16.x", 20), Some(false));
        assert_eq!(node_range_accepts_major("*", 20), Some(true));
        assert_eq!(node_range_accepts_major("whatever", 20), None);
    }

    #[test]
    fn addon_paths_name_the_node_abi_they_were_built_for() {
        let cases = [
            (
                "node_modules/zeromq/build/linux/x64/node/glibc-115-Release/addon.node",
                Some(115),
            ),
            (
                "node_modules/zeromq/build/linux/x64/node/musl-127-Release/addon.node",
                Some(127),
            ),
            (
                "node_modules/zeromq/build/linux/x64/node/108/addon.node",
                Some(108),
            ),
            (
                "node_modules/@datadog/pprof/prebuilds/linux-x64/dd_pprof.node.abi115.node",
                Some(115),
            ),
            (
                "node_modules/sqlite3/lib/binding/node-v108-linux-x64/node_sqlite3.node",
                Some(108),
            ),
            (
                "node_modules/sqlite3/lib/binding/napi-v6-linux-glibc-x64/node_sqlite3.node",
                None,
            ),
            (
                "node_modules/bufferutil/prebuilds/linux-x64/bufferutil.node",
                None,
            ),
            ("node_modules/node/x/addon.node", None),
        ];
        for (path, abi) in cases {
            assert_eq!(node_abi_in_path(path), abi, "{path}");
        }
    }

    #[test]
    fn manylinux_tags_name_their_glibc() {
        assert_eq!(manylinux_glibc("manylinux_2_28_x86_64"), Some((2, 28)));
        assert_eq!(manylinux_glibc("manylinux2014_aarch64"), Some((2, 17)));
        assert_eq!(manylinux_glibc("musllinux_1_2_x86_64"), None);
    }
}
