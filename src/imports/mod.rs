//! Import scanning of the function's own code with real parsers: oxc for
//! JavaScript and TypeScript, ruff's parser for Python. Every import comes
//! with its file:line:column and whether it runs at init (module scope) or
//! lazily (inside a function).

pub mod clients;
pub mod environment;
pub mod exports;
mod js;
pub mod mount;
mod python;
pub mod reach;
pub mod scan_cache;
pub mod source_map;

use std::collections::{HashMap, HashSet};

use rayon::prelude::*;
use serde::Serialize;

use crate::artifact::{Artifact, EntryKind, Warning, DEFAULT_READ_LIMIT};
use crate::inventory::{Inventory, Owner};
use clients::HandlerCode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    JavaScript,
    Python,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImportKind {
    /// `import x from 'm'`, `import 'm'`
    Esm,
    /// `export … from 'm'`
    ExportFrom,
    /// `require('m')`
    Require,
    /// `import('m')`
    Dynamic,
    /// `import x = require('m')` (TypeScript)
    TsImportEquals,
    /// `import m`
    PythonImport,
    /// `from m import x`
    PythonFrom,
    /// `importlib.import_module("m")`, `__import__("m")`
    PythonImportlib,
    /// What a package's module `__getattr__` imports when the attribute in
    /// `members` is first read (pydantic's `_dynamic_imports`): lazy in the
    /// package itself, loaded by `from package import member`.
    PythonLazyAttribute,
}

impl ImportKind {
    /// Loaded by Node's ES module loader: `import`, `export … from`,
    /// `import()`.
    pub fn is_es_module_import(self) -> bool {
        matches!(
            self,
            ImportKind::Esm | ImportKind::ExportFrom | ImportKind::Dynamic
        )
    }
}

/// A name used on an imported module (`AWS.DynamoDB`), or imported from it
/// (`{ DynamoDB }`, `from boto3 import client`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub name: String,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Import {
    /// The module as written: `aws-sdk`, `./lib/db`, `boto3`, `.models`.
    pub module: String,
    pub kind: ImportKind,
    pub line: u32,
    pub column: u32,
    /// Inside a function (or a `catch` fallback): runs when called, not at init.
    pub lazy: bool,
    /// Inside a `try` block with a handler (this id): the code survives
    /// the module's absence (sharp tries one build per platform this way).
    pub guarded_by: Option<u32>,
    /// In the handler of that `try` (this id), at its module scope: a
    /// fallback, which runs at init when an import the `try` guards is
    /// missing (`except ImportError: import json`).
    pub fallback_for: Option<u32>,
    /// In the `else:` of that `try` (Python), at its module scope: runs
    /// only when the `try` raised nothing, so not when an import it
    /// guards is missing (motor imports its Tornado classes in the `else`
    /// of `try: import tornado`).
    #[serde(skip)]
    pub after_try: Option<u32>,
    /// Under an `if`, in a loop, or on one side of `a ? b : c` / `a || b`:
    /// it may not run, so the module's absence is no sure failure
    /// (`if sys.version_info < (3, 11): import tomli`).
    pub conditional: bool,
    /// In a `try` whose handlers all raise again (`except ImportError:
    /// raise DidNotEnable(...)`): when this import finds nothing, the
    /// module stops here, and what it imports further down never runs.
    pub stops_module: bool,
    /// Names imported or used on the module, in order of appearance.
    pub members: Vec<Member>,
    /// The names the import takes from its module (ES module `import { a }`
    /// and `export { a } from`, Python `from m import a`): a module without
    /// one fails init, Node before any code runs (it cannot link the
    /// importer), Python with an ImportError.
    #[serde(skip)]
    pub linked: Vec<Member>,
    /// Where init calls, constructs or extends the module object itself,
    /// under the name it has there: what a `require` returned (`middy(handler)`
    /// after `const middy = require('@middy/core')`, where an ES module's
    /// namespace object is no function), or an `import * as` namespace,
    /// which never is one.
    #[serde(skip)]
    pub invoked: Option<Member>,
    /// Names the code sets on the imported module object (`config.DEBUG =
    /// True` after `import config`, Python): the module has them once that
    /// code ran, for any importer.
    #[serde(skip)]
    pub assigned: Vec<Member>,
    /// Names the code sets through the top package a dotted `import a.b`
    /// binds (`a.x = …`, `a.c.x = …`, Python), as paths from that package:
    /// `x`, `c.x`.
    #[serde(skip)]
    pub assigned_on_package: Vec<Member>,
    /// Python: the module-level functions whose call runs this import:
    /// the one whose body holds it (not a function nested in it, nor a
    /// fallback), and those of the module that call that one in turn
    /// (`create_app` calling `register_blueprints`). It runs at init when
    /// module-scope code calls one of them.
    #[serde(skip)]
    pub functions: Vec<String>,
    /// Python: the names this import binds (or reads on its module) that
    /// module-scope code calls (`getattr_migration(__name__)` after `from
    /// ._migration import getattr_migration`): the imports in those
    /// functions' bodies run at init.
    #[serde(skip)]
    pub calls: Vec<Member>,
    /// Python: calls of what this import binds made in the module's
    /// functions and methods whenever they run, not under a condition or
    /// in a `try` (`HTTPTransport(…)` in httpx's
    /// `Client._init_transport`): the functions whose run makes each
    /// (that one and its callers in the module), and the call. They run
    /// at init when init calls one of those functions.
    #[serde(skip)]
    pub calls_in: Vec<(Vec<String>, Member)>,
    /// JavaScript: the tests of the function's environment variables
    /// around it, all of which must hold for it to run (`if
    /// (process.env.NODE_ENV === 'production')`).
    #[serde(skip)]
    pub when: Vec<environment::EnvTest>,
}

