"""LoRA on all linear projections through peft; saved in standard PEFT format."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from pathlib import Path

import peft
from transformers import PreTrainedModel

from lift.config import LoraConfig


def attach_lora(model: PreTrainedModel, config: LoraConfig, adapter_name: str = "default") -> peft.PeftModel:
    targets: str | list[str] = config.target_modules
    if targets != "all-linear":
        targets = [name.strip() for name in targets.split(",") if name.strip()]
    lora_config = peft.LoraConfig(
        r=config.rank,
        lora_alpha=config.alpha,
        lora_dropout=config.dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    with _quiet_peft():
        return peft.get_peft_model(model, lora_config, adapter_name=adapter_name)


def load_adapter(model: PreTrainedModel, adapter_dir: str | Path) -> peft.PeftModel:
    """Wrap a base model with a saved adapter, for inference."""
    with _quiet_peft():
        wrapped = peft.PeftModel.from_pretrained(model, str(adapter_dir), is_trainable=False)
    wrapped.eval()
    return wrapped


@contextlib.contextmanager
def _quiet_peft() -> Iterator[None]:
    """peft probes a transformers attribute that transformers 5 deprecates; nothing for users to act on."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        yield


def trainable_parameters(model: PreTrainedModel) -> tuple[int, int]:
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    return trainable, total
