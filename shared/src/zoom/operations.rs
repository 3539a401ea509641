//! Every Zoom REST operation lms-zoom uses, declared once: method, path,
//! whether repeating it is safe, and the scopes (granular and classic) that
//! allow it (ZOOM.md §2–4). The client formats paths from these declarations
//! and verification derives "which features this license can use" from them.

use reqwest::Method;

use super::encode::{meeting_ref, percent_encode};

/// Whether a call may be sent again after a failure that may have reached Zoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Repeating it changes nothing more (reads, updates to a value, deletes).
    Safe,
    /// Repeated only when the request provably never reached Zoom (a create).
    OnlyIfUnsent,
}

/// One Zoom REST operation.
#[derive(Debug)]
pub struct Operation {
    /// The capability it gives, as verification reports it.
    pub feature: &'static str,
    pub method: Method,
    /// Relative to the API base; `{meetingId}` is a meeting id or UUID
    /// (double-encoded when it must be), any other `{…}` one path segment.
    pub path: &'static str,
    pub retry: Retry,
    /// Without it lms-zoom cannot schedule classes: a license lacking it is `invalid`.
    pub core: bool,
    /// Scopes that allow it, granular first; the first is the one we ask admins for.
    pub scopes: &'static [&'static str],
}

impl Operation {
    /// The path with its placeholders filled, in order, each encoded.
    pub fn path_for(&self, args: &[&str]) -> String {
        let mut out = String::with_capacity(self.path.len() + 32);
        let mut rest = self.path;
        let mut args = args.iter();
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
            out.push_str(&rest[..open]);
            let arg = args.next().expect("one argument per placeholder");
            if &rest[open..=close] == "{meetingId}" {
                out.push_str(&meeting_ref(arg));
            } else {
                out.push_str(&percent_encode(arg));
            }
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        out
    }

    /// Whether any of `granted` allows this operation.
    pub fn allowed_by(&self, granted: &[String]) -> bool {
        self.scopes.iter().any(|s| granted.iter().any(|g| g == s))
    }

    /// The scope to ask an admin to add.
    pub fn preferred_scope(&self) -> &'static str {
        self.scopes[0]
    }
}

pub const CREATE_MEETING: Operation = Operation {
    feature: "create_meetings",
    method: Method::POST,
    path: "/users/{userId}/meetings",
    retry: Retry::OnlyIfUnsent,
    core: true,
    scopes: &[
        "meeting:write:meeting:admin",
        "meeting:write:meeting",
        "meeting:write:admin",
        "meeting:write",
    ],
};

pub const GET_MEETING: Operation = Operation {
    feature: "read_meetings",
    method: Method::GET,
    path: "/meetings/{meetingId}",
    retry: Retry::Safe,
    core: true,
    scopes: &[
        "meeting:read:meeting:admin",
        "meeting:read:meeting",
        "meeting:read:admin",
        "meeting:read",
    ],
};

pub const UPDATE_MEETING: Operation = Operation {
    feature: "update_meetings",
    method: Method::PATCH,
    path: "/meetings/{meetingId}",
    retry: Retry::Safe,
    core: true,
    scopes: &[
        "meeting:update:meeting:admin",
        "meeting:update:meeting",
        "meeting:write:admin",
        "meeting:write",
    ],
};

pub const DELETE_MEETING: Operation = Operation {
    feature: "delete_meetings",
    method: Method::DELETE,
    path: "/meetings/{meetingId}",
    retry: Retry::Safe,
    core: true,
    scopes: &[
        "meeting:delete:meeting:admin",
        "meeting:delete:meeting",
        "meeting:write:admin",
        "meeting:write",
    ],
};

pub const GET_USER: Operation = Operation {
    feature: "read_users",
    method: Method::GET,
    path: "/users/{userId}",
    retry: Retry::Safe,
    core: true,
    scopes: &[
        "user:read:user:admin",
        "user:read:user",
        "user:read:admin",
        "user:read",
    ],
};

pub const USER_ZAK: Operation = Operation {
    feature: "host_zak",
    method: Method::GET,
    path: "/users/{userId}/token",
    retry: Retry::Safe,
    core: false,
    scopes: &[
        "user:read:token:admin",
        "user:read:token",
        "user:read:admin",
        "user:read",
        "user_zak:read",
    ],
};

