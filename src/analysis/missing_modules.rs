//! Will it even start? Imports that init surely runs and that nothing
//! provides: the walk (imports::reach) already looked in the package, the
//! layers audited alongside, the runtime's standard library or built-ins
//! and what the runtime ships besides (boto3, AWS SDK v3). Lambda reports
//! what is left as Runtime.ImportModuleError at the first cold start.

use std::collections::BTreeMap;

use super::{Finding, Level};
use crate::artifact::Artifact;
use crate::imports::mount::{layer_folder, LayerFolder, MountedFile};
use crate::imports::reach::{npm_package, runtimes_shipping, InitLoad, MissingExport, Unresolved};
use crate::imports::Language;
use crate::inventory::{Inventory, Owner, Package};
use crate::rules::runtimes::RuntimeInfo;
use crate::rules::{distributions, stdlib};

pub const RULE: &str = "runtime/missing-module";

/// What else may provide a module at run time.
pub struct Providers<'a> {
    pub runtime: Option<&'a RuntimeInfo>,
    /// The runtime's Python version, for its standard library.
    pub python: Option<(u32, u32)>,
    /// The template beside the artifact gives the function layers, whose
    /// contents deadweight does not have.
    pub template_layers: bool,
    /// The layers init looked in.
    pub layers: &'a [&'a Artifact],
    /// For a folder of source, the dependencies its manifest declares for
    /// the build to install.
    pub declared: Option<Declared>,
}

/// The dependencies a source folder's manifest declares: `requirements.txt`
/// or `pyproject.toml`, `package.json`. A folder is often the function's
/// source before its build (`sam build`, the Terraform Lambda module, a
/// CI step) installs them: a module they name that the folder lacks is
/// not yet installed rather than missing from what deploys.
pub struct Declared {
    /// The manifest, as the finding names it.
    pub file: &'static str,
    /// Distribution or package names, normalised (`python-dateutil`).
    names: Vec<String>,
}

impl Declared {
    /// What the folder at `artifact`'s root declares; None for a zip or a
    /// jar (what deploys), or a folder with no manifest.
    pub fn read(artifact: &Artifact, language: Language) -> Option<Declared> {
        if artifact.container != crate::artifact::Container::Directory {
            return None;
        }
        let text = |file: &str| artifact.read_text(artifact.find(file)?).ok();
        match language {
            Language::Python => {
                if let Some(text) = text("requirements.txt") {
                    let names = text.lines().filter_map(requirement_name).collect();
                    return Some(Declared {
                        file: "requirements.txt",
                        names,
                    });
                }
                let pyproject: toml::Table = text("pyproject.toml")?.parse().ok()?;
                let listed = pyproject
                    .get("project")
                    .and_then(|p| p.get("dependencies"))
                    .and_then(|d| d.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|d| requirement_name(d.as_str()?));
                let poetry = pyproject
                    .get("tool")
                    .and_then(|t| t.get("poetry"))
                    .and_then(|p| p.get("dependencies"))
                    .and_then(|d| d.as_table())
                    .into_iter()
                    .flat_map(|d| d.keys())
                    .filter_map(|name| requirement_name(name));
                Some(Declared {
                    file: "pyproject.toml",
                    names: listed.chain(poetry).collect(),
                })
            }
            Language::JavaScript => {
                let manifest: serde_json::Value =
                    serde_json::from_str(&text("package.json")?).ok()?;
                let names = manifest["dependencies"]
                    .as_object()?
                    .keys()
                    .map(|name| name.to_lowercase())
                    .collect();
                Some(Declared {
                    file: "package.json",
                    names,
                })
            }
        }
    }

