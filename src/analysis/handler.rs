//! Will it even start? The handler the function is configured with must be
//! in the package: its module at the path Lambda derives from the handler
//! string (Runtime.ImportModuleError when it is not), defining the function
//! Lambda calls (Runtime.HandlerNotFound). A Python handler's module may
//! also come from a layer (it is imported through sys.path); a Node
//! handler may name a layer's file by its /opt path (what Datadog's
//! wrapper layers set), or a package the runtime requires by name when
//! the task root has no such file (New Relic's `newrelic-lambda-wrapper`).
//! A Python handler never names a path from the root: the runtime cannot
//! import it.

use super::{Finding, Level};
use crate::artifact::{Artifact, EntryKind};
use crate::imports::mount::layer_folder;
use crate::imports::reach::handler_entry;
use crate::imports::{exports, Language, SourceFile};
use crate::inventory::Inventory;

pub const RULE: &str = "runtime/handler-not-found";

/// The function's layers, for a handler whose module is in one.
#[derive(Clone, Copy, Default)]
pub struct Layers<'a> {
    pub known: &'a [&'a Artifact],
    /// The template gives the function layers the audit does not have.
    pub unknown: bool,
    /// The runtime's Python, whose site-packages folder a layer's modules
    /// are searched in (any when unknown).
    pub python: Option<(u32, u32)>,
}

/// Checks a handler given by flag, config or template (an inferred one is
/// found by construction). `family` is the runtime's (`node`, `python`)
/// when known; `scanned`, the function's own files the import scan read,
/// whose names are not parsed again.
pub fn check(
    artifact: &Artifact,
    handler: &str,
    family: Option<&str>,
    layers: Layers,
    scanned: &[SourceFile],
) -> Option<Finding> {
    if family == Some("python") && handler.starts_with('/') {
        return Some(python_path_handler(handler));
    }
    let (dir, base) = handler.rsplit_once('/').unwrap_or(("", handler));
    let Some((entry, language)) = handler_entry(artifact, handler) else {
        if family != Some("node") && compiled_python_module(artifact, handler) {
            return None;
        }
        if in_layers(handler, family, &layers)
            || required_by_name(artifact, handler, family, &layers)
        {
            return None;
        }
        // an /opt path names a layer's file, and a vendor's wrapper handler
        // comes with the vendor's layer: only when every layer is known can
        // it be missing for sure
        let wrapper = crate::rules::runtimes::wrapper(handler);
        let all_layers_known = !layers.known.is_empty() && !layers.unknown;
        if (handler.starts_with("/opt/") || wrapper.is_some()) && !all_layers_known {
            return None;
        }
        let names: Vec<String> = layers.known.iter().map(|l| l.name()).collect();
        if handler.starts_with("/opt/") {
            return Some(finding(
                handler,
                format!(
                    "the handler `{handler}` names a file in the function's layers, but none of them ({}) has it: every invocation fails with Runtime.ImportModuleError",
                    names.join(", ")
                ),
                "attach the layer that provides the handler (a wrapper's layer, such as Datadog's), or correct the /opt path".to_string(),
            ));
        }
        if let Some(wrapper) = wrapper {
            return Some(finding(
                handler,
                format!(
                    "the handler `{handler}` is {}'s wrapper, which none of the function's layers ({}) provides for this runtime: every invocation fails with Runtime.ImportModuleError",
                    wrapper.name,
                    names.join(", ")
                ),
                format!(
                    "attach {}'s layer for the function's runtime, or set the handler to the function's own",
                    wrapper.name
                ),
            ));
        }
        let mut finding = module_missing(artifact, handler, dir, base, family);
        if layers.unknown && family != Some("node") {
            finding.level = Level::Warn;
            finding
                .message
                .push_str("; the template gives the function layers, which may have it");
        }
        return Some(finding);
    };
    let path = &artifact.entries[entry].path;
    if path.ends_with(".ts") {
        return Some(finding(
            path,
            format!("the handler `{handler}` is {path}, but Lambda's Node runtimes do not run TypeScript"),
            format!(
                "compile it (tsc, esbuild) and ship {}.js",
                path.strip_suffix(".ts").unwrap_or(path)
            ),
        ));
    }
    let function = match language {
        // `index.handler`, or a property path `index.api.handler`
        Language::JavaScript => base.split('.').nth(1)?,
        Language::Python => handler.rsplit('.').next()?,
    };
    let exports = scanned
        .iter()
        .find(|file| file.path == *path)
        .and_then(|file| file.exports.as_ref());
    let defines = match exports {
        Some(exports) => {
            exports::defines_scanned(exports, function, || artifact.read_text(entry).ok())
        }
        None => exports::defines(path, &artifact.read_text(entry).ok()?, language, function),
    };
    match defines? {
        true => None,
        false => {
            let what = match language {
                Language::JavaScript => format!("exports no `{function}`"),
                Language::Python => format!("defines no `{function}` at module level"),
            };
            Some(finding(
                path,
                format!("the handler `{handler}` names {path}, which {what}: every invocation fails with Runtime.HandlerNotFound"),
                "point the handler at the function the module defines, or export it under that name".to_string(),
            ))
        }
    }
}

