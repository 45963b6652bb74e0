"""Lenient parsing of generator output into (question, answer) pairs.

Small models rarely write clean JSON. Accepted, in order: a JSON object with a list of pairs (or a bare
list); the complete "question"/"answer" objects of JSON that is truncated or broken further on;
'Question:/Answer:' or 'Q:/A:' lines (optionally numbered). Anything else yields no pairs; the caller
counts the output as malformed.
"""

from __future__ import annotations

import json
import re

_QA_LINE = re.compile(
    r"^\s*(?:\d+[.)]\s*)?(?:\*\*)?(?P<tag>q(?:uestion)?|a(?:nswer)?)\s*\d*\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*(?P<text>.*)$",
    re.IGNORECASE,
)
_JSON_STRING = r'"((?:[^"\\]|\\.)*)"'
_JSON_PAIR = re.compile(r'"question"\s*:\s*' + _JSON_STRING + r'\s*,\s*"answer"\s*:\s*' + _JSON_STRING)


def parse_qa_pairs(raw: str) -> list[tuple[str, str]]:
    pairs = _parse_json(raw)
    if pairs is None:
        pairs = _parse_json_fragments(raw) or _parse_lines(raw)
    cleaned = []
    for question, answer in pairs:
        question, answer = _clean(question), _clean(answer)
        if question and answer:
            cleaned.append((question, answer))
    return cleaned


def _parse_json(raw: str) -> list[tuple[str, str]] | None:
    text = raw.strip()
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", text)
    starts = sorted(i for i in (text.find("{"), text.find("[")) if i >= 0)  # the outermost structure first
    for start in starts:
        try:
            data, _ = json.JSONDecoder().raw_decode(text[start:])
        except json.JSONDecodeError:
            continue
        items = _pair_items(data)
        if items is not None:
            return items
    return None


def _parse_json_fragments(raw: str) -> list[tuple[str, str]]:
    """Every complete "question": "...", "answer": "..." in JSON-like text that does not parse as a whole."""
    pairs = []
    for match in _JSON_PAIR.finditer(raw):
        try:
            pairs.append((json.loads(f'"{match.group(1)}"'), json.loads(f'"{match.group(2)}"')))
        except json.JSONDecodeError:
            continue
    return pairs


def _pair_items(data: object) -> list[tuple[str, str]] | None:
    if isinstance(data, dict):
        if "question" in data and "answer" in data:
            return _pair_items([data])
        for value in data.values():
            if isinstance(value, list):
                return _pair_items(value)
        return None
    if isinstance(data, list):
        pairs = []
        for item in data:
            if isinstance(item, dict):
                question = item.get("question", item.get("q"))
                answer = item.get("answer", item.get("a"))
                if isinstance(question, str) and isinstance(answer, str | int | float):
                    pairs.append((question, str(answer)))
        return pairs
    return None


def _parse_lines(raw: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    question: str | None = None
    for line in raw.splitlines():
        match = _QA_LINE.match(line)
        if not match:
            continue
        tag, text = match.group("tag").lower(), match.group("text")
        if tag.startswith("q"):
            question = text
        elif question is not None:
            pairs.append((question, text))
            question = None
    return pairs


MAX_FIELD_CHARS = 1000  # a runaway generation is cut here; real sentences (SQuAD has 547-char ones) fit


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip().strip("*").strip()
    if len(text) <= MAX_FIELD_CHARS:
        return text
    cut = text[: MAX_FIELD_CHARS + 1].rsplit(" ", 1)[0]  # at a word boundary: never leave half a word
    return cut if cut else text[:MAX_FIELD_CHARS]
