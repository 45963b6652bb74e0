"""Run a suite: every question in every mode, one results row each, written as soon as it exists.

    items grouped by document -> base modes -> (lift once, or reuse the store's adapter) -> adapter modes

auto answers each question as lift_only or as no_context (adapter off), as the entry's question gate routes
it; its rows say where (`route`, `gate_score`). Where that mode has answered the same question in this folder
(the same prompt, greedy decoding), auto takes its answer instead of generating it again (`reused_answer`). A
stored entry without a gate is lifted again for auto when infer.gate is on (else auto answers everything with
the adapter).

Resumable: rows already in results.jsonl are skipped, a torn last line (a killed write) is dropped, lifting
resumes from its own checkpoints, and a document already lifted with the same training settings is reused.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lift.adapters import load_adapter
from lift.config import LiftConfig, training_sections
from lift.eval.items import EvalItem, score_prediction
from lift.eval.results import DOCUMENTS, RESULTS, EvalRow, append_rows, read_results
from lift.infer import ADAPTER_MODES, MODES, RAG_RETRIEVERS, build_prompt_ids
from lift.infer.candidates import Choosing, beams_for, chosen_after_prefix, chosen_batch
from lift.infer.gate import load_gate, route_questions
from lift.infer.generation import shared_prefix_length
from lift.infer.modes import lift_icl_reads_frozen, question_overhead, reading_length, system_for
from lift.infer.names import GATED_MODES, ICL_MODES
from lift.infer.rag import Retriever, retrieved_context
from lift.models import LoadedModel, lift_home
from lift.progress import NullProgress, ProgressLike
from lift.recipe import lift_document
from lift.store import Entry, Manifest, Store
from lift.text import Document

PROMPT_TOKEN_BUDGET = 16384  # prompt tokens per generate() batch: long ICL prompts go a few at a time
SHARED_PREFIX_TOKENS = 1024  # prompts sharing this long a start read it once (shorter ones batch better)


@dataclass
class EvalRun:
    out_dir: Path
    rows: list[EvalRow]
    new_rows: int
    lifted: int  # documents trained in this run
    reused: int  # documents whose adapter came from the store


def same_training(manifest: Manifest, config: LiftConfig, model_name: str) -> bool:
    """Same base model and the same training settings; settings that only change speed (concurrency, queue
    size, ...) do not count, and a manifest from a version that lacked a setting does not match."""
    return manifest.base_model == model_name and training_sections(manifest.config) == config.training_dict()


def ensure_lifted(
    document: Document,
    loaded: LoadedModel,
    config: LiftConfig,
    home: Path,
    progress: ProgressLike,
    needs_gate: bool = False,
) -> tuple[Entry, bool]:
    """The store's adapter for this document if it was trained with these settings (and, with `needs_gate` and
    infer.gate on, has a question gate), else a fresh lift. Returns (entry, reused)."""
    entry = Store(home).get(document.doc_id)
    if entry is not None and same_training(entry.manifest, config, loaded.name):
        if not (needs_gate and config.infer.gate and entry.manifest.gate is None):
            return entry, True
    # force: the entry found (or one another process stores while this lift trains) is not one to keep
    result = lift_document(document, loaded, config, force=True, progress=progress, home=home)
    return result.entry, False


def run_eval(
    items: list[EvalItem],
    modes: list[str],
    loaded: LoadedModel,
    config: LiftConfig,
    out_dir: Path,
    *,
    progress: ProgressLike | None = None,
    home: Path | None = None,
    judge: Callable[[EvalItem, str], float | None] | None = None,
) -> EvalRun:
    for mode in modes:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode}")
    progress = progress or NullProgress()
    home = home or lift_home()
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / RESULTS
    rows = read_results(results_path)
    done = {r.key for r in rows}
    answered = {r.key: r for r in rows}  # auto reuses the lift_only / no_context answer to the same question
    documents_path = out_dir / DOCUMENTS
    documents = json.loads(documents_path.read_text(encoding="utf-8")) if documents_path.is_file() else {}

    by_document: dict[str, list[EvalItem]] = {}
    for item in items:
        by_document.setdefault(item.document.doc_id, []).append(item)
    pending_total = sum((i.suite, i.item_id, m) not in done for i in items for m in modes)
    overall = progress.task(f"eval {items[0].suite if items else ''}", total=pending_total, unit="answers")
    new_rows = lifted = reused = 0

    for doc_items in by_document.values():
        document = doc_items[0].document
        pending = {m: [i for i in doc_items if (i.suite, i.item_id, m) not in done] for m in modes}
        if not any(pending.values()):
            continue
        retrievers: dict[str, Retriever] = {}
        base_modes = [m for m in modes if m not in ADAPTER_MODES and pending[m]]
        adapter_modes = [m for m in modes if m in ADAPTER_MODES and pending[m]]
        # Base modes first: their answers are on disk before the (long) lift starts.
        for model_modes, needs_adapter in ((base_modes, False), (adapter_modes, True)):
            if not model_modes:
                continue
            adapter = None
            if needs_adapter:
                needs_gate = "auto" in model_modes
                adapter, was_reused = ensure_lifted(document, loaded, config, home, progress, needs_gate)
                reused += was_reused
                lifted += not was_reused
                documents[document.doc_id] = _document_record(adapter, was_reused)
                documents_path.write_text(json.dumps(documents, indent=2), encoding="utf-8")
            handle = load_adapter(loaded.model, adapter.adapter_dir) if adapter else None
            model = handle.model if handle is not None else loaded.model
            try:
                for mode in model_modes:
                    answers = _answer_mode(handle, model, loaded, config, mode, pending[mode], adapter, retrievers,
                                           answered)  # fmt: skip
                    for batch_rows in answers:
                        if judge is not None:
                            for row, item in batch_rows:
                                row.scores["judge"] = judge(item, row.prediction)
                        append_rows(results_path, [row for row, _ in batch_rows])
                        rows.extend(row for row, _ in batch_rows)
                        answered.update((row.key, row) for row, _ in batch_rows)
                        new_rows += len(batch_rows)
                        overall.advance(len(batch_rows))
            finally:
                if handle is not None:
                    handle.unload()
    overall.done()
    return EvalRun(out_dir=out_dir, rows=rows, new_rows=new_rows, lifted=lifted, reused=reused)


def _answer_mode(handle, model, loaded: LoadedModel, config: LiftConfig, mode: str, items, entry, retrievers,
                 answered: dict[tuple[str, str, str], EvalRow] | None = None):  # fmt: skip
    """Yield lists of (row, item), one list per generate() batch; auto in two groups, as the gate routes, each
    question that its route's mode already answered (in `answered`) taken from there."""
    if mode != "auto":
        frozen = mode == "lift_icl" and entry is not None
        frozen = frozen and lift_icl_reads_frozen(entry.manifest.lift_config().train, config.infer.lift_icl_reading)
        read_prefix = handle.disabled if frozen else None
        yield from _answer(model, loaded, config, mode, items, entry, retrievers, read_prefix=read_prefix)
        return
    answered = answered or {}
    routes = route_questions(load_gate(entry.path, entry.manifest.gate), [item.question for item in items])
    for route in ("adapter", "base"):
        chosen = [(item, score) for item, (r, score) in zip(items, routes, strict=True) if r == route]
        if not chosen:
            continue
        scores = {id(item): score for item, score in chosen}
        same = {id(i): answered.get((i.suite, i.item_id, GATED_MODES[route])) for i, _ in chosen}
        reused = [(_reused_row(item, same[id(item)], entry), item) for item, _ in chosen if same[id(item)]]
        routed = [i for i, _ in chosen if not same[id(i)]]
        if reused:
            yield _routed(reused, route, scores)
        if routed:
            with handle.disabled() if route == "base" else contextlib.nullcontext():
                for batch_rows in _answer(model, loaded, config, mode, routed, entry, retrievers, GATED_MODES[route]):
                    yield _routed(batch_rows, route, scores)