/// A Java handler names a class (`com.example.Handler::handleRequest`, or
/// the class alone): Lambda loads it from the package root's classes or a
/// jar in `lib/`, the classpath the Java runtimes set. Anywhere else — a
/// Spring Boot fat jar's BOOT-INF/ — it is ClassNotFoundException.
/// `layers`: the inventories of the function's layers, whose `java/lib/*.jar`
/// (/opt/java/lib) is on the classpath too.
pub fn check_java(
    artifact: &Artifact,
    inventory: &Inventory,
    layers: &[&Inventory],
    handler: &str,
) -> Option<Finding> {
    let class = handler.split("::").next()?.trim();
    if class.is_empty() || class.contains('/') {
        return None;
    }
    let file = format!("{}.class", class.replace('.', "/"));
    if artifact.find(&file).is_some() {
        return None;
    }
    // a jar directly in lib/ (/var/task/lib) or a layer's java/lib/ (/opt/java/lib)
    let jar_in = |folder: &str, path: &str| {
        path.strip_prefix(folder)
            .is_some_and(|jar| !jar.contains('/') && jar.ends_with(".jar"))
    };
    let on_classpath = |path: &str| jar_in("lib/", path);
    let in_layer = layers.iter().any(|layer| {
        layer.jar_classes.iter().any(|(package, classes)| {
            classes.contains(&file) && jar_in("java/lib/", &layer.packages[*package].path)
        })
    });
    if in_layer {
        return None;
    }
    let mut elsewhere = None;
    for (package, classes) in &inventory.jar_classes {
        if classes.contains(&file) {
            let jar = &inventory.packages[*package].path;
            if on_classpath(jar) {
                return None;
            }
            elsewhere.get_or_insert(jar.clone());
        }
    }
    if let Some(entry) = artifact
        .entries
        .iter()
        .find(|e| e.path.ends_with(&format!("/{file}")))
    {
        elsewhere.get_or_insert(entry.path.clone());
    }
    let message = match &elsewhere {
        Some(place) => format!(
            "the handler `{handler}` names class {class}, which is in {place}: not on the classpath Lambda's Java runtimes load (the package root and lib/*.jar) — ClassNotFoundException at every cold start"
        ),
        None => format!(
            "the handler `{handler}` names class {class}, which is neither among the package's classes nor in a jar under lib/ — ClassNotFoundException at every cold start"
        ),
    };
    Some(finding(
        &file,
        message,
        "deploy the classes at the zip's root with their jars in lib/ (the Gradle buildZip layout, or the Maven Shade plugin's one jar), not a Spring Boot fat jar; check the handler's package and class name".to_string(),
    ))
}

