//! The stable machine-readable report (see the JSON contract in DESIGN.md).

use std::io::{self, Write};

use super::{Render, Report};

pub struct Json;

impl Render for Json {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
}
