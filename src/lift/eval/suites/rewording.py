"""Rewording: facts recalled when a user asks in their own words, on enough facts to tell two recipes apart.

Hand-written fictional facts (lift/samples/rewording_facts.json, its recipe inside), each one sentence of one of
nine shapes (a name, a place, a time, a quantity, an object, a copular "the X of Y is Z", an event, a reason, a
relation between two entities), are planted ten to a haystack: fiction (the narrativeqa stories of the NIAH
facts family) or Paul Graham essays, as the paraphrase suite plants its facts. Each fact is asked in five
wordings no template writes: other words (synonym), from the other end of the fact (reverse), a request, an
indirect question, and a terse search-box query or a long question with the user's situation in it. An answer
is right when it holds every keyword as a whole word; `other_fact` marks one that names another fact of the same
haystack. 120 facts (600 questions) are the dev split, on which defaults are chosen; 40 are the test split.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from lift.config import REWORDING_SPLITS
from lift.errors import LiftError
from lift.eval.data_dir import suite_dir
from lift.eval.items import EvalItem
from lift.eval.suites.niah import essay_texts, fiction_text, plant_needles
from lift.text.documents import document_from_text

FORMS = ("synonym", "reverse", "request", "indirect", "short", "long")
SHAPES = ("name", "place", "time", "quantity", "object", "copula", "event", "reason", "relation")
MAX_NEW_TOKENS = 48
FICTION_STRIDE = 9000  # characters between the starts of two fiction haystacks (more than one haystack's text)


def rewording_facts() -> dict:
    """The bundled fixture: recipe, haystacks (id, kind, tokens, split, fact ids) and facts with their questions."""
    return json.loads(resources.files("lift.samples").joinpath("rewording_facts.json").read_text("utf-8"))


def answer_words(fact: dict) -> set[str]:
    """Every alternative of every keyword of a fact's questions: another fact's answer that names one of them
    has mixed the two facts up."""
    return {option for q in fact["questions"] for k in q["keywords"] for option in k.split("|")}


def haystack_text(data_dir: Path, kind: str, number: int) -> str:
    """The text haystack `number` (counted within its kind) is cut from: the essays from the number-th file on,
    or the fiction from a paragraph start FICTION_STRIDE x number characters in."""
    if kind == "essays":
        essays = essay_texts(suite_dir(data_dir, "niah") / "PaulGrahamEssays")
        start = number % len(essays)
        return "\n\n".join(essays[start:] + essays[:start])
    fiction = fiction_text(data_dir)
    offset = (FICTION_STRIDE * number) % len(fiction)
    paragraph = fiction.find("\n\n", offset)
    start = paragraph + 2 if paragraph >= 0 else 0
    return fiction[start:] + "\n\n" + fiction[:start]


def rewording_items(data_dir: Path, tokenizer, split: str = "test") -> list[EvalItem]:
    """Every question about the facts of the split's haystacks."""
    if split not in REWORDING_SPLITS:
        raise LiftError(f"unknown rewording split '{split}' (choose from {', '.join(REWORDING_SPLITS)})")
    data = rewording_facts()
    facts = {fact["id"]: fact for fact in data["facts"]}
    counts: dict[str, int] = {}
    items = []
    for haystack in data["haystacks"]:
        kind = haystack["kind"]
        number = counts[kind] = counts.get(kind, -1) + 1  # the text depends on its place in the file only
        if split != "all" and haystack["split"] != split:
            continue
        chosen = [facts[fact_id] for fact_id in haystack["facts"]]
        k = len(chosen)
        planted = plant_needles(
            haystack_text(data_dir, kind, number),
            tokenizer,
            int(haystack["tokens"]),
            [(fact["fact"], 100 * (i + 0.5) / k) for i, fact in enumerate(chosen)],
        )
        document = document_from_text(
            planted.text,
            title=f"Rewording haystack {haystack['id']} ({kind}, {haystack['tokens']} tokens, {k} facts)",
            source="rewording",
        )
        for fact, depth in zip(chosen, planted.depths, strict=True):
            own = answer_words(fact)
            others = sorted({w for other in chosen if other is not fact for w in answer_words(other)} - own)
            for question in fact["questions"]:
                items.append(
                    EvalItem(
                        suite="rewording",
                        item_id=f"{fact['id']}-{question['form']}",
                        document=document,
                        question=question["question"],
                        references=[fact["fact"]],
                        metrics=("correct", "other_fact"),
                        keywords=list(question["keywords"]),
                        distractors=others,
                        max_new_tokens=MAX_NEW_TOKENS,
                        group={
                            "form": question["form"],
                            "shape": fact["shape"],
                            "kind": kind,
                            "fact": fact["id"],
                            "haystack": haystack["id"],
                            "split": haystack["split"],
                            "achieved_depth": round(depth, 4),
                        },
                    )
                )
    return items
