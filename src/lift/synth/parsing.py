"""Lenient parsing of generator output into (question, answer) pairs.

Real model output is rarely clean JSON. Accepted, in order: a JSON object with a list of pairs (or a bare
list), also inside a code fence or after prose; the complete "question"/"answer" objects of JSON that is
truncated or broken further on; 'Question:/Answer:' or 'Q:/A:' lines (optionally numbered); a numbered list
of questions, each followed by its answer on the same line or the next. Anything else yields no pairs; the
caller counts the output as malformed.
"""

from __future__ import annotations

import json
import re

_QA_LINE = re.compile(
    r"^\s*(?:\d+[.)]\s*)?(?:\*\*)?(?P<tag>q(?:uestion)?|a(?:nswer)?)\s*\d*\s*(?:\*\*)?\s*[:：]\s*(?:\*\*)?\s*(?P<text>.*)$",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+(?:\*\*)?(?P<question>[^?]{3,}\?)(?:\*\*)?\s*(?P<rest>.*)$")
_ANSWER_LEAD = re.compile(r"^(?:[-–—:>]|\*\*|answer\s*[:：])\s*", re.IGNORECASE)
_JSON_STRING = r'"((?:[^"\\]|\\.)*)"'
_JSON_PAIR = re.compile(r'"question"\s*:\s*' + _JSON_STRING + r'\s*,\s*"answer"\s*:\s*' + _JSON_STRING)


def parse_qa_pairs(raw: str) -> list[tuple[str, str]]:
    pairs = _parse_json(raw)
    if pairs is None:
        pairs = _parse_json_fragments(raw) or _parse_lines(raw) or _parse_numbered(raw)
    cleaned = []
    for question, answer in pairs:
        question, answer = _clean(question), _clean(answer)
        if question and answer:
            cleaned.append((question, answer))
    return cleaned


def _parse_json(raw: str) -> list[tuple[str, str]] | None:
    for data in _json_values(raw):
        items = _pair_items(data)
        if items is not None:
            return items
    return None


def parse_json_records(raw: str) -> list[dict] | None:
    """The list of objects in the first JSON value of raw that holds one (a bare object counts as a list
    of one); None when there is no such JSON."""
    for data in _json_values(raw):
        if isinstance(data, dict) and ("question" in data or not any(isinstance(v, list) for v in data.values())):
            return [data]
        if isinstance(data, dict):
            data = next(v for v in data.values() if isinstance(v, list))
        if isinstance(data, list):
            return [item for item in data if isinstance(item, dict)]
    return None


def _json_values(raw: str):
    """JSON values found in raw, trying the outermost structure first (prose and code fences around it
    are skipped)."""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", raw.strip())
    starts = sorted(i for i in (text.find("{"), text.find("[")) if i >= 0)
    for start in starts:
        try:
            data, _ = json.JSONDecoder().raw_decode(text[start:])
        except json.JSONDecodeError:
            continue
        yield data


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


def _parse_numbered(raw: str) -> list[tuple[str, str]]:
    """'1. What is X? X is Y.' or '1. What is X?' with the answer on the next line."""
    pairs: list[tuple[str, str]] = []
    pending: str | None = None
    for line in raw.splitlines():
        if not line.strip():
            continue
        match = _NUMBERED.match(line)
        if match:
            rest = _ANSWER_LEAD.sub("", match.group("rest").strip()).strip()
            if rest:
                pairs.append((match.group("question"), rest))
                pending = None
            else:
                pending = match.group("question")
        elif pending is not None:
            pairs.append((pending, _ANSWER_LEAD.sub("", line.strip()).strip()))
            pending = None
    return pairs


MAX_FIELD_CHARS = 1000  # a runaway generation is cut here; real sentences (SQuAD has 547-char ones) fit


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip().strip("*").strip()
    if len(text) <= MAX_FIELD_CHARS:
        return text
    cut = text[: MAX_FIELD_CHARS + 1].rsplit(" ", 1)[0]  # at a word boundary: never leave half a word
    return cut if cut else text[:MAX_FIELD_CHARS]
