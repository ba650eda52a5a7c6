//! What the SAM templates (`template.yaml`) and Serverless Framework files
//! (`serverless.yml`) beside an artifact say about its function: runtime,
//! handler, and the layers it is given. Runtime and handler are plain
//! `Key: value` lines; the layers come from the parsed SAM template, whose
//! `!Ref` tags serde_norway keeps as tagged values. For a zip `serverless
//! package` wrote, the CloudFormation template it compiled beside it gives
//! all three for each function deployed from that zip, and so do the stack
//! templates `cdk synth` writes into cdk.out for each asset folder and the
//! Terraform configurations near the artifact (`terraform`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;
use serde_norway::Value;

use crate::rules::runtimes;

pub mod database;
mod serverless;
mod terraform;

pub use database::DatabaseRoute;

/// Template file names deadweight reads: SAM and Serverless Framework.
const TEMPLATE_NAMES: [&str; 4] = [
    "template.yaml",
    "template.yml",
    "serverless.yml",
    "serverless.yaml",
];

/// What `serverless package` compiles beside the zips it writes
/// (`.serverless/`): the functions and layers as they will be deployed,
/// with the plugins' additions and every variable resolved.
const SERVERLESS_COMPILED: &str = "cloudformation-template-update-stack.json";

/// A function `serverless package` or `cdk synth` compiled to deploy from
/// the artifact (its `Code.S3Key` names the zip, or its `aws:asset:path`
/// the asset folder), or a Terraform configuration deploys from it.
#[derive(Clone, Debug, Default)]
pub struct PackagedFunction {
    /// What the function is called: its CDK construct path
    /// (`OrdersStack/Api`), else its `FunctionName` (Terraform's
    /// `function_name`), else its logical id (`aws_lambda_function.orders`).
    pub name: String,
    pub handler: Option<String>,
    pub runtime: Option<String>,
    /// `Architectures: ["arm64"]`; None when the function leaves Lambda's default.
    pub arm64: Option<bool>,
    pub environment: std::collections::BTreeMap<String, String>,
    pub layers: TemplateLayers,
    /// How cold starts skip init, when the deployment sets it up.
    pub warm_start: Option<WarmStart>,
    /// Where its environment points database connections, when it names
    /// an RDS endpoint.
    pub database: Option<DatabaseRoute>,
}

/// A deployment setting that spares cold starts the function's init.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WarmStart {
    /// Cold starts resume from a snapshot taken after init.
    SnapStart,
    /// Environments initialised ahead of invocations.
    ProvisionedConcurrency,
}

/// How the function's cold starts skip init: what a compiled template or
/// Terraform sets for it, else a SAM or Serverless template's
/// `SnapStart: {ApplyOn: PublishedVersions}`, `ProvisionedConcurrencyConfig:`
/// (SAM, on the function's alias), `snapStart: true` or
/// `provisionedConcurrency: 3` (Serverless).
pub fn warm_start(packaged: Option<&PackagedFunction>, templates: &[String]) -> Option<WarmStart> {
    packaged
        .and_then(|f| f.warm_start)
        .or_else(|| warm_start_in(templates))
}

fn warm_start_in(templates: &[String]) -> Option<WarmStart> {
    let any = |key: &str, set: &dyn Fn(&str) -> bool| {
        templates
            .iter()
            .any(|text| template_values(text, key).any(|value| set(value.trim())))
    };
    if any("applyOn", &|v| v == "PublishedVersions") || any("snapStart", &|v| v == "true") {
        return Some(WarmStart::SnapStart);
    }
    let positive = |v: &str| v.parse::<u32>().is_ok_and(|n| n > 0);
    if any("provisionedConcurrencyConfig", &|_| true) || any("provisionedConcurrency", &positive) {
        return Some(WarmStart::ProvisionedConcurrency);
    }
    None
}

/// The template files that may describe the artifact, read once: those
/// inside a folder, then those beside it (beside a zip).
pub struct Templates {
    /// The artifact's own folder name, which a SAM `CodeUri` names.
    folder: String,
    /// Those inside the artifact's folder.
    inside: Vec<String>,
    /// The folder beside the artifact, and the templates there.
    beside: Option<(PathBuf, Vec<String>)>,
    /// The functions a compiled Serverless or CDK template deploys from the
    /// artifact.
    packaged: Vec<PackagedFunction>,
}

