//! What the handler loads at init: from the handler's module, every import
//! that runs at module scope, followed through the artifact's own tree.
//! Node's algorithm comes from oxc_resolver over a virtual file system made
//! of the artifact listing (package.json `exports`, `main`, extensions,
//! directory indexes; built-ins skipped; the layers' `nodejs/node_modules`
//! on NODE_PATH); Python's is Lambda's search path (task root, then the
//! layers' `python/lib/pythonX.Y/site-packages` and `python/`), packages'
//! `__init__.py`, relative imports and `from pkg import submodule`.
//! The layers are those audited beside the function, else the config's,
//! else those on disk its SAM template gives it (see [`super::mount`]).
//! Imports inside functions run later and are not followed.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use oxc_resolver::{
    FileMetadata, FileSystem, ModuleType, ResolveError, ResolveOptions, ResolverGeneric,
};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::Serialize;

use super::environment::Variables;
use super::exports::ModuleExports;
use super::mount::{layer_folder, LayerFolder, Mount, MountedFile, LAYER_ROOT};
use super::scan_cache::ScanCache;
use super::source_map::{self, MapLink};
use super::{scan_source_for, Import, ImportKind, Language, Member, SourceFile, TooNew};
use crate::artifact::cache::{Codec, ContentCache, Reader, Writer};
use crate::artifact::{Artifact, EntryKind, Warning, DEFAULT_READ_LIMIT};
use crate::rules::runtimes::{self, RuntimeInfo};

/// Where the artifact's files appear to the resolver.
const TASK_ROOT: &str = "/var/task";

/// Packages that add module aliases or search paths when they load.
const ALIAS_PACKAGES: [&str; 3] = [
    "/node_modules/module-alias/",
    "/node_modules/app-module-path/",
    "/node_modules/tsconfig-paths/",
];

#[derive(Debug)]
pub struct InitLoad {
    pub handler: String,
    pub language: Language,
    /// Entry indices of the function's own files loaded at init, the
    /// handler's first.
    pub loaded: Vec<usize>,
    /// Files of the function's layers loaded at init.
    pub layer_loaded: Vec<MountedFile>,
    /// Python classes the modules loaded define as they run.
    pub classes: usize,
    /// JavaScript tokens of the files loaded that the walk parsed.
    pub code_tokens: u64,
    /// The source maps the files loaded name, in load order.
    pub source_maps: Vec<LoadedMap>,
    /// Node: files loaded as ES modules, and the CommonJS files an ES
    /// module imports: Node reads each of those a second time, to find
    /// the names it exports, before it runs it.
    pub es_modules: usize,
    pub commonjs_imported_bytes: u64,
    /// The ES module imports that load those CommonJS files: the
    /// importing file, the import's index, the file loaded.
    commonjs_imports: Vec<(usize, usize, usize)>,
    /// The runtime's npm packages (its AWS SDK) that ES modules import:
    /// the importing file, the import's index, the package. Node reads
    /// the CommonJS file such an import loads twice as well.
    runtime_esm_imports: Vec<(usize, usize, String)>,
    /// Imports that init surely runs, found nowhere: not in the artifact,
    /// not a Node built-in, not in Python's standard library. Surely: at
    /// module scope, not in a `try` that catches nor under an `if`, in a
    /// file that the handler's module loads through such imports alone.
    pub unresolved: Vec<Unresolved>,
    /// ES module imports init surely runs that name a file without its
    /// extension, or a directory: Node's ES module loader does not find
    /// them (the walk follows them as require would).
    pub unspecified: Vec<Unresolved>,
    /// Imports inside functions that were not followed.
    pub lazy_imports: usize,
    /// Other module-scope imports found nowhere: alternatives a `try`
    /// tries in turn, branches for other platforms or versions, and any
    /// import of a file that init loads only that way.
    pub guarded_absent: usize,
    /// Modules the runtime itself provides that init imports: Node's
    /// built-ins and Python's standard library, and what the runtime ships
    /// besides (AWS SDK v3, boto3), sorted.
    pub runtime_modules: Vec<String>,
    pub warnings: Vec<Warning>,
    /// Files init loads whatever branch the code takes (mount numbers):
    /// not only through an import a `try` guards or an `if` holds.
    pub surely_loaded: HashSet<usize>,
    /// The `require()` calls init surely makes in those files of a file
    /// Node may load as an ES module, as the walk followed them: the file,
    /// the import's index among its imports, the file it loads and how.
    requires: Vec<(usize, usize, usize, NodeFormat)>,
    /// The namespaces (`import * as m`, `const m = await import()`) those
    /// files call, construct or extend at init: the file and the import's
    /// index.
    namespace_calls: Vec<(usize, usize)>,
}

/// A source map a file init loads names: what Node reads of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedMap {
    /// The file, as the function sees it.
    pub file: String,
    /// The map file, as the function sees it (`None`: inline).
    pub map: Option<String>,
    /// Bytes of the comment holding an inline map, which Node reads with
    /// the file at every load (0 for a map file).
    pub inline_bytes: u64,
    /// Bytes of JSON Node parses for it when source maps are enabled: the
    /// map file's, or the data URL's decoded; 0 for a map file the
    /// package does not have.
    pub json_bytes: u64,
}

impl InitLoad {
    /// Bytes of inline source maps in the files loaded.
    pub fn inline_map_bytes(&self) -> u64 {
        self.source_maps.iter().map(|m| m.inline_bytes).sum()
    }

    /// Bytes of source map JSON Node parses at init with source maps enabled.
    pub fn source_map_bytes(&self) -> u64 {
        self.source_maps.iter().map(|m| m.json_bytes).sum()
    }

    /// The runtime's packages (its AWS SDK) that ES modules import at init.
    pub fn esm_imported_runtime_packages(&self) -> Vec<String> {
        let names: BTreeSet<&String> = self.runtime_esm_imports.iter().map(|(.., n)| n).collect();
        names.into_iter().cloned().collect()
    }
}

/// An import that takes names from a module: the importing file, the
/// import, the names.
type Taking<'i> = (usize, &'i Import, Vec<Member>);

/// A name an import takes that its module does not have.
#[derive(Clone, Debug)]
pub struct MissingExport {
    pub file: MountedFile,
    /// The importing file, as the function sees it.
    pub path: String,
    pub line: u32,
    pub name: String,
    /// The module as written, and the file it resolved to.
    pub module: String,
    pub target: String,
    pub target_file: MountedFile,
    /// Taken through `require`: the name is undefined, and the use init
    /// makes of it throws (an ES module import fails to link instead).
    pub commonjs: bool,
    /// Imported by an ES module from a CommonJS one, whose names Node's
    /// static analysis does not find it among (the module may still have
    /// it at run time).
    pub unseen: bool,
}

/// How Node loads a JavaScript file a `require()` found, by its extension
/// and the `"type"` of its package.json.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeFormat {
    /// An ES module: `.mjs`, or the package.json here (`"type": "module"`).
    EsModule { manifest: Option<String> },
    /// A `.js` with no `"type"` above it: Node 20.19 and 22.7 load it as an
    /// ES module when its syntax is one, older ones as CommonJS.
    BySyntax,
}

/// A `require()` init surely makes of a file Node may load as an ES module.
#[derive(Clone, Debug)]
pub struct Required {
    pub file: MountedFile,
    /// The requiring file, as the function sees it.
    pub path: String,
    pub line: u32,
    /// The module as written, and the file it resolved to.
    pub module: String,
    pub target: String,
    pub target_file: MountedFile,
    /// Why Node loads the target as an ES module: its extension or
    /// package.json, or (`BySyntax`) its import/export declarations.
    pub format: NodeFormat,
    /// Where init calls, constructs or extends what the `require` returned.
    pub invoked: Option<Member>,
    /// A module of the target's ES module graph that waits at its top
    /// level, and the line: require() cannot load the graph.
    pub awaits: Option<(String, u32)>,
}

/// An ES module's namespace (`import * as m from '…'`, `const m = await
/// import('…')`) that init calls, constructs or extends: a namespace
/// object is never a function.
#[derive(Clone, Debug)]
pub struct NamespaceCall {
    pub file: MountedFile,
    /// The importing file, as the function sees it.
    pub path: String,
    pub module: String,
    /// The namespace's name there, and the line of the call.
    pub call: Member,
    /// Awaited from `import()` rather than imported with `import * as`.
    pub dynamic: bool,
}

/// An ES module import init makes of a CommonJS file: Node reads the file
/// once more, to find the names it exports, before running it.
#[derive(Clone, Debug)]
pub struct CommonJsImport {
    pub file: MountedFile,
    /// The importing file, as the function sees it.
    pub path: String,
    pub line: u32,
    /// The module as written, and the file it resolved to.
    pub module: String,
    pub target: String,
    /// `None`: the runtime's package, not in the artifact.
    pub target_file: Option<MountedFile>,
    pub bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Unresolved {
    pub path: String,
    pub line: u32,
    pub module: String,
    /// A Python submodule missing from a package that is there (the
    /// import `.docs` in botocore: `botocore.docs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submodule: Option<String>,
}

/// The handler a Lambda function has when none is given: the single
/// `index.js`/`.mjs`/`.cjs`, `app.py` or `lambda_function.py` at the root.
pub fn infer_handler(artifact: &Artifact) -> Result<String, String> {
    let candidates: Vec<&str> = [
        ("index.js", "index.handler"),
        ("index.mjs", "index.handler"),
        ("index.cjs", "index.handler"),
        ("app.py", "app.lambda_handler"),
        ("lambda_function.py", "lambda_function.lambda_handler"),
    ]
    .iter()
    .filter(|(file, _)| artifact.find(file).is_some())
    .map(|(_, handler)| *handler)
    .collect();
    match candidates.as_slice() {
        [one] => Ok(python_handler_function(artifact, one).unwrap_or_else(|| one.to_string())),
        [] => Err("no index.js, app.py or lambda_function.py at the root".into()),
        many => Err(format!(
            "several handler files at the root ({})",
            many.join(", ")
        )),
    }
}

/// A Python module at the root that defines no `lambda_handler` but a
/// top-level `handler` function: `app.handler`, so the handler's body is
/// the one read.
fn python_handler_function(artifact: &Artifact, default: &str) -> Option<String> {
    let module = default.strip_suffix(".lambda_handler")?;
    let path = format!("{module}.py");
    let text = artifact.read_text(artifact.find(&path)?).ok()?;
    let defines = |name| super::exports::defines(&path, &text, Language::Python, name);
    (defines("lambda_handler") == Some(false) && defines("handler") == Some(true))
        .then(|| format!("{module}.handler"))
}

/// The handler's module file: Node's `dir/file.fn` → `dir/file.{js,mjs,cjs}`,
/// Python's `pkg.mod.fn` or `pkg/mod.fn` → `pkg/mod.py`.
pub fn handler_entry(artifact: &Artifact, handler: &str) -> Option<(usize, Language)> {
    let (dir, base) = handler.rsplit_once('/').unwrap_or(("", handler));
    let module = base.split_once('.').map_or(base, |(m, _)| m);
    let stem = if dir.is_empty() {
        module.to_string()
    } else {
        format!("{dir}/{module}")
    };
    for ext in ["js", "mjs", "cjs", "ts"] {
        if let Some(i) = artifact.find(&format!("{stem}.{ext}")) {
            return Some((i, Language::JavaScript));
        }
    }
    let python = handler
        .rsplit_once('.')
        .map_or(handler, |(m, _)| m)
        .replace('.', "/");
    artifact
        .find(&format!("{python}.py"))
        .or_else(|| artifact.find(&format!("{python}/__init__.py")))
        .map(|i| (i, Language::Python))
}

/// What the function runs on: what provides modules besides the artifact.
#[derive(Clone, Copy, Debug, Default)]
pub struct Platform<'r> {
    /// The Python version, from the runtime or the packages, for the
    /// layer path `/opt/python/lib/pythonX.Y/site-packages`.
    pub python: Option<(u32, u32)>,
    /// The runtime, for what it ships besides (boto3, AWS SDK v3); when
    /// unknown, whatever some runtime of the language ships counts.
    pub runtime: Option<&'r RuntimeInfo>,
    /// The instruction set (arm64, else x86_64): Python looks for the
    /// extension modules tagged with it only.
    pub arm64: bool,
    /// The function has layers deadweight cannot read: a module missing
    /// from what it reads may be there, so its import may not fail.
    pub unknown_layers: bool,
}

impl Platform<'_> {
    /// The Python version of the runtime itself, for its standard library
    /// and syntax: verdicts that depend on it need the runtime, not a
    /// version guessed from the packages.
    fn runtime_python(&self) -> Option<(u32, u32)> {
        self.runtime.and_then(|r| r.python_version())
    }

    /// Whether the runtime ships the npm package or top-level Python
    /// module `name`.
    fn provides(&self, language: Language, name: &str) -> bool {
        match self.runtime {
            Some(runtime) => runtime_ships(runtime, language, name),
            None => runtimes_shipping(language, name).next().is_some(),
        }
    }
}

/// Whether `runtime` ships the npm package or top-level Python module `name`.
fn runtime_ships(runtime: &RuntimeInfo, language: Language, name: &str) -> bool {
    let (family, key) = match language {
        Language::JavaScript => ("node", "npm"),
        Language::Python => ("python", "python"),
    };
    runtime.family == family
        && runtime.provides.get(key).is_some_and(|names| {
            names.iter().any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => pattern == name,
            })
        })
}

/// The runtimes of the language that ship `name`, oldest first.
pub fn runtimes_shipping(
    language: Language,
    name: &str,
) -> impl Iterator<Item = &'static RuntimeInfo> + '_ {
    runtimes::all()
        .iter()
        .filter(move |r| runtime_ships(r, language, name))
}

/// Follows the handler's module-scope imports. `scanned` are files
/// already parsed (the function's own code), which are not read again.
pub fn init_load(
    artifact: &Artifact,
    handler: &str,
    platform: Platform,
    scanned: &[SourceFile],
) -> Option<InitLoad> {
    let mount = Mount::function(artifact);
    Some(InitWalker::new(&mount, handler, platform, scanned)?.load(&Edits::new()))
}