    /// The declared name that provides the module `name`: the same name,
    /// one of its dash-separated words (`psycopg2-binary`,
    /// `python-dateutil` for `dateutil`), or a distribution known to
    /// install it under another name (PyYAML for `yaml`).
    fn provider(&self, language: Language, name: &str) -> Option<&str> {
        let wanted = match language {
            Language::Python => name.to_lowercase().replace('_', "-"),
            Language::JavaScript => npm_package(name)?.to_lowercase(),
        };
        let installing: Vec<String> = match language {
            Language::Python => distributions::installing(name)
                .iter()
                .map(|d| d.to_lowercase().replace(['_', '.'], "-"))
                .collect(),
            Language::JavaScript => Vec::new(),
        };
        self.names
            .iter()
            .find(|declared| {
                **declared == wanted
                    || installing.contains(declared)
                    || (language == Language::Python && declared.split('-').any(|w| w == wanted))
            })
            .map(String::as_str)
    }
}

/// `requests[socks]>=2.31 ; python_version >= "3.8"` → `requests`;
/// nothing for comments, options (`-r base.txt`) and URLs.
fn requirement_name(line: &str) -> Option<String> {
    let line = line.split('#').next()?.trim();
    if line.is_empty() || line.starts_with('-') || line.contains("://") {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    let name = &line[..end];
    (!name.is_empty() && name != "python").then(|| name.to_lowercase().replace(['_', '.'], "-"))
}

/// Where a module nothing provides is, in a folder Lambda does not search.
enum Misplaced {
    /// In the function's own package, in a layer's layout.
    InFunction { folder: String },
    /// In a layer, in the folder of another Python or Node version.
    InLayer { layer: String, folder: String },
    /// In a layer's Node folder, which the runtime searches for require
    /// but not for ES module imports (Node 16 and older).
    RequireOnly { layer: String, folder: String },
    /// In a layer, outside its `python/` or `nodejs/` folder.
    OutsideLayerFolder { layer: String, folder: String },
    /// In pnpm's store inside the package (`node_modules/.pnpm/x@1.0.0/
    /// node_modules/x/`), which Node reaches only through pnpm's links.
    PnpmStore { folder: String },
}

/// Where the function's package or its layers hold a module nothing
/// provides, in a folder Lambda does not search.
fn misplaced(
    artifact: &Artifact,
    language: Language,
    name: &str,
    providers: &Providers,
) -> Option<Misplaced> {
    if let Some(at) = in_layer_layout(artifact, language, name) {
        return Some(Misplaced::InFunction {
            folder: at.folder.to_string(),
        });
    }
    if language == Language::JavaScript {
        let manifest = format!("/node_modules/{name}/package.json");
        let in_store = artifact.entries.iter().find_map(|entry| {
            let inside = entry.path.strip_prefix("node_modules/.pnpm/")?;
            // node_modules/.pnpm/<name>@<version>/node_modules/<name>/
            inside
                .strip_suffix(&manifest)
                .filter(|store| !store.is_empty() && !store.contains('/'))?;
            Some(entry.path.strip_suffix("package.json")?.to_string())
        });
        if let Some(folder) = in_store {
            return Some(Misplaced::PnpmStore { folder });
        }
    }
    let in_layers = providers.layers.iter().find_map(|layer| {
        let at = in_layer_layout(layer, language, name)?;
        let (layer, folder) = (layer.name(), at.folder.to_string());
        // a Node folder the runtime searches, so not for this import: an
        // ES module's on Node 16
        let searched = language == Language::JavaScript
            && providers
                .runtime
                .is_some_and(|r| at.searched_by(Some(&r.version)));
        Some(match searched {
            true => Misplaced::RequireOnly { layer, folder },
            false => Misplaced::InLayer { layer, folder },
        })
    });
    in_layers.or_else(|| {
        providers.layers.iter().find_map(|layer| {
            let folder = outside_layer_folders(layer, language, name)?;
            Some(Misplaced::OutsideLayerFolder {
                layer: layer.name(),
                folder,
            })
        })
    })
}

impl Misplaced {
    /// What the message adds: where the module is, and why it is not found.
    fn explain(&self, language: Language, runtime: &str) -> String {
        match self {
            Misplaced::InFunction { folder } => format!(
                ": the package has it under {folder}, a layer's layout, which Lambda does not search in a function's package"
            ),
            Misplaced::InLayer { layer, folder } => {
                format!(": {layer} has it under {folder}, which {runtime} does not search")
            }
            Misplaced::RequireOnly { layer, folder } => format!(
                ": {layer} has it under {folder}, where {runtime} finds it for require but not for an ES module import"
            ),
            Misplaced::PnpmStore { folder } => format!(
                ": the package has it under {folder}, pnpm's store, which Node reaches only through pnpm's symlinks (zipped as copies, or left out, here)"
            ),
            Misplaced::OutsideLayerFolder { layer, folder } => {
                let searched = match language {
                    Language::Python => "python/ and python/lib/pythonX.Y/site-packages/",
                    Language::JavaScript => "nodejs/node_modules/ and nodejs/nodeNN/node_modules/",
                };
                let at = match folder.as_str() {
                    "" => "at its root".to_string(),
                    folder => format!("under {folder} at its root"),
                };
                format!(": {layer} has it {at}, but Lambda searches only a layer's {searched}")
            }
        }
    }

    /// `version`: the runtime's language version (3.12, 20).
    fn fix(&self, language: Language, runtime: &str, version: &str) -> String {
        match (self, language) {
            (Misplaced::InFunction { folder }, Language::Python) => format!(
                "install it at the package's root instead of under {folder} (`pip install --target package/`), or zip python/ as a layer of its own and attach it"
            ),
            (Misplaced::InFunction { folder }, Language::JavaScript) => format!(
                "install it in the package's root node_modules/ instead of under {folder}, or zip nodejs/ as a layer of its own and attach it"
            ),
            (Misplaced::InLayer { layer, .. }, Language::Python) => format!(
                "rebuild {layer} for {runtime}: install into python/lib/python{version}/site-packages/ (with that Python's wheels) or python/"
            ),
            (Misplaced::InLayer { layer, .. }, Language::JavaScript) => format!(
                "rebuild {layer} for {runtime}: install into nodejs/node{version}/node_modules/ or nodejs/node_modules/"
            ),
            (Misplaced::OutsideLayerFolder { layer, .. }, Language::Python) => format!(
                "zip {layer} with its modules under python/ (`pip install --target python/`, then zip the folder holding python/)"
            ),
            (Misplaced::OutsideLayerFolder { layer, .. }, Language::JavaScript) => format!(
                "zip {layer} with node_modules/ inside nodejs/ (`mkdir nodejs && mv node_modules nodejs/`, then zip the folder holding nodejs/)"
            ),
            (Misplaced::PnpmStore { .. }, _) => "zip the pnpm install with its links kept (`zip -ry`), or install with `node-linker=hoisted` in .npmrc so node_modules/ holds the packages themselves".to_string(),
            (Misplaced::RequireOnly { .. }, _) => "load it with require (`createRequire(import.meta.url)`), install it into the package, or move to nodejs18.x or later, whose ES module imports search layers".to_string(),
        }
    }
}

/// One finding per module nothing provides, at its first import (by path
/// and line), with how many other places import it.
pub fn check(
    artifact: &Artifact,
    inventory: &Inventory,
    load: &InitLoad,
    providers: &Providers,
) -> Vec<Finding> {
    // a package or module by name; a relative path per folder it is
    // written in, since `./config` means another file in each
    let mut by_module: BTreeMap<(String, &str), Vec<&Unresolved>> = BTreeMap::new();
    for unresolved in &load.unresolved {
        if let Some(name) = missing_name(load.language, unresolved) {
            let folder = match name.starts_with('.') || name.starts_with('/') {
                true => unresolved.path.rsplit_once('/').map_or("", |(dir, _)| dir),
                false => "",
            };
            by_module
                .entry((name, folder))
                .or_default()
                .push(unresolved);
        }
    }
    let mut findings: Vec<Finding> = by_module
        .into_iter()
        .map(|((name, _), places)| {
            finding(
                artifact,
                inventory,
                load.language,
                &name,
                &places,
                providers,
            )
        })
        .collect();
    findings.extend(load.unspecified.iter().map(unspecified));
    findings
}

/// `import './db'` in an ES module: the file is there, but Node's ES
/// module loader takes the path as written (no extension added, no
/// directory index) and fails with ERR_MODULE_NOT_FOUND.
fn unspecified(import: &Unresolved) -> Finding {
    let module = &import.module;
    super::compat::finding(
        RULE,
        Level::Deny,
        format!(
            "{}:{} imports {module} at init without naming its file: Node's ES module loader adds no extension and no /index.js, so the import fails (ERR_MODULE_NOT_FOUND)",
            import.path, import.line
        ),
        &import.path,
        None,
        format!("name the file, extension and all (`{module}.js`, or `{module}/index.js` for a folder); tsc writes the specifiers as written, so write them with .js in the source"),
    )
    .at_line(import.line)
}

/// The name a missing import is reported under: its npm package, its
/// top-level Python module, or a relative path as written.
fn missing_name(language: Language, unresolved: &Unresolved) -> Option<String> {
    // a submodule of a package that is there (`from .docs import …` too):
    // the whole dotted name
    if let Some(submodule) = &unresolved.submodule {
        return Some(submodule.clone());
    }
    let module = unresolved.module.as_str();
    if module.starts_with('.') || module.starts_with('/') {
        return Some(module.to_string());
    }
    let name = match language {
        Language::JavaScript => npm_package(module)?,
        Language::Python => module.split('.').next()?,
    };
    Some(name.to_string())
}

/// The folder of a layer's layout (`python/…`, `nodejs/node_modules/…`,
/// `nodejs/node20/node_modules/…`) where an artifact holds `name`. In a
/// function's own package Lambda searches none of them; in a layer, a
/// module missing at init is in one the runtime does not search.
fn in_layer_layout<'a>(
    artifact: &'a Artifact,
    language: Language,
    name: &str,
) -> Option<LayerFolder<'a>> {
    artifact.entries.iter().find_map(|entry| {
        let at = layer_folder(&entry.path)?;
        let found = match (language, at.folder.starts_with("python/")) {
            (Language::Python, true) => python_top(at.inside),
            (Language::JavaScript, false) => npm_package(at.inside),
            _ => None,
        };
        (found == Some(name)).then_some(at)
    })
}

