//! Python imports through ruff's parser: `import`, `from … import`,
//! relative imports, `importlib.import_module("literal")` and
//! `__import__("literal")` (or of a loop variable over literals). An
//! import in a function body is lazy, and so is
//! one in an `except` block (a fallback); class bodies, `if` and `try`
//! blocks at module level run at init like the rest of the module, but an
//! `if` test known on Lambda decides: `if TYPE_CHECKING:` blocks never run,
//! nor `if sys.platform == "win32":`, and `sys.version_info` tests follow
//! the runtime's Python when it is known. Two kinds of import no statement
//! names are recorded too: a package `__getattr__`'s table of attributes
//! it imports on first use (lazy here, followed by `from package import
//! name`), and what a module-scope call imports from inside its class
//! (rules/init-calls.toml). Calls are recorded for the walk to follow:
//! those module-scope code makes, and those functions and methods make
//! whenever they run (methods by `Class.method`, a constructor by its
//! class's name), for when init calls them.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{BoolOp, CmpOp, ExceptHandler, Expr, ExprCall, Stmt, UnaryOp};
use ruff_text_size::Ranged;

use ruff_python_parser::{Mode, ParseOptions};

use super::exports::ModuleExports;
use super::{Import, ImportKind, LineIndex, Member, TooNew, TryScopes};
use crate::rules::init_calls;

/// A module's imports, (with the Python version that will run it) the
/// syntax that version does not have, the names it defines, and the
/// classes it defines as it runs.
pub(super) type Scanned = (Vec<Import>, Vec<TooNew>, ModuleExports, u32);

