//! Helpers shared by the integration tests.

// Each test crate compiles this module and uses a part of it.
#![allow(dead_code)]

pub mod events;
pub mod export;

use std::io::{self, Read};

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
