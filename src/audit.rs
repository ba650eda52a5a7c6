//! The `audit` pipeline from paths to a [`Report`].

use std::path::PathBuf;

use crate::artifact::{Artifact, OpenError};
use crate::inventory;
use crate::report::{ArtifactReport, Report, ReportOptions};

/// Audits each path in turn; the first that cannot be opened stops the run.
pub fn audit(paths: &[PathBuf], options: &ReportOptions) -> Result<Report, OpenError> {
    let mut artifacts = Vec::with_capacity(paths.len());
    for path in paths {
        let artifact = Artifact::open(path)?;
        let inventory = inventory::build(&artifact);
        artifacts.push(ArtifactReport::build(&artifact, &inventory, options));
    }
    Ok(Report::new(artifacts))
}
