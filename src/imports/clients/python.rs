//! Clients created in a Python handler module (ruff's parser).
//!
//! The handler is the module-level `def` named like the Lambda handler's
//! function. Inside it, and in the module's functions and classes it calls
//! (a class's `__init__`), a client assigned to a name declared `global`, or
//! kept in a module-level container, is the lazy pattern; functions cached
//! with `functools.cache` / `lru_cache` are factories that run once.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt, StmtFunctionDef};
use ruff_text_size::Ranged;

use super::{classify, Construction, Download, HandlerCode, Place};
use crate::imports::{Language, LineIndex};

pub(super) fn read(path: &str, text: &str, handler: &str) -> Result<HandlerCode, String> {
    let parsed = ruff_python_parser::parse_module(text).map_err(|e| e.error.to_string())?;
    let lines = LineIndex::new(text);
    Ok(read_body(path, text, &parsed.syntax().body, lines, handler))
}

/// The clients of a handler module already parsed (and its lines indexed).
pub(crate) fn read_body(
    path: &str,
    text: &str,
    body: &[Stmt],
    lines: LineIndex,
    handler: &str,
) -> HandlerCode {
    let mut module = Module::default();
    for statement in body {
        module.declare(statement);
    }
    let mut reader = Reader {
        path,
        text,
        lines,
        module: &module,
        place: Place::ModuleScope,
        function_depth: 0,
        lazy_depth: 0,
        globals: HashSet::new(),
        locals: HashSet::new(),
        called: Vec::new(),
        found: Vec::new(),
        downloads: Vec::new(),
        checks_existence: false,
    };
    reader.visit_body(body);
    let mut code = HandlerCode {
        constructions: std::mem::take(&mut reader.found),
        ..HandlerCode::default()
    };
    let mut downloads = std::mem::take(&mut reader.downloads);
    let mut existence = ExistenceCheck(false);
    existence.visit_body(body);
    for download in &mut downloads {
        download.checks_existence = existence.0;
    }
    code.downloads = downloads;
    if let Some(function) = module.functions.get(handler) {
        code.handler_found = true;
        let mut seen = HashSet::new();
        let mut queue: Vec<(String, &StmtFunctionDef)> = vec![(handler.to_string(), function)];
        while let Some((name, function)) = queue.pop() {
            if !seen.insert(function.range().start()) || is_cached(function) {
                continue;
            }
            reader.place = Place::Handler(name);
            reader.function_depth = 0;
            (reader.globals, reader.locals) = function_names(&function.body);
            reader.visit_body(&function.body);
            for called in std::mem::take(&mut reader.called) {
                if let Some(f) = module.functions.get(&called) {
                    queue.push((called, f));
                } else if let Some(init) = module.initializers.get(&called) {
                    queue.push((format!("{called}.__init__"), init));
                }
            }
        }
        code.constructions.append(&mut reader.found);
    }
    code
}

#[derive(Default)]
struct Module<'a> {
    /// Local name → (module, imported name; `None` for the module itself).
    bindings: HashMap<String, (String, Option<String>)>,
    functions: HashMap<String, &'a StmtFunctionDef>,
    /// Class name → its `__init__`.
    initializers: HashMap<String, &'a StmtFunctionDef>,
    /// Names assigned at module level.
    variables: HashSet<String>,
    /// Names assigned a call's result at module level → what was called:
    /// `session = boto3.Session()` makes `session.client` `Session.client`.
    results: HashMap<String, &'a Expr>,
}

impl<'a> Module<'a> {
    fn declare(&mut self, statement: &'a Stmt) {
        match statement {
            Stmt::Import(import) => {
                for alias in &import.names {
                    let module = alias.name.to_string();
                    match &alias.asname {
                        Some(local) => {
                            self.bindings.insert(local.to_string(), (module, None));
                        }
                        // `import boto3.session` binds `boto3`
                        None => {
                            let top = module.split('.').next().unwrap_or(&module).to_string();
                            self.bindings.insert(top.clone(), (top, None));
                        }
                    }
                }
            }
            Stmt::ImportFrom(from) if from.level == 0 => {
                let Some(module) = &from.module else {
                    return;
                };
                for alias in &from.names {
                    let local = alias.asname.as_ref().unwrap_or(&alias.name).to_string();
                    self.bindings
                        .insert(local, (module.to_string(), Some(alias.name.to_string())));
                }
            }
            Stmt::FunctionDef(function) => {
                self.functions.insert(function.name.to_string(), function);
            }
            Stmt::ClassDef(class) => {
                for item in &class.body {
                    if let Stmt::FunctionDef(f) = item {
                        if f.name.as_str() == "__init__" {
                            self.initializers.insert(class.name.to_string(), f);
                        }
                    }
                }
            }
            Stmt::Assign(assign) => {
                for target in &assign.targets {
                    if let Expr::Name(name) = target {
                        self.variables.insert(name.id.to_string());
                        match assign.value.as_ref() {
                            Expr::Call(call) => {
                                self.results.insert(name.id.to_string(), &call.func);
                            }
                            // reassigned to something else: no longer that result
                            _ => {
                                self.results.remove(name.id.as_str());
                            }
                        }
                    }
                }
            }
            Stmt::AnnAssign(assign) => {
                if let Expr::Name(name) = assign.target.as_ref() {
                    self.variables.insert(name.id.to_string());
                }
            }
            _ => {}
        }
    }
}

