"""Batch speed-up on this machine (issue I): 4 documents of ~1k tokens (Paul Graham essays cut to length)
lifted with `lift train DIR --workers 1`, then `--workers 2`, each into a fresh LIFT_HOME (the embedded model
linked in); wall time of each command and the speed-up.

    .venv/bin/python benchmarks/corpus/run.py [--documents 4] [--tokens 1000] [--set key=value ...]

Writes benchmarks/results/corpus/README.md and results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "corpus"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=4)
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--set", action="append", default=[], dest="settings")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()

    from transformers import AutoTokenizer

    from lift.eval.data_dir import resolve_data_dir, suite_dir
    from lift.eval.suites.niah import essay_texts
    from lift.models import embedded_model_dir, load_model

    load_model(None, "cpu")  # converts the embedded model once, under $LIFT_HOME
    models = embedded_model_dir().parent
    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
    essays = essay_texts(suite_dir(resolve_data_dir(args.data_dir, None), "niah") / "PaulGrahamEssays")
    work = Path(tempfile.mkdtemp(prefix="lift-corpus-"))
    docs = work / "docs"
    docs.mkdir()
    for i, essay in enumerate(essays[: args.documents]):
        ids = tokenizer(essay, add_special_tokens=False)["input_ids"][: args.tokens]
        text = tokenizer.decode(ids)
        (docs / f"essay{i}.txt").write_text(text[: text.rfind(".") + 1], encoding="utf-8")
    rows = []
    for workers in [int(w) for w in args.workers.split(",")]:
        home = work / f"home-{workers}"
        home.mkdir()
        (home / "models").symlink_to(models, target_is_directory=True)
        command = ["lift", "train", str(docs), "--workers", str(workers)]
        for setting in args.settings:
            command += ["--set", setting]
        started = time.perf_counter()
        env = {**os.environ, "LIFT_HOME": str(home)}
        done = subprocess.run([sys.executable, "-m", "lift.cli", *command[1:]], env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
        rows.append(
            {"workers": workers, "seconds": round(seconds, 1), "command": " ".join(command[:2] + ["DIR"] + command[3:])}
        )
        print(rows[-1], flush=True)
    base = rows[0]["seconds"]
    for row in rows:
        row["speedup"] = round(base / row["seconds"], 2)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cpu = subprocess.run(["sh", "-c", "nproc; grep -m1 -o 'avx512_bf16' /proc/cpuinfo || echo no-avx512_bf16"],
                         capture_output=True, text=True).stdout.split()  # fmt: skip
    result = {"command": ".venv/bin/python benchmarks/corpus/run.py " + " ".join(sys.argv[1:]), "cpus": cpu[0],
              "cpu_flags": cpu[1], "documents": args.documents, "tokens": args.tokens, "runs": rows}  # fmt: skip
    (out / "results.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    lines = [
        "# Batch of documents on a local Ray (embedded SmolLM2-135M, CPU)", "",
        f"Made by `{result['command']}` on {cpu[0]} cores ({cpu[1]}): {args.documents} Paul Graham essays cut "
        f"to ~{args.tokens} tokens, each command into a fresh LIFT_HOME.", "",
        "| workers | wall time (s) | speed-up | command |", "|---|---|---|---|",
        *[f"| {r['workers']} | {r['seconds']} | {r['speedup']} | `{r['command']}` |" for r in rows],
    ]  # fmt: skip
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
