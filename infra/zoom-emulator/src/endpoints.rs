//! The one table of Zoom endpoints the emulator serves: for each, its method,
//! path, the scopes it accepts (ZOOM.md §3–4) and its handler. The
//! [`Endpoint`] enum, the router ([`crate::router`]), fault matching
//! ([`crate::faults`]) and scope checks ([`crate::scopes`]) all come from it.
//!
//! Adding an endpoint: one entry in the `endpoints!` call below, and its
//! handler, which takes an [`crate::auth::Call`] to learn its endpoint.

use std::sync::Arc;

use axum::routing::{MethodFilter, MethodRouter, on};

use crate::scopes::ScopeRule;
use crate::state::Shared;
use crate::{
    downloads, meeting_list, meetings, oauth, recording_delete, recordings, report, users,
};

/// One endpoint: how it is reached, what it accepts, who answers it.
pub(crate) struct Declaration {
    pub endpoint: Endpoint,
    pub method: MethodFilter,
    /// An axum path pattern.
    pub path: &'static str,
    /// `None` outside the REST API (the token endpoint, recording downloads):
    /// no scope check.
    pub scopes: Option<ScopeRule>,
    /// The handler, routed for `method`.
    pub route: fn(MethodFilter) -> MethodRouter<Arc<Shared>>,
}

impl Declaration {
    /// The endpoint's handler, for its method only.
    pub fn method_router(&self) -> MethodRouter<Arc<Shared>> {
        (self.route)(self.method)
    }
}

/// The declaration of `endpoint`.
pub(crate) fn declaration(endpoint: Endpoint) -> &'static Declaration {
    // The macro lists the table in the enum's order.
    &ENDPOINTS[endpoint as usize]
}

