//! The license repository over the storage port, run against both stores:
//! round trips, case-insensitive per-academy name uniqueness, name-ordered
//! paging, optimistic versions, and racing inserts.

use std::sync::Arc;

use lms_zoom::domain::license::{License, LicenseStatus};
use lms_zoom::repo::{LicenseRepo, RepoError, keys};
use lms_zoom::store::{Store, StoreError, Write};
use lms_zoom_tests::ContentionStore;
use serde_json::json;
use tokio::sync::Barrier;

// ---------------------------------------------------------------- helpers

/// A stored license (version 1) with every field filled in.
fn license(academy_id: &str, license_id: &str, name: &str) -> License {
    License {
        license_id: license_id.to_owned(),
        academy_id: academy_id.to_owned(),
        name: name.to_owned(),
        account_id: format!("acc-{license_id}"),
        client_id: format!("cid-{license_id}"),
        sdk_key: format!("sdk-{license_id}"),
        client_secret_hint: "…cret".into(),
        sdk_secret_hint: "…sdk1".into(),
        webhook_secret_configured: true,
        host_user: "teacher@example.com".into(),
        zoom_user_id: Some("KdYKjnimT4KPd8FFgQt9FQ".into()),
        max_concurrent_meetings: 3,
        recording_archive: Default::default(),
        status: LicenseStatus::Verified,
        verification: Some(
            serde_json::from_value(json!({
                "status": "verified", "checkedAt": "2024-05-01T12:00:00.000Z",
                "grantedScopes": ["meeting:write", "user:read"], "missingScopes": [],
                "zoomUser": {"id": "KdYKjnimT4KPd8FFgQt9FQ", "email": "teacher@example.com", "type": "licensed"},
                "checks": [{"name": "credentials", "status": "pass", "code": "ok"}]
            }))
            .expect("a verification report"),
        ),
        version: 1,
        secret_version: format!("sv-{license_id}"),
        created_at: "2024-05-01T12:00:00.123Z".parse().expect("timestamp"),
        updated_at: "2024-05-02T08:30:00.456789Z".parse().expect("timestamp"),
    }
}

/// `current` changed by `change`, one version later (what a caller passes to replace).
fn next_version(current: &License, change: impl FnOnce(&mut License)) -> License {
    let mut next = current.clone();
    change(&mut next);
    next.version = current.version + 1;
    next
}

#[track_caller]
fn assert_name_taken(result: Result<(), RepoError>) {
    assert!(
        matches!(result, Err(RepoError::NameTaken)),
        "expected NameTaken, got {result:?}"
    );
}

#[track_caller]
fn assert_version_conflict(result: Result<(), RepoError>) {
    assert!(
        matches!(result, Err(RepoError::VersionConflict)),
        "expected VersionConflict, got {result:?}"
    );
}

/// Every license of an academy, in list order, walking pages of `limit`.
async fn list_all(repo: &LicenseRepo, academy_id: &str, limit: usize) -> Vec<License> {
    let mut all = Vec::new();
    let mut after = None;
    for _ in 0..100 {
        let page = repo.list(academy_id, after, limit).await.expect("list");
        all.extend(page.items);
        match page.next {
            Some(next) => after = Some(next),
            None => return all,
        }
    }
    panic!("listing does not terminate");
}

fn names(licenses: &[License]) -> Vec<&str> {
    licenses.iter().map(|l| l.name.as_str()).collect()
}

// ------------------------------------------------------------------ cases

async fn insert_get_round_trip(store: Arc<dyn Store>) {
    let repo = LicenseRepo::new(store);
    let original = license("a1", "lic_1", "Principal ñandú 🦀");
    repo.insert(&original).await.expect("insert");
    let read = repo.get("a1", "lic_1").await.expect("get");
    assert_eq!(read.as_ref(), Some(&original));

    // A license with the optional fields empty too.
    let mut bare = license("a1", "lic_2", "Bare");
    bare.zoom_user_id = None;
    bare.verification = None;
    bare.status = LicenseStatus::Unverified;
    bare.webhook_secret_configured = false;
    repo.insert(&bare).await.expect("insert bare");
    assert_eq!(repo.get("a1", "lic_2").await.unwrap(), Some(bare));

    // Missing: other id, or the same id in another academy.
    assert_eq!(repo.get("a1", "lic_3").await.unwrap(), None);
    assert_eq!(repo.get("a2", "lic_1").await.unwrap(), None);
}

