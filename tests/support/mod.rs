//! Helpers shared by the integration tests.

// Each test crate compiles this module and uses a part of it.
#![allow(dead_code)]

pub mod events;
pub mod export;

use std::io::{self, Read};

/// The rows of a layout table, `fixtures/layouts/<table>.jsonl` (one JSON object per
/// non-blank line).
pub fn layout_rows(table: &str) -> Vec<serde_json::Value> {
    let path = format!(
        "{}/fixtures/layouts/{table}.jsonl",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{table} row {}: {e}", i + 1))
        })
        .collect()
}

/// A `Read` that hands out the input in chunks of the given sizes (cycled).
pub struct Chunked<'a> {
    pub data: &'a [u8],
    pub sizes: Vec<usize>,
    pub i: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.i % self.sizes.len()].max(1);
        self.i += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}