/// Scans a module for its imports, and hands the statements it parsed to `also`, so that
/// another reading of the same file (the handler module's clients) needs
/// no parse of its own.
pub(super) fn scan_and<R>(
    text: &str,
    python: Option<(u32, u32)>,
    also: impl FnOnce(&[Stmt], LineIndex) -> R,
) -> Result<(Scanned, R), String> {
    let mut options = ParseOptions::from(Mode::Module);
    if let Some((major, minor)) = python {
        let version = (
            u8::try_from(major).unwrap_or(3),
            u8::try_from(minor).unwrap_or(0),
        );
        options = options.with_target_version(version.into());
    }
    let parsed = ruff_python_parser::parse(text, options);
    let parsed = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            let (line, column) = LineIndex::new(text).position(text, e.location.start().to_usize());
            return Err(format!("{} at line {line}, column {column}", e.error));
        }
    };
    let Some(parsed) = parsed.try_into_module() else {
        return Err("not a module".to_string());
    };
    let too_new = match python {
        Some(_) if !parsed.unsupported_syntax_errors().is_empty() => {
            let lines = LineIndex::new(text);
            parsed
                .unsupported_syntax_errors()
                .iter()
                .map(|error| {
                    let (line, column) = lines.position(text, error.range.start().to_usize());
                    TooNew {
                        line,
                        column,
                        message: error.to_string(),
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let mut scanner = Scanner {
        text,
        lines: LineIndex::new(text),
        function_depth: 0,
        conditional_depth: 0,
        search_path_changed: false,
        tries: TryScopes::default(),
        imports: Vec::new(),
        bindings: HashMap::new(),
        packages_bound: HashSet::new(),
        function: None,
        class: None,
        class_bases: Vec::new(),
        calls_in_functions: Vec::new(),
        class_depth: 0,
        local_calls: HashSet::new(),
        function_calls: HashMap::new(),
        guarded_calls: HashMap::new(),
        classes: 0,
        python,
        loop_values: HashMap::new(),
        parameters: Vec::new(),
        parameter_imports: HashMap::new(),
    };
    scanner.visit_body(&parsed.syntax().body);
    let local_calls = &scanner.local_calls;
    let (calls, guarded) = (&scanner.function_calls, &scanner.guarded_calls);
    let called = |f: &str| local_calls.contains(f).then_some(true);
    let calls_in_functions = std::mem::take(&mut scanner.calls_in_functions);
    super::run_called_functions(
        &mut scanner.imports,
        calls_in_functions,
        (calls, guarded),
        called,
        true,
    );
    scanner.record_lazy_attributes(&parsed.syntax().body);
    let exports = super::exports::python_exports(&parsed.syntax().body, text);
    let also = also(&parsed.syntax().body, scanner.lines);
    Ok(((scanner.imports, too_new, exports, scanner.classes), also))
}

struct Scanner<'t> {
    text: &'t str,
    lines: LineIndex,
    function_depth: u32,
    /// `if` branches and loop bodies the position is in.
    conditional_depth: u32,
    /// The module has changed where imports are searched (`sys.path.insert`,
    /// `site.addsitedir`, serverless-python-requirements'
    /// `unzip_requirements`): what it imports after that may come from
    /// anywhere.
    search_path_changed: bool,
    tries: TryScopes,
    imports: Vec<Import>,
    /// Names the module binds by importing: to the module, and the name
    /// imported from it (`from m import Tracer`), or none (`import m as p`).
    bindings: HashMap<String, (String, Option<String>)>,
    /// Top packages a dotted `import a.b` (no `as`) binds: `a`.
    packages_bound: HashSet<String>,
    /// The module-level function being scanned, when the position is
    /// directly in one, or the method of a module-level class, by its
    /// [`method_function`] name.
    function: Option<String>,
    /// The module-level class whose body is being scanned.
    class: Option<String>,
    /// What that class's bases are, as calls: a `super()` call names them.
    class_bases: Vec<Callee>,
    /// Calls of what an import binds made in functions and methods: the
    /// function, the import's index, the call, and whether it may not run
    /// there.
    calls_in_functions: Vec<super::CallInFunction>,
    /// Class bodies the position is in.
    class_depth: u32,
    /// Names module-scope code calls that no import binds: the module's
    /// own functions, whose imports then run at init.
    local_calls: HashSet<String>,
    /// Per module-level function, the names its body calls that no import
    /// binds: the module's functions it runs in turn.
    function_calls: super::FunctionCalls,
    /// Those calls made under a condition or in a `try`.
    guarded_calls: super::FunctionCalls,
    /// `class` statements that run when the module is imported: outside
    /// functions and fallbacks, class bodies included. Creating a class is
    /// much of a modern library's import (a pydantic model builds its
    /// validator, a dataclass compiles its methods).
    classes: u32,
    /// The Python version that will run the module, when known.
    python: Option<(u32, u32)>,
    /// Loop variables over literal strings, by name, and their values.
    loop_values: HashMap<String, Vec<String>>,
    /// The parameters of the module-level function being scanned.
    parameters: Vec<String>,
    /// Module-level functions that import a parameter, by name.
    parameter_imports: HashMap<String, ParameterImport>,
}

/// Where a function imports the module one of its parameters names.
struct ParameterImport {
    index: usize,
    /// The `try` in the function around the import.
    guarded_by: Option<u32>,
    /// Whether the import is under a condition there.
    conditional: bool,
}

impl Scanner<'_> {
    fn record(&mut self, module: String, kind: ImportKind, offset: usize, members: Vec<Member>) {
        let (line, column) = self.lines.position(self.text, offset);
        self.imports.push(Import {
            line,
            column,
            lazy: self.function_depth > 0,
            guarded_by: self.tries.guarded_by(),
            fallback_for: self.tries.fallback_for(self.function_depth),
            after_try: self.tries.after(self.function_depth),
            conditional: self.conditional_depth > 0 || self.search_path_changed,
            stops_module: self.tries.stops_module(self.function_depth),
            members,
            functions: match (self.function_depth, &self.function) {
                (1, Some(function)) => vec![function.clone()],
                _ => Vec::new(),
            },
            ..Import::plain(module, kind)
        });
    }

    /// A call module-scope code makes: of a function this module defines
    /// (`setup()`), or one an import binds (`f()` after `from m import f`,
    /// `m.f()` after `import m`), recorded on that import.
    fn record_call(&mut self, call: &ExprCall) {
        for callee in self.callees(&call.func) {
            let (kind, module, name) = match callee {
                Callee::Local(name) => {
                    if let Expr::Name(function) = call.func.as_ref() {
                        self.record_parameter_import(function.id.as_str(), call);
                    }
                    self.local_calls.insert(name);
                    continue;
                }
                Callee::Imported(kind, module, name) => (kind, module, name),
            };
            let import = self
                .imports
                .iter_mut()
                .rev()
                .find(|i| i.kind == kind && i.module == module && !i.lazy);
            if let Some(import) = import {
                let (line, _) = self
                    .lines
                    .position(self.text, call.range().start().to_usize());
                super::push_call(&mut import.calls, Member { name, line });
            }
        }
    }

    /// A call made in a module-level function or a method: of the
    /// module's own functions (`helper()`, `self._init_transport()`,
    /// `super().__init__()` of a class it defines), kept per caller, or of
    /// what an import binds, kept for the scan's end, which knows which
    /// functions run it.
    fn record_call_in_function(&mut self, function: String, call: &ExprCall) {
        let maybe = self.conditional_depth > 0 || self.tries.guarded_by().is_some();
        for callee in self.callees(&call.func) {
            match callee {
                Callee::Local(name) => {
                    if maybe {
                        (self.guarded_calls.entry(function.clone()).or_default())
                            .insert(name.clone());
                    }
                    (self.function_calls.entry(function.clone()).or_default()).insert(name);
                }
                Callee::Imported(kind, module, name) => {
                    let offset = call.range().start().to_usize();
                    self.call_in_function(function.clone(), (kind, module, name), offset, maybe);
                }
            }
        }
    }

    /// A call in `function` of what an import binds (its kind, module and
    /// the name called there), for the scan's end.
    fn call_in_function(
        &mut self,
        function: String,
        (kind, module, name): (ImportKind, String, String),
        offset: usize,
        maybe: bool,
    ) {
        // the import binding the name: at module scope, or in a function
        // (`import httpcore` in HTTPTransport.__init__)
        let Some(index) = (self.imports.iter()).rposition(|i| i.kind == kind && i.module == module)
        else {
            return;
        };
        let (line, _) = self.lines.position(self.text, offset);
        let call = Member { name, line };
        self.calls_in_functions.push((function, index, call, maybe));
    }

    /// What a call of `func` calls: a function or class of this module
    /// (`setup`, a method through `self`, a base's through `super()`) or
    /// a name an import binds (`Client` after `from ._client import
    /// Client`, `httpx.Client`), by the name it has in that module; none
    /// when the call cannot be told.
    fn callees(&self, func: &Expr) -> Vec<Callee> {
        match func {
            Expr::Name(name) => match self.bindings.get(name.id.as_str()) {
                Some((module, Some(imported))) => vec![Callee::Imported(
                    ImportKind::PythonFrom,
                    module.clone(),
                    imported.clone(),
                )],
                Some((_, None)) => Vec::new(),
                None => vec![Callee::Local(name.id.to_string())],
            },
            Expr::Attribute(attribute) => {
                let method = attribute.attr.as_str();
                match attribute.value.as_ref() {
                    Expr::Name(name) => match self.bindings.get(name.id.as_str()) {
                        Some((module, None)) => vec![Callee::Imported(
                            ImportKind::PythonImport,
                            module.clone(),
                            method.to_string(),
                        )],
                        // `from . import postgres` then
                        // `postgres.register_default_adapters(…)` (psycopg
                        // 3): the function of the submodule the import loads
                        Some((module, Some(imported))) => vec![Callee::Imported(
                            ImportKind::PythonFrom,
                            module.clone(),
                            format!("{imported}.{method}"),
                        )],
                        None => match (&self.class, name.id.as_str()) {
                            (Some(class), "self" | "cls") if self.function_depth > 0 => {
                                vec![Callee::Local(method_function(class, method))]
                            }
                            _ => Vec::new(),
                        },
                    },
                    // `super().__init__(…)`: the bases' constructors
                    Expr::Call(inner) if is_super(&inner.func) && self.function_depth > 0 => {
                        (self.class_bases.iter())
                            .map(|base| base.method(method))
                            .collect()
                    }
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// Whether a call of `func` is importlib's `import_module` or the
    /// builtin `__import__`, which raise when the module is missing.
    fn is_importlib(&self, func: &Expr) -> bool {
        let from_importlib = |name: &str| matches!(self.bindings.get(name), Some((module, _)) if module == "importlib");
        match func {
            Expr::Name(name) => match name.id.as_str() {
                "__import__" => !self.bindings.contains_key("__import__"),
                "import_module" => from_importlib("import_module"),
                _ => false,
            },
            Expr::Attribute(attribute) => match attribute.value.as_ref() {
                Expr::Name(module) => {
                    module.id.as_str() == "importlib" || from_importlib(module.id.as_str())
                }
                _ => false,
            },
            _ => false,
        }
    }

    /// `importlib.import_module(name)` in a module-level function, `name`
    /// one of its parameters: a call of the function with a literal
    /// there imports that module.
    fn imports_parameter(&mut self, variable: &str, importlib: bool) {
        let Some(function) = self.function.as_ref().filter(|_| self.function_depth == 1) else {
            return;
        };
        let Some(index) = self.parameters.iter().position(|p| p == variable) else {
            return;
        };
        let import = ParameterImport {
            index,
            guarded_by: self.tries.guarded_by(),
            conditional: self.conditional_depth > 0 || !importlib,
        };
        self.parameter_imports.insert(function.clone(), import);
    }

    /// A module-scope call of a function that imports its parameter
    /// (smart_open's `register_transport("smart_open.s3")`): the import of
    /// the literal passed, under the function's `try` and conditions.
    fn record_parameter_import(&mut self, function: &str, call: &ExprCall) {
        let Some(import) = self.parameter_imports.get(function) else {
            return;
        };
        let (guarded_by, conditional) = (import.guarded_by, import.conditional);
        let Some(Expr::StringLiteral(module)) = call.arguments.args.get(import.index) else {
            return;
        };
        let offset = call.range().start().to_usize();
        let kind = ImportKind::PythonImportlib;
        self.record(module.value.to_str().to_string(), kind, offset, Vec::new());
        if let Some(recorded) = self.imports.last_mut() {
            recorded.guarded_by = guarded_by.or(recorded.guarded_by);
            recorded.conditional |= conditional;
        }
    }

    /// `m.x = …` (or `m.x, m.y = …`) with `m` a module this file imported
    /// whole (`import m`, `import a.b as m`): the import's `assigned`. A
    /// name set further down is recorded with its path from the module:
    /// `sub.x` for `m.sub.x = …`, for `from m import sub; sub.x = …` too
    /// (on that import). Through the package a dotted `import a.b` binds,
    /// `a.x = …` and `a.b.x = …` are its `assigned_on_package`: `x`, `b.x`.
    fn sets_on_module(&mut self, target: &Expr) {
        match target {
            Expr::Tuple(tuple) => tuple.elts.iter().for_each(|t| self.sets_on_module(t)),
            Expr::List(list) => list.elts.iter().for_each(|t| self.sets_on_module(t)),
            Expr::Attribute(attribute) => {
                // the object's dotted path: `m.sub` in `m.sub.x = …`
                let mut path = Vec::new();
                let mut object = attribute.value.as_ref();
                let name = loop {
                    match object {
                        Expr::Attribute(inner) => {
                            path.push(inner.attr.as_str());
                            object = inner.value.as_ref();
                        }
                        Expr::Name(name) => break name.id.as_str(),
                        _ => return,
                    }
                };
                path.reverse();
                path.push(attribute.attr.as_str());
                let (line, _) = self
                    .lines
                    .position(self.text, attribute.range().start().to_usize());
                let mut set = Member {
                    name: path.join("."),
                    line,
                };
                // the import the name comes from (for a package, what its
                // module starts with), and whether the set is on the package
                let (kind, module, on_package) = match self.bindings.get(name) {
                    Some((module, None)) => (ImportKind::PythonImport, module.clone(), false),
                    Some((module, Some(imported))) => {
                        set.name = format!("{imported}.{}", set.name);
                        (ImportKind::PythonFrom, module.clone(), false)
                    }
                    // `import a.b` binds `a`
                    None if self.packages_bound.contains(name) => {
                        (ImportKind::PythonImport, format!("{name}."), true)
                    }
                    None => return,
                };
                let import = self.imports.iter_mut().rev().find(|i| {
                    i.kind == kind
                        && match on_package {
                            true => i.module.starts_with(&module),
                            false => i.module == module,
                        }
                });
                match (import, on_package) {
                    (Some(import), false) => import.assigned.push(set),
                    (Some(import), true) => import.assigned_on_package.push(set),
                    (None, _) => {}
                }
            }
            _ => {}
        }
    }

    /// A module whose `__getattr__` imports its attributes on first use
    /// from a table: each entry is a lazy import of its module, for `from
    /// package import BaseModel` to follow. pydantic: `_dynamic_imports =
    /// {'BaseModel': (__spec__.parent, '.main'), ...}`; langchain-core:
    /// `{'Runnable': 'base', ...}` with `__getattr__` importing
    /// `.base` from `__spec__.parent`, and `None` for a submodule named as
    /// the attribute.
    fn record_lazy_attributes(&mut self, body: &[Stmt]) {
        let Some(getattr) = module_getattr(body) else {
            return;
        };
        // bare names are relative to the package when `__getattr__` imports
        // from it
        let source = &self.text[getattr.range().to_std_range()];
        let from_package = ["__spec__.parent", "__package__", "__name__"]
            .iter()
            .any(|package| source.contains(package));
        for stmt in body {
            let value = match stmt {
                Stmt::Assign(assign) => assign.value.as_ref(),
                Stmt::AnnAssign(assign) => match &assign.value {
                    Some(value) => value.as_ref(),
                    None => continue,
                },
                _ => continue,
            };
            let Expr::Dict(table) = value else {
                continue;
            };
            for item in &table.items {
                let Some(Expr::StringLiteral(name)) = &item.key else {
                    continue;
                };
                let name = name.value.to_str();
                // (the module, whether a bare name is relative to the package)
                let (module, relative) = match &item.value {
                    // pydantic's `import_module(module, package)`: absolute
                    // unless written with a dot; stripe's `(module,
                    // is_submodule)`, absolute
                    Expr::Tuple(target) => match &target.elts[..] {
                        [_, Expr::StringLiteral(module)]
                        | [Expr::StringLiteral(module), Expr::BooleanLiteral(_)] => {
                            (module.value.to_str(), false)
                        }
                        _ => continue,
                    },
                    Expr::StringLiteral(module) if from_package => (module.value.to_str(), true),
                    Expr::NoneLiteral(_) if from_package => ("__module__", true),
                    _ => continue,
                };
                // a table of messages is no table of modules
                let dotted = |c: char| c.is_alphanumeric() || c == '_' || c == '.';
                if module.is_empty() || !module.chars().all(dotted) {
                    continue;
                }
                // `'__module__'`: the attribute is a submodule of that name
                let module = match module {
                    "__module__" => format!(".{name}"),
                    module if relative && !module.starts_with('.') => format!(".{module}"),
                    module => module.to_string(),
                };
                self.lazy_attribute(name, module, item.value.range().start().to_usize());
            }
        }
        self.record_getattr_branches(getattr);
    }

    /// A lazy import of `module` for the attribute `name`.
    fn lazy_attribute(&mut self, name: &str, module: String, offset: usize) {
        let (line, column) = self.lines.position(self.text, offset);
        self.imports.push(Import {
            line,
            column,
            lazy: true,
            members: vec![Member {
                name: name.to_string(),
                line,
            }],
            ..Import::plain(module, ImportKind::PythonLazyAttribute)
        });
    }

    /// A module `__getattr__` that imports per attribute in branches on
    /// its name (azure-core's pipeline.transport: `if name ==
    /// "RequestsTransport": from ._requests_basic import
    /// RequestsTransport`): each import is a lazy one for the names the
    /// branch tests.
    fn record_getattr_branches(&mut self, getattr: &ruff_python_ast::StmtFunctionDef) {
        let Some(parameter) = getattr.parameters.args.first() else {
            return;
        };
        let parameter = parameter.parameter.name.as_str();
        for stmt in &getattr.body {
            let Stmt::If(branch) = stmt else {
                continue;
            };
            let clauses = std::iter::once((Some(&*branch.test), &branch.body[..]))
                .chain((branch.elif_else_clauses.iter()).map(|c| (c.test.as_ref(), &c.body[..])));
            for (test, body) in clauses {
                let Some(names) = test.and_then(|test| names_tested(test, parameter)) else {
                    continue;
                };
                let mut imported = Vec::new();
                modules_imported_in(body, &mut imported);
                // reading any of the names runs every import of the branch
                for (offset, modules) in imported {
                    for name in &names {
                        for module in &modules {
                            self.lazy_attribute(name, module.clone(), offset);
                        }
                    }
                }
            }
        }
    }

    /// The block of `if TYPE_CHECKING or not f():` at module scope, where
    /// `f` is a lazy importer (rules/init-calls.toml's `lazy_table`): it
    /// returns true, so the block never runs, and its imports are what the
    /// module's `__getattr__` imports on first use.
    fn lazy_table_block<'s>(&self, branch: &'s ruff_python_ast::StmtIf) -> Option<&'s [Stmt]> {
        if self.function_depth > 0 || !branch.elif_else_clauses.is_empty() {
            return None;
        }
        let Expr::BoolOp(test) = branch.test.as_ref() else {
            return None;
        };
        let [checking, Expr::UnaryOp(not)] = &test.values[..] else {
            return None;
        };
        if test.op != BoolOp::Or
            || on_lambda(checking, self.python) != Some(false)
            || not.op != UnaryOp::Not
        {
            return None;
        }
        let Expr::Call(call) = not.operand.as_ref() else {
            return None;
        };
        let Expr::Name(name) = call.func.as_ref() else {
            return None;
        };
        let (module, Some(imported)) = self.bindings.get(name.id.as_str())? else {
            return None;
        };
        init_calls::lazy_tables()
            .iter()
            .any(|table| table.matches(module, imported))
            .then_some(&branch.body[..])
    }

    /// Each name a lazy importer's block imports, as a lazy import of its
    /// module, for `from package import name` to follow.
    fn record_lazy_table(&mut self, body: &[Stmt]) {
        for stmt in body {
            let Stmt::ImportFrom(from) = stmt else {
                continue;
            };
            let offset = from.range().start().to_usize();
            for alias in &from.names {
                self.lazy_attribute(imported_as(alias), attribute_module(from, alias), offset);
            }
        }
    }

    /// `DefaultHttpxClient = _DefaultHttpxClient` at module scope: a call
    /// of the alias calls what it names (anthropic's client classes
    /// derive from an alias chosen under `if TYPE_CHECKING:`).
    fn record_alias(&mut self, assign: &ruff_python_ast::StmtAssign) {
        let ([Expr::Name(alias)], 0, 0) =
            (&assign.targets[..], self.function_depth, self.class_depth)
        else {
            return;
        };
        let alias = alias.id.to_string();
        for callee in self.callees(&assign.value) {
            match callee {
                Callee::Local(name) => {
                    (self.function_calls.entry(alias.clone()).or_default()).insert(name);
                }
                Callee::Imported(kind, module, name) => {
                    let offset = assign.range().start().to_usize();
                    self.call_in_function(alias.clone(), (kind, module, name), offset, false);
                }
            }
        }
    }

    /// `np.fft` at module scope, under no condition, after `import numpy
    /// as np`: the name is used on the module, among the import's members
    /// (a package's `__getattr__` may import it on first use).
    fn record_attribute_read(&mut self, attribute: &ruff_python_ast::ExprAttribute) {
        let Expr::Name(name) = attribute.value.as_ref() else {
            return;
        };
        let Some((module, None)) = self.bindings.get(name.id.as_str()) else {
            return;
        };
        let kind = ImportKind::PythonImport;
        let import = (self.imports.iter_mut().rev())
            .find(|i| i.kind == kind && &i.module == module && !i.lazy);
        let Some(import) = import else {
            return;
        };
        let read = attribute.attr.as_str();
        if !import.members.iter().any(|m| m.name == read) {
            let (line, _) = self
                .lines
                .position(self.text, attribute.range().start().to_usize());
            import.members.push(Member {
                name: read.to_string(),
                line,
            });
        }
    }

    /// A class with no constructor of its own runs its bases': creating
    /// it calls theirs.
    fn inherited_constructor(&mut self, class: &ruff_python_ast::StmtClassDef) {
        let constructs = |stmt: &Stmt| matches!(stmt, Stmt::FunctionDef(def) if CONSTRUCTORS.contains(&def.name.as_str()));
        if class.body.iter().any(constructs) {
            return;
        }
        let name = class.name.to_string();
        let offset = class.range().start().to_usize();
        for base in std::mem::take(&mut self.class_bases) {
            match base {
                Callee::Local(base) => {
                    (self.function_calls.entry(name.clone()).or_default()).insert(base);
                }
                Callee::Imported(kind, module, base) => {
                    self.call_in_function(name.clone(), (kind, module, base), offset, false);
                }
            }
        }
    }

    /// A call at module scope to a class whose constructor imports more
    /// than any import statement says (rules/init-calls.toml): what it
    /// imports, at the call.
    fn record_init_call(&mut self, call: &ExprCall) {
        let imported = match call.func.as_ref() {
            Expr::Name(name) => match self.bindings.get(name.id.as_str()) {
                Some((module, Some(imported))) => Some((module.clone(), imported.clone())),
                _ => None,
            },
            Expr::Attribute(attribute) => match attribute.value.as_ref() {
                Expr::Name(name) => match self.bindings.get(name.id.as_str()) {
                    Some((module, None)) => Some((module.clone(), attribute.attr.to_string())),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        let Some((module, name)) = imported else {
            return;
        };
        let Some(known) = init_calls::python()
            .iter()
            .find(|known| known.matches(&module, &name))
        else {
            return;
        };
        let turned_off = |keyword: Option<&str>| {
            keyword.is_some_and(|keyword| {
                call.arguments.keywords.iter().any(|k| {
                    k.arg.as_ref().is_some_and(|arg| arg.as_str() == keyword)
                        && matches!(&k.value, Expr::BooleanLiteral(b) if !b.value)
                })
            })
        };
        if turned_off(known.all_unless.as_deref()) {
            return;
        }
        let offset = call.range().start().to_usize();
        self.record_loads(&known.loads, offset);
        if turned_off(known.unless.as_deref()) {
            return;
        }
        self.record_tries(&known.tries, offset);
        // Powertools' Tracer calls X-Ray's patch_all
        if let Some(inner) = known.runs.as_deref().and_then(init_calls::python_call) {
            self.record_loads(&inner.loads, offset);
            self.record_tries(&inner.tries, offset);
        }
    }

    /// The modules a call at `offset` imports ([`record_init_call`]).
    fn record_loads(&mut self, loads: &[String], offset: usize) {
        for load in loads {
            let kind = ImportKind::PythonImportlib;
            self.record(load.clone(), kind, offset, Vec::new());
        }
    }

    /// The modules a call at `offset` tries to import, each failure caught
    /// as in a `try` with no fallback ([`record_init_call`]).
    fn record_tries(&mut self, tries: &[String], offset: usize) {
        // the id's top bit keeps it apart from the `try` statements',
        // which are offsets
        let guard = 0x8000_0000 | u32::try_from(offset).unwrap_or(0);
        let (line, column) = self.lines.position(self.text, offset);
        for module in tries {
            self.imports.push(Import {
                line,
                column,
                guarded_by: Some(guard),
                conditional: self.conditional_depth > 0 || self.search_path_changed,
                ..Import::plain(module.clone(), ImportKind::PythonImportlib)
            });
        }
    }
}

impl<'a> Visitor<'a> for Scanner<'_> {
    fn visit_body(&mut self, body: &'a [Stmt]) {
        let mut returned = 0;
        for stmt in body {
            self.visit_stmt(stmt);
            // `try: import httpx; return HTTPXClient` then `except
            // ImportError: pass` in a function (stripe's client choice):
            // what follows runs only when the try's imports failed, as its
            // handler does
            if let Stmt::Try(block) = stmt {
                if self.function_depth > 0 && returns_what_it_imported(block) {
                    self.tries
                        .handlers
                        .push((block.range.start().to_u32(), self.function_depth));
                    self.function_depth += 1;
                    returned += 1;
                }
            }
        }
        for _ in 0..returned {
            self.function_depth -= 1;
            self.tries.handlers.pop();
        }
    }

    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name).as_str();
                    match local.split_once('.') {
                        None => {
                            self.bindings
                                .insert(local.to_string(), (alias.name.to_string(), None));
                        }
                        Some((top, _)) => {
                            self.packages_bound.insert(top.to_string());
                        }
                    }
                    self.record(
                        alias.name.to_string(),
                        ImportKind::PythonImport,
                        alias.range().start().to_usize(),
                        Vec::new(),
                    );
                    // extracts .requirements.zip to /tmp and puts it on sys.path
                    if alias.name.as_str() == "unzip_requirements" {
                        self.search_path_changed = true;
                    }
                }
            }
            Stmt::ImportFrom(from) => {
                let module = statement_module(from);
                let (line, _) = self
                    .lines
                    .position(self.text, from.range().start().to_usize());
                let members = from
                    .names
                    .iter()
                    .map(|alias| Member {
                        name: alias.name.to_string(),
                        line,
                    })
                    .collect();
                for alias in &from.names {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.bindings.insert(
                        local.to_string(),
                        (module.clone(), Some(alias.name.to_string())),
                    );
                }
                self.record(
                    module,
                    ImportKind::PythonFrom,
                    from.range().start().to_usize(),
                    members,
                );
                // `from m import a` fails unless m has `a` (or a submodule `a`)
                if let Some(import) = self.imports.last_mut() {
                    import.linked = import.members.clone();
                }
            }
            Stmt::ClassDef(class) => {
                if self.function_depth == 0 {
                    self.classes += 1;
                }
                let module_level = self.function_depth == 0 && self.class_depth == 0;
                if module_level {
                    let bases = (class.bases().iter()).flat_map(|base| self.callees(base));
                    self.class_bases = bases.collect();
                    self.class = Some(class.name.to_string());
                }
                self.class_depth += 1;
                visitor::walk_stmt(self, stmt);
                self.class_depth -= 1;
                if module_level {
                    self.inherited_constructor(class);
                    self.class = None;
                    self.class_bases.clear();
                }
                return;
            }
            Stmt::FunctionDef(def) => {
                // a module-level function, or a method of a module-level
                // class: calls name it
                let name = match (&self.class, self.function_depth, self.class_depth) {
                    (_, 0, 0) => Some(def.name.to_string()),
                    (Some(class), 0, 1) => Some(method_function(class, def.name.as_str())),
                    _ => None,
                };
                let named = name.is_some();
                let outer = name.and_then(|name| self.function.replace(name));
                // a method's parameters start with `self`: no call passes
                // a module's name there the way the function reads it
                let parameters = named.then(|| {
                    let names = match self.class_depth {
                        0 => (def.parameters.posonlyargs.iter())
                            .chain(&def.parameters.args)
                            .map(|p| p.parameter.name.to_string())
                            .collect(),
                        _ => Vec::new(),
                    };
                    std::mem::replace(&mut self.parameters, names)
                });
                self.function_depth += 1;
                visitor::walk_stmt(self, stmt);
                self.function_depth -= 1;
                if named {
                    self.function = outer;
                }
                if let Some(outer) = parameters {
                    self.parameters = outer;
                }
                return;
            }
            // `try: import ujson` with an `except`: its absence is handled
            Stmt::Try(block) if !block.handlers.is_empty() => {
                let id = block.range.start().to_u32();
                if block.handlers.iter().all(handler_raises) {
                    self.tries.raising.insert(id);
                }
                self.tries.bodies.push(id);
                self.visit_body(&block.body);
                self.tries.bodies.pop();
                self.tries.handlers.push((id, self.function_depth));
                for handler in &block.handlers {
                    self.visit_except_handler(handler);
                }
                self.tries.handlers.pop();
                self.tries.elses.push((id, self.function_depth));
                self.visit_body(&block.orelse);
                self.tries.elses.pop();
                self.visit_body(&block.finalbody);
                return;
            }
            // `with suppress(ImportError):` (jsonschema's optional format
            // checkers) survives a missing module as a `try` does
            Stmt::With(with)
                if with
                    .items
                    .iter()
                    .any(|item| suppresses_import_error(&item.context_expr)) =>
            {
                for item in &with.items {
                    self.visit_expr(&item.context_expr);
                }
                let id = with.range.start().to_u32();
                self.tries.bodies.push(id);
                self.visit_body(&with.body);
                self.tries.bodies.pop();
                return;
            }
            // a branch whose test is known on Lambda runs there or never:
            // `if TYPE_CHECKING:` imports exist for type checkers only,
            // urllib3's `if sys.platform == "emscripten":` for browsers
            Stmt::If(branch) => {
                // anyio's `if TYPE_CHECKING or not install_lazy_importer():`
                if let Some(body) = self.lazy_table_block(branch) {
                    self.record_lazy_table(body);
                    return;
                }
                let clauses = std::iter::once((Some(&*branch.test), &branch.body[..])).chain(
                    branch
                        .elif_else_clauses
                        .iter()
                        .map(|clause| (clause.test.as_ref(), &clause.body[..])),
                );
                self.conditional_depth += 1;
                for (test, body) in clauses {
                    let known = match test {
                        Some(test) => {
                            let known = on_lambda(test, self.python);
                            if known.is_none() {
                                self.visit_expr(test);
                            }
                            known
                        }
                        None => Some(true),
                    };
                    match known {
                        Some(false) => {}
                        Some(true) => {
                            self.visit_body(body);
                            break;
                        }
                        None => self.visit_body(body),
                    }
                }
                self.conditional_depth -= 1;
                return;
            }
            Stmt::For(_) | Stmt::While(_) | Stmt::Match(_) => {
                // `for package in ("urllib3", "idna"): __import__(package)`
                // (requests/packages.py): the loop variable's values
                let names = match stmt {
                    Stmt::For(each) => match (each.target.as_ref(), string_values(&each.iter)) {
                        (Expr::Name(variable), Some(values)) => {
                            Some((variable.id.to_string(), values))
                        }
                        _ => None,
                    },
                    _ => None,
                };
                let outer = names
                    .map(|(name, values)| (name.clone(), self.loop_values.insert(name, values)));
                self.conditional_depth += 1;
                visitor::walk_stmt(self, stmt);
                self.conditional_depth -= 1;
                if let Some((name, outer)) = outer {
                    match outer {
                        Some(values) => self.loop_values.insert(name, values),
                        None => self.loop_values.remove(&name),
                    };
                }
                return;
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    self.sets_on_module(target);
                }
                self.record_alias(assign);
            }
            Stmt::AugAssign(assign) => self.sets_on_module(&assign.target),
            Stmt::AnnAssign(assign) => self.sets_on_module(&assign.target),
            _ => {}
        }
        visitor::walk_stmt(self, stmt);
    }

    /// An import in an `except` block is a fallback (`except ImportError:`):
    /// it runs only when the `try` failed, not on a normal init.
    fn visit_except_handler(&mut self, handler: &'a ExceptHandler) {
        self.function_depth += 1;
        visitor::walk_except_handler(self, handler);
        self.function_depth -= 1;
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            if changes_search_path(&call.func) {
                self.search_path_changed = true;
            }
            // `__import__("x")` loads what `import x` does
            let is_import_module = match call.func.as_ref() {
                Expr::Attribute(attribute) => {
                    matches!(attribute.attr.as_str(), "import_module" | "__import__")
                }
                Expr::Name(name) => matches!(name.id.as_str(), "import_module" | "__import__"),
                _ => false,
            };
            // another library's helper of that name (sympy's
            // `import_module('gmpy2', min_module_version=…)` returns None
            // when the module is missing): followed, but no sure failure
            let importlib = is_import_module && self.is_importlib(&call.func);
            if let (true, Some(Expr::Name(variable))) =
                (is_import_module, call.arguments.args.first())
            {
                self.imports_parameter(variable.id.as_str(), importlib);
            }
            let modules = match (is_import_module, call.arguments.args.first()) {
                (true, Some(Expr::StringLiteral(literal))) => {
                    vec![literal.value.to_str().to_string()]
                }
                (true, Some(Expr::Name(variable))) => self
                    .loop_values
                    .get(variable.id.as_str())
                    .cloned()
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            for module in modules {
                self.record(
                    module,
                    ImportKind::PythonImportlib,
                    call.range().start().to_usize(),
                    Vec::new(),
                );
                if let Some(import) = self.imports.last_mut().filter(|_| !importlib) {
                    import.conditional = true;
                }
            }
            if self.function_depth == 0 {
                self.record_init_call(call);
                self.record_call(call);
            } else if let (1, Some(function)) = (self.function_depth, &self.function) {
                self.record_call_in_function(function.clone(), call);
            }
        }
        // (under a condition, often a version's: openai reads
        // `pydantic.BaseConfig` only `if PYDANTIC_V1:`)
        if let (Expr::Attribute(attribute), 0, 0) =
            (expr, self.function_depth, self.conditional_depth)
        {
            self.record_attribute_read(attribute);
        }
        if let Expr::Lambda(_) = expr {
            self.function_depth += 1;
            visitor::walk_expr(self, expr);
            self.function_depth -= 1;
            return;
        }
        visitor::walk_expr(self, expr);
    }
}

