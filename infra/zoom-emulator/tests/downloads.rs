//! Recording downloads (ZOOM-2.md C): `download_url` on the emulator,
//! credentials, Zoom's 200 HTML page for refusals and deleted files, the 302
//! to a signed `/rec/stream` link, deterministic streamed bytes, download
//! faults, `download_access_token` and `DELETE …/recordings/{id}`.

mod common;

use std::time::{Duration, Instant};

use common::{create_meeting, demo, demo_token, get, http};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use zoom_emulator::{
    Account, DEMO_SCOPES, Emulator, EmulatorConfig, Endpoint, Fault, FaultKind, Lifecycle,
    MISSING_SCOPES_CODE, Participant, Session, User, recording_content, recording_content_sha256,
};

/// A client that shows redirects instead of following them.
fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

/// `GET url` with `Authorization: Bearer <token>` if given.
async fn fetch(client: &reqwest::Client, url: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

/// The body read chunk by chunk: its SHA-256 and length, or the error that
/// ended it and the bytes received before it.
async fn read_body(mut response: reqwest::Response) -> Result<(String, u64), (Vec<u8>, String)> {
    let mut hasher = Sha256::new();
    let mut received = Vec::new();
    let mut length = 0u64;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                hasher.update(&chunk);
                length += chunk.len() as u64;
                if received.len() < 1 << 20 {
                    received.extend_from_slice(&chunk);
                }
            }
            Ok(None) => return Ok((hex::encode(hasher.finalize()), length)),
            Err(error) => return Err((received, error.to_string())),
        }
    }
}

fn content_type(response: &reqwest::Response) -> String {
    response.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned()
}

/// Asserts Zoom's answer to a refused download: 200 `text/html`, a page.
async fn assert_html_page(response: reqwest::Response, words: &str) {
    assert_eq!(response.status(), 200);
    assert!(
        content_type(&response).starts_with("text/html"),
        "{:?}",
        response.headers()
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("<html") && page.contains(words), "{page}");
}

/// The last path segment of a `download_url`.
fn file_id_of(download_url: &str) -> String {
    download_url.rsplit('/').next().unwrap().to_owned()
}

/// A demo meeting with a seeded recording; its `GET …/recordings` body
/// (with a default-lifetime `download_access_token`) and an OAuth token.
async fn seeded(zoom: &Emulator, files: Value) -> (String, u64, Value) {
    let token = demo_token(zoom).await;
    let id = create_meeting(zoom, &token, "archive me").await;
    zoom.add_recording(&id.to_string(), files);
    let path = format!("/meetings/{id}/recordings?include_fields=download_access_token");
    let (status, body) = get(zoom, &token, &path).await;
    assert_eq!(status, 200, "{body}");
    (token, id, body)
}

fn access_token(body: &Value) -> &str {
    body["download_access_token"]
        .as_str()
        .expect("download_access_token")
}

#[tokio::test]
async fn download_urls_and_sizes_are_the_emulators() {
    let zoom = demo().await;
    let (_, _, body) = seeded(
        &zoom,
        json!([
            {"file_type": "MP4"},
            {"file_type": "M4A"},
            {"id": "given-id", "file_type": "CHAT", "file_size": 99,
             "download_url": "https://zoom.example/rec/download/elsewhere"},
            {"file_type": "TB"},
        ]),
    )
    .await;
    let files = body["recording_files"].as_array().unwrap();
    let base = format!("{}/rec/download/", zoom.base_url());
    for file in files {
        let url = file["download_url"].as_str().unwrap();
        assert!(url.starts_with(&base), "{url}");
        if let Some(id) = file["id"].as_str() {
            assert_eq!(url, format!("{base}{id}"));
            assert_eq!(zoom.recording_file_status(id).as_deref(), Some("completed"));
        }
    }
    assert_eq!(files[0]["file_size"], 1_000_000);
    assert_eq!(files[1]["file_size"], 4_096);
    assert_eq!(files[2]["file_size"], 99, "a given size is kept");
    assert_eq!(files[2]["download_url"], format!("{base}given-id"));
    assert!(files[3].get("file_size").is_none(), "TB files have no size");
    assert_eq!(body["total_size"], 1_000_000 + 4_096 + 99);
    assert_eq!(zoom.recording_file_status("no-such-file"), None);
}