async fn names_are_unique_case_insensitively_per_academy(store: Arc<dyn Store>) {
    let repo = LicenseRepo::new(store);
    repo.insert(&license("a1", "lic_1", "Principal"))
        .await
        .expect("first");

    for (id, name) in [
        ("lic_2", "PRINCIPAL"),
        ("lic_3", "principal"),
        ("lic_4", "pRiNcIpAl"),
    ] {
        assert_name_taken(repo.insert(&license("a1", id, name)).await);
        assert_eq!(
            repo.get("a1", id).await.unwrap(),
            None,
            "a refused insert must write nothing"
        );
    }

    // Another academy may use the name, in any case.
    repo.insert(&license("a2", "lic_5", "Principal"))
        .await
        .expect("same name, other academy");
    repo.insert(&license("a3", "lic_6", "PRINCIPAL"))
        .await
        .expect("same name in other case, other academy");
    // ... and is then unique there too.
    assert_name_taken(repo.insert(&license("a2", "lic_7", "principal")).await);

    // A different name in the first academy is fine.
    repo.insert(&license("a1", "lic_8", "Principal 2"))
        .await
        .expect("another name");

    assert_eq!(
        names(&list_all(&repo, "a1", 10).await),
        ["Principal", "Principal 2"]
    );
    assert_eq!(names(&list_all(&repo, "a2", 10).await), ["Principal"]);
    assert_eq!(names(&list_all(&repo, "a3", 10).await), ["PRINCIPAL"]);
}

async fn list_is_name_ordered_and_pages_once(store: Arc<dyn Store>) {
    let repo = LicenseRepo::new(store);
    // Inserted out of order, mixed case; ids ordered differently from names.
    for (id, name) in [
        ("lic_1", "delta"),
        ("lic_2", "Alpha"),
        ("lic_3", "charlie"),
        ("lic_4", "ECHO"),
        ("lic_5", "Bravo"),
    ] {
        repo.insert(&license("a1", id, name)).await.expect("insert");
    }
    // Licenses of neighbouring academies must never show.
    repo.insert(&license("a10", "lic_6", "aaa")).await.unwrap();
    repo.insert(&license("a", "lic_7", "zzz")).await.unwrap();

    let first = repo.list("a1", None, 2).await.expect("page 1");
    assert_eq!(names(&first.items), ["Alpha", "Bravo"]);
    assert_eq!(first.next.as_deref(), Some("bravo"));

    let second = repo.list("a1", first.next, 2).await.expect("page 2");
    assert_eq!(names(&second.items), ["charlie", "delta"]);
    assert_eq!(second.next.as_deref(), Some("delta"));

    let third = repo.list("a1", second.next, 2).await.expect("page 3");
    assert_eq!(names(&third.items), ["ECHO"]);
    assert_eq!(third.next, None, "no next on the last page");

    // The items are the full licenses.
    assert_eq!(first.items[0], license("a1", "lic_2", "Alpha"));

    // A page that ends exactly at the last license has no next either.
    let exact = repo.list("a1", Some("charlie".into()), 2).await.unwrap();
    assert_eq!(names(&exact.items), ["delta", "ECHO"]);
    assert_eq!(exact.next, None);
    let all = repo.list("a1", None, 5).await.unwrap();
    assert_eq!(all.items.len(), 5);
    assert_eq!(all.next, None);

    // Every page size walks every license exactly once, in order.
    for limit in [1, 2, 3, 4, 5, 6, 50] {
        assert_eq!(
            names(&list_all(&repo, "a1", limit).await),
            ["Alpha", "Bravo", "charlie", "delta", "ECHO"],
            "limit {limit}"
        );
    }

    // A cursor whose license is gone: continue after it.
    let delta = repo.get("a1", "lic_1").await.unwrap().unwrap();
    repo.delete(&delta).await.expect("delete delta");
    let page = repo.list("a1", Some("delta".into()), 2).await.unwrap();
    assert_eq!(names(&page.items), ["ECHO"]);
    assert_eq!(page.next, None);

    // An academy without licenses.
    let empty = repo.list("a2", None, 2).await.unwrap();
    assert!(empty.items.is_empty());
    assert_eq!(empty.next, None);
}

