//! `deadweight measure`: the only command that runs the user's code. The
//! artifact (and its layers, on the search paths Lambda gives layers) is
//! extracted to a private read-only directory and the handler's
//! module is imported — never called — in fresh `node` or `python3`
//! processes. Init time is taken inside each process around the import,
//! and the same harness importing an empty module gives the baseline that
//! is taken off.

mod extract;
pub mod importtime;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::imports::reach;
use crate::imports::Language;
use crate::rules::runtimes::RuntimeInfo;
use crate::units::{median, percentile};
pub use extract::EXTRACT_LIMIT;
use importtime::ImportNode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Node,
    Python,
}

impl Family {
    fn interpreter(self) -> &'static str {
        match self {
            Family::Node => "node",
            Family::Python => "python3",
        }
    }
}

pub struct MeasureOptions {
    /// Lambda handler, `index.handler` or `app.lambda_handler`; inferred
    /// from the package's root files when absent.
    pub handler: Option<String>,
    /// Lambda runtime id; picks the interpreter family when given.
    pub runtime: Option<String>,
    /// Interpreter to run instead of `node` / `python3` from PATH.
    pub interpreter: Option<PathBuf>,
    /// Node: a node_modules folder standing in for the runtime's own.
    pub runtime_modules: Option<PathBuf>,
    pub runs: usize,
    /// Variables of the function's environment, set for every run (the
    /// baseline's too): NODE_OPTIONS changes what Node does as it loads.
    pub environment: std::collections::BTreeMap<String, String>,
}

/// One module the handler loaded.
#[derive(Clone, Debug, Serialize)]
pub struct LoadedModule {
    pub name: String,
    /// Python: time spent in the module itself and with what it imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cumulative_ms: Option<f64>,
    /// Node: the file's size.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct Measurement {
    pub path: String,
    pub handler: String,
    pub runtime: Family,
    pub runtime_version: String,
    pub interpreter: String,
    pub runs: usize,
    /// Init time with the baseline taken off, per run, in run order.
    pub samples_ms: Vec<f64>,
    pub min_ms: f64,
    pub median_ms: f64,
    pub p90_ms: f64,
    /// Median of the harness importing an empty module.
    pub baseline_ms: f64,
    /// That module, imported as the handler's is: "empty CommonJS module",
    /// "empty ES module", "empty Python module".
    pub baseline_module: &'static str,
    /// Python: the handler's imports by cumulative time; Node: the files
    /// loaded, CommonJS and ES modules (through a loader hook on Node
    /// 18.19+ and 20.6+), biggest first.
    pub modules: Vec<LoadedModule>,
    /// Python only: the full `-X importtime` tree of the handler's import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub import_tree: Vec<ImportNode>,
    pub notes: Vec<String>,
}

/// What one harness run prints last on stdout.
#[derive(Deserialize)]
struct RunResult {
    ms: f64,
    version: String,
    #[serde(default)]
    modules: Vec<(String, u64)>,
    /// Node: the module was imported as an ES module.
    #[serde(default)]
    esm: bool,
}

const RESULT_MARK: &str = "DEADWEIGHT_MEASURE_RESULT ";
/// The region a function is measured in when this machine names none.
const MEASURE_REGION: &str = "us-east-1";
const IMPORTS_MARK: &str = "DEADWEIGHT_MEASURE_IMPORTS";

const PYTHON_HARNESS: &str = r#"
import sys, time, json
root, opt, module, mark, result_mark, provided = sys.argv[1:7]
# Lambda's order: the task root, then the layers' folders
sys.path[:0] = [root] + ([opt + "/python/lib/python%d.%d/site-packages" % sys.version_info[:2], opt + "/python"] if opt else [])
# then what the runtime provides (boto3 and what it needs): from this
# Python's own site-packages, and nothing else from there
if provided:
    import site
    from importlib.machinery import PathFinder
    class RuntimeProvided:
        names = set(provided.split(","))
        dirs = site.getsitepackages() + [site.getusersitepackages()]
        @classmethod
        def find_spec(cls, name, path=None, target=None):
            if path is None and name in cls.names:
                return PathFinder.find_spec(name, cls.dirs)
            return None
    sys.meta_path.append(RuntimeProvided)
