"""Compare two predictions CSV files column-wise (default: every column of A).

  python compare_predictions.py A.csv B.csv [--rtol 1e-5] [--atol 0] [--column C ...]

Either file may have other columns too (a batch-infer output with pass-through
columns and flags is fine): each column is found by its header. Values
match when |a - b| <= atol + rtol * max(|a|, |b|) (NaN matches only NaN).
bench/peers/run.mjs compares labels exactly; this quick check does not.

Exit status: 0 when the row counts are equal and every value matches, 1 when
they differ (the first difference is printed), 2 on a usage or read error.
Standard library only: runs with any Python 3.
"""

import argparse
import csv
import math
import sys


def read_header(path):
    with open(path, newline="", encoding="utf-8") as f:
        header = next(csv.reader(f), None)
    if header is None:
        raise ValueError(f"{path}: empty file (no header)")
    if header and header[0].startswith("\ufeff"):
        header[0] = header[0][1:]
    return header


def read_column(path, column):
    csv.field_size_limit(sys.maxsize)
    header = read_header(path)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        if column not in header:
            raise ValueError(f"{path}: no column {column!r} in header {header!r}")
        idx = header.index(column)
        values = []
        for lineno, row in enumerate(reader, start=2):
            if not row:
                continue
            try:
                values.append(float(row[idx]))
            except (IndexError, ValueError):
                raise ValueError(f"{path}:{lineno}: bad {column} value in {row!r}")
        return values


def main(argv=None):
    p = argparse.ArgumentParser(description="Compare two predictions CSV files.")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--rtol", type=float, default=1e-5, help="relative tolerance (default 1e-5)")
    p.add_argument("--atol", type=float, default=0.0, help="absolute tolerance (default 0)")
    p.add_argument("--column", action="append",
                   help="column to compare (repeatable; default: every column of A)")
    args = p.parse_args(argv)
    try:
        columns = args.column or read_header(args.a)
        pairs = [(c, read_column(args.a, c), read_column(args.b, c)) for c in columns]
    except (OSError, ValueError) as e:
        print(f"compare_predictions: {e}", file=sys.stderr)
        return 2
    status = 0
    for column, a, b in pairs:
        status = max(status, compare_column(args, column, a, b))
    return status


def compare_column(args, column, a, b):
    if len(a) != len(b):
        print(f"DIFFER: row count {len(a)} in {args.a} vs {len(b)} in {args.b}")
        return 1

    worst_rel, worst_i = 0.0, None
    for i, (x, y) in enumerate(zip(a, b)):
        if math.isnan(x) or math.isnan(y):
            if math.isnan(x) and math.isnan(y):
                continue
            ok = False
        else:
            diff = abs(x - y)
            ok = diff <= args.atol + args.rtol * max(abs(x), abs(y))
            scale = max(abs(x), abs(y))
            rel = diff / scale if scale > 0 else 0.0
            if rel > worst_rel:
                worst_rel, worst_i = rel, i
        if not ok:
            print(f"DIFFER: row {i + 1} (data line {i + 2}): {column} {x!r} vs {y!r} "
                  f"(abs diff {abs(x - y):.3g}, rtol {args.rtol:g}, atol {args.atol:g})")
            return 1

    where = f" at row {worst_i + 1}" if worst_i is not None else ""
    print(f"SAME: {column}: {len(a)} rows, max relative difference {worst_rel:.3g}{where} "
          f"(rtol {args.rtol:g}, atol {args.atol:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
