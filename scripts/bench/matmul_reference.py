"""The cases of matmul.ts with NumPy (its BLAS, OpenBLAS here) and MLX (mlx-cpu), one JSON line
per case."""

import json
import time

import mlx.core as mx
import numpy as np


def measure(library, n, fn):
    rounds = 3 if n >= 4096 else 10
    fn()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter_ns()
        fn()
        best = min(best, time.perf_counter_ns() - start)
    print(json.dumps({"runtime": library, "case": f"matmul f32 {n}", "ns": best}), flush=True)


for n in (256, 1024, 4096):
    a = np.sin(np.arange(n * n, dtype=np.float32) * np.float32(1.37)).reshape(n, n)
    b = np.sin(np.arange(n * n, dtype=np.float32) * np.float32(2.37)).reshape(n, n)
    measure("numpy", n, lambda: a @ b)
    xa, xb = mx.array(a), mx.array(b)
    mx.eval(xa, xb)
    measure("mlx", n, lambda: mx.eval(xa @ xb))
