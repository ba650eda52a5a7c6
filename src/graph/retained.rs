//! Retained size: what removing a package would really free — the package
//! and every package that only it keeps reachable from the root. That set is
//! exactly the package's subtree in the dominator tree of the graph.

use petgraph::algo::dominators::simple_fast;

use super::{DependencyGraph, Node};

/// (unzipped, zipped) retained bytes per node index; the root's entry is
/// the whole graph.
pub fn retained_sizes(graph: &DependencyGraph) -> Vec<(u64, u64)> {
    let dominators = simple_fast(&graph.graph, graph.root);
    let mut retained = vec![(0u64, 0u64); graph.graph.node_count()];
    for node in graph.graph.node_indices() {
        let own = match &graph.graph[node] {
            Node::Package(p) => (p.unzipped_bytes, p.zipped_bytes),
            Node::Root => continue,
        };
        // every dominator of a node (itself included) would free it
        let mut current = Some(node);
        let mut steps = 0;
        while let Some(d) = current {
            retained[d.index()].0 += own.0;
            retained[d.index()].1 += own.1;
            if d == graph.root || steps > graph.graph.node_count() {
                break;
            }
            steps += 1;
            current = dominators.immediate_dominator(d);
        }
    }
    retained
}

#[cfg(test)]
mod tests {
    use std::collections::{HashSet, VecDeque};

    use petgraph::graph::NodeIndex;

    use super::*;
    use crate::graph::GraphPackage;
    use crate::inventory::{DependencyKind, Ecosystem};

    /// Bytes that become unreachable from the root when `removed` goes.
    fn brute_force(graph: &DependencyGraph, removed: NodeIndex) -> u64 {
        let mut seen = HashSet::from([graph.root]);
        let mut queue = VecDeque::from([graph.root]);
        while let Some(n) = queue.pop_front() {
            for next in graph.graph.neighbors(n) {
                if next != removed && seen.insert(next) {
                    queue.push_back(next);
                }
            }
        }
        graph
            .graph
            .node_indices()
            .filter(|n| !seen.contains(n))
            .filter_map(|n| graph.package(n))
            .map(|p| p.unzipped_bytes)
            .sum()
    }

    #[test]
    fn retained_size_matches_brute_force_on_generated_graphs() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for round in 0..300 {
            let count = 2 + (next() % 40) as usize;
            let packages = (0..count)
                .map(|i| GraphPackage {
                    ecosystem: Ecosystem::Npm,
                    name: format!("p{i}"),
                    version: Some("1.0.0".into()),
                    path: format!("node_modules/p{i}"),
                    unzipped_bytes: 1 + next() % 10_000,
                    zipped_bytes: 1,
                })
                .collect();
            let mut graph = DependencyGraph::new("root", packages);
            let edges = (next() % (count as u64 * 3)) as usize;
            for _ in 0..edges {
                // cycles and self-loops included: npm allows them
                let from = (next() % (count as u64 + 1)) as usize;
                let to = 1 + (next() % count as u64) as usize;
                graph.add_dependency(
                    NodeIndex::new(from),
                    NodeIndex::new(to),
                    "*",
                    DependencyKind::Normal,
                );
            }
            graph.attach_unreachable();
            let retained = retained_sizes(&graph);
            for i in 0..count {
                let node = DependencyGraph::package_node(i);
                assert_eq!(
                    retained[node.index()].0,
                    brute_force(&graph, node),
                    "round {round}, node {i}"
                );
            }
        }
    }
}
