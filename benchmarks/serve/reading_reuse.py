"""Issue Q's answering goal in `lift serve`'s engine: lift_icl of an adapter trained on a frozen reading reads the
document's cut once (base model, adapters off) and answers every later question after that reading; how long each
question takes to its first token, and the memory a kept reading takes.

    .venv/bin/python benchmarks/serve/reading_reuse.py [--context-tokens 1024] [--questions 5]

The demo essay is lifted twice into a LIFT_HOME of its own (cheap recipes: the adapter's quality does not change
the timing): with `train.context_reading frozen` and with the adapter on the cut (today's `qa_context_share`).
Each question is answered with max_tokens 1 (the prompt read and the first token written). Results:
benchmarks/results/serve/reading_reuse.{csv,md}.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "serve"
QUESTIONS = [
    "What is the best thing to do in San Francisco?",
    "Who wrote the essay?",
    "What does the essay say about startups?",
    "Summarize the essay in one sentence.",
    "What advice does the essay give?",
    "Which city does the essay mention?",
]
CHEAP = {"train.epochs": 1, "train.replay_ratio": 0.0, "infer.gate": False}


def reading_bytes(reading) -> int:
    """Bytes of the key and value tensors a kept reading holds."""
    import torch

    def size(value, depth: int = 0) -> int:
        if isinstance(value, torch.Tensor):
            return value.numel() * value.element_size()
        if isinstance(value, (list, tuple)):
            return sum(size(item, depth + 1) for item in value)
        if depth < 3 and hasattr(value, "__dict__"):
            return sum(size(item, depth + 1) for item in vars(value).values())
        return 0

    return size(reading)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--context-tokens", type=int, default=1024, help="infer.context_tokens: the cut's length")
    parser.add_argument("--questions", type=int, default=5, help="questions asked about the document, in order")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--note", default="", help="what else ran on the machine meanwhile (for the header)")
    args = parser.parse_args()

    from lift.bench.machine import cpu_flags
    from lift.config import LiftConfig
    from lift.models import load_model
    from lift.recipe import lift_document
    from lift.serve.engine import ChatEngine, ChatJob
    from lift.text.documents import document_from_text

    text = resources.files("lift.samples").joinpath("needle_essay.txt").read_text("utf-8")
    document = document_from_text(text, title="demo essay")
    recipes = {
        "frozen reading": {**CHEAP, "train.qa_context_share": 0.25, "train.context_reading": "frozen"},
        "adapter on the cut": {**CHEAP, "train.qa_context_share": 0.25, "train.context_reading": "adapter"},
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="lift-reading-") as home:
        for recipe, settings in recipes.items():
            loaded = load_model(None, "cpu")  # a fresh model each time: the engine leaves its adapter slots on it
            config = LiftConfig().with_overrides({**settings, "infer.context_tokens": args.context_tokens})
            print(f"lifting the demo essay ({recipe}) ...", flush=True)
            entry = lift_document(document, loaded, config, home=Path(home) / recipe.replace(" ", "_")).entry
            engine = ChatEngine(loaded, config).start()
            try:
                for number, question in enumerate(QUESTIONS[: args.questions], start=1):
                    job = engine.prepare(ChatJob([], question, entry, "lift_icl", 1, deadline=time.monotonic() + 900))
                    started = time.perf_counter()
                    engine.submit(job).result(timeout=900)
                    seconds = time.perf_counter() - started
                    kept = sum(reading_bytes(r) for r in engine._readings.values())
                    rows.append({"recipe": recipe, "mode": "lift_icl", "question": number, "prompt_tokens":
                                 len(job.prompt), "first_token_s": round(seconds, 3), "readings_made":
                                 engine.readings_made, "kept_reading_mb": round(kept / 2**20, 2)})  # fmt: skip
                    print(rows[-1], flush=True)
            finally:
                engine.close()

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "reading_reuse.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# lift_icl's reading, reused across questions (`lift serve`'s engine, issue Q)",
        "",
        f"Made by `.venv/bin/python benchmarks/serve/reading_reuse.py --context-tokens {args.context_tokens} "
        f"--questions {args.questions}` on {os.cpu_count()} cores ({cpu_flags()}), one torch thread, "
        f"{loaded.name} in {next(loaded.model.parameters()).dtype}. Each question answered with one token: the "
        "time to its first token. The adapter trained on the cut reads it with itself on, once per document "
        "while kept; the one trained on a frozen reading, with adapters off." + (f" {args.note}" if args.note else ""),
        "",
        "| adapter trained | mode | question | prompt tokens | first token s | readings made | kept readings MB |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['recipe']} | {r['mode']} | {r['question']} | {r['prompt_tokens']} | {r['first_token_s']} | "
        f"{r['readings_made']} | {r['kept_reading_mb']} |"
        for r in rows
    ]
    frozen = [r["first_token_s"] for r in rows if r["recipe"] == "frozen reading"]
    if len(frozen) > 1:
        later = statistics.median(frozen[1:])
        lines += ["", f"Frozen reading, lift_icl: later questions (median) take {later / frozen[0]:.2f}x the first."]
    (out / "reading_reuse.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
