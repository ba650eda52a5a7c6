//! Python's `-X importtime` output as a tree.
//!
//! Each line is `import time: SELF | CUMULATIVE | NAME`, in microseconds
//! (recent Pythons may print fractions), with two spaces of indent per
//! level before NAME. A module is printed after everything it imported, so
//! a line's children are the deeper lines collected since its last sibling.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImportNode {
    pub name: String,
    pub self_us: f64,
    pub cumulative_us: f64,
    pub children: Vec<ImportNode>,
}

/// The top-level imports, in the order they finished. Lines that are not
/// timing lines (the header, the program's own output) are skipped.
pub fn parse(stderr: &str) -> Vec<ImportNode> {
    // pending[d]: finished nodes at depth d still waiting for their parent
    let mut pending: Vec<Vec<ImportNode>> = Vec::new();
    for line in stderr.lines() {
        let Some(rest) = line.strip_prefix("import time:") else {
            continue;
        };
        let mut fields = rest.splitn(3, '|');
        let (Some(self_us), Some(cumulative_us), Some(name)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let (Ok(self_us), Ok(cumulative_us)) = (
            self_us.trim().parse::<f64>(),
            cumulative_us.trim().parse::<f64>(),
        ) else {
            continue; // the header line
        };
        let indent = name.len() - name.trim_start().len();
        let depth = indent.saturating_sub(1) / 2;
        if pending.len() < depth + 2 {
            pending.resize_with(depth + 2, Vec::new);
        }
        let children = std::mem::take(&mut pending[depth + 1]);
        pending[depth].push(ImportNode {
            name: name.trim().to_string(),
            self_us,
            cumulative_us,
            children,
        });
    }
    pending.into_iter().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_come_before_their_parent() {
        let text = "\
import time: self [us] | cumulative | imported package
import time:       120 |        120 |   _io
import time:        80 |        200 | io
import time:      30.5 |       30.5 |     c
import time:        10 |       40.5 |   b
import time:         5 |       45.5 | a
noise printed by the module
";
        let roots = parse(text);
        let names: Vec<&str> = roots.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["io", "a"]);
        assert_eq!(roots[0].children[0].name, "_io");
        assert_eq!(roots[1].children[0].name, "b");
        assert_eq!(roots[1].children[0].children[0].name, "c");
        assert_eq!(roots[1].children[0].children[0].self_us, 30.5);
        assert_eq!(roots[1].cumulative_us, 45.5);
    }
}