/// `@scope/name/lib/x.js` → `@scope/name`; `name/index.js` → `name`; a
/// relative or absolute path → None.
pub fn npm_package(spec: &str) -> Option<&str> {
    let mut slashes = spec.match_indices('/').map(|(i, _)| i);
    let end = if spec.starts_with('@') {
        slashes.nth(1)
    } else {
        slashes.next()
    };
    let name = &spec[..end.unwrap_or(spec.len())];
    (!name.is_empty() && !name.starts_with('.')).then_some(name)
}

/// Files parsed before the walk (the function's own), by path.
type Known<'a> = HashMap<&'a str, &'a SourceFile>;

/// Replacement import lists by entry index: the code as a fix would leave it.
pub type Edits = HashMap<usize, Vec<Import>>;

/// Walks the handler's init imports, as often as asked: once for the
/// package as it is, then once per fix with that fix's edits. The resolver,
/// its view of the artifact and every file parsed are kept between walks,
/// so a second walk only resolves.
pub struct InitWalker<'a> {
    mount: &'a Mount<'a>,
    platform: Platform<'a>,
    /// Paths of the mount's symlinks.
    symlinks: Vec<&'a str>,
    handler: String,
    /// The handler's module.
    pub entry: usize,
    /// Files a wrapper handler in a layer loads before the function's
    /// handler (its module, and a Python package's `__init__.py`).
    wrapper: Vec<usize>,
    pub language: Language,
    known: Known<'a>,
    resolver: Resolver<'a>,
    parsed: Mutex<HashMap<usize, Arc<[Import]>>>,
    /// What the modules scanned before the walk or parsed in it give
    /// their importers.
    exports: Mutex<HashMap<usize, Arc<ModuleExports>>>,
    /// What else those modules' scans say that init depends on, for the
    /// files where it says anything.
    facts: Mutex<HashMap<usize, ScanFacts>>,
    /// Syntax the runtime's Python lacks, in the files parsed here.
    too_new: Mutex<Vec<(usize, Vec<TooNew>)>>,
    /// Scans of earlier runs, and where this one's are kept.
    scan_cache: Option<ScanCache>,
    /// What Node imports resolved to, by loader, importing directory and
    /// specifier: the walks of one audit (the handler's, each fix's) and
    /// the files of one folder ask the same questions.
    node_resolved: Mutex<FxHashMap<String, NodeResolution>>,
    /// Resolutions of earlier runs, kept with the fingerprint of what they
    /// depend on ([`InitWalker::resolution_fingerprint`]).
    resolution_cache: Option<(ResolutionCache, u64)>,
    /// The function's environment as far as known: the branches of the
    /// code that test it are followed only where they may run.
    variables: Variables,
}

/// What one Node import resolved to, and the format of the file found.
type NodeResolution = (Followed, Option<NodeFormat>);

type ResolutionCache = ContentCache<NodeResolution>;

enum Resolver<'a> {
    Node(Box<NodeLoaders>),
    Python(PythonFinder<'a>),
}

/// Node's loaders over the mount's files. The file system they read is
/// built (every path listed, every package.json inflated) only when a
/// resolution is not kept from an earlier run: a rerun on the same files
/// resolves nothing.
struct NodeLoaders {
    /// require(), Node's ES module loader (a relative path names its
    /// file, extension and all) and the same adding extensions and
    /// directory indexes as require does: what an extensionless `import
    /// './db'` would have meant.
    options: [ResolveOptions; 3],
    /// The mount's symlinks and their targets, read up front: the
    /// options depend on whether there are any.
    links: FxHashMap<Box<[u8]>, String>,
    built: OnceLock<[ResolverGeneric<ArtifactFs>; 3]>,
}

impl NodeLoaders {
    /// require(), import, and import adding extensions, in that order.
    fn get(&self, mount: &Mount) -> &[ResolverGeneric<ArtifactFs>; 3] {
        self.built.get_or_init(|| {
            let mut files = ArtifactFs::build(mount);
            files.links = self.links.clone();
            let [require, import, import_loose] = &self.options;
            let require = ResolverGeneric::new_with_file_system(files, require.clone());
            let import = require.clone_with_options(import.clone());
            let import_loose = require.clone_with_options(import_loose.clone());
            [require, import, import_loose]
        })
    }
}

