"""Synthesis in one call, for tests and benchmarks: plan the jobs, generate, and return every kept pair in
document order with the run's stats (the product streams pairs instead: lift.pipeline, lift.recipe)."""

from __future__ import annotations

from dataclasses import dataclass

from lift.config import SynthConfig
from lift.progress import ProgressLike
from lift.synth.backend import Generator
from lift.synth.cache import GenerationCache
from lift.synth.generate import build_jobs, generate_pairs
from lift.synth.stats import SynthesisReport
from lift.synth.types import QAPair


@dataclass
class SynthResult:
    pairs: list[QAPair]
    stats: SynthesisReport


def synthesize_qa(
    document_sha256: str,
    sentences: list[str],
    generator: Generator,
    cache: GenerationCache,
    config: SynthConfig,
    progress: ProgressLike | None = None,
) -> SynthResult:
    pairs: list[QAPair] = []
    jobs = build_jobs(document_sha256, sentences, config, generator)
    stats = generate_pairs(jobs, generator, cache, config, pairs.append, progress)
    return SynthResult(pairs=sorted(pairs, key=lambda pair: pair.order), stats=stats)
