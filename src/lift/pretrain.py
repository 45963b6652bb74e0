"""Pre-LIFT supervised fine-tuning (LIFT blog §3.3): before lifting single documents, fine-tune the base
model on a corpus of documents together with QA about them, in the same task format LIFT uses, so that the
model gets used to answering from what it was trained on.

Corpus: SQuAD v1.1 dev, split by article (never by paragraph, so no article is on both sides). The articles
sorted by title alternate: positions 0, 2, 4, ... are the train half (24 articles), 1, 3, 5, ... the held-out
half (24). Each train article contributes its overlapping segments (language modelling, the blog's
L_input) and its human QA pairs weighted by gamma (L_AT), all articles in one run. A LoRA is trained and
merged into the base; the result is a model directory usable with --model, carrying lift_pretrain.json with
the split, so that `lift eval squad` on it leaves the train articles out by itself.
"""

from __future__ import annotations

import json
import random
import shutil
import tempfile
import time
from pathlib import Path

import torch

from lift.adapters import attach_lora, learning_rate
from lift.config import LiftConfig, TrainConfig
from lift.data import qa_example, training_plan
from lift.data.examples import Example
from lift.data.sources import TrainingData
from lift.errors import LiftError
from lift.eval.suites.squad import RECORD_FILE, squad_articles, squad_split
from lift.models import LoadedModel
from lift.progress import NullProgress, ProgressLike
from lift.train import train_adapter


def pretrain(
    loaded: LoadedModel,
    config: LiftConfig,
    data_dir: Path,
    out_dir: Path,
    *,
    articles: int = 0,
    progress: ProgressLike | None = None,
) -> dict:
    """Fine-tune on the train half (its first `articles` articles when > 0), merge, save to out_dir."""
    progress = progress or NullProgress()
    if out_dir.exists() and any(out_dir.iterdir()):
        raise LiftError(f"{out_dir} exists and is not empty; choose a new --out")
    all_articles = squad_articles(data_dir)
    split = squad_split(all_articles)
    by_title = {article["title"]: article for article in all_articles}
    chosen = split.train[:articles] if articles > 0 else split.train
    train_config: TrainConfig = config.train
    lr = learning_rate(train_config, "lora")
    tokenizer, system = loaded.tokenizer, config.infer.system_prompt
    segments: list[Example] = []
    qa: list[Example] = []
    for title in chosen:
        paragraphs = by_title[title]["paragraphs"]
        text = "\n\n".join(p["context"] for p in paragraphs)
        segments += training_plan(
            TrainConfig(objective="segments", segment_tokens=train_config.segment_tokens,
                        segment_stride=train_config.segment_stride),
            tokenizer, text, loaded.window, system,
        ).fixed  # fmt: skip
        for paragraph in paragraphs:
            for item in paragraph["qas"]:
                example = qa_example(tokenizer, item["question"], item["answers"][0]["text"], system, 512)
                qa.append(Example(example.input_ids, example.labels, weight=train_config.qa_weight))
    random.Random(train_config.seed).shuffle(qa)

    torch.manual_seed(train_config.seed)
    adapter = attach_lora(loaded.model, config.lora)
    started = time.perf_counter()
    data = TrainingData(fixed=segments, generated=[((n,), example) for n, example in enumerate(qa)])
    result = train_adapter(adapter, data, train_config, None, progress, lr=lr)
    seconds = time.perf_counter() - started
    merged = adapter.model.merge_and_unload()
    record = {
        "base_model": loaded.name,
        "corpus": "SQuAD v1.1 dev",
        "split": "articles sorted by title; even positions train, odd positions held out",
        "train_articles": chosen,
        "held_out_articles": split.held_out,
        "segments": len(segments),
        "qa_examples": len(qa),
        "epochs": train_config.epochs,
        "learning_rate": lr,
        "qa_weight": train_config.qa_weight,
        "lora": {"rank": config.lora.rank, "alpha": config.lora.alpha},
        "loss_per_epoch": [round(x, 5) for x in result.loss_per_epoch],
        "train_seconds": round(seconds, 1),
        "tokens": result.tokens,
    }
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        merged.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        (staging / RECORD_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        if out_dir.exists():
            out_dir.rmdir()
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return record
