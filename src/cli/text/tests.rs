//! Unit tests of the text report's layout helpers.

use super::{choose_width, clip, plural, sample_rows, wrap, Row, SAMPLE_ROWS};

#[test]
fn width_is_the_terminal_then_columns_then_100_within_60_to_160() {
    assert_eq!(choose_width(Some(80), Some("140")), 80);
    assert_eq!(choose_width(None, Some("140")), 140);
    assert_eq!(choose_width(None, Some(" 90 ")), 90);
    assert_eq!(choose_width(None, Some("wide")), 100);
    assert_eq!(choose_width(None, None), 100);
    assert_eq!(choose_width(Some(0), None), 100);
    assert_eq!(choose_width(Some(20), None), 60);
    assert_eq!(choose_width(None, Some("400")), 160);
}

#[test]
fn plural_says_one_right() {
    assert_eq!(plural(1u64, "entry", "entries"), "1 entry");
    assert_eq!(plural(0u64, "entry", "entries"), "0 entries");
    assert_eq!(plural(2u64, "group", "groups"), "2 groups");
}

#[test]
fn clip_counts_characters_and_hides_control_characters() {
    assert_eq!(clip("ééééé", 5), "ééééé");
    assert_eq!(clip("éééééé", 5), "éééé…");
    assert_eq!(clip("a\x1b[31mb", 20), "a\u{fffd}[31mb");
    assert_eq!(clip("a\n  b", 20), "a b");
}

#[test]
fn a_long_line_wraps_after_a_space_into_three_rows_at_most() {
    let rows = wrap(&"x".repeat(25), 10);
    assert_eq!(
        rows,
        vec![
            Row::Start("x".repeat(10)),
            Row::More(format!("  {}", "x".repeat(8))),
            Row::More(format!("  {}", "x".repeat(7))),
        ]
    );
    let rows = wrap(&"y".repeat(100), 10);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[2], Row::More(format!("  {}…", "y".repeat(7))));
    assert_eq!(wrap("", 10), vec![Row::Start(String::new())]);
    let frame = "  File \"/usr/lib/python3.11/contextlib.py\", line 210, in __aenter__";
    assert_eq!(
        wrap(frame, 60),
        vec![
            Row::Start("  File \"/usr/lib/python3.11/contextlib.py\", line 210, in".into()),
            Row::More("    __aenter__".into()),
        ]
    );
}

#[test]
fn a_long_sample_keeps_its_first_line_and_its_end() {
    let mut text = String::from("Traceback (most recent call last):\n");
    for i in 0..60 {
        text.push_str(&format!("  frame {i}\n"));
    }
    text.push_str("NameError: name 'x' is not defined");
    let rows = sample_rows(&text, 40);
    assert_eq!(rows.len(), SAMPLE_ROWS);
    assert_eq!(
        rows[0],
        Row::Start("Traceback (most recent call last):".into())
    );
    assert_eq!(rows[1], Row::Cut("… 23 lines not shown …".into()));
    assert_eq!(rows[2], Row::Start("  frame 23".into()));
    assert_eq!(
        rows[SAMPLE_ROWS - 1],
        Row::Start("NameError: name 'x' is not defined".into())
    );
    let short = sample_rows("one\ntwo", 40);
    assert_eq!(short.len(), 2);
}
