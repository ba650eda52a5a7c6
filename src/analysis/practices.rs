//! The Serverless Lens's init practices, read from the handler's code:
//! clients created inside the handler (`node/client-in-handler`,
//! `python/client-in-handler`), too many services set up at init
//! (`common/too-much-at-init`), and assets downloaded at every cold start
//! (`python/tmp-cache-hint`).

use std::collections::BTreeMap;
use std::path::Path;

use super::{Finding, Level, Location};
use crate::artifact::cache::ContentCache;
use crate::artifact::{Artifact, Warning};
use crate::imports::clients::{read_handler_module, ClientKind, Construction, HandlerCode, Place};
use crate::imports::reach::{handler_entry, InitLoad, InitWalker};
use crate::imports::{HandlerRead, Language};
use crate::inventory::{Inventory, Owner};

pub const NODE_CLIENT_IN_HANDLER: &str = "node/client-in-handler";
pub const PYTHON_CLIENT_IN_HANDLER: &str = "python/client-in-handler";
pub const TOO_MUCH_AT_INIT: &str = "common/too-much-at-init";
pub const TMP_CACHE_HINT: &str = "python/tmp-cache-hint";
pub const DATABASE_WITHOUT_PROXY: &str = "common/database-without-proxy";
/// The engines of rules/clients.toml an RDS Proxy fronts.
const RDS_PROXY_ENGINES: [&str; 2] = ["postgres", "mysql"];

/// Distinct services set up at module scope above which splitting pays.
pub const INIT_SERVICES: usize = 5;

/// The handler module's code, following a handler re-exported from another
/// module of the function (a few hops at most).
pub struct HandlerModule {
    pub path: String,
    pub language: Language,
    pub function: String,
    pub code: HandlerCode,
}

/// Reads the handler's module for the clients it creates, following a
/// handler re-exported from another module of the function. With a cache
/// directory, a module an earlier run read (same CRC-32 and size: a bundle
/// rebuilt unchanged) is not parsed again; nor is one the import scan read
/// (`scanned`).
pub fn read_handler(
    artifact: &Artifact,
    walker: &InitWalker,
    handler: &str,
    cache: Option<&Path>,
    scanned: Option<HandlerRead>,
    warnings: &mut Vec<Warning>,
) -> Option<HandlerModule> {
    let (entry, language) = handler_entry(artifact, handler)?;
    let kind = ("handler", &[artifact.path.as_path()][..], language as u8);
    ContentCache::keeping(cache, kind, |kept| {
        let at = (entry, language);
        read_handler_from(artifact, walker, at, handler, kept, scanned, warnings)
    })
}

fn read_handler_from(
    artifact: &Artifact,
    walker: &InitWalker,
    (mut entry, language): (usize, Language),
    handler: &str,
    kept: Option<&ContentCache<HandlerCode>>,
    mut scanned: Option<HandlerRead>,
    warnings: &mut Vec<Warning>,
) -> Option<HandlerModule> {
    let mut function = handler.rsplit('.').next().unwrap_or(handler).to_string();
    for _ in 0..4 {
        let path = artifact.entries[entry].path.clone();
        // what is read depends on the function looked for too
        let key = format!("{path}#{function}");
        let read = ContentCache::through(kept, &key, artifact.content_id(entry), || {
            if let Some(read) = scanned.take_if(|r| r.entry == entry && r.function == function) {
                return Ok(read.code);
            }
            let text = artifact
                .read_text(entry)
                .map_err(|e| Some(Warning::at(&path, format!("handler not read: {e}"))))?;
            // the import scan already warned about a file that does not parse
            read_handler_module(&path, &text, language, &function).map_err(|_| None)
        });
        let code = match read {
            Ok(code) => code,
            Err(warning) => {
                warnings.extend(warning);
                return None;
            }
        };
        match &code.reexport {
            Some((module, name)) if module.starts_with('.') => {
                // Node's own resolution, as init follows it
                entry = walker.resolve_file(entry, module)?;
                function = name.clone();
            }
            _ => {
                return Some(HandlerModule {
                    path,
                    language,
                    function,
                    code,
                })
            }
        }
    }
    None
}

