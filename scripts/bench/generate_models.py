"""Random-weight Llama models in MLX-community layout for the benchmark's llm cases, made once
with mlx-lm into OUT_DIR/<name> (scripts/bench/run keeps them in a temporary folder between
runs): the same files feed our library and mlx-lm.

usage: generate_models.py OUT_DIR < cases.jsonl   (makes the models the cases name, if missing)
"""

import contextlib
import json
import pathlib
import sys

PRESETS = {
    # ~120M parameters (4-bit: ~70 MB).
    "llama-120m-4bit": dict(hidden_size=1024, num_hidden_layers=12, intermediate_size=2816,
                            num_attention_heads=16, num_key_value_heads=4, bits=4),
    # TinyLlama-1.1B's shapes (4-bit: ~600 MB).
    "llama-1.1b-4bit": dict(hidden_size=2048, num_hidden_layers=22, intermediate_size=5632,
                            num_attention_heads=32, num_key_value_heads=4, bits=4),
    "llama-120m-f16": dict(hidden_size=1024, num_hidden_layers=12, intermediate_size=2816,
                           num_attention_heads=16, num_key_value_heads=4, bits=None),
}


def make(path: pathlib.Path, preset: dict) -> None:
    import mlx.core as mx
    from mlx_lm.utils import _get_classes, quantize_model, save_config, save_model

    config = {"model_type": "llama", "vocab_size": 32000, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
              "tie_word_embeddings": False, "max_position_embeddings": 4096}
    config.update({k: v for k, v in preset.items() if k != "bits"})
    model_class, args_class = _get_classes(config)
    mx.random.seed(0)
    model = model_class(args_class.from_dict(config))
    model.set_dtype(mx.float16)
    if preset["bits"] is not None:
        model, config = quantize_model(model, config, 64, preset["bits"])
    mx.eval(model.parameters())
    save_model(path, model)
    save_config(config, path / "config.json")


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    cases = [json.loads(line) for line in sys.stdin if line.strip()]
    names = {case["model"] for case in cases if case["kind"] in ("prompt", "decode")}
    for name in sorted(names):
        path = out / name
        if not (path / "config.json").exists():
            print(f"bench: making {name} in {path}", file=sys.stderr)
            with contextlib.redirect_stdout(sys.stderr):  # mlx-lm prints progress to stdout
                make(path, PRESETS[name])


if __name__ == "__main__":
    main()
