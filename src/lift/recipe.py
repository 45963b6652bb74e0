"""Lift one document: the whole path, read top to bottom.

    document -> sentences -> synthetic QA (+ replay) ─┐  (the generated source)
    document -> segments, restatements ───────────────┴> training data -> adapter training -> store entry
    document -> embedded sentences; synthetic questions vs replay prompts -> question gate (auto mode)

train.objective and the synth settings pick the sources (lift.data.sources); adapter.type what is trained.
With context distillation (the distill settings) the QA examples pass the teacher on their way to training: the
base model, adapter off, reading the document chunk of each question (lift.train.teacher).
With train.pipeline the first epoch trains on QA pairs as they are generated. With infer.gate the entry also
holds the question gate with which the auto mode sends general questions to the base model. Under torchrun
every process trains its share of each step; process 0 generates first, builds the gate and writes the entry
(lift.train.distributed.Processes). Everything expensive is resumable: each generation is committed to the
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
from dataclasses import dataclass
from pathlib import Path

import torch

from lift.adapters import attach_adapter, learning_rate, resume_adapter
from lift.config import LiftConfig, dump_config, lift_step_tokens, step_tokens
from lift.data import TrainingPlan, training_plan
from lift.data.distill import TeacherPrompts
from lift.data.sources import FixedSource, Source, TrainingData, gist_source, restatement_source
from lift.data.tasks import ExampleMaker
from lift.errors import LiftError
from lift.infer.gate import (
    EMBEDDER,
    GATE_FILE,
    MAX_POSITIVES,
    FittedGate,
    evenly_spaced,
    fit_gate,
    gate_units,
    require_embedder,
)
from lift.infer.rag import embed
from lift.models import LoadedModel, lift_home
from lift.pipeline import GeneratedQA
from lift.progress import NullProgress, ProgressLike
from lift.store import AdapterRecord, Entry, GateRecord, Manifest, Store
from lift.store.manifest import MANIFEST_FILE
from lift.synth.cache import GenerationCache
from lift.synth.generate import build_jobs, generate_pairs
from lift.synth.generators import make_generator
from lift.synth.gist import gist_pairs, parts
from lift.synth.gist_reader import ReaderAnswers, read_document
from lift.synth.prompts import load_prompt
from lift.synth.replay import replay_pairs, replay_prompts
from lift.synth.stats import SynthesisReport
from lift.text import Document, split_sentences
from lift.train import NoExamplesError, train_adapter
from lift.train.distributed import Processes
from lift.train.held_out import HeldOutRecall
from lift.train.precision import resolve_precision
from lift.train.teacher import DistilledSource, Teacher
from lift.update import UpdatePlan, plan_update


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
    processes = Processes()
    progress = progress if progress is not None and processes.main else NullProgress()
    home, started = home or lift_home(), time.perf_counter()
    store = Store(home)
    if store.get(document.doc_id) is not None and not force:
        raise LiftError(f"document {document.doc_id} is already lifted; pass --force to replace it")
    if config.infer.gate:
        require_embedder()
    if config.synth.gist:
        require_embedder("the whole-document tasks", "synth.gist")
    random.seed(config.train.seed)
    torch.manual_seed(config.train.seed)

    # 1. Text: sentences, tokens, what an update changes, and which sources the objective trains on.
    sentences = split_sentences(document.text)
    tokens = len(loaded.tokenizer(document.text, add_special_tokens=False)["input_ids"])
    update = plan_update(previous, split_sentences(previous.document_text), sentences, config) if previous else None
    run_config, config = config, _sized_steps(config, tokens)  # the manifest records the config as given
    plan = _training_plan(config, loaded, document, update)
    streaming = config.train.pipeline and processes.count == 1  # several processes need every example first
    timings: dict[str, float] = {"read_and_split": time.perf_counter() - started}
    with GenerationCache(home / "cache.sqlite") as cache:
        # 2. Training data: the document's own examples, then synthetic QA with replay (generated first, or
        #    streamed while the first epoch trains).
        qa = _generated_qa(document, sentences, loaded, config, plan, cache, update, progress, streaming, processes)
        sources: list[Source] = [
            FixedSource("segments", plan.fixed),
            *_study_sources(config, loaded, document, sentences, cache, timings, progress),
        ]

        # 3. Train the adapter (a checkpoint per epoch under work/, resumed if a run was interrupted); with
        #    context distillation the QA examples get the teacher's targets on their way to the loop.
        work_dir = home / "work" / f"{document.doc_id}-{_run_key(document, loaded.name, config, previous)}"
        lr = learning_rate(config.train, config.adapter.type, processes.count)
        adapter = attach_adapter(loaded.model, config.adapter, config.lora)
        teacher = _teacher(config, loaded, adapter, cache) if qa and config.distill_enabled else None
        recall = (
            HeldOutRecall(adapter, loaded, config, qa.make_examples) if qa and config.train.stop_at_recall else None
        )
        taught = [DistilledSource(qa, teacher, processes) if teacher else qa] if qa else []
        readings = qa.make_examples.readings() if qa else []
        data = TrainingData.from_sources([*sources, *taught], qa.expected if qa else 0, readings)
        try:
            if previous is not None:
                resume_adapter(adapter, previous.adapter_dir)
            try:
                until = recall.enough if recall else None
                train = train_adapter(adapter, data, config.train, work_dir / "checkpoints", progress,
                                      stage1_epochs=plan.stage1_epochs, lr=lr, until=until)  # fmt: skip
            except NoExamplesError:
                raise _no_usable_pairs(len(sentences)) from None
            finally:
                qa.close() if qa else None
            if qa is not None and qa.make_examples.qa_examples == 0:  # segments alone do not teach answers
                raise _no_usable_pairs(len(sentences))
            synthesis = qa.stats if qa else SynthesisReport()
            timings |= {"generate": synthesis.seconds, "train": train.seconds, **(qa.timings() if qa else {})}
            timings |= {"teacher": teacher.counters.seconds} if teacher else {}
            if not processes.main:  # process 0 builds the gate and writes the entry
                return _written_by_main(store, document, processes)

            # 4. The question gate of the auto mode: the document's sentences embedded, and the threshold that
            #    best separates the synthetic questions (evenly spaced over the document) from replay prompts.
            gate = _fit_gate(config, sentences, qa, progress, timings)
            timings["total"] = time.perf_counter() - started

            # 5. The store entry, written atomically.
            manifest = Manifest.from_run(
                document, base_model=loaded.name, config=run_config, adapter=AdapterRecord(adapter.kind,
                *adapter.parameter_counts()), plan=plan, train=train, synthesis=synthesis, sentences=len(sentences),
                tokens=tokens, gate=_gate_record(gate), lineage=update.lineage() if update else None, timings=timings,
                training={"objective": plan.objective, "learning_rate": lr, "processes": processes.count,
                          "device": str(loaded.device), **(qa.counts() if qa else {}), **_teacher_counts(teacher),
                          **(recall.record(train) if recall else {})},
                generator=qa.generator_id if qa else None, prompts=_prompt_versions(config) if qa else {},
                pipeline=streaming and qa is not None,
            )  # fmt: skip
            entry = store.write(document.doc_id, _entry_files(adapter, document, gate, run_config, manifest), force)
            processes.barrier()  # the other processes wait for the entry
        finally:
            adapter.unload()  # give the caller back the plain base model
    shutil.rmtree(work_dir, ignore_errors=True)
    return LiftResult(entry=entry, manifest=manifest)


def _sized_steps(config: LiftConfig, document_tokens: int) -> LiftConfig:
    """The config with this lift's step size written in (train.target_steps sizes auto steps per document)."""
    batch_tokens = lift_step_tokens(config.train, document_tokens)
    if batch_tokens == step_tokens(config.train.batch_tokens):
        return config
    return dataclasses.replace(config, train=dataclasses.replace(config.train, batch_tokens=batch_tokens))


