use super::*;

#[test]
fn builtin_rules_load_with_every_builtin_category() {
    let c = Classifier::builtin();
    for id in Category::BUILTIN {
        assert!(c.categories().contains(id.as_str()), "{id}");
    }
    assert!(!c.categories().contains("cuda_oom"));
    assert_eq!(c.categories.iter().count(), Category::BUILTIN.len());
    // Loading them compiles nothing; `set` falls back to an empty set if they did not.
    let patterns = c.rules.iter().map(|r| r.pattern.as_str());
    assert!(RegexSet::new(patterns).is_ok());
    assert_eq!(c.set().len(), c.rules.len());
}

#[test]
fn builtin_ranks() {
    let c = Classifier::builtin();
    let ranks: Vec<u32> = [
        "undefined_symbol",
        "missing_module",
        "out_of_memory",
        "connection_refused",
        "timeout",
        "slow_query",
        "unclassified",
        "nope",
    ]
    .iter()
    .map(|id| c.categories().rank(id))
    .collect();
    assert_eq!(ranks, [10, 20, 30, 40, 50, 60, 1000, u32::MAX]);
}

#[test]
fn decide_takes_subject_from_a_later_text() {
    let c = Classifier::builtin();
    let d = c.decide(&[
            "ValueError: bad",
            "ConnectionRefusedError: [Errno 111] Connection refused",
            "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
        ]);
    assert_eq!(
        d,
        Some(Decision {
            index: 1,
            category: Category::CONNECTION_REFUSED,
            subject: Some("10.0.0.5:6379".to_string()),
        })
    );
    assert_eq!(c.decide(&["KeyError: 'user_id'"]), None);
}

#[test]
fn normalize_sql_table() {
    let rows = [
        ("SELECT 1", "SELECT ?"),
        (
            "SELECT * FROM threads WHERE user_id = 'u-42' AND n > 10",
            "SELECT * FROM threads WHERE user_id = ? AND n > ?",
        ),
        (
            "SELECT a FROM t WHERE id IN (1, 2, 3)",
            "SELECT a FROM t WHERE id IN (?)",
        ),
        (
            "select a from t where id in ($1,$2)",
            "select a from t where id in (?)",
        ),
        ("SELECT 'it''s'  ,\n  x2 FROM t2", "SELECT ? , x2 FROM t2"),
        (
            "UPDATE t SET v = 3.25 WHERE k = 'a'",
            "UPDATE t SET v = ? WHERE k = ?",
        ),
        ("SELECT 'unterminated", "SELECT ?"),
    ];
    for (input, want) in rows {
        assert_eq!(normalize_sql(input), want, "{input}");
    }
}

#[test]
fn regex_errors_are_one_line() {
    // Built at run time: clippy rejects an invalid regex literal.
    let bad = |s: &str| Regex::new(s).unwrap_err();
    assert_eq!(regex_error(&bad("Unified((")), "unclosed group");
    let e = bad("a{99999999}");
    assert!(!regex_error(&e).contains('\n'));
}

#[test]
fn a_bad_pattern_is_named_by_its_entry_and_place() {
    let json = r#"{"categories": [
            {"id": "a", "patterns": ["fine"]},
            {"id": "b", "patterns": ["also fine", "(unclosed", "x"]}
        ]}"#;
    let mut c = Classifier::builtin();
    let e = c
        .add_rules_json(json, "rules.json")
        .unwrap_err()
        .to_string();
    assert!(
        e.ends_with(r#"rule 1: pattern 1 ("(unclosed") is not a valid regex: unclosed group"#),
        "{e}"
    );
    assert!(
        !c.categories().contains("a"),
        "a failed file changes nothing"
    );
}

/// A classifier without rules. Not the built-in one: other tests share (and compile) its
/// rules.
fn empty_classifier() -> Classifier {
    Classifier {
        categories: Categories::default(),
        rules: Vec::new(),
        set: Arc::default(),
        digest: 0,
        platform: PlatformTable::default(),
    }
}

#[test]
fn rules_compile_on_first_use_and_clones_share_them() {
    let mut c = empty_classifier();
    let json = r#"{"categories": [{"id": "a", "patterns": ["refused (?P<subject>\\S+)"]}]}"#;
    c.add_rules_json(json, "rules.json").expect("valid");
    let rule = c.rules.first().expect("one rule");
    let copy = c.clone();
    assert!(rule.regex.get().is_none());
    assert!(rule.regex().is_some());
    assert!(copy.rules.first().is_some_and(|r| r.regex.get().is_some()));
}

#[test]
fn a_matched_rule_that_names_no_group_is_never_compiled_on_its_own() {
    let mut c = empty_classifier();
    let json = r#"{"categories": [{"id": "refused", "patterns": [
        "\\bConnection refused\\b",
        "(?i)connect to (?P<host>[a-z0-9.]+):(?P<port>[0-9]+)",
        "refused by (?<subject>\\S+)"
    ]}]}"#;
    c.add_rules_json(json, "rules.json").expect("valid");
    let decided = |text: &str| c.decide(&[text]).and_then(|d| d.subject);
    assert_eq!(decided("Connection refused"), None);
    assert_eq!(
        decided("Connection refused: connect to db.internal:5432"),
        Some("db.internal:5432".to_string())
    );
    assert_eq!(
        decided("Connection refused by redis-1"),
        Some("redis-1".to_string())
    );
    let compiled: Vec<bool> = c.rules.iter().map(|r| r.regex.get().is_some()).collect();
    assert_eq!(compiled, [false, true, true]);
}

#[test]
fn cut_chars_never_splits_a_char() {
    assert_eq!(cut_chars("héllo", 2), "hé");
    assert_eq!(cut_chars("hé", 5), "hé");
    assert_eq!(first_line("\n  \n  first  \nsecond", 100), "first");
}
