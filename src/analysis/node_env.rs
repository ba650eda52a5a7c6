//! Packages that pick a development or a production build by NODE_ENV as
//! they load: React, react-dom's server renderer and many others require
//! `./cjs/react.development.js` unless NODE_ENV is `production`. Lambda
//! leaves NODE_ENV unset unless the function sets it, and a development
//! build is several times the code of the production one (checks, warnings,
//! readable names), all of it parsed at every cold start.

use std::collections::{BTreeSet, HashSet};

use super::{Finding, Level, Location, Saving};
use crate::artifact::Artifact;
use crate::imports::environment::{Value, NODE_ENV};
use crate::imports::reach::{InitLoad, InitWalker};
use crate::imports::Language;
use crate::inventory::{Inventory, Owner};
use crate::units::{counted, human_bytes};

pub const RULE: &str = "node/development-build";

/// Below this much more code loaded, the choice is not worth a finding.
const MIN_EXTRA_BYTES: u64 = 64 * 1024;

/// The development builds init loads because NODE_ENV is not
/// `production`, against what it loads with NODE_ENV=production: the
/// finding, and that init (the fix's saving is priced from it).
pub fn check(
    artifact: &Artifact,
    inventory: &Inventory,
    walker: &InitWalker,
    load: &InitLoad,
) -> Option<(Finding, InitLoad)> {
    if load.language != Language::JavaScript {
        return None;
    }
    let node_env = match walker.variables().get(NODE_ENV)? {
        Value::Set(Some(value)) if value == "production" => return None,
        Value::Set(Some(value)) => Some(value.clone()),
        Value::Set(None) => return None,
        Value::Unset => None,
    };
    let chosen = walker.chosen_by(load, NODE_ENV);
    if chosen.is_empty() {
        return None;
    }
    let production = walker.load_in(
        &Default::default(),
        &walker.variables().with(NODE_ENV, "production"),
    );
    let now: HashSet<usize> = load.loaded.iter().copied().collect();
    let then: HashSet<usize> = production.loaded.iter().copied().collect();
    let bytes = |files: &mut dyn Iterator<Item = &usize>| -> (u64, usize) {
        files.fold((0, 0), |(bytes, n), &i| {
            (bytes + artifact.entries[i].unzipped_bytes, n + 1)
        })
    };
    let (development_bytes, development_files) = bytes(&mut now.difference(&then));
    let (production_bytes, _) = bytes(&mut then.difference(&now));
    if development_bytes < production_bytes + MIN_EXTRA_BYTES {
        return None;
    }
    // where a file loaded in both environments chose a build only this
    // one loads (not the imports inside the builds themselves)
    let choices: Vec<&(usize, u32, usize)> = chosen
        .iter()
        .filter(|(file, _, target)| then.contains(file) && !then.contains(target))
        .collect();
    let &&(chooser, line, _) = choices.first()?;
    let packages: BTreeSet<String> = choices
        .iter()
        .filter_map(|&&(_, _, target)| match inventory.owners.get(target) {
            Some(Owner::Package(p)) => Some(inventory.packages[*p].name.clone()),
            _ => None,
        })
        .collect();
    let builds = match packages.len() {
        0 => "development builds".to_string(),
        _ => format!(
            "the development builds of {}",
            packages.into_iter().collect::<Vec<_>>().join(", ")
        ),
    };
    let why = match node_env {
        Some(value) => format!("NODE_ENV is `{value}`"),
        None => "NODE_ENV is not set (Lambda sets it only when the function does)".to_string(),
    };
    let finding = Finding {
        concerns: Some(Saving::bytes(development_bytes, 0)),
        ..Finding::with_fix(
            RULE,
            Level::Warn,
            format!(
                "init loads {builds} ({}, {}; with NODE_ENV=production, {}): {why}",
                counted(development_files as u64, "file"),
                human_bytes(development_bytes),
                human_bytes(production_bytes),
            ),
            Location {
                path: artifact.entries[chooser].path.clone(),
                line: Some(line),
                column: None,
            },
            "set NODE_ENV=production in the function's environment (Environment: Variables: in template.yaml, environment: in serverless.yml; when it is set elsewhere, e.g. CDK or Terraform, tell deadweight with `--env NODE_ENV=production` or `[function.environment]` in deadweight.toml), or bundle with it defined (esbuild --define:process.env.NODE_ENV='\"production\"')".to_string(),
        )
    };
    Some((finding, production))
}