impl<'a> InitWalker<'a> {
    pub fn new(
        mount: &'a Mount<'a>,
        handler: &str,
        platform: Platform<'a>,
        scanned: &'a [SourceFile],
    ) -> Option<Self> {
        let (entry, language) = handler_entry(mount.function, handler)?;
        // the function's own files scanned before the walk, by number
        let scanned_files = || {
            scanned
                .iter()
                .filter_map(|s| Some((mount.function.find(&s.path)?, s)))
        };
        let resolver = match language {
            Language::JavaScript => {
                let links = ArtifactFs::read_links(mount);
                // NODE_PATH ends with the task root: require('lib/db') finds
                // /var/task/lib/db.js
                let mut node_path = node_layer_path(mount, platform.runtime);
                node_path.push(TASK_ROOT.to_string());
                // Node's ES module loader reads no NODE_PATH; Lambda's
                // from Node 18 does
                let esm_node_path = match platform.runtime {
                    Some(runtime) if !runtime.esm_node_path => Vec::new(),
                    _ => node_path.clone(),
                };
                // module-sync: Node 20.19+ and 22.12+ require() ES modules
                // through it; an older Node knows no such condition
                let module_sync = platform.runtime.is_none_or(|r| r.require_esm);
                let conditions = |kind: &'static str| match module_sync {
                    true => vec!["node", kind, "module-sync"],
                    false => vec!["node", kind],
                };
                // Node resolves from a module's real path: through links
                // only when the package has them
                let symlinks = !links.is_empty();
                let import = node_options(&conditions("import"), esm_node_path, symlinks);
                Resolver::Node(Box::new(NodeLoaders {
                    options: [
                        node_options(&conditions("require"), node_path, symlinks),
                        import.clone().with_fully_specified(true),
                        import,
                    ],
                    links,
                    built: OnceLock::new(),
                }))
            }
            Language::Python => {
                Resolver::Python(PythonFinder::new(mount, platform.python, platform.arm64))
            }
        };
        Some(InitWalker {
            mount,
            platform,
            // npm's command shims (node_modules/.bin/uuid) are no modules
            symlinks: mount
                .files()
                .filter(|(_, path, e)| e.kind == EntryKind::Symlink && !path.contains(".bin/"))
                .map(|(_, path, _)| path)
                .collect(),
            handler: handler.to_string(),
            entry,
            wrapper: Vec::new(),
            language,
            known: scanned.iter().map(|s| (s.path.as_str(), s)).collect(),
            resolver,
            parsed: Mutex::new(HashMap::new()),
            exports: Mutex::new(
                scanned_files()
                    .filter_map(|(file, s)| Some((file, Arc::new(s.exports.clone()?))))
                    .collect(),
            ),
            facts: Mutex::new(
                scanned_files()
                    .filter_map(|(file, s)| Some((file, ScanFacts::of(s)?)))
                    .collect(),
            ),
            too_new: Mutex::new(Vec::new()),
            scan_cache: None,
            node_resolved: Mutex::new(FxHashMap::default()),
            resolution_cache: None,
            variables: Variables::default(),
        })
    }

    /// Decides the tests of the environment the code makes with these
    /// variables (without, both branches of each are followed).
    ///
    /// What the handler's module assigns to `process.env` at its top level
    /// counts too, for everything init loads: Next.js's standalone server
    /// sets NODE_ENV before it requires Next.js (a module that requires
    /// first and assigns after is taken as if it had assigned first).
    pub fn with_variables(mut self, mut variables: Variables) -> Self {
        let entry = self.known.get(self.mount.path(self.entry));
        for assignment in entry.into_iter().flat_map(|s| &s.syntax.sets_env) {
            variables.assign(assignment);
        }
        self.variables = variables;
        self
    }

    pub fn variables(&self) -> &Variables {
        &self.variables
    }

    /// Takes the scans of files met before from the cache in `dir`, and
    /// Node's resolutions when nothing they depend on changed; keeps there
    /// those this walker makes ([`InitWalker::save_caches`]).
    pub fn with_cache(mut self, dir: &Path) -> Self {
        let mut artifacts = vec![self.mount.function.path.as_path()];
        artifacts.extend(self.mount.layers.iter().map(|l| l.path.as_path()));
        self.scan_cache = Some(super::scan_cache::open(
            dir,
            &artifacts,
            self.language,
            self.platform.runtime_python(),
        ));
        self.resolution_cache = self.resolution_fingerprint().map(|fingerprint| {
            let cache = ContentCache::open(dir, "resolve", &artifacts, ());
            (cache, fingerprint)
        });
        self
    }

    /// Hands what the walks parsed and resolved (thousands of small
    /// allocations) to a pool thread to free while the report is made,
    /// not in the audit's way; the walker asks again if used after.
    pub fn free_later(&mut self) {
        fn take<T: Default>(held: &mut Mutex<T>) -> T {
            std::mem::take(held.get_mut().unwrap_or_else(|e| e.into_inner()))
        }
        let parsed = take(&mut self.parsed);
        let exports = take(&mut self.exports);
        let facts = take(&mut self.facts);
        let resolved = take(&mut self.node_resolved);
        let loaders = match &mut self.resolver {
            Resolver::Node(loaders) => loaders.built.take(),
            Resolver::Python(_) => None,
        };
        rayon::spawn(move || drop((parsed, exports, facts, resolved, loaders)));
    }

    /// Writes the scans and resolutions this walker used or made to its
    /// cache, if any.
    pub fn save_caches(&self) {
        if let Some(cache) = &self.scan_cache {
            cache.save();
        }
        if let Some((cache, _)) = &self.resolution_cache {
            cache.save();
        }
    }

    /// What Node's resolution of any import depends on, hashed: the paths
    /// and kinds of the mount's files in order (their numbers are what a
    /// resolution gives), the contents of its package.json files and
    /// symlinks, the loaders' options and the runtime. A rebuilt function
    /// whose code changed but whose files are the same keeps it; one file
    /// added, removed or moved starts over. None for Python, and for a
    /// folder, whose contents have no checksum to know them by.
    fn resolution_fingerprint(&self) -> Option<u64> {
        let Resolver::Node(loaders) = &self.resolver else {
            return None;
        };
        let mut hasher = std::hash::DefaultHasher::new();
        for (id, path, entry) in self.mount.files() {
            (path, entry.kind as u8, entry.unsafe_name).hash(&mut hasher);
            if path == "package.json" || path.ends_with("/package.json") {
                self.mount.content_id(id)?.hash(&mut hasher);
            }
        }
        links_digest(&loaders.links).hash(&mut hasher);
        for options in &loaders.options {
            format!("{options:?}").hash(&mut hasher);
        }
        self.platform.runtime.map(|r| &r.id).hash(&mut hasher);
        Some(hasher.finish())
    }

    /// Also follows what a wrapper layer's handler (`datadog_lambda.handler.handler`,
    /// `/opt/nodejs/node_modules/…/handler.handler`) loads, when its module
    /// is in the mounted layers: the runtime imports it first, and it
    /// imports the function's handler.
    pub fn with_wrapper(mut self, handler: &str) -> Self {
        self.wrapper = match &self.resolver {
            Resolver::Python(finder) => {
                let module = handler.rsplit_once('.').map_or(handler, |(m, _)| m);
                finder.chain(module)
            }
            Resolver::Node(loaders) => {
                let [require, ..] = loaders.get(self.mount);
                let (dir, base) = handler.rsplit_once('/').unwrap_or(("", handler));
                let module = base.split('.').next().unwrap_or(base);
                ["js", "mjs", "cjs"]
                    .iter()
                    .find_map(|ext| self.mount.find(&format!("{dir}/{module}.{ext}")))
                    .or_else(|| {
                        // a name the task root lacks is required as a package,
                        // found on NODE_PATH (`newrelic-lambda-wrapper.handler`)
                        let resolved = require.resolve(Path::new(TASK_ROOT), module).ok()?;
                        self.mount.find(&resolved.path().to_string_lossy())
                    })
                    .into_iter()
                    .collect()
            }
        };
        // only a layer's: the function's own files are walked from its handler
        let own = self.mount.function.entries.len();
        self.wrapper
            .retain(|&file| file >= own && file != self.entry);
        self
    }

    /// The module-scope imports of one file: edited, scanned before, parsed
    /// in an earlier walk, kept from an earlier run, or read and parsed now.
    fn imports(&self, file: usize, edits: &Edits) -> Result<Arc<[Import]>, Warning> {
        if let Some(imports) = edits.get(&file) {
            return Ok(imports.as_slice().into());
        }
        let path = self.mount.path(file);
        if let Some(source) = self.known.get(path) {
            return Ok(source.imports.as_slice().into());
        }
        let cache = || self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(imports) = cache().get(&file) {
            return Ok(imports.clone());
        }
        let content = self.mount.content_id(file);
        let source = ScanCache::through(self.scan_cache.as_ref(), path, content, || {
            self.mount
                .read(file, DEFAULT_READ_LIMIT)
                .map_err(|e| Warning::at(path, format!("not followed at init: {e}")))
                .and_then(|bytes| {
                    scan_source_for(
                        path,
                        &crate::artifact::decode_text(&bytes),
                        self.language,
                        self.platform.runtime_python(),
                    )
                })
        })?;
        if let Some(facts) = ScanFacts::of(&source) {
            self.facts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(file, facts);
        }
        if !source.too_new.is_empty() {
            self.too_new
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((file, source.too_new));
        }
        if let Some(exports) = source.exports {
            self.exports
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(file, Arc::new(exports));
        }
        let imports: Arc<[Import]> = source.imports.into();
        cache().insert(file, imports.clone());
        Ok(imports)
    }

    /// Of the files a walk loaded, how many Node loads as ES modules, and
    /// the ES module imports that load a CommonJS file: the importing
    /// file, the import's index, the file loaded (sorted).
    fn node_formats(&self, found: &Found) -> (usize, Vec<(usize, usize, usize)>) {
        if self.language != Language::JavaScript {
            return (0, Vec::new());
        }
        let detects = self
            .platform
            .runtime
            .is_none_or(|r| r.module_syntax_detection);
        let facts = self.facts.lock().unwrap_or_else(|e| e.into_inner());
        let is_esm = |file: usize, format: &Option<NodeFormat>| match format {
            Some(NodeFormat::EsModule { .. }) => true,
            Some(NodeFormat::BySyntax) => detects && facts.get(&file).is_some_and(|f| f.esm),
            None => false,
        };
        let mut esm: HashSet<usize> = HashSet::new();
        if is_esm(self.entry, &self.entry_format()) {
            esm.insert(self.entry);
        }
        let mut commonjs = BTreeSet::new();
        for load in &found.node_loads {
            let javascript =
                language_of_loaded(self.mount.path(load.target)) == Some(Language::JavaScript);
            match load.esm_import {
                _ if is_esm(load.target, &load.format) => {
                    esm.insert(load.target);
                }
                Some(index) if javascript => {
                    commonjs.insert((load.file, index, load.target));
                }
                _ => {}
            }
        }
        (esm.len(), commonjs.into_iter().collect())
    }

    /// The format Node loads the handler's module in.
    fn entry_format(&self) -> Option<NodeFormat> {
        let Resolver::Node(_) = &self.resolver else {
            return None;
        };
        let path = self.mount.path(self.entry);
        let name = path.rsplit('/').next().unwrap_or(path);
        // as Node's ES module loader finds it from its own folder, asked
        // like any import: a resolution kept from an earlier run answers
        let itself = Import::plain(format!("./{name}"), ImportKind::Esm);
        match self.next_typed(self.entry, &itself, &Edits::new()) {
            (Followed::Files(_), Some(NodeFormat::EsModule { .. })) => {
                Some(NodeFormat::EsModule { manifest: None })
            }
            (Followed::Files(_), format) => format,
            _ => None,
        }
    }

    /// What a module a walk parsed (or the function's own) gives its
    /// importers.
    fn module_exports(&self, file: usize) -> Option<Arc<ModuleExports>> {
        self.exports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&file)
            .cloned()
    }

    /// Imports in the files init surely loads that take a name their
    /// module surely does not have. ES modules (`import {
    /// EnvironmentVariablesService } from '@aws-lambda-powertools/commons'`
    /// with a version of it that no longer exports it): Node refuses to link
    /// the importer, a SyntaxError before any code runs. Python (`from
    /// werkzeug.urls import url_quote` with Werkzeug 3): ImportError, unless
    /// the name is a submodule. CommonJS (`class X extends
    /// commons_1.EnvironmentVariablesService` after `const commons_1 =
    /// require(…)`): the name is undefined and its use at init throws.
    /// An ES module importing a CommonJS one can take only the names Node's
    /// static analysis of it finds (`import { get } from 'lodash'`, a UMD
    /// bundle: SyntaxError). Only the package's own modules are judged.
    pub fn missing_exports(&self, load: &InitLoad) -> Vec<MissingExport> {
        // each file's imports looked up side by side (thousands of module
        // names in a Python walk), in order: the names each takes, by the
        // module they come from, and what it sets on other modules
        // (`config.DEBUG = True` after `import config`), which they have
        // once it ran: never judged missing
        let parsed = self.surely_loaded_code(load);
        let per_file: Vec<_> = parsed
            .par_iter()
            .map(|(file, imports)| {
                let surely = |i: &&Import| !i.linked.is_empty() && i.surely_runs();
                let taken: Vec<(usize, Taking)> = (imports.iter().filter(surely))
                    .filter_map(|import| {
                        let (target, names) = self.taken_from(*file, import)?;
                        Some((target, (*file, import, names)))
                    })
                    .collect();
                let set: Vec<(usize, &str)> = (imports.iter())
                    .flat_map(|import| self.set_on(*file, import))
                    .collect();
                (taken, set)
            })
            .collect();
        let mut by_target: HashMap<usize, Vec<Taking>> = HashMap::new();
        let mut assigned: HashMap<usize, HashSet<&str>> = HashMap::new();
        for (taken, set) in per_file {
            for (target, taking) in taken {
                by_target.entry(target).or_default().push(taking);
            }
            for (target, name) in set {
                assigned.entry(target).or_default().insert(name);
            }
        }
        let by_target: Vec<(usize, Vec<Taking>)> = by_target.into_iter().collect();
        let per_target: Vec<Vec<MissingExport>> = by_target
            .into_par_iter()
            .map(|(target, importers)| self.missing_from(target, importers, assigned.get(&target)))
            .collect();
        let mut missing: Vec<MissingExport> = per_target.into_iter().flatten().collect();
        missing.sort_by(|a, b| (&a.path, a.line, &a.name).cmp(&(&b.path, b.line, &b.name)));
        missing
    }

    /// The names `importers` take from module `target` that it does not
    /// have, nor another module set on it.
    fn missing_from(
        &self,
        target: usize,
        importers: Vec<Taking>,
        set_elsewhere: Option<&HashSet<&str>>,
    ) -> Vec<MissingExport> {
        let Some(exports) = self.module_exports(target) else {
            return Vec::new();
        };
        let mut missing = Vec::new();
        for (file, import, names) in importers {
            let commonjs = import.kind == ImportKind::Require;
            // an ES module importing a CommonJS one takes what Node's
            // static analysis of it finds, whatever the module has
            let unseen = exports.commonjs && !commonjs;
            let has = |name: &str| match exports.commonjs {
                true => self.commonjs_gives(target, name, unseen, &mut HashSet::new()),
                false => exports.has(name),
            };
            missing.extend(
                names
                    .iter()
                    // every CommonJS module has a default export for an
                    // ES module import (its module.exports)
                    .filter(|name| name.name != "default" || !exports.commonjs)
                    .filter(|name| has(&name.name) == Some(false))
                    .filter(|name| {
                        set_elsewhere.is_none_or(|set| !set.contains(name.name.as_str()))
                    })
                    .map(|name| MissingExport {
                        file: self.mount.locate(file),
                        path: self.mount.path(file).to_string(),
                        line: name.line,
                        name: name.name.clone(),
                        module: import.module.clone(),
                        target: self.mount.path(target).to_string(),
                        target_file: self.mount.locate(target),
                        commonjs,
                        unseen,
                    }),
            );
        }
        missing
    }

    /// Where each name an import sets lands (Python): the module it
    /// imports, or for `sub.x` its submodule `sub`, when that is one; for
    /// a name set through the package a dotted `import a.b` binds, the
    /// package `a` or its submodule.
    fn set_on<'i>(&self, file: usize, import: &'i Import) -> Vec<(usize, &'i str)> {
        let Resolver::Python(finder) = &self.resolver else {
            return Vec::new();
        };
        let lands = |module: &str, target: usize, set: &'i Member| match set.name.rsplit_once('.') {
            None => Some((target, set.name.as_str())),
            Some((within, name)) => finder
                .module(&format!("{module}.{within}"))
                .map(|sub| (sub, name)),
        };
        let mut set_on = Vec::new();
        if !import.assigned.is_empty() {
            if let Some((module, target)) = self.python_module(file, import) {
                set_on.extend(
                    import
                        .assigned
                        .iter()
                        .filter_map(|set| lands(&module, target, set)),
                );
            }
        }
        // `import a.b` is absolute: its package is found from the top
        let package = import.module.split('.').next().unwrap_or_default();
        if !import.assigned_on_package.is_empty() {
            if let Some(target) = finder.module(package) {
                set_on.extend(
                    (import.assigned_on_package.iter())
                        .filter_map(|set| lands(package, target, set)),
                );
            }
        }
        set_on
    }

    /// The code files init surely loads (not JSON, native modules), each
    /// with its imports, in file order: what the walk parsed.
    fn surely_loaded_code(&self, load: &InitLoad) -> Vec<(usize, Arc<[Import]>)> {
        let mut loaded: Vec<usize> = load.surely_loaded.iter().copied().collect();
        loaded.sort_unstable();
        loaded
            .into_iter()
            .filter(|&file| language_of_loaded(self.mount.path(file)) == Some(self.language))
            .filter_map(|file| Some((file, self.imports(file, &Edits::new()).ok()?)))
            .collect()
    }

    /// The `require()` calls init surely makes of a file Node loads as an
    /// ES module: by its extension or package.json, or, for a `.js` that
    /// leaves it to the syntax, written as one (import/export).
    pub fn requires(&self, load: &InitLoad) -> Vec<Required> {
        let mut required = Vec::new();
        for (file, index, target, format) in &load.requires {
            let exports = self.module_exports(*target);
            if *format == NodeFormat::BySyntax && exports.as_ref().is_none_or(|e| e.commonjs) {
                continue;
            }
            let Ok(imports) = self.imports(*file, &Edits::new()) else {
                continue;
            };
            let Some(import) = imports.get(*index) else {
                continue;
            };
            // an ES module may name what require() gives: `export { x as
            // 'module.exports' }`
            let gives_value = exports.is_some_and(|e| e.has("module.exports") == Some(true));
            required.push(Required {
                file: self.mount.locate(*file),
                path: self.mount.path(*file).to_string(),
                line: import.line,
                module: import.module.clone(),
                target: self.mount.path(*target).to_string(),
                target_file: self.mount.locate(*target),
                format: format.clone(),
                invoked: import.invoked.clone().filter(|_| !gives_value),
                awaits: self
                    .awaiting_in_graph(*target)
                    .map(|(file, line)| (self.mount.path(file).to_string(), line)),
            });
        }
        required.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        required
    }

    /// The ES module imports init makes of CommonJS files, the runtime's
    /// packages' among them, sorted by file and line.
    pub fn commonjs_imports(&self, load: &InitLoad) -> Vec<CommonJsImport> {
        // the import at `index` in `file`, loading `target` of `bytes`
        let at = |file: usize, index: usize, target: String, target_file, bytes| {
            let imports = self.imports(file, &Edits::new()).ok()?;
            let import = imports.get(index)?;
            Some(CommonJsImport {
                file: self.mount.locate(file),
                path: self.mount.path(file).to_string(),
                line: import.line,
                module: import.module.clone(),
                target,
                target_file,
                bytes,
            })
        };
        let own = load
            .commonjs_imports
            .iter()
            .filter_map(|&(file, index, target)| {
                let path = self.mount.path(target).to_string();
                at(
                    file,
                    index,
                    path,
                    Some(self.mount.locate(target)),
                    self.mount.size(target),
                )
            });
        let packages = &crate::estimate::model().node.packages;
        let runtimes = load
            .runtime_esm_imports
            .iter()
            .filter_map(|(file, index, name)| {
                let bytes = packages.get(name)?.esm_entry_bytes;
                let target = format!("{name}'s entry in the runtime's /var/runtime/node_modules");
                at(*file, *index, target, None, bytes)
            })
            .filter(|i| i.bytes > 0);
        let mut found: Vec<CommonJsImport> = own.chain(runtimes).collect();
        found.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
        found
    }

    /// The namespaces (`import * as m`, `const m = await import()`) init
    /// calls, constructs or extends in the files it surely loads, sorted by
    /// file and line.
    pub fn namespace_calls(&self, load: &InitLoad) -> Vec<NamespaceCall> {
        let mut calls: Vec<NamespaceCall> = load
            .namespace_calls
            .iter()
            .filter_map(|&(file, index)| {
                let imports = self.imports(file, &Edits::new()).ok()?;
                let import = imports.get(index)?;
                Some(NamespaceCall {
                    file: self.mount.locate(file),
                    path: self.mount.path(file).to_string(),
                    module: import.module.clone(),
                    call: import.invoked.clone()?,
                    dynamic: import.kind == ImportKind::Dynamic,
                })
            })
            .collect();
        calls.sort_by(|a, b| (&a.path, a.call.line).cmp(&(&b.path, b.call.line)));
        calls
    }

    /// The first module of an ES module's static import graph (itself, what
    /// it imports and re-exports, in turn) that waits at its top level.
    fn awaiting_in_graph(&self, module: usize) -> Option<(usize, u32)> {
        let mut seen: HashSet<usize> = HashSet::from([module]);
        let mut stack = vec![module];
        while let Some(file) = stack.pop() {
            let line = self
                .facts
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&file)
                .and_then(|f| f.top_level_await);
            if let Some(line) = line {
                return Some((file, line));
            }
            let Ok(imports) = self.imports(file, &Edits::new()) else {
                continue;
            };
            let linked = imports
                .iter()
                .filter(|i| matches!(i.kind, ImportKind::Esm | ImportKind::ExportFrom));
            for import in linked {
                if let Followed::Files(targets) = self.next(file, import, &Edits::new()) {
                    stack.extend(targets.into_iter().filter(|t| seen.insert(*t)));
                }
            }
        }
        None
    }

    /// A Python import's module, named from the top, and its file.
    fn python_module(&self, file: usize, import: &Import) -> Option<(String, usize)> {
        let Resolver::Python(finder) = &self.resolver else {
            return None;
        };
        let module = finder.absolute(self.mount.path(file), &import.module)?;
        let target = finder.module(&module)?;
        Some((module, target))
    }

    /// The module file an import takes names from, and the names it must
    /// have: for Python, those that are no submodule of it (`from pkg
    /// import sub` imports pkg/sub.py), when the module is a source file
    /// Python loads (no compiled extension of the same name beside it).
    fn taken_from(&self, file: usize, import: &Import) -> Option<(usize, Vec<Member>)> {
        match &self.resolver {
            Resolver::Node { .. } => match self.next(file, import, &Edits::new()) {
                Followed::Files(targets) => Some((*targets.first()?, import.linked.clone())),
                _ => None,
            },
            Resolver::Python(finder) => {
                let (module, target) = self.python_module(file, import)?;
                let path = self.mount.path(target);
                let base = path.strip_suffix(".py")?;
                if finder.extension(base).is_some() {
                    return None;
                }
                let names = import
                    .linked
                    .iter()
                    // `*`, and what every module has (`__doc__`, `__file__`)
                    .filter(|name| {
                        name.name != "*"
                            && !(name.name.starts_with("__") && name.name.ends_with("__"))
                    })
                    .filter(|name| finder.module(&format!("{module}.{}", name.name)).is_none())
                    .filter(|name| !finder.is_namespace(&format!("{module}.{}", name.name)))
                    .cloned()
                    .collect();
                Some((target, names))
            }
        }
    }

    /// Python syntax the runtime lacks in the files the walks parsed (not
    /// the function's own code, scanned before): the packages' and the
    /// layers'.
    pub fn syntax_too_new(&self) -> Vec<(MountedFile, Vec<TooNew>)> {
        let mut found: Vec<(MountedFile, Vec<TooNew>)> = self
            .too_new
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(file, too_new)| (self.mount.locate(*file), too_new.clone()))
            .collect();
        found.sort_by_key(|(file, _)| *file);
        found
    }

    /// Whether a CommonJS module gives `name`: to `require`, or
    /// (`node_view`) to an ES module import, as far as Node's analysis of
    /// it sees; through its re-exports too. `None` when that cannot be
    /// told (a re-export found nowhere, or of another kind of module).
    fn commonjs_gives(
        &self,
        file: usize,
        name: &str,
        node_view: bool,
        seen: &mut HashSet<usize>,
    ) -> Option<bool> {
        if !seen.insert(file) {
            return Some(false);
        }
        let exports = self.module_exports(file).filter(|e| e.commonjs)?;
        let own = match node_view {
            true => exports
                .for_import
                .as_ref()
                .map(|names| names.contains(name)),
            false => exports.own(name),
        };
        if own != Some(false) {
            return own;
        }
        for module in &exports.reexports {
            let target = self.required_file(file, module)?;
            if self.commonjs_gives(target, name, node_view, seen)? {
                return Some(true);
            }
        }
        Some(false)
    }

    /// The file `module`, required from `file`, resolves to (its first).
    fn required_file(&self, file: usize, module: &str) -> Option<usize> {
        let import = Import::plain(module.to_string(), ImportKind::Require);
        match self.next(file, &import, &Edits::default()) {
            Followed::Files(files) | Followed::Unspecified(files) => files.first().copied(),
            _ => None,
        }
    }

    /// The function's file `module`, required from `file`, resolves to (its
    /// first), by entry index.
    pub fn resolve_file(&self, file: usize, module: &str) -> Option<usize> {
        self.required_file(file, module)
            .filter(|&f| f < self.mount.function.entries.len())
    }

    /// The imports at module scope of the function's loaded files that a
    /// test of the environment variable `name` chose, in these variables:
    /// the importing file, the import's line and the file it loads.
    pub fn chosen_by(&self, load: &InitLoad, name: &str) -> Vec<(usize, u32, usize)> {
        let mut chosen = Vec::new();
        for &file in &load.loaded {
            let Ok(imports) = self.imports(file, &Edits::new()) else {
                continue;
            };
            for import in imports.iter().filter(|i| !i.lazy) {
                if !import.when.iter().any(|test| test.reads(name))
                    || !self.variables.allow(&import.when)
                {
                    continue;
                }
                if let Some(target) = self.resolve_file(file, &import.module) {
                    chosen.push((file, import.line, target));
                }
            }
        }
        chosen
    }

    /// What one import loads.
    fn next(&self, file: usize, spec: &Import, edits: &Edits) -> Followed {
        self.next_typed(file, spec, edits).0
    }

    /// [`Self::next`], and for a JavaScript file found the format Node
    /// loads it in, as far as its extension and package.json tell (`None`:
    /// CommonJS, JSON or a native module).
    fn next_typed(
        &self,
        file: usize,
        spec: &Import,
        edits: &Edits,
    ) -> (Followed, Option<NodeFormat>) {
        let mount = self.mount;
        match &self.resolver {
            Resolver::Node(loaders) => {
                let esm = spec.kind.is_es_module_import();
                let path = mount.path(file);
                let question = format!(
                    "{}\0{}\0{}",
                    u8::from(esm),
                    path.rsplit_once('/').map_or("", |(dir, _)| dir),
                    spec.module
                );
                let lock = || self.node_resolved.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(known) = lock().get(&question) {
                    return known.clone();
                }
                // kept under the fingerprint of everything a resolution
                // reads, in place of a file's contents
                let cache = self.resolution_cache.as_ref();
                let kept = cache
                    .and_then(|(cache, fingerprint)| cache.get(&question, (0, *fingerprint)))
                    .filter(|(followed, _)| {
                        followed.files().iter().all(|&f| f < mount.file_count())
                    });
                let answer = kept.unwrap_or_else(|| {
                    let answer = self.resolve_node(path, spec, loaders.get(mount));
                    if let Some((cache, fingerprint)) = cache {
                        cache.add(&question, (0, *fingerprint), &answer);
                    }
                    answer
                });
                lock().insert(question, answer.clone());
                answer
            }
            Resolver::Python(finder) => (self.next_python(finder, file, spec, edits), None),
        }
    }

    /// What Node's loaders make of import `spec` in the file at `path`.
    fn resolve_node(
        &self,
        path: &str,
        spec: &Import,
        [require, import, import_loose]: &[ResolverGeneric<ArtifactFs>; 3],
    ) -> (Followed, Option<NodeFormat>) {
        let mount = self.mount;
        let root = Path::new(TASK_ROOT);
        let esm = spec.kind.is_es_module_import();
        let resolver = if esm { import } else { require };
        // a layer's path is absolute already
        let dir = root.join(path);
        let dir = dir.parent().unwrap_or(root);
        // a path as the function sees it: relative in its own
        // package, `/opt/...` in a layer
        let seen = |path: &Path| -> String {
            let path = path.to_string_lossy();
            match path.strip_prefix(TASK_ROOT) {
                Some(own) => own.trim_start_matches('/').to_string(),
                None => path.into_owned(),
            }
        };
        let in_artifact =
            |path: &Path| -> Vec<usize> { mount.find(&seen(path)).into_iter().collect() };
        let followed = match resolver.resolve(dir, &spec.module) {
            Ok(resolution) => {
                let format = match resolution.module_type() {
                    Some(ModuleType::Module) => Some(NodeFormat::EsModule {
                        // the package.json whose "type" says so
                        manifest: resolution
                            .package_json()
                            .filter(|_| resolution.path().extension().is_none_or(|e| e != "mjs"))
                            .map(|p| seen(p.path())),
                    }),
                    None if resolution.path().extension().is_some_and(|e| e == "js") => {
                        Some(NodeFormat::BySyntax)
                    }
                    _ => None,
                };
                return (Followed::Files(in_artifact(resolution.path())), format);
            }
            // `import './db'` for ./db.js: Node's ES module loader
            // does not look further, so the file is there but not found
            Err(ResolveError::NotFound(_))
                if esm && let Ok(loose) = import_loose.resolve(dir, &spec.module) =>
            {
                Followed::Unspecified(in_artifact(loose.path()))
            }
            Err(ResolveError::Builtin { resolved, .. }) => Followed::Runtime(vec![resolved
                .strip_prefix("node:")
                .unwrap_or(&resolved)
                .to_string()]),
            Err(ResolveError::NotFound(_)) => match npm_package(&spec.module) {
                Some(name) if self.platform.provides(Language::JavaScript, name) => {
                    Followed::Runtime(vec![name.to_string()])
                }
                _ => self.absent(&spec.module),
            },
            Err(error) => Followed::Unknown(Some(error.to_string())),
        };
        (followed, None)
    }

    /// Python's search for an import's module: its files, or what provides
    /// it.
    fn next_python(
        &self,
        finder: &PythonFinder,
        file: usize,
        spec: &Import,
        edits: &Edits,
    ) -> Followed {
        let mount = self.mount;
        let path = mount.path(file);
        let Some(module) = finder.absolute(path, &spec.module) else {
            return Followed::Files(Vec::new());
        };
        // an extension module built for another Python (or OS) is not
        // there for this one: the import fails (a `try` around it falls
        // back), as runtime/python-abi-mismatch (or
        // common/foreign-platform-binary) reports
        if finder.only_unloadable_extension(&module) {
            return Followed::Unknown(None);
        }
        let mut files = finder.chain(&module);
        // `pkg.gone` where the package pkg is there (a submodule a build
        // step pruned): ModuleNotFoundError after pkg's __init__ ran. Of a
        // plain module (six.py), a "submodule" is whatever it puts in
        // sys.modules (six.moves), which the walk cannot see.
        // (one file per dotted part: all found, the common case)
        let parts = module.split('.').filter(|p| !p.is_empty()).count();
        if !files.is_empty() && files.len() < parts {
            if let Some(missing) = finder.first_missing(&module) {
                return Followed::MissingSubmodule(files, missing);
            }
        }
        let from = spec.kind == ImportKind::PythonFrom;
        if files.is_empty() {
            let top = module.split('.').next().unwrap_or_default();
            let stdlib = crate::rules::stdlib::has(top, self.platform.runtime_python());
            if stdlib || self.platform.provides(Language::Python, top) {
                let mut names = vec![module.clone()];
                if from {
                    // of `from boto3.session import Session`, the
                    // members that are modules themselves
                    names.extend(
                        spec.members
                            .iter()
                            .map(|m| format!("{module}.{}", m.name))
                            .filter(|name| match stdlib {
                                true => crate::rules::stdlib::is_submodule(name),
                                false => crate::rules::runtimes::ships_python_submodule(name),
                            }),
                    );
                }
                return Followed::Runtime(names);
            }
            // a namespace package (a directory with no __init__.py)
            // imports, and loads nothing by itself
            if !finder.is_namespace(&module) {
                return self.absent(top);
            }
        }
        // `import numpy as np` then `np.fft` at module scope: what the
        // package's `__getattr__` imports for the name, on first use
        if spec.kind == ImportKind::PythonImport && !spec.members.is_empty() {
            if let Some(package) = finder.module(&module) {
                for member in &spec.members {
                    files.extend(self.lazy_attribute(finder, package, &member.name, edits));
                }
            }
        }
        // `from pkg import name`: name may be a submodule, or an
        // attribute the package's `__getattr__` imports on first use
        if from {
            let package = finder.module(&module);
            for member in &spec.members {
                let imported_by_package = |package: usize| {
                    self.package_imports(finder, file, package, &module, &member.name, edits)
                };
                match finder.module(&format!("{module}.{}", member.name)) {
                    Some(_) if package.is_some_and(imported_by_package) => {}
                    Some(submodule) => files.push(submodule),
                    None => files.extend(package.into_iter().flat_map(|package| {
                        self.lazy_attribute(finder, package, &member.name, edits)
                    })),
                }
            }
        }
        Followed::Files(files)
    }

    /// Whether the `__init__.py` of package `module` imports its own
    /// submodule `name` as it loads, and binds the name. `from module
    /// import name` outside the package then takes what the package bound,
    /// and the submodule loads (or fails) as the package's import of it,
    /// under that import's `try`: `try: from . import extra` / `except
    /// ImportError: extra = None` makes `from pkg import extra` give None,
    /// whatever extra.py needs.
    fn package_imports(
        &self,
        finder: &PythonFinder,
        importer: usize,
        package: usize,
        module: &str,
        name: &str,
        edits: &Edits,
    ) -> bool {
        let path = self.mount.path(package);
        let Some(directory) = path.strip_suffix("__init__.py") else {
            return false;
        };
        // a module of the package may run before its __init__.py bound
        // the name (the package imports it, or it imports the package)
        if self.mount.path(importer).starts_with(directory) {
            return false;
        }
        let Ok(imports) = self.imports(package, edits) else {
            return false;
        };
        let submodule = format!("{module}.{name}");
        let imports_it = imports.iter().filter(|i| !i.lazy).any(|i| {
            let Some(imported) = finder.absolute(path, &i.module) else {
                return false;
            };
            imported == submodule
                || (i.kind == ImportKind::PythonFrom
                    && imported == module
                    && i.members.iter().any(|m| m.name == name))
        });
        imports_it
            && self
                .module_exports(package)
                .is_some_and(|exports| exports.own(name) == Some(true))
    }

    /// The files the `__getattr__` of `package` (its `__init__.py`) loads
    /// for `name`, when its table names it; for `*`, all it names (`from
    /// numpy import *` reads each name of numpy's `__all__`, its lazily
    /// imported submodules too).
    fn lazy_attribute(
        &self,
        finder: &PythonFinder,
        package: usize,
        name: &str,
        edits: &Edits,
    ) -> Vec<usize> {
        // a package's source; a module or an extension has no submodules
        if !self.mount.path(package).ends_with("__init__.py") {
            return Vec::new();
        }
        let Ok(imports) = self.imports(package, edits) else {
            return Vec::new();
        };
        let mut seen = HashSet::new();
        imports
            .iter()
            .filter(|i| i.kind == ImportKind::PythonLazyAttribute)
            .filter(|i| name == "*" || i.members.iter().any(|m| m.name == name))
            .filter_map(|i| finder.absolute(self.mount.path(package), &i.module))
            .flat_map(|module| finder.chain(&module))
            .filter(|&file| seen.insert(file))
            .collect()
    }

    /// A module found nowhere: missing, unless a symlink has its name (one
    /// whose target the package lacks may point outside it, where the walk
    /// cannot look).
    fn absent(&self, module: &str) -> Followed {
        let wanted = module.rsplit('/').next().unwrap_or(module);
        let linked = self.symlinks.iter().any(|link| {
            link.split('/')
                .any(|part| part.split('.').next() == Some(wanted))
        });
        if linked {
            Followed::Unknown(None)
        } else {
            Followed::Unresolved
        }
    }

    /// What Node reads of the source map `link` of a loaded file: its
    /// map file found beside it in the mount (a URL pointing elsewhere,
    /// or at nothing, Node fails to read and skips).
    fn loaded_map(&self, file: usize, link: &MapLink) -> LoadedMap {
        let path = self.mount.path(file);
        let map = link
            .file
            .as_deref()
            .and_then(|url| source_map::relative_to(path, url))
            .and_then(|map| self.mount.find(&map));
        LoadedMap {
            file: path.to_string(),
            map: map.map(|m| self.mount.path(m).to_string()),
            inline_bytes: u64::from(link.inline_bytes),
            json_bytes: match map {
                Some(map) => self.mount.size(map),
                None => u64::from(link.inline_json_bytes),
            },
        }
    }

    /// One walk from `roots`, each file in its own task.
    fn walk(
        &self,
        roots: &[usize],
        edits: &Edits,
        variables: &Variables,
        failing: &HashSet<usize>,
        stop_at_missing: bool,
    ) -> Found {
        let walk = Walk {
            walker: self,
            edits,
            variables,
            failing,
            stop_at_missing,
            seen: Mutex::new(roots.iter().copied().collect()),
            called: Mutex::new(HashSet::new()),
            found: Mutex::new(Found::default()),
        };
        let shared = &walk;
        rayon::scope(|scope| {
            for &root in roots {
                scope.spawn(move |scope| visit(scope, shared, root));
            }
        });
        walk.found.into_inner().unwrap_or_else(|e| e.into_inner())
    }

    /// Follows imports from the handler's module, each file read and parsed
    /// in its own task as soon as something loads it. The result does not
    /// depend on the order tasks ran in: files are sorted (the handler's
    /// first), and so are unresolved imports and warnings.
    pub fn load(&self, edits: &Edits) -> InitLoad {
        self.load_in(edits, &self.variables)
    }

    /// [`InitWalker::load`] in another environment (NODE_ENV=production).
    pub fn load_in(&self, edits: &Edits, variables: &Variables) -> InitLoad {
        // a module missing that nothing catches stops its file there, as
        // Python's import and require() raise: what the file imports after
        // it never loads (pymongo's optional pyopenssl_context stops at
        // service_identity, before cryptography). Unless layers it cannot
        // read may have the module; and a function that fails so at init
        // is walked again past its missing modules, to report them all.
        let load = self.load_with(edits, variables, !self.platform.unknown_layers);
        match load.unresolved.is_empty() {
            true => load,
            false => self.load_with(edits, variables, false),
        }
    }

    fn load_with(&self, edits: &Edits, variables: &Variables, stop_at_missing: bool) -> InitLoad {
        let roots: Vec<usize> = std::iter::once(self.entry)
            .chain(self.wrapper.iter().copied())
            .collect();
        let mut found = self.walk(&roots, edits, variables, &HashSet::new(), stop_at_missing);
        // a module that fails fails the modules that import it, where
        // nothing catches it: walk again, stopping them there, until no
        // more fail (the tasks run in parallel, so a failure is known only
        // once the walk is done)
        let mut failing = failing_files(&found);
        while failing.len() > found.stopped.len() {
            found = self.walk(&roots, edits, variables, &failing, stop_at_missing);
            let more = failing_files(&found);
            if more.len() <= failing.len() {
                break;
            }
            failing = more;
        }
        let path = |i: &usize| self.mount.path(*i);
        let entry = self.entry;
        found
            .loaded
            .sort_by(|a, b| (*a != entry).cmp(&(*b != entry)).then(path(a).cmp(path(b))));
        let (es_modules, commonjs_imports) = self.node_formats(&found);
        // each CommonJS file once, however many ES modules import it
        let commonjs_imported_bytes = commonjs_imports
            .iter()
            .map(|&(_, _, target)| target)
            .collect::<HashSet<usize>>()
            .into_iter()
            .map(|target| self.mount.size(target))
            .sum();
        // files init loads whatever branch the code takes
        let mut sure_targets: HashMap<usize, Vec<usize>> = HashMap::new();
        for (from, to) in &found.sure_edges {
            sure_targets.entry(*from).or_default().push(*to);
        }
        let mut surely_loaded: HashSet<usize> = roots.iter().copied().collect();
        let mut stack = roots;
        while let Some(file) = stack.pop() {
            for &target in sure_targets.get(&file).into_iter().flatten() {
                if surely_loaded.insert(target) {
                    stack.push(target);
                }
            }
        }
        // module-alias and its kin make `require('@lib/db')` resolve through
        // aliases or extra paths registered at run time: with one loaded,
        // a package name found nowhere may still be found
        let aliased = self.language == Language::JavaScript
            && found.loaded.iter().any(|&i| {
                let path = self.mount.path(i);
                ALIAS_PACKAGES
                    .iter()
                    .any(|p| path.starts_with(&p[1..]) || path.contains(p))
            });
        let (sure, maybe): (Vec<_>, Vec<_>) =
            found.unresolved.into_iter().partition(|(file, u)| {
                surely_loaded.contains(file) && !(aliased && npm_package(&u.module).is_some())
            });
        found.guarded_absent += maybe.len();
        let in_order = |list: Vec<(usize, Unresolved)>| {
            let mut list: Vec<Unresolved> = list
                .into_iter()
                .filter(|(file, _)| surely_loaded.contains(file))
                .map(|(_, u)| u)
                .collect();
            list.sort_by(|a, b| (&a.path, a.line, &a.module).cmp(&(&b.path, b.line, &b.module)));
            list
        };
        let unresolved = in_order(sure);
        let unspecified = in_order(found.unspecified);
        found
            .warnings
            .sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
        let (classes, code_tokens, source_maps) = {
            let facts = self.facts.lock().unwrap_or_else(|e| e.into_inner());
            let loaded = || found.loaded.iter().filter_map(|file| facts.get(file));
            let maps = found
                .loaded
                .iter()
                .filter_map(|&file| Some((file, facts.get(&file)?.map.as_ref()?)))
                .map(|(file, link)| self.loaded_map(file, link))
                .collect();
            (
                loaded().map(|f| f.classes as usize).sum(),
                loaded().map(|f| u64::from(f.tokens)).sum(),
                maps,
            )
        };
        let (loaded, layer_loaded) = self.mount.split(&found.loaded);
        InitLoad {
            handler: self.handler.clone(),
            language: self.language,
            loaded,
            layer_loaded,
            classes,
            code_tokens,
            source_maps,
            es_modules,
            commonjs_imported_bytes,
            commonjs_imports,
            runtime_esm_imports: found.runtime_esm_imports,
            unresolved,
            unspecified,
            lazy_imports: found.lazy_imports.saturating_sub(found.called_lazy),
            guarded_absent: found.guarded_absent,
            runtime_modules: found.runtime_modules.into_iter().collect(),
            warnings: found.warnings,
            requires: found
                .requires
                .into_iter()
                .filter(|(file, ..)| surely_loaded.contains(file))
                .collect(),
            namespace_calls: found
                .namespace_calls
                .into_iter()
                .filter(|(file, _)| surely_loaded.contains(file))
                .collect(),
            surely_loaded,
        }
    }
}

