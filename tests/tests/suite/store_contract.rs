//! The contract of the storage port, written once and run against both
//! implementations: the embedded redb store and DynamoDB (a real moto server).
//! Every case is an `async fn(Arc<dyn Store>)`; `on_both_stores!(store: ...)`
//! at the bottom makes one `#[tokio::test]` per case and store kind.

use std::sync::Arc;

use lms_zoom::store::{
    Condition, Item, Key, MAX_BATCH, MAX_BATCH_BYTES, MAX_ITEM_BYTES, MAX_PK_BYTES, MAX_SK_BYTES,
    Query, SkRange, Store, StoreError, Write, item_size,
};
use serde_json::{Value, json};
use tokio::sync::Barrier;

// ---------------------------------------------------------------- helpers

/// An item with the given key and the attributes of `attrs` (a JSON object).
fn item(pk: &str, sk: &str, attrs: Value) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), pk.into());
    item.insert("sk".into(), sk.into());
    match attrs {
        Value::Object(map) => item.extend(map),
        Value::Null => {}
        other => panic!("attributes must be an object, not {other}"),
    }
    item
}

fn key(pk: &str, sk: &str) -> Key {
    Key::new(pk, sk)
}

fn version_is(n: u64) -> Condition {
    Condition::AttrEquals("version".into(), Value::from(n))
}

async fn get(store: &Arc<dyn Store>, pk: &str, sk: &str) -> Option<Item> {
    store.get(&key(pk, sk)).await.expect("get")
}

async fn put(store: &Arc<dyn Store>, item: Item) {
    store
        .transact(vec![Write::put(item)])
        .await
        .expect("unconditional put");
}

/// The sort keys of some items, in order.
fn sks(items: &[Item]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["sk"].as_str().expect("string sk").to_owned())
        .collect()
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[track_caller]
fn assert_failed_at(result: Result<(), StoreError>, expected: &[usize]) {
    match result {
        Err(StoreError::ConditionFailed { failed }) => assert_eq!(
            failed, expected,
            "ConditionFailed must name exactly the failing writes"
        ),
        other => panic!("expected ConditionFailed {expected:?}, got {other:?}"),
    }
}

#[track_caller]
fn assert_invalid_read<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "expected StoreError::Invalid, got {result:?}"
    );
}

#[track_caller]
fn assert_invalid(result: Result<(), StoreError>) {
    assert!(
        matches!(result, Err(StoreError::Invalid(_))),
        "expected StoreError::Invalid, got {result:?}"
    );
}

/// Walks a whole query page by page, returning every page's sort keys.
async fn walk(store: &Arc<dyn Store>, base: &Query, limit: usize) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut after = base.after.clone();
    loop {
        let mut q = base.clone().after(after.clone());
        q.limit = limit;
        let page = sks(&store.query(&q).await.expect("query page"));
        assert!(page.len() <= limit, "a page holds at most `limit` items");
        let done = page.len() < limit;
        after = page.last().cloned();
        if !page.is_empty() {
            pages.push(page);
        }
        if done || after.is_none() {
            return pages;
        }
        assert!(pages.len() < 100, "paging does not terminate: {pages:?}");
    }
}

// ------------------------------------------------------------------ cases

async fn put_get_round_trip(store: Arc<dyn Store>) {
    let original = item(
        "ROUND",
        "TRIP#1",
        json!({
            "nested": {"a": {"b": [1, "two", {"three": 3}]}, "flag": false},
            "list": [1, -2, 2.5, "x", true, null, [], {"k": "v"}],
            "yes": true,
            "no": false,
            "nothing": null,
            "big": u64::MAX,
            "small": i64::MIN,
            "version": 7,
            "text": "ñandú 🦀 日本語 «quoted» \"\\ \n\t",
            "empty": "",
        }),
    );
    put(&store, original.clone()).await;
    let read = get(&store, "ROUND", "TRIP#1")
        .await
        .expect("item was written");
    assert_eq!(read, original);
    // Numbers keep their exact value and integer kind.
    assert_eq!(read["big"].as_u64(), Some(u64::MAX));
    assert_eq!(read["small"].as_i64(), Some(i64::MIN));
    assert_eq!(read["version"].as_u64(), Some(7));
    assert!(read["nothing"].is_null());

    // Missing keys, including same pk / same sk elsewhere.
    assert_eq!(get(&store, "ROUND", "TRIP#2").await, None);
    assert_eq!(get(&store, "OTHER", "TRIP#1").await, None);
    assert_eq!(get(&store, "ROUND", "TRIP#").await, None);

    // A put replaces the whole item (attributes not in it are gone).
    let replacement = item("ROUND", "TRIP#1", json!({"only": "this"}));
    put(&store, replacement.clone()).await;
    assert_eq!(get(&store, "ROUND", "TRIP#1").await, Some(replacement));
}

