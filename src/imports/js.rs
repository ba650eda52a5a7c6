//! JavaScript and TypeScript imports through oxc: ESM `import`, `export …
//! from`, dynamic `import()`, `require()`, TS `import x = require()`.
//! Type-only imports are skipped: they vanish at compile time. Beside the
//! imports, what the file says about its module format: its first
//! `import`/`export` declaration, the first CommonJS name init evaluates,
//! and how it imports JSON.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, BinaryOperator, BindingPattern, CallExpression, ExportAllDeclaration,
    ExportFromDeclaration, Expression, ImportDeclaration, ImportDeclarationSpecifier,
    ImportExpression, LogicalOperator, ModuleExportName, Program, PropertyKey, Statement,
    StaticMemberExpression, TSImportEqualsDeclaration, TSModuleReference, UnaryOperator,
    VariableDeclarator, WithClauseKeyword,
};
use oxc_ast_visit::{walk, Visit};
use oxc_parser::{ParseOptions, Parser};
use oxc_span::{GetSpan, SourceType, Span};
use oxc_syntax::scope::ScopeFlags;

use super::environment::{EnvAssignment, EnvTest};
use super::exports::ModuleExports;
use super::{Import, ImportKind, JsonAttribute, LineIndex, Member, ModuleSyntax, TryScopes};

/// Scans a file and hands the program it parsed to `also`, so that another
/// reading of the same file (the handler module's clients) needs no parse
/// of its own: a bundled function's one file can be megabytes.
pub(super) fn scan_and<R>(
    path: &str,
    text: &str,
    also: impl FnOnce(&Program, LineIndex) -> R,
) -> Result<(Scanned, R), String> {
    let source_type = SourceType::from_path(Path::new(path)).unwrap_or_default();
    with_arena(|allocator| match scan_as(allocator, text, source_type) {
        Ok((scanned, program, lines)) => Ok((scanned, also(&program, lines))),
        // a .js file may be a script that strict module code rejects
        Err(first) if !source_type.is_typescript() => {
            let allocator = Allocator::default();
            let (scanned, program, lines) =
                scan_as(&allocator, text, source_type.with_module(false)).map_err(|_| first)?;
            Ok((scanned, also(&program, lines)))
        }
        Err(e) => Err(e),
    })
}

thread_local! {
    // each thread's parses share one arena, emptied between files: a new
    // one per file faulted in fresh pages for every file it parsed
    static ARENA: std::cell::RefCell<Allocator> = std::cell::RefCell::new(Allocator::default());
}

/// Runs `parse` with this thread's arena, emptied first; a parse within a
/// parse on the same thread gets an arena of its own.
fn with_arena<R>(parse: impl FnOnce(&Allocator) -> R) -> R {
    ARENA.with(|arena| match arena.try_borrow_mut() {
        Ok(mut allocator) => {
            allocator.reset();
            parse(&allocator)
        }
        Err(_) => parse(&Allocator::default()),
    })
}

/// How deadweight parses JavaScript: imports are all it reads, so
/// identifier hashes (for semantic analysis) are not computed; and a
/// CommonJS file may `return` at its top level, since Node wraps it in a
/// function.
pub(crate) fn parse_options() -> ParseOptions {
    ParseOptions {
        allow_return_outside_function: true,
        enable_ident_hashes: false,
        ..ParseOptions::default()
    }
}

/// A JavaScript file's imports, module syntax and, for an ES module, its
/// exports; and the tokens the parser read.
type Scanned = (Vec<Import>, ModuleSyntax, Option<ModuleExports>, u32);

fn scan_as<'a>(
    allocator: &'a Allocator,
    text: &'a str,
    source_type: SourceType,
) -> Result<(Scanned, Program<'a>, LineIndex), String> {
    // the tokens are the init-time model's measure of code: minified or
    // not, the same code is about the same tokens (not bytes)
    let parsed = Parser::new(allocator, text, source_type)
        .with_options(parse_options())
        .with_config(oxc_parser::config::TokensParserConfig)
        .parse();
    let tokens = u32::try_from(parsed.tokens.len()).unwrap_or(u32::MAX);
    if parsed.panicked || parsed.diagnostics.has_errors() {
        let lines = LineIndex::new(text);
        let first = parsed.diagnostics.errors().next();
        let message = first
            .map(|d| d.message.to_string())
            .unwrap_or_else(|| "unrecoverable syntax error".into());
        let at = first
            .and_then(|d| d.labels.first().map(|l| l.offset()))
            .map(|offset| {
                let (line, column) = lines.position(text, offset as usize);
                format!(" at line {line}, column {column}")
            })
            .unwrap_or_default();
        return Err(format!("{message}{at}"));
    }
    let mut scanner = Scanner {
        text,
        lines: LineIndex::new(text),
        function_depth: 0,
        conditional_depth: 0,
        env_tests: Vec::new(),
        names_env: memchr::memmem::find(text.as_bytes(), b"process.env").is_some(),
        sets_env: Vec::new(),
        env_values: HashMap::new(),
        function: None,
        function_name: None,
        exports_aliases: HashSet::new(),
        class_name: None,
        local_calls: HashMap::new(),
        function_calls: HashMap::new(),
        guarded_calls: HashMap::new(),
        closure_calls: HashMap::new(),
        made_getters: Vec::new(),
        calls_in_functions: Vec::new(),
        search_path_changed: false,
        tries: TryScopes::default(),
        imports: Vec::new(),
        bindings: HashMap::new(),
        module_objects: HashMap::new(),
        awaited_namespaces: HashMap::new(),
        destructured: HashMap::new(),
        handled: Vec::new(),
        by_span: HashMap::new(),
        immediate: HashSet::new(),
        top_level_names: top_level_names(&parsed.program),
        commonjs: None,
        module_mentions: 0,
        functions: 0,
        top_level_await: None,
        node_names: super::exports::NodeNames::default(),
        json_imports: Vec::new(),
    };
    scanner.visit_program(&parsed.program);
    for (getter, maker) in std::mem::take(&mut scanner.made_getters) {
        let calls = scanner
            .closure_calls
            .get(&maker)
            .cloned()
            .unwrap_or_default();
        scanner
            .function_calls
            .entry(getter)
            .or_default()
            .extend(calls);
    }
    let local_calls = &scanner.local_calls;
    let called = |f: &str| local_calls.get(f).copied();
    let (calls, guarded) = (&scanner.function_calls, &scanner.guarded_calls);
    let calls_in_functions = std::mem::take(&mut scanner.calls_in_functions);
    // a call made in a function only other modules call is not followed
    super::run_called_functions(
        &mut scanner.imports,
        calls_in_functions,
        (calls, guarded),
        called,
        false,
    );
    let esm = parsed
        .program
        .body
        .iter()
        .find(|stmt| stmt.is_module_declaration())
        .map(|stmt| scanner.lines.position(text, stmt.span().start as usize).0);
    let syntax = ModuleSyntax {
        esm,
        commonjs: scanner.commonjs,
        json_imports: scanner.json_imports,
        top_level_await: scanner.top_level_await,
        sets_env: scanner.sets_env,
    };
    let exports = super::exports::esm_exports(&parsed.program).or_else(|| {
        Some(super::exports::commonjs_exports(
            &parsed.program,
            scanner.module_mentions,
            scanner.node_names,
        ))
    });
    Ok((
        (scanner.imports, syntax, exports, tokens),
        parsed.program,
        scanner.lines,
    ))
}

/// A `catch` whose body ends by throwing (`throw new Error('run npm
/// rebuild')`) or exiting the process: the failure goes on, and the
/// module stops.
fn catch_throws(handler: &oxc_ast::ast::CatchClause) -> bool {
    match handler.body.body.last() {
        Some(Statement::ThrowStatement(_)) => true,
        Some(Statement::ExpressionStatement(statement)) => {
            let Expression::CallExpression(call) = &statement.expression else {
                return false;
            };
            let Expression::StaticMemberExpression(callee) = &call.callee else {
                return false;
            };
            callee.property.name == "exit"
                && matches!(&callee.object, Expression::Identifier(object) if object.name == "process")
        }
        _ => false,
    }
}