/// Where a layer holds `name` outside the folders Lambda searches in a
/// layer: `node_modules/` at its root, or a Python module at its root
/// (zipped from inside `python/` or `site-packages/`).
fn outside_layer_folders(artifact: &Artifact, language: Language, name: &str) -> Option<String> {
    artifact.entries.iter().find_map(|entry| {
        let path = entry.path.as_str();
        if path.starts_with("python/") || path.starts_with("nodejs/") {
            return None;
        }
        let (folder, found) = match language {
            Language::JavaScript => (
                "node_modules/",
                npm_package(path.strip_prefix("node_modules/")?),
            ),
            Language::Python => ("", python_top(path)),
        };
        (found == Some(name)).then(|| folder.to_string())
    })
}

/// The top-level module a path under a Python root holds: `pkg/x.py` →
/// `pkg`, `mod.py` → `mod`, `_ext.cpython-312-x86_64-linux-gnu.so` → `_ext`.
fn python_top(path: &str) -> Option<&str> {
    let first = path.split('/').next()?;
    let top = if path.contains('/') {
        first
    } else {
        first.split('.').next()?
    };
    (!top.is_empty() && !top.ends_with(".dist-info")).then_some(top)
}

fn finding(
    artifact: &Artifact,
    inventory: &Inventory,
    language: Language,
    name: &str,
    places: &[&Unresolved],
    providers: &Providers,
) -> Finding {
    let first = places[0];
    let package = artifact
        .find(&first.path)
        .and_then(|i| match inventory.owners[i] {
            Owner::Package(p) => Some(&inventory.packages[p]),
            _ => None,
        })
        .map(|p| p.label());
    let more = match places.len() {
        1 => String::new(),
        2 => " (and 1 more place)".to_string(),
        n => format!(" (and {} more places)", n - 1),
    };
    let runtime = providers.runtime.map(|r| r.id.as_str());
    let python = match language {
        Language::Python => providers.python,
        Language::JavaScript => None,
    };
    let removal = python.and_then(|version| stdlib::removal(name, version));
    let addition = python.and_then(|version| stdlib::addition(name, version));
    let relative = name.starts_with('.') || name.starts_with('/');
    // in a source folder, declared for the build to install
    let declared = providers
        .declared
        .as_ref()
        .and_then(|d| Some((d.file, d.provider(language, name)?)));
    let mut message = format!("{}:{} imports {name} at init{more}", first.path, first.line);
    let fix;
    if let Some(change) = removal {
        let why = change
            .why
            .as_deref()
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        message.push_str(&format!(
            ", which left the standard library in Python {}{why}",
            change.removed_in.as_deref().unwrap_or("?"),
        ));
        let instead = change
            .instead
            .as_deref()
            .unwrap_or("a maintained replacement");
        fix = match &package {
            Some(package) => format!(
                "upgrade {package} to a release that no longer imports {name}, or run on an older Python runtime"
            ),
            None => format!("use {instead} instead of {name}"),
        };
    } else if let Some(change) = addition {
        let since = change.added_in.as_deref().unwrap_or("?");
        message.push_str(&format!(
            ", which the standard library has only from Python {since}"
        ));
        let instead = change.instead.as_deref().unwrap_or("a backport");
        fix = format!("install {instead} for older Pythons, or move to a Python {since}+ runtime");
    } else if let Some((parent, leaf)) = first
        .submodule
        .as_deref()
        .and_then(|module| module.rsplit_once('.'))
    {
        message.push_str(&format!(
            ", but the package {parent} has no module {leaf}: ModuleNotFoundError after {parent} loads"
        ));
        fix = format!("the build left {leaf} out of {parent}: check the zip's exclude lists and pruning steps (a folder such as docs/ or tests/ can be code a package imports)");
    } else if relative {
        message.push_str(", but that file is not in the package");
        fix = "the build left the file out: check the zip's include and exclude lists (or the bundler's output)".to_string();
    } else if let Some((file, provider)) = declared {
        message.push_str(&format!(
            ", but {name} is not in this folder, whose {file} lists {provider} for the build to install: it looks like the function's source rather than what deploys"
        ));
        fix = "audit what the build writes, which deploys: the zip, `.aws-sam/build/<Function>/`, the Terraform module's package".to_string();
    } else {
        let besides = match (language, runtime) {
            (Language::Python, Some(runtime)) => {
                format!("the package, the standard library or the {runtime} runtime")
            }
            (Language::Python, None) => "the package or the standard library".to_string(),
            (Language::JavaScript, Some(runtime)) => {
                format!("the package, Node's built-ins or the {runtime} runtime")
            }
            (Language::JavaScript, None) => "the package or Node's built-ins".to_string(),
        };
        message.push_str(&format!(", but {name} is not in {besides}"));
        let runtime_name = runtime.unwrap_or("this runtime");
        let misplaced = misplaced(artifact, language, name, providers);
        if let Some(misplaced) = &misplaced {
            message.push_str(&misplaced.explain(language, runtime_name));
        }
        if runtime.is_some() {
            let others: Vec<&str> = runtimes_shipping(language, name)
                .map(|r| r.id.as_str())
                .collect();
            match others.as_slice() {
                [] => {}
                [one] => message.push_str(&format!(" ({one} has it)")),
                [first, .., last] => message.push_str(&format!(" ({first} to {last} have it)")),
            }
        }
        let version = providers.runtime.map_or("X", |r| r.version.as_str());
        fix = match (&misplaced, language) {
            (Some(misplaced), _) => misplaced.fix(language, runtime_name, version),
            (None, Language::Python) => {
                // the distribution, where its name is not the module's
                let distribution = distributions::installing(name)
                    .first()
                    .map_or(name, String::as_str);
                format!(
                    "install it into the package (`pip install --target package/ {distribution}`, or add it to the requirements the build installs), or attach a layer that has it"
                )
            }
            (None, Language::JavaScript) => format!(
                "add {name} to package.json `dependencies` and install before zipping (or bundle it in), or attach a layer that has it"
            ),
        };
    }
    let level = if providers.template_layers {
        message.push_str("; the template gives the function layers, which may provide it");
        Level::Warn
    } else if declared.is_some() {
        Level::Warn
    } else {
        Level::Deny
    };
    super::compat::finding(RULE, level, message, &first.path, package, fix).at_line(first.line)
}

