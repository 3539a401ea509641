//! The request's deadline over any store: a call is not started when too
//! little time is left, and is cut when the deadline comes — both answered
//! `Unavailable`, which the edge turns into `503 store_unavailable` with
//! `Retry-After`. Applied once, around whichever store the state is built
//! on, so the embedded store and DynamoDB keep time the same way.

use async_trait::async_trait;

use super::{Item, Key, Query, Store, StoreError, StoreResult, Write};
use crate::deadline::{self, Waiting};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// A store whose every call keeps to the request's deadline.
pub struct InTime(pub Arc<dyn Store>);

fn out_of_time() -> StoreError {
    StoreError::Unavailable("the request's deadline came first".into())
}

async fn in_time<T>(call: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
    deadline::within(Duration::MAX, Waiting::Store, call)
        .await
        .unwrap_or_else(|_| Err(out_of_time()))
}

#[async_trait]
impl Store for InTime {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        in_time(self.0.get(key)).await
    }

    async fn get_json(&self, key: &Key) -> StoreResult<Option<Vec<u8>>> {
        in_time(self.0.get_json(key)).await
    }

    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>> {
        in_time(self.0.batch_get(keys)).await
    }

    async fn query(&self, query: &Query) -> StoreResult<Vec<Item>> {
        in_time(self.0.query(query)).await
    }

    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()> {
        in_time(self.0.transact(writes)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deadline::Deadline;

    struct Stuck;

    #[async_trait]
    impl Store for Stuck {
        async fn get(&self, _: &Key) -> StoreResult<Option<Item>> {
            std::future::pending().await
        }
        async fn batch_get(&self, _: &[Key]) -> StoreResult<Vec<Item>> {
            std::future::pending().await
        }
        async fn query(&self, _: &Query) -> StoreResult<Vec<Item>> {
            std::future::pending().await
        }
        async fn transact(&self, _: Vec<Write>) -> StoreResult<()> {
            std::future::pending().await
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stuck_store_is_cut_at_the_deadline() {
        let store = InTime(Arc::new(Stuck));
        let started = tokio::time::Instant::now();
        let got = Deadline::after(Duration::from_secs(2))
            .scope(store.get(&Key::new("p", "s")))
            .await;
        assert!(matches!(got, Err(StoreError::Unavailable(_))), "{got:?}");
        assert!(started.elapsed() <= Duration::from_secs(2));
    }
}
