"""The record of one synthesis run: what was asked, generated, kept and dropped (and why), stored in the
manifest as its `synthesis` section."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


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

    def report(self) -> SynthesisReport:
        """The manifest's `synthesis` section."""
        return SynthesisReport(
            sentences=self.sentences,
            sentences_skipped_short=self.sentences_skipped_short,
            jobs=self.jobs,
            aux_windows=self.aux_windows,
            generations=self.generations,
            cache_hits=self.cache_hits,
            requests=self.requests,
            retried=self.retried,
            failed=self.failed,
            request_failures=dict(sorted(self.request_failures.items())),
            generator_tokens_in=self.tokens_in,
            generator_tokens_out=self.tokens_out,
            qa_pairs_parsed=self.pairs_parsed,
            qa_pairs_kept=self.pairs_kept,
            aux_pairs_kept=self.aux_pairs_kept,
            rejected=dict(sorted(self.rejected.items())),
            grounding_rate=round(self.grounding_rate, 4),
            strict_grounding_rate=round(self.strict_grounding_rate, 4),
            seconds=round(self.seconds, 2),
        )


@dataclass(frozen=True)
class SynthesisReport:
    """A finished synthesis run as the manifest stores it (field names are the stored keys)."""

    sentences: int = 0
    sentences_skipped_short: int = 0
    jobs: int = 0
    aux_windows: int = 0
    generations: int = 0
    cache_hits: int = 0
    requests: int = 0
    retried: int = 0
    failed: int = 0
    request_failures: dict[str, int] = field(default_factory=dict)
    generator_tokens_in: int = 0
    generator_tokens_out: int = 0
    qa_pairs_parsed: int = 0
    qa_pairs_kept: int = 0
    aux_pairs_kept: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    grounding_rate: float = 0.0
    strict_grounding_rate: float | None = None  # None: written before this rate was recorded
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, stored: dict) -> SynthesisReport:
        """Sections written by older versions may lack some counts (they read as 0)."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in stored.items() if key in known})