async fn replace_checks_the_version(store: Arc<dyn Store>) {
    let repo = LicenseRepo::new(store);
    let v1 = license("a1", "lic_1", "Principal");
    repo.insert(&v1).await.expect("insert");

    let v2 = next_version(&v1, |l| l.host_user = "other@example.com".into());
    repo.replace(&v1, &v2)
        .await
        .expect("replace with the current version");
    assert_eq!(repo.get("a1", "lic_1").await.unwrap().as_ref(), Some(&v2));

    // A writer still holding v1 loses.
    let stale = next_version(&v1, |l| l.account_id = "stale".into());
    assert_version_conflict(repo.replace(&v1, &stale).await);
    assert_eq!(repo.get("a1", "lic_1").await.unwrap().as_ref(), Some(&v2));

    // Also when it renames at the same time: the version wins, the name is not moved.
    let stale_rename = next_version(&v1, |l| l.name = "Renamed".into());
    assert_version_conflict(repo.replace(&v1, &stale_rename).await);
    assert_eq!(repo.get("a1", "lic_1").await.unwrap().as_ref(), Some(&v2));
    repo.insert(&license("a1", "lic_2", "renamed"))
        .await
        .expect("the stale rename did not claim the name");
    assert_name_taken(repo.insert(&license("a1", "lic_3", "principal")).await);

    // Replacing a license that was deleted is a conflict too.
    repo.delete(&v2).await.expect("delete");
    let v3 = next_version(&v2, |l| l.sdk_key = "x".into());
    assert_version_conflict(repo.replace(&v2, &v3).await);
}

async fn rename_moves_the_name_guard(store: Arc<dyn Store>) {
    let repo = LicenseRepo::new(store);
    let v1 = license("a1", "lic_1", "Old Name");
    repo.insert(&v1).await.expect("insert");

    let v2 = next_version(&v1, |l| l.name = "New Name".into());
    repo.replace(&v1, &v2).await.expect("rename");
    assert_eq!(repo.get("a1", "lic_1").await.unwrap().as_ref(), Some(&v2));

    // The new name is taken, the old one is free.
    assert_name_taken(repo.insert(&license("a1", "lic_2", "NEW NAME")).await);
    repo.insert(&license("a1", "lic_3", "old name"))
        .await
        .expect("the old name is free again");

    // Listed once each, under their current names.
    let listed = list_all(&repo, "a1", 1).await;
    assert_eq!(names(&listed), ["New Name", "old name"]);
    assert_eq!(listed[0], v2);

    // A change of case only keeps the guard and shows the new spelling.
    let v3 = next_version(&v2, |l| l.name = "NEW name".into());
    repo.replace(&v2, &v3).await.expect("case-only rename");
    assert_eq!(
        names(&list_all(&repo, "a1", 10).await),
        ["NEW name", "old name"]
    );
    assert_name_taken(repo.insert(&license("a1", "lic_4", "new name")).await);

    // Renaming back and forth works, and the name in between is freed.
    let v4 = next_version(&v3, |l| l.name = "Interim".into());
    repo.replace(&v3, &v4).await.expect("rename to interim");
    let v5 = next_version(&v4, |l| l.name = "New Name".into());
    repo.replace(&v4, &v5).await.expect("rename back");
    repo.insert(&license("a1", "lic_5", "interim"))
        .await
        .expect("interim is free");
    assert_eq!(
        names(&list_all(&repo, "a1", 2).await),
        ["interim", "New Name", "old name"]
    );
}

