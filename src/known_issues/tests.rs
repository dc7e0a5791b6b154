//! Unit tests of the tokens an issue is split into and of the terms of an event.

use super::terms::{is_common, terms_of, Term, COMMON};
use super::text_match::{tokens, TextIndex};
use crate::classify::Classifier;
use crate::event::{Event, EventKind};

fn tokens_of(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    tokens(&lower, &mut |t| out.push(t.to_string()));
    out
}

#[test]
fn tokens_keep_identifiers_whole_and_their_pieces() {
    let rows: &[(&str, &[&str])] = &[
        (
            "10.0.0.5:6379.",
            &["10.0.0.5:6379", "10.0.0.5", "10", "0", "0", "5", "6379"],
        ),
        (
            "`redis.exceptions.ConnectionError`:",
            &[
                "redis.exceptions.connectionerror",
                "redis",
                "exceptions",
                "connectionerror",
            ],
        ),
        (
            "(/app/smd.py)",
            &["app/smd.py", "app", "smd.py", "smd", "py"],
        ),
        (
            "E2E-DEPLOY-Redis",
            &["e2e-deploy-redis", "e2e", "deploy", "redis"],
        ),
        (
            "'_initialize_factory_patterns'",
            &["_initialize_factory_patterns"],
        ),
        ("--- ... ::", &[]),
    ];
    for (text, want) in rows {
        assert_eq!(tokens_of(text), *want, "{text}");
    }
}

#[test]
fn common_words_are_sorted_for_the_binary_search() {
    let unsorted: Vec<_> = COMMON.windows(2).filter(|w| w[0] >= w[1]).collect();
    assert!(unsorted.is_empty(), "{unsorted:?}");
    for word in [
        "error",
        "failed",
        "connection",
        "refused",
        "timeout",
        "with",
        "your",
        "about",
    ] {
        assert!(is_common(word), "{word}");
    }
    for word in [
        "startup",
        "subprotocol",
        "redis",
        "unifiedexecutionenginefactory",
    ] {
        assert!(!is_common(word), "{word}");
    }
}

fn keys(event: &Event) -> Vec<String> {
    terms_of(event).into_iter().map(|t: Term| t.key).collect()
}

#[test]
fn terms_of_a_traceback() {
    let mut ev = Event::new(
        EventKind::Traceback,
        "Traceback (most recent call last):\n  File \"/app/netra_backend/app/redis_manager.py\", line 147, in _ping\n    await self._client.ping()\nredis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
    );
    Classifier::builtin().classify(&mut ev);
    let keys = keys(&ev);
    for want in [
        "10.0.0.5:6379",
        "10.0.0.5",
        "6379",
        "redis.exceptions.connectionerror",
        "connectionerror",
        "_ping",
        "redis_manager.py",
    ] {
        assert!(keys.iter().any(|k| k == want), "{want} missing in {keys:?}");
    }
    // Common words are never terms.
    assert!(!keys.iter().any(|k| is_common(k)), "{keys:?}");
}

#[test]
fn a_phrase_needs_two_rare_words() {
    let mut ev = Event::new(
        EventKind::Severity,
        "ERROR: connection failed with error while connecting",
    );
    Classifier::builtin().classify(&mut ev);
    assert!(
        terms_of(&ev).iter().all(|t| !t.phrase),
        "{:?}",
        terms_of(&ev)
    );
    let index = TextIndex::new([("connection failed with error while connecting", "")]);
    assert_eq!(index.best(&terms_of(&ev)), None);
}