impl Import {
    /// An import of `module` at module scope, with nothing else known of
    /// it: no condition, no `try`, no names taken or used.
    pub(crate) fn plain(module: String, kind: ImportKind) -> Import {
        Import {
            module,
            kind,
            line: 0,
            column: 0,
            lazy: false,
            guarded_by: None,
            fallback_for: None,
            after_try: None,
            conditional: false,
            stops_module: false,
            members: Vec::new(),
            linked: Vec::new(),
            invoked: None,
            assigned: Vec::new(),
            assigned_on_package: Vec::new(),
            functions: Vec::new(),
            calls: Vec::new(),
            calls_in: Vec::new(),
            when: Vec::new(),
        }
    }

    /// Whether init runs it whatever happens: at module scope, under no
    /// condition, and not in a `try` that survives its failure.
    pub fn surely_runs(&self) -> bool {
        !self.lazy && !self.conditional && (self.guarded_by.is_none() || self.stops_module)
    }
}

/// Gives each import in a module-level function the module's functions
/// that run it (that one, and those calling it, directly or not), and
/// makes an import at init of each that module-scope code runs this way.
/// `called` says whether module-scope code calls a function: surely
/// (`Some(true)`), or under a condition, which the import then is under.
/// Each call a function makes, whenever it runs, of what an import binds
/// goes on that import: among the calls init makes when module-scope
/// code surely runs the function, else, when `keep`, with the functions
/// whose run makes it ([`Import::calls_in`]), for init to follow when
/// another module's code calls one of them.
fn run_called_functions(
    imports: &mut [Import],
    calls_in_functions: Vec<CallInFunction>,
    (function_calls, guarded): (&FunctionCalls, &FunctionCalls),
    called: impl Fn(&str) -> Option<bool>,
    keep: bool,
) {
    let surely_called_by = called_by(function_calls, guarded);
    let called_by = called_by(function_calls, &FunctionCalls::new());
    // per function, every function whose call runs it, and whether one
    // surely called at init surely does
    let mut runners: HashMap<String, (Vec<String>, bool)> = HashMap::new();
    let mut runners_of = |function: &str| -> (Vec<String>, bool) {
        runners
            .entry(function.to_string())
            .or_insert_with(|| {
                let surely = callers_of(&surely_called_by, function)
                    .iter()
                    .any(|f| called(f) == Some(true));
                (callers_of(&called_by, function), surely)
            })
            .clone()
    };
    for import in imports.iter_mut() {
        let Some(own) = import.functions.first() else {
            continue;
        };
        let (all, surely) = runners_of(own);
        import.functions = all;
        if import.lazy && import.functions.iter().any(|f| called(f).is_some()) {
            import.lazy = false;
            import.conditional |= !surely;
        }
    }
    for (function, index, call, maybe) in calls_in_functions {
        let Some(import) = imports.get_mut(index).filter(|_| !maybe) else {
            continue;
        };
        let (all, surely) = runners_of(&function);
        if surely {
            push_call(&mut import.calls, call);
        } else if keep {
            import.calls_in.push((all, call));
        }
    }
}

