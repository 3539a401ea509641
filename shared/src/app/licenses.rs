//! License use cases: create, read, list, patch (with secret rotation), delete.
//! Secrets go to the secret store; the license records the secret version it
//! uses, so metadata and secret values never disagree even when a step fails.

use chrono::Utc;

use super::maintenance::Resolved;
use super::verify::Verifier;
use crate::deadline;
use crate::domain::license::{License, LicenseKeys, LicensePatch, NewLicense};
use crate::error::AppError;
use crate::repo::repairs::{Repair, RepairRecord, close_claimed, close_repair, open_repair};
use crate::repo::{LicensePage, LicenseRepo, RepoError};
use crate::secrets::{LicenseSecrets, SecretCache, SecretError};

/// Attempts at a read-modify-write before giving up on a busy license.
const WRITE_ATTEMPTS: usize = 5;
/// Kept back from a step for undoing it: a secret discarded, a record closed.
const UNDO_RESERVE: std::time::Duration = std::time::Duration::from_secs(3);
/// How long a create's repair record waits for its owner without a deadline.
const OWNER_FALLBACK: chrono::Duration = chrono::Duration::seconds(60);

#[derive(Clone)]
pub struct LicenseService {
    repo: LicenseRepo,
    secrets: SecretCache,
    secrets_prefix: String,
    verifier: Verifier,
}

/// What `If-Match` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    None,
    Any,
    Versions(Vec<u64>),
    /// A value that can match no version.
    Unmatchable,
}

impl Precondition {
    fn holds(&self, version: u64) -> bool {
        match self {
            Precondition::None | Precondition::Any => true,
            Precondition::Versions(v) => v.contains(&version),
            Precondition::Unmatchable => false,
        }
    }
}

pub fn new_license_id() -> String {
    format!("lic_{}", ulid::Ulid::new().to_string().to_lowercase())
}

impl LicenseService {
    pub fn new(
        repo: LicenseRepo,
        secrets: SecretCache,
        secrets_prefix: impl Into<String>,
        verifier: Verifier,
    ) -> Self {
        Self {
            repo,
            secrets,
            secrets_prefix: secrets_prefix.into(),
            verifier,
        }
    }

    /// The secret values a license uses (the version it names).
    pub async fn secrets_of(
        &self,
        license: &License,
    ) -> Result<std::sync::Arc<LicenseSecrets>, AppError> {
        self.secrets_at(
            &license.academy_id,
            &license.license_id,
            &license.secret_version,
        )
        .await
    }

    /// The secret values of the version `keys` names.
    pub async fn secrets_of_keys(
        &self,
        keys: &LicenseKeys,
    ) -> Result<std::sync::Arc<LicenseSecrets>, AppError> {
        self.secrets_at(&keys.academy_id, &keys.license_id, &keys.secret_version)
            .await
    }

    async fn secrets_at(
        &self,
        academy_id: &str,
        license_id: &str,
        version: &str,
    ) -> Result<std::sync::Arc<LicenseSecrets>, AppError> {
        let name = self.secret_name(academy_id, license_id);
        Ok(self.secrets.get(&name, version).await?)
    }

    pub fn secret_name(&self, academy_id: &str, license_id: &str) -> String {
        format!(
            "{}academies/{academy_id}/licenses/{license_id}",
            self.secrets_prefix
        )
    }

