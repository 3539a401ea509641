//! Embedded secrets: one JSON file in the data directory, mode 0600, replaced
//! atomically (write a temporary file, fsync, rename) on every change.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::{LicenseSecrets, RECOVERY_WINDOW_DAYS, SecretError, SecretStore, SecretVersion};

/// File name of the secrets inside the data directory.
pub const SECRETS_FILE: &str = "secrets.json";

#[derive(Default, Serialize, Deserialize)]
struct SecretsFile {
    secrets: BTreeMap<String, StoredSecret>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredSecret {
    versions: Vec<StoredVersion>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    deletion_date: Option<DateTime<Utc>>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StoredVersion {
    id: String,
    value: String,
    created_at: DateTime<Utc>,
}

#[derive(Clone)]
pub struct EmbeddedSecretStore {
    path: PathBuf,
    state: Arc<Mutex<SecretsFile>>,
}

fn io(e: impl std::fmt::Display) -> SecretError {
    SecretError::Unavailable(e.to_string())
}

impl EmbeddedSecretStore {
    /// Opens `secrets.json` in `data_dir` (created on first write) and makes
    /// sure an existing file is readable by its owner only.
    pub fn open(data_dir: &Path) -> Result<Self, SecretError> {
        std::fs::create_dir_all(data_dir).map_err(io)?;
        let path = data_dir.join(SECRETS_FILE);
        let state = match std::fs::read(&path) {
            Ok(bytes) => {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(io)?;
                serde_json::from_slice(&bytes).map_err(|_| SecretError::Corrupt)?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => SecretsFile::default(),
            Err(e) => return Err(io(e)),
        };
        Ok(Self {
            path,
            state: Arc::new(Mutex::new(state)),
        })
    }

    /// Changes the secrets under the lock and persists them; memory is only
    /// changed when the file was written.
    fn change<T>(
        &self,
        edit: impl FnOnce(&mut SecretsFile) -> Result<T, SecretError>,
    ) -> Result<T, SecretError> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut copy: SecretsFile =
            serde_json::from_value(serde_json::to_value(&*state).map_err(io)?).map_err(io)?;
        let out = edit(&mut copy)?;
        self.persist(&copy)?;
        *state = copy;
        Ok(out)
    }

    fn persist(&self, file: &SecretsFile) -> Result<(), SecretError> {
        let bytes = serde_json::to_vec_pretty(file).map_err(io)?;
        let tmp = self.path.with_extension("json.tmp");
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io)?;
        out.write_all(&bytes).map_err(io)?;
        out.sync_all().map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        if let Some(dir) = self.path.parent()
            && let Ok(dir) = std::fs::File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn add_version(
        &self,
        name: &str,
        value: &LicenseSecrets,
        must_be_new: bool,
    ) -> Result<SecretVersion, SecretError> {
        let doc = value.to_document();
        self.change(|file| {
            let now = Utc::now();
            let secret = match file.secrets.get_mut(name) {
                Some(_) if must_be_new => {
                    return Err(SecretError::Unavailable(format!("secret {name} exists")));
                }
                Some(s) if s.deletion_date.is_some() => return Err(SecretError::NotFound),
                Some(s) => s,
                None if must_be_new => {
                    file.secrets.entry(name.to_owned()).or_insert(StoredSecret {
                        versions: Vec::new(),
                        deletion_date: None,
                    })
                }
                None => return Err(SecretError::NotFound),
            };
            let id = ulid::Ulid::new().to_string().to_lowercase();
            secret.versions.push(StoredVersion {
                id: id.clone(),
                value: doc.expose().to_owned(),
                created_at: now,
            });
            Ok(id)
        })
    }
}

#[async_trait]
impl SecretStore for EmbeddedSecretStore {
    async fn create(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError> {
        self.add_version(name, value, true)
    }

    async fn put_version(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError> {
        self.add_version(name, value, false)
    }

    async fn get(&self, name: &str, version: &str) -> Result<LicenseSecrets, SecretError> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let secret = state.secrets.get(name).ok_or(SecretError::NotFound)?;
        if secret.deletion_date.is_some() {
            return Err(SecretError::NotFound);
        }
        let stored = secret
            .versions
            .iter()
            .find(|v| v.id == version)
            .ok_or(SecretError::NotFound)?;
        LicenseSecrets::from_document(&stored.value)
    }

    async fn schedule_deletion(&self, name: &str) -> Result<(), SecretError> {
        self.change(|file| {
            let now = Utc::now();
            // Secrets past their recovery window are purged on the way.
            file.secrets
                .retain(|_, s| s.deletion_date.is_none_or(|d| d > now));
            if let Some(secret) = file.secrets.get_mut(name)
                && secret.deletion_date.is_none()
            {
                secret.deletion_date = Some(now + Duration::days(RECOVERY_WINDOW_DAYS));
            }
            Ok(())
        })
    }

    async fn discard(&self, name: &str) -> Result<(), SecretError> {
        self.change(|file| {
            file.secrets.remove(name);
            Ok(())
        })
    }
}