/// Every practice finding for one handler module.
pub fn check(module: &HandlerModule, init_services: usize) -> Vec<Finding> {
    let mut findings: Vec<Finding> = module
        .code
        .constructions
        .iter()
        .filter_map(|c| client_in_handler(module, c))
        .collect();
    findings.extend(too_much_at_init(module, init_services));
    if module.language == Language::Python {
        findings.extend(tmp_cache_hints(module));
    }
    findings
}

/// The boto3 clients and resources that the function's own Python modules
/// loaded at init create at module scope, as the estimate prices them:
/// `boto3.client('s3')`. The handler's module, already read, is not read
/// again.
pub fn priced_calls(
    artifact: &Artifact,
    inventory: &Inventory,
    load: &InitLoad,
    handler: Option<&HandlerModule>,
) -> Vec<String> {
    if load.language != Language::Python {
        return Vec::new();
    }
    let mut calls = Vec::new();
    for &i in &load.loaded {
        let path = &artifact.entries[i].path;
        if inventory.owners[i] != Owner::App || !path.ends_with(".py") {
            continue;
        }
        let read_here;
        let code = match handler.filter(|h| h.path == *path) {
            Some(handler) => &handler.code,
            None => {
                let Ok(text) = artifact.read_text(i) else {
                    continue;
                };
                // module scope only: no handler function to read
                let Ok(code) = read_handler_module(path, &text, Language::Python, "") else {
                    continue;
                };
                read_here = code;
                &read_here
            }
        };
        calls.extend(
            code.constructions
                .iter()
                .filter(|c| c.place == Place::ModuleScope && c.kind == ClientKind::Aws)
                // a Session's client is priced as boto3's default session's
                .filter(|c| matches!(c.module.as_str(), "boto3" | "boto3.session"))
                .filter(|c| c.service != "session")
                .map(|c| {
                    let kind = if c.callee.ends_with("resource") {
                        "resource"
                    } else {
                        "client"
                    };
                    format!("{}.{kind}('{}')", session_of(c), c.service)
                }),
        );
    }
    calls
}

/// Which boto3 session a client comes from, as the estimate tells them
/// apart (each session loads its endpoint data and models anew): `boto3`
/// for the default one, the variable a Session is kept in, or
/// `boto3.Session()` for one made on the spot.
fn session_of(c: &Construction) -> String {
    if !c.callee.starts_with("Session.") {
        return "boto3".to_string();
    }
    let receiver = c
        .code
        .rsplit_once(".client(")
        .or_else(|| c.code.rsplit_once(".resource("))
        .map_or("", |(receiver, _)| receiver);
    match receiver.contains('(') || receiver.is_empty() {
        true => "boto3.Session()".to_string(),
        false => receiver.to_string(),
    }
}

fn what(kind: ClientKind, service: &str) -> String {
    match kind {
        ClientKind::Aws => format!("an AWS SDK client ({service})"),
        ClientKind::Database => format!("a database connection ({service})"),
        ClientKind::Http => format!("an HTTP connection pool ({service})"),
    }
}

fn client_in_handler(module: &HandlerModule, c: &Construction) -> Option<Finding> {
    let Place::Handler(function) = &c.place else {
        return None;
    };
    let (rule, fix) = match module.language {
        Language::JavaScript => (
            NODE_CLIENT_IN_HANDLER,
            "create it once at module scope, outside the handler (or on first use into a module-level variable: `client ??= new …`), so warm invocations reuse it and its open connections",
        ),
        Language::Python => (
            PYTHON_CLIENT_IN_HANDLER,
            "create it once at module level, outside the handler (or on first use into a module-level variable declared `global`, or in a function cached with functools.cache), so warm invocations reuse it and its open connections",
        ),
    };
    let inside = if *function == module.function {
        format!("inside the handler `{function}`")
    } else {
        format!(
            "in `{function}`, which the handler `{}` calls",
            module.function
        )
    };
    Some(Finding::with_fix(
        rule,
        Level::Warn,
        format!(
            "`{}` creates {} {inside}: it is built again on every invocation instead of once per cold start",
            c.code,
            what(c.kind, &c.service)
        ),
        construction_location(c),
        fix.to_string(),
    ))
}

