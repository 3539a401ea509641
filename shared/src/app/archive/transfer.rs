//! One file's bytes from Zoom's answer into an upload: counted, hashed and
//! written part by part as they arrive (memory stays at one part whatever
//! the size), checked against Zoom's `file_size`. Anything short of the
//! whole file aborts the upload.

use sha2::{Digest, Sha256};

use crate::domain::archive::ArchiveFailure;
use crate::objects::Upload;

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub bytes: u64,
    pub sha256: String,
}

/// Streams `response` into `upload` and finishes it; `expected` is Zoom's
/// `file_size` (when it gave one).
pub async fn copy(
    mut response: reqwest::Response,
    expected: Option<u64>,
    mut upload: Box<dyn Upload>,
) -> Result<Copied, ArchiveFailure> {
    let mut hasher = Sha256::new();
    let mut bytes = 0u64;
    let failure = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                bytes += chunk.len() as u64;
                if expected.is_some_and(|size| bytes > size) {
                    break ArchiveFailure::new(
                        "size_mismatch",
                        format!(
                            "Zoom sent more than the {} bytes it listed",
                            expected.unwrap_or(0)
                        ),
                    );
                }
                hasher.update(&chunk);
                if let Err(e) = upload.write(chunk).await {
                    break ArchiveFailure::new("object_store_unavailable", e.to_string());
                }
            }
            Ok(None) => match expected {
                Some(size) if size != bytes => {
                    break ArchiveFailure::new(
                        "size_mismatch",
                        format!("got {bytes} bytes of the {size} Zoom listed"),
                    );
                }
                _ => {
                    return match upload.finish().await {
                        Ok(()) => Ok(Copied {
                            bytes,
                            sha256: hex::encode(hasher.finalize()),
                        }),
                        Err(e) => Err(ArchiveFailure::new(
                            "object_store_unavailable",
                            e.to_string(),
                        )),
                    };
                }
            },
            Err(e) => {
                break ArchiveFailure::new(
                    "transfer_cut",
                    format!(
                        "the transfer broke after {bytes} bytes: {}",
                        e.without_url()
                    ),
                );
            }
        }
    };
    upload.abort().await;
    Err(failure)
}
