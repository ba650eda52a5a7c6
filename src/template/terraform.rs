//! What the Terraform configurations near an artifact say about the
//! functions deployed from it: `aws_lambda_function` resources (whose
//! `filename` is the zip, often an `archive_file`'s `output_path`) and
//! calls of the terraform-aws-modules/lambda module, from the registry,
//! its git repository or a copy (`local_existing_package`, `source_path`),
//! in the root module and the local modules it calls with their
//! arguments; and how each packages the code (an `archive_file`'s
//! `excludes`, the module's `patterns` and further paths). Expressions are evaluated
//! with what a configuration defines itself: `path.module`, variables'
//! defaults and the values `terraform.tfvars` / `*.auto.tfvars` give them,
//! locals and `archive_file` data sources. Anything else (`-var`, a
//! `-var-file` per environment, a remote state) leaves that value unknown,
//! as a template's parameter does.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl::eval::{Context, Evaluate};
use hcl::{Block, Body, Expression, TraversalOperator, Value};

use super::database::{self, DatabaseRoute};
use super::{PackagedFunction, TemplateLayers, WarmStart};
use crate::artifact::{LeftOut, Packaging, Part};

/// Folders up from the artifact whose configurations are read: a zip in
/// `build/` or `lambda/` next to, or below, the folder of `.tf` files.
const LEVELS: usize = 3;

/// Subfolders of a parent beyond which they are not looked through.
const MAX_SUBFOLDERS: usize = 100;

/// Folders never holding a configuration worth reading.
const SKIPPED: [&str; 5] = [
    "node_modules",
    "target",
    "__pycache__",
    "site-packages",
    "vendor",
];

/// The module registry's Lambda module, which packages code itself.
const LAMBDA_MODULE: &str = "terraform-aws-modules/lambda/aws";
/// Its repository, for a module called from git.
const LAMBDA_REPOSITORY: &str = "terraform-aws-modules/terraform-aws-lambda";

/// A function a configuration deploys, and the code it deploys it from:
/// the zip, and for an `archive_file` zip the folder it is made of.
pub(super) struct Deployed {
    pub code: Vec<PathBuf>,
    pub function: PackagedFunction,
    /// The folders of the modules whose calls brought it in, the one
    /// declaring it first (none in the root module).
    pub called_in: Vec<PathBuf>,
}

