//! What a module gives its importers (and Lambda): a module-level binding
//! in Python, a named export in JavaScript (an ES module's declarations, a
//! CommonJS module's assignments, and the part of those Node's static
//! analysis lets an ES module import). It decides whether a module defines
//! the handler function, and whether an import's names are there at init.
//! Only a sure "no" counts; anything the code could compute (`export *
//! from`, `from x import *`, `globals()`, CommonJS that re-exports other
//! files) is "cannot tell".

use std::path::Path;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, AssignmentTarget, BindingPattern, Declaration, ExportSpecifier, Expression,
    ModuleExportName, ObjectExpression, ObjectPropertyKind, Program, PropertyKey, PropertyKind,
    Statement,
};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType};
use ruff_python_ast::visitor::Visitor;
use ruff_python_ast::{Expr, Stmt};

use super::Language;

/// `Some(true)` when the module surely defines `name` for Lambda to call,
/// `Some(false)` when it surely does not, `None` when that cannot be told
/// (or the file does not parse: the import scan warns about that).
pub fn defines(path: &str, text: &str, language: Language, name: &str) -> Option<bool> {
    match language {
        Language::Python => python_defines(text, name),
        Language::JavaScript => js_defines(path, text, name),
    }
}

fn python_defines(text: &str, name: &str) -> Option<bool> {
    let parsed = ruff_python_parser::parse_module(text).ok()?;
    python_exports(&parsed.syntax().body, text).has(name)
}

/// What a Python module binds at module level: through `if` / `try` /
/// `with` / loops but not into functions and classes. Open when names can
/// be made at run time: a module `__getattr__`, `from x import *`,
/// `globals()`, `setattr(`, `exec(`, a function's `global`, a module
/// object put in `sys.modules`, a `match` or `type` statement.
pub(crate) fn python_exports(body: &[Stmt], text: &str) -> ModuleExports {
    let mut exports = ModuleExports {
        open: ["globals()", "setattr(", "exec(", "sys.modules["]
            .iter()
            .any(|made| text.contains(made))
            || memchr::memmem::find_iter(text.as_bytes(), "global ").any(|at| {
                // the statement: only indentation before it on its line
                let line = text[..at].rsplit('\n').next().unwrap_or_default();
                !line.is_empty() && line.trim().is_empty()
            }),
        ..ModuleExports::default()
    };
    python_bindings(body, &mut exports);
    let mut walrus = WalrusTargets(&mut exports.names);
    body.iter().for_each(|stmt| walrus.visit_stmt(stmt));
    exports
}

/// Names an assignment expression binds in module-level code (`if (match :=
/// pattern.search(text)):`, also inside a comprehension), not in a
/// function, class body or lambda.
struct WalrusTargets<'e>(&'e mut std::collections::HashSet<String>);

impl<'a> Visitor<'a> for WalrusTargets<'_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        if !matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            ruff_python_ast::visitor::walk_stmt(self, stmt);
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Named(named) => {
                if let Expr::Name(name) = named.target.as_ref() {
                    self.0.insert(name.id.to_string());
                }
                self.visit_expr(&named.value);
            }
            Expr::Lambda(_) => {}
            _ => ruff_python_ast::visitor::walk_expr(self, expr),
        }
    }
}

fn python_bindings(body: &[Stmt], exports: &mut ModuleExports) {
    for stmt in body {
        match stmt {
            Stmt::FunctionDef(f) => {
                if f.name.as_str() == "__getattr__" {
                    exports.open = true;
                }
                exports.names.insert(f.name.to_string());
            }
            Stmt::ClassDef(c) => {
                exports.names.insert(c.name.to_string());
            }
            Stmt::Assign(a) => a.targets.iter().for_each(|t| target_names(t, exports)),
            Stmt::AnnAssign(a) => target_names(&a.target, exports),
            Stmt::AugAssign(a) => target_names(&a.target, exports),
            Stmt::Import(i) => exports.names.extend(i.names.iter().map(|alias| {
                alias
                    .asname
                    .as_ref()
                    .map(|a| a.to_string())
                    .unwrap_or_else(|| alias.name.split('.').next().unwrap_or_default().to_string())
            })),
            Stmt::ImportFrom(i) => {
                for alias in &i.names {
                    match alias.name.as_str() {
                        "*" => exports.open = true,
                        _ => {
                            exports
                                .names
                                .insert(alias.asname.as_ref().unwrap_or(&alias.name).to_string());
                        }
                    }
                }
            }
            Stmt::If(s) => {
                python_bindings(&s.body, exports);
                for clause in &s.elif_else_clauses {
                    python_bindings(&clause.body, exports);
                }
            }
            Stmt::Try(s) => {
                for block in [&s.body, &s.orelse, &s.finalbody] {
                    python_bindings(block, exports);
                }
                for handler in &s.handlers {
                    let ruff_python_ast::ExceptHandler::ExceptHandler(h) = handler;
                    if let Some(name) = &h.name {
                        exports.names.insert(name.to_string());
                    }
                    python_bindings(&h.body, exports);
                }
            }
            Stmt::With(s) => {
                for item in &s.items {
                    if let Some(target) = &item.optional_vars {
                        target_names(target, exports);
                    }
                }
                python_bindings(&s.body, exports);
            }
            Stmt::For(s) => {
                target_names(&s.target, exports);
                python_bindings(&s.body, exports);
                python_bindings(&s.orelse, exports);
            }
            Stmt::While(s) => {
                python_bindings(&s.body, exports);
                python_bindings(&s.orelse, exports);
            }
            Stmt::Match(_) | Stmt::TypeAlias(_) => exports.open = true,
            _ => {}
        }
    }
}

