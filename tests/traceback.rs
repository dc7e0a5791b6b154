//! Traceback parsing, one row per real shape CPython 3.8-3.13 and the libraries print.
//!
//! Texts are raw strings; `\t` in them stands for the tab libpq and grpc indent with.

use logtriage::{parse_traceback, Link, Traceback};

struct Row {
    name: &'static str,
    text: &'static str,
    /// The chain's types in print order.
    types: &'static [&'static str],
    /// The link of each exception but the last.
    links: &'static [Link],
    /// The last exception's whole message.
    message: &'static str,
    /// The last exception's frame count.
    frames: usize,
    /// The last exception's innermost frame: (file, line, function).
    innermost: Option<(&'static str, u32, &'static str)>,
}

const C: Link = Link::Cause;
const X: Link = Link::Context;

fn parse(text: &str) -> Traceback {
    parse_traceback(&text.replace("\\t", "\t"))
        .unwrap_or_else(|| panic!("no traceback in {text:?}"))
}

#[test]
fn table() {
    let rows = rows();
    assert!(rows.len() >= 40, "only {} rows", rows.len());
    for row in &rows {
        let tb = parse(row.text);
        let types: Vec<&str> = tb.chain.iter().map(|e| e.type_name.as_str()).collect();
        assert_eq!(types, row.types, "{}: types", row.name);
        let links: Vec<Link> = tb.chain.iter().filter_map(|e| e.link).collect();
        assert_eq!(links, row.links, "{}: links", row.name);
        assert!(
            tb.chain.last().unwrap().link.is_none(),
            "{}: last has a link",
            row.name
        );
        let last = tb.chain.last().unwrap();
        assert_eq!(
            last.message,
            row.message.replace("\\t", "\t"),
            "{}: message",
            row.name
        );
        assert_eq!(last.frames.len(), row.frames, "{}: frames", row.name);
        let innermost = last
            .frames
            .last()
            .map(|f| (f.file.as_str(), f.line.unwrap(), f.function.as_str()));
        assert_eq!(innermost, row.innermost, "{}: innermost frame", row.name);
    }
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "3.8 NameError",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/main.py", line 12, in <module>
    app = create_app()
  File "/app/netra_backend/app/smd.py", line 1687, in _initialize_factory_patterns
    factory = UnifiedExecutionEngineFactory()
NameError: name 'UnifiedExecutionEngineFactory' is not defined"#,
            types: &["NameError"],
            links: &[],
            message: "name 'UnifiedExecutionEngineFactory' is not defined",
            frames: 2,
            innermost: Some((
                "/app/netra_backend/app/smd.py",
                1687,
                "_initialize_factory_patterns",
            )),
        },
        Row {
            name: "3.12 NameError with carets and Did you mean",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/smd.py", line 1687, in _initialize_factory_patterns
    factory = UnifiedExecutionEngineFactory()
              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
NameError: name 'UnifiedExecutionEngineFactory' is not defined. Did you mean: 'ExecutionEngineFactory'?"#,
            types: &["NameError"],
            links: &[],
            message: "name 'UnifiedExecutionEngineFactory' is not defined. Did you mean: 'ExecutionEngineFactory'?",
            frames: 1,
            innermost: Some((
                "/app/netra_backend/app/smd.py",
                1687,
                "_initialize_factory_patterns",
            )),
        },
        Row {
            name: "3.11 ModuleNotFoundError through frozen importlib",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/main.py", line 5, in <module>
    from netra_backend.app.agents.execution_engine_unified_factory import UnifiedExecutionEngineFactory
  File "<frozen importlib._bootstrap>", line 1204, in _gcd_import
  File "<frozen importlib._bootstrap>", line 1176, in _find_and_load
  File "<frozen importlib._bootstrap>", line 1140, in _find_and_load_unlocked
ModuleNotFoundError: No module named 'netra_backend.app.agents.execution_engine_unified_factory'"#,
            types: &["ModuleNotFoundError"],
            links: &[],
            message: "No module named 'netra_backend.app.agents.execution_engine_unified_factory'",
            frames: 4,
            innermost: Some((
                "<frozen importlib._bootstrap>",
                1140,
                "_find_and_load_unlocked",
            )),
        },
        Row {
            name: "redis-py 3.11 during handling",
            text: r#"Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/redis/asyncio/connection.py", line 274, in connect
    await self.retry.call_with_retry(
  File "/usr/local/lib/python3.11/site-packages/redis/asyncio/retry.py", line 59, in call_with_retry
    return await do()
           ^^^^^^^^^^
  File "/usr/local/lib/python3.11/asyncio/base_events.py", line 1069, in create_connection
    raise exceptions[0]
  File "/usr/local/lib/python3.11/asyncio/selector_events.py", line 634, in sock_connect
    return await fut
           ^^^^^^^^^
ConnectionRefusedError: [Errno 111] Connect call failed ('10.0.0.5', 6379)

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/netra_backend/app/redis_manager.py", line 88, in connect
    await self.client.ping()
  File "/usr/local/lib/python3.11/site-packages/redis/asyncio/client.py", line 545, in execute_command
    conn = self.connection or await pool.get_connection(command_name, **options)
                              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/site-packages/redis/asyncio/connection.py", line 282, in connect
    raise ConnectionError(self._error_message(e))
redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connect call failed ('10.0.0.5', 6379)."#,
            types: &["ConnectionRefusedError", "redis.exceptions.ConnectionError"],
            links: &[X],
            message: "Error 111 connecting to 10.0.0.5:6379. Connect call failed ('10.0.0.5', 6379).",
            frames: 3,
            innermost: Some((
                "/usr/local/lib/python3.11/site-packages/redis/asyncio/connection.py",
                282,
                "connect",
            )),
        },
        Row {
            name: "redis-py 3.8 sync Connection refused",
            text: r#"Traceback (most recent call last):
  File "/app/worker.py", line 40, in main
    r.ping()
  File "/usr/local/lib/python3.8/site-packages/redis/client.py", line 1378, in ping
    return self.execute_command('PING')
  File "/usr/local/lib/python3.8/site-packages/redis/connection.py", line 563, in connect
    raise ConnectionError(self._error_message(e))
redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused."#,
            types: &["redis.exceptions.ConnectionError"],
            links: &[],
            message: "Error 111 connecting to 10.0.0.5:6379. Connection refused.",
            frames: 3,
            innermost: Some((
                "/usr/local/lib/python3.8/site-packages/redis/connection.py",
                563,
                "connect",
            )),
        },
        Row {
            name: "SQLAlchemy over psycopg2, direct cause, multi-line libpq message",
            text: r#"Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/engine/base.py", line 145, in __init__
    self._dbapi_connection = engine.raw_connection()
                             ^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/site-packages/psycopg2/__init__.py", line 122, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
psycopg2.OperationalError: connection to server at "10.20.0.3", port 5432 failed: Connection refused
\tIs the server running on that host and accepting TCP/IP connections?


The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/netra_backend/app/db/session.py", line 41, in get_session
    with engine.begin() as conn:
  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/engine/base.py", line 3288, in raw_connection
    return self.pool.connect()
           ^^^^^^^^^^^^^^^^^^^
sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to server at "10.20.0.3", port 5432 failed: Connection refused
\tIs the server running on that host and accepting TCP/IP connections?

(Background on this error at: https://sqlalche.me/e/20/e3q8)"#,
            types: &["psycopg2.OperationalError", "sqlalchemy.exc.OperationalError"],
            links: &[C],
            message: "(psycopg2.OperationalError) connection to server at \"10.20.0.3\", port 5432 failed: Connection refused\n\\tIs the server running on that host and accepting TCP/IP connections?\n(Background on this error at: https://sqlalche.me/e/20/e3q8)",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.11/site-packages/sqlalchemy/engine/base.py",
                3288,
                "raw_connection",
            )),
        },
        Row {
            name: "psycopg2 3.8 old libpq wording",
            text: r#"Traceback (most recent call last):
  File "/app/manage.py", line 22, in <module>
    conn = psycopg2.connect(DSN)
  File "/usr/local/lib/python3.8/site-packages/psycopg2/__init__.py", line 127, in connect
    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)