/// Per module-level function, the names of the module's functions its
/// body calls.
type FunctionCalls = HashMap<String, HashSet<String>>;

/// A call in a function of what an import binds: the function, the
/// import's index, the call by the name it has in the module imported,
/// and whether it may not run when the function does.
type CallInFunction = (String, usize, Member, bool);

/// Adds a call to an import's `calls`, once per name.
fn push_call(calls: &mut Vec<Member>, call: Member) {
    if !calls.iter().any(|c| c.name == call.name) {
        calls.push(call);
    }
}

/// Per function, the functions that call it, leaving out the calls in
/// `skipped` (those made under a condition or in a `try` that survives
/// what the call raises, for the functions that surely call it: mako's
/// `_install_highlighting` calls `_install_pygments` in a `try` that
/// falls back without Pygments).
fn called_by<'f>(
    function_calls: &'f FunctionCalls,
    skipped: &FunctionCalls,
) -> HashMap<&'f str, Vec<&'f str>> {
    let mut called_by: HashMap<&str, Vec<&str>> = HashMap::new();
    for (caller, callees) in function_calls {
        let skipped = skipped.get(caller);
        for callee in callees {
            if !skipped.is_some_and(|skipped| skipped.contains(callee)) {
                called_by.entry(callee).or_default().push(caller);
            }
        }
    }
    called_by
}

/// `function` and the functions that call it, directly or not, sorted.
fn callers_of(called_by: &HashMap<&str, Vec<&str>>, function: &str) -> Vec<String> {
    let mut seen = HashSet::from([function]);
    let mut stack = vec![function];
    while let Some(callee) = stack.pop() {
        for &caller in called_by.get(callee).into_iter().flatten() {
            if seen.insert(caller) {
                stack.push(caller);
            }
        }
    }
    let mut all: Vec<String> = seen.into_iter().map(str::to_string).collect();
    all.sort();
    all
}

/// The `try` statements (with a handler) around a scanner's position, for
/// an import's `guarded_by` and `fallback_for`. A `try`'s id is its start
/// offset.
#[derive(Default)]
struct TryScopes {
    /// `try` bodies the position is in.
    bodies: Vec<u32>,
    /// `else:` blocks of a `try` the position is in: their `try`'s id,
    /// and the function depth there.
    elses: Vec<(u32, u32)>,
    /// Handlers (`catch`, `except`) it is in: their `try`'s id, and the
    /// function depth outside the handler.
    handlers: Vec<(u32, u32)>,
    /// The `try` statements whose handlers all raise again (`except
    /// ImportError: raise …`, `catch (e) { throw … }`).
    raising: std::collections::HashSet<u32>,
}

impl TryScopes {
    fn guarded_by(&self) -> Option<u32> {
        self.bodies.last().copied()
    }

    /// Whether an import here, at module scope, stops the module when it
    /// finds nothing: its `try` only raises again.
    fn stops_module(&self, function_depth: u32) -> bool {
        function_depth == 0
            && self
                .guarded_by()
                .is_some_and(|id| self.raising.contains(&id))
    }

    /// The `try` whose `else:` block holds the position, at that block's
    /// own function depth.
    fn after(&self, function_depth: u32) -> Option<u32> {
        self.elses
            .last()
            .filter(|(_, depth)| *depth == function_depth)
            .map(|(id, _)| *id)
    }