/// The functions the configurations near `artifact` deploy from it.
pub(super) fn deploying(artifact: &Path) -> Vec<PackagedFunction> {
    let dirs = configuration_dirs(artifact);
    let configurations: Vec<(&PathBuf, Arc<Module>)> =
        dirs.iter().map(|dir| (dir, configuration(dir))).collect();
    // a module another configuration calls is not a root of its own: its
    // variables come from the call
    let canonical = |dir: &Path| dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let called: Vec<PathBuf> = configurations
        .iter()
        .flat_map(|(_, module)| module.deployed.iter().flat_map(|d| &d.called_in))
        .map(|dir| canonical(dir))
        .collect();
    configurations
        .iter()
        .filter(|(dir, _)| !called.contains(&canonical(dir)))
        .flat_map(|(_, module)| {
            module
                .deployed
                .iter()
                .filter(|d| d.code.iter().any(|code| super::same_file(code, artifact)))
                .map(|d| d.function.clone())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The code of every function the configuration in `dir` deploys (its
/// zip, else the folder an `archive_file` makes it from), when it exists.
pub(super) fn deployed_code(dir: &Path) -> Vec<PathBuf> {
    configuration(dir)
        .deployed
        .iter()
        .filter_map(|d| d.code.iter().find(|code| code.exists()).cloned())
        .collect()
}

/// How the configurations near `code` (a folder or file a function or
/// layer is made of) zip it: what an `archive_file`'s `excludes` leave
/// out, or the parts a Lambda module's `source_path` adds and its
/// `patterns` filter. Auditing the code audits the zip Terraform would
/// make; `None` when it is zipped as it is.
pub(super) fn packaging_of(code: &Path) -> Option<Packaging> {
    configuration_dirs(code).iter().find_map(|dir| {
        let module = configuration(dir);
        let archive = module
            .archives
            .iter()
            .find(|a| super::same_file(&a.source, code))
            .filter(|a| !a.excludes.is_empty())
            .map(|a| Packaging {
                parts: vec![Part {
                    path: code.to_path_buf(),
                    prefix: String::new(),
                    left_out: LeftOut::Globs(a.excludes.clone()),
                }],
            });
        archive.or_else(|| {
            module
                .packagings
                .iter()
                .find(|(first, _)| super::same_file(first, code))
                .map(|(_, packaging)| packaging.clone())
        })
    })
}

/// Folders holding `.tf` files near the artifact: looked for once per
/// folder artifacts are in (a folder of 300 jars is one search).
fn configuration_dirs(artifact: &Path) -> Arc<Vec<PathBuf>> {
    static FOUND: std::sync::OnceLock<super::ReadOnce<Vec<PathBuf>>> = std::sync::OnceLock::new();
    let Ok(artifact) = std::path::absolute(artifact) else {
        return Arc::default();
    };
    let artifact = normalized(&artifact);
    let Some(parent) = artifact.parent() else {
        return Arc::default();
    };
    super::read_once(
        FOUND.get_or_init(Default::default),
        parent,
        configurations_from,
    )
}

/// Folders holding `.tf` files: `folder` and its parents up to `LEVELS`
/// (or to the repository's root), the folders directly in them (`infra/`
/// beside `build/`) but for shared ones (`/tmp`, home), and a few levels
/// below those named for infrastructure (`infra/envs/prod/`).
fn configurations_from(folder: &Path) -> Vec<PathBuf> {
    // folders whose subfolders are anything but a project's: `/`, the
    // home folder, the temporary folder
    let shared = [
        Some(PathBuf::from("/")),
        std::env::var_os("HOME").map(PathBuf::from),
        Some(std::env::temp_dir()),
    ];
    let mut found = Vec::new();
    for ancestor in folder.ancestors().take(LEVELS) {
        if ancestor.parent().is_none() {
            break;
        }
        let mut candidates = vec![ancestor.to_path_buf()];
        let scanned = !shared.iter().flatten().any(|s| s == ancestor);
        if let Some(entries) = scanned.then(|| std::fs::read_dir(ancestor).ok()).flatten() {
            let mut children: Vec<PathBuf> = entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .filter(|e| looked_through(&e.file_name().to_string_lossy()))
                .map(|e| e.path())
                .collect();
            // a project has a handful of folders; one with hundreds
            // (/usr/share, a folder of builds) holds no project's infra/
            if children.len() <= MAX_SUBFOLDERS {
                children.sort();
                candidates.extend(children);
            }
        }
        // an infrastructure folder keeps its configurations deeper
        // (`infra/envs/prod/`, `terraform/environments/dev/`)
        let nested: Vec<PathBuf> = candidates
            .iter()
            .filter(|dir| is_infrastructure_folder(dir))
            .flat_map(|dir| subfolders(dir))
            .collect();
        for dir in candidates.into_iter().chain(nested) {
            if !found.contains(&dir) && !tf_files(&dir).is_empty() {
                found.push(dir);
            }
        }
        if ancestor.join(".git").exists() {
            break;
        }
    }
    found
}

/// Folder names projects keep their infrastructure code under.
const INFRASTRUCTURE_FOLDERS: [&str; 9] = [
    "terraform",
    "infra",
    "infrastructure",
    "iac",
    "tf",
    "deploy",
    "deployment",
    "deployments",
    "ops",
];

/// How deep below an infrastructure folder configurations are looked for,
/// and how many folders at most.
const INFRASTRUCTURE_DEPTH: usize = 3;
const INFRASTRUCTURE_FOLDERS_READ: usize = 200;

/// A folder name configurations may be below: not hidden (`.terraform/`,
/// where `terraform init` puts the modules it downloads, `.git/`) nor one
/// of `SKIPPED`.
fn looked_through(name: &str) -> bool {
    !name.starts_with('.') && !SKIPPED.contains(&name)
}

fn is_infrastructure_folder(dir: &Path) -> bool {
    dir.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| INFRASTRUCTURE_FOLDERS.contains(&n.to_ascii_lowercase().as_str()))
}

/// The folders below `dir`, a few levels down, that are looked through.
fn subfolders(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .max_depth(INFRASTRUCTURE_DEPTH)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.file_type().is_dir() && looked_through(&e.file_name().to_string_lossy())
        })
        .filter_map(|e| e.ok())
        .take(INFRASTRUCTURE_FOLDERS_READ)
        .map(|e| e.into_path())
        .collect()
}

/// `infra/./../build/orders.zip` → `build/orders.zip`: how
/// `${path.module}/../build` reads once joined, as Terraform's own
/// messages name it.
fn normalized(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

fn tf_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "tf") && p.is_file())
        .collect();
    files.sort();
    files
}

/// The functions the configuration in `dir` deploys, read once per run.
fn configuration(dir: &Path) -> Arc<Module> {
    static READ: std::sync::OnceLock<super::ReadOnce<Module>> = std::sync::OnceLock::new();
    super::read_once(READ.get_or_init(Default::default), dir, read_configuration)
}

