"""Paraphrase: is a lifted fact recalled when it is asked in words other than the training template's?

Hand-written fictional facts (lift/samples/paraphrase_facts.json, its recipe inside) are planted in Paul Graham
essay haystacks built as NIAH builds them: haystack j starts at the j-th essay file (so the haystacks are
different texts) and its k facts go at the sentence boundaries nearest to (i + 0.5) / k of its tokens. Each fact
is asked in at least 7 forms the template generator never produces: at least 3 direct questions (DIRECT_FORMS)
and the 4 indirect forms (INDIRECT_FORMS). A question is right when the answer has all its keywords as whole
words; `other_fact` marks an answer that names an entity of another fact in the same haystack (interference).
Two families of facts: 'names' (names, dates and counts) and 'objects' (common nouns, objects and places), each
with its dev haystack for choosing levers and thresholds; published results use the test split.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from lift.config import PARAPHRASE_SPLITS
from lift.errors import LiftError
from lift.eval.data_dir import suite_dir
from lift.eval.items import EvalItem
from lift.eval.suites.niah import essay_texts, plant_needles
from lift.text.documents import document_from_text

DIRECT_FORMS = ("who", "where", "when", "which", "how_many", "what")
INDIRECT_FORMS = ("synonym", "reverse", "indirect", "yes_no")
MAX_NEW_TOKENS = 48


def paraphrase_facts() -> dict:
    """The bundled fixture: recipe, haystacks (id, tokens, split, fact ids) and facts with their questions."""
    return json.loads(resources.files("lift.samples").joinpath("paraphrase_facts.json").read_text("utf-8"))


def fact_entities(fact: dict) -> set[str]:
    """The words a fact's answers are scored on (every alternative of every keyword but 'yes'): another fact's
    answer that names one of them has mixed the two facts up."""
    return {alt for q in fact["questions"] for k in q["keywords"] if k != "yes" for alt in k.split("|")}


def paraphrase_items(data_dir: Path, tokenizer, split: str = "test", tokens: int = 0) -> list[EvalItem]:
    """Every question of the split's haystacks; `tokens` > 0 cuts every haystack to that many tokens (the
    facts stay, closer together: a fast inner loop for choosing levers on the dev split)."""
    if split not in PARAPHRASE_SPLITS:
        raise LiftError(f"unknown paraphrase split '{split}' (choose from {', '.join(PARAPHRASE_SPLITS)})")
    data = paraphrase_facts()
    facts = {fact["id"]: fact for fact in data["facts"]}
    essays = essay_texts(suite_dir(data_dir, "niah") / "PaulGrahamEssays")
    items = []
    for j, haystack in enumerate(data["haystacks"]):  # j counts every haystack: its text is the same in any split
        if split != "all" and haystack["split"] != split:
            continue
        chosen = [facts[fact_id] for fact_id in haystack["facts"]]
        start = j % len(essays)
        k = len(chosen)
        planted = plant_needles(
            "\n\n".join(essays[start:] + essays[:start]),
            tokenizer,
            tokens or int(haystack["tokens"]),
            [(fact["fact"], 100 * (i + 0.5) / k) for i, fact in enumerate(chosen)],
        )
        document = document_from_text(
            planted.text,
            title=f"Paraphrase haystack {haystack['id']} ({tokens or haystack['tokens']} tokens, {k} facts)",
            source="paraphrase",
        )
        for fact, depth in zip(chosen, planted.depths, strict=True):
            others = sorted({k for other in chosen if other is not fact for k in fact_entities(other)})
            seen: dict[str, int] = {}
            for question in fact["questions"]:
                form = question["form"]
                seen[form] = seen.get(form, 0) + 1
                items.append(
                    EvalItem(
                        suite="paraphrase",
                        item_id=f"{fact['id']}-{form}-{seen[form]}",
                        document=document,
                        question=question["question"],
                        references=[fact["fact"]],
                        metrics=("correct", "other_fact"),  # not "keywords": keyword_score reads "a|b" literally
                        keywords=list(question["keywords"]),
                        distractors=[k for k in others if k not in fact_entities(fact)],
                        max_new_tokens=MAX_NEW_TOKENS,
                        group={
                            "form": form,
                            "direct": form in DIRECT_FORMS,
                            "fact": fact["id"],
                            "haystack": haystack["id"],
                            "split": haystack["split"],
                            "family": haystack.get("family", "names"),
                            "achieved_depth": round(depth, 4),
                        },
                    )
                )
    return items
