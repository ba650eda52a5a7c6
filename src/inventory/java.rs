//! Java packages: every jar in the artifact (`lib/*.jar`, a layer's
//! `java/lib/*.jar`, Spring Boot's `BOOT-INF/lib/*.jar`) is one package,
//! named by its own `META-INF/maven/**/pom.properties` (groupId:artifactId),
//! else its `MANIFEST.MF` (Implementation-Title, Bundle-SymbolicName), else
//! its file name. Dependencies come from the jar's embedded `pom.xml`. An
//! artifact that is itself a fat (shaded) jar lists its `pom.properties` at
//! the top: each becomes a package owning the classes under its groupId's
//! package path.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::{Claims, DeclaredDependency, DependencyKind, Ecosystem, Package};
use crate::artifact::{Artifact, EntryKind, Warning};

/// A nested jar read into memory at most this big.
const JAR_LIMIT: u64 = 256 * 1024 * 1024;
/// Nested jars inside nested jars are followed this deep.
const MAX_DEPTH: usize = 16;
/// Bytes inflated to read jars, all of them together: a jar bomb stops here.
const TOTAL_LIMIT: u64 = 2 * 1024 * 1024 * 1024;

/// What is left of [`TOTAL_LIMIT`]; taken before a jar is inflated.
pub struct Budget(AtomicU64);

impl Budget {
    pub fn new() -> Self {
        Budget(AtomicU64::new(TOTAL_LIMIT))
    }

    fn take(&self, bytes: u64) -> Result<(), String> {
        self.0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(bytes)
            })
            .map(|_| ())
            .map_err(|_| "the artifact's jars inflate to more than 2 GiB; not read".to_string())
    }
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new()
    }
}

/// What one jar says about itself.
#[derive(Debug, Default)]
pub struct JarFacts {
    pub name: Option<String>,
    pub version: Option<String>,
    /// Where the name came from, inside the jar.
    pub manifest: Option<String>,
    pub dependencies: Vec<DeclaredDependency>,
    /// Class files, by path (`com/example/Foo.class`).
    pub classes: Vec<String>,
    /// Other projects whose pom.properties the jar carries (shaded in):
    /// `groupId:artifactId` and version.
    pub shaded: Vec<(String, Option<String>)>,
    /// Jars inside it, read too (their classes count as its own).
    pub nested: usize,
}

pub(super) fn claim(
    artifact: &Artifact,
    claims: &mut Claims,
    classes: &mut Vec<(usize, Vec<String>)>,
) {
    let jars: Vec<usize> = artifact
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == EntryKind::File && !e.unsafe_name && is_jar(&e.path))
        .map(|(i, _)| i)
        .collect();
    let budget = Budget::new();
    let read: Vec<(usize, Result<JarFacts, String>)> = jars
        .par_iter()
        .map(|&i| {
            let facts = budget
                .take(artifact.entries[i].unzipped_bytes)
                .and_then(|()| artifact.read(i, JAR_LIMIT).map_err(|e| e.to_string()))
                .and_then(|bytes| read_jar(bytes, 0, &budget));
            (i, facts)
        })
        .collect();
    for (i, facts) in read {
        let path = artifact.entries[i].path.clone();
        let facts = match facts {
            Ok(facts) => facts,
            Err(reason) => {
                claims.warnings.push(Warning::at(
                    &path,
                    format!("jar not read ({reason}); named by its file name"),
                ));
                JarFacts::default()
            }
        };
        let (file_name, file_version) = name_from_file(&path);
        // libraries shaded into the jar: packages of their own, inside it
        // (its bytes stay the jar's), which the jar depends on
        let mut dependencies = facts.dependencies;
        for (name, version) in &facts.shaded {
            dependencies.push(DeclaredDependency {
                name: name.clone(),
                requirement: version.clone().unwrap_or_default(),
                kind: DependencyKind::Normal,
            });
            claims.add_package(Package::found(
                Ecosystem::Maven,
                name.clone(),
                version.clone(),
                path.clone(),
                format!(
                    "{path}!/META-INF/maven/{}/pom.properties",
                    name.replace(':', "/")
                ),
            ));
        }
        let manifest = match &facts.manifest {
            Some(inner) => format!("{path}!/{inner}"),
            None => path.clone(),
        };
        let id = claims.add_package(Package {
            dependencies,
            ..Package::found(
                Ecosystem::Maven,
                facts.name.unwrap_or(file_name),
                facts.version.or(file_version),
                path.clone(),
                manifest,
            )
        });
        claims.files.insert(path, id);
        classes.push((id, facts.classes));
    }
    claim_shaded(artifact, claims);
}