pub const MISSING_EXPORT: &str = "runtime/missing-export";

/// The package a file of the function belongs to (a layer's files are
/// named by their path alone).
pub(super) fn package_of(inventory: &Inventory, file: MountedFile) -> Option<&Package> {
    Some(file.entry)
        .filter(|_| file.layer.is_none())
        .and_then(|i| match inventory.owners.get(i) {
            Some(Owner::Package(p)) => Some(&inventory.packages[*p]),
            _ => None,
        })
}

/// Imports at init of a name their module does not have: one finding per
/// importing file and module, its names together.
pub fn missing_exports(
    inventory: &Inventory,
    language: Language,
    missing: &[MissingExport],
) -> Vec<Finding> {
    let mut by_importer: BTreeMap<(&str, &str), Vec<&MissingExport>> = BTreeMap::new();
    for m in missing {
        by_importer
            .entry((m.path.as_str(), m.target.as_str()))
            .or_default()
            .push(m);
    }
    let mut findings: Vec<Finding> = by_importer
        .into_values()
        .map(|names| {
            let first = names[0];
            let listed: Vec<&str> = names.iter().map(|m| m.name.as_str()).collect();
            let importer = package_of(inventory, first.file);
            let target = package_of(inventory, first.target_file);
            let (message, fix) = if first.unseen {
                unseen_commonjs_names(first, &listed, target)
            } else if listed == ["default"] && !first.commonjs {
                no_default_export(first, importer, target)
            } else {
                lacking_names(first, language, &listed, importer, target)
            };
            super::compat::finding(
                MISSING_EXPORT,
                Level::Deny,
                message,
                &first.path,
                importer.map(Package::label),
                fix,
            )
            .at_line(first.line)
        })
        .collect();
    // in the order the importing file takes them
    findings.sort_by(|a, b| {
        (&a.location.path, a.location.line).cmp(&(&b.location.path, b.location.line))
    });
    findings
}

