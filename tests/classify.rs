//! The classifier table: one row per real message of CPython and the client libraries,
//! with the category and subject it must get, and rows that must not match.

mod support;

use proptest::prelude::*;

use logtriage::{Category, Item};
use logtriage::{
    Classifier, Error, Event, EventKind, Exception, Link, Severity, SlowQuery, Traceback,
};
use support::events::{frame, item_error};

fn blank(kind: EventKind, text: &str) -> Event {
    let mut ev = Event::new(kind, text);
    ev.line = 1;
    ev.severity = Severity::Error;
    ev
}

/// An exception from its printed `Type: message` line.
fn exc(line: &str) -> Exception {
    let is_type = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
    };
    let (type_name, message) = match line.split_once(": ") {
        Some((t, m)) if is_type(t) => (t, m),
        _ => (line, ""),
    };
    assert!(is_type(type_name), "not an exception line: {line}");
    Exception::new(type_name, message, Vec::new())
}

fn traceback_event(chain: Vec<Exception>) -> Event {
    let mut ev = blank(EventKind::Traceback, "Traceback (most recent call last):");
    ev.traceback = Some(Traceback::new(chain));
    ev
}

/// Rows starting with `text:` are the message of an ERROR entry without a traceback; the
/// others are the last line of a one-exception traceback.
fn classify_row(classifier: &Classifier, input: &str) -> Event {
    let mut ev = match input.strip_prefix("text:") {
        Some(text) => blank(EventKind::Severity, text),
        None => traceback_event(vec![exc(input)]),
    };
    classifier.classify(&mut ev);
    ev
}

const UNDEFINED: &str = "undefined_symbol";
const MISSING: &str = "missing_module";
const REFUSED: &str = "connection_refused";
const SLOW: &str = "slow_query";
const TIMEOUT: &str = "timeout";
const OOM: &str = "out_of_memory";
const NONE: &str = "unclassified";

