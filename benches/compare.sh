#!/usr/bin/env bash
# Whole-run comparison of logtriage with the tools users reach for, in one run on one corpus.
#
#   benches/compare.sh            # 256 MiB NDJSON, 2% failures
#   MIB=64 RUNS=3 FAST_RUNS=5 benches/compare.sh
#
# Needs hyperfine, ripgrep, jq and python3 (Debian: apt-get install hyperfine ripgrep jq).
# Prints each command's median wall time and throughput, its time against logtriage on one
# thread, its throughput against `rg -c` (the speed targets ask 0.5 for one thread, 0.8 for
# two) and the peak RSS of each command from /usr/bin/time -v. A redirected file is read at
# offsets (with two threads each worker reads its own blocks); the pipe rows take the streaming path
# that `gcloud logging read ... | triage` takes (`cat` takes a core of its own there). Last,
# logtriage and rg again, with and without its mapping, run in turn (PAIRS rounds, each in a
# new order): ratios less moved by a machine whose load changes.
#
#   BEFORE=/tmp/triage-before benches/compare.sh
#
# adds a build from before a change to those rounds (one and two threads, and the array on
# one and two), so that a change is measured against its base in the same run: each row's
# median time after the change over the median before, and the median of the rounds' ratios
# with a 95% interval.
set -euo pipefail
cd "$(dirname "$0")/.."
MIB=${MIB:-256}
RATE=${RATE:-0.02}
RUNS=${RUNS:-5}
DIR=${DIR:-/tmp/logtriage-compare}
mkdir -p "$DIR"
for tool in hyperfine rg jq python3; do
  command -v "$tool" >/dev/null || { echo "compare.sh: $tool is missing" >&2; exit 2; }
done

cargo build --release --quiet --example triage --example gen_corpus
BIN=target/release/examples
NDJSON="$DIR/corpus-$MIB-$RATE.ndjson"
ARRAY="$DIR/corpus-$MIB-$RATE.json"
[ -s "$NDJSON" ] || "$BIN/gen_corpus" --mib "$MIB" --failure-rate "$RATE" > "$NDJSON"
[ -s "$ARRAY" ] || "$BIN/gen_corpus" --mib "$MIB" --failure-rate "$RATE" --array > "$ARRAY"
cat "$NDJSON" "$ARRAY" > /dev/null # page cache

JQ_FILTER='select(.severity == "ERROR" or ((.textPayload // .jsonPayload.message // "") | test("Traceback|duration: "))) | .insertId'
declare -a NAMES=(
  "logtriage 1 thread"
  "logtriage 2 threads"
  "logtriage 1 thread, pipe"
  "logtriage 2 threads, pipe"
  "logtriage array 1 thread"
  "logtriage array 2 threads"
  "rg -c"
  "rg -c, pipe"
  "jq"
  "python json.loads + re"
)
declare -a CMDS=(
  "$BIN/triage --format json --threads 1 < $NDJSON > /dev/null"
  "$BIN/triage --format json --threads 2 < $NDJSON > /dev/null"
  "cat $NDJSON | $BIN/triage --format json --threads 1 > /dev/null"
  "cat $NDJSON | $BIN/triage --format json --threads 2 > /dev/null"
  "$BIN/triage --format json --threads 1 < $ARRAY > /dev/null"
  "$BIN/triage --format json --threads 2 < $ARRAY > /dev/null"
  "rg -c -e Traceback -e '\"severity\":\"ERROR\"' -e 'duration: ' $NDJSON > /dev/null"
  "cat $NDJSON | rg -c -e Traceback -e '\"severity\":\"ERROR\"' -e 'duration: ' > /dev/null"
  "jq -c '$JQ_FILTER' < $NDJSON > /dev/null"
  "python3 benches/peer_triage.py < $NDJSON > /dev/null"
)

