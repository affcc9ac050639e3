#!/usr/bin/env python3
"""What PostgreSQL spends on the tags' insert statement, and on which part of the table.

Creates the project's schema in a PostgreSQL cluster of its own (bench/latency's
helpers; looplive itself is not started) with --streams streams, then replays
the statement `POST /v1/tags` sends (db/src/tag_repository.cpp's unnest insert
with its RETURNING), --rate a second, with pgbench over --seconds per window:
each statement --rows rows on as many different streams plus --same rows on
one stream, as one backend posting a show's 50 tags/s and every show's one
tag a second sends them. The windows, in turns within each of --rounds:

  as migrated    the table as the migrations make it
  no checks      without its CHECK constraints
  no foreign key without its foreign key to streams
  neither        without both
  SELECT 1       the same rate of statements that touch no table

CPU of the cluster's processes (those reaped within the window too) per
window, in cores; the constraints are put back as they were between windows.

    pg_statement.py [--seconds 40] [--rounds 3] [--rate 10] [--rows 10] [--same 5] [--streams 101]

pgbench comes with the server (Debian's postgresql-15, which
scripts/install-deps installs). It stops the cluster it started.
"""
import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "latency"))
sys.path.insert(0, str(HERE.parent))

import latency_bench as lb  # noqa: E402  looplive's database helpers
from rtmp_bench import cpu_seconds  # noqa: E402

# pgbench reads ":name" as a variable even inside a quoted literal, so the
# time format's colons are spelled chr(58).
COLUMNS = ("id, stream_id::text, product_id, action, payload::text, x, y, duration_ms,"
           " media_time_ms, wall_clock_ms, to_char(created_at AT TIME ZONE 'UTC',"
           " 'YYYY-MM-DD\"T\"HH24' || chr(58) || 'MI' || chr(58) || 'SS.US\"Z\"')")

VARIANTS = ("as migrated", "no checks", "no foreign key", "neither", "SELECT 1")


def array(values, sql_type):
    """A PostgreSQL array literal of quoted elements (None for NULL)."""
    items = ["NULL" if v is None else json.dumps(str(v)) for v in values]
    return "'{" + ",".join(items).replace("'", "''") + "}'::" + sql_type + "[]"


def insert_statement(streams):
    """The batch insert of tag_repository.cpp, with its parameters written in."""
    n = len(streams)
    payloads = [json.dumps({"title": f"Product {i}", "price": "19.99", "currency": "EUR"})
                for i in range(n)]
    return ("INSERT INTO stream_tags (stream_id, product_id, action, payload, x, y, duration_ms,"
            " media_time_ms, wall_clock_ms) SELECT s, p, a, j::jsonb, x, y, d, m, w FROM unnest("
            + ", ".join([array(streams, "uuid"), array([f"sku-{i % 40}" for i in range(n)], "text"),
                         array(["show"] * n, "text"), array(payloads, "text"),
                         array([None] * n, "double precision"), array([None] * n, "double precision"),
                         array([None] * n, "bigint"), array([1000 + i for i in range(n)], "bigint"),
                         array([1_700_000_000_000 + i for i in range(n)], "bigint")])
            + ") WITH ORDINALITY AS row(s, p, a, j, x, y, d, m, w, n) ORDER BY n RETURNING "
            + COLUMNS + ";\n")


