"""LongBench (the staged MiniLongBench subset): each sample's prompt is cut into context and question at the
markers SOURCE.md lists, the context is the document, and each task keeps its official metric and answer
length (THUDM/LongBench config/dataset2maxlen.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from lift.errors import LiftError
from lift.eval.data_dir import suite_dir
from lift.eval.items import EvalItem
from lift.text.documents import document_from_text


@dataclass(frozen=True)
class TaskFormat:
    context_start: str
    context_end: str
    question_start: str | None  # after the last occurrence; None: the task has no question (fixed instruction)
    question_end: str | None
    instruction: str  # appended to the question (or the whole question when there is none)
    metric: str
    max_new_tokens: int


TASKS = {
    "narrativeqa": TaskFormat(
        "Story: ", "\n\nNow, answer the question based on the story", "Question: ", "\n\nAnswer:",
        "Answer the question as concisely as you can, using a single phrase if possible.", "f1", 128,
    ),
    "musique": TaskFormat(
        "The following are given passages.\n",
        "\n\nAnswer the question based on the given passages. Only give me the answer",
        "Question: ", "\nAnswer:", "Only give me the answer and do not output any other words.", "f1", 32,
    ),
    "qmsum": TaskFormat(
        "Transcript:\n", "\n\nNow, answer the query based on the above meeting transcript", "Query: ", "\nAnswer:",
        "Answer the query in one or more sentences.", "rouge_l", 512,
    ),
    "gov_report": TaskFormat(
        "Report:\n", "\n\nNow, write a one-page summary of the report.", None, None,
        "Write a one-page summary of the report.", "rouge_l", 512,
    ),
    "passage_retrieval_en": TaskFormat(
        "which paragraph the abstract is from.\n\n", "\n\nThe following is an abstract.\n\n",
        "\n\nThe following is an abstract.\n\n", "\n\nPlease enter the number of the paragraph",
        'Which paragraph is this abstract from? Answer in the format "Paragraph N".', "retrieval", 32,
    ),
}  # fmt: skip


def split_prompt(task: str, prompt: str) -> tuple[str, str]:
    """(context, question) of one LongBench prompt; the question carries the task's instruction."""
    fmt = TASKS[task]
    start = prompt.find(fmt.context_start)
    end = prompt.find(fmt.context_end, start + len(fmt.context_start)) if start >= 0 else -1
    if start < 0 or end < 0:
        raise LiftError(f"{task}: prompt does not have the expected context markers")
    context = prompt[start + len(fmt.context_start) : end]
    if fmt.question_start is None:
        return context, fmt.instruction
    q_start = prompt.rfind(fmt.question_start)
    q_end = prompt.find(fmt.question_end, q_start + len(fmt.question_start)) if q_start >= 0 else -1
    if q_start < 0 or q_end < 0:
        raise LiftError(f"{task}: prompt does not have the expected question markers")
    question = prompt[q_start + len(fmt.question_start) : q_end].strip()
    return context, f"{question}\n{fmt.instruction}"


def longbench_items(data_dir: Path, tasks: list[str] | None = None, per_task: int | None = None) -> list[EvalItem]:
    folder = suite_dir(data_dir, "longbench")
    items: list[EvalItem] = []
    for task in tasks or list(TASKS):
        if task not in TASKS:
            raise LiftError(f"unknown LongBench task '{task}' (choose from {', '.join(TASKS)})")
        path = folder / f"MiniLongBench_{task}.json"
        if not path.is_file():
            raise LiftError(f"LongBench file not found: {path}")
        samples = json.loads(path.read_text(encoding="utf-8"))
        # Shortest contexts first, so a --limit run lifts the cheapest documents.
        ordered = sorted(samples.items(), key=lambda kv: (len(kv[1]["origin_prompt"]), int(kv[0])))
        for key, sample in ordered[:per_task]:
            context, question = split_prompt(task, sample["origin_prompt"])
            document = document_from_text(context, title=f"LongBench {task} #{key}", source="longbench")
            items.append(
                EvalItem(
                    suite="longbench",
                    item_id=f"{task}-{key}",
                    document=document,
                    question=question,
                    references=[str(g) for g in sample["gold"]],
                    metrics=(TASKS[task].metric,),
                    max_new_tokens=TASKS[task].max_new_tokens,
                    group={"task": task},
                )
            )
    return items