sys.stderr.write(mark + "\n")
sys.stderr.flush()
before = set(sys.modules)
start = time.perf_counter()
__import__(module)  # the import statement's path, which -X importtime reports
elapsed = time.perf_counter() - start
# every module the import added, importlib's too (-X importtime misses
# those); not aliases (requests.packages.urllib3 is urllib3)
loaded = [[name, 0] for name in sorted(set(sys.modules) - before)
          if getattr(sys.modules[name], "__name__", name) == name]
sys.stdout.write("\n" + result_mark + json.dumps({"ms": elapsed * 1000, "version": sys.version.split()[0], "modules": loaded}) + "\n")
"#;

const NODE_HARNESS: &str = r#"
const fs = require('fs');
const path = require('path');
const url = require('url');
const [root, file, resultMark, list] = process.argv.slice(1);
// the listing run (untimed): ES modules pass no require.cache, so a loader
// hook (Node 18.19+, 20.6+) reports each file the ES module loader loads
const esmLoaded = [];
let port;
const { register } = require('module');
if (list === 'list' && register) {
  const { MessageChannel } = require('worker_threads');
  const channel = new MessageChannel();
  port = channel.port1;
  port.on('message', (u) => esmLoaded.push(u));
  const hooks = 'let port; export function initialize(data) { port = data.port; } '
    + 'export async function load(u, context, next) { if (u.startsWith("file:")) port.postMessage(u); return next(u, context); }';
  register('data:text/javascript,' + encodeURIComponent(hooks), { data: { port: channel.port2 }, transferList: [channel.port2] });
}
function esm(file) {
  if (file.endsWith('.mjs')) return true;
  if (file.endsWith('.cjs')) return false;
  for (let dir = path.dirname(file); dir.startsWith(root); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try { return JSON.parse(fs.readFileSync(manifest, 'utf8')).type === 'module'; } catch { return false; }
    }
    if (dir === path.dirname(dir)) break;
  }
  return false;
}
(async () => {
  const before = new Set(Object.keys(require.cache));
  const isEsm = esm(file);
  const start = process.hrtime.bigint();
  if (isEsm) { await import(url.pathToFileURL(file).href); } else { require(file); }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (port) { await new Promise((done) => setTimeout(done, 50)); port.close(); }
  const files = new Set(Object.keys(require.cache).filter((k) => !before.has(k)));
  for (const u of esmLoaded) files.add(url.fileURLToPath(u));
  // the ES modules a CommonJS module's require(esm) loads (Node 20.19+)
  // pass neither require.cache nor the loader hook: the listing run
  // (--expose-internals) reads them from the ES module loader's cache
  if (list === 'list') {
    try {
      const { getOrInitializeCascadedLoader } = require('internal/modules/esm/loader');
      for (const [u] of getOrInitializeCascadedLoader().loadCache) {
        if (u.startsWith('file:')) files.add(url.fileURLToPath(u));
      }
    } catch {}
  }
  const modules = [...files].map((k) => {
    try { return [k, fs.statSync(k).size]; } catch { return [k, 0]; }
  });
  process.stdout.write('\n' + resultMark + JSON.stringify({ ms, version: process.version, modules, esm: isEsm }) + '\n');
})().catch((e) => { process.stderr.write(String((e && e.stack) || e) + '\n'); process.exit(1); });
"#;

/// How to import the handler's module in one runtime.
struct Target {
    family: Family,
    /// Python: the dotted module name; Node: the handler file's path.
    module: String,
}