fn is_jar(path: &str) -> bool {
    // every entry passes here: compare without allocating
    path.len() >= 4 && path.as_bytes()[path.len() - 4..].eq_ignore_ascii_case(b".jar")
}

/// `lib/jackson-core-2.14.1.jar` → ("jackson-core", Some("2.14.1")).
pub fn name_from_file(path: &str) -> (String, Option<String>) {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file
        .strip_suffix(".jar")
        .or_else(|| file.strip_suffix(".JAR"))
        .unwrap_or(file);
    // the version starts at the first `-` followed by a digit
    let split = stem
        .char_indices()
        .find(|&(i, c)| c == '-' && stem[i + 1..].starts_with(|d: char| d.is_ascii_digit()));
    match split {
        Some((i, _)) => (stem[..i].to_string(), Some(stem[i + 1..].to_string())),
        None => (stem.to_string(), None),
    }
}

/// Reads a jar held in memory: its identity, dependencies and classes.
pub fn read_jar(bytes: Vec<u8>, depth: usize, budget: &Budget) -> Result<JarFacts, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let mut facts = JarFacts::default();
    let mut poms: Vec<(String, HashMap<String, String>)> = Vec::new();
    let mut pom_xml: HashMap<String, String> = HashMap::new();
    let mut manifest: Option<String> = None;
    let mut nested: Vec<usize> = Vec::new();
    // names from the central directory only; contents read when needed
    let names: Vec<String> = zip
        .file_names_raw()
        .map(|raw| String::from_utf8_lossy(raw).into_owned())
        .collect();
    for (i, name) in names.into_iter().enumerate() {
        if name.ends_with(".class") {
            facts.classes.push(name);
        } else if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
            if let Some(text) = small_text(&mut zip, i) {
                poms.push((name, properties(&text)));
            }
        } else if name.starts_with("META-INF/maven/") && name.ends_with("/pom.xml") {
            if let Some(text) = small_text(&mut zip, i) {
                pom_xml.insert(name, text);
            }
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            manifest = small_text(&mut zip, i);
        } else if is_jar(&name) {
            nested.push(i);
        }
    }
    if depth < MAX_DEPTH {
        for i in nested {
            let Ok(mut entry) = zip.by_index(i) else {
                continue;
            };
            if entry.size() > JAR_LIMIT || budget.take(entry.size()).is_err() {
                continue;
            }
            let mut bytes = Vec::new();
            if entry
                .by_ref()
                .take(JAR_LIMIT)
                .read_to_end(&mut bytes)
                .is_err()
            {
                continue;
            }
            drop(entry);
            if let Ok(inner) = read_jar(bytes, depth + 1, budget) {
                facts.classes.extend(inner.classes);
                facts.nested += 1 + inner.nested;
            }
        }
    }
    // the jar's own pom: the one whose directory is the jar's project; with
    // several, the one its manifest or its classes point at
    let own = pick_own_pom(&poms, manifest.as_deref(), &facts.classes);
    if let Some(index) = own {
        let (path, props) = &poms[index];
        if let (Some(group), Some(artifact)) = (props.get("groupId"), props.get("artifactId")) {
            facts.name = Some(format!("{group}:{artifact}"));
            facts.version = props.get("version").cloned();
            facts.manifest = Some(path.clone());
            let xml_path = path.replace("/pom.properties", "/pom.xml");
            if let Some(xml) = pom_xml.get(&xml_path) {
                facts.dependencies = pom_dependencies(xml);
            }
        }
    }
    for (n, (_, props)) in poms.iter().enumerate() {
        if Some(n) != own {
            if let (Some(g), Some(a)) = (props.get("groupId"), props.get("artifactId")) {
                facts
                    .shaded
                    .push((format!("{g}:{a}"), props.get("version").cloned()));
            }
        }
    }
    if facts.name.is_none() {
        if let Some(text) = &manifest {
            let headers = manifest_headers(text);
            let get = |k: &str| headers.get(k).cloned();
            let name = get("Implementation-Title").or_else(|| get("Bundle-SymbolicName"));
            if let Some(name) = name {
                // `com.example.bundle;singleton:=true`
                facts.name = Some(name.split(';').next().unwrap_or(&name).trim().to_string());
                facts.version = get("Implementation-Version").or_else(|| get("Bundle-Version"));
                facts.manifest = Some("META-INF/MANIFEST.MF".to_string());
            }
        }
    }
    Ok(facts)
}

