//! deadweight audits serverless deployment packages: what is inside and who
//! put it there, what makes the package heavy and slow to cold-start, and
//! what each fix would save.
//!
//! The pipeline runs one way; each stage is a module that takes the previous
//! stage's output and never prints:
//! [`artifact`] → [`inventory`] → [`graph`] → [`analysis`] → [`report`].

pub mod analysis;
pub mod artifact;
pub mod audit;
pub mod comment;
pub mod diff;
pub mod estimate;
pub mod gate;
pub mod graph;
pub mod imports;
pub mod inventory;
pub mod lockfile;
pub mod logs;
pub mod measure;
pub mod report;
pub mod rules;
pub mod template;
pub mod units;