/// A module's `__getattr__`: at its top level, or in a branch there
/// (stripe defines it under `if not TYPE_CHECKING:`).
fn module_getattr(body: &[Stmt]) -> Option<&ruff_python_ast::StmtFunctionDef> {
    body.iter().find_map(|stmt| match stmt {
        Stmt::FunctionDef(f) if f.name.as_str() == "__getattr__" => Some(f),
        Stmt::If(branch) => module_getattr(&branch.body).or_else(|| {
            (branch.elif_else_clauses.iter()).find_map(|clause| module_getattr(&clause.body))
        }),
        _ => None,
    })
}

/// What a call calls: a function of the module's own, by its name there
/// (a method as [`method_function`] names it), or a name an import binds:
/// the import's kind and module, and the name in the module it loads.
#[derive(Debug)]
enum Callee {
    Local(String),
    Imported(ImportKind, String, String),
}

impl Callee {
    /// A method of this class: its constructor for `__init__`.
    fn method(&self, method: &str) -> Callee {
        match self {
            Callee::Local(class) => Callee::Local(method_function(class, method)),
            Callee::Imported(kind, module, class) => {
                Callee::Imported(*kind, module.clone(), method_function(class, method))
            }
        }
    }
}

/// The name a method goes by in calls: `Client._init_transport`, and the
/// class's own name for what creating it runs (`__init__`, `__new__`, a
/// dataclass's `__post_init__`), as a call of the class runs them.
fn method_function(class: &str, method: &str) -> String {
    match CONSTRUCTORS.contains(&method) {
        true => class.to_string(),
        false => format!("{class}.{method}"),
    }
}

