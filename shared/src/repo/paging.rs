//! Cursor paging over a partition: every repository that reads more than
//! one page walks its query through here.

use serde_json::Value;

use crate::store::{Item, Query, SK, Store, StoreError};

/// What a visitor wants after an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    Continue,
    Stop,
}

/// The sort key of an item (the cursor to continue after it).
pub fn sort_key(item: &Item) -> Option<String> {
    item.get(SK).and_then(Value::as_str).map(str::to_owned)
}

/// Runs `query` page after page (`query.limit` items a page), from its
/// cursor on, handing each item to `visit` until the partition range is
/// exhausted or `visit` says [`Walk::Stop`].
pub async fn walk<F>(store: &dyn Store, mut query: Query, mut visit: F) -> Result<(), StoreError>
where
    F: FnMut(Item) -> Result<Walk, StoreError>,
{
    loop {
        let page = store.query(&query).await?;
        let full = page.len() == query.limit;
        let Some(last) = page.last().and_then(sort_key) else {
            return Ok(());
        };
        for item in page {
            if visit(item)? == Walk::Stop {
                return Ok(());
            }
        }
        if !full {
            return Ok(());
        }
        query.after = Some(last);
    }
}

/// Every item `query` matches, decoded.
pub async fn collect<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    query: Query,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    walk(store, query, |item| {
        out.push(super::from_item(item)?);
        Ok(Walk::Continue)
    })
    .await?;
    Ok(out)
}