    /// The handler's `try`, when only the handler (counted as one level of
    /// function depth) makes an import lazy, not a function inside it.
    fn fallback_for(&self, function_depth: u32) -> Option<u32> {
        self.handlers
            .last()
            .filter(|(_, outside)| function_depth == outside + 1)
            .map(|(id, _)| *id)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceFile {
    pub path: String,
    pub language: Language,
    pub imports: Vec<Import>,
    /// Python syntax newer than the version the file was scanned for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub too_new: Vec<TooNew>,
    /// JavaScript: whether the file is written as an ES module or as
    /// CommonJS, for the format Node will load it in.
    #[serde(skip)]
    pub syntax: ModuleSyntax,
    /// What the module gives its importers: an ES module's exports, a
    /// Python module's bindings (`None` for CommonJS).
    #[serde(skip)]
    pub exports: Option<exports::ModuleExports>,
    /// Python: the classes the module defines as it runs (the init-time
    /// model prices them); 0 for JavaScript.
    #[serde(skip)]
    pub classes: u32,
    /// JavaScript: the tokens its parse read, the init-time model's
    /// measure of code (a minified file has as many as its source); 0
    /// for Python.
    #[serde(skip)]
    pub tokens: u32,
    /// JavaScript: the source map its last comment names, which Node
    /// reads as it loads the file when source maps are enabled.
    #[serde(skip)]
    pub source_map: Option<source_map::MapLink>,
}

/// What a JavaScript file's own text says about its module format.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleSyntax {
    /// Line of the first `import` / `export` declaration.
    pub esm: Option<u32>,
    /// Line and name of the first CommonJS binding (`require`, `module`,
    /// `exports`, `__dirname`, `__filename`) init surely evaluates.
    pub commonjs: Option<(u32, String)>,
    /// `import … from './x.json'`: line, specifier, and the attribute given.
    pub json_imports: Vec<(u32, String, JsonAttribute)>,
    /// Line of the first `await` outside any function: an ES module that
    /// waits as it loads, which require() cannot load.
    pub top_level_await: Option<u32>,
    /// What the module assigns to `process.env` at its top level.
    pub sets_env: Vec<environment::EnvAssignment>,
}

/// How an ES module import of JSON says it is JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonAttribute {
    /// Nothing: Node refuses to load it.
    Missing,
    /// `assert { type: 'json' }`: Node 18 and 20 only; 22 removed it.
    Assert,
    /// `with { type: 'json' }`.
    With,
}

/// Syntax the runtime's Python does not have (a PEP 701 f-string on 3.11,
/// `match` on 3.9): a SyntaxError when the module is imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TooNew {
    pub line: u32,
    pub column: u32,
    /// What and since when: "Cannot use `match` statement on Python 3.9
    /// (syntax was added in Python 3.10)".
    pub message: String,
}

/// Files larger than this are skipped: generated data, not code to lint.
pub const MAX_SOURCE_BYTES: u64 = DEFAULT_READ_LIMIT;

/// Scans the function's own source files (not packages) in parallel. A file
/// that does not parse is a warning; the others are still scanned. With
/// the runtime's Python version, Python syntax it lacks is noted. With a
/// cache directory, a file an earlier run scanned (same CRC-32 and size:
/// a bundle rebuilt unchanged) is not read again. With the handler, its
/// module's clients are read from the same parse.
pub fn scan_app(
    artifact: &Artifact,
    inventory: &Inventory,
    python: Option<(u32, u32)>,
    cache: Option<&std::path::Path>,
    handler: Option<&str>,
) -> AppScan {
    let handler_module = handler.and_then(|handler| {
        let (entry, _) = reach::handler_entry(artifact, handler)?;
        Some((entry, handler.rsplit('.').next().unwrap_or(handler)))
    });
    let handler_code = std::sync::OnceLock::new();
    // one file, read and parsed: the handler's module with its clients
    let scan = |index: usize, language: Language| {
        let path = &artifact.entries[index].path;
        let text = artifact
            .read_text(index)
            .map_err(|e| Warning::at(path, format!("cannot read: {e}")))?;
        match handler_module {
            Some((handler_entry, function)) if handler_entry == index => {
                let (file, code) = scan_handler_source(path, &text, language, python, function)?;
                let function = function.to_string();
                let _ = handler_code.set(HandlerRead {
                    entry: index,
                    function,
                    code,
                });
                Ok(file)
            }
            _ => scan_source_for(path, &text, language, python),
        }
    };
    let candidates: Vec<(usize, Language)> = artifact
        .entries
        .iter()
        .enumerate()
        .filter(|(i, e)| e.kind == EntryKind::File && inventory.owners[*i] == Owner::App)
        .filter_map(|(i, e)| language_of(&e.path).map(|l| (i, l)))
        .collect();
    let kind = ("app", &[artifact.path.as_path()][..], python);
    let results: Vec<Result<SourceFile, Warning>> =
        scan_cache::ScanCache::keeping(cache, kind, |kept| {
            (candidates.par_iter())
                .map(|&(index, language)| {
                    let entry = &artifact.entries[index];
                    if entry.unzipped_bytes > MAX_SOURCE_BYTES {
                        return Err(Warning::at(
                            &entry.path,
                            format!(
                                "larger than {} MiB; not scanned for imports",
                                MAX_SOURCE_BYTES >> 20
                            ),
                        ));
                    }
                    let content = artifact.content_id(index);
                    scan_cache::ScanCache::through(kept, &entry.path, content, || {
                        scan(index, language)
                    })
                })
                .collect()
        });
    let mut scan = AppScan {
        files: Vec::new(),
        warnings: Vec::new(),
        handler: handler_code.into_inner(),
    };
    for r in results {
        match r {
            Ok(file) => scan.files.push(file),
            Err(w) => scan.warnings.push(w),
        }
    }
    scan
}