/// The function's package and where its layers are, as one run sees them.
struct Tree<'p> {
    task: &'p Path,
    layers: Option<&'p Path>,
    /// The runtime's `nodejs/nodeNN` folder name, when the runtime is known.
    node_folder: Option<String>,
    /// Python: the top-level modules the runtime provides, taken from this
    /// interpreter's site-packages when neither the package nor a layer
    /// has them.
    provided: Vec<String>,
    /// Node: what stands in for /var/runtime/node_modules.
    runtime_modules: Option<&'p Path>,
    /// The function's environment, set for each run.
    environment: &'p std::collections::BTreeMap<String, String>,
    /// What Lambda sets in every function's environment.
    lambda: &'p [(&'static str, String)],
}

/// `layers`: the function's layers, in the order Lambda applies them.
pub fn measure(
    artifact: &Artifact,
    layers: &[Artifact],
    options: &MeasureOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> anyhow::Result<Measurement> {
    if options.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let handler = match &options.handler {
        Some(handler) => handler.clone(),
        None => reach::infer_handler(artifact)
            .map_err(|reason| anyhow!("{}: {reason}; pass --handler", artifact.path.display()))?,
    };
    let family_hint = match options.runtime.as_deref() {
        Some(id) if id.starts_with("nodejs") => Some(Family::Node),
        Some(id) if id.starts_with("python") => Some(Family::Python),
        Some(id) => bail!("measure runs Node.js and Python functions; `{id}` is neither"),
        None => None,
    };
    // Node resolves NODE_PATH from the package's folder: an absolute path
    let runtime_modules = options
        .runtime_modules
        .as_deref()
        .map(|dir| {
            dir.canonicalize()
                .with_context(|| format!("--runtime-modules {}", dir.display()))
        })
        .transpose()?;
    let extracted = extract::extract(artifact, layers, EXTRACT_LIMIT)?;
    let root = extracted.root();
    let runtime = options
        .runtime
        .as_deref()
        .and_then(crate::rules::runtimes::find);
    let lambda = lambda_variables(&handler, runtime);
    let tree = Tree {
        task: root,
        layers: extracted.layers(),
        node_folder: runtime
            .filter(|r| r.family == "node")
            .map(|r| format!("node{}", r.version)),
        provided: python_provided(runtime),
        runtime_modules: runtime_modules.as_deref(),
        environment: &options.environment,
        lambda: &lambda,
    };
    let target = locate(artifact, root, &handler, family_hint)?;
    let esm_node_path = runtime.is_none_or(|r| r.esm_node_path);
    let mut notes = Vec::new();
    if !options.environment.is_empty() {
        let set: Vec<String> = options
            .environment
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        notes.push(format!(
            "run with the function's {}, as Lambda sets it",
            set.join(" ")
        ));
    }
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        notes.push(format!(
            "AWS_REGION was set to {MEASURE_REGION}, as Lambda always sets it (set it to measure another)"
        ));
    }
    if target.family == Family::Node && tree.layers.is_some() && esm_node_path {
        let linked = link_layer_packages(&tree)?;
        if linked > 0 {
            notes.push(format!(
                "{linked} layer packages were linked into node_modules/ so that ES module imports find them, as Lambda's Node 18 and later do through NODE_PATH"
            ));
        }
    }
    extracted.seal();
    let interpreter = match &options.interpreter {
        Some(path) => path.clone(),
        None => find_on_path(target.family.interpreter()).ok_or_else(|| {
            anyhow!(
                "measure needs `{}` on PATH to run this function (or pass --interpreter PATH)",
                target.family.interpreter()
            )
        })?,
    };

    let baseline_dir = tempfile::Builder::new()
        .prefix("deadweight-baseline-")
        .tempdir()
        .context("creating a temporary directory for the baseline")?;
    let total = 2 * options.runs + 2;
    let mut step = 0;
    let mut tick = || {
        step += 1;
        progress(step, total);
    };
    // one unrecorded run warms the page cache, so every recorded run reads
    // the same way
    let (warm, _) = run_once(&interpreter, &tree, &target, false)?;
    tick();
    // the baseline imports an empty module as the function's is imported:
    // the first ES module import sets up Node's ES module loader, which
    // Lambda's runtime (itself an ES module) has done before any handler
    let baseline_module = match (target.family, warm.esm) {
        (Family::Python, _) => "empty Python module",
        (Family::Node, true) => "empty ES module",
        (Family::Node, false) => "empty CommonJS module",
    };
    let baseline_target = match target.family {
        Family::Python => {
            std::fs::write(baseline_dir.path().join("deadweight_empty.py"), "")?;
            Target {
                family: Family::Python,
                module: "deadweight_empty".into(),
            }
        }
        Family::Node => {
            let name = match warm.esm {
                true => "deadweight_empty.mjs",
                false => "deadweight_empty.js",
            };
            let file = baseline_dir.path().join(name);
            std::fs::write(&file, "")?;
            Target {
                family: Family::Node,
                module: file.to_string_lossy().into_owned(),
            }
        }
    };
    let baseline_tree = Tree {
        task: baseline_dir.path(),
        layers: None,
        node_folder: None,
        provided: tree.provided.clone(),
        runtime_modules: tree.runtime_modules,
        environment: tree.environment,
        lambda: tree.lambda,
    };
    let mut baseline = Vec::new();
    let mut raw = Vec::new();
    let mut last = None;
    for _ in 0..options.runs {
        baseline.push(
            run_once(&interpreter, &baseline_tree, &baseline_target, false)?
                .0
                .ms,
        );
        tick();
        let (result, _) = run_once(&interpreter, &tree, &target, false)?;
        raw.push(result.ms);
        last = Some(result);
        tick();
    }
    let last = last.expect("runs >= 1");
    let baseline_ms = median(&baseline);
    let samples_ms: Vec<f64> = raw.iter().map(|ms| (ms - baseline_ms).max(0.0)).collect();

    let (modules, import_tree) = match target.family {
        Family::Python => {
            let (listed, stderr) = run_once(&interpreter, &tree, &target, true)?;
            tick();
            let import_tree = stderr
                .split_once(IMPORTS_MARK)
                .map(|(_, after)| importtime::parse(after))
                .unwrap_or_default();
            let mut modules = python_modules(&import_tree);
            // imported through importlib (a lazy loader, a package's
            // __getattr__): in sys.modules, but not in -X importtime's tree
            let timed: std::collections::HashSet<String> =
                modules.iter().map(|m| m.name.clone()).collect();
            let untimed: Vec<LoadedModule> = listed
                .modules
                .iter()
                .filter(|(name, _)| !timed.contains(name) && name != &target.module)
                .map(|(name, _)| LoadedModule {
                    name: name.clone(),
                    self_ms: None,
                    cumulative_ms: None,
                    bytes: None,
                })
                .collect();
            if !untimed.is_empty() && !modules.is_empty() {
                notes.push(format!(
                    "{} imported through importlib (a lazy loader, a package's __getattr__) {} listed without times: -X importtime does not see them, and their time is in their importer's",
                    crate::units::counted(untimed.len() as u64, "module"),
                    if untimed.len() == 1 { "is" } else { "are" }
                ));
                modules.extend(untimed);
            }
            let from_machine: Vec<&str> = tree
                .provided
                .iter()
                .map(String::as_str)
                .filter(|top| {
                    !python_ships(&tree, top)
                        && modules
                            .iter()
                            .any(|m| m.name.split('.').next() == Some(top))
                })
                .collect();
            if !from_machine.is_empty() {
                notes.push(format!(
                    "{} came from this machine's Python, as Lambda's runtime provides them (its versions may differ)",
                    from_machine.join(", ")
                ));
            }
            (modules, import_tree)
        }
        Family::Node => {
            // one more run lists the ES modules too, off the clock
            let (listed, _) = run_once(&interpreter, &tree, &target, true)?;
            tick();
            // named as audit names them: relative in the package, /opt/ in a layer
            let name = |file: &str| {
                let file = Path::new(file);
                if let Ok(own) = file.strip_prefix(root) {
                    return own.to_string_lossy().into_owned();
                }
                if let Some(provided) = tree.runtime_modules.and_then(|d| file.strip_prefix(d).ok())
                {
                    return format!("/var/runtime/node_modules/{}", provided.to_string_lossy());
                }
                match tree.layers.and_then(|opt| file.strip_prefix(opt).ok()) {
                    Some(layered) => format!("/opt/{}", layered.to_string_lossy()),
                    None => file.to_string_lossy().into_owned(),
                }
            };
            let mut modules: Vec<LoadedModule> = listed
                .modules
                .iter()
                .map(|(file, bytes)| LoadedModule {
                    name: name(file),
                    self_ms: None,
                    cumulative_ms: None,
                    bytes: Some(*bytes),
                })
                .collect();
            if modules.is_empty() {
                notes.push(
                    "this Node lists no module it loaded (an ES module handler needs Node 18.19+ or 20.6+ for the list)".into(),
                );
            }
            modules.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.name.cmp(&b.name)));
            (modules, Vec::new())
        }
    };
    if let Some(id) = options.runtime.as_deref() {
        if !same_runtime(id, &last.version) {
            notes.push(format!(
                "the function runs on {id}, but this was measured with {} {}",
                target.family.interpreter(),
                last.version
            ));
        }
    }
    if !extracted.skipped_symlinks.is_empty() {
        notes.push(format!(
            "{} symlink entries were not extracted (first: {})",
            extracted.skipped_symlinks.len(),
            extracted.skipped_symlinks[0]
        ));
    }
    let mut sorted = samples_ms.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(Measurement {
        path: artifact.path.display().to_string(),
        handler,
        runtime: target.family,
        runtime_version: last.version,
        interpreter: interpreter.display().to_string(),
        runs: options.runs,
        min_ms: sorted[0],
        median_ms: median(&sorted),
        p90_ms: percentile(&sorted, 0.9),
        samples_ms,
        baseline_ms,
        baseline_module,
        modules,
        import_tree,
        notes,
    })
}