#[tokio::test]
async fn a_redirected_download_serves_the_deterministic_bytes() {
    let zoom = demo().await;
    let (_, _, body) = seeded(
        &zoom,
        json!([{"file_type": "MP4", "file_size": 300_001}, {"file_type": "CC"}]),
    )
    .await;
    let token = access_token(&body);
    let mp4 = &body["recording_files"][0];
    let (id, url) = (
        mp4["id"].as_str().unwrap(),
        mp4["download_url"].as_str().unwrap(),
    );

    // The download answers 302 to a signed link on the emulator...
    let redirect = fetch(&no_redirects(), url, Some(token)).await;
    assert_eq!(redirect.status(), 302);
    let location = redirect.headers()[LOCATION].to_str().unwrap().to_owned();
    let stream = format!("{}/rec/stream/{id}?Policy=", zoom.base_url());
    assert!(location.starts_with(&stream), "{location}");
    assert!(location.contains("&Signature=") && location.contains("&Expires="));
    assert_eq!(zoom.download_count(id), 0, "a redirect is no transfer");

    // ... which needs no credential and serves the bytes.
    let bytes = fetch(&no_redirects(), &location, None).await;
    assert_eq!(bytes.status(), 200);
    assert_eq!(content_type(&bytes), "video/mp4");
    assert_eq!(bytes.headers()[CONTENT_LENGTH], "300001");
    let expected = recording_content_sha256(id, 300_001);
    assert_eq!(read_body(bytes).await.unwrap(), (expected.clone(), 300_001));

    // A client following redirects gets the same bytes.
    let followed = fetch(&http(), url, Some(token)).await;
    assert_eq!(followed.status(), 200);
    assert_eq!(read_body(followed).await.unwrap(), (expected, 300_001));
    assert_eq!(zoom.download_count(id), 2);
    assert_eq!(zoom.count(Endpoint::DownloadRecording), 2);
    assert_eq!(zoom.count(Endpoint::StreamRecording), 2);

    // A CC file (no id) downloads by the id in its download_url.
    let cc_url = body["recording_files"][1]["download_url"].as_str().unwrap();
    let cc = fetch(&http(), cc_url, Some(token)).await;
    assert_eq!(cc.status(), 200);
    assert_eq!(content_type(&cc), "text/vtt");
    let cc_id = file_id_of(cc_url);
    let got = read_body(cc).await.unwrap();
    assert_eq!(got, (recording_content_sha256(&cc_id, 4_096), 4_096));
    assert_eq!(zoom.download_count(&cc_id), 1);
}

#[tokio::test]
async fn the_bytes_match_recording_content() {
    let zoom = demo().await;
    let (token, _, body) = seeded(&zoom, json!([{"file_type": "M4A", "file_size": 70_000}])).await;
    let m4a = &body["recording_files"][0];
    let id = m4a["id"].as_str().unwrap();
    let response = fetch(&http(), m4a["download_url"].as_str().unwrap(), Some(&token)).await;
    assert_eq!(content_type(&response), "audio/mp4");
    let received = response.bytes().await.unwrap();
    let expected: Vec<u8> = recording_content(id, 70_000).flatten().collect();
    assert_eq!(received.len(), 70_000);
    assert!(received[..] == expected[..], "the bytes differ");
}

