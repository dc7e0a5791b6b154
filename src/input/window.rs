//! The array scanner's fast path: a pretty-printed element of a gcloud array passed over 64
//! bytes at a time.
//!
//! # Why
//!
//! Framing an array element needs the end of a JSON object: brackets balanced outside strings,
//! strings ended by an unescaped quote. The exact scanner stops at every quote, comma, bracket
//! and backslash; on gcloud's pretty-printed arrays it took 56% of the run at 8.1 instructions
//! per byte, and the whole array ran at 0.60 GB/s.
//!
//! # How
//!
//! A window of 64 bytes becomes four bit masks, bit `k` for byte `k`: quotes, backslashes,
//! openers (`{` or `[`) and closers (`}` or `]`). `[` and `]` are `{` and `}` without bit 0x20,
//! and no other byte maps onto them, so one compare after OR-ing 0x20 finds both kinds; the
//! two kinds are balanced together, as the exact scanner does. The bytes inside strings are the
//! running parity (prefix XOR) of the quote bits, flipped when the window starts inside a
//! string. A window is passed over when it holds no backslash and its closers outside strings
//! cannot bring the depth to zero (depth greater than their count): then nothing in it can end
//! the element, not even a `,`, which ends one only at depth zero. The depth moves by the
//! window's openers and closers outside strings, and the last byte's parity says whether a
//! string is open after it. A window that may end the element or holds a backslash (escapes
//! need the exact rules; 1 to 6% of windows), and the last bytes short of a window, go to the
//! exact scanner, which carries the same state.
//!
//! The masks come from one of two builds of the same loop (`scan_with`, inlined into each):
//!
//! - **SSE2**, x86_64's baseline: four 16-byte chunks, each compared per byte class and
//!   `movemask`ed, joined into 64-bit masks; the parity by six shift-and-XORs. Without `popcnt`
//!   a `count_ones` costs a dozen instructions, so a window with no bracket outside strings
//!   (most of them) skips both counts: without that branch the SSE2 path took 265.6 instead of
//!   257.8 M instructions over 32 MiB; with `popcnt` it costs 2 M and stays for SSE2's sake.
//! - **AVX2 + `popcnt` + `pclmulqdq`**, where the CPU has all three: two 32-byte compares per
//!   class, `popcnt`, and the parity as one carry-less product with all ones (simdjson's way).
//!   The features are checked on each call through the standard library's cached detection (a
//!   load and a test), and the loop is compiled for them with `#[target_feature]`.
//! - Other targets compute the chunk masks one byte at a time (the scalar twin).
//!
//! # Safety and tests
//!
//! Three `unsafe` blocks, each with its `SAFETY:` argument: the SSE2 intrinsics (baseline on
//! every x86_64 CPU; the load reads exactly the chunk's 16 bytes), the call into the AVX2 copy
//! after the detection, and the 32-byte load of each half of a window. Tests check the SSE2
//! masks against the scalar twin and the AVX2 masks against the SSE2 ones for every byte value
//! at every position (a half shifted by one bit, or the product taking the wrong lane, fails
//! them), and property tests run both paths against the naive scanner on pretty-printed arrays
//! of nested values (mutants caught: the string state after a window, the depth test, no
//! running parity). Safe `#[target_feature]` functions and intrinsics need Rust 1.87, the
//! crate's `rust-version`.
//!
//! # Figures (callgrind over a 32 MiB array; wall time over 256 MiB, one thread, in turn)
//!
//! | step | before | after |
//! |---|---|---|
//! | 16-byte SSE2 chunks instead of the exact scanner | `scan/array/2%` 682 MiB/s; run 0.432 s (0.62 GB/s) | 1.39 GiB/s; 0.350 s (0.77 GB/s) |
//! | 64-byte windows instead of 16-byte chunks | 321.3 M; 371.5 ms | 263.3 M; 316.0 ms (0.85) |
//! | the AVX2 copy | 258.4 M; 327.9 ms (0.82 GB/s) | 226.9 M; 270.8 ms (0.99 GB/s) |
//!
//! Compiling for AVX2 and `popcnt` alone, with the SSE2 masks, gave 240.0 M: `popcnt` and the
//! wider instruction set bought more than half of the gain, the 32-byte compares and the
//! carry-less parity the rest. Lost against SSE2: bit masks over 8-byte
//! words in safe Rust (573 against 682 MiB/s) and 16-byte masks written for the compiler to
//! vectorize (it emitted one compare per byte; the run took 0.85 s).

use super::kernels::{scan_nested_inner, shifted, Nest, Stop};

