"""Triage NDJSON shards with Spark: one partial report per partition, merged in order.

    spark-submit --files target/release/logtriage examples/spark/triage_job.py \
        --input 'logs/*.json' --output report.json

--input is a directory, a glob or a comma-separated list of NDJSON files (local, or gs://
on Dataproc); --output is where the report goes (local or gs://).

Why the report is exact: a Cloud Logging export holds one entry per line, and textFile
splits files only between lines, so every partition holds whole entries. Partitions follow
the order of the paths given, then their offsets in each file: the paths are listed and
sorted here, so partition order is input order (name the shards so that their sorted order
is their order in time). Each partition goes through `logtriage --format partial -` with
RDD.pipe (an empty one too: it gives an empty partial), and the driver merges the partials
in partition order with `logtriage merge`, which scans again the start of a partition that
a split traceback from the one before runs into.
"""

import argparse
import os
import shlex
import subprocess

from pyspark import SparkContext, SparkFiles


def shard_paths(sc, spec):
    """The files of a directory, glob or comma-separated list, sorted, as Hadoop sees them."""
    jvm = sc._jvm
    conf = sc._jsc.hadoopConfiguration()
    paths = []
    for part in spec.split(","):
        path = jvm.org.apache.hadoop.fs.Path(part)
        fs = path.getFileSystem(conf)
        statuses = fs.globStatus(path) or []
        for status in statuses:
            if status.isDirectory():
                statuses_in = fs.listStatus(status.getPath())
                paths += [s.getPath().toString() for s in statuses_in if s.isFile()]
            else:
                paths.append(status.getPath().toString())
    names = [p for p in paths if not os.path.basename(p).startswith(("_", "."))]
    if not names:
        raise SystemExit(f"no input files match {spec}")
    return sorted(names)


def write(sc, output, data):
    """Writes bytes to a local or gs:// path through Hadoop's file systems."""
    jvm = sc._jvm
    path = jvm.org.apache.hadoop.fs.Path(output)
    out = path.getFileSystem(sc._jsc.hadoopConfiguration()).create(path, True)
    out.write(bytearray(data))
    out.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", required=True, help="directory, glob or list of NDJSON shards")
    ap.add_argument("--output", required=True, help="where the report goes")
    ap.add_argument("--binary", default="logtriage", help="the binary's name in --files")
    ap.add_argument("--format", default="json", choices=["json", "text", "partial"])
    ap.add_argument("--known-issues", help="a known-issues file on the driver")
    ap.add_argument("--min-partitions", type=int, help="textFile's minPartitions")
    args = ap.parse_args()

    sc = SparkContext.getOrCreate()
    lines = sc.textFile(",".join(shard_paths(sc, args.input)), args.min_partitions)
    # RDD.pipe splits its command with shlex and runs it with an empty environment: the
    # binary needs an absolute path. In local mode the executors share the driver's copy;
    # on a cluster, --files puts one in each executor's working directory.
    driver_copy = SparkFiles.get(args.binary)
    os.chmod(driver_copy, 0o755)
    on_executors = driver_copy if sc.master.startswith("local") else "./" + args.binary
    command = f"{shlex.quote(on_executors)} --format partial -"
    per_partition = lines.pipe(command, env={}, checkCode=True).glom().collect()
    if any(len(p) != 1 for p in per_partition):
        raise SystemExit("a partition gave no partial report, or more than one")

    merge = [driver_copy, "merge", "--format", args.format, "-"]
    if args.known_issues:
        merge[2:2] = ["--known-issues", args.known_issues]
    partials = "".join(p[0] + "\n" for p in per_partition)
    done = subprocess.run(merge, input=partials.encode(), capture_output=True)
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr.decode(errors="replace").strip())
    write(sc, args.output, done.stdout)
    print(f"{len(per_partition)} partitions merged into {args.output}")
    sc.stop()


if __name__ == "__main__":
    main()