impl Templates {
    pub fn read(path: &Path) -> Templates {
        let mut beside = path
            .parent()
            .map(|dir| (dir.to_path_buf(), read_templates(dir)));
        if beside.as_ref().is_some_and(|(_, texts)| texts.is_empty()) && !path.is_dir() {
            beside = template_above(path).or(beside);
        }
        Templates {
            folder: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            inside: if path.is_dir() {
                read_templates(path)
            } else {
                Vec::new()
            },
            beside,
            packaged: packaged_functions(path),
        }
    }

    /// The compiled function deployed from the artifact with
    /// this handler; without one, its only function.
    pub fn packaged(&self, handler: Option<&str>) -> Option<&PackagedFunction> {
        match (handler, self.packaged.as_slice()) {
            (Some(handler), functions) => functions
                .iter()
                .find(|f| f.handler.as_deref() == Some(handler)),
            (None, [only]) => Some(only),
            (None, _) => None,
        }
    }

    /// The names of the functions compiled templates deploy from the artifact.
    pub fn packaged_names(&self) -> Vec<String> {
        self.packaged.iter().map(|f| f.name.clone()).collect()
    }

    /// The runtime of the packaged function, or the one every function
    /// deployed from the artifact runs on.
    pub fn packaged_runtime(&self, function: Option<&PackagedFunction>) -> Option<String> {
        if let Some(runtime) = function.and_then(|f| f.runtime.clone()) {
            return Some(runtime);
        }
        let first = self.packaged.first()?.runtime.clone()?;
        self.packaged
            .iter()
            .all(|f| f.runtime.as_ref() == Some(&first))
            .then_some(first)
    }

    /// The layers the templates give the function: its SAM template's
    /// (see `layers`), else those `serverless package` or `cdk synth`
    /// compiled for it.
    pub fn function_layers(
        &self,
        path: &Path,
        function: Option<&PackagedFunction>,
    ) -> Option<TemplateLayers> {
        layers(path, self).or_else(|| function.map(|f| f.layers.clone()))
    }

    /// The templates' text that describes the artifact: those inside a
    /// folder; for a folder with none inside (what `sam build` writes,
    /// `.aws-sam/build/HelloWorldFunction/`) the part of the template
    /// beside it that describes the function whose CodeUri is that folder;
    /// for a zip, the part that describes the function deployed from it
    /// (SAM `CodeUri`, Serverless `package.artifact`), else the templates
    /// beside it whole.
    pub fn texts(&self, path: &Path) -> Vec<String> {
        let beside = self.beside.iter().flat_map(|(_, texts)| texts);
        let parts: Vec<String> = beside
            .clone()
            .flat_map(|text| function_part(text, &self.folder))
            .collect();
        if !path.is_dir() {
            return match parts.is_empty() {
                true => beside.cloned().collect(),
                false => parts,
            };
        }
        if !self.inside.is_empty() {
            return self.inside.clone();
        }
        parts
    }

    /// Where the function's environment points database connections: the
    /// config's `[function.environment]`, what a compiled template or
    /// Terraform gives the function, the SAM or Serverless templates'
    /// values for the function deployed from the artifact (see
    /// `database::in_yaml`), read from the templates whole: the resources
    /// its variables refer to are defined apart from it.
    pub fn database_route(
        &self,
        path: &Path,
        configured: Option<&std::collections::BTreeMap<String, String>>,
        packaged: Option<&PackagedFunction>,
    ) -> Option<DatabaseRoute> {
        let configured = configured
            .into_iter()
            .flat_map(|environment| environment.values())
            .filter_map(|value| database::of_host(value));
        let whole = match path.is_dir() && !self.inside.is_empty() {
            true => &self.inside,
            false => self
                .beside
                .as_ref()
                .map_or(&self.inside, |(_, texts)| texts),
        };
        database::combine(
            configured.chain(packaged.and_then(|f| f.database)).chain(
                whole
                    .iter()
                    .filter_map(|text| database::in_yaml(text, &self.folder)),
            ),
        )
    }
}

/// The SAM and Serverless templates in a folder.
fn read_templates(dir: &Path) -> Vec<String> {
    TEMPLATE_NAMES
        .iter()
        .filter_map(|name| std::fs::read_to_string(dir.join(name)).ok())
        .collect()
}

