//! SKELETON: the scan bench (issue 2).
fn main() {}