/// NODE_PATH as Lambda sets it, this machine's runtime folders left out:
/// the layers' `nodejs/nodeNN/node_modules` (the runtime's, or any there
/// is when it is not known) and `nodejs/node_modules`, then the task root.
fn node_path(tree: &Tree) -> OsString {
    let mut dirs = layer_node_dirs(tree);
    // Lambda's order: the layers, the runtime's node_modules, the task root
    dirs.extend(tree.runtime_modules.map(Path::to_path_buf));
    dirs.push(tree.task.to_path_buf());
    std::env::join_paths(dirs).unwrap_or_default()
}

/// The layers' folders on Lambda's NODE_PATH, in its order.
fn layer_node_dirs(tree: &Tree) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(opt) = tree.layers {
        let mut versioned: Vec<PathBuf> = match &tree.node_folder {
            Some(folder) => vec![opt.join("nodejs").join(folder).join("node_modules")],
            None => std::fs::read_dir(opt.join("nodejs"))
                .into_iter()
                .flatten()
                .filter_map(Result::ok)
                .filter(|e| {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    name.strip_prefix("node")
                        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                })
                .map(|e| e.path().join("node_modules"))
                .collect(),
        };
        versioned.sort();
        versioned.reverse();
        dirs.extend(versioned);
        dirs.push(opt.join("nodejs/node_modules"));
    }
    dirs
}

