//! Clients created in a JavaScript or TypeScript handler module (oxc).
//!
//! The handler is the export named like the Lambda handler's function:
//! `exports.handler = …`, `module.exports.handler = …`,
//! `module.exports = { handler }`, `export const handler = …`,
//! `export async function handler`, `export { fn as handler }`. A wrapper
//! call (`middy(base)`, `middy(base).use(…)`) stands for its first argument;
//! a handler taken from another module (`require('./app').handler`,
//! `export { handler } from './app.js'`) is reported for the caller to
//! follow. Inside the handler, and in the module's functions it calls, a
//! client assigned to a module-scope variable is the lazy pattern (created
//! once, reused by warm invocations) and is not counted.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, ArrowFunctionBody, AssignmentExpression, AssignmentTarget, BindingPattern,
    CallExpression, Expression, Function, FunctionBody, ImportDeclarationSpecifier,
    ModuleExportName, NewExpression, ObjectPropertyKind, Program, PropertyKey, Statement,
    VariableDeclarator,
};
use oxc_ast_visit::{walk, Visit};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType, Span};
use oxc_syntax::scope::ScopeFlags;

use super::{classify, Construction, HandlerCode, Place};
use crate::imports::{Language, LineIndex};

pub(super) fn read(path: &str, text: &str, handler: &str) -> Result<HandlerCode, String> {
    let source_type = SourceType::from_path(Path::new(path)).unwrap_or_default();
    let allocator = Allocator::default();
    let options = crate::imports::js::parse_options();
    let mut parsed = Parser::new(&allocator, text, source_type)
        .with_options(options)
        .parse();
    if (parsed.panicked || parsed.diagnostics.has_errors()) && !source_type.is_typescript() {
        parsed = Parser::new(&allocator, text, source_type.with_module(false))
            .with_options(options)
            .parse();
    }
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return Err("does not parse".to_string());
    }
    let lines = LineIndex::new(text);
    Ok(read_program(path, text, &parsed.program, lines, handler))
}

/// The clients of a handler module already parsed (and its lines indexed).
pub(crate) fn read_program(
    path: &str,
    text: &str,
    program: &Program,
    lines: LineIndex,
    handler: &str,
) -> HandlerCode {
    let mut module = Module::default();
    for statement in &program.body {
        module.declare(statement);
    }
    let mut reader = Reader {
        path,
        text,
        lines,
        module: &module,
        place: Place::ModuleScope,
        lazy_depth: 0,
        locals: HashSet::new(),
        called: Vec::new(),
        found: Vec::new(),
    };
    // module scope: everything outside function bodies
    reader.visit_program(program);
    let mut code = HandlerCode {
        constructions: std::mem::take(&mut reader.found),
        ..HandlerCode::default()
    };
    match module.handler(handler) {
        Some(Target::Body(body)) => {
            code.handler_found = true;
            let mut seen = HashSet::new();
            let mut queue = vec![(handler.to_string(), body)];
            while let Some((name, body)) = queue.pop() {
                if !seen.insert(body.start()) {
                    continue;
                }
                reader.place = Place::Handler(name);
                reader.locals = declared_names(body);
                body.visit(&mut reader);
                for called in std::mem::take(&mut reader.called) {
                    if let Some(Target::Body(body)) = module.resolve_name(&called, 0) {
                        queue.push((called, body));
                    }
                }
            }
            code.constructions.append(&mut reader.found);
        }
        Some(Target::Reexport { module, name }) => code.reexport = Some((module, name)),
        None => {}
    }
    code
}

/// Where a handler's code is.
enum Target<'a> {
    Body(Body<'a>),
    Reexport { module: String, name: String },
}

/// A function's body: statements, or an arrow function's expression.
#[derive(Clone, Copy)]
enum Body<'a> {
    Block(&'a FunctionBody<'a>),
    Arrow(&'a ArrowFunctionBody<'a>),
}

impl<'a> Body<'a> {
    fn start(self) -> u32 {
        match self {
            Body::Block(b) => b.span.start,
            Body::Arrow(b) => b.span().start,
        }
    }

    fn visit<V: Visit<'a>>(self, visitor: &mut V) {
        match self {
            Body::Block(b) => visitor.visit_function_body(b),
            Body::Arrow(b) => visitor.visit_arrow_function_body(b),
        }
    }
}

/// What the module declares at its top level.
#[derive(Default)]
struct Module<'a> {
    /// Local name → (module, imported name; `None` for the module object).
    bindings: HashMap<String, (String, Option<String>)>,
    functions: HashMap<String, &'a Function<'a>>,
    /// `const name = <init>` at the top level.
    constants: HashMap<String, &'a Expression<'a>>,
    /// Every name declared at the top level.
    variables: HashSet<String>,
    /// Exported name → what it is.
    exports: HashMap<String, Export<'a>>,
    /// `module.exports = require('./x')`: every export comes from there.
    exports_module: Option<String>,
}

