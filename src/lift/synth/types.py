"""The records synthetic generation passes around."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SentenceRequest:
    """One unit of generation: a sentence, the text before it, and its neighbour (for templates)."""

    index: int
    sentence: str
    context: str  # preceding paragraph, ending with the sentence itself (as the reference builds it)
    previous_sentence: str


@dataclass(frozen=True)
class QAPair:
    question: str
    answer: str
    sentence_index: int
