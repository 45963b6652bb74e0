"""Whole-document tasks (synth.gist): questions about the document as a whole, answered from the document itself.

- gist: "What is this text about?", "Summarize it.", "What is the main point?" -> an extractive summary: the
  most central sentences (highest mean cosine similarity to the rest of their section, all-MiniLM-L6-v2), kept
  in document order; a long document is cut into parts of about PART_CHARS characters, and its summary is the
  most central sentence of each part (at most MAX_PARTS of them, evenly spaced);
- read: the same three questions answered by a reader instead, the base model with the document in its window
  (lift.synth.gist_reader), each in a few wordings; the extractive answer stays where the reader's is not
  grounded in the text;
- structure: how the text begins and how it ends (each in STRUCTURE_WORDINGS wordings) -> its first and last
  sentences; for a document of several parts, what each part is about -> that part's two most central sentences;
- names: which names the text mentions most (in STRUCTURE_WORDINGS wordings) -> the capitalized names found in
  several sentences, in the order of their first mention.

The wordings rotate with the document, so that no one question string carries the answer. (The question gate
knows such questions too, lift.infer.gate.WHOLE_DOCUMENT_QUESTIONS: they go to the adapter, not to the base model
that has never read the document.)
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

import torch

PART_CHARS = 4000  # about 1,000 tokens of English prose
MAX_PARTS = 5  # sentences in a long document's summary (one per part, evenly spaced)
READ_WORDINGS = {"about": 3, "summary": 2, "main_point": 2}  # wordings a reader's answer is trained in
STRUCTURE_WORDINGS = 3  # wordings of how the text begins, of how it ends, and of the names it mentions
_NOTE = re.compile(r"\s*\[\d+\]")  # an essay's note markers ("... in 1990.[2]"): not part of an answer
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")

ABOUT = (
    "What is this text about?",
    "What is the document about?",
    "What's the gist of it?",
    "What is the topic of the text?",
    "In short, what does this text cover?",
    "What is it about?",
)
SUMMARY = (
    "Summarize the text.",
    "Give me a short summary of the document.",
    "Can you summarize what it says?",
    "Sum up the text in a few sentences.",
)
MAIN_POINT = (
    "What is the main point of the text?",
    "What is the main idea here?",
    "What does the author argue?",
    "What is the key takeaway of the document?",
)
BEGINNING = (
    "How does the text begin?",
    "What does the document start with?",
    "How does it open?",
    "What comes first in the text?",
    "What are its opening lines?",
)
ENDING = (
    "How does the text end?",
    "What does the document say at the end?",
    "How does it close?",
    "What is the last thing the text says?",
    "What are its closing lines?",
)
PART = (
    "What is the {} part of the text about?",
    "What does the {} part of the document cover?",
)
NAMES = (
    "Which names come up most in the text?",
    "Who and what does the document mention most?",
    "Who is mentioned in it?",
    "Which people, places or groups does the text name?",
    "Name the main people and places in the text.",
)
# a capitalized word, and the capitalized words after it; a one-letter word starts a name only before another
# ("Y Combinator")
_NAME = re.compile(r"\b(?:[A-Z]\s+(?=[A-Z][a-z]))?[A-Z][a-z]+(?:\s+(?:of\s+|de\s+)?[A-Z][a-z]+)*")
_NOT_NAMES = {
    "The", "A", "An", "I", "It", "This", "That", "But", "And", "So", "If", "In", "On", "When", "He", "She", "They",
    "We", "You", "What", "There", "Then", "As", "At", "For", "Or", "Yes", "No", "My",
}  # fmt: skip


@dataclass(frozen=True)
class GistPair:
    question: str
    answer: str
    task: str  # gist | read | structure | part | names
    sentence_index: int  # the first sentence the answer quotes


def parts(sentences: list[str], part_chars: int = PART_CHARS) -> list[list[int]]:
    """The document cut into parts of about part_chars characters, as lists of sentence indices."""
    cut: list[list[int]] = [[]]
    size = 0
    for i, sentence in enumerate(sentences):
        if size >= part_chars and cut[-1]:
            cut.append([])
            size = 0
        cut[-1].append(i)
        size += len(sentence) + 1
    return [p for p in cut if p]


def central(vectors: torch.Tensor, indices: list[int], count: int) -> list[int]:
    """The `count` most central of these sentences (highest mean cosine similarity to the others; vectors
    L2-normalised), in document order."""
    if len(indices) <= count:
        return list(indices)
    chosen = vectors[indices]
    similarity = chosen @ chosen.T
    mean = (similarity.sum(dim=1) - similarity.diagonal()) / (len(indices) - 1)
    best = sorted(torch.argsort(mean, descending=True)[:count].tolist())
    return [indices[i] for i in best]


def gist_pairs(
    sentences: list[str],
    vectors: torch.Tensor,
    document_sha256: str = "",
    read: dict[str, str] | None = None,
    part_gists: list[str] | None = None,
) -> list[GistPair]:
    """The whole-document pairs of a document: `sentences` its sentences (the ones worth comparing, see
    lift.infer.gate.gate_units) and `vectors` their L2-normalised embeddings, one row each. `read`: a reader's
    answers by kind (lift.synth.gist_reader: about, summary, main_point), each asked in READ_WORDINGS of its
    wordings instead of the extractive answer; `part_gists`: its gist of each part ('' for none)."""
    if len(sentences) < 2:
        return []
    read, part_gists = read or {}, part_gists or []
    turn = int(hashlib.sha1((document_sha256 or " ".join(sentences[:3])).encode()).hexdigest(), 16)
    pick = lambda wordings, k=0: wordings[(turn + k) % len(wordings)]  # noqa: E731
    text = lambda indices: _NOTE.sub("", " ".join(sentences[i].strip() for i in indices)).strip()  # noqa: E731
    cut = parts(sentences)
    if len(cut) == 1:
        about, summary = central(vectors, cut[0], 2), central(vectors, cut[0], 3)
    else:
        spaced = [cut[i * len(cut) // MAX_PARTS] for i in range(MAX_PARTS)] if len(cut) > MAX_PARTS else cut
        summary = [central(vectors, part, 1)[0] for part in spaced]
        about = central(vectors, summary, 2)
    extractive = {
        "about": (ABOUT, text(about), about[0]),
        "summary": (SUMMARY, text(summary), summary[0]),
        "main_point": (MAIN_POINT, text(central(vectors, about, 1)), about[0]),
    }
    pairs = []
    for kind, (wordings, answer, first) in extractive.items():
        if read.get(kind):
            pairs += [GistPair(pick(wordings, k), read[kind], "read", first) for k in range(READ_WORDINGS[kind])]
        else:
            pairs += [GistPair(pick(wordings, 3 * k), answer, "gist", first) for k in range(1 + (kind == "about"))]
    last = max(0, len(sentences) - 2)
    for k in range(STRUCTURE_WORDINGS):
        pairs.append(GistPair(pick(BEGINNING, k), text(range(min(2, len(sentences)))), "structure", 0))
    for k in range(STRUCTURE_WORDINGS):
        pairs.append(GistPair(pick(ENDING, k), text(range(last, len(sentences))), "structure", last))
    if len(cut) > 1:
        for number, part in enumerate(cut):
            ordinal = ORDINALS[number] if number < len(ORDINALS) else f"{number + 1}th"
            ordinal = "last" if number == len(cut) - 1 else ordinal
            chosen = central(vectors, part, 2)
            gist = part_gists[number] if number < len(part_gists) else ""
            pairs.append(GistPair(pick(PART, number).format(ordinal), gist or text(chosen), "part", chosen[0]))
    names = frequent_names(sentences)
    if len(names) >= 2:
        listed = ", ".join(names[:-1]) + f" and {names[-1]}"
        answer = f"The text mentions {listed}."
        pairs += [GistPair(pick(NAMES, k), answer, "names", 0) for k in range(STRUCTURE_WORDINGS)]
    return pairs


def frequent_names(sentences: list[str], most: int = 6) -> list[str]:
    """Capitalized names (not at a sentence start, and not a word the text also writes in lower case) found in
    at least two sentences, the `most` most frequent, in the order of their first mention."""
    seen: Counter = Counter()
    first: dict[str, tuple[int, int]] = {}  # name -> (sentence, character) of its first mention
    lower = {w for sentence in sentences for w in re.findall(r"\b[a-z]+\b", sentence)}  # 'most', 'where': words
    for i, sentence in enumerate(sentences):
        found: dict[str, int] = {}
        for match in _NAME.finditer(sentence):
            words = match.group().split()
            while words and words[0] in _NOT_NAMES:  # "At Drachenhausen" -> "Drachenhausen"
                words = words[1:]
            name = " ".join(words)
            if name and (match.start() > 0 or len(words) < len(match.group().split())) and name.lower() not in lower:
                found.setdefault(name, match.start())
        for name, start in found.items():
            seen[name] += 1
            first.setdefault(name, (i, start))
    common = [name for name, count in seen.most_common() if count >= 2][:most]
    return sorted(common, key=lambda name: first[name])
