"""Prints benchmark results (JSON lines: runtime, case, ns) as a table with ratios.

usage: table.py RESULTS COLUMN... -- the first column is ours, ratios are column/first.
"""

import json
import sys


def main():
    path, columns = sys.argv[1], sys.argv[2:]
    rows = {}
    for line in open(path):
        record = json.loads(line)
        rows.setdefault(record["case"], {})[record["runtime"]] = record["ns"]
    header = ["case"] + [f"{c} ns" for c in columns] + [f"{c}/{columns[0]}" for c in columns[1:]]
    table = [header]
    for case, values in rows.items():
        ours = values.get(columns[0])
        cells = [case] + [str(values.get(c, "-")) for c in columns]
        for c in columns[1:]:
            other = values.get(c)
            cells.append(f"{other / ours:.2f}x" if ours and other else "-")
        table.append(cells)
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for index, row in enumerate(table):
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
        if index == 0:
            print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
