"""Run configuration: dataclasses with help text per field, YAML/JSON load and dump, validation.

Every default is defined here once; the CLI flags and the README refer to these fields. One module per section,
each with the constants it owns: model (ModelConfig, DEVICES), synth (SynthConfig), adapter (AdapterConfig,
LoraConfig), train (TrainConfig, step_tokens, lift_step_tokens), distill (DistillConfig), infer (InferConfig,
RagConfig), eval (EvalConfig), serve (ServeConfig). lift holds LiftConfig (the sections in order, validation,
field_help, field_roles, training_sections, describe_fields); fields the `_help` field builder and ROLES;
coerce the section builder and value coercion; files load_config and dump_config. Everything is importable from
lift.config; nothing here imports other lift modules but lift.errors.
"""

from lift.config.adapter import ADAPTERS, AdapterConfig, LoraConfig
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
from lift.config.fields import ROLES
from lift.config.files import dump_config, load_config
from lift.config.infer import LIFT_ICL_READINGS, RETRIEVERS, InferConfig, RagConfig
from lift.config.lift import LiftConfig, describe_fields, field_help, field_roles, training_sections
from lift.config.model import DEVICES, ModelConfig
from lift.config.serve import ServeConfig
from lift.config.synth import (
    AUX_ANSWERS,
    DEFAULT_TEMPLATE_FORMS,
    GENERATORS,
    GROUNDING,
    TEMPLATE_FORMS,
    WORDS_PER_PAIR,
    SynthConfig,
)
from lift.config.train import (
    CONTEXT_READINGS,
    CPU_BATCH_TOKENS,
    HOLD_OUT_EVERY,
    MAX_BATCH_TOKENS,
    OBJECTIVES,
    PACKED_KERNELS,
    PRECISIONS,
    TRAINING_TOKENS_PER_DOCUMENT_TOKEN,
    TrainConfig,
    lift_step_tokens,
    step_tokens,
)

__all__ = [
    "LIFT_ICL_READINGS",
    "CONTEXT_READINGS",
    "ADAPTERS",
    "AUX_ANSWERS",
    "CPU_BATCH_TOKENS",
    "DEFAULT_TEMPLATE_FORMS",
    "DEVICES",
    "DISTILL_TARGETS",
    "GENERAL_SPLITS",
    "GIST_SPLITS",
    "GENERATORS",
    "GROUNDING",
    "HOLD_OUT_EVERY",
    "MAX_BATCH_TOKENS",
    "NIAH_NEEDLES",
    "OBJECTIVES",
    "PACKED_KERNELS",
    "PARAPHRASE_SPLITS",
    "PRECISIONS",
    "REWORDING_SPLITS",
    "RETRIEVERS",
    "ROLES",
    "SQUAD_SPLITS",
    "TEMPLATE_FORMS",
    "TRAINING_TOKENS_PER_DOCUMENT_TOKEN",
    "WORDS_PER_PAIR",
    "AdapterConfig",
    "DistillConfig",
    "EvalConfig",
    "InferConfig",
    "LiftConfig",
    "LoraConfig",
    "ModelConfig",
    "RagConfig",
    "ServeConfig",
    "SynthConfig",
    "TrainConfig",
    "describe_fields",
    "dump_config",
    "field_help",
    "field_roles",
    "lift_step_tokens",
    "load_config",
    "step_tokens",
    "training_sections",
]
