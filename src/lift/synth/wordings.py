"""Other wordings of a template question, as users ask (synth.reask): the same question asked indirectly ("Do you
know where Maria left the spare key?"), as a request ("Tell me where Maria left the spare key."), inside a longer
message ("Quick question: Where did ...?"), or as a terse search-box query ("Maria spare key: where?"). The
answer stays the template's, so it stays right; only the way in changes, so that the adapter keys a fact on its
content words rather than on one question frame.
"""

from __future__ import annotations

import re

INDIRECT = (
    "Do you know {}?",
    "Any idea {}?",
    "I wonder {}.",
    "Can you remind me {}?",
    "I can't remember {}.",
    "Could you tell me {}?",
    "Do you recall {}?",
)
REQUEST = (
    "Tell me {}.",
    "I need to know {}.",
    "Please explain {}.",
    "Help me remember {}.",
    "Let me know {}.",
)
AROUND = (
    "Quick question: {}",
    "I read this a while ago and forgot. {}",
    "{} I can't find it anywhere.",
    "Something I wanted to check. {}",
    "{} Just the short answer, please.",
    "Help me out here. {}",
)
KINDS = ("indirect", "request", "around", "short")
_FUNCTION_WORDS = {
    "a", "an", "the", "did", "does", "do", "is", "are", "was", "were", "has", "have", "had", "of", "to", "in", "on",
    "at", "by", "for", "with", "from", "what", "who", "whom", "where", "when", "why", "how", "which", "many", "much",
    "and", "or", "that", "it", "its",
}  # fmt: skip
_WORD = re.compile(r"[\w'’,.-]+")


def short_query(question: str, wh: str) -> str | None:
    """The question's content words in order, then its wh-word: 'Where did Maria leave the spare key?' ->
    'Maria leave spare key: where?'. None when fewer than two content words are left."""
    words = [w.strip(",.") for w in _WORD.findall(question.rstrip("?"))]
    content = [w for w in words if w and w.lower() not in _FUNCTION_WORDS]
    if len(content) < 2:
        return None
    asked = "how many" if wh == "how_many" else wh.split(":")[0] if wh.split(":")[0] in _WH else "what"
    return f"{' '.join(content)}: {asked}?"


_WH = {"who", "what", "where", "when", "why", "how"}


def reworded(question: str, embedded: str | None, wh: str, turn: int, count: int) -> list[str]:
    """Up to `count` other wordings of `question` (its statement-order clause `embedded`, None where there is
    none; `wh` the phrase's wh kind), each of another kind, starting at kind `turn` so that the phrases of a
    document get every kind and every frame in turn."""
    out: list[str] = []
    for step in range(len(KINDS)):
        if len(out) >= count:
            break
        kind = KINDS[(turn + step) % len(KINDS)]
        frame = turn // len(KINDS) + step
        if kind == "indirect" and embedded:
            out.append(INDIRECT[frame % len(INDIRECT)].format(embedded))
        elif kind == "request" and embedded:
            out.append(REQUEST[frame % len(REQUEST)].format(embedded))
        elif kind == "around":
            out.append(AROUND[frame % len(AROUND)].format(question))
        elif kind == "short" and (query := short_query(question, wh)):
            out.append(query)
    return [q for q in dict.fromkeys(out) if q.lower() != question.lower()]
