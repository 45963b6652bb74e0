"""The record of one synthesis run: what was asked, generated, kept and dropped (and why). Counted while the
run goes, then stored as it is in the manifest's `synthesis` section (the field names are the stored keys)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass
class SynthesisReport:
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
    generator_tokens_in: int = 0
    generator_tokens_out: int = 0
    qa_pairs_parsed: int = 0
    qa_pairs_kept: int = 0
    aux_pairs_kept: int = 0
    # distinct pairs whose every answer content word is in the sentence: counted, stored as strict_grounding_rate
    strictly_grounded: int = field(default=0, metadata={"stored": False})
    rejected: dict[str, int] = field(default_factory=dict)  # reason -> count
    grounding_rate: float = 0.0  # set by finish()
    strict_grounding_rate: float | None = None  # set by finish(); None: stored before this rate was recorded
    seconds: float = 0.0

    def finish(self, seconds: float) -> SynthesisReport:
        """The rates from the counts (rounded as stored) and the run's duration; returns self."""
        judged = (
            self.qa_pairs_kept + self.rejected.get("ungrounded", 0) + self.rejected.get("evidence_not_verbatim", 0)
        )  # the distinct pairs the grounding filter judged (duplicates are not its business)
        self.grounding_rate = round(self.qa_pairs_kept / judged, 4) if judged else 0.0
        distinct = self.qa_pairs_parsed - self.rejected.get("duplicate", 0)
        self.strict_grounding_rate = round(self.strictly_grounded / distinct, 4) if distinct else 0.0
        self.request_failures = dict(sorted(self.request_failures.items()))
        self.rejected = dict(sorted(self.rejected.items()))
        self.seconds = round(seconds, 2)
        return self

    def to_dict(self) -> dict:
        stored = {f.name for f in fields(self) if f.metadata.get("stored", True)}
        return {k: v for k, v in asdict(self).items() if k in stored}

    @classmethod
    def from_dict(cls, stored: dict) -> SynthesisReport:
        """Sections written by older versions may lack some counts (they read as 0)."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in stored.items() if key in known})
