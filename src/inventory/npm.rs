//! npm packages: every `node_modules/<name>/package.json` and
//! `node_modules/@scope/<name>/package.json`, at any nesting depth.
//!
//! Only a package.json directly in such a directory makes a package root;
//! the many `package.json` files deeper inside a package (`"type": "module"`
//! markers, sub-path manifests) belong to the package around them.

use std::collections::HashMap;

use rayon::prelude::*;
use serde_json::Value;

use super::{parent_dir, Claims, DeclaredDependency, DependencyKind, Ecosystem, Package};
use crate::artifact::{Artifact, Warning};

pub(super) fn claim(artifact: &Artifact, claims: &mut Claims) {
    let roots: Vec<(usize, &str)> = artifact
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.unsafe_name)
        .filter_map(|(i, e)| {
            let dir = e.path.strip_suffix("/package.json")?;
            is_package_root(dir).then_some((i, dir))
        })
        .collect();

    let parsed: Vec<Result<(Value, Option<u32>), String>> = roots
        .par_iter()
        .map(|&(index, _)| {
            let text = artifact.read_text(index).map_err(|e| e.to_string())?;
            let name_line = top_level_key_line(&text, "name");
            manifest_fields(&text).map(|v| (v, name_line)).map_err(|e| {
                format!(
                    "not valid JSON (line {}, column {}): {}",
                    e.line(),
                    e.column(),
                    crate::lockfile::strip_position(&e.to_string())
                )
            })
        })
        .collect();

    for ((index, dir), manifest) in roots.into_iter().zip(parsed) {
        let manifest_path = artifact.entries[index].path.clone();
        let directory_name = directory_package_name(dir);
        let package = match manifest {
            Ok((json, name_line)) => {
                let name = match json.get("name").and_then(Value::as_str) {
                    Some(name) if !name.is_empty() => name.to_string(),
                    _ => {
                        claims.warnings.push(Warning::at(
                            &manifest_path,
                            format!("package.json has no \"name\"; using the directory name {directory_name}"),
                        ));
                        directory_name
                    }
                };
                let version = json
                    .get("version")
                    .and_then(Value::as_str)
                    .map(str::to_string);
                Package {
                    manifest_line: name_line,
                    dependencies: declared_dependencies(&json),
                    engines_node: json
                        .get("engines")
                        .and_then(|e| e.get("node"))
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    ..Package::found(
                        Ecosystem::Npm,
                        name,
                        version,
                        dir.to_string(),
                        manifest_path,
                    )
                }
            }
            Err(reason) => {
                claims.warnings.push(Warning::at(
                    &manifest_path,
                    format!("package.json {reason}"),
                ));
                Package::found(
                    Ecosystem::Npm,
                    directory_name,
                    None,
                    dir.to_string(),
                    manifest_path,
                )
            }
        };
        let id = claims.add_package(package);
        claims.dirs.insert(dir.to_string(), id);
    }
}

/// `…/node_modules/name` or `…/node_modules/@scope/name`.
fn is_package_root(dir: &str) -> bool {
    let mut parts = dir.rsplit('/');
    let last = parts.next().unwrap_or("");
    if last.is_empty() || last.starts_with('.') || last == "node_modules" {
        return false;
    }
    match parts.next() {
        Some("node_modules") => !last.starts_with('@'),
        Some(scope) if scope.starts_with('@') && scope.len() > 1 => {
            parts.next() == Some("node_modules")
        }
        _ => false,
    }
}

/// The name npm would infer from where the package is installed.
pub(super) fn directory_package_name(dir: &str) -> String {
    let mut parts = dir.rsplit('/');
    let last = parts.next().unwrap_or(dir);
    match parts.next() {
        Some(scope) if scope.starts_with('@') => format!("{scope}/{last}"),
        _ => last.to_string(),
    }
}

/// The members of a package.json the inventory reads.
const READ_FIELDS: [&str; 6] = [
    "name",
    "version",
    "engines",
    "dependencies",
    "optionalDependencies",
    "peerDependencies",
];