fn too_much_at_init(module: &HandlerModule, limit: usize) -> Option<Finding> {
    let mut services: BTreeMap<(String, &str), Vec<u32>> = BTreeMap::new();
    for c in &module.code.constructions {
        if c.place == Place::ModuleScope && c.service != "session" {
            let kind = match c.kind {
                ClientKind::Aws => "aws",
                ClientKind::Database => "db",
                ClientKind::Http => "http",
            };
            services
                .entry((c.service.clone(), kind))
                .or_default()
                .push(c.line);
        }
    }
    if services.len() <= limit {
        return None;
    }
    let file = module.path.rsplit('/').next().unwrap_or(&module.path);
    let list: Vec<String> = services
        .iter()
        .map(|((service, _), lines)| {
            let at: Vec<String> = lines.iter().map(|l| format!("{file}:{l}")).collect();
            format!("{service} ({})", at.join(", "))
        })
        .collect();
    Some(Finding::with_fix(
        TOO_MUCH_AT_INIT,
        Level::Warn,
        format!(
            "`{}` sets up {} services at init, more than {limit}: {}",
            module.path,
            services.len(),
            list.join(", ")
        ),
        Location::file(&module.path),
        "split the function into single-purpose functions, each creating only the clients its events need; every cold start then pays for one part"
            .to_string(),
    ))
}

/// Connections to PostgreSQL or MySQL that the handler's module opens, in
/// a function whose deployment points them at an RDS database's own
/// endpoint rather than an RDS Proxy's: one finding, at the first.
pub fn database_without_proxy(
    module: &HandlerModule,
    route: Option<crate::template::DatabaseRoute>,
) -> Option<Finding> {
    if route != Some(crate::template::DatabaseRoute::Direct) {
        return None;
    }
    let relational: Vec<&crate::imports::clients::Construction> = module
        .code
        .constructions
        .iter()
        .filter(|c| {
            c.kind == ClientKind::Database && RDS_PROXY_ENGINES.contains(&c.service.as_str())
        })
        .collect();
    let first = relational.first()?;
    let more = match relational.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Some(Finding::with_fix(
        DATABASE_WITHOUT_PROXY,
        Level::Warn,
        format!(
            "`{}`{more} opens {} connections from every execution environment, and the function's environment names the RDS database's own endpoint: each concurrent environment holds its own connections, and each cold start pays for a new one",
            first.code, first.service
        ),
        construction_location(first),
        "connect through an RDS Proxy in front of the database (point the variable at the proxy's endpoint): it pools and shares connections across environments and keeps them open between cold starts"
            .to_string(),
    ))
}

/// Where a client is constructed: file, line and column.
fn construction_location(c: &crate::imports::clients::Construction) -> Location {
    Location {
        path: c.path.clone(),
        line: Some(c.line),
        column: Some(c.column),
    }
}

fn tmp_cache_hints(module: &HandlerModule) -> Vec<Finding> {
    module
        .code
        .downloads
        .iter()
        .filter_map(|d| {
            let problem = match d.target.as_deref() {
                Some(t) if !t.trim_start_matches(['f', '"', '\'']).starts_with("/tmp") => {
                    format!("to `{t}`, outside /tmp, the only writable directory in Lambda")
                }
                Some(t) if !d.checks_existence => {
                    format!("to `{t}` without checking whether it is already there")
                }
                None if !d.checks_existence => "without checking whether the file is already there".to_string(),
                _ => return None,
            };
            Some(Finding {
                rule: TMP_CACHE_HINT.to_string(),
                level: Level::Allow,
                message: format!(
                    "`{}` downloads at module scope {problem}: the transfer is paid on every cold start",
                    d.code
                ),
                location: Location {
                    path: module.path.clone(),
                    line: Some(d.line),
                    column: Some(d.column),
                },
                package: None,
                saving: None,
                concerns: None,
                known: false,
                fix: Some("download into /tmp lazily, on first use, and only when the file is not there yet (`if not os.path.exists(path)`); an asset every invocation needs belongs in the package, a layer or the container image".to_string()),
            })
        })
        .collect()
}
