"""Forgetting check: general questions the embedded base model answers correctly (samples/general_questions.json,
its provenance inside; a dev split in general_questions_dev.json), asked with no context before lifting
(no_context) and with a lifted adapter (lift_only). The drop in accuracy is what lifting a document cost the
model's general knowledge; auto (the question gate sends general questions to the base model) shows what is
left of it with the gate."""

from __future__ import annotations

from lift.eval.items import EvalItem
from lift.samples import general_questions, needle_sample
from lift.text import Document


def general_items(documents: list[Document] | None = None, split: str = "test") -> list[EvalItem]:
    """The split's questions asked after lifting each document (default: the demo essay)."""
    items = []
    for document in documents or [needle_sample()]:
        for number, entry in enumerate(general_questions(split)):
            items.append(
                EvalItem(
                    suite="general",
                    item_id=f"{document.doc_id}-{number}",
                    document=document,
                    question=entry["question"],
                    references=[" ".join(entry["keywords"])],
                    metrics=("correct",),
                    keywords=list(entry["keywords"]),
                    group={"document": document.title},
                )
            )
    return items