/// A zip built into a folder of its own (`build/function.zip`) is named by
/// the template of the project above (`CodeUri: build/function.zip`): the
/// templates of the nearest folder, up to two above the zip's, that name
/// it by its path from there.
fn template_above(path: &Path) -> Option<(PathBuf, Vec<String>)> {
    let absolute = std::path::absolute(path).ok()?;
    for dir in absolute.ancestors().skip(2).take(2) {
        let relative = absolute
            .strip_prefix(dir)
            .ok()?
            .to_string_lossy()
            .replace('\\', "/");
        let names_it = |uri: &str| uri.trim_start_matches("./") == relative;
        let texts: Vec<String> = read_templates(dir)
            .into_iter()
            .filter(|text| {
                template_values(text, "codeUri").any(names_it)
                    || template_values(text, "artifact").any(names_it)
            })
            .collect();
        if !texts.is_empty() {
            return Some((dir.to_path_buf(), texts));
        }
    }
    None
}

/// The lines of a template's function whose `CodeUri` (SAM) or
/// `package.artifact` (Serverless) is the folder or zip `name` (its
/// properties, at one indentation), then the `Globals:` or `provider:`
/// section the function inherits what it does not set from: the first
/// text that sets a value wins. When several functions name it, the whole
/// template.
fn function_part(text: &str, name: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |line: &str| line.len() - line.trim_start().len();
    let names_it = |uri: &str| {
        let uri = uri.trim_start_matches("./").trim_end_matches('/');
        uri == name || uri.rsplit('/').next() == Some(name)
    };
    let naming: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| {
            template_values(line, "codeUri").any(names_it)
                || template_values(line, "artifact").any(names_it)
        })
        .map(|(i, _)| i)
        .collect();
    let mut at = match naming[..] {
        [] => return Vec::new(),
        [at] => at,
        // functions sharing the code (one CodeUri, one artifact for the
        // service): the template as a whole, whose several handlers name
        // none of them
        _ => return vec![text.to_string()],
    };
    // a Serverless artifact is one of the function's `package:` settings
    if template_values(lines[at], "artifact").next().is_some() {
        let depth = indent(lines[at]);
        match lines[..at]
            .iter()
            .rposition(|line| !line.trim().is_empty() && indent(line) < depth)
        {
            Some(package) => at = package,
            None => return Vec::new(),
        }
    }
    let depth = indent(lines[at]);
    let inside = |line: &&str| line.trim().is_empty() || indent(line) >= depth;
    let start = lines[..at]
        .iter()
        .rposition(|line| !inside(line))
        .map_or(0, |i| i + 1);
    let end = lines[at..]
        .iter()
        .position(|line| !inside(line))
        .map_or(lines.len(), |i| at + i);
    let mut parts = vec![lines[start..end].join("\n")];
    for section in ["Globals:", "provider:"] {
        if let Some(from) = lines.iter().position(|line| line.trim_end() == section) {
            let end = lines[from + 1..]
                .iter()
                .position(|line| !line.trim().is_empty() && indent(line) == 0)
                .map_or(lines.len(), |i| from + 1 + i);
            parts.push(lines[from..end].join("\n"));
        }
    }
    parts
}

/// The values of `Key:` / `key:` lines in a template, unquoted (empty for
/// a key whose value is a block below it). CloudFormation tags (`!Ref`,
/// `!Sub`) are not YAML a plain parser reads, and these are plain scalars.
fn template_values<'t>(text: &'t str, key: &'t str) -> impl Iterator<Item = &'t str> + 't {
    let mut capitalized = key.to_string();
    capitalized[..1].make_ascii_uppercase();
    text.lines().filter_map(move |line| {
        let line = line.trim();
        let value = line
            .strip_prefix(capitalized.as_str())
            .or_else(|| line.strip_prefix(key))?
            .strip_prefix(':')?;
        Some(without_comment(value).trim_matches(['"', '\'']))
    })
}

/// A plain scalar without the comment that may follow it (`arm64 # Graviton`).
fn without_comment(value: &str) -> &str {
    let value = value.trim();
    match value.find(" #") {
        Some(at) => value[..at].trim_end(),
        None if value.starts_with('#') => "",
        None => value,
    }
}

/// The value a template beside the artifact gives an environment variable
/// (`NAME: value` under `Environment: Variables:`, or Serverless
/// `environment:`), the first one found.
pub fn environment_value(templates: &[String], name: &str) -> Option<String> {
    templates.iter().find_map(|text| {
        template_values(text, name)
            .find(|value| !value.is_empty())
            .map(str::to_string)
    })
}

/// A variable of the function's environment as its deployment sets it:
/// a SAM or Serverless template beside the artifact, else what `serverless
/// package`, `cdk synth` or a Terraform configuration compiled for it.
pub fn deployed_variable(
    templates: &[String],
    packaged: Option<&PackagedFunction>,
    name: &str,
) -> Option<String> {
    environment_value(templates, name).or_else(|| packaged?.environment.get(name).cloned())
}

