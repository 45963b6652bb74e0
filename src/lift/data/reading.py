"""QA asked with the document in the window, as the lift_icl mode asks (train.qa_context_share).

The adapter otherwise only ever sees questions alone; with the document's head and tail in its window it is
off the inputs it learned on (on the embedded model it then missed a needle that the base model read there).
A context row is one conversation: the document's cut (head and tail, as lift_icl cuts it) and the first
question in the first user turn, then up to qa_context_questions questions, each after the previous answer.
The cut is read once per row for all of its questions, and the answers are the row's loss tokens. The cut is
the same for every row, so questions about the kept head and tail are answered from the window and the others
from the adapter, as lift_icl then meets them.

FrozenRows (train.context_reading frozen) reads the cut once for the whole lift instead: the chat frame and the
cut are a frozen reading, read by the base model with the adapter off and no gradient (lift.train.attention), and
each question is an example of its own that continues it (the instruction, the question, the answer), so a
question costs its own tokens, not the cut's. lift_icl then answers on the same kind of reading.
"""

from __future__ import annotations

import random

from transformers import PreTrainedTokenizerBase

from lift.data.examples import IGNORE_INDEX, Example
from lift.infer.modes import ICL_TEMPLATE, reading_length
from lift.prompting import answer_ids, chat_prompt_ids
from lift.text.truncate import truncate_head_tail

ANSWER_ROOM = 64  # window tokens kept for each question and its answer when the cut is sized to fit


def asked_in_context(order: tuple[int, int], share: float) -> bool:
    """Whether a pair is also asked in a context row: a draw seeded by its place in the document, so the
    same pairs whatever order they arrive in."""
    return share > 0 and random.Random(f"context:{order[0]}:{order[1]}").random() < share


class ContextRows:
    """Collects pairs into context rows: `add` returns a finished row, `flush` the last partial one."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        document: str,
        system: str | None,
        window: int,
        questions: int,
        context_tokens: int = 0,
    ) -> None:
        self.tokenizer = tokenizer
        self.system = system
        self.window = window
        self.questions = questions
        budget = window - ANSWER_ROOM * questions
        if budget < ANSWER_ROOM:
            raise ValueError(f"no room for the document in a {window}-token window with {questions} questions")
        if context_tokens:
            budget = min(budget, context_tokens)
        self.cut = tokenizer.decode(truncate_head_tail(tokenizer(document, add_special_tokens=False)["input_ids"],
                                                       budget))  # fmt: skip
        self.pending: list[tuple[str, str]] = []

    def add(self, question: str, answer: str) -> Example | None:
        self.pending.append((question, answer))
        return self.flush() if len(self.pending) >= self.questions else None

    def flush(self) -> Example | None:
        if not self.pending:
            return None
        pairs, self.pending = self.pending, []
        return self.row(pairs)

    def row(self, pairs: list[tuple[str, str]]) -> Example:
        """One conversation over the cut: the first question after it, the others as follow-up turns; a turn
        that would not fit the window, or whose chat template does not extend the conversation, ends it."""
        first_question, first_answer = pairs[0]
        user = ICL_TEMPLATE.format(document=self.cut, question=first_question)
        prompt = chat_prompt_ids(self.tokenizer, user, self.system)
        target = answer_ids(self.tokenizer, first_answer)
        input_ids, labels = prompt + target, [IGNORE_INDEX] * len(prompt) + target
        history = [{"role": "user", "content": user}, {"role": "assistant", "content": first_answer}]
        for question, answer in pairs[1:]:
            turn = chat_prompt_ids(self.tokenizer, question, self.system, history)
            target = answer_ids(self.tokenizer, answer)
            if turn[: len(input_ids)] != input_ids or len(turn) + len(target) > self.window:
                break
            frame = turn[len(input_ids) :]
            input_ids = turn + target
            labels = labels + [IGNORE_INDEX] * len(frame) + target
            history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]
        return Example(input_ids=input_ids, labels=labels)


class FrozenRows:
    """QA on a frozen reading of the cut: `add` returns each question's example at once (Example.reading 0, its
    positions after the reading), `reading` is the one reading they continue (token ids: chat frame + cut)."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        document: str,
        system: str | None,
        window: int,
        context_tokens: int = 0,
    ) -> None:
        self.tokenizer = tokenizer
        self.system = system
        self.window = window
        budget = window - ANSWER_ROOM * 2
        if context_tokens:
            budget = min(budget, context_tokens)
        self.cut = tokenizer.decode(truncate_head_tail(tokenizer(document, add_special_tokens=False)["input_ids"],
                                                       budget))  # fmt: skip
        probe = chat_prompt_ids(tokenizer, ICL_TEMPLATE.format(document=self.cut, question="?"), system)
        self.reading = probe[: reading_length(tokenizer, probe)]

    def add(self, question: str, answer: str) -> Example | None:
        prompt = chat_prompt_ids(self.tokenizer, ICL_TEMPLATE.format(document=self.cut, question=question), self.system)
        if prompt[: len(self.reading)] != self.reading:  # the question changed how the cut tokenizes: skip it
            return None
        rest = prompt[len(self.reading) :]
        target = answer_ids(self.tokenizer, answer)[: max(1, self.window - len(prompt))]
        return Example(rest + target, [IGNORE_INDEX] * len(rest) + target, reading=0, offset=len(self.reading))

    def flush(self) -> Example | None:
        return None