/// Names a module declares at its top level (a local `module` or
/// `require` is no use of CommonJS), and those of them bound to a Node
/// built-in module the branch tests know (`var Stream = require('stream')`).
struct TopLevel {
    names: HashSet<String>,
    builtins: HashMap<String, &'static str>,
}

impl TopLevel {
    fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

fn top_level_names(program: &oxc_ast::ast::Program) -> TopLevel {
    let mut names = HashSet::new();
    let mut builtins = HashMap::new();
    for stmt in &program.body {
        match stmt {
            Statement::VariableDeclaration(v) => {
                for declarator in &v.declarations {
                    if let BindingPattern::BindingIdentifier(id) = &declarator.id {
                        names.insert(id.name.to_string());
                        let required = match &declarator.init {
                            Some(Expression::CallExpression(call)) => required_module(call),
                            _ => None,
                        };
                        let module = required.map(|m| m.strip_prefix("node:").unwrap_or(m));
                        if let Some(&module) =
                            (PRESENT_IN_MODULES.iter()).find(|&&m| Some(m) == module)
                        {
                            builtins.insert(id.name.to_string(), module);
                        }
                    }
                }
            }
            Statement::FunctionDeclaration(f) => {
                if let Some(id) = &f.id {
                    names.insert(id.name.to_string());
                }
            }
            _ => {}
        }
    }
    TopLevel { names, builtins }
}

struct Scanner<'t> {
    text: &'t str,
    lines: LineIndex,
    function_depth: u32,
    /// Branches and loop bodies the position is in.
    conditional_depth: u32,
    /// The tests of environment variables that decide those branches.
    env_tests: Vec<EnvTest>,
    /// Whether the text names `process.env` anywhere.
    names_env: bool,
    /// Assignments to `process.env` at the top level.
    sets_env: Vec<EnvAssignment>,
    /// Top-level variables last given the value of an environment test
    /// (kafkajs' `const isTestMode = process.env.NODE_ENV === 'test'`):
    /// a branch on the name is a branch on the test.
    env_values: HashMap<String, EnvTest>,
    /// The module-level function being scanned, when the position is
    /// directly in one: `setup` (`function setup() {}`, `const setup =
    /// () => {}`), `exports.enableStreamingAPI` (`module.exports.… =
    /// function () {}`).
    function: Option<String>,
    /// The name the function expression about to be visited is given.
    function_name: Option<String>,
    /// The module-level class being visited: its constructor and instance
    /// fields run as a function of that name, at `new Name()`.
    class_name: Option<String>,
    /// Top-level names for the module's exports object: `iconv` in
    /// iconv-lite 0.6's `var iconv = module.exports;`.
    exports_aliases: HashSet<String>,
    /// The module's functions module-scope code calls, and whether surely
    /// (not only under a condition, or in a `try`).
    local_calls: HashMap<String, bool>,
    /// Per module-level function, the names of the module's functions its
    /// body calls.
    function_calls: super::FunctionCalls,
    /// Those calls made under a condition or in a `try`.
    guarded_calls: super::FunctionCalls,
    /// Per module-level function, those the functions it makes call
    /// (body-parser's `createParserGetter` returns a getter that calls
    /// `loadParser`).
    closure_calls: HashMap<String, HashSet<String>>,
    /// Calls of what an import names made in a module-level function
    /// (firebase-admin's constructor calling `(0, index_1.getSdkVersion)()`):
    /// the function, the import, the call. They join the import's `calls`
    /// when module-scope code surely calls the function.
    calls_in_functions: Vec<super::CallInFunction>,
    /// Getters the module defines on its exports by calling a function of
    /// its own that makes them: the getter's name, and that function.
    made_getters: Vec<(String, String)>,
    /// Whether the code changed where require looks (`module.paths.push`,
    /// `process.env.NODE_PATH =` with `Module._initPaths()`): a package
    /// required after that may come from there.
    search_path_changed: bool,
    tries: TryScopes,
    imports: Vec<Import>,
    /// Local names bound to a whole module (`AWS` in `const AWS = require('aws-sdk')`).
    bindings: HashMap<String, usize>,
    /// Those that are the module object itself, whose members are its
    /// exports: `const m = require('m')`, `import * as m from 'm'` (not a
    /// default import, nor a module passed through a wrapper).
    module_objects: HashMap<String, usize>,
    /// Namespaces awaited from `import()` (`const m = await import('m')`):
    /// only calling them is judged; a member one lacks fails where it is
    /// used, not as an import that does not link.
    awaited_namespaces: HashMap<String, usize>,
    /// Names destructured from a required module: local name → (import,
    /// exported name), `A` in `const { A } = require('m')`.
    destructured: HashMap<String, (usize, String)>,
    /// `require()` calls already recorded through their declarator.
    handled: Vec<Span>,
    /// Import index by the start offset of the `require()` call recorded.
    by_span: HashMap<u32, usize>,
    /// Start offsets of functions called where they are defined.
    immediate: HashSet<u32>,
    top_level_names: TopLevel,
    /// The first CommonJS name init surely evaluates, and its line.
    commonjs: Option<(u32, String)>,
    /// How many times the file names `module` or `exports`, anywhere.
    module_mentions: usize,
    /// Functions the position is in, those called where they stand too.
    functions: u32,
    top_level_await: Option<u32>,
    /// What Node's static analysis of the file would find, were it CommonJS.
    node_names: super::exports::NodeNames,
    json_imports: Vec<(u32, String, JsonAttribute)>,
}