def _routed(batch_rows: list, route: str, scores: dict) -> list:
    for row, item in batch_rows:
        row.route = route
        row.gate_score = None if scores[id(item)] is None else round(scores[id(item)], 4)
        if route == "base":
            row.adapter = None
    return batch_rows


def _reused_row(item: EvalItem, same: EvalRow, entry) -> EvalRow:
    """auto's row from the answer its route's mode gave the same question."""
    row = _row(item, "auto", [], same.prediction, 0.0, 1, entry)
    row.prompt_tokens = same.prompt_tokens
    row.extra["reused_answer"] = same.mode
    return row


def _answer(model, loaded: LoadedModel, config: LiftConfig, mode: str, items: list[EvalItem], entry, retrievers,
            answering: str | None = None, read_prefix=None):  # fmt: skip
    """Yield lists of (row, item), one list per generate() batch. `answering`: the mode auto's route answers in.
    `read_prefix`: the adapter's `disabled` for an adapter that continues the base model's reading of the cut
    (lift_icl, train.context_reading frozen): the document is read once with it, the questions after it."""
    tokenizer = loaded.tokenizer
    system = system_for(answering or mode, config.infer.system_prompt, config.infer.base_system_prompt)
    beams = beams_for(answering or mode, config.infer.beams)
    prompts = []
    # icl / lift_icl: every question gets the same cut of the document, so their prompts share a long start
    room = max((question_overhead(tokenizer, i.question, system) for i in items), default=0) if mode in ICL_MODES else 0
    for item in items:
        max_new = item.max_new_tokens or config.infer.max_new_tokens
        text = item.document.text
        if mode in RAG_RETRIEVERS:
            kind = RAG_RETRIEVERS[mode]
            if kind not in retrievers:
                retrievers[kind] = Retriever(text, kind, config.rag.chunk_tokens)
            text = retrieved_context(retrievers[kind], item.question, config.rag.top_k)
        ids = build_prompt_ids(tokenizer, item.question, mode, text, loaded.window, max_new, system, room_for=room,
                               context_tokens=config.infer.context_tokens)  # fmt: skip
        prompts.append((item, ids, max_new))
    by_length: dict[int, list] = {}
    for prompt in prompts:
        by_length.setdefault(prompt[2], []).append(prompt)
    for max_new, group in by_length.items():
        shared = shared_prefix_length([ids for _, ids, _ in group]) if len(group) > 1 else 0
        if read_prefix is not None:  # the reading ends where the document does, whatever the questions share
            reading = reading_length(tokenizer, group[0][1])
            shared = reading if reading and all(ids[:reading] == group[0][1][:reading] for _, ids, _ in group) else 0
            if not shared:
                raise ValueError("lift_icl prompts on a frozen reading must share the document's cut")
        if shared >= SHARED_PREFIX_TOKENS or (read_prefix is not None and shared):
            # read the document once, then each question's tail: one prefill instead of one per question
            started, done = time.perf_counter(), 0
            # a CPU pays per row for every cached token at each step (4 questions after an 8k prefix: 118 s in
            # batches of 4, 99 s one at a time), where a GPU gains from reading the weights once for the batch
            rows = 1 if loaded.device.type == "cpu" else 8
            prompt_ids, questions = [ids for _, ids, _ in group], [item.question for item, _, _ in group]
            written = chosen_after_prefix(
                model, tokenizer, prompt_ids, questions, max_new, shared, beams, Choosing.of(config.infer), rows,
                read_prefix,
            )  # fmt: skip
            for answers in written:
                batch = group[done : done + len(answers)]
                seconds, started = (time.perf_counter() - started) / len(batch), time.perf_counter()
                done += len(batch)
                yield [
                    (_row(item, mode, ids, answer.text, seconds, len(batch), entry), item)
                    for (item, ids, _), answer in zip(batch, answers, strict=True)
                ]
            continue
        group.sort(key=lambda p: len(p[1]))
        start = 0
        while start < len(group):
            batch = [group[start]]
            while (
                start + len(batch) < len(group)
                and len(batch) < 8
                and (len(batch) + 1) * len(group[start + len(batch)][1]) <= PROMPT_TOKEN_BUDGET
            ):
                batch.append(group[start + len(batch)])
            start += len(batch)
            started = time.perf_counter()
            batch_ids, questions = [ids for _, ids, _ in batch], [item.question for item, _, _ in batch]
            texts = chosen_batch(model, tokenizer, batch_ids, questions, max_new, beams, Choosing.of(config.infer),
                                 batch_size=len(batch))  # fmt: skip
            seconds = (time.perf_counter() - started) / len(batch)
            yield [
                (_row(item, mode, ids, text, seconds, len(batch), entry), item)
                for (item, ids, _), text in zip(batch, texts, strict=True)
            ]