/// The names an assignment target binds: `a`, `a, (b, *c)`; not `a.b`
/// or `a[0]`, which bind nothing in the module.
fn target_names(target: &Expr, exports: &mut ModuleExports) {
    match target {
        Expr::Name(n) => {
            exports.names.insert(n.id.to_string());
        }
        Expr::Tuple(t) => t.elts.iter().for_each(|e| target_names(e, exports)),
        Expr::List(l) => l.elts.iter().for_each(|e| target_names(e, exports)),
        Expr::Starred(s) => target_names(&s.value, exports),
        _ => {}
    }
}

fn js_defines(path: &str, text: &str, name: &str) -> Option<bool> {
    let source_type = SourceType::from_path(Path::new(path)).unwrap_or_default();
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, text, source_type)
        .with_options(super::js::parse_options())
        .parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return None;
    }
    match esm_exports(&parsed.program) {
        Some(exports) => exports.has(name),
        None => commonjs_defines(text, name),
    }
}

/// [`defines`] from the names the import scan read of the module: no
/// parse of its own (a bundled handler's file may be megabytes). `text`
/// is asked for only for a CommonJS module.
pub fn defines_scanned(
    exports: &ModuleExports,
    name: &str,
    text: impl FnOnce() -> Option<String>,
) -> Option<bool> {
    match exports.commonjs {
        // an ES module's exports, or a Python module's bindings
        false => exports.has(name),
        true => commonjs_defines(&text()?, name),
    }
}

/// CommonJS exports are assignments anywhere (`exports.handler =`,
/// `module.exports = { handler }`, a bundler's `__export(…)`); sure only
/// when the name appears nowhere and nothing is brought in from elsewhere
/// (`module.exports = require('./app')`).
fn commonjs_defines(text: &str, name: &str) -> Option<bool> {
    if mentions(text, name) || text.contains("require(") || text.contains("import(") {
        None
    } else {
        Some(false)
    }
}

/// The names a module gives its importers, as far as its text tells: an
/// ES module's exports, a Python module's module-level bindings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleExports {
    pub(crate) names: std::collections::HashSet<String>,
    /// More may come from elsewhere: `export * from './impl'`, or a
    /// destructuring `export const { a } = make()`.
    pub(crate) open: bool,
    /// Read from a CommonJS module's assignments: what `require` returns.
    pub(crate) commonjs: bool,
    /// For a CommonJS module, the names an ES module importing it can take:
    /// those Node's static analysis of the file finds ([`NodeNames`]);
    /// `None` when that cannot be told.
    pub(crate) for_import: Option<std::collections::HashSet<String>>,
    /// CommonJS modules whose names this one gives as its own, as written:
    /// `module.exports = require('./impl')`, `__exportStar(require('./x'),
    /// exports)`, `...require('./x')` in `module.exports = { … }`.
    pub(crate) reexports: Vec<String>,
}

impl ModuleExports {
    /// `Some(true)` when the module exports `name`, `Some(false)` when it
    /// surely does not (a module that re-exports others cannot tell alone).
    pub(crate) fn has(&self, name: &str) -> Option<bool> {
        match self.own(name) {
            Some(false) if !self.reexports.is_empty() => None,
            own => own,
        }
    }

    /// [`Self::has`] among the names the module gives itself, its
    /// re-exports aside.
    pub(crate) fn own(&self, name: &str) -> Option<bool> {
        match (self.names.contains(name), self.open) {
            (true, _) => Some(true),
            (false, true) => None,
            (false, false) => Some(false),
        }
    }
}

/// What a parsed program exports, when it is an ES module (it has an
/// `import` or `export` declaration).
pub(crate) fn esm_exports(program: &Program) -> Option<ModuleExports> {
    let mut esm = false;
    let mut exports = ModuleExports::default();
    let specified = |specifiers: &[ExportSpecifier], exports: &mut ModuleExports| {
        exports.names.extend(
            specifiers
                .iter()
                .map(|s| export_name(&s.exported).to_string()),
        );
    };
    for stmt in &program.body {
        match stmt {
            Statement::ExportDeclaration(export) => {
                esm = true;
                match declaration_names(&export.declaration) {
                    Some(names) => exports.names.extend(names),
                    None => exports.open = true,
                }
            }
            // `export { a as handler }`, `export { handler } from './impl'`
            Statement::ExportNamedDeclaration(export) => {
                esm = true;
                specified(&export.specifiers, &mut exports);
            }
            Statement::ExportFromDeclaration(export) => {
                esm = true;
                specified(&export.specifiers, &mut exports);
            }
            Statement::ExportAllDeclaration(all) => {
                esm = true;
                match &all.exported {
                    // `export * as utils from './utils'`
                    Some(exported) => {
                        exports.names.insert(export_name(exported).to_string());
                    }
                    // `export * from './impl'`: whatever that module exports
                    None => exports.open = true,
                }
            }
            Statement::ExportDefaultDeclaration(_) => {
                esm = true;
                exports.names.insert("default".to_string());
            }
            Statement::ImportDeclaration(_) => esm = true,
            _ => {}
        }
    }
    esm.then_some(exports)
}

