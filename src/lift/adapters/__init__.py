"""Adapters trained by LIFT. LoRA through peft for now."""

from lift.adapters.lora import attach_lora, load_adapter, trainable_parameters

__all__ = ["attach_lora", "load_adapter", "trainable_parameters"]