def _training_plan(config: LiftConfig, loaded: LoadedModel, document: Document, update: UpdatePlan | None):
    """The objective's segments and schedule; an update of a mix lift trains QA alone (segments would train
    the whole text again)."""
    train_config = config.train
    if update is not None and train_config.objective == "mix":
        train_config = dataclasses.replace(train_config, objective="qa")
    return training_plan(train_config, loaded.tokenizer, document.text, loaded.window, config.infer.system_prompt)


def _teacher(config: LiftConfig, loaded: LoadedModel, adapter, cache: GenerationCache) -> Teacher:
    """The distillation teacher: the base model under the adapter, in the precision training runs in."""
    precision = resolve_precision(config.train.precision, loaded.device)
    return Teacher(adapter, loaded.tokenizer, loaded.name, config.distill.top_k, precision, cache,
                   answer_tokens=config.distill.teacher_max_tokens)  # fmt: skip


def _teacher_counts(teacher: Teacher | None) -> dict[str, int]:
    if teacher is None:
        return {}
    counters = teacher.counters
    return {"teacher_tokens": counters.tokens, "teacher_examples": counters.examples, "teacher_cached": counters.cached}


def _study_sources(
    config: LiftConfig,
    loaded: LoadedModel,
    document: Document,
    sentences: list[str],
    cache: GenerationCache,
    timings: dict[str, float],
    progress: ProgressLike,
) -> list[Source]:
    """Restatements of the sentences as text (synth.restatements) and the whole-document tasks (synth.gist),
    beside the QA."""
    sources: list[Source] = []
    if config.synth.restatements:
        sources.append(restatement_source(loaded.tokenizer, sentences, config.synth.restatements))
    if config.synth.gist:
        units = gate_units(sentences)
        read = ReaderAnswers()
        if len(units) >= 2:  # the base model reads the document (adapter not attached yet)
            started = time.perf_counter()
            part_texts = [" ".join(units[i] for i in part) for part in parts(units)]
            read = read_document(loaded, cache, document.text, part_texts, config.infer.base_system_prompt, progress)
            timings["gist_reading"] = time.perf_counter() - started
        pairs = gist_pairs(units, embed(units), document.sha256, read.answers, read.parts) if units else []
        most = min(loaded.window, 4 * step_tokens(config.train.batch_tokens))
        sources.append(gist_source(loaded.tokenizer, pairs, config.infer.system_prompt, most))
    return sources