impl Scanner<'_> {
    fn record(&mut self, module: &str, kind: ImportKind, span: Span) -> usize {
        let (line, column) = self.lines.position(self.text, span.start as usize);
        self.imports.push(Import {
            line,
            column,
            lazy: self.function_depth > 0,
            guarded_by: self.tries.guarded_by(),
            fallback_for: self.tries.fallback_for(self.function_depth),
            // ES module imports are linked before any code runs
            conditional: self.conditional_depth > 0
                || (self.search_path_changed
                    && matches!(kind, ImportKind::Require | ImportKind::Dynamic)),
            stops_module: self.tries.stops_module(self.function_depth),
            when: self.env_tests.clone(),
            functions: match (self.function_depth, &self.function) {
                (1, Some(function)) => vec![function.clone()],
                _ => Vec::new(),
            },
            ..Import::plain(module.to_string(), kind)
        });
        self.by_span.insert(span.start, self.imports.len() - 1);
        self.imports.len() - 1
    }

    /// Enters a function's body (`depth` 0: one called where it stands),
    /// a module-level function by its name (its own, or the one it is
    /// assigned to); returns the function the position was in.
    fn enter_function(&mut self, depth: u32, own_name: Option<&str>) -> Option<Option<String>> {
        let given = self.function_name.take();
        let module_level = depth == 1 && self.function_depth == 0;
        self.function_depth += depth;
        // `module.exports.x = function x () {}` is called as `exports.x`
        let name = || given.or_else(|| own_name.map(str::to_string));
        module_level.then(|| std::mem::replace(&mut self.function, name()))
    }

    fn leave_function(&mut self, depth: u32, outer: Option<Option<String>>) {
        self.function_depth -= depth;
        if let Some(outer) = outer {
            self.function = outer;
        }
    }

    /// A call of a function of the module, by the name module-level
    /// functions have: at module scope it runs that function's imports at
    /// init; in a module-level function, they run when that one does.
    fn record_local_call(&mut self, callee: &Expression) {
        // most calls are deeper in functions: no name to make for those
        if self.function_depth > 2 || (self.function_depth > 0 && self.function.is_none()) {
            return;
        }
        let Some(name) = function_name(callee, &self.exports_aliases) else {
            return;
        };
        match (self.function_depth, &self.function) {
            (0, _) => {
                let surely = self.conditional_depth == 0 && self.tries.guarded_by().is_none();
                *self.local_calls.entry(name.into_owned()).or_default() |= surely;
            }
            (depth, Some(caller)) => {
                if depth == 1 && (self.conditional_depth > 0 || self.tries.guarded_by().is_some()) {
                    (self.guarded_calls.entry(caller.clone()).or_default())
                        .insert(name.to_string());
                }
                let calls = match depth {
                    1 => &mut self.function_calls,
                    _ => &mut self.closure_calls,
                };
                // a function's calls are many, and mostly the same few names
                match calls.get_mut(caller) {
                    Some(callees) if callees.contains(name.as_ref()) => {}
                    Some(callees) => {
                        callees.insert(name.into_owned());
                    }
                    None => {
                        calls.insert(caller.clone(), HashSet::from([name.into_owned()]));
                    }
                }
            }
            _ => {}
        }
    }

    /// A call at init of what another module exports (`require('./common')(exports)`,
    /// `lib.init()` or `init()` after `const { init } = require('./lib')`):
    /// the function's imports in that module run then, which the import
    /// records among its `calls` by the name the function has there
    /// ([`MODULE_EXPORTS`], `exports.init`).
    fn calls_module(&mut self, callee: &Expression, span: Span) {
        if !self.surely_at_init() && self.surely_in_function().is_none() {
            return;
        }
        let module_object = |s: &Self, e: &Expression| -> Option<usize> {
            match e.without_parentheses() {
                Expression::Identifier(id) => s.module_objects.get(id.name.as_str()).copied(),
                Expression::CallExpression(call) => s.by_span.get(&call.span.start).copied(),
                _ => None,
            }
        };
        // TypeScript's CommonJS calls an import as `(0, lib_1.init)()`
        let callee = match callee.without_parentheses() {
            Expression::SequenceExpression(sequence) => match sequence.expressions.last() {
                Some(last) => last,
                None => return,
            },
            callee => callee,
        };
        let called = match callee.without_parentheses() {
            Expression::Identifier(id) => match self.destructured.get(id.name.as_str()) {
                Some((index, name)) => Some((*index, format!("exports.{name}"))),
                None => module_object(self, callee).map(|index| (index, MODULE_EXPORTS.into())),
            },
            Expression::CallExpression(_) => {
                module_object(self, callee).map(|index| (index, MODULE_EXPORTS.into()))
            }
            Expression::StaticMemberExpression(member) => module_object(self, &member.object)
                .map(|index| (index, format!("exports.{}", member.property.name))),
            _ => None,
        };
        if let Some((index, name)) = called {
            self.call_into(index, name, span);
        }
    }

    /// A call of what import `index` names (`name`, as in [`Import::calls`])
    /// here: at init, or when the module-level function the position is
    /// in runs, which the scan knows once it has read the whole module.
    fn call_into(&mut self, index: usize, name: String, span: Span) {
        let (line, _) = self.lines.position(self.text, span.start as usize);
        let member = Member { name, line };
        if self.surely_at_init() {
            super::push_call(&mut self.imports[index].calls, member);
        } else if let Some(function) = self.surely_in_function() {
            let function = function.to_string();
            self.calls_in_functions
                .push((function, index, member, false));
        }
    }

    /// The module-level function the position is directly in, when the
    /// code here runs whenever it does (no branch, no `try` around it).
    fn surely_in_function(&self) -> Option<&str> {
        let unconditional = self.conditional_depth == 0 && self.tries.guarded_by().is_none();
        match (&self.function, self.function_depth) {
            (Some(function), 1) if unconditional => Some(function),
            _ => None,
        }
    }

    /// Visits what may not run: a branch, a loop body.
    fn conditional(&mut self, visit: impl FnOnce(&mut Self)) {
        self.conditional_depth += 1;
        visit(self);
        self.conditional_depth -= 1;
    }

    /// What a branch's test says of the environment; nothing in a file
    /// that never names `process.env`, which most do not.
    fn env_test(&self, test: &Expression) -> Option<EnvTest> {
        self.names_env
            .then(|| env_test(test, &self.top_level_names, &self.env_values))
            .flatten()
    }

    /// A top-level variable given a value here: that of an environment
    /// test (`forceNative = !!process.env.NODE_PG_FORCE_NATIVE`, pg), or
    /// any other, which ends what the name stood for. In a branch, either
    /// may not happen: the name stands for nothing known.
    fn assigned(&mut self, name: &str, value: Option<&Expression>) {
        if self.function_depth > 0 || !self.names_env {
            return;
        }
        let test = value
            .filter(|_| self.conditional_depth == 0)
            .and_then(|value| self.env_test(value));
        match test {
            Some(test) => {
                self.env_values.insert(name.to_string(), test);
            }
            None => {
                self.env_values.remove(name);
            }
        }
    }

    /// `Object.defineProperty(exports, 'json', { get: … })` at the top
    /// level: reading `json` on the module runs the getter, by the name
    /// `get exports.json`. The getter is a function written there, a
    /// function of the module, or what one of its functions makes
    /// (body-parser's `createParserGetter('json')`).
    fn defines_getter(&mut self, call: &CallExpression) {
        let Expression::StaticMemberExpression(callee) = &call.callee else {
            return;
        };
        let [target, Argument::StringLiteral(name), Argument::ObjectExpression(descriptor)] =
            &call.arguments[..]
        else {
            return;
        };
        let on_exports = target.as_expression().is_some_and(|target| {
            target.is_specific_id("exports")
                || target.is_specific_member_access("module", "exports")
        });
        if !callee.object.is_specific_id("Object")
            || callee.property.name != "defineProperty"
            || !on_exports
        {
            return;
        }
        let values: Vec<(Option<std::borrow::Cow<str>>, &Expression)> = (descriptor.properties)
            .iter()
            .filter_map(|property| match property {
                oxc_ast::ast::ObjectPropertyKind::ObjectProperty(p) => {
                    Some((p.key.static_name(), &p.value))
                }
                oxc_ast::ast::ObjectPropertyKind::SpreadProperty(_) => None,
            })
            .collect();
        let Some(at) = values
            .iter()
            .position(|(key, _)| key.as_deref() == Some("get"))
        else {
            return;
        };
        let getter = values[at].1.without_parentheses();
        let name = format!("get exports.{}", name.value);
        // the function written first in the descriptor is the next one the
        // scan enters: named so when it is the getter
        let written_before = values[..at].iter().any(|(_, value)| is_function(value));
        match getter {
            g if is_function(g) && !written_before => self.function_name = Some(name),
            g if is_function(g) => {}
            Expression::Identifier(function) => {
                (self.function_calls.entry(name).or_default()).insert(function.name.to_string());
            }
            Expression::CallExpression(made) => {
                if let Expression::Identifier(maker) = &made.callee {
                    self.made_getters.push((name, maker.name.to_string()));
                }
            }
            _ => {}
        }
    }

    /// Visits a branch that runs when `test` holds, when it tests the
    /// environment.
    fn branch(&mut self, test: Option<EnvTest>, visit: impl FnOnce(&mut Self)) {
        let Some(test) = test else {
            return visit(self);
        };
        self.env_tests.push(test);
        visit(self);
        self.env_tests.pop();
    }

    fn member(&mut self, import: usize, name: &str, span: Span) {
        let (line, _) = self.lines.position(self.text, span.start as usize);
        self.imports[import].members.push(Member {
            name: name.to_string(),
            line,
        });
    }

    /// `process.env.NAME = …` at the top level: a literal, one given unless
    /// the variable is set (`process.env.NAME || 'value'`, `??=`, `||=`), or
    /// a value not known (which is what an assignment that may not run
    /// leaves too).
    fn env_assignment(&self, it: &oxc_ast::ast::AssignmentExpression) -> Option<EnvAssignment> {
        use oxc_ast::ast::AssignmentOperator;
        if self.function_depth > 0 {
            return None;
        }
        let variable = (it.left.as_member_expression())
            .and_then(|member| env_variable(member, &self.top_level_names))?;
        let unknown = EnvAssignment {
            variable: variable.to_string(),
            value: None,
            unless_set: false,
        };
        // `??=` and `||=` assign only what is not set
        let defaults = matches!(
            it.operator,
            AssignmentOperator::LogicalOr | AssignmentOperator::LogicalNullish
        );
        if !(it.operator == AssignmentOperator::Assign || defaults)
            || self.conditional_depth > 0
            || self.tries.guarded_by().is_some()
        {
            return Some(unknown);
        }
        let (value, unless_set) = match it.right.without_parentheses() {
            Expression::StringLiteral(value) => (value.value.as_str(), defaults),
            _ if defaults => return Some(unknown),
            Expression::LogicalExpression(logical)
                if logical.operator == LogicalOperator::Or
                    && env_variable_in(&logical.left, &self.top_level_names) == Some(variable) =>
            {
                match logical.right.without_parentheses() {
                    Expression::StringLiteral(value) => (value.value.as_str(), true),
                    _ => return Some(unknown),
                }
            }
            _ => return Some(unknown),
        };
        Some(EnvAssignment {
            value: Some(value.to_string()),
            unless_set,
            ..unknown
        })
    }

    /// Whether the code here runs at init whatever happens: at module
    /// scope (or in a function called where it stands), under no condition,
    /// outside a `try` that would catch its failure.
    fn surely_at_init(&self) -> bool {
        self.function_depth == 0 && self.conditional_depth == 0 && self.tries.guarded_by().is_none()
    }

    /// A name used where it must exist when init runs that code: called
    /// (`m.make()`, TypeScript's `(0, m.make)()`), constructed, extended
    /// (`class X extends m.Base`) or read from (`m.config.x`). A module
    /// without it leaves it undefined there, a TypeError at every cold
    /// start; the name goes with the import's linked ones.
    fn needs(&mut self, expression: &Expression) {
        if !self.surely_at_init() {
            return;
        }
        let (index, name, span) = match expression.without_parentheses() {
            Expression::StaticMemberExpression(member) if !member.optional => {
                let Expression::Identifier(object) = member.object.without_parentheses() else {
                    return;
                };
                let Some(&index) = self.module_objects.get(object.name.as_str()) else {
                    return;
                };
                (index, member.property.name.to_string(), member.span)
            }
            Expression::Identifier(id) => match self.destructured.get(id.name.as_str()) {
                Some((index, name)) => (*index, name.clone(), id.span),
                None => return,
            },
            _ => return,
        };
        if self.imports[index].linked.iter().any(|m| m.name == name) {
            return;
        }
        let (line, _) = self.lines.position(self.text, span.start as usize);
        self.imports[index].linked.push(Member { name, line });
    }

    /// `m(…)`, `new m()`, `class X extends m`, with `m` what a `require`
    /// returned or a namespace (`import * as m`, `const m = await
    /// import()`), at init: the import's `invoked`.
    fn invokes(&mut self, callee: &Expression) {
        if !self.surely_at_init() {
            return;
        }
        let Expression::Identifier(id) = callee.without_parentheses() else {
            return;
        };
        let name = id.name.as_str();
        let object = self.module_objects.get(name);
        let Some(&index) = object.or_else(|| self.awaited_namespaces.get(name)) else {
            return;
        };
        if self.imports[index].invoked.is_none() {
            let (line, _) = self.lines.position(self.text, id.span.start as usize);
            self.imports[index].invoked = Some(Member {
                name: id.name.to_string(),
                line,
            });
        }
    }

    /// An `await` (or `for await`) here, outside any function.
    fn top_level_await(&mut self, span: Span) {
        if self.functions == 0 && self.top_level_await.is_none() {
            let (line, _) = self.lines.position(self.text, span.start as usize);
            self.top_level_await = Some(line);
        }
    }

    /// A name an ES module import or re-export takes from its module.
    fn linked(&mut self, import: usize, name: &str, span: Span) {
        self.member(import, name, span);
        let member = self.imports[import].members.last().cloned();
        self.imports[import].linked.extend(member);
    }
}