/// Reads a small text entry (pom, manifest); bigger ones are not metadata.
fn small_text(zip: &mut zip::ZipArchive<Cursor<Vec<u8>>>, index: usize) -> Option<String> {
    let entry = zip.by_index(index).ok()?;
    if entry.size() > 1024 * 1024 {
        return None;
    }
    let mut text = String::new();
    entry.take(1024 * 1024).read_to_string(&mut text).ok()?;
    Some(text)
}

/// The pom.properties describing the jar itself, when it carries several.
fn pick_own_pom(
    poms: &[(String, HashMap<String, String>)],
    manifest: Option<&str>,
    classes: &[String],
) -> Option<usize> {
    match poms.len() {
        0 => return None,
        1 => {
            // a lone pom of a shaded-in library (Guice carries cglib's): its
            // classes are not the jar's main ones when the manifest names
            // another bundle
            let (_, props) = &poms[0];
            let group = props.get("groupId").map(String::as_str).unwrap_or("");
            let bundle = manifest
                .map(manifest_headers)
                .and_then(|h| h.get("Bundle-SymbolicName").cloned());
            return match bundle {
                Some(b)
                    if !b.starts_with(group)
                        && !group.starts_with(b.split(';').next().unwrap_or(&b)) =>
                {
                    None
                }
                _ => Some(0),
            };
        }
        _ => {}
    }
    // several: the group whose package path holds the most classes
    poms.iter()
        .enumerate()
        .max_by_key(|(_, (_, props))| {
            let prefix = props
                .get("groupId")
                .map(|g| g.replace('.', "/") + "/")
                .unwrap_or_default();
            classes.iter().filter(|c| c.starts_with(&prefix)).count()
        })
        .map(|(i, _)| i)
}

fn properties(text: &str) -> HashMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#') && !l.starts_with('!'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// `Key: value` headers; a line starting with a space continues the last.
pub fn manifest_headers(text: &str) -> HashMap<String, String> {
    let mut headers: HashMap<String, String> = HashMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if let Some(rest) = line.strip_prefix(' ') {
            if let Some(value) = last.as_ref().and_then(|k| headers.get_mut(k)) {
                value.push_str(rest);
            }
        } else if let Some((key, value)) = line.split_once(':') {
            headers.insert(key.trim().to_string(), value.trim().to_string());
            last = Some(key.trim().to_string());
        }
    }
    headers
}

