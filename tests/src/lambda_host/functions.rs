//! What template.yaml says about each function: its `Timeout`, its
//! `MemorySize`, the HTTP API routes that reach it and its schedule. Kept here as data (the
//! kit cannot read YAML); `tests/tests/lambda_host.rs` checks it against
//! template.yaml so the two cannot drift apart.

use std::time::Duration;

/// One HTTP API route (`Events` of type `HttpApi` in template.yaml).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `ANY` or a method (`POST`).
    pub method: &'static str,
    /// API Gateway's path template, e.g. `/v1/academies/{academyId}/licenses`.
    pub path: &'static str,
    /// Behind the IAM authorizer (the LMS routes); the webhook route is public.
    pub iam: bool,
}

impl Route {
    /// `ANY /v1/academies/{academyId}/licenses`: API Gateway's `routeKey`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The path parameters if `method` and `raw_path` match this route, as
    /// API Gateway matches them (one `{name}` per path segment).
    pub fn matches(&self, method: &str, raw_path: &str) -> Option<Vec<(String, String)>> {
        if self.method != "ANY" && !self.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let pattern: Vec<&str> = self.path.split('/').collect();
        let actual: Vec<&str> = raw_path.split('/').collect();
        if pattern.len() != actual.len() {
            return None;
        }
        let mut params = Vec::new();
        for (p, a) in pattern.iter().zip(&actual) {
            match p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if !a.is_empty() => params.push((name.to_owned(), (*a).to_owned())),
                Some(_) => return None,
                None if p == a => {}
                None => return None,
            }
        }
        Some(params)
    }
}

/// A function as template.yaml declares it.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// The binary's (and the package's) name: `licenses`, `zoom-webhooks`...
    pub name: String,
    /// `Timeout`: Lambda ends an invocation that runs longer.
    pub timeout: Duration,
    /// `MemorySize` in MB (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`).
    pub memory_mb: u32,
    /// The HTTP API routes it serves (none for an EventBridge-only function).
    pub routes: Vec<Route>,
    /// Its EventBridge schedule (`Events` of type `Schedule`), if any.
    pub schedule: Option<&'static str>,
    /// The batch size of its SQS event source (`Events` of type `SQS`), if any.
    pub queue_batch: Option<u64>,
}

const fn lms(path: &'static str) -> Route {
    Route {
        method: "ANY",
        path,
        iam: true,
    }
}

impl FunctionSpec {
    /// A function without routes or schedule (the functions below add
    /// theirs): only [`crate::lambda_host::LambdaHost::invoke_event`] reaches it.
    pub fn named(name: &str, timeout: Duration, memory_mb: u32) -> Self {
        Self {
            name: name.to_owned(),
            timeout,
            memory_mb,
            routes: Vec::new(),
            schedule: None,
            queue_batch: None,
        }
    }

    /// `LicensesFunction`: Globals' Timeout 29 s, MemorySize 256; also the
    /// maintenance status.
    pub fn licenses() -> Self {
        Self {
            routes: vec![
                lms("/v1/academies/{academyId}/licenses"),
                lms("/v1/academies/{academyId}/licenses/{licenseId}"),
                lms("/v1/academies/{academyId}/licenses/{licenseId}/verify"),
                lms("/v1/maintenance/status"),
            ],
            ..Self::named("licenses", Duration::from_secs(29), 256)
        }
    }

    /// `MeetingsFunction`: Globals' Timeout 29 s, MemorySize 256.
    pub fn meetings() -> Self {
        Self {
            routes: vec![
                lms("/v1/academies/{academyId}/meetings"),
                lms("/v1/academies/{academyId}/meetings/{meetingId}"),
                lms("/v1/academies/{academyId}/meetings/{meetingId}/recordings"),
                lms("/v1/academies/{academyId}/meetings/{meetingId}/recordings/sync"),
                lms("/v1/academies/{academyId}/meetings/{meetingId}/recordings/{recordingId}"),
                lms(
                    "/v1/academies/{academyId}/meetings/{meetingId}/recordings/{recordingId}/archive",
                ),
                lms(
                    "/v1/academies/{academyId}/meetings/{meetingId}/recordings/{recordingId}/download",
                ),
                lms("/v1/academies/{academyId}/meetings/{meetingId}/attendance"),
                lms("/v1/academies/{academyId}/meetings/{meetingId}/attendance/sync"),
                lms("/v1/academies/{academyId}/attendance"),
                lms("/v1/academies/{academyId}/series"),
                lms("/v1/academies/{academyId}/series/{seriesId}"),
            ],
            ..Self::named("meetings", Duration::from_secs(29), 256)
        }
    }

    /// `SdkSignatureFunction`: Timeout 15 s, MemorySize 256.
    pub fn sdk_signature() -> Self {
        Self {
            routes: vec![lms(
                "/v1/academies/{academyId}/meetings/{meetingId}/signature",
            )],
            ..Self::named("sdk-signature", Duration::from_secs(15), 256)
        }
    }

    /// `ZoomWebhooksFunction`: Timeout 3 s (Zoom's own limit), MemorySize 512,
    /// one public `POST` route.
    pub fn zoom_webhooks() -> Self {
        Self {
            routes: vec![Route {
                method: "POST",
                path: "/v1/webhooks/zoom/{licenseId}",
                iam: false,
            }],
            ..Self::named("zoom-webhooks", Duration::from_secs(3), 512)
        }
    }

    /// `MaintenanceFunction`: Timeout 50 s, MemorySize 256, no routes; an
    /// EventBridge schedule every minute.
    pub fn maintenance() -> Self {
        Self {
            schedule: Some("rate(1 minute)"),
            ..Self::named("maintenance", Duration::from_secs(50), 256)
        }
    }

    /// `RecordingArchiverFunction`: Timeout 600 s, MemorySize 256, no routes;
    /// the archive queue, one job per invocation.
    pub fn recording_archiver() -> Self {
        Self {
            queue_batch: Some(1),
            ..Self::named("recording-archiver", Duration::from_secs(600), 256)
        }
    }

    /// The six functions of template.yaml.
    pub fn all() -> Vec<Self> {
        vec![
            Self::licenses(),
            Self::meetings(),
            Self::sdk_signature(),
            Self::zoom_webhooks(),
            Self::maintenance(),
            Self::recording_archiver(),
        ]
    }

    /// The route API Gateway picks for this request, with its path parameters.
    pub fn route(&self, method: &str, raw_path: &str) -> Option<(&Route, Vec<(String, String)>)> {
        self.routes
            .iter()
            .find_map(|r| r.matches(method, raw_path).map(|p| (r, p)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_one_segment_per_parameter() {
        let f = FunctionSpec::licenses();
        let (route, params) = f.route("GET", "/v1/academies/a1/licenses/lic_1").unwrap();
        assert_eq!(
            route.key(),
            "ANY /v1/academies/{academyId}/licenses/{licenseId}"
        );
        assert_eq!(
            params,
            vec![
                ("academyId".to_owned(), "a1".to_owned()),
                ("licenseId".to_owned(), "lic_1".to_owned())
            ]
        );
        assert!(f.route("GET", "/v1/academies/a1/licenses/x/y").is_none());
        assert!(f.route("GET", "/v1/academies//licenses").is_none());
        let w = FunctionSpec::zoom_webhooks();
        assert!(w.route("GET", "/v1/webhooks/zoom/lic_1").is_none());
        assert!(w.route("post", "/v1/webhooks/zoom/lic_1").is_some());
    }
}
