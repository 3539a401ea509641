//! Per-license S2S access tokens: cached until shortly before they expire,
//! fetched by one caller at a time per license (the others wait for it),
//! dropped when Zoom rejects them.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::error::ZoomError;
use crate::secrets::Secret;

/// Refresh this long before expiry (or at half the lifetime for short-lived tokens).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

#[derive(Debug)]
pub struct AccessToken {
    pub value: Secret,
    pub scopes: Vec<String>,
    pub refresh_at: Instant,
}

impl AccessToken {
    pub fn new(value: Secret, scopes: Vec<String>, expires_in: Duration) -> Self {
        let usable = expires_in
            .checked_sub(REFRESH_MARGIN)
            .unwrap_or(Duration::ZERO)
            .max(expires_in / 2);
        Self {
            value,
            scopes,
            refresh_at: Instant::now() + usable,
        }
    }

    fn fresh(&self) -> bool {
        Instant::now() < self.refresh_at
    }
}

type Slot = Arc<tokio::sync::Mutex<Option<Arc<AccessToken>>>>;

#[derive(Default)]
pub struct TokenCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl TokenCache {
    fn slot(&self, key: &str) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.entry(key.to_owned()).or_default().clone()
    }

    /// The cached token for `key`, or the one `fetch` gets. While one caller
    /// fetches, the others for the same key wait and then share its token.
    pub async fn get<F, Fut>(&self, key: &str, fetch: F) -> Result<Arc<AccessToken>, ZoomError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, ZoomError>>,
    {
        let slot = self.slot(key);
        let mut current = slot.lock().await;
        if let Some(token) = current.as_ref().filter(|t| t.fresh()) {
            return Ok(token.clone());
        }
        let token = Arc::new(fetch().await?);
        *current = Some(token.clone());
        Ok(token)
    }

    /// Forgets `rejected` if it is still the cached token for `key` (a newer
    /// one fetched meanwhile by another caller stays).
    pub async fn invalidate(&self, key: &str, rejected: &Arc<AccessToken>) {
        let slot = self.slot(key);
        let mut current = slot.lock().await;
        if current.as_ref().is_some_and(|t| Arc::ptr_eq(t, rejected)) {
            *current = None;
        }
    }

    /// Forgets every token of keys starting with `prefix` (a license's, say).
    pub fn forget_prefix(&self, prefix: &str) {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|k, _| !k.starts_with(prefix));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn token(ttl: u64) -> AccessToken {
        AccessToken::new(Secret::new("t"), vec![], Duration::from_secs(ttl))
    }

    #[test]
    fn refreshes_five_minutes_early_or_at_half_life() {
        let long = token(3600);
        let left = long.refresh_at - Instant::now();
        assert!(left <= Duration::from_secs(3300) && left > Duration::from_secs(3290));
        let short = token(60);
        let left = short.refresh_at - Instant::now();
        assert!(left <= Duration::from_secs(30) && left > Duration::from_secs(25));
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let calls = (0..50).map(|_| {
            let cache = cache.clone();
            let fetches = fetches.clone();
            tokio::spawn(async move {
                cache
                    .get("lic", || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok(token(3600))
                    })
                    .await
                    .unwrap()
            })
        });
        let tokens = futures::future::join_all(calls).await;
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        let first = tokens[0].as_ref().unwrap();
        assert!(
            tokens
                .iter()
                .all(|t| Arc::ptr_eq(t.as_ref().unwrap(), first))
        );
    }

    #[tokio::test]
    async fn invalidate_drops_only_the_rejected_token() {
        let cache = TokenCache::default();
        let first = cache.get("k", || async { Ok(token(3600)) }).await.unwrap();
        cache.invalidate("k", &first).await;
        let second = cache.get("k", || async { Ok(token(3600)) }).await.unwrap();
        assert!(!Arc::ptr_eq(&first, &second));
        cache.invalidate("k", &first).await; // stale rejection: keeps the new one
        let third = cache.get("k", || async { Ok(token(3600)) }).await.unwrap();
        assert!(Arc::ptr_eq(&second, &third));
    }
}
