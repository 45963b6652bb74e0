"""The `local` generator: the base model itself writes QA pairs for each sentence (batched generation).

The assistant turn is started with the opening of the JSON answer format (a prefill). Without it the
embedded 135M model listed questions with no answers for all 45 sentences of the demo essay; with it,
most outputs are parseable pairs.
"""

from __future__ import annotations

from lift.infer.generation import generate_batch
from lift.models import LoadedModel
from lift.prompting import chat_prompt_ids
from lift.synth.types import Job

PREFILL = '{"qa_list": [{"question": "'
AUX_PREFILL = "Question:"


class LocalGenerator:
    def __init__(self, loaded: LoadedModel, qa_per_sentence: int, max_new_tokens: int, batch_size: int) -> None:
        self.loaded = loaded
        self.qa_per_sentence = qa_per_sentence
        self.max_new_tokens = max_new_tokens
        self.batch_size = batch_size
        self.generator_id = f"local:{loaded.name}"
        self.tokens_written = 0
        self.tokens_read = 0  # prompt tokens

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
        self.tokens_read += sum(len(p) for p in prompts)
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
        self.tokens_written += tokens_written
