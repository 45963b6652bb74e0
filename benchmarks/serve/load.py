"""Load test of `lift serve` on the embedded model: N concurrent chat requests on loopback through the official
openai client, once per engine batch size; latency p50/p95/max, throughput, errors, batches run.

    .venv/bin/python benchmarks/serve/load.py [--requests 50] [--max-tokens 32] [--batch-sizes 1,8]

The requests cycle over the lifted demo essay (lift_only, lift_icl) and the base model, so adapters switch
and modes mix as they would with several users. The demo essay is lifted first if this LIFT_HOME lacks it.
Results: benchmarks/results/serve/{load.csv, README.md}.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import functools
import os
import statistics
import time
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "serve"
QUESTIONS = [
    "What is the best thing to do in San Francisco?",
    "What does the essay say about startups?",
    "Who is the author of the essay?",
    "Summarize the essay in one sentence.",
    "What advice does the essay give?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()

    import openai

    from lift.config import LiftConfig
    from lift.models import lift_home, load_model
    from lift.recipe import lift_document
    from lift.serve import build_server
    from lift.store import Store
    from lift.testing.server_thread import ServerThread
    from lift.text.documents import document_from_text

    loaded = load_model(None, "cpu")
    text = resources.files("lift.samples").joinpath("needle_essay.txt").read_text("utf-8")
    document = document_from_text(text, title="demo essay")
    if Store(lift_home()).get(document.doc_id) is None:
        print("lifting the demo essay first (a few minutes) ...", flush=True)
        lift_document(document, loaded, LiftConfig())
    models = [(f"lift:{document.doc_id}", "lift_only"), (f"lift:{document.doc_id}", "lift_icl"), (loaded.name, None)]

    rows = []
    for batch_size in [int(x) for x in args.batch_sizes.split(",")]:
        config = LiftConfig().with_overrides(
            {"serve.batch_size": batch_size, "serve.queue_size": max(64, args.requests), "serve.request_timeout_s": 600}
        )
        running = ServerThread(build_server(loaded, config, lift_home(), api_key="bench"))
        client = openai.OpenAI(base_url=running.url + "/v1", api_key="bench", max_retries=0, timeout=900)

        try:
            engine = running.app.state.server.engine
            batches_before = engine.batches_run
            started = time.perf_counter()
            with concurrent.futures.ThreadPoolExecutor(max_workers=args.requests) as pool:
                results = list(pool.map(functools.partial(_ask, client, models, args.max_tokens), range(args.requests)))
            wall = time.perf_counter() - started
            batches = engine.batches_run - batches_before
        finally:
            running.close()
        latencies = sorted(r[0] for r in results)
        errors = [r[2] for r in results if r[2]]
        row = {
            "requests": args.requests, "concurrent": args.requests, "max_tokens": args.max_tokens,
            "batch_size": batch_size, "errors": len(errors), "batches_run": batches,
            "p50_s": round(statistics.median(latencies), 2),
            "p95_s": round(latencies[max(0, round(0.95 * len(latencies)) - 1)], 2),
            "max_s": round(latencies[-1], 2), "wall_s": round(wall, 1),
            "requests_per_s": round(args.requests / wall, 2),
            "completion_tokens_per_s": round(sum(r[1] for r in results) / wall, 1),
        }  # fmt: skip
        print(row, *errors[:3], sep="\n", flush=True)
        rows.append(row)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "load.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    command = "benchmarks/serve/load.py " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "out"
    )
    lines = [
        "# Serving load test (embedded SmolLM2-135M-Instruct, 2-core CPU)",
        "",
        f"Made by `.venv/bin/python {command}`. {args.requests} chat requests sent at once on loopback with "
        "the official openai client, cycling over the lifted demo essay in lift_only and lift_icl mode and the "
        f"base model; greedy answers of at most {args.max_tokens} tokens. `batch size` is `serve.batch_size`: "
        "how many waiting requests for the same model, mode and length the engine answers in one generate call.",
        "",
        "| batch size | errors | batches run | p50 s | p95 s | max s | wall s | requests/s | completion tok/s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['batch_size']} | {r['errors']} | {r['batches_run']} | {r['p50_s']} | {r['p95_s']} | {r['max_s']} | "
        f"{r['wall_s']} | {r['requests_per_s']} | {r['completion_tokens_per_s']} |"
        for r in rows
    ]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _ask(client, models: list, max_tokens: int, i: int) -> tuple[float, int, str | None]:
    """One chat request: (latency s, completion tokens, error or None)."""
    import openai

    model, mode = models[i % len(models)]
    started = time.perf_counter()
    try:
        reply = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": QUESTIONS[i % len(QUESTIONS)]}],
            max_tokens=max_tokens,
            extra_body={"lift_mode": mode} if mode else None,
        )
        return time.perf_counter() - started, reply.usage.completion_tokens, None
    except openai.APIError as error:
        return time.perf_counter() - started, 0, f"{type(error).__name__}: {error}"


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
