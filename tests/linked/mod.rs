//! A corpus of Cloud Run entries whose symptoms link to causes by each rule, for the
//! exactness property of partial reports.

/// splitmix64, for the linked corpus.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n.max(1)
    }
}

/// A healthy revision and one whose every instance crashes (a crash loop).
const REV_OK: &str = "netra-backend-staging-00041-abc";
const REV_LOOP: &str = "netra-backend-staging-00042-xyz";

/// Entries of Cloud Run services whose failures leave symptoms, each incident's cause and
/// symptom a few entries apart so that cuts fall between them: a traceback split one line
/// per entry and the failed request of the same `trace`; an error and a failed request on
/// the same instance inside its span; an error and the container's exit on that instance;
/// crashes and exits on every instance of a revision, then requests it refused (linked by
/// the revision). Successful requests and info lines between them. Time grows with the
/// entries; a symptom may come before an unrelated cause.
pub fn linked(seed: u64, incidents: usize) -> Vec<serde_json::Value> {
    use serde_json::json;
    let mut rng = Rng(seed);
    let instance = |rev: &str, i: u64| format!("00{:x}{:0>94}", rev.len(), i);
    let resource = |rev: &str| {
        json!({"type": "cloud_run_revision", "labels": {"service_name": "netra-backend-staging",
            "revision_name": rev, "location": "us-central1", "project_id": "netra-staging"}})
    };
    let ts = |s: f64| {
        let ms = (s * 1000.0).round() as u64;
        format!(
            "2026-11-26T14:{:02}:{:02}.{:03}Z",
            ms / 60_000,
            ms / 1000 % 60,
            ms % 1000
        )
    };
    let log = |name: &str| format!("projects/netra-staging/logs/run.googleapis.com%2F{name}");
    let trace = |t: u64| format!("projects/netra-staging/traces/{t:032x}");
    let entry = |rev: &str, at: f64, inst: Option<&str>, name: &str| {
        let mut e = json!({"timestamp": ts(at), "logName": log(name), "resource": resource(rev)});
        if let Some(i) = inst {
            e["labels"] = json!({"instanceId": i});
        }
        e
    };
    let request = |rev: &str, at: f64, inst: Option<&str>, t: u64, status: u16, lat: f64| {
        let mut e = entry(rev, at, inst, "requests");
        e["severity"] = if status >= 500 { "ERROR" } else { "INFO" }.into();
        e["trace"] = trace(t).into();
        let path = [
            "/api/threads/th_9c1d/messages",
            "/api/agents/run",
            "/health",
        ][t as usize % 3];
        e["httpRequest"] = json!({"requestMethod": "GET", "status": status, "protocol": "HTTP/1.1",
            "requestUrl": format!("https://netra-backend-staging-7019.us-central1.run.app{path}"),
            "latency": format!("{lat:.6}s")});
        e
    };
    let messages = [
        "Redis connection failed: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
        "Database pool exhausted: QueuePool limit of size 5 overflow 10 reached",
        "Agent run failed: upstream timed out after 30s",
    ];
    let mut out = Vec::new();
    let mut at = 0.0;
    let mut next_trace = 1u64;
    for _ in 0..incidents {
        at += 1.0 + rng.below(20) as f64;
        let t = next_trace;
        next_trace += 1;
        let mut symptoms = Vec::new();
        match rng.below(4) {
            0 => {
                // A traceback split one line per entry, and the request of the same trace.
                let inst = instance(REV_OK, rng.below(3));
                let lines = [
                    "Traceback (most recent call last):".to_string(),
                    "  File \"/app/netra_backend/app/routes/threads.py\", line 88, in get_messages"
                        .to_string(),
                    format!("KeyError: 'thread_{}'", rng.below(3)),
                ];
                for (k, line) in lines.iter().enumerate() {
                    let mut e = entry(REV_OK, at + k as f64 * 0.001, Some(&inst), "stderr");
                    e["severity"] = "ERROR".into();
                    e["trace"] = trace(t).into();
                    e["textPayload"] = line.as_str().into();
                    out.push(e);
                }
                symptoms.push(request(REV_OK, at + 0.2, Some(&inst), t, 500, 0.3));
            }
            1 => {
                // An error on an instance, and a failed request on it whose span holds it.
                let inst = instance(REV_OK, rng.below(3));
                let mut e = entry(REV_OK, at, Some(&inst), "stdout");
                e["severity"] = "ERROR".into();
                e["jsonPayload"] = json!({"message": messages[rng.below(3) as usize]});
                out.push(e);
                symptoms.push(request(REV_OK, at - 0.2, Some(&inst), t, 502, 0.5));
            }
            2 => {
                // An error, then the container's exit on the same instance.
                let inst = instance(REV_OK, rng.below(3));
                let mut e = entry(REV_OK, at, Some(&inst), "stdout");
                e["severity"] = "ERROR".into();
                e["jsonPayload"] = json!({"message": messages[rng.below(3) as usize]});
                out.push(e);
                let mut x = entry(REV_OK, at + 5.0, Some(&inst), "varlog%2Fsystem");
                x["severity"] = "WARNING".into();
                x["textPayload"] = "Container called exit(1).".into();
                symptoms.push(x);
            }
            _ => {
                // A crash and an exit on each instance of the looping revision, then a
                // request it refused.
                for i in 0..2 {
                    let inst = instance(REV_LOOP, i);
                    let mut e = entry(REV_LOOP, at, Some(&inst), "stderr");
                    e["severity"] = "ERROR".into();
                    e["textPayload"] =
                        "ModuleNotFoundError: No module named 'netra_backend.app.agents.v2'".into();
                    out.push(e);
                    let mut x = entry(REV_LOOP, at + 1.0, Some(&inst), "varlog%2Fsystem");
                    x["severity"] = "WARNING".into();
                    x["textPayload"] = "Container called exit(1).".into();
                    symptoms.push(x);
                }
                let mut r = request(REV_LOOP, at + 3.0, None, t, 503, 10.0);
                r["textPayload"] =
                    "The request was aborted because there was no available instance.".into();
                symptoms.push(r);
            }
        }
        // Some healthy traffic between a cause and its symptoms.
        for _ in 0..rng.below(4) {
            let inst = instance(REV_OK, rng.below(3));
            out.push(request(
                REV_OK,
                at + 0.1,
                Some(&inst),
                next_trace,
                200,
                0.05,
            ));
            next_trace += 1;
        }
        out.extend(symptoms);
    }
    out
}

pub fn ndjson_of(entries: &[serde_json::Value]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|e| format!("{e}\n").into_bytes())
        .collect()
}

pub fn array_of(entries: &[serde_json::Value]) -> Vec<u8> {
    let mut out = serde_json::to_string_pretty(entries)
        .expect("json")
        .into_bytes();
    out.push(b'\n');
    out
}
