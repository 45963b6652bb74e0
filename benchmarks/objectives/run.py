"""Every training preset x adapter type on two short documents, through the evaluation harness (lift_only).

    .venv/bin/python benchmarks/objectives/run.py [--presets qa,mix] [--adapters lora] [--questions 20]

Documents: the bundled needle essay (the demo's: 1 question, 3 keywords) and the first 3 paragraphs of the
SQuAD v1.1 dev article "Amazon_rainforest" (its first --questions questions; F1/EM). Each combination is a
harness run under benchmarks/results/objectives/<preset>-<adapter>/ (resumable); the table goes to
benchmarks/results/objectives/README.md and results.csv. Training time is the store manifest's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from lift.config import ADAPTERS, OBJECTIVES, LiftConfig  # noqa: E402
from lift.eval.data_dir import resolve_data_dir, suite_dir  # noqa: E402
from lift.eval.items import EvalItem  # noqa: E402
from lift.eval.runner import run_eval  # noqa: E402
from lift.eval.suites.squad import squad_item  # noqa: E402
from lift.models import load_model  # noqa: E402
from lift.progress import RichProgress  # noqa: E402
from lift.samples import NEEDLE_KEYWORDS, NEEDLE_QUESTION, needle_sample  # noqa: E402
from lift.text.documents import document_from_text  # noqa: E402

OUT = ROOT / "benchmarks" / "results" / "objectives"
ARTICLE, PARAGRAPHS = "Amazon_rainforest", 3


def items(questions: int) -> list[EvalItem]:
    needle = EvalItem(
        suite="needle", item_id="needle", document=needle_sample(), question=NEEDLE_QUESTION,
        references=[" ".join(NEEDLE_KEYWORDS)], metrics=("keywords",), keywords=list(NEEDLE_KEYWORDS),
    )  # fmt: skip
    data = json.loads((suite_dir(resolve_data_dir(None), "squad") / "dev-v1.1.json").read_text(encoding="utf-8"))
    article = next(a for a in data["data"] if a["title"] == ARTICLE)
    paragraphs = article["paragraphs"][:PARAGRAPHS]
    document = document_from_text(
        "\n\n".join(p["context"] for p in paragraphs), title=f"SQuAD: {ARTICLE} (paragraphs 1-{PARAGRAPHS})"
    )
    squad = [squad_item(qa, document, ARTICLE) for p in paragraphs for qa in p["qas"]][:questions]
    return [needle, *squad]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--presets", default=",".join(OBJECTIVES))
    parser.add_argument("--adapters", default=",".join(ADAPTERS))
    parser.add_argument("--questions", type=int, default=15)
    args = parser.parse_args()
    os.environ.setdefault("LIFT_HOME", str(Path.home() / ".cache" / "lift-bench"))
    loaded = load_model(None, "cpu")
    grid = items(args.questions)
    for preset in args.presets.split(","):
        for adapter in args.adapters.split(","):
            config = LiftConfig().with_overrides({"train.objective": preset, "adapter.type": adapter})
            started = time.perf_counter()
            with RichProgress() as progress:
                run_eval(grid, ["lift_only"], loaded, config, OUT / f"{preset}-{adapter}", progress=progress)
            print(f"{preset} x {adapter}: {time.perf_counter() - started:.0f}s", flush=True)
    summarize()


def summarize() -> None:
    rows = []
    for folder in sorted(p for p in OUT.iterdir() if (p / "results.jsonl").is_file()):
        preset, adapter = folder.name.split("-", 1)
        results = [json.loads(line) for line in (folder / "results.jsonl").read_text().splitlines() if line.strip()]
        documents = json.loads((folder / "documents.json").read_text())
        needle = [r["scores"]["keywords"] for r in results if r["suite"] == "needle"]
        squad = [r["scores"] for r in results if r["suite"] == "squad"]
        train = {("squad" if d["title"].startswith("SQuAD") else "needle"): d.get("train_seconds")
                 for d in documents.values()}  # fmt: skip
        params = {d.get("trainable_parameters") for d in documents.values()} - {None}
        rows.append({
            "preset": preset, "adapter": adapter,
            "trainable_parameters": max(params) if params else "",
            "needle_keywords": round(needle[0] * 3) if needle else "",
            "needle_train_s": train.get("needle", ""),
            "squad_f1": round(100 * sum(s["f1"] for s in squad) / len(squad), 1) if squad else "",
            "squad_em": round(100 * sum(s["em"] for s in squad) / len(squad), 1) if squad else "",
            "squad_questions": len(squad),
            "squad_train_s": train.get("squad", ""),
        })  # fmt: skip
    order = {name: i for i, name in enumerate(OBJECTIVES)} | {name: 10 + i for i, name in enumerate(ADAPTERS)}
    rows.sort(key=lambda r: (order[r["preset"]], order[r["adapter"]]))
    with open(OUT / "results.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "# Training presets x adapters (embedded SmolLM2-135M-Instruct, 2-core CPU, lift_only)",
        "",
        "Made by `.venv/bin/python benchmarks/objectives/run.py` (then `--summarize`), default settings for",
        "everything but the preset and the adapter type (learning rate: the adapter's default). Needle: the",
        "bundled demo essay, 1 question, keywords found of 3. SQuAD: the first 3 paragraphs of the dev article",
        f"{ARTICLE} as one document (2,291 characters), its first 15 questions, F1/EM in %. Train seconds are",
        "the manifest's training time (template generation and replay take a few seconds more).",
        "",
        "| preset | adapter | trainable params | needle keywords | needle train s | SQuAD F1 | SQuAD EM "
        "| SQuAD train s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['preset']} | {r['adapter']} | {r['trainable_parameters']:,} | {r['needle_keywords']}/3 | "
            f"{r['needle_train_s']} | {r['squad_f1']} | {r['squad_em']} | {r['squad_train_s']} |"
        )
    (OUT / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    if sys.argv[1:] == ["--summarize"]:
        summarize()
    else:
        main()
