//! An in-process cache of secret versions with a time to live. Licenses name
//! the version they use, so a rotation elsewhere is seen as soon as the
//! license is read again; the TTL bounds how long values stay in memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{LicenseSecrets, SecretError, SecretStore, SecretVersion};

/// How long a secret stays cached by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

type Entries = HashMap<(String, String), (Instant, Arc<LicenseSecrets>)>;

#[derive(Clone)]
pub struct SecretCache {
    store: Arc<dyn SecretStore>,
    ttl: Duration,
    entries: Arc<Mutex<Entries>>,
}

impl SecretCache {
    pub fn new(store: Arc<dyn SecretStore>, ttl: Duration) -> Self {
        Self {
            store,
            ttl,
            entries: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    pub fn store(&self) -> &Arc<dyn SecretStore> {
        &self.store
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One version of a secret, from memory while fresh.
    pub async fn get(&self, name: &str, version: &str) -> Result<Arc<LicenseSecrets>, SecretError> {
        let key = (name.to_owned(), version.to_owned());
        if let Some((at, value)) = self.entries().get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(value.clone());
        }
        let value = Arc::new(in_time(self.store.get(name, version)).await?);
        let mut entries = self.entries();
        entries.retain(|_, (at, _)| at.elapsed() < self.ttl);
        entries.insert(key, (Instant::now(), value.clone()));
        Ok(value)
    }

    /// Forgets every cached version of a secret (after Zoom rejected it, or a delete).
    pub fn invalidate(&self, name: &str) {
        self.entries().retain(|(n, _), _| n != name);
    }

    pub async fn create(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError> {
        in_time(self.store.create(name, value)).await
    }

    pub async fn put_version(
        &self,
        name: &str,
        value: &LicenseSecrets,
    ) -> Result<SecretVersion, SecretError> {
        in_time(self.store.put_version(name, value)).await
    }

    pub async fn schedule_deletion(&self, name: &str) -> Result<(), SecretError> {
        self.invalidate(name);
        in_time(self.store.schedule_deletion(name)).await
    }

    pub async fn discard(&self, name: &str) -> Result<(), SecretError> {
        self.invalidate(name);
        in_time(self.store.discard(name)).await
    }
}

/// A secret store call within the request's deadline (`Unavailable` when
/// it did not fit or was cut).
async fn in_time<T>(
    call: impl std::future::Future<Output = Result<T, SecretError>>,
) -> Result<T, SecretError> {
    use crate::deadline::{self, Waiting};
    deadline::within(Duration::MAX, Waiting::Store, call)
        .await
        .unwrap_or_else(|_| {
            Err(SecretError::Unavailable(
                "the request's deadline came first".into(),
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{EmbeddedSecretStore, Secret};

    fn secrets(client: &str) -> LicenseSecrets {
        LicenseSecrets {
            client_secret: Secret::new(client),
            sdk_secret: Secret::new("sdk"),
            webhook_secret_token: None,
        }
    }

    #[tokio::test]
    async fn serves_from_memory_until_the_ttl_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(EmbeddedSecretStore::open(dir.path()).unwrap());
        let cache = SecretCache::new(store.clone(), Duration::from_millis(200));
        let v1 = cache.create("s", &secrets("one")).await.unwrap();
        assert_eq!(
            cache.get("s", &v1).await.unwrap().client_secret.expose(),
            "one"
        );
        // Gone from the store, still in memory while fresh.
        store.discard("s").await.unwrap();
        assert_eq!(
            cache.get("s", &v1).await.unwrap().client_secret.expose(),
            "one"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(matches!(
            cache.get("s", &v1).await,
            Err(SecretError::NotFound)
        ));
    }

    #[tokio::test]
    async fn invalidate_forgets_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(EmbeddedSecretStore::open(dir.path()).unwrap());
        let cache = SecretCache::new(store.clone(), DEFAULT_TTL);
        let v1 = cache.create("s", &secrets("one")).await.unwrap();
        cache.get("s", &v1).await.unwrap();
        store.discard("s").await.unwrap();
        cache.invalidate("s");
        assert!(matches!(
            cache.get("s", &v1).await,
            Err(SecretError::NotFound)
        ));
    }
}
