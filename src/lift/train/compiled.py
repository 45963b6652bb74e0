"""torch.compile for training: the decoder layers only, with dynamic sequence length (packed rows differ in
length at every step), put back to eager afterwards so generation is unaffected."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


def decoder_layers(model: torch.nn.Module) -> list[torch.nn.Module]:
    """The model's repeated blocks, found by the class names transformers lists in _no_split_modules."""
    names: set[str] = set()
    for module in model.modules():
        names.update(getattr(module, "_no_split_modules", None) or [])
    return [m for m in model.modules() if type(m).__name__ in names]


@contextlib.contextmanager
def compiled_layers(model: torch.nn.Module, enabled: bool = True) -> Iterator[None]:
    layers = decoder_layers(model) if enabled else []
    if enabled and not layers:
        raise ValueError("train.compile: no decoder layers found in this model (no _no_split_modules)")
    for layer in layers:
        layer.compile(dynamic=True)
    try:
        yield
    finally:
        for layer in layers:
            layer._compiled_call_impl = None