enum Export<'a> {
    Expression(&'a Expression<'a>),
    Function(&'a Function<'a>),
    Local(String),
    From { module: String, name: String },
}

impl<'a> Module<'a> {
    fn declare(&mut self, statement: &'a Statement<'a>) {
        match statement {
            Statement::ImportDeclaration(import) => {
                let source = import.source.value.to_string();
                for specifier in import.specifiers.iter().flatten() {
                    let (local, imported) = match specifier {
                        ImportDeclarationSpecifier::ImportSpecifier(s) => {
                            (s.local.name.to_string(), Some(export_name(&s.imported)))
                        }
                        ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                            (s.local.name.to_string(), None)
                        }
                        ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                            (s.local.name.to_string(), None)
                        }
                    };
                    self.bindings.insert(local, (source.clone(), imported));
                }
            }
            Statement::VariableDeclaration(declaration) => {
                for declarator in &declaration.declarations {
                    self.declare_variable(declarator);
                }
            }
            Statement::FunctionDeclaration(function) => {
                if let Some(id) = &function.id {
                    self.functions.insert(id.name.to_string(), function);
                    self.variables.insert(id.name.to_string());
                }
            }
            Statement::ExportDeclaration(export) => match &export.declaration {
                oxc_ast::ast::Declaration::VariableDeclaration(declaration) => {
                    for declarator in &declaration.declarations {
                        self.declare_variable(declarator);
                        if let (BindingPattern::BindingIdentifier(id), Some(init)) =
                            (&declarator.id, &declarator.init)
                        {
                            self.exports
                                .insert(id.name.to_string(), Export::Expression(init));
                        }
                    }
                }
                oxc_ast::ast::Declaration::FunctionDeclaration(function) => {
                    if let Some(id) = &function.id {
                        self.functions.insert(id.name.to_string(), function);
                        self.exports
                            .insert(id.name.to_string(), Export::Function(function));
                    }
                }
                _ => {}
            },
            Statement::ExportNamedDeclaration(named) => {
                for specifier in &named.specifiers {
                    self.exports.insert(
                        export_name(&specifier.exported),
                        Export::Local(export_name(&specifier.local)),
                    );
                }
            }
            Statement::ExportFromDeclaration(from) => {
                for specifier in &from.specifiers {
                    self.exports.insert(
                        export_name(&specifier.exported),
                        Export::From {
                            module: from.source.value.to_string(),
                            name: export_name(&specifier.local),
                        },
                    );
                }
            }
            Statement::ExpressionStatement(statement) => {
                if let Expression::AssignmentExpression(assignment) = &statement.expression {
                    self.declare_assignment(assignment);
                }
            }
            _ => {}
        }
    }

    fn declare_variable(&mut self, declarator: &'a VariableDeclarator<'a>) {
        let init = declarator.init.as_ref();
        let required = init.and_then(|e| match e.without_parentheses() {
            Expression::CallExpression(call) => required_module(call),
            _ => None,
        });
        match &declarator.id {
            BindingPattern::BindingIdentifier(id) => {
                let name = id.name.to_string();
                self.variables.insert(name.clone());
                if let Some(module) = required {
                    self.bindings
                        .insert(name.clone(), (module.to_string(), None));
                }
                if let Some(init) = init {
                    self.constants.insert(name, init);
                }
            }
            BindingPattern::ObjectPattern(pattern) => {
                for property in &pattern.properties {
                    let key = match &property.key {
                        PropertyKey::StaticIdentifier(key) => key.name.to_string(),
                        _ => continue,
                    };
                    let local = match &property.value {
                        BindingPattern::BindingIdentifier(id) => id.name.to_string(),
                        _ => key.clone(),
                    };
                    self.variables.insert(local.clone());
                    if let Some(module) = required {
                        self.bindings.insert(local, (module.to_string(), Some(key)));
                    }
                }
            }
            _ => {}
        }
    }

    /// `exports.handler = …`, `module.exports.handler = …`,
    /// `module.exports = { handler }`, `module.exports = require('./x')`.
    fn declare_assignment(&mut self, assignment: &'a AssignmentExpression<'a>) {
        let AssignmentTarget::StaticMemberExpression(target) = &assignment.left else {
            return;
        };
        let object_is =
            |e: &Expression, name: &str| matches!(e, Expression::Identifier(id) if id.name == name);
        let is_module_exports = |e: &Expression| match e {
            Expression::StaticMemberExpression(m) => {
                object_is(&m.object, "module") && m.property.name == "exports"
            }
            _ => false,
        };
        if object_is(&target.object, "exports") || is_module_exports(&target.object) {
            self.exports.insert(
                target.property.name.to_string(),
                Export::Expression(&assignment.right),
            );
        } else if object_is(&target.object, "module") && target.property.name == "exports" {
            match assignment.right.without_parentheses() {
                Expression::ObjectExpression(object) => {
                    for property in &object.properties {
                        let ObjectPropertyKind::ObjectProperty(p) = property else {
                            continue;
                        };
                        if let PropertyKey::StaticIdentifier(key) = &p.key {
                            self.exports
                                .insert(key.name.to_string(), Export::Expression(&p.value));
                        }
                    }
                }
                Expression::CallExpression(call) => {
                    self.exports_module = required_module(call).map(str::to_string);
                }
                _ => {}
            }
        }
    }

    fn handler(&self, name: &str) -> Option<Target<'a>> {
        match self.exports.get(name) {
            Some(Export::Expression(e)) => self.resolve(e, 0),
            Some(Export::Function(f)) => f.body.as_deref().map(|b| Target::Body(Body::Block(b))),
            Some(Export::Local(local)) => self.resolve_name(local, 0),
            Some(Export::From { module, name }) => Some(Target::Reexport {
                module: module.clone(),
                name: name.clone(),
            }),
            None => self.exports_module.as_ref().map(|module| Target::Reexport {
                module: module.clone(),
                name: name.to_string(),
            }),
        }
    }

    fn resolve(&self, expression: &'a Expression<'a>, depth: u32) -> Option<Target<'a>> {
        if depth > 8 {
            return None;
        }
        match expression.without_parentheses() {
            Expression::FunctionExpression(function) => function
                .body
                .as_deref()
                .map(|b| Target::Body(Body::Block(b))),
            Expression::ArrowFunctionExpression(arrow) => {
                Some(Target::Body(Body::Arrow(&arrow.body)))
            }
            Expression::Identifier(id) => self.resolve_name(&id.name, depth + 1),
            // `require('./app').handler`
            Expression::StaticMemberExpression(member) => match member.object.without_parentheses()
            {
                Expression::CallExpression(call) => {
                    required_module(call).map(|module| Target::Reexport {
                        module: module.to_string(),
                        name: member.property.name.to_string(),
                    })
                }
                _ => None,
            },
            // a wrapper: `middy(base)`, `middy(base).use(x).use(y)`
            Expression::CallExpression(call) => {
                let mut call: &CallExpression = call;
                while let Expression::StaticMemberExpression(member) = &call.callee {
                    match member.object.without_parentheses() {
                        Expression::CallExpression(inner) => call = inner,
                        _ => break,
                    }
                }
                let first = call.arguments.first()?.as_expression()?;
                self.resolve(first, depth + 1)
            }
            _ => None,
        }
    }

    fn resolve_name(&self, name: &str, depth: u32) -> Option<Target<'a>> {
        if let Some(function) = self.functions.get(name) {
            return function
                .body
                .as_deref()
                .map(|b| Target::Body(Body::Block(b)));
        }
        if let Some(init) = self.constants.get(name) {
            return self.resolve(init, depth + 1);
        }
        // `import { handler } from './app'`
        match self.bindings.get(name) {
            Some((module, Some(imported))) if module.starts_with('.') => Some(Target::Reexport {
                module: module.clone(),
                name: imported.clone(),
            }),
            _ => None,
        }
    }
}

