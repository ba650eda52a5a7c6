//! Will it even start? Node loads a file as an ES module or as CommonJS by
//! its extension and the `"type"` of the nearest package.json, never by
//! what the file says: CommonJS code (`exports.handler =`, what `tsc`
//! writes for `"module": "commonjs"`) under `"type": "module"` throws
//! "exports is not defined in ES module scope", and `import` under
//! `"type": "commonjs"` is a SyntaxError. Only the function's own files are
//! checked: a published package's format is its author's, and tested.

use std::collections::{HashMap, HashSet};

use super::{Finding, Level};
use crate::artifact::Artifact;
use crate::imports::reach::{CommonJsImport, InitLoad, NamespaceCall, NodeFormat, Required};
use crate::imports::{JsonAttribute, Language, SourceFile};
use crate::inventory::Inventory;
use crate::rules::runtimes::RuntimeInfo;

pub const RULE: &str = "runtime/module-format-mismatch";
pub const JSON_RULE: &str = "runtime/json-import-attribute";
pub const REQUIRE_ESM_RULE: &str = "runtime/require-esm";
pub const NAMESPACE_CALL_RULE: &str = "runtime/namespace-call";
pub const ESM_IMPORTS_COMMONJS_RULE: &str = "node/esm-imports-commonjs";
/// From this size a CommonJS file an ES module imports costs init time
/// worth a finding: a few milliseconds on a full vCPU.
const COMMONJS_IMPORTED_REPORTED: u64 = 100 * 1024;

/// The `"type"` of each package.json read, by its path (`None`: no such
/// file, or unreadable).
type PackageTypes = HashMap<String, Option<(String, Option<String>)>>;

/// The format Node gives a file, and why.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Esm,
    CommonJs,
}

pub fn check(
    artifact: &Artifact,
    load: &InitLoad,
    sources: &[SourceFile],
    runtime: Option<&RuntimeInfo>,
) -> Vec<Finding> {
    if load.language != Language::JavaScript {
        return Vec::new();
    }
    let loaded: HashSet<&str> = load
        .loaded
        .iter()
        .map(|&i| artifact.entries[i].path.as_str())
        .collect();
    let mut types = PackageTypes::new();
    let mut findings = Vec::new();
    for source in sources.iter().filter(|s| loaded.contains(s.path.as_str())) {
        let explicit = format_of(artifact, &source.path, &mut types);
        // a .js with no "type" is an ES module when it reads as one
        let esm = match explicit {
            Some((format, _)) => format == Format::Esm,
            None => source.syntax.esm.is_some(),
        };
        if esm {
            findings.extend(json_imports(source, runtime));
        }
        let Some((format, manifest)) = explicit else {
            findings.extend(undetected_esm(source, runtime));
            continue;
        };
        let why = match (&manifest, format) {
            (Some(manifest), Format::Esm) => format!("{manifest} says \"type\": \"module\""),
            (Some(manifest), Format::CommonJs) => format!("{manifest} says \"type\": \"commonjs\""),
            (None, Format::Esm) => "its extension is .mjs".to_string(),
            (None, Format::CommonJs) => "its extension is .cjs".to_string(),
        };
        let finding = match (format, &source.syntax.commonjs, source.syntax.esm) {
            (Format::Esm, Some((line, name)), _) => Some((
                *line,
                format!(
                    "{}:{line} uses CommonJS (`{name}`) at init, but {why}, so Node loads it as an ES module: ReferenceError: {name} is not defined in ES module scope, at every cold start",
                    source.path
                ),
                match &manifest {
                    Some(manifest) => format!("remove `\"type\": \"module\"` from {manifest} (or set `\"commonjs\"`), rename the file to .cjs, or compile to ES modules (tsc `\"module\": \"nodenext\"`, esbuild `--format=esm`)"),
                    None => "write it as an ES module (`import`; `import.meta.dirname` for `__dirname`), or rename it to .cjs".to_string(),
                },
            )),
            (Format::CommonJs, _, Some(line)) => Some((
                line,
                format!(
                    "{}:{line} is written as an ES module (import/export), but {why}, so Node loads it as CommonJS: SyntaxError: Cannot use import statement outside a module, at every cold start",
                    source.path
                ),
                match &manifest {
                    Some(manifest) => format!("set `\"type\": \"module\"` in {manifest}, rename the file to .mjs, or compile to CommonJS (esbuild `--format=cjs`)"),
                    None => "rename it to .mjs, or compile it to CommonJS (esbuild `--format=cjs`)".to_string(),
                },
            )),
            _ => None,
        };
        if let Some((line, message, fix)) = finding {
            findings.push(
                super::compat::finding(RULE, Level::Deny, message, &source.path, None, fix)
                    .at_line(line),
            );
        }
    }
    findings
}