async fn rename_onto_a_taken_name_changes_nothing(store: Arc<dyn Store>) {
    let repo = LicenseRepo::new(store);
    let uno = license("a1", "lic_1", "Uno");
    let dos = license("a1", "lic_2", "Dos");
    repo.insert(&uno).await.unwrap();
    repo.insert(&dos).await.unwrap();

    let clash = next_version(&uno, |l| {
        l.name = "DOS".into();
        l.host_user = "changed@example.com".into();
    });
    assert_name_taken(repo.replace(&uno, &clash).await);

    // Nothing moved: both licenses and both guards as before.
    assert_eq!(repo.get("a1", "lic_1").await.unwrap().as_ref(), Some(&uno));
    assert_eq!(repo.get("a1", "lic_2").await.unwrap().as_ref(), Some(&dos));
    assert_name_taken(repo.insert(&license("a1", "lic_3", "uno")).await);
    assert_name_taken(repo.insert(&license("a1", "lic_4", "dos")).await);
    let listed = list_all(&repo, "a1", 10).await;
    assert_eq!(listed, vec![dos.clone(), uno.clone()]);

    // The original version still works for a later, valid change.
    let fine = next_version(&uno, |l| l.name = "Tres".into());
    repo.replace(&uno, &fine)
        .await
        .expect("valid rename after the clash");
    assert_eq!(names(&list_all(&repo, "a1", 10).await), ["Dos", "Tres"]);
}

async fn delete_frees_the_name_and_checks_the_version(store: Arc<dyn Store>) {
    let repo = LicenseRepo::new(store);
    let v1 = license("a1", "lic_1", "Principal");
    repo.insert(&v1).await.unwrap();
    let v2 = next_version(&v1, |l| l.client_id = "cid-2".into());
    repo.replace(&v1, &v2).await.unwrap();

    // A stale delete is refused and removes nothing.
    assert_version_conflict(repo.delete(&v1).await);
    assert_eq!(repo.get("a1", "lic_1").await.unwrap().as_ref(), Some(&v2));
    assert_name_taken(repo.insert(&license("a1", "lic_2", "principal")).await);
    assert_eq!(names(&list_all(&repo, "a1", 10).await), ["Principal"]);

    // The current delete removes the license and frees its name.
    repo.delete(&v2).await.expect("delete");
    assert_eq!(repo.get("a1", "lic_1").await.unwrap(), None);
    assert!(list_all(&repo, "a1", 10).await.is_empty());
    repo.insert(&license("a1", "lic_3", "PRINCIPAL"))
        .await
        .expect("the name is free after delete");

    // Deleting again is a conflict (the license is gone).
    assert_version_conflict(repo.delete(&v2).await);
    assert!(repo.get("a1", "lic_3").await.unwrap().is_some());
}

