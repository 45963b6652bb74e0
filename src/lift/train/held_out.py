"""train.stop_at_recall: stop a lift once the adapter answers the document's own held-out questions (one
synthetic pair in HOLD_OUT_EVERY is kept out of training by lift.data.tasks.ExampleMaker)."""

from __future__ import annotations

from lift.adapters.base import Adapter
from lift.config import LiftConfig
from lift.data.tasks import ExampleMaker
from lift.infer.generation import generate_batch
from lift.models import LoadedModel
from lift.prompting import chat_prompt_ids
from lift.text.answers import qa_f1
from lift.train.loop import TrainResult

HELD_OUT_TOKENS = 64  # answer tokens a held-out question gets (the template's answers fit)


class HeldOutRecall:
    """train.stop_at_recall: after an epoch, the adapter answers the held-out pairs' questions (greedy, as
    lift_only asks them); enough() says whether the share answered (token F1 >= 0.5) has reached the setting."""

    def __init__(self, adapter: Adapter, loaded: LoadedModel, config: LiftConfig, examples: ExampleMaker) -> None:
        self.adapter, self.loaded, self.config, self.examples = adapter, loaded, config, examples
        self.per_epoch: list[float] = []

    def enough(self) -> bool:
        pairs = self.examples.held_out
        if not pairs:
            return False
        tokenizer, system = self.loaded.tokenizer, self.config.infer.system_prompt
        prompts = [chat_prompt_ids(tokenizer, pair.question, system) for pair in pairs]
        answers = generate_batch(self.adapter.model, tokenizer, prompts, max_new_tokens=HELD_OUT_TOKENS)
        answered = [qa_f1(answer, [pair.answer]) >= 0.5 for answer, pair in zip(answers, pairs, strict=True)]
        self.per_epoch.append(round(sum(answered) / len(answered), 4))
        return self.per_epoch[-1] >= self.config.train.stop_at_recall

    def record(self, train: TrainResult) -> dict:
        return {"held_out_questions": len(self.examples.held_out), "held_out_recall": self.per_epoch,
                "stopped_early": train.stopped_early}  # fmt: skip
