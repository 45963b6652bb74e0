"""The manifest of a store entry: what was lifted, how, and what it cost, as one typed record.

`manifest.json` holds `Manifest.to_dict()`. `Manifest.from_dict` reads every version written so far: the
first ones lack some sections and counts, which then read as their defaults, and keys this version does not
know are kept in `extra` so that `lift show` still prints them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from lift.config import LiftConfig
from lift.errors import LiftError
from lift.synth.stats import SynthesisReport
from lift.versions import package_versions

if TYPE_CHECKING:  # the store is read without torch (lift list, show)
    from lift.data.objectives import TrainingPlan
    from lift.text.documents import Document
    from lift.train.loop import TrainResult

MANIFEST_VERSION = 1
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True)
class AdapterRecord:
    type: str  # lora | pissa | gated_memory
    trainable_parameters: int | None = None
    total_parameters: int | None = None


@dataclass(frozen=True)
class TrainingRecord:
    objective: str = "qa"
    learning_rate: float | None = None
    segments: int = 0  # document segments trained beside the QA (by the objective)
    segment_tokens: int | None = None
    segment_stride: int | None = None
    stage1_epochs: int = 0
    examples: int = 0  # per epoch
    qa_examples: int = 0
    replay_examples: int = 0
    context_examples: int = 0  # train.qa_context_share: rows of questions asked after the document's cut
    epochs: int = 0
    steps: int = 0
    batch_tokens: int = 0  # tokens per step (of the last epoch): train.batch_tokens, or what 0 (auto) chose
    processes: int = 1  # data-parallel training processes (torchrun)
    loss_per_epoch: list[float] = field(default_factory=list)
    tokens: int = 0
    tokens_per_second: float = 0.0
    precision: str = "fp32"
    device: str = "cpu"
    resumed_from_epoch: int = 0
    teacher_tokens: int = 0  # tokens through the distillation teacher (its document chunks once per row)
    teacher_examples: int = 0  # examples given teacher targets
    teacher_cached: int = 0  # of them read from the cache
    held_out_questions: int = 0  # train.stop_at_recall: synthetic pairs kept out of training
    held_out_recall: list[float] = field(default_factory=list)  # their share answered after each epoch
    stopped_early: bool = False


@dataclass(frozen=True)
class GateRecord:
    """The question gate of the auto mode (lift.infer.gate); its chunk vectors are the entry's gate file."""

    threshold: float  # a question scoring at or above it is answered by the adapter
    balanced_accuracy: float = 0.0  # on the questions the threshold was chosen on
    positives: int = 0  # synthetic questions about the document
    negatives: int = 0  # general replay prompts
    chunks: int = 0
    embedder: str = "all-MiniLM-L6-v2"
    # "margin+anchors": the higher of the similarity to the document and to whole-document questions ("What is
    # this essay about?"), minus the similarity to the general prompts (issue P, 2026-12-06); "margin": to the
    # document alone minus to the general prompts; "similarity": to the document alone (before 2026-12-04)
    scoring: str = "similarity"


@dataclass(frozen=True)
class LineageRecord:
    """Where an updated entry (`lift train --update`) comes from: it was trained on from the previous version's
    adapter, with new QA for the changed sentences and a sample of the old ones."""

    previous: str  # the previous version's document id
    version: int = 2  # 1 is a first lift
    changed_sentences: list[int] = field(default_factory=list)  # indices in this version's sentences
    removed_sentences: int = 0  # sentences of the previous version that are gone
    replayed_sentences: int = 0  # unchanged sentences whose QA was trained again


