"""Where `auto` sends questions, without training (issue P's gate goal): for every document of the gist suite's
split, the question gate is fitted as `lift` fits it (the document's sentences and whole-document anchors,
positives = the template generator's questions, evenly spaced; negatives = the bundled general prompts), then the
document's whole-document questions and the general questions of the chosen split are routed.

    .venv/bin/python benchmarks/eval/gate_routes.py --split test [--general-split test]

The gate is fitted on the same questions `lift` would use only up to the pair cap (synth.qa_per_sentence): this
script keeps every template question before spacing them out, which changes the positives a little, not the
anchors. Writes benchmarks/results/p_gate/{routes_SPLIT.jsonl, README_SPLIT.md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "benchmarks" / "results" / "p_gate"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", help="gist split whose documents and questions are routed")
    parser.add_argument("--general-split", default="test", help="split of the general questions routed")
    parser.add_argument("--data-dir", default=None, help="shared data folder (default: as lift eval finds it)")
    args = parser.parse_args()

    from lift.bench.machine import cpu_flags
    from lift.config import LiftConfig
    from lift.eval.data_dir import resolve_data_dir
    from lift.eval.suites.gist import gist_document, gist_questions
    from lift.infer.gate import MAX_POSITIVES, evenly_spaced, fit_gate, route_questions
    from lift.samples import general_questions
    from lift.synth.replay import replay_prompts
    from lift.synth.template import template_pairs
    from lift.text import split_sentences

    config = LiftConfig()
    data_dir = resolve_data_dir(args.data_dir)
    data = gist_questions()
    general = [entry["question"] for entry in general_questions(args.general_split)]
    negatives = replay_prompts(config.train.replay_prompts)
    forms = tuple(config.synth.template_forms)
    rows = []
    started = time.perf_counter()
    for spec in (d for d in data["documents"] if args.split == "all" or d["split"] == args.split):
        document = gist_document(data_dir, spec)
        sentences = split_sentences(document.text)
        questions = [
            pair["question"]
            for previous, sentence in zip(["", *sentences], sentences, strict=False)
            for pair in template_pairs(sentence, previous, forms, config.synth.reask)
        ]
        fitted = fit_gate(sentences, evenly_spaced(questions, MAX_POSITIVES), negatives)
        if fitted is None:
            raise SystemExit(f"{spec['id']}: no gate could be fitted")
        asked = [q for q in data["questions"] if q["document"] == spec["id"]]
        gist_routes = route_questions(fitted.gate, [q["question"] for q in asked])
        general_routes = route_questions(fitted.gate, general)
        for question, (route, score) in zip(asked, gist_routes, strict=True):
            rows.append({"document": spec["id"], "kind": "gist", "form": question["form"],
                         "question": question["question"], "route": route, "score": round(score, 4)})  # fmt: skip
        for question, (route, score) in zip(general, general_routes, strict=True):
            rows.append({"document": spec["id"], "kind": "general", "form": "general", "question": question,
                         "route": route, "score": round(score, 4)})  # fmt: skip
        to_adapter = sum(route == "adapter" for route, _ in gist_routes)
        to_base = sum(route == "base" for route, _ in general_routes)
        print(
            f"{spec['id']:<14} {len(sentences):>4} sentences  gist to adapter {to_adapter}/{len(asked)}  "
            f"general to base {to_base}/{len(general)}  threshold {fitted.gate.threshold:.3f}",
            flush=True,
        )

    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / f"routes_{args.split}.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    gist = [r for r in rows if r["kind"] == "gist"]
    general_rows = [r for r in rows if r["kind"] == "general"]
    gist_base = [r for r in gist if r["route"] == "base"]
    general_base = sum(r["route"] == "base" for r in general_rows)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    lines = [
        f"# Gate routes, gist {args.split} split (issue P)",
        "",
        f"Command: `.venv/bin/python benchmarks/eval/gate_routes.py --split {args.split} "
        f"--general-split {args.general_split}` (code {commit.stdout.strip()}, CPU flags: {cpu_flags()}, "
        f"{time.perf_counter() - started:.0f} s).",
        "",
        f"- whole-document questions sent to the adapter: **{len(gist) - len(gist_base)}/{len(gist)}**",
        f"- general questions ({args.general_split} split, {len(general)} per document, routed with each "
        f"document's gate) sent to the base model: **{general_base}/{len(general_rows)}** "
        f"({100 * general_base / max(1, len(general_rows)):.1f} %)",
        "",
    ]
    if gist_base:
        lines += ["Whole-document questions sent to the base model:", ""]
        lines += [f"- {r['document']} ({r['form']}, score {r['score']}): {r['question']}" for r in gist_base]
        lines.append("")
    (OUT / f"README_{args.split}.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
