"""Prompt layouts for the adapter reading part of the document (lift_icl), on stored adapters, no retraining.

lift_icl today asks the adapter "{cut}\\n\\nAnswer the question based on the text above.\\nQuestion: {q}"; the
adapter was trained on the bare question. Where the answer is cut out of the window, the instruction points
the model at the text it has, and the adapter's training format ("Phrase: sentence") recites a sentence of it.
Layouts compared, every one with the adapter on and the same head+tail cut, beside the modes of today:

  lift_icl        today's prompt (the baseline)
  plain           "{cut}\\n\\n{q}": no instruction to answer from the text
  memory          the instruction names both sources: "... based on the text above and what you know about the
                  document."
  turns           the cut as an earlier user turn (the assistant acknowledged it), then the bare question, as
                  the adapter was trained to be asked
  lift_rag        the top-k chunks for the question (rag's retrieval) in place of the head+tail cut
  lift_only, icl, rag   the modes as they answer today (icl, rag: adapter off)

    LIFT_HOME=~/.cache/lift-dev python benchmarks/eval/lift_icl_prompts.py paraphrase out.jsonl \\
        --set eval.paraphrase_split=dev --set eval.paraphrase_tokens=2000 --set infer.context_tokens=1024

A document not lifted yet with these settings is lifted first (and stored). Rows carry `in_cut`: whether the
reference sentence is inside the head+tail cut, so a layout's gain can be read where the adapter must supply
the answer and where the text holds it. Resumable: answers already in `out` are kept.

    python benchmarks/eval/lift_icl_prompts.py table A.jsonl [B.jsonl]   # the results table (and B - A paired)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import time
from pathlib import Path

from lift.adapters import load_adapter
from lift.config import LiftConfig
from lift.eval.items import score_prediction
from lift.eval.runner import ensure_lifted
from lift.eval.suites.registry import load_suite
from lift.home import lift_home
from lift.infer.generation import generate_after_prefix, generate_batch, shared_prefix_length
from lift.infer.modes import ICL_TEMPLATE, build_prompt_ids, question_overhead
from lift.infer.rag import Retriever, retrieved_context
from lift.models import load_model
from lift.progress import NullProgress
from lift.prompting import chat_prompt_ids
from lift.text.truncate import truncate_head_tail

LAYOUTS = ("lift_icl", "plain", "memory", "turns", "lift_rag", "lift_only", "icl", "rag")
BASE_LAYOUTS = ("icl", "rag")  # answered with the adapter off
MEMORY_TEMPLATE = (
    "{document}\n\nAnswer the question based on the text above and what you know about the document.\n"
    "Question: {question}"
)
ACK = "I have read the text."
SHARED_PREFIX_TOKENS = 256  # below the eval runner's 1024, which a 1,024-token dev cut in its chat frame can miss


def layout_prompt(layout: str, tokenizer, question: str, cut: str, chunks: str, system: str, base_system: str,
                  window: int, max_new: int, context_tokens: int, document: str) -> list[int]:  # fmt: skip
    if layout in ("lift_icl", "icl"):
        chosen = system if layout == "lift_icl" else base_system
        return build_prompt_ids(tokenizer, question, layout, document, window, max_new, chosen,
                                context_tokens=context_tokens)  # fmt: skip
    if layout == "lift_only":
        return build_prompt_ids(tokenizer, question, "lift_only", None, window, max_new, system)
    if layout == "plain":
        return chat_prompt_ids(tokenizer, f"{cut}\n\n{question}", system)
    if layout == "memory":
        return chat_prompt_ids(tokenizer, MEMORY_TEMPLATE.format(document=cut, question=question), system)
    if layout == "turns":
        history = [{"role": "user", "content": cut}, {"role": "assistant", "content": ACK}]
        return chat_prompt_ids(tokenizer, question, system, history)
    chosen = system if layout == "lift_rag" else base_system
    return chat_prompt_ids(tokenizer, ICL_TEMPLATE.format(document=chunks, question=question), chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("suite", help="an eval suite whose documents fit the store (niah, paraphrase, squad, ...)")
    parser.add_argument("out", type=Path, help="results file (one JSON row per answer; resumable)")
    parser.add_argument("--set", action="append", default=[], help="config override key=value (repeatable)")
    parser.add_argument("--layouts", default=",".join(LAYOUTS), help="comma list of layouts to answer with")
    if sys.argv[1:2] == ["table"]:
        table([Path(name) for name in sys.argv[2:]])
        return
    args = parser.parse_args()
    config = LiftConfig().with_overrides(dict(item.split("=", 1) for item in args.set))
    layouts = args.layouts.split(",")
    loaded = load_model()
    tokenizer, window = loaded.tokenizer, loaded.window
    done = set()
    rows = []
    if args.out.exists():
        rows = [json.loads(line) for line in args.out.read_text(encoding="utf-8").splitlines() if line.strip()]
        done = {(row["mode"], row["item_id"], row["doc_id"]) for row in rows}
    by_document: dict[str, list] = {}
    for item in load_suite(args.suite, config, tokenizer):
        by_document.setdefault(item.document.doc_id, []).append(item)
    system, base_system = config.infer.system_prompt, config.infer.base_system_prompt
    rag = config.rag
    for doc_id, items in by_document.items():
        entry, _ = ensure_lifted(items[0].document, loaded, config, lift_home(), NullProgress(), False)
        handle = load_adapter(loaded.model, entry.adapter_dir)
        text = items[0].document.text
        document_ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        retriever = Retriever(text, "minilm", rag.chunk_tokens)
        for layout in layouts:
            todo = [item for item in items if (layout, item.item_id, doc_id) not in done]
            if not todo:
                continue
            prompts, meta = [], []
            for item in todo:
                max_new = item.max_new_tokens or config.infer.max_new_tokens
                # the cut lift_icl reads: the window less the answer and the question's frame, capped as
                # infer.context_tokens caps it (a few tokens short of lift_icl's own, for the turns layout)
                budget = window - max_new - question_overhead(tokenizer, item.question, system) - 16
                cut = tokenizer.decode(
                    truncate_head_tail(document_ids, min(budget, config.infer.context_tokens or budget))
                )
                chunks = retrieved_context(retriever, item.question, rag.top_k) if "rag" in layout else ""
                prompts.append(layout_prompt(layout, tokenizer, item.question, cut, chunks, system, base_system,
                                             window, max_new, config.infer.context_tokens, text))  # fmt: skip
                in_cut = all(" ".join(ref.split()) in " ".join(cut.split()) for ref in item.references[:1])
                meta.append((item, max_new, in_cut))
            started = time.time()
            max_new = {m[1] for m in meta}
            if len(max_new) > 1:
                raise SystemExit(f"{doc_id}: questions with different answer lengths {sorted(max_new)}")
            with handle.disabled() if layout in BASE_LAYOUTS else contextlib.nullcontext():
                texts = answers(handle.model, tokenizer, prompts, max_new.pop())
            seconds = round((time.time() - started) / len(todo), 2)
            for (item, _, in_cut), prediction, prompt in zip(meta, texts, prompts, strict=True):
                rows.append({"mode": layout, "item_id": item.item_id, "doc_id": doc_id, "group": item.group,
                             "in_cut": in_cut, "question": item.question, "prediction": prediction,
                             "scores": score_prediction(item, prediction), "prompt_tokens": len(prompt),
                             "seconds": seconds})  # fmt: skip
            args.out.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
            print(layout, doc_id, summary(rows, layout, doc_id), flush=True)
        handle.unload()
    for layout in layouts:
        print(layout, summary(rows, layout, None))


def answers(model, tokenizer, prompts: list[list[int]], max_new: int) -> list[str]:
    """Greedy answers; prompts that start with the same cut read it once (one row at a time, as the eval runner
    does on a CPU)."""
    shared = shared_prefix_length(prompts) if len(prompts) > 1 else 0
    if shared < SHARED_PREFIX_TOKENS:
        return generate_batch(model, tokenizer, prompts, max_new)
    return [c.text for batch in generate_after_prefix(model, tokenizer, prompts, max_new, shared, 1) for c in batch]


def table(files: list[Path]) -> None:
    """The markdown table of benchmarks/results/lift_icl_dev (per haystack, by cut, other_fact), and for two files
    the paired difference of their lift_icl answers with a 95 % bootstrap interval."""
    runs = {path.stem: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] for path in files}
    print("| adapter | answered with | per document | all | answer cut out | in the cut | other_fact |")
    print("|---|---|---|---|---|---|---|")
    for run, rows in runs.items():
        for layout in dict.fromkeys(row["mode"] for row in rows):
            chosen = [row for row in rows if row["mode"] == layout]
            per_document = " / ".join(
                _percent([row for row in chosen if row["doc_id"] == doc_id], "correct")
                for doc_id in dict.fromkeys(row["doc_id"] for row in chosen)
            )
            cut_out = [row for row in chosen if not row["in_cut"]]
            in_cut = [row for row in chosen if row["in_cut"]]
            print(f"| {run} | {layout} | {per_document} | {_percent(chosen, 'correct')} ({len(chosen)}) | "
                  f"{_percent(cut_out, 'correct')} ({len(cut_out)}) | {_percent(in_cut, 'correct')} ({len(in_cut)}) | "
                  f"{_percent(chosen, 'other_fact')} |")  # fmt: skip
    if len(runs) == 2:
        (a, rows_a), (b, rows_b) = runs.items()
        first = {(r["doc_id"], r["item_id"]): r["scores"]["correct"] for r in rows_a if r["mode"] == "lift_icl"}
        second = {(r["doc_id"], r["item_id"]): r["scores"]["correct"] for r in rows_b if r["mode"] == "lift_icl"}
        diffs = [second[key] - first[key] for key in first if key in second]
        draw = random.Random(0)
        means = sorted(sum(draw.choices(diffs, k=len(diffs))) / len(diffs) for _ in range(2000))
        print(f"lift_icl {b} - {a}: {100 * sum(diffs) / len(diffs):+.1f} points over {len(diffs)} questions, "
              f"95 % paired bootstrap [{100 * means[50]:.1f}, {100 * means[1949]:.1f}]; "
              f"gained {sum(d > 0 for d in diffs)}, lost {sum(d < 0 for d in diffs)}")  # fmt: skip


def _percent(rows: list[dict], metric: str) -> str:
    return f"{100 * sum(row['scores'][metric] for row in rows) / len(rows):.1f}" if rows else "-"


def summary(rows: list[dict], layout: str, doc_id: str | None) -> str:
    chosen = [r for r in rows if r["mode"] == layout and (doc_id is None or r["doc_id"] == doc_id)]
    if not chosen:
        return "-"
    metric = next(iter(chosen[0]["scores"]))
    parts = []
    for label, subset in (("all", chosen), ("cut out", [r for r in chosen if not r["in_cut"]]),
                          ("in cut", [r for r in chosen if r["in_cut"]])):  # fmt: skip
        if subset:
            parts.append(f"{label} {100 * sum(r['scores'][metric] for r in subset) / len(subset):.1f} ({len(subset)})")
    return f"{metric}: " + ", ".join(parts)


if __name__ == "__main__":
    main()
