"""Build one generation request per sentence with the paragraph that precedes it."""

from __future__ import annotations

from lift.synth.types import SentenceRequest


def sentence_requests(sentences: list[str], context_chars: int) -> list[SentenceRequest]:
    """For sentence i, the context is sentences[j..i] with j the earliest start whose text before i fits
    in context_chars characters (the LIFT reference implementation uses 2,048)."""
    requests = []
    start = 0
    for index, sentence in enumerate(sentences):
        while start < index and len(" ".join(sentences[start:index])) > context_chars:
            start += 1
        requests.append(
            SentenceRequest(
                index=index,
                sentence=sentence,
                context=" ".join(sentences[start : index + 1]),
                previous_sentence=sentences[index - 1] if index > 0 else "",
            )
        )
    return requests