/// Lambda's Node 18 and later search NODE_PATH for ES module imports too;
/// Node itself does not. Each layer package the task's node_modules lacks
/// is linked into it (the first on NODE_PATH wins), so an ES module finds
/// it there, and Node, following the link, loads it from its layer path.
#[cfg(unix)]
fn link_layer_packages(tree: &Tree) -> anyhow::Result<usize> {
    let node_modules = tree.task.join("node_modules");
    let mut linked = 0;
    for dir in layer_node_dirs(tree) {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            let packages: Vec<(PathBuf, PathBuf)> = if name.to_string_lossy().starts_with('@') {
                std::fs::read_dir(entry.path())
                    .into_iter()
                    .flatten()
                    .filter_map(Result::ok)
                    .map(|p| (p.path(), node_modules.join(&name).join(p.file_name())))
                    .collect()
            } else if name.to_string_lossy().starts_with('.') {
                Vec::new()
            } else {
                vec![(entry.path(), node_modules.join(&name))]
            };
            for (target, link) in packages {
                if std::fs::symlink_metadata(&link).is_ok() {
                    continue;
                }
                if let Some(parent) = link.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("creating {}", parent.display()))?;
                }
                std::os::unix::fs::symlink(&target, &link)
                    .with_context(|| format!("linking {}", link.display()))?;
                linked += 1;
            }
        }
    }
    Ok(linked)
}

