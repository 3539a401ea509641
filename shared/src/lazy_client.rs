//! An AWS client built on first use. Building the S3 and SQS clients costs
//! a cold start about 3 ms of CPU that most invocations of most functions
//! never need (a signature never touches S3), so they are built when the
//! first call needs them.

use std::sync::{Arc, OnceLock};

#[derive(Clone)]
pub struct Lazy<C> {
    cell: Arc<OnceLock<C>>,
    make: Arc<dyn Fn() -> C + Send + Sync>,
}

impl<C> Lazy<C> {
    pub fn new(make: impl Fn() -> C + Send + Sync + 'static) -> Self {
        Self {
            cell: Arc::new(OnceLock::new()),
            make: Arc::new(make),
        }
    }

    /// The client, built on the first call.
    pub fn get(&self) -> &C {
        self.cell.get_or_init(|| (self.make)())
    }

    /// Whether it was built yet.
    pub fn is_built(&self) -> bool {
        self.cell.get().is_some()
    }
}

impl<C: Clone + Send + Sync + 'static> Lazy<C> {
    /// A client already built.
    pub fn ready(client: C) -> Self {
        let lazy = Self::new({
            let client = client.clone();
            move || client.clone()
        });
        let _ = lazy.cell.set(client);
        lazy
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn built_once_on_first_use() {
        let built = Arc::new(AtomicUsize::new(0));
        let counter = built.clone();
        let lazy = Lazy::new(move || counter.fetch_add(1, Ordering::SeqCst) + 40);
        assert!(!lazy.is_built());
        assert_eq!(built.load(Ordering::SeqCst), 0);
        assert_eq!(*lazy.get(), 40);
        assert_eq!(*lazy.clone().get(), 40);
        assert_eq!(built.load(Ordering::SeqCst), 1);
        assert!(Lazy::ready(7u8).is_built());
    }
}
