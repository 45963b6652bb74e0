"""The records synthetic generation passes around."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SentenceRequest:
    """One unit of per-sentence generation: a sentence, the text before it, and its neighbour (for templates)."""

    index: int
    sentence: str
    context: str  # preceding paragraph, ending with the sentence itself (as the reference builds it)
    previous_sentence: str


@dataclass(frozen=True)
class AuxWindow:
    """One unit of auxiliary long-range QA generation (LIFT 2024 paper): a window of consecutive sentences."""

    index: int  # window number
    first_sentence: int
    sentences: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


@dataclass(frozen=True)
class Job:
    """One generator request: what to ask (system/user messages) about which unit, and its cache key."""

    number: int  # position in document order: sentence jobs first, then aux windows
    kind: str  # "sentence" or "aux"
    unit: SentenceRequest | AuxWindow
    system: str | None
    user: str
    key: str
    most_pairs: int = 1  # the most pairs it can yield (qa_per_sentence, or the generator's cap for the sentence)

    @property
    def index(self) -> int:
        return self.unit.index


@dataclass(frozen=True)
class QAPair:
    question: str
    answer: str
    sentence_index: int  # the sentence (or, for aux pairs, the window's first sentence)
    kind: str = "sentence"
    evidence: str = ""  # aux pairs: verbatim sentences of the window that support the answer
    order: tuple[int, int] = (0, 0)  # (job number, pair number): document order, whatever the arrival order


@dataclass(frozen=True)
class JobPlan:
    """Every generator request a document needs, in document order: one per long-enough sentence, then one
    per auxiliary window."""

    jobs: tuple[Job, ...]
    sentences: int  # sentences in the document (the short ones get no job)
    qa_per_sentence: int

    @property
    def sentence_jobs(self) -> int:
        return sum(job.kind == "sentence" for job in self.jobs)

    @property
    def aux_jobs(self) -> int:
        return sum(job.kind == "aux" for job in self.jobs)

    @property
    def most_pairs(self) -> int:
        """Pairs if every request yields all it can: its sentence's cap (qa_per_sentence or the generator's
        own), one per window."""
        return sum(job.most_pairs for job in self.jobs)