#[cfg(not(unix))]
fn link_layer_packages(_tree: &Tree) -> anyhow::Result<usize> {
    Ok(0)
}

/// The handler's module, found in the artifact the way each runtime's
/// bootstrap finds it.
fn locate(
    artifact: &Artifact,
    root: &Path,
    handler: &str,
    hint: Option<Family>,
) -> anyhow::Result<Target> {
    let Some((index, language)) = reach::handler_entry(artifact, handler) else {
        bail!("handler `{handler}`: its module is not in the package");
    };
    let family = match language {
        Language::JavaScript => Family::Node,
        Language::Python => Family::Python,
    };
    if hint.is_some_and(|hint| hint != family) {
        bail!(
            "handler `{handler}` is {}, not for the runtime given",
            artifact.entries[index].path
        );
    }
    let module = match family {
        Family::Node => root
            .join(&artifact.entries[index].path)
            .to_string_lossy()
            .into_owned(),
        Family::Python => handler
            .rsplit_once('.')
            .map_or(handler, |(module, _)| module)
            .replace('/', "."),
    };
    Ok(Target { family, module })
}

/// The name the function has in the variables Lambda sets.
const MEASURE_FUNCTION: &str = "deadweight-measure";

/// What Lambda sets in every function's environment and packages test at
/// init (dd-trace instruments Lambda when AWS_LAMBDA_FUNCTION_NAME is
/// set), as the function would have it: the values the same for every
/// function ([`LAMBDA_SETS`](crate::imports::environment::LAMBDA_SETS),
/// the task root aside: the extracted tree's), the runtime
/// (AWS_EXECUTION_ENV) when known, the default memory size. Not the
/// runtime API's address nor credentials: measure runs no invocation.
fn lambda_variables(
    handler: &str,
    runtime: Option<&crate::rules::runtimes::RuntimeInfo>,
) -> Vec<(&'static str, String)> {
    let fixed = (crate::imports::environment::LAMBDA_SETS.iter())
        .filter(|(name, _)| *name != "LAMBDA_TASK_ROOT")
        .filter_map(|(name, value)| Some((*name, value.as_ref()?.to_string())));
    let mut variables: Vec<(&'static str, String)> = fixed.collect();
    variables.extend([
        ("AWS_LAMBDA_FUNCTION_NAME", MEASURE_FUNCTION.to_string()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128".to_string()),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_string()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME",
            format!("/aws/lambda/{MEASURE_FUNCTION}"),
        ),
        (
            "AWS_LAMBDA_LOG_STREAM_NAME",
            "2026/01/01/[$LATEST]measure".to_string(),
        ),
        ("_HANDLER", handler.to_string()),
    ]);
    if let Some(runtime) = runtime {
        variables.push(("AWS_EXECUTION_ENV", format!("AWS_Lambda_{}", runtime.id)));
    }
    variables
}

/// One fresh process importing the target; with `importtime`, Python's
/// import tree goes to the returned stderr.
fn run_once(
    interpreter: &Path,
    tree: &Tree,
    target: &Target,
    importtime: bool,
) -> anyhow::Result<(RunResult, String)> {
    let root = tree.task;
    let mut command = Command::new(interpreter);
    command.current_dir(root);
    // Lambda sets none of these unless the function does
    (command.env_remove("PYTHONPATH").env_remove("NODE_OPTIONS")).env_remove("NODE_ENV");
    command.envs(tree.lambda.iter().map(|(name, value)| (name, value)));
    command.envs(tree.environment);
    command.env("LAMBDA_TASK_ROOT", root);
    // Lambda always sets the region: an SDK client created at module
    // scope needs one (boto3 raises NoRegionError without it)
    if std::env::var_os("AWS_REGION").is_none() && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        command
            .env("AWS_REGION", MEASURE_REGION)
            .env("AWS_DEFAULT_REGION", MEASURE_REGION);
    }
    match target.family {
        Family::Python => {
            // -S: no site-packages of this machine's Python, so nothing the
            // package lacks is found there (nor is a .pth file run)
            command.arg("-S");
            if importtime {
                command.args(["-X", "importtime"]);
            }
            command
                .arg("-c")
                .arg(PYTHON_HARNESS)
                .arg(root)
                .arg(tree.layers.unwrap_or(Path::new("")))
                .arg(&target.module);
            command
                .arg(IMPORTS_MARK)
                .arg(RESULT_MARK.trim_end())
                .arg(tree.provided.join(","));
        }
        Family::Node => {
            command.env("NODE_PATH", node_path(tree));
            if importtime {
                command.arg("--expose-internals");
            }
            command
                .arg("-e")
                .arg(NODE_HARNESS)
                .arg(root)
                .arg(&target.module);
            command.arg(RESULT_MARK.trim_end());
            if importtime {
                command.arg("list");
            }
        }
    }
    let output = command
        .output()
        .with_context(|| format!("running {}", interpreter.display()))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let result = stdout
        .lines()
        .rev()
        .find_map(|line| line.strip_prefix(RESULT_MARK.trim_end()))
        .and_then(|json| serde_json::from_str::<RunResult>(json.trim()).ok());
    match result {
        Some(result) if output.status.success() => Ok((result, stderr)),
        _ => {
            let reason = failure_line(&stderr);
            // Lambda provides it; this machine's Python must, to measure
            let python_missing = reason
                .strip_prefix("ModuleNotFoundError: No module named '")
                .and_then(|rest| rest.split(['\'', '.']).next())
                .filter(|top| tree.provided.iter().any(|p| p == top));
            // the runtime's AWS SDK for JavaScript has no local stand-in
            let node_missing = reason
                .strip_prefix("Error: Cannot find module '")
                .and_then(|rest| rest.split('\'').next())
                .and_then(reach::npm_package)
                .filter(|package| {
                    reach::runtimes_shipping(Language::JavaScript, package)
                        .next()
                        .is_some()
                });
            let hint = match (python_missing, node_missing) {
                (Some(top), _) => format!("; {top} comes with Lambda's Python runtime, so install it for this interpreter (`{} -m pip install {top}`) to measure", interpreter.display()),
                (_, Some(package)) => format!("; {package} comes with Lambda's Node.js runtime, which this machine does not have: install it somewhere (`npm install --prefix sdk {package}`) and pass --runtime-modules sdk/node_modules, or install it in the package"),
                _ => String::new(),
            };
            bail!(
                "importing the handler's module failed in {} ({}): {reason}{hint}",
                interpreter.display(),
                output.status
            )
        }
    }
}

