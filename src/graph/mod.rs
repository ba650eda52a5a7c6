//! The dependency graph: the function (root) → the packages it asks for →
//! what they ask for. Built from the manifests inside an artifact or from a
//! lockfile; answers "why is this here" and "what would removing it free".

pub(crate) mod python_markers;
mod retained;

use std::collections::{HashMap, HashSet, VecDeque};

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::inventory::{DependencyKind, Ecosystem, Inventory};
use crate::lockfile::Lockfile;
use python_markers::{PythonEnvironment, PythonRequirements};

pub use retained::retained_sizes;

/// What the function runs on, as far as it decides which requirements apply.
#[derive(Clone, Copy, Debug, Default)]
pub struct Environment {
    pub python_version: Option<(u32, u32)>,
    pub arm64: bool,
}

/// One package instance: the same name at two paths is two nodes.
#[derive(Clone, Debug)]
pub struct GraphPackage {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: Option<String>,
    /// Install path in the artifact, or the lockfile key.
    pub path: String,
    pub unzipped_bytes: u64,
    pub zipped_bytes: u64,
}

#[derive(Clone, Debug)]
pub enum Node {
    Root,
    Package(GraphPackage),
}

#[derive(Clone, Debug)]
pub struct Edge {
    /// The requirement as the dependent wrote it (`^4.17.1`, `>=2.0`).
    pub requirement: String,
    pub kind: DependencyKind,
    /// False for the edges that attach a package nothing declares to the
    /// root, so that every package is reachable.
    pub declared: bool,
}

pub struct DependencyGraph {
    pub graph: DiGraph<Node, Edge>,
    pub root: NodeIndex,
    /// What the root is called in chains: "the function", a lockfile's project.
    pub root_label: String,
}

/// One link of a why-chain: `dependent` requires `requirement` of the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainLink {
    pub node: NodeIndex,
    pub requirement: String,
}

impl DependencyGraph {
    /// A graph with a root and the given packages; node `i + 1` is package `i`.
    pub fn new(root_label: impl Into<String>, packages: Vec<GraphPackage>) -> Self {
        let mut graph = DiGraph::with_capacity(packages.len() + 1, packages.len() * 3);
        let root = graph.add_node(Node::Root);
        for p in packages {
            graph.add_node(Node::Package(p));
        }
        DependencyGraph {
            graph,
            root,
            root_label: root_label.into(),
        }
    }

    pub fn package_node(index: usize) -> NodeIndex {
        NodeIndex::new(index + 1)
    }

    pub fn package(&self, node: NodeIndex) -> Option<&GraphPackage> {
        match &self.graph[node] {
            Node::Package(p) => Some(p),
            Node::Root => None,
        }
    }

    pub fn add_dependency(
        &mut self,
        from: NodeIndex,
        to: NodeIndex,
        requirement: &str,
        kind: DependencyKind,
    ) {
        if from == to || self.graph.find_edge(from, to).is_some() {
            return;
        }
        self.graph.add_edge(
            from,
            to,
            Edge {
                requirement: requirement.to_string(),
                kind,
                declared: true,
            },
        );
    }

    /// Attaches every package the root cannot reach to the root, so each one
    /// has a chain and a retained size of its own. Heads of unreached
    /// subtrees (nothing unreached depends on them) go first, so a subtree
    /// hangs under its head rather than each member under the root.
    pub fn attach_unreachable(&mut self) {
        let mut reached = self.reachable();
        for heads_only in [true, false] {
            let nodes: Vec<NodeIndex> = self.graph.node_indices().collect();
            for n in nodes {
                if reached.contains(&n) {
                    continue;
                }
                let is_head = self
                    .graph
                    .neighbors_directed(n, Direction::Incoming)
                    .all(|d| d == n || reached.contains(&d));
                if heads_only && !is_head {
                    continue;
                }
                self.graph.add_edge(
                    self.root,
                    n,
                    Edge {
                        requirement: String::new(),
                        kind: DependencyKind::Normal,
                        declared: false,
                    },
                );
                self.extend_reach(n, &mut reached);
            }
        }
    }

    fn extend_reach(&self, from: NodeIndex, reached: &mut HashSet<NodeIndex>) {
        let mut queue = VecDeque::from([from]);
        reached.insert(from);
        while let Some(n) = queue.pop_front() {
            for next in self.graph.neighbors(n) {
                if reached.insert(next) {
                    queue.push_back(next);
                }
            }
        }
    }

