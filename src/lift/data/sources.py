"""Training data as a list of sources, each one kind of example behind one small interface.

    Source.examples()  -> (order key, example) pairs; a source that is still `streaming` yields them as they
                          are generated, the others have them all before training starts
    TrainingData       -> what the training loop consumes: the fixed examples (every epoch, and the stage-1
                          epochs alone) and the one generated source's examples

The sources here need no generator: the document's own segments (lift.data.objectives), restatements of its
sentences (lift.data.restatements) and its whole-document tasks (lift.synth.gist). Synthetic QA, with replay
mixed in, is the generated source; it lives with the pipeline that feeds it (lift.pipeline.GeneratedQA).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from transformers import PreTrainedTokenizerBase

from lift.data.examples import Example, qa_example
from lift.data.objectives import segment_example
from lift.data.restatements import restatements


class Source(Protocol):
    name: str
    generated: bool  # from the generator: after the fixed examples, never in the stage-1 epochs
    streaming: bool  # generated and still arriving: examples() yields them as they are made

    def examples(self) -> Iterable[tuple[tuple, Example]]: ...


@dataclass
class FixedSource:
    """Examples known before training starts."""

    name: str
    items: list[Example]
    generated: bool = False
    streaming: bool = False

    def examples(self) -> Iterator[tuple[tuple, Example]]:
        return (((n,), example) for n, example in enumerate(self.items))


@dataclass
class TrainingData:
    """What one training run consumes: `fixed` examples in every epoch (alone in the stage-1 epochs), and the
    generated examples (order key, example) in any order; with `streaming` the first epoch trains on them as
    they arrive and `expected` estimates their count for the learning-rate schedule until it is known."""

    fixed: list[Example] = field(default_factory=list)
    generated: Iterable[tuple[tuple, Example]] = ()
    streaming: bool = False
    expected: int = 0
    readings: list[list[int]] = field(default_factory=list)  # token ids of each frozen reading (Example.reading)

    @classmethod
    def of(cls, examples: list[Example]) -> TrainingData:
        """Examples known up front, trained in the order given (before each epoch's shuffle)."""
        return cls(generated=[((n,), example) for n, example in enumerate(examples)])

    @classmethod
    def from_sources(
        cls, sources: list[Source], expected: int = 0, readings: list[list[int]] | None = None
    ) -> TrainingData:
        """The fixed sources' examples in source order; at most one generated (or streaming) source; the frozen
        readings their examples continue."""
        generated = [s for s in sources if s.generated]
        if len(generated) > 1:
            raise ValueError("one generated source at most")
        fixed = [example for s in sources if not s.generated for _, example in s.examples()]
        if not generated:
            return cls(fixed=fixed, readings=list(readings or []))
        return cls(fixed, generated[0].examples(), generated[0].streaming, expected, list(readings or []))


def restatement_source(tokenizer: PreTrainedTokenizerBase, sentences: list[str], per_sentence: int) -> FixedSource:
    """Each sentence as plain text with another of its phrases first (synth.restatements per sentence)."""
    encode = lambda text: list(tokenizer(text, add_special_tokens=False)["input_ids"])  # noqa: E731
    items = [segment_example(tokenizer, encode(text)) for _, text in restatements(sentences, per_sentence)]
    return FixedSource("restatements", items)


def gist_source(tokenizer: PreTrainedTokenizerBase, pairs: list, system: str | None, max_tokens: int) -> FixedSource:
    """The whole-document pairs (lift.synth.gist.GistPair: question, answer) as QA examples."""
    return FixedSource("gist", [qa_example(tokenizer, p.question, p.answer, system, max_tokens) for p in pairs])