#[tokio::test]
async fn a_64_mib_file_streams_whole() {
    const SIZE: u64 = 64 * 1024 * 1024;
    let zoom = demo().await;
    let (token, _, body) = seeded(&zoom, json!([{"file_type": "MP4", "file_size": SIZE}])).await;
    let mp4 = &body["recording_files"][0];
    // An OAuth token of the owning account is a credential too.
    let response = fetch(&http(), mp4["download_url"].as_str().unwrap(), Some(&token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()[CONTENT_LENGTH],
        SIZE.to_string().as_str()
    );
    let expected = recording_content_sha256(mp4["id"].as_str().unwrap(), SIZE);
    assert_eq!(read_body(response).await.unwrap(), (expected, SIZE));
}

#[tokio::test]
async fn refused_credentials_get_zooms_html_page_and_unknown_files_3301() {
    let other = Account::new("acc-2", "cid-2", "secret-2")
        .with_scopes(DEMO_SCOPES)
        .with_user(User::licensed("h2", "h2@example.com"));
    let mut config = EmulatorConfig::demo();
    config.accounts.push(other);
    let zoom = Emulator::start(config).await.unwrap();
    let (token, _, body) = seeded(&zoom, json!([{"file_type": "MP4"}])).await;
    let url = body["recording_files"][0]["download_url"].as_str().unwrap();
    let id = file_id_of(url);
    let client = no_redirects();

    assert_html_page(fetch(&client, url, None).await, "Only the host").await;
    assert_html_page(
        fetch(&client, url, Some("not-a-token")).await,
        "Only the host",
    )
    .await;
    let theirs = common::token(&zoom, "cid-2", "secret-2", "acc-2").await;
    assert_html_page(fetch(&client, url, Some(&theirs)).await, "Only the host").await;
    let query = format!("{url}?access_token={token}");
    assert_html_page(fetch(&client, &query, None).await, "Only the host").await;
    // Another recording's download_access_token does not open this one.
    let (_, _, second) = seeded(&zoom, json!([{}])).await;
    let foreign = access_token(&second);
    assert_html_page(fetch(&client, url, Some(foreign)).await, "Only the host").await;
    // Nor does one for a newer instance of the same meeting.
    let meeting = body["id"].to_string();
    zoom.add_recording(&meeting, json!([{}]));
    let newer = zoom.recording_completed_event(&meeting).unwrap();
    assert_ne!(newer["payload"]["object"]["uuid"], body["uuid"]);
    let newer_token = newer["download_token"].as_str().unwrap();
    assert_html_page(
        fetch(&client, url, Some(newer_token)).await,
        "Only the host",
    )
    .await;
    // Revoked OAuth tokens no longer work; the download token still does.
    assert_eq!(fetch(&client, url, Some(&token)).await.status(), 302);
    zoom.revoke_tokens();
    assert_html_page(fetch(&client, url, Some(&token)).await, "Only the host").await;
    assert_eq!(
        fetch(&client, url, Some(access_token(&body)))
            .await
            .status(),
        302
    );
    assert_eq!(zoom.download_count(&id), 0);

    let unknown = format!("{}/rec/download/no-such-file", zoom.base_url());
    let response = fetch(&client, &unknown, Some(access_token(&body))).await;
    assert_eq!(response.status(), 404);
    assert!(content_type(&response).starts_with("application/json"));
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"code": 3301, "message": "This recording does not exist."})
    );
}

#[tokio::test]
async fn an_expired_oauth_token_is_refused() {
    let mut config = EmulatorConfig::demo();
    config.token_ttl = Duration::ZERO;
    let zoom = Emulator::start(config).await.unwrap();
    zoom.add_recording("81234567890", json!([{}]));
    let expired = demo_token(&zoom).await;
    let url = format!("{}/rec/download/x", zoom.base_url());
    assert_eq!(fetch(&http(), &url, Some(&expired)).await.status(), 404);
    let event = zoom.recording_completed_event("81234567890").unwrap();
    let file = &event["payload"]["object"]["recording_files"][0];
    let url = file["download_url"].as_str().unwrap();
    assert_html_page(fetch(&http(), url, Some(&expired)).await, "Only the host").await;
    let token = event["download_token"].as_str().unwrap();
    assert_eq!(fetch(&no_redirects(), url, Some(token)).await.status(), 302);
}