/// `@functools.cache`, `@lru_cache(maxsize=None)`: the body runs once.
fn is_cached(function: &StmtFunctionDef) -> bool {
    function.decorator_list.iter().any(|d| {
        let expression = match &d.expression {
            Expr::Call(call) => call.func.as_ref(),
            other => other,
        };
        let name = match expression {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => "",
        };
        matches!(name, "cache" | "lru_cache" | "cached_property")
    })
}

/// The names a function declares `global`, and those it binds itself
/// (assigned and not declared global): its locals shadow the module's.
fn function_names(body: &[Stmt]) -> (HashSet<String>, HashSet<String>) {
    #[derive(Default)]
    struct Names {
        globals: HashSet<String>,
        assigned: HashSet<String>,
    }
    impl Names {
        fn bind(&mut self, target: &Expr) {
            match target {
                Expr::Name(name) => {
                    self.assigned.insert(name.id.to_string());
                }
                Expr::Tuple(tuple) => tuple.elts.iter().for_each(|t| self.bind(t)),
                Expr::List(list) => list.elts.iter().for_each(|t| self.bind(t)),
                _ => {}
            }
        }
    }
    impl<'a> Visitor<'a> for Names {
        fn visit_stmt(&mut self, stmt: &'a Stmt) {
            match stmt {
                Stmt::Global(global) => {
                    self.globals
                        .extend(global.names.iter().map(|n| n.to_string()));
                }
                Stmt::Assign(assign) => {
                    assign.targets.iter().for_each(|t| self.bind(t));
                }
                Stmt::AnnAssign(assign) => self.bind(&assign.target),
                Stmt::For(for_loop) => {
                    self.bind(&for_loop.target);
                    visitor::walk_stmt(self, stmt);
                }
                Stmt::With(with) => {
                    for item in &with.items {
                        if let Some(target) = &item.optional_vars {
                            self.bind(target);
                        }
                    }
                    visitor::walk_stmt(self, stmt);
                }
                Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {}
                _ => visitor::walk_stmt(self, stmt),
            }
        }
    }
    let mut names = Names::default();
    names.visit_body(body);
    let locals = names
        .assigned
        .into_iter()
        .filter(|name| !names.globals.contains(name))
        .collect();
    (names.globals, locals)
}

/// Whether the module checks for a file before fetching it.
struct ExistenceCheck(bool);

impl<'a> Visitor<'a> for ExistenceCheck {
    fn visit_expr(&mut self, expr: &'a Expr) {
        if let Expr::Call(call) = expr {
            let name = match call.func.as_ref() {
                Expr::Attribute(a) => a.attr.as_str(),
                Expr::Name(n) => n.id.as_str(),
                _ => "",
            };
            if matches!(name, "exists" | "isfile" | "is_file") {
                self.0 = true;
            }
        }
        visitor::walk_expr(self, expr);
    }
}

struct Reader<'m, 'a> {
    path: &'m str,
    text: &'m str,
    lines: LineIndex,
    module: &'m Module<'a>,
    place: Place,
    function_depth: u32,
    lazy_depth: u32,
    /// Names the function being read declares `global`.
    globals: HashSet<String>,
    /// Names the function being read binds itself.
    locals: HashSet<String>,
    called: Vec<String>,
    found: Vec<Construction>,
    downloads: Vec<Download>,
    checks_existence: bool,
}

impl Reader<'_, '_> {
    /// `boto3.session.Session` → the splits of (module, path) to try:
    /// ("boto3", "session.Session"), ("boto3.session", "Session"). A call
    /// on the way is named by what it calls, so a Session's client is
    /// `Session.client` whether written `boto3.Session().client` or through
    /// a module-level `session = boto3.Session()`.
    fn origins(&self, func: &Expr) -> Vec<(String, String)> {
        let mut names = Vec::new();
        let mut expression = func;
        // a chain of module-level results cannot loop forever
        let mut results_followed = 0;
        loop {
            match expression {
                Expr::Attribute(attribute) => {
                    names.push(attribute.attr.to_string());
                    expression = &attribute.value;
                }
                Expr::Call(call) => expression = &call.func,
                Expr::Name(name) => {
                    let Some((module, imported)) = self.module.bindings.get(name.id.as_str())
                    else {
                        match self.module.results.get(name.id.as_str()) {
                            // a name the function binds itself is not the module's
                            Some(called) if results_followed < 8 && self.reads_module(name) => {
                                results_followed += 1;
                                expression = called;
                                continue;
                            }
                            _ => return Vec::new(),
                        }
                    };
                    names.extend(imported.clone());
                    names.reverse();
                    let mut splits = vec![(module.clone(), names.join("."))];
                    if imported.is_none() {
                        for at in 1..names.len() {
                            splits.push((
                                format!("{module}.{}", names[..at].join(".")),
                                names[at..].join("."),
                            ));
                        }
                    }
                    return splits;
                }
                _ => return Vec::new(),
            }
        }
    }

