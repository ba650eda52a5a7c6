//! Where the function's code creates AWS SDK clients, database connections
//! and HTTP connection pools: at module scope (once per cold start) or
//! inside the handler (on every invocation). The vocabulary of what creates
//! one is data, `rules/clients.toml`.

pub(crate) mod js;
pub(crate) mod python;

use std::sync::OnceLock;

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use super::Language;
use crate::artifact::cache::{codec_by_position, codec_struct, Codec, Reader, Writer};

const VOCABULARY: &str = include_str!("../../../rules/clients.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    Aws,
    Database,
    Http,
}

/// One place the code creates a client.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Construction {
    pub path: String,
    pub line: u32,
    pub column: u32,
    /// As written: `new DynamoDBClient()`, `boto3.client('s3')`.
    pub code: String,
    /// The module it comes from.
    pub module: String,
    /// The dotted name called, from the module: `client`,
    /// `Session.client`, `DynamoDBClient`.
    pub callee: String,
    pub kind: ClientKind,
    /// What it connects to: `dynamodb`, `s3`, `postgres`.
    pub service: String,
    pub place: Place,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "at", content = "function")]
pub enum Place {
    /// Runs once, at init.
    ModuleScope,
    /// Runs on every invocation: in the handler, or a function it calls
    /// (named here).
    Handler(String),
}

/// What the code does with its clients, for one handler module.
#[derive(Debug, Default, PartialEq)]
pub struct HandlerCode {
    pub constructions: Vec<Construction>,
    /// Python: module-scope downloads of files (S3 `download_file`): path,
    /// line, target file and whether the module checks for it first.
    pub downloads: Vec<Download>,
    /// The handler function was found (else only module scope was read).
    pub handler_found: bool,
    /// The handler is defined in another module of the function:
    /// (module specifier, exported name), for the caller to follow.
    pub reexport: Option<(String, String)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Download {
    pub line: u32,
    pub column: u32,
    pub code: String,
    /// The local file written, when it is a literal.
    pub target: Option<String>,
    /// The module tests whether a file exists anywhere (`os.path.exists`,
    /// `.exists()`, `os.path.isfile`).
    pub checks_existence: bool,
}

codec_by_position!(
    ClientKind,
    [ClientKind::Aws, ClientKind::Database, ClientKind::Http]
);

impl Codec for Place {
    /// As the function's name, if any.
    fn put(&self, out: &mut Writer) {
        match self {
            Place::ModuleScope => false.put(out),
            Place::Handler(function) => {
                true.put(out);
                function.put(out);
            }
        }
    }
    fn take(input: &mut Reader) -> Option<Self> {
        Some(match <Option<String> as Codec>::take(input)? {
            None => Place::ModuleScope,
            Some(function) => Place::Handler(function),
        })
    }
}

codec_struct!(Construction {
    path,
    line,
    column,
    code,
    module,
    callee,
    kind,
    service,
    place
});

codec_struct!(Download {
    line,
    column,
    code,
    target,
    checks_existence
});

codec_struct!(HandlerCode {
    constructions,
    downloads,
    handler_found,
    reexport
});

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VocabularyFile {
    client: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    language: Language,
    module: String,
    path: String,
    #[serde(default)]
    new: Option<bool>,
    kind: ClientKind,
    service: String,
}

struct Pattern {
    language: Language,
    new: Option<bool>,
    kind: ClientKind,
    service: String,
}

/// The vocabulary, its globs compiled as two sets, the entries' module
/// globs and their path globs, by entry: a set matches its plain globs
/// (`aws-sdk`, `@aws-sdk/client-*`) without a regex and the rest with one
/// for all, where a matcher per glob compiled one each (about a
/// millisecond of every audit's start).
struct Vocabulary {
    patterns: Vec<Pattern>,
    modules: GlobSet,
    paths: GlobSet,
}

/// Compiles the vocabulary's globs ahead of the first handler read.
pub fn prepare() {
    vocabulary();
}

fn vocabulary() -> &'static Vocabulary {
    static COMPILED: OnceLock<Vocabulary> = OnceLock::new();
    COMPILED.get_or_init(|| {
        // embedded and checked by the tests: it cannot be malformed in a build
        let file: VocabularyFile =
            crate::rules::builtin_table(crate::rules::builtin_json!("clients"), VOCABULARY)
                .expect("rules/clients.toml parses");
        let (mut modules, mut paths) = (GlobSetBuilder::new(), GlobSetBuilder::new());
        let glob = |g: &str| Glob::new(g).expect("rules/clients.toml globs compile");
        let patterns = file
            .client
            .into_iter()
            .map(|e| {
                modules.add(glob(&e.module));
                paths.add(glob(&e.path));
                Pattern {
                    language: e.language,
                    new: e.new,
                    kind: e.kind,
                    service: e.service,
                }
            })
            .collect();
        let set =
            |builder: GlobSetBuilder| builder.build().expect("rules/clients.toml globs compile");
        Vocabulary {
            patterns,
            modules: set(modules),
            paths: set(paths),
        }
    })
}

