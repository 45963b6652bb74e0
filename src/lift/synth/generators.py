"""Pick the generator backend a config asks for."""

from __future__ import annotations

import copy

from lift.config import LiftConfig
from lift.models import LoadedModel
from lift.synth.local import LocalGenerator
from lift.synth.openai_backend import OpenAIGenerator
from lift.synth.template import TemplateGenerator


def make_generator(config: LiftConfig, loaded: LoadedModel) -> TemplateGenerator | LocalGenerator | OpenAIGenerator:
    synth = config.synth
    if synth.generator == "template":
        return TemplateGenerator(synth.qa_per_sentence)
    if synth.generator == "openai":
        assert synth.generator_url and synth.generator_model  # validated in config
        return OpenAIGenerator(
            synth.generator_url,
            synth.generator_model,
            api_key_env=synth.generator_api_key_env,
            concurrency=synth.concurrency,
            timeout=synth.request_timeout,
            max_retries=synth.max_retries,
            temperature=synth.temperature,
            max_tokens=synth.max_tokens,
            seed=config.train.seed,
        )
    if config.train.pipeline:
        # The trainer wraps the base model in LoRA layers while this generator still runs: generate with a
        # copy of the plain base model (twice the weights in memory; --no-pipeline avoids the copy).
        loaded = LoadedModel(copy.deepcopy(loaded.model), loaded.tokenizer, loaded.name, loaded.device)
    return LocalGenerator(loaded, synth.qa_per_sentence, synth.local_max_new_tokens, synth.local_batch_size)
