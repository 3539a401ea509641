//! The bytes of a recording file: deterministic (a SplitMix64 stream seeded
//! from the SHA-256 of the file id), generated chunk by chunk while they are
//! sent, so a 2 GB file costs no memory. Tests compute what the emulator
//! serves with [`recording_content`] or [`recording_content_sha256`].

use axum::body::Bytes;
use sha2::{Digest, Sha256};

/// Bytes per chunk of [`RecordingContent`] (the last one may be shorter).
pub const CONTENT_CHUNK_SIZE: usize = 64 * 1024;

/// SplitMix64's increment.
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The chunks of a recording file's bytes, in order: see [`recording_content`].
#[derive(Debug, Clone)]
pub struct RecordingContent {
    state: u64,
    remaining: u64,
}

impl RecordingContent {
    /// Bytes not yet yielded.
    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    fn next_word(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Iterator for RecordingContent {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        if self.remaining == 0 {
            return None;
        }
        // A chunk is a whole number of 8-byte words (but maybe the last), so
        // the bytes do not depend on how they are chunked.
        let len = usize::try_from(self.remaining)
            .map_or(CONTENT_CHUNK_SIZE, |r| r.min(CONTENT_CHUNK_SIZE));
        let mut chunk = vec![0u8; len];
        for word in chunk.chunks_mut(8) {
            let bytes = self.next_word().to_le_bytes();
            word.copy_from_slice(&bytes[..word.len()]);
        }
        self.remaining -= len as u64;
        Some(Bytes::from(chunk))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let chunks = usize::try_from(self.remaining.div_ceil(CONTENT_CHUNK_SIZE as u64)).ok();
        (chunks.unwrap_or(usize::MAX), chunks)
    }
}

/// The `size` bytes the emulator serves for recording file `file_id`, as
/// chunks of [`CONTENT_CHUNK_SIZE`] bytes. Nothing is held beyond the chunk
/// being made.
pub fn recording_content(file_id: &str, size: u64) -> RecordingContent {
    let digest = Sha256::digest(file_id.as_bytes());
    let mut seed = [0u8; 8];
    seed.copy_from_slice(&digest[..8]);
    RecordingContent {
        state: u64::from_le_bytes(seed),
        remaining: size,
    }
}

/// Lowercase hex SHA-256 of [`recording_content`]`(file_id, size)`.
pub fn recording_content_sha256(file_id: &str, size: u64) -> String {
    let mut hasher = Sha256::new();
    for chunk in recording_content(file_id, size) {
        hasher.update(&chunk);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(file_id: &str, size: u64) -> Vec<u8> {
        recording_content(file_id, size).flatten().collect()
    }

    #[test]
    fn sizes_and_chunks() {
        assert_eq!(collect("a", 0), Vec::<u8>::new());
        assert_eq!(collect("a", 13).len(), 13);
        let size = 2 * CONTENT_CHUNK_SIZE as u64 + 5;
        let lens: Vec<usize> = recording_content("a", size).map(|c| c.len()).collect();
        assert_eq!(lens, [CONTENT_CHUNK_SIZE, CONTENT_CHUNK_SIZE, 5]);
        assert_eq!(recording_content("a", size).size_hint(), (3, Some(3)));
    }

    #[test]
    fn deterministic_per_file_and_prefix_stable() {
        let long = collect("file-1", 200_000);
        assert_eq!(long, collect("file-1", 200_000));
        assert_eq!(&long[..100_003], &collect("file-1", 100_003)[..]);
        assert_ne!(&long[..64], &collect("file-2", 64)[..]);
        // Not a constant or trivially repeating pattern.
        assert_ne!(&long[..8], &long[8..16]);
    }

    #[test]
    fn sha256_of_the_content() {
        let expected = hex::encode(Sha256::digest(collect("x", 70_001)));
        assert_eq!(recording_content_sha256("x", 70_001), expected);
        // SHA-256 of the empty string.
        assert_eq!(
            recording_content_sha256("x", 0),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
