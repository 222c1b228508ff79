"""Prints the benchmark table: the machine's peak figures, then one row per case with our time
under Deno and Bun, each reference's time, the ratios reference / ours (ours: the faster of
Deno and Bun; above 1: mlx-ts is faster), and our achieved rate with its fraction of the
machine's peak (GFLOP/s against the theoretical peak of the case's dtype, GB/s against the
measured bandwidth). A "-" is a library without the op or a run left out; the reasons follow
the table.

usage: table.py CASES.jsonl MACHINE.jsonl RESULTS.jsonl   (MACHINE: machine.py's lines)
"""

import json
import sys

OURS = ("deno", "bun")
REFERENCES = ("numpy", "mlx", "torch")


def number(value):
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def rate(case, ns, machine):
    """Our achieved rate and its fraction of the machine's peak, as cells."""
    if case.get("flops"):
        value = case["flops"] / ns
        return f"{number(value)} GFLOP/s", f"{value / machine['flops'][case.get('dtype', 'float32')]:.2f}"
    if case.get("bytes"):
        value = case["bytes"] / ns
        return f"{number(value)} GB/s", f"{value / machine['bandwidth']:.2f}"
    if case.get("perToken"):
        return f"{number(1e9 / ns)} tok/s", ""
    return "", ""


def rows(cases, results, machine):
    header = ["case", "unit", *OURS, *REFERENCES, *(f"{r}/ours" for r in REFERENCES), "ours rate", "of peak"]
    table = [header]
    group = None
    for case in cases:
        times = results.get(case["name"], {})
        if case["group"] != group:
            group = case["group"]
            table.append([f"[{group}]"])
        measured = [times[k] for k in (*OURS, *REFERENCES) if k in times]
        ours = min((times[k] for k in OURS if k in times), default=None)
        unit, scale = ("ms", 1e6) if measured and min(measured) >= 1e6 else ("µs", 1e3)
        cells = [case["name"], unit]
        cells += [number(times[k] / scale) if k in times else "-" for k in (*OURS, *REFERENCES)]
        cells += [ratio(times[r] / ours) if ours and r in times else "-" for r in REFERENCES]
        cells += rate(case, ours, machine) if ours else ["", ""]
        table.append(cells)
    return table


def ratio(value):
    if value >= 100:
        return f"{value:.0f}x"
    return f"{value:.1f}x" if value >= 10 else f"{value:.2f}x"


def header(measurements):
    """Prints the machine's figures; returns them with the best bandwidth of all measurements."""
    first = measurements[0]
    for line in first["lines"]:
        print(line)
    when = ("start", "end") if len(measurements) == 2 else range(len(measurements))
    best = max(max(m["bandwidth"].values()) for m in measurements)
    seen = "; ".join(
        f"{label}: " + ", ".join(f"{name} {value:.1f}" for name, value in m["bandwidth"].items())
        for label, m in zip(when, measurements)
    )
    print(f"memory bandwidth: {best:.1f} GB/s, the best of sum b (read), a = b (copy) and a = b + 3c (triad)"
          f" over 256 MiB float32 arrays in PyTorch on {first['cores']} threads, best of 30, bytes read +"
          f" written, measured at the {seen} GB/s")
    load = max(m["load"] for m in measurements)
    loads = " ".join(f"{m['load']:.1f}" for m in measurements)
    print(f"load average (1 min) at the start and end: {loads}")
    if load > first["cores"] / 2:
        print(f"warning: the machine was busy (load up to {load:.1f} on {first['cores']} cores): threaded kernels"
              " wait on preempted threads; rerun noisy cases (scripts/bench/run FILTER)")
    return {**first, "bandwidth": best}


def main():
    cases = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    machine = header([json.loads(line) for line in open(sys.argv[2]) if line.strip()])
    results, skips = {}, {}
    for line in open(sys.argv[3]):
        record = json.loads(line)
        if "ns" in record:
            results.setdefault(record["case"], {})[record["runtime"]] = record["ns"]
        else:
            skips.setdefault((record["runtime"], record["skip"]), []).append(record["case"])
    print("ratios: reference time / ours (ours: the faster of deno and bun); above 1: mlx-ts is faster")
    print()
    table = rows(cases, results, machine)
    widths = [max(len(row[i]) for row in table if len(row) > 1) for i in range(len(table[0]))]
    for index, row in enumerate(table):
        if len(row) == 1:
            print(row[0])
            continue
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if index == 0:
            print("  ".join("-" * w for w in widths))
    if skips:
        print()
        print("not measured (-):")
        for (library, reason), names in skips.items():
            shown = ", ".join(names[:3]) + (f", ... ({len(names)} cases)" if len(names) > 3 else "")
            print(f"  {library}: {reason}: {shown}")


if __name__ == "__main__":
    main()