/// What a CommonJS module surely gives `require`, from its top-level
/// statements: `exports.a = …`, `module.exports.a = …` (also chained, as
/// TypeScript writes `exports.a = exports.b = void 0`),
/// `Object.defineProperty(exports, 'a', …)`, `module.exports = { a, b }`,
/// and esbuild's `__export(target, { a: () => a })` with `module.exports =
/// __toCommonJS(target)` and its `0 && (module.exports = { … })` note. A
/// re-export (`module.exports = require('./impl')`,
/// `__exportStar(require('./x'), exports)`) adds what the module it names
/// gives, which the check follows. Open when `module` or `exports` appears
/// anywhere else: a wrapper or a loop could add names. `mentions`: how many
/// times the program names `module` or `exports`, counted by the import
/// scan's walk over it.
pub(crate) fn commonjs_exports(
    program: &Program,
    mentions: usize,
    for_import: NodeNames,
) -> ModuleExports {
    let (for_import, reexports) = for_import.finish();
    let mut exports = ModuleExports {
        commonjs: true,
        for_import,
        reexports,
        ..ModuleExports::default()
    };
    let mut understood = 0;
    for stmt in &program.body {
        if let Statement::ExpressionStatement(statement) = stmt {
            understood += commonjs_statement(&statement.expression, &mut exports);
        }
    }
    exports.open |= mentions != understood;
    exports
}

/// The names one top-level expression exports, into `exports`; returns how
/// many mentions of `module`/`exports` it accounts for.
fn commonjs_statement(expression: &Expression, exports: &mut ModuleExports) -> usize {
    match expression.without_parentheses() {
        Expression::SequenceExpression(sequence) => sequence
            .expressions
            .iter()
            .map(|e| commonjs_statement(e, exports))
            .sum(),
        Expression::AssignmentExpression(assignment) => {
            let AssignmentTarget::StaticMemberExpression(target) = &assignment.left else {
                return 0;
            };
            let rest = || match assignment.right.without_parentheses() {
                Expression::AssignmentExpression(_) => Some(&assignment.right),
                _ => None,
            };
            if let Some(mentions) = exports_object(&target.object) {
                exports.names.insert(target.property.name.to_string());
                mentions + rest().map_or(0, |e| commonjs_statement(e, exports))
            } else if is_name(&target.object, "module") && target.property.name == "exports" {
                match assignment.right.without_parentheses() {
                    Expression::ObjectExpression(object) => {
                        object_keys(object, exports);
                        1
                    }
                    // esbuild: the names come from its `__export` call
                    Expression::CallExpression(call) if is_name(&call.callee, "__toCommonJS") => 1,
                    // a re-export, followed by the check
                    right if is_require(right) => 1,
                    _ => 0,
                }
            } else {
                0
            }
        }
        Expression::CallExpression(call) => {
            let first = call.arguments.first().and_then(Argument::as_expression);
            let second = call.arguments.get(1).and_then(Argument::as_expression);
            match (&call.callee, first, second) {
                // `Object.defineProperty(exports, 'a', { … })`
                (
                    Expression::StaticMemberExpression(callee),
                    Some(target),
                    Some(Expression::StringLiteral(name)),
                ) if is_name(&callee.object, "Object")
                    && callee.property.name == "defineProperty" =>
                {
                    match exports_object(target) {
                        Some(mentions) => {
                            exports.names.insert(name.value.to_string());
                            mentions
                        }
                        None => 0,
                    }
                }
                // esbuild's `__export(src_exports, { a: () => a })`
                (
                    callee,
                    Some(Expression::Identifier(_)),
                    Some(Expression::ObjectExpression(all)),
                ) if is_name(callee, "__export") => {
                    object_keys(all, exports);
                    0
                }
                // TypeScript's `__exportStar(require('./x'), exports)`
                // (tslib's too): a re-export, followed by the check
                (callee, Some(from), Some(target))
                    if is_require(from) && callee_is(callee, "__exportStar") =>
                {
                    exports_object(target).unwrap_or(0)
                }
                _ => 0,
            }
        }
        // esbuild's note for Node: `0 && (module.exports = { a, b })`
        Expression::LogicalExpression(note) if matches!(&note.left, Expression::NumericLiteral(n) if n.value == 0.0) => {
            match note.right.without_parentheses() {
                Expression::AssignmentExpression(assignment) => {
                    match (&assignment.left, assignment.right.without_parentheses()) {
                        (
                            AssignmentTarget::StaticMemberExpression(target),
                            Expression::ObjectExpression(object),
                        ) if is_name(&target.object, "module")
                            && target.property.name == "exports" =>
                        {
                            object_keys(object, exports);
                            1
                        }
                        _ => 0,
                    }
                }
                _ => 0,
            }
        }
        _ => 0,
    }
}