/// What a use of `module` through `path` creates, if it creates a client:
/// (kind, service).
fn classify(
    language: Language,
    module: &str,
    path: &str,
    new: bool,
    first_argument: Option<&str>,
) -> Option<(ClientKind, String)> {
    let vocabulary = vocabulary();
    let mut by_path = vocabulary.paths.matches(path);
    by_path.sort_unstable();
    let mut by_module = vocabulary.modules.matches(module);
    // the first entry that matches, as the file lists them
    by_module.sort_unstable();
    let pattern = by_module
        .into_iter()
        .filter(|i| by_path.binary_search(i).is_ok())
        .map(|i| &vocabulary.patterns[i])
        .find(|p| p.language == language && p.new.is_none_or(|n| n == new))?;
    let service = match pattern.service.as_str() {
        "{module}" => module
            .rsplit_once("client-")
            .or_else(|| module.rsplit_once("clients/"))
            .map_or(module, |(_, s)| s)
            .to_string(),
        "{member}" => path.split('.').next().unwrap_or(path).to_lowercase(),
        "{arg}" => first_argument.unwrap_or("unknown").to_string(),
        name => name.to_string(),
    };
    Some((pattern.kind, service))
}

/// Reads one module of the function: the clients it creates, where, and
/// (Python) the downloads it makes at module scope. `handler` is the
/// exported function's name (`handler` of `index.handler`).
pub fn read_handler_module(
    path: &str,
    text: &str,
    language: Language,
    handler: &str,
) -> Result<HandlerCode, String> {
    match language {
        Language::JavaScript => js::read(path, text, handler),
        Language::Python => python::read(path, text, handler),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_is_read_from_its_json() {
        let json = crate::rules::builtin_json!("clients");
        let assert = crate::rules::tests::assert_read_from_json::<VocabularyFile>;
        assert("rules/clients.toml", VOCABULARY, json);
    }

    #[test]
    fn the_vocabulary_parses_and_classifies() {
        let js = Language::JavaScript;
        assert_eq!(
            classify(js, "@aws-sdk/client-dynamodb", "DynamoDBClient", true, None),
            Some((ClientKind::Aws, "dynamodb".into()))
        );
        assert_eq!(
            classify(js, "aws-sdk", "DynamoDB.DocumentClient", true, None),
            Some((ClientKind::Aws, "dynamodb".into()))
        );
        assert_eq!(classify(js, "aws-sdk", "config.update", false, None), None);
        assert_eq!(
            classify(js, "ioredis", "default", true, None),
            Some((ClientKind::Database, "redis".into()))
        );
        assert_eq!(
            classify(Language::Python, "boto3", "client", false, Some("s3")),
            Some((ClientKind::Aws, "s3".into()))
        );
        assert_eq!(
            classify(Language::Python, "boto3", "set_stream_logger", false, None),
            None
        );
    }
}