fn read_configuration(dir: &Path) -> Module {
    read_module(dir, Path::new("."), tfvars(dir), "", 0)
}

/// What a module and the local modules it calls deploy, the
/// `archive_file` zips they make, and how Lambda module calls package
/// code that is more than a folder zipped whole.
struct Module {
    deployed: Vec<Deployed>,
    archives: Vec<Archive>,
    packagings: Vec<(PathBuf, Packaging)>,
}

/// How deep local module calls are followed.
const MODULE_DEPTH: usize = 3;

/// The functions one module deploys (the root module is `.`), its
/// variables `given` by its caller, and those of the local modules it
/// calls (`source = "./modules/lambda"`). Their addresses start with
/// `prefix` (`module.orders.`).
fn read_module(
    root: &Path,
    module: &Path,
    given: hcl::Map<String, Value>,
    prefix: &str,
    depth: usize,
) -> Module {
    // a file Terraform itself would reject is left out; the rest still reads
    let bodies: Vec<Body> = tf_files(&root.join(module))
        .iter()
        .filter_map(|file| hcl::parse(&std::fs::read_to_string(file).ok()?).ok())
        .collect();
    let blocks: Vec<&Block> = bodies.iter().flat_map(Body::blocks).collect();
    let context = context(root, module, &blocks, given);
    let archives = archive_sources(&blocks, &context, root);
    let caller = root.join(module);
    let mut packagings = module_packagings(&blocks, &context, root, &caller);
    let configuration = Configuration {
        dir: root,
        caller: &caller,
        blocks: &blocks,
        archives: &archives,
    };
    let mut deployed = Vec::new();
    let mut called_archives = Vec::new();
    for block in &blocks {
        let address = match (block.identifier(), &labels(block)[..]) {
            ("resource", ["aws_lambda_function", name]) => {
                format!("{prefix}aws_lambda_function.{name}")
            }
            ("module", [name]) => format!("{prefix}module.{name}"),
            _ => continue,
        };
        // `count = 0` (`var.enabled ? 1 : 0`): none made
        let count = value(block.body(), "count", &context);
        if count.as_ref().and_then(Value::as_u64) == Some(0) {
            continue;
        }
        // `for_each`: one function per entry, `each.key` and `each.value` set
        let instances: Vec<(Context, String)> = match attribute(block.body(), "for_each") {
            None => vec![(context.clone(), address)],
            Some(for_each) => {
                let entries: Vec<(String, Value)> = match for_each.evaluate(&context) {
                    Ok(Value::Object(map)) => map.into_iter().collect(),
                    Ok(Value::Array(items)) => items
                        .into_iter()
                        .filter_map(|item| Some((item.as_str()?.to_string(), item)))
                        .collect(),
                    _ => Vec::new(),
                };
                entries
                    .into_iter()
                    .map(|(key, value)| {
                        let mut each = context.clone();
                        let fields: hcl::Map<String, Value> = [
                            ("key".to_string(), Value::from(key.clone())),
                            ("value".to_string(), value),
                        ]
                        .into_iter()
                        .collect();
                        each.declare_var("each", Value::Object(fields));
                        (each, format!("{address}[\"{key}\"]"))
                    })
                    .collect()
            }
        };
        for (context, address) in instances {
            match configuration.local_module(block, &context, module) {
                Some(source) if depth < MODULE_DEPTH => {
                    let arguments: hcl::Map<String, Value> = block
                        .body()
                        .attributes()
                        .filter(|a| !matches!(a.key(), "source" | "for_each" | "version"))
                        .filter_map(|a| {
                            Some((a.key().to_string(), a.expr().evaluate(&context).ok()?))
                        })
                        .collect();
                    let prefix = format!("{address}.");
                    let called = read_module(root, &source, arguments, &prefix, depth + 1);
                    called_archives.extend(called.archives);
                    packagings.extend(called.packagings);
                    deployed.extend(called.deployed.into_iter().map(|mut d| {
                        d.called_in.push(normalized(&root.join(&source)));
                        d
                    }));
                }
                Some(_) => {}
                None => deployed.extend(configuration.function(block, &context, address)),
            }
        }
    }
    let mut archives = archives;
    archives.extend(called_archives);
    Module {
        deployed,
        archives,
        packagings,
    }
}

/// One configuration's parsed blocks and `archive_file` zips.
struct Configuration<'c> {
    dir: &'c Path,
    /// The folder of the module whose blocks these are.
    caller: &'c Path,
    blocks: &'c [&'c Block],
    archives: &'c [Archive],
}

