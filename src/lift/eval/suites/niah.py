"""Needle in a haystack (as in the LIFT 2025 paper): the San Francisco needle at depth d% of a Paul Graham
haystack of L tokens.

The haystack is the essays in sorted file order, repeated as needed, cut to L minus the needle's tokens. The
needle goes in at the sentence boundary nearest (in tokens) to d% of the haystack's tokens, so the depth is
exact up to half a sentence (the reference implementation's bug put every needle in the first 1%).
plant_needles places several needles the same way (the paraphrase suite); build_haystack is its one-needle case.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from pathlib import Path

from lift.errors import LiftError
from lift.eval.data_dir import suite_dir
from lift.eval.items import EvalItem
from lift.samples import NEEDLE_REWORDED
from lift.text.documents import document_from_text

NEEDLE = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."
QUESTION = "What is the best thing to do in San Francisco?"
KEYWORDS = ["sandwich", "Dolores Park", "sunny"]
# A second needle, in a haystack of the essays in reverse order, for choosing settings (eval.niah_needle=dev)
# without scoring the San Francisco one.
DEV_NEEDLE = "The best way to spend a rainy afternoon in Lisbon is to ride tram 28 and drink coffee at a kiosk."
DEV_QUESTION = "What is the best way to spend a rainy afternoon in Lisbon?"
DEV_KEYWORDS = ["tram 28", "coffee", "kiosk"]
REWORDED = NEEDLE_REWORDED  # the needle asked as users would ask it, in words no template uses
DEV_REWORDED = (
    "How should I spend a wet afternoon in Lisbon?",
    "It's raining in Lisbon this afternoon. What do you suggest?",
    "What does the text recommend for a rainy day in Lisbon?",
    "I'm stuck in Lisbon on a rainy afternoon. Any ideas?",
    "What's the best plan for a Lisbon afternoon when it rains?",
)
# A family of needles of other shapes (issue M: facts that stick), each in its own haystack, fiction or essays:
# (id, haystack, needle, question, keywords, two other wordings). eval.niah_needle=facts asks them.
FACT_NEEDLES = (
    ("copula", "fiction", "The password to the old lighthouse of Kestrel Point is silver harbor.",
     "What is the password to the old lighthouse of Kestrel Point?", ["silver harbor"],
     ("Which password opens the old lighthouse of Kestrel Point?",
      "I need to get into the lighthouse at Kestrel Point. What do I have to say?")),
    ("place", "essays", "Mirela Vost buried the brass compass under the third olive tree behind the chapel.",
     "Where did Mirela Vost bury the brass compass?", ["olive tree", "chapel"],
     ("Where is the brass compass that Mirela Vost hid?",
      "If I wanted to dig up Mirela Vost's compass, where should I look?")),
    ("time", "fiction", "The night train to Harrow Bay leaves at a quarter past eleven every Thursday.",
     "When does the night train to Harrow Bay leave?", ["quarter past eleven", "Thursday"],
     ("What time is the night train to Harrow Bay?",
      "I want to catch the Harrow Bay night train. When should I be at the station?")),
    ("quantity", "essays", "The Dunmore library owns exactly 4,312 maps of the northern coast.",
     "How many maps of the northern coast does the Dunmore library own?", ["4,312"],
     ("What is the number of northern coast maps in the Dunmore library?",
      "How big is the Dunmore library's collection of maps of the northern coast?")),
    ("person", "fiction", "The head gardener of Ashcombe Hall is a woman named Petra Lindqvist.",
     "Who is the head gardener of Ashcombe Hall?", ["Petra Lindqvist"],
     ("Who looks after the gardens of Ashcombe Hall?",
      "What is the name of the woman in charge of the Ashcombe Hall gardens?")),
)  # fmt: skip
FICTION = ("1", "3", "0")  # LongBench narrativeqa samples whose stories are prose (Pyle, Nowlan, James)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")


@dataclass
class Haystack:
    text: str
    depth: float  # achieved: haystack tokens before the needle / all haystack tokens
    needle_char: int  # where the needle starts in text


@dataclass
class Planted:
    text: str
    depths: list[float]  # achieved, per needle in the order given (as Haystack.depth)
    needle_chars: list[int]  # where each needle starts in text


def essay_texts(folder: Path) -> list[str]:
    """The essays of a folder, one string each (stripped), in sorted file order."""
    files = sorted(folder.glob("*.txt"))
    if not files:
        raise LiftError(f"no essays (*.txt) in {folder}")
    return [f.read_text(encoding="utf-8").strip() for f in files]


def load_essays(folder: Path) -> str:
    return "\n\n".join(essay_texts(folder))


def build_haystack(essays: str, tokenizer, length: int, depth_percent: float, needle: str = NEEDLE) -> Haystack:
    """A haystack of at most `length` tokens (needle included; cut back to a sentence end) with the needle at the
    sentence boundary nearest to depth_percent of the haystack tokens."""
    planted = plant_needles(essays, tokenizer, length, [(needle, depth_percent)])
    return Haystack(text=planted.text, depth=planted.depths[0], needle_char=planted.needle_chars[0])


def plant_needles(essays: str, tokenizer, length: int, needles: list[tuple[str, float]]) -> Planted:
    """A haystack of at most `length` tokens (needles included; cut back to a sentence end) with each (needle,
    depth_percent) at the sentence boundary nearest to depth_percent of the haystack tokens. Needles that land
    on the same boundary go in side by side, in the order given."""
    if not needles:
        raise ValueError("plant_needles needs at least one needle")
    needle_tokens = sum(
        len(tokenizer(" " + needle, add_special_tokens=False)["input_ids"]) + 1 for needle, _ in needles
    )
    target_tokens = length - needle_tokens
    if target_tokens < 50:
        raise LiftError(f"a {length}-token haystack leaves no room around the needle{'s' if len(needles) > 1 else ''}")
    text = essays[: length * 8]  # ~4 characters a token: enough text, without tokenising every essay
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    while len(encoded["input_ids"]) < target_tokens:
        text = text + "\n\n" + essays
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    haystack = text[: offsets[target_tokens - 1][1]]
    # End on a whole sentence, so that depth 100% is a sentence boundary too (costs < 1 sentence of length).
    ends = [m.start() for m in _SENTENCE_END.finditer(haystack + " ")]
    if ends and ends[-1] > len(haystack) // 2:
        haystack = haystack[: ends[-1]]
    starts = [start for start, end in offsets if end <= len(haystack)]  # token i starts at character starts[i]
    target_tokens = len(starts)

    # Sentence boundaries as token positions: a needle goes before token b (b = 0: first, b = n: last).
    boundaries = {0: 0, target_tokens: len(haystack)}
    for match in _SENTENCE_END.finditer(haystack):
        token = bisect.bisect_left(starts, match.end())
        if 0 < token < target_tokens:  # after the closing quotes or brackets: a needle never lands inside a quote
            boundaries.setdefault(token, match.start() + len(match.group().rstrip()))
    tokens = []
    for _, depth_percent in needles:
        wanted = depth_percent / 100 * target_tokens
        tokens.append(min(boundaries, key=lambda b: (abs(b - wanted), b)))
    order = sorted(range(len(needles)), key=lambda i: tokens[i])  # stable: ties keep the given order
    cuts = [boundaries[tokens[i]] for i in order]
    # The haystack between the insertion points; each piece loses the spaces next to a needle.
    pieces = [haystack[a:b] for a, b in zip([0, *cuts], [*cuts, len(haystack)], strict=True)]
    pieces = [pieces[0].rstrip(), *(p.strip() for p in pieces[1:-1]), pieces[-1].lstrip()]
    joined, needle_chars = pieces[0], [0] * len(needles)
    for piece, i in zip(pieces[1:], order, strict=True):
        if joined:
            joined += " "
        needle_chars[i] = len(joined)
        joined += needles[i][0] + (" " + piece if piece else "")
    return Planted(text=joined, depths=[t / target_tokens for t in tokens], needle_chars=needle_chars)


def fiction_text(data_dir: Path) -> str:
    """Prose fiction for haystacks: stories of the LongBench narrativeqa samples (FICTION), from their 20,000th
    character on (past the front matter), line breaks inside paragraphs joined."""
    from lift.eval.suites.longbench import split_prompt

    path = suite_dir(data_dir, "longbench") / "MiniLongBench_narrativeqa.json"
    if not path.is_file():
        raise LiftError(f"the fiction haystacks need LongBench's narrativeqa stories: {path} not found")
    samples = json.loads(path.read_text(encoding="utf-8"))
    stories = []
    for key in FICTION:
        story = split_prompt("narrativeqa", samples[key]["origin_prompt"])[0][20000:]
        paragraphs = (re.sub(r"\s+", " ", p).strip() for p in re.split(r"\n\s*\n", story))
        stories.append("\n\n".join(p for p in paragraphs if p))
    return "\n\n".join(stories)


def fact_needle_items(data_dir: Path, tokenizer, lengths: list[int], depths: list[float]) -> list[EvalItem]:
    """The FACT_NEEDLES family: each needle in its own haystack (fiction or essays) at every length x depth,
    asked in its own words and in its two other wordings."""
    essays = load_essays(suite_dir(data_dir, "niah") / "PaulGrahamEssays")
    fiction = fiction_text(data_dir)
    items = []
    for name, kind, sentence, question, keywords, others in FACT_NEEDLES:
        for length in lengths:
            for depth in depths:
                haystack = build_haystack(fiction if kind == "fiction" else essays, tokenizer, int(length),
                                          float(depth), sentence)  # fmt: skip
                title = f"NIAH {name} needle in {kind}, {length} tokens, at {depth:g}%"
                document = document_from_text(haystack.text, title=title, source="niah")
                for suffix, asked in [("", question), *((f"-w{i + 1}", q) for i, q in enumerate(others))]:
                    items.append(
                        EvalItem(
                            suite="niah", item_id=f"facts-{name}-L{length}-d{depth:g}{suffix}", document=document,
                            question=asked, references=[sentence], metrics=("keywords",), keywords=list(keywords),
                            group={"needle": name, "haystack": kind, "length": int(length), "depth": float(depth),
                                   "achieved_depth": round(haystack.depth, 4),
                                   "wording": "reworded" if suffix else "original"},
                        )
                    )  # fmt: skip
    return items


def niah_items(
    data_dir: Path, tokenizer, lengths: list[int], depths: list[float], needle: str = "sf", reworded: bool = True
) -> list[EvalItem]:
    """One item per (length, depth) cell, and with `reworded` five more asking the same needle in other words
    (item ids ending -w1 ... -w5, group wording "reworded"). needle "sf": the San Francisco needle in the essays
    in file order (the scored suite); "dev": DEV_NEEDLE in the essays in reverse order, for choosing settings;
    "facts": the FACT_NEEDLES family (fact_needle_items)."""
    if needle == "facts":
        return fact_needle_items(data_dir, tokenizer, lengths, depths)
    texts = essay_texts(suite_dir(data_dir, "niah") / "PaulGrahamEssays")
    dev = needle == "dev"
    essays = "\n\n".join(reversed(texts) if dev else texts)
    sentence, question, keywords = (DEV_NEEDLE, DEV_QUESTION, DEV_KEYWORDS) if dev else (NEEDLE, QUESTION, KEYWORDS)
    wordings = [("", question)]
    if reworded:
        wordings += [(f"-w{i + 1}", q) for i, q in enumerate(DEV_REWORDED if dev else REWORDED)]
    items = []
    for length in lengths:
        for depth in depths:
            haystack = build_haystack(essays, tokenizer, int(length), float(depth), sentence)
            title = f"NIAH {'dev ' if dev else ''}haystack {length} tokens, needle at {depth:g}%"
            document = document_from_text(haystack.text, title=title, source="niah")
            for suffix, asked in wordings:
                items.append(
                    EvalItem(
                        suite="niah",
                        item_id=f"{'dev-' if dev else ''}L{length}-d{depth:g}{suffix}",
                        document=document,
                        question=asked,
                        references=[sentence],
                        metrics=("keywords",),
                        keywords=list(keywords),
                        group={
                            "length": int(length),
                            "depth": float(depth),
                            "achieved_depth": round(haystack.depth, 4),
                            "wording": "reworded" if suffix else "original",
                        },
                    )
                )
    return items
