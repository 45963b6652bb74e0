"""Turn a document's sentences into grounded QA pairs: cache lookup, generation of what is missing,
parsing, grounding filter, de-duplication, with counts for every item dropped."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Protocol

from lift.config import SynthConfig
from lift.progress import NullProgress, ProgressLike
from lift.synth.cache import GenerationCache, generation_key
from lift.synth.contexts import sentence_requests
from lift.synth.grounding import is_grounded
from lift.synth.parsing import parse_qa_pairs
from lift.synth.prompts import PROMPT_VERSION
from lift.synth.types import QAPair, SentenceRequest


class Generator(Protocol):
    generator_id: str
    batch_size: int

    def sampling_params(self) -> dict: ...

    def generate(self, requests: list[SentenceRequest]) -> list[str]: ...


@dataclass
class SynthStats:
    sentences: int = 0
    sentences_skipped_short: int = 0
    generations: int = 0
    cache_hits: int = 0
    pairs_parsed: int = 0
    pairs_kept: int = 0
    pairs_strictly_grounded: int = 0  # distinct pairs whose every answer content word is in the sentence itself
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count
    seconds: float = 0.0

    @property
    def grounding_rate(self) -> float:
        """Share of the distinct pairs that passed the grounding filter (duplicates are not its business)."""
        judged = self.pairs_kept + self.rejected.get("ungrounded", 0)
        return self.pairs_kept / judged if judged else 0.0

    @property
    def strict_grounding_rate(self) -> float:
        """Faithfulness: share of the distinct generated pairs that pass strict grounding, whatever the filter."""
        distinct = self.pairs_parsed - self.rejected.get("duplicate", 0)
        return self.pairs_strictly_grounded / distinct if distinct else 0.0


@dataclass
class SynthResult:
    pairs: list[QAPair]
    stats: SynthStats


def synthesize_qa(
    document_sha256: str,
    sentences: list[str],
    generator: Generator,
    cache: GenerationCache,
    config: SynthConfig,
    progress: ProgressLike | None = None,
) -> SynthResult:
    started = time.perf_counter()
    progress = progress or NullProgress()
    stats = SynthStats(sentences=len(sentences))
    requests = [
        r for r in sentence_requests(sentences, config.context_chars) if len(r.sentence) >= config.min_sentence_chars
    ]
    stats.sentences_skipped_short = len(sentences) - len(requests)
    keys = {
        r.index: generation_key(
            document=document_sha256,
            sentence_index=r.index,
            # the text asked about: a change in sentence splitting must not serve another sentence's output
            request=hashlib.sha256(f"{r.context}\x00{r.sentence}".encode()).hexdigest(),
            prompt_version=PROMPT_VERSION,
            generator=generator.generator_id,
            params=generator.sampling_params(),
        )
        for r in requests
    }
    outputs = cache.get_many(list(keys.values()))
    stats.cache_hits = sum(keys[r.index] in outputs for r in requests)
    missing = [r for r in requests if keys[r.index] not in outputs]

    task = progress.task(f"generate QA ({generator.generator_id})", total=len(requests), unit="sentences")
    task.advance(stats.cache_hits)
    batch_size = max(1, generator.batch_size)
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        tokens_before = getattr(generator, "tokens_written", 0)
        raw_outputs = generator.generate(batch)
        fresh = {keys[r.index]: raw for r, raw in zip(batch, raw_outputs, strict=True)}
        cache.put_many(generator.generator_id, fresh)
        outputs.update(fresh)
        stats.generations += len(batch)
        task.advance(len(batch), tokens=getattr(generator, "tokens_written", 0) - tokens_before)
    task.done()

    pairs, rejected = filter_pairs(requests, {r.index: outputs[keys[r.index]] for r in requests}, config, stats)
    stats.rejected = dict(rejected)
    stats.pairs_kept = len(pairs)
    stats.seconds = time.perf_counter() - started
    return SynthResult(pairs=pairs, stats=stats)


def filter_pairs(
    requests: list[SentenceRequest], raw_by_index: dict[int, str], config: SynthConfig, stats: SynthStats
) -> tuple[list[QAPair], Counter]:
    """Parse each raw output and keep the pairs that pass grounding; count every rejection by reason."""
    rejected: Counter = Counter()
    pairs: list[QAPair] = []
    seen: set[tuple[str, str]] = set()
    for request in requests:
        parsed = parse_qa_pairs(raw_by_index[request.index])
        if not parsed:
            rejected["malformed_output"] += 1
            continue
        parsed = parsed[: config.qa_per_sentence]
        stats.pairs_parsed += len(parsed)
        for question, answer in parsed:
            key = (question.lower(), answer.lower())
            if key in seen:
                rejected["duplicate"] += 1
                continue
            seen.add(key)
            strict = is_grounded(answer, request.sentence, 1.0)
            stats.pairs_strictly_grounded += strict
            if config.grounding == "strict" and not strict:
                rejected["ungrounded"] += 1
                continue
            if config.grounding == "overlap" and not is_grounded(answer, request.context, config.grounding_min_overlap):
                rejected["ungrounded"] += 1
                continue
            pairs.append(QAPair(question=question, answer=answer, sentence_index=request.index))
    return pairs, rejected