/// A package.json as an object of the members the inventory reads (a later
/// copy of a key wins, as with JSON.parse), or null when it is not an
/// object. The rest is checked as JSON and skipped without being built: a
/// manifest's description, scripts, keywords and files lists are most of
/// it, and building them cost more than inflating the file.
fn manifest_fields(text: &str) -> serde_json::Result<Value> {
    use serde::de::{Deserializer as _, IgnoredAny, MapAccess, SeqAccess, Visitor};

    struct Fields;

    impl<'de> Visitor<'de> for Fields {
        type Value = Value;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON value")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut kept = serde_json::Map::new();
            while let Some(key) = map.next_key::<String>()? {
                if READ_FIELDS.contains(&key.as_str()) {
                    kept.insert(key, map.next_value()?);
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(Value::Object(kept))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Value::Null)
        }

        fn visit_bool<E>(self, _: bool) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_i64<E>(self, _: i64) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_u64<E>(self, _: u64) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_f64<E>(self, _: f64) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_str<E>(self, _: &str) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }
    }

    let mut json = serde_json::Deserializer::from_str(text);
    let fields = json.deserialize_any(Fields)?;
    json.end()?;
    Ok(fields)
}

fn declared_dependencies(json: &Value) -> Vec<DeclaredDependency> {
    let mut out = Vec::new();
    for (field, kind) in [
        ("dependencies", DependencyKind::Normal),
        ("optionalDependencies", DependencyKind::Optional),
        ("peerDependencies", DependencyKind::Peer),
    ] {
        if let Some(map) = json.get(field).and_then(Value::as_object) {
            for (name, requirement) in map {
                // optionalDependencies repeat in dependencies; keep one edge
                if kind != DependencyKind::Normal
                    && out.iter().any(|d: &DeclaredDependency| d.name == *name)
                {
                    continue;
                }
                out.push(DeclaredDependency {
                    name: name.clone(),
                    requirement: requirement.as_str().unwrap_or("").to_string(),
                    kind,
                });
            }
        }
    }
    out
}

/// True when a package sits in the first `node_modules` below its project
/// (the app root or a layer's `nodejs/` directory), not nested in another.
/// The 1-based line of a key of the top-level JSON object, found by
/// tracking nesting outside strings (serde_json keeps no positions).
fn top_level_key_line(text: &str, key: &str) -> Option<u32> {
    let quoted = format!("\"{key}\"");
    let (mut depth, mut line, mut in_string, mut escaped) = (0u32, 1u32, false, false);
    for (at, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                '\n' => line += 1,
                _ => {}
            }
            continue;
        }
        match c {
            '\n' => line += 1,
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            '"' => {
                if depth == 1 && text[at..].starts_with(&quoted) {
                    let rest = text[at + quoted.len()..].trim_start();
                    if rest.starts_with(':') {
                        return Some(line);
                    }
                }
                in_string = true;
            }
            _ => {}
        }
    }
    None
}

pub(super) fn is_top_level(package_path: &str) -> bool {
    package_path
        .split('/')
        .filter(|p| *p == "node_modules")
        .count()
        == 1
}

/// The production dependencies each project root (`""`, `nodejs`, …)
/// declares in its own package.json, keyed by the root's directory. Only
/// roots whose manifest could be read are present.
/// What each project's own package.json asks for, by the project's directory
/// (`None` when it has no readable manifest): every name it lists, with its
/// requirement and whether it is listed only among devDependencies.
pub(super) fn root_dependencies<'a>(
    artifact: &Artifact,
    package_paths: impl Iterator<Item = &'a str>,
) -> HashMap<String, Option<HashMap<String, DeclaredDependency>>> {
    let mut roots = HashMap::new();
    for path in package_paths.filter(|p| is_top_level(p)) {
        let root = project_root(path);
        if !roots.contains_key(root) {
            insert_root(artifact, root, &mut roots);
        }
    }
    roots
}

