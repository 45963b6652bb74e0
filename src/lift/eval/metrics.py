"""Scoring functions, each as its benchmark defines it, and bootstrap confidence intervals.

- exact_match / qa_f1: SQuAD v1.1's official evaluate script (lowercase, strip punctuation and the articles
  a/an/the, collapse whitespace; F1 over tokens); LongBench's qa_f1_score is the same function.
- rouge_l: ROUGE-L F1 (longest common subsequence over lowercase alphanumeric tokens, as Google's rouge-score
  tokenises). LongBench calls the `rouge` package, which splits on whitespace only; scores can differ slightly.
- retrieval_score: LongBench's passage_retrieval_en metric (share of the numbers in the answer that are the
  right paragraph number).
- keyword_score: NIAH (as the LIFT 2025 paper scores it): the share of the needle's keywords found in the answer.
All scores of a question take the best over its reference answers.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence

from lift.text.answers import exact_match, normalize_answer, qa_f1

_ROUGE_TOKEN = re.compile(r"[a-z0-9]+")


def _lcs_length(a: list[str], b: list[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, references: Sequence[str]) -> float:
    prediction_tokens = _ROUGE_TOKEN.findall(prediction.lower())
    best = 0.0
    for reference in references:
        reference_tokens = _ROUGE_TOKEN.findall(reference.lower())
        if not prediction_tokens or not reference_tokens:
            continue
        lcs = _lcs_length(prediction_tokens, reference_tokens)
        if lcs:
            precision, recall = lcs / len(prediction_tokens), lcs / len(reference_tokens)
            best = max(best, 2 * precision * recall / (precision + recall))
    return best


def retrieval_score(prediction: str, references: Sequence[str]) -> float:
    best = 0.0
    numbers = re.findall(r"\d+", prediction)
    for reference in references:
        wanted = re.findall(r"Paragraph (\d+)", reference)
        if wanted and numbers:
            best = max(best, sum(n == wanted[0] for n in numbers) / len(numbers))
    return best


def keyword_pattern(keyword: str) -> re.Pattern:
    """A keyword matches at a word start, case-insensitive, any whitespace between its words, and any suffix
    ('sandwich' matches 'sandwiches', not 'xsandwich')."""
    return re.compile(r"\b" + r"\s+".join(re.escape(w) for w in keyword.split()), re.IGNORECASE)


def keywords_found(answer: str, keywords: Sequence[str]) -> list[str]:
    """The keywords the answer has; 'addict|habit' is found when either alternative is."""
    return [k for k in keywords if any(keyword_pattern(option).search(answer) for option in k.split("|"))]


def keyword_score(answer: str, keywords: Sequence[str]) -> float:
    return len(keywords_found(answer, keywords)) / len(keywords) if keywords else 0.0


def all_keywords_whole_word(answer: str, keywords: Sequence[str]) -> bool:
    """Every keyword occurs as a whole word (case-insensitive); 'four|4' accepts either. Used for the general
    questions, where '4' must not match '40'."""
    return all(
        any(re.search(rf"\b{re.escape(option)}\b", answer, re.IGNORECASE) for option in keyword.split("|"))
        for keyword in keywords
    )


OPTION_LETTERS = "ABCDEFGHIJ"


def chosen_option(prediction: str, options: Sequence[str]) -> int | None:
    """Which option a free-text answer picks: a leading letter ('B', 'B)', '(B)', 'Option B'), else the one
    option whose text it contains; None when it picks none or several."""
    letters = OPTION_LETTERS[: len(options)]
    match = re.match(rf"^\W*(?:option|answer)?\W*([{letters}])\b", prediction.strip(), re.IGNORECASE)
    if match:
        return letters.index(match.group(1).upper())
    lowered = normalize_answer(prediction)
    hits = [i for i, option in enumerate(options) if normalize_answer(option) and normalize_answer(option) in lowered]
    return hits[0] if len(hits) == 1 else None


def bootstrap_ci(values: Sequence[float], samples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap 95% interval of the mean (question-level resampling)."""
    if not values:
        return (float("nan"), float("nan"))
    if len(values) == 1:
        return (values[0], values[0])
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(rng.choices(values, k=n)) / n for _ in range(samples))
    return means[int(0.025 * (samples - 1))], means[int(round(0.975 * (samples - 1)))]


METRICS = {
    "em": exact_match,
    "f1": qa_f1,
    "rouge_l": rouge_l,
    "retrieval": retrieval_score,
}
