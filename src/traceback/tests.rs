use super::lines::exception_line;
use super::*;

#[test]
fn strip_shaped_lets_digit_runs_differ() {
    let rows: &[(&str, &str, Option<&str>)] = &[
        ("web-1  | ", "web-1  |   File \"x\"", Some("  File \"x\"")),
        ("web-1  | ", "worker-1  | x", None),
        (
            "2026-11-27T07:01:02.12345Z ",
            "2026-11-27T07:01:02.9Z ValueError: x",
            Some("ValueError: x"),
        ),
        ("", "anything", Some("anything")),
        ("abc", "ab", None),
    ];
    for (prefix, line, want) in rows {
        assert_eq!(strip_shaped(prefix, line), *want, "{prefix:?} {line:?}");
    }
}

#[test]
fn start_at_finds_prefix_length() {
    let rows: &[(&str, Option<usize>)] = &[
        ("Traceback (most recent call last):", Some(0)),
        ("web-1  | Traceback (most recent call last):", Some(9)),
        (
            "  + Exception Group Traceback (most recent call last):",
            Some(0),
        ),
        (
            "web-1  |   + Exception Group Traceback (most recent call last):",
            Some(9),
        ),
        ("  File \"/app/x.py\", line 3", Some(0)),
        ("  File \"/app/x.py\", line 3, in f", None),
        ("an Exception Traceback", None),
        ("", None),
    ];
    for (line, want) in rows {
        assert_eq!(start_at(line), *want, "{line:?}");
    }
}

#[test]
fn exception_line_table() {
    let rows: &[(&str, Option<(&str, &str)>)] = &[
        ("KeyError: 'user_id'", Some(("KeyError", "'user_id'"))),
        ("KeyboardInterrupt", Some(("KeyboardInterrupt", ""))),
        ("Exception:", Some(("Exception", ""))),
        (
            "redis.exceptions.ConnectionError: Error 111",
            Some(("redis.exceptions.ConnectionError", "Error 111")),
        ),
        ("ERROR:root:boom", None),
        ("INFO:     Shutting down", None),
        ("MemoryError", Some(("MemoryError", ""))),
        ("Worker exiting (pid: 7)", None),
        ("  File \"x\"", None),
    ];
    for (line, want) in rows {
        assert_eq!(exception_line(line), *want, "{line:?}");
    }
}

#[test]
fn machine_ends_after_exception_line() {
    let mut m = LineMachine::start("Traceback (most recent call last):").unwrap();
    assert!(!m.complete());
    assert!(m.feed("  File \"/app/main.py\", line 3, in <module>"));
    assert!(m.feed("    main()"));
    assert!(m.feed("ValueError: boom"));
    assert!(m.complete());
    assert!(!m.feed("INFO:     Started server process [1]"));
}

/// Feeds `lines` after the first; returns how many were taken and whether the
/// traceback was whole at that point.
fn run_machine(lines: &[&str]) -> (usize, bool) {
    let mut m = LineMachine::start(lines[0]).unwrap();
    let mut taken = 1;
    for line in &lines[1..] {
        if !m.feed(line) {
            break;
        }
        taken += 1;
    }
    (taken, m.complete())
}

#[test]
fn machine_keeps_nothing_of_a_long_recursion() {
    // REGRESSION: a million-frame recursion split line by line held every frame in the
    // machine's builder (197 MB RSS); the machine only follows the shape.
    let mut m = LineMachine::start("Traceback (most recent call last):").expect("a header");
    for _ in 0..10_000 {
        assert!(m.feed("  File \"/app/netra_backend/app/tree.py\", line 41, in walk"));
        assert!(m.feed("    return walk(node.parent)"));
    }
    assert!(m.feed("RecursionError: maximum recursion depth exceeded"));
    assert!(m.complete());
    assert!(m.builder.frames.is_empty());
    assert!(m.builder.chain.len() <= 1 && m.builder.chain.iter().all(|e| e.frames.is_empty()));
}