/// The handler the templates beside the artifact declare (SAM `Handler:`,
/// Serverless `handler:`): the first that declares a single one.
pub fn handler(templates: &[String]) -> Option<String> {
    templates.iter().find_map(|text| {
        let mut handlers = template_values(text, "handler").filter(|value| !value.is_empty());
        let first = handlers.next()?;
        handlers.all(|h| h == first).then(|| first.to_string())
    })
}

/// A SAM handler is relative to the function's `CodeUri`: it names files
/// of a build folder or zip made from that folder, not of a project folder
/// that holds the template and the code in `hello_world/`.
pub fn handler_applies(path: &Path, templates: &[String]) -> bool {
    let folder = path.file_name().map(|n| n.to_string_lossy().into_owned());
    !path.is_dir()
        || templates.iter().all(|text| {
            template_values(text, "codeUri").all(|uri| {
                let uri = uri.trim_start_matches("./").trim_end_matches('/');
                uri.is_empty() || uri == "." || Some(uri) == folder.as_deref()
            })
        })
}

/// Whether a template beside the artifact gives functions layers (SAM and
/// CloudFormation `Layers:`, Serverless `layers:`), whose contents the
/// audit does not have.
pub fn gives_layers(templates: &[String]) -> bool {
    templates
        .iter()
        .any(|text| template_values(text, "layers").next().is_some())
}

/// The runtime the templates beside the artifact declare, when one file
/// declares a single one.
pub fn runtime(templates: &[String]) -> Option<String> {
    templates.iter().find_map(|text| {
        let runtimes: Vec<&str> = template_values(text, "runtime")
            .filter_map(|value| runtimes::find(value).map(|r| r.id.as_str()))
            .collect();
        let first = runtimes.first()?;
        runtimes
            .iter()
            .all(|r| r == first)
            .then(|| first.to_string())
    })
}

/// Whether the templates beside the artifact put the function on arm64:
/// SAM's `Architectures: [arm64]` (inline, or a block list below it) and
/// Serverless's `architecture: arm64`, when one file names a single
/// instruction set. Lambda's default is x86_64.
pub fn arm64(templates: &[String]) -> Option<bool> {
    templates.iter().find_map(|text| {
        let named: Vec<bool> = architectures(text)
            .filter_map(|value| match value {
                "arm64" => Some(true),
                "x86_64" => Some(false),
                _ => None,
            })
            .collect();
        let first = *named.first()?;
        named.iter().all(|a| *a == first).then_some(first)
    })
}

/// The instruction sets a template's lines name: `Architectures:` with an
/// inline list or a `- item` list below it, and `architecture:` scalars.
fn architectures(text: &str) -> impl Iterator<Item = &str> + '_ {
    let lines: Vec<&str> = text.lines().collect();
    let mut values = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if let Some(list) = trimmed
            .strip_prefix("Architectures:")
            .or_else(|| trimmed.strip_prefix("architectures:"))
        {
            let list = without_comment(list);
            if list.is_empty() {
                let items = lines[at + 1..]
                    .iter()
                    .map(|l| l.trim())
                    .take_while(|l| l.starts_with('-'));
                values.extend(items.map(|item| without_comment(&item[1..])));
            } else {
                values.extend(list.trim_matches(['[', ']']).split(',').map(str::trim));
            }
        } else {
            values.extend(template_values(line, "architecture"));
        }
    }
    values
        .into_iter()
        .map(|v| v.trim_matches(['"', '\'']))
        .filter(|v| !v.is_empty())
}

/// The functions a compiled CloudFormation template beside the artifact
/// deploys from it, each with its layers: `serverless package`'s template
/// (`Code.S3Key` ends with the zip's name) and the stack templates `cdk
/// synth` writes into cdk.out (`Metadata.aws:asset:path` names the asset
/// folder or zip). A layer is a `Ref` to an `AWS::Lambda::LayerVersion`
/// whose code is found the same way, or anything else (an ARN: not on disk).
fn packaged_functions(path: &Path) -> Vec<PackagedFunction> {
    let Some(dir) = path.parent() else {
        return Vec::new();
    };
    let mut functions = Vec::new();
    if path.is_file() {
        if let Some(template) = read_json(&dir.join(SERVERLESS_COMPILED)) {
            // the zip `serverless package` wrote beside its template
            let zip_of = |resource: &Json, property: &str| {
                let key = resource["Properties"][property]["S3Key"].as_str()?;
                Some(dir.join(key.rsplit('/').next()?))
            };
            functions.extend(deployed_from(&template, path, zip_of));
        }
    }
    for (file, template) in cdk_stacks(dir).iter() {
        let base = file.parent().unwrap_or(dir);
        let asset_of = |resource: &Json, _: &str| {
            let asset = resource["Metadata"]["aws:asset:path"].as_str()?;
            Some(base.join(asset))
        };
        functions.extend(deployed_from(template, path, asset_of));
    }
    functions.extend(terraform::deploying(path));
    functions
}