def _row(item: EvalItem, mode: str, ids: list[int], prediction: str, seconds: float, batch: int, entry) -> EvalRow:
    return EvalRow(
        suite=item.suite,
        item_id=item.item_id,
        mode=mode,
        doc_id=item.document.doc_id,
        document_title=item.document.title,
        question=item.question,
        prediction=prediction,
        references=item.references,
        scores=score_prediction(item, prediction),
        group=item.group,
        prompt_tokens=len(ids),
        seconds=round(seconds, 3),
        batch_size=batch,
        adapter=None if entry is None or mode not in ADAPTER_MODES else entry.doc_id,
    )


def _document_record(entry: Entry, reused: bool) -> dict:
    manifest = entry.manifest
    synthesis = manifest.synthesis
    return {
        "title": manifest.title,
        "tokens": manifest.tokens,
        "sentences": manifest.sentences,
        "qa_pairs_parsed": synthesis.qa_pairs_parsed,
        "qa_pairs_kept": synthesis.qa_pairs_kept,
        "grounding_rate": synthesis.grounding_rate,
        "strict_grounding_rate": synthesis.strict_grounding_rate,
        "generator": manifest.generator,
        "train_seconds": manifest.timings_s.get("train"),
        "adapter": manifest.adapter.type,
        "trainable_parameters": manifest.adapter.trainable_parameters,
        "objective": manifest.training.objective,
        "lift_seconds": round(manifest.lift_seconds, 2),
        "gate_threshold": manifest.gate.threshold if manifest.gate else None,
        "train_tokens_per_second": manifest.training.tokens_per_second,
        "train_tokens": manifest.training.tokens,  # all epochs, a resumed lift's earlier ones too
        "teacher_tokens": manifest.training.teacher_tokens,  # context distillation: tokens the teacher read
        "created": manifest.created,
        "reused_from_store": reused,
    }