    /// Creates a license; with `verify`, Zoom is asked first and the report
    /// stored with it. A repair record is written before the secret: if the
    /// license is not created (the request failed or died), `maintenance`
    /// discards the secret; the license's insert closes the record.
    pub async fn create(
        &self,
        academy_id: &str,
        new: NewLicense,
        verify: bool,
    ) -> Result<License, AppError> {
        let license_id = new_license_id();
        let secret_name = self.secret_name(academy_id, &license_id);
        let repair = Repair::Secret {
            academy_id: academy_id.to_owned(),
            license_id: license_id.clone(),
            secret_name: secret_name.clone(),
        };
        let record = RepairRecord::new(repair.clone(), OWNER_FALLBACK);
        let repairs = self.repo.repairs();
        repairs.write(vec![open_repair(&record)]).await?;
        let created = deadline::keeping(
            UNDO_RESERVE,
            self.secrets.create(&secret_name, &new.secrets),
        );
        let version = match created.await {
            Ok(version) => version,
            // Refused: nothing was stored, nothing to repair.
            Err(e @ (SecretError::NotFound | SecretError::Corrupt)) => {
                self.close_quietly(&repair).await;
                return Err(e.into());
            }
            // A write that timed out may still land later: `maintenance`
            // discards it once the record is due.
            Err(e) => return Err(e.into()),
        };
        let now = Utc::now();
        let (mut license, secrets) =
            new.into_license(license_id, academy_id.to_owned(), version, now);
        if verify {
            let verified = self.verifier.verify(&license, &secrets);
            license.record_verification(deadline::keeping(UNDO_RESERVE, verified).await);
        }
        let inserted = self.repo.insert_with(&license, vec![close_repair(&repair)]);
        if let Err(e) = inserted.await {
            // No license refers to the secret: take it back now if possible.
            match self.secrets.discard(&secret_name).await {
                Ok(()) => self.close_quietly(&repair).await,
                Err(discard) => {
                    tracing::warn!(secret = %secret_name, error = %discard, "could not discard the secret of a license that was not created; maintenance will")
                }
            }
            return Err(e.into());
        }
        tracing::info!(license_id = %license.license_id, "license created");
        Ok(license)
    }

    /// Closes a repair record whose step was undone; left to `maintenance` when that fails.
    async fn close_quietly(&self, repair: &Repair) {
        if let Err(e) = self.repo.repairs().write(vec![close_repair(repair)]).await {
            tracing::warn!(repair = %repair.id(), error = %e, "could not close a repair record; maintenance will");
        }
    }

    /// Resolves a [`Repair::Secret`] claimed by `claim`: the secret of a
    /// license that was never created is discarded.
    pub(crate) async fn resolve_secret(
        &self,
        repair: &Repair,
        claim: &str,
    ) -> Result<Resolved, AppError> {
        let Repair::Secret {
            academy_id,
            license_id,
            secret_name,
        } = repair
        else {
            return Err(AppError::Internal("not a secret repair".into()));
        };
        if self.repo.get(academy_id, license_id).await?.is_none() {
            self.secrets.discard(secret_name).await?;
            tracing::info!(license_id = %license_id, "the secret of a license that was never created was discarded");
        }
        self.repo
            .repairs()
            .write(vec![close_claimed(repair, claim)])
            .await?;
        Ok(Resolved::Done)
    }

    pub async fn get(&self, academy_id: &str, license_id: &str) -> Result<License, AppError> {
        self.repo
            .get(academy_id, license_id)
            .await?
            .ok_or(AppError::LicenseNotFound)
    }

    /// The keys of a license (not the rest of it); 404 when unknown.
    pub async fn keys(&self, academy_id: &str, license_id: &str) -> Result<LicenseKeys, AppError> {
        self.repo
            .get_as(academy_id, license_id)
            .await?
            .ok_or(AppError::LicenseNotFound)
    }

    /// The keys of a license found by id alone (for webhooks); `None` when unknown.
    pub async fn find_keys(&self, license_id: &str) -> Result<Option<LicenseKeys>, AppError> {
        Ok(self.repo.find(license_id).await?)
    }

    pub async fn list(
        &self,
        academy_id: &str,
        after: Option<String>,
        limit: usize,
    ) -> Result<LicensePage, AppError> {
        Ok(self.repo.list(academy_id, after, limit).await?)
    }

