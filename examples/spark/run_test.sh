#!/usr/bin/env bash
# The Spark job (examples/spark/triage_job.py) on this machine, local[2]: 8 NDJSON shards
# (about 64 MiB, split tracebacks cut across their ends, read as 13 partitions so that
# files are split inside too) must give the single pass's JSON report byte for byte.
# Installs what it needs when missing (Debian's default-jre-headless; pyspark from PyPI
# in a virtualenv under target/); fails loudly, never skips.
set -euo pipefail
cd "$(dirname "$0")/../.."
step() { printf 'spark step: %s %d s\n' "$1" $((SECONDS - mark)); mark=$SECONDS; }
SECONDS=0
mark=0

if ! command -v java > /dev/null; then
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q default-jre-headless
fi
# Installed once per target directory (a clone's CI run installs it; later runs reuse it).
venv=target/spark-venv
if ! "$venv/bin/python" -c 'import pyspark' 2> /dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'pyspark==4.3.0'
fi
step "java and pyspark"

# The binary the job ships: LOGTRIAGE_BIN when given (.ci/run gives the release build its
# `cargo install` made), else this crate's release build. The corpus generator needs no
# speed: the dev build that `cargo test` made (.ci/run runs it first) is reused.
bin=${LOGTRIAGE_BIN:-}
if [ -z "$bin" ]; then
    cargo build --release --locked --bin logtriage
    bin=target/release/logtriage
fi
cargo build --locked --example gen_corpus
step "builds"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/debug/examples/gen_corpus --mib 64 --failure-rate 0.05 --seed 22 > "$work/all.ndjson"
# Eight shards, each ending just after a split traceback's first line.
"$venv/bin/python" - "$work" << 'PY'
import os, sys
work = sys.argv[1]
data = open(os.path.join(work, "all.ndjson"), "rb").read()
os.mkdir(os.path.join(work, "shards"))
start = 0
for i in range(8):
    end = len(data)
    if i < 7:
        at = data.index(b'"Traceback (most recent call last):"', len(data) * (i + 1) // 8)
        end = data.index(b"\n", at) + 1
    with open(os.path.join(work, "shards", f"shard-{i}.ndjson"), "wb") as f:
        f.write(data[start:end])
    start = end
PY

# spark-submit finds Spark and the workers' Python through these.
SPARK_HOME=$("$venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME PYSPARK_PYTHON="$PWD/$venv/bin/python" SPARK_LOCAL_IP=127.0.0.1
t0=$(date +%s.%N)
"$bin" --format json --threads 1 "$work/all.ndjson" > "$work/single.json"
t1=$(date +%s.%N)
"$venv/bin/spark-submit" --master 'local[2]' \
    --conf spark.ui.enabled=false --files "$bin" \
    examples/spark/triage_job.py --input "$work/shards" --output "$work/spark.json" \
    --min-partitions 13 2> "$work/spark.log" || { tail -40 "$work/spark.log" >&2; exit 1; }
t2=$(date +%s.%N)
cmp "$work/single.json" "$work/spark.json"
mib=$(( $(stat -c %s "$work/all.ndjson") >> 20 ))
python3 -c "import sys; a,b,c,m=map(float,sys.argv[1:]); print(f'spark job: {m:.0f} MiB, single pass {b-a:.2f} s ({m/(b-a):.0f} MiB/s), local[2] job {c-b:.2f} s ({m/(c-b):.0f} MiB/s): same report')" "$t0" "$t1" "$t2" "$mib"
step "corpus, single pass and job"
echo "spark step: ${SECONDS} s in all"