/// A custom runtime (provided.al2, provided.al2023) starts the package's
/// root `bootstrap`, whatever the handler says: without one, every
/// invocation fails with Runtime.InvalidEntrypoint.
pub fn check_bootstrap(artifact: &Artifact) -> Option<Finding> {
    if artifact.find("bootstrap").is_some() {
        return None;
    }
    let nested = in_a_folder(artifact, &["bootstrap".to_string()]);
    // files at the root the zip marks executable: the program, misnamed
    let executables: Vec<&str> = artifact
        .entries
        .iter()
        .filter(|e| e.kind == EntryKind::File && !e.path.contains(['/', '.']))
        .filter(|e| e.unix_mode.is_some_and(|m| m & 0o111 != 0))
        .map(|e| e.path.as_str())
        .collect();
    let (message, fix) = match (nested, executables.as_slice()) {
        (Some((nested, folder)), _) => {
            (
                format!("a custom runtime starts the root `bootstrap`, but the package has {nested}: it holds the folder {folder}, not its contents — Runtime.InvalidEntrypoint at every invocation"),
                format!("zip from inside the folder (`cd {} && zip -r ../function.zip .`)", folder.trim_end_matches('/')),
            )
        }
        (None, [one]) => (
            format!("a custom runtime starts the root `bootstrap`, but the package's executable is {one} — Runtime.InvalidEntrypoint at every invocation"),
            format!("name the executable bootstrap (`mv {one} bootstrap`; Go: `go build -o bootstrap`), or add a bootstrap script that starts it"),
        ),
        _ => (
            "a custom runtime starts the root `bootstrap`, and the package has none — Runtime.InvalidEntrypoint at every invocation".to_string(),
            "ship the executable (or a script that starts the program) as `bootstrap` at the zip's root, mode 755".to_string(),
        ),
    };
    Some(finding("bootstrap", message, fix))
}

/// The shallowest file named like one of `names` (paths from the root)
/// but inside a folder, and that folder (`dist/`): the sign of a zip made
/// of the build folder rather than of its contents.
fn in_a_folder<'a>(artifact: &'a Artifact, names: &[String]) -> Option<(&'a str, &'a str)> {
    artifact
        .entries
        .iter()
        .filter_map(|e| {
            let name = names.iter().find(|n| e.path.ends_with(&format!("/{n}")))?;
            Some((e.path.as_str(), &e.path[..e.path.len() - name.len()]))
        })
        .min_by_key(|(path, _)| (path.matches('/').count(), *path))
}

/// A handler module shipped as bytecode or an extension module only
/// (`app.pyc`, `app.cpython-312-x86_64-linux-gnu.so`): Python imports those
/// too, and deadweight does not read them.
fn compiled_python_module(artifact: &Artifact, handler: &str) -> bool {
    let module = handler
        .rsplit_once('.')
        .map_or(handler, |(module, _)| module)
        .replace('.', "/");
    artifact.entries.iter().any(|e| {
        e.path
            .strip_prefix(module.as_str())
            .is_some_and(|rest| rest == ".pyc" || (rest.starts_with('.') && rest.ends_with(".so")))
    })
}

/// Whether a layer has the handler's module where Lambda looks: a Node
/// handler's /opt path, or a Python module under a layer's `python/` or
/// `python/lib/pythonX.Y/site-packages/`.
fn in_layers(handler: &str, family: Option<&str>, layers: &Layers) -> bool {
    let mut candidates = Vec::new();
    if let Some(inside) = handler.strip_prefix("/opt/") {
        if family != Some("python") {
            let (dir, base) = inside.rsplit_once('/').unwrap_or(("", inside));
            let module = base.split('.').next().unwrap_or(base);
            candidates.extend(["js", "mjs", "cjs"].map(|ext| format!("{dir}/{module}.{ext}")));
        }
    } else if family != Some("node") {
        let module = handler
            .rsplit_once('.')
            .map_or(handler, |(module, _)| module)
            .replace('.', "/");
        candidates.extend([format!("{module}.py"), format!("{module}/__init__.py")]);
    }
    let python = layers
        .python
        .map(|(major, minor)| format!("{major}.{minor}"));
    layers.known.iter().any(|layer| {
        candidates.iter().any(|candidate| {
            if handler.starts_with("/opt/") {
                return layer.find(candidate).is_some();
            }
            layer.entries.iter().any(|e| {
                layer_folder(&e.path).is_some_and(|at| {
                    at.folder.starts_with("python/")
                        && at.searched_by(python.as_deref())
                        && at.inside == candidate
                })
            })
        })
    })
}