/// What following one import gives: the files it loads, or that it
/// resolves to nothing in the artifact.
#[derive(Clone)]
enum Followed {
    Files(Vec<usize>),
    Unresolved,
    /// Found nowhere, but it may exist at run time: a symlink of that name
    /// (not followed), or a package whose resolution fails for another
    /// reason than absence (the reason).
    Unknown(Option<String>),
    /// Provided by the runtime, by these names.
    Runtime(Vec<String>),
    /// An ES module import found only by adding what Node's ES module
    /// loader never adds (an extension, `/index.js`): these files.
    Unspecified(Vec<usize>),
    /// A Python module (by its dotted name) missing from a package that is
    /// there: the packages above it load (these files), then the import
    /// fails.
    MissingSubmodule(Vec<usize>, String),
}

impl Followed {
    /// The files it loads.
    fn files(&self) -> &[usize] {
        match self {
            Followed::Files(files)
            | Followed::Unspecified(files)
            | Followed::MissingSubmodule(files, _) => files,
            _ => &[],
        }
    }
}

/// File numbers as the cache keeps them.
fn put_files(files: &[usize], out: &mut Writer) {
    let files: Vec<u64> = files.iter().map(|&f| f as u64).collect();
    files.put(out);
}

fn take_files(input: &mut Reader) -> Option<Vec<usize>> {
    Vec::<u64>::take(input)?
        .into_iter()
        .map(|f| usize::try_from(f).ok())
        .collect()
}

