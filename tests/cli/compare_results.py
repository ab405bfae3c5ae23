#!/usr/bin/env python3
"""Compares two meshtwin results files table by table, row for row (in rowid order), ignoring
the wall-clock columns (wall_seconds of runs and batches, runs.recorded_unix_s), the only values
that may differ between two runs of the same scenario and seed. Exit 0 when equal; 1 and the first
difference otherwise. Used by tests/cli/cli_tests.sh (replications with --jobs 1 vs --jobs 4)."""
import sqlite3
import sys

WALL_CLOCK = {"wall_seconds", "recorded_unix_s"}


def tables(db):
    return [r[0] for r in db.execute(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]


def rows(db, table):
    cols = [r[1] for r in db.execute(f"PRAGMA table_info('{table}')") if r[1] not in WALL_CLOCK]
    return cols, db.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY rowid").fetchall()


def main():
    if len(sys.argv) != 3:
        print("usage: compare_results.py A.db B.db", file=sys.stderr)
        return 2
    a, b = (sqlite3.connect(f"file:{p}?mode=ro", uri=True) for p in sys.argv[1:])
    ta, tb = tables(a), tables(b)
    if ta != tb:
        print(f"tables differ: {ta} vs {tb}")
        return 1
    total = 0
    for t in ta:
        ca, ra = rows(a, t)
        cb, rb = rows(b, t)
        if ca != cb:
            print(f"{t}: columns differ: {ca} vs {cb}")
            return 1
        if len(ra) != len(rb):
            print(f"{t}: {len(ra)} rows vs {len(rb)} rows")
            return 1
        for i, (x, y) in enumerate(zip(ra, rb)):
            if x != y:
                print(f"{t}: row {i + 1} differs:\n  {x}\n  {y}")
                return 1
        total += len(ra)
    print(f"equal: {len(ta)} tables, {total} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
