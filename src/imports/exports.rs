//! Whether a module defines the handler function Lambda calls: a
//! module-level binding in Python, a named export in JavaScript. Only a
//! sure "no" counts; anything the code could compute (`export * from`,
//! `from x import *`, `globals()`, CommonJS that requires other files)
//! is "cannot tell".

use std::path::Path;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    BindingPattern, Declaration, ExportSpecifier, ModuleExportName, Program, Statement,
};
use oxc_parser::Parser;
use oxc_span::SourceType;
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
    // names made at run time
    if text.contains("globals()") || text.contains("setattr(") {
        return None;
    }
    python_body_binds(&parsed.syntax().body, name)
}

/// Module-level statements, through `if` / `try` / `with` / loops but not
/// into functions and classes.
fn python_body_binds(body: &[Stmt], name: &str) -> Option<bool> {
    let mut unknown = false;
    for stmt in body {
        let found = match stmt {
            Stmt::FunctionDef(f) => {
                if f.name.as_str() == "__getattr__" {
                    unknown = true;
                }
                Some(f.name.as_str() == name)
            }
            Stmt::ClassDef(c) => Some(c.name.as_str() == name),
            Stmt::Assign(a) => Some(a.targets.iter().any(|t| target_binds(t, name))),
            Stmt::AnnAssign(a) => Some(target_binds(&a.target, name)),
            Stmt::Import(i) => Some(i.names.iter().any(|alias| {
                let bound = alias
                    .asname
                    .as_ref()
                    .map(|a| a.as_str())
                    .unwrap_or_else(|| alias.name.split('.').next().unwrap_or_default());
                bound == name
            })),
            Stmt::ImportFrom(i) => {
                if i.names.iter().any(|alias| alias.name.as_str() == "*") {
                    unknown = true;
                }
                Some(
                    i.names
                        .iter()
                        .any(|alias| alias.asname.as_ref().unwrap_or(&alias.name).as_str() == name),
                )
            }
            Stmt::If(s) => python_body_binds(&s.body, name).map(|found| {
                found
                    || s.elif_else_clauses
                        .iter()
                        .any(|c| python_body_binds(&c.body, name) == Some(true))
            }),
            Stmt::Try(s) => Some(
                [&s.body, &s.orelse, &s.finalbody]
                    .iter()
                    .any(|b| python_body_binds(b, name) == Some(true))
                    || s.handlers.iter().any(|h| {
                        let ruff_python_ast::ExceptHandler::ExceptHandler(h) = h;
                        python_body_binds(&h.body, name) == Some(true)
                    }),
            ),
            Stmt::With(s) => python_body_binds(&s.body, name),
            Stmt::For(s) => python_body_binds(&s.body, name),
            Stmt::While(s) => python_body_binds(&s.body, name),
            _ => Some(false),
        };
        match found {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    (!unknown).then_some(false)
}

fn target_binds(target: &Expr, name: &str) -> bool {
    match target {
        Expr::Name(n) => n.id.as_str() == name,
        Expr::Tuple(t) => t.elts.iter().any(|e| target_binds(e, name)),
        Expr::List(l) => l.elts.iter().any(|e| target_binds(e, name)),
        Expr::Starred(s) => target_binds(&s.value, name),
        _ => false,
    }
}

fn js_defines(path: &str, text: &str, name: &str) -> Option<bool> {
    match module_exports(path, text) {
        JsModule::Broken => return None,
        JsModule::Esm(exports) => return exports.has(name),
        JsModule::Script => {}
    }
    // CommonJS exports are assignments anywhere (`exports.handler =`,
    // `module.exports = { handler }`, a bundler's `__export(…)`); sure only
    // when the name appears nowhere and nothing is brought in from elsewhere
    // (`module.exports = require('./app')`)
    if mentions(text, name) || text.contains("require(") || text.contains("import(") {
        None
    } else {
        Some(false)
    }
}

/// What a JavaScript file's text is, for what it exports.
pub(crate) enum JsModule {
    /// It does not parse.
    Broken,
    /// No `import` or `export` declaration: CommonJS or a plain script.
    Script,
    Esm(EsmExports),
}

/// The names an ES module exports, as far as its text tells.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EsmExports {
    names: std::collections::HashSet<String>,
    /// More may come from elsewhere: `export * from './impl'`, or a
    /// destructuring `export const { a } = make()`.
    open: bool,
}

impl EsmExports {
    /// `Some(true)` when the module exports `name`, `Some(false)` when it
    /// surely does not.
    pub(crate) fn has(&self, name: &str) -> Option<bool> {
        match (self.names.contains(name), self.open) {
            (true, _) => Some(true),
            (false, true) => None,
            (false, false) => Some(false),
        }
    }
}

pub(crate) fn module_exports(path: &str, text: &str) -> JsModule {
    let source_type = SourceType::from_path(Path::new(path)).unwrap_or_default();
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, text, source_type)
        .with_options(super::js::parse_options())
        .parse();
    if parsed.panicked || parsed.diagnostics.has_errors() {
        return JsModule::Broken;
    }
    match esm_exports(&parsed.program) {
        Some(exports) => JsModule::Esm(exports),
        None => JsModule::Script,
    }
}

/// What a parsed program exports, when it is an ES module (it has an
/// `import` or `export` declaration).
pub(crate) fn esm_exports(program: &Program) -> Option<EsmExports> {
    let mut esm = false;
    let mut exports = EsmExports::default();
    let specified = |specifiers: &[ExportSpecifier], exports: &mut EsmExports| {
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

/// Whether `name` appears in `text` as a word of its own (not inside
/// `handlerV2`).
pub(crate) fn mentions(text: &str, name: &str) -> bool {
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
}
