"""SQuAD v1.1 dev, the SEAL protocol: each passage lifted on its own, questions asked without the passage.

Passages are drawn in a seeded random order and taken whole (all their questions) until `questions` questions
are reached; the last passage is cut to make the count exact. Scores: official EM and F1.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from lift.errors import LiftError
from lift.eval.data_dir import suite_dir
from lift.eval.items import EvalItem
from lift.text import Document
from lift.text.documents import document_from_text

INSTRUCTION = "Answer in a few words."
RECORD_FILE = "lift_pretrain.json"  # in a `lift pretrain` model dir: the articles it was tuned on


@dataclass
class SquadSplit:
    train: list[str]
    held_out: list[str]


def squad_articles(data_dir: Path) -> list[dict]:
    path = suite_dir(data_dir, "squad") / "dev-v1.1.json"
    if not path.is_file():
        raise LiftError(f"SQuAD file not found: {path}")
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def squad_split(articles: list[dict]) -> SquadSplit:
    titles = sorted(article["title"] for article in articles)
    return SquadSplit(train=titles[0::2], held_out=titles[1::2])


def pretrained_train_articles(model_name: str | None) -> set[str]:
    """Titles a pretrained model directory was fine-tuned on (empty for any other model)."""
    if not model_name:
        return set()
    record = Path(model_name) / RECORD_FILE
    if not record.is_file():
        return set()
    return set(json.loads(record.read_text(encoding="utf-8"))["train_articles"])


def squad_items(
    data_dir: Path, questions: int, seed: int, exclude: set[str] | frozenset = frozenset(), split: str = "test"
) -> list[EvalItem]:
    """`questions` questions from whole passages in seeded order (the test split) or in the reverse of that
    order (the dev split: no test passage unless the two together need all of SQuAD); articles in `exclude` (a
    pretrained model's train half, see lift.pretrain) are never drawn."""
    passages = [
        (article["title"], number, paragraph)
        for article in squad_articles(data_dir)
        if article["title"] not in exclude
        for number, paragraph in enumerate(article["paragraphs"])
    ]
    random.Random(seed).shuffle(passages)
    if split == "dev":
        passages.reverse()
    items: list[EvalItem] = []
    for title, number, paragraph in passages:
        document = document_from_text(
            paragraph["context"], title=f"SQuAD: {title.replace('_', ' ')} #{number}", source="squad"
        )
        for qa in paragraph["qas"]:
            if len(items) == questions:
                return items
            items.append(squad_item(qa, document, title))
    return items


def squad_item(qa: dict, document: Document, article: str) -> EvalItem:
    """One SQuAD question (a `qas` entry) asked about `document`, scored by EM and F1 against its answers."""
    return EvalItem(
        suite="squad",
        item_id=qa["id"],
        document=document,
        question=f"{qa['question']}\n{INSTRUCTION}",
        references=[a["text"] for a in qa["answers"]],
        metrics=("em", "f1"),
        max_new_tokens=32,
        group={"article": article},
    )
