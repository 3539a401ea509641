//! Configuration from the environment (Lambda functions and local server alike).

use std::env;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    pub table_name: String,
    pub secrets_prefix: String,
    pub zoom_api_url: String,
    pub zoom_oauth_url: String,
    pub public_base_url: Option<String>,
    /// The S3 bucket of archived recordings (AWS).
    pub recordings_bucket: Option<String>,
    /// The SQS queue of archive jobs (AWS); without it, a queue in the store.
    pub recordings_queue_url: Option<String>,
    /// The first wait after a failed archive attempt, doubled per failure
    /// (`ARCHIVE_RETRY_SECONDS`, 0–3600, default 30).
    pub archive_retry_base: std::time::Duration,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("configuration: {name} {problem}")]
pub struct ConfigError {
    pub name: &'static str,
    pub problem: String,
}

fn var(name: &'static str) -> Option<String> {
    env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn check(name: &'static str, ok: bool, problem: &str) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError {
            name,
            problem: problem.to_owned(),
        })
    }
}

fn url(name: &'static str, value: String) -> Result<String, ConfigError> {
    check(
        name,
        (value.starts_with("https://") || value.starts_with("http://")) && value.len() > 8,
        "must be an http(s) URL",
    )?;
    Ok(value.trim_end_matches('/').to_owned())
}

impl AppConfig {
    /// Reads `TABLE_NAME`, `SECRETS_PREFIX`, `ZOOM_API_URL`, `ZOOM_OAUTH_URL`
    /// and `PUBLIC_BASE_URL`, with the documented defaults, and rejects
    /// values that cannot work.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(var)
    }

    pub fn from_lookup(get: impl Fn(&'static str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = get("TABLE_NAME").unwrap_or_else(|| "lms-zoom".into());
        check(
            "TABLE_NAME",
            (3..=255).contains(&table_name.len())
                && table_name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c)),
            "must be 3-255 characters of a-z, A-Z, 0-9, '_', '-', '.'",
        )?;
        let secrets_prefix = get("SECRETS_PREFIX").unwrap_or_else(|| "lms-zoom/".into());
        check(
            "SECRETS_PREFIX",
            secrets_prefix.len() <= 256
                && secrets_prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)),
            "may only hold a-z, A-Z, 0-9 and /_+=.@-",
        )?;
        let zoom_api_url = url(
            "ZOOM_API_URL",
            get("ZOOM_API_URL").unwrap_or_else(|| "https://api.zoom.us/v2".into()),
        )?;
        let zoom_oauth_url = url(
            "ZOOM_OAUTH_URL",
            get("ZOOM_OAUTH_URL").unwrap_or_else(|| "https://zoom.us/oauth/token".into()),
        )?;
        let public_base_url = get("PUBLIC_BASE_URL")
            .map(|v| url("PUBLIC_BASE_URL", v))
            .transpose()?;
        let recordings_bucket = get("RECORDINGS_BUCKET");
        if let Some(bucket) = &recordings_bucket {
            check(
                "RECORDINGS_BUCKET",
                (3..=63).contains(&bucket.len())
                    && bucket
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-".contains(c)),
                "must be an S3 bucket name (3-63 characters of a-z, 0-9, '.', '-')",
            )?;
        }
        let recordings_queue_url = get("RECORDINGS_QUEUE_URL")
            .map(|v| url("RECORDINGS_QUEUE_URL", v))
            .transpose()?;
        let retry = get("ARCHIVE_RETRY_SECONDS").map_or(Ok(30), |v| v.parse::<u64>());
        check(
            "ARCHIVE_RETRY_SECONDS",
            retry.as_ref().is_ok_and(|s| *s <= 3600),
            "must be a whole number of seconds, 0-3600",
        )?;
        Ok(Self {
            table_name,
            secrets_prefix,
            zoom_api_url,
            zoom_oauth_url,
            public_base_url,
            recordings_bucket,
            recordings_queue_url,
            archive_retry_base: std::time::Duration::from_secs(retry.unwrap_or(30)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn from(pairs: &[(&'static str, &str)]) -> Result<AppConfig, ConfigError> {
        let map: HashMap<&str, String> = pairs.iter().map(|(k, v)| (*k, v.to_string())).collect();
        AppConfig::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = from(&[]).unwrap();
        assert_eq!(c.table_name, "lms-zoom");
        assert_eq!(c.secrets_prefix, "lms-zoom/");
        assert_eq!(c.zoom_api_url, "https://api.zoom.us/v2");
        assert_eq!(c.zoom_oauth_url, "https://zoom.us/oauth/token");
        assert_eq!(c.public_base_url, None);
    }

    #[test]
    fn rejects_what_cannot_work() {
        assert_eq!(
            from(&[("TABLE_NAME", "a b")]).unwrap_err().name,
            "TABLE_NAME"
        );
        assert_eq!(
            from(&[("ZOOM_API_URL", "api.zoom.us")]).unwrap_err().name,
            "ZOOM_API_URL"
        );
        assert_eq!(
            from(&[("SECRETS_PREFIX", "x#")]).unwrap_err().name,
            "SECRETS_PREFIX"
        );
        let c = from(&[("PUBLIC_BASE_URL", "https://lms.example.com/")]).unwrap();
        assert_eq!(
            c.public_base_url.as_deref(),
            Some("https://lms.example.com")
        );
    }
}