/// The function code a deployment folder holds, to audit one by one: a
/// cloud assembly `cdk synth` wrote (the asset folders or zips of its
/// stacks' functions), `serverless package`'s `.serverless/` (the zips its
/// compiled template deploys functions from) and `sam build`'s
/// `.aws-sam/build` (its template's functions' `CodeUri` folders). Each
/// gets its runtime, handler and layers from that template when audited.
/// None for any other path, and for a folder whose template names no code
/// there.
pub fn deployed_functions(dir: &Path) -> Option<Vec<PathBuf>> {
    if !dir.is_dir() {
        return None;
    }
    let mut found = Vec::new();
    let assembly = cdk_stacks(dir);
    if !assembly.is_empty() {
        for (file, template) in assembly.iter() {
            let base = file.parent().unwrap_or(dir);
            for (_, function) in lambda_functions(template) {
                if let Some(asset) = function["Metadata"]["aws:asset:path"].as_str() {
                    found.push(base.join(asset));
                }
            }
        }
    } else if let Some(template) = read_json(&dir.join(SERVERLESS_COMPILED)) {
        for (_, function) in lambda_functions(&template) {
            let key = function["Properties"]["Code"]["S3Key"].as_str();
            if let Some(name) = key.and_then(|key| key.rsplit('/').next()) {
                found.push(dir.join(name));
            }
        }
    } else if dir.ends_with(".aws-sam/build") {
        let text = std::fs::read_to_string(dir.join("template.yaml")).ok()?;
        let template: Value = serde_norway::from_str(&text).ok()?;
        let resources = template.get("Resources")?.as_mapping()?;
        for resource in resources.values() {
            if resource.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
                continue;
            }
            let code = resource.get("Properties").and_then(|p| p.get("CodeUri"));
            if let Some(uri) = code.and_then(Value::as_str) {
                found.push(dir.join(uri));
            }
        }
    } else {
        found.extend(terraform::deployed_code(dir));
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|path| path.exists() && seen.insert(path.canonicalize().unwrap_or(path.clone())));
    (!found.is_empty()).then_some(found)
}

/// Reads ahead what the artifacts' templates will be asked for and is slow
/// to find (the Terraform configurations near them), while something
/// else runs: the audit then finds it read.
pub fn prefetch(paths: &[PathBuf]) {
    for path in paths {
        terraform::deploying(path);
    }
}

/// How the deployment zips a folder or source file it makes a function
/// or a layer of, when that is more than the folder zipped whole (a
/// Terraform `archive_file`'s `excludes`, the Lambda module's `patterns`
/// and further `source_path` items); `None` for a zip.
pub fn packaging_of(path: &Path) -> Option<crate::artifact::Packaging> {
    let zip_or_jar = path.is_file() && !crate::artifact::is_source_file(path);
    match zip_or_jar {
        true => None,
        false => serverless::packaging_of(path).or_else(|| terraform::packaging_of(path)),
    }
}

/// The inputs to audit: each deployment folder (see `deployed_functions`)
/// in place of its functions' code, every other path as given.
pub fn expand_deployments(paths: &[PathBuf]) -> Vec<PathBuf> {
    paths
        .iter()
        .flat_map(|path| deployed_functions(path).unwrap_or_else(|| vec![path.clone()]))
        .collect()
}

/// The parsed stack templates of a cloud assembly, read once per run: each
/// of its function assets looks through all of them.
fn cdk_stacks(dir: &Path) -> Arc<Vec<(PathBuf, Json)>> {
    static READ: std::sync::OnceLock<ReadOnce<Vec<(PathBuf, Json)>>> = std::sync::OnceLock::new();
    read_once(READ.get_or_init(Default::default), dir, |dir| {
        cdk_templates(dir)
            .into_iter()
            .filter_map(|file| read_json(&file).map(|template| (file, template)))
            .collect()
    })
}

/// What was read from folders this run, by canonical path.
type ReadOnce<T> = std::sync::Mutex<std::collections::HashMap<PathBuf, Arc<T>>>;

