"""Turn a document's sentences into grounded QA pairs: jobs, cache lookup, generation of what is missing,
parsing, grounding and evidence checks, de-duplication, with a count for every item dropped.

`generate_pairs` hands each kept pair to a callback as soon as its generation finishes (cached ones first,
in document order), which is what the training pipeline consumes; `synthesize_qa` collects them all.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from lift.config import SynthConfig
from lift.progress import NullProgress, ProgressLike
from lift.synth.aux import aux_windows, evidence_in_window, parse_aux_output
from lift.synth.cache import GenerationCache, generation_key
from lift.synth.contexts import sentence_requests
from lift.synth.grounding import is_grounded
from lift.synth.openai_backend import RequestCounters
from lift.synth.parsing import parse_qa_pairs
from lift.synth.prompts import load_prompt
from lift.synth.types import AuxWindow, Job, QAPair


class Generator(Protocol):
    """A batch generator (template, local); OpenAIGenerator has run() instead of generate()."""

    generator_id: str
    batch_size: int

    def sampling_params(self) -> dict: ...

    def generate(self, jobs: list[Job]) -> list[str | None]: ...


@dataclass
class SynthStats:
    sentences: int = 0
    sentences_skipped_short: int = 0
    jobs: int = 0  # generator requests needed: one per long-enough sentence, one per aux window
    aux_windows: int = 0
    generations: int = 0  # outputs produced in this run
    cache_hits: int = 0
    requests: int = 0  # requests made, retries included
    retried: int = 0
    failed: int = 0  # jobs skipped after the last retry (not cached: a rerun tries them again)
    request_failures: dict[str, int] = field(default_factory=dict)  # reason -> failed attempts
    tokens_in: int = 0
    tokens_out: int = 0
    pairs_parsed: int = 0
    pairs_kept: int = 0
    aux_pairs_kept: int = 0
    pairs_strictly_grounded: int = 0  # distinct pairs whose every answer content word is in the sentence itself
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count
    seconds: float = 0.0

    @property
    def grounding_rate(self) -> float:
        """Share of the distinct pairs that passed the grounding filter (duplicates are not its business)."""
        judged = self.pairs_kept + self.rejected.get("ungrounded", 0) + self.rejected.get("evidence_not_verbatim", 0)
        return self.pairs_kept / judged if judged else 0.0

    @property
    def strict_grounding_rate(self) -> float:
        """Faithfulness: share of the distinct generated pairs that pass strict grounding, whatever the filter."""
        distinct = self.pairs_parsed - self.rejected.get("duplicate", 0)
        return self.pairs_strictly_grounded / distinct if distinct else 0.0

    def report(self) -> dict:
        return {
            "sentences": self.sentences,
            "sentences_skipped_short": self.sentences_skipped_short,
            "jobs": self.jobs,
            "aux_windows": self.aux_windows,
            "generations": self.generations,
            "cache_hits": self.cache_hits,
            "requests": self.requests,
            "retried": self.retried,
            "failed": self.failed,
            "request_failures": dict(sorted(self.request_failures.items())),
            "generator_tokens_in": self.tokens_in,
            "generator_tokens_out": self.tokens_out,
            "qa_pairs_parsed": self.pairs_parsed,
            "qa_pairs_kept": self.pairs_kept,
            "aux_pairs_kept": self.aux_pairs_kept,
            "rejected": dict(sorted(self.rejected.items())),
            "grounding_rate": round(self.grounding_rate, 4),
            "strict_grounding_rate": round(self.strict_grounding_rate, 4),
            "seconds": round(self.seconds, 2),
        }


@dataclass
class SynthResult:
    pairs: list[QAPair]
    stats: SynthStats


def build_jobs(document_sha256: str, sentences: list[str], config: SynthConfig, generator: object) -> list[Job]:
    """Every request the document needs, in document order, each with its content-addressed cache key."""
    sentence_prompt = load_prompt(config.prompt, "sentence")
    base = {
        "document": document_sha256,
        "generator": generator.generator_id,  # type: ignore[attr-defined]
        "params": generator.sampling_params(),  # type: ignore[attr-defined]
    }
    jobs: list[Job] = []
    for request in sentence_requests(sentences, config.context_chars):
        if len(request.sentence) < config.min_sentence_chars:
            continue
        system, user = sentence_prompt.messages(
            num_questions=config.qa_per_sentence, paragraph=request.context, sentence=request.sentence
        )
        # the messages are in the key: a change in sentence splitting must not serve another sentence's
        # output from the same index
        key = generation_key(
            **base, sentence_index=request.index, system=system, user=user, prompt_version=sentence_prompt.version
        )
        jobs.append(Job(len(jobs), "sentence", request, system, user, key))
    if config.aux_tasks > 0:
        aux_prompt = load_prompt(config.aux_prompt, "aux")
        for window in aux_windows(sentences, config.aux_tasks, config.aux_window_sentences):
            system, user = aux_prompt.messages(context=window.text)
            key = generation_key(
                **base,
                kind="aux",
                first_sentence=window.first_sentence,
                window=len(window.sentences),
                system=system,
                user=user,
                prompt_version=aux_prompt.version,
            )
            jobs.append(Job(len(jobs), "aux", window, system, user, key))
    return jobs


class PairFilter:
    """Parse one raw output into kept pairs; every pair dropped is counted by reason in stats."""

    def __init__(self, config: SynthConfig, stats: SynthStats) -> None:
        self.config = config
        self.stats = stats
        self.rejected: Counter = Counter()
        self._seen: set[tuple[str, str]] = set()

    def __call__(self, job: Job, raw: str) -> list[QAPair]:
        if job.kind == "aux":
            return self._aux(job, raw)
        request = job.unit
        parsed = parse_qa_pairs(raw)
        if not parsed:
            self.rejected["malformed_output"] += 1
            return []
        parsed = parsed[: self.config.qa_per_sentence]
        self.stats.pairs_parsed += len(parsed)
        kept = []
        for number, (question, answer) in enumerate(parsed):
            if self._duplicate(question, answer):
                continue
            strict = is_grounded(answer, request.sentence, 1.0)
            self.stats.pairs_strictly_grounded += strict
            if self.config.grounding == "strict" and not strict:
                self.rejected["ungrounded"] += 1
                continue
            if self.config.grounding == "overlap" and not is_grounded(
                answer, request.context, self.config.grounding_min_overlap
            ):
                self.rejected["ungrounded"] += 1
                continue
            kept.append(QAPair(question, answer, request.index, order=(job.number, number)))
        self.stats.pairs_kept += len(kept)
        return kept

    def _aux(self, job: Job, raw: str) -> list[QAPair]:
        window: AuxWindow = job.unit  # type: ignore[assignment]
        parsed = parse_aux_output(raw)[:1]  # the prompt asks for ONLY one question
        if not parsed:
            self.rejected["malformed_output"] += 1
            return []
        self.stats.pairs_parsed += 1
        question, answer, evidence = parsed[0]
        if self._duplicate(question, answer):
            return []
        strict = is_grounded(answer, window.text, 1.0)
        self.stats.pairs_strictly_grounded += strict
        if self.config.grounding != "off" and not evidence_in_window(evidence, window.text):
            self.rejected["evidence_not_verbatim"] += 1
            return []
        if self.config.grounding == "strict" and not strict:
            self.rejected["ungrounded"] += 1
            return []
        self.stats.pairs_kept += 1
        self.stats.aux_pairs_kept += 1
        return [QAPair(question, answer, window.first_sentence, kind="aux", evidence=evidence, order=(job.number, 0))]

    def _duplicate(self, question: str, answer: str) -> bool:
        key = (question.lower(), answer.lower())
        if key in self._seen:
            self.rejected["duplicate"] += 1
            return True
        self._seen.add(key)
        return False


def generate_pairs(
    document_sha256: str,
    sentences: list[str],
    generator: object,
    cache: GenerationCache,
    config: SynthConfig,
    emit: Callable[[QAPair], None],
    progress: ProgressLike | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SynthStats:
    """Hand every kept pair to emit() as soon as it exists: cached outputs first, then fresh ones in the
    order they finish. Each fresh output is committed to the cache before its pairs are emitted, so a
    killed run loses at most the requests in flight. Thread-safe towards emit: one call at a time."""
    started = time.perf_counter()
    progress = progress or NullProgress()
    stats = SynthStats(sentences=len(sentences))
    jobs = build_jobs(document_sha256, sentences, config, generator)
    stats.jobs = len(jobs)
    stats.aux_windows = sum(job.kind == "aux" for job in jobs)
    stats.sentences_skipped_short = len(sentences) - (len(jobs) - stats.aux_windows)
    keep = PairFilter(config, stats)
    lock = threading.Lock()

    cached = cache.get_many([job.key for job in jobs])
    stats.cache_hits = sum(job.key in cached for job in jobs)
    task = progress.task(f"generate QA ({generator.generator_id})", total=len(jobs), unit="requests")  # type: ignore[attr-defined]
    for job in jobs:
        if job.key in cached:
            for pair in keep(job, cached[job.key]):
                emit(pair)
    task.advance(stats.cache_hits)

    def handle(job: Job, raw: str | None, tokens: int = 0) -> None:
        with lock:
            if raw is not None:
                cache.put_many(generator.generator_id, {job.key: raw})  # type: ignore[attr-defined]
                stats.generations += 1
                for pair in keep(job, raw):
                    emit(pair)
            task.advance(1, tokens=tokens)

    missing = [job for job in jobs if job.key not in cached]
    if hasattr(generator, "run"):  # async: each request on its own, results handled in completion order

        async def on_result(job: Job, raw: str | None) -> None:
            await asyncio.to_thread(handle, job, raw)  # emit() may block on a full queue: not in the loop

        generator.run(missing, on_result, should_stop)
        counters: RequestCounters = generator.counters
    else:
        counters = RequestCounters()
        batch_size = max(1, generator.batch_size)  # type: ignore[attr-defined]
        for start in range(0, len(missing), batch_size):
            if should_stop():
                break
            batch = missing[start : start + batch_size]
            written_before = getattr(generator, "tokens_written", 0)
            read_before = getattr(generator, "tokens_read", 0)
            outputs = generator.generate(batch)  # type: ignore[attr-defined]
            written = getattr(generator, "tokens_written", 0) - written_before
            counters.requests += len(batch)
            counters.tokens_out += written
            counters.tokens_in += getattr(generator, "tokens_read", 0) - read_before
            for job, raw in zip(batch, outputs, strict=True):
                handle(job, raw, tokens=written // len(batch))
    task.done()

    stats.requests, stats.retried, stats.failed = counters.requests, counters.retried, counters.failed
    stats.request_failures = dict(counters.failures)
    stats.tokens_in, stats.tokens_out = counters.tokens_in, counters.tokens_out
    stats.rejected = dict(keep.rejected)
    stats.seconds = time.perf_counter() - started
    return stats


def synthesize_qa(
    document_sha256: str,
    sentences: list[str],
    generator: object,
    cache: GenerationCache,
    config: SynthConfig,
    progress: ProgressLike | None = None,
) -> SynthResult:
    """All kept pairs, in document order (the sequential, --no-pipeline path)."""
    pairs: list[QAPair] = []
    stats = generate_pairs(document_sha256, sentences, generator, cache, config, pairs.append, progress)
    return SynthResult(pairs=sorted(pairs, key=lambda p: p.order), stats=stats)