impl Configuration<'_> {
    /// A module call's folder from the root, when its `source` is a local
    /// path (`./modules/lambda`, relative to the calling module).
    fn local_module(&self, block: &Block, context: &Context, caller: &Path) -> Option<PathBuf> {
        if block.identifier() != "module" {
            return None;
        }
        let source = value(block.body(), "source", context)?;
        let source = source.as_str()?;
        // a copy of the Lambda module is called as the module is
        let local = (source.starts_with("./") || source.starts_with("../"))
            && !is_lambda_module(block.body(), context, self.caller);
        local.then(|| normalized(&caller.join(source)))
    }

    /// The configuration's resources of one type, with their names.
    fn resources<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = (&'a str, &'a Body)> + 'a {
        self.blocks.iter().filter_map(move |b| match labels(b)[..] {
            [k, name] if b.identifier() == "resource" && k == kind => Some((name, b.body())),
            _ => None,
        })
    }

    /// The function an `aws_lambda_function` resource or a Lambda module
    /// call deploys, its expressions evaluated in `context`; None for
    /// another module, or code not on this machine (an `s3_key` no
    /// `aws_s3_object` of the configuration uploads, `image_uri`).
    fn function(&self, block: &Block, context: &Context, address: String) -> Option<Deployed> {
        let body = block.body();
        let string = |key: &str| value(body, key, context)?.as_str().map(str::to_string);
        let (code, environment, layers, warm_start) = if block.identifier() == "resource" {
            let zip = path_value(body, "filename", context, self.dir)
                .or_else(|| self.uploaded_zip(body, context))?;
            let mut code = vec![zip.clone()];
            code.extend(archive_source(&zip, self.archives));
            let environment = body
                .blocks()
                .find(|b| b.identifier() == "environment")
                .and_then(|b| attribute(b.body(), "variables"));
            let warm_start = self.resource_warm_start(block, context);
            (
                code,
                environment,
                self.local_layers(body, context),
                warm_start,
            )
        } else {
            if !is_lambda_module(body, context, self.caller) {
                return None;
            }
            // the module makes a layer, or nothing, instead of a function
            let flag = |key: &str| value(body, key, context);
            if flag("create_layer") == Some(Value::Bool(true))
                || flag("create_function") == Some(Value::Bool(false))
                || flag("create") == Some(Value::Bool(false))
            {
                return None;
            }
            let code = self.module_code(body, context);
            if code.is_empty() {
                return None;
            }
            let layers = self.local_layers(body, context);
            let warm_start = if flag("snap_start") == Some(Value::Bool(true)) {
                Some(WarmStart::SnapStart)
            } else {
                // the module's default, -1, is none
                let executions = flag("provisioned_concurrent_executions");
                executions
                    .and_then(|v| v.as_i64())
                    .is_some_and(|n| n > 0)
                    .then_some(WarmStart::ProvisionedConcurrency)
            };
            (
                code,
                attribute(body, "environment_variables"),
                layers,
                warm_start,
            )
        };
        let architectures = value(body, "architectures", context);
        let environment_values = environment
            .and_then(|e| e.evaluate(context).ok())
            .and_then(|value| match value {
                Value::Object(map) => Some(
                    map.into_iter()
                        .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
                        .collect(),
                ),
                _ => None,
            })
            .unwrap_or_default();
        Some(Deployed {
            code,
            called_in: Vec::new(),
            function: PackagedFunction {
                name: string("function_name").unwrap_or(address),
                handler: string("handler"),
                runtime: string("runtime"),
                arm64: architectures
                    .as_ref()
                    .and_then(|a| a.as_array()?.first()?.as_str().map(|a| a == "arm64")),
                database: environment.and_then(|e| database_route(e, context)),
                environment: environment_values,
                layers,
                warm_start,
            },
        })
    }

    /// How an `aws_lambda_function`'s cold starts skip init: its
    /// `snap_start` block, or an `aws_lambda_provisioned_concurrency_config`
    /// whose `function_name` names it (by reference, by value, or through
    /// an alias of it).
    fn resource_warm_start(&self, block: &Block, context: &Context) -> Option<WarmStart> {
        let body = block.body();
        let snap_start = body
            .blocks()
            .find(|b| b.identifier() == "snap_start")
            .and_then(|b| value(b.body(), "apply_on", context))
            .is_some_and(|v| v.as_str() == Some("PublishedVersions"));
        if snap_start {
            return Some(WarmStart::SnapStart);
        }
        let name = labels(block).get(1).copied().unwrap_or_default();
        let function_name = value(body, "function_name", context);
        let names_function = |named: &Expression| {
            refers_to(named, "aws_lambda_function", name)
                || (function_name.is_some() && named.evaluate(context).ok() == function_name)
        };
        let of_function = |named: &Expression| {
            names_function(named)
                || self.resources("aws_lambda_alias").any(|(alias, body)| {
                    refers_to(named, "aws_lambda_alias", alias)
                        && attribute(body, "function_name").is_some_and(names_function)
                })
        };
        self.resources("aws_lambda_provisioned_concurrency_config")
            .any(|(_, body)| attribute(body, "function_name").is_some_and(of_function))
            .then_some(WarmStart::ProvisionedConcurrency)
    }

    /// A function's `layers`: each `aws_lambda_layer_version.NAME.arn` whose
    /// `filename` (or the folder its `archive_file` zips) is on disk is a
    /// local layer; anything else (an ARN, a variable) is elsewhere.
    fn local_layers(&self, body: &Body, context: &Context) -> TemplateLayers {
        let mut layers = TemplateLayers::default();
        let Some(Expression::Array(items)) = attribute(body, "layers") else {
            return layers;
        };
        for item in items {
            match self.layer_code(item, context) {
                Some(code) => layers.local.push(code),
                None => layers.elsewhere += 1,
            }
        }
        layers
    }

    /// The code a Lambda module call packages: its `local_existing_package`,
    /// and its `source_path`, a folder or the first of a list of them
    /// (`[{ path = "src", pip_requirements = true }]`).
    fn module_code(&self, body: &Body, context: &Context) -> Vec<PathBuf> {
        let package = value(body, "local_existing_package", context)
            .and_then(|v| v.as_str().map(|path| normalized(&self.dir.join(path))));
        let source = module_sources(body, context, self.dir)
            .into_iter()
            .next()
            .map(|part| part.path);
        package.into_iter().chain(source).collect()
    }

    /// The zip a function deployed from S3 (`s3_key =
    /// aws_s3_object.NAME.key`) has uploaded from disk: that object's
    /// `source`.
    fn uploaded_zip(&self, body: &Body, context: &Context) -> Option<PathBuf> {
        let key = attribute(body, "s3_key")?;
        let (_, object) = ["aws_s3_object", "aws_s3_bucket_object"]
            .iter()
            .flat_map(|kind| {
                self.resources(kind)
                    .map(move |(name, body)| (*kind, name, body))
            })
            .find(|(kind, name, _)| refers_to(key, kind, name))
            .map(|(_, name, body)| (name, body))?;
        path_value(object, "source", context, self.dir)
    }

    /// A layer's code on disk: the zip (or `archive_file` folder) of an
    /// `aws_lambda_layer_version.NAME.arn`, or the folder or zip of a
    /// Lambda module call that makes the layer (`module.NAME.lambda_layer_arn`,
    /// `create_layer = true`), whose `source_path` folder is zipped as it is.
    fn layer_code(&self, item: &Expression, context: &Context) -> Option<PathBuf> {
        match layer_reference(item)? {
            ("aws_lambda_layer_version", name) => {
                let (_, body) = self
                    .resources("aws_lambda_layer_version")
                    .find(|(layer, _)| *layer == name)?;
                code_on_disk(
                    &path_value(body, "filename", context, self.dir)?,
                    self.archives,
                )
            }
            (_, name) => {
                let block = self
                    .blocks
                    .iter()
                    .find(|b| b.identifier() == "module" && labels(b)[..] == [name])?;
                let body = block.body();
                if !is_lambda_module(body, context, self.caller) {
                    return None;
                }
                self.module_code(body, context)
                    .into_iter()
                    .find(|code| code.exists())
            }
        }
    }
}