/// The methods creating an object runs.
const CONSTRUCTORS: [&str; 3] = ["__init__", "__new__", "__post_init__"];

/// `super`, as in `super().__init__(…)`.
fn is_super(func: &Expr) -> bool {
    matches!(func, Expr::Name(name) if name.id.as_str() == "super")
}

/// `sys.path.insert(…)`, `sys.path.append(…)`, `sys.path.extend(…)`,
/// `site.addsitedir(…)`.
fn changes_search_path(func: &Expr) -> bool {
    let Expr::Attribute(method) = func else {
        return false;
    };
    match method.value.as_ref() {
        Expr::Attribute(path) => {
            path.attr.as_str() == "path"
                && matches!(path.value.as_ref(), Expr::Name(n) if n.id.as_str() == "sys")
                && matches!(method.attr.as_str(), "insert" | "append" | "extend")
        }
        Expr::Name(site) => site.id.as_str() == "site" && method.attr.as_str() == "addsitedir",
        _ => false,
    }
}

/// A `try` with a handler whose body imports and then returns.
fn returns_what_it_imported(block: &ruff_python_ast::StmtTry) -> bool {
    !block.handlers.is_empty()
        && matches!(block.body.last(), Some(Stmt::Return(_)))
        && (block.body.iter()).any(|stmt| matches!(stmt, Stmt::Import(_) | Stmt::ImportFrom(_)))
}

