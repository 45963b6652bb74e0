"""LooGLE sample: short-dependency and long-dependency QA over long documents.

Scores: F1, ROUGE-L and exact match against the reference answer; an optional LLM judge (the LIFT 2025 paper's
prompt) is added by the runner when a judge endpoint is configured. The same document can appear in both files;
it is lifted once.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from lift.errors import LiftError
from lift.eval.data_dir import suite_dir
from lift.eval.items import EvalItem
from lift.text.documents import document_from_text

TASKS = {"shortdep_qa": 128, "longdep_qa": 128}  # max new tokens (LooGLE uses 300/500; cut for CPU time)


def loogle_items(data_dir: Path, documents: int | None = None) -> list[EvalItem]:
    folder = suite_dir(data_dir, "loogle")
    items: list[EvalItem] = []
    for task, max_new_tokens in TASKS.items():
        path = folder / f"{task}.jsonl"
        if not path.is_file():
            raise LiftError(f"LooGLE file not found: {path}")
        for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if documents is not None and line_number > documents:
                break
            record = json.loads(line)
            try:
                pairs = ast.literal_eval(record["qa_pairs"])  # a Python literal, not JSON (see SOURCE.md)
            except (ValueError, SyntaxError) as error:
                raise LiftError(f"{path}:{line_number}: qa_pairs is not a Python literal ({error})") from None
            document = document_from_text(record["input"], title=f"LooGLE: {record['title']}", source="loogle")
            for number, pair in enumerate(pairs):
                items.append(
                    EvalItem(
                        suite="loogle",
                        item_id=f"{task}-{line_number}-{number}",
                        document=document,
                        question=pair["Q"].strip(),
                        references=[str(pair["A"]).strip()],
                        metrics=("f1", "rouge_l", "em"),
                        max_new_tokens=max_new_tokens,
                        group={"task": task, "type": pair.get("type", task)},
                    )
                )
    return items