/// Names the module surely lacks: the message and the fix.
fn lacking_names(
    first: &MissingExport,
    language: Language,
    listed: &[&str],
    importer: Option<&Package>,
    target: Option<&Package>,
) -> (String, String) {
    let (pronoun, verdict, failure) = match (language, listed.len()) {
        (Language::JavaScript, 1) if first.commonjs => (
            "it",
            "does not export it",
            "it is undefined there, a TypeError".to_string(),
        ),
        (Language::JavaScript, _) if first.commonjs => (
            "them",
            "exports none of them",
            "they are undefined there, a TypeError".to_string(),
        ),
        (Language::JavaScript, 1) => (
            "it",
            "does not export it",
            "Node cannot link the module, a SyntaxError".to_string(),
        ),
        (Language::JavaScript, _) => (
            "them",
            "exports none of them",
            "Node cannot link the module, a SyntaxError".to_string(),
        ),
        (Language::Python, 1) => (
            "it",
            "does not define it",
            format!("ImportError: cannot import name '{}'", listed[0]),
        ),
        (Language::Python, _) => (
            "them",
            "defines none of them",
            format!("ImportError: cannot import name '{}'", listed[0]),
        ),
    };
    // a required module's names are used, not linked: the line is the
    // first use init makes
    let taking = match first.commonjs {
        true => "uses",
        false => "imports",
    };
    let message = format!(
        "{}:{} {taking} {} from {} at init, but {} {verdict}: {failure} at every cold start",
        first.path,
        first.line,
        listed.join(", "),
        first.module,
        target_named(first, target),
    );
    (
        message,
        versions_fix(first, importer, target, &format!("has {pronoun}")),
    )
}