#[test]
fn machine_end_table() {
    let rows: &[(&str, &[&str], usize, bool)] = &[
            (
                "ends at a log line",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "KeyError: 'a'",
                    "[2026-11-27 07:01:02 +0000] [7] [INFO] Worker exiting (pid: 7)",
                ],
                3,
                true,
            ),
            (
                "chain through blank lines and separator",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "ConnectionRefusedError: [Errno 111] Connection refused",
                    "",
                    "During handling of the above exception, another exception occurred:",
                    "",
                    "Traceback (most recent call last):",
                    "  File \"/app/b.py\", line 2, in f",
                    "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
                    "GET /health 200",
                ],
                9,
                true,
            ),
            (
                "libpq continuation and SQLAlchemy background link",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"10.20.0.3\", port 5432 failed: Connection refused",
                    "\tIs the server running on that host and accepting TCP/IP connections?",
                    "",
                    "(Background on this error at: https://sqlalche.me/e/20/e3q8)",
                    "INFO:     Shutting down",
                ],
                6,
                true,
            ),
            (
                // REGRESSION: the staging fixture's asyncpg timeout lost the lines of its
                // multi-line `[SQL: ...]` block, split one per entry.
                "SQLAlchemy statement quoted over several lines",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "sqlalchemy.exc.DBAPIError: (sqlalchemy.dialects.postgresql.asyncpg.Error) <class 'asyncpg.exceptions.QueryCanceledError'>: canceling statement due to statement timeout",
                    "[SQL: SELECT threads.id, threads.title ",
                    "FROM threads ",
                    "WHERE threads.user_id = $1::VARCHAR ORDER BY threads.updated_at DESC ",
                    " LIMIT $2::INTEGER]",
                    "[parameters: ('usr_8bf759b8', 50)]",
                    "(Background on this error at: https://sqlalche.me/e/20/dbapi)",
                    "INFO:     Shutting down",
                ],
                9,
                true,
            ),
            (
                "a second traceback is not a continuation",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "KeyError: 'a'",
                    "Traceback (most recent call last):",
                ],
                3,
                true,
            ),
            (
                "cut before the exception line",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 1, in <module>",
                    "    run()",
                    "GET /health 200",
                ],
                3,
                false,
            ),
            (
                "exception group to its closing line",
                &[
                    "  + Exception Group Traceback (most recent call last):",
                    "  |   File \"/app/a.py\", line 9, in <module>",
                    "  | ExceptionGroup: eg (2 sub-exceptions)",
                    "  +-+---------------- 1 ----------------",
                    "    | ValueError: a",
                    "    +---------------- 2 ----------------",
                    "    | TypeError: b",
                    "    +------------------------------------",
                    "GET /health 200",
                ],
                8,
                true,
            ),
            (
                "SyntaxError without header",
                &[
                    "  File \"/app/a.py\", line 3",
                    "    def f(:",
                    "          ^",
                    "SyntaxError: invalid syntax",
                    "  File \"/app/b.py\", line 4",
                ],
                4,
                true,
            ),
            (
                "recursion elision and 3.13 elided lines",
                &[
                    "Traceback (most recent call last):",
                    "  File \"/app/a.py\", line 2, in f",
                    "    return f(",
                    "           ^^",
                    "    ...<2 lines>...",
                    "  [Previous line repeated 996 more times]",
                    "RecursionError: maximum recursion depth exceeded",
                    "",
                    "",
                    "ERROR:root:next",
                ],
                9,
                true,
            ),
        ];
    for (name, lines, taken, complete) in rows {
        assert_eq!(run_machine(lines), (*taken, *complete), "{name}");
    }
}

