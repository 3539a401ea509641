//! What tests can do to recording downloads, besides the [`crate::Fault`]s
//! every endpoint takes: answer a file with Zoom's HTML page, cut transfers
//! short, serve without the redirect, shorten the signed links; and what they
//! can inspect (downloads per file, a file's status).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use crate::emulator::Emulator;
use crate::recording_files;

/// How long a signed `/rec/stream` link works by default (UNCONFIRMED:
/// Zoom's are short-lived; the exact lifetime is not documented).
pub(crate) const DEFAULT_STREAM_LINK_TTL: Duration = Duration::from_secs(120);

/// A pending cut: the next `times` transfers of the file stop after
/// `after_bytes` bytes.
#[derive(Debug, Clone)]
struct Cut {
    file_id: String,
    after_bytes: u64,
    times: u32,
}

/// Download faults, knobs and counts.
#[derive(Debug)]
pub(crate) struct DownloadState {
    /// Files whose `/rec/download` always answers the HTML page.
    html: HashSet<String>,
    cuts: Vec<Cut>,
    /// `false`: `/rec/download` answers the bytes itself, no redirect.
    pub redirect: bool,
    pub stream_link_ttl: Duration,
    /// Transfers of each file's bytes begun (cut ones included).
    counts: HashMap<String, usize>,
}

impl Default for DownloadState {
    fn default() -> Self {
        Self {
            html: HashSet::new(),
            cuts: Vec::new(),
            redirect: true,
            stream_link_ttl: DEFAULT_STREAM_LINK_TTL,
            counts: HashMap::new(),
        }
    }
}

impl DownloadState {
    /// Whether `/rec/download/{file_id}` must answer the HTML page.
    pub(crate) fn serves_html(&self, file_id: &str) -> bool {
        self.html.contains(file_id)
    }

    /// Counts a transfer of `file_id` beginning and takes its cut, if any:
    /// how many bytes it may send.
    pub(crate) fn begin_transfer(&mut self, file_id: &str) -> Option<u64> {
        *self.counts.entry(file_id.to_owned()).or_default() += 1;
        let index = self.cuts.iter().position(|c| c.file_id == file_id)?;
        let cut = &mut self.cuts[index];
        let after = cut.after_bytes;
        cut.times -= 1;
        if cut.times == 0 {
            self.cuts.remove(index);
        }
        Some(after)
    }

    /// Drops every download fault (counts and knobs stay).
    pub(crate) fn clear_faults(&mut self) {
        self.html.clear();
        self.cuts.clear();
    }
}

impl Emulator {
    /// From now on (until [`Emulator::clear_faults`]), `GET
    /// /rec/download/{file_id}` answers 200 `text/html` whatever the
    /// credentials, as Zoom does for a file it deleted.
    pub fn serve_html_for(&self, file_id: &str) {
        self.shared()
            .lock()
            .downloads
            .html
            .insert(file_id.to_owned());
    }

    /// The next `times` transfers of `file_id`'s bytes (from `/rec/stream`,
    /// or `/rec/download` without the redirect) stop after `after_bytes`
    /// bytes: the response has the full `Content-Length`, then the
    /// connection ends. Cuts of the same file apply in the order added; a cut
    /// at or past the file's size sends it whole (and is spent all the same).
    pub fn cut_download(&self, file_id: &str, after_bytes: u64, times: u32) {
        if times == 0 {
            return;
        }
        self.shared().lock().downloads.cuts.push(Cut {
            file_id: file_id.to_owned(),
            after_bytes,
            times,
        });
    }

    /// `true` (the default): a download answers 302 to a signed
    /// `/rec/stream` link, as Zoom does; `false`: it answers 200 with the
    /// bytes itself.
    pub fn set_download_redirect(&self, redirect: bool) {
        self.shared().lock().downloads.redirect = redirect;
    }

    /// How long the signed `/rec/stream` links of later redirects work
    /// (default 120 s, whole seconds; zero makes them expired at once).
    pub fn set_stream_link_ttl(&self, ttl: Duration) {
        self.shared().lock().downloads.stream_link_ttl = ttl;
    }

    /// How many transfers of `file_id`'s bytes began (a 200 from
    /// `/rec/stream`, or from `/rec/download` without the redirect), cut
    /// ones included. Redirects and refusals are not counted here (they are
    /// in [`Emulator::count`]).
    pub fn download_count(&self, file_id: &str) -> usize {
        let state = self.shared().lock();
        state.downloads.counts.get(file_id).copied().unwrap_or(0)
    }

    /// The status of the recording file whose `download_url` names
    /// `file_id` (any account): `"completed"`, `"trashed"` or `"deleted"`
    /// (after `DELETE …/recordings/{id}?action=trash|delete`), or what the
    /// seed gave; `CC`/`TB` files, which have no status, are `"completed"`.
    /// `None` for an unknown file.
    pub fn recording_file_status(&self, file_id: &str) -> Option<String> {
        let shared = self.shared();
        let state = shared.lock();
        let (recording, file) = recording_files::find(&state, &shared.base_url, file_id)?;
        let file = &state.recordings[recording].instance.recording_files[file];
        Some(recording_files::status(file).to_owned())
    }
}
