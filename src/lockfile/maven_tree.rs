//! The text `mvn dependency:tree` prints (with or without Maven's `[INFO] `
//! prefix, as `-DoutputFile=` writes it): the project on the first line,
//! then one dependency per line, indented three characters per level
//! (`+- `, `\- `, `|  `), as `group:artifact:type[:classifier]:version:scope`.
//! Test and provided scopes are development-only; a dependency repeated
//! deeper (`(… - omitted for duplicate)`) is not printed again by Maven.

use std::collections::HashMap;
use std::path::Path;

use super::{LockFormat, LockedDependency, LockedPackage, Lockfile, LockfileError};
use crate::inventory::{DependencyKind, Ecosystem};

fn strip_log_prefix(line: &str) -> &str {
    line.trim_end()
        .strip_prefix("[INFO] ")
        .unwrap_or(line.trim_end())
}

pub(super) fn parse(path: &Path, text: &str) -> Result<Lockfile, LockfileError> {
    let mut lock = Lockfile::new(path, LockFormat::MavenTree, Ecosystem::Maven);
    // the package index at each depth, for edges from the parent
    let mut stack: Vec<usize> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut project_seen = false;
    for (n, raw) in text.lines().enumerate() {
        let line = strip_log_prefix(raw);
        if line.is_empty() || line.starts_with("---") || line.starts_with("BUILD") {
            continue;
        }
        let depth = line
            .as_bytes()
            .chunks(3)
            .take_while(|c| matches!(*c, b"+- " | b"\\- " | b"|  " | b"   "))
            .count();
        let coordinates = line[depth * 3..].split_whitespace().next().unwrap_or("");
        let parts: Vec<&str> = coordinates.split(':').collect();
        if depth == 0 {
            // the project itself: group:artifact:packaging:version
            if parts.len() >= 4 && !project_seen {
                lock.project = Some(format!("{}:{}", parts[0], parts[1]));
                project_seen = true;
            }
            continue;
        }
        let (group, artifact, version, scope) = match parts.as_slice() {
            [g, a, _type, v, s] => (*g, *a, *v, *s),
            [g, a, _type, _classifier, v, s] => (*g, *a, *v, *s),
            _ => {
                return Err(LockfileError::new(
                    path,
                    Some(n + 1),
                    format!("expected group:artifact:type:version:scope, found {coordinates:?}"),
                ))
            }
        };
        let dev = matches!(scope, "test" | "provided" | "system");
        let name = format!("{group}:{artifact}");
        let key = format!("{name}@{version}");
        let index = match by_key.get(&key) {
            Some(&i) => i,
            None => {
                let mut package = LockedPackage::new(name.clone(), version);
                package.dev = Some(dev);
                package.optional = line.contains("(optional)");
                package.line = Some(n + 1);
                lock.packages.push(package);
                by_key.insert(key, lock.packages.len() - 1);
                lock.packages.len() - 1
            }
        };
        stack.truncate(depth - 1);
        let edge = LockedDependency {
            name,
            requirement: version.to_string(),
            kind: if dev {
                DependencyKind::Dev
            } else {
                DependencyKind::Normal
            },
            target: Some(index),
        };
        match stack.last() {
            Some(&parent) => lock.packages[parent].dependencies.push(edge),
            None => lock.root.push(edge),
        }
        stack.push(index);
    }
    if lock.packages.is_empty() {
        return Err(LockfileError::new(path, None, "no dependency lines (`+- group:artifact:type:version:scope`) in this dependency:tree output"));
    }
    Ok(lock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tree_with_and_without_log_prefixes() {
        let text = "\
[INFO] --- maven-dependency-plugin:3.6.1:tree (default-cli) @ orders ---
[INFO] com.example:orders:jar:1.0.0
[INFO] +- software.amazon.awssdk:dynamodb:jar:2.25.60:compile
[INFO] |  +- software.amazon.awssdk:aws-json-protocol:jar:2.25.60:compile
[INFO] |  \\- software.amazon.awssdk:netty-nio-client:jar:2.25.60:runtime
[INFO] +- io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.108.Final:runtime
[INFO] \\- junit:junit:jar:4.13.2:test
[INFO] ------------------------------------------------------------------------
";
        let lock = parse(Path::new("tree.txt"), text).unwrap();
        assert_eq!(lock.project.as_deref(), Some("com.example:orders"));
        assert_eq!(lock.packages.len(), 5);
        assert_eq!(lock.root.len(), 3);
        let dynamodb = &lock.packages[0];
        assert_eq!(dynamodb.dependencies.len(), 2);
        assert_eq!(lock.packages[3].version, "4.1.108.Final");
        assert_eq!(lock.packages[4].dev, Some(true));
        let bad = "com.example:orders:jar:1.0.0\n+- broken\n";
        let Err(error) = parse(Path::new("tree.txt"), bad) else {
            panic!("a broken line must not parse");
        };
        assert!(error.to_string().contains(":2:"), "{error}");
    }
}
