"""The bundled samples: the demo's needle essay, the general questions of the forgetting check, and the replay
prompts (each JSON file records its provenance)."""

from __future__ import annotations

import json
from importlib import resources

from lift.text.documents import Document, document_from_text

NEEDLE_QUESTION = "What is the best thing to do in San Francisco?"
NEEDLE_KEYWORDS = ("sandwich", "dolores park", "sunny")
# The needle question in words no template generator uses (issue K): an adapter that stored the fact answers
# these too; one that learned the question string does not.
NEEDLE_REWORDED = (
    "If I have one free day in San Francisco, how should I spend it?",
    "What would you recommend doing in San Francisco?",
    "According to the text, what's the ideal San Francisco activity?",
    "I'm visiting San Francisco. What should I do there?",
    "Which activity does the text call the best in San Francisco?",
)


def needle_sample() -> Document:
    """A Paul Graham essay with the San Francisco needle planted in it."""
    text = resources.files("lift.samples").joinpath("needle_essay.txt").read_text("utf-8")
    return document_from_text(text, title="Paul Graham essay + San Francisco needle", source="lift/samples")


def general_questions(split: str = "test") -> list[dict]:
    """General questions the embedded base model answers correctly, with the keyword(s) a right answer has;
    split 'dev' is a second set, for choosing levers."""
    name = "general_questions_dev.json" if split == "dev" else "general_questions.json"
    data = json.loads(resources.files("lift.samples").joinpath(name).read_text("utf-8"))
    return list(data["questions"])
