#!/usr/bin/env python3
"""The training-data gate's decision inside Spark, for pipelines that outgrow one machine.

Reads a snapshot written by `consentry datasets snapshot` (whole, or its shards from
`--shards N`) and JSON Lines records, applies the gate's member and record rules that Spark can
express, and writes the kept records, each line exactly as it came:

  - the member decision: a record is kept only if the snapshot lists its member as eligible
    (an unknown member is never kept: the join fails closed);
  - the category: `--category C` (refused unless the snapshot's policy allows C) or
    `--category-field F` (the record's own, which must be one the snapshot allows);
  - the time rules: with `--time-field F` (RFC 3339 text or epoch seconds), records with no
    readable time, made after as-of, made before the member's minimum-age birthday
    (`usable_from`) or before the look-back start are dropped; with `--no-record-times`, every
    member who was under the minimum age at any time in the window is left out whole.

Sharded, the job joins shard by shard: shard i holds the members whose id's SHA-256, read from
its first 15 hex digits, is i modulo N, so records are split by the same number and no worker
ever loads every member (at a billion members a snapshot is ~40 GB).

Not covered (use `consentry datasets filter` where they matter): the output's order and
byte-exact file (Spark writes part files), `--strict`, reasons and counts per record, the
signature check of a signed snapshot (`--log-key`), rights reservations and third-party
objections, and records the gate calls malformed or with the member field twice (Spark's JSON
functions read what they can).

  spark-submit --master yarn examples/engines/spark_gate.py \\
      --snapshot 'hdfs:///consentry/snapshot.*-of-64.tsv' --records 'hdfs:///posts/*.jsonl.gz' \\
      --category content.posts --time-field created_at --out hdfs:///train/posts-kept

Locally: python spark_gate.py --snapshot snap.tsv --records posts.jsonl --category content.posts \\
      --time-field created_at --out kept/   (pyspark 4 and Java 17; master local[2])
"""
import argparse
import glob
import hashlib
import sys

from pyspark import SparkConf
from pyspark.sql import SparkSession, functions as F

MAGIC = "# consentry-snapshot 2"


def fail(message, code=64):
    print("spark_gate: " + message, file=sys.stderr)
    sys.exit(code)


def read_header(path):
    """The header fields of one snapshot file, after checking its magic and its SHA-256 trailer
    (streamed: a shard is read once, in constant memory)."""
    digest, header, pending = hashlib.sha256(), {}, []
    with open(path, "rb") as f:
        for number, line in enumerate(f):
            if number == 0 and line.rstrip(b"\n").decode("utf-8", "replace") != MAGIC:
                fail(f"{path}: not a consentry snapshot of version 2", 65)
            if line.startswith(b"# ") and b"\t" in line:
                key, _, value = line[2:].rstrip(b"\n").decode("utf-8", "surrogateescape").partition("\t")
                header.setdefault(key, value)
            pending.append(line)
            if len(pending) > 2:
                digest.update(pending.pop(0))
    # The trailer is the last line, or the one before a signature.
    if pending and pending[-1].startswith(b"# signature\t"):
        trailer = pending[0] if len(pending) == 2 else b""
    else:
        if len(pending) == 2:
            digest.update(pending.pop(0))
        trailer = pending[-1] if pending else b""
    if trailer != b"# sha256\t" + digest.hexdigest().encode() + b"\n":
        fail(f"{path}: its SHA-256 trailer is missing or does not match (truncated or altered)", 65)
    return header