class Cluster:
    """psql on the bench's database, and the table's constraints taken off and put back."""

    def __init__(self, server):
        self.server = server
        self.psql = ["psql", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p",
                     str(server.pg_port), "-U", "postgres", "-d", "looplive"]
        rows = self.sql("SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
                        " WHERE conrelid = 'stream_tags'::regclass AND contype IN ('c', 'f')")
        self.constraints = [line.split("|", 2) for line in rows.splitlines()]
        if not any(kind == "f" for _, kind, _ in self.constraints):
            sys.exit("stream_tags has no foreign key: the schema is not what this bench expects")

    def sql(self, statement):
        return subprocess.run(self.psql + ["-c", statement], check=True, capture_output=True,
                              text=True).stdout

    def keep(self, checks, foreign_key):
        for name, kind, definition in self.constraints:
            self.sql(f"ALTER TABLE stream_tags DROP CONSTRAINT IF EXISTS {name}")
            if (kind == "c" and checks) or (kind == "f" and foreign_key):
                # NOT VALID: the rows already there are not read again.
                self.sql(f"ALTER TABLE stream_tags ADD CONSTRAINT {name} {definition} NOT VALID")

    def cores(self, scripts, rate, seconds):
        """The cluster's CPU while pgbench sends `scripts` (one at random each time) at `rate`."""
        pid = int((self.server.pg_dir / "postmaster.pid").read_text().split()[0])
        command = ["pgbench", "-n", "-M", "prepared", "-R", str(rate), "-T", str(seconds),
                   "-h", "127.0.0.1", "-p", str(self.server.pg_port), "-U", "postgres"]
        for script in scripts:
            command += ["-f", str(script)]
        before, t0 = cpu_seconds(pid), time.monotonic()
        done = subprocess.run(command + ["looplive"], capture_output=True, text=True)
        used = (cpu_seconds(pid) - before) / (time.monotonic() - t0)
        if done.returncode != 0 or "aborted" in done.stderr:
            sys.exit("pgbench failed:\n" + done.stderr[-2000:])
        return used


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=40, help="per window")
    parser.add_argument("--rounds", type=int, default=3, help="windows of each kind, in turns")
    parser.add_argument("--rate", type=int, default=10, help="statements a second")
    parser.add_argument("--rows", type=int, default=10, help="rows a statement, each on its stream")
    parser.add_argument("--same", type=int, default=5, help="rows a statement more, on one stream")
    parser.add_argument("--streams", type=int, default=101, help="streams in the database")
    args = parser.parse_args()
    if args.streams < args.rows + 1:
        parser.error("--streams must exceed --rows")
    work = Path(tempfile.mkdtemp(prefix="looplive-pg-statement-"))
    work.chmod(0o755)  # PostgreSQL runs as its own user below it
    server = None
    try:
        server = lb.Looplive(work, 0)
        ids = [server.new_stream()["id"] for _ in range(args.streams)]
        cluster = Cluster(server)
        # Statements on different streams in turn, as the shows' tags rotate.
        inserts = []
        others = ids[1:]
        for k in range(10):
            start = (k * args.rows) % len(others)
            streams = [others[(start + i) % len(others)] for i in range(args.rows)]
            script = work / f"insert-{k}.sql"
            script.write_text(insert_statement(streams + [ids[0]] * args.same))
            inserts.append(script)
        select = work / "select.sql"
        select.write_text("SELECT 1;\n")
        cores = {variant: [] for variant in VARIANTS}
        for round_number in range(args.rounds):
            order = VARIANTS if round_number % 2 == 0 else tuple(reversed(VARIANTS))
            for variant in order:
                if variant != "SELECT 1":
                    cluster.keep(checks=variant in ("as migrated", "no foreign key"),
                                 foreign_key=variant in ("as migrated", "no checks"))
                time.sleep(2)
                scripts = [select] if variant == "SELECT 1" else inserts
                cores[variant].append(cluster.cores(scripts, args.rate, args.seconds))
                print(f"round {round_number + 1}, {variant}: {cores[variant][-1]:.4f} cores",
                      flush=True)
        cluster.keep(checks=True, foreign_key=True)
        print(f"\nPostgreSQL's CPU (cores), {args.rate} statements a second of {args.rows} rows on "
              f"different streams and {args.same} on one, {args.seconds} s windows in turns:")
        print("| table | mean | standard error | rounds |")
        print("| --- | --- | --- | --- |")
        for variant, values in cores.items():
            error = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0
            print(f"| {variant} | {statistics.mean(values):.4f} | {error:.4f} | "
                  + ", ".join(f"{v:.4f}" for v in values) + " |")
    finally:
        if server is not None:
            server.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