#[tokio::test]
async fn webhook_download_tokens_download_their_recording() {
    let zoom = demo().await;
    let oauth = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &oauth, "lifecycle").await.to_string();
    let ana = Participant::new("16778240", "Ana", "ana@example.com");
    let lifecycle = Lifecycle {
        sessions: vec![Session::new(&ana, Duration::ZERO, Duration::from_secs(30))],
        duration: Duration::from_secs(30),
        with_recording: true,
    };
    let events = zoom.lifecycle_events(&id, &lifecycle);
    let completed = events.last().unwrap();
    assert_eq!(completed["event"], "recording.completed");
    let token = completed["download_token"].as_str().unwrap();
    assert!(zoom.issued_download_tokens().contains(&token.to_owned()));
    for file in completed["payload"]["object"]["recording_files"]
        .as_array()
        .unwrap()
    {
        let url = file["download_url"].as_str().unwrap();
        let response = fetch(&http(), url, Some(token)).await;
        assert_eq!(response.status(), 200, "{file}");
        let size = response.headers()[CONTENT_LENGTH]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        if let Some(file_size) = file["file_size"].as_u64() {
            assert_eq!(size, file_size);
        }
        let expected = recording_content_sha256(&file_id_of(url), size);
        assert_eq!(read_body(response).await.unwrap(), (expected, size));
    }

    // A seeded recording's event carries a working token for its files only.
    zoom.add_recording("81234567999", json!([{"file_type": "CHAT"}]));
    let event = zoom.recording_completed_event("81234567999").unwrap();
    assert_eq!(event["event"], "recording.completed");
    let seeded_token = event["download_token"].as_str().unwrap();
    let chat = &event["payload"]["object"]["recording_files"][0];
    let response = fetch(
        &http(),
        chat["download_url"].as_str().unwrap(),
        Some(seeded_token),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/plain");
    let lifecycle_url = completed["payload"]["object"]["recording_files"][0]["download_url"]
        .as_str()
        .unwrap();
    let refused = fetch(&http(), lifecycle_url, Some(seeded_token)).await;
    assert_html_page(refused, "Only the host").await;
    assert!(zoom.recording_completed_event("99999999999").is_none());
}