/// `read(dir)`, once per run: each function a deployment folder holds
/// looks through the same files.
fn read_once<T>(cache: &ReadOnce<T>, dir: &Path, read: impl FnOnce(&Path) -> T) -> Arc<T> {
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    if let Some(read) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Arc::clone(read);
    }
    // read without the lock: other folders are read meanwhile
    let value = Arc::new(read(dir));
    cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, Arc::clone(&value));
    value
}

/// The stack templates of a cloud assembly (`cdk.out`): its own and its
/// stages' (`assembly-Prod/`).
fn cdk_templates(dir: &Path) -> Vec<PathBuf> {
    let templates_in = |dir: &Path| -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".template.json"))
            .collect();
        found.sort();
        found
    };
    if !dir.join("manifest.json").is_file() {
        return Vec::new();
    }
    let mut templates = templates_in(dir);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return templates;
    };
    let mut stages: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("assembly-"))
        })
        .collect();
    stages.sort();
    for stage in stages {
        templates.extend(templates_in(&stage));
    }
    templates
}

/// The functions in `template` whose code `code_of` locates at `artifact`.
fn deployed_from(
    template: &Json,
    artifact: &Path,
    code_of: impl Fn(&Json, &str) -> Option<PathBuf>,
) -> Vec<PackagedFunction> {
    let resources = &template["Resources"];
    let is_artifact = |located: &Path| same_file(located, artifact);
    let layer_code = |layer: &Json| -> Option<PathBuf> {
        let resource = &resources[layer["Ref"].as_str()?];
        if resource["Type"] != "AWS::Lambda::LayerVersion" {
            return None;
        }
        code_of(resource, "Content").filter(|path| path.exists())
    };
    lambda_functions(template)
        .filter(|(_, r)| code_of(r, "Code").is_some_and(|code| is_artifact(&code)))
        .map(|(logical_id, r)| {
            let properties = &r["Properties"];
            let mut layers = TemplateLayers::default();
            for layer in properties["Layers"].as_array().into_iter().flatten() {
                match layer_code(layer) {
                    Some(code) => layers.local.push(code),
                    None => layers.elsewhere += 1,
                }
            }
            // CDK's construct path reads best; Serverless names the function
            let name = match (
                r["Metadata"]["aws:cdk:path"].as_str(),
                properties["FunctionName"].as_str(),
            ) {
                (Some(path), _) => path.trim_end_matches("/Resource").to_string(),
                (None, Some(name)) => name.to_string(),
                (None, None) => logical_id.clone(),
            };
            let provisioned = resources.as_object().into_iter().flatten().any(|(_, r)| {
                matches!(
                    r["Type"].as_str(),
                    Some("AWS::Lambda::Alias" | "AWS::Lambda::Version")
                ) && r["Properties"]["ProvisionedConcurrencyConfig"].is_object()
                    && r["Properties"]["FunctionName"]["Ref"] == logical_id.as_str()
            });
            let warm_start = if properties["SnapStart"]["ApplyOn"] == "PublishedVersions" {
                Some(WarmStart::SnapStart)
            } else {
                provisioned.then_some(WarmStart::ProvisionedConcurrency)
            };
            PackagedFunction {
                name,
                warm_start,
                database: database::in_json(&properties["Environment"]["Variables"], resources),
                handler: properties["Handler"].as_str().map(str::to_string),
                runtime: properties["Runtime"].as_str().map(str::to_string),
                arm64: properties["Architectures"][0]
                    .as_str()
                    .map(|a| a == "arm64"),
                environment: properties["Environment"]["Variables"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect(),
                layers,
            }
        })
        .collect()
}

/// A compiled CloudFormation template (JSON), when it reads and parses.
fn read_json(file: &Path) -> Option<Json> {
    std::fs::read_to_string(file)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
}

/// A template's `AWS::Lambda::Function` resources, by logical id.
fn lambda_functions(template: &Json) -> impl Iterator<Item = (&String, &Json)> {
    template["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, resource)| resource["Type"] == "AWS::Lambda::Function")
}

/// Two paths to one file or folder (`cdk.out/./asset.x` and `cdk.out/asset.x`).
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// The layers a SAM template beside the artifact gives its function.
#[derive(Debug, Default, PartialEq, Clone)]
pub struct TemplateLayers {
    /// Layers built or kept on disk, in the function's order: the
    /// `ContentUri` of an `AWS::Serverless::LayerVersion` (what `sam build`
    /// writes beside the function's folder), when it exists.
    pub local: Vec<PathBuf>,
    /// Layers named some other way (an ARN, a parameter, an S3 location),
    /// or whose `ContentUri` is not there: their contents are unknown.
    pub elsewhere: usize,
}

/// The layers of the artifact's function in a SAM template beside it (the
/// template inside a project folder, or beside a zip or a `sam build`
/// folder). The function is the one whose `CodeUri` is the artifact's
/// folder, or the template's only function. None when no template parses
/// or none names the function.
fn layers(path: &Path, templates: &Templates) -> Option<TemplateLayers> {
    let inside = templates.inside.iter().map(|text| (path, text));
    let beside = templates
        .beside
        .iter()
        .flat_map(|(dir, texts)| texts.iter().map(move |text| (dir.as_path(), text)));
    inside.chain(beside).find_map(|(dir, text)| {
        // a Serverless file has no `Resources` of this shape and gives none
        let template: Value = serde_norway::from_str(text).ok()?;
        function_layers(&template, dir, &templates.folder)
    })
}

/// The layers of one template's function, resolved against the template's
/// folder.
fn function_layers(template: &Value, dir: &Path, folder: &str) -> Option<TemplateLayers> {
    let resources = template.get("Resources")?.as_mapping()?;
    let functions: Vec<&Value> = resources
        .values()
        .filter(|r| {
            matches!(
                r.get("Type").and_then(Value::as_str),
                Some("AWS::Serverless::Function" | "AWS::Lambda::Function")
            )
        })
        .collect();
    let code_uri = |function: &&Value| {
        function
            .get("Properties")
            .and_then(|p| p.get("CodeUri"))
            .and_then(Value::as_str)
            .map(|uri| {
                uri.trim_start_matches("./")
                    .trim_end_matches('/')
                    .to_string()
            })
    };
    let function = match functions
        .iter()
        .find(|f| code_uri(f).as_deref() == Some(folder))
    {
        Some(function) => *function,
        None if functions.len() == 1 => functions[0],
        None => return None,
    };
    // SAM adds a function's own layers after those of Globals
    let globals = template
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Layers"));
    let own = function.get("Properties").and_then(|p| p.get("Layers"));
    let mut layers = TemplateLayers::default();
    for layer in [globals, own]
        .into_iter()
        .flatten()
        .filter_map(Value::as_sequence)
        .flatten()
    {
        match local_layer(layer, resources, dir) {
            Some(path) => layers.local.push(path),
            None => layers.elsewhere += 1,
        }
    }
    Some(layers)
}

/// `!Ref DepsLayer` (or `Ref: DepsLayer`, as `sam build` writes it) to an
/// `AWS::Serverless::LayerVersion` whose `ContentUri` is on disk.
fn local_layer(layer: &Value, resources: &serde_norway::Mapping, dir: &Path) -> Option<PathBuf> {
    let name = match layer {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str()?,
        Value::Mapping(map) => map.get("Ref")?.as_str()?,
        _ => return None,
    };
    let resource = resources.get(name)?;
    if resource.get("Type")?.as_str()? != "AWS::Serverless::LayerVersion" {
        return None;
    }
    let uri = resource.get("Properties")?.get("ContentUri")?.as_str()?;
    let path = dir.join(uri);
    path.exists().then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compiled_template_of_odd_shape_gives_no_functions() {
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("svc.zip");
        std::fs::write(&zip, b"PK").unwrap();
        for text in [
            "{not json",
            "[]",
            r#"{"Resources": []}"#,
            r#"{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Key": 7}}}}}"#,
            r#"{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Key": "a/other.zip"}}}}}"#,
        ] {
            std::fs::write(dir.path().join(SERVERLESS_COMPILED), text).unwrap();
            assert!(packaged_functions(&zip).is_empty(), "{text}");
        }
        // a layer that is an ARN, a Ref to nothing, or a zip not there
        std::fs::write(
            dir.path().join(SERVERLESS_COMPILED),
            r#"{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Key": "k/svc.zip"}, "Handler": "app.main", "Architectures": ["arm64"], "Environment": {"Variables": {"DD_LAMBDA_HANDLER": "app.main", "N": 1}}, "Layers": ["arn:aws:lambda:us-east-1:1:layer:x:1", {"Ref": "Nope"}, {"Ref": "L"}]}}, "L": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": {"S3Key": "k/gone.zip"}}}}}"#,
        )
        .unwrap();
        let functions = packaged_functions(&zip);
        assert_eq!(functions.len(), 1);
        assert_eq!(functions[0].handler.as_deref(), Some("app.main"));
        assert_eq!(functions[0].arm64, Some(true));
        // string values are kept: a handler name is one
        assert_eq!(
            functions[0].environment,
            [("DD_LAMBDA_HANDLER".to_string(), "app.main".to_string())].into()
        );
        assert_eq!(
            functions[0].layers,
            TemplateLayers {
                local: Vec::new(),
                elsewhere: 3
            }
        );
    }

    #[test]
    fn architecture_in_sam_and_serverless_forms() {
        let texts = |text: &str| vec![text.to_string()];
        // SAM, inline and as a block list; Globals and the function agree
        assert_eq!(
            arm64(&texts(
                "Globals:\n  Function:\n    Architectures: [arm64]\n"
            )),
            Some(true)
        );
        assert_eq!(
            arm64(&texts("Resources:\n  Fn:\n    Properties:\n      Architectures:\n        - \"arm64\"\n      Runtime: python3.12\n")),
            Some(true)
        );
        assert_eq!(
            arm64(&texts("      Architectures:\n        - x86_64\n")),
            Some(false)
        );
        // Serverless, provider-wide
        assert_eq!(
            arm64(&texts("provider:\n  name: aws\n  architecture: arm64\n")),
            Some(true)
        );
        // two functions on two instruction sets, or none named: no answer
        assert_eq!(
            arm64(&texts(
                "A:\n  Architectures: [arm64]\nB:\n  Architectures: [x86_64]\n"
            )),
            None
        );
        assert_eq!(arm64(&texts("Runtime: python3.12\n")), None);
        // comments after a value or an item
        assert_eq!(
            arm64(&texts("    Architectures: [arm64] # Graviton\n")),
            Some(true)
        );
        assert_eq!(
            arm64(&texts(
                "    Architectures: # cheaper\n      - arm64 # Graviton\n"
            )),
            Some(true)
        );
        assert_eq!(
            runtime(&texts("    Runtime: python3.12 # AL2023\n")).as_deref(),
            Some("python3.12")
        );
        // a parameter reference names no instruction set
        assert_eq!(arm64(&texts("Architectures:\n  - !Ref Arch\n")), None);
    }

    #[test]
    fn a_function_part_is_the_one_function_deploying_the_code() {
        let sam = "Globals:\n  Function:\n    Runtime: python3.12\nResources:\n  Orders:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: build/orders.zip\n      Handler: orders.handler\n  Jobs:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: build/jobs.zip\n      Handler: jobs.handler\n";
        let part = function_part(sam, "jobs.zip");
        assert_eq!(handler(&part).as_deref(), Some("jobs.handler"));
        assert_eq!(runtime(&part).as_deref(), Some("python3.12"));
        assert!(function_part(sam, "other.zip").is_empty());
        // two functions of one zip: neither's handler is the zip's
        let shared = sam.replace("build/jobs.zip", "build/orders.zip");
        assert_eq!(function_part(&shared, "orders.zip"), [shared.as_str()]);
        assert_eq!(handler(&function_part(&shared, "orders.zip")), None);
    }

    #[test]
    fn short_form_refs_and_globals_resolve_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("layers/shared")).unwrap();
        std::fs::create_dir_all(dir.path().join("layers/deps")).unwrap();
        let text = "Parameters:\n  PowertoolsArn:\n    Type: String\nGlobals:\n  Function:\n    Layers:\n      - !Ref SharedLayer\nResources:\n  SharedLayer:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: layers/shared/\n  DepsLayer:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: ./layers/deps\n  GoneLayer:\n    Type: AWS::Serverless::LayerVersion\n    Properties:\n      ContentUri: layers/gone/\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/api/\n      Layers:\n        - !Ref DepsLayer\n        - !Ref PowertoolsArn\n        - !Ref GoneLayer\n        - !Sub arn:aws:lambda:${AWS::Region}:017000801446:layer:Powertools:7\n  Worker:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: src/worker/\n";
        let template: Value = serde_norway::from_str(text).unwrap();
        let api = function_layers(&template, dir.path(), "src/api").unwrap();
        assert_eq!(
            api,
            TemplateLayers {
                local: vec![
                    dir.path().join("layers/shared/"),
                    dir.path().join("./layers/deps"),
                ],
                elsewhere: 3,
            }
        );
        let worker = function_layers(&template, dir.path(), "src/worker").unwrap();
        assert_eq!(worker.local, vec![dir.path().join("layers/shared/")]);
        // two functions and neither is the folder's: no answer
        assert_eq!(function_layers(&template, dir.path(), "elsewhere"), None);
    }
}
