//! aws-sdk v2 opens a new HTTPS connection per request unless told to keep
//! them alive: `AWS_NODEJS_CONNECTION_REUSE_ENABLED=1` in the function's
//! environment, or an agent with `keepAlive` given in code.

use super::{Finding, Level, Location};
use crate::artifact::{Artifact, DEFAULT_READ_LIMIT};
use crate::imports::{Language, SourceFile};

pub const RULE: &str = "node/sdk-v2-keepalive";
const VARIABLE: &str = "AWS_NODEJS_CONNECTION_REUSE_ENABLED";

/// `templates`: the text of IaC files beside the artifact (SAM,
/// Serverless), where the function's environment is declared;
/// `environment`: the variables the config gives the function.
pub fn check(
    artifact: &Artifact,
    sources: &[SourceFile],
    templates: &[String],
    environment: Option<&std::collections::BTreeMap<String, String>>,
) -> Option<Finding> {
    let js: Vec<&SourceFile> = sources
        .iter()
        .filter(|s| s.language == Language::JavaScript)
        .collect();
    let (file, import) = js.iter().find_map(|s| {
        s.imports
            .iter()
            .find(|i| i.module == "aws-sdk" || i.module.starts_with("aws-sdk/"))
            .map(|i| (*s, i))
    })?;
    if templates.iter().any(|t| enables_reuse(t)) {
        return None;
    }
    let configured = environment.and_then(|e| e.get(VARIABLE));
    if configured.is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true")) {
        return None;
    }
    // set in code before the SDK loads, or an agent with keepAlive
    let in_code = js.iter().any(|s| {
        artifact
            .find(&s.path)
            .and_then(|i| artifact.read(i, DEFAULT_READ_LIMIT).ok())
            .is_some_and(|bytes| {
                // ASCII names: found in the bytes, with no need to decode them
                [VARIABLE.as_bytes(), b"keepAlive"]
                    .iter()
                    .any(|name| memchr::memmem::find(&bytes, name).is_some())
            })
    });
    if in_code {
        return None;
    }
    Some(Finding {
        rule: RULE.to_string(),
        level: Level::Warn,
        message: format!(
            "`{}` is aws-sdk v2, which opens a new HTTPS connection (TCP and TLS handshakes) for every request unless {VARIABLE}=1 is set",
            import.module
        ),
        location: Location {
            path: file.path.clone(),
            line: Some(import.line),
            column: Some(import.column),
        },
        package: None,
        saving: None,
        concerns: None,
        known: false,
        fix: Some(format!(
            "set {VARIABLE}=1 in the function's environment (Environment: Variables: in template.yaml, environment: in serverless.yml; tell deadweight with `[function.environment]` in deadweight.toml when it is set elsewhere, e.g. CDK or Terraform), or move to AWS SDK v3, which keeps connections alive by default"
        )),
    })
}

/// `AWS_NODEJS_CONNECTION_REUSE_ENABLED: 1` (or `"1"`, `'1'`, `true`) on one line.
fn enables_reuse(template: &str) -> bool {
    template.lines().any(|line| {
        line.split_once(VARIABLE).is_some_and(|(_, rest)| {
            let value = rest.trim_start_matches([':', '=', ' ', '"', '\'']).trim();
            value.starts_with('1') || value.starts_with("true")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_values_that_enable_reuse() {
        assert!(enables_reuse(
            "          AWS_NODEJS_CONNECTION_REUSE_ENABLED: 1"
        ));
        assert!(enables_reuse(
            "  AWS_NODEJS_CONNECTION_REUSE_ENABLED: \"1\""
        ));
        assert!(enables_reuse(
            "      AWS_NODEJS_CONNECTION_REUSE_ENABLED: 'true'"
        ));
        assert!(!enables_reuse(
            "      AWS_NODEJS_CONNECTION_REUSE_ENABLED: 0"
        ));
        assert!(!enables_reuse("      OTHER: 1"));
    }
}
