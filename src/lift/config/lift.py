"""LiftConfig: every section in order, its validation, and what its fields say (help, roles, the settings
that decide what an adapter learns)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from typing import Any

from lift.config.adapter import ADAPTERS, AdapterConfig, LoraConfig
from lift.config.coerce import _build_section
from lift.config.distill import DISTILL_TARGETS, DistillConfig
from lift.config.eval import (
    GENERAL_SPLITS,
    GIST_SPLITS,
    NIAH_NEEDLES,
    PARAPHRASE_SPLITS,
    REWORDING_SPLITS,
    SQUAD_SPLITS,
    EvalConfig,
)
from lift.config.infer import LIFT_ICL_READINGS, InferConfig, RagConfig
from lift.config.model import DEVICES, ModelConfig
from lift.config.serve import ServeConfig
from lift.config.synth import AUX_ANSWERS, GENERATORS, GROUNDING, TEMPLATE_FORMS, SynthConfig
from lift.config.train import CONTEXT_READINGS, OBJECTIVES, PACKED_KERNELS, PRECISIONS, TrainConfig
from lift.errors import LiftError


@dataclass
class LiftConfig:
    model: ModelConfig = field(default_factory=ModelConfig, metadata={"help": "Base model.", "role": "learns"})
    synth: SynthConfig = field(
        default_factory=SynthConfig, metadata={"help": "Synthetic task generation.", "role": "learns"}
    )
    adapter: AdapterConfig = field(default_factory=AdapterConfig, metadata={"help": "Adapter type.", "role": "learns"})
    lora: LoraConfig = field(
        default_factory=LoraConfig, metadata={"help": "LoRA and PiSSA adapters.", "role": "learns"}
    )
    train: TrainConfig = field(default_factory=TrainConfig, metadata={"help": "Training.", "role": "learns"})
    distill: DistillConfig = field(
        default_factory=DistillConfig,
        metadata={"help": "Context distillation (teacher: the base model reading the document).", "role": "learns"},
    )
    infer: InferConfig = field(default_factory=InferConfig, metadata={"help": "Answering.", "role": "serves"})
    rag: RagConfig = field(
        default_factory=RagConfig, metadata={"help": "Retrieval baseline (rag modes).", "role": "serves"}
    )
    eval: EvalConfig = field(
        default_factory=EvalConfig, metadata={"help": "Evaluation (`lift eval`).", "role": "serves"}
    )
    serve: ServeConfig = field(
        default_factory=ServeConfig, metadata={"help": "The server (`lift serve`).", "role": "serves"}
    )

    def validate(self) -> LiftConfig:
        checks = [
            (self.model.device in DEVICES, f"model.device must be one of {DEVICES}"),
            (0 < self.serve.port < 65536, "serve.port must be in 1..65535"),
            (self.serve.max_body_bytes >= 1024, "serve.max_body_bytes must be >= 1024"),
            (self.serve.max_tokens >= 1, "serve.max_tokens must be >= 1"),
            (self.serve.request_timeout_s > 0, "serve.request_timeout_s must be > 0"),
            (self.serve.queue_size >= 1, "serve.queue_size must be >= 1"),
            (self.serve.batch_size >= 1, "serve.batch_size must be >= 1"),
            (self.serve.adapter_slots >= 1, "serve.adapter_slots must be >= 1"),
            (self.synth.generator in GENERATORS, f"synth.generator must be one of {GENERATORS}"),
            (
                self.synth.generator != "openai" or bool(self.synth.generator_url and self.synth.generator_model),
                "the openai generator needs synth.generator_url and synth.generator_model "
                "(--generator-url, --generator-model)",
            ),
            (self.synth.aux_tasks >= 0, "synth.aux_tasks must be >= 0"),
            (self.synth.aux_window_sentences >= 2, "synth.aux_window_sentences must be >= 2"),
            (self.synth.aux_answer in AUX_ANSWERS, f"synth.aux_answer must be one of {AUX_ANSWERS}"),
            (self.synth.concurrency >= 1, "synth.concurrency must be >= 1"),
            (self.synth.request_timeout > 0, "synth.request_timeout must be > 0"),
            (self.synth.max_retries >= 0, "synth.max_retries must be >= 0"),
            (self.synth.temperature >= 0, "synth.temperature must be >= 0"),
            (self.synth.max_tokens >= 16, "synth.max_tokens must be >= 16"),
            (self.train.pipeline_window >= 1, "train.pipeline_window must be >= 1"),
            (self.train.queue_size >= 1, "train.queue_size must be >= 1"),
            (self.synth.qa_per_sentence >= 1, "synth.qa_per_sentence must be >= 1"),
            (self.synth.words_per_pair >= 1, "synth.words_per_pair must be >= 1"),
            (self.synth.reask >= 0, "synth.reask must be >= 0"),
            (
                bool(self.synth.template_forms) and set(self.synth.template_forms) <= set(TEMPLATE_FORMS),
                f"synth.template_forms must be a non-empty list of {', '.join(TEMPLATE_FORMS)}",
            ),
            (self.synth.context_chars >= 0, "synth.context_chars must be >= 0"),
            (self.synth.grounding in GROUNDING, f"synth.grounding must be one of {GROUNDING}"),
            (0.0 <= self.synth.grounding_min_overlap <= 1.0, "synth.grounding_min_overlap must be in [0, 1]"),
            (self.synth.local_max_new_tokens >= 16, "synth.local_max_new_tokens must be >= 16"),
            (self.synth.local_batch_size >= 1, "synth.local_batch_size must be >= 1"),
            (self.lora.rank >= 1, "lora.rank must be >= 1"),
            (self.lora.alpha > 0, "lora.alpha must be > 0"),
            (0.0 <= self.lora.dropout < 1.0, "lora.dropout must be in [0, 1)"),
            (self.train.epochs >= 1, "train.epochs must be >= 1"),
            (self.train.min_steps >= 0, "train.min_steps must be >= 0"),
            (0 <= self.train.stop_at_recall <= 1, "train.stop_at_recall must be in [0, 1]"),
            (self.train.lr is None or self.train.lr > 0, "train.lr must be > 0"),
            (self.adapter.type in ADAPTERS, f"adapter.type must be one of {ADAPTERS}"),
            (self.adapter.pissa_niter >= 0, "adapter.pissa_niter must be >= 0"),
            (self.adapter.memory_hidden >= 1 and self.adapter.gate_hidden >= 1, "adapter hidden widths must be >= 1"),
            (self.train.objective in OBJECTIVES, f"train.objective must be one of {OBJECTIVES}"),
            (
                self.train.segment_tokens == 0 or self.train.segment_tokens >= 16,
                "train.segment_tokens must be 0 or >= 16",
            ),
            (
                self.train.segment_stride >= 0
                and (self.train.segment_tokens == 0 or self.train.segment_stride <= self.train.segment_tokens),
                "train.segment_stride must be >= 0 and at most train.segment_tokens (larger strides skip text)",
            ),
            (self.train.context_tokens >= 0, "train.context_tokens must be >= 0"),
            (self.train.qa_weight >= 0, "train.qa_weight must be >= 0"),
            (self.train.stage1_epochs >= 0, "train.stage1_epochs must be >= 0"),
            (0 <= self.train.beta1 < 1 and 0 <= self.train.beta2 < 1, "train.beta1/beta2 must be in [0, 1)"),
            (
                self.train.batch_tokens == 0 or self.train.batch_tokens >= 16,
                "train.batch_tokens must be 0 (auto) or >= 16",
            ),
            (self.train.max_grad_norm >= 0, "train.max_grad_norm must be >= 0"),
            (self.train.rows_per_step >= 0, "train.rows_per_step must be >= 0"),
            (self.train.target_steps >= 0, "train.target_steps must be >= 0"),
            (0 <= self.train.update_replay <= 1, "train.update_replay must be in [0, 1]"),
            (self.train.replay_ratio >= 0, "train.replay_ratio must be >= 0"),
            (0 <= self.train.qa_context_share <= 1, "train.qa_context_share must be in [0, 1]"),
            (self.train.qa_context_questions >= 1, "train.qa_context_questions must be >= 1"),
            (self.train.qa_context_tokens >= 0, "train.qa_context_tokens must be >= 0"),
            (
                self.infer.lift_icl_reading in LIFT_ICL_READINGS,
                f"infer.lift_icl_reading must be one of {LIFT_ICL_READINGS}",
            ),
            (
                self.train.context_reading in CONTEXT_READINGS,
                f"train.context_reading must be one of {CONTEXT_READINGS}",
            ),
            (0 <= self.distill.weight <= 1, "distill.weight must be in [0, 1]"),
            (0 <= self.distill.replay_weight <= 1, "distill.replay_weight must be in [0, 1]"),
            (self.distill.top_k >= 1, "distill.top_k must be >= 1"),
            (self.distill.context_tokens >= 64, "distill.context_tokens must be >= 64"),
            (self.distill.targets in DISTILL_TARGETS, f"distill.targets must be one of {DISTILL_TARGETS}"),
            (self.distill.teacher_max_tokens >= 8, "distill.teacher_max_tokens must be >= 8"),
            (
                not self.distill_enabled or self.adapter.type != "pissa",
                "context distillation needs an adapter that can be switched off while it trains (lora or "
                "gated_memory): pissa changes the base weights, so there is no teacher to ask",
            ),
            (self.train.replay_max_tokens >= 8, "train.replay_max_tokens must be >= 8"),
            (self.train.precision in PRECISIONS, f"train.precision must be one of {PRECISIONS}"),
            (self.train.packed_kernel in PACKED_KERNELS, f"train.packed_kernel must be one of {PACKED_KERNELS}"),
            (self.infer.max_new_tokens >= 1, "infer.max_new_tokens must be >= 1"),
            (self.infer.context_tokens >= 0, "infer.context_tokens must be >= 0"),
            (1 <= self.infer.beams <= 32, "infer.beams must be in [1, 32]"),
            (self.infer.choice_weight >= 0, "infer.choice_weight must be >= 0"),
            (self.infer.novelty_weight >= 0, "infer.novelty_weight must be >= 0"),
            (16 <= self.rag.chunk_tokens <= 254, "rag.chunk_tokens must be in [16, 254] (the embedder reads 256)"),
            (self.rag.top_k >= 1, "rag.top_k must be >= 1"),
            (self.eval.bootstrap_samples >= 100, "eval.bootstrap_samples must be >= 100"),
            (self.eval.squad_questions >= 1, "eval.squad_questions must be >= 1"),
            (
                self.eval.paraphrase_tokens == 0 or self.eval.paraphrase_tokens >= 200,
                "eval.paraphrase_tokens must be 0 or >= 200",
            ),
            (self.eval.longbench_per_task >= 0, "eval.longbench_per_task must be >= 0"),
            (
                bool(self.eval.niah_lengths) and all(int(x) >= 200 for x in self.eval.niah_lengths),
                "eval.niah_lengths must be a non-empty list of token counts >= 200",
            ),
            (
                bool(self.eval.niah_depths) and all(0 <= float(x) <= 100 for x in self.eval.niah_depths),
                "eval.niah_depths must be a non-empty list of percentages in [0, 100]",
            ),
            (
                self.eval.paraphrase_split in PARAPHRASE_SPLITS,
                f"eval.paraphrase_split must be one of {PARAPHRASE_SPLITS}",
            ),
            (
                self.eval.rewording_split in REWORDING_SPLITS,
                f"eval.rewording_split must be one of {REWORDING_SPLITS}",
            ),
            (self.eval.gist_split in GIST_SPLITS, f"eval.gist_split must be one of {GIST_SPLITS}"),
            (self.eval.squad_split in SQUAD_SPLITS, f"eval.squad_split must be one of {SQUAD_SPLITS}"),
            (self.eval.general_split in GENERAL_SPLITS, f"eval.general_split must be one of {GENERAL_SPLITS}"),
            (self.eval.niah_needle in NIAH_NEEDLES, f"eval.niah_needle must be one of {NIAH_NEEDLES}"),
        ]
        for ok, message in checks:
            if not ok:
                raise LiftError(f"invalid config: {message}")
        return self

    @property
    def distill_enabled(self) -> bool:
        """Whether a lift runs the teacher (a distillation weight, or teacher-written answers)."""
        d = self.distill
        return d.weight > 0 or (d.replay_weight > 0 and self.train.replay_ratio > 0) or d.targets != "template"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def training_dict(self) -> dict[str, Any]:
        """The sections that decide what an adapter learns; answering and evaluation settings are left out."""
        return training_sections(self.to_dict())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LiftConfig:
        if not isinstance(data, dict):
            raise LiftError("invalid config: the top level must be a mapping of sections")
        sections = {f.name: f.default_factory for f in fields(cls)}  # type: ignore[misc]
        kwargs = {}
        for name, values in data.items():
            if name not in sections:
                raise LiftError(f"invalid config: unknown section '{name}' (known: {', '.join(sections)})")
            kwargs[name] = _build_section(sections[name], name, values or {})
        return cls(**kwargs).validate()

    def with_overrides(self, overrides: dict[str, Any]) -> LiftConfig:
        """Return a copy with dotted keys ('train.lr') replaced; None values are ignored."""
        data = self.to_dict()
        for key, value in overrides.items():
            if value is None:
                continue
            section, _, name = key.partition(".")
            if section not in data or name not in data[section]:
                raise LiftError(f"invalid config: unknown setting '{key}'")
            data[section][name] = value
        return LiftConfig.from_dict(data)


def field_roles() -> dict[str, dict[str, str]]:
    """section -> field -> role (ROLES), from the fields' metadata; a field without one takes its section's."""
    roles: dict[str, dict[str, str]] = {}
    for section in fields(LiftConfig):
        default = section.metadata["role"]
        roles[section.name] = {f.name: f.metadata.get("role", default) for f in fields(section.default_factory())}  # type: ignore[misc]
    return roles


def field_help(name: str) -> str:
    """The help text of a dotted setting ('train.epochs'): what CLI flags show, so it is written once."""
    section, _, key = name.partition(".")
    for f in fields(LiftConfig):
        if f.name == section:
            for inner in fields(f.default_factory()):  # type: ignore[misc]
                if inner.name == key:
                    return inner.metadata["help"]
    raise KeyError(name)


def training_sections(data: dict[str, Any]) -> dict[str, Any]:
    """From a config dict (e.g. a stored manifest's), the settings that decide what an adapter learns (role
    'learns'), by section; a stored config's fields this version lacks are kept, so it matches no current one."""
    roles = field_roles()
    return {
        section: {k: v for k, v in data.get(section, {}).items() if roles[section].get(k, "learns") == "learns"}
        for section, section_roles in roles.items()
        if "learns" in section_roles.values()
    }


def describe_fields() -> list[tuple[str, Any, str]]:
    """(dotted name, default, help) for every setting, for docs and `lift config`."""
    rows = []
    for section in fields(LiftConfig):
        default = section.default_factory()  # type: ignore[misc]
        for f in fields(default):
            rows.append((f"{section.name}.{f.name}", getattr(default, f.name), f.metadata["help"]))
    return rows
