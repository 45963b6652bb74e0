"""Turn a document's sentences into grounded QA pairs: jobs, cache lookup, generation of what is missing,
parsing, grounding and evidence checks, de-duplication, with a count for every item dropped.

`build_jobs` plans the requests; `generate_pairs` hands each kept pair to a callback as soon as its
generation finishes (cached ones first, in document order), which is what the training pipeline consumes.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from lift.config import SynthConfig
from lift.progress import NullProgress, ProgressLike
from lift.synth.aux import aux_windows, evidence_in_window, parse_aux_output
from lift.synth.backend import Generator
from lift.synth.cache import GenerationCache, generation_key
from lift.synth.contexts import sentence_requests
from lift.synth.grounding import is_grounded
from lift.synth.parsing import parse_qa_pairs
from lift.synth.prompts import load_prompt
from lift.synth.stats import SynthesisReport
from lift.synth.types import AuxWindow, Job, JobPlan, QAPair


def build_jobs(document_sha256: str, sentences: list[str], config: SynthConfig, generator: Generator) -> JobPlan:
    """Every request the document needs, in document order, each with its content-addressed cache key."""
    sentence_prompt = load_prompt(config.prompt, "sentence")
    base = {"document": document_sha256, "generator": generator.generator_id, "params": generator.sampling_params()}
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
        cap = generator.pairs_at_most(request)
        most = config.qa_per_sentence if cap is None else cap
        jobs.append(Job(len(jobs), "sentence", request, system, user, key, most))
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
    return JobPlan(tuple(jobs), len(sentences), config.qa_per_sentence)


class PairFilter:
    """Parse one raw output into kept pairs; every pair dropped is counted by reason in stats."""

    def __init__(self, config: SynthConfig, stats: SynthesisReport) -> None:
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
        # what the job may yield: qa_per_sentence for a generator asked for that many, or the template's own
        # count, whose yes/no pair and other wordings (synth.reask) come on top of the cap (cut here before)
        parsed = parsed[: max(job.most_pairs, self.config.qa_per_sentence)]
        self.stats.qa_pairs_parsed += len(parsed)
        kept = []
        for number, (question, answer) in enumerate(parsed):
            if self._duplicate(question, answer):
                continue
            strict = is_grounded(answer, request.sentence, 1.0)
            self.stats.strictly_grounded += strict
            if self.config.grounding == "strict" and not strict:
                self.rejected["ungrounded"] += 1
                continue
            if self.config.grounding == "overlap" and not is_grounded(
                answer, request.context, self.config.grounding_min_overlap
            ):
                self.rejected["ungrounded"] += 1
                continue
            kept.append(QAPair(question, answer, request.index, order=(job.number, number)))
        self.stats.qa_pairs_kept += len(kept)
        return kept

    def _aux(self, job: Job, raw: str) -> list[QAPair]:
        window = job.unit
        assert isinstance(window, AuxWindow)
        parsed = parse_aux_output(raw)[:1]  # the prompt asks for ONLY one question
        if not parsed:
            self.rejected["malformed_output"] += 1
            return []
        self.stats.qa_pairs_parsed += 1
        question, answer, evidence = parsed[0]
        if self._duplicate(question, answer):
            return []
        strict = is_grounded(answer, window.text, 1.0)
        self.stats.strictly_grounded += strict
        if self.config.grounding != "off" and not evidence_in_window(evidence, window.text):
            self.rejected["evidence_not_verbatim"] += 1
            return []
        if self.config.grounding == "strict" and not strict:
            self.rejected["ungrounded"] += 1
            return []
        self.stats.qa_pairs_kept += 1
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
    plan: JobPlan,
    generator: Generator,
    cache: GenerationCache,
    config: SynthConfig,
    emit: Callable[[QAPair], None],
    progress: ProgressLike | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> SynthesisReport:
    """Hand every kept pair to emit() as soon as it exists: cached outputs first, then fresh ones in the
    order they finish. Each fresh output is committed to the cache before its pairs are emitted, so a
    killed run loses at most the requests in flight. Thread-safe towards emit: one call at a time."""
    started = time.perf_counter()
    progress = progress or NullProgress()
    stats = SynthesisReport(sentences=plan.sentences, jobs=len(plan.jobs), aux_windows=plan.aux_jobs)
    stats.sentences_skipped_short = plan.sentences - plan.sentence_jobs
    keep = PairFilter(config, stats)
    lock = threading.Lock()

    cached = cache.get_many([job.key for job in plan.jobs])
    stats.cache_hits = sum(job.key in cached for job in plan.jobs)
    task = progress.task(f"generate QA ({generator.generator_id})", total=len(plan.jobs), unit="requests")
    for job in plan.jobs:
        if job.key in cached:
            for pair in keep(job, cached[job.key]):
                emit(pair)
    task.advance(stats.cache_hits)

    tokens_counted = 0

    def handle(job: Job, raw: str | None) -> None:
        nonlocal tokens_counted
        with lock:
            if raw is not None:
                cache.put_many(generator.generator_id, {job.key: raw})
                stats.generations += 1
                for pair in keep(job, raw):
                    emit(pair)
            tokens = generator.counters.tokens_out - tokens_counted
            tokens_counted += tokens
            task.advance(1, tokens=tokens)

    generator.run([job for job in plan.jobs if job.key not in cached], handle, should_stop)
    task.done()

    counters = generator.counters
    stats.requests, stats.retried, stats.failed = counters.requests, counters.retried, counters.failed
    stats.request_failures = dict(counters.failures)
    stats.generator_tokens_in, stats.generator_tokens_out = counters.tokens_in, counters.tokens_out
    stats.rejected = dict(keep.rejected)
    return stats.finish(time.perf_counter() - started)