/// (input, category, subject)
const TABLE: &[(&str, &str, Option<&str>)] = &[
    // CPython: names and imports.
    ("NameError: name 'UnifiedExecutionEngineFactory' is not defined", UNDEFINED, Some("UnifiedExecutionEngineFactory")),
    ("NameError: name 'json' is not defined. Did you mean: 'JSON'?", UNDEFINED, Some("json")),
    ("NameError: name 'os' is not defined. Did you forget to import 'os'?", UNDEFINED, Some("os")),
    ("UnboundLocalError: local variable 'session' referenced before assignment", UNDEFINED, Some("session")),
    ("UnboundLocalError: cannot access local variable 'session' where it is not associated with a value", UNDEFINED, Some("session")),
    ("NameError: free variable 'retry' referenced before assignment in enclosing scope", UNDEFINED, Some("retry")),
    ("NameError: cannot access free variable 'retry' where it is not associated with a value in enclosing scope", UNDEFINED, Some("retry")),
    ("ImportError: cannot import name 'ExecutionEngineFactory' from 'netra_backend.app.agents.supervisor' (/app/netra_backend/app/agents/supervisor/__init__.py)", UNDEFINED, Some("ExecutionEngineFactory")),
    ("ImportError: cannot import name 'AgentRegistry' from partially initialized module 'netra_backend.app.agents.registry' (most likely due to a circular import) (/app/netra_backend/app/agents/registry.py)", UNDEFINED, Some("AgentRegistry")),
    ("ImportError: cannot import name 'soft_unicode' from 'markupsafe' (/usr/local/lib/python3.11/site-packages/markupsafe/__init__.py)", UNDEFINED, Some("soft_unicode")),
    ("ImportError: cannot import name 'url_quote' from 'werkzeug.urls' (/usr/local/lib/python3.11/site-packages/werkzeug/urls.py)", UNDEFINED, Some("url_quote")),
    ("ImportError: cannot import name Celery", UNDEFINED, Some("Celery")),
    ("AttributeError: module 'numpy' has no attribute 'float'.\n`np.float` was a deprecated alias for the builtin `float`.", UNDEFINED, Some("float")),
    ("AttributeError: partially initialized module 'redis' has no attribute 'Redis' (most likely due to a circular import)", UNDEFINED, Some("Redis")),
    ("AttributeError: module 'collections' has no attribute 'Mapping'", UNDEFINED, Some("Mapping")),
    ("ImportError: /usr/local/lib/python3.11/site-packages/torch/lib/libtorch_cuda.so: undefined symbol: ncclCommRegister", UNDEFINED, Some("ncclCommRegister")),
    ("OSError: /usr/local/lib/python3.10/site-packages/torchaudio/lib/libtorchaudio.so: undefined symbol: _ZN2at4_ops5zeros4callEN3c108ArrayRefINS2_6SymIntEEE", UNDEFINED, Some("_ZN2at4_ops5zeros4callEN3c108ArrayRefINS2_6SymIntEEE")),
    ("NameError: name 'ConnectionRefusedError' is not defined", UNDEFINED, Some("ConnectionRefusedError")),
    ("NameError: name 'handle_timeout' is not defined", UNDEFINED, Some("handle_timeout")),
    ("text:ERROR:root:Startup failed: NameError: name 'UnifiedExecutionEngineFactory' is not defined", UNDEFINED, Some("UnifiedExecutionEngineFactory")),
    // CPython and packaging: missing modules and libraries.
    ("ModuleNotFoundError: No module named 'netra_backend.app.agents.execution_engine_unified_factory'", MISSING, Some("netra_backend.app.agents.execution_engine_unified_factory")),
    ("ModuleNotFoundError: No module named 'psycopg2'", MISSING, Some("psycopg2")),
    ("ModuleNotFoundError: No module named 'app.services'; 'app' is not a package", MISSING, Some("app.services")),
    ("ModuleNotFoundError: No module named '_cffi_backend'", MISSING, Some("_cffi_backend")),
    ("ModuleNotFoundError: No module named 'redis_timeout_utils'", MISSING, Some("redis_timeout_utils")),
    ("ImportError: No module named yaml", MISSING, Some("yaml")),
    ("ImportError: No module named google.cloud.logging", MISSING, Some("google.cloud.logging")),
    ("ImportError: libGL.so.1: cannot open shared object file: No such file or directory", MISSING, Some("libGL.so.1")),
    ("ImportError: libpq.so.5: cannot open shared object file: No such file or directory", MISSING, Some("libpq.so.5")),
    ("OSError: libcudart.so.11.0: cannot open shared object file: No such file or directory", MISSING, Some("libcudart.so.11.0")),
    ("ImportError: libstdc++.so.6: cannot open shared object file: No such file or directory", MISSING, Some("libstdc++.so.6")),
    ("importlib.metadata.PackageNotFoundError: No package metadata was found for opentelemetry-sdk", MISSING, Some("opentelemetry-sdk")),
    ("pkg_resources.DistributionNotFound: The 'gunicorn' distribution was not found and is required by the application", MISSING, Some("gunicorn")),
    // Memory.
    ("MemoryError", OOM, None),
    ("numpy.core._exceptions._ArrayMemoryError: Unable to allocate 7.45 GiB for an array with shape (1000000000,) and data type float64", OOM, None),
    ("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.78 GiB total capacity; 13.21 GiB already allocated; 1.12 GiB free; 13.50 GiB reserved in total by PyTorch)", OOM, None),
    ("OSError: [Errno 12] Cannot allocate memory", OOM, None),
    ("text:Memory limit of 512 MiB exceeded with 515 MiB used. Consider increasing the memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits", OOM, None),
    ("text:Memory limit of 2048M exceeded with 2051M used. Consider increasing the memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits", OOM, None),
    ("text:Out of memory: Killed process 4123 (python3) total-vm:2314560kB, anon-rss:1048576kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:2412kB oom_score_adj:0", OOM, None),
    ("text:Container netra-worker in pod netra-worker-7d9f6c terminated: OOMKilled (exit code 137)", OOM, None),
    ("text:[2026-11-27 07:01:02 +0000] [1] [ERROR] Worker (pid:42) was sent SIGKILL! Perhaps out of memory?", OOM, None),
    // Statement timeouts are slow queries, before any timeout pattern.
    ("psycopg2.errors.QueryCanceled: canceling statement due to statement timeout", SLOW, None),
    ("psycopg2.extensions.QueryCanceledError: canceling statement due to statement timeout", SLOW, None),
    ("asyncpg.exceptions.QueryCanceledError: canceling statement due to statement timeout", SLOW, None),
    ("psycopg.errors.QueryCanceled: canceling statement due to statement timeout", SLOW, None),
    ("sqlalchemy.exc.OperationalError: (psycopg2.errors.QueryCanceled) canceling statement due to statement timeout\n\n[SQL: SELECT threads.id, threads.user_id FROM threads WHERE threads.user_id = %(user_id_1)s]\n[parameters: {'user_id_1': 'u-8812'}]\n(Background on this error at: https://sqlalche.me/e/20/e3q8)", SLOW, Some("SELECT threads.id, threads.user_id FROM threads WHERE threads.user_id = %(user_id_1)s")),
    ("sqlalchemy.exc.DBAPIError: (sqlalchemy.dialects.postgresql.asyncpg.Error) <class 'asyncpg.exceptions.QueryCanceledError'>: canceling statement due to statement timeout\n[SQL: SELECT count(*) FROM messages WHERE thread_id = $1::VARCHAR AND n > 10]\n[parameters: ('th_42',)]", SLOW, Some("SELECT count(*) FROM messages WHERE thread_id = ?::VARCHAR AND n > ?")),
    // REGRESSION: the staging export's split traceback ends inside `[SQL: ...`.
    ("sqlalchemy.exc.DBAPIError: (sqlalchemy.dialects.postgresql.asyncpg.Error) <class 'asyncpg.exceptions.QueryCanceledError'>: canceling statement due to statement timeout\n[SQL: SELECT threads.id, threads.title, threads.updated_at, threads.metadata ", SLOW, Some("SELECT threads.id, threads.title, threads.updated_at, threads.metadata")),
    ("pymysql.err.OperationalError: (3024, 'Query execution was interrupted, maximum statement execution time exceeded')", SLOW, None),
    ("text:2026-11-27 07:03:10.412 UTC [2231]: [3-1] db=netra,user=netra_app ERROR:  canceling statement due to statement timeout", SLOW, None),
    ("text:2026-11-27 07:03:10.412 UTC [2231]: [4-1] db=netra,user=netra_app LOG:  duration: 5123.456 ms  statement: SELECT * FROM agent_runs WHERE status = 'running' ORDER BY created_at DESC LIMIT 50", SLOW, Some("SELECT * FROM agent_runs WHERE status = ? ORDER BY created_at DESC LIMIT ?")),
    // Connection refused: builtin, every errno spelling.
    ("ConnectionRefusedError: [Errno 111] Connection refused", REFUSED, None),
    ("ConnectionRefusedError: [Errno 61] Connection refused", REFUSED, None),
    ("ConnectionRefusedError: [WinError 10061] No connection could be made because the target machine actively refused it", REFUSED, None),
    ("OSError: [Errno 111] Connect call failed ('127.0.0.1', 5672)", REFUSED, Some("127.0.0.1:5672")),
    ("kombu.exceptions.OperationalError: [Errno 111] Connection refused", REFUSED, None),
    // redis-py.
    ("redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.", REFUSED, Some("10.0.0.5:6379")),
    ("redis.exceptions.ConnectionError: Error 111 connecting to redis-master.staging.svc.cluster.local:6379. Connection refused.", REFUSED, Some("redis-master.staging.svc.cluster.local:6379")),
    ("redis.exceptions.ConnectionError: Error 61 connecting to localhost:6379. Connection refused.", REFUSED, Some("localhost:6379")),
    ("redis.exceptions.ConnectionError: Error 10061 connecting to localhost:6379. No connection could be made because the target machine actively refused it.", REFUSED, Some("localhost:6379")),
    ("redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connect call failed ('10.0.0.5', 6379).", REFUSED, Some("10.0.0.5:6379")),
    ("text:Redis connection failed: Error 111 connecting to 10.0.0.5:6379. Connection refused.", REFUSED, Some("10.0.0.5:6379")),
    // psycopg2 with libpq before 14, and after.
    ("psycopg2.OperationalError: could not connect to server: Connection refused\n\tIs the server running on host \"10.20.0.3\" and accepting\n\tTCP/IP connections on port 5432?\n", REFUSED, Some("10.20.0.3:5432")),
    ("psycopg2.OperationalError: could not connect to server: Connection refused\n\tIs the server running on host \"netra-db.internal\" (10.20.0.3) and accepting\n\tTCP/IP connections on port 5432?\n", REFUSED, Some("netra-db.internal:5432")),
    ("psycopg2.OperationalError: connection to server at \"10.20.0.3\", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n", REFUSED, Some("10.20.0.3:5432")),
    ("psycopg2.OperationalError: connection to server at \"netra-db.internal\" (10.20.0.3), port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n", REFUSED, Some("netra-db.internal:5432")),
    // psycopg 3, SQLAlchemy wrappers, asyncpg.
    ("psycopg.OperationalError: connection failed: connection to server at \"10.20.0.3\", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?", REFUSED, Some("10.20.0.3:5432")),
    ("sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at \"10.20.0.3\", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n\n(Background on this error at: https://sqlalche.me/e/20/e3q8)", REFUSED, Some("10.20.0.3:5432")),
    ("sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) could not connect to server: Connection refused\n\tIs the server running on host \"10.20.0.3\" and accepting\n\tTCP/IP connections on port 5432?\n\n(Background on this error at: http://sqlalche.me/e/14/e3q8)", REFUSED, Some("10.20.0.3:5432")),
    ("ConnectionRefusedError: [Errno 111] Connect call failed ('10.20.0.3', 5432)", REFUSED, Some("10.20.0.3:5432")),
    ("OSError: Multiple exceptions: [Errno 111] Connect call failed ('::1', 5432, 0, 0), [Errno 111] Connect call failed ('127.0.0.1', 5432)", REFUSED, Some("[::1]:5432")),
    // aiohttp, httpx, urllib3 and requests.
    ("aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host api.internal:8080 ssl:default [Connect call failed ('10.0.0.9', 8080)]", REFUSED, Some("api.internal:8080")),
    ("aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host localhost:8081 ssl:default [Multiple exceptions: [Errno 111] Connect call failed ('::1', 8081, 0, 0), [Errno 111] Connect call failed ('127.0.0.1', 8081)]", REFUSED, Some("localhost:8081")),
    ("aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host auth.netra.internal:443 ssl:True [Connection refused]", REFUSED, Some("auth.netra.internal:443")),
    ("httpx.ConnectError: [Errno 111] Connection refused", REFUSED, None),
    ("httpcore.ConnectError: [Errno 111] Connection refused", REFUSED, None),
    ("urllib3.exceptions.NewConnectionError: <urllib3.connection.HTTPConnection object at 0x7f3b2c1d4e50>: Failed to establish a new connection: [Errno 111] Connection refused", REFUSED, None),
    ("urllib3.exceptions.NewConnectionError: HTTPConnection(host='localhost', port=8081): Failed to establish a new connection: [Errno 111] Connection refused", REFUSED, Some("localhost:8081")),
    ("urllib3.exceptions.MaxRetryError: HTTPConnectionPool(host='localhost', port=8081): Max retries exceeded with url: /api/health (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3b2c1d4e50>: Failed to establish a new connection: [Errno 111] Connection refused'))", REFUSED, Some("localhost:8081")),
    ("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='auth.netra.internal', port=443): Max retries exceeded with url: /v1/token (Caused by NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f3b2c1d4e50>: Failed to establish a new connection: [Errno 111] Connection refused'))", REFUSED, Some("auth.netra.internal:443")),
    ("requests.exceptions.ConnectionError: HTTPConnectionPool(host='127.0.0.1', port=8000): Max retries exceeded with url: / (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x000001F2A3B4C5D0>: Failed to establish a new connection: [WinError 10061] No connection could be made because the target machine actively refused it'))", REFUSED, Some("127.0.0.1:8000")),
    // grpc.
    ("grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:\n\tstatus = StatusCode.UNAVAILABLE\n\tdetails = \"failed to connect to all addresses; last error: UNAVAILABLE: ipv4:10.0.0.7:50051: Connection refused\"\n\tdebug_error_string = \"UNKNOWN:failed to connect to all addresses; last error: UNAVAILABLE: ipv4:10.0.0.7:50051: Connection refused {grpc_status:14, created_time:\"2026-11-27T07:02:11.412+00:00\"}\"\n>", REFUSED, Some("10.0.0.7:50051")),
    ("grpc.aio._call.AioRpcError: <AioRpcError of RPC that terminated with:\n\tstatus = StatusCode.UNAVAILABLE\n\tdetails = \"failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:6334: Failed to connect to remote host: Connection refused\"\n>", REFUSED, Some("127.0.0.1:6334")),
    ("text:connect ECONNREFUSED 10.0.0.5:6379", REFUSED, Some("10.0.0.5:6379")),
    // Timeouts.
    ("TimeoutError", TIMEOUT, None),
    ("asyncio.exceptions.TimeoutError", TIMEOUT, None),
    ("concurrent.futures._base.TimeoutError", TIMEOUT, None),
    ("socket.timeout: timed out", TIMEOUT, None),
    ("TimeoutError: timed out", TIMEOUT, None),
    ("TimeoutError: [Errno 110] Connection timed out", TIMEOUT, None),
    ("httpx.ReadTimeout: timed out", TIMEOUT, None),
    ("httpx.PoolTimeout", TIMEOUT, None),
    ("httpcore.ConnectTimeout", TIMEOUT, None),
    ("requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.openai.com', port=443): Read timed out. (read timeout=30)", TIMEOUT, Some("api.openai.com:443")),
    ("requests.exceptions.ConnectTimeout: HTTPConnectionPool(host='10.0.0.9', port=8080): Max retries exceeded with url: /v1/run (Caused by ConnectTimeoutError(<urllib3.connection.HTTPConnection object at 0x7f3b2c1d4e50>, 'Connection to 10.0.0.9 timed out. (connect timeout=5)'))", TIMEOUT, Some("10.0.0.9:8080")),
    ("urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='storage.googleapis.com', port=443): Read timed out. (read timeout=60)", TIMEOUT, Some("storage.googleapis.com:443")),
    ("redis.exceptions.TimeoutError: Timeout reading from socket", TIMEOUT, None),
    ("redis.exceptions.TimeoutError: Timeout connecting to server", TIMEOUT, None),
    ("redis.exceptions.TimeoutError: Timeout reading from 10.0.0.5:6379", TIMEOUT, Some("10.0.0.5:6379")),
    ("psycopg2.OperationalError: could not connect to server: Connection timed out\n\tIs the server running on host \"10.20.0.3\" and accepting\n\tTCP/IP connections on port 5432?\n", TIMEOUT, Some("10.20.0.3:5432")),
    ("psycopg2.OperationalError: connection to server at \"10.20.0.3\", port 5432 failed: timeout expired\n", TIMEOUT, Some("10.20.0.3:5432")),
    ("sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)", TIMEOUT, None),
    ("aiohttp.client_exceptions.ServerTimeoutError: Timeout on reading data from socket", TIMEOUT, None),
    ("aiohttp.client_exceptions.ConnectionTimeoutError: Connection timeout to host http://api.internal:8080/v1/health", TIMEOUT, Some("http://api.internal:8080/v1/health")),
    ("openai.APITimeoutError: Request timed out.", TIMEOUT, None),
    ("grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:\n\tstatus = StatusCode.DEADLINE_EXCEEDED\n\tdetails = \"Deadline Exceeded\"\n\tdebug_error_string = \"UNKNOWN:Deadline Exceeded {grpc_status:4, created_time:\"2026-11-27T07:05:00.1+00:00\"}\"\n>", TIMEOUT, None),
    ("google.api_core.exceptions.DeadlineExceeded: 504 Deadline Exceeded", TIMEOUT, None),
    ("text:The request has been terminated because it has reached the maximum request timeout. To change this limit, see https://cloud.google.com/run/docs/configuring/request-timeout", TIMEOUT, None),
    ("text:[2026-11-27 07:04:12 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:17)", TIMEOUT, None),
    ("text:upstream request timeout", TIMEOUT, None),
    // Must not match any category.
    ("KeyError: 'timeout'", NONE, None),
    ("AttributeError: 'NoneType' object has no attribute 'execute'", NONE, None),
    ("AttributeError: 'Redis' object has no attribute 'execute_command_async'", NONE, None),
    ("ValueError: invalid literal for int() with base 10: 'refused'", NONE, None),
    ("ValueError: Timeout value connect was <object object at 0x7f3b2c1d4e50>, but it must be an int, float or None.", NONE, None),
    ("TypeError: connect() got an unexpected keyword argument 'statement_timeout'", NONE, None),
    ("ImportError: attempted relative import with no known parent package", NONE, None),
    ("psycopg2.errors.UndefinedTable: relation \"threads\" does not exist\nLINE 1: SELECT * FROM threads\n                      ^", NONE, None),
    ("psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint \"users_email_key\"\nDETAIL:  Key (email)=(a@netra.ai) already exists.", NONE, None),
    ("redis.exceptions.ConnectionError: Error -2 connecting to redis-master:6379. Name or service not known.", NONE, None),
    ("aiohttp.client_exceptions.ClientConnectorError: Cannot connect to host api.internal:8080 ssl:default [Name or service not known]", NONE, None),
    ("ConnectionResetError: [Errno 104] Connection reset by peer", NONE, None),
    ("BrokenPipeError: [Errno 32] Broken pipe", NONE, None),
    ("OSError: [Errno 98] Address already in use", NONE, None),
    ("json.decoder.JSONDecodeError: Expecting value: line 1 column 1 (char 0)", NONE, None),
    ("SyntaxError: invalid syntax", NONE, None),
    ("RuntimeError: Event loop is closed", NONE, None),
    ("text:WebSocket connection rejected: no supported subprotocol (client offered ['jwt-auth', 'jwt.eyJhbGciOiJIUzI1NiJ9'])", NONE, None),
    ("text:Request handler raised: KeyError 'refused_reason'", NONE, None),
];