/// The function's own code, scanned for imports.
#[derive(Default)]
pub struct AppScan {
    pub files: Vec<SourceFile>,
    /// Files that could not be read or parsed.
    pub warnings: Vec<Warning>,
    /// The handler module's clients, read from the parse its import scan
    /// made (none when that scan was kept from an earlier audit).
    pub handler: Option<HandlerRead>,
}

/// What a handler module's function creates, read with its import scan.
pub struct HandlerRead {
    pub entry: usize,
    pub function: String,
    pub code: HandlerCode,
}

/// Scans one source text.
pub fn scan_source(path: &str, text: &str, language: Language) -> Result<SourceFile, Warning> {
    scan_source_for(path, text, language, None)
}

/// Scans one source text for the Python version that will run it.
pub fn scan_source_for(
    path: &str,
    text: &str,
    language: Language,
    python: Option<(u32, u32)>,
) -> Result<SourceFile, Warning> {
    scan_source_reading(path, text, language, python, None).map(|(file, _)| file)
}

/// Scans the handler's module, and from the same parse reads the clients
/// the named function creates: its file is parsed once, though it may be
/// a bundle of megabytes.
pub fn scan_handler_source(
    path: &str,
    text: &str,
    language: Language,
    python: Option<(u32, u32)>,
    function: &str,
) -> Result<(SourceFile, HandlerCode), Warning> {
    let (file, code) = scan_source_reading(path, text, language, python, Some(function))?;
    Ok((file, code.unwrap_or_default()))
}

fn scan_source_reading(
    path: &str,
    text: &str,
    language: Language,
    python: Option<(u32, u32)>,
    handler: Option<&str>,
) -> Result<(SourceFile, Option<HandlerCode>), Warning> {
    let scanned = match language {
        Language::JavaScript => js::scan_and(path, text, |program, lines| {
            handler.map(|h| clients::js::read_program(path, text, program, lines, h))
        })
        .map(|((imports, syntax, exports, tokens), code)| {
            ((imports, Vec::new(), syntax, exports, 0, tokens), code)
        }),
        Language::Python => python::scan_and(text, python, |body, lines| {
            handler.map(|h| clients::python::read_body(path, text, body, lines, h))
        })
        .map(|((imports, too_new, exports, classes), code)| {
            (
                (
                    imports,
                    too_new,
                    ModuleSyntax::default(),
                    Some(exports),
                    classes,
                    0,
                ),
                code,
            )
        }),
    }
    .map_err(|message| {
        Warning::at(
            path,
            format!("does not parse, imports not scanned: {message}"),
        )
    })?;
    let ((imports, too_new, syntax, exports, classes, tokens), code) = scanned;
    let file = SourceFile {
        path: path.to_string(),
        language,
        imports,
        too_new,
        syntax,
        exports,
        classes,
        tokens,
        source_map: match language {
            Language::JavaScript => source_map::MapLink::of(text.as_bytes()),
            Language::Python => None,
        },
    };
    Ok((file, code))
}

/// A Python extension module's path split where its module's name ends,
/// at the file name's first dot: `pkg/md.cpython-312-x86_64-linux-gnu.so`
/// → (`pkg/md`, `.cpython-312-x86_64-linux-gnu.so`).
pub(crate) fn split_extension_suffix(path: &str) -> Option<(&str, &str)> {
    let name_start = path.rfind('/').map_or(0, |slash| slash + 1);
    let dot = path[name_start..].find('.')? + name_start;
    Some(path.split_at(dot))
}