psycopg2.OperationalError: could not connect to server: Connection refused
\tIs the server running on host "10.20.0.3" and accepting
\tTCP/IP connections on port 5432?
"#,
            types: &["psycopg2.OperationalError"],
            links: &[],
            message: "could not connect to server: Connection refused\n\\tIs the server running on host \"10.20.0.3\" and accepting\n\\tTCP/IP connections on port 5432?",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.8/site-packages/psycopg2/__init__.py",
                127,
                "connect",
            )),
        },
        Row {
            name: "asyncpg Connect call failed",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/db/postgres.py", line 57, in init
    self.pool = await asyncpg.create_pool(dsn, min_size=1, max_size=10)
                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/site-packages/asyncpg/connect_utils.py", line 829, in __connect_addr
    tr, pr = await connector
             ^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/asyncio/selector_events.py", line 634, in sock_connect
    return await fut
           ^^^^^^^^^
ConnectionRefusedError: [Errno 111] Connect call failed ('10.20.0.3', 5432)"#,
            types: &["ConnectionRefusedError"],
            links: &[],
            message: "[Errno 111] Connect call failed ('10.20.0.3', 5432)",
            frames: 3,
            innermost: Some((
                "/usr/local/lib/python3.11/asyncio/selector_events.py",
                634,
                "sock_connect",
            )),
        },
        Row {
            name: "asyncpg multiple exceptions OSError",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/db/postgres.py", line 57, in init
    self.pool = await asyncpg.create_pool(dsn)
  File "/usr/local/lib/python3.10/asyncio/base_events.py", line 1064, in create_connection
    raise OSError('Multiple exceptions: {}'.format(
OSError: Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432), [Errno 99] Cannot assign requested address"#,
            types: &["OSError"],
            links: &[],
            message: "Multiple exceptions: [Errno 111] Connect call failed ('127.0.0.1', 5432), [Errno 99] Cannot assign requested address",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.10/asyncio/base_events.py",
                1064,
                "create_connection",
            )),
        },
        Row {
            name: "httpx over httpcore, 3.12",
            text: r#"Traceback (most recent call last):
  File "/usr/local/lib/python3.12/site-packages/httpx/_transports/default.py", line 69, in map_httpcore_exceptions
    yield
  File "/usr/local/lib/python3.12/site-packages/httpx/_transports/default.py", line 373, in handle_async_request
    resp = await self._pool.handle_async_request(req)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
httpcore.ConnectError: [Errno 111] Connection refused

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/netra_backend/app/clients/auth_client.py", line 112, in validate_token
    response = await self.client.post("/auth/validate", json=payload)
               ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.12/contextlib.py", line 158, in __exit__
    self.gen.throw(value)
  File "/usr/local/lib/python3.12/site-packages/httpx/_transports/default.py", line 86, in map_httpcore_exceptions
    raise mapped_exc(message) from exc
httpx.ConnectError: [Errno 111] Connection refused"#,
            types: &["httpcore.ConnectError", "httpx.ConnectError"],
            links: &[C],
            message: "[Errno 111] Connection refused",
            frames: 3,
            innermost: Some((
                "/usr/local/lib/python3.12/site-packages/httpx/_transports/default.py",
                86,
                "map_httpcore_exceptions",
            )),
        },
        Row {
            name: "requests over urllib3, three links",
            text: r#"Traceback (most recent call last):
  File "/usr/local/lib/python3.9/site-packages/urllib3/connection.py", line 174, in _new_conn
    conn = connection.create_connection(
  File "/usr/local/lib/python3.9/site-packages/urllib3/util/connection.py", line 95, in create_connection
    raise err
  File "/usr/local/lib/python3.9/site-packages/urllib3/util/connection.py", line 85, in create_connection
    sock.connect(sa)
ConnectionRefusedError: [Errno 111] Connection refused

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/usr/local/lib/python3.9/site-packages/urllib3/connectionpool.py", line 787, in urlopen
    retries = retries.increment(
  File "/usr/local/lib/python3.9/site-packages/urllib3/util/retry.py", line 592, in increment
    raise MaxRetryError(_pool, url, error or ResponseError(cause))
urllib3.exceptions.MaxRetryError: HTTPConnectionPool(host='10.0.0.9', port=8081): Max retries exceeded with url: /health (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a2c1d0e50>: Failed to establish a new connection: [Errno 111] Connection refused'))

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/netra_backend/app/health.py", line 31, in check_auth
    r = requests.get(AUTH_URL + "/health", timeout=2)
  File "/usr/local/lib/python3.9/site-packages/requests/adapters.py", line 519, in send
    raise ConnectionError(e, request=request)
requests.exceptions.ConnectionError: HTTPConnectionPool(host='10.0.0.9', port=8081): Max retries exceeded with url: /health (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a2c1d0e50>: Failed to establish a new connection: [Errno 111] Connection refused'))"#,
            types: &[
                "ConnectionRefusedError",
                "urllib3.exceptions.MaxRetryError",
                "requests.exceptions.ConnectionError",
            ],
            links: &[X, X],
            message: "HTTPConnectionPool(host='10.0.0.9', port=8081): Max retries exceeded with url: /health (Caused by NewConnectionError('<urllib3.connection.HTTPConnection object at 0x7f3a2c1d0e50>: Failed to establish a new connection: [Errno 111] Connection refused'))",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.9/site-packages/requests/adapters.py",
                519,
                "send",
            )),
        },
        Row {
            name: "3.12 RecursionError with repeated lines",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/agents/tree.py", line 40, in <module>
    walk(root)
  File "/app/netra_backend/app/agents/tree.py", line 12, in walk
    return walk(node.parent)
           ^^^^^^^^^^^^^^^^^
  File "/app/netra_backend/app/agents/tree.py", line 12, in walk
    return walk(node.parent)
           ^^^^^^^^^^^^^^^^^
  File "/app/netra_backend/app/agents/tree.py", line 12, in walk
    return walk(node.parent)
           ^^^^^^^^^^^^^^^^^
  [Previous line repeated 996 more times]
RecursionError: maximum recursion depth exceeded"#,
            types: &["RecursionError"],
            links: &[],
            message: "maximum recursion depth exceeded",
            frames: 4,
            innermost: Some(("/app/netra_backend/app/agents/tree.py", 12, "walk")),
        },
        Row {
            name: "3.8 RecursionError while calling a Python object",
            text: r#"Traceback (most recent call last):
  File "/app/serializer.py", line 9, in <module>
    dump(obj)
  File "/app/serializer.py", line 5, in dump
    return dump(o.child)
  [Previous line repeated 995 more times]
  File "/app/serializer.py", line 4, in dump
    if isinstance(o, dict):
RecursionError: maximum recursion depth exceeded while calling a Python object"#,
            types: &["RecursionError"],
            links: &[],
            message: "maximum recursion depth exceeded while calling a Python object",
            frames: 3,
            innermost: Some(("/app/serializer.py", 4, "dump")),
        },
        Row {
            name: "3.11 binary-op carets ~~~^~~~",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/metrics.py", line 21, in ratio
    return hits / total
           ~~~~~^~~~~~~
ZeroDivisionError: division by zero"#,
            types: &["ZeroDivisionError"],
            links: &[],
            message: "division by zero",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/metrics.py", 21, "ratio")),
        },
        Row {
            name: "3.11 subscript carets ~~~~^^^^^",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/routes/agents.py", line 77, in create_agent
    user_id = payload["user_id"]
              ~~~~~~~^^^^^^^^^^^
KeyError: 'user_id'"#,
            types: &["KeyError"],
            links: &[],
            message: "'user_id'",
            frames: 1,
            innermost: Some((
                "/app/netra_backend/app/routes/agents.py",
                77,
                "create_agent",
            )),
        },
        Row {
            name: "3.13 elided lines",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/smd.py", line 1687, in _initialize_factory_patterns
    self.factory = UnifiedExecutionEngineFactory(
                   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
    ...<3 lines>...
    )
    ^
NameError: name 'UnifiedExecutionEngineFactory' is not defined"#,
            types: &["NameError"],
            links: &[],
            message: "name 'UnifiedExecutionEngineFactory' is not defined",
            frames: 1,
            innermost: Some((
                "/app/netra_backend/app/smd.py",
                1687,
                "_initialize_factory_patterns",
            )),
        },
        Row {
            name: "SyntaxError on import, with header (3.11)",
            text: r#"Traceback (most recent call last):
  File "/app/main.py", line 3, in <module>
    from netra_backend.app import smd
  File "/app/netra_backend/app/smd.py", line 1690
    def _initialize_factory_patterns(self:
                                    ^
SyntaxError: '(' was never closed"#,
            types: &["SyntaxError"],
            links: &[],
            message: "'(' was never closed",
            frames: 1,
            innermost: Some(("/app/main.py", 3, "<module>")),
        },
        Row {
            name: "SyntaxError without header (3.8)",
            text: r#"  File "/app/netra_backend/app/smd.py", line 1690
    def _initialize_factory_patterns(self:
                                        ^
SyntaxError: invalid syntax"#,
            types: &["SyntaxError"],
            links: &[],
            message: "invalid syntax",
            frames: 0,
            innermost: None,
        },
        Row {
            name: "IndentationError without header (3.9)",
            text: r#"  File "/app/worker.py", line 14
    return result
    ^
IndentationError: unexpected indent"#,
            types: &["IndentationError"],
            links: &[],
            message: "unexpected indent",
            frames: 0,
            innermost: None,
        },
        Row {
            name: "3.12 f-string SyntaxError with caret run",
            text: r#"Traceback (most recent call last):
  File "/usr/local/bin/uvicorn", line 8, in <module>
    sys.exit(main())
             ^^^^^^
  File "/app/netra_backend/app/routes/ws.py", line 52
    await ws.send_text(f"{event['type']")
                                       ^
SyntaxError: f-string: expecting '}'"#,
            types: &["SyntaxError"],
            links: &[],
            message: "f-string: expecting '}'",
            frames: 1,
            innermost: Some(("/usr/local/bin/uvicorn", 8, "<module>")),
        },
        Row {
            name: "notes (3.11 add_note)",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/startup.py", line 88, in run_checks
    raise RuntimeError("startup check failed")
RuntimeError: startup check failed
check: redis
attempt 3 of 3"#,
            types: &["RuntimeError"],
            links: &[],
            message: "startup check failed",
            frames: 1,
            innermost: Some((
                "/app/netra_backend/app/startup.py",
                88,
                "run_checks",
            )),
        },
        Row {
            name: "Flask logging prefix before header",
            text: r#"ERROR:root:Exception on /api/agents [POST]
Traceback (most recent call last):
  File "/usr/local/lib/python3.10/site-packages/flask/app.py", line 2525, in wsgi_app
    response = self.full_dispatch_request()
  File "/app/netra_backend/app/routes/agents.py", line 77, in create_agent
    user_id = payload["user_id"]
KeyError: 'user_id'"#,
            types: &["KeyError"],
            links: &[],
            message: "'user_id'",
            frames: 2,
            innermost: Some((
                "/app/netra_backend/app/routes/agents.py",
                77,
                "create_agent",
            )),
        },
        Row {
            name: "gunicorn worker boot failure with trailing log lines",
            text: r#"[2026-11-27 07:01:02 +0000] [7] [ERROR] Exception in worker process
Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/gunicorn/arbiter.py", line 609, in spawn_worker
    worker.init_process()
  File "/usr/local/lib/python3.11/site-packages/gunicorn/workers/base.py", line 134, in init_process
    self.load_wsgi()
  File "/app/netra_backend/app/main.py", line 5, in <module>
    from netra_backend.app.agents.execution_engine_unified_factory import UnifiedExecutionEngineFactory
ModuleNotFoundError: No module named 'netra_backend.app.agents.execution_engine_unified_factory'
[2026-11-27 07:01:02 +0000] [7] [INFO] Worker exiting (pid: 7)
[2026-11-27 07:01:03 +0000] [1] [ERROR] Worker (pid:7) exited with code 3"#,
            types: &["ModuleNotFoundError"],
            links: &[],
            message: "No module named 'netra_backend.app.agents.execution_engine_unified_factory'",
            frames: 3,
            innermost: Some(("/app/netra_backend/app/main.py", 5, "<module>")),
        },
        Row {
            name: "uvicorn Exception in ASGI application",
            text: r#"ERROR:    Exception in ASGI application
Traceback (most recent call last):
  File "/usr/local/lib/python3.11/site-packages/uvicorn/protocols/http/httptools_impl.py", line 426, in run_asgi
    result = await app(  # type: ignore[func-returns-value]
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/app/netra_backend/app/routes/threads.py", line 64, in list_threads
    rows = await db.fetch(QUERY, user.id)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
asyncpg.exceptions.QueryCanceledError: canceling statement due to statement timeout
INFO:     169.254.1.1:0 - "GET /api/threads HTTP/1.1" 500 Internal Server Error"#,
            types: &["asyncpg.exceptions.QueryCanceledError"],
            links: &[],
            message: "canceling statement due to statement timeout",
            frames: 2,
            innermost: Some((
                "/app/netra_backend/app/routes/threads.py",
                64,
                "list_threads",
            )),
        },
        Row {
            name: "asyncio 3.8 CancelledError then TimeoutError, bare types",
            text: r#"Traceback (most recent call last):
  File "/usr/local/lib/python3.8/asyncio/tasks.py", line 498, in wait_for
    await waiter
asyncio.exceptions.CancelledError

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/app/worker.py", line 30, in poll
    msg = await asyncio.wait_for(queue.get(), timeout=5)
  File "/usr/local/lib/python3.8/asyncio/tasks.py", line 501, in wait_for
    raise exceptions.TimeoutError()
asyncio.exceptions.TimeoutError"#,
            types: &[
                "asyncio.exceptions.CancelledError",
                "asyncio.exceptions.TimeoutError",
            ],
            links: &[X],
            message: "",
            frames: 2,
            innermost: Some(("/usr/local/lib/python3.8/asyncio/tasks.py", 501, "wait_for")),
        },
        Row {
            name: "3.11 asyncio.timeout: CancelledError cause of TimeoutError",
            text: r#"Traceback (most recent call last):
  File "/usr/local/lib/python3.11/asyncio/tasks.py", line 500, in wait_for
    return fut.result()
           ^^^^^^^^^^^^
asyncio.exceptions.CancelledError

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/app/netra_backend/app/llm/client.py", line 144, in complete
    return await asyncio.wait_for(self._call(prompt), timeout=30)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/usr/local/lib/python3.11/asyncio/tasks.py", line 502, in wait_for
    raise exceptions.TimeoutError() from exc
TimeoutError"#,
            types: &["asyncio.exceptions.CancelledError", "TimeoutError"],
            links: &[C],
            message: "",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.11/asyncio/tasks.py",
                502,
                "wait_for",
            )),
        },
        Row {
            name: "socket.timeout 3.9",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/smtp.py", line 19, in send
    server = smtplib.SMTP(HOST, 587, timeout=10)
  File "/usr/local/lib/python3.9/socket.py", line 831, in create_connection
    sock.connect(sa)
socket.timeout: timed out"#,
            types: &["socket.timeout"],
            links: &[],
            message: "timed out",
            frames: 2,
            innermost: Some(("/usr/local/lib/python3.9/socket.py", 831, "create_connection")),
        },
        Row {
            name: "SQLAlchemy ProgrammingError with LINE, caret, SQL and parameters",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/repos/runs.py", line 33, in list_runs
    result = await session.execute(stmt)
sqlalchemy.exc.ProgrammingError: (psycopg2.errors.UndefinedTable) relation "agent_runs" does not exist
LINE 1: SELECT agent_runs.id FROM agent_runs WHERE agent_runs.user_id = ...
                                  ^

[SQL: SELECT agent_runs.id FROM agent_runs WHERE agent_runs.user_id = %(user_id_1)s]
[parameters: {'user_id_1': 42}]
(Background on this error at: https://sqlalche.me/e/20/f405)"#,
            types: &["sqlalchemy.exc.ProgrammingError"],
            links: &[],
            message: "(psycopg2.errors.UndefinedTable) relation \"agent_runs\" does not exist\nLINE 1: SELECT agent_runs.id FROM agent_runs WHERE agent_runs.user_id = ...\n                                  ^\n[SQL: SELECT agent_runs.id FROM agent_runs WHERE agent_runs.user_id = %(user_id_1)s]\n[parameters: {'user_id_1': 42}]\n(Background on this error at: https://sqlalche.me/e/20/f405)",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/repos/runs.py", 33, "list_runs")),
        },
        Row {
            name: "psycopg2 statement timeout",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/reports.py", line 210, in build
    cur.execute(REPORT_SQL, params)
psycopg2.errors.QueryCanceled: canceling statement due to statement timeout
"#,
            types: &["psycopg2.errors.QueryCanceled"],
            links: &[],
            message: "canceling statement due to statement timeout",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/reports.py", 210, "build")),
        },
        Row {
            name: "psycopg2 IntegrityError with DETAIL",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/repos/users.py", line 51, in create
    cur.execute(INSERT_USER, row)
psycopg2.errors.UniqueViolation: duplicate key value violates unique constraint "users_email_key"
DETAIL:  Key (email)=(a@example.com) already exists.
"#,
            types: &["psycopg2.errors.UniqueViolation"],
            links: &[],
            message: "duplicate key value violates unique constraint \"users_email_key\"\nDETAIL:  Key (email)=(a@example.com) already exists.",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/repos/users.py", 51, "create")),
        },
        Row {
            name: "grpc _InactiveRpcError repr block",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/clients/vector.py", line 48, in search
    return self.stub.Search(req, timeout=5)
  File "/usr/local/lib/python3.11/site-packages/grpc/_channel.py", line 1006, in _end_unary_response_blocking
    raise _InactiveRpcError(state)  # pytype: disable=not-instantiable
    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
grpc._channel._InactiveRpcError: <_InactiveRpcError of RPC that terminated with:
\tstatus = StatusCode.UNAVAILABLE
\tdetails = "failed to connect to all addresses; last error: UNKNOWN: ipv4:10.0.0.7:50051: Failed to connect to remote host: Connection refused"
\tdebug_error_string = "UNKNOWN:failed to connect to all addresses {grpc_status:14}"
>"#,
            types: &["grpc._channel._InactiveRpcError"],
            links: &[],
            message: "<_InactiveRpcError of RPC that terminated with:\n\\tstatus = StatusCode.UNAVAILABLE\n\\tdetails = \"failed to connect to all addresses; last error: UNKNOWN: ipv4:10.0.0.7:50051: Failed to connect to remote host: Connection refused\"\n\\tdebug_error_string = \"UNKNOWN:failed to connect to all addresses {grpc_status:14}\"\n>",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.11/site-packages/grpc/_channel.py",
                1006,
                "_end_unary_response_blocking",
            )),
        },
        Row {
            name: "MemoryError bare",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/ingest.py", line 90, in load
    data = f.read()
MemoryError"#,
            types: &["MemoryError"],
            links: &[],
            message: "",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/ingest.py", 90, "load")),
        },
        Row {
            name: "3.11 UnboundLocalError",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/db/pool.py", line 71, in release
    conn.close()
    ^^^^
UnboundLocalError: cannot access local variable 'conn' where it is not associated with a value"#,
            types: &["UnboundLocalError"],
            links: &[],
            message: "cannot access local variable 'conn' where it is not associated with a value",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/db/pool.py", 71, "release")),
        },
        Row {
            name: "3.12 ImportError cannot import name",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/main.py", line 9, in <module>
    from netra_backend.app.agents import ExecutionEngineFactory
ImportError: cannot import name 'ExecutionEngineFactory' from 'netra_backend.app.agents' (/app/netra_backend/app/agents/__init__.py)"#,
            types: &["ImportError"],
            links: &[],
            message: "cannot import name 'ExecutionEngineFactory' from 'netra_backend.app.agents' (/app/netra_backend/app/agents/__init__.py)",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/main.py", 9, "<module>")),
        },
        Row {
            name: "3.12 AttributeError module with Did you mean",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/smd.py", line 1702, in _wire
    engine = factories.UnifiedExecutionEngineFactory()
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
AttributeError: module 'netra_backend.app.factories' has no attribute 'UnifiedExecutionEngineFactory'. Did you mean: 'ExecutionEngineFactory'?"#,
            types: &["AttributeError"],
            links: &[],
            message: "module 'netra_backend.app.factories' has no attribute 'UnifiedExecutionEngineFactory'. Did you mean: 'ExecutionEngineFactory'?",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/smd.py", 1702, "_wire")),
        },
        Row {
            name: "ImportError of a shared object",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/db/__init__.py", line 2, in <module>
    import psycopg2
  File "/usr/local/lib/python3.11/site-packages/psycopg2/__init__.py", line 51, in <module>
    from psycopg2._psycopg import (                     # noqa
ImportError: libpq.so.5: cannot open shared object file: No such file or directory"#,
            types: &["ImportError"],
            links: &[],
            message: "libpq.so.5: cannot open shared object file: No such file or directory",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.11/site-packages/psycopg2/__init__.py",
                51,
                "<module>",
            )),
        },
        Row {
            name: "websockets keepalive timeout",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/routes/ws.py", line 88, in pump
    await websocket.send_text(payload)
  File "/usr/local/lib/python3.11/site-packages/websockets/legacy/protocol.py", line 935, in ensure_open
    raise self.connection_closed_exc()
websockets.exceptions.ConnectionClosedError: received 1011 (internal error) keepalive ping timeout; then sent 1011 (internal error) keepalive ping timeout"#,
            types: &["websockets.exceptions.ConnectionClosedError"],
            links: &[],
            message: "received 1011 (internal error) keepalive ping timeout; then sent 1011 (internal error) keepalive ping timeout",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.11/site-packages/websockets/legacy/protocol.py",
                935,
                "ensure_open",
            )),
        },
        Row {
            name: "starlette send after close",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/routes/ws.py", line 101, in broadcast
    await ws.send_json(event)
  File "/usr/local/lib/python3.11/site-packages/starlette/websockets.py", line 85, in send
    raise RuntimeError('Cannot call "send" once a close message has been sent.')
RuntimeError: Cannot call "send" once a close message has been sent."#,
            types: &["RuntimeError"],
            links: &[],
            message: "Cannot call \"send\" once a close message has been sent.",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.11/site-packages/starlette/websockets.py",
                85,
                "send",
            )),
        },
        Row {
            name: "ValueError message with colons",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/config.py", line 14, in port
    return int(os.environ["REDIS_PORT"])
ValueError: invalid literal for int() with base 10: '6379/0'"#,
            types: &["ValueError"],
            links: &[],
            message: "invalid literal for int() with base 10: '6379/0'",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/config.py", 14, "port")),
        },
        Row {
            name: "CRLF line ends",
            text: "Traceback (most recent call last):\r\n  File \"/app/job.py\", line 3, in <module>\r\n    run()\r\nKeyError: 'JOB_ID'\r\n",
            types: &["KeyError"],
            links: &[],
            message: "'JOB_ID'",
            frames: 1,
            innermost: Some(("/app/job.py", 3, "<module>")),
        },
        Row {
            name: "docker compose prefix on every line",
            text: r#"web-1  | Traceback (most recent call last):
web-1  |   File "/app/netra_backend/app/main.py", line 12, in <module>
web-1  |     app = create_app()
worker-1  | INFO: polling queue
web-1  | NameError: name 'UnifiedExecutionEngineFactory' is not defined
web-1  | INFO:     Shutting down"#,
            types: &["NameError"],
            links: &[],
            message: "name 'UnifiedExecutionEngineFactory' is not defined",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/main.py", 12, "<module>")),
        },
        Row {
            name: "kubectl --timestamps prefix with varying fractions",
            text: r#"2026-11-27T07:01:02.123456789Z Traceback (most recent call last):
2026-11-27T07:01:02.12345Z   File "/app/worker.py", line 40, in main
2026-11-27T07:01:02.1Z     r.ping()
2026-11-27T07:01:02.2Z redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused."#,
            types: &["redis.exceptions.ConnectionError"],
            links: &[],
            message: "Error 111 connecting to 10.0.0.5:6379. Connection refused.",
            frames: 1,
            innermost: Some(("/app/worker.py", 40, "main")),
        },
        Row {
            name: "cut traceback keeps its frames",
            text: r#"Traceback (most recent call last):
  File "/app/netra_backend/app/main.py", line 12, in <module>
    app = create_app()
  File "/app/netra_backend/app/smd.py", line 1687, in _initialize_factory_patterns"#,
            types: &[""],
            links: &[],
            message: "",
            frames: 2,
            innermost: Some((
                "/app/netra_backend/app/smd.py",
                1687,
                "_initialize_factory_patterns",
            )),
        },
        Row {
            name: "3.11 exception group with two tracebacks",
            text: GROUP,
            types: &["ExceptionGroup"],
            links: &[],
            message: "startup checks failed (2 sub-exceptions)",
            frames: 2,
            innermost: Some((
                "/usr/local/lib/python3.11/asyncio/taskgroups.py",
                147,
                "__aexit__",
            )),
        },
        Row {
            name: "nested exception groups",
            text: NESTED_GROUP,
            types: &["ExceptionGroup"],
            links: &[],
            message: "outer (2 sub-exceptions)",
            frames: 1,
            innermost: Some(("/app/check.py", 9, "<module>")),
        },
        Row {
            name: "plain cause of an exception group",
            text: CAUSE_OF_GROUP,
            types: &["ConnectionRefusedError", "ExceptionGroup"],
            links: &[C],
            message: "unhandled errors in a TaskGroup (1 sub-exception)",
            frames: 1,
            innermost: Some(("/app/netra_backend/app/startup.py", 30, "main")),
        },
    ]
}

