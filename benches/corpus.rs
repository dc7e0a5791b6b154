//! A deterministic corpus of Cloud Logging entries for benchmarks and whole-run comparisons.
//!
//! Shared by the criterion benches (`mod corpus;`) and `examples/gen_corpus.rs` (by `#[path]`).
//! The same seed, size, rate and format give the same bytes on every machine, and the
//! generator says how many failure events it wrote, so a bench can check its answer.

#![allow(dead_code)] // each bench uses a part of it

use std::fmt::Write as _;

/// How the entries are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// One compact object per line, as a Cloud Logging sink exports.
    Ndjson,
    /// One pretty-printed array, as `gcloud logging read --format=json` prints.
    Array,
}

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Stop after the first entry that reaches this many bytes.
    pub bytes: usize,
    /// The share of entries that start a failure event (0.02 for 2%).
    pub failure_rate: f64,
    /// NDJSON or array.
    pub shape: Shape,
    /// The PRNG seed.
    pub seed: u64,
}

/// A generated corpus and the facts a bench asserts.
pub struct Corpus {
    /// The input bytes.
    pub bytes: Vec<u8>,
    /// Entries written.
    pub entries: u64,
    /// Failure events written (each is exactly one event for logtriage).
    pub events: u64,
    /// Entries that carry a prefilter marker (`Traceback`, `File "`, `ERROR`, a duration of
    /// at least 1000 ms), counted as they are written: the noise carries none.
    pub candidates: u64,
}

/// splitmix64: a few lines of well-known, seedable, portable randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items
            .get(self.below(items.len() as u64) as usize)
            .copied()
            .unwrap_or("")
    }
    fn hex(&mut self, digits: usize) -> String {
        let mut s = String::with_capacity(digits);
        while s.len() < digits {
            let _ = write!(s, "{:016x}", self.next());
        }
        s.truncate(digits);
        s
    }
}

const SERVICE: &str = "netra-backend-staging";
const REVISIONS: &[&str] = &[
    "netra-backend-staging-00041-abc",
    "netra-backend-staging-00042-xyz",
];
const PATHS: &[&str] = &[
    "/health",
    "/api/threads",
    "/api/agents/run",
    "/api/messages?thread_id=42",
    "/ws",
    "/api/users/me",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
    "GoogleHC/1.0",
    "python-httpx/0.27.2",
];

/// Writes entries until `spec.bytes` is reached.
pub fn generate(spec: Spec) -> Corpus {
    let mut g = Gen {
        rng: Rng(spec.seed),
        ts: 1_764_165_600_000_000,
        out: Vec::new(),
        n: 0,
    };
    let mut events = 0;
    let mut candidates = 0;
    let mut first = true;
    if spec.shape == Shape::Array {
        g.out.extend_from_slice(b"[\n");
    }
    while g.out.len() < spec.bytes {
        let entries = if g.rng.chance(spec.failure_rate) {
            events += 1;
            let (entries, marked) = g.failure();
            candidates += marked;
            entries
        } else {
            vec![g.noise()]
        };
        for entry in entries {
            g.write(&entry, spec.shape, &mut first);
        }
    }
    if spec.shape == Shape::Array {
        g.out.extend_from_slice(b"\n]\n");
    }
    Corpus {
        bytes: g.out,
        entries: g.n,
        events,
        candidates,
    }
}

struct Gen {
    rng: Rng,
    /// Microseconds since the epoch; advances a little per entry.
    ts: u64,
    out: Vec<u8>,
    n: u64,
}

impl Gen {
    fn write(&mut self, entry: &serde_json::Value, shape: Shape, first: &mut bool) {
        self.n += 1;
        match shape {
            Shape::Ndjson => {
                let _ = serde_json::to_writer(&mut self.out, entry);
                self.out.push(b'\n');
            }
            Shape::Array => {
                if !*first {
                    self.out.extend_from_slice(b",\n");
                }
                let pretty = serde_json::to_string_pretty(entry).unwrap_or_default();
                for (i, line) in pretty.lines().enumerate() {
                    if i > 0 {
                        self.out.push(b'\n');
                    }
                    self.out.extend_from_slice(b"  ");
                    self.out.extend_from_slice(line.as_bytes());
                }
            }
        }
        *first = false;
    }

    fn timestamp(&mut self) -> String {
        self.ts += 1 + self.rng.below(20_000);
        let secs = self.ts / 1_000_000;
        let (day_secs, micros) = (secs % 86_400, self.ts % 1_000_000);
        format!(
            "2026-11-26T{:02}:{:02}:{:02}.{:06}Z",
            day_secs / 3600,
            day_secs / 60 % 60,
            day_secs % 60,
            micros
        )
    }

    /// The fields every Cloud Run entry has; `serde_json::Value` keeps keys sorted, as gcloud.
    fn base(&mut self, log: &str, instance: u64) -> serde_json::Value {
        // An instance belongs to one revision: its entries form one stream.
        let revision = REVISIONS
            .get(instance as usize % REVISIONS.len())
            .copied()
            .unwrap_or("");
        let ts = self.timestamp();
        serde_json::json!({
            "insertId": self.rng.hex(16),
            "labels": {"instanceId": format!("00f46b9285{:0>90}", instance)},
            "logName": format!("projects/netra-staging/logs/run.googleapis.com%2F{log}"),
            "receiveTimestamp": ts,
            "resource": {
                "labels": {
                    "configuration_name": SERVICE,
                    "location": "us-central1",
                    "project_id": "netra-staging",
                    "revision_name": revision,
                    "service_name": SERVICE,
                },
                "type": "cloud_run_revision",
            },
            "timestamp": ts,
        })
    }