async fn concurrent_inserts_of_one_name_have_one_winner(store: Arc<dyn Store>) {
    const TASKS: usize = 6;
    let repo = LicenseRepo::new(store);
    let barrier = Arc::new(Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|i| {
            let repo = repo.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                // Same name in different spellings, different license ids.
                let name = if i % 2 == 0 { "Shared" } else { "SHARED" };
                let candidate = license("a1", &format!("lic_{i}"), name);
                barrier.wait().await;
                (i, repo.insert(&candidate).await)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        let (i, result) = task.await.expect("task");
        match result {
            Ok(()) => winners.push(i),
            Err(RepoError::NameTaken | RepoError::Store(StoreError::Contention)) => {}
            Err(e) => panic!("insert {i}: unexpected {e:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one insert wins: {winners:?}");
    let winner = winners[0];
    for i in 0..TASKS {
        let found = repo.get("a1", &format!("lic_{i}")).await.unwrap();
        assert_eq!(found.is_some(), i == winner, "license lic_{i}");
    }
    let listed = list_all(&repo, "a1", 10).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].license_id, format!("lic_{winner}"));
}

/// A page of licenses is two round trips whatever its size: the query of
/// the name guards and one batch read of the licenses, in name order.
async fn list_is_two_round_trips(store: Arc<dyn Store>) {
    let counting = lms_zoom_tests::CountingStore::new(store.clone());
    let repo = LicenseRepo::new(Arc::new(counting.clone()));
    // Ids in the reverse of the name order.
    for i in 0..30 {
        repo.insert(&license(
            "a1",
            &format!("lic_{:02}", 29 - i),
            &format!("name {i:02}"),
        ))
        .await
        .unwrap();
    }
    let before = counting.counts();
    let page = repo.list("a1", None, 25).await.unwrap();
    let after = counting.counts();
    assert_eq!(page.items.len(), 25);
    assert_eq!(page.next.as_deref(), Some("name 24"));
    let expected: Vec<String> = (0..25).map(|i| format!("name {i:02}")).collect();
    assert_eq!(names(&page.items), expected);
    assert_eq!(after.0 - before.0, 0, "no single gets");
    assert_eq!(after.1 - before.1, 1, "one query");
    assert_eq!(
        counting
            .batch_gets
            .load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one batch read"
    );

    // A license gone between the two reads (its guard still there) is not listed.
    store
        .transact(vec![Write::Delete {
            key: keys::license("a1", "lic_28"),
            condition: None,
        }])
        .await
        .unwrap();
    let page = repo.list("a1", None, 3).await.unwrap();
    assert_eq!(names(&page.items), ["name 00", "name 02"]);
    assert_eq!(page.next.as_deref(), Some("name 02"));
}

/// DynamoDB's TransactionConflict (injected: moto and redb serialise their
/// writers, so neither produces one): the repository repeats the
/// transaction, which is written exactly once.
async fn writes_get_through_passing_contention(store: Arc<dyn Store>) {
    let contended = Arc::new(ContentionStore::first(store.clone(), 3));
    let repo = LicenseRepo::new(contended.clone());
    let started = std::time::Instant::now();
    repo.insert(&license("a1", "lic_1", "Contended"))
        .await
        .expect("insert");
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(contended.injected(), 3);
    assert_eq!(contended.passed(), 1, "one transaction reached the store");
    assert_eq!(
        list_all(&LicenseRepo::new(store.clone()), "a1", 10)
            .await
            .len(),
        1
    );

    // Half of all transactions conflicting: every write still lands once.
    let contended = Arc::new(ContentionStore::fraction(store.clone(), 0.5));
    let repo = LicenseRepo::new(contended.clone());
    for i in 2..8 {
        repo.insert(&license("a1", &format!("lic_{i}"), &format!("n{i}")))
            .await
            .expect("insert");
    }
    let current = repo.get("a1", "lic_2").await.unwrap().unwrap();
    let renamed = next_version(&current, |l| l.name = "renamed".into());
    repo.replace(&current, &renamed).await.expect("replace");
    repo.delete(&repo.get("a1", "lic_3").await.unwrap().unwrap())
        .await
        .expect("delete");
    assert!(
        contended.injected() >= 7,
        "{} injected",
        contended.injected()
    );
    let listed = list_all(&repo, "a1", 3).await;
    assert_eq!(
        names(&listed),
        ["Contended", "n4", "n5", "n6", "n7", "renamed"]
    );
}

/// Contention that outlasts the retry budget (4 attempts) is the store's
/// `Contention`, nothing written, within about a second.
async fn persistent_contention_is_reported_not_written(store: Arc<dyn Store>) {
    let contended = Arc::new(ContentionStore::always(store.clone()));
    let repo = LicenseRepo::new(contended.clone());
    let started = std::time::Instant::now();
    let result = repo.insert(&license("a1", "lic_1", "Never")).await;
    assert!(
        matches!(result, Err(RepoError::Store(StoreError::Contention))),
        "{result:?}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(contended.injected(), 4, "four attempts");
    assert_eq!(contended.passed(), 0);
    assert!(repo.get("a1", "lic_1").await.unwrap().is_none());
    assert!(list_all(&repo, "a1", 10).await.is_empty());
}

// ---------------------------------------------------------------- wrappers

lms_zoom_tests::on_both_stores!(
    store:
    insert_get_round_trip,
    names_are_unique_case_insensitively_per_academy,
    list_is_name_ordered_and_pages_once,
    replace_checks_the_version,
    rename_moves_the_name_guard,
    rename_onto_a_taken_name_changes_nothing,
    delete_frees_the_name_and_checks_the_version,
    concurrent_inserts_of_one_name_have_one_winner,
    list_is_two_round_trips,
    writes_get_through_passing_contention,
    persistent_contention_is_reported_not_written,
);
