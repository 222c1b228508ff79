"""The benchmark cases (cases.ts) in one reference library: NumPy (its BLAS: OpenBLAS), MLX
(mlx-cpu) or PyTorch CPU. Reads cases as JSON lines on stdin and answers each with one JSON
line, {runtime, case, ns}, or {runtime, case, skip: reason} where the library lacks the op or a
run would take minutes. One process per library (driver.py keeps them side by side).

usage: deno run cases.ts [FILTER...] | reference.py numpy|mlx|torch [--models=DIR]

Inputs are the same values as ours.ts's (sin(i * (0.37 + seed)), made in NumPy and converted);
timing follows ours.ts's measure().
"""

import gc
import json
import math
import os
import sys
import time

import numpy as np


class Skip(Exception):
    """The library has no such op, or the case would take too long in it."""


def measure(call):
    """Best ns of one call: ours.ts's measure() (warm-up; calls for 20 ms; rounds for ~1 s)."""
    start = time.perf_counter()
    call()
    warmup = time.perf_counter() - start
    if warmup >= 5:
        return warmup * 1e9
    gc.disable()
    try:
        calls = 0
        start = time.perf_counter()
        while True:
            call()
            calls += 1
            if time.perf_counter() - start >= 0.02:
                break
        estimate = (time.perf_counter() - start) / calls
        best = estimate
        inner = math.ceil(0.02 / estimate) if estimate < 1e-3 else 1
        rounds = min(10, max(1, int(1 / (estimate * inner))))
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(inner):
                call()
            best = min(best, (time.perf_counter() - start) / inner)
    finally:
        gc.enable()
    return best * 1e9


def wave(shape, seed):
    """ours.ts's wave(): a float32 array of sin(i * (0.37 + seed))."""
    count = math.prod(shape)
    return np.sin(np.arange(count, dtype=np.float32) * np.float32(0.37 + seed)).reshape(shape)


def gelu(x, erf):
    return x * 0.5 * (erf(x / math.sqrt(2)) + 1)


def norm_chain(x, w, b, rsqrt):
    mean = x.mean(axis=-1, keepdims=True)
    centered = x - mean
    variance = (centered * centered).mean(axis=-1, keepdims=True)
    return centered * rsqrt(variance + 1e-5) * w + b


MISSING = {"conv2d": "no convolution", "quantized": "no quantized matmul", "sdpa": "no attention",
           "train": "no autodiff", "encoder": "no nn layers", "prompt": "not run (mlx-lm only)",
           "decode": "not run (mlx-lm only)"}


def numpy_bench(c):
    kind = c["kind"]
    if c.get("dtype") == "bfloat16":
        raise Skip("no bfloat16")
    dtype = np.float16 if c.get("dtype") == "float16" else np.float32
    if kind == "matmul":
        if dtype != np.float32:
            raise Skip("float16 matmul does not use BLAS")
        a = wave([c["m"], c["k"]], 1)
        if c["transposeB"]:
            w = wave([c["n"], c["k"]], 2)
            return lambda: a @ w.T
        b = wave([c["k"], c["n"]], 2)
        return lambda: a @ b
    if kind == "unary":
        if c["op"] == "erf":
            raise Skip("no erf")
        x = wave([c["n"]], 1) + np.float32(c["offset"])
        ops = {"exp": np.exp, "tanh": np.tanh, "log": np.log, "sin": np.sin, "sigmoid": lambda v: 1 / (1 + np.exp(-v))}
        op = ops[c["op"]]
        return lambda: op(x)
    if kind == "binary":
        a, b = wave([c["n"]], 1), wave([c["n"]], 2)
        return (lambda: a + b) if c["op"] == "add" else (lambda: a * b + a)
    if kind == "astype":
        x = wave([c["n"]], 1)
        return lambda: x.astype(np.float16)
    if kind == "random":
        rng = np.random.default_rng(7)
        if c["dist"] == "normal":
            return lambda: rng.standard_normal(c["n"], dtype=np.float32)
        return lambda: rng.random(c["n"], dtype=np.float32)
    if kind == "transpose":
        x = wave([c["n"], c["n"]], 1)
        return lambda: np.ascontiguousarray(x.T)
    if kind == "reduce":
        x = wave(c["shape"], 1)
        op = {"sum": np.sum, "max": np.max, "cumsum": np.cumsum}[c["op"]]
        return lambda: op(x, axis=c["axis"])
    if kind in ("softmax", "layerNorm", "rmsNorm"):
        if dtype != np.float32:
            raise Skip("float16 arithmetic converts per element")
        x, w, b = wave([c["rows"], c["cols"]], 1), wave([c["cols"]], 2), wave([c["cols"]], 3)
        if kind == "softmax":
            def softmax():
                e = np.exp(x - x.max(axis=-1, keepdims=True))
                return e / e.sum(axis=-1, keepdims=True)
            return softmax
        if kind == "layerNorm":
            return lambda: norm_chain(x, w, b, lambda v: 1 / np.sqrt(v))
        return lambda: x / np.sqrt((x * x).mean(axis=-1, keepdims=True) + 1e-5) * w
    if kind == "overhead":
        data = np.array([1, 2, 3, 4], dtype=np.float32)
        calls = {"create": lambda: np.array(data), "eval": lambda: np.add(data, data),
                 "roundtrip": lambda: np.add(np.array(data), data).tolist()}
        if c["op"] not in calls:
            raise Skip("no lazy graph or native handle")
        return calls[c["op"]]
    if kind == "compile":
        if c["compiled"] or c["fn"] == "gelu":
            raise Skip("no compiler" if c["compiled"] else "no erf")
        x = wave([c["rows"] * c["cols"]], 1).reshape(c["rows"], c["cols"])
        w, b = np.ones(c["cols"], np.float32), np.zeros(c["cols"], np.float32)
        return lambda: norm_chain(x, w, b, lambda v: 1 / np.sqrt(v))
    raise Skip(MISSING.get(kind, "no such op"))