# This machine's page cache drops pages of an idle file (fincore: 3 of 256 MiB within 20 s,
# with most of the memory free), and a run that finds them missing reads them from disk:
# each run is preceded by reading its input once more. The commands that take a fraction of
# a second get FAST_RUNS runs; jq and Python take seconds on 256 MiB and get RUNS.
FAST_RUNS=${FAST_RUNS:-15}
index_of() { # index_of NAME: where NAME is in NAMES
  local i
  for i in "${!NAMES[@]}"; do [[ ${NAMES[$i]} == "$1" ]] && echo "$i" && return; done
  exit 2
}
SLOW=$(index_of jq) # the first slow command
RG=$(index_of "rg -c")
bench() { # bench RUNS JSON FIRST LAST: hyperfine over CMDS[FIRST..LAST]
  local args=() i input
  for ((i = $3; i <= $4; i++)); do
    input=$NDJSON
    [[ ${NAMES[$i]} == *array* ]] && input=$ARRAY
    args+=(--prepare "cat $input > /dev/null" --command-name "${NAMES[$i]}" "${CMDS[$i]}")
  done
  hyperfine --style basic --warmup 1 --runs "$1" --export-json "$2" "${args[@]}" >&2
}
bench "$FAST_RUNS" "$DIR/times-fast.json" 0 $((SLOW - 1))
bench "$RUNS" "$DIR/times-slow.json" "$SLOW" $((${#CMDS[@]} - 1))
python3 - "$DIR/times-fast.json" "$DIR/times-slow.json" > "$DIR/times.json" <<'PY'
import json, sys
print(json.dumps({"results": [r for f in sys.argv[1:] for r in json.load(open(f))["results"]]}))
PY

echo
printf '%-28s %10s %10s %10s %10s %12s\n' command median_s GB/s vs_1thr vs_rg peak_RSS_MiB
for i in "${!CMDS[@]}"; do
  rss=$( { /usr/bin/time -v bash -c "${CMDS[$i]}" ; } 2>&1 | awk '/Maximum resident/ {printf "%.1f", $6/1024}')
  python3 - "$DIR/times.json" "$i" "$rss" "$NDJSON" "$ARRAY" <<'PY'
import json, os, sys
times = json.load(open(sys.argv[1]))["results"]
i, rss = int(sys.argv[2]), sys.argv[3]
r = times[i]
size = os.path.getsize(sys.argv[5] if "array" in r["command"] else sys.argv[4])
base = times[0]["median"]
rg = next(t["median"] for t in times if t["command"] == "rg -c")
vs_rg = f'{rg / r["median"]:10.2f}' if "array" not in r["command"] else f'{"":>10}'
print(f'{r["command"]:<28} {r["median"]:10.3f} {size / r["median"] / 1e9:10.2f} {r["median"] / base:10.2f} {vs_rg} {rss:>12}')
PY
done

# hyperfine runs each command's runs together, so a load that changes between commands moves
# their ratios. The ratios to rg again, from runs taken in turn (median of each). rg maps the
# file, which costs next to nothing when the page cache holds it in large folios and more
# than a copy when it holds small pages; `rg --no-mmap` reads as logtriage does, so the two
# rg rows tell which case a run found.
PAIRS=${PAIRS:-21}
NO_MMAP="rg --no-mmap ${CMDS[$RG]#rg }"
echo
echo "in turn, $PAIRS runs each (median ms, throughput against rg -c and rg --no-mmap -c):"
TURNS=("${CMDS[0]}" "${CMDS[1]}" "${CMDS[$RG]}" "$NO_MMAP")
if [[ -n ${BEFORE:-} ]]; then
  A1=$(index_of "logtriage array 1 thread")
  A2=$(index_of "logtriage array 2 threads")
  TURNS+=("${CMDS[$A1]}" "${CMDS[$A2]}")
  for i in 0 1 "$A1" "$A2"; do TURNS+=("${CMDS[$i]/"$BIN/triage"/$BEFORE}"); done
fi
python3 - "$PAIRS" "$NDJSON" "$ARRAY" "${TURNS[@]}" <<'PY'
import random, statistics, subprocess, sys, time
runs, ndjson, array, cmds = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
names = ["logtriage 1 thread", "logtriage 2 threads", "rg -c", "rg --no-mmap -c"]
names += ["logtriage array 1 thread", "logtriage array 2 threads"]
names += ["before 1 thread", "before 2 threads", "before array 1 thread", "before array 2 threads"]
times = [[] for _ in cmds]
# Each round runs the commands in a new order (the same orders every run of the script): in a
# fixed order, a command always follows the same one, and a load that rises and falls with
# the round's position weighs on some commands more than on others.
order, shuffle = list(range(len(cmds))), random.Random(runs).shuffle
for r in range(runs + 1):
    shuffle(order)
    for i in order:
        subprocess.run(["cat", array if "array" in names[i] else ndjson], stdout=subprocess.DEVNULL, check=True)
        t = time.perf_counter()
        subprocess.run(cmds[i], shell=True, check=True)
        if r:  # the first round warms up
            times[i].append(time.perf_counter() - t)
med = [statistics.median(t) for t in times]
rg, no_mmap = med[2], med[3]
for name, m in zip(names, med):
    print(f"{name:<28} {m * 1e3:8.1f} ms {rg / m:10.2f} {no_mmap / m:10.2f}")
if len(cmds) > 6:
    print()
    print("after / before (below 1.00 is faster): of the medians; and the median of each round's")
    print("ratio, which a load that changes between rounds moves less, with a 95% interval")
    print("(order statistics of the rounds' ratios; a build against a copy of itself gave 0.97-1.01):")
    for a, b in zip([0, 1, 4, 5], range(6, 10)):
        ratios = sorted(x / y for x, y in zip(times[a], times[b]))
        n, half = len(ratios), 0.98 * len(ratios) ** 0.5
        low, high = ratios[max(0, int(n / 2 - half))], ratios[min(n - 1, int(n / 2 + half))]
        print(f"{names[a]:<28} {med[a] / med[b]:8.3f} {statistics.median(ratios):8.3f}   {low:.3f}-{high:.3f}")
PY
