"""Rebuild the bundled needle sample (src/lift/samples/needle_essay.txt) from the staged Paul Graham essays.

    .venv/bin/python scripts/make_needle_sample.py [--data-dir ../shared/data] [--tokens 1000] [--depth 0.5]

Essays are read in sorted file order and concatenated (as the NIAH harness does, minus its unsorted glob),
cut at the sentence boundary nearest --tokens tokens of the embedded model's tokenizer, and the needle
sentence is inserted at the sentence boundary nearest --depth of those tokens.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from lift.models import load_model
from lift.text import split_sentences

NEEDLE = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=os.environ.get("LIFT_DATA", "../shared/data"))
    parser.add_argument("--tokens", type=int, default=1000)
    parser.add_argument("--depth", type=float, default=0.5)
    parser.add_argument("--out", default="src/lift/samples/needle_essay.txt")
    args = parser.parse_args()

    essays = sorted((Path(args.data_dir) / "needle_haystack_pg_essays" / "PaulGrahamEssays").glob("*.txt"))
    tokenizer = load_model().tokenizer
    sentences: list[str] = []
    used = 0
    for essay in essays:
        for sentence in split_sentences(essay.read_text(encoding="utf-8")):
            cost = len(tokenizer(" " + sentence, add_special_tokens=False)["input_ids"])
            if used + cost > args.tokens:
                break
            sentences.append(sentence)
            used += cost
        else:
            continue
        break
    counts = [len(tokenizer(" " + s, add_special_tokens=False)["input_ids"]) for s in sentences]
    target, running, insert_at = args.depth * sum(counts), 0, 0
    for index, count in enumerate(counts):
        if abs(running - target) <= abs(running + count - target):
            insert_at = index
            break
        running += count
    else:
        insert_at = len(sentences)
    sentences.insert(insert_at, NEEDLE)
    Path(args.out).write_text(" ".join(sentences) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(sentences)} sentences, needle at sentence {insert_at}, ~{used} haystack tokens")


if __name__ == "__main__":
    main()
