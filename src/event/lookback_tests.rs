//! The backward walk: where entries start, how far it goes, and when the bytes before were
//! needed.

use super::*;

/// What a walk over `history` visits: (bytes, lines before the entry, entries back).
fn visits(history: History<'_>, stop_after: usize) -> (Vec<(String, u64, u64)>, Walked) {
    let mut seen = Vec::new();
    let walked = walk(history, |bytes, lines, back| {
        seen.push((String::from_utf8_lossy(bytes).into_owned(), lines(), back));
        if seen.len() >= stop_after {
            Step::Stop
        } else {
            Step::Next
        }
    });
    (seen, walked)
}

fn one(bytes: &[u8], start: Start) -> History<'_> {
    History {
        parts: [&[], &[], bytes],
        start,
    }
}

#[test]
fn ndjson_entries_are_walked_nearest_first_with_their_lines() {
    let before = b"{\"n\":1}\n\n{\"n\":2}\n{\"n\":3}\n";
    let (seen, walked) = visits(one(before, Start::Input), 10);
    let bytes: Vec<&str> = seen.iter().map(|(b, _, _)| b.as_str()).collect();
    assert_eq!(bytes, ["{\"n\":3}", "{\"n\":2}", "{\"n\":1}"]);
    // The blank line between counts as a line, not an entry.
    let lines: Vec<u64> = seen.iter().map(|(_, l, _)| *l).collect();
    assert_eq!(lines, [1, 2, 4]);
    let backs: Vec<u64> = seen.iter().map(|(_, _, b)| *b).collect();
    assert_eq!(backs, [1, 2, 3]);
    assert!(!walked.cut, "the input's start");
    assert_eq!(walked.reach, before.len() as u64);
}

#[test]
fn array_elements_lose_their_separator_and_keep_their_nesting() {
    // gcloud's layout: elements indented by two, nested objects by more; the entry the walk
    // starts from begins after the last line's indentation.
    let before = b"[\n  {\n    \"a\": {\"b\": 1}\n  },\n  {\n    \"c\": [\n      {\"d\": 2}\n    ]\n  },\n  ";
    let (seen, walked) = visits(one(before, Start::Input), 10);
    let bytes: Vec<&str> = seen.iter().map(|(b, _, _)| b.as_str()).collect();
    assert_eq!(
        bytes,
        [
            "{\n    \"c\": [\n      {\"d\": 2}\n    ]\n  }",
            "{\n    \"a\": {\"b\": 1}\n  }"
        ]
    );
    assert!(!walked.cut);
}

#[test]
fn a_walk_to_a_block_start_is_cut_unless_the_bytes_before_are_held() {
    let block = b"{\"n\":2}\n{\"n\":3}\n";
    let (seen, walked) = visits(one(block, Start::Boundary), 10);
    assert_eq!(seen.len(), 2);
    assert!(
        walked.cut,
        "the block's first entry was reached with room to go on"
    );
    // With the input before the block, it goes on into it, uncut.
    let prelude = b"{\"n\":1}\n";
    let history = History {
        parts: [prelude, &[], block],
        start: Start::Input,
    };
    let (seen, walked) = visits(history, 10);
    let bytes: Vec<&str> = seen.iter().map(|(b, _, _)| b.as_str()).collect();
    assert_eq!(bytes, ["{\"n\":3}", "{\"n\":2}", "{\"n\":1}"]);
    assert!(!walked.cut);
    // A walk that stops by itself before the start is not cut either.
    let (_, walked) = visits(one(block, Start::Boundary), 1);
    assert!(!walked.cut);
    // Nor one whose bytes start mid-entry (the reader kept more than a walk goes).
    let (seen, walked) = visits(one(b"x\":0}\n{\"n\":2}\n", Start::Mid), 10);
    assert_eq!(seen.len(), 1);
    assert!(!walked.cut);
}

#[test]
fn an_entry_split_over_the_reader_s_two_buffers_is_one() {
    let history = History {
        parts: [&[], b"{\"n\":1}\n{\"n\"", b":2}\n"],
        start: Start::Input,
    };
    let (seen, _) = visits(history, 10);
    let bytes: Vec<&str> = seen.iter().map(|(b, _, _)| b.as_str()).collect();
    assert_eq!(bytes, ["{\"n\":2}", "{\"n\":1}"]);
}

#[test]
fn the_walk_stays_within_its_bounds() {
    // More entries than a lookback goes back.
    let many: Vec<u8> = (0..MAX_LOOKBACK + 20)
        .flat_map(|n| format!("{{\"n\":{n}}}\n").into_bytes())
        .collect();
    let (seen, walked) = visits(one(&many, Start::Boundary), usize::MAX);
    assert_eq!(seen.len() as u64, MAX_LOOKBACK);
    assert!(
        !walked.cut,
        "stopped by its bound, not by the block's start"
    );
    // An entry that starts further back than its bytes bound.
    let mut far = b"{\"n\":\"".to_vec();
    far.resize(LOOKBACK_BYTES + 10, b'x');
    far.extend_from_slice(b"\"}\n{\"n\":2}\n");
    let (seen, walked) = visits(one(&far, Start::Boundary), usize::MAX);
    assert_eq!(seen.len(), 1);
    assert!(!walked.cut);
}
