//! Objects in an S3 bucket. A file that fits in one part is one PutObject;
//! a larger one is a multipart upload whose parts are sent as they fill
//! (one part in memory at a time) and which becomes visible only when
//! completed. Every part carries its SHA-256, which S3 checks on receipt.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use base64::Engine;
use bytes::{Bytes, BytesMut};
use sha2::{Digest, Sha256};

use super::{ObjectError, ObjectLink, ObjectStore, PART_BYTES, Upload};
use crate::lazy_client::Lazy;

#[derive(Clone)]
pub struct S3Objects {
    client: Lazy<Client>,
    bucket: String,
}

impl S3Objects {
    pub fn new(client: Client, bucket: impl Into<String>) -> Self {
        Self::lazy(Lazy::ready(client), bucket)
    }

    /// With a client built on first use.
    pub fn lazy(client: Lazy<Client>, bucket: impl Into<String>) -> Self {
        Self {
            client,
            bucket: bucket.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

fn unavailable(e: impl std::fmt::Display) -> ObjectError {
    ObjectError::Unavailable(e.to_string())
}

fn part_checksum(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

#[async_trait]
impl ObjectStore for S3Objects {
    async fn upload(&self, key: &str, content_type: &str) -> Result<Box<dyn Upload>, ObjectError> {
        Ok(Box::new(S3Upload {
            client: self.client.get().clone(),
            bucket: self.bucket.clone(),
            key: key.to_owned(),
            content_type: content_type.to_owned(),
            buffer: BytesMut::with_capacity(PART_BYTES),
            upload_id: None,
            parts: Vec::new(),
        }))
    }

    async fn link(
        &self,
        key: &str,
        ttl: Duration,
        filename: &str,
    ) -> Result<ObjectLink, ObjectError> {
        let presigning = PresigningConfig::expires_in(ttl).map_err(unavailable)?;
        let safe: String = filename
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .collect();
        let request = self
            .client
            .get()
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .response_content_disposition(format!("attachment; filename=\"{safe}\""))
            .presigned(presigning)
            .await
            .map_err(unavailable)?;
        Ok(ObjectLink::Url(request.uri().to_owned()))
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, ObjectError> {
        match self
            .client
            .get()
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(head) => Ok(head.content_length().map(|n| n.max(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(unavailable(aws_sdk_s3::error::DisplayErrorContext(e))),
        }
    }
}

struct S3Upload {
    client: Client,
    bucket: String,
    key: String,
    content_type: String,
    buffer: BytesMut,
    /// Once a first part is sent.
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
}

impl S3Upload {
    async fn begin(&mut self) -> Result<String, ObjectError> {
        if let Some(id) = &self.upload_id {
            return Ok(id.clone());
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .content_type(&self.content_type)
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .send()
            .await
            .map_err(|e| unavailable(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        let id = created
            .upload_id()
            .ok_or_else(|| unavailable("S3 gave no upload id"))?
            .to_owned();
        self.upload_id = Some(id.clone());
        Ok(id)
    }

    /// Sends the buffered bytes as the next part.
    async fn send_part(&mut self) -> Result<(), ObjectError> {
        let upload_id = self.begin().await?;
        let number = self.parts.len() as i32 + 1;
        let body = self.buffer.split().freeze();
        let checksum = part_checksum(&body);
        let sent = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
            .part_number(number)
            .checksum_sha256(&checksum)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| unavailable(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(sent.e_tag().map(str::to_owned))
                .checksum_sha256(checksum)
                .build(),
        );
        Ok(())
    }

    async fn put_whole(&mut self) -> Result<(), ObjectError> {
        let body = self.buffer.split().freeze();
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .content_type(&self.content_type)
            .checksum_sha256(part_checksum(&body))
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| unavailable(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(())
    }
}

#[async_trait]
impl Upload for S3Upload {
    async fn write(&mut self, mut chunk: Bytes) -> Result<(), ObjectError> {
        while !chunk.is_empty() {
            let room = PART_BYTES - self.buffer.len();
            let taken = chunk.split_to(room.min(chunk.len()));
            self.buffer.extend_from_slice(&taken);
            if self.buffer.len() == PART_BYTES {
                self.send_part().await?;
            }
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<(), ObjectError> {
        let Some(upload_id) = self.upload_id.clone() else {
            return self.put_whole().await;
        };
        if !self.buffer.is_empty() {
            self.send_part().await?;
        }
        let parts = std::mem::take(&mut self.parts);
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| unavailable(aws_sdk_s3::error::DisplayErrorContext(e)))?;
        Ok(())
    }

    async fn abort(self: Box<Self>) {
        if let Some(upload_id) = &self.upload_id {
            let aborted = self
                .client
                .abort_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(upload_id)
                .send()
                .await;
            if let Err(e) = aborted {
                // The bucket's lifecycle rule drops incomplete uploads.
                tracing::warn!(key = %self.key, error = %aws_sdk_s3::error::DisplayErrorContext(e), "could not abort a multipart upload");
            }
        }
    }
}
