"""Pick the generator backend a synth config asks for."""

from __future__ import annotations

import copy

from lift.config import SynthConfig
from lift.models import LoadedModel
from lift.synth.backend import Generator


def make_generator(
    synth: SynthConfig, loaded: LoadedModel, *, seed: int = 0, model_trains_meanwhile: bool = False
) -> Generator:
    """The backend for synth.generator. `seed` seeds the openai backend's retry jitter. With
    model_trains_meanwhile (the pipeline wraps the base model in adapter layers while generation still runs),
    the local backend generates with a copy of the plain base model: twice the weights in memory."""
    if synth.generator == "template":
        from lift.synth.template import TemplateGenerator

        return TemplateGenerator(synth.qa_per_sentence, synth.template_forms, synth.words_per_pair, synth.reask)
    if synth.generator == "openai":
        from lift.synth.openai_backend import OpenAIGenerator

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
            seed=seed,
        )
    from lift.synth.local import LocalGenerator

    if model_trains_meanwhile:
        loaded = LoadedModel(copy.deepcopy(loaded.model), loaded.tokenizer, loaded.name, loaded.device)
    return LocalGenerator(loaded, synth.qa_per_sentence, synth.local_max_new_tokens, synth.local_batch_size)
