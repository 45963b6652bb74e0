"""GPU training benchmark (issue G): LIFT's training loop against a plain transformers + peft loop on the same
data, for several model shapes and step sizes, then `lift train` + `lift ask` end to end on a GPU.

Self-contained, to fit one call of a lent GPU machine (< 8 min on an H200): random-init Llama-shaped models
built from the configs below, the embedded model's tokenizer (--tokenizer: a folder with its files), the
bundled demo essay repeated to the lengths needed (repeated sentences make repeated QA pairs; the token
counts are what matters here), no downloads.

    python benchmarks/gpu/run.py --tokenizer DIR --out DIR            # on the GPU
    python benchmarks/gpu/run.py --tiny --device cpu --tokenizer DIR  # what the test suite runs

Per (shape, step tokens, loop): tokens/s over one epoch of the template QA examples of an 8k-token document
(after a warm-up on the first 64 examples), FLOP/s as src/lift/bench/flops.py counts useful work, its share
of the bf16 matmul peak measured in the same run, and peak memory. The plain loop is LoRA r8 on every linear
layer via peft, bf16 autocast, fused AdamW, SDPA causal, examples padded per batch (no packing) up to the same
tokens per step; LIFT's loop runs each packed-attention kernel given with --kernels. Writes results.csv,
e2e.csv and README.md under --out.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import torch

SHAPES = {  # LlamaConfig fields; vocab sizes are the real models' (the tokenizer uses the first 49,152 ids)
    "smollm2-135m": dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                         num_key_value_heads=3, vocab_size=49152, tie_word_embeddings=True),
    "smollm2-360m": dict(hidden_size=960, intermediate_size=2560, num_hidden_layers=32, num_attention_heads=15,
                         num_key_value_heads=5, vocab_size=49152, tie_word_embeddings=True),
    "llama-1b": dict(hidden_size=2048, intermediate_size=8192, num_hidden_layers=16, num_attention_heads=32,
                     num_key_value_heads=8, vocab_size=128256, tie_word_embeddings=True),
    "llama-3b": dict(hidden_size=3072, intermediate_size=8192, num_hidden_layers=28, num_attention_heads=24,
                     num_key_value_heads=8, vocab_size=128256, tie_word_embeddings=True),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=2, vocab_size=0, tie_word_embeddings=True),  # vocab 0: the tokenizer's
}  # fmt: skip
WARMUP_EXAMPLES = 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", required=True, help="Folder with the embedded model's tokenizer files.")
    parser.add_argument("--out", default="benchmarks/results/gpu")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--shapes", default="smollm2-135m,smollm2-360m,llama-1b,llama-3b")
    parser.add_argument("--steps", default="4096,16384", help="Tokens per optimizer step to measure.")
    parser.add_argument("--kernels", default="varlen,block_mask", help="LIFT packed-attention kernels to run.")
    parser.add_argument("--all-kernels-on", default="smollm2-135m", help="Shapes that also run the loop kernel.")
    parser.add_argument("--document-tokens", type=int, default=8000, help="Document behind the training data.")
    parser.add_argument("--e2e", default="8000,32000", help="Document lengths for lift train + ask ('' skips).")
    parser.add_argument("--tiny", action="store_true", help="The test suite's run: tiny shape, small numbers.")
    args = parser.parse_args()
    if args.tiny:
        args.shapes, args.steps, args.document_tokens, args.e2e = "tiny", "256", 400, "300"
        args.kernels, args.all_kernels_on = "loop,block_mask", ""
    device = torch.device(args.device)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32

    from lift.bench.flops import matmul_peak

    peak = matmul_peak(torch.bfloat16, device.type, size=8192 if device.type == "cuda" else 512)
    print(f"bf16 matmul peak: {peak / 1e12:.1f} TFLOP/s", flush=True)
    tokenizer, examples = training_examples(args.tokenizer, args.document_tokens)
    epoch_tokens = sum(len(e) for e in examples)
    print(f"{len(examples)} examples, {epoch_tokens} tokens per epoch", flush=True)

    rows = []
    for shape in args.shapes.split(","):
        for step in [int(s) for s in args.steps.split(",")]:
            kernels = args.kernels.split(",") + (["loop"] if shape in args.all_kernels_on.split(",") else [])
            for loop in ["plain_peft", *[f"lift_{k}" for k in kernels]]:
                row = measure(shape, loop, step, examples, tokenizer, device, dtype, peak)
                print(json.dumps(row), flush=True)
                rows.append(row)
                write_csv(out / "results.csv", rows)
    e2e_rows = [end_to_end(length, args.tokenizer, device) for length in _ints(args.e2e)]
    if e2e_rows:
        write_csv(out / "e2e.csv", e2e_rows)
    write_report(out, rows, e2e_rows, peak, " ".join(sys.argv[1:]))
    print(out / "README.md")


def _ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x]


def document_text(tokenizer, tokens: int) -> str:
    """The bundled demo essay, repeated until it has `tokens` tokens (cut back to a sentence end)."""
    essay = resources.files("lift.samples").joinpath("needle_essay.txt").read_text("utf-8").strip()
    text = essay
    while len(tokenizer(text)["input_ids"]) < tokens:
        text += "\n\n" + essay
    ids = tokenizer(text)["input_ids"][:tokens]
    cut = tokenizer.decode(ids)
    return cut[: cut.rfind(".") + 1] or cut


def training_examples(tokenizer_dir: str, tokens: int):
    """The template QA examples (m = 3, replay off) of a `tokens`-token document, as `lift train` makes them."""
    from transformers import AutoTokenizer

    from lift.config import LiftConfig
    from lift.data.tasks import ExampleMaker
    from lift.synth.cache import GenerationCache
    from lift.synth.template import TemplateGenerator
    from lift.testing.synthesis import synthesize_qa
    from lift.text import split_sentences

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    config = LiftConfig().with_overrides({"train.replay_ratio": 0})
    sentences = split_sentences(document_text(tokenizer, tokens))
    with tempfile.TemporaryDirectory() as tmp, GenerationCache(Path(tmp) / "cache.sqlite") as cache:
        generator = TemplateGenerator(config.synth.qa_per_sentence, config.synth.template_forms)
        pairs = synthesize_qa("gpu-bench", sentences, generator, cache, config.synth).pairs
    maker = ExampleMaker(tokenizer, config, [], 8192)
    return tokenizer, [example for _, example in maker.stream(pairs)]


def build_model(shape: str, vocab: int, device: torch.device, dtype: torch.dtype):
    from transformers import LlamaConfig, LlamaForCausalLM

    fields = dict(SHAPES[shape])
    fields["vocab_size"] = fields["vocab_size"] or vocab
    config = LlamaConfig(**fields, max_position_embeddings=8192, attn_implementation="sdpa")
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(config)
    finally:
        torch.set_default_dtype(default)
    return model


def measure(shape, loop, step, examples, tokenizer, device, dtype, peak) -> dict:
    from lift.bench.flops import model_shape, training_flops

    model = build_model(shape, len(tokenizer), device, dtype)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    warmup = examples[:WARMUP_EXAMPLES]
    if loop == "plain_peft":
        peft_model = plain_lora(model)
        plain_epoch(peft_model, warmup, step, device)
        seconds, tokens = plain_epoch(peft_model, examples, step, device)
        counted = model_shape(peft_model)
    else:
        seconds, tokens, counted = lift_epoch(model, warmup, examples, step, device, loop.removeprefix("lift_"))
    flops = training_flops(counted, examples)
    row = {
        "shape": shape, "loop": loop, "step_tokens": step, "tokens": tokens, "seconds": round(seconds, 3),
        "tokens_per_s": round(tokens / seconds), "tflop_per_s": round(flops / seconds / 1e12, 2),
        "share_of_bf16_peak": round(flops / seconds / peak, 3),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 1) if device.type == "cuda" else "",
    }  # fmt: skip
    del model
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return row


def plain_lora(model):
    from peft import LoraConfig, get_peft_model

    return get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules="all-linear", lora_dropout=0.0))


def plain_epoch(model, examples, step_tokens: int, device: torch.device) -> tuple[float, int]:
    """One epoch of the plainest loop: shuffled examples in batches of up to step_tokens real tokens, padded
    to the batch's longest, bf16 autocast, fused AdamW; (seconds, real tokens)."""
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=1e-3, betas=(0.9, 0.95), fused=device.type == "cuda")
    order = list(range(len(examples)))
    random.Random(0).shuffle(order)
    batches, current = [], []
    for index in order:
        if current and sum(len(examples[i]) for i in current) + len(examples[index]) > step_tokens:
            batches.append(current)
            current = []
        current.append(index)
    batches.append(current)
    model.train()
    _sync(device)
    started = time.perf_counter()
    for batch in batches:
        longest = max(len(examples[i]) for i in batch)
        ids = torch.zeros(len(batch), longest, dtype=torch.long)
        labels = torch.full((len(batch), longest), -100, dtype=torch.long)
        mask = torch.zeros(len(batch), longest, dtype=torch.long)
        for row, i in enumerate(batch):
            n = len(examples[i])
            ids[row, :n] = torch.tensor(examples[i].input_ids)
            labels[row, :n] = torch.tensor(examples[i].labels)
            mask[row, :n] = 1
        with torch.autocast(device.type, dtype=torch.bfloat16):
            loss = model(
                input_ids=ids.to(device), attention_mask=mask.to(device), labels=labels.to(device), use_cache=False
            ).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    _sync(device)
    return time.perf_counter() - started, sum(len(e) for e in examples)


