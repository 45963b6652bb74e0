"""A QA pair becomes a chat-formatted token sequence whose loss covers exactly the answer tokens."""

from __future__ import annotations

from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase

from lift.prompting import answer_ids, chat_prompt_ids

IGNORE_INDEX = -100


@dataclass(frozen=True)
class Example:
    input_ids: list[int]
    labels: list[int]  # IGNORE_INDEX on prompt tokens, the token id on answer tokens
    weight: float = 1.0  # loss weight of every answer token (gamma for QA next to segments, LIFT blog §3.2)

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
