//! The Lambda functions of lms-zoom and their timeouts, as `template.yaml`
//! declares them (a test keeps the two equal). The local server gives each
//! function's routes the same timeout, so a request has the same time on
//! every host.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Function {
    /// The binary's name (`functions/<name>`).
    pub name: &'static str,
    /// `Timeout` in `template.yaml`.
    pub timeout: Duration,
}

pub const LICENSES: Function = Function {
    name: "licenses",
    timeout: Duration::from_secs(29),
};
pub const MEETINGS: Function = Function {
    name: "meetings",
    timeout: Duration::from_secs(29),
};
pub const SDK_SIGNATURE: Function = Function {
    name: "sdk-signature",
    timeout: Duration::from_secs(15),
};
/// Zoom counts an answer after 3 s as a failure.
pub const ZOOM_WEBHOOKS: Function = Function {
    name: "zoom-webhooks",
    timeout: Duration::from_secs(3),
};
/// Runs every minute; a run stops well before the next one starts.
pub const MAINTENANCE: Function = Function {
    name: "maintenance",
    timeout: Duration::from_secs(50),
};

/// Streams one recording file from Zoom into S3 per invocation (SQS, batch
/// size 1): a 2 GB file at 20 MB/s takes under two minutes; the rest is
/// headroom for a slow Zoom. The queue's visibility timeout is above it.
pub const RECORDING_ARCHIVER: Function = Function {
    name: "recording-archiver",
    timeout: Duration::from_secs(600),
};

pub const ALL: [Function; 6] = [
    LICENSES,
    MEETINGS,
    SDK_SIGNATURE,
    ZOOM_WEBHOOKS,
    MAINTENANCE,
    RECORDING_ARCHIVER,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// (binary, Timeout in seconds) of every `AWS::Serverless::Function` in
    /// template.yaml; a function without a `Timeout` has the Globals' one.
    fn template_timeouts() -> Vec<(String, u64)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
        let text = std::fs::read_to_string(path).expect("read template.yaml");
        // serde_norway's own Value: template.yaml has CloudFormation tags (!Ref).
        let template: serde_norway::Value = serde_norway::from_str(&text).expect("YAML");
        let default = template["Globals"]["Function"]["Timeout"].as_u64();
        let resources = template["Resources"].as_mapping().expect("Resources");
        let mut functions = Vec::new();
        for (name, resource) in resources {
            if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            let name = name.as_str().unwrap_or_default();
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}: no Metadata.BuildProperties.Binary"));
            let timeout = resource["Properties"]
                .get("Timeout")
                .map_or(default, |t| t.as_u64())
                .unwrap_or_else(|| panic!("{name}: no Timeout, and none in Globals"));
            functions.push((binary.to_owned(), timeout));
        }
        functions.sort();
        functions
    }

    #[test]
    fn every_function_has_template_yaml_s_timeout() {
        let mut ours: Vec<(String, u64)> = ALL
            .iter()
            .map(|f| {
                assert_eq!(f.timeout.subsec_nanos(), 0, "{}: whole seconds", f.name);
                (f.name.to_owned(), f.timeout.as_secs())
            })
            .collect();
        ours.sort();
        assert_eq!(template_timeouts(), ours);
    }
}
