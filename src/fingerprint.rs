//! Stable fingerprints (§4): the same bug on any instance, revision or day gets the same one.
//!
//! SKELETON: the real implementation (issue 4) replaces the bodies, keeping the API.

use crate::event::Event;

/// A stable 64-bit fingerprint, shown as 16 lowercase hex digits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl std::fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The fingerprint of a classified event: category, deciding type, normalized message and
/// in-app frames (file + function).
pub fn of_event(event: &Event) -> Fingerprint {
    let _ = event;
    todo!("issue 4")
}

/// Replaces the volatile parts of a message (numbers, hex, UUIDs, IPs, quoted literals other
/// than `subject`, site-packages paths) so that repeats compare equal.
pub fn normalize_message(message: &str, subject: Option<&str>) -> String {
    let _ = (message, subject);
    todo!("issue 4")
}

/// Whether a frame's file is the application's own code (not site-packages, not the
/// standard library, not `<frozen ...>`).
pub fn is_in_app(file: &str) -> bool {
    let _ = file;
    todo!("issue 4")
}
