//! Arbitrary text as a rules file and as a known-issues file: an error or a value, never a
//! panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logtriage::{Classifier, KnownIssues};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut classifier = Classifier::builtin();
    let _ = classifier.add_rules_json(text, "fuzz-rules.json");
    let _ = KnownIssues::from_json(text, "fuzz-known.json", classifier.categories());
});
