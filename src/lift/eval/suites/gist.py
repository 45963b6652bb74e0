"""Gist: questions about a document as a whole (issue P), the first thing most people ask a document.

Documents (lift/samples/gist_questions.json, its recipe inside): whole Paul Graham essays, the first paragraphs
of SQuAD dev articles, and chapters of the narrativeqa stories, all within the model's window. Questions,
written by hand after reading each document: what it is about, its main point or conclusion, a summary, lists
and counts over the whole text, and its structure (what comes first, last, or after a part). Scored by keyword
share (the `keywords` metric: each keyword, or one of its '|' alternatives, found at a word start), so a free
answer counts as far as it names what a reader of the document would name.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

from lift.config import GIST_SPLITS
from lift.errors import LiftError
from lift.eval.data_dir import suite_dir
from lift.eval.items import EvalItem
from lift.eval.suites.longbench import split_prompt
from lift.eval.suites.squad import squad_articles
from lift.text.documents import Document, document_from_text

FORMS = ("about", "main_point", "summary", "list", "count", "structure")
MAX_NEW_TOKENS = 96


def gist_questions() -> dict:
    """The bundled fixture: recipe, documents (id, kind, source, split) and their questions."""
    return json.loads(resources.files("lift.samples").joinpath("gist_questions.json").read_text("utf-8"))


def gist_document(data_dir: Path, spec: dict) -> Document:
    """A fixture document's text: an essay file, an article's first paragraphs, or a chapter of a story (from
    its start marker up to its end marker)."""
    kind, source = spec["kind"], spec["source"]
    if kind == "essay":
        path = suite_dir(data_dir, "niah") / "PaulGrahamEssays" / source["file"]
        if not path.is_file():
            raise LiftError(f"the gist suite needs the essay {path}")
        text = path.read_text(encoding="utf-8").strip()
    elif kind == "article":
        articles = {a["title"]: a for a in squad_articles(data_dir)}
        if source["title"] not in articles:
            raise LiftError(f"no SQuAD article '{source['title']}' in {suite_dir(data_dir, 'squad')}")
        paragraphs = articles[source["title"]]["paragraphs"][: source["paragraphs"]]
        text = "\n\n".join(p["context"].strip() for p in paragraphs)
    elif kind == "story":
        path = suite_dir(data_dir, "longbench") / "MiniLongBench_narrativeqa.json"
        if not path.is_file():
            raise LiftError(f"the gist suite's stories need LongBench's narrativeqa samples: {path} not found")
        story = split_prompt(
            "narrativeqa", json.loads(path.read_text(encoding="utf-8"))[source["sample"]]["origin_prompt"]
        )[0]
        start, end = story.find(source["start"]), story.find(source["end"])
        if start < 0 or end <= start:
            raise LiftError(f"story markers of gist document {spec['id']} not found in sample {source['sample']}")
        paragraphs = (re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", story[start:end]))
        text = "\n\n".join(p for p in paragraphs if p)
    else:
        raise LiftError(f"unknown gist document kind '{kind}'")
    return document_from_text(text, title=f"{spec['title']} ({kind})", source="gist")


def gist_items(data_dir: Path, split: str = "test") -> list[EvalItem]:
    """Every question about the split's documents."""
    if split not in GIST_SPLITS:
        raise LiftError(f"unknown gist split '{split}' (choose from {', '.join(GIST_SPLITS)})")
    data = gist_questions()
    items = []
    for spec in data["documents"]:
        if split != "all" and spec["split"] != split:
            continue
        document = gist_document(data_dir, spec)
        seen: dict[str, int] = {}
        for question in (q for q in data["questions"] if q["document"] == spec["id"]):
            form = question["form"]
            seen[form] = seen.get(form, 0) + 1
            items.append(
                EvalItem(
                    suite="gist",
                    item_id=f"{spec['id']}-{form}-{seen[form]}",
                    document=document,
                    question=question["question"],
                    references=[question.get("reference", "")] if question.get("reference") else [],
                    metrics=("keywords",),
                    keywords=list(question["keywords"]),
                    max_new_tokens=MAX_NEW_TOKENS,
                    group={"form": form, "kind": spec["kind"], "document": spec["id"], "split": spec["split"]},
                )
            )
    return items
