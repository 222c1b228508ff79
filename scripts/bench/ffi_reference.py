"""The same cases as ffi.ts with MLX's Python API (mlx-cpu) and NumPy, one JSON per line."""

import gc
import json
import time

import mlx.core as mx
import numpy as np

data = np.array([1, 2, 3, 4], dtype=np.float32)


def measure(library, name, body):
    """Best of 5 rounds of about 0.2 s each, after a warm-up that also sizes the rounds."""
    iterations = 0
    warmup_start = time.perf_counter()
    while time.perf_counter() - warmup_start < 0.2:
        for _ in range(10):
            body()
        iterations += 10
    best = float("inf")
    gc.disable()
    for _ in range(5):
        start = time.perf_counter_ns()
        for _ in range(iterations):
            body()
        best = min(best, (time.perf_counter_ns() - start) / iterations)
    gc.enable()
    print(json.dumps({"runtime": library, "case": name, "ns": round(best)}))


a = mx.array(data)
b = mx.array(data)


def create():
    mx.array(data)


def add_record():
    mx.add(a, b)


def add_eval():
    c = mx.add(a, b)
    mx.eval(c)


def full():
    x = mx.array(data)
    c = mx.add(x, b)
    mx.eval(c)


def full_read():
    x = mx.array(data)
    c = mx.add(x, b)
    np.array(c)


measure("mlx", "create 4 x f32 + dispose", create)
measure("mlx", "add (record) + dispose", add_record)
measure("mlx", "add + eval + dispose", add_eval)
measure("mlx", "create + add + eval + dispose", full)
measure("mlx", "create + add + eval + read + dispose", full_read)
measure("numpy", "create 4 x f32 + dispose", lambda: np.array(data))
measure("numpy", "add + eval + dispose", lambda: np.add(data, data))
measure("numpy", "create + add + eval + read + dispose", lambda: np.add(np.array(data), data))