/// What a test is whenever the code runs on Lambda's Node, or `None` when
/// it depends on more: comparisons of what Node always has there
/// (`process.platform` is "linux", `typeof process` "object", `typeof
/// window` "undefined", `process.browser` undefined: debug's and other
/// packages' browser checks) with literals, `process.platform.startsWith(…)`,
/// and `!`, `&&`, `||` of them; unless the module declares the name
/// (`declared`: its top-level names).
fn on_lambda(test: &Expression, declared: &TopLevel) -> Option<bool> {
    let on_lambda = |test| on_lambda(test, declared);
    let known_on_lambda = |expression| known_on_lambda(expression, declared);
    match test.without_parentheses() {
        Expression::UnaryExpression(unary) if unary.operator == UnaryOperator::LogicalNot => {
            on_lambda(&unary.argument).map(|known| !known)
        }
        Expression::LogicalExpression(logical) => {
            // `&&` is decided by a false operand, `||` by a true one
            let decides = match logical.operator {
                LogicalOperator::And => false,
                LogicalOperator::Or => true,
                LogicalOperator::Coalesce => return None,
            };
            match (on_lambda(&logical.left), on_lambda(&logical.right)) {
                (Some(a), _) if a == decides => Some(decides),
                (_, Some(b)) if b == decides => Some(decides),
                (Some(_), Some(_)) => Some(!decides),
                _ => None,
            }
        }
        Expression::BinaryExpression(binary) => {
            let (known, other) = match known_on_lambda(&binary.left) {
                Some(known) => (known, &binary.right),
                None => (known_on_lambda(&binary.right)?, &binary.left),
            };
            let other = Known::literal(other)?;
            let strict = known == other;
            // `undefined == null`
            let loose = strict || matches!((known, other), (Known::Undefined, Known::Null));
            match binary.operator {
                BinaryOperator::StrictEquality => Some(strict),
                BinaryOperator::StrictInequality => Some(!strict),
                BinaryOperator::Equality => Some(loose),
                BinaryOperator::Inequality => Some(!loose),
                _ => None,
            }
        }
        Expression::CallExpression(call) => match (&call.callee, &call.arguments[..]) {
            (Expression::StaticMemberExpression(method), [Argument::StringLiteral(prefix)])
                if method.property.name == "startsWith" =>
            {
                match known_on_lambda(&method.object)? {
                    Known::String(value) => Some(value.starts_with(prefix.value.as_str())),
                    _ => None,
                }
            }
            _ => None,
        },
        // `if (process.browser)`
        expression => match known_on_lambda(expression)? {
            Known::String(value) => Some(!value.is_empty()),
            Known::Undefined | Known::Null => Some(false),
            Known::Boolean(value) => Some(value),
            Known::Present => Some(true),
        },
    }
}

/// What a branch's test says of the environment, when it reads a variable
/// of it (`process.env.NODE_ENV`, `process.env['DEBUG']`).
fn env_test(
    test: &Expression,
    declared: &TopLevel,
    values: &HashMap<String, EnvTest>,
) -> Option<EnvTest> {
    let mut parts_left = ENV_TEST_PARTS;
    let test = env_test_part(test, declared, values, &mut parts_left);
    test.reads_variables().then_some(test)
}

/// How many parts of a test are read: a branch's test is a few, and what
/// lies beyond (a minified `a===1||a===2||…` of thousands, whose every
/// `||` is visited in turn) stays undecided, which follows both branches.
const ENV_TEST_PARTS: u32 = 64;