const GROUP: &str = r#"  + Exception Group Traceback (most recent call last):
  |   File "/app/netra_backend/app/startup.py", line 40, in run_checks
  |     async with asyncio.TaskGroup() as tg:
  |   File "/usr/local/lib/python3.11/asyncio/taskgroups.py", line 147, in __aexit__
  |     raise me from None
  |     ^^^^^^^^^^^^^^^^^^
  | ExceptionGroup: startup checks failed (2 sub-exceptions)
  +-+---------------- 1 ----------------
    | Traceback (most recent call last):
    |   File "/app/netra_backend/app/startup.py", line 22, in check_redis
    |     await redis.ping()
    | redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.
    +---------------- 2 ----------------
    | Traceback (most recent call last):
    |   File "/app/netra_backend/app/startup.py", line 28, in check_db
    |     await pool.fetchval("SELECT 1")
    | ConnectionRefusedError: [Errno 111] Connect call failed ('10.20.0.3', 5432)
    +------------------------------------"#;

const NESTED_GROUP: &str = r#"  + Exception Group Traceback (most recent call last):
  |   File "/app/check.py", line 9, in <module>
  |     raise ExceptionGroup("outer", [ValueError("a"), inner])
  | ExceptionGroup: outer (2 sub-exceptions)
  +-+---------------- 1 ----------------
    | ValueError: a
    +---------------- 2 ----------------
    | ExceptionGroup: inner (2 sub-exceptions)
    +-+---------------- 1 ----------------
      | TypeError: b
      +---------------- 2 ----------------
      | KeyError: 'c'
      +------------------------------------"#;