/// Whether the package or a layer has the top-level module `top` on
/// Lambda's search path.
fn python_ships(tree: &Tree, top: &str) -> bool {
    let mut dirs = vec![tree.task.to_path_buf()];
    if let Some(opt) = tree.layers {
        dirs.push(opt.join("python"));
        let versions = std::fs::read_dir(opt.join("python/lib"))
            .into_iter()
            .flatten();
        dirs.extend(versions.flatten().map(|v| v.path().join("site-packages")));
    }
    dirs.iter()
        .any(|dir| dir.join(top).is_dir() || dir.join(format!("{top}.py")).is_file())
}

/// The modules a Python runtime provides beside the standard library
/// (rules/runtimes.toml): the given runtime's, else those every Python
/// runtime provides.
fn python_provided(runtime: Option<&RuntimeInfo>) -> Vec<String> {
    let of = |r: &RuntimeInfo| r.provides.get("python").cloned().unwrap_or_default();
    match runtime {
        Some(r) if r.family == "python" => of(r),
        Some(_) => Vec::new(),
        None => {
            let mut pythons = crate::rules::runtimes::all()
                .iter()
                .filter(|r| r.family == "python");
            let first = pythons.next().map(of).unwrap_or_default();
            pythons.fold(first, |common, r| {
                let theirs = of(r);
                common.into_iter().filter(|m| theirs.contains(m)).collect()
            })
        }
    }
}