/// Finding the meeting a create made when Zoom's answer was lost.
pub const LIST_MEETINGS: Operation = Operation {
    feature: "list_meetings",
    method: Method::GET,
    path: "/users/{userId}/meetings",
    retry: Retry::Safe,
    core: false,
    scopes: &[
        "meeting:read:list_meetings:admin",
        "meeting:read:list_meetings",
        "meeting:read:admin",
        "meeting:read",
    ],
};

pub const MEETING_RECORDINGS: Operation = Operation {
    feature: "read_recordings",
    method: Method::GET,
    path: "/meetings/{meetingId}/recordings",
    retry: Retry::Safe,
    core: false,
    scopes: &[
        "cloud_recording:read:list_recording_files:admin",
        "cloud_recording:read:list_recording_files",
        "cloud_recording:read:list_recording_files:master",
        "recording:read:admin",
        "recording:read",
    ],
};

/// Moving one archived recording file to Zoom's trash (`recordingArchive:
/// archive_and_trash`; ZOOM-2.md C): recoverable there for 30 days.
pub const TRASH_RECORDING_FILE: Operation = Operation {
    feature: "trash_recordings",
    method: Method::DELETE,
    path: "/meetings/{meetingId}/recordings/{recordingId}",
    retry: Retry::Safe,
    core: false,
    scopes: &[
        "cloud_recording:delete:recording_file:admin",
        "cloud_recording:delete:recording_file",
        "recording:write:admin",
        "recording:write",
    ],
};

/// Zoom's participant report of an ended meeting instance (ZOOM-2.md A):
/// attendance pulled when webhooks were lost. Pro plan and up.
pub const PARTICIPANTS_REPORT: Operation = Operation {
    feature: "participants_report",
    method: Method::GET,
    path: "/report/meetings/{meetingId}/participants",
    retry: Retry::Safe,
    core: false,
    scopes: &[
        "report:read:list_meeting_participants:admin",
        "report:read:admin",
    ],
};

/// The ended instances of a meeting (ZOOM-2.md A): the UUID of a series'
/// occurrence whose events never came, to pull its own report and recordings.
pub const PAST_INSTANCES: Operation = Operation {
    feature: "past_instances",
    method: Method::GET,
    path: "/past_meetings/{meetingId}/instances",
    retry: Retry::Safe,
    core: false,
    scopes: &[
        "meeting:read:list_past_instances:admin",
        "meeting:read:list_past_instances",
        "meeting:read:admin",
        "meeting:read",
    ],
};

/// Every operation, in the order verification reports missing scopes.
pub const OPERATIONS: &[&Operation] = &[
    &CREATE_MEETING,
    &GET_MEETING,
    &UPDATE_MEETING,
    &DELETE_MEETING,
    &GET_USER,
    &USER_ZAK,
    &LIST_MEETINGS,
    &MEETING_RECORDINGS,
    &TRASH_RECORDING_FILE,
    &PARTICIPANTS_REPORT,
    &PAST_INSTANCES,
];

/// The operations none of `granted` allows.
pub fn not_allowed(granted: &[String]) -> Vec<&'static Operation> {
    OPERATIONS
        .iter()
        .copied()
        .filter(|op| !op.allowed_by(granted))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_filled_and_encoded() {
        assert_eq!(
            CREATE_MEETING.path_for(&["a@b.com"]),
            "/users/a%40b.com/meetings"
        );
        assert_eq!(
            GET_MEETING.path_for(&["81234567890"]),
            "/meetings/81234567890"
        );
        assert_eq!(
            MEETING_RECORDINGS.path_for(&["/ajXp112QmuoKj4854875=="]),
            "/meetings/%252FajXp112QmuoKj4854875%253D%253D/recordings"
        );
        assert_eq!(USER_ZAK.path_for(&["u1"]), "/users/u1/token");
        assert_eq!(
            PARTICIPANTS_REPORT.path_for(&["ab//c+d=="]),
            "/report/meetings/ab%252F%252Fc%252Bd%253D%253D/participants"
        );
        assert_eq!(
            PARTICIPANTS_REPORT.path_for(&["aDYlohsHRtCd4ii1uC2+hA=="]),
            "/report/meetings/aDYlohsHRtCd4ii1uC2%2BhA%3D%3D/participants"
        );
    }

    #[test]
    fn only_creates_are_unsafe_to_repeat() {
        for op in OPERATIONS {
            assert_eq!(
                op.retry == Retry::OnlyIfUnsent,
                op.method == Method::POST,
                "{}",
                op.feature
            );
        }
    }
}
