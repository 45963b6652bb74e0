"""The `template` generator: deterministic QA pairs built from the sentence itself, no language model.

Every answer is a span of the sentence, so the pairs are grounded by construction. The templates, in the
order they are used (the first m that apply):
  1. definition:  "X is Y."            -> "What is X?"                              / the sentence
  2. key phrase:  a proper-noun phrase -> "What does the text say about <phrase>?"  / the sentence
  3. cloze:       the first half       -> 'Complete the sentence: "<first half> ..."' / the second half
  4. succession:  the sentence before  -> 'What does the text say right after "<previous>"?' / the sentence
"""

from __future__ import annotations

import json
import re

from lift.synth.aux import template_aux_pair
from lift.synth.backend import BatchGenerator
from lift.synth.types import AuxWindow, Job, SentenceRequest

GENERATOR_ID = "template-v1"

_COPULA = re.compile(r"^(?P<subject>.+?)\s+(?P<verb>is|are|was|were)\s+(?P<rest>.+)$")
_PRONOUN_SUBJECTS = {
    "it", "this", "that", "these", "those", "they", "he", "she", "we", "i", "you", "there", "here",
    "which", "what", "who", "one", "so", "and", "but", "or",
}  # fmt: skip
_PROPER_PHRASE = re.compile(r"\b([A-Z][a-zA-Z'’-]+(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][a-zA-Z'’-]+)*)")
_STOP_CAPITALIZED = {"The", "A", "An", "I", "It", "This", "That", "But", "And", "So", "If", "In", "On", "When"}


class TemplateGenerator(BatchGenerator):
    generator_id = GENERATOR_ID
    batch_size = 256

    def __init__(self, qa_per_sentence: int) -> None:
        super().__init__()
        self.qa_per_sentence = qa_per_sentence

    def sampling_params(self) -> dict:
        return {"qa_per_sentence": self.qa_per_sentence}

    def generate(self, jobs: list[Job]) -> list[str | None]:
        """Raw outputs in the shapes an LLM generator is asked for (JSON pairs; Question/Answer/Evidence)."""
        return [self._one(job) for job in jobs]

    def _one(self, job: Job) -> str:
        if isinstance(job.unit, AuxWindow):
            pair = template_aux_pair(job.unit)
            if pair is None:
                return "No question: no name recurs in this window."
            return f"Question: {pair['question']}\n\nAnswer: {pair['answer']}\n\nEvidence: {pair['evidence']}"
        request: SentenceRequest = job.unit
        pairs = template_pairs(request.sentence, request.previous_sentence)[: self.qa_per_sentence]
        return json.dumps({"qa_list": pairs})


def template_pairs(sentence: str, previous_sentence: str = "") -> list[dict[str, str]]:
    body = sentence.strip().rstrip(".!?;:").strip()
    pairs: list[dict[str, str]] = []
    words = body.split()
    if len(words) < 4:
        return pairs

    match = _COPULA.match(body)
    if match:
        subject = match.group("subject").strip(" ,")
        first_word = subject.split()[0].lower()
        if 2 <= len(subject.split()) <= 12 and first_word not in _PRONOUN_SUBJECTS:
            subject = subject[0].lower() + subject[1:] if not _is_proper(subject.split()[0]) else subject
            pairs.append({"question": f"What {match.group('verb')} {subject}?", "answer": sentence.strip()})

    phrase = _key_phrase(body)
    if phrase:
        pairs.append({"question": f"What does the text say about {phrase}?", "answer": sentence.strip()})

    half = len(words) // 2
    head, tail = " ".join(words[:half]), " ".join(words[half:])
    ending = sentence.strip()[-1] if sentence.strip()[-1] in ".!?" else "."
    pairs.append({"question": f'Complete the sentence: "{head} ..."', "answer": f"{head} {tail}{ending}"})

    if previous_sentence.strip():
        pairs.append(
            {
                "question": f'What does the text say right after "{_shorten(previous_sentence)}"?',
                "answer": sentence.strip(),
            }
        )
    return pairs


def _is_proper(word: str) -> bool:
    return word[:1].isupper() and word not in _STOP_CAPITALIZED


def _key_phrase(body: str) -> str:
    """The longest capitalized phrase not at the very start of the sentence, else the longest word."""
    candidates = [
        m.group(1) for m in _PROPER_PHRASE.finditer(body) if m.start() > 0 and m.group(1) not in _STOP_CAPITALIZED
    ]
    if candidates:
        return max(candidates, key=len)
    content = [w.strip(",;:()\"'") for w in body.split()[1:]]
    content = [w for w in content if len(w) >= 6]
    return max(content, key=len) if content else ""


def _shorten(sentence: str, max_words: int = 20) -> str:
    words = sentence.split()
    return " ".join(words[:max_words]) + (" ..." if len(words) > max_words else "")
