"""Grounding filter: keep a QA pair only if its answer is supported by the sentence and its context."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(
    "a an the and or but if then of to in on at by for with from as is are was were be been being it its this "
    "that these those there here he she they them his her their we our you your i me my not no do does did "
    "so such than too very can could will would should may might must have has had about into over under "
    "what which who whom whose when where why how".split()
)


def content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def answer_overlap(answer: str, source: str) -> float:
    """Share of the answer's content words that occur in the source (0 for an answer with none)."""
    words = content_words(answer)
    if not words:
        return 0.0
    source_words = set(_WORD.findall(source.lower()))
    return sum(w in source_words for w in words) / len(words)


def is_grounded(answer: str, source: str, min_overlap: float) -> bool:
    return answer_overlap(answer, source) >= min_overlap