/// `require()` calls init makes of a file Node loads as an ES module, where
/// that fails every cold start: on a Node that cannot require one
/// (nodejs18.x and older: ERR_REQUIRE_ESM), on any Node when the module or
/// one it imports waits at its top level (`await` outside a function:
/// ERR_REQUIRE_ASYNC_MODULE), and, on any Node, when init
/// calls, constructs or extends what the `require` returned — the module's
/// namespace object, not its default export (`const middy =
/// require('@middy/core'); middy(handler)`: TypeError: middy is not a
/// function). Packages' requires count as much as the function's own: a
/// CommonJS package requiring a dependency that went ES-module-only fails
/// the same way. Without a runtime, the last two are reported.
pub fn required_es_modules(
    inventory: &Inventory,
    required: &[Required],
    runtime: Option<&RuntimeInfo>,
) -> Vec<Finding> {
    let node = runtime.filter(|r| r.family == "node");
    let mut findings = Vec::new();
    for r in required {
        let why = match &r.format {
            NodeFormat::EsModule {
                manifest: Some(manifest),
            } => format!("{manifest} says \"type\": \"module\""),
            NodeFormat::EsModule { manifest: None } => "its extension is .mjs".to_string(),
            // an ES module only where Node detects the syntax (an older one
            // fails on the syntax instead)
            NodeFormat::BySyntax if node.is_none_or(|n| n.module_syntax_detection) => {
                "it is written as one, with no \"type\" above it".to_string()
            }
            NodeFormat::BySyntax => continue,
        };
        let target = super::missing_modules::package_of(inventory, r.target_file);
        let importer = super::missing_modules::package_of(inventory, r.file);
        let target_name = target.map_or(r.module.as_str(), |p| p.name.as_str());
        let (line, message, fix) = match (node, &r.awaits, &r.invoked) {
            (Some(node), ..) if !node.require_esm => (
                r.line,
                format!(
                    "{}:{} requires {}, which Node loads as an ES module ({}: {why}): {}'s Node cannot require() an ES module, Error [ERR_REQUIRE_ESM] at every cold start",
                    r.path, r.line, r.module, r.target, node.id
                ),
                format!(
                    "move the function to nodejs20.x or later (require() loads ES modules from Node 20.19 and 22.12), pin {target_name} to a release that still ships CommonJS, or load it with `await import('{}')`",
                    r.module
                ),
            ),
            (_, Some((file, line)), _) => (
                r.line,
                format!(
                    "{}:{} requires {}, an ES module ({}: {why}) whose imports wait at their top level ({file}:{line}): require() cannot load it, Error [ERR_REQUIRE_ASYNC_MODULE] at every cold start",
                    r.path, r.line, r.module, r.target
                ),
                format!(
                    "load it with `await import('{}')` (in an async init, or an ES module handler), or pin {target_name} to a release that does not wait as it loads",
                    r.module
                ),
            ),
            (_, None, Some(call)) => (
                call.line,
                format!(
                    "{}:{} calls what `require('{}')` returns, but {} is an ES module ({why}): require() gives its namespace object, not its default export, so the call is a TypeError ({} is not a function) at every cold start",
                    r.path, call.line, r.module, r.target, call.name
                ),
                format!(
                    "take its default export (`require('{}').default`), load it with `await import('{}')`, or pin {target_name} to a release that still ships CommonJS",
                    r.module, r.module
                ),
            ),
            _ => continue,
        };
        findings.push(
            super::compat::finding(
                REQUIRE_ESM_RULE,
                Level::Deny,
                message,
                &r.path,
                importer.map(crate::inventory::Package::label),
                fix,
            )
            .at_line(line),
        );
    }
    findings
}

