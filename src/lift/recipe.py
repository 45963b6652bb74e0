"""Lift one document: the whole path, read top to bottom.

    document -> sentences -> synthetic QA (+ replay) ─┐
    document -> overlapping segments (per preset) ────┴> examples -> adapter training -> store entry
    document -> embedded chunks; synthetic questions vs replay prompts -> question gate (auto mode) -> store entry

train.objective picks the examples (QA, segments, contextualized segments, two stages, or a weighted mix);
adapter.type what is trained (LoRA, PiSSA, Gated Memory). With train.pipeline (the default) generation and
the first QA epoch overlap; stage-1 segment epochs run while the generator works. With infer.gate (the
default) the entry also holds the question gate with which the auto mode sends general questions to the base
model. Under torchrun (several processes, lift.train.distributed) process 0 generates first and the others
read its cache, every process trains its share of each step, and process 0 builds the gate and writes the
entry; the pipeline is off there. Everything expensive is resumable: each generation is committed to the
SQLite cache as it finishes, training checkpoints each epoch under $LIFT_HOME/work/, and the store entry
appears atomically at the end.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch

from lift.adapters import attach_adapter, learning_rate, resume_adapter
from lift.config import LiftConfig, dump_config, step_tokens
from lift.data import training_plan
from lift.data.contrast import contrast_pairs, restatements
from lift.data.examples import qa_example
from lift.data.objectives import segment_example
from lift.data.tasks import ExampleMaker
from lift.errors import LiftError
from lift.infer.gate import EMBEDDER, GATE_FILE, MAX_POSITIVES, FittedGate, evenly_spaced, fit_gate, require_embedder
from lift.models import LoadedModel, lift_home
from lift.pipeline import PairStream
from lift.progress import NullProgress, ProgressLike
from lift.store import AdapterRecord, Entry, GateRecord, Manifest, Store, TrainingRecord
from lift.store.manifest import MANIFEST_FILE
from lift.synth.cache import GenerationCache
from lift.synth.generate import build_jobs, generate_pairs
from lift.synth.generators import make_generator
from lift.synth.prompts import load_prompt
from lift.synth.replay import replay_pairs, replay_prompts
from lift.synth.stats import SynthesisReport
from lift.synth.types import QAPair
from lift.text import Document, split_sentences
from lift.train import NoExamplesError, train_adapter
from lift.train.distributed import barrier, is_main, main_first, world
from lift.update import plan_update
from lift.versions import package_versions


@dataclass
class LiftResult:
    entry: Entry
    manifest: Manifest


def lift_document(
    document: Document,
    loaded: LoadedModel,
    config: LiftConfig,
    *,
    force: bool = False,
    progress: ProgressLike | None = None,
    home: Path | None = None,
    previous: Entry | None = None,
) -> LiftResult:
    """Lift `document` into a store entry. `previous`: an earlier version of the document (lift train
    --update): train on from its adapter, with new QA for the changed sentences only (lift.update)."""
    processes = world()[1]
    progress = (progress or NullProgress()) if is_main() else NullProgress()
    home = home or lift_home()
    store = Store(home)
    if store.get(document.doc_id) is not None and not force:
        raise LiftError(f"document {document.doc_id} is already lifted; pass --force to replace it")
    if config.infer.gate:
        require_embedder()
    pipeline = config.train.pipeline and processes == 1  # several processes train on every example up front
    timings: dict[str, float] = {}
    random.seed(config.train.seed)
    torch.manual_seed(config.train.seed)
    lift_started = time.perf_counter()

    # 1. Text: sentences and token count.
    started = time.perf_counter()
    sentences = split_sentences(document.text)
    document_tokens = len(loaded.tokenizer(document.text, add_special_tokens=False)["input_ids"])
    update = None
    if previous is not None:
        previous_sentences = split_sentences(previous.document_text)
        update = plan_update(previous, previous_sentences, sentences, config)
    timings["read_and_split"] = time.perf_counter() - started

    train_config = config.train
    if update is not None and train_config.objective == "mix":  # segments would retrain the whole text
        train_config = dataclasses.replace(train_config, objective="qa")
    plan = training_plan(train_config, loaded.tokenizer, document.text, loaded.window, config.infer.system_prompt)
    if config.synth.contrast and plan.uses_qa:
        max_tokens = min(loaded.window, 4 * step_tokens(config.train.batch_tokens))
        plan.fixed += [
            qa_example(loaded.tokenizer, q, a, config.infer.system_prompt, max_tokens)
            for _, q, a in contrast_pairs(sentences)
        ]
    if config.synth.restatements and plan.uses_qa:
        plan.fixed += [
            segment_example(loaded.tokenizer, list(loaded.tokenizer(text, add_special_tokens=False)["input_ids"]))
            for _, text in restatements(sentences, config.synth.restatements)
        ]
    with GenerationCache(home / "cache.sqlite") as cache:
        # 2. Replay pairs: the base model's own answers to general prompts (cached per model), made while
        #    the base model has no adapter yet.
        started = time.perf_counter()
        replay = []
        if config.train.replay_ratio > 0 and plan.uses_qa:  # replay is mixed in with the QA examples
            with main_first():  # process 0 fills the cache, the others read it
                replay = replay_pairs(
                    loaded, cache, config.infer.system_prompt, config.train.replay_max_tokens, progress=progress
                )
        timings["replay"] = time.perf_counter() - started

        # 3. The document's own examples (segments) for the chosen preset, and synthetic QA pairs -> examples
        #    (replay mixed in). With the pipeline, a producer thread generates while the first QA epoch trains
        #    on the pairs as they arrive; without it, generation finishes first.
        generator, jobs = None, None
        if plan.uses_qa:
            generator = make_generator(config.synth, loaded, seed=config.train.seed, model_trains_meanwhile=pipeline)
            jobs = build_jobs(document.sha256, sentences, config.synth, generator)
            if update is not None:  # new QA for the changed sentences, the old QA of a sample of the others
                old_jobs = build_jobs(previous.manifest.document_sha256, previous_sentences, config.synth, generator)
                jobs = update.jobs(jobs, old_jobs)
        make_examples = ExampleMaker(loaded.tokenizer, config, replay, loaded.window, qa_weight=plan.qa_weight)
        questions: list[tuple[tuple[int, int], str]] = []  # (order, question) of every pair: the gate's positives

        def noted(pairs: Iterable[QAPair]) -> Iterator[QAPair]:
            for pair in pairs:
                questions.append((pair.order, pair.question))
                yield pair

        def produce(emit, should_stop=lambda: False) -> SynthesisReport:
            return generate_pairs(jobs, generator, cache, config.synth, emit, progress, should_stop)

        # 4. Train the adapter (checkpoint per epoch under work/, resumed if a run was interrupted).
        run_key = _run_key(document, loaded.name, config, previous.doc_id if previous else None)
        work_dir = home / "work" / f"{document.doc_id}-{run_key}"
        lr = learning_rate(config.train, config.adapter.type, processes)
        adapter = attach_adapter(loaded.model, config.adapter, config.lora)
        try:
            if previous is not None:
                resume_adapter(adapter, previous.adapter_dir)
            trainable, total = adapter.parameter_counts()
            checkpoints = work_dir / "checkpoints"
            schedule = {"fixed": plan.fixed, "stage1_epochs": plan.stage1_epochs, "lr": lr}
            try:
                if not plan.uses_qa:
                    stats = SynthesisReport()
                    train = train_adapter(adapter, [], config.train, checkpoints, progress, **schedule)
                elif pipeline:
                    pairs = PairStream(produce, config.train.queue_size).start()
                    try:
                        stream = make_examples.stream(noted(pairs))
                        expected = make_examples.expected(jobs.most_pairs)
                        train = train_adapter(
                            adapter, None, config.train, checkpoints, progress,
                            stream=stream, expected_examples=expected, **schedule,
                        )  # fmt: skip
                    finally:
                        pairs.close()
                    stats = pairs.stats
                    timings["trainer_wait"] = pairs.wait_seconds
                else:
                    collected: list[QAPair] = []
                    with main_first():  # process 0 generates into the cache, the others read it
                        stats = produce(collected.append)
                    ordered = sorted(collected, key=lambda pair: pair.order)
                    examples = [example for _, example in make_examples.stream(noted(ordered))]
                    train = train_adapter(adapter, examples, config.train, checkpoints, progress, **schedule)
            except NoExamplesError:
                raise _no_usable_pairs(len(sentences)) from None
            if plan.uses_qa and make_examples.qa_examples == 0:  # segments alone (mix) do not make answers
                raise _no_usable_pairs(len(sentences))
            assert stats is not None
            timings["generate"] = stats.seconds
            timings["train"] = train.seconds

            # 5. The question gate of the auto mode: the document's sentences embedded, and the threshold that
            #    best separates the synthetic questions (evenly spaced over the document) from the replay prompts.
            gate = None
            if not is_main():  # process 0 builds the gate and writes the entry
                barrier()
                entry = store.get(document.doc_id)
                if entry is None:
                    raise LiftError("process 0 did not write the store entry")
                return LiftResult(entry=entry, manifest=entry.manifest)
            if config.infer.gate:
                started = time.perf_counter()
                positives = evenly_spaced([q for _, q in sorted(questions)], MAX_POSITIVES)
                gate = fit_gate(sentences, positives, replay_prompts(), progress)  # split once, in step 1
                timings["gate"] = time.perf_counter() - started
            timings["total"] = time.perf_counter() - lift_started

            # 6. Write the store entry atomically.
            manifest = Manifest(
                doc_id=document.doc_id,
                document_sha256=document.sha256,
                title=document.title,
                source=document.source,
                characters=len(document.text),
                tokens=document_tokens,
                sentences=len(sentences),
                base_model=loaded.name,
                adapter=AdapterRecord(adapter.kind, trainable, total),
                config=config.to_dict(),
                prompts=_prompt_versions(config) if plan.uses_qa else {},
                generator=generator.generator_id if generator else None,
                pipeline=pipeline and plan.uses_qa,
                synthesis=stats,
                training=TrainingRecord(
                    objective=train_config.objective,
                    learning_rate=lr,
                    segments=len(plan.fixed),
                    segment_tokens=plan.segment_tokens,
                    segment_stride=plan.segment_stride,
                    stage1_epochs=plan.stage1_epochs,
                    examples=train.examples,
                    qa_examples=make_examples.qa_examples,
                    replay_examples=make_examples.replay_examples,
                    epochs=train.epochs,
                    steps=train.steps,
                    batch_tokens=train.batch_tokens,
                    processes=processes,
                    loss_per_epoch=[round(x, 5) for x in train.loss_per_epoch],
                    tokens=train.tokens,
                    tokens_per_second=round(train.tokens_per_second, 1),
                    precision=train.precision,
                    device=str(loaded.device),
                    resumed_from_epoch=train.resumed_from_epoch,
                ),
                gate=_gate_record(gate),
                lineage=update.lineage() if update else None,
                timings_s={k: round(v, 2) for k, v in timings.items()},
                versions=package_versions(),
                created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            )

            def fill(staging: Path) -> None:
                adapter.save(staging / "adapter")
                (staging / "document.txt").write_text(document.text, encoding="utf-8")
                if gate is not None:
                    gate.gate.save(staging / GATE_FILE)
                dump_config(config, staging / "config.yaml")
                manifest.write(staging / MANIFEST_FILE)

            entry = store.write(document.doc_id, fill, overwrite=force)
            barrier()  # the other processes wait for the entry
        finally:
            adapter.unload()  # give the caller back the plain base model
    shutil.rmtree(work_dir, ignore_errors=True)
    return LiftResult(entry=entry, manifest=manifest)


def _gate_record(fitted: FittedGate | None) -> GateRecord | None:
    if fitted is None:
        return None
    return GateRecord(
        threshold=fitted.gate.threshold,
        balanced_accuracy=round(fitted.balanced_accuracy, 4),
        positives=fitted.positives,
        negatives=fitted.negatives,
        chunks=fitted.chunks,
        embedder=EMBEDDER,
    )


def _prompt_versions(config: LiftConfig) -> dict[str, str]:
    versions = {"sentence": load_prompt(config.synth.prompt, "sentence").version}
    if config.synth.aux_tasks:
        versions["aux"] = load_prompt(config.synth.aux_prompt, "aux").version
    return versions


def _no_usable_pairs(sentences: int) -> LiftError:
    return LiftError(f"no usable QA pairs from {sentences} sentences; try --generator template or a longer document")


def _run_key(document: Document, model_name: str, config: LiftConfig, previous: str | None = None) -> str:
    """Checkpoints are only resumed by a run with the same document, model, config (and previous version)."""
    key = {"doc": document.sha256, "model": model_name, "config": config.training_dict()}
    blob = json.dumps({**key, "previous": previous} if previous else key, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]
