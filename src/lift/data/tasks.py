"""Synthetic QA pairs (and replay pairs) -> training examples, in the same way for the pipeline's stream and
for the sequential path.

Replay examples are interleaved as the QA examples come: after each QA example, replay_ratio replay examples
on average (a running credit), cycling through the replay set in file order. Each example carries an
order key, so that later epochs see the same set in the same order however the pairs arrived.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator

from transformers import PreTrainedTokenizerBase

from lift.config import HOLD_OUT_EVERY, LiftConfig, step_tokens
from lift.data.distill import TeacherPrompts
from lift.data.examples import IGNORE_INDEX, Example, qa_example
from lift.data.reading import ContextRows, FrozenRows, asked_in_context
from lift.synth.types import QAPair

REPLAY_ORDER = 1 << 30  # replay keys sort after every QA key
CONTEXT_ORDER = REPLAY_ORDER - 1  # context rows (train.qa_context_share) between the QA and the replay


def training_answer(pair: QAPair, aux_answer: str) -> str:
    """The text the model learns to write for a pair: the evidence-augmented answer (LIFT blog) quotes the
    evidence before the answer."""
    if pair.kind == "aux" and aux_answer == "evidence_answer" and pair.evidence:
        return f'The text says: "{pair.evidence}"\nSo the answer is: {pair.answer}'
    return pair.answer


def held_out(pair: QAPair) -> bool:
    """Whether train.stop_at_recall keeps this pair out of training: one in HOLD_OUT_EVERY, chosen by the pair's
    place in the document, so the same pairs whatever order they arrive in."""
    job, number = pair.order
    return (job * 31 + number) % HOLD_OUT_EVERY == HOLD_OUT_EVERY - 1


class ExampleMaker:
    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        config: LiftConfig,
        replay: list[tuple[str, str]],
        model_window: int,
        qa_weight: float = 1.0,
        teacher_prompts: TeacherPrompts | None = None,
        document: str | None = None,
    ) -> None:
        self.tokenizer = tokenizer
        self.qa_weight = qa_weight  # gamma when QA trains beside document segments
        self.config = config
        self.system = config.infer.system_prompt
        self.max_tokens = min(model_window, 4 * step_tokens(config.train.batch_tokens))
        self.teacher_prompts = teacher_prompts  # None: no teacher (distill.weight and replay_weight 0)
        # cycled in file order, so that replay_ratio x N examples always use the first prompts of the fixture
        # (deterministic whatever the arrival order); packing shuffles them
        self.replay = [self._replay_example(q, a) for q, a in replay]
        self.qa_examples = 0
        self.replay_examples = 0
        self.held_out: list[QAPair] = []  # train.stop_at_recall: pairs kept out of training, asked after each epoch
        train = config.train
        self.context_rows = None  # train.qa_context_share: QA asked after the document's cut, as lift_icl asks
        if train.qa_context_share > 0 and document and train.context_reading == "frozen":
            self.context_rows = FrozenRows(tokenizer, document, self.system, model_window, train.qa_context_tokens)
        elif train.qa_context_share > 0 and document:
            self.context_rows = ContextRows(tokenizer, document, self.system, model_window,
                                            train.qa_context_questions, train.qa_context_tokens)  # fmt: skip
        self.context_examples = 0

    def expected(self, qa_pairs: int) -> int:
        """Examples per epoch for this many QA pairs, replay included (the pipeline's first-epoch estimate,
        from synth's JobPlan.most_pairs)."""
        per_pair = 2 if self.teacher_prompts is not None and self.config.distill.targets == "both" else 1
        if self.config.train.stop_at_recall > 0:
            qa_pairs -= qa_pairs // HOLD_OUT_EVERY
        rows = 0.0
        if isinstance(self.context_rows, FrozenRows):
            rows = self.config.train.qa_context_share
        elif self.context_rows is not None:
            rows = self.config.train.qa_context_share / self.config.train.qa_context_questions
        return round(qa_pairs * (per_pair + (self.config.train.replay_ratio if self.replay else 0) + rows))

    def stream(self, pairs: Iterable[QAPair]) -> Iterator[tuple[tuple, Example]]:
        credit = 0.0
        for pair in pairs:
            if self.config.train.stop_at_recall > 0 and held_out(pair):
                self.held_out.append(pair)
                continue
            answer = training_answer(pair, self.config.synth.aux_answer)
            for n, example in enumerate(self._examples(pair, answer)):
                self.qa_examples += 1
                yield (*pair.order, n) if n else pair.order, example
            if self.context_rows is not None and asked_in_context(pair.order, self.config.train.qa_context_share):
                row = self.context_rows.add(pair.question, answer)
                if row is not None:
                    yield self._context_row(row)
            if not self.replay:
                continue
            credit += self.config.train.replay_ratio
            while credit >= 1.0:
                credit -= 1.0
                n = self.replay_examples
                self.replay_examples += 1
                yield (REPLAY_ORDER, n), self.replay[n % len(self.replay)]
        last = self.context_rows.flush() if self.context_rows is not None else None
        if last is not None:
            yield self._context_row(last)

    def readings(self) -> list[list[int]]:
        """The frozen readings the examples continue (Example.reading indexes them)."""
        return [self.context_rows.reading] if isinstance(self.context_rows, FrozenRows) else []

    def _context_row(self, row: Example) -> tuple[tuple, Example]:
        self.context_examples += 1
        return (CONTEXT_ORDER, self.context_examples - 1), row

    def _examples(self, pair: QAPair, answer: str) -> list[Example]:
        """A pair's examples: its answer (distill.targets template), an answer the teacher will write (teacher),
        or both; each with its teacher prompt when there is a teacher."""
        example = qa_example(self.tokenizer, pair.question, answer, self.system, self.max_tokens)
        if self.qa_weight != 1.0:
            example = dataclasses.replace(example, weight=self.qa_weight)
        if self.teacher_prompts is None:
            return [example]
        group, prompt = self.teacher_prompts.for_question(pair.question, pair.sentence_index)
        taught = dataclasses.replace(
            example, teacher_prompt=prompt, teacher_group=group, teacher_weight=self.config.distill.weight
        )
        targets = self.config.distill.targets
        written = dataclasses.replace(
            taught, input_ids=taught.input_ids[: taught.labels.count(IGNORE_INDEX)],
            labels=taught.labels[: taught.labels.count(IGNORE_INDEX)], teacher_writes=True,
        )  # fmt: skip
        if targets == "teacher":
            return [written]
        template = taught if self.config.distill.weight > 0 else example
        return [template, written] if targets == "both" else [template]

    def _replay_example(self, prompt: str, answer: str) -> Example:
        """A replay pair as an example; with distill.replay_weight, the base model (no document) is its teacher."""
        example = qa_example(self.tokenizer, prompt, answer, self.system, self.max_tokens)
        weight = self.config.distill.replay_weight
        if self.teacher_prompts is None or weight <= 0:
            return example
        group, teacher_prompt = self.teacher_prompts.for_general(prompt)
        return dataclasses.replace(example, teacher_prompt=teacher_prompt, teacher_group=group, teacher_weight=weight)
