"""One CPU throughput sample of the default training path (demo essay QA, bf16, 384-token rows, 1 warm-up +
1 timed epoch), for A/B runs of two checkouts in alternation (machine drift hits both alike):

    for i in 1 2; do for tree in OLD NEW; do
      PYTHONPATH=$tree/src .venv/bin/python benchmarks/perf/ab_train.py $tree; done; done

Prints one JSON line: the label given, tokens/s and the epoch's loss (equal losses: the same computation).
"""

import dataclasses
import json
import sys
import tempfile
from importlib import resources
from pathlib import Path

import torch

from lift.adapters import attach_adapter
from lift.config import LiftConfig
from lift.data.sources import TrainingData
from lift.data.tasks import ExampleMaker
from lift.models import load_model
from lift.synth.cache import GenerationCache
from lift.synth.generators import make_generator
from lift.testing.synthesis import synthesize_qa
from lift.text import split_sentences
from lift.train import train_adapter

loaded = load_model(None, "cpu")
config = LiftConfig()
text = resources.files("lift.samples").joinpath("needle_essay.txt").read_text("utf-8")
with tempfile.TemporaryDirectory() as tmp, GenerationCache(Path(tmp) / "c.sqlite") as cache:
    pairs = synthesize_qa("ab", split_sentences(text), make_generator(config.synth, loaded), cache, config.synth).pairs
examples = [e for _, e in ExampleMaker(loaded.tokenizer, config, [], loaded.window).stream(pairs)]
train = dataclasses.replace(config.train, precision="bf16", epochs=1, batch_tokens=384)
for _run in ("warm", "timed"):
    torch.manual_seed(0)
    adapter = attach_adapter(loaded.model, config.adapter, config.lora)
    result = train_adapter(adapter, TrainingData.of(examples), train, lr=1e-3)
    adapter.unload()
print(
    json.dumps({"code": sys.argv[1], "tokens_per_s": round(result.tokens_per_second, 1), "loss": result.loss_per_epoch})
)
