//! The scopes Zoom requires before it delivers webhook events to the app
//! ("The event is not allowed for the app." otherwise, ZOOM.md §4, its source S9).
//!
//! ZOOM.md §4 names granular scopes only: `meeting.participant_joined` needs
//! `meeting:read:participant(:admin)`, `recording.completed`
//! `cloud_recording:read:recording(:admin)`. That the other events of each
//! group need the same scope is an inference; no document names the classic
//! scopes events need, so an app on classic scopes cannot be judged here.

/// A group of webhook events lms-zoom subscribes to, and what allows them.
#[derive(Debug)]
pub struct EventScopes {
    /// The events, as Zoom names them.
    pub events: &'static [&'static str],
    /// Granular scopes that allow them, the one we ask admins for first.
    pub scopes: &'static [&'static str],
}

pub const PARTICIPANT_EVENTS: EventScopes = EventScopes {
    events: &["meeting.participant_joined", "meeting.participant_left"],
    scopes: &["meeting:read:participant:admin", "meeting:read:participant"],
};

pub const RECORDING_EVENTS: EventScopes = EventScopes {
    events: &[
        "recording.completed",
        "recording.trashed",
        "recording.deleted",
    ],
    scopes: &[
        "cloud_recording:read:recording:admin",
        "cloud_recording:read:recording",
    ],
};

impl EventScopes {
    /// Whether any of `granted` allows these events.
    pub fn allowed_by(&self, granted: &[String]) -> bool {
        self.scopes.iter().any(|s| granted.iter().any(|g| g == s))
    }

    /// The scope to ask an admin to add.
    pub fn preferred_scope(&self) -> &'static str {
        self.scopes[0]
    }
}

/// Whether `scope` is a granular scope: `<service>:<action>:<data>` with an
/// optional `:admin`/`:master`, where a classic one is `<service>:<action>`
/// with the same optional suffix (ZOOM.md §4).
pub fn is_granular(scope: &str) -> bool {
    let base = scope
        .strip_suffix(":admin")
        .or_else(|| scope.strip_suffix(":master"))
        .unwrap_or(scope);
    base.split(':').count() >= 3
}

/// Whether the app was granted granular scopes (new apps are; older ones
/// keep classic scopes, ZOOM.md §4, its source S29).
pub fn uses_granular_scopes(granted: &[String]) -> bool {
    granted.iter().any(|s| is_granular(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granular_and_classic_names() {
        for granular in [
            "meeting:read:participant:admin",
            "meeting:read:meeting",
            "report:read:list_meeting_participants:admin",
            "cloud_recording:read:list_recording_files:master",
        ] {
            assert!(is_granular(granular), "{granular}");
        }
        for classic in [
            "meeting:read:admin",
            "meeting:write",
            "recording:read:admin",
            "report:read:admin",
            "user_zak:read",
        ] {
            assert!(!is_granular(classic), "{classic}");
        }
        let granted = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!uses_granular_scopes(&granted(&[
            "meeting:read:admin",
            "user:read:admin"
        ])));
        assert!(uses_granular_scopes(&granted(&[
            "meeting:read:admin",
            "user:read:user:admin"
        ])));
        assert!(PARTICIPANT_EVENTS.allowed_by(&granted(&["meeting:read:participant"])));
        assert!(!RECORDING_EVENTS.allowed_by(&granted(&["recording:read:admin"])));
    }
}
