//! Builders of the model's values and a check of its errors, for the tests of classification,
//! fingerprints and known issues.

use logtriage::{Error, Exception, Frame};
use std::fmt::Debug;

/// A frame of `file` at `line` in `function`, without its source line.
pub fn frame(file: &str, line: u32, function: &str) -> Frame {
    Frame {
        file: file.to_string(),
        line: Some(line),
        function: function.to_string(),
        source: None,
    }
}

/// An exception `type_name: message` raised through `frames` (outermost first).
pub fn exception(type_name: &str, message: &str, frames: Vec<Frame>) -> Exception {
    Exception {
        type_name: type_name.to_string(),
        message: message.to_string(),
        frames,
        ..Exception::default()
    }
}

/// The index and reason of the [`Error::Item`] that `result` must be, about a `what` (a rule,
/// an issue) of the file named `origin`.
pub fn item_error<T: Debug>(result: Result<T, Error>, origin: &str, what: &str) -> (usize, String) {
    match result {
        Err(Error::Item {
            origin: o,
            what: w,
            index,
            reason,
        }) => {
            assert_eq!((o.as_str(), w), (origin, what));
            (index, reason)
        }
        other => panic!("expected an item error about a {what} of {origin}, got {other:?}"),
    }
}