def mlx_bench(c):
    import mlx.core as mx

    kind = c["kind"]
    dtype = {"float32": mx.float32, "float16": mx.float16, "bfloat16": mx.bfloat16}[c.get("dtype", "float32")]

    def array(shape, seed, dt=mx.float32):
        x = mx.array(wave(shape, seed)).astype(dt)
        mx.eval(x)
        return x

    def evaluated(make):
        return lambda: mx.eval(make())

    if kind == "matmul":
        if dtype != mx.float32 and c["m"] >= 4096:
            raise Skip("float16/bfloat16 GEMM ~45 s at n = 4096 (n = 1024 has the same rate)")
        a = array([c["m"], c["k"]], 1, dtype)
        if c["transposeB"]:
            w = array([c["n"], c["k"]], 2, dtype)
            return evaluated(lambda: a @ w.T)
        b = array([c["k"], c["n"]], 2, dtype)
        return evaluated(lambda: a @ b)
    if kind == "unary":
        x = array([c["n"]], 1) + c["offset"]
        op = getattr(mx, c["op"])
        return evaluated(lambda: op(x))
    if kind == "binary":
        a, b = array([c["n"]], 1), array([c["n"]], 2)
        return evaluated((lambda: a + b) if c["op"] == "add" else (lambda: a * b + a))
    if kind == "astype":
        x = array([c["n"]], 1)
        return evaluated(lambda: x.astype(dtype))
    if kind == "random":
        key = mx.random.key(7)
        sample = mx.random.normal if c["dist"] == "normal" else mx.random.uniform
        return evaluated(lambda: sample(shape=[c["n"]], key=key))
    if kind == "transpose":
        x = array([c["n"], c["n"]], 1)
        return evaluated(lambda: mx.contiguous(x.T))
    if kind == "reduce":
        x = array(c["shape"], 1)
        op = {"sum": mx.sum, "max": mx.max, "cumsum": mx.cumsum}[c["op"]]
        return evaluated(lambda: op(x, axis=c["axis"]))
    if kind in ("softmax", "layerNorm", "rmsNorm"):
        x = array([c["rows"], c["cols"]], 1, dtype)
        w, b = array([c["cols"]], 2, dtype), array([c["cols"]], 3, dtype)
        make = {"softmax": lambda: mx.softmax(x, axis=-1),
                "layerNorm": lambda: mx.fast.layer_norm(x, w, b, 1e-5),
                "rmsNorm": lambda: mx.fast.rms_norm(x, w, 1e-5)}[kind]
        return evaluated(make)
    if kind == "conv2d":
        x, w = array(c["input"], 1), array(c["weight"], 2)
        return evaluated(lambda: mx.conv2d(x, w, stride=c["stride"], padding=c["padding"]))
    if kind == "quantized":
        if c["m"] > 8 and dtype == mx.float16:
            raise Skip("float16 qmm is a scalar loop on Linux (~70 s)")
        x, w = array([c["m"], c["k"]], 1, dtype), array([c["n"], c["k"]], 2, dtype)
        options = {"group_size": c["groupSize"], "bits": c["bits"]}
        wq, scales, biases = mx.quantize(w, **options)
        mx.eval(wq, scales, biases)
        return evaluated(lambda: mx.quantized_matmul(x, wq, scales, biases, transpose=True, **options))
    if kind == "sdpa":
        q = array([c["b"], c["h"], c["l"], c["d"]], 1)
        k, v = array([c["b"], c["hkv"], c["s"], c["d"]], 2), array([c["b"], c["hkv"], c["s"], c["d"]], 3)
        mask = "causal" if c["causal"] else None
        scale = 1 / math.sqrt(c["d"])
        return evaluated(lambda: mx.fast.scaled_dot_product_attention(q, k, v, scale=scale, mask=mask))
    return mlx_composite(c, mx)