proptest::proptest! {
    #![proptest_config(crate::proptest_config(128))]

    /// Whatever the lines, the machine does not panic.
    #[test]
    fn machine_survives_any_lines(lines in proptest::collection::vec(
        proptest::sample::select(vec![
            "Traceback (most recent call last):",
            "  + Exception Group Traceback (most recent call last):",
            "  File \"/app/a.py\", line 3, in f",
            "  File \"/app/a.py\", line 3",
            "    return f()",
            "           ~~~^^^",
            "  | ValueError: a",
            "    +------------------------------------",
            "KeyError: 'a'",
            "During handling of the above exception, another exception occurred:",
            "",
            "\tIs the server running on that host?",
            "GET /health 200",
        ]),
        1..30,
    )) {
        if let Some(mut m) = LineMachine::start(lines[0]) {
            let taken = lines[1..].iter().take_while(|l| m.feed(l)).count();
            let _ = (taken, m.complete());
        }
    }
}

#[test]
fn machine_start_rejects_other_lines() {
    assert!(LineMachine::start("GET /health 200").is_none());
    assert!(LineMachine::start("web-1  | Traceback (most recent call last):").is_none());
}

#[test]
fn strip_shaped_takes_what_there_is_of_an_indentation() {
    let rows: &[(&str, &str, Option<&str>)] = &[
        ("    ", "      File \"x\"", Some("  File \"x\"")),
        (
            "    ",
            "  ZeroDivisionError: x",
            Some("ZeroDivisionError: x"),
        ),
        ("    ", "KeyError: 'a'", Some("KeyError: 'a'")),
        ("\t", "\tKeyError: 'a'", Some("KeyError: 'a'")),
        ("  | ", "KeyError: 'a'", None),
    ];
    for (prefix, line, want) in rows {
        assert_eq!(strip_shaped(prefix, line), *want, "{prefix:?} {line:?}");
    }
}

#[test]
fn frame_at_finds_frames_behind_a_prefix() {
    use super::lines::frame_at;
    let rows: &[(&str, Option<usize>)] = &[
        ("  File \"/app/a.py\", line 3, in f", Some(0)),
        ("File \"/app/a.py\", line 3, in f", Some(0)),
        ("    File \"/app/a.py\", line 3, in f", Some(2)),
        ("backend-1  |   File \"/app/a.py\", line 3, in f", Some(13)),
        (
            "[rank0]:   File \"/app/a.py\", line 3, in <module>",
            Some(9),
        ),
        // A SyntaxError location is a start of its own (`start_at`), not a frame.
        ("  File \"/app/a.py\", line 3", None),
        // Quoted in a sentence, or flattened with its source on the line.
        ("Frames look like `File \"app.py\", line 10, in main`", None),
        ("  File \"/app/a.py\", line 3, in f x = g()", None),
        ("GET /health 200", None),
    ];
    for (line, want) in rows {
        assert_eq!(frame_at(line), *want, "{line:?}");
    }
}

#[test]
fn python2_exception_lines() {
    let rows: &[(&str, Option<(&str, &str)>)] = &[
        (
            "<type 'exceptions.ImportError'>: No module named stripe_sync",
            Some(("ImportError", "No module named stripe_sync")),
        ),
        (
            "<class 'netra.errors.QuotaExceeded'>: over quota",
            Some(("netra.errors.QuotaExceeded", "over quota")),
        ),
        (
            "<type 'exceptions.KeyboardInterrupt'>",
            Some(("KeyboardInterrupt", "")),
        ),
        ("<type 'exceptions.Bad name'>: x", None),
        ("<html>", None),
    ];
    for (line, want) in rows {
        assert_eq!(exception_line(line), *want, "{line:?}");
    }
}

/// Feeds `lines` to a machine for a traceback without its header (the first line a frame),
/// with `exception_first` as Sentry's layout; returns how many were taken and whether the
/// shape was whole then.
fn run_headerless(lines: &[&str], exception_first: bool) -> (usize, bool) {
    let mut m = LineMachine::headerless(lines[0], exception_first).expect("a frame");
    let taken = 1 + lines[1..].iter().take_while(|l| m.feed(l)).count();
    (taken, m.complete())
}