const CAUSE_OF_GROUP: &str = r#"Traceback (most recent call last):
  File "/app/netra_backend/app/startup.py", line 22, in check_redis
    await redis.ping()
ConnectionRefusedError: [Errno 111] Connection refused

The above exception was the direct cause of the following exception:

  + Exception Group Traceback (most recent call last):
  |   File "/app/netra_backend/app/startup.py", line 30, in main
  |     raise ExceptionGroup("unhandled errors in a TaskGroup", [err]) from err
  | ExceptionGroup: unhandled errors in a TaskGroup (1 sub-exception)
  +-+---------------- 1 ----------------
    | RuntimeError: redis unavailable
    +------------------------------------"#;

#[test]
fn group_children_have_their_own_tracebacks() {
    let tb = parse(GROUP);
    let group = &tb.chain[0];
    assert_eq!(group.children.len(), 2);
    let first = &group.children[0].chain;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].type_name, "redis.exceptions.ConnectionError");
    assert_eq!(first[0].frames[0].function, "check_redis");
    assert_eq!(
        first[0].frames[0].source.as_deref(),
        Some("await redis.ping()")
    );
    let second = &group.children[1].chain;
    assert_eq!(second[0].type_name, "ConnectionRefusedError");
    assert_eq!(second[0].frames[0].line, Some(28));
}