/// `import * as m from '…'` (or `const m = await import('…')`) and then
/// `m()`, `new m()` or `class X extends m` at init, in the function's code
/// or a package's: a module namespace object is never a function, whatever
/// the module is (a CommonJS module's `module.exports` is its `default`),
/// so every Node throws a TypeError at every cold start.
pub fn namespace_calls(inventory: &Inventory, calls: &[NamespaceCall]) -> Vec<Finding> {
    calls
        .iter()
        .map(|c| {
            let importer = super::missing_modules::package_of(inventory, c.file);
            let (name, module) = (&c.call.name, &c.module);
            let (bound, fix) = match c.dynamic {
                false => (
                    format!("import * as {name} from '{module}'"),
                    format!("import {name} from '{module}'"),
                ),
                true => (
                    format!("const {name} = await import('{module}')"),
                    format!("const {{ default: {name} }} = await import('{module}')"),
                ),
            };
            super::compat::finding(
                NAMESPACE_CALL_RULE,
                Level::Deny,
                format!(
                    "{}:{} uses {name}, the namespace object of `{bound}`, as a function (a call, `new` or `extends`): a module namespace is never one, so init throws a TypeError at every cold start",
                    c.path, c.call.line
                ),
                &c.path,
                importer.map(crate::inventory::Package::label),
                format!(
                    "take the module's default export instead: `{fix}` (for a CommonJS module, its module.exports)"
                ),
            )
            .at_line(c.call.line)
        })
        .collect()
}

/// The function's own ES modules importing a large CommonJS file: Node
/// reads the file once more at init, to find the names it exports, before
/// running it. A package's own imports are its author's; bundling removes
/// them too, which the fix says.
/// `bundles`: the function's files that are bundles, whose imports are
/// what the bundler left out (`--external`).
pub fn commonjs_imports(
    inventory: &Inventory,
    imports: &[CommonJsImport],
    bundles: &[crate::inventory::bundle::Bundle],
) -> Vec<Finding> {
    let own = |i: &&CommonJsImport| i.file.layer.is_none() && !i.path.contains("node_modules/");
    imports
        .iter()
        .filter(own)
        .filter(|i| i.bytes >= COMMONJS_IMPORTED_REPORTED)
        .map(|i| {
            let target = i
                .target_file
                .and_then(|file| super::missing_modules::package_of(inventory, file));
            super::compat::finding(
                ESM_IMPORTS_COMMONJS_RULE,
                Level::Warn,
                format!(
                    "{}:{} imports {}, a CommonJS module ({}, {}): Node reads it a second time at init, to find the names it exports, before running it",
                    i.path,
                    i.line,
                    i.module,
                    i.target,
                    crate::units::human_bytes(i.bytes)
                ),
                &i.path,
                target.map(crate::inventory::Package::label),
                {
                    let require = format!(
                        "load it with require: `import {{ createRequire }} from 'node:module'; const require = createRequire(import.meta.url);` then `require('{}')`",
                        i.module
                    );
                    match bundles.iter().any(|b| b.path == i.path) {
                        true => format!(
                            "{} is a bundle that leaves {} out (--external): {require}, or bundle it in too",
                            i.path, i.module
                        ),
                        false => format!(
                            "bundle the function (esbuild --bundle --platform=node), or {require}"
                        ),
                    }
                },
            )
            .at_line(i.line)
        })
        .collect()
}

