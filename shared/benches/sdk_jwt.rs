//! Signing one Meeting SDK JWT (HS256), and the `customerKey` of an LMS user
//! (the id itself, or SHA-256 derived): what an attendee signature costs
//! besides the store reads.

use criterion::{Criterion, criterion_group, criterion_main};
use lms_zoom::domain::customer_key::customer_key;
use lms_zoom::secrets::Secret;
use lms_zoom::zoom::sdk_jwt::{self, SdkJwtInput, SdkRole};

fn signing(c: &mut Criterion) {
    let secret = Secret::new("generalAppClientSecret-0123456789abcdef");
    let now = chrono::Utc::now();
    let mut group = c.benchmark_group("sdk_jwt");
    for (name, role, mode) in [
        ("attendee", SdkRole::Attendee, None),
        ("host_webrtc", SdkRole::Host, Some(1)),
    ] {
        let input = SdkJwtInput {
            sdk_key: "generalAppClientId",
            meeting_number: "81234567890",
            role,
            expires_in_secs: sdk_jwt::DEFAULT_EXPIRES_IN_SECS,
            video_webrtc_mode: mode,
        };
        group.bench_function(name, |b| {
            b.iter(|| sdk_jwt::sign(std::hint::black_box(&input), &secret, now).unwrap())
        });
    }
    group.finish();
}

fn customer_keys(c: &mut Criterion) {
    let mut group = c.benchmark_group("customer_key");
    for (name, id) in [
        ("direct", "lms-user-17"),
        ("derived", "https://lms.example.edu/users/17"),
    ] {
        group.bench_function(name, |b| b.iter(|| customer_key(std::hint::black_box(id))));
    }
    group.finish();
}

criterion_group!(benches, signing, customer_keys);
criterion_main!(benches);