def micros(text):
    """An RFC 3339 instant from the header as microseconds since the epoch (UTC)."""
    from datetime import datetime
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1_000_000)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshot", required=True, action="append",
                        help="a whole snapshot, or its shards (a glob or repeated); all from one `datasets snapshot` run")
    parser.add_argument("--records", required=True, action="append", help="JSON Lines files or globs (.gz is read too)")
    parser.add_argument("--out", required=True, help="the folder to write the kept records to (part files)")
    parser.add_argument("--member-field", default="member_id")
    category = parser.add_mutually_exclusive_group(required=True)
    category.add_argument("--category", help="what every record is: a category of the taxonomy")
    category.add_argument("--category-field", help="a top-level field naming each record's category")
    times = parser.add_mutually_exclusive_group(required=True)
    times.add_argument("--time-field", help="a top-level field with each record's creation time (RFC 3339 or epoch seconds)")
    times.add_argument("--no-record-times", action="store_true",
                       help="the records carry no time: leave out every member who was a minor in the window")
    parser.add_argument("--master", default=None, help="the Spark master (default: spark-submit's, else local[2])")
    args = parser.parse_args()

    paths = sorted({path for pattern in args.snapshot for path in (glob.glob(pattern) or [pattern])})
    headers = [read_header(path) for path in paths]
    first = headers[0]
    for key in ("as_of", "decided_at", "policy_sha256", "minimum_age", "lookback_start", "categories"):
        if key not in first:
            fail(f"{paths[0]}: the header has no {key} (make the snapshot with this release of consentry)", 65)
        if any(h.get(key) != first[key] for h in headers):
            fail(f"the snapshots differ in {key}: give the shards of one snapshot", 65)
    shards = sorted((h.get("shard", "0/1"), p) for h, p in zip(headers, paths))
    count = int(shards[0][0].split("/")[1])
    if [s for s, _ in shards] != [f"{i}/{count}" for i in range(count)]:
        fail(f"expected shards 0/{count} … {count - 1}/{count}, one each; got {[s for s, _ in shards]}", 65)

    allowed = [c for c in first["categories"].split(",") if c]
    if args.category is not None and args.category not in allowed:
        fail(f"--category {args.category} is not one the snapshot's policy allows ({', '.join(allowed)}): nothing would be kept")
    as_of = micros(first["as_of"])
    lookback = None if first["lookback_start"] == "-" else micros(first["lookback_start"])

    builder = SparkSession.builder.appName("consentry-gate").config("spark.sql.session.timeZone", "UTC") \
        .config("spark.ui.enabled", "false").config("spark.sql.ansi.enabled", "false")
    if args.master or not SparkConf().contains("spark.master"):  # spark-submit sets it; plain python does not
        builder = builder.master(args.master or "local[2]")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")

    # Each record's raw line, its member and the fields the rules read.
    records = spark.read.text(args.records).withColumnRenamed("value", "line")
    records = records.withColumn("member", F.get_json_object("line", f"$.{args.member_field}")) \
        .where(F.col("member").isNotNull() & (F.col("member") != ""))
    if args.category_field:
        records = records.where(F.get_json_object("line", f"$.{args.category_field}").isin(allowed))
    if args.time_field:
        raw = F.get_json_object("line", f"$.{args.time_field}")
        number = raw.rlike(r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$")
        from_number = F.floor(raw.cast("double") * 1_000_000).cast("long")
        from_text = F.unix_micros(F.to_timestamp(raw))
        records = records.withColumn("t", F.when(number, from_number).otherwise(from_text)).where(F.col("t").isNotNull())
        records = records.where(F.col("t") <= F.lit(as_of))
        if lookback is not None:
            records = records.where(F.col("t") >= F.lit(lookback))
    records = records.withColumn(
        "shard", F.pmod(F.conv(F.substring(F.sha2(F.col("member"), 256), 1, 15), 16, 10).cast("long"), F.lit(count)))

    kept = None
    for label, path in shards:
        index = int(label.split("/")[0])
        members = spark.read.csv(path, sep="\t", comment="#", header=True) \
            .where(F.col("eligible") == "true") \
            .select(F.col("member").alias("id"),
                    F.when(F.col("usable_from").isNull(), F.lit(None))
                     .otherwise(F.unix_micros(F.to_timestamp(F.col("usable_from")))).alias("usable"))
        if args.no_record_times:
            window = F.lit(lookback) if lookback is not None else None
            minor = F.col("usable").isNotNull() if window is None else F.col("usable") > window
            members = members.where(~minor | F.col("usable").isNull())
        part = records.where(F.col("shard") == index).join(F.broadcast(members), F.col("member") == F.col("id"))
        if args.time_field:
            part = part.where(F.col("usable").isNull() | (F.col("t") >= F.col("usable")))
        part = part.select("line")
        kept = part if kept is None else kept.unionAll(part)
    kept.write.mode("overwrite").text(args.out)
    spark.stop()


if __name__ == "__main__":
    main()