def mlx_composite(c, mx):
    import mlx.nn as nn

    kind = c["kind"]
    if kind == "train":
        return mlx_train_step(c)
    if kind == "encoder":
        model = nn.TransformerEncoder(c["layers"], c["dims"], c["heads"])
        x = mx.array(wave([c["batch"], c["length"], c["dims"]], 1))
        mx.eval(x, model.parameters())
        return lambda: mx.eval(model(x, None))
    if kind == "overhead":
        data = np.array([1, 2, 3, 4], dtype=np.float32)
        a, b = mx.array(data), mx.array(data)
        calls = {"create": lambda: mx.array(data), "record": lambda: mx.add(a, b),
                 "eval": lambda: mx.eval(mx.add(a, b)), "roundtrip": lambda: np.array(mx.add(mx.array(data), b))}
        if c["op"] not in calls:
            raise Skip("no handle-level native call")
        return calls[c["op"]]
    if kind == "compile":
        x = mx.array(wave([c["rows"] * c["cols"]], 1)).reshape(c["rows"], c["cols"])
        w, b = mx.ones((c["cols"],)), mx.zeros((c["cols"],))
        mx.eval(x, w, b)
        if c["fn"] == "gelu":
            f = mx.compile(lambda v: gelu(v, mx.erf)) if c["compiled"] else (lambda v: gelu(v, mx.erf))
            return lambda: mx.eval(f(x))
        f = (lambda x, w, b: norm_chain(x, w, b, mx.rsqrt))
        f = mx.compile(f) if c["compiled"] else f
        return lambda: mx.eval(f(x, w, b))
    if kind in ("prompt", "decode"):
        return mlx_generation(c)[kind]
    raise Skip("no such op")