@dataclass(frozen=True)
class Manifest:
    doc_id: str
    base_model: str
    adapter: AdapterRecord
    document_sha256: str = ""
    title: str = ""
    source: str | None = None
    characters: int = 0
    tokens: int = 0
    sentences: int = 0
    config: dict = field(default_factory=dict)  # LiftConfig.to_dict() of the lift
    prompts: dict[str, str] = field(default_factory=dict)  # prompt kind -> template version
    generator: str | None = None
    pipeline: bool = False
    synthesis: SynthesisReport = field(default_factory=SynthesisReport)
    training: TrainingRecord = field(default_factory=TrainingRecord)
    gate: GateRecord | None = None  # None: lifted without a question gate (infer.gate off, or before it existed)
    lineage: LineageRecord | None = None  # None: a first lift, not an update
    timings_s: dict[str, float] = field(default_factory=dict)  # stage -> seconds
    versions: dict[str, str] = field(default_factory=dict)  # package -> version
    created: str = ""  # ISO 8601, UTC
    manifest_version: int = MANIFEST_VERSION
    extra: dict = field(default_factory=dict)  # stored keys this version does not know

    @property
    def version(self) -> int:
        return self.lineage.version if self.lineage else 1

    @property
    def lift_seconds(self) -> float:
        """The whole lift. Stages overlap in the pipeline, so the total is measured; older manifests have no
        total and ran their stages one after the other: their sum."""
        return self.timings_s.get("total", sum(self.timings_s.values()))

    def lift_config(self) -> LiftConfig:
        """The settings the document was lifted with (the defaults of this version for fields added since)."""
        return LiftConfig.from_dict(self.config)

    @classmethod
    def from_run(
        cls,
        document: Document,
        *,
        base_model: str,
        config: LiftConfig,
        adapter: AdapterRecord,
        plan: TrainingPlan,
        train: TrainResult,
        training: dict,
        synthesis: SynthesisReport,
        sentences: int,
        tokens: int,
        gate: GateRecord | None,
        lineage: LineageRecord | None,
        timings: dict[str, float],
        **run: object,
    ) -> Manifest:
        """The record of a finished lift: the document, the config, what synthesis and training did (`training`:
        the TrainingRecord fields the train result does not know: objective, learning_rate, qa_examples,
        replay_examples, processes, device) and what each stage took. `run`: generator, prompts, pipeline."""
        return cls(
            doc_id=document.doc_id,
            document_sha256=document.sha256,
            title=document.title,
            source=document.source,
            characters=len(document.text),
            tokens=tokens,
            sentences=sentences,
            base_model=base_model,
            adapter=adapter,
            config=config.to_dict(),
            synthesis=synthesis,
            training=TrainingRecord(
                segments=len(plan.fixed),
                segment_tokens=plan.segment_tokens,
                segment_stride=plan.segment_stride,
                stage1_epochs=plan.stage1_epochs,
                examples=train.examples,
                epochs=train.epochs,
                steps=train.steps,
                batch_tokens=train.batch_tokens,
                loss_per_epoch=[round(x, 5) for x in train.loss_per_epoch],
                tokens=train.tokens,
                tokens_per_second=round(train.tokens_per_second, 1),
                precision=train.precision,
                resumed_from_epoch=train.resumed_from_epoch,
                **training,  # type: ignore[arg-type]
            ),
            gate=gate,
            lineage=lineage,
            timings_s={k: round(v, 2) for k, v in timings.items()},
            versions=package_versions(),
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **run,  # type: ignore[arg-type]
        )

    def to_dict(self) -> dict:
        stored = {"manifest_version": self.manifest_version}
        for item in fields(self):
            if item.name not in ("manifest_version", "extra"):
                value = getattr(self, item.name)
                if hasattr(value, "to_dict"):
                    stored[item.name] = value.to_dict()
                else:
                    stored[item.name] = asdict(value) if hasattr(value, "__dataclass_fields__") else value
        return {**stored, **self.extra}

    @classmethod
    def from_dict(cls, stored: dict) -> Manifest:
        version = stored.get("manifest_version", 0)
        if version > MANIFEST_VERSION:
            raise LiftError(
                f"manifest version {version} of document {stored.get('doc_id')} is newer than this lift reads "
                f"({MANIFEST_VERSION}); upgrade lift"
            )
        missing = [key for key in ("doc_id", "base_model", "adapter") if key not in stored]
        if missing:
            raise LiftError(f"manifest of document {stored.get('doc_id', '?')} lacks {', '.join(missing)}")
        known = {item.name for item in fields(cls)} - {"extra"}
        values = {key: value for key, value in stored.items() if key in known}
        values["adapter"] = _record(AdapterRecord, stored["adapter"])
        values["synthesis"] = SynthesisReport.from_dict(stored.get("synthesis", {}))
        values["training"] = _record(TrainingRecord, stored.get("training", {}))
        values["gate"] = _record(GateRecord, stored["gate"]) if stored.get("gate") else None
        values["lineage"] = _record(LineageRecord, stored["lineage"]) if stored.get("lineage") else None
        values["manifest_version"] = version
        return cls(**values, extra={key: value for key, value in stored.items() if key not in known})

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise LiftError(f"{path} is not valid JSON ({error}); remove the entry with `lift rm`") from None
        return cls.from_dict(stored)


def _record(kind: type, stored: dict):
    known = {item.name for item in fields(kind)}
    return kind(**{key: value for key, value in stored.items() if key in known})