async fn not_exists_fails_with_index_and_batch_is_atomic(store: Arc<dyn Store>) {
    put(&store, item("P", "EXISTING", json!({"v": "old"}))).await;

    // Alone, at index 0.
    let result = store
        .transact(vec![Write::put_if(
            item("P", "EXISTING", json!({"v": "new"})),
            Condition::NotExists,
        )])
        .await;
    assert_failed_at(result, &[0]);

    // A good put at index 0 and a failing condition at index 1: nothing written.
    let result = store
        .transact(vec![
            Write::put(item("P", "FRESH", json!({"v": 1}))),
            Write::put_if(
                item("P", "EXISTING", json!({"v": "new"})),
                Condition::NotExists,
            ),
        ])
        .await;
    assert_failed_at(result, &[1]);
    assert_eq!(
        get(&store, "P", "FRESH").await,
        None,
        "batch was not atomic"
    );
    assert_eq!(
        get(&store, "P", "EXISTING").await.unwrap()["v"],
        json!("old")
    );

    // The failing write in the middle of three; the others are of every kind.
    put(&store, item("P", "TO-DELETE", json!({}))).await;
    let result = store
        .transact(vec![
            Write::put_if(item("P", "FRESH", json!({"v": 1})), Condition::NotExists),
            Write::put_if(item("P", "EXISTING", json!({})), Condition::NotExists),
            Write::delete_if(key("P", "TO-DELETE"), Condition::Exists),
            Write::Update {
                key: key("P", "UPDATED"),
                set: item_attrs(json!({"x": 1})),
                remove: vec![],
                condition: None,
            },
        ])
        .await;
    assert_failed_at(result, &[1]);
    assert_eq!(get(&store, "P", "FRESH").await, None);
    assert!(get(&store, "P", "TO-DELETE").await.is_some());
    assert_eq!(get(&store, "P", "UPDATED").await, None);

    // Two failing writes: both indexes.
    let result = store
        .transact(vec![
            Write::put_if(item("P", "EXISTING", json!({})), Condition::NotExists),
            Write::put(item("P", "FRESH", json!({}))),
            Write::delete_if(key("P", "MISSING"), Condition::Exists),
        ])
        .await;
    assert_failed_at(result, &[0, 2]);
    assert_eq!(get(&store, "P", "FRESH").await, None);

    // NotExists on a missing item passes.
    store
        .transact(vec![Write::put_if(
            item("P", "FRESH", json!({"v": 2})),
            Condition::NotExists,
        )])
        .await
        .expect("NotExists on a missing item holds");
    assert_eq!(get(&store, "P", "FRESH").await.unwrap()["v"], json!(2));
}

/// Attributes (no key) from a JSON object.
fn item_attrs(attrs: Value) -> Item {
    match attrs {
        Value::Object(map) => map,
        other => panic!("attributes must be an object, not {other}"),
    }
}

async fn attr_equals_exists_and_check(store: Arc<dyn Store>) {
    put(
        &store,
        item("V", "DOC", json!({"version": 3, "body": "three"})),
    )
    .await;

    // AttrEquals on a match succeeds.
    store
        .transact(vec![Write::put_if(
            item("V", "DOC", json!({"version": 4, "body": "four"})),
            version_is(3),
        )])
        .await
        .expect("matching version");
    assert_eq!(
        get(&store, "V", "DOC").await.unwrap()["body"],
        json!("four")
    );

    // On a mismatch it fails and writes nothing.
    let result = store
        .transact(vec![Write::put_if(
            item("V", "DOC", json!({"version": 5, "body": "stale"})),
            version_is(3),
        )])
        .await;
    assert_failed_at(result, &[0]);
    assert_eq!(
        get(&store, "V", "DOC").await.unwrap()["body"],
        json!("four")
    );

    // A different type is a mismatch too ("4" is not 4).
    let result = store
        .transact(vec![Write::put_if(
            item("V", "DOC", json!({"version": 5})),
            Condition::AttrEquals("version".into(), json!("4")),
        )])
        .await;
    assert_failed_at(result, &[0]);

    // AttrEquals on a missing item or a missing attribute fails.
    let result = store
        .transact(vec![Write::put_if(
            item("V", "NOPE", json!({"version": 1})),
            version_is(0),
        )])
        .await;
    assert_failed_at(result, &[0]);
    assert_eq!(get(&store, "V", "NOPE").await, None);
    let result = store
        .transact(vec![Write::put_if(
            item("V", "DOC", json!({"version": 5})),
            Condition::AttrEquals("absent".into(), json!(1)),
        )])
        .await;
    assert_failed_at(result, &[0]);

    // AttrEquals on a string attribute.
    store
        .transact(vec![Write::put_if(
            item("V", "DOC", json!({"version": 5, "body": "five"})),
            Condition::AttrEquals("body".into(), json!("four")),
        )])
        .await
        .expect("matching string attribute");

    // Exists fails on a missing item, holds on an existing one.
    let result = store
        .transact(vec![Write::put_if(
            item("V", "MISSING", json!({})),
            Condition::Exists,
        )])
        .await;
    assert_failed_at(result, &[0]);
    assert_eq!(get(&store, "V", "MISSING").await, None);
    store
        .transact(vec![Write::put_if(
            item("V", "DOC", json!({"version": 6})),
            Condition::Exists,
        )])
        .await
        .expect("Exists on an existing item");

    // Check: fails without writing, and blocks the rest of its batch.
    let check_missing = Write::Check {
        key: key("V", "MISSING"),
        condition: Condition::Exists,
    };
    let result = store
        .transact(vec![
            Write::put(item("V", "SIDE", json!({}))),
            check_missing,
        ])
        .await;
    assert_failed_at(result, &[1]);
    assert_eq!(get(&store, "V", "SIDE").await, None);
    assert_eq!(
        get(&store, "V", "MISSING").await,
        None,
        "Check wrote an item"
    );

    // Check: passes without writing (neither creating nor changing its item).
    store
        .transact(vec![
            Write::Check {
                key: key("V", "DOC"),
                condition: version_is(6),
            },
            Write::Check {
                key: key("V", "MISSING"),
                condition: Condition::NotExists,
            },
            Write::put(item("V", "SIDE", json!({"done": true}))),
        ])
        .await
        .expect("checks that hold");
    assert_eq!(get(&store, "V", "SIDE").await.unwrap()["done"], json!(true));
    assert_eq!(
        get(&store, "V", "DOC").await,
        Some(item("V", "DOC", json!({"version": 6})))
    );
    assert_eq!(
        get(&store, "V", "MISSING").await,
        None,
        "Check wrote an item"
    );
}