def mlx_train_step(c):
    import mlx.core as mx
    import mlx.nn as nn
    import mlx.optimizers as optim

    class Cnn(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
            self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
            self.pool = nn.MaxPool2d(2, 2)
            self.fc1 = nn.Linear(7 * 7 * 64, 128)
            self.fc2 = nn.Linear(128, 10)

        def __call__(self, x):
            x = self.pool(nn.relu(self.conv1(x)))
            x = self.pool(nn.relu(self.conv2(x)))
            x = x.reshape(x.shape[0], -1)
            return self.fc2(nn.relu(self.fc1(x)))

    if c["model"] == "cnn":
        model, shape = Cnn(), [c["batch"], 28, 28, 1]
    else:
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        shape = [c["batch"], 784]
    optimizer = optim.Adam(learning_rate=1e-3)
    x = mx.random.uniform(shape=shape)
    y = mx.random.randint(0, 10, [c["batch"]])
    mx.eval(x, y, model.parameters())
    loss_and_grad = nn.value_and_grad(model, lambda m, x, y: nn.losses.cross_entropy(m(x), y, reduction="mean"))

    def step():
        loss, grads = loss_and_grad(model, x, y)
        optimizer.update(model, grads)
        mx.eval(loss, model.parameters(), optimizer.state)

    return step


generations = {}


def mlx_generation(c):
    """mlx-lm's prompt and decode ns per token on one model folder, measured once for both.

    mlx-cpu's quantized matmul on Linux is a scalar loop (seconds per token at 120M
    parameters), so quantized models get a short run (8 prompt tokens, 4 generated, one round;
    per-token times are what is compared) and the 1.1B model is left out (hours)."""
    import pathlib

    import mlx.core as mx
    from mlx_lm.generate import generate_step
    from mlx_lm.utils import load_model

    name = c["model"]
    if name in generations:
        return generations[name]
    quantized = "bit" in name
    if "1.1b" in name:
        raise Skip("1.1B 4-bit: MLX's scalar qmm would take hours")
    model, _ = load_model(pathlib.Path(MODELS) / name)
    prompt_tokens = 8 if quantized else c["promptTokens"]
    gen_tokens = 4 if quantized else c["genTokens"]
    prompt = mx.array([(i * 7919) % 31000 + 100 for i in range(prompt_tokens)])
    best = {"prompt": math.inf, "decode": math.inf}
    for _ in range(1 if quantized else 2):
        start = time.perf_counter_ns()
        first, count = None, 0
        for _ in generate_step(prompt, model, max_tokens=gen_tokens, sampler=lambda x: mx.argmax(x, axis=-1)):
            count += 1
            if first is None:
                first = time.perf_counter_ns()
        end = time.perf_counter_ns()
        best["prompt"] = min(best["prompt"], (first - start) / prompt_tokens)
        best["decode"] = min(best["decode"], (end - first) / (count - 1))
    generations[name] = best
    return best


def torch_bench(c):
    import torch
    import torch.nn.functional as F

    kind = c["kind"]
    dtype = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}[c.get("dtype", "float32")]

    def tensor(shape, seed, dt=torch.float32):
        return torch.from_numpy(wave(shape, seed)).to(dt)

    if kind == "matmul":
        if dtype == torch.float16 and c["m"] >= 4096:
            raise Skip("float16 GEMM ~2 min at n = 4096 (2 s at 1024)")
        a = tensor([c["m"], c["k"]], 1, dtype)
        if c["transposeB"]:
            w = tensor([c["n"], c["k"]], 2, dtype)
            return lambda: a @ w.T
        b = tensor([c["k"], c["n"]], 2, dtype)
        return lambda: a @ b
    if kind == "unary":
        x = tensor([c["n"]], 1) + c["offset"]
        op = getattr(torch, c["op"])
        return lambda: op(x)
    if kind == "binary":
        a, b = tensor([c["n"]], 1), tensor([c["n"]], 2)
        return (lambda: a + b) if c["op"] == "add" else (lambda: a * b + a)
    if kind == "astype":
        x = tensor([c["n"]], 1)
        return lambda: x.to(dtype)
    if kind == "random":
        generator = torch.Generator().manual_seed(7)
        sample = torch.randn if c["dist"] == "normal" else torch.rand
        return lambda: sample(c["n"], generator=generator)
    if kind == "transpose":
        x = tensor([c["n"], c["n"]], 1)
        return lambda: x.T.contiguous()
    if kind == "reduce":
        x = tensor(c["shape"], 1)
        if c["op"] == "cumsum":
            return lambda: torch.cumsum(x, 0)
        op = torch.sum if c["op"] == "sum" else torch.amax
        return (lambda: op(x)) if c["axis"] is None else (lambda: op(x, dim=c["axis"]))
    if kind in ("softmax", "layerNorm", "rmsNorm"):
        x = tensor([c["rows"], c["cols"]], 1, dtype)
        w, b = tensor([c["cols"]], 2, dtype), tensor([c["cols"]], 3, dtype)
        shape = (c["cols"],)
        return {"softmax": lambda: torch.softmax(x, -1),
                "layerNorm": lambda: F.layer_norm(x, shape, w, b, 1e-5),
                "rmsNorm": lambda: F.rms_norm(x, shape, w, 1e-5)}[kind]
    if kind == "conv2d":
        # NHWC memory seen as NCHW (channels_last), the weights likewise: oneDNN's layout.
        x = tensor(c["input"], 1).permute(0, 3, 1, 2)
        w = tensor(c["weight"], 2).permute(0, 3, 1, 2)
        return lambda: F.conv2d(x, w, stride=c["stride"], padding=c["padding"])
    if kind == "sdpa":
        q = tensor([c["b"], c["h"], c["l"], c["d"]], 1)
        k, v = tensor([c["b"], c["hkv"], c["s"], c["d"]], 2), tensor([c["b"], c["hkv"], c["s"], c["d"]], 3)
        scale = 1 / math.sqrt(c["d"])
        return lambda: F.scaled_dot_product_attention(q, k, v, is_causal=c["causal"], scale=scale, enable_gqa=True)
    return torch_composite(c, torch)


