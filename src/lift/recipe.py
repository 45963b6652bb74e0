"""Lift one document: the whole path, read top to bottom.

    document -> sentences -> synthetic QA (+ replay) -> examples -> LoRA training -> store entry

Everything expensive is resumable: generations live in the SQLite cache, training checkpoints each epoch
under $LIFT_HOME/work/, and the store entry appears atomically at the end.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import platform
import random
import shutil
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch

from lift.adapters import attach_lora, trainable_parameters
from lift.config import LiftConfig, dump_config
from lift.data import qa_example
from lift.errors import LiftError
from lift.models import LoadedModel, lift_home
from lift.progress import NullProgress, ProgressLike
from lift.store import Entry, Store
from lift.synth import synthesize_qa
from lift.synth.cache import GenerationCache
from lift.synth.local import LocalGenerator
from lift.synth.prompts import PROMPT_VERSION
from lift.synth.replay import replay_pairs
from lift.synth.template import TemplateGenerator
from lift.text import Document, split_sentences
from lift.train import train_adapter

MANIFEST_VERSION = 1


@dataclass
class LiftResult:
    entry: Entry
    manifest: dict


def lift_document(
    document: Document,
    loaded: LoadedModel,
    config: LiftConfig,
    *,
    force: bool = False,
    progress: ProgressLike | None = None,
    home: Path | None = None,
) -> LiftResult:
    progress = progress or NullProgress()
    home = home or lift_home()
    store = Store(home)
    if store.get(document.doc_id) is not None and not force:
        raise LiftError(f"document {document.doc_id} is already lifted; pass --force to replace it")
    timings: dict[str, float] = {}
    random.seed(config.train.seed)
    torch.manual_seed(config.train.seed)

    # 1. Text: sentences and token count.
    started = time.perf_counter()
    sentences = split_sentences(document.text)
    document_tokens = len(loaded.tokenizer(document.text, add_special_tokens=False)["input_ids"])
    timings["read_and_split"] = time.perf_counter() - started

    # 2. Synthetic QA pairs per sentence, and replay pairs from the base model.
    with GenerationCache(home / "cache.sqlite") as cache:
        generator = _make_generator(config, loaded)
        synth = synthesize_qa(document.sha256, sentences, generator, cache, config.synth, progress)
        timings["synthesize"] = synth.stats.seconds
        if not synth.pairs:
            raise LiftError(
                f"no usable QA pairs from {len(sentences)} sentences (rejected: {synth.stats.rejected}); "
                "try --generator template or a longer document"
            )
        started = time.perf_counter()
        replay = []
        if config.train.replay_ratio > 0:
            replay = replay_pairs(
                loaded,
                cache,
                config.infer.system_prompt,
                max_new_tokens=config.train.replay_max_tokens,
                progress=progress,
            )
        timings["replay"] = time.perf_counter() - started

    # 3. Examples: QA pairs plus replay, the latter repeated/cut to replay_ratio x the QA count.
    system = config.infer.system_prompt
    max_tokens = min(loaded.window, 4 * config.train.batch_tokens)
    examples = [qa_example(loaded.tokenizer, p.question, p.answer, system, max_tokens) for p in synth.pairs]
    replay_count = round(config.train.replay_ratio * len(examples))
    replay_examples = [qa_example(loaded.tokenizer, q, a, system, max_tokens) for q, a in replay]
    if replay_examples and replay_count:
        rng = random.Random(config.train.seed)
        cycled = (replay_examples * (replay_count // len(replay_examples) + 1))[:replay_count]
        examples += rng.sample(cycled, len(cycled))

    # 4. Train a LoRA adapter (checkpoint per epoch under work/, resumed if a run was interrupted).
    run_key = _run_key(document, loaded.name, config)
    work_dir = home / "work" / f"{document.doc_id}-{run_key}"
    model = attach_lora(loaded.model, config.lora)
    try:
        trainable, total = trainable_parameters(model)
        train = train_adapter(model, examples, config.train, work_dir / "checkpoints", progress)
        timings["train"] = train.seconds

        # 5. Write the store entry atomically.
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "doc_id": document.doc_id,
            "document_sha256": document.sha256,
            "title": document.title,
            "source": document.source,
            "characters": len(document.text),
            "tokens": document_tokens,
            "sentences": len(sentences),
            "base_model": loaded.name,
            "adapter": {"type": "lora", "trainable_parameters": trainable, "total_parameters": total},
            "config": config.to_dict(),
            "prompt_version": PROMPT_VERSION,
            "generator": generator.generator_id,
            "synthesis": {
                "sentences": synth.stats.sentences,
                "sentences_skipped_short": synth.stats.sentences_skipped_short,
                "generations": synth.stats.generations,
                "cache_hits": synth.stats.cache_hits,
                "qa_pairs_parsed": synth.stats.pairs_parsed,
                "qa_pairs_kept": synth.stats.pairs_kept,
                "rejected": synth.stats.rejected,
                "grounding_rate": round(synth.stats.grounding_rate, 4),
                "strict_grounding_rate": round(synth.stats.strict_grounding_rate, 4),
            },
            "training": {
                "examples": len(examples),
                "qa_examples": len(synth.pairs),
                "replay_examples": len(examples) - len(synth.pairs),
                "epochs": config.train.epochs,
                "steps": train.steps,
                "loss_per_epoch": [round(x, 5) for x in train.loss_per_epoch],
                "tokens": train.tokens,
                "tokens_per_second": round(train.tokens_per_second, 1),
                "precision": train.precision,
                "device": str(loaded.device),
                "resumed_from_epoch": train.resumed_from_epoch,
            },
            "timings_s": {k: round(v, 2) for k, v in timings.items()},
            "versions": _versions(),
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }

        def fill(staging: Path) -> None:
            model.save_pretrained(staging / "adapter")
            (staging / "document.txt").write_text(document.text, encoding="utf-8")
            dump_config(config, staging / "config.yaml")
            (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")

        entry = store.write(document.doc_id, fill, overwrite=force)
    finally:
        model.unload()  # give the caller back the plain base model
    shutil.rmtree(work_dir, ignore_errors=True)
    return LiftResult(entry=entry, manifest=manifest)


def _make_generator(config: LiftConfig, loaded: LoadedModel) -> TemplateGenerator | LocalGenerator:
    if config.synth.generator == "template":
        return TemplateGenerator(config.synth.qa_per_sentence)
    return LocalGenerator(
        loaded, config.synth.qa_per_sentence, config.synth.local_max_new_tokens, config.synth.local_batch_size
    )


def _run_key(document: Document, model_name: str, config: LiftConfig) -> str:
    """Checkpoints are only resumed by a run with the same document, model and config."""
    blob = json.dumps({"doc": document.sha256, "model": model_name, "config": config.training_dict()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in ("lift", "torch", "transformers", "peft"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "unknown"
    return versions
