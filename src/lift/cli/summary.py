"""What `lift train` and `lift demo` print about a lift, and the table of a batch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table

from lift.cli.common import err, out

if TYPE_CHECKING:
    from lift.corpus import CorpusResult
    from lift.store import Manifest


def print_lift_summary(manifest: Manifest, seconds: float) -> None:
    synth, training, adapter = manifest.synthesis, manifest.training, manifest.adapter
    rejected = ", ".join(f"{k} {v}" for k, v in synth.rejected.items()) or "none"
    failures = ", ".join(f"{k} {v}" for k, v in synth.request_failures.items())
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in manifest.timings_s.items())
    err.print(
        f"lifted '{manifest.title}' ({manifest.tokens} tokens, {manifest.sentences} sentences) in "
        f"{seconds:.0f}s ({'pipeline' if manifest.pipeline else 'sequential'}; {stages})\n"
        f"  generator {manifest.generator}: {synth.jobs} jobs, {synth.cache_hits} from cache, "
        f"{synth.requests} requests, {synth.retried} retried, {synth.failed} failed"
        f"{f' ({failures})' if failures else ''}; tokens in/out {synth.generator_tokens_in}/"
        f"{synth.generator_tokens_out}\n"
        f"  QA pairs: {synth.qa_pairs_kept}/{synth.qa_pairs_parsed} kept (aux {synth.aux_pairs_kept}), "
        f"rejected: {rejected}; grounding rate {synth.grounding_rate:.2f}\n"
        f"  training ({training.objective}, {adapter.type}, {adapter.trainable_parameters or 0:,} trainable "
        f"parameters): {training.examples} examples ({training.segments} segments), "
        f"{count(len(training.loss_per_epoch), 'epoch')} / {count(training.steps, 'step')}, loss "
        f"{losses(training.loss_per_epoch)}, {training.tokens:,} tokens "
        f"({training.tokens / max(1, manifest.tokens):.1f} per document token), "
        f"{training.tokens_per_second:.0f} tok/s ({training.precision})\n"
        + (f"  {teacher_summary(manifest)}\n" if training.teacher_examples else "")
        + f"  question gate (auto mode): {gate_summary(manifest)}"
        + (f"\n  {lineage_summary(manifest)}" if manifest.lineage else ""),
        highlight=False,
    )


def print_corpus_table(result: CorpusResult) -> None:
    table = Table(title=f"{len(result.items)} documents in {result.seconds:.0f}s")
    for column in ("document", "status", "id", "seconds", "error"):
        table.add_column(column)
    for item in result.items:
        seconds = f"{item.seconds:.0f}" if item.status == "lifted" else ""
        table.add_row(str(item.path), item.status, item.doc_id, seconds, item.error)
    out.print(table)
    out.print(f"lifted {result.count('lifted')}, skipped {result.count('skipped')}, failed {result.count('failed')}")


def teacher_summary(manifest: Manifest) -> str:
    """The distillation teacher's line: what it read and what came from the cache."""
    training = manifest.training
    return (
        f"teacher (context distillation, weight {manifest.config.get('distill', {}).get('weight')}): "
        f"{training.teacher_examples} examples, {training.teacher_cached} from cache, {training.teacher_tokens:,} "
        f"tokens read ({training.teacher_tokens / max(1, manifest.tokens):.1f} per document token)"
    )


def count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def losses(per_epoch: list[float]) -> str:
    """Each epoch's loss, or the first three and the last two of a long run."""
    shown = [f"{x:.3f}" for x in per_epoch]
    if len(shown) > 6:
        shown = [*shown[:3], "...", *shown[-2:]]
    return " -> ".join(shown)


def lineage_summary(manifest: Manifest) -> str:
    lineage = manifest.lineage
    assert lineage is not None
    return (
        f"update (version {lineage.version}) of {lineage.previous}: {len(lineage.changed_sentences)} changed "
        f"sentences got new QA, {lineage.replayed_sentences} unchanged ones replayed, "
        f"{lineage.removed_sentences} removed"
    )


def gate_summary(manifest: Manifest) -> str:
    gate = manifest.gate
    if gate is None:
        on = manifest.lift_config().infer.gate
        return "none, no synthetic questions to choose its threshold on" if on else "off (infer.gate)"
    scored = {
        "margin": "similarity to the document minus to general prompts",
        "margin+anchors": "similarity to the document or to whole-document questions minus to general prompts",
    }.get(gate.scoring, "similarity")
    return (
        f"threshold {gate.threshold:.3f} ({scored}), balanced accuracy {gate.balanced_accuracy:.2f} on "
        f"{gate.positives} synthetic questions vs {gate.negatives} general prompts; {gate.chunks} sentences compared"
    )