async fn update_sets_removes_and_creates(store: Arc<dyn Store>) {
    put(
        &store,
        item(
            "U",
            "DOC",
            json!({"version": 1, "keep": "me", "drop": "me", "change": "old"}),
        ),
    )
    .await;

    store
        .transact(vec![Write::Update {
            key: key("U", "DOC"),
            set: item_attrs(json!({"change": "new", "added": {"deep": [1, 2]}, "version": 2})),
            remove: vec!["drop".into(), "never-there".into()],
            condition: Some(version_is(1)),
        }])
        .await
        .expect("conditional update that holds");
    assert_eq!(
        get(&store, "U", "DOC").await,
        Some(item(
            "U",
            "DOC",
            json!({"version": 2, "keep": "me", "change": "new", "added": {"deep": [1, 2]}})
        ))
    );

    // A stale condition fails and changes nothing.
    let result = store
        .transact(vec![Write::Update {
            key: key("U", "DOC"),
            set: item_attrs(json!({"change": "stale"})),
            remove: vec!["keep".into()],
            condition: Some(version_is(1)),
        }])
        .await;
    assert_failed_at(result, &[0]);
    let current = get(&store, "U", "DOC").await.unwrap();
    assert_eq!(current["change"], json!("new"));
    assert_eq!(current["keep"], json!("me"));

    // Only removing.
    store
        .transact(vec![Write::Update {
            key: key("U", "DOC"),
            set: Item::new(),
            remove: vec!["added".into()],
            condition: None,
        }])
        .await
        .expect("remove-only update");
    assert_eq!(
        get(&store, "U", "DOC").await,
        Some(item(
            "U",
            "DOC",
            json!({"version": 2, "keep": "me", "change": "new"})
        ))
    );

    // Without a condition, an update of a missing item creates it.
    store
        .transact(vec![Write::Update {
            key: key("U", "NEW"),
            set: item_attrs(json!({"count": 1, "name": "fresh"})),
            remove: vec!["whatever".into()],
            condition: None,
        }])
        .await
        .expect("update creating the item");
    assert_eq!(
        get(&store, "U", "NEW").await,
        Some(item("U", "NEW", json!({"count": 1, "name": "fresh"})))
    );

    // With Exists, an update of a missing item fails and creates nothing.
    let result = store
        .transact(vec![Write::Update {
            key: key("U", "GHOST"),
            set: item_attrs(json!({"count": 1})),
            remove: vec![],
            condition: Some(Condition::Exists),
        }])
        .await;
    assert_failed_at(result, &[0]);
    assert_eq!(get(&store, "U", "GHOST").await, None);

    // An update may not touch the key.
    assert_invalid(
        store
            .transact(vec![Write::Update {
                key: key("U", "DOC"),
                set: item_attrs(json!({"sk": "ELSEWHERE"})),
                remove: vec![],
                condition: None,
            }])
            .await,
    );
    assert_invalid(
        store
            .transact(vec![Write::Update {
                key: key("U", "DOC"),
                set: Item::new(),
                remove: vec!["pk".into()],
                condition: None,
            }])
            .await,
    );
    assert_eq!(get(&store, "U", "ELSEWHERE").await, None);
    assert!(get(&store, "U", "DOC").await.is_some());
}

async fn delete_semantics(store: Arc<dyn Store>) {
    // Unconditional delete of a missing item is fine.
    store
        .transact(vec![Write::Delete {
            key: key("D", "MISSING"),
            condition: None,
        }])
        .await
        .expect("deleting a missing item");

    // With Exists it fails.
    let result = store
        .transact(vec![Write::delete_if(
            key("D", "MISSING"),
            Condition::Exists,
        )])
        .await;
    assert_failed_at(result, &[0]);

    // Deleting existing items, with and without conditions.
    put(&store, item("D", "A", json!({"version": 1}))).await;
    put(&store, item("D", "B", json!({"version": 1}))).await;
    let result = store
        .transact(vec![Write::delete_if(key("D", "A"), version_is(2))])
        .await;
    assert_failed_at(result, &[0]);
    assert!(get(&store, "D", "A").await.is_some());
    store
        .transact(vec![
            Write::delete_if(key("D", "A"), version_is(1)),
            Write::Delete {
                key: key("D", "B"),
                condition: None,
            },
        ])
        .await
        .expect("deletes");
    assert_eq!(get(&store, "D", "A").await, None);
    assert_eq!(get(&store, "D", "B").await, None);
}

/// The partition the query cases read, plus neighbours that must never show.
async fn seed_query_partition(store: &Arc<dyn Store>) {
    let sks = [
        "LICENSE#b",
        "M#x",
        "LICENSENAME#b",
        "LICENSE#a",
        "LICENSE#c",
        "LICENSENAME#a",
        "LICENSE",
        "LICENSE#",
        "A",
        "LICENSE#a#sub",
    ];
    let writes = sks
        .iter()
        .map(|sk| Write::put(item("ACADEMY#1", sk, json!({"n": sk}))))
        .chain([
            Write::put(item("ACADEMY#2", "LICENSE#a", json!({}))),
            Write::put(item("ACADEMY#10", "LICENSE#b", json!({}))),
            Write::put(item("ACADEMY#", "LICENSE#c", json!({}))),
        ])
        .collect();
    store.transact(writes).await.expect("seed");
}

async fn query_begins_with_isolates_prefix_and_partition(store: Arc<dyn Store>) {
    seed_query_partition(&store).await;
    let q = Query::new("ACADEMY#1", SkRange::BeginsWith("LICENSE#".into()), 100);
    let found = store.query(&q).await.expect("query");
    assert_eq!(
        sks(&found),
        strings(&[
            "LICENSE#",
            "LICENSE#a",
            "LICENSE#a#sub",
            "LICENSE#b",
            "LICENSE#c"
        ])
    );
    // Whole items come back, from the right partition.
    for item in &found {
        assert_eq!(item["pk"], json!("ACADEMY#1"));
        assert_eq!(item["n"], item["sk"]);
    }

    let q = Query::new("ACADEMY#1", SkRange::BeginsWith("LICENSENAME#".into()), 100);
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&["LICENSENAME#a", "LICENSENAME#b"])
    );
    let q = Query::new("ACADEMY#1", SkRange::BeginsWith("M#".into()), 100);
    assert_eq!(sks(&store.query(&q).await.unwrap()), strings(&["M#x"]));
    let q = Query::new("ACADEMY#2", SkRange::BeginsWith("LICENSE#".into()), 100);
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&["LICENSE#a"])
    );
    let q = Query::new("ACADEMY#", SkRange::BeginsWith("LICENSE#".into()), 100);
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&["LICENSE#c"])
    );
    let q = Query::new("ACADEMY#3", SkRange::BeginsWith("LICENSE#".into()), 100);
    assert!(store.query(&q).await.unwrap().is_empty());
    let q = Query::new("ACADEMY#1", SkRange::BeginsWith("Z".into()), 100);
    assert!(store.query(&q).await.unwrap().is_empty());

    // A limit cuts the ordered result.
    let q = Query::new("ACADEMY#1", SkRange::BeginsWith("LICENSE".into()), 3);
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&["LICENSE", "LICENSE#", "LICENSE#a"])
    );
}

