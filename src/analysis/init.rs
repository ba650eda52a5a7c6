//! What the handler loads at init, summed per owner, and the packages it
//! ships without loading them.

use serde::Serialize;

use super::{Finding, Level, Location, Saving};
use crate::artifact::Artifact;
use crate::imports::reach::{InitLoad, Unresolved};
use crate::imports::Language;
use crate::inventory::{Inventory, Owner};
use crate::units::human_bytes;

pub const NOT_LOADED_RULE: &str = "common/not-loaded-at-init";
pub const UNBUNDLED_RULE: &str = "node/unbundled-at-init";
/// Files from node_modules loaded at init above which bundling pays.
pub const UNBUNDLED_FILES: usize = 150;
pub const SLOW_INIT_RULE: &str = "common/slow-init";
/// Estimated init, in ms, from which a cold start is slow.
pub const SLOW_INIT_MS: u64 = 1000;

#[derive(Debug, Serialize)]
pub struct InitReport {
    pub handler: String,
    pub language: Language,
    /// Every file loaded, the layers' included.
    pub loaded_files: usize,
    /// Unzipped bytes of every file loaded (source, JSON, native modules),
    /// the layers' included.
    pub loaded_bytes: u64,
    /// Of those, the files (and bytes) from layers.
    pub layer_files: usize,
    pub layer_bytes: u64,
    /// The layers init looked in, in order: those audited beside the
    /// function, else the config's, else those on disk its SAM template
    /// gives it.
    pub layers: Vec<String>,
    /// Native modules loaded (`.node`, Python extension `.so`) and their bytes.
    pub native_files: usize,
    pub native_bytes: u64,
    /// Python source loaded without usable bytecode: compiled at every cold start.
    pub compiled_bytes: u64,
    /// Python `class` statements the modules loaded run: each class created
    /// costs init time (a pydantic model builds its validator then).
    pub classes: usize,
    /// JavaScript tokens of the code files loaded: the model's measure of
    /// code, which minifying leaves about the same where it halves bytes.
    pub code_tokens: u64,
    /// Node: files loaded as ES modules. Node's ES module loader costs
    /// more per module than `require`.
    pub es_modules: usize,
    /// Node: bytes of the CommonJS files ES modules import, which Node
    /// reads once more, for the names they export, before running them.
    pub commonjs_imported_bytes: u64,
    /// Node: bytes of the inline source maps (data URLs) in the files
    /// loaded, text Node reads with the code at every load.
    pub inline_map_bytes: u64,
    /// Node: bytes of source map JSON the files loaded name (map files the
    /// package has, inline maps decoded), which Node parses as it loads
    /// them when source maps are enabled.
    pub source_map_bytes: u64,
    /// Whether the function's NODE_OPTIONS enable source maps
    /// (`--enable-source-maps`).
    pub source_maps_enabled: bool,
    /// Node: the runtime's npm packages (its AWS SDK) that ES modules
    /// import; the estimate prices reading each one's CommonJS entry twice.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub esm_imported_runtime_packages: Vec<String>,
    /// Files of the function's own code loaded.
    pub app_files: usize,
    pub app_bytes: u64,
    /// Per package with at least one file loaded, most bytes first; a
    /// layer's packages too.
    pub packages: Vec<InitPackage>,
    /// `name@version` of packages shipped but not loaded at init.
    pub not_loaded: Vec<String>,
    /// Imports init surely runs that nothing provides: not the artifact,
    /// Node's built-ins or Python's standard library, nor the runtime.
    pub unresolved: Vec<Unresolved>,
    /// Imports inside functions, which run later and were not followed.
    pub lazy_imports: usize,
    /// Module-scope imports found nowhere that init may not run: in a
    /// `try` that catches (builds for other platforms tried in turn,
    /// optional speed-ups), under an `if`, in a file loaded only that way,
    /// or behind a symlink or a package.json that does not parse.
    pub unresolved_guarded: usize,
    /// Built-in / standard-library modules the init imports.
    pub runtime_modules: Vec<String>,
    /// Calls the function's own modules make at module scope, when init
    /// loads them, that the estimate prices (`boto3.client('s3')`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub priced_calls: Vec<String>,
    /// The init-time model's range for this load, when it was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub estimate_ms: Option<crate::estimate::InitEstimate>,
    /// Init Duration from the function's logs (`audit --logs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub measured: Option<crate::logs::MeasuredInit>,
    /// Every file loaded: the handler's module first, then the function's
    /// by path, then the layers' (`/opt/...`) by path.
    pub files: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct InitPackage {
    pub name: String,
    pub version: Option<String>,
    /// The layer it ships in (the path given), when not in the function's package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    pub loaded_files: usize,
    pub loaded_bytes: u64,
    /// All of the package's files, for the share loaded.
    pub files: usize,
    pub unzipped_bytes: u64,
}

/// One of the function's layers, for what init loads from it.
pub struct LayerFiles<'a> {
    pub artifact: &'a Artifact,
    pub inventory: &'a Inventory,
    /// Its `.py` files without usable bytecode, sorted.
    pub recompiled: Vec<usize>,
}

