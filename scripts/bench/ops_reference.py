"""The cases of ops.ts with NumPy and MLX (mlx-cpu), one JSON line per case."""

import json
import time

import mlx.core as mx
import numpy as np


def measure(library, name, fn):
    for _ in range(3):
        fn()
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter_ns()
        fn()
        best = min(best, time.perf_counter_ns() - start)
    print(json.dumps({"runtime": library, "case": name, "ns": best}))


n1, n16 = 1 << 20, 1 << 24
a1 = np.arange(n1, dtype=np.float32) * np.float32(1e-6)
b1 = a1 + 1
a16 = np.arange(n16, dtype=np.float32) * np.float32(1e-7)
b16 = a16 + 1
m = a16.reshape(4096, 4096)
s = a1.reshape(1024, 1024)


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


cases = {
    "add f32 1M": (lambda: np.add(a1, b1), lambda x: mx.add(x["a1"], x["b1"])),
    "add f32 16M": (lambda: np.add(a16, b16), lambda x: mx.add(x["a16"], x["b16"])),
    "multiply-add chain f32 16M": (lambda: a16 * b16 + a16, lambda x: x["a16"] * x["b16"] + x["a16"]),
    "exp f32 1M": (lambda: np.exp(a1), lambda x: mx.exp(x["a1"])),
    "tanh f32 1M": (lambda: np.tanh(a1), lambda x: mx.tanh(x["a1"])),
    "log f32 1M": (lambda: np.log(b1), lambda x: mx.log(x["b1"])),
    "sigmoid f32 1M": (lambda: 1 / (1 + np.exp(-a1)), lambda x: mx.sigmoid(x["a1"])),
    "expm1 f32 1M": (lambda: np.expm1(a1), lambda x: mx.expm1(x["a1"])),
    "log1p f32 1M": (lambda: np.log1p(a1), lambda x: mx.log1p(x["a1"])),
    "sin f32 1M": (lambda: np.sin(a1), lambda x: mx.sin(x["a1"])),
    # NumPy has no erf.
    "erf f32 1M": (None, lambda x: mx.erf(x["a1"])),
    "logaddexp f32 1M": (lambda: np.logaddexp(a1, b1), lambda x: mx.logaddexp(x["a1"], x["b1"])),
    "sum f32 16M": (lambda: a16.sum(), lambda x: mx.sum(x["a16"])),
    "sum rows f32 4096x4096": (lambda: m.sum(axis=1), lambda x: mx.sum(x["m"], axis=1)),
    "sum columns f32 4096x4096": (lambda: m.sum(axis=0), lambda x: mx.sum(x["m"], axis=0)),
    "max f32 16M": (lambda: a16.max(), lambda x: mx.max(x["a16"])),
    "softmax f32 1024x1024 (last axis)": (lambda: softmax(s), lambda x: mx.softmax(x["s"], axis=-1)),
    "cumsum f32 1M": (lambda: np.cumsum(a1), lambda x: mx.cumsum(x["a1"])),
    "transpose copy f32 4096x4096": (lambda: np.ascontiguousarray(m.T), lambda x: mx.contiguous(x["m"].T) if hasattr(mx, "contiguous") else x["m"].T * 1),
    "astype f32->f16 16M": (lambda: a16.astype(np.float16), lambda x: x["a16"].astype(mx.float16)),
}

arrays = {k: mx.array(v) for k, v in {"a1": a1, "b1": b1, "a16": a16, "b16": b16, "m": m, "s": s}.items()}
mx.eval(arrays)
for name, (numpy_fn, mlx_fn) in cases.items():
    if numpy_fn is not None:
        measure("numpy", name, numpy_fn)
    measure("mlx", name, lambda: mx.eval(mlx_fn(arrays)))