/// `<dependencies>` of a pom.xml that a runtime classpath needs: not test,
/// provided or system scope; optional ones marked so.
fn pom_dependencies(xml: &str) -> Vec<DeclaredDependency> {
    let Ok(document) = roxmltree::Document::parse(xml) else {
        return Vec::new();
    };
    let child = |node: roxmltree::Node, name: &str| -> Option<String> {
        node.children()
            .find(|c| c.tag_name().name() == name)
            .and_then(|c| c.text())
            .map(|t| t.trim().to_string())
    };
    let Some(dependencies) = document
        .root_element()
        .children()
        .find(|c| c.tag_name().name() == "dependencies")
    else {
        return Vec::new();
    };
    dependencies
        .children()
        .filter(|c| c.tag_name().name() == "dependency")
        .filter_map(|d| {
            let scope = child(d, "scope").unwrap_or_default();
            if matches!(scope.as_str(), "test" | "provided" | "system") {
                return None;
            }
            let name = format!("{}:{}", child(d, "groupId")?, child(d, "artifactId")?);
            let optional = child(d, "optional").is_some_and(|o| o == "true");
            Some(DeclaredDependency {
                name,
                requirement: child(d, "version").unwrap_or_default(),
                kind: if optional {
                    DependencyKind::Optional
                } else {
                    DependencyKind::Normal
                },
            })
        })
        .collect()
}

/// A fat jar's own `META-INF/maven/<g>/<a>/pom.properties`: one package
/// each, owning the classes under its groupId's path (`com/fasterxml/…`).
fn claim_shaded(artifact: &Artifact, claims: &mut Claims) {
    let poms: Vec<usize> = artifact
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            e.kind == EntryKind::File
                && e.path.starts_with("META-INF/maven/")
                && e.path.ends_with("/pom.properties")
        })
        .map(|(i, _)| i)
        .collect();
    for i in poms {
        let Ok(text) = artifact.read_text(i) else {
            continue;
        };
        let props = properties(&text);
        let (Some(group), Some(name)) = (props.get("groupId"), props.get("artifactId")) else {
            continue;
        };
        let path = &artifact.entries[i].path;
        let dir = path.trim_end_matches("/pom.properties").to_string();
        let xml = artifact
            .find(&format!("{dir}/pom.xml"))
            .and_then(|x| artifact.read_text(x).ok());
        let id = claims.add_package(Package {
            dependencies: xml.map(|x| pom_dependencies(&x)).unwrap_or_default(),
            ..Package::found(
                Ecosystem::Maven,
                format!("{group}:{name}"),
                props.get("version").cloned(),
                dir.clone(),
                path.clone(),
            )
        });
        claims.dirs.insert(dir, id);
        // a group's classes; a more specific group claimed later wins
        let prefix = group.replace('.', "/");
        if !prefix.is_empty() && !claims.dirs.contains_key(&prefix) {
            claims.dirs.insert(prefix, id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_jar_files_and_manifests() {
        assert_eq!(
            name_from_file("lib/jackson-core-2.14.1.jar"),
            ("jackson-core".into(), Some("2.14.1".into()))
        );
        assert_eq!(name_from_file("lib/guava.jar"), ("guava".into(), None));
        let headers = manifest_headers(
            "Manifest-Version: 1.0\r\nBundle-SymbolicName: com.google.inject;singlet\r\n on:=true\r\n",
        );
        assert_eq!(
            headers["Bundle-SymbolicName"],
            "com.google.inject;singleton:=true"
        );
    }

    #[test]
    fn pom_dependencies_skip_test_and_provided_scope() {
        let xml = r#"<project xmlns="http://maven.apache.org/POM/4.0.0">
          <dependencyManagement><dependencies><dependency><groupId>x</groupId><artifactId>managed</artifactId></dependency></dependencies></dependencyManagement>
          <dependencies>
            <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-core</artifactId><version>2.14.1</version></dependency>
            <dependency><groupId>junit</groupId><artifactId>junit</artifactId><scope>test</scope></dependency>
            <dependency><groupId>javax.servlet</groupId><artifactId>servlet-api</artifactId><scope>provided</scope></dependency>
            <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><optional>true</optional></dependency>
          </dependencies></project>"#;
        let deps = pom_dependencies(xml);
        let names: Vec<&str> = deps.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "com.fasterxml.jackson.core:jackson-core",
                "org.slf4j:slf4j-api"
            ]
        );
        assert_eq!(deps[1].kind, DependencyKind::Optional);
    }
}