impl Codec for Followed {
    fn put(&self, out: &mut Writer) {
        match self {
            Followed::Files(files) => {
                out.0.push(0);
                put_files(files, out);
            }
            Followed::Unresolved => out.0.push(1),
            Followed::Unknown(why) => {
                out.0.push(2);
                why.put(out);
            }
            Followed::Runtime(names) => {
                out.0.push(3);
                names.put(out);
            }
            Followed::Unspecified(files) => {
                out.0.push(4);
                put_files(files, out);
            }
            Followed::MissingSubmodule(files, module) => {
                out.0.push(5);
                put_files(files, out);
                module.put(out);
            }
        }
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(match input.byte()? {
            0 => Followed::Files(take_files(input)?),
            1 => Followed::Unresolved,
            2 => Followed::Unknown(Codec::take(input)?),
            3 => Followed::Runtime(Codec::take(input)?),
            4 => Followed::Unspecified(take_files(input)?),
            5 => Followed::MissingSubmodule(take_files(input)?, Codec::take(input)?),
            _ => return None,
        })
    }
}

impl Codec for NodeFormat {
    fn put(&self, out: &mut Writer) {
        match self {
            NodeFormat::EsModule { manifest } => {
                out.0.push(0);
                manifest.put(out);
            }
            NodeFormat::BySyntax => out.0.push(1),
        }
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(match input.byte()? {
            0 => NodeFormat::EsModule {
                manifest: Codec::take(input)?,
            },
            1 => NodeFormat::BySyntax,
            _ => return None,
        })
    }
}

/// What a module's scan says that init depends on, beside its imports and
/// exports.
struct ScanFacts {
    /// The line where it waits at its top level (an ES module).
    top_level_await: Option<u32>,
    /// The classes it defines as it runs (Python).
    classes: u32,
    /// Written as an ES module (`import`/`export`): how Node 20.19 and
    /// 22.7 load a `.js` no package.json gives a `"type"`.
    esm: bool,
    /// JavaScript tokens (the model's measure of code).
    tokens: u32,
    /// The source map its last comment names.
    map: Option<MapLink>,
}

impl ScanFacts {
    /// `None` when the scan says none of it.
    fn of(source: &SourceFile) -> Option<ScanFacts> {
        let facts = ScanFacts {
            top_level_await: source.syntax.top_level_await,
            classes: source.classes,
            esm: source.syntax.esm.is_some(),
            tokens: source.tokens,
            map: source.source_map.clone(),
        };
        (facts.top_level_await.is_some()
            || facts.classes > 0
            || facts.esm
            || facts.tokens > 0
            || facts.map.is_some())
        .then_some(facts)
    }
}

/// A file a Node import loads: the importing file, the import's index
/// when it is an ES module import (`import`, `export … from`, `import()`),
/// the file loaded and its format.
struct NodeLoad {
    file: usize,
    esm_import: Option<usize>,
    target: usize,
    format: Option<NodeFormat>,
}

/// Everything the tasks of one walk share.
struct Walk<'w, 'a> {
    walker: &'w InitWalker<'a>,
    edits: &'w Edits,
    variables: &'w Variables,
    /// Files known to fail at init: an import of one stops its importer.
    failing: &'w HashSet<usize>,
    /// Whether a module missing that nothing catches stops its file.
    stop_at_missing: bool,
    seen: Mutex<HashSet<usize>>,
    /// Functions of loaded files that init calls, followed.
    called: Mutex<HashSet<(usize, String)>>,
    found: Mutex<Found>,
}

#[derive(Default)]
struct Found {
    loaded: Vec<usize>,
    /// Imports init surely runs, when their file is surely loaded: from
    /// file to file.
    sure_edges: Vec<(usize, usize)>,
    /// Imports that surely run in their file, found nowhere: the file,
    /// and where they are.
    unresolved: Vec<(usize, Unresolved)>,
    /// ES module imports that surely run in their file and name a file
    /// without its extension (or a directory): the file, and where.
    unspecified: Vec<(usize, Unresolved)>,
    lazy_imports: usize,
    /// Of those, imports in functions that module-scope code calls.
    called_lazy: usize,
    guarded_absent: usize,
    runtime_modules: BTreeSet<String>,
    warnings: Vec<Warning>,
    /// Files whose init stops at an import that fails.
    stopped: Vec<usize>,
    /// `require()` calls that surely run in their file, of a file Node may
    /// load as an ES module: the file, the import's index, the file loaded
    /// and how.
    requires: Vec<(usize, usize, usize, NodeFormat)>,
    /// Namespaces the file calls at init: the file, the import's index.
    namespace_calls: Vec<(usize, usize)>,
    /// Node: what each import loaded, and in which format.
    node_loads: Vec<NodeLoad>,
    /// Node: the runtime's packages an ES module import loads: the file,
    /// the import's index, the package.
    runtime_esm_imports: Vec<(usize, usize, String)>,
    /// Imports nothing catches, by file: the files each loads. A file one
    /// of them loads that fails makes the importing file fail.
    steps: Vec<(usize, Vec<usize>)>,
}

/// The files whose init fails: those that stopped at a missing import, and
/// those that import one of them where nothing catches it, in turn.
fn failing_files(found: &Found) -> HashSet<usize> {
    let mut failing: HashSet<usize> = found.stopped.iter().copied().collect();
    loop {
        let before = failing.len();
        for (file, targets) in &found.steps {
            if !failing.contains(file) && targets.iter().any(|t| failing.contains(t)) {
                failing.insert(*file);
            }
        }
        if failing.len() == before {
            return failing;
        }
    }
}

