"""Adapters: LoRA and PiSSA through peft, Gated Memory as its own module; one interface for all."""

from __future__ import annotations

from pathlib import Path

from transformers import PreTrainedModel

from lift.adapters.base import Adapter
from lift.adapters.gated_memory import CONFIG_FILE, attach_gated_memory, load_gated_memory
from lift.adapters.lora import attach_lora, load_peft_adapter
from lift.config import AdapterConfig, LoraConfig, TrainConfig
from lift.errors import LiftError

DEFAULT_LR = {"lora": 1e-3, "pissa": 1e-3, "gated_memory": 1e-2}  # train.lr None: by adapter type


def learning_rate(train: TrainConfig, adapter_type: str) -> float:
    """train.lr, or the adapter type's default when it is unset."""
    return train.lr if train.lr is not None else DEFAULT_LR[adapter_type]


def attach_adapter(model: PreTrainedModel, adapter: AdapterConfig, lora: LoraConfig) -> Adapter:
    """A fresh trainable adapter of type adapter.type on `model`."""
    if adapter.type == "gated_memory":
        return attach_gated_memory(model, adapter)
    return attach_lora(model, lora, adapter)


def load_adapter(model: PreTrainedModel, adapter_dir: str | Path) -> Adapter:
    """A saved adapter of any type on a base model, for inference."""
    adapter_dir = Path(adapter_dir)
    if (adapter_dir / CONFIG_FILE).is_file():
        return load_gated_memory(model, adapter_dir)
    if (adapter_dir / "adapter_config.json").is_file():
        return load_peft_adapter(model, adapter_dir)
    raise LiftError(f"no adapter in {adapter_dir} (neither adapter_config.json nor {CONFIG_FILE})")


__all__ = ["DEFAULT_LR", "Adapter", "attach_adapter", "attach_lora", "learning_rate", "load_adapter"]