/// A Node handler's module the task root lacks is required by name, as the
/// runtime does (`require.resolve` from the task root): a package in the
/// function's node_modules or on NODE_PATH in a layer (New Relic's
/// `newrelic-lambda-wrapper.handler`).
fn required_by_name(
    artifact: &Artifact,
    handler: &str,
    family: Option<&str>,
    layers: &Layers,
) -> bool {
    if family == Some("python") || handler.contains('/') {
        return false;
    }
    let package = handler.split('.').next().unwrap_or(handler);
    let in_package = |path: &str| {
        path.strip_prefix(package)
            .is_some_and(|rest| rest.starts_with('/'))
    };
    let own = artifact
        .entries
        .iter()
        .any(|e| e.path.strip_prefix("node_modules/").is_some_and(in_package));
    own || layers.known.iter().any(|layer| {
        layer.entries.iter().any(|e| {
            layer_folder(&e.path)
                .is_some_and(|at| at.folder.starts_with("nodejs/") && in_package(at.inside))
        })
    })
}

/// The handler's module is nowhere; a file of that name one folder down
/// means the zip holds the build folder rather than its contents.
fn module_missing(
    artifact: &Artifact,
    handler: &str,
    dir: &str,
    base: &str,
    family: Option<&str>,
) -> Finding {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let node_stem = format!("{prefix}{}", base.split('.').next().unwrap_or(base));
    let python_module = handler
        .rsplit_once('.')
        .map_or(handler, |(module, _)| module)
        .replace('.', "/");
    let mut names = Vec::new();
    if family != Some("python") {
        names.extend(["js", "mjs", "cjs"].map(|ext| format!("{node_stem}.{ext}")));
    }
    if family != Some("node") {
        names.push(format!("{python_module}.py"));
    }
    let elsewhere = in_a_folder(artifact, &names);
    let expected = match names.as_slice() {
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (or {})", rest.join(", ")),
        [] => String::new(),
    };
    let location = names.first().cloned().unwrap_or_default();
    let (message, fix) = match elsewhere {
        Some((found, folder)) => {
            (
                format!("the handler `{handler}` needs {expected} at the package root, but the package has {found}: it holds the folder {folder}, not its contents — every invocation fails with Runtime.ImportModuleError"),
                format!("zip from inside the folder (`cd {} && zip -r ../function.zip .`), or set the handler to `{folder}{handler}`", folder.trim_end_matches('/')),
            )
        }
        None => (
            format!("the handler `{handler}` needs {expected}, which is not in the package: every invocation fails with Runtime.ImportModuleError"),
            "check the handler setting against the package's files, and that the build put the handler's module in the zip".to_string(),
        ),
    };
    finding(&location, message, fix)
}

/// Python's runtime imports `module.replace("/", ".")`: from an absolute
/// path (`/opt/python/tracer._handler`, as some wrapper set-ups write it)
/// that is `.opt.python.tracer`, a relative import with no package, which
/// raises TypeError before the handler runs, whatever the layers hold.
fn python_path_handler(handler: &str) -> Finding {
    let (module, function) = handler.rsplit_once('.').unwrap_or((handler, ""));
    // what the search path sees: a layer's python/ or its
    // python/lib/pythonX.Y/site-packages/, or the task root
    let relative = module
        .strip_prefix("/opt/")
        .and_then(layer_folder)
        .filter(|at| at.folder.starts_with("python/"))
        .map(|at| at.inside)
        .or_else(|| module.strip_prefix("/var/task/"));
    let fix = match relative {
        Some(inside) if !inside.is_empty() && !function.is_empty() => format!(
            "name the module as Python's search path sees it: `{}.{function}`",
            inside.replace('/', ".")
        ),
        _ => "name the module relative to the task root or a layer's python/ folder".to_string(),
    };
    finding(
        handler,
        format!(
            "the handler `{handler}` is an absolute path: Python's runtime turns each / into a dot and imports `{}`, a relative import that fails (TypeError) at every cold start",
            module.replace('/', ".")
        ),
        fix,
    )
}

fn finding(path: &str, message: String, fix: String) -> Finding {
    super::compat::finding(RULE, Level::Deny, message, path, None, fix)
}