#[test]
fn nested_groups_nest() {
    let tb = parse(NESTED_GROUP);
    let outer = &tb.chain[0];
    assert_eq!(outer.children.len(), 2);
    assert_eq!(outer.children[0].chain[0].type_name, "ValueError");
    assert_eq!(outer.children[0].chain[0].message, "a");
    let inner = &outer.children[1].chain[0];
    assert_eq!(inner.type_name, "ExceptionGroup");
    assert_eq!(inner.message, "inner (2 sub-exceptions)");
    let kinds: Vec<&str> = inner
        .children
        .iter()
        .map(|t| t.chain[0].type_name.as_str())
        .collect();
    assert_eq!(kinds, ["TypeError", "KeyError"]);
}

#[test]
fn cut_group_counts_the_rest() {
    // max_group_width is 15: the 16th slot says how many were left out.
    let mut text = String::from(
        "  + Exception Group Traceback (most recent call last):\n  |   File \"/app/fanout.py\", line 12, in <module>\n  |     raise ExceptionGroup(\"fanout\", errors)\n  | ExceptionGroup: fanout (17 sub-exceptions)\n",
    );
    for i in 1..=15 {
        let sep = if i == 1 { "  +-+" } else { "    +" };
        text.push_str(&format!("{sep}---------------- {i} ----------------\n"));
        text.push_str(&format!("    | TimeoutError: shard {i} timed out\n"));
    }
    text.push_str("    +---------------- ... ----------------\n");
    text.push_str("    | and 2 more exceptions\n");
    text.push_str("    +------------------------------------\n");
    let tb = parse_traceback(&text).unwrap();
    let group = &tb.chain[0];
    assert_eq!(group.children.len(), 15);
    assert_eq!(group.more_children, 2);
    assert_eq!(group.children[14].chain[0].message, "shard 15 timed out");
}

