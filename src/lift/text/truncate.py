"""Fit a long token sequence into a budget by keeping its head and tail, as the LIFT papers' ICL baseline does;
cut a generated answer back to whole sentences."""

from __future__ import annotations


def truncate_head_tail(token_ids: list[int], budget: int) -> list[int]:
    """Keep the first and last budget/2 tokens (head gets the odd one); unchanged if it already fits."""
    if budget <= 0:
        return []
    if len(token_ids) <= budget:
        return list(token_ids)
    head = (budget + 1) // 2
    tail = budget - head
    return list(token_ids[:head]) + (list(token_ids[-tail:]) if tail else [])


def whole_sentences(answer: str) -> str:
    """Cut an answer that hit the token limit back to its last full sentence, so that training does not
    teach the model to stop mid-sentence ('' when it has no sentence end)."""
    answer = answer.strip()
    end = max(answer.rfind(c) for c in ".!?")
    return answer[: end + 1] if end >= 0 else ""