/// A 64-byte window's masks, bit `k` for byte `k`: `parity` is the parity of the quotes in
/// bytes `0..=k` (so, for a window that starts outside strings, the bytes inside them), then
/// backslashes, `{` or `[`, `}` or `]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Masks {
    parity: u64,
    backslashes: u64,
    opens: u64,
    closes: u64,
}

/// Scans an array element from `st` to its end in `hay`, 64 bytes at a time where it can.
/// A window that may end the element or holds a backslash, and the last bytes, go through
/// the exact scanner.
pub(super) fn scan_array_value(hay: &[u8], st: &mut Nest) -> Stop {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: `has_avx2` found the CPU features `scan_avx2` is compiled for.
        #[allow(unsafe_code)]
        return unsafe { scan_avx2(hay, st) };
    }
    scan_with(hay, st, baseline_masks)
}

/// Whether this CPU runs [`scan_avx2`]. The standard library caches what it detected, so
/// asking per element costs a load and a test.
#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("popcnt")
        && std::is_x86_feature_detected!("pclmulqdq")
}

/// [`scan_with`] compiled for AVX2: besides the wider masks, `count_ones` becomes `popcnt`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,popcnt,pclmulqdq")]
fn scan_avx2(hay: &[u8], st: &mut Nest) -> Stop {
    scan_with(hay, st, |window| avx2_masks(window))
}

/// The scanner's loop, over the masks `masks` computes: inlined into each caller, so that
/// the AVX2 copy is compiled for its features.
#[inline(always)]
fn scan_with(hay: &[u8], st: &mut Nest, masks: impl Fn(&[u8; 64]) -> Masks) -> Stop {
    let mut i = 0;
    while let Some(window) = hay.get(i..i + 64) {
        let window: &[u8; 64] = window.try_into().unwrap_or(&[0; 64]);
        if !st.escaped && skip(masks(window), st) {
            i += 64;
            continue;
        }
        match scan_nested_inner(window, st, false) {
            Stop::More => i += 64,
            stop => return shifted(stop, i),
        }
    }
    shifted(scan_nested_inner(hay.get(i..).unwrap_or(&[]), st, false), i)
}

/// Passes over a window of an array element when nothing in it can end the element: no
/// backslash, and its closers outside strings cannot bring the depth to zero (nor can a
/// `,`, which ends an element only at depth zero). The depth moves by its brackets outside
/// strings, and a string is open after it by the parity of its quotes. `false` leaves `st`
/// as it was.
#[inline(always)]
fn skip(m: Masks, st: &mut Nest) -> bool {
    if m.backslashes != 0 {
        return false;
    }
    let inside = m.parity ^ if st.in_str { u64::MAX } else { 0 };
    let (opens, closes) = (m.opens & !inside, m.closes & !inside);
    // Without `popcnt` (the baseline) a count costs a dozen instructions: a window without
    // a bracket outside strings, most of them, skips both.
    let (up, down) = match opens | closes {
        0 => (0, 0),
        _ => (opens.count_ones(), closes.count_ones()),
    };
    if st.depth <= u64::from(down) {
        return false;
    }
    st.depth = (st.depth - u64::from(down)).saturating_add(u64::from(up));
    st.in_str = inside >> 63 != 0;
    true
}

/// Bit `k` is the parity of bits `0..=k`: over quote bits, the bytes inside strings.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// [`Masks`] of a window from its four 16-byte chunks.
#[inline(always)]
fn baseline_masks(window: &[u8; 64]) -> Masks {
    let (mut quotes, mut backslashes, mut opens, mut closes) = (0, 0, 0, 0);
    for (k, chunk) in window.chunks_exact(16).enumerate() {
        let chunk: &[u8; 16] = chunk.try_into().unwrap_or(&[0; 16]);
        let (q, b, o, c) = chunk_masks(chunk);
        let at = 16 * k;
        quotes |= u64::from(q) << at;
        backslashes |= u64::from(b) << at;
        opens |= u64::from(o) << at;
        closes |= u64::from(c) << at;
    }
    Masks {
        parity: prefix_xor(quotes),
        backslashes,
        opens,
        closes,
    }
}

