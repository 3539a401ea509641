//! The archive's two ports against real servers: the job queue (in the
//! store, on both stores; SQS on moto, with its dead-letter redrive) and
//! the object store (S3 on moto: multipart, abort, presigned GET).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use lms_zoom::AppConfig;
use lms_zoom::objects::{ObjectLink, ObjectStore, S3Objects};
use lms_zoom::queue::{ArchiveJob, JobQueue, SqsQueue, StoreQueue};
use lms_zoom_local::StoreKind;
use lms_zoom_tests::{aws_config, on_both_stores, store_of, unique};
use sha2::{Digest, Sha256};

fn job(n: u32) -> ArchiveJob {
    ArchiveJob {
        academy_id: "a1".into(),
        meeting_id: format!("mtg_{n}"),
        recording_id: format!("file-{n}"),
    }
}

const HIDE: Duration = Duration::from_secs(600);

async fn a_store_queue_claims_settles_and_survives_a_restart(kind: StoreKind) {
    let any = store_of(kind).await;
    let queue = StoreQueue::new(any.store.clone());
    let write = queue
        .in_batch(&job(1))
        .expect("a store queue enqueues in the batch");
    any.store.transact(vec![write]).await.unwrap();
    queue.send(&job(1)).await.unwrap();

    // A new queue on the same store (a restarted process) finds the job.
    let queue = StoreQueue::new(any.store.clone());
    let first = queue
        .receive(HIDE, Duration::ZERO)
        .await
        .unwrap()
        .expect("the job");
    assert_eq!((first.job.clone(), first.receive_count), (job(1), 1));
    // Hidden while held.
    assert!(queue.receive(HIDE, Duration::ZERO).await.unwrap().is_none());
    // Back after its delay, counted again.
    queue.retry_after(&first, Duration::ZERO).await.unwrap();
    let second = queue
        .receive(HIDE, Duration::ZERO)
        .await
        .unwrap()
        .expect("again");
    assert_eq!(second.receive_count, 2);
    // The first receipt no longer settles it.
    queue.done(&first).await.unwrap();
    assert_eq!(queue.depth().await.unwrap(), (1, 0));
    queue.done(&second).await.unwrap();
    assert_eq!(queue.depth().await.unwrap(), (0, 0));

    // Given up: the dead letters keep it.
    let write = queue.in_batch(&job(2)).unwrap();
    any.store.transact(vec![write]).await.unwrap();
    let held = queue.receive(HIDE, Duration::ZERO).await.unwrap().unwrap();
    queue.dead(&held).await.unwrap();
    assert_eq!(queue.depth().await.unwrap(), (0, 1));
    assert!(queue.receive(HIDE, Duration::ZERO).await.unwrap().is_none());
}

async fn a_store_queue_wakes_a_waiting_receiver(kind: StoreKind) {
    let any = store_of(kind).await;
    let queue = Arc::new(StoreQueue::new(any.store.clone()));
    let waiting = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.receive(HIDE, Duration::from_secs(30)).await })
    };
    let write = queue.in_batch(&job(3)).unwrap();
    any.store.transact(vec![write]).await.unwrap();
    queue.send(&job(3)).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("woken well before its wait ends")
        .unwrap()
        .unwrap()
        .expect("the job");
    assert_eq!(got.job, job(3));
}

on_both_stores!(
    a_store_queue_claims_settles_and_survives_a_restart,
    a_store_queue_wakes_a_waiting_receiver,
);

/// A queue (and its dead letters after five receives) of its own on moto.
async fn sqs() -> (SqsQueue, aws_sdk_sqs::Client, String) {
    let sdk = aws_config().await;
    let mut config = AppConfig::from_lookup(|_| None).unwrap();
    config.table_name = unique("q");
    lms_zoom_local::archiver::ensure_aws(&mut config, &sdk)
        .await
        .expect("bucket and queue in moto");
    let url = config.recordings_queue_url.unwrap();
    let client = lms_zoom::state::sqs_client(&sdk);
    (SqsQueue::new(client.clone(), &url), client, url)
}