/// What one loaded file adds to the model's inputs: its path, bytes and
/// whether Python compiles it at every cold start. The function's files
/// first, then the layers'.
pub fn loaded_files<'a>(
    artifact: &'a Artifact,
    load: &'a InitLoad,
    recompiled: &'a [usize],
    layers: &'a [LayerFiles<'a>],
) -> impl Iterator<Item = (&'a str, u64, bool)> + 'a {
    let own = load.loaded.iter().map(move |&i| {
        let entry = &artifact.entries[i];
        let compiled = recompiled.binary_search(&i).is_ok();
        (entry.path.as_str(), entry.unzipped_bytes, compiled)
    });
    let layered = load.layer_loaded.iter().filter_map(move |file| {
        let layer = layers.get(file.layer?)?;
        let entry = &layer.artifact.entries[file.entry];
        let compiled = layer.recompiled.binary_search(&file.entry).is_ok();
        Some((entry.path.as_str(), entry.unzipped_bytes, compiled))
    });
    own.chain(layered)
}

/// `recompiled`: the function's sorted `.py` files without usable bytecode.
pub fn report(
    artifact: &Artifact,
    inventory: &Inventory,
    load: &InitLoad,
    recompiled: &[usize],
    layers: &[LayerFiles],
) -> InitReport {
    let (mut loaded_count, mut loaded_bytes) = (0, 0);
    let (mut native_files, mut native_bytes, mut compiled_bytes) = (0, 0, 0);
    for (path, bytes, compiled) in loaded_files(artifact, load, recompiled, layers) {
        loaded_count += 1;
        loaded_bytes += bytes;
        if is_native_module(path) {
            native_files += 1;
            native_bytes += bytes;
        } else if compiled {
            compiled_bytes += bytes;
        }
    }
    let mut per_package = vec![(0usize, 0u64); inventory.packages.len()];
    let (mut app_files, mut app_bytes) = (0, 0);
    for &i in &load.loaded {
        let bytes = artifact.entries[i].unzipped_bytes;
        match inventory.owners[i] {
            Owner::Package(p) => {
                per_package[p].0 += 1;
                per_package[p].1 += bytes;
            }
            Owner::App | Owner::Unowned => {
                app_files += 1;
                app_bytes += bytes;
            }
        }
    }
    let package_rows =
        |inventory: &Inventory, per_package: &[(usize, u64)], layer: Option<&Artifact>| {
            inventory
                .packages
                .iter()
                .zip(per_package)
                .filter(|(_, (files, _))| *files > 0)
                .map(|(p, &(loaded_files, loaded_bytes))| InitPackage {
                    name: p.name.clone(),
                    version: p.version.clone(),
                    layer: layer.map(|l| l.path.display().to_string()),
                    loaded_files,
                    loaded_bytes,
                    files: p.totals.files,
                    unzipped_bytes: p.totals.unzipped_bytes,
                })
                .collect::<Vec<_>>()
        };
    let mut packages = package_rows(inventory, &per_package, None);
    let (mut layer_files, mut layer_bytes) = (0, 0);
    for (index, layer) in layers.iter().enumerate() {
        let mut per_package = vec![(0usize, 0u64); layer.inventory.packages.len()];
        for file in load.layer_loaded.iter().filter(|f| f.layer == Some(index)) {
            let bytes = layer.artifact.entries[file.entry].unzipped_bytes;
            layer_files += 1;
            layer_bytes += bytes;
            if let Owner::Package(p) = layer.inventory.owners[file.entry] {
                per_package[p].0 += 1;
                per_package[p].1 += bytes;
            }
        }
        packages.extend(package_rows(
            layer.inventory,
            &per_package,
            Some(layer.artifact),
        ));
    }
    packages.sort_by(|a, b| {
        b.loaded_bytes
            .cmp(&a.loaded_bytes)
            .then(a.name.cmp(&b.name))
    });
    let not_loaded = inventory
        .packages
        .iter()
        .zip(&per_package)
        .filter(|(_, (files, _))| *files == 0)
        .map(|(p, _)| p.label())
        .collect();
    InitReport {
        handler: load.handler.clone(),
        language: load.language,
        loaded_files: loaded_count,
        loaded_bytes,
        layer_files,
        layer_bytes,
        layers: layers
            .iter()
            .map(|l| l.artifact.path.display().to_string())
            .collect(),
        native_files,
        native_bytes,
        compiled_bytes,
        classes: load.classes,
        code_tokens: load.code_tokens,
        es_modules: load.es_modules,
        commonjs_imported_bytes: load.commonjs_imported_bytes,
        inline_map_bytes: load.inline_map_bytes(),
        source_map_bytes: load.source_map_bytes(),
        // the caller knows the function's environment
        source_maps_enabled: false,
        esm_imported_runtime_packages: load.esm_imported_runtime_packages(),
        app_files,
        app_bytes,
        packages,
        not_loaded,
        unresolved: load.unresolved.clone(),
        lazy_imports: load.lazy_imports,
        unresolved_guarded: load.guarded_absent,
        runtime_modules: load.runtime_modules.clone(),
        priced_calls: Vec::new(),
        estimate_ms: None,
        measured: None,
        files: load
            .loaded
            .iter()
            .map(|&i| artifact.entries[i].path.clone())
            .chain(load.layer_loaded.iter().filter_map(|file| {
                let layer = layers.get(file.layer?)?;
                let path = &layer.artifact.entries[file.entry].path;
                Some(format!("{}{path}", crate::imports::mount::LAYER_ROOT))
            }))
            .collect(),
    }
}

/// A compiled module the runtime maps instead of parsing.
pub fn is_native_module(path: &str) -> bool {
    path.ends_with(".node") || path.ends_with(".so")
}

/// One advisory finding per package the function itself depends on that
/// no init import reaches. Packages another package brought in are left to
/// their dependent: it may load them lazily or through computed names.
pub fn not_loaded(inventory: &Inventory, load: &InitLoad) -> Vec<Finding> {
    let mut loaded = vec![false; inventory.packages.len()];
    for &i in &load.loaded {
        if let Owner::Package(p) = inventory.owners[i] {
            loaded[p] = true;
        }
    }
    inventory
        .packages
        .iter()
        .zip(&loaded)
        // a development tool shipped is node/dev-dependency-shipped's to report
        .filter(|(p, loaded)| p.direct && !p.root_dev && !**loaded)
        .map(|(p, _)| {
            let id = p.label();
            Finding {
                rule: NOT_LOADED_RULE.to_string(),
                level: Level::Warn,
                message: format!(
                    "{id} ({}) is shipped but nothing the handler `{}` imports at init loads it",
                    human_bytes(p.totals.unzipped_bytes),
                    load.handler
                ),
                location: Location {
                    path: p.manifest.clone(),
                    line: p.manifest_line,
                    column: None,
                },
                package: Some(id),
                saving: None,
                concerns: Some(Saving::bytes(p.totals.unzipped_bytes, p.totals.zipped_bytes)),
                known: false,
                fix: Some(
                    "if nothing loads it later either (a require inside a function, a dynamic import, a plugin named in config), remove it from the dependencies; otherwise it costs size but not init"
                        .to_string(),
                ),
            }
        })
        .collect()
}

/// A Node handler that loads many files from node_modules at init, its
/// own or its layers' (on NODE_PATH): each one is a file-system lookup and
/// a separate compile at every cold start.
pub fn unbundled(
    artifact: &Artifact,
    layers: &[&Artifact],
    load: &InitLoad,
    limit: usize,
) -> Option<Finding> {
    if load.language != Language::JavaScript {
        return None;
    }
    let in_packages =
        |path: &str| path.starts_with("node_modules/") || path.contains("/node_modules/");
    let own = load
        .loaded
        .iter()
        .map(|&i| &artifact.entries[i])
        .filter(|entry| in_packages(&entry.path));
    let layered: Vec<&crate::artifact::Entry> = load
        .layer_loaded
        .iter()
        .filter_map(|file| layers.get(file.layer?)?.entries.get(file.entry))
        .filter(|entry| in_packages(&entry.path))
        .collect();
    let from_packages: Vec<&crate::artifact::Entry> = own.chain(layered.iter().copied()).collect();
    if from_packages.len() <= limit {
        return None;
    }
    let bytes: u64 = from_packages.iter().map(|e| e.unzipped_bytes).sum();
    let from_layers = match layered.len() {
        0 => String::new(),
        n => format!(", {n} of them from its layers"),
    };
    let handler_file = &artifact.entries[load.loaded[0]].path;
    Some(Finding {
        rule: UNBUNDLED_RULE.to_string(),
        level: Level::Warn,
        message: format!(
            "`{}` loads {} files ({}) from node_modules at init{from_layers}, more than {limit}: each is a file lookup and a separate compile on every cold start",
            load.handler,
            from_packages.len(),
            human_bytes(bytes)
        ),
        location: Location {
            path: handler_file.clone(),
            line: None,
            column: None,
        },
        package: None,
        saving: None,
        concerns: Some(Saving::bytes(bytes, from_packages.iter().map(|e| e.zipped_bytes).sum())),
        known: false,
        fix: Some(format!(
            "bundle the handler into one file, e.g. `esbuild {handler_file} --bundle --minify --platform=node --target=node20 --outfile=dist/index.js` (mark `@aws-sdk/*` external when the runtime's own SDK v3 is used), and deploy dist/ without node_modules"
        )),
    })
}

/// An init over `limit_ms` — the median Init Duration in the function's
/// logs when given, else the estimate's low end — in a function whose
/// deployment does not set up SnapStart or provisioned concurrency (as far
/// as its templates say): every cold start waits that long before the
/// handler runs.
pub fn slow(
    init: &InitReport,
    runtime: Option<&crate::rules::runtimes::RuntimeInfo>,
    warm_start: Option<crate::template::WarmStart>,
    limit_ms: u64,
) -> Option<Finding> {
    if warm_start.is_some() {
        return None;
    }
    // the function's own Init Duration, when its logs were given, over the model's
    let took = match (&init.measured, &init.estimate_ms) {
        (Some(measured), _) if measured.median_ms >= limit_ms as f64 => format!(
            "took a median {:.0} ms to initialise over {} cold starts in its logs{}",
            measured.median_ms,
            measured.cold_starts,
            measured
                .memory_mb
                .map(|mb| format!(" at {mb} MB"))
                .unwrap_or_default()
        ),
        (Some(_), _) => return None,
        (None, Some(estimate)) if estimate.low >= limit_ms as f64 => {
            let range = crate::estimate::MsRange::new(estimate.low, estimate.high);
            let at = match estimate.memory_mb {
                Some(mb) => format!("at {mb} MB"),
                None => "with a full vCPU".to_string(),
            };
            format!("takes est. {} {at} to initialise", range.text())
        }
        (None, _) => return None,
    };
    let provisioned = "provisioned concurrency keeps environments initialised ahead of invocations, billed while they wait";
    let warm = match runtime {
        Some(runtime) if runtime.snapstart => format!(
            "SnapStart on {} resumes cold starts from a snapshot taken after init (SAM `SnapStart: {{ApplyOn: PublishedVersions}}`, Terraform `snap_start {{ apply_on = \"PublishedVersions\" }}`; invoke a published version or alias), or {provisioned}",
            runtime.id
        ),
        Some(runtime) => format!(
            "{provisioned} (SnapStart is for Java 11+, Python 3.12+ and .NET 8+, not {})",
            runtime.id
        ),
        None => format!(
            "SnapStart (Java 11+, Python 3.12+, .NET 8+) resumes cold starts from a snapshot taken after init, or {provisioned}"
        ),
    };
    Some(Finding::with_fix(
        SLOW_INIT_RULE,
        Level::Warn,
        format!(
            "`{}` {took}, over {limit_ms} ms: every cold start waits for it before the handler runs",
            init.handler
        ),
        Location::file(init.files.first().map_or("", String::as_str)),
        format!("cut what init loads first (the other init-time findings); for what must stay, {warm}"),
    ))
}