fn visit<'s>(scope: &rayon::Scope<'s>, walk: &'s Walk<'s, '_>, file: usize) {
    let lock = |m: &'s Mutex<Found>| m.lock().unwrap_or_else(|e| e.into_inner());
    lock(&walk.found).loaded.push(file);
    let walker = walk.walker;
    let path = walker.mount.path(file);
    // an extension module compiled from the .py beside it (mypyc, Cython:
    // tomli's __init__) imports what that source imports
    // (the extension stays the importer: it is what init loads)
    let source = match walker.language {
        Language::Python if path.ends_with(".so") => compiled_from(walker.mount, path),
        _ => None,
    };
    // JSON, native modules: loaded, but they import nothing
    if source.is_none() && language_of_loaded(path) != Some(walker.language) {
        return;
    }
    let imports = match walker.imports(source.unwrap_or(file), walk.edits) {
        Ok(imports) => imports,
        Err(warning) => {
            lock(&walk.found).warnings.push(warning);
            return;
        }
    };
    // Cython's `import cython` is for its compiler: compiled, the module
    // imports nothing for it (nor the fallback beside it)
    let imports: Arc<[Import]> = match source {
        Some(_) if imports.iter().any(|i| is_cython_directive(&i.module)) => imports
            .iter()
            .filter(|i| !is_cython_directive(&i.module))
            .cloned()
            .collect(),
        _ => imports,
    };
    follow_imports(scope, walk, file, &imports);
}

/// `cython` or `cython.cimports…`: what Cython's pure-Python mode imports
/// for its compiler.
fn is_cython_directive(module: &str) -> bool {
    module == "cython" || module.starts_with("cython.")
}

/// The source an extension module at `path` was compiled from: the `.py`
/// of its module's name beside it.
fn compiled_from(mount: &Mount, path: &str) -> Option<usize> {
    let (module, _) = super::split_extension_suffix(path)?;
    mount.find(&format!("{module}.py"))
}

/// The imports in the bodies of `names`, functions of `file` that another
/// module's code calls at init, followed as imports `file` makes at init;
/// and, Python, the calls those functions make of what `file` imports
/// (a constructor calling another module's class), and the names `file`
/// only takes from another module (`Client` in a package's `__init__`),
/// followed into those modules. What a Python function does under a
/// condition (a constructor's `if proxy:`), which the arguments of a call
/// mostly decide, is left: it runs for some callers.
fn visit_called<'s>(
    scope: &rayon::Scope<'s>,
    walk: &'s Walk<'s, '_>,
    file: usize,
    names: Vec<String>,
) {
    let Ok(imports) = walk.walker.imports(file, walk.edits) else {
        return;
    };
    let runs = |functions: &[String]| functions.iter().any(|f| names.contains(f));
    let python = walk.walker.language == Language::Python;
    let run: Vec<Import> = imports
        .iter()
        .filter(|i| i.lazy && !(python && i.conditional) && runs(&i.functions))
        .map(|i| Import {
            lazy: false,
            ..i.clone()
        })
        .collect();
    for import in imports.iter() {
        let calls: Vec<&Member> = (import.calls_in.iter())
            .filter(|(functions, _)| runs(functions))
            .map(|(_, call)| call)
            .collect();
        if !calls.is_empty() {
            call_through(scope, walk, file, import, calls);
        }
    }
    if python {
        let attributes = reexported_calls(scope, walk, file, &imports, &names);
        if !attributes.is_empty() {
            follow_imports(scope, walk, file, &attributes);
        }
    }
    if run.is_empty() {
        return;
    }
    // the visit of `file` counted them as lazy
    walk.found
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .called_lazy += run.len();
    follow_imports(scope, walk, file, &run);
}

/// The calls of `names` that `file`, a Python module, neither defines
/// nor runs anything for, but takes from another module (`from ._client
/// import Client`, or `*`): made in that module. A name the module's
/// `__getattr__` imports on first use (stripe's `StripeClient`) is
/// imported then: those imports, for the walk to follow.
fn reexported_calls<'s>(
    scope: &rayon::Scope<'s>,
    walk: &'s Walk<'s, '_>,
    file: usize,
    imports: &[Import],
    names: &[String],
) -> Vec<Import> {
    let mut attributes = Vec::new();
    let own = |name: &str| {
        imports.iter().any(|i| {
            i.functions.iter().any(|f| f == name)
                || (i.calls_in.iter()).any(|(functions, _)| functions.iter().any(|f| f == name))
        })
    };
    let froms = || {
        (imports.iter()).filter(|i| {
            (!i.lazy && i.kind == ImportKind::PythonFrom)
                || i.kind == ImportKind::PythonLazyAttribute
        })
    };
    for name in names.iter().filter(|name| !own(name)) {
        // `Client.send` is taken with `Client`
        let taken = name.split('.').next().unwrap_or(name);
        let call = Member {
            name: name.clone(),
            line: 0,
        };
        let named = |i: &&Import| i.members.iter().any(|m| m.name == taken);
        let mut explicit = froms().filter(named).peekable();
        if explicit.peek().is_some() {
            for import in explicit {
                if import.kind == ImportKind::PythonLazyAttribute {
                    attributes.push(Import {
                        lazy: false,
                        ..import.clone()
                    });
                }
                call_through(scope, walk, file, import, vec![&call]);
            }
            continue;
        }
        // `from ._client import *`: into the modules that have the name
        for import in froms().filter(|i| i.members.iter().any(|m| m.name == "*")) {
            let (followed, _) = walk.walker.next_typed(file, import, walk.edits);
            let targets: Vec<usize> = (called_modules(walk.walker, followed.files()).into_iter())
                .filter(|&target| {
                    let exports = walk.walker.module_exports(target);
                    exports.is_none_or(|exports| exports.has(taken) != Some(false))
                })
                .collect();
            call_into(scope, walk, &targets, vec![&call]);
        }
    }
    attributes
}

/// Of the files an import loads, those its calls can be made in: for a
/// Python import, not the packages above the module it imports, which
/// load first (`from .lib.credentials._auth import f` runs f in
/// `_auth.py`, not in `lib/__init__.py`).
fn called_modules(walker: &InitWalker, targets: &[usize]) -> Vec<usize> {
    if walker.language != Language::Python {
        return targets.to_vec();
    }
    let above = |target: usize| {
        let Some(package) = walker.mount.path(target).strip_suffix("__init__.py") else {
            return false;
        };
        (targets.iter())
            .any(|&other| other != target && walker.mount.path(other).starts_with(package))
    };
    targets.iter().copied().filter(|&t| !above(t)).collect()
}

/// Follows `calls`, made in `file` of what `import` binds, into the files
/// the import loads.
fn call_through<'s>(
    scope: &rayon::Scope<'s>,
    walk: &'s Walk<'s, '_>,
    file: usize,
    import: &Import,
    calls: Vec<&Member>,
) {
    let (followed, _) = walk.walker.next_typed(file, import, walk.edits);
    let targets = called_modules(walk.walker, followed.files());
    call_into(scope, walk, &targets, calls);
}

/// Follows calls (by the names they have there) into the modules an
/// import loads: each function's body runs.
fn call_into<'s>(
    scope: &rayon::Scope<'s>,
    walk: &'s Walk<'s, '_>,
    targets: &[usize],
    calls: Vec<&Member>,
) {
    let walker = walk.walker;
    for &target in targets {
        let path = walker.mount.path(target);
        if language_of_loaded(path) != Some(walker.language) {
            continue;
        }
        let new: Vec<String> = {
            let mut seen = walk.called.lock().unwrap_or_else(|e| e.into_inner());
            calls
                .iter()
                .filter_map(|c| function_called_in(walker.language, path, &c.name))
                .filter(|name| seen.insert((target, name.to_string())))
                .map(str::to_string)
                .collect()
        };
        if !new.is_empty() {
            scope.spawn(move |scope| visit_called(scope, walk, target, new));
        }
    }
}

/// Follows a file's imports: those that run at init, and the fallbacks
/// of the `try` blocks whose imports all failed.
fn follow_imports<'s>(
    scope: &rayon::Scope<'s>,
    walk: &'s Walk<'s, '_>,
    file: usize,
    imports: &[Import],
) {
    let lock = |m: &'s Mutex<Found>| m.lock().unwrap_or_else(|e| e.into_inner());
    let walker = walk.walker;
    let path = walker.mount.path(file);
    let mut lazy = 0;
    let mut absent = 0;
    let mut unresolved = Vec::new();
    let mut unspecified = Vec::new();
    let mut sure_edges = Vec::new();
    let mut warnings = Vec::new();
    let mut runtime = Vec::new();
    // per `try` block (by id): whether any of its imports was found. One
    // whose imports are all missing fails, and its handler's imports run
    // at init instead; one that found any did not (a platform switch finds
    // the build for Lambda's platform, however many others it lists).
    let mut tries: HashMap<u32, bool> = HashMap::new();
    // per `try`, whether one of the imports it guards is missing: its
    // `else:` block never runs
    let mut raised: HashMap<u32, bool> = HashMap::new();
    // whether the import found its module, the files it loads, for a
    // require() the format Node loads them in, and whether it surely fails
    // (a module missing, and nothing catches it): the file stops there
    let mut follow = |import: &Import| -> (bool, Vec<usize>, Option<NodeFormat>, bool) {
        // a `try` that raises again guards nothing: the module fails
        let sure = (import.guarded_by.is_none() || import.stops_module) && !import.conditional;
        let here = || Unresolved {
            path: path.to_string(),
            line: import.line,
            module: import.module.clone(),
            submodule: None,
        };
        let (followed, format) = walker.next_typed(file, import, walk.edits);
        // the packages above a missing submodule load, then the import fails
        let mut failed = false;
        let followed = match followed {
            // loaded by the walk, and reported: Node's loader stops there
            Followed::Unspecified(targets) => {
                if sure {
                    unspecified.push((file, here()));
                }
                Followed::Files(targets)
            }
            Followed::MissingSubmodule(targets, module) => {
                match sure {
                    true => unresolved.push((
                        file,
                        Unresolved {
                            submodule: Some(module),
                            ..here()
                        },
                    )),
                    false => absent += 1,
                }
                failed = true;
                Followed::Files(targets)
            }
            followed => followed,
        };
        match followed {
            Followed::Files(targets)
            | Followed::Unspecified(targets)
            | Followed::MissingSubmodule(targets, _) => {
                for &target in &targets {
                    if sure {
                        sure_edges.push((file, target));
                    }
                    let new = walk
                        .seen
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(target);
                    if new {
                        scope.spawn(move |scope| visit(scope, walk, target));
                    }
                }
                let fails = failed && sure && walk.stop_at_missing;
                (!failed, targets, format, fails)
            }
            // one of several builds tried in turn, or a branch that may not
            // run: no sure failure
            Followed::Unresolved if !sure => {
                absent += 1;
                (false, Vec::new(), None, false)
            }
            Followed::Unknown(why) => {
                absent += 1;
                if let Some(why) = why {
                    warnings.push(Warning::at(
                        path,
                        format!(
                            "line {}: `{}` not followed at init: {why}",
                            import.line, import.module
                        ),
                    ));
                }
                (false, Vec::new(), None, false)
            }
            Followed::Unresolved => {
                unresolved.push((file, here()));
                (false, Vec::new(), None, walk.stop_at_missing)
            }
            // Node's built-ins, Python's standard library
            Followed::Runtime(names) => {
                runtime.extend(names);
                (true, Vec::new(), None, false)
            }
        }
    };
    let mut steps = Vec::new();
    let mut stopped = false;
    let mut requires = Vec::new();
    let mut namespace_calls = Vec::new();
    // functions of the modules imported that this file's module scope calls
    let mut called: Vec<(Vec<usize>, &[Member])> = Vec::new();
    // Node: each file an import loads, the import's index when an ES
    // module import (`import`, `export … from`, `import()`) loads it, and
    // the file's format
    let mut node_loads = Vec::new();
    let mut record =
        |index: usize, import: &Import, targets: &[usize], format: &Option<NodeFormat>| {
            if walker.language != Language::JavaScript {
                return;
            }
            let by_esm_import = import.kind.is_es_module_import();
            for &target in targets {
                node_loads.push(NodeLoad {
                    file,
                    esm_import: by_esm_import.then_some(index),
                    target,
                    format: format.clone(),
                });
            }
        };
    let mut runtime_esm_imports = Vec::new();
    // a branch the function's environment never takes loads nothing
    let runs = |import: &&Import| walk.variables.allow(&import.when);
    for (index, import) in (imports.iter().enumerate()).filter(|(_, i)| !i.lazy && runs(i)) {
        if import
            .after_try
            .is_some_and(|id| raised.get(&id) == Some(&true))
        {
            continue;
        }
        let (found, targets, format, fails) = follow(import);
        record(index, import, &targets, &format);
        // found, with no file: the runtime provides it (a built-in, or
        // its AWS SDK)
        let esm_import = import.kind.is_es_module_import();
        if found && targets.is_empty() && esm_import {
            if let Some(name) = npm_package(&import.module)
                .filter(|name| walker.platform.provides(Language::JavaScript, name))
            {
                runtime_esm_imports.push((file, index, name.to_string()));
            }
        }
        if !import.calls.is_empty() && !targets.is_empty() {
            called.push((targets.clone(), &import.calls));
        }
        if let (Some(format), Some(&target)) = (format, targets.first()) {
            if import.kind == ImportKind::Require && import.surely_runs() {
                requires.push((file, index, target, format));
            }
        }
        // a module found (a built-in's too) links, and its namespace is
        // called; one not found is reported as missing
        let namespace = matches!(import.kind, ImportKind::Esm | ImportKind::Dynamic);
        if found && namespace && import.invoked.is_some() {
            namespace_calls.push((file, index));
        }
        if let Some(id) = import.guarded_by {
            *tries.entry(id).or_default() |= found;
            *raised.entry(id).or_default() |= !found;
        }
        // `except ImportError: raise …`: the rest of the module never runs;
        // nor after a module missing that nothing catches (Python's import
        // and require() raise there; an ES module's imports all link first)
        if (import.stops_module && !import.conditional && !found)
            || (fails && !import.kind.is_es_module_import())
        {
            stopped = true;
            break;
        }
        // an import nothing catches of a module that fails fails this one
        // too, there: Python's import statement and require raise what the
        // module raised (ES modules are linked, all of them, before any runs)
        let raises = import.guarded_by.is_none()
            && !import.conditional
            && !import.kind.is_es_module_import();
        // the packages the file is in are being imported while it runs:
        // importing them again gives the module as far as it got
        let enclosing = |target: usize| {
            target == file
                || walker
                    .mount
                    .path(target)
                    .strip_suffix("__init__.py")
                    .is_some_and(|package| path.starts_with(package))
        };
        if !raises {
            continue;
        }
        let targets: Vec<usize> = targets.into_iter().filter(|&t| !enclosing(t)).collect();
        if targets.iter().any(|t| walk.failing.contains(t)) {
            stopped = true;
            break;
        }
        if !targets.is_empty() {
            steps.push(targets);
        }
    }
    for (targets, calls) in called {
        let targets = called_modules(walker, &targets);
        call_into(scope, walk, &targets, calls.iter().collect());
    }
    for (index, import) in (imports.iter().enumerate()).filter(|(_, i)| i.lazy && runs(i)) {
        match import.fallback_for {
            Some(id) if tries.get(&id) == Some(&false) => {
                let (found, targets, format, _) = follow(import);
                record(index, import, &targets, &format);
                // a fallback tried in a `try` of its own falls back in turn:
                // bs4's cchardet, else chardet, else charset_normalizer
                if let Some(guard) = import.guarded_by {
                    *tries.entry(guard).or_default() |= found;
                }
            }
            // a package's table of attributes it imports on first use is
            // no import the code makes: `from package import name` follows it
            _ if import.kind == ImportKind::PythonLazyAttribute => {}
            _ => lazy += 1,
        }
    }
    let mut found = lock(&walk.found);
    if stopped {
        found.stopped.push(file);
    }
    found
        .steps
        .extend(steps.into_iter().map(|targets| (file, targets)));
    found.lazy_imports += lazy;
    found.guarded_absent += absent;
    found.unresolved.extend(unresolved);
    found.unspecified.extend(unspecified);
    found.sure_edges.extend(sure_edges);
    found.requires.extend(requires);
    found.namespace_calls.extend(namespace_calls);
    found.node_loads.extend(node_loads);
    found.runtime_esm_imports.extend(runtime_esm_imports);
    found.warnings.extend(warnings);
    found.runtime_modules.extend(runtime);
}

