//! Java checks that need code: several HTTP clients of the AWS SDK for
//! Java 2.x (`java/multiple-http-clients`), and the same class in two jars
//! (`common/duplicate-package`).

use std::collections::{BTreeMap, HashMap};

use super::{Finding, Level, Location, Saving};
use crate::inventory::{Ecosystem, Inventory};
use crate::units::{human_bytes, thousands};

pub const MULTIPLE_HTTP_CLIENTS: &str = "java/multiple-http-clients";

/// The SDK's HTTP client implementations, by artifactId.
const HTTP_CLIENTS: [&str; 5] = [
    "apache-client",
    "apache5-client",
    "netty-nio-client",
    "url-connection-client",
    "aws-crt-client",
];

pub fn check(inventory: &Inventory) -> Vec<Finding> {
    let mut findings: Vec<Finding> = multiple_http_clients(inventory).into_iter().collect();
    findings.extend(duplicate_classes(inventory));
    findings
}

fn artifact_id(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn multiple_http_clients(inventory: &Inventory) -> Option<Finding> {
    let clients: Vec<&crate::inventory::Package> = inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Maven)
        .filter(|p| {
            (p.name.starts_with("software.amazon.awssdk:") || !p.name.contains(':'))
                && HTTP_CLIENTS.contains(&artifact_id(&p.name))
        })
        .collect();
    if clients.len() < 2 {
        return None;
    }
    let mut concerns = Saving::default();
    for c in &clients {
        concerns.unzipped_bytes += c.totals.unzipped_bytes;
        concerns.zipped_bytes += c.totals.zipped_bytes;
    }
    let list: Vec<String> = clients
        .iter()
        .map(|c| {
            format!(
                "{} ({})",
                artifact_id(&c.name),
                human_bytes(c.totals.unzipped_bytes)
            )
        })
        .collect();
    Some(Finding {
        rule: MULTIPLE_HTTP_CLIENTS.to_string(),
        level: Level::Warn,
        message: format!(
            "{} HTTP clients of the AWS SDK for Java 2.x are shipped: {}; a function needs one (plus one async client if it uses async clients)",
            clients.len(),
            list.join(", ")
        ),
        location: Location {
            path: clients[0].path.clone(),
            line: None,
            column: None,
        },
        package: None,
        saving: None,
        concerns: Some(concerns),
        known: false,
        fix: Some("exclude the clients the code does not use from the SDK modules' dependencies (<exclusions> for apache-client / netty-nio-client) and set the one kept explicitly: .httpClient(AwsCrtHttpClient.create()) or UrlConnectionHttpClient".to_string()),
    })
}

/// Classes that more than one jar holds: the class loader takes the first
/// jar on the classpath, and the other copy is dead weight (or a conflict).
fn duplicate_classes(inventory: &Inventory) -> Vec<Finding> {
    let mut first_owner: HashMap<&str, usize> = HashMap::new();
    // (first jar, second jar) → classes both hold
    let mut shared: BTreeMap<(usize, usize), Vec<&str>> = BTreeMap::new();
    for (package, classes) in &inventory.jar_classes {
        for class in classes {
            if class.ends_with("module-info.class")
                || class.ends_with("package-info.class")
                || class.starts_with("META-INF/")
            {
                continue;
            }
            match first_owner.get(class.as_str()) {
                Some(&other) if other != *package => {
                    shared.entry((other, *package)).or_default().push(class)
                }
                Some(_) => {}
                None => {
                    first_owner.insert(class, *package);
                }
            }
        }
    }
    shared
        .into_iter()
        .filter(|((a, b), _)| {
            // the same library twice is already reported by its name
            inventory.packages[*a].name != inventory.packages[*b].name
        })
        .map(|((a, b), classes)| {
            let (pa, pb) = (&inventory.packages[a], &inventory.packages[b]);
            let id = |p: &crate::inventory::Package| {
                p.label()
            };
            Finding {
                rule: super::duplicates::RULE.to_string(),
                level: Level::Warn,
                message: format!(
                    "{} classes are in both {} ({}) and {} ({}), e.g. {}: the JVM loads whichever jar comes first on the classpath",
                    thousands(classes.len() as u64),
                    id(pa),
                    pa.path,
                    id(pb),
                    pb.path,
                    classes[0]
                ),
                location: Location {
                    path: pb.path.clone(),
                    line: None,
                    column: None,
                },
                package: Some(id(pb)),
                saving: None,
                concerns: Some(Saving::bytes(pb.totals.unzipped_bytes, pb.totals.zipped_bytes)),
                known: false,
                fix: Some("keep one copy: exclude the library from the dependency that shades or repeats it, or depend on the unshaded artifact".to_string()),
            }
        })
        .collect()
}