    fn call(&mut self, call: &ruff_python_ast::ExprCall) {
        let lazy = self.lazy_depth > 0 && self.place != Place::ModuleScope;
        if self.function_depth > 0 || lazy {
            return;
        }
        let first = call.arguments.args.first().and_then(|a| match a {
            Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
            _ => None,
        });
        let first = first.or_else(|| {
            call.arguments
                .keywords
                .iter()
                .find_map(|k| match (&k.arg, &k.value) {
                    (Some(arg), Expr::StringLiteral(s)) if arg.as_str() == "service_name" => {
                        Some(s.value.to_str().to_string())
                    }
                    _ => None,
                })
        });
        let found = self
            .origins(&call.func)
            .into_iter()
            .find_map(|(module, path)| {
                classify(Language::Python, &module, &path, false, first.as_deref())
                    .map(|kind| (module, path, kind))
            });
        let (line, column) = self
            .lines
            .position(self.text, call.range().start().to_usize());
        let code = self.snippet(call.range());
        if let Some((module, callee, (kind, service))) = found {
            // `Session().client('s3')`: the client is the finding, not
            // also the Session it is made from (read after it, same start)
            let same_start = |c: &Construction| (c.line, c.column) == (line, column);
            if self.found.last().is_some_and(same_start) {
                return;
            }
            self.found.push(Construction {
                path: self.path.to_string(),
                line,
                column,
                code,
                module,
                callee,
                kind,
                service,
                place: self.place.clone(),
            });
        } else if self.place == Place::ModuleScope {
            self.download(call, line, column, code);
        }
    }

    /// `s3.download_file(bucket, key, "/tmp/model.bin")` at module scope.
    fn download(&mut self, call: &ruff_python_ast::ExprCall, line: u32, column: u32, code: String) {
        let Expr::Attribute(attribute) = call.func.as_ref() else {
            return;
        };
        if attribute.attr.as_str() != "download_file" {
            return;
        }
        let target = call
            .arguments
            .args
            .get(2)
            .or_else(|| {
                call.arguments
                    .keywords
                    .iter()
                    .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == "Filename"))
                    .map(|k| &k.value)
            })
            .and_then(|e| match e {
                Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                Expr::FString(f) => Some(self.snippet(f.range())),
                _ => None,
            });
        self.downloads.push(Download {
            line,
            column,
            code,
            target,
            checks_existence: self.checks_existence,
        });
    }

    fn snippet(&self, range: ruff_text_size::TextRange) -> String {
        self.text
            .get(range.start().to_usize()..range.end().to_usize())
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(80)
            .collect()
    }

    /// An assignment that outlives the invocation: to a `global` name, or
    /// into a module-level container or object (`CACHE["s3"] = …`).
    fn outlives_invocation(&self, target: &Expr) -> bool {
        match target {
            Expr::Name(name) => self.globals.contains(name.id.as_str()),
            Expr::Subscript(subscript) => self.rooted_in_module(&subscript.value),
            Expr::Attribute(attribute) => self.rooted_in_module(&attribute.value),
            _ => false,
        }
    }

    /// Whether a name read here is the module's: at module scope, or in a
    /// function that does not bind it itself.
    fn reads_module(&self, name: &ruff_python_ast::ExprName) -> bool {
        self.place == Place::ModuleScope || !self.locals.contains(name.id.as_str())
    }

    fn rooted_in_module(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Name(name) => {
                let name = name.id.as_str();
                self.globals.contains(name) || self.module.variables.contains(name)
            }
            Expr::Subscript(s) => self.rooted_in_module(&s.value),
            Expr::Attribute(a) => self.rooted_in_module(&a.value),
            _ => false,
        }
    }
}

impl<'a> Visitor<'a> for Reader<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(_) => {
                self.function_depth += 1;
                visitor::walk_stmt(self, stmt);
                self.function_depth -= 1;
            }
            Stmt::Assign(assign) => {
                let lazy = u32::from(assign.targets.iter().any(|t| self.outlives_invocation(t)));
                self.lazy_depth += lazy;
                visitor::walk_stmt(self, stmt);
                self.lazy_depth -= lazy;
            }
            Stmt::AnnAssign(assign) => {
                let lazy = u32::from(self.outlives_invocation(&assign.target));
                self.lazy_depth += lazy;
                visitor::walk_stmt(self, stmt);
                self.lazy_depth -= lazy;
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => {
                self.call(call);
                if self.function_depth == 0 && matches!(self.place, Place::Handler(_)) {
                    if let Expr::Name(name) = call.func.as_ref() {
                        let name = name.id.as_str();
                        if self.module.functions.contains_key(name)
                            || self.module.initializers.contains_key(name)
                        {
                            self.called.push(name.to_string());
                        }
                    }
                }
            }
            Expr::Lambda(_) => {
                self.function_depth += 1;
                visitor::walk_expr(self, expr);
                self.function_depth -= 1;
                return;
            }
            // `x := boto3.client(...)` keeps it local
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}