/// The function a call names in the file `path`, one of its import's
/// targets: the name itself (a method's too, `Client._init_transport`),
/// or for a Python call through an imported submodule
/// (`postgres.register_default_adapters` after `from . import postgres,
/// other`) the function, in that submodule.
fn function_called_in<'n>(language: Language, path: &str, name: &'n str) -> Option<&'n str> {
    if language != Language::Python {
        return Some(name);
    }
    let Some((submodule, function)) = name.split_once('.') else {
        return Some(name);
    };
    let module = path.strip_suffix(".py")?;
    let module = module.strip_suffix("/__init__").unwrap_or(module);
    match module.rsplit('/').next() == Some(submodule) {
        true => Some(function),
        // a method, `Client._init_transport`
        false => Some(name),
    }
}

fn language_of_loaded(path: &str) -> Option<Language> {
    if path.ends_with(".py") {
        Some(Language::Python)
    } else if [".js", ".mjs", ".cjs"]
        .iter()
        .any(|ext| path.ends_with(ext))
    {
        Some(Language::JavaScript)
    } else {
        None
    }
}

/// The mount as a read-only file system: the function's listing under
/// /var/task, the layers' under /opt, with the package.json files read up
/// front (the resolver reads nothing else).
/// Paths are keyed by their bytes: hashing a `Path` walks its components,
/// and the resolver asks about thousands of candidates.
#[derive(Default)]
struct ArtifactFs {
    files: PathSet,
    dirs: PathSet,
    manifests: FxHashMap<Box<[u8]>, String>,
    /// Symlinks by absolute path, to their target as stored (pnpm's
    /// `node_modules/express -> .pnpm/express@4.21.2/node_modules/express`).
    links: FxHashMap<Box<[u8]>, String>,
}

/// Absolute paths, as bytes.
type PathSet = FxHashSet<Box<[u8]>>;

/// A listed path as the function sees it (under the task root, or a
/// layer's under /opt), as a key of the sets and maps: allocated once, at
/// its size.
fn absolute_key(path: &str) -> Box<[u8]> {
    let in_layer = path.starts_with(LAYER_ROOT);
    let path = path.trim_end_matches('/');
    let prefix = if in_layer { 0 } else { TASK_ROOT.len() + 1 };
    let mut key = Vec::with_capacity(prefix + path.len());
    if !in_layer {
        key.extend_from_slice(TASK_ROOT.as_bytes());
        key.push(b'/');
    }
    key.extend_from_slice(path.as_bytes());
    key.into_boxed_slice()
}

/// The links and their targets, hashed in path order.
fn links_digest(links: &FxHashMap<Box<[u8]>, String>) -> u64 {
    let mut links: Vec<_> = links.iter().collect();
    links.sort_unstable();
    let mut hasher = std::hash::DefaultHasher::new();
    links.hash(&mut hasher);
    hasher.finish()
}

/// How many links one path may pass through before it counts as a loop.
const MAX_LINKS: usize = 40;

fn key(path: &Path) -> &[u8] {
    path.as_os_str().as_encoded_bytes()
}

impl ArtifactFs {
    fn build(mount: &Mount) -> Self {
        // the package.json files inflate beside the walk over the paths
        let ((files, dirs), manifests) =
            rayon::join(|| Self::paths(mount), || Self::manifests(mount));
        ArtifactFs {
            files,
            dirs,
            manifests,
            links: FxHashMap::default(),
        }
    }

    /// Every file, and every directory listed or above a listed path.
    fn paths(mount: &Mount) -> (PathSet, PathSet) {
        let mut files = FxHashSet::default();
        let mut dirs = FxHashSet::default();
        for dir in ["/", "/var", TASK_ROOT] {
            dirs.insert(dir.as_bytes().into());
        }
        if !mount.layers.is_empty() {
            dirs.insert(LAYER_ROOT.trim_end_matches('/').as_bytes().into());
        }
        // thousands of paths: each is allocated once, at its final size,
        // and a directory already known allocates nothing
        files.reserve(mount.file_count());
        for (_, path, entry) in mount.files().filter(|(_, _, e)| !e.unsafe_name) {
            let path = absolute_key(path);
            // every ancestor below the task root (or /opt) is a directory
            let top = if path.starts_with(LAYER_ROOT.as_bytes()) {
                LAYER_ROOT.len() - 1
            } else {
                TASK_ROOT.len()
            };
            let mut end = path.len();
            while let Some(slash) = memchr::memrchr(b'/', &path[..end]) {
                let dir = &path[..slash];
                if slash <= top || dirs.contains(dir) {
                    break;
                }
                dirs.insert(dir.into());
                end = slash;
            }
            match entry.kind {
                EntryKind::Dir => {
                    dirs.insert(path);
                }
                EntryKind::File => {
                    files.insert(path);
                }
                EntryKind::Symlink => {}
            }
        }
        (files, dirs)
    }

    /// Every package.json's text, by absolute path.
    fn manifests(mount: &Mount) -> FxHashMap<Box<[u8]>, String> {
        let manifests: Vec<(usize, &str)> = mount
            .files()
            .filter(|(_, path, e)| {
                e.kind == EntryKind::File
                    && !e.unsafe_name
                    && (*path == "package.json" || path.ends_with("/package.json"))
            })
            .map(|(id, path, _)| (id, path))
            .collect();
        manifests
            .par_iter()
            .filter_map(|&(id, path)| {
                let text = mount.read(id, DEFAULT_READ_LIMIT).ok()?;
                let text = String::from_utf8(text)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
                Some((absolute_key(path), text))
            })
            .collect()
    }

    /// The mount's symlinks by absolute path, to their targets. Lambda
    /// extracts a zip's symlinks as links, and Node follows them: the
    /// target is the link's stored text.
    fn read_links(mount: &Mount) -> FxHashMap<Box<[u8]>, String> {
        let links: Vec<(usize, &str)> = mount
            .files()
            .filter(|(_, _, e)| !e.unsafe_name && e.kind == EntryKind::Symlink)
            .map(|(id, path, _)| (id, path))
            .collect();
        links
            .par_iter()
            .filter_map(|&(id, path)| {
                let target = mount.read(id, 4096).ok()?;
                Some((absolute_key(path), String::from_utf8(target).ok()?))
            })
            .collect()
    }

    /// `path` with every link along it replaced by its target, as the
    /// kernel resolves it; None for a loop. Lexical: a `..` in a target
    /// takes off the component before it.
    fn real<'p>(&self, path: &'p Path) -> Option<Cow<'p, Path>> {
        // most packages have no links: the resolver's hot path stays a
        // lookup, with nothing allocated
        if !self.passes_link(path) {
            return Some(Cow::Borrowed(path));
        }
        let mut pending: Vec<std::ffi::OsString> = path
            .components()
            .rev()
            .map(|c| c.as_os_str().to_os_string())
            .collect();
        let mut real = PathBuf::new();
        let mut followed = 0;
        while let Some(part) = pending.pop() {
            match part.to_str() {
                Some(".") => continue,
                Some("..") => {
                    real.pop();
                    continue;
                }
                _ => real.push(&part),
            }
            if let Some(target) = self.links.get(key(&real)) {
                followed += 1;
                if followed > MAX_LINKS {
                    return None;
                }
                real.pop();
                if target.starts_with('/') {
                    real = PathBuf::from("/");
                }
                pending.extend(
                    Path::new(target)
                        .components()
                        .rev()
                        .filter(|c| !matches!(c, std::path::Component::RootDir))
                        .map(|c| c.as_os_str().to_os_string()),
                );
            }
        }
        Some(Cow::Owned(real))
    }

    /// Whether `path` needs [`Self::real`]'s walk: a link lies along it
    /// (itself, or a directory on its way), or it has a `.` or `..` to
    /// take apart. One `node_modules/.bin` shim is enough to make every
    /// path the resolver asks about a candidate, and most pass none.
    fn passes_link(&self, path: &Path) -> bool {
        if self.links.is_empty() {
            return false;
        }
        let bytes = key(path);
        let mut end = 0;
        for part in bytes.split(|&b| b == b'/') {
            if part == b"." || part == b".." {
                return true;
            }
            end += part.len();
            if end > 0 && self.links.contains_key(&bytes[..end]) {
                return true;
            }
            end += 1;
        }
        false
    }

    /// The target of the link at `path`, when `path` is one (the
    /// directories on the way to it may be links themselves).
    fn link_at(&self, path: &Path) -> Option<&String> {
        if !self.passes_link(path) {
            return None;
        }
        let parent = self.real(path.parent()?)?;
        self.links.get(key(&parent.join(path.file_name()?)))
    }

    /// The entry at `path` itself, links along it followed.
    fn followed(&self, path: &Path) -> io::Result<FileMetadata> {
        let not_found = || io::Error::from(io::ErrorKind::NotFound);
        let real = self.real(path).ok_or_else(not_found)?;
        let real = key(&real);
        if self.files.contains(real) {
            Ok(FileMetadata::new(true, false, false))
        } else if self.dirs.contains(real) {
            Ok(FileMetadata::new(false, true, false))
        } else {
            Err(not_found())
        }
    }
}

impl FileSystem for ArtifactFs {
    fn new() -> Self {
        ArtifactFs::default()
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.read_to_string(path).map(String::into_bytes)
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        let not_found = || io::Error::from(io::ErrorKind::NotFound);
        let real = self.real(path).ok_or_else(not_found)?;
        self.manifests
            .get(key(&real))
            .cloned()
            .ok_or_else(not_found)
    }

    fn metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        self.followed(path)
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        match self.link_at(path) {
            Some(_) => Ok(FileMetadata::new(false, false, true)),
            None => self.followed(path),
        }
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, ResolveError> {
        self.link_at(path)
            .map(PathBuf::from)
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput).into())
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.followed(path)?;
        self.real(path)
            .map(Cow::into_owned)
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
}

/// Lambda's NODE_PATH entries that layers provide: the runtime's
/// `/opt/nodejs/nodeNN/node_modules` (any of them when the runtime is not
/// known), then `/opt/nodejs/node_modules`. The rest of NODE_PATH is the
/// runtime's own folders and /var/task.
fn node_layer_path(mount: &Mount, runtime: Option<&RuntimeInfo>) -> Vec<String> {
    if mount.layers.is_empty() {
        return Vec::new();
    }
    let versioned: BTreeSet<String> = match runtime {
        Some(runtime) if runtime.family == "node" => BTreeSet::from([format!(
            "{LAYER_ROOT}nodejs/node{}/node_modules",
            runtime.version
        )]),
        _ => layer_folders(mount)
            .filter(|at| at.version.is_some() && at.folder.starts_with("nodejs/"))
            .map(|at| format!("{LAYER_ROOT}{}", at.folder.trim_end_matches('/')))
            .collect(),
    };
    let mut paths: Vec<String> = versioned.into_iter().rev().collect();
    paths.push(format!("{LAYER_ROOT}nodejs/node_modules"));
    paths
}

/// The layer folder of each file the mount's layers hold.
fn layer_folders<'m>(mount: &'m Mount) -> impl Iterator<Item = LayerFolder<'m>> + 'm {
    mount
        .files()
        .filter(|(_, _, e)| e.kind != EntryKind::Symlink)
        .filter_map(|(_, path, _)| layer_folder(path.strip_prefix(LAYER_ROOT)?))
}

