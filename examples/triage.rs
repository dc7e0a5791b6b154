//! SKELETON: the triage example (issue 5).
fn main() {}