async fn query_pages_walk_every_item_once(store: Arc<dyn Store>) {
    // 25 items, inserted in shuffled order, plus neighbours outside the prefix.
    let mut names: Vec<String> = (0..25).map(|i| format!("ITEM#{i:02}")).collect();
    let mut writes: Vec<Write> = names
        .iter()
        .rev()
        .map(|sk| Write::put(item("PAGES", sk, json!({}))))
        .collect();
    writes.push(Write::put(item("PAGES", "ITEL", json!({}))));
    writes.push(Write::put(item("PAGES", "ITEM$", json!({}))));
    writes.push(Write::put(item("PAGES2", "ITEM#00", json!({}))));
    store.transact(writes).await.expect("seed");
    names.sort();

    let base = Query::new("PAGES", SkRange::BeginsWith("ITEM#".into()), 0);
    for limit in [1, 2, 3, 5, 7, 24, 25, 26, 100] {
        let pages = walk(&store, &base, limit).await;
        let all: Vec<String> = pages.concat();
        assert_eq!(all, names, "ascending walk with limit {limit}");
        assert_eq!(pages.len(), names.len().div_ceil(limit), "pages of {limit}");

        let pages = walk(&store, &base.clone().descending(), limit).await;
        let mut reversed = names.clone();
        reversed.reverse();
        assert_eq!(
            pages.concat(),
            reversed,
            "descending walk with limit {limit}"
        );
    }

    // The page after the last item is empty, both ways.
    let mut q = base.clone().after(Some("ITEM#24".into()));
    q.limit = 10;
    assert!(store.query(&q).await.unwrap().is_empty());
    let mut q = base.clone().descending().after(Some("ITEM#00".into()));
    q.limit = 10;
    assert!(store.query(&q).await.unwrap().is_empty());
}

async fn query_descending_order(store: Arc<dyn Store>) {
    seed_query_partition(&store).await;
    let q = Query::new("ACADEMY#1", SkRange::BeginsWith("LICENSE#".into()), 100).descending();
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&[
            "LICENSE#c",
            "LICENSE#b",
            "LICENSE#a#sub",
            "LICENSE#a",
            "LICENSE#"
        ])
    );
    // Descending with a limit takes the greatest keys.
    let q = Query::new("ACADEMY#1", SkRange::BeginsWith("LICENSE#".into()), 2).descending();
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&["LICENSE#c", "LICENSE#b"])
    );
    // A cursor inside the range: strictly before it.
    let q = Query::new("ACADEMY#1", SkRange::BeginsWith("LICENSE#".into()), 2)
        .descending()
        .after(Some("LICENSE#b".into()));
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&["LICENSE#a#sub", "LICENSE#a"])
    );
    // Descending over the whole partition.
    let q = Query::new("ACADEMY#1", SkRange::AtLeast(String::from("\u{1}")), 100).descending();
    let found = sks(&store.query(&q).await.unwrap());
    let mut expected = found.clone();
    expected.sort();
    expected.reverse();
    assert_eq!(found, expected);
    assert_eq!(found.len(), 10);
}

async fn query_between_is_inclusive(store: Arc<dyn Store>) {
    let writes = ["T#1", "T#2", "T#3", "T#4", "T#5", "T#55", "U#1"]
        .iter()
        .map(|sk| Write::put(item("RANGE", sk, json!({}))))
        .chain([Write::put(item("RANGE2", "T#3", json!({})))])
        .collect();
    store.transact(writes).await.expect("seed");

    let between = |lo: &str, hi: &str| {
        Query::new("RANGE", SkRange::Between(lo.to_owned(), hi.to_owned()), 100)
    };
    // Both bounds are existing keys: both included.
    assert_eq!(
        sks(&store.query(&between("T#2", "T#4")).await.unwrap()),
        strings(&["T#2", "T#3", "T#4"])
    );
    // Bounds between keys.
    assert_eq!(
        sks(&store.query(&between("T#1a", "T#5")).await.unwrap()),
        strings(&["T#2", "T#3", "T#4", "T#5"])
    );
    // A single key.
    assert_eq!(
        sks(&store.query(&between("T#3", "T#3")).await.unwrap()),
        strings(&["T#3"])
    );
    // Nothing in between.
    assert!(
        store
            .query(&between("T#3a", "T#3z"))
            .await
            .unwrap()
            .is_empty()
    );
    // Descending, with a limit and a cursor.
    let q = between("T#1", "T#5").descending();
    let mut q2 = q.clone().after(Some("T#4".into()));
    q2.limit = 2;
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&["T#5", "T#4", "T#3", "T#2", "T#1"])
    );
    assert_eq!(
        sks(&store.query(&q2).await.unwrap()),
        strings(&["T#3", "T#2"])
    );
    // Ascending with a cursor on the upper bound: nothing left.
    let q = between("T#1", "T#5").after(Some("T#5".into()));
    assert!(store.query(&q).await.unwrap().is_empty());
}

async fn query_at_least(store: Arc<dyn Store>) {
    let writes = ["A", "B", "B#1", "C", "D"]
        .iter()
        .map(|sk| Write::put(item("ATLEAST", sk, json!({}))))
        .chain([Write::put(item("ATLEAST2", "Z", json!({})))])
        .collect();
    store.transact(writes).await.expect("seed");

    let q = Query::new("ATLEAST", SkRange::AtLeast("B".into()), 100);
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&["B", "B#1", "C", "D"])
    );
    let q = Query::new("ATLEAST", SkRange::AtLeast("B#".into()), 2);
    assert_eq!(sks(&store.query(&q).await.unwrap()), strings(&["B#1", "C"]));
    let q = Query::new("ATLEAST", SkRange::AtLeast("E".into()), 100);
    assert!(store.query(&q).await.unwrap().is_empty());
    let q = Query::new("ATLEAST", SkRange::AtLeast("B".into()), 100).descending();
    assert_eq!(
        sks(&store.query(&q).await.unwrap()),
        strings(&["D", "C", "B#1", "B"])
    );
    let q = Query::new("ATLEAST", SkRange::AtLeast("B".into()), 100).after(Some("B#1".into()));
    assert_eq!(sks(&store.query(&q).await.unwrap()), strings(&["C", "D"]));
}

