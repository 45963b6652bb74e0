"""Adapters: LoRA and PiSSA through peft, Gated Memory as its own module; one interface for all."""

from __future__ import annotations

import math
from pathlib import Path

from transformers import PreTrainedModel

from lift.adapters.base import Adapter
from lift.adapters.gated_memory import CONFIG_FILE, attach_gated_memory, load_gated_memory
from lift.adapters.gated_memory.adapter import WEIGHTS_FILE
from lift.adapters.lora import attach_lora, load_peft_adapter
from lift.config import CPU_BATCH_TOKENS, AdapterConfig, LoraConfig, TrainConfig, step_tokens
from lift.errors import LiftError

DEFAULT_LR = {"lora": 3e-3, "pissa": 1e-3, "gated_memory": 1e-2}  # train.lr None: by adapter type


def learning_rate(train: TrainConfig, adapter_type: str, processes: int = 1) -> float:
    """train.lr, or when it is unset the adapter type's default, scaled by sqrt(step tokens / 384) for optimizer
    steps larger than the 384 tokens the defaults were chosen at (square-root scaling, as for Adam: larger
    steps at the same rate learn less per token). Smaller steps keep the default."""
    if train.lr is not None:
        return train.lr
    tokens = step_tokens(train.batch_tokens) * (train.rows_per_step or processes)
    return DEFAULT_LR[adapter_type] * math.sqrt(max(1.0, tokens / CPU_BATCH_TOKENS))


def attach_adapter(model: PreTrainedModel, adapter: AdapterConfig, lora: LoraConfig) -> Adapter:
    """A fresh trainable adapter of type adapter.type on `model`."""
    if adapter.type == "gated_memory":
        return attach_gated_memory(model, adapter)
    return attach_lora(model, lora, adapter)


def resume_adapter(adapter: Adapter, adapter_dir: str | Path) -> None:
    """Set a fresh trainable adapter to the weights saved in adapter_dir (an entry's adapter of the same type
    and shape), to train on from there (`lift train --update`)."""
    from safetensors.torch import load_file

    adapter_dir = Path(adapter_dir)
    if adapter.kind == "pissa":
        raise LiftError("a PiSSA adapter is saved as a plain LoRA and cannot be trained on as PiSSA; use lora")
    name = WEIGHTS_FILE if adapter.kind == "gated_memory" else "adapter_model.safetensors"
    if not (adapter_dir / name).is_file():
        raise LiftError(f"no {adapter.kind} weights to train on from in {adapter_dir} ({name} is missing)")
    state = load_file(str(adapter_dir / name))
    expected = adapter.state_dict()
    if set(state) != set(expected) or any(state[k].shape != expected[k].shape for k in expected):
        raise LiftError(f"the adapter in {adapter_dir} does not match this adapter's type, rank or target modules")
    adapter.load_state_dict(state)


def load_adapter(model: PreTrainedModel, adapter_dir: str | Path) -> Adapter:
    """A saved adapter of any type on a base model, for inference."""
    adapter_dir = Path(adapter_dir)
    if (adapter_dir / CONFIG_FILE).is_file():
        return load_gated_memory(model, adapter_dir)
    if (adapter_dir / "adapter_config.json").is_file():
        return load_peft_adapter(model, adapter_dir)
    raise LiftError(f"no adapter in {adapter_dir} (neither adapter_config.json nor {CONFIG_FILE})")


__all__ = ["DEFAULT_LR", "Adapter", "attach_adapter", "attach_lora", "learning_rate", "load_adapter", "resume_adapter"]