fn labels(block: &Block) -> Vec<&str> {
    block.labels().iter().map(|l| l.as_str()).collect()
}

fn attribute<'b>(body: &'b Body, key: &str) -> Option<&'b Expression> {
    body.attributes().find(|a| a.key() == key).map(|a| a.expr())
}

/// An attribute's value, when the configuration's own values give it one.
fn value(body: &Body, key: &str, context: &Context) -> Option<Value> {
    attribute(body, key)?.evaluate(context).ok()
}

/// A path attribute, joined to the folder Terraform runs in.
fn path_value(body: &Body, key: &str, context: &Context, dir: &Path) -> Option<PathBuf> {
    Some(normalized(&dir.join(value(body, key, context)?.as_str()?)))
}

/// What a Lambda module call's `source_path` zips: a path, or each item
/// of its list form that names one (`{ path, prefix_in_zip, patterns }`),
/// as paths from `dir`. The first is the function's code.
fn module_sources(body: &Body, context: &Context, dir: &Path) -> Vec<Part> {
    let part = |path: &str, prefix: Option<String>, patterns: Vec<String>| Part {
        path: normalized(&dir.join(path)),
        prefix: prefix.unwrap_or_default(),
        left_out: match patterns.is_empty() {
            true => LeftOut::Nothing,
            false => LeftOut::Patterns(patterns),
        },
    };
    match value(body, "source_path", context) {
        Some(Value::Array(items)) => items
            .into_iter()
            .filter_map(|item| match item {
                Value::String(path) => Some(part(&path, None, Vec::new())),
                Value::Object(mut fields) => {
                    let Some(Value::String(path)) = fields.swap_remove("path") else {
                        return None;
                    };
                    // a list, or one pattern a line (a heredoc)
                    let patterns = match fields.swap_remove("patterns") {
                        Some(Value::Array(patterns)) => patterns
                            .iter()
                            .filter_map(|p| p.as_str().map(str::to_string))
                            .collect(),
                        Some(Value::String(lines)) => lines
                            .lines()
                            .map(str::trim)
                            .filter(|line| !line.is_empty())
                            .map(str::to_string)
                            .collect(),
                        _ => Vec::new(),
                    };
                    let prefix = match fields.swap_remove("prefix_in_zip") {
                        Some(Value::String(prefix)) => Some(prefix),
                        _ => None,
                    };
                    Some(part(&path, prefix, patterns))
                }
                _ => None,
            })
            .collect(),
        Some(Value::String(path)) => vec![part(&path, None, Vec::new())],
        _ => Vec::new(),
    }
}

