//! Scrubbing: each kind of secret Sentry's data scrubbing removes, replaced by a marked
//! placeholder; what must stay (addresses, module paths, SQL placeholders, ids); and, over
//! random mixes of both, no secret survives, nothing else changes, and scrubbing twice is
//! scrubbing once.

use logtriage::{scrub, EMAIL, FILTERED, LONG_TOKEN};
use proptest::prelude::*;

#[test]
fn scrubbing_table() {
    let rows: &[(&str, &str, &str)] = &[
        // (what, input, output)
        ("password in a DSN", "connect to postgresql://netra_app:s3cr3t-Pa55@10.0.0.5:5432/netra failed", "connect to postgresql://netra_app:[Filtered]@10.0.0.5:5432/netra failed"),
        ("password without a user", "REDIS_URL=redis://:hunter2hunter2@10.0.0.5:6379/0", "REDIS_URL=redis://:[Filtered]@10.0.0.5:6379/0"),
        ("password in an https URL", "GET https://deploy:tok3n@artifacts.netra.example/pkg", "GET https://deploy:[Filtered]@artifacts.netra.example/pkg"),
        ("bearer token", "sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.ZRrHA1JJJW8opsbCGfG_HACGpVUMN_a9IV7pAx_Zmeo to auth", "sent Bearer [Filtered] to auth"),
        ("authorization header", "headers={'Authorization': 'Basic bmV0cmE6aHVudGVyMg=='}", "headers={'Authorization': '[Filtered]'}"),
        ("authorization header, bearer", "Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0", "Authorization: [Filtered]"),
        ("key= in a query string", "GET /maps/api/geocode/json?address=x&key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY HTTP/1.1", "GET /maps/api/geocode/json?address=x&key=[Filtered] HTTP/1.1"),
        ("token= in a query string", "callback?state=abc&token=3f9a1c77e2&next=%2F", "callback?state=abc&token=[Filtered]&next=%2F"),
        ("api_key and password as key=value", "api_key=sk_abcdef123456 password='hunter 2' user=netra", "api_key=[Filtered] password='[Filtered]' user=netra"),
        ("a JSON secret", r#"{"client_secret": "Zx9-4f2", "client_id": "netra-web"}"#, r#"{"client_secret": "[Filtered]", "client_id": "netra-web"}"#),
        ("an e-mail address", "password reset sent to ops.oncall+alerts@netra-systems.example", "password reset sent to [email]"),
        ("a JSON Web Token in a subprotocol", "client offered ['jwt-auth', 'jwt.eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.969dbd0835d2d6f4ea']", "client offered ['jwt-auth', 'jwt.[Filtered]']"),
        ("a Google API key alone", "quota exceeded for AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", "quota exceeded for [Filtered]"),
        ("a GitHub token alone", "push with ghp_R2d2C3poR2d2C3poR2d2C3poR2d2C3po1234 rejected", "push with [Filtered] rejected"),
        ("a long random token", "session id Xq7Lw2Pz9Rk4Tn6Vb8Mc3Hd5Jf1Gs0Aa rejected", "session id [Filtered] rejected"),
        ("a PEM private key", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\nloaded", "key:\n[Filtered]\nloaded"),
        // What stays.
        ("host:port", "Error 111 connecting to 10.0.0.5:6379. Connection refused.", "Error 111 connecting to 10.0.0.5:6379. Connection refused."),
        ("a docker host:port", "Error 111 connecting to redis:6379. Connection refused.", "Error 111 connecting to redis:6379. Connection refused."),
        ("a module path", "No module named 'netra_backend.app.agents.execution_engine_unified_factory'", "No module named 'netra_backend.app.agents.execution_engine_unified_factory'"),
        ("a file path", "File \"/usr/local/lib/python3.11/site-packages/redis/asyncio/connection.py\", line 274, in connect", "File \"/usr/local/lib/python3.11/site-packages/redis/asyncio/connection.py\", line 274, in connect"),
        ("SQL with ? placeholders", "UPDATE users SET password_hash = ?, api_key = ? WHERE users.id = ?", "UPDATE users SET password_hash = ?, api_key = ? WHERE users.id = ?"),
        ("SQL with $1 placeholders", "SELECT sessions.id FROM sessions WHERE sessions.token = $1 AND sessions.user_id = $2", "SELECT sessions.id FROM sessions WHERE sessions.token = $1 AND sessions.user_id = $2"),
        ("an exception that names a password", "asyncpg.exceptions.InvalidPasswordError: password authentication failed for user \"netra_app\"", "asyncpg.exceptions.InvalidPasswordError: password authentication failed for user \"netra_app\""),
        ("prose about tokens", "Token validation failed: Basic authentication is disabled", "Token validation failed: Basic authentication is disabled"),
        ("lower-case hex ids and a UUID", "insertId 6b083d6900000ef3e073b362 trace 4bf92f3577b34da6a3ce929d0e0e4736 request 0b6f1f9e-5c4e-4a4b-9d0c-2f1e8a7b6c5d", "insertId 6b083d6900000ef3e073b362 trace 4bf92f3577b34da6a3ce929d0e0e4736 request 0b6f1f9e-5c4e-4a4b-9d0c-2f1e8a7b6c5d"),
        ("a long CamelCase name", "NameError: name 'UnifiedExecutionEngineFactoryRegistryProvider' is not defined", "NameError: name 'UnifiedExecutionEngineFactoryRegistryProvider' is not defined"),
        ("short numbers after a sensitive key", "max_tokens=1000 retries=3 session_ttl=3600", "max_tokens=1000 retries=3 session_ttl=3600"),
        ("a Python decorator and a Git remote path", "@app.get('/health') in netra_backend/app/routes/health.py", "@app.get('/health') in netra_backend/app/routes/health.py"),
    ];
    assert!(rows.len() >= 15);
    for (what, input, want) in rows {
        let got = scrub(input);
        assert_eq!(got, *want, "{what}");
        assert_eq!(scrub(&got), got, "{what}: scrubbing twice changes it");
    }
}

#[test]
fn the_long_token_rule_starts_at_its_length() {
    // A key-like run one character short of the bound stays, at the bound it goes.
    let short = "Xq7Lw2Pz9Rk4Tn6Vb8Mc3Hd5Jf1Gs0A";
    assert_eq!(short.len(), LONG_TOKEN - 1);
    assert_eq!(scrub(&format!("id {short} x")), format!("id {short} x"));
    let long = format!("{short}b");
    assert_eq!(scrub(&format!("id {long} x")), format!("id {FILTERED} x"));
}

/// Secrets, each in a context that makes it one, and the value that must not survive.
const SECRETS: &[(&str, &str)] = &[
    (
        "postgresql://netra_app:Pa55w0rdXyz@db:5432/netra",
        "Pa55w0rdXyz",
    ),
    ("password=Hunter2Hunter2", "Hunter2Hunter2"),
    (
        "Authorization: Bearer abc123def456ghi789",
        "abc123def456ghi789",
    ),
    ("token=0a1b2c3d4e5f", "0a1b2c3d4e5f"),
    (
        "ops.oncall@netra-systems.example",
        "ops.oncall@netra-systems.example",
    ),
    (
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
        "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    ),
    (
        "Xq7Lw2Pz9Rk4Tn6Vb8Mc3Hd5Jf1Gs0AaBb",
        "Xq7Lw2Pz9Rk4Tn6Vb8Mc3Hd5Jf1Gs0AaBb",
    ),
];

/// Text that must come out as it went in.
const SAFE: &[&str] = &[
    "10.0.0.5:6379",
    "redis:6379",
    "netra_backend.app.redis_manager",
    "WHERE users.password_hash = ?",
    "/app/netra_backend/app/smd.py",
    "6b083d6900000ef3e073b362",
    "NameError: name 'UnifiedExecutionEngineFactory' is not defined",
    "Connection refused.",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_secret_survives_and_nothing_else_changes(
        parts in proptest::collection::vec((any::<bool>(), 0usize..64), 1..12)
    ) {
        let mut pieces = Vec::new();
        let mut secrets = Vec::new();
        for (is_secret, i) in parts {
            if is_secret {
                let (text, value) = SECRETS[i % SECRETS.len()];
                pieces.push(text);
                secrets.push(value);
            } else {
                pieces.push(SAFE[i % SAFE.len()]);
            }
        }
        let text = pieces.join(" | ");
        let out = scrub(&text);
        for value in &secrets {
            prop_assert!(!out.contains(value), "{value} survived in {out}");
        }
        for safe in SAFE.iter().filter(|s| text.contains(**s)) {
            prop_assert!(out.contains(safe), "{safe} changed in {out}");
        }
        prop_assert!(secrets.is_empty() || out.contains(FILTERED) || out.contains(EMAIL));
        prop_assert_eq!(scrub(&out), out.clone());
    }
}