#[tokio::test]
async fn sqs_jobs_go_to_the_dead_letters_after_five_receives() {
    let (queue, client, url) = sqs().await;
    assert!(
        queue.in_batch(&job(4)).is_none(),
        "SQS is outside the store"
    );
    queue.send(&job(4)).await.unwrap();
    for receive in 1..=5 {
        let got = queue
            .receive(HIDE, Duration::from_secs(2))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("receive {receive}"));
        assert_eq!((got.job.clone(), got.receive_count), (job(4), receive));
        if receive < 5 {
            queue.retry_after(&got, Duration::ZERO).await.unwrap();
        } else {
            queue.dead(&got).await.unwrap();
        }
    }
    assert!(
        queue
            .receive(HIDE, Duration::from_secs(1))
            .await
            .unwrap()
            .is_none()
    );
    let dead_url = format!("{url}-dlq");
    let dead = client
        .receive_message()
        .queue_url(&dead_url)
        .wait_time_seconds(2)
        .send()
        .await
        .unwrap();
    let bodies: Vec<_> = dead.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let dead_job: ArchiveJob = serde_json::from_str(bodies[0]).unwrap();
    assert_eq!(dead_job, job(4));
}

#[tokio::test]
async fn sqs_done_deletes_the_job() {
    let (queue, _, _) = sqs().await;
    queue.send(&job(5)).await.unwrap();
    let got = queue
        .receive(Duration::ZERO, Duration::from_secs(2))
        .await
        .unwrap()
        .unwrap();
    queue.done(&got).await.unwrap();
    assert!(
        queue
            .receive(HIDE, Duration::from_secs(1))
            .await
            .unwrap()
            .is_none()
    );
}

async fn bucket() -> S3Objects {
    let sdk = aws_config().await;
    let mut config = AppConfig::from_lookup(|_| None).unwrap();
    config.table_name = unique("o");
    lms_zoom_local::archiver::ensure_aws(&mut config, &sdk)
        .await
        .expect("bucket in moto");
    S3Objects::new(
        lms_zoom::state::s3_client(&sdk),
        config.recordings_bucket.unwrap(),
    )
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

#[tokio::test]
async fn s3_multipart_uploads_appear_whole_and_presigned_links_read_them() {
    let objects = bucket().await;
    let data = pattern(20 * 1024 * 1024 + 123);
    let mut upload = objects
        .upload("recordings/a/m/big.mp4", "video/mp4")
        .await
        .unwrap();
    for chunk in data.chunks(1024 * 1024) {
        upload.write(Bytes::copy_from_slice(chunk)).await.unwrap();
    }
    assert_eq!(
        objects.size("recordings/a/m/big.mp4").await.unwrap(),
        None,
        "not before it is finished"
    );
    upload.finish().await.unwrap();
    assert_eq!(
        objects.size("recordings/a/m/big.mp4").await.unwrap(),
        Some(data.len() as u64)
    );

    let ObjectLink::Url(url) = objects
        .link(
            "recordings/a/m/big.mp4",
            Duration::from_secs(600),
            "big.mp4",
        )
        .await
        .unwrap()
    else {
        panic!("S3 gives a URL")
    };
    assert!(url.contains("X-Amz-Expires=600"), "{url}");
    let fetched = reqwest::get(&url).await.unwrap();
    assert_eq!(fetched.status(), 200);
    let body = fetched.bytes().await.unwrap();
    assert_eq!(Sha256::digest(&body), Sha256::digest(&data));
}

#[tokio::test]
async fn s3_small_files_and_aborted_uploads() {
    let objects = bucket().await;
    let mut small = objects
        .upload("recordings/a/m/chat.txt", "text/plain")
        .await
        .unwrap();
    small.write(Bytes::from_static(b"hola")).await.unwrap();
    small.finish().await.unwrap();
    assert_eq!(
        objects.size("recordings/a/m/chat.txt").await.unwrap(),
        Some(4)
    );

    let mut cut = objects
        .upload("recordings/a/m/cut.mp4", "video/mp4")
        .await
        .unwrap();
    cut.write(Bytes::from(pattern(9 * 1024 * 1024)))
        .await
        .unwrap();
    cut.abort().await;
    assert_eq!(objects.size("recordings/a/m/cut.mp4").await.unwrap(), None);
}
