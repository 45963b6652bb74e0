"""Auxiliary long-range QA with evidence (LIFT 2024 paper §3.2, appendix B.1): one question over a window of
16 consecutive sentences that needs several of them, answered in the Question / Answer / Evidence format, the
evidence verbatim from the window.

Windows are spread evenly over the document rather than drawn at random (the paper draws them at random):
with the 10 windows the paper uses, random starts often overlap and leave whole stretches of the document
without a long-range question; even spacing covers it and is deterministic.
"""

from __future__ import annotations

import re
from collections import Counter

from lift.synth.types import AuxWindow

_TAG = re.compile(r"^\s*(?:\*\*)?\s*(question|answer|evidences?)\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?", re.IGNORECASE)
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "`": "'"})
_PROPER = re.compile(r"\b[A-Z][a-zA-Z'’-]{2,}(?:\s+[A-Z][a-zA-Z'’-]+)*")
_COMMON_CAPITALS = {"The", "This", "That", "But", "And", "When", "There", "What", "Then", "They", "His", "Her"}


def aux_windows(sentences: list[str], count: int, window: int) -> list[AuxWindow]:
    """count windows of `window` consecutive sentences, evenly spaced from the first to the last sentence."""
    if count <= 0 or not sentences:
        return []
    size = min(window, len(sentences))
    last_start = len(sentences) - size
    starts = sorted({round(i * last_start / max(1, count - 1)) for i in range(count)}) if count > 1 else [0]
    return [
        AuxWindow(index=i, first_sentence=s, sentences=tuple(sentences[s : s + size])) for i, s in enumerate(starts)
    ]


def parse_aux_output(raw: str) -> list[tuple[str, str, str]]:
    """(question, answer, evidence) triples from 'Question: / Answer: / Evidence:' blocks (a field may run
    over several lines); JSON objects with those keys are accepted too."""
    from lift.synth.parsing import parse_json_records  # parsing imports nothing from here

    records = parse_json_records(raw)
    if records:
        triples = []
        for item in records:
            question, answer = item.get("question"), item.get("answer")
            evidence = item.get("evidence", item.get("evidences", ""))
            if isinstance(evidence, list):
                evidence = " ".join(str(e) for e in evidence)
            if isinstance(question, str) and isinstance(answer, str | int | float):
                triples.append((question.strip(), str(answer).strip(), str(evidence).strip()))
        return [t for t in triples if t[0] and t[1]]

    triples: list[tuple[str, str, str]] = []
    fields: dict[str, list[str]] = {}
    current: str | None = None

    def flush() -> None:
        if fields.get("question") and fields.get("answer"):
            joined = {k: " ".join(" ".join(v).split()) for k, v in fields.items()}
            triples.append((joined["question"], joined["answer"], joined.get("evidence", "")))

    for line in raw.splitlines():
        match = _TAG.match(line)
        if match:
            tag = match.group(1).lower()
            tag = "evidence" if tag.startswith("evidence") else tag
            if tag == "question" and fields:
                flush()
                fields = {}
            current = tag
            fields.setdefault(tag, []).append(line[match.end() :].strip())
        elif current is not None and line.strip():
            fields[current].append(line.strip())
    if fields:
        flush()
    return [(q.strip("* "), a.strip("* "), e.strip("* ")) for q, a, e in triples]


def normalize_for_evidence(text: str) -> str:
    return " ".join(text.translate(_QUOTES).split()).strip().strip('"').lower()


def evidence_in_window(evidence: str, window_text: str) -> bool:
    """Evidence must be verbatim text of the window (whitespace, quote style and case aside)."""
    needle = normalize_for_evidence(evidence)
    return len(needle) >= 10 and needle in normalize_for_evidence(window_text)


def template_aux_pair(window: AuxWindow) -> dict[str, str] | None:
    """A deterministic long-range pair for the offline template generator: the name mentioned in the most
    sentences of the window; the answer gathers those sentences (so it needs several), the evidence is the
    adjacent run from its first to its last mention (at most 4 sentences)."""
    mentions: Counter = Counter()
    for sentence in window.sentences:
        names = {m.group(0) for m in _PROPER.finditer(sentence) if m.start() > 0}
        mentions.update(n for n in names if n not in _COMMON_CAPITALS)
    for name, count in mentions.most_common():
        if count < 2:
            break
        where = [i for i, s in enumerate(window.sentences) if name in s]
        if where[-1] - where[0] >= 4:
            continue
        span = window.sentences[where[0] : where[-1] + 1]
        return {
            "question": f"What does the text tell us about {name}?",
            "answer": " ".join(window.sentences[i] for i in where),
            "evidence": " ".join(span),
        }
    return None