/// An `except` whose body ends by raising (`raise DidNotEnable(...)`,
/// a bare `raise`): the failure goes on up.
fn handler_raises(handler: &ExceptHandler) -> bool {
    let ExceptHandler::ExceptHandler(handler) = handler;
    matches!(handler.body.last(), Some(Stmt::Raise(_)))
}

/// What an `if` test is whenever the module runs on Lambda (Linux, and
/// the runtime's Python when known), or `None` when it depends on more:
/// `TYPE_CHECKING`, tests of `sys.platform`, `os.name`,
/// `platform.system()` and `sys.version_info`, and `not`, `and`, `or` of
/// them.
fn on_lambda(test: &Expr, python: Option<(u32, u32)>) -> Option<bool> {
    match test {
        // `TYPE_CHECKING` or `typing.TYPE_CHECKING`
        Expr::Name(name) if name.id.as_str() == "TYPE_CHECKING" => Some(false),
        Expr::Attribute(attribute) if attribute.attr.as_str() == "TYPE_CHECKING" => Some(false),
        Expr::UnaryOp(unary) if unary.op == UnaryOp::Not => {
            on_lambda(&unary.operand, python).map(|known| !known)
        }
        Expr::BoolOp(both) => {
            let values: Vec<Option<bool>> =
                both.values.iter().map(|v| on_lambda(v, python)).collect();
            // `and` is decided by a false operand, `or` by a true one
            let decides = both.op == BoolOp::Or;
            if values.contains(&Some(decides)) {
                Some(decides)
            } else if values.iter().all(|v| *v == Some(!decides)) {
                Some(!decides)
            } else {
                None
            }
        }
        Expr::Compare(compare) if compare.ops.len() == 1 => {
            let (op, right) = (compare.ops[0], &compare.comparators[0]);
            // `if __name__ == "__main__":` runs when the file is a script,
            // never when Lambda imports it (nor anything it imports)
            if compares_name_with_main(&compare.left, right) {
                return match op {
                    CmpOp::Eq => Some(false),
                    CmpOp::NotEq => Some(true),
                    _ => None,
                };
            }
            if let Some(version) = python.and_then(|v| version_value(&compare.left, v)) {
                return compare_version(&version, op, right);
            }
            let (value, other) = match (platform_value(&compare.left), platform_value(right)) {
                (Some(value), _) => (value, right),
                (None, Some(value)) if matches!(op, CmpOp::Eq | CmpOp::NotEq) => {
                    (value, &*compare.left)
                }
                _ => return None,
            };
            match op {
                CmpOp::Eq => Some(string_value(other)? == value),
                CmpOp::NotEq => Some(string_value(other)? != value),
                CmpOp::In => Some(string_values(other)?.iter().any(|s| s == value)),
                CmpOp::NotIn => Some(!string_values(other)?.iter().any(|s| s == value)),
                _ => None,
            }
        }
        _ if has_sni(test) => Some(true),
        // `sys.platform.startswith("win")`, or a tuple of prefixes
        Expr::Call(call) => {
            let Expr::Attribute(method) = call.func.as_ref() else {
                return None;
            };
            let value = platform_value(&method.value)?;
            match (method.attr.as_str(), &call.arguments.args[..]) {
                ("startswith", [prefixes]) if call.arguments.keywords.is_empty() => Some(
                    string_values(prefixes)?
                        .iter()
                        .any(|prefix| value.starts_with(prefix)),
                ),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The module a `from` statement names: `..models` for `from ..models
/// import x`, `.` for `from . import x`.
fn statement_module(from: &ruff_python_ast::StmtImportFrom) -> String {
    let module = from.module.as_ref().map_or("", |m| m.as_str());
    format!("{}{module}", ".".repeat(from.level as usize))
}

/// The module `from … import name` gives the name from, when imported on
/// first use: the statement's module, or for `from . import sub` the
/// submodule itself.
fn attribute_module(
    from: &ruff_python_ast::StmtImportFrom,
    alias: &ruff_python_ast::Alias,
) -> String {
    match &from.module {
        Some(_) => statement_module(from),
        None => format!("{}{}", ".".repeat(from.level as usize), alias.name.as_str()),
    }
}

/// The name an import binds: `y` for `x as y`.
fn imported_as(alias: &ruff_python_ast::Alias) -> &str {
    alias.asname.as_ref().unwrap_or(&alias.name).as_str()
}

/// The names `name == "X"` or `name in ("X", "Y")` tests `parameter` for.
fn names_tested(test: &Expr, parameter: &str) -> Option<Vec<String>> {
    let Expr::Compare(compare) = test else {
        return None;
    };
    let ([op], [right]) = (&compare.ops[..], &compare.comparators[..]) else {
        return None;
    };
    if !matches!(compare.left.as_ref(), Expr::Name(n) if n.id.as_str() == parameter) {
        return None;
    }
    match op {
        CmpOp::Eq => Some(vec![string_value(right)?]),
        CmpOp::In => string_values(right),
        _ => None,
    }
}

/// The modules the import statements of a block (in its `try` bodies
/// too) import, each statement's with its offset.
fn modules_imported_in(body: &[Stmt], found: &mut Vec<(usize, Vec<String>)>) {
    for stmt in body {
        let offset = stmt.range().start().to_usize();
        match stmt {
            Stmt::ImportFrom(from) => {
                let mut modules: Vec<String> = (from.names.iter())
                    .map(|alias| attribute_module(from, alias))
                    .collect();
                modules.dedup();
                found.push((offset, modules));
            }
            // numpy's `if attr == "fft": import numpy.fft as fft`
            Stmt::Import(import) => {
                let modules = import.names.iter().map(|alias| alias.name.to_string());
                found.push((offset, modules.collect()));
            }
            Stmt::Try(block) => modules_imported_in(&block.body, found),
            _ => {}
        }
    }
}

/// `suppress(ImportError)` or `contextlib.suppress(…)` of an exception
/// that covers a failed import.
fn suppresses_import_error(expr: &Expr) -> bool {
    let Expr::Call(call) = expr else {
        return false;
    };
    let suppress = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str() == "suppress",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "suppress",
        _ => false,
    };
    suppress
        && call.arguments.args.iter().any(|argument| {
            matches!(argument, Expr::Name(name) if matches!(name.id.as_str(),
                "ImportError" | "ModuleNotFoundError" | "Exception" | "BaseException"))
        })
}

/// `__name__` and `"__main__"`, either way round.
fn compares_name_with_main(left: &Expr, right: &Expr) -> bool {
    let is_name = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "__name__");
    let is_main = |e: &Expr| string_value(e).as_deref() == Some("__main__");
    (is_name(left) && is_main(right)) || (is_main(left) && is_name(right))
}

/// `ssl.HAS_SNI` or `getattr(ssl, "HAS_SNI", …)`: true on every Python 3
/// (requests 2 and urllib3 1 inject pyOpenSSL, and import cryptography,
/// only without it).
fn has_sni(expr: &Expr) -> bool {
    let is_ssl = |expr: &Expr| matches!(expr, Expr::Name(n) if n.id.as_str() == "ssl");
    match expr {
        Expr::Attribute(a) => a.attr.as_str() == "HAS_SNI" && is_ssl(&a.value),
        Expr::Call(call) => match (call.func.as_ref(), &call.arguments.args[..]) {
            (Expr::Name(f), [module, Expr::StringLiteral(name), ..]) => {
                f.id.as_str() == "getattr" && is_ssl(module) && name.value.to_str() == "HAS_SNI"
            }
            _ => false,
        },
        _ => false,
    }
}

/// `sys.platform`, `os.name` or `platform.system()` as Lambda has them.
fn platform_value(expr: &Expr) -> Option<&'static str> {
    let module_attribute = |expr: &Expr, module: &str, attr: &str| {
        matches!(expr, Expr::Attribute(a) if a.attr.as_str() == attr
            && matches!(a.value.as_ref(), Expr::Name(n) if n.id.as_str() == module))
    };
    match expr {
        _ if module_attribute(expr, "sys", "platform") => Some("linux"),
        _ if module_attribute(expr, "os", "name") => Some("posix"),
        Expr::Call(call)
            if call.arguments.is_empty() && module_attribute(&call.func, "platform", "system") =>
        {
            Some("Linux")
        }
        _ => None,
    }
}

/// A string literal's value, or a tuple's, list's or set's of them.
fn string_values(expr: &Expr) -> Option<Vec<String>> {
    let elements = match expr {
        Expr::Tuple(tuple) => &tuple.elts[..],
        Expr::List(list) => &list.elts[..],
        Expr::Set(set) => &set.elts[..],
        _ => return string_value(expr).map(|s| vec![s]),
    };
    elements.iter().map(string_value).collect()
}

fn string_value(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(literal) => Some(literal.value.to_str().to_string()),
        _ => None,
    }
}