/// How the Lambda module calls of a configuration package their code,
/// by the function's code (the first path), when that is more than the
/// folder zipped whole: `patterns`, or more than one path.
fn module_packagings(
    blocks: &[&Block],
    context: &Context,
    dir: &Path,
    caller: &Path,
) -> Vec<(PathBuf, Packaging)> {
    blocks
        .iter()
        .filter(|b| b.identifier() == "module" && is_lambda_module(b.body(), context, caller))
        .filter_map(|b| {
            let parts = module_sources(b.body(), context, dir);
            let plain = matches!(&parts[..], [one] if one.prefix.is_empty() && one.left_out == LeftOut::Nothing);
            let first = parts.first()?.path.clone();
            (!plain).then_some((first, Packaging { parts }))
        })
        .collect()
}

/// Whether a module call is terraform-aws-modules/lambda's.
/// `caller`: the folder of the module that calls it, which a local
/// `source` is relative to.
fn is_lambda_module(body: &Body, context: &Context, caller: &Path) -> bool {
    let Some(Value::String(source)) = value(body, "source", context) else {
        return false;
    };
    is_lambda_module_source(&source)
        || ((source.starts_with("./") || source.starts_with("../"))
            && is_lambda_module_copy(&caller.join(&source)))
}

/// A local copy of the Lambda module (its own examples call it as
/// `source = "../../"`): a folder with the module's packaging script and
/// its `source_path` and `local_existing_package` variables.
fn is_lambda_module_copy(folder: &Path) -> bool {
    folder.join("package.py").is_file()
        && std::fs::read_to_string(folder.join("variables.tf")).is_ok_and(|text| {
            text.contains("variable \"source_path\"")
                && text.contains("variable \"local_existing_package\"")
        })
}

/// The Lambda module from the registry (`terraform-aws-modules/lambda/aws`,
/// also with the registry's host) or from its git repository
/// (`git::https://github.com/terraform-aws-modules/terraform-aws-lambda.git?ref=v7.20.0`,
/// `git@github.com:…`); not one of its submodules (`…//modules/alias`).
fn is_lambda_module_source(source: &str) -> bool {
    let source = source.trim_start_matches("git::");
    let source = source.split_once("://").map_or(source, |(_, rest)| rest);
    let source = source.split('?').next().unwrap_or(source);
    if source.contains("//") {
        return false;
    }
    let source = source.trim_start_matches("registry.terraform.io/");
    let repository = source.trim_end_matches(".git").replace(':', "/");
    source == LAMBDA_MODULE || repository.ends_with(&format!("/{LAMBDA_REPOSITORY}"))
}