/// The names Node's static analysis of a CommonJS file finds, which are
/// all an ES module importing it can take by name (`import { a } from
/// 'cjs'`; anything else is `SyntaxError: Named export 'a' not found`):
/// assignments anywhere in the file to `exports.a`, `module.exports.a`,
/// `exports['a']`, `Object.defineProperty(exports, 'a', …)`, and the keys of
/// `module.exports = { … }`. A UMD bundle that sets `module.exports = _`
/// gives none. Re-exports (`module.exports = require('./x')`,
/// `__exportStar(require('./x'), exports)`, `...require('./x')`) are
/// listed for the check to follow; Babel's `export *` loop over another
/// module's keys leaves the names unknown.
#[derive(Default)]
pub(crate) struct NodeNames {
    pub(crate) names: std::collections::HashSet<String>,
    reexports: Vec<String>,
    unknown: bool,
    /// How many `Object.keys(m).forEach(…)` callbacks the code read is in.
    pub(crate) keys_loops: u32,
}

/// `Object.keys(m).forEach(…)`: the loop Babel's `export *` compiles to.
pub(crate) fn is_object_keys_for_each(call: &oxc_ast::ast::CallExpression) -> bool {
    let Expression::StaticMemberExpression(for_each) = call.callee.without_parentheses() else {
        return false;
    };
    let Expression::CallExpression(keys) = for_each.object.without_parentheses() else {
        return false;
    };
    for_each.property.name == "forEach"
        && matches!(keys.callee.without_parentheses(), Expression::StaticMemberExpression(m)
            if m.property.name == "keys" && is_name(&m.object, "Object"))
}

impl NodeNames {
    /// `text`: the file the assignment is in.
    pub(crate) fn assignment(
        &mut self,
        assignment: &oxc_ast::ast::AssignmentExpression,
        text: &str,
    ) {
        match &assignment.left {
            AssignmentTarget::StaticMemberExpression(target) => {
                if exports_object(&target.object).is_some() {
                    self.names.insert(target.property.name.to_string());
                } else if is_name(&target.object, "module") && target.property.name == "exports" {
                    // each `module.exports =` replaces the modules an
                    // earlier one re-exported: Node keeps the last
                    self.reexports.clear();
                    match assignment.right.without_parentheses() {
                        Expression::ObjectExpression(object) => self.literal(object, text),
                        right => self.reexport(right),
                    }
                }
            }
            AssignmentTarget::ComputedMemberExpression(target)
                if exports_object(&target.object).is_some() =>
            {
                match (&target.expression, assignment.right.without_parentheses()) {
                    (Expression::StringLiteral(name), _) => {
                        self.names.insert(name.value.to_string());
                    }
                    // Babel's `export *`: `exports[key] = _x[key]` in a loop
                    // over another module's keys, a re-export
                    (Expression::Identifier(key), Expression::ComputedMemberExpression(from))
                        if self.keys_loops > 0
                            && matches!(&from.expression, Expression::Identifier(k) if k.name == key.name) =>
                    {
                        self.unknown = true;
                    }
                    // any other computed name: Node's analysis skips it
                    _ => {}
                }
            }
            _ => {}
        }
    }

    /// `module.exports = { a, 'b': b, c: c, ...d }`: Node reads the
    /// literal word by word. A key counts when its value starts with a
    /// name (`b: require('c')`, `b: new B()`; not `b: 1` nor `b: (c)`),
    /// and the reading stops after the first value that is more than a
    /// name, and at the first key that does not count. A method gives its
    /// key, a getter the word `get`, and both stop it; a spread of a
    /// `require()` re-exports.
    fn literal(&mut self, object: &ObjectExpression, text: &str) {
        for property in &object.properties {
            match property {
                ObjectPropertyKind::ObjectProperty(p) => {
                    let key = match &p.key {
                        _ if p.computed => return,
                        PropertyKey::StaticIdentifier(key) => key.name.as_str(),
                        PropertyKey::StringLiteral(key) => key.value.as_str(),
                        _ => return,
                    };
                    // a method or an accessor: Node reads the word before
                    // its `(` (the key, or `get`, `set`, `async`) and stops
                    if p.method || p.kind != PropertyKind::Init {
                        let word = match (p.kind, &p.value) {
                            (PropertyKind::Get, _) => Some("get"),
                            (PropertyKind::Set, _) => Some("set"),
                            (_, Expression::FunctionExpression(f)) if f.r#async => Some("async"),
                            (_, Expression::FunctionExpression(f)) if f.generator => None,
                            _ if matches!(p.key, PropertyKey::StringLiteral(_)) => None,
                            _ => Some(key),
                        };
                        self.names.extend(word.map(String::from));
                        return;
                    }
                    let starts_with_name = p.shorthand
                        || text
                            .get(p.value.span().start as usize..)
                            .and_then(|rest| rest.chars().next())
                            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$');
                    if !starts_with_name {
                        return;
                    }
                    self.names.insert(key.to_string());
                    if !matches!(p.value, Expression::Identifier(_)) {
                        return;
                    }
                }
                ObjectPropertyKind::SpreadProperty(spread) => match &spread.argument {
                    Expression::Identifier(_) => {}
                    argument if is_require(argument) => self.reexport(argument),
                    _ => return,
                },
            }
        }
    }