/// What `sys.version_info` (or `sys.version_info[:2]`, `[0]`, `.major`,
/// `.minor`) is on Python `major.minor`, as far as it is known: the full
/// tuple goes on with the micro version, which is not.
enum Version {
    /// The version's leading numbers, and whether more follow.
    Tuple(Vec<u32>, bool),
    Number(u32),
}

fn version_value(expr: &Expr, (major, minor): (u32, u32)) -> Option<Version> {
    let is_version_info = |expr: &Expr| {
        matches!(expr, Expr::Attribute(a) if a.attr.as_str() == "version_info"
            && matches!(a.value.as_ref(), Expr::Name(n) if n.id.as_str() == "sys"))
    };
    match expr {
        _ if is_version_info(expr) => Some(Version::Tuple(vec![major, minor], true)),
        Expr::Attribute(a) if is_version_info(&a.value) => match a.attr.as_str() {
            "major" => Some(Version::Number(major)),
            "minor" => Some(Version::Number(minor)),
            _ => None,
        },
        Expr::Subscript(s) if is_version_info(&s.value) => match s.slice.as_ref() {
            Expr::NumberLiteral(n) => match n.value.as_int()?.as_u64()? {
                0 => Some(Version::Number(major)),
                1 => Some(Version::Number(minor)),
                _ => None,
            },
            // `[:2]`
            Expr::Slice(slice) if slice.lower.is_none() && slice.step.is_none() => {
                match slice.upper.as_deref() {
                    Some(Expr::NumberLiteral(n)) if n.value.as_int()?.as_u64()? == 2 => {
                        Some(Version::Tuple(vec![major, minor], false))
                    }
                    _ => None,
                }
            }
            _ => None,
        },
        _ => None,
    }
}