/// `python3.12` vs `3.12.4`, `nodejs20.x` vs `v20.11.0`.
fn same_runtime(id: &str, version: &str) -> bool {
    let version = version.trim_start_matches('v');
    if let Some(wanted) = id.strip_prefix("python") {
        return version == wanted || version.starts_with(&format!("{wanted}."));
    }
    if let Some(wanted) = id.strip_prefix("nodejs").and_then(|v| v.strip_suffix(".x")) {
        return version.split('.').next() == Some(wanted);
    }
    true
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// The handler's imports, flattened: every module with its times, slowest
/// cumulative first (only those below the handler's own import).
fn python_modules(tree: &[ImportNode]) -> Vec<LoadedModule> {
    let mut flat: BTreeMap<String, (f64, f64)> = BTreeMap::new();
    fn walk(node: &ImportNode, flat: &mut BTreeMap<String, (f64, f64)>) {
        flat.entry(node.name.clone())
            .or_insert((node.self_us / 1000.0, node.cumulative_us / 1000.0));
        for child in &node.children {
            walk(child, flat);
        }
    }
    for node in tree {
        walk(node, &mut flat);
    }
    let mut modules: Vec<LoadedModule> = flat
        .into_iter()
        .map(|(name, (self_ms, cumulative_ms))| LoadedModule {
            name,
            self_ms: Some(self_ms),
            cumulative_ms: Some(cumulative_ms),
            bytes: None,
        })
        .collect();
    modules.sort_by(|a, b| {
        b.cumulative_ms
            .unwrap_or(0.0)
            .total_cmp(&a.cumulative_ms.unwrap_or(0.0))
            .then(a.name.cmp(&b.name))
    });
    modules
}

/// The line of a failed import's stderr that says what failed: Node's
/// `Error: Cannot find module 'x'` comes before its stack, Python's
/// `ModuleNotFoundError: …` is the traceback's last line.
fn failure_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("import time:"))
        .collect();
    let is_error = |line: &&&str| {
        let name = line.split([':', ' ', '[']).next().unwrap_or_default();
        name.ends_with("Error") || name.ends_with("Exception")
    };
    lines
        .iter()
        .rev()
        .find(is_error)
        .or(lines.last())
        .map_or_else(|| "no error output".to_string(), |l| l.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_import_is_told_by_its_error_line() {
        let node = "node:internal/modules/cjs/loader:1228\n  throw err;\n  ^\n\nError: Cannot find module 'aws-sdk'\nRequire stack:\n- /tmp/x/index.js\n    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)\n    at Module.require (node:internal/modules/cjs/loader:1289:19)\n";
        assert_eq!(failure_line(node), "Error: Cannot find module 'aws-sdk'");
        let python = "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\n  File \"/tmp/x/app.py\", line 2, in <module>\n    import requests\nModuleNotFoundError: No module named 'requests'\n";
        assert_eq!(
            failure_line(python),
            "ModuleNotFoundError: No module named 'requests'"
        );
        assert_eq!(failure_line("something odd\n"), "something odd");
        assert_eq!(failure_line(""), "no error output");
    }

    #[test]
    fn runtime_ids_match_interpreter_versions() {
        assert!(same_runtime("python3.12", "3.12.4"));
        assert!(!same_runtime("python3.1", "3.12.4"));
        assert!(!same_runtime("python3.12", "3.11.7"));
        assert!(same_runtime("nodejs20.x", "v20.20.2"));
        assert!(!same_runtime("nodejs22.x", "v20.20.2"));
    }
}