fn env_test_part(
    test: &Expression,
    declared: &TopLevel,
    values: &HashMap<String, EnvTest>,
    parts_left: &mut u32,
) -> EnvTest {
    if *parts_left == 0 {
        return EnvTest::Unknown;
    }
    *parts_left -= 1;
    let mut part = |test| env_test_part(test, declared, values, parts_left);
    // the operators are taken apart here; what Lambda answers is asked of
    // the parts (once each: a long `||` chain stays linear)
    let operator = match test.without_parentheses() {
        Expression::LogicalExpression(_) => true,
        Expression::UnaryExpression(unary) => unary.operator == UnaryOperator::LogicalNot,
        _ => false,
    };
    if !operator {
        if let Some(known) = on_lambda(test, declared) {
            return EnvTest::Known(known);
        }
    }
    match test.without_parentheses() {
        Expression::UnaryExpression(unary) if unary.operator == UnaryOperator::LogicalNot => {
            negated(part(&unary.argument))
        }
        Expression::LogicalExpression(logical) => match logical.operator {
            LogicalOperator::And => EnvTest::All(vec![part(&logical.left), part(&logical.right)]),
            LogicalOperator::Or => EnvTest::Any(vec![part(&logical.left), part(&logical.right)]),
            LogicalOperator::Coalesce => EnvTest::Unknown,
        },
        Expression::BinaryExpression(binary) => {
            let (variable, other) = match env_variable_in(&binary.left, declared) {
                Some(variable) => (variable, &binary.right),
                None => match env_variable_in(&binary.right, declared) {
                    Some(variable) => (variable, &binary.left),
                    None => return EnvTest::Unknown,
                },
            };
            // a variable is a string, or undefined: `==` is `===` here
            let Expression::StringLiteral(value) = other.without_parentheses() else {
                return EnvTest::Unknown;
            };
            let is = EnvTest::Is(variable.to_string(), Some(value.value.to_string()));
            match binary.operator {
                BinaryOperator::StrictEquality | BinaryOperator::Equality => is,
                BinaryOperator::StrictInequality | BinaryOperator::Inequality => negated(is),
                _ => EnvTest::Unknown,
            }
        }
        Expression::Identifier(id) => match values.get(id.name.as_str()) {
            Some(test) => test.clone(),
            None => EnvTest::Unknown,
        },
        expression => match env_variable_in(expression, declared) {
            Some(variable) => EnvTest::Is(variable.to_string(), None),
            None => EnvTest::Unknown,
        },
    }
}

fn negated(test: EnvTest) -> EnvTest {
    match test {
        EnvTest::Not(test) => *test,
        test => EnvTest::Not(Box::new(test)),
    }
}

/// `NAME` of `process.env.NAME` or `process.env['NAME']`, with `process`
/// Node's own.
fn env_variable<'a>(
    member: &'a oxc_ast::ast::MemberExpression,
    declared: &TopLevel,
) -> Option<&'a str> {
    let name = match member {
        oxc_ast::ast::MemberExpression::StaticMemberExpression(member) => {
            Some(member.property.name.as_str())
        }
        oxc_ast::ast::MemberExpression::ComputedMemberExpression(member) => {
            match &member.expression {
                Expression::StringLiteral(name) => Some(name.value.as_str()),
                _ => None,
            }
        }
        oxc_ast::ast::MemberExpression::PrivateFieldExpression(_) => None,
    };
    let on_env = member.object().is_specific_member_access("process", "env");
    name.filter(|_| on_env && !declared.contains("process"))
}

/// [`env_variable`] of an expression that is a member access.
fn env_variable_in<'a>(expression: &'a Expression, declared: &TopLevel) -> Option<&'a str> {
    env_variable(
        expression.without_parentheses().as_member_expression()?,
        declared,
    )
}

/// The name of what `module.exports = …` sets, as a function the module's
/// importers call.
const MODULE_EXPORTS: &str = "module.exports";

/// A function or arrow function expression.
fn is_function(expression: &Expression) -> bool {
    matches!(
        expression.without_parentheses(),
        Expression::FunctionExpression(_) | Expression::ArrowFunctionExpression(_)
    )
}

/// The name a call of a module's own function is made by: `setup` for
/// `setup()`, `exports.x` for `exports.x()` and `module.exports.x()`.
fn function_name<'a>(
    callee: &'a Expression,
    aliases: &HashSet<String>,
) -> Option<std::borrow::Cow<'a, str>> {
    match callee.without_parentheses() {
        Expression::Identifier(id) => Some(id.name.as_str().into()),
        expression => {
            function_name_of_member(expression.as_member_expression()?, aliases).map(Into::into)
        }
    }
}

/// `exports.x` for `exports.x`, `module.exports.x` and `alias.x` after
/// `var alias = module.exports` (`aliases`).
fn function_name_of_member(
    member: &oxc_ast::ast::MemberExpression,
    aliases: &HashSet<String>,
) -> Option<String> {
    let oxc_ast::ast::MemberExpression::StaticMemberExpression(member) = member else {
        return None;
    };
    let on_alias = |object: &Expression| matches!(object, Expression::Identifier(id) if aliases.contains(id.name.as_str()));
    let on_exports = is_exports(&member.object) || on_alias(&member.object);
    on_exports.then(|| format!("exports.{}", member.property.name))
}

/// `exports` or `module.exports`.
fn is_exports(expression: &Expression) -> bool {
    expression.is_specific_id("exports")
        || expression.is_specific_member_access("module", "exports")
}

/// A value known before the code runs, or a literal.
#[derive(Clone, Copy, PartialEq)]
enum Known<'a> {
    String(&'a str),
    Boolean(bool),
    Undefined,
    Null,
    /// An object or function every Node Lambda runs has.
    Present,
}

impl<'a> Known<'a> {
    fn literal(expression: &'a Expression) -> Option<Known<'a>> {
        match expression.without_parentheses() {
            Expression::StringLiteral(literal) => Some(Known::String(literal.value.as_str())),
            Expression::BooleanLiteral(literal) => Some(Known::Boolean(literal.value)),
            Expression::NullLiteral(_) => Some(Known::Null),
            Expression::Identifier(id) if id.name == "undefined" => Some(Known::Undefined),
            _ => None,
        }
    }
}

/// What an expression is on Lambda's Node, whatever the package does
/// (unless it declares the name at its top level).
fn known_on_lambda<'a>(expression: &'a Expression, declared: &TopLevel) -> Option<Known<'a>> {
    let global = |name: &str| !declared.contains(name);
    match expression.without_parentheses() {
        _ if expression.is_specific_member_access("process", "platform") && global("process") => {
            Some(Known::String("linux"))
        }
        // Electron's, NW.js's and browserify's markers
        Expression::StaticMemberExpression(member)
            if member.object.is_specific_id("process")
                && global("process")
                && matches!(member.property.name.as_str(), "browser" | "type" | "__nwjs") =>
        {
            Some(Known::Undefined)
        }
        Expression::UnaryExpression(unary) if unary.operator == UnaryOperator::Typeof => {
            match &unary.argument {
                Expression::Identifier(id) if global(&id.name) => {
                    typeof_global(&id.name).map(Known::String)
                }
                _ => None,
            }
        }
        // `Stream.Writable.prototype.destroy` after `var Stream =
        // require('stream')`, `Object.keys`
        Expression::StaticMemberExpression(member) => {
            // the object first, with nothing allocated: most tests read a
            // property of something else
            let mut object = &member.object;
            let base = loop {
                match object.without_parentheses() {
                    Expression::StaticMemberExpression(inner) => object = &inner.object,
                    Expression::Identifier(id) => match declared.builtins.get(id.name.as_str()) {
                        Some(module) => break *module,
                        None if global(&id.name) && PRESENT_GLOBALS.contains(&id.name.as_str()) => {
                            break id.name.as_str()
                        }
                        None => return None,
                    },
                    _ => return None,
                }
            };
            let mut path = vec![member.property.name.as_str()];
            let mut object = &member.object;
            while let Expression::StaticMemberExpression(inner) = object.without_parentheses() {
                path.push(inner.property.name.as_str());
                object = &inner.object;
            }
            path.push(base);
            path.reverse();
            PRESENT_ON_LAMBDA
                .contains(&path.join(".").as_str())
                .then_some(Known::Present)
        }
        _ => None,
    }
}