async fn query_cursor_outside_range(store: Arc<dyn Store>) {
    seed_query_partition(&store).await;
    let prefix = || SkRange::BeginsWith("LICENSE#".into());
    let all = strings(&[
        "LICENSE#",
        "LICENSE#a",
        "LICENSE#a#sub",
        "LICENSE#b",
        "LICENSE#c",
    ]);
    let run = |q: Query| {
        let store = store.clone();
        async move { sks(&store.query(&q).await.expect("query")) }
    };

    // Ascending, cursor before the range: the full range from the start.
    for before in ["A", "LICENSE", "LICENSE\"", "", "\u{1}"] {
        let q = Query::new("ACADEMY#1", prefix(), 100).after(Some(before.into()));
        assert_eq!(run(q).await, all, "ascending after {before:?}");
    }
    let q = Query::new("ACADEMY#1", prefix(), 2).after(Some("A".into()));
    assert_eq!(run(q).await, all[..2].to_vec());
    // Ascending, cursor past the range: empty.
    for past in ["LICENSE$", "LICENSENAME#a", "M#x", "Z", "\u{10FFFF}"] {
        let q = Query::new("ACADEMY#1", prefix(), 100).after(Some(past.into()));
        assert_eq!(
            run(q).await,
            Vec::<String>::new(),
            "ascending after {past:?}"
        );
    }
    // Descending mirrors it: past the range → everything, before it → nothing.
    let mut reversed = all.clone();
    reversed.reverse();
    for past in ["LICENSE$", "M#x", "Z"] {
        let q = Query::new("ACADEMY#1", prefix(), 100)
            .descending()
            .after(Some(past.into()));
        assert_eq!(run(q).await, reversed, "descending before {past:?}");
    }
    for before in ["A", "LICENSE"] {
        let q = Query::new("ACADEMY#1", prefix(), 100)
            .descending()
            .after(Some(before.into()));
        assert_eq!(
            run(q).await,
            Vec::<String>::new(),
            "descending before {before:?}"
        );
    }
    // Between and AtLeast the same way.
    let between = || SkRange::Between("LICENSE#a".into(), "LICENSE#b".into());
    let q = Query::new("ACADEMY#1", between(), 100).after(Some("LICENSE#".into()));
    assert_eq!(
        run(q).await,
        strings(&["LICENSE#a", "LICENSE#a#sub", "LICENSE#b"])
    );
    let q = Query::new("ACADEMY#1", between(), 100).after(Some("LICENSE#c".into()));
    assert_eq!(run(q).await, Vec::<String>::new());
    let q = Query::new("ACADEMY#1", SkRange::AtLeast("LICENSENAME#".into()), 100)
        .after(Some("LICENSE#z".into()));
    assert_eq!(
        run(q).await,
        strings(&["LICENSENAME#a", "LICENSENAME#b", "M#x"])
    );

    // A cursor inside the range that is not an existing key: strictly after it.
    let q = Query::new("ACADEMY#1", prefix(), 100).after(Some("LICENSE#a#".into()));
    assert_eq!(
        run(q).await,
        strings(&["LICENSE#a#sub", "LICENSE#b", "LICENSE#c"])
    );
    let q = Query::new("ACADEMY#1", prefix(), 100)
        .descending()
        .after(Some("LICENSE#bb".into()));
    assert_eq!(
        run(q).await,
        strings(&["LICENSE#b", "LICENSE#a#sub", "LICENSE#a", "LICENSE#"])
    );
}

async fn invalid_batches_write_nothing(store: Arc<dyn Store>) {
    assert_invalid(store.transact(vec![]).await);

    // Two writes to one key (of any kinds).
    assert_invalid(
        store
            .transact(vec![
                Write::put(item("I", "OTHER", json!({}))),
                Write::put(item("I", "SAME", json!({"n": 1}))),
                Write::put(item("I", "SAME", json!({"n": 2}))),
            ])
            .await,
    );
    assert_invalid(
        store
            .transact(vec![
                Write::put(item("I", "SAME", json!({"n": 1}))),
                Write::Check {
                    key: key("I", "SAME"),
                    condition: Condition::NotExists,
                },
            ])
            .await,
    );
    assert_eq!(get(&store, "I", "SAME").await, None);
    assert_eq!(get(&store, "I", "OTHER").await, None);

    // One more than the maximum.
    let too_many: Vec<Write> = (0..=MAX_BATCH)
        .map(|i| Write::put(item("I", &format!("N#{i:03}"), json!({}))))
        .collect();
    assert_eq!(too_many.len(), 101);
    assert_invalid(store.transact(too_many).await);

    // An item without a string key, or with an empty one.
    let mut keyless = Item::new();
    keyless.insert("pk".into(), json!("I"));
    keyless.insert("sk".into(), json!(5));
    assert_invalid(store.transact(vec![Write::put(keyless)]).await);
    assert_invalid(
        store
            .transact(vec![Write::put(item("I", "", json!({})))])
            .await,
    );

    let q = Query::new("I", SkRange::AtLeast("\u{1}".into()), 1000);
    assert!(
        store.query(&q).await.unwrap().is_empty(),
        "an invalid batch wrote something"
    );
}

async fn concurrent_create_has_one_winner(store: Arc<dyn Store>) {
    const TASKS: usize = 8;
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let result = store
                    .transact(vec![Write::put_if(
                        item("RACE", "ONE", json!({"writer": i})),
                        Condition::NotExists,
                    )])
                    .await;
                (i, result)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, result) = task.await.expect("task");
        match result {
            Ok(()) => winners.push(i),
            Err(StoreError::ConditionFailed { failed }) => assert_eq!(failed, vec![0]),
            Err(StoreError::Contention) => {}
            Err(e) => panic!("writer {i}: unexpected {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one creator wins: {winners:?}");
    let stored = get(&store, "RACE", "ONE")
        .await
        .expect("the winner's item is there");
    assert_eq!(stored["writer"], json!(winners[0]));
}