    pub(crate) fn call(&mut self, call: &oxc_ast::ast::CallExpression) {
        let first = call.arguments.first().and_then(Argument::as_expression);
        let callee = match call.callee.without_parentheses() {
            Expression::Identifier(id) => Some(id.name.as_str()),
            Expression::StaticMemberExpression(m) => Some(m.property.name.as_str()),
            _ => None,
        };
        match callee {
            Some("defineProperty") if first.and_then(exports_object).is_some() => {
                let descriptor = call.arguments.get(2).and_then(Argument::as_expression);
                match call.arguments.get(1).and_then(Argument::as_expression) {
                    Some(Expression::StringLiteral(name))
                        if descriptor.is_some_and(seen_descriptor) =>
                    {
                        self.names.insert(name.value.to_string());
                    }
                    Some(Expression::StringLiteral(_)) => {}
                    // Babel's `export *` through getters, `{ get: function ()
                    // { return _x[key]; } }` for each key of another module
                    Some(Expression::Identifier(key))
                        if self.keys_loops > 0
                            && descriptor.is_some_and(|d| returns_member_named(d, &key.name)) =>
                    {
                        self.unknown = true;
                    }
                    // any other computed name: Node's analysis skips it
                    _ => {}
                }
            }
            // TypeScript's and tslib's re-exports (esbuild's `__reExport`
            // goes unseen: its note for Node spreads the require instead)
            Some("__exportStar" | "__export") => {
                if let Some(from) = first {
                    self.reexport(from);
                }
            }
            _ => {}
        }
    }

    /// `require('./x')` given as this module's names.
    fn reexport(&mut self, expression: &Expression) {
        if let Expression::CallExpression(call) = expression.without_parentheses() {
            if is_name(&call.callee, "require") {
                match call.arguments.first().and_then(Argument::as_expression) {
                    Some(Expression::StringLiteral(module)) => {
                        self.reexports.push(module.value.to_string());
                    }
                    _ => self.unknown = true,
                }
            }
        }
    }

    /// The names, unless a computed re-export leaves them unknown, and the
    /// modules re-exported.
    pub(crate) fn finish(self) -> (Option<std::collections::HashSet<String>>, Vec<String>) {
        ((!self.unknown).then_some(self.names), self.reexports)
    }
}

/// The property descriptors Node's analysis reads a name from: `{ value:
/// … }`, and `{ enumerable: true, get: function () { return m.a; } }` (or
/// `get () { … }`) returning a name or a member, as TypeScript writes its
/// re-exports. A getter written otherwise (`get: createGetter('json')`, an
/// arrow, a call) hides the name from an ES module import.
fn seen_descriptor(descriptor: &Expression) -> bool {
    let Expression::ObjectExpression(object) = descriptor.without_parentheses() else {
        return false;
    };
    let property = |i: usize| match object.properties.get(i) {
        Some(ObjectPropertyKind::ObjectProperty(p)) => match &p.key {
            PropertyKey::StaticIdentifier(key) => Some((key.name.as_str(), p)),
            _ => None,
        },
        _ => None,
    };
    match (property(0), property(1)) {
        (Some(("value", _)), _) => true,
        (Some(("enumerable", enumerable)), Some(("get", get))) => {
            let enumerable =
                matches!(enumerable.value, Expression::BooleanLiteral(ref b) if b.value);
            let body = match &get.value {
                Expression::FunctionExpression(f) if f.params.items.is_empty() => f.body.as_deref(),
                _ => None,
            };
            let returns_name = body.is_some_and(|body| match body.statements.as_slice() {
                [Statement::ReturnStatement(ret)] => matches!(
                    ret.argument.as_ref().map(|a| a.without_parentheses()),
                    Some(
                        Expression::Identifier(_)
                            | Expression::StaticMemberExpression(_)
                            | Expression::ComputedMemberExpression(_)
                    )
                ),
                _ => false,
            });
            enumerable && returns_name && object.properties.len() == 2
        }
        _ => false,
    }
}

/// `name(…)` or `helpers.name(…)`.
fn callee_is(callee: &Expression, name: &str) -> bool {
    match callee.without_parentheses() {
        Expression::Identifier(id) => id.name == name,
        Expression::StaticMemberExpression(m) => m.property.name == name,
        _ => false,
    }
}