def torch_composite(c, torch):
    tnn = torch.nn
    kind = c["kind"]
    if kind == "train":
        return torch_train_step(c, torch)
    if kind == "encoder":
        dims = c["dims"]
        layer = tnn.TransformerEncoderLayer(dims, c["heads"], 4 * dims, dropout=0.0, batch_first=True, norm_first=True)
        model = tnn.TransformerEncoder(layer, c["layers"], norm=tnn.LayerNorm(dims), enable_nested_tensor=False).eval()
        x = torch.from_numpy(wave([c["batch"], c["length"], dims], 1))

        def forward():
            with torch.inference_mode():
                model(x)

        return forward
    if kind == "overhead":
        data = np.array([1, 2, 3, 4], dtype=np.float32)
        a, b = torch.from_numpy(data), torch.from_numpy(data.copy())
        calls = {"create": lambda: torch.tensor(data), "eval": lambda: torch.add(a, b),
                 "roundtrip": lambda: torch.add(torch.tensor(data), b).numpy()}
        if c["op"] not in calls:
            raise Skip("no lazy graph or native handle")
        return calls[c["op"]]
    if kind == "compile" and not c["compiled"]:
        x = torch.from_numpy(wave([c["rows"] * c["cols"]], 1)).reshape(c["rows"], c["cols"])
        w, b = torch.ones(c["cols"]), torch.zeros(c["cols"])
        if c["fn"] == "gelu":
            return lambda: gelu(x, torch.erf)
        return lambda: norm_chain(x, w, b, torch.rsqrt)
    if kind == "compile":
        raise Skip("torch.compile not run (inductor builds C++ per graph)")
    if kind == "quantized":
        raise Skip("no affine group-quantized matmul")
    raise Skip(MISSING.get(kind, "no such op"))


def torch_train_step(c, torch):
    tnn = torch.nn

    class Cnn(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(1, 32, 3, padding=1)
            self.conv2 = tnn.Conv2d(32, 64, 3, padding=1)
            self.pool = tnn.MaxPool2d(2, 2)
            self.fc1 = tnn.Linear(7 * 7 * 64, 128)
            self.fc2 = tnn.Linear(128, 10)

        def forward(self, x):
            x = self.pool(torch.relu(self.conv1(x)))
            x = self.pool(torch.relu(self.conv2(x)))
            return self.fc2(torch.relu(self.fc1(x.flatten(1))))

    if c["model"] == "cnn":
        model, shape = Cnn(), [c["batch"], 1, 28, 28]
    else:
        model = tnn.Sequential(tnn.Linear(784, 512), tnn.ReLU(), tnn.Linear(512, 512), tnn.ReLU(), tnn.Linear(512, 10))
        shape = [c["batch"], 784]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.rand(shape)
    y = torch.randint(0, 10, [c["batch"]])
    loss_fn = tnn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        loss.item()

    return step


MODELS = next((a.split("=", 1)[1] for a in sys.argv[2:] if a.startswith("--models=")), "")


def main():
    library = sys.argv[1]
    bench = {"numpy": numpy_bench, "mlx": mlx_bench, "torch": torch_bench}[library]
    if library == "torch":
        import torch

        torch.set_num_threads(os.cpu_count())
    for line in iter(sys.stdin.readline, ""):
        if not line.strip():
            continue
        case = json.loads(line)
        record = {"runtime": library, "case": case["name"]}
        try:
            result = bench(case)
            record["ns"] = round(result if isinstance(result, (int, float)) else measure(result))
        except Skip as skip:
            record["skip"] = str(skip)
        except Exception as error:  # a broken case is reported, the others still run
            record["skip"] = f"error: {error!r}"
        result = None  # frees the case's inputs before this process waits beside the others
        gc.collect()
        print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