/// What packages test for before they fall back to a polyfill, present on
/// every Node Lambda runs (18 and later): unzipper requires
/// readable-stream `if (!Stream.Writable || !Stream.Writable.prototype.destroy)`.
/// Globals by their name, a built-in module's by its name
/// ([`PRESENT_IN_MODULES`]).
const PRESENT_ON_LAMBDA: &[&str] = &[
    "Object.keys",
    "Object.assign",
    "Object.entries",
    "Object.values",
    "Object.getOwnPropertySymbols",
    "Object.setPrototypeOf",
    "Array.isArray",
    "Array.from",
    "Array.prototype.includes",
    "String.prototype.padStart",
    "Promise.prototype.finally",
    "Promise.allSettled",
    "Symbol.iterator",
    "Symbol.asyncIterator",
    "Buffer.from",
    "Buffer.alloc",
    "Buffer.allocUnsafe",
    "stream.Readable",
    "stream.Writable",
    "stream.Duplex",
    "stream.Transform",
    "stream.PassThrough",
    "stream.Readable.prototype.destroy",
    "stream.Writable.prototype.destroy",
    "stream.Readable.from",
    "stream.finished",
    "stream.pipeline",
    "util.promisify",
    "util.inherits",
    "util.TextEncoder",
    "util.TextDecoder",
    "fs.promises",
    "events.once",
    "buffer.Buffer",
];

/// The built-in modules [`PRESENT_ON_LAMBDA`] names.
const PRESENT_IN_MODULES: &[&str] = &["stream", "util", "fs", "events", "buffer"];

/// The globals it names.
const PRESENT_GLOBALS: &[&str] = &["Object", "Array", "String", "Promise", "Symbol", "Buffer"];

/// `typeof NAME` on every Node Lambda runs (18 and later), for the globals
/// packages test to pick a polyfill or a browser build: jszip requires
/// `lie` unless `typeof Promise !== "undefined"`; UMD wrappers ask
/// `typeof define === 'function'`. Names whose answer changed between
/// those Nodes (`navigator`, `fetch`, `crypto`, `WebSocket`) stay unknown,
/// and so do `module`, `exports` and `require`, which an ES module lacks.
fn typeof_global(name: &str) -> Option<&'static str> {
    match name {
        "process" | "global" | "globalThis" | "JSON" | "Math" | "Reflect" | "Intl"
        | "WebAssembly" | "console" => Some("object"),
        "Promise" | "Symbol" | "Map" | "Set" | "WeakMap" | "WeakSet" | "Proxy" | "BigInt"
        | "Buffer" | "ArrayBuffer" | "SharedArrayBuffer" | "DataView" | "Uint8Array"
        | "Uint16Array" | "Uint32Array" | "Int8Array" | "Int16Array" | "Int32Array"
        | "Float32Array" | "Float64Array" | "setImmediate" | "clearImmediate" | "setTimeout"
        | "clearTimeout" | "setInterval" | "clearInterval" | "queueMicrotask" | "TextEncoder"
        | "TextDecoder" | "URL" | "URLSearchParams" | "AbortController" | "EventTarget"
        | "Object" | "Array" | "Function" | "String" | "Number" | "Boolean" | "Date" | "RegExp"
        | "Error" => Some("function"),
        "window" | "document" | "define" | "importScripts" | "XMLHttpRequest" | "Deno" | "Bun" => {
            Some("undefined")
        }
        _ => None,
    }
}

/// `module.paths.push(…)` / `.unshift(…)` / `.splice(…)` (also on
/// `require.main.paths`), and `Module._initPaths()`, which rereads
/// NODE_PATH.
fn changes_search_path(callee: &Expression) -> bool {
    let Expression::StaticMemberExpression(method) = callee else {
        return false;
    };
    match method.property.name.as_str() {
        "_initPaths" => true,
        "push" | "unshift" | "splice" => matches!(
            method.object.without_parentheses(),
            Expression::StaticMemberExpression(paths) if paths.property.name == "paths"
        ),
        _ => false,
    }
}

/// `require('m')` with one literal argument.
fn required_module<'a>(call: &'a CallExpression<'a>) -> Option<&'a str> {
    match &call.callee {
        Expression::Identifier(id) if id.name == "require" && call.arguments.len() == 1 => {}
        _ => return None,
    }
    match call.arguments.first()? {
        Argument::StringLiteral(s) => Some(s.value.as_str()),
        Argument::TemplateLiteral(t) if t.expressions.is_empty() => {
            t.quasis.first().map(|q| q.value.raw.as_str())
        }
        _ => None,
    }
}

/// The name a call is made through: `captureAWS` in `AWSXRay.captureAWS(x)`.
fn callee_name<'a>(call: &'a CallExpression<'a>) -> Option<&'a str> {
    match &call.callee {
        Expression::Identifier(id) => Some(id.name.as_str()),
        Expression::StaticMemberExpression(m) => Some(m.property.name.as_str()),
        _ => None,
    }
}

fn export_name<'a>(name: &'a ModuleExportName<'a>) -> &'a str {
    match name {
        ModuleExportName::IdentifierName(n) => n.name.as_str(),
        ModuleExportName::IdentifierReference(n) => n.name.as_str(),
        ModuleExportName::StringLiteral(s) => s.value.as_str(),
    }
}