/// A descriptor whose getter returns `something[key]`.
fn returns_member_named(descriptor: &Expression, key: &str) -> bool {
    let Expression::ObjectExpression(object) = descriptor.without_parentheses() else {
        return false;
    };
    object.properties.iter().any(|property| {
        let ObjectPropertyKind::ObjectProperty(p) = property else {
            return false;
        };
        let Expression::FunctionExpression(getter) = &p.value else {
            return false;
        };
        getter.body.as_ref().is_some_and(|body| {
            body.statements.iter().any(|statement| {
                matches!(statement, Statement::ReturnStatement(ret) if matches!(
                    ret.argument.as_ref().map(|a| a.without_parentheses()),
                    Some(Expression::ComputedMemberExpression(m))
                        if matches!(&m.expression, Expression::Identifier(id) if id.name == key)
                ))
            })
        })
    })
}

fn is_require(expression: &Expression) -> bool {
    matches!(expression.without_parentheses(), Expression::CallExpression(call) if is_name(&call.callee, "require"))
}

/// `exports` or `module.exports`: how many mentions of the two names it is.
fn exports_object(expression: &Expression) -> Option<usize> {
    match expression.without_parentheses() {
        Expression::Identifier(id) if id.name == "exports" => Some(1),
        Expression::StaticMemberExpression(m)
            if is_name(&m.object, "module") && m.property.name == "exports" =>
        {
            Some(1)
        }
        _ => None,
    }
}

fn is_name(expression: &Expression, name: &str) -> bool {
    matches!(expression.without_parentheses(), Expression::Identifier(id) if id.name == name)
}

/// The keys of an object literal; a spread or a computed key leaves the
/// names open.
fn object_keys(object: &ObjectExpression, exports: &mut ModuleExports) {
    for property in &object.properties {
        let key = match property {
            ObjectPropertyKind::ObjectProperty(p) => match &p.key {
                PropertyKey::StaticIdentifier(key) => Some(key.name.to_string()),
                PropertyKey::StringLiteral(key) => Some(key.value.to_string()),
                _ => None,
            },
            // `...require('./x')`: a re-export, followed by the check
            ObjectPropertyKind::SpreadProperty(spread) if is_require(&spread.argument) => continue,
            ObjectPropertyKind::SpreadProperty(_) => None,
        };
        match key {
            Some(key) => {
                exports.names.insert(key);
            }
            None => exports.open = true,
        }
    }
}

/// Whether `name` appears in `text` as a word of its own (not inside
/// `handlerV2`).
fn mentions(text: &str, name: &str) -> bool {
    text.match_indices(name)
        .any(|(at, _)| is_word(text, at, name.len()))
}

fn is_word(text: &str, at: usize, len: usize) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let before = text[..at].chars().next_back().is_none_or(|c| !ident(c));
    let after = text[at + len..].chars().next().is_none_or(|c| !ident(c));
    before && after
}

/// The names an exported declaration binds; `None` for a destructuring
/// one, which cannot be told cheaply.
fn declaration_names(declaration: &Declaration) -> Option<Vec<String>> {
    let named = |id: Option<&oxc_ast::ast::BindingIdentifier>| id.map(|id| id.name.to_string());
    match declaration {
        Declaration::FunctionDeclaration(f) => Some(named(f.id.as_ref()).into_iter().collect()),
        Declaration::ClassDeclaration(c) => Some(named(c.id.as_ref()).into_iter().collect()),
        Declaration::VariableDeclaration(v) => v
            .declarations
            .iter()
            .map(|declarator| match &declarator.id {
                BindingPattern::BindingIdentifier(id) => Some(id.name.to_string()),
                _ => None,
            })
            .collect(),
        // TypeScript's type-only declarations and the like
        _ => Some(Vec::new()),
    }
}

