"""The one interface every generator backend implements, and the base class of the batch backends.

A generator writes one raw output per job (a JSON list of QA pairs, or the Question/Answer/Evidence text of an
auxiliary window) and hands it to `on_result` as soon as it exists; `None` means the job failed for good.
`counters` says what the last `run` did. The template and local backends answer a list of jobs at once:
`BatchGenerator` turns their `generate(jobs)` into `run`. The openai backend runs its requests concurrently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from lift.synth.types import Job, SentenceRequest

OnResult = Callable[[Job, "str | None"], None]


@dataclass
class RequestCounters:
    """What the generator did; the same for every backend so that the report is the same for all."""

    requests: int = 0  # HTTP requests (or local generations) made, retries included
    retried: int = 0  # requests that failed and were tried again
    failed: int = 0  # items skipped after the last retry
    tokens_in: int = 0
    tokens_out: int = 0
    failures: dict[str, int] = field(default_factory=dict)  # reason -> count, over all failed attempts

    def note_failure(self, reason: str) -> None:
        self.failures[reason] = self.failures.get(reason, 0) + 1


class Generator(Protocol):
    generator_id: str  # part of every cache key: another backend or model never reuses these outputs
    counters: RequestCounters

    def sampling_params(self) -> dict:
        """The settings that change the outputs (part of every cache key)."""
        ...

    def pairs_at_most(self, request: SentenceRequest) -> int | None:
        """The most pairs this generator yields for a sentence where it knows them before generating (the
        template: exactly its pairs); None: synth.qa_per_sentence. Sizes the pipeline's first-epoch estimate,
        and with it the learning-rate schedule of the first epoch."""
        ...

    def run(self, jobs: list[Job], on_result: OnResult, should_stop: Callable[[], bool] = lambda: False) -> None:
        """Generate every job and call on_result(job, raw output or None) as each finishes; send no new
        request once should_stop() is true. Counters start from zero."""
        ...


class BatchGenerator:
    """Base of the backends that answer a batch of jobs in one call (template, local): `run` feeds them
    `batch_size` jobs at a time, in order."""

    generator_id: str
    batch_size: int

    def __init__(self) -> None:
        self.counters = RequestCounters()

    def sampling_params(self) -> dict:
        raise NotImplementedError

    def pairs_at_most(self, request: SentenceRequest) -> int | None:
        return None

    def generate(self, jobs: list[Job]) -> list[str | None]:
        """One raw output per job, in order; subclasses add their token counts to self.counters."""
        raise NotImplementedError

    def run(self, jobs: list[Job], on_result: OnResult, should_stop: Callable[[], bool] = lambda: False) -> None:
        self.counters = RequestCounters()
        batch_size = max(1, self.batch_size)
        for start in range(0, len(jobs), batch_size):
            if should_stop():
                return
            batch = jobs[start : start + batch_size]
            outputs = self.generate(batch)
            self.counters.requests += len(batch)
            for job, raw in zip(batch, outputs, strict=True):
                on_result(job, raw)
