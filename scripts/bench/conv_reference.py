"""The cases of conv.ts (read as JSON from stdin) with MLX (mlx-cpu), one JSON line per case."""

import json
import sys
import time

import mlx.core as mx

for case in json.load(sys.stdin):
    size_in = 1
    for d in case["input"]:
        size_in *= d
    size_w = 1
    for d in case["weight"]:
        size_w *= d
    x = mx.sin(mx.arange(size_in, dtype=mx.float32) * 1.37).reshape(case["input"])
    w = mx.sin(mx.arange(size_w, dtype=mx.float32) * 2.37).reshape(case["weight"])
    mx.eval(x, w)

    def run():
        mx.eval(mx.conv2d(x, w, stride=case["stride"], padding=case["padding"]))

    run()
    best = float("inf")
    for _ in range(case["rounds"]):
        start = time.perf_counter_ns()
        run()
        best = min(best, time.perf_counter_ns() - start)
    print(json.dumps({"runtime": "mlx", "case": case["name"], "ns": best, "flops": case["flops"]}), flush=True)