/// Declares [`Endpoint`] and [`ENDPOINTS`] from one list, so the two cannot
/// drift apart. An entry: doc comment, `Name: METHOD "path" => handler`,
/// then, for a REST endpoint, `granular [..], classic [..]` (the granular
/// ones are named, in this order, in the missing-scopes message). New
/// entries go last (the enum is public; its order is the table's).
macro_rules! endpoints {
    ($(
        $(#[$doc:meta])*
        $name:ident: $method:ident $path:literal => $handler:path
        $(, granular [$($granular:literal),+ $(,)?], classic [$($classic:literal),+ $(,)?])?;
    )+) => {
        /// The endpoints the emulator counts and can fault.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Endpoint {
            $(
                $(#[$doc])*
                #[doc = ""]
                #[doc = concat!("`", stringify!($method), " ", $path, "`")]
                $name,
            )+
        }

        /// Every endpoint, in [`Endpoint`]'s order.
        pub(crate) const ENDPOINTS: &[Declaration] = &[$(
            Declaration {
                endpoint: Endpoint::$name,
                method: MethodFilter::$method,
                path: $path,
                scopes: endpoints!(@scopes $([$($granular),+] [$($classic),+])?),
                route: |method| on(method, $handler),
            },
        )+];
    };
    (@scopes) => { None };
    (@scopes [$($granular:literal),+] [$($classic:literal),+]) => {
        Some(ScopeRule {
            granular: &[$($granular),+],
            classic: &[$($classic),+],
        })
    };
}

endpoints! {
    /// Server-to-Server OAuth token.
    Token: POST "/oauth/token" => oauth::token;
    /// A user.
    GetUser: GET "/v2/users/{user_id}" => users::get_user,
        granular ["user:read:user", "user:read:user:admin"],
        classic ["user:read", "user:read:admin"];
    /// A user's ZAK or token.
    GetUserToken: GET "/v2/users/{user_id}/token" => users::get_user_token,
        granular ["user:read:token", "user:read:token:admin"],
        classic ["user:read", "user:read:admin", "user_zak:read"];
    /// Creates a meeting for a user.
    CreateMeeting: POST "/v2/users/{user_id}/meetings" => meetings::create,
        granular ["meeting:write:meeting", "meeting:write:meeting:admin"],
        classic ["meeting:write", "meeting:write:admin"];
    /// A meeting.
    GetMeeting: GET "/v2/meetings/{meeting_id}" => meetings::get,
        granular ["meeting:read:meeting", "meeting:read:meeting:admin"],
        classic ["meeting:read", "meeting:read:admin"];
    /// Updates a meeting.
    UpdateMeeting: PATCH "/v2/meetings/{meeting_id}" => meetings::update,
        granular ["meeting:update:meeting", "meeting:update:meeting:admin"],
        classic ["meeting:write", "meeting:write:admin"];
    /// Deletes a meeting.
    DeleteMeeting: DELETE "/v2/meetings/{meeting_id}" => meetings::delete,
        granular ["meeting:delete:meeting", "meeting:delete:meeting:admin"],
        classic ["meeting:write", "meeting:write:admin"];
    /// A user's meetings.
    ListMeetings: GET "/v2/users/{user_id}/meetings" => meeting_list::list,
        granular ["meeting:read:list_meetings", "meeting:read:list_meetings:admin"],
        classic ["meeting:read", "meeting:read:admin"];
    /// A meeting's cloud recordings.
    GetRecordings: GET "/v2/meetings/{meeting_id}/recordings" => recordings::get,
        granular [
            "cloud_recording:read:list_recording_files",
            "cloud_recording:read:list_recording_files:admin",
            "cloud_recording:read:list_recording_files:master",
        ],
        classic ["recording:read", "recording:read:admin"];
    /// The participant report of an ended meeting instance (ZOOM-2.md A).
    ParticipantsReport: GET "/v2/report/meetings/{meeting_id}/participants" => report::participants,
        granular ["report:read:list_meeting_participants:admin"],
        classic ["report:read:admin"];
    /// The ended instances of a meeting (ZOOM-2.md A).
    PastInstances: GET "/v2/past_meetings/{meeting_id}/instances" => report::instances,
        granular ["meeting:read:list_past_instances", "meeting:read:list_past_instances:admin"],
        classic ["meeting:read", "meeting:read:admin"];
    /// Trashes or deletes one recording file (ZOOM-2.md C).
    DeleteRecordingFile: DELETE "/v2/meetings/{meeting_id}/recordings/{recording_id}" => recording_delete::delete_file,
        granular [
            "cloud_recording:delete:recording_file",
            "cloud_recording:delete:recording_file:admin",
        ],
        classic ["recording:write", "recording:write:admin"];
    /// Trashes or deletes all of a meeting instance's recording files.
    DeleteRecordings: DELETE "/v2/meetings/{meeting_id}/recordings" => recording_delete::delete_all,
        granular [
            "cloud_recording:delete:meeting_recording",
            "cloud_recording:delete:meeting_recording:admin",
        ],
        classic ["recording:write", "recording:write:admin"];
    /// A recording file's `download_url` (Zoom's web domain): a download
    /// token or OAuth token as `Authorization: Bearer`, no scope check; 302
    /// to [`Endpoint::StreamRecording`], or Zoom's 200 HTML page.
    DownloadRecording: GET "/rec/download/{file_id}" => downloads::download;
    /// The signed link a download redirects to (Zoom's CDN): the bytes.
    StreamRecording: GET "/rec/stream/{file_id}" => downloads::stream;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_in_the_enums_order() {
        for (index, declared) in ENDPOINTS.iter().enumerate() {
            assert_eq!(declared.endpoint as usize, index);
            assert_eq!(declaration(declared.endpoint).path, declared.path);
        }
    }

    #[test]
    fn method_and_path_are_declared_once() {
        for (index, a) in ENDPOINTS.iter().enumerate() {
            for b in &ENDPOINTS[index + 1..] {
                assert!(a.method != b.method || a.path != b.path, "{:?}", b.endpoint);
            }
        }
    }
}
