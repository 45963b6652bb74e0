"""One evaluation question, whatever the suite, and how its answer is scored."""

from __future__ import annotations

from dataclasses import dataclass, field

from lift.eval.metrics import (
    METRICS,
    OPTION_LETTERS,
    all_keywords_whole_word,
    chosen_option,
    keyword_score,
)
from lift.text import Document


@dataclass
class EvalItem:
    suite: str
    item_id: str  # unique within the suite; with the mode, the key of a results row
    document: Document
    question: str  # exactly what every mode is asked (instructions included)
    references: list[str]
    metrics: tuple[str, ...]  # names from score_prediction
    keywords: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    max_new_tokens: int | None = None
    distractors: list[str] = field(default_factory=list)  # other_fact: words a right answer should not name
    group: dict = field(default_factory=dict)  # report breakdown, e.g. {"length": 1000, "depth": 50}


def question_with_options(question: str, options: list[str]) -> str:
    lines = [question, ""] + [f"{OPTION_LETTERS[i]}. {option}" for i, option in enumerate(options)]
    lines.append("\nAnswer with the letter of the correct option.")
    return "\n".join(lines)


def score_prediction(item: EvalItem, prediction: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for name in item.metrics:
        if name == "keywords":
            scores[name] = keyword_score(prediction, item.keywords)
        elif name == "other_fact":
            scores[name] = float(any(all_keywords_whole_word(prediction, [d]) for d in item.distractors))
        elif name == "correct":
            scores[name] = float(all_keywords_whole_word(prediction, item.keywords))
        elif name == "accuracy":
            picked = chosen_option(prediction, item.options)
            scores[name] = float(picked is not None and item.options[picked] == item.references[0])
        else:
            scores[name] = METRICS[name](prediction, item.references)
    return scores
