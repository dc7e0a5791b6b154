//! Builders of the model's values and a check of its errors, for the tests of classification,
//! fingerprints and known issues.

use logtriage::{Error, Exception, Frame, Item};
use std::fmt::Debug;

/// A frame of `file` at `line` in `function`, without its source line.
pub fn frame(file: &str, line: u32, function: &str) -> Frame {
    Frame::new(file, Some(line), function)
}

/// An exception `type_name: message` raised through `frames` (outermost first).
pub fn exception(type_name: &str, message: &str, frames: Vec<Frame>) -> Exception {
    Exception::new(type_name, message, frames)
}

/// The index and reason of the [`Error::Item`] that `result` must be, about a `what` (a rule,
/// an issue) of the file named `origin`.
pub fn item_error<T: Debug>(result: Result<T, Error>, origin: &str, what: Item) -> (usize, String) {
    match result {
        Err(Error::Item {
            file,
            item,
            index,
            reason,
        }) => {
            assert_eq!((file.as_str(), item), (origin, what));
            (index, reason)
        }
        other => panic!("expected an item error about a {what} of {origin}, got {other:?}"),
    }
}
