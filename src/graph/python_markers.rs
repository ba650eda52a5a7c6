//! Python requirement markers (`; python_version < "3.10"`, `; extra ==
//! "socks"`) evaluated for the Lambda environment the function runs in, so
//! the graph follows the edges pip followed when it installed the package.

use std::str::FromStr;

use pep508_rs::{
    ExtraName, MarkerEnvironment, MarkerEnvironmentBuilder, Requirement, VersionOrUrl,
};

/// Lambda's Python: CPython on Linux; version and machine as known.
pub struct PythonEnvironment {
    /// `None` when the Python version is unknown: then only extras decide.
    markers: Option<MarkerEnvironment>,
}

impl PythonEnvironment {
    pub fn new(python_version: Option<(u32, u32)>, arm64: bool) -> Self {
        let markers = python_version.and_then(|(major, minor)| {
            let version = format!("{major}.{minor}");
            let full = format!("{major}.{minor}.0");
            MarkerEnvironment::try_from(MarkerEnvironmentBuilder {
                implementation_name: "cpython",
                implementation_version: &full,
                os_name: "posix",
                platform_machine: if arm64 { "aarch64" } else { "x86_64" },
                platform_python_implementation: "CPython",
                platform_release: "",
                platform_system: "Linux",
                platform_version: "",
                python_full_version: &full,
                python_version: &version,
                sys_platform: "linux",
            })
            .ok()
        });
        PythonEnvironment { markers }
    }

    /// Whether a requirement applies when its dependent was installed with
    /// `active_extras`.
    pub fn applies(&self, requirement: &Requirement, active_extras: &[ExtraName]) -> bool {
        requirement
            .marker
            .evaluate_optional_environment(self.markers.as_ref(), active_extras)
    }
}

/// Parses a `Requires-Dist` value.
pub fn parse_requirement(text: &str) -> Option<Requirement> {
    Requirement::from_str(text).ok()
}

/// The version part of a requirement as written (`<3,>=1.21.1`).
pub fn version_text(requirement: &Requirement) -> String {
    match &requirement.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(spec)) => spec.to_string(),
        Some(VersionOrUrl::Url(url)) => url.to_string(),
        None => String::new(),
    }
}