def _generated_qa(
    document: Document,
    sentences: list[str],
    loaded: LoadedModel,
    config: LiftConfig,
    plan: TrainingPlan,
    cache: GenerationCache,
    update: UpdatePlan | None,
    progress: ProgressLike,
    streaming: bool,
    processes: Processes,
) -> GeneratedQA | None:
    """The QA source of an objective that trains on QA: the base model's replay answers (made while it has no
    adapter yet, cached per model), the generator's jobs for the document (or an update's share of them)."""
    if not plan.uses_qa:
        return None
    replay = []
    if config.train.replay_ratio > 0:
        with processes.main_first():  # process 0 fills the cache, the others read it
            replay = replay_pairs(loaded, cache, config.infer.base_system_prompt, config.train.replay_max_tokens,
                                  progress=progress, prompts_file=config.train.replay_prompts)  # fmt: skip
    generator = make_generator(config.synth, loaded, seed=config.train.seed, model_trains_meanwhile=streaming)
    jobs = build_jobs(document.sha256, sentences, config.synth, generator)
    if update is not None:  # new QA for the changed sentences, the old QA of a sample of the others
        previous_sentences = split_sentences(update.previous.document_text)
        jobs = update.jobs(jobs, build_jobs(update.previous.manifest.document_sha256, previous_sentences,
                                            config.synth, generator))  # fmt: skip
    teacher_prompts = None
    if config.distill_enabled:
        teacher_prompts = TeacherPrompts.for_document(loaded.tokenizer, sentences, config.distill.context_tokens,
                                                      config.infer.base_system_prompt, loaded.window)  # fmt: skip
    make_examples = ExampleMaker(loaded.tokenizer, config, replay, loaded.window, plan.qa_weight, teacher_prompts,
                                 document=document.text)  # fmt: skip

    def produce(emit, should_stop=lambda: False) -> SynthesisReport:
        return generate_pairs(jobs, generator, cache, config.synth, emit, progress, should_stop)

    return GeneratedQA(
        produce, make_examples, generator.generator_id, make_examples.expected(jobs.most_pairs), streaming,
        config.train.queue_size, processes,
    )  # fmt: skip


def _fit_gate(config, sentences, qa, progress, timings) -> FittedGate | None:
    if not config.infer.gate:
        return None
    started = time.perf_counter()
    positives = evenly_spaced([q for _, q in sorted(qa.questions)] if qa else [], MAX_POSITIVES)
    gate = fit_gate(sentences, positives, replay_prompts(config.train.replay_prompts), progress)
    timings["gate"] = time.perf_counter() - started
    return gate


def _entry_files(adapter, document: Document, gate: FittedGate | None, config: LiftConfig, manifest: Manifest):
    def fill(staging: Path) -> None:
        adapter.save(staging / "adapter")
        (staging / "document.txt").write_text(document.text, encoding="utf-8")
        if gate is not None:
            gate.gate.save(staging / GATE_FILE)
        dump_config(config, staging / "config.yaml")
        manifest.write(staging / MANIFEST_FILE)

    return fill


def _written_by_main(store: Store, document: Document, processes: Processes) -> LiftResult:
    processes.barrier()
    entry = store.get(document.doc_id)
    if entry is None:
        raise LiftError("process 0 did not write the store entry")
    return LiftResult(entry=entry, manifest=entry.manifest)


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
        scoring=_gate_scoring(fitted.gate),
    )


def _gate_scoring(gate) -> str:
    if gate.general_vectors is None:
        return "similarity"
    return "margin+anchors" if gate.anchor_vectors is not None else "margin"


def _prompt_versions(config: LiftConfig) -> dict[str, str]:
    versions = {"sentence": load_prompt(config.synth.prompt, "sentence").version}
    if config.synth.aux_tasks:
        versions["aux"] = load_prompt(config.synth.aux_prompt, "aux").version
    return versions


def _no_usable_pairs(sentences: int) -> LiftError:
    return LiftError(f"no usable QA pairs from {sentences} sentences; try --generator template or a longer document")


def _run_key(document: Document, model_name: str, config: LiftConfig, previous: Entry | None = None) -> str:
    """Checkpoints are only resumed by a run with the same document, model, config (and previous version)."""
    key = {"doc": document.sha256, "model": model_name, "config": config.training_dict()}
    blob = json.dumps({**key, "previous": previous.doc_id} if previous else key, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


__all__ = ["LiftResult", "TrainingPlan", "lift_document"]