/// [`Masks`] of a window from its two 32-byte halves; the parity is a carry-less product
/// with all ones, as simdjson computes it.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,pclmulqdq")]
fn avx2_masks(window: &[u8; 64]) -> Masks {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8, _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set1_epi8, _mm_set_epi64x,
    };
    let half = |bytes: &[u8]| {
        // SAFETY: `bytes` is one half of the 64-byte window, 32 bytes long, which the
        // unaligned load reads exactly.
        #[allow(unsafe_code)]
        let v = unsafe { _mm256_loadu_si256(bytes.as_ptr().cast::<__m256i>()) };
        let low = _mm256_or_si256(v, _mm256_set1_epi8(0x20));
        let bits = |byte: u8, of: __m256i| {
            u64::from(
                _mm256_movemask_epi8(_mm256_cmpeq_epi8(of, _mm256_set1_epi8(byte as i8))) as u32,
            )
        };
        [
            bits(b'"', v),
            bits(b'\\', v),
            bits(b'{', low),
            bits(b'}', low),
        ]
    };
    let (first, second) = window.split_at(32);
    let (a, b) = (half(first), half(second));
    let [quotes, backslashes, opens, closes] = [0, 1, 2, 3].map(|k| a[k] | b[k] << 32);
    let ones = _mm_set1_epi8(-1);
    let parity = _mm_clmulepi64_si128::<0>(_mm_set_epi64x(0, quotes as i64), ones);
    Masks {
        parity: _mm_cvtsi128_si64(parity) as u64,
        backslashes,
        opens,
        closes,
    }
}

/// Bit masks of a 16-byte chunk, bit `k` for byte `k`: quotes, backslashes, `{` or `[`,
/// `}` or `]` (`[` and `]` are `{` and `}` without bit 0x20; no other byte maps onto those).
#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
#[inline(always)]
fn chunk_masks(chunk: &[u8; 16]) -> (u32, u32, u32, u32) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86_64 baseline: every x86_64 CPU has these instructions
    // and Rust's x86_64 targets enable them, so calling them is sound wherever this compiles.
    // `_mm_loadu_si128` reads the 16 bytes of `chunk`, which has exactly 16, at any alignment.
    unsafe {
        let v = _mm_loadu_si128(chunk.as_ptr().cast());
        let low = _mm_or_si128(v, _mm_set1_epi8(0x20));
        let quotes = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8)));
        let backslashes = _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8)));
        let opens = _mm_movemask_epi8(_mm_cmpeq_epi8(low, _mm_set1_epi8(b'{' as i8)));
        let closes = _mm_movemask_epi8(_mm_cmpeq_epi8(low, _mm_set1_epi8(b'}' as i8)));
        (
            quotes as u32,
            backslashes as u32,
            opens as u32,
            closes as u32,
        )
    }
}

/// [`chunk_masks`] one byte at a time: for other targets, and the oracle of the SSE2 one.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn chunk_masks_scalar(chunk: &[u8; 16]) -> (u32, u32, u32, u32) {
    let (mut quotes, mut backslashes, mut opens, mut closes) = (0u32, 0u32, 0u32, 0u32);
    for (k, &b) in chunk.iter().enumerate() {
        quotes |= u32::from(b == b'"') << k;
        backslashes |= u32::from(b == b'\\') << k;
        opens |= u32::from(b | 0x20 == b'{') << k;
        closes |= u32::from(b | 0x20 == b'}') << k;
    }
    (quotes, backslashes, opens, closes)
}

#[cfg(not(target_arch = "x86_64"))]
use chunk_masks_scalar as chunk_masks;

/// The scanner for one array element as the reader calls it, on the baseline masks, which
/// the tests would not reach through [`scan_array_value`] on an AVX2 CPU.
#[cfg(test)]
pub(super) fn scan_baseline(hay: &[u8], st: &mut Nest) -> Stop {
    scan_with(hay, st, baseline_masks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse2_masks_match_the_scalar_ones() {
        let mut chunk = [0u8; 16];
        // Every byte value at every position, with structural bytes around it.
        for b in 0..=255u8 {
            for k in 0..16 {
                chunk.copy_from_slice(b"{\"a\": [1],\\\"}]xy");
                chunk[k] = b;
                assert_eq!(
                    chunk_masks(&chunk),
                    chunk_masks_scalar(&chunk),
                    "{b} at {k}"
                );
            }
        }
    }

    /// Every byte value at every position of a window full of structural bytes, and the
    /// parity across all 64 bits.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_masks_match_the_baseline_ones() {
        if !has_avx2() {
            return;
        }
        // 23 bytes, so that each position of the window has other neighbours.
        let pattern = br#"{"a": [1],\"}]x""[{"y"}"#;
        let window: [u8; 64] = std::array::from_fn(|k| pattern[k % pattern.len()]);
        for b in 0..=255u8 {
            for k in 0..64 {
                let mut w = window;
                w[k] = b;
                // SAFETY: `has_avx2` found AVX2 and PCLMULQDQ above.
                #[allow(unsafe_code)]
                let fast = unsafe { avx2_masks(&w) };
                assert_eq!(fast, baseline_masks(&w), "{b} at {k}");
            }
        }
    }
}