    fn noise(&mut self) -> serde_json::Value {
        let instance = self.rng.below(4);
        match self.rng.below(10) {
            0..=5 => self.request(instance),
            6..=7 => {
                let mut e = self.base("stdout", instance);
                e["severity"] = "INFO".into();
                e["jsonPayload"] = serde_json::json!({
                    "logger": "netra_backend.app.routes.threads",
                    "message": format!("Loaded {} messages for thread {}", self.rng.below(200), self.rng.hex(8)),
                });
                e
            }
            8 => {
                let mut e = self.base("stderr", instance);
                e["textPayload"] = format!(
                    "INFO:     169.254.1.1:{} - \"GET /health HTTP/1.1\" 200 OK",
                    30000 + self.rng.below(9999)
                )
                .into();
                e
            }
            _ => {
                let ms = self.rng.below(900) as f64 + 0.5;
                self.cloud_sql(ms)
            }
        }
    }

    fn request(&mut self, instance: u64) -> serde_json::Value {
        let mut e = self.base("requests", instance);
        let path = self.rng.pick(PATHS);
        e["severity"] = "INFO".into();
        e["httpRequest"] = serde_json::json!({
            "latency": format!("{}.{:06}s", self.rng.below(2), self.rng.below(1_000_000)),
            "protocol": "HTTP/1.1",
            "remoteIp": format!("34.{}.{}.{}", self.rng.below(255), self.rng.below(255), self.rng.below(255)),
            "requestMethod": if path == "/api/agents/run" { "POST" } else { "GET" },
            "requestSize": (300 + self.rng.below(900)).to_string(),
            "requestUrl": format!("https://netra-backend-staging-pnovr5vsba-uc.a.run.app{path}"),
            "responseSize": (100 + self.rng.below(9000)).to_string(),
            "serverIp": "216.239.32.53",
            "status": 200,
            "userAgent": self.rng.pick(AGENTS),
        });
        e["trace"] = format!("projects/netra-staging/traces/{}", self.rng.hex(32)).into();
        e["spanId"] = self.rng.hex(16).into();
        e
    }

    fn cloud_sql(&mut self, ms: f64) -> serde_json::Value {
        let ts = self.timestamp();
        let thread = self.rng.below(100_000);
        serde_json::json!({
            "insertId": self.rng.hex(12),
            "logName": "projects/netra-staging/logs/cloudsql.googleapis.com%2Fpostgres.log",
            "receiveTimestamp": ts,
            "resource": {
                "labels": {
                    "database_id": "netra-staging:netra-postgres-staging",
                    "project_id": "netra-staging",
                    "region": "us-central",
                },
                "type": "cloudsql_database",
            },
            "severity": "INFO",
            "textPayload": format!(
                "2026-11-26 14:03:11.412 UTC [2841]: [3-1] db=netra_staging,user=netra_app LOG:  duration: {ms:.3} ms  statement: SELECT id, role, content FROM messages WHERE thread_id = {thread} ORDER BY created_at DESC LIMIT 50"
            ),
            "timestamp": ts,
        })
    }

    /// One failure event, as one entry or as the entries of a split traceback, and how many
    /// of those entries carry a prefilter marker.
    fn failure(&mut self) -> (Vec<serde_json::Value>, u64) {
        let instance = self.rng.below(4);
        let entries: Vec<serde_json::Value> = match self.rng.below(4) {
            0 => {
                let mut e = self.base("stderr", instance);
                e["severity"] = "ERROR".into();
                e["textPayload"] = NAME_ERROR.into();
                vec![e]
            }
            // Split one line per entry: only the header and the `File "` lines are marked.
            1 => {
                let lines = NAME_ERROR.lines().map(|line| {
                    let mut e = self.base("stderr", instance);
                    e["textPayload"] = line.into();
                    e
                });
                let entries: Vec<_> = lines.collect();
                let marked = NAME_ERROR
                    .lines()
                    .filter(|l| l.contains("Traceback") || l.contains("File \""))
                    .count();
                return (entries, marked as u64);
            }
            2 => {
                let mut e = self.base("stdout", instance);
                e["severity"] = "ERROR".into();
                e["jsonPayload"] = serde_json::json!({
                    "logger": "netra_backend.app.redis_manager",
                    "message": format!("Redis connection failed: Error 111 connecting to 10.166.204.83:6379. Connection refused. (attempt {})", 1 + self.rng.below(5)),
                });
                vec![e]
            }
            _ => {
                let ms = 1000.0 + self.rng.below(50_000) as f64;
                vec![self.cloud_sql(ms)]
            }
        };
        (entries, 1)
    }
}

const NAME_ERROR: &str = r#"Traceback (most recent call last):
  File "/app/netra_backend/app/smd.py", line 402, in _phase5_services
    self._initialize_factory_patterns()
  File "/app/netra_backend/app/smd.py", line 1687, in _initialize_factory_patterns
    factory = UnifiedExecutionEngineFactory(config=self.config)
              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
NameError: name 'UnifiedExecutionEngineFactory' is not defined. Did you mean: 'ExecutionEngineFactory'?"#;