fn export_name(name: &ModuleExportName) -> String {
    match name {
        ModuleExportName::IdentifierName(n) => n.name.to_string(),
        ModuleExportName::IdentifierReference(n) => n.name.to_string(),
        ModuleExportName::StringLiteral(s) => s.value.to_string(),
    }
}

fn required_module<'a>(call: &'a CallExpression<'a>) -> Option<&'a str> {
    match &call.callee {
        Expression::Identifier(id) if id.name == "require" => {}
        _ => return None,
    }
    match call.arguments.first()? {
        Argument::StringLiteral(s) => Some(s.value.as_str()),
        _ => None,
    }
}

/// Names declared inside a function body, parameters left to the caller.
fn declared_names(body: Body) -> HashSet<String> {
    struct Declared(HashSet<String>);
    impl<'a> Visit<'a> for Declared {
        fn visit_binding_identifier(&mut self, it: &oxc_ast::ast::BindingIdentifier<'a>) {
            self.0.insert(it.name.to_string());
        }
    }
    let mut declared = Declared(HashSet::new());
    body.visit(&mut declared);
    declared.0
}

struct Reader<'m, 'a> {
    path: &'m str,
    text: &'m str,
    lines: LineIndex,
    module: &'m Module<'a>,
    place: Place,
    /// Inside the value assigned to a module-scope variable.
    lazy_depth: u32,
    /// Names declared in the handler body being read.
    locals: HashSet<String>,
    /// Module functions the handler calls, to read next.
    called: Vec<String>,
    found: Vec<Construction>,
}

