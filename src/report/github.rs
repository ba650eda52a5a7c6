//! GitHub Actions workflow commands: one annotation per finding
//! (`::warning file=…,line=…,title=…::message`), at most ten per level since
//! GitHub shows no more, and the Markdown report appended to the job
//! summary when `$GITHUB_STEP_SUMMARY` names a file.

use std::io::{self, Write};

use super::{Markdown, Render, Report};
use crate::analysis::Level;

/// GitHub displays at most this many annotations of each level per step.
pub const PER_LEVEL: usize = 10;

pub struct Github {
    /// Where to append the Markdown summary, from `$GITHUB_STEP_SUMMARY`.
    pub summary: Option<std::path::PathBuf>,
    pub key: Option<String>,
}

/// Escaping for the message part of a workflow command.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping for a property value (`file=`, `title=`): also `:` and `,`.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

impl Render for Github {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        let mut shown = [0usize; 2];
        let mut skipped = [0usize; 2];
        for artifact in &report.artifacts {
            for f in &artifact.findings {
                let (command, slot) = match f.level {
                    Level::Deny if !f.known => ("error", 0),
                    Level::Allow => continue,
                    _ => ("warning", 1),
                };
                if shown[slot] == PER_LEVEL {
                    skipped[slot] += 1;
                    continue;
                }
                shown[slot] += 1;
                let mut properties = vec![format!("file={}", escape_property(&f.location.path))];
                if let Some(line) = f.location.line {
                    properties.push(format!("line={line}"));
                }
                if let Some(column) = f.location.column {
                    properties.push(format!("col={column}"));
                }
                properties.push(format!("title={}", escape_property(&f.rule)));
                let mut message = f.message.clone();
                if let Some(fix) = &f.fix {
                    message.push_str(&format!("\nfix: {fix}"));
                }
                writeln!(
                    out,
                    "::{command} {}::{}",
                    properties.join(","),
                    escape_data(&message)
                )?;
            }
        }
        for (slot, command) in [(0, "error"), (1, "warning")] {
            if skipped[slot] > 0 {
                writeln!(out, "::notice title=deadweight::{} more {command} findings are in the job summary and the JSON report", skipped[slot])?;
            }
        }
        if let Some(path) = &self.summary {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            Markdown {
                key: self.key.clone(),
            }
            .render(report, &mut file)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escaping() {
        assert_eq!(escape_data("50% of it\nnext"), "50%25 of it%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