async fn concurrent_optimistic_increments(store: Arc<dyn Store>) {
    const TASKS: u64 = 8;
    put(
        &store,
        item("COUNTER", "C", json!({"version": 0, "by": []})),
    )
    .await;
    let barrier = Arc::new(Barrier::new(TASKS as usize));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let store = store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                for attempt in 0..500 {
                    let current = store.get(&key("COUNTER", "C")).await.expect("get").unwrap();
                    let version = current["version"].as_u64().expect("numeric version");
                    let mut by = current["by"].as_array().cloned().unwrap_or_default();
                    by.push(json!(i));
                    let next = item("COUNTER", "C", json!({"version": version + 1, "by": by}));
                    match store
                        .transact(vec![Write::put_if(next, version_is(version))])
                        .await
                    {
                        Ok(()) => return attempt,
                        Err(StoreError::ConditionFailed { .. } | StoreError::Contention) => {
                            tokio::task::yield_now().await;
                        }
                        Err(e) => panic!("incrementer {i}: unexpected {e:?}"),
                    }
                }
                panic!("incrementer {i} never got through");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let stored = get(&store, "COUNTER", "C").await.unwrap();
    assert_eq!(stored["version"], json!(TASKS), "lost updates: {stored:?}");
    let mut by: Vec<u64> = stored["by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    by.sort_unstable();
    assert_eq!(by, (0..TASKS).collect::<Vec<_>>(), "each increment once");
}

async fn hundred_writes_in_one_batch(store: Arc<dyn Store>) {
    put(&store, item("BIG", "N#000", json!({"old": true}))).await;
    put(&store, item("BIG", "N#001", json!({"version": 1}))).await;
    let writes: Vec<Write> = (0..MAX_BATCH)
        .map(|i| {
            let sk = format!("N#{i:03}");
            match i {
                0 => Write::Delete {
                    key: key("BIG", &sk),
                    condition: Some(Condition::Exists),
                },
                1 => Write::put_if(item("BIG", &sk, json!({"version": 2})), version_is(1)),
                _ => Write::put_if(item("BIG", &sk, json!({"i": i})), Condition::NotExists),
            }
        })
        .collect();
    assert_eq!(writes.len(), 100);
    store.transact(writes).await.expect("a batch of 100");
    let q = Query::new("BIG", SkRange::BeginsWith("N#".into()), 1000);
    let found = store.query(&q).await.unwrap();
    assert_eq!(found.len(), 99);
    assert_eq!(found[0]["version"], json!(2));
    assert_eq!(found[98]["i"], json!(99));

    // A batch of 100 whose last write fails writes none of the 99 others.
    let writes: Vec<Write> = (0..MAX_BATCH)
        .map(|i| {
            let sk = format!("M#{i:03}");
            if i == 99 {
                Write::delete_if(key("BIG", &sk), Condition::Exists)
            } else {
                Write::put(item("BIG", &sk, json!({})))
            }
        })
        .collect();
    assert_failed_at(store.transact(writes).await, &[99]);
    let q = Query::new("BIG", SkRange::BeginsWith("M#".into()), 1000);
    assert!(store.query(&q).await.unwrap().is_empty());
}

/// `limit` is an upper bound, zero included (the embedded store once
/// returned one item for `limit: 0`).
async fn query_limit_is_an_upper_bound(store: Arc<dyn Store>) {
    seed_query_partition(&store).await;
    for limit in [0, 1, 2] {
        let q = Query::new("ACADEMY#1", SkRange::BeginsWith("LICENSE#".into()), limit);
        let found = store.query(&q).await.expect("query");
        assert_eq!(found.len(), limit, "ascending, limit {limit}");
        let found = store.query(&q.clone().descending()).await.expect("query");
        assert_eq!(found.len(), limit, "descending, limit {limit}");
    }
}

/// Updates DynamoDB refuses are refused by both stores, so that a caller that
/// works on the embedded store also works on DynamoDB (`validate_batch` once
/// let an empty update and a set-and-remove of one attribute through).
async fn updates_dynamodb_refuses_are_invalid(store: Arc<dyn Store>) {
    put(&store, item("X", "DOC", json!({"a": 1, "b": 2}))).await;

    // Nothing to set or remove.
    let empty = store
        .transact(vec![Write::Update {
            key: key("X", "NEW"),
            set: Item::new(),
            remove: vec![],
            condition: None,
        }])
        .await;
    assert_invalid(empty);
    assert_eq!(get(&store, "X", "NEW").await, None);

    // One attribute both set and removed (overlapping document paths).
    let overlap = store
        .transact(vec![Write::Update {
            key: key("X", "DOC"),
            set: item_attrs(json!({"a": 5})),
            remove: vec!["a".into()],
            condition: None,
        }])
        .await;
    assert_invalid(overlap);
    assert_eq!(
        get(&store, "X", "DOC").await,
        Some(item("X", "DOC", json!({"a": 1, "b": 2})))
    );
}

// ------------------------------------------------------------ DynamoDB limits

/// `n` bytes of key: ASCII, or two-byte characters (limits count UTF-8 bytes).
fn long(n: usize, wide: bool) -> String {
    if wide {
        assert!(n.is_multiple_of(2));
        "é".repeat(n / 2)
    } else {
        "k".repeat(n)
    }
}

/// A key over DynamoDB's limits is refused on reads as on writes, by both
/// stores with `Invalid` (moto answers an over-long key on GetItem or Query
/// with nothing found; DynamoDB with a ValidationException). At the limits,
/// it is a key like any other.
async fn oversized_keys_are_invalid_on_reads(store: Arc<dyn Store>) {
    for wide in [false, true] {
        let pk = long(MAX_PK_BYTES, wide);
        let sk = long(MAX_SK_BYTES, wide);
        let pk_over = long(MAX_PK_BYTES + 2, wide);
        let sk_over = long(MAX_SK_BYTES + 2, wide);

        // At the limits: written, read back, queried.
        put(&store, item(&pk, &sk, json!({"at": "limit"}))).await;
        assert_eq!(get(&store, &pk, &sk).await.unwrap()["at"], "limit");
        assert!(store.get_json(&key(&pk, &sk)).await.unwrap().is_some());
        let found = store
            .query(&Query::new(&pk, SkRange::BeginsWith(sk.clone()), 10))
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        let found = store
            .query(&Query::new(
                &pk,
                SkRange::Between(sk.clone(), sk.clone()),
                10,
            ))
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        let after = Query::new(&pk, SkRange::AtLeast("a".into()), 10).after(Some(sk.clone()));
        assert!(store.query(&after).await.unwrap().is_empty());
        assert_eq!(store.batch_get(&[key(&pk, &sk)]).await.unwrap().len(), 1);

        // Over the limits: refused, whatever the read.
        assert_invalid_read(store.get(&key(&pk_over, "s")).await);
        assert_invalid_read(store.get(&key("p", &sk_over)).await);
        assert_invalid_read(store.get_json(&key(&pk_over, "s")).await);
        assert_invalid_read(store.get_json(&key("p", &sk_over)).await);
        let queries = [
            Query::new(&pk_over, SkRange::AtLeast("a".into()), 10),
            Query::new("p", SkRange::BeginsWith(sk_over.clone()), 10),
            Query::new("p", SkRange::Between("a".into(), sk_over.clone()), 10),
            Query::new("p", SkRange::Between(sk_over.clone(), "z".into()), 10),
            Query::new("p", SkRange::AtLeast(sk_over.clone()), 10),
            Query::new("p", SkRange::AtLeast("a".into()), 10).after(Some(sk_over.clone())),
            // A cursor outside the range is still a key value.
            Query::new("p", SkRange::BeginsWith("a".into()), 10).after(Some(sk_over.clone())),
            Query::new(&pk_over, SkRange::AtLeast("a".into()), 0),
        ];
        for q in &queries {
            assert_invalid_read(store.query(q).await);
            assert_invalid_read(store.query(&q.clone().descending()).await);
        }
        assert_invalid_read(store.batch_get(&[key(&pk, &sk), key("p", &sk_over)]).await);
    }
    // Empty key values are refused too (DynamoDB and moto alike).
    assert_invalid_read(store.get(&key("p", "")).await);
    assert_invalid_read(store.get(&key("", "s")).await);
    assert_invalid_read(
        store
            .query(&Query::new("", SkRange::AtLeast("a".into()), 1))
            .await,
    );
    assert_invalid_read(
        store
            .query(&Query::new("p", SkRange::BeginsWith(String::new()), 1))
            .await,
    );
    assert_invalid_read(store.batch_get(&[key("p", "")]).await);
}

/// The same limits on writes: refused before anything is written.
async fn oversized_keys_are_invalid_on_writes(store: Arc<dyn Store>) {
    let pk_over = long(MAX_PK_BYTES + 1, false);
    let sk_over = long(MAX_SK_BYTES + 1, false);
    assert_invalid(
        store
            .transact(vec![Write::put(item(&pk_over, "s", json!({})))])
            .await,
    );
    assert_invalid(
        store
            .transact(vec![Write::put(item("p", &sk_over, json!({})))])
            .await,
    );
    assert_invalid(
        store
            .transact(vec![
                Write::put(item("p", "fine", json!({}))),
                Write::Delete {
                    key: key("p", &sk_over),
                    condition: None,
                },
            ])
            .await,
    );
    assert_invalid(
        store
            .transact(vec![Write::Check {
                key: key(&pk_over, "s"),
                condition: Condition::NotExists,
            }])
            .await,
    );
    assert_eq!(get(&store, "p", "fine").await, None);
}

/// An item of `bytes` bytes as the port counts them, padded by one string.
fn item_of_size(pk: &str, sk: &str, mut attrs: Value, bytes: usize) -> Item {
    attrs["pad"] = json!("");
    let bare = item(pk, sk, attrs.clone());
    let base = item_size(&bare);
    assert!(base <= bytes);
    attrs["pad"] = json!("x".repeat(bytes - base));
    let sized = item(pk, sk, attrs);
    assert_eq!(item_size(&sized), bytes);
    sized
}

/// The item size limit is one boundary on both stores: an item of exactly
/// `MAX_ITEM_BYTES` (DynamoDB's count: names + values, see `item_size`) is
/// stored and read back; one byte more is refused and nothing is written.
async fn item_size_boundary_is_the_same(store: Arc<dyn Store>) {
    // A plain item, and one whose size is mostly numbers, lists and maps
    // (where DynamoDB's and moto's counts are below ours).
    let nested = json!({
        "numbers": (0..2000).collect::<Vec<_>>(),
        "maps": (0..500).map(|i| json!({"i": i, "ok": true, "none": null})).collect::<Vec<_>>(),
        "ñame": "ünïcode 日本",
    });
    for (sk, attrs) in [("PLAIN", json!({})), ("NESTED", nested)] {
        let at = item_of_size("SIZE", sk, attrs.clone(), MAX_ITEM_BYTES);
        put(&store, at.clone()).await;
        assert_eq!(get(&store, "SIZE", sk).await.as_ref(), Some(&at), "{sk}");

        let over = item_of_size("SIZE", &format!("{sk}#OVER"), attrs, MAX_ITEM_BYTES + 1);
        assert_invalid(store.transact(vec![Write::put(over.clone())]).await);
        assert_invalid(
            store
                .transact(vec![Write::put_if(over, Condition::NotExists)])
                .await,
        );
        assert_eq!(get(&store, "SIZE", &format!("{sk}#OVER")).await, None);
    }
    // An update that sets too much is refused as a put is.
    let mut set = Item::new();
    set.insert("big".into(), json!("y".repeat(MAX_ITEM_BYTES)));
    assert_invalid(
        store
            .transact(vec![Write::Update {
                key: key("SIZE", "UPDATED"),
                set,
                remove: vec![],
                condition: None,
            }])
            .await,
    );
    assert_eq!(get(&store, "SIZE", "UPDATED").await, None);

    // An update that grows a stored item far past the limit is refused and
    // leaves it as it was (DynamoDB: "Item size to update has exceeded the
    // maximum allowed size"). Between 400,000 bytes and DynamoDB's own
    // limit the stores may differ: the embedded store checks the updated
    // item against MAX_ITEM_BYTES, DynamoDB against its count.
    let half = item_of_size("SIZE", "GROWN", json!({"version": 1}), 300_000);
    put(&store, half.clone()).await;
    let mut set = Item::new();
    set.insert("more".into(), json!("z".repeat(200_000)));
    assert_invalid(
        store
            .transact(vec![Write::Update {
                key: key("SIZE", "GROWN"),
                set,
                remove: vec![],
                condition: Some(version_is(1)),
            }])
            .await,
    );
    assert_eq!(get(&store, "SIZE", "GROWN").await, Some(half));
}

/// A transaction's items add up to at most `MAX_BATCH_BYTES` (DynamoDB's
/// 4 MB; moto does not check, the port does on both stores).
async fn batch_size_limit_is_the_same(store: Arc<dyn Store>) {
    let per_item = MAX_ITEM_BYTES;
    let fits = MAX_BATCH_BYTES / per_item;
    let batch = |n: usize| -> Vec<Write> {
        (0..n)
            .map(|i| {
                Write::put(item_of_size(
                    "BYTES",
                    &format!("N#{i:02}"),
                    json!({}),
                    per_item,
                ))
            })
            .collect()
    };
    assert_invalid(store.transact(batch(fits + 1)).await);
    let q = Query::new("BYTES", SkRange::BeginsWith("N#".into()), 100);
    assert!(store.query(&q).await.unwrap().is_empty());
    store
        .transact(batch(fits))
        .await
        .expect("4 MB in one batch");
    assert_eq!(store.query(&q).await.unwrap().len(), fits);
}

/// `batch_get` answers the items found, each once, in key order: missing
/// keys absent, duplicates read once, any number of keys (DynamoDB takes
/// 100 a call), across partitions.
async fn batch_get_reads_found_items_once_in_key_order(store: Arc<dyn Store>) {
    assert!(store.batch_get(&[]).await.unwrap().is_empty());
    for chunk in 0..3 {
        let writes = (0..50)
            .map(|i| {
                let n = chunk * 50 + i;
                Write::put(item(
                    &format!("BG#{}", n % 3),
                    &format!("N#{n:03}"),
                    json!({"n": n}),
                ))
            })
            .collect();
        store.transact(writes).await.unwrap();
    }
    // 150 present (listed backwards), 100 missing, and 30 duplicates.
    let mut keys: Vec<Key> = (0..150)
        .rev()
        .map(|n| key(&format!("BG#{}", n % 3), &format!("N#{n:03}")))
        .collect();
    keys.extend((150..250).map(|n| key("BG#0", &format!("N#{n:03}"))));
    keys.extend((0..30).map(|n| key(&format!("BG#{}", n % 3), &format!("N#{n:03}"))));
    assert_eq!(keys.len(), 280);
    let found = store.batch_get(&keys).await.expect("batch get");
    assert_eq!(found.len(), 150, "each present item once");
    let found_keys: Vec<Key> = found.iter().map(|i| Key::of(i).unwrap()).collect();
    let mut expected: Vec<Key> = keys[..150].to_vec();
    expected.sort();
    assert_eq!(found_keys, expected, "in key order");
    for item in &found {
        let sk = item["sk"].as_str().unwrap();
        assert_eq!(format!("N#{:03}", item["n"].as_u64().unwrap()), sk);
    }
    // Only missing keys; one key; a key of another partition.
    assert!(
        store
            .batch_get(&[key("BG#9", "N#000")])
            .await
            .unwrap()
            .is_empty()
    );
    let one = store.batch_get(&[key("BG#1", "N#001")]).await.unwrap();
    assert_eq!(one, vec![item("BG#1", "N#001", json!({"n": 1}))]);
}

/// Items too many to answer at once (DynamoDB answers at most 16 MB a
/// call, moto too, and leaves the rest as unprocessed keys): all read.
async fn batch_get_reads_past_the_answer_limit(store: Arc<dyn Store>) {
    const ITEMS: usize = 50; // 50 × 390 KB ≈ 19.5 MB
    for i in 0..ITEMS {
        put(
            &store,
            item_of_size("HEAVY", &format!("N#{i:02}"), json!({"i": i}), 390_000),
        )
        .await;
    }
    let keys: Vec<Key> = (0..ITEMS)
        .map(|i| key("HEAVY", &format!("N#{i:02}")))
        .collect();
    let found = store.batch_get(&keys).await.expect("batch get");
    assert_eq!(found.len(), ITEMS);
    for (i, item) in found.iter().enumerate() {
        assert_eq!(item["i"], json!(i));
        assert_eq!(item_size(item), 390_000);
    }
}

// ---------------------------------------------------------------- wrappers

lms_zoom_tests::on_both_stores!(
    store:
    put_get_round_trip,
    not_exists_fails_with_index_and_batch_is_atomic,
    attr_equals_exists_and_check,
    update_sets_removes_and_creates,
    delete_semantics,
    query_begins_with_isolates_prefix_and_partition,
    query_pages_walk_every_item_once,
    query_descending_order,
    query_between_is_inclusive,
    query_at_least,
    query_cursor_outside_range,
    invalid_batches_write_nothing,
    concurrent_create_has_one_winner,
    concurrent_optimistic_increments,
    hundred_writes_in_one_batch,
    query_limit_is_an_upper_bound,
    updates_dynamodb_refuses_are_invalid,
    oversized_keys_are_invalid_on_reads,
    oversized_keys_are_invalid_on_writes,
    item_size_boundary_is_the_same,
    batch_size_limit_is_the_same,
    batch_get_reads_found_items_once_in_key_order,
    batch_get_reads_past_the_answer_limit,
);
