"""The `local` generator: the base model itself writes QA pairs for each sentence (batched generation).

The assistant turn is started with the opening of the JSON answer format (a prefill): small models asked for
JSON otherwise tend to list questions without answers.
"""

from __future__ import annotations

from lift.infer.generation import generate_batch
from lift.models import LoadedModel
from lift.prompting import chat_prompt_ids
from lift.synth.backend import BatchGenerator
from lift.synth.types import Job

PREFILL = '{"qa_list": [{"question": "'
AUX_PREFILL = "Question:"


class LocalGenerator(BatchGenerator):
    def __init__(self, loaded: LoadedModel, qa_per_sentence: int, max_new_tokens: int, batch_size: int) -> None:
        super().__init__()
        self.loaded = loaded
        self.qa_per_sentence = qa_per_sentence
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.generator_id = f"local:{loaded.name}"

    def sampling_params(self) -> dict:
        return {
            "qa_per_sentence": self.qa_per_sentence,
            "max_new_tokens": self.max_new_tokens,
            "decoding": "greedy",
            "prefill": PREFILL,
        }

    def generate(self, jobs: list[Job]) -> list[str | None]:
        """Raw outputs, each beginning with its prefill so that it reads as the format the model was asked for."""
        tokenizer = self.loaded.tokenizer
        prompts, prefills = [], []
        for job in jobs:
            prefill = AUX_PREFILL if job.kind == "aux" else PREFILL
            prefills.append(prefill)
            prompts.append(
                chat_prompt_ids(tokenizer, job.user, job.system)
                + tokenizer(prefill, add_special_tokens=False)["input_ids"]
            )
        self.counters.tokens_in += sum(len(p) for p in prompts)
        continuations = generate_batch(
            self.loaded.model,
            tokenizer,
            prompts,
            max_new_tokens=self.max_new_tokens,
            batch_size=self.batch_size,
            on_batch=self._count_tokens,
        )
        return [prefill + text for prefill, text in zip(prefills, continuations, strict=True)]

    def _count_tokens(self, _prompts_done: int, tokens_written: int) -> None:
        self.counters.tokens_out += tokens_written