#[test]
fn headerless_machine_table() {
    let f1 = "  File \"/app/a.py\", line 1, in f";
    let f2 = "  File \"/app/b.py\", line 2, in g";
    let rows: &[(&str, &[&str], bool, usize, bool)] = &[
        (
            "two frames then the exception",
            &[
                f1,
                "    g()",
                f2,
                "    raise KeyError('a')",
                "KeyError: 'a'",
                "INFO: x",
            ],
            false,
            5,
            true,
        ),
        (
            "one frame is no traceback: the exception line is not taken",
            &[f1, "    g()", "KeyError: 'a'"],
            false,
            2,
            false,
        ),
        (
            "two frames, no exception",
            &[f1, f2, "GET /health 200"],
            false,
            2,
            false,
        ),
        (
            "Sentry: two frames after the exception line are whole",
            &[f1, "    g()", f2, "    h()", "GET /health 200"],
            true,
            4,
            true,
        ),
        (
            "Sentry: one frame is not",
            &[f1, "    g()", "GET /health 200"],
            true,
            2,
            false,
        ),
        (
            "flush left: sources at column 0",
            &[
                "File \"/app/a.py\", line 1, in f",
                "g()",
                "File \"/app/b.py\", line 2, in g",
                "raise",
                "KeyError: 'a'",
            ],
            false,
            5,
            true,
        ),
    ];
    for (name, lines, exception_first, taken, complete) in rows {
        assert_eq!(
            run_headerless(lines, *exception_first),
            (*taken, *complete),
            "{name}"
        );
    }
    assert!(LineMachine::headerless("GET /health 200", false).is_none());
    assert!(LineMachine::headerless("  File \"/app/a.py\", line 3", false).is_none());
}

#[test]
fn parse_takes_headerless_layouts() {
    let types = |text: &str| -> Option<Vec<(String, Vec<String>)>> {
        let tb = parse(text)?;
        Some(
            tb.chain
                .iter()
                .map(|e| {
                    let fs = e.frames.iter().map(|f| f.function.clone()).collect();
                    (e.type_name.clone(), fs)
                })
                .collect(),
        )
    };
    let one = |ty: &str, fs: &[&str]| {
        Some(vec![(
            ty.to_string(),
            fs.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        )])
    };
    type Chain = Option<Vec<(String, Vec<String>)>>;
    let rows: &[(&str, &str, Chain)] = &[
        (
            "header cut off",
            "the worker dies with:\n  File \"/a.py\", line 1, in f\n    g()\n  File \"/b.py\", line 2, in g\n    h()\nNameError: name 'h' is not defined\nINFO: bye",
            one("NameError", &["f", "g"]),
        ),
        (
            // Sentry lists the newest frame first: turned around, outermost first.
            "Sentry's layout",
            "NameError: name 'h' is not defined\n  File \"/b.py\", line 2, in g\n    h()\n  File \"/a.py\", line 1, in f\n    g()",
            one("NameError", &["f", "g"]),
        ),
        (
            // AWS Lambda: the record's `[ERROR] Type: message`, then a traceback with no
            // exception line; its frames are already outermost first.
            "Lambda's record before the header",
            "[ERROR] KeyError: 'thread_id'\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 8, in handler\n    x = event['thread_id']\n  File \"/var/task/app.py\", line 3, in inner\n    y()",
            one("KeyError", &["handler", "inner"]),
        ),
        (
            "one frame and an exception line is prose",
            "  File \"/a.py\", line 1, in f\nKeyError: 'a'",
            None,
        ),
        (
            "list item: exception less indented than the header",
            "    Traceback (most recent call last):\n      File \"/a.py\", line 1, in f\n        g()\nZeroDivisionError: division by zero",
            one("ZeroDivisionError", &["f"]),
        ),
    ];
    for (name, text, want) in rows {
        assert_eq!(types(text), *want, "{name}");
    }
}
