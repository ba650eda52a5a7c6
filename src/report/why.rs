//! `deadweight why`: the chains from the root to a package, shortest first,
//! with what each dependent asked for — like `npm explain`.

use std::io::{self, Write};

use owo_colors::Style;
use serde::Serialize;

use crate::graph::{ChainLink, DependencyGraph};
use crate::units::human_bytes;

#[derive(Debug, Serialize)]
pub struct WhyReport {
    pub query: String,
    pub source: String,
    /// One entry per chain: root first, the package last.
    pub chains: Vec<Vec<WhyStep>>,
}

#[derive(Debug, Serialize)]
pub struct WhyStep {
    pub name: String,
    pub version: Option<String>,
    pub path: String,
    /// What the previous step asked for (empty for the root and for
    /// packages nothing declares).
    pub requirement: String,
    pub unzipped_bytes: u64,
}

impl WhyReport {
    pub fn build(
        query: &str,
        source: &str,
        graph: &DependencyGraph,
        chains: Vec<Vec<ChainLink>>,
    ) -> Self {
        let chains = chains
            .into_iter()
            .map(|chain| {
                // a link carries the requirement its node placed on the next node
                let mut steps: Vec<WhyStep> = Vec::with_capacity(chain.len());
                for (i, link) in chain.iter().enumerate() {
                    let requirement = if i == 0 {
                        String::new()
                    } else {
                        chain[i - 1].requirement.clone()
                    };
                    steps.push(match graph.package(link.node) {
                        Some(p) => WhyStep {
                            name: p.name.clone(),
                            version: p.version.clone(),
                            path: p.path.clone(),
                            requirement,
                            unzipped_bytes: p.unzipped_bytes,
                        },
                        None => WhyStep {
                            name: graph.root_label.clone(),
                            version: None,
                            path: String::new(),
                            requirement,
                            unzipped_bytes: 0,
                        },
                    });
                }
                steps
            })
            .collect();
        WhyReport {
            query: query.to_string(),
            source: source.to_string(),
            chains,
        }
    }

    pub fn render_terminal(&self, color: bool, out: &mut dyn Write) -> io::Result<()> {
        let paint = |text: &str, style: Style| {
            if color {
                style.style(text).to_string()
            } else {
                text.to_string()
            }
        };
        let mut last_target = String::new();
        for chain in &self.chains {
            let Some(target) = chain.last() else { continue };
            let size = match target.unzipped_bytes {
                0 => String::new(),
                bytes => format!("  {}", human_bytes(bytes)),
            };
            let heading = format!(
                "{}@{}  {}{size}",
                target.name,
                target.version.as_deref().unwrap_or("?"),
                target.path,
            );
            if heading != last_target {
                if !last_target.is_empty() {
                    writeln!(out)?;
                }
                writeln!(out, "{}", paint(&heading, Style::new().bold()))?;
                last_target = heading;
            }
            for (depth, step) in chain.iter().enumerate() {
                let indent = "  ".repeat(depth + 1);
                if depth == 0 {
                    writeln!(out, "{indent}{}", paint(&step.name, Style::new().dimmed()))?;
                    continue;
                }
                let asked = if step.requirement.is_empty() && depth == 1 {
                    "(top level: nothing else in the package depends on it)".to_string()
                } else if step.requirement.is_empty() {
                    "(installed, not declared by its parent)".to_string()
                } else {
                    format!("wanted {:?}", step.requirement)
                };
                writeln!(
                    out,
                    "{indent}└─ {}@{}  {}",
                    step.name,
                    step.version.as_deref().unwrap_or("?"),
                    paint(&asked, Style::new().dimmed())
                )?;
            }
        }
        Ok(())
    }

    pub fn render_json(&self, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }
}