fn insert_root(
    artifact: &Artifact,
    dir: &str,
    roots: &mut HashMap<String, Option<HashMap<String, DeclaredDependency>>>,
) {
    let manifest = if dir.is_empty() {
        "package.json".to_string()
    } else {
        format!("{dir}/package.json")
    };
    let Some(index) = artifact.find(&manifest) else {
        roots.insert(dir.to_string(), None);
        return;
    };
    let Ok(json) = artifact
        .read_text(index)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
    else {
        roots.insert(dir.to_string(), None);
        return;
    };
    let mut names: HashMap<String, DeclaredDependency> = declared_dependencies(&json)
        .into_iter()
        .filter(|d| d.kind != DependencyKind::Peer)
        .map(|d| (d.name.clone(), d))
        .collect();
    // the function asks for its development tools too, in the same file
    if let Some(dev) = json.get("devDependencies").and_then(Value::as_object) {
        for (name, requirement) in dev {
            names
                .entry(name.clone())
                .or_insert_with(|| DeclaredDependency {
                    name: name.clone(),
                    requirement: requirement.as_str().unwrap_or("").to_string(),
                    kind: DependencyKind::Dev,
                });
        }
    }
    roots.insert(dir.to_string(), Some(names));
}

/// Directory of the project a top-level package was installed for.
pub(super) fn project_root(package_path: &str) -> &str {
    let node_modules = match package_path.find("node_modules/") {
        Some(at) => &package_path[..at + "node_modules".len()],
        None => return "",
    };
    parent_dir(node_modules)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the inventory reads of a manifest, as the whole parse gives it.
    fn whole(text: &str) -> Result<serde_json::Value, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(match value.as_object() {
            Some(object) => serde_json::Value::Object(
                object
                    .iter()
                    .filter(|(k, _)| super::READ_FIELDS.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            None => serde_json::Value::Null,
        })
    }

    #[test]
    fn the_fields_read_are_those_a_whole_parse_gives() {
        let manifests = [
            r#"{"name":"aws-sdk","version":"2.1692.0","description":"AWS SDK","scripts":{"test":"x"},
               "dependencies":{"buffer":"4.9.2","events":"1.1.1"},"engines":{"node":">= 10.0.0"},
               "browser":{"fs":false},"keywords":["a",1,2.5e300,null,true,{"deep":[[]]}]}"#,
            // a later copy wins, as JSON.parse has it; escaped keys are keys
            r#"{"name":"first","version":"1.0.0","name":"second","name2":1,"peerDependencies":{"react":"*"}}"#,
            r#"{"optionalDependencies":{"fsevents":"2"},"dependencies":{"fsevents":"2","x":"1"}}"#,
            "[]",
            r#""a string""#,
            "12345678901234567890123",
            "null",
            "{}",
            // errors: the same message at the same place
            r#"{"name": "x",}"#,
            r#"{"name": "x"} trailing"#,
            r#"{"name": "x", "deps": {"#,
            "",
        ];
        for text in manifests {
            let fields = super::manifest_fields(text).map_err(|e| e.to_string());
            assert_eq!(fields, whole(text), "{text}");
        }
    }

    #[test]
    fn package_roots_are_direct_children_of_node_modules() {
        assert!(is_package_root("node_modules/express"));
        assert!(is_package_root("node_modules/@aws-sdk/client-s3"));
        assert!(is_package_root(
            "nodejs/node20/node_modules/a/node_modules/b"
        ));
        assert!(!is_package_root("node_modules/@aws-sdk"));
        assert!(!is_package_root("node_modules/express/lib"));
        assert!(!is_package_root("node_modules/.bin"));
        assert!(!is_package_root("src/node_modules"));
        assert!(!is_package_root("express"));
    }

    #[test]
    fn project_root_is_above_the_first_node_modules() {
        assert_eq!(project_root("node_modules/a"), "");
        assert_eq!(
            project_root("nodejs/node20/node_modules/@s/a"),
            "nodejs/node20"
        );
    }

    #[test]
    fn the_name_line_is_the_top_level_key_not_a_nested_one() {
        let text = "{\n  \"author\": { \"name\": \"x\" },\n  \"description\": \"a \\\" { tricky\",\n  \"name\" : \"pkg\"\n}";
        assert_eq!(super::top_level_key_line(text, "name"), Some(4));
        assert_eq!(
            super::top_level_key_line("{\"name\":\"a\"}", "name"),
            Some(1)
        );
        assert_eq!(super::top_level_key_line("{\"names\": 1}", "name"), None);
    }
}