/// `commons@2.36.0 (node_modules/…/index.js)`: what the import resolved
/// to, by its package when it has one.
fn target_named(first: &MissingExport, target: Option<&Package>) -> String {
    format!(
        "{} ({})",
        target
            .map(Package::label)
            .as_deref()
            .unwrap_or(&first.module),
        first.target
    )
}

/// The fix for a package built against another release of what it
/// imports: versions that go together.
fn versions_fix(
    first: &MissingExport,
    importer: Option<&Package>,
    target: Option<&Package>,
    had: &str,
) -> String {
    let pinned = target.map_or(first.module.as_str(), |p| p.name.as_str());
    format!(
        "install versions that go together: {} was built against a {pinned} that {had}; update {} (or pin {pinned} to the version it expects), then reinstall",
        importer.map(Package::label).as_deref().unwrap_or("the importing module"),
        importer.map_or("the importer", |p| p.name.as_str()),
    )
}

/// `import x from 'm'` of an ES module with no default export (nanoid 5,
/// uuid 9 and later export names only).
fn no_default_export(
    first: &MissingExport,
    importer: Option<&Package>,
    target: Option<&Package>,
) -> (String, String) {
    let message = format!(
        "{}:{} imports the default export of {} at init, but {} has none: SyntaxError: The requested module '{}' does not provide an export named 'default', at every cold start",
        first.path,
        first.line,
        first.module,
        target_named(first, target),
        first.module,
    );
    let fix = match importer {
        Some(_) => versions_fix(first, importer, target, "had a default export"),
        None => format!(
            "import the names it exports (`import {{ … }} from '{}'`) or the whole module (`import * as m from '{}'`)",
            first.module, first.module
        ),
    };
    (message, fix)
}

