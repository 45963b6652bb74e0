"""Pick the compute precision: bf16 autocast where the hardware runs it fast, else fp32."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import torch


@functools.lru_cache(maxsize=1)
def cpu_has_fast_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(precision: str, device: torch.device) -> str:
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if cpu_has_fast_bf16() else "fp32"


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    if precision == "bf16":
        return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def frozen_linears(model: torch.nn.Module) -> list[torch.nn.Linear]:
    """The Linear layers whose weight is frozen and not shared with an embedding (a tied lm_head is left
    out), each weight once: the base model's matmuls around an adapter."""
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
    found: dict[int, torch.nn.Linear] = {}
    for module in model.modules():
        weight = getattr(module, "weight", None)
        if (
            isinstance(module, torch.nn.Linear)
            and isinstance(weight, torch.nn.Parameter)
            and not weight.requires_grad
            and id(weight) not in embeddings
        ):
            found.setdefault(id(weight), module)
    return list(found.values())


@contextlib.contextmanager
def no_redundant_casts(model: torch.nn.Module, enabled: bool = True) -> Iterator[None]:
    """For training under bf16 autocast (enabled): skip casts whose result autocast throws away or redoes:
    - the frozen Linear weights are held in bf16 for the duration (originals put back afterwards). Autocast
      casts every weight to bf16 before each matmul, but caches the cast only for weights that require grad,
      so a frozen base model was re-cast at every forward. Weights shared with an embedding (tied lm_head)
      stay as they are, so the residual stream keeps its dtype.
    - peft's LoRA layers stop casting their input to the fp32 adapter weights' dtype (autocast casts it
      straight back to bf16 for the matmul).
    The matmuls see the same bf16 values either way; tests check the losses match exactly."""
    if not enabled:
        yield
        return
    peft_layers = [m for m in model.modules() if hasattr(m, "cast_input_dtype_enabled")]
    for layer in peft_layers:
        layer.cast_input_dtype_enabled = False
    originals: dict[torch.nn.Parameter, torch.Tensor] = {}
    for module in frozen_linears(model):
        if module.weight.dtype == torch.float32:
            originals[module.weight] = module.weight.data
            module.weight.data = module.weight.data.to(torch.bfloat16)
    try:
        yield
    finally:
        for weight, data in originals.items():
            weight.data = data
        for layer in peft_layers:
            layer.cast_input_dtype_enabled = True
