"""LooGLE's scores split by where each question's evidence lies: inside the head-and-tail cut that icl and
lift_icl read, or cut out of it (seed 001, Table 7: in-context and out-of-context questions). The adapter's
memory can only show on the questions whose evidence is cut out; on the others it should not cost reading.

    python benchmarks/long/evidence.py                          # benchmarks/results/long/m/loogle
    python benchmarks/long/evidence.py benchmarks/results/long/m/loogle --data-dir ../shared/data

Reads a results folder written by `lift eval loogle` and the LooGLE sample (its `S` field: the evidence
sentences of each short-dependency question); no model runs, only the embedded tokenizer. The cut is rebuilt
from the icl answer's prompt length: document tokens kept = prompt tokens - the prompt's frame and question,
head and tail halves, as lift.infer.modes builds it. A question counts as in the window when the first 60
characters of its evidence are in the kept text. Writes evidence.md into the folder and prints it.
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
from pathlib import Path

from transformers import AutoTokenizer

from lift.config import InferConfig
from lift.eval.metrics import METRICS
from lift.eval.suites.loogle import loogle_items
from lift.infer.modes import question_overhead
from lift.models import embedded_model_dir
from lift.text.truncate import truncate_head_tail

REPO = Path(__file__).resolve().parents[2]
MODES = ("lift_only", "lift_icl", "icl", "rag")
EVIDENCE_CHARS = 60


def evidence_by_item(data_dir: Path) -> dict[str, str]:
    """item_id (as the loogle suite numbers it) -> the question's evidence text ('' where it has none)."""
    evidence = {}
    for task in ("shortdep_qa", "longdep_qa"):
        path = data_dir / "loogle_sample" / f"{task}.jsonl"
        for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for number, pair in enumerate(ast.literal_eval(json.loads(line)["qa_pairs"])):
                found = pair.get("S") or ""
                evidence[f"{task}-{line_number}-{number}"] = " ".join(found) if isinstance(found, list) else found
    return evidence


def place(evidence: str, kept: str, document: str) -> str:
    """Where a question's evidence lies; whitespace is compared collapsed (the sample's evidence and its
    document differ in line breaks)."""
    fragment = " ".join(evidence.split())[:EVIDENCE_CHARS]
    kept, document = " ".join(kept.split()), " ".join(document.split())
    if not fragment:
        return "no evidence given (long-dependency)"
    if fragment not in document:
        return "evidence not found in the document"
    return "in the window" if fragment in kept else "cut out of the window"


def split_table(folder: Path, data_dir: Path) -> list[str]:
    rows = [json.loads(raw) for raw in (folder / "results.jsonl").read_text(encoding="utf-8").splitlines() if raw]
    by_question: dict[tuple[str, str], dict[str, dict]] = {}
    for row in rows:
        by_question.setdefault((row["doc_id"], row["item_id"]), {})[row["mode"]] = row
    items = {(item.document.doc_id, item.item_id): item for item in loogle_items(data_dir)}
    evidence = evidence_by_item(data_dir)
    tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
    system = InferConfig().base_system_prompt
    document_ids: dict[str, list[int]] = {}
    groups: dict[str, dict[str, list[float]]] = {}
    for key, modes in by_question.items():
        if not all(mode in modes for mode in MODES) or key not in items:
            continue  # a question still being answered
        item = items[key]
        ids = document_ids.setdefault(key[0], tokenizer(item.document.text, add_special_tokens=False)["input_ids"])
        kept_tokens = modes["icl"]["prompt_tokens"] - question_overhead(tokenizer, item.question, system)
        kept = tokenizer.decode(truncate_head_tail(ids, kept_tokens))
        scores = groups.setdefault(place(evidence.get(key[1], ""), kept, item.document.text), {})
        for mode in MODES:
            scores.setdefault(mode, []).append(modes[mode]["scores"]["f1"])
        scores.setdefault("echo", []).append(METRICS["f1"](item.question, item.references))
    lines = [
        f"# LooGLE by where the evidence lies ({folder.relative_to(REPO) if folder.is_relative_to(REPO) else folder})",
        "",
        "Written by `python benchmarks/long/evidence.py`. F1 in percent, mean over the questions; echo: the question",
        "scored as its own answer. The window is the head and tail of the document that icl and lift_icl read.",
        "",
        "| evidence | questions | " + " | ".join(MODES) + " | echo | lift_icl / icl |",
        "|---|---|" + "---|" * (len(MODES) + 2),
    ]
    for name in sorted(groups):
        means = {mode: 100 * statistics.mean(values) for mode, values in groups[name].items()}
        ratio = f"{means['lift_icl'] / means['icl']:.2f}x" if means["icl"] else "-"
        cells = " | ".join(f"{means[mode]:.1f}" for mode in (*MODES, "echo"))
        lines.append(f"| {name} | {len(groups[name]['icl'])} | {cells} | {ratio} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, nargs="?", default=REPO / "benchmarks/results/long/m/loogle")
    parser.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data")
    args = parser.parse_args()
    text = "\n".join(split_table(args.folder.resolve(), args.data_dir)) + "\n"
    (args.folder / "evidence.md").write_text(text, encoding="utf-8")
    print(text, end="")


if __name__ == "__main__":
    main()