#[tokio::test]
async fn download_access_tokens_come_only_when_asked_and_expire() {
    let zoom = demo().await;
    let (oauth, id, _) = seeded(&zoom, json!([{"file_type": "MP4"}])).await;
    let recordings = format!("/meetings/{id}/recordings");
    let (_, plain) = get(&zoom, &oauth, &recordings).await;
    assert!(plain.get("download_access_token").is_none(), "{plain}");
    let (_, other_fields) = get(&zoom, &oauth, &format!("{recordings}?include_fields=foo")).await;
    assert!(other_fields.get("download_access_token").is_none());
    let url = plain["recording_files"][0]["download_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let with_ttl =
        |ttl: &str| format!("{recordings}?include_fields=download_access_token&ttl={ttl}");

    let (status, body) = get(&zoom, &oauth, &with_ttl("3600")).await;
    assert_eq!(status, 200);
    let hour = access_token(&body).to_owned();
    assert_ne!(hour, oauth);
    assert_eq!(
        fetch(&no_redirects(), &url, Some(&hour)).await.status(),
        302
    );

    let (_, body) = get(&zoom, &oauth, &with_ttl("0")).await;
    assert_html_page(
        fetch(&no_redirects(), &url, Some(access_token(&body))).await,
        "Only the host",
    )
    .await;

    for bad in ["604801", "-1", "soon"] {
        let (status, body) = get(&zoom, &oauth, &with_ttl(bad)).await;
        assert_eq!(status, 400, "ttl={bad}: {body}");
        assert_eq!(body["code"], 300);
    }
    assert_eq!(get(&zoom, &oauth, &with_ttl("604800")).await.0, 200);

    // ttl=1: refused once a second has passed, not before.
    let before = Instant::now();
    let (_, body) = get(&zoom, &oauth, &with_ttl("1")).await;
    let short = access_token(&body).to_owned();
    let deadline = before + Duration::from_secs(10);
    loop {
        let response = fetch(&no_redirects(), &url, Some(&short)).await;
        if response.status() == 200 {
            assert_html_page(response, "Only the host").await;
            break;
        }
        assert_eq!(response.status(), 302);
        assert!(
            Instant::now() < deadline,
            "a 1 s token still works after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(before.elapsed() >= Duration::from_secs(1), "expired early");
    assert_eq!(
        fetch(&no_redirects(), &url, Some(&hour)).await.status(),
        302
    );
}

#[tokio::test]
async fn stream_links_are_signed_and_short_lived() {
    let zoom = demo().await;
    let (_, _, body) = seeded(&zoom, json!([{}, {}])).await;
    let token = access_token(&body);
    let files = &body["recording_files"];
    let url = files[0]["download_url"].as_str().unwrap();
    let location = |response: reqwest::Response| {
        assert_eq!(response.status(), 302);
        response.headers()[LOCATION].to_str().unwrap().to_owned()
    };
    let link = location(fetch(&no_redirects(), url, Some(token)).await);
    assert_eq!(fetch(&http(), &link, None).await.status(), 200);

    let expires = link.rsplit("Expires=").next().unwrap();
    let later: i64 = expires.parse::<i64>().unwrap() + 3600;
    let tampered = [
        link.replace(&format!("Expires={expires}"), &format!("Expires={later}")),
        link.replace("&Signature=", "&Signature=x"),
        link.replace(
            files[0]["id"].as_str().unwrap(),
            files[1]["id"].as_str().unwrap(),
        ),
        link.split('?').next().unwrap().to_owned(),
    ];
    for bad in tampered {
        let response = fetch(&http(), &bad, None).await;
        assert_eq!(response.status(), 403, "{bad}");
    }

    zoom.set_stream_link_ttl(Duration::ZERO);
    let expired = location(fetch(&no_redirects(), url, Some(token)).await);
    assert_eq!(fetch(&http(), &expired, None).await.status(), 403);
    assert_eq!(zoom.download_count(&file_id_of(url)), 1);
}

#[tokio::test]
async fn without_the_redirect_the_download_answers_the_bytes() {
    let zoom = demo().await;
    let (_, _, body) = seeded(
        &zoom,
        json!([{"file_type": "TRANSCRIPT", "file_size": 5_000}]),
    )
    .await;
    let file = &body["recording_files"][0];
    let (id, url) = (
        file["id"].as_str().unwrap(),
        file["download_url"].as_str().unwrap(),
    );
    zoom.set_download_redirect(false);
    let response = fetch(&no_redirects(), url, Some(access_token(&body))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(content_type(&response), "text/vtt");
    let got = read_body(response).await.unwrap();
    assert_eq!(got, (recording_content_sha256(id, 5_000), 5_000));
    assert_eq!(zoom.count(Endpoint::StreamRecording), 0);
    assert_eq!(zoom.download_count(id), 1);
    // Refusals are the same without the redirect.
    assert_html_page(fetch(&no_redirects(), url, None).await, "Only the host").await;
    zoom.set_download_redirect(true);
    assert_eq!(
        fetch(&no_redirects(), url, Some(access_token(&body)))
            .await
            .status(),
        302
    );
}

#[tokio::test]
async fn a_cut_transfer_ends_short_then_the_next_is_whole() {
    const SIZE: u64 = 1_000_000;
    let zoom = demo().await;
    let (_, _, body) = seeded(&zoom, json!([{"file_type": "MP4", "file_size": SIZE}])).await;
    let token = access_token(&body);
    let file = &body["recording_files"][0];
    let (id, url) = (
        file["id"].as_str().unwrap(),
        file["download_url"].as_str().unwrap(),
    );
    let expected: Vec<u8> = recording_content(id, SIZE).flatten().collect();
    let whole = (recording_content_sha256(id, SIZE), SIZE);

    for redirect in [true, false] {
        zoom.set_download_redirect(redirect);
        zoom.cut_download(id, 300_000, 2);
        for _ in 0..2 {
            let response = fetch(&http(), url, Some(token)).await;
            assert_eq!(response.status(), 200);
            assert_eq!(
                response.headers()[CONTENT_LENGTH],
                SIZE.to_string().as_str()
            );
            let (received, error) = read_body(response)
                .await
                .expect_err("a cut transfer must not end cleanly");
            assert!(
                received.len() <= 300_000,
                "{} bytes, {error}",
                received.len()
            );
            assert!(
                received[..] == expected[..received.len()],
                "a prefix of the file"
            );
        }
        let response = fetch(&http(), url, Some(token)).await;
        assert_eq!(
            read_body(response).await.unwrap(),
            whole,
            "redirect={redirect}"
        );
    }
    assert_eq!(zoom.download_count(id), 6);
}

#[tokio::test]
async fn serve_html_for_and_injected_faults() {
    let zoom = demo().await;
    let (_, _, body) = seeded(&zoom, json!([{}])).await;
    let token = access_token(&body);
    let url = body["recording_files"][0]["download_url"].as_str().unwrap();
    zoom.serve_html_for(&file_id_of(url));
    for _ in 0..2 {
        assert_html_page(fetch(&no_redirects(), url, Some(token)).await, "deleted").await;
    }
    zoom.clear_faults();
    assert_eq!(fetch(&no_redirects(), url, Some(token)).await.status(), 302);

    // The faults every endpoint takes apply to downloads too.
    zoom.inject(Fault::times(
        Endpoint::DownloadRecording,
        FaultKind::ServerError(503),
        1,
    ));
    assert_eq!(fetch(&no_redirects(), url, Some(token)).await.status(), 503);
    zoom.inject(Fault::times(
        Endpoint::StreamRecording,
        FaultKind::DropConnection,
        1,
    ));
    assert!(http().get(url).bearer_auth(token).send().await.is_err());
    let response = fetch(&http(), url, Some(token)).await;
    assert_eq!(response.status(), 200);
    assert_eq!(zoom.count(Endpoint::StreamRecording), 2);
}

/// `DELETE {api}{path}` with a bearer token: status and JSON body.
async fn delete(zoom: &Emulator, token: &str, path: &str) -> (u16, Value) {
    common::delete(zoom, token, path).await
}

/// The demo, its app also granted the recording delete scopes (which
/// `DEMO_SCOPES` has only for whole meetings).
async fn demo_that_deletes() -> Emulator {
    let mut config = EmulatorConfig::demo();
    config.accounts[0].scopes.extend([
        "cloud_recording:delete:recording_file:admin".to_owned(),
        "cloud_recording:delete:meeting_recording:admin".to_owned(),
    ]);
    Emulator::start(config).await.unwrap()
}

#[tokio::test]
async fn trashed_and_deleted_files_leave_the_list_and_answer_html() {
    let zoom = demo_that_deletes().await;
    let (oauth, id, body) = seeded(
        &zoom,
        json!([{"file_type": "MP4", "file_size": 10}, {"file_type": "M4A", "file_size": 5}, {"file_type": "TB"}]),
    )
    .await;
    let token = access_token(&body).to_owned();
    let files = body["recording_files"].as_array().unwrap();
    let (mp4, m4a) = (
        files[0]["id"].as_str().unwrap(),
        files[1]["id"].as_str().unwrap(),
    );
    let mp4_url = files[0]["download_url"].as_str().unwrap();
    let recordings = format!("/meetings/{id}/recordings");

    assert_eq!(
        delete(&zoom, &oauth, &format!("{recordings}/{mp4}")).await,
        (204, Value::Null)
    );
    assert_eq!(zoom.recording_file_status(mp4).as_deref(), Some("trashed"));
    assert_eq!(
        zoom.recording_file_status(m4a).as_deref(),
        Some("completed")
    );
    let (_, listed) = get(&zoom, &oauth, &recordings).await;
    assert_eq!(listed["recording_count"], 2);
    assert_eq!(listed["total_size"], 5);
    assert_ne!(listed["recording_files"][0]["id"], mp4);
    assert_html_page(
        fetch(&no_redirects(), mp4_url, Some(&token)).await,
        "deleted",
    )
    .await;
    assert_eq!(zoom.download_count(mp4), 0);

    // Trashing it again: it is no longer there; deleting it: for good.
    let trash_again = delete(&zoom, &oauth, &format!("{recordings}/{mp4}?action=trash")).await;
    assert_eq!(trash_again.0, 404);
    assert_eq!(trash_again.1["code"], 3301);
    assert_eq!(
        delete(&zoom, &oauth, &format!("{recordings}/{mp4}?action=delete"))
            .await
            .0,
        204
    );
    assert_eq!(zoom.recording_file_status(mp4).as_deref(), Some("deleted"));
    assert_html_page(
        fetch(&no_redirects(), mp4_url, Some(&token)).await,
        "deleted",
    )
    .await;

    let unknown = delete(&zoom, &oauth, &format!("{recordings}/no-such-file")).await;
    assert_eq!(
        unknown,
        (
            404,
            json!({"code": 3301, "message": "This recording does not exist."})
        )
    );
    let bad_action = delete(&zoom, &oauth, &format!("{recordings}/{m4a}?action=shred")).await;
    assert_eq!(bad_action.0, 400);
    assert_eq!(
        zoom.recording_file_status(m4a).as_deref(),
        Some("completed")
    );

    // The whole instance: the rest goes to the trash, then the list is 3301.
    assert_eq!(delete(&zoom, &oauth, &recordings).await.0, 204);
    assert_eq!(zoom.recording_file_status(m4a).as_deref(), Some("trashed"));
    assert_eq!(get(&zoom, &oauth, &recordings).await.0, 404);
    assert_eq!(delete(&zoom, &oauth, &recordings).await.0, 404);
    assert_eq!(
        delete(&zoom, &oauth, &format!("{recordings}?action=delete"))
            .await
            .0,
        204
    );
    assert_eq!(zoom.recording_file_status(m4a).as_deref(), Some("deleted"));
}

#[tokio::test]
async fn delete_takes_double_encoded_uuids() {
    let zoom = demo_that_deletes().await;
    let oauth = demo_token(&zoom).await;
    let id = create_meeting(&zoom, &oauth, "uuid").await;
    zoom.add_recording_instance(&id.to_string(), "/ab//cdEFgh+ijk==", json!([{}, {}]));
    let (_, body) = get(&zoom, &oauth, &format!("/meetings/{id}/recordings")).await;
    let first = body["recording_files"][0]["id"].as_str().unwrap();
    let second = body["recording_files"][1]["id"].as_str().unwrap();
    let single = format!("/meetings/%2Fab%2F%2FcdEFgh%2Bijk%3D%3D/recordings/{first}");
    assert_eq!(delete(&zoom, &oauth, &single).await.1["code"], 3301);
    let double = format!("/meetings/%252Fab%252F%252FcdEFgh%252Bijk%253D%253D/recordings/{first}");
    assert_eq!(delete(&zoom, &oauth, &double).await.0, 204);
    assert_eq!(
        zoom.recording_file_status(first).as_deref(),
        Some("trashed")
    );
    assert_eq!(
        zoom.recording_file_status(second).as_deref(),
        Some("completed")
    );
}

#[tokio::test]
async fn delete_routes_check_their_scopes() {
    async fn with_scopes(scopes: &[&str]) -> (Emulator, String, String, String) {
        let account = Account::new("acc", "cid", "secret")
            .with_scopes(scopes)
            .with_user(User::licensed("host-1", "host@example.com"));
        let zoom = Emulator::start(EmulatorConfig::new(vec![account]))
            .await
            .unwrap();
        let token = common::token(&zoom, "cid", "secret", "acc").await;
        zoom.add_recording("81234567890", json!([{}]));
        let event = zoom.recording_completed_event("81234567890").unwrap();
        let file = event["payload"]["object"]["recording_files"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        (
            zoom,
            token,
            file,
            "/meetings/81234567890/recordings".to_owned(),
        )
    }
    let missing = |scopes: &str| {
        json!({"code": MISSING_SCOPES_CODE,
            "message": format!("Invalid access token, does not contain scopes:[{scopes}].")})
    };
    let (zoom, token, file, path) =
        with_scopes(&["cloud_recording:read:list_recording_files:admin"]).await;
    assert_eq!(
        delete(&zoom, &token, &format!("{path}/{file}")).await,
        (
            400,
            missing(
                "cloud_recording:delete:recording_file, cloud_recording:delete:recording_file:admin"
            )
        )
    );
    assert_eq!(
        delete(&zoom, &token, &path).await,
        (
            400,
            missing(
                "cloud_recording:delete:meeting_recording, cloud_recording:delete:meeting_recording:admin"
            )
        )
    );
    assert_eq!(
        zoom.recording_file_status(&file).as_deref(),
        Some("completed")
    );

    for scope in [
        "cloud_recording:delete:recording_file",
        "cloud_recording:delete:recording_file:admin",
        "recording:write",
        "recording:write:admin",
    ] {
        let (zoom, token, file, path) = with_scopes(&[scope]).await;
        assert_eq!(
            delete(&zoom, &token, &format!("{path}/{file}")).await.0,
            204,
            "{scope}"
        );
        assert_eq!(
            zoom.recording_file_status(&file).as_deref(),
            Some("trashed")
        );
    }
    // The meeting-wide delete wants its own granular scope.
    let (zoom, token, _, path) =
        with_scopes(&["cloud_recording:delete:recording_file:admin"]).await;
    assert_eq!(delete(&zoom, &token, &path).await.0, 400);
    let (zoom, token, file, path) =
        with_scopes(&["cloud_recording:delete:meeting_recording:admin"]).await;
    assert_eq!(
        delete(&zoom, &token, &format!("{path}/{file}")).await.0,
        400
    );
    assert_eq!(delete(&zoom, &token, &path).await.0, 204);
}