    fn reachable(&self) -> HashSet<NodeIndex> {
        let mut seen = HashSet::from([self.root]);
        let mut queue = VecDeque::from([self.root]);
        while let Some(n) = queue.pop_front() {
            for next in self.graph.neighbors(n) {
                if seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        seen
    }

    /// Packages the root depends on with a declared edge.
    /// The packages that list this one among their dependencies, by name,
    /// sorted (the function itself is not one).
    pub fn dependents(&self, node: NodeIndex) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .graph
            .neighbors_directed(node, petgraph::Direction::Incoming)
            .filter_map(|n| self.package(n).map(|p| p.name.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    pub fn is_direct(&self, node: NodeIndex) -> bool {
        self.graph
            .edges_connecting(self.root, node)
            .any(|e| e.weight().declared)
    }

    /// Every shortest chain from the root to each package named `name`,
    /// root first. At most `limit` chains per target.
    pub fn why(
        &self,
        matches: impl Fn(&GraphPackage) -> bool,
        limit: usize,
    ) -> Vec<Vec<ChainLink>> {
        // breadth-first distances and all shortest-path predecessors
        let mut distance: HashMap<NodeIndex, usize> = HashMap::from([(self.root, 0)]);
        let mut predecessors: HashMap<NodeIndex, Vec<(NodeIndex, String)>> = HashMap::new();
        let mut queue = VecDeque::from([self.root]);
        while let Some(n) = queue.pop_front() {
            let d = distance[&n];
            for edge in self.graph.edges(n) {
                let next = edge.target();
                match distance.get(&next) {
                    None => {
                        distance.insert(next, d + 1);
                        predecessors
                            .entry(next)
                            .or_default()
                            .push((n, edge.weight().requirement.clone()));
                        queue.push_back(next);
                    }
                    Some(&dn) if dn == d + 1 => {
                        predecessors
                            .entry(next)
                            .or_default()
                            .push((n, edge.weight().requirement.clone()));
                    }
                    _ => {}
                }
            }
        }
        let mut targets: Vec<NodeIndex> = self
            .graph
            .node_indices()
            .filter(|&n| self.package(n).is_some_and(&matches) && distance.contains_key(&n))
            .collect();
        targets.sort_by_key(|n| (distance[n], n.index()));
        let mut chains = Vec::new();
        for target in targets {
            let mut found = Vec::new();
            let mut partial = vec![ChainLink {
                node: target,
                requirement: String::new(),
            }];
            self.unwind(target, &predecessors, &mut partial, &mut found, limit);
            chains.extend(found);
        }
        chains
    }

    fn unwind(
        &self,
        node: NodeIndex,
        predecessors: &HashMap<NodeIndex, Vec<(NodeIndex, String)>>,
        partial: &mut Vec<ChainLink>,
        found: &mut Vec<Vec<ChainLink>>,
        limit: usize,
    ) {
        if found.len() >= limit {
            return;
        }
        if node == self.root {
            let mut chain = partial.clone();
            chain.reverse();
            found.push(chain);
            return;
        }
        for (pred, requirement) in predecessors.get(&node).into_iter().flatten() {
            partial.push(ChainLink {
                node: *pred,
                requirement: requirement.clone(),
            });
            self.unwind(*pred, predecessors, partial, found, limit);
            partial.pop();
        }
    }
}

/// Builds the graph of the packages installed in an artifact from their own
/// manifests: npm `dependencies` resolved the way Node resolves them (the
/// nearest `node_modules` upward), Python `Requires-Dist` by name (extras
/// only when a dependent asks for them).
pub fn from_inventory(inventory: &Inventory, environment: &Environment) -> DependencyGraph {
    let packages = inventory
        .packages
        .iter()
        .map(|p| GraphPackage {
            ecosystem: p.ecosystem,
            name: p.name.clone(),
            version: p.version.clone(),
            path: p.path.clone(),
            unzipped_bytes: p.totals.unzipped_bytes,
            zipped_bytes: p.totals.zipped_bytes,
        })
        .collect();
    let mut graph = DependencyGraph::new("the function", packages);

    let npm_by_path: HashMap<&str, usize> = inventory
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.ecosystem == Ecosystem::Npm)
        .map(|(i, p)| (p.path.as_str(), i))
        .collect();
    let python_by_name = python_markers::by_name(&inventory.packages);
    // jars and crates by name: a classpath's first jar wins, as the JVM's
    // would; a crate listed twice is told apart by its exact version
    let mut by_name: HashMap<(Ecosystem, &str), Vec<usize>> = HashMap::new();
    for (i, p) in inventory.packages.iter().enumerate() {
        if matches!(p.ecosystem, Ecosystem::Maven | Ecosystem::Cargo) {
            by_name
                .entry((p.ecosystem, p.name.as_str()))
                .or_default()
                .push(i);
        }
    }
    let python = PythonEnvironment::new(environment.python_version, environment.arm64);
    let requirements = PythonRequirements::read(&inventory.packages, &python_by_name);

    for (i, p) in inventory.packages.iter().enumerate() {
        let from = DependencyGraph::package_node(i);
        if p.direct {
            let requirement = p.root_requirement.as_deref().unwrap_or("");
            let kind = match p.root_dev {
                true => DependencyKind::Dev,
                false => DependencyKind::Normal,
            };
            graph.add_dependency(graph.root, from, requirement, kind);
        }
        match p.ecosystem {
            Ecosystem::Npm => {
                for dep in &p.dependencies {
                    if let Some(t) =
                        resolve_node_module(&p.path, &dep.name, |c| npm_by_path.get(c).copied())
                    {
                        graph.add_dependency(
                            from,
                            DependencyGraph::package_node(t),
                            &dep.requirement,
                            dep.kind,
                        );
                    }
                }
            }
            Ecosystem::Pypi => {
                for (n, (dep, requirement)) in p
                    .dependencies
                    .iter()
                    .zip(&requirements.parsed[i])
                    .enumerate()
                {
                    let Some(requirement) = requirement else {
                        continue;
                    };
                    if !requirements.applies(&python, i, n) {
                        continue;
                    }
                    let target = python_by_name
                        .get(requirement.name.as_ref())
                        .and_then(|candidates| closest_site(candidates, &p.path, inventory));
                    if let Some(t) = target {
                        let text = python_markers::version_text(requirement);
                        graph.add_dependency(
                            from,
                            DependencyGraph::package_node(t),
                            &text,
                            dep.kind,
                        );
                    }
                }
            }
            Ecosystem::Maven | Ecosystem::Cargo => {
                for dep in &p.dependencies {
                    let candidates = by_name.get(&(p.ecosystem, dep.name.as_str()));
                    let target = candidates.and_then(|c| {
                        c.iter()
                            .find(|&&t| {
                                inventory.packages[t].version.as_deref()
                                    == Some(dep.requirement.as_str())
                            })
                            .or(c.first())
                            .copied()
                    });
                    if let Some(t) = target {
                        graph.add_dependency(
                            from,
                            DependencyGraph::package_node(t),
                            &dep.requirement,
                            dep.kind,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    graph.attach_unreachable();
    graph
}

/// The graph a lockfile describes; sizes are unknown (zero).
pub fn from_lockfile(lock: &Lockfile) -> DependencyGraph {
    let packages = lock
        .packages
        .iter()
        .map(|p| GraphPackage {
            ecosystem: lock.ecosystem,
            name: p.name.clone(),
            version: Some(p.version.clone()).filter(|v| !v.is_empty()),
            path: p.key.clone(),
            unzipped_bytes: 0,
            zipped_bytes: 0,
        })
        .collect();
    let label = lock
        .project
        .clone()
        .unwrap_or_else(|| "the project".to_string());
    let mut graph = DependencyGraph::new(label, packages);
    for dep in &lock.root {
        if let Some(t) = dep.target {
            graph.add_dependency(
                graph.root,
                DependencyGraph::package_node(t),
                &dep.requirement,
                dep.kind,
            );
        }
    }
    for (i, p) in lock.packages.iter().enumerate() {
        for dep in &p.dependencies {
            if let Some(t) = dep.target {
                graph.add_dependency(
                    DependencyGraph::package_node(i),
                    DependencyGraph::package_node(t),
                    &dep.requirement,
                    dep.kind,
                );
            }
        }
    }
    graph.attach_unreachable();
    graph
}

/// Node's lookup: `<dir>/node_modules/<name>` for the package's own
/// directory and then each directory above it that is not a node_modules,
/// the first that `installed` knows.
pub(crate) fn resolve_node_module<T>(
    from: &str,
    name: &str,
    installed: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let mut dir = from;
    loop {
        if dir != "node_modules" && !dir.ends_with("/node_modules") {
            let candidate = if dir.is_empty() {
                format!("node_modules/{name}")
            } else {
                format!("{dir}/node_modules/{name}")
            };
            if let Some(found) = installed(&candidate) {
                return Some(found);
            }
        }
        if dir.is_empty() {
            return None;
        }
        dir = dir.rfind('/').map(|cut| &dir[..cut]).unwrap_or("");
    }
}

/// Of several installs of one distribution, the one in the same site root.
fn closest_site(candidates: &[usize], from_path: &str, inventory: &Inventory) -> Option<usize> {
    let site = |path: &str| {
        path.rfind('/')
            .map(|c| path[..c].to_string())
            .unwrap_or_default()
    };
    let mine = site(from_path);
    candidates
        .iter()
        .copied()
        .find(|&c| site(&inventory.packages[c].path) == mine)
        .or_else(|| candidates.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_resolution_climbs_to_the_nearest_node_modules() {
        let by_path: HashMap<&str, usize> = HashMap::from([
            ("node_modules/debug", 0),
            ("node_modules/express/node_modules/debug", 1),
            ("node_modules/express", 2),
            ("nodejs/node_modules/ms", 3),
        ]);
        assert_eq!(
            resolve_node_module("node_modules/express", "debug", |c| by_path.get(c).copied()),
            Some(1)
        );
        assert_eq!(
            resolve_node_module("node_modules/body-parser", "debug", |c| by_path
                .get(c)
                .copied()),
            Some(0)
        );
        assert_eq!(
            resolve_node_module("node_modules/express/node_modules/send", "debug", |c| {
                by_path.get(c).copied()
            }),
            Some(1)
        );
        assert_eq!(
            resolve_node_module("nodejs/node_modules/x", "ms", |c| by_path.get(c).copied()),
            Some(3)
        );
        assert_eq!(
            resolve_node_module("node_modules/express", "nope", |c| by_path.get(c).copied()),
            None
        );
    }
}