/// A `.js` written as an ES module with no `"type"` above it: Node 20.19
/// and 22.7 detect the syntax and load it as one; older Nodes load it as
/// CommonJS, where `import` is a SyntaxError.
fn undetected_esm(source: &SourceFile, runtime: Option<&RuntimeInfo>) -> Option<Finding> {
    let line = source.syntax.esm?;
    let (level, on) = match runtime {
        Some(runtime) if runtime.family == "node" && !runtime.module_syntax_detection => {
            (Level::Deny, format!("{}'s Node", runtime.id))
        }
        Some(_) => return None,
        None => (Level::Warn, "nodejs18.x and older".to_string()),
    };
    let message = format!(
        "{}:{line} is written as an ES module (import/export), but no package.json above it says \"type\": \"module\": {on} loads a .js as CommonJS then (module syntax is detected from Node 20.19 and 22.7), and fails with SyntaxError: Cannot use import statement outside a module, at every cold start",
        source.path
    );
    let finding = super::compat::finding(
        RULE,
        level,
        message,
        &source.path,
        None,
        "set `\"type\": \"module\"` in the package.json at the package root, rename the file to .mjs, or compile to CommonJS (esbuild `--format=cjs`)".to_string(),
    );
    Some(finding.at_line(line))
}

/// JSON imported by an ES module must say so: with nothing, every Node
/// refuses it (ERR_IMPORT_ATTRIBUTE_MISSING); `assert { type: 'json' }`
/// is a SyntaxError from Node 22, which kept only `with`.
fn json_imports(source: &SourceFile, runtime: Option<&RuntimeInfo>) -> Vec<Finding> {
    let node_major: Option<u32> = runtime
        .filter(|r| r.family == "node")
        .and_then(|r| r.version.parse().ok());
    source
        .syntax
        .json_imports
        .iter()
        .filter_map(|(line, module, attribute)| {
            let (level, message) = match (attribute, node_major) {
                (JsonAttribute::Missing, _) => (
                    Level::Deny,
                    format!(
                        "{}:{line} imports {module} with no `with {{ type: 'json' }}`: Node refuses JSON imported by an ES module without it (TypeError: needs an import attribute of type \"json\"), at every cold start",
                        source.path
                    ),
                ),
                (JsonAttribute::Assert, Some(major)) if major >= 22 => (
                    Level::Deny,
                    format!(
                        "{}:{line} imports {module} with `assert {{ type: 'json' }}`, which Node 22 removed: SyntaxError at every cold start on nodejs{major}.x",
                        source.path
                    ),
                ),
                (JsonAttribute::Assert, None) => (
                    Level::Warn,
                    format!(
                        "{}:{line} imports {module} with `assert {{ type: 'json' }}`, a SyntaxError on Node 22 and later (nodejs22.x, nodejs24.x)",
                        source.path
                    ),
                ),
                _ => return None,
            };
            let finding = super::compat::finding(
                JSON_RULE,
                level,
                message,
                &source.path,
                None,
                format!("write `import … from '{module}' with {{ type: 'json' }}` (Node 18.20+, 20.10+, 22), or read it with fs.readFileSync and JSON.parse"),
            );
            Some(finding.at_line(*line))
        })
        .collect()
}

/// The format Node loads `path` in when the file or its package.json says
/// so explicitly: `.mjs` / `.cjs`, or a `"type"` in the nearest
/// package.json (returned). A `.js` under no `"type"` is left alone:
/// Node 22 (and 20 from 20.19) looks at the syntax itself.
fn format_of(
    artifact: &Artifact,
    path: &str,
    types: &mut PackageTypes,
) -> Option<(Format, Option<String>)> {
    if path.ends_with(".mjs") {
        return Some((Format::Esm, None));
    }
    if path.ends_with(".cjs") {
        return Some((Format::CommonJs, None));
    }
    if !path.ends_with(".js") {
        return None;
    }
    let mut dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    loop {
        let manifest = if dir.is_empty() {
            "package.json".to_string()
        } else {
            format!("{dir}/package.json")
        };
        let found = types
            .entry(manifest.clone())
            .or_insert_with(|| {
                let index = artifact.find(&manifest)?;
                let text = artifact.read_text(index).ok()?;
                let json: serde_json::Value = serde_json::from_str(&text).ok()?;
                Some((manifest.clone(), json["type"].as_str().map(str::to_string)))
            })
            .clone();
        // the nearest package.json decides, with or without a "type"
        if let Some((manifest, kind)) = found {
            return match kind.as_deref() {
                Some("module") => Some((Format::Esm, Some(manifest))),
                Some("commonjs") => Some((Format::CommonJs, Some(manifest))),
                _ => None,
            };
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir.rsplit_once('/').map_or("", |(d, _)| d);
    }
}
