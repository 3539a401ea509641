//! The object store port: where archived recordings live. Two
//! implementations with the same guarantees: S3 ([`S3Objects`]) and a
//! directory ([`DirObjects`], `--data-dir/recordings`). An upload is written
//! part by part as the bytes arrive (constant memory whatever the size) and
//! becomes visible only when finished: an aborted or failed upload leaves no
//! object behind.

mod dir;
mod s3;

pub use dir::DirObjects;
pub use s3::S3Objects;

use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;

/// S3's smallest part (but the last); every part but the last is this size.
pub const PART_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("object store unavailable: {0}")]
    Unavailable(String),
    #[error("no such object")]
    NotFound,
}

/// How a reader gets an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectLink {
    /// A presigned URL, valid for the time asked.
    Url(String),
    /// A local file, served by the server itself.
    File(PathBuf),
}

#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Starts writing `key`; nothing is visible under it until `finish`.
    async fn upload(&self, key: &str, content_type: &str) -> Result<Box<dyn Upload>, ObjectError>;
    /// A link to read `key` for `ttl`, downloading as `filename`.
    async fn link(
        &self,
        key: &str,
        ttl: Duration,
        filename: &str,
    ) -> Result<ObjectLink, ObjectError>;
    /// The size of `key`, or none when it is not there.
    async fn size(&self, key: &str) -> Result<Option<u64>, ObjectError>;
}

#[async_trait]
pub trait Upload: Send {
    /// Appends bytes; full parts are written out as they fill.
    async fn write(&mut self, chunk: Bytes) -> Result<(), ObjectError>;
    /// Writes the rest and makes the object visible.
    async fn finish(self: Box<Self>) -> Result<(), ObjectError>;
    /// Drops what was written.
    async fn abort(self: Box<Self>);
}

/// The object store when none is configured (`RECORDINGS_BUCKET` unset):
/// every call fails, saying so, and archive attempts fail with that reason.
pub struct Unconfigured;

#[async_trait]
impl ObjectStore for Unconfigured {
    async fn upload(&self, _: &str, _: &str) -> Result<Box<dyn Upload>, ObjectError> {
        Err(Self::error())
    }

    async fn link(&self, _: &str, _: Duration, _: &str) -> Result<ObjectLink, ObjectError> {
        Err(Self::error())
    }

    async fn size(&self, _: &str) -> Result<Option<u64>, ObjectError> {
        Err(Self::error())
    }
}

impl Unconfigured {
    fn error() -> ObjectError {
        ObjectError::Unavailable("no recordings bucket is configured (RECORDINGS_BUCKET)".into())
    }
}
