//! `deadweight rules` and `deadweight explain ID`.

use std::io::{self, Write};

use owo_colors::Style;
use serde::Serialize;

use crate::analysis::Level;
use crate::rules::{Category, Docs, Evidence, Rule, RuleSet};

#[derive(Serialize)]
pub struct RuleDoc<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub level: Level,
    pub category: Category,
    pub builtin: bool,
    pub source: String,
    pub docs: &'a Docs,
    pub evidence: &'a [Evidence],
}

impl<'a> RuleDoc<'a> {
    pub fn new(rule: &'a Rule) -> Self {
        RuleDoc {
            id: &rule.id,
            title: &rule.title,
            level: rule.level,
            category: rule.category,
            builtin: rule.is_builtin(),
            source: format!("{}:{}", rule.source, rule.line),
            docs: &rule.docs,
            evidence: &rule.evidence,
        }
    }
}

fn paint(color: bool, text: &str, style: Style) -> String {
    if color {
        style.style(text).to_string()
    } else {
        text.to_string()
    }
}

pub fn render_list(rules: &RuleSet, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let width = rules.rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut sorted: Vec<&Rule> = rules.rules.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for rule in sorted {
        let level = format!("{:<5}", rule.level.as_str());
        let level = match rule.level {
            Level::Deny => paint(color, &level, Style::new().red()),
            Level::Warn => paint(color, &level, Style::new().yellow()),
            Level::Allow => paint(color, &level, Style::new().dimmed()),
        };
        writeln!(
            out,
            "{}  {level}  {:<11}  {}  {}",
            paint(color, &format!("{:<width$}", rule.id), Style::new().cyan()),
            rule.category.as_str(),
            rule.title,
            paint(
                color,
                &format!(
                    "({}{})",
                    rule.source,
                    if rule.is_builtin() { ", built in" } else { "" }
                ),
                Style::new().dimmed()
            )
        )?;
    }
    Ok(())
}

pub fn render_explain(rule: &Rule, color: bool, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "{}  {}",
        paint(color, &rule.id, Style::new().bold().cyan()),
        rule.title
    )?;
    writeln!(
        out,
        "{}",
        paint(
            color,
            &format!(
                "level {} · category {} · {}:{}{}",
                rule.level.as_str(),
                rule.category.as_str(),
                rule.source,
                rule.line,
                if rule.is_builtin() {
                    " · built-in check"
                } else {
                    ""
                }
            ),
            Style::new().dimmed()
        )
    )?;
    for (heading, text) in [
        ("What it does", &rule.docs.what),
        ("Why is this bad?", &rule.docs.why),
        ("Example", &rule.docs.example),
        ("Use instead", &rule.docs.fix),
    ] {
        writeln!(out, "\n{}", paint(color, heading, Style::new().bold()))?;
        for line in text.trim_end().lines() {
            writeln!(out, "  {line}")?;
        }
    }
    if !rule.evidence.is_empty() {
        writeln!(out, "\n{}", paint(color, "Evidence", Style::new().bold()))?;
        for e in &rule.evidence {
            writeln!(
                out,
                "  {} — {}",
                e.figure,
                paint(color, &e.source, Style::new().dimmed())
            )?;
        }
    }
    Ok(())
}