#[test]
fn cause_of_group_children() {
    let tb = parse(CAUSE_OF_GROUP);
    assert_eq!(tb.chain[1].children.len(), 1);
    assert_eq!(tb.chain[1].children[0].chain[0].type_name, "RuntimeError");
}

#[test]
fn syntax_location_block() {
    let tb = parse(
        r#"  File "/app/netra_backend/app/smd.py", line 1690
    def _initialize_factory_patterns(self:
                                        ^
SyntaxError: invalid syntax"#,
    );
    let syntax = tb.chain[0].syntax.as_ref().unwrap();
    assert_eq!(syntax.file, "/app/netra_backend/app/smd.py");
    assert_eq!(syntax.line, Some(1690));
    assert_eq!(syntax.function, "");
    assert_eq!(
        syntax.source.as_deref(),
        Some("def _initialize_factory_patterns(self:")
    );
}

#[test]
fn notes_are_kept_apart_from_the_message() {
    let tb = parse(
        r#"Traceback (most recent call last):
  File "/app/netra_backend/app/startup.py", line 88, in run_checks
    raise RuntimeError("startup check failed")
RuntimeError: startup check failed
check: redis
attempt 3 of 3
[2026-11-27 07:01:02 +0000] [7] [INFO] Worker exiting (pid: 7)"#,
    );
    assert_eq!(tb.chain[0].notes, ["check: redis", "attempt 3 of 3"]);
}

#[test]
fn frame_sources_skip_carets() {
    let tb = parse(
        r#"Traceback (most recent call last):
  File "/app/netra_backend/app/metrics.py", line 21, in ratio
    return hits / total
           ~~~~~^~~~~~~
ZeroDivisionError: division by zero"#,
    );
    assert_eq!(
        tb.chain[0].frames[0].source.as_deref(),
        Some("return hits / total")
    );
}

#[test]
fn no_traceback_is_none() {
    let rows = [
        "",
        "GET /health 200",
        "ERROR:root:Exception on /api/agents [POST]",
        "redis.exceptions.ConnectionError: Error 111 connecting to 10.0.0.5:6379. Connection refused.",
        "  File \"/app/x.py\", line 3, in f",
        "the word Traceback in a sentence",
    ];
    for text in rows {
        assert_eq!(parse_traceback(text), None, "{text:?}");
    }
}

#[test]
fn two_tracebacks_without_separator_stop_at_the_first() {
    let tb = parse(
        r#"Traceback (most recent call last):
  File "/app/a.py", line 1, in <module>
KeyError: 'a'
Traceback (most recent call last):
  File "/app/b.py", line 1, in <module>
KeyError: 'b'"#,
    );
    assert_eq!(tb.chain.len(), 1);
    assert_eq!(tb.chain[0].message, "'a'");
}

mod never_panics {
    use logtriage::parse_traceback;
    use proptest::prelude::*;

    /// Pieces of real tracebacks, shuffled and cut anywhere.
    const PIECES: &[&str] = &[
        "Traceback (most recent call last):",
        "  + Exception Group Traceback (most recent call last):",
        "  File \"/app/a.py\", line 3, in f",
        "  File \"/app/a.py\", line 3",
        "  File \"/app/a.py\", line ",
        "    return f()",
        "           ^^^",
        "  |   File \"/app/a.py\", line 9, in <module>",
        "  | ExceptionGroup: eg (2 sub-exceptions)",
        "  +-+---------------- 1 ----------------",
        "    +---------------- ... ----------------",
        "    | and 2 more exceptions",
        "    +------------------------------------",
        "+-+",
        "  +",
        "|",
        "KeyError: 'a'",
        "The above exception was the direct cause of the following exception:",
        "",
        "web-1  | ",
        "2026-11-27T07:01:02.1Z ",
        "é",
        "\t",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parse_survives_any_mix(
            picks in prop::collection::vec(0..PIECES.len(), 0..40),
            cut in 0usize..2000,
        ) {
            let text: String = picks.iter().map(|&i| PIECES[i]).collect::<Vec<_>>().join("\n");
            let _ = parse_traceback(&text);
            let end = (0..=cut.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let _ = parse_traceback(&text[..end]);
        }
    }
}