/// What a configuration's own expressions can be evaluated with: `path.*`
/// (the folder Terraform runs in, for a root module), variables' values
/// (defaults, then the tfvars files Terraform loads by itself), locals (in rounds, as they refer to each other) and the
/// `archive_file` data sources' arguments.
fn context(
    root: &Path,
    module: &Path,
    blocks: &[&Block],
    given: hcl::Map<String, Value>,
) -> Context<'static> {
    let mut context = Context::new();
    // the root module's path is `.`, a local module's its folder from
    // there: paths are relative to where Terraform runs, and are joined to
    // `root` when read
    let cwd = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let path: hcl::Map<String, Value> = [
        ("module", module.to_string_lossy().into_owned()),
        ("root", ".".to_string()),
        ("cwd", cwd.to_string_lossy().into_owned()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_string(), Value::from(value)))
    .collect();
    context.declare_var("path", Value::Object(path));
    declare_functions(&mut context);
    let mut variables: hcl::Map<String, Value> = blocks
        .iter()
        .filter(|b| b.identifier() == "variable")
        .filter_map(|b| {
            let [name] = labels(b)[..] else { return None };
            let default = value(b.body(), "default", &context)?;
            Some((name.to_string(), default))
        })
        .collect();
    variables.extend(given);
    context.declare_var("var", Value::Object(variables));
    let locals: Vec<&hcl::Attribute> = blocks
        .iter()
        .filter(|b| b.identifier() == "locals")
        .flat_map(|b| b.body().attributes())
        .collect();
    let mut known = hcl::Map::new();
    for _round in 0..4 {
        context.declare_var("local", Value::Object(known.clone()));
        let before = known.len();
        for local in &locals {
            if !known.contains_key(local.key()) {
                if let Ok(value) = local.expr().evaluate(&context) {
                    known.insert(local.key().to_string(), value);
                }
            }
        }
        if known.len() == before {
            break;
        }
    }
    context.declare_var("local", Value::Object(known));
    let archives: hcl::Map<String, Value> = blocks
        .iter()
        .filter(|b| b.identifier() == "data")
        .filter_map(|b| {
            let ["archive_file", name] = labels(b)[..] else {
                return None;
            };
            let arguments: hcl::Map<String, Value> = b
                .body()
                .attributes()
                .filter_map(|a| Some((a.key().to_string(), a.expr().evaluate(&context).ok()?)))
                .collect();
            Some((name.to_string(), Value::Object(arguments)))
        })
        .collect();
    let data: hcl::Map<String, Value> = [("archive_file".to_string(), Value::Object(archives))]
        .into_iter()
        .collect();
    context.declare_var("data", Value::Object(data));
    context
}

/// The few of Terraform's functions that name code and functions:
/// conversions (`toset(["orders", "worker"])` for `for_each`), `abspath`
/// (a path is read relative to the configuration either way) and case.
fn declare_functions(context: &mut Context) {
    use hcl::eval::{FuncArgs, FuncDef, ParamType};
    fn same(args: FuncArgs) -> Result<Value, String> {
        Ok(args[0].clone())
    }
    fn lower(args: FuncArgs) -> Result<Value, String> {
        Ok(Value::from(
            args[0].as_str().unwrap_or_default().to_lowercase(),
        ))
    }
    fn upper(args: FuncArgs) -> Result<Value, String> {
        Ok(Value::from(
            args[0].as_str().unwrap_or_default().to_uppercase(),
        ))
    }
    let any = || FuncDef::builder().param(ParamType::Any);
    let string = || FuncDef::builder().param(ParamType::String);
    for name in ["toset", "tolist", "tomap"] {
        context.declare_func(name, any().build(same));
    }
    context.declare_func("abspath", string().build(same));
    context.declare_func("lower", string().build(lower));
    context.declare_func("upper", string().build(upper));
}

/// What the variable files Terraform reads without being told set,
/// later files winning.
fn tfvars(dir: &Path) -> hcl::Map<String, Value> {
    let context = Context::new();
    let mut values = hcl::Map::new();
    for file in variable_files(dir) {
        let Some(body) = std::fs::read_to_string(&file)
            .ok()
            .and_then(|text| hcl::parse(&text).ok())
        else {
            continue;
        };
        for assigned in body.attributes() {
            if let Ok(value) = assigned.expr().evaluate(&context) {
                values.insert(assigned.key().to_string(), value);
            }
        }
    }
    values
}

/// The variable files Terraform reads without being told:
/// `terraform.tfvars`, then the `*.auto.tfvars` in name order.
fn variable_files(dir: &Path) -> Vec<PathBuf> {
    let mut auto: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".auto.tfvars"))
        .collect();
    auto.sort();
    let mut files = vec![dir.join("terraform.tfvars")];
    files.extend(auto);
    files
}

