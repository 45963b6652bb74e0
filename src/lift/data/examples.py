"""A QA pair becomes a chat-formatted token sequence whose loss covers exactly the answer tokens."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerBase

from lift.prompting import answer_ids, chat_prompt_ids

IGNORE_INDEX = -100


@dataclass(frozen=True)
class TeacherTargets:
    """The teacher's next-token distribution at each answer token of an example: its top k tokens and their
    log-probabilities (the rest of the vocabulary is dropped, as in Cartridges)."""

    ids: torch.Tensor  # (answer tokens, k) int32
    logprobs: torch.Tensor  # (answer tokens, k) float16


@dataclass(frozen=True)
class Example:
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX on prompt tokens, the token id on answer tokens
    weight: float = 1.0  # loss weight of every answer token (gamma for QA next to segments, LIFT blog §3.2)
    # Context distillation: what the teacher reads before the answer (None: no teacher), which examples share the
    # start of it (the same document chunk: computed once for all of them), the share of the loss that matches
    # the teacher, and the teacher's targets once computed (lift.train.teacher).
    teacher_prompt: tuple[int, ...] | None = None
    teacher_group: int = -1
    teacher_weight: float = 0.0
    teacher: TeacherTargets | None = None
    teacher_writes: bool = False  # self-study: no answer yet; the teacher writes it (input_ids: the prompt alone)
    # A frozen reading (train.context_reading frozen): the example continues reading `reading` of the training
    # data, a document cut the base model read once (adapter off, no gradient), so its positions start at
    # `offset`, the reading's length; -1: none.
    reading: int = -1
    offset: int = 0

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def loss_tokens(self) -> int:
        return sum(label != IGNORE_INDEX for label in self.labels)


def qa_example(
    tokenizer: PreTrainedTokenizerBase,
    question: str,
    answer: str,
    system: str | None,
    max_tokens: int,
) -> Example:
    """Prompt (system + question, masked) then answer + end of turn (trained). Too-long prompts are cut
    from the left so the answer is always kept."""
    prompt = chat_prompt_ids(tokenizer, question, system)
    target = answer_ids(tokenizer, answer)[:max_tokens]
    prompt = prompt[max(0, len(prompt) + len(target) - max_tokens) :]
    return Example(input_ids=prompt + target, labels=[IGNORE_INDEX] * len(prompt) + target)
