//! The terminal rendering of `deadweight measure`.

use std::io::{self, Write};

use owo_colors::Style;

use crate::measure::{Family, Measurement};
use crate::units::human_bytes;

/// Modules listed under the summary line.
const TOP_MODULES: usize = 10;

pub fn render_terminal(m: &Measurement, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let paint = |text: &str, style: Style| {
        if color {
            style.style(text).to_string()
        } else {
            text.to_string()
        }
    };
    let runtime = match m.runtime {
        Family::Node => format!("node {}", m.runtime_version),
        Family::Python => format!("python {}", m.runtime_version),
    };
    writeln!(
        out,
        "{}  handler {}",
        paint(&m.path, Style::new().bold()),
        m.handler
    )?;
    writeln!(
        out,
        "init (module load), {} fresh processes: min {:.1} ms · median {} · p90 {:.1} ms   [{runtime}]",
        m.runs,
        m.min_ms,
        paint(&format!("{:.1} ms", m.median_ms), Style::new().bold()),
        m.p90_ms,
    )?;
    writeln!(
        out,
        "  the harness importing an {} took {:.2} ms (median); taken off",
        m.baseline_module, m.baseline_ms
    )?;
    match m.runtime {
        Family::Python if !m.modules.is_empty() => {
            writeln!(
                out,
                "\n  top modules by cumulative time (one -X importtime run, {})",
                crate::units::counted(m.modules.len() as u64, "module")
            )?;
            writeln!(out, "  {:>10} {:>10}  module", "cumulative", "self")?;
            for module in m.modules.iter().take(TOP_MODULES) {
                writeln!(
                    out,
                    "  {:>7.1} ms {:>7.1} ms  {}",
                    module.cumulative_ms.unwrap_or(0.0),
                    module.self_ms.unwrap_or(0.0),
                    module.name
                )?;
            }
        }
        Family::Node if !m.modules.is_empty() => {
            let bytes: u64 = m.modules.iter().filter_map(|x| x.bytes).sum();
            writeln!(
                out,
                "\n  loaded {}, {}; the biggest:",
                crate::units::counted(m.modules.len() as u64, "file"),
                human_bytes(bytes)
            )?;
            for module in m.modules.iter().take(TOP_MODULES) {
                writeln!(
                    out,
                    "  {:>10}  {}",
                    human_bytes(module.bytes.unwrap_or(0)),
                    module.name
                )?;
            }
        }
        _ => {}
    }
    for note in &m.notes {
        writeln!(out, "  {} {note}", paint("note:", Style::new().dimmed()))?;
    }
    Ok(())
}
