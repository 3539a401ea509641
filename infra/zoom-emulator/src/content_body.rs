//! A response body streaming a recording file's [`crate::content`], made a
//! chunk at a time as the connection takes them; optionally cut short (an
//! injected fault), which ends the connection before `Content-Length` bytes.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use crate::content::{RecordingContent, recording_content};

/// The bytes of one file, all of them or (when cut) the first `cut_after`.
pub(crate) struct ContentBody {
    content: RecordingContent,
    size: u64,
    sent: u64,
    /// Fail the body once this many bytes are sent.
    cut_after: Option<u64>,
    /// Whether the body paused at the cut (so the server flushes what it
    /// has, headers included, before the connection ends).
    paused: bool,
}

impl ContentBody {
    pub(crate) fn new(file_id: &str, size: u64, cut_after: Option<u64>) -> Self {
        Self {
            content: recording_content(file_id, size),
            size,
            sent: 0,
            // A cut at or past the end cuts nothing.
            cut_after: cut_after.filter(|&cut| cut < size),
            paused: false,
        }
    }
}

impl Body for ContentBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let Some(cut) = this.cut_after
            && this.sent >= cut
        {
            if !this.paused {
                // Hyper writes out its buffer when the body is pending; the
                // error then ends the connection.
                this.paused = true;
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            this.cut_after = None;
            this.content = recording_content("", 0);
            let error = io::Error::other("recording transfer cut by an injected fault");
            return Poll::Ready(Some(Err(error)));
        }
        let Some(mut chunk) = this.content.next() else {
            return Poll::Ready(None);
        };
        if let Some(cut) = this.cut_after {
            let room = usize::try_from(cut - this.sent).unwrap_or(usize::MAX);
            chunk.truncate(room);
        }
        this.sent += chunk.len() as u64;
        Poll::Ready(Some(Ok(Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.content.remaining() == 0 && self.cut_after.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.size - self.sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll_all(mut body: ContentBody) -> (Vec<u8>, bool) {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut bytes = Vec::new();
        loop {
            match Pin::new(&mut body).poll_frame(&mut cx) {
                Poll::Ready(Some(Ok(frame))) => bytes.extend(frame.into_data().unwrap()),
                Poll::Ready(Some(Err(_))) => return (bytes, true),
                Poll::Ready(None) => return (bytes, false),
                Poll::Pending => assert!(!bytes.is_empty() || body.paused),
            }
        }
    }

    #[test]
    fn whole_and_cut_bodies() {
        let whole: Vec<u8> = recording_content("f", 150_000).flatten().collect();
        assert_eq!(
            poll_all(ContentBody::new("f", 150_000, None)),
            (whole.clone(), false)
        );
        let (cut, failed) = poll_all(ContentBody::new("f", 150_000, Some(70_000)));
        assert!(failed);
        assert_eq!(cut, whole[..70_000]);
        assert_eq!(
            poll_all(ContentBody::new("f", 150_000, Some(150_000))),
            (whole, false)
        );
        assert_eq!(
            poll_all(ContentBody::new("f", 10, Some(0))),
            (Vec::new(), true)
        );
    }
}
