//! The formats and rules logtriage follows: what it reads, what it counts as a failure, how it
//! names, groups and links failures, the files it takes, and what it writes. The library and the
//! `triage` example both follow this page; where the example alone is meant (its options, its
//! exit status), the text says so.
//!
//! # Input
//!
//! ## Formats
//!
//! The format is detected from the first byte that is not whitespace; a UTF-8 byte order mark
//! before it is skipped.
//!
//! - **A JSON array** (`[` followed, after any whitespace, by `{` or `]`): one array of
//!   `LogEntry` objects, as `gcloud logging read --format=json` prints it, pretty-printed or on
//!   one line, empty or of any size. It is streamed: the array is never held whole. Elements
//!   are split by a scanner that respects strings and escapes and balances `{}` and `[]`
//!   together. A missing closing `]` (an input cut short) is accepted.
//! - **NDJSON** (`{`): one object per line, as Cloud Logging sinks export to Cloud Storage and
//!   as `jq -c '.[]'` prints. Line ends may be `\n` or `\r\n`. Blank lines are not entries (as
//!   jq skips them). Objects pretty-printed one after another, as `jq '.[]'` prints them, are
//!   read too; in them, a raw newline inside a string, or a `{` at the start of a line while an
//!   object is open, ends that entry as malformed.
//! - **Plain text** (anything else): one line per entry, as `kubectl logs`, `docker logs` or a
//!   local file hold them. Blank lines are entries too (tracebacks hold them), and a trailing
//!   `\r` is removed. A line that starts with `[` followed by anything but `{` or `]`, as
//!   gunicorn's `[2026-11-27 07:01:02 +0000] [7] [ERROR] ...` does, is text.
//!
//! An empty input has no entries.
//!
//! ## Compressed and binary input
//!
//! Before the format is detected, the input's first bytes are looked at (a few bytes of a
//! stream, 4 KiB of a file): the library does it, on every way in (`Triage::run`, `run_at`,
//! `run_slice`, `run_file`), so an embedder gets what the command line gets.
//!
//! - **gzip** (`1f 8b 08`, as a Cloud Storage sink's `logs.json.gz` or `gzip app.log` writes
//!   it): decompressed while it is read, member after member (`cat a.gz b.gz`), never held
//!   whole; the formats above are then detected in the decompressed bytes. A file read at
//!   offsets is decompressed as a stream (blocks for the workers are cut from the
//!   decompressed bytes). The report's `totals.gzip` is true. Gzip data that ends early or
//!   is corrupt ends the input where it goes bad: the entries before are read (a last entry
//!   cut short counts as `malformed`), `totals.truncated` is true, and the run is not an
//!   error. A read error of the input itself still is one.
//! - **binary data**: NUL bytes among the first bytes, mostly invalid UTF-8, or another
//!   compression (zstd, bzip2, xz, a zip archive). The input is read as usual (its entries
//!   are counted), and `totals.binary` says why it is not text or JSON
//!   ([`Binary`](crate::Binary)), so that "no failure found" is not taken for a clean bill
//!   of health. The command line prints it as one warning line on stderr.
//!
//! ## Fields read
//!
//! | field | used for |
//! |---|---|
//! | `insertId` | the entries an event spans, a group's samples |
//! | `timestamp` | an event's time, a group's first and last time |
//! | `severity` | severity events; a name (case ignored; `WARN` and `FATAL` accepted) or a `LogSeverity` number |
//! | `logName`, `resource.type`, `resource.labels`, `labels.instanceId` | the stream a split traceback belongs to; the instance links symptoms to causes |
//! | `trace` | links symptoms to causes |
//! | `httpRequest.requestMethod`, `.requestUrl`, `.status` (a number or digits), `.latency` (`"5.123s"`) | failed requests |
//! | `protoPayload.status.message` | the message of an audit entry without `textPayload` or `jsonPayload.message` |
//! | `resource.labels.service_name` (else `container_name`, `function_name`, `module_id`, Cloud SQL's `database_id`) | the service |
//! | `resource.labels.revision_name` (Cloud Run; else `version_id`, App Engine; else `labels."k8s-pod/pod-template-hash"`, GKE) | the revision |
//! | `textPayload`, `jsonPayload.message` | the message |
//! | the other top-level string fields of `jsonPayload` (`stack_trace`, `exception`, `exc_info`, `traceback`, ...) | tracebacks held there |
//! | `jsonPayload.duration_ms` (a number) with `query`, `statement` or `sql` | slow queries |
//!
//! Other fields are ignored, and a known field with an unexpected type is ignored too: neither
//! is an error.
//!
//! ## Plain text: its own time and service
//!
//! A plain-text line has no `timestamp` or `resource` fields, but often carries both. The
//! service comes from a prefix that names it: `docker compose logs`' `web-1  | ` (`web`: the
//! replica number `-1`, or v1's `_1`, is dropped), `kubectl logs --prefix`'s
//! `[pod/<pod>/<container>] ` (the container), honcho's and foreman's `10:00:01 web.1  | `
//! (`web`), syslog's `Nov 26 14:05:03 <host> <tag>[<pid>]: ` (the tag). The time is the one at
//! the start of the line (after such a prefix), bare or in brackets: RFC 3339 (`kubectl logs
//! --timestamps`, `docker compose logs --timestamps`), `2026-11-26 10:00:00,123` (Python
//! logging), `[2026-11-26 10:00:00 +0000]` (gunicorn), `2026-11-26 14:02:11.200 UTC`
//! (PostgreSQL), `[2026-11-26 14:09:02,118: ERROR/MainProcess]` (celery). It is written as
//! RFC 3339 in UTC (`2026-11-26T10:00:00Z`; `+0200` is moved to UTC; a fraction is kept as
//! written) when the line gives a zone (`Z`, `UTC`, `GMT`, an offset), without a zone when it
//! gives none (the logger's local time: `2026-11-26T10:00:00.123`), and as ISO 8601's
//! `--11-26T14:05:03` when it gives no year (syslog). These strings compare in time order
//! within one input, which is what first and last seen need. A time of day alone (honcho's)
//! is no timestamp.
//!
//! ## Entries and their accounting
//!
//! An entry is an array element, an NDJSON object or a text line. Every entry is counted as
//! exactly one of `ok`, `malformed` or `oversize`, so a report always holds
//! `entries = ok + malformed + oversize` (see [`Totals`](crate::Totals)):
//!
//! - **malformed**: an array element or NDJSON line that is not a JSON object; a last entry cut
//!   short (input cut mid-write); an entry that is parsed (below) and that serde_json cannot
//!   read, or that holds a number out of the `f64` range in a field logtriage reads
//!   (`duration_ms`). Nesting of any depth is fine. The report keeps the 1-based lines of the
//!   first 10 malformed entries.
//! - **oversize**: an entry larger than the entry limit (`--max-entry-bytes`,
//!   [`TriageBuilder`](crate::TriageBuilder); 16 MiB by default). The verdict is taken on the
//!   entry's full size (a line without its `\n`; an object from `{` to `}`), so how the input
//!   arrives in reads never changes it. The entry is skipped without being held whole.
//! - **ok**: every other entry.
//!
//! Invalid UTF-8 and lone surrogate escapes (`"\ud800"`) are decoded as U+FFFD; the entry is
//! kept. Line numbers are 1-based and name the line where an entry starts. Timestamps are
//! compared as the instants they name, not as strings: Cloud Logging writes RFC 3339 with a
//! fraction of 0 to 9 digits (`…:02Z` is before `…:02.5Z`), and an offset (`+01:00`) counts;
//! a time without a zone is read as UTC, and one that cannot be read sorts after the others,
//! as a string.
//!
//! ## The fast path and `--validate`
//!
//! Only the entries that may hold a failure are parsed. An entry is a candidate when its raw
//! bytes hold one of the literals `Traceback`, `File "`, `ERROR`, `CRITICAL`, `ALERT`,
//! `EMERGENCY`, `FATAL`, `Exception`, `Error: `, `Error"`, `duration: `, `Query_time`,
//! `duration_ms`, `Memory limit`, `Out of memory`, `OOMKilled`, `MemoryError`, a statement
//! PostgreSQL logged on its own (`LOG:  statement: `, `LOG:  execute `, csvlog's
//! `LOG,00000,"statement: `), `Container called exit(`, `no available instance` or
//! `maximum request timeout` (the last three for platform messages written below `ERROR`), or
//! a `literal` of a rules file's platform row; a slow-query literal counts only when the
//! duration written after it reaches the threshold or cannot be read. While a split traceback
//! or a header line is open in some stream, the entries that carry that stream's instance id
//! and the last segment of its log name (`run.googleapis.com%2Fstderr`) are parsed too (every
//! entry, when the stream has no plain instance id).
//!
//! Read newest first, a split traceback's first lines (its exception line, the source line
//! of its innermost frame) come before its first candidate, a frame line: they are looked
//! back for in the input already read, which the reader keeps for that (128 KiB before the
//! entry, and the entries starting in them; see "Split tracebacks"). Only the entries of the
//! frame line's stream there are parsed, and only when a frame line opens such a traceback.
//!
//! The other entries are only framed, and the framing checks their shape: an NDJSON line,
//! trimmed, starts with `{` and ends with `}`; an array element is a balanced object; a text
//! line is anything. So an entry that is not a candidate and passes these checks counts as
//! `ok` even when it is not valid JSON. `--validate` (`validate(true)` on the builder) parses
//! every entry, so that such an entry counts as `malformed`, at some cost in speed.
//!
//! # Events
//!
//! An event ([`Event`](crate::Event)) is one failure found in the input. Its kind
//! ([`EventKind`](crate::EventKind)) says what made it one: a traceback, a severity, a slow
//! query, an out-of-memory report, a failed request or a platform message. An entry that is
//! part of none of these is not an event. One traceback is one event, never two; a severity
//! event is made only for an entry that holds no traceback; a slow query or an out-of-memory
//! report is an event whatever its severity, and an error entry that is a slow query is one
//! slow-query event, not two. For an entry that holds no traceback the first that applies
//! decides: a failed request, an out-of-memory report, a slow query, a platform message, a
//! severity.
//!
//! Every event has a role ([`Role`](crate::Role)): failed requests and platform messages are
//! **symptoms**, every other kind is a **cause**. A failed request or a platform message is
//! made only from an entry the prefilter picked (see "The fast path"): an entry parsed only
//! because a split traceback was open, or for `--validate`, never makes one, so what is found
//! does not depend on what else was open at the time.
//!
//! ## Tracebacks
//!
//! A Python traceback is found wherever it sits: in `textPayload`, in `jsonPayload.message`,
//! in any other string field of `jsonPayload`, or in plain text. When it sits in a field other
//! than the message, the message goes first in the event's text (it is the log record's
//! header). One event holds the whole traceback:
//!
//! - chained exceptions, after `The above exception was the direct cause of the following
//!   exception:` or `During handling of the above exception, another exception occurred:`;
//! - exception groups (`+ Exception Group Traceback (most recent call last):` and the `| `
//!   margins of their sub-exceptions);
//! - SyntaxError blocks, the caret lines of Python 3.11 and later, notes,
//!   `[Previous line repeated N more times]` and CPython 3.13's `...<N lines>...`;
//! - a prefix on every line (`docker compose logs`' `backend-1  | ` or v1's `web_1  | `,
//!   honcho's and foreman's `16:50:39 web.1  | `, `kubectl logs --prefix`'s
//!   `[pod/name/container] `, journald's `Nov 26 14:05:03 host unit[123]: `, Logs Explorer
//!   rows copied with their severity and timestamp, torchrun's `[rank0]: `, a Markdown
//!   quote's `> `). Digits may differ from line to line; lines with another prefix (another
//!   service) are passed over. A prefix on the first line only (uvicorn's `ERROR:
//!   Traceback ...`) is told apart from one on every line by the traceback's second line;
//! - pastes that lost their indentation: a traceback indented as a whole (inside a list
//!   item, by a tab) whose exception line sits less indented or at column 0, and frames and
//!   source lines all at column 0;
//! - frames without a source line (`<frozen ...>`, Cython `.pyx`, Python 2 run from `.pyc`),
//!   and a `...` line that a person put between frames;
//! - Python 2's exception line `<type 'exceptions.ImportError'>: ...` (also `<class
//!   'pkg.Error'>: ...`), whose type is read as `ImportError` (`pkg.Error`).
//!
//! A traceback may have lost its header, cut off with the text above it. Frame-like lines
//! also show up in prose and code samples, so without a header only this shape is a
//! traceback: two frame lines or more in a row (with their source lines between them)
//! followed by an exception line. Sentry's text layout prints the exception line first, then
//! the frames newest first, and no header: an exception line followed by two frames or more
//! is a traceback too, and its frames are turned around (outermost first, as everywhere
//! else). One frame line, or frames with no exception line before or after them, make no
//! event. When a traceback ends without its exception line and the line before its header
//! is one behind a level word (AWS Lambda's `[ERROR] KeyError: 'x'`), that is its exception.
//!
//! A traceback may also sit inside one line of text:
//!
//! - flattened, its newlines turned into blanks, as Logs Explorer's summary line shows it
//!   (`Traceback (most recent call last): File "a.py", line 3, in f x = g() KeyError:
//!   'k'`): the frames are cut at each `File "`, the exception at the first `Name: ` after the
//!   last frame's function whose name reads as a class (`...Error` and `...Exception` first);
//!   a chain is cut at its separator sentences. Only the message (`textPayload`,
//!   `jsonPayload.message`, a text line) is looked at, and only behind the literal
//!   `Traceback (most recent call last): File "`;
//! - in a JSON document written into the line: an AWS Lambda error document
//!   (`{"errorMessage": ..., "errorType": ..., "stackTrace": [...]}`, its frames as
//!   `File "..."` strings or, from older runtimes, `[file, line, function, source]` arrays),
//!   as a caller logs it (`invoke failed Result:{...}`) or `sam local` prints it; or a JSON
//!   log record printed to a text stream (`{"message": ..., "exc_info": "Traceback ..."}`)
//!   whose string field holds a traceback. The words before the document (and its `message`)
//!   are the event's first line.
//!
//! A pretty-printed `LogEntry` pasted as text after its summary line gives one event (the
//! summary's): its `"textPayload": "..."` line is a field, not a document.
//!
//! A traceback's size is bounded: the event keeps its first and last 128 lines (the lines
//! between become one `...<N lines>...` line, as CPython 3.13 prints) and the first 256
//! `insertId`s it spans. A traceback whole in one entry is cut the same way before it is parsed,
//! so a recursion of a million frames is one event in constant memory.
//!
//! ## Split tracebacks
//!
//! Cloud Run and GKE write un-structured stderr one line per entry. Such a traceback is put
//! back together from the entries of one stream: the same `logName`, `resource.type`,
//! `resource.labels` and `labels.instanceId`. Streams may interleave, and the entries of other
//! streams between its lines are not swallowed; a stray line of the same stream before the
//! exception line does not cut it short. The event lists the `insertId` of every entry it
//! spans, in time order, and its line is the line of its first entry in time.
//!
//! A split traceback without its header starts at a frame line and is followed the same way;
//! if its lines never take the shape above, they are no event. While it waits for that
//! shape it takes no line that is an event by itself (an error line, an out-of-memory
//! report): such a line ends it. Sentry's exception line starts the traceback only when it is
//! the entry just before the first frame, in the same stream.
//!
//! Lines are joined in the order of their timestamps, whichever order the input has: oldest
//! first, as `gcloud logging read --order=asc` and a logging sink write them, or newest first,
//! gcloud's default. The order is decided per stream, from one line's timestamp to the next
//! (nothing is assumed of the input as a whole), so streams may interleave either way.
//! Entries that share one timestamp keep the order of the input, which is then their order
//! in time: gcloud keeps it among them, and a traceback written at once, its lines of one
//! timestamp, comes in its own order in either export. Plain-text lines (whose time their
//! prefix gives) and entries without a timestamp are joined in input order.
//!
//! A traceback read newest first is found by its first frame line the prefilter lets
//! through; the lines after it in time came before it in the input and are looked back for
//! (among the 128 entries and 128 KiB before it, in the same stream, as long as a traceback
//! read forwards would have waited between them), the lines before it in time are collected
//! as they come (frames, its `Traceback (most recent call last):` line, a chain's separator
//! and the traceback before it, the log record's header line), and the lines are then taken
//! in time order as if read forwards: the events, their text and `insertId`s, fingerprints
//! and groups are those of the same export read oldest first. The bounds apply to the lines
//! in time order, as read forwards: a traceback keeps its first and last 128 lines; it ends
//! where, read forwards, it would have ended after 1000 (or 32) entries without a line; a
//! header line 32 entries or more from its traceback does not join it. Looking back is the
//! one bound of its own: a line more than 128 entries (or 128 KiB) before the first frame
//! line of its traceback is not found, where read forwards a traceback waits up to 1000
//! entries for its exception line. An error-level line that may be a traceback's last (GKE
//! makes every stderr line error-level) waits 128 entries for the frames that may follow it
//! in the input, and the header line of a traceback read after it waits until the line
//! before it shows it is no exception line of a traceback before.
//!
//! A few layouts of pastes and terminals are put back together only when read oldest first
//! (plain text always is: it is read in input order). Read newest first:
//!
//! - Sentry's exception line printed before the frames comes after them, and the frames
//!   without it are a traceback that lost its header and its exception line: no event;
//! - a traceback is found at a frame line indented as CPython prints it, at the start of the
//!   entry's text: frames that lost their indentation (flush left), and a traceback whose
//!   every line carries a prefix (`docker compose`, journald, `kubectl --prefix`, honcho, a
//!   viewer's columns), are not put back together;
//! - a stray line among the frames of a traceback that lost its header is passed over, as
//!   among any traceback's frames, where read forwards it ends that traceback.
//!
//! A split traceback ends when no entry continues it: after 1000 entries of any stream while it
//! waits for its exception line, or after 32 once it has one (only a chained exception could
//! still continue it). At most 64 streams hold an open traceback or a waiting header at once;
//! the oldest is ended to make room.
//!
//! While database entries wait for the lines that complete them (below), the entries after
//! them are parsed too, for at most 32 entries.
//!
//! ## Header lines
//!
//! A log record's own header line, directly before its traceback in the same stream, belongs
//! to that traceback's event: gunicorn's `[ERROR] Exception in worker process`, `ERROR:root:...`,
//! uvicorn's `Exception in ASGI application`. Only un-structured lines (`textPayload`, plain
//! text) wait for a traceback, for at most 32 entries; a structured record carries its own
//! traceback. A header joins only a traceback with the same prefix (the same `docker compose`
//! service). Up to two lines that go on with the record's message come between them
//! (celery's `consumer: Cannot connect to ...` then `Trying again in 4.00 seconds...`): lines
//! behind the header's prefix with no timestamp, bracket or level word of their own, no
//! indentation, and no event by themselves; they are part of the event's text when the
//! traceback follows, and stay lines of their own otherwise. A traceback without its header
//! joins no header line. Read newest first, the header comes after its traceback (and after
//! the lines held between them) and joins it the same way, a traceback whole in one entry
//! included.
//!
//! ## Severity events and level words
//!
//! An entry of severity `ERROR`, `CRITICAL`, `ALERT` or `EMERGENCY` that holds no traceback is
//! an event made from its message. An entry without a severity (or with `DEFAULT`), as
//! un-structured stderr is, takes its level from a level word among the first words of its
//! text: `ERROR:`, `[ERROR]`, `CRITICAL`, `FATAL` (which counts as `CRITICAL`), `WARN`,
//! `INFO`, ... Timestamps and a `[pid]` before the word are passed over, as gunicorn prints
//! them; celery's bracket counts (`[2026-11-26 14:05:03,412: ERROR/MainProcess] ...`); and
//! behind the prefix of a viewer or process manager (`docker compose`, honcho, foreman,
//! `kubectl logs --prefix`, torchrun, journald and syslog: `worker-1  | ERROR: job 17
//! failed`, `Nov 26 14:05:03 api-1 gunicorn[4312]: [...] [ERROR] ...`) the word after the
//! prefix counts. An event's message leaves out the logger's timestamp, pid and
//! level prefix.
//!
//! ## Slow queries
//!
//! A slow query is, at or above the threshold (`--slow-ms`, `slow_ms` on the builder; 1000 ms
//! by default):
//!
//! - a PostgreSQL duration line, as Cloud SQL's `postgres.log` holds it:
//!   `LOG:  duration: 5123.456 ms  statement: SELECT ...`, also `execute <name>:` (and `parse`,
//!   `bind`), behind any `log_line_prefix`, or as a `csvlog` record (below);
//! - a bare `LOG:  duration: 5123.456 ms`, as `log_duration` writes it when `log_statement`
//!   already logged the statement (`LOG:  statement: ...` or `LOG:  execute <name>: ...`):
//!   the statement is the last one the same backend (the `[pid]` of the prefix, csvlog's
//!   `process_id`) logged in the same stream within the 32 entries before it, and not later in
//!   time than the duration. In a newest-first export (gcloud's default order) the statement
//!   comes after its duration: a statement of the same backend within the next 32 entries
//!   whose time is not later than the duration's is taken (a later one is the backend's next
//!   query). Without a statement within reach, the slow query has no subject;
//! - a MySQL slow-log block: `# Query_time: 3.000123 ...` (seconds), with the statement on the
//!   lines after it (not `# ...`, `use db;` or `SET timestamp=N;`), in the same entry or in the
//!   next entries of the same stream (`mysql-slow.log` routed line by line; a text file): the
//!   statement ends with its `;`, or where the next block's `#` header starts, or after 32
//!   entries;
//! - a `jsonPayload` with a numeric `duration_ms` and a string `query`, `statement` or `sql`.
//!
//! ## Database entries that belong together
//!
//! A PostgreSQL server writes one report as several lines: `ERROR:  canceling statement due
//! to statement timeout` then `STATEMENT:  SELECT ...`; `ERROR:  deadlock detected` then
//! `DETAIL:` (continued on TAB-indented lines), `HINT:`, `CONTEXT:` and `STATEMENT:`. An
//! `ERROR`, `FATAL` or `PANIC` line and the `DETAIL`, `HINT`, `CONTEXT`, `QUERY`, `LOCATION` and
//! `STATEMENT` lines of the same backend after it, in the same stream, are one event, whose
//! statement is the subject when the deciding pattern names none (so a deadlock is
//! `unclassified` with its statement, a statement timeout `slow_query` with it). Lines of other
//! backends may come between. The event ends at the backend's next line of another kind, at
//! its next error, or after 32 entries without a line of its own. A PostgreSQL line is a level
//! word followed by `:` and exactly two spaces, at the start of the line or after a prefix that
//! holds a `[pid]` or starts with a digit (uvicorn's `ERROR:    ` has four spaces, and is not
//! one).
//!
//! A `csvlog` record (`log_destination = 'csvlog'`: a time, then comma-separated columns) is
//! read by its columns: `error_severity` is the level, `message` the message, `detail`,
//! `hint` and `context` its details and `query` its statement, so an error record is one event
//! by itself. A quoted column may hold newlines: the record's lines are put back together
//! (up to 256) before it is read. Cloud SQL entries name their database
//! (`resource.labels.database_id`, `project:instance`) as the service.
//!
//! In an export read newest first these events are the same as oldest first: the lines
//! after an error, a MySQL block's statement and a `csvlog` record's later lines come before
//! it in the input, and are taken back when they are of its stream (and backend), not earlier
//! in time than it and, when the prefix numbers the session's lines (`%l`, Cloud SQL's
//! `[N-1]`), numbered after it; a line tied in time with an error of its backend read after
//! it is that error's. The same bound of 32 entries applies between two lines either way.
//! Plain text is read as written.
//!
//! ## Failed requests
//!
//! A request log entry (`httpRequest`: Cloud Run's `run.googleapis.com/requests`, App Engine,
//! a load balancer) with a `status` of 500 or more is an event of kind `request`, whatever its
//! severity (Cloud Run writes 5xx at `ERROR`, which the prefilter picks; a 5xx entry written
//! below `ERROR` is found only when it holds another literal). It keeps the method, the
//! route, the status and the latency ([`Request`](crate::Request)), the `trace`, the instance
//! and the revision. The route is the URL's path without query or fragment, with id-like
//! segments replaced by `{id}` ([`route_of`](crate::route_of)): digits (`42`, `2026-11-26`),
//! hex of 8 characters or more with a digit (UUIDs too), and tokens that mix letters and
//! digits (`th_5d1c0e`; `v1`, `oauth2`, `sha256` stay). Its message reads
//! `GET /api/threads/{id} → 500 in 5.1 s` (`in 21 ms` under a second), followed by the
//! platform's reason in parentheses when the entry's text is a refusal of the table below
//! (`GET /health → 503 in 10.0 s (no available instance)`). Failed requests group by method,
//! route, status and that reason; their category is that of the entry's own text (a request
//! timeout is a `timeout`), else `unclassified`.
//!
//! ## Platform messages
//!
//! Cloud Run's and the servers' own words about a dying instance or a refused request make an
//! event of kind `platform`, whatever the entry's severity, when the message matches a row of
//! the platform table (rules data: the built-in rows below, and a rules file's `platform`
//! rows). A row's kind is `exit` (an instance, container or worker died or never started) or
//! `refusal` (the platform refused or cut a request). A request log entry under 500 whose text
//! is a refusal (a 429 with "no available instance") is a platform message that keeps its
//! request.
//!
//! | id | kind | the message (real wording, numbers vary) |
//! |---|---|---|
//! | `container_exit` | exit | `Container called exit(1).` (not `exit(0)`, a clean end) |
//! | `startup_probe_failed` | exit | `Default STARTUP TCP probe failed 1 time consecutively for container "app" on port 8080. ...` (TCP, HTTP, GRPC) |
//! | `liveness_probe_failed` | exit | `LIVENESS HTTP probe failed 3 times consecutively for container "app" on port 8080 path "/livez". The instance has been shut down.` |
//! | `port_not_listening` | exit | `... The user-provided container failed to start and listen on the port defined provided by the PORT=8080 environment variable ...` (and the older `Failed to start and then listen on the port defined by the PORT environment variable`) |
//! | `gunicorn_worker_exit` | exit | `Worker (pid:7) exited with code 3` (a non-zero code) |
//! | `gunicorn_worker_killed` | exit | `Worker (pid:21) was sent SIGKILL! Perhaps out of memory?` |
//! | `gunicorn_master_shutdown` | exit | `Shutting down: Master` (gunicorn logs it at `ERROR` after a failure, at `INFO` otherwise: only the first is picked) |
//! | `gunicorn_boot_failed` | exit | `Reason: Worker failed to boot.`, `Reason: App failed to load.` |
//! | `uvicorn_startup_failed` | exit | `Application startup failed. Exiting.` |
//! | `no_available_instance` | refusal | `The request was aborted because there was no available instance.` |
//! | `malformed_response` | refusal | `The request failed because either the HTTP response was malformed or connection to the instance had an error.` |
//! | `request_timeout` | refusal | `The request has been terminated because it has reached the maximum request timeout.` |
//! | `instance_failed_to_start` | refusal | `The request failed because the instance could not start successfully.` |
//!
//! A platform message is classified by its text as any other event (its category is mostly
//! `unclassified`; gunicorn's SIGKILL line is `out_of_memory`) and carries its row's id and
//! kind ([`PlatformMessage`](crate::PlatformMessage)).
//!
//! ## Out of memory
//!
//! A platform's out-of-memory report, whatever its severity: Cloud Run's `Memory limit of 512
//! MiB exceeded with 519 MiB used`, a kernel's `Out of memory: Killed process 1234 (python)`, a
//! container's `OOMKilled` status.
//!
//! # Categories
//!
//! Every event gets exactly one category ([`Category`](crate::Category)), with an optional
//! subject; both are part of its [`Classification`](crate::Classification). Categories are data:
//! the built-in ones come from the crate's `rules.json`, and a rules file (below) adds or
//! changes them without recompiling. The built-in ids are stable:
//!
//! | id | rank | what decides it | subject |
//! |---|---|---|---|
//! | `undefined_symbol` | 10 | `NameError`, `UnboundLocalError`, `cannot import name 'X'`, `module 'M' has no attribute 'X'` (Python 2: `'module' object has no attribute 'X'`), a native `undefined symbol: X` | the symbol `X` |
//! | `missing_module` | 20 | `ModuleNotFoundError: No module named 'M'` (also unquoted, as Python 2 writes it), `libX.so: cannot open shared object file`, a distribution that is not installed | the module, library or distribution |
//! | `out_of_memory` | 30 | the out-of-memory reports above, `MemoryError`, `CUDA out of memory`, `Cannot allocate memory` | none |
//! | `connection_refused` | 40 | a refused connection from any client (the standard library, redis-py 2 to 5, psycopg2 and libpq before and after 14, psycopg 3, asyncpg, aiohttp, httpx, urllib3 and requests, grpc, pymongo, PyMySQL and mysqlclient, kombu and celery, pika): errno 111 or 10061 (also MySQL's `(111)`), `Connection refused`, `Connect call failed`, `actively refused` | `host:port` when the text names it (`host:port: [Errno 111]` first, `Error 111 connecting host:port`, libpq's `host "db" ... port 5432` as `db:5432`, an AMQP URL's host and port, an IPv6 host in brackets), a Unix socket's path; none for a host without its port |
//! | `timeout` | 50 | `TimeoutError`, `asyncio.TimeoutError`, `socket.timeout`, `timed out`, gRPC's `DEADLINE_EXCEEDED`, gunicorn's `WORKER TIMEOUT` | `host:port` when the text names it |
//! | `slow_query` | 60 | a slow query (above); a statement timeout (`canceling statement due to statement timeout`, `QueryCanceledError`, MySQL's `maximum statement execution time exceeded`) | the statement, its literals replaced by `?`; none when no statement was within reach |
//! | `unclassified` | 1000 | an event that matches none of the above | none |
//!
//! The rank orders a report: lower ranks come first, so a startup crash is listed before a slow
//! query.
//!
//! ## What decides
//!
//! - **A traceback.** Its exceptions are tried in print order (for a chain, the original cause
//!   first; an exception group's children after the group), each as its `Type: message` text.
//!   The first that matches a category decides: a `ConnectionRefusedError` under a
//!   `sqlalchemy.exc.OperationalError` makes the event `connection_refused`. When none
//!   matches, the event is `unclassified`, with the exception that surfaced (the last one
//!   printed); a traceback cut before its exception line has none.
//! - **A slow query** is `slow_query`, with its statement as subject: quoted strings, numbers
//!   and `$N` parameters replaced by `?`, an `IN (...)` list of them collapsed to `IN (?)`,
//!   whitespace collapsed, a trailing `;` dropped. Without a statement it is still
//!   `slow_query`, with no subject.
//! - **An out-of-memory report** is `out_of_memory`.
//! - **Any other event** is matched by its text. When the deciding pattern names no subject
//!   and the event's database lines name a statement (a PostgreSQL `STATEMENT:` line, a
//!   `csvlog` `query`), the statement is the subject, its literals replaced as above.
//!
//! When one text matches patterns of several categories, the first pattern wins: a rules file's
//! patterns are tried before the built-in ones (a later file's before an earlier one's), each
//! file in its order, so a narrow user category can claim a message that a broad built-in
//! pattern would take. Among the built-ins, `slow_query` is tried before `timeout`, so a
//! statement timeout is a slow query.
//!
//! ## Subject, message and frames
//!
//! The subject is what the deciding pattern captures (a named group `subject`, or `host` and
//! `port` joined as `host:port`). When the deciding text names none, a later exception of the
//! same category in the chain may give it: a `ConnectionRefusedError` names no host, the
//! `redis.exceptions.ConnectionError` raised while handling it does. When no exception of the
//! traceback names one, the log record's header lines before it may, for the same category
//! (celery's `Cannot connect to amqp://...@rabbitmq-1:5672//` before a Python 2 `error:
//! [Errno 111] Connection refused`). Subjects are cut to 300
//! characters and messages (the first line of the deciding exception's message, or of the
//! event's text) to 500.
//!
//! An event's frames are the in-app frames of the deciding exception, outermost first: frames
//! of the application's own code, not of site-packages or dist-packages, the standard library,
//! `<frozen ...>` modules, Cython `.pyx` files or console scripts in a `bin/` directory. When
//! the deciding exception has no in-app frame (an error raised inside a library and wrapped),
//! the next exception of the chain that has one gives them, so a caught-and-wrapped error still
//! points at the application's code.
//!
//! # Grouping and the fingerprint
//!
//! Events with the same [`Fingerprint`](crate::Fingerprint) form one [`Group`](crate::Group).
//! The fingerprint is stable across runs, machines and releases, so the same bug on any
//! instance, revision or day gets the same one. It is the 64-bit FNV-1a hash of these fields,
//! each followed by the byte `0xff`, and is written as 16 lowercase hex digits:
//!
//! 1. the version tag `logtriage-fp-2` (`logtriage-fp-1` until ids inside messages were
//!    normalized: every fingerprint changed then);
//! 2. the category id;
//! 3. the deciding exception type as printed (empty when there is none);
//! 4. the message, normalized (below); for `slow_query`, the subject (the statement with its
//!    literals replaced);
//! 5. for each in-app frame, outermost first: the file's last two path components, then the
//!    function. Line numbers are left out: they move with every unrelated edit.
//!
//! Normalizing a message collapses runs of whitespace and drops CPython's trailing
//! `. Did you mean: 'x'?` hint. A quoted literal is kept when it is exactly the subject and
//! becomes `'<str>'` otherwise. Outside quotes, the part of a path up to `site-packages/` or
//! `dist-packages/` becomes `<site-packages>/`, UUIDs `<uuid>`, `0x...` and long hex runs
//! `<hex>`, ids `<id>`, IPv4 and IPv6 addresses (with a port) `<ip>`, and numbers `<n>`. As
//! Error Reporting groups a failure by its type and frames, not by the ids in its message, an
//! id is: a prefixed id (2 to 8 small letters, `_`, then 6 or more letters and digits with a
//! digit among them: Stripe's `pi_3PqZ8a2e...`, `ch_...`, `cus_...`, our `ord_...`); a
//! base64-like run (16 or more letters and digits with capitals, small letters and digits,
//! and its `=` padding); a word of 8 or more letters and digits with a digit between two
//! letters (`Lm3kQ9zXa81bCd`, `6745a1f2`). A word followed by a number (`backups2024`,
//! `pro2025`) is not an id. Any change to these ingredients changes every fingerprint, and
//! bumps the version tag.
//!
//! A failed request's fingerprint is the same hash of the version tag, the category, the
//! field `request`, the method, the route, the status and the platform reason's row id (each
//! empty when there is none): latency and ids do not split a group.
//!
//! A group takes its category, role, exception, message, subject and top frame from its first
//! event (the earliest, whatever the input's order: see "The JSON report"), and counts its
//! events, their first and last timestamps, the services seen, its events per revision (see
//! "Deploys") and up to 5 sample `insertId`s (the first entry of each of its earliest
//! events). It keeps
//! its events per minute (a [`Timeline`](crate::Timeline)), and for slow queries their
//! durations, for failed requests their latencies, in a [`Sketch`](crate::Sketch): a
//! log-bucket histogram whose quantiles are within 1% of the exact ones (DDSketch's idea,
//! buckets of ratio `γ = 1.01/0.99`), which adds bucket by bucket when reports merge.
//!
//! A report lists causes first, by impact (the failed requests plus the exits they explain,
//! below), then by count (most first), with the category's rank only breaking ties, then by
//! first timestamp; symptoms follow, by count. The report of two consecutive shards of an
//! input, merged, equals the report of the whole input (links, timelines and percentiles
//! included); the second shard's line numbers are placed after the first's.
//!
//! # Causes and symptoms
//!
//! When a report is finished ([`Report::rank`](crate::Report::rank), and again after
//! [`Report::merge`](crate::Report::merge)), each symptom is linked to a cause in the input
//! by the first of these rules that applies ([`Evidence`](crate::Evidence)):
//!
//! 1. `trace`: a cause from an entry with the same `trace` (apps that log structured JSON with
//!    `logging.googleapis.com/trace` get it on their entries); of several, the first in time.
//! 2. `instance`: the same `labels.instanceId`, and for a symptom that carries a request (a
//!    failed request, a refusal) the cause's time inside the request's span (`timestamp ..
//!    timestamp + latency`, one second of slack either side; of several, the one nearest the
//!    span's end); for an exit, the nearest cause on that instance at most 60 s before it.
//! 3. `revision`: in a revision whose every instance named by the input's failing entries
//!    exited after a cause linked by rule 1 or 2 (a crash loop), the failed requests and
//!    refusals still unlinked link to its most frequent crash cause.
//!
//! Input order does not matter (gcloud prints newest first by default): links are computed
//! from marks kept sorted, in bounded memory: a mark for each failing entry that can link (a
//! cause with a trace or an instance; a symptom with a trace, an instance or a revision), at
//! most 65,536 for causes and as many for symptoms, the earliest in time when there are more
//! ([`MAX_MARKS`](crate::MAX_MARKS)); about 80 bytes each plus its trace. An instance that only
//! served successful requests leaves no mark (its entries are never parsed), so it does not
//! keep its revision from being taken for a crash loop.
//!
//! A cause group's `impact` ([`Impact`](crate::Impact)) counts the failed and refused requests
//! linked to it (by status and by method and route) and its linked exits; a symptom group's
//! `caused_by` ([`CauseLink`](crate::CauseLink)) counts its events per cause and evidence, and
//! `unexplained` those no cause explains.
//!
//! # Deploys
//!
//! An event's revision is its first entry's (see "Fields read"); its service likewise. Each
//! group counts its events per revision of each service, with their first and last timestamps
//! ([`Revisions`](crate::Revisions)). A revision is known from its events: only candidate
//! entries are parsed (see "The fast path"), so a revision that logged no failure is not seen,
//! and a revision's span and count are those of its events. (Reading every entry's revision
//! cost 17% more instructions on a Cloud Run export, 37% with its timestamp.)
//!
//! For each service whose events came from two or more revisions, the report lists a
//! [`Deploy`](crate::Deploy): its revisions ordered by their first event's time (read as a
//! time; input order does not matter, newest first or oldest first), each with its first and
//! last timestamp and its event count; the last one is the *latest*. The latest is *settled*
//! when its events span at least 10 minutes or number at least 200. Each group of such a
//! service gets a [`DeployVerdict`](crate::DeployVerdict) against the latest revision:
//!
//! | verdict | when |
//! |---|---|
//! | `new` | its events of the service came from the latest revision only |
//! | `persisting` | from the latest revision and an earlier one |
//! | `gone` | from earlier revisions only, and the latest is settled |
//! | `not_seen_yet` | from earlier revisions only, and the latest is not settled |
//!
//! A group of no such service has none (`null`); a group seen in several services with
//! deploys takes the first of `new`, `persisting`, `not_seen_yet`, `gone` that one of them
//! gives. Events that named no service count in their group's revisions but in no deploy.
//!
//! The deploys and the verdicts are *derived*: [`Report::rank`](crate::Report::rank) (which
//! every run ends with) and [`Report::merge`](crate::Report::merge) compute them from the
//! groups' revisions, which merge exactly (counts add, times widen). Shards of an input merged
//! and ranked give the verdicts of the whole input.
//!
//! # Baselines
//!
//! [`Report::compare`](crate::Report::compare) compares a report with a *baseline*, a report of
//! the same services saved earlier (`--baseline FILE`, a file written by `--format json`; read
//! with [`Report::load`](crate::Report::load)). Groups are matched by fingerprint. A group's
//! rate is its events per hour of its report's span (the first to the last timestamp of the
//! report's events, at least one minute; when either report has no timestamps, counts are
//! compared instead). Its p95 is the 0.95 quantile of its `duration_ms` (slow queries) or
//! `latency_ms` (failed requests) sketch: within 1% of the exact value, and the same for any
//! input order or sharding, since sketches merge exactly. Its
//! [`BaselineVerdict`](crate::BaselineVerdict):
//!
//! | verdict | when |
//! |---|---|
//! | `new` | the baseline has no group of its fingerprint |
//! | `regressed` | its rate is at least 2 times the baseline's and it has at least 5 events; or (slow queries and failed requests) its p95 duration or latency is at least 2 times the baseline's |
//! | `improved` | not regressed, and its rate is at most half the baseline's |
//! | `same` | neither |
//!
//! A verdict carries what decided it (`by`: `rate` or `p95`), the factor (now over then, 2
//! decimals; the larger one when both regressed) and the group's count in the baseline. The
//! baseline's groups with no group of their fingerprint now are *gone*: their fingerprint,
//! title, category, count then and known issue. [`Report::set_baseline`](crate::Report::set_baseline)
//! keeps the verdicts in the report (each group's `baseline`, the report's `gone`); they are
//! derived from the baseline, and [`Report::merge`](crate::Report::merge) drops them.
//!
//! A baseline must be a report of this [`SCHEMA_VERSION`](crate::SCHEMA_VERSION): a report of
//! another version ([`Error::SchemaVersion`](crate::Error::SchemaVersion)), a file that is not a
//! report (a log export, any other JSON or text) or one that cannot be read is an error that
//! names the file; the `triage` example exits 2 before reading the logs.
//!
//! # Known issues
//!
//! A known-issues file (`--known-issues FILE`, [`KnownIssues`](crate::KnownIssues)) links groups
//! to the issues of a tracker that already track them. Two formats are read, told apart by
//! their shape, and several files may be given (the option repeated,
//! [`TriageBuilder::known_issues_file`](crate::TriageBuilder::known_issues_file) called again):
//! their issues are used together.
//!
//! ## The hand-written format
//!
//! ```json
//! {"issues": [
//!   {"id": "903", "title": "Backend startup: UnifiedExecutionEngineFactory undefined",
//!    "url": "https://github.com/netra-systems/netra-apex/issues/903",
//!    "category": "undefined_symbol", "pattern": "UnifiedExecutionEngineFactory",
//!    "service": "netra-backend-staging"}
//! ]}
//! ```
//!
//! - `id` (a string, or a whole number such as `903`), `title` and `category` are required and
//!   not empty; `url`, `pattern` and `service` are optional, and when given not empty. Any other
//!   field is an error.
//! - `category` is a built-in category or one that a rules file adds.
//! - `pattern` is a regex searched in the event's `Type: message` line (the message alone when
//!   it has no exception type) and in its subject; `service` must equal the event's service.
//! - An entry matches an event when the category is equal and every optional matcher it gives
//!   matches. When several entries match, the one with more matchers wins; on a tie, the first
//!   in the file. An entry with only a category links that whole category.
//! - One id may appear in several entries, to link one issue to several kinds of event (a crash
//!   and the `Application startup failed` line it causes).
//!
//! ## The tracker's export
//!
//! The JSON array that `gh issue list --state all --limit 1000 --json
//! number,title,url,state,labels,body > issues.json` writes (on one line, or pretty-printed):
//! each element an object with `number` (a whole number) and `title`, and optionally `url`,
//! `state` (`OPEN` or `CLOSED`, in any case), `labels` (objects) and `body` (Markdown). Other
//! fields are ignored. A top-level array whose first element has a `number` (or an empty one)
//! is an export; `fixtures/known_issues_gh.json` is the staging incident's. The same issue (id
//! and url) in two files counts once.
//!
//! Such issues name no category and no pattern: an event is linked to the issue that quotes
//! what the event is about. The event's terms are:
//!
//! | term | weight |
//! |---|---|
//! | the subject (a symbol, a module, `host:port`), when it has no space | 3 |
//! | a `host:port` in the subject or message; its host; its port | 3; 1.5 (0.75 for a host without a dot or dash, `redis`); 0.75 |
//! | a dotted module path in the message (`a.b.C`, 3 parts or more; 2 parts); its last part when it has a `_` or 8 letters | 2.5; 1.5; 1.5 |
//! | an exception type of the traceback, qualified (`redis.exceptions.ConnectionError`); a bare one, or the last part | 1.5; 0.5 |
//! | an in-app frame's function (not `<module>`, not `__dunder__`, 4 letters or more); its file's name (`smd.py`) | 1; 0.75 |
//! | a CamelCase name of the message or an in-app source line (`WebSocket`; longer ones weigh more) | 1 to 2 |
//! | for a slow query (or a statement timeout with its statement): each table after `FROM`, `JOIN`, `UPDATE`, `INTO`; each column, qualified or with a `_` (12 at most) | 2; 0.5 |
//! | the longest literal run of the normalized message, when it has 3 words, 2 of them rare, and 16 characters | 2.5 |
//! | each rare word of the normalized message (4 letters or more, not common; 12 at most) | 0.5 |
//!
//! An issue is split into tokens the same way: runs of letters, digits and `_ . : / -`, case
//! folded, trimmed of `. : / -` at their ends, with their pieces between `/`, `:`, `-` and
//! between dots: `10.0.0.5:6379`, `smd.py` and `E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory`
//! are found in a title or a body as written. A term found in an issue adds its weight times
//! its rarity, `ln((N + 1) / df) / ln(N + 1)` for `N` issues of which `df` hold it (1 for a term
//! only one issue has), and half as much again when it is in the title. Common words (`error`,
//! `failed`, `connection`, `refused`, `timeout`, `request`, ...) are never terms, so they never
//! link alone. The best issue is linked when its score is at least 2.5 and at least 1.5 times
//! the next issue's: two issues close in score are both left out. The issues are scored once
//! per fingerprint, not per event.
//!
//! A hand-written entry that matches wins over a text match, whatever the files' order.
//!
//! ## The link
//!
//! An event and its group carry the matching issue as an [`IssueRef`](crate::IssueRef): `id`,
//! `title`, `url`; `state` (`open` or `closed`, when the tracker gave one; a group linked to a
//! closed issue is shown as `regression of closed #N`); and `match`: `by` (`pattern` for a
//! hand-written entry, `text`), `score` (the text match's, rounded to two decimals; null for a
//! pattern) and `terms` (for a text match, the terms found, strongest first; for a pattern,
//! the text it matched). A group that no issue matches gets a suggested title instead, of at
//! most 100 characters: the symbol or module and where the application raised it, the refused
//! `host:port` and the client's exception, the slow statement; otherwise `Type: message in file
//! function`.
//!
//! ## Errors
//!
//! An invalid file is rejected when it loads, in the file's words, with the file and, for an
//! entry, its index and id ([`Error`](crate::Error)):
//! `known.json: issue 1: id "2": unknown category "cuda_oom" (known: ...)`,
//! `known.json:1:1: expected an object with an "issues" array, found an array whose first entry
//! has no "number" ...`, ``issues.json: issue 4: #918: field `state` must be "OPEN" or "CLOSED",
//! found "MERGED"``, ``known.json: issue 0: missing field `title` ``. The rules file's errors
//! read the same way.
//!
//! # The rules file
//!
//! A rules file (`--rules FILE`, repeatable; [`Classifier`](crate::Classifier)) adds categories
//! or changes the built-in ones:
//!
//! ```json
//! {"categories": [
//!   {"id": "cuda_oom", "rank": 35,
//!    "patterns": ["CUDA out of memory\\. Tried to allocate (?P<subject>[\\d.]+ [KMG]iB)"]},
//!   {"id": "timeout", "patterns": ["\\bpool exhausted after \\d+s\\b"]},
//!   {"id": "connection_refused", "replace": true,
//!    "patterns": ["(?i)connection refused", "Connect call failed \\('(?P<host>[^']+)', (?P<port>\\d+)"]},
//!   {"id": "slow_query", "rank": 15}
//! ]}
//! ```
//!
//! - Each entry of `categories` names a category `id`, in snake_case (`[a-z][a-z0-9_]*`).
//! - A new id adds a category; it needs at least one pattern; its `rank` defaults to 500.
//! - An id that exists (built-in, or from an earlier file) gets the entry's `patterns` added,
//!   or with `"replace": true` they replace all the patterns it had so far.
//! - `rank` (optional) sets the report order, lower first; the built-in ranks are in the table
//!   above. `unclassified` is the fallback: it takes a `rank` but no patterns.
//! - Patterns are `regex` crate syntax, matched against an exception's `Type: message` text
//!   (the message may span lines) or, for an event without a traceback, against its text. A
//!   named group `subject`, or the groups `host` and `port`, gives the subject.
//! - Unknown fields, a bad id and an invalid regex are rejected when the file loads, with the
//!   file, the entry's index and the reason:
//!   `triage: rules.json: rule 0: pattern 0 ("Unified((") is not a valid regex: ...`.
//!
//! A rules file may also hold `platform` rows (either array may be left out), which add to
//! the platform-message table (see "Platform messages"):
//!
//! ```json
//! {"platform": [
//!   {"id": "gunicorn_worker_signal", "kind": "exit", "title": "gunicorn worker killed",
//!    "pattern": "Worker with pid \d+ was terminated due to signal 9",
//!    "literal": "was terminated due to signal"}
//! ]}
//! ```
//!
//! - `id` (snake_case) names the row; a new id adds a row, tried before the built-in ones; an
//!   id that exists replaces that row in its place.
//! - `kind` is `exit` or `refusal`; `pattern` is a regex searched in the entry's message;
//!   `title` (optional) is a few words for a failed request's message.
//! - `literal` (optional) is a string every matching message holds; the prefilter then picks
//!   entries that hold it. A row without one matches only entries the prefilter picks anyway
//!   (an error level, an `ERROR` level word, ...): give one for a message logged below `ERROR`.
//! - A bad row is rejected with the file, `platform row N` and the reason.
//!
//! # Output
//!
//! A run gives each event to a [`Sink`](crate::Sink) as soon as it is found, and returns a
//! [`Report`](crate::Report). The library defines their JSON form, with the fields below, and
//! reads it back; the `triage` example prints the report with `--format json` and the events
//! with `--format ndjson` (`--format text`, the default, is for a person).
//!
//! ## The JSON report
//!
//! A cause and a symptom group of the staging fixture's report (`sample_text` and
//! `timeline.counts` shortened):
//!
//! ```json
//! {
//!   "schema_version": 2,
//!   "totals": {"entries": 804, "ok": 804, "malformed": 0, "oversize": 0, "events": 72,
//!              "lines": 17699, "symptoms": 32, "symptoms_explained": 31, "malformed_lines": [],
//!              "span": {"first": "2026-11-26T14:01:35.300004867Z",
//!                       "last": "2026-11-26T14:38:08.900018682Z"},
//!              "services": ["netra-auth-service", "netra-backend-staging"]},
//!   "deploys": [
//!     {"service": "netra-backend-staging",
//!      "revisions": [
//!        {"revision": "netra-backend-staging-00041-abc", "first_seen": "2026-11-26T14:01:35.300004867Z",
//!         "last_seen": "2026-11-26T14:38:08.900018682Z", "events": 40},
//!        {"revision": "netra-backend-staging-00042-xyz", "first_seen": "2026-11-26T14:22:10.000012823Z",
//!         "last_seen": "2026-11-26T14:26:45.900013788Z", "events": 9}],
//!      "settled": false}
//!   ],
//!   "groups": [
//!     {"fingerprint": "7d3b259818ea3f70", "category": "undefined_symbol", "role": "cause",
//!      "exception": "NameError", "message": "name 'UnifiedExecutionEngineFactory' is not defined",
//!      "subject": "UnifiedExecutionEngineFactory",
//!      "top_frame": {"file": "/app/netra_backend/app/smd.py", "line": 1687,
//!                    "function": "_initialize_factory_patterns",
//!                    "source": "execution_factory = UnifiedExecutionEngineFactory("},
//!      "count": 6, "first_seen": "2026-11-26T14:08:41.500010402Z",
//!      "last_seen": "2026-11-26T14:15:21.000003183Z",
//!      "services": ["netra-backend-staging"],
//!      "revisions": [{"service": "netra-backend-staging", "revision": "netra-backend-staging-00041-abc",
//!                     "count": 6, "first_seen": "2026-11-26T14:08:41.500010402Z",
//!                     "last_seen": "2026-11-26T14:15:21.000003183Z"}],
//!      "samples": ["6b083d6900000ef3e073b362", "6b083d69000f04ffe5760462", "czt9mqv11lpqvz",
//!                  "6b083ddd0009e85f557e7cdd", "6b083eae0004cf8664a46ed9"],
//!      "known_issue": {"id": "903", "title": "E2E-DEPLOY-Missing-UnifiedExecutionEngineFactory-Startup",
//!                      "url": "https://github.com/netra-systems/netra-apex/issues/903",
//!                      "state": "open",
//!                      "match": {"by": "text", "score": 6.75,
//!                                "terms": ["UnifiedExecutionEngineFactory", "_initialize_factory_patterns",
//!                                          "smd.py", "NameError"]}},
//!      "suggested_title": null,
//!      "sample_text": "Traceback (most recent call last):\n  File \"/usr/local/lib/python3.11/site-packages/...",
//!      "project": "netra-staging",
//!      "logs_url": "https://console.cloud.google.com/logs/query;query=insertId%3D%226b083d6900000ef3e073b362%22%20OR%20...;timeRange=2026-11-26T14:07:41Z%2F2026-11-26T14:16:22Z?project=netra-staging",
//!      "impact": {"requests": 7, "statuses": {"503": 7},
//!                 "routes": [{"method": "GET", "route": "/health", "count": 4},
//!                            {"method": "GET", "route": "/api/threads", "count": 2},
//!                            {"method": "POST", "route": "/api/agents/run", "count": 1}],
//!                 "exits": 8},
//!      "timeline": {"start": "2026-11-26T14:08:00Z", "bucket_s": 60,
//!                   "counts": [2, 0, 2, 0, 0, 0, 1, 1]},
//!      "deploy": "not_seen_yet", "baseline": null},
//!     {"fingerprint": "4fcec377dfea467b", "category": "unclassified", "role": "symptom",
//!      "exception": null, "message": "GET /health → 503 in 10.0 s (no available instance)",
//!      "subject": null, "top_frame": null, "count": 4, "...": "...",
//!      "request": {"method": "GET", "route": "/health", "status": 503},
//!      "platform": {"id": "no_available_instance", "kind": "refusal"},
//!      "caused_by": [{"fingerprint": "7d3b259818ea3f70", "count": 4, "evidence": "revision"}],
//!      "unexplained": 0,
//!      "latency_ms": {"p50": 9999.16647418945, "p95": 9999.16647418945, "max": 10019.209,
//!                     "count": 4, "sketch": {"alpha": 0.01, "zeros": 0, "bins": [[461, 4]]}},
//!      "timeline": {"start": "2026-11-26T14:11:00Z", "bucket_s": 60, "counts": [1, 0, "..."]},
//!      "deploy": "not_seen_yet", "baseline": null}
//!   ],
//!   "gone": null
//! }
//! ```
//!
//! With `--baseline`, each group's `baseline` is an object such as
//! `{"verdict": "regressed", "by": "p95", "factor": 5.05, "baseline_count": 6}` (`by` is
//! `rate` or `p95` for `regressed` and `improved`, null otherwise) and `gone` an
//! array of `{"fingerprint": "...", "title": "...", "category": "...", "count": 5,
//! "known_issue": null}`.
//!
//! - `schema_version`: the version of this layout, now 2. It changes when a field changes
//!   meaning or goes away; new fields may appear without a change. Version 2: a group's
//!   `revisions` are objects with counts (they were revision names).
//! - `deploys` ([`Deploy`](crate::Deploy), derived): each service with two or more revisions:
//!   `service`, `revisions` in the order they started (`revision`, `first_seen`, `last_seen`,
//!   `events`) and `settled` (see "Deploys").
//! - `totals` ([`Totals`](crate::Totals)): `entries`, `ok`, `malformed`, `oversize` (with
//!   `entries = ok + malformed + oversize`), `events`, `lines` (input lines read),
//!   `symptoms` (failed requests and platform messages among the events),
//!   `symptoms_explained` (those linked to a cause), `malformed_lines` (the lines of the first
//!   10 malformed entries), `span` (the first and last time of the events, or null),
//!   `services` (sorted), and what the input's first bytes said about it: `gzip` (it was
//!   decompressed), `binary` (null, or why it is not text or JSON: `nul_bytes`,
//!   `invalid_utf8`, `zstd`, `bzip2`, `xz`, `zip`) and `truncated` (its gzip data ended early
//!   or was corrupt). A report written before these fields existed reads them as false and
//!   null.
//! - `groups` ([`Group`](crate::Group)), in report order: `fingerprint`, `category`, `role`
//!   (`cause` or `symptom`), `exception` (the deciding type, or null), `message`, `subject`,
//!   `top_frame` (the innermost in-app frame: `file`, `line`, `function`, `source`; or null),
//!   `count`, `first_seen`, `last_seen`, `services` (sorted), `revisions` (sorted by service
//!   then name: `service`, `revision`, `count`, `first_seen`, `last_seen`), `samples` (up to
//!   5 `insertId`s), `known_issue` (`id`, `title`, `url`, `state`, `match`, see "The link"; or
//!   null), `suggested_title` (when no known issue matches; else null), `sample_text` (the
//!   first event's traceback or message, at most 4 KiB), `project` (the first event's project
//!   id, from its `logName`, or null), `logs_url` (the Logs Explorer link that opens the
//!   samples, see "Logs Explorer links"; null without a project or a sample), `timeline`
//!   (events per minute: `start`, the group's first minute; `bucket_s`, 60; `counts`, one per
//!   minute to its last); derived: `deploy` (`new`, `gone`, `not_seen_yet`, `persisting` or
//!   null) and `baseline` (null without `--baseline`). Present only where they apply:
//!   - on a cause, `impact`: `requests` (failed and refused requests linked to it),
//!     `statuses` (those requests by status), `routes` (by method and route, most first) and
//!     `exits` (linked platform messages of kind exit); zeros when none;
//!   - on a symptom, `caused_by` (`fingerprint` of the cause group, `count`, `evidence`:
//!     `trace`, `instance` or `revision`; most first) and `unexplained`;
//!   - on failed requests, `request` (`method`, `route`, `status`); on platform messages and
//!     refused requests, `platform` (`id`, `kind`);
//!   - on slow queries `duration_ms`, on failed requests `latency_ms`: `p50`, `p95` and `max`
//!     (exact) in milliseconds, `count`, and the `sketch` they come from (`alpha`, `zeros`,
//!     `bins` as `[index, count]`), which makes merged reports exact.
//! - `gone` (derived): the baseline's groups absent now, or null without `--baseline` (see
//!   "Baselines").
//!
//! Derived fields are computed from the others when a report is finished; they are not added
//! up when reports are merged (see "Deploys" and "Baselines").
//!
//! A report read back from its JSON form keeps its links as they are; merged with another, it
//! adds up the links of the groups they share instead of computing them anew (the marks behind
//! the links, [`Links`](crate::Links), are not part of the JSON form; a partial report keeps
//! them beside it: [`Report::links`](crate::Report::links),
//! [`Report::set_links`](crate::Report::set_links)).
//!
//! A group does not depend on the order of its events in the input. "The first event" is the
//! earliest: by timestamp (an instant; one instant written two ways, by the text), then by
//! the smallest first `insertId`; events without a timestamp come after (the first found
//! speaks for a group of only such events; as samples they go by `insertId`). `message`,
//! `subject`, `top_frame`, `known_issue`, `suggested_title`, `sample_text`, `project`,
//! `request` and `platform` are its. `samples` are the first `insertId` of each of the 5
//! earliest events, in that order. `first_seen` and `last_seen` are the earliest and latest
//! instants, written as the input wrote them. In report order (see "Grouping and the
//! fingerprint"), first seen is
//! compared as an instant, and groups that tie on everything go by fingerprint. Reports of
//! shards merged ([`Report::merge`](crate::Report::merge)) keep the earliest samples while
//! both were made in this run; a report read back from its JSON has no times for its
//! samples, and its samples come first when its first seen is the earlier.
//!
//! ## NDJSON events
//!
//! One event per line, written and flushed as soon as it is found, in input order (read
//! newest first, a split traceback is found when its earliest entry is read, the last of its
//! entries in the input, whose line is its `line`):
//!
//! ```json
//! {"insert_id":"6b083caa000ba0bad2f7393f","line":64,"entries":["6b083caa000ba0bad2f7393f"],"timestamp":"2026-11-26T14:05:30.419609Z","service":"netra-backend-staging","revision":"netra-backend-staging-00041-abc","kind":"request","role":"symptom","severity":"ERROR","category":"unclassified","exception":null,"message":"GET /health → 500 in 5.1 s","subject":null,"fingerprint":"0d7f8ba4dcf4e36a","frames":[],"known_issue":null,"trace":"projects/netra-staging/traces/3e5fa4ae18af92e09fb6b9e70f18ec0c","instance":"009ce86b57...","request":{"method":"GET","route":"/health","status":500,"latency_ms":5143.565}}
//! ```
//!
//! - `insert_id`: the `insertId` of the event's first entry (null for plain text);
//! - `line`: the 1-based input line where that entry starts;
//! - `entries`: the `insertId` of every entry the event spans;
//! - `timestamp`, `service`, `revision`: those of the first entry, or null;
//! - `kind`: `traceback`, `severity`, `slow_query`, `out_of_memory`, `request` or `platform`;
//! - `role`: `cause` or `symptom`;
//! - `severity`: the highest severity among its entries, after level words;
//! - `category`, `exception`, `message`, `subject`, `fingerprint`: as in a group;
//! - `frames`: the in-app frames of the deciding exception, outermost first (`file`, `line`,
//!   `function`, `source`);
//! - `known_issue`: the id of the matching known issue, or null;
//! - when the first entry has them: `trace`, `instance` (`labels.instanceId`), `request`
//!   (`method`, `route`, `status`, `latency_ms`) and `platform` (`id`, `kind`).
//!
//! Events stream as they are found; links are a property of the finished report, not of the
//! events.
//!
//! ## Logs Explorer links
//!
//! A group's `logs_url` opens exactly its sample entries in the Cloud console:
//! `https://console.cloud.google.com/logs/query;query=Q;timeRange=START%2FEND?project=P`, where
//! `Q` is `insertId="a" OR insertId="b" ...` percent-encoded with only `A-Z a-z 0-9 - _ . ~`
//! kept (a space is `%20`, a quote `%22`), `START` and `END` are the group's first and last
//! time widened by a minute (whole seconds, UTC), and `P` is the project id of the first
//! event's `logName` (`projects/P/logs/...`). The text report prints it under each group that
//! no issue tracks.
//!
//! ## Issue drafts
//!
//! `--draft-issues DIR` ([`write_drafts`](crate::write_drafts), [`Draft`](crate::Draft)) writes
//! one Markdown file per group that no known issue tracks, named `<category>-<fingerprint>.md`
//! so that a second run overwrites it, in DIR (created if missing; a DIR that cannot be created
//! or written stops the run before the input is read). A draft holds: a first-line comment with
//! the title; a note that it was scrubbed; a table of the category, count, first and last time,
//! services, revisions, exception, subject, where the app raised it and the fingerprint; the
//! group's traceback or message (its `sample_text`), scrubbed and cut to 60 lines (the first
//! line, a `...<N lines>...` line, the last 58); the sample `insertId`s; and the Logs Explorer
//! link. For each draft, stderr gets the command that files it:
//! `gh issue create --title '...' --body-file 'DIR/<category>-<fingerprint>.md'`.
//!
//! ## Scrubbing and `--redact`
//!
//! Drafts are always scrubbed ([`scrub`](crate::scrub)); `--redact` ([`Redact`](crate::Redact))
//! scrubs the text, JSON and NDJSON output the same way (messages, subjects, suggested titles,
//! sample texts, source lines; ids, times and names are kept). As Sentry's data scrubbing
//! would, it replaces with `[Filtered]`: the password of a URL or DSN
//! (`postgresql://netra_app:[Filtered]@10.0.0.5:5432/netra`); `Bearer` and `Basic` credentials
//! and the value of an `Authorization` header; the value after a key whose name holds
//! `password`, `passwd`, `pwd`, `secret`, `token`, `api_key`, `apikey`, `auth`, `credential`,
//! `private_key`, `session`, `cookie` or `signature`, or that is `key`, `sig` or `dsn` (with `=`,
//! `: ` or as a JSON member; quotes are kept); JSON Web Tokens; Google, GitHub, Slack, Stripe and
//! AWS key shapes; PEM private keys; and runs of 32 or more letters, digits and `+_=-` that mix
//! upper case, lower case and digits. E-mail addresses become `[email]`. Left alone: `host:port`,
//! module and file paths, SQL placeholders (`= ?`, `= $1`, `%s`, `:name`), numbers of up to 5
//! digits after a key (`max_tokens=1000`), exception names (`InvalidPasswordError: ...`),
//! lower-case hex ids and UUIDs, CamelCase names. A suggested title cut with `…` loses its last
//! word before it is scrubbed, as a secret cut in half may no longer look like one.
//!
//! ## Partial reports
//!
//! A large export can be triaged in shards, apart (processes, machines, Spark tasks), and
//! the shards' *partial reports* merged, in input order, into exactly the report one run over
//! the whole input gives: the same JSON, byte for byte, including tracebacks split one line
//! per entry that straddle a cut, line numbers, samples, first and last seen, timelines,
//! percentiles, and the links from symptoms to causes in other shards. The library
//! makes one with [`Triage::partial`](crate::Triage::partial), merges two with
//! [`Triage::merge_partials`](crate::Triage::merge_partials) (associative: merge in any
//! grouping, as long as the order is kept) and finishes one into the report with
//! [`Triage::finish_partial`](crate::Triage::finish_partial); the command line with
//! `--format partial [FILE]` and `merge PARTIAL...` (`-`: one partial per line on standard
//! input). A shard must start and end at entry boundaries: NDJSON and text at a line start;
//! a shard cut from the middle of a JSON array starts at an element and is read with
//! `--input-format array` ([`Format::Array`](crate::Format::Array)). Known issues,
//! `--baseline` (compared with the merged report, as after a run: see "Baselines") and
//! `--fail-on` (categories, and `new`, `regressed`) apply when the merged partial is
//! finished, not to the partials; a partial carries each group's events per revision, so
//! the deploy verdicts of the merged report are the single pass's.
//!
//! A partial is one JSON object on one line, a stable format of its own
//! ([`PARTIAL_VERSION`](crate::PARTIAL_VERSION), now 1; a reader rejects any other version
//! before reading the rest):
//!
//! - `partial_version`: written first.
//! - `settings`: `slow_ms`, `max_entry_bytes`, `validate` and `rules` (a digest of the rules
//!   files added to the built-in rules, 0 for none): only partials made alike merge, and the
//!   merge scans with them.
//! - `format`: `ndjson`, `array`, `text`, or null for an empty shard. Neighbours must agree.
//! - `first`, `last`: where the first and last shard lie in the files they were read from
//!   (`source`, `start`, `end` in bytes), or null when read from standard input. Two neighbours of
//!   the same file must touch (`end` of one = `start` of the next), else the merge says
//!   they are out of order.
//! - `bytes`: the input bytes covered; `totals`: as in the report (with `lines`, which
//!   numbers the next shard's lines; `events` is counted from the tallies).
//! - `lead`: the shard's first bytes, raw (`text`, or `base64` when they are not UTF-8),
//!   and `whole` when that is all of it. At most [`LEAD_BYTES`](crate::LEAD_BYTES) (2 MiB)
//!   are kept, ending at a quiet place.
//! - `head`: only when the lead holds fewer of the shard's first bytes than 4 KiB (a split
//!   traceback held open across them): those bytes, saved as `lead` is. A merge looks for
//!   binary data in the merged input's first 4 KiB, as a run does, whichever shards hold
//!   them.
//! - `tail`: the shard's last bytes, up to 129 KiB (`whole` when that is all of it), saved
//!   as `lead` is: a traceback read newest first in the next shard looks back at the
//!   entries before its first frame line (see "Split tracebacks"), which may lie here.
//! - `cut`: a lookback of the shard's scan got to its first byte and might have gone on
//!   into the shard before.
//! - `points`: the shard's *quiet places* within the lead, from its start: where its scan
//!   held nothing open and no lookback after it looked before it (`offset` in bytes, and
//!   the `entries`, `ok`, `malformed` and `oversize` counted before it). The first is at 0.
//! - `tallies`: one per quiet place, the events found from it to the next (the last: to
//!   the shard's end), each as a `report` (the JSON report above, unranked: timelines and
//!   sketches in full), `links`, the marks that link its symptoms to causes (`partial`;
//!   `names`, each instance and revision name once; then `causes` and `symptoms`, each mark
//!   with `at` in microseconds, `group`, `kind` (`cause`, `request`, `exit`), and when
//!   known `status`, `span` (a request's latency in microseconds), `trace`, and `instance`
//!   and `revision` as indexes into `names`), `orders`, per group what its events' order
//!   needs (`shown`, a hash of what the event it speaks for gives it; `sample_times`, when
//!   its samples happened), and `firsts`, the event each of its groups speaks for (known
//!   issues are linked from them). Links, impact and the symptom totals are computed from
//!   the marks once the partials are merged, so a failed request in one shard links to its
//!   cause in another exactly as in one run; groups whose earliest events lie in a later
//!   shard (an export read newest first) merge as their events added one by one do.
//! - `held`: what the scan still held at the shard's end: `tick` (entries seen), `open`
//!   (split tracebacks still collecting lines: stream, the instance and log it looks for,
//!   the line prefix, the line machine's state, the event so far, kept lines), `pending`
//!   (header lines waiting for a traceback, with the lines of their record's message they
//!   hold), `before` (a stream's last lone exception line, which a traceback without
//!   header in the next entry takes, as Sentry prints it, or a traceback read newest first
//!   replayed in time order), `database` (database
//!   entries waiting for the lines that complete them), `ready` (events flushed, not yet
//!   given out); read newest first, also `wholes` (tracebacks whole in one entry that a
//!   header read after them may join), `reversed` (tracebacks being read newest first:
//!   their lines so far, each with its entry, and where in the traceback's shape they are)
//!   and `floors` (each stream's last line used, which a lookback takes no more).
//!
//! Merging `a` then `b`: when `a` held nothing and `b` is not `cut`, `b`'s tallies are
//! right as they are. Otherwise `b`'s lead is scanned again with what `a` held, after
//! `a`'s tail, up to the first of `b`'s quiet places (after its start) where that scan
//! holds nothing too: from there on `b`'s own scan went the same way, and its tallies from
//! that place on are taken. `a`'s places that a lookback of that scan looked before are
//! dropped, and the merged partial is `cut` when that scan's lookbacks got to `a`'s first
//! byte (its whole tail). A partial's size is bounded by its
//! groups, its open state, the lead, the tail and its link marks (at most
//! [`MAX_MARKS`](crate::MAX_MARKS) causes and as many symptoms, as in a run), not by the
//! shard's size. A split traceback still
//! open past `b`'s lead (it would have to keep receiving lines, or wait for them, across
//! thousands of entries) cannot be finished exactly: the merge says so and fails rather than
//! give a wrong report. So do a truncated partial, another version, other settings or
//! format, and neighbours of one file out of order; the command line exits 2 naming the
//! file.
//!
//! A gzip file is a shard as a whole (compressed data cannot be cut at entry boundaries):
//! its partial is made from the decompressed bytes, as a run reads them (`lead`, `points`
//! and `bytes` count decompressed bytes; `first` and `last` the file's own), and partials of
//! `.gz` files merge into the report of a run over the files one after another (`cat a.gz
//! b.gz`, read member after member), with `totals.gzip` true. A piece of a `.gz` file cut
//! elsewhere than between members is not gzip data by itself: cut the decompressed stream
//! instead (Spark's `textFile` decompresses `.gz` files itself, a partition per file).
//!
//! ## Exit status of the `triage` example
//!
//! | status | when |
//! |---|---|
//! | 0 | the run finished (also for `--help` and `--version`) |
//! | 1 | `--fail-on CATEGORY[,...]` (or `any`) matched an event; `--fail-on new` a group is `new` against `--baseline` (without one: its deploy verdict is `new`); `--fail-on regressed` a group is `regressed` against `--baseline` (never without one) |
//! | 2 | bad arguments, an unknown category in `--fail-on`, an input that cannot be read, an invalid rules or known-issues file, a `--baseline` that cannot be read, is not a report or is of another `schema_version`, a `--draft-issues` directory that cannot be written, an invalid setting, a partial report that cannot be read or merged; one line on stderr says what is wrong, naming the file |
//!
//! Bad input data is never a reason to stop: it is counted (see "Entries and their
//! accounting").