    /// Every license of an academy, page after page.
    pub async fn list_all(&self, academy_id: &str) -> Result<Vec<License>, AppError> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self.repo.list(academy_id, after, 200).await?;
            all.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    pub async fn patch(
        &self,
        academy_id: &str,
        license_id: &str,
        precondition: Precondition,
        patch: LicensePatch,
        verify: bool,
    ) -> Result<License, AppError> {
        for _ in 0..WRITE_ATTEMPTS {
            let current = self.get(academy_id, license_id).await?;
            if !precondition.holds(current.version) {
                return Err(AppError::VersionConflict {
                    current: current.version,
                });
            }
            let mut next = patch.apply(&current);
            let mut secrets = None;
            if patch.touches_secrets() {
                let name = self.secret_name(academy_id, license_id);
                let old = self.secrets.get(&name, &current.secret_version).await?;
                let new = patch.apply_secrets(&old);
                if new != *old {
                    // A new version (rotation). Until the license below names
                    // it, readers keep using the version the license names.
                    next.secret_version = self.secrets.put_version(&name, &new).await?;
                    next.set_secret_hints(&new);
                    secrets = Some(std::sync::Arc::new(new));
                } else {
                    secrets = Some(old);
                }
            }
            if next == current {
                return Ok(current);
            }
            if next.credentials_differ(&current) {
                next.reset_verification();
                if verify {
                    let secrets = match secrets {
                        Some(s) => s,
                        None => self.secrets_of(&current).await?,
                    };
                    let verified = self.verifier.verify(&next, &secrets);
                    next.record_verification(deadline::keeping(UNDO_RESERVE, verified).await);
                }
            }
            next.version = current.version + 1;
            next.updated_at = Utc::now();
            match self.repo.replace(&current, &next).await {
                Ok(()) => {
                    tracing::info!(license_id, version = next.version, "license updated");
                    return Ok(next);
                }
                Err(RepoError::VersionConflict) if precondition != Precondition::None => {
                    let now = self.get(academy_id, license_id).await?;
                    return Err(AppError::VersionConflict {
                        current: now.version,
                    });
                }
                // Changed meanwhile and the caller did not pin a version: apply the patch again.
                Err(RepoError::VersionConflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::StoreUnavailable(
            "the license kept changing".into(),
        ))
    }

    /// Verifies the license as it is now and stores the report.
    pub async fn verify(&self, academy_id: &str, license_id: &str) -> Result<License, AppError> {
        for _ in 0..WRITE_ATTEMPTS {
            let current = self.get(academy_id, license_id).await?;
            let secrets = self.secrets_of(&current).await?;
            let mut next = current.clone();
            // The report is stored whatever Zoom did: time is kept for that.
            let verified = self.verifier.verify(&current, &secrets);
            next.record_verification(deadline::keeping(UNDO_RESERVE, verified).await);
            next.version = current.version + 1;
            next.updated_at = Utc::now();
            match self.repo.replace(&current, &next).await {
                Ok(()) => return Ok(next),
                // Changed while Zoom was asked: verify what it is now.
                Err(RepoError::VersionConflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::StoreUnavailable(
            "the license kept changing".into(),
        ))
    }

    pub async fn delete(&self, academy_id: &str, license_id: &str) -> Result<(), AppError> {
        for _ in 0..WRITE_ATTEMPTS {
            let current = self.get(academy_id, license_id).await?;
            match self.repo.delete(&current).await {
                Ok(()) => {
                    let name = self.secret_name(academy_id, license_id);
                    if let Err(e) = self.secrets.schedule_deletion(&name).await {
                        // The license is gone; the secret is orphaned but still
                        // recoverable. Say so for an operator to clean up.
                        tracing::warn!(secret = %name, error = %e, "license deleted but its secret could not be scheduled for deletion");
                    }
                    tracing::info!(license_id, "license deleted");
                    return Ok(());
                }
                Err(RepoError::VersionConflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::StoreUnavailable(
            "the license kept changing".into(),
        ))
    }
}