/// An `archive_file`: the zip it writes, the folder or file it zips
/// (`source_dir`, `source_file`) and what it leaves out of a folder.
struct Archive {
    zip: PathBuf,
    source: PathBuf,
    excludes: Vec<String>,
}

/// Each `archive_file` of a configuration: auditing its folder audits
/// what the zip will hold.
fn archive_sources(blocks: &[&Block], context: &Context, dir: &Path) -> Vec<Archive> {
    blocks
        .iter()
        .filter(|b| b.identifier() == "data" && labels(b).first() == Some(&"archive_file"))
        .filter_map(|b| {
            let path = |key: &str| path_value(b.body(), key, context, dir);
            let excludes = value(b.body(), "excludes", context)
                .and_then(|v| match v {
                    Value::Array(items) => Some(
                        items
                            .iter()
                            .filter_map(|i| i.as_str().map(str::to_string))
                            .collect(),
                    ),
                    _ => None,
                })
                .unwrap_or_default();
            Some(Archive {
                zip: path("output_path")?,
                // a folder, or one file zipped alone
                source: path("source_dir").or_else(|| path("source_file"))?,
                excludes,
            })
        })
        .collect()
}

/// The folder an `archive_file` zips into `zip`.
fn archive_source(zip: &Path, archives: &[Archive]) -> Option<PathBuf> {
    archives
        .iter()
        .find(|a| super::same_file(&a.zip, zip))
        .map(|a| a.source.clone())
}

/// The zip when it is there (Terraform has run), else the folder an
/// `archive_file` makes it of.
fn code_on_disk(zip: &Path, archives: &[Archive]) -> Option<PathBuf> {
    if zip.exists() {
        return Some(zip.to_path_buf());
    }
    archive_source(zip, archives).filter(|source| source.exists())
}

/// Where an `environment` object's values point database connections: a
/// reference to an RDS resource (`aws_db_proxy.main.endpoint`), or an RDS
/// hostname.
fn database_route(environment: &Expression, context: &Context) -> Option<DatabaseRoute> {
    let Expression::Object(variables) = environment else {
        return None;
    };
    database::combine(variables.values().filter_map(|value| {
        if let Expression::Traversal(traversal) = value {
            if let Expression::Variable(root) = &traversal.expr {
                return database::of_terraform_type(root.as_str());
            }
        }
        database::of_host(value.evaluate(context).ok()?.as_str()?)
    }))
}

/// Whether `expression` reads an attribute of the resource `kind.name`
/// (`aws_lambda_function.orders.function_name`).
fn refers_to(expression: &Expression, kind: &str, name: &str) -> bool {
    let Expression::Traversal(traversal) = expression else {
        return false;
    };
    matches!(&traversal.expr, Expression::Variable(root) if root.as_str() == kind)
        && matches!(traversal.operators.first(), Some(TraversalOperator::GetAttr(n)) if n.as_str() == name)
}

/// A layer a function names by reference: `aws_lambda_layer_version.NAME.arn`
/// or a module's `module.NAME.lambda_layer_arn`, as (kind, NAME).
fn layer_reference(item: &Expression) -> Option<(&str, &str)> {
    let Expression::Traversal(traversal) = item else {
        return None;
    };
    let Expression::Variable(root) = &traversal.expr else {
        return None;
    };
    let [TraversalOperator::GetAttr(name), TraversalOperator::GetAttr(output)] =
        traversal.operators.as_slice()
    else {
        return None;
    };
    match (root.as_str(), output.as_str()) {
        ("aws_lambda_layer_version", "arn") => Some(("aws_lambda_layer_version", name.as_str())),
        ("module", "lambda_layer_arn" | "lambda_layer_layer_arn") => {
            Some(("module", name.as_str()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lambda_module_is_known_from_the_registry_or_its_repository() {
        for source in [
            "terraform-aws-modules/lambda/aws",
            "registry.terraform.io/terraform-aws-modules/lambda/aws",
            "git::https://github.com/terraform-aws-modules/terraform-aws-lambda.git?ref=v7.20.0",
            "github.com/terraform-aws-modules/terraform-aws-lambda",
            "git@github.com:terraform-aws-modules/terraform-aws-lambda.git",
        ] {
            assert!(is_lambda_module_source(source), "{source}");
        }
        for source in [
            "terraform-aws-modules/lambda/aws//modules/alias",
            "git::https://github.com/terraform-aws-modules/terraform-aws-lambda.git//modules/deploy?ref=v7.20.0",
            "terraform-aws-modules/s3-bucket/aws",
            "github.com/example/terraform-aws-lambda-wrapper",
        ] {
            assert!(!is_lambda_module_source(source), "{source}");
        }
    }
}
