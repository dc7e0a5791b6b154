use super::unfold;
use crate::traceback::parse;

/// A frame's function and source.
type FrameShape = (String, Option<String>);
/// An exception's type, message and frames.
type ExceptionShape = (String, String, Vec<FrameShape>);

/// The deciding shape of what `unfold` makes of a line: each exception's type, message and
/// frames (function and source), and the header line it keeps.
fn shape(line: &str) -> Option<(String, Vec<ExceptionShape>)> {
    let text = unfold(line)?;
    let head = text.lines().next().unwrap_or("").to_string();
    let tb = parse(&text)?;
    let chain = tb
        .chain
        .iter()
        .map(|e| {
            let frames = e
                .frames
                .iter()
                .map(|f| (f.function.clone(), f.source.clone()))
                .collect();
            (e.type_name.clone(), e.message.clone(), frames)
        })
        .collect();
    Some((head, chain))
}

#[test]
fn flattened_tracebacks_unfold() {
    let line = "ERROR 2026-11-26T14:12:00.118210Z Traceback (most recent call last): File \"/a.py\", line 41, in get_thread thread = service.load(thread_id) File \"/b.py\", line 88, in load if x: return self.cache[thread_id] KeyError: 'th_5d1c0e'";
    let (head, chain) = shape(line).expect("a traceback");
    assert_eq!(head, "ERROR 2026-11-26T14:12:00.118210Z");
    assert_eq!(chain.len(), 1);
    let (ty, message, frames) = &chain[0];
    assert_eq!((ty.as_str(), message.as_str()), ("KeyError", "'th_5d1c0e'"));
    assert_eq!(
        frames,
        &[
            (
                "get_thread".to_string(),
                Some("thread = service.load(thread_id)".to_string())
            ),
            (
                "load".to_string(),
                Some("if x: return self.cache[thread_id]".to_string())
            ),
        ]
    );
}

#[test]
fn flattened_chain_keeps_both_tracebacks() {
    let line = "Traceback (most recent call last): File \"/a.py\", line 1, in f g() ConnectionRefusedError: [Errno 111] Connection refused During handling of the above exception, another exception occurred: Traceback (most recent call last): File \"/b.py\", line 2, in h f() redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.";
    let (_, chain) = shape(line).expect("a traceback");
    let types: Vec<&str> = chain.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(
        types,
        ["ConnectionRefusedError", "redis.exceptions.ConnectionError"]
    );
    assert_eq!(chain[0].1, "[Errno 111] Connection refused");
}

#[test]
fn json_documents_in_a_line_unfold() {
    let rows: &[(&str, &str, &str, usize)] = &[
        (
            "Lambda, frames as strings",
            r#"invoke failed Result:{"errorMessage": "name 'x' is not defined", "errorType": "NameError", "stackTrace": ["  File \"/var/task/h.py\", line 3, in h\n    return x\n"]}"#,
            "NameError",
            1,
        ),
        (
            "Lambda, frames as arrays",
            r#"{"errorMessage": "boom", "errorType": "OSError", "stackTrace": [["/var/task/h.py", 18, "handle", "os.makedirs(d)"], ["/usr/lib/os.py", 220, "makedirs", "mkdir(name)"]]}"#,
            "OSError",
            2,
        ),
        (
            "a JSON log record's exc_info",
            r#"worker-1  | {"message": "task failed", "exc_info": "Traceback (most recent call last):\n  File \"/srv/t.py\", line 16, in run\n    raise NotImplementedError()\nNotImplementedError"}"#,
            "NotImplementedError",
            1,
        ),
    ];
    for (name, line, ty, frames) in rows {
        let (_, chain) = shape(line).unwrap_or_else(|| panic!("{name}: no traceback"));
        let last = chain.last().expect("an exception");
        assert_eq!((last.0.as_str(), last.2.len()), (*ty, *frames), "{name}");
    }
}

#[test]
fn lines_without_such_a_traceback_stay_lines() {
    let rows: &[&str] = &[
        "  File \"/app/a.py\", line 3, in f",
        "user pasted \"Traceback (most recent call last)\" into the ticket",
        "Traceback (most recent call last): see the attached file",
        r#"upload skipped {"reason": "File \"/exports/a.csv\" exists"}"#,
        r#"bad {"stackTrace": "not a list", "errorType": "X"} and {"#,
        "",
    ];
    for line in rows {
        assert_eq!(unfold(line), None, "{line:?}");
    }
}

proptest::proptest! {
    #![proptest_config(crate::proptest_config(256))]

    /// Whatever the words, unfolding a line and parsing what it gives do not panic.
    #[test]
    fn unfold_survives_any_words(words in proptest::collection::vec(
        proptest::sample::select(vec![
            "Traceback (most recent call last):", "File \"/a.py\",", "line", "3,", "in", "f",
            "KeyError:", "'a'", "x:", "During handling of the above exception, another exception occurred:",
            "{\"errorType\":", "\"stackTrace\":", "[", "]", "}", "\"File \\\"x\\\"\"", "", " ",
        ]),
        0..40,
    )) {
        let line = words.join(" ");
        if let Some(text) = unfold(&line) {
            let _ = parse(&text);
        }
    }
}
