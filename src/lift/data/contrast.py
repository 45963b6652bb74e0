"""Contrast pairs: a fact asked with another fact's subject in place of its own, answered 'No' with the fact.

Facts that share a question shape interfere in a small adapter: asked "Who repaired the town clock?", it
answers with the subject it saw most often. A yes/no question that puts another sentence's subject of the
same kind (a person for a person, a thing for a thing) into this sentence's predicate, answered "No: <the
sentence>", trains the adapter to tell the two apart, and balances the template's "Yes" answers.
"""

from __future__ import annotations

from lift.synth.phrases import Clause, parse, phrase_first, resolve_pronoun, yes_no_question


def contrast_pairs(sentences: list[str], min_words: int = 4) -> list[tuple[int, str, str]]:
    """(sentence index, question, answer) for every sentence with a subject and a verb that another
    sentence's subject of the same kind can replace; the partner is the next such sentence, in a ring."""
    clauses: list[tuple[int, str, Clause]] = []
    previous = ""
    for index, raw in enumerate(sentences):
        sentence = resolve_pronoun(raw.strip(), previous)
        previous = raw
        if len(sentence.split()) < min_words:
            continue
        clause = parse(sentence)
        subject = next((p for p in clause.phrases if p.role == "subject"), None)
        if subject is not None and clause.auxiliary:
            clauses.append((index, sentence, clause))
    pairs = []
    for n, (index, sentence, clause) in enumerate(clauses):
        kind = _subject_kind(clause)
        own = clause.subject_text.lower()
        for step in range(1, len(clauses)):
            other = clauses[(n + step) % len(clauses)][2]
            if (
                _subject_kind(other) == kind
                and other.subject_text.lower() not in own
                and own not in (other.subject_text.lower())
            ):
                question = yes_no_question(clause, subject=other.subject_text)
                if question:
                    pairs.append((index, question, f"No: {sentence}"))
                break
    return pairs


def _subject_kind(clause: Clause) -> str:
    return next((p.wh for p in clause.phrases if p.role == "subject"), "")


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