#[test]
fn table() {
    assert!(TABLE.len() >= 80, "{} rows", TABLE.len());
    let classifier = Classifier::builtin();
    let mut failures = Vec::new();
    for (input, category, subject) in TABLE {
        let ev = classify_row(&classifier, input);
        if ev.classification.category != *category
            || ev.classification.subject.as_deref() != *subject
        {
            failures.push(format!(
                "{input:?}\n   want {category} {subject:?}\n    got {} {:?}",
                ev.classification.category, ev.classification.subject
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn timeout_error_is_not_slow_query() {
    let c = Classifier::builtin();
    for line in ["TimeoutError", "asyncio.exceptions.TimeoutError"] {
        assert_eq!(classify_row(&c, line).classification.category, TIMEOUT);
    }
}

#[test]
fn exception_and_message_of_a_single_exception() {
    let ev = classify_row(
        &Classifier::builtin(),
        "psycopg2.OperationalError: connection to server at \"10.20.0.3\", port 5432 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\n",
    );
    assert_eq!(
        ev.classification.exception.as_deref(),
        Some("psycopg2.OperationalError")
    );
    assert_eq!(
        ev.classification.message,
        "connection to server at \"10.20.0.3\", port 5432 failed: Connection refused"
    );
}

#[test]
fn original_cause_decides_under_sqlalchemy_wrapper() {
    let mut cause =
        exc("ConnectionRefusedError: [Errno 111] Connect call failed ('10.20.0.3', 5432)");
    cause.frames = vec![frame(
        "/usr/local/lib/python3.11/asyncio/base_events.py",
        1069,
        "create_connection",
    )];
    cause.link = Some(Link::Cause);
    let mut wrapper = exc("sqlalchemy.exc.OperationalError: (sqlalchemy.dialects.postgresql.asyncpg.OperationalError) <class 'ConnectionRefusedError'>: [Errno 111] Connect call failed ('10.20.0.3', 5432)\n(Background on this error at: https://sqlalche.me/e/20/e3q8)");
    wrapper.frames = vec![
        frame("/app/netra_backend/app/main.py", 42, "lifespan"),
        frame("/app/netra_backend/app/db/postgres.py", 118, "init_engine"),
        frame(
            "/usr/local/lib/python3.11/site-packages/sqlalchemy/engine/base.py",
            3278,
            "connect",
        ),
    ];
    let mut ev = traceback_event(vec![cause, wrapper]);
    Classifier::builtin().classify(&mut ev);
    assert_eq!(ev.classification.category, REFUSED);
    assert_eq!(
        ev.classification.exception.as_deref(),
        Some("ConnectionRefusedError")
    );
    assert_eq!(
        ev.classification.message,
        "[Errno 111] Connect call failed ('10.20.0.3', 5432)"
    );
    assert_eq!(ev.classification.subject.as_deref(), Some("10.20.0.3:5432"));
    // The cause was raised in asyncio; the app frames come from the wrapper.
    let functions: Vec<&str> = ev
        .classification
        .frames
        .iter()
        .map(|f| f.function.as_str())
        .collect();
    assert_eq!(functions, ["lifespan", "init_engine"]);
}

#[test]
fn redis_chain_takes_host_from_the_wrapper() {
    let mut cause = exc("ConnectionRefusedError: [Errno 111] Connection refused");
    cause.link = Some(Link::Context);
    let mut ev = traceback_event(vec![
        cause,
        exc("redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused."),
    ]);
    Classifier::builtin().classify(&mut ev);
    assert_eq!(ev.classification.category, REFUSED);
    assert_eq!(
        ev.classification.exception.as_deref(),
        Some("ConnectionRefusedError")
    );
    assert_eq!(ev.classification.subject.as_deref(), Some("10.0.0.5:6379"));
}

#[test]
fn first_matching_exception_in_print_order_wins() {
    let mut ev = traceback_event(vec![
        exc("KeyError: 'thread_id'"),
        exc("asyncio.exceptions.TimeoutError"),
        exc("ConnectionRefusedError: [Errno 111] Connection refused"),
    ]);
    Classifier::builtin().classify(&mut ev);
    assert_eq!(ev.classification.category, TIMEOUT);
    assert_eq!(
        ev.classification.exception.as_deref(),
        Some("asyncio.exceptions.TimeoutError")
    );
    assert_eq!(ev.classification.message, "");
}

#[test]
fn no_match_is_unclassified_with_the_surfaced_exception() {
    let mut first = exc("KeyError: 'thread_id'");
    first.frames = vec![frame(
        "/app/netra_backend/app/routes/threads.py",
        77,
        "get_thread",
    )];
    let mut last = exc("fastapi.exceptions.HTTPException: 404: Thread not found");
    last.frames = vec![
        frame(
            "/usr/local/lib/python3.11/site-packages/starlette/routing.py",
            74,
            "app",
        ),
        frame("/app/netra_backend/app/routes/threads.py", 81, "get_thread"),
    ];
    let mut ev = traceback_event(vec![first, last]);
    Classifier::builtin().classify(&mut ev);
    assert_eq!(ev.classification.category, NONE);
    assert_eq!(
        ev.classification.exception.as_deref(),
        Some("fastapi.exceptions.HTTPException")
    );
    assert_eq!(ev.classification.message, "404: Thread not found");
    assert_eq!(ev.classification.subject, None);
    assert_eq!(ev.classification.frames.len(), 1);
    assert_eq!(ev.classification.frames[0].line, Some(81));
}

#[test]
fn exception_group_children_are_searched() {
    let mut group = exc("ExceptionGroup: unhandled errors in a TaskGroup (2 sub-exceptions)");
    group.children = vec![
        Traceback::new(vec![exc("ValueError: bad payload")]),
        Traceback::new(vec![exc(
                "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
            )]),
    ];
    let mut ev = traceback_event(vec![group]);
    Classifier::builtin().classify(&mut ev);
    assert_eq!(ev.classification.category, REFUSED);
    assert_eq!(
        ev.classification.exception.as_deref(),
        Some("redis.exceptions.ConnectionError")
    );
    assert_eq!(ev.classification.subject.as_deref(), Some("10.0.0.5:6379"));
}

#[test]
fn deeply_nested_groups_do_not_overflow() {
    let mut tb = Traceback::new(vec![exc("MemoryError")]);
    for _ in 0..1_000 {
        let mut group = exc("ExceptionGroup: nested (1 sub-exception)");
        group.children = vec![tb];
        tb = Traceback::new(vec![group]);
    }
    let mut ev = traceback_event(Vec::new());
    ev.traceback = Some(tb);
    Classifier::builtin().classify(&mut ev);
    // Past the depth bound, children are not searched: unclassified, never a crash.
    assert_eq!(ev.classification.category, NONE);
    // Drop iteratively: the default recursive drop of many levels would use a lot of stack.
    let mut next = ev.traceback.take();
    while let Some(mut tb) = next {
        next = tb.chain.pop().and_then(|mut e| e.children.pop());
    }
}

#[test]
fn slow_query_event() {
    let mut ev = blank(
        EventKind::SlowQuery,
        "2026-11-27 07:03:10.412 UTC [2231]: [4-1] db=netra,user=netra_app LOG:  duration: 5123.456 ms  statement: SELECT * FROM threads WHERE user_id = 'u-8812' AND id IN (1, 2, 3)",
    );
    ev.slow_query = Some(SlowQuery::new(
        5123.456,
        "SELECT * FROM threads WHERE user_id = 'u-8812' AND id IN (1, 2, 3)",
    ));
    Classifier::builtin().classify(&mut ev);
    assert_eq!(ev.classification.category, SLOW);
    assert_eq!(ev.classification.exception, None);
    assert_eq!(
        ev.classification.subject.as_deref(),
        Some("SELECT * FROM threads WHERE user_id = ? AND id IN (?)")
    );
    assert_eq!(
        ev.classification.message,
        "SELECT * FROM threads WHERE user_id = 'u-8812' AND id IN (1, 2, 3)"
    );
}

#[test]
fn out_of_memory_event() {
    let mut ev = blank(
        EventKind::OutOfMemory,
        "Memory limit of 512 MiB exceeded with 515 MiB used. Consider increasing the memory limit, see https://cloud.google.com/run/docs/configuring/memory-limits",
    );
    Classifier::builtin().classify(&mut ev);
    assert_eq!(ev.classification.category, OOM);
    assert_eq!(ev.classification.subject, None);
    assert!(ev
        .classification
        .message
        .starts_with("Memory limit of 512 MiB exceeded"));
}

#[test]
fn severity_event_message_is_the_first_line() {
    let mut ev = blank(
        EventKind::Severity,
        "\n  Redis connection failed: Error 111 connecting to 10.0.0.5:6379. Connection refused.  \nretrying in 5s",
    );
    Classifier::builtin().classify(&mut ev);
    assert_eq!(ev.classification.category, REFUSED);
    assert_eq!(
        ev.classification.message,
        "Redis connection failed: Error 111 connecting to 10.0.0.5:6379. Connection refused."
    );
    assert_eq!(ev.classification.exception, None);
}

#[test]
fn classify_resets_a_previous_classification() {
    let c = Classifier::builtin();
    let mut ev = classify_row(&c, "NameError: name 'x' is not defined");
    ev.traceback = Some(Traceback::new(vec![exc("ValueError: nope")]));
    c.classify(&mut ev);
    assert_eq!(ev.classification.category, NONE);
    assert_eq!(ev.classification.subject, None);
    assert_eq!(ev.classification.exception.as_deref(), Some("ValueError"));
}

// ---- user rules ----

const CUDA_RULES: &str = r#"{"categories": [
  {"id": "cuda_oom", "rank": 35,
   "patterns": ["CUDA out of memory\\. Tried to allocate (?P<subject>[\\d.]+ [KMG]iB)"]},
  {"id": "timeout", "patterns": ["\\bpool exhausted after \\d+s\\b"]},
  {"id": "slow_query", "rank": 15}
]}"#;

#[test]
fn category_ids_are_the_builtins_then_the_added_ones() {
    let mut c = Classifier::builtin();
    let mut builtin: Vec<&str> = c.categories().iter().map(Category::as_str).collect();
    builtin.sort_unstable();
    let builtins = Category::BUILTIN;
    let mut want: Vec<&str> = builtins.iter().map(Category::as_str).collect();
    want.sort_unstable();
    assert_eq!(builtin, want);
    c.add_rules_json(CUDA_RULES, "rules.json").unwrap();
    let ids: Vec<&str> = c.categories().iter().map(Category::as_str).collect();
    assert_eq!(ids.len(), want.len() + 1, "{ids:?}");
    assert_eq!(ids.last(), Some(&"cuda_oom"));
}

#[test]
fn rules_add_a_category_before_the_builtins() {
    let mut c = Classifier::builtin();
    c.add_rules_json(CUDA_RULES, "rules.json").unwrap();
    assert!(c.categories().contains("cuda_oom"));
    assert_eq!(c.categories().rank("cuda_oom"), 35);
    assert_eq!(c.categories().rank("slow_query"), 15);
    assert_eq!(c.categories().rank("timeout"), 50);
    let ev = classify_row(&c, "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.78 GiB total capacity)");
    assert_eq!(ev.classification.category, "cuda_oom");
    assert_eq!(ev.classification.subject.as_deref(), Some("2.00 GiB"));
    // Added patterns extend a built-in; its own patterns still work.
    assert_eq!(
        classify_row(&c, "text:db pool exhausted after 30s")
            .classification
            .category,
        TIMEOUT
    );
    assert_eq!(
        classify_row(&c, "socket.timeout: timed out")
            .classification
            .category,
        TIMEOUT
    );
    // The built-in classifier is untouched.
    assert!(!Classifier::builtin().categories().contains("cuda_oom"));
}

#[test]
fn rules_replace_a_builtin_category_patterns() {
    let mut c = Classifier::builtin();
    c.add_rules_json(
        r#"{"categories": [{"id": "connection_refused", "replace": true,
            "patterns": ["upstream connect error (?P<subject>\\S+)"]}]}"#,
        "replace.json",
    )
    .unwrap();
    assert_eq!(
        classify_row(&c, "ConnectionRefusedError: [Errno 111] Connection refused")
            .classification
            .category,
        NONE
    );
    let ev = classify_row(&c, "text:upstream connect error api:80");
    assert_eq!(ev.classification.category, REFUSED);
    assert_eq!(ev.classification.subject.as_deref(), Some("api:80"));
}

