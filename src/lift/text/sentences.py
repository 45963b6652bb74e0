"""Sentence splitting with pysbd (rule based, no model downloads)."""

from __future__ import annotations

import functools
import re

import pysbd


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
            if sentence:
                sentences.append(sentence)
    return sentences
