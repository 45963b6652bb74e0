"""TTFT benchmark: time from document in to adapter ready, pipeline vs --no-pipeline, at several haystack lengths.

Generators: `remote` is the fault server (lift.testing.fault_server) in its own process with a fixed latency per
request and no faults, reached through the openai backend (concurrency 64, as the seed system used): a
stand-in for a real generator server. `local` is the embedded model writing its own QA pairs on this CPU.
Each run gets a fresh LIFT_HOME whose cache holds only the base model's replay answers (made once per
model), so no run reuses another's generations. Rows are appended to ttft.csv as they finish; a rerun skips
the rows already there. Then ttft.md and ttft.png are rewritten from the CSV.

    .venv/bin/python benchmarks/ttft/run.py --lengths 1000,2000,4000,8000 --local-lengths 1000 --epochs 1
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ["backend", "pipeline", "length", "tokens", "sentences", "epochs", "ttft_s", "generate_s", "train_s",
          "trainer_wait_s", "requests", "qa_pairs", "train_tokens", "train_tok_per_s"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", default="1000,2000,4000,8000", help="Haystack lengths (remote generator).")
    parser.add_argument("--local-lengths", default="1000", help="Haystack lengths for the local generator ('' none).")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--latency", type=float, default=1.0, help="Remote generator seconds per request.")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "ttft"))
    parser.add_argument("--work", default=os.environ.get("LIFT_BENCH_WORK", "/tmp/lift-ttft"))
    args = parser.parse_args()

    from lift.config import LiftConfig
    from lift.eval.data_dir import resolve_data_dir, suite_dir
    from lift.eval.suites.niah import build_haystack, load_essays
    from lift.models import load_model
    from lift.recipe import lift_document
    from lift.synth.cache import GenerationCache
    from lift.synth.replay import replay_pairs
    from lift.text.documents import document_from_text

    out, work = Path(args.out), Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    csv_path = out / "ttft.csv"
    done = {(r["backend"], r["pipeline"], r["length"]) for r in _read(csv_path)}

    loaded = load_model(None, "cpu")
    base = LiftConfig().with_overrides({"train.epochs": args.epochs, "model.device": "cpu"})
    warm_cache = work / "replay-cache.sqlite"
    if not warm_cache.exists():
        with GenerationCache(warm_cache) as cache:
            replay_pairs(loaded, cache, base.infer.system_prompt, base.train.replay_max_tokens)
    essays = load_essays(suite_dir(resolve_data_dir(args.data_dir), "niah") / "PaulGrahamEssays")

    server = subprocess.Popen(
        [sys.executable, "-m", "lift.testing.fault_server", "--latency", str(args.latency), "--lifetime", "14400"],
        stdout=subprocess.PIPE,
        text=True,
    )
    url = server.stdout.readline().strip()
    try:
        plan = [("remote", int(x)) for x in args.lengths.split(",") if x]
        plan += [("local", int(x)) for x in args.local_lengths.split(",") if x]
        for backend, length in plan:
            for pipeline in (True, False):
                if (backend, str(pipeline), str(length)) in done:
                    continue
                haystack = build_haystack(essays, loaded.tokenizer, length, 50.0)
                document = document_from_text(haystack.text, title=f"haystack-{length}")
                home = work / f"{backend}-{length}-{'pipe' if pipeline else 'seq'}"
                shutil.rmtree(home, ignore_errors=True)
                home.mkdir(parents=True)
                shutil.copy(warm_cache, home / "cache.sqlite")
                overrides = {"train.pipeline": pipeline}
                if backend == "remote":
                    overrides.update(
                        {
                            "synth.generator": "openai",
                            "synth.generator_url": url,
                            "synth.generator_model": "fault-server",
                            "synth.concurrency": args.concurrency,
                        }
                    )
                else:
                    overrides["synth.generator"] = "local"
                config = base.with_overrides(overrides)
                print(f"== {backend} {length} tokens, pipeline={pipeline}", flush=True)
                started = time.perf_counter()
                manifest = lift_document(document, loaded, config, home=home).manifest
                wall = time.perf_counter() - started
                timings, synthesis, training = manifest.timings_s, manifest.synthesis, manifest.training
                row = {
                    "backend": backend,
                    "pipeline": pipeline,
                    "length": length,
                    "tokens": manifest.tokens,
                    "sentences": manifest.sentences,
                    "epochs": args.epochs,
                    "ttft_s": round(wall, 1),
                    "generate_s": timings["generate"],
                    "train_s": timings["train"],
                    "trainer_wait_s": timings.get("trainer_wait", ""),
                    "requests": synthesis.requests,
                    "qa_pairs": synthesis.qa_pairs_kept,
                    "train_tokens": training.tokens,
                    "train_tok_per_s": training.tokens_per_second,
                }
                print(row, flush=True)
                _append(csv_path, row)
                shutil.rmtree(home, ignore_errors=True)
    finally:
        server.terminate()
    write_report(csv_path, out, args)


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _append(path: Path, row: dict) -> None:
    new = not path.exists()
    with path.open("a", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)


def write_report(csv_path: Path, out: Path, args: argparse.Namespace) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _read(csv_path)
    by_key = {(r["backend"], r["pipeline"], int(r["length"])): r for r in rows}
    lines = [
        "# TTFT: document in -> adapter ready (embedded SmolLM2-135M, this 2-core CPU)",
        "",
        f"Command: `.venv/bin/python benchmarks/ttft/run.py {' '.join(sys.argv[1:])}`".rstrip() + "",
        "",
        f"remote = the fault server in its own process, {args.latency:g} s per request, no faults, reached through "
        f"the openai backend with concurrency {args.concurrency}; local = the embedded model writes the QA pairs. "
        "Haystacks: Paul Graham essays with the needle at 50 %. Each run starts from an empty generation cache.",
        "",
        "| generator | tokens | sentences | epochs | pipeline TTFT s | sequential TTFT s | pipeline / sequential "
        "| generate s (seq) | train s (seq) | trainer wait s (pipe) | TTFT per 1k tokens (pipe) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for backend in ("remote", "local"):
        for length in sorted({k[2] for k in by_key if k[0] == backend}):
            pipe, seq = by_key.get((backend, "True", length)), by_key.get((backend, "False", length))
            if not pipe or not seq:
                continue
            ratio = float(pipe["ttft_s"]) / float(seq["ttft_s"])
            per_k = float(pipe["ttft_s"]) / int(pipe["tokens"]) * 1000
            lines.append(
                f"| {backend} | {pipe['tokens']} | {pipe['sentences']} | {pipe['epochs']} | {pipe['ttft_s']} | "
                f"{seq['ttft_s']} | {ratio:.2f} | {seq['generate_s']} | {seq['train_s']} | "
                f"{pipe['trainer_wait_s']} | {per_k:.1f} |"
            )
    (out / "ttft.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

    figure, axis = plt.subplots(figsize=(6, 4))
    for backend, color in (("remote", "tab:blue"), ("local", "tab:orange")):
        for pipeline, style in (("True", "-o"), ("False", "--s")):
            points = sorted(
                (int(r["tokens"]), float(r["ttft_s"])) for k, r in by_key.items() if k[:2] == (backend, pipeline)
            )
            if points:
                label = f"{backend}, {'pipeline' if pipeline == 'True' else 'sequential'}"
                axis.plot(*zip(*points, strict=True), style, color=color, label=label)
    axis.set_xlabel("document tokens")
    axis.set_ylabel("TTFT (s): document in -> adapter ready")
    axis.set_title("LIFT time to first token, SmolLM2-135M on 2 CPU cores")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(out / "ttft.png", dpi=120)


if __name__ == "__main__":
    main()