#[test]
fn rules_files_later_override_earlier() {
    let mut c = Classifier::builtin();
    c.add_rules_json(
        r#"{"categories": [{"id": "redis_down", "patterns": ["connecting to \\S+:6379"]}]}"#,
        "a.json",
    )
    .unwrap();
    c.add_rules_json(
        r#"{"categories": [{"id": "cache_down", "rank": 5, "patterns": ["Error 111 connecting"]}]}"#,
        "b.json",
    )
    .unwrap();
    let ev = classify_row(
        &c,
        "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
    );
    assert_eq!(ev.classification.category, "cache_down");
    assert_eq!(c.categories().rank("redis_down"), 500);
}

fn rule_error(json: &str) -> (usize, String) {
    let mut c = Classifier::builtin();
    item_error(
        c.add_rules_json(json, "my-rules.json"),
        "my-rules.json",
        Item::Rule,
    )
}

#[test]
fn invalid_rules_are_rejected_with_index_and_reason() {
    let ok = r#"{"id": "ok_one", "patterns": ["x"]}"#;
    let cases: &[(&str, &str)] = &[
        (
            r#"{"id": "bad", "patterns": ["(unclosed"]}"#,
            "pattern 0 (\"(unclosed\") is not a valid regex: unclosed group",
        ),
        (
            r#"{"id": "bad", "patern": ["x"]}"#,
            "unknown field `patern`",
        ),
        (r#"{"patterns": ["x"]}"#, "missing field `id`"),
        (
            r#"{"id": "Bad-Id", "patterns": ["x"]}"#,
            "id must be snake_case",
        ),
        (r#"{"id": "brand_new"}"#, "needs at least one pattern"),
        (
            r#"{"id": "unclassified", "patterns": ["x"]}"#,
            "takes no patterns",
        ),
        (
            r#"{"id": "timeout", "rank": -1}"#,
            "field `rank` must be a whole number from 0 to 4294967295, found a number (-1)",
        ),
    ];
    for (rule, reason) in cases {
        let json = format!(r#"{{"categories": [{ok}, {rule}]}}"#);
        let (index, got) = rule_error(&json);
        assert_eq!(index, 1, "{rule}");
        assert!(got.contains(reason), "{rule}: {got}");
    }
}

#[test]
fn invalid_rules_file_shapes() {
    let mut c = Classifier::builtin();
    let err = c
        .add_rules_json("{\"categories\": [\n  {\"id\": \"x\",}\n]}", "r.json")
        .unwrap_err();
    match &err {
        Error::File { file, line, .. } => {
            assert_eq!(file, "r.json");
            assert_eq!(*line, 2, "{err}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().starts_with("r.json:2:"), "{err}");
    let err = c.add_rules_json(r#"{"rules": []}"#, "r.json").unwrap_err();
    assert!(err.to_string().contains("unknown field `rules`"), "{err}");
    let err = c.add_rules_json("[]", "r.json").unwrap_err();
    assert!(matches!(err, Error::File { .. }), "{err}");
}

#[test]
fn a_failed_rules_file_changes_nothing() {
    let mut c = Classifier::builtin();
    let json = r#"{"categories": [
        {"id": "connection_refused", "replace": true, "patterns": ["nothing"]},
        {"id": "cuda_oom", "patterns": ["(bad"]}]}"#;
    assert!(c.add_rules_json(json, "r.json").is_err());
    assert!(!c.categories().contains("cuda_oom"));
    assert_eq!(
        classify_row(&c, "ConnectionRefusedError: [Errno 111] Connection refused")
            .classification
            .category,
        REFUSED
    );
}

#[test]
fn rules_file_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("logtriage-classify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rules.json");
    std::fs::write(&path, r#"{"categories": [{"id": "x", "patterns": ["("]}]}"#).unwrap();
    let err = Classifier::builtin().add_rules_file(&path).unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with(&path.display().to_string()), "{text}");
    assert!(
        text.ends_with(": rule 0: pattern 0 (\"(\") is not a valid regex: unclosed group"),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    let missing = dir.join("missing.json");
    assert!(matches!(
        Classifier::builtin().add_rules_file(&missing),
        Err(Error::Open { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Bad input never panics: any text, any chain.
    #[test]
    fn classify_never_panics(
        text in "(?s).{0,200}",
        types in proptest::collection::vec("[A-Za-z_.]{0,20}", 0..4),
        messages in proptest::collection::vec("(?s).{0,120}", 0..4),
    ) {
        let c = Classifier::builtin();
        let mut ev = blank(EventKind::Severity, &text);
        c.classify(&mut ev);
        prop_assert!(c.categories().contains(ev.classification.category.as_str()));
        let chain = types
            .iter()
            .zip(messages.iter())
            .map(|(t, m)| Exception::new(t, m, Vec::new()))
            .collect();
        let mut ev = traceback_event(chain);
        ev.text = text;
        c.classify(&mut ev);
        prop_assert!(c.categories().contains(ev.classification.category.as_str()));
        prop_assert!(!ev.classification.message.contains('\n'));
    }
}