/// `version OP right`, where right is an int or a tuple of ints.
fn compare_version(version: &Version, op: CmpOp, right: &Expr) -> Option<bool> {
    let int = |expr: &Expr| match expr {
        Expr::NumberLiteral(n) => n
            .value
            .as_int()?
            .as_u64()
            .and_then(|v| u32::try_from(v).ok()),
        _ => None,
    };
    let ordering = match version {
        Version::Number(number) => number.cmp(&int(right)?),
        Version::Tuple(known, more) => {
            let Expr::Tuple(tuple) = right else {
                return None;
            };
            let other: Vec<u32> = tuple.elts.iter().map(int).collect::<Option<_>>()?;
            // Python compares tuples item by item, then by length
            match known.iter().zip(&other).find(|(a, b)| a != b) {
                Some((a, b)) => a.cmp(b),
                None if other.len() <= known.len() => match known.len() > other.len() || *more {
                    true => std::cmp::Ordering::Greater,
                    false => std::cmp::Ordering::Equal,
                },
                // the micro version would decide
                None if *more => return None,
                None => std::cmp::Ordering::Less,
            }
        }
    };
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Eq => Some(ordering == Equal),
        CmpOp::NotEq => Some(ordering != Equal),
        CmpOp::Lt => Some(ordering == Less),
        CmpOp::LtE => Some(ordering != Greater),
        CmpOp::Gt => Some(ordering == Greater),
        CmpOp::GtE => Some(ordering != Less),
        _ => None,
    }
}
