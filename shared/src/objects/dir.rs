//! Objects as files under a directory: an upload writes `{key}.partial-{id}`
//! and renames it into place when finished, so a reader never sees half a
//! file and a crash leaves only a partial that a later upload ignores.

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncWriteExt;

use super::{ObjectError, ObjectLink, ObjectStore, Upload};

#[derive(Debug, Clone)]
pub struct DirObjects {
    root: PathBuf,
}

impl DirObjects {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The file of `key`; keys are relative paths of plain components.
    fn path(&self, key: &str) -> Result<PathBuf, ObjectError> {
        let relative = Path::new(key);
        let plain = relative
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
        if !plain || key.is_empty() {
            return Err(ObjectError::Unavailable(format!("bad object key {key:?}")));
        }
        Ok(self.root.join(relative))
    }
}

fn io(e: std::io::Error) -> ObjectError {
    ObjectError::Unavailable(e.to_string())
}

#[async_trait]
impl ObjectStore for DirObjects {
    async fn upload(&self, key: &str, _content_type: &str) -> Result<Box<dyn Upload>, ObjectError> {
        let target = self.path(key)?;
        if let Some(parent) = target.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        let partial = target.with_file_name(format!(
            "{}.partial-{}",
            target
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            ulid::Ulid::new()
        ));
        let file = tokio::fs::File::create(&partial).await.map_err(io)?;
        Ok(Box::new(DirUpload {
            file: tokio::io::BufWriter::with_capacity(1 << 20, file),
            partial,
            target,
        }))
    }

    async fn link(
        &self,
        key: &str,
        _ttl: Duration,
        _filename: &str,
    ) -> Result<ObjectLink, ObjectError> {
        let path = self.path(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(_) => Ok(ObjectLink::File(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(ObjectError::NotFound),
            Err(e) => Err(io(e)),
        }
    }

    async fn size(&self, key: &str) -> Result<Option<u64>, ObjectError> {
        match tokio::fs::metadata(self.path(key)?).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }
}

struct DirUpload {
    file: tokio::io::BufWriter<tokio::fs::File>,
    partial: PathBuf,
    target: PathBuf,
}

#[async_trait]
impl Upload for DirUpload {
    async fn write(&mut self, chunk: Bytes) -> Result<(), ObjectError> {
        self.file.write_all(&chunk).await.map_err(io)
    }

    async fn finish(mut self: Box<Self>) -> Result<(), ObjectError> {
        self.file.flush().await.map_err(io)?;
        self.file.get_mut().sync_all().await.map_err(io)?;
        tokio::fs::rename(&self.partial, &self.target)
            .await
            .map_err(io)
    }

    async fn abort(self: Box<Self>) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.partial).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_object_appears_only_when_finished() {
        let dir = tempfile::tempdir().unwrap();
        let objects = DirObjects::new(dir.path());
        let mut upload = objects.upload("a/b/c.mp4", "video/mp4").await.unwrap();
        upload.write(Bytes::from_static(b"hello ")).await.unwrap();
        upload.write(Bytes::from_static(b"world")).await.unwrap();
        assert_eq!(objects.size("a/b/c.mp4").await.unwrap(), None);
        upload.finish().await.unwrap();
        assert_eq!(objects.size("a/b/c.mp4").await.unwrap(), Some(11));
        let ObjectLink::File(path) = objects
            .link("a/b/c.mp4", Duration::ZERO, "c")
            .await
            .unwrap()
        else {
            panic!("a file")
        };
        assert_eq!(std::fs::read(path).unwrap(), b"hello world");
    }

    #[tokio::test]
    async fn an_aborted_upload_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let objects = DirObjects::new(dir.path());
        let mut upload = objects.upload("k/v", "text/plain").await.unwrap();
        upload.write(Bytes::from_static(b"half")).await.unwrap();
        upload.abort().await;
        assert_eq!(objects.size("k/v").await.unwrap(), None);
        assert_eq!(std::fs::read_dir(dir.path().join("k")).unwrap().count(), 0);
        assert!(matches!(
            objects.link("k/v", Duration::ZERO, "v").await,
            Err(ObjectError::NotFound)
        ));
    }

    #[tokio::test]
    async fn keys_stay_inside_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let objects = DirObjects::new(dir.path());
        assert!(objects.upload("../x", "text/plain").await.is_err());
        assert!(objects.upload("/etc/x", "text/plain").await.is_err());
    }
}
