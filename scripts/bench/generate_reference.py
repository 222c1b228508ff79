"""Prompt and decode speed of mlx-lm (mlx-cpu) on the bench models: one JSON line per case,
nanoseconds per token, the same prompt ids as generate.ts.

mlx-cpu's quantized matmul on Linux is a scalar loop (about 4 s per token for the 120M 4-bit
model on 2 cores), so quantized models get a shorter run here (16 prompt tokens, 4 generated,
one round; per-token times are what is compared) and the 1.1B model is left out (hours).

usage: generate_reference.py   (reads the cases as JSON from stdin)
"""

import json
import sys
import time


def main() -> None:
    import mlx.core as mx
    from mlx_lm.generate import generate_step
    from mlx_lm.utils import load_model

    mx.set_default_device(mx.cpu)
    for case in json.load(sys.stdin):
        quantized = "bit" in case["name"]
        if "1.1b" in case["name"]:
            continue
        model, _ = load_model(__import__("pathlib").Path(case["dir"]))
        prompt_tokens = 16 if quantized else case["promptTokens"]
        gen_tokens = 4 if quantized else case["genTokens"]
        prompt = mx.array([(i * 7919) % 31000 + 100 for i in range(prompt_tokens)])
        best_prompt, best_decode = float("inf"), float("inf")
        for _ in range(1 if quantized else 2):
            start = time.perf_counter_ns()
            first = None
            count = 0
            for token, _ in generate_step(prompt, model, max_tokens=gen_tokens, sampler=lambda x: mx.argmax(x, axis=-1)):
                count += 1
                if first is None:
                    first = time.perf_counter_ns()
            end = time.perf_counter_ns()
            best_prompt = min(best_prompt, (first - start) / prompt_tokens)
            best_decode = min(best_decode, (end - first) / (count - 1))
        print(json.dumps({"runtime": "mlx", "case": f"{case['name']} prompt", "ns": round(best_prompt)}))
        print(json.dumps({"runtime": "mlx", "case": f"{case['name']} decode", "ns": round(best_decode)}))


if __name__ == "__main__":
    main()
