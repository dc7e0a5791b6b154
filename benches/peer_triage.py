#!/usr/bin/env python3
"""The peer logtriage is compared with: the same triage a careful engineer would script in
Python with json.loads and re (NDJSON on stdin, one entry per line). It finds tracebacks
(also split one line per entry, per instance), ERROR entries and slow queries, groups them by
their last line, and prints the group counts."""
import collections
import json
import re
import sys

SLOW = re.compile(r"duration: ([0-9.]+) ms")
EXC = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b.*)$", re.M)


def main():
    groups = collections.Counter()
    open_tb = {}
    entries = malformed = 0
    for line in sys.stdin.buffer:
        entries += 1
        try:
            e = json.loads(line)
        except ValueError:
            malformed += 1
            continue
        p = e.get("jsonPayload") or {}
        text = e.get("textPayload") or p.get("message") or ""
        key = (e.get("logName"), (e.get("labels") or {}).get("instanceId"))
        if key in open_tb:
            open_tb[key].append(text)
            m = EXC.match(text)
            if m:
                groups[m.group(1)[:120]] += 1
                del open_tb[key]
            continue
        if text.startswith("Traceback (most recent call last):") and "\n" not in text:
            open_tb[key] = [text]
            continue
        m = SLOW.search(text)
        if m and float(m.group(1)) >= 1000:
            groups["slow_query"] += 1
            continue
        if "Traceback (most recent call last)" in text:
            found = EXC.findall(text)
            groups[(found[-1] if found else "traceback")[:120]] += 1
        elif e.get("severity") in ("ERROR", "CRITICAL", "ALERT", "EMERGENCY"):
            groups[text.splitlines()[0][:120] if text else "error"] += 1
    print(f"{entries} entries, {malformed} malformed, {sum(groups.values())} events")
    for name, n in groups.most_common(10):
        print(f"{n:8} {name}")


if __name__ == "__main__":
    main()