fn export_name<'a>(name: &'a ModuleExportName<'a>) -> &'a str {
    match name {
        ModuleExportName::IdentifierName(n) => n.name.as_str(),
        ModuleExportName::IdentifierReference(n) => n.name.as_str(),
        ModuleExportName::StringLiteral(s) => s.value.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py(text: &str) -> Option<bool> {
        defines("app.py", text, Language::Python, "lambda_handler")
    }

    fn js(path: &str, text: &str) -> Option<bool> {
        defines(path, text, Language::JavaScript, "handler")
    }

    #[test]
    fn python_bindings_at_module_level() {
        assert_eq!(
            py("def lambda_handler(event, context):\n    return 1\n"),
            Some(true)
        );
        assert_eq!(py("async def lambda_handler(e, c): pass\n"), Some(true));
        assert_eq!(py("from app.main import lambda_handler\n"), Some(true));
        assert_eq!(
            py("from mangum import Mangum\nlambda_handler = Mangum(app)\n"),
            Some(true)
        );
        assert_eq!(py("try:\n    import x\nexcept ImportError:\n    pass\nelse:\n    lambda_handler = x.h\n"), Some(true));
        assert_eq!(
            py("def handler(event, context):\n    return 1\n"),
            Some(false)
        );
        assert_eq!(
            py("class C:\n    def lambda_handler(self): pass\n"),
            Some(false)
        );
        assert_eq!(py("from app.main import *\n"), None);
        assert_eq!(py("globals()['lambda_handler'] = make()\n"), None);
        assert_eq!(py("def broken(:\n"), None);
    }

    #[test]
    fn python_module_names_and_what_leaves_them_open() {
        let names = |text: &str| {
            let parsed = ruff_python_parser::parse_module(text).unwrap();
            python_exports(&parsed.syntax().body, text)
        };
        let module = names(
            "if (m := f()) and [(w := x) for x in xs]: pass\nimport os.path\nfrom .a import b as c\nx, (y, *z) = 1, (2, 3)\nfor i in []: pass\nwith open(p) as f: pass\ntry:\n    import ujson as json\nexcept ImportError as error:\n    import json\nclass K: pass\ndef f(): pass\n",
        );
        for name in [
            "os", "c", "x", "y", "z", "i", "f", "json", "error", "K", "m", "w",
        ] {
            assert_eq!(module.has(name), Some(true), "{name}");
        }
        assert_eq!(module.has("b"), Some(false));
        assert_eq!(module.has("url_quote"), Some(false));
        // names made at run time leave any other name possible
        for text in [
            "from .impl import *\n",
            "def __getattr__(name): return 1\n",
            "globals()['x'] = 1\n",
            "def init():\n    global client\n    client = 1\n",
            "import sys\nsys.modules[__name__] = object()\n",
        ] {
            assert_eq!(names(text).has("client"), None, "{text}");
        }
    }

    #[test]
    fn javascript_exports() {
        assert_eq!(
            js("index.mjs", "export const handler = async () => 1;\n"),
            Some(true)
        );
        assert_eq!(
            js(
                "index.mjs",
                "async function main() {}\nexport { main as handler };\n"
            ),
            Some(true)
        );
        assert_eq!(
            js("index.mjs", "export const main = async () => 1;\n"),
            Some(false)
        );
        assert_eq!(js("index.mjs", "export * from './impl.mjs';\n"), None);
        assert_eq!(js("index.js", "exports.handler = async () => 1;\n"), None);
        assert_eq!(js("index.js", "module.exports = require('./app');\n"), None);
        assert_eq!(
            js("index.js", "exports.main = async () => 1;\n"),
            Some(false)
        );
        assert_eq!(
            js("index.js", "exports.handlerV2 = async () => 1;\n"),
            Some(false)
        );
    }

    fn commonjs(text: &str) -> ModuleExports {
        crate::imports::scan_source("index.cjs", text, Language::JavaScript)
            .unwrap_or_else(|w| panic!("{}", w.message))
            .exports
            .unwrap()
    }

    #[test]
    fn commonjs_exports_as_compilers_and_people_write_them() {
        // TypeScript
        let typescript = commonjs(
            "\"use strict\";\nObject.defineProperty(exports, \"__esModule\", { value: true });\nexports.Utility = exports.isTruthy = void 0;\nconst a_1 = require(\"./a.js\");\nObject.defineProperty(exports, \"isTruthy\", { enumerable: true, get: function () { return a_1.isTruthy; } });\nclass Utility {}\nexports.Utility = Utility;\n",
        );
        // esbuild, as the AWS SDK's dist-cjs files are built
        let esbuild = commonjs(
            "var src_exports = {};\n__export(src_exports, {\n  DynamoDBClient: () => DynamoDBClient,\n  paginateScan: () => paginateScan\n});\nmodule.exports = __toCommonJS(src_exports);\nclass DynamoDBClient {}\n0 && (module.exports = {\n  DynamoDBClient,\n  paginateScan\n});\n",
        );
        let literal =
            commonjs("function b() {}\nmodule.exports = { a: 1, b, c() {}, 'd-e': 2 };\n");
        let minified = commonjs("exports.a=1,module.exports.b=function(){return exports.a};\n");
        for (module, names) in [
            (&typescript, &["Utility", "isTruthy", "__esModule"][..]),
            (&esbuild, &["DynamoDBClient", "paginateScan"]),
            (&literal, &["a", "b", "c", "d-e"]),
        ] {
            for name in names {
                assert_eq!(module.has(name), Some(true), "{name}");
            }
            assert_eq!(module.has("EnvironmentVariablesService"), Some(false));
            assert!(module.commonjs);
        }
        // `exports.a` read inside a function: another mention, so open
        assert_eq!(minified.has("a"), Some(true));
        assert_eq!(minified.has("c"), None);
    }

    /// What an ES module importing the file can take by name, as Node's
    /// analysis of CommonJS reads it.
    fn seen(text: &str) -> Option<Vec<String>> {
        let mut names: Vec<String> = commonjs(text).for_import?.into_iter().collect();
        names.sort();
        Some(names)
    }

    #[test]
    fn names_an_es_module_import_sees_in_commonjs() {
        // jsonwebtoken 9: the literal stops after its first non-name value
        assert_eq!(
            seen("module.exports = {\n  decode: require('./decode'),\n  verify: require('./verify'),\n  sign: require('./sign'),\n};\n"),
            Some(vec!["decode".to_string()])
        );
        // body-parser 1: a getter made by a call is not read
        assert_eq!(
            seen("exports = module.exports = bodyParser;\nObject.defineProperty(exports, 'json', { configurable: true, enumerable: true, get: createParserGetter('json') });\nObject.defineProperty(exports, 'raw', { enumerable: true, get: function () { return parsers.raw; } });\n"),
            Some(vec!["raw".to_string()])
        );
        // http-errors 2, aws-sdk 2: the names set later through a variable
        // are invisible
        assert_eq!(
            seen("module.exports = createError;\nmodule.exports.HttpError = make();\nfunction populate(exports, codes) { codes.forEach(function (code) { exports[toIdentifier(code)] = make(code); }); }\n"),
            Some(vec!["HttpError".to_string()])
        );
        assert_eq!(
            seen("(function () { var _ = {}; freeModule.exports = _; }.call(this));\n"),
            Some(vec![])
        );
        // anywhere in the file, and by string
        assert_eq!(
            seen("if (x) { exports.a = 1; }\n(function () { module.exports['b-c'] = 2; })();\n0 && (module.exports = { d, e });\n"),
            Some(["a", "b-c", "d", "e"].map(String::from).to_vec())
        );
        // re-exports, for the check to follow
        for (text, module) in [
            ("module.exports = require('./impl');\n", "./impl"),
            ("__exportStar(require(\"./types\"), exports);\n", "./types"),
            (
                "tslib_1.__exportStar(require(\"./types\"), exports);\n",
                "./types",
            ),
            ("module.exports = { a, ...require('./more') };\n", "./more"),
            (
                "0 && (module.exports = { A, ...require(\"./commands\") });\n",
                "./commands",
            ),
        ] {
            let exports = commonjs(text);
            assert_eq!(exports.reexports, [module], "{text}");
            // the module alone cannot tell what the re-export brings
            assert_eq!(exports.has("b"), None, "{text}");
        }
        // what Node 20 gives an `import * as m` of each
        for (literal, names) in [
            ("{ a: 1, b }", &[][..]),
            ("{ a, b: 1, c }", &["a"]),
            ("{ a: b.c, d }", &["a"]),
            ("{ a: /* why */ b, c }", &["a", "c"]),
            ("{ a: (b), c }", &[]),
            ("{ a: new B(), c }", &["a"]),
            ("{ a: async () => 1, c }", &["a"]),
            ("{ a: $b, é: c, 'd': e }", &["a", "d", "é"]),
            ("{ 'a': 1 }", &[]),
            ("{ a() {}, b }", &["a"]),
            ("{ get a() { return 1; }, b }", &["get"]),
            ("{ async a() {}, b }", &["async"]),
            ("{ *a() {}, b }", &[]),
            ("{ 'a'() {}, b }", &[]),
            ("{ ['a']: b, c }", &[]),
        ] {
            assert_eq!(
                seen(&format!("module.exports = {literal};\n")),
                Some(names.iter().map(|n| n.to_string()).collect()),
                "{literal}"
            );
        }
        // each `module.exports =` replaces what an earlier one re-exported
        for (text, reexports) in [
            (
                "if (x) module.exports = require('./a');\nelse module.exports = require('./b');\n",
                &["./b"][..],
            ),
            ("module.exports = require('./a');\nmodule.exports = b;\n", &[]),
            (
                "module.exports = { ...require('./a') };\nmodule.exports = { b };\n",
                &[],
            ),
            (
                "module.exports = __toCommonJS(src);\n0 && (module.exports = { A, ...require('./a') });\n",
                &["./a"],
            ),
        ] {
            assert_eq!(commonjs(text).reexports, reexports, "{text}");
        }
        // getters over a list of names (winston 3): Node skips computed
        // names outside Babel's loop over another module's keys
        assert_eq!(
            seen("exports.a = 1;\n['b'].forEach(prop => {\n  Object.defineProperty(exports, prop, { get() { return logger[prop]; } });\n});\nfor (const k in other) exports[k] = other[k];\n"),
            Some(vec!["a".to_string()])
        );
        assert_eq!(
            seen("var _x = require('x');\nObject.keys(_x).forEach(function (key) {\n  Object.defineProperty(exports, key, { enumerable: true, get: function () { return _x[key]; } });\n});\n"),
            None
        );
        // Babel's `export *` loop: unknown
        assert_eq!(
            seen("var _x = require('x');\nObject.keys(_x).forEach(function (key) { exports[key] = _x[key]; });\n"),
            None
        );
    }

    #[test]
    fn commonjs_exports_that_could_come_from_elsewhere_are_not_judged() {
        for text in [
            "module.exports = require('./impl');\n",
            "__exportStar(require(\"./types\"), exports);\nexports.a = 1;\n",
            "module.exports = function make() {};\nmodule.exports.a = 1;\n",
            "(function (root, factory) { if (typeof exports === 'object') factory(exports); })(this, function (exports) { exports.a = 1; });\n",
            "module.exports = { ...base, a: 1 };\n",
            "for (const k of ['a', 'b']) exports[k] = 1;\n",
            "Object.assign(module.exports, { a: 1 });\n",
            "if (process.env.X) { exports.b = 2; }\nexports.a = 1;\n",
        ] {
            assert_eq!(commonjs(text).has("b"), None, "{text}");
        }
    }
}
