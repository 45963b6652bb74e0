"""Attach, save, load and remove Gated Memory on a Llama-family model.

Saved as two files beside each other: gated_memory.safetensors (the gate and memory tensors of every layer)
and gated_memory.json (the settings and the shapes they were made for).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn
from transformers import PreTrainedModel

from lift.adapters.base import Adapter
from lift.adapters.gated_memory.module import GatedMemoryAttention
from lift.config import AdapterConfig
from lift.errors import LiftError

WEIGHTS_FILE = "gated_memory.safetensors"
CONFIG_FILE = "gated_memory.json"
FORMAT_VERSION = 1
SUPPORTED_MODEL_TYPES = ("llama",)


class GatedMemoryAdapter(Adapter):
    kind = "gated_memory"

    def __init__(self, model: PreTrainedModel, settings: dict) -> None:
        _check_supported(model)
        self.model = model
        self.settings = settings
        self._frozen = {name: p.requires_grad for name, p in model.named_parameters()}
        for p in model.parameters():
            p.requires_grad_(False)
        self._layers = _decoder_layers(model)
        self._originals = [layer.self_attn for layer in self._layers]
        for layer in self._layers:
            layer.self_attn = GatedMemoryAttention(
                layer.self_attn, settings["memory_hidden"], settings["gate_hidden"], settings["gate_init_bias"]
            )

    @property
    def modules(self) -> list[GatedMemoryAttention]:
        return [layer.self_attn for layer in self._layers]

    def state_dict(self) -> dict[str, torch.Tensor]:
        state = {}
        for i, module in enumerate(self.modules):
            for name, p in module.named_parameters(recurse=False):
                state[f"layers.{i}.{name}"] = p.detach()
        return state

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        expected = self.state_dict()
        if set(state) != set(expected):
            raise LiftError("gated memory weights do not match this model (different layer or parameter names)")
        for i, module in enumerate(self.modules):
            for name, p in module.named_parameters(recurse=False):
                value = state[f"layers.{i}.{name}"]
                if value.shape != p.shape:
                    raise LiftError(f"gated memory tensor layers.{i}.{name} has shape {tuple(value.shape)}, "
                                    f"this model needs {tuple(p.shape)}")  # fmt: skip
                with torch.no_grad():
                    p.copy_(value.to(p.device, p.dtype))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        save_file({k: v.contiguous() for k, v in self.state_dict().items()}, str(directory / WEIGHTS_FILE))
        (directory / CONFIG_FILE).write_text(json.dumps(self.settings, indent=2), encoding="utf-8")

    @contextlib.contextmanager
    def disabled(self) -> Iterator[None]:
        for module in self.modules:
            module.enabled = False
        try:
            yield
        finally:
            for module in self.modules:
                module.enabled = True

    def unload(self) -> nn.Module:
        for layer, original in zip(self._layers, self._originals, strict=True):
            layer.self_attn = original
        for name, p in self.model.named_parameters():
            p.requires_grad_(self._frozen.get(name, p.requires_grad))
        return self.model


def attach_gated_memory(model: PreTrainedModel, config: AdapterConfig) -> GatedMemoryAdapter:
    _check_supported(model)
    layers = _decoder_layers(model)
    settings = {
        "type": "gated_memory",
        "format_version": FORMAT_VERSION,
        "model_type": model.config.model_type,
        "num_layers": len(layers),
        "num_heads": model.config.num_attention_heads,
        "head_dim": layers[0].self_attn.head_dim,
        "memory_hidden": config.memory_hidden,
        "gate_hidden": config.gate_hidden,
        "gate_init_bias": config.gate_init_bias,
    }
    return GatedMemoryAdapter(model, settings)


def load_gated_memory(model: PreTrainedModel, directory: str | Path) -> GatedMemoryAdapter:
    directory = Path(directory)
    try:
        settings = json.loads((directory / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise LiftError(f"cannot read {directory / CONFIG_FILE}: {error}") from None
    if settings.get("format_version") != FORMAT_VERSION:
        raise LiftError(f"{directory / CONFIG_FILE}: unknown gated memory format {settings.get('format_version')}")
    _check_supported(model)
    layers = _decoder_layers(model)
    shape = (len(layers), model.config.num_attention_heads, layers[0].self_attn.head_dim)
    saved = (settings["num_layers"], settings["num_heads"], settings["head_dim"])
    if shape != saved:
        raise LiftError(f"gated memory in {directory} was made for (layers, heads, head_dim) = {saved}, "
                        f"this model has {shape}")  # fmt: skip
    adapter = GatedMemoryAdapter(model, settings)
    adapter.load_state_dict(load_file(str(directory / WEIGHTS_FILE)))
    adapter.model.eval()
    return adapter


def _check_supported(model: PreTrainedModel) -> None:
    model_type = getattr(model.config, "model_type", None)
    if model_type not in SUPPORTED_MODEL_TYPES:
        raise LiftError(
            f"gated_memory supports Llama-family attention (model_type {', '.join(SUPPORTED_MODEL_TYPES)}); "
            f"this model is '{model_type}'. Use --adapter lora or pissa."
        )


def _decoder_layers(model: PreTrainedModel) -> list[nn.Module]:
    inner = getattr(model, "model", None)
    layers = getattr(inner, "layers", None)
    if layers is None or not all(hasattr(layer, "self_attn") for layer in layers):
        raise LiftError("gated_memory: cannot find the decoder layers (model.model.layers[*].self_attn)")
    return list(layers)
