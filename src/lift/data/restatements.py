"""Restatements: each fact as plain text with another of its phrases first (lift.synth.phrases.phrase_first),
so that each of its parts leads to the rest (Allen-Zhu & Li 2023, Physics of Language Models 3.1: a fact is
recalled from a question when it was stored under each of its parts)."""

from __future__ import annotations

from lift.synth.phrases import parse, phrase_first, resolve_pronoun


def restatements(sentences: list[str], per_sentence: int, min_words: int = 4) -> list[tuple[int, str]]:
    """(sentence index, text) for up to `per_sentence` restatements of each sentence with another of its
    phrases first (lift.synth.phrases.phrase_first): the fact as plain text in several orders, so that each of
    its parts leads to the rest (Allen-Zhu & Li 2023, Physics of Language Models 3.1)."""
    texts = []
    previous = ""
    for index, raw in enumerate(sentences):
        sentence = resolve_pronoun(raw.strip(), previous)
        previous = raw
        if per_sentence <= 0 or len(sentence.split()) < min_words:
            continue
        clause = parse(sentence)
        variants = []
        for phrase in clause.phrases:
            text = phrase_first(clause, phrase)
            if text and text not in variants:
                variants.append(text)
        texts += [(index, text) for text in variants[:per_sentence]]
    return texts
