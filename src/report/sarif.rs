//! SARIF 2.1.0 for GitHub code scanning: the rule registry as
//! `tool.driver.rules`, every finding as a result with a location (the
//! source line for imports, the manifest for packages, else the artifact
//! path) and a `partialFingerprints` entry that stays the same across runs.

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{Render, Report};
use crate::analysis::{Finding, Level};
use crate::rules::RuleSet;

pub struct Sarif<'r> {
    pub rules: &'r RuleSet,
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

/// FNV-1a, 64 bits: stable across runs, platforms and versions.
fn stable_hash(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

/// A relative URI for a path inside an artifact (spaces and the like encoded).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b'/'
            | b'@'
            | b'+' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

impl Sarif<'_> {
    fn result(&self, finding: &Finding, artifact: &str) -> Value {
        let mut region = serde_json::Map::new();
        if let Some(line) = finding.location.line {
            region.insert("startLine".into(), json!(line));
            if let Some(column) = finding.location.column {
                region.insert("startColumn".into(), json!(column));
            }
        }
        let mut physical = json!({ "artifactLocation": { "uri": uri(&finding.location.path) } });
        if !region.is_empty() {
            physical["region"] = Value::Object(region);
        }
        let mut text = finding.message.clone();
        if let Some(fix) = &finding.fix {
            text.push_str(&format!(" Fix: {fix}"));
        }
        let mut result = json!({
            "ruleId": finding.rule,
            "level": sarif_level(finding.level),
            "message": { "text": text },
            "locations": [{
                "physicalLocation": physical,
                "message": { "text": format!("in {artifact}") }
            }],
            "partialFingerprints": {
                "deadweight/v1": stable_hash(&crate::gate::fingerprint(
                    &finding.rule,
                    &finding.location.path,
                    finding.location.line.map(u64::from),
                    finding.package.as_deref(),
                ))
            }
        });
        if let Some(index) = self.rules.rules.iter().position(|r| r.id == finding.rule) {
            result["ruleIndex"] = json!(index);
        }
        if finding.known {
            result["baselineState"] = json!("unchanged");
        }
        result
    }
}

impl Render for Sarif<'_> {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let rules: Vec<Value> = self
            .rules
            .rules
            .iter()
            .map(|rule| {
                json!({
                    "id": rule.id,
                    "name": rule.id.rsplit('/').next().unwrap_or(&rule.id),
                    "shortDescription": { "text": rule.title },
                    "fullDescription": { "text": format!("{} {}", rule.docs.what.trim(), rule.docs.why.trim()) },
                    "help": {
                        "text": format!("{}\n\nExample:\n{}\n\nUse instead:\n{}", rule.docs.why.trim(), rule.docs.example.trim(), rule.docs.fix.trim()),
                        "markdown": format!("{}\n\n**Example**\n\n```\n{}\n```\n\n**Use instead**\n\n```\n{}\n```", rule.docs.why.trim(), rule.docs.example.trim(), rule.docs.fix.trim())
                    },
                    "defaultConfiguration": {
                        "level": sarif_level(rule.level),
                        "enabled": rule.level != Level::Allow
                    },
                    "properties": { "category": rule.category.as_str(), "tags": [rule.category.as_str()] }
                })
            })
            .collect();
        let results: Vec<Value> = report
            .artifacts
            .iter()
            .flat_map(|a| a.findings.iter().map(|f| self.result(f, &a.path)))
            .collect();
        let log = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "deadweight",
                        "version": report.tool.version,
                        "semanticVersion": report.tool.version,
                        "rules": rules
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints"
            }]
        });
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{stable_hash, uri};

    #[test]
    fn fingerprints_and_uris_are_stable() {
        assert_eq!(
            stable_hash("node/x|index.js:1"),
            stable_hash("node/x|index.js:1")
        );
        assert_ne!(stable_hash("a"), stable_hash("b"));
        assert_eq!(
            uri("node_modules/@aws-sdk/x y.js"),
            "node_modules/@aws-sdk/x%20y.js"
        );
    }
}