def lift_epoch(model, warmup, examples, step_tokens: int, device: torch.device, kernel: str):
    """One epoch of LIFT's own loop (train_adapter) with the given packed-attention kernel."""
    from lift.adapters import attach_lora
    from lift.bench.flops import model_shape
    from lift.config import LoraConfig, TrainConfig
    from lift.data.sources import TrainingData
    from lift.train import train_adapter

    adapter = attach_lora(model, LoraConfig(rank=8, alpha=16))
    config = TrainConfig(
        epochs=1, lr=1e-3, batch_tokens=step_tokens, precision="auto", packed_kernel=kernel, min_steps=0
    )
    train_adapter(adapter, TrainingData.of(warmup), config)
    _sync(device)
    result = train_adapter(adapter, TrainingData.of(examples), config)
    return result.seconds, result.tokens, model_shape(adapter.model)


def end_to_end(length: int, tokenizer_dir: str, device: torch.device) -> dict:
    """`lift train` then `lift ask` in fresh processes on a random-init 135M-shaped model directory (the tiny
    shape with --tiny); wall time per command and the manifest's time per stage."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    shape = "tiny" if device.type == "cpu" else "smollm2-135m"
    with tempfile.TemporaryDirectory() as tmp:
        model_dir, home = Path(tmp) / "model", Path(tmp) / "home"
        build_model(shape, len(tokenizer), torch.device("cpu"), torch.float32).save_pretrained(model_dir)
        tokenizer.save_pretrained(model_dir)
        document = Path(tmp) / "document.txt"
        document.write_text(document_text(tokenizer, length), encoding="utf-8")
        env = {**os.environ, "LIFT_HOME": str(home)}
        common = ["--model", str(model_dir), "--device", device.type]
        started = time.perf_counter()
        train = [sys.executable, "-m", "lift.cli", "train", str(document), *common, "--set", "infer.gate=false"]
        subprocess.run(train, env=env, check=True, capture_output=True, text=True)
        train_s = time.perf_counter() - started
        manifest = json.loads(next((home / "documents").glob("*/manifest.json")).read_text("utf-8"))
        started = time.perf_counter()
        ask = [sys.executable, "-m", "lift.cli", "ask", str(document), "What is the best thing to do?"]
        subprocess.run([*ask, "--mode", "lift_only", *common], env=env, check=True, capture_output=True, text=True)
        ask_s = time.perf_counter() - started
    timings = manifest["timings_s"]
    training = manifest["training"]
    return {
        "document_tokens": length, "shape": shape, "device": device.type, "train_wall_s": round(train_s, 1),
        "ask_wall_s": round(ask_s, 1), **{f"stage_{k}_s": v for k, v in timings.items()},
        "training_tokens": training["tokens"], "steps": training["steps"],
        "batch_tokens": training.get("batch_tokens", ""), "tokens_per_s": training["tokens_per_second"],
    }  # fmt: skip


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def write_csv(path: Path, rows: list[dict]) -> None:
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def write_report(out: Path, rows: list[dict], e2e_rows: list[dict], peak: float, arguments: str) -> None:
    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "cpu"
    lines = [
        "# GPU training benchmark",
        "",
        f"Made by `python benchmarks/gpu/run.py {arguments}` on {device}, torch {torch.__version__}.",
        f"bf16 matmul peak measured in the same run: {peak / 1e12:.1f} TFLOP/s.",
        "",
        "| shape | step tokens | loop | tokens/s | TFLOP/s | share of bf16 peak | peak GiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['shape']} | {r['step_tokens']} | {r['loop']} | {r['tokens_per_s']} | {r['tflop_per_s']} "
            f"| {r['share_of_bf16_peak']} | {r['peak_memory_gib']} |"
        )
    if e2e_rows:
        lines += ["", "End to end (`lift train` then `lift ask --mode lift_only`, fresh processes):", ""]
        keys = list(e2e_rows[0])
        lines += ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in e2e_rows]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