impl Reader<'_, '_> {
    /// `AWS.DynamoDB.DocumentClient` → (module of AWS, "DynamoDB.DocumentClient").
    fn origin(&self, callee: &Expression) -> Option<(String, String)> {
        let mut names = Vec::new();
        let mut expression = callee.without_parentheses();
        loop {
            match expression {
                Expression::StaticMemberExpression(member) => {
                    names.push(member.property.name.to_string());
                    expression = member.object.without_parentheses();
                }
                Expression::Identifier(id) => {
                    if self.locals.contains(id.name.as_str()) {
                        return None;
                    }
                    let (module, imported) = self.module.bindings.get(id.name.as_str())?;
                    names.extend(imported.clone());
                    names.reverse();
                    // the module object itself: CommonJS exports, ESM default
                    if names.is_empty() {
                        names.push("default".to_string());
                    }
                    return Some((module.clone(), names.join(".")));
                }
                _ => return None,
            }
        }
    }

    fn construction(&mut self, callee: &Expression, arguments: &[Argument], new: bool, span: Span) {
        // module scope runs once anyway; in the handler, a client kept in a
        // module-scope variable is the lazy pattern
        let lazy = self.lazy_depth > 0 && self.place != Place::ModuleScope;
        if lazy {
            return;
        }
        let Some((module, path)) = self.origin(callee) else {
            return;
        };
        let first = arguments.first().and_then(|a| match a {
            Argument::StringLiteral(s) => Some(s.value.as_str()),
            _ => None,
        });
        let Some((kind, service)) = classify(Language::JavaScript, &module, &path, new, first)
        else {
            return;
        };
        let (line, column) = self.lines.position(self.text, span.start as usize);
        let code = self
            .text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(80)
            .collect();
        self.found.push(Construction {
            path: self.path.to_string(),
            line,
            column,
            code,
            module,
            callee: path,
            kind,
            service,
            place: self.place.clone(),
        });
    }

    /// An assignment target that outlives the invocation: a module-scope
    /// variable (not shadowed) or a property of one.
    fn outlives_invocation(&self, target: &AssignmentTarget) -> bool {
        let root = match target {
            AssignmentTarget::AssignmentTargetIdentifier(id) => Some(id.name.as_str()),
            AssignmentTarget::StaticMemberExpression(member) => {
                let mut object = member.object.without_parentheses();
                while let Expression::StaticMemberExpression(inner) = object {
                    object = inner.object.without_parentheses();
                }
                match object {
                    Expression::Identifier(id) => Some(id.name.as_str()),
                    Expression::ThisExpression(_) => None,
                    _ => None,
                }
            }
            _ => None,
        };
        root.is_some_and(|name| {
            !self.locals.contains(name)
                && (self.module.variables.contains(name) || name == "globalThis")
        })
    }
}

impl<'a> Visit<'a> for Reader<'_, 'a> {
    fn visit_new_expression(&mut self, it: &oxc_ast::ast::NewExpression<'a>) {
        let NewExpression {
            callee, arguments, ..
        } = it;
        self.construction(callee, arguments, true, it.span);
        walk::walk_new_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        self.construction(&it.callee, &it.arguments, false, it.span);
        if matches!(self.place, Place::Handler(_)) {
            if let Expression::Identifier(id) = &it.callee {
                let name = id.name.as_str();
                if !self.locals.contains(name)
                    && (self.module.functions.contains_key(name)
                        || self.module.constants.contains_key(name))
                {
                    self.called.push(id.name.to_string());
                }
            }
        }
        walk::walk_call_expression(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &AssignmentExpression<'a>) {
        let lazy = u32::from(self.outlives_invocation(&it.left));
        self.lazy_depth += lazy;
        walk::walk_assignment_expression(self, it);
        self.lazy_depth -= lazy;
    }

    // What a function or class holds runs when called, not where it
    // stands: the module scope's reading and the handler's skip them (a
    // function the handler calls is read as a body of its own). Not
    // descending keeps a bundle's reading short: its modules are closures.
    fn visit_function(&mut self, _: &Function<'a>, _: ScopeFlags) {}

    fn visit_arrow_function_expression(&mut self, _: &oxc_ast::ast::ArrowFunctionExpression<'a>) {}

    fn visit_class(&mut self, _: &oxc_ast::ast::Class<'a>) {}
}
