use super::*;

#[test]
fn lone_surrogates_become_replacement_characters() {
    let rows: &[(&str, &str)] = &[
        (r#""bad \ud800 escape""#, "bad \u{fffd} escape"),
        (
            r#""reversed \udc00\ud800 pair""#,
            "reversed \u{fffd}\u{fffd} pair",
        ),
        (r#""lead at end \ud83d""#, "lead at end \u{fffd}"),
        (
            r#""valid pair \ud83d\ude00 kept""#,
            "valid pair \u{1f600} kept",
        ),
        (
            r#""escaped backslash \\ud800 is text""#,
            "escaped backslash \\ud800 is text",
        ),
    ];
    for (json, want) in rows {
        let entry = format!(r#"{{"severity":"ERROR","textPayload":{json}}}"#);
        let mut scratch = String::new();
        let parsed = Entry::from_json(entry.as_bytes(), 1, &mut scratch).expect(json);
        assert_eq!(parsed.text_payload.as_deref(), Some(*want), "{json}");
    }
}

#[test]
fn level_word_table() {
    let rows: &[(&str, Severity)] = &[
        (
            "ERROR:root:Exception on /api/agents [POST]",
            Severity::Error,
        ),
        (
            "[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process",
            Severity::Error,
        ),
        ("CRITICAL: startup failed", Severity::Critical),
        (
            "FATAL:  password authentication failed for user \"netra\"",
            Severity::Critical,
        ),
        (
            "2026-11-27 07:01:02,123 ERROR netra_backend.app.smd boom",
            Severity::Error,
        ),
        ("INFO:     Started server process [1]", Severity::Info),
        ("the ERROR budget is fine", Severity::Default),
        ("Traceback (most recent call last):", Severity::Default),
        ("", Severity::Default),
    ];
    for (text, want) in rows {
        assert_eq!(level_word(text), *want, "{text:?}");
    }
}

#[test]
fn stream_key_separates_instances() {
    let a = Entry {
        instance_id: Some("00a1".into()),
        ..Entry::default()
    };
    let b = Entry {
        instance_id: Some("00b2".into()),
        ..Entry::default()
    };
    assert_ne!(a.stream_key(), b.stream_key());
    assert_eq!(a.stream_key(), a.clone().stream_key());
}

#[test]
fn service_prefers_cloud_run_label() {
    let e = Entry {
        resource_labels: vec![
            (
                "revision_name".into(),
                "netra-backend-staging-00042-xyz".into(),
            ),
            ("service_name".into(), "netra-backend-staging".into()),
        ],
        ..Entry::default()
    };
    assert_eq!(e.service(), Some("netra-backend-staging"));
    assert_eq!(e.revision(), Some("netra-backend-staging-00042-xyz"));
}
/// One row per platform: the entry's labels, and the service and revision read from them.
#[test]
fn revision_of_cloud_run_app_engine_and_gke() {
    let rows: &[(&str, Option<&str>, Option<&str>)] = &[
        (
            r#"{"resource":{"type":"cloud_run_revision","labels":{"service_name":"netra-backend-staging","revision_name":"netra-backend-staging-00042-xyz"}}}"#,
            Some("netra-backend-staging"),
            Some("netra-backend-staging-00042-xyz"),
        ),
        (
            r#"{"resource":{"type":"gae_app","labels":{"module_id":"default","version_id":"20261126t140312","project_id":"netra-staging","zone":"us16"}}}"#,
            Some("default"),
            Some("20261126t140312"),
        ),
        (
            r#"{"labels":{"compute.googleapis.com/resource_name":"gke-netra-pool-1-3b2f","k8s-pod/app":"backend","k8s-pod/pod-template-hash":"5d8f7c9b4"},"resource":{"type":"k8s_container","labels":{"cluster_name":"netra","container_name":"backend","namespace_name":"default","pod_name":"backend-5d8f7c9b4-x7n2j"}}}"#,
            Some("backend"),
            Some("5d8f7c9b4"),
        ),
        // A Cloud Run label wins over a pod label; a label of another type is no revision.
        (
            r#"{"labels":{"k8s-pod/pod-template-hash":"5d8f7c9b4"},"resource":{"labels":{"service_name":"api","revision_name":"api-00007-abc"}}}"#,
            Some("api"),
            Some("api-00007-abc"),
        ),
        (
            r#"{"labels":{"k8s-pod/pod-template-hash":17,"instanceId":"00a1"},"resource":{"type":"k8s_container","labels":{"container_name":"backend"}}}"#,
            Some("backend"),
            None,
        ),
        // Cloud SQL names a service (its database), never a revision.
        (
            r#"{"resource":{"type":"cloudsql_database","labels":{"database_id":"p:db"}}}"#,
            Some("p:db"),
            None,
        ),
    ];
    for (json, service, revision) in rows {
        let mut scratch = String::new();
        let e = Entry::from_json(json.as_bytes(), 1, &mut scratch).expect(json);
        assert_eq!(e.service(), *service, "{json}");
        assert_eq!(e.revision(), *revision, "{json}");
    }
}

const CLOUD_RUN: &str = r#"{"insertId":"6745a1b2000c3f8e1a2b3c4d","jsonPayload":{"message":"Traceback (most recent call last):\n  File \"/app/main.py\", line 12, in <module>\nNameError: name 'x' is not defined","logger":"root","duration_ms":12.5,"extra":{"nested":["a",{"b":1}]},"count":3},"labels":{"instanceId":"00f46b9285a1c2","other":"x"},"logName":"projects/netra-staging/logs/run.googleapis.com%2Fstderr","receiveTimestamp":"2026-11-27T07:01:02.345Z","resource":{"labels":{"configuration_name":"netra-backend-staging","location":"us-central1","project_id":"netra-staging","revision_name":"netra-backend-staging-00042-xyz","service_name":"netra-backend-staging"},"type":"cloud_run_revision"},"severity":"ERROR","timestamp":"2026-11-27T07:01:02.123456Z","trace":"projects/netra-staging/traces/4bf92f3577b34da6a3ce929d0e0e4736"}"#;

#[test]
fn from_json_reads_the_fields() {
    let mut scratch = String::new();
    let e = Entry::from_json(CLOUD_RUN.as_bytes(), 7, &mut scratch).unwrap();
    assert_eq!(e.line, 7);
    assert_eq!(e.insert_id.as_deref(), Some("6745a1b2000c3f8e1a2b3c4d"));
    assert_eq!(e.timestamp.as_deref(), Some("2026-11-27T07:01:02.123456Z"));
    assert_eq!(e.severity, Severity::Error);
    assert_eq!(
        e.log_name.as_deref(),
        Some("projects/netra-staging/logs/run.googleapis.com%2Fstderr")
    );
    assert_eq!(e.resource_type.as_deref(), Some("cloud_run_revision"));
    assert_eq!(e.resource_labels.len(), 5);
    assert_eq!(e.service(), Some("netra-backend-staging"));
    assert_eq!(e.revision(), Some("netra-backend-staging-00042-xyz"));
    assert_eq!(e.instance_id.as_deref(), Some("00f46b9285a1c2"));
    assert_eq!(e.text_payload, None);
    let keys: Vec<&str> = e.json_strings.iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(keys, ["message", "logger"]);
    assert!(e
        .message()
        .unwrap()
        .starts_with("Traceback (most recent call last):\n  File \"/app/main.py\""));
    assert_eq!(e.duration_ms, Some(12.5));
    assert_eq!(
        e.trace.as_deref(),
        Some("projects/netra-staging/traces/4bf92f3577b34da6a3ce929d0e0e4736")
    );
    assert!(scratch.is_empty(), "valid UTF-8 needs no scratch");
}

#[test]
fn from_json_borrows_unless_escaped() {
    let mut scratch = String::new();
    let e = Entry::from_json(CLOUD_RUN.as_bytes(), 1, &mut scratch).unwrap();
    assert!(matches!(e.insert_id, Some(Cow::Borrowed(_))));
    assert!(matches!(e.resource_labels[0].1, Cow::Borrowed(_)));
    assert!(matches!(e.json_strings[1].1, Cow::Borrowed(_)));
    // The message holds `\n` and `\"` escapes: decoded, so owned.
    assert!(matches!(e.json_strings[0].1, Cow::Owned(_)));
}

#[test]
fn from_json_pretty_printed() {
    let value: serde_json::Value = serde_json::from_str(CLOUD_RUN).unwrap();
    // (serde_json's `Value` sorts keys, as gcloud does: compare two prints of it.)
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let compact = serde_json::to_string(&value).unwrap();
    let (mut s1, mut s2) = (String::new(), String::new());
    let e = Entry::from_json(pretty.as_bytes(), 1, &mut s1).unwrap();
    assert_eq!(e, Entry::from_json(compact.as_bytes(), 1, &mut s2).unwrap());
    assert_eq!(e.json_strings.len(), 2);
}

#[test]
fn from_json_invalid_utf8_is_replaced() {
    let bytes = b"{\"insertId\":\"a\xffb\",\"textPayload\":\"caf\xc3\",\"severity\":\"ERROR\"}";
    let mut scratch = String::new();
    let e = Entry::from_json(bytes, 3, &mut scratch).unwrap();
    assert_eq!(e.insert_id.as_deref(), Some("a\u{FFFD}b"));
    assert_eq!(e.text_payload.as_deref(), Some("caf\u{FFFD}"));
    assert_eq!(e.severity, Severity::Error);
}

#[test]
fn from_json_rejects_non_objects_and_bad_json() {
    let rows: &[&[u8]] = &[
        b"[1, 2]",
        b"\"Traceback\"",
        b"42",
        b"null",
        b"{\"a\":1}}",
        b"{\"a\":",
        b"{\"textPayload\":\"x\"",
        b"",
        b"{'a': 1}",
    ];
    for bytes in rows {
        let mut scratch = String::new();
        let err = Entry::from_json(bytes, 9, &mut scratch).unwrap_err();
        assert_eq!(err.line, 9);
        assert!(!err.reason.is_empty());
    }
}

#[test]
fn from_json_ignores_unknown_and_mistyped_fields() {
    let bytes = br#"{"severity":500,"textPayload":42,"resource":"x","labels":[1],"jsonPayload":"y","insertId":{"a":[]},"httpRequest":[{"status":500}],"protoPayload":7,"newField":[{"x":null}]}"#;
    let mut scratch = String::new();
    let e = Entry::from_json(bytes, 1, &mut scratch).unwrap();
    assert_eq!(
        e,
        Entry {
            line: 1,
            severity: Severity::Error,
            ..Entry::default()
        }
    );
}

#[test]
fn severity_names_and_numbers() {
    let rows: &[(&str, Severity)] = &[
        (r#""DEFAULT""#, Severity::Default),
        (r#""DEBUG""#, Severity::Debug),
        (r#""INFO""#, Severity::Info),
        (r#""NOTICE""#, Severity::Notice),
        (r#""WARNING""#, Severity::Warning),
        (r#""ERROR""#, Severity::Error),
        (r#""error""#, Severity::Error),
        (r#""CRITICAL""#, Severity::Critical),
        (r#""ALERT""#, Severity::Alert),
        (r#""EMERGENCY""#, Severity::Emergency),
        (r#""LOUD""#, Severity::Default),
        ("0", Severity::Default),
        ("200", Severity::Info),
        ("550", Severity::Error),
        ("800", Severity::Emergency),
        ("-5", Severity::Default),
        ("600.0", Severity::Critical),
        ("null", Severity::Default),
    ];
    for (json, want) in rows {
        let text = format!(r#"{{"severity":{json}}}"#);
        let mut scratch = String::new();
        let e = Entry::from_json(text.as_bytes(), 1, &mut scratch).unwrap();
        assert_eq!(e.severity, *want, "{json}");
    }
}

#[test]
fn request_logs_and_audit_status_messages() {
    let bytes = br#"{"httpRequest":{"latency":"5.123456789s","requestMethod":"GET","requestUrl":"https://netra.run.app/api/threads/th_5d1c0e?limit=50","status":503,"userAgent":"x"},"protoPayload":{"methodName":"/Services.ReplaceService","status":{"code":9,"message":"Ready condition status changed to False"}},"severity":"ERROR"}"#;
    let mut scratch = String::new();
    let e = Entry::from_json(bytes, 1, &mut scratch).unwrap();
    let r = e.http_request.as_ref().expect("httpRequest");
    assert_eq!(r.method.as_deref(), Some("GET"));
    assert_eq!(
        r.url.as_deref(),
        Some("https://netra.run.app/api/threads/th_5d1c0e?limit=50")
    );
    assert_eq!(r.status, Some(503));
    assert!((r.latency_ms.unwrap() - 5123.456789).abs() < 1e-9);
    assert_eq!(e.message(), Some("Ready condition status changed to False"));
    let rows: &[(&str, Option<u16>, Option<f64>)] = &[
        (r#"{"status":"500","latency":"0s"}"#, Some(500), Some(0.0)),
        (
            r#"{"status":500.0,"latency":"12s"}"#,
            Some(500),
            Some(12000.0),
        ),
        (r#"{"status":-1,"latency":"1.5"}"#, None, None),
        (r#"{"status":70000,"latency":"-1s"}"#, None, None),
        (r#"{"status":"5xx","latency":"1e3s"}"#, None, None),
        (r#"{"status":null,"latency":{"seconds":5}}"#, None, None),
    ];
    for (json, status, latency) in rows {
        let text = format!(r#"{{"httpRequest":{json}}}"#);
        let mut scratch = String::new();
        let e = Entry::from_json(text.as_bytes(), 1, &mut scratch).unwrap();
        let r = e.http_request.unwrap_or_default();
        assert_eq!((r.status, r.latency_ms), (*status, *latency), "{json}");
    }
}

#[test]
fn plain_text_level_behind_viewer_prefixes() {
    let rows: &[(&str, Severity)] = &[
        ("worker-1  | ERROR: job 17 failed", Severity::Error),
        ("web_1       | CRITICAL: boom", Severity::Critical),
        (
            "16:51:02 worker.1 | ERROR:netra.sync:push failed",
            Severity::Error,
        ),
        (
            "[pod/netra-backend-7c9d8f6b5-x2k4p/netra-backend] ERROR:    Application startup failed.",
            Severity::Error,
        ),
        ("[rank0]: ERROR boom", Severity::Error),
        (
            "Nov 26 14:30:12 api-1 gunicorn[4312]: [2026-11-26 14:30:12 +0000] [4312] [ERROR] Worker (pid:4388) was sent SIGKILL!",
            Severity::Error,
        ),
        (
            "2026-11-26T14:30:12+00:00 api-1 netra-sync[2211]: ERROR push failed",
            Severity::Error,
        ),
        (
            "[2026-11-26 14:05:03,412: ERROR/ForkPoolWorker-2] Task x raised unexpected",
            Severity::Error,
        ),
        (
            "[2026-11-26 14:07:12,006: WARNING/ForkPoolWorker-4] processing batch 12",
            Severity::Warning,
        ),
        ("Nov 26 14:31:00 api-1 netra-sync[2211]: INFO retrying", Severity::Info),
        // Not a prefix: a sentence, a bracket with blanks, a bar inside a sentence.
        ("Nov is when ERROR rates go up", Severity::Default),
        ("[the ERROR] budget", Severity::Default),
        ("the build | ERROR b", Severity::Default),
    ];
    for (text, want) in rows {
        let entry = Entry::from_text(std::borrow::Cow::Borrowed(text), 1);
        assert_eq!(entry.level(), *want, "{text:?}");
    }
}