/// Whether Lambda's CPython `python` (any, when unknown) loads an
/// extension module with this suffix: `.so`, `.abi3.so`, or its own
/// `.cpython-3XY-<arch>-linux-gnu.so` (importlib.machinery's
/// EXTENSION_SUFFIXES on glibc Linux): not a macOS (`-darwin`) or musl
/// build, which a package built on a laptop or in Alpine carries. With
/// the function's instruction set (`arm64`), the tag must name it too: an
/// x86_64 Python never looks for `.cpython-311-aarch64-linux-gnu.so`;
/// without, either counts (runtime/wrong-architecture judges the machine).
pub(crate) fn loads_extension_suffix(
    suffix: &str,
    python: Option<(u32, u32)>,
    arm64: Option<bool>,
) -> bool {
    if suffix == ".so" || suffix == ".abi3.so" {
        return true;
    }
    let tag = suffix
        .strip_prefix(".cpython-")
        .and_then(|tag| tag.strip_suffix(".so"));
    let Some((version, platform)) = tag.and_then(|tag| tag.split_once('-')) else {
        return false;
    };
    let version_loads = match python {
        Some((major, minor)) => version == format!("{major}{minor}"),
        None => version.starts_with('3'),
    };
    let platform_loads = match arm64 {
        Some(true) => platform == "aarch64-linux-gnu",
        Some(false) => platform == "x86_64-linux-gnu",
        None => platform.ends_with("-linux-gnu"),
    };
    version_loads && platform_loads
}

pub fn language_of(path: &str) -> Option<Language> {
    let ext = path.rsplit_once('.').map(|(_, e)| e)?;
    match ext {
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx"
            if !path.ends_with(".d.ts") && !path.ends_with(".min.js") =>
        {
            Some(Language::JavaScript)
        }
        "py" => Some(Language::Python),
        _ => None,
    }
}

/// 1-based line and column of byte offsets: the newlines before each
/// 4 KiB block are counted up front, the rest at each question. A bundle
/// of 300,000 lines asks for a few thousand positions; a list of every
/// line start took longer to build than the questions take.
pub(crate) struct LineIndex {
    /// Newlines before each block.
    before_block: Vec<u32>,
}

const LINE_BLOCK: usize = 4096;

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut before_block = Vec::with_capacity(text.len() / LINE_BLOCK + 1);
        let mut newlines = 0u32;
        for block in text.as_bytes().chunks(LINE_BLOCK) {
            before_block.push(newlines);
            newlines = newlines.saturating_add(newlines_in(block));
        }
        // the end of a text whose length is a whole number of blocks
        before_block.push(newlines);
        LineIndex { before_block }
    }

    pub fn position(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let bytes = text.as_bytes();
        let block = offset / LINE_BLOCK;
        let line = self.before_block[block] + newlines_in(&bytes[block * LINE_BLOCK..offset]);
        let start = memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |at| at + 1);
        let column = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line + 1, column as u32)
    }
}

fn newlines_in(bytes: &[u8]) -> u32 {
    // memchr counts without stopping at each match
    u32::try_from(memchr::memchr_iter(b'\n', bytes).count()).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    /// Line and column as a walk over every character gives them.
    fn walked(text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let before = &text.as_bytes()[..offset];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |at| at + 1);
        let column = text.get(start..offset).map_or(0, |s| s.chars().count()) as u32 + 1;
        (line, column)
    }

    #[test]
    fn positions_agree_with_a_walk_over_the_text_across_blocks() {
        // lines of every length around the block size, CRLF, multi-byte
        // characters, a text ending exactly at a block's end
        let mut text = String::new();
        for n in 0..40 {
            text.push_str(&"é".repeat(n * 37 % 300));
            text.push_str(&"x".repeat(n * 211 % 5000));
            text.push_str(if n % 3 == 0 { "\r\n" } else { "\n" });
        }
        let exact = "a\n".repeat(4096);
        for text in [text.as_str(), exact.as_str(), "", "\n", "no newline"] {
            let index = LineIndex::new(text);
            let offsets = (0..text.len() + 2).step_by(97).chain([
                text.len(),
                text.len() + 5,
                4095,
                4096,
                4097,
                8192,
            ]);
            for offset in offsets {
                assert_eq!(
                    index.position(text, offset),
                    walked(text, offset),
                    "offset {offset} of {}",
                    text.len()
                );
            }
        }
    }
}