impl<'a> Visit<'a> for Scanner<'_> {
    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        if it.import_kind.is_type() {
            return;
        }
        let index = self.record(it.source.value.as_str(), ImportKind::Esm, it.span);
        if it.source.value.ends_with(".json") {
            let attribute = match it.with_clause.as_ref().map(|w| w.keyword) {
                None => JsonAttribute::Missing,
                Some(WithClauseKeyword::Assert) => JsonAttribute::Assert,
                Some(WithClauseKeyword::With) => JsonAttribute::With,
            };
            let (line, _) = self.lines.position(self.text, it.span.start as usize);
            self.json_imports
                .push((line, it.source.value.to_string(), attribute));
        }
        for specifier in it.specifiers.iter().flatten() {
            match specifier {
                ImportDeclarationSpecifier::ImportSpecifier(s) if !s.import_kind.is_type() => {
                    self.linked(index, export_name(&s.imported), s.span);
                }
                ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => {
                    self.bindings.insert(s.local.name.to_string(), index);
                    // an ES module without a default export fails to link
                    let (line, _) = self.lines.position(self.text, s.span.start as usize);
                    self.imports[index].linked.push(Member {
                        name: "default".to_string(),
                        line,
                    });
                }
                ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => {
                    self.bindings.insert(s.local.name.to_string(), index);
                    self.module_objects.insert(s.local.name.to_string(), index);
                }
                _ => {}
            }
        }
    }

    fn visit_export_from_declaration(&mut self, it: &ExportFromDeclaration<'a>) {
        if !it.export_kind.is_type() {
            let index = self.record(it.source.value.as_str(), ImportKind::ExportFrom, it.span);
            for s in it.specifiers.iter().filter(|s| !s.export_kind.is_type()) {
                self.linked(index, export_name(&s.local), s.span);
            }
        }
    }

    fn visit_export_all_declaration(&mut self, it: &ExportAllDeclaration<'a>) {
        if !it.export_kind.is_type() {
            self.record(it.source.value.as_str(), ImportKind::ExportFrom, it.span);
        }
    }

    fn visit_ts_import_equals_declaration(&mut self, it: &TSImportEqualsDeclaration<'a>) {
        if it.import_kind.is_type() {
            return;
        }
        if let TSModuleReference::ExternalModuleReference(reference) = &it.module_reference {
            let index = self.record(
                reference.expression.value.as_str(),
                ImportKind::TsImportEquals,
                it.span,
            );
            self.bindings.insert(it.id.name.to_string(), index);
        }
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let BindingPattern::BindingIdentifier(id) = &it.id {
            self.assigned(&id.name, it.init.as_ref());
        }
        if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&it.id, &it.init) {
            if is_function(init) && self.function_depth == 0 {
                self.function_name = Some(id.name.to_string());
            }
            if is_exports(init.without_parentheses()) && self.function_depth == 0 {
                self.exports_aliases.insert(id.name.to_string());
            }
        }
        if let Some(Expression::CallExpression(call)) = &it.init {
            if let Some(module) = required_module(call) {
                let index = self.record(module, ImportKind::Require, call.span);
                self.handled.push(call.span);
                match &it.id {
                    BindingPattern::BindingIdentifier(id) => {
                        self.bindings.insert(id.name.to_string(), index);
                        self.module_objects.insert(id.name.to_string(), index);
                    }
                    BindingPattern::ObjectPattern(pattern) => {
                        for property in &pattern.properties {
                            if let PropertyKey::StaticIdentifier(key) = &property.key {
                                self.member(index, key.name.as_str(), property.span);
                                // `{ A: local }`; not `{ A = fallback }`
                                if let BindingPattern::BindingIdentifier(local) = &property.value {
                                    self.destructured.insert(
                                        local.name.to_string(),
                                        (index, key.name.to_string()),
                                    );
                                }
                            }
                        }
                    }
                    _ => {}
                }
            } else if let BindingPattern::BindingIdentifier(id) = &it.id {
                // `const AWS = AWSXRay.captureAWS(require('aws-sdk'))`: the
                // name still stands for the wrapped module
                let wrapped = call.arguments.iter().find_map(|a| match a {
                    Argument::CallExpression(inner) => required_module(inner).map(|_| inner.span),
                    _ => None,
                });
                if let Some(span) = wrapped {
                    walk::walk_variable_declarator(self, it);
                    if let Some(&index) = self.by_span.get(&span.start) {
                        self.bindings.insert(id.name.to_string(), index);
                    }
                    return;
                }
            }
        }
        walk::walk_variable_declarator(self, it);
        // `const m = await import('x')` at module scope (an ES module's top
        // level): m is the module's namespace object, as with `import * as m`
        if let (Some(Expression::AwaitExpression(awaited)), BindingPattern::BindingIdentifier(id)) =
            (&it.init, &it.id)
        {
            if self.functions > 0 {
                return;
            }
            if let Expression::ImportExpression(import) = awaited.argument.without_parentheses() {
                if let Some(&index) = self.by_span.get(&import.span.start) {
                    self.awaited_namespaces.insert(id.name.to_string(), index);
                }
            }
        }
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        // `(function () { … })()`, `(() => …)()`, `(function () { … }).call(this)`:
        // the body runs where it stands, at init when that is module scope
        let mut callee = it.callee.without_parentheses();
        if let Expression::StaticMemberExpression(member) = callee {
            if matches!(member.property.name.as_str(), "call" | "apply") {
                callee = member.object.without_parentheses();
            }
        }
        if !it.optional {
            match callee {
                Expression::SequenceExpression(sequence) => {
                    if let Some(last) = sequence.expressions.last() {
                        self.needs(last);
                    }
                }
                _ => {
                    self.needs(callee);
                    self.invokes(callee);
                }
            }
        }
        self.record_local_call(callee);
        match callee {
            Expression::FunctionExpression(function) => {
                self.immediate.insert(function.span.start);
            }
            Expression::ArrowFunctionExpression(arrow) => {
                self.immediate.insert(arrow.span.start);
            }
            _ => {}
        }
        if let Some(module) = required_module(it) {
            if !self.handled.contains(&it.span) {
                self.record(module, ImportKind::Require, it.span);
            }
        }
        if changes_search_path(callee) {
            self.search_path_changed = true;
        }
        // `AWSXRay.captureAWS(require('aws-sdk'))`, `captureAWS(AWS)`: remember the wrapper
        if let Some(wrapper) = callee_name(it) {
            for argument in &it.arguments {
                let target = match argument {
                    Argument::CallExpression(inner) => required_module(inner).map(|module| {
                        let index = self.record(module, ImportKind::Require, inner.span);
                        self.handled.push(inner.span);
                        index
                    }),
                    Argument::Identifier(id) => self.bindings.get(id.name.as_str()).copied(),
                    _ => None,
                };
                if let Some(index) = target {
                    let name = format!("{wrapper}()");
                    self.member(index, &name, it.span);
                }
            }
        }
        self.node_names.call(it);
        // Node reads a re-export of another module's keys only in the
        // callback of `Object.keys(m).forEach(…)`, as Babel writes it
        let keys_loop = super::exports::is_object_keys_for_each(it);
        self.node_names.keys_loops += u32::from(keys_loop);
        if self.function_depth == 0 {
            self.defines_getter(it);
        }
        walk::walk_call_expression(self, it);
        self.node_names.keys_loops -= u32::from(keys_loop);
        // recorded by now: `require('./common')(exports)`
        self.calls_module(callee, it.span);
    }

    fn visit_assignment_expression(&mut self, it: &oxc_ast::ast::AssignmentExpression<'a>) {
        // `module.exports.enableStreamingAPI = function (…) {…}` (iconv-lite),
        // `module.exports = setup` (debug): what an importer calls is that
        let target = it.left.as_member_expression();
        if let Some(target) = target.filter(|_| self.function_depth == 0) {
            let exported = function_name_of_member(target, &self.exports_aliases).or_else(|| {
                let module_exports = target.object().is_specific_id("module")
                    && target.static_property_name() == Some("exports");
                module_exports.then(|| MODULE_EXPORTS.to_string())
            });
            match (exported, it.right.without_parentheses()) {
                (Some(name), right) if is_function(right) => self.function_name = Some(name),
                (Some(name), Expression::Identifier(function)) => {
                    (self.function_calls.entry(name).or_default())
                        .insert(function.name.to_string());
                }
                _ => {}
            }
        }
        walk::walk_assignment_expression(self, it);
        if let oxc_ast::ast::AssignmentTarget::AssignmentTargetIdentifier(id) = &it.left {
            let value =
                (it.operator == oxc_ast::ast::AssignmentOperator::Assign).then_some(&it.right);
            self.assigned(&id.name, value);
        }
        self.node_names.assignment(it, self.text);
        if let Some(assignment) = self.env_assignment(it) {
            self.sets_env.push(assignment);
        }
        // `process.env.NODE_PATH = …` (then `Module._initPaths()`), `module.paths = […]`
        if let oxc_ast::ast::AssignmentTarget::StaticMemberExpression(target) = &it.left {
            let property = target.property.name.as_str();
            let on_env = matches!(
                target.object.without_parentheses(),
                Expression::StaticMemberExpression(env) if env.property.name == "env"
            );
            if (property == "NODE_PATH" && on_env) || property == "paths" {
                self.search_path_changed = true;
            }
        }
    }

    fn visit_import_expression(&mut self, it: &ImportExpression<'a>) {
        let source = match &it.source {
            Expression::StringLiteral(s) => Some(s.value.as_str()),
            // import(`./x.js`), as require(`./x.js`)
            Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
                t.quasis.first().map(|q| q.value.raw.as_str())
            }
            _ => None,
        };
        if let Some(source) = source {
            self.record(source, ImportKind::Dynamic, it.span);
        }
        walk::walk_import_expression(self, it);
    }

    /// `new X()` runs X's constructor: firebase-admin's `new
    /// FirebaseNamespace()` at init requires its package.json there.
    fn visit_new_expression(&mut self, it: &oxc_ast::ast::NewExpression<'a>) {
        self.needs(&it.callee);
        self.invokes(&it.callee);
        self.record_local_call(&it.callee);
        walk::walk_new_expression(self, it);
        self.calls_module(&it.callee, it.span);
    }

    fn visit_class(&mut self, it: &oxc_ast::ast::Class<'a>) {
        if let Some(heritage) = &it.heritage {
            self.needs(&heritage.expression);
            self.invokes(&heritage.expression);
        }
        let name = it.id.as_ref().filter(|_| self.function_depth == 0);
        let outer = std::mem::replace(&mut self.class_name, name.map(|id| id.name.to_string()));
        walk::walk_class(self, it);
        self.class_name = outer;
    }

    fn visit_method_definition(&mut self, it: &oxc_ast::ast::MethodDefinition<'a>) {
        if it.kind == oxc_ast::ast::MethodDefinitionKind::Constructor && self.function_depth == 0 {
            self.function_name = self.class_name.clone();
        }
        walk::walk_method_definition(self, it);
    }

    /// An instance field's value is computed at each `new`, not at init:
    /// as part of the constructor.
    fn visit_property_definition(&mut self, it: &oxc_ast::ast::PropertyDefinition<'a>) {
        if it.r#static {
            return walk::walk_property_definition(self, it);
        }
        if self.function_depth == 0 {
            self.function_name = self.class_name.clone();
        }
        let outer = self.enter_function(1, None);
        walk::walk_property_definition(self, it);
        self.leave_function(1, outer);
    }

    fn visit_computed_member_expression(
        &mut self,
        it: &oxc_ast::ast::ComputedMemberExpression<'a>,
    ) {
        if !it.optional {
            self.needs(&it.object);
        }
        walk::walk_computed_member_expression(self, it);
    }

    fn visit_static_member_expression(&mut self, it: &StaticMemberExpression<'a>) {
        if !it.optional {
            self.needs(&it.object);
        }
        if let Expression::Identifier(object) = &it.object {
            if let Some(&index) = self.bindings.get(object.name.as_str()) {
                self.member(index, it.property.name.as_str(), it.span);
            }
            // a read at init of what the module defines with a getter runs it
            if let Some(&index) = self.module_objects.get(object.name.as_str()) {
                let name = &it.property.name;
                self.call_into(index, format!("get exports.{name}"), it.span);
            }
        }
        walk::walk_static_member_expression(self, it);
    }

    fn visit_function(&mut self, it: &oxc_ast::ast::Function<'a>, flags: ScopeFlags) {
        let depth = u32::from(!self.immediate.contains(&it.span.start));
        let name = it.id.as_ref().map(|id| id.name.as_str());
        let outer = self.enter_function(depth, name);
        self.functions += 1;
        walk::walk_function(self, it, flags);
        self.functions -= 1;
        self.leave_function(depth, outer);
    }

    fn visit_await_expression(&mut self, it: &oxc_ast::ast::AwaitExpression<'a>) {
        self.top_level_await(it.span);
        walk::walk_await_expression(self, it);
    }

    /// A `require` in a `try` that catches may find nothing: the code is
    /// written for that.
    fn visit_try_statement(&mut self, it: &oxc_ast::ast::TryStatement<'a>) {
        let Some(handler) = &it.handler else {
            walk::walk_try_statement(self, it);
            return;
        };
        let id = it.span.start;
        if catch_throws(handler) {
            self.tries.raising.insert(id);
        }
        self.tries.bodies.push(id);
        self.visit_block_statement(&it.block);
        self.tries.bodies.pop();
        self.tries.handlers.push((id, self.function_depth));
        self.visit_catch_clause(handler);
        self.tries.handlers.pop();
        if let Some(finalizer) = &it.finalizer {
            self.visit_block_statement(finalizer);
        }
    }

    /// A `require` in a `catch` is a fallback: it runs only when the `try`
    /// failed, so it is lazy unless the walk finds all its `try` imports
    /// missing.
    fn visit_catch_clause(&mut self, it: &oxc_ast::ast::CatchClause<'a>) {
        self.function_depth += 1;
        walk::walk_catch_clause(self, it);
        self.function_depth -= 1;
    }

    /// `require`, `module`, `exports`, `__dirname`, `__filename` evaluated
    /// at init, unguarded: defined only when Node loads the file as
    /// CommonJS.
    fn visit_identifier_reference(&mut self, it: &oxc_ast::ast::IdentifierReference<'a>) {
        let name = it.name.as_str();
        if matches!(name, "module" | "exports") {
            self.module_mentions += 1;
        }
        if self.commonjs.is_none()
            && self.function_depth == 0
            && self.conditional_depth == 0
            && self.tries.guarded_by().is_none()
            && matches!(
                name,
                "require" | "module" | "exports" | "__dirname" | "__filename"
            )
            && !self.top_level_names.contains(name)
        {
            let (line, _) = self.lines.position(self.text, it.span.start as usize);
            self.commonjs = Some((line, name.to_string()));
        }
    }

    /// `typeof module === 'object'` is how UMD code asks, and never throws.
    fn visit_unary_expression(&mut self, it: &oxc_ast::ast::UnaryExpression<'a>) {
        if it.operator == oxc_syntax::operator::UnaryOperator::Typeof {
            if let Expression::Identifier(id) = &it.argument {
                self.module_mentions +=
                    usize::from(matches!(id.name.as_str(), "module" | "exports"));
                return;
            }
        }
        walk::walk_unary_expression(self, it);
    }

    // a branch whose test is known on Lambda runs there or never:
    // `if (process.platform === 'win32') require('./windows')`
    // and one that tests the function's environment is kept with the
    // imports in it, for the walk to decide:
    // `if (process.env.NODE_ENV === 'production') require('./cjs/react.production.min.js')`
    fn visit_if_statement(&mut self, it: &oxc_ast::ast::IfStatement<'a>) {
        let known = on_lambda(&it.test, &self.top_level_names);
        if known.is_none() {
            self.visit_expression(&it.test);
        }
        let test = self.env_test(&it.test);
        self.conditional(|s| {
            if known != Some(false) {
                s.branch(test.clone(), |s| s.visit_statement(&it.consequent));
            }
            if let Some(alternate) = it.alternate.as_ref().filter(|_| known != Some(true)) {
                s.branch(test.map(negated), |s| s.visit_statement(alternate));
            }
        });
    }

    fn visit_conditional_expression(&mut self, it: &oxc_ast::ast::ConditionalExpression<'a>) {
        let known = on_lambda(&it.test, &self.top_level_names);
        if known.is_none() {
            self.visit_expression(&it.test);
        }
        let test = self.env_test(&it.test);
        self.conditional(|s| {
            if known != Some(false) {
                s.branch(test.clone(), |s| s.visit_expression(&it.consequent));
            }
            if known != Some(true) {
                s.branch(test.map(negated), |s| s.visit_expression(&it.alternate));
            }
        });
    }

    // `a && b` runs b when a holds, `a || b` when it does not
    fn visit_logical_expression(&mut self, it: &oxc_ast::ast::LogicalExpression<'a>) {
        self.visit_expression(&it.left);
        let test = match it.operator {
            LogicalOperator::And => self.env_test(&it.left),
            LogicalOperator::Or => self.env_test(&it.left).map(negated),
            LogicalOperator::Coalesce => None,
        };
        self.conditional(|s| s.branch(test, |s| s.visit_expression(&it.right)));
    }

    fn visit_switch_case(&mut self, it: &oxc_ast::ast::SwitchCase<'a>) {
        self.conditional(|s| walk::walk_switch_case(s, it));
    }

    fn visit_while_statement(&mut self, it: &oxc_ast::ast::WhileStatement<'a>) {
        self.conditional(|s| walk::walk_while_statement(s, it));
    }

    fn visit_for_statement(&mut self, it: &oxc_ast::ast::ForStatement<'a>) {
        self.conditional(|s| walk::walk_for_statement(s, it));
    }

    fn visit_for_in_statement(&mut self, it: &oxc_ast::ast::ForInStatement<'a>) {
        self.conditional(|s| walk::walk_for_in_statement(s, it));
    }

    fn visit_for_of_statement(&mut self, it: &oxc_ast::ast::ForOfStatement<'a>) {
        if it.r#await {
            self.top_level_await(it.span);
        }
        self.conditional(|s| walk::walk_for_of_statement(s, it));
    }

    fn visit_arrow_function_expression(&mut self, it: &oxc_ast::ast::ArrowFunctionExpression<'a>) {
        let depth = u32::from(!self.immediate.contains(&it.span.start));
        let outer = self.enter_function(depth, None);
        self.functions += 1;
        walk::walk_arrow_function_expression(self, it);
        self.functions -= 1;
        self.leave_function(depth, outer);
    }
}
