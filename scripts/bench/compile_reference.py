"""The cases of compile.ts with MLX (mlx-cpu): uncompiled and mx.compile, one JSON line each."""

import json
import math
import time

import mlx.core as mx


def gelu(x):
    return x * 0.5 * (mx.erf(x / math.sqrt(2)) + 1)


def norm(x, w, b):
    mean = mx.mean(x, axis=-1, keepdims=True)
    centered = x - mean
    variance = mx.mean(mx.square(centered), axis=-1, keepdims=True)
    return centered * mx.rsqrt(variance + 1e-5) * w + b


def best_ns(run, rounds):
    run()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter_ns()
        run()
        best = min(best, time.perf_counter_ns() - start)
    return best


for label, rows, cols, rounds in (("small 16x64", 16, 64, 2000), ("large 1024x1024", 1024, 1024, 20)):
    x = mx.sin(mx.arange(rows * cols, dtype=mx.float32)).reshape(rows, cols)
    w = mx.ones((cols,))
    b = mx.zeros((cols,))
    mx.eval(x, w, b)
    compiled_gelu = mx.compile(gelu)
    compiled_norm = mx.compile(norm)
    for name, run in ((f"gelu {label}", lambda: mx.eval(gelu(x))),
                      (f"gelu {label} compiled", lambda: mx.eval(compiled_gelu(x))),
                      (f"layer norm {label}", lambda: mx.eval(norm(x, w, b))),
                      (f"layer norm {label} compiled", lambda: mx.eval(compiled_norm(x, w, b)))):
        print(json.dumps({"runtime": "mlx", "case": name, "ns": best_ns(run, rounds)}), flush=True)
