"""Sentence splitting with pysbd (rule based, no model downloads), with a guard against runaway sentences.

pysbd treats everything after an unbalanced quotation mark as one quotation, so one stray '"' can turn the
rest of a long document into a single "sentence" (it happened on a LooGLE article; see the README). A
segment longer than MAX_SENTENCE_CHARS is therefore split again at sentence punctuation followed by a
capital letter, and what is still too long (text with no punctuation at all) at word boundaries.
"""

from __future__ import annotations

import functools
import re

import pysbd

MAX_SENTENCE_CHARS = 800  # above any real sentence we have seen (SQuAD's longest is 547)
# a sentence end, closing quotes/brackets included, followed by space and a capital (or digit) opening the next
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")


@functools.lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    """Split into sentences, paragraph by paragraph, so a blank line always ends a sentence."""
    sentences: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        if not paragraph:
            continue
        for sentence in _segmenter().segment(paragraph):
            sentence = sentence.strip()
            if len(sentence) > MAX_SENTENCE_CHARS:
                sentences.extend(_split_runaway(sentence))
            elif sentence:
                sentences.append(sentence)
    return sentences


def _split_runaway(text: str) -> list[str]:
    cuts = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text)]
    parts = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        piece = text[start:end].strip()
        while len(piece) > MAX_SENTENCE_CHARS:
            cut = piece.rfind(" ", 0, MAX_SENTENCE_CHARS)
            cut = cut if cut > 0 else MAX_SENTENCE_CHARS
            parts.append(piece[:cut].strip())
            piece = piece[cut:].strip()
        if piece:
            parts.append(piece)
    return parts
