//! Builders of the model's values, for the tests of classification, fingerprints and known
//! issues.

use logtriage::{Exception, Frame};

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
