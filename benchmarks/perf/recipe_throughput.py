"""Training throughput of one recipe's examples: one epoch over the demo essay's examples, one thread, fp32,
384-token steps; prints one JSON line (tokens/s, mean example length, share of tokens in the loss).

    .venv/bin/python benchmarks/perf/recipe_throughput.py RECIPE [--profile]

RECIPE: old_qa_m3 (the recipe before 2026-12-01), mix_m6_1201 and qa_m6_1201forms (the defaults of 2026-12-01,
with and without text segments), new_default (today's). --profile prints the top operators instead of training
the whole epoch. Run the recipes one after another in one shell so that they share the machine's state."""

import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import torch

from lift.adapters import attach_adapter
from lift.config import LiftConfig
from lift.data import training_plan
from lift.data.sources import TrainingData
from lift.data.tasks import ExampleMaker
from lift.models import load_model
from lift.samples import needle_sample
from lift.synth.cache import GenerationCache
from lift.synth.generators import make_generator
from lift.testing.synthesis import synthesize_qa
from lift.text import split_sentences
from lift.train import train_adapter

OLD_SYSTEM = {"infer.system_prompt": "You are a helpful assistant.", "lora.rank": 8, "lora.alpha": 16}
FORMS_1201 = ["definition", "wh", "about", "key_phrase", "cloze", "succession"]
RECIPES = {
    "old_qa_m3": {**OLD_SYSTEM, "train.objective": "qa", "synth.qa_per_sentence": 3,
                  "synth.template_forms": ["definition", "key_phrase", "cloze", "succession"]},
    "mix_m6_1201": {**OLD_SYSTEM, "train.objective": "mix", "synth.template_forms": FORMS_1201,
                    "synth.qa_per_sentence": 6},
    "qa_m6_1201forms": {**OLD_SYSTEM, "train.objective": "qa", "synth.template_forms": FORMS_1201,
                        "synth.qa_per_sentence": 6},
    "new_default": {},
}  # fmt: skip


def main() -> None:
    which, profile = sys.argv[1], "--profile" in sys.argv
    torch.set_num_threads(1)
    loaded = load_model(None, "cpu")
    document = needle_sample()
    config = LiftConfig().with_overrides(RECIPES[which])
    with tempfile.TemporaryDirectory() as tmp, GenerationCache(Path(tmp) / "cache.sqlite") as cache:
        generator = make_generator(config.synth, loaded)
        pairs = synthesize_qa("doc", split_sentences(document.text), generator, cache, config.synth).pairs
    plan = training_plan(config.train, loaded.tokenizer, document.text, loaded.window, config.infer.system_prompt)
    maker = ExampleMaker(loaded.tokenizer, config, [], loaded.window, qa_weight=plan.qa_weight)
    examples = [example for _, example in maker.stream(pairs)]
    train = dataclasses.replace(config.train, precision="fp32", epochs=1, batch_tokens=384, min_steps=0)
    every = examples + plan.fixed
    torch.manual_seed(0)
    adapter = attach_adapter(loaded.model, config.adapter, config.lora)
    if profile:
        data = TrainingData(fixed=plan.fixed[:5], generated=list(enumerate(examples[:80])))
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            train_adapter(adapter, data, train, lr=1e-3)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
        return
    data = TrainingData(fixed=plan.fixed, generated=[((n,), e) for n, e in enumerate(examples)])
    result = train_adapter(adapter, data, train, lr=1e-3)
    print(json.dumps({
        "recipe": which, "tokens_per_s": round(result.tokens_per_second, 1), "tokens": result.tokens,
        "mean_example_tokens": round(sum(len(e) for e in every) / len(every), 1),
        "loss_token_share": round(sum(e.loss_tokens for e in every) / sum(len(e) for e in every), 3),
        "examples": len(examples), "segments": len(plan.fixed),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