/// An ES module's named imports of a CommonJS module that Node's static
/// analysis of it does not find: the link fails, though the module may
/// have the names at run time, so the fix is to take them from its default
/// export.
fn unseen_commonjs_names(
    first: &MissingExport,
    listed: &[&str],
    target: Option<&Package>,
) -> (String, String) {
    let message = format!(
        "{}:{} imports {} from {} at init, but {} is CommonJS, and Node's analysis of it does not find {}: SyntaxError: Named export '{}' not found, at every cold start",
        first.path,
        first.line,
        listed.join(", "),
        first.module,
        target_named(first, target),
        match listed.len() {
            1 => "that name",
            _ => "those names",
        },
        listed[0],
    );
    let fix = format!(
        "import the module whole and take the names from it (`import pkg from '{}'; const {{ {} }} = pkg;`), or use a release of {} with an ES module build",
        first.module,
        listed.join(", "),
        target.map_or(first.module.as_str(), |p| p.name.as_str()),
    );
    (message, fix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirement_lines_give_distribution_names() {
        assert_eq!(
            requirement_name("requests[socks]>=2.31 ; python_version >= \"3.8\""),
            Some("requests".to_string())
        );
        assert_eq!(
            requirement_name("Flask_Cors==4.0.1  # CORS"),
            Some("flask-cors".to_string())
        );
        assert_eq!(
            requirement_name("zope.interface"),
            Some("zope-interface".to_string())
        );
        assert_eq!(requirement_name("-r base.txt"), None);
        assert_eq!(requirement_name("# pinned"), None);
        assert_eq!(requirement_name("git+https://github.com/o/r.git"), None);
        assert_eq!(requirement_name("python = \"^3.12\""), None);
    }

    #[test]
    fn npm_names_and_python_tops_come_from_paths() {
        assert_eq!(
            npm_package("@aws-sdk/client-s3/dist/index.js"),
            Some("@aws-sdk/client-s3")
        );
        assert_eq!(npm_package("lodash/get"), Some("lodash"));
        assert_eq!(npm_package("uuid"), Some("uuid"));
        assert_eq!(npm_package("./lib/db"), None);
        assert_eq!(python_top("requests/api.py"), Some("requests"));
        assert_eq!(python_top("six.py"), Some("six"));
        assert_eq!(
            python_top("_cffi_backend.cpython-312-x86_64-linux-gnu.so"),
            Some("_cffi_backend")
        );
        assert_eq!(python_top("requests-2.32.3.dist-info/METADATA"), None);
    }
}