/// `node_path`: absolute directories searched after the `node_modules`
/// folders, as NODE_PATH's are; `symlinks`: resolve to real paths through links.
fn node_options(conditions: &[&str], node_path: Vec<String>, symlinks: bool) -> ResolveOptions {
    let mut modules = vec!["node_modules".to_string()];
    modules.extend(node_path);
    ResolveOptions {
        condition_names: conditions.iter().map(|c| c.to_string()).collect(),
        modules,
        // this process's own NODE_PATH means nothing inside the package
        node_path: false,
        extensions: [".js", ".json", ".node", ".mjs", ".cjs"]
            .iter()
            .map(|e| e.to_string())
            .collect(),
        main_fields: vec!["main".into()],
        builtin_modules: true,
        // Node's format for each file: ESM_FILE_FORMAT
        module_type: true,
        symlinks,
        ..ResolveOptions::default()
    }
}

struct PythonFinder<'a> {
    mount: &'a Mount<'a>,
    /// sys.path as Lambda sets it, by path prefix: the task root (""),
    /// then the layers' `/opt/python/lib/pythonX.Y/site-packages/` and
    /// `/opt/python/`.
    roots: Vec<String>,
    /// Extension modules by path without their suffix:
    /// `pkg/_speedups.cpython-312-x86_64-linux-gnu.so` → `pkg/_speedups`,
    /// with whether the runtime's Python loads that suffix.
    extensions: HashMap<&'a str, Vec<(usize, bool)>>,
    /// Whether any `.pyc` sits outside `__pycache__/`.
    has_sourceless: bool,
    /// Every directory holding a file, made when a module is found nowhere.
    dirs: std::sync::OnceLock<HashSet<&'a str>>,
}

impl<'a> PythonFinder<'a> {
    fn new(mount: &'a Mount<'a>, python: Option<(u32, u32)>, arm64: bool) -> Self {
        let mut roots = vec![String::new()];
        if !mount.layers.is_empty() {
            let layer_python = format!("{LAYER_ROOT}python/");
            match python {
                Some((major, minor)) => roots.push(format!(
                    "{layer_python}lib/python{major}.{minor}/site-packages/"
                )),
                // layers built for some Python: their own site-packages
                None => roots.extend(
                    layer_folders(mount)
                        .filter(|at| at.version.is_some() && at.folder.starts_with("python/"))
                        .map(|at| format!("{LAYER_ROOT}{}", at.folder))
                        .collect::<BTreeSet<_>>(),
                ),
            }
            roots.push(layer_python);
        }
        let mut extensions: HashMap<&str, Vec<(usize, bool)>> = HashMap::new();
        // a Windows build (`.cp311-win_amd64.pyd`, from a pip install on
        // Windows) is an extension module no Linux Python loads
        for (i, path, _) in mount.files().filter(|(_, path, e)| {
            e.kind == EntryKind::File && (path.ends_with(".so") || path.ends_with(".pyd"))
        }) {
            let Some((module, suffix)) = super::split_extension_suffix(path) else {
                continue;
            };
            let loads = suffix.ends_with(".so")
                && super::loads_extension_suffix(suffix, python, Some(arm64));
            extensions.entry(module).or_default().push((i, loads));
        }
        PythonFinder {
            mount,
            roots,
            extensions,
            has_sourceless: mount
                .files()
                .any(|(_, path, _)| path.ends_with(".pyc") && !path.contains("__pycache__/")),
            dirs: std::sync::OnceLock::new(),
        }
    }

    /// `.models` imported from `pkg/app.py` → `pkg.models`.
    fn absolute(&self, from: &str, module: &str) -> Option<String> {
        let level = module.chars().take_while(|&c| c == '.').count();
        if level == 0 {
            return Some(module.to_string());
        }
        let rest = &module[level..];
        // the longest root holding the file: `/opt/python/` holds the
        // site-packages folder, which is a root of its own
        let relative = self
            .roots
            .iter()
            .filter_map(|root| from.strip_prefix(root.as_str()))
            .min_by_key(|rest| rest.len())?;
        let mut package: Vec<&str> = relative.split('/').collect();
        package.pop(); // the file itself; __init__.py's package is its directory
        for _ in 1..level {
            package.pop()?;
        }
        if !rest.is_empty() {
            package.push(rest);
        }
        Some(package.join("."))
    }

    /// `a.b.c` loads `a`, `a.b` and `a.b.c`, each one found.
    fn chain(&self, module: &str) -> Vec<usize> {
        let parts: Vec<&str> = module.split('.').filter(|p| !p.is_empty()).collect();
        (1..=parts.len())
            .flat_map(|n| self.module(&parts[..n].join(".")))
            .collect()
    }

    /// The file one module loads from: a package's `__init__.py`, a `.py`
    /// (or their bytecode alone), or an extension module, from the first
    /// root holding it.
    fn module(&self, module: &str) -> Option<usize> {
        // one buffer for every path tried: a walk asks this of thousands
        // of names, most found nowhere under most roots
        let mut path = String::with_capacity(64 + module.len());
        self.roots.iter().find_map(|root| {
            path.clear();
            path.push_str(root);
            for (i, part) in module.split('.').enumerate() {
                if i > 0 {
                    path.push('/');
                }
                path.push_str(part);
            }
            let base = path.len();
            let with = |path: &mut String, suffix: &str| {
                path.truncate(base);
                path.push_str(suffix);
                self.mount.find(path)
            };
            // Python's order: a package, then a module; each as an
            // extension module the runtime loads (sqlalchemy's `_row_cy`,
            // charset_normalizer's `md`, mypyc's compiled `tomli/__init__`,
            // beside their .py), the source, the bytecode
            path.push_str("/__init__");
            let package = self.extension(&path).or_else(|| {
                with(&mut path, "/__init__.py").or_else(|| match self.has_sourceless {
                    true => with(&mut path, "/__init__.pyc"),
                    false => None,
                })
            });
            if package.is_some() {
                return package;
            }
            path.truncate(base);
            let extension = self.extensions.get(path.as_str());
            let loaded = extension.and_then(|e| e.iter().find(|(_, loads)| *loads));
            if let Some(&(file, _)) = loaded {
                return Some(file);
            }
            let found = with(&mut path, ".py");
            if found.is_some() {
                return found;
            }
            if self.has_sourceless {
                // bytecode shipped in place of the source (`mod.pyc` beside
                // where `mod.py` would be), which Python imports too
                let found = with(&mut path, ".pyc");
                if found.is_some() {
                    return found;
                }
            }
            None
        })
    }

    /// Whether `module` is, under the first root holding it, only an
    /// extension module Lambda's Python cannot load (another version's, a
    /// macOS build): CPython finds nothing.
    fn only_unloadable_extension(&self, module: &str) -> bool {
        // asked of every import: most packages ship no extension at all
        if self.extensions.is_empty() {
            return false;
        }
        let relative = module.replace('.', "/");
        let paths: Vec<String> = self
            .roots
            .iter()
            .map(|root| format!("{root}{relative}"))
            .collect();
        if !paths
            .iter()
            .any(|path| self.extensions.contains_key(path.as_str()))
        {
            return false;
        }
        paths.iter().find_map(|path| {
            let builds = self.extensions.get(path.as_str());
            let source = ["/__init__.py", ".py", "/__init__.pyc", ".pyc"]
                .iter()
                .any(|suffix| self.mount.find(&format!("{path}{suffix}")).is_some());
            match (source, builds) {
                (true, _) => Some(false),
                (false, Some(builds)) => Some(builds.iter().all(|(_, loads)| !loads)),
                // not under this root: the next one
                (false, None) => None,
            }
        }) == Some(true)
    }

    /// The first module of `module`'s dotted path found nowhere (`pkg.gone`
    /// of `pkg.gone.deep`), when the one above it is a package: an
    /// `__init__` (source, bytecode or compiled) or a namespace package.
    /// Below a plain module (six.py) a "submodule" is whatever the module
    /// puts in sys.modules (six.moves): none is said missing.
    fn first_missing(&self, module: &str) -> Option<String> {
        let is_init = |file: usize| {
            let path = self.mount.path(file);
            let name = path.rsplit('/').next().unwrap_or(path);
            name.starts_with("__init__.")
        };
        let mut parent_is_package = false;
        for (end, _) in module
            .match_indices('.')
            .chain(std::iter::once((module.len(), "")))
        {
            let prefix = &module[..end];
            match self.module(prefix) {
                Some(file) => parent_is_package = is_init(file),
                None if self.is_namespace(prefix) => parent_is_package = true,
                None if parent_is_package => return Some(prefix.to_string()),
                None => return None,
            }
        }
        None
    }

    /// Whether `module` is a directory under a root: a namespace package
    /// (PEP 420), importable without an `__init__.py`.
    fn is_namespace(&self, module: &str) -> bool {
        let dirs = self.dirs.get_or_init(|| {
            let mut dirs = HashSet::new();
            for (_, path, _) in self.mount.files() {
                let mut path = path.trim_end_matches('/');
                while let Some((parent, _)) = path.rsplit_once('/') {
                    if !dirs.insert(parent) {
                        break;
                    }
                    path = parent;
                }
            }
            dirs
        });
        let relative = module.replace('.', "/");
        self.roots
            .iter()
            .any(|root| dirs.contains(format!("{root}{relative}").as_str()))
    }

    /// The extension module at `base` the runtime's Python loads.
    fn extension(&self, base: &str) -> Option<usize> {
        let found = self.extensions.get(base)?.iter().find(|(_, loads)| *loads);
        found.map(|&(file, _)| file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_suffixes_as_lambdas_cpython_takes_them() {
        let on_311 = |suffix| crate::imports::loads_extension_suffix(suffix, Some((3, 11)), None);
        assert!(on_311(".cpython-311-x86_64-linux-gnu.so"));
        assert!(on_311(".cpython-311-aarch64-linux-gnu.so"));
        assert!(on_311(".abi3.so") && on_311(".so"));
        assert!(!on_311(".cpython-312-x86_64-linux-gnu.so"));
        assert!(!on_311(".cpython-313t-x86_64-linux-gnu.so"));
        assert!(!on_311(".cpython-311-darwin.so"));
        assert!(!on_311(".cpython-311-x86_64-linux-musl.so"));
        assert!(!on_311(".pypy39-pp73-x86_64-linux-gnu.so"));
        let any = |suffix| crate::imports::loads_extension_suffix(suffix, None, None);
        assert!(any(".cpython-312-x86_64-linux-gnu.so"));
        assert!(!any(".cpython-312-darwin.so"));
        // a function's own instruction set: the other one's tag is no
        // module for its Python, a bare or stable-ABI suffix is
        let on = |suffix, arm64| {
            crate::imports::loads_extension_suffix(suffix, Some((3, 11)), Some(arm64))
        };
        assert!(on(".cpython-311-x86_64-linux-gnu.so", false));
        assert!(!on(".cpython-311-aarch64-linux-gnu.so", false));
        assert!(on(".cpython-311-aarch64-linux-gnu.so", true));
        assert!(!on(".cpython-311-x86_64-linux-gnu.so", true));
        assert!(on(".abi3.so", true) && on(".so", false));
    }

    #[test]
    fn links_resolve_as_the_kernel_resolves_them() {
        let mut fs = ArtifactFs::default();
        let real = "/var/task/node_modules/.pnpm/a@1.0.0/node_modules/a";
        fs.files
            .insert(format!("{real}/index.js").into_bytes().into());
        fs.dirs.insert(real.as_bytes().into());
        let link = |fs: &mut ArtifactFs, path: &str, target: &str| {
            fs.links.insert(path.as_bytes().into(), target.to_string());
        };
        // pnpm's: relative, into the store; and a dependency beside a
        // package's real folder, up and over
        link(
            &mut fs,
            "/var/task/node_modules/a",
            ".pnpm/a@1.0.0/node_modules/a",
        );
        link(
            &mut fs,
            "/var/task/node_modules/.pnpm/b@2.0.0/node_modules/a",
            "../../a@1.0.0/node_modules/a",
        );
        link(&mut fs, "/var/task/lib", "/var/task/node_modules/a");
        link(&mut fs, "/var/task/one", "two");
        link(&mut fs, "/var/task/two", "one");
        for path in [
            "/var/task/node_modules/a/index.js",
            "/var/task/node_modules/.pnpm/b@2.0.0/node_modules/a/index.js",
            "/var/task/lib/index.js",
        ] {
            let path = Path::new(path);
            assert_eq!(
                fs.real(path).map(Cow::into_owned),
                Some(PathBuf::from(format!("{real}/index.js")))
            );
            assert!(fs.metadata(path).unwrap().is_file());
            assert_eq!(
                fs.canonicalize(path).unwrap(),
                PathBuf::from(format!("{real}/index.js"))
            );
        }
        let linked = Path::new("/var/task/node_modules/a");
        assert!(fs.symlink_metadata(linked).unwrap().is_symlink());
        assert!(fs.metadata(linked).unwrap().is_dir());
        assert_eq!(
            fs.read_link(linked).unwrap(),
            PathBuf::from(".pnpm/a@1.0.0/node_modules/a")
        );
        // a path no link lies along is itself, not rebuilt; a `..` is taken
        // apart, and the link it leads to followed
        let plain = format!("{real}/index.js");
        assert!(matches!(fs.real(Path::new(&plain)), Some(Cow::Borrowed(_))));
        assert!(fs.symlink_metadata(Path::new(&plain)).unwrap().is_file());
        assert_eq!(
            fs.real(Path::new("/var/task/x/../node_modules/a/index.js"))
                .map(Cow::into_owned),
            Some(PathBuf::from(&plain))
        );
        // a loop is nothing, and so is a link to what is not there
        assert_eq!(fs.real(Path::new("/var/task/one/index.js")), None);
        assert!(fs.metadata(Path::new("/var/task/one/index.js")).is_err());
        link(&mut fs, "/var/task/gone", "/opt/nodejs/node_modules/gone");
        assert!(fs.metadata(Path::new("/var/task/gone/index.js")).is_err());
    }
}
