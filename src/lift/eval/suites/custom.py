"""The user's own data: a JSONL file, one question a line.

    {"question": "...", "answers": ["..."], "document": "the text"}          free-text answer (F1, ROUGE-L, EM)
    {"question": "...", "answer": "...",    "document_path": "doc.txt"}       path relative to the JSONL file
    {"question": "...", "options": ["...", "..."], "answer": "B", ...}         multiple choice (accuracy);
                                                                               answer: a letter or option text
Optional: "id" (default: the line number). Lines sharing a document text share one lifted adapter.
"""

from __future__ import annotations

import json
from pathlib import Path

from lift.errors import LiftError
from lift.eval.items import EvalItem, question_with_options
from lift.eval.metrics import OPTION_LETTERS
from lift.text.documents import document_from_text, read_document


def custom_items(path: str | Path) -> list[EvalItem]:
    path = Path(path)
    if not path.is_file():
        raise LiftError(f"custom eval file not found: {path}")
    items: list[EvalItem] = []
    documents: dict[str, object] = {}
    seen_ids: set[str] = set()
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise LiftError(f"{where}: not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise LiftError(f"{where}: each line must be a JSON object")
        item_id = str(record.get("id", number))
        if item_id in seen_ids:
            raise LiftError(f"{where}: duplicate id {item_id!r}")
        seen_ids.add(item_id)
        question = record.get("question")
        if not isinstance(question, str) or not question.strip():
            raise LiftError(f"{where}: 'question' must be a non-empty string")
        if ("document" in record) == ("document_path" in record):
            raise LiftError(f"{where}: give exactly one of 'document' (the text) or 'document_path'")
        if "document" in record:
            if not isinstance(record["document"], str) or not record["document"].strip():
                raise LiftError(f"{where}: 'document' must be a non-empty string")
            key = "text:" + record["document"]
            if key not in documents:
                documents[key] = document_from_text(record["document"], title=f"custom line {number}", source=str(path))
        else:
            doc_path = (path.parent / str(record["document_path"])).resolve()
            key = "path:" + str(doc_path)
            if key not in documents:
                if not doc_path.is_file():
                    raise LiftError(f"{where}: document_path {record['document_path']!r} not found")
                documents[key] = read_document(doc_path)
        answers = record.get("answers", record.get("answer"))
        if isinstance(answers, str):
            answers = [answers]
        if not isinstance(answers, list) or not answers or not all(isinstance(a, str) and a for a in answers):
            raise LiftError(f"{where}: give 'answers' (a list of strings) or 'answer' (a string)")
        options = record.get("options")
        if options is None:
            items.append(EvalItem("custom", item_id, documents[key], question, answers, ("f1", "rouge_l", "em")))
            continue
        if not isinstance(options, list) or not 2 <= len(options) <= len(OPTION_LETTERS):
            raise LiftError(f"{where}: 'options' must be a list of 2 to {len(OPTION_LETTERS)} strings")
        right = answers[0].strip()
        if len(right) == 1 and right.upper() in OPTION_LETTERS[: len(options)]:
            right = options[OPTION_LETTERS.index(right.upper())]
        if right not in options:
            raise LiftError(f"{where}: 'answer' must be an option letter or one of the options' text")
        items.append(
            EvalItem(
                "custom",
                item_id,
                documents[key],
                question_with_options(question, options),
                [right],
                ("accuracy",),
                options=[str(o) for o in options],
                max_new_tokens=16,
            )
        )
    if not items:
        raise LiftError(f"{path} has no questions")
    return items
